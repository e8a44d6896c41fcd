/**
 * V.27ter transmitter: the synchronising signals of V.27ter §2.5 (Table 3, long train: optional
 * echo protection tone, 20 ms of silence, 50 symbols of 180° reversals, 1074 symbols of the
 * equaliser conditioning pattern, 8 symbols of scrambled ones), then the data scrambled
 * (1 + x^-6 + x^-7) and differentially phase coded (tribits at 4800 bit/s, Table 1; dibits at
 * 2400 bit/s, Table 2), then 32 symbols of scrambled ones and the filter's tail.
 *
 * How: symbols at 1600 or 1200 baud go through a root-raised-cosine pulse shaper (β = 0.5) as a
 * polyphase filter — time is kept in thirds of a sample, so both 5 samples/symbol (4800) and
 * 20/3 samples/symbol (2400) land on exact table rows — then onto the 1800 Hz carrier, whose
 * 40-sample period is a table too. Nothing is allocated after construction.
 */

import { rmsAmplitude } from '../dsp/level.js';
import { END_OF_DATA, type BitSource, type ModemTransmitter } from './types.js';
import {
  CARRIER_COS,
  CARRIER_PERIOD,
  CARRIER_SIN,
  DIBIT_STEP,
  POINT_IM,
  POINT_RE,
  ROLLOFF,
  SEG2_SECONDS,
  SEG3_SYMBOLS,
  SEG4_SYMBOLS,
  SEG5_SYMBOLS,
  SHUTDOWN_SYMBOLS,
  TEP_SECONDS,
  TRIBIT_STEP,
  V27terScrambler,
  conditioningStep,
  rootRaisedCosine,
  v27terBaud,
  type V27terRate,
} from './v27ter-common.js';

export interface V27terTxOptions {
  readonly rate: V27terRate;
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Send the talker echo protection tone (segment 1) first (V.27ter §2.5.1). */
  readonly tep?: boolean;
}

/** Symbols of pulse-shaper memory (the RRC spans ±3 symbols). */
const SPAN = 6;
/** Time is counted in thirds of a sample (1200 baud = 20/3 samples per symbol). */
const SUB = 3;

// Where the transmitter is in its signal.
const ST_TEP = 0;
const ST_SILENCE = 1;
const ST_REVERSALS = 2;
const ST_CONDITIONING = 3;
const ST_ONES = 4;
const ST_DATA = 5;
const ST_SHUTDOWN = 6;
const ST_TAIL = 7;
const ST_DONE = 8;

export class V27terTransmitter implements ModemTransmitter {
  private readonly bits: BitSource;
  private readonly rate: V27terRate;
  /** Symbol period in thirds of a sample: 15 (4800) or 20 (2400). */
  private readonly periodSub: number;
  /** Pulse shaper: row = time since the newest symbol (thirds of a sample), column = symbol age. */
  private readonly shaper: Float64Array;
  private readonly gain: number;
  private readonly symRe = new Float64Array(SPAN);
  private readonly symIm = new Float64Array(SPAN);
  private readonly scrambler = new V27terScrambler();
  private readonly tepSymbols: number;
  private readonly silenceSymbols: number;

  private stage = ST_SILENCE;
  private stageLeft = 0;
  private symAt = 0; // ring position of the newest symbol
  private sub = 0; // thirds of a sample since the newest symbol
  private carrier = 0; // sample index mod 40
  private state = 0; // carrier state 0…7 (k·45°)
  private ended = false;

  constructor(bits: BitSource, opts: V27terTxOptions) {
    if (opts.rate !== 2400 && opts.rate !== 4800) throw new RangeError(`V.27ter: no rate ${String(opts.rate)}`);
    this.bits = bits;
    this.rate = opts.rate;
    const baud = v27terBaud(opts.rate);
    this.periodSub = (8000 * SUB) / baud;
    this.tepSymbols = Math.round(TEP_SECONDS * baud);
    this.silenceSymbols = Math.round(SEG2_SECONDS * baud);
    // Row p (p thirds of a sample after the newest symbol), column m (symbol m back): the pulse
    // of that symbol, centred SPAN/2 symbols after it was sent.
    const sps = 8000 / baud;
    this.shaper = new Float64Array(this.periodSub * SPAN);
    let energy = 0;
    for (let p = 0; p < this.periodSub; p++) {
      for (let m = 0; m < SPAN; m++) {
        const t = (p / SUB + m * sps) / sps - SPAN / 2;
        const h = rootRaisedCosine(t, ROLLOFF);
        this.shaper[p * SPAN + m] = h;
        energy += h * h;
      }
    }
    // Mean square of the baseband for independent unit symbols = energy per symbol / samples per
    // symbol; the passband (real part on the carrier) has half of it.
    const meanSquare = energy / this.periodSub / 2;
    this.gain = rmsAmplitude(opts.levelDbm0 ?? -10) / Math.sqrt(meanSquare);
    if (opts.tep === true) {
      this.stage = ST_TEP;
      this.stageLeft = this.tepSymbols;
    } else {
      this.stage = ST_SILENCE;
      this.stageLeft = this.silenceSymbols;
    }
    // The first symbol enters at sample 0.
    this.sub = this.periodSub;
  }

  get done(): boolean {
    return this.stage === ST_DONE;
  }

  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    const shaper = this.shaper;
    const symRe = this.symRe;
    const symIm = this.symIm;
    const period = this.periodSub;
    const gain = this.gain;
    let n = 0;
    if (this.stage === ST_DONE) return 0;
    while (n < length) {
      if (this.sub >= period) {
        this.sub -= period;
        if (!this.nextSymbol()) break;
      }
      // Baseband: Σ symbol[m back] · pulse(time since it), then onto the carrier.
      const row = this.sub * SPAN;
      let re = 0;
      let im = 0;
      let k = this.symAt;
      for (let m = 0; m < SPAN; m++) {
        const h = shaper[row + m] as number;
        re += (symRe[k] as number) * h;
        im += (symIm[k] as number) * h;
        k = k === 0 ? SPAN - 1 : k - 1;
      }
      const c = this.carrier;
      let v = Math.round(gain * (re * (CARRIER_COS[c] as number) - im * (CARRIER_SIN[c] as number)));
      if (v > 32767) v = 32767;
      else if (v < -32768) v = -32768;
      out[offset + n] = v;
      this.carrier = c + 1 === CARRIER_PERIOD ? 0 : c + 1;
      this.sub += SUB;
      n++;
    }
    return n;
  }

  /** Push the next symbol into the shaper; false once the signal (with its tail) is over. */
  private nextSymbol(): boolean {
    let re = 0;
    let im = 0;
    switch (this.stage) {
      case ST_TEP:
        // Segment 1: unmodulated carrier.
        re = POINT_RE[this.state] as number;
        im = POINT_IM[this.state] as number;
        if (--this.stageLeft <= 0) {
          this.stage = ST_SILENCE;
          this.stageLeft = this.silenceSymbols;
        }
        break;
      case ST_SILENCE:
        // Segment 2: no energy.
        if (--this.stageLeft <= 0) {
          this.stage = ST_REVERSALS;
          this.stageLeft = SEG3_SYMBOLS;
        }
        break;
      case ST_REVERSALS:
        // Segment 3: 180° every symbol.
        this.state = (this.state + 4) & 7;
        re = POINT_RE[this.state] as number;
        im = POINT_IM[this.state] as number;
        if (--this.stageLeft <= 0) {
          this.stage = ST_CONDITIONING;
          this.stageLeft = SEG4_SYMBOLS;
          this.scrambler.reset();
        }
        break;
      case ST_CONDITIONING:
        // Segment 4: 0° or 180° by the scrambled ones.
        this.state = (this.state + 4 * conditioningStep(this.scrambler)) & 7;
        re = POINT_RE[this.state] as number;
        im = POINT_IM[this.state] as number;
        if (--this.stageLeft <= 0) {
          this.stage = ST_ONES;
          this.stageLeft = SEG5_SYMBOLS;
        }
        break;
      case ST_ONES:
      case ST_DATA:
      case ST_SHUTDOWN: {
        // Segment 5, data, and the closing ones: Tables 1 and 2 on scrambled bits.
        const fromSource = this.stage === ST_DATA;
        if (this.rate === 4800) {
          const b0 = this.scrambler.scramble(fromSource ? this.dataBit() : 1);
          const b1 = this.scrambler.scramble(fromSource ? this.dataBit() : 1);
          const b2 = this.scrambler.scramble(fromSource ? this.dataBit() : 1);
          this.state = (this.state + (TRIBIT_STEP[(b0 << 2) | (b1 << 1) | b2] as number)) & 7;
        } else {
          const b0 = this.scrambler.scramble(fromSource ? this.dataBit() : 1);
          const b1 = this.scrambler.scramble(fromSource ? this.dataBit() : 1);
          this.state = (this.state + (DIBIT_STEP[(b0 << 1) | b1] as number)) & 7;
        }
        re = POINT_RE[this.state] as number;
        im = POINT_IM[this.state] as number;
        if (this.stage === ST_ONES) {
          if (--this.stageLeft <= 0) this.stage = ST_DATA;
        } else if (this.stage === ST_DATA) {
          if (this.ended) {
            this.stage = ST_SHUTDOWN;
            this.stageLeft = SHUTDOWN_SYMBOLS;
          }
        } else if (--this.stageLeft <= 0) {
          this.stage = ST_TAIL;
          this.stageLeft = SPAN;
        }
        break;
      }
      case ST_TAIL:
        // Let the last symbols leave the pulse shaper.
        if (--this.stageLeft <= 0) {
          this.stage = ST_DONE;
          return false;
        }
        break;
      default:
        return false;
    }
    this.symAt = this.symAt + 1 === SPAN ? 0 : this.symAt + 1;
    this.symRe[this.symAt] = re;
    this.symIm[this.symAt] = im;
    return true;
  }

  /** One data bit; after END_OF_DATA, ones (the rest of this symbol), and the shutdown follows. */
  private dataBit(): number {
    if (this.ended) return 1;
    const b = this.bits.getBit();
    if (b === END_OF_DATA) {
      this.ended = true;
      return 1;
    }
    return b & 1;
  }
}
