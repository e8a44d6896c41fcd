/**
 * Phase D — the post-message procedure (ITU-T T.30 (09/2005) §5.1 phase D, Figure 5-2) and
 * the ECM correction dialogue (Annex A §A.4), for both ends; phase E starts from here.
 *
 * Transmitter, non-ECM:  page ─▶ MPS | EOM | EOP ─▶ MCF (next page / phase B / DCN),
 *                        RTP (accepted, retrain first), RTN (retrain at the next lower rate and
 *                        send the page again, at most MAX_RTN_PER_PAGE times).
 * Transmitter, ECM:      block ─▶ PPS-NULL | PPS-MPS/EOM/EOP ─▶ MCF (next block/page),
 *                        PPR (resend the listed frames; the 4th PPR of a block leads to CTC at the
 *                        next lower rate → CTR → resend with long training, or, at the slowest
 *                        rate, to EOR → ERR: the block is given up and the page goes on),
 *                        RNR (send RR until the receiver is ready, T5 bounds the wait).
 * Procedure interrupts:  no operator here, so the procedure goes on (§5.4.3.1, T3): PIP counts
 *                        as MCF, PIN as RTN (non-ECM) or as a PPR for the whole block (ECM),
 *                        PIN/PIP to EOR as ERR; a received PRI-Q is answered as Q.
 * Receiver:              answers each of those, repeats its last answer when a command is
 *                        repeated (its answer was lost), asks CRP when a command arrived corrupted;
 *                        ECM: answers the command that ends a page RNR while the application's
 *                        page sink is not ready, and every RR after it, until it is (Annex A).
 * Confirm-after-store:   the page is delivered before it is answered, and confirmed (MCF) only
 *                        once the application stored it: ECM holds with RNR (Annex A, bounded by
 *                        the transmitter's T5), non-ECM holds at most CONFIRM_HOLD_MS (inside its
 *                        T4, T.30 §5.4.3.1 — there is no RNR without ECM). A page that was not
 *                        stored is never confirmed: DCN instead of MCF (T.30 §5.3.6.1.8), result
 *                        'page-not-stored'. RTN would only make the transmitter retrain and send
 *                        the page again into the same failing store; PIN asks for an operator.
 *
 * Every command is repeated up to 3 times on T4 expiry, CRP, or a corrupted response.
 *
 * The top of the phase chain (engine.ts): it may call back into phase C (the next page or block)
 * and phase B (DCS after RTN, a DCS or DIS that starts phase B again); nothing below calls it.
 */

import { dcsRateCode } from './dis.js';
import type { EcmTxState, T30Machine } from './machine.js';
import { expectsResponse } from './states.js';
import { frameName, type PpsFrame, type PprFrame, type T30Frame } from './frames.js';
import { stepForRateCode } from './negotiate.js';
import * as phaseB from './phase-b.js';
import * as phaseC from './phase-c.js';
import { CONFIRM_HOLD_MS, MAX_COMMAND_TRIES, MAX_RTN_PER_PAGE, PPR_LIMIT_BEFORE_CTC_OR_EOR, T30_T1_MS, T30_T5_MS } from './timers.js';

// ---------------------------------------------------------------------------------------------
// Transmitter

/** The non-ECM page has left: MPS, EOM or EOP. */
export function sendPostPageCommand(m: T30Machine): void {
  if (m.state !== 'I') return; // the call ended meanwhile
  m.setState('II_Q');
  m.sendCommand([m.ctl(m.postPage)], 'post-page', false);
}

/** The ECM block has left: PPS-NULL between blocks, PPS-MPS/EOM/EOP after the last one. */
export function sendPps(m: T30Machine, repeat = false): void {
  if (!repeat && m.state !== 'IV') return;
  const et = m.ecmTx;
  const block = et?.blocks[et.blockIndex];
  if (et === undefined || block === undefined) return;
  et.fcf2 = et.blockIndex === et.blocks.length - 1 ? m.postPage : 'NULL';
  const pps: PpsFrame = {
    type: 'PPS',
    final: true,
    xBit: m.xBit,
    fcf2: et.fcf2,
    fcf2XBit: m.xBit && et.fcf2 !== 'NULL',
    pageCounter: m.pageIndex & 0xff,
    blockCounter: et.blockIndex & 0xff,
    frameCount: block.frames.length,
  };
  m.setState(et.fcf2 === 'NULL' ? 'IV_PPS_NULL' : 'IV_PPS_Q');
  m.sendCommand([pps], 'pps', repeat);
}

function sendRr(m: T30Machine, repeat: boolean): void {
  m.n.rrSent++;
  m.setState(m.state === 'IV_EOR' || m.state === 'IV_EOR_RNR' ? 'IV_EOR_RNR' : 'IV_PPS_RNR');
  m.sendCommand([m.ctl('RR')], 'rr', repeat);
}

/**
 * CTC (Annex A §A.4): its 2-octet FIF is laid out like DCS bits 1–16, of which only bits 11–14
 * (the new data signalling rate) mean anything; the rest go as zeros, as spandsp sends them.
 */
function sendCtc(m: T30Machine, repeat: boolean): void {
  const p = m.session();
  const ctc: T30Frame = { type: 'CTC', final: true, xBit: m.xBit, rateCode: dcsRateCode(p.step.modem, p.step.bitRate), otherBits: 0 };
  if (!repeat) {
    m.n.ctcSent++;
    m.emit({ type: 'ctc', at: m.now, direction: 'sent', modulation: p.step.modulation });
  }
  m.setState('IV_CTC');
  m.sendCommand([ctc], 'ctc', repeat);
}

function sendEor(m: T30Machine, repeat: boolean): void {
  const et = m.ecmTx;
  if (et === undefined) return;
  const eor: T30Frame = { type: 'EOR', final: true, xBit: m.xBit, fcf2: et.fcf2, fcf2XBit: m.xBit && et.fcf2 !== 'NULL' };
  if (!repeat) {
    m.n.eorSent++;
    m.emit({ type: 'eor', at: m.now, direction: 'sent', page: m.pageIndex + 1, block: et.blockIndex });
  }
  m.setState('IV_EOR');
  m.sendCommand([eor], 'eor', repeat);
}

/** Repeat of a phase-D command (T4 expiry, CRP, corrupted response). */
export function repeatPostPage(m: T30Machine, cmd: 'post-page' | 'pps' | 'rr' | 'ctc' | 'eor', why: string): void {
  // RR is repeated for as long as T5 runs (Annex A); the others 3 times.
  const unlimited = cmd === 'rr' && m.timers.has('T5');
  if (!unlimited && m.commandTries >= MAX_COMMAND_TRIES) {
    m.fail(cmd === 'ctc' ? 'ctc-failed' : cmd === 'eor' ? 'eor-failed' : 'no-response-after-page', `${why} (${m.commandTries} tries)`);
    return;
  }
  switch (cmd) {
    case 'post-page':
      m.setState('II_Q');
      m.sendCommand([m.ctl(m.postPage)], 'post-page', true);
      return;
    case 'pps':
      sendPps(m, true);
      return;
    case 'rr':
      sendRr(m, true);
      return;
    case 'ctc':
      sendCtc(m, true);
      return;
    case 'eor':
      sendEor(m, true);
      return;
  }
}

/** After the page is confirmed: next page (MPS), back to phase B (EOM), or DCN (EOP). */
function nextAfterPage(m: T30Machine, retrain: boolean): void {
  switch (m.postPage) {
    case 'EOP':
      m.disconnect();
      return;
    case 'EOM':
      // T.30 Figure 5-2: after MCF to EOM the transmitter returns to phase B and waits for DIS.
      m.setState('T');
      m.remoteDis = undefined;
      m.arm('T1', T30_T1_MS);
      return;
    case 'MPS':
      if (retrain) phaseB.sendDcs(m, false);
      else phaseC.startTxPage(m);
      return;
  }
}

/**
 * The answer to MPS/EOM/EOP (T.30 §5.3.6.1.7). MCF and RTP confirm the page; RTN asks for it
 * again after a new training. The procedure interrupts PIP and PIN say the same ("received" /
 * "not received satisfactorily") and ask for an operator; we have none, so — as T.30 §5.4.3.1
 * tells a terminal to do when T3 passes without operator intervention, "issue other commands
 * or responses" — PIP goes on like MCF and PIN like RTN (spandsp does the same when it does not
 * offer interrupts to its user; HylaFAX also continues after PIP). A receiver that answers PIN
 * to every attempt ends the call with 'operator-interrupt' once the page's tries are used up.
 */
function nonEcmResponse(m: T30Machine, resp: 'MCF' | 'RTP' | 'RTN' | 'PIP' | 'PIN'): void {
  m.handled();
  m.disarm('T4');
  m.lastCommand = undefined;
  const page = m.pageIndex + 1;
  countInterrupt(m, resp);
  if (resp === 'RTN' || resp === 'PIN') {
    if (resp === 'RTN') {
      m.n.rtnReceived++;
      m.rtnCount++;
    }
    m.pageRtn++;
    m.emit({ type: 'page-tx-end', at: m.now, page, response: resp, accepted: false });
    if (m.pageRtn > MAX_RTN_PER_PAGE) {
      m.fail(resp === 'PIN' ? 'operator-interrupt' : 'rtn-limit', `page ${page} answered ${resp} ${m.pageRtn} times`);
      return;
    }
    // spandsp and HylaFAX both step the rate down on RTN; at the slowest rate, retrain there.
    m.stepDown(resp === 'PIN' ? 'pin' : 'rtn');
    phaseB.sendDcs(m, false);
    return;
  }
  if (resp === 'RTP') m.n.rtpReceived++;
  m.n.pagesSent++;
  m.emit({ type: 'page-tx-end', at: m.now, page, response: resp, accepted: true });
  m.pageIndex++;
  m.pageRtn = 0;
  nextAfterPage(m, resp === 'RTP');
}

/** PIP/PIN received: counted, and told (there is no operator to alert: the procedure goes on). */
function countInterrupt(m: T30Machine, resp: string): void {
  if (resp !== 'PIP' && resp !== 'PIN') return;
  if (resp === 'PIP') m.n.pipReceived++;
  else m.n.pinReceived++;
  m.warn(`${resp} (procedure interrupt) received: no operator here, going on as after ${resp === 'PIP' ? 'MCF' : 'a negative answer'}`);
}

/**
 * The block is confirmed: MCF (or PIP, the same with an operator request) to PPS, ERR (or PIN /
 * PIP) to EOR. Annex A: T5 stops here. The next block, or the page is done.
 */
function ecmBlockConfirmed(m: T30Machine, resp: 'MCF' | 'ERR' | 'PIP' | 'PIN'): void {
  countInterrupt(m, resp);
  m.handled();
  m.disarm('T4');
  m.disarm('T5');
  m.lastCommand = undefined;
  const et = m.ecmTx;
  if (et === undefined) return;
  if (et.blockIndex < et.blocks.length - 1) {
    et.blockIndex++;
    et.pprCount = 0;
    const block = et.blocks[et.blockIndex];
    et.pending = block === undefined ? [] : block.frames.map((_, i) => i);
    phaseC.sendEcmBlock(m, et.pending, false);
    return;
  }
  m.n.pagesSent++;
  m.emit({ type: 'page-tx-end', at: m.now, page: m.pageIndex + 1, response: resp, accepted: true });
  m.pageIndex++;
  nextAfterPage(m, false);
}

/**
 * PPR: send the frames it lists again. T5 keeps running (T.30 §5.4.3.1: only MCF/PIP, or ERR/PIN
 * after EOR, reset it), so a receiver that mixes RNR with PPR cannot stretch the wait beyond T5.
 */
function onPpr(m: T30Machine, f: PprFrame): void {
  m.handled();
  m.disarm('T4');
  m.n.pprReceived++;
  const et = m.ecmTx;
  const block = et?.blocks[et.blockIndex];
  if (et === undefined || block === undefined) return;
  const frames = f.frames.filter((n) => n < block.frames.length);
  if (frames.length === 0) {
    // A PPR asking for nothing we sent: Annex A gives it no meaning; take it as "all received".
    m.warn('PPR without any frame of the block: taken as MCF');
    ecmBlockConfirmed(m, 'MCF');
    return;
  }
  m.emit({ type: 'ppr', at: m.now, direction: 'received', page: m.pageIndex + 1, block: et.blockIndex, frames, count: et.pprCount + 1 });
  resendFrames(m, et, frames);
}

/**
 * PIN to a PPS: the partial page was "not satisfactorily received" and an operator is asked
 * for (T.30 §5.3.6.1.7). Without an operator we go on (§5.4.3.1, T3) as the negative answer
 * means in ECM terms: the whole block is sent again, as if a PPR had asked for every frame of
 * it — so a receiver that keeps answering PIN meets the same PPR limit, CTC and EOR as any other.
 */
function onPinToPps(m: T30Machine): void {
  m.handled();
  m.disarm('T4');
  countInterrupt(m, 'PIN');
  const et = m.ecmTx;
  const block = et?.blocks[et.blockIndex];
  if (et === undefined || block === undefined) return;
  resendFrames(m, et, block.frames.map((_, i) => i));
}

/** Sends `frames` of the current block again; the 4th time for one block, CTC or EOR instead (Annex A). */
function resendFrames(m: T30Machine, et: EcmTxState, frames: number[]): void {
  et.pprCount++;
  et.pending = frames;
  m.ecmRetries += frames.length;
  if (et.pprCount >= PPR_LIMIT_BEFORE_CTC_OR_EOR) {
    // Annex A: after the 4th PPR, continue to correct at a lower rate (CTC) or stop (EOR).
    if (m.stepDown('ctc')) sendCtc(m, false);
    else sendEor(m, false);
    return;
  }
  phaseC.sendEcmBlock(m, frames, true);
}

function onRnr(m: T30Machine): void {
  m.handled();
  m.disarm('T4');
  m.n.rnrReceived++;
  if (!m.timers.has('T5')) m.arm('T5', T30_T5_MS);
  sendRr(m, false);
}

/** A V.21 frame while we are the transmitter in phases C/D. */
export function onTransmitterFrame(m: T30Machine, f: T30Frame): void {
  const s = m.state;
  if (f.type === 'DCN') {
    m.handled();
    m.fail(s === 'I' || s === 'IV' ? 'call-dropped-mid-page' : 'dcn-after-page', 'DCN received', false);
    return;
  }
  if (s === 'I' || s === 'IV') {
    // We are sending the page; a frame now is a late repeat (CFR, MCF) — nothing to answer.
    m.n.ignoredFrames++;
    return;
  }
  if (f.type === 'CRP') {
    m.handled();
    if (!m.transmitting) m.repeatCommand('CRP');
    return;
  }
  if (f.type === 'DIS' && m.postPage === 'EOM' && (s === 'II_Q' || s === 'IV_PPS_Q')) {
    // Our EOM was answered, the MCF lost, and the receiver is already back in phase B.
    if (s === 'II_Q') nonEcmResponse(m, 'MCF');
    else ecmBlockConfirmed(m, 'MCF');
    if (m.state === 'T') phaseB.onFrame(m, f);
    return;
  }
  if (s === 'II_Q') {
    if (f.type === 'MCF' || f.type === 'RTP' || f.type === 'RTN' || f.type === 'PIP' || f.type === 'PIN') nonEcmResponse(m, f.type);
    else {
      m.handled();
      m.fail('invalid-response-after-page', frameName(f));
    }
  } else if (s === 'IV_PPS_NULL' || s === 'IV_PPS_Q' || s === 'IV_PPS_RNR') {
    if (f.type === 'MCF' || f.type === 'PIP') ecmBlockConfirmed(m, f.type);
    else if (f.type === 'PIN') onPinToPps(m);
    else if (f.type === 'PPR') onPpr(m, f);
    else if (f.type === 'RNR') onRnr(m);
    else {
      m.handled();
      m.fail('invalid-ecm-response', `${frameName(f)} in ${s}`);
    }
  } else if (s === 'IV_CTC') {
    m.handled();
    const et = m.ecmTx;
    if (f.type !== 'CTR') m.fail('ctc-failed', `${frameName(f)} instead of CTR`);
    else if (et !== undefined) {
      m.disarm('T4');
      m.lastCommand = undefined;
      et.pprCount = 0;
      et.longTrain = true; // new rate: the receiver must train long
      phaseC.sendEcmBlock(m, et.pending, true);
    }
  } else if (s === 'IV_EOR' || s === 'IV_EOR_RNR') {
    // Annex A: ERR ends the block; PIN (or PIP) ends it too, with an operator request we cannot serve.
    if (f.type === 'ERR' || f.type === 'PIN' || f.type === 'PIP') ecmBlockConfirmed(m, f.type);
    else if (f.type === 'RNR') onRnr(m);
    else {
      m.handled();
      m.fail('eor-failed', `${frameName(f)} instead of ERR`);
    }
  } else {
    m.n.ignoredFrames++;
  }
}

// ---------------------------------------------------------------------------------------------
// Receiver

type PostPage = 'MPS' | 'EOM' | 'EOP';

/**
 * MPS/EOM/EOP, or their procedure-interrupt forms PRI-MPS/EOM/EOP (T.30 §5.3.6.1.6: the same
 * command, plus a request for operator intervention). An automatic terminal has no operator to
 * alert; T.30 §5.4.3.1 (T3) has a terminal that fails to get one "issue other commands or
 * responses", so a PRI-Q is answered exactly as Q (MCF/RTN, or in ECM MCF/PPR/RNR, never
 * PIP/PIN, which would ask the far end for the operator we do not have) — as spandsp does when
 * it does not offer interrupts to its user. EOS (end of selection) ends the document like EOP.
 */
function postPageOf(type: string): PostPage | undefined {
  switch (type) {
    case 'MPS':
    case 'PRI-MPS':
      return 'MPS';
    case 'EOM':
    case 'PRI-EOM':
      return 'EOM';
    case 'EOP':
    case 'PRI-EOP':
    case 'EOS':
      return 'EOP';
    default:
      return undefined;
  }
}

/** A V.21 frame while we are the receiver in phases C/D. */
export function onReceiverFrame(m: T30Machine, f: T30Frame): void {
  if (isInterruptRequest(f)) {
    m.n.priReceived++;
    m.warn(`${frameName(f)} (procedure interrupt) received: no operator here, answered as the plain command`);
  }
  // The end of the page signal was lost: the post-page command tells us the page is over.
  if (m.state === 'F_DOC_NON_ECM') phaseC.finishNonEcmPage(m);
  const s = m.state;
  if (f.type === 'DCN') {
    m.handled();
    onDcnAsReceiver(m);
    return;
  }
  if (f.type === 'DCS') {
    // The transmitter is back in phase B: after MCF/RTN/RTP, or (F_POST_DOC_NON_ECM) because what we
    // took for a page was the TCF of a DCS we missed — train again either way.
    if (s === 'F_POST_DOC_NON_ECM' && m.rxPage !== undefined && m.receivedPages.at(-1) === m.rxPage) {
      m.receivedPages.pop();
      m.rxPage = undefined;
      m.stored = undefined;
      m.warn('DCS instead of a post-page command: the "page" was a TCF; training again');
    }
    if (s === 'III_Q_MCF' || s === 'III_Q_RTN' || s === 'F_POST_RCP_MCF' || s === 'F_POST_DOC_NON_ECM') phaseB.onDcs(m, f.dis);
    else {
      m.handled();
      m.fail('invalid-command-after-page', `DCS in ${s}`);
    }
    return;
  }
  if (s === 'F_POST_DOC_NON_ECM' || s === 'III_Q_MCF' || s === 'III_Q_RTN') {
    nonEcmCommand(m, f);
    return;
  }
  ecmCommand(m, f);
}

/** PRI-MPS/EOM/EOP, on its own or as the FCF2 of a PPS or EOR. */
function isInterruptRequest(f: T30Frame): boolean {
  const t = f.type === 'PPS' || f.type === 'EOR' ? f.fcf2 : f.type;
  return t === 'PRI-MPS' || t === 'PRI-EOM' || t === 'PRI-EOP';
}

function onDcnAsReceiver(m: T30Machine): void {
  const s = m.state;
  const eopDone = m.lastPostPage === 'EOP';
  if (s === 'III_Q_MCF') {
    if (eopDone) m.end('ok', '', false);
    else m.fail('dcn-after-mcf', '', false);
  } else if (s === 'F_POST_RCP_MCF') {
    if (m.ecmRx.pageDone && eopDone) m.end('ok', '', false);
    else m.fail(m.ecmRx.pageDone ? 'dcn-after-mcf' : 'dcn-during-ecm', '', false);
  } else if (s === 'III_Q_RTN') {
    m.fail('dcn-after-rtn', '', false);
  } else if (s === 'F_POST_DOC_NON_ECM') {
    m.fail('dcn-waiting-post-page', '', false);
  } else if (s === 'F_POST_RCP_RNR') {
    // The transmitter gave up waiting (its T5): the held-back page was never confirmed.
    m.fail('dcn-during-ecm', 'while we were not ready (RNR)', false);
  } else {
    m.fail('dcn-during-ecm', '', false);
  }
}

function nonEcmCommand(m: T30Machine, f: T30Frame): void {
  const cmd = postPageOf(f.type);
  const s = m.state;
  if (cmd === undefined) {
    m.n.ignoredFrames++;
    if (f.type === 'PPS' || f.type === 'EOR' || f.type === 'CTC' || f.type === 'RR' || f.type === 'CTR') {
      m.handled();
      m.fail('invalid-command-after-page', `${frameName(f)} in a non-ECM session`);
    }
    return;
  }
  m.handled();
  if (s === 'F_POST_DOC_NON_ECM') {
    answerPage(m, cmd);
    return;
  }
  if (cmd === m.lastPostPage) {
    // The same command again: our answer was lost; repeat it (not a new page).
    const resp = s === 'III_Q_MCF' ? 'MCF' : 'RTN';
    m.setState(s);
    m.sendResponse([m.ctl(resp)]);
    if (resp === 'MCF' && cmd === 'EOM') m.afterTx({ kind: 'send-dis' });
    return;
  }
  // A different post-page command without a page in between: the page never arrived.
  m.rxPage = undefined;
  answerPage(m, cmd);
}

/** MCF (page good) or RTN (bad copy, or no page at all) to the post-page command. */
function answerPage(m: T30Machine, cmd: PostPage): void {
  const pg = m.rxPage;
  if (pg?.accepted === true && m.confirmAfterStore && m.stored !== true) {
    if (m.stored === false) {
      m.rxPage = undefined;
      m.lastPostPage = cmd;
      notStored(m);
      return;
    }
    // Confirm-after-store, non-ECM: no RNR here (Annex A only), so the answer is held for at most
    // CONFIRM_HOLD_MS, within the transmitter's T4; a repeat of the command while held changes nothing.
    if (m.heldPostPage === undefined) m.arm('CONFIRM_HOLD', CONFIRM_HOLD_MS);
    m.heldPostPage = cmd;
    m.disarm('T2');
    return;
  }
  m.stored = undefined;
  m.rxPage = undefined;
  m.lastPostPage = cmd;
  if (!m.receiveReady && !m.confirmAfterStore) {
    // RNR is an Annex A (ECM) response: a non-ECM receiver must answer within the sender's T4,
    // so "not ready" cannot hold the page back here; it is delivered and answered as usual.
    m.warn('page sink not ready, but non-ECM has no flow control (RNR): the page is answered as usual');
  }
  if (pg?.accepted === true) {
    m.n.pagesReceived++;
    m.badRowsTotal += pg.badRows;
    m.longestBadRun = Math.max(m.longestBadRun, pg.longestBadRun);
    m.setState('III_Q_MCF');
    m.sendResponse([m.ctl('MCF')]);
    // After EOM the receiver goes back to phase B and sends DIS again (Figure 5-2).
    if (cmd === 'EOM') m.afterTx({ kind: 'send-dis' });
  } else {
    m.n.rtnSent++;
    m.rtnCount++;
    m.setState('III_Q_RTN');
    m.sendResponse([m.ctl('RTN')]);
  }
}

function ecmCommand(m: T30Machine, f: T30Frame): void {
  if (m.state === 'F_POST_RCP_RNR') {
    notReadyCommand(m, f);
  } else if (f.type === 'PPS') {
    onPps(m, f);
  } else if (f.type === 'EOR') {
    onEor(m, f.fcf2);
  } else if (f.type === 'CTC') {
    m.handled();
    const step = stepForRateCode(f.rateCode);
    const p = m.params;
    if (step === undefined || p === undefined) {
      m.fail('invalid-ecm-command', `CTC with rate code ${f.rateCode}`);
      return;
    }
    m.params = { ...p, step };
    m.n.ctcReceived++;
    m.emit({ type: 'ctc', at: m.now, direction: 'received', modulation: step.modulation });
    m.ecmRx.lastResponse = 'CTR';
    m.setState('F_POST_RCP_PPR');
    m.sendResponse([m.ctl('CTR')]);
  } else if (f.type === 'RR') {
    m.handled();
    m.n.rrReceived++;
    repeatEcmResponse(m);
  } else if (postPageOf(f.type) !== undefined || f.type === 'CFR' || f.type === 'MCF') {
    m.handled();
    m.fail('invalid-ecm-command', `${frameName(f)} in ${m.state}`);
  } else {
    m.n.ignoredFrames++;
    m.warn(`${frameName(f)} ignored in ${m.state}`);
  }
}

function pprFrame(m: T30Machine, frames: readonly number[]): T30Frame {
  return { type: 'PPR', final: true, xBit: m.xBit, frames };
}

/** RR, or a repeated PPS/EOR/CTC: say again what we said last. */
function repeatEcmResponse(m: T30Machine): void {
  const rx = m.ecmRx;
  const s = m.state;
  switch (rx.lastResponse) {
    case 'MCF':
    case 'ERR':
    case 'CTR':
      m.setState(s);
      m.sendResponse([m.ctl(rx.lastResponse)]);
      return;
    case 'PPR':
      m.setState(s);
      m.sendResponse([pprFrame(m, rx.lastPprFrames)]);
      return;
    case null:
      m.n.ignoredFrames++;
      return;
  }
}

function ackKey(pageCounter: number, blockCounter: number): number {
  return ((pageCounter & 0xff) << 8) | (blockCounter & 0xff);
}

function onPps(m: T30Machine, f: PpsFrame): void {
  m.handled();
  m.disarm('RX_STALL');
  const rx = m.ecmRx;
  const key = ackKey(f.pageCounter, f.blockCounter);
  if (m.state === 'F_POST_RCP_MCF' && key === rx.lastAckKey) {
    repeatEcmResponse(m); // our MCF was lost
    return;
  }
  if (m.state === 'F_CFR' || m.state === 'F_POST_RCP_MCF') phaseC.prepareEcmBlock(m); // its frames were all lost
  rx.frameCount = f.frameCount;
  rx.pageCounter = f.pageCounter;
  rx.blockCounter = f.blockCounter;
  const missing = rx.block.missing(f.frameCount);
  if (missing.length === 0) {
    acceptBlock(m, f.fcf2, key, 'MCF');
    return;
  }
  m.n.pprSent++;
  rx.pprCount++;
  m.ecmRetries += missing.length;
  rx.lastResponse = 'PPR';
  rx.lastPprFrames = missing;
  m.emit({ type: 'ppr', at: m.now, direction: 'sent', page: m.n.pagesReceived + 1, block: f.blockCounter, frames: missing, count: rx.pprCount });
  m.setState('F_POST_RCP_PPR');
  m.sendResponse([pprFrame(m, missing)]);
}

function onEor(m: T30Machine, fcf2: PpsFrame['fcf2']): void {
  m.handled();
  const rx = m.ecmRx;
  if (m.state === 'F_POST_RCP_MCF' && rx.lastResponse === 'ERR') {
    repeatEcmResponse(m);
    return;
  }
  m.n.eorReceived++;
  m.emit({ type: 'eor', at: m.now, direction: 'received', page: m.n.pagesReceived + 1, block: rx.blockCounter });
  acceptBlock(m, fcf2, ackKey(rx.pageCounter, rx.blockCounter), 'ERR');
}

/**
 * The block is done (complete → MCF, or given up → ERR); the page too if FCF2 says so — unless
 * it ends the page while our page sink is not ready: then the answer is RNR and everything here
 * waits (Annex A flow control, `notReadyCommand`).
 */
function acceptBlock(m: T30Machine, fcf2: PpsFrame['fcf2'], key: number, resp: 'MCF' | 'ERR'): void {
  const rx = m.ecmRx;
  const cmd = fcf2 === 'NULL' ? undefined : postPageOf(fcf2);
  if (cmd !== undefined && m.confirmAfterStore) {
    acceptPageAfterStore(m, cmd, fcf2, key, resp);
    return;
  }
  if (cmd !== undefined && !m.receiveReady) {
    rx.deferred = { fcf2, key, resp };
    sendRnr(m);
    return;
  }
  rx.pageChunks.push(rx.block.assemble(rx.frameCount));
  rx.block.clear();
  rx.lastAckKey = key;
  rx.lastResponse = resp;
  rx.pprCount = 0;
  if (cmd !== undefined) {
    phaseC.finishEcmPage(m);
    m.lastPostPage = cmd;
  }
  m.setState('F_POST_RCP_MCF');
  m.sendResponse([m.ctl(resp)]);
  if (cmd === 'EOM') m.afterTx({ kind: 'send-dis' });
}

/**
 * Confirm-after-store, ECM (T.30 Annex A flow control put to the application's storage): the
 * block that ends the page is complete, so the page is assembled, decoded and delivered
 * (`page-rx-end`) at once — but not answered. While the application has not said it stored the
 * page (`confirmPage`), or its sink is not ready, the answer is RNR, and so is the answer to
 * every RR after it (the transmitter bounds this with T5, 60 s). Stored: the held MCF (or ERR
 * after EOR), and the page counts. Not stored: the receiver must not confirm it, and T.30 gives
 * a receiver no response that says "received but lost" (PIN asks for an operator, PPR for frames
 * it has): it releases the call instead — DCN (T.30 §5.3.6.1.8, phase E) in place of MCF, so the
 * transmitter ends with the page unconfirmed ("DCN after page"), and our result is 'page-not-stored'.
 */
function acceptPageAfterStore(m: T30Machine, cmd: PostPage, fcf2: PpsFrame['fcf2'], key: number, resp: 'MCF' | 'ERR'): void {
  const rx = m.ecmRx;
  if (!m.ecmPageHeld) {
    rx.pageChunks.push(rx.block.assemble(rx.frameCount));
    rx.block.clear();
    rx.pprCount = 0;
    m.stored = undefined;
    m.ecmPageHeld = true;
    phaseC.finishEcmPage(m, false);
  }
  if (m.stored === false) {
    notStored(m);
    return;
  }
  if (m.stored === undefined || !m.receiveReady) {
    rx.deferred = { fcf2, key, resp };
    sendRnr(m);
    return;
  }
  m.ecmPageHeld = false;
  m.stored = undefined;
  const page = m.receivedPages.at(-1);
  if (page !== undefined) phaseC.countEcmPage(m, page);
  rx.lastAckKey = key;
  rx.lastResponse = resp;
  m.lastPostPage = cmd;
  m.setState('F_POST_RCP_MCF');
  m.sendResponse([m.ctl(resp)]);
  if (cmd === 'EOM') m.afterTx({ kind: 'send-dis' });
}

/**
 * Confirm-after-store: the application could not store the page just received. No MCF (T.30
 * §5.3.6.1.7: MCF says the message was received "satisfactorily", which a page lost on our side
 * was not); DCN releases the call (T.30 §5.3.6.1.8) and the page is marked not accepted.
 */
function notStored(m: T30Machine): void {
  const last = m.receivedPages.at(-1);
  if (last !== undefined && last.accepted) m.receivedPages[m.receivedPages.length - 1] = { ...last, accepted: false };
  m.ecmPageHeld = false;
  m.heldPostPage = undefined;
  m.disarm('CONFIRM_HOLD');
  m.fail('page-not-stored', `page ${last?.page ?? m.n.pagesReceived + 1}${m.storeError !== '' ? `: ${m.storeError}` : ''}`);
}

/**
 * The application's word on the page delivered last (`T30Engine.confirmPage`). ECM: it is used
 * at the next RR (or repeated PPS); non-ECM: a held answer goes out now.
 */
export function onPageConfirmed(m: T30Machine, stored: boolean, detail: string): void {
  if (m.result !== undefined) return;
  m.stored = stored;
  m.storeError = stored ? '' : detail;
  const cmd = m.heldPostPage;
  if (cmd === undefined) return;
  m.heldPostPage = undefined;
  m.disarm('CONFIRM_HOLD');
  answerPage(m, cmd);
}

/** Confirm-after-store, non-ECM: the application did not say within CONFIRM_HOLD_MS. */
export function onConfirmHoldExpired(m: T30Machine): void {
  if (m.heldPostPage === undefined || m.result !== undefined) return;
  m.heldPostPage = undefined;
  m.storeError = `no store confirmation within ${CONFIRM_HOLD_MS} ms`;
  notStored(m);
}

/**
 * ECM flow control, receiver side (T.30 Annex A: RNR "receive not ready", RR "receive ready?").
 * The block that ends a page is complete, but the application said its page sink is not ready
 * (`T30Engine.setReceiveReady(false)`), so we answered RNR. The transmitter asks again with RR
 * (and repeats its PPS or EOR if our RNR was lost): RNR again while not ready, else the answer
 * held back (MCF, or ERR after EOR), and the page is finished and delivered. The transmitter
 * bounds the whole wait with T5 (60 s) and then sends DCN.
 */
function notReadyCommand(m: T30Machine, f: T30Frame): void {
  const d = m.ecmRx.deferred;
  const again = f.type === 'RR' || f.type === 'EOR' || (f.type === 'PPS' && d !== undefined && ackKey(f.pageCounter, f.blockCounter) === d.key);
  if (again && d !== undefined) {
    m.handled();
    if (f.type === 'RR') m.n.rrReceived++;
    if (!m.receiveReady && !m.confirmAfterStore) {
      sendRnr(m);
      return;
    }
    m.ecmRx.deferred = undefined;
    acceptBlock(m, d.fcf2, d.key, d.resp);
  } else if (f.type === 'PPS' || f.type === 'CTC' || postPageOf(f.type) !== undefined || f.type === 'CFR' || f.type === 'MCF') {
    m.handled();
    m.fail('invalid-ecm-command', `${frameName(f)} while not ready (RNR)`);
  } else {
    m.n.ignoredFrames++;
    m.warn(`${frameName(f)} ignored in ${m.state}`);
  }
}

function sendRnr(m: T30Machine): void {
  m.n.rnrSent++;
  m.setState('F_POST_RCP_RNR');
  m.sendResponse([m.ctl('RNR')]);
}

// ---------------------------------------------------------------------------------------------
// Timers of phases B–D

/** T2: the command (or the page) we wait for did not come. */
export function onT2(m: T30Machine): void {
  const s = m.state;
  const eopDone = m.lastPostPage === 'EOP';
  if (s === 'F_TCF' || s === 'F_FTT' || s === 'III_Q_RTN') m.fail('t2-expired');
  else if (s === 'R') m.repeatCommand('T2 expired');
  else if (s === 'F_CFR') m.fail('t2-expired-waiting-page');
  else if (s === 'F_POST_DOC_NON_ECM') m.fail('t2-expired-waiting-post-page');
  else if (s === 'III_Q_MCF') {
    // The document is in; a missing DCN after EOP does not spoil it.
    if (eopDone) m.end('ok', '', false);
    else m.fail('t2-expired-waiting-next-page');
  } else if (s === 'F_POST_RCP_MCF') {
    if (m.ecmRx.pageDone && eopDone) m.end('ok', '', false);
    else m.fail(m.ecmRx.pageDone ? 't2-expired-waiting-next-page' : 't2-expired-ecm');
  } else if (s === 'F_POST_DOC_ECM' || s === 'F_POST_RCP_PPR' || s === 'F_POST_RCP_RNR') m.fail('t2-expired-ecm');
  // Elsewhere a T2 is stale.
}

/** T4: no response to our command. */
export function onT4(m: T30Machine): void {
  if (m.state === 'R' || expectsResponse(m.state)) m.repeatCommand('T4 expired');
}
