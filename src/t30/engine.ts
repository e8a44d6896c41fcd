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
 * States are named after the nodes of the T.30 flow charts (and, where T.30 has no name, after
 * what spandsp and HylaFAX call the same place): see `T30State`. One `setState()` moves between
 * them, emits `old → new` as an event, and throws on a move that the table `TRANSITIONS` does
 * not allow (an engine bug, never a network condition). The phase handlers live in
 * phase-b.ts (identification, negotiation, training), phase-c.ts (page transfer) and
 * phase-d.ts (post-message procedure, ECM correction, disconnect).
 */

import type { Bitmap } from '../t4/bitmap.js';
import { decodeT4, encodeT4 } from '../t4/index.js';
import type { T4DecodeResult } from '../t4/types.js';
import { FaxwireError, assertNever } from '../util/errors.js';
import type { DisInfo } from './dis.js';
import type { EcmTxBlock } from './ecm.js';
import { EcmRxBlock } from './ecm.js';
import { decodeT30Frame, encodeT30Frame, simpleFrame, type SimpleFrameType, type T30Frame } from './frames.js';
import type { FaxModulation } from '../modem/modulation.js';
import type { T30LineEvent, T30TxStep } from './line.js';
import type { LocalCapabilities, RateStep, SessionParams, T30Modem, T4Coding } from './negotiate.js';
import { t30ResultMessage, type T30Result, type T30ResultCode } from './result.js';
import { FLAGS_TO_FRAME_MS, INTER_SIGNAL_MS, MAX_COMMAND_TRIES, T2_WAIT_MS, T30Timers, T4_WAIT_MS, type T30TimerName } from './timers.js';
import * as phaseB from './phase-b.js';
import * as phaseC from './phase-c.js';
import * as phaseD from './phase-d.js';

// ---------------------------------------------------------------------------------------------
// States

/**
 * The engine's states. Phase A: `A_CNG`, `A_CED`. Phase B: `T` (transmitter waiting for DIS),
 * `R` (DIS/DTC sent, waiting for a command), `D_TCF` (DCS + TCF sent, waiting for CFR/FTT),
 * `F_TCF` (receiving TCF), `F_CFR` (CFR sent, waiting for the page), `F_FTT` (FTT sent, waiting
 * for a new DCS). Phase C: `I` (sending a non-ECM page), `IV` (sending an ECM block),
 * `F_DOC_NON_ECM` / `F_DOC_ECM` (receiving). Phase D, transmitter: `II_Q` (MPS/EOM/EOP sent),
 * `IV_PPS_NULL` / `IV_PPS_Q` (PPS sent), `IV_PPS_RNR` (RR sent after RNR), `IV_CTC`, `IV_EOR`,
 * `IV_EOR_RNR`; receiver: `F_POST_DOC_NON_ECM` (page ended, waiting for MPS/EOM/EOP),
 * `III_Q_MCF` / `III_Q_RTN` (answered), `F_POST_DOC_ECM` (RCP seen, waiting for PPS),
 * `F_POST_RCP_MCF` / `F_POST_RCP_PPR` (answered MCF or ERR / PPR or CTR). Phase E: `E_DCN`
 * (DCN being sent), `CALL_FINISHED`.
 */
export const T30_STATES = [
  'IDLE',
  'A_CNG',
  'A_CED',
  'T',
  'R',
  'D_TCF',
  'F_TCF',
  'F_CFR',
  'F_FTT',
  'I',
  'IV',
  'F_DOC_NON_ECM',
  'F_DOC_ECM',
  'II_Q',
  'IV_PPS_NULL',
  'IV_PPS_Q',
  'IV_PPS_RNR',
  'IV_CTC',
  'IV_EOR',
  'IV_EOR_RNR',
  'F_POST_DOC_NON_ECM',
  'III_Q_MCF',
  'III_Q_RTN',
  'F_POST_DOC_ECM',
  'F_POST_RCP_MCF',
  'F_POST_RCP_PPR',
  'E_DCN',
  'CALL_FINISHED',
] as const;
export type T30State = (typeof T30_STATES)[number];

export type T30Phase = 'A' | 'B' | 'C' | 'D' | 'E';

export const T30_STATE_PHASE: { readonly [K in T30State]: T30Phase } = {
  IDLE: 'A',
  A_CNG: 'A',
  A_CED: 'A',
  T: 'B',
  R: 'B',
  D_TCF: 'B',
  F_TCF: 'B',
  F_CFR: 'B',
  F_FTT: 'B',
  I: 'C',
  IV: 'C',
  F_DOC_NON_ECM: 'C',
  F_DOC_ECM: 'C',
  II_Q: 'D',
  IV_PPS_NULL: 'D',
  IV_PPS_Q: 'D',
  IV_PPS_RNR: 'D',
  IV_CTC: 'D',
  IV_EOR: 'D',
  IV_EOR_RNR: 'D',
  F_POST_DOC_NON_ECM: 'D',
  III_Q_MCF: 'D',
  III_Q_RTN: 'D',
  F_POST_DOC_ECM: 'D',
  F_POST_RCP_MCF: 'D',
  F_POST_RCP_PPR: 'D',
  E_DCN: 'E',
  CALL_FINISHED: 'E',
};

/**
 * The moves the procedure makes (besides the ones every state may make: to `E_DCN` and to
 * `CALL_FINISHED`). Reading it top to bottom is reading the flow charts.
 */
const TRANSITIONS: { readonly [K in T30State]: readonly T30State[] } = {
  IDLE: ['A_CNG', 'A_CED'],
  A_CNG: ['D_TCF', 'R'],
  A_CED: ['R'],
  T: ['D_TCF', 'R'],
  R: ['R', 'F_TCF', 'F_CFR', 'D_TCF', 'III_Q_MCF', 'F_POST_RCP_MCF'],
  D_TCF: ['D_TCF', 'I', 'IV'],
  F_TCF: ['F_TCF', 'F_CFR', 'F_FTT'],
  F_CFR: ['F_CFR', 'F_TCF', 'F_DOC_NON_ECM', 'F_DOC_ECM', 'F_POST_DOC_ECM', 'F_POST_RCP_MCF', 'F_POST_RCP_PPR'],
  F_FTT: ['F_TCF', 'F_CFR'],
  I: ['II_Q'],
  IV: ['IV_PPS_NULL', 'IV_PPS_Q'],
  F_DOC_NON_ECM: ['F_POST_DOC_NON_ECM'],
  F_DOC_ECM: ['F_DOC_ECM', 'F_POST_DOC_ECM', 'F_POST_RCP_MCF', 'F_POST_RCP_PPR'],
  II_Q: ['II_Q', 'I', 'D_TCF', 'T'],
  IV_PPS_NULL: ['IV_PPS_NULL', 'IV', 'IV_PPS_RNR', 'IV_CTC', 'IV_EOR'],
  IV_PPS_Q: ['IV_PPS_Q', 'IV', 'IV_PPS_RNR', 'IV_CTC', 'IV_EOR', 'T'],
  IV_PPS_RNR: ['IV_PPS_RNR', 'IV', 'IV_CTC', 'IV_EOR', 'T'],
  IV_CTC: ['IV_CTC', 'IV'],
  IV_EOR: ['IV_EOR', 'IV', 'IV_EOR_RNR', 'T'],
  IV_EOR_RNR: ['IV_EOR_RNR', 'IV', 'T'],
  F_POST_DOC_NON_ECM: ['III_Q_MCF', 'III_Q_RTN', 'F_TCF', 'F_CFR'],
  III_Q_MCF: ['III_Q_MCF', 'III_Q_RTN', 'F_DOC_NON_ECM', 'F_TCF', 'F_CFR', 'R'],
  III_Q_RTN: ['III_Q_RTN', 'F_TCF', 'F_CFR'],
  F_POST_DOC_ECM: ['F_POST_RCP_MCF', 'F_POST_RCP_PPR', 'F_DOC_ECM'],
  F_POST_RCP_MCF: ['F_POST_RCP_MCF', 'F_DOC_ECM', 'F_POST_DOC_ECM', 'F_TCF', 'F_CFR', 'R', 'F_POST_RCP_PPR'],
  F_POST_RCP_PPR: ['F_POST_RCP_PPR', 'F_DOC_ECM', 'F_POST_DOC_ECM', 'F_POST_RCP_MCF'],
  E_DCN: ['CALL_FINISHED'],
  CALL_FINISHED: [],
};

// ---------------------------------------------------------------------------------------------
// Public types

/** What the T.4/T.6 codec returns for a received page (the `src/t4` type). */
export type { T4DecodeResult };

/** The page codec the engine uses; by default `src/t4`'s `encodeT4`/`decodeT4`. */
export interface T30PageCodec {
  encode(bitmap: Bitmap, opts: { coding: T4Coding; k?: number; minRowBits?: number; rtc?: boolean }): Uint8Array;
  decode(data: Uint8Array, opts: { coding: T4Coding; width: number; k?: number }): T4DecodeResult;
}

export interface T30CopyQuality {
  /** Minimum share of good rows for MCF, percent (HylaFAX `PercentGoodLines`, default 95). */
  readonly minGoodRowsPercent: number;
  /** Maximum run of consecutive bad rows for MCF (HylaFAX `MaxConsecutiveBadLines`, default 5). */
  readonly maxConsecutiveBad: number;
}

export interface T30EngineOptions {
  /** The calling terminal sends CNG and waits for DIS; the answering one sends CED then DIS. */
  readonly role: 'calling' | 'answering';
  /** Pages to send (caller: sent after DIS; answerer: offered for polling in DIS bit 9). */
  readonly send?: { readonly pages: readonly Bitmap[] };
  /** Ready to receive (answerer: DIS bit 10; caller without pages: polls with DTC). */
  readonly receive?: boolean;
  /** TSI / CSI / CIG, up to 20 characters (T.30 §5.3.6.2.4: digits, '+' and space by convention). */
  readonly ident?: string;
  /** Offer/use ECM (T.30 Annex A). Default true. */
  readonly ecm?: boolean;
  /** ECM frame size we prefer. Default 256. */
  readonly ecmFrameSize?: 64 | 256;
  /** Modems to offer/use. Default all three. */
  readonly modems?: readonly T30Modem[];
  /** Highest data signalling rate to use, bit/s. Default 14400. */
  readonly maxBitRate?: number;
  /** Codings to offer/use. Default MH, MR and MMR (MMR only ever with ECM). */
  readonly codings?: readonly T4Coding[];
  /**
   * T.38 data rate management: 'transferred' (method 2: TCF is sent and checked end to end,
   * the default) or 'local' (method 1: no TCF on this line; the receiver answers DCS with CFR).
   */
  readonly tcf?: 'transferred' | 'local';
  /** Receiver copy-quality thresholds for non-ECM pages. */
  readonly copyQuality?: T30CopyQuality;
  /** Sending: SUB frame (DCS bit 49) when the far end has subaddressing. */
  readonly subaddress?: string;
  /**
   * Sending: SID (DCS bit 50); polling: PWD (DTC bit 50). Answering: when set, a DCS/DTC
   * without a matching SID/PWD is refused ('password-unacceptable').
   */
  readonly password?: string;
  /** Polling: SEP frame (DTC bit 47) — which document to poll. */
  readonly selectivePolling?: string;
  /** Our minimum scan-line time as a receiver (DIS bits 21–23): 0, 5, 10, 20 or 40 ms. Default 0. */
  readonly minScanLineMs?: number;
  /** Page codec override (tests, gateways). Default: `src/t4`. */
  readonly codec?: T30PageCodec;
}

/** A page as the receiver got it. */
export interface T30ReceivedPage {
  /** 1-based page number in this call. */
  readonly page: number;
  readonly bitmap: Bitmap;
  readonly rows: number;
  readonly badRows: number;
  readonly longestBadRun: number;
  readonly end: T4DecodeResult['end'];
  readonly ecm: boolean;
  readonly coding: T4Coding;
  /** Non-ECM: the copy-quality verdict (MCF when true, RTN when false). ECM: always true. */
  readonly accepted: boolean;
}

export type T30Event =
  | { readonly type: 'state'; readonly at: number; readonly from: T30State; readonly to: T30State }
  | { readonly type: 'phase'; readonly at: number; readonly phase: T30Phase }
  | { readonly type: 'frame-sent'; readonly at: number; readonly modulation: FaxModulation; readonly frame: T30Frame }
  | {
      readonly type: 'frame-received';
      readonly at: number;
      readonly modulation: FaxModulation;
      /** False when the line reported a bad FCS / lost data, or the frame did not decode. */
      readonly ok: boolean;
      readonly frame: T30Frame | null;
      readonly raw: Uint8Array;
      readonly error?: string;
    }
  | { readonly type: 'negotiated'; readonly at: number; readonly role: 'transmitter' | 'receiver'; readonly params: SessionParams }
  | { readonly type: 'tcf-sent'; readonly at: number; readonly modulation: FaxModulation; readonly ms: number }
  | {
      readonly type: 'tcf-checked';
      readonly at: number;
      readonly modulation: FaxModulation;
      readonly ok: boolean;
      readonly receivedMs: number;
      readonly longestZeroRunMs: number;
    }
  | { readonly type: 'rate-fallback'; readonly at: number; readonly from: FaxModulation; readonly to: FaxModulation; readonly reason: 'ftt' | 'rtn' | 'ctc' }
  | { readonly type: 'page-tx-start'; readonly at: number; readonly page: number; readonly octets: number; readonly ecm: boolean; readonly coding: T4Coding; readonly modulation: FaxModulation }
  | { readonly type: 'page-tx-end'; readonly at: number; readonly page: number; readonly response: 'MCF' | 'RTP' | 'RTN' | 'ERR'; readonly accepted: boolean }
  | { readonly type: 'page-rx-start'; readonly at: number; readonly page: number; readonly ecm: boolean }
  | ({ readonly type: 'page-rx-end'; readonly at: number } & T30ReceivedPage)
  | { readonly type: 'ecm-block-sent'; readonly at: number; readonly page: number; readonly block: number; readonly frames: number; readonly retransmission: boolean }
  | {
      readonly type: 'ppr';
      readonly at: number;
      readonly direction: 'sent' | 'received';
      readonly page: number;
      readonly block: number;
      readonly frames: readonly number[];
      /** PPRs so far for this block (the 4th leads to CTC or EOR). */
      readonly count: number;
    }
  | { readonly type: 'ctc'; readonly at: number; readonly direction: 'sent' | 'received'; readonly modulation: FaxModulation }
  | { readonly type: 'eor'; readonly at: number; readonly direction: 'sent' | 'received'; readonly page: number; readonly block: number }
  | { readonly type: 'warning'; readonly at: number; readonly message: string }
  | { readonly type: 'complete'; readonly at: number; readonly result: T30Result };

/** Counters (DESIGN.md habit 6). */
export interface T30Stats {
  readonly state: T30State;
  readonly phase: T30Phase;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Frames with a bad FCS, lost data, or that did not decode. */
  readonly badFrames: number;
  /** Well-formed frames that were ignored where they arrived. */
  readonly ignoredFrames: number;
  readonly crpSent: number;
  readonly crpReceived: number;
  /** Commands sent again (timeout, CRP, bad response). */
  readonly commandRepeats: number;
  readonly timeouts: number;
  readonly disSent: number;
  readonly dcsSent: number;
  readonly tcfSent: number;
  readonly tcfChecked: number;
  readonly fttSent: number;
  readonly fttReceived: number;
  readonly pagesSent: number;
  readonly pagesReceived: number;
  readonly rtnSent: number;
  readonly rtnReceived: number;
  readonly rtpReceived: number;
  readonly pprSent: number;
  readonly pprReceived: number;
  readonly ecmFramesSent: number;
  readonly ecmFramesReceived: number;
  readonly ecmFramesResent: number;
  readonly ctcSent: number;
  readonly ctcReceived: number;
  readonly eorSent: number;
  readonly eorReceived: number;
  readonly rnrReceived: number;
  readonly rrSent: number;
  readonly fallbacks: number;
  readonly imageOctetsSent: number;
  readonly imageOctetsReceived: number;
  readonly txSteps: number;
  readonly lineEvents: number;
  readonly timers: Partial<Record<T30TimerName, number>>;
}

type Counters = { -readonly [K in Exclude<keyof T30Stats, 'state' | 'phase' | 'timers'>]: number };

// ---------------------------------------------------------------------------------------------
// Internal machine shared with the phase modules

/** Work that waits until every queued transmit step has left the line. */
export type TxIdleAction =
  | { readonly kind: 'arm'; readonly timer: T30TimerName; readonly ms: number }
  | { readonly kind: 'cng-gap' }
  | { readonly kind: 'send-dis' }
  | { readonly kind: 'post-page' }
  | { readonly kind: 'pps' }
  | { readonly kind: 'finish' };

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
export class T30Machine {
  readonly role: 'calling' | 'answering';
  readonly caps: LocalCapabilities;
  readonly codec: T30PageCodec;
  readonly pages: readonly Bitmap[];
  readonly ident: string;
  readonly subaddress: string;
  readonly password: string;
  readonly selectivePolling: string;
  readonly tcfMode: 'transferred' | 'local';
  readonly copyQuality: T30CopyQuality;
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
    ctcSent: 0, ctcReceived: 0, eorSent: 0, eorReceived: 0, rnrReceived: 0, rrSent: 0, fallbacks: 0,
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
    pageCounter: 0,
    blockCounter: 0,
  };
  readonly receivedPages: T30ReceivedPage[] = [];
  badRowsTotal = 0;
  longestBadRun = 0;
  rtnCount = 0;
  ecmRetries = 0;

  constructor(opts: T30EngineOptions, codec: T30PageCodec) {
    this.role = opts.role;
    this.codec = codec;
    this.pages = opts.send?.pages ?? [];
    this.ident = opts.ident ?? '';
    this.subaddress = opts.subaddress ?? '';
    this.password = opts.password ?? '';
    this.selectivePolling = opts.selectivePolling ?? '';
    this.tcfMode = opts.tcf ?? RESOLVED_DEFAULTS.tcf;
    this.copyQuality = opts.copyQuality ?? RESOLVED_DEFAULTS.copyQuality;
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
    const e = this.events;
    this.events = [];
    return e;
  }

  takeTx(): T30TxStep[] {
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
      case 'cng-gap':
        phaseB.onCngSent(this);
        return;
      case 'send-dis':
        phaseB.sendDis(this);
        return;
      case 'post-page':
        phaseD.sendPostPageCommand(this);
        return;
      case 'pps':
        phaseD.sendPps(this);
        return;
      case 'finish':
        this.finish();
        return;
      default:
        assertNever(a, 'tx idle action');
    }
  }

  arm(name: T30TimerName, ms: number): void {
    this.timers.set(name, this.now + ms);
  }

  disarm(name: T30TimerName): void {
    this.timers.clear(name);
  }

  // -- state ----------------------------------------------------------------------------------

  setState(next: T30State): void {
    const from = this.state;
    if (from === 'CALL_FINISHED') throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `T.30: no move out of CALL_FINISHED (to ${next})`);
    const ok = next === from || next === 'E_DCN' || next === 'CALL_FINISHED' || TRANSITIONS[from].includes(next);
    if (!ok) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `T.30: impossible state change ${from} → ${next}`);
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

  /** Phase E is over (DCN has left, or there is no line to send it on). */
  finish(): void {
    this.timers.clearAll();
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
  stepDown(reason: 'ftt' | 'rtn' | 'ctc'): boolean {
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

  // -- the repeat mechanism -------------------------------------------------------------------

  /**
   * Sends the last command again (T4 expired, CRP received, or a corrupted response): "repeat
   * the command up to 3 times" (T.30 flow charts). Ends the call when the tries are used up.
   */
  repeatCommand(why: string): void {
    const cmd = this.lastCommand;
    if (cmd === undefined) return;
    switch (cmd) {
      case 'dis':
      case 'dtc':
        // Bounded by T1, not by a count (T.30 Figure 5-2: DIS is repeated until T1 expires).
        phaseB.resendDisOrDtc(this);
        return;
      case 'dcs':
        if (this.commandTries >= MAX_COMMAND_TRIES) return this.fail('no-response-to-dcs', why);
        phaseB.sendDcs(this, true);
        return;
      case 'post-page':
      case 'pps':
      case 'rr':
      case 'ctc':
      case 'eor':
        phaseD.repeatPostPage(this, cmd, why);
        return;
      default:
        assertNever(cmd, 'command');
    }
  }

  // -- line events ----------------------------------------------------------------------------

  handle(ev: T30LineEvent): void {
    this.n.lineEvents++;
    if (this.state === 'CALL_FINISHED' || this.state === 'IDLE') {
      if (ev.kind === 'tx-done') this.onTxDone();
      return;
    }
    switch (ev.kind) {
      case 'tx-done':
        this.onTxDone();
        return;
      case 'tone':
        if (ev.tone === 'ced') phaseB.onRemoteHeard(this);
        return;
      case 'signal':
        if (ev.modulation === 'v21') {
          phaseB.onRemoteHeard(this);
          this.burstBad = 0;
          this.burstHandled = false;
          // T.30: flags detected — the far end is answering; give the frame time to arrive.
          for (const t of ['T2', 'T4'] as const) {
            const at = this.timers.expiry(t);
            if (at !== undefined && at < this.now + FLAGS_TO_FRAME_MS) this.timers.set(t, this.now + FLAGS_TO_FRAME_MS);
          }
        } else {
          phaseC.onFastSignal(this, ev.modulation);
        }
        return;
      case 'hdlc-frame':
        this.onHdlcFrame(ev.modulation, ev.frame, ev.ok);
        return;
      case 'hdlc-end':
        if (ev.modulation === 'v21') this.onV21End();
        return;
      case 'non-ecm-data':
        phaseC.onNonEcmData(this, ev.modulation, ev.data);
        return;
      case 'non-ecm-end':
        phaseC.onNonEcmEnd(this);
        return;
      case 'no-signal':
        // T.38 sends no-signal after a burst; it also ends a non-ECM signal whose end was lost.
        phaseC.onNonEcmEnd(this);
        if (this.burstBad > 0) this.onV21End();
        return;
      default:
        assertNever(ev, 'line event');
    }
  }

  private onHdlcFrame(modulation: FaxModulation, raw: Uint8Array, lineOk: boolean): void {
    this.n.framesReceived++;
    const r = decodeT30Frame(raw);
    const frame = r.ok ? r.value : null;
    const ok = lineOk && r.ok;
    const error = !lineOk ? 'bad FCS / data lost' : r.ok ? undefined : `${r.error.code}: ${r.error.message}`;
    this.emit(
      error === undefined
        ? { type: 'frame-received', at: this.now, modulation, ok, frame, raw }
        : { type: 'frame-received', at: this.now, modulation, ok, frame, raw, error },
    );
    if (modulation !== 'v21') {
      if (!ok || frame === null) {
        this.n.badFrames++;
        return;
      }
      phaseC.onEcmFrame(this, frame);
      return;
    }
    phaseB.onRemoteHeard(this);
    if (!ok || frame === null) {
      this.n.badFrames++;
      this.burstBad++;
      return;
    }
    if (frame.type === 'unknown') {
      this.n.ignoredFrames++;
      this.warn(`ignored unknown FCF 0x${frame.fcf.toString(16)} in ${this.state}`);
      return;
    }
    if (frame.type === 'CRP') this.n.crpReceived++;
    this.onControlFrame(frame);
  }

  /**
   * A V.21 burst ended. If it brought only corrupted frames: ask for the command again (CRP,
   * T.30 Table 1) when we owe a response, or repeat our command when it was the response.
   */
  private onV21End(): void {
    const bad = this.burstBad > 0 && !this.burstHandled;
    this.burstBad = 0;
    this.burstHandled = false;
    if (!bad || this.result !== undefined) return;
    if (phaseD.expectsCommand(this.state)) {
      // We are the one to answer: command repeat request (optional in T.30, spandsp sends it too).
      // The wait that was running (T4 for our DIS repeats in R, else T2) starts again afterwards.
      this.n.crpSent++;
      const wait: T30TimerName = this.state === 'R' ? 'T4' : 'T2';
      this.disarm('T2');
      this.disarm('T4');
      this.sendFrames([this.ctl('CRP')]);
      this.afterTx({ kind: 'arm', timer: wait, ms: wait === 'T4' ? T4_WAIT_MS : T2_WAIT_MS });
    } else if (phaseD.expectsResponse(this.state) && !this.transmitting) {
      // The response arrived corrupted: T.30's "response received" chart repeats the command.
      this.repeatCommand('response corrupted');
    }
  }

  /** Dispatches a decoded, FCS-good V.21 frame by state (the flow charts' decision boxes). */
  private onControlFrame(f: T30Frame): void {
    const s = this.state;
    switch (s) {
      case 'IDLE':
      case 'A_CED':
      case 'E_DCN':
      case 'CALL_FINISHED':
        this.n.ignoredFrames++;
        return;
      case 'A_CNG':
      case 'T':
      case 'R':
      case 'D_TCF':
      case 'F_TCF':
      case 'F_CFR':
      case 'F_FTT':
        phaseB.onFrame(this, f);
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
        phaseD.onTransmitterFrame(this, f);
        return;
      case 'F_DOC_NON_ECM':
      case 'F_DOC_ECM':
      case 'F_POST_DOC_NON_ECM':
      case 'III_Q_MCF':
      case 'III_Q_RTN':
      case 'F_POST_DOC_ECM':
      case 'F_POST_RCP_MCF':
      case 'F_POST_RCP_PPR':
        phaseD.onReceiverFrame(this, f);
        return;
      default:
        assertNever(s, 'state');
    }
  }

  /** Marks the current V.21 burst as having carried a command/response we acted on. */
  handled(): void {
    this.burstHandled = true;
  }

  // -- timers ---------------------------------------------------------------------------------

  tick(): void {
    for (;;) {
      if (this.result !== undefined && this.state === 'CALL_FINISHED') return;
      const t = this.timers.popDue(this.now);
      if (t === undefined) return;
      this.n.timeouts++;
      this.onTimeout(t);
    }
  }

  private onTimeout(t: T30TimerName): void {
    switch (t) {
      case 'T0':
        this.fail('no-answer', '', false);
        return;
      case 'T1':
        phaseB.onT1(this);
        return;
      case 'CNG':
        phaseB.onCngGap(this);
        return;
      case 'T2':
        phaseD.onT2(this);
        return;
      case 'T4':
        phaseD.onT4(this);
        return;
      case 'T5':
        this.fail('t5-expired');
        return;
      case 'RX_STALL':
        phaseC.onRxStall(this);
        return;
      default:
        assertNever(t, 'timer');
    }
  }

  stats(): T30Stats {
    return { state: this.state, phase: this.phase, ...this.n, timers: this.timers.snapshot() };
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
  if (o.copyQuality !== undefined) {
    const q = o.copyQuality;
    if (!(q.minGoodRowsPercent >= 0 && q.minGoodRowsPercent <= 100)) bad('copyQuality.minGoodRowsPercent must be 0..100');
    if (!(q.maxConsecutiveBad >= 0)) bad('copyQuality.maxConsecutiveBad must be >= 0');
  }
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
    this.m = new T30Machine(opts, opts.codec ?? T4_CODEC);
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
    this.m.handle(ev);
  }

  /** Runs the timers due at `nowMs`. */
  tick(nowMs: number): void {
    this.m.now = Math.max(this.m.now, nowMs);
    this.m.tick();
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

  /** Pages received so far (non-ECM pages answered RTN included, with `accepted: false`). */
  get receivedPages(): readonly T30ReceivedPage[] {
    return this.m.receivedPages;
  }

  getStats(): T30Stats {
    return this.m.stats();
  }
}
