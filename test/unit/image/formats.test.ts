/**
 * Netpbm, PNG, JPEG and PackBits: vectors from the format specifications, round trips, and
 * robustness (truncations and random bytes give typed errors, never exceptions).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { createBitmap, setPixel } from '../../../src/t4/bitmap.js';
import { readPnm, writePbm, writePgm } from '../../../src/image/pnm.js';
import { crc32, readPng, writeGreyPng, writePng } from '../../../src/image/png.js';
import { jfifDpi, readJpeg } from '../../../src/image/jpeg.js';
import { packBitsRows, unpackBits } from '../../../src/image/packbits.js';
import { bitmapsEqual, docBitmap } from './helpers.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('PackBits (TIFF 6.0 §9 example)', () => {
  // The worked example of TIFF 6.0 §9 (also Apple TN1023).
  const unpacked = [0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa];
  const packed = [0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa];
  it('unpacks the spec example', () => {
    const r = unpackBits(Uint8Array.from(packed), unpacked.length);
    assert.deepEqual([...r.data], unpacked);
    assert.equal(r.truncated, false);
  });
  it('packs the spec example to the same octets', () => {
    assert.deepEqual([...packBitsRows(Uint8Array.from(unpacked), unpacked.length, 1)], packed);
  });
  it('round-trips random rows; truncated input is flagged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 5 }), (row, rows) => {
        const src = new Uint8Array(row.length * rows);
        for (let r = 0; r < rows; r++) src.set(row.map((v) => (v & 0xc0 ? v : v + r)), r * row.length);
        const p = packBitsRows(src, row.length, rows);
        assert.deepEqual(unpackBits(p, src.length).data, src);
        const cut = unpackBits(p.subarray(0, p.length - 1), src.length);
        assert.equal(cut.truncated, true);
      }),
    );
  });
  it('no-op header 0x80 is skipped', () => {
    assert.deepEqual([...unpackBits(Uint8Array.of(0x80, 0x00, 0x07), 1).data], [7]);
  });
});

describe('netpbm', () => {
  it('P1 plain PBM with comments, 1 = black', () => {
    const r = readPnm(ascii('P1\n# a comment\n5 2\n1 0 1 0 1\n01110\n'));
    assert.ok(r.ok);
    const img = r.value[0]!;
    assert.equal(img.kind, 'bilevel');
    if (img.kind !== 'bilevel') return;
    assert.deepEqual([img.bitmap.width, img.bitmap.height], [5, 2]);
    assert.deepEqual([...img.bitmap.data], [0b10101000, 0b01110000]);
  });
  it('P4 raw PBM: our Bitmap layout; padding bits cleared; several images in one file', () => {
    const file = new Uint8Array([...ascii('P4\n10 2\n'), 0xff, 0xff, 0x00, 0x40, ...ascii('P4 3 1 '), 0xe0]);
    const r = readPnm(file);
    assert.ok(r.ok);
    assert.equal(r.value.length, 2);
    const [a, b] = r.value;
    assert.ok(a?.kind === 'bilevel' && b?.kind === 'bilevel');
    assert.deepEqual([...a.bitmap.data], [0xff, 0xc0, 0x00, 0x40]);
    assert.deepEqual([...b.bitmap.data], [0xe0]);
  });
  it('P2/P5 grey (8 and 16 bit) and P6 colour', () => {
    const p2 = readPnm(ascii('P2 3 1 15 0 15 5'));
    assert.ok(p2.ok && p2.value[0]!.kind === 'grey');
    assert.deepEqual([...(p2.value[0] as { image: { data: Uint8Array } }).image.data], [0, 255, 85]);
    const p5 = readPnm(new Uint8Array([...ascii('P5 2 1 65535\n'), 0x80, 0x00, 0xff, 0xff]));
    assert.ok(p5.ok);
    assert.deepEqual([...(p5.value[0] as { image: { data: Uint8Array } }).image.data], [128, 255]);
    const p6 = readPnm(new Uint8Array([...ascii('P6 1 1 255\n'), 255, 0, 0]));
    assert.ok(p6.ok);
    assert.deepEqual([...(p6.value[0] as { image: { data: Uint8Array } }).image.data], [76]);
  });
  it('writePbm → readPnm round trip (multi-page); writePgm header', () => {
    const pages = [docBitmap(77, 9, 1), docBitmap(1728, 3, 2)];
    const r = readPnm(writePbm(pages));
    assert.ok(r.ok);
    assert.equal(r.value.length, 2);
    r.value.forEach((p, i) => assert.ok(p.kind === 'bilevel' && bitmapsEqual(p.bitmap, pages[i]!)));
    const g = writePgm({ width: 2, height: 1, data: Uint8Array.of(1, 2) });
    assert.deepEqual([...g], [...ascii('P5\n2 1\n255\n'), 1, 2]);
  });
  it('errors: truncated raster, bad magic, too large; random bytes never throw', () => {
    const t = readPnm(new Uint8Array([...ascii('P4\n16 2\n'), 0xff]));
    assert.ok(!t.ok && t.error.code === 'truncated');
    const m = readPnm(ascii('P9 1 1'));
    assert.ok(!m.ok && m.error.code === 'bad-pnm');
    const big = readPnm(ascii('P4 100000 100000 '));
    assert.ok(!big.ok && big.error.code === 'too-large');
    fc.assert(
      fc.property(fc.constantFrom('P1', 'P2', 'P3', 'P4', 'P5', 'P6', ''), fc.uint8Array({ maxLength: 100 }), (magic, body) => {
        readPnm(new Uint8Array([...ascii(magic), ...body]), 1 << 16);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Splits a PNG into its chunks (the test's own parser). */
function chunks(png: Uint8Array): { type: string; data: Uint8Array }[] {
  const dv = new DataView(png.buffer, png.byteOffset);
  const out: { type: string; data: Uint8Array }[] = [];
  for (let p = 8; p < png.length; ) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    out.push({ type, data: png.subarray(p + 8, p + 8 + len) });
    assert.equal(dv.getUint32(p + 8 + len), crc32(png, p + 4, p + 8 + len), `${type} CRC`);
    p += 12 + len;
  }
  return out;
}

describe('PNG', () => {
  it('CRC-32 check value (ISO 3309: "123456789" → CBF43926)', () => {
    assert.equal(crc32(ascii('123456789')), 0xcbf43926);
  });
  it('1-bit greyscale fax page: IHDR, pHYs in pixels per metre, 0 = black in the rows', () => {
    const b = { ...createBitmap(10, 2), xDpi: 204, yDpi: 98 };
    setPixel(b, 0, 0, true);
    setPixel(b, 9, 1, true);
    const png = writePng(b);
    const c = chunks(png);
    assert.deepEqual(c.map((x) => x.type), ['IHDR', 'pHYs', 'IDAT', 'IEND']);
    assert.deepEqual([...c[0]!.data], [0, 0, 0, 10, 0, 0, 0, 2, 1, 0, 0, 0, 0]);
    const phys = new DataView(c[1]!.data.buffer, c[1]!.data.byteOffset);
    assert.equal(phys.getUint32(0), Math.round(204 / 0.0254)); // 8031
    assert.equal(phys.getUint32(4), Math.round(98 / 0.0254)); // 3858
    assert.equal(c[1]!.data[8], 1);
    const raw = inflateSync(c[2]!.data);
    // Filter 0, then the row with 1 = white.
    assert.deepEqual([...raw], [0, 0x7f, 0xff, 0, 0xff, 0xbf]);
  });
  it('pngjs decodes what we write (an independent decoder)', () => {
    const b = docBitmap(33, 7, 3);
    for (const depth of [1, 8] as const) {
      const img = PNG.sync.read(Buffer.from(writePng(b, { depth })));
      assert.deepEqual([img.width, img.height], [33, 7]);
      for (let y = 0; y < 7; y++) {
        for (let x = 0; x < 33; x++) {
          const black = ((b.data[y * b.stride + (x >>> 3)]! >> (7 - (x & 7))) & 1) === 1;
          assert.equal(img.data[(y * 33 + x) * 4], black ? 0 : 255);
        }
      }
    }
  });
  it('round trips: 1-bit → bilevel with dpi; 8-bit → grey; squarePixels doubles standard rows', () => {
    const b = { ...docBitmap(100, 20, 4), xDpi: 204, yDpi: 98 };
    const r = readPng(writePng(b));
    assert.ok(r.ok && r.value.kind === 'bilevel');
    assert.ok(bitmapsEqual(r.value.bitmap, b));
    assert.equal(r.value.bitmap.xDpi, 204);
    assert.equal(r.value.bitmap.yDpi, 98);
    const g = readPng(writePng(b, { depth: 8 }));
    assert.ok(g.ok && g.value.kind === 'grey');
    const sq = readPng(writePng(b, { squarePixels: true }));
    assert.ok(sq.ok && sq.value.kind === 'bilevel');
    assert.equal(sq.value.bitmap.height, 40);
    assert.equal(sq.value.bitmap.yDpi, 196);
    const grey = readPng(writeGreyPng({ width: 3, height: 1, data: Uint8Array.of(0, 100, 255), xDpi: 300, yDpi: 300 }));
    assert.ok(grey.ok && grey.value.kind === 'grey');
    assert.deepEqual([...grey.value.image.data], [0, 100, 255]);
  });
  it('colour PNG from pngjs (RGBA, with transparency) reads as grey over white', () => {
    const p = new PNG({ width: 2, height: 1 });
    p.data.set([255, 0, 0, 255, 0, 0, 0, 0]);
    const r = readPng(Uint8Array.from(PNG.sync.write(p)));
    assert.ok(r.ok && r.value.kind === 'grey');
    assert.deepEqual([...r.value.image.data], [76, 255]);
  });
  it('errors: not PNG, truncated, huge dimensions; mutated files never throw', () => {
    const good = writePng(docBitmap(40, 10, 1));
    const e1 = readPng(ascii('GIF89a'));
    assert.ok(!e1.ok && e1.error.code === 'bad-png');
    for (let n = 0; n < good.length; n++) {
      const r = readPng(good.subarray(0, n));
      assert.ok(!r.ok || n >= good.length - 12, `cut ${n}`);
    }
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(16, 100000);
    new DataView(huge.buffer).setUint32(20, 100000);
    const e3 = readPng(huge);
    assert.ok(!e3.ok && e3.error.code === 'too-large');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (muts) => {
        const f = good.slice();
        for (const [at, v] of muts) f[8 + (at % (f.length - 8))] = v;
        readPng(f, 1 << 20);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JPEG', () => {
  const encode = (w: number, h: number, v: (x: number, y: number) => number): Uint8Array => {
    const data = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(v(x, y), (y * w + x) * 4, (y * w + x) * 4 + 3).writeUInt8(255, (y * w + x) * 4 + 3);
    return Uint8Array.from(jpeg.encode({ width: w, height: h, data }, 95).data);
  };
  it('decodes to grey (jpeg-js encoder as the independent source)', () => {
    const f = encode(64, 32, (x) => (x < 32 ? 0 : 255));
    const r = readJpeg(f);
    assert.ok(r.ok);
    assert.deepEqual([r.value.width, r.value.height], [64, 32]);
    assert.ok(r.value.data[16 * 64 + 5]! < 20);
    assert.ok(r.value.data[16 * 64 + 60]! > 235);
  });
  it('JFIF density: dpi, dots per cm, aspect-only', () => {
    const f = encode(8, 8, () => 128);
    // jpeg-js writes a JFIF APP0 right after SOI: units at +13, X density at +14, Y at +16.
    assert.equal(String.fromCharCode(...f.subarray(6, 10)), 'JFIF');
    const set = (units: number, x: number, y: number): Uint8Array => {
      const g = f.slice();
      g[13] = units;
      g[14] = x >> 8;
      g[15] = x & 0xff;
      g[16] = y >> 8;
      g[17] = y & 0xff;
      return g;
    };
    assert.deepEqual(jfifDpi(set(1, 300, 150)), { x: 300, y: 150 });
    assert.deepEqual(jfifDpi(set(2, 100, 100)), { x: 254, y: 254 });
    assert.equal(jfifDpi(set(0, 1, 1)), undefined);
    const r = readJpeg(set(1, 200, 200));
    assert.ok(r.ok && r.value.xDpi === 200);
  });
  it('errors are values: not JPEG, truncated, random bytes', () => {
    const e = readJpeg(ascii('hello'));
    assert.ok(!e.ok && e.error.code === 'bad-jpeg');
    const f = encode(16, 16, (x, y) => (x ^ y) * 16);
    for (const n of [3, 20, 100, f.length - 10]) readJpeg(f.subarray(0, n));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        readJpeg(new Uint8Array([0xff, 0xd8, 0xff, ...body]), 1 << 20);
      }),
      { numRuns: 300 },
    );
  });
});
