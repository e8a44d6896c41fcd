/**
 * The T.30 protocol engine — ITU-T T.30 (09/2005) §5 (phases A–E and the flow charts of
 * Figure 5-2), Annex A (error correction mode) — for a fax terminal on any line (T.38 today,
 * audio modems later). Sans-IO: the driver passes the current time in ms to every call, feeds
 * the line's events in with `handle()`, runs due timers with `tick()`, and moves the queued
 * transmit steps (`takeTx()`) to the line; the engine never reads a clock or touches a socket.
 *
 *   driver ──handle(ev, now)──▶ ┌────────────┐ ──takeTx()──▶ line (T30TxStep: tone, hdlc, tcf, image, silence)
 *          ──tick(now)───────▶ │ T30Engine  │ ──takeEvents()▶ application (phases, frames, pages, result)
 *          ◀─nextTimeout()──── └────────────┘
 *
 * Contract with the line: it transmits the steps one after the other and reports `tx-done`
 * once per step when that step has completely left; the engine starts its response timers
 * (T4 after a command, T2 after a response) only when everything it queued has left, as T.30
 * times them from the end of the signal.
 *
 * How the modules stand (imports point down; no circle):
 *
 *   engine.ts   T30Engine, and the one dispatcher: line events, control frames (by state),
 *      │        timer expiries, the phases' actions and command repeats go to the phase that owns them
 *   phase-d.ts  post-message procedure, ECM correction, phase E      (imports phase-c, phase-b)
 *   phase-c.ts  page transfer
 *   phase-b.ts  phases A and B: CNG/CED, DIS/DTC, DCS, TCF, CFR/FTT
 *   machine.ts  the machine core: data, time, events, tx queue, timers, setState, ending
 *   states.ts   the states and the transition table (setState asks it)
 *
 * A phase never calls "forward" or sideways into a phase above it: where its work is followed
 * by another phase's (CFR → the page; the page has left → MPS/EOM/EOP; an ECM block has left →
 * PPS; MCF to EOM → DIS; a command to repeat), it hands the machine a `PhaseAction` (data), and
 * the machine passes it to this module's `DISPATCHER` (the `T30Dispatcher` interface is defined
 * in machine.ts and implemented here: dependency inversion).
 */

import { decodeT30Frame, type T30Frame } from './frames.js';
import { decodeT4, encodeT4 } from '../t4/index.js';
import { FaxwireError, assertNever } from '../util/errors.js';
import type { FaxModulation } from '../modem/modulation.js';
import type { T30LineEvent, T30TxStep } from './line.js';
import { T30Machine, type PhaseAction, type T30Dispatcher } from './machine.js';
import type { T30Result } from './result.js';
import { expectsCommand, expectsResponse, type T30Phase, type T30State } from './states.js';
import { FLAGS_TO_FRAME_MS, MAX_COMMAND_TRIES, T2_WAIT_MS, T30_T5_MS, T4_WAIT_MS, type T30TimerName } from './timers.js';
import type { T30EngineOptions, T30Event, T30PageCodec, T30ReceivedPage, T30Stats } from './types.js';
import * as phaseB from './phase-b.js';
import * as phaseC from './phase-c.js';
import * as phaseD from './phase-d.js';

// The engine is the face of the T.30 machine: what its users name comes with it.
export { T30_STATES, T30_STATE_PHASE, type T30State, type T30Phase } from './states.js';
export type { T30CopyQuality, T30EngineOptions, T30Event, T30PageCodec, T30ReceivedPage, T30Stats, T4DecodeResult } from './types.js';

// ---------------------------------------------------------------------------------------------
// The dispatcher: actions and command repeats

/** Runs a phase's action in the phase module that owns it. */
function runAction(m: T30Machine, a: PhaseAction): void {
  switch (a.kind) {
    case 'cng-gap':
      phaseB.onCngSent(m);
      return;
    case 'send-dis':
      phaseB.sendDis(m);
      return;
    case 'start-page':
      phaseC.startTxPage(m);
      return;
    case 'post-page':
      phaseD.sendPostPageCommand(m);
      return;
    case 'pps':
      phaseD.sendPps(m);
      return;
    case 'repeat-command':
      repeatCommand(m, a.why);
      return;
    default:
      assertNever(a, 'phase action');
  }
}

const DISPATCHER: T30Dispatcher = { run: runAction };

/**
 * Sends the last command again (T4 expired, CRP received, or a corrupted response): "repeat
 * the command up to 3 times" (T.30 flow charts). Ends the call when the tries are used up.
 */
function repeatCommand(m: T30Machine, why: string): void {
  const cmd = m.lastCommand;
  if (cmd === undefined) return;
  switch (cmd) {
    case 'dis':
    case 'dtc':
      // Bounded by T1, not by a count (T.30 Figure 5-2: DIS is repeated until T1 expires).
      phaseB.resendDisOrDtc(m);
      return;
    case 'dcs':
      if (m.commandTries >= MAX_COMMAND_TRIES) return m.fail('no-response-to-dcs', why);
      phaseB.sendDcs(m, true);
      return;
    case 'post-page':
    case 'pps':
    case 'rr':
    case 'ctc':
    case 'eor':
      phaseD.repeatPostPage(m, cmd, why);
      return;
    default:
      assertNever(cmd, 'command');
  }
}

// ---------------------------------------------------------------------------------------------
// The dispatcher: line events

function onLineEvent(m: T30Machine, ev: T30LineEvent): void {
  m.n.lineEvents++;
  if (m.state === 'CALL_FINISHED' || m.state === 'IDLE') {
    if (ev.kind === 'tx-done') m.onTxDone();
    return;
  }
  switch (ev.kind) {
    case 'tx-done':
      m.onTxDone();
      return;
    case 'tone':
      if (ev.tone === 'ced') phaseB.onRemoteHeard(m);
      return;
    case 'signal':
      if (ev.modulation === 'v21') {
        phaseB.onRemoteHeard(m);
        m.burstBad = 0;
        m.burstHandled = false;
        // T.30: flags detected — the far end is answering; give the frame time to arrive.
        for (const t of ['T2', 'T4'] as const) {
          const at = m.timers.expiry(t);
          if (at !== undefined && at < m.now + FLAGS_TO_FRAME_MS) m.timers.set(t, m.now + FLAGS_TO_FRAME_MS);
        }
      } else {
        phaseC.onFastSignal(m, ev.modulation);
      }
      return;
    case 'hdlc-frame':
      onHdlcFrame(m, ev.modulation, ev.frame, ev.ok);
      return;
    case 'hdlc-end':
      if (ev.modulation === 'v21') onV21End(m);
      return;
    case 'non-ecm-data':
      // TCF is phase B's (the training check), a page is phase C's.
      if (m.state === 'F_TCF') phaseB.onTcfData(m, ev.modulation, ev.data);
      else phaseC.onNonEcmData(m, ev.modulation, ev.data);
      return;
    case 'non-ecm-end':
      onNonEcmEnd(m);
      return;
    case 'no-signal':
      // T.38 sends no-signal after a burst; it also ends a non-ECM signal whose end was lost.
      onNonEcmEnd(m);
      if (m.burstBad > 0) onV21End(m);
      return;
    default:
      assertNever(ev, 'line event');
  }
}

/** End of a non-ECM signal (non-ecm-end, or no-signal standing in for it): the TCF or the page is complete. */
function onNonEcmEnd(m: T30Machine): void {
  if (m.state === 'F_TCF') phaseB.onTcfEnd(m);
  else if (m.state === 'F_DOC_NON_ECM') phaseC.finishNonEcmPage(m);
}

function onHdlcFrame(m: T30Machine, modulation: FaxModulation, raw: Uint8Array, lineOk: boolean): void {
  m.n.framesReceived++;
  const r = decodeT30Frame(raw);
  const frame = r.ok ? r.value : null;
  const ok = lineOk && r.ok;
  const error = !lineOk ? 'bad FCS / data lost' : r.ok ? undefined : `${r.error.code}: ${r.error.message}`;
  m.emit(
    error === undefined
      ? { type: 'frame-received', at: m.now, modulation, ok, frame, raw }
      : { type: 'frame-received', at: m.now, modulation, ok, frame, raw, error },
  );
  if (modulation !== 'v21') {
    if (!ok || frame === null) {
      m.n.badFrames++;
      return;
    }
    phaseC.onEcmFrame(m, frame);
    return;
  }
  phaseB.onRemoteHeard(m);
  if (!ok || frame === null) {
    m.n.badFrames++;
    m.burstBad++;
    return;
  }
  if (frame.type === 'unknown') {
    m.n.ignoredFrames++;
    m.warn(`ignored unknown FCF 0x${frame.fcf.toString(16)} in ${m.state}`);
    return;
  }
  if (frame.type === 'CRP') m.n.crpReceived++;
  onControlFrame(m, frame);
}

/**
 * A V.21 burst ended. If it brought only corrupted frames: ask for the command again (CRP,
 * T.30 Table 1) when we owe a response, or repeat our command when it was the response.
 */
function onV21End(m: T30Machine): void {
  const bad = m.burstBad > 0 && !m.burstHandled;
  m.burstBad = 0;
  m.burstHandled = false;
  if (!bad || m.result !== undefined) return;
  if (expectsCommand(m.state)) {
    // We are the one to answer: command repeat request (optional in T.30, spandsp sends it too).
    // The wait that was running (T4 for our DIS repeats in R, else T2) starts again afterwards.
    m.n.crpSent++;
    const wait: T30TimerName = m.state === 'R' ? 'T4' : 'T2';
    m.disarm('T2');
    m.disarm('T4');
    m.sendFrames([m.ctl('CRP')]);
    m.afterTx({ kind: 'arm', timer: wait, ms: wait === 'T4' ? T4_WAIT_MS : T2_WAIT_MS });
  } else if (expectsResponse(m.state) && !m.transmitting) {
    // The response arrived corrupted: T.30's "response received" chart repeats the command.
    repeatCommand(m, 'response corrupted');
  }
}

/** ECM commands that, right after CFR, mean every frame of the first block was lost (the PPS came through). */
const ECM_COMMANDS: ReadonlySet<T30Frame['type']> = new Set<T30Frame['type']>(['PPS', 'EOR', 'CTC', 'RR']);

/** Dispatches a decoded, FCS-good V.21 frame by state (the flow charts' decision boxes). */
function onControlFrame(m: T30Machine, f: T30Frame): void {
  const s = m.state;
  if (s === 'IDLE' || s === 'A_CED' || s === 'E_DCN' || s === 'CALL_FINISHED') {
    m.n.ignoredFrames++;
    return;
  }
  // Identity and routing frames are remembered wherever they arrive.
  if (phaseB.storeInfoFrame(m, f)) return;
  switch (s) {
    case 'F_CFR':
      // ECM: every frame of the first block was lost and its PPS came through: phase D answers it.
      if (m.params?.ecm === true && ECM_COMMANDS.has(f.type)) phaseD.onReceiverFrame(m, f);
      else phaseB.onFrame(m, f);
      return;
    case 'A_CNG':
    case 'T':
    case 'R':
    case 'D_TCF':
    case 'F_TCF':
    case 'F_FTT':
      phaseB.onFrame(m, f);
      return;
    case 'I':
    case 'IV':
    case 'II_Q':
    case 'IV_PPS_NULL':
    case 'IV_PPS_Q':
    case 'IV_PPS_RNR':
    case 'IV_CTC':
    case 'IV_EOR':
    case 'IV_EOR_RNR':
      phaseD.onTransmitterFrame(m, f);
      return;
    case 'F_DOC_NON_ECM':
    case 'F_DOC_ECM':
    case 'F_POST_DOC_NON_ECM':
    case 'III_Q_MCF':
    case 'III_Q_RTN':
    case 'F_POST_DOC_ECM':
    case 'F_POST_RCP_MCF':
    case 'F_POST_RCP_PPR':
    case 'F_POST_RCP_RNR':
      phaseD.onReceiverFrame(m, f);
      return;
    default:
      assertNever(s, 'state');
  }
}

// ---------------------------------------------------------------------------------------------
// The dispatcher: timers

function tick(m: T30Machine): void {
  for (;;) {
    if (m.result !== undefined && m.state === 'CALL_FINISHED') return;
    const t = m.timers.popDue(m.now);
    if (t === undefined) return;
    m.n.timeouts++;
    onTimeout(m, t);
  }
}

function onTimeout(m: T30Machine, t: T30TimerName): void {
  switch (t) {
    case 'T0':
      m.fail('no-answer', '', false);
      return;
    case 'T1':
      phaseB.onT1(m);
      return;
    case 'CNG':
      phaseB.onCngGap(m);
      return;
    case 'T2':
      phaseD.onT2(m);
      return;
    case 'T4':
      phaseD.onT4(m);
      return;
    case 'T5':
      // Annex A: the receiver kept answering RNR for all of T5 (60 s): release the call (DCN).
      m.fail('t5-expired', `the receiver was not ready for ${T30_T5_MS / 1000} s (${m.n.rnrReceived} RNR)`);
      return;
    case 'CONFIRM_HOLD':
      phaseD.onConfirmHoldExpired(m);
      return;
    case 'RX_STALL':
      // A TCF that stalls is judged as it stands; a page that stalls is a lost carrier.
      if (m.state === 'F_TCF') phaseB.onTcfEnd(m);
      else phaseC.onRxStall(m);
      return;
    default:
      assertNever(t, 'timer');
  }
}

// ---------------------------------------------------------------------------------------------
// The public engine

/** `src/t4`'s T.4/T.6 codec, the engine's default (T.38 carries T.4 data MSB-first). */
export const T4_CODEC: T30PageCodec = {
  encode: (bitmap, opts) => encodeT4(bitmap, { ...opts, bitOrder: 'msb-first' }),
  decode: (data, opts) => decodeT4(data, { ...opts, bitOrder: 'msb-first' }),
};

function checkOptions(o: T30EngineOptions): void {
  const bad = (msg: string): never => {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', msg);
  };
  if (o.role !== 'calling' && o.role !== 'answering') bad(`role must be 'calling' or 'answering'`);
  if (o.send === undefined && o.receive !== true) bad('a T.30 engine needs send (pages) and/or receive: true');
  for (const [name, v] of [['ident', o.ident], ['subaddress', o.subaddress], ['password', o.password], ['selectivePolling', o.selectivePolling]] as const) {
    if (v === undefined) continue;
    if (v.length > 20) bad(`${name} must be at most 20 characters (T.30 §5.3.6.2.4)`);
    if (!/^[\x20-\x7e]*$/.test(v)) bad(`${name} must be printable ASCII`);
  }
  if (o.modems !== undefined) {
    if (o.modems.length === 0) bad('modems must not be empty');
    for (const m of o.modems) if (m !== 'v27ter' && m !== 'v29' && m !== 'v17') bad(`unknown modem ${String(m)}`);
  }
  if (o.codings !== undefined) {
    if (o.codings.length === 0) bad('codings must not be empty');
    for (const c of o.codings) if (c !== 'mh' && c !== 'mr' && c !== 'mmr') bad(`unknown coding ${String(c)}`);
  }
  if (o.maxBitRate !== undefined && !(o.maxBitRate >= 2400)) bad('maxBitRate must be at least 2400');
  if (o.ecmFrameSize !== undefined && o.ecmFrameSize !== 64 && o.ecmFrameSize !== 256) bad('ecmFrameSize must be 64 or 256');
  if (o.minScanLineMs !== undefined && ![0, 5, 10, 20, 40].includes(o.minScanLineMs)) bad('minScanLineMs must be 0, 5, 10, 20 or 40');
  if (o.maxReceivedPageOctets !== undefined && !(Number.isInteger(o.maxReceivedPageOctets) && o.maxReceivedPageOctets > 0)) {
    bad('maxReceivedPageOctets must be a positive integer');
  }
  if (o.copyQuality !== undefined) {
    const q = o.copyQuality;
    if (!(q.minGoodRowsPercent >= 0 && q.minGoodRowsPercent <= 100)) bad('copyQuality.minGoodRowsPercent must be 0..100');
    if (!(q.maxConsecutiveBad >= 0)) bad('copyQuality.maxConsecutiveBad must be >= 0');
  }
  // A kept page would be a view of a buffer the next page overwrites.
  if (o.pageBuffer !== undefined && o.retainPages !== false) bad('pageBuffer requires retainPages: false');
}


/**
 * A T.30 terminal engine (sans-IO). Typical driver loop:
 *
 * ```ts
 * const e = new T30Engine({ role: 'calling', send: { pages } });
 * e.start(now);
 * // whenever the line reports something:  e.handle(ev, now)
 * // whenever now >= e.nextTimeout():       e.tick(now)
 * // after each call:                        line.send(e.takeTx()); app.show(e.takeEvents())
 * // until e.finished; then e.result says how it went.
 * ```
 */
export class T30Engine {
  private readonly m: T30Machine;

  constructor(opts: T30EngineOptions) {
    checkOptions(opts);
    this.m = new T30Machine(opts, opts.codec ?? T4_CODEC, DISPATCHER);
  }

  /** Starts phase A at `nowMs` (CNG for the caller, CED + DIS for the answerer). */
  start(nowMs: number): void {
    const m = this.m;
    if (m.state !== 'IDLE') throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'T30Engine.start() called twice');
    m.now = nowMs;
    m.startedAt = nowMs;
    phaseB.start(m);
  }

  /** Feeds one line event. */
  handle(ev: T30LineEvent, nowMs: number): void {
    this.m.now = Math.max(this.m.now, nowMs);
    onLineEvent(this.m, ev);
  }

  /** Runs the timers due at `nowMs`. */
  tick(nowMs: number): void {
    this.m.now = Math.max(this.m.now, nowMs);
    tick(this.m);
  }

  /** Absolute time (ms) of the next timer, or undefined when none is armed. */
  nextTimeout(): number | undefined {
    return this.m.timers.next();
  }

  /** Transmit steps queued since the last call, in order. */
  takeTx(): T30TxStep[] {
    return this.m.takeTx();
  }

  /** Events since the last call, in order. */
  takeEvents(): T30Event[] {
    return this.m.takeEvents();
  }

  /**
   * Ends the call from outside: 'local' (the application hangs up: DCN is sent, result
   * 'local-abort') or 'remote' (the call is gone — SIP BYE, socket closed: no DCN, result
   * 'call-dropped' or 'call-dropped-mid-page'). No effect once the call has ended; while our DCN
   * is still queued, 'remote' finishes at once (the result stays what it was).
   */
  abort(nowMs: number, why: 'local' | 'remote'): void {
    const m = this.m;
    m.now = Math.max(m.now, nowMs);
    if (m.state === 'IDLE' || m.state === 'CALL_FINISHED') return;
    if (m.result !== undefined) {
      // Already ending (DCN queued): a gone line will never report it sent.
      if (why === 'remote') m.finish();
      return;
    }
    if (why === 'local') {
      m.fail('local-abort');
      return;
    }
    m.fail(m.phase === 'C' ? 'call-dropped-mid-page' : 'call-dropped', '', false);
  }

  /**
   * Flow control from the application's page sink (T.30 Annex A, RNR/RR): `false` when it cannot
   * take a page now (a slow disk, a full queue), `true` when it can again. Default: ready.
   *
   * ECM: while not ready, the command that ends a page (PPS-MPS/EOM/EOP, or EOR-Q) is answered
   * RNR instead of MCF (ERR), and so is every RR the transmitter sends after it; the first one
   * after the sink is ready again gets the MCF (ERR), and only then is the page delivered
   * (`page-rx-end`, `receivedPages`). Blocks inside a page (PPS-NULL) are answered as usual: they
   * stay in the engine's memory. The transmitter gives up after T5 (60 s) of RNR and sends DCN
   * (our result: 'dcn-during-ecm'). Counted in `getStats().rnrSent` / `rrReceived`.
   *
   * Non-ECM: T.30 has no RNR outside Annex A and the transmitter waits only T4 (3 s) for the
   * answer to MPS/EOM/EOP, so the flag cannot hold a page back: pages are delivered and answered
   * as usual, with a `warning` event for each one answered while not ready.
   */
  setReceiveReady(ready: boolean, nowMs: number): void {
    this.m.now = Math.max(this.m.now, nowMs);
    this.m.receiveReady = ready;
  }

  /**
   * Confirm-after-store (`T30EngineOptions.confirmAfterStore`): the application's word on the
   * page it got last (`page-rx-end` with `accepted: true`) — `stored` true once the page is safe
   * (written and synced), false when it could not be stored (`detail` says why, e.g. "ENOSPC").
   * Call it once per such page; it may come before or after the transmitter's post-page command.
   *
   * ECM: the page's answer is RNR (T.30 Annex A) until this is said; the next RR then gets MCF,
   * or DCN when not stored. Non-ECM: the answer to MPS/EOM/EOP is held at most
   * `CONFIRM_HOLD_MS` (2 s, inside the transmitter's T4): MCF, or DCN when not stored or when
   * nothing was said in time. DCN ends the call with 'page-not-stored' (T.30 §5.3.6.1.8);
   * the pages confirmed before stay confirmed. No effect once the call has ended or when the
   * option is off.
   */
  confirmPage(stored: boolean, nowMs: number, detail = ''): void {
    const m = this.m;
    m.now = Math.max(m.now, nowMs);
    if (!m.confirmAfterStore || m.state === 'IDLE' || m.state === 'CALL_FINISHED') return;
    phaseD.onPageConfirmed(m, stored, detail);
  }

  /** What `setReceiveReady` last said (true until it is called). */
  get receiveReady(): boolean {
    return this.m.receiveReady;
  }

  get state(): T30State {
    return this.m.state;
  }

  get phase(): T30Phase {
    return this.m.phase;
  }

  /** True once phase E is over (DCN sent or received, or the call ended otherwise). */
  get finished(): boolean {
    return this.m.state === 'CALL_FINISHED';
  }

  /** Set once phase E is reached. */
  get result(): T30Result | undefined {
    return this.m.result;
  }

  /**
   * Pages received so far (non-ECM pages answered RTN included, with `accepted: false`). With
   * `retainPages: false` only the page still being answered, and none once the call has ended:
   * the pages were handed out with their `page-rx-end` events.
   */
  get receivedPages(): readonly T30ReceivedPage[] {
    return this.m.receivedPages;
  }

  getStats(): T30Stats {
    return this.m.stats();
  }
}
