/**
 * PDF out (CCITT G4 image per page) read back and rendered by PDFium — the same pixels, the page
 * size from the resolution, the BlackIs1 polarity — and PDF in (pages drawn with pdf-lib,
 * rendered onto the fax grid at the right place and size).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PDFDocument, rgb } from 'pdf-lib';
import { getPixel } from '../../../src/t4/bitmap.js';
import { blackRatio, greyToBitmap } from '../../../src/image/grey.js';
import { pdfPageSizes, readPdfFaxPages, renderPdf } from '../../../src/image/pdf-read.js';
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
