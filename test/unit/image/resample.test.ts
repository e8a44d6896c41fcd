/**
 * resizeGrey (one row pass per source row on demand, three-tap rows, rounding without
 * Math.round) against the two-pass version it replaced, kept here as the reference: the same
 * weights, a whole inH × outW float image of rows, then the columns into a Float32Array
 * accumulator. The results must be identical to the bit, shrinking and enlarging, each axis
 * apart, on random images (fast-check).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resizeGrey } from '../../../src/image/resample.js';
import type { GreyImage } from '../../../src/image/grey.js';

interface AxisWeights {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly at: Int32Array;
  readonly w: Float32Array;
}

function axisWeights(inN: number, outN: number): AxisWeights {
  const start = new Int32Array(outN);
  const count = new Int32Array(outN);
  const at = new Int32Array(outN);
  const scale = outN / inN;
  const ws: number[] = [];
  for (let i = 0; i < outN; i++) {
    at[i] = ws.length;
    if (scale < 1) {
      const a = i / scale;
      const b = Math.min(inN, (i + 1) / scale);
      const s0 = Math.floor(a);
      const s1 = Math.min(inN - 1, Math.ceil(b) - 1);
      const span = b - a;
      start[i] = s0;
      count[i] = s1 - s0 + 1;
      for (let s = s0; s <= s1; s++) ws.push((Math.min(b, s + 1) - Math.max(a, s)) / span);
    } else {
      const c = (i + 0.5) / scale - 0.5;
      const s0 = Math.max(0, Math.min(inN - 1, Math.floor(c)));
      const s1 = Math.min(inN - 1, s0 + 1);
      const f = Math.max(0, Math.min(1, c - s0));
      start[i] = s0;
      if (s1 === s0) {
        count[i] = 1;
        ws.push(1);
      } else {
        count[i] = 2;
        ws.push(1 - f, f);
      }
    }
  }
  return { start, count, at, w: Float32Array.from(ws) };
}

/** The two-pass resize as it was (rows into a float image, then columns). */
function reference(src: GreyImage, outW: number, outH: number): Uint8Array {
  const inW = src.width;
  const inH = src.height;
  const hx = axisWeights(inW, outW);
  const mid = new Float32Array(outW * inH);
  for (let y = 0; y < inH; y++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let k = 0; k < hx.count[x]!; k++) acc += src.data[y * inW + hx.start[x]! + k]! * hx.w[hx.at[x]! + k]!;
      mid[y * outW + x] = acc;
    }
  }
  const vy = axisWeights(inH, outH);
  const out = new Uint8Array(outW * outH);
  const acc = new Float32Array(outW);
  for (let y = 0; y < outH; y++) {
    acc.fill(0);
    for (let k = 0; k < vy.count[y]!; k++) {
      const wk = vy.w[vy.at[y]! + k]!;
      for (let x = 0; x < outW; x++) acc[x]! += mid[(vy.start[y]! + k) * outW + x]! * wk;
    }
    for (let x = 0; x < outW; x++) {
      const v = Math.round(acc[x]!);
      out[y * outW + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

describe('resizeGrey against the two-pass reference', () => {
  it('identical samples for random images and sizes, shrinking (to 1/5) and enlarging (to 3×) each axis apart (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }),
        (w, h, ow, oh, seed) => {
          const outW = Math.max(1, Math.min(ow, 3 * w));
          const outH = Math.max(1, Math.min(oh, 3 * h));
          const data = new Uint8Array(w * h);
          for (let i = 0; i < data.length; i++) data[i] = seed[(i * 7) % seed.length]!;
          const src: GreyImage = { width: w, height: h, data };
          if (outW === w && outH === h) return; // the copy path
          assert.deepEqual(resizeGrey(src, outW, outH).data, reference(src, outW, outH));
        },
      ),
      { numRuns: 1500 },
    );
  });
  it('identical on a page-sized shrink: 300 dpi A4 (2480 × 3508) to fine (1728 × 2287) and standard (1728 × 1143)', () => {
    const w = 2480;
    const h = 3508;
    const data = new Uint8Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
    const src: GreyImage = { width: w, height: h, data };
    for (const [ow, oh] of [
      [1728, 2287],
      [1728, 1143],
    ] as const) {
      assert.deepEqual(resizeGrey(src, ow, oh).data, reference(src, ow, oh), `${ow}×${oh}`);
    }
  });
});
