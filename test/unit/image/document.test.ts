/**
 * Documents in and out: format sniffing, fax pages passing through untouched, other pages
 * fitted, quality figures carried from a received page into the TIFF fields, every output
 * format read back.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as jpeg from 'jpeg-js';
import { PDFDocument } from 'pdf-lib';
import { createBitmap } from '../../../src/t4/bitmap.js';
import { documentToFaxPages, readRasterPages, sniffFormat, writeDocument } from '../../../src/image/document.js';
import { writeGreyPng, writePng, readPng } from '../../../src/image/png.js';
import { readPnm, writePbm } from '../../../src/image/pnm.js';
import { readTiff, parseTiffStructure, pageInfo } from '../../../src/image/tiff-read.js';
import { writeTiff } from '../../../src/image/tiff-write.js';
import { renderPdf } from '../../../src/image/pdf-read.js';
import { greyToBitmap } from '../../../src/image/grey.js';
import { bitmapsEqual, docBitmap } from './helpers.js';

describe('sniffFormat', () => {
  it('recognises files by their first octets', async () => {
    assert.equal(sniffFormat(writeTiff([createBitmap(8, 1)])), 'tiff');
    assert.equal(sniffFormat(writeTiff([createBitmap(8, 1)], { byteOrder: 'MM' })), 'tiff');
    assert.equal(sniffFormat(writePng(createBitmap(8, 1))), 'png');
    assert.equal(sniffFormat(writePbm([createBitmap(8, 1)])), 'pnm');
    const j = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 255) }, 50).data;
    assert.equal(sniffFormat(Uint8Array.from(j)), 'jpeg');
    assert.equal(sniffFormat(await (await PDFDocument.create()).save()), 'pdf');
    assert.equal(sniffFormat(Uint8Array.from(Buffer.from('hello world'))), undefined);
    assert.equal(sniffFormat(new Uint8Array(0)), undefined);
  });
});

describe('documentToFaxPages', () => {
  it('a received fax TIFF passes through untouched, with the quality recorded in the file', async () => {
    const a = docBitmap(1728, 100, 1, { x: 204, y: 196 });
    const b = docBitmap(2048, 50, 2, { x: 204, y: 98 });
    const file = writeTiff([{ bitmap: a, quality: { badRows: 4, longestBadRun: 2, cleanFaxData: 2 } }, { bitmap: b }], { compression: 'mmr' });
    const r = await documentToFaxPages(file);
    assert.ok(r.ok);
    assert.equal(r.value.length, 2);
    assert.ok(bitmapsEqual(r.value[0]!.bitmap, a));
    assert.ok(bitmapsEqual(r.value[1]!.bitmap, b));
    assert.deepEqual(r.value[0]!.quality, { badRows: 4, longestBadRun: 2, cleanFaxData: 2 });
    assert.equal(r.value[1]!.quality, undefined);
    assert.equal(r.value[1]!.bitmap.yDpi, 98);
  });
  it('a fax page at another resolution than asked is rescaled', async () => {
    const a = docBitmap(1728, 2287, 1, { x: 204, y: 196 });
    const r = await documentToFaxPages(writeTiff([a]), { resolution: 'standard' });
    assert.ok(r.ok);
    const p = r.value[0]!.bitmap;
    assert.deepEqual([p.width, p.height, p.yDpi], [1728, 1143, 98]);
  });
  it('a 1728-wide PBM without resolution is taken as a fine fax page', async () => {
    const a = docBitmap(1728, 40, 5);
    const r = await documentToFaxPages(writePbm([a]));
    assert.ok(r.ok);
    assert.ok(bitmapsEqual(r.value[0]!.bitmap, a));
    assert.equal(r.value[0]!.bitmap.xDpi, 204);
    assert.equal(r.value[0]!.bitmap.yDpi, 196);
  });
  it('a grey 300 dpi A4 scan becomes a 1728 × 2287 fine page; dither only with --dither', async () => {
    const w = 2480;
    const h = 3508;
    const data = new Uint8Array(w * h).fill(160); // 37 % grey
    const png = writeGreyPng({ width: w, height: h, data, xDpi: 300, yDpi: 300 });
    const t = await documentToFaxPages(png);
    assert.ok(t.ok);
    const b = t.value[0]!.bitmap;
    assert.deepEqual([b.width, b.height, b.xDpi, b.yDpi], [1728, 2287, 204, 196]);
    assert.ok(b.data.every((v) => v === 0), 'threshold: all white');
    const d = await documentToFaxPages(png, { method: 'dither', resolution: 'standard', paper: 'letter' });
    assert.ok(d.ok);
    const db = d.value[0]!.bitmap;
    assert.deepEqual([db.width, db.height], [1728, Math.round(279.4 * 3.85)]);
    assert.ok(db.data.some((v) => v !== 0));
  });
  it('unknown and broken files are typed errors with the format named', async () => {
    const u = await documentToFaxPages(Uint8Array.from(Buffer.from('plain text')));
    assert.ok(!u.ok && u.error.code === 'unknown-format');
    const t = writeTiff([createBitmap(8, 8)]).subarray(0, 20);
    const e = await documentToFaxPages(t);
    assert.ok(!e.ok && e.error.format === 'tiff' && e.error.code === 'truncated');
    const r = readRasterPages(Uint8Array.from(Buffer.from('%PDF-1.4')));
    assert.ok(!r.ok);
  });
});

describe('robustness', () => {
  it('random bytes behind every magic never throw (PDF included: PDFium errors become values)', async () => {
    const magics = [[0x49, 0x49, 42, 0], [0x4d, 0x4d, 0, 42], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], [0x50, 0x34, 0x0a], [0x50, 0x35, 0x20], [...Buffer.from('%PDF-1.4\n')], []];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 400 }), async (magic, body) => {
        const r = await documentToFaxPages(new Uint8Array([...magic, ...body]), { maxPixels: 1 << 20 });
        if (!r.ok) assert.equal(typeof r.error.message, 'string');
      }),
      { numRuns: 200 },
    );
  });
});

describe('writeDocument', () => {
  const pages = [
    { bitmap: docBitmap(1728, 60, 1, { x: 204, y: 98 }), quality: { badRows: 3, longestBadRun: 3 } },
    { bitmap: docBitmap(1728, 80, 2, { x: 204, y: 196 }) },
  ];
  it('TIFF: one file, every page, quality fields', async () => {
    const [f] = await writeDocument(pages, 'tiff', { tiff: { compression: 'mr' } });
    assert.ok(f);
    const r = readTiff(f);
    assert.ok(r.ok);
    r.value.forEach((p, i) => assert.ok(p.raster.kind === 'bilevel' && bitmapsEqual(p.raster.bitmap, pages[i]!.bitmap)));
    const s = parseTiffStructure(f);
    assert.ok(s.ok);
    const i0 = pageInfo(f, s.value, 0);
    assert.ok(i0.ok && i0.value.badFaxLines === 3 && i0.value.consecutiveBadFaxLines === 3 && i0.value.cleanFaxData === 1);
  });
  it('PNG: one file per page; PBM: one file; PDF: one file rendering to the pages', async () => {
    const png = await writeDocument(pages, 'png');
    assert.equal(png.length, 2);
    png.forEach((f, i) => {
      const r = readPng(f);
      assert.ok(r.ok && r.value.kind === 'bilevel' && bitmapsEqual(r.value.bitmap, pages[i]!.bitmap));
    });
    const pbm = await writeDocument(pages, 'pbm');
    assert.equal(pbm.length, 1);
    const r = readPnm(pbm[0]!);
    assert.ok(r.ok && r.value.length === 2);
    const [pdf] = await writeDocument(pages, 'pdf');
    const g = await renderPdf(pdf!, { x: 204, y: 98 });
    assert.ok(g.ok);
    assert.ok(bitmapsEqual(greyToBitmap(g.value[0]!), pages[0]!.bitmap));
  });
});
