/**
 * `faxwire convert` end to end: the compiled CLI on files made in the test, every output
 * format, page naming for PNG, options, and the exit codes (0 done, 1 bad input, 2 usage).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPnm, writePbm } from '../../../src/image/pnm.js';
import { readTiff } from '../../../src/image/tiff-read.js';
import { readPng, writeGreyPng } from '../../../src/image/png.js';
import { pageFileNames } from '../../../src/cli/pages-out.js';
import { bitmapsEqual, docBitmap } from '../image/helpers.js';
import { pngTallThin, tiffManyPagesOneStrip } from '../image/bombs.js';
import { cli } from './helpers.js';

describe('faxwire convert (CLI)', () => {
  let dir = '';
  const pages = [docBitmap(1728, 120, 1), docBitmap(1728, 90, 2), docBitmap(1728, 60, 3)];
  const p = (name: string): string => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-convert-'));
    writeFileSync(p('in.pbm'), writePbm(pages));
    const w = 600;
    const h = 800;
    const data = new Uint8Array(w * h).fill(255);
    for (let y = 100; y < 700; y++) for (let x = 100; x < 500; x++) data[y * w + x] = Math.round((x - 100) * 0.6);
    writeFileSync(p('photo.png'), writeGreyPng({ width: w, height: h, data, xDpi: 100, yDpi: 100 }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('PBM → TIFF (MMR): pages kept pixel for pixel', () => {
    const r = cli('convert', p('in.pbm'), p('out.tif'), '--compression', 'mmr');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /3 pages, 1728×120, 204×196 dpi, MMR/);
    const t = readTiff(readFileSync(p('out.tif')));
    assert.ok(t.ok);
    assert.equal(t.value.length, 3);
    assert.equal(t.value[0]!.info.compression, 4);
    t.value.forEach((pg, i) => assert.ok(pg.raster.kind === 'bilevel' && bitmapsEqual(pg.raster.bitmap, pages[i]!)));
  });
  it('TIFF → PDF and → PNG (one file per page: out-1.png …)', () => {
    assert.equal(cli('convert', p('in.pbm'), p('mid.tif')).code, 0);
    const r = cli('convert', p('mid.tif'), p('out.pdf'));
    assert.equal(r.code, 0, r.err);
    assert.equal(Buffer.from(readFileSync(p('out.pdf'))).subarray(0, 5).toString(), '%PDF-');
    const q = cli('convert', p('mid.tif'), p('out.png'));
    assert.equal(q.code, 0, q.err);
    assert.equal(existsSync(p('out.png')), false);
    for (let i = 1; i <= 3; i++) {
      const png = readPng(readFileSync(p(`out-${i}.png`)));
      assert.ok(png.ok && png.value.kind === 'bilevel' && bitmapsEqual(png.value.bitmap, pages[i - 1]!), `page ${i}`);
    }
    assert.deepEqual(pageFileNames('/a/b.png', 1), ['/a/b.png']);
    assert.deepEqual(pageFileNames('/a/b.png', 2), ['/a/b-1.png', '/a/b-2.png']);
  });
  it('grey PNG → PBM at standard resolution on Letter, dithered', () => {
    const r = cli('convert', p('photo.png'), p('photo.pbm'), '--resolution', 'standard', '--paper', 'letter', '--dither');
    assert.equal(r.code, 0, r.err);
    const pbm = readPnm(readFileSync(p('photo.pbm')));
    const first = pbm.ok ? pbm.value[0] : undefined;
    assert.ok(first && first.kind === 'bilevel');
    const b = first.bitmap;
    assert.deepEqual([b.width, b.height], [1728, Math.round(279.4 * 3.85)]);
    // The ramp is grey, so dithering puts some — but not all — black into it.
    let black = 0;
    for (const v of b.data) for (let k = 0; k < 8; k++) black += (v >> k) & 1;
    const ratio = black / (b.width * b.height);
    assert.ok(ratio > 0.05 && ratio < 0.5, `black ratio ${ratio}`);
  });
  it('exit 2 on usage errors', () => {
    assert.equal(cli('convert').code, 2);
    assert.equal(cli('convert', p('in.pbm')).code, 2);
    assert.equal(cli('convert', p('in.pbm'), p('x.jpg')).code, 2);
    assert.match(cli('convert', p('in.pbm'), p('x.jpg')).err, /\.tif, \.tiff, \.pdf, \.png or \.pbm/);
    assert.equal(cli('convert', p('in.pbm'), p('x.tif'), '--resolution', 'ultra').code, 2);
    assert.equal(cli('convert', p('in.pbm'), p('x.tif'), '--compression', 'jbig').code, 2);
    assert.equal(cli('convert', p('in.pbm'), p('x.tif'), '--paper', 'a5').code, 2);
    assert.equal(cli('convert', p('in.pbm'), p('x.tif'), '--bogus').code, 2);
    assert.match(cli('help').out, /faxwire convert/);
  });
  it('exit 1 on a missing or bad input file, with a clear message', () => {
    const m = cli('convert', p('nope.tif'), p('x.tif'));
    assert.equal(m.code, 1);
    assert.match(m.err, /cannot read/);
    writeFileSync(p('junk.tif'), 'this is not an image');
    const j = cli('convert', p('junk.tif'), p('x.pdf'));
    assert.equal(j.code, 1);
    assert.match(j.err, /unknown-format/);
    const cut = readFileSync(p('mid.tif')).subarray(0, 300);
    writeFileSync(p('cut.tif'), cut);
    const c = cli('convert', p('cut.tif'), p('x.pdf'));
    assert.equal(c.code, 1);
    assert.match(c.err, /bad TIFF file \(bad-ifd\): page 2: IFD offset \d+ is beyond the end of the file \(size 300\)/);
  });
  it('the document budget: a bomb is refused with one line naming the budget and its option; options raise or lower it', () => {
    writeFileSync(p('tall.png'), pngTallThin());
    const r = cli('convert', p('tall.png'), p('tall.tif'), '--paper', 'unlimited');
    assert.equal(r.code, 1);
    assert.match(r.err, /^faxwire convert: .*tall\.png: PNG file over the budget \(limit\): page 1: the page would be \d+ mm long .*maxPageLengthMm 1000 \(see --max-page-length\)\n$/);
    assert.equal(cli('convert', p('tall.png'), p('tall.tif'), '--paper', 'unlimited', '--max-page-length', '5000').code, 1);
    writeFileSync(p('many.tif'), tiffManyPagesOneStrip(3, 1000));
    const m = cli('convert', p('many.tif'), p('many.pdf'), '--max-pages', '2');
    assert.equal(m.code, 1);
    assert.match(m.err, /\(too-many-pages\).*\(see --max-pages\)/);
    const t = cli('convert', p('many.tif'), p('many.pdf'), '--max-total-pixels', '2500000');
    assert.match(t.err, /\(limit\): page 3 \(1000×1000\).*over maxTotalPixels 2500000 \(see --max-total-pixels\)/);
    assert.equal(cli('convert', p('many.tif'), p('many.pdf')).code, 0);
    assert.equal(cli('convert', p('many.tif'), p('many.pdf'), '--max-pages', '0').code, 2);
    assert.equal(cli('convert', p('many.tif'), p('many.pdf'), '--max-pixels', 'lots').code, 2);
  });
});
