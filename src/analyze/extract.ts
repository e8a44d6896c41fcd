/**
 * Rebuilds the pages that crossed a captured T.38 call (`faxwire analyze --extract`).
 *
 * Input is the call's time-ordered line events, after UDPTL recovery: the T.30 frames both
 * ends exchanged and the non-ECM image data. The page parameters come from the last DCS
 * (T.30 Table 2: coding bits 16/31, width bits 17–18, resolution bits 15/41–43); which image
 * data is a page follows the T.30 flow:
 *
 *  - non-ECM (T.30 §5.3.6/phase C): data after a DCS is TCF (training check, ignored); data
 *    after CFR, or after MCF/RTP/RTN/PIP/PIN following MPS, is a page, ending with the
 *    non-ECM signal end. RTC ends the T.4 data inside it;
 *  - ECM (T.30 Annex A): FCD frames carry 64/256-octet pieces of the page with a frame number;
 *    a PPS closes a partial page (block) and says how many frames it had; missing frames come
 *    again after PPR, followed by another PPS; the page ends with a PPS-MPS/EOM/EOP whose block
 *    is complete. The page's T.4/T.6 data is the blocks' frames in order.
 *
 * Each page is then decoded with the T.4/T.6 decoder (bad rows concealed and counted, as a
 * receiver would), and paired with the receiver's answer (MCF, RTN, RTP, PIN, PIP).
 */

import type { Bitmap } from '../t4/bitmap.js';
import type { DisInfo } from '../t30/dis.js';
import type { T30Frame } from '../t30/frames.js';
import { decodeT4, type T4Coding } from '../t4/index.js';
import { concatBytes } from '../util/bytes.js';

export type PageEvent =
  | { readonly kind: 't30'; readonly time: number; readonly stream: string; readonly frame: T30Frame; readonly ok: boolean }
  | { readonly kind: 'non-ecm'; readonly time: number; readonly stream: string; readonly data: Uint8Array }
  | { readonly kind: 'non-ecm-end'; readonly time: number; readonly stream: string };

export interface PageParams {
  readonly coding: T4Coding;
  readonly width: number;
  readonly xDpi: number;
  readonly yDpi: number;
  readonly ecm: boolean;
  readonly bitRate: number | null;
}

export interface ExtractedPage {
  /** 1-based, in the order the pages were sent. */
  readonly index: number;
  /** Stream that carried the page (the sender's direction). */
  readonly stream: string;
  readonly time: number;
  readonly params: PageParams;
  readonly bitmap: Bitmap;
  readonly rows: number;
  readonly badRows: number;
  readonly longestBadRun: number;
  /** How the T.4/T.6 data ended: RTC/EOFB seen, or cut short. */
  readonly end: string;
  /** ECM: frames of the page that never arrived in the capture (0 when whole). */
  readonly missingFrames: number;
  /** The receiver's post-page answer, when the capture has it. */
  response?: string;
  /** Post-page command that ended it (MPS, EOM, EOP, PPS-EOP …). */
  readonly command?: string;
}

export interface ExtractResult {
  readonly pages: ExtractedPage[];
  /** T.30 outcome in words: pages confirmed, last answer, how the call ended. */
  readonly outcome: string;
}

/** Recording width in pixels for a DCS width (T.30 Table 2 bits 17–18) at its resolution. */
function widthPixels(dis: DisInfo): number {
  const mm = dis.widthsMm[0] ?? 215;
  const res = dis.resolutions;
  // T.4 §2.2: 1728/2048/2432 pels at 8 pels/mm; ×2 at 16 pels/mm; 300 dpi: 2592/3072/3648.
  const base = mm >= 303 ? 2432 : mm >= 255 ? 2048 : 1728;
  if (res.includes('400x400') || res.includes('superfine')) return res.includes('superfine') && !res.includes('400x400') ? base : base * 2;
  if (res.includes('300x300') || res.includes('300x600')) return Math.round((base * 300) / 204 / 8) * 8;
  return base;
}

function paramsFromDcs(dis: DisInfo): PageParams {
  const coding: T4Coding = dis.codings.includes('MMR') ? 'mmr' : dis.codings.includes('MR') ? 'mr' : 'mh';
  const r = dis.resolutions;
  const yDpi = r.includes('superfine') || r.includes('400x400') ? 391 : r.includes('fine') ? 196 : r.includes('300x300') ? 300 : 98;
  const xDpi = r.includes('400x400') ? 408 : r.includes('300x300') ? 300 : 204;
  return { coding, width: widthPixels(dis), xDpi, yDpi, ecm: dis.ecm, bitRate: dis.rate.bitRate };
}

const ANSWERS = new Set(['MCF', 'RTN', 'RTP', 'PIN', 'PIP']);

export function extractPages(events: readonly PageEvent[]): ExtractResult {
  const pages: ExtractedPage[] = [];
  let params: PageParams | undefined;
  let sender: string | undefined;
  let lastFrame: string | undefined;
  let lastCommand: string | undefined;
  let nonEcm: Uint8Array[] = [];
  let nonEcmStart = 0;
  let nonEcmIsPage = false;
  // ECM: frames of the current block by number, and the page's completed blocks.
  let block = new Map<number, Uint8Array>();
  let pageBlocks: Uint8Array[] = [];
  let pageStart = 0;
  /** Frames the last PPS announced for the block still open. */
  let blockFrames = 0;
  let lastAnswer: string | undefined;
  let dcn = false;

  const finish = (data: Uint8Array, time: number, stream: string, missing: number, command?: string): void => {
    if (!params) return;
    // Non-ECM data from a modem starts with the training's tail: skip to the first EOL (T.4 §4.1.2).
    const d = decodeT4(data, { coding: params.coding, width: params.width, ...(params.ecm || params.coding === 'mmr' ? {} : { skipToFirstEol: true }) });
    const bitmap: Bitmap = { ...d.bitmap, xDpi: params.xDpi, yDpi: params.yDpi };
    pages.push({
      index: pages.length + 1,
      stream,
      time,
      params,
      bitmap,
      rows: d.rows,
      badRows: d.badRows,
      longestBadRun: d.longestBadRun,
      end: d.end,
      missingFrames: missing,
      ...(command !== undefined ? { command } : {}),
    });
  };

  for (const ev of events) {
    if (ev.kind === 'non-ecm') {
      if (ev.stream !== sender || params?.ecm) continue;
      if (nonEcm.length === 0) {
        nonEcmStart = ev.time;
        // TCF follows DCS; a page follows CFR, or an answer to MPS.
        nonEcmIsPage = lastFrame !== undefined && lastFrame !== 'DCS' && lastFrame !== 'CTC';
      }
      nonEcm.push(ev.data);
      continue;
    }
    if (ev.kind === 'non-ecm-end') {
      if (ev.stream !== sender || nonEcm.length === 0) continue;
      if (nonEcmIsPage) finish(concatBytes(nonEcm), nonEcmStart, ev.stream, 0);
      nonEcm = [];
      continue;
    }
    if (!ev.ok) continue;
    const f = ev.frame;
    const name = f.type === 'PPS' ? `PPS-${f.fcf2}` : f.type;
    if (f.type === 'DCS') {
      params = paramsFromDcs(f.dis);
      sender = ev.stream;
    } else if (f.type === 'FCD' && ev.stream === sender) {
      if (block.size === 0 && pageBlocks.length === 0) pageStart = ev.time;
      if (!block.has(f.frameNumber)) block.set(f.frameNumber, f.data);
      continue; // FCDs are not "the last frame" for the TCF/page rule
    } else if (f.type === 'RCP') {
      continue;
    } else if (f.type === 'PPS' && ev.stream === sender) {
      let missing = 0;
      for (let i = 0; i < f.frameCount; i++) if (!block.has(i)) missing++;
      blockFrames = f.frameCount;
      // A block with holes is answered by PPR and its missing frames come again, followed by
      // another PPS; only a whole block joins the page (T.30 Annex A.4).
      if (missing === 0) {
        for (let i = 0; i < f.frameCount; i++) pageBlocks.push(block.get(i) ?? new Uint8Array(0));
        block = new Map();
        blockFrames = 0;
        if (f.fcf2 !== 'NULL') {
          finish(concatBytes(pageBlocks), pageStart, ev.stream, 0, name);
          pageBlocks = [];
        }
      }
      lastCommand = name;
    } else if (f.type === 'MPS' || f.type === 'EOM' || f.type === 'EOP' || f.type === 'PRI-MPS' || f.type === 'PRI-EOM' || f.type === 'PRI-EOP') {
      lastCommand = name;
      const last = pages[pages.length - 1];
      if (last && last.command === undefined && !last.params.ecm) (last as { command?: string }).command = name;
    } else if (ANSWERS.has(f.type)) {
      lastAnswer = f.type;
      const last = pages[pages.length - 1];
      if (last && last.response === undefined) last.response = f.type;
    } else if (f.type === 'DCN') {
      dcn = true;
    }
    lastFrame = f.type;
  }
  // A page still open when the capture ends is kept, marked by what it lacks.
  if (params && sender !== undefined) {
    if (params.ecm && (pageBlocks.length > 0 || block.size > 0)) {
      const pieces = [...pageBlocks, ...[...block.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])];
      finish(concatBytes(pieces), pageStart, sender, Math.max(0, blockFrames - block.size), lastCommand);
    } else if (!params.ecm && nonEcm.length > 0 && nonEcmIsPage) {
      finish(concatBytes(nonEcm), nonEcmStart, sender, 0);
    }
  }
  const confirmed = pages.filter((p) => p.response === 'MCF' || p.response === 'RTP' || p.response === 'PIP').length;
  const outcome =
    `${pages.length} page(s) sent, ${confirmed} confirmed` +
    (lastAnswer ? `, last answer ${lastAnswer}` : '') +
    (lastCommand ? ` to ${lastCommand}` : '') +
    (dcn ? ', call ended with DCN' : ', no DCN in the capture');
  return { pages, outcome };
}
