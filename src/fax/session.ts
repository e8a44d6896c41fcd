/**
 * The fax session (sans-IO): one T.30 engine driven against one line. This is what every fax
 * terminal shares, whatever carries its signals — T.38 IFPs (terminal/t38-terminal.ts) or, next,
 * fax modems over G.711 audio. The session is the pump between the two (T.30 §5 speaks of
 * signals; the line boundary is src/t30/line.ts):
 *
 * ```
 *   engine.takeTx()   ── line.queue(steps) ──▶   line    T30TxStep: tone, silence, hdlc, tcf, image
 *   engine.handle(ev) ◀── line.takeEvents() ──   line    T30LineEvent: tx-done, tone, signal, frames, data
 *   engine.tick(now), line.tick(now); nextTimeout() = the earlier of the two (and the linger)
 * ```
 *
 * Each move may cause another (a `tx-done` starts a response timer, a received command queues
 * the answer), so the session moves steps and events until both sides are quiet. It then notes
 * when the call is over: the engine has a result and the line has nothing left to send; `done`
 * turns true `lingerMs` of fax time later, so the last packets or samples get out.
 *
 * What is not here: the line's own input and output (datagrams, TCP octets, audio samples) and
 * the transport around it. The terminal owns those: it feeds the line inside `input(now, feed)`
 * and takes what the line produced after each call.
 *
 * Time is fax time in ms (any origin, monotonic), passed in to every call.
 */

import { stampHeaderLine } from '../image/text.js';
import type { Bitmap } from '../t4/bitmap.js';
import { T30Engine, type T30EngineOptions, type T30Event, type T30Stats } from '../t30/engine.js';
import type { T30LineEvent, T30TxStep } from '../t30/line.js';
import type { T30Result } from '../t30/result.js';
import { FaxwireError } from '../util/errors.js';

/** What a session needs from a T.30 engine (`T30Engine` implements it; tests may fake it). */
export interface T30EngineLike<E = unknown> {
  start(now: number): void;
  handle(ev: T30LineEvent, now: number): void;
  tick(now: number): void;
  nextTimeout(): number | undefined | null;
  takeTx(): T30TxStep[];
  takeEvents(): E[];
  readonly result: T30Result | undefined | null;
  /** Ends the call from outside ('local': hang up with DCN; 'remote': the far end is gone). */
  abort?(now: number, why: 'local' | 'remote'): void;
  /** Receiver flow control: whether the page sink can take the next page (T.30 Annex A, RNR). */
  setReceiveReady?(ready: boolean, now: number): void;
  /** Confirm-after-store: whether the page delivered last was stored (T30Engine.confirmPage). */
  confirmPage?(stored: boolean, now: number, detail?: string): void;
  getStats?(): T30Stats;
}

/**
 * What a session needs from a line (`T38Line` implements it). The line transmits the queued
 * steps one after the other and reports `tx-done` once per step when that step has left.
 */
export interface FaxSessionLine {
  /** Queues the engine's transmit steps; they start at `now` at the earliest. */
  queue(steps: readonly T30TxStep[], now: number): void;
  /** Does what is due by `now` (transmit timing, receive timeouts). */
  tick(now: number): void;
  /** Events for the engine (tx-done and what was received), in order. */
  takeEvents(): T30LineEvent[];
  /** When `tick` next has something to do, or undefined. */
  nextTimeout(): number | undefined;
  /** Steps waiting or being sent (0 when the line is idle). */
  readonly pendingSteps: number;
}

export interface FaxSessionOptions {
  /** Fax time the session lingers after the result so the last signals leave (default 100 ms). */
  readonly lingerMs?: number;
}

/** What takeEvents returns when there is nothing: frozen, so that a caller's push fails loudly. */
const NO_EVENTS: readonly never[] = Object.freeze([]);

/** A bound on engine ⇄ line exchanges per call (each round is one event or step batch). */
const MAX_PUMP = 10_000;

/** One T.30 engine driven against one line, in fax time. */
export class FaxSession<E = T30Event> {
  readonly engine: T30EngineLike<E>;
  private readonly line: FaxSessionLine;
  private readonly lingerMs: number;
  private events: E[] = [];
  private isStarted = false;
  private finishedAt: number | undefined;
  private lastNow = 0;

  constructor(engine: T30EngineLike<E>, line: FaxSessionLine, options: FaxSessionOptions = {}) {
    this.engine = engine;
    this.line = line;
    this.lingerMs = options.lingerMs ?? 100;
  }

  get started(): boolean {
    return this.isStarted;
  }

  /** Starts the call at fax time `now` (the engine's phase A: CNG or CED). */
  start(now: number): void {
    if (this.isStarted) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'session already started');
    this.isStarted = true;
    this.lastNow = now;
    this.engine.start(now);
    this.pump(now);
  }

  /**
   * Input from the far end at `now`: the line first does what was due before it, then `feed`
   * gives the line what arrived, then engine and line exchange until quiet.
   */
  input(now: number, feed: () => void): void {
    this.beginInput(now);
    feed();
    this.endInput(now);
  }

  /**
   * `input` without a closure (one per datagram otherwise): `beginInput(now)`, then give the line
   * what arrived, then `endInput(now)`.
   */
  beginInput(now: number): void {
    this.checkStarted();
    this.lastNow = now;
    this.line.tick(now);
  }

  /** See `beginInput`: engine and line exchange until quiet. */
  endInput(now: number): void {
    this.pump(now);
  }

  /** Runs timers and transmit timing up to `now`. */
  tick(now: number): void {
    this.checkStarted();
    this.lastNow = now;
    this.pump(now);
  }

  /**
   * Ends the call from outside: 'local' — the application hangs up (the engine sends DCN);
   * 'remote' — the far end is gone (TCP closed, SIP BYE): no DCN.
   */
  abort(now: number, why: 'local' | 'remote'): void {
    this.checkStarted();
    this.lastNow = now;
    this.engine.abort?.(now, why);
    this.pump(now);
  }

  /**
   * Receiver flow control: `false` while the application's page sink cannot take another page
   * (a slow disk, a full queue). An ECM receiver then answers the end of a page with RNR and the
   * RR that follow with RNR again, and confirms the page (MCF) only once `true` comes back —
   * T.30 Annex A; the transmitter gives up after T5 (60 s). Non-ECM has no RNR: the engine
   * answers as usual and warns. May be called before `start()`.
   */
  setReceiveReady(ready: boolean, now: number): void {
    this.engine.setReceiveReady?.(ready, now);
    if (this.isStarted) {
      this.lastNow = now;
      this.pump(now);
    }
  }

  /**
   * Confirm-after-store (engine option `confirmAfterStore`): the application stored the page it
   * got last (`stored` true → MCF) or could not (false, `detail` says why → DCN, result
   * 'page-not-stored'). See `T30Engine.confirmPage`.
   */
  confirmPage(stored: boolean, now: number, detail = ''): void {
    this.engine.confirmPage?.(stored, now, detail);
    if (this.isStarted) {
      this.lastNow = now;
      this.pump(now);
    }
  }

  /** When `tick` should next be called (fax ms), or undefined when nothing is pending. */
  nextTimeout(): number | undefined {
    if (!this.isStarted) return undefined;
    let t = this.line.nextTimeout();
    const e = this.engine.nextTimeout();
    if (e !== undefined && e !== null) t = t === undefined ? e : Math.min(t, e);
    if (this.finishedAt !== undefined && !this.done) {
      const l = this.finishedAt + this.lingerMs;
      t = t === undefined ? l : Math.min(t, l);
    }
    return t;
  }

  /** The engine's events since the last call. */
  takeEvents(): E[] {
    const e = this.events;
    // Nothing new (most calls, every 20 ms of every call): a shared frozen empty array.
    if (e.length === 0) return NO_EVENTS as unknown as E[];
    this.events = [];
    return e;
  }

  /** The T.30 result once phase E is over. */
  get result(): T30Result | undefined {
    return this.engine.result ?? undefined;
  }

  /** The call is over and what it had to send has left (plus the linger). */
  get done(): boolean {
    return this.finishedAt !== undefined && this.line.pendingSteps === 0 && this.lastNow >= this.finishedAt + this.lingerMs;
  }

  /** The engine's counters, when it has them. */
  engineStats(): T30Stats | undefined {
    return this.engine.getStats?.();
  }

  private checkStarted(): void {
    if (!this.isStarted) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'call start() first');
  }

  /** Moves events and steps between line and engine until both are quiet. */
  private pump(now: number): void {
    for (let i = 0; i < MAX_PUMP; i++) {
      this.line.tick(now);
      const lineEvents = this.line.takeEvents();
      for (const ev of lineEvents) this.engine.handle(ev, now);
      this.engine.tick(now);
      const steps = this.engine.takeTx();
      if (steps.length > 0) this.line.queue(steps, now);
      const evs = this.engine.takeEvents();
      for (let k = 0; k < evs.length; k++) this.events.push(evs[k] as E);
      if (lineEvents.length === 0 && steps.length === 0) break;
    }
    if (this.finishedAt === undefined && this.engine.result !== undefined && this.engine.result !== null && this.line.pendingSteps === 0) {
      this.finishedAt = now;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the engine a terminal runs

/**
 * T.30 options of a fax terminal (T.38 or audio): the engine's own (one definition, in `T30EngineOptions`), plus
 * the page header line and any other engine option.
 */
export interface FaxTerminalOptions extends Pick<T30EngineOptions, 'role' | 'send' | 'receive' | 'ident' | 'ecm' | 'modems' | 'maxBitRate' | 'codings' | 'confirmAfterStore' | 'retainPages' | 'pageBuffer'> {
  /**
   * A header line stamped at the top of every page sent (what fax machines print: the sender's
   * identity, date, page n/N — T.30 does not define it, national rules often require it).
   * The text is printed left, "Page n/N" right.
   */
  readonly headerLine?: string;
  /** Anything else the engine takes (copy quality, subaddress, codec, …). */
  readonly engineOptions?: Partial<T30EngineOptions>;
}

/**
 * Builds the T.30 engine a terminal runs from its fax options (pages with the header line
 * stamped; the engine's default page codec, `T4_CODEC`, unless `engineOptions` names another).
 */
export function createT30Engine(o: FaxTerminalOptions & { readonly tcf?: T30EngineOptions['tcf'] }): T30Engine {
  const pages = o.send?.pages;
  // The header line is stamped on each page when it is coded (a copy of one page at a time),
  // not on every page up front for the whole call.
  const header = o.headerLine;
  const opts: T30EngineOptions = {
    ...o.engineOptions,
    role: o.role,
    ...(pages
      ? { send: header !== undefined ? { pages, prepare: (p: Bitmap, i: number, n: number) => stampHeaderLine(p, header, i + 1, n) } : { pages } }
      : {}),
    ...(o.receive !== undefined ? { receive: o.receive } : {}),
    ...(o.ident !== undefined ? { ident: o.ident } : {}),
    ...(o.ecm !== undefined ? { ecm: o.ecm } : {}),
    ...(o.modems !== undefined ? { modems: o.modems } : {}),
    ...(o.maxBitRate !== undefined ? { maxBitRate: o.maxBitRate } : {}),
    ...(o.codings !== undefined ? { codings: o.codings } : {}),
    ...(o.confirmAfterStore !== undefined ? { confirmAfterStore: o.confirmAfterStore } : {}),
    ...(o.retainPages !== undefined ? { retainPages: o.retainPages } : {}),
    ...(o.pageBuffer !== undefined ? { pageBuffer: o.pageBuffer } : {}),
    ...(o.tcf !== undefined ? { tcf: o.tcf } : {}),
  };
  return new T30Engine(opts);
}

