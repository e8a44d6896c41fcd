/**
 * G.711 against a model built from the structure of its tables (G.711 Tables 1a/1b for A-law,
 * 2a/2b for µ-law): eight segments per sign, 16 equal steps per segment, each step's decoder
 * output at the middle of its decision interval. The model below lists the segment end points and
 * step sizes as the tables give them and finds the interval by search — no bit tricks — so it
 * checks the table-driven codec independently.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALAW_SILENCE,
  ALAW_TO_LINEAR,
  alawToLinear,
  G711_PAYLOAD_TYPE,
  g711Decode,
  g711Encode,
  g711RoundTrip,
  LINEAR_TO_ALAW,
  LINEAR_TO_ULAW,
  linearToAlaw,
  linearToUlaw,
  ULAW_SILENCE,
  ULAW_TO_LINEAR,
  ulawToLinear,
  type G711Law,
} from '../../../src/g711/index.js';

interface Interval {
  /** Segment (0…7) and step (0…15). */
  readonly seg: number;
  readonly step: number;
  /** Decision interval [lo, hi) and decoder output, in the law's own units. */
  readonly lo: number;
  readonly hi: number;
  readonly out: number;
}

/**
 * A-law, G.711 Table 1a, in 12-bit magnitude units (full scale 4096; the 16-bit sample is 8 ×
 * that): segment end points 0, 32, 64, 128, …, 4096; the first two segments both have steps of 2.
 */
const ALAW_SEGMENTS = [0, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/**
 * µ-law, G.711 Table 2a, in 14-bit magnitude units (full scale 8159; the 16-bit sample is 4 ×
 * that): decision values 0, 1, 3, 5 … 31 | 35 … 95 | 103 … 223 | … | 8159, i.e. with the bias of
 * 33 added the segments are [32·2^s, 32·2^(s+1)) with steps of 2^(s+1).
 */
const ULAW_SEGMENTS = [0, 31, 95, 223, 479, 991, 2015, 4063, 8159];

/** A-law intervals: each segment split in 16 equal steps, outputs at the middles. */
function alawIntervals(): Interval[] {
  const out: Interval[] = [];
  for (let seg = 0; seg < 8; seg++) {
    const size = ((ALAW_SEGMENTS[seg + 1] as number) - (ALAW_SEGMENTS[seg] as number)) / 16;
    for (let step = 0; step < 16; step++) {
      const lo = (ALAW_SEGMENTS[seg] as number) + step * size;
      out.push({ seg, step, lo, hi: lo + size, out: lo + size / 2 });
    }
  }
  return out;
}

/**
 * µ-law intervals. Segment 0 is 0…1 → 0, then 1…3 → 2, …, 29…31 → 30 (the interval around zero
 * is split by the sign); the others are 16 equal steps from one end point to the next.
 */
function ulawIntervals(): Interval[] {
  const out: Interval[] = [];
  for (let step = 0; step < 16; step++) out.push({ seg: 0, step, lo: step === 0 ? 0 : 2 * step - 1, hi: 2 * step + 1, out: 2 * step });
  for (let seg = 1; seg < 8; seg++) {
    const size = ((ULAW_SEGMENTS[seg + 1] as number) - (ULAW_SEGMENTS[seg] as number)) / 16;
    for (let step = 0; step < 16; step++) {
      const lo = (ULAW_SEGMENTS[seg] as number) + step * size;
      out.push({ seg, step, lo, hi: lo + size, out: lo + size / 2 });
    }
  }
  return out;
}

const ALAW_INTERVALS = alawIntervals();
const ULAW_INTERVALS = ulawIntervals();

function find(intervals: readonly Interval[], magnitude: number): Interval {
  for (const i of intervals) if (magnitude >= i.lo && magnitude < i.hi) return i;
  return intervals[intervals.length - 1] as Interval; // overload: the last step
}

/** The model's A-law code and output for a 16-bit sample. */
function alawModel(x: number): { code: number; out: number; seg: number } {
  const v = Math.floor(x / 8); // 13-bit two's complement
  const negative = v < 0;
  const m = negative ? -v - 1 : v; // the negative intervals mirror the positive ones
  const i = find(ALAW_INTERVALS, m);
  const code = ((negative ? 0 : 0x80) | (i.seg << 4) | i.step) ^ 0x55; // even bits inverted (G.711 §2)
  return { code, out: (negative ? -i.out : i.out) * 8, seg: i.seg };
}

/** The model's µ-law code and output for a 16-bit sample. */
function ulawModel(x: number): { code: number; out: number; seg: number } {
  const negative = x < 0;
  const m = Math.abs(x) / 4; // 14-bit units, fractional
  const i = find(ULAW_INTERVALS, m);
  const code = ~((negative ? 0x80 : 0) | (i.seg << 4) | i.step) & 0xff; // all bits inverted (G.711 §3)
  return { code, out: (negative ? -i.out : i.out) * 4, seg: i.seg };
}

const hexCode = (c: number): string => `0x${c.toString(16).padStart(2, '0')}`;

describe('G.711', () => {
  it('codes the values G.711 Tables 1 and 2 give: zero, full scale, segment edges', () => {
    // Linear 0: A-law 0xD5 (positive, segment 0, step 0, even bits inverted), µ-law 0xFF.
    assert.equal(linearToAlaw(0), 0xd5);
    assert.equal(linearToUlaw(0), 0xff);
    assert.equal(ALAW_SILENCE, 0xd5);
    assert.equal(ULAW_SILENCE, 0xff);
    // Full scale: A-law 0xAA / 0x2A, µ-law 0x80 / 0x00.
    assert.equal(linearToAlaw(32767), 0xaa);
    assert.equal(linearToAlaw(-32768), 0x2a);
    assert.equal(linearToUlaw(32767), 0x80);
    assert.equal(linearToUlaw(-32768), 0x00);
    // Decoder outputs: A-law ±1 and ±4032 (× 8), µ-law 0, ±2 and ±8031 (× 4).
    assert.equal(alawToLinear(0xd5), 8);
    assert.equal(alawToLinear(0x55), -8);
    assert.equal(alawToLinear(0xaa), 4032 * 8);
    assert.equal(alawToLinear(0x2a), -4032 * 8);
    assert.equal(ulawToLinear(0xff), 0);
    assert.equal(ulawToLinear(0x7f), 0);
    assert.equal(ulawToLinear(0xfe), 2 * 4);
    assert.equal(ulawToLinear(0x7e), -2 * 4);
    assert.equal(ulawToLinear(0x80), 8031 * 4);
    assert.equal(ulawToLinear(0x00), -8031 * 4);
    // A-law segment 1 → 2 edge at 12-bit magnitude 64 (16-bit 512): 511 is the last step of segment 1.
    assert.equal(linearToAlaw(511), (0x80 | 0x1f) ^ 0x55);
    assert.equal(linearToAlaw(512), (0x80 | 0x20) ^ 0x55);
    // µ-law segment 0 → 1 edge at decision value 31 (16-bit 124).
    assert.equal(linearToUlaw(123), ~(0x0f) & 0xff);
    assert.equal(linearToUlaw(124), ~(0x10) & 0xff);
    assert.equal(G711_PAYLOAD_TYPE.ulaw, 0);
    assert.equal(G711_PAYLOAD_TYPE.alaw, 8);
  });

  it('encodes every 16-bit sample as the table model does, and decodes every code to its interval midpoint', () => {
    let aBad = 0;
    let uBad = 0;
    const firstBad: string[] = [];
    for (let x = -32768; x < 32768; x++) {
      const a = alawModel(x);
      if (linearToAlaw(x) !== a.code || alawToLinear(a.code) !== a.out) {
        if (aBad++ === 0) firstBad.push(`A-law x=${x}: ${hexCode(linearToAlaw(x))}/${alawToLinear(a.code)} vs model ${hexCode(a.code)}/${a.out}`);
      }
      const u = ulawModel(x);
      if (linearToUlaw(x) !== u.code || ulawToLinear(u.code) !== u.out) {
        if (uBad++ === 0) firstBad.push(`µ-law x=${x}: ${hexCode(linearToUlaw(x))}/${ulawToLinear(u.code)} vs model ${hexCode(u.code)}/${u.out}`);
      }
    }
    assert.deepEqual([aBad, uBad], [0, 0], firstBad.join('; '));
  });

  it('re-encodes every decoded code to itself (µ-law: both zero codes decode to 0, which encodes as 0xFF)', () => {
    for (let c = 0; c < 256; c++) {
      assert.equal(linearToAlaw(alawToLinear(c)), c, `A-law ${hexCode(c)}`);
      assert.equal(linearToUlaw(ulawToLinear(c)), c === 0x7f ? 0xff : c, `µ-law ${hexCode(c)}`);
    }
  });

  it('decodes monotonically: within each sign, output grows with segment and step; encoding is monotonic too', () => {
    for (const law of ['alaw', 'ulaw'] as const) {
      const dec = law === 'alaw' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
      for (const positive of [true, false]) {
        let prev = -1;
        for (let k = 0; k < 128; k++) {
          // k = segment·16 + step, before the law's bit inversion.
          const raw = (positive ? (law === 'alaw' ? 0x80 : 0) : law === 'alaw' ? 0 : 0x80) | k;
          const code = law === 'alaw' ? raw ^ 0x55 : ~raw & 0xff;
          const mag = Math.abs(dec[code] as number);
          assert.ok(mag > prev || (law === 'ulaw' && k === 0), `${law} ${positive ? '+' : '−'} k=${k}: ${mag} after ${prev}`);
          // Step size constant within a segment, doubling from segment to segment (A-law: segments 0 and 1 equal).
          prev = mag;
        }
      }
      // The composite linear → code → linear is a non-decreasing staircase.
      let last = -Infinity;
      for (let x = -32768; x < 32768; x++) {
        const y = g711RoundTrip(law, x);
        assert.ok(y >= last, `${law}: round trip of ${x} = ${y} < ${last}`);
        last = y;
      }
    }
  });

  it('steps double from segment to segment (A-law: segments 0 and 1 share the smallest step)', () => {
    for (const law of ['alaw', 'ulaw'] as const) {
      const steps: number[] = [];
      for (let seg = 0; seg < 8; seg++) {
        const raw = (law === 'alaw' ? 0x80 : 0) | (seg << 4);
        const code0 = law === 'alaw' ? raw ^ 0x55 : ~raw & 0xff;
        const code1 = law === 'alaw' ? (raw | 1) ^ 0x55 : ~(raw | 1) & 0xff;
        steps.push(Math.abs((law === 'alaw' ? alawToLinear(code1) : ulawToLinear(code1)) - (law === 'alaw' ? alawToLinear(code0) : ulawToLinear(code0))));
      }
      assert.deepEqual(steps, law === 'alaw' ? [16, 16, 32, 64, 128, 256, 512, 1024] : [8, 16, 32, 64, 128, 256, 512, 1024]);
    }
  });

  it('round-trips every sample within half a quantisation step of its segment (inside the coding range)', () => {
    const worst: Record<G711Law, number> = { alaw: 0, ulaw: 0 };
    for (let x = -32768; x < 32768; x++) {
      // A-law: the step of segment s is 2^max(1, s) in 12-bit units, × 8 in 16-bit ones; the
      // whole 16-bit range is inside the coding range.
      const aSeg = alawModel(x).seg;
      const aHalf = ((1 << Math.max(1, aSeg)) * 8) / 2;
      const ea = Math.abs(g711RoundTrip('alaw', x) - x);
      assert.ok(ea <= aHalf, `A-law x=${x}: error ${ea} > ${aHalf}`);
      worst.alaw = Math.max(worst.alaw, ea / aHalf);
      // µ-law: coding range ±8159 in 14-bit units (±32636); beyond it the code saturates.
      if (Math.abs(x) <= 32636) {
        // µ-law: the step of segment s is 2^(s+1) in 14-bit units, × 4 in 16-bit ones.
        const uHalf = ((2 << ulawModel(x).seg) * 4) / 2;
        const eu = Math.abs(g711RoundTrip('ulaw', x) - x);
        assert.ok(eu <= uHalf, `µ-law x=${x}: error ${eu} > ${uHalf}`);
        worst.ulaw = Math.max(worst.ulaw, eu / uHalf);
      } else {
        assert.equal(Math.abs(g711RoundTrip('ulaw', x)), 8031 * 4);
      }
    }
    // The bound is reached (the midpoints are exact), not just respected.
    assert.equal(worst.alaw, 1);
    assert.equal(worst.ulaw, 1);
  });

  it('converts blocks with offsets and counts, leaving the rest of the buffers alone', () => {
    const lin = Int16Array.from([0, 1000, -1000, 32767, -32768, 5, -5]);
    for (const law of ['alaw', 'ulaw'] as const) {
      const codes = new Uint8Array(10).fill(0x11);
      g711Encode(law, lin, codes, 5, 1, 3);
      assert.deepEqual([...codes.subarray(0, 3)], [0x11, 0x11, 0x11]);
      assert.deepEqual([...codes.subarray(8)], [0x11, 0x11]);
      const enc = law === 'alaw' ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
      for (let i = 0; i < 5; i++) assert.equal(codes[3 + i], enc[(lin[1 + i] as number) & 0xffff]);
      const back = new Int16Array(8).fill(7);
      g711Decode(law, codes, back, 5, 3, 2);
      assert.deepEqual([...back.subarray(0, 2)], [7, 7]);
      assert.equal(back[7], 7);
      for (let i = 0; i < 5; i++) assert.equal(back[2 + i], g711RoundTrip(law, lin[1 + i] as number));
      // Default count: the shorter of the two.
      const all = new Uint8Array(3);
      g711Encode(law, lin, all);
      assert.equal(all[2], enc[-1000 & 0xffff]);
    }
  });
});
