/**
 * Pages one at a time (issue 13 item 4, memory): `forEachPdfFaxPage` / `forEachFaxPage` give
 * the same pages as the collecting `readPdfFaxPages` / `documentToFaxPages`, with a PDF page's
 * octets in one reused buffer; `TiffPageWriter` writes the same octets as `writeTiff`. The
 * collecting functions are the reference (differential tests against the old path).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { forEachPdfFaxPage, pdfRendererHeapBytes, readPdfFaxPages } from '../../../src/image/pdf-read.js';
import { documentToFaxPages, forEachFaxPage, forEachFaxPageRows, type FaxPage, type ToFaxOptions } from '../../../src/image/document.js';
import { BitmapRowChanges, GreyRowChanges, thresholdRowsInto } from '../../../src/image/bilevel.js';
import { TiffPageWriter, writeTiff, type TiffCompression } from '../../../src/image/tiff-write.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { bitmapsEqual, docBitmap } from './helpers.js';

/** Pages of different sizes (A4, a small landscape page, A4 again), each with its own text. */
async function mixedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const [i, size] of ([[595.28, 841.89], [300, 200], [595.28, 841.89]] as const).entries()) {
    const page = doc.addPage([size[0], size[1]]);
    page.drawText(`page ${i + 1}: the quick brown fox`, { x: 20, y: size[1] - 40 - 30 * i, size: 9 + i, font });
    page.drawLine({ start: { x: 20, y: 30 + 10 * i }, end: { x: size[0] - 20, y: 30 + 10 * i }, thickness: 0.25 });
  }
  return doc.save();
}

function copy(b: Bitmap): Bitmap {
  return { ...b, data: b.data.slice(0, b.stride * b.height) };
}

describe('forEachPdfFaxPage', () => {
  it('gives the pages readPdfFaxPages gives, in order, with index and count', async () => {
    const pdf = await mixedPdf();
    for (const resolution of ['standard', 'fine'] as const) {
      const ref = await readPdfFaxPages(pdf, { resolution });
      assert.ok(ref.ok);
      const got: Bitmap[] = [];
      const seen: [number, number][] = [];
      const r = await forEachPdfFaxPage(pdf, { resolution }, (b, i, n) => {
        got.push(copy(b));
        seen.push([i, n]);
      });
      assert.ok(r.ok);
      assert.equal(r.value, 3);
      assert.deepEqual(seen, [[0, 3], [1, 3], [2, 3]]);
      assert.equal(got.length, ref.value.length);
      for (const [i, b] of got.entries()) {
        const e: Bitmap = ref.value[i]!;
        assert.deepEqual([b.width, b.height, b.stride, b.xDpi, b.yDpi], [e.width, e.height, e.stride, e.xDpi, e.yDpi]);
        assert.ok(bitmapsEqual(b, e), `${resolution} page ${i + 1} pixels`);
        assert.ok(b.data.some((x) => x !== 0), 'the page has ink');
      }
    }
  });

  it('reuses one buffer for the pages (the bitmap is valid only during the call)', async () => {
    const pdf = await mixedPdf();
    const buffers = new Set<ArrayBufferLike>();
    const r = await forEachPdfFaxPage(pdf, { resolution: 'fine' }, (b) => void buffers.add(b.data.buffer));
    assert.ok(r.ok);
    // A4 first: the smaller second page fits in its buffer, the third is the same size.
    assert.equal(buffers.size, 1);
  });

  it('a budget refusal after some pages is the typed error, the pages before it delivered', async () => {
    const pdf = await mixedPdf();
    const one = await readPdfFaxPages(pdf, { resolution: 'fine' });
    assert.ok(one.ok);
    const a4 = one.value[0]!.width * one.value[0]!.height;
    let delivered = 0;
    const r = await forEachPdfFaxPage(pdf, { resolution: 'fine', maxTotalPixels: a4 + 1 }, () => void delivered++);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'limit');
    assert.match(r.error.message, /^page 2:/);
    assert.equal(delivered, 1);
  });

  it("the callback's exception comes out as it is, and PDFium's memory is freed", async () => {
    const pdf = await mixedPdf();
    assert.ok((await readPdfFaxPages(pdf)).ok);
    const before = await pdfRendererHeapBytes();
    const boom = new RangeError('sink full');
    for (let i = 0; i < 20; i++) {
      await assert.rejects(
        forEachPdfFaxPage(pdf, {}, (_b, index) => {
          if (index === 1) throw boom;
        }),
        (e) => e === boom,
      );
    }
    // The module was not dropped (no trap) and every document was closed: the heap is as before.
    assert.equal(await pdfRendererHeapBytes(), before);
    assert.ok((await readPdfFaxPages(pdf)).ok);
  });
});

describe('forEachFaxPage', () => {
  it('gives the pages documentToFaxPages gives, for a PDF and a TIFF', async () => {
    const tiff = writeTiff([docBitmap(1728, 120, 3, { x: 204, y: 196 }), { bitmap: docBitmap(1728, 80, 4, { x: 204, y: 196 }), quality: { badRows: 2, longestBadRun: 1 } }]);
    for (const doc of [await mixedPdf(), tiff]) {
      const ref = await documentToFaxPages(doc, {});
      assert.ok(ref.ok);
      const got: FaxPage[] = [];
      const counts: number[] = [];
      const r = await forEachFaxPage(doc, {}, (p, _i, n) => {
        got.push(p.quality ? { bitmap: copy(p.bitmap), quality: p.quality } : { bitmap: copy(p.bitmap) });
        counts.push(n);
      });
      assert.ok(r.ok);
      assert.equal(r.value, ref.value.length);
      assert.deepEqual(counts, ref.value.map(() => ref.value.length));
      for (const [i, p] of got.entries()) {
        assert.ok(bitmapsEqual(p.bitmap, ref.value[i]!.bitmap), `page ${i + 1}`);
        assert.deepEqual(p.quality, ref.value[i]!.quality);
      }
    }
  });

  it('an unknown format is the typed error and no page', async () => {
    let n = 0;
    const r = await forEachFaxPage(new Uint8Array(64), {}, () => void n++);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'unknown-format');
    assert.equal(n, 0);
  });
});

describe('TiffPageWriter', () => {
  it('writes the octets writeTiff writes, for every compression, with quality fields and mixed sizes', () => {
    const pages = [
      { bitmap: docBitmap(1728, 90, 5, { x: 204, y: 98 }) },
      { bitmap: docBitmap(864, 70, 6, { x: 204, y: 196 }), quality: { badRows: 3, longestBadRun: 2 } },
      { bitmap: docBitmap(1728, 40, 7) },
    ];
    for (const compression of ['mh', 'mr', 'mmr', 'rle', 'none', 'packbits'] as TiffCompression[]) {
      for (const extra of [{}, { rowsPerStrip: 16, fillOrder: 2 as const, byteOrder: 'MM' as const }]) {
        const opts = { compression, ...extra };
        const w = new TiffPageWriter(opts);
        for (const p of pages) w.add(p);
        assert.equal(w.pageCount, 3);
        assert.deepEqual(w.finish(), writeTiff(pages, opts), `${compression} ${JSON.stringify(extra)}`);
      }
    }
  });

  it('keeps no reference to the bitmap: the caller may reuse it after add', () => {
    const a = docBitmap(1728, 50, 8, { x: 204, y: 196 });
    const b = docBitmap(1728, 50, 9, { x: 204, y: 196 });
    const buf = a.data.slice();
    const w = new TiffPageWriter({ compression: 'mmr' });
    w.add({ ...a, data: buf });
    buf.set(b.data);
    w.add({ ...b, data: buf });
    assert.deepEqual(w.finish(), writeTiff([a, b], { compression: 'mmr' }));
  });

  it('misuse throws FaxwireError: no pages, a bad bitmap, a bad k', () => {
    assert.throws(() => new TiffPageWriter().finish(), FaxwireError);
    assert.throws(() => new TiffPageWriter().add({ width: 10, height: 2, stride: 1, data: new Uint8Array(2) }), FaxwireError);
    assert.throws(() => new TiffPageWriter({ k: 0 }), FaxwireError);
  });
});

describe('pages as rows of changing elements (TiffPageWriter.addRows, forEachFaxPageRows)', () => {
  const compressions: TiffCompression[] = ['mh', 'mr', 'mmr', 'rle', 'none', 'packbits'];
  const extras = [{}, { rowsPerStrip: 16, fillOrder: 2 as const, byteOrder: 'MM' as const }, { fillBits: true, k: 3 }];

  it('addRows of a bitmap’s rows writes the octets add writes, for every compression', () => {
    const pages = [
      { bitmap: docBitmap(1728, 90, 5, { x: 204, y: 98 }) },
      { bitmap: docBitmap(861, 70, 6, { x: 204, y: 196 }), quality: { badRows: 3, longestBadRun: 2 } },
      { bitmap: docBitmap(1728, 40, 7) },
    ];
    for (const compression of compressions) {
      for (const extra of extras) {
        const opts = { compression, ...extra };
        const w = new TiffPageWriter(opts);
        for (const p of pages) w.addRows({ rows: new BitmapRowChanges(p.bitmap), xDpi: p.bitmap.xDpi, yDpi: p.bitmap.yDpi, quality: p.quality });
        assert.deepEqual(w.finish(), writeTiff(pages, opts), `${compression} ${JSON.stringify(extra)}`);
      }
    }
  });

  it('a rendered page thresholded as it is coded (GreyRowChanges) = add of thresholdRowsInto’s bitmap', () => {
    // A grey page like a renderer's: paper, ink, mid-grey edges and a hairline.
    const width = 1728;
    const height = 60;
    const grey = new Uint8Array(width * height).fill(255);
    for (let y = 10; y < 50; y++) for (let x = 100 + y; x < 900 - y; x += 7) grey[y * width + x] = (x * 31 + y * 17) % 256;
    for (let x = 50; x < 1700; x++) grey[30 * width + x] = 170;
    const src = { data: grey, offset: 0, stride: width, width, height };
    const stride = (width + 7) >>> 3;
    const bits = new Uint8Array(stride * height);
    thresholdRowsInto(src, 128, true, bits, stride);
    for (const compression of compressions) {
      for (const extra of extras) {
        const opts = { compression, ...extra };
        const a = new TiffPageWriter(opts);
        a.add({ width, height, stride, data: bits, xDpi: 204, yDpi: 196 });
        const b = new TiffPageWriter(opts);
        b.addRows({ rows: new GreyRowChanges(src, 128, true), xDpi: 204, yDpi: 196 });
        assert.deepEqual(b.finish(), a.finish(), `${compression} ${JSON.stringify(extra)}`);
      }
    }
  });

  it('forEachFaxPageRows + addRows = forEachFaxPage + add: PDF (threshold and dither, mixed page sizes), TIFF', async () => {
    const pdf = await mixedPdf();
    const tiff = writeTiff([docBitmap(1728, 120, 3, { x: 204, y: 196 }), { bitmap: docBitmap(1728, 80, 4, { x: 204, y: 196 }), quality: { badRows: 2, longestBadRun: 1 } }]);
    const cases: [string, Uint8Array, ToFaxOptions][] = [
      ['pdf fine', pdf, {}],
      ['pdf standard', pdf, { resolution: 'standard' }],
      ['pdf threshold 160', pdf, { threshold: 160 }],
      ['pdf dither', pdf, { method: 'dither', resolution: 'standard' }],
      ['tiff', tiff, {}],
    ];
    for (const [name, bytes, opts] of cases) {
      for (const compression of ['mh', 'mmr', 'packbits'] as TiffCompression[]) {
        const a = new TiffPageWriter({ compression });
        const seenA: [number, number][] = [];
        const ra = await forEachFaxPage(bytes, opts, (p, i, n) => {
          a.add(p);
          seenA.push([i, n]);
        });
        const b = new TiffPageWriter({ compression });
        const seenB: [number, number][] = [];
        const rb = await forEachFaxPageRows(bytes, opts, (p, i, n) => {
          b.addRows(p);
          seenB.push([i, n]);
        });
        assert.ok(ra.ok && rb.ok, name);
        assert.equal(rb.value, ra.value, name);
        assert.deepEqual(seenB, seenA, name);
        assert.deepEqual(b.finish(), a.finish(), `${name} ${compression}`);
      }
    }
  });

  it('forEachFaxPageRows: a refusal is the typed error; the callback’s exception comes out as it is', async () => {
    const pdf = await mixedPdf();
    const r = await forEachFaxPageRows(pdf, { maxPages: 2 }, () => undefined);
    assert.ok(!r.ok && r.error.code === 'too-many-pages' && r.error.format === 'pdf');
    const boom = new Error('boom');
    const before = await pdfRendererHeapBytes();
    await assert.rejects(
      forEachFaxPageRows(pdf, {}, () => {
        throw boom;
      }),
      (e) => e === boom,
    );
    // The document and its pixel buffer were freed: the heap did not grow for them.
    assert.equal(await pdfRendererHeapBytes(), before);
  });

  it('misuse of addRows throws FaxwireError: an empty page', () => {
    assert.throws(() => new TiffPageWriter().addRows({ rows: { width: 0, height: 2, changesAt: () => 0 } }), FaxwireError);
    assert.throws(() => new TiffPageWriter().addRows({ rows: { width: 8, height: 0, changesAt: () => 0 } }), FaxwireError);
  });
});
