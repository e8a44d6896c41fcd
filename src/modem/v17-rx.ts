/**
 * V.17 receiver (ITU-T V.17): 2400 symbols/s trellis-coded QAM on 1800 Hz, 7200…14 400 bit/s.
 *
 * Signal path, per 8 kHz sample:
 * 1. Carrier detector: a short-term power meter (8 ms) against a noise floor it learns while the
 *    line is idle (falls at once, rises with a 250 ms time constant). Carrier is on 4.5 dB above
 *    the floor (and above −47.5 dBm0), off below floor + 2 dB or 12 dB below the level the
 *    training was received at (so noise that came up with the signal does not hold the carrier
 *    on after it). Hangovers: 25 ms on the floor rule (TEP's 20 ms of silence is not an end),
 *    10 ms on a fast 2 ms meter for the level drop: carrier-down ≈ 15 ms after a trained signal. A "carrier" that shows no V.17
 *    training within 500 ms was noise: the floor jumps to it and the detector re-arms, so a
 *    signal 6 dB above a noise floor that was there before it is still found.
 * 2. Demodulator at T/2 (4800/s): a complex band-pass square-root raised cosine (roll-off 0.25,
 *    15 taps = ±2 symbols, the equaliser shapes the rest) centred on 1800 Hz, in 64 fractional
 *    phases, evaluated only at the output instants (interpolating to the timing loop's
 *    fractional sample), then a numerically controlled oscillator brings it to baseband. AGC normalises the level during the search and is frozen
 *    when the training is recognised (so −4…−43 dBm0 all arrive at the same scale).
 * 3. Symbol timing: Gardner's detector on the T/2 samples drives a second-order loop whose
 *    integrator holds the sender's clock offset (±250 ppm and more); it keeps tracking in data.
 * 4. A 21-tap T/2 fractionally spaced complex LMS equaliser (fast, then slow, on the known
 *    training symbols; decision-directed and slower in data) and a second-order decision-directed
 *    phase-locked loop on its output.
 * 5. Trellis decoding (V.17 §3): an 8-state Viterbi decoder over the subsets Y2Y1Y0, with the
 *    nearest point of each subset found through a grid lookup, 16–19 symbols of survivor memory (traced back every 4 symbols);
 *    then differential decoding of Q1Q2 and the self-synchronising descrambler (§5).
 *
 * Training (V.17 Table 3): segment 1 (ABAB) is recognised by its structure — symbols two apart
 * agree, neighbours differ by ±90° in alternation — which also gives the carrier frequency offset
 * (the rotation between symbols two apart) and tells TEP (unmodulated carrier) apart. The phase
 * reversal that starts segment 2 fixes the carrier phase and the segment boundary; the receiver
 * then trains on the known scrambled CDBA symbols (and the known bridge), measures the error,
 * runs the 48 symbols of scrambled ones through the trellis decoder as a test, and reports
 * 'training-succeeded'. A short training reuses the equaliser, carrier frequency and clock offset
 * learned in the last successful training (T.30 uses it after the first page).
 *
 * fillIn(n) (lost audio): the clocks (carrier phase, symbol timing) run on over n samples of
 * zeros without adapting anything, for the gap and the filter span after it; symbols and bits
 * keep coming (garbage for the gap), so the bit stream stays aligned and no resynchronisation is
 * needed afterwards.
 */

import { dbm0ToPower, powerToDbm0 } from '../dsp/level.js';
import type { BitSink, ModemReceiver, ModemRxMetrics } from './types.js';
import {
  ABCD,
  SEG2_LONG_SYMBOLS,
  SEG2_SHORT_SYMBOLS,
  SEG3_SYMBOLS,
  SEG4_SYMBOLS,
  TRELLIS_NEXT,
  TRELLIS_SUBSET,
  V17_CARRIER_HZ,
  V17_SPS,
  bitsPerSymbol,
  constellation,
  rrc,
  trainingSymbols,
  type V17Rate,
} from './v17-tables.js';

/** metrics() of the V.17 receiver: the common figures plus the decision SNR. */
export interface V17RxMetrics extends ModemRxMetrics {
  /** Signal to noise (and distortion) ratio at the slicer, dB (mean point power over mean square error). */
  readonly snrDb: number;
}

export interface V17RxOptions {
  readonly rate: V17Rate;
  /** Expect a short training (needs a successful long training on this receiver before). */
  readonly shortTrain?: boolean;
}

// ---- Receive filter: band-pass RRC in fractional phases ------------------------------------

const RX_TAPS = 16; // 15 taps and a zero, so the dot product runs in pairs
const RX_CENTRE = 7;
const RX_PHASES = 64;
const RX_BETA = 0.25;
const W0 = (2 * Math.PI * V17_CARRIER_HZ) / 8000;

/** Taps [phase][j] applied to the window oldest→newest (j = 0 is the oldest sample). */
const RX_RE = new Float64Array((RX_PHASES + 1) * RX_TAPS);
const RX_IM = new Float64Array((RX_PHASES + 1) * RX_TAPS);
{
  for (let p = 0; p <= RX_PHASES; p++) {
    const f = p / RX_PHASES;
    let dc = 0;
    for (let i = 0; i < RX_TAPS - 1; i++) dc += rrc((i - RX_CENTRE + f) / V17_SPS, RX_BETA);
    for (let i = 0; i < RX_TAPS - 1; i++) {
      // Tap i weighs x[n − i]; the output is the baseband signal at time n − RX_CENTRE − f… once
      // the NCO removes e^{jω0 n}: y = e^{−jθ(n)} Σ x[n−i] h(i − c + f) e^{jω0 i}.
      const x = (i - RX_CENTRE + f) / V17_SPS;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * (i - RX_CENTRE + f)) / (RX_CENTRE + 1.5));
      const h = (rrc(x, RX_BETA) * w) / dc;
      const j = p * RX_TAPS + (RX_TAPS - 1 - i);
      RX_RE[j] = h * Math.cos(W0 * i);
      RX_IM[j] = h * Math.sin(W0 * i);
    }
  }
}

const SIN_BITS = 11; // 2048 steps a turn: ±0.09°, a phase noise far below the slicer's needs
const SIN_SIZE = 1 << SIN_BITS;
const SIN_TABLE = new Float64Array(SIN_SIZE + SIN_SIZE / 4);
for (let i = 0; i < SIN_TABLE.length; i++) SIN_TABLE[i] = Math.sin((2 * Math.PI * i) / SIN_SIZE);

/** The known symbols of segments 2 and 3 (ABCD indices), long and short training. */
const TRAIN_LONG = trainingSymbols(SEG2_LONG_SYMBOLS, SEG3_SYMBOLS).symbols;
const TRAIN_SHORT = trainingSymbols(SEG2_SHORT_SYMBOLS, 0).symbols;
if (TRAIN_LONG[0] !== 2 || TRAIN_SHORT[0] !== 2) throw new Error('V.17: segment 2 must start with C (the reversal of A)');

// ---- Slicer grid: nearest point of each of the 8 subsets, by 0.5-unit cell --------------------

const GRID = 44; // cells per axis, covering −11…+11
const gridCache = new Map<V17Rate, Uint8Array>();
function subsetGrid(rate: V17Rate, points: Float64Array): Uint8Array {
  const cached = gridCache.get(rate);
  if (cached) return cached;
  const g = new Uint8Array(GRID * GRID * 8);
  const n = points.length / 2;
  for (let gx = 0; gx < GRID; gx++) {
    for (let gy = 0; gy < GRID; gy++) {
      const re = (gx + 0.5) / 2 - 11;
      const im = (gy + 0.5) / 2 - 11;
      for (let s = 0; s < 8; s++) {
        let best = s;
        let bd = Infinity;
        for (let l = s; l < n; l += 8) {
          const dr = re - (points[2 * l] as number);
          const di = im - (points[2 * l + 1] as number);
          const d = dr * dr + di * di;
          if (d < bd) {
            bd = d;
            best = l;
          }
        }
        g[(gx * GRID + gy) * 8 + s] = best;
      }
    }
  }
  gridCache.set(rate, g);
  return g;
}

/** For each state: its 4 incoming branches as (previous state, subset), from the encoder. */
const IN_PREV = new Uint8Array(32);
const IN_SUB = new Uint8Array(32);
{
  const fill = new Uint8Array(8);
  for (let b = 0; b < 32; b++) {
    const ns = TRELLIS_NEXT[b] as number;
    const k = ns * 4 + (fill[ns] as number);
    fill[ns] = (fill[ns] as number) + 1;
    IN_PREV[k] = b >> 2;
    IN_SUB[k] = TRELLIS_SUBSET[b] as number;
  }
  for (let s = 0; s < 8; s++) if (fill[s] !== 4) throw new Error('V.17 trellis: every state has four incoming branches');
  // The unrolled add-compare-select in decode() assumes this shape of the trellis.
  const expected = '0,0,2,6,4,2,6,4,0,6,2,0,4,4,6,2,0,2,2,4,4,0,6,6,0,4,2,2,4,6,6,0,1,1,3,3,5,7,7,5,1,5,3,7,5,3,7,1,1,7,3,5,5,1,7,3,1,3,3,1,5,5,7,7';
  const got: number[] = [];
  for (let k = 0; k < 32; k++) got.push(IN_PREV[k] as number, IN_SUB[k] as number);
  if (got.join(',') !== expected) throw new Error('V.17 trellis: unexpected branch order');
}

// ---- Constants of the loops --------------------------------------------------------------------

const EQ_LEN = 21; // T/2 taps
const EQ_CENTRE = 10; // even: a symbol-instant sample
const POINT_POWER = 40; // |A|², and the mean power of every data constellation (within 5 %)
/** Mean |y|² at the symbol instants per unit of input power (mean square), for the AGC. */
const AGC_REF = 0.5 * 0.97;
const PW_ALPHA = 1 / 64; // 8 ms power meter
const FLOOR_RISE = 1 / 2000; // 250 ms
const ON_RATIO = 10 ** (4.5 / 10);
const OFF_RATIO = 10 ** (2 / 10);
/** Carrier off also when the level falls 12 dB below what it was when the training was recognised. */
const DROP_RATIO = 10 ** (-12 / 10);
const OFF_HANGOVER = 200; // samples (25 ms)
const DROP_HANGOVER = 80; // samples (10 ms)
const FAST_ALPHA = 1 / 16; // 2 ms power meter for the end of a trained signal
const ABS_FLOOR = dbm0ToPower(-52);
const SEARCH_TIMEOUT_SYMBOLS = 1200; // 500 ms: TEP + ABAB fit well inside
const VIT_DEPTH = 16; // survivor memory traced back before a decision (symbols)
const VIT_BATCH = 4; // decisions per traceback
const VIT_RING = VIT_DEPTH + VIT_BATCH;
/** Symbols of segment 2 (counting from its first) up to which the long/short probe looks. */
const PROBE_END = SEG2_SHORT_SYMBOLS + 16;
const HOLD_EXTRA_SYMBOLS = 24; // after a fill-in: the receive filter and equaliser spans
const TWO_PI = 2 * Math.PI;
const INV_TWO_PI = 1 / TWO_PI;
const INV_POINT_POWER = 1 / POINT_POWER;

// Stages.
const S_IDLE = 0;
const S_SEARCH = 1;
const S_TRAIN = 2; // segment 2 (and the bridge, long training)
const S_SEG4 = 3;
const S_DATA = 4;
const S_PARKED = 5;

export class V17Receiver implements ModemReceiver {
  private readonly sink: BitSink;
  private readonly rate: V17Rate;
  private readonly bps: number;
  private readonly points: Float64Array;
  private readonly grid: Uint8Array;
  private readonly trainLong: Uint8Array;
  private readonly trainShort: Uint8Array;
  private readonly dmin2: number;
  private shortTrain: boolean;

  // Carrier detector.
  private power = 0;
  private floor = ABS_FLOOR;
  private carrier = false;
  private levelRef = 0; // power when the training was recognised (0: not yet)
  private offCount = 0;
  private dropCount = 0;
  private fastPower = 0.5;
  private stage = S_IDLE;

  // Receive filter ring (duplicated) and NCO.
  private readonly ring = new Float64Array(2 * RX_TAPS);
  private ringPos = 0;
  private phase = 0; // cycles
  private freq = V17_CARRIER_HZ / 8000; // cycles per sample
  private agc = 1;

  // Timing.
  private due = 1;
  private drift = 0; // samples per T/2 step, added to V17_SPS/2
  private half = 0;
  private midRe = 0;
  private midIm = 0;
  private lastRe = 0;
  private lastIm = 0;
  private tKp = 0;
  private tKi = 0;

  // Equaliser.
  private readonly eqRe = new Float64Array(2 * EQ_LEN);
  private readonly eqIm = new Float64Array(2 * EQ_LEN);
  private eqPos = 0;
  private readonly cRe = new Float64Array(EQ_LEN);
  private readonly cIm = new Float64Array(EQ_LEN);
  private mu = 0;

  // Carrier phase loop.
  private pKp = 0;
  private pKi = 0;

  // Saved after a successful training, for a short training.
  private readonly saveRe = new Float64Array(EQ_LEN);
  private readonly saveIm = new Float64Array(EQ_LEN);
  private saveFreq = V17_CARRIER_HZ / 8000;
  private saveDrift = 0;
  private haveSave = false;

  // Search for segment 1.
  private searchCount = 0;
  private searchLevel = 0.5;
  private ababCount = 0;
  private ababMiss = 0;
  private c2Re = 0;
  private c2Im = 0;
  private a1Re = 0;
  private a1Im = 0;
  private pz = 0;
  private sign = 1;
  private fAccRe = 0;
  private fAccIm = 0;
  private readonly histRe = new Float64Array(8);
  private readonly histIm = new Float64Array(8);
  private histPos = 0;

  // Training.
  private count = 0;
  private trainLen = 0;
  private errAcc = 0;
  private errN = 0;
  private errAvg = 0.5;
  private fitEarly = 0.5; // long/short training probe (squared errors)
  private fitLate = 0.5;
  private hold = 0;

  // Trellis decoder.
  private readonly near = new Uint8Array(8);
  private readonly pm = new Float64Array(8);
  private readonly survPrev = new Uint8Array(VIT_RING * 8);
  private readonly survPoint = new Uint8Array(VIT_RING * 8);
  private readonly vitOut = new Uint8Array(VIT_BATCH);
  private vitCount = 0;
  private vitPos = 0;
  private prevDiff = 0;
  private descrambler = 0;

  private symbolsSeen = 0;
  /** Mean square error of the last training test (segment 4), constellation units. */
  private lastMse = 0;
  private mseAvg = 0.5;
  private driftAvg = 0.5;
  private freqAvg = 0.5;
  private levelAtLock = 0.5;
  // The current equaliser output and its target (fields, not arguments: no boxing of doubles).
  private zRe = 0.5;
  private zIm = 0.5;
  private tRe = 0.5;
  private tIm = 0.5;
  private trainedFlag = false;

  constructor(sink: BitSink, opts: V17RxOptions) {
    this.sink = sink;
    this.rate = opts.rate;
    this.bps = bitsPerSymbol(opts.rate);
    this.points = constellation(opts.rate);
    this.grid = subsetGrid(opts.rate, this.points);
    this.trainLong = TRAIN_LONG;
    this.trainShort = TRAIN_SHORT;
    const dmin = this.rate === 14400 ? Math.SQRT2 : this.rate === 12000 ? 2 : this.rate === 9600 ? 2 * Math.SQRT2 : 4;
    this.dmin2 = dmin * dmin;
    this.shortTrain = opts.shortTrain === true;
  }

  /** Forget the signal and wait for a new one; `shortTrain` (default: as constructed) selects the training expected. */
  restart(shortTrain?: boolean): void {
    if (shortTrain !== undefined) this.shortTrain = shortTrain;
    if (this.carrier) this.sink.status('carrier-down');
    this.carrier = false;
    this.stage = S_IDLE;
    this.trainedFlag = false;
  }

  /** What the receiver knows of the signal (in data: clock and carrier averaged over ≈ 0.5–1 s, SNR over 0.1 s). */
  metrics(): V17RxMetrics {
    const locked = this.stage === S_DATA || (!this.carrier && this.haveSave);
    const drift = locked ? this.driftAvg : this.drift;
    const freq = locked ? this.freqAvg : this.freq;
    const mse = this.stage === S_DATA ? this.mseAvg : this.lastMse; // after the burst: its training test
    return {
      signalLevelDbm0: powerToDbm0(Math.max(this.carrier ? this.power : this.levelAtLock, 1e-9)),
      carrierOffsetHz: (freq - V17_CARRIER_HZ / 8000) * 8000,
      symbolTimingPpm: (-drift / (V17_SPS / 2)) * 1e6,
      trained: this.trainedFlag,
      snrDb: mse > 0 ? 10 * Math.log10(POINT_POWER / mse) : 99,
    };
  }

  rx(samples: Int16Array, offset = 0, length = samples.length - offset): void {
    const ring = this.ring;
    const end = offset + length;
    // The hot state lives in locals through the loop and goes back to the fields around calls.
    let pw = this.power;
    let fp = this.fastPower;
    let ph = this.phase;
    let freq = this.freq;
    let due = this.due;
    let rp = this.ringPos;
    let active = this.stage !== S_IDLE && this.stage !== S_PARKED;
    for (let i = offset; i < end; i++) {
      const x = samples[i] as number;
      // Carrier detector.
      pw += (x * x - pw) * PW_ALPHA;
      if (!this.carrier) {
        fp = pw;
        const fl = this.floor;
        const nf = pw < fl ? pw : fl + (pw - fl) * FLOOR_RISE;
        const floor = nf > ABS_FLOOR ? nf : ABS_FLOOR;
        this.floor = floor;
        if (pw > floor * ON_RATIO) {
          this.power = pw;
          this.carrierUp();
          due = this.due;
          freq = this.freq;
          active = true;
        }
      } else {
        // Off after 25 ms below floor + 2 dB (the 20 ms of silence between TEP and the training,
        // V.17 Table 3, must not split one signal in two), or once trained, after 10 ms with a
        // fast (2 ms) meter 12 dB below the level of the training: a live V.17 signal never dips
        // that long, and the receiver stops delivering garbage soon after the end.
        fp += (x * x - fp) * FAST_ALPHA;
        this.offCount = pw < this.floor * OFF_RATIO ? this.offCount + 1 : 0;
        this.dropCount = fp < this.levelRef * DROP_RATIO ? this.dropCount + 1 : 0;
        if (this.offCount >= OFF_HANGOVER || this.dropCount >= DROP_HANGOVER) {
          // What is left may be noise that came with the signal: the floor restarts from here
          // (and falls with the power at once if it was only the signal's tail).
          if (pw > this.floor) this.floor = pw;
          this.carrierDown();
          active = false;
        }
      }
      // Receive filter ring, NCO.
      ring[rp] = x;
      ring[rp + RX_TAPS] = x;
      rp = rp + 1 === RX_TAPS ? 0 : rp + 1;
      ph += freq;
      if (ph >= 1) ph -= 1;
      if (!active) continue;
      due -= 1;
      if (due > 1) continue;
      this.power = pw;
      this.phase = ph;
      this.due = due;
      this.ringPos = rp;
      this.demodulate();
      ph = this.phase;
      freq = this.freq;
      due = this.due;
      active = this.stage !== S_IDLE && this.stage !== S_PARKED;
    }
    this.power = pw;
    this.fastPower = fp;
    this.phase = ph;
    this.due = due;
    this.ringPos = rp;
  }

  fillIn(n: number): void {
    if (!this.carrier || this.stage === S_PARKED || this.stage === S_IDLE) {
      // Nothing to keep in step with; just let the silence into the filter.
      for (let i = 0; i < n && i < RX_TAPS; i++) this.pushZero();
      return;
    }
    this.hold = Math.max(this.hold, Math.ceil(n / V17_SPS) + HOLD_EXTRA_SYMBOLS);
    for (let i = 0; i < n; i++) {
      this.pushZero();
      let ph = this.phase + this.freq;
      if (ph >= 1) ph -= 1;
      this.phase = ph;
      const d = this.due - 1;
      this.due = d;
      if (d <= 1) this.demodulate();
    }
  }

  private pushZero(): void {
    const rp = this.ringPos;
    this.ring[rp] = 0;
    this.ring[rp + RX_TAPS] = 0;
    this.ringPos = rp + 1 === RX_TAPS ? 0 : rp + 1;
  }

  // ---- Carrier ----------------------------------------------------------------------------

  private carrierUp(): void {
    this.carrier = true;
    this.offCount = 0;
    this.dropCount = 0;
    this.levelRef = 0;
    this.sink.status('carrier-up');
    this.startSearch();
  }

  private carrierDown(): void {
    this.carrier = false;
    this.stage = S_IDLE;
    this.trainedFlag = false;
    this.sink.status('carrier-down');
  }

  private startSearch(): void {
    this.stage = S_SEARCH;
    this.searchCount = 0;
    this.searchLevel = this.power;
    this.ababCount = 0;
    this.ababMiss = 0;
    this.c2Re = this.c2Im = this.a1Re = this.a1Im = this.pz = 0;
    this.fAccRe = this.fAccIm = 0;
    this.due = 1;
    this.half = 0;
    this.hold = 0;
    this.eqRe.fill(0);
    this.eqIm.fill(0);
    this.lastRe = this.lastIm = this.midRe = this.midIm = 0;
    this.agc = Math.sqrt(POINT_POWER / (AGC_REF * Math.max(this.power, 1)));
    if (this.haveSave) {
      // What the last successful training learned of this line: the start for a short training,
      // and a head start for a long one (which retrains everything anyway) — also when a short
      // training comes while a long one was expected.
      this.cRe.set(this.saveRe);
      this.cIm.set(this.saveIm);
      this.freq = this.saveFreq;
      this.drift = this.saveDrift;
      this.tKp = 0.08;
      this.tKi = 0.0005;
    } else {
      this.cRe.fill(0);
      this.cIm.fill(0);
      this.cRe[EQ_CENTRE] = 1;
      this.freq = V17_CARRIER_HZ / 8000;
      this.drift = 0;
      this.tKp = 0.1;
      this.tKi = 0.002;
    }
  }

  // ---- One T/2 output -------------------------------------------------------------------------

  private demodulate(): void {
    let f = this.due;
    if (f < 0) f = 0;
    const p = (f * RX_PHASES + 0.5) | 0;
    const base = p * RX_TAPS;
    const ring = this.ring;
    const rp = this.ringPos; // oldest sample of the window
    // Two interleaved partial sums per output keep the multiply-add chains short.
    let re = 0;
    let im = 0;
    let re2 = 0;
    let im2 = 0;
    for (let j = 0; j < RX_TAPS; j += 2) {
      const x = ring[rp + j] as number;
      const x2 = ring[rp + j + 1] as number;
      re += x * (RX_RE[base + j] as number);
      im += x * (RX_IM[base + j] as number);
      re2 += x2 * (RX_RE[base + j + 1] as number);
      im2 += x2 * (RX_IM[base + j + 1] as number);
    }
    re += re2;
    im += im2;
    this.due += V17_SPS / 2 + this.drift;
    // To baseband: multiply by e^{−j2π·phase}.
    const idx = (this.phase * SIN_SIZE) | 0;
    const s = SIN_TABLE[idx] as number;
    const c = SIN_TABLE[idx + SIN_SIZE / 4] as number;
    const g = this.agc;
    const yr = (re * c + im * s) * g;
    const yi = (im * c - re * s) * g;
    // Into the equaliser's delay line.
    const ep = this.eqPos;
    this.eqRe[ep] = yr;
    this.eqIm[ep] = yi;
    this.eqRe[ep + EQ_LEN] = yr;
    this.eqIm[ep + EQ_LEN] = yi;
    this.eqPos = ep + 1 === EQ_LEN ? 0 : ep + 1;
    if (this.half === 0) {
      this.half = 1;
      this.midRe = yr;
      this.midIm = yi;
      return;
    }
    this.half = 0;
    // Gardner timing error: positive when we sample late.
    if (this.hold === 0) {
      const e = (this.midRe * (yr - this.lastRe) + this.midIm * (yi - this.lastIm)) * INV_POINT_POWER;
      const ec = e > 1 ? 1 : e < -1 ? -1 : e;
      this.drift -= this.tKi * ec;
      this.due -= this.tKp * ec;
    }
    this.lastRe = yr;
    this.lastIm = yi;
    this.symbol();
  }

  // ---- One symbol -----------------------------------------------------------------------------

  private symbol(): void {
    // Equaliser output.
    const eqRe = this.eqRe;
    const eqIm = this.eqIm;
    const cRe = this.cRe;
    const cIm = this.cIm;
    const ep = this.eqPos; // oldest
    let zr = 0;
    let zi = 0;
    let zr2 = 0;
    let zi2 = 0;
    for (let j = 0; j < EQ_LEN - 1; j += 2) {
      const ur = eqRe[ep + j] as number;
      const ui = eqIm[ep + j] as number;
      const cr = cRe[j] as number;
      const ci = cIm[j] as number;
      zr += cr * ur - ci * ui;
      zi += cr * ui + ci * ur;
      const ur2 = eqRe[ep + j + 1] as number;
      const ui2 = eqIm[ep + j + 1] as number;
      const cr2 = cRe[j + 1] as number;
      const ci2 = cIm[j + 1] as number;
      zr2 += cr2 * ur2 - ci2 * ui2;
      zi2 += cr2 * ui2 + ci2 * ur2;
    }
    {
      const j = EQ_LEN - 1; // EQ_LEN is odd
      const ur = eqRe[ep + j] as number;
      const ui = eqIm[ep + j] as number;
      const cr = cRe[j] as number;
      const ci = cIm[j] as number;
      zr += cr * ur - ci * ui + zr2;
      zi += cr * ui + ci * ur + zi2;
    }
    this.zRe = zr;
    this.zIm = zi;
    this.symbolsSeen++;
    const adapt = this.hold === 0;
    if (!adapt) this.hold--;
    switch (this.stage) {
      case S_SEARCH:
        this.search();
        return;
      case S_TRAIN: {
        const idx = this.count;
        const table = this.trainLen === SEG2_SHORT_SYMBOLS ? this.trainShort : this.trainLong;
        const k = (table[idx] as number) << 1;
        const tr = ABCD[k] as number;
        const ti = ABCD[k + 1] as number;
        this.tRe = tr;
        this.tIm = ti;
        // Long training: symbols 39…54 may already be segment 4 of a short training (checked in
        // trainStep), so the loops do not learn from them.
        const probe = this.trainLen === SEG2_LONG_SYMBOLS && idx >= SEG2_SHORT_SYMBOLS && idx < PROBE_END;
        if (adapt && !probe) this.track();
        this.count = idx + 1;
        this.trainStep(adapt);
        return;
      }
      case S_SEG4:
      case S_DATA:
        this.decode(adapt);
        return;
      default:
        return;
    }
  }

  /** Phase loop and equaliser update towards target (tr, ti). */
  private track(): void {
    this.phaseLoop();
    this.lms();
  }

  /** Second-order carrier phase loop on the equaliser output. */
  private phaseLoop(): void {
    const zr = this.zRe;
    const zi = this.zIm;
    const tr = this.tRe;
    const ti = this.tIm;
    // Phase error ≈ Im(z·conj(t)) / |t|², scaled by the mean point power instead of |t|² (no
    // division per symbol; outer points weigh more, which only helps the estimate).
    const pe = (zi * tr - zr * ti) * INV_POINT_POWER;
    this.freq += this.pKi * pe * INV_TWO_PI;
    let ph = this.phase + this.pKp * pe * INV_TWO_PI;
    if (ph >= 1) ph -= 1;
    else if (ph < 0) ph += 1;
    this.phase = ph;
  }

  /** Complex LMS step of the equaliser towards target (tr, ti). */
  private lms(): void {
    const zr = this.zRe;
    const zi = this.zIm;
    const tr = this.tRe;
    const ti = this.tIm;
    const er = (tr - zr) * this.mu;
    const ei = (ti - zi) * this.mu;
    const eqRe = this.eqRe;
    const eqIm = this.eqIm;
    const cRe = this.cRe;
    const cIm = this.cIm;
    const ep = this.eqPos;
    for (let j = 0; j < EQ_LEN; j++) {
      const ur = eqRe[ep + j] as number;
      const ui = eqIm[ep + j] as number;
      // c += e·conj(u)
      cRe[j] = (cRe[j] as number) + er * ur + ei * ui;
      cIm[j] = (cIm[j] as number) + ei * ur - er * ui;
    }
  }

  // ---- Segment 1 search -----------------------------------------------------------------------

  private search(): void {
    const zr = this.zRe;
    const zi = this.zIm;
    // A new, stronger signal on top of what raised the carrier restarts the clock (noise first,
    // then TEP, then the training).
    if (this.power > 2 * this.searchLevel) {
      this.searchLevel = this.power;
      this.searchCount = 0;
    }
    if (++this.searchCount > SEARCH_TIMEOUT_SYMBOLS && this.ababCount === 0) {
      // Energy without a V.17 training: it was noise (or another signal). Learn it as the floor.
      this.floor = Math.max(this.power, ABS_FLOOR);
      this.carrierDown();
      return;
    }
    if (this.hold === 0) {
      // AGC follows the level until the training is recognised.
      this.agc = Math.sqrt(POINT_POWER / (AGC_REF * Math.max(this.power, 1)));
    }
    const hp = this.histPos;
    const h1 = (hp + 7) & 7;
    const h2 = (hp + 6) & 7;
    const z1r = this.histRe[h1] as number;
    const z1i = this.histIm[h1] as number;
    const z2r = this.histRe[h2] as number;
    const z2i = this.histIm[h2] as number;
    this.histRe[hp] = zr;
    this.histIm[hp] = zi;
    this.histPos = (hp + 1) & 7;
    const p = zr * zr + zi * zi;
    // z·conj(z2) and ±z·conj(z1)
    const r2 = zr * z2r + zi * z2i;
    const i2 = zi * z2r - zr * z2i;
    const s = this.sign;
    this.sign = -s;
    const r1 = s * (zr * z1r + zi * z1i);
    const i1 = s * (zi * z1r - zr * z1i);
    const b = 1 / 16;
    if (this.ababCount >= 24 && r2 < -0.4 * this.pz && p > 0.4 * this.pz) {
      this.reversal();
      return;
    }
    this.c2Re += (r2 - this.c2Re) * b;
    this.c2Im += (i2 - this.c2Im) * b;
    this.a1Re += (r1 - this.a1Re) * b;
    this.a1Im += (i1 - this.a1Im) * b;
    this.pz += (p - this.pz) * b;
    const pz = this.pz;
    const c2 = this.c2Re * this.c2Re + this.c2Im * this.c2Im;
    const abab = c2 > 0.36 * pz * pz && Math.abs(this.a1Im) > 0.5 * pz && Math.abs(this.a1Re) < 0.4 * pz;
    if (abab) {
      this.ababCount++;
      this.ababMiss = 0;
      if (this.ababCount >= 16) {
        // Frequency offset: rotation between symbols two apart.
        this.fAccRe += r2;
        this.fAccIm += i2;
      }
    } else if (this.ababCount > 0 && ++this.ababMiss > 8) {
      this.ababCount = 0;
      this.fAccRe = this.fAccIm = 0;
    }
  }

  /** The phase reversal that starts segment 2: fix carrier frequency and phase, start training. */
  private reversal(): void {
    const zr = this.zRe;
    const zi = this.zIm;
    // Frequency: the mean rotation over two symbols (atan2 once per training).
    const rot2 = Math.atan2(this.fAccIm, this.fAccRe);
    const perSymbol = this.fAccRe === 0 && this.fAccIm === 0 ? 0 : rot2 / 2;
    this.freq += perSymbol / (TWO_PI * V17_SPS);
    // Phase: this symbol is C; before it B, A, B, A…; undo the rotation perSymbol·age.
    let sr = 0;
    let si = 0;
    for (let m = 0; m < 8; m++) {
      let ur: number;
      let ui: number;
      if (m === 0) {
        ur = zr;
        ui = zi;
      } else {
        const h = (this.histPos - 1 - m + 16) & 7; // z(k−m)
        ur = this.histRe[h] as number;
        ui = this.histIm[h] as number;
      }
      const ref = m === 0 ? 2 : (m & 1) === 1 ? 1 : 0; // C, B, A, B, A, …
      const ar = ABCD[2 * ref] as number;
      const ai = ABCD[2 * ref + 1] as number;
      // u·conj(ref)·e^{j·perSymbol·m}
      const vr = ur * ar + ui * ai;
      const vi = ui * ar - ur * ai;
      const cr = Math.cos(perSymbol * m);
      const ci = Math.sin(perSymbol * m);
      sr += vr * cr - vi * ci;
      si += vr * ci + vi * cr;
    }
    const phi = Math.atan2(si, sr);
    let ph = this.phase + phi / TWO_PI;
    if (ph >= 1) ph -= 1;
    else if (ph < 0) ph += 1;
    this.phase = ph;
    const cr = Math.cos(phi);
    const ci = -Math.sin(phi);
    for (let j = 0; j < 2 * EQ_LEN; j++) {
      const ur = this.eqRe[j] as number;
      const ui = this.eqIm[j] as number;
      this.eqRe[j] = ur * cr - ui * ci;
      this.eqIm[j] = ur * ci + ui * cr;
    }
    this.levelRef = this.power;
    this.stage = S_TRAIN;
    this.count = 1; // this symbol was the first of segment 2
    this.errAcc = 0;
    this.errN = 0;
    this.errAvg = 0;
    this.fitEarly = 0;
    this.fitLate = 0;
    const long = !this.shortTrain;
    this.trainLen = long ? SEG2_LONG_SYMBOLS : SEG2_SHORT_SYMBOLS;
    if (long) {
      this.mu = 0.05 / (EQ_LEN * POINT_POWER);
      this.pKp = 0.12;
      this.pKi = 0.004;
    } else {
      // Short training: 37 known symbols to pull in the phase and touch up the equaliser. Without
      // a long training before (a receiver created for short training), the equaliser starts as
      // a plain delay and adapts faster; on a line without much distortion that is enough.
      this.mu = (this.haveSave ? 0.005 : 0.03) / (EQ_LEN * POINT_POWER);
      this.pKp = 0.15;
      this.pKi = this.haveSave ? 0.002 : 0.004;
    }
    this.sink.status('training-in-progress');
  }

  /** Bookkeeping of segments 2 and 3 after each known symbol. */
  private trainStep(adapt: boolean): void {
    const er = this.zRe - this.tRe;
    const ei = this.zIm - this.tIm;
    const n = this.count; // symbols of segment 2 (+3) seen
    const seg2 = this.trainLen;
    if (seg2 === SEG2_LONG_SYMBOLS) {
      if (n === 600) {
        this.mu = 0.01 / (EQ_LEN * POINT_POWER);
        this.pKp = 0.08;
        this.pKi = 0.001;
        this.tKp = 0.04;
        this.tKi = 0.0003;
      } else if (n === 2000) {
        this.mu = 0.004 / (EQ_LEN * POINT_POWER);
        this.tKp = 0.02;
        this.tKi = 0.0001;
      }
      // Which training is it? A short one has only 38 symbols of segment 2: compare how well
      // symbols 10…38 and 39…54 fit the CDBA sequence (V.17 Table 3) and take the short path
      // if the first part fits and the second does not.
      const e2 = er * er + ei * ei;
      if (n >= 10 && n <= SEG2_SHORT_SYMBOLS) this.fitEarly += e2;
      else if (n > SEG2_SHORT_SYMBOLS && n <= PROBE_END) this.fitLate += e2;
      if (n === PROBE_END) {
        const early = this.fitEarly / (SEG2_SHORT_SYMBOLS - 9);
        const late = this.fitLate / (PROBE_END - SEG2_SHORT_SYMBOLS);
        if (early < POINT_POWER / 8 && late > POINT_POWER / 2) {
          this.shortFound();
          return;
        }
      }
      // Segment 2 no longer matches (not V.17 at all, or lost): give up early.
      if (adapt) this.errAvg += (er * er + ei * ei - this.errAvg) * (1 / 32);
      if (n > 400 && n <= seg2 - 20 && this.errAvg > POINT_POWER / 3) {
        this.fail();
        return;
      }
      if (n > seg2 - 276 && n <= seg2 - 20 && adapt) {
        this.errAcc += er * er + ei * ei;
        this.errN++;
      }
    } else if (n > 8 && adapt) {
      this.errAcc += er * er + ei * ei;
      this.errN++;
    }
    if (n === seg2) {
      // Segment 2 over: is the equaliser good enough for this rate? (V.17 leaves the criterion to
      // the implementation; we ask for a mean square error below a quarter of the squared
      // minimum distance of the data constellation.)
      const mse = this.errN > 0 ? this.errAcc / this.errN : 0;
      if (mse > this.dmin2 / 4) {
        this.fail();
        return;
      }
      if (seg2 === SEG2_SHORT_SYMBOLS) this.startSeg4();
    } else if (n === seg2 + SEG3_SYMBOLS) {
      this.startSeg4();
    }
  }

  /** A long training was expected but this is a short one: we are 16 symbols into segment 4. */
  private shortFound(): void {
    this.trainLen = SEG2_SHORT_SYMBOLS;
    this.startSeg4();
    this.pm.fill(0); // the encoder's state is unknown 16 symbols in
    this.count = PROBE_END - SEG2_SHORT_SYMBOLS;
  }

  /** A short training was expected but segment 2 goes on: this is a long one. */
  private longFound(): void {
    this.stage = S_TRAIN;
    this.trainLen = SEG2_LONG_SYMBOLS;
    this.count = PROBE_END;
    this.errAcc = 0;
    this.errN = 0;
    this.errAvg = 0;
    this.mu = 0.05 / (EQ_LEN * POINT_POWER);
    this.pKp = 0.12;
    this.pKi = 0.004;
  }

  private fail(): void {
    this.stage = S_PARKED;
    this.trainedFlag = false;
    this.sink.status('training-failed');
  }

  private startSeg4(): void {
    this.stage = S_SEG4;
    this.count = 0;
    this.errAcc = 0;
    this.errN = 0;
    this.pm.fill(1e6);
    this.pm[0] = 0; // the encoder starts segment 4 in state 0
    this.survPrev.fill(0);
    this.survPoint.fill(0);
    this.vitPos = 0;
    this.vitCount = 0;
    this.prevDiff = this.trainLen === SEG2_SHORT_SYMBOLS ? 0 : 1;
    this.descrambler = 0;
    this.mu = 0.008 / (EQ_LEN * POINT_POWER); // applied every fourth symbol
    this.pKp = 0.06;
    this.pKi = 0.0005;
    this.tKp = 0.015;
    this.tKi = 0.00005;
  }

  /** Differential decoding (V.17 §3: Q1Q2 = Y1Y2 − previous Y1Y2, mod 4), descrambling, delivery. */
  private emit(label: number): void {
    const y12 = (label >> 1) & 3;
    const q = ((label >> 3) << 2) | ((y12 - this.prevDiff) & 3);
    this.prevDiff = y12;
    const deliver = this.stage === S_DATA;
    const sink = this.sink;
    const bps = this.bps;
    let reg = this.descrambler;
    for (let i = 0; i < bps; i++) {
      const inBit = (q >> i) & 1;
      const out = (inBit ^ (reg >>> 17) ^ (reg >>> 22)) & 1;
      reg = ((reg << 1) | inBit) & 0x7fffff;
      if (deliver) sink.putBit(out);
    }
    this.descrambler = reg;
  }

  // ---- Trellis decoding -----------------------------------------------------------------------

  private decode(adapt: boolean): void {
    const zr = this.zRe;
    const zi = this.zIm;
    const pts = this.points;
    // Nearest point of every subset, and its squared distance.
    let gx = ((zr + 11) * 2) | 0;
    let gy = ((zi + 11) * 2) | 0;
    if (gx < 0) gx = 0;
    else if (gx >= GRID) gx = GRID - 1;
    if (gy < 0) gy = 0;
    else if (gy >= GRID) gy = GRID - 1;
    const gb = (gx * GRID + gy) * 8;
    const grid = this.grid;
    // Nearest point of each subset Y2Y1Y0 (grid lookup) and its squared distance, unrolled.
    const near = this.near;
    const l0 = grid[gb + 0] as number;
    const x0 = zr - (pts[2 * l0] as number);
    const y0 = zi - (pts[2 * l0 + 1] as number);
    const d0 = x0 * x0 + y0 * y0;
    near[0] = l0;
    const l1 = grid[gb + 1] as number;
    const x1 = zr - (pts[2 * l1] as number);
    const y1 = zi - (pts[2 * l1 + 1] as number);
    const d1 = x1 * x1 + y1 * y1;
    near[1] = l1;
    const l2 = grid[gb + 2] as number;
    const x2 = zr - (pts[2 * l2] as number);
    const y2 = zi - (pts[2 * l2 + 1] as number);
    const d2 = x2 * x2 + y2 * y2;
    near[2] = l2;
    const l3 = grid[gb + 3] as number;
    const x3 = zr - (pts[2 * l3] as number);
    const y3 = zi - (pts[2 * l3 + 1] as number);
    const d3 = x3 * x3 + y3 * y3;
    near[3] = l3;
    const l4 = grid[gb + 4] as number;
    const x4 = zr - (pts[2 * l4] as number);
    const y4 = zi - (pts[2 * l4 + 1] as number);
    const d4 = x4 * x4 + y4 * y4;
    near[4] = l4;
    const l5 = grid[gb + 5] as number;
    const x5 = zr - (pts[2 * l5] as number);
    const y5 = zi - (pts[2 * l5 + 1] as number);
    const d5 = x5 * x5 + y5 * y5;
    near[5] = l5;
    const l6 = grid[gb + 6] as number;
    const x6 = zr - (pts[2 * l6] as number);
    const y6 = zi - (pts[2 * l6 + 1] as number);
    const d6 = x6 * x6 + y6 * y6;
    near[6] = l6;
    const l7 = grid[gb + 7] as number;
    const x7 = zr - (pts[2 * l7] as number);
    const y7 = zi - (pts[2 * l7 + 1] as number);
    const d7 = x7 * x7 + y7 * y7;
    near[7] = l7;
    let best = l0;
    let bestD = d0;
    if (d1 < bestD) {
      bestD = d1;
      best = l1;
    }
    if (d2 < bestD) {
      bestD = d2;
      best = l2;
    }
    if (d3 < bestD) {
      bestD = d3;
      best = l3;
    }
    if (d4 < bestD) {
      bestD = d4;
      best = l4;
    }
    if (d5 < bestD) {
      bestD = d5;
      best = l5;
    }
    if (d6 < bestD) {
      bestD = d6;
      best = l6;
    }
    if (d7 < bestD) {
      bestD = d7;
      best = l7;
    }
    // Smoothed figures for metrics().
    this.mseAvg += (bestD - this.mseAvg) * (1 / 256);
    this.driftAvg += (this.drift - this.driftAvg) * (1 / 2048);
    this.freqAvg += (this.freq - this.freqAvg) * (1 / 1024);
    // Decision-directed tracking on the nearest point (no trellis delay in the loops). The
    // equaliser adapts on every fourth symbol only (with four times the step): what it follows
    // in data (line drift, the residue of the timing loop) is slow.
    if (adapt) {
      const tr = pts[2 * best] as number;
      const ti = pts[2 * best + 1] as number;
      this.tRe = tr;
      this.tIm = ti;
      this.phaseLoop();
      if ((this.symbolsSeen & 3) === 0) this.lms();
    }

    // Add-compare-select, unrolled over the trellis (IN_PREV/IN_SUB, checked against the
    // encoder at load time): states 0–3 are entered from the even states through even subsets,
    // 4–7 from the odd states through odd subsets. Each state takes the best of its four
    // branches by a two-round tournament (short dependency chains, select-friendly).
    const pm = this.pm;
    const p0 = pm[0] as number, p1 = pm[1] as number, p2 = pm[2] as number, p3 = pm[3] as number;
    const p4 = pm[4] as number, p5 = pm[5] as number, p6 = pm[6] as number, p7 = pm[7] as number;
    const vp = this.vitPos;
    const survPrev = this.survPrev;
    const survPoint = this.survPoint;
    const sb = vp * 8;
    const a00 = p0 + d0, a01 = p2 + d6, a02 = p4 + d2, a03 = p6 + d4;
    const b00 = a01 < a00 ? a01 : a00, j00 = a01 < a00 ? 1 : 0;
    const b01 = a03 < a02 ? a03 : a02, j01 = a03 < a02 ? 3 : 2;
    const m0 = b01 < b00 ? b01 : b00, j0 = 0 + (b01 < b00 ? j01 : j00);
    survPrev[sb + 0] = IN_PREV[j0] as number;
    survPoint[sb + 0] = near[IN_SUB[j0] as number] as number;
    const a10 = p0 + d6, a11 = p2 + d0, a12 = p4 + d4, a13 = p6 + d2;
    const b10 = a11 < a10 ? a11 : a10, j10 = a11 < a10 ? 1 : 0;
    const b11 = a13 < a12 ? a13 : a12, j11 = a13 < a12 ? 3 : 2;
    const m1 = b11 < b10 ? b11 : b10, j1 = 4 + (b11 < b10 ? j11 : j10);
    survPrev[sb + 1] = IN_PREV[j1] as number;
    survPoint[sb + 1] = near[IN_SUB[j1] as number] as number;
    const a20 = p0 + d2, a21 = p2 + d4, a22 = p4 + d0, a23 = p6 + d6;
    const b20 = a21 < a20 ? a21 : a20, j20 = a21 < a20 ? 1 : 0;
    const b21 = a23 < a22 ? a23 : a22, j21 = a23 < a22 ? 3 : 2;
    const m2 = b21 < b20 ? b21 : b20, j2 = 8 + (b21 < b20 ? j21 : j20);
    survPrev[sb + 2] = IN_PREV[j2] as number;
    survPoint[sb + 2] = near[IN_SUB[j2] as number] as number;
    const a30 = p0 + d4, a31 = p2 + d2, a32 = p4 + d6, a33 = p6 + d0;
    const b30 = a31 < a30 ? a31 : a30, j30 = a31 < a30 ? 1 : 0;
    const b31 = a33 < a32 ? a33 : a32, j31 = a33 < a32 ? 3 : 2;
    const m3 = b31 < b30 ? b31 : b30, j3 = 12 + (b31 < b30 ? j31 : j30);
    survPrev[sb + 3] = IN_PREV[j3] as number;
    survPoint[sb + 3] = near[IN_SUB[j3] as number] as number;
    const a40 = p1 + d1, a41 = p3 + d3, a42 = p5 + d7, a43 = p7 + d5;
    const b40 = a41 < a40 ? a41 : a40, j40 = a41 < a40 ? 1 : 0;
    const b41 = a43 < a42 ? a43 : a42, j41 = a43 < a42 ? 3 : 2;
    const m4 = b41 < b40 ? b41 : b40, j4 = 16 + (b41 < b40 ? j41 : j40);
    survPrev[sb + 4] = IN_PREV[j4] as number;
    survPoint[sb + 4] = near[IN_SUB[j4] as number] as number;
    const a50 = p1 + d5, a51 = p3 + d7, a52 = p5 + d3, a53 = p7 + d1;
    const b50 = a51 < a50 ? a51 : a50, j50 = a51 < a50 ? 1 : 0;
    const b51 = a53 < a52 ? a53 : a52, j51 = a53 < a52 ? 3 : 2;
    const m5 = b51 < b50 ? b51 : b50, j5 = 20 + (b51 < b50 ? j51 : j50);
    survPrev[sb + 5] = IN_PREV[j5] as number;
    survPoint[sb + 5] = near[IN_SUB[j5] as number] as number;
    const a60 = p1 + d7, a61 = p3 + d5, a62 = p5 + d1, a63 = p7 + d3;
    const b60 = a61 < a60 ? a61 : a60, j60 = a61 < a60 ? 1 : 0;
    const b61 = a63 < a62 ? a63 : a62, j61 = a63 < a62 ? 3 : 2;
    const m6 = b61 < b60 ? b61 : b60, j6 = 24 + (b61 < b60 ? j61 : j60);
    survPrev[sb + 6] = IN_PREV[j6] as number;
    survPoint[sb + 6] = near[IN_SUB[j6] as number] as number;
    const a70 = p1 + d3, a71 = p3 + d1, a72 = p5 + d5, a73 = p7 + d7;
    const b70 = a71 < a70 ? a71 : a70, j70 = a71 < a70 ? 1 : 0;
    const b71 = a73 < a72 ? a73 : a72, j71 = a73 < a72 ? 3 : 2;
    const m7 = b71 < b70 ? b71 : b70, j7 = 28 + (b71 < b70 ? j71 : j70);
    survPrev[sb + 7] = IN_PREV[j7] as number;
    survPoint[sb + 7] = near[IN_SUB[j7] as number] as number;
    let bm = m0;
    let bs = 0;
    if (m1 < bm) {
      bm = m1;
      bs = 1;
    }
    if (m2 < bm) {
      bm = m2;
      bs = 2;
    }
    if (m3 < bm) {
      bm = m3;
      bs = 3;
    }
    if (m4 < bm) {
      bm = m4;
      bs = 4;
    }
    if (m5 < bm) {
      bm = m5;
      bs = 5;
    }
    if (m6 < bm) {
      bm = m6;
      bs = 6;
    }
    if (m7 < bm) {
      bm = m7;
      bs = 7;
    }
    pm[0] = m0 - bm;
    pm[1] = m1 - bm;
    pm[2] = m2 - bm;
    pm[3] = m3 - bm;
    pm[4] = m4 - bm;
    pm[5] = m5 - bm;
    pm[6] = m6 - bm;
    pm[7] = m7 - bm;
    this.vitPos = vp + 1 === VIT_RING ? 0 : vp + 1;
    if (++this.vitCount === VIT_BATCH) {
      // Every VIT_BATCH symbols: trace back VIT_DEPTH − 1 symbols from the best state, then
      // read the VIT_BATCH decisions before that (oldest last) and deliver them oldest first.
      this.vitCount = 0;
      let st = bs;
      let pos = vp;
      for (let k = 0; k < VIT_DEPTH - 1; k++) {
        st = survPrev[pos * 8 + st] as number;
        pos = pos === 0 ? VIT_RING - 1 : pos - 1;
      }
      const out = this.vitOut;
      for (let k = VIT_BATCH - 1; k >= 0; k--) {
        out[k] = survPoint[pos * 8 + st] as number;
        st = survPrev[pos * 8 + st] as number;
        pos = pos === 0 ? VIT_RING - 1 : pos - 1;
      }
      for (let k = 0; k < VIT_BATCH; k++) this.emit(out[k] as number);
    }

    if (this.stage === S_SEG4) {
      if (this.trainLen === SEG2_SHORT_SYMBOLS && this.count < PROBE_END - SEG2_SHORT_SYMBOLS) {
        // Short training expected: does segment 2 go on (a long training)?
        const k = (TRAIN_LONG[SEG2_SHORT_SYMBOLS + this.count] as number) << 1;
        const dr = zr - (ABCD[k] as number);
        const di = zi - (ABCD[k + 1] as number);
        this.fitEarly += dr * dr + di * di;
        if (this.count === PROBE_END - SEG2_SHORT_SYMBOLS - 1 && this.fitEarly < ((PROBE_END - SEG2_SHORT_SYMBOLS) * POINT_POWER) / 8) {
          this.longFound();
          return;
        }
      }
      if (adapt) {
        this.errAcc += bestD;
        this.errN++;
      }
      if (++this.count >= SEG4_SYMBOLS) {
        // The test of segment 4: decisions on the data constellation must be clean (mean square
        // error below 1/8 of the squared minimum distance: SNR ≈ 22 dB at 14 400, 13 dB at 7200).
        const mse = this.errN > 0 ? this.errAcc / this.errN : 0;
        this.lastMse = mse;
        if (mse > this.dmin2 / 8) {
          this.fail();
          return;
        }
        this.pKi = 0.0001;
        this.driftAvg = this.drift;
        this.freqAvg = this.freq;
        this.levelAtLock = this.power;
        this.stage = S_DATA;
        this.trainedFlag = true;
        this.saveRe.set(this.cRe);
        this.saveIm.set(this.cIm);
        this.saveFreq = this.freq;
        this.saveDrift = this.drift;
        this.haveSave = true;
        this.sink.status('training-succeeded');
      }
    }
  }
}
