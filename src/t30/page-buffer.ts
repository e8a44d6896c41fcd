/**
 * A page buffer received pages are decoded into, shared by the engines that are given it
 * (`T30EngineOptions.pageBuffer`): one per process or per worker, never one per call.
 *
 * Why: a decoded page is width/8 × rows octets (1728 × 2376 pels: 513 kB), off the JS heap.
 * Decoding every page into a fresh array makes each page a large external allocation that the
 * GC must account for and free; with hundreds of calls at once those allocations, not the fax,
 * set how often full collections run. A shared buffer allocates once.
 *
 * The rule that comes with it: the `page-rx-end` event's bitmap is then a view of this buffer,
 * valid only until the next page is decoded into it — by the same engine or by any other engine
 * sharing the buffer. The page sink must copy the bitmap, or encode/compare it, before it calls
 * into any of those engines (or their terminals) again. Engines that keep their pages
 * (`retainPages` true, the default) cannot use a shared buffer: the option requires
 * `retainPages: false`.
 */

import { FaxwireError } from '../util/errors.js';

/** Pages above this size are decoded into arrays of their own (the buffer does not keep them). */
export const PAGE_BUFFER_MAX_OCTETS = 8 << 20;

export class T30PageBuffer {
  private buf: Uint8Array | undefined;
  /** The coded page (its blocks or chunks joined) on its way to the decoder. */
  private codedBuf: Uint8Array | undefined;

  /**
   * `octets`: allocate this much up front (default: nothing until the first page, which then
   * sizes the buffer; it grows when a longer page comes, up to PAGE_BUFFER_MAX_OCTETS).
   */
  constructor(octets = 0) {
    if (!Number.isInteger(octets) || octets < 0 || octets > PAGE_BUFFER_MAX_OCTETS) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `T30PageBuffer: octets ${octets} out of range 0..${PAGE_BUFFER_MAX_OCTETS}`);
    }
    this.buf = octets > 0 ? new Uint8Array(octets) : undefined;
  }

  /** Octets held now (0 before the first page). */
  get octets(): number {
    return this.buf?.length ?? 0;
  }

  /** @internal the buffer to decode the next page into (at least one row of `stride` octets). */
  target(stride: number): Uint8Array {
    const b = this.buf;
    if (b !== undefined && b.length >= stride) return b;
    // A first guess of 1024 rows; the decoder moves to a larger array of its own when the page
    // is longer, and `adopt` keeps that one for the next page.
    const n = new Uint8Array(Math.min(PAGE_BUFFER_MAX_OCTETS, Math.max(stride, stride * 1024)));
    this.buf = n;
    return n;
  }

  /**
   * @internal `chunks` joined into one array for the decoder: a view of a reused buffer (valid
   * until the next page), or a new array when the page is larger than PAGE_BUFFER_MAX_OCTETS.
   */
  join(chunks: readonly Uint8Array[]): Uint8Array {
    if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
    let total = 0;
    for (const c of chunks) total += c.length;
    let out = this.codedBuf;
    if (out === undefined || out.length < total) {
      out = new Uint8Array(total);
      if (total <= PAGE_BUFFER_MAX_OCTETS) this.codedBuf = out;
    }
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out.subarray(0, total);
  }

  /** @internal the page was decoded into `data` (a view of the buffer, or of a larger one the decoder made). */
  adopt(data: Uint8Array): void {
    const b = this.buf;
    if (b !== undefined && data.buffer === b.buffer) return;
    if (data.buffer.byteLength <= PAGE_BUFFER_MAX_OCTETS && data.buffer.byteLength > (b?.length ?? 0)) {
      this.buf = new Uint8Array(data.buffer as ArrayBuffer);
    }
  }
}
