/**
 * The T.38 → audio half of the gateway (T.38 §5–§7, sans-IO): the IFPs received from the IP side
 * (already out of UDPTL, decoded, in order) are remodulated into 8 kHz linear audio for the local
 * fax machine through faxwire's modems, with a fax-aware play-out buffer, so that the machine
 * cannot tell its call crossed a network with delay, jitter and loss.
 *
 * Receive (`receive(ifp, now)`, `markMissing(n)`): `T38FieldAssembler` turns IFPs into whole
 * HDLC frames, non-ECM data and signal ends. A queue of signals is kept in arrival order: an
 * indicator starts one (`v21-preamble`, `<fast>-training`, `cng`/`ced`), and so does data with
 * no indicator before it (some gateways omit it; T.38 §7.4 — as the terminal's T38Line does). A
 * new indicator, `no-signal`, a `…-sig-end` field or a change of data type ends the last one.
 * An indicator repeated with a new sequence number carries nothing and is ignored.
 *
 * Play-out (`transmit(out, offset, n)`, the audio clock): signals are played one after another.
 *  - Between bursts at least 75 ms of silence (T.30 §5.3.2.4); a signal starts as soon as it is
 *    queued and that much silence has gone by, so a waiting signal shortens the silence to 75 ms
 *    — this is where the difference between the IP clock and the audio clock (drift, a backlog
 *    left by late data) is absorbed; time is never slipped inside a burst. A fast burst starts on
 *    the 40-sample carrier grid of the stream, as AudioLine's do (spandsp's V.17 short training
 *    relies on it — see terminal/audio-line.ts).
 *  - A burst never starves mid-carrier:
 *    * HDLC (V.21 control, T.30 §5.3.1; ECM frames on the fast modems, T.30 Annex A): a frame is
 *      handed to the HDLC framer only when it is complete (`hdlc-fcs-OK/BAD` received), so no
 *      underrun can happen inside a frame; meanwhile the framer idles on flags (preamble and
 *      inter-frame flags — the "spoofing" of T.38 gateways). The preamble is at least 1 s of
 *      flags at V.21 (T.30 §5.3.1) and 200 ms on a fast modem (T.30 Annex A), longer when the
 *      first frame is late. `hdlc-fcs-BAD`, a lost IFP inside the frame (the assembler marks it)
 *      or an overlong frame → the frame is played with a deliberately wrong FCS, so the fax
 *      machine sees a bad frame as on an end-to-end line. A sig-end (or `no-signal`) → the
 *      queued frames, closing flags, carrier off. Flags alone for longer than `maxHoldMs` end
 *      the burst (counted; what arrives late for it is dropped until the next indicator).
 *    * Non-ECM image data (T.4): data is released to the modem only up to the end of the last
 *      complete run of ≥ 11 zeros seen — the zeros of an EOL (T.4 §4.1.2) — unless the signal
 *      has ended (then everything). When the modem needs a bit and none is releasable a 0 is
 *      sent: it lengthens the zero run before the next EOL's 1, which is fill (T.4 §4.1.3), legal
 *      after ≥ 11 zeros and before the first EOL of the page. So late data costs time, never
 *      rows. (In MH/MR no 11 zeros occur except in an EOL or fill; MMR has no EOL but is only
 *      sent with ECM, T.30 §5.3.6.2.3 / T.4 Annex.) TCF — the first fast signal after a DCS,
 *      all zeros (T.30 §5.3.2.3) — is padded anywhere. Fill for longer than `maxHoldMs` ends the
 *      burst.
 *    * Local TCF (T.38 data rate management method 1, `localTcf`): the TCF is not carried; for
 *      the TCF signal (a training indicator after a DCS) the gateway generates training and
 *      1.5 s of zeros itself and ignores whatever data the signal carries.
 *    * CNG / CED (T.30 §5.2.3.1, §5.2.4): the tone, for as long as the far end's indicator lasted
 *      (measured on the T.38 clock, capped at 5 s).
 *  - Which fast signal is what: the DCS (and CTC) frames going by on V.21 name the modem and ECM
 *    (T.30 Table 2 bits 11–14, 27; src/fax/fast-modem-plan.ts). The first fast signal after a
 *    DCS is TCF; later ones are ECM HDLC or a T.4 page as the DCS said. Until a fast signal's
 *    first data arrives the modem sends what that plan expects (flags or zeros), and the first
 *    data decides.
 *
 * Lost IFPs inside non-ECM data (an unrepaired UDPTL gap): the stream is resynchronised — the
 * data after the gap is dropped up to the next EOL, and the EOL is played with 16 zeros before
 * its 1 (so it is a whole EOL again). Why: what follows a gap is the tail of a row whose head
 * was lost; played straight after the head of the row before the gap, the splice could by
 * chance decode to a row of the right width with wrong pels — a corrupt row the fax machine
 * would not count. Cut at the EOL, the row before the gap is short and is seen as bad (T.4
 * §4.1 error handling), and the rows after the EOL are intact.
 *
 * Bounds (network input is data, never a reason to throw or grow): non-ECM octets in a 64 KiB
 * ring (overrun → the octets are dropped, counted, and the stream resynchronised), HDLC octets
 * queued per burst ≤ 64 KiB, at most 32 signals queued. No timers: the T.38 side's `now` (ms)
 * only measures tone lengths; hold and mid-receive timeouts run on the audio clock (samples).
 * Hot path: the modem pulls bits through one `BitSource` that reads the ring or the framer;
 * nothing is allocated per bit or per sample.
 */

import type { FaxModulation } from '../../modem/modulation.js';
import { FAX_MODULATION_BIT_RATE, FAX_MODULATIONS } from '../../modem/modulation.js';
import type { ModemTxOptions } from '../../modem/factory.js';
import { END_OF_DATA, type BitSource, type ModemTransmitter } from '../../modem/types.js';
import { HDLC_DEFAULT_MAX_FRAME, HdlcFramer } from '../../hdlc/index.js';
import type { Ifp, T30Indicator } from '../../t38/ifp.js';
import { T38FieldAssembler, type T38FieldEvent } from '../../t38/field-assembler.js';
import { dataTypeModulation, indicatorModulation } from '../../t38/modulation-map.js';
import { checkInt } from '../../util/check.js';
import { assertNever } from '../../util/errors.js';
import type { AudioModemKit } from '../audio-receiver.js';
import { decodeT30Frame } from '../../t30/frames.js';
import { fastModemFromFrame } from '../fast-modem-plan.js';
import { FAXWIRE_MODEMS } from '../terminal/modem-kit.js';
import type { GatewayFrameEditor, GatewayFrameObserver } from './types.js';

export interface T38ToAudioOptions {
  /** The modems and tone generators (default FAXWIRE_MODEMS). */
  readonly kit?: AudioModemKit;
  /** Applied to each good V.21 frame before it is played (from 't38'). */
  readonly editor?: GatewayFrameEditor;
  /** Each HDLC frame handed to the line (after editing), from 't38'. */
  readonly onFrame?: GatewayFrameObserver;
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Talker echo protection tone before fast training. */
  readonly tep?: boolean;
  /** T.38 data rate management method 1: generate TCF locally (training + 1.5 s of zeros). */
  readonly localTcf?: boolean;
  /** Longest run of flags/fill that keeps a burst alive waiting for late data, ms (default 5000). */
  readonly maxHoldMs?: number;
  /**
   * A signal that has had no IFP at all for this long is ended, ms (default 15 000: spandsp's
   * mid-receive backstop, the same as T38Line's).
   */
  readonly midRxTimeoutMs?: number;
  /** Longest HDLC frame played, octets (default 260: an ECM frame with 256 octets, T.30 Annex A). */
  readonly maxFrameLength?: number;
  /**
   * T38FaxFillBitRemoval was negotiated: the far end may have removed the fill that made each
   * row last the DCS's minimum scan-line time, so it is put back here (T.4 §4.1.3, T.30 Table 2
   * bits 21–23; T.38 §7.4 leaves re-insertion to the receiving gateway). Default false.
   */
  readonly fillBitRemoval?: boolean;
}

export interface T38ToAudioStats {
  ifpsReceived: number;
  indicatorsReceived: number;
  /** Indicators equal to the last one (repeats with a new sequence number). */
  repeatedIndicators: number;
  /** IFPs for V.8/V.34 and other signals this gateway does not remodulate. */
  ignoredIfps: number;
  missingPackets: number;
  /** Modem bursts started, by modulation. */
  bursts: Record<FaxModulation, number>;
  tonesPlayed: number;
  /** Signals started by data with no indicator before it. */
  signalsSynthesised: number;
  /** Signals refused because the queue was full. */
  signalsDropped: number;
  framesPlayedOk: number;
  /** Frames played with a wrong FCS (fcs-BAD, lost IFPs inside, overlong). */
  framesPlayedBad: number;
  framesEdited: number;
  /** Frames not played (burst gone, buffer full, empty after editing, wrong signal kind). */
  framesDropped: number;
  /** Frames cut by an indicator or sig-end (nothing to play). */
  framesAborted: number;
  /** HDLC flags beyond preamble, one per frame and the closing ones: waiting for late frames. */
  flagsAdded: number;
  /** Zero bits added at an EOL while non-ECM data was late (T.4 §4.1.3 fill). */
  fillBitsAtEol: number;
  /** Zero bits added before the first EOL of a page. */
  zeroBitsBeforeFirstEol: number;
  /** Zero bits added to a TCF. */
  tcfPadBits: number;
  nonEcmOctetsReceived: number;
  /** Non-ECM octets not played: burst gone, skipped by a resynchronisation, ring full. */
  nonEcmOctetsDropped: number;
  /** Non-ECM octets refused because the ring was full (included in nonEcmOctetsDropped). */
  overrunOctets: number;
  /** Resynchronisations at the next EOL after a gap in non-ECM data. */
  resyncs: number;
  /** Most data queued but not yet played, ms of line time. */
  maxBufferedMs: number;
  /** V.21 flag bursts started by `holdWithFlags` (the fax machine held while the answer is late). */
  holdsStarted: number;
  /** Of those, continued by the far end's own V.21 burst. */
  holdsAdopted: number;
  /** Bursts ended because flags/fill ran longer than maxHoldMs. */
  holdTimeouts: number;
  /** Signals ended because no IFP came for midRxTimeoutMs. */
  midRxTimeouts: number;
  /** TCFs generated locally (localTcf). */
  tcfGenerated: number;
  /** Zero bits added before EOLs so that rows last the DCS's minimum scan-line time (fillBitRemoval). */
  scanTimeFillBits: number;
  samplesSent: number;
}

const SAMPLES_PER_MS = 8;
/** T.30 §5.3.2.4: 75 ± 20 ms of silence between signals. */
const GAP_SAMPLES = 75 * SAMPLES_PER_MS;
/** See terminal/audio-line.ts: fast bursts start on a 40-sample grid (9 cycles of 1800 Hz). */
const CARRIER_GRID = 40;
/** T.30 §5.3.1: 1 s of flags before the first V.21 frame (300 bit/s: 37.5 flags). */
const V21_PREAMBLE_FLAGS = 38;
/** T.30 Annex A: 200 ms of flags before ECM frames on a fast modem. */
const FAST_PREAMBLE_MS = 200;
/** HdlcFramer's default closing flags. */
const CLOSING_FLAGS = 2;
/** T.30 §5.3.2.3: TCF is 1.5 s of zeros. */
const TCF_MS = 1500;
/** Longest tone played when its end is not heard (CED is 2.6–4 s, T.30 §5.2.4). */
const TONE_MAX_MS = 5000;
const RING_OCTETS = 1 << 16;
const RING_MASK = RING_OCTETS - 1;
const MAX_HDLC_BUFFER_OCTETS = 1 << 16;
const MAX_SIGNALS = 32;
/** Zeros of an EOL before its 1 (T.4 §4.1.2). */
const EOL_ZEROS = 11;

interface Signal {
  kind: 'tone' | 'hdlc' | 'non-ecm';
  /** undefined for tones. */
  readonly modulation: FaxModulation | undefined;
  readonly tone: 'cng' | 'ced' | undefined;
  readonly shortTrain: boolean;
  ended: boolean;
  /** Ended by a hold or mid-receive timeout: its late data is dropped. */
  cut: boolean;
  /** Taken off the queue (played, or dropped). */
  gone: boolean;
  /** Any data (frame or non-ECM octets) received for it. */
  hasData: boolean;
  // tone
  readonly startMs: number;
  toneSamples: number | undefined;
  // HDLC
  framer: HdlcFramer | undefined;
  preambleFlags: number;
  framesQueued: number;
  // non-ECM: absolute bit positions in the ring
  readonly startBit: number;
  endBit: number;
  readonly isTcf: boolean;
  /** Local TCF: zero bits still to generate (−1: not a local TCF). */
  tcfLeft: number;
}

/** Leading zero bits of a non-zero octet (first transmitted bit = MSB). */
function leadingZeros(o: number): number {
  return Math.clz32(o) - 24;
}

/** Trailing zero bits of a non-zero octet. */
function trailingZeros(o: number): number {
  return 31 - Math.clz32(o & -o);
}

export class T38ToAudio implements BitSource {
  private readonly kit: AudioModemKit;
  private readonly editor: GatewayFrameEditor | undefined;
  private readonly onFrame: GatewayFrameObserver | undefined;
  private readonly level: number;
  private readonly tep: boolean;
  private readonly localTcf: boolean;
  private readonly maxHoldSamples: number;
  private readonly maxHoldMs: number;
  private readonly midRxSamples: number;
  private readonly maxFrameLength: number;
  private readonly assembler: T38FieldAssembler;

  private readonly signals: Signal[] = [];
  /** The signal data is written to (the last one created), until the next one starts. */
  private writeSig: Signal | undefined;
  /** The V.21 burst `holdWithFlags` started, until the far end's own burst takes it over or it ends. */
  private holdSig: Signal | undefined;
  private lastIndicator: T30Indicator | undefined;

  // --- what the DCS/CTC going by said about the next fast signals
  private planEcm = false;
  private tcfNext = false;

  // --- non-ECM ring (absolute positions; octets are written whole)
  private readonly ring = new Uint8Array(RING_OCTETS);
  private writeOctets = 0;
  private readBit = 0;
  /** Bits of the write signal releasable to the modem (end of the last ≥ 11-zero run). */
  private releaseBit = 0;
  private zeroRun = 0;
  private resyncing = false;
  private resyncZeros = 0;

  // --- play-out
  private playing: Signal | undefined;
  private gen: ModemTransmitter | undefined;
  private played = 0;
  /** Sample (stream position) where the last burst ended; −∞ before the first. */
  private lastEnd = -Infinity;
  private starveBits = 0;
  // --- minimum scan-line time (fillBitRemoval): the DCS's time, and the row on the line
  private readonly fillBitRemoval: boolean;
  private minScanMs = 0;
  private minRowBits = 0;
  /** Zeros just played, and bits played since the last EOL's 1 (the row being played). */
  private outZeros = 0;
  private rowBits = 0;
  private holdSamples = 0;
  private lastRxSample = 0;

  private readonly stats: T38ToAudioStats;

  constructor(o: T38ToAudioOptions = {}) {
    this.kit = o.kit ?? FAXWIRE_MODEMS;
    this.editor = o.editor;
    this.onFrame = o.onFrame;
    this.level = o.levelDbm0 ?? -10;
    this.tep = o.tep ?? false;
    this.localTcf = o.localTcf ?? false;
    this.maxHoldMs = checkInt(o.maxHoldMs ?? 5000, 1, 600_000, 'maxHoldMs');
    this.maxHoldSamples = this.maxHoldMs * SAMPLES_PER_MS;
    this.midRxSamples = checkInt(o.midRxTimeoutMs ?? 15_000, 1, 3_600_000, 'midRxTimeoutMs') * SAMPLES_PER_MS;
    this.maxFrameLength = checkInt(o.maxFrameLength ?? HDLC_DEFAULT_MAX_FRAME, 1, 65535, 'maxFrameLength');
    this.fillBitRemoval = o.fillBitRemoval ?? false;
    this.assembler = new T38FieldAssembler({ maxFrameLength: this.maxFrameLength });
    const bursts = {} as Record<FaxModulation, number>;
    for (const m of FAX_MODULATIONS) bursts[m] = 0;
    this.stats = {
      ifpsReceived: 0,
      indicatorsReceived: 0,
      repeatedIndicators: 0,
      ignoredIfps: 0,
      missingPackets: 0,
      bursts,
      tonesPlayed: 0,
      signalsSynthesised: 0,
      signalsDropped: 0,
      framesPlayedOk: 0,
      framesPlayedBad: 0,
      framesEdited: 0,
      framesDropped: 0,
      framesAborted: 0,
      flagsAdded: 0,
      fillBitsAtEol: 0,
      scanTimeFillBits: 0,
      holdsStarted: 0,
      holdsAdopted: 0,
      zeroBitsBeforeFirstEol: 0,
      tcfPadBits: 0,
      nonEcmOctetsReceived: 0,
      nonEcmOctetsDropped: 0,
      overrunOctets: 0,
      resyncs: 0,
      maxBufferedMs: 0,
      holdTimeouts: 0,
      midRxTimeouts: 0,
      tcfGenerated: 0,
      samplesSent: 0,
    };
  }

  getStats(): T38ToAudioStats {
    const p = this.playing;
    // Flags of the burst on the line are counted when it ends; add what it has waited so far.
    const live = p?.framer !== undefined ? this.flagsAddedIn(p) : 0;
    return { ...this.stats, bursts: { ...this.stats.bursts }, flagsAdded: this.stats.flagsAdded + live };
  }

  /** Data queued but not yet played, ms of line time. */
  get bufferedMs(): number {
    let ms = 0;
    for (const s of this.signals) {
      if (s.modulation === undefined) continue;
      const rate = FAX_MODULATION_BIT_RATE[s.modulation];
      if (s.framer !== undefined) ms += (s.framer.bufferedOctets * 8000) / rate;
      if (s.kind === 'non-ecm' && s.tcfLeft < 0) {
        const end = s.ended ? s.endBit : this.writeOctets * 8;
        const from = Math.max(this.readBit, s.startBit);
        if (end > from) ms += ((end - from) * 1000) / rate;
      }
    }
    return ms;
  }

  /** Something other than silence is being played or is queued. */
  get signalActive(): boolean {
    return this.playing !== undefined || this.signals.length > 0;
  }

  // ===========================================================================================
  // Receive (T.38 side)
  // ===========================================================================================

  /** Tells the play-out that `count` IFPs were lost (an unrepaired UDPTL sequence gap). */
  markMissing(count: number): void {
    if (!(count > 0)) return;
    this.stats.missingPackets += count;
    this.assembler.markMissing(count);
    // The lost packet may have changed the indicator: the next one is news whatever it is.
    this.lastIndicator = undefined;
    const w = this.writeSig;
    if (w !== undefined && !w.ended && w.kind === 'non-ecm' && !w.isTcf && w.hasData && !this.resyncing) this.startResync();
  }

  /**
   * Holds the local fax machine while the answer to its command is late on the IP side (the
   * "spoofing" of T.38 gateways): starts a V.21 burst of flags now, when nothing is queued or
   * playing. A T.30 terminal that hears flags after a command knows its answer is coming and
   * waits for the frame instead of letting its response timer T4 (3 s ± 15 %, T.30 §5.4.3.2)
   * run out and repeating the command into the far end's answer. The far end's V.21 preamble
   * takes the burst over; its frames follow the flags. Anything else from the far end (a fast
   * training, a tone) ends the flags first; with nothing at all they stop after `maxHoldMs`.
   * Returns whether a hold was started.
   */
  holdWithFlags(now: number): boolean {
    if (this.signalActive) return false;
    const s = this.newSignal('hdlc', 'v21', undefined, false, now);
    if (s === undefined) return false;
    this.holdSig = s;
    // The far end's next indicator is news, whatever the last one was.
    this.lastIndicator = undefined;
    this.stats.holdsStarted++;
    return true;
  }

  /** One IFP from the IP side, in order; `now` is the T.38 side's clock (ms). */
  receive(ifp: Ifp, now: number): void {
    this.stats.ifpsReceived++;
    this.lastRxSample = this.stats.samplesSent;
    if (ifp.type === 't30-indicator') {
      this.stats.indicatorsReceived++;
      if (ifp.indicator === this.lastIndicator) {
        this.stats.repeatedIndicators++;
        return;
      }
      this.lastIndicator = ifp.indicator;
    } else if (dataTypeModulation(ifp.dataType) === undefined) {
      this.stats.ignoredIfps++;
      return;
    }
    for (const e of this.assembler.push(ifp)) this.onField(e, now);
    const b = this.bufferedMs;
    if (b > this.stats.maxBufferedMs) this.stats.maxBufferedMs = b;
  }

  private onField(e: T38FieldEvent, now: number): void {
    switch (e.kind) {
      case 'indicator': {
        const ind = e.indicator;
        const h = this.holdSig;
        if (h !== undefined && h === this.writeSig && !h.ended) {
          // Holding the fax machine with flags: the far end's silence before its answer does not
          // end them, and its V.21 preamble simply continues them (one burst, frames to follow).
          if (ind === 'no-signal') return;
          this.holdSig = undefined;
          if (ind === 'v21-preamble') {
            this.stats.holdsAdopted++;
            return;
          }
        }
        this.endWriteSignal(now);
        if (ind === 'no-signal') return;
        if (ind === 'cng' || ind === 'ced') {
          this.newSignal('tone', undefined, ind, false, now);
          return;
        }
        const m = indicatorModulation(ind);
        if (m === undefined) {
          this.stats.ignoredIfps++;
          return;
        }
        this.newSignal(m === 'v21' ? 'hdlc' : this.plannedKind(), m, undefined, ind.includes('short'), now);
        return;
      }
      case 'hdlc-frame': {
        const m = dataTypeModulation(e.dataType);
        if (m === undefined) return;
        const s = this.signalFor(m, 'hdlc', now);
        if (s === undefined) {
          this.stats.framesDropped++;
          return;
        }
        this.queueFrame(s, m, e.frame, e.ok);
        if (e.sigEnd) this.endWriteSignal();
        return;
      }
      case 'hdlc-aborted':
        this.stats.framesAborted++;
        return;
      case 'hdlc-sig-end': {
        const w = this.writeSig;
        if (w !== undefined && w.modulation === dataTypeModulation(e.dataType)) this.endWriteSignal();
        return;
      }
      case 'non-ecm-data': {
        const m = dataTypeModulation(e.dataType);
        if (m === undefined) return;
        this.stats.nonEcmOctetsReceived += e.data.length;
        const s = this.signalFor(m, 'non-ecm', now);
        if (s === undefined || s.tcfLeft >= 0) {
          // No burst to play it in, or a local TCF (its data is not used).
          this.stats.nonEcmOctetsDropped += e.data.length;
          return;
        }
        this.writeNonEcm(s, e.data);
        return;
      }
      case 'non-ecm-sig-end': {
        const w = this.writeSig;
        if (w !== undefined && w.modulation === dataTypeModulation(e.dataType)) this.endWriteSignal();
        return;
      }
      default:
        assertNever(e, 'assembled field');
    }
  }

  /** What a fast signal carries before its data says: TCF after a DCS, else what the DCS said. */
  private plannedKind(): 'hdlc' | 'non-ecm' {
    return !this.tcfNext && this.planEcm ? 'hdlc' : 'non-ecm';
  }

  /**
   * The signal data of modulation `m` and `kind` belongs to: the write signal, or one started
   * here (data with no indicator). undefined: the data is to be dropped.
   */
  private signalFor(m: FaxModulation, kind: 'hdlc' | 'non-ecm', now: number): Signal | undefined {
    let s = this.writeSig;
    if (s !== undefined && s.modulation === m && s.cut) return undefined; // late data of a cut burst
    if (s === undefined || s.ended || s.gone || s.modulation !== m) {
      this.endWriteSignal();
      this.stats.signalsSynthesised++;
      // The far end changed signal without an indicator: the next indicator is news.
      this.lastIndicator = undefined;
      s = this.newSignal(kind, m, undefined, false, now);
      if (s === undefined) return undefined;
    }
    if (s.kind !== kind) {
      // The plan guessed wrong (or no DCS was seen): the first data decides.
      if (s.hasData) return undefined;
      s.kind = kind;
      if (kind === 'hdlc') this.makeFramer(s);
      else this.resetNonEcmWrite(s);
    }
    s.hasData = true;
    return s;
  }

  private newSignal(kind: Signal['kind'], m: FaxModulation | undefined, tone: 'cng' | 'ced' | undefined, shortTrain: boolean, now: number): Signal | undefined {
    if (this.signals.length >= MAX_SIGNALS) {
      this.stats.signalsDropped++;
      this.writeSig = undefined;
      return undefined;
    }
    const fast = m !== undefined && m !== 'v21';
    const isTcf = fast && this.tcfNext;
    if (fast) this.tcfNext = false;
    const at = this.writeOctets * 8;
    const s: Signal = {
      kind: isTcf ? 'non-ecm' : kind,
      modulation: m,
      tone,
      shortTrain,
      ended: false,
      cut: false,
      gone: false,
      hasData: false,
      startMs: now,
      toneSamples: undefined,
      framer: undefined,
      preambleFlags: 0,
      framesQueued: 0,
      startBit: at,
      endBit: at,
      isTcf,
      tcfLeft: isTcf && this.localTcf && m !== undefined ? Math.round((TCF_MS * FAX_MODULATION_BIT_RATE[m]) / 1000) : -1,
    };
    if (s.tcfLeft >= 0) this.stats.tcfGenerated++;
    if (s.kind === 'hdlc') this.makeFramer(s);
    else if (s.kind === 'non-ecm') this.resetNonEcmWrite(s);
    this.signals.push(s);
    this.writeSig = s;
    return s;
  }

  private makeFramer(s: Signal): void {
    const m = s.modulation ?? 'v21';
    const f = new HdlcFramer({ bitOrder: 'msb-first', maxFrameLength: this.maxFrameLength, closingFlags: CLOSING_FLAGS });
    s.preambleFlags = m === 'v21' ? V21_PREAMBLE_FLAGS : Math.ceil((FAST_PREAMBLE_MS * FAX_MODULATION_BIT_RATE[m]) / 8000);
    f.preambleFlags(s.preambleFlags);
    s.framer = f;
  }

  /** Ends the signal data is written to (its end marker, the next indicator, or a timeout). */
  private endWriteSignal(now?: number): void {
    const s = this.writeSig;
    if (s === undefined) return;
    this.writeSig = undefined;
    this.endSignal(s, now);
  }

  /** `now`: the T.38 clock when the end was received (measures a tone); undefined for timeouts. */
  private endSignal(s: Signal, now?: number): void {
    if (s.ended) return;
    s.ended = true;
    // Only the write signal is ever open, and its data ends here.
    s.endBit = this.writeOctets * 8;
    s.framer?.finish();
    if (s.kind === 'tone') {
      const ms = now === undefined ? TONE_MAX_MS : Math.min(TONE_MAX_MS, Math.max(0, now - s.startMs));
      s.toneSamples = Math.round(ms * SAMPLES_PER_MS);
    }
    this.resyncing = false;
  }

  private queueFrame(s: Signal, m: FaxModulation, frame: Uint8Array, ok: boolean): void {
    if (s === this.holdSig) this.holdSig = undefined;
    const f = s.framer;
    if (f === undefined) return;
    let out = frame;
    if (m === 'v21' && ok && this.editor !== undefined) {
      out = this.editor.edit(frame, 't38');
      if (out !== frame) this.stats.framesEdited++;
    }
    if (out.length === 0 || out.length > this.maxFrameLength || f.bufferedOctets + out.length > MAX_HDLC_BUFFER_OCTETS) {
      this.stats.framesDropped++;
      return;
    }
    f.sendFrame(out, ok);
    s.framesQueued++;
    if (ok) this.stats.framesPlayedOk++;
    else this.stats.framesPlayedBad++;
    if (m === 'v21' && ok) this.snoop(out);
    this.onFrame?.(out, ok, m, 't38');
  }

  /** A DCS or CTC the local machine will hear names the next fast signals (T.30 §5.3.6.2.3, Annex A §A.4.3). */
  private snoop(frame: Uint8Array): void {
    if (this.fillBitRemoval) {
      const d = decodeT30Frame(frame);
      if (d.ok && d.value.type === 'DCS') this.minScanMs = d.value.dis.minScanLineTime?.ms ?? 0;
    }
    const p = fastModemFromFrame(frame);
    if (p === undefined) return;
    if (p.ecm !== undefined) {
      this.planEcm = p.ecm;
      this.tcfNext = true;
    } else {
      this.tcfNext = false;
    }
  }

  // --- non-ECM writing

  private resetNonEcmWrite(s: Signal): void {
    this.releaseBit = s.startBit;
    this.zeroRun = 0;
    this.resyncing = false;
  }

  private startResync(): void {
    this.resyncing = true;
    this.resyncZeros = 0;
    this.stats.resyncs++;
  }

  /** Appends received octets to the ring, tracking how far they are releasable (see the module comment). */
  private writeNonEcm(s: Signal, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const o = data[i] as number;
      if (this.resyncing) {
        // Drop up to the next EOL: ≥ 11 zeros then a 1.
        if (o === 0) {
          this.resyncZeros += 8;
          this.stats.nonEcmOctetsDropped++;
          continue;
        }
        if (this.resyncZeros + leadingZeros(o) < EOL_ZEROS) {
          this.resyncZeros = trailingZeros(o);
          this.stats.nonEcmOctetsDropped++;
          continue;
        }
        // The EOL: 16 zeros, then this octet (its bits before the 1 are zeros too).
        this.resyncing = false;
        if (!this.put(s, 0) || !this.put(s, 0)) return;
      }
      if (!this.put(s, o)) return;
    }
  }

  /** One octet into the ring; false (and a resynchronisation) when the ring is full. */
  private put(s: Signal, o: number): boolean {
    if (this.writeOctets - (this.readBit >>> 3) >= RING_OCTETS) {
      this.stats.overrunOctets++;
      this.stats.nonEcmOctetsDropped++;
      if (!this.resyncing && !s.isTcf) this.startResync();
      return false;
    }
    this.ring[this.writeOctets & RING_MASK] = o;
    const at = this.writeOctets * 8;
    this.writeOctets++;
    if (s.isTcf) {
      this.releaseBit = at + 8;
      return true;
    }
    if (o === 0) {
      this.zeroRun += 8;
      if (this.zeroRun >= EOL_ZEROS) this.releaseBit = at + 8;
    } else {
      const lead = leadingZeros(o);
      if (this.zeroRun + lead >= EOL_ZEROS) this.releaseBit = at + lead;
      this.zeroRun = trailingZeros(o);
    }
    return true;
  }

  // ===========================================================================================
  // Transmit (audio clock)
  // ===========================================================================================

  /** Writes `n` samples of the line at `out[offset…]` (silence when idle). */
  transmit(out: Int16Array, offset: number, n: number): void {
    const w = this.writeSig;
    if (w !== undefined && !w.ended && this.stats.samplesSent - this.lastRxSample >= this.midRxSamples) {
      // spandsp's mid-receive backstop: the end of the signal was lost.
      this.stats.midRxTimeouts++;
      w.cut = true;
      this.endWriteSignal();
      this.writeSig = w; // late data of it is dropped until the next indicator
    }
    let pos = 0;
    while (pos < n) {
      const at = this.stats.samplesSent + pos;
      const p = this.playing;
      if (p === undefined) {
        const next = this.signals[0];
        if (next === undefined) {
          out.fill(0, offset + pos, offset + n);
          break;
        }
        let start = Math.max(at, this.lastEnd + GAP_SAMPLES);
        if (next.modulation !== undefined && next.modulation !== 'v21') start += (CARRIER_GRID - (start % CARRIER_GRID)) % CARRIER_GRID;
        const k = Math.min(start - at, n - pos);
        if (k > 0) {
          out.fill(0, offset + pos, offset + pos + k);
          pos += k;
          continue;
        }
        this.startPlaying(next);
        continue;
      }
      const gen = this.gen;
      if (gen === undefined) {
        this.finishPlaying(at);
        continue;
      }
      let want = n - pos;
      if (p.kind === 'tone') {
        if (p.ended && p.toneSamples !== undefined) want = Math.min(want, p.toneSamples - this.played);
        if (want <= 0) {
          this.finishPlaying(at);
          continue;
        }
      } else if (p.framer !== undefined && p.kind === 'hdlc' && !p.ended) {
        // Flags only, waiting for a frame: how long may the burst wait?
        if (p.framer.idle) {
          this.holdSamples += want;
          if (this.holdSamples > this.maxHoldSamples) this.holdTimeout(p);
        } else {
          this.holdSamples = 0;
        }
      }
      const wrote = gen.tx(out, offset + pos, want);
      pos += wrote;
      this.played += wrote;
      if (wrote < want || gen.done) this.finishPlaying(this.stats.samplesSent + pos);
    }
    this.stats.samplesSent += n;
  }

  private startPlaying(s: Signal): void {
    this.playing = s;
    this.played = 0;
    this.holdSamples = 0;
    this.starveBits = 0;
    if (s.kind === 'tone') {
      const tone = s.tone ?? 'ced';
      this.stats.tonesPlayed++;
      this.gen = this.kit.tone(tone, TONE_MAX_MS * SAMPLES_PER_MS, this.level);
      return;
    }
    const m = s.modulation ?? 'v21';
    if (this.readBit < s.startBit) this.readBit = s.startBit;
    this.outZeros = 0;
    this.rowBits = 0;
    // The fast modem's rate and the DCS's time give the shortest row in bits (T.4 §4.1.3);
    // the DCS time is the one for 3.85 lines/mm — at finer resolutions it may be halved
    // (T.30 Table 2 note), so using it as is errs on the long side, which costs only time.
    this.minRowBits = this.fillBitRemoval && !s.isTcf && m !== 'v21' ? Math.ceil((this.minScanMs * FAX_MODULATION_BIT_RATE[m]) / 1000) : 0;
    this.stats.bursts[m]++;
    const opts: ModemTxOptions = m === 'v21' ? { levelDbm0: this.level } : { levelDbm0: this.level, shortTrain: s.shortTrain, tep: this.tep };
    this.gen = this.kit.transmitter(m, this, opts);
  }

  /** The burst on the line is over; `endAt`: its end in the stream (samples). */
  private finishPlaying(endAt: number): void {
    const s = this.playing;
    if (s !== undefined) {
      s.gone = true;
      if (!s.ended) {
        // The modem stopped by itself (local TCF done, tone over): the signal is over.
        s.cut = true;
        if (s === this.writeSig) {
          this.endWriteSignal();
          this.writeSig = s;
        } else this.endSignal(s);
      }
      if (s.framer !== undefined) this.stats.flagsAdded += this.flagsAddedIn(s);
      if (s.kind === 'non-ecm' && this.readBit < s.endBit) this.readBit = s.endBit;
      if (this.signals[0] === s) this.signals.shift();
    }
    this.playing = undefined;
    this.gen = undefined;
    this.lastEnd = endAt;
  }

  private flagsAddedIn(s: Signal): number {
    const f = s.framer;
    if (f === undefined) return 0;
    const st = f.getStats();
    return Math.max(0, st.flagsSent - s.preambleFlags - s.framesQueued - CLOSING_FLAGS);
  }

  private holdTimeout(s: Signal): void {
    this.stats.holdTimeouts++;
    s.cut = true;
    if (s === this.writeSig) {
      this.endWriteSignal();
      this.writeSig = s;
    } else this.endSignal(s);
  }

  // --- the BitSource the modems pull (hot path)

  /**
   * The next data bit of the burst on the line: the `BitSource` of the modems this class builds
   * (public only because they hold `this`; a caller has no reason to call it).
   */
  getBit(): number {
    const s = this.playing;
    if (s === undefined) return END_OF_DATA;
    if (s.kind === 'hdlc') return s.framer !== undefined ? s.framer.getBit() : END_OF_DATA;
    if (s.tcfLeft >= 0) {
      if (s.tcfLeft === 0) return END_OF_DATA;
      s.tcfLeft--;
      return 0;
    }
    const limit = s.ended ? s.endBit : this.releaseBit;
    const r = this.readBit;
    if (r < limit) {
      const bit = ((this.ring[(r >>> 3) & RING_MASK] as number) >>> (7 - (r & 7))) & 1;
      if (this.minRowBits > 0) {
        if (bit === 1 && this.outZeros >= EOL_ZEROS) {
          // The 1 that ends an EOL: a row shorter than the minimum scan-line time gets fill first.
          if (this.rowBits < this.minRowBits) {
            this.rowBits++;
            this.stats.scanTimeFillBits++;
            return 0;
          }
          this.rowBits = 0;
        }
        this.outZeros = bit === 0 ? this.outZeros + 1 : 0;
        this.rowBits++;
      }
      this.readBit = r + 1;
      this.starveBits = 0;
      return bit;
    }
    if (s.ended) return END_OF_DATA;
    this.outZeros++;
    this.rowBits++;
    // Nothing releasable: fill (T.4 §4.1.3) — at an EOL, before the page's first EOL, or TCF.
    if (s.isTcf) this.stats.tcfPadBits++;
    else if (r === s.startBit) this.stats.zeroBitsBeforeFirstEol++;
    else this.stats.fillBitsAtEol++;
    if (++this.starveBits * 1000 > this.maxHoldMs * FAX_MODULATION_BIT_RATE[s.modulation ?? 'v21']) this.holdTimeout(s);
    return 0;
  }
}
