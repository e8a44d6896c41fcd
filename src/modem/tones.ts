/**
 * The call-establishment tones of a fax call: generators and a detector, in blocks, without
 * allocation after construction.
 *
 * The tones:
 * - CNG, the calling tone (T.30 §5.2.3.1): 1100 Hz ± 38 Hz, 0.5 s on, 3 s off, repeated.
 * - CED, the called station identification (T.30 §5.2.4; the V.25 answer tone ANS): 2100 Hz
 *   ± 15 Hz, continuous for 2.6 … 4 s (V.25: 3.3 ± 0.7 s).
 * - ANS/ (V.25, the form that disables echo cancellers; G.165/G.168): ANS with a 180° phase
 *   reversal every 450 ± 25 ms.
 * - ANSam and ANSam/ (V.8, the modified answer tone): ANS / ANS/ amplitude-modulated by a
 *   15 ± 0.1 Hz sine with a depth of 20 ± 1 %. A fax machine treats all four answer tones as
 *   CED (T.30 §5.2.4 note).
 * (The T.30 clause numbers are the ones the rest of the project cites (fax/terminal); they and
 * the V.25/V.8 sub-clauses were not checked against the recommendations' text here. The values
 * are those of spandsp's modem_connect_tones and every other implementation.)
 *
 * Detector (`ToneDetector`): the signal is cut into 10 ms blocks (80 samples). In each block
 * it measures the total energy and the complex amplitude at 1100 Hz and at 2100 Hz (a
 * single-bin DFT; both frequencies have a period of exactly 80 samples at 8 kHz, 11/80 and
 * 21/80 of the sample rate, so the local oscillator is one 80-entry table and its phase is the
 * same in every block). A block "has" a tone when
 * - the tone carries at least half the block's energy (out-of-band check: speech, noise and the
 *   modems spread their energy; a single bin of 100 Hz holds at most a few % of white noise),
 * - its level is at least −46 dBm0 (the tones are sent at −43 dBm0 or more at the receiver).
 * A run of such blocks (gaps of up to 30 ms bridged: a phase reversal in mid-block cancels
 * that block) is a candidate tone. Its frequency comes from the phase advance from block to
 * block (2π·Δf·10 ms): the mean over the run must lie within the tolerance (CNG ± 45 Hz =
 * T.30's ± 38 Hz plus a 7 Hz line offset; ANS ± 30 Hz = V.25's ± 15 Hz plus 15 Hz) and its
 * RMS wander must stay under 5 Hz (a generated tone in noise at 12 dB SNR wanders < 1 Hz; a
 * speech harmonic sweeping through the bin as the pitch moves wanders tens of Hz); a step of
 * more than 90° beyond the mean advance is a phase reversal. The amplitude of each block feeds
 * a sliding 400 ms DFT at 15 Hz (exactly 6 periods): ANSam's 20 % modulation reads a depth
 * ≈ 0.19, a plain tone ≈ 0.
 *
 * When it reports (the minimum durations):
 * - CNG after 400 ms of 1100 Hz: a burst is 500 ms; 400 leaves 20 % for a short burst and the
 *   block quantisation, and is far longer than any steady sound in speech (spandsp's detector
 *   uses 415 ms).
 * - ANS family after 550 ms of 2100 Hz: long enough to have seen the first reversal of ANS/
 *   (450 + 25 ms) and 5 cycles of ANSam's 15 Hz, so the kind is right the first time; far
 *   within CED's 2.6 s minimum and the 200 ms a T.30 receiver may need after CED ends. A
 *   reversal seen after a plain 'ced' or 'ansam' was reported re-classifies the tone: 'end' of
 *   the old kind and 'start' of the '-pr' kind, both at the reversal.
 * 'start' carries the sample at which the tone began (the first block that had it), 'end'
 * the sample after its last block; samples are counted from construction or restart().
 */

import { dbm0ToPower, sineAmplitude } from '../dsp/level.js';
import { SAMPLE_RATE, type ModemTransmitter } from './types.js';

/** The tones a fax call starts with. */
export type ToneKind = 'cng' | 'ced' | 'ans-pr' | 'ansam' | 'ansam-pr';

/** Where a ToneDetector reports. */
export interface ToneSink {
  tone(kind: ToneKind, event: 'start' | 'end', atSample: number): void;
}

/** CNG: 1100 Hz, 0.5 s on, 3 s off (T.30 §5.2.3.1). */
export const CNG_HZ = 1100;
export const CNG_ON_MS = 500;
export const CNG_OFF_MS = 3000;
/** ANS / CED: 2100 Hz (V.25; T.30 §5.2.4), 3.3 ± 0.7 s. */
export const ANS_HZ = 2100;
export const ANS_MS = 3300;
/** ANS/: a phase reversal every 450 ms (V.25). */
export const ANS_REVERSAL_MS = 450;
/** ANSam: 15 Hz amplitude modulation, 20 % deep (V.8). */
export const ANSAM_AM_HZ = 15;
export const ANSAM_AM_DEPTH = 0.2;

export interface ToneGeneratorOptions {
  /** Level of the tone (the unmodulated carrier for ANSam), dBm0; default −10. */
  readonly levelDbm0?: number;
  /** Total duration, ms: default ANS_MS for the answer tones, unlimited for CNG (call stop()). */
  readonly durationMs?: number;
}

/**
 * A generator of one of the tones, as a ModemTransmitter: `tx` writes the tone and returns
 * fewer samples than asked once its duration is over (CNG's silent periods are written as
 * zeros: they are part of the signal).
 */
export class ToneGenerator implements ModemTransmitter {
  private readonly amplitude: number;
  private readonly hz: number;
  private readonly totalSamples: number;
  private readonly reversalSamples: number;
  private readonly amDepth: number;
  private n = 0;
  private stopped = false;

  constructor(
    readonly kind: ToneKind,
    opts: ToneGeneratorOptions = {},
  ) {
    this.amplitude = sineAmplitude(opts.levelDbm0 ?? -10);
    this.hz = kind === 'cng' ? CNG_HZ : ANS_HZ;
    const ms = opts.durationMs ?? (kind === 'cng' ? Infinity : ANS_MS);
    this.totalSamples = Math.round((ms * SAMPLE_RATE) / 1000);
    this.reversalSamples = kind === 'ans-pr' || kind === 'ansam-pr' ? (ANS_REVERSAL_MS * SAMPLE_RATE) / 1000 : 0;
    this.amDepth = kind === 'ansam' || kind === 'ansam-pr' ? ANSAM_AM_DEPTH : 0;
  }

  get done(): boolean {
    return this.stopped || this.n >= this.totalSamples;
  }

  /** End the tone now (the next tx writes nothing). */
  stop(): void {
    this.stopped = true;
  }

  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    if (this.stopped) return 0;
    const left = this.totalSamples - this.n;
    const count = left < length ? left : length;
    const w = (2 * Math.PI * this.hz) / SAMPLE_RATE;
    const wAm = (2 * Math.PI * ANSAM_AM_HZ) / SAMPLE_RATE;
    const cadence = ((CNG_ON_MS + CNG_OFF_MS) * SAMPLE_RATE) / 1000;
    const onSamples = (CNG_ON_MS * SAMPLE_RATE) / 1000;
    for (let i = 0; i < count; i++) {
      const n = this.n + i;
      let v: number;
      if (this.kind === 'cng') {
        // Integer Hz: the tone repeats every 8000 samples, which keeps the phase argument small.
        v = n % cadence < onSamples ? Math.sin(w * (n % SAMPLE_RATE)) : 0;
      } else {
        const flips = this.reversalSamples > 0 ? Math.floor(n / this.reversalSamples) : 0;
        v = Math.sin(w * (n % SAMPLE_RATE) + Math.PI * (flips & 1));
        if (this.amDepth > 0) v *= 1 + this.amDepth * Math.sin(wAm * (n % SAMPLE_RATE));
      }
      out[offset + i] = Math.round(this.amplitude * v);
    }
    this.n += count;
    return count;
  }
}

/** Detector block: 10 ms. */
const BLOCK = 80;
/** A tone must carry this share of the block's energy. */
const TONE_SHARE = 0.5;
/** Minimum tone level, dBm0 (mean square of the tone over a block). */
const MIN_LEVEL = dbm0ToPower(-46);
/** Blocks without the tone bridged inside a run (a reversal, a G.711 glitch): 30 ms. */
const MAX_GAP = 3;
/** Report CNG after this many blocks (400 ms), the ANS family after 550 ms. */
const CNG_MIN_BLOCKS = 40;
const ANS_MIN_BLOCKS = 55;
/** Frequency tolerances of the runs, Hz. */
const CNG_TOLERANCE_HZ = 45;
const ANS_TOLERANCE_HZ = 30;
/** A tone's frequency is steady: its block-to-block RMS wander must stay below this, Hz. */
const MAX_SPREAD_HZ = 5;
/** A phase step beyond the mean advance by more than this is a reversal. */
const REVERSAL_RAD = Math.PI / 2;
/** Reversals closer than this (blocks) to the last one are the same reversal. */
const REVERSAL_REFRACTORY = 20;
/** 15 Hz AM DFT: 40 blocks = 400 ms = 6 periods; the DFT kernel repeats every 20 blocks. */
const AM_BLOCKS = 40;
const AM_PERIOD = 20;
const AM_MIN_DEPTH = 0.1;

/** One frequency's run tracker (CNG at 1100 Hz, or the ANS family at 2100 Hz). */
class ToneTrack {
  active = false;
  reported: ToneKind | null = null;
  startBlock = 0;
  lastGood = 0;
  goodBlocks = 0;
  lastRe = 0;
  lastIm = 0;
  lastMag = 0;
  sumD = 0;
  sumD2 = 0;
  nD = 0;
  reversals = 0;
  lastReversal = -1000;
  // 15 Hz AM sliding DFT over the block magnitudes.
  readonly amRing = new Float64Array(AM_BLOCKS);
  amAt = 0;
  amCount = 0;
  amSum = 0;
  amRe = 0;
  amIm = 0;

  reset(): void {
    this.active = false;
    this.reported = null;
    this.goodBlocks = 0;
    this.sumD = 0;
    this.sumD2 = 0;
    this.nD = 0;
    this.reversals = 0;
    this.lastReversal = -1000;
    this.amRing.fill(0);
    this.amAt = 0;
    this.amCount = 0;
    this.amSum = this.amRe = this.amIm = 0;
  }

  /** Mean frequency offset of the run, Hz (from the mean phase advance per block). */
  offsetHz(): number {
    return this.nD > 0 ? ((this.sumD / this.nD) * SAMPLE_RATE) / (2 * Math.PI * BLOCK) : 0;
  }

  /** RMS deviation of the block-to-block frequency from its mean, Hz. */
  spreadHz(): number {
    if (this.nD < 2) return 0;
    const m = this.sumD / this.nD;
    const v = Math.max(0, this.sumD2 / this.nD - m * m);
    return (Math.sqrt(v) * SAMPLE_RATE) / (2 * Math.PI * BLOCK);
  }

  /** Depth of 15 Hz amplitude modulation over the last 400 ms (0 until 400 ms were seen). */
  amDepth(): number {
    if (this.amCount < AM_BLOCKS || this.amSum <= 0) return 0;
    return (2 * Math.sqrt(this.amRe * this.amRe + this.amIm * this.amIm)) / this.amSum;
  }
}

const AM_COS = new Float64Array(AM_PERIOD);
const AM_SIN = new Float64Array(AM_PERIOD);
for (let k = 0; k < AM_PERIOD; k++) {
  const a = (2 * Math.PI * ANSAM_AM_HZ * BLOCK * k) / SAMPLE_RATE;
  AM_COS[k] = Math.cos(a);
  AM_SIN[k] = Math.sin(a);
}

/**
 * Detects CNG, CED/ANS, ANS/, ANSam and ANSam/ in a stream of samples and reports each tone's
 * start and end to a ToneSink. See the module comment for the method and the durations.
 */
export class ToneDetector {
  private readonly cos11 = new Float64Array(BLOCK);
  private readonly sin11 = new Float64Array(BLOCK);
  private readonly cos21 = new Float64Array(BLOCK);
  private readonly sin21 = new Float64Array(BLOCK);
  private readonly cng = new ToneTrack();
  private readonly ans = new ToneTrack();
  private at = 0;
  private re11 = 0;
  private im11 = 0;
  private re21 = 0;
  private im21 = 0;
  private energy = 0;
  private blockIndex = 0;

  constructor(private readonly sink: ToneSink) {
    for (let n = 0; n < BLOCK; n++) {
      const a = (2 * Math.PI * CNG_HZ * n) / SAMPLE_RATE;
      const b = (2 * Math.PI * ANS_HZ * n) / SAMPLE_RATE;
      this.cos11[n] = Math.cos(a);
      this.sin11[n] = Math.sin(a);
      this.cos21[n] = Math.cos(b);
      this.sin21[n] = Math.sin(b);
    }
  }

  /** Forget everything heard; sample counting restarts at 0. */
  restart(): void {
    this.at = 0;
    this.re11 = this.im11 = this.re21 = this.im21 = this.energy = 0;
    this.blockIndex = 0;
    this.cng.reset();
    this.ans.reset();
  }

  /** The tone currently reported, if any. */
  get current(): ToneKind | null {
    return this.ans.reported ?? this.cng.reported;
  }

  rx(samples: Int16Array, offset = 0, length = samples.length - offset): void {
    const c11 = this.cos11;
    const s11 = this.sin11;
    const c21 = this.cos21;
    const s21 = this.sin21;
    let at = this.at;
    let re11 = this.re11;
    let im11 = this.im11;
    let re21 = this.re21;
    let im21 = this.im21;
    let energy = this.energy;
    const end = offset + length;
    for (let k = offset; k < end; k++) {
      const x = samples[k] as number;
      re11 += x * (c11[at] as number);
      im11 -= x * (s11[at] as number);
      re21 += x * (c21[at] as number);
      im21 -= x * (s21[at] as number);
      energy += x * x;
      if (++at === BLOCK) {
        this.block(this.cng, re11, im11, energy, false);
        this.block(this.ans, re21, im21, energy, true);
        this.blockIndex++;
        at = 0;
        re11 = im11 = re21 = im21 = energy = 0;
      }
    }
    this.at = at;
    this.re11 = re11;
    this.im11 = im11;
    this.re21 = re21;
    this.im21 = im21;
    this.energy = energy;
  }

  /**
   * `n` samples were lost: time runs on. The current block is abandoned, and a gap longer than
   * the bridged 30 ms ends any tone (its end is reported at the start of the gap).
   */
  fillIn(n: number): void {
    if (n <= 0) return;
    let left = n + this.at;
    this.at = 0;
    this.re11 = this.im11 = this.re21 = this.im21 = this.energy = 0;
    while (left >= BLOCK) {
      this.block(this.cng, 0, 0, 0, false);
      this.block(this.ans, 0, 0, 0, true);
      this.blockIndex++;
      left -= BLOCK;
    }
    // The partial block restarts at a block boundary shifted by `left`: keep the count exact.
    this.at = left;
  }

  private block(t: ToneTrack, re: number, im: number, energy: number, isAns: boolean): void {
    const k = this.blockIndex;
    const p2 = re * re + im * im;
    // Tone mean square over the block: (2|C|/N)²/2 = 2|C|²/N².
    const toneMs = (2 * p2) / (BLOCK * BLOCK);
    const good = energy > 0 && toneMs >= MIN_LEVEL && toneMs * BLOCK >= TONE_SHARE * energy;
    if (good) {
      const mag = Math.sqrt(p2);
      if (!t.active) {
        t.reset();
        t.active = true;
        t.startBlock = k;
      } else {
        // Phase advance since the last block that had the tone.
        const gap = k - t.lastGood;
        const d = Math.atan2(im * t.lastRe - re * t.lastIm, re * t.lastRe + im * t.lastIm);
        const mean = t.nD > 0 ? t.sumD / t.nD : 0;
        let dev = d - gap * mean;
        dev -= 2 * Math.PI * Math.round(dev / (2 * Math.PI));
        if (Math.abs(dev) > REVERSAL_RAD && t.nD >= 3) {
          if (isAns && k - t.lastReversal >= REVERSAL_REFRACTORY) {
            t.reversals++;
            t.lastReversal = k;
            this.reversal(t, k);
          }
        } else if (gap === 1) {
          t.sumD += d;
          t.sumD2 += d * d;
          t.nD++;
        }
        // Bridged blocks read as the last good magnitude (no dip from a reversal).
        for (let g = 1; g < gap; g++) this.amPush(t, t.lastMag, k - gap + g);
      }
      this.amPush(t, mag, k);
      t.lastRe = re;
      t.lastIm = im;
      t.lastMag = mag;
      t.lastGood = k;
      t.goodBlocks++;
      this.decide(t, k, isAns);
    } else if (t.active && k - t.lastGood > MAX_GAP) {
      t.active = false;
      if (t.reported !== null) {
        this.sink.tone(t.reported, 'end', (t.lastGood + 1) * BLOCK);
        t.reported = null;
      }
    }
  }

  private amPush(t: ToneTrack, mag: number, k: number): void {
    const old = t.amRing[t.amAt] as number;
    t.amRing[t.amAt] = mag;
    if (++t.amAt === AM_BLOCKS) t.amAt = 0;
    if (t.amCount < AM_BLOCKS) t.amCount++;
    // k − AM_BLOCKS has the same kernel index as k (40 is two kernel periods).
    const ki = k % AM_PERIOD;
    t.amSum += mag - old;
    t.amRe += (mag - old) * (AM_COS[ki] as number);
    t.amIm -= (mag - old) * (AM_SIN[ki] as number);
  }

  private decide(t: ToneTrack, k: number, isAns: boolean): void {
    if (t.reported !== null) return;
    const blocks = k + 1 - t.startBlock;
    if (isAns) {
      if (blocks < ANS_MIN_BLOCKS || Math.abs(t.offsetHz()) > ANS_TOLERANCE_HZ || t.spreadHz() > MAX_SPREAD_HZ) return;
      const am = t.amDepth() >= AM_MIN_DEPTH;
      const pr = t.reversals > 0;
      t.reported = am ? (pr ? 'ansam-pr' : 'ansam') : pr ? 'ans-pr' : 'ced';
    } else {
      if (blocks < CNG_MIN_BLOCKS || Math.abs(t.offsetHz()) > CNG_TOLERANCE_HZ || t.spreadHz() > MAX_SPREAD_HZ) return;
      t.reported = 'cng';
    }
    this.sink.tone(t.reported, 'start', t.startBlock * BLOCK);
  }

  /** A reversal after a reversal-free kind was reported: re-classify. */
  private reversal(t: ToneTrack, k: number): void {
    if (t.reported !== 'ced' && t.reported !== 'ansam') return;
    const next: ToneKind = t.reported === 'ced' ? 'ans-pr' : 'ansam-pr';
    this.sink.tone(t.reported, 'end', k * BLOCK);
    t.reported = next;
    this.sink.tone(next, 'start', k * BLOCK);
  }
}
