/**
 * JPEG in (ITU-T T.81 | ISO/IEC 10918-1), for documents to send: decoded by jpeg-js (baseline
 * and progressive) to RGBA, then to grey. The resolution comes from the JFIF APP0 segment
 * (JFIF 1.02 / ITU-T T.871 §10.1: units 1 = dots per inch, 2 = dots per cm), found by walking
 * the marker segments before the first scan:
 *
 * ```
 *  FFD8 (SOI) │ FFxx len(2, big-endian, includes itself) payload │ … │ FFDA (SOS) …
 *  APP0 "JFIF\0": version(2) units(1) Xdensity(2) Ydensity(2) …
 * ```
 */

import * as jpeg from 'jpeg-js';
import { err, ok, type DecodeResult } from '../util/result.js';
import { toGrey, withDpi, type GreyImage } from './grey.js';

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

export function readJpeg(bytes: Uint8Array, maxPixels = 150_000_000): DecodeResult<GreyImage, JpegError> {
  if (!isJpeg(bytes)) return err({ code: 'bad-jpeg', message: 'not a JPEG file (no SOI marker)', offset: 0 });
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 2048 });
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
