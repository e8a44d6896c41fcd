/**
 * Grey images: colour → luma, threshold vs Floyd–Steinberg statistics, resampling by area
 * averaging (means preserved, thin strokes kept as grey), rotation.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blackRatio, bitmapToGrey, greyToBitmap, luma, toGrey, type GreyImage } from '../../../src/image/grey.js';
import { resizeGrey, rotateGrey90 } from '../../../src/image/resample.js';
import { createBitmap, getPixel, setPixel } from '../../../src/t4/bitmap.js';

function flat(w: number, h: number, v: number): GreyImage {
  return { width: w, height: h, data: new Uint8Array(w * h).fill(v) };
}

function mean(g: GreyImage): number {
  let s = 0;
  for (const v of g.data) s += v;
  return s / g.data.length;
}

describe('toGrey', () => {
  it('uses BT.601 luma weights', () => {
    assert.equal(luma(255, 0, 0), 76); // 0.299 × 255 = 76.2
    assert.equal(luma(0, 255, 0), 150); // 0.587 × 255 = 149.7
    assert.equal(luma(0, 0, 255), 29); // 0.114 × 255 = 29.1
    assert.equal(luma(255, 255, 255), 255);
    const g = toGrey(3, 1, Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255), 3);
    assert.deepEqual([...g], [76, 150, 29]);
  });
  it('composites alpha over white paper', () => {
    // Black, fully transparent → white; half transparent → mid grey.
    const g = toGrey(3, 1, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 128), 4);
    assert.deepEqual([...g], [255, 0, 127]);
    assert.deepEqual([...toGrey(1, 1, Uint8Array.of(0, 0), 2)], [255]);
  });
});

describe('greyToBitmap', () => {
  it('threshold: black strictly below the level, bits MSB first, padding zero', () => {
    const g: GreyImage = { width: 10, height: 1, data: Uint8Array.of(0, 127, 128, 255, 0, 0, 0, 0, 0, 0) };
    const b = greyToBitmap(g);
    assert.equal(b.stride, 2);
    assert.deepEqual([...b.data], [0b11001111, 0b11000000]);
  });
  it('threshold turns a uniform 25 % grey white, dithering keeps its density', () => {
    const g = flat(200, 200, 191); // 1 − 191/255 ≈ 25 % ink
    assert.equal(blackRatio(greyToBitmap(g)), 0);
    const d = blackRatio(greyToBitmap(g, { method: 'dither' }));
    assert.ok(Math.abs(d - (255 - 191) / 255) < 0.01, `dither density ${d}`);
  });
  it('dither reproduces the grey level of each band of a ramp', () => {
    const w = 256;
    const h = 64;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x;
    const b = greyToBitmap({ width: w, height: h, data }, { method: 'dither' });
    for (let band = 0; band < 8; band++) {
      const x0 = band * 32;
      const expected = 1 - (x0 + 15.5) / 255;
      const got = blackRatio(b, x0, 0, 32, h);
      assert.ok(Math.abs(got - expected) < 0.04, `band ${band}: ${got} vs ${expected}`);
    }
    // Threshold makes the ramp a hard edge at 128.
    const t = greyToBitmap({ width: w, height: h, data });
    assert.equal(blackRatio(t, 0, 0, 128, h), 1);
    assert.equal(blackRatio(t, 128, 0, 128, h), 0);
  });
  it('keeps the resolution and rejects a bad threshold', () => {
    const b = greyToBitmap({ width: 8, height: 1, data: new Uint8Array(8), xDpi: 204, yDpi: 98 });
    assert.equal(b.xDpi, 204);
    assert.equal(b.yDpi, 98);
    assert.throws(() => greyToBitmap(flat(1, 1, 0), { threshold: 0 }), /threshold/);
  });
  it('bitmapToGrey ∘ greyToBitmap is the identity on bitmaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.infiniteStream(fc.boolean()), (w, h, bits) => {
        const b = createBitmap(w, h);
        const it2 = bits[Symbol.iterator]();
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) setPixel(b, x, y, it2.next().value as boolean);
        assert.deepEqual(greyToBitmap(bitmapToGrey(b)).data, b.data);
      }),
    );
  });
});

describe('resizeGrey', () => {
  it('area-averages: a 1-pixel checkerboard halves to uniform mid grey', () => {
    const w = 64;
    const data = new Uint8Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data[y * w + x] = (x + y) & 1 ? 255 : 0;
    const r = resizeGrey({ width: w, height: w, data }, 32, 32);
    for (const v of r.data) assert.ok(v === 127 || v === 128, `got ${v}`);
  });
  it('keeps a thin line as grey instead of dropping it (nearest-neighbour would)', () => {
    // One black column in 300: at a 3:1 shrink its output pixel is one-third ink.
    const w = 300;
    const data = new Uint8Array(w * 10).fill(255);
    for (let y = 0; y < 10; y++) data[y * w + 151] = 0;
    const r = resizeGrey({ width: w, height: 10, data }, 100, 10);
    assert.equal(r.data[50], 170); // 255 × 2/3
    assert.equal(Math.min(...r.data), 170);
  });
  it('preserves the mean at non-integer factors, with separate x and y factors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 1, max: 59 }),
        fc.integer({ min: 1, max: 59 }),
        fc.integer(),
        (w, h, ow0, oh0, seed) => {
          const ow = Math.min(ow0, w);
          const oh = Math.min(oh0, h);
          const data = new Uint8Array(w * h);
          let s = seed >>> 0;
          for (let i = 0; i < data.length; i++) {
            s = (s * 1103515245 + 12345) >>> 0;
            data[i] = s >>> 24;
          }
          const g = { width: w, height: h, data };
          const r = resizeGrey(g, ow, oh);
          assert.equal(r.width, ow);
          assert.equal(r.height, oh);
          assert.ok(Math.abs(mean(r) - mean(g)) < 1, `${mean(r)} vs ${mean(g)}`);
        },
      ),
    );
  });
  it('enlarges by interpolation (monotone ramp stays monotone, ends kept)', () => {
    const r = resizeGrey({ width: 2, height: 1, data: Uint8Array.of(0, 255) }, 8, 1);
    for (let i = 1; i < 8; i++) assert.ok(r.data[i]! >= r.data[i - 1]!);
    assert.equal(r.data[0], 0);
    assert.equal(r.data[7], 255);
  });
  it('scales the resolution with the size unless told', () => {
    const r = resizeGrey({ width: 300, height: 300, data: new Uint8Array(90000), xDpi: 300, yDpi: 300 }, 204, 98);
    assert.equal(r.xDpi, 204);
    assert.equal(r.yDpi, 98);
  });
});

describe('rotateGrey90', () => {
  it('ccw puts the top row on the left edge, read bottom-up; cw the reverse', () => {
    // 3 × 2:  a b c / d e f
    const g: GreyImage = { width: 3, height: 2, data: Uint8Array.of(1, 2, 3, 4, 5, 6), xDpi: 204, yDpi: 98 };
    const ccw = rotateGrey90(g, 'ccw');
    // ccw result (2 × 3):  c f / b e / a d
    assert.deepEqual([ccw.width, ccw.height, ...ccw.data], [2, 3, 3, 6, 2, 5, 1, 4]);
    assert.equal(ccw.xDpi, 98);
    const cw = rotateGrey90(g, 'cw');
    // cw result:  d a / e b / f c
    assert.deepEqual([...cw.data], [4, 1, 5, 2, 6, 3]);
  });
});

describe('blackRatio', () => {
  it('counts black pixels in a clipped rectangle', () => {
    const b = createBitmap(10, 10);
    setPixel(b, 0, 0, true);
    setPixel(b, 9, 9, true);
    assert.equal(blackRatio(b), 0.02);
    assert.equal(blackRatio(b, 5, 5, 100, 100), 1 / 25);
    assert.equal(getPixel(b, 9, 9), 1);
  });
});
