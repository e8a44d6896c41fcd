/**
 * The T.38 gateway (sans-IO): a G3 fax machine on a G.711 audio leg on one side, a T.38 peer
 * (gateway or Internet-aware fax terminal) on UDPTL on the other (T.38 §5, Figure 1 — the
 * "emitting" and "receiving" gateway roles are both played, one per direction). The fax machine
 * must not notice that its call crossed an IP network.
 *
 * ```
 *  fax machine ──audio──▶ AudioToT38 (tones, V.21, fast modems → IFPs) ──▶ UdptlSender ──▶ IP
 *  fax machine ◀──audio── T38ToAudio (IFPs → modems, fax-aware play-out) ◀── UdptlReceiver ◀── IP
 *                         └──── one FaxMessageEditor edits the T.30 frames both ways ────┘
 * ```
 * Two clocks. The audio side runs on its own sample clock: `audioReceive` demodulates whatever
 * the fax machine sent (every sample, none slipped), `audioTransmit` generates the next `n`
 * samples of what the fax machine hears. A driver that keeps the audio leg healthy sends one
 * frame for each frame the fax machine sends, so the gateway's audio clock is the fax machine's.
 * The T.38 side runs on injected ms (`t38Receive(bytes, now)`, `tick(now)`). The two may differ
 * by the clock drift between the PSTN codec and the host (±1000 ppm is allowed for here): the
 * difference is absorbed by `T38ToAudio` — in the silences between bursts and by fill bits at
 * T.4 EOLs / extra HDLC flags — and never by slipping samples inside a burst.
 *
 * Call bookkeeping watches the frames the halves relay (after editing): DCS gives the rate and
 * ECM, an MCF (or RTP) answering a page-ending post-page message counts a page, DCN ends the
 * call. `finished` turns true once DCN has been relayed and played out (plus a short linger),
 * and `summary()` gives the one-line result the CLI prints.
 */

import type { FaxModulation } from '../../modem/modulation.js';
import { decodeIfpView, describeIfp, encodeIfpInto, IfpView, ifpFromView, ifpEncodedSize, type Ifp, type T38Version } from '../../t38/ifp.js';
import type { UdptlReceiverStats } from '../../t38/udptl-receiver.js';
import { UdptlTimedReceiver, type UdptlIfpSink } from '../../t38/udptl-timed-receiver.js';
import { UdptlSendBatch, UdptlSender, type UdptlErrorCorrection, type UdptlSenderStats } from '../../t38/udptl-sender.js';
import { decodeT30Frame } from '../../t30/frames.js';
import { invalid } from '../../util/check.js';
import type { AudioModemKit } from '../audio-receiver.js';
import { SPANDSP_REPEAT_COUNTS } from '../terminal/t38-line.js';
import { AudioToT38, type AudioToT38Stats } from './audio-to-t38.js';
import { FaxMessageEditor, type FaxMessageEditOptions } from './editor.js';
import { T38ToAudio, type T38ToAudioStats } from './t38-to-audio.js';
import type { GatewayIfp, GatewaySide } from './types.js';
import { slabCopy } from '../../util/slab.js';

export interface T38GatewayOptions {
  /** T38FaxVersion of the IP side (0..4, default 0). */
  readonly t38Version?: T38Version;
  /** UDPTL error recovery sent (T38FaxUdpEC). Default: redundancy 3 for every category. */
  readonly errorCorrection?: UdptlErrorCorrection;
  /** T38FaxMaxDatagram. Default 1400. */
  readonly maxDatagram?: number;
  /** UDPTL reorder window, datagrams (default 4: the play-out cushion hides the wait). */
  readonly reorderWindow?: number;
  /** Longest wait for a missing UDPTL seq, ms (default 120). */
  readonly reorderHoldMs?: number;
  /** Send spandsp's per-category repeats with the same seq (default false: redundancy covers loss). */
  readonly repeats?: boolean;
  /** Relay ECM (default true). false: the ECM bit is removed from DIS/DTC (the editor). */
  readonly ecm?: boolean;
  /** Data-rate management method 1 (local TCF) instead of 2 (transferred TCF, default). */
  readonly localTcf?: boolean;
  /** T38FaxFillBitRemoval negotiated: fill removed towards IP (and put back towards audio by the play-out). */
  readonly fillBitRemoval?: boolean;
  /** Message editing (NSx, V.8 bits, modems, T.6, rate cap). `ecm` above is merged in. */
  readonly edit?: FaxMessageEditOptions;
  /** Modems and tones (default faxwire's). */
  readonly kit?: AudioModemKit;
  /** Transmit level towards the fax machine, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Longest time the play-out keeps a burst alive with flags/fill waiting for late data, ms. */
  readonly maxHoldMs?: number;
  /** One line per IFP relayed each way, protocol-analyser style. */
  readonly onTrace?: (line: string) => void;
  /**
   * Spoofing of the T.30 response time: after the local fax machine's command (DIS/DTC, DCS and
   * its TCF, a post-page message, PPS, EOR, CTC, RR) this long of silence on both sides starts
   * V.21 flags towards it, so its T4 (3 s ± 15 %) does not expire while the answer crosses the
   * IP network (see T38ToAudio.holdWithFlags). Flags buy one more T4 from when they are
   * heard (T.30 §5.4.3.1 resets the timer once, on the flags; spandsp restarts 3 s), so they start
   * late enough to cover a slow answer yet before the shortest T4 (2.55 s): default 2000 ms; 0
   * turns it off.
   */
  readonly holdAfterMs?: number;
  /** Time after the call's DCN has been played/relayed before `finished` (default 500 ms). */
  readonly lingerMs?: number;
}

/** What the gateway reports as the call goes (takeEvents). */
export type GatewayEvent =
  | { readonly type: 'frame'; readonly from: GatewaySide; readonly name: string; readonly ok: boolean; readonly modulation: FaxModulation }
  | { readonly type: 'page'; readonly pages: number }
  | { readonly type: 'dcn'; readonly from: GatewaySide };

export interface GatewaySummary {
  /** Pages confirmed (MCF/RTP/PIP after a page-ending post-page message). */
  readonly pages: number;
  /** Rate from the last DCS (bit/s), 0 if none. */
  readonly bitRate: number;
  readonly ecm: boolean;
  /** DCN relayed after at least one confirmed page, with EOP (or PPS-EOP) as the last post-page message. */
  readonly completed: boolean;
  readonly ifpsSent: number;
  readonly datagramsSent: number;
  readonly ifpsReceived: number;
  /** IFPs the UDPTL receiver restored from redundancy or FEC. */
  readonly ifpsRecovered: number;
  /** IFPs lost for good (gaps nothing repaired) plus malformed ones. */
  readonly ifpsLost: number;
  /**
   * Play-out underruns, in bits of padding put on the line because the IP side's data was late:
   * HDLC flags (8 bits each) while waiting for a frame, fill zeros at T.4 EOLs and before a page's
   * first EOL, TCF zeros. Never silence inside a burst: this is what the fax machine got instead.
   */
  readonly underruns: number;
  /** Play-out overruns: octets refused because the buffer was full, plus signals dropped. */
  readonly overruns: number;
  /** Audio clock against the T.38 clock, ppm (positive: the audio side runs fast); undefined for the first 20 s. */
  readonly driftPpm: number | undefined;
}

export interface T38GatewayStats {
  readonly audioToT38: AudioToT38Stats;
  readonly t38ToAudio: T38ToAudioStats;
  readonly udptlTx: UdptlSenderStats;
  readonly udptlRx: UdptlReceiverStats;
  readonly editor: ReturnType<FaxMessageEditor['getStats']>;
  audioSamplesReceived: number;
  audioSamplesFilledIn: number;
  audioSamplesSent: number;
  ifpsSent: number;
  ifpsReceived: number;
  malformedIfps: number;
  lostIfps: number;
}

/**
 * UDPTL reorder window and wait. A gateway can afford to wait: its play-out keeps the fax machine
 * on flags or fill meanwhile, and T.30 timing has seconds to spare, not ms. 350 ms covers the
 * 300 ms of jitter the gateway is specified for (a datagram overtaken by every one sent in the
 * 300 ms after it: ~10 at 30 ms pacing, more at V.21), which a 4-datagram / 120 ms window did
 * not (measured in test/unit/fax/gateway-call-impaired.test.ts: 5 IFPs lost, 4 bad rows).
 */
const DEFAULT_REORDER_WINDOW = 32;
const DEFAULT_REORDER_HOLD_MS = 350;
/**
 * After a signal ends (no-signal sent) the line is quiet, so no later datagram would carry the
 * end's redundancy or FEC until the next signal, seconds later: a burst of loss there would cost
 * the end of a T.30 command and a repeat. So no-signal is repeated this many times, 30 ms apart,
 * with new sequence numbers (receivers ignore a repeated indicator — T38Line, spandsp's
 * t38_core): each carries the previous IFPs as secondaries, or closes their FEC groups.
 */
const END_REPEATS = 5;
const END_REPEAT_SAMPLES = 30 * 8;
const DEFAULT_LINGER_MS = 500;
/** Drift is reported once the two clocks have been compared over this long. */
const DRIFT_MIN_MS = 10_000;
/** Blocks over which the drift estimate keeps the upper envelope, ms. */
const DRIFT_BLOCK_MS = 5_000;

const NO_SIGNAL: Ifp = { type: 't30-indicator', indicator: 'no-signal' };

/** Commands after which the local fax machine waits (T4) for an answer on V.21 (T.30 §5.3.6.1). */
const AWAITS_V21_ANSWER = new Set(['DIS', 'DTC', 'DCS', 'MPS', 'EOP', 'EOM', 'PRI-MPS', 'PRI-EOP', 'PRI-EOM', 'PPS', 'EOR', 'CTC', 'RR']);
const DEFAULT_HOLD_AFTER_MS = 2000;

/** Post-page messages that end a page (T.30 §5.3.6.1.7; PPS carries them as FCF2 in ECM). */
const PAGE_END = new Set(['MPS', 'EOP', 'EOM', 'PRI-MPS', 'PRI-EOP', 'PRI-EOM']);
/** Answers that confirm the page (RTP: received, retrain next; PIP: received, operator wanted). */
const PAGE_CONFIRM = new Set(['MCF', 'RTP', 'PIP']);

/** The gateway writes spandsp's octet-per-field layout. */
const OCTET_FIELDS = { fieldAlignment: 'octet' } as const;

export class T38Gateway {
  readonly version: T38Version;
  private readonly sender: UdptlSender;
  private readonly udptlRx: UdptlTimedReceiver;
  private readonly editor: FaxMessageEditor;
  private readonly a2t: AudioToT38;
  private readonly t2a: T38ToAudio;
  private readonly onTrace: ((line: string) => void) | undefined;
  private readonly lingerMs: number;
  private readonly holdAfterSamples: number;
  /** The local fax machine sent a command and waits for the answer (hold armed). */
  private awaitingAnswer = false;
  /** Samples of silence both ways since then. */
  private quietSamples = 0;
  private readonly output: Uint8Array[] = [];
  // Per-packet work reuses these (no closure, result object or IFP copy per datagram).
  private readonly rxView = new IfpView();
  private readonly txBatch = new UdptlSendBatch();
  private txScratch = new Uint8Array(512);
  private rxNow = 0;
  private readonly rxSink: UdptlIfpSink = {
    ifp: (buf, start, end, seq, lost) => this.onIfp(buf, start, end, seq, lost, this.rxNow),
  };
  private events: GatewayEvent[] = [];
  /** no-signal repeats still to send after a signal's end, and audio samples since the last one. */
  private endRepeatsLeft = 0;
  private endRepeatSamples = 0;
  /** Latest T.38-side time seen. */
  private now = 0;
  private readonly counters = {
    audioSamplesReceived: 0,
    audioSamplesFilledIn: 0,
    audioSamplesSent: 0,
    ifpsSent: 0,
    ifpsReceived: 0,
    malformedIfps: 0,
    lostIfps: 0,
  };

  // --- call bookkeeping
  private pages = 0;
  private bitRate = 0;
  private ecm = false;
  /** The last post-page message seen, waiting for its answer (undefined: none pending). */
  private pendingPostPage: string | undefined;
  private lastPostPage: string | undefined;
  private dcnFrom: GatewaySide | undefined;
  /** Audio time (samples sent) when the DCN was out and the play-out idle. */
  private dcnDoneAt: number | undefined;
  // --- drift: audio time ahead of T.38 time, d = audio ms − T.38 ms since the first T.38 event,
  // sampled at T.38 events; per block of DRIFT_BLOCK_MS its highest value (the audio count can
  // only lag — a play-out cushion, a late frame — so the upper envelope is the clock's).
  private driftT0: number | undefined;
  private driftS0 = 0;
  private driftBlock = -1;
  private driftBest: { t: number; d: number } | undefined;
  private driftFirst: { t: number; d: number } | undefined;
  private driftLast: { t: number; d: number } | undefined;

  constructor(options: T38GatewayOptions = {}) {
    const v = options.t38Version ?? 0;
    if (!Number.isInteger(v) || v < 0 || v > 4) invalid(`t38Version ${v} (0..4)`);
    this.version = v;
    this.onTrace = options.onTrace;
    this.lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    const holdAfter = options.holdAfterMs ?? DEFAULT_HOLD_AFTER_MS;
    if (!Number.isFinite(holdAfter) || holdAfter < 0) invalid(`holdAfterMs = ${holdAfter}`);
    this.holdAfterSamples = Math.round(holdAfter * 8);
    const r = SPANDSP_REPEAT_COUNTS;
    this.sender = new UdptlSender({
      errorCorrection: options.errorCorrection ?? { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } },
      ...(options.maxDatagram !== undefined ? { maxDatagram: options.maxDatagram } : {}),
      ...(options.repeats === true ? { repeat: { indicator: r.indicator, control: r.control, controlEnd: r['control-end'], image: r.image, imageEnd: r['image-end'] } } : {}),
    });
    this.udptlRx = new UdptlTimedReceiver({ reorderWindow: options.reorderWindow ?? DEFAULT_REORDER_WINDOW, ifpVersion: v, holdMs: options.reorderHoldMs ?? DEFAULT_REORDER_HOLD_MS });
    this.editor = new FaxMessageEditor({ ...(options.edit ?? {}), ...(options.ecm === false ? { ecm: false } : {}) });
    const kit = options.kit !== undefined ? { kit: options.kit } : {};
    this.a2t = new AudioToT38(
      {
        ...kit,
        editor: this.editor,
        onFrame: (f, ok, m, from) => this.observe(f, ok, m, from),
        localTcf: options.localTcf ?? false,
        onTcf: (ok) => this.editor.tcfVerdict(ok),
        fillBitRemoval: options.fillBitRemoval ?? false,
      },
      (p) => this.sendIfp(p),
    );
    this.t2a = new T38ToAudio({
      ...kit,
      editor: this.editor,
      onFrame: (f, ok, m, from) => this.observe(f, ok, m, from),
      ...(options.levelDbm0 !== undefined ? { levelDbm0: options.levelDbm0 } : {}),
      ...(options.maxHoldMs !== undefined ? { maxHoldMs: options.maxHoldMs } : {}),
      localTcf: options.localTcf ?? false,
      fillBitRemoval: options.fillBitRemoval ?? false,
    });
  }

  // ============================================================================================
  // audio side (sample clock)

  /** `n` samples the fax machine sent (`input` null: a lost frame of `n` samples, ridden through). */
  audioReceive(input: Int16Array | null, offset = 0, n = input === null ? 160 : input.length - offset): void {
    if (input === null) {
      this.a2t.fillIn(n);
      this.counters.audioSamplesFilledIn += n;
    } else {
      this.a2t.receive(input, offset, n);
      this.counters.audioSamplesReceived += n;
    }
    if (this.endRepeatsLeft > 0) {
      this.endRepeatSamples += n;
      if (this.endRepeatSamples >= END_REPEAT_SAMPLES) {
        this.endRepeatSamples = 0;
        this.endRepeatsLeft--;
        this.sendNow({ ifp: NO_SIGNAL, category: 'indicator' });
      }
    }
  }

  /** The next `n` samples the fax machine hears, at `out[offset…]`. */
  audioTransmit(out: Int16Array, offset = 0, n = out.length - offset): void {
    this.t2a.transmit(out, offset, n);
    this.counters.audioSamplesSent += n;
    if (this.awaitingAnswer) this.spoofResponseTime(n);
    if (this.dcnFrom !== undefined && this.dcnDoneAt === undefined && !this.t2a.signalActive && !this.a2t.signalActive) {
      this.dcnDoneAt = this.counters.audioSamplesSent;
    }
  }

  /** Holds the local fax machine with flags when the answer to its command is late (see `holdAfterMs`). */
  private spoofResponseTime(n: number): void {
    if (this.t2a.signalActive) {
      // The answer (or something) is coming from the far end: nothing to hold.
      this.awaitingAnswer = false;
      return;
    }
    if (this.a2t.signalActive) {
      // The machine is still sending (a DCS's TCF follows it): the wait starts after.
      this.quietSamples = 0;
      return;
    }
    this.quietSamples += n;
    if (this.quietSamples < this.holdAfterSamples) return;
    this.awaitingAnswer = false;
    this.t2a.holdWithFlags(this.now);
  }

  // ============================================================================================
  // T.38 side (ms clock)

  /** One UDPTL datagram from the IP side. */
  t38Receive(datagram: Uint8Array, now: number): void {
    this.clock(now);
    this.rxNow = now;
    this.udptlRx.receiveInto(datagram, now, this.rxSink);
  }

  /** Runs the reorder wait's deadline. */
  tick(now: number): void {
    this.clock(now);
    if (this.udptlRx.expired(now)) {
      this.rxNow = now;
      this.udptlRx.giveUpInto(this.rxSink);
    }
  }

  /** When `tick` has something to do (ms), or undefined. */
  nextTimeout(): number | undefined {
    return this.udptlRx.deadline;
  }

  /** UDPTL datagrams to send, in order. */
  takeOutput(): Uint8Array[] {
    return this.output.splice(0, this.output.length);
  }

  takeEvents(): GatewayEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** DCN has gone through and been played out, and the linger has passed (audio time). */
  get finished(): boolean {
    return this.dcnDoneAt !== undefined && this.counters.audioSamplesSent - this.dcnDoneAt >= this.lingerMs * 8;
  }

  /** Something other than silence is being relayed either way. */
  get active(): boolean {
    return this.t2a.signalActive || this.a2t.signalActive;
  }

  summary(): GatewaySummary {
    const rx = this.udptlRx.getStats();
    const t2a = this.t2a.getStats();
    return {
      pages: this.pages,
      bitRate: this.bitRate,
      ecm: this.ecm,
      completed: this.dcnFrom !== undefined && this.pages > 0 && (this.lastPostPage === 'EOP' || this.lastPostPage === 'PRI-EOP'),
      ifpsSent: this.counters.ifpsSent,
      datagramsSent: this.sender.getStats().datagrams,
      ifpsReceived: this.counters.ifpsReceived,
      ifpsRecovered: rx.recoveredFromSecondary + rx.recoveredFromFec,
      ifpsLost: this.counters.lostIfps + this.counters.malformedIfps,
      underruns: t2a.flagsAdded * 8 + t2a.fillBitsAtEol + t2a.zeroBitsBeforeFirstEol + t2a.tcfPadBits,
      overruns: t2a.overrunOctets + t2a.signalsDropped,
      driftPpm: this.driftPpm(),
    };
  }

  getStats(): T38GatewayStats {
    return {
      audioToT38: this.a2t.getStats(),
      t38ToAudio: this.t2a.getStats(),
      udptlTx: this.sender.getStats(),
      udptlRx: this.udptlRx.getStats(),
      editor: this.editor.getStats(),
      ...this.counters,
    };
  }

  /** Data queued towards the fax machine, ms of line time (the latency the play-out adds now). */
  get playoutMs(): number {
    return this.t2a.bufferedMs;
  }

  // ============================================================================================

  private clock(now: number): void {
    this.now = now;
    const samples = this.audioSamples();
    // The audio leg is not up yet: nothing to compare (its start would read as a jump).
    if (samples === 0) return;
    if (this.driftT0 === undefined) {
      this.driftT0 = now;
      this.driftS0 = samples;
    }
    const t = now - this.driftT0;
    const d = (samples - this.driftS0) / 8 - t;
    const block = Math.floor(t / DRIFT_BLOCK_MS);
    if (block !== this.driftBlock) {
      // Block 0 is skipped: the legs settle there (a play-out filling its cushion, the other
      // leg starting later) and its first point, d = 0 by definition, would stand above them.
      if (this.driftBest !== undefined && this.driftBlock >= 1) {
        if (this.driftFirst === undefined) this.driftFirst = this.driftBest;
        else this.driftLast = this.driftBest;
      }
      this.driftBlock = block;
      this.driftBest = { t, d };
    } else if (this.driftBest !== undefined && d > this.driftBest.d) {
      this.driftBest = { t, d };
    }
  }

  private audioSamples(): number {
    return this.counters.audioSamplesReceived + this.counters.audioSamplesFilledIn;
  }

  /**
   * The audio clock against the T.38 clock, from the slope of the upper envelope of (audio time −
   * T.38 time) between the first and the last complete block. Only T.38 events sample it, so audio
   * that flows before the IP side starts or after it stops does not count.
   */
  private driftPpm(): number | undefined {
    const a = this.driftFirst;
    const b = this.driftLast;
    if (a === undefined || b === undefined || b.t - a.t < DRIFT_MIN_MS) return undefined;
    return Math.round(((b.d - a.d) / (b.t - a.t)) * 1e6);
  }

  private sendIfp(p: GatewayIfp): void {
    const end = p.ifp.type === 't30-indicator' && p.ifp.indicator === 'no-signal';
    this.endRepeatsLeft = end ? END_REPEATS : 0;
    this.endRepeatSamples = 0;
    this.sendNow(p);
  }

  private sendNow(p: GatewayIfp): void {
    // Encoded into a reused buffer; the datagram handed out is one private copy (same array per repeat).
    // Into the sender's staging area when it fits (the sender then copies with memmoves only).
    const size = ifpEncodedSize(p.ifp, this.version, OCTET_FIELDS);
    let buf = this.sender.staging;
    if (buf.length < size) {
      if (this.txScratch.length < size) this.txScratch = new Uint8Array(Math.max(size, 2 * this.txScratch.length));
      buf = this.txScratch;
    }
    const n = encodeIfpInto(p.ifp, this.version, buf, 0, OCTET_FIELDS);
    const b = this.txBatch;
    this.sender.sendInto(buf, 0, n, p.category, b);
    this.counters.ifpsSent++;
    const d = slabCopy(b.buffer, 0, b.length);
    for (let i = 0; i < b.copies; i++) this.output.push(d);
    if (this.onTrace) this.trace(this.counters.audioSamplesReceived / 8, 'TX', b.seq, describeIfp(p.ifp));
  }

  /** An IFP out of UDPTL (`buf[start, end)`, a view valid during the call), after `lost` IFPs nothing repaired. */
  private onIfp(buf: Uint8Array, start: number, end: number, seq: number, lost: number, now: number): void {
    if (lost > 0) {
      this.counters.lostIfps += lost;
      this.t2a.markMissing(lost);
    }
    const v = this.rxView;
    if (!decodeIfpView(buf, this.version, v, start, end)) {
      this.counters.malformedIfps++;
      this.t2a.markMissing(1);
      if (this.onTrace) this.trace(now, 'RX', seq, `MALFORMED (${v.errorCode ?? 'truncated'})`);
      return;
    }
    this.counters.ifpsReceived++;
    // T38ToAudio copies the field data it keeps (HDLC into the assembler, image data into its ring).
    const ifp = ifpFromView(buf, v);
    if (this.onTrace) this.trace(now, 'RX', seq, describeIfp(ifp));
    this.t2a.receive(ifp, now);
  }

  /** Follows the call from the frames both halves relay (T.30 §5.3.6). */
  private observe(frame: Uint8Array, ok: boolean, modulation: FaxModulation, from: GatewaySide): void {
    const d = ok ? decodeT30Frame(frame) : undefined;
    const name = d?.ok === true ? (d.value.type === 'unknown' ? 'unknown' : d.value.type) : 'bad';
    if (modulation === 'v21' || name !== 'FCD') this.events.push({ type: 'frame', from, name, ok, modulation });
    if (d?.ok !== true) return;
    const f = d.value;
    if (from === 'audio' && this.holdAfterSamples > 0 && modulation === 'v21') {
      // The last frame of a burst (final bit, T.30 §5.3.6.1) decides what the machine waits for.
      if (f.final) {
        this.awaitingAnswer = AWAITS_V21_ANSWER.has(f.type);
        this.quietSamples = 0;
      }
    } else if (from === 't38') {
      this.awaitingAnswer = false;
    }
    if (f.type === 'DCS') {
      this.bitRate = f.dis.rate.bitRate ?? 0;
      this.ecm = f.dis.ecm;
    } else if (f.type === 'PPS') {
      // PPS-NULL ends a block inside a page; the FCF2 says whether the page ends (T.30 Annex A).
      this.pendingPostPage = PAGE_END.has(f.fcf2) ? f.fcf2 : undefined;
    } else if (f.type === 'DCN') {
      if (this.dcnFrom === undefined) {
        this.dcnFrom = from;
        this.events.push({ type: 'dcn', from });
      }
    } else if (PAGE_END.has(f.type)) {
      this.pendingPostPage = f.type;
    } else if (PAGE_CONFIRM.has(f.type) && this.pendingPostPage !== undefined) {
      this.pages++;
      this.lastPostPage = this.pendingPostPage;
      this.pendingPostPage = undefined;
      this.events.push({ type: 'page', pages: this.pages });
    }
  }

  private trace(at: number, dir: 'TX' | 'RX', seq: number, what: string): void {
    this.onTrace?.(`TRACE ${at.toFixed(1).padStart(9)}ms ${dir} seq=${String(seq).padStart(5)} ${what}`);
  }
}
