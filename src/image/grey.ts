/**
 * Grey images — the intermediate form every document takes on its way to a fax page — and
 * the two ways of making a bilevel page from one: a fixed threshold (text stays crisp) and
 * Floyd–Steinberg error diffusion (photographs stay recognisable; R. W. Floyd & L. Steinberg,
 * "An adaptive algorithm for spatial greyscale", Proc. SID 17(2), 1976).
 *
 * Samples are 8 bits, 0 = black … 255 = white (the TIFF "BlackIsZero" / PNG grey sense), one
 * octet per pixel, rows `width` octets apart. Colour is reduced to luma with the ITU-R BT.601
 * weights (0.299 R + 0.587 G + 0.114 B); transparency is composited over white paper, which is
 * what a page with a transparent background means on a fax.
 */

import { FaxwireError } from '../util/errors.js';
import { bitmapStride, type Bitmap } from '../t4/bitmap.js';
import { thresholdRowsInto } from './bilevel.js';

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** width × height samples, 0 = black, 255 = white. */
  readonly data: Uint8Array;
  readonly xDpi?: number;
  readonly yDpi?: number;
}

export function createGrey(width: number, height: number, fill = 255, dpi?: { x: number; y: number }): GreyImage {
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height < 0) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad grey image size ${width}×${height}`);
  }
  const g: GreyImage = { width, height, data: new Uint8Array(width * height).fill(fill) };
  return dpi ? withDpi(g, dpi.x, dpi.y) : g;
}

/** The same image with a resolution attached (or left off when not finite and positive). */
export function withDpi<T extends object>(img: T, x: number | undefined, y: number | undefined): T & { readonly xDpi?: number; readonly yDpi?: number } {
  const { xDpi: _x, yDpi: _y, ...rest } = img as T & { xDpi?: number; yDpi?: number };
  if (x === undefined || y === undefined || !(x > 0) || !(y > 0) || !Number.isFinite(x) || !Number.isFinite(y)) return rest as T;
  return { ...rest, xDpi: x, yDpi: y } as T & { xDpi: number; yDpi: number };
}

/**
 * RGB(A)/grey(+alpha) samples, 8 bits each, `channels` per pixel, to grey. Channels 1 = grey,
 * 2 = grey + alpha, 3 = RGB, 4 = RGBA. Alpha is composited over white.
 */
export function toGrey(width: number, height: number, samples: Uint8Array | Uint8ClampedArray, channels: 1 | 2 | 3 | 4): Uint8Array {
  const n = width * height;
  if (samples.length < n * channels) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `toGrey: ${samples.length} samples for ${width}×${height}×${channels}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    let v: number;
    let a = 255;
    switch (channels) {
      case 1:
        v = samples[j]!;
        break;
      case 2:
        v = samples[j]!;
        a = samples[j + 1]!;
        break;
      case 3:
        v = luma(samples[j]!, samples[j + 1]!, samples[j + 2]!);
        break;
      case 4:
        v = luma(samples[j]!, samples[j + 1]!, samples[j + 2]!);
        a = samples[j + 3]!;
        break;
    }
    // Over white: v·a + 255·(1 − a), rounded.
    out[i] = a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255);
  }
  return out;
}

/** BT.601 luma, rounded to the nearest level. */
export function luma(r: number, g: number, b: number): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/** A bilevel bitmap as grey (1 → 0 black, 0 → 255 white). */
export function bitmapToGrey(b: Bitmap): GreyImage {
  const out = new Uint8Array(b.width * b.height);
  for (let y = 0; y < b.height; y++) {
    const row = y * b.stride;
    const o = y * b.width;
    for (let x = 0; x < b.width; x++) {
      out[o + x] = ((b.data[row + (x >>> 3)]! >>> (7 - (x & 7))) & 1) !== 0 ? 0 : 255;
    }
  }
  return withDpi({ width: b.width, height: b.height, data: out }, b.xDpi, b.yDpi);
}

export interface BilevelOptions {
  /** 'threshold' (default): black where grey < threshold. 'dither': Floyd–Steinberg error diffusion. */
  readonly method?: 'threshold' | 'dither';
  /** 1…255, default 128. For 'dither' it is the quantiser's decision level. */
  readonly threshold?: number;
}

/** Grey → bilevel page (1 = black), keeping the resolution. */
export function greyToBitmap(g: GreyImage, opts: BilevelOptions = {}): Bitmap {
  const t = opts.threshold ?? 128;
  if (!Number.isInteger(t) || t < 1 || t > 255) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `threshold ${t} not in 1…255`);
  const method = opts.method ?? 'threshold';
  const stride = bitmapStride(g.width);
  const data = new Uint8Array(stride * g.height);
  switch (method) {
    case 'threshold':
      thresholdRowsInto({ data: g.data, offset: 0, stride: g.width, width: g.width, height: g.height }, t, false, data, stride);
      break;
    case 'dither':
      ditherInto(g, t, data, stride);
      break;
  }
  return withDpi({ width: g.width, height: g.height, stride, data }, g.xDpi, g.yDpi);
}

/**
 * Floyd–Steinberg with serpentine scanning (alternate rows run right to left, which avoids the
 * diagonal "worm" artefacts of one-way scanning). The error of each pixel goes 7/16 ahead,
 * 3/16 behind-below, 5/16 below, 1/16 ahead-below. Two rows of error, allocated once.
 */
function ditherInto(g: GreyImage, t: number, data: Uint8Array, stride: number): void {
  const w = g.width;
  // Index x + 1 so the ±1 neighbours never need a bounds test.
  let cur = new Float32Array(w + 2);
  let next = new Float32Array(w + 2);
  for (let y = 0; y < g.height; y++) {
    const i0 = y * w;
    const o = y * stride;
    const ltr = (y & 1) === 0;
    next.fill(0);
    for (let k = 0; k < w; k++) {
      const x = ltr ? k : w - 1 - k;
      const d = ltr ? 1 : -1;
      const v = g.data[i0 + x]! + cur[x + 1]!;
      let e: number;
      if (v < t) {
        data[o + (x >>> 3)]! |= 0x80 >>> (x & 7);
        e = v;
      } else {
        e = v - 255;
      }
      cur[x + 1 + d]! += (e * 7) / 16;
      next[x + 1 - d]! += (e * 3) / 16;
      next[x + 1]! += (e * 5) / 16;
      next[x + 1 + d]! += e / 16;
    }
    const tmp = cur;
    cur = next;
    next = tmp;
  }
}

/** Fraction of black pixels in a rectangle of a bitmap (clipped to the bitmap). */
export function blackRatio(b: Bitmap, x0 = 0, y0 = 0, w = b.width, h = b.height): number {
  const x1 = Math.min(b.width, x0 + w);
  const y1 = Math.min(b.height, y0 + h);
  let black = 0;
  let total = 0;
  for (let y = Math.max(0, y0); y < y1; y++) {
    const row = y * b.stride;
    for (let x = Math.max(0, x0); x < x1; x++) {
      black += (b.data[row + (x >>> 3)]! >>> (7 - (x & 7))) & 1;
      total++;
    }
  }
  return total === 0 ? 0 : black / total;
}
