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

/** How much darker than both neighbours a pixel must be to count as a thin stroke. */
export const STROKE_CONTRAST = 48;
/** Greys lighter than this are never ink, stroke or not. */
export const STROKE_MAX_GREY = 224;

const TOP3 = 0xe0e0e0e0 | 0;

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
 * `out` must be zero where it is written — a fresh page). Black where grey < `threshold`, and,
 * with `keepStrokes`, where the grey holds a thin dark line (above).
 */
export function thresholdRowsInto(src: GreyRows, threshold: number, keepStrokes: boolean, out: Uint8Array, outStride: number): void {
  const { data, offset, stride, width, height } = src;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 255) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `threshold ${threshold} not in 1…255`);
  if (width < 0 || height < 0 || stride < width || offset < 0 || (height > 0 && offset + (height - 1) * stride + width > data.length)) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `grey rows ${width}×${height} stride ${stride} at ${offset} do not fit ${data.length} samples`);
  }
  if (outStride < (width + 7) >>> 3 || out.length < outStride * height) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bilevel output of ${out.length} octets (stride ${outStride}) is too small for ${width}×${height}`);
  }
  const base = data.byteOffset + offset;
  // The word test needs every sample ≥ 224 to be white, i.e. a threshold ≤ 224 (true of every
  // sane threshold; above it the octet loop decides alone).
  const words = (base & 3) === 0 && (stride & 3) === 0 && threshold <= STROKE_MAX_GREY ? new Int32Array(data.buffer, base, (data.length - offset) >>> 2) : undefined;
  const wordsPerRow = words === undefined ? 0 : width >>> 2;
  for (let y = 0; y < height; y++) {
    const r = offset + y * stride;
    const o = y * outStride;
    const strokes = keepStrokes && y >= 1 && y + 1 < height;
    let x = 0;
    if (words !== undefined) {
      // Runs of words holding anything darker than 224 go to the pixel loop in one call.
      const w0 = (y * stride) >>> 2;
      let k = 0;
      while (k < wordsPerRow) {
        if ((words[w0 + k]! & TOP3) === TOP3) {
          k++;
          continue;
        }
        const k0 = k;
        do k++;
        while (k < wordsPerRow && (words[w0 + k]! & TOP3) !== TOP3);
        inkRange(data, r, stride, k0 << 2, k << 2, width, y, height, threshold, strokes, out, o);
      }
      x = wordsPerRow << 2;
    }
    if (x < width) inkRange(data, r, stride, x, width, width, y, height, threshold, strokes, out, o);
  }
}

/** Pixels x0 ≤ x < x1 of the row starting at `r`: sets the black ones in the output row at `o`. */
function inkRange(
  d: Uint8Array,
  r: number,
  stride: number,
  x0: number,
  x1: number,
  width: number,
  y: number,
  height: number,
  t: number,
  strokes: boolean,
  out: Uint8Array,
  o: number,
): void {
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
    if (black) out[o + (x >>> 3)]! |= 0x80 >>> (x & 7);
  }
}
