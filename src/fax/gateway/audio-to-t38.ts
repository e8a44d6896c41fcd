/**
 * The audio → T.38 half of the gateway (sans-IO): what the local fax machine sends (8 kHz linear
 * audio) is demodulated by the shared `AudioReceiver` (../audio-receiver.ts: tones, V.21 always,
 * the fast modem its own DCS/CTC named, TCF first) and re-expressed as IFPs (T.38 §5, §6.2, §7),
 * emitted synchronously through `emit` in line order, each with its UDPTL category.
 *
 * ```
 *  heard on the line                       IFPs (category)
 *  -------------------------------------   -----------------------------------------------------
 *  (first thing of all)                    no-signal (indicator)
 *  CNG / CED (any ANS form)                cng / ced (indicator); no-signal when the tone stops
 *  V.21 flags (3 in a row)                 v21-preamble (indicator)
 *  each V.21 frame, at its closing flag    hdlc-data: the frame after editor.edit(…,'audio'),
 *                                          one IFP (split at 256 octets) (control);
 *                                          then hdlc-fcs-OK / hdlc-fcs-BAD (control)
 *  V.21 carrier down                       hdlc-sig-end (control-end), no-signal (indicator)
 *  fast training succeeded                 v27-…/v29-…/v17-…-long|short-training (indicator)
 *  TCF or page bits (non-ECM)              t4-non-ecm-data, chunkMs of octets each (image)
 *  its carrier down                        t4-non-ecm-sig-end with the rest (image-end), no-signal
 *  each ECM frame on the fast modem        hdlc-data in chunkMs-sized pieces, fcs-OK/BAD (image)
 *  its carrier down                        hdlc-sig-end (image-end), no-signal
 *  fast training failed                    nothing: the far modem must not start (T.38 §6.2.2)
 * ```
 * The V.21 ending (fcs-OK, then a separate hdlc-sig-end and no-signal) is spandsp's gateway
 * style; every T.38 peer accepts it (interop README, "spandsp's gateway differs from its
 * terminal"). Frames are relayed whole when they end rather than octet by octet: a V.21 frame
 * needs editing before it leaves (NSF/DIS, editor.ts), and for an ECM frame the delay is one
 * frame time (≤ 150 ms at 14 400 bit/s), which the far gateway's play-out absorbs. A frame with
 * a bad FCS is relayed as bad, never dropped (T.38 §7.4: the receiving side decides).
 *
 * Data-rate management (T38FaxRateManagement, T.38 Annex D SDP): by default (method 2,
 * "transferredTCF") TCF is relayed like any non-ECM data and judged by the far end. With
 * `localTcf` (method 1, "localTCF") the TCF after a DCS is judged here — spandsp's t30 rule,
 * which faxwire's own T.30 engine also uses (phase-b.ts): good when its longest run of zero bits
 * lasts ≥ 1 s at the DCS rate — reported through `onTcf` (the gateway hands it to the editor,
 * which turns the far end's CFR into FTT), and only the training indicator and the closing
 * no-signal are relayed.
 *
 * Fill-bit removal (T.38 §7.4, SDP T38FaxFillBitRemoval): in non-ECM *page* data (never TCF or
 * ECM), a run of zero bits ending in the 1 of an EOL (000000000001) is cut to 14 zeros: the
 * EOL's own 11 plus at most 3 that may be the tail of the row's last code (MH white run 12 is
 * `001000`, T.4 Table 2; no code ends in more, and none starts with more than 7), so no code
 * bit is ever removed — only fill (T.4 §4.1.3). Cutting to exactly 11 would eat those code bits
 * and corrupt the row; spandsp's gateway keeps the same 14. Everything else, the MR tag bit after
 * each EOL included, passes bit for bit, across chunk boundaries. When removal holds data back,
 * a partial chunk still leaves after chunkMs of received bits so rows are not delayed.
 *
 * Not done: a fast signal without a DCS heard first (a DCS lost to a line error) is not relayed
 * — the receiver is only started by a DCS/CTC (FastModemDetector would name the modem, but only
 * after its training, when the bits to relay are already gone); the far end, which also missed
 * the DCS, would not expect it either.
 */

import { FAX_MODULATION_BIT_RATE, type FaxModulation } from '../../modem/modulation.js';
import { dbm0ToPower } from '../../dsp/level.js';
import type { Ifp, IfpField, IfpFieldType, T30DataType, T30Indicator } from '../../t38/ifp.js';
import { modulationDataType, modulationIndicator } from '../../t38/modulation-map.js';
import type { UdptlCategory } from '../../t38/udptl-sender.js';
import type { T30LineEvent } from '../../t30/line.js';
import { TCF_MIN_ZERO_RUN_MS } from '../../t30/timers.js';
import { checkInt, invalid } from '../../util/check.js';
import { assertNever } from '../../util/errors.js';
import { AudioReceiver, type AudioModemKit } from '../audio-receiver.js';
import { FAXWIRE_MODEMS } from '../terminal/modem-kit.js';
import type { GatewayFrameEditor, GatewayFrameObserver, GatewayIfp } from './types.js';

export interface AudioToT38Options {
  /** The modems (default FAXWIRE_MODEMS). */
  readonly kit?: AudioModemKit;
  /** Applied to every V.21 frame before it is relayed (default: none). */
  readonly editor?: GatewayFrameEditor;
  /** Called with each relayed HDLC frame (after editing), `from` = 'audio'. */
  readonly onFrame?: GatewayFrameObserver;
  /** Data-rate management method 1: judge TCF here instead of relaying it. Default false (method 2). */
  readonly localTcf?: boolean;
  /** The local TCF verdict (method 1), at the TCF's carrier down. */
  readonly onTcf?: (ok: boolean, stats: TcfStats) => void;
  /** T38FaxFillBitRemoval was negotiated. Default false. */
  readonly fillBitRemoval?: boolean;
  /** Octets per t4-non-ecm-data / fast hdlc-data IFP: this many ms of data (default 30, like spandsp). */
  readonly chunkMs?: number;
}

export interface TcfStats {
  readonly octets: number;
  readonly nonZeroOctets: number;
  /** Duration of the TCF data received, ms at the DCS rate. */
  readonly ms: number;
  /** Longest run of zero bits, ms at the DCS rate. */
  readonly longestZeroRunMs: number;
}

export interface AudioToT38Stats {
  samplesReceived: number;
  samplesFilledIn: number;
  /** IFPs emitted, all kinds. */
  ifps: number;
  indicators: number;
  hdlcData: number;
  hdlcFcsOk: number;
  hdlcFcsBad: number;
  hdlcSigEnd: number;
  nonEcmData: number;
  nonEcmSigEnd: number;
  /** HDLC frames relayed (V.21 and ECM), and of them those with a bad FCS. */
  framesRelayed: number;
  framesBad: number;
  /** V.21 frames the editor changed. */
  framesEdited: number;
  tones: number;
  fastTrainings: number;
  fastTrainingFailures: number;
  /** Non-ECM octets demodulated (TCF and pages) and relayed (after fill removal). */
  nonEcmOctetsIn: number;
  nonEcmOctetsRelayed: number;
  /** Fill removal: bits dropped, and whole octets that saves. */
  fillBitsRemoved: number;
  fillOctetsRemoved: number;
  tcfJudged: number;
  tcfFailed: number;
}

/** The field types this half sends (never the merged `…-sig-end` forms: spandsp's gateway style). */
type RelayField = Extract<IfpFieldType, 'hdlc-data' | 'hdlc-sig-end' | 'hdlc-fcs-OK' | 'hdlc-fcs-BAD' | 't4-non-ecm-data' | 't4-non-ecm-sig-end'>;

type Burst = 'none' | 'v21' | 'fast-hdlc' | 'page' | 'tcf-relay' | 'tcf-local';

const DEFAULT_CHUNK_MS = 30;
/** Largest hdlc-data IFP for a V.21 frame (longer ones, e.g. a big NSF, are split). */
const V21_MAX_IFP_OCTETS = 256;
/** EOL's 11 zeros + at most 3 trailing zeros of the row's last code (module comment). */
const FILL_KEEP_ZEROS = 14;
/** Below this the line is silent (tones end); the tone detector's own floor (modem/tones.ts). */
const SILENCE_POWER = dbm0ToPower(-46);

export class AudioToT38 {
  private readonly rx: AudioReceiver;
  private readonly editor: GatewayFrameEditor | undefined;
  private readonly onFrame: GatewayFrameObserver | undefined;
  private readonly localTcf: boolean;
  private readonly onTcf: ((ok: boolean, stats: TcfStats) => void) | undefined;
  private readonly fillBitRemoval: boolean;
  private readonly chunkMs: number;
  private readonly stats: AudioToT38Stats = {
    samplesReceived: 0,
    samplesFilledIn: 0,
    ifps: 0,
    indicators: 0,
    hdlcData: 0,
    hdlcFcsOk: 0,
    hdlcFcsBad: 0,
    hdlcSigEnd: 0,
    nonEcmData: 0,
    nonEcmSigEnd: 0,
    framesRelayed: 0,
    framesBad: 0,
    framesEdited: 0,
    tones: 0,
    fastTrainings: 0,
    fastTrainingFailures: 0,
    nonEcmOctetsIn: 0,
    nonEcmOctetsRelayed: 0,
    fillBitsRemoved: 0,
    fillOctetsRemoved: 0,
    tcfJudged: 0,
    tcfFailed: 0,
  };

  private started = false;
  private burst: Burst = 'none';
  private burstModulation: FaxModulation = 'v21';
  private dataType: T30DataType = 'v21';
  private toneActive = false;

  // --- non-ECM output: chunks of `chunk` octets (allocated once for the fastest modem)
  private readonly out: Uint8Array;
  private chunk = 1;
  private outLen = 0;
  /** Fill removal: bits packed so far into `acc` (0…7), the zero run, input bits since the last IFP. */
  private accBits = 0;
  private acc = 0;
  private zeroRun = 0;
  private inBitsSinceEmit = 0;

  // --- local TCF
  private tcfOctets = 0;
  private tcfNonZero = 0;
  private tcfRun = 0;
  private tcfBest = 0;

  constructor(
    o: AudioToT38Options,
    private readonly emit: (p: GatewayIfp) => void,
  ) {
    if (typeof emit !== 'function') invalid('emit must be a function');
    this.chunkMs = o.chunkMs ?? DEFAULT_CHUNK_MS;
    checkInt(this.chunkMs, 1, 1000, 'chunkMs');
    this.editor = o.editor;
    this.onFrame = o.onFrame;
    this.localTcf = o.localTcf ?? false;
    this.onTcf = o.onTcf;
    this.fillBitRemoval = o.fillBitRemoval ?? false;
    this.out = new Uint8Array(this.chunkOctets('v17-14400'));
    this.rx = new AudioReceiver({ kit: o.kit ?? FAXWIRE_MODEMS }, (ev) => this.onEvent(ev));
  }

  /** Demodulates `n` samples at `samples[offset…]`; the IFPs they complete are emitted now. */
  receive(samples: Int16Array, offset: number, n: number): void {
    this.rx.receive(samples, offset, n);
    if (this.toneActive && n > 0) {
      let e = 0;
      for (let i = offset; i < offset + n; i++) {
        const v = samples[i] as number;
        e += v * v;
      }
      if (e / n < SILENCE_POWER) {
        // The tone stopped (CNG's 3 s pause, CED's end): say so, as a terminal would (T.38 §6.2.1).
        this.toneActive = false;
        if (this.burst === 'none') this.indicator('no-signal');
      }
    }
  }

  /** `n` samples were lost (a missing RTP packet): keep the receivers' clocks running. */
  fillIn(n: number): void {
    this.rx.fillIn(n);
  }

  /** Something other than silence is being relayed right now (the gateway's idle detection). */
  get signalActive(): boolean {
    return this.burst !== 'none' || this.toneActive;
  }

  getStats(): Readonly<AudioToT38Stats> {
    const r = this.rx.getStats();
    this.stats.samplesReceived = r.samplesReceived;
    this.stats.samplesFilledIn = r.samplesFilledIn;
    this.stats.fastTrainingFailures = r.fastTrainingFailures;
    this.stats.fillOctetsRemoved = this.stats.fillBitsRemoved >> 3;
    return this.stats;
  }

  // ------------------------------------------------------------------------------------------

  private onEvent(ev: T30LineEvent): void {
    switch (ev.kind) {
      case 'tone':
        this.stats.tones++;
        this.endBurst();
        this.toneActive = true;
        this.indicator(ev.tone);
        break;
      case 'signal':
        this.startSignal(ev.modulation);
        break;
      case 'hdlc-frame':
        this.relayFrame(ev.frame, ev.ok, ev.modulation);
        break;
      case 'hdlc-end':
      case 'non-ecm-end':
        this.endBurst();
        break;
      case 'non-ecm-data':
        this.nonEcmData(ev.data);
        break;
      case 'tx-done':
      case 'no-signal':
        break;
      default:
        assertNever(ev);
    }
  }

  private startSignal(m: FaxModulation): void {
    this.endBurst();
    this.toneActive = false;
    this.burstModulation = m;
    this.dataType = modulationDataType(m);
    if (m === 'v21') {
      this.burst = 'v21';
      this.indicator('v21-preamble');
      return;
    }
    this.stats.fastTrainings++;
    const kind = this.rx.fastBurst;
    this.burst = kind === 'ecm' ? 'fast-hdlc' : kind === 'page' ? 'page' : this.localTcf ? 'tcf-local' : 'tcf-relay';
    this.chunk = this.chunkOctets(m);
    this.outLen = 0;
    this.accBits = 0;
    this.acc = 0;
    this.zeroRun = 0;
    this.inBitsSinceEmit = 0;
    this.tcfOctets = 0;
    this.tcfNonZero = 0;
    this.tcfRun = 0;
    this.tcfBest = 0;
    // T.38 §7.2: the indicator names the training the far modem must reproduce.
    this.indicator(modulationIndicator(m, this.rx.fastShortTrain));
  }

  /** Closes the burst in progress with its end IFPs (nothing when none is open). */
  private endBurst(): void {
    const b = this.burst;
    if (b === 'none') return;
    this.burst = 'none';
    switch (b) {
      case 'v21':
        this.data('hdlc-sig-end', undefined, 'control-end');
        break;
      case 'fast-hdlc':
        this.data('hdlc-sig-end', undefined, 'image-end');
        break;
      case 'page':
      case 'tcf-relay':
        if (this.accBits > 0) {
          // The last few bits (after RTC) padded with zeros to a whole octet.
          this.out[this.outLen++] = (this.acc << (8 - this.accBits)) & 0xff;
          this.accBits = 0;
          this.acc = 0;
        }
        this.stats.nonEcmOctetsRelayed += this.outLen;
        this.data('t4-non-ecm-sig-end', this.outLen > 0 ? this.out.slice(0, this.outLen) : undefined, 'image-end');
        this.outLen = 0;
        break;
      case 'tcf-local':
        this.judgeTcf();
        break;
      default:
        assertNever(b);
    }
    this.indicator('no-signal');
  }

  private relayFrame(frame: Uint8Array, ok: boolean, m: FaxModulation): void {
    if (this.burst === 'none') return; // cannot happen: AudioReceiver signals before frames
    let f = frame;
    if (m === 'v21' && this.editor !== undefined) {
      f = this.editor.edit(frame, 'audio');
      if (f !== frame) this.stats.framesEdited++;
    }
    this.stats.framesRelayed++;
    if (!ok) this.stats.framesBad++;
    const v21 = m === 'v21';
    const piece = v21 ? V21_MAX_IFP_OCTETS : this.chunk;
    const cat: UdptlCategory = v21 ? 'control' : 'image';
    for (let at = 0; at < f.length; at += piece) this.data('hdlc-data', f.slice(at, Math.min(f.length, at + piece)), cat);
    this.data(ok ? 'hdlc-fcs-OK' : 'hdlc-fcs-BAD', undefined, cat);
    this.onFrame?.(f, ok, m, 'audio');
  }

  private nonEcmData(d: Uint8Array): void {
    this.stats.nonEcmOctetsIn += d.length;
    switch (this.burst) {
      case 'tcf-local':
        this.countTcf(d);
        return;
      case 'page':
        if (this.fillBitRemoval) {
          this.removeFill(d);
          return;
        }
        this.copyOut(d);
        return;
      case 'tcf-relay':
        this.copyOut(d);
        return;
      case 'none':
      case 'v21':
      case 'fast-hdlc':
        return; // not expected: AudioReceiver reports non-ECM data only inside a non-ECM signal
      default:
        assertNever(this.burst);
    }
  }

  private copyOut(d: Uint8Array): void {
    for (let i = 0; i < d.length; i++) {
      this.out[this.outLen++] = d[i] as number;
      if (this.outLen === this.chunk) this.flushChunk();
    }
  }

  /** T.4 data bits in line order (each octet MSB first), runs of zeros before a 1 capped. */
  private removeFill(d: Uint8Array): void {
    for (let i = 0; i < d.length; i++) {
      const o = d[i] as number;
      for (let k = 7; k >= 0; k--) {
        const bit = (o >> k) & 1;
        if (bit === 0) {
          if (this.zeroRun >= FILL_KEEP_ZEROS) {
            this.stats.fillBitsRemoved++;
            continue;
          }
          this.zeroRun++;
        } else {
          this.zeroRun = 0;
        }
        this.acc = ((this.acc << 1) | bit) & 0xff;
        if (++this.accBits === 8) {
          this.out[this.outLen++] = this.acc;
          this.accBits = 0;
          this.acc = 0;
          if (this.outLen === this.chunk) this.flushChunk();
        }
      }
      // Latency: at least every chunkMs of received data, send what there is (long fill
      // would otherwise hold a row back while nothing is relayed).
      this.inBitsSinceEmit += 8;
      if (this.inBitsSinceEmit >= 8 * this.chunk && this.outLen > 0) this.flushChunk();
    }
  }

  private flushChunk(): void {
    this.stats.nonEcmOctetsRelayed += this.outLen;
    this.data('t4-non-ecm-data', this.out.slice(0, this.outLen), 'image');
    this.outLen = 0;
    this.inBitsSinceEmit = 0;
  }

  /** TCF zero runs, counted as faxwire's T.30 receiver does (phase-b.ts onTcfData). */
  private countTcf(d: Uint8Array): void {
    for (let i = 0; i < d.length; i++) {
      const b = d[i] as number;
      this.tcfOctets++;
      if (b === 0) {
        this.tcfRun += 8;
        continue;
      }
      this.tcfNonZero++;
      this.tcfRun += Math.clz32(b) - 24; // zeros before the first 1 in line order
      if (this.tcfRun > this.tcfBest) this.tcfBest = this.tcfRun;
      this.tcfRun = 31 - Math.clz32(b & -b); // zeros after the last 1
    }
  }

  private judgeTcf(): void {
    const rate = FAX_MODULATION_BIT_RATE[this.burstModulation];
    const best = Math.max(this.tcfBest, this.tcfRun);
    // T.30 §5.3.2.3 leaves the criterion to the receiver; spandsp's (t30.c) and faxwire's
    // (phase-b.ts): a run of zeros lasting TCF_MIN_ZERO_RUN_MS (1 s) at the DCS rate.
    const ok = best >= (rate * TCF_MIN_ZERO_RUN_MS) / 1000;
    this.stats.tcfJudged++;
    if (!ok) this.stats.tcfFailed++;
    this.onTcf?.(ok, {
      octets: this.tcfOctets,
      nonZeroOctets: this.tcfNonZero,
      ms: Math.round((this.tcfOctets * 8000) / rate),
      longestZeroRunMs: Math.round((best * 1000) / rate),
    });
  }

  private chunkOctets(m: FaxModulation): number {
    return Math.max(1, Math.round((this.chunkMs * FAX_MODULATION_BIT_RATE[m]) / 8000));
  }

  // ------------------------------------------------------------------------------------------

  private indicator(indicator: T30Indicator): void {
    this.send({ type: 't30-indicator', indicator }, 'indicator');
    this.stats.indicators++;
  }

  private data(type: RelayField, data: Uint8Array | undefined, category: UdptlCategory): void {
    const field: IfpField = data !== undefined && data.length > 0 ? { type, data } : { type };
    this.send({ type: 't30-data', dataType: this.dataType, fields: [field] }, category);
    switch (type) {
      case 'hdlc-data':
        this.stats.hdlcData++;
        break;
      case 'hdlc-fcs-OK':
        this.stats.hdlcFcsOk++;
        break;
      case 'hdlc-fcs-BAD':
        this.stats.hdlcFcsBad++;
        break;
      case 'hdlc-sig-end':
        this.stats.hdlcSigEnd++;
        break;
      case 't4-non-ecm-data':
        this.stats.nonEcmData++;
        break;
      case 't4-non-ecm-sig-end':
        this.stats.nonEcmSigEnd++;
        break;
      default:
        assertNever(type);
    }
  }

  private send(ifp: Ifp, category: UdptlCategory): void {
    if (!this.started) {
      this.started = true;
      // The very first IFP of the call: no-signal, as spandsp's terminal and gateway begin.
      if (!(ifp.type === 't30-indicator' && ifp.indicator === 'no-signal')) {
        this.stats.ifps++;
        this.stats.indicators++;
        this.emit({ ifp: { type: 't30-indicator', indicator: 'no-signal' }, category: 'indicator' });
      }
    }
    this.stats.ifps++;
    this.emit({ ifp, category });
  }
}
