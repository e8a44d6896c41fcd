/**
 * JPEG in (ITU-T T.81 | ISO/IEC 10918-1), for documents to send: decoded by jpeg-js (baseline
 * and progressive) to RGBA, then to grey. The resolution comes from the JFIF APP0 segment
 * (JFIF 1.02 / ITU-T T.871 §10.1: units 1 = dots per inch, 2 = dots per cm), found by walking
 * the marker segments before the first scan, as is the frame header (SOFn), whose size is
 * checked against the budget before jpeg-js allocates anything:
 *
 * ```
 *  FFD8 (SOI) │ FFxx len(2, big-endian, includes itself) payload │ … │ FFDA (SOS) …
 *  APP0 "JFIF\0": version(2) units(1) Xdensity(2) Ydensity(2) …
 * ```
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import { DEFAULT_MAX_PIXELS } from './budget.js';
import { toGrey, withDpi, type GreyImage } from './grey.js';
import { jpegJs } from './lazy.js';

export type JpegErrorCode = 'bad-jpeg' | 'too-large';

export interface JpegError {
  readonly code: JpegErrorCode;
  readonly message: string;
  readonly offset: number;
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The JFIF density in dpi, if the file has a usable one. */
export function jfifDpi(bytes: Uint8Array): { x: number; y: number } | undefined {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++; // fill octet
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (len < 2 || p + 2 + len > bytes.length) return undefined;
    const d = p + 4;
    if (marker === 0xe0 && len >= 16 && bytes[d] === 0x4a && bytes[d + 1] === 0x46 && bytes[d + 2] === 0x49 && bytes[d + 3] === 0x46 && bytes[d + 4] === 0) {
      const units = bytes[d + 7];
      const x = (bytes[d + 8]! << 8) | bytes[d + 9]!;
      const y = (bytes[d + 10]! << 8) | bytes[d + 11]!;
      if (x === 0 || y === 0) return undefined;
      if (units === 1) return { x, y };
      if (units === 2) return { x: x * 2.54, y: y * 2.54 };
      return undefined; // units 0: aspect ratio only
    }
    p += 2 + len;
  }
  return undefined;
}

/** The frame header (T.81 §B.2.2) and where the first scan starts. */
export interface JpegFrame {
  /** SOFn marker (0xC0 baseline … 0xCF). */
  readonly marker: number;
  readonly precision: number;
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** Offset of the first SOS marker: the scan data follow it. */
  readonly scanAt: number;
}

/**
 * Walks the marker segments (T.81 §B.1.1.4, §B.2) for the frame header, and checks a scan
 * (SOS) follows it — without decoding anything:
 *
 * ```
 *  SOFn: FFCn │ Lf(2) │ P(1) │ Y(2) lines │ X(2) samples/line │ Nf(1) │ Nf × (C, H/V, Tq)
 * ```
 * SOFn are C0–CF except C4 (DHT), C8 (JPG) and CC (DAC). Y = 0 (height given later by DNL,
 * §B.2.5) is refused: the size must be known before decoding.
 */
export function jpegFrame(bytes: Uint8Array): JpegFrame | JpegError {
  if (!isJpeg(bytes)) return { code: 'bad-jpeg', message: 'not a JPEG file (no SOI marker)', offset: 0 };
  let p = 2;
  let frame: Omit<JpegFrame, 'scanAt'> | undefined;
  while (p + 2 <= bytes.length) {
    if (bytes[p] !== 0xff) return { code: 'bad-jpeg', message: `no marker at offset ${p} (0x${bytes[p]!.toString(16)})`, offset: p };
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++; // fill octet (§B.1.1.2)
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // TEM, RSTn: no length
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (p + 4 > bytes.length) break;
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (len < 2 || p + 2 + len > bytes.length) return { code: 'bad-jpeg', message: `marker segment 0x${marker.toString(16)} at ${p} of ${len} octets runs past the end of the file`, offset: p };
    if (marker === 0xda) {
      if (!frame) return { code: 'bad-jpeg', message: 'a scan (SOS) before the frame header (SOFn)', offset: p };
      return { ...frame, scanAt: p };
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (len < 8) return { code: 'bad-jpeg', message: `frame header of ${len} octets (at least 8)`, offset: p };
      if (frame) return { code: 'bad-jpeg', message: 'a second frame header (SOFn)', offset: p };
      const d = p + 4;
      frame = { marker, precision: bytes[d]!, height: (bytes[d + 1]! << 8) | bytes[d + 2]!, width: (bytes[d + 3]! << 8) | bytes[d + 4]!, components: bytes[d + 5]! };
    }
    p += 2 + len;
  }
  return { code: 'bad-jpeg', message: frame ? 'no scan (SOS) after the frame header: the image has no data' : 'no frame header (SOFn)', offset: p };
}

export function readJpeg(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): DecodeResult<GreyImage, JpegError> {
  // The size is checked from the frame header before jpeg-js sees the file: jpeg-js allocates
  // its component buffers from the header before it applies its own resolution limit.
  const f = jpegFrame(bytes);
  if ('code' in f) return err(f);
  if (f.width === 0 || f.height === 0) return err({ code: 'bad-jpeg', message: `frame header gives an empty or DNL-defined size ${f.width}×${f.height}`, offset: 0 });
  if (f.components < 1 || f.components > 4) return err({ code: 'bad-jpeg', message: `${f.components} components (1 to 4 are read)`, offset: 0 });
  if (f.width * f.height > maxPixels) return err({ code: 'too-large', message: `${f.width}×${f.height} exceeds ${maxPixels} pixels`, offset: 0 });
  if (f.marker >= 0xc9) {
    return err({ code: 'bad-jpeg', message: `arithmetic-coded JPEG (SOF 0x${f.marker.toString(16)}, T.81 Annex D) is not supported`, offset: 0 });
  }
  // A header with (next to) no scan data: with Huffman coding every 8 × 8 block of a full-size
  // component codes at least its DC difference (T.81 §F.1.2.1), a code of at least one bit, so
  // the scans hold at least one bit a block. A file shorter than that cannot be the image it
  // declares, and jpeg-js would allocate and "decode" all of it first.
  const minScanOctets = Math.ceil((Math.ceil(f.width / 8) * Math.ceil(f.height / 8)) / 8);
  if (bytes.length - f.scanAt < minScanOctets) {
    return err({
      code: 'bad-jpeg',
      message: `${bytes.length - f.scanAt} octets of scan data cannot code ${f.width}×${f.height} (at least ${minScanOctets}: one bit per 8×8 block)`,
      offset: f.scanAt,
    });
  }
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpegJs().decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 2048 });
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return err({ code: /maxResolutionInMP|memory/i.test(m) ? 'too-large' : 'bad-jpeg', message: `JPEG does not decode: ${m}`, offset: 0 });
  }
  if (img.width <= 0 || img.height <= 0 || img.data.length < img.width * img.height * 4) {
    return err({ code: 'bad-jpeg', message: `JPEG decodes to an empty or short image (${img.width}×${img.height})`, offset: 0 });
  }
  const dpi = jfifDpi(bytes);
  return ok(withDpi({ width: img.width, height: img.height, data: toGrey(img.width, img.height, img.data, 4) }, dpi?.x, dpi?.y), bytes.length);
}
