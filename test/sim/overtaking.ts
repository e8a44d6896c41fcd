/**
 * A network that reorders on purpose, in virtual time: chosen UDPTL datagrams arrive only after a
 * given number of later ones have overtaken them (or after a time bound), with no randomness, so
 * a test can put a reordering exactly inside or beyond a receiver's reorder window. UDPTL
 * datagrams start with their 16-bit sequence number (T.38 §9.1); copies with the same seq
 * (spandsp-style repeats) wait with the one held back.
 */

import type { PacketNetwork } from './network-api.js';

/**
 * How the network reorders: every `every`-th new seq (among datagrams of at least `minBytes`
 * octets) waits until `overtakers` later seqs have passed it, or `maxExtraMs` at most.
 */
export interface Reordering {
  readonly every: number;
  readonly overtakers: number;
  readonly maxExtraMs: number;
  /** 40 picks image data (54-octet chunks at 14 400 bit/s), sparing the 1-octet V.21 IFPs. */
  readonly minBytes?: number;
}

/** One-way delay of every datagram, ms. */
const DELAY_MS = 20;

interface Held {
  readonly seq: number;
  readonly copies: Uint8Array[];
  readonly dueAt: number;
  readonly passed: Set<number>;
}

/** One direction of the network. UDPTL datagrams start with their 16-bit seq (T.38 §9.1). */
class OvertakingPath {
  readonly arrivals: { at: number; bytes: Uint8Array }[] = [];
  private held: Held | undefined;
  private lastSeq = -1;
  private newSeqs = 0;
  heldCount = 0;

  constructor(private readonly r: Reordering) {}

  send(bytes: Uint8Array, now: number): void {
    const seq = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    const at = now + DELAY_MS;
    const h = this.held;
    if (h && seq === h.seq) {
      h.copies.push(bytes); // spandsp-style repeats of the held seq wait with it
      return;
    }
    if (seq !== this.lastSeq && bytes.length >= (this.r.minBytes ?? 0)) this.newSeqs++;
    const fresh = seq !== this.lastSeq;
    this.lastSeq = seq;
    if (h) {
      this.arrivals.push({ at, bytes });
      h.passed.add(seq);
      if (h.passed.size >= this.r.overtakers) this.release(at);
      return;
    }
    if (fresh && bytes.length >= (this.r.minBytes ?? 0) && this.newSeqs % this.r.every === 0) {
      this.held = { seq, copies: [bytes], dueAt: at, passed: new Set() };
      this.heldCount++;
      return;
    }
    this.arrivals.push({ at, bytes });
  }

  next(): number | undefined {
    let t = this.held ? this.held.dueAt + this.r.maxExtraMs : undefined;
    for (const a of this.arrivals) if (t === undefined || a.at < t) t = a.at;
    return t;
  }

  due(now: number): Uint8Array[] {
    if (this.held && this.held.dueAt + this.r.maxExtraMs <= now) this.release(this.held.dueAt + this.r.maxExtraMs);
    const out = this.arrivals.filter((a) => a.at <= now);
    for (const a of out) this.arrivals.splice(this.arrivals.indexOf(a), 1);
    return out.map((a) => a.bytes);
  }

  /** The held datagrams arrive just after the one that overtook them last. */
  private release(at: number): void {
    for (const c of this.held?.copies ?? []) this.arrivals.push({ at: at + 0.5, bytes: c });
    this.held = undefined;
  }
}

/** Both directions, each reordering the same way (`paths[i]` carries datagrams towards endpoint i). */
export class OvertakingNet implements PacketNetwork {
  private readonly paths: readonly [OvertakingPath, OvertakingPath];

  constructor(r: Reordering) {
    this.paths = [new OvertakingPath(r), new OvertakingPath(r)];
  }

  /** Datagrams held back so far, both ways. */
  get held(): number {
    return this.paths[0].heldCount + this.paths[1].heldCount;
  }

  send(to: 0 | 1, bytes: Uint8Array, now: number): void {
    this.paths[to].send(bytes, now);
  }

  next(): number | undefined {
    const t = this.paths.map((p) => p.next()).filter((x): x is number => x !== undefined);
    return t.length === 0 ? undefined : Math.min(...t);
  }

  due(now: number): { to: 0 | 1; bytes: Uint8Array }[] {
    return [
      ...this.paths[0].due(now).map((bytes) => ({ to: 0 as const, bytes })),
      ...this.paths[1].due(now).map((bytes) => ({ to: 1 as const, bytes })),
    ];
  }
}
