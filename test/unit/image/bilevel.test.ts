/**
 * The row-wise grey → bilevel kernel (bilevel.ts) against a straightforward per-pixel reference
 * kept here: the threshold and thin-stroke rules as they were written before the kernel
 * (greyToBitmap's loop, then keepThinStrokes over the whole page). Random grey images of random
 * sizes, strides, offsets and thresholds (fast-check), biased towards what makes the word paths
 * and the stroke rules fire: paper (≥ 224), ink (< 128), mid greys and thin lines.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitmapRowChanges, GreyRowChanges, thresholdRowsInto, STROKE_CONTRAST, STROKE_MAX_GREY } from '../../../src/image/bilevel.js';
import { faxPageToBitmap } from '../../../src/image/fax-page.js';
import { greyToBitmap, type GreyImage } from '../../../src/image/grey.js';
import { bitmapStride, type Bitmap } from '../../../src/t4/bitmap.js';

/** Per pixel, one function call each, as the code was before the kernel. */
function reference(g: GreyImage, threshold: number, keepStrokes: boolean): Uint8Array {
  const stride = bitmapStride(g.width);
  const out = new Uint8Array(stride * g.height);
  const set = (x: number, y: number): void => {
    out[y * stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
  };
  const at = (x: number, y: number): number => g.data[y * g.width + x]!;
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) if (at(x, y) < threshold) set(x, y);
  if (!keepStrokes) return out;
  for (let y = 1; y + 1 < g.height; y++) {
    for (let x = 1; x + 1 < g.width; x++) {
      const v = at(x, y);
      if (v < threshold || v >= STROKE_MAX_GREY) continue;
      const t = v + STROKE_CONTRAST;
      const up = at(x, y - 1);
      const down = at(x, y + 1);
      if ((t <= up && t <= down) || (t <= at(x - 1, y) && t <= at(x + 1, y))) {
        set(x, y);
        continue;
      }
      if (y + 2 < g.height && down >= threshold && down < STROKE_MAX_GREY && v <= down) {
        const below2 = at(x, y + 2);
        const flank = Math.max(v, down) + STROKE_CONTRAST;
        if (flank <= up && flank <= below2 && 255 - v + (255 - down) >= 255 - threshold) set(x, y);
      }
    }
  }
  return out;
}

/** Grey samples drawn from the classes the kernel treats apart. */
const sample = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 224, max: 255 }) },
  { weight: 2, arbitrary: fc.constant(255) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 127 }) },
  { weight: 3, arbitrary: fc.integer({ min: 128, max: 223 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

interface Case {
  readonly g: GreyImage;
  /** Padding after each row (stride = width + pad) and octets before the first row. */
  readonly pad: number;
  readonly lead: number;
  readonly threshold: number;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    width: fc.integer({ min: 1, max: 70 }),
    height: fc.integer({ min: 1, max: 12 }),
    pad: fc.constantFrom(0, 0, 1, 3, 4, 8),
    lead: fc.constantFrom(0, 0, 1, 2, 4, 8),
    threshold: fc.oneof(fc.constant(128), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 128, max: 224 })),
    seed: fc.array(sample, { minLength: 1, maxLength: 200 }),
    lines: fc.array(fc.record({ row: fc.nat(), grey: fc.integer({ min: 100, max: 200 }) }), { maxLength: 3 }),
  })
  .map(({ width, height, pad, lead, threshold, seed, lines }) => {
    const data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = seed[i % seed.length]!;
    // Thin horizontal lines on paper: what the stroke rules are for.
    for (const l of lines) {
      const y = l.row % height;
      for (let x = 0; x < width; x++) {
        if (y > 0) data[(y - 1) * width + x] = 255;
        data[y * width + x] = l.grey;
        if (y + 1 < height) data[(y + 1) * width + x] = Math.min(255, l.grey + 30);
      }
    }
    return { g: { width, height, data }, pad, lead, threshold };
  });

/** The case's image laid out at `lead` octets into a buffer, rows `width + pad` apart. */
function laidOut(c: Case): { data: Uint8Array; offset: number; stride: number } {
  const stride = c.g.width + c.pad;
  const buf = new Uint8Array(c.lead + stride * c.g.height + 5).fill(77);
  for (let y = 0; y < c.g.height; y++) buf.set(c.g.data.subarray(y * c.g.width, (y + 1) * c.g.width), c.lead + y * stride);
  return { data: buf, offset: c.lead, stride };
}

function bitmapBits(b: Bitmap): Uint8Array {
  return b.data;
}

describe('thresholdRowsInto against the per-pixel reference', () => {
  it('same bits, threshold with thin strokes, any size, stride, offset and threshold (fast-check)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { data, offset, stride } = laidOut(c);
        const ostride = bitmapStride(c.g.width);
        // A dirty output buffer: the kernel writes every octet of the rows.
        const out = new Uint8Array(ostride * c.g.height).fill(0x5a);
        thresholdRowsInto({ data, offset, stride, width: c.g.width, height: c.g.height }, c.threshold, true, out, ostride);
        assert.deepEqual(out, reference(c.g, c.threshold, true));
      }),
      { numRuns: 3000 },
    );
  });
  it('same bits without strokes (greyToBitmap threshold)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        assert.deepEqual(bitmapBits(greyToBitmap(c.g, { threshold: c.threshold })), reference(c.g, c.threshold, false));
      }),
      { numRuns: 1000 },
    );
  });
  it('faxPageToBitmap is the kernel with strokes, on 4-aligned widths too (the word path)', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 12 }), (c, words) => {
        // Widen to a multiple of 8 so every row is whole 32-bit words from offset 0.
        const width = words * 8;
        const data = new Uint8Array(width * c.g.height);
        for (let i = 0; i < data.length; i++) data[i] = c.g.data[i % c.g.data.length]!;
        const g: GreyImage = { width, height: c.g.height, data };
        const t = c.threshold;
        assert.deepEqual(bitmapBits(faxPageToBitmap(g, { threshold: t })), reference(g, t, true));
      }),
      { numRuns: 2000 },
    );
  });
  it('a rendered-like page: paper, text strokes, a one-row hairline and a line split over two rows', () => {
    const w = 1728;
    const h = 40;
    const d = new Uint8Array(w * h).fill(255);
    for (let x = 100; x < 1600; x++) d[10 * w + x] = 150; // one-row hairline at 41 % ink
    for (let x = 100; x < 1600; x++) {
      d[20 * w + x] = 170; // split line: two rows at 33 % and 22 % ink
      d[21 * w + x] = 200;
    }
    for (let y = 28; y < 36; y++) for (let x = 200; x < 260; x++) d[y * w + x] = (x * 7 + y * 13) % 256; // noise block
    const g: GreyImage = { width: w, height: h, data: d };
    const b = faxPageToBitmap(g);
    assert.deepEqual(b.data, reference(g, 128, true));
    // And the rules did fire: the hairline and the split line's darker row are black.
    assert.equal(b.data[10 * b.stride + 50], 0xff);
    assert.equal(b.data[20 * b.stride + 50], 0xff);
    assert.equal(b.data[21 * b.stride + 50], 0);
  });
  it('misuse throws FaxwireError: a threshold outside 1…255, rows outside the buffer, a short output', () => {
    const data = new Uint8Array(64);
    const out = new Uint8Array(8);
    assert.throws(() => thresholdRowsInto({ data, offset: 0, stride: 8, width: 8, height: 8 }, 0, true, out, 1), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => thresholdRowsInto({ data, offset: 1, stride: 8, width: 8, height: 8 }, 128, true, out, 1), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => thresholdRowsInto({ data, offset: 0, stride: 8, width: 8, height: 8 }, 128, true, new Uint8Array(7), 1), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => thresholdRowsInto({ data, offset: 0, stride: 4, width: 8, height: 2 }, 128, true, out, 1), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
  });
});

/** Changing elements of a packed row, pel by pel (T.4 §4.2.1.2: the pel left of the row is white). */
function changesOf(bits: Uint8Array, stride: number, y: number, width: number): number[] {
  const out: number[] = [];
  let prev = 0;
  for (let x = 0; x < width; x++) {
    const v = (bits[y * stride + (x >>> 3)]! >>> (7 - (x & 7))) & 1;
    if (v !== prev) out.push(x);
    prev = v;
  }
  return out;
}

describe('GreyRowChanges (the threshold as changing elements, for the encoder)', () => {
  it('each row is the changing elements of the row thresholdRowsInto makes (fast-check, any layout and threshold)', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), (c, keep) => {
        const { data, offset, stride } = laidOut(c);
        const src = { data, offset, stride, width: c.g.width, height: c.g.height };
        const ostride = bitmapStride(c.g.width);
        const bits = new Uint8Array(ostride * c.g.height);
        thresholdRowsInto(src, c.threshold, keep, bits, ostride);
        const rows = new GreyRowChanges(src, c.threshold, keep);
        const out = new Int32Array(c.g.width + 5).fill(-7);
        for (let y = 0; y < c.g.height; y++) {
          const n = rows.changesAt(y, out);
          assert.deepEqual(Array.from(out.subarray(0, n)), changesOf(bits, ostride, y, c.g.width), `row ${y}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('on 8-aligned widths (the word path, with runs of paper and of ink skipped whole)', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 12 }), fc.nat(), (c, groups, inkAt) => {
        const width = groups * 8;
        const data = new Uint8Array(width * c.g.height);
        for (let i = 0; i < data.length; i++) data[i] = c.g.data[i % c.g.data.length]!;
        // A run of solid ink (all < 128) somewhere: the ink fast path.
        const at = (inkAt % groups) * 8;
        for (let x = at; x < Math.min(width, at + 16); x++) data[x] = 10;
        const src = { data, offset: 0, stride: width, width, height: c.g.height };
        const t = c.threshold;
        const ref = reference({ width, height: c.g.height, data }, t, true);
        const rows = new GreyRowChanges(src, t, true);
        const out = new Int32Array(width + 5);
        for (let y = 0; y < c.g.height; y++) {
          const n = rows.changesAt(y, out);
          assert.deepEqual(Array.from(out.subarray(0, n)), changesOf(ref, groups, y, width), `row ${y}`);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('BitmapRowChanges gives a bitmap row’s changing elements; both refuse bad rows and short lists', () => {
    const bits = Uint8Array.of(0b1110_0000, 0b0000_0001, 0xff, 0x00);
    const b = new BitmapRowChanges({ width: 13, height: 2, stride: 2, data: bits });
    const out = new Int32Array(13 + 5);
    assert.deepEqual(Array.from(out.subarray(0, b.changesAt(0, out))), [0, 3]);
    // Row 1: black from pel 0 to 7, white after; the padding bits are not pels.
    assert.deepEqual(Array.from(out.subarray(0, b.changesAt(1, out))), [0, 8]);
    assert.throws(() => b.changesAt(2, out), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => b.changesAt(0, new Int32Array(13)), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new BitmapRowChanges({ width: 13, height: 3, stride: 2, data: bits }), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    const g = new GreyRowChanges({ data: new Uint8Array(16).fill(255), offset: 0, stride: 8, width: 8, height: 2 }, 128, true);
    assert.equal(g.changesAt(1, new Int32Array(8)), 0);
    assert.throws(() => g.changesAt(-1, new Int32Array(8)), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => g.changesAt(0, new Int32Array(7)), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new GreyRowChanges({ data: new Uint8Array(15), offset: 0, stride: 8, width: 8, height: 2 }, 128, true), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new GreyRowChanges({ data: new Uint8Array(16), offset: 0, stride: 8, width: 8, height: 2 }, 0, true), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
  });
});
