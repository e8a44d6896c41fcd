/**
 * The bilevel page every image layer exchanges: rows packed 8 pixels per octet, most
 * significant bit = leftmost pixel, 1 = black (the T.4 and TIFF "min-is-white" convention),
 * each row starting on an octet boundary (`stride` octets per row, padding bits zero).
 */

import { FaxwireError } from '../util/errors.js';

export interface Bitmap {
  readonly width: number;
  readonly height: number;
  /** Octets per row: ceil(width / 8). */
  readonly stride: number;
  /** height × stride octets. */
  readonly data: Uint8Array;
  /** Horizontal / vertical resolution in pixels per inch, when known (fax: 204 × 98/196/391). */
  readonly xDpi?: number;
  readonly yDpi?: number;
}

export function bitmapStride(width: number): number {
  return (width + 7) >>> 3;
}

/** A white bitmap of the given size. */
export function createBitmap(width: number, height: number, dpi?: { x: number; y: number }): Bitmap {
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height < 0) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad bitmap size ${width}×${height}`);
  }
  const stride = bitmapStride(width);
  const b: Bitmap = { width, height, stride, data: new Uint8Array(stride * height) };
  return dpi ? { ...b, xDpi: dpi.x, yDpi: dpi.y } : b;
}

export function getPixel(b: Bitmap, x: number, y: number): 0 | 1 {
  return (((b.data[y * b.stride + (x >>> 3)] ?? 0) >>> (7 - (x & 7))) & 1) as 0 | 1;
}

export function setPixel(b: Bitmap, x: number, y: number, black: boolean): void {
  const i = y * b.stride + (x >>> 3);
  const m = 0x80 >>> (x & 7);
  b.data[i] = black ? (b.data[i] ?? 0) | m : (b.data[i] ?? 0) & ~m;
}

/** Row `y` as a subarray (no copy). */
export function bitmapRow(b: Bitmap, y: number): Uint8Array {
  return b.data.subarray(y * b.stride, (y + 1) * b.stride);
}
