/**
 * The public vocabulary of the T.30 engine: its options, the page codec it uses, what it tells
 * the application (`T30Event`), its counters (`T30Stats`) and the pages it received. Types
 * only; the machine (machine.ts), the phases and the engine (engine.ts) all speak them, and
 * index.ts exports them as the face of `faxwire/t30`.
 */

import type { Bitmap } from '../t4/bitmap.js';
import type { T4DecodeResult } from '../t4/types.js';
import type { FaxModulation } from '../modem/modulation.js';
import type { T30Frame } from './frames.js';
import type { SessionParams, T30Modem, T4Coding } from './negotiate.js';
import type { T30Result } from './result.js';
import type { T30Phase, T30State } from './states.js';
import type { T30TimerName } from './timers.js';
import type { T30PageBuffer } from './page-buffer.js';

/** What the T.4/T.6 codec returns for a received page (the `src/t4` type). */
export type { T4DecodeResult };

/** The page codec the engine uses; by default `src/t4`'s `encodeT4`/`decodeT4`. */
export interface T30PageCodec {
  encode(bitmap: Bitmap, opts: { coding: T4Coding; k?: number; minRowBits?: number; rtc?: boolean }): Uint8Array;
  /**
   * `skipToFirstEol`: non-ECM pages (T.4 §4.1.2; see T4DecodeOptions). `into`: decode the rows
   * into this buffer when it is large enough (T4DecodeOptions `into`; given with
   * `T30EngineOptions.pageBuffer`); a codec may ignore it and return a new array.
   */
  decode(data: Uint8Array, opts: { coding: T4Coding; width: number; k?: number; skipToFirstEol?: boolean; into?: Uint8Array }): T4DecodeResult;
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
  readonly send?: {
    readonly pages: readonly Bitmap[];
    /**
     * The image coded for page `index` (of `count`), made only when that page is coded — e.g. a
     * header line stamped on it — so a session never holds a prepared copy of every page. It
     * must keep the page's size and resolution (negotiation looks at `pages`). Default: the page.
     */
    readonly prepare?: (page: Bitmap, index: number, count: number) => Bitmap;
  };
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
  /**
   * Receiving: most octets of T.4/T.6 data held for one page (non-ECM page buffer, ECM blocks
   * of a page). Default: `maxReceivedPageOctets(session)` in phase-c.ts — the worst-case coding
   * of a 1 m long page at the negotiated width and resolution. Past it the call ends with
   * 'page-too-large' instead of growing without bound.
   */
  readonly maxReceivedPageOctets?: number;
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
  /**
   * Receiving: confirm a page only once the application has stored it. Every `page-rx-end`
   * with `accepted: true` then waits for `T30Engine.confirmPage(stored, now)` before the page
   * is answered: MCF when stored; when not stored (or, non-ECM, when no word comes within
   * `CONFIRM_HOLD_MS`) DCN instead of MCF and the result 'page-not-stored'. ECM holds the answer
   * with RNR (Annex A, bounded by the sender's T5); non-ECM holds it at most `CONFIRM_HOLD_MS`
   * (within the sender's T4). Default false (pages are answered as soon as they are judged).
   */
  readonly confirmAfterStore?: boolean;
  /**
   * Keep every received page in the engine (`T30Engine.receivedPages`) for the life of the
   * session. Default true. With false the pages stream out: each page leaves with its
   * `page-rx-end` event (which carries the bitmap) and the engine keeps only the page it is
   * still answering (the last one, for RTN/DCN-after-TCF and confirm-after-store) as a record
   * without its pixels (bitmap height 0), dropped once the call has ended — a receiving session then holds at most one page, whatever the
   * length of the document.
   */
  readonly retainPages?: boolean;
  /**
   * Decode received pages into this shared buffer (one per process or worker, see
   * page-buffer.ts) instead of a new array per page. The `page-rx-end` bitmap is then valid
   * only until the next page is decoded into the buffer (by any engine sharing it): the page
   * sink copies, encodes or compares it before calling into those engines again. Requires
   * `retainPages: false`. Default: none (every page gets an array of its own).
   */
  readonly pageBuffer?: T30PageBuffer;
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
  | { readonly type: 'rate-fallback'; readonly at: number; readonly from: FaxModulation; readonly to: FaxModulation; readonly reason: 'ftt' | 'rtn' | 'pin' | 'ctc' }
  | { readonly type: 'page-tx-start'; readonly at: number; readonly page: number; readonly octets: number; readonly ecm: boolean; readonly coding: T4Coding; readonly modulation: FaxModulation }
  | { readonly type: 'page-tx-end'; readonly at: number; readonly page: number; readonly response: 'MCF' | 'RTP' | 'RTN' | 'ERR' | 'PIP' | 'PIN'; readonly accepted: boolean }
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
  /** ECM flow control (Annex A): RNR/RR as the transmitter … */
  readonly rnrReceived: number;
  readonly rrSent: number;
  /** … and as the receiver (RNR while our page sink is not ready, `setReceiveReady(false)`). */
  readonly rnrSent: number;
  readonly rrReceived: number;
  /** Procedure interrupts (T.30 §5.3.6.1.6–7), handled without an operator: PIP/PIN answers received … */
  readonly pipReceived: number;
  readonly pinReceived: number;
  /** … and PRI-MPS/EOM/EOP commands (also as PPS/EOR FCF2) received, answered as MPS/EOM/EOP. */
  readonly priReceived: number;
  readonly fallbacks: number;
  readonly imageOctetsSent: number;
  readonly imageOctetsReceived: number;
  readonly txSteps: number;
  readonly lineEvents: number;
  readonly timers: Partial<Record<T30TimerName, number>>;
}

