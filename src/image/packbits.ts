/**
 * PackBits run-length coding (TIFF 6.0 §9, compression 32773; Apple Technical Note TN1023).
 *
 * ```
 *  header n (signed octet)   then
 *    0 … 127                 n + 1 literal octets
 *   −127 … −1                one octet, repeated 1 − n times
 *   −128                     nothing (a no-op)
 * ```
 * Decoding is bounded by the expected output size and never reads past the input.
 */

export interface PackBitsResult {
  readonly data: Uint8Array;
  /** Octets produced (≤ expected; less when the input ran out). */
  readonly produced: number;
  /** True when a run or literal was cut off by the end of the input. */
  readonly truncated: boolean;
}

export function unpackBits(src: Uint8Array, expected: number): PackBitsResult {
  const out = new Uint8Array(expected);
  let i = 0;
  let o = 0;
  let truncated = false;
  while (o < expected && i < src.length) {
    const n = src[i++]!;
    if (n < 128) {
      const len = n + 1;
      const avail = Math.min(len, src.length - i, expected - o);
      out.set(src.subarray(i, i + avail), o);
      if (avail < len && src.length - i < len) truncated = true;
      i += avail;
      o += avail;
    } else if (n > 128) {
      if (i >= src.length) {
        truncated = true;
        break;
      }
      const v = src[i++]!;
      const len = Math.min(257 - n, expected - o);
      out.fill(v, o, o + len);
      o += len;
    }
    // n === 128: no-op.
  }
  if (o < expected && i >= src.length) truncated = true;
  return { data: out, produced: o, truncated };
}

/** PackBits-encodes each row separately (TIFF 6.0 §9: runs never cross a row). */
export function packBitsRows(src: Uint8Array, rowBytes: number, rows: number): Uint8Array {
  const parts: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = src.subarray(r * rowBytes, (r + 1) * rowBytes);
    let i = 0;
    while (i < row.length) {
      // A run of ≥ 2 equal octets is worth a repeat header.
      let run = 1;
      while (i + run < row.length && run < 128 && row[i + run] === row[i]) run++;
      if (run >= 2) {
        parts.push(257 - run, row[i]!);
        i += run;
        continue;
      }
      // Literal: up to the next run of ≥ 3 (a run of 2 inside a literal is cheaper kept literal).
      const start = i;
      while (i < row.length && i - start < 128) {
        if (i + 2 < row.length && row[i] === row[i + 1] && row[i] === row[i + 2]) break;
        i++;
      }
      parts.push(i - start - 1);
      for (let k = start; k < i; k++) parts.push(row[k]!);
    }
  }
  return Uint8Array.from(parts);
}
