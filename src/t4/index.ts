/**
 * `faxwire/t4` — fax image coding: ITU-T T.4 one-dimensional (MH, T.4 §4.1) and
 * two-dimensional (MR, T.4 §4.2) coding and T.6 (MMR), encoder and decoder, streaming row by
 * row, both bit orders, TIFF Compression 2/3/4 conventions.
 */
export * from './types.js';
export { encodeT4, encodeT4Rows, T4Encoder, type RowChangesSource, type T4EncoderStats } from './encoder.js';
export { decodeT4, T4Decoder, type T4DecoderStats } from './decoder.js';
export { bitmapRow, bitmapStride, createBitmap, getPixel, setPixel, type Bitmap } from './bitmap.js';
