/** Octet helpers shared by the unit tests (stream parsers, codecs). */

export { concatBytes as concat } from '../../../src/util/bytes.js';

/** Hex text → octets; white space and '|' (field separators in diagrams) are ignored. */
export const hex = (s: string): Uint8Array => Uint8Array.from((s.replace(/[\s|]/g, '').match(/../g) ?? []).map((h) => parseInt(h, 16)));

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Splits `bytes` at the given cut points (taken modulo length+1, sorted): any chunking of a stream. */
export function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Feeds every chunk to a stream parser and collects what it returns. */
export function pushAll(parser: { push(chunk: Uint8Array): Uint8Array[] }, chunks: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  return out;
}
