/**
 * Virtual-time test harness for the T.30 engine: two engines back to back through an in-memory
 * line model. Each side's transmit steps are played one after the other on that side's
 * "line"; the other side receives them as T30LineEvents after a one-way delay, with signal
 * durations computed from the modulation's bit rate (V.21 at 300 bit/s with a 1 s preamble,
 * fast modems with their training times), and the sender gets `tx-done` when each step has
 * left. Hooks can drop or corrupt HDLC frames and non-ECM octets, inject events, and hang a
 * side up. Nothing here uses real time: `run()` jumps from one scheduled event or engine timer
 * to the next.
 */

import assert from 'node:assert/strict';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { bitmapStride, createBitmap } from '../../../src/t4/bitmap.js';
import { T30Engine as T30EngineClass, type T30Engine, type T30EngineOptions, type T30Event } from '../../../src/t30/engine.js';
import { decodeT30Frame, frameName } from '../../../src/t30/frames.js';
import { FAX_MODULATION_BIT_RATE, preambleMs, trainingMs, type FaxModulation } from '../../../src/modem/modulation.js';
import type { T30LineEvent, T30TxStep } from '../../../src/t30/line.js';
import type { T30Result } from '../../../src/t30/result.js';
import type { T4Coding } from '../../../src/t30/negotiate.js';
import { xorshift32 } from '../../../src/util/random.js';

export type Side = 'a' | 'b';
const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

/** What to do with one HDLC frame on its way: deliver as is, drop, mark bad (FCS error), or replace. */
export type FrameFate = undefined | 'drop' | 'bad' | Uint8Array;

export interface HdlcFrameInfo {
  readonly from: Side;
  readonly modulation: FaxModulation;
  readonly frame: Uint8Array;
  /** Index of this frame among all frames this side sent (0-based). */
  readonly index: number;
  readonly at: number;
}

export interface NonEcmInfo {
  readonly from: Side;
  readonly kind: 'tcf' | 'image';
  readonly data: Uint8Array;
  /** Octet offset of this chunk in its signal. */
  readonly offset: number;
  /** How many signals of this kind this side sent before (0 = first TCF / first page). */
  readonly signalIndex: number;
  readonly at: number;
}

export interface HarnessOptions {
  /** One-way delay, ms (default 40). */
  readonly delayMs?: number;
  readonly hdlcFrame?: (f: HdlcFrameInfo) => FrameFate;
  /** Returns the chunk to deliver (possibly modified) or 'drop'. */
  readonly nonEcm?: (c: NonEcmInfo) => Uint8Array | 'drop' | undefined;
  /** The side goes away at this time: nothing more is sent or received by it. */
  readonly hangup?: { readonly side: Side; readonly atMs: number; readonly tellOther: boolean };
  /** Extra events delivered to a side at a time. */
  readonly inject?: readonly { readonly to: Side; readonly atMs: number; readonly ev: T30LineEvent }[];
  /** Everything `from` transmits while this returns true is lost (evaluated when the step starts). */
  readonly mute?: (from: Side, atMs: number) => boolean;
  /** Calls made at given virtual times (e.g. `engine.abort(...)`). */
  readonly actions?: readonly { readonly atMs: number; readonly fn: (nowMs: number) => void }[];
  /**
   * Sees every event an engine emits, as it is collected; `later(ms, fn)` runs `fn` that much
   * virtual time afterwards (an application answering the engine, e.g. `confirmPage`).
   */
  readonly onEvent?: (side: Side, ev: T30Event, nowMs: number, later: (ms: number, fn: (nowMs: number) => void) => void) => void;
  /** Print a trace to stderr. */
  readonly trace?: boolean;
  /** Non-ECM chunk size, octets (default 1024). */
  readonly chunkOctets?: number;
}

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly to: Side;
  readonly ev: T30LineEvent;
  /** Events that carry a signal from the other side (not tx-done). */
  readonly remote: boolean;
}


function bitsMs(bits: number, m: FaxModulation): number {
  return (bits * 1000) / FAX_MODULATION_BIT_RATE[m];
}

export interface SideReport {
  readonly result: T30Result | undefined;
  readonly events: T30Event[];
  readonly steps: T30TxStep[];
}

export interface RunReport {
  readonly a: SideReport;
  readonly b: SideReport;
  readonly endMs: number;
  /** HDLC frames / non-ECM chunks sent by each side. */
  readonly framesSent: Record<Side, number>;
}

export class VirtualCall {
  private readonly engines: Record<Side, T30Engine>;
  private readonly opts: HarnessOptions;
  private readonly queue: Scheduled[] = [];
  private seq = 0;
  private now = 0;
  private readonly busyUntil: Record<Side, number> = { a: 0, b: 0 };
  private readonly frameIndex: Record<Side, number> = { a: 0, b: 0 };
  private readonly signalIndex: Record<Side, Record<'tcf' | 'image', number>> = { a: { tcf: 0, image: 0 }, b: { tcf: 0, image: 0 } };
  private readonly events: Record<Side, T30Event[]> = { a: [], b: [] };
  private readonly steps: Record<Side, T30TxStep[]> = { a: [], b: [] };
  private dead: Side | undefined;
  private readonly pendingActions: { readonly atMs: number; readonly fn: (nowMs: number) => void }[];

  constructor(a: T30Engine, b: T30Engine, opts: HarnessOptions = {}) {
    this.engines = { a, b };
    this.opts = opts;
    for (const i of opts.inject ?? []) this.schedule(i.atMs, i.to, i.ev, true);
    this.pendingActions = [...(opts.actions ?? [])].sort((x, y) => x.atMs - y.atMs);
  }

  /** Adds an action at `atMs` (kept in time order; after those already due at the same time). */
  private later(atMs: number, fn: (nowMs: number) => void): void {
    let i = 0;
    while (i < this.pendingActions.length && (this.pendingActions[i]?.atMs ?? Infinity) <= atMs) i++;
    this.pendingActions.splice(i, 0, { atMs, fn });
  }

  private get delay(): number {
    return this.opts.delayMs ?? 40;
  }

  private schedule(at: number, to: Side, ev: T30LineEvent, remote: boolean): void {
    const item: Scheduled = { at, seq: this.seq++, to, ev, remote };
    // Binary insertion by (at, seq).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid];
      if (q !== undefined && (q.at < at || (q.at === at && q.seq < item.seq))) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }

  private log(s: string): void {
    if (this.opts.trace === true) process.stderr.write(`${this.now.toFixed(1).padStart(9)} ${s}\n`);
  }

  /** Moves an engine's queued steps onto its line and its events into the log. */
  private collect(side: Side): void {
    const e = this.engines[side];
    for (const ev of e.takeEvents()) {
      this.events[side].push(ev);
      if (this.opts.trace === true) this.log(`${side} ${describeEvent(ev)}`);
      this.opts.onEvent?.(side, ev, this.now, (ms, fn) => this.later(this.now + ms, fn));
    }
    for (const step of e.takeTx()) {
      this.steps[side].push(step);
      this.play(side, step);
    }
  }

  /** Plays one step on `side`'s line after whatever is already playing. */
  private play(from: Side, step: T30TxStep): void {
    const to = other(from);
    const t0 = Math.max(this.now, this.busyUntil[from]);
    const d = this.delay;
    let dur = 0;
    const muted = this.opts.mute?.(from, t0) === true;
    const deliver = (at: number, ev: T30LineEvent): void => {
      if (!muted) this.schedule(at + d, to, ev, true);
    };
    switch (step.kind) {
      case 'tone':
        dur = step.ms;
        deliver(t0, { kind: 'tone', tone: step.tone });
        break;
      case 'silence':
        dur = step.ms;
        break;
      case 'hdlc': {
        const m = step.modulation;
        let t = t0 + preambleMs(m) + trainingMs(m, step.shortTrain === true);
        deliver(t0, { kind: 'signal', modulation: m });
        for (const frame of step.frames) {
          // address..FIF + 2 FCS octets + 1 flag, bit stuffing ignored
          t += bitsMs((frame.length + 3) * 8, m);
          const info: HdlcFrameInfo = { from, modulation: m, frame, index: this.frameIndex[from]++, at: t };
          const fate = this.opts.hdlcFrame?.(info);
          if (fate === 'drop') continue;
          if (fate === 'bad') deliver(t, { kind: 'hdlc-frame', modulation: m, frame, ok: false });
          else deliver(t, { kind: 'hdlc-frame', modulation: m, frame: fate ?? frame, ok: true });
        }
        t += bitsMs(16, m); // closing flags
        deliver(t, { kind: 'hdlc-end', modulation: m });
        deliver(t, { kind: 'no-signal' });
        dur = t - t0;
        break;
      }
      case 'tcf':
      case 'image': {
        const m = step.modulation;
        const rate = FAX_MODULATION_BIT_RATE[m];
        const data = step.kind === 'tcf' ? new Uint8Array(Math.round((rate * step.ms) / 8000)) : step.data;
        const start = t0 + trainingMs(m, step.kind === 'image' && step.shortTrain);
        deliver(t0, { kind: 'signal', modulation: m });
        const chunk = this.opts.chunkOctets ?? 1024;
        const sigIdx = this.signalIndex[from][step.kind]++;
        for (let off = 0; off < data.length; off += chunk) {
          const end = Math.min(off + chunk, data.length);
          const at = start + bitsMs(end * 8, m);
          let part: Uint8Array = data.subarray(off, end);
          const fate = this.opts.nonEcm?.({ from, kind: step.kind, data: part, offset: off, signalIndex: sigIdx, at });
          if (fate === 'drop') continue;
          if (fate !== undefined) part = fate;
          deliver(at, { kind: 'non-ecm-data', modulation: m, data: part });
        }
        const tEnd = start + bitsMs(data.length * 8, m);
        deliver(tEnd, { kind: 'non-ecm-end', modulation: m });
        deliver(tEnd, { kind: 'no-signal' });
        dur = tEnd - t0;
        break;
      }
      default: {
        const never: never = step;
        throw new Error(`unknown step ${String(never)}`);
      }
    }
    this.busyUntil[from] = t0 + dur;
    this.schedule(t0 + dur, from, { kind: 'tx-done' }, false);
  }

  /** Runs the call until both engines are finished (or `limitMs` of virtual time). */
  run(limitMs = 900_000): RunReport {
    const { a, b } = this.engines;
    b.start(0);
    this.collect('b');
    a.start(0);
    this.collect('a');
    const hang = this.opts.hangup;
    let hungUp = false;
    for (;;) {
      const alive = (s: Side): boolean => this.dead !== s && !this.engines[s].finished;
      if (!alive('a') && !alive('b')) break;
      const cands: number[] = [];
      const head = this.queue[0];
      if (head !== undefined) cands.push(head.at);
      for (const s of ['a', 'b'] as const) {
        const t = alive(s) ? this.engines[s].nextTimeout() : undefined;
        if (t !== undefined) cands.push(t);
      }
      if (hang !== undefined && !hungUp) cands.push(hang.atMs);
      const action = this.pendingActions[0];
      if (action !== undefined) cands.push(action.atMs);
      if (cands.length === 0) break;
      const next = Math.max(this.now, Math.min(...cands));
      if (next > limitMs) break;
      this.now = next;
      if (hang !== undefined && !hungUp && this.now >= hang.atMs) {
        hungUp = true;
        this.dead = hang.side;
        this.log(`${hang.side} HANGS UP`);
        this.engines[hang.side].abort(this.now, 'local');
        this.engines[hang.side].takeTx();
        this.events[hang.side].push(...this.engines[hang.side].takeEvents());
        if (hang.tellOther) {
          this.engines[other(hang.side)].abort(this.now, 'remote');
          this.collect(other(hang.side));
        }
      }
      while ((this.pendingActions[0]?.atMs ?? Infinity) <= this.now) {
        this.pendingActions.shift()?.fn(this.now);
        this.collect('a');
        this.collect('b');
      }
      while (this.queue.length > 0 && (this.queue[0]?.at ?? Infinity) <= this.now) {
        const item = this.queue.shift();
        if (item === undefined) break;
        if (this.dead === item.to) continue;
        if (item.remote && this.dead !== undefined && this.dead === other(item.to)) continue; // nothing from a dead side
        if (item.ev.kind !== 'tx-done' && this.opts.trace === true) this.log(`${item.to} <- ${describeLineEvent(item.ev)}`);
        this.engines[item.to].handle(item.ev, this.now);
        this.collect(item.to);
      }
      for (const s of ['a', 'b'] as const) {
        if (this.dead === s) continue;
        this.engines[s].tick(this.now);
        this.collect(s);
      }
    }
    return {
      a: { result: a.result, events: this.events.a, steps: this.steps.a },
      b: { result: b.result, events: this.events.b, steps: this.steps.b },
      endMs: this.now,
      framesSent: { ...this.frameIndex },
    };
  }
}

function describeLineEvent(ev: T30LineEvent): string {
  switch (ev.kind) {
    case 'hdlc-frame':
      return `hdlc-frame ${ev.modulation} ${ev.ok ? 'ok' : 'BAD'} ${Array.from(ev.frame.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(' ')}${ev.frame.length > 6 ? ' …' : ''}`;
    case 'non-ecm-data':
      return `non-ecm-data ${ev.modulation} ${ev.data.length}`;
    case 'signal':
    case 'hdlc-end':
    case 'non-ecm-end':
      return `${ev.kind} ${ev.modulation}`;
    case 'tone':
      return `tone ${ev.tone}`;
    case 'no-signal':
    case 'tx-done':
      return ev.kind;
  }
}

export function describeEvent(ev: T30Event): string {
  switch (ev.type) {
    case 'state':
      return `state ${ev.from} -> ${ev.to}`;
    case 'frame-sent':
    case 'frame-received':
      return `${ev.type} ${ev.modulation} ${ev.frame === null ? '(undecodable)' : ev.frame.type}${ev.type === 'frame-received' && !ev.ok ? ' BAD' : ''}`;
    case 'complete':
      return `complete ${ev.result.code} ${ev.result.message}`;
    case 'page-rx-end':
      return `page-rx-end ${ev.page} rows=${ev.rows} bad=${ev.badRows} accepted=${String(ev.accepted)}`;
    case 'warning':
      return `warning ${ev.message}`;
    case 'rate-fallback':
      return `rate-fallback ${ev.from} -> ${ev.to} (${ev.reason})`;
    case 'ppr':
      return `ppr ${ev.direction} block ${ev.block} #${ev.count}: ${ev.frames.join(',')}`;
    case 'tcf-checked':
      return `tcf-checked ${ev.modulation} ${ev.ok ? 'OK' : 'FAILED'} zero run ${ev.longestZeroRunMs} ms`;
    case 'ctc':
    case 'ecm-block-sent':
    case 'eor':
    case 'negotiated':
    case 'page-rx-start':
    case 'page-tx-end':
    case 'page-tx-start':
    case 'phase':
    case 'tcf-sent':
      return ev.type;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers for tests

/** Deterministic xorshift32 PRNG (uint32 draws). */
export const prng = xorshift32;

/** A test page: black rectangles and a few text-like runs, reproducible from `seed`. */
export function testPage(seed: number, opts: { width?: number; height?: number; yDpi?: number } = {}): Bitmap {
  const width = opts.width ?? 1728;
  const height = opts.height ?? 160;
  const b = createBitmap(width, height, { x: 204, y: opts.yDpi ?? 98 });
  const r = prng(seed);
  const set = (x: number, y: number): void => {
    const i = y * b.stride + (x >>> 3);
    b.data[i] = (b.data[i] ?? 0) | (0x80 >>> (x & 7));
  };
  const rects = 6 + (r() % 10);
  for (let k = 0; k < rects; k++) {
    const x0 = r() % width;
    const y0 = r() % height;
    const w = 1 + (r() % 300);
    const h = 1 + (r() % 40);
    for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) set(x, y);
  }
  // "Text": short random runs on a few lines.
  for (let y = 4; y < height; y += 12) {
    for (let x = 40; x < width - 40; x += 2 + (r() % 9)) if (r() % 3 === 0) set(x, y);
  }
  return b;
}

/** Pixel-by-pixel comparison (ignores dpi); returns the first differing row or -1. */
export function firstDifferentRow(a: Bitmap, b: Bitmap): number {
  if (a.width !== b.width) return 0;
  const rows = Math.max(a.height, b.height);
  const stride = bitmapStride(a.width);
  for (let y = 0; y < rows; y++) {
    if (y >= a.height || y >= b.height) return y;
    for (let i = 0; i < stride; i++) if (a.data[y * a.stride + i] !== b.data[y * b.stride + i]) return y;
  }
  return -1;
}

/** Codings list helper for tests. */
export const ALL_CODINGS: readonly T4Coding[] = ['mh', 'mr', 'mmr'];

/** A page of random pixels (compresses badly: many ECM frames). */
export function noisePage(seed: number, height: number, density = 4): Bitmap {
  const b = createBitmap(1728, height, { x: 204, y: 98 });
  const r = prng(seed);
  for (let i = 0; i < b.data.length; i++) {
    let v = 0xff;
    for (let k = 1; k < density; k++) v &= r() & 0xff; // fewer black pixels as density grows
    b.data[i] = v;
  }
  return b;
}

/** The frame type of raw frame octets (`PPS-NULL`, `MCF`, `FCF 0x3e`, `bad`). */
export function frameTypeOf(raw: Uint8Array): string {
  const r = decodeT30Frame(raw);
  return r.ok ? frameName(r.value) : 'bad';
}

/** Names of the V.21 frames a side sent (`frame-sent` events), in order. */
export function sentControlFrames(events: readonly T30Event[]): string[] {
  const out: string[] = [];
  for (const e of events) if (e.type === 'frame-sent' && e.modulation === 'v21') out.push(frameName(e.frame));
  return out;
}

/** Runs one call between a fresh caller and answerer. `T30_TRACE=1` prints it. */
export function fax(aOpts: T30EngineOptions, bOpts: T30EngineOptions, h: HarnessOptions = {}): { a: T30Engine; b: T30Engine; r: RunReport } {
  const a = new T30EngineClass(aOpts);
  const b = new T30EngineClass(bOpts);
  const r = new VirtualCall(a, b, { trace: process.env['T30_TRACE'] === '1', ...h }).run();
  return { a, b, r };
}

/** Events of one type, narrowed. */
export function eventsOf<K extends T30Event['type']>(events: readonly T30Event[], type: K): Extract<T30Event, { type: K }>[] {
  return events.filter((e): e is Extract<T30Event, { type: K }> => e.type === type);
}

/** The receiver's accepted pages are `pages`, pixel for pixel, without a bad row. */
export function assertPagesIdentical(receiver: T30Engine, pages: readonly Bitmap[]): void {
  const got = receiver.receivedPages.filter((p) => p.accepted);
  assert.equal(got.length, pages.length, 'number of accepted pages');
  pages.forEach((p, i) => {
    const rx = got[i];
    assert.ok(rx !== undefined);
    assert.equal(rx.bitmap.width, p.width);
    assert.equal(rx.bitmap.height, p.height, `page ${i + 1} height`);
    assert.equal(firstDifferentRow(rx.bitmap, p), -1, `page ${i + 1} differs`);
    assert.equal(rx.badRows, 0);
  });
}

/** The frame number of a fast-modem FCD frame (undefined for anything else). */
export function fcdNumber(f: HdlcFrameInfo): number | undefined {
  if (f.modulation === 'v21') return undefined;
  const d = decodeT30Frame(f.frame);
  return d.ok && d.value.type === 'FCD' ? d.value.frameNumber : undefined;
}

/** ECM at 2400 bit/s, 64-octet frames, MH: there is no lower rate, so the 4th PPR of a block leads to EOR. */
export const SLOWEST_ECM = { ecmFrameSize: 64, codings: ['mh'], modems: ['v27ter'], maxBitRate: 2400 } as const satisfies Partial<T30EngineOptions>;
