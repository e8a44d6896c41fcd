/**
 * A packet network for in-process tests, in virtual time: what happens to datagrams between two
 * endpoints — independent (Bernoulli) loss, burst loss (Gilbert–Elliott), duplication, and a
 * fixed or jittered one-way delay that reorders datagrams when the jitter exceeds their spacing.
 *
 * All randomness comes from one injected `Random32` (src/util/random.ts), so a seed gives one
 * run, the same on every machine. The draws are part of the contract — tests assert figures
 * that depend on them:
 * - a Bernoulli decision (independent loss, duplication) draws one number, whatever its rate;
 * - a Gilbert–Elliott datagram draws one number for the state change, and one more for the
 *   loss only when the state's loss rate is neither 0 nor 1 (the classic Gilbert model, loss
 *   certain while bad and impossible while good, draws one);
 * - a jittered delay draws one number per copy; a fixed delay draws none.
 *
 * Two ways to use it:
 * - `lossMask(process, n)`: which of n datagrams a loss process drops (codec tests that feed a
 *   receiver an ordered list, like test/unit/t38/udptl-sim.test.ts);
 * - `VirtualNet`: a two-ended network with datagrams in flight, `send` / `next` / `due`, driven by
 *   a test's virtual clock (whole calls, like test/unit/fax/t38-terminal.test.ts).
 */

import { intBetween, unitInterval, type Random32 } from '../../src/util/random.js';

// ------------------------------------------------------------------------------------------
// loss processes: one decision per datagram, in order

export interface LossProcess {
  /** Whether the next datagram is lost. */
  lost(): boolean;
}

/** Each datagram lost with probability `p`, independently. */
export class BernoulliLoss implements LossProcess {
  constructor(
    private readonly p: number,
    private readonly random: Random32,
  ) {}

  lost(): boolean {
    return unitInterval(this.random) < this.p;
  }
}

export interface GilbertElliott {
  /** P(good → bad) per datagram. */
  readonly enter: number;
  /** P(bad → good) per datagram. The mean burst is 1 / leave datagrams. */
  readonly leave: number;
  /** Loss probability while bad. Default 1. */
  readonly lossBad?: number;
  /** Loss probability while good. Default 0. */
  readonly lossGood?: number;
}

/** Gilbert–Elliott two-state burst loss: the state changes first, then the state decides. */
export class GilbertElliottLoss implements LossProcess {
  private bad = false;

  constructor(
    private readonly model: GilbertElliott,
    private readonly random: Random32,
  ) {}

  lost(): boolean {
    const r = unitInterval(this.random);
    this.bad = this.bad ? r >= this.model.leave : r < this.model.enter;
    const p = this.bad ? (this.model.lossBad ?? 1) : (this.model.lossGood ?? 0);
    if (p <= 0) return false;
    if (p >= 1) return true;
    return unitInterval(this.random) < p;
  }
}

/** A burst of 1..maxBurst losses starts with probability `p`; after each, one datagram arrives. */
export class BurstLoss implements LossProcess {
  private left = 0;
  private gapDue = false;

  constructor(
    private readonly p: number,
    private readonly maxBurst: number,
    private readonly random: Random32,
  ) {}

  lost(): boolean {
    if (this.left > 0) {
      this.left--;
      return true;
    }
    if (this.gapDue) {
      this.gapDue = false;
      return false;
    }
    if (unitInterval(this.random) >= this.p) return false;
    this.left = intBetween(this.random, 1, this.maxBurst) - 1;
    this.gapDue = true;
    return true;
  }
}

/**
 * Bursts of exactly `length` losses: one starts with probability `p` (one draw per datagram
 * outside a burst and its gap); after each, at least `gap` datagrams arrive (default 1). Parity
 * FEC with `entries` ≥ `length` restores every such burst once past its wind-up.
 */
export class FixedBurstLoss implements LossProcess {
  private left = 0;
  private gapLeft = 0;

  constructor(
    private readonly p: number,
    private readonly length: number,
    private readonly random: Random32,
    private readonly gap = 1,
  ) {}

  lost(): boolean {
    if (this.left > 0) {
      this.left--;
      if (this.left === 0) this.gapLeft = this.gap;
      return true;
    }
    if (this.gapLeft > 0) {
      this.gapLeft--;
      return false;
    }
    if (unitInterval(this.random) >= this.p) return false;
    this.left = this.length - 1;
    if (this.left === 0) this.gapLeft = this.gap;
    return true;
  }
}

/** Loss patterns by name, each at a rate `p`. */
export type LossPattern = 'random' | 'gilbert' | 'bursts';

/**
 * 'random': Bernoulli(p). 'gilbert': Gilbert–Elliott entering the bad state at p/2, leaving at
 * 0.35 (bursts of about 3), 90 % lost while bad. 'bursts': bursts of 1..maxBurst starting at p,
 * each followed by a delivered datagram (a repair scheme of depth maxBurst restores them all).
 */
export function patternLoss(pattern: LossPattern, p: number, random: Random32, maxBurst = 1): LossProcess {
  switch (pattern) {
    case 'random':
      return new BernoulliLoss(p, random);
    case 'gilbert':
      return new GilbertElliottLoss({ enter: p / 2, leave: 0.35, lossBad: 0.9 }, random);
    case 'bursts':
      return new BurstLoss(p, maxBurst, random);
  }
}

/** lost[i] for i in 0..n−1: datagrams before `from`, and the last, always arrive. */
export function lossMask(process: LossProcess, n: number, from = 0): boolean[] {
  const lost = new Array<boolean>(n).fill(false);
  for (let i = from; i < n - 1; i++) lost[i] = process.lost();
  return lost;
}

// ------------------------------------------------------------------------------------------
// a two-ended network in virtual time

export interface Impairments {
  /** Independent loss probability per datagram. */
  readonly loss?: number;
  /** Gilbert–Elliott burst loss (each direction its own state), before the independent loss. */
  readonly burst?: GilbertElliott;
  /** Any other loss process (one per direction, made from the network's random source), after the independent loss. */
  readonly lossProcess?: (random: Random32) => LossProcess;
  /** Datagrams each direction delivers before `burst`, `loss` and `lossProcess` start (e.g. a FEC's wind-up). Default 0. */
  readonly lossFrom?: number;
  /** Probability that a datagram arrives twice. */
  readonly duplicate?: number;
  /** One-way delay, ms: fixed, or uniform in [min, max] per copy — reorders when max − min exceeds the spacing. Default 20. */
  readonly delay?: number | { readonly min: number; readonly max: number };
}

/** One direction: the fate of each datagram sent, as the arrival times of its copies. */
export class Link {
  private readonly burst: GilbertElliottLoss | undefined;
  private readonly loss: BernoulliLoss;
  private readonly other: LossProcess | undefined;
  private readonly duplicate: BernoulliLoss;
  private sent = 0;

  constructor(
    private readonly imp: Impairments,
    private readonly random: Random32,
  ) {
    this.burst = imp.burst ? new GilbertElliottLoss(imp.burst, random) : undefined;
    this.loss = new BernoulliLoss(imp.loss ?? 0, random);
    this.other = imp.lossProcess?.(random);
    this.duplicate = new BernoulliLoss(imp.duplicate ?? 0, random);
  }

  /** Arrival times of a datagram sent at `now`: none (lost), one, or two (duplicated). */
  transmit(now: number): number[] {
    // Before lossFrom nothing is drawn for loss, so the draws of a run without it are unchanged.
    if (this.sent++ >= (this.imp.lossFrom ?? 0) && (this.burst?.lost() === true || this.loss.lost() || this.other?.lost() === true)) return [];
    const copies = this.duplicate.lost() ? 2 : 1;
    const at: number[] = [];
    for (let i = 0; i < copies; i++) at.push(now + this.delay());
    return at;
  }

  private delay(): number {
    const d = this.imp.delay ?? 20;
    return typeof d === 'number' ? d : d.min + unitInterval(this.random) * (d.max - d.min);
  }
}

/** A datagram on its way to endpoint `to`, arriving `at`. */
export interface InFlight {
  readonly at: number;
  readonly order: number;
  readonly to: 0 | 1;
  readonly bytes: Uint8Array;
}

/** Two endpoints (0 and 1), the same impairments both ways, one random source for the whole network. */
export class VirtualNet {
  private readonly q: InFlight[] = [];
  private order = 0;
  private readonly links: readonly [Link, Link];
  readonly counters = { sent: 0, lost: 0, duplicated: 0, delivered: 0 };

  constructor(imp: Impairments, random: Random32) {
    this.links = [new Link(imp, random), new Link(imp, random)];
  }

  send(to: 0 | 1, bytes: Uint8Array, now: number): void {
    this.counters.sent++;
    const arrivals = this.links[to].transmit(now);
    if (arrivals.length === 0) this.counters.lost++;
    if (arrivals.length > 1) this.counters.duplicated++;
    for (const at of arrivals) this.q.push({ at, order: this.order++, to, bytes });
  }

  /** When the next datagram arrives, if any is in flight. */
  next(): number | undefined {
    let t: number | undefined;
    for (const p of this.q) if (t === undefined || p.at < t) t = p.at;
    return t;
  }

  /** Datagrams due by `now`, in arrival order (ties in sending order). */
  due(now: number): InFlight[] {
    const out = this.q.filter((p) => p.at <= now).sort((a, b) => a.at - b.at || a.order - b.order);
    for (const p of out) this.q.splice(this.q.indexOf(p), 1);
    this.counters.delivered += out.length;
    return out;
  }
}
