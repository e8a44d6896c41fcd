/**
 * G.711 audio for the streaming analyze (stream.ts): the same timelines `findAudioStreams`
 * (audio-streams.ts) lays out and `demodulateAudio` (audio.ts) runs the modems over, but built
 * and demodulated as the packets arrive, with state per RTP stream bounded by how far the stream
 * reorders, not by how long it lasts.
 *
 * Two passes, like the rest of the streaming analyze.
 *  - Pass 1 (`AudioTrack`, one per flow and SSRC that sent G.711): the placement of every packet
 *    (the timestamp unwrapping and re-anchoring of `buildStream`, step by step), from which come
 *    what the `audio-stream` line says before any audio is demodulated — where sample 0 is, how
 *    long the timeline is, how many packets were placed and lost — and `reach`: how far before
 *    the furthest sample written so far any later packet of the stream ever landed.
 *  - Pass 2 (`LiveAudio`): each packet decoded into a sliding window at its place; the samples
 *    more than `reach` before the furthest written are final (no later packet writes there), so
 *    the modems are run up to that point, in the blocks and gap fill-ins `demodulateAudio` uses.
 *
 * Duplicate detection differs from audio-streams.ts in one bounded way: a packet is checked
 * against the last `DEDUP_WINDOW` sequence numbers only (a duplicate arriving 4096 packets —
 * some 80 s — late is placed again instead of dropped). Both passes use the same rule.
 *
 * Sans-IO.
 */

import { AudioReceiver } from '../fax/audio-receiver.js';
import { FAXWIRE_MODEMS } from '../fax/terminal/modem-kit.js';
import { g711Decode, type G711Law } from '../g711/index.js';
import type { RtpPacket } from '../rtp/index.js';
import type { T30LineEvent } from '../t30/line.js';

export const AUDIO_RATE_HZ = 8000;
/** Sequence numbers a packet is checked against for duplicates. */
export const DEDUP_WINDOW = 4096;
/** audio.ts's demodulation block. */
const BLOCK = 160;

/** Bounded duplicate detection over extended sequence numbers (a bit per number, a ring). */
export class SeqWindow {
  private readonly bits = new Uint8Array(DEDUP_WINDOW >> 3);
  private max = 0;
  /** Distinct numbers seen (what audio-streams.ts's `seen.size` counts). */
  count = 0;

  /** Marks `ext`; false when it was seen already (a duplicate). */
  add(ext: number): boolean {
    if (ext > this.max) {
      const adv = ext - this.max;
      if (adv >= DEDUP_WINDOW) this.bits.fill(0);
      else for (let e = this.max + 1; e <= ext; e++) this.clear(e);
      this.max = ext;
    } else if (ext <= this.max - DEDUP_WINDOW) {
      this.count++;
      return true;
    }
    const i = ((ext % DEDUP_WINDOW) + DEDUP_WINDOW) % DEDUP_WINDOW;
    const m = 1 << (i & 7);
    if ((this.bits[i >> 3]! & m) !== 0) return false;
    this.bits[i >> 3] = this.bits[i >> 3]! | m;
    this.count++;
    return true;
  }

  private clear(ext: number): void {
    const i = ((ext % DEDUP_WINDOW) + DEDUP_WINDOW) % DEDUP_WINDOW;
    this.bits[i >> 3] = this.bits[i >> 3]! & ~(1 << (i & 7));
  }
}

export interface PlacementLimits {
  readonly maxSkewSamples: number;
  readonly maxLateSamples: number;
}

/** `buildStream`'s placement, one packet at a time (shared by both passes). */
export class Placement {
  private t0 = 0n;
  private started = false;
  private lastTs = 0;
  private lastExtTs = 0;
  private offset = 0;
  private lastSeq = 0;
  private extSeq = 0;
  maxExtSeq = 0;
  minExtSeq = 0;
  readonly seen = new SeqWindow();
  discontinuities = 0;

  constructor(private readonly limits: PlacementLimits) {}

  /** Where (samples, relative to the first packet) this packet goes; undefined for a duplicate. */
  place(p: RtpPacket, timeNs: bigint): number | undefined {
    if (!this.started) {
      this.started = true;
      this.t0 = timeNs;
      this.lastTs = p.timestamp;
      this.lastSeq = p.sequenceNumber;
    }
    this.extSeq += ((p.sequenceNumber - this.lastSeq) << 16) >> 16;
    this.lastSeq = p.sequenceNumber;
    this.lastExtTs += (p.timestamp - this.lastTs) | 0;
    this.lastTs = p.timestamp;
    if (!this.seen.add(this.extSeq)) return undefined;
    if (this.extSeq > this.maxExtSeq) this.maxExtSeq = this.extSeq;
    if (this.extSeq < this.minExtSeq) this.minExtSeq = this.extSeq;
    const byClock = Number(((timeNs - this.t0) * BigInt(AUDIO_RATE_HZ)) / 1_000_000_000n);
    let at = this.lastExtTs + this.offset;
    if (at - byClock > this.limits.maxSkewSamples || byClock - at > this.limits.maxLateSamples) {
      this.discontinuities++;
      this.offset += byClock - at;
      at = byClock;
    }
    return at;
  }
}

/** Pass 1: what one SSRC of one flow sent in G.711 (static payload types 0 and 8). */
export class AudioTrack {
  readonly placement: Placement;
  /** Packets of payload type 0/8 (with or without payload), and how many step consistently. */
  g711 = 0;
  consistentSteps = 0;
  private prevSeq = -1;
  private prevTs = 0;
  private prevLen = 0;
  /** Placed packets (G.711 with payload, not duplicates). */
  placed = 0;
  firstFrame = -1;
  firstTimeNs = 0n;
  firstPt = -1;
  lastFrame = -1;
  minPos = Infinity;
  maxEnd = -Infinity;
  /** max over packets of (furthest end before it − its place), ≥ 0. */
  reach = 0;

  constructor(
    readonly ssrc: number,
    limits: PlacementLimits,
  ) {
    this.placement = new Placement(limits);
  }

  add(p: RtpPacket, frame: number, timeNs: bigint): void {
    this.g711++;
    if (this.prevSeq >= 0 && ((p.sequenceNumber - this.prevSeq) & 0xffff) === 1 && ((p.timestamp - this.prevTs) >>> 0) === this.prevLen) this.consistentSteps++;
    this.prevSeq = p.sequenceNumber;
    this.prevTs = p.timestamp;
    this.prevLen = p.payload.length;
    if (p.payload.length === 0) return;
    if (this.firstFrame < 0) {
      this.firstFrame = frame;
      this.firstTimeNs = timeNs;
      this.firstPt = p.payloadType;
    }
    this.lastFrame = frame;
    const at = this.placement.place(p, timeNs);
    if (at === undefined) return;
    this.placed++;
    if (this.maxEnd !== -Infinity && this.maxEnd - at > this.reach) this.reach = this.maxEnd - at;
    if (at < this.minPos) this.minPos = at;
    if (at + p.payload.length > this.maxEnd) this.maxEnd = at + p.payload.length;
  }

  /** audio-streams.ts `consistent`. */
  get consistent(): boolean {
    return this.consistentSteps >= (this.g711 - 1) * 0.6;
  }

  get length(): number {
    return this.firstFrame < 0 ? 0 : this.maxEnd - this.minPos;
  }

  /** Capture time of sample 0, ns (audio-streams.ts: the first packet's, moved back by the earliest placement). */
  get startTimeNs(): bigint {
    return this.firstTimeNs + BigInt(this.minPos) * 125_000n;
  }

  get lost(): number {
    const pl = this.placement;
    return Math.max(0, pl.maxExtSeq - pl.minExtSeq + 1 - pl.seen.count);
  }
}

export interface AudioEventAt {
  /** Sample index at the end of the block the event came in (audio.ts). */
  readonly sample: number;
  readonly ev: T30LineEvent;
}

/**
 * Pass 2: one audio stream placed and demodulated as its packets arrive. Events go to `onEvent`
 * in time order, their bytes copied (nothing of the capture chunk is held).
 */
export class LiveAudio {
  private readonly placement: Placement;
  private readonly rx: AudioReceiver;
  /** Samples [base, base + buf.length); cov marks what a packet wrote. */
  private buf = new Int16Array(4096);
  private cov = new Uint8Array(4096);
  private base = 0;
  /** Furthest sample written (exclusive). */
  private front = 0;
  /** Next sample to demodulate. */
  pos = 0;
  private at = 0;
  /** Largest window held (samples), for the stats. */
  maxWindow = 0;

  constructor(
    private readonly track: AudioTrack,
    limits: PlacementLimits,
    private readonly law: (pt: number) => G711Law | undefined,
    onEvent: (e: AudioEventAt) => void,
  ) {
    this.placement = new Placement(limits);
    this.rx = new AudioReceiver({ kit: FAXWIRE_MODEMS }, (ev) => onEvent({ sample: this.at, ev: copyEvent(ev) }));
  }

  get stats(): ReturnType<AudioReceiver['getStats']> {
    return this.rx.getStats();
  }

  /** One G.711 packet with payload of this stream (capture order). */
  packet(p: RtpPacket, timeNs: bigint): void {
    const raw = this.placement.place(p, timeNs);
    if (raw === undefined) return;
    const at = raw - this.track.minPos;
    const n = p.payload.length;
    this.ensure(at, at + n);
    const law = this.law(p.payloadType) as G711Law;
    g711Decode(law, p.payload, this.buf, n, 0, at - this.base);
    this.cov.fill(1, at - this.base, at - this.base + n);
    if (at + n > this.front) this.front = at + n;
    this.run(this.front - this.track.reach);
  }

  /** The stream's last packet was seen: demodulate to the end of its timeline. */
  finish(): void {
    this.run(this.track.length);
  }

  private covered(i: number): boolean {
    return i >= this.base && i - this.base < this.buf.length && this.cov[i - this.base] === 1;
  }

  /** Room for samples [from, to) in the window (dropping what is demodulated); from ≥ pos. */
  private ensure(from: number, to: number): void {
    if (to - this.base <= this.buf.length && from >= this.base) return;
    // New base: the next sample to demodulate, or later when everything from there up to this
    // packet is uncovered — a gap keeps no samples.
    let nb = this.pos;
    const scanTo = Math.min(from, this.front);
    while (nb < scanTo && !this.covered(nb)) nb++;
    if (nb >= scanTo) nb = from;
    const need = Math.max(to, this.front) - nb;
    let size = this.buf.length;
    while (size < need) size *= 2;
    const buf = size === this.buf.length && nb === this.base ? this.buf : new Int16Array(size);
    const cov = new Uint8Array(size);
    const keepFrom = Math.max(nb, this.base);
    const keepTo = Math.min(this.base + this.buf.length, this.front);
    if (keepTo > keepFrom) {
      if (buf === this.buf) {
        buf.copyWithin(keepFrom - nb, keepFrom - this.base, keepTo - this.base);
      } else {
        buf.set(this.buf.subarray(keepFrom - this.base, keepTo - this.base), keepFrom - nb);
      }
      cov.set(this.cov.subarray(keepFrom - this.base, keepTo - this.base), keepFrom - nb);
    }
    this.buf = buf;
    this.cov = cov;
    this.base = nb;
    if (size > this.maxWindow) this.maxWindow = size;
  }

  /** Demodulates what is final: samples before `safe` (audio.ts's blocks and fill-ins). */
  private run(safe: number): void {
    const length = this.track.length;
    const limit = Math.min(safe, length);
    while (this.pos < length) {
      const pos = this.pos;
      if (!this.covered(pos)) {
        // A gap (samples no packet covered): ridden through in one fill-in once its end is known.
        let e = pos;
        const scanTo = Math.min(limit, this.front);
        while (e < scanTo && !this.covered(e)) e++;
        if (e >= scanTo) {
          if (limit < length) return;
          e = length;
        }
        this.at = e;
        this.rx.fillIn(e - pos);
        this.pos = e;
        continue;
      }
      const blockEnd = Math.min(pos + BLOCK, length);
      if (blockEnd > limit) return;
      let n = 1;
      while (pos + n < blockEnd && this.covered(pos + n)) n++;
      this.at = pos + n;
      this.rx.receive(this.buf, pos - this.base, n);
      this.pos = pos + n;
    }
  }
}

function copyEvent(ev: T30LineEvent): T30LineEvent {
  if (ev.kind === 'hdlc-frame') return { ...ev, frame: ev.frame.slice() };
  if (ev.kind === 'non-ecm-data') return { ...ev, data: ev.data.slice() };
  return ev;
}
