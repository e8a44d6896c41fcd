/**
 * The T.38 line of a T.38 fax terminal (sans-IO): what the T.30 engine asks to transmit
 * (`T30TxStep`: tones, silence, HDLC bursts, TCF, non-ECM pages) becomes a timed sequence of
 * IFPs (T.38 §5, §6 and §7), and the IFPs received from the far end become `T30LineEvent`s.
 * No sockets and no clock: time (ms, any origin) is passed in, `nextTimeout()` says when the
 * next packet is due, `takePackets()` hands over the IFPs whose time has come.
 *
 * Transmit, paced (UDP: a receiving gateway plays the signals into a real modem, so they must
 * arrive no faster than that modem would carry them):
 *
 * ```
 *  signal            IFPs (one field each)                     time spent after each
 *  ---------------   ---------------------------------------   ---------------------------------
 *  before a modem    ind no-signal (when not already sent)     75 ms (T.30 §5.3.2.4 silence)
 *  HDLC burst        ind v21-preamble | <fast>-training        training + flags (1 s at V.21,
 *                                                               T.30 §5.3.1; 200 ms fast modems)
 *                    data hdlc-data × ⌈frame / chunk⌉           octets × 8 / bit rate each
 *                    data hdlc-fcs-OK (not the last frame)     FCS + closing flags + stuffing bits
 *                    data hdlc-fcs-OK-sig-end (last frame)     same + 100 ms carrier tail
 *                    ind no-signal                             → tx-done
 *  TCF / page        ind <fast>-training                       training time
 *                    data t4-non-ecm-data × n                  30 ms each
 *                    3 chunks of zero fill, the last one as    (zeros after RTC / after the TCF
 *                    t4-non-ecm-sig-end with data              zeros are harmless fill, T.4 §4.1)
 *                    ind no-signal (60 ms later)               → tx-done
 *  CNG / CED         ind no-signal, 200 ms, ind cng | ced      the tone's duration → tx-done
 * ```
 * A chunk is 30 ms of data: `30 × bitRate / 8000` octets (54 at 14 400 bit/s, 1 at V.21).
 * These are the shapes and delays spandsp 0.0.6's T.38 terminal produces (measured in
 * `interop/spandsp-peer/results/*.trace.txt`; training times from its modem start-up table:
 * V.17 long 1393 ms / short 142 ms, V.29 234 ms, V.27ter 708 ms @4800 / 943 ms @2400, CED
 * 3 s, no-signal 75 ms, +215 ms TEP when enabled). The code here is our own.
 *
 * Transmit, unpaced (TCP, T.38 §6.1 — a reliable stream has no real-time relation to keep): the
 * same IFPs with no waiting inside a signal, data in chunks of up to 300 octets, no fill, a
 * non-ECM signal ending with its last data in `t4-non-ecm-sig-end`. Tones and silences still
 * take their time (they are the T.30 engine's timing, not data).
 *
 * Each packet carries spandsp's per-category repeat `count` (indicators 3, control data 1,
 * control data end 3, image data 1, image data end 3): the transport may send that many copies
 * with the same sequence number.
 *
 * Data-rate management (T38FaxRateManagement, T.38 Annex D / SDP): method 2
 * ("transferredTCF", the default) sends TCF as `t4-non-ecm-data` zeros like any non-ECM
 * signal; method 1 ("localTCF") sends no TCF at all (a `tcf` step completes at once and
 * nothing is expected from the far end — the engine is told with its own `tcf: 'local'`).
 *
 * Receive: `T38FieldAssembler` turns IFPs into frames and data. Accepted quirks (T.38 §7.4 and
 * what deployed peers send): V.21 bursts ending with `hdlc-fcs-OK-sig-end` (spandsp's terminal)
 * or with `hdlc-fcs-OK` + `hdlc-sig-end` (its gateway); key packets repeated with the same
 * sequence number (dropped by the transport) or a new one (filtered here and in the assembler);
 * HDLC or image data with no preamble/training indicator before it (a `signal` event is
 * synthesised); a lost signal end (a following indicator, a data type change or a 15 s silence
 * — spandsp's mid-receive backstop — ends the signal).
 */

import { FAX_MODULATION_BIT_RATE, INTER_SIGNAL_SILENCE_MS, preambleMs, trainingMs, type FaxModulation } from '../../modem/modulation.js';
import type { T30LineEvent, T30TxStep } from '../../t30/line.js';
import { T38FieldAssembler, type T38FieldAssemblerStats, type T38FieldEvent } from '../../t38/field-assembler.js';
import {
  encodeIfp,
  IFP_FIELD_TYPES,
  T30_DATA_TYPES,
  T30_INDICATORS,
  type Ifp,
  type IfpField,
  type IfpFieldType,
  type IfpView,
  type T30DataType,
  type T30Indicator,
  type T38Version,
} from '../../t38/ifp.js';
import { dataTypeModulation, indicatorModulation, modulationDataType, modulationIndicator } from '../../t38/modulation-map.js';
import type { UdptlCategory } from '../../t38/udptl-sender.js';
import { FaxwireError, assertNever } from '../../util/errors.js';

/** T.38 data-rate management (T38FaxRateManagement): 'local' = method 1, 'transferred' = method 2. */
export type T38RateManagement = 'transferred' | 'local';

export interface T38LineOptions {
  /** T.38 version (selects the ASN.1 module of the IFP encoding, T.38 Annex A). */
  readonly version: T38Version;
  /** Real-time pacing (UDP, default true) or as fast as possible (TCP). */
  readonly paced?: boolean;
  /** Data-rate management method. Default 'transferred' (method 2). */
  readonly tcf?: T38RateManagement;
  /** Send t30-indicator packets (default true). */
  readonly indicators?: boolean;
  /** Add the 215 ms of V.17/V.29/V.27ter talker echo protection tone to training times. */
  readonly tep?: boolean;
  /** Milliseconds of data per paced chunk (default 30, as spandsp). */
  readonly chunkMs?: number;
  /** Octets per IFP when unpaced (default 300, as spandsp). */
  readonly unpacedChunk?: number;
  /** A received signal with no IFP for this long is ended (default 15 000 ms). */
  readonly midRxTimeoutMs?: number;
  /** Longest HDLC frame accepted (default 1024). */
  readonly maxFrameLength?: number;
  /**
   * Hand each IFP to this sink as it is made instead of collecting it for `takePackets()` (which
   * then returns nothing): no packet object, IFP object or data copy per IFP. `p` and `p.ifp`
   * are reused for the next IFP and the field data is a view of the step's own octets, so the
   * sink must use them (encode the IFP) before it returns. Default: none (packets collected).
   */
  readonly onPacket?: (p: T38TxPacket) => void;
}

/** One IFP the line wants sent. */
export interface T38TxPacket {
  /** Fax time (ms) the packet is due; `takePackets()` only returns packets due by `now`. */
  readonly at: number;
  readonly ifp: Ifp;
  /** The IFP encoded for the line's T.38 version. */
  readonly bytes: Uint8Array;
  /** Category for redundancy depth and repeats (T.38 §9.1; udptl-sender.ts). */
  readonly category: UdptlCategory;
  /** spandsp's repeat count for the category (1 or 3; 1 for everything when unpaced). */
  readonly count: number;
}

/** The octet-per-field layout spandsp writes (and the line sends). */
export const T38_LINE_ENCODING = { fieldAlignment: 'octet' } as const;

/**
 * A packet as the line makes it. `bytes` is encoded on first use only: the T.38 terminal encodes
 * `ifp` straight into its own reused buffer (encodeIfpInto with T38_LINE_ENCODING) instead, so
 * the image data of a page costs no encoded copy per IFP.
 */
class TxPacket implements T38TxPacket {
  private encoded: Uint8Array | undefined;
  constructor(
    readonly at: number,
    readonly ifp: Ifp,
    readonly category: UdptlCategory,
    readonly count: number,
    private readonly version: T38Version,
  ) {}

  get bytes(): Uint8Array {
    return (this.encoded ??= encodeIfp(this.ifp, this.version, T38_LINE_ENCODING));
  }
}

/** The one packet an `onPacket` line hands over, again and again (see T38LineOptions.onPacket). */
class ReusedTxPacket implements T38TxPacket {
  at = 0;
  ifp: Ifp = { type: 't30-indicator', indicator: 'no-signal' };
  category: UdptlCategory = 'indicator';
  count = 1;
  constructor(private readonly version: T38Version) {}

  get bytes(): Uint8Array {
    return encodeIfp(this.ifp, this.version, T38_LINE_ENCODING);
  }
}

/** An HDLC data IFP whose fields the line rewrites for each IFP it hands to `onPacket`. */
interface MutableHdlcIfp {
  readonly type: 't30-data';
  dataType: T30DataType;
  readonly fields: [{ type: IfpFieldType; data?: Uint8Array }];
}

export interface T38LineStats {
  stepsStarted: number;
  stepsDone: number;
  tcfSkipped: number;
  ifpsSent: number;
  indicatorsSent: number;
  hdlcFramesSent: number;
  nonEcmOctetsSent: number;
  fillOctetsSent: number;
  ifpsReceived: number;
  indicatorsReceived: number;
  repeatedIndicators: number;
  framesReceivedOk: number;
  framesReceivedBad: number;
  framesAborted: number;
  hdlcOctetsReceived: number;
  nonEcmOctetsReceived: number;
  signalsSynthesised: number;
  signalsEndedImplicitly: number;
  midRxTimeouts: number;
  missingPackets: number;
  ignoredIfps: number;
}

/** Silence before CNG/CED at call start (T.30 §5.2: 0.2 s after connection). */
const TONE_LEAD_MS = 200;
/** Extra time after an HDLC burst's last frame before carrier off (spandsp: ATAs drop data otherwise). */
const HDLC_TAIL_MS = 100;
/** Extra time after the last non-ECM chunk. */
const NON_ECM_TAIL_MS = 60;
/** FCS (16) + worst-case stuffing in the FCS (3) + two closing flags (16), in bits. */
const FRAME_TRAILER_BITS = 35;
const DEFAULT_CHUNK_MS = 30;
const DEFAULT_UNPACED_CHUNK = 300;
const DEFAULT_MID_RX_TIMEOUT = 15_000;

/** spandsp's paced repeat counts (t38_terminal.c INDICATOR_TX_COUNT / DATA_TX_COUNT / DATA_END_TX_COUNT). */
export const SPANDSP_REPEAT_COUNTS: Readonly<Record<UdptlCategory, number>> = {
  indicator: 3,
  control: 1,
  'control-end': 3,
  image: 1,
  'image-end': 3,
};

/**
 * Bits an HDLC frame adds to its octets on the line besides the octets themselves: zero bits
 * stuffed after five consecutive ones (ISO 3309 / T.30 §5.3.6.1; octets go out LSB first, and
 * our frame octets hold the first bit as MSB, so bits are scanned MSB first), plus the FCS and
 * two closing flags.
 */
export function hdlcExtraBits(frame: Uint8Array): number {
  // Octet at a time through a table (the frame's IFPs are timed by it: 8 bits per octet in a loop
  // were 7 % of a call's CPU).
  const t = stuffTable();
  let ones = 0;
  let stuffed = 0;
  for (let i = 0; i < frame.length; i++) {
    const e = t[(ones << 8) | (frame[i] ?? 0)] ?? 0;
    stuffed += e >>> 3;
    ones = e & 7;
  }
  return stuffed + FRAME_TRAILER_BITS;
}

let stuffing: Uint8Array | undefined;

/**
 * For a run of `ones` (0..4) ones before an octet, entry (ones << 8) | octet holds the zero bits
 * stuffed inside the octet (× 8) plus the run of ones after it — the bit loop done once per case.
 */
function stuffTable(): Uint8Array {
  if (stuffing) return stuffing;
  const t = new Uint8Array(5 << 8);
  for (let run = 0; run < 5; run++) {
    for (let octet = 0; octet < 256; octet++) {
      let ones = run;
      let stuffed = 0;
      for (let b = 7; b >= 0; b--) {
        if ((octet >>> b) & 1) {
          if (++ones === 5) {
            stuffed++;
            ones = 0;
          }
        } else {
          ones = 0;
        }
      }
      t[(run << 8) | octet] = (stuffed << 3) | ones;
    }
  }
  stuffing = t;
  return t;
}

/** What takePackets/takeEvents return when there is nothing: frozen, so that a caller's push fails loudly. */
const NO_PACKETS: readonly T38TxPacket[] = Object.freeze([]);
const NO_LINE_EVENTS: readonly T30LineEvent[] = Object.freeze([]);

/** A t30-data IFP with one field (of modulation `m`'s data type). */
function hdlcIfp(m: FaxModulation, type: IfpFieldType, d: Uint8Array | undefined): Ifp {
  const f: IfpField = d ? { type, data: d } : { type };
  return { type: 't30-data', dataType: modulationDataType(m), fields: [f] };
}

/** One scheduled action of the current transmit step. */
type TxAction =
  | { readonly kind: 'ifp'; readonly ifp: Ifp; readonly category: UdptlCategory; readonly after: number }
  | { readonly kind: 'indicator'; readonly indicator: T30Indicator; readonly after: number }
  /** Only lets time pass. */
  | { readonly kind: 'wait'; readonly after: number }
  /**
   * The frames of an HDLC burst, cut into data IFPs only as the pacing reaches them (an ECM
   * block compiled in advance was thousands of objects held for the whole block).
   */
  | { readonly kind: 'hdlc'; readonly frames: readonly Uint8Array[]; readonly m: FaxModulation }
  | { readonly kind: 'done' };

interface RxSignal {
  readonly modulation: FaxModulation;
  /** What the data said so far: HDLC or non-ECM (undefined: only an indicator yet). */
  kind: 'hdlc' | 'non-ecm' | undefined;
}

function checkPositive(v: number, what: string, integer: boolean): number {
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `${what} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return v;
}

export class T38Line {
  private readonly version: T38Version;
  private readonly paced: boolean;
  private readonly tcf: T38RateManagement;
  private readonly sendIndicators: boolean;
  private readonly tep: boolean;
  private readonly chunkMs: number;
  private readonly unpacedChunk: number;
  private readonly midRxTimeout: number;
  private readonly assembler: T38FieldAssembler;

  // --- transmit state
  private readonly steps: T30TxStep[] = [];
  private actions: TxAction[] = [];
  private actionIndex = 0;
  /** Position in the running 'hdlc' action: frame index and octet offset in it. */
  private hdlcFrame = 0;
  private hdlcPos = 0;
  /** Fax time the next action is due (meaningful while a step runs). */
  private txClock = -Infinity;
  private stepRunning = false;
  /** Last indicator sent (or that would have been sent with indicators suppressed). */
  private txIndicator: T30Indicator | undefined;
  private readonly packets: T38TxPacket[] = [];
  private readonly sink: ((p: T38TxPacket) => void) | undefined;
  private readonly reused: ReusedTxPacket;
  private readonly hdlcScratch: MutableHdlcIfp = { type: 't30-data', dataType: 'v21', fields: [{ type: 'hdlc-data' }] };

  // --- receive state
  private rxIndicator: T30Indicator | undefined;
  private rxSignal: RxSignal | undefined;
  private lastRxAt = 0;
  private readonly events: T30LineEvent[] = [];
  private readonly assembled: T38FieldEvent[] = [];

  private readonly stats: T38LineStats = {
    stepsStarted: 0,
    stepsDone: 0,
    tcfSkipped: 0,
    ifpsSent: 0,
    indicatorsSent: 0,
    hdlcFramesSent: 0,
    nonEcmOctetsSent: 0,
    fillOctetsSent: 0,
    ifpsReceived: 0,
    indicatorsReceived: 0,
    repeatedIndicators: 0,
    framesReceivedOk: 0,
    framesReceivedBad: 0,
    framesAborted: 0,
    hdlcOctetsReceived: 0,
    nonEcmOctetsReceived: 0,
    signalsSynthesised: 0,
    signalsEndedImplicitly: 0,
    midRxTimeouts: 0,
    missingPackets: 0,
    ignoredIfps: 0,
  };

  constructor(options: T38LineOptions) {
    const v = options.version;
    if (!Number.isInteger(v) || v < 0 || v > 4) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `T.38 version ${v} (0..4)`);
    this.version = v;
    this.paced = options.paced ?? true;
    this.tcf = options.tcf ?? 'transferred';
    this.sendIndicators = options.indicators ?? true;
    this.tep = options.tep ?? false;
    this.chunkMs = checkPositive(options.chunkMs ?? DEFAULT_CHUNK_MS, 'chunkMs', false);
    this.unpacedChunk = checkPositive(options.unpacedChunk ?? DEFAULT_UNPACED_CHUNK, 'unpacedChunk', true);
    this.midRxTimeout = checkPositive(options.midRxTimeoutMs ?? DEFAULT_MID_RX_TIMEOUT, 'midRxTimeoutMs', false);
    this.assembler = new T38FieldAssembler(options.maxFrameLength === undefined ? {} : { maxFrameLength: options.maxFrameLength });
    this.sink = options.onPacket;
    this.reused = new ReusedTxPacket(v);
  }

  /** Octets per data IFP at `bitRate` (paced: 30 ms worth, at least 1). */
  octetsPerChunk(bitRate: number): number {
    if (!this.paced) return this.unpacedChunk;
    return Math.max(1, Math.floor((this.chunkMs * bitRate) / 8000));
  }

  /** Steps waiting or running (0 when the line is idle). */
  get pendingSteps(): number {
    return this.steps.length + (this.stepRunning ? 1 : 0);
  }

  getStats(): T38LineStats {
    return { ...this.stats };
  }

  /** Field-assembler counters (receive side), for diagnostics. */
  getAssemblerStats(): Readonly<T38FieldAssemblerStats> {
    return this.assembler.getStats();
  }

  // ===========================================================================================
  // Transmit
  // ===========================================================================================

  /** Queues the engine's transmit steps; they start at `now` at the earliest. */
  queue(steps: readonly T30TxStep[], now: number): void {
    if (steps.length === 0) return;
    // Steps queued while the line is idle start now; steps queued behind others follow them
    // back to back at their scheduled times (a late driver must not stretch the signals).
    if (!this.stepRunning && this.steps.length === 0 && this.txClock < now) this.txClock = now;
    for (const s of steps) this.steps.push(s);
    this.run(now);
  }

  /** Emits everything due by `now` (packets, tx-done events, receive timeouts). */
  tick(now: number): void {
    this.run(now);
    if (this.rxSignal && now - this.lastRxAt >= this.midRxTimeout) {
      this.stats.midRxTimeouts++;
      this.endRxSignal();
    }
  }

  /** When `tick` next has something to do, or undefined. */
  nextTimeout(): number | undefined {
    let t: number | undefined;
    if (this.stepRunning) t = this.txClock;
    if (this.rxSignal) {
      const r = this.lastRxAt + this.midRxTimeout;
      t = t === undefined ? r : Math.min(t, r);
    }
    return t;
  }

  /** IFPs due so far, in order. */
  takePackets(): T38TxPacket[] {
    // Nothing due (most calls): a shared frozen empty array, not a new one per call.
    if (this.packets.length === 0) return NO_PACKETS as T38TxPacket[];
    return this.packets.splice(0, this.packets.length);
  }

  /** Line events (tx-done and what was received), in order. */
  takeEvents(): T30LineEvent[] {
    if (this.events.length === 0) return NO_LINE_EVENTS as T30LineEvent[];
    return this.events.splice(0, this.events.length);
  }

  private run(now: number): void {
    for (;;) {
      if (!this.stepRunning) {
        const step = this.steps.shift();
        if (!step) return;
        this.actions = this.compile(step);
        this.actionIndex = 0;
        this.hdlcFrame = 0;
        this.hdlcPos = 0;
        this.stepRunning = true;
        this.stats.stepsStarted++;
      }
      while (this.actionIndex < this.actions.length) {
        if (this.txClock > now) return;
        const a = this.actions[this.actionIndex++];
        if (!a) break;
        switch (a.kind) {
          case 'hdlc':
            // One IFP per pass, so that the clock is checked between them as before.
            if (this.hdlcNext(a.frames, a.m)) this.actionIndex--;
            break;
          case 'ifp':
            this.emit(a.ifp, a.category);
            this.txClock += a.after;
            break;
          case 'indicator':
            this.txIndicator = a.indicator;
            if (this.sendIndicators) {
              this.emit({ type: 't30-indicator', indicator: a.indicator }, 'indicator');
              this.stats.indicatorsSent++;
            }
            this.txClock += a.after;
            break;
          case 'wait':
            this.txClock += a.after;
            break;
          case 'done':
            this.stepRunning = false;
            this.stats.stepsDone++;
            this.events.push({ kind: 'tx-done' });
            break;
          default:
            assertNever(a, 'tx action');
        }
      }
      this.stepRunning = false;
    }
  }

  private emit(ifp: Ifp, category: UdptlCategory): void {
    const count = this.paced ? SPANDSP_REPEAT_COUNTS[category] : 1;
    this.stats.ifpsSent++;
    const sink = this.sink;
    if (sink === undefined) {
      this.packets.push(new TxPacket(this.txClock, ifp, category, count, this.version));
      return;
    }
    const p = this.reused;
    p.at = this.txClock;
    p.ifp = ifp;
    p.category = category;
    p.count = count;
    sink(p);
  }

  /**
   * The IFP of one HDLC field: a new object (and a copy of the data) for `takePackets()`, the
   * line's reused one (and a view of the frame) when IFPs go straight to `onPacket`.
   */
  private hdlcIfpFor(m: FaxModulation, type: IfpFieldType, frame: Uint8Array | undefined, start = 0, end = 0): Ifp {
    if (this.sink === undefined) return hdlcIfp(m, type, frame?.slice(start, end));
    const x = this.hdlcScratch;
    x.dataType = modulationDataType(m);
    const f = x.fields[0];
    f.type = type;
    if (frame !== undefined) f.data = frame.subarray(start, end);
    else delete f.data;
    return x;
  }

  /** Time (ms) `octets` take at `bitRate`; 0 when unpaced. */
  private octetTime(octets: number, bitRate: number): number {
    return this.paced ? (octets * 8000) / bitRate : 0;
  }

  private bitTime(bits: number, bitRate: number): number {
    return this.paced ? (bits * 1000) / bitRate : 0;
  }

  /** Indicator action unless it is already the current one (an indicator marks a change of signal). */
  private indicator(out: TxAction[], indicator: T30Indicator, after: number): void {
    if (this.lastPlannedIndicator(out) !== indicator) out.push({ kind: 'indicator', indicator, after });
    else out.push({ kind: 'wait', after });
  }

  private lastPlannedIndicator(out: TxAction[]): T30Indicator | undefined {
    for (let i = out.length - 1; i >= 0; i--) {
      const a = out[i];
      if (a?.kind === 'indicator') return a.indicator;
    }
    return this.txIndicator;
  }

  /** The no-signal + 75 ms every modem signal starts with, unless silence is already on. */
  private leadSilence(out: TxAction[]): void {
    if (this.lastPlannedIndicator(out) !== 'no-signal') out.push({ kind: 'indicator', indicator: 'no-signal', after: this.paced ? INTER_SIGNAL_SILENCE_MS : 0 });
  }

  private trainingMs(m: FaxModulation, shortTrain: boolean): number {
    if (!this.paced) return 0;
    return trainingMs(m, shortTrain, this.tep);
  }

  /** Turns one engine step into timed actions, ending with `done`. */
  private compile(step: T30TxStep): TxAction[] {
    const out: TxAction[] = [];
    switch (step.kind) {
      case 'silence': {
        // Silence is signalled by no-signal; time passes even when it was already on.
        this.indicator(out, 'no-signal', step.ms);
        break;
      }
      case 'tone': {
        const ind: T30Indicator = step.tone;
        if (this.lastPlannedIndicator(out) === undefined) {
          // The first packet of a call: 200 ms of silence before CNG/CED, as spandsp does.
          out.push({ kind: 'indicator', indicator: 'no-signal', after: TONE_LEAD_MS });
        }
        this.indicator(out, ind, step.ms);
        break;
      }
      case 'hdlc':
        this.compileHdlc(out, step.modulation, step.frames, step.shortTrain ?? false);
        break;
      case 'tcf': {
        if (this.tcf === 'local') {
          // Method 1 (localTCF): the TCF never crosses the IP network.
          this.stats.tcfSkipped++;
          break;
        }
        const rate = FAX_MODULATION_BIT_RATE[step.modulation];
        const octets = Math.max(1, Math.round((step.ms * rate) / 8000));
        this.compileNonEcm(out, step.modulation, false, new Uint8Array(octets));
        break;
      }
      case 'image':
        this.compileNonEcm(out, step.modulation, step.shortTrain, step.data);
        break;
      default:
        assertNever(step, 'T30TxStep');
    }
    out.push({ kind: 'done' });
    return out;
  }

  private compileHdlc(out: TxAction[], m: FaxModulation, frames: readonly Uint8Array[], shortTrain: boolean): void {
    this.leadSilence(out);
    const flags = this.paced ? preambleMs(m) : 0;
    this.indicator(out, modulationIndicator(m, shortTrain), this.trainingMs(m, shortTrain) + flags);
    this.stats.hdlcFramesSent += frames.length;
    out.push({ kind: 'hdlc', frames, m });
    out.push({ kind: 'indicator', indicator: 'no-signal', after: 0 });
  }

  /**
   * Emits the next IFP of an HDLC burst (the same IFPs, categories and times as compiling the
   * whole burst up front did); true while more follow.
   */
  private hdlcNext(frames: readonly Uint8Array[], m: FaxModulation): boolean {
    const rate = FAX_MODULATION_BIT_RATE[m];
    const control = m === 'v21';
    const frame = frames[this.hdlcFrame];
    if (frame === undefined) {
      // No frames: only the end of the signal.
      this.emit(this.hdlcIfpFor(m, 'hdlc-sig-end', undefined), control ? 'control-end' : 'image-end');
      this.txClock += this.paced ? HDLC_TAIL_MS : 0;
      return false;
    }
    const p = this.hdlcPos;
    if (p < frame.length) {
      const end = Math.min(frame.length, p + this.octetsPerChunk(rate));
      this.hdlcPos = end;
      this.emit(this.hdlcIfpFor(m, 'hdlc-data', frame, p, end), control ? 'control' : 'image');
      this.txClock += this.octetTime(end - p, rate);
      return true;
    }
    const trailer = this.bitTime(hdlcExtraBits(frame), rate);
    this.hdlcFrame++;
    this.hdlcPos = 0;
    if (this.hdlcFrame === frames.length) {
      this.emit(this.hdlcIfpFor(m, 'hdlc-fcs-OK-sig-end', undefined), control ? 'control-end' : 'image-end');
      this.txClock += trailer + (this.paced ? HDLC_TAIL_MS : 0);
      return false;
    }
    this.emit(this.hdlcIfpFor(m, 'hdlc-fcs-OK', undefined), control ? 'control' : 'image');
    this.txClock += trailer;
    return true;
  }

  private compileNonEcm(out: TxAction[], m: FaxModulation, shortTrain: boolean, bytes: Uint8Array): void {
    const rate = FAX_MODULATION_BIT_RATE[m];
    const dataType = modulationDataType(m);
    const data = (type: IfpFieldType, d: Uint8Array | undefined): Ifp => ({
      type: 't30-data',
      dataType,
      fields: [d && d.length > 0 ? { type, data: d } : { type }],
    });
    this.leadSilence(out);
    this.indicator(out, modulationIndicator(m, shortTrain), this.trainingMs(m, shortTrain));
    const c = this.octetsPerChunk(rate);
    this.stats.nonEcmOctetsSent += bytes.length;
    let pos = 0;
    if (!this.paced) {
      // Unpaced: the last data goes in the sig-end, no fill.
      for (;;) {
        const len = Math.min(c, bytes.length - pos);
        const part = bytes.slice(pos, pos + len);
        pos += len;
        if (pos >= bytes.length) {
          out.push({ kind: 'ifp', ifp: data('t4-non-ecm-sig-end', part), category: 'image-end', after: 0 });
          break;
        }
        out.push({ kind: 'ifp', ifp: data('t4-non-ecm-data', part), category: 'image', after: 0 });
      }
      out.push({ kind: 'indicator', indicator: 'no-signal', after: 0 });
      return;
    }
    const chunkTime = this.octetTime(c, rate);
    for (;;) {
      const len = Math.min(c, bytes.length - pos);
      if (len === c) {
        out.push({ kind: 'ifp', ifp: data('t4-non-ecm-data', bytes.slice(pos, pos + c)), category: 'image', after: chunkTime });
        pos += c;
        continue;
      }
      // The end: the partial chunk is zero-filled to a whole one, then three more chunks' worth
      // of zeros follow (the last, possibly partial, as the sig-end). Zeros after RTC are fill
      // (T.4 §4.1) and keep a slow far-end modem from cutting the last rows.
      const last = new Uint8Array(c);
      last.set(bytes.subarray(pos, pos + len));
      out.push({ kind: 'ifp', ifp: data('t4-non-ecm-data', last), category: 'image', after: chunkTime });
      let trailer = 3 * c + len;
      this.stats.fillOctetsSent += c - len;
      for (;;) {
        trailer -= c;
        if (trailer <= 0) {
          const n = c + trailer;
          this.stats.fillOctetsSent += n;
          out.push({
            kind: 'ifp',
            ifp: data('t4-non-ecm-sig-end', new Uint8Array(n)),
            category: 'image-end',
            after: this.octetTime(n, rate) + NON_ECM_TAIL_MS,
          });
          break;
        }
        this.stats.fillOctetsSent += c;
        out.push({ kind: 'ifp', ifp: data('t4-non-ecm-data', new Uint8Array(c)), category: 'image', after: chunkTime });
      }
      break;
    }
    out.push({ kind: 'indicator', indicator: 'no-signal', after: 0 });
  }

  // ===========================================================================================
  // Receive
  // ===========================================================================================

  /** Tells the line that `count` IFPs were lost (an unrepaired sequence gap). */
  markMissing(count: number, _now?: number): void {
    if (count <= 0) return;
    this.stats.missingPackets += count;
    this.assembler.markMissing(count);
  }

  /** Feeds one received IFP. */
  receive(ifp: Ifp, now: number): void {
    this.stats.ifpsReceived++;
    this.lastRxAt = now;
    if (ifp.type === 't30-indicator') {
      this.stats.indicatorsReceived++;
      if (this.rxIndicator === ifp.indicator) {
        // A repeat with a new sequence number: an indicator marks a change of signal, so an
        // unchanged one carries nothing (spandsp ignores it too).
        this.stats.repeatedIndicators++;
        return;
      }
      this.rxIndicator = ifp.indicator;
      this.assemble(ifp);
      return;
    }
    const m = dataTypeModulation(ifp.dataType);
    if (m === undefined) {
      this.stats.ignoredIfps++;
      return;
    }
    // Data carrying octets with no signal (or another modulation's) running: the indicator was
    // lost or never sent — start the signal here.
    let carries = false;
    const fields = ifp.fields;
    if (fields) {
      for (const f of fields) {
        if (f.data !== undefined && f.data.length > 0 && (f.type === 'hdlc-data' || f.type === 't4-non-ecm-data' || f.type === 't4-non-ecm-sig-end')) {
          carries = true;
          break;
        }
      }
    }
    if (carries) this.dataWithoutIndicator(m);
    this.assemble(ifp);
  }

  /**
   * Data octets arrived on modulation `m`: unless that signal is already running (its indicator
   * was lost or never sent), it is started here, ending any other one.
   */
  private dataWithoutIndicator(m: FaxModulation): void {
    if (this.rxSignal?.modulation === m) return;
    if (this.rxSignal) {
      this.stats.signalsEndedImplicitly++;
      this.endRxSignal();
    }
    this.stats.signalsSynthesised++;
    this.startRxSignal(m);
    // The far end changed signal without an indicator: the next indicator is news, whatever it is.
    this.rxIndicator = undefined;
  }

  /**
   * `receive` for an IFP decoded in place (`decodeIfpView(buf, …, v)`): the same events and
   * counters, without materialising an `Ifp` (the terminal's per-datagram path).
   */
  receiveView(buf: Uint8Array, v: IfpView, now: number): void {
    this.stats.ifpsReceived++;
    this.lastRxAt = now;
    if (v.kind === 0) {
      this.stats.indicatorsReceived++;
      const indicator = T30_INDICATORS[v.value] ?? 'no-signal';
      if (this.rxIndicator === indicator) {
        this.stats.repeatedIndicators++;
        return;
      }
      this.rxIndicator = indicator;
      this.assembleView(buf, v);
      return;
    }
    const m = dataTypeModulation(T30_DATA_TYPES[v.value] ?? 'v21');
    if (m === undefined) {
      this.stats.ignoredIfps++;
      return;
    }
    let carries = false;
    if (v.hasDataField) {
      for (let i = 0; i < v.fieldCount; i++) {
        const type = IFP_FIELD_TYPES[v.fieldTypes[i] ?? 0] ?? 'hdlc-data';
        if ((v.fieldDataOffset[i] ?? -1) >= 0 && (v.fieldDataLength[i] ?? 0) > 0 && (type === 'hdlc-data' || type === 't4-non-ecm-data' || type === 't4-non-ecm-sig-end')) {
          carries = true;
          break;
        }
      }
    }
    if (carries) this.dataWithoutIndicator(m);
    this.assembleView(buf, v);
  }

  private assembleView(buf: Uint8Array, v: IfpView): void {
    const ev = this.assembled;
    ev.length = 0;
    this.assembler.pushView(buf, v, ev);
    for (let i = 0; i < ev.length; i++) {
      const e = ev[i];
      if (e) this.onAssembled(e);
    }
    ev.length = 0;
  }

  /** The assembler's events for one IFP, through a reused array. */
  private assemble(ifp: Ifp): void {
    const ev = this.assembled;
    ev.length = 0;
    this.assembler.pushInto(ifp, ev);
    for (let i = 0; i < ev.length; i++) {
      const e = ev[i];
      if (e) this.onAssembled(e);
    }
    ev.length = 0;
  }

  private startRxSignal(m: FaxModulation): void {
    this.rxSignal = { modulation: m, kind: undefined };
    this.events.push({ kind: 'signal', modulation: m });
  }

  /** Ends the running received signal (its end marker was lost or never sent). */
  private endRxSignal(): void {
    const s = this.rxSignal;
    if (!s) return;
    this.rxSignal = undefined;
    if (s.kind === 'non-ecm') this.events.push({ kind: 'non-ecm-end', modulation: s.modulation });
    else this.events.push({ kind: 'hdlc-end', modulation: s.modulation });
  }

  private onAssembled(e: T38FieldEvent): void {
    switch (e.kind) {
      case 'indicator': {
        const ind = e.indicator;
        if (this.rxSignal) {
          this.stats.signalsEndedImplicitly++;
          this.endRxSignal();
        }
        if (ind === 'no-signal') {
          this.events.push({ kind: 'no-signal' });
          return;
        }
        if (ind === 'cng' || ind === 'ced') {
          this.events.push({ kind: 'tone', tone: ind });
          return;
        }
        const m = indicatorModulation(ind);
        if (m === undefined) {
          this.stats.ignoredIfps++;
          return;
        }
        this.startRxSignal(m);
        return;
      }
      case 'hdlc-frame': {
        const m = dataTypeModulation(e.dataType) ?? 'v21';
        if (this.rxSignal) this.rxSignal.kind = 'hdlc';
        this.stats.hdlcOctetsReceived += e.frame.length;
        if (e.ok) this.stats.framesReceivedOk++;
        else this.stats.framesReceivedBad++;
        this.events.push({ kind: 'hdlc-frame', modulation: m, frame: e.frame, ok: e.ok });
        if (e.sigEnd && this.rxSignal) {
          this.rxSignal = undefined;
          this.events.push({ kind: 'hdlc-end', modulation: m });
        }
        return;
      }
      case 'hdlc-aborted': {
        // The frame was cut (indicator, type change, sig-end inside it): report it bad so the
        // engine knows something arrived and failed.
        this.stats.framesAborted++;
        if (e.octets > 0) {
          const m = dataTypeModulation(e.dataType) ?? 'v21';
          this.events.push({ kind: 'hdlc-frame', modulation: m, frame: new Uint8Array(0), ok: false });
        }
        return;
      }
      case 'hdlc-sig-end': {
        if (this.rxSignal) {
          const m = this.rxSignal.modulation;
          this.rxSignal = undefined;
          this.events.push({ kind: 'hdlc-end', modulation: m });
        }
        return;
      }
      case 'non-ecm-data': {
        const m = dataTypeModulation(e.dataType);
        if (m === undefined) return;
        if (!this.rxSignal) {
          this.stats.signalsSynthesised++;
          this.startRxSignal(m);
        }
        if (this.rxSignal) this.rxSignal.kind = 'non-ecm';
        this.stats.nonEcmOctetsReceived += e.data.length;
        // The assembler's data is a view into the received datagram; keep a private copy.
        this.events.push({ kind: 'non-ecm-data', modulation: m, data: e.data.slice() });
        return;
      }
      case 'non-ecm-sig-end': {
        const m = dataTypeModulation(e.dataType);
        if (m === undefined) return;
        if (this.rxSignal) {
          this.rxSignal = undefined;
          this.events.push({ kind: 'non-ecm-end', modulation: m });
        }
        return;
      }
      default:
        assertNever(e, 'assembled event');
    }
  }
}
