/**
 * V.17 transmitter: 2400 symbols/s QAM on an 1800 Hz carrier, trellis coded, at 7200, 9600,
 * 12 000 and 14 400 bit/s (ITU-T V.17).
 *
 * Symbols come from a small state machine over the training segments of V.17 Table 3 (optional
 * TEP, ABAB, scrambled CDBA, bridge, scrambled ones through the data encoder), then data: each
 * symbol takes Q1…Qn from the BitSource through the scrambler (§5), differentially encodes Q1Q2
 * and adds the trellis bit Y0 (§3, Figure 2), then maps the label to a point (Figures 3–6).
 * After END_OF_DATA it finishes the symbol with ones, sends 32 symbols of scrambled ones, then
 * silence until the pulse tails have died out (47 symbols), and ends (as the spandsp reference
 * modem does; V.17 leaves the turn-off sequence to the implementation).
 *
 * Pulse shaping is a square-root raised cosine (roll-off 0.25, 12 symbols long) evaluated as a
 * 10-phase polyphase filter: a sample at 8 kHz falls 3/10 of a symbol after the previous one, so
 * the phase of sample n is (3n mod 10)/10 and the filter needs no interpolation. The 1800 Hz
 * carrier repeats every 40 samples (1800/8000 = 9/40), so it is a 40-entry table.
 */

import { dbm0ToPower } from '../dsp/level.js';
import { END_OF_DATA, type BitSource, type ModemTransmitter } from './types.js';
import {
  ABCD,
  SCRAMBLER_INIT,
  SEG1_SYMBOLS,
  SEG2_LONG_SYMBOLS,
  SEG2_SHORT_SYMBOLS,
  SEG3_SYMBOLS,
  SEG4_SYMBOLS,
  SHUTDOWN_ONES_SYMBOLS,
  SHUTDOWN_SILENCE_SYMBOLS,
  TEP_SILENCE_SYMBOLS,
  TEP_TONE_SYMBOLS,
  TRELLIS_NEXT,
  bitsPerSymbol,
  constellation,
  rrc,
  scrambleStep,
  trainingSymbols,
  type V17Rate,
} from './v17-tables.js';

export interface V17TxOptions {
  readonly rate: V17Rate;
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Short (resynchronising) training (V.17 Table 3). */
  readonly shortTrain?: boolean;
  /** Talker echo protection tone before the training (V.17 §7.1). */
  readonly tep?: boolean;
}

/** See `V17Transmitter.carrier`. */
const V17_TX_CARRIER_START = 11;

const TX_PHASES = 10;
const TX_TAPS = 12; // symbols spanned by the pulse
const TX_BETA = 0.25;
/** Mean power of the training points and (near enough) of every data constellation. */
const NOMINAL_POINT_POWER = 40;

/** TX pulse: [phase][tap], tap j weighs the symbol j symbols older than the newest. */
const TX_PULSE: Float64Array = (() => {
  const t = new Float64Array(TX_PHASES * TX_TAPS);
  for (let p = 0; p < TX_PHASES; p++) {
    for (let j = 0; j < TX_TAPS; j++) {
      const x = (p + TX_PHASES * j) / TX_PHASES - TX_TAPS / 2; // symbols from the pulse centre
      const w = 0.5 + 0.5 * Math.cos((Math.PI * x) / (TX_TAPS / 2)); // Hann window over the span
      t[p * TX_TAPS + j] = rrc(x, TX_BETA) * w;
    }
  }
  return t;
})();

/** Mean square of the shaped baseband per unit symbol power: (1/10)·Σ h². */
const TX_PULSE_POWER: number = (() => {
  let s = 0;
  for (let i = 0; i < TX_PULSE.length; i++) s += (TX_PULSE[i] as number) * (TX_PULSE[i] as number);
  return s / TX_PHASES;
})();

const CARRIER_COS = new Float64Array(40);
const CARRIER_SIN = new Float64Array(40);
for (let n = 0; n < 40; n++) {
  CARRIER_COS[n] = Math.cos((2 * Math.PI * 9 * n) / 40);
  CARRIER_SIN[n] = Math.sin((2 * Math.PI * 9 * n) / 40);
}

// Stages of the transmitter, in order.
const ST_TEP_TONE = 0;
const ST_TEP_SILENCE = 1;
const ST_SEG1 = 2;
const ST_SEG23 = 3;
const ST_SEG4 = 4;
const ST_DATA = 5;
const ST_SHUTDOWN_ONES = 6;
const ST_SHUTDOWN_SILENCE = 7;
const ST_DONE = 8;

export class V17Transmitter implements ModemTransmitter {
  private readonly bits: BitSource;
  private readonly bps: number;
  private readonly points: Float64Array;
  private readonly training: Uint8Array;
  private readonly scramblerAfterTraining: number;
  private readonly gain: number;
  private readonly shortTrain: boolean;

  private stage: number;
  private count = 0; // symbols sent in the current stage
  private scrambler = 0;
  private diff: number;
  private conv = 0;
  private endSeen = false;

  private readonly symRe = new Float64Array(2 * TX_TAPS);
  private readonly symIm = new Float64Array(2 * TX_TAPS);
  private symPos = 0;
  private baud = 0; // 24 kHz ticks since the newest symbol (0…9)
  /**
   * Carrier phase index (0…39, 81° a step). A burst starts at index 11 (171°), not 0. V.17 leaves
   * the carrier phase open, but spandsp's receiver does not re-acquire it in a short training: it
   * tells the A and B points of segment 1 apart by their absolute angle, which (with every burst
   * on the 40-sample grid, audio-line.ts) depends on the transmitter's carrier phase at its first
   * symbols. Its own transmitter starts at 0 with a shorter pulse filter; with ours, 0 put A where
   * spandsp expects B and its short training failed. Measured against spandsp 0.0.6's fax receiver
   * over all 20 even/odd indices: 0, 5, 8, 9, 14, 17 and 18 fail, 11 gives the smallest short-
   * training error (0.34 against a limit of about 30; 3028 at index 0). faxwire's own receiver
   * is indifferent to it.
   */
  private carrier = V17_TX_CARRIER_START;

  constructor(bits: BitSource, opts: V17TxOptions) {
    this.bits = bits;
    this.bps = bitsPerSymbol(opts.rate);
    this.points = constellation(opts.rate);
    this.shortTrain = opts.shortTrain === true;
    const seg2 = this.shortTrain ? SEG2_SHORT_SYMBOLS : SEG2_LONG_SYMBOLS;
    const seg3 = this.shortTrain ? 0 : SEG3_SYMBOLS;
    const t = trainingSymbols(seg2, seg3);
    this.training = t.symbols;
    this.scramblerAfterTraining = t.scramblerAfter;
    const level = opts.levelDbm0 ?? -10;
    this.gain = Math.sqrt(dbm0ToPower(level) / ((NOMINAL_POINT_POWER * TX_PULSE_POWER) / 2));
    this.stage = opts.tep === true ? ST_TEP_TONE : ST_SEG1;
    // V.17 leaves the differential encoder's start open; spandsp starts from 1 for a long
    // training and 0 for a short one (interop quirk).
    this.diff = this.shortTrain ? 0 : 1;
    this.scrambler = SCRAMBLER_INIT;
  }

  get done(): boolean {
    return this.stage === ST_DONE;
  }

  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    const pulse = TX_PULSE;
    if (this.stage === ST_DONE) return 0;
    for (let i = 0; i < length; i++) {
      this.baud += 3;
      if (this.baud >= TX_PHASES) {
        this.baud -= TX_PHASES;
        // The signal ends with the last symbol of silence (the pulse tails have died out by then).
        if (!this.nextSymbol() || this.stage === ST_DONE) return i;
      }
      // Root raised cosine pulse shaping at baseband, newest symbol first.
      const base = this.baud * TX_TAPS;
      let re = 0;
      let im = 0;
      let k = this.symPos + TX_TAPS; // newest symbol (ring duplicated)
      for (let j = 0; j < TX_TAPS; j++) {
        const h = pulse[base + j] as number;
        re += h * (this.symRe[k] as number);
        im += h * (this.symIm[k] as number);
        k--;
      }
      const c = this.carrier;
      let v = this.gain * (re * (CARRIER_COS[c] as number) - im * (CARRIER_SIN[c] as number));
      this.carrier = c === 39 ? 0 : c + 1;
      v = Math.round(v);
      out[offset + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return length;
  }

  /** Push the next symbol into the pulse shaper; false once the signal is over. */
  private nextSymbol(): boolean {
    let re = 0;
    let im = 0;
    switch (this.stage) {
      case ST_TEP_TONE:
        re = ABCD[0] as number;
        im = ABCD[1] as number;
        if (++this.count >= TEP_TONE_SYMBOLS) this.next(ST_TEP_SILENCE);
        break;
      case ST_TEP_SILENCE:
        if (++this.count >= TEP_SILENCE_SYMBOLS) this.next(ST_SEG1);
        break;
      case ST_SEG1: {
        const p = (this.count & 1) << 1; // A, B, A, B, …
        re = ABCD[p] as number;
        im = ABCD[p + 1] as number;
        if (++this.count >= SEG1_SYMBOLS) this.next(ST_SEG23);
        break;
      }
      case ST_SEG23: {
        const p = (this.training[this.count] as number) << 1;
        re = ABCD[p] as number;
        im = ABCD[p + 1] as number;
        if (++this.count >= this.training.length) {
          this.scrambler = this.scramblerAfterTraining;
          this.next(ST_SEG4);
        }
        break;
      }
      case ST_SEG4:
      case ST_DATA:
      case ST_SHUTDOWN_ONES: {
        const label = this.encode(this.stage === ST_DATA);
        re = this.points[2 * label] as number;
        im = this.points[2 * label + 1] as number;
        if (this.stage === ST_SEG4) {
          if (++this.count >= SEG4_SYMBOLS) this.next(ST_DATA);
        } else if (this.stage === ST_DATA) {
          if (this.endSeen) this.next(ST_SHUTDOWN_ONES);
        } else if (++this.count >= SHUTDOWN_ONES_SYMBOLS) {
          this.next(ST_SHUTDOWN_SILENCE);
        }
        break;
      }
      case ST_SHUTDOWN_SILENCE:
        if (++this.count >= SHUTDOWN_SILENCE_SYMBOLS) this.next(ST_DONE);
        break;
      default:
        return false;
    }
    this.symPos = this.symPos + 1 === TX_TAPS ? 0 : this.symPos + 1;
    this.symRe[this.symPos] = re;
    this.symIm[this.symPos] = im;
    this.symRe[this.symPos + TX_TAPS] = re;
    this.symIm[this.symPos + TX_TAPS] = im;
    return true;
  }

  private next(stage: number): void {
    this.stage = stage;
    this.count = 0;
  }

  /** One symbol of scrambled bits (data, or ones) through the encoder; returns the label. */
  private encode(data: boolean): number {
    let q = 0;
    for (let i = 0; i < this.bps; i++) {
      let bit = 1;
      if (data && !this.endSeen) {
        const b = this.bits.getBit();
        if (b === END_OF_DATA) this.endSeen = true;
        else bit = b & 1;
      }
      this.scrambler = scrambleStep(this.scrambler, bit);
      q |= (this.scrambler & 1) << i;
    }
    // V.17 §3: Y1Y2 = previous Y1Y2 + Q1Q2 (mod 4); Y0 from the convolutional encoder.
    this.diff = (this.diff + (q & 3)) & 3;
    const y0 = this.conv & 1;
    this.conv = TRELLIS_NEXT[this.conv * 4 + this.diff] as number;
    return ((q >> 2) << 3) | (this.diff << 1) | y0;
  }
}
