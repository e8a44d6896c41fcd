/**
 * V.27ter receiver (4800 bit/s 8-phase / 2400 bit/s 4-phase differential PSK on 1800 Hz).
 *
 * Signal path, per 8 kHz sample: a power meter (carrier detection against a learnt noise floor),
 * then the fixed 1800 Hz carrier (a 40-sample table) brings the signal to baseband into a ring.
 * The matched root-raised-cosine filter (β = 0.5, ±2 symbols) is evaluated only where a sample is
 * wanted — at T/2 spacing, at any fractional time (a 64-phase polyphase table) — so filtering and
 * timing interpolation are one dot product at 3200 (4800) or 2400 (2400 bit/s) outputs a second.
 *
 * Start-up follows the synchronising signals of V.27ter §2.5 (Table 3):
 *  1. energy above max(−47 dBm0, noise floor + 4 dB): 'carrier-up'. The floor is the mean power
 *     heard while idle (learnt in the first 40 ms after construction or restart, then tracked
 *     over ~130 ms), so a signal 6 dB over a noise floor heard before it is found, and the
 *     noise alone never brings the carrier up;
 *  2. SEEK — outputs at T/4: segment 3's reversals are recognised by the one-symbol
 *     autocorrelation (≈ −1 for reversals, +1 for the echo-protection tone), and the symbol
 *     timing is estimated feed-forward from the baud-rate line of |y|² (Oerder–Meyr);
 *  3. REV — outputs at T/2, symbol timing refined by a Gardner detector; the carrier offset is
 *     estimated from successive symbols (0° or 180° changes); segment 4 is located by matching
 *     the last 32 phase changes against the known conditioning pattern (robust to a few
 *     decision errors, unlike waiting for the single first 0° change);
 *  4. TRAIN — the rest of segment 4 trains a T/2 fractionally-spaced LMS equaliser (16 taps)
 *     and the carrier PLL (proportional + integral) against the known, regenerated pattern;
 *  5. TEST — segment 5 (scrambled ones) is demodulated as data: the descrambled bits must be
 *     ones and the constellation error small, else 'training-failed';
 *  6. DATA — decision-directed equaliser and PLL, Gardner timing with a second-order loop (it
 *     tracks a sender clock hundreds of ppm off for as long as the signal lasts), differential
 *     decoding (Tables 1 and 2), descrambling, bits to the sink.
 * 'carrier-down' when the power stays under max(−50 dBm0, floor + 2 dB, signal − 10 dB) for 10 ms
 * (60 ms while seeking, to span segment 2's silence after the echo protection tone). A seek that
 * finds no segment 4 within 120 symbols goes back to seeking; only a failed segment 5 check says
 * 'training-failed' (then the receiver waits for the carrier to drop).
 *
 * `fillIn(n)` runs the clocks over n lost samples (as zeros) without adapting anything: the
 * symbol clock, carrier phase and bit count go on, so the receiver stays in step; the bits of the
 * symbols that overlap the gap (and the filters' spans around it) are undefined.
 *
 * Nothing is allocated after construction (typed arrays for the rings, the equaliser and the
 * shared filter tables; no closures; doubles are handed between methods in fields, never boxed as
 * arguments). Per instance ≈ 3 KiB of typed arrays; the polyphase tables (10 KiB at 4800, 14 KiB
 * at 2400) are built once per process and shared.
 */

import { dbm0ToPower, powerToDbm0 } from '../dsp/level.js';
import type { BitSink, ModemReceiver, ModemRxMetrics } from './types.js';
import {
  CARRIER_COS,
  CARRIER_PERIOD,
  CARRIER_SIN,
  POINT_IM,
  POINT_RE,
  ROLLOFF,
  SEG4_SYMBOLS,
  SEG5_SYMBOLS,
  STEP_DIBIT,
  STEP_TRIBIT,
  V27terScrambler,
  conditioningStep,
  rootRaisedCosine,
  v27terBaud,
  type V27terRate,
} from './v27ter-common.js';

export interface V27terRxOptions {
  readonly rate: V27terRate;
}

// ---- modes -------------------------------------------------------------------------------
const M_IDLE = 0;
const M_SEEK = 1;
const M_REV = 2;
const M_TRAIN = 3;
const M_TEST = 4;
const M_DATA = 5;
const M_PARKED = 6;

// ---- carrier detection ---------------------------------------------------------------------
/** Power meter: one-pole over x², 4 ms. */
const PW_ALPHA = 1 / 32;
/** Absolute detection limits (the brief's range reaches −43 dBm0). */
const ABS_ON = dbm0ToPower(-47);
const ABS_OFF = dbm0ToPower(-50);
/** On at floor + 4 dB, off at floor + 2 dB or 10 dB under the signal. */
const ON_OVER_FLOOR = 2.5;
const OFF_OVER_FLOOR = 1.6;
const OFF_UNDER_SIGNAL = 0.1;
/** Samples below the off threshold before 'carrier-down': long enough for segment 2 after the TEP while seeking. */
const HANG_SEEK = 480;
const HANG_ACTIVE = 80;
/** Fast learning of the floor after construction or restart (samples): 40 ms, the first 8 ms deaf. */
const LEARN_SAMPLES = 320;
const DEAF_SAMPLES = 64;

// ---- matched filter / interpolator ------------------------------------------------------------
const PHASES = 64;
const RING = 64;

// ---- seek ----------------------------------------------------------------------------------
const SEEK_ALPHA = 1 / 12;
const SEEK_MIN = 32;
/** Consecutive T/4 outputs (two symbols) that must look like segment 3. */
const SEEK_HOLD = 8;

// ---- segment 4 search ----------------------------------------------------------------------
/** Phase changes matched against the conditioning pattern. */
const MATCH_LEN = 32;
const MATCH_MAX_ERRORS = 5;
/** Give up looking for segment 4 after this many symbols of REV (and seek again). */
const REV_LIMIT = 120;

// ---- equaliser ---------------------------------------------------------------------------------
const EQ_LEN = 16;
/** The centre tap's age in T/2 samples (4 symbols). */
const EQ_CENTRE = 8;
const EQ_DELAY_SYMBOLS = EQ_CENTRE / 2;

const TAN_22_5 = Math.tan(Math.PI / 8);
/** In the data the equaliser adapts on one symbol in this many. */
const EQ_DATA_EVERY = 4;

/** The first MATCH_LEN phase changes of segment 4 (1 = 180°), oldest in the top bit. */
const MATCH_PATTERN = (() => {
  const s = new V27terScrambler();
  let p = 0;
  for (let j = 0; j < MATCH_LEN; j++) p = ((p << 1) | conditioningStep(s)) >>> 0;
  return p;
})();

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Matched-filter tables per rate, built once per process (shared, read-only). */
const tables = new Map<V27terRate, Float64Array>();
function matchedFilter(rate: V27terRate, taps: number, sps: number): Float64Array {
  const cached = tables.get(rate);
  if (cached) return cached;
  const half = taps / 2;
  const t = new Float64Array((PHASES + 1) * taps);
  for (let p = 0; p <= PHASES; p++) {
    for (let m = 0; m < taps; m++) t[p * taps + m] = rootRaisedCosine((p / PHASES + half - 1 - m) / sps, ROLLOFF);
  }
  tables.set(rate, t);
  return t;
}

export class V27terReceiver implements ModemReceiver, ModemRxMetrics {
  private readonly sink: BitSink;
  private readonly rate: V27terRate;
  private readonly baud: number;
  private readonly sps: number;
  private readonly taps: number;
  private readonly coef: Float64Array;
  private readonly ringRe = new Float64Array(2 * RING);
  private readonly ringIm = new Float64Array(2 * RING);
  private readonly eqRe = new Float64Array(2 * EQ_LEN);
  private readonly eqIm = new Float64Array(2 * EQ_LEN);
  private readonly wRe = new Float64Array(EQ_LEN);
  private readonly wIm = new Float64Array(EQ_LEN);
  private readonly seekRe = new Float64Array(4);
  private readonly seekIm = new Float64Array(4);
  private readonly scr = new V27terScrambler();

  private mode = M_IDLE;
  private frozen = false;
  // carrier detection
  private pw = 0;
  private floor = 0;
  private learn = LEARN_SAMPLES;
  private below = 0;
  private sigPw = 0;
  private offThr = 0;
  private armed = true;
  /** Mean square of the signal while the carrier was last up (for the level metric). */
  private levelPw = 0;
  /** The loops' frequencies averaged over the data while the signal was at full strength (metrics). */
  private freqAvg = 0;
  private tIntAvg = 0;
  // mixer and ring
  private ph = 0;
  private w = 0;
  // interpolator schedule
  private cd = 0;
  private frac = 0;
  private step = 0;
  private corr = 0;
  private gain = 1;
  // seek
  private sA = 0;
  private sB = 0;
  private sXr = 0;
  private sXi = 0;
  private k = 0;
  private hold = 0;
  // T/2 bookkeeping
  private isSym = false;
  /** The output being processed (see output()). */
  private yRe = 0;
  private yIm = 0;
  private prevRe = 0;
  private prevIm = 0;
  private midRe = 0;
  private midIm = 0;
  private eqW = 0;
  // timing loop (samples)
  private tInt = 0;
  private kpT = 0;
  private kiT = 0;
  // segment 4 search
  private hist = 0;
  private revCount = 0;
  private dRe = 0;
  private dIm = 0;
  // carrier loop (radians, radians per symbol)
  private pc = 1;
  private ps = 0;
  private freq = 0;
  private kpC = 0;
  private kiC = 0;
  private mu = 0;
  private eqSkip = 0;
  private eqEvery = 1;
  // training and data
  private jz = 0;
  private state = 0;
  private testCount = 0;
  private testOnes = 0;
  private testBits = 0;
  private errAcc = 0;
  private isTrained = false;
  /** 'training-in-progress' was said for this carrier (a seek that starts over says it once). */
  private announced = false;

  constructor(sink: BitSink, opts: V27terRxOptions) {
    if (opts.rate !== 2400 && opts.rate !== 4800) throw new RangeError(`V.27ter: no rate ${String(opts.rate)}`);
    this.sink = sink;
    this.rate = opts.rate;
    this.baud = v27terBaud(opts.rate);
    this.sps = 8000 / this.baud;
    // The matched filter spans ±2 symbols (20 taps at 5 samples/symbol, 26 at 6⅔): the
    // truncated RRC's small ISI is the equaliser's to remove, and every tap costs two
    // multiply-adds per output.
    this.taps = opts.rate === 4800 ? 20 : 26;
    this.coef = matchedFilter(opts.rate, this.taps, this.sps);
    this.restart();
  }

  // ---- ModemRxMetrics ------------------------------------------------------------------------

  get signalLevelDbm0(): number {
    return powerToDbm0(this.mode === M_IDLE ? this.levelPw : this.pw);
  }

  get carrierOffsetHz(): number {
    return ((this.isTrained || this.mode === M_IDLE ? this.freqAvg : this.freq) * this.baud) / (2 * Math.PI);
  }

  get symbolTimingPpm(): number {
    return (-(this.isTrained || this.mode === M_IDLE ? this.tIntAvg : this.tInt) / this.sps) * 1e6;
  }

  get trained(): boolean {
    return this.isTrained;
  }

  /** What the receiver measures of the signal it is locked to. */
  get metrics(): ModemRxMetrics {
    return this;
  }

  // ---- ModemReceiver -------------------------------------------------------------------------

  restart(): void {
    this.mode = M_IDLE;
    this.frozen = false;
    this.pw = 0;
    this.floor = 0;
    this.learn = LEARN_SAMPLES;
    this.below = 0;
    this.sigPw = 0;
    this.armed = true;
    this.levelPw = 0;
    this.ringRe.fill(0);
    this.ringIm.fill(0);
    this.w = 0;
    this.ph = 0;
    this.resetDemodulator();
  }

  rx(samples: Int16Array, offset = 0, length = samples.length - offset): void {
    // The per-sample loop keeps its state in locals; output() and the carrier events work on the
    // fields, so they are written back before and reloaded after those (rare) calls.
    const ringRe = this.ringRe;
    const ringIm = this.ringIm;
    const end = offset + length;
    let pw = this.pw;
    let ph = this.ph;
    let w = this.w;
    let cd = this.cd;
    let below = this.below;
    let mode = this.mode;
    let offThr = this.offThr;
    let hang = mode === M_SEEK ? HANG_SEEK : HANG_ACTIVE;
    for (let i = offset; i < end; i++) {
      const x = samples[i] as number;
      pw += (x * x - pw) * PW_ALPHA;
      // To baseband (× e^{−jωn}), into the ring (written twice so any window is contiguous).
      const re = x * (CARRIER_COS[ph] as number);
      const im = -x * (CARRIER_SIN[ph] as number);
      ringRe[w] = re;
      ringRe[w + RING] = re;
      ringIm[w] = im;
      ringIm[w + RING] = im;
      w = (w + 1) & (RING - 1);
      ph = ph === CARRIER_PERIOD - 1 ? 0 : ph + 1;
      // Carrier detection (circuit 109).
      let event = false;
      if (mode === M_IDLE) {
        this.pw = pw;
        event = this.idleSample();
      } else if (pw < offThr) {
        if (++below > hang) {
          this.pw = pw;
          this.carrierDown();
          event = true;
        }
      } else {
        below = 0;
      }
      if (event) {
        cd = this.cd;
        below = this.below;
      }
      if (--cd === 0) {
        this.w = w;
        this.pw = pw;
        this.cd = cd;
        this.output();
        cd = this.cd;
        event = true;
      }
      if (event) {
        mode = this.mode;
        offThr = this.offThr;
        hang = mode === M_SEEK ? HANG_SEEK : HANG_ACTIVE;
      }
    }
    this.pw = pw;
    this.ph = ph;
    this.w = w;
    this.cd = cd;
    this.below = below;
  }

  /** Idle: learn the noise floor, and detect a carrier rising above it. True on carrier-up. */
  private idleSample(): boolean {
    const pw = this.pw;
    const floor = this.floor;
    const on = floor * ON_OVER_FLOOR;
    if (this.learn > LEARN_SAMPLES - DEAF_SAMPLES) {
      // Just started: measure what the line carries before deciding anything.
      this.learn--;
      this.floor = floor + (pw - floor) * (1 / 16);
      return false;
    }
    if (!this.armed) {
      // After a carrier-down, wait for the meter to fall back to the floor before listening again.
      if (pw < floor * OFF_OVER_FLOOR || pw < ABS_ON) this.armed = true;
    } else if (pw > ABS_ON && pw > on) {
      this.carrierUp();
      return true;
    }
    if (this.learn > 0) {
      this.learn--;
      this.floor = floor + (pw - floor) * (1 / 64);
    } else if (this.armed) {
      // The mean of the meter over ~130 ms (a mean, not a minimum: the on threshold then sits
      // far out in the tail of the noise's own fluctuation).
      this.floor = floor + (pw - floor) * (1 / 1024);
    }
    return false;
  }

  fillIn(n: number): void {
    // Zeros through the same path, with adaptation and carrier detection frozen.
    this.frozen = true;
    const ringRe = this.ringRe;
    const ringIm = this.ringIm;
    for (let i = 0; i < n; i++) {
      const w = this.w;
      ringRe[w] = 0;
      ringRe[w + RING] = 0;
      ringIm[w] = 0;
      ringIm[w + RING] = 0;
      this.w = (w + 1) & (RING - 1);
      this.ph = this.ph + 1 === CARRIER_PERIOD ? 0 : this.ph + 1;
      if (--this.cd === 0) this.output();
    }
    this.frozen = false;
  }

  // ---- internals --------------------------------------------------------------------------------

  private resetDemodulator(): void {
    this.cd = -1; // no outputs while idle
    this.frac = 0;
    this.step = this.sps / 4;
    this.corr = 0;
    this.gain = 1;
    this.sA = 0;
    this.sB = 0;
    this.sXr = 0;
    this.sXi = 0;
    this.k = 0;
    this.hold = 0;
    this.seekRe.fill(0);
    this.seekIm.fill(0);
    this.isSym = false;
    this.prevRe = 0;
    this.prevIm = 0;
    this.midRe = 0;
    this.midIm = 0;
    this.eqRe.fill(0);
    this.eqIm.fill(0);
    this.wRe.fill(0);
    this.wIm.fill(0);
    this.eqW = 0;
    this.tInt = 0;
    this.hist = 0;
    this.revCount = 0;
    this.dRe = 0;
    this.dIm = 0;
    this.pc = 1;
    this.ps = 0;
    this.freq = 0;
    this.jz = 0;
    this.state = 0;
    this.testCount = 0;
    this.testOnes = 0;
    this.testBits = 0;
    this.errAcc = 0;
    this.isTrained = false;
    this.freqAvg = 0;
    this.tIntAvg = 0;
    this.scr.reset();
  }

  private carrierUp(): void {
    this.resetDemodulator();
    this.mode = M_SEEK;
    this.announced = false;
    this.below = 0;
    this.sigPw = 0;
    this.setOffThreshold();
    this.cd = 1;
    this.sink.status('carrier-up');
  }

  /** Off below max(−50 dBm0, floor + 2 dB, signal − 10 dB). */
  private setOffThreshold(): void {
    this.offThr = Math.max(ABS_OFF, this.floor * OFF_OVER_FLOOR, this.sigPw * OFF_UNDER_SIGNAL);
  }

  private carrierDown(): void {
    // The loops' last values stay readable as metrics until the next carrier-up.
    this.mode = M_IDLE;
    this.cd = -1;
    this.isTrained = false;
    this.armed = false;
    this.below = 0;
    this.sink.status('carrier-down');
  }

  /** One interpolated matched-filter output is due (its time is `frac` past sample newest − taps/2). */
  private output(): void {
    const taps = this.taps;
    let p = (this.frac * PHASES + 0.5) | 0;
    if (p > PHASES) p = PHASES;
    const row = p * taps;
    const base = this.w + RING - taps;
    const coef = this.coef;
    const ringRe = this.ringRe;
    const ringIm = this.ringIm;
    let yr = 0;
    let yi = 0;
    for (let m = 0; m < taps; m++) {
      const h = coef[row + m] as number;
      yr += (ringRe[base + m] as number) * h;
      yi += (ringIm[base + m] as number) * h;
    }
    // Handed on in fields, not arguments: a double passed to a call V8 does not inline is boxed
    // (an allocation per output).
    if (this.mode === M_SEEK) {
      this.yRe = yr;
      this.yIm = yi;
      this.seek();
    } else {
      this.yRe = yr * this.gain;
      this.yIm = yi * this.gain;
      this.halfBaud();
    }
    if (this.mode === M_IDLE || this.mode === M_PARKED) {
      this.cd = -1;
      return;
    }
    let acc = this.frac + this.step + this.corr;
    this.corr = 0;
    if (acc < 1) acc = 1;
    const adv = Math.floor(acc);
    this.frac = acc - adv;
    this.cd = adv;
  }

  /** SEEK: T/4 outputs; recognise segment 3 and estimate the symbol timing. */
  private seek(): void {
    const yr = this.yRe;
    const yi = this.yIm;
    const pwr = yr * yr + yi * yi;
    const j = this.k & 3;
    const hr = this.seekRe[j] as number;
    const hi = this.seekIm[j] as number;
    this.seekRe[j] = yr;
    this.seekIm[j] = yi;
    this.sA += (yr * hr + yi * hi - this.sA) * SEEK_ALPHA;
    this.sB += (pwr - this.sB) * SEEK_ALPHA;
    // Σ |y|² e^{−jπk/2}: the baud-rate line of the squared envelope.
    const cr = j === 0 ? pwr : j === 2 ? -pwr : 0;
    const ci = j === 1 ? -pwr : j === 3 ? pwr : 0;
    this.sXr += (cr - this.sXr) * SEEK_ALPHA;
    this.sXi += (ci - this.sXi) * SEEK_ALPHA;
    this.k++;
    if (this.k < SEEK_MIN || this.frozen) return;
    const b = this.sB;
    if (this.sA < -0.7 * b && this.sXr * this.sXr + this.sXi * this.sXi > 0.0625 * b * b) this.hold++;
    else this.hold = 0;
    if (this.hold >= SEEK_HOLD) {
      // Phase of the line at this output: X·j^k (k of this output).
      let xr = this.sXr;
      let xi = this.sXi;
      if (j === 1) {
        const t = xr;
        xr = -xi;
        xi = t;
      } else if (j === 2) {
        xr = -xr;
        xi = -xi;
      } else if (j === 3) {
        const t = xr;
        xr = xi;
        xi = -t;
      }
      // |y|² peaks at the symbol instants; this output is θ/2π of a symbol past one.
      const sps = this.sps;
      const delta = (Math.atan2(xi, xr) / (2 * Math.PI)) * sps;
      // The next output is the first symbol sample: one symbol after that peak.
      // (output() adds the new step, T/2, when it schedules it.)
      this.step = sps / 2;
      this.corr = sps - delta - this.step;
      this.isSym = true;
      this.gain = 1 / Math.sqrt(2 * b);
      this.sigPw = this.pw;
      this.levelPw = this.pw;
      this.setOffThreshold();
      this.mode = M_REV;
      this.kpT = (0.3 * sps) / (2 * Math.PI);
      this.kiT = (0.004 * sps) / (2 * Math.PI);
      if (!this.announced) {
        this.announced = true;
        this.sink.status('training-in-progress');
      }
    }
  }

  /** T/2 outputs (REV, TRAIN, TEST, DATA). */
  private halfBaud(): void {
    const yr = this.yRe;
    const yi = this.yIm;
    // Into the equaliser's delay line (newest at eqW, written twice).
    const eqW = this.eqW === 0 ? EQ_LEN - 1 : this.eqW - 1;
    this.eqW = eqW;
    this.eqRe[eqW] = yr;
    this.eqRe[eqW + EQ_LEN] = yr;
    this.eqIm[eqW] = yi;
    this.eqIm[eqW + EQ_LEN] = yi;
    if (!this.isSym) {
      this.midRe = yr;
      this.midIm = yi;
      this.isSym = true;
      return;
    }
    this.isSym = false;
    // Gardner: Re{(y[k−1] − y[k]) · conj(y[k−½])} > 0 when sampling early.
    if (!this.frozen) {
      let e = (this.prevRe - yr) * this.midRe + (this.prevIm - yi) * this.midIm;
      if (e > 1) e = 1;
      else if (e < -1) e = -1;
      this.tInt += this.kiT * e;
      this.corr = this.kpT * e + this.tInt;
    } else {
      this.corr = this.tInt;
    }
    switch (this.mode) {
      case M_REV:
        this.rev();
        break;
      case M_TRAIN:
        this.train();
        break;
      case M_TEST:
      case M_DATA:
        this.data();
        break;
      default:
        break;
    }
    this.prevRe = yr;
    this.prevIm = yi;
  }

  /** REV: segment 3 reversals until the conditioning pattern of segment 4 is matched. */
  private rev(): void {
    const yr = this.yRe;
    const yi = this.yIm;
    // y·conj(previous): ≈ −1 for a reversal, +1 for a 0° change (times the carrier offset's turn).
    const dr = yr * this.prevRe + yi * this.prevIm;
    const di = yi * this.prevRe - yr * this.prevIm;
    const bit = dr > 0 ? 0 : 1;
    if (this.revCount >= 2 && !this.frozen) {
      // Leaky, so what came before segment 3 (noise that looked like it) is forgotten.
      const sgn = bit === 1 ? -1 : 1;
      this.dRe += (sgn * dr - this.dRe) * (1 / 16);
      this.dIm += (sgn * di - this.dIm) * (1 / 16);
      // Keep the symbols near unit magnitude.
      const m = yr * yr + yi * yi;
      this.gain *= 1 + 0.05 * (1 - m > 0.5 ? 0.5 : 1 - m < -0.5 ? -0.5 : 1 - m);
    }
    this.hist = ((this.hist << 1) | bit) >>> 0;
    this.revCount++;
    if (this.revCount >= MATCH_LEN + 2 && popcount32(this.hist ^ MATCH_PATTERN) <= MATCH_MAX_ERRORS) {
      this.startTraining();
    } else if (this.revCount > REV_LIMIT) {
      this.seekAgain();
    }
  }

  /** Segment 4 found: seed the equaliser, carrier phase and frequency, and train on the rest. */
  private startTraining(): void {
    // Regenerate the pattern up to the symbol now at the equaliser's centre tap.
    const scr = this.scr;
    scr.reset();
    let st = 0;
    const upTo = MATCH_LEN - 1 - EQ_DELAY_SYMBOLS;
    for (let j = 0; j <= upTo; j++) st = (st + 4 * conditioningStep(scr)) & 7;
    this.jz = upTo;
    this.state = st;
    this.wRe.fill(0);
    this.wIm.fill(0);
    this.wRe[EQ_CENTRE] = 1;
    const cr = this.eqRe[this.eqW + EQ_CENTRE] as number;
    const ci = this.eqIm[this.eqW + EQ_CENTRE] as number;
    const phi = Math.atan2(ci, cr) - (st * Math.PI) / 4;
    this.pc = Math.cos(phi);
    this.ps = Math.sin(phi);
    this.freq = Math.atan2(this.dIm, this.dRe);
    this.kpC = 0.15;
    this.kiC = 0.008;
    this.mu = 0.03;
    this.eqEvery = 1;
    this.eqSkip = 0;
    this.kpT = (0.08 * this.sps) / (2 * Math.PI);
    this.kiT = (0.002 * this.sps) / (2 * Math.PI);
    this.errAcc = 0;
    this.sigPw = this.pw;
    this.setOffThreshold();
    this.mode = M_TRAIN;
  }

  /** Not V.27ter's segment 3 after all: back to SEEK, the carrier still up. */
  private seekAgain(): void {
    const below = this.below;
    const sigPw = this.sigPw;
    this.resetDemodulator();
    this.below = below;
    this.sigPw = sigPw;
    this.mode = M_SEEK;
    this.cd = 1;
  }

  private fail(): void {
    this.mode = M_PARKED;
    this.isTrained = false;
    this.sink.status('training-failed');
  }

  /**
   * Equaliser output, carrier derotation and the loops' updates against `target` (a state, or −1
   * for the nearest one: decision-directed). Returns the state used.
   */
  private equalise(target: number): number {
    const wRe = this.wRe;
    const wIm = this.wIm;
    const xRe = this.eqRe;
    const xIm = this.eqIm;
    const base = this.eqW;
    let zr = 0;
    let zi = 0;
    for (let m = 0; m < EQ_LEN; m++) {
      const ar = xRe[base + m] as number;
      const ai = xIm[base + m] as number;
      const br = wRe[m] as number;
      const bi = wIm[m] as number;
      zr += ar * br - ai * bi;
      zi += ar * bi + ai * br;
    }
    // Derotate by the carrier phase (the phasor e^{jφ} = c + js).
    const c = this.pc;
    const s = this.ps;
    const yr = zr * c + zi * s;
    const yi = zi * c - zr * s;
    let st = target;
    if (st < 0) {
      // Nearest point by comparisons (tan 22.5° splits the octants).
      const ax = yr < 0 ? -yr : yr;
      const ay = yi < 0 ? -yi : yi;
      if (this.rate === 4800) {
        if (ay <= ax * TAN_22_5) st = yr >= 0 ? 0 : 4;
        else if (ax <= ay * TAN_22_5) st = yi >= 0 ? 2 : 6;
        else st = yr >= 0 ? (yi >= 0 ? 1 : 7) : yi >= 0 ? 3 : 5;
      } else if (ax >= ay) {
        st = yr >= 0 ? 0 : 4;
      } else {
        st = yi >= 0 ? 2 : 6;
      }
    }
    const tr = POINT_RE[st] as number;
    const ti = POINT_IM[st] as number;
    const er = tr - yr;
    const ei = ti - yi;
    this.errAcc += er * er + ei * ei;
    let d = this.freq;
    if (!this.frozen) {
      // Carrier PLL (proportional + integral) on Im(y·conj(target)) ≈ the phase error.
      const pe = yi * tr - yr * ti;
      this.freq = d + this.kiC * pe;
      d = this.freq + this.kpC * pe;
      // LMS on the error rotated back into the equaliser's frame (× e^{jφ}); in the data only
      // every EQ_DATA_EVERY-th symbol (the line changes slowly; timing is Gardner's job).
      if (--this.eqSkip <= 0) {
        this.eqSkip = this.eqEvery;
        const mu = this.mu;
        const ezr = (er * c - ei * s) * mu;
        const ezi = (ei * c + er * s) * mu;
        for (let m = 0; m < EQ_LEN; m++) {
          const ar = xRe[base + m] as number;
          const ai = xIm[base + m] as number;
          wRe[m] = (wRe[m] as number) + ezr * ar + ezi * ai;
          wIm[m] = (wIm[m] as number) + ezi * ar - ezr * ai;
        }
      }
    }
    // Advance the phasor by d radians (small: third-order sin/cos), keeping |phasor| = 1.
    const d2 = d * d;
    const rc = 1 - d2 * 0.5;
    const rs = d * (1 - d2 * (1 / 6));
    let nc = c * rc - s * rs;
    let ns = s * rc + c * rs;
    const g = 1.5 - 0.5 * (nc * nc + ns * ns);
    nc *= g;
    ns *= g;
    this.pc = nc;
    this.ps = ns;
    return st;
  }

  /** TRAIN: the rest of segment 4, against the regenerated pattern. */
  private train(): void {
    this.jz++;
    this.state = (this.state + 4 * conditioningStep(this.scr)) & 7;
    this.equalise(this.state);
    const n = this.jz;
    if (n === 300) {
      this.mu = 0.012;
      this.kpC = 0.08;
      this.kiC = 0.003;
    }
    if (n === SEG4_SYMBOLS - 1) {
      // The equaliser's next output is segment 5: decode it as data.
      this.mode = M_TEST;
      this.testCount = 0;
      this.testOnes = 0;
      this.testBits = 0;
      this.errAcc = 0;
    }
  }

  /** TEST (segment 5) and DATA: decisions, differential decoding, descrambling. */
  private data(): void {
    if (this.pw > 0.5 * this.sigPw && !this.frozen) {
      this.levelPw += (this.pw - this.levelPw) * (1 / 256);
      this.freqAvg += (this.freq - this.freqAvg) * (1 / 256);
      this.tIntAvg += (this.tInt - this.tIntAvg) * (1 / 256);
    }
    const st = this.equalise(-1);
    const diff = (st - this.state) & 7;
    this.state = st;
    const scr = this.scr;
    const sink = this.sink;
    const test = this.mode === M_TEST;
    if (this.rate === 4800) {
      const tb = STEP_TRIBIT[diff] as number;
      const b0 = scr.descramble((tb >> 2) & 1);
      const b1 = scr.descramble((tb >> 1) & 1);
      const b2 = scr.descramble(tb & 1);
      if (test) {
        this.testOnes += b0 + b1 + b2;
        this.testBits += 3;
      } else {
        sink.putBit(b0);
        sink.putBit(b1);
        sink.putBit(b2);
      }
    } else {
      const db = STEP_DIBIT[diff >> 1] as number;
      const b0 = scr.descramble((db >> 1) & 1);
      const b1 = scr.descramble(db & 1);
      if (test) {
        this.testOnes += b0 + b1;
        this.testBits += 2;
      } else {
        sink.putBit(b0);
        sink.putBit(b1);
      }
    }
    if (test && ++this.testCount === SEG5_SYMBOLS) {
      const meanErr = this.errAcc / SEG5_SYMBOLS;
      if (this.testOnes >= 0.75 * this.testBits && meanErr < (this.rate === 4800 ? 0.25 : 0.5)) {
        this.mode = M_DATA;
        this.isTrained = true;
        this.freqAvg = this.freq;
        this.tIntAvg = this.tInt;
        this.mu = 0.004 * EQ_DATA_EVERY;
        this.eqEvery = EQ_DATA_EVERY;
        this.kpC = 0.05;
        this.kiC = 0.001;
        this.kpT = (0.03 * this.sps) / (2 * Math.PI);
        this.kiT = (0.0004 * this.sps) / (2 * Math.PI);
        this.sink.status('training-succeeded');
      } else {
        this.fail();
      }
    }
  }
}
