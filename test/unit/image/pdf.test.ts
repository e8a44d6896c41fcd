/**
 * PDF out (CCITT G4 image per page) read back and rendered by PDFium — the same pixels, the page
 * size from the resolution, the BlackIs1 polarity — and PDF in (pages drawn with pdf-lib,
 * rendered onto the fax grid at the right place and size).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { degrees, PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import { getPixel } from '../../../src/t4/bitmap.js';
import { blackRatio, greyToBitmap } from '../../../src/image/grey.js';
import { pdfPageSizes, pdfRendererHeapBytes, readPdfFaxPages, renderPdf } from '../../../src/image/pdf-read.js';
import { writePdf } from '../../../src/image/pdf-write.js';
import { bitmapsEqual, docBitmap } from './helpers.js';

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('writePdf', () => {
  it('renders back (PDFium) to exactly the same pixels, one page per bitmap, size from the resolution', async () => {
    const a = docBitmap(1728, 300, 11, { x: 204, y: 196 });
    const b = docBitmap(864, 200, 12, { x: 204, y: 98 });
    const pdf = await writePdf([a, b]);
    const sizes = await pdfPageSizes(pdf);
    assert.ok(sizes.ok);
    assert.equal(sizes.value.length, 2);
    const [sa, sb] = sizes.value;
    assert.ok(sa && sb);
    assert.ok(Math.abs(sa.width - (1728 / 204) * 72) < 0.01);
    assert.ok(Math.abs(sa.height - (300 / 196) * 72) < 0.01);
    assert.ok(Math.abs(sb.width - (864 / 204) * 72) < 0.01);
    assert.ok(Math.abs(sb.height - (200 / 98) * 72) < 0.01);
    // Render each page at its own resolution: one device pixel per fax pixel.
    for (const [i, bm] of [a, b].entries()) {
      const r = await renderPdf(pdf, { x: bm.xDpi!, y: bm.yDpi! });
      assert.ok(r.ok);
      const page = r.value[i]!;
      assert.deepEqual([page.width, page.height], [bm.width, bm.height]);
      assert.ok(bitmapsEqual(greyToBitmap(page), { ...bm }), `page ${i + 1} pixels`);
    }
  });
  it('the image is a CCITTFaxDecode XObject, K −1 (G4), BlackIs1 false; small; no dates', async () => {
    const a = docBitmap(1728, 500, 3, { x: 204, y: 196 });
    const pdf = await writePdf([a]);
    const text = latin1(pdf);
    assert.match(text, /\/Filter \/CCITTFaxDecode/);
    assert.match(text, /\/K -1/);
    assert.match(text, /\/Columns 1728/);
    assert.match(text, /\/Rows 500/);
    assert.match(text, /\/BlackIs1 false/);
    assert.match(text, /\/BitsPerComponent 1/);
    assert.doesNotMatch(text, /CreationDate/);
    assert.ok(pdf.length < (1728 * 500) / 8 / 2, `PDF of ${pdf.length} octets is not compressed`);
  });
  it('fact check (ISO 32000-1 Table 11): BlackIs1 true would paint a negative', async () => {
    const a = docBitmap(256, 64, 4, { x: 72, y: 72 });
    const pdf = await writePdf([a]);
    const flipped = Buffer.from(latin1(pdf).replace('/BlackIs1 false', '/BlackIs1 true '), 'latin1'); // same length: xref stays valid
    const r = await renderPdf(Uint8Array.from(flipped), 72);
    assert.ok(r.ok);
    const got = greyToBitmap(r.value[0]!);
    let inverted = 0;
    for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) if (getPixel(got, x, y) !== getPixel(a, x, y)) inverted++;
    assert.equal(inverted, a.width * a.height);
  });
});

async function pdfWithBox(w: number, h: number, box: { x: number; y: number; w: number; h: number }): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([w, h]);
  // pdf-lib's y runs upwards from the bottom.
  page.drawRectangle({ x: box.x, y: h - box.y - box.h, width: box.w, height: box.h, color: rgb(0, 0, 0) });
  return doc.save();
}

describe('readPdfFaxPages', () => {
  it('an A4 page lands on 1728 × 1143 at standard, a box at its place in mm', async () => {
    // A4 = 595.28 × 841.89 pt; a 72 × 72 pt (25.4 mm) box 144 pt (50.8 mm) from the top-left.
    const pdf = await pdfWithBox(595.28, 841.89, { x: 144, y: 144, w: 72, h: 72 });
    const r = await readPdfFaxPages(pdf, { resolution: 'standard', paper: 'a4' });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const [b] = r.value;
    assert.ok(b);
    assert.deepEqual([b.width, b.height, b.xDpi, b.yDpi], [1728, 1143, 204, 98]);
    // Horizontal: page 210 mm centred in 216 mm → 3 mm margin; box 50.8…76.2 mm from the page edge.
    const x0 = Math.round((3 + 50.8) * 8);
    const x1 = Math.round((3 + 76.2) * 8);
    const y0 = Math.round(50.8 * 3.85);
    const y1 = Math.round(76.2 * 3.85);
    assert.equal(blackRatio(b, x0 + 2, y0 + 2, x1 - x0 - 4, y1 - y0 - 4), 1);
    assert.equal(blackRatio(b, 0, 0, 1728, y0 - 2), 0);
    assert.equal(blackRatio(b, 0, y1 + 2, 1728, 1143 - y1 - 2), 0);
    assert.equal(blackRatio(b, 0, 0, x0 - 2, 1143), 0);
    // The box is 25.4 mm square on paper: 203 pels by 98 rows.
    const ink = blackRatio(b) * 1728 * 1143;
    assert.ok(Math.abs(ink - 203.2 * 97.8) < 400, `ink ${ink}`);
  });
  it('fine doubles the rows; a landscape page is turned', async () => {
    const pdf = await pdfWithBox(841.89, 595.28, { x: 0, y: 0, w: 100, h: 595.28 });
    const r = await readPdfFaxPages(pdf, { resolution: 'fine' });
    assert.ok(r.ok);
    const b = r.value[0]!;
    assert.deepEqual([b.width, b.height], [1728, 2287]);
    // The left band of the landscape page is at the bottom after a counter-clockwise turn.
    assert.ok(blackRatio(b, 0, 2287 - 200, 1728, 150) > 0.9);
    assert.equal(blackRatio(b, 0, 0, 1728, 1500), 0);
  });
  it('garbage and empty input give typed errors', async () => {
    const r = await readPdfFaxPages(Uint8Array.from(Buffer.from('%PDF-1.4\nthis is not a pdf\n')));
    assert.ok(!r.ok);
    assert.ok(r.error.code === 'bad-pdf' || r.error.code === 'no-pages', r.error.code);
    const e = await renderPdf(new Uint8Array(10), 72);
    assert.ok(!e.ok && e.error.code === 'bad-pdf');
  });
});

/** A one-page PDF written by hand (ISO 32000-1 §7.5: objects, xref, trailer), optionally encrypted. */
function handPdf(encrypt?: string): Uint8Array {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>'];
  if (encrypt !== undefined) objs.push(encrypt);
  let s = '%PDF-1.4\n';
  const offs: number[] = [];
  objs.forEach((o, i) => {
    offs.push(s.length);
    s += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = s.length;
  s += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  const id = '<0123456789abcdef0123456789abcdef>';
  s += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R${encrypt !== undefined ? ` /Encrypt 4 0 R /ID [${id} ${id}]` : ''} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

describe('PDF reader (PDFium): structure, typed errors, memory', () => {
  it('page count and sizes in points, /Rotate applied (a page turned 90° reports its turned size)', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.addPage([595.28, 841.89]);
    doc.addPage([612, 792]);
    doc.addPage([300, 200]).setRotation(degrees(90));
    const r = await pdfPageSizes(await doc.save());
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.length, 3);
    const near = (a: number, b: number): boolean => Math.abs(a - b) < 0.01;
    assert.ok(near(r.value[0]!.width, 595.28) && near(r.value[0]!.height, 841.89), JSON.stringify(r.value[0]));
    assert.ok(near(r.value[1]!.width, 612) && near(r.value[1]!.height, 792));
    assert.ok(near(r.value[2]!.width, 200) && near(r.value[2]!.height, 300), JSON.stringify(r.value[2]));
    const hand = await pdfPageSizes(handPdf());
    assert.ok(hand.ok);
    assert.deepEqual(hand.value, [{ width: 200, height: 100 }]);
  });
  it('every truncation of a PDF is a page or a typed error, never an exception', async () => {
    const whole = await pdfWithBox(200, 100, { x: 10, y: 10, w: 50, h: 20 });
    const codes = new Set<string>();
    for (let n = 0; n < whole.length; n += Math.max(1, Math.floor(whole.length / 60))) {
      const r = await readPdfFaxPages(whole.subarray(0, n), { resolution: 'standard' });
      if (r.ok) {
        assert.ok(r.value.length >= 1);
      } else {
        assert.ok(['bad-pdf', 'no-pages'].includes(r.error.code), `${n}: ${r.error.code} ${r.error.message}`);
        codes.add(r.error.code);
      }
    }
    assert.ok(codes.has('bad-pdf'));
    const cut = await readPdfFaxPages(handPdf().subarray(0, 150));
    assert.ok(!cut.ok && cut.error.code === 'bad-pdf', JSON.stringify(cut));
    assert.match(cut.ok ? '' : cut.error.message, /not a PDF or corrupted/);
  });
  it('garbage behind the header, an empty page tree, encryption: typed errors', async () => {
    const junk = new Uint8Array(4000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    junk.set(Buffer.from('%PDF-1.7\n'), 0);
    const g = await readPdfFaxPages(junk);
    assert.ok(!g.ok && g.error.code === 'bad-pdf', JSON.stringify(g));
    const none = Uint8Array.from(Buffer.from(latin1(handPdf()).replace('/Kids [3 0 R] /Count 1', '/Kids []  /Count 0 '), 'latin1'));
    const e = await readPdfFaxPages(none);
    assert.ok(!e.ok && (e.error.code === 'no-pages' || e.error.code === 'bad-pdf'), JSON.stringify(e));
    // Standard security handler with a user password that "" does not open (ISO 32000-1 §7.6.3).
    const h = `<${'ab'.repeat(32)}>`;
    const locked = await readPdfFaxPages(handPdf(`<< /Filter /Standard /V 1 /R 2 /O ${h} /U ${h} /P -4 >>`));
    assert.ok(!locked.ok && locked.error.code === 'encrypted', JSON.stringify(locked));
    assert.equal(locked.ok ? '' : locked.error.message, 'PDF is password-protected');
    const foreign = await pdfPageSizes(handPdf('<< /Filter /NoSuchHandler /V 1 /R 2 >>'));
    assert.ok(!foreign.ok && foreign.error.code === 'encrypted', JSON.stringify(foreign));
  });
  it('misuse throws: a threshold outside 1…255', async () => {
    await assert.rejects(readPdfFaxPages(handPdf(), { threshold: 300 }), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
  });
  it('memory is given back: the renderer heap does not grow over 30 documents', async () => {
    const pdf = await pdfWithBox(595.28, 841.89, { x: 100, y: 100, w: 200, h: 300 });
    for (let i = 0; i < 3; i++) assert.ok((await readPdfFaxPages(pdf, { resolution: 'fine' })).ok);
    const before = await pdfRendererHeapBytes();
    assert.ok(before !== undefined && before > 0);
    for (let i = 0; i < 30; i++) {
      assert.ok((await readPdfFaxPages(pdf, { resolution: 'fine' })).ok);
      assert.ok(!(await readPdfFaxPages(handPdf().subarray(0, 120))).ok);
    }
    assert.equal(await pdfRendererHeapBytes(), before);
  });
});

describe('PDF rendering quality at standard resolution (pixel statistics)', () => {
  it('a 0.25 pt hairline, 7 pt text and a 0.5 pt table rule survive 98 lines per inch', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const page = doc.addPage([595.28, 841.89]);
    const font = await doc.embedFont(StandardFonts.Helvetica);
    // pdf-lib's y runs upwards: 100 pt from the top is y = 741.89.
    page.drawLine({ start: { x: 72, y: 741.89 }, end: { x: 523, y: 741.89 }, thickness: 0.25 });
    page.drawLine({ start: { x: 72, y: 691.89 }, end: { x: 523, y: 691.89 }, thickness: 0.5 });
    page.drawText('seven point text: the quick brown fox jumps over the lazy dog 0123456789', { x: 72, y: 641.89, size: 7, font });
    const r = await readPdfFaxPages(await doc.save(), { resolution: 'standard' });
    assert.ok(r.ok);
    const b = r.value[0]!;
    const rowOf = (pt: number): number => (pt / 72) * 25.4 * 3.85;
    const col = (pt: number): number => Math.round((3 + (pt / 72) * 25.4) * 8);
    // Each rule: one row (or two) around its place holds ink over ≥ 98 % of its length.
    for (const at of [100, 150]) {
      const y0 = Math.floor(rowOf(at)) - 1;
      let best = 0;
      for (let y = y0; y <= y0 + 2; y++) best = Math.max(best, blackRatio(b, col(80), y, col(515) - col(80), 1));
      assert.ok(best > 0.98, `rule at ${at} pt: best row ${best.toFixed(3)} black`);
    }
    // 7 pt text: ink in the x-height band (10–60 %), letters apart (edges along the middle row).
    const top = Math.ceil(rowOf(200 - 5));
    const bottom = Math.floor(rowOf(200)) - 1;
    const ink = blackRatio(b, col(72), top, col(330) - col(72), bottom - top + 1);
    assert.ok(ink > 0.1 && ink < 0.6, `7 pt text ink ${ink.toFixed(3)} in rows ${top}–${bottom}`);
    let edges = 0;
    const mid = Math.round((top + bottom) / 2);
    for (let x = col(72); x < col(330); x++) if (getPixel(b, x, mid) !== getPixel(b, x + 1, mid)) edges++;
    assert.ok(edges >= 60, `only ${edges} edges on row ${mid}`);
    // Nothing but these: the page is mostly white.
    assert.ok(blackRatio(b) < 0.01);
  });
});
