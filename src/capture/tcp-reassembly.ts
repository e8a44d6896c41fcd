/**
 * TCP stream reassembly for capture analysis: turns the TCP segments of a capture into one
 * ordered byte stream per direction of each connection, so a stream parser (TPKT, RFC 1006 §6,
 * for T.38 over TCP) can run on it.
 *
 * Sequence space (RFC 9293 §3.4): numbers are 32-bit and compared modulo 2^32; a SYN occupies
 * one number before the first data octet (so the stream starts at ISN + 1), a FIN one number
 * after the last. A direction first seen without its SYN starts mid-stream at the first segment's
 * sequence number. Each arriving segment is trimmed to what is new, as a receiver trims to its
 * window (RFC 9293 §3.10.7.4): bytes already delivered are retransmissions or overlaps and are
 * dropped; bytes beyond a hole wait in a bounded out-of-order buffer. When that buffer
 * overflows, or at `flush()` (end of capture) or on RST, the hole is declared a gap — reported
 * with its length — and delivery carries on after it. The reassembler is sans-IO and
 * synchronous: segments in, events out.
 *
 * Memory: delivered bytes are views of the segments' payloads (no copies); buffering is bounded
 * per direction in bytes and segments; the number of directions tracked is bounded (closed ones
 * are evicted first).
 */

import type { CapturedSegment } from './packet.js';

export interface TcpReassemblerOptions {
  /** Directions tracked at once (default 4096). Closed directions are evicted first. */
  readonly maxStreams?: number;
  /** Out-of-order bytes buffered per direction before a gap is declared (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** Out-of-order segments buffered per direction before a gap is declared (default 1024). */
  readonly maxBufferedSegments?: number;
  /** Keep chunks and gaps on the `TcpStream` objects (default true); false = events only. */
  readonly collect?: boolean;
}

/** A contiguous piece of one direction's byte stream. */
export interface TcpChunk {
  /** Frame of the segment that carried these bytes (or completed them, after reordering). */
  readonly frame: number;
  readonly timeNs: bigint;
  /** Stream offset of `bytes[0]` (0 = first octet after the SYN, or the first octet seen). */
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Octets missing immediately before this chunk (0 when it follows on seamlessly). */
  readonly gapBefore: number;
}

export interface TcpGap {
  /** Frame whose delivery forced the gap to be declared. */
  readonly frame: number;
  readonly timeNs: bigint;
  /** Stream offset where the missing octets start. */
  readonly offset: number;
  readonly length: number;
}

export interface TcpStream {
  /** 1, 2, 3… in order of first appearance. */
  readonly id: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** Same string for both directions of a connection. */
  readonly connection: string;
  /** The SYN's sequence number, or null when the capture starts mid-stream. */
  isn: number | null;
  readonly firstFrame: number;
  readonly chunks: TcpChunk[];
  readonly gaps: TcpGap[];
  /** Payload octets delivered (sum of chunk lengths). */
  delivered: number;
  /** How the direction ended: its FIN was reached in sequence, or it sent a RST. */
  end: 'fin' | 'rst' | null;
  endFrame: number | null;
}

export type TcpStreamEvent =
  | { readonly kind: 'open'; readonly stream: TcpStream; readonly frame: number; readonly timeNs: bigint }
  | {
      readonly kind: 'data';
      readonly streamId: number;
      readonly frame: number;
      readonly timeNs: bigint;
      readonly offset: number;
      readonly bytes: Uint8Array;
    }
  | {
      readonly kind: 'gap';
      readonly streamId: number;
      readonly frame: number;
      readonly timeNs: bigint;
      readonly offset: number;
      readonly length: number;
    }
  | { readonly kind: 'fin' | 'rst'; readonly streamId: number; readonly frame: number; readonly timeNs: bigint; readonly offset: number };

export interface TcpReassemblerStats {
  segments: number;
  /** Segments given that were not TCP. */
  ignored: number;
  streams: number;
  /** Segments dropped because `maxStreams` directions were open. */
  streamsDropped: number;
  evictedStreams: number;
  /** Segments whose payload had been delivered already. */
  retransmissions: number;
  /** Segments partly old, partly new (trimmed). */
  overlaps: number;
  /** Segments buffered because they arrived ahead of a hole. */
  outOfOrder: number;
  gaps: number;
  gapBytes: number;
  /** Gaps declared because the out-of-order buffer was full. */
  forcedGaps: number;
  /** Segments for a direction that had already ended (FIN reached or RST). */
  afterClose: number;
  bytesDelivered: number;
}

interface Buffered {
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly frame: number;
  readonly timeNs: bigint;
}

interface Direction {
  readonly stream: TcpStream;
  /** Sequence number expected next (of the octet at `offset`). */
  nextSeq: number;
  /** Stream offset reached: octets delivered plus octets declared missing. */
  offset: number;
  /** Missing octets not yet attached to a chunk's `gapBefore`. */
  pendingGap: number;
  readonly ooo: Buffered[];
  oooBytes: number;
  /** Stream offset of the FIN, once seen. */
  finOffset: number | null;
  closed: boolean;
}

const endpoint = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

export class TcpReassembler {
  private readonly dirs = new Map<string, Direction>();
  private readonly all: TcpStream[] = [];
  private readonly maxStreams: number;
  private readonly maxBytes: number;
  private readonly maxSegments: number;
  private readonly collect: boolean;
  private readonly stats: TcpReassemblerStats = {
    segments: 0,
    ignored: 0,
    streams: 0,
    streamsDropped: 0,
    evictedStreams: 0,
    retransmissions: 0,
    overlaps: 0,
    outOfOrder: 0,
    gaps: 0,
    gapBytes: 0,
    forcedGaps: 0,
    afterClose: 0,
    bytesDelivered: 0,
  };

  constructor(opts: TcpReassemblerOptions = {}) {
    this.maxStreams = Math.max(1, opts.maxStreams ?? 4096);
    this.maxBytes = Math.max(0, opts.maxBufferedBytes ?? 1024 * 1024);
    this.maxSegments = Math.max(0, opts.maxBufferedSegments ?? 1024);
    this.collect = opts.collect ?? true;
  }

  /** Feed one captured segment (in capture order); returns what it made deliverable. */
  push(seg: CapturedSegment): TcpStreamEvent[] {
    this.stats.segments++;
    const t = seg.tcp;
    if (seg.proto !== 'tcp' || t === undefined) {
      this.stats.ignored++;
      return [];
    }
    const events: TcpStreamEvent[] = [];
    const key = `${endpoint(seg.src, seg.srcPort)}>${endpoint(seg.dst, seg.dstPort)}`;
    let d = this.dirs.get(key);
    if (d !== undefined && t.flags.syn && d.stream.isn !== t.seq) {
      if (d.stream.isn === null && d.offset === 0 && d.ooo.length === 0 && !d.closed) {
        // Only empty segments seen so far: this SYN is the real start of the stream.
        d.stream.isn = t.seq;
        d.nextSeq = (t.seq + 1) >>> 0;
        d.finOffset = null;
      } else {
        // A SYN with a new ISN on a known 4-tuple: a new connection reusing the ports.
        this.closeOut(d, seg.frame, seg.timeNs, events);
        this.dirs.delete(key);
        d = undefined;
      }
    }
    if (d === undefined) {
      const created = this.open(key, seg, t.seq, t.flags.syn, events);
      if (created === undefined) return events;
      d = created;
    }
    if (d.closed) {
      this.stats.afterClose++;
      return events;
    }

    const dataSeq = t.flags.syn ? (t.seq + 1) >>> 0 : t.seq;
    const delta = (dataSeq - d.nextSeq) | 0; // signed distance modulo 2^32
    const len = seg.payload.length;
    if (len > 0) {
      if (delta + len <= 0) {
        this.stats.retransmissions++;
      } else if (delta <= 0) {
        if (delta < 0) this.stats.overlaps++;
        this.deliver(d, seg.payload.subarray(-delta), seg.frame, seg.timeNs, events);
        this.drain(d, events);
      } else {
        this.buffer(d, { offset: d.offset + delta, bytes: seg.payload, frame: seg.frame, timeNs: seg.timeNs }, events);
      }
    }
    if (t.flags.fin && d.finOffset === null && delta + len >= 0) d.finOffset = d.offset + delta + len;
    if (t.flags.rst) {
      this.flushDirection(d, events);
      this.end(d, 'rst', seg.frame, seg.timeNs, events);
      return events;
    }
    this.checkFin(d, seg.frame, seg.timeNs, events);
    return events;
  }

  /**
   * End of capture: every hole still waiting is declared a gap and the data behind it
   * delivered; a FIN then reachable ends its direction. Safe to call more than once.
   */
  flush(): TcpStreamEvent[] {
    const events: TcpStreamEvent[] = [];
    for (const d of this.dirs.values()) {
      if (d.closed) continue;
      this.flushDirection(d, events);
      const last = d.stream.chunks[d.stream.chunks.length - 1];
      this.checkFin(d, last?.frame ?? d.stream.firstFrame, last?.timeNs ?? 0n, events);
    }
    return events;
  }

  /** Every direction seen, in order of appearance (chunks/gaps filled when `collect`). */
  getStreams(): readonly TcpStream[] {
    return this.all;
  }

  getStats(): TcpReassemblerStats {
    return { ...this.stats };
  }

  // -------------------------------------------------------------------------------------------

  private open(key: string, seg: CapturedSegment, seq: number, syn: boolean, events: TcpStreamEvent[]): Direction | undefined {
    if (this.dirs.size >= this.maxStreams && !this.evictClosed()) {
      this.stats.streamsDropped++;
      return undefined;
    }
    const a = endpoint(seg.src, seg.srcPort);
    const b = endpoint(seg.dst, seg.dstPort);
    const stream: TcpStream = {
      id: this.all.length + 1,
      src: seg.src,
      srcPort: seg.srcPort,
      dst: seg.dst,
      dstPort: seg.dstPort,
      connection: a < b ? `${a}<->${b}` : `${b}<->${a}`,
      isn: syn ? seq : null,
      firstFrame: seg.frame,
      chunks: [],
      gaps: [],
      delivered: 0,
      end: null,
      endFrame: null,
    };
    const d: Direction = {
      stream,
      nextSeq: syn ? (seq + 1) >>> 0 : seq,
      offset: 0,
      pendingGap: 0,
      ooo: [],
      oooBytes: 0,
      finOffset: null,
      closed: false,
    };
    this.all.push(stream);
    this.dirs.set(key, d);
    this.stats.streams++;
    events.push({ kind: 'open', stream, frame: seg.frame, timeNs: seg.timeNs });
    return d;
  }

  private evictClosed(): boolean {
    for (const [k, d] of this.dirs) {
      if (d.closed) {
        this.dirs.delete(k);
        this.stats.evictedStreams++;
        return true;
      }
    }
    return false;
  }

  /**
   * The earliest frame among the segments held out of order (their bytes will be delivered with
   * that frame), undefined when none is held: what a consumer ordering by frame must wait for.
   */
  oldestHeldFrame(): number | undefined {
    let f: number | undefined;
    for (const d of this.dirs.values()) for (const b of d.ooo) if (f === undefined || b.frame < f) f = b.frame;
    return f;
  }

  private deliver(d: Direction, bytes: Uint8Array, frame: number, timeNs: bigint, events: TcpStreamEvent[]): void {
    if (bytes.length === 0) return;
    const s = d.stream;
    events.push({ kind: 'data', streamId: s.id, frame, timeNs, offset: d.offset, bytes });
    if (this.collect) s.chunks.push({ frame, timeNs, offset: d.offset, bytes, gapBefore: d.pendingGap });
    d.pendingGap = 0;
    d.offset += bytes.length;
    d.nextSeq = (d.nextSeq + bytes.length) >>> 0;
    s.delivered += bytes.length;
    this.stats.bytesDelivered += bytes.length;
  }

  /** Deliver buffered segments that the stream has now reached. */
  private drain(d: Direction, events: TcpStreamEvent[]): void {
    while (d.ooo.length > 0) {
      const b = d.ooo[0];
      if (b === undefined || b.offset > d.offset) return;
      d.ooo.shift();
      d.oooBytes -= b.bytes.length;
      const end = b.offset + b.bytes.length;
      if (end <= d.offset) {
        this.stats.retransmissions++;
        continue;
      }
      this.deliver(d, b.bytes.subarray(d.offset - b.offset), b.frame, b.timeNs, events);
    }
  }

  private buffer(d: Direction, b: Buffered, events: TcpStreamEvent[]): void {
    // Sorted by offset; an exact duplicate (same start, no longer) is a retransmission.
    let i = d.ooo.length;
    while (i > 0 && (d.ooo[i - 1]?.offset ?? 0) > b.offset) i--;
    const prev = d.ooo[i - 1];
    if (prev !== undefined && prev.offset === b.offset && prev.bytes.length >= b.bytes.length) {
      this.stats.retransmissions++;
      return;
    }
    d.ooo.splice(i, 0, b);
    d.oooBytes += b.bytes.length;
    this.stats.outOfOrder++;
    while (d.ooo.length > 0 && (d.ooo.length > this.maxSegments || d.oooBytes > this.maxBytes)) {
      this.stats.forcedGaps++;
      this.skipToFirstBuffered(d, events);
    }
  }

  /** Declare the hole before the first buffered segment a gap, then deliver what follows it. */
  private skipToFirstBuffered(d: Direction, events: TcpStreamEvent[]): void {
    const first = d.ooo[0];
    if (first === undefined) return;
    const length = first.offset - d.offset;
    if (length > 0) {
      const s = d.stream;
      events.push({ kind: 'gap', streamId: s.id, frame: first.frame, timeNs: first.timeNs, offset: d.offset, length });
      if (this.collect) s.gaps.push({ frame: first.frame, timeNs: first.timeNs, offset: d.offset, length });
      d.pendingGap += length;
      d.offset += length;
      d.nextSeq = (d.nextSeq + length) >>> 0;
      this.stats.gaps++;
      this.stats.gapBytes += length;
    }
    this.drain(d, events);
  }

  private flushDirection(d: Direction, events: TcpStreamEvent[]): void {
    while (d.ooo.length > 0) this.skipToFirstBuffered(d, events);
  }

  private checkFin(d: Direction, frame: number, timeNs: bigint, events: TcpStreamEvent[]): void {
    if (d.finOffset !== null && d.offset >= d.finOffset) this.end(d, 'fin', frame, timeNs, events);
  }

  private end(d: Direction, how: 'fin' | 'rst', frame: number, timeNs: bigint, events: TcpStreamEvent[]): void {
    if (d.closed) return;
    d.closed = true;
    d.ooo.length = 0;
    d.oooBytes = 0;
    d.stream.end = how;
    d.stream.endFrame = frame;
    events.push({ kind: how, streamId: d.stream.id, frame, timeNs, offset: d.offset });
  }

  /** A direction replaced by a new connection on the same 4-tuple: deliver what it holds. */
  private closeOut(d: Direction, frame: number, timeNs: bigint, events: TcpStreamEvent[]): void {
    if (d.closed) return;
    this.flushDirection(d, events);
    this.checkFin(d, frame, timeNs, events);
  }
}

/** Reassemble every TCP direction in `segments` (non-TCP entries are ignored). */
export function reassembleTcp(segments: Iterable<CapturedSegment>, opts: TcpReassemblerOptions = {}): readonly TcpStream[] {
  const r = new TcpReassembler({ ...opts, collect: true });
  for (const s of segments) r.push(s);
  r.flush();
  return r.getStreams();
}
