/**
 * Phase C — message transmission (ITU-T T.30 (09/2005) §5.1 phase C, T.4 §4 coding and, with
 * ECM, T.30 Annex A / T.4 Annex A framing).
 *
 * Non-ECM: the page is T.4-coded (MH or MR, rows padded to the negotiated minimum scan-line
 * time: `minRowBits = ms × bitRate / 1000`, ending with RTC) and sent as one `image` step; the
 * receiver collects the octets until the signal ends, decodes, and judges the copy quality from
 * the decoder's bad-row figures (≥ `minGoodRowsPercent` good rows and no run of more than
 * `maxConsecutiveBad` bad rows → MCF, else RTN; a page without RTC/EOFB is also RTN — a page cut
 * short by a lost carrier must not be confirmed, see interop/spandsp-peer/README.md).
 *
 * ECM: the page is coded (MH/MR/MMR, no fill) once, cut into blocks of up to 256 frames (ecm.ts)
 * and each block goes out as one fast HDLC burst of FCD frames and 3 RCP; corrections resend
 * only the frames a PPR asked for. The receiver stores frames by number, and rebuilds and
 * decodes the page only when its last block is complete.
 *
 * Calls no other phase: when a page or block has left, the `post-page` / `pps` action it queues
 * has the engine run phase D; TCF octets (phase B's) never reach this module.
 */

import type { Bitmap } from '../t4/bitmap.js';
import type { EcmTxState, T30Machine } from './machine.js';
import type { T30ReceivedPage, T4DecodeResult } from './types.js';
import { concatChunks, fcdFrame, rcpFrame, RCP_REPEATS, splitEcmPage } from './ecm.js';
import { encodeT30FrameInto, t30FrameEncodedSize, type T30Frame } from './frames.js';
import type { FaxModulation } from '../modem/modulation.js';
import { kFactor, minRowBits, pageFitsSession, R8_X_DPI, resolutionYDpi, type SessionParams } from './negotiate.js';
import { INTER_SIGNAL_MS, RX_STALL_MS, T2_WAIT_MS } from './timers.js';

// ---------------------------------------------------------------------------------------------
// Transmitter

/**
 * The command that will follow the current page: more pages like it (MPS), a page needing a new
 * DCS (EOM), or none (EOP) — unless we poll the far end afterwards (turnaround polling): then
 * the last page also ends with EOM, "return to the beginning of phase B" (T.30 §5.3.6.1.6 and
 * Figure 5-2), where the far end sends DIS again and we answer it with DTC (phase-b.ts).
 */
function postPageFor(m: T30Machine, p: SessionParams): 'MPS' | 'EOM' | 'EOP' {
  const next = m.pages[m.pageIndex + 1];
  if (next === undefined) return m.turnaround ? 'EOM' : 'EOP';
  return pageFitsSession(next, p) ? 'MPS' : 'EOM';
}

function encodePage(m: T30Machine, page: Bitmap, p: SessionParams, rowBits: number): Uint8Array | undefined {
  try {
    const image = m.preparePage === undefined ? page : m.preparePage(page, m.pageIndex, m.pages.length);
    return m.codec.encode(image, { coding: p.coding, k: kFactor(p.resolution), minRowBits: rowBits, rtc: true });
  } catch (e) {
    m.fail('codec-error', `page ${m.pageIndex + 1}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** CFR (or MCF to MPS) received: send the current page. */
export function startTxPage(m: T30Machine): void {
  const p = m.session();
  const page = m.pages[m.pageIndex];
  if (page === undefined) {
    m.fail('empty-document');
    return;
  }
  m.postPage = postPageFor(m, p);
  if (p.ecm) {
    let et = m.ecmTx;
    if (et === undefined || et.pageIndex !== m.pageIndex) {
      const data = encodePage(m, page, p, 0);
      if (data === undefined) return;
      const blocks = splitEcmPage(data, p.frameSize);
      et = { pageIndex: m.pageIndex, blocks, blockIndex: 0, pending: [], pprCount: 0, fcf2: 'NULL', longTrain: false };
      m.ecmTx = et;
      m.emit({ type: 'page-tx-start', at: m.now, page: m.pageIndex + 1, octets: data.length, ecm: true, coding: p.coding, modulation: p.step.modulation });
    }
    et.pending = allFrames(et);
    sendEcmBlock(m, et.pending, false);
    return;
  }
  const data = encodePage(m, page, p, minRowBits(p.minScanMs, p.step.bitRate));
  if (data === undefined) return;
  m.emit({ type: 'page-tx-start', at: m.now, page: m.pageIndex + 1, octets: data.length, ecm: false, coding: p.coding, modulation: p.step.modulation });
  const mod = p.step.modulation;
  m.setState('I');
  m.queue({ kind: 'silence', ms: INTER_SIGNAL_MS });
  m.queue({ kind: 'image', modulation: mod, shortTrain: m.trainedAt === mod, data });
  m.trainedAt = mod;
  m.n.imageOctetsSent += data.length;
  m.afterTx({ kind: 'post-page' });
}

function allFrames(et: EcmTxState): number[] {
  const block = et.blocks[et.blockIndex];
  return block === undefined ? [] : block.frames.map((_, i) => i);
}

/** One fast HDLC burst: the listed FCD frames of the current block, then 3 × RCP. PPS follows when it has left. */
export function sendEcmBlock(m: T30Machine, frames: readonly number[], retransmission: boolean): void {
  const p = m.session();
  const et = m.ecmTx;
  const block = et?.blocks[et.blockIndex];
  if (et === undefined || block === undefined) {
    m.fail('invalid-ecm-response', 'no ECM block to send');
    return;
  }
  const mod = p.step.modulation;
  // The burst's frames are views of one buffer (a block is up to 256 frames held until the line
  // has sent them: one array each was as many ArrayBuffers for the GC to trace and sweep).
  const burst: T30Frame[] = [];
  for (const n of frames) burst.push(fcdFrame(block, n));
  for (let i = 0; i < RCP_REPEATS; i++) burst.push(rcpFrame());
  let total = 0;
  for (const f of burst) total += t30FrameEncodedSize(f);
  const all = new Uint8Array(total);
  const encoded: Uint8Array[] = [];
  let off = 0;
  for (const f of burst) {
    const n = encodeT30FrameInto(f, all, off);
    encoded.push(all.subarray(off, off + n));
    off += n;
    m.n.framesSent++;
    m.emit({ type: 'frame-sent', at: m.now, modulation: mod, frame: f });
  }
  const shortTrain = !et.longTrain && m.trainedAt === mod;
  et.longTrain = false;
  m.setState('IV');
  m.queue({ kind: 'silence', ms: INTER_SIGNAL_MS });
  m.queue({ kind: 'hdlc', modulation: mod, frames: encoded, shortTrain });
  m.trainedAt = mod;
  m.n.ecmFramesSent += frames.length;
  if (retransmission) m.n.ecmFramesResent += frames.length;
  for (const n of frames) m.n.imageOctetsSent += block.frames[n]?.length ?? 0;
  m.emit({ type: 'ecm-block-sent', at: m.now, page: m.pageIndex + 1, block: et.blockIndex, frames: frames.length, retransmission });
  m.afterTx({ kind: 'pps' });
}

// ---------------------------------------------------------------------------------------------
// Receiver — non-ECM

/** A fast modem's training was heard. Nothing to do until data arrives. */
export function onFastSignal(m: T30Machine, modulation: FaxModulation): void {
  if (m.state === 'F_DOC_NON_ECM' || m.state === 'F_DOC_ECM') m.arm('RX_STALL', RX_STALL_MS);
  void modulation;
}

/** Non-ECM octets outside the TCF (the engine gives those to phase B): the page. */
export function onNonEcmData(m: T30Machine, modulation: FaxModulation, data: Uint8Array): void {
  const s = m.state;
  if (s === 'F_DOC_NON_ECM') {
    addPageData(m, data);
  } else if (s === 'F_CFR' || s === 'III_Q_MCF') {
    // The page starts: after CFR, or after MCF to MPS.
    const p = m.params;
    if (p === undefined || p.ecm || (s === 'III_Q_MCF' && m.lastPostPage !== 'MPS')) {
      m.n.ignoredFrames++;
      return;
    }
    m.disarm('T2');
    m.rxChunks = [];
    m.rxOctets = 0;
    m.setState('F_DOC_NON_ECM');
    m.emit({ type: 'page-rx-start', at: m.now, page: m.n.pagesReceived + 1, ecm: false });
    addPageData(m, data);
  }
  // Anywhere else: late TCF/page octets after we moved on.
}

function addPageData(m: T30Machine, data: Uint8Array): void {
  m.n.imageOctetsReceived += data.length;
  const limit = rxPageLimit(m);
  if (m.rxOctets + data.length > limit) {
    // Checked before the copy: the buffer never holds more than `limit` octets.
    m.rxChunks = [];
    m.rxOctets = 0;
    m.fail('page-too-large', `non-ECM page ${m.n.pagesReceived + 1}: more than ${limit} octets of image data`);
    return;
  }
  m.rxChunks.push(Uint8Array.from(data)); // the line may reuse its buffer
  m.rxOctets += data.length;
  m.arm('RX_STALL', RX_STALL_MS);
}

/**
 * Receive-buffer bound for one page (the non-ECM page buffer, the ECM blocks of a page).
 *
 * T.4 gives no page-length limit for "unlimited" recording length (DIS bits 19–20), so the
 * bound is what a real page could need at its worst, with room to spare:
 *  - rows: a page of MAX_RX_PAGE_LENGTH_MM (1 m, over twice A3's 420 mm and more than any
 *    practical "unlimited" page) at the negotiated vertical resolution (T.4 §2.2: 3.85, 7.7 or
 *    15.4 lines/mm);
 *  - octets per row: WORST_BITS_PER_PEL (12) bits for every pel. In MH (T.4 §4.1, Tables 2–3)
 *    a one-pel run costs 6 bits (white) or 3 (black), a run of 2–63 pels one terminating code
 *    of at most 12 bits, a longer run a makeup code of at most 13 bits more; 2-D codes
 *    (T.4 §4.2, T.6) are no longer per changing element. Plus ROW_OVERHEAD_OCTETS for EOL, fill to the minimum scan-line time
 *    (40 ms at 14 400 bit/s = 72 octets) and uncompressed-mode escapes.
 * At fine resolution and 1728 pels that is 7700 × (2592 + 128) ≈ 21 MB, some 100 times a
 * dense real page; an unpaced or hostile sender hits it long before memory matters.
 */
export const MAX_RX_PAGE_LENGTH_MM = 1000;
export const WORST_BITS_PER_PEL = 12;
export const ROW_OVERHEAD_OCTETS = 128;

/** The default bound of `rxPageLimit` for a session. */
export function maxReceivedPageOctets(p: Pick<SessionParams, 'widthPx' | 'resolution'>): number {
  const rows = Math.ceil((MAX_RX_PAGE_LENGTH_MM * resolutionYDpi(p.resolution)) / 25.4);
  return rows * (Math.ceil((p.widthPx * WORST_BITS_PER_PEL) / 8) + ROW_OVERHEAD_OCTETS);
}

function rxPageLimit(m: T30Machine): number {
  if (m.maxRxPageOctets !== undefined) return m.maxRxPageOctets;
  const p = m.params;
  return p === undefined ? 0 : maxReceivedPageOctets(p);
}

/**
 * Decodes a received page. Non-ECM data is what the modem delivered after training: anything
 * before the first EOL is the training's tail, not a line (T.4 §4.1.2), so it is skipped.
 */
function decodePage(m: T30Machine, data: Uint8Array, p: SessionParams, nonEcm: boolean): T4DecodeResult | undefined {
  try {
    const buf = m.pageBuffer;
    const opts = { coding: p.coding, width: p.widthPx, k: kFactor(p.resolution), ...(nonEcm && p.coding !== 'mmr' ? { skipToFirstEol: true } : {}) };
    if (buf === undefined) return m.codec.decode(data, opts);
    // Into the shared buffer (page-buffer.ts): no page-sized allocation per page.
    const r = m.codec.decode(data, { ...opts, into: buf.target((p.widthPx + 7) >>> 3) });
    buf.adopt(r.bitmap.data);
    return r;
  } catch (e) {
    m.warn(`T.4 decoder threw: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

function withDpi(b: Bitmap, p: SessionParams): Bitmap {
  return { ...b, xDpi: R8_X_DPI, yDpi: resolutionYDpi(p.resolution) };
}

/** Copy quality (HylaFAX-style thresholds): enough good rows, no long burst of bad ones, and a proper end. */
export function copyQualityOk(m: T30Machine, r: T4DecodeResult): boolean {
  if (r.end !== 'rtc' && r.end !== 'eofb') return false;
  if (r.rows <= 0) return false;
  const goodPercent = ((r.rows - r.badRows) * 100) / r.rows;
  return goodPercent >= m.copyQuality.minGoodRowsPercent && r.longestBadRun <= m.copyQuality.maxConsecutiveBad;
}

/** The page signal is over: decode, judge, and wait for the post-page command. */
export function finishNonEcmPage(m: T30Machine): void {
  m.disarm('RX_STALL');
  const p = m.session();
  // With a shared page buffer the chunks are joined in its reused memory (no page-sized copy).
  const data = m.pageBuffer !== undefined ? m.pageBuffer.join(m.rxChunks) : concatChunks(m.rxChunks);
  m.rxChunks = [];
  const r = decodePage(m, data, p, true);
  const page: T30ReceivedPage =
    r === undefined
      ? {
          page: m.n.pagesReceived + 1,
          bitmap: { width: p.widthPx, height: 0, stride: (p.widthPx + 7) >> 3, data: new Uint8Array(0) },
          rows: 0,
          badRows: 0,
          longestBadRun: 0,
          end: 'cut-short',
          ecm: false,
          coding: p.coding,
          accepted: false,
        }
      : {
          page: m.n.pagesReceived + 1,
          bitmap: withDpi(r.bitmap, p),
          rows: r.rows,
          badRows: r.badRows,
          longestBadRun: r.longestBadRun,
          end: r.end,
          ecm: false,
          coding: p.coding,
          accepted: copyQualityOk(m, r),
        };
  m.rxPage = m.keepReceivedPage(page);
  m.emit({ type: 'page-rx-end', at: m.now, ...page });
  m.setState('F_POST_DOC_NON_ECM');
  m.arm('T2', T2_WAIT_MS);
}

// ---------------------------------------------------------------------------------------------
// Receiver — ECM

/** The receiving side of one block is about to start (first FCD, or a PPS whose frames were all lost). */
export function prepareEcmBlock(m: T30Machine): void {
  const rx = m.ecmRx;
  const s = m.state;
  if (s === 'F_CFR' || s === 'F_POST_RCP_MCF') {
    if (rx.pageDone) {
      rx.pageDone = false;
      rx.pageChunks = [];
      rx.block.clear();
      m.emit({ type: 'page-rx-start', at: m.now, page: m.n.pagesReceived + 1, ecm: true });
    } else if (s === 'F_POST_RCP_MCF') {
      rx.block.clear(); // the previous block was acknowledged; this is the next one
    }
  }
}

/** A fast HDLC frame with a good FCS. */
export function onEcmFrame(m: T30Machine, f: T30Frame): void {
  const s = m.state;
  const receiving = s === 'F_CFR' || s === 'F_DOC_ECM' || s === 'F_POST_RCP_MCF' || s === 'F_POST_RCP_PPR' || s === 'F_POST_DOC_ECM';
  if (!receiving || m.params?.ecm !== true) {
    m.n.ignoredFrames++;
    return;
  }
  if (f.type === 'FCD') {
    if (s !== 'F_DOC_ECM') {
      prepareEcmBlock(m);
      m.disarm('T2');
      m.setState('F_DOC_ECM');
    }
    m.ecmRx.block.put(f.frameNumber, f.data);
    m.n.ecmFramesReceived++;
    // The page so far (acknowledged blocks) plus this block (≤ 256 frames, Annex A) — checked
    // per frame, so the partial-page list never passes the bound by more than one block.
    const held = ecmPageOctets(m) + m.ecmRx.block.received * f.data.length;
    const limit = rxPageLimit(m);
    if (held > limit) {
      m.ecmRx.pageChunks = [];
      m.ecmRx.block.clear();
      m.fail('page-too-large', `ECM page ${m.n.pagesReceived + 1}: more than ${limit} octets of image data`);
      return;
    }
    m.n.imageOctetsReceived += f.data.length;
    m.arm('RX_STALL', RX_STALL_MS);
    return;
  }
  if (f.type === 'RCP') {
    if (s === 'F_DOC_ECM') {
      m.disarm('RX_STALL');
      m.setState('F_POST_DOC_ECM');
      m.arm('T2', T2_WAIT_MS);
    }
    return;
  }
  m.n.ignoredFrames++;
}

/** Octets in the acknowledged blocks of the ECM page being received. */
function ecmPageOctets(m: T30Machine): number {
  let n = 0;
  for (const c of m.ecmRx.pageChunks) n += c.length;
  return n;
}

/** The page signal stalled: nothing for RX_STALL_MS. */
export function onRxStall(m: T30Machine): void {
  if (m.state === 'F_DOC_NON_ECM' || m.state === 'F_DOC_ECM') m.fail('carrier-lost', `nothing received for ${RX_STALL_MS} ms`);
}

/**
 * The received ECM page is complete (last block acknowledged, or closed by EOR): decode it and
 * deliver it. With `count` false (confirm-after-store) it is delivered but counted only once the
 * application has stored it (`countEcmPage`).
 */
export function finishEcmPage(m: T30Machine, count = true): void {
  const p = m.session();
  const rx = m.ecmRx;
  const data = m.pageBuffer !== undefined ? m.pageBuffer.join(rx.pageChunks) : concatChunks(rx.pageChunks);
  rx.pageChunks = [];
  rx.pageDone = true;
  const r = decodePage(m, data, p, false);
  const page: T30ReceivedPage = {
    page: m.n.pagesReceived + 1,
    bitmap: r === undefined ? { width: p.widthPx, height: 0, stride: (p.widthPx + 7) >> 3, data: new Uint8Array(0) } : withDpi(r.bitmap, p),
    rows: r?.rows ?? 0,
    badRows: r?.badRows ?? 0,
    longestBadRun: r?.longestBadRun ?? 0,
    end: r?.end ?? 'cut-short',
    ecm: true,
    coding: p.coding,
    accepted: true,
  };
  m.keepReceivedPage(page);
  m.emit({ type: 'page-rx-end', at: m.now, ...page });
  if (count) countEcmPage(m, page);
}

/** An ECM page confirmed (MCF or ERR sent): it counts as received. */
export function countEcmPage(m: T30Machine, page: T30ReceivedPage): void {
  m.n.pagesReceived++;
  m.badRowsTotal += page.badRows;
  m.longestBadRun = Math.max(m.longestBadRun, page.longestBadRun);
}
