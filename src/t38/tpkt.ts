/**
 * TPKT framing of T.38 IFPs over TCP — RFC 1006 §6 ("Packet format"), as used for the TCP
 * transport of T.38 (T.38 §6.1 lets gateways use TCP or UDP; §7.1.3 shows the IFP layering over
 * TCP). TCP is a byte stream, so each IFP is preceded by a 4-octet TPKT header that gives its
 * length:
 *
 * ```
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  version = 3  |  reserved = 0 |     packet length (16, BE)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  payload: one IFP, (packet length − 4) octets ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
 * ```
 *
 * The packet length counts the header itself (RFC 1006 §6; spandsp writes `len` including the 4
 * header octets the same way). RFC 1006 gives a minimum length of 7 because its payload is an
 * ISO 8073 TPDU of ≥ 3 octets; an IFP can be a single octet (e.g. the `no-signal` indicator `00`),
 * so for T.38 we accept any length ≥ 4. A length of exactly 4 (no payload) frames cleanly and is
 * returned as an empty payload — the framing layer stays transparent; the IFP decoder above
 * rejects it — and is counted in `emptyFrames`.
 *
 * What peers tolerate (read from their sources, not copied):
 *  - spandsp's `t38_core_rx_ifp_stream` (TCP_TPKT mode) rejects a header whose version ≠ 3 or
 *    reserved ≠ 0, and writes 3 / 0 itself.
 *  - Wireshark's TPKT dissector frames on version = 3 only and ignores the reserved octet while
 *    reassembling; its heuristic `is_tpkt` wants reserved = 0 but notes that the H.323
 *    implementers' guide suggests it may not always be 0.
 *  Hence: we always send reserved = 0; on receive a version ≠ 3 is fatal (we have lost framing —
 *  we are reading payload as if it were a header), while a non-zero reserved octet is tolerated
 *  by default (it does not affect framing) and counted in `reservedNonZero`; `strictReserved`
 *  makes it fatal like spandsp.
 *
 * Errors on the stream are sticky: once framing is lost there is no resynchronisation marker in
 * TPKT, so guessing would hand garbage to the IFP decoder. The transport must be closed (or the
 * parser `reset()` on a new connection).
 *
 * Copying: every payload octet is copied exactly once (into the payload returned); headers are
 * read in place when a chunk holds them whole. Byte-at-a-time input costs O(1) per octet — no
 * growing concatenation buffer. The parser holds at most one partial header (4 octets) and one
 * partial payload (≤ maxLength − 4 octets).
 */

import { FaxwireError } from '../util/errors.js';

/** RFC 1006 §6: the only TPKT version. */
export const TPKT_VERSION = 3;
export const TPKT_HEADER_SIZE = 4;
/** The 16-bit packet length field, header included. */
export const TPKT_MAX_LENGTH = 0xffff;
export const TPKT_MAX_PAYLOAD = TPKT_MAX_LENGTH - TPKT_HEADER_SIZE;
/**
 * Default largest accepted packet (header included). spandsp builds IFPs in 1000-octet buffers
 * and T.38 image-data IFPs are far smaller (≈ 54 octets at 14 400 bit/s per 30 ms), so 2 KiB of
 * payload is generous and still bounds memory per connection.
 */
export const TPKT_DEFAULT_MAX_LENGTH = 2048 + TPKT_HEADER_SIZE;
/** RFC 1006 §6 minimum packet length; the smallest `maxLength` a parser may be configured with. */
export const TPKT_MIN_CONFIGURABLE_MAX_LENGTH = 7;

export type TpktErrorCode = 'bad-version' | 'bad-reserved' | 'length-too-small' | 'length-too-large';

export interface TpktError {
  readonly code: TpktErrorCode;
  readonly message: string;
  /** Offset in the whole TCP stream (octets pushed since construction/reset) of the bad octet. */
  readonly offset: number;
}

/** Octets needed to frame `ifp`. Throws FAXWIRE_ERR_VALUE_OUT_OF_RANGE if it cannot be framed. */
export function tpktEncodedSize(ifp: Uint8Array): number {
  if (ifp.length > TPKT_MAX_PAYLOAD) {
    throw new FaxwireError(
      'FAXWIRE_ERR_VALUE_OUT_OF_RANGE',
      `TPKT payload of ${ifp.length} octets exceeds ${TPKT_MAX_PAYLOAD} (16-bit length incl. header)`,
    );
  }
  return TPKT_HEADER_SIZE + ifp.length;
}

/** Writes header + `ifp` at `buf[offset]`; returns the octets written. */
export function encodeTpktInto(ifp: Uint8Array, buf: Uint8Array, offset = 0): number {
  const size = tpktEncodedSize(ifp);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad offset ${offset}`);
  }
  if (buf.length - offset < size) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `TPKT needs ${size} octets, ${buf.length - offset} available`);
  }
  buf[offset] = TPKT_VERSION;
  buf[offset + 1] = 0;
  buf[offset + 2] = size >>> 8;
  buf[offset + 3] = size & 0xff;
  buf.set(ifp, offset + TPKT_HEADER_SIZE);
  return size;
}

export function encodeTpkt(ifp: Uint8Array): Uint8Array {
  const out = new Uint8Array(tpktEncodedSize(ifp));
  encodeTpktInto(ifp, out, 0);
  return out;
}

export interface TpktParserOptions {
  /** Largest accepted packet length, header included (7 … 65535; default 2052). */
  readonly maxLength?: number;
  /** Treat reserved ≠ 0 as a fatal error, as spandsp does (default false: tolerate and count). */
  readonly strictReserved?: boolean;
}

export interface TpktParserStats {
  /** Complete packets returned (empty ones included). */
  frames: number;
  /** Stream octets pushed while the stream was healthy (the chunk that hit an error included). */
  bytes: number;
  /** Payload octets returned. */
  payloadBytes: number;
  /** Packets with length 4 (no payload). */
  emptyFrames: number;
  /** Headers whose reserved octet was not 0 (tolerated unless `strictReserved`). */
  reservedNonZero: number;
  /** Fatal framing errors (0 or 1 between resets, since errors are sticky). */
  errors: number;
}

/**
 * Incremental TPKT deframer: `push()` any chunking of the TCP byte stream, get back the complete
 * payloads in order. Sans-IO; the driver owns the socket.
 */
export class TpktParser {
  private readonly maxLength: number;
  private readonly strictReserved: boolean;
  /** Partial header (only used when a header straddles chunks). */
  private readonly header = new Uint8Array(TPKT_HEADER_SIZE);
  private headerFill = 0;
  /** Payload being filled, once its header is known; null while reading a header. */
  private payload: Uint8Array | null = null;
  private payloadFill = 0;
  /** Stream offset of the next octet to consume. */
  private streamOffset = 0;
  private err: TpktError | null = null;
  private readonly stats: TpktParserStats = {
    frames: 0,
    bytes: 0,
    payloadBytes: 0,
    emptyFrames: 0,
    reservedNonZero: 0,
    errors: 0,
  };

  constructor(options: TpktParserOptions = {}) {
    const maxLength = options.maxLength ?? TPKT_DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < TPKT_MIN_CONFIGURABLE_MAX_LENGTH || maxLength > TPKT_MAX_LENGTH) {
      throw new FaxwireError(
        'FAXWIRE_ERR_INVALID_ARGUMENT',
        `TPKT maxLength must be an integer in ${TPKT_MIN_CONFIGURABLE_MAX_LENGTH}..${TPKT_MAX_LENGTH}, got ${maxLength}`,
      );
    }
    this.maxLength = maxLength;
    this.strictReserved = options.strictReserved ?? false;
  }

  /** The sticky error, or null while the stream is healthy. */
  get error(): TpktError | null {
    return this.err;
  }

  /** Octets held for an incomplete packet (header and payload). */
  get buffered(): number {
    return this.payload === null ? this.headerFill : TPKT_HEADER_SIZE + this.payloadFill;
  }

  /** Forgets all state (partial packet, error) — e.g. for a new TCP connection. Stats are kept. */
  reset(): void {
    this.headerFill = 0;
    this.payload = null;
    this.payloadFill = 0;
    this.streamOffset = 0;
    this.err = null;
  }

  getStats(): TpktParserStats {
    return { ...this.stats };
  }

  /**
   * Consumes `chunk` and returns the payloads it completed. After a fatal error returns [] (the
   * packets completed earlier in the same chunk are still returned by the call that hit it).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.err !== null) return out;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.payload !== null) {
        // Continue a payload that straddles chunks.
        const take = Math.min(n - i, this.payload.length - this.payloadFill);
        this.payload.set(chunk.subarray(i, i + take), this.payloadFill);
        this.payloadFill += take;
        i += take;
        if (this.payloadFill === this.payload.length) {
          this.emit(out, this.payload);
          this.payload = null;
          this.payloadFill = 0;
        }
        continue;
      }

      // Reading a header. Fast path: the whole header is in this chunk and none is pending.
      let b0: number;
      let b1: number;
      let len: number;
      const headerAt = this.streamOffset + i - this.headerFill;
      if (this.headerFill === 0 && n - i >= TPKT_HEADER_SIZE) {
        b0 = chunk[i]!;
        b1 = chunk[i + 1]!;
        if (!this.checkVersionReserved(b0, b1, headerAt)) break;
        len = (chunk[i + 2]! << 8) | chunk[i + 3]!;
        i += TPKT_HEADER_SIZE;
      } else {
        // Slow path: collect header octets across chunks, validating each as it arrives so a
        // bad stream is reported as early as possible (byte-at-a-time input included).
        while (this.headerFill < TPKT_HEADER_SIZE && i < n) {
          this.header[this.headerFill++] = chunk[i++]!;
        }
        if (this.headerFill < TPKT_HEADER_SIZE) {
          if (this.header[0] !== TPKT_VERSION) {
            this.checkVersionReserved(this.header[0]!, 0, headerAt);
            break;
          }
          if (this.headerFill >= 2 && !this.checkReservedOnly(this.header[1]!, headerAt, false)) break;
          continue; // i === n: wait for the rest of the header
        }
        b0 = this.header[0]!;
        b1 = this.header[1]!;
        if (!this.checkVersionReserved(b0, b1, headerAt)) break;
        len = (this.header[2]! << 8) | this.header[3]!;
        this.headerFill = 0;
      }

      if (len < TPKT_HEADER_SIZE) {
        this.setError({
          code: 'length-too-small',
          message: `TPKT length ${len} is shorter than its own 4-octet header`,
          offset: headerAt + 2,
        });
        break;
      }
      if (len > this.maxLength) {
        this.setError({
          code: 'length-too-large',
          message: `TPKT length ${len} exceeds the configured maximum ${this.maxLength}`,
          offset: headerAt + 2,
        });
        break;
      }
      const payloadLen = len - TPKT_HEADER_SIZE;
      if (n - i >= payloadLen) {
        // Whole payload in this chunk: one copy, straight out.
        this.emit(out, chunk.slice(i, i + payloadLen));
        i += payloadLen;
      } else {
        this.payload = new Uint8Array(payloadLen);
        this.payloadFill = n - i;
        this.payload.set(chunk.subarray(i, n), 0);
        i = n;
      }
    }
    this.stats.bytes += n;
    this.streamOffset += n;
    return out;
  }

  private emit(out: Uint8Array[], payload: Uint8Array): void {
    out.push(payload);
    this.stats.frames++;
    this.stats.payloadBytes += payload.length;
    if (payload.length === 0) this.stats.emptyFrames++;
  }

  /** Validates octets 0 and 1 of a header at stream offset `at`; records the error if bad. */
  private checkVersionReserved(b0: number, b1: number, at: number): boolean {
    if (b0 !== TPKT_VERSION) {
      this.setError({
        code: 'bad-version',
        message: `TPKT version ${b0} (expected ${TPKT_VERSION}): framing lost`,
        offset: at,
      });
      return false;
    }
    return this.checkReservedOnly(b1, at, true);
  }

  /** `count`: count a tolerated non-zero reserved octet (only once per header, when complete). */
  private checkReservedOnly(b1: number, at: number, count: boolean): boolean {
    if (b1 === 0) return true;
    if (this.strictReserved) {
      this.setError({ code: 'bad-reserved', message: `TPKT reserved octet is ${b1}, expected 0`, offset: at + 1 });
      return false;
    }
    if (count) this.stats.reservedNonZero++;
    return true;
  }

  private setError(e: TpktError): void {
    this.err = e;
    this.stats.errors++;
    // Drop any partial state: the stream is unusable until reset().
    this.headerFill = 0;
    this.payload = null;
    this.payloadFill = 0;
  }
}
