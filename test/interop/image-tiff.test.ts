/**
 * faxwire's TIFF against libtiff (libtiff-tools: tiffinfo, tiffcp, tiffcmp):
 * - TIFFs faxwire writes (MH/MR/MMR/RLE, both fill orders, strips, fill bits, big-endian) pass
 *   tiffinfo without a warning, decode in libtiff without an error, and decode to exactly our
 *   pixels — by tiffcmp against a libtiff-coded reference and byte for byte after
 *   `tiffcp -c none -f msb2lsb`;
 * - the CCITT files of the corpus (libtiff.net test cases, spandsp's itutests.tif) read
 *   pixel-identical to libtiff's own decoding, and the CCITT test pages to the spandsp PBMs;
 * - grey, RGB, palette, LZW (with and without predictor), Deflate, PackBits and tiled files that
 *   libtiff writes read back to the samples we gave it.
 */

import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CORPUS, filesUnder, need } from './util.js';
import type { Bitmap } from '../../src/t4/bitmap.js';
import { pageInfo, parseTiffStructure, readTiff, type TiffPage } from '../../src/image/tiff-read.js';
import { writeTiff, type TiffCompression, type TiffWriteOptions } from '../../src/image/tiff-write.js';
import { readPnm } from '../../src/image/pnm.js';
import { docBitmap, handTiff, type HandEntry } from '../unit/image/helpers.js';

const LIBTIFF_NET = join(CORPUS, 'libtiff.net');
const SPANDSP = join(CORPUS, 'spandsp');
const TOOLS = ['tiffinfo', 'tiffcp', 'tiffcmp'];

function sh(cmd: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * libtiff's decoding of every page: `tiffcp -c none -f msb2lsb`, then the raw strips taken as
 * they are (only the file structure is parsed here, no decoder of ours is involved), inverted
 * for PhotometricInterpretation 1.
 */
function libtiffPages(file: string, dir: string): { width: number; height: number; data: Uint8Array }[] {
  const out = join(dir, `${basename(file)}.libtiff-none.tif`);
  const r = sh('tiffcp', ['-c', 'none', '-f', 'msb2lsb', '-s', file, out]);
  assert.equal(r.code, 0, `tiffcp failed on ${file}: ${r.err}`);
  const bytes = readFileSync(out);
  const s = parseTiffStructure(bytes);
  assert.ok(s.ok);
  return s.value.ifds.map((_, i) => {
    const info = pageInfo(bytes, s.value, i);
    assert.ok(info.ok);
    const { width, height, chunks, compression, fillOrder, photometric, bitsPerSample, tiled } = info.value;
    assert.deepEqual([compression, fillOrder, bitsPerSample, tiled], [1, 1, 1, false]);
    const stride = (width + 7) >>> 3;
    const data = new Uint8Array(stride * height);
    let o = 0;
    for (const c of chunks) {
      const n = Math.min(c.byteCount, data.length - o);
      data.set(bytes.subarray(c.offset, c.offset + n), o);
      o += n;
    }
    assert.equal(o, data.length, `${file} page ${i + 1}: libtiff wrote ${o} of ${data.length} octets`);
    // Min-is-black, or a 2-colour palette whose entry 1 is the lighter: stored 1 = white.
    const cm = info.value.colorMap;
    const lum = (k: number): number => (cm ? 0.299 * cm[k]! + 0.587 * cm[2 + k]! + 0.114 * cm[4 + k]! : 0);
    if (photometric === 1 || (photometric === 3 && lum(1) > lum(0))) for (let k = 0; k < data.length; k++) data[k] = ~data[k]! & 0xff;
    // Padding bits past the width are not defined by TIFF: clear them as our Bitmap does.
    const rem = width & 7;
    if (rem) for (let y = 0; y < height; y++) data[y * stride + stride - 1]! &= (0xff00 >>> rem) & 0xff;
    return { width, height, data };
  });
}

function ours(file: string): TiffPage[] {
  const r = readTiff(readFileSync(file));
  assert.ok(r.ok, r.ok ? '' : `${file}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

function bilevelOf(p: TiffPage): Bitmap {
  assert.equal(p.raster.kind, 'bilevel');
  if (p.raster.kind !== 'bilevel') throw new Error('unreachable');
  return p.raster.bitmap;
}

function firstDiff(a: Uint8Array, b: Uint8Array, stride: number): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `first difference at row ${Math.floor(i / stride)}, octet ${i % stride}`;
  }
  return 'identical';
}

describe('TIFFs faxwire writes, checked by libtiff', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-tiff-interop-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pages = [docBitmap(1728, 400, 21, { x: 204, y: 196 }), docBitmap(2048, 150, 22, { x: 204, y: 98 }), docBitmap(1728, 97, 23, { x: 204, y: 391 })];
  const cases: { name: string; opts: TiffWriteOptions }[] = [];
  for (const compression of ['mh', 'mr', 'mmr', 'rle'] as TiffCompression[]) {
    for (const fillOrder of [1, 2] as const) {
      cases.push({ name: `${compression} FillOrder ${fillOrder}`, opts: { compression, fillOrder } });
    }
  }
  cases.push(
    { name: 'mh 64 rows/strip', opts: { compression: 'mh', rowsPerStrip: 64 } },
    { name: 'mr k=4 fill bits, FillOrder 2, 50 rows/strip', opts: { compression: 'mr', k: 4, fillBits: true, fillOrder: 2, rowsPerStrip: 50 } },
    { name: 'mh fill bits', opts: { compression: 'mh', fillBits: true } },
    { name: 'mmr big-endian, 100 rows/strip', opts: { compression: 'mmr', byteOrder: 'MM', rowsPerStrip: 100 } },
    { name: 'mr big-endian', opts: { compression: 'mr', byteOrder: 'MM' } },
  );

  for (const c of cases) {
    it(`${c.name}: tiffinfo clean, libtiff decodes to our pixels`, (t: TestContext) => {
      if (!need(t, { tools: TOOLS })) return;
      const file = join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '_')}.tif`);
      writeFileSync(file, writeTiff([{ bitmap: pages[0]! }, { bitmap: pages[1]!, quality: { badRows: 7, longestBadRun: 3 } }, { bitmap: pages[2]! }], c.opts));
      const info = sh('tiffinfo', [file]);
      assert.equal(info.code, 0);
      assert.equal(info.err, '', `tiffinfo warned: ${info.err}`);
      assert.equal((info.out.match(/TIFF Directory at offset/g) ?? []).length, 3);
      assert.match(info.out, /Fax Data: receiver regenerated/); // CleanFaxData 1 on page 2
      assert.match(info.out, /Bad Fax Lines: 7/);
      assert.match(info.out, /Consecutive Bad Fax Lines: 3/);
      assert.match(info.out, /Resolution: 204, 391 pixels\/inch/);
      // Byte for byte against libtiff's decoding.
      const lib = libtiffPages(file, dir);
      assert.equal(lib.length, 3);
      lib.forEach((p, i) => {
        const want = pages[i]!;
        assert.deepEqual([p.width, p.height], [want.width, want.height]);
        assert.ok(Buffer.compare(Buffer.from(p.data), Buffer.from(want.data)) === 0, `page ${i + 1}: ${firstDiff(p.data, want.data, want.stride)}`);
      });
      // tiffcmp (image data only) against a reference libtiff itself coded from our uncompressed file.
      const none = join(dir, 'ref-none.tif');
      writeFileSync(none, writeTiff(pages, { compression: 'none' }));
      const ref = join(dir, 'ref-libtiff.tif');
      const libCoding = c.opts.compression === 'mmr' ? 'g4' : c.opts.compression === 'mr' ? 'g3:2d' : c.opts.compression === 'rle' ? 'none' : 'g3:1d';
      const made = sh('tiffcp', ['-c', libCoding, none, ref]);
      assert.equal(made.code, 0, made.err);
      const cmp = sh('tiffcmp', ['-t', file, ref]);
      assert.equal(cmp.code, 0, `tiffcmp: ${cmp.out}${cmp.err}`);
    });
  }

  it('tiffcmp notices a one-pixel difference (the comparison can fail)', (t: TestContext) => {
    if (!need(t, { tools: TOOLS })) return;
    const a = docBitmap(64, 16, 1);
    const b = { ...a, data: a.data.slice() };
    b.data[17]! ^= 0x10;
    writeFileSync(join(dir, 'a.tif'), writeTiff([a], { compression: 'mmr' }));
    writeFileSync(join(dir, 'b.tif'), writeTiff([b], { compression: 'mmr' }));
    assert.equal(sh('tiffcmp', ['-t', join(dir, 'a.tif'), join(dir, 'b.tif')]).code, 1);
  });
});

describe('corpus CCITT TIFFs read as libtiff reads them', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-tiff-corpus-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const files = filesUnder(LIBTIFF_NET, /\.tiff?$/i).filter((f) => !/Premature/.test(f));
  it('the corpus is there', (t: TestContext) => {
    if (!need(t, { files: [LIBTIFF_NET] })) return;
    assert.ok(files.length >= 40, `only ${files.length} files`);
  });
  for (const f of files) {
    it(`${f.slice(LIBTIFF_NET.length + 1)}`, (t: TestContext) => {
      if (!need(t, { tools: TOOLS, files: [f] })) return;
      const mine = ours(f);
      const lib = libtiffPages(f, dir);
      assert.equal(mine.length, lib.length);
      mine.forEach((p, i) => {
        const b = bilevelOf(p);
        const l = lib[i]!;
        assert.deepEqual([b.width, b.height], [l.width, l.height]);
        assert.ok(Buffer.compare(Buffer.from(b.data), Buffer.from(l.data)) === 0, `page ${i + 1}: ${firstDiff(b.data, l.data, b.stride)}`);
        if (p.raster.kind === 'bilevel' && p.raster.quality) assert.equal(p.raster.quality.badRows, 0);
      });
    });
  }
  it('CCITT_1…8 are the spandsp ITU test pages (independent PBMs)', (t: TestContext) => {
    const pbms = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => join(SPANDSP, 'test-data', 'itu', 'fax', `itu${n}.pbm`));
    if (!need(t, { files: [LIBTIFF_NET, ...pbms] })) return;
    for (let n = 1; n <= 8; n++) {
      const b = bilevelOf(ours(join(LIBTIFF_NET, 'TestCase', `CCITT_${n}.TIF`))[0]!);
      const r = readPnm(readFileSync(pbms[n - 1]!));
      const p = r.ok ? r.value[0] : undefined;
      assert.ok(p && p.kind === 'bilevel');
      assert.ok(Buffer.compare(Buffer.from(b.data), Buffer.from(p.bitmap.data)) === 0, `itu${n}: ${firstDiff(b.data, p.bitmap.data, b.stride)}`);
    }
  });
  it('G3_Premature_EOL.tif (libtiff: "Premature EOL at line 0") reads with bad rows counted', (t: TestContext) => {
    const f = join(LIBTIFF_NET, 'TestCase', 'G3_Premature_EOL.tif');
    if (!need(t, { files: [f] })) return;
    const [p] = ours(f);
    assert.ok(p && p.raster.kind === 'bilevel' && p.raster.quality);
    assert.ok(p.raster.quality.badRows + p.raster.quality.missingRows > 0);
  });
  it('spandsp itutests.tif: 12 MH pages, fine resolution; pages 1–8 are the ITU test pages', (t: TestContext) => {
    const f = join(SPANDSP, 'derived', 'itutests.tif');
    if (!need(t, { tools: TOOLS, files: [f] })) return;
    const mine = ours(f);
    assert.equal(mine.length, 12);
    const lib = libtiffPages(f, dir);
    mine.forEach((p, i) => {
      const b = bilevelOf(p);
      assert.equal(b.width, 1728);
      assert.deepEqual([p.info.compression, p.info.xDpi, p.info.yDpi], [3, 204, 196]);
      assert.ok(Buffer.compare(Buffer.from(b.data), Buffer.from(lib[i]!.data)) === 0, `page ${i + 1}: ${firstDiff(b.data, lib[i]!.data, b.stride)}`);
      if (i < 8) {
        const r = readPnm(readFileSync(join(SPANDSP, 'test-data', 'itu', 'fax', `itu${i + 1}.pbm`)));
        const pb = r.ok ? r.value[0] : undefined;
        assert.ok(pb && pb.kind === 'bilevel');
        // 2376 rows of the page + 6 white rows left by pbmtog3/fax2tiff (corpus SOURCES.md).
        assert.equal(b.height, 2382);
        assert.ok(Buffer.compare(Buffer.from(b.data.subarray(0, pb.bitmap.data.length)), Buffer.from(pb.bitmap.data)) === 0, `page ${i + 1} vs itu${i + 1}.pbm`);
        assert.ok(b.data.subarray(pb.bitmap.data.length).every((v) => v === 0));
      }
    });
  });
});

describe('document TIFFs libtiff writes (grey, colour, palette; LZW, Deflate, PackBits; tiles)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-tiff-docs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const W = 300;
  const H = 200;
  const grey = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) grey[y * W + x] = (x * 7 + y * 3 + ((x * y) >> 5)) & 0xff;
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    rgb[3 * i] = grey[i]!;
    rgb[3 * i + 1] = (grey[i]! * 3) & 0xff;
    rgb[3 * i + 2] = 255 - grey[i]!;
  }
  const entries = (spp: number, photometric: number, bytes: number): HandEntry[] => [
    { tag: 256, type: 3, values: [W] },
    { tag: 257, type: 3, values: [H] },
    { tag: 258, type: 3, values: new Array<number>(spp).fill(8) },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [photometric] },
    { tag: 273, type: 4, values: (at) => [...at] },
    { tag: 277, type: 3, values: [spp] },
    { tag: 278, type: 3, values: [H] },
    { tag: 279, type: 4, values: [bytes] },
    { tag: 284, type: 3, values: [1] },
  ];
  const luma = (i: number): number => Math.round(0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!);

  const variants: [string, string[]][] = [
    ['lzw', ['-c', 'lzw']],
    ['lzw predictor 2', ['-c', 'lzw:2']],
    ['deflate predictor 2', ['-c', 'zip:2']],
    ['packbits, 17 rows/strip', ['-c', 'packbits', '-r', '17']],
    ['tiled 64×32, lzw', ['-c', 'lzw', '-t', '-w', '64', '-l', '32']],
  ];
  for (const [name, args] of variants) {
    it(`grey and RGB, ${name}`, (t: TestContext) => {
      if (!need(t, { tools: TOOLS })) return;
      for (const [kind, spp, samples] of [['grey', 1, grey], ['rgb', 3, rgb]] as const) {
        const src = join(dir, `${kind}.tif`);
        writeFileSync(src, handTiff([{ entries: entries(spp, spp === 1 ? 1 : 2, samples.length), data: [samples] }], true));
        const out = join(dir, `${kind}-${name.replace(/\W+/g, '_')}.tif`);
        const r = sh('tiffcp', [...args, src, out]);
        assert.equal(r.code, 0, r.err);
        const [p] = ours(out);
        assert.ok(p && p.raster.kind === 'grey', `${kind}: ${p?.raster.kind}`);
        const img = p.raster.image;
        for (let i = 0; i < W * H; i++) {
          const want = spp === 1 ? grey[i]! : luma(i);
          if (img.data[i] !== want) assert.fail(`${kind} ${name}: pixel ${i % W},${Math.floor(i / W)} is ${img.data[i]}, expected ${want}`);
        }
      }
    });
  }
  it('bilevel G4 in tiles (tiffcp -t), and MINISBLACK G4', (t: TestContext) => {
    if (!need(t, { tools: TOOLS })) return;
    const b = docBitmap(200, 90, 31, { x: 200, y: 200 });
    const src = join(dir, 'bi.tif');
    writeFileSync(src, writeTiff([b], { compression: 'none' }));
    const tiled = join(dir, 'bi-tiled.tif');
    assert.equal(sh('tiffcp', ['-c', 'g4', '-t', '-w', '64', '-l', '32', src, tiled]).code, 0);
    const got = bilevelOf(ours(tiled)[0]!);
    assert.ok(Buffer.compare(Buffer.from(got.data), Buffer.from(b.data)) === 0, firstDiff(got.data, b.data, b.stride));
    // MINISBLACK: stored bits are inverted (0 = black); libtiff codes them as they are.
    const inv = b.data.map((v) => ~v & 0xff);
    const mb = join(dir, 'minisblack.tif');
    const e: HandEntry[] = [
      { tag: 256, type: 3, values: [200] },
      { tag: 257, type: 3, values: [90] },
      { tag: 258, type: 3, values: [1] },
      { tag: 259, type: 3, values: [1] },
      { tag: 262, type: 3, values: [1] },
      { tag: 273, type: 4, values: (at) => [...at] },
      { tag: 278, type: 3, values: [90] },
      { tag: 279, type: 4, values: [inv.length] },
    ];
    writeFileSync(mb, handTiff([{ entries: e, data: [inv] }], false));
    const mbg4 = join(dir, 'minisblack-g4.tif');
    assert.equal(sh('tiffcp', ['-c', 'g4', mb, mbg4]).code, 0);
    assert.match(sh('tiffinfo', [mbg4]).out, /min-is-black/);
    const got2 = bilevelOf(ours(mbg4)[0]!);
    assert.ok(Buffer.compare(Buffer.from(got2.data), Buffer.from(b.data)) === 0, firstDiff(got2.data, b.data, b.stride));
  });
});
