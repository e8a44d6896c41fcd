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
  // Pass 1: rows, inH × outW.
  const hx = axisWeights(inW, outW);
  const mid = new Float32Array(outW * inH);
  for (let y = 0; y < inH; y++) {
    const r = y * inW;
    const o = y * outW;
    for (let x = 0; x < outW; x++) {
      const s = hx.start[x]!;
      const n = hx.count[x]!;
      const a = hx.at[x]!;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += src.data[r + s + k]! * hx.w[a + k]!;
      mid[o + x] = acc;
    }
  }
  // Pass 2: columns, outH × outW. Accumulate a whole output row from a few source rows.
  const vy = axisWeights(inH, outH);
  const out = new Uint8Array(outW * outH);
  const acc = new Float32Array(outW);
  for (let y = 0; y < outH; y++) {
    acc.fill(0);
    const s = vy.start[y]!;
    const n = vy.count[y]!;
    const a = vy.at[y]!;
    for (let k = 0; k < n; k++) {
      const wk = vy.w[a + k]!;
      const r = (s + k) * outW;
      for (let x = 0; x < outW; x++) acc[x]! += mid[r + x]! * wk;
    }
    const o = y * outW;
    for (let x = 0; x < outW; x++) {
      const v = Math.round(acc[x]!);
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
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
