/**
 * V.29 transmitter (ITU-T V.29): 9600 and 7200 bit/s, 2400 baud on 1700 Hz.
 *
 * How: one symbol every 10/3 samples (a counter stepping 3 tenths of a symbol per sample), the
 * symbols shaped at baseband by a square-root raised cosine (roll-off 0.25, 9 symbols long, as
 * a 10-phase polyphase table) and put on the carrier from an 80-entry table (1700 Hz is exactly
 * 17 cycles in 80 samples). The signal is: optional echo protection tone, the synchronizing
 * signal of V.29 §3 (Table 3: silence 48, ABAB 128, CD 384, scrambled ones 48 symbols), the
 * data (scrambled by 1 + x^-18 + x^-23, V.29 §4; coded by V.29 §2 / Table 1), and after the
 * last bit 32 symbols of scrambled ones (V.29 defines no turn-off sequence; spandsp sends the
 * same so the far receiver flushes its last bits) and the filter's tail.
 *
 * Allocation-free after construction; `tx()` works on blocks of any size.
 */

import { dbm0ToPower } from '../dsp/level.js';
import {
  CARRIER_COS,
  CARRIER_SIN,
  CARRIER_TABLE_LEN,
  CARRIER_TABLE_STEP,
  PHASE_STEP,
  POINT_IM,
  POINT_RE,
  SEG1_SILENCE,
  SEG2_ABAB,
  SEG3_CD,
  SEG4_ONES,
  SHUTDOWN_ONES,
  TEP_SYMBOLS,
  TRAINING_SEED,
  constellationPower,
  rootRaisedCosine,
  trainingPoints,
  trainingStep,
  type V29Rate,
  type V29TrainingPoints,
} from './v29-common.js';
import { END_OF_DATA, type BitSource, type ModemTransmitter } from './types.js';

export interface V29TxOptions {
  readonly rate: V29Rate;
  /** Transmit level of the data signal, dBm0 (default −10). */
  readonly levelDbm0?: number | undefined;
  /** 200 ms of unmodulated carrier before the synchronizing signal (echo protection). */
  readonly tep?: boolean | undefined;
}

/** Transmit pulse: roll-off 0.25 keeps 1700 ± 1500 Hz inside the 200…3200 Hz band. */
const TX_ROLLOFF = 0.25;
const TX_TAPS = 9; // symbols in the filter
const TX_PHASES = 10; // sample phases per symbol (10/3 samples per symbol → 10 phases)
const TX_CENTRE = 4.5; // filter delay, symbols

/** Stages of the signal, in order. */
const ST_TEP = 0;
const ST_SILENCE = 1;
const ST_ABAB = 2;
const ST_CD = 3;
const ST_ONES = 4;
const ST_DATA = 5;
const ST_SHUTDOWN = 6;
const ST_TAIL = 7;
const ST_DONE = 8;

export class V29Transmitter implements ModemTransmitter {
  private readonly rate: V29Rate;
  private readonly tep: boolean;
  private readonly pts: V29TrainingPoints;
  private readonly gain: number;
  /** coef[phase·TX_TAPS + j]: weight of the j-th newest symbol at sample phase `phase`. */
  private readonly coef = new Float64Array(TX_PHASES * TX_TAPS);
  private readonly symRe = new Float64Array(TX_TAPS);
  private readonly symIm = new Float64Array(TX_TAPS);
  private symHead = 0;
  private baudPhase = 0; // tenths of a symbol since the newest symbol
  private carrierIdx = 0;
  private stage = ST_SILENCE;
  private stageCount = 0;
  private scrambler = 0;
  private trainReg = TRAINING_SEED;
  private phase = 0; // absolute phase (×45°) of the last data symbol
  private ended = false;

  constructor(
    private readonly bits: BitSource,
    opts: V29TxOptions,
  ) {
    if (opts.rate !== 9600 && opts.rate !== 7200) throw new RangeError(`V.29: no rate ${String(opts.rate)}`);
    this.rate = opts.rate;
    this.tep = opts.tep ?? false;
    this.pts = trainingPoints(this.rate);
    let energy = 0;
    for (let p = 0; p < TX_PHASES; p++) {
      for (let j = 0; j < TX_TAPS; j++) {
        const c = rootRaisedCosine(p / TX_PHASES + j - TX_CENTRE, TX_ROLLOFF);
        this.coef[p * TX_TAPS + j] = c;
        energy += c * c;
      }
    }
    // Mean square of the baseband signal per unit symbol power is energy/TX_PHASES; the
    // passband signal Re(x·e^{jωt}) has half the power of x.
    const perSymbol = energy / TX_PHASES;
    const target = dbm0ToPower(opts.levelDbm0 ?? -10);
    this.gain = Math.sqrt(target / ((constellationPower(this.rate) * perSymbol) / 2));
    this.restart();
  }

  get done(): boolean {
    return this.stage === ST_DONE;
  }

  /** Start the signal again from the beginning (same rate, same bit source). */
  restart(): void {
    this.symRe.fill(0);
    this.symIm.fill(0);
    this.symHead = 0;
    this.baudPhase = 0;
    this.carrierIdx = 0;
    this.stage = this.tep ? ST_TEP : ST_SILENCE;
    this.stageCount = 0;
    this.scrambler = 0;
    this.trainReg = TRAINING_SEED;
    this.phase = 0;
    this.ended = false;
  }

  tx(out: Int16Array, offset = 0, length: number = out.length - offset): number {
    if (this.stage === ST_DONE) return 0;
    const coef = this.coef;
    const symRe = this.symRe;
    const symIm = this.symIm;
    const g = this.gain;
    for (let i = 0; i < length; i++) {
      this.baudPhase += 3;
      if (this.baudPhase >= 10) {
        this.baudPhase -= 10;
        if (!this.nextSymbol()) {
          this.stage = ST_DONE;
          return i;
        }
      }
      // Root raised cosine at baseband: newest symbol at symHead, older ones behind it.
      const base = this.baudPhase * TX_TAPS;
      let xr = 0;
      let xi = 0;
      let k = this.symHead;
      for (let j = 0; j < TX_TAPS; j++) {
        const c = coef[base + j] as number;
        xr += c * (symRe[k] as number);
        xi += c * (symIm[k] as number);
        k = k === 0 ? TX_TAPS - 1 : k - 1;
      }
      const ci = this.carrierIdx;
      this.carrierIdx = ci + CARRIER_TABLE_STEP >= CARRIER_TABLE_LEN ? ci + CARRIER_TABLE_STEP - CARRIER_TABLE_LEN : ci + CARRIER_TABLE_STEP;
      let v = Math.round(g * (xr * (CARRIER_COS[ci] as number) - xi * (CARRIER_SIN[ci] as number)));
      if (v > 32767) v = 32767;
      else if (v < -32768) v = -32768;
      out[offset + i] = v;
    }
    return length;
  }

  /** Put the next symbol into the filter; false when the signal is over. */
  private nextSymbol(): boolean {
    let re = 0;
    let im = 0;
    const p = this.pts;
    switch (this.stage) {
      case ST_TEP:
        re = 3; // unmodulated carrier: the 0° point
        if (++this.stageCount >= TEP_SYMBOLS) this.next(ST_SILENCE);
        break;
      case ST_SILENCE:
        if (++this.stageCount >= SEG1_SILENCE) this.next(ST_ABAB);
        break;
      case ST_ABAB:
        // V.29 Table 3 segment 2, phased as spandsp sends it: B first, A last.
        if ((this.stageCount & 1) === 0) {
          re = p.bRe;
          im = p.bIm;
        } else {
          re = p.aRe;
          im = p.aIm;
        }
        if (++this.stageCount >= SEG2_ABAB) this.next(ST_CD);
        break;
      case ST_CD: {
        this.trainReg = trainingStep(this.trainReg);
        if ((this.trainReg & 1) === 0) {
          re = p.cRe;
          im = p.cIm;
        } else {
          re = p.dRe;
          im = p.dIm;
        }
        this.trainReg >>= 1;
        if (++this.stageCount >= SEG3_CD) this.next(ST_ONES);
        break;
      }
      case ST_ONES: {
        const idx = this.dataSymbol(true);
        re = POINT_RE[idx] as number;
        im = POINT_IM[idx] as number;
        if (++this.stageCount >= SEG4_ONES) this.next(ST_DATA);
        break;
      }
      case ST_DATA: {
        const idx = this.dataSymbol(false);
        re = POINT_RE[idx] as number;
        im = POINT_IM[idx] as number;
        if (this.ended) this.next(ST_SHUTDOWN);
        break;
      }
      case ST_SHUTDOWN: {
        const idx = this.dataSymbol(true);
        re = POINT_RE[idx] as number;
        im = POINT_IM[idx] as number;
        if (++this.stageCount >= SHUTDOWN_ONES) this.next(ST_TAIL);
        break;
      }
      case ST_TAIL:
        // Zeros into the filter: the last symbols ring out instead of being cut.
        if (++this.stageCount > TX_TAPS) return false;
        break;
      default:
        return false;
    }
    this.symHead = this.symHead === TX_TAPS - 1 ? 0 : this.symHead + 1;
    this.symRe[this.symHead] = re;
    this.symIm[this.symHead] = im;
    return true;
  }

  private next(stage: number): void {
    this.stage = stage;
    this.stageCount = 0;
  }

  /** One scrambled data bit (V.29 §4: 1 + x^-18 + x^-23); ones while training or shutting down. */
  private scrambledBit(ones: boolean): number {
    let bit = 1;
    if (!ones && !this.ended) {
      const b = this.bits.getBit();
      if (b === END_OF_DATA) this.ended = true;
      else bit = b & 1;
    }
    const s = this.scrambler;
    const out = (bit ^ (s >> 17) ^ (s >> 22)) & 1;
    this.scrambler = ((s << 1) | out) & 0x7fffff;
    return out;
  }

  /** Code one symbol (V.29 §2, Table 1): returns the constellation index 8·Q1 + phase. */
  private dataSymbol(ones: boolean): number {
    let amp = 0;
    if (this.rate === 9600) amp = this.scrambledBit(ones) << 3;
    let b = this.scrambledBit(ones) << 2;
    b |= this.scrambledBit(ones) << 1;
    b |= this.scrambledBit(ones);
    this.phase = (this.phase + (PHASE_STEP[b] as number)) & 7;
    return amp | this.phase;
  }
}
