/**
 * V.29 receiver (ITU-T V.29): 9600 and 7200 bit/s, 2400 baud on 1700 Hz.
 *
 * How: the 8 kHz samples go into a ring. At every half symbol (T/2 = 5/3 samples, moved by the
 * timing loop) a polyphase square-root raised cosine (roll-off 0.5, 64 phases × 20 taps) with
 * the nominal 1700 Hz carrier folded into its taps mixes down, filters and interpolates one
 * complex baseband sample at the exact instant wanted. Those T/2 samples feed:
 * - a carrier detector whose threshold rides 5 dB above a noise floor it learns while no signal
 *   is present (and never below −49 dBm0), so a signal 6 dB above a noise that came first is
 *   seen, and a −43 dBm0 signal on a quiet line too;
 * - symbol timing: acquired in one step from the segment-2 alternations (V.29 §3 Table 3: the
 *   phase of their ±1200 Hz lines gives the symbol instants), then tracked by a Gardner detector
 *   in a second-order loop, whose integrator holds a sender clock hundreds of ppm off;
 * - an adaptive T/2-spaced (fractionally spaced) equaliser, 25 taps, trained by LMS on the
 *   known segment-3 pattern (V.29 §3.3) then decision-directed;
 * - carrier recovery: the frequency and phase are measured on segment 2 (where A and B are
 *   told apart by the ±135° between them) and then tracked by a second-order decision-directed
 *   loop rotating the equaliser output.
 * The AGC is a gain fixed from the measured level of segment 2 (the equaliser trims it), so any
 * level from about −49 to 0 dBm0 is demodulated the same way. Data: differential phase and
 * amplitude decoding (V.29 §2, Table 1), descrambling 1 + x^-18 + x^-23 (V.29 §4).
 *
 * Energy that turns out not to be V.29 segment 2 (an echo protection tone, speech, noise: the
 * ±1200 Hz lines of the alternations are missing, or A and B are not 135° apart) is dropped
 * without a word; 'carrier-up' and 'training-in-progress' come once segment 2 is recognised.
 * The ratio |A|/|B| (√2 at 9600, √2/3 at 7200) tells the rates apart: the wrong one fails.
 * Training succeeds when segment 3 has converged (normalised error below −10 dB) and the first
 * 32 symbols of segment 4 descramble to ones (90 %: in sync, if not error-free); bits go to the
 * sink from then on (the rest of segment 4, then the data).
 *
 * Lost audio (`fillIn`): the clocks run on over the gap (the timing, carrier and equaliser hold
 * still), so the receiver stays in sync. Each symbol whose centre falls in the gap is delivered
 * as binary ones (so the bit count stays that of the time elapsed); the symbols whose filters
 * straddle the gap are demodulated but not adapted on; the descrambler makes up to 23 bits after
 * the gap wrong.
 *
 * Allocation-free after construction (the per-T/2 and per-symbol steps hand values over in
 * fields, so no double is boxed), about 3 KiB of state per receiver (plus one 20 KiB filter
 * table shared by all); blocks of any size give the same bits.
 *
 * Interop note: spandsp 0.0.6's V.29 transmitter, when it sends the echo protection tone, cuts
 * segment 4 to about 33 symbols of ones (48 without it), so training is decided on the first 32.
 */

import { dbm0ToPower, powerToDbm0 } from '../dsp/level.js';
import {
  CARRIER_COS,
  CARRIER_SIN,
  CARRIER_TABLE_LEN,
  CARRIER_TABLE_STEP,
  POINT_IM,
  POINT_RE,
  SEG3_CD,
  STEP_TO_BITS,
  TRAINING_SEED,
  V29_BAUD,
  bitsPerSymbol,
  constellationPower,
  rootRaisedCosine,
  trainingPoints,
  trainingStep,
  type V29Rate,
  type V29TrainingPoints,
} from './v29-common.js';
import type { BitSink, ModemReceiver, ModemRxMetrics } from './types.js';

export interface V29RxOptions {
  readonly rate: V29Rate;
}

/** Samples per symbol and per half symbol at 8 kHz. */
const SPS = 8000 / V29_BAUD;
const HALF = SPS / 2;

/** Receive filter: RRC roll-off 0.5, ±10 samples (±3 symbols), 64 interpolation phases. */
const RX_ROLLOFF = 0.5;
const MF_HALF = 10;
const MF_LEN = 2 * MF_HALF;
const MF_PHASES = 64;
const RING = 64; // baseband ring (doubled so any MF_LEN window is contiguous)

/** Equaliser: T/2-spaced, 25 taps (±6 symbols), centre tap 12. */
const EQ_LEN = 25;
const EQ_CENTRE = 12;
/** Delay from the newest T/2 sample to the equaliser's centre, in samples. */
const EQ_DELAY = EQ_CENTRE * HALF;

/** Carrier detector (powers are |y|², which the filter scales to mean-square dBm0 units). */
const NOISE_INIT_DBM0 = -65;
const ABS_ON_DBM0 = -49;
const ON_ABOVE_NOISE = 10 ** (5 / 10);

/** Receiver stages. */
const S_SEARCH = 0; // no carrier: learn the noise floor, wait for energy
const S_ACQ = 1; // energy seen: measure the symbol timing on the alternations
const S_ABAB = 2; // timing set: measure level, carrier phase and frequency on A/B
const S_WAIT_CD = 3; // track A/B until the conditioning pattern starts
const S_TRAIN_CD = 4; // train on segment 3
const S_TEST_ONES = 5; // check segment 4
const S_DATA = 6;
const S_PARKED = 7; // training failed: wait for the signal to end (or a new one)

const ACQ_HALVES = 48; // T/2 samples used for the timing estimate (24 symbols)
const ABAB_SKIP = 8; // symbols to let the equaliser line fill after the timing jump
const ABAB_MEASURE = 32; // symbols for level / phase / frequency
const WAIT_CD_MAX = 140;
const CD_TEST_FROM = SEG3_CD - 96; // measure convergence over the last 96 symbols of segment 3
const ONES_CHECK_FROM = 8; // segment 4 symbols: skip the descrambler's fill
const ONES_DECIDE = 32; // decide at this segment-4 symbol (spandsp 0.0.6 with TEP sends only ~33 of the 48)

/** Loop gains (per symbol). */
const TIMING_KP_TRAIN = 0.1;
const TIMING_KI_TRAIN = 0.00005;
const TIMING_KP_DATA = 0.03;
const TIMING_KI_DATA = 0.00001;
const CARRIER_KP_TRAIN = 0.12;
const CARRIER_KI_TRAIN = 0.004;
const CARRIER_KP_DATA = 0.06;
const CARRIER_KI_DATA = 0.0008;
const EQ_MU_FAST = 0.5;
const MU_FAST_UNTIL = 160; // segment-3 symbols trained with the fast step
const EQ_MU_TRAIN = 0.25;
const EQ_MU_SETTLE = 0.12;
const EQ_MU_DATA = 0.06;

interface MutableMetrics {
  signalLevelDbm0: number;
  carrierOffsetHz: number;
  symbolTimingPpm: number;
  trained: boolean;
}

export class V29Receiver implements ModemReceiver {
  private readonly rate: V29Rate;
  private readonly bps: number;
  private readonly pc: number; // constellation power
  private readonly invPc: number;
  private readonly pts: V29TrainingPoints;
  /** First two segment-3 bits after the seed (what the transition detector looks for). */
  private readonly cd0: number;
  private readonly cd1: number;

  /** Matched filter and interpolator with the carrier folded in (shared, read-only). */
  private readonly mfRe = MF_RE;
  private readonly mfIm = MF_IM;
  private readonly ring = new Float64Array(2 * RING); // input samples, doubled
  private readonly eqRe = new Float64Array(2 * EQ_LEN); // delay line, doubled
  private readonly eqIm = new Float64Array(2 * EQ_LEN);
  private readonly wRe = new Float64Array(EQ_LEN);
  private readonly wIm = new Float64Array(EQ_LEN);
  private readonly m: MutableMetrics = { signalLevelDbm0: -Infinity, carrierOffsetHz: 0, symbolTimingPpm: 0, trained: false };

  // Sample clock and ring.
  private n = 0; // samples received (or filled in)
  private tNext = 0; // time (samples) of the next T/2 output
  private isSym = false; // the next T/2 output is a symbol instant
  private timingFreq = 0; // samples added to each T/2 step (clock offset)
  private holdStart = -1e9; // the last filled-in gap [holdStart, holdEnd)
  private holdEnd = -1e9;

  // Levels.
  private levelPow = 0; // input mean square (for the metric)
  private pShort = 0; // in-band power, ~7 ms
  private pFast = 0; // in-band power, ~2 ms
  private noise = 0;
  private pSig = 0; // in-band power of the signal, measured on segment 2
  private offThr = 0;
  private agc = 1;

  // Stage.
  private stage = S_SEARCH;
  private count = 0;
  private searchWarm = 0;
  private armed = false;

  // Timing acquisition (S_ACQ) accumulators: y·e^{∓jπk/2}.
  private accPr = 0;
  private accPi = 0;
  private accMr = 0;
  private accMi = 0;
  private accPow = 0;
  private acqT0 = 0;

  // Gardner.
  private midRe = 0;
  private midIm = 0;
  private prevRe = 0;
  private prevIm = 0;
  private timingKp = TIMING_KP_TRAIN;
  private timingKi = TIMING_KI_TRAIN;
  private eqHead = 0;

  // Carrier.
  private rotRe = 1;
  private rotIm = 0;
  private freq = 0; // rad/symbol
  private carrierKp = CARRIER_KP_TRAIN;
  private carrierKi = CARRIER_KI_TRAIN;
  private mu = EQ_MU_TRAIN;

  // Segment-2 measurement.
  private lastZr = 0;
  private lastZi = 0;
  private last2Zr = 0;
  private last2Zi = 0;
  private abPhRe = 0;
  private abPhIm = 0;
  private abFrRe = 0;
  private abFrIm = 0;
  private abMagA = 0;
  private abMagB = 0;
  private abNA = 0;
  private abNB = 0;
  private abGood = 0;
  private abPow = 0;
  private expectA = false;
  private candC = false;

  // Training and data.
  private trainReg = TRAINING_SEED;
  private errAcc = 0;
  private refAcc = 0;
  private onesCount = 0;
  private onesTotal = 0;
  private prevPhase = 0;
  private descr = 0;
  private deliver = false;
  // Hand-over registers between the per-T/2 and per-symbol steps (fields, not arguments, so
  // no double is boxed on a call V8 does not inline: the receiver allocates nothing).
  private hYr = 0;
  private hYi = 0;
  private hT = 0;
  private hHeld = false;
  private sZr = 0;
  private sZi = 0;
  private sUr = 0;
  private sUi = 0;
  private sTr = 0;
  private sTi = 0;
  private pe = 0;
  private adaptTick = 0;
  /** Decision error power relative to the constellation's (EMA over ~100 ms of data). */
  private mse = 0;

  constructor(
    private readonly sink: BitSink,
    opts: V29RxOptions,
  ) {
    if (opts.rate !== 9600 && opts.rate !== 7200) throw new RangeError(`V.29: no rate ${String(opts.rate)}`);
    this.rate = opts.rate;
    this.bps = bitsPerSymbol(this.rate);
    this.pc = constellationPower(this.rate);
    this.invPc = 1 / this.pc;
    this.pts = trainingPoints(this.rate);
    let r = trainingStep(TRAINING_SEED);
    this.cd0 = r & 1;
    r = trainingStep(r >> 1);
    this.cd1 = r & 1;
    this.restart();
  }

  /** Decision signal-to-error ratio (dB) of the data, a running figure of the margin left. */
  get decisionSnrDb(): number {
    return this.mse > 0 ? -10 * Math.log10(this.mse) : Infinity;
  }

  /** What the receiver measures of the signal it is locked to (one object, updated in place). */
  get metrics(): ModemRxMetrics {
    const m = this.m;
    m.signalLevelDbm0 = this.levelPow > 0 ? powerToDbm0(this.levelPow) : -Infinity;
    m.carrierOffsetHz = (this.freq * V29_BAUD) / (2 * Math.PI);
    m.symbolTimingPpm = (-this.timingFreq / HALF) * 1e6;
    m.trained = this.stage === S_DATA;
    return m;
  }

  restart(): void {
    this.n = 0;
    this.tNext = 0;
    this.isSym = false;
    this.timingFreq = 0;
    this.holdStart = -1e9;
    this.holdEnd = -1e9;
    this.ring.fill(0);
    this.levelPow = 0;
    this.pShort = 0;
    this.pFast = 0;
    this.noise = dbm0ToPower(NOISE_INIT_DBM0);
    this.searchWarm = 0;
    this.pSig = 0;
    this.toSearch();
  }

  rx(samples: Int16Array, offset = 0, length: number = samples.length - offset): void {
    const end = Math.min(offset + length, samples.length);
    for (let i = offset; i < end; i++) this.push(samples[i] as number);
  }

  fillIn(n: number): void {
    if (n <= 0) return;
    if (this.n > this.holdEnd + EQ_DELAY * 4) this.holdStart = this.n;
    this.holdEnd = this.n + n;
    for (let i = 0; i < n; i++) this.push(0);
  }

  /** One input sample: store it, and run every T/2 output that is now computable. */
  private push(x: number): void {
    const n = this.n;
    const j = n & (RING - 1);
    this.ring[j] = x;
    this.ring[j + RING] = x;
    this.n = n + 1;
    if (this.stage !== S_SEARCH && (n >= this.holdEnd || n < this.holdStart)) this.levelPow += (x * x - this.levelPow) * (1 / 256);
    const limit = n - MF_HALF + 1;
    while (this.tNext < limit) {
      const t = this.tNext;
      let ft = Math.floor(t);
      let p = Math.floor((t - ft) * MF_PHASES + 0.5);
      if (p === MF_PHASES) {
        // Rounded up to phase 0 of the next sample.
        p = 0;
        ft += 1;
      }
      const m = ft + MF_HALF; // newest sample under the filter
      const base = p * MF_LEN;
      const start = (m - MF_LEN + 1) & (RING - 1);
      const fr = this.mfRe;
      const fi = this.mfIm;
      const ring = this.ring;
      let a = 0;
      let b = 0;
      for (let k = 0; k < MF_LEN; k++) {
        const v = ring[start + k] as number;
        a += (fr[base + k] as number) * v;
        b += (fi[base + k] as number) * v;
      }
      // y = e^{-jωm}·(a + jb): the mixing by the 1700 Hz carrier, done once per output.
      const ci = (m * CARRIER_TABLE_STEP) % CARRIER_TABLE_LEN;
      const c = CARRIER_COS[ci] as number;
      const sn = CARRIER_SIN[ci] as number;
      this.tNext = t + HALF + this.timingFreq;
      this.hYr = a * c + b * sn;
      this.hYi = b * c - a * sn;
      this.hT = t;
      this.onHalf();
    }
  }

  /** True if anything that fed the T/2 sample at `t` (and the equaliser line behind it) came from a filled-in gap. */
  private held(t: number): boolean {
    return t + MF_HALF >= this.holdStart && t - 2 * EQ_DELAY - MF_HALF < this.holdEnd;
  }

  private onHalf(): void {
    const yr = this.hYr;
    const yi = this.hYi;
    const t = this.hT;
    const pw = yr * yr + yi * yi;
    const held = this.held(t);
    if (!held) {
      this.pShort += (pw - this.pShort) * (1 / 32);
      this.pFast += (pw - this.pFast) * (1 / 8);
    }
    const stage = this.stage;
    if (stage === S_SEARCH) {
      if (held) return;
      // Noise floor: follows the power down quickly and up slowly.
      if (this.searchWarm < 40) {
        // The first 8 ms set the floor (V.29 starts with 20 ms of silence, segment 1).
        if (++this.searchWarm === 40) this.noise = Math.max(this.noise, this.pShort);
        return;
      }
      const on = Math.max(this.noise * ON_ABOVE_NOISE, dbm0ToPowerAbsOn);
      if (!this.armed) {
        // After a signal, wait for its energy to go before looking for the next one.
        if (this.pShort < on) this.armed = true;
        return;
      }
      if (this.pShort > on) {
        this.startAcquisition();
        return;
      }
      this.noise += (this.pShort - this.noise) * (this.pShort < this.noise ? 1 / 16 : 1 / 256);
      return;
    }
    if (stage === S_PARKED) {
      if (this.pShort < this.pSig * 0.25) {
        this.sink.status('carrier-down');
        this.toSearch();
      } else if (this.pShort > this.pSig * ON_ABOVE_NOISE) {
        this.startAcquisition();
      }
      return;
    }
    // Carrier off: the in-band power fell well below the signal's.
    if (stage >= S_WAIT_CD && !held && this.pFast < this.offThr) {
      this.sink.status('carrier-down');
      this.toSearch();
      return;
    }
    const xr = yr * this.agc;
    const xi = yi * this.agc;
    if (stage === S_ACQ) {
      this.acquire(pw);
      return;
    }
    if (stage < S_WAIT_CD && this.pShort > this.pSig * 4) {
      // A stronger signal started under us (it was noise we were training on): start again.
      this.startAcquisition();
      return;
    }
    // Equaliser delay line (newest at eqHead).
    const h = this.eqHead === 0 ? EQ_LEN - 1 : this.eqHead - 1;
    this.eqHead = h;
    this.eqRe[h] = xr;
    this.eqRe[h + EQ_LEN] = xr;
    this.eqIm[h] = xi;
    this.eqIm[h + EQ_LEN] = xi;
    const sym = this.isSym;
    this.isSym = !sym;
    if (!sym) {
      this.midRe = xr;
      this.midIm = xi;
      return;
    }
    // Gardner timing detector (late sampling gives a negative error).
    if (!held) {
      const e = ((this.prevRe - xr) * this.midRe + (this.prevIm - xi) * this.midIm) * this.invPc;
      const ec = e > 1 ? 1 : e < -1 ? -1 : e;
      this.tNext += this.timingKp * ec;
      this.timingFreq += this.timingKi * ec;
      if (this.timingFreq > 0.005) this.timingFreq = 0.005;
      else if (this.timingFreq < -0.005) this.timingFreq = -0.005;
    }
    this.prevRe = xr;
    this.prevIm = xi;
    this.hHeld = held;
    this.onSymbol();
  }

  /** Carrier-off threshold: halfway (in dB) between the noise floor and the signal, at most 12 dB under the signal, at least 1.8 dB over the floor. */
  private setOffThreshold(): void {
    const mid = Math.sqrt(this.noise * this.pSig);
    const lo = this.pSig * (1 / 16);
    this.offThr = Math.max(this.noise * 1.5, mid < lo ? mid : lo);
  }

  private toSearch(): void {
    this.stage = S_SEARCH;
    this.armed = false;
    this.deliver = false;
  }

  private startAcquisition(): void {
    this.stage = S_ACQ;
    this.count = 0;
    this.mse = 0;
    this.accPr = 0;
    this.accPi = 0;
    this.accMr = 0;
    this.accMi = 0;
    this.accPow = 0;
    this.agc = Math.sqrt(this.pc / Math.max(this.pShort, 1e-9));
    this.levelPow = this.pShort;
    this.timingFreq = 0;
    this.timingKp = TIMING_KP_TRAIN;
    this.timingKi = TIMING_KI_TRAIN;
  }

  /** S_ACQ: the ±1200 Hz lines of the alternations give the symbol instants (V.29 §3, segment 2). */
  private acquire(pw: number): void {
    const xr = this.hYr * this.agc;
    const xi = this.hYi * this.agc;
    const t = this.hT;
    const k = this.count & 3;
    if (this.count === 0) this.acqT0 = t;
    // accP += x·e^{-jπk/2}, accM += x·e^{+jπk/2}
    if (k === 0) {
      this.accPr += xr;
      this.accPi += xi;
      this.accMr += xr;
      this.accMi += xi;
    } else if (k === 1) {
      this.accPr += xi;
      this.accPi -= xr;
      this.accMr -= xi;
      this.accMi += xr;
    } else if (k === 2) {
      this.accPr -= xr;
      this.accPi -= xi;
      this.accMr -= xr;
      this.accMi -= xi;
    } else {
      this.accPr -= xi;
      this.accPi += xr;
      this.accMr += xi;
      this.accMi -= xr;
    }
    this.accPow += pw;
    if (++this.count < ACQ_HALVES) return;
    // The alternations put a good part of their power in the two lines; a tone (an echo
    // protection tone, V.29 §3 / V.17 §5.1), speech or noise does not: give up quietly.
    const lines = (this.accPr * this.accPr + this.accPi * this.accPi + this.accMr * this.accMr + this.accMi * this.accMi) / (ACQ_HALVES * this.accPow * this.agc * this.agc);
    if (!(lines > 0.15)) {
      this.quietFail();
      return;
    }
    // P·conj(M) = |V|²/4·e^{j2φ}, φ = π(t0' − tA)/T with tA an instant of A or B.
    const cr = this.accPr * this.accMr + this.accPi * this.accMi;
    const cim = this.accPi * this.accMr - this.accPr * this.accMi;
    const phi = Math.atan2(cim, cr) / 2;
    const tSym = this.acqT0 - (phi * SPS) / Math.PI;
    // The next T/2 output goes back to the first symbol or mid instant at or after tNext − HALF.
    const jn = Math.ceil((this.tNext - HALF - tSym) / HALF);
    this.tNext = tSym + jn * HALF;
    this.isSym = (jn & 1) === 0;
    // AGC from the measured level (the equaliser trims the rest).
    const meanPow = this.accPow / ACQ_HALVES;
    this.pSig = meanPow;
    this.setOffThreshold();
    this.agc = Math.sqrt(this.pc / Math.max(meanPow, 1e-12));
    // Equaliser: a plain centre tap; carrier: not yet known.
    this.wRe.fill(0);
    this.wIm.fill(0);
    this.wRe[EQ_CENTRE] = 1;
    this.eqRe.fill(0);
    this.eqIm.fill(0);
    this.eqHead = 0;
    this.prevRe = 0;
    this.prevIm = 0;
    this.midRe = 0;
    this.midIm = 0;
    this.rotRe = 1;
    this.rotIm = 0;
    this.freq = 0;
    this.stage = S_ABAB;
    this.count = 0;
    this.abPhRe = 0;
    this.abPhIm = 0;
    this.abFrRe = 0;
    this.abFrIm = 0;
    this.abMagA = 0;
    this.abMagB = 0;
    this.abNA = 0;
    this.abNB = 0;
    this.abGood = 0;
    this.abPow = 0;
    this.lastZr = 0;
    this.lastZi = 0;
    this.last2Zr = 0;
    this.last2Zi = 0;
  }

  /** One symbol instant: equalise, derotate, then the stage's work. */
  private onSymbol(): void {
    const t = this.hT;
    const held = this.hHeld;
    // Equaliser output.
    const h = this.eqHead;
    const er = this.eqRe;
    const ei = this.eqIm;
    const wr = this.wRe;
    const wi = this.wIm;
    let zr = 0;
    let zi = 0;
    for (let k = 0; k < EQ_LEN; k++) {
      const a = wr[k] as number;
      const b = wi[k] as number;
      const c = er[h + k] as number;
      const d = ei[h + k] as number;
      zr += a * c - b * d;
      zi += a * d + b * c;
    }
    // Derotate by the carrier estimate: u = z·conj(rot).
    const rr = this.rotRe;
    const ri = this.rotIm;
    const ur = zr * rr + zi * ri;
    const ui = zi * rr - zr * ri;
    this.sUr = ur;
    this.sUi = ui;
    const p = this.pts;
    let tr = 0; // target (derotated domain)
    let ti = 0;
    let adapt = false;
    switch (this.stage) {
      case S_ABAB:
        this.sZr = zr;
        this.sZi = zi;
        this.measureAbab();
        this.last2Zr = this.lastZr;
        this.last2Zi = this.lastZi;
        this.lastZr = zr;
        this.lastZi = zi;
        return;
      case S_WAIT_CD: {
        const dA = sq(ur - p.aRe, ui - p.aIm);
        const dB = sq(ur - p.bRe, ui - p.bIm);
        const c0r = this.cd0 ? p.dRe : p.cRe;
        const c0i = this.cd0 ? p.dIm : p.cIm;
        const c1r = this.cd1 ? p.dRe : p.cRe;
        const c1i = this.cd1 ? p.dIm : p.cIm;
        if (this.candC) {
          this.candC = false;
          // The alternations would give A now; the pattern gives its second point.
          if (sq(ur - c1r, ui - c1i) < dA) {
            this.trainReg = trainingStep(trainingStep(TRAINING_SEED) >> 1) >> 1;
            this.stage = S_TRAIN_CD;
            this.count = 2;
            this.errAcc = 0;
            this.refAcc = 0;
            tr = c1r;
            ti = c1i;
            adapt = true;
            break;
          }
        }
        const expA = this.expectA;
        this.expectA = !expA;
        const dExp = expA ? dA : dB;
        if (!expA && sq(ur - c0r, ui - c0i) < dExp) {
          // Where B was due, the first point of segment 3 came (the alternations end on A).
          this.candC = true;
          this.trackCarrier(c0r, c0i, held);
          return;
        }
        if (dA < dB) {
          tr = p.aRe;
          ti = p.aIm;
          this.expectA = false;
        } else {
          tr = p.bRe;
          ti = p.bIm;
          this.expectA = true;
        }
        this.trackCarrier(tr, ti, held);
        if (++this.count > WAIT_CD_MAX) this.fail();
        return;
      }
      case S_TRAIN_CD: {
        this.trainReg = trainingStep(this.trainReg);
        const bit = this.trainReg & 1;
        this.trainReg >>= 1;
        tr = bit ? p.dRe : p.cRe;
        ti = bit ? p.dIm : p.cIm;
        adapt = true;
        // Step size: large while the equaliser is far off, smaller to settle (less misadjustment).
        this.mu = this.count < MU_FAST_UNTIL ? EQ_MU_FAST : this.count < CD_TEST_FROM ? EQ_MU_TRAIN : EQ_MU_SETTLE;
        if (this.count >= CD_TEST_FROM) {
          this.errAcc += sq(ur - tr, ui - ti);
          this.refAcc += tr * tr + ti * ti;
        }
        if (++this.count >= SEG3_CD) {
          if (this.errAcc > 0.1 * this.refAcc) {
            this.sTr = tr;
            this.sTi = ti;
            this.adaptAll(held);
            this.fail();
            return;
          }
          this.stage = S_TEST_ONES;
          this.count = 0;
          this.prevPhase = 0;
          this.onesCount = 0;
          this.onesTotal = 0;
          this.timingKp = TIMING_KP_DATA;
          this.timingKi = TIMING_KI_DATA;
          this.carrierKp = CARRIER_KP_DATA;
          this.carrierKi = CARRIER_KI_DATA;
          this.mu = EQ_MU_DATA;
        }
        break;
      }
      case S_TEST_ONES:
      case S_DATA: {
        const idx = this.slice();
        tr = POINT_RE[idx] as number;
        ti = POINT_IM[idx] as number;
        adapt = true;
        const inGap = t - EQ_DELAY >= this.holdStart && t - EQ_DELAY < this.holdEnd;
        this.decode(idx, inGap);
        if (!held) {
          const er = ur - tr;
          const ei = ui - ti;
          this.mse += ((er * er + ei * ei) * this.invPc - this.mse) * (1 / 256);
        }
        if (this.stage === S_TEST_ONES && ++this.count >= ONES_DECIDE) {
          if (this.onesCount < 0.9 * this.onesTotal) {
            this.fail();
            return;
          }
          this.stage = S_DATA;
          this.deliver = true;
          this.sink.status('training-succeeded');
        }
        break;
      }
      default:
        return;
    }
    if (adapt) {
      this.sTr = tr;
      this.sTi = ti;
      this.adaptAll(held);
    }
  }

  /** S_ABAB: level, A/B identity, carrier phase and frequency, from the equaliser's centre tap. */
  private measureAbab(): void {
    const zr = this.sZr;
    const zi = this.sZi;
    const c = this.count++;
    if (c < ABAB_SKIP) return;
    const p = this.pts;
    // r = z·conj(z_prev): +135° when this symbol is A (B → A), −135° when it is B.
    const rIm = zi * this.lastZr - zr * this.lastZi;
    const rRe = zr * this.lastZr + zi * this.lastZi;
    const isA = rIm > 0;
    const mag = Math.sqrt(zr * zr + zi * zi);
    if (rRe < -0.5 * Math.sqrt(rRe * rRe + rIm * rIm)) this.abGood++;
    // Carrier phase: z·conj(ref)/|ref|.
    const ar = isA ? p.aRe : p.bRe;
    const ai = isA ? p.aIm : p.bIm;
    const am = Math.sqrt(ar * ar + ai * ai);
    this.abPhRe += (zr * ar + zi * ai) / am;
    this.abPhIm += (zi * ar - zr * ai) / am;
    // Frequency: z·conj(z two symbols ago) (the same point).
    this.abFrRe += zr * this.last2Zr + zi * this.last2Zi;
    this.abFrIm += zi * this.last2Zr - zr * this.last2Zi;
    if (isA) {
      this.abMagA += mag;
      this.abNA++;
    } else {
      this.abMagB += mag;
      this.abNB++;
    }
    this.abPow += zr * zr + zi * zi;
    if (c + 1 < ABAB_SKIP + ABAB_MEASURE) return;
    // Is it V.29 segment 2 at our rate? (A/B 135° apart; |A|/|B| = √2 at 9600, √2/3 at 7200.)
    const ratio = this.abNA > 0 && this.abNB > 0 ? this.abMagA / this.abNA / (this.abMagB / this.abNB) : 0;
    // Noise pulls the ratio towards 1: split the two rates at 0.85.
    const ratioOk = this.rate === 9600 ? ratio > 0.85 : ratio < 0.85;
    const w = Math.atan2(this.abFrIm, this.abFrRe) / 2;
    const plausible = this.abGood >= 0.6 * ABAB_MEASURE && Math.abs(w) < (2 * Math.PI * 20) / V29_BAUD;
    if (!plausible) {
      // Not a V.29 synchronizing signal (noise, another modem): quietly back to search.
      this.quietFail();
      return;
    }
    this.sink.status('carrier-up');
    if (!ratioOk) {
      this.sink.status('training-failed');
      this.park();
      return;
    }
    this.sink.status('training-in-progress');
    // Level: trim the centre tap so the points land on the constellation.
    const g = Math.sqrt(this.pc / (this.abPow / ABAB_MEASURE));
    this.wRe[EQ_CENTRE] = g;
    // Carrier: the mean phase is that of the window's middle; step it to the next symbol.
    const ph = Math.atan2(this.abPhIm, this.abPhRe) + w * ((ABAB_MEASURE - 1) / 2 + 1);
    this.rotRe = Math.cos(ph);
    this.rotIm = Math.sin(ph);
    this.freq = w;
    this.carrierKp = CARRIER_KP_TRAIN;
    this.carrierKi = CARRIER_KI_TRAIN;
    this.mu = EQ_MU_TRAIN;
    // The symbol after the last one measured: the alternation continues.
    this.expectA = !this.lastWasA(zr, zi);
    this.candC = false;
    this.stage = S_WAIT_CD;
    this.count = 0;
  }

  private lastWasA(zr: number, zi: number): boolean {
    return zi * this.lastZr - zr * this.lastZi > 0;
  }

  /** Not our signal after all: no status was given, look again at once. */
  private quietFail(): void {
    this.toSearch();
    this.armed = true;
  }

  private fail(): void {
    this.sink.status('training-failed');
    this.park();
  }

  private park(): void {
    this.stage = S_PARKED;
    this.deliver = false;
  }

  /** Nearest constellation point to u (V.29 Figure 1): index 8·Q1 + phase. */
  private slice(): number {
    // The constellation is symmetric about both axes, so the nearest point to u lies in u's
    // (closed) quadrant: fold u into the first quadrant, pick among the 0°, 45° and 90° points
    // there (3 at 7200, 6 at 9600), then unfold the phase.
    const ur = this.sUr;
    const ui = this.sUi;
    const ar = ur < 0 ? -ur : ur;
    const ai = ui < 0 ? -ui : ui;
    // Lower amplitude: (3,0), (1,1), (0,3).
    let q = 0;
    let amp = 0;
    let best = (ar - 3) * (ar - 3) + ai * ai;
    let d = (ar - 1) * (ar - 1) + (ai - 1) * (ai - 1);
    if (d < best) {
      best = d;
      q = 1;
    }
    d = ar * ar + (ai - 3) * (ai - 3);
    if (d < best) {
      best = d;
      q = 2;
    }
    if (this.bps === 4) {
      // Upper amplitude: (5,0), (3,3), (0,5).
      d = (ar - 5) * (ar - 5) + ai * ai;
      if (d < best) {
        best = d;
        q = 0;
        amp = 8;
      }
      d = (ar - 3) * (ar - 3) + (ai - 3) * (ai - 3);
      if (d < best) {
        best = d;
        q = 1;
        amp = 8;
      }
      d = ar * ar + (ai - 5) * (ai - 5);
      if (d < best) {
        q = 2;
        amp = 8;
      }
    }
    // Unfold: quadrant II mirrors the phase about 90°, III adds 180°, IV mirrors about 0°.
    let ph: number;
    if (ur >= 0) ph = ui >= 0 ? q : (8 - q) & 7;
    else ph = ui >= 0 ? 4 - q : 4 + q;
    return amp | ph;
  }

  /** Differential decoding (V.29 §2, Table 1) and descrambling (V.29 §4) of one symbol. */
  private decode(idx: number, inGap: boolean): void {
    const phase = idx & 7;
    const q = STEP_TO_BITS[(phase - this.prevPhase) & 7] as number;
    this.prevPhase = phase;
    if (this.bps === 4) this.bit(idx >> 3, inGap);
    this.bit((q >> 2) & 1, inGap);
    this.bit((q >> 1) & 1, inGap);
    this.bit(q & 1, inGap);
  }

  private bit(inBit: number, inGap: boolean): void {
    const s = this.descr;
    const out = (inBit ^ (s >> 17) ^ (s >> 22)) & 1;
    this.descr = ((s << 1) | inBit) & 0x7fffff;
    if (this.stage === S_TEST_ONES) {
      if (this.count >= ONES_CHECK_FROM) {
        this.onesTotal++;
        this.onesCount += out;
      }
      return;
    }
    if (this.deliver) this.sink.putBit(inGap ? 1 : out);
  }

  /** Carrier loop only (segment 2). */
  private trackCarrier(tr: number, ti: number, held: boolean): void {
    const ur = this.sUr;
    const ui = this.sUi;
    const pe = held ? 0 : (ui * tr - ur * ti) / (tr * tr + ti * ti);
    this.pe = pe;
    this.advanceCarrier();
  }

  private advanceCarrier(): void {
    const pe = this.pe;
    const e = pe > 0.5 ? 0.5 : pe < -0.5 ? -0.5 : pe;
    this.freq += this.carrierKi * e;
    const d = this.freq + this.carrierKp * e;
    const c = 1 - (d * d) / 2;
    const s = d - (d * d * d) / 6;
    let rr = this.rotRe * c - this.rotIm * s;
    let ri = this.rotIm * c + this.rotRe * s;
    const g = 1.5 - 0.5 * (rr * rr + ri * ri);
    rr *= g;
    ri *= g;
    this.rotRe = rr;
    this.rotIm = ri;
  }

  /** LMS on the equaliser and the carrier loop, against target (tr, ti). */
  private adaptAll(held: boolean): void {
    const ur = this.sUr;
    const ui = this.sUi;
    const tr = this.sTr;
    const ti = this.sTi;
    if (held) {
      this.pe = 0;
      this.advanceCarrier();
      return;
    }
    // Error in the derotated domain, rotated back to the equaliser's.
    const dr = tr - ur;
    const di = ti - ui;
    const rr = this.rotRe;
    const ri = this.rotIm;
    const ex = dr * rr - di * ri;
    const ey = dr * ri + di * rr;
    // In data mode the equaliser only tracks: adapting on every other symbol (with twice the
    // step) follows a line as well and halves the cost.
    if (this.stage === S_DATA && (this.adaptTick ^= 1) === 0) {
      this.pe = (ui * tr - ur * ti) / (tr * tr + ti * ti);
      this.advanceCarrier();
      return;
    }
    const mu = (this.stage === S_DATA ? 2 * this.mu : this.mu) / (EQ_LEN * this.pc);
    const mr = mu * ex;
    const mi = mu * ey;
    const h = this.eqHead;
    const er = this.eqRe;
    const ei = this.eqIm;
    const wr = this.wRe;
    const wi = this.wIm;
    for (let k = 0; k < EQ_LEN; k++) {
      const c = er[h + k] as number;
      const d = ei[h + k] as number;
      // w += mu·e·conj(x)
      wr[k] = (wr[k] as number) + mr * c + mi * d;
      wi[k] = (wi[k] as number) + mi * c - mr * d;
    }
    this.pe = (ui * tr - ur * ti) / (tr * tr + ti * ti);
    this.advanceCarrier();
  }
}

const dbm0ToPowerAbsOn = dbm0ToPower(ABS_ON_DBM0);

const MF_RE = new Float64Array(MF_PHASES * MF_LEN);
const MF_IM = new Float64Array(MF_PHASES * MF_LEN);
{
  // Polyphase matched filter: row p interpolates at fraction p/MF_PHASES of a sample past
  // floor(t); stored oldest-sample-first to run along the ring. Each row sums to √2, so a
  // passband tone of mean square P gives |y|² = P. The mixing to baseband is folded in:
  // y = Σ h[k]·x[m−k]·e^{-jω(m−k)} = e^{-jωm}·Σ (h[k]·e^{jωk})·x[m−k], so the rows hold
  // h[k]·e^{jωk} and one rotation per output replaces a complex multiply per input sample.
  const h = new Float64Array(MF_LEN);
  for (let p = 0; p < MF_PHASES; p++) {
    let sum = 0;
    for (let k = 0; k < MF_LEN; k++) {
      const d = p / MF_PHASES - MF_HALF + k; // t − (sample m − k), samples
      h[k] = rootRaisedCosine(d / SPS, RX_ROLLOFF);
      sum += h[k] as number;
    }
    for (let k = 0; k < MF_LEN; k++) {
      const c = ((h[k] as number) * Math.SQRT2) / sum;
      const ci = (k * CARRIER_TABLE_STEP) % CARRIER_TABLE_LEN;
      MF_RE[p * MF_LEN + (MF_LEN - 1 - k)] = c * (CARRIER_COS[ci] as number);
      MF_IM[p * MF_LEN + (MF_LEN - 1 - k)] = c * (CARRIER_SIN[ci] as number);
    }
  }
}

function sq(a: number, b: number): number {
  return a * a + b * b;
}
