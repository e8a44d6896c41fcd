/**
 * What the V.27ter transmitter and receiver share: the line signal's constants, the
 * constellation and its differential coding, the scrambler, the training sequence's shape and
 * the root-raised-cosine pulse.
 *
 * ITU-T V.27ter (fax use per T.4 §5): carrier 1800 Hz; 4800 bit/s as 1600 baud eight-phase differential
 * PSK on tribits, 2400 bit/s as 1200 baud four-phase on dibits (§2, Tables 1 and 2); the self-synchronising scrambler 1 + x^-6 + x^-7 with its guard against repetitive
 * patterns (V.27ter scrambler clause and Figure); the synchronising signals of §2.5 / Table 3 —
 * segment 1 unmodulated carrier (talker echo protection, optional), segment 2 no energy (20 ms),
 * segment 3 continuous 180° reversals (50 symbols), segment 4 the equaliser conditioning pattern
 * (1074 symbols in the long train: 0° or 180° changes chosen by the scrambled all-ones sequence),
 * segment 5 scrambled binary ones (8 symbols). The spectrum is shaped by a raised cosine split
 * evenly between transmitter and receiver (root raised cosine on each side), excess bandwidth 50 %.
 *
 * Interop facts taken from the spandsp reference peer (read, not copied): the scrambler register
 * starts at 0x3C for segment 4, so its first conditioning symbol is a 0° change (the "hop" after
 * the reversals); segment 4 takes the first of every three scrambler outputs at both rates; the
 * 2400 bit/s points are 0°, 90°, 180°, 270° (the data continues from a segment 4 point); the
 * transmitter ends with 32 symbols of scrambled ones.
 */

export type V27terRate = 2400 | 4800;

/** Carrier frequency, Hz (V.27ter §2). */
export const V27TER_CARRIER_HZ = 1800;

/** Symbols per second at `rate` (V.27ter §2: 1600 baud at 4800 bit/s, 1200 baud at 2400). */
export function v27terBaud(rate: V27terRate): number {
  return rate === 4800 ? 1600 : 1200;
}

/** Talker echo protection tone, segment 1 (V.27ter §2.5.1: 185…200 ms). */
export const TEP_SECONDS = 0.2;
/** Segment 2, no transmitted energy (Table 3/V.27ter: 20 ms). */
export const SEG2_SECONDS = 0.02;
/** Segment 3, continuous 180° phase reversals (Table 3, long train: 50 symbol intervals). */
export const SEG3_SYMBOLS = 50;
/** Segment 4, equaliser conditioning pattern (Table 3, long train: 1074 symbol intervals). */
export const SEG4_SYMBOLS = 1074;
/** Segment 5, continuous scrambled binary ones (Table 3: 8 symbol intervals). */
export const SEG5_SYMBOLS = 8;
/** Scrambled ones after the last data bit (V.27ter defines no turn-off sequence; spandsp sends 32). */
export const SHUTDOWN_SYMBOLS = 32;

/** Scrambler register at the start of segment 4 (as the spandsp peer loads it). */
export const SCRAMBLER_SEED = 0x3c;

/** Root-raised-cosine excess bandwidth (V.27ter §2: 50 % raised-cosine energy spectrum, split evenly). */
export const ROLLOFF = 0.5;

/**
 * Phase change (in 45° steps) for each tribit, indexed by the tribit's bits in time order
 * (first bit most significant): Table 1/V.27ter — 001 0°, 000 45°, 010 90°, 011 135°,
 * 111 180°, 110 225°, 100 270°, 101 315°.
 */
export const TRIBIT_STEP: Readonly<Int8Array> = Int8Array.of(1, 0, 2, 3, 6, 7, 5, 4);

/** Phase change (45° steps) for each dibit: Table 2/V.27ter — 00 0°, 01 90°, 11 180°, 10 270°. */
export const DIBIT_STEP: Readonly<Int8Array> = Int8Array.of(0, 2, 6, 4);

/** Inverse of TRIBIT_STEP: the tribit for a phase change of k·45°. */
export const STEP_TRIBIT: Readonly<Int8Array> = invert(TRIBIT_STEP, 8);
/** Inverse of DIBIT_STEP, indexed by the change in 90° steps. */
export const STEP_DIBIT: Readonly<Int8Array> = (() => {
  const out = new Int8Array(4);
  for (let d = 0; d < 4; d++) out[((DIBIT_STEP[d] as number) >> 1) & 3] = d;
  return out;
})();

function invert(t: Readonly<Int8Array>, n: number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[t[i] as number] = i;
  return out;
}

/** The eight carrier states on the unit circle, state k at k·45° (V.27ter §2). */
export const POINT_RE: Readonly<Float64Array> = Float64Array.from({ length: 8 }, (_, k) => Math.cos((k * Math.PI) / 4));
export const POINT_IM: Readonly<Float64Array> = Float64Array.from({ length: 8 }, (_, k) => Math.sin((k * Math.PI) / 4));

/**
 * The V.27ter scrambler / descrambler: 1 + x^-6 + x^-7, self-synchronising, with the guard
 * that inverts one output bit when the line bits have repeated with a period of 1, 2, 3, 4, 6,
 * 8, 9 or 12 for 33 bits (the comparison against the bits 8, 9 and 12 back, as the
 * recommendation's figure draws it and the spandsp peer does). `reg` holds the line (scrambled)
 * bits, newest in bit 0.
 */
export class V27terScrambler {
  reg = SCRAMBLER_SEED;
  count = 0;

  reset(): void {
    this.reg = SCRAMBLER_SEED;
    this.count = 0;
  }

  /** Scramble one data bit; returns the line bit. */
  scramble(bit: number): number {
    const reg = this.reg;
    let out = (bit ^ (reg >> 5) ^ (reg >> 6)) & 1;
    if (this.count >= 33) {
      out ^= 1;
      this.count = 0;
    } else if (((reg >> 7) ^ out) & ((reg >> 8) ^ out) & ((reg >> 11) ^ out) & 1) {
      this.count = 0;
    } else {
      this.count++;
    }
    this.reg = ((reg << 1) | out) & 0xfff;
    return out;
  }

  /** Descramble one line bit; returns the data bit. */
  descramble(line: number): number {
    const reg = this.reg;
    let out = (line ^ (reg >> 5) ^ (reg >> 6)) & 1;
    if (this.count >= 33) {
      out ^= 1;
      this.count = 0;
    } else if (((reg >> 7) ^ line) & ((reg >> 8) ^ line) & ((reg >> 11) ^ line) & 1) {
      this.count = 0;
    } else {
      this.count++;
    }
    this.reg = ((reg << 1) | line) & 0xfff;
    return out;
  }
}

/**
 * One segment-4 symbol (Table 3/V.27ter, equaliser conditioning): three scrambler steps on
 * binary ones, the first line bit choosing a 0° (0) or 180° (1) change. Returns that bit.
 */
export function conditioningStep(s: V27terScrambler): number {
  const b = s.scramble(1);
  s.scramble(1);
  s.scramble(1);
  return b;
}

/**
 * Root-raised-cosine impulse response at `t` symbol periods, roll-off `beta`, peak 1 at t = 0
 * (the usual closed form with its two removable singularities filled in).
 */
export function rootRaisedCosine(t: number, beta: number): number {
  if (Math.abs(t) < 1e-9) return 1 - beta + (4 * beta) / Math.PI;
  const q = 4 * beta * t;
  if (Math.abs(Math.abs(q) - 1) < 1e-9) {
    return (beta / Math.SQRT2) * ((1 + 2 / Math.PI) * Math.sin(Math.PI / (4 * beta)) + (1 - 2 / Math.PI) * Math.cos(Math.PI / (4 * beta)));
  }
  const num = Math.sin(Math.PI * t * (1 - beta)) + q * Math.cos(Math.PI * t * (1 + beta));
  return num / (Math.PI * t * (1 - q * q));
}

/** cos/sin of the 1800 Hz carrier at 8 kHz: 9/40 of a cycle per sample, so 40 samples repeat. */
export const CARRIER_PERIOD = 40;
export const CARRIER_COS: Readonly<Float64Array> = Float64Array.from({ length: CARRIER_PERIOD }, (_, n) => Math.cos((2 * Math.PI * V27TER_CARRIER_HZ * n) / 8000));
export const CARRIER_SIN: Readonly<Float64Array> = Float64Array.from({ length: CARRIER_PERIOD }, (_, n) => Math.sin((2 * Math.PI * V27TER_CARRIER_HZ * n) / 8000));
