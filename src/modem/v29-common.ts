/**
 * ITU-T V.29 facts shared by the transmitter (v29-tx.ts) and the receiver (v29-rx.ts).
 *
 * V.29 §1: 2400 baud on a 1700 Hz carrier. §2: the 16-point signal space; at 9600 bit/s each
 * quadbit Q1Q2Q3Q4 is sent as an amplitude (Q1, with the absolute phase choosing which pair of
 * amplitudes) and a differential phase change (Q2Q3Q4, Table 1); at 7200 bit/s the tribit
 * Q2Q3Q4 keeps the phase rule and the amplitude is always the lower one. §3 (Table 3): the
 * synchronizing signal — segment 1 silence (48 symbol intervals), segment 2 alternations of A
 * and B (128), segment 3 the equaliser conditioning pattern C/D chosen by the 1 + x^-6 + x^-7
 * generator started at 0101010 (384), segment 4 scrambled binary ones (48). §4: the
 * self-synchronising scrambler 1 + x^-18 + x^-23.
 *
 * Constellation coordinates are in the units of V.29 Figure 1 (points at 1, 3, 5 and √2, 3√2).
 */

/** Symbol rate (V.29 §1). */
export const V29_BAUD = 2400;
/** Carrier (V.29 §1): 1700 Hz; 1700/8000 = 17/80, so the carrier repeats every 80 samples. */
export const V29_CARRIER_HZ = 1700;
/** Carrier table period in samples and step per sample (17 cycles in 80 samples). */
export const CARRIER_TABLE_LEN = 80;
export const CARRIER_TABLE_STEP = 17;

/** Training segment lengths in symbol intervals (V.29 §3, Table 3). */
export const SEG1_SILENCE = 48;
export const SEG2_ABAB = 128;
export const SEG3_CD = 384;
export const SEG4_ONES = 48;
/** Optional echo protection tone before segment 1 (200 ms of unmodulated carrier, as spandsp). */
export const TEP_SYMBOLS = 480;
/** After the data, scrambled ones so the far receiver can flush its last bits. */
export const SHUTDOWN_ONES = 32;

/** Seed of the segment-3 generator 1 + x^-6 + x^-7 (V.29 §3.3: "0101010"). */
export const TRAINING_SEED = 0x2a;

/**
 * The 16 points, index = 8·Q1 + absolute phase (0…7, ×45°) (V.29 Figure 1): the lower
 * amplitude is 3 on the axes and √2 (1,1) on the diagonals, the upper 5 and 3√2 (3,3).
 */
export const POINT_RE: Float64Array = Float64Array.from([3, 1, 0, -1, -3, -1, 0, 1, 5, 3, 0, -3, -5, -3, 0, 3]);
export const POINT_IM: Float64Array = Float64Array.from([0, 1, 3, 1, 0, -1, -3, -1, 0, 3, 5, 3, 0, -3, -5, -3]);

/** Phase change (×45°) for Q2Q3Q4 = 000…111 (V.29 Table 1). */
export const PHASE_STEP: Uint8Array = Uint8Array.from([1, 0, 2, 3, 6, 7, 5, 4]);
/** The inverse: Q2Q3Q4 for a phase change of 0…7 ×45°. */
export const STEP_TO_BITS: Uint8Array = (() => {
  const t = new Uint8Array(8);
  for (let b = 0; b < 8; b++) t[PHASE_STEP[b] as number] = b;
  return t;
})();

/**
 * Segment 2 and 3 points per rate (V.29 Table 3): A and B of the alternations, C (bit 0) and D
 * (bit 1) of the conditioning pattern. At 9600 A is the 315° upper point and D the 135° upper;
 * at 7200 both are the lower points; B and C are the 180° and 0° points of amplitude 3.
 */
export interface V29TrainingPoints {
  readonly aRe: number;
  readonly aIm: number;
  readonly bRe: number;
  readonly bIm: number;
  readonly cRe: number;
  readonly cIm: number;
  readonly dRe: number;
  readonly dIm: number;
}

export function trainingPoints(rate: V29Rate): V29TrainingPoints {
  return rate === 9600
    ? { aRe: 3, aIm: -3, bRe: -3, bIm: 0, cRe: 3, cIm: 0, dRe: -3, dIm: 3 }
    : { aRe: 1, aIm: -1, bRe: -3, bIm: 0, cRe: 3, cIm: 0, dRe: -1, dIm: 1 };
}

export type V29Rate = 7200 | 9600;

/** Data bits per symbol. */
export function bitsPerSymbol(rate: V29Rate): number {
  return rate === 9600 ? 4 : 3;
}

/** Mean |point|² of random data (equal to that of the A/B alternation at either rate). */
export function constellationPower(rate: V29Rate): number {
  return rate === 9600 ? 13.5 : 5.5;
}

/**
 * Segment-3 generator 1 + x^-6 + x^-7 (V.29 §3.3), as a 7-bit register: returns the next bit in
 * bit 0 and the new register above it (`(reg << 1) | bit`), so callers keep one number.
 */
export function trainingStep(reg: number): number {
  const bit = reg & 1;
  let r = reg >> 1;
  r |= ((bit ^ r) & 1) << 6;
  return (r << 1) | bit;
}

/**
 * Square-root raised cosine impulse response at `t` symbol intervals from its centre, roll-off
 * `beta` (unit energy per symbol when sampled once per symbol; the callers normalise).
 */
export function rootRaisedCosine(t: number, beta: number): number {
  const pi = Math.PI;
  if (Math.abs(t) < 1e-9) return 1 - beta + (4 * beta) / pi;
  const edge = 1 / (4 * beta);
  if (Math.abs(Math.abs(t) - edge) < 1e-9) {
    return (beta / Math.SQRT2) * ((1 + 2 / pi) * Math.sin(pi / (4 * beta)) + (1 - 2 / pi) * Math.cos(pi / (4 * beta)));
  }
  const num = Math.sin(pi * t * (1 - beta)) + 4 * beta * t * Math.cos(pi * t * (1 + beta));
  const den = pi * t * (1 - 16 * beta * beta * t * t);
  return num / den;
}

/** cos and sin of the 1700 Hz carrier over its 80-sample period. */
export const CARRIER_COS: Float64Array = new Float64Array(CARRIER_TABLE_LEN);
export const CARRIER_SIN: Float64Array = new Float64Array(CARRIER_TABLE_LEN);
for (let i = 0; i < CARRIER_TABLE_LEN; i++) {
  CARRIER_COS[i] = Math.cos((2 * Math.PI * i) / CARRIER_TABLE_LEN);
  CARRIER_SIN[i] = Math.sin((2 * Math.PI * i) / CARRIER_TABLE_LEN);
}
