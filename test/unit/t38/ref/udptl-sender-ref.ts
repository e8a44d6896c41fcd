/**
 * REFERENCE ONLY: src/t38/udptl-sender.ts exactly as it was at commit 09045e4 (before the allocation-free
 * path), kept so the differential tests compare the new code against today's behaviour on random
 * inputs. Only the imports and the class name changed. Do not use outside tests.
 */
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
 */

import { assertNever } from '../../../../src/util/errors.js';
import { checkInt, invalid } from '../../../../src/util/check.js';
import {
  UDPTL_MAX_FEC_COVERAGE,
  UDPTL_MAX_FEC_ENTRIES,
  UDPTL_MAX_SECONDARIES,
  perOctetsSize,
  writePerOctets,
} from '../../../../src/t38/udptl.js';

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

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class RefUdptlSender {
  private readonly ec: UdptlErrorCorrection;
  private readonly maxDatagram: number;
  private readonly repeatIndicator: number;
  private readonly repeatControl: number;
  private readonly repeatControlEnd: number;
  private readonly repeatImage: number;
  private readonly repeatImageEnd: number;

  /** History of sent IFPs, indexed by (sent count) & mask; buffers grow, never shrink. */
  private readonly histBuf: Uint8Array[];
  private readonly histLen: Int32Array;
  private readonly mask: number;

  /** XOR work area for FEC entries (grows, never shrinks). */
  private scratch = new Uint8Array(256);

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
    const size = nextPow2(Math.max(1, history));
    this.mask = size - 1;
    this.histBuf = [];
    for (let i = 0; i < size; i++) this.histBuf.push(new Uint8Array(0));
    this.histLen = new Int32Array(size);
  }

  /** seq-number the next `send` will use. */
  get nextSeq(): number {
    return this.seq;
  }

  /** Wraps one IFP in a datagram (plus repeats). Throws FaxwireError on an empty or huge IFP. */
  send(ifp: Uint8Array, category: UdptlCategory): UdptlSendResult {
    if (!(ifp instanceof Uint8Array)) invalid('ifp must be a Uint8Array');
    // X.691 10.1.3: a complete encoding is never empty; spandsp refuses to send one too.
    if (ifp.length < 1 || ifp.length > MAX_IFP) invalid(`IFP of ${ifp.length} octets (1..${MAX_IFP})`);
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
    // seq-number (2) + primary + CHOICE octet
    const base = 2 + perOctetsSize(ifp.length) + 1;
    let datagram: Uint8Array;
    let secondaries = 0;
    let fecEntries = 0;
    let dropped = 0;
    let oversize: boolean;
    if (ec.mode === 'fec') {
      ({ datagram, fecEntries, dropped, oversize } = this.buildFec(ifp, seq, base, ec.span, ec.entries));
    } else {
      // 'none' is the secondary CHOICE with zero items, as Asterisk and spandsp send it.
      ({ datagram, secondaries, dropped, oversize } = this.buildRedundant(ifp, seq, base, depth));
    }

    // Remember the IFP for later secondaries / parity (after building: the slot may be the oldest one).
    if (ec.mode !== 'none') {
      const slot = this.sent & this.mask;
      let b = this.histBuf[slot] ?? new Uint8Array(0);
      if (b.length < ifp.length) {
        b = new Uint8Array(Math.max(ifp.length, 64));
        this.histBuf[slot] = b;
      }
      b.set(ifp);
      this.histLen[slot] = ifp.length;
    }
    this.sent++;
    this.seq = (seq + 1) & 0xffff;

    const st = this.stats;
    st.ifps++;
    st.datagrams += copies;
    st.repeats += copies - 1;
    st.bytes += datagram.length * copies;
    st.secondariesSent += secondaries;
    st.fecEntriesSent += fecEntries;
    st.redundancyDroppedForSize += dropped;
    if (oversize) st.oversize++;

    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < copies; i++) datagrams.push(datagram);
    return { datagrams, seq, secondariesIncluded: secondaries, fecEntriesIncluded: fecEntries, redundancyDropped: dropped, oversize };
  }

  getStats(): UdptlSenderStats {
    return { ...this.stats };
  }

  /** Length of the IFP sent `back` IFPs ago (1 = the previous one). */
  private lenBack(back: number): number {
    return this.histLen[(this.sent - back) & this.mask] ?? 0;
  }

  private bytesBack(back: number): Uint8Array {
    const slot = (this.sent - back) & this.mask;
    return (this.histBuf[slot] ?? new Uint8Array(0)).subarray(0, this.histLen[slot] ?? 0);
  }

  private writeHeader(out: Uint8Array, seq: number, ifp: Uint8Array, choice: number): number {
    out[0] = seq >> 8;
    out[1] = seq & 0xff;
    let o = writePerOctets(out, 2, ifp);
    out[o++] = choice;
    return o;
  }

  private buildRedundant(ifp: Uint8Array, seq: number, base: number, depth: number): { datagram: Uint8Array; secondaries: number; dropped: number; oversize: boolean } {
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
    const out = new Uint8Array(size);
    let o = this.writeHeader(out, seq, ifp, 0x00);
    out[o++] = n;
    for (let i = 0; i < n; i++) o = writePerOctets(out, o, this.bytesBack(i + 1));
    return { datagram: out, secondaries: n, dropped: want - n, oversize };
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

  private buildFec(ifp: Uint8Array, seq: number, base: number, span: number, entries: number): { datagram: Uint8Array; fecEntries: number; dropped: number; oversize: boolean } {
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
    for (; e > 0; e--) {
      size = head;
      for (let m = 0; m < e; m++) size += perOctetsSize(this.fecEntryLen(s, e, m));
      if (size <= this.maxDatagram) break;
    }
    if (e === 0) size = head;
    const out = new Uint8Array(size);
    let o = this.writeHeader(out, seq, ifp, 0x80);
    out[o++] = spanOctets;
    if (spanOctets === 2) out[o++] = s >> 8;
    out[o++] = s & 0xff;
    out[o++] = e;
    for (let m = 0; m < e; m++) {
      const len = this.fecEntryLen(s, e, m);
      if (this.scratch.length < len) this.scratch = new Uint8Array(Math.max(len, 2 * this.scratch.length));
      const x = this.scratch.subarray(0, len);
      x.fill(0);
      // Shorter members are implicitly zero-padded to the entry length.
      for (let k = 0; k < s; k++) {
        const member = this.bytesBack(s * e - m - k * e);
        for (let j = 0; j < member.length; j++) x[j] = (x[j] ?? 0) ^ (member[j] ?? 0);
      }
      o = writePerOctets(out, o, x);
    }
    return { datagram: out, fecEntries: e, dropped: want - e, oversize };
  }
}
