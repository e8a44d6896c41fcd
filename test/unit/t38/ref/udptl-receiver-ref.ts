/**
 * REFERENCE ONLY: src/t38/udptl-receiver.ts exactly as it was at commit 09045e4 (before the allocation-free
 * path), kept so the differential tests compare the new code against today's behaviour on random
 * inputs. Only the imports and the class name changed. Do not use outside tests.
 */
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
 * Memory is bounded: one ring of slots (seq, state, IFP, FEC data) sized from reorderWindow.
 */

import { checkInt } from '../../../../src/util/check.js';
import { seqDiff } from '../../../../src/util/seq.js';
import { decodeIfpView, IfpView, type T38Version } from '../../../../src/t38/ifp.js';
import { UDPTL_MAX_FEC_COVERAGE, UDPTL_MAX_SECONDARIES, decodeUdptl, type UdptlPacket } from '../../../../src/t38/udptl.js';

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

interface FecRecord {
  readonly span: number;
  readonly entries: Uint8Array[];
}

/**
 * True when `ifp` has nothing but zeros from `len` on. A restored IFP carries its group's length
 * (zero padding), which can exceed the parity length of another group it belongs to.
 */
function fitsUnder(ifp: Uint8Array, len: number): boolean {
  for (let j = len; j < ifp.length; j++) if (ifp[j] !== 0) return false;
  return true;
}

export class RefUdptlReceiver {
  private readonly maxDepth: number;
  private readonly reorderWindow: number;
  private readonly restartThreshold: number;
  private readonly acceptTrailing: boolean;
  private readonly ifpVersion: T38Version | undefined;
  private readonly ifpView = new IfpView();
  /** Restart runs being collected (decoded packets, in arrival order), oldest run first. */
  private readonly runs: UdptlPacket[][] = [];

  // The ring, indexed by extended seq & mask.
  private readonly mask: number;
  private readonly slotExt: Float64Array;
  private readonly slotState: Uint8Array;
  private readonly slotSource: Uint8Array;
  private readonly slotPrimary: Uint8Array;
  private readonly slotFecCovered: Uint8Array;
  private readonly slotIfp: Uint8Array[];
  private readonly slotFec: (FecRecord | null)[];

  private started = false;
  /** Next extended seq to deliver or declare lost. */
  private expectedExt = 0;
  /** Highest extended seq with an initialised slot. */
  private highestExt = -1;
  /** MISSING slots in the open zone: parity work is skipped entirely when there are none. */
  private missing = 0;
  /** Work list for parity repair: seqs that became known, and seqs that brought a parity block. */
  private readonly newlyKnown: number[] = [];
  private readonly newBlocks: number[] = [];

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
    let size = 1;
    while (size < this.reorderWindow + UDPTL_MAX_FEC_COVERAGE + UDPTL_MAX_SECONDARIES + 2) size *= 2;
    this.mask = size - 1;
    this.slotExt = new Float64Array(size).fill(-1);
    this.slotState = new Uint8Array(size);
    this.slotSource = new Uint8Array(size);
    this.slotPrimary = new Uint8Array(size);
    this.slotFecCovered = new Uint8Array(size);
    this.slotIfp = new Array<Uint8Array>(size).fill(NO_IFP);
    this.slotFec = new Array<FecRecord | null>(size).fill(null);
  }

  /** Processes one datagram; returns the IFPs that became deliverable, in seq order. */
  receive(datagram: Uint8Array): ReceivedIfp[] {
    const st = this.stats;
    st.datagrams++;
    // Decoded leniently so that trailing octets can be counted apart, then judged by policy.
    const res = decodeUdptl(datagram, { allowTrailingBytes: true });
    if (!res.ok) {
      st.malformed++;
      return [];
    }
    if (res.bytesRead < datagram.length) {
      st.trailingBytes++;
      if (!this.acceptTrailing) {
        st.malformed++;
        return [];
      }
    }
    const pkt = res.value;
    const out: ReceivedIfp[] = [];

    if (!this.started) {
      // The first datagram fixes the expected seq: it must be evidence too.
      if (!this.validIfp(pkt.primary)) {
        st.suspectJumps++;
        return out;
      }
      this.start(pkt);
    } else {
      const diff = seqDiff(pkt.seq, this.expectedExt & 0xffff);
      const jump = diff >= this.restartThreshold || diff <= -this.restartThreshold;
      if (jump || diff > this.reorderWindow + 1) {
        const valid = this.validIfp(pkt.primary);
        if (!valid) {
          st.suspectJumps++;
          return out;
        }
        if (jump) {
          this.collectRun(pkt, out);
          return out;
        }
      }
    }
    this.process(pkt, out);
    return out;
  }

  /** True when `ifp` is non-empty and decodes (T.38 Annex A) in `ifpVersion` or either module. */
  private validIfp(ifp: Uint8Array): boolean {
    if (ifp.length === 0) return false;
    const v = this.ifpView;
    if (this.ifpVersion !== undefined) return decodeIfpView(ifp, this.ifpVersion, v);
    return decodeIfpView(ifp, 0, v) || decodeIfpView(ifp, 2, v);
  }

  /** A valid datagram jumped ≥ restartThreshold: extends (or starts) the run; restarts when complete. */
  private collectRun(pkt: UdptlPacket, out: ReceivedIfp[]): void {
    this.stats.restartCandidates++;
    let run: UdptlPacket[] | undefined;
    for (const r of this.runs) {
      const last = r[r.length - 1];
      if (last === undefined) continue;
      const step = seqDiff(pkt.seq, last.seq);
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
    run.push(pkt);
    if (run.length < RESTART_RUN) return;
    const held = run;
    this.runs.length = 0;
    this.stats.restarts++;
    this.drainAll(out);
    this.reset();
    const first = held[0];
    if (first !== undefined) this.start(first);
    for (const p of held) this.process(p, out);
  }

  /** One decoded datagram within reach of the expected seq (or the first of a stream). */
  private process(pkt: UdptlPacket, out: ReceivedIfp[]): void {
    const st = this.stats;
    const diff = seqDiff(pkt.seq, this.expectedExt & 0xffff);
    const ext = this.expectedExt + diff;
    const idx = ext & this.mask;
    const known = this.slotExt[idx] === ext;

    if (diff < 0) {
      if (known && this.slotPrimary[idx] === 1) st.duplicates++;
      else st.late++;
      return;
    }
    if (ext <= this.highestExt && known && this.slotPrimary[idx] === 1) {
      st.duplicates++;
      return;
    }
    if (ext > this.highestExt) this.advanceTo(ext, out);

    this.storePrimary(ext, pkt.primary);
    switch (pkt.recovery.kind) {
      case 'secondary':
        this.storeSecondaries(ext, pkt.recovery.secondaries);
        break;
      case 'fec':
        this.storeFec(ext, pkt.recovery.span, pkt.recovery.entries);
        break;
    }
    // A new IFP or parity block may complete a group while something is missing.
    this.recoverFromFec();
    this.deliver(out);
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
    const out: ReceivedIfp[] = [];
    this.drainAll(out);
    return out;
  }

  getStats(): UdptlReceiverStats {
    return { ...this.stats };
  }

  // -------------------------------------------------------------------------------------------

  private start(pkt: UdptlPacket): void {
    const ext = EXT_BASE + pkt.seq;
    let first = ext;
    if (pkt.recovery.kind === 'secondary') {
      // Join the stream at the oldest secondary of the first datagram, as long as the run of
      // non-empty secondaries from seq−1 back is unbroken (a zero-length one would make a hole
      // that could only be counted as a phantom loss).
      const n = Math.min(pkt.recovery.secondaries.length, this.maxDepth);
      for (let i = 0; i < n && (pkt.recovery.secondaries[i]?.length ?? 0) > 0; i++) first = ext - 1 - i;
    }
    this.expectedExt = first;
    this.highestExt = first - 1;
    this.started = true;
  }

  private reset(): void {
    this.slotExt.fill(-1);
    this.slotIfp.fill(NO_IFP);
    this.slotFec.fill(null);
    this.missing = 0;
    this.newlyKnown.length = 0;
    this.newBlocks.length = 0;
    this.started = false;
  }

  /** Makes `ext` the highest seq, first settling the seqs whose slots it would reuse. */
  private advanceTo(ext: number, out: ReceivedIfp[]): void {
    const size = this.mask + 1;
    const limit = ext - size; // seqs ≤ limit share a slot with one in (limit, ext]
    while (this.expectedExt <= limit && this.expectedExt <= this.highestExt) this.settleOne(out);
    if (this.expectedExt <= limit) {
      // Never seen and out of reach of any repair: lost in bulk.
      this.stats.lost += limit - this.expectedExt + 1;
      this.expectedExt = limit + 1;
    }
    for (let x = Math.max(this.highestExt + 1, this.expectedExt); x <= ext; x++) {
      const i = x & this.mask;
      this.slotExt[i] = x;
      this.slotState[i] = MISSING;
      this.missing++;
      this.slotPrimary[i] = 0;
      this.slotFecCovered[i] = 0;
      this.slotIfp[i] = NO_IFP;
      this.slotFec[i] = null;
    }
    this.highestExt = ext;
  }

  private storePrimary(ext: number, primary: Uint8Array): void {
    const i = ext & this.mask;
    this.slotPrimary[i] = 1;
    const state = this.slotState[i];
    // A later seq came first and the gap was still open: the reorder window paid off.
    if (state === MISSING && ext < this.highestExt) this.stats.reordered++;
    if (primary.length === 0) {
      this.stats.zeroLengthPrimaries++;
      if (state === MISSING) {
        this.slotState[i] = EMPTY;
        this.slotIfp[i] = NO_IFP;
        this.becameKnown(ext);
      }
      return;
    }
    if (state === MISSING) this.becameKnown(ext);
    if (state === MISSING || state === HAVE) {
      // A primary is authoritative: it also replaces a restored copy (exact length, no padding).
      this.slotState[i] = HAVE;
      this.slotSource[i] = SRC_PRIMARY;
      this.slotIfp[i] = primary.slice();
    }
  }

  private storeSecondaries(ext: number, secondaries: readonly Uint8Array[]): void {
    const n = Math.min(secondaries.length, this.maxDepth);
    for (let k = 0; k < n; k++) {
      const sec = secondaries[k] ?? NO_IFP;
      if (sec.length === 0) {
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
        this.slotIfp[i] = sec.slice();
      }
    }
  }

  /** Keeps a fec-info block with the seq that carried it. */
  private storeFec(ext: number, span: number, entries: readonly Uint8Array[]): void {
    const e = entries.length;
    if (span === 0 || e === 0) return; // wind-up: nothing covered yet
    if (span * e > UDPTL_MAX_FEC_COVERAGE) {
      this.stats.fecIgnored++;
      return;
    }
    const i = ext & this.mask;
    this.slotFec[i] = { span, entries: entries.map((x) => x.slice()) };
    this.newBlocks.push(ext);
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
    this.newlyKnown.push(x);
  }

  /**
   * Iterative parity repair (see module comment), event driven: a group can only become
   * repairable when its block arrives or when one of its members becomes known, so only those
   * groups are examined; every repair is itself a new known member. Reaches the same fixpoint as
   * re-scanning every group until nothing changes, at a cost proportional to what changed.
   */
  private recoverFromFec(): void {
    const known = this.newlyKnown;
    const blocks = this.newBlocks;
    if (this.missing === 0) {
      known.length = 0;
      blocks.length = 0;
      return;
    }
    for (const q of blocks) {
      const rec = this.slotFec[q & this.mask];
      if (rec === null || rec === undefined) continue;
      for (let m = 0; m < rec.entries.length; m++) this.repairGroup(q, rec, m);
    }
    blocks.length = 0;
    while (known.length > 0 && this.missing > 0) {
      const x = known.pop() ?? 0;
      // Blocks that can cover x were carried by seqs x+1 .. x+UDPTL_MAX_FEC_COVERAGE.
      const last = Math.min(this.highestExt, x + UDPTL_MAX_FEC_COVERAGE);
      for (let q = x + 1; q <= last; q++) {
        const j = q & this.mask;
        const rec = this.slotFec[j];
        if (rec === null || rec === undefined || this.slotExt[j] !== q) continue;
        const e = rec.entries.length;
        const first = q - rec.span * e;
        if (x < first) continue;
        this.repairGroup(q, rec, (x - first) % e);
      }
    }
    known.length = 0;
  }

  /** Tries to restore the single missing member of group m of the block carried by seq q. */
  private repairGroup(q: number, rec: FecRecord, m: number): boolean {
    const s = rec.span;
    const e = rec.entries.length;
    const parity = rec.entries[m] ?? NO_IFP;
    let target = -1;
    for (let k = 0; k < s; k++) {
      const x = q + m - s * e + k * e;
      const i = x & this.mask;
      if (this.slotExt[i] !== x) return false; // before the stream or no longer held: unknown
      const state = this.slotState[i];
      if (state === MISSING) {
        if (target >= 0) return false; // two missing: not (yet) repairable
        target = x;
      } else if (state === LOST) {
        return false;
      } else if (!fitsUnder(this.slotIfp[i] ?? NO_IFP, parity.length)) {
        return false; // a member longer than the parity: inconsistent block, do not trust it
      }
    }
    if (target < 0 || parity.length === 0) return false;
    const restored = parity.slice();
    for (let k = 0; k < s; k++) {
      const x = q + m - s * e + k * e;
      if (x === target) continue;
      const member = this.slotIfp[x & this.mask] ?? NO_IFP;
      const n = Math.min(member.length, restored.length); // beyond: zeros (checked above)
      for (let j = 0; j < n; j++) restored[j] = (restored[j] ?? 0) ^ (member[j] ?? 0);
    }
    const t = target & this.mask;
    this.slotState[t] = HAVE;
    this.slotSource[t] = SRC_FEC;
    this.slotIfp[t] = restored;
    this.becameKnown(target);
    return true;
  }

  /** Delivers in order; declares missing seqs lost once they are older than the reorder window. */
  private deliver(out: ReceivedIfp[]): void {
    while (this.expectedExt <= this.highestExt) {
      const i = this.expectedExt & this.mask;
      if (this.slotState[i] === MISSING && this.highestExt - this.expectedExt <= this.reorderWindow) break;
      this.settleOne(out);
    }
  }

  private drainAll(out: ReceivedIfp[]): void {
    if (!this.started) return;
    while (this.expectedExt <= this.highestExt) this.settleOne(out);
  }

  /** Delivers or declares lost the seq `expectedExt`, then moves on. */
  private settleOne(out: ReceivedIfp[]): void {
    const x = this.expectedExt;
    const i = x & this.mask;
    const st = this.stats;
    const state = this.slotState[i];
    if (state === HAVE) {
      const src = this.slotSource[i];
      const source: ReceivedIfpSource = src === SRC_PRIMARY ? 'primary' : src === SRC_SECONDARY ? 'secondary' : 'fec';
      if (src === SRC_PRIMARY) st.primaries++;
      else if (src === SRC_SECONDARY) st.recoveredFromSecondary++;
      else st.recoveredFromFec++;
      out.push({ seq: x & 0xffff, ifp: this.slotIfp[i] ?? NO_IFP, source });
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
