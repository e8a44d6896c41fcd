/**
 * How a T.30 call ended: one completion code per way a fax call can end, each with a fixed
 * human message, grouped by where in the procedure (T.30 §5, phases A–E; Annex A for ECM) the
 * call was when it ended. The set covers the same ground as spandsp's ~60 `T30_ERR_*` codes
 * (named differently; see `T30_RESULT_CODES` for the correspondence in the comments), minus the
 * TIFF-file ones that belong to the document layer here.
 */

import type { T4Coding } from '../t4/types.js';
import type { FaxModulation } from '../modem/modulation.js';

export const T30_RESULT_CODES = [
  'ok',
  // Phase A/B — call set-up and identification.
  /** T0: nothing recognisable from the called terminal (T30_ERR_T0_EXPIRED). */
  'no-answer',
  /** T1: no valid DIS / command within T1 (T30_ERR_T1_EXPIRED). */
  't1-expired',
  /** Transmitter waiting for DIS got something else, repeatedly (T30_ERR_TX_NODIS). */
  'no-dis',
  /** DCN while waiting for DIS (T30_ERR_TX_GOTDCN). */
  'dcn-waiting-dis',
  /** DCN while waiting for DCS/DTC (T30_ERR_RX_DCNWHY). */
  'dcn-waiting-command',
  /** No modem/rate both ends support within the configured limits (T30_ERR_INCOMPATIBLE). */
  'incompatible-modems',
  /** No coding both ends support (T30_ERR_INCOMPATIBLE). */
  'incompatible-coding',
  /** The far end cannot record the page width (T30_ERR_NOSIZESUPPORT). */
  'incompatible-width',
  /** The far end cannot record the page length (T30_ERR_NOSIZESUPPORT). */
  'incompatible-length',
  /** The far end cannot record the page's resolution (T30_ERR_NORESSUPPORT). */
  'incompatible-resolution',
  /** We have pages, the far end's DIS says it cannot receive (T30_ERR_RX_INCAPABLE). */
  'remote-cannot-receive',
  /** We want to poll, the far end has nothing to send (T30_ERR_TX_INCAPABLE). */
  'remote-cannot-send',
  /** The far end polled us (DTC) and we have no document (T30_ERR_NOPOLL). */
  'poll-refused',
  /** The far end's DCS/DTC is invalid or selects something we did not offer (T30_ERR_INCOMPATIBLE). */
  'bad-dcs',
  /** The far end's password (PWD/SID) is not the one required (T30_ERR_PWD_UNACCEPTABLE). */
  'password-unacceptable',
  /** FTT at the lowest rate both ends support (T30_ERR_CANNOT_TRAIN). */
  'cannot-train',
  /** No response to DCS/TCF after 3 tries (T30_ERR_TX_PHBDEAD). */
  'no-response-to-dcs',
  /** A response to DCS/TCF that is neither CFR nor FTT (T30_ERR_TX_BADDCS). */
  'bad-response-to-dcs',
  /** A frame that makes no sense where it arrived (T30_ERR_UNEXPECTED). */
  'unexpected-frame',
  /** Receiver: T2 expired waiting for a command in phase B (T30_ERR_RX_T2EXP). */
  't2-expired',
  // Phase C/D — transmitter side.
  /** No response to the post-page command after 3 tries (T30_ERR_TX_PHDDEAD). */
  'no-response-after-page',
  /** The response to MPS/EOM/EOP is not one T.30 allows there (T30_ERR_TX_INVALRSP). */
  'invalid-response-after-page',
  /** DCN instead of a response after a page (T30_ERR_TX_BADPG). */
  'dcn-after-page',
  /** The page was answered RTN more often than allowed (T30_ERR_RETRYDCN). */
  'rtn-limit',
  /** A response to PPS/CTC/EOR/RR that Annex A does not allow (T30_ERR_TX_ECMPHD). */
  'invalid-ecm-response',
  /** CTC was not answered by CTR (Annex A). */
  'ctc-failed',
  /** EOR was not answered by ERR (Annex A). */
  'eor-failed',
  /** T5 expired while the receiver kept answering RNR (T30_ERR_TX_T5EXP). */
  't5-expired',
  /**
   * The far end answered PIN (procedure interrupt negative: the page not received, an operator
   * wanted) to every try of a page; there is no operator to take the call (T30_ERR_OPER_INT_FAIL).
   * A single PIN or PIP does not end the call: see phase-d.ts.
   */
  'operator-interrupt',
  // Phase C/D — receiver side.
  /** T2 expired waiting for the page after CFR (T30_ERR_RX_T2EXPFAX). */
  't2-expired-waiting-page',
  /** T2 expired waiting for MPS/EOM/EOP after a page (T30_ERR_RX_T2EXPD). */
  't2-expired-waiting-post-page',
  /** T2 expired waiting for the next page after MCF to MPS (T30_ERR_RX_T2EXPMPS). */
  't2-expired-waiting-next-page',
  /** T2 expired waiting for PPS/RR/frames in ECM (T30_ERR_RX_T2EXPRR). */
  't2-expired-ecm',
  /** The page signal stopped without its end (T30_ERR_RX_NOCARRIER). */
  'carrier-lost',
  /**
   * The page's image data passed the receive buffer's bound (`maxReceivedPageOctets`): an
   * unpaced or hostile sender; the call ends instead of the buffer growing (no spandsp twin).
   */
  'page-too-large',
  /** DCN while the page was expected (T30_ERR_RX_DCNDATA). */
  'dcn-waiting-page',
  /** DCN instead of MPS/EOM/EOP (T30_ERR_RX_DCNFAX). */
  'dcn-waiting-post-page',
  /** DCN after MCF to MPS/EOM, before the next page (T30_ERR_RX_DCNPHD). */
  'dcn-after-mcf',
  /** DCN after we answered RTN (T30_ERR_RX_DCNNORTN). */
  'dcn-after-rtn',
  /** DCN in the middle of ECM correction (T30_ERR_RX_DCNRRD). */
  'dcn-during-ecm',
  /** A command after a page that T.30 does not allow there (T30_ERR_RX_INVALCMD). */
  'invalid-command-after-page',
  /** An ECM command that Annex A does not allow there (T30_ERR_RX_ECMPHD). */
  'invalid-ecm-command',
  // Document.
  /** Nothing to send: `send.pages` is empty (T30_ERR_NOPAGE). */
  'empty-document',
  /** A page the fax cannot carry (width not 1728/2048/2432, empty bitmap, …) (T30_ERR_BADTIFF). */
  'bad-document',
  /** The T.4/T.6 codec threw on one of our pages (a bug, reported rather than thrown). */
  'codec-error',
  // Call.
  /** The far end went away in phase B or D (T30_ERR_CALLDROPPED). */
  'call-dropped',
  /** The far end went away while a page was moving (T30_ERR_CALLDROPPED, mid-page). */
  'call-dropped-mid-page',
  /** `abort()` by the application. */
  'local-abort',
  /**
   * Receiver, confirm-after-store: the application could not store a page (disk full, I/O
   * error), so it was not confirmed: DCN instead of MCF (T.30 §5.3.6.1.8).
   */
  'page-not-stored',
] as const;

export type T30ResultCode = (typeof T30_RESULT_CODES)[number];

const MESSAGES: { readonly [K in T30ResultCode]: string } = {
  ok: 'OK',
  'no-answer': 'No answer: nothing was heard from the called terminal before T0 expired',
  't1-expired': 'T1 expired: the terminals did not identify each other',
  'no-dis': 'Received something other than DIS while waiting for DIS',
  'dcn-waiting-dis': 'Received DCN while waiting for DIS',
  'dcn-waiting-command': 'Received DCN while waiting for DCS or DTC',
  'incompatible-modems': 'No modem and rate is supported by both terminals',
  'incompatible-coding': 'No image coding is supported by both terminals',
  'incompatible-width': 'The far end cannot receive the page width',
  'incompatible-length': 'The far end cannot receive the page length',
  'incompatible-resolution': 'The far end cannot receive the page resolution',
  'remote-cannot-receive': 'The far end is not able to receive',
  'remote-cannot-send': 'The far end has no document to send (poll not possible)',
  'poll-refused': 'The far end polled, but there is no document to send',
  'bad-dcs': 'The far end selected a mode that was not offered, or sent an invalid DCS',
  'password-unacceptable': "The far end's password is not acceptable",
  'cannot-train': 'Failed to train (FTT) at the lowest rate both terminals support',
  'no-response-to-dcs': 'Received no response to DCS or TCF',
  'bad-response-to-dcs': 'Received a bad response to DCS or TCF',
  'unexpected-frame': 'Unexpected message received',
  't2-expired': 'T2 expired while waiting for a command',
  'no-response-after-page': 'No response after sending a page',
  'invalid-response-after-page': 'Invalid response after sending a page',
  'dcn-after-page': 'Received DCN after sending a page',
  'rtn-limit': 'The page was rejected (RTN) too many times',
  'invalid-ecm-response': 'Invalid ECM response received from the receiver',
  'ctc-failed': 'CTC was not answered with CTR',
  'eor-failed': 'EOR was not answered with ERR',
  't5-expired': 'T5 expired waiting for the receiver to become ready (ECM)',
  'operator-interrupt': 'The far end kept requesting operator intervention (PIN); there is no operator',
  't2-expired-waiting-page': 'T2 expired while waiting for the page',
  't2-expired-waiting-post-page': 'T2 expired while waiting for MPS, EOM or EOP',
  't2-expired-waiting-next-page': 'T2 expired while waiting for the next page',
  't2-expired-ecm': 'T2 expired while waiting for ECM data or commands',
  'carrier-lost': 'The page signal was lost during reception',
  'page-too-large': 'The received page has more image data than a page can hold',
  'dcn-waiting-page': 'Unexpected DCN while waiting for image data',
  'dcn-waiting-post-page': 'Unexpected DCN while waiting for MPS, EOM or EOP',
  'dcn-after-mcf': 'Unexpected DCN after MCF to MPS or EOM',
  'dcn-after-rtn': 'Unexpected DCN after requesting retransmission (RTN)',
  'dcn-during-ecm': 'Unexpected DCN during ECM correction',
  'invalid-command-after-page': 'Unexpected command after the page was received',
  'invalid-ecm-command': 'Invalid ECM command received from the transmitter',
  'empty-document': 'There is no page to send',
  'bad-document': 'A page cannot be sent as a fax page',
  'codec-error': 'The T.4/T.6 codec failed on a page',
  'call-dropped': 'The call dropped prematurely',
  'call-dropped-mid-page': 'The call dropped while a page was being transferred',
  'local-abort': 'The call was aborted locally',
  'page-not-stored': 'A received page could not be stored; it was not confirmed and the call was released (DCN)',
};

/** The fixed human message of a completion code. */
export function t30ResultMessage(code: T30ResultCode): string {
  return MESSAGES[code];
}

/** What `T30Engine.result` holds once phase E is reached. */
export interface T30Result {
  readonly ok: boolean;
  readonly code: T30ResultCode;
  /** The code's message, plus detail where there is some (e.g. which frame was unexpected). */
  readonly message: string;
  readonly pagesSent: number;
  readonly pagesReceived: number;
  /** Last negotiated data signalling rate, bit/s (0 if phase B never completed). */
  readonly bitRate: number;
  readonly modulation: FaxModulation | null;
  readonly ecm: boolean;
  readonly coding: T4Coding | null;
  readonly resolution: 'standard' | 'fine' | 'superfine' | null;
  /** Page width in pixels (1728/2048/2432), 0 if never negotiated. */
  readonly width: number;
  /** Identity from the far end's CSI (we sent) or TSI/CIG (we received), '' if none. */
  readonly remoteIdent: string;
  /** Routing fields the far end sent (SUB, SID/PWD, SEP), '' when absent. */
  readonly remoteSubaddress: string;
  readonly remotePassword: string;
  readonly remoteSelectivePolling: string;
  /** Receiver: bad rows summed over accepted pages; longest run of bad rows on any page. */
  readonly badRows: number;
  readonly longestBadRun: number;
  /** ECM: frames sent again after PPR (transmitter) or asked for again (receiver). */
  readonly ecmRetries: number;
  /** RTN answers sent or received. */
  readonly rtnCount: number;
  /** How many times the rate was stepped down (FTT, RTN, CTC). */
  readonly fallbacks: number;
  /** Call duration from `start()` to the end of phase E, ms. */
  readonly durationMs: number;
}
