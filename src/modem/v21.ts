/**
 * V.21 channel 2: the 300 bit/s FSK that carries every T.30 control message (T.30 §5.3.1), and a
 * fast detector of its HDLC flag preamble for gateways.
 *
 * Line signal (V.21 §2): channel No. 2 has nominal mean frequency 1750 Hz and deviation
 * ±100 Hz; the higher characteristic frequency is binary 0 (space), so mark (1) = 1650 Hz and
 * space (0) = 1850 Hz. 300 bit/s, one bit per 80/3 samples at 8 kHz. V.21 modulates the
 * frequency of one oscillator, so the phase is continuous across bit boundaries.
 *
 * Transmitter: a 32-bit phase accumulator stepped by the mark or space increment, a sine table,
 * and a bit clock counted in thirds of a sample (80 thirds per bit) so the bit period is exact.
 *
 * Receiver (AGC-free, nothing allocated after construction):
 * - two complex correlators, one per tone, each a running sum over the last W = 27 samples
 *   (one bit) of x·e^{−jωn}; |S_mark|² − |S_space|² is the soft decision, independent of level.
 *   Both tones have a period of exactly 160 samples at 8 kHz (1650/8000 = 33/160, 1850/8000 =
 *   37/160), so the local oscillators are 160-entry tables indexed by n mod 160: no phase drift.
 * - carrier detect (V.21's received line signal detector, circuit 109: OFF→ON above −43 dBm,
 *   ON→OFF below −48 dBm, with hysteresis; the clause number was not checked here): the
 *   in-band power (what the two correlators see) must be (a) above an absolute threshold,
 *   −45.5 dBm0 on / −48.5 dBm0 off, (b) 6 dB above the noise floor heard before the signal
 *   (3 dB to stay on) — the floor is the mean in-band power
 *   (≈ 64 ms) while there is no carrier, frozen while the carrier is on — and (c) nearly all the
 *   power on the line (in-band ≥ 85 % of the total to come on, ≥ 50 % to stay on: V.21 reads
 *   ≈ 1.1 at 10 dB SNR and ≥ 0.8 at 6 dB; white noise 0.15, V.29/V.17-like QAM ≤ 0.75, a
 *   speech-like sound ≤ 0.75, CED/CNG ≈ 0), which keeps noise, the answer tones and the
 *   wide-band modems from raising it. On must hold for 4 ms, off for 2 ms; off also comes when
 *   the unsmoothed in-band power falls 13 dB below the carrier's level (the end of the signal,
 *   seen within about a bit). A carrier that finds no bit sync in 400 ms (a steady in-band
 *   tone, V.27ter at 1200 baud whose spectrum sits on V.21's) is dropped and its level taken as
 *   the floor.
 * - bit timing from the zero crossings of the soft decision: with one-bit correlators the best
 *   sampling instant is half a bit after each crossing. A free-running bit clock (period 80/3
 *   samples) is pulled towards the crossings, located to a fraction of a sample by linear
 *   interpolation, with gains 1/2, 1/4, then 1/8 (a ±250 ppm clock error is 0.007 samples a
 *   bit). Acquisition loses nothing: the last 512 soft decisions are kept, and at carrier-up
 *   (or at the first crossing after it) the grid is set by the latest crossing and the bits
 *   since the signal's onset (where the raw in-band power rose) are read back from that
 *   history, so the first bit of the message is delivered like any other.
 *
 * Status: V.21 has no training. 'carrier-up' when the carrier detector comes on (bits flow
 * from then on, the ones that arrived while it made up its mind included); 'training-succeeded'
 * once bit synchronisation is established — five crossings in a row within ±12 % of a bit of
 * where the clock expects them (80 ms into a flag preamble; random crossings pass this once in
 * about 1300 tries); 'carrier-down' when the carrier goes off. A steady tone never reports
 * 'training-succeeded' and is dropped after 400 ms.
 *
 * Interop (by hand, against the spandsp reference peer): spandsp's fsk transmitter
 * (`modemgen --modem v21 --rate 300`, slin/A-law/µ-law, with noise) is received with BER 0, and
 * this transmitter by spandsp's fsk receiver (`modembench --modem v21 --rate 300 --in`) too.
 */

import { dbm0ToPower, sineAmplitude } from '../dsp/level.js';
import { END_OF_DATA, SAMPLE_RATE, type BitSink, type ModemRxStatus, type BitSource, type ModemReceiver, type ModemTransmitter } from './types.js';

/** V.21 §2: channel 2 mark (binary 1), Hz. */
export const V21_CH2_MARK_HZ = 1650;
/** V.21 §2: channel 2 space (binary 0), Hz. */
export const V21_CH2_SPACE_HZ = 1850;
/** V.21 §1: up to 300 bit/s; T.30 §5.3.1 uses 300. */
export const V21_BIT_RATE = 300;

/** Transmit options (factory contract). */
export interface V21TxOptions {
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
}

/** Receive options (factory contract; none yet). */
export type V21RxOptions = Readonly<Record<string, unknown>>;

const SINE_BITS = 12;
const SINE_SIZE = 1 << SINE_BITS;
const SINE_SHIFT = 32 - SINE_BITS;
const SINE = new Float64Array(SINE_SIZE);
for (let i = 0; i < SINE_SIZE; i++) SINE[i] = Math.sin((2 * Math.PI * i) / SINE_SIZE);

/** Phase increment (of 2³²) per sample for `hz`. */
function phaseStep(hz: number): number {
  return Math.round((hz / SAMPLE_RATE) * 0x1_0000_0000) >>> 0;
}

/** Thirds of a sample in one bit: 8000 / 300 = 80/3 samples. */
const THIRDS_PER_BIT = (3 * SAMPLE_RATE) / V21_BIT_RATE;

/**
 * V.21 channel 2 transmitter. Pulls one bit per 80/3 samples; when the source returns
 * END_OF_DATA the signal ends at that bit boundary (no shutdown sequence: V.21 has none).
 */
export class V21Transmitter implements ModemTransmitter {
  private readonly amplitude: number;
  private readonly markStep = phaseStep(V21_CH2_MARK_HZ);
  private readonly spaceStep = phaseStep(V21_CH2_SPACE_HZ);
  private phase = 0;
  private step = 0;
  /** Thirds of a sample left in the current bit (0: fetch the next bit). */
  private bitLeft = 0;
  private ended = false;
  private tailSent = false;

  constructor(
    private readonly bits: BitSource,
    opts: V21TxOptions = {},
  ) {
    this.amplitude = sineAmplitude(opts.levelDbm0 ?? -10);
  }

  get done(): boolean {
    return this.ended;
  }

  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    const amp = this.amplitude;
    let phase = this.phase;
    let step = this.step;
    let bitLeft = this.bitLeft;
    let i = 0;
    for (; i < length; i++) {
      if (bitLeft <= 0) {
        if (this.ended) break;
        const bit = this.tailSent ? END_OF_DATA : this.bits.getBit();
        if (bit === END_OF_DATA) {
          if (this.tailSent) {
            this.ended = true;
            break;
          }
          // One bit time of mark after the last data bit: a receiver decides a bit from a
          // whole bit of signal after its middle, so without it the last bit is lost (spandsp's
          // FSK receiver drops it). Mark is the idle state of the line (T.30 closes HDLC
          // with flags anyway, so this only matters to raw bit streams).
          this.tailSent = true;
          step = this.markStep;
        } else {
          step = bit ? this.markStep : this.spaceStep;
        }
        bitLeft += THIRDS_PER_BIT;
      }
      out[offset + i] = Math.round(amp * (SINE[phase >>> SINE_SHIFT] as number));
      phase = (phase + step) >>> 0;
      bitLeft -= 3;
    }
    this.phase = phase;
    this.step = step;
    this.bitLeft = bitLeft;
    return i;
  }
}

/** Correlation window: one bit (80/3 samples), rounded up. */
const W = 27;
/** Local oscillator period: both tones repeat exactly every 160 samples. */
const LO_PERIOD = 160;
const SAMPLES_PER_BIT = SAMPLE_RATE / V21_BIT_RATE;
/**
 * In-band energy of a sine of mean square p over the window reads p·W: |S|² = (A·W/2)², and the
 * detector uses I = 2·(|S_m|² + |S_s|²)/W (the other tone's leakage adds about 17 %).
 */
const ABS_ON = dbm0ToPower(-45.5) * W;
const ABS_OFF = dbm0ToPower(-48.5) * W;
/** Noise floor at start: a quiet line (its +6 dB lies below the absolute threshold). */
const FLOOR_INIT = dbm0ToPower(-52) * W;
/** Samples the on condition must hold (4 ms), and the off condition (2 ms). */
const CARRIER_HOLD_ON = 32;
const CARRIER_HOLD = 16;
/** Smoothing of the detector's powers: one pole, ≈ 4 ms. */
const SMOOTH = 1 / 32;
/** Share of the line's power the V.21 band must hold to raise the carrier, and to keep it. */
const SHARE_ON = 0.85;
const SHARE_OFF = 0.5;
/** A carrier without bit sync this long (400 ms) is not V.21: it is dropped and becomes the floor. */
const NO_SYNC_LIMIT = 3200;
/** Noise floor: the mean in-band power without carrier (≈ 64 ms), faster down (≈ 4 ms) when
 * the power falls below a quarter of it (the end of a signal). */
const FLOOR_SLOW = 1 / 512;
const FLOOR_FAST = 1 / 32;
/** Carrier level while on: a slow average (≈ 30 ms); the carrier is off when the unsmoothed
 * in-band power is 13 dB below it (the end of a signal is seen within a bit). */
const LEVEL_SMOOTH = 1 / 256;
const LEVEL_DROP = 0.05;
/** Crossings within this fraction of a bit of the expected place count as "in sync". */
const SYNC_TOLERANCE = 0.12 * SAMPLES_PER_BIT;
const SYNC_CROSSINGS = 5;
/** Samples from the signal's onset to the raw in-band power passing the off thresholds. */
const ONSET_LAG = 4;
/** Bits of steady tone after carrier-up before the clock free-runs without a crossing. */
const ACQUIRE_BITS = 10;
/** Soft decisions kept for acquisition (a power of two, > ACQUIRE_BITS bits + carrier delay). */
const SOFT_HISTORY = 512;

/**
 * V.21 channel 2 receiver (ModemReceiver). See the module comment for the method.
 */
export class V21Receiver implements ModemReceiver {
  private readonly cosM = new Float64Array(LO_PERIOD);
  private readonly sinM = new Float64Array(LO_PERIOD);
  private readonly cosS = new Float64Array(LO_PERIOD);
  private readonly sinS = new Float64Array(LO_PERIOD);
  /** Ring of the last W products for each correlator, and of x². */
  private readonly ringMr = new Float64Array(W);
  private readonly ringMi = new Float64Array(W);
  private readonly ringSr = new Float64Array(W);
  private readonly ringSi = new Float64Array(W);
  private readonly ringP = new Float64Array(W);
  private ringAt = 0;
  private loAt = 0;
  private mr = 0;
  private mi = 0;
  private sr = 0;
  private si = 0;
  private pw = 0;
  /** Samples since the sums were last recomputed from the rings (rounding hygiene). */
  private sinceExact = 0;

  private inband = 0;
  private total = 0;
  private floor = FLOOR_INIT;
  private carrier = false;
  private carrierLevel = 0;
  /** Samples since carrier-up without bit sync. */
  private sinceUp = 0;
  private holdCount = 0;

  private prevSoft = 0;
  /** Samples since the last bit sampling instant. */
  private bitPhase = 0;
  private crossings = 0;
  private goodRun = 0;
  private synced = false;
  private lastBit = 1;
  /** The soft decisions of the last SOFT_HISTORY samples, by absolute sample index. */
  private readonly softRing = new Float64Array(SOFT_HISTORY);
  /** Between carrier-up and the first crossing: bits are held back until the grid is known. */
  private acquiring = false;
  /** Sample at which the raw in-band power last rose above the off thresholds (−1: below). */
  private riseAt = -1;
  /** Estimated start of the signal (absolute sample count). */
  private onsetAt = 0;
  /** Samples during which fillIn's gap is still in the correlators (no adaptation). */
  private blind = 0;
  private samplesIn = 0;
  /** samplesIn − offset for the block being demodulated (to time bits exactly). */
  private blockBase = 0;
  private lastBitAt = 0;

  constructor(
    private readonly sink: BitSink,
    _opts: V21RxOptions = {},
  ) {
    for (let n = 0; n < LO_PERIOD; n++) {
      const am = (2 * Math.PI * V21_CH2_MARK_HZ * n) / SAMPLE_RATE;
      const as = (2 * Math.PI * V21_CH2_SPACE_HZ * n) / SAMPLE_RATE;
      this.cosM[n] = Math.cos(am);
      this.sinM[n] = Math.sin(am);
      this.cosS[n] = Math.cos(as);
      this.sinS[n] = Math.sin(as);
    }
  }

  /** Whether the carrier detector is on. */
  get carrierOn(): boolean {
    return this.carrier;
  }

  /** Whether bit synchronisation has been established on the current carrier. */
  get inSync(): boolean {
    return this.synced;
  }

  /** In-band level heard (smoothed), dBm0. */
  get signalLevelDbm0(): number {
    return 10 * Math.log10(Math.max(this.inband, 1e-9) / (W * dbm0ToPower(0)));
  }

  /** Share of the line's power in the V.21 band (smoothed; ≈ 1 for V.21, ≈ 0.15 for white noise). */
  get inBandShare(): number {
    return this.total > 0 ? this.inband / this.total : 0;
  }

  /** The noise floor the carrier detector has learned, dBm0 (in-band). */
  get noiseFloorDbm0(): number {
    return 10 * Math.log10(Math.max(this.floor, 1e-9) / (W * dbm0ToPower(0)));
  }

  /** Samples consumed so far (rx and fillIn). */
  get sampleCount(): number {
    return this.samplesIn;
  }

  /** Sample count (since construction) at which the last bit was delivered. */
  get lastBitAtSample(): number {
    return this.lastBitAt;
  }

  restart(): void {
    this.ringMr.fill(0);
    this.ringMi.fill(0);
    this.ringSr.fill(0);
    this.ringSi.fill(0);
    this.ringP.fill(0);
    this.ringAt = 0;
    this.mr = this.mi = this.sr = this.si = this.pw = 0;
    this.sinceExact = 0;
    this.inband = this.total = 0;
    this.floor = FLOOR_INIT;
    this.carrier = false;
    this.holdCount = 0;
    this.prevSoft = 0;
    this.bitPhase = 0;
    this.crossings = 0;
    this.goodRun = 0;
    this.synced = false;
    this.lastBit = 1;
    this.blind = 0;
    this.acquiring = false;
    this.riseAt = -1;
  }

  rx(samples: Int16Array, offset = 0, length = samples.length - offset): void {
    const cosM = this.cosM;
    const sinM = this.sinM;
    const cosS = this.cosS;
    const sinS = this.sinS;
    const ringMr = this.ringMr;
    const ringMi = this.ringMi;
    const ringSr = this.ringSr;
    const ringSi = this.ringSi;
    const ringP = this.ringP;
    let ringAt = this.ringAt;
    let loAt = this.loAt;
    let mr = this.mr;
    let mi = this.mi;
    let sr = this.sr;
    let si = this.si;
    let pw = this.pw;
    let inband = this.inband;
    let total = this.total;
    const softRing = this.softRing;
    let sinceExact = this.sinceExact;
    const end = offset + length;
    const base = this.samplesIn - offset;
    this.blockBase = base;
    for (let k = offset; k < end; k++) {
      const x = samples[k] as number;
      // Running one-bit correlations (V.21 tones) and energy.
      let v = x * (cosM[loAt] as number);
      mr += v - (ringMr[ringAt] as number);
      ringMr[ringAt] = v;
      v = x * (sinM[loAt] as number);
      mi += v - (ringMi[ringAt] as number);
      ringMi[ringAt] = v;
      v = x * (cosS[loAt] as number);
      sr += v - (ringSr[ringAt] as number);
      ringSr[ringAt] = v;
      v = x * (sinS[loAt] as number);
      si += v - (ringSi[ringAt] as number);
      ringSi[ringAt] = v;
      v = x * x;
      pw += v - (ringP[ringAt] as number);
      ringP[ringAt] = v;
      if (++ringAt === W) ringAt = 0;
      if (++loAt === LO_PERIOD) loAt = 0;
      if (++sinceExact >= 4096) {
        // Rounding in the running sums random-walks; recompute them exactly now and then.
        sinceExact = 0;
        mr = mi = sr = si = pw = 0;
        for (let j = 0; j < W; j++) {
          mr += ringMr[j] as number;
          mi += ringMi[j] as number;
          sr += ringSr[j] as number;
          si += ringSi[j] as number;
          pw += ringP[j] as number;
        }
      }
      const em = mr * mr + mi * mi;
      const es = sr * sr + si * si;
      const soft = em - es;
      const raw = (em + es) * (2 / W);
      softRing[(base + k) & (SOFT_HISTORY - 1)] = soft;
      inband += (raw - inband) * SMOOTH;
      total += (pw - total) * SMOOTH;

      if (this.blind > 0) {
        this.blind--;
      } else if (!this.carrier) {
        if (raw > ABS_OFF && raw > 2 * this.floor) {
          if (this.riseAt < 0) this.riseAt = base + k;
        } else {
          this.riseAt = -1;
        }
        if (inband > ABS_ON && inband > 4 * this.floor && inband > SHARE_ON * total) {
          if (++this.holdCount >= CARRIER_HOLD_ON) this.carrierUp(soft, k, inband);
        } else {
          this.holdCount = 0;
          // Noise floor: the mean in-band power while there is no carrier (and no candidate).
          const f = this.floor;
          this.floor = f + (inband - f) * (inband < 0.25 * f ? FLOOR_FAST : FLOOR_SLOW);
        }
      } else {
        if (!this.synced) this.sinceUp++;
        const off =
          raw < LEVEL_DROP * this.carrierLevel || inband < ABS_OFF || inband < 2 * this.floor || inband < SHARE_OFF * total;
        if (this.sinceUp > NO_SYNC_LIMIT || (off && ++this.holdCount >= CARRIER_HOLD)) {
          // The tail of the signal is still in the smoothed power (or the carrier that never
          // synchronised is the floor now): let the floor start from there and follow it
          // down, so that the tail cannot raise the carrier again.
          if (inband > this.floor) this.floor = inband;
          this.carrierDown();
          this.prevSoft = soft;
          continue;
        }
        if (!off) {
          this.holdCount = 0;
          this.carrierLevel += (inband - this.carrierLevel) * LEVEL_SMOOTH;
        }
      }

      if (this.carrier) this.clock(k);
      this.prevSoft = soft;
    }
    this.ringAt = ringAt;
    this.loAt = loAt;
    this.mr = mr;
    this.mi = mi;
    this.sr = sr;
    this.si = si;
    this.pw = pw;
    this.inband = inband;
    this.total = total;
    this.sinceExact = sinceExact;
    this.samplesIn += length;
  }

  /**
   * `n` samples were lost: the bit clock runs on through the gap (delivering the last bit it
   * decided, so the bit count stays right), the carrier state is held, and the correlators are
   * cleared; nothing adapts until they have refilled.
   */
  fillIn(n: number): void {
    if (n <= 0) return;
    this.samplesIn += n;
    this.loAt = (this.loAt + n) % LO_PERIOD;
    this.ringMr.fill(0);
    this.ringMi.fill(0);
    this.ringSr.fill(0);
    this.ringSi.fill(0);
    this.ringP.fill(0);
    this.mr = this.mi = this.sr = this.si = this.pw = 0;
    this.prevSoft = 0;
    this.blind = W + CARRIER_HOLD;
    this.riseAt = -1;
    if (!this.carrier || this.acquiring) return;
    const start = this.samplesIn - n;
    let phase = this.bitPhase;
    let t = 0;
    while (phase + (n - t) >= SAMPLES_PER_BIT) {
      t += SAMPLES_PER_BIT - phase;
      phase = 0;
      this.lastBitAt = start + Math.ceil(t);
      this.sink.putBit(this.lastBit);
    }
    phase += n - t;
    this.bitPhase = phase;
  }

  private carrierUp(soft: number, k: number, level: number): void {
    this.carrier = true;
    this.holdCount = 0;
    this.crossings = 0;
    this.goodRun = 0;
    this.synced = false;
    this.acquiring = true;
    this.sinceUp = 0;
    this.carrierLevel = level;
    // The raw power rises above the off thresholds a few samples after the signal starts (a
    // strong signal at once, one at −43 dBm0 about half a window later).
    const now = this.blockBase + k;
    this.onsetAt = (this.riseAt >= 0 ? this.riseAt : now - CARRIER_HOLD_ON) - ONSET_LAG;
    this.riseAt = -1;
    this.bitPhase = 0;
    this.prevSoft = soft;
    this.sink.status('carrier-up');
    // A transition may already have passed while the detector made up its mind: the latest
    // crossing since the window filled with signal fixes the bit grid at once.
    const ring = this.softRing;
    const mask = SOFT_HISTORY - 1;
    for (let t = now; t > this.onsetAt + W && t > now - SOFT_HISTORY + 1; t--) {
      const a = ring[t & mask] as number;
      const b = ring[(t - 1) & mask] as number;
      if (a > 0 !== b > 0) {
        this.acquire(t - a / (a - b), now, true);
        return;
      }
    }
  }

  /**
   * End of acquisition. `tc` is the time of a crossing of the soft decision (a tone change on
   * the line half a window earlier), or the onset plus half a window when the signal has had
   * no transition yet. Deliver, from the soft decisions kept, the bits sent since the onset of
   * the signal — as many as bit periods from the onset to the line transition, rounded up
   * rather than down (a spare bit at the start is harmless, a missing one loses the first bit
   * of the message) — and those after `tc` up to now, each sampled half a bit after a crossing;
   * then run the bit clock on that grid.
   */
  private acquire(tc: number, now: number, crossing: boolean): void {
    this.acquiring = false;
    const ring = this.softRing;
    const mask = SOFT_HISTORY - 1;
    const oldest = now - SOFT_HISTORY + 1;
    const before = Math.max(0, Math.floor((tc - W / 2 - this.onsetAt) / SAMPLES_PER_BIT + 0.7));
    let t = tc + SAMPLES_PER_BIT / 2 - before * SAMPLES_PER_BIT;
    let last = t - SAMPLES_PER_BIT;
    for (; t <= now; t += SAMPLES_PER_BIT) {
      const at = Math.max(oldest, Math.round(t));
      const bit = (ring[at & mask] as number) > 0 ? 1 : 0;
      this.lastBit = bit;
      this.lastBitAt = now + 1;
      this.sink.putBit(bit);
      last = t;
    }
    this.bitPhase = now - last;
    this.crossings = crossing ? 1 : 0;
  }

  private carrierDown(): void {
    this.carrier = false;
    this.holdCount = 0;
    this.synced = false;
    this.sink.status('carrier-down');
  }

  /** Bit clock: track the crossings of the soft decision, sample half a bit after them. */
  private clock(k: number): void {
    // The soft decision comes from the history ring rather than as an argument: a double
    // passed to a call that is not inlined would be boxed on the heap, once per sample.
    const soft = this.softRing[(this.blockBase + k) & (SOFT_HISTORY - 1)] as number;
    const prev = this.prevSoft;
    let phase = this.bitPhase + 1;
    if (((prev > 0 && soft <= 0) || (prev <= 0 && soft > 0)) && this.blind === 0) {
      // The crossing lies `frac` samples before this one; where the clock stood then.
      const frac = soft / (soft - prev);
      if (this.acquiring) {
        // First crossing: it fixes the bit grid.
        const now = this.blockBase + k;
        this.acquire(now - frac, now, true);
        return;
      } else {
        let err = phase - frac - SAMPLES_PER_BIT / 2;
        // Wrap into (−½ bit, +½ bit]: the clock is late (err > 0) or early.
        if (err > SAMPLES_PER_BIT / 2) err -= SAMPLES_PER_BIT;
        else if (err <= -SAMPLES_PER_BIT / 2) err += SAMPLES_PER_BIT;
        const c = this.crossings++;
        const gain = c === 0 ? 1 : c === 1 ? 0.5 : c === 2 ? 0.25 : 0.125;
        if (c === 0) {
          // The first crossing of a grid taken from the onset: no judgement yet.
        } else if (Math.abs(err) < SYNC_TOLERANCE) {
          if (++this.goodRun >= SYNC_CROSSINGS && !this.synced) {
            this.synced = true;
            this.sink.status('training-succeeded');
          }
        } else {
          this.goodRun = 0;
        }
        phase -= gain * err;
      }
    } else if (this.acquiring) {
      // No transition yet: a steady tone. After ACQUIRE_BITS deliver what it carried and run
      // the clock from the onset.
      const now = this.blockBase + k;
      if (now - this.onsetAt >= ACQUIRE_BITS * SAMPLES_PER_BIT) this.acquire(this.onsetAt + W / 2, now, false);
      return;
    }
    if (phase >= SAMPLES_PER_BIT) {
      phase -= SAMPLES_PER_BIT;
      const bit = soft > 0 ? 1 : 0;
      this.lastBit = bit;
      this.lastBitAt = this.blockBase + k + 1;
      this.sink.putBit(bit);
    } else if (phase < 0) {
      // A large correction backwards: never sample the same bit twice.
      phase = 0;
    }
    this.bitPhase = phase;
  }
}

/** HDLC flag (ISO/IEC 13239 §4.3.1; T.30 §5.3.1 preamble): 01111110. */
const HDLC_FLAG = 0x7e;
/** Consecutive back-to-back flags that make a preamble. */
const PREAMBLE_FLAGS = 3;

/** Where V21PreambleDetector reports. */
export interface V21PreambleSink {
  /** HDLC flags are arriving on V.21 channel 2; `atSample` counts samples since construction. */
  preamble(atSample: number): void;
}

/**
 * A fast detector of the T.30 V.21 preamble (T.30 §5.3.1: 1 s ± 15 % of HDLC flags before the
 * first frame of a V.21 message): what a T.38 gateway needs to switch a call to V.21 relay
 * (the T.38 `v21-preamble` indicator) long before the preamble is over.
 *
 * It runs a V21Receiver and watches its bits for three flags back to back (24 bits: 0x7E
 * three times, each 8 bits after the last). The receiver's carrier detect already refuses
 * noise, CED/CNG and wide-band modem signals; a random bit stream (a fast modem or speech that
 * raised the carrier) matches 24 chosen bits by chance once in 2²⁴ bits, 15 hours at 300 bit/s.
 * The receiver's acquisition delivers the preamble from its first bit, so the report comes as
 * the 3rd flag's last bit is sampled: 80 ms after the preamble starts (measured from −43 to
 * −4 dBm0, G.711, ±10 Hz, 250 ppm, 12 dB SNR). It reports once per carrier; the carrier going
 * down (or coming up) re-arms it. `atSample` is exact whatever the block size.
 */
export class V21PreambleDetector implements BitSink {
  private readonly receiver: V21Receiver;
  private shift = 0;
  private bitsSinceFlag = 0;
  private flags = 0;
  private reported = false;
  private detectedAtSample = -1;

  constructor(private readonly out: V21PreambleSink) {
    this.receiver = new V21Receiver(this);
  }

  /** Whether the preamble was detected on the current (or last) carrier. */
  get detected(): boolean {
    return this.reported;
  }

  /** Sample count at which it was last detected (−1: never). */
  get detectedAt(): number {
    return this.detectedAtSample;
  }

  rx(samples: Int16Array, offset = 0, length = samples.length - offset): void {
    this.receiver.rx(samples, offset, length);
  }

  fillIn(n: number): void {
    this.receiver.fillIn(n);
  }

  restart(): void {
    this.receiver.restart();
    this.rearm();
    this.detectedAtSample = -1;
  }

  /** @internal BitSink: bits from the V.21 receiver. */
  putBit(bit: number): void {
    this.shift = ((this.shift << 1) | bit) & 0xff;
    this.bitsSinceFlag++;
    if (this.shift !== HDLC_FLAG) {
      if (this.bitsSinceFlag > 8) this.flags = 0;
      return;
    }
    this.flags = this.bitsSinceFlag === 8 ? this.flags + 1 : 1;
    this.bitsSinceFlag = 0;
    if (this.flags >= PREAMBLE_FLAGS && !this.reported) {
      this.reported = true;
      this.detectedAtSample = this.receiver.lastBitAtSample;
      this.out.preamble(this.detectedAtSample);
    }
  }

  /** @internal BitSink: status from the V.21 receiver. */
  status(status: ModemRxStatus): void {
    if (status === 'carrier-down' || status === 'carrier-up') this.rearm();
  }

  private rearm(): void {
    this.shift = 0;
    this.bitsSinceFlag = 0;
    this.flags = 0;
    this.reported = false;
  }
}
