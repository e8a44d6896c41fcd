/**
 * Phases A and B — call set-up and the pre-message procedure (ITU-T T.30 (09/2005) §5.1–§5.2,
 * Figure 5-2): CNG and CED, DIS/DTC from the terminal that will receive, DCS (+TSI, SUB,
 * SID) from the one that will send, the training check TCF, CFR or FTT, and the rate
 * fall-back on FTT. Polling (DTC, T.30 Table 1 and Figure 5-2): a caller with nothing to send
 * answers a DIS that has bit 9 set with DTC (+CIG, PWD, SEP), and the called terminal then sends.
 * Turnaround polling: a caller with a document that may also receive, whose far end's first DIS
 * has bit 9 set, sends its pages first, ends the last one with EOM instead of EOP, and answers
 * the DIS the far end sends again after MCF (Figure 5-2: EOM leads back to phase B) with DTC —
 * the same place as a plain poll from there on, with the roles of phases C and D swapped.
 *
 *   caller (send + receive)                  answerer (receive + a document to offer)
 *          ◀─────────────── DIS (bit 9) ─────
 *          DCS, TCF … pages … EOM ─────────▶
 *          ◀─────────────── MCF, DIS ────────
 *   R      [PWD] [SEP] [CIG] DTC ───────────▶  (now the transmitter)
 *          ◀─────────── DCS, TCF … pages … EOP
 *          MCF ─────────────────────────────▶  DCN
 *
 *   caller                                   answerer
 *   A_CNG  CNG ……                            A_CED  CED
 *          ◀─────────────── CSI, DIS ─────── R      (repeated every T4 until T1)
 *   D_TCF  TSI, DCS, TCF ─────────────────▶  F_TCF
 *          ◀─────────────── CFR / FTT ─────── F_CFR / F_FTT
 *   I / IV (phase C)                          F_DOC_*
 *
 * TCF check (T.30 leaves the criterion to the implementation): the TCF is accepted when the
 * longest run of zero bits received lasts at least `TCF_MIN_ZERO_RUN_MS` (1 s) at the rate of
 * the DCS — spandsp's criterion; bits of a different modulation do not count.
 *
 * The bottom of the phase chain (engine.ts): it calls no other phase. On CFR it hands the
 * machine a `start-page` action and the engine starts phase C; the TCF octets, and the first
 * ECM commands after CFR when every frame of the first block was lost, are routed by the engine.
 */

import { bitmapStride, type Bitmap } from '../t4/bitmap.js';
import { interpretDis, type DisInfo } from './dis.js';
import type { T30Machine } from './machine.js';
import { frameName, type T30Frame } from './frames.js';
import type { FaxModulation } from '../modem/modulation.js';
import { buildDcsFields, buildDisFields, negotiate, paramsFromDcs, widthForPixels } from './negotiate.js';
import {
  CED_MS,
  CNG_OFF_MS,
  CNG_ON_MS,
  INTER_SIGNAL_MS,
  PRE_CED_SILENCE_MS,
  T2_WAIT_MS,
  T30_T0_MS,
  T30_T1_MS,
  TCF_MIN_ZERO_RUN_MS,
  TCF_MS,
} from './timers.js';

// ---------------------------------------------------------------------------------------------
// Phase A

function badPage(p: Bitmap): string | undefined {
  if (widthForPixels(p.width) === undefined) return `width ${p.width} is not 1728, 2048 or 2432 pels`;
  if (!Number.isInteger(p.height) || p.height <= 0) return `height ${p.height} is not a positive number of rows`;
  if (p.stride !== bitmapStride(p.width) || p.data.length < p.stride * p.height) return 'bitmap data is shorter than width × height';
  return undefined;
}

/** `T30Engine.start()`: checks the document, then CNG (caller) or CED + DIS (answerer). */
export function start(m: T30Machine): void {
  if (m.pages.length === 0 && !m.caps.canReceive) {
    m.fail('empty-document', '', false);
    return;
  }
  for (let i = 0; i < m.pages.length; i++) {
    const page = m.pages[i];
    const why = page === undefined ? 'missing' : badPage(page);
    if (why !== undefined) {
      m.fail('bad-document', `page ${i + 1}: ${why}`, false);
      return;
    }
  }
  if (m.role === 'calling') {
    m.setState('A_CNG');
    m.arm('T0', T30_T0_MS);
    sendCng(m);
  } else {
    m.setState('A_CED');
    m.queue({ kind: 'silence', ms: PRE_CED_SILENCE_MS });
    m.queue({ kind: 'tone', tone: 'ced', ms: CED_MS });
    m.afterTx({ kind: 'send-dis' });
  }
}

function sendCng(m: T30Machine): void {
  m.queue({ kind: 'tone', tone: 'cng', ms: CNG_ON_MS });
  m.afterTx({ kind: 'cng-gap' });
}

/** A CNG burst has left: the 3 s pause is a timer, so a DIS in it is answered at once. */
export function onCngSent(m: T30Machine): void {
  if (m.state === 'A_CNG') m.arm('CNG', CNG_OFF_MS);
}

export function onCngGap(m: T30Machine): void {
  if (m.state === 'A_CNG') sendCng(m);
}

/** CED or V.21 from the far end: the called terminal answered, T0 gives way to T1 (§5.4.3.1). */
export function onRemoteHeard(m: T30Machine): void {
  if (m.heardRemote) return;
  m.heardRemote = true;
  if (m.timers.has('T0')) {
    m.disarm('T0');
    m.arm('T1', T30_T1_MS);
  }
}

export function onT1(m: T30Machine): void {
  // A T1 that outlived phase B is stale and ignored.
  if (m.state === 'A_CNG' || m.state === 'T') m.fail(m.sawNonDis ? 'no-dis' : 't1-expired');
  else if (m.state === 'R') m.fail('t1-expired');
}

// ---------------------------------------------------------------------------------------------
// DIS / DTC

/** Sends (or repeats) DIS: [CSI] DIS; T1 runs from the first one, T4 after each (Figure 5-2). */
export function sendDis(m: T30Machine, repeat = false): void {
  const frames: T30Frame[] = [];
  if (m.ident !== '') frames.push({ type: 'CSI', final: false, xBit: false, ident: m.ident });
  frames.push({ type: 'DIS', final: true, xBit: false, dis: interpretDis(buildDisFields('DIS', m.caps)), trailing: new Uint8Array(0) });
  m.n.disSent++;
  m.polling = false;
  m.setState('R');
  if (!m.timers.has('T1')) m.arm('T1', T30_T1_MS);
  m.sendCommand(frames, 'dis', repeat);
}

/** Poll: [PWD] [SEP] [CIG] DTC; we then wait in R for the far end's DCS. */
function sendDtc(m: T30Machine, repeat: boolean): void {
  const frames: T30Frame[] = [];
  const pwd = m.password !== '' && m.remoteDis?.password === true;
  const sep = m.selectivePolling !== '' && m.remoteDis?.selectivePolling === true;
  if (pwd) frames.push({ type: 'PWD', final: false, xBit: false, ident: m.password });
  if (sep) frames.push({ type: 'SEP', final: false, xBit: false, ident: m.selectivePolling });
  if (m.ident !== '') frames.push({ type: 'CIG', final: false, xBit: false, ident: m.ident });
  const dtc = buildDisFields('DTC', m.caps, { password: pwd, selectivePolling: sep });
  frames.push({ type: 'DTC', final: true, xBit: false, dis: interpretDis(dtc), trailing: new Uint8Array(0) });
  m.polling = true;
  m.setState('R');
  if (!m.timers.has('T1')) m.arm('T1', T30_T1_MS);
  m.sendCommand(frames, 'dtc', repeat);
}

export function resendDisOrDtc(m: T30Machine): void {
  if (m.polling) sendDtc(m, true);
  else sendDis(m, true);
}

// ---------------------------------------------------------------------------------------------
// Transmitter: DCS and TCF

/** The far end's DIS (or a poller's DTC) is in: choose the session and send DCS. */
function startTransmitter(m: T30Machine, remote: DisInfo): void {
  const page = m.pages[m.pageIndex];
  if (page === undefined) {
    m.fail('empty-document');
    return;
  }
  m.remoteDis = remote;
  const r = negotiate(remote, m.caps, page);
  if (!r.ok) {
    m.fail(r.code, r.detail);
    return;
  }
  m.params = r.params;
  m.fallback = r.fallback;
  m.fallbackIndex = 0;
  m.disarm('T1');
  m.emit({ type: 'negotiated', at: m.now, role: 'transmitter', params: r.params });
  sendDcs(m, false);
}

/**
 * [TSI] [SUB] [SID] DCS, then (data rate management method 2) TCF: 1.5 s of zeros at the new
 * rate after a long training. T4 starts when the TCF has left.
 */
export function sendDcs(m: T30Machine, repeat: boolean): void {
  const p = m.session();
  const remote = m.remoteDis;
  const frames: T30Frame[] = [];
  if (m.ident !== '') frames.push({ type: 'TSI', final: false, xBit: m.xBit, ident: m.ident });
  const sub = m.subaddress !== '' && remote?.subaddressing === true;
  const sid = m.password !== '' && remote?.password === true;
  if (sub) frames.push({ type: 'SUB', final: false, xBit: m.xBit, ident: m.subaddress });
  if (sid) frames.push({ type: 'SID', final: false, xBit: m.xBit, ident: m.password });
  const dcs = interpretDis(buildDcsFields(p, { subaddress: sub, senderId: sid }));
  frames.push({ type: 'DCS', final: true, xBit: m.xBit, dis: dcs, trailing: new Uint8Array(0) });
  m.setState('D_TCF');
  m.n.dcsSent++;
  m.sendCommand(frames, 'dcs', repeat);
  if (m.tcfMode === 'transferred') {
    m.queue({ kind: 'silence', ms: INTER_SIGNAL_MS });
    m.queue({ kind: 'tcf', modulation: p.step.modulation, ms: TCF_MS });
    m.n.tcfSent++;
    m.trainedAt = p.step.modulation; // TCF is always preceded by the long training
    m.emit({ type: 'tcf-sent', at: m.now, modulation: p.step.modulation, ms: TCF_MS });
  } else {
    // Method 1: no TCF crosses this line, so the first page after DCS trains long.
    m.trainedAt = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Receiver: DCS, TCF, CFR/FTT

/** Frames that carry nothing but vendor or address information, accepted and not acted on. */
const OPAQUE_INFO_FRAMES: ReadonlySet<string> = new Set(['PSA', 'NSF', 'NSS', 'NSC', 'CIA', 'TSA', 'IRA', 'ISP', 'CSA']);

/** Identity and routing frames: remembered wherever they arrive. True if `f` was one. */
export function storeInfoFrame(m: T30Machine, f: T30Frame): boolean {
  if (f.type === 'CSI' || f.type === 'TSI' || f.type === 'CIG') m.remoteIdent = f.ident;
  else if (f.type === 'SUB') m.remoteSubaddress = f.ident;
  else if (f.type === 'SID' || f.type === 'PWD') m.remotePassword = f.ident;
  else if (f.type === 'SEP') m.remoteSelectivePolling = f.ident;
  else return OPAQUE_INFO_FRAMES.has(f.type);
  return true;
}

/** A DCS arrived (after DIS, FTT, CFR, RTN, or between pages): check it and start the training check. */
export function onDcs(m: T30Machine, dcs: DisInfo): void {
  m.handled();
  m.disarm('T1');
  m.disarm('T2');
  m.disarm('T4');
  m.lastCommand = undefined;
  if (!m.caps.canReceive) {
    m.fail('bad-dcs', 'DCS received but we did not offer to receive');
    return;
  }
  if (m.role === 'answering' && m.password !== '' && m.remotePassword !== m.password) {
    m.fail('password-unacceptable', m.remotePassword === '' ? 'no SID sent' : 'SID does not match');
    return;
  }
  const r = paramsFromDcs(dcs, m.caps);
  if (!r.ok) {
    m.fail('bad-dcs', r.detail);
    return;
  }
  m.params = r.params;
  m.emit({ type: 'negotiated', at: m.now, role: 'receiver', params: r.params });
  if (m.tcfMode === 'transferred') {
    m.tcfBits = 0;
    m.tcfRun = 0;
    m.tcfBestRun = 0;
    m.setState('F_TCF');
    m.arm('T2', T2_WAIT_MS);
  } else {
    sendCfr(m);
  }
}

/** Counts zero runs in TCF octets (line order: first bit = MSB). */
export function onTcfData(m: T30Machine, modulation: FaxModulation, data: Uint8Array): void {
  if (m.params === undefined || modulation !== m.params.step.modulation) {
    m.warn(`TCF at ${modulation} while ${m.params?.step.modulation ?? 'nothing'} was announced`);
    return;
  }
  m.disarm('T2');
  m.arm('RX_STALL', 5 * TCF_MS);
  for (const b of data) {
    if (b === 0) {
      m.tcfRun += 8;
      continue;
    }
    m.tcfRun += Math.clz32(b) - 24; // zeros before the first 1 in transmission order
    if (m.tcfRun > m.tcfBestRun) m.tcfBestRun = m.tcfRun;
    m.tcfRun = 31 - Math.clz32(b & -b); // zeros after the last 1
  }
  m.tcfBits += 8 * data.length;
}

/** The TCF signal ended: CFR if it was good enough, FTT if not. */
export function onTcfEnd(m: T30Machine): void {
  if (m.tcfBits === 0 || m.params === undefined) return; // e.g. no-signal after the DCS burst
  m.disarm('RX_STALL');
  const best = Math.max(m.tcfBestRun, m.tcfRun);
  const rate = m.params.step.bitRate;
  const ok = best >= (rate * TCF_MIN_ZERO_RUN_MS) / 1000;
  m.n.tcfChecked++;
  m.emit({
    type: 'tcf-checked',
    at: m.now,
    modulation: m.params.step.modulation,
    ok,
    receivedMs: Math.round((m.tcfBits * 1000) / rate),
    longestZeroRunMs: Math.round((best * 1000) / rate),
  });
  m.tcfBits = 0;
  if (ok) sendCfr(m);
  else {
    m.n.fttSent++;
    m.setState('F_FTT');
    m.sendResponse([m.ctl('FTT')]);
  }
}

function sendCfr(m: T30Machine): void {
  m.setState('F_CFR');
  m.rxChunks = [];
  m.sendResponse([m.ctl('CFR')]);
}

// ---------------------------------------------------------------------------------------------
// Frames in phase B states

/** A control frame in a phase B state (identity frames were taken by `storeInfoFrame` already). */
export function onFrame(m: T30Machine, f: T30Frame): void {
  const s = m.state;
  if (s === 'A_CNG' || s === 'T') inT(m, f);
  else if (s === 'R') inR(m, f);
  else if (s === 'D_TCF') inDTcf(m, f);
  else if (s === 'F_TCF' || s === 'F_CFR' || s === 'F_FTT') inF(m, f);
  else m.n.ignoredFrames++;
}

/** Waiting for DIS (Figure 5-2, node T). */
function inT(m: T30Machine, f: T30Frame): void {
  if (f.type === 'DIS') {
    m.handled();
    m.disarm('T0');
    m.disarm('T1');
    m.disarm('CNG');
    m.remoteDis = f.dis;
    const havePages = m.pageIndex < m.pages.length;
    const sentAll = !havePages && m.n.pagesSent > 0;
    if (havePages && f.dis.receiverFax) {
      // Turnaround polling: decided on the first DIS, whose bit 9 offers a document for polling
      // (a DIS after an EOM between two of our pages does not change it).
      if (m.n.pagesSent === 0) m.turnaround = m.caps.canReceive && f.dis.readyToTransmitFax;
      startTransmitter(m, f.dis);
    } else if (m.caps.canReceive && f.dis.readyToTransmitFax) sendDtc(m, false);
    else if (sentAll) {
      // Back in phase B after our EOM to poll, but this DIS no longer offers a document: ours is
      // delivered, so the call ends well (DCN) with nothing received.
      m.warn('the far end no longer offers a document to poll');
      m.disconnect();
    } else m.fail(havePages ? 'remote-cannot-receive' : 'remote-cannot-send');
  } else if (f.type === 'DCN') {
    m.handled();
    m.fail('dcn-waiting-dis', '', false);
  } else {
    m.sawNonDis = true;
    m.n.ignoredFrames++;
    m.warn(`${frameName(f)} while waiting for DIS`);
  }
}

/** DIS or DTC sent, waiting for a command (node R). */
function inR(m: T30Machine, f: T30Frame): void {
  if (f.type === 'DCS') {
    onDcs(m, f.dis);
  } else if (f.type === 'DTC') {
    m.handled();
    if (m.polling) m.n.ignoredFrames++;
    else if (m.pageIndex >= m.pages.length) m.fail('poll-refused');
    else if (m.password !== '' && m.remotePassword !== m.password) {
      m.fail('password-unacceptable', m.remotePassword === '' ? 'no PWD sent' : 'PWD does not match');
    } else startTransmitter(m, f.dis);
  } else if (f.type === 'DIS') {
    // The poller hears DIS again: our DTC was lost. (An answerer hearing DIS: ignore the echo.)
    if (m.polling && !m.transmitting) {
      m.handled();
      m.repeatCommand('DIS repeated');
    } else m.n.ignoredFrames++;
  } else if (f.type === 'CRP') {
    m.handled();
    if (!m.transmitting) m.repeatCommand('CRP');
  } else if (f.type === 'DCN') {
    m.handled();
    m.fail('dcn-waiting-command', '', false);
  } else {
    m.n.ignoredFrames++;
    m.warn(`${frameName(f)} while waiting for a command after ${m.polling ? 'DTC' : 'DIS'}`);
  }
}

/** DCS (+ TCF) sent, waiting for CFR or FTT. */
function inDTcf(m: T30Machine, f: T30Frame): void {
  m.handled();
  if (f.type === 'CFR') {
    m.disarm('T4');
    m.lastCommand = undefined;
    m.dispatch({ kind: 'start-page' }); // phase C
  } else if (f.type === 'FTT') {
    m.n.fttReceived++;
    const at = m.session().step.modulation;
    if (m.stepDown('ftt')) sendDcs(m, false);
    else m.fail('cannot-train', `FTT at ${at}, the slowest rate both ends have`);
  } else if (f.type === 'DIS' || f.type === 'CRP') {
    // DIS again: the far end did not get our DCS; CRP: it got it garbled. Unless we are still sending it.
    if (!m.transmitting) m.repeatCommand(f.type === 'DIS' ? 'DIS repeated after DCS' : 'CRP');
  } else if (f.type === 'DCN') {
    m.fail('bad-response-to-dcs', 'DCN', false);
  } else {
    m.fail('bad-response-to-dcs', frameName(f));
  }
}

/** Receiving TCF, CFR sent, or FTT sent: a (new) DCS may arrive. */
function inF(m: T30Machine, f: T30Frame): void {
  if (f.type === 'DCS') {
    onDcs(m, f.dis);
  } else if (f.type === 'DCN') {
    m.handled();
    m.fail(m.state === 'F_CFR' ? 'dcn-waiting-page' : 'dcn-waiting-command', '', false);
  } else {
    m.n.ignoredFrames++;
    m.warn(`${frameName(f)} ignored in ${m.state}`);
  }
}
