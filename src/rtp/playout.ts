/**
 * A play-out buffer for fixed-size audio frames (one 20 ms frame per datagram, G.711 or linear),
 * fax-aware: its job is to keep a modem's signal continuous, not to keep latency low.
 *
 * - A small fixed cushion (`cushion` frames, default 2) absorbs jitter: playing starts (and
 *   restarts after an underrun) once that many frames are queued.
 * - With RTP sequence numbers (RFC 3550 §5.1), frames are placed by sequence, so reordering is
 *   undone; a missing frame is declared lost only when more than `cushion` later frames have
 *   arrived — then `pop` says 'lost' and the modem receivers ride through it (`fillIn`).
 *   Late frames (behind the play-out point) and duplicates are counted and dropped.
 * - Underrun: when nothing is there to play, `pop` says 'empty' and the caller plays NOTHING
 *   (the receive side simply waits; no silence is inserted). Inserting silence inside a modem
 *   burst drops the carrier and silently truncates a non-ECM page — the failure the spandsp
 *   reference peer shows under load. Waiting costs a little delay, never data.
 * - Drift: if the far end's clock runs fast, frames pile up; `catchUp` says when the caller
 *   should play an extra frame in this tick (depth above `cushion + slack`).
 *
 * Sans-IO and allocation-free after construction: frames are copied into a ring.
 */

import { invalid } from '../util/check.js';
import { seqDiff } from '../util/seq.js';

export interface AudioPlayoutOptions {
  /** Octets per frame (160 for 20 ms of G.711, 320 for 20 ms of 16-bit linear). */
  readonly frameBytes: number;
  /** Frames queued before playing starts / restarts (default 2). */
  readonly cushion?: number;
  /** Ring size in frames, a power of two (default 64 = 1.28 s at 20 ms). */
  readonly capacity?: number;
  /** Frames carry RTP sequence numbers (default false: arrival order). */
  readonly sequenced?: boolean;
  /** Extra depth above the cushion tolerated before catching up (default 2). */
  readonly slack?: number;
}

export interface AudioPlayoutStats {
  framesIn: number;
  framesPlayed: number;
  framesLost: number;
  late: number;
  duplicates: number;
  overflows: number;
  badSize: number;
  underruns: number;
  catchUps: number;
}

export type PlayoutPush = 'queued' | 'late' | 'duplicate' | 'overflow' | 'bad-size';
export type PlayoutPop = 'frame' | 'lost' | 'empty';

export class AudioPlayout {
  readonly frameBytes: number;
  private readonly cushion: number;
  private readonly capacity: number;
  private readonly sequenced: boolean;
  private readonly slack: number;
  private readonly ring: Uint8Array;
  private readonly present: Uint8Array;
  /** FIFO (unsequenced): index of the oldest frame and the count. Sequenced: next seq to play. */
  private head = 0;
  private count = 0;
  private nextSeq = 0;
  /** Sequenced: highest seq received + 1 (frames from nextSeq up to it are "queued" slots). */
  private endSeq = 0;
  private started = false;
  private playing = false;
  private readonly stats: AudioPlayoutStats = {
    framesIn: 0,
    framesPlayed: 0,
    framesLost: 0,
    late: 0,
    duplicates: 0,
    overflows: 0,
    badSize: 0,
    underruns: 0,
    catchUps: 0,
  };

  constructor(o: AudioPlayoutOptions) {
    this.frameBytes = o.frameBytes;
    this.cushion = o.cushion ?? 2;
    this.capacity = o.capacity ?? 64;
    this.sequenced = o.sequenced ?? false;
    this.slack = o.slack ?? 2;
    if (!Number.isInteger(this.frameBytes) || this.frameBytes < 1) invalid(`frameBytes = ${this.frameBytes}`);
    if (!Number.isInteger(this.cushion) || this.cushion < 0 || this.cushion >= this.capacity) invalid(`cushion = ${this.cushion}`);
    // A power of two, so `seq % capacity` stays continuous across the 16-bit sequence wrap.
    if (!Number.isInteger(this.capacity) || this.capacity < 2 || this.capacity > 4096 || (this.capacity & (this.capacity - 1)) !== 0) invalid(`capacity = ${this.capacity}, must be a power of two 2..4096`);
    this.ring = new Uint8Array(this.capacity * this.frameBytes);
    this.present = new Uint8Array(this.capacity);
  }

  /** Frames waiting (sequenced: the span from the play-out point to the newest frame, holes included). */
  get depth(): number {
    return this.sequenced ? (this.started ? seqDiff(this.endSeq, this.nextSeq) : 0) : this.count;
  }

  getStats(): Readonly<AudioPlayoutStats> {
    return this.stats;
  }

  /** A received frame (`seq`: its RTP sequence number when sequenced). */
  push(payload: Uint8Array, seq = 0): PlayoutPush {
    if (payload.length !== this.frameBytes) {
      this.stats.badSize++;
      return 'bad-size';
    }
    if (!this.sequenced) {
      if (this.count === this.capacity) {
        this.stats.overflows++;
        return 'overflow';
      }
      this.store((this.head + this.count) % this.capacity, payload);
      this.count++;
      this.stats.framesIn++;
      return 'queued';
    }
    seq &= 0xffff;
    if (!this.started) {
      this.started = true;
      this.nextSeq = seq;
      this.endSeq = seq;
    }
    const ahead = seqDiff(seq, this.nextSeq);
    if (ahead < 0) {
      this.stats.late++;
      return 'late';
    }
    if (ahead >= this.capacity) {
      // Far ahead (a long outage or a sequence jump): what is queued is too old to wait for.
      // Restart the stream at this frame.
      this.stats.overflows++;
      this.present.fill(0);
      this.nextSeq = seq;
      this.endSeq = seq;
      this.playing = false;
    }
    const slot = seq % this.capacity;
    if (this.present[slot] === 1 && seqDiff(seq, this.endSeq) < 0) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.store(slot, payload);
    if (seqDiff(seq + 1, this.endSeq) > 0) this.endSeq = (seq + 1) & 0xffff;
    this.stats.framesIn++;
    return 'queued';
  }

  /**
   * The frame to play this tick into `out` ('frame'), a frame that will never come ('lost':
   * ride through it), or nothing yet ('empty': play nothing this tick, an underrun or prefill).
   */
  pop(out: Uint8Array): PlayoutPop {
    const depth = this.depth;
    if (!this.playing) {
      if (depth < Math.max(1, this.cushion)) return 'empty';
      this.playing = true;
    }
    if (depth === 0) {
      this.playing = false;
      this.stats.underruns++;
      return 'empty';
    }
    if (!this.sequenced) {
      out.set(this.ring.subarray(this.head * this.frameBytes, (this.head + 1) * this.frameBytes));
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.stats.framesPlayed++;
      return 'frame';
    }
    const slot = this.nextSeq % this.capacity;
    if (this.present[slot] === 1) {
      out.set(this.ring.subarray(slot * this.frameBytes, (slot + 1) * this.frameBytes));
      this.present[slot] = 0;
      this.nextSeq = (this.nextSeq + 1) & 0xffff;
      this.stats.framesPlayed++;
      return 'frame';
    }
    // A hole. Wait for it while no more than `cushion` later frames are here (it may be late,
    // reordered); after that it is lost.
    if (depth - 1 < this.cushion) {
      this.playing = false;
      this.stats.underruns++;
      return 'empty';
    }
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    this.stats.framesLost++;
    return 'lost';
  }

  /** Whether to play one more frame this tick: the queue is deeper than cushion + slack. */
  get catchUp(): boolean {
    const c = this.playing && this.depth > this.cushion + this.slack;
    if (c) this.stats.catchUps++;
    return c;
  }

  private store(slot: number, payload: Uint8Array): void {
    this.ring.set(payload, slot * this.frameBytes);
    this.present[slot] = 1;
  }
}
