/**
 * PNG in and out (ISO/IEC 15948 = W3C PNG 2nd ed.). Reading goes through pngjs (every colour
 * type, bit depth and interlace), after our own walk of the chunk list for the size (bounded
 * before anything is inflated) and the resolution (pHYs, §11.3.5.3: pixels per metre when the
 * unit is 1). A 1-bit greyscale PNG is read as a bilevel page, anything else as grey.
 *
 * Writing is our own small encoder, because a received fax page is best stored as 1-bit
 * greyscale (colour type 0, bit depth 1 — where 0 is black, the opposite of our Bitmap) and
 * pngjs writes only 8 and 16 bits; 8-bit greyscale is offered too. Rows use filter 0, the
 * image data is one zlib stream (§10), and pHYs carries the fax resolution so that the page
 * displays with the right aspect.
 *
 * ```
 *  signature 89 50 4E 47 0D 0A 1A 0A
 *  chunk:  length(4, big-endian) │ type(4) │ data(length) │ CRC-32 over type+data (4)
 *  IHDR:   width(4) height(4) bit depth(1) colour type(1) compression(1) filter(1) interlace(1)
 *  pHYs:   x pixels/unit(4) y pixels/unit(4) unit(1: 1 = metre)
 * ```
 */

import { concatBytes } from '../util/bytes.js';
import type { PNG } from 'pngjs';
import { err, ok, type DecodeResult } from '../util/result.js';
import type { Bitmap } from '../t4/bitmap.js';
import { DEFAULT_MAX_PIXELS } from './budget.js';
import { toGrey, withDpi, type GreyImage } from './grey.js';
import { maskPadding } from './tiff-read.js';
import { pngjs, zlib } from './lazy.js';

export type PngErrorCode = 'bad-png' | 'truncated' | 'too-large';

export interface PngError {
  readonly code: PngErrorCode;
  readonly message: string;
  readonly offset: number;
}

export type PngImage = { readonly kind: 'bilevel'; readonly bitmap: Bitmap } | { readonly kind: 'grey'; readonly image: GreyImage };

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_PIXELS = DEFAULT_MAX_PIXELS;
const INCH_PER_METRE = 39.37007874015748;

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((v, i) => bytes[i] === v);
}

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
  xDpi?: number;
  yDpi?: number;
  /** The IDAT chunks' data, in order (§11.2.4: the concatenation is one zlib stream). */
  idat: Uint8Array[];
}

/** Samples per pixel by colour type (§11.2.2 Table 11.1); undefined for an invalid type. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * The octets the IDAT stream must inflate to (§7.2, §8.2): per scanline one filter-type octet
 * plus ceil(width × bits per pixel / 8); with Adam7 interlace (§8.2) the seven reduced images,
 * each present only when it has at least one column and one row.
 */
/** Adam7 interlace passes (PNG §8.2): [x start, y start, x step, y step]. */
export const ADAM7_PASSES = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function filteredSize(h: PngHeader, bitsPerPixel: number): number {
  const rowBytes = (w: number): number => 1 + Math.ceil((w * bitsPerPixel) / 8);
  if (h.interlace === 0) return h.height * rowBytes(h.width);
  const passes = ADAM7_PASSES;
  let n = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) n += rows * rowBytes(w);
  }
  return n;
}

/**
 * Inflates the IDAT stream to check it gives exactly the octets IHDR implies, before pngjs
 * (which would make a blank page of a short stream, and inflate an over-long one in full). zlib
 * stops at `maxOutputLength`, so a stream that inflates too far costs at most one octet more
 * than the image it claims to be.
 */
function checkImageData(h: PngHeader, expected: number): PngError | undefined {
  const z = concatBytes(h.idat);
  let out: Buffer;
  try {
    out = zlib().inflateSync(z, { maxOutputLength: expected + 1 });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return { code: 'bad-png', message: `IDAT inflates to more than the ${expected} octets IHDR implies (${h.width}×${h.height})`, offset: 8 };
    }
    return { code: 'bad-png', message: `IDAT does not inflate (${e instanceof Error ? e.message : String(e)}); ${expected} octets expected`, offset: 8 };
  }
  if (out.length !== expected) {
    return {
      code: 'bad-png',
      message: `IDAT inflates to ${out.length} octets, ${out.length < expected ? 'fewer' : 'more'} than the ${expected} IHDR implies (${h.width}×${h.height})`,
      offset: 8,
    };
  }
  return undefined;
}

/** Walks the chunks up to IEND for IHDR, pHYs and the IDAT data. */
function scanHeader(bytes: Uint8Array): PngHeader | PngError {
  if (!isPng(bytes)) return { code: 'bad-png', message: 'not a PNG file (bad signature)', offset: 0 };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let h: PngHeader | undefined;
  while (true) {
    // A file that simply stops after its image data (no IEND) is read, as pngjs does.
    if (p === bytes.length && h !== undefined && h.idat.length > 0) return h;
    if (bytes.length - p < 8) return { code: 'truncated', message: `file ends inside the chunk header at ${p}`, offset: p };
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (len > bytes.length - p - 12) return { code: 'truncated', message: `chunk ${type} of ${len} octets runs past the end of the file`, offset: p };
    const d = p + 8;
    if (type === 'IHDR') {
      if (len < 13) return { code: 'bad-png', message: 'IHDR shorter than 13 octets', offset: p };
      h = { width: dv.getUint32(d), height: dv.getUint32(d + 4), depth: bytes[d + 8]!, colorType: bytes[d + 9]!, interlace: bytes[d + 12]!, idat: [] };
    } else if (!h) {
      return { code: 'bad-png', message: `first chunk is ${type}, not IHDR`, offset: p };
    } else if (type === 'pHYs' && len >= 9 && bytes[d + 8] === 1) {
      const x = dv.getUint32(d);
      const y = dv.getUint32(d + 4);
      if (x > 0 && y > 0) {
        h.xDpi = x / INCH_PER_METRE;
        h.yDpi = y / INCH_PER_METRE;
      }
    } else if (type === 'IDAT') {
      h.idat.push(bytes.subarray(d, d + len));
    } else if (type === 'IEND') {
      return h;
    }
    p = d + len + 4;
  }
}

export function readPng(bytes: Uint8Array, maxPixels = MAX_PIXELS): DecodeResult<PngImage, PngError> {
  const h = scanHeader(bytes);
  if ('code' in h) return err(h);
  if (h.width === 0 || h.height === 0) return err({ code: 'bad-png', message: `empty image ${h.width}×${h.height}`, offset: 16 });
  if (h.width * h.height > maxPixels) return err({ code: 'too-large', message: `${h.width}×${h.height} exceeds ${maxPixels} pixels`, offset: 16 });
  const channels = CHANNELS[h.colorType];
  if (channels === undefined) return err({ code: 'bad-png', message: `colour type ${h.colorType} does not exist (0, 2, 3, 4, 6)`, offset: 25 });
  if (![1, 2, 4, 8, 16].includes(h.depth)) return err({ code: 'bad-png', message: `bit depth ${h.depth} does not exist`, offset: 24 });
  if (h.interlace > 1) return err({ code: 'bad-png', message: `interlace method ${h.interlace} does not exist`, offset: 28 });
  if (h.idat.length === 0) return err({ code: 'bad-png', message: 'no IDAT chunk: the image has no data', offset: 8 });
  // Like the TIFF reader: what the data inflates to is bounded as well as the pixels (16-bit RGBA
  // is 8 octets a pixel).
  const expected = filteredSize(h, channels * h.depth);
  if (expected > 4 * maxPixels + h.height) {
    return err({ code: 'too-large', message: `${h.width}×${h.height} at ${channels * h.depth} bits a pixel is ${expected} octets, over ${4 * maxPixels}`, offset: 16 });
  }
  const bad = checkImageData(h, expected);
  if (bad) return err(bad);
  let png: PNG;
  try {
    png = pngjs().PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    return err({ code: 'bad-png', message: `PNG does not decode: ${e instanceof Error ? e.message : String(e)}`, offset: 0 });
  }
  const grey = toGrey(png.width, png.height, png.data, 4);
  // pHYs counts whole pixels per metre (1/m = 0.0254 dpi): a dpi within that of an integer
  // was that integer (204 dpi is stored as 8031/m, which reads back as 203.99).
  const rounded = (v: number | undefined): number | undefined =>
    v === undefined ? undefined : Math.abs(v - Math.round(v)) <= 0.0254 ? Math.round(v) : Math.round(v * 100) / 100;
  const xd = rounded(h.xDpi);
  const yd = rounded(h.yDpi);
  if (h.depth === 1 && h.colorType === 0) {
    const stride = (png.width + 7) >>> 3;
    const data = new Uint8Array(stride * png.height);
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) if (grey[y * png.width + x]! < 128) data[y * stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
    }
    maskPadding(data, png.width, stride, png.height);
    return ok({ kind: 'bilevel', bitmap: withDpi({ width: png.width, height: png.height, stride, data }, xd, yd) }, bytes.length);
  }
  return ok({ kind: 'grey', image: withDpi({ width: png.width, height: png.height, data: grey }, xd, yd) }, bytes.length);
}

const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}
/** CRC-32 of PNG §5.5 (ISO 3309 polynomial). */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC-32 over type and data (PNG §5.3). */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

function pngFile(width: number, height: number, depth: 1 | 8, filtered: Uint8Array, xDpi?: number, yDpi?: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = 0; // greyscale
  const parts = [Uint8Array.from(SIGNATURE), pngChunk('IHDR', ihdr)];
  if (xDpi !== undefined && yDpi !== undefined) {
    const phys = new Uint8Array(9);
    const pv = new DataView(phys.buffer);
    pv.setUint32(0, Math.round(xDpi * INCH_PER_METRE));
    pv.setUint32(4, Math.round(yDpi * INCH_PER_METRE));
    phys[8] = 1;
    parts.push(pngChunk('pHYs', phys));
  }
  parts.push(pngChunk('IDAT', zlib().deflateSync(filtered, { level: 9 })), pngChunk('IEND', new Uint8Array(0)));
  return concatBytes(parts);
}

/**
 * A fax page as PNG: 1-bit greyscale (default) or 8-bit greyscale. Fax pixels are stored as
 * they are, with pHYs giving their size; `squarePixels` instead repeats each row
 * round(xDpi / yDpi) times where rows are sparser than columns (standard resolution: twice), so
 * that viewers which ignore pHYs still show the page with the right aspect.
 */
export function writePng(b: Bitmap, opts: { readonly depth?: 1 | 8; readonly squarePixels?: boolean } = {}): Uint8Array {
  const depth = opts.depth ?? 1;
  let rep = 1;
  if (opts.squarePixels && b.xDpi !== undefined && b.yDpi !== undefined && b.yDpi < b.xDpi) rep = Math.max(1, Math.round(b.xDpi / b.yDpi));
  const rowBytes = depth === 1 ? b.stride : b.width;
  const filtered = new Uint8Array((1 + rowBytes) * b.height * rep);
  let o = 0;
  for (let y = 0; y < b.height; y++) {
    const src = b.data.subarray(y * b.stride, (y + 1) * b.stride);
    for (let r = 0; r < rep; r++) {
      filtered[o++] = 0; // filter type None
      if (depth === 1) {
        for (let i = 0; i < b.stride; i++) filtered[o + i] = ~src[i]! & 0xff;
        // Padding bits past the width: leave them white (1), harmless either way.
      } else {
        for (let x = 0; x < b.width; x++) filtered[o + x] = ((src[x >>> 3]! >>> (7 - (x & 7))) & 1) !== 0 ? 0 : 255;
      }
      o += rowBytes;
    }
  }
  const yDpi = b.yDpi !== undefined ? b.yDpi * rep : undefined;
  return pngFile(b.width, b.height * rep, depth, filtered, b.xDpi, yDpi);
}

/** A grey image as 8-bit greyscale PNG. */
export function writeGreyPng(g: GreyImage): Uint8Array {
  const filtered = new Uint8Array((1 + g.width) * g.height);
  for (let y = 0; y < g.height; y++) {
    filtered[y * (g.width + 1)] = 0;
    filtered.set(g.data.subarray(y * g.width, (y + 1) * g.width), y * (g.width + 1) + 1);
  }
  return pngFile(g.width, g.height, 8, filtered, g.xDpi, g.yDpi);
}
