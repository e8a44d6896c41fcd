/**
 * The audio line of an audio fax terminal (sans-IO): the T.30 engine's transmit steps become
 * 8 kHz audio through fax modems, and received audio becomes `T30LineEvent`s — the same line
 * boundary the T.38 line implements (src/t30/line.ts), so the engine does not know which one it
 * runs on. The audio is linear 16-bit; G.711 coding belongs to the terminal around it.
 *
 * Transmit (`transmit(out, offset, n)`, one block per audio frame, in sample time):
 * ```
 *  step      audio
 *  -------   -------------------------------------------------------------------------------
 *  tone      CNG 1100 Hz / CED 2100 Hz for the step's duration (T.30 §5.2.3.1, §5.2.4)
 *  silence   zeros (the 75 ± 20 ms between signals, T.30 §5.3.2.4)
 *  hdlc      V.21 ch 2: 1 s of flags (T.30 §5.3.1), the frames with FCS, closing flags;
 *            fast modem (ECM blocks): training, 200 ms of flags (T.30 Annex A §A.3.2), frames
 *  tcf       training, then zeros for the step's duration (1.5 s, T.30 §5.3.2.3)
 *  image     training, then the T.4 bit stream as given (first bit = the octet's MSB)
 * ```
 * A step's `tx-done` is reported in the block in which its last sample leaves. HDLC octets are
 * in T.30 document notation (first transmitted bit = MSB), so the framer and deframer run
 * `msb-first` (the FCS still covers the bits in line order, ISO/IEC 13239 §4.3).
 *
 * Receive (`receive(samples, offset, n)`): a tone detector and the V.21 ch 2 receiver listen all
 * the time; the fast receiver listens once the far end's DCS (or CTC) has named the modem — as a
 * fax machine's own modem is told by its T.30 (and as a gateway learns it, T.38 §6.2.2). The
 * first fast burst after a DCS is TCF (a non-ECM signal even in ECM); later ones carry ECM
 * frames or a T.4 page, as the DCS said. V.17 trains long after every DCS and short afterwards
 * (T.30 §5.3.2.1 note on V.17 short training; the same rule the transmitting engine follows).
 * `fillIn(n)` tells the receivers `n` samples were lost (a missing RTP packet) so they keep sync.
 */

import type { FaxModulation } from '../../modem/modulation.js';
import { FAX_MODULATION_BIT_RATE } from '../../modem/modulation.js';
import type { ModemRxOptions, ModemTxOptions } from '../../modem/factory.js';
import { END_OF_DATA, type BitSink, type BitSource, type ModemReceiver, type ModemRxStatus, type ModemTransmitter } from '../../modem/types.js';
import { HdlcDeframer, HdlcFramer, type HdlcSink } from '../../hdlc/index.js';
import type { T30LineEvent, T30TxStep } from '../../t30/line.js';
import { assertNever } from '../../util/errors.js';
import { fastModemFromFrame, type FastModemPlan } from '../fast-modem-plan.js';

/** What the audio line builds its signals with (the real modems by default; tests inject fakes). */
export interface AudioModemKit {
  transmitter(m: FaxModulation, bits: BitSource, opts: ModemTxOptions): ModemTransmitter;
  receiver(m: FaxModulation, sink: BitSink, opts: ModemRxOptions): ModemReceiver;
  /** A CNG or CED generator lasting `samples`. */
  tone(tone: 'cng' | 'ced', samples: number, levelDbm0: number): ModemTransmitter;
  /** A detector for CNG and CED that calls `onTone` once per tone heard. */
  toneDetector(onTone: (tone: 'cng' | 'ced') => void): { rx(samples: Int16Array, offset: number, length: number): void };
}

export interface AudioLineOptions {
  readonly kit: AudioModemKit;
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Send the talker echo protection tone before fast-modem training. */
  readonly tep?: boolean;
  /** Consecutive flags before a V.21 burst counts as a signal (default 3 ≈ 80 ms). */
  readonly v21SignalFlags?: number;
}

export interface AudioLineStats {
  samplesSent: number;
  samplesReceived: number;
  samplesFilledIn: number;
  framesReceived: number;
  framesBad: number;
  fastTrainings: number;
  fastTrainingFailures: number;
  nonEcmOctetsReceived: number;
}

const SAMPLES_PER_MS = 8;
/** T.30 §5.3.1: 1 s ± 15 % of flags before the first V.21 frame. */
const V21_PREAMBLE_FLAGS = 38;
/** T.30 Annex A: 200 ms of flags before ECM frames on a fast modem. */
const FAST_PREAMBLE_MS = 200;
/** Non-ECM data is handed to the engine in chunks of at most this many octets (plus at each block end). */
const NON_ECM_CHUNK = 256;

/** `n` zero bits, then the end (TCF). */
class ZeroBits implements BitSource {
  constructor(private left: number) {}
  getBit(): number {
    if (this.left <= 0) return END_OF_DATA;
    this.left--;
    return 0;
  }
}

/** The bits of `data`, each octet MSB first (T.4 data in line order), then the end. */
class OctetBits implements BitSource {
  private at = 0;
  constructor(private readonly data: Uint8Array) {}
  getBit(): number {
    const i = this.at >> 3;
    if (i >= this.data.length) return END_OF_DATA;
    const bit = ((this.data[i] as number) >> (7 - (this.at & 7))) & 1;
    this.at++;
    return bit;
  }
}

type TxNow =
  | { readonly kind: 'idle' }
  | { readonly kind: 'silence'; left: number }
  | { readonly kind: 'signal'; readonly gen: ModemTransmitter };

type FastMode = 'non-ecm' | 'hdlc';

export class AudioLine {
  private readonly kit: AudioModemKit;
  private readonly level: number;
  private readonly tep: boolean;
  private readonly steps: T30TxStep[] = [];
  private txNow: TxNow = { kind: 'idle' };
  private events: T30LineEvent[] = [];
  private readonly stats: AudioLineStats = {
    samplesSent: 0,
    samplesReceived: 0,
    samplesFilledIn: 0,
    framesReceived: 0,
    framesBad: 0,
    fastTrainings: 0,
    fastTrainingFailures: 0,
    nonEcmOctetsReceived: 0,
  };

  // --- receive: V.21
  private readonly v21Rx: ModemReceiver;
  private readonly v21Deframer: HdlcDeframer;
  private v21Signal = false;
  private readonly toneDetector: { rx(samples: Int16Array, offset: number, length: number): void };

  // --- receive: the fast modem named by the last DCS/CTC
  private plan: FastModemPlan | undefined;
  private planEcm = false;
  private fastRx: ModemReceiver | undefined;
  private fastRxModulation: FaxModulation | undefined;
  private fastDeframer: HdlcDeframer | undefined;
  private fastTrained = false;
  private fastMode: FastMode = 'non-ecm';
  private tcfNext = false;
  private trainedSincePlan = false;
  private readonly nonEcm = new Uint8Array(NON_ECM_CHUNK);
  private nonEcmLen = 0;
  private nonEcmBits = 0;
  private nonEcmAcc = 0;

  constructor(options: AudioLineOptions) {
    this.kit = options.kit;
    this.level = options.levelDbm0 ?? -10;
    this.tep = options.tep ?? false;
    const signalFlags = options.v21SignalFlags ?? 3;
    this.v21Deframer = new HdlcDeframer(this.hdlcSink('v21'), { bitOrder: 'msb-first', flagThreshold: signalFlags });
    this.v21Rx = this.kit.receiver('v21', this.v21BitSink(), {});
    this.toneDetector = this.kit.toneDetector((tone) => this.events.push({ kind: 'tone', tone }));
  }

  // ------------------------------------------------------------------------------------------
  // FaxSessionLine

  queue(steps: readonly T30TxStep[], now: number): void {
    void now;
    for (const s of steps) this.steps.push(s);
  }

  /** Audio time drives the line: nothing happens on the ms clock. */
  tick(now: number): void {
    void now;
  }

  takeEvents(): T30LineEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  nextTimeout(): number | undefined {
    return undefined;
  }

  get pendingSteps(): number {
    return this.steps.length + (this.txNow.kind === 'idle' ? 0 : 1);
  }

  getStats(): Readonly<AudioLineStats> {
    return this.stats;
  }

  // ------------------------------------------------------------------------------------------
  // transmit

  /** Writes `n` samples of what the line sends at `out[offset…]` (silence when idle). */
  transmit(out: Int16Array, offset: number, n: number): void {
    let pos = 0;
    while (pos < n) {
      const t = this.txNow;
      if (t.kind === 'idle') {
        const next = this.steps.shift();
        if (next === undefined) {
          out.fill(0, offset + pos, offset + n);
          break;
        }
        this.txNow = this.startStep(next);
        continue;
      }
      if (t.kind === 'silence') {
        const k = Math.min(t.left, n - pos);
        out.fill(0, offset + pos, offset + pos + k);
        t.left -= k;
        pos += k;
        if (t.left === 0) this.stepDone();
        continue;
      }
      const want = n - pos;
      const wrote = t.gen.tx(out, offset + pos, want);
      pos += wrote;
      if (wrote < want || t.gen.done) this.stepDone();
    }
    this.stats.samplesSent += n;
  }

  private stepDone(): void {
    this.txNow = { kind: 'idle' };
    this.events.push({ kind: 'tx-done' });
  }

  private startStep(s: T30TxStep): TxNow {
    switch (s.kind) {
      case 'silence':
        return s.ms > 0 ? { kind: 'silence', left: Math.round(s.ms * SAMPLES_PER_MS) } : { kind: 'silence', left: 1 };
      case 'tone':
        return { kind: 'signal', gen: this.kit.tone(s.tone, Math.round(s.ms * SAMPLES_PER_MS), this.level) };
      case 'hdlc': {
        const framer = new HdlcFramer({ bitOrder: 'msb-first' });
        const flags = s.modulation === 'v21' ? V21_PREAMBLE_FLAGS : Math.ceil((FAST_PREAMBLE_MS * FAX_MODULATION_BIT_RATE[s.modulation]) / 8000);
        framer.preambleFlags(flags);
        for (const f of s.frames) framer.sendFrame(f);
        framer.finish();
        return { kind: 'signal', gen: this.kit.transmitter(s.modulation, framer, this.txOptions(s.modulation, s.shortTrain ?? false)) };
      }
      case 'tcf': {
        const bits = Math.round((s.ms * FAX_MODULATION_BIT_RATE[s.modulation]) / 1000);
        return { kind: 'signal', gen: this.kit.transmitter(s.modulation, new ZeroBits(bits), this.txOptions(s.modulation, false)) };
      }
      case 'image':
        return { kind: 'signal', gen: this.kit.transmitter(s.modulation, new OctetBits(s.data), this.txOptions(s.modulation, s.shortTrain)) };
      default:
        return assertNever(s);
    }
  }

  private txOptions(m: FaxModulation, shortTrain: boolean): ModemTxOptions {
    return m === 'v21' ? { levelDbm0: this.level } : { levelDbm0: this.level, shortTrain, tep: this.tep };
  }

  // ------------------------------------------------------------------------------------------
  // receive

  /** Demodulates `n` received samples at `samples[offset…]`. */
  receive(samples: Int16Array, offset: number, n: number): void {
    this.toneDetector.rx(samples, offset, n);
    this.v21Rx.rx(samples, offset, n);
    this.fastRx?.rx(samples, offset, n);
    this.flushNonEcm();
    this.stats.samplesReceived += n;
  }

  /** `n` samples of received audio were lost: keep the receivers' clocks running. */
  fillIn(n: number): void {
    this.v21Rx.fillIn(n);
    this.fastRx?.fillIn(n);
    this.stats.samplesFilledIn += n;
  }

  private v21BitSink(): BitSink {
    return {
      putBit: (bit) => this.v21Deframer.putBit(bit),
      status: (st) => {
        if (st === 'carrier-down') {
          this.v21Deframer.restart();
          if (this.v21Signal) {
            this.v21Signal = false;
            this.events.push({ kind: 'hdlc-end', modulation: 'v21' });
          }
        }
      },
    };
  }

  private hdlcSink(which: 'v21' | 'fast'): HdlcSink {
    return {
      frame: (bytes, ok) => {
        const m = which === 'v21' ? 'v21' : (this.fastRxModulation ?? 'v21');
        if (which === 'v21' && !this.v21Signal) {
          this.v21Signal = true;
          this.events.push({ kind: 'signal', modulation: 'v21' });
        }
        this.stats.framesReceived++;
        if (!ok) this.stats.framesBad++;
        const frame = bytes.slice();
        this.events.push({ kind: 'hdlc-frame', modulation: m, frame, ok });
        if (ok && which === 'v21') this.snoop(frame);
      },
      flags: () => {
        if (which === 'v21' && !this.v21Signal) {
          this.v21Signal = true;
          this.events.push({ kind: 'signal', modulation: 'v21' });
        }
      },
    };
  }

  /** A DCS or CTC from the far end names the next fast signal. */
  private snoop(frame: Uint8Array): void {
    const p = fastModemFromFrame(frame);
    if (p === undefined) return;
    const isDcs = p.ecm !== undefined;
    this.plan = p;
    if (isDcs) this.planEcm = p.ecm === true;
    this.tcfNext = isDcs;
    this.trainedSincePlan = false;
    if (this.fastRxModulation !== p.modulation || this.fastRx === undefined) {
      this.fastRx = this.kit.receiver(p.modulation, this.fastBitSink(), { shortTrain: false });
      this.fastRxModulation = p.modulation;
      this.fastDeframer = new HdlcDeframer(this.hdlcSink('fast'), { bitOrder: 'msb-first' });
    } else {
      this.fastRx.restart(false);
    }
    this.fastTrained = false;
  }

  private fastBitSink(): BitSink {
    return {
      putBit: (bit) => {
        if (!this.fastTrained) return;
        if (this.fastMode === 'hdlc') this.fastDeframer?.putBit(bit);
        else this.nonEcmBit(bit);
      },
      status: (st) => this.fastStatus(st),
    };
  }

  private fastStatus(st: ModemRxStatus): void {
    const m = this.fastRxModulation;
    if (m === undefined) return;
    switch (st) {
      case 'training-succeeded':
        this.fastTrained = true;
        this.trainedSincePlan = true;
        this.stats.fastTrainings++;
        this.fastMode = this.tcfNext || !this.planEcm ? 'non-ecm' : 'hdlc';
        this.tcfNext = false;
        this.fastDeframer?.restart();
        this.nonEcmLen = 0;
        this.nonEcmBits = 0;
        this.events.push({ kind: 'signal', modulation: m });
        break;
      case 'training-failed':
        this.stats.fastTrainingFailures++;
        this.restartFast();
        break;
      case 'carrier-down':
        if (this.fastTrained) {
          this.fastTrained = false;
          if (this.fastMode === 'non-ecm') {
            this.flushNonEcm();
            this.events.push({ kind: 'non-ecm-end', modulation: m });
          } else {
            this.events.push({ kind: 'hdlc-end', modulation: m });
          }
        }
        this.restartFast();
        break;
      case 'carrier-up':
      case 'training-in-progress':
        break;
      default:
        assertNever(st);
    }
  }

  private restartFast(): void {
    const m = this.fastRxModulation;
    if (this.fastRx === undefined || m === undefined) return;
    // V.17 short training once a long one has succeeded since the DCS (T.30 §5.3.2.1).
    this.fastRx.restart(m.startsWith('v17') && this.trainedSincePlan);
  }

  private nonEcmBit(bit: number): void {
    this.nonEcmAcc = (this.nonEcmAcc << 1) | bit;
    if (++this.nonEcmBits < 8) return;
    this.nonEcm[this.nonEcmLen++] = this.nonEcmAcc & 0xff;
    this.nonEcmBits = 0;
    this.nonEcmAcc = 0;
    if (this.nonEcmLen === NON_ECM_CHUNK) this.flushNonEcm();
  }

  private flushNonEcm(): void {
    if (this.nonEcmLen === 0 || this.fastRxModulation === undefined) return;
    this.stats.nonEcmOctetsReceived += this.nonEcmLen;
    this.events.push({ kind: 'non-ecm-data', modulation: this.fastRxModulation, data: this.nonEcm.slice(0, this.nonEcmLen) });
    this.nonEcmLen = 0;
  }
}
