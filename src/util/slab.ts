/**
 * Short-lived small byte arrays carved out of shared slabs, like Node's Buffer pool, so that each
 * one is not a separately allocated ArrayBuffer. Why: a typed array over 64 octets gets its own
 * off-heap backing store in V8, and at a thousand calls the datagram copies handed to drivers
 * alone made enough external memory to force a full (mark-compact) GC about every half second
 * ("external memory pressure" in --trace-gc). A slab is released when no view of it is left, so
 * only arrays that are dropped soon may come from here: one kept array keeps its whole slab.
 *
 * The views are ordinary Uint8Arrays (fresh objects, their own octets), but `.buffer` is the slab
 * and may hold other arrays' octets: use byteOffset/length (all of faxwire and node:dgram do).
 */

const SLAB_SIZE = 16384;
/** Larger requests get an array of their own (a slab would hold too few). */
const MAX_POOLED = 1024;

let slab = new Uint8Array(0);
let pos = 0;

/** A copy of `src[start, end)` in a fresh view (from the shared slab when small). */
export function slabCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n > MAX_POOLED) return src.slice(start, end);
  if (pos + n > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    pos = 0;
  }
  const o = pos;
  // Keep views 8-octet aligned, as separate allocations are.
  pos = (o + n + 7) & ~7;
  slab.set(start === 0 && end === src.length ? src : src.subarray(start, end), o);
  return slab.subarray(o, o + n);
}
