/**
 * UDPTL packet codec: the `UDPTLPacket` of ITU-T T.38 §9.1 (ASN.1 in T.38 Annex A), encoded with
 * the ALIGNED variant of the Packed Encoding Rules (ITU-T X.691).
 *
 * ```
 * UDPTLPacket ::= SEQUENCE {
 *   seq-number          INTEGER (0..65535),
 *   primary-ifp-packet  TYPE-IDENTIFIER.&Type(IFPPacket),
 *   error-recovery      CHOICE {
 *     secondary-ifp-packets  SEQUENCE OF TYPE-IDENTIFIER.&Type(IFPPacket),
 *     fec-info               SEQUENCE { fec-npackets INTEGER, fec-data SEQUENCE OF OCTET STRING } } }
 * ```
 *
 * The IFP payloads (primary, secondaries) are opaque octet strings here: they are the complete
 * PER encodings of `IFPPacket` values and are decoded by the IFP codec, never by this module.
 * Decoded payloads are `subarray`s of the input (no copy) except for the rare fragmented open
 * type (≥ 16384 octets), which has to be reassembled.
 *
 * Policies (chosen here, documented because the standard leaves them to the implementation):
 * - Counts are bounded: at most {@link UDPTL_MAX_SECONDARIES} secondary IFPs and
 *   {@link UDPTL_MAX_FEC_ENTRIES} FEC entries per packet. More is an error for the whole datagram
 *   (spandsp's udptl.c also rejects the datagram, at 16 secondaries; Asterisk's silently stops
 *   parsing after 15). Real peers send 0–7 (Cisco ls-redundancy ≤ 5, spandsp up to 15).
 * - Trailing octets after a complete packet: spandsp/FreeSWITCH's udptl.c rejects the datagram
 *   ("we should now be exactly at the end of the packet"); Asterisk's main/udptl.c never checks and
 *   ignores them. `decodeUdptl` is strict by default (`trailing-bytes` error) and reports them with
 *   `allowTrailingBytes: true` (`bytesRead < bytes.length`), which the receiver uses to be as
 *   tolerant as Asterisk while still counting the anomaly.
 * - Zero-length open types decode (X.691 10.1.3 says a complete encoding is never empty, so a
 *   zero-length IFP is bogus, but the receiver has to see it to count and ignore it: Asterisk's
 *   AST-2016-003 was a crash on zero-length secondaries). The encoder writes what it is given, so
 *   tests can build such datagrams; the sender refuses empty IFPs.
 * - Non-canonical but unambiguous forms are accepted (a 2-octet length for a value < 128, a
 *   non-minimal fec-npackets, non-zero CHOICE padding bits); the encoder always writes the
 *   canonical form, so decode→encode is the identity for canonical input only.
 */

import { ok, err, type DecodeResult } from '../util/result.js';
import { FaxwireError } from '../util/errors.js';
import { invalid } from '../util/check.js';

/** Most secondary IFPs accepted in one packet (decoder bound; the encoder refuses more). */
export const UDPTL_MAX_SECONDARIES = 32;
/** Most fec-data entries accepted in one packet (decoder bound; the encoder refuses more). */
export const UDPTL_MAX_FEC_ENTRIES = 32;
/** Largest fec-npackets accepted: 4 value octets of a non-negative two's complement INTEGER. */
export const UDPTL_MAX_FEC_SPAN = 0x7fffffff;
/**
 * Largest span × entries (packets covered by one datagram's parity) that our sender will produce
 * and our receiver will use. A policy of this project, not of T.38: Asterisk caps span and
 * entries at 5 each (default 3 × 3) and spandsp's ring only holds 16 packets.
 */
export const UDPTL_MAX_FEC_COVERAGE = 256;

/** error-recovery CHOICE octet: bit 8 is the CHOICE index, bits 7..1 are alignment padding. */
const CHOICE_SECONDARY = 0x00;
const CHOICE_FEC = 0x80;

/** X.691 10.9: a fragment carries k × 16K octets (or items), k = 1..4. */
const FRAGMENT_UNIT = 16384;

export type UdptlRecovery =
  | {
      readonly kind: 'secondary';
      /** Older IFPs, NEWEST FIRST: `[0]` is seq−1, `[1]` is seq−2, ... (T.38 §9.1). */
      readonly secondaries: readonly Uint8Array[];
    }
  | {
      readonly kind: 'fec';
      /** fec-npackets: how many packets each parity entry covers. */
      readonly span: number;
      /** fec-data: parity (XOR) entries; see udptl-sender.ts for which packets each one covers. */
      readonly entries: readonly Uint8Array[];
    };

export interface UdptlPacket {
  /** seq-number, 0..65535, wraps. */
  readonly seq: number;
  /** The primary IFP (complete PER encoding of an IFPPacket, opaque here). */
  readonly primary: Uint8Array;
  readonly recovery: UdptlRecovery;
}

export type UdptlDecodeErrorCode =
  /** The input ends before the packet does. */
  | 'truncated'
  /** A length determinant of the reserved form `11kkkkkk` with k = 0 or k > 4. */
  | 'bad-length'
  /** Octets remain after a complete packet (only when `allowTrailingBytes` is not set). */
  | 'trailing-bytes'
  /** More than UDPTL_MAX_SECONDARIES secondary IFPs. */
  | 'too-many-secondaries'
  /** More than UDPTL_MAX_FEC_ENTRIES fec-data entries. */
  | 'too-many-fec-entries'
  /** fec-npackets is negative, empty, fragmented or longer than 4 octets. */
  | 'bad-fec-span';

export interface UdptlDecodeError {
  readonly code: UdptlDecodeErrorCode;
  readonly message: string;
  /** Octet offset in the input where the problem was found. */
  readonly offset: number;
}

export interface UdptlDecodeOptions {
  /** Accept octets after the packet (Asterisk behaviour); `bytesRead` then tells where it ended. */
  readonly allowTrailingBytes?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Thrown internally to unwind a decode; converted to a returned error at the top level only. */
class DecodeFailure {
  constructor(readonly error: UdptlDecodeError) {}
}

function fail(code: UdptlDecodeErrorCode, offset: number, message: string): never {
  // A private class instance, caught in decodeUdptl: the public API never throws.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw new DecodeFailure({ code, message, offset });
}

interface Reader {
  readonly buf: Uint8Array;
  pos: number;
  /** Set by readLength: true when the determinant was a fragment (value = k × 16K). */
  fragment: boolean;
}

/**
 * X.691 10.9.3.5–10.9.3.8, unconstrained length determinant (aligned variant, octet-aligned):
 * ```
 *   0vvvvvvv                      value 0..127
 *   10vvvvvv vvvvvvvv             value 128..16383 (14 bits, big-endian)
 *   11kkkkkk                      fragment: k × 16384 octets/items follow, then another length
 * ```
 * Returns the value; sets `r.fragment` when it is a fragment header.
 */
function readLength(r: Reader): number {
  const at = r.pos;
  const b0 = r.buf[at];
  if (b0 === undefined) fail('truncated', at, 'length determinant missing');
  if ((b0 & 0x80) === 0) {
    r.pos = at + 1;
    r.fragment = false;
    return b0;
  }
  if ((b0 & 0x40) === 0) {
    const b1 = r.buf[at + 1];
    if (b1 === undefined) fail('truncated', at, 'two-octet length determinant cut short');
    r.pos = at + 2;
    r.fragment = false;
    return ((b0 & 0x3f) << 8) | b1;
  }
  const k = b0 & 0x3f;
  if (k < 1 || k > 4) fail('bad-length', at, `fragment length determinant with k=${k} (must be 1..4)`);
  r.pos = at + 1;
  r.fragment = true;
  return k * FRAGMENT_UNIT;
}

/** Takes `n` octets as a subarray (no copy). */
function take(r: Reader, n: number, what: string): Uint8Array {
  const at = r.pos;
  if (at + n > r.buf.length) fail('truncated', at, `${what}: ${n} octets announced, ${r.buf.length - at} left`);
  r.pos = at + n;
  return r.buf.subarray(at, at + n);
}

/**
 * X.691 10.2 open type / 17 OCTET STRING (unconstrained): a length determinant and the octets.
 * Fragmented form (X.691 10.9.3.8): `11kkkkkk` + k×16K octets, repeated, then a final ordinary
 * length determinant (possibly 0) + the rest. Bounded by the input length: each fragment must be
 * present in full before the next header is read.
 */
function readOctets(r: Reader, what: string): Uint8Array {
  const n = readLength(r);
  if (!r.fragment) return take(r, n, what);
  const parts: Uint8Array[] = [take(r, n, what)];
  let total = n;
  for (;;) {
    const m = readLength(r);
    parts.push(take(r, m, what));
    total += m;
    if (!r.fragment) break;
  }
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  return joined;
}

/** SEQUENCE OF count (X.691 20.6 → 10.9 length determinant), bounded by `max`. */
function readCount(r: Reader, max: number, code: 'too-many-secondaries' | 'too-many-fec-entries'): number {
  const at = r.pos;
  const n = readLength(r);
  // A fragmented count means ≥ 16384 items: far beyond any bound we accept.
  if (r.fragment || n > max) fail(code, at, `${r.fragment ? '≥16384' : n} items (at most ${max} accepted)`);
  return n;
}

/**
 * fec-npackets, an unconstrained INTEGER (X.691 12.2.6 → 10.8): a length determinant giving the
 * number of octets, then a minimal two's complement value. Only 0..2^31−1 in 1..4 octets is
 * accepted. (Asterisk and spandsp only accept the 1-octet form `01 nn`.)
 * ```
 *   llllllll  vvvvvvvv [vvvvvvvv ...]     l = 1..4 value octets, big-endian, sign bit first
 * ```
 */
function readSpan(r: Reader): number {
  const at = r.pos;
  const n = readLength(r);
  if (r.fragment || n < 1 || n > 4) fail('bad-fec-span', at, `fec-npackets with ${r.fragment ? '≥16384' : n} value octets (1..4 accepted)`);
  const v = take(r, n, 'fec-npackets');
  if ((v[0] ?? 0) & 0x80) fail('bad-fec-span', at, 'negative fec-npackets');
  let value = 0;
  for (const b of v) value = value * 256 + b;
  return value;
}

/**
 * Decodes one UDPTL datagram. Never throws on bad input.
 *
 * ```
 *  octet 0-1   seq-number, big-endian (aligned PER constrained whole number, range 65536)
 *  then        primary IFP: length determinant + octets
 *  then        1 octet: c0000000   c = CHOICE index (0 secondary-ifp-packets, 1 fec-info), 7 pad bits
 *  c = 0:      count (length determinant), then count × (length determinant + IFP octets), newest first
 *  c = 1:      fec-npackets (length determinant + 2's complement octets),
 *              count (length determinant), then count × (length determinant + parity octets)
 * ```
 */
export function decodeUdptl(bytes: Uint8Array, options?: UdptlDecodeOptions): DecodeResult<UdptlPacket, UdptlDecodeError> {
  const r: Reader = { buf: bytes, pos: 0, fragment: false };
  try {
    const s = take(r, 2, 'seq-number');
    const seq = ((s[0] ?? 0) << 8) | (s[1] ?? 0);
    const primary = readOctets(r, 'primary-ifp-packet');
    const choiceAt = r.pos;
    const choice = bytes[choiceAt];
    if (choice === undefined) fail('truncated', choiceAt, 'error-recovery missing');
    r.pos = choiceAt + 1;
    let recovery: UdptlRecovery;
    if ((choice & 0x80) === CHOICE_SECONDARY) {
      const count = readCount(r, UDPTL_MAX_SECONDARIES, 'too-many-secondaries');
      const secondaries: Uint8Array[] = [];
      for (let i = 0; i < count; i++) secondaries.push(readOctets(r, 'secondary-ifp-packet'));
      recovery = { kind: 'secondary', secondaries };
    } else {
      const span = readSpan(r);
      const count = readCount(r, UDPTL_MAX_FEC_ENTRIES, 'too-many-fec-entries');
      const entries: Uint8Array[] = [];
      for (let i = 0; i < count; i++) entries.push(readOctets(r, 'fec-data'));
      recovery = { kind: 'fec', span, entries };
    }
    if (r.pos !== bytes.length && options?.allowTrailingBytes !== true) {
      fail('trailing-bytes', r.pos, `${bytes.length - r.pos} octets after the end of the packet`);
    }
    return ok({ seq, primary, recovery }, r.pos);
  } catch (e) {
    if (e instanceof DecodeFailure) return err(e.error);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Allocation-free decoding (the per-datagram hot path)
// ---------------------------------------------------------------------------------------------

/**
 * Reusable decode target for `decodeUdptlView`: offsets into the decoded buffer instead of
 * subarrays and objects, so decoding a datagram allocates nothing. The layout is the one
 * `decodeUdptl` reads (see its diagram); items are secondaries (newest first) or FEC entries.
 */
export class UdptlView {
  seq = 0;
  primaryStart = 0;
  primaryEnd = 0;
  /** 0 = secondary-ifp-packets, 1 = fec-info. */
  recovery: 0 | 1 = 0;
  /** fec-npackets (FEC only). */
  fecSpan = 0;
  itemCount = 0;
  readonly itemStart = new Int32Array(Math.max(UDPTL_MAX_SECONDARIES, UDPTL_MAX_FEC_ENTRIES));
  readonly itemEnd = new Int32Array(Math.max(UDPTL_MAX_SECONDARIES, UDPTL_MAX_FEC_ENTRIES));
  bytesRead = 0;
  /**
   * Set after a failed decode. 'fragmented' means a length ≥ 16384 in fragmented form, which a
   * view cannot describe without copying: decode such a datagram with `decodeUdptl` instead.
   */
  errorCode: UdptlDecodeErrorCode | 'fragmented' | undefined = undefined;
  errorOffset = 0;
}

function viewFail(v: UdptlView, code: UdptlDecodeErrorCode | 'fragmented', at: number): false {
  v.errorCode = code;
  v.errorOffset = at;
  return false;
}

/**
 * Decodes one UDPTL datagram from `buf[start, end)` into `view` without allocating. Returns
 * true on success. Same rules and error codes as `decodeUdptl` (trailing octets are an error
 * unless `allowTrailingBytes`), plus 'fragmented' (see `UdptlView.errorCode`).
 */
export function decodeUdptlView(buf: Uint8Array, view: UdptlView, allowTrailingBytes = false, start = 0, end = buf.length): boolean {
  view.errorCode = undefined;
  view.itemCount = 0;
  let pos = start;
  if (pos + 2 > end) return viewFail(view, 'truncated', pos);
  view.seq = ((buf[pos] ?? 0) << 8) | (buf[pos + 1] ?? 0);
  pos += 2;
  // Primary: length determinant (X.691 10.9) + octets.
  if (pos >= end) return viewFail(view, 'truncated', pos);
  let b = buf[pos] ?? 0;
  let n: number;
  if ((b & 0x80) === 0) {
    n = b;
    pos += 1;
  } else if ((b & 0x40) === 0) {
    if (pos + 2 > end) return viewFail(view, 'truncated', pos);
    n = ((b & 0x3f) << 8) | (buf[pos + 1] ?? 0);
    pos += 2;
  } else {
    return viewFail(view, (b & 0x3f) >= 1 && (b & 0x3f) <= 4 ? 'fragmented' : 'bad-length', pos);
  }
  if (pos + n > end) return viewFail(view, 'truncated', pos);
  view.primaryStart = pos;
  view.primaryEnd = pos + n;
  pos += n;
  if (pos >= end) return viewFail(view, 'truncated', pos);
  const choice = buf[pos] ?? 0;
  pos += 1;
  let max: number = UDPTL_MAX_SECONDARIES;
  if ((choice & 0x80) === CHOICE_SECONDARY) {
    view.recovery = 0;
    view.fecSpan = 0;
  } else {
    view.recovery = 1;
    max = UDPTL_MAX_FEC_ENTRIES;
    // fec-npackets: a length determinant (X.691 10.9, the non-canonical 2-octet form accepted as
    // decodeUdptl does), then 1..4 value octets, non-negative.
    if (pos >= end) return viewFail(view, 'truncated', pos);
    const at = pos;
    let len = buf[pos] ?? 0;
    if ((len & 0x80) === 0) {
      pos += 1;
    } else if ((len & 0x40) === 0) {
      if (pos + 2 > end) return viewFail(view, 'truncated', at);
      len = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      pos += 2;
    } else {
      // A fragment header: malformed when k is outside 1..4, else far too long for an INTEGER.
      const k = len & 0x3f;
      return viewFail(view, k < 1 || k > 4 ? 'bad-length' : 'bad-fec-span', at);
    }
    if (len < 1 || len > 4) return viewFail(view, 'bad-fec-span', at);
    if (pos + len > end) return viewFail(view, 'truncated', pos);
    if ((buf[pos] ?? 0) & 0x80) return viewFail(view, 'bad-fec-span', at);
    let span = 0;
    for (let i = 0; i < len; i++) span = span * 256 + (buf[pos + i] ?? 0);
    view.fecSpan = span;
    pos += len;
  }
  // SEQUENCE OF count, then that many length-prefixed items.
  if (pos >= end) return viewFail(view, 'truncated', pos);
  b = buf[pos] ?? 0;
  let count: number;
  if ((b & 0x80) === 0) {
    count = b;
    pos += 1;
  } else if ((b & 0x40) === 0) {
    if (pos + 2 > end) return viewFail(view, 'truncated', pos);
    count = ((b & 0x3f) << 8) | (buf[pos + 1] ?? 0);
    pos += 2;
  } else {
    // A fragmented count (≥ 16384 items) is far beyond any bound; k outside 1..4 is malformed.
    if ((b & 0x3f) < 1 || (b & 0x3f) > 4) return viewFail(view, 'bad-length', pos);
    count = Infinity;
  }
  if (count > max) return viewFail(view, view.recovery === 0 ? 'too-many-secondaries' : 'too-many-fec-entries', pos);
  for (let i = 0; i < count; i++) {
    if (pos >= end) return viewFail(view, 'truncated', pos);
    b = buf[pos] ?? 0;
    if ((b & 0x80) === 0) {
      n = b;
      pos += 1;
    } else if ((b & 0x40) === 0) {
      if (pos + 2 > end) return viewFail(view, 'truncated', pos);
      n = ((b & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      pos += 2;
    } else {
      return viewFail(view, (b & 0x3f) >= 1 && (b & 0x3f) <= 4 ? 'fragmented' : 'bad-length', pos);
    }
    if (pos + n > end) return viewFail(view, 'truncated', pos);
    view.itemStart[i] = pos;
    view.itemEnd[i] = pos + n;
    pos += n;
  }
  view.itemCount = count;
  if (pos !== end && !allowTrailingBytes) return viewFail(view, 'trailing-bytes', pos);
  view.bytesRead = pos - start;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Octets taken by the length determinant(s) of an `n`-octet open type / OCTET STRING. */
export function perOctetsOverhead(n: number): number {
  if (n < 128) return 1;
  if (n < FRAGMENT_UNIT) return 2;
  // Fragments of up to 4 × 16K, each with a 1-octet header, then a final ordinary determinant.
  let headers = 0;
  let rest = n;
  while (rest >= FRAGMENT_UNIT) {
    rest -= Math.min(4, Math.floor(rest / FRAGMENT_UNIT)) * FRAGMENT_UNIT;
    headers++;
  }
  return headers + (rest < 128 ? 1 : 2);
}

/** Length determinant + octets of an `n`-octet open type / OCTET STRING. */
export function perOctetsSize(n: number): number {
  return perOctetsOverhead(n) + n;
}

function integerOctets(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x8000) return 2;
  if (v < 0x800000) return 3;
  return 4;
}

function checkPacket(p: UdptlPacket): void {
  if (!Number.isInteger(p.seq) || p.seq < 0 || p.seq > 0xffff) invalid(`seq ${p.seq} is not in 0..65535`);
  if (!(p.primary instanceof Uint8Array)) invalid('primary must be a Uint8Array');
  const rec = p.recovery;
  switch (rec.kind) {
    case 'secondary':
      if (rec.secondaries.length > UDPTL_MAX_SECONDARIES) {
        throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `${rec.secondaries.length} secondaries (at most ${UDPTL_MAX_SECONDARIES})`);
      }
      break;
    case 'fec':
      if (!Number.isInteger(rec.span) || rec.span < 0 || rec.span > UDPTL_MAX_FEC_SPAN) invalid(`fec span ${rec.span} is not in 0..${UDPTL_MAX_FEC_SPAN}`);
      if (rec.entries.length > UDPTL_MAX_FEC_ENTRIES) {
        throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `${rec.entries.length} fec entries (at most ${UDPTL_MAX_FEC_ENTRIES})`);
      }
      break;
  }
}

/** Exact encoded size of `p` in octets. Throws FaxwireError on an invalid packet. */
export function udptlEncodedSize(p: UdptlPacket): number {
  checkPacket(p);
  let n = 2 + perOctetsSize(p.primary.length) + 1;
  const rec = p.recovery;
  switch (rec.kind) {
    case 'secondary':
      n += 1; // count ≤ 32 < 128
      for (const s of rec.secondaries) n += perOctetsSize(s.length);
      break;
    case 'fec':
      n += 1 + integerOctets(rec.span) + 1;
      for (const e of rec.entries) n += perOctetsSize(e.length);
      break;
  }
  return n;
}

/** Writes an open type / OCTET STRING (length determinant(s) + octets); returns the new offset. */
export function writePerOctets(buf: Uint8Array, offset: number, data: Uint8Array): number {
  let o = offset;
  let rest = data.length;
  if (rest < FRAGMENT_UNIT) {
    // The usual case: one determinant, then the octets.
    if (rest < 128) {
      buf[o++] = rest;
    } else {
      buf[o++] = 0x80 | (rest >> 8);
      buf[o++] = rest & 0xff;
    }
    buf.set(data, o);
    return o + rest;
  }
  let i = 0;
  // X.691 10.9.3.8: fragments of m × 16K (m = 4 while possible), then a final determinant,
  // which is 0 when the data is an exact multiple of 16K.
  while (rest >= FRAGMENT_UNIT) {
    const m = Math.min(4, Math.floor(rest / FRAGMENT_UNIT));
    buf[o++] = 0xc0 | m;
    const chunk = m * FRAGMENT_UNIT;
    buf.set(data.subarray(i, i + chunk), o);
    o += chunk;
    i += chunk;
    rest -= chunk;
  }
  if (rest < 128) {
    buf[o++] = rest;
  } else {
    buf[o++] = 0x80 | (rest >> 8);
    buf[o++] = rest & 0xff;
  }
  buf.set(data.subarray(i), o);
  return o + rest;
}

/**
 * Encodes `p` into `buf` at `offset`; returns the octets written. Throws FaxwireError
 * FAXWIRE_ERR_BUFFER_TOO_SMALL when it does not fit, FAXWIRE_ERR_INVALID_ARGUMENT /
 * FAXWIRE_ERR_VALUE_OUT_OF_RANGE for an invalid packet.
 */
export function encodeUdptlInto(p: UdptlPacket, buf: Uint8Array, offset: number): number {
  const size = udptlEncodedSize(p);
  if (!Number.isInteger(offset) || offset < 0) invalid(`offset ${offset}`);
  if (offset + size > buf.length) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `UDPTL packet needs ${size} octets at offset ${offset}, buffer has ${buf.length}`);
  }
  let o = offset;
  buf[o++] = p.seq >> 8;
  buf[o++] = p.seq & 0xff;
  o = writePerOctets(buf, o, p.primary);
  const rec = p.recovery;
  switch (rec.kind) {
    case 'secondary':
      buf[o++] = CHOICE_SECONDARY;
      buf[o++] = rec.secondaries.length;
      for (const s of rec.secondaries) o = writePerOctets(buf, o, s);
      break;
    case 'fec': {
      buf[o++] = CHOICE_FEC;
      const n = integerOctets(rec.span);
      buf[o++] = n;
      for (let i = n - 1; i >= 0; i--) buf[o++] = Math.floor(rec.span / 2 ** (8 * i)) & 0xff;
      buf[o++] = rec.entries.length;
      for (const e of rec.entries) o = writePerOctets(buf, o, e);
      break;
    }
  }
  return o - offset;
}

/** Encodes `p` into a new Uint8Array of exactly the right size. */
export function encodeUdptl(p: UdptlPacket): Uint8Array {
  const buf = new Uint8Array(udptlEncodedSize(p));
  encodeUdptlInto(p, buf, 0);
  return buf;
}
