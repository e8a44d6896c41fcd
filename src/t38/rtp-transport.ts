/**
 * T.38 over RTP (T.38 §9.2 "IFT over UDP transport using RTP protocol"; media types `audio/t38`
 * RFC 4612 and `image/t38` RFC 3362): a sans-IO sender (`RtpT38Sender`) and receiver
 * (`RtpT38Receiver`) that carry one IFP per RTP packet (src/rtp/packet.ts) and use RFC 2198
 * blocks (src/rtp/red.ts) to repeat the previous IFPs, so a receiver can restore the IFPs of
 * lost packets — the RTP counterpart of UDPTL's secondary IFPs (T.38 §9.1).
 *
 * Timestamps. RFC 4612 §4 (registration of audio/t38, parameter `rate`): "The RTP timestamp clock
 * rate, which SHOULD be 8000Hz", and the same as any audio in the same RTP stream, so a stream
 * that switches between G.711 and T.38 does not switch timestamp rates. RFC 3550 §5.1 makes the
 * timestamp "the sampling instant of the first octet in the RTP data packet"; an IFP has no
 * samples, so the sender stamps each packet with the time the IFP was handed to it:
 * `firstTimestamp + round((nowMs − nowMs₀) × clockRate / 1000)` (mod 2³²), never going backwards.
 * Consecutive IFPs can therefore share a timestamp (spandsp emits several IFPs in one 10 ms tick,
 * e.g. the last hdlc-data and hdlc-fcs-OK of a frame).
 *
 * Sequence numbers increment by one per packet (RFC 3550 §5.1), including packets that repeat an
 * IFP; RFC 3550 says the SSRC, the initial sequence number and the initial timestamp SHOULD be
 * random, which is what the sender does unless given `ssrc` / `firstSeq` / `firstTimestamp`. The
 * randomness is injected (`random`, a `Random32`; default `systemRandom32`), so a test or a
 * simulation seeded with `xorshift32` is reproducible.
 *
 * The receiver never throws on input; it copies the IFPs it keeps.
 */

import { checkUint, decodeRtp, encodeRtpInto, rtpEncodedSize, type RtpPacket } from '../rtp/packet.js';
import {
  decodeRed,
  encodeRedInto,
  redEncodedSize,
  RED_DEFAULT_MAX_BLOCKS,
  RED_MAX_BLOCK_LENGTH,
  RED_MAX_TIMESTAMP_OFFSET,
  type RedBlock,
  type RedPayload,
} from '../rtp/red.js';
import { FaxwireError } from '../util/errors.js';
import { systemRandom32, type Random32 } from '../util/random.js';
import { seqDiff } from '../util/seq.js';

// ────────────────────────────────────────────────────────────────────────────────────────────
// Sender
// ────────────────────────────────────────────────────────────────────────────────────────────

/** Bound on redundancy depth (UDPTL peers such as spandsp allow 0…15 secondaries). */
export const RTP_T38_MAX_REDUNDANCY = 16;
export const RTP_T38_DEFAULT_CLOCK_RATE = 8000;

export interface RtpT38SenderOptions {
  /** Dynamic PT bound to audio/t38 or image/t38 (0 … 127). */
  readonly payloadType: number;
  /** Dynamic PT bound to `red` (RFC 2198); required when `redundancy > 0`. */
  readonly redPayloadType?: number;
  /** Previous IFPs repeated in each packet (0 … 16). */
  readonly redundancy: number;
  /** Default: random (RFC 3550 §5.1, §8.1). */
  readonly ssrc?: number;
  /** Default: random (RFC 3550 §5.1). */
  readonly firstSeq?: number;
  /** Default: random (RFC 3550 §5.1). */
  readonly firstTimestamp?: number;
  /**
   * Draws what is not given, in this order: SSRC, first sequence number, first timestamp.
   * Default `systemRandom32`; tests and simulations pass a seeded `xorshift32`.
   */
  readonly random?: Random32;
  /** RTP timestamp clock (RFC 4612 §4: SHOULD be 8000). */
  readonly clockRate?: number;
}

export interface RtpT38SenderStats {
  datagrams: number;
  /** Octets of RTP datagrams produced. */
  octets: number;
  /** RFC 2198 redundant blocks sent. */
  redundantBlocks: number;
  /**
   * Earlier IFPs left out of a packet because RFC 2198 cannot carry them (≥ 1024 octets, or older
   * than 16383 ticks), together with the still older ones behind them (blocks must be contiguous).
   */
  redundancyOmitted: number;
  /** Calls whose `nowMs` was earlier than the previous call's (the timestamp was held instead). */
  clockBackwards: number;
}

const EMPTY = new Uint8Array(0);

interface SentIfp {
  readonly ifp: Uint8Array;
  readonly timestamp: number;
}

/**
 * Packs IFPs into RTP packets, one IFP per packet. With `redPayloadType` every packet is an
 * RFC 2198 packet whose primary block is the new IFP (block PT = `payloadType`) and whose
 * redundant blocks are the previous `redundancy` IFPs, oldest first — the order of RFC 4103's
 * RFC 2198 example (§7.1: R2, R1, then the primary), and the order `RtpT38Receiver` assumes
 * for equal timestamps.
 * Without it, packets carry the bare IFP.
 */
export class RtpT38Sender {
  private readonly payloadType: number;
  private readonly redPayloadType: number | null;
  private readonly redundancy: number;
  /** The stream's SSRC (given, or drawn at construction). */
  readonly ssrc: number;
  private readonly clockRate: number;
  private readonly firstTimestamp: number;
  private seq: number;
  private startMs: number | null = null;
  private lastMs = 0;
  private lastTimestamp = 0;
  private readonly history: SentIfp[] = [];
  private readonly stats: RtpT38SenderStats = {
    datagrams: 0,
    octets: 0,
    redundantBlocks: 0,
    redundancyOmitted: 0,
    clockBackwards: 0,
  };

  constructor(options: RtpT38SenderOptions) {
    checkUint('payloadType', options.payloadType, 0x7f);
    checkUint('redundancy', options.redundancy, RTP_T38_MAX_REDUNDANCY);
    if (options.redPayloadType !== undefined) {
      checkUint('redPayloadType', options.redPayloadType, 0x7f);
      if (options.redPayloadType === options.payloadType) {
        throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'redPayloadType must differ from payloadType');
      }
    } else if (options.redundancy > 0) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'redundancy > 0 needs a redPayloadType (RFC 2198)');
    }
    const clockRate = options.clockRate ?? RTP_T38_DEFAULT_CLOCK_RATE;
    if (!Number.isInteger(clockRate) || clockRate < 1 || clockRate > 1_000_000_000) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `clockRate must be a positive integer, got ${clockRate}`);
    }
    const random = options.random ?? systemRandom32;
    const ssrc = options.ssrc ?? random() >>> 0;
    checkUint('ssrc', ssrc, 0xffffffff);
    const firstSeq = options.firstSeq ?? random() & 0xffff;
    checkUint('firstSeq', firstSeq, 0xffff);
    const firstTimestamp = options.firstTimestamp ?? random() >>> 0;
    checkUint('firstTimestamp', firstTimestamp, 0xffffffff);
    this.payloadType = options.payloadType;
    this.redPayloadType = options.redPayloadType ?? null;
    this.redundancy = options.redundancy;
    this.ssrc = ssrc;
    this.clockRate = clockRate;
    this.seq = firstSeq;
    this.firstTimestamp = firstTimestamp;
  }

  /** Sequence number the next packet will carry. */
  get nextSeq(): number {
    return this.seq;
  }

  getStats(): RtpT38SenderStats {
    return { ...this.stats };
  }

  /** Builds the datagram for `ifp`, handed over at `nowMs` (any monotonic ms clock). */
  send(ifp: Uint8Array, nowMs: number): Uint8Array {
    if (!Number.isFinite(nowMs)) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `nowMs must be finite, got ${nowMs}`);
    }
    const timestamp = this.timestampFor(nowMs);
    const first = this.stats.datagrams === 0;
    let red: RedPayload | null = null;
    if (this.redPayloadType !== null) {
      // Newest → oldest, stopping at the first IFP RFC 2198 cannot carry: the blocks must stay the
      // run of packets *immediately* before this one, because that is how the receiver maps them
      // to sequence numbers. (A 1024-octet IFP, or one older than 16383 ticks — 2 s at 8 kHz —
      // cannot be expressed in the 10-bit length / 14-bit offset; older ones are then dropped too.)
      const redundant: RedBlock[] = [];
      for (let k = this.history.length - 1; k >= 0; k--) {
        const h = this.history[k]!;
        const off = (timestamp - h.timestamp) >>> 0;
        if (off > RED_MAX_TIMESTAMP_OFFSET || h.ifp.length > RED_MAX_BLOCK_LENGTH) {
          this.stats.redundancyOmitted += k + 1;
          break;
        }
        redundant.push({ payloadType: this.payloadType, timestampOffset: off, data: h.ifp });
      }
      redundant.reverse(); // oldest first on the wire
      this.stats.redundantBlocks += redundant.length;
      red = { redundant, primaryPayloadType: this.payloadType, primary: ifp };
      if (this.redundancy > 0) {
        this.history.push({ ifp: ifp.slice(), timestamp });
        if (this.history.length > this.redundancy) this.history.shift();
      }
    }
    const header: RtpPacket = {
      // RFC 3551 §4.1 marks the first packet after silence; we mark the first of the stream so a
      // jitter buffer re-syncs when a call switches from audio to T.38.
      marker: first,
      payloadType: red === null ? this.payloadType : this.redPayloadType!,
      sequenceNumber: this.seq,
      timestamp,
      ssrc: this.ssrc,
      csrcs: [],
      extension: null,
      payload: red === null ? ifp : EMPTY,
      paddingLength: 0,
    };
    // One allocation: RTP header, then the RFC 2198 payload encoded in place behind it.
    const size = rtpEncodedSize(header) + (red === null ? 0 : redEncodedSize(red));
    const out = new Uint8Array(size);
    const written = encodeRtpInto(header, out, 0);
    if (red !== null) encodeRedInto(red, out, written);
    this.seq = (this.seq + 1) & 0xffff;
    this.stats.datagrams++;
    this.stats.octets += out.length;
    return out;
  }

  private timestampFor(nowMs: number): number {
    if (this.startMs === null) {
      this.startMs = nowMs;
      this.lastMs = nowMs;
    }
    if (nowMs < this.lastMs) {
      this.stats.clockBackwards++;
      return this.lastTimestamp;
    }
    this.lastMs = nowMs;
    const ticks = Math.round(((nowMs - this.startMs) * this.clockRate) / 1000);
    this.lastTimestamp = (this.firstTimestamp + ticks) % 0x1_0000_0000;
    return this.lastTimestamp;
  }
}

// ────────────────────────────────────────────────────────────────────────────────────────────
// Receiver
// ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Sequence jumps at least this large (either way, 16-bit modular distance) are a restart of the
 * stream rather than loss or lateness — the threshold spandsp's T.38 core uses for its
 * sequence check (`ACCEPTABLE_SEQ_NO_OFFSET`), so the two agree on what "a restart" is.
 */
export const RTP_T38_MAX_SEQ_JUMP = 2000;
export const RTP_T38_MAX_REORDER_WINDOW = 64;

export interface RtpT38ReceiverOptions {
  readonly payloadType: number;
  readonly redPayloadType?: number;
  /**
   * Packets that may be held back waiting for a missing earlier one (default 0: a gap that
   * redundancy cannot fill is declared lost at once, and the missing packet, if it arrives later,
   * is dropped as late). 0 … 64. The engine has no clock: call `flush()` to release held packets.
   */
  readonly reorderWindow?: number;
  /** Bound on RFC 2198 blocks per packet (default 32). */
  readonly maxRedundantBlocks?: number;
}

export interface RtpT38Delivery {
  /** RTP sequence number of the packet this IFP was (originally) sent in. */
  readonly seq: number;
  readonly ifp: Uint8Array;
  readonly source: 'primary' | 'redundant';
  /** RTP timestamp of that packet (from the header, or header − block offset). */
  readonly timestamp: number;
}

export interface RtpT38ReceiverStats {
  datagrams: number;
  /** IFPs delivered from primary payloads. */
  primaries: number;
  /** IFPs of lost packets delivered from RFC 2198 redundant blocks. */
  recovered: number;
  /** Sequence numbers given up on (neither the packet nor a redundant copy arrived in time). */
  lost: number;
  /** Packets whose sequence number was already delivered (or is already held). */
  duplicates: number;
  /** Packets arriving after their sequence number was declared lost (or from before the stream start). */
  late: number;
  /** Datagrams that are not valid RTP, or whose RFC 2198 payload is invalid. */
  malformed: number;
  /** Packets of this SSRC with another payload type (they consume a sequence number, deliver nothing). */
  otherPayloadType: number;
  /** T.38 packets with an empty payload (consume a sequence number, deliver nothing). */
  empty: number;
  /** Redundant blocks rejected because their timestamp contradicts the sequence position we mapped them to. */
  redundancyMismatch: number;
  /** SSRC changes (each restarts the receiver). */
  ssrcChanges: number;
  /** Sequence jumps ≥ RTP_T38_MAX_SEQ_JUMP (each restarts the receiver). */
  restarts: number;
  /** Packets currently held in the reorder window. */
  held: number;
}

const ST_DELIVERED = 1;
const ST_LOST = 2;
const ST_TS_KNOWN = 4;

interface Held {
  /** null: the sequence number carried no IFP (other PT, empty payload). */
  readonly ifp: Uint8Array | null;
  readonly source: 'primary' | 'redundant';
  readonly timestamp: number;
}

interface Candidate {
  readonly seq: number;
  readonly timestamp: number;
  readonly ifp: Uint8Array | null;
  readonly source: 'primary' | 'redundant';
}

/** Signed 32-bit distance a − b of RTP timestamps. */
function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Receives T.38-over-RTP datagrams and delivers IFPs in sequence order, each at most once.
 *
 * Mapping RFC 2198 blocks to sequence numbers. A block carries only a timestamp offset, and the
 * timestamp alone cannot name the packet a block repeats: the lost packet's timestamp is exactly
 * what we do not know, and consecutive T.38 packets often share a timestamp. We therefore assume
 * what copy-redundancy senders (ours included) do — the blocks of packet `s` repeat the packets
 * immediately before it, one each, without gaps — and map by position: after ordering the blocks
 * oldest first by timestamp offset (descending; a stable sort, so equal offsets keep wire order,
 * assumed oldest first as we send), the k-th block from the end is packet `s − k`. Blocks of a
 * foreign PT still take their position but are not delivered. The timestamp then *checks* the
 * mapping: a recovered block whose timestamp falls outside its known neighbours' timestamps, or
 * which disagrees with the timestamp of a packet we did receive, is counted in
 * `redundancyMismatch` (and, if it was to fill a gap, not delivered).
 *
 * Ordering: the first packet (or the first after a restart) fixes the expected sequence number.
 * Packets behind it are duplicates or late and are dropped (T.38 peers do not reorder; spandsp's
 * core treats a late packet as a repeat). Gaps are filled from redundancy; what cannot be filled
 * is declared lost once more than `reorderWindow` later packets are waiting. Sequence numbers wrap
 * at 2¹⁶. A new SSRC or a jump of ≥ 2000 restarts the receiver (after flushing what it holds).
 * Garbage never throws: it is counted in `malformed`.
 */
export class RtpT38Receiver {
  private readonly payloadType: number;
  private readonly redPayloadType: number | null;
  private readonly reorderWindow: number;
  private readonly maxRedundantBlocks: number;
  private ssrc: number | null = null;
  private expected: number | null = null;
  private readonly pending = new Map<number, Held>();
  /**
   * Per-sequence-number flags (ST_*) and timestamps. Entries in [expected, expected + 2¹⁵) are
   * kept clear for the future by clearing expected + 2¹⁵ every time `expected` advances, so the
   * entries behind `expected` describe the last 2¹⁵ sequence numbers.
   */
  private readonly state = new Uint8Array(0x10000);
  private readonly tsAt = new Uint32Array(0x10000);
  private readonly stats: RtpT38ReceiverStats = {
    datagrams: 0,
    primaries: 0,
    recovered: 0,
    lost: 0,
    duplicates: 0,
    late: 0,
    malformed: 0,
    otherPayloadType: 0,
    empty: 0,
    redundancyMismatch: 0,
    ssrcChanges: 0,
    restarts: 0,
    held: 0,
  };

  constructor(options: RtpT38ReceiverOptions) {
    checkUint('payloadType', options.payloadType, 0x7f);
    if (options.redPayloadType !== undefined) {
      checkUint('redPayloadType', options.redPayloadType, 0x7f);
      if (options.redPayloadType === options.payloadType) {
        throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'redPayloadType must differ from payloadType');
      }
    }
    const reorderWindow = options.reorderWindow ?? 0;
    checkUint('reorderWindow', reorderWindow, RTP_T38_MAX_REORDER_WINDOW);
    const maxBlocks = options.maxRedundantBlocks ?? RED_DEFAULT_MAX_BLOCKS;
    checkUint('maxRedundantBlocks', maxBlocks, 1024);
    this.payloadType = options.payloadType;
    this.redPayloadType = options.redPayloadType ?? null;
    this.reorderWindow = reorderWindow;
    this.maxRedundantBlocks = maxBlocks;
  }

  getStats(): RtpT38ReceiverStats {
    return { ...this.stats, held: this.pending.size };
  }

  /** Processes one datagram; returns the IFPs now deliverable, in sequence order. Never throws on input. */
  receive(datagram: Uint8Array): RtpT38Delivery[] {
    const out: RtpT38Delivery[] = [];
    this.stats.datagrams++;
    const r = decodeRtp(datagram);
    if (!r.ok) {
      this.stats.malformed++;
      return out;
    }
    const p = r.value;
    const ours = p.payloadType === this.payloadType || p.payloadType === this.redPayloadType;
    if (!ours && p.ssrc !== this.ssrc) {
      // A foreign payload type only matters on the T.38 stream's own SSRC, where it takes a
      // sequence number (audio/t38 may share a stream with audio, RFC 4612 §1). From any other
      // source — or before the T.38 stream has started — it is ignored, so it cannot restart us:
      // e.g. RTCP multiplexed on the port (RFC 5761 §4), whose octets 8–11 read as a bogus SSRC.
      this.stats.otherPayloadType++;
      return out;
    }

    const candidates = this.candidatesOf(p);
    if (candidates === null) {
      this.stats.malformed++;
      return out;
    }

    if (this.ssrc !== null && p.ssrc !== this.ssrc) {
      this.drain(out, true);
      this.restart();
      this.stats.ssrcChanges++;
    }
    this.ssrc = p.ssrc;
    if (this.expected === null) {
      this.expected = p.sequenceNumber;
    } else {
      const d = seqDiff(p.sequenceNumber, this.expected);
      if (d >= RTP_T38_MAX_SEQ_JUMP || d <= -RTP_T38_MAX_SEQ_JUMP) {
        this.drain(out, true);
        this.restart();
        this.expected = p.sequenceNumber;
        this.stats.restarts++;
      }
    }

    // candidates[0] is the primary; the rest are redundant blocks, newest first, so each block's
    // successor's timestamp is known by the time it is checked.
    for (const c of candidates) this.offer(c);
    this.drain(out, false);
    return out;
  }

  /** Releases everything held, declaring the gaps lost (end of call, or a driver timeout). */
  flush(): RtpT38Delivery[] {
    const out: RtpT38Delivery[] = [];
    this.drain(out, true);
    return out;
  }

  /** Primary first, then redundant blocks newest → oldest; null if the RFC 2198 payload is bad. */
  private candidatesOf(p: RtpPacket): Candidate[] | null {
    const seq = p.sequenceNumber;
    if (p.payloadType === this.payloadType) {
      if (p.payload.length === 0) this.stats.empty++;
      return [{ seq, timestamp: p.timestamp, ifp: p.payload.length > 0 ? p.payload : null, source: 'primary' }];
    }
    if (this.redPayloadType === null || p.payloadType !== this.redPayloadType) {
      this.stats.otherPayloadType++;
      return [{ seq, timestamp: p.timestamp, ifp: null, source: 'primary' }];
    }
    const red = decodeRed(p.payload, this.maxRedundantBlocks);
    if (!red.ok) return null;
    const v = red.value;
    let primaryIfp: Uint8Array | null = null;
    if (v.primaryPayloadType !== this.payloadType) {
      this.stats.otherPayloadType++;
    } else if (v.primary.length === 0) {
      this.stats.empty++;
    } else {
      primaryIfp = v.primary;
    }
    const out: Candidate[] = [{ seq, timestamp: p.timestamp, ifp: primaryIfp, source: 'primary' }];
    // Oldest first by offset (stable: ties keep wire order), then walk from the newest.
    const blocks = v.redundant.slice().sort((a, b) => b.timestampOffset - a.timestampOffset);
    const n = blocks.length;
    for (let k = 1; k <= n; k++) {
      const b = blocks[n - k]!;
      if (b.payloadType !== this.payloadType || b.data.length === 0) continue;
      out.push({
        seq: (seq - k) & 0xffff,
        timestamp: (p.timestamp - b.timestampOffset) >>> 0,
        ifp: b.data,
        source: 'redundant',
      });
    }
    return out;
  }

  private offer(c: Candidate): void {
    const expected = this.expected!;
    const d = seqDiff(c.seq, expected);
    const st = this.state[c.seq]!;
    if (d < 0) {
      if (c.source === 'primary') {
        if ((st & ST_DELIVERED) !== 0) this.stats.duplicates++;
        else this.stats.late++;
      } else if ((st & ST_TS_KNOWN) !== 0 && this.tsAt[c.seq] !== c.timestamp) {
        this.stats.redundancyMismatch++;
      }
      return;
    }
    const held = this.pending.get(c.seq);
    if (held !== undefined) {
      if (c.source === 'primary') {
        if (held.source === 'primary') this.stats.duplicates++;
        // A primary arriving for a sequence number already recovered and held: keep the copy we
        // have (same IFP by assumption), but count the mapping check.
        else if (held.timestamp !== c.timestamp) this.stats.redundancyMismatch++;
      } else if (held.timestamp !== c.timestamp) {
        this.stats.redundancyMismatch++;
      }
      return;
    }
    if (c.source === 'redundant' && !this.plausible(c)) {
      this.stats.redundancyMismatch++;
      return;
    }
    this.pending.set(c.seq, {
      ifp: c.ifp === null ? null : c.ifp.slice(),
      source: c.source,
      timestamp: c.timestamp,
    });
    this.state[c.seq] = st | ST_TS_KNOWN;
    this.tsAt[c.seq] = c.timestamp;
  }

  /** A recovered block's timestamp must lie between its known neighbours' (RTP time never runs back). */
  private plausible(c: Candidate): boolean {
    const prev = (c.seq - 1) & 0xffff;
    const next = (c.seq + 1) & 0xffff;
    if ((this.state[prev]! & ST_TS_KNOWN) !== 0 && tsDiff(c.timestamp, this.tsAt[prev]!) < 0) return false;
    if ((this.state[next]! & ST_TS_KNOWN) !== 0 && tsDiff(this.tsAt[next]!, c.timestamp) < 0) return false;
    return true;
  }

  /** Delivers what is in order; declares gaps lost when the window overflows (or always, if `all`). */
  private drain(out: RtpT38Delivery[], all: boolean): void {
    if (this.expected === null) return;
    for (;;) {
      const e = this.expected;
      const h = this.pending.get(e);
      if (h !== undefined) {
        this.pending.delete(e);
        if (h.ifp !== null) {
          out.push({ seq: e, ifp: h.ifp, source: h.source, timestamp: h.timestamp });
          if (h.source === 'primary') this.stats.primaries++;
          else this.stats.recovered++;
        }
        this.state[e] = this.state[e]! | ST_DELIVERED;
        this.advance();
        continue;
      }
      if (this.pending.size === 0 || (!all && this.pending.size <= this.reorderWindow)) return;
      // Skip to the oldest held packet, declaring everything before it lost.
      let gap = 0x10000;
      for (const s of this.pending.keys()) gap = Math.min(gap, seqDiff(s, e));
      for (let k = 0; k < gap; k++) {
        const s = this.expected;
        this.state[s] = this.state[s]! | ST_LOST;
        this.stats.lost++;
        this.advance();
      }
    }
  }

  private advance(): void {
    const e = this.expected!;
    // e + 2^15 leaves the "recent past" half and enters the "future" half: clear it.
    const f = (e + 0x8000) & 0xffff;
    this.state[f] = 0;
    this.expected = (e + 1) & 0xffff;
  }

  private restart(): void {
    this.pending.clear();
    this.state.fill(0);
    this.expected = null;
  }
}
