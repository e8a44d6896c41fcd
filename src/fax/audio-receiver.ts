/**
 * The receive side of fax audio (sans-IO): what a fax machine's modems hear, as T.30 line
 * events. A tone detector (CNG/CED) and the V.21 channel 2 receiver listen all the time; the
 * fast receiver listens once a DCS (or CTC) heard on this same direction has named the modem —
 * as a fax machine's own modem is told by its T.30, and as a gateway or a capture analyser
 * learns it (T.38 §6.2.2). The first fast burst after a DCS is TCF (a non-ECM signal even in
 * ECM, T.30 §5.3.2.3); later ones carry ECM frames (Annex A) or a T.4 page, as the DCS said.
 * V.17 trains long after every DCS and short after the first success (V.17 §5.3; spandsp and
 * the T.30 engine here follow the same rule on the transmit side). HDLC octets come out in T.30
 * document notation (first transmitted bit = MSB): the deframers run `msb-first`.
 *
 * Used by the audio terminal's line (terminal/audio-line.ts), by the gateway's audio → T.38
 * half (gateway/audio-to-t38.ts, which also reads `fastShortTrain` and `fastBurst` to pick the
 * T.38 indicator and treat TCF apart) and by `faxwire analyze` on the audio of a capture, one
 * receiver per direction. `fillIn(n)` tells the receivers that `n`
 * samples were lost (a missing RTP packet) so they keep symbol and carrier sync.
 */

import type { FaxModulation } from '../modem/modulation.js';
import type { ModemRxOptions, ModemTxOptions } from '../modem/factory.js';
import type { BitSink, BitSource, ModemReceiver, ModemRxStatus, ModemTransmitter } from '../modem/types.js';
import { HdlcDeframer, type HdlcSink } from '../hdlc/index.js';
import type { T30LineEvent } from '../t30/line.js';
import { assertNever } from '../util/errors.js';
import { fastModemFromFrame } from './fast-modem-plan.js';

/** What the audio line builds its signals with (the real modems by default; tests inject fakes). */
export interface AudioModemKit {
  transmitter(m: FaxModulation, bits: BitSource, opts: ModemTxOptions): ModemTransmitter;
  receiver(m: FaxModulation, sink: BitSink, opts: ModemRxOptions): ModemReceiver;
  /** A CNG or CED generator lasting `samples`. */
  tone(tone: 'cng' | 'ced', samples: number, levelDbm0: number): ModemTransmitter;
  /** A detector for CNG and CED that calls `onTone` once per tone heard. */
  toneDetector(onTone: (tone: 'cng' | 'ced') => void): { rx(samples: Int16Array, offset: number, length: number): void };
}

export interface AudioReceiverOptions {
  readonly kit: AudioModemKit;
  /** Consecutive flags before a V.21 burst counts as a signal (default 3 ≈ 80 ms of a 1 s preamble). */
  readonly v21SignalFlags?: number;
}

export interface AudioReceiverStats {
  samplesReceived: number;
  samplesFilledIn: number;
  framesReceived: number;
  framesBad: number;
  fastTrainings: number;
  fastTrainingFailures: number;
  nonEcmOctetsReceived: number;
}

/** Non-ECM data is handed on in chunks of at most this many octets (and at each block's end). */
const NON_ECM_CHUNK = 256;

type FastMode = 'non-ecm' | 'hdlc';

/** What the fast signal in progress carries: TCF after a DCS, a T.4 page, or ECM HDLC frames. */
export type FastBurstKind = 'tcf' | 'page' | 'ecm';

export class AudioReceiver {
  private readonly kit: AudioModemKit;
  private readonly stats: AudioReceiverStats = {
    samplesReceived: 0,
    samplesFilledIn: 0,
    framesReceived: 0,
    framesBad: 0,
    fastTrainings: 0,
    fastTrainingFailures: 0,
    nonEcmOctetsReceived: 0,
  };

  // --- V.21 and tones
  private readonly v21Rx: ModemReceiver;
  private readonly v21Deframer: HdlcDeframer;
  private v21Signal = false;
  private readonly toneDetector: { rx(samples: Int16Array, offset: number, length: number): void };

  // --- the fast modem named by the last DCS/CTC
  private planEcm = false;
  private fastRx: ModemReceiver | undefined;
  private fastRxModulation: FaxModulation | undefined;
  private fastDeframer: HdlcDeframer | undefined;
  private fastTrained = false;
  private fastMode: FastMode = 'non-ecm';
  private tcfNext = false;
  private trainedSincePlan = false;
  /** The fast receiver was (re)started for V.17 short training. */
  private shortTrainNow = false;
  private burstKind: FastBurstKind = 'page';
  private restarting = false;
  private restartPending = false;
  private readonly nonEcm = new Uint8Array(NON_ECM_CHUNK);
  private nonEcmLen = 0;
  private nonEcmBits = 0;
  private nonEcmAcc = 0;

  constructor(
    options: AudioReceiverOptions,
    private readonly emit: (ev: T30LineEvent) => void,
  ) {
    this.kit = options.kit;
    this.v21Deframer = new HdlcDeframer(this.hdlcSink('v21'), { bitOrder: 'msb-first', flagThreshold: options.v21SignalFlags ?? 3 });
    this.v21Rx = this.kit.receiver('v21', this.v21BitSink(), {});
    this.toneDetector = this.kit.toneDetector((tone) => this.emit({ kind: 'tone', tone }));
  }

  getStats(): Readonly<AudioReceiverStats> {
    return this.stats;
  }

  /** The fast modem the last DCS/CTC named (undefined before one was heard). */
  get fastModulation(): FaxModulation | undefined {
    return this.fastRxModulation;
  }

  /**
   * Whether the fast signal last reported ('signal') trained short — V.17 after a long training
   * since the DCS (V.17 §5.3); always false for V.27ter/V.29, which have one training. A gateway
   * reads it to pick the T.38 indicator (T.38 §7.2: `v17-…-short-training` / `-long-training`).
   */
  get fastShortTrain(): boolean {
    return this.shortTrainNow;
  }

  /** What the fast signal last reported ('signal') carries (valid from its 'signal' event on). */
  get fastBurst(): FastBurstKind {
    return this.burstKind;
  }

  /** Demodulates `n` received samples at `samples[offset…]`. */
  receive(samples: Int16Array, offset: number, n: number): void {
    this.toneDetector.rx(samples, offset, n);
    this.v21Rx.rx(samples, offset, n);
    // While V.21 frames are coming the fast receiver is not listening: a fax modem is in one
    // mode at a time, and a fast receiver that tried to train on the V.21 tail could still be
    // busy with it when the real training starts 75 ms later (T.30 §5.3.2.4).
    if (!this.v21Signal) this.fastRx?.rx(samples, offset, n);
    if (this.restartPending) this.restartFast();
    this.flushNonEcm();
    this.stats.samplesReceived += n;
  }

  /** `n` samples of received audio were lost: keep the receivers' clocks running. */
  fillIn(n: number): void {
    this.v21Rx.fillIn(n);
    if (!this.v21Signal) this.fastRx?.fillIn(n);
    if (this.restartPending) this.restartFast();
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
            this.emit({ kind: 'hdlc-end', modulation: 'v21' });
            // Listen for the fast signal afresh: it follows this burst (TCF after DCS, a page
            // after MPS/CTC…).
            if (!this.fastTrained) this.restartPending = true;
          }
        }
      },
    };
  }

  private hdlcSink(which: 'v21' | 'fast'): HdlcSink {
    return {
      frame: (bytes, ok) => {
        const m = which === 'v21' ? 'v21' : (this.fastRxModulation ?? 'v21');
        if (which === 'v21') this.v21Started();
        this.stats.framesReceived++;
        if (!ok) this.stats.framesBad++;
        const frame = bytes.slice();
        this.emit({ kind: 'hdlc-frame', modulation: m, frame, ok });
        if (ok && which === 'v21') this.snoop(frame);
      },
      flags: () => {
        if (which === 'v21') this.v21Started();
      },
    };
  }

  /** V.21 flags or a frame: the signal is reported once per burst. */
  private v21Started(): void {
    if (this.v21Signal) return;
    this.v21Signal = true;
    this.emit({ kind: 'signal', modulation: 'v21' });
  }

  /** A DCS or CTC from the far end names the next fast signal. */
  private snoop(frame: Uint8Array): void {
    const p = fastModemFromFrame(frame);
    if (p === undefined) return;
    const isDcs = p.ecm !== undefined;
    if (isDcs) this.planEcm = p.ecm === true;
    this.tcfNext = isDcs;
    this.trainedSincePlan = false;
    if (this.fastRxModulation !== p.modulation || this.fastRx === undefined) {
      this.fastRx = this.kit.receiver(p.modulation, this.fastBitSink(), { shortTrain: false });
      this.fastRxModulation = p.modulation;
      this.fastDeframer = new HdlcDeframer(this.hdlcSink('fast'), { bitOrder: 'msb-first' });
      this.shortTrainNow = false;
    } else {
      // Called from the V.21 receiver's callback, not the fast one's: restarting here is safe.
      // Long training (trainedSincePlan is false again).
      this.restartFast();
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
    if (m === undefined || this.restarting) return;
    switch (st) {
      case 'training-succeeded':
        this.fastTrained = true;
        this.trainedSincePlan = true;
        this.stats.fastTrainings++;
        this.fastMode = this.tcfNext || !this.planEcm ? 'non-ecm' : 'hdlc';
        this.burstKind = this.tcfNext ? 'tcf' : this.planEcm ? 'ecm' : 'page';
        this.tcfNext = false;
        this.fastDeframer?.restart();
        this.nonEcmLen = 0;
        this.nonEcmBits = 0;
        this.emit({ kind: 'signal', modulation: m });
        break;
      case 'training-failed':
        this.stats.fastTrainingFailures++;
        this.restartPending = true;
        break;
      case 'carrier-down':
        if (this.fastTrained) {
          this.fastTrained = false;
          if (this.fastMode === 'non-ecm') {
            this.flushNonEcm();
            this.emit({ kind: 'non-ecm-end', modulation: m });
          } else {
            this.emit({ kind: 'hdlc-end', modulation: m });
          }
        }
        this.restartPending = true;
        break;
      case 'carrier-up':
      case 'training-in-progress':
        break;
      default:
        assertNever(st);
    }
  }

  /**
   * Restarts the fast receiver. Called only between blocks, never from inside one of its own
   * callbacks: a receiver keeps its state in locals while it runs a block and would write it
   * back over the restart (statuses just set `restartPending`).
   */
  private restartFast(): void {
    this.restartPending = false;
    const m = this.fastRxModulation;
    if (this.fastRx === undefined || m === undefined || this.restarting) return;
    // A receiver may report 'carrier-down' from inside restart(); that is this restart.
    this.restarting = true;
    try {
      this.restartFastNow(m);
    } finally {
      this.restarting = false;
    }
  }

  private restartFastNow(m: FaxModulation): void {
    if (this.fastRx === undefined) return;
    // V.17 short training once a long one has succeeded since the DCS (T.30 §5.3.2.1).
    this.shortTrainNow = m.startsWith('v17') && this.trainedSincePlan;
    this.fastRx.restart(this.shortTrainNow);
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
    this.emit({ kind: 'non-ecm-data', modulation: this.fastRxModulation, data: this.nonEcm.slice(0, this.nonEcmLen) });
    this.nonEcmLen = 0;
  }
}
