/**
 * Grey → bilevel, row by row: the fixed threshold with thin strokes kept, in one pass over the
 * grey samples and without a function call per pixel. Every document path ends here (raster
 * images through `faxPageToBitmap`, PDF pages straight from the renderer's buffer).
 *
 * Why thin strokes need help: area averaging (our resampler, or a renderer's anti-aliasing,
 * which computes each pixel's coverage) turns a stroke thinner than one fax row — the hyphen or
 * the hairlines of 10 pt text at 98 lines per inch, T.4 §2.1's standard resolution — into mid
 * greys that a 50 % threshold drops, and the text comes out broken. Pixels the threshold left
 * white are made black where they hold a thin dark line:
 *  - one pixel clearly darker than both its vertical, or both its horizontal, neighbours;
 *  - a line split over two rows: two pixels, one above the other, together holding at least
 *    half a pixel of ink and both clearly darker than the pixels above and below the pair —
 *    the darker of the two becomes black, so the stroke stays one row thick.
 * Flat grey areas have no such contrast and stay as the threshold made them. The decision for a
 * pixel reads only grey samples (never an earlier decision), so rows are independent.
 *
 * Speed: a page is mostly paper. A grey sample at or above `max(threshold, STROKE_MAX_GREY)` is
 * white whatever its neighbours, so where the rows are 4-octet aligned (a renderer's buffer,
 * or any image whose width is a multiple of 4) four samples are tested at once with one 32-bit
 * read: every octet ≥ 224 ⇔ its top three bits set ⇔ `(w & 0xE0E0E0E0) === 0xE0E0E0E0`.
 */

import { FaxwireError } from '../util/errors.js';
import type { RowChangesSource } from '../t4/index.js';
import type { Bitmap } from '../t4/bitmap.js';
import { rowChanges } from '../t4/changes.js';

/** How much darker than both neighbours a pixel must be to count as a thin stroke. */
export const STROKE_CONTRAST = 48;
/** Greys lighter than this are never ink, stroke or not. */
export const STROKE_MAX_GREY = 224;

const TOP3 = 0xe0e0e0e0 | 0;
/** The word path reads octet k of a 32-bit word as pixel k. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Where grey samples sit: row y, column x is `data[offset + y × stride + x]`. */
export interface GreyRows {
  readonly data: Uint8Array;
  readonly offset: number;
  readonly stride: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Thresholds `src` into `out` (rows `outStride` octets apart, MSB = leftmost pixel, 1 = black;
 * every octet of the rows is written, padding bits 0). Black where grey < `threshold`, and,
 * with `keepStrokes`, where the grey holds a thin dark line (above).
 */
export function thresholdRowsInto(src: GreyRows, threshold: number, keepStrokes: boolean, out: Uint8Array, outStride: number): void {
  const { data, offset, stride, width, height } = src;
  checkGrey(src, threshold);
  if (outStride < (width + 7) >>> 3 || out.length < outStride * height) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bilevel output of ${out.length} octets (stride ${outStride}) is too small for ${width}×${height}`);
  }
  const words = wordsOf(src, threshold);
  // Whole output octets (8 pixels = 2 words) the word path can take; the rest go pixel by pixel.
  const groups = words === undefined ? 0 : width >>> 3;
  for (let y = 0; y < height; y++) {
    const r = offset + y * stride;
    const o = y * outStride;
    const strokes = keepStrokes && y >= 1 && y + 1 < height;
    if (words !== undefined) wordRow(words, (y * stride) >>> 2, groups, data, r, stride, width, y, height, threshold, strokes, out, o);
    for (let g = groups; g << 3 < width; g++) out[o + g] = inkOctet(data, r, stride, g << 3, width, y, height, threshold, strokes);
  }
}

function checkGrey(src: GreyRows, threshold: number): void {
  const { data, offset, stride, width, height } = src;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 255) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `threshold ${threshold} not in 1…255`);
  if (width < 0 || height < 0 || stride < width || offset < 0 || (height > 0 && offset + (height - 1) * stride + width > data.length)) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `grey rows ${width}×${height} stride ${stride} at ${offset} do not fit ${data.length} samples`);
  }
}

/**
 * The samples as 32-bit words, when the word tests apply: rows 4-octet aligned, and a threshold
 * in 128…224 — every sample ≥ 224 must be white and every sample < 128 black (true of the
 * default and of every sane threshold; outside that range the pixel loop decides alone).
 */
function wordsOf(src: GreyRows, threshold: number): Int32Array | undefined {
  const { data, offset, stride } = src;
  const base = data.byteOffset + offset;
  return LITTLE_ENDIAN && (base & 3) === 0 && (stride & 3) === 0 && threshold <= STROKE_MAX_GREY && threshold >= 128 ? new Int32Array(data.buffer, base, (data.length - offset) >>> 2) : undefined;
}

/**
 * The bilevel page `thresholdRowsInto` makes of `src`, row by row as changing elements (T.4
 * §4.2.1.2: the columns where the colour differs from the pixel to the left, the one left of
 * the row being white) — what the T.4/T.6 encoder codes (`T4Encoder.encodeChanges`,
 * `encodeT4Rows`). The same decisions, read straight off the grey words: a run of paper or of
 * ink is skipped 8 pixels at a time without packing it into bits that the encoder would scan
 * again. `src`'s samples are read when a row is asked for, so they must stay as they are while
 * the source is used.
 */
export class GreyRowChanges implements RowChangesSource {
  readonly width: number;
  readonly height: number;
  readonly #src: GreyRows;
  readonly #threshold: number;
  readonly #keepStrokes: boolean;
  readonly #words: Int32Array | undefined;
  readonly #groups: number;

  constructor(src: GreyRows, threshold: number, keepStrokes: boolean) {
    checkGrey(src, threshold);
    this.#src = src;
    this.#threshold = threshold;
    this.#keepStrokes = keepStrokes;
    this.width = src.width;
    this.height = src.height;
    this.#words = wordsOf(src, threshold);
    this.#groups = this.#words === undefined ? 0 : src.width >>> 3;
  }

  /** Row `y`'s changing elements into `out` (room for `width` values at least); returns their count. */
  changesAt(y: number, out: Int32Array): number {
    const { data, offset, stride, width, height } = this.#src;
    if (!Number.isInteger(y) || y < 0 || y >= height) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `row ${y} of ${height}`);
    if (out.length < width) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `changes list of ${out.length} for a row of ${width}`);
    const t = this.#threshold;
    const r = offset + y * stride;
    const strokes = this.#keepStrokes && y >= 1 && y + 1 < height;
    const words = this.#words;
    const groups = this.#groups;
    let n = words !== undefined ? wordChanges(words, (y * stride) >>> 2, groups, data, r, stride, width, y, height, t, strokes, out) : 0;
    for (let g = groups; g << 3 < width; g++) {
      const x0 = g << 3;
      const bits = inkOctet(data, r, stride, x0, width, y, height, t, strokes);
      // Bits past the width are 0: a change there (ink up to the edge) is not a pel.
      let d = bits ^ ((bits >>> 1) | ((n & 1) << 7));
      while (d !== 0) {
        const k = Math.clz32(d) - 24;
        if (x0 + k >= width) break;
        out[n++] = x0 + k;
        d ^= 0x80 >>> k;
      }
    }
    return n;
  }
}

/** A bitmap's rows as changing elements (for `TiffPageWriter.addRows` and `encodeT4Rows`): the packed rows scanned as the encoder scans them. */
export class BitmapRowChanges implements RowChangesSource {
  readonly width: number;
  readonly height: number;
  readonly #b: Bitmap;
  readonly #view: DataView;
  readonly #words: Int32Array;

  constructor(b: Bitmap) {
    if (!Number.isInteger(b.width) || !Number.isInteger(b.height) || b.width <= 0 || b.height < 0 || b.stride < (b.width + 7) >>> 3 || b.data.length < b.stride * b.height) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad bitmap ${b.width}×${b.height} stride ${b.stride} of ${b.data.length} octets`);
    }
    this.#b = b;
    this.width = b.width;
    this.height = b.height;
    this.#view = new DataView(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    this.#words = new Int32Array(b.data.buffer, 0, b.data.buffer.byteLength >>> 2);
  }

  /** Row `y`'s changing elements into `out` (room for width + 1 + 4 values); returns their count. */
  changesAt(y: number, out: Int32Array): number {
    const b = this.#b;
    if (!Number.isInteger(y) || y < 0 || y >= b.height) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `row ${y} of ${b.height}`);
    if (out.length < b.width + 5) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `changes list of ${out.length} for a row of ${b.width}`);
    return rowChanges(b.data, this.#view, y * b.stride, b.width, b.stride, out, this.#words);
  }
}

/**
 * One row's changing elements over its whole octets by 32-bit words, as `wordRow` decides the
 * pixels; the colour so far is the parity of the count (even: white).
 */
function wordChanges(
  words: Int32Array,
  w0: number,
  groups: number,
  data: Uint8Array,
  r: number,
  stride: number,
  width: number,
  y: number,
  height: number,
  threshold: number,
  strokes: boolean,
  out: Int32Array,
): number {
  let w = w0;
  const below2 = y + 2 < height ? 2 * stride : stride;
  const twoRows = y + 2 < height ? 0 : -1;
  let n = 0;
  for (let g = 0; g < groups; ) {
    const a = words[w]!;
    const b = words[w + 1]!;
    if ((a & b & TOP3) === TOP3) {
      // All 8 samples ≥ 224: paper, and what follows is mostly paper too: 16 at a time.
      if ((n & 1) !== 0) out[n++] = g << 3;
      g++;
      w += 2;
      while (g + 1 < groups && (words[w]! & words[w + 1]! & words[w + 2]! & words[w + 3]! & TOP3) === TOP3) {
        g += 2;
        w += 4;
      }
      continue;
    }
    if (((a | b) & HIGH) === 0) {
      // All 8 < 128 ≤ threshold: ink (the stroke rules only add ink).
      if ((n & 1) === 0) out[n++] = g << 3;
    } else {
      const x0 = g << 3;
      const bits = mixedOctet(a, b, x0, data, r, stride, width, threshold, strokes, below2, twoRows);
      // The pels that differ from their left neighbour (bit 7: from the colour so far).
      let d = bits ^ ((bits >>> 1) | ((n & 1) << 7));
      while (d !== 0) {
        const k = Math.clz32(d) - 24;
        out[n++] = x0 + k;
        d ^= 0x80 >>> k;
      }
    }
    g++;
    w += 2;
  }
  return n;
}

/**
 * One row's whole octets by 32-bit words (a function of its own, called per row, so that it is
 * optimised after a few rows of the first page instead of waiting for on-stack replacement).
 */
function wordRow(
  words: Int32Array,
  w0: number,
  groups: number,
  data: Uint8Array,
  r: number,
  stride: number,
  width: number,
  y: number,
  height: number,
  threshold: number,
  strokes: boolean,
  out: Uint8Array,
  o: number,
): void {
  let w = w0;
  // Offset of the sample two rows down (a safe index on the last rows, where `twoRows` < 0
  // makes the rule false anyway).
  const below2 = y + 2 < height ? 2 * stride : stride;
  const twoRows = y + 2 < height ? 0 : -1;
  for (let g = 0; g < groups; g++, w += 2) {
    const a = words[w]!;
    const b = words[w + 1]!;
    if ((a & b & TOP3) === TOP3) {
      // All 8 samples ≥ 224: paper.
      out[o + g] = 0;
    } else {
      out[o + g] = mixedOctet(a, b, g << 3, data, r, stride, width, threshold, strokes, below2, twoRows);
    }
  }
}

/**
 * The output octet of 8 samples that are not all paper: `a`, `b` their two words, `x0` the first
 * one's column in the row starting at `r`; the threshold, then (`strokes`) the thin-stroke rules
 * for the samples in 128…223 it left white. `below2`/`twoRows`: see wordRow.
 */
function mixedOctet(
  a: number,
  b: number,
  x0: number,
  data: Uint8Array,
  r: number,
  stride: number,
  width: number,
  threshold: number,
  strokes: boolean,
  below2: number,
  twoRows: number,
): number {
  // Threshold (little-endian: octet k of a word is pixel k); at 128 it is the top bit.
  let bits =
    threshold === 128
      ? (gather(~a & HIGH) << 4) | gather(~b & HIGH)
      : ((a & 0xff) < threshold ? 0x80 : 0) |
        (((a >>> 8) & 0xff) < threshold ? 0x40 : 0) |
        (((a >>> 16) & 0xff) < threshold ? 0x20 : 0) |
        (a >>> 24 < threshold ? 0x10 : 0) |
        ((b & 0xff) < threshold ? 0x08 : 0) |
        (((b >>> 8) & 0xff) < threshold ? 0x04 : 0) |
        (((b >>> 16) & 0xff) < threshold ? 0x02 : 0) |
        (b >>> 24 < threshold ? 0x01 : 0);
  if (strokes) {
    // … and the stroke rules for the samples in 128…223 the threshold left white, without
    // a branch per rule: each comparison a − b ≥ 0 is the sign of a − b, and the rules
    // combine by OR / AND of those differences (negative = false).
    let m = ((gather(midGreys(a)) << 4) | gather(midGreys(b))) & ~bits;
    while (m !== 0) {
      const k = Math.clz32(m) - 24;
      m ^= 0x80 >>> k;
      const x = x0 + k;
      const i = r + x;
      const v = data[i]!;
      const c = v + STROKE_CONTRAST;
      const up = data[i - stride]!;
      const dn = data[i + stride]!;
      // One-row line, vertical or horizontal: up, down ≥ v + 48, or left, right ≥ v + 48.
      const one = ((up - c) | (dn - c)) & ((data[i - 1]! - c) | (data[i + 1]! - c));
      // Two-row line with the pixel below: t ≤ down < 224, v ≤ down, up and below-2 ≥
      // down + 48, and the pair holds half a pixel of ink: (255 − v) + (255 − down) ≥ 255 − t.
      const f = dn + STROKE_CONTRAST;
      const two = (dn - threshold) | (STROKE_MAX_GREY - 1 - dn) | (dn - v) | (up - f) | (data[i + below2]! - f) | (255 + threshold - v - dn) | twoRows;
      // Not on the first or last column.
      const inside = (x - 1) | (width - 2 - x);
      bits |= (~((one & two) | inside) >>> 31) << (7 - k);
    }
  }
  return bits;
}

const HIGH = 0x80808080 | 0;

/**
 * Bit 7 of each octet of `w` set where that sample is in 128…223 (top bit set, top three not
 * all set): `x` = top three bits XOR 111 is non-zero exactly below 224, and OR-ing it shifted
 * by one and two gathers any of its bits into bit 7 (what spills into the next octet's low
 * bits is masked off).
 */
function midGreys(w: number): number {
  const x = (w & TOP3) ^ TOP3;
  return (x | (x << 1) | (x << 2)) & w & HIGH;
}

/** Bits 7, 15, 23, 31 of `w` (one per octet) as bits 3, 2, 1, 0: pixel order in a nibble. */
function gather(w: number): number {
  return ((w >>> 4) & 8) | ((w >>> 13) & 4) | ((w >>> 22) & 2) | (w >>> 31);
}

/**
 * The output octet for pixels x0 … x0 + 7 (those < width) of the row starting at `r`: bit 7 is
 * x0. One octet per call, built in a register and written once.
 */
function inkOctet(d: Uint8Array, r: number, stride: number, x0: number, width: number, y: number, height: number, t: number, strokes: boolean): number {
  let bits = 0;
  const x1 = x0 + 8 < width ? x0 + 8 : width;
  for (let x = x0; x < x1; x++) {
    const i = r + x;
    const v = d[i]!;
    let black = v < t;
    if (!black && strokes && v < STROKE_MAX_GREY && x >= 1 && x + 1 < width) {
      const c = v + STROKE_CONTRAST;
      const up = d[i - stride]!;
      const down = d[i + stride]!;
      if ((c <= up && c <= down) || (c <= d[i - 1]! && c <= d[i + 1]!)) {
        black = true;
      } else if (y + 2 < height && down >= t && down < STROKE_MAX_GREY && v <= down) {
        // Two-row line: this pixel and the one below (the darker or equal of the pair, so
        // max(v, down) = down), flanked by light pixels above and below.
        const flank = down + STROKE_CONTRAST;
        black = flank <= up && flank <= d[i + 2 * stride]! && 510 - v - down >= 255 - t;
      }
    }
    if (black) bits |= 0x80 >>> (x - x0);
  }
  return bits;
}
