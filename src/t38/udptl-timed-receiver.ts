/**
 * A `UdptlReceiver` whose reorder wait is bounded in time as well as in datagrams, and which says
 * how many IFPs were lost before each one it delivers (T.38 §9.1 sequence numbers) — what both
 * a T.38 terminal and a T.38 gateway put between the socket and their IFP handling.
 *
 * The receiver holds IFPs behind a missing seq while at most `reorderWindow` later datagrams
 * have arrived; here the wait also ends `holdMs` after it began (the driver calls `giveUp` at
 * `deadline`, or the next datagram does it when the driver was late): held IFPs are delivered
 * and the missing seqs declared lost. Everything held arrived after the wait began, so no IFP
 * waits longer than `holdMs`. Sans-IO: time is the caller's (ms, any origin).
 *
 * Loss: before each delivered IFP, the seqs skipped since the last one (a gap nothing repaired).
 * A skip of 2000 or more is a sequence restart (the receiver already reset itself), not a loss
 * (spandsp's t38_core uses the same bound).
 */

import { invalid } from '../util/check.js';
import { UdptlReceiveBatch, UdptlReceiver, type UdptlReceiverOptions, type UdptlReceiverStats } from './udptl-receiver.js';

/** Called for each IFP in order; `lostBefore`: IFPs lost between the previous one and this. */
export type UdptlDeliver = (ifp: Uint8Array, seq: number, lostBefore: number) => void;

/**
 * The allocation-free delivery (`receiveInto` / `giveUpInto`): each IFP in order as the view
 * `buf[start, end)`, valid during the call only (it points into the receiver's ring or into the
 * datagram being received, which must not change during the call); a sink
 * object made once, so that nothing is allocated per datagram.
 */
export interface UdptlIfpSink {
  ifp(buf: Uint8Array, start: number, end: number, seq: number, lostBefore: number): void;
}

export interface UdptlTimedReceiverOptions extends UdptlReceiverOptions {
  /** Longest wait for a missing seq, ms (finite, ≥ 0). */
  readonly holdMs: number;
}

/** A larger seq jump is a restart, not a loss. */
const RESTART_GAP = 2000;

export class UdptlTimedReceiver {
  readonly holdMs: number;
  private readonly rx: UdptlReceiver;
  /** When the current wait began (undefined: not waiting). */
  private holdSince: number | undefined;
  private lastSeq: number | undefined;
  private readonly batch = new UdptlReceiveBatch();

  constructor(o: UdptlTimedReceiverOptions) {
    if (!Number.isFinite(o.holdMs) || o.holdMs < 0) invalid(`reorderHoldMs = ${o.holdMs}, must be a finite number ≥ 0`);
    this.holdMs = o.holdMs;
    this.rx = new UdptlReceiver(o);
  }

  /** One datagram; its IFPs (and any restored ones) are delivered in order, each a private copy. */
  receive(datagram: Uint8Array, now: number, deliver: UdptlDeliver): void {
    // A wait that should have ended before this datagram (a late driver) ends first.
    if (this.expired(now)) this.giveUp(deliver);
    this.rx.receiveInto(datagram, this.batch);
    this.copyOut(deliver);
    this.afterReceive(now);
  }

  /** `receive` without allocating: IFPs go to `sink` as views valid during the call. */
  receiveInto(datagram: Uint8Array, now: number, sink: UdptlIfpSink): void {
    if (this.expired(now)) this.giveUpInto(sink);
    this.rx.receiveInto(datagram, this.batch);
    this.viewOut(sink);
    this.afterReceive(now);
  }

  private afterReceive(now: number): void {
    if (!this.rx.holding) this.holdSince = undefined;
    else this.holdSince ??= now;
  }

  /** When the current wait ends (ms), or undefined when nothing is held. */
  get deadline(): number | undefined {
    return this.holdSince === undefined ? undefined : this.holdSince + this.holdMs;
  }

  expired(now: number): boolean {
    const d = this.deadline;
    return d !== undefined && now >= d;
  }

  /** Ends the wait: what is held is delivered (private copies), the missing seqs are lost. */
  giveUp(deliver: UdptlDeliver): void {
    this.holdSince = undefined;
    this.rx.flushInto(this.batch);
    this.copyOut(deliver);
  }

  /** `giveUp` without allocating (views, see UdptlIfpSink). */
  giveUpInto(sink: UdptlIfpSink): void {
    this.holdSince = undefined;
    this.rx.flushInto(this.batch);
    this.viewOut(sink);
  }

  getStats(): UdptlReceiverStats {
    return this.rx.getStats();
  }

  private copyOut(cb: UdptlDeliver): void {
    const b = this.batch;
    // Copied out before any callback: a callback may feed another datagram (the batch is reused).
    const got: { ifp: Uint8Array; seq: number }[] = [];
    for (let k = 0; k < b.count; k++) got.push({ ifp: (b.buf[k] ?? EMPTY).slice(b.start[k], b.end[k]), seq: b.seq[k] ?? 0 });
    for (const g of got) cb(g.ifp, g.seq, this.lostBefore(g.seq));
  }

  /** The sink must not feed this receiver again from inside (the views would change under it). */
  private viewOut(sink: UdptlIfpSink): void {
    const b = this.batch;
    const n = b.count;
    for (let k = 0; k < n; k++) {
      const seq = b.seq[k] ?? 0;
      sink.ifp(b.buf[k] ?? EMPTY, b.start[k] ?? 0, b.end[k] ?? 0, seq, this.lostBefore(seq));
    }
  }

  /** IFPs skipped since the last one delivered (a restart is not a loss). */
  private lostBefore(seq: number): number {
    let lost = 0;
    if (this.lastSeq !== undefined) {
      const gap = (seq - this.lastSeq - 1) & 0xffff;
      if (gap > 0 && gap < RESTART_GAP) lost = gap;
    }
    this.lastSeq = seq;
    return lost;
  }
}

const EMPTY = new Uint8Array(0);
