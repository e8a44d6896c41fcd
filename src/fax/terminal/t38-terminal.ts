/**
 * T.38 fax terminal (sans-IO): a T.30 engine (T.30 §5, with T.4/T.6 pages and Annex A ECM) on
 * a T.38 line (`T38Line`: T.38 §5–§7, IFP timing and assembly) over UDPTL (T.38 §9.1, with
 * redundancy or parity FEC, `UdptlSender`/`UdptlReceiver`) or over TCP with TPKT framing
 * (RFC 1006 §6; T.38 §6.1 allows TCP). This is a T.38 endpoint with no modem anywhere — what
 * T.38 calls an Internet-aware fax device, the IP peer of a T.38 gateway or of another terminal.
 *
 * The engine ⇄ line pump, the call's end and its linger are the shared `FaxSession`
 * (../session.ts); this file adds what is T.38: the line's IFPs to and from the transport
 * (UDPTL datagrams or TPKT packets), loss reporting and the protocol-analyser trace.
 *
 * The driver (src/node) owns the socket and the clock:
 *
 * ```
 *   terminal.start(now)
 *   on datagram / TCP chunk:  terminal.receive(bytes, now)
 *   at terminal.nextTimeout(): terminal.tick(now)
 *   after each call:           send terminal.takeOutput(); read takeEvents(); stop when done
 * ```
 * Time is fax time in ms (any origin, monotonic). Nothing here throws on network input: bad
 * datagrams and IFPs are counted in `getStats()` and treated as lost.
 *
 * Reordering: datagrams that overtake each other are put back in order by the UDPTL receiver's
 * reorder window. A missing seq is waited for while at most `reorderWindow` later datagrams
 * have arrived (default 2) and for at most `reorderHoldMs` of fax time (default 60 ms); then
 * it is given up. The budget: paced IFPs leave about every 30 ms (one 30 ms chunk of data each,
 * t38-line.ts), so two datagrams are about 60 ms of the far end's signal. That covers the usual
 * overtaking — IFPs sent within a few ms of each other (the last data and `hdlc-fcs-OK`, an
 * indicator and the first data) and a jitter spread of a couple of chunks — while delaying what
 * we hear by no more than 60 ms: a small part of the T.30 response budget (our answer follows
 * the far end's signal; its T4 timer waits 3 s), and about the depth of a VoIP jitter buffer.
 * The time bound also covers the end of a signal, after which no later datagram comes to push
 * the window along. With UDPTL redundancy (the default) a seq overtaken by the next datagram is
 * usually restored from that datagram's secondaries at once, and nothing waits; the window
 * matters when the copies cannot help (no redundancy, parity FEC, a loss or overtaking deeper
 * than the redundancy). spandsp and Asterisk use no window at all: a missing seq is lost as
 * soon as a later one is processed (`reorderWindow: 0` does the same here).
 *
 * Loss handling: a UDPTL sequence gap the receiver could not repair (no redundancy/FEC copy
 * arrived) is reported to the line, which marks the HDLC frame in progress bad (its FCS no
 * longer covers what arrived) — T.30 then recovers (a repeated command, PPR in ECM); in non-ECM
 * the image data is simply short and the decoder counts bad rows.
 */

import type { T30Event, T30Stats } from '../../t30/engine.js';
import type { T30Result } from '../../t30/result.js';
import { decodeIfpView, describeIfp, encodeIfpInto, IfpView, ifpEncodedSize, ifpFromView, type T38Version } from '../../t38/ifp.js';
import { encodeTpkt, TpktParser } from '../../t38/tpkt.js';
import type { UdptlReceiverStats } from '../../t38/udptl-receiver.js';
import { UdptlTimedReceiver, type UdptlIfpSink } from '../../t38/udptl-timed-receiver.js';
import { UdptlSendBatch, UdptlSender, type UdptlErrorCorrection, type UdptlSenderStats } from '../../t38/udptl-sender.js';
import { FaxwireError } from '../../util/errors.js';
import { slabCopy } from '../../util/slab.js';
import { createT30Engine, FaxSession, type FaxTerminalOptions, type T30EngineLike } from '../session.js';
import { SPANDSP_REPEAT_COUNTS, T38_LINE_ENCODING, T38Line, type T38LineStats, type T38RateManagement, type T38TxPacket } from './t38-line.js';

export type T38TransportKind = 'udptl' | 'tpkt';

/** UDPTL reorder window, in datagrams (about 60 ms of paced IFPs; see the module comment). */
const DEFAULT_REORDER_WINDOW = 2;
/** Longest wait for a missing UDPTL seq, fax ms. */
const DEFAULT_REORDER_HOLD_MS = 60;

/** The T.30 options of a T.38 terminal: those every fax terminal takes (`FaxTerminalOptions`). */
export type T38TerminalFaxOptions = FaxTerminalOptions;

export interface T38TerminalOptions<E = T30Event> extends Partial<T38TerminalFaxOptions> {
  /** Run this engine instead of building a `T30Engine` from the fax options (tests). */
  readonly engine?: T30EngineLike<E>;
  /** 'udptl' (datagrams, default) or 'tpkt' (a TCP byte stream). */
  readonly transport?: T38TransportKind;
  /** T38FaxVersion; must match the far end (0..4, default 0). */
  readonly t38Version?: T38Version;
  /** UDPTL error recovery (T38FaxUdpEC). Default: redundancy 3 for every category. */
  readonly errorCorrection?: UdptlErrorCorrection;
  /** T38FaxMaxDatagram (UDPTL). Default 1400. */
  readonly maxDatagram?: number;
  /**
   * UDPTL reorder window: later datagrams that may arrive while a missing seq is still waited
   * for (UdptlReceiver `reorderWindow`, 0..1024). Default 2 (about 60 ms of paced IFPs; see the
   * module comment). 0: a missing seq is lost as soon as a later one arrives (spandsp, Asterisk).
   */
  readonly reorderWindow?: number;
  /** Longest fax time (ms) IFPs wait behind a missing seq before it is given up. Default 60. */
  readonly reorderHoldMs?: number;
  /** Send spandsp's per-category repeats (same seq) on UDPTL. Default true when paced. */
  readonly repeats?: boolean;
  /** Real-time pacing. Default true for UDPTL, false for TPKT. */
  readonly paced?: boolean;
  /** Data-rate management (T38FaxRateManagement), given to the engine too. Default 'transferred'. */
  readonly tcf?: T38RateManagement;
  /** Send t30-indicator packets (default true). */
  readonly indicators?: boolean;
  /** Called with one line per IFP sent/received (protocol-analyser style), when given. */
  readonly onTrace?: (line: string) => void;
  /** Fax time the terminal lingers after the result so the last packets leave (default 100 ms). */
  readonly lingerMs?: number;
}

export interface T38TerminalStats {
  /** The T.30 engine's counters (when the engine has them). */
  readonly t30?: T30Stats;
  readonly line: T38LineStats;
  readonly udptlTx?: UdptlSenderStats;
  readonly udptlRx?: UdptlReceiverStats;
  /** IFPs received (after UDPTL recovery / TPKT deframing). */
  ifpsReceived: number;
  /** IFPs that did not decode in the negotiated T.38 version (treated as lost). */
  malformedIfps: number;
  /** IFPs the UDPTL receiver declared lost (sequence gaps nothing repaired). */
  lostIfps: number;
  /** Output units produced (datagrams incl. repeats, or TPKT packets). */
  outputs: number;
  /** TCP stream framing errors (the stream is unusable after one). */
  tcpFramingErrors: number;
}

export class T38Terminal<E = T30Event> {
  readonly transport: T38TransportKind;
  readonly version: T38Version;
  private readonly session: FaxSession<E>;
  private readonly line: T38Line;
  private readonly sender: UdptlSender | undefined;
  private readonly udptlRx: UdptlTimedReceiver | undefined;
  private readonly tpkt: TpktParser | undefined;
  private readonly onTrace: ((line: string) => void) | undefined;
  private readonly output: Uint8Array[] = [];
  private receiveReadyFlag = true;
  private transportErrorInfo: { readonly code: 'tcp-framing-error'; readonly message: string } | undefined;
  private readonly counters = { ifpsReceived: 0, malformedIfps: 0, lostIfps: 0, outputs: 0, tcpFramingErrors: 0 };
  // Per-packet work reuses these (no closure, result object or IFP copy per datagram).
  private readonly rxView = new IfpView();
  private readonly txBatch = new UdptlSendBatch();
  private txScratch = new Uint8Array(512);
  private rxNow = 0;
  /** Skip ticks before the next due time (engines built here only: an injected one may do more on a tick). */
  private readonly quietTicks: boolean;
  /** Fax time before which `tick` has nothing to do, valid while not `wakeStale`. */
  private wakeAt = -Infinity;
  private wakeStale = true;
  private readonly rxSink: UdptlIfpSink = {
    ifp: (buf, start, end, seq, lost) => this.onUdptlIfp(buf, start, end, seq, lost, this.rxNow),
  };

  constructor(options: T38TerminalOptions<E>) {
    let engine: T30EngineLike<E>;
    this.quietTicks = options.engine === undefined;
    if (options.engine) {
      engine = options.engine;
    } else {
      if (options.role === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'T38Terminal needs a role (or an engine)');
      // Without an injected engine, E is T30Event (the constructor signature's default).
      engine = createT30Engine({ ...options, role: options.role }) as unknown as T30EngineLike<E>;
    }
    this.transport = options.transport ?? 'udptl';
    this.version = options.t38Version ?? 0;
    const paced = options.paced ?? this.transport === 'udptl';
    this.line = new T38Line({
      version: this.version,
      paced,
      tcf: options.tcf ?? 'transferred',
      indicators: options.indicators ?? true,
      // UDPTL without a trace: each IFP is framed as the line makes it (no packet, IFP or data
      // copy per IFP; the same datagrams in the same order as through takePackets). A trace
      // keeps the collected packets, whose TX lines then follow the RX ones as they always did.
      ...(this.transport === 'udptl' && options.onTrace === undefined ? { onPacket: this.sendNow } : {}),
    });
    this.session = new FaxSession(engine, this.line, options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {});
    this.onTrace = options.onTrace;
    if (this.transport === 'udptl') {
      const repeats = options.repeats ?? paced;
      const r = SPANDSP_REPEAT_COUNTS;
      this.sender = new UdptlSender({
        errorCorrection: options.errorCorrection ?? { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } },
        ...(options.maxDatagram !== undefined ? { maxDatagram: options.maxDatagram } : {}),
        ...(repeats ? { repeat: { indicator: r.indicator, control: r.control, controlEnd: r['control-end'], image: r.image, imageEnd: r['image-end'] } } : {}),
      });
      this.udptlRx = new UdptlTimedReceiver({
        reorderWindow: options.reorderWindow ?? DEFAULT_REORDER_WINDOW,
        ifpVersion: this.version,
        holdMs: options.reorderHoldMs ?? DEFAULT_REORDER_HOLD_MS,
      });
    } else if (this.transport === 'tpkt') {
      this.tpkt = new TpktParser();
    } else {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `unknown transport ${String(this.transport)}`);
    }
  }

  /** Starts the call at fax time `now` (the calling party's CNG, the answering party's CED). */
  start(now: number): void {
    this.session.start(now);
    this.sendPackets();
  }

  /** One UDPTL datagram, or one chunk of the TCP byte stream (any chunking). */
  receive(bytes: Uint8Array, now: number): void {
    const hadError = this.transportErrorInfo !== undefined;
    this.session.beginInput(now);
    this.feed(bytes, now);
    this.session.endInput(now);
    if (!hadError && this.transportErrorInfo !== undefined) {
      // RFC 1006 §6 has no resynchronisation: nothing more can be read on this connection, so
      // the call ends now (DCN still goes out: our direction of the stream is sound) instead of
      // waiting for T1/T2/T4 to notice the silence.
      this.session.abort(now, 'local');
    }
    this.sendPackets();
  }

  /**
   * Set when the transport itself failed (today: a TPKT framing error on TCP, code
   * 'tcp-framing-error'); the call was ended at once. The T.30 result then says 'local-abort'.
   */
  get transportError(): { readonly code: 'tcp-framing-error'; readonly message: string } | undefined {
    return this.transportErrorInfo;
  }

  /** Runs timers and paced transmission up to `now`. */
  /**
   * Receiver flow control (see `FaxSession.setReceiveReady`): `false` while the page sink is
   * slow makes an ECM receiver answer RNR instead of MCF until `true` comes back.
   */
  setReceiveReady(ready: boolean, now: number): void {
    this.receiveReadyFlag = ready;
    this.session.setReceiveReady(ready, now);
    this.sendPackets();
  }

  /** What `setReceiveReady` last said (true until it is called). */
  get receiveReady(): boolean {
    return this.receiveReadyFlag;
  }

  /**
   * Confirm-after-store (fax option `confirmAfterStore`): the page delivered last was stored
   * (MCF) or could not be (DCN, result 'page-not-stored'); see `T30Engine.confirmPage`.
   */
  confirmPage(stored: boolean, now: number, detail = ''): void {
    this.session.confirmPage(stored, now, detail);
    this.sendPackets();
  }

  /**
   * Runs timers and paced transmission up to `now`. Calling it more often than `nextTimeout()`
   * asks is harmless and cheap: a tick before that time returns at once (it has nothing to do).
   */
  tick(now: number): void {
    if (this.quietTicks && this.session.started) {
      // A tick before `nextTimeout()` finds nothing due (no transmit action, receive or UDPTL
      // timeout, T.30 timer or linger end): it would only run the engine ⇄ line pump to no
      // effect. With hundreds of calls ticked every 20 ms that empty pass, over objects no
      // longer in cache, was a sixth of the CPU. The time is computed once after each change.
      if (this.wakeStale) {
        this.wakeAt = this.nextTimeout() ?? Infinity;
        this.wakeStale = false;
      }
      if (now < this.wakeAt) return;
    }
    if (this.udptlRx?.expired(now) === true) this.session.input(now, () => this.giveUpHeld(now));
    else this.session.tick(now);
    this.sendPackets();
  }

  /**
   * Ends the call from outside: 'local' — the application hangs up (the engine sends DCN, the
   * result is 'local-abort'); 'remote' — the far end is gone (TCP closed, SIP BYE): no DCN.
   */
  abort(now: number, why: 'local' | 'remote'): void {
    this.session.abort(now, why);
    this.sendPackets();
  }

  /** When `tick` should next be called (fax ms), or undefined when nothing is pending. */
  nextTimeout(): number | undefined {
    const t = this.session.nextTimeout();
    const h = this.udptlRx?.deadline;
    return t === undefined ? h : h === undefined ? t : Math.min(t, h);
  }

  /** Datagrams (UDPTL) or TCP octets (TPKT) to send now, in order. */
  takeOutput(): Uint8Array[] {
    // Nothing to send (most calls): a shared frozen empty array, not a new one per call.
    if (this.output.length === 0) return NO_OUTPUT as Uint8Array[];
    return this.output.splice(0, this.output.length);
  }

  /** The engine's events since the last call. */
  takeEvents(): E[] {
    return this.session.takeEvents();
  }

  /** The T.30 result once phase E is over. */
  get result(): T30Result | undefined {
    return this.session.result;
  }

  /** The call is over and what it had to send has left (plus a short linger). */
  get done(): boolean {
    return this.session.done;
  }

  getStats(): T38TerminalStats {
    const t30 = this.session.engineStats();
    return {
      ...(t30 ? { t30 } : {}),
      line: this.line.getStats(),
      ...(this.sender ? { udptlTx: this.sender.getStats() } : {}),
      ...(this.udptlRx ? { udptlRx: this.udptlRx.getStats() } : {}),
      ...this.counters,
    };
  }

  // -------------------------------------------------------------------------------------------

  /** Gives the line what arrived: IFPs out of UDPTL (after recovery) or out of the TPKT stream. */
  private feed(bytes: Uint8Array, now: number): void {
    if (this.udptlRx) {
      // A wait that should have ended before this datagram (a late driver) ends first.
      if (this.udptlRx.expired(now)) this.giveUpHeld(now);
      this.rxNow = now;
      this.udptlRx.receiveInto(bytes, now, this.rxSink);
    } else if (this.tpkt) {
      const errorsBefore = this.tpkt.getStats().errors;
      for (const payload of this.tpkt.push(bytes)) this.onIfp(payload, 0, payload.length, undefined, now);
      if (this.tpkt.getStats().errors > errorsBefore) {
        // Framing is lost for good on this connection (RFC 1006 has no resynchronisation).
        this.counters.tcpFramingErrors++;
        this.transportErrorInfo ??= { code: 'tcp-framing-error', message: `TPKT framing error (${this.tpkt.error?.code ?? '?'}): ${this.tpkt.error?.message ?? ''}` };
        this.trace(now, 'RX', undefined, `TPKT framing error: ${this.tpkt.error?.message ?? ''}`);
      }
    }
  }

  /** An IFP out of UDPTL (`buf[start, end)`, a view valid during the call), after `lost` IFPs nothing repaired. */
  private onUdptlIfp(buf: Uint8Array, start: number, end: number, seq: number, lost: number, now: number): void {
    if (lost > 0) {
      this.counters.lostIfps += lost;
      this.line.markMissing(lost, now);
      if (this.onTrace) this.trace(now, 'RX', undefined, `${lost} IFP(s) lost before seq ${seq}`);
    }
    this.onIfp(buf, start, end, seq, now);
  }

  /** One IFP, `buf[start, end)`: decoded in place (the line copies what it keeps). */
  private onIfp(buf: Uint8Array, start: number, end: number, seq: number | undefined, now: number): void {
    const v = this.rxView;
    if (!decodeIfpView(buf, this.version, v, start, end)) {
      this.counters.malformedIfps++;
      this.line.markMissing(1, now);
      if (this.onTrace) this.trace(now, 'RX', seq, `MALFORMED (${v.errorCode ?? 'truncated'}) ifp=${hexHead(buf, start, end)}`);
      return;
    }
    this.counters.ifpsReceived++;
    if (this.onTrace) {
      const ifp = ifpFromView(buf, v);
      this.trace(now, 'RX', seq, `${describeIfp(ifp)}  ifp=${hexHead(buf, start, end)}`);
      this.line.receive(ifp, now);
      return;
    }
    // Straight from the view: no Ifp, field objects or data views per datagram.
    this.line.receiveView(buf, v, now);
  }

  /**
   * The reorder wait is over: the UDPTL receiver delivers what it holds and declares the missing
   * seqs lost. Everything held arrived after the wait began, so no IFP waits longer than
   * `reorderHoldMs` (a gap that opened later in the wait is given up with the first one).
   */
  private giveUpHeld(now: number): void {
    if (!this.udptlRx) return;
    if (this.onTrace) this.trace(now, 'RX', undefined, `reorder wait over after ${this.udptlRx.holdMs} ms`);
    this.rxNow = now;
    this.udptlRx.giveUpInto(this.rxSink);
  }

  /** The line's `onPacket`: frames one IFP at once (the sender exists by the time the line runs). */
  private readonly sendNow = (p: T38TxPacket): void => this.send(p);

  /** Frames the IFPs the line has made due for the transport. */
  private sendPackets(): void {
    // Every operation ends here: what is due next may have changed.
    this.wakeStale = true;
    for (const p of this.line.takePackets()) this.send(p);
  }

  private send(p: T38TxPacket): void {
    if (this.sender) {
      // The IFP encoded into a reused buffer (the line's `bytes` would be a new array each time).
      // Into the sender's staging area when it fits (the sender then copies with memmoves only).
      const size = ifpEncodedSize(p.ifp, this.version, T38_LINE_ENCODING);
      let buf = this.sender.staging;
      if (buf.length < size) {
        if (this.txScratch.length < size) this.txScratch = new Uint8Array(Math.max(size, 2 * this.txScratch.length));
        buf = this.txScratch;
      }
      const n = encodeIfpInto(p.ifp, this.version, buf, 0, T38_LINE_ENCODING);
      const b = this.txBatch;
      this.sender.sendInto(buf, 0, n, p.category, b);
      if (this.onTrace) this.trace(p.at, 'TX', b.seq, `${describeIfp(p.ifp)}  ifp=${hexHead(p.bytes)} count=${b.copies}`);
      // Handed to the driver: a private copy, the same array for every repeat (from a shared
      // slab: the driver drops it once sent).
      const d = slabCopy(b.buffer, 0, b.length);
      for (let i = 0; i < b.copies; i++) this.output.push(d);
      this.counters.outputs += b.copies;
    } else {
      if (this.onTrace) this.trace(p.at, 'TX', undefined, `${describeIfp(p.ifp)}  ifp=${hexHead(p.bytes)}`);
      this.output.push(encodeTpkt(p.bytes));
      this.counters.outputs++;
    }
  }

  private trace(at: number, dir: 'TX' | 'RX', seq: number | undefined, what: string): void {
    if (!this.onTrace) return;
    const s = seq === undefined ? '     ' : String(seq).padStart(5);
    this.onTrace(`TRACE ${at.toFixed(1).padStart(9)}ms ${dir} seq=${s} ${what}`);
  }
}

/** What takeOutput returns when there is nothing: frozen, so that a caller's push fails loudly. */
const NO_OUTPUT: readonly Uint8Array[] = Object.freeze([]);

/** The first 24 octets of `b[start, end)` in hex, for traces. */
function hexHead(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end && i < start + 24; i++) s += (b[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}
