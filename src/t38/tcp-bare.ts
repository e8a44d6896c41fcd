/**
 * T.38 over TCP without TPKT: IFPs sent back to back on the byte stream, each delimited only by
 * its own ASN.1 PER encoding (T.38 §6.1 allows TCP; the IFP is self-delimiting because its
 * data-field count and every field-data length are explicit, T.38 §7.2/Annex A). spandsp offers
 * this as `T38_TRANSPORT_TCP` beside `T38_TRANSPORT_TCP_TPKT`: its receive routine parses from
 * the start of what it has and reports "need more" when the bytes run out — the same contract as
 * the `measure` function injected here.
 *
 * The parser does not know IFP syntax. `measure(bytes)` (in practice
 * `(b) => decodeIfp(b, version)`) must say how long the IFP at the start of `bytes` is, or fail
 * with code `'truncated'` when it needs more octets. Any other failure means the stream is not
 * T.38 (or we lost sync): there is no resynchronisation marker in a bare stream, so the error is
 * sticky and the connection must be dropped (or `reset()` on a new one).
 *
 * Buffering and copying:
 *  - while nothing is buffered, IFPs are measured in place in the pushed chunk and copied out
 *    once (`slice`);
 *  - only the incomplete tail of a chunk is buffered, in one preallocated buffer of `maxLength`
 *    octets (start/end indices, compacted only when a partial IFP must be extended), so memory
 *    per connection is bounded and byte-at-a-time input is O(1) copies per octet;
 *  - an IFP still incomplete when `maxLength` octets are buffered is an `ifp-too-long` error.
 *  Each `measure` call re-parses the partial IFP from its start (the decoder is stateless), so a
 *  byte-at-a-time stream costs O(L²) decoder work per IFP of length L — bounded by `maxLength`.
 *
 * Garbage: an empty chunk is a no-op; a stream of zero octets (`00 00 …`) is NOT garbage to a
 * T.38 decoder — `00` is the complete `no-signal` indicator — so it yields one 1-octet IFP per
 * octet; arbitrary bytes end in a sticky `malformed-ifp` error at the first undecodable IFP
 * (carrying the decoder's own code as `cause`). A `measure` that misbehaves (throws, or reports a
 * length of 0 or beyond the bytes it was given) gives a sticky `bad-measure` error rather than an
 * exception or an infinite loop.
 */

import { FaxwireError } from '../util/errors.js';

/** Result shape of the injected IFP measurer (a subset of `DecodeResult`). */
export type IfpMeasureResult = { readonly ok: true; readonly bytesRead: number } | { readonly ok: false; readonly error: { readonly code: string } };
export type IfpMeasure = (bytes: Uint8Array) => IfpMeasureResult;

/** The code a measurer returns when the IFP continues past the bytes it was given. */
export const MEASURE_TRUNCATED = 'truncated';

/** Default bound on one IFP (as `TPKT_DEFAULT_MAX_LENGTH` minus its header). */
export const BARE_TCP_DEFAULT_MAX_LENGTH = 2048;
/** Hard ceiling for `maxLength` (an IFP field can hold 65 535 octets; a few fields beyond that is absurd). */
export const BARE_TCP_MAX_MAX_LENGTH = 1 << 20;

export type BareTcpErrorCode = 'malformed-ifp' | 'ifp-too-long' | 'bad-measure';

export interface BareTcpError {
  readonly code: BareTcpErrorCode;
  readonly message: string;
  /** Stream offset (octets since construction/reset) where the offending IFP starts. */
  readonly offset: number;
  /** For `malformed-ifp`: the measurer's own error code. */
  readonly cause?: string;
}

export interface BareTcpIfpParserOptions {
  readonly measure: IfpMeasure;
  /** Largest accepted IFP in octets (1 … 2^20; default 2048). */
  readonly maxLength?: number;
}

export interface BareTcpIfpParserStats {
  /** IFPs returned. */
  frames: number;
  /** Stream octets pushed while the stream was healthy. */
  bytes: number;
  /** Calls to `measure` (each partial IFP is re-measured when more octets arrive). */
  measureCalls: number;
  /** Fatal errors (0 or 1 between resets). */
  errors: number;
}

export class BareTcpIfpParser {
  private readonly measure: IfpMeasure;
  private readonly maxLength: number;
  /** Holds the unconsumed tail of previous chunks in [start, end). */
  private readonly buf: Uint8Array;
  private start = 0;
  private end = 0;
  /** Stream offset of buf[start] (or of the next chunk's first octet when nothing is buffered). */
  private streamOffset = 0;
  private err: BareTcpError | null = null;
  private readonly stats: BareTcpIfpParserStats = { frames: 0, bytes: 0, measureCalls: 0, errors: 0 };

  constructor(options: BareTcpIfpParserOptions) {
    if (typeof options.measure !== 'function') {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'BareTcpIfpParser needs a measure function');
    }
    const maxLength = options.maxLength ?? BARE_TCP_DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > BARE_TCP_MAX_MAX_LENGTH) {
      throw new FaxwireError(
        'FAXWIRE_ERR_INVALID_ARGUMENT',
        `maxLength must be an integer in 1..${BARE_TCP_MAX_MAX_LENGTH}, got ${maxLength}`,
      );
    }
    this.measure = options.measure;
    this.maxLength = maxLength;
    this.buf = new Uint8Array(maxLength);
  }

  get error(): BareTcpError | null {
    return this.err;
  }

  /** Octets held for an incomplete IFP. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Forgets the partial IFP and the error (new connection). Stats are kept. */
  reset(): void {
    this.start = 0;
    this.end = 0;
    this.streamOffset = 0;
    this.err = null;
  }

  getStats(): BareTcpIfpParserStats {
    return { ...this.stats };
  }

  /** Consumes `chunk`; returns the IFPs it completed (each a fresh copy). */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.err !== null) return out;
    this.stats.bytes += chunk.length;
    const n = chunk.length;
    let i = 0;

    // 1. Complete the buffered partial IFP, topping the buffer up from the chunk.
    while (this.end > this.start) {
      if (i >= n) return out; // nothing new: the buffered IFP was already measured as truncated
      if (this.start > 0) {
        // Compact: only ever moves one partial IFP (< maxLength octets).
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const take = Math.min(n - i, this.buf.length - this.end);
      this.buf.set(chunk.subarray(i, i + take), this.end);
      this.end += take;
      i += take;
      // Measure, and emit as many whole IFPs as the buffer now holds.
      while (this.end > this.start) {
        const avail = this.end - this.start;
        const r = this.measureSafe(this.buf.subarray(this.start, this.end));
        if (r === null) return out;
        if (r.ok) {
          out.push(this.buf.slice(this.start, this.start + r.bytesRead));
          this.stats.frames++;
          this.start += r.bytesRead;
          this.streamOffset += r.bytesRead;
          continue;
        }
        if (avail >= this.buf.length) {
          this.setError({
            code: 'ifp-too-long',
            message: `IFP still incomplete after ${avail} octets (maxLength ${this.maxLength})`,
            offset: this.streamOffset,
          });
          return out;
        }
        break; // truncated: top up again (or wait for the next chunk)
      }
      if (this.end === this.start) {
        this.start = 0;
        this.end = 0;
      }
    }

    // 2. Nothing buffered: measure straight from the chunk.
    while (i < n) {
      const avail = n - i;
      const r = this.measureSafe(chunk.subarray(i));
      if (r === null) return out;
      if (r.ok) {
        out.push(chunk.slice(i, i + r.bytesRead));
        this.stats.frames++;
        i += r.bytesRead;
        this.streamOffset += r.bytesRead;
        continue;
      }
      if (avail >= this.buf.length) {
        this.setError({
          code: 'ifp-too-long',
          message: `IFP still incomplete after ${avail} octets (maxLength ${this.maxLength})`,
          offset: this.streamOffset,
        });
        return out;
      }
      this.buf.set(chunk.subarray(i), 0);
      this.start = 0;
      this.end = avail;
      break;
    }
    return out;
  }

  /**
   * Calls `measure` on `view`. Returns `{ok:true,bytesRead}` for a complete IFP, `{ok:false}` for
   * "truncated", or null after recording a sticky error.
   */
  private measureSafe(view: Uint8Array): { ok: true; bytesRead: number } | { ok: false } | null {
    this.stats.measureCalls++;
    let r: IfpMeasureResult;
    try {
      r = this.measure(view);
    } catch (e) {
      this.setError({
        code: 'bad-measure',
        message: `measure threw: ${e instanceof Error ? e.message : String(e)}`,
        offset: this.streamOffset,
      });
      return null;
    }
    if (r.ok) {
      const br = r.bytesRead;
      if (!Number.isInteger(br) || br < 1 || br > view.length) {
        this.setError({
          code: 'bad-measure',
          message: `measure reported ${br} octets for ${view.length} available`,
          offset: this.streamOffset,
        });
        return null;
      }
      if (br > this.maxLength) {
        this.setError({
          code: 'ifp-too-long',
          message: `IFP of ${br} octets exceeds maxLength ${this.maxLength}`,
          offset: this.streamOffset,
        });
        return null;
      }
      return { ok: true, bytesRead: br };
    }
    if (r.error.code === MEASURE_TRUNCATED) return { ok: false };
    this.setError({
      code: 'malformed-ifp',
      message: `undecodable IFP (${r.error.code}): bare TCP stream cannot resynchronise`,
      offset: this.streamOffset,
      cause: r.error.code,
    });
    return null;
  }

  private setError(e: BareTcpError): void {
    this.err = e;
    this.stats.errors++;
    this.start = 0;
    this.end = 0;
  }
}
