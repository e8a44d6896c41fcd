/**
 * TIFF LZW decoding (TIFF 6.0 §13, compression 5), for documents arriving as LZW-compressed
 * grey or colour TIFFs. Codes are MSB-first, 9 to 12 bits; 256 = Clear, 257 = EndOfInformation;
 * the code width grows one code *early* (at 511, 1023, 2047), as TIFF 6.0 specifies. (The "old
 * style" LSB-first variant of pre-6.0 libtiff is recognised by its first octets 0x00 0x01 and
 * refused.) Output is bounded by the expected size; bad codes end decoding.
 *
 * ```
 *  bit stream:  | Clear(256) | code | code | … | EOI(257) |     each code 9…12 bits, MSB first
 *  table:       0–255 single octets · 256 Clear · 257 EOI · 258… strings, each = an earlier
 *               string + one octet (kept here as prefix code + last octet + length)
 *  width:       9 bits; 10 once code 511 is assigned, 11 at 1023, 12 at 2047
 * ```
 */

export interface LzwResult {
  readonly data: Uint8Array;
  readonly produced: number;
  /** Why decoding stopped before `expected` octets, if it did. */
  readonly problem?: string;
}

const CLEAR = 256;
const EOI = 257;

export function lzwDecode(src: Uint8Array, expected: number): LzwResult {
  const out = new Uint8Array(expected);
  if (src.length >= 2 && src[0] === 0 && (src[1]! & 1) === 1) {
    return { data: out, produced: 0, problem: 'old-style (pre-TIFF 6.0) LZW is not supported' };
  }
  // The table as prefix links: entry = (prefix code, last octet, length).
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Int32Array(4096);
  const first = new Uint8Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    length[i] = 1;
    first[i] = i;
  }
  let next = 258;
  let width = 9;
  let old = -1;
  let o = 0;
  let bitPos = 0;
  const totalBits = src.length * 8;

  const emit = (code: number): boolean => {
    const len = length[code]!;
    if (o + len > expected) {
      // Write what fits, from the front.
      let c = code;
      const tmp = new Uint8Array(len);
      for (let k = len - 1; k >= 0; k--) {
        tmp[k] = suffix[c]!;
        c = prefix[c]!;
      }
      out.set(tmp.subarray(0, expected - o), o);
      o = expected;
      return false;
    }
    let c = code;
    for (let k = o + len - 1; k >= o; k--) {
      out[k] = suffix[c]!;
      c = prefix[c]!;
    }
    o += len;
    return true;
  };

  while (o < expected) {
    if (bitPos + width > totalBits) return { data: out, produced: o, problem: 'data ends without EndOfInformation' };
    // Read `width` bits MSB-first.
    let code = 0;
    for (let k = 0; k < width; k++) {
      const b = bitPos + k;
      code = (code << 1) | ((src[b >>> 3]! >>> (7 - (b & 7))) & 1);
    }
    bitPos += width;
    if (code === EOI) break;
    if (code === CLEAR) {
      next = 258;
      width = 9;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) return { data: out, produced: o, problem: `code ${code} right after Clear` };
      if (!emit(code)) break;
      old = code;
      continue;
    }
    let entryFirst: number;
    if (code < next) {
      entryFirst = first[code]!;
    } else if (code === next) {
      entryFirst = first[old]!;
    } else {
      return { data: out, produced: o, problem: `code ${code} not yet in the table (next ${next})` };
    }
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = entryFirst;
      length[next] = length[old]! + 1;
      first[next] = first[old]!;
      next++;
    }
    if (!emit(code)) break;
    old = code;
    // TIFF's early change: widen when the *next* code to assign would need it, one code early.
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return { data: out, produced: o };
}
