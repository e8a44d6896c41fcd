/**
 * `T4Encoder.encodeChanges` / `encodeT4Rows` (a row given as its changing elements, T.4
 * §4.2.1.2) against the packed-row path they stand beside (`encodeRowAt` / `encodeT4`): the same
 * octets for the same image, over every coding, bit order and option (fast-check); and refusal
 * of lists that are not changing elements.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { t4EncodeOptionsArb } from '../helpers/t4-arbitraries.js';
import { encodeT4, encodeT4Rows, T4Encoder, type RowChangesSource } from '../../../src/t4/index.js';
import { xorshift32 } from '../../../src/util/random.js';

interface Page {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly data: Uint8Array;
}

/** Changing elements of row y, pel by pel (the pel left of the row is white). */
function changesOf(b: Page, y: number): number[] {
  const out: number[] = [];
  let prev = 0;
  for (let x = 0; x < b.width; x++) {
    const v = (b.data[y * b.stride + (x >>> 3)]! >>> (7 - (x & 7))) & 1;
    if (v !== prev) out.push(x);
    prev = v;
  }
  return out;
}

/** A source over precomputed lists (as a producer of changing elements would give them). */
function sourceOf(b: Page): RowChangesSource {
  const rows = Array.from({ length: b.height }, (_, y) => changesOf(b, y));
  return {
    width: b.width,
    height: b.height,
    changesAt(y: number, out: Int32Array): number {
      const r = rows[y]!;
      out.set(r);
      // Garbage after the list: the encoder must not read it.
      out.fill(-5, r.length);
      return r.length;
    },
  };
}

const pageArb: fc.Arbitrary<Page> = fc
  .record({
    width: fc.integer({ min: 1, max: 300 }),
    height: fc.integer({ min: 0, max: 12 }),
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    density: fc.constantFrom(0.02, 0.5, 0.95),
    runs: fc.boolean(),
  })
  .map(({ width, height, seed, density, runs }) => {
    const next = xorshift32(seed);
    const r = (): number => (next() >>> 0) / 2 ** 32;
    const stride = (width + 7) >>> 3;
    const data = new Uint8Array(stride * height);
    for (let y = 0; y < height; y++) {
      let black = false;
      for (let x = 0; x < width; x++) {
        // Long runs (text-like) or independent pels.
        black = runs ? (r() < 0.08 ? !black : black) : r() < density;
        if (black) data[y * stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
      }
      // Padding bits set: they are not pels.
      if (width & 7) data[y * stride + stride - 1]! |= 0xff >>> (width & 7);
    }
    return { width, height, stride, data };
  });

const optsArb = t4EncodeOptionsArb;

describe('encodeChanges / encodeT4Rows against the packed-row encoder', () => {
  it('encodeT4Rows = encodeT4, octet for octet (fast-check)', () => {
    fc.assert(
      fc.property(pageArb, optsArb, (b, opts) => {
        assert.deepEqual(encodeT4Rows(sourceOf(b), opts), encodeT4(b, opts));
      }),
      { numRuns: 1500 },
    );
  });
  it('a row range of the source = encodeT4 of those rows (a TIFF strip)', () => {
    fc.assert(
      fc.property(pageArb, optsArb, fc.nat(), fc.nat(), (b, opts, a, n) => {
        const y0 = b.height === 0 ? 0 : a % b.height;
        const rows = b.height === 0 ? 0 : n % (b.height - y0 + 1);
        const strip = { ...b, height: rows, data: b.data.subarray(y0 * b.stride, (y0 + rows) * b.stride) };
        assert.deepEqual(encodeT4Rows(sourceOf(b), opts, y0, rows), encodeT4(strip, opts));
      }),
      { numRuns: 500 },
    );
  });
  it('encodeChanges and encodeRowAt mixed in one stream, with take() in between, = encodeT4', () => {
    fc.assert(
      fc.property(pageArb, optsArb, fc.integer(), (b, opts, pick) => {
        const enc = new T4Encoder(b.width, opts);
        const parts: Uint8Array[] = [];
        for (let y = 0; y < b.height; y++) {
          if (((pick >>> y) & 1) === 0) enc.encodeRowAt(b.data, y * b.stride);
          else enc.encodeChanges(Int32Array.from(changesOf(b, y)), changesOf(b, y).length);
          if (y === 1) parts.push(enc.take());
        }
        parts.push(enc.finish());
        assert.deepEqual(Buffer.concat(parts), Buffer.from(encodeT4(b, opts)));
      }),
      { numRuns: 500 },
    );
  });
  it('refuses lists that are not changing elements, and rows after finish', () => {
    const enc = new T4Encoder(16, { coding: 'mmr' });
    const bad: [number[], number][] = [
      [[3, 3], 2], // not increasing
      [[5, 2], 2],
      [[16], 1], // at the width
      [[-1], 1],
      [[1, 2], 3], // count over the list
      [[1], -1],
      [[1], 1.5],
    ];
    for (const [list, n] of bad) assert.throws(() => enc.encodeChanges(Int32Array.from(list), n), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' }, `${list.join(',')} n=${n}`);
    // A refused row leaves the stream as it was: it still equals the packed path's.
    enc.encodeChanges(Int32Array.of(0, 15), 2);
    const ref = new T4Encoder(16, { coding: 'mmr' });
    ref.encodeRow(Uint8Array.of(0xff, 0xfe));
    assert.deepEqual(enc.finish(), ref.finish());
    assert.throws(() => enc.encodeChanges(Int32Array.of(), 0), { code: 'FAXWIRE_ERR_INVALID_STATE' });
    assert.throws(() => encodeT4Rows({ width: 8, height: 2, changesAt: () => 0 }, { coding: 'mh' }, 1, 2), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
  });
});
