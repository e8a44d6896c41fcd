/**
 * The one place where the image layer meets the T.4/T.6 codec (src/t4): TIFF's CCITT
 * compressions mapped onto codec options (TIFF 6.0 §10–§11; RFC 2306 §3):
 *
 * | TIFF                         | codec                                                    |
 * |------------------------------|----------------------------------------------------------|
 * | Compression 2 (MH RLE)       | MH, `tiff: true`: no EOL, no RTC, each row octet-aligned |
 * | Compression 3, T4Options b0=0| MH, an EOL before every row, no RTC                      |
 * | Compression 3, T4Options b0=1| MR (EOL + tag bit before every row), K from the writer   |
 * | T4Options bit 2 (fill bits)  | fill so that every EOL ends on an octet boundary         |
 * | Compression 4                | MMR, ending with EOFB                                    |
 * | FillOrder 2                  | bit order lsb-first                                      |
 *
 * Each strip is coded on its own (its first 2-D row refers to an imaginary all-white row).
 * Decoding is the tolerant fax receiver's: bad rows are concealed and counted, never thrown.
 */

import { decodeT4, encodeT4, encodeT4Rows, MAX_WIDTH, type RowChangesSource, type T4Coding, type T4EncodeOptions } from '../t4/index.js';

export interface CcittParams {
  readonly compression: 2 | 3 | 4;
  /** Compression 3: MR (T4Options bit 0). Ignored for 2 and 4. */
  readonly twoD: boolean;
  /** T4Options bit 1 / T6Options bit 1: the writer *may* have used uncompressed mode (not supported: such rows count as bad). */
  readonly uncompressedMode: boolean;
  /** Compression 3: EOLs octet-aligned (T4Options bit 2). */
  readonly fillBits: boolean;
  readonly width: number;
  /** Rows in the strip. */
  readonly rows: number;
  /** FillOrder 2. */
  readonly lsbFirst: boolean;
  /** MR K parameter for encoding (T.4 §4.2.1). */
  readonly k?: number;
}

export interface CcittDecoded {
  /** rows × ceil(width / 8) octets, 1 = black. */
  readonly data: Uint8Array;
  readonly rows: number;
  readonly badRows: number;
  readonly longestBadRun: number;
  readonly end: 'rtc' | 'eofb' | 'cut-short' | 'row-limit';
}

function coding(p: CcittParams): T4Coding {
  switch (p.compression) {
    case 2:
      return 'mh';
    case 3:
      return p.twoD ? 'mr' : 'mh';
    case 4:
      return 'mmr';
  }
}

/** Decodes one strip; a string says why it cannot be decoded at all. */
export function decodeCcitt(data: Uint8Array, p: CcittParams): CcittDecoded | string {
  if (p.width > MAX_WIDTH) return `width ${p.width} exceeds the T.4 decoder's limit of ${MAX_WIDTH}`;
  try {
    const r = decodeT4(data, {
      coding: coding(p),
      width: p.width,
      bitOrder: p.lsbFirst ? 'lsb-first' : 'msb-first',
      maxRows: p.rows,
      ...(p.compression === 2 ? { tiff: true } : {}),
    });
    const stride = (p.width + 7) >>> 3;
    return { data: r.bitmap.data.subarray(0, r.rows * stride), rows: r.rows, badRows: r.badRows, longestBadRun: r.longestBadRun, end: r.end };
  } catch (e) {
    return `T.4 decoder refused the strip: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The codec options of a strip of TIFF compression `p`. */
function encodeOptions(p: CcittParams): T4EncodeOptions {
  const bitOrder = p.lsbFirst ? 'lsb-first' : 'msb-first';
  switch (p.compression) {
    case 2:
      return { coding: 'mh', tiff: true, bitOrder };
    case 3:
      return {
        coding: p.twoD ? 'mr' : 'mh',
        ...(p.twoD && p.k !== undefined ? { k: p.k } : {}),
        rtc: false,
        leadingEol: true,
        alignEol: p.fillBits,
        bitOrder,
      };
    case 4:
      return { coding: 'mmr', rtc: true, bitOrder };
  }
}

/** Codes `rows` packed rows (stride ceil(width / 8)) as one strip. */
export function encodeCcitt(rows: Uint8Array, p: CcittParams): Uint8Array {
  const stride = (p.width + 7) >>> 3;
  return encodeT4({ width: p.width, height: p.rows, stride, data: rows }, encodeOptions(p));
}

/** Codes rows `y0 … y0 + p.rows − 1` of a row source as one strip: the octets `encodeCcitt` gives for the same pixels. */
export function encodeCcittRows(source: RowChangesSource, y0: number, p: CcittParams): Uint8Array {
  return encodeT4Rows(source, encodeOptions(p), y0, p.rows);
}
