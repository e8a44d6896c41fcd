/**
 * rowChanges / fillRow against a pel-by-pel reference: any width (whole words or not), rows at
 * any octet offset (the native-word skip applies only to 4-aligned rows), padding bits after the
 * last pel set to garbage, which must be ignored.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fillRow, rowChanges, SENTINELS } from '../../../src/t4/changes.js';

function pel(data: Uint8Array, off: number, x: number): number {
  return (data[off + (x >>> 3)]! >>> (7 - (x & 7))) & 1;
}

function referenceChanges(data: Uint8Array, off: number, width: number): number[] {
  const out: number[] = [];
  let colour = 0;
  for (let x = 0; x < width; x++) {
    const p = pel(data, off, x);
    if (p !== colour) {
      out.push(x);
      colour = p;
    }
  }
  return out;
}

/** Runs of random lengths (short ones likelier), so rows have words with and without changes. */
const rowArb = fc
  .record({
    width: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(1728, 2048, 1727, 33, 32, 31)),
    offset: fc.integer({ min: 0, max: 7 }),
    runs: fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 300 })), { maxLength: 80 }),
    startBlack: fc.boolean(),
    garbage: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ width, offset, runs, startBlack, garbage }) => {
    const stride = (width + 7) >>> 3;
    const data = new Uint8Array(offset + stride + 8).fill(garbage);
    let x = 0;
    let black = startBlack;
    for (const r of runs) {
      for (let i = 0; i < r && x < width; i++, x++) {
        const bit = 0x80 >>> (x & 7);
        const o = offset + (x >>> 3);
        data[o] = black ? data[o]! | bit : data[o]! & ~bit;
      }
      black = !black;
    }
    for (; x < width; x++) {
      const bit = 0x80 >>> (x & 7);
      const o = offset + (x >>> 3);
      data[o] = black ? data[o]! | bit : data[o]! & ~bit;
    }
    return { width, offset, stride, data };
  });

describe('t4 changing elements', () => {
  it('rowChanges equals the pel-by-pel scan, aligned or not, with or without the word view', () => {
    fc.assert(
      fc.property(rowArb, ({ width, offset, stride, data }) => {
        const want = referenceChanges(data, offset, width);
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        const words = new Int32Array(data.buffer, 0, data.buffer.byteLength >>> 2);
        for (const w of [words, undefined]) {
          const out = new Int32Array(width + 1 + SENTINELS).fill(-7);
          const n = rowChanges(data, view, offset, width, stride, out, w);
          assert.deepEqual(Array.from(out.subarray(0, n)), want);
          for (let s = 0; s < SENTINELS; s++) assert.equal(out[n + s], width);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('fillRow rebuilds the row from its changes and touches nothing outside it', () => {
    fc.assert(
      fc.property(rowArb, ({ width, offset, stride, data }) => {
        const ch = new Int32Array(width + 1 + SENTINELS);
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        const n = rowChanges(data, view, offset, width, stride, ch);
        const out = new Uint8Array(data.length).fill(0);
        out.fill(0xa5, 0, offset);
        out.fill(0x5a, offset + stride);
        fillRow(out, new DataView(out.buffer), offset, stride, ch, n);
        for (let x = 0; x < width; x++) assert.equal(pel(out, offset, x), pel(data, offset, x), `pel ${x}`);
        for (let x = width; x < stride * 8; x++) assert.equal(pel(out, offset, x), 0, `padding pel ${x}`);
        for (let i = 0; i < offset; i++) assert.equal(out[i], 0xa5);
        for (let i = offset + stride; i < out.length; i++) assert.equal(out[i], 0x5a);
      }),
      { numRuns: 600 },
    );
  });
});
