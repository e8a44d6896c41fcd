/**
 * The T.30 machine core: everything the phase modules work on, and nothing that decides which
 * phase handles what (that is engine.ts, the one dispatcher). It holds the call's data (options,
 * negotiated session, pages, ECM state, counters), the clock the driver passes in, the events
 * for the application, the transmit queue and the "when the line is idle" hook, the timers,
 * `setState()` (whose moves `states.ts` checks), the frame-sending helpers, the ending of the
 * call (phase E) and the rate step-down.
 *
 * It imports no phase module. Where a phase's work must be followed by another phase's (the
 * page after CFR, PPS after an ECM block has left, DIS again after MCF to EOM, a command
 * repeat), the phase hands the machine a `PhaseAction` — plain data — and the machine passes it
 * to the `T30Dispatcher` it was given, which engine.ts implements by calling the phase that owns
 * the action. So the phases chain one way (phase-d → phase-c → phase-b → machine → states) and
 * everything else meets in the engine.
 */

import type { Bitmap } from '../t4/bitmap.js';
import { FaxwireError, assertNever } from '../util/errors.js';
import type { DisInfo } from './dis.js';
import type { EcmTxBlock } from './ecm.js';
import { EcmRxBlock } from './ecm.js';
import { encodeT30Frame, simpleFrame, type PpsFrame, type SimpleFrameType, type T30Frame } from './frames.js';
import type { FaxModulation } from '../modem/modulation.js';
import type { T30TxStep } from './line.js';
import type { LocalCapabilities, RateStep, SessionParams, T30Modem, T4Coding } from './negotiate.js';
import { t30ResultMessage, type T30Result, type T30ResultCode } from './result.js';
import { checkMove, T30_STATE_PHASE, type T30Phase, type T30State } from './states.js';
import { INTER_SIGNAL_MS, T2_WAIT_MS, T30Timers, T4_WAIT_MS, type T30TimerName } from './timers.js';
import type { T30CopyQuality, T30EngineOptions, T30Event, T30PageCodec, T30ReceivedPage, T30Stats } from './types.js';
import type { T30PageBuffer } from './page-buffer.js';

type Counters = { -readonly [K in Exclude<keyof T30Stats, 'state' | 'phase' | 'timers'>]: number };

// ---------------------------------------------------------------------------------------------
// Internal machine shared with the phase modules

/**
 * Work a phase hands on, as data, to be done by the phase that owns it (the engine routes it):
 * `cng-gap` (a CNG burst has left: the pause starts), `send-dis` (DIS, or DIS again after MCF to
 * EOM), `post-page` (the non-ECM page has left: MPS/EOM/EOP), `pps` (the ECM block has left),
 * `start-page` (CFR received: phase C begins), `repeat-command` (send the last command again).
 */
export type PhaseAction =
  | { readonly kind: 'cng-gap' }
  | { readonly kind: 'send-dis' }
  | { readonly kind: 'post-page' }
  | { readonly kind: 'pps' }
  | { readonly kind: 'start-page' }
  | { readonly kind: 'repeat-command'; readonly why: string };

/** Work that waits until every queued transmit step has left the line: the machine's own, or a phase's. */
export type TxIdleAction =
  | { readonly kind: 'arm'; readonly timer: T30TimerName; readonly ms: number }
  | { readonly kind: 'finish' }
  | PhaseAction;

/**
 * The one who knows which phase module does what: engine.ts implements it. The machine calls it
 * with the actions the phases give it (dependency inversion: the machine, below the phases,
 * never imports them).
 */
export interface T30Dispatcher {
  run(m: T30Machine, action: PhaseAction): void;
}

/** The dispatcher of a machine used on its own (unit tests of the core): any phase action is a bug. */
const NO_DISPATCHER: T30Dispatcher = {
  run: (_m, a) => {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `T.30: no dispatcher for ${a.kind}`);
  },
};

/** The last command sent that expects a response, for repeats (T4 expiry, CRP, bad response). */
export type LastCommand = 'dis' | 'dtc' | 'dcs' | 'post-page' | 'pps' | 'rr' | 'ctc' | 'eor';

/** Transmitter's ECM state for the page being sent. */
export interface EcmTxState {
  readonly pageIndex: number;
  readonly blocks: readonly EcmTxBlock[];
  blockIndex: number;
  /** Frames of the current block still to be confirmed (what PPR asked for last). */
  pending: number[];
  pprCount: number;
  /** The PPS post-message command of the current block (NULL unless last block). */
  fcf2: 'NULL' | 'MPS' | 'EOM' | 'EOP';
  /** Training for the next block burst must be long (after CTC/CTR). */
  longTrain: boolean;
}

/** The answer to a page-ending PPS/EOR held back by flow control (Annex A: RNR until ready). */
export interface DeferredAnswer {
  readonly fcf2: PpsFrame['fcf2'];
  readonly key: number;
  readonly resp: 'MCF' | 'ERR';
}

/** Receiver's ECM state. */
export interface EcmRxState {
  readonly block: EcmRxBlock;
  /** Data of the blocks of the current page already acknowledged. */
  pageChunks: Uint8Array[];
  /** Counters of the PPS last acknowledged with MCF/ERR (to spot a repeated PPS). */
  lastAckKey: number;
  lastResponse: 'MCF' | 'PPR' | 'ERR' | 'CTR' | null;
  lastPprFrames: number[];
  /** PPRs sent for the current block. */
  pprCount: number;
  /** Frame count announced by the latest PPS of this block (for EOR). */
  frameCount: number;
  /** The page whose blocks are collected is complete (the next FCD starts a new page). */
  pageDone: boolean;
  /** The page-ending block answered RNR, whose MCF/ERR waits until the page sink is ready. */
  deferred: DeferredAnswer | undefined;
  pageCounter: number;
  blockCounter: number;
}

const RESOLVED_DEFAULTS = {
  ecm: true,
  ecmFrameSize: 256 as 64 | 256,
  modems: ['v27ter', 'v29', 'v17'] as readonly T30Modem[],
  maxBitRate: 14400,
  codings: ['mh', 'mr', 'mmr'] as readonly T4Coding[],
  tcf: 'transferred' as 'transferred' | 'local',
  copyQuality: { minGoodRowsPercent: 95, maxConsecutiveBad: 5 } as T30CopyQuality,
  minScanLineMs: 0,
};

/**
 * Everything the phase modules work on. Not exported from the package index: the public face
 * is `T30Engine`.
 */
/** The pixels of a page kept as a record only (`retainPages: false`). */
/** What takeEvents/takeTx return when there is nothing: frozen, so that a caller's push fails loudly. */
const NO_EVENTS: readonly T30Event[] = Object.freeze([]);
const NO_STEPS: readonly T30TxStep[] = Object.freeze([]);
const NO_PIXELS = new Uint8Array(0);

export class T30Machine {
  readonly role: 'calling' | 'answering';
  readonly caps: LocalCapabilities;
  readonly codec: T30PageCodec;
  readonly pages: readonly Bitmap[];
  /** `T30EngineOptions.send.prepare`: the image coded for a page, made when it is coded. */
  readonly preparePage: ((page: Bitmap, index: number, count: number) => Bitmap) | undefined;
  readonly ident: string;
  readonly subaddress: string;
  readonly password: string;
  readonly selectivePolling: string;
  readonly tcfMode: 'transferred' | 'local';
  readonly copyQuality: T30CopyQuality;
  /** `T30EngineOptions.maxReceivedPageOctets` (undefined: derived from the session, phase-c.ts). */
  readonly maxRxPageOctets: number | undefined;
  /** The X bit of every frame we send (T.30 §5.3.6.1): set by the station that received DIS. */
  readonly xBit: boolean;

  now = 0;
  startedAt = 0;
  state: T30State = 'IDLE';
  phase: T30Phase = 'A';
  readonly timers = new T30Timers();
  result: T30Result | undefined;

  private txQueue: T30TxStep[] = [];
  private pendingTx = 0;
  private txIdle: TxIdleAction | undefined;
  private events: T30Event[] = [];
  readonly n: Counters = {
    framesSent: 0, framesReceived: 0, badFrames: 0, ignoredFrames: 0, crpSent: 0, crpReceived: 0,
    commandRepeats: 0, timeouts: 0, disSent: 0, dcsSent: 0, tcfSent: 0, tcfChecked: 0, fttSent: 0,
    fttReceived: 0, pagesSent: 0, pagesReceived: 0, rtnSent: 0, rtnReceived: 0, rtpReceived: 0,
    pprSent: 0, pprReceived: 0, ecmFramesSent: 0, ecmFramesReceived: 0, ecmFramesResent: 0,
    ctcSent: 0, ctcReceived: 0, eorSent: 0, eorReceived: 0, rnrReceived: 0, rrSent: 0, rnrSent: 0, rrReceived: 0,
    pipReceived: 0, pinReceived: 0, priReceived: 0, fallbacks: 0,
    imageOctetsSent: 0, imageOctetsReceived: 0, txSteps: 0, lineEvents: 0,
  };

  // Phase B
  /** The far end's DIS (or DTC, when it polls us). */
  remoteDis: DisInfo | undefined;
  remoteIdent = '';
  remoteSubaddress = '';
  remotePassword = '';
  remoteSelectivePolling = '';
  /** Something (CED, V.21) was heard from the far end: T0 has given way to T1. */
  heardRemote = false;
  /** Frames other than DIS were seen while waiting for DIS (for the T1 verdict). */
  sawNonDis = false;
  /** We are the poller (sent DTC). */
  polling = false;
  /**
   * Turnaround polling: we send our document and then poll the far end for its own (we may
   * receive, and its DIS said bit 9 "ready to transmit a facsimile document"). The last page
   * then ends with EOM instead of EOP, so that both ends go back to phase B (phase-b.ts).
   */
  turnaround = false;
  lastCommand: LastCommand | undefined;
  commandTries = 0;
  /** The bursts of V.21 frames in progress: bad frames seen, and whether a command/response was acted on. */
  burstBad = 0;
  burstHandled = false;

  // Session
  params: SessionParams | undefined;
  fallback: readonly RateStep[] = [];
  fallbackIndex = 0;
  /** The modulation the far end's receiver last trained on with a long training. */
  trainedAt: FaxModulation | undefined;

  // Transmitting a document
  pageIndex = 0;
  pageRtn = 0;
  postPage: 'MPS' | 'EOM' | 'EOP' = 'EOP';
  ecmTx: EcmTxState | undefined;

  // Receiving a document
  tcfBits = 0;
  tcfRun = 0;
  tcfBestRun = 0;
  rxChunks: Uint8Array[] = [];
  /** Octets held in `rxChunks` (bounded by phase-c.ts `rxPageLimit`). */
  rxOctets = 0;
  rxPage: T30ReceivedPage | undefined;
  lastPostPage: 'MPS' | 'EOM' | 'EOP' | undefined;
  readonly ecmRx: EcmRxState = {
    block: new EcmRxBlock(),
    pageChunks: [],
    lastAckKey: -1,
    lastResponse: null,
    lastPprFrames: [],
    pprCount: 0,
    frameCount: 0,
    pageDone: true,
    deferred: undefined,
    pageCounter: 0,
    blockCounter: 0,
  };
  /**
   * Pages received: all of them, or with `retainPages: false` only the page still being
   * answered (phase D looks at the last page: a "page" that was a TCF, RTN, confirm-after-store).
   */
  readonly receivedPages: T30ReceivedPage[] = [];
  /** `T30EngineOptions.retainPages` (default true). */
  readonly retainPages: boolean;
  /** `T30EngineOptions.pageBuffer`: where received pages are decoded (shared), if anywhere. */
  readonly pageBuffer: T30PageBuffer | undefined;
  /**
   * The application's page sink can take a page (`T30Engine.setReceiveReady`). While false, an
   * ECM receiver answers the command that ends a page with RNR instead of MCF (Annex A).
   */
  receiveReady = true;
  /** Confirm-after-store (`T30EngineOptions.confirmAfterStore`): pages are answered only once stored. */
  readonly confirmAfterStore: boolean;
  /**
   * Confirm-after-store: the application's word on the page delivered last and not yet answered
   * (`T30Engine.confirmPage`); undefined while it has not said. Reset when the page is answered.
   */
  stored: boolean | undefined;
  /** Why the application could not store the page (its `confirmPage` detail). */
  storeError = '';
  /** Confirm-after-store, ECM: the page-ending block was assembled and the page delivered; its answer waits. */
  ecmPageHeld = false;
  /** Confirm-after-store, non-ECM: the post-page command whose answer is held for the application. */
  heldPostPage: 'MPS' | 'EOM' | 'EOP' | undefined;
  badRowsTotal = 0;
  longestBadRun = 0;
  rtnCount = 0;
  ecmRetries = 0;

  private readonly dispatcher: T30Dispatcher;

  constructor(opts: T30EngineOptions, codec: T30PageCodec, dispatcher: T30Dispatcher = NO_DISPATCHER) {
    this.dispatcher = dispatcher;
    this.role = opts.role;
    this.codec = codec;
    this.pages = opts.send?.pages ?? [];
    this.preparePage = opts.send?.prepare;
    this.ident = opts.ident ?? '';
    this.subaddress = opts.subaddress ?? '';
    this.password = opts.password ?? '';
    this.selectivePolling = opts.selectivePolling ?? '';
    this.tcfMode = opts.tcf ?? RESOLVED_DEFAULTS.tcf;
    this.copyQuality = opts.copyQuality ?? RESOLVED_DEFAULTS.copyQuality;
    this.maxRxPageOctets = opts.maxReceivedPageOctets;
    this.confirmAfterStore = opts.confirmAfterStore === true;
    this.retainPages = opts.retainPages !== false;
    this.pageBuffer = opts.pageBuffer;
    this.xBit = opts.role === 'calling';
    const ecm = opts.ecm ?? RESOLVED_DEFAULTS.ecm;
    this.caps = {
      modems: opts.modems ?? RESOLVED_DEFAULTS.modems,
      maxBitRate: opts.maxBitRate ?? RESOLVED_DEFAULTS.maxBitRate,
      codings: (opts.codings ?? RESOLVED_DEFAULTS.codings).filter((c) => c !== 'mmr' || ecm),
      ecm,
      ecmFrameSize: opts.ecmFrameSize ?? RESOLVED_DEFAULTS.ecmFrameSize,
      minScanLineMs: opts.minScanLineMs ?? RESOLVED_DEFAULTS.minScanLineMs,
      canReceive: opts.receive === true,
      haveDocument: this.pages.length > 0,
    };
  }

  // -- time, events, transmit queue ----------------------------------------------------------

  emit(e: T30Event): void {
    this.events.push(e);
  }

  warn(message: string): void {
    this.emit({ type: 'warning', at: this.now, message });
  }

  takeEvents(): T30Event[] {
    // Nothing new (most calls): a shared frozen empty array, not a new one per call.
    if (this.events.length === 0) return NO_EVENTS as T30Event[];
    const e = this.events;
    this.events = [];
    return e;
  }

  takeTx(): T30TxStep[] {
    if (this.txQueue.length === 0) return NO_STEPS as T30TxStep[];
    const q = this.txQueue;
    this.txQueue = [];
    return q;
  }

  queue(step: T30TxStep): void {
    this.txQueue.push(step);
    this.pendingTx++;
    this.n.txSteps++;
  }

  /** True while something we queued has not yet left the line. */
  get transmitting(): boolean {
    return this.pendingTx > 0;
  }

  /** Runs `action` once everything queued so far has left (now, if nothing is pending). */
  afterTx(action: TxIdleAction): void {
    if (this.pendingTx === 0) this.runTxIdle(action);
    else this.txIdle = action;
  }

  onTxDone(): void {
    if (this.pendingTx === 0) {
      this.warn('tx-done with nothing queued');
      return;
    }
    this.pendingTx--;
    if (this.pendingTx === 0 && this.txIdle !== undefined) {
      const a = this.txIdle;
      this.txIdle = undefined;
      this.runTxIdle(a);
    }
  }

  private runTxIdle(a: TxIdleAction): void {
    switch (a.kind) {
      case 'arm':
        this.arm(a.timer, a.ms);
        return;
      case 'finish':
        this.finish();
        return;
      case 'cng-gap':
      case 'send-dis':
      case 'post-page':
      case 'pps':
      case 'start-page':
      case 'repeat-command':
        this.dispatch(a);
        return;
      default:
        assertNever(a, 'tx idle action');
    }
  }

  /** Has the phase that owns `action` do it now (through the engine's dispatcher). */
  dispatch(action: PhaseAction): void {
    this.dispatcher.run(this, action);
  }

  /**
   * Sends the last command again (T4 expired, CRP received, or a corrupted response): "repeat
   * the command up to 3 times" (T.30 flow charts). The engine has the phase that sent it do it.
   */
  repeatCommand(why: string): void {
    this.dispatch({ kind: 'repeat-command', why });
  }

  /** Marks the current V.21 burst as having carried a command/response we acted on. */
  handled(): void {
    this.burstHandled = true;
  }

  arm(name: T30TimerName, ms: number): void {
    this.timers.set(name, this.now + ms);
  }

  disarm(name: T30TimerName): void {
    this.timers.clear(name);
  }

  // -- state ----------------------------------------------------------------------------------

  /** The one way to move: checked against the flow-chart table (states.ts), logged as an event. */
  setState(next: T30State): void {
    const from = this.state;
    checkMove(from, next);
    this.state = next;
    this.emit({ type: 'state', at: this.now, from, to: next });
    const phase = T30_STATE_PHASE[next];
    if (phase !== this.phase) {
      this.phase = phase;
      this.emit({ type: 'phase', at: this.now, phase });
    }
  }

  // -- frames ---------------------------------------------------------------------------------

  /** A bare-FCF frame with our X bit. */
  ctl(type: SimpleFrameType): T30Frame {
    return simpleFrame(type, { xBit: this.xBit, final: true });
  }

  /**
   * Queues one V.21 HDLC burst (after the 75 ms gap between signals, T.30 §5.3.2.4). The last
   * frame gets the final bit, the others lose it (T.30 §5.3.5).
   */
  sendFrames(frames: readonly T30Frame[]): void {
    const encoded: Uint8Array[] = [];
    frames.forEach((f, i) => {
      const final = i === frames.length - 1;
      const fr: T30Frame = { ...f, final };
      encoded.push(encodeT30Frame(fr));
      this.n.framesSent++;
      this.emit({ type: 'frame-sent', at: this.now, modulation: 'v21', frame: fr });
    });
    this.queue({ kind: 'silence', ms: INTER_SIGNAL_MS });
    this.queue({ kind: 'hdlc', modulation: 'v21', frames: encoded });
  }

  /** Sends a command that expects a response and starts T4 when it has left. */
  sendCommand(frames: readonly T30Frame[], cmd: LastCommand, repeat: boolean): void {
    if (repeat) {
      this.commandTries++;
      this.n.commandRepeats++;
    } else {
      this.commandTries = 1;
    }
    this.lastCommand = cmd;
    this.disarm('T4');
    this.disarm('T2');
    this.sendFrames(frames);
    this.afterTx({ kind: 'arm', timer: 'T4', ms: T4_WAIT_MS });
  }

  /** Sends a response and starts T2 (waiting for the next command) when it has left. */
  sendResponse(frames: readonly T30Frame[]): void {
    this.disarm('T4');
    this.disarm('T2');
    this.lastCommand = undefined;
    this.sendFrames(frames);
    this.afterTx({ kind: 'arm', timer: 'T2', ms: T2_WAIT_MS });
  }

  // -- ending -----------------------------------------------------------------------------------

  /** The document was moved: send DCN (phase E) and finish OK. */
  disconnect(): void {
    this.end('ok', '', true);
  }

  /** End the call with `code`; `sendDcn` false when the far end already left (DCN received, call gone). */
  end(code: T30ResultCode, detail: string, sendDcn: boolean): void {
    if (this.result !== undefined) return;
    this.timers.clearAll();
    this.result = this.makeResult(code, detail);
    this.emit({ type: 'complete', at: this.now, result: this.result });
    if (sendDcn) {
      this.setState('E_DCN');
      this.sendFrames([this.ctl('DCN')]);
      this.afterTx({ kind: 'finish' });
    } else {
      this.finish();
    }
  }

  fail(code: T30ResultCode, detail = '', sendDcn = true): void {
    this.end(code, detail, sendDcn);
  }

  /**
   * A page was received: kept in `receivedPages` (returns the record kept). When pages stream
   * (`retainPages: false`) the page before it was answered already and has left with its
   * `page-rx-end` event: it is dropped, and the new one is kept without its pixels.
   */
  keepReceivedPage(page: T30ReceivedPage): T30ReceivedPage {
    if (this.retainPages) {
      this.receivedPages.push(page);
      return page;
    }
    // Phase D needs the page's record (number, rows, verdict), never its pixels: those left with
    // `page-rx-end`, so the session keeps a record without them (height 0, no data).
    const kept: T30ReceivedPage = { ...page, bitmap: { ...page.bitmap, height: 0, data: NO_PIXELS } };
    this.receivedPages.length = 0;
    this.receivedPages.push(kept);
    return kept;
  }

  /** Phase E is over (DCN has left, or there is no line to send it on). */
  finish(): void {
    this.timers.clearAll();
    if (!this.retainPages) {
      // Streaming: the call is over, nothing will look at the last page again.
      this.receivedPages.length = 0;
      this.rxPage = undefined;
    }
    // Nothing is sent or assembled after phase E: the coded page in its ECM frames, the image
    // data of a page cut short and a block never closed can go, whoever still holds the engine.
    this.ecmTx = undefined;
    this.rxChunks = [];
    this.rxOctets = 0;
    this.ecmRx.pageChunks = [];
    this.ecmRx.block.clear();
    if (this.state !== 'CALL_FINISHED') this.setState('CALL_FINISHED');
  }

  private makeResult(code: T30ResultCode, detail: string): T30Result {
    const p = this.params;
    return {
      ok: code === 'ok',
      code,
      message: detail === '' ? t30ResultMessage(code) : `${t30ResultMessage(code)}: ${detail}`,
      pagesSent: this.n.pagesSent,
      pagesReceived: this.n.pagesReceived,
      bitRate: p?.step.bitRate ?? 0,
      modulation: p?.step.modulation ?? null,
      ecm: p?.ecm ?? false,
      coding: p?.coding ?? null,
      resolution: p?.resolution ?? null,
      width: p?.widthPx ?? 0,
      remoteIdent: this.remoteIdent,
      remoteSubaddress: this.remoteSubaddress,
      remotePassword: this.remotePassword,
      remoteSelectivePolling: this.remoteSelectivePolling,
      badRows: this.badRowsTotal,
      longestBadRun: this.longestBadRun,
      ecmRetries: this.ecmRetries,
      rtnCount: this.rtnCount,
      fallbacks: this.n.fallbacks,
      durationMs: this.now - this.startedAt,
    };
  }

  // -- rates ----------------------------------------------------------------------------------

  /** Steps down the fall-back sequence; false when already at the slowest rate. */
  stepDown(reason: 'ftt' | 'rtn' | 'pin' | 'ctc'): boolean {
    const p = this.params;
    const next = this.fallback[this.fallbackIndex + 1];
    if (p === undefined || next === undefined) return false;
    this.fallbackIndex++;
    this.params = { ...p, step: next };
    this.n.fallbacks++;
    this.emit({ type: 'rate-fallback', at: this.now, from: p.step.modulation, to: next.modulation, reason });
    return true;
  }

  /** The modulation now in use (throws if phase B never chose one: an engine bug). */
  session(): SessionParams {
    if (this.params === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'T.30: no session parameters yet');
    return this.params;
  }

  stats(): T30Stats {
    return { state: this.state, phase: this.phase, ...this.n, timers: this.timers.snapshot() };
  }
}
