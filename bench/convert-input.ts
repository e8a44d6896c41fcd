/**
 * Input of the `convert` suite, made at bench time in a child process (pdf-lib and the PDF
 * renderer are asynchronous, the bench harness is not):
 *
 *   node dist/bench/convert-input.js DIR
 *   node dist/bench/convert-input.js --warm DIR/text20.pdf N [rows]    (see `warm` below)
 *
 * writes DIR/text20.pdf — 20 A4 pages of text (pdf-lib, made here, nothing copied): lines of
 * 7 to 14 pt Helvetica, Times and Courier from a fixed pseudo-random sequence, and now and then
 * a small table of 0.25 pt and 0.5 pt rules with 7 pt figures in its cells (the thin strokes
 * standard resolution must keep) — and DIR/page1.pgm, page 1 rendered grey onto the fine fax
 * grid (1728 × 2287) the way `readPdfFaxPages` renders it (text not anti-aliased), for the
 * in-process bilevel row.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { documentToFaxPages, forEachFaxPageRows } from '../src/image/document.js';
import { placeOnPage, composePage, RESOLUTIONS } from '../src/image/fax-page.js';
import { TiffPageWriter, writeTiff } from '../src/image/tiff-write.js';
import { renderPdf } from '../src/image/pdf-read.js';
import { writePgm } from '../src/image/pnm.js';

export const PAGES = 20;

const WORDS = (
  'the quick brown fox jumps over lazy dog fax T.38 UDPTL gateway page invoice total amount due 0123456789 ' +
  'Sphinx of black quartz judge my vow remittance account reference ECM V.17 14400 bit/s'
).split(' ');

/** The 20-page text PDF (deterministic: a linear congruential sequence, seed 1). */
export async function makeTextPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts = [await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.TimesRoman), await doc.embedFont(StandardFonts.Courier)];
  let seed = 1;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  for (let p = 0; p < PAGES; p++) {
    const page = doc.addPage([595.28, 841.89]);
    let y = 800;
    while (y > 60) {
      const size = pick([7, 8, 9, 10, 11, 12, 14]);
      const font = pick(fonts);
      let line = '';
      while (font.widthOfTextAtSize(line, size) < 440) line += `${pick(WORDS)} `;
      page.drawText(line.trim(), { x: 56, y, size, font, color: rgb(0, 0, 0) });
      y -= size * 1.35;
      if (rnd() < 0.08 && y > 140) {
        const rows = 4;
        const h = 14;
        for (let r = 0; r <= rows; r++) page.drawLine({ start: { x: 56, y: y - r * h }, end: { x: 520, y: y - r * h }, thickness: 0.25 });
        for (const x of [56, 200, 360, 520]) page.drawLine({ start: { x, y }, end: { x, y: y - rows * h }, thickness: 0.5 });
        for (let r = 0; r < rows; r++) page.drawText(`cell ${p}.${r}  12,345.67`, { x: 60, y: y - r * h - 10, size: 7, font: fonts[0]! });
        y -= rows * h + 10;
      }
    }
  }
  return doc.save();
}

async function main(dir: string): Promise<void> {
  const pdf = await makeTextPdf();
  writeFileSync(join(dir, 'text20.pdf'), pdf);
  // Page 1 at the placement readPdfFaxPages computes for fine A4 (the grey it thresholds).
  const pl = placeOnPage(595.28, 841.89, { x: 72, y: 72 }, { resolution: 'fine', paper: 'a4' });
  const r = await renderPdf(pdf, { x: (pl.width / 595.28) * 72, y: (pl.height / 841.89) * 72 }, { maxPages: PAGES }, { smoothText: false });
  if (!r.ok) throw new Error(`render: ${r.error.message}`);
  const g = r.value[0]!;
  if (g.width !== pl.width || g.height !== pl.height) throw new Error(`rendered ${g.width}×${g.height}, placement ${pl.width}×${pl.height}`);
  writeFileSync(join(dir, 'page1.pgm'), writePgm(composePage(g, pl, RESOLUTIONS.fine)));
}

/**
 * `--warm PDF N [rows]`: the library path in a warm process (a server converting one document
 * after another): documentToFaxPages + writeTiff (MMR) of PDF — or, with `rows`, what `faxwire
 * convert` does: forEachFaxPageRows + TiffPageWriter.addRows, each page thresholded as it is
 * coded — twice untimed (WASM compiled and tiered up, JIT warm), then N times; prints one JSON
 * line with pages/s on the wall clock and on this process's CPU time (all its threads).
 */
async function warm(pdfPath: string, n: number, rows: boolean): Promise<void> {
  const bytes = readFileSync(pdfPath);
  let pages = 0;
  const once = async (): Promise<void> => {
    if (rows) {
      const w = new TiffPageWriter({ compression: 'mmr' });
      const r = await forEachFaxPageRows(bytes, { resolution: 'fine' }, (p) => w.addRows(p));
      if (!r.ok) throw new Error(r.error.message);
      pages = r.value;
      w.finish();
      return;
    }
    const r = await documentToFaxPages(bytes, { resolution: 'fine' });
    if (!r.ok) throw new Error(r.error.message);
    pages = r.value.length;
    writeTiff(r.value, { compression: 'mmr' });
  };
  await once();
  await once();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ pages: pages * n, wallPagesPerSec: (pages * n) / wall, cpuPagesPerSec: (pages * n) / cpu })}\n`);
}

const dir = process.argv[2];
if (dir !== undefined && process.argv[1]?.endsWith('convert-input.js')) {
  (dir === '--warm' ? warm(process.argv[3] ?? '', Number(process.argv[4] ?? 3), process.argv[5] === 'rows') : main(dir)).catch((e: unknown) => {
    process.stderr.write(`convert-input: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
