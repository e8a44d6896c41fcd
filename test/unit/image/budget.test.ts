/**
 * The document budget (issue 9): each bomb — a TIFF of 200 × 144-megapixel pages sharing one
 * strip, a PNG whose IDAT inflates short or far too long, a JPEG header declaring 65500 ×
 * 65500, a 4 × 40000 PNG on unlimited paper — is refused with its stable code before it is
 * decoded. Time and memory are measured only as a generous bound around the refusal (never a
 * timing assertion): before the budget these took 4–239 s of CPU and 1.2–1.8 GB.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { documentToFaxPages, type DocumentErrorCode, type ToFaxOptions } from '../../../src/image/document.js';
import { checkPageLength, fitToFaxPage, placeOnPage } from '../../../src/image/fax-page.js';
import { jpegFrame, readJpeg } from '../../../src/image/jpeg.js';
import { readPng, writeGreyPng, writePng } from '../../../src/image/png.js';
import { readTiff, tiffPageInfos } from '../../../src/image/tiff-read.js';
import { writeTiff } from '../../../src/image/tiff-write.js';
import { DEFAULT_MAX_TOTAL_PIXELS, isLimitError, PixelBudget } from '../../../src/image/budget.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { PDFDocument } from 'pdf-lib';
import { readPdfFaxPages, renderPdf } from '../../../src/image/pdf-read.js';
import { docBitmap } from './helpers.js';
import { jpegHugeHeader, pngLongIdat, pngShortIdat, pngTallThin, pngWithIdat, tiffManyPagesOneStrip } from './bombs.js';

/**
 * Runs `f` and asserts the refusal: the budget's code, one line, and little memory grown (the
 * bombs took seconds and GB before they were refused). No timing is asserted (a test must not
 * depend on the machine's speed); that the refusal comes before decoding is what the code says.
 */
async function refused(file: Uint8Array, code: DocumentErrorCode, opts: ToFaxOptions = {}): Promise<string> {
  const m0 = process.memoryUsage();
  const r = await documentToFaxPages(file, opts);
  const m1 = process.memoryUsage();
  assert.ok(!r.ok, 'refused');
  assert.equal(r.error.code, code, r.error.message);
  assert.ok(!r.error.message.includes('\n'), 'one line');
  const grownMb = (m1.rss - m0.rss + (m1.arrayBuffers - m0.arrayBuffers)) / 2 ** 20;
  assert.ok(grownMb < 100, `memory grew ${grownMb.toFixed(0)} MB`);
  return r.error.message;
}

describe('document budget: bombs are refused before decoding', () => {
  it('TIFF: 200 pages of 12000 × 12000 sharing one strip → limit (from the IFD tags)', async () => {
    const f = tiffManyPagesOneStrip();
    assert.ok(f.length < 24_000);
    const msg = await refused(f, 'limit');
    assert.match(msg, /maxTotalPixels 2000000000/);
    const t = readTiff(f);
    assert.ok(!t.ok && t.error.code === 'limit');
    // A budget that fits lets the file through (2 pages of it).
    const small = tiffManyPagesOneStrip(2, 1000);
    const ok = await documentToFaxPages(small);
    assert.ok(ok.ok && ok.value.length === 2);
  });

  it('TIFF: more pages than maxPages → too-many-pages; the page budget counts pages before decoding', async () => {
    await refused(tiffManyPagesOneStrip(5, 64), 'too-many-pages', { maxPages: 4 });
    const i = tiffPageInfos(tiffManyPagesOneStrip(3, 1000), { maxTotalPixels: 2_500_000 });
    assert.ok(!i.ok && i.error.code === 'limit' && /page 3/.test(i.error.message));
  });

  it('PNG: IDAT that inflates short → bad-png, not a blank page', async () => {
    const f = pngShortIdat();
    assert.ok(f.length < 80, `${f.length} octets`);
    const msg = await refused(f, 'bad-png');
    assert.match(msg, /IDAT inflates to 10 octets, fewer than the 144012000 IHDR implies/);
  });

  it('PNG: IDAT that inflates too long → bad-png, stopped at the size IHDR implies', async () => {
    const msg = await refused(pngLongIdat(), 'bad-png');
    assert.match(msg, /more than the 10100 octets IHDR implies/);
    // One octet too many is refused too; exactly right is read.
    const row = new Uint8Array(101 * 100);
    assert.ok(readPng(pngWithIdat(100, 100, deflateSync(row))).ok);
    const extra = readPng(pngWithIdat(100, 100, deflateSync(new Uint8Array(row.length + 1))));
    assert.ok(!extra.ok && extra.error.code === 'bad-png');
    const broken = readPng(pngWithIdat(100, 100, deflateSync(row).subarray(0, 8)));
    assert.ok(!broken.ok && /does not inflate/.test(broken.error.message));
  });

  it('PNG: interlaced and 1-bit files still read (the Adam7 and bit-depth sizes are right)', () => {
    const b = docBitmap(203, 77, 3, { x: 204, y: 196 });
    const r1 = readPng(writePng(b));
    assert.ok(r1.ok && r1.value.kind === 'bilevel');
    // Adam7, 8-bit grey, odd sizes: build the seven passes by hand (PNG §8.2, written out here
    // rather than taken from png.ts, so the test does not share a mistake with the code).
    const w = 13;
    const h = 11;
    const passes = [
      [0, 0, 8, 8],
      [4, 0, 8, 8],
      [0, 4, 4, 8],
      [2, 0, 4, 4],
      [0, 2, 2, 4],
      [1, 0, 2, 2],
      [0, 1, 1, 2],
    ];
    const rows: number[] = [];
    for (const [x0, y0, dx, dy] of passes) {
      const pw = Math.ceil((w - x0!) / dx!);
      const ph = Math.ceil((h - y0!) / dy!);
      if (pw <= 0 || ph <= 0) continue;
      for (let y = 0; y < ph; y++) rows.push(0, ...new Array<number>(pw).fill(200));
    }
    const png = pngWithIdat(w, h, deflateSync(Uint8Array.from(rows)));
    png[8 + 8 + 12] = 1; // IHDR interlace = Adam7 …
    // … and its CRC again.
    const dv = new DataView(png.buffer);
    dv.setUint32(8 + 8 + 13, crcOf(png, 12, 12 + 17));
    const r = readPng(png);
    assert.ok(r.ok && r.value.kind === 'grey' && r.value.image.data.every((v) => v === 200), r.ok ? '' : r.error.message);
  });

  it('JPEG: a 152-octet header declaring 65500 × 65500 → too-large, from the SOF header', async () => {
    const f = jpegHugeHeader();
    const fr = jpegFrame(f);
    assert.ok(!('code' in fr) && fr.width === 65500 && fr.height === 65500 && fr.components === 3);
    const msg = await refused(f, 'too-large');
    assert.match(msg, /65500×65500 exceeds 150000000 pixels/);
    // No scan, no frame, DNL height: refused by name.
    const noScan = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, 0xff, 0xd9]);
    const a = readJpeg(noScan);
    assert.ok(!a.ok && /no scan/.test(a.error.message));
    const b = readJpeg(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]));
    assert.ok(!b.ok && /no frame header/.test(b.error.message));
    const dnl = readJpeg(jpegHugeHeader(100, 0));
    assert.ok(!dnl.ok && /DNL/.test(dnl.error.message));
  });

  it('JPEG: a header under the pixel limit (12000 × 12000) with no scan data to speak of → bad-jpeg before jpeg-js', async () => {
    const msg = await refused(jpegHugeHeader(12000, 12000), 'bad-jpeg');
    assert.match(msg, /octets of scan data cannot code 12000×12000 \(at least 281250/);
  });

  it('--paper unlimited: a 4 × 40000 PNG → limit (page too long), never a RangeError', async () => {
    const msg = await refused(pngTallThin(), 'limit', { paper: 'unlimited' });
    assert.match(msg, /page 1: the page would be \d+ mm long .* over maxPageLengthMm 1000/);
    // The thrown form, for callers of the geometry directly.
    assert.throws(
      () => fitToFaxPage({ width: 4, height: 40000, data: new Uint8Array(160000) }, { paper: 'unlimited' }),
      (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_LIMIT' && isLimitError(e),
    );
    // Within the bound, unlimited paper still makes long pages; the bound is configurable.
    const p = placeOnPage(1000, 4000, undefined, { resolution: 'standard', paper: 'unlimited' });
    assert.doesNotThrow(() => checkPageLength(p, { resolution: 'standard', paper: 'unlimited' }));
    assert.throws(() => checkPageLength(p, { resolution: 'standard', paper: 'unlimited', maxPageLengthMm: 500 }), /maxPageLengthMm 500/);
    const ok = await documentToFaxPages(writeGreyPng({ width: 100, height: 400, data: new Uint8Array(40000) }), { paper: 'unlimited' });
    assert.ok(ok.ok && ok.value[0]!.bitmap.height > 2287);
  });

  it('a real multi-page fax is well within the defaults', async () => {
    const pages = Array.from({ length: 3 }, (_, i) => ({ bitmap: docBitmap(1728, 2287, i, { x: 204, y: 196 }) }));
    const r = await documentToFaxPages(writeTiff(pages));
    assert.ok(r.ok && r.value.length === 3);
    const b = new PixelBudget();
    assert.equal(b.maxTotalPixels, DEFAULT_MAX_TOTAL_PIXELS);
    // 253 superfine A4 pages fit the default document budget, the 254th does not.
    for (let i = 0; i < 253; i++) assert.equal(b.take(1728 * 4574, `page ${i + 1}`), undefined);
    assert.match(b.take(1728 * 4574, 'page 254') ?? '', /over maxTotalPixels/);
  });
});

describe('document budget: PDF, checked before rendering', () => {
  /** A PDF of empty pages of the given sizes in points (pdf-lib, made in the test). */
  async function pdfOf(sizes: readonly [number, number][]): Promise<Uint8Array> {
    const d = await PDFDocument.create();
    for (const [w, h] of sizes) d.addPage([w, h]);
    return d.save();
  }

  it('more pages than maxPages → too-many-pages, from the page count', async () => {
    const pdf = await pdfOf([
      [595, 842],
      [595, 842],
      [595, 842],
    ]);
    const r = await documentToFaxPages(pdf, { maxPages: 2 });
    assert.ok(!r.ok && r.error.code === 'too-many-pages' && /3 pages, over maxPages 2/.test(r.error.message));
    assert.ok((await documentToFaxPages(pdf)).ok);
  });

  it('page size × resolution over the pixel budget → limit, naming the page, before it is rendered', async () => {
    const pdf = await pdfOf([
      [595, 842],
      [595, 842],
    ]);
    // A4 at fine is 1728 × 2287 ≈ 3.95 M pels: two pages need ~7.9 M.
    const r = await readPdfFaxPages(pdf, { maxTotalPixels: 5_000_000 });
    assert.ok(!r.ok && r.error.code === 'limit' && /^page 2: /.test(r.error.message), r.ok ? '' : r.error.message);
    const g = await renderPdf(pdf, 600, { maxPixels: 10_000_000 });
    assert.ok(!g.ok && g.error.code === 'limit' && /over maxPixels/.test(g.error.message));
  });

  it('a 200-inch page on unlimited paper → limit (page length), never a RangeError', async () => {
    const pdf = await pdfOf([[612, 14_400]]);
    const r = await documentToFaxPages(pdf, { paper: 'unlimited' });
    assert.ok(!r.ok && r.error.code === 'limit' && /maxPageLengthMm 1000/.test(r.error.message), r.ok ? '' : r.error.message);
    const ok = await documentToFaxPages(pdf, { paper: 'unlimited', maxPageLengthMm: 6000, resolution: 'standard' });
    assert.ok(ok.ok && ok.value[0]!.bitmap.height > 19_000);
  });
});

/** CRC-32 of png[start, end) (the PNG chunk CRC, type + data). */
function crcOf(png: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= png[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
