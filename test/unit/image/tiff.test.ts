/**
 * TIFF reader and writer: round trips at every compression, fill order, strip layout and byte
 * order; hand-built files (big-endian, SHORT strip tables, photometric 1, grey/palette/RGB,
 * tiles, PackBits/LZW/Deflate); tag values as TIFF 6.0 / TIFF Class F define them; typed errors
 * for malformed files; a truncation sweep with the exact error at each cut; and fuzzing (random
 * bytes and mutated valid files never throw, and never read outside the file).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { pageInfo, parseTiffStructure, readTiff, type TiffErrorCode, type TiffPage } from '../../../src/image/tiff-read.js';
import { toRational, writeTiff, type TiffCompression } from '../../../src/image/tiff-write.js';
import { packBitsRows } from '../../../src/image/packbits.js';
import { bitmapsEqual, docBitmap, handTiff, type HandEntry } from './helpers.js';

const ALL: TiffCompression[] = ['mh', 'mr', 'mmr', 'rle', 'none', 'packbits'];

function bilevel(p: TiffPage | undefined): Bitmap {
  assert.ok(p, 'page missing');
  assert.equal(p.raster.kind, 'bilevel');
  if (p.raster.kind !== 'bilevel') throw new Error('unreachable');
  return p.raster.bitmap;
}

function pages(bytes: Uint8Array): TiffPage[] {
  const r = readTiff(bytes);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

function errorOf(bytes: Uint8Array): { code: TiffErrorCode; message: string } {
  const r = readTiff(bytes);
  assert.equal(r.ok, false, 'expected an error');
  if (r.ok) throw new Error('unreachable');
  return r.error;
}

describe('TIFF round trips', () => {
  const a = docBitmap(1728, 60, 7, { x: 204, y: 98 });
  const b = docBitmap(77, 23, 9, { x: 204, y: 196 }); // width not a multiple of 8: padding bits
  for (const compression of ALL) {
    for (const fillOrder of [1, 2] as const) {
      for (const rowsPerStrip of [undefined, 7]) {
        for (const byteOrder of ['II', 'MM'] as const) {
          it(`${compression}, FillOrder ${fillOrder}, ${rowsPerStrip ? `${rowsPerStrip} rows/strip` : 'one strip'}, ${byteOrder}`, () => {
            const file = writeTiff([{ bitmap: a }, { bitmap: b, quality: { badRows: 2, longestBadRun: 1 } }], {
              compression,
              fillOrder,
              byteOrder,
              ...(rowsPerStrip ? { rowsPerStrip } : {}),
            });
            const got = pages(file);
            assert.equal(got.length, 2);
            assert.ok(bitmapsEqual(bilevel(got[0]), a), 'page 1 pixels');
            assert.ok(bitmapsEqual(bilevel(got[1]), b), 'page 2 pixels');
            assert.equal(got[0]!.info.fillOrder, fillOrder);
            assert.equal(got[0]!.info.chunks.length, rowsPerStrip ? Math.ceil(60 / rowsPerStrip) : 1);
            const q = got[0]!.raster.kind === 'bilevel' ? got[0]!.raster.quality : undefined;
            if (compression === 'none' || compression === 'packbits') assert.equal(q, undefined);
            else assert.deepEqual(q, { badRows: 0, longestBadRun: 0, missingRows: 0 });
          });
        }
      }
    }
  }
  it('MR with octet-aligned EOLs (T4Options bit 2) and k = 4', () => {
    const file = writeTiff([a], { compression: 'mr', fillBits: true, k: 4 });
    assert.ok(bitmapsEqual(bilevel(pages(file)[0]), a));
    assert.equal(pages(file)[0]!.info.t4Options, 5);
  });
  it('random bitmaps survive every compression (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        fc.constantFrom(...ALL),
        fc.constantFrom(1 as const, 2 as const),
        (w, h, seed, compression, fillOrder) => {
          const bm = docBitmap(w, h, seed);
          const got = bilevel(pages(writeTiff([bm], { compression, fillOrder, rowsPerStrip: 1 + (seed & 7) }))[0]);
          assert.ok(bitmapsEqual(got, bm));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('TIFF tag values (TIFF 6.0 §8, §11; TIFF Class F)', () => {
  it('writes the Class F fields', () => {
    const p1 = { ...createBitmap(1728, 10), xDpi: 204, yDpi: 98 };
    const p2 = { ...createBitmap(1728, 10), xDpi: 204, yDpi: 391 };
    const file = writeTiff([{ bitmap: p1 }, { bitmap: p2, quality: { badRows: 12, longestBadRun: 5 } }], { compression: 'mr', fillOrder: 2, dateTime: '2024:01:02 03:04:05' });
    const s = parseTiffStructure(file);
    assert.ok(s.ok);
    const i1 = pageInfo(file, s.value, 0);
    const i2 = pageInfo(file, s.value, 1);
    assert.ok(i1.ok && i2.ok);
    assert.equal(i1.value.compression, 3);
    assert.equal(i1.value.t4Options, 1); // 2-D coding
    assert.equal(i1.value.photometric, 0); // min-is-white
    assert.equal(i1.value.fillOrder, 2);
    assert.equal(i1.value.bitsPerSample, 1);
    assert.equal(i1.value.xDpi, 204);
    assert.equal(i1.value.yDpi, 98);
    assert.equal(i2.value.yDpi, 391);
    assert.deepEqual(i1.value.pageNumber, [0, 2]);
    assert.deepEqual(i2.value.pageNumber, [1, 2]);
    assert.equal(i1.value.badFaxLines, undefined);
    assert.equal(i2.value.badFaxLines, 12);
    assert.equal(i2.value.cleanFaxData, 1); // regenerated: our decoder conceals bad rows
    assert.equal(i2.value.consecutiveBadFaxLines, 5);
    assert.equal(i1.value.software, 'faxwire');
    // Raw entries: NewSubfileType = 2 (page of a multi-page document), ResolutionUnit = 2 (inch),
    // tags ascending, IFD on a word boundary.
    const ifd = s.value.ifds[0]!;
    const tags = [...ifd.entries.keys()];
    assert.deepEqual(tags, [...tags].sort((x, y) => x - y));
    assert.equal(ifd.offset % 2, 0);
    const dv = new DataView(file.buffer, file.byteOffset);
    const val = (tag: number): number => dv.getUint32(ifd.entries.get(tag)!.at + 8, true);
    assert.equal(val(254), 2);
    assert.equal(val(296) & 0xffff, 2);
    assert.ok(ifd.entries.has(306));
  });
  it('T6Options for MMR, no T4Options; compression codes 2/3/4/1/32773', () => {
    const codes: Record<TiffCompression, number> = { mh: 3, mr: 3, mmr: 4, rle: 2, none: 1, packbits: 32773 };
    for (const c of ALL) {
      const file = writeTiff([createBitmap(16, 2)], { compression: c });
      const s = parseTiffStructure(file);
      assert.ok(s.ok);
      const e = s.value.ifds[0]!.entries;
      assert.equal(pageInfo(file, s.value, 0).ok && (pageInfo(file, s.value, 0) as { value: { compression: number } }).value.compression, codes[c]);
      assert.equal(e.has(292), c === 'mh' || c === 'mr', `${c} T4Options`);
      assert.equal(e.has(293), c === 'mmr', `${c} T6Options`);
    }
  });
  it('no fax quality fields on non-CCITT pages (they describe CCITT data)', () => {
    const file = writeTiff([{ bitmap: createBitmap(8, 1), quality: { badRows: 1, longestBadRun: 1 } }], { compression: 'none' });
    const s = parseTiffStructure(file);
    assert.ok(s.ok);
    assert.equal(s.value.ifds[0]!.entries.has(326), false);
  });
  it('resolutions as reduced rationals', () => {
    assert.deepEqual(toRational(204), [204, 1]);
    assert.deepEqual(toRational(203.2), [1016, 5]);
    assert.deepEqual(toRational(97.79), [9779, 100]);
  });
  it('a bitmap without resolution gets 204 × 196', () => {
    const i = pages(writeTiff([createBitmap(1728, 1)]))[0]!.info;
    assert.equal(i.xDpi, 204);
    assert.equal(i.yDpi, 196);
  });
});

/** 16 × 3 test pattern, rows: F0 0F / 00 FF / 81 80 (1 = black). */
const PATTERN = Uint8Array.of(0xf0, 0x0f, 0x00, 0xff, 0x81, 0x80);

describe('hand-built TIFFs', () => {
  it('big-endian ("MM"), every value spelt out', () => {
    // prettier-ignore
    const file = Uint8Array.of(
      0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,          // MM, 42, IFD at 8
      0x00, 0x0a,                                              // 10 entries
      0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, // ImageWidth SHORT 16
      0x01, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, // ImageLength SHORT 3
      0x01, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // BitsPerSample 1
      0x01, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // Compression 1
      0x01, 0x06, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // Photometric 0
      0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x96, 0x00, 0x00, // StripOffsets SHORT 150
      0x01, 0x16, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, // RowsPerStrip 3
      0x01, 0x17, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, // StripByteCounts SHORT 6
      0x01, 0x1a, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x86, // XResolution @134
      0x01, 0x1b, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x8e, // YResolution @142
      0x00, 0x00, 0x00, 0x00,                                  // no next IFD
      0x00, 0x00, 0x00, 0xcc, 0x00, 0x00, 0x00, 0x01,          // 204/1
      0x00, 0x00, 0x01, 0x87, 0x00, 0x00, 0x00, 0x01,          // 391/1
      ...PATTERN,
    );
    assert.equal(file.length, 156);
    const [p] = pages(file);
    const bm = bilevel(p);
    assert.deepEqual([bm.width, bm.height, bm.stride, bm.xDpi, bm.yDpi], [16, 3, 2, 204, 391]);
    assert.deepEqual([...bm.data], [...PATTERN]);
  });

  const base = (over: HandEntry[] = [], w = 16, h = 3): HandEntry[] => {
    const m = new Map<number, HandEntry>([
      [256, { tag: 256, type: 4, values: [w] }],
      [257, { tag: 257, type: 4, values: [h] }],
      [258, { tag: 258, type: 3, values: [1] }],
      [259, { tag: 259, type: 3, values: [1] }],
      [262, { tag: 262, type: 3, values: [0] }],
      [273, { tag: 273, type: 4, values: (at) => [...at] }],
      [278, { tag: 278, type: 4, values: [h] }],
    ]);
    for (const e of over) m.set(e.tag, e);
    return [...m.values()];
  };
  const counts = (data: Uint8Array[], type: 3 | 4 = 4): HandEntry => ({ tag: 279, type, values: data.map((d) => d.length) });

  for (const le of [true, false]) {
    const bo = le ? 'II' : 'MM';
    it(`${bo}: two strips with SHORT offsets and counts, PhotometricInterpretation 1 inverted`, () => {
      const data = [PATTERN.subarray(0, 4).map((v) => ~v & 0xff), PATTERN.subarray(4).map((v) => ~v & 0xff)];
      const file = handTiff([{ entries: base([{ tag: 262, type: 3, values: [1] }, { tag: 278, type: 3, values: [2] }, { tag: 273, type: 3, values: (at) => [...at] }, counts(data, 3)]), data }], le);
      assert.deepEqual([...bilevel(pages(file)[0]).data], [...PATTERN]);
    });
    it(`${bo}: FillOrder 2 uncompressed and PackBits`, () => {
      const rev = (v: number): number => parseInt(v.toString(2).padStart(8, '0').split('').reverse().join(''), 2);
      const raw = PATTERN.map(rev);
      const f1 = handTiff([{ entries: base([{ tag: 266, type: 3, values: [2] }, counts([raw])]), data: [raw] }], le);
      assert.deepEqual([...bilevel(pages(f1)[0]).data], [...PATTERN]);
      const pb = packBitsRows(PATTERN, 2, 3).map(rev);
      const f2 = handTiff([{ entries: base([{ tag: 266, type: 3, values: [2] }, { tag: 259, type: 3, values: [32773] }, counts([pb])]), data: [pb] }], le);
      assert.deepEqual([...bilevel(pages(f2)[0]).data], [...PATTERN]);
    });
    it(`${bo}: 8-bit grey, 16-bit grey, 4-bit palette, RGB + alpha`, () => {
      const grey = Uint8Array.of(0, 64, 128, 255);
      const g8 = handTiff([{ entries: base([{ tag: 258, type: 3, values: [8] }, { tag: 262, type: 3, values: [1] }, counts([grey])], 4, 1), data: [grey] }], le);
      const r8 = pages(g8)[0]!.raster;
      assert.equal(r8.kind, 'grey');
      assert.deepEqual(r8.kind === 'grey' ? [...r8.image.data] : [], [0, 64, 128, 255]);
      // WhiteIsZero inverts.
      const g0 = handTiff([{ entries: base([{ tag: 258, type: 3, values: [8] }, counts([grey])], 4, 1), data: [grey] }], le);
      const r0 = pages(g0)[0]!.raster;
      assert.deepEqual(r0.kind === 'grey' ? [...r0.image.data] : [], [255, 191, 127, 0]);
      // 16-bit samples in the file's byte order: 0x8000 → 128.
      const s16 = new Uint8Array(4);
      new DataView(s16.buffer).setUint16(0, 0x8000, le);
      new DataView(s16.buffer).setUint16(2, 0xffff, le);
      const g16 = handTiff([{ entries: base([{ tag: 258, type: 3, values: [16] }, { tag: 262, type: 3, values: [1] }, counts([s16])], 2, 1), data: [s16] }], le);
      const r16 = pages(g16)[0]!.raster;
      assert.deepEqual(r16.kind === 'grey' ? [...r16.image.data] : [], [128, 255]);
      // 4-bit palette: index 0 = red, 1 = white; pixels 0,1.
      const cmap = new Array<number>(48).fill(0);
      cmap[0] = 0xffff; // red[0]
      cmap[1] = cmap[16 + 1] = cmap[32 + 1] = 0xffff; // entry 1 white
      const pal = Uint8Array.of(0x01);
      const p4 = handTiff([{ entries: base([{ tag: 258, type: 3, values: [4] }, { tag: 262, type: 3, values: [3] }, { tag: 320, type: 3, values: cmap }, counts([pal])], 2, 1), data: [pal] }], le);
      const rp = pages(p4)[0]!.raster;
      assert.deepEqual(rp.kind === 'grey' ? [...rp.image.data] : [], [76, 255]);
      // RGBA, unassociated alpha: opaque green, transparent black.
      const rgba = Uint8Array.of(0, 255, 0, 255, 0, 0, 0, 0);
      const pr = handTiff(
        [{ entries: base([{ tag: 258, type: 3, values: [8, 8, 8, 8] }, { tag: 262, type: 3, values: [2] }, { tag: 277, type: 3, values: [4] }, { tag: 338, type: 3, values: [2] }, counts([rgba])], 2, 1), data: [rgba] }],
        le,
      );
      const rr = pages(pr)[0]!.raster;
      assert.deepEqual(rr.kind === 'grey' ? [...rr.image.data] : [], [150, 255]);
    });
  }
  it('Deflate with horizontal predictor; LZW (TIFF 6.0 §13, codes worked out by hand)', () => {
    // Predictor 2: 10, 20, 30, 40 stored as 10, +10, +10, +10.
    const z = Uint8Array.from(deflateSync(Uint8Array.of(10, 10, 10, 10)));
    const fz = handTiff([{ entries: base([{ tag: 258, type: 3, values: [8] }, { tag: 262, type: 3, values: [1] }, { tag: 259, type: 3, values: [8] }, { tag: 317, type: 3, values: [2] }, counts([z])], 4, 1), data: [z] }], true);
    const rz = pages(fz)[0]!.raster;
    assert.deepEqual(rz.kind === 'grey' ? [...rz.image.data] : [], [10, 20, 30, 40]);
    // "ABABABA" (65 66 …): Clear, 65, 66, 258 (AB), 260 (ABA), EOI — 9-bit codes, MSB first.
    const lzw = pack9([256, 65, 66, 258, 260, 257]);
    const fl = handTiff([{ entries: base([{ tag: 258, type: 3, values: [8] }, { tag: 262, type: 3, values: [1] }, { tag: 259, type: 3, values: [5] }, counts([lzw])], 7, 1), data: [lzw] }], false);
    const rl = pages(fl)[0]!.raster;
    assert.deepEqual(rl.kind === 'grey' ? [...rl.image.data] : [], [65, 66, 65, 66, 65, 66, 65]);
    // "AAAA": Clear, 65, 258 (AA, the code being defined: the KwKwK case), 65, EOI.
    const kk = pack9([256, 65, 258, 65, 257]);
    const fk = handTiff([{ entries: base([{ tag: 258, type: 3, values: [8] }, { tag: 262, type: 3, values: [1] }, { tag: 259, type: 3, values: [5] }, counts([kk])], 4, 1), data: [kk] }], true);
    const rk = pages(fk)[0]!.raster;
    assert.deepEqual(rk.kind === 'grey' ? [...rk.image.data] : [], [65, 65, 65, 65]);
  });
  it('tiles (16 × 16) on a 20 × 18 bilevel page', () => {
    const page = docBitmap(20, 18, 3);
    const tiles: Uint8Array[] = [];
    for (let ty = 0; ty < 2; ty++) {
      for (let tx = 0; tx < 2; tx++) {
        const t = new Uint8Array(2 * 16);
        for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) {
          const px = tx * 16 + x;
          const py = ty * 16 + y;
          if (px < 20 && py < 18 && (page.data[py * page.stride + (px >>> 3)]! >> (7 - (px & 7))) & 1) t[y * 2 + (x >>> 3)]! |= 0x80 >>> (x & 7);
        }
        tiles.push(t);
      }
    }
    const entries = base([], 20, 18).filter((e) => e.tag !== 273 && e.tag !== 278);
    entries.push({ tag: 322, type: 3, values: [16] }, { tag: 323, type: 3, values: [16] }, { tag: 324, type: 4, values: (at) => [...at] }, { tag: 325, type: 4, values: tiles.map((t) => t.length) });
    const file = handTiff([{ entries, data: tiles }], true);
    assert.ok(bitmapsEqual(bilevel(pages(file)[0]), page));
  });
  it('a reduced-resolution IFD (thumbnail) is skipped', () => {
    const d = [PATTERN];
    const file = handTiff([{ entries: base([counts(d)]), data: d }, { entries: base([{ tag: 254, type: 4, values: [1] }, counts(d)]), data: d }], true);
    assert.equal(pages(file).length, 1);
  });
});

/** Packs 9-bit codes MSB-first (the test's own bit packer). */
function pack9(codes: number[]): Uint8Array {
  const bits = codes.map((c) => c.toString(2).padStart(9, '0')).join('');
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') out[i >>> 3]! |= 0x80 >>> (i & 7);
  return out;
}

describe('malformed TIFFs give typed errors naming the problem', () => {
  const good = (): Uint8Array => writeTiff([docBitmap(64, 8, 1), docBitmap(64, 8, 2)], { compression: 'none' });
  const le32 = (f: Uint8Array, at: number, v: number): void => new DataView(f.buffer, f.byteOffset).setUint32(at, v, true);
  const entryAt = (f: Uint8Array, page: number, tag: number): number => {
    const s = parseTiffStructure(f);
    assert.ok(s.ok);
    return s.value.ifds[page]!.entries.get(tag)!.at;
  };

  it('not a TIFF / BigTIFF / empty', () => {
    assert.equal(errorOf(Uint8Array.of(0x50, 0x34, 10, 0, 0, 0, 0, 0, 0)).code, 'bad-header');
    assert.equal(errorOf(Uint8Array.of(0x49, 0x49, 43, 0, 8, 0, 0, 0, 0, 0)).code, 'bigtiff');
    assert.match(errorOf(Uint8Array.of(0x49, 0x49, 43, 0, 8, 0, 0, 0, 0, 0)).message, /BigTIFF/);
    assert.equal(errorOf(Uint8Array.of(0x49, 0x49, 42, 0, 0, 0, 0, 0)).code, 'no-pages');
    assert.equal(errorOf(new Uint8Array(0)).code, 'truncated');
  });
  it('strip beyond the end of the file', () => {
    const f = good();
    le32(f, entryAt(f, 1, 273) + 8, f.length + 100);
    const e = errorOf(f);
    assert.equal(e.code, 'bad-strip');
    assert.equal(e.message, `page 2: StripOffsets[0]=${f.length + 100} is beyond the end of the file (size ${f.length})`);
    const g = good();
    le32(g, entryAt(g, 0, 279) + 8, g.length);
    assert.match(errorOf(g).message, /^page 1: StripOffsets\[0\]=\d+ \+ StripByteCounts\[0\]=\d+ runs beyond the end of the file/);
  });
  it('IFD loop, IFD beyond the end', () => {
    const f = good();
    const s = parseTiffStructure(f);
    assert.ok(s.ok);
    const ifd1 = s.value.ifds[1]!;
    le32(f, ifd1.offset + 2 + ifd1.entries.size * 12, s.value.ifds[0]!.offset);
    assert.equal(errorOf(f).code, 'ifd-loop');
    const g = good();
    le32(g, 4, g.length + 2);
    assert.equal(errorOf(g).code, 'bad-ifd');
  });
  it('missing and bad fields', () => {
    const f = good();
    // Rename ImageWidth to an unknown tag (keeps the order valid enough for readers).
    new DataView(f.buffer).setUint16(entryAt(f, 0, 256), 0x8000 | 256, true);
    const e = errorOf(f);
    assert.equal(e.code, 'missing-tag');
    assert.match(e.message, /^page 1: required field ImageWidth \(256\) is missing/);
    const g = good();
    new DataView(g.buffer).setUint16(entryAt(g, 0, 266) + 8, 3, true); // FillOrder 3
    assert.match(errorOf(g).message, /FillOrder=3 is out of range/);
    const h = good();
    le32(h, entryAt(h, 1, 282) + 8, h.length - 2); // XResolution values half outside
    const eh = errorOf(h);
    assert.equal(eh.code, 'bad-tag');
    assert.match(eh.message, /^page 2: XResolution values at offset \d+ \(8 octets\) lie beyond the end of the file/);
  });
  it('too many pixels, too many pages', () => {
    const f = writeTiff([createBitmap(100, 100)], { compression: 'mmr' });
    const r = readTiff(f, { maxPixels: 9999 });
    assert.ok(!r.ok && r.error.code === 'too-large');
    const g = writeTiff([createBitmap(8, 1), createBitmap(8, 1), createBitmap(8, 1)]);
    const r2 = readTiff(g, { maxPages: 2 });
    assert.ok(!r2.ok && r2.error.code === 'too-many-pages');
  });
  it('a damaged CCITT strip is data: decoded with bad rows counted, not an error', () => {
    const bm = docBitmap(1728, 40, 5, { x: 204, y: 98 });
    const f = writeTiff([bm], { compression: 'mh' });
    const s = parseTiffStructure(f);
    assert.ok(s.ok);
    const info = pageInfo(f, s.value, 0);
    assert.ok(info.ok);
    const c = info.value.chunks[0]!;
    // Garble some octets in the middle of the strip.
    for (let i = 0; i < 6; i++) f[c.offset + Math.floor(c.byteCount / 2) + i] = 0xff;
    const [p] = pages(f);
    assert.ok(p && p.raster.kind === 'bilevel' && p.raster.quality);
    assert.ok(p.raster.quality.badRows > 0);
    assert.equal(p.raster.bitmap.height, 40);
  });
});

describe('truncation sweep', () => {
  it('every cut of a 2-page MH file gives the error its position implies', () => {
    const f = writeTiff([docBitmap(100, 6, 1), docBitmap(100, 6, 2)], { compression: 'mh' });
    const s = parseTiffStructure(f);
    assert.ok(s.ok);
    const [i0, i1] = s.value.ifds;
    assert.ok(i0 && i1);
    const ifdEnd = (i: typeof i0): number => i.offset + 2 + i.entries.size * 12 + 4;
    const strip1End = (() => {
      const p = pageInfo(f, s.value, 1);
      assert.ok(p.ok);
      const c = p.value.chunks[0]!;
      return c.offset + c.byteCount;
    })();
    for (let n = 0; n < f.length; n++) {
      const r = readTiff(f.subarray(0, n));
      let want: TiffErrorCode | 'ok';
      if (n < 8) want = 'truncated';
      else if (n < i0.offset + 2) want = 'bad-ifd';
      else if (n < ifdEnd(i0)) want = 'truncated';
      else if (n < i1.offset + 2) want = 'bad-ifd';
      else if (n < ifdEnd(i1)) want = 'truncated';
      else if (n < strip1End) want = 'bad-strip'; // page 2's strip (after its values) is cut
      else want = 'ok';
      assert.equal(r.ok ? 'ok' : r.error.code, want, `cut at ${n} of ${f.length}`);
    }
  });
});

describe('fuzz', () => {
  const seeds = [
    writeTiff([docBitmap(40, 10, 1), docBitmap(33, 7, 2)], { compression: 'mh', rowsPerStrip: 3 }),
    writeTiff([docBitmap(40, 10, 3)], { compression: 'mr', fillOrder: 2, byteOrder: 'MM' }),
    writeTiff([docBitmap(40, 10, 4)], { compression: 'mmr' }),
    writeTiff([docBitmap(40, 10, 5)], { compression: 'packbits', rowsPerStrip: 4 }),
    writeTiff([docBitmap(40, 10, 6)], { compression: 'rle' }),
  ];
  const read = (b: Uint8Array): string => {
    const r = readTiff(b, { maxPixels: 1 << 22, maxPages: 50 });
    return r.ok ? JSON.stringify(r.value.map((p) => [p.info.width, p.info.height, p.raster.kind === 'bilevel' ? Array.from(p.raster.bitmap.data) : Array.from(p.raster.image.data)])) : `${r.error.code}:${r.error.message}`;
  };
  it('random bytes (with a TIFF header or not) never throw', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.uint8Array({ maxLength: 600 }), (tiff, le, body) => {
        const b = tiff ? Uint8Array.from([le ? 0x49 : 0x4d, le ? 0x49 : 0x4d, le ? 42 : 0, le ? 0 : 42, ...body]) : body;
        read(b);
      }),
      { numRuns: 2000 },
    );
  });
  it('mutated valid files never throw and never read outside the file', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (seed, muts, cut) => {
          const f = seed.slice();
          // Mutate mostly the structure (header + first IFD) where it matters most.
          for (const [at, v] of muts) f[at % Math.min(f.length, 200)] = v;
          const g = f.subarray(0, f.length - (cut % 4 === 0 ? cut % f.length : 0));
          // The same file inside a larger buffer, surrounded by junk: if the reader ever looked
          // past the view (via .buffer), it would see the junk and the results would differ.
          const big = new Uint8Array(g.length + 64).fill(0xa5);
          big.set(g, 32);
          assert.equal(read(big.subarray(32, 32 + g.length)), read(g.slice()));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('writer misuse throws FaxwireError', () => {
  it('no pages, bad rowsPerStrip, bad k', () => {
    assert.throws(() => writeTiff([]), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => writeTiff([createBitmap(8, 2)], { rowsPerStrip: 0 }), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => writeTiff([createBitmap(8, 2)], { compression: 'mr', k: 0 }), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
  });
});
