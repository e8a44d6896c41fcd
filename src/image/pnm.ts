/**
 * Netpbm formats (netpbm's pbm(5), pgm(5), ppm(5) manual pages): PBM P1 (plain) / P4 (raw)
 * bilevel pages, 1 = black, rows packed MSB first and padded to an octet — exactly our Bitmap
 * layout — and, for documents to send, PGM P2/P5 grey and PPM P3/P6 colour. A file may hold
 * several images one after another (netpbm allows it); each becomes a page.
 *
 * ```
 *  "P4" ws width ws height ws(1) raster            (PBM raw; P1: "0"/"1" characters)
 *  "P5" ws width ws height ws maxval ws(1) raster  (PGM raw; 2 octets/sample, big-endian,
 *                                                   when maxval > 255; P2: decimal numbers)
 *  ws = blanks, tabs, CR, LF; "#" starts a comment running to the end of the line
 * ```
 * Untrusted input: sizes are bounded, nothing is read beyond the buffer, errors are values.
 */

import { DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS, PixelBudget, type DocumentBudget } from './budget.js';
import { concatBytes } from '../util/bytes.js';
import { err, ok, type DecodeResult } from '../util/result.js';
import { bitmapStride, type Bitmap } from '../t4/bitmap.js';
import type { GreyImage } from './grey.js';

export type PnmErrorCode = 'bad-pnm' | 'truncated' | 'too-large';

export interface PnmError {
  readonly code: PnmErrorCode;
  readonly message: string;
  readonly offset: number;
}

export type PnmImage = { readonly kind: 'bilevel'; readonly bitmap: Bitmap } | { readonly kind: 'grey'; readonly image: GreyImage };

const MAX_PIXELS = DEFAULT_MAX_PIXELS;
const MAX_IMAGES = DEFAULT_MAX_PAGES;

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

class Scan {
  pos: number;
  constructor(
    readonly b: Uint8Array,
    pos: number,
  ) {
    this.pos = pos;
  }
  skipWsAndComments(): void {
    while (this.pos < this.b.length) {
      const c = this.b[this.pos];
      if (isWs(c)) this.pos++;
      else if (c === 0x23) {
        while (this.pos < this.b.length && this.b[this.pos] !== 0x0a && this.b[this.pos] !== 0x0d) this.pos++;
      } else break;
    }
  }
  /** A decimal number (after whitespace/comments), or undefined. */
  uint(): number | undefined {
    this.skipWsAndComments();
    let v = 0;
    let n = 0;
    while (this.pos < this.b.length) {
      const c = this.b[this.pos]!;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      if (v > 0x7fffffff) return undefined;
      this.pos++;
      n++;
    }
    return n === 0 ? undefined : v;
  }
}

/**
 * Reads every image in a netpbm file. The raster must be in the file (P4–P6 raw, P1–P3 one
 * token a pixel), so a netpbm file cannot claim more than it holds; `limits` bounds the images
 * and pixels of the document all the same (budget.ts), checked before each image is read.
 */
export function readPnm(bytes: Uint8Array, maxPixels = MAX_PIXELS, limits: Pick<DocumentBudget, 'maxPages' | 'maxTotalPixels'> = {}): DecodeResult<PnmImage[], PnmError> {
  const images: PnmImage[] = [];
  const maxImages = limits.maxPages ?? MAX_IMAGES;
  const budget = new PixelBudget({ maxPixels, ...(limits.maxTotalPixels !== undefined ? { maxTotalPixels: limits.maxTotalPixels } : {}) });
  const s = new Scan(bytes, 0);
  while (true) {
    const start = s.pos;
    if (bytes.length - start < 2) {
      if (images.length === 0) return err({ code: 'truncated', message: `file of ${bytes.length} octets has no netpbm header`, offset: start });
      break;
    }
    if (bytes[start] !== 0x50 /* P */) {
      if (images.length === 0) return err({ code: 'bad-pnm', message: 'not a netpbm file (no "P" magic)', offset: start });
      break; // trailing garbage after the last image is ignored, as netpbm does
    }
    const kind = bytes[start + 1]! - 0x30;
    if (kind < 1 || kind > 6) return err({ code: 'bad-pnm', message: `unknown netpbm magic "P${String.fromCharCode(bytes[start + 1]!)}"`, offset: start });
    if (images.length >= maxImages) return err({ code: 'too-large', message: `more than ${maxImages} images`, offset: start });
    s.pos = start + 2;
    const w = s.uint();
    const h = s.uint();
    if (w === undefined || h === undefined) return err({ code: s.pos >= bytes.length ? 'truncated' : 'bad-pnm', message: `image ${images.length + 1}: bad width/height`, offset: s.pos });
    if (w === 0 || h === 0) return err({ code: 'bad-pnm', message: `image ${images.length + 1}: empty (${w}×${h})`, offset: start });
    if (w * h > maxPixels) return err({ code: 'too-large', message: `image ${images.length + 1}: ${w}×${h} exceeds ${maxPixels} pixels`, offset: start });
    const over = budget.take(w * h, `image ${images.length + 1} (${w}×${h})`);
    if (over !== undefined) return err({ code: 'too-large', message: over, offset: start });
    let maxval = 1;
    if (kind !== 1 && kind !== 4) {
      const m = s.uint();
      if (m === undefined || m < 1 || m > 65535) return err({ code: m === undefined && s.pos >= bytes.length ? 'truncated' : 'bad-pnm', message: `image ${images.length + 1}: bad maxval`, offset: s.pos });
      maxval = m;
    }
    const where = `image ${images.length + 1}`;
    switch (kind) {
      case 1: {
        const stride = bitmapStride(w);
        const data = new Uint8Array(stride * h);
        for (let i = 0; i < w * h; i++) {
          s.skipWsAndComments();
          const c = bytes[s.pos];
          if (c !== 0x30 && c !== 0x31) {
            return err({ code: c === undefined ? 'truncated' : 'bad-pnm', message: `${where}: pixel ${i} of ${w * h} is missing or not 0/1`, offset: s.pos });
          }
          s.pos++;
          if (c === 0x31) {
            const y = Math.floor(i / w);
            const x = i - y * w;
            data[y * stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
          }
        }
        images.push({ kind: 'bilevel', bitmap: { width: w, height: h, stride, data } });
        break;
      }
      case 4: {
        if (!isWs(bytes[s.pos])) return err({ code: s.pos >= bytes.length ? 'truncated' : 'bad-pnm', message: `${where}: no whitespace before the raster`, offset: s.pos });
        s.pos++;
        const stride = bitmapStride(w);
        const n = stride * h;
        if (bytes.length - s.pos < n) return err({ code: 'truncated', message: `${where}: raster needs ${n} octets, ${bytes.length - s.pos} left`, offset: s.pos });
        const data = bytes.slice(s.pos, s.pos + n);
        // Padding bits must be zero in a Bitmap; PBM leaves them undefined.
        const rem = w & 7;
        if (rem) for (let y = 0; y < h; y++) data[y * stride + stride - 1]! &= (0xff00 >>> rem) & 0xff;
        s.pos += n;
        images.push({ kind: 'bilevel', bitmap: { width: w, height: h, stride, data } });
        break;
      }
      case 2:
      case 3: {
        const ch = kind === 2 ? 1 : 3;
        const out = new Uint8Array(w * h);
        const px = [0, 0, 0];
        for (let i = 0; i < w * h; i++) {
          for (let c = 0; c < ch; c++) {
            const v = s.uint();
            if (v === undefined || v > maxval) return err({ code: v === undefined && s.pos >= bytes.length ? 'truncated' : 'bad-pnm', message: `${where}: sample ${i * ch + c} is missing or above maxval ${maxval}`, offset: s.pos });
            px[c] = v;
          }
          out[i] = toGrey8(px, ch, maxval);
        }
        images.push({ kind: 'grey', image: { width: w, height: h, data: out } });
        break;
      }
      case 5:
      case 6: {
        if (!isWs(bytes[s.pos])) return err({ code: s.pos >= bytes.length ? 'truncated' : 'bad-pnm', message: `${where}: no whitespace before the raster`, offset: s.pos });
        s.pos++;
        const ch = kind === 5 ? 1 : 3;
        const bps = maxval > 255 ? 2 : 1;
        const n = w * h * ch * bps;
        if (bytes.length - s.pos < n) return err({ code: 'truncated', message: `${where}: raster needs ${n} octets, ${bytes.length - s.pos} left`, offset: s.pos });
        const out = new Uint8Array(w * h);
        const px = [0, 0, 0];
        let p = s.pos;
        for (let i = 0; i < w * h; i++) {
          for (let c = 0; c < ch; c++) {
            px[c] = bps === 2 ? (bytes[p]! << 8) | bytes[p + 1]! : bytes[p]!;
            p += bps;
          }
          out[i] = toGrey8(px, ch, maxval);
        }
        s.pos = p;
        images.push({ kind: 'grey', image: { width: w, height: h, data: out } });
        break;
      }
    }
    s.skipWsAndComments();
    if (s.pos >= bytes.length) break;
  }
  return ok(images, s.pos);
}

function toGrey8(px: number[], ch: number, maxval: number): number {
  const sc = (v: number): number => Math.min(255, Math.round((v * 255) / maxval));
  if (ch === 1) return sc(px[0]!);
  return Math.round(0.299 * sc(px[0]!) + 0.587 * sc(px[1]!) + 0.114 * sc(px[2]!));
}

function header(magic: string, w: number, h: number, extra = ''): Uint8Array {
  const s = `${magic}\n${w} ${h}\n${extra}`;
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Bitmaps as raw PBM (P4), one image after another. */
export function writePbm(pages: readonly Bitmap[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const b of pages) {
    parts.push(header('P4', b.width, b.height));
    parts.push(b.data.subarray(0, b.stride * b.height));
  }
  return concatBytes(parts);
}

/** A grey image as raw PGM (P5, maxval 255). */
export function writePgm(g: GreyImage): Uint8Array {
  return concatBytes([header('P5', g.width, g.height, '255\n'), g.data]);
}


