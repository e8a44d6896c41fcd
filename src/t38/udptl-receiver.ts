/**
 * UDPTL receiver (sans-IO): turns received UDPTL datagrams (T.38 §9.1) back into the IFP stream,
 * in seq-number order, each seq at most once, repairing losses from the redundant secondary IFPs
 * and from parity FEC, and counting everything it drops. Input: one datagram per call; output:
 * the IFPs now deliverable. No sockets, no timers; garbage is counted, never thrown.
 *
 * Sequence rules (T.38 §9.1 only says the seq-number increments by one per packet and wraps):
 * - The first datagram with a valid primary IFP (see below) fixes the expectation. Its
 *   secondaries are in the past of the stream we are joining; the unbroken run of non-empty ones
 *   (seq−1, seq−2, ...) is delivered too, oldest first, which repairs losses of the very first
 *   datagrams (common while a NAT pinhole opens). Asterisk and spandsp do the same implicitly,
 *   since their expected seq starts at 0.
 * - All comparisons are modulo 65536 (16-bit signed difference from the expected seq).
 * - Behind the expected seq: a repeat of a primary already received is a `duplicate` (spandsp
 *   sends `count` copies with the same seq); anything else there is `late` (its turn has passed:
 *   it was restored from redundancy or declared lost). Both are dropped.
 * - A jump of `restartThreshold` (default 2000, spandsp's ACCEPTABLE_SEQ_NO_OFFSET in
 *   t38_core.c) or more, ahead or behind, is a sequence restart — but only on evidence. UDPTL has
 *   no authentication and T.38 §9.1 gives the receiver nothing to tell a new stream from a stray
 *   or forged datagram, so one datagram is never enough (a single packet at a random seq used to
 *   flush the stream; 5 per second made a 3-page call fail — issue 9). A restart needs a run of
 *   RESTART_RUN (3) *valid* datagrams — UDPTL decodes and the primary IFP is non-empty and decodes
 *   (T.38 Annex A; in `ifpVersion`, or in either ASN.1 module when not given) — each one
 *   1..RESTART_RUN_STEP (4) seqs after the previous one of the run (a loss or two inside the run is
 *   allowed; a repeat of the run's last seq is a duplicate). The run is held (at most 3 datagrams)
 *   and replayed into the new stream once it is complete, so a genuine restart loses nothing. Up
 *   to 4 runs are followed at once (a jump that extends none starts a new one, forgetting the
 *   oldest), so stray datagrams interleaved with a genuine new stream cannot keep breaking its
 *   run. Malformed datagrams (`malformed`) and datagrams with a malformed or empty primary
 *   IFP (`suspectJumps`) never start or extend a run. This is the lesson of AST-2016-003 (below) applied to
 *   seqs: never let a packet that cannot be used move the state of the stream.
 * - For the same reason a datagram whose primary IFP is empty or does not decode may neither
 *   start the stream nor move the expectation further ahead than the reorder window
 *   (`reorderWindow + 1`): farther ahead it is counted in `suspectJumps` and dropped. Nearer (a
 *   corrupted IFP in its place) it is processed as before, so the line sees and counts it. A
 *   *valid* datagram up to `restartThreshold − 1` ahead is still taken as a loss gap: telling a
 *   forged valid IFP from the peer's own is not possible here; the UDP driver's source filter
 *   (source-filter.ts) keeps foreign senders out. Valid-looking spray from the latched source
 *   itself is out of scope.
 * - A gap is filled from the secondaries of later datagrams (entry i is seq−1−i) and from parity
 *   FEC (below). With `reorderWindow` 0 (default) nothing waits: a seq still missing once a later
 *   datagram has been processed is declared `lost` at once, as Asterisk and spandsp do. With
 *   `reorderWindow` N a missing seq is held open until a datagram more than N ahead has arrived,
 *   so reordered datagrams and late repairs (FEC over several datagrams) can still fill it.
 *
 * Parity FEC (see udptl-sender.ts for the layout, matching Asterisk/spandsp): every datagram's
 * fec-info is kept with its seq; its entry m covers seqs q+m−S·E+k·E (k = 0..S−1), using the
 * span S and entry count E of THAT datagram. A group with exactly one member missing and all
 * others known restores it (XOR of the entry and the others, shorter ones zero-padded); this is
 * repeated until nothing changes (iterative "peeling", so a restored IFP can in turn complete
 * another group — Asterisk and spandsp make a single pass and say so in their sources).
 * The restored IFP has the entry's length, i.e. the longest member's: when the lost IFP
 * was shorter it comes back with trailing zero octets (the same as with Asterisk/spandsp; only the
 * IFP decoder can tell, so `source: 'fec'` is reported). A primary or secondary copy of the same
 * seq arriving while the restored one is still held replaces it. Zero-length IFPs are known to be
 * empty for XOR purposes.
 *
 * Deliberate differences from Asterisk's udptl_rx_packet (facts from main/udptl.c):
 * - A zero-length secondary is ignored at ITS position (seq−1−i). Asterisk's AST-2016-003 fix
 *   drops it and shifts the following secondaries down, so they are attributed to the wrong seq.
 * - A late datagram does not move the expectation backwards (Asterisk sets rx_seq_no = seq+1).
 * - Zero-length primaries are counted and not delivered (spandsp's t38_core rejects len < 1);
 *   the seq counts as received (no loss).
 * Memory is bounded: one ring of slots (seq, state, IFP, FEC data) sized from reorderWindow (and
 * from the parity look-back once a parity block has been seen), plus a record of received
 * primaries over the full span for duplicate detection.
 *
 * Two APIs on one code path: `receiveInto`/`flushInto` (the hot path) decode with
 * `decodeUdptlView` and report IFPs as views (buffer + start/end) in a caller-owned, reused
 * `UdptlReceiveBatch`. The steady state of a redundancy stream (the next seq, nothing open, no
 * parity ever seen) copies nothing: the primary is reported as a view of the caller's datagram and
 * forgotten (its seq is settled and, without parity, no IFP is ever rebuilt from others; a stream
 * that turns to parity later cannot repair groups reaching back to such seqs). Otherwise a
 * datagram that is used is copied whole (one `set`, i.e. a memcpy) into its
 * own seq's slot region of one arena (a stride per slot, grown to the stream's datagram size;
 * datagrams over 512 octets go into a grow-only buffer of the slot's own), and every IFP it brings
 * (primary, secondaries, parity) is a view of that copy: no per-IFP copy, and nothing allocated
 * once the arena has grown to the stream's datagram size. The copy of seq q lives until seq q + ring size arrives, which is
 * after every seq it can describe (q − 32 … q) has left the ring. Only rare paths allocate: parity
 * repair (one grow-only buffer per slot), a restart run (held datagrams are copied), a fragmented
 * (≥ 16K) open type, a growing batch. `receive`/`flush` wrap them and return fresh copies.
 */

import { checkInt } from '../util/check.js';
import { seqDiff } from '../util/seq.js';
import { decodeIfpView, IfpView, type T38Version } from './ifp.js';
import {
  UDPTL_MAX_FEC_COVERAGE,
  UDPTL_MAX_FEC_ENTRIES,
  UDPTL_MAX_SECONDARIES,
  UdptlView,
  decodeUdptl,
  decodeUdptlView,
  type UdptlPacket,
} from './udptl.js';

export type ReceivedIfpSource = 'primary' | 'secondary' | 'fec';

export interface ReceivedIfp {
  /** seq-number of the IFP (its own, also for restored ones). */
  readonly seq: number;
  /**
   * The IFP octets: a private copy the caller may keep, but must treat as read-only (the receiver
   * keeps the same array as parity-repair history for a while).
   */
  readonly ifp: Uint8Array;
  /** Where it came from. `fec`: may carry trailing zero padding (see module comment). */
  readonly source: ReceivedIfpSource;
}

export interface UdptlReceiverOptions {
  /** Secondaries used per datagram (newest first), 0..32. Default 32. */
  readonly maxDepth?: number;
  /** Datagrams to wait before declaring a gap lost, 0..1024. Default 0 (real time). */
  readonly reorderWindow?: number;
  /** |seq jump| treated as a sequence restart, reorderWindow+2 .. 32768. Default 2000 (spandsp). */
  readonly restartThreshold?: number;
  /**
   * Accept datagrams with octets after the packet, ignoring the extra octets (Asterisk), instead
   * of dropping them as malformed (spandsp/FreeSWITCH; the default). Default false: RTP sent to a
   * UDPTL port (seen in real captures after a re-INVITE) often parses as a UDPTL packet followed
   * by junk, and accepting it would deliver garbage IFPs.
   */
  readonly acceptTrailingBytes?: boolean;
  /**
   * T.38 version whose ASN.1 module judges a primary IFP valid (restart evidence, see the module
   * comment). Default: valid if it decodes in either module (version 0 or 1–4).
   */
  readonly ifpVersion?: T38Version;
}

export interface UdptlReceiverStats {
  /** Datagrams passed to receive(). */
  datagrams: number;
  /** Datagrams that failed to decode (dropped). */
  malformed: number;
  /** Datagrams with octets after the packet (also counted malformed unless acceptTrailingBytes). */
  trailingBytes: number;
  /** IFPs delivered from a primary. */
  primaries: number;
  /** IFPs delivered from a secondary (redundancy) copy. */
  recoveredFromSecondary: number;
  /** IFPs delivered after FEC reconstruction. */
  recoveredFromFec: number;
  /** seqs declared lost (never delivered). */
  lost: number;
  /** Datagrams whose primary had already been received. */
  duplicates: number;
  /** Datagrams arriving after their seq's turn (restored or declared lost before). */
  late: number;
  /**
   * Datagrams that arrived after a later one and still filled their seq's gap, held open by the
   * reorder window (always 0 with reorderWindow 0). They are also counted in `primaries`.
   */
  reordered: number;
  /** Zero-length secondary IFPs seen (ignored). */
  zeroLengthSecondaries: number;
  /** Zero-length primary IFPs seen (not delivered; the seq counts as received). */
  zeroLengthPrimaries: number;
  /** Sequence restarts (a run of RESTART_RUN valid datagrams jumped ≥ restartThreshold). */
  restarts: number;
  /**
   * Datagrams dropped because they would have moved the sequence without evidence: a first
   * datagram, a jump ≥ restartThreshold, or a datagram further ahead than reorderWindow + 1, whose
   * primary IFP is empty or does not decode.
   */
  suspectJumps: number;
  /** Valid datagrams jumped ≥ restartThreshold, held as part of a restart run (counted when they arrive). */
  restartCandidates: number;
  /** Lost seqs that FEC data did cover but could not repair (two or more missing in a group). */
  fecUnrecoverable: number;
  /** fec-info blocks not used: span × entries above UDPTL_MAX_FEC_COVERAGE. */
  fecIgnored: number;
}

/** Slot states. */
const MISSING = 0; // seq in the open zone, no IFP yet
const HAVE = 1; // IFP known, not yet delivered
const DELIVERED = 2; // delivered; IFP kept for parity
const LOST = 3; // declared lost
const EMPTY = 4; // zero-length primary: decided, nothing to deliver, known empty for parity
const UNKEPT = 5; // delivered as a view of the caller's datagram, not kept: unknown for parity

const SRC_PRIMARY = 0;
const SRC_SECONDARY = 1;
const SRC_FEC = 2;

/** Start of the extended (never wrapping) seq space; keeps secondaries before the first positive. */
const EXT_BASE = 0x100000;

const MAX_REORDER_WINDOW = 1024;
const DEFAULT_RESTART_THRESHOLD = 2000;
/** Valid datagrams in a row needed for a sequence restart (see the module comment). */
export const RESTART_RUN = 3;
/** Largest seq step between two datagrams of a restart run (1: strictly consecutive). */
export const RESTART_RUN_STEP = 4;
/** Restart runs followed at once, so that stray datagrams interleaved with a real new stream cannot keep breaking its run. */
const RESTART_RUNS_TRACKED = 4;

const NO_IFP = new Uint8Array(0);
const SOURCES: readonly ReceivedIfpSource[] = ['primary', 'secondary', 'fec'];
const MAX_ITEMS = Math.max(UDPTL_MAX_SECONDARIES, UDPTL_MAX_FEC_ENTRIES);
/** Largest datagram copied into the receiver's arena; larger ones get a buffer of their own. */
const MAX_STRIDE = 512;

/**
 * Reused result of `UdptlReceiver.receiveInto` / `flushInto`: the `count` IFPs now deliverable,
 * in seq order; IFP k is `buf[k][start[k], end[k])`. The views point into the receiver's ring or
 * into the datagram just given, and stay valid until the receiver's next `receiveInto` /
 * `flushInto` call and while the caller leaves that datagram unchanged; copy what must live longer.
 * Create one and pass it to every call: its arrays grow on demand and are reused.
 */
export class UdptlReceiveBatch {
  count = 0;
  seq = new Int32Array(64);
  source: ReceivedIfpSource[] = new Array<ReceivedIfpSource>(64).fill('primary');
  buf: Uint8Array[] = new Array<Uint8Array>(64).fill(NO_IFP);
  start = new Int32Array(64);
  end = new Int32Array(64);

  /** Appends one IFP view (internal to the receiver; grows the arrays when full). */
  push(seq: number, source: ReceivedIfpSource, buf: Uint8Array, start: number, end: number): void {
    const k = this.count;
    if (k === this.seq.length) this.grow();
    this.seq[k] = seq;
    this.source[k] = source;
    this.buf[k] = buf;
    this.start[k] = start;
    this.end[k] = end;
    this.count = k + 1;
  }

  private grow(): void {
    const n = this.seq.length * 2;
    const seq = new Int32Array(n);
    seq.set(this.seq);
    this.seq = seq;
    const start = new Int32Array(n);
    start.set(this.start);
    this.start = start;
    const end = new Int32Array(n);
    end.set(this.end);
    this.end = end;
    for (let i = this.source.length; i < n; i++) {
      this.source.push('primary');
      this.buf.push(NO_IFP);
    }
  }
}

/**
 * The datagram being processed: the primary and the items (secondaries, newest first, or FEC
 * entries) as offsets into `buf`, which holds the packet in [start, end). One instance, reused.
 */
class PacketRef {
  buf: Uint8Array = NO_IFP;
  start = 0;
  end = 0;
  /** `buf` is a private buffer made for this packet (reassembled fragments): kept as it is. */
  owned = false;
  /** Octets of the datagram the packet took (fewer than given: trailing octets). */
  used = 0;
  seq = 0;
  pStart = 0;
  pEnd = 0;
  fec = false;
  span = 0;
  count = 0;
  /** Item offsets: the view's own arrays after fromView (no copy), these after fromPacket. */
  iStart: Int32Array;
  iEnd: Int32Array;
  private readonly ownStart = new Int32Array(MAX_ITEMS);
  private readonly ownEnd = new Int32Array(MAX_ITEMS);

  constructor() {
    this.iStart = this.ownStart;
    this.iEnd = this.ownEnd;
  }

  fromView(buf: Uint8Array, v: UdptlView, start: number): void {
    this.buf = buf;
    this.start = start;
    this.end = start + v.bytesRead;
    this.used = v.bytesRead;
    this.owned = false;
    this.seq = v.seq;
    this.pStart = v.primaryStart;
    this.pEnd = v.primaryEnd;
    this.fec = v.recovery === 1;
    this.span = v.fecSpan;
    this.count = v.itemCount;
    this.iStart = v.itemStart;
    this.iEnd = v.itemEnd;
  }

  /** A packet from decodeUdptl (fragmented open types): primary and items laid end to end in a new buffer. */
  fromPacket(p: UdptlPacket, used: number): void {
    const items = p.recovery.kind === 'secondary' ? p.recovery.secondaries : p.recovery.entries;
    this.iStart = this.ownStart;
    this.iEnd = this.ownEnd;
    let total = p.primary.length;
    for (const it of items) total += it.length;
    const b = new Uint8Array(total);
    b.set(p.primary, 0);
    let o = p.primary.length;
    this.pStart = 0;
    this.pEnd = o;
    for (let k = 0; k < items.length; k++) {
      const it = items[k] ?? NO_IFP;
      b.set(it, o);
      this.iStart[k] = o;
      this.iEnd[k] = o + it.length;
      o += it.length;
    }
    this.buf = b;
    this.start = 0;
    this.end = total;
    this.used = used;
    this.owned = true;
    this.seq = p.seq;
    this.fec = p.recovery.kind === 'fec';
    this.span = p.recovery.kind === 'fec' ? p.recovery.span : 0;
    this.count = items.length;
  }

  /** The packet now lives at offset `base` of `buf` (copied there from `start`). */
  rebase(buf: Uint8Array, base: number): void {
    const d = this.start - base;
    this.buf = buf;
    this.start = base;
    this.end -= d;
    this.pStart -= d;
    this.pEnd -= d;
    for (let k = 0; k < this.count; k++) {
      this.iStart[k] = (this.iStart[k] ?? 0) - d;
      this.iEnd[k] = (this.iEnd[k] ?? 0) - d;
    }
  }
}

interface HeldDatagram {
  readonly seq: number;
  /** A private copy of the datagram. */
  readonly bytes: Uint8Array;
}

export class UdptlReceiver {
  private readonly maxDepth: number;
  private readonly reorderWindow: number;
  private readonly restartThreshold: number;
  private readonly acceptTrailing: boolean;
  private readonly ifpVersion: T38Version | undefined;
  private readonly ifpView = new IfpView();
  private readonly udptlView = new UdptlView();
  private readonly pkt = new PacketRef();
  /** Restart runs being collected (copies, in arrival order), oldest run first. */
  private readonly runs: HeldDatagram[][] = [];
  /** The batch the allocating wrappers fill. */
  private readonly own = new UdptlReceiveBatch();
  /** Counts receiveInto/flushInto calls. */
  private epoch = 0;

  // The ring, indexed by extended seq & mask. It starts with room for the open zone and the
  // secondaries of one datagram only and grows to `fullMask + 1` slots (room for the parity
  // look-back too) at the first datagram carrying fec-info: a redundancy stream never needs
  // the history, and every slot keeps a datagram copy.
  /** Mask of the ring a parity stream needs (the ring's size before growth made lazy). */
  private readonly fullMask: number;
  /**
   * Duplicate detection over the whole span the full ring would remember, without keeping
   * anything else: primExt[x & fullMask] === x while the primary of x has been received since
   * x was opened (x is cleared when it, or a seq sharing its entry, is opened).
   */
  private readonly primExt: Float64Array;
  private mask: number;
  private slotExt: Float64Array;
  private slotState: Uint8Array;
  private slotSource: Uint8Array;
  private slotFecCovered: Uint8Array;
  /** The slot's IFP: slotBuf[i][slotStart, slotStart + slotLen), a view of a stored datagram or of a repair buffer. */
  private slotBuf: Uint8Array[];
  private slotStart: Int32Array;
  private slotLen: Int32Array;
  /** Which buffer slotBuf is: i < size the datagram store i, size + t the repair buffer of slot t. */
  private slotOwner: Int32Array;
  /** Copy of the datagram whose primary is the slot's seq (grow-only). */
  private store: Uint8Array[];
  /**
   * Where datagram copies normally go: slot i's region [i × stride, (i + 1) × stride) (store[i] is
   * then the arena, and offsets into it are absolute). One array for the ring instead of one per
   * slot; a larger datagram makes a new arena (the old one stays as it is while views of it live).
   */
  private arena: Uint8Array = NO_IFP;
  private stride = 0;
  /** Slot i's own buffer for what does not go into the arena (made when first needed). */
  private ownBuf: Uint8Array[] = [];
  /** Parity-restored IFP of the slot (grow-only, allocated at the first repair). */
  private repaired: Uint8Array[];
  /** Per owner (as slotOwner): the epoch of the call that last reported a view of it to the caller. */
  private lent: Float64Array;
  /** Parity block carried by the slot's seq (in the slot's store): span, entry count (0: none), entry offsets. */
  private fecSpan: Int32Array;
  private fecCount: Uint8Array;
  /** Allocated at the first parity block (redundancy-only streams never need it). */
  private fecStart: Int32Array | null = null;
  private fecEnd: Int32Array | null = null;

  private started = false;
  /** A datagram with fec-info has been processed: from then on every IFP used is kept (copied) for parity repair. */
  private parity = false;
  /** Next extended seq to deliver or declare lost. */
  private expectedExt = 0;
  /** Highest extended seq with an initialised slot. */
  private highestExt = -1;
  /** MISSING slots in the open zone: parity work is skipped entirely when there are none. */
  private missing = 0;
  /** Work list for parity repair: seqs that became known (a stack), and seqs that brought a parity block. */
  private newlyKnown: Float64Array;
  private knownCount = 0;
  private readonly newBlocks = new Float64Array(4);
  private blockCount = 0;

  private readonly stats: UdptlReceiverStats = {
    datagrams: 0,
    malformed: 0,
    trailingBytes: 0,
    primaries: 0,
    recoveredFromSecondary: 0,
    recoveredFromFec: 0,
    lost: 0,
    duplicates: 0,
    late: 0,
    reordered: 0,
    zeroLengthSecondaries: 0,
    zeroLengthPrimaries: 0,
    restarts: 0,
    suspectJumps: 0,
    restartCandidates: 0,
    fecUnrecoverable: 0,
    fecIgnored: 0,
  };

  constructor(options: UdptlReceiverOptions = {}) {
    this.maxDepth = checkInt(options.maxDepth ?? UDPTL_MAX_SECONDARIES, 0, UDPTL_MAX_SECONDARIES, 'maxDepth');
    this.reorderWindow = checkInt(options.reorderWindow ?? 0, 0, MAX_REORDER_WINDOW, 'reorderWindow');
    this.restartThreshold = checkInt(options.restartThreshold ?? DEFAULT_RESTART_THRESHOLD, this.reorderWindow + 2, 0x8000, 'restartThreshold');
    this.acceptTrailing = options.acceptTrailingBytes ?? false;
    this.ifpVersion = options.ifpVersion;
    // Room for the open zone, the parity look-back and the secondaries of one datagram.
    let full = 1;
    while (full < this.reorderWindow + UDPTL_MAX_FEC_COVERAGE + UDPTL_MAX_SECONDARIES + 2) full *= 2;
    this.fullMask = full - 1;
    this.primExt = new Float64Array(full).fill(-1);
    // Without parity: the open zone and the secondaries of one datagram.
    let size = 1;
    while (size < this.reorderWindow + UDPTL_MAX_SECONDARIES + 2) size *= 2;
    this.mask = size - 1;
    this.slotExt = new Float64Array(size).fill(-1);
    this.slotState = new Uint8Array(size);
    this.slotSource = new Uint8Array(size);
    this.slotFecCovered = new Uint8Array(size);
    this.slotBuf = new Array<Uint8Array>(size).fill(NO_IFP);
    this.slotStart = new Int32Array(size);
    this.slotLen = new Int32Array(size);
    this.slotOwner = new Int32Array(size);
    this.store = new Array<Uint8Array>(size).fill(NO_IFP);
    this.repaired = new Array<Uint8Array>(size).fill(NO_IFP);
    this.lent = new Float64Array(2 * size).fill(-1);
    this.fecSpan = new Int32Array(size);
    this.fecCount = new Uint8Array(size);
    // Each seq becomes known at most once per datagram processed, plus one per secondary.
    this.newlyKnown = new Float64Array(size + MAX_ITEMS + 2);
  }

  /**
   * Grows the ring to the full size a parity stream needs (once, at its first fec-info), moving
   * every slot to its index in the larger ring. Done before the datagram is processed, so that
   * it sees the same ring as if it had always been full; what the smaller ring had already
   * forgotten (seqs more than its size back) stays unknown, which only matters to a stream that
   * switches from redundancy to parity (nothing does: the recovery mode is negotiated once).
   */
  private growRing(): void {
    const oldSize = this.mask + 1;
    const size = this.fullMask + 1;
    const mask = this.fullMask;
    const slotExt = new Float64Array(size).fill(-1);
    const slotState = new Uint8Array(size);
    const slotSource = new Uint8Array(size);
    const slotFecCovered = new Uint8Array(size);
    const slotBuf = new Array<Uint8Array>(size).fill(NO_IFP);
    const slotStart = new Int32Array(size);
    const slotLen = new Int32Array(size);
    const slotOwner = new Int32Array(size);
    const store = new Array<Uint8Array>(size).fill(NO_IFP);
    const repaired = new Array<Uint8Array>(size).fill(NO_IFP);
    const lent = new Float64Array(2 * size).fill(-1);
    // Old index → new index (-1: never used).
    const map = new Int32Array(oldSize).fill(-1);
    for (let i = 0; i < oldSize; i++) {
      const x = this.slotExt[i] ?? -1;
      if (x >= 0) map[i] = x & mask;
    }
    for (let i = 0; i < oldSize; i++) {
      const j = map[i] ?? -1;
      if (j < 0) continue;
      slotExt[j] = this.slotExt[i] ?? -1;
      slotState[j] = this.slotState[i] ?? 0;
      slotSource[j] = this.slotSource[i] ?? 0;
      slotFecCovered[j] = this.slotFecCovered[i] ?? 0;
      slotBuf[j] = this.slotBuf[i] ?? NO_IFP;
      slotStart[j] = this.slotStart[i] ?? 0;
      slotLen[j] = this.slotLen[i] ?? 0;
      const o = this.slotOwner[i] ?? 0;
      // A live view's store belongs to a seq still in the ring (see adopt), so it has a new index.
      slotOwner[j] = o < oldSize ? Math.max(0, map[o] ?? 0) : size + Math.max(0, map[o - oldSize] ?? 0);
      store[j] = this.store[i] ?? NO_IFP;
      repaired[j] = this.repaired[i] ?? NO_IFP;
      lent[j] = this.lent[i] ?? -1;
      lent[size + j] = this.lent[oldSize + i] ?? -1;
    }
    this.mask = mask;
    this.slotExt = slotExt;
    this.slotState = slotState;
    this.slotSource = slotSource;
    this.slotFecCovered = slotFecCovered;
    this.slotBuf = slotBuf;
    this.slotStart = slotStart;
    this.slotLen = slotLen;
    this.slotOwner = slotOwner;
    this.store = store;
    // The next datagram makes an arena for the larger ring; the old one (and the slots' own
    // buffers) stay as they are for the views of them that live.
    this.arena = NO_IFP;
    this.stride = 0;
    this.ownBuf = [];
    this.repaired = repaired;
    this.lent = lent;
    this.fecSpan = new Int32Array(size);
    this.fecCount = new Uint8Array(size);
    this.newlyKnown = new Float64Array(size + MAX_ITEMS + 2);
  }

  /** The first parity block: the ring grows to the parity look-back, and IFPs are kept from now on. */
  private enterParity(): void {
    this.parity = true;
    if (this.mask !== this.fullMask) this.growRing();
  }

  /** Processes one datagram; returns the IFPs that became deliverable, in seq order (fresh copies). */
  receive(datagram: Uint8Array): ReceivedIfp[] {
    this.receiveInto(datagram, this.own);
    return this.copyOut(this.own);
  }

  /**
   * The allocation-free receive: processes the datagram `datagram[start, end)` and reports the
   * IFPs that became deliverable in `out` (reset first), as views of the receiver's own copies or
   * of `datagram` itself, valid until the next `receiveInto` / `flushInto` call and only while
   * the caller leaves `datagram` unchanged. The receiver keeps nothing of `datagram` past the
   * call (what it must keep, it copies). Same decisions and statistics as `receive`. Fastest with
   * a whole array (start 0, end its length): it is then stored, when it must be, with one memcpy.
   */
  receiveInto(datagram: Uint8Array, out: UdptlReceiveBatch, start = 0, end = datagram.length): void {
    out.count = 0;
    this.epoch++;
    const st = this.stats;
    st.datagrams++;
    // Decoded leniently so that trailing octets can be counted apart, then judged by policy.
    const u = this.udptlView;
    if (decodeUdptlView(datagram, u, true, start, end)) {
      const ext = this.expectedExt;
      if (!this.parity && this.started && u.recovery === 0 && u.seq === (ext & 0xffff) && ext > this.highestExt && u.primaryEnd > u.primaryStart && u.bytesRead === end - start) {
        // The steady state, straight from the view: what `process` → `inOrder` would do (no
        // trailing octets, no seq jump: the next expected seq with nothing open).
        this.passThrough(out, ext, datagram, u.primaryStart, u.primaryEnd, u.itemCount, u.itemStart, u.itemEnd);
        return;
      }
      this.pkt.fromView(datagram, u, start);
    } else if (!this.decodeRare(datagram, start, end)) {
      st.malformed++;
      return;
    }
    const pkt = this.pkt;
    if (pkt.used < end - start) {
      st.trailingBytes++;
      if (!this.acceptTrailing) {
        st.malformed++;
        return;
      }
    }

    if (!this.started) {
      // The first datagram fixes the expected seq: it must be evidence too.
      if (!this.validIfp(pkt.buf, pkt.pStart, pkt.pEnd)) {
        st.suspectJumps++;
        return;
      }
      this.start(pkt);
    } else {
      const diff = seqDiff(pkt.seq, this.expectedExt & 0xffff);
      const jump = diff >= this.restartThreshold || diff <= -this.restartThreshold;
      if (jump || diff > this.reorderWindow + 1) {
        const valid = this.validIfp(pkt.buf, pkt.pStart, pkt.pEnd);
        if (!valid) {
          st.suspectJumps++;
          return;
        }
        if (jump) {
          this.collectRun(datagram, start, end, out);
          return;
        }
      }
    }
    this.process(out);
  }

  /** Decodes `buf[start, end)` into `this.pkt` (trailing octets allowed); false when malformed. */
  private decode(buf: Uint8Array, start: number, end: number): boolean {
    const u = this.udptlView;
    if (decodeUdptlView(buf, u, true, start, end)) {
      this.pkt.fromView(buf, u, start);
      return true;
    }
    return this.decodeRare(buf, start, end);
  }

  /** After `decodeUdptlView` failed on `buf[start, end)`: a fragmented open type is reassembled into `this.pkt`; false when malformed. */
  private decodeRare(buf: Uint8Array, start: number, end: number): boolean {
    if (this.udptlView.errorCode !== 'fragmented') return false;
    // A ≥ 16K open type needs reassembly: the allocating decoder (rare).
    const res = decodeUdptl(buf.subarray(start, end), { allowTrailingBytes: true });
    if (!res.ok) return false;
    this.pkt.fromPacket(res.value, res.bytesRead);
    return true;
  }

  /** True when `buf[start, end)` is non-empty and decodes (T.38 Annex A) in `ifpVersion` or either module. */
  private validIfp(buf: Uint8Array, start: number, end: number): boolean {
    if (end <= start) return false;
    const v = this.ifpView;
    if (this.ifpVersion !== undefined) return decodeIfpView(buf, this.ifpVersion, v, start, end);
    return decodeIfpView(buf, 0, v, start, end) || decodeIfpView(buf, 2, v, start, end);
  }

  /** The current datagram (valid, jumped ≥ restartThreshold) extends (or starts) a run; restarts when complete. */
  private collectRun(datagram: Uint8Array, start: number, end: number, out: UdptlReceiveBatch): void {
    this.stats.restartCandidates++;
    const pkt = this.pkt;
    const seq = pkt.seq;
    let run: HeldDatagram[] | undefined;
    for (const r of this.runs) {
      const last = r[r.length - 1];
      if (last === undefined) continue;
      const step = seqDiff(seq, last.seq);
      if (step === 0) {
        this.stats.duplicates++;
        return;
      }
      if (step >= 1 && step <= RESTART_RUN_STEP) {
        run = r;
        break;
      }
    }
    if (run === undefined) {
      // A new run; the oldest is forgotten beyond RESTART_RUNS_TRACKED (bounded memory).
      run = [];
      this.runs.push(run);
      if (this.runs.length > RESTART_RUNS_TRACKED) this.runs.shift();
    }
    // Held past this call: a copy (the caller's buffer may be reused).
    run.push({ seq, bytes: datagram.slice(start, end) });
    if (run.length < RESTART_RUN) return;
    const held = run;
    this.runs.length = 0;
    this.stats.restarts++;
    this.drainAll(out);
    this.reset();
    let first = true;
    for (const h of held) {
      // Decoded before: decodes again the same way.
      if (!this.decode(h.bytes, 0, h.bytes.length)) continue;
      if (first) this.start(this.pkt);
      first = false;
      this.process(out);
    }
  }

  /** One decoded datagram within reach of the expected seq (or the first of a stream). */
  private process(out: UdptlReceiveBatch): void {
    const pkt = this.pkt;
    // In order with nothing open (the steady state of a clean stream): the general path below
    // reduced to what it does in this case (same state, statistics and output).
    if (pkt.seq === (this.expectedExt & 0xffff) && this.expectedExt > this.highestExt && pkt.pEnd > pkt.pStart) {
      this.inOrder(out);
      return;
    }
    const st = this.stats;
    const diff = seqDiff(pkt.seq, this.expectedExt & 0xffff);
    const ext = this.expectedExt + diff;
    const had = this.primExt[ext & this.fullMask] === ext;

    if (diff < 0) {
      if (had) st.duplicates++;
      else st.late++;
      return;
    }
    if (ext <= this.highestExt && had) {
      st.duplicates++;
      return;
    }
    if (pkt.fec) this.enterParity();
    if (ext > this.highestExt) this.advanceTo(ext, out);
    const idx = ext & this.mask;

    this.adopt(idx);
    this.storePrimary(ext, idx);
    if (pkt.fec) this.storeFec(ext);
    else this.storeSecondaries(ext, idx);
    // A new IFP or parity block may complete a group while something is missing.
    this.recoverFromFec();
    this.deliver(out);
  }

  /**
   * `process` for the next expected seq when every seq before it is settled (expectedExt ===
   * highestExt + 1, so nothing is MISSING) and the primary is non-empty: opens the seq's slot,
   * stores the datagram, delivers the primary at once. Every secondary is of a seq already
   * settled (x ≤ ext − 1 < expectedExt), so only zero-length ones are counted; a parity block
   * covers only settled seqs (at most ext − 1), so nothing can become repairable.
   */
  private inOrder(out: UdptlReceiveBatch): void {
    const pkt = this.pkt;
    const ext = this.expectedExt;
    const fec = pkt.fec;
    if (!fec && !this.parity && !pkt.owned) {
      this.passThrough(out, ext, pkt.buf, pkt.pStart, pkt.pEnd, pkt.count, pkt.iStart, pkt.iEnd);
      return;
    }
    if (fec) this.enterParity();
    const i = ext & this.mask;
    this.primExt[ext & this.fullMask] = ext;
    this.slotExt[i] = ext;
    // slotSource and slotFecCovered are read only while a slot is HAVE / MISSING, never here.
    this.fecCount[i] = 0;
    this.highestExt = ext;
    if (!fec) {
      const n = Math.min(pkt.count, this.maxDepth);
      const is = pkt.iStart;
      const ie = pkt.iEnd;
      for (let k = 0; k < n; k++) if (ie[k] === is[k]) this.stats.zeroLengthSecondaries++;
    }
    let buf: Uint8Array;
    let ps: number;
    let pe: number;
    const len = pkt.end - pkt.start;
    if (!fec && !pkt.owned && len <= this.stride && this.lent[i] !== this.epoch) {
      // adopt() for the common case: only the primary's offsets are needed after the copy (the
      // secondaries are of settled seqs).
      const arena = this.arena;
      const base = i * this.stride;
      const src = pkt.buf;
      const s0 = pkt.start;
      arena.set(s0 === 0 && len === src.length ? src : src.subarray(s0, pkt.end), base);
      if (this.store[i] !== arena) this.store[i] = arena;
      buf = arena;
      ps = pkt.pStart - s0 + base;
      pe = pkt.pEnd - s0 + base;
    } else {
      this.adopt(i);
      buf = pkt.buf;
      ps = pkt.pStart;
      pe = pkt.pEnd;
    }
    this.point(i, buf, ps, pe, i);
    if (fec) {
      this.storeFec(ext);
      this.blockCount = 0;
    }
    this.stats.primaries++;
    out.push(ext & 0xffff, 'primary', buf, ps, pe);
    this.lent[i] = this.epoch;
    this.slotState[i] = DELIVERED;
    this.expectedExt = ext + 1;
  }

  /**
   * `inOrder` for a redundancy stream that has never carried parity (the steady state of nearly
   * every call): the primary `buf[ps, pe)` is delivered as a view of the caller's own datagram
   * and not kept. Nothing needs it later: its seq is settled, and without parity (T.38 Annex D.2,
   * the mode negotiated once for the call by T38FaxUdpEC) no IFP is ever rebuilt from the ones
   * around it. If a stream does turn to parity, groups reaching back to these seqs are unknown,
   * as before the stream. The secondaries (of settled seqs) are only counted when empty.
   */
  private passThrough(out: UdptlReceiveBatch, ext: number, buf: Uint8Array, ps: number, pe: number, count: number, is: Int32Array, ie: Int32Array): void {
    const i = ext & this.mask;
    this.primExt[ext & this.fullMask] = ext;
    this.slotExt[i] = ext;
    this.fecCount[i] = 0;
    this.highestExt = ext;
    const st = this.stats;
    const n = Math.min(count, this.maxDepth);
    for (let k = 0; k < n; k++) if (ie[k] === is[k]) st.zeroLengthSecondaries++;
    st.primaries++;
    out.push(ext & 0xffff, 'primary', buf, ps, pe);
    this.slotState[i] = UNKEPT;
    this.expectedExt = ext + 1;
  }

  /**
   * Keeps the current packet in the store of its seq's slot `id` and points `pkt` at that copy.
   * The store's previous datagram described seqs that have all left the ring (see the module
   * comment); if a view of it was reported in this very call, a new buffer keeps that view intact.
   */
  private adopt(id: number): void {
    const pkt = this.pkt;
    if (pkt.owned) {
      this.store[id] = pkt.buf;
      pkt.owned = false;
      return;
    }
    const n = pkt.end - pkt.start;
    let r: Uint8Array;
    let base = 0;
    if (this.lent[id] === this.epoch || n > MAX_STRIDE) {
      // A view of this slot's copy was reported in this very call (a restart replay), or an
      // oversize datagram: a buffer of the slot's own (grow-only, fresh when lent).
      r = this.ownBuf[id] ?? NO_IFP;
      if (r.length < n || this.lent[id] === this.epoch) {
        r = new Uint8Array(Math.max(n, 128));
        this.ownBuf[id] = r;
      }
    } else {
      if (n > this.stride) {
        // Strides of 64, 128, 256, 512: a stream's datagram sizes make a new arena a few times at most.
        let st = 64;
        while (st < n) st *= 2;
        this.stride = st;
        this.arena = new Uint8Array((this.mask + 1) * st);
      }
      r = this.arena;
      base = id * this.stride;
    }
    this.store[id] = r;
    const src = pkt.buf;
    r.set(pkt.start === 0 && pkt.end === src.length ? src : src.subarray(pkt.start, pkt.end), base);
    pkt.rebase(r, base);
  }

  /**
   * True while a gap is held open: IFPs received behind a missing seq wait for it (only with a
   * reorder window). The receiver has no clock; a driver that bounds the wait in time calls
   * `flush()` when it has waited long enough.
   */
  get holding(): boolean {
    return this.started && this.expectedExt <= this.highestExt;
  }

  /** End of stream (or of the wait): delivers everything held, declaring what is still missing lost. */
  flush(): ReceivedIfp[] {
    this.flushInto(this.own);
    return this.copyOut(this.own);
  }

  /** `flush` into a reused batch (views valid until the next receiveInto / flushInto call). */
  flushInto(out: UdptlReceiveBatch): void {
    out.count = 0;
    this.epoch++;
    this.drainAll(out);
  }

  getStats(): UdptlReceiverStats {
    return { ...this.stats };
  }

  // -------------------------------------------------------------------------------------------

  private copyOut(b: UdptlReceiveBatch): ReceivedIfp[] {
    const res: ReceivedIfp[] = [];
    for (let k = 0; k < b.count; k++) {
      res.push({ seq: b.seq[k] ?? 0, ifp: (b.buf[k] ?? NO_IFP).slice(b.start[k], b.end[k]), source: b.source[k] ?? 'primary' });
    }
    return res;
  }

  private start(pkt: PacketRef): void {
    const ext = EXT_BASE + pkt.seq;
    let first = ext;
    if (!pkt.fec) {
      // Join the stream at the oldest secondary of the first datagram, as long as the run of
      // non-empty secondaries from seq−1 back is unbroken (a zero-length one would make a hole
      // that could only be counted as a phantom loss).
      const n = Math.min(pkt.count, this.maxDepth);
      for (let i = 0; i < n && (pkt.iEnd[i] ?? 0) > (pkt.iStart[i] ?? 0); i++) first = ext - 1 - i;
    }
    this.expectedExt = first;
    this.highestExt = first - 1;
    this.started = true;
  }

  private reset(): void {
    this.slotExt.fill(-1);
    this.primExt.fill(-1);
    this.slotLen.fill(0);
    this.fecCount.fill(0);
    this.missing = 0;
    this.knownCount = 0;
    this.blockCount = 0;
    this.started = false;
  }

  private point(i: number, buf: Uint8Array, start: number, end: number, owner: number): void {
    this.slotBuf[i] = buf;
    this.slotStart[i] = start;
    this.slotLen[i] = end - start;
    this.slotOwner[i] = owner;
  }

  /** Makes `ext` the highest seq, first settling the seqs whose slots it would reuse. */
  private advanceTo(ext: number, out: UdptlReceiveBatch): void {
    const size = this.mask + 1;
    const limit = ext - size; // seqs ≤ limit share a slot with one in (limit, ext]
    while (this.expectedExt <= limit && this.expectedExt <= this.highestExt) this.settleOne(out);
    if (this.expectedExt <= limit) {
      // Never seen and out of reach of any repair: lost in bulk.
      this.stats.lost += limit - this.expectedExt + 1;
      this.expectedExt = limit + 1;
    }
    // Every seq the full ring would open now forgets its primary (see primExt).
    for (let x = Math.max(this.highestExt + 1, ext - this.fullMask); x <= ext; x++) this.primExt[x & this.fullMask] = -1;
    for (let x = Math.max(this.highestExt + 1, this.expectedExt); x <= ext; x++) {
      const i = x & this.mask;
      this.slotExt[i] = x;
      this.slotState[i] = MISSING;
      this.missing++;
      this.slotFecCovered[i] = 0;
      this.slotLen[i] = 0;
      this.fecCount[i] = 0;
    }
    this.highestExt = ext;
  }

  private storePrimary(ext: number, id: number): void {
    const pkt = this.pkt;
    const i = ext & this.mask;
    this.primExt[ext & this.fullMask] = ext;
    const state = this.slotState[i];
    // A later seq came first and the gap was still open: the reorder window paid off.
    if (state === MISSING && ext < this.highestExt) this.stats.reordered++;
    if (pkt.pEnd === pkt.pStart) {
      this.stats.zeroLengthPrimaries++;
      if (state === MISSING) {
        this.slotState[i] = EMPTY;
        this.slotLen[i] = 0;
        this.becameKnown(ext);
      }
      return;
    }
    if (state === MISSING) this.becameKnown(ext);
    if (state === MISSING || state === HAVE) {
      // A primary is authoritative: it also replaces a restored copy (exact length, no padding).
      this.slotState[i] = HAVE;
      this.slotSource[i] = SRC_PRIMARY;
      this.point(i, pkt.buf, pkt.pStart, pkt.pEnd, id);
    }
  }

  private storeSecondaries(ext: number, id: number): void {
    const pkt = this.pkt;
    const n = Math.min(pkt.count, this.maxDepth);
    for (let k = 0; k < n; k++) {
      const s = pkt.iStart[k] ?? 0;
      const e = pkt.iEnd[k] ?? 0;
      if (e === s) {
        // AST-2016-003: legal to encode, meaningless as an IFP; ignored at its own position.
        this.stats.zeroLengthSecondaries++;
        continue;
      }
      const x = ext - 1 - k;
      if (x < this.expectedExt) continue;
      const i = x & this.mask;
      if (this.slotExt[i] !== x) continue;
      const state = this.slotState[i];
      // A copy is exact; it also replaces a parity-restored one still held (which may be padded).
      if (state === MISSING || (state === HAVE && this.slotSource[i] === SRC_FEC)) {
        if (state === MISSING) this.becameKnown(x);
        this.slotState[i] = HAVE;
        this.slotSource[i] = SRC_SECONDARY;
        this.point(i, pkt.buf, s, e, id);
      }
    }
  }

  /** Keeps a fec-info block with the seq that carried it (its entries stay in that seq's store). */
  private storeFec(ext: number): void {
    const pkt = this.pkt;
    const e = pkt.count;
    const span = pkt.span;
    if (span === 0 || e === 0) return; // wind-up: nothing covered yet
    if (span * e > UDPTL_MAX_FEC_COVERAGE) {
      this.stats.fecIgnored++;
      return;
    }
    const i = ext & this.mask;
    const fs = (this.fecStart ??= new Int32Array((this.mask + 1) * UDPTL_MAX_FEC_ENTRIES));
    const fe = (this.fecEnd ??= new Int32Array((this.mask + 1) * UDPTL_MAX_FEC_ENTRIES));
    const base = i * UDPTL_MAX_FEC_ENTRIES;
    for (let m = 0; m < e; m++) {
      fs[base + m] = pkt.iStart[m] ?? 0;
      fe[base + m] = pkt.iEnd[m] ?? 0;
    }
    this.fecSpan[i] = span;
    this.fecCount[i] = e;
    this.newBlocks[this.blockCount++] = ext;
    // Remember which missing seqs had parity, for the fecUnrecoverable count.
    for (let m = 0; m < e; m++) {
      for (let k = 0; k < span; k++) {
        const x = ext + m - span * e + k * e;
        const j = x & this.mask;
        if (x >= this.expectedExt && this.slotExt[j] === x && this.slotState[j] === MISSING) this.slotFecCovered[j] = 1;
      }
    }
  }

  private becameKnown(x: number): void {
    this.missing--;
    this.newlyKnown[this.knownCount++] = x;
  }

  /**
   * Iterative parity repair (see module comment), event driven: a group can only become
   * repairable when its block arrives or when one of its members becomes known, so only those
   * groups are examined; every repair is itself a new known member. Reaches the same fixpoint as
   * re-scanning every group until nothing changes, at a cost proportional to what changed.
   */
  private recoverFromFec(): void {
    if (this.missing === 0 || this.fecStart === null) {
      this.knownCount = 0;
      this.blockCount = 0;
      return;
    }
    for (let b = 0; b < this.blockCount; b++) {
      const q = this.newBlocks[b] ?? 0;
      const e = this.fecCount[q & this.mask] ?? 0;
      for (let m = 0; m < e; m++) this.repairGroup(q, m);
    }
    this.blockCount = 0;
    while (this.knownCount > 0 && this.missing > 0) {
      const x = this.newlyKnown[--this.knownCount] ?? 0;
      // Blocks that can cover x were carried by seqs x+1 .. x+UDPTL_MAX_FEC_COVERAGE.
      const last = Math.min(this.highestExt, x + UDPTL_MAX_FEC_COVERAGE);
      for (let q = x + 1; q <= last; q++) {
        const j = q & this.mask;
        const e = this.fecCount[j] ?? 0;
        if (e === 0 || this.slotExt[j] !== q) continue;
        const first = q - (this.fecSpan[j] ?? 0) * e;
        if (x < first) continue;
        this.repairGroup(q, (x - first) % e);
      }
    }
    this.knownCount = 0;
  }

  /** Tries to restore the single missing member of group m of the block carried by seq q. */
  private repairGroup(q: number, m: number): boolean {
    const qi = q & this.mask;
    const s = this.fecSpan[qi] ?? 0;
    const e = this.fecCount[qi] ?? 0;
    const fb = this.store[qi] ?? NO_IFP;
    if (this.fecStart === null || this.fecEnd === null) return false;
    const pStart = this.fecStart[qi * UDPTL_MAX_FEC_ENTRIES + m] ?? 0;
    const pLen = (this.fecEnd[qi * UDPTL_MAX_FEC_ENTRIES + m] ?? 0) - pStart;
    let target = -1;
    for (let k = 0; k < s; k++) {
      const x = q + m - s * e + k * e;
      const i = x & this.mask;
      if (this.slotExt[i] !== x) return false; // before the stream or no longer held: unknown
      const state = this.slotState[i];
      if (state === MISSING) {
        if (target >= 0) return false; // two missing: not (yet) repairable
        target = x;
      } else if (state === LOST || state === UNKEPT) {
        return false;
      } else if (!this.fitsUnder(i, pLen)) {
        return false; // a member longer than the parity: inconsistent block, do not trust it
      }
    }
    if (target < 0 || pLen === 0) return false;
    const t = target & this.mask;
    const owner = this.mask + 1 + t;
    let r = this.repaired[t] ?? NO_IFP;
    if (r.length < pLen || this.lent[owner] === this.epoch) {
      r = new Uint8Array(Math.max(pLen, 64, r.length));
      this.repaired[t] = r;
    }
    for (let j = 0; j < pLen; j++) r[j] = fb[pStart + j] ?? 0;
    for (let k = 0; k < s; k++) {
      const x = q + m - s * e + k * e;
      if (x === target) continue;
      const i = x & this.mask;
      const member = this.slotBuf[i] ?? NO_IFP;
      const ms = this.slotStart[i] ?? 0;
      const n = Math.min(this.slotLen[i] ?? 0, pLen); // beyond: zeros (checked above)
      for (let j = 0; j < n; j++) r[j] = (r[j] ?? 0) ^ (member[ms + j] ?? 0);
    }
    this.point(t, r, 0, pLen, owner);
    this.slotState[t] = HAVE;
    this.slotSource[t] = SRC_FEC;
    this.becameKnown(target);
    return true;
  }

  /**
   * True when slot i's IFP has nothing but zeros from `len` on. A restored IFP carries its
   * group's length (zero padding), which can exceed the parity length of another group it belongs to.
   */
  private fitsUnder(i: number, len: number): boolean {
    const b = this.slotBuf[i] ?? NO_IFP;
    const s = this.slotStart[i] ?? 0;
    const n = this.slotLen[i] ?? 0;
    for (let j = len; j < n; j++) if (b[s + j] !== 0) return false;
    return true;
  }

  /** Delivers in order; declares missing seqs lost once they are older than the reorder window. */
  private deliver(out: UdptlReceiveBatch): void {
    while (this.expectedExt <= this.highestExt) {
      const i = this.expectedExt & this.mask;
      if (this.slotState[i] === MISSING && this.highestExt - this.expectedExt <= this.reorderWindow) break;
      this.settleOne(out);
    }
  }

  private drainAll(out: UdptlReceiveBatch): void {
    if (!this.started) return;
    while (this.expectedExt <= this.highestExt) this.settleOne(out);
  }

  /** Delivers or declares lost the seq `expectedExt`, then moves on. */
  private settleOne(out: UdptlReceiveBatch): void {
    const x = this.expectedExt;
    const i = x & this.mask;
    const st = this.stats;
    const state = this.slotState[i];
    if (state === HAVE) {
      const src = this.slotSource[i] ?? SRC_PRIMARY;
      if (src === SRC_PRIMARY) st.primaries++;
      else if (src === SRC_SECONDARY) st.recoveredFromSecondary++;
      else st.recoveredFromFec++;
      const s = this.slotStart[i] ?? 0;
      out.push(x & 0xffff, SOURCES[src] ?? 'primary', this.slotBuf[i] ?? NO_IFP, s, s + (this.slotLen[i] ?? 0));
      this.lent[this.slotOwner[i] ?? 0] = this.epoch;
      this.slotState[i] = DELIVERED;
    } else if (state === MISSING) {
      st.lost++;
      if (this.slotFecCovered[i] === 1) st.fecUnrecoverable++;
      this.slotState[i] = LOST;
      this.missing--;
    }
    // EMPTY (zero-length primary): nothing to deliver, nothing lost.
    this.expectedExt = x + 1;
  }
}
