/**
 * UDPTL sender (sans-IO): wraps each outgoing IFP in a UDPTL datagram (T.38 §9.1) with the error
 * recovery chosen in SDP (T38FaxUdpEC: t38UDPRedundancy / t38UDPFEC, or none) and a size budget
 * (T38FaxMaxDatagram). Input: an IFP (opaque octets, complete PER encoding) and its category;
 * output: the datagrams to send, in order. No sockets, no timers.
 *
 * Redundancy (T.38 §9.1, `secondary-ifp-packets`): each datagram repeats the previous IFPs,
 * newest first. The depth depends on the category of the PRIMARY, like Cisco's ls-redundancy
 * (V.21 control/indicators) and hs-redundancy (image data): `control-end` uses the control depth,
 * `image-end` the image depth. Only IFPs really sent before are repeated, so the first datagrams
 * carry fewer (as every implementation does). The stream is started with 0 secondaries, like
 * spandsp/Asterisk (`entries = min(depth, tx_seq_no)`).
 *
 * Parity FEC (T.38 §9.1, `fec-info`), made wire-compatible with Asterisk main/udptl.c and
 * spandsp's udptl.c (also in FreeSWITCH mod_spandsp), which are the only open implementations;
 * facts read from their sources, code written here:
 *
 *   packet n carries fec-npackets = S (span) and E entries (fec-data items). Entry m (0 ≤ m < E)
 *   is the XOR of the S earlier IFPs
 *         n + m − S·E + k·E      for k = 0 … S−1
 *   i.e. the window n−S·E … n−1 is interleaved into E groups by residue modulo E, and every one
 *   of the S·E previous packets is in exactly one group. Entry lengths: the longest member; the
 *   shorter members count as zero-padded (XOR with 0). The receiver cannot know the true length
 *   of a restored IFP: it takes the entry's length (so a restored short IFP may carry trailing
 *   zero octets; see udptl-receiver.ts).
 *   Wind-up: while fewer than S·E packets exist, E = ⌊count/S⌋ and S = 0 while count < S (Asterisk
 *   and spandsp use the absolute seq for `count`, i.e. they assume the stream starts at seq 0 and
 *   wind up again after every wrap; we use the number of IFPs really sent, which is identical for
 *   a stream starting at 0 and correct for one starting at 32768, Cisco style).
 *   Asterisk's defaults are S = 3, E = 3 (udptl.conf udptlfecspan/udptlfecentries, 1..5 each).
 *
 * Size budget: secondaries are dropped oldest first (only a prefix of the newest-first list is
 * meaningful, since position i means seq−1−i) until the datagram fits; in FEC mode the number of
 * entries is reduced and the parity RECOMPUTED for the smaller E (FreeSWITCH just truncates the
 * list and rewrites the count, which changes the receiver's idea of every group's members — a bug
 * we do not copy). An IFP is never truncated; when the primary alone exceeds the budget it is sent
 * anyway with no recovery data and `oversize: true` (a fax call should not die of it).
 *
 * Repeats (spandsp's per-category `count`): N identical copies of the datagram with the SAME seq;
 * the receiver counts the extra ones as duplicates. Default 1 (no repeats).
 *
 * Two APIs on one code path: `sendInto` (the hot path) writes the datagram into a buffer the
 * sender owns and reports through a caller-owned, reused `UdptlSendBatch`, allocating nothing;
 * `send` wraps it and returns a fresh copy. The datagram buffers, the history of sent IFPs (for
 * secondaries and parity) and a staging area where the caller may encode the IFP are regions of
 * one arena, so every copy between them is a `copyWithin` (a memmove: a JavaScript loop costs
 * about 2 ns an octet, a builtin copy a few ns in all). Parity is XORed straight into the
 * datagram. A datagram or IFP too long for its region gets a buffer of its own (grow-only).
 */

import { assertNever } from '../util/errors.js';
import { checkInt, invalid } from '../util/check.js';
import {
  UDPTL_MAX_FEC_COVERAGE,
  UDPTL_MAX_FEC_ENTRIES,
  UDPTL_MAX_SECONDARIES,
  perOctetsSize,
  writePerOctets,
} from './udptl.js';

export type UdptlCategory = 'indicator' | 'control' | 'control-end' | 'image' | 'image-end';

export type UdptlErrorCorrection =
  | { readonly mode: 'redundancy'; readonly depth: { readonly indicator: number; readonly control: number; readonly image: number } }
  | { readonly mode: 'fec'; readonly span: number; readonly entries: number }
  | { readonly mode: 'none' };

export interface UdptlRepeatCounts {
  readonly indicator?: number;
  readonly control?: number;
  readonly controlEnd?: number;
  readonly image?: number;
  readonly imageEnd?: number;
}

export interface UdptlSenderOptions {
  readonly errorCorrection: UdptlErrorCorrection;
  /** Largest datagram the far end accepts (T38FaxMaxDatagram), octets. Default 1400. */
  readonly maxDatagram?: number;
  /** seq-number of the first datagram, 0..65535. Default 0 (Cisco CUBE starts at 32768). */
  readonly firstSeq?: number;
  /** Copies per datagram by category, 1..16 each, default 1. */
  readonly repeat?: UdptlRepeatCounts;
  /**
   * Datagram buffers `sendInto` cycles through, 1..64, default 1: a datagram it reports stays
   * valid for this many calls (e.g. a driver that batches several sends before flushing).
   */
  readonly datagramRing?: number;
}

/**
 * Reused result of `UdptlSender.sendInto`: the datagram is `buffer[0, length)` (a buffer owned
 * by the sender, valid for `datagramRing` calls), to be sent `copies` times. Create one with
 * `new UdptlSendBatch()` and pass it to every call; nothing in it is allocated per send.
 */
export class UdptlSendBatch {
  /** Holds the datagram in its first `length` octets (may be longer). */
  buffer: Uint8Array = new Uint8Array(0);
  /** Datagram length in octets. */
  length = 0;
  /** How many times to send it (the category's repeat count, same seq every time). */
  copies = 0;
  seq = 0;
  secondariesIncluded = 0;
  fecEntriesIncluded = 0;
  redundancyDropped = 0;
  oversize = false;
  /** Offset of the primary IFP's octets in `buffer` (−1 when fragmented); internal. */
  primaryStart = 0;
}

export interface UdptlSendResult {
  /** The datagrams to send, in order: `repeat` copies of the same bytes (same array object). */
  readonly datagrams: Uint8Array[];
  /** The seq-number used. */
  readonly seq: number;
  /** Secondary IFPs in the datagram (redundancy mode). */
  readonly secondariesIncluded: number;
  /** fec-data entries in the datagram (FEC mode). */
  readonly fecEntriesIncluded: number;
  /** Secondaries or FEC entries left out to respect maxDatagram. */
  readonly redundancyDropped: number;
  /** The primary alone did not fit in maxDatagram (sent anyway, without recovery data). */
  readonly oversize: boolean;
}

export interface UdptlSenderStats {
  /** Datagrams produced, repeats included. */
  datagrams: number;
  /** Distinct IFPs sent (one seq each). */
  ifps: number;
  /** Octets produced, repeats included. */
  bytes: number;
  /** Extra copies produced by `repeat`. */
  repeats: number;
  /** Secondary IFPs included (per distinct datagram). */
  secondariesSent: number;
  /** FEC entries included (per distinct datagram). */
  fecEntriesSent: number;
  /** Secondaries / FEC entries left out for size. */
  redundancyDroppedForSize: number;
  /** Datagrams whose primary alone exceeded maxDatagram. */
  oversize: number;
}

export const UDPTL_DEFAULT_MAX_DATAGRAM = 1400;
const MAX_REPEAT = 16;
/** Largest IFP accepted: UDP cannot carry more than 65507 octets anyway. */
const MAX_IFP = 65535;
const MAX_DATAGRAM_RING = 64;
/** Below this an open type has a one- or two-octet determinant (X.691 10.9.3.6/10.9.3.7). */
const FRAGMENT_UNIT = 16384;

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** IFPs up to this length go from staging to their history slot as 32-bit words. */
const SMALL_COPY = 128;

/** Region sizes in the arena (octets): staging and each datagram buffer, each history slot. */
const REGION_MAX = 1500;
const HIST_REGION = 512;

export class UdptlSender {
  private readonly ec: UdptlErrorCorrection;
  private readonly maxDatagram: number;
  private readonly repeatIndicator: number;
  private readonly repeatControl: number;
  private readonly repeatControlEnd: number;
  private readonly repeatImage: number;
  private readonly repeatImageEnd: number;

  /** Staging, datagram buffers, history slots and a parity work area, see the module comment. */
  private readonly arena: Uint8Array;
  /** The same octets as 32-bit words, for parity (regions start at multiples of 8). */
  private readonly arena32: Int32Array;
  private readonly parAt: number;
  private readonly parCap: number;
  /**
   * Sliding parity (FEC mode): accumulator r (arena offset accAt + r × accCap) is the XOR of the
   * last `span` IFPs sent whose number is ≡ r (mod entries), zero beyond their lengths. In the
   * steady state entry m of datagram n covers exactly the class (n + m) mod entries (see the
   * module comment), so each entry is a copy of one accumulator, and each send updates one
   * accumulator with two XORs (the new IFP in, the one S·E back out) instead of XORing S members
   * per entry. accOk[r] = 0 once a member of the class was not in the arena (a long IFP): the
   * entry is then built member by member, which also restarts the accumulator.
   */
  private readonly accAt: number;
  private readonly accCap: number;
  private readonly accOk: Uint8Array;
  /** `sent` mod the configured entry count (FEC mode): the class of the IFP being sent. */
  private accClass = 0;
  /** Entry lengths of the datagram being built. */
  private readonly fecLens = new Int32Array(UDPTL_MAX_FEC_ENTRIES);
  /**
   * Where a caller may encode an IFP before `sendInto(sender.staging, 0, n, …)`: the sender then
   * copies it with memmoves only. Overwritten by nothing but the caller.
   */
  readonly staging: Uint8Array;

  /** History of sent IFPs, indexed by (sent count) & mask; histAt: arena offset, or −1 for a buffer of its own. */
  private readonly histBuf: Uint8Array[];
  private readonly histAt: Int32Array;
  private readonly histLen: Int32Array;
  private readonly mask: number;

  /** Datagram buffers for sendInto, used in turn; ringAt: arena offset, or −1 for a buffer of its own. */
  private readonly ring: Uint8Array[];
  private readonly ringAt: Int32Array;
  private ringNext = 0;
  /** Arena offset of the datagram being built (−1: not in the arena). */
  private outAt = -1;
  /** The batch `send` fills before copying out. */
  private readonly own = new UdptlSendBatch();

  private seq: number;
  /** IFPs sent so far (a double: exact far beyond any call's length). */
  private sent = 0;

  private readonly stats: UdptlSenderStats = {
    datagrams: 0,
    ifps: 0,
    bytes: 0,
    repeats: 0,
    secondariesSent: 0,
    fecEntriesSent: 0,
    redundancyDroppedForSize: 0,
    oversize: 0,
  };

  constructor(options: UdptlSenderOptions) {
    const ec = options.errorCorrection;
    let history: number;
    switch (ec.mode) {
      case 'redundancy':
        checkInt(ec.depth.indicator, 0, UDPTL_MAX_SECONDARIES, 'depth.indicator');
        checkInt(ec.depth.control, 0, UDPTL_MAX_SECONDARIES, 'depth.control');
        checkInt(ec.depth.image, 0, UDPTL_MAX_SECONDARIES, 'depth.image');
        history = Math.max(ec.depth.indicator, ec.depth.control, ec.depth.image);
        break;
      case 'fec':
        checkInt(ec.span, 1, UDPTL_MAX_FEC_COVERAGE, 'fec span');
        checkInt(ec.entries, 1, UDPTL_MAX_FEC_ENTRIES, 'fec entries');
        if (ec.span * ec.entries > UDPTL_MAX_FEC_COVERAGE) invalid(`fec span × entries = ${ec.span * ec.entries} > ${UDPTL_MAX_FEC_COVERAGE}`);
        history = ec.span * ec.entries;
        break;
      case 'none':
        history = 0;
        break;
      default:
        assertNever(ec, 'error correction');
    }
    this.ec = ec;
    this.maxDatagram = checkInt(options.maxDatagram ?? UDPTL_DEFAULT_MAX_DATAGRAM, 1, 65507, 'maxDatagram');
    this.seq = checkInt(options.firstSeq ?? 0, 0, 0xffff, 'firstSeq');
    const r = options.repeat ?? {};
    this.repeatIndicator = checkInt(r.indicator ?? 1, 1, MAX_REPEAT, 'repeat.indicator');
    this.repeatControl = checkInt(r.control ?? 1, 1, MAX_REPEAT, 'repeat.control');
    this.repeatControlEnd = checkInt(r.controlEnd ?? 1, 1, MAX_REPEAT, 'repeat.controlEnd');
    this.repeatImage = checkInt(r.image ?? 1, 1, MAX_REPEAT, 'repeat.image');
    this.repeatImageEnd = checkInt(r.imageEnd ?? 1, 1, MAX_REPEAT, 'repeat.imageEnd');
    const ringSize = checkInt(options.datagramRing ?? 1, 1, MAX_DATAGRAM_RING, 'datagramRing');
    const size = nextPow2(Math.max(1, history));
    this.mask = size - 1;
    const histSlots = ec.mode === 'none' ? 0 : size;
    // Datagrams longer than maxDatagram are oversize primaries only; IFPs longer than it are
    // never repeated (they cannot fit as a secondary or parity entry): regions need no more.
    const dg = (Math.min(this.maxDatagram, REGION_MAX) + 7) & ~7;
    const hist = (Math.min(this.maxDatagram, HIST_REGION) + 7) & ~7;
    const par = ec.mode === 'fec' ? dg : 0;
    const accClasses = ec.mode === 'fec' ? ec.entries : 0;
    this.arena = new Uint8Array(dg * (1 + ringSize) + hist * histSlots + par + hist * accClasses);
    this.arena32 = new Int32Array(this.arena.buffer, 0, this.arena.length >> 2);
    this.parAt = dg * (1 + ringSize) + hist * histSlots;
    this.parCap = par;
    this.accAt = this.parAt + par;
    this.accCap = hist;
    this.accOk = new Uint8Array(accClasses).fill(1);
    this.staging = this.arena.subarray(0, dg);
    this.ring = [];
    this.ringAt = new Int32Array(ringSize);
    for (let i = 0; i < ringSize; i++) {
      const at = dg * (1 + i);
      this.ring.push(this.arena.subarray(at, at + dg));
      this.ringAt[i] = at;
    }
    this.histBuf = [];
    this.histAt = new Int32Array(size).fill(-1);
    for (let i = 0; i < size; i++) {
      if (i < histSlots) {
        const at = dg * (1 + ringSize) + hist * i;
        this.histBuf.push(this.arena.subarray(at, at + hist));
        this.histAt[i] = at;
      } else {
        this.histBuf.push(new Uint8Array(0));
      }
    }
    this.histLen = new Int32Array(size);
  }

  /** seq-number the next `send` will use. */
  get nextSeq(): number {
    return this.seq;
  }

  /**
   * Wraps one IFP in a datagram (plus repeats) and returns fresh arrays: the allocating
   * convenience over `sendInto`, same bytes. Throws FaxwireError on an empty or huge IFP.
   */
  send(ifp: Uint8Array, category: UdptlCategory): UdptlSendResult {
    if (!(ifp instanceof Uint8Array)) invalid('ifp must be a Uint8Array');
    const b = this.own;
    this.sendInto(ifp, 0, ifp.length, category, b);
    const datagram = b.buffer.slice(0, b.length);
    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < b.copies; i++) datagrams.push(datagram);
    return {
      datagrams,
      seq: b.seq,
      secondariesIncluded: b.secondariesIncluded,
      fecEntriesIncluded: b.fecEntriesIncluded,
      redundancyDropped: b.redundancyDropped,
      oversize: b.oversize,
    };
  }

  /**
   * The allocation-free send: wraps the IFP `ifp[start, end)` in a datagram written into a
   * buffer of the sender's, reported in `out` (see UdptlSendBatch; the datagram stays valid for
   * `datagramRing` calls). Throws FaxwireError on an empty or huge IFP or a bad range.
   */
  sendInto(ifp: Uint8Array, start: number, end: number, category: UdptlCategory, out: UdptlSendBatch): void {
    if (!(ifp instanceof Uint8Array)) invalid('ifp must be a Uint8Array');
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > ifp.length || start > end) {
      invalid(`IFP range [${start}, ${end}) of a ${ifp.length}-octet buffer`);
    }
    const len = end - start;
    // X.691 10.1.3: a complete encoding is never empty; spandsp refuses to send one too.
    if (len < 1 || len > MAX_IFP) invalid(`IFP of ${len} octets (1..${MAX_IFP})`);
    let copies: number;
    let depth = 0;
    const ec = this.ec;
    switch (category) {
      case 'indicator':
        copies = this.repeatIndicator;
        if (ec.mode === 'redundancy') depth = ec.depth.indicator;
        break;
      case 'control':
        copies = this.repeatControl;
        if (ec.mode === 'redundancy') depth = ec.depth.control;
        break;
      case 'control-end':
        copies = this.repeatControlEnd;
        if (ec.mode === 'redundancy') depth = ec.depth.control;
        break;
      case 'image':
        copies = this.repeatImage;
        if (ec.mode === 'redundancy') depth = ec.depth.image;
        break;
      case 'image-end':
        copies = this.repeatImageEnd;
        if (ec.mode === 'redundancy') depth = ec.depth.image;
        break;
      default:
        assertNever(category, 'IFP category');
    }

    const seq = this.seq;
    out.seq = seq;
    out.copies = copies;
    out.secondariesIncluded = 0;
    out.fecEntriesIncluded = 0;
    // seq-number (2) + primary + CHOICE octet
    const base = 2 + perOctetsSize(len) + 1;
    if (ec.mode === 'fec') {
      this.buildFec(ifp, start, end, seq, base, ec.span, ec.entries, out);
    } else {
      // 'none' is the secondary CHOICE with zero items, as Asterisk and spandsp send it.
      this.buildRedundant(ifp, start, end, seq, base, depth, out);
    }

    // Remember the IFP for later secondaries / parity (after building: the slot may be the oldest
    // one). Copied from the datagram just built (in the arena: a memmove).
    if (ec.mode === 'fec') this.accDrop(ec.span, ec.entries);
    if (ec.mode !== 'none') {
      const slot = this.sent & this.mask;
      let b = this.histBuf[slot] ?? out.buffer;
      if (b.length < len) {
        b = new Uint8Array(Math.max(len, 2 * b.length));
        this.histBuf[slot] = b;
        this.histAt[slot] = -1;
      }
      const p = out.primaryStart;
      const h = this.histAt[slot] ?? -1;
      if (ifp === this.staging && start === 0 && h >= 0 && len <= SMALL_COPY) {
        // Staging and history slots both start at multiples of 8 in the arena: a short IFP is
        // moved as 32-bit words (a few ns less than the builtin memmove's call).
        const w = this.arena32;
        const hw = h >> 2;
        const words = (len + 3) >> 2;
        for (let j = 0; j < words; j++) w[hw + j] = w[j] ?? 0;
      } else if (p >= 0) this.copy(b, h, 0, out.buffer, this.outAt, p, p + len);
      else this.copy(b, this.histAt[slot] ?? -1, 0, ifp, ifp === this.staging ? 0 : -1, start, end);
      this.histLen[slot] = len;
      if (ec.mode === 'fec') this.accAdd(ec.entries);
    }
    this.sent++;
    this.seq = (seq + 1) & 0xffff;

    const st = this.stats;
    st.ifps++;
    st.datagrams += copies;
    st.repeats += copies - 1;
    st.bytes += out.length * copies;
    st.secondariesSent += out.secondariesIncluded;
    st.fecEntriesSent += out.fecEntriesIncluded;
    st.redundancyDroppedForSize += out.redundancyDropped;
    if (out.oversize) st.oversize++;
  }

  getStats(): UdptlSenderStats {
    return { ...this.stats };
  }

  /** The next ring buffer, replaced by a larger one of its own if `size` does not fit; set as the batch's buffer. */
  private buffer(size: number, out: UdptlSendBatch): Uint8Array {
    const k = this.ringNext;
    this.ringNext = k + 1 === this.ring.length ? 0 : k + 1;
    let b = this.ring[k] ?? this.arena;
    if (b.length < size) {
      b = new Uint8Array(Math.max(size, Math.min(2 * b.length, 65535)));
      this.ring[k] = b;
      this.ringAt[k] = -1;
    }
    this.outAt = this.ringAt[k] ?? -1;
    out.buffer = b;
    out.length = size;
    return b;
  }

  /**
   * `dst[d…] = src[s, e)`; dAt/sAt: arena offsets of dst/src (−1: elsewhere). Between arena
   * regions a memmove, from a whole array a `set`, else an octet loop (no subarray is allocated).
   */
  private copy(dst: Uint8Array, dAt: number, d: number, src: Uint8Array, sAt: number, s: number, e: number): void {
    if (dAt >= 0 && sAt >= 0) {
      this.arena.copyWithin(dAt + d, sAt + s, sAt + e);
    } else if (s === 0 && e === src.length) {
      dst.set(src, d);
    } else {
      for (let j = s; j < e; j++) dst[d++] = src[j] ?? 0;
    }
  }

  /** Writes the open-type determinant + `src[s, e)` (X.691 10.2, 10.9) into the datagram; returns the new offset. */
  private writeOpen(dst: Uint8Array, o: number, src: Uint8Array, srcAt: number, s: number, e: number): number {
    const n = e - s;
    if (n >= FRAGMENT_UNIT) return writePerOctets(dst, o, src.subarray(s, e)); // fragmented: rare, may allocate
    if (n < 128) {
      dst[o++] = n;
    } else {
      dst[o++] = 0x80 | (n >> 8);
      dst[o++] = n & 0xff;
    }
    this.copy(dst, this.outAt, o, src, srcAt, s, e);
    return o + n;
  }

  /** Length of the IFP sent `back` IFPs ago (1 = the previous one). */
  private lenBack(back: number): number {
    return this.histLen[(this.sent - back) & this.mask] ?? 0;
  }

  private writeHeader(out: Uint8Array, seq: number, ifp: Uint8Array, start: number, end: number, choice: number, res: UdptlSendBatch): number {
    out[0] = seq >> 8;
    out[1] = seq & 0xff;
    const n = end - start;
    res.primaryStart = n >= FRAGMENT_UNIT ? -1 : n < 128 ? 3 : 4;
    let o = this.writeOpen(out, 2, ifp, ifp === this.staging ? 0 : -1, start, end);
    out[o++] = choice;
    return o;
  }

  private buildRedundant(ifp: Uint8Array, start: number, end: number, seq: number, base: number, depth: number, res: UdptlSendBatch): void {
    const want = Math.min(depth, this.sent);
    let size = base + 1; // + count octet (≤ 32 items)
    const oversize = size > this.maxDatagram;
    let n = 0;
    if (!oversize) {
      while (n < want) {
        const s = perOctetsSize(this.lenBack(n + 1));
        if (size + s > this.maxDatagram) break;
        size += s;
        n++;
      }
    }
    const out = this.buffer(size, res);
    let o = this.writeHeader(out, seq, ifp, start, end, 0x00, res);
    out[o++] = n;
    for (let i = 0; i < n; i++) {
      const slot = (this.sent - i - 1) & this.mask;
      o = this.writeOpen(out, o, this.histBuf[slot] ?? out, this.histAt[slot] ?? -1, 0, this.histLen[slot] ?? 0);
    }
    res.secondariesIncluded = n;
    res.redundancyDropped = want - n;
    res.oversize = oversize;
  }

  /** Length of FEC entry m for span s, e entries: the longest of its members. */
  private fecEntryLen(s: number, e: number, m: number): number {
    let max = 0;
    // Members n + m − s·e + k·e (k = 0..s−1), i.e. back = s·e − m − k·e IFPs ago.
    for (let k = 0; k < s; k++) {
      const l = this.lenBack(s * e - m - k * e);
      if (l > max) max = l;
    }
    return max;
  }

  private buildFec(ifp: Uint8Array, start: number, end: number, seq: number, base: number, span: number, entries: number, res: UdptlSendBatch): void {
    // Wind-up (see module comment): only packets really sent can be covered.
    let s = span;
    let want = entries;
    if (this.sent < span * entries) {
      want = Math.floor(this.sent / span);
      if (this.sent < span) s = 0;
    }
    const spanOctets = s < 0x80 ? 1 : 2; // s ≤ 256
    const head = base + 1 + spanOctets + 1; // + INTEGER length octet + value + count octet
    const oversize = head > this.maxDatagram;
    let e = oversize ? 0 : want;
    let size = head;
    const lens = this.fecLens;
    for (; e > 0; e--) {
      size = head;
      for (let m = 0; m < e; m++) {
        const l = this.fecEntryLen(s, e, m);
        lens[m] = l;
        size += l < 128 ? l + 1 : perOctetsSize(l);
      }
      if (size <= this.maxDatagram) break;
    }
    if (e === 0) size = head;
    const out = this.buffer(size, res);
    let o = this.writeHeader(out, seq, ifp, start, end, 0x80, res);
    out[o++] = spanOctets;
    if (spanOctets === 2) out[o++] = s >> 8;
    out[o++] = s & 0xff;
    out[o++] = e;
    // Steady state (full span and entries, all of them): each entry is one accumulator.
    const sliding = s === span && e === entries && this.outAt >= 0;
    for (let m = 0; m < e; m++) {
      const len = lens[m] ?? 0;
      let r = this.accClass + m;
      if (r >= e) r -= e;
      if (sliding && len < 128 && this.accOk[r] === 1) {
        out[o++] = len;
        const at = this.accAt + r * this.accCap;
        this.arena.copyWithin(this.outAt + o, at, at + len);
        o += len;
        continue;
      }
      if (len >= FRAGMENT_UNIT) {
        // A fragmented determinant (≥ 16K parity octets): rare, built apart (allocates).
        const x = new Uint8Array(len);
        this.xorGroup(x, 0, s, e, m);
        o = writePerOctets(out, o, x);
        continue;
      }
      if (len < 128) {
        out[o++] = len;
      } else {
        out[o++] = 0x80 | (len >> 8);
        out[o++] = len & 0xff;
      }
      // Shorter members are implicitly zero-padded to the entry length.
      if (!this.xorGroupWords(len, s, e, m, o)) {
        out.fill(0, o, o + len);
        this.xorGroup(out, o, s, e, m);
      } else if (sliding) {
        this.accRestart(r, len);
      }
      o += len;
    }
    res.fecEntriesIncluded = e;
    res.redundancyDropped = want - e;
    res.oversize = oversize;
  }

  /**
   * Entry m computed 32 bits at a time in the parity area, then moved into the datagram at `o`;
   * false (nothing done) unless the datagram and every member are in the arena and it fits.
   */
  private xorGroupWords(len: number, s: number, e: number, m: number, o: number): boolean {
    if (this.outAt < 0 || len > this.parCap) return false;
    for (let k = 0; k < s; k++) if ((this.histAt[(this.sent - (s * e - m - k * e)) & this.mask] ?? -1) < 0) return false;
    const a = this.arena;
    const w = this.arena32;
    const p = this.parAt;
    const pw = p >> 2;
    for (let k = 0; k < s; k++) {
      const slot = (this.sent - (s * e - m - k * e)) & this.mask;
      const h = this.histAt[slot] ?? 0;
      const n = this.histLen[slot] ?? 0;
      if (k > 0) {
        this.xorIn(p, h, n);
        continue;
      }
      // The first member is copied rather than XORed into a zeroed area; zeros after it.
      const hw = h >> 2;
      const words = n >> 2;
      const lw = (len + 3) >> 2;
      for (let j = 0; j < words; j++) w[pw + j] = w[hw + j] ?? 0;
      for (let j = words; j < lw; j++) w[pw + j] = 0;
      // Its last octets (not past its length: the slot holds older octets beyond).
      for (let j = words << 2; j < n; j++) a[p + j] = a[h + j] ?? 0;
    }
    a.copyWithin(this.outAt + o, p, p + len);
    return true;
  }

  /** Sliding parity: the IFP sent span × entries ago leaves its class's accumulator (before its history slot is reused). */
  private accDrop(span: number, entries: number): void {
    const back = span * entries;
    if (this.sent < back) return;
    const r = this.accClass;
    if (this.accOk[r] !== 1) return;
    const slot = (this.sent - back) & this.mask;
    const h = this.histAt[slot] ?? -1;
    if (h < 0) {
      this.accOk[r] = 0;
      return;
    }
    this.xorIn(this.accAt + r * this.accCap, h, this.histLen[slot] ?? 0);
  }

  /** Sliding parity: the IFP just stored in the history joins its class's accumulator. */
  private accAdd(entries: number): void {
    const r = this.accClass;
    this.accClass = r + 1 === entries ? 0 : r + 1;
    if (this.accOk[r] !== 1) return;
    const slot = this.sent & this.mask;
    const h = this.histAt[slot] ?? -1;
    const n = this.histLen[slot] ?? 0;
    if (h < 0 || n > this.accCap) {
      this.accOk[r] = 0;
      return;
    }
    this.xorIn(this.accAt + r * this.accCap, h, n);
  }

  /** Class r's accumulator from the entry just computed in the parity area (its members all in the arena). */
  private accRestart(r: number, len: number): void {
    if (len > this.accCap) return;
    const at = this.accAt + r * this.accCap;
    this.arena.copyWithin(at, this.parAt, this.parAt + len);
    this.arena.fill(0, at + len, at + this.accCap);
    this.accOk[r] = 1;
  }

  /** arena[dst, dst + n) ^= arena[src, src + n), 32 bits at a time (both offsets multiples of 8). */
  private xorIn(dst: number, src: number, n: number): void {
    const w = this.arena32;
    const a = this.arena;
    const dw = dst >> 2;
    const sw = src >> 2;
    const words = n >> 2;
    for (let j = 0; j < words; j++) w[dw + j] = (w[dw + j] ?? 0) ^ (w[sw + j] ?? 0);
    for (let j = words << 2; j < n; j++) a[dst + j] = (a[dst + j] ?? 0) ^ (a[src + j] ?? 0);
  }

  /** XORs the s members of entry m (s spans, e entries) into `dst` from `at`. */
  private xorGroup(dst: Uint8Array, at: number, s: number, e: number, m: number): void {
    for (let k = 0; k < s; k++) {
      const slot = (this.sent - (s * e - m - k * e)) & this.mask;
      const member = this.histBuf[slot];
      const n = this.histLen[slot] ?? 0;
      if (member === undefined) continue;
      for (let j = 0; j < n; j++) dst[at + j] = (dst[at + j] ?? 0) ^ (member[j] ?? 0);
    }
  }
}
