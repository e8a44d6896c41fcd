/**
 * V.17 facts shared by the transmitter and the receiver: the signal constellations, the
 * differential and trellis (convolutional) encoder, the scrambler, the training symbols and the
 * square-root raised cosine pulse.
 *
 * ITU-T V.17 (02/91):
 * - §2: carrier 1800 Hz, 2400 symbols/s (10/3 samples per symbol at 8 kHz).
 * - §3 (Figure 2, Tables 1/2): each symbol carries Q1…Qn data bits; Q1Q2 are differentially
 *   encoded into Y1Y2, an 8-state systematic convolutional encoder adds the redundant bit Y0, and
 *   Y0Y1Y2Q3…Qn select one of 16/32/64/128 points (Figures 3–6). The code is 90° invariant, so
 *   the receiver needs no absolute phase once the differential decoding has one symbol of history.
 * - §5: the self-synchronising scrambler 1 + x⁻¹⁸ + x⁻²³.
 * - §7 (Table 3): the training sequences. Long: segment 1 ABAB (256 symbols), segment 2 scrambled
 *   CDBA (2976 symbols), segment 3 bridge (64 symbols), segment 4 scrambled binary ones through
 *   the data encoder (48 symbols). Short (resynchronising) training: segment 1, segment 2 of
 *   38 symbols, then segment 4. Optional talker echo protection (TEP): unmodulated carrier then
 *   silence before segment 1.
 *
 * Where the recommendation leaves an implementation choice, we do what the spandsp reference
 * modem does (interop quirk): the scrambler starts from 0x2ECDD5 at the start of segment 2 (so the
 * first CDBA symbol is C, a reversal of the A before it), the bridge pattern is the 16-bit word
 * 0x8880 sent as 8 dibits through the scrambler and the ABCD differential step, and the
 * differential encoder starts from 1 (long training) or 0 (short training).
 */

/** Symbols per second (V.17 §2). */
export const V17_BAUD = 2400;
/** Carrier frequency, Hz (V.17 §2). */
export const V17_CARRIER_HZ = 1800;
/** Samples per symbol at 8 kHz. */
export const V17_SPS = 8000 / V17_BAUD;

/** Training segment lengths in symbols (V.17 Table 3). */
export const SEG1_SYMBOLS = 256;
export const SEG2_LONG_SYMBOLS = 2976;
export const SEG2_SHORT_SYMBOLS = 38;
export const SEG3_SYMBOLS = 64;
export const SEG4_SYMBOLS = 48;
/** TEP: unmodulated carrier then silence, in symbols (≈200 ms + 20 ms, V.17 §7.1 / Table 3). */
export const TEP_TONE_SYMBOLS = 480;
export const TEP_SILENCE_SYMBOLS = 48;
/** Shutdown after the data: scrambled ones, then silence (symbols). */
export const SHUTDOWN_ONES_SYMBOLS = 32;
export const SHUTDOWN_SILENCE_SYMBOLS = 48;

/** Scrambler state at the start of segment 2 (interop with spandsp, see above). */
export const SCRAMBLER_INIT = 0x2ecdd5;
/** Bridge word of segment 3, sent LSB first as 8 dibits (interop with spandsp). */
export const BRIDGE_WORD = 0x8880;

export type V17Rate = 7200 | 9600 | 12000 | 14400;

/** Data bits per symbol (V.17 Table 1): Q1…Qn. */
export function bitsPerSymbol(rate: V17Rate): number {
  return rate / V17_BAUD;
}

/**
 * Training points A, B, C, D (V.17 Table 3 / Figure 7): A = (−6,−2), B = A·j, C = −A, D = −B.
 * Stored as [re, im] pairs in the order A, B, C, D.
 */
export const ABCD: Float64Array = Float64Array.from([-6, -2, 2, -6, 6, 2, -2, 6]);

/**
 * The point sent for each scrambled dibit of segment 2 (first bit as the high bit): 00 → C,
 * 01 → D, 10 → B, 11 → A (V.17 Table 3), as an index into ABCD.
 */
export const DIBIT_TO_ABCD: Uint8Array = Uint8Array.from([2, 3, 1, 0]);
/** Segment 3 (bridge): the phase step (quarter turns) for each scrambled dibit (V.17 Table 3). */
export const DIBIT_TO_STEP: Uint8Array = Uint8Array.from([1, 0, 2, 3]);

/**
 * Signal points by label (V.17 Figures 3–6). The label is Q(n)…Q3 Y2 Y1 Y0 read as a binary
 * number (Y0 the least significant bit). Every figure is symmetric under a half turn: flipping
 * Y2 negates the point. So only the labels with Y2 = 0 are listed, in label order (0, 1, 2, 3,
 * 8, 9, 10, 11, 16, …); the other half is their negation.
 */
const HALF_POINTS: Readonly<Record<V17Rate, readonly number[]>> = {
  // 14 400 bit/s, 128 points (Figure 3)
  14400: [
    -8, -3, 9, 2, 2, -9, -3, 8, -8, 1, 9, -2, -2, -9, 1, 8,
    -4, -3, 5, 2, 2, -5, -3, 4, -4, 1, 5, -2, -2, -5, 1, 4,
    4, -3, -3, 2, 2, 3, -3, -4, 4, 1, -3, -2, -2, 3, 1, -4,
    0, -3, 1, 2, 2, -1, -3, 0, 0, 1, 1, -2, -2, -1, 1, 0,
    8, -3, -7, 2, 2, 7, -3, -8, 8, 1, -7, -2, -2, 7, 1, -8,
    -4, -7, 5, 6, 6, -5, -7, 4, -4, 5, 5, -6, -6, -5, 5, 4,
    4, -7, -3, 6, 6, 3, -7, -4, 4, 5, -3, -6, -6, 3, 5, -4,
    0, -7, 1, 6, 6, -1, -7, 0, 0, 5, 1, -6, -6, -1, 5, 0,
  ],
  // 12 000 bit/s, 64 points (Figure 4)
  12000: [
    7, 1, -5, -1, -1, 5, 1, -7, 3, -3, -1, 3, 3, 1, -3, -3,
    7, -7, -5, 7, 7, 5, -7, -7, -1, -7, 3, 7, 7, -3, -7, 1,
    3, 5, -1, -5, -5, 1, 5, -3, -1, 1, 3, -1, -1, -3, 1, 1,
    -5, 5, 7, -5, -5, -7, 5, 5, -5, -3, 7, 3, 3, -7, -3, 5,
  ],
  // 9600 bit/s, 32 points (Figure 5)
  9600: [
    -8, 2, -6, -4, -4, 6, 2, 8, 0, 2, -6, 4, 4, 6, 2, 0,
    0, -6, 2, -4, -4, -2, -6, 0, 8, 2, 2, 4, 4, -2, 2, -8,
  ],
  // 7200 bit/s, 16 points (Figure 6)
  7200: [6, -6, -2, 6, 6, 2, -6, -6, -2, 2, 6, -2, -2, -6, 2, 2],
};

/** The full constellation for `rate`: [re, im] per label, label = Q…Q3 Y2 Y1 Y0. */
export function constellation(rate: V17Rate): Float64Array {
  const half = HALF_POINTS[rate];
  const n = half.length; // = points (half of them, two numbers each)
  const out = new Float64Array(2 * n);
  let h = 0;
  for (let label = 0; label < n; label++) {
    if (label & 4) continue;
    const re = half[h++] as number;
    const im = half[h++] as number;
    out[2 * label] = re;
    out[2 * label + 1] = im;
    out[2 * (label | 4)] = -re;
    out[2 * (label | 4) + 1] = -im;
  }
  return out;
}

/**
 * The convolutional encoder of V.17 Figure 2: three delay elements s0, s1, s2, inputs Y1 Y2
 * (the differentially encoded bits). Its output Y0 is the content of s0 before the clock; the
 * next state is (s0', s1', s2') with
 *   s0' = s1 ⊕ Y2 ⊕ s0·Y1,   s1' = s2 ⊕ Y1 ⊕ Y2 ⊕ s0·s1 ⊕ s0·Y2,   s2' = s0.
 * (The AND terms make the code invariant under 90° rotation.) Returns the next state for state
 * `s` (s0 = bit 0) and input `y` (Y1 = bit 0, Y2 = bit 1).
 */
export function trellisNext(s: number, y: number): number {
  const s0 = s & 1;
  const s1 = (s >> 1) & 1;
  const s2 = (s >> 2) & 1;
  const y1 = y & 1;
  const y2 = (y >> 1) & 1;
  const n0 = s1 ^ y2 ^ (s0 & y1);
  const n1 = s2 ^ y1 ^ y2 ^ (s0 & s1) ^ (s0 & y2);
  return n0 | (n1 << 1) | (s0 << 2);
}

/** Next state, by state·4 + input (32 entries). */
export const TRELLIS_NEXT: Uint8Array = (() => {
  const t = new Uint8Array(32);
  for (let s = 0; s < 8; s++) for (let y = 0; y < 4; y++) t[s * 4 + y] = trellisNext(s, y);
  return t;
})();

/** Subset (label bits Y2 Y1 Y0) of the branch leaving state s with input y: (y << 1) | s0. */
export const TRELLIS_SUBSET: Uint8Array = (() => {
  const t = new Uint8Array(32);
  for (let s = 0; s < 8; s++) for (let y = 0; y < 4; y++) t[s * 4 + y] = (y << 1) | (s & 1);
  return t;
})();

/**
 * The scrambler of V.17 §5 (1 + x⁻¹⁸ + x⁻²³) on a 23-bit register: the output is the input
 * XOR the bits sent 18 and 23 bits ago. Returns the new register; the output bit is its bit 0.
 */
export function scrambleStep(reg: number, bit: number): number {
  const out = (bit ^ (reg >>> 17) ^ (reg >>> 22)) & 1;
  return ((reg << 1) | out) & 0x7fffff;
}

/**
 * The whole of segments 2 and 3 as ABCD indices, for `seg2` symbols of segment 2 and `seg3` of
 * the bridge (the transmitter and the receiver's reference both come from here).
 */
export function trainingSymbols(seg2: number, seg3: number): { symbols: Uint8Array; scramblerAfter: number } {
  const symbols = new Uint8Array(seg2 + seg3);
  let reg = SCRAMBLER_INIT;
  let state = 0;
  for (let i = 0; i < seg2; i++) {
    reg = scrambleStep(reg, 1);
    const b1 = reg & 1;
    reg = scrambleStep(reg, 1);
    const b2 = reg & 1;
    state = DIBIT_TO_ABCD[(b1 << 1) | b2] as number;
    symbols[i] = state;
  }
  for (let i = 0; i < seg3; i++) {
    const shift = (i & 7) << 1;
    reg = scrambleStep(reg, (BRIDGE_WORD >> shift) & 1);
    const b1 = reg & 1;
    reg = scrambleStep(reg, (BRIDGE_WORD >> (shift + 1)) & 1);
    const b2 = reg & 1;
    state = (state + (DIBIT_TO_STEP[(b1 << 1) | b2] as number)) & 3;
    symbols[seg2 + i] = state;
  }
  return { symbols, scramblerAfter: reg };
}

/**
 * Square-root raised cosine pulse at `t` symbols from its centre, roll-off `beta` (V.17 §2.2
 * asks for a spectrum shaped by the transmitter; the square-root split between the two ends is
 * the usual choice and what the reference modem does).
 */
export function rrc(t: number, beta: number): number {
  const at = Math.abs(t);
  if (at < 1e-9) return 1 - beta + (4 * beta) / Math.PI;
  const edge = 1 / (4 * beta);
  if (Math.abs(at - edge) < 1e-9) {
    return (beta / Math.SQRT2) * ((1 + 2 / Math.PI) * Math.sin(Math.PI / (4 * beta)) + (1 - 2 / Math.PI) * Math.cos(Math.PI / (4 * beta)));
  }
  const num = Math.sin(Math.PI * t * (1 - beta)) + 4 * beta * t * Math.cos(Math.PI * t * (1 + beta));
  const den = Math.PI * t * (1 - (4 * beta * t) * (4 * beta * t));
  return num / den;
}
