/**
 * Resizing grey images, each axis by its own factor (fax pixels are not square: 204 × 98 dpi
 * at standard resolution, T.4 §2.1), separably: rows first, then columns.
 *
 * Shrinking uses area averaging — every output pixel is the mean of the source area it covers,
 * with partial source pixels weighted by the fraction covered — so thin strokes turn into grey
 * rather than vanishing or aliasing as they would with nearest-neighbour sampling; the
 * thresholder or ditherer then decides. Enlarging uses linear interpolation between pixel
 * centres.
 */

import { FaxwireError } from '../util/errors.js';
import { withDpi, type GreyImage } from './grey.js';

/** For each output index, the source indices and weights (summing to 1) that make it. */
interface AxisWeights {
  /** First source index of output i. */
  readonly start: Int32Array;
  /** Number of source indices of output i. */
  readonly count: Int32Array;
  /** Offset of output i's weights in `w`. */
  readonly at: Int32Array;
  readonly w: Float32Array;
}

function axisWeights(inN: number, outN: number): AxisWeights {
  const start = new Int32Array(outN);
  const count = new Int32Array(outN);
  const at = new Int32Array(outN);
  const scale = outN / inN;
  const ws: number[] = [];
  for (let i = 0; i < outN; i++) {
    at[i] = ws.length;
    if (scale < 1) {
      // Output i covers source [a, b).
      const a = i / scale;
      const b = Math.min(inN, (i + 1) / scale);
      const s0 = Math.floor(a);
      const s1 = Math.min(inN - 1, Math.ceil(b) - 1);
      const span = b - a;
      start[i] = s0;
      count[i] = s1 - s0 + 1;
      for (let s = s0; s <= s1; s++) {
        const cover = Math.min(b, s + 1) - Math.max(a, s);
        ws.push(cover / span);
      }
    } else {
      // Centre of output i in source coordinates; interpolate between the two nearest centres.
      const c = (i + 0.5) / scale - 0.5;
      const s0 = Math.max(0, Math.min(inN - 1, Math.floor(c)));
      const s1 = Math.min(inN - 1, s0 + 1);
      const f = Math.max(0, Math.min(1, c - s0));
      start[i] = s0;
      if (s1 === s0) {
        count[i] = 1;
        ws.push(1);
      } else {
        count[i] = 2;
        ws.push(1 - f, f);
      }
    }
  }
  return { start, count, at, w: Float32Array.from(ws) };
}

/**
 * A sum rounded to the nearest level and clamped to 0…255. The weights are never negative, so
 * v ≥ 0, and v is a float32 value below 2^24, so v + 0.5 is exact in float64 and truncating it
 * is Math.round(v) (half up) without the call.
 */
function toOctet(v: number): number {
  const r = (v + 0.5) | 0;
  return r > 255 ? 255 : r;
}

/**
 * The horizontal weights as three taps per output pixel when no output pixel needs more (every
 * shrink by up to 2×, every enlargement) and the row has three samples: starts moved left where
 * a window would run past the row's end, the missing taps weighted 0 — adding an exact 0·sample
 * leaves a sum unchanged, so the result is the same to the bit as the general loop's.
 */
interface ThreeTaps {
  readonly start: Int32Array;
  readonly w: Float32Array;
}

function threeTaps(hx: AxisWeights, inW: number, outW: number): ThreeTaps | undefined {
  if (inW < 3) return undefined;
  for (let x = 0; x < outW; x++) if (hx.count[x]! > 3) return undefined;
  const start = new Int32Array(outW);
  const w = new Float32Array(outW * 3);
  for (let x = 0; x < outW; x++) {
    const s = Math.min(hx.start[x]!, inW - 3);
    start[x] = s;
    const shift = hx.start[x]! - s;
    for (let k = 0; k < hx.count[x]!; k++) w[x * 3 + shift + k] = hx.w[hx.at[x]! + k]!;
  }
  return { start, w };
}

/** One source row (from `r`) through the horizontal weights into `mid` at `o`. */
function rowPass(data: Uint8Array, r: number, hx: AxisWeights, taps: ThreeTaps | undefined, mid: Float32Array, o: number, outW: number): void {
  if (taps !== undefined) {
    const start = taps.start;
    const w = taps.w;
    for (let x = 0, j = 0; x < outW; x++, j += 3) {
      const s = r + start[x]!;
      mid[o + x] = data[s]! * w[j]! + data[s + 1]! * w[j + 1]! + data[s + 2]! * w[j + 2]!;
    }
    return;
  }
  const start = hx.start;
  const count = hx.count;
  const at = hx.at;
  const w = hx.w;
  for (let x = 0; x < outW; x++) {
    const s = r + start[x]!;
    const n = count[x]!;
    const a = at[x]!;
    let acc = 0;
    for (let k = 0; k < n; k++) acc += data[s + k]! * w[a + k]!;
    mid[o + x] = acc;
  }
}

/**
 * `src` resized to outW × outH. The resolution tags become `dpi` when given, else the source
 * resolution times the scale factors (when the source had one).
 */
export function resizeGrey(src: GreyImage, outW: number, outH: number, dpi?: { x: number; y: number }): GreyImage {
  if (!Number.isInteger(outW) || outW <= 0 || !Number.isInteger(outH) || outH <= 0) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad output size ${outW}×${outH}`);
  }
  if (src.width <= 0 || src.height <= 0) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'empty source image');
  const dx = dpi?.x ?? (src.xDpi !== undefined ? (src.xDpi * outW) / src.width : undefined);
  const dy = dpi?.y ?? (src.yDpi !== undefined ? (src.yDpi * outH) / src.height : undefined);
  if (outW === src.width && outH === src.height) return withDpi({ width: outW, height: outH, data: src.data.slice() }, dx, dy);

  const inW = src.width;
  const inH = src.height;
  const hx = axisWeights(inW, outW);
  const vy = axisWeights(inH, outH);
  const taps = threeTaps(hx, inW, outW);
  // Rows first, then columns, as before, but the row pass is done per source row on demand into
  // a ring of the few rows one output row needs (an output row reads vy.count consecutive source
  // rows, and the first of them never goes back), instead of a whole inH × outW float image:
  // 24 MB for an A4 scan at 300 dpi, written once and read back from memory, against a few
  // rows that stay in the cache. The arithmetic and its order are unchanged, so the result is
  // the same to the bit.
  let ringRows = 1;
  for (let y = 0; y < outH; y++) ringRows = Math.max(ringRows, vy.count[y]!);
  const ring = new Float32Array(ringRows * outW);
  const held = new Int32Array(ringRows).fill(-1);
  const out = new Uint8Array(outW * outH);
  const acc = new Float32Array(outW);
  const slots = new Int32Array(ringRows);
  for (let y = 0; y < outH; y++) {
    const s = vy.start[y]!;
    const n = vy.count[y]!;
    const a = vy.at[y]!;
    for (let k = 0; k < n; k++) {
      const row = s + k;
      const slot = row % ringRows;
      if (held[slot] !== row) {
        rowPass(src.data, row * inW, hx, taps, ring, slot * outW, outW);
        held[slot] = row;
      }
      slots[k] = slot * outW;
    }
    const o = y * outW;
    // Each step rounded to float32 (Math.fround), as the Float32Array accumulator of the
    // two-pass version stored it: the same sums to the bit.
    if (n === 1) {
      const r0 = slots[0]!;
      const w0 = vy.w[a]!;
      for (let x = 0; x < outW; x++) out[o + x] = toOctet(Math.fround(ring[r0 + x]! * w0));
    } else if (n === 2) {
      const r0 = slots[0]!;
      const r1 = slots[1]!;
      const w0 = vy.w[a]!;
      const w1 = vy.w[a + 1]!;
      for (let x = 0; x < outW; x++) out[o + x] = toOctet(Math.fround(Math.fround(ring[r0 + x]! * w0) + ring[r1 + x]! * w1));
    } else if (n === 3) {
      const r0 = slots[0]!;
      const r1 = slots[1]!;
      const r2 = slots[2]!;
      const w0 = vy.w[a]!;
      const w1 = vy.w[a + 1]!;
      const w2 = vy.w[a + 2]!;
      for (let x = 0; x < outW; x++) out[o + x] = toOctet(Math.fround(Math.fround(Math.fround(ring[r0 + x]! * w0) + ring[r1 + x]! * w1) + ring[r2 + x]! * w2));
    } else {
      acc.fill(0);
      for (let k = 0; k < n; k++) {
        const r = slots[k]!;
        const wk = vy.w[a + k]!;
        for (let x = 0; x < outW; x++) acc[x]! += ring[r + x]! * wk;
      }
      for (let x = 0; x < outW; x++) out[o + x] = toOctet(acc[x]!);
    }
  }
  return withDpi({ width: outW, height: outH, data: out }, dx, dy);
}

/**
 * Rotates a grey image a quarter turn (width and height, and the dpi, swap). 'ccw' puts the top
 * of the source on the left edge — how a landscape page is laid on portrait paper, so that the
 * reader turns the sheet clockwise to read it.
 */
export function rotateGrey90(src: GreyImage, dir: 'cw' | 'ccw'): GreyImage {
  const w = src.width;
  const h = src.height;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    if (dir === 'cw') {
      // Source (x, y) lands at column h − 1 − y, row x of the h-wide result.
      for (let x = 0; x < w; x++) out[x * h + (h - 1 - y)] = src.data[r + x]!;
    } else {
      // Source (x, y) lands at column y, row w − 1 − x.
      for (let x = 0; x < w; x++) out[(w - 1 - x) * h + y] = src.data[r + x]!;
    }
  }
  return withDpi({ width: h, height: w, data: out }, src.yDpi, src.xDpi);
}
