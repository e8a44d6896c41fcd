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

/**
 * The pages of a call, rebuilt as its line events come (the streaming form of `extractPages`):
 * `push` each event in time order; each page is handed to `onPage` once nothing can change it
 * any more (the next page began, or its answer — and for non-ECM its post-page command — was
 * seen, or `finish` was called), and only the page still open is held.
 */
export class PageExtractor {
  private last: ExtractedPage | undefined;
  private count = 0;
  private confirmed = 0;
  private params: PageParams | undefined;
  private sender: string | undefined;
  private lastFrame: string | undefined;
  private lastCommand: string | undefined;
  private nonEcm: Uint8Array[] = [];
  private nonEcmStart = 0;
  private nonEcmIsPage = false;
  // ECM: frames of the current block by number, and the page's completed blocks.
  private block = new Map<number, Uint8Array>();
  private pageBlocks: Uint8Array[] = [];
  private pageStart = 0;
  /** Frames the last PPS announced for the block still open. */
  private blockFrames = 0;
  private lastAnswer: string | undefined;
  private lastAnswerTime = -Infinity;
  private lastCommandTime = -Infinity;
  private dcn = false;
  private done = false;

  /** `nextIndex`: the index the next page gets (default: pages begun by this extractor). */
  constructor(
    private readonly onPage: (page: ExtractedPage) => void,
    private readonly nextIndex?: () => number,
  ) {}

  /** Pages begun so far (handed over or not). */
  get pages(): number {
    return this.count;
  }

  /**
   * Time of the first image data of a page being gathered (ECM blocks or a non-ECM page), or of
   * the last page while its answer can still change it; undefined when nothing is open.
   */
  openSince(): number | undefined {
    const p = this.params;
    if (this.done) return undefined;
    if (p && this.sender !== undefined) {
      if (p.ecm && (this.pageBlocks.length > 0 || this.block.size > 0)) return this.pageStart;
      if (!p.ecm && this.nonEcm.length > 0 && this.nonEcmIsPage) return this.nonEcmStart;
    }
    return undefined;
  }

  /** The page not yet handed over (its answer may still come). */
  pending(): ExtractedPage | undefined {
    return this.last;
  }

  private hand(p: ExtractedPage): void {
    if (p.response === 'MCF' || p.response === 'RTP' || p.response === 'PIP') this.confirmed++;
    this.onPage(p);
  }

  /** Hands the last page over once nothing can change it: answered (and, non-ECM, its command known). */
  private settle(): void {
    const l = this.last;
    if (l && l.response !== undefined && (l.params.ecm || l.command !== undefined)) {
      this.last = undefined;
      this.hand(l);
    }
  }

  private finishPage(data: Uint8Array, time: number, stream: string, missing: number, command?: string): void {
    const params = this.params;
    if (!params) return;
    // Non-ECM data from a modem starts with the training's tail: skip to the first EOL (T.4 §4.1.2).
    const d = decodeT4(data, { coding: params.coding, width: params.width, ...(params.ecm || params.coding === 'mmr' ? {} : { skipToFirstEol: true }) });
    const bitmap: Bitmap = { ...d.bitmap, xDpi: params.xDpi, yDpi: params.yDpi };
    const prev = this.last;
    this.count++;
    this.last = {
      index: this.nextIndex ? this.nextIndex() : this.count,
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
    };
    // The page before is no longer the last one: nothing can change it now.
    if (prev) this.hand(prev);
  }

  push(ev: PageEvent): void {
    if (this.done) return;
    this.step(ev);
    this.settle();
  }

  private step(ev: PageEvent): void {
    if (ev.kind === 'non-ecm') {
      if (ev.stream !== this.sender || this.params?.ecm) return;
      if (this.nonEcm.length === 0) {
        this.nonEcmStart = ev.time;
        // TCF follows DCS; a page follows CFR, or an answer to MPS.
        this.nonEcmIsPage = this.lastFrame !== undefined && this.lastFrame !== 'DCS' && this.lastFrame !== 'CTC';
      }
      this.nonEcm.push(ev.data);
      return;
    }
    if (ev.kind === 'non-ecm-end') {
      if (ev.stream !== this.sender || this.nonEcm.length === 0) return;
      if (this.nonEcmIsPage) this.finishPage(concatBytes(this.nonEcm), this.nonEcmStart, ev.stream, 0);
      this.nonEcm = [];
      return;
    }
    if (!ev.ok) return;
    const f = ev.frame;
    const name = f.type === 'PPS' ? `PPS-${f.fcf2}` : f.type;
    this.stepFrame(ev, f, name);
  }

  private stepFrame(ev: PageEvent & { kind: 't30' }, f: T30Frame, name: string): void {
    if (f.type === 'DCS') {
      this.params = paramsFromDcs(f.dis);
      this.sender = ev.stream;
    } else if (f.type === 'FCD' && ev.stream === this.sender) {
      if (this.block.size === 0 && this.pageBlocks.length === 0) this.pageStart = ev.time;
      if (!this.block.has(f.frameNumber)) this.block.set(f.frameNumber, f.data);
      return; // FCDs are not "the last frame" for the TCF/page rule
    } else if (f.type === 'RCP') {
      return;
    } else if (f.type === 'PPS' && ev.stream === this.sender) {
      let missing = 0;
      for (let i = 0; i < f.frameCount; i++) if (!this.block.has(i)) missing++;
      this.blockFrames = f.frameCount;
      // A block with holes is answered by PPR and its missing frames come again, followed by
      // another PPS; only a whole block joins the page (T.30 Annex A.4).
      if (missing === 0) {
        for (let i = 0; i < f.frameCount; i++) this.pageBlocks.push(this.block.get(i) ?? new Uint8Array(0));
        this.block = new Map();
        this.blockFrames = 0;
        if (f.fcf2 !== 'NULL') {
          const data = concatBytes(this.pageBlocks);
          this.pageBlocks = [];
          this.finishPage(data, this.pageStart, ev.stream, 0, name);
        }
      }
      this.lastCommand = name;
      this.lastCommandTime = ev.time;
    } else if (f.type === 'MPS' || f.type === 'EOM' || f.type === 'EOP' || f.type === 'PRI-MPS' || f.type === 'PRI-EOM' || f.type === 'PRI-EOP') {
      this.lastCommand = name;
      this.lastCommandTime = ev.time;
      const last = this.last;
      if (last && last.command === undefined && !last.params.ecm) (last as { command?: string }).command = name;
    } else if (ANSWERS.has(f.type)) {
      this.lastAnswer = f.type;
      this.lastAnswerTime = ev.time;
      const last = this.last;
      if (last && last.response === undefined) last.response = f.type;
    } else if (f.type === 'DCN') {
      this.dcn = true;
    }
    this.lastFrame = f.type;
  }

  /** What the outcome line says, for merging calls (after `finish`). */
  outcomeParts(): OutcomeParts {
    return { pages: this.count, confirmed: this.confirmed, lastAnswer: this.lastAnswer, lastAnswerTime: this.lastAnswerTime, lastCommand: this.lastCommand, lastCommandTime: this.lastCommandTime, dcn: this.dcn };
  }

  /** The end of the call: a page still open is kept, marked by what it lacks; returns the outcome. */
  finish(): string {
    if (!this.done) {
      this.done = true;
      const params = this.params;
      const sender = this.sender;
      if (params && sender !== undefined) {
        if (params.ecm && (this.pageBlocks.length > 0 || this.block.size > 0)) {
          const pieces = [...this.pageBlocks, ...[...this.block.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])];
          this.finishPage(concatBytes(pieces), this.pageStart, sender, Math.max(0, this.blockFrames - this.block.size), this.lastCommand);
        } else if (!params.ecm && this.nonEcm.length > 0 && this.nonEcmIsPage) {
          this.finishPage(concatBytes(this.nonEcm), this.nonEcmStart, sender, 0);
        }
      }
      const l = this.last;
      this.last = undefined;
      if (l) this.hand(l);
    }
    return outcomeText(this.outcomeParts());
  }
}

export interface OutcomeParts {
  readonly pages: number;
  readonly confirmed: number;
  readonly lastAnswer: string | undefined;
  readonly lastAnswerTime: number;
  readonly lastCommand: string | undefined;
  readonly lastCommandTime: number;
  readonly dcn: boolean;
}

function outcomeText(o: OutcomeParts): string {
  return (
    `${o.pages} page(s) sent, ${o.confirmed} confirmed` +
    (o.lastAnswer ? `, last answer ${o.lastAnswer}` : '') +
    (o.lastCommand ? ` to ${o.lastCommand}` : '') +
    (o.dcn ? ', call ended with DCN' : ', no DCN in the capture')
  );
}

/** The pages of a call from all its line events at once (see `PageExtractor`). */
export function extractPages(events: readonly PageEvent[]): ExtractResult {
  const pages: ExtractedPage[] = [];
  const x = new PageExtractor((p) => pages.push(p));
  for (const ev of events) x.push(ev);
  const outcome = x.finish();
  return { pages, outcome };
}

/** A stream as the call grouping sees it: its id and its endpoints (`ip:port`). */
export interface StreamEnds {
  readonly id: string;
  readonly src: string;
  readonly dst: string;
}

/**
 * Which call (media leg) each stream belongs to, for `CallPageExtractor`: a stream whose reverse
 * direction (dst → src) is a stream too joins the leg of that endpoint pair (T.38 and RTP being
 * symmetric in practice, RFC 4961), so the calls of a capture of many are told apart; a stream
 * without one (asymmetric media, or one direction captured) joins the single leg of all such
 * streams — which is how every stream was treated before calls were told apart.
 */
export function callsOfStreams(streams: readonly StreamEnds[]): { readonly callOf: (stream: string) => string; readonly label: (call: string) => string } {
  const pairs = new Set(streams.map((s) => `${s.src} ${s.dst}`));
  const of = new Map<string, string>();
  const ids = new Map<string, string[]>();
  for (const s of streams) {
    const call = pairs.has(`${s.dst} ${s.src}`) ? (s.src < s.dst ? `${s.src} ${s.dst}` : `${s.dst} ${s.src}`) : '';
    of.set(s.id, call);
    let l = ids.get(call);
    if (!l) ids.set(call, (l = []));
    l.push(s.id);
  }
  return { callOf: (stream) => of.get(stream) ?? '', label: (call) => (ids.get(call) ?? []).join('+') };
}

/**
 * The pages of a capture of any number of calls: one `PageExtractor` per call (T.30 runs per
 * call; one extractor across calls would mix one call's DCS with another's image data), the
 * pages numbered across calls in the order they begin. With events of one call only, exactly
 * what a single `PageExtractor` gives.
 */
export class CallPageExtractor {
  private readonly calls = new Map<string, PageExtractor>();
  private index = 0;

  constructor(
    private readonly callOf: (stream: string) => string,
    private readonly label: (call: string) => string,
    private readonly onPage: (page: ExtractedPage) => void,
  ) {}

  push(ev: PageEvent): void {
    const call = this.callOf(ev.stream);
    let x = this.calls.get(call);
    if (!x) this.calls.set(call, (x = new PageExtractor(this.onPage, () => ++this.index)));
    x.push(ev);
  }

  /** The earliest `openSince` of the calls (see PageExtractor). */
  openSince(): number | undefined {
    let t: number | undefined;
    for (const x of this.calls.values()) {
      const o = x.openSince();
      if (o !== undefined && (t === undefined || o < t)) t = o;
    }
    return t;
  }

  /** The earliest time of a page not yet handed over. */
  pendingSince(): number | undefined {
    let t: number | undefined;
    for (const x of this.calls.values()) {
      const p = x.pending();
      if (p !== undefined && (t === undefined || p.time < t)) t = p.time;
    }
    return t;
  }

  /**
   * The end of the capture: every call's open page handed over. The outcome: one line per call
   * that sent pages, labelled with its streams, when several did; otherwise one unlabelled line —
   * that call's, or, when none sent a page, what all of them said (the latest answer and command).
   */
  finish(): string[] {
    const parts: { call: string; o: OutcomeParts }[] = [];
    for (const [call, x] of this.calls) {
      x.finish();
      parts.push({ call, o: x.outcomeParts() });
    }
    const active = parts.filter((p) => p.o.pages > 0);
    if (active.length >= 2) return active.map((p) => `${this.label(p.call)}: ${outcomeText(p.o)}`);
    if (active.length === 1) return [outcomeText((active[0] as { o: OutcomeParts }).o)];
    let answer: OutcomeParts | undefined;
    let command: OutcomeParts | undefined;
    for (const { o } of parts) {
      if (o.lastAnswer !== undefined && (!answer || o.lastAnswerTime >= answer.lastAnswerTime)) answer = o;
      if (o.lastCommand !== undefined && (!command || o.lastCommandTime >= command.lastCommandTime)) command = o;
    }
    return [
      outcomeText({
        pages: 0,
        confirmed: 0,
        lastAnswer: answer?.lastAnswer,
        lastAnswerTime: 0,
        lastCommand: command?.lastCommand,
        lastCommandTime: 0,
        dcn: parts.some((p) => p.o.dcn),
      }),
    ];
  }
}

/** `extractPages` over a capture of any number of calls (see `CallPageExtractor`). */
export function extractCallPages(events: readonly PageEvent[], streams: readonly StreamEnds[]): { readonly pages: ExtractedPage[]; readonly outcomes: string[] } {
  const pages: ExtractedPage[] = [];
  const c = callsOfStreams(streams);
  const x = new CallPageExtractor(c.callOf, c.label, (p) => pages.push(p));
  for (const ev of events) x.push(ev);
  const outcomes = x.finish();
  return { pages, outcomes };
}
