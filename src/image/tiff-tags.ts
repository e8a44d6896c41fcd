/**
 * TIFF tag numbers, field types and code values used by the reader and writer: TIFF 6.0
 * (Adobe, 1992) §2 (structure), §8 (baseline fields), §11 (CCITT bilevel encodings: T4Options
 * 292, T6Options 293), and the fax fields of TIFF Class F / RFC 2306 §3 (BadFaxLines 326,
 * CleanFaxData 327, ConsecutiveBadFaxLines 328).
 */

export const TAG = {
  NewSubfileType: 254,
  SubfileType: 255,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  FillOrder: 266,
  DocumentName: 269,
  ImageDescription: 270,
  StripOffsets: 273,
  Orientation: 274,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  T4Options: 292,
  T6Options: 293,
  ResolutionUnit: 296,
  PageNumber: 297,
  Software: 305,
  DateTime: 306,
  Predictor: 317,
  ColorMap: 320,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  BadFaxLines: 326,
  CleanFaxData: 327,
  ConsecutiveBadFaxLines: 328,
  InkSet: 332,
  ExtraSamples: 338,
  SampleFormat: 339,
} as const;

/** Field types (TIFF 6.0 §2 "IFD Entry") and their sizes in octets. */
export const TYPE = {
  BYTE: 1,
  ASCII: 2,
  SHORT: 3,
  LONG: 4,
  RATIONAL: 5,
  SBYTE: 6,
  UNDEFINED: 7,
  SSHORT: 8,
  SLONG: 9,
  SRATIONAL: 10,
  FLOAT: 11,
  DOUBLE: 12,
  IFD: 13,
} as const;

/** Octets per value of each field type; 0 for a type this reader does not know. */
export function typeSize(type: number): number {
  switch (type) {
    case 1:
    case 2:
    case 6:
    case 7:
      return 1;
    case 3:
    case 8:
      return 2;
    case 4:
    case 9:
    case 11:
    case 13:
      return 4;
    case 5:
    case 10:
    case 12:
      return 8;
    default:
      return 0;
  }
}

export const COMPRESSION = {
  none: 1,
  /** CCITT modified Huffman run-length encoding: MH codes, no EOL, each row octet-aligned. */
  ccittRle: 2,
  /** T.4 (Group 3): MH or MR per T4Options. */
  ccittT4: 3,
  /** T.6 (Group 4): MMR. */
  ccittT6: 4,
  lzw: 5,
  ojpeg: 6,
  jpeg: 7,
  adobeDeflate: 8,
  deflate: 32946,
  packBits: 32773,
} as const;

/** T4Options bits (TIFF 6.0 §11). */
export const T4_2D = 0x1;
export const T4_UNCOMPRESSED = 0x2;
export const T4_FILL_BITS = 0x4;
/** T6Options bit 1 (value 2): uncompressed mode allowed. */
export const T6_UNCOMPRESSED = 0x2;
