/**
 * Options and results shared by the T.4/T.6 encoder and decoder (the public `faxwire/t4` API).
 */

import type { Bitmap } from './bitmap.js';

/** MH: T.4 §4.1 one-dimensional; MR: T.4 §4.2 two-dimensional; MMR: T.6 (no EOLs). */
export type T4Coding = 'mh' | 'mr' | 'mmr';

/**
 * Order of the bits inside each octet. `msb-first`: the first bit of the stream is the most
 * significant bit of the first octet (T.38 IFP data, TIFF FillOrder 1); `lsb-first`: the least
 * significant (TIFF FillOrder 2, the order a fax modem's UART delivers them).
 */
export type BitOrder = 'msb-first' | 'lsb-first';

export interface T4EncodeOptions {
  readonly coding: T4Coding;
  /**
   * MR only: one 1-D coded line, then k − 1 2-D lines (T.4 §4.2.1: k = 2 at standard
   * resolution, 4 at fine). Default 2. k = 1 makes every line 1-D (still with tag bits).
   */
  readonly k?: number;
  /**
   * MH/MR: fill bits are inserted before each EOL so that consecutive EOLs are at least this many
   * bits apart — T.4 §4.1.3: DATA + FILL + EOL of a line must last at least the minimum
   * transmission time of the total coded scan line (T.30 minimum scan line time × bit rate).
   * Measured from the end of one EOL to the end of the next (so an MR tag bit counts). Default 0.
   */
  readonly minRowBits?: number;
  /** MH/MR: fill so every EOL ends on an octet boundary (TIFF T4Options bit 2). Default false. */
  readonly alignEol?: boolean;
  /** MH/MR: end with RTC (6 × EOL, MR: 6 × EOL+1, T.4 §4.1.4/§4.2.4); MMR: end with EOFB (T.6 §2.4.1.1). Default true. */
  readonly rtc?: boolean;
  /** MH/MR: begin with an EOL (T.4 §4.1.2, the synchronising EOL before the first line). Default true. */
  readonly leadingEol?: boolean;
  /** Default 'msb-first'. */
  readonly bitOrder?: BitOrder;
  /**
   * TIFF Compression 2 ("CCITT modified Huffman RLE", TIFF 6.0 §10): coding must be 'mh'; no EOL,
   * no RTC, no fill, and each coded row starts on an octet boundary. `rtc`, `leadingEol`,
   * `minRowBits` and `alignEol` are ignored. (TIFF Compression 3 is plain 'mh'/'mr' with
   * `rtc: false`: libtiff writes an EOL before every row and no RTC.)
   */
  readonly tiff?: boolean;
}

export interface T4DecodeOptions {
  readonly coding: T4Coding;
  /** Pels per line. */
  readonly width: number;
  /**
   * MR: accepted for symmetry with the encoder options and ignored — the tag bit after each EOL
   * says whether the next line is 1-D or 2-D (T.4 §4.2.1), whatever k the sender used.
   */
  readonly k?: number;
  /** Default 'msb-first'. */
  readonly bitOrder?: BitOrder;
  /** Stop after this many rows (end: 'row-limit'). Default DEFAULT_MAX_ROWS. */
  readonly maxRows?: number;
  /** TIFF Compression 2 (see T4EncodeOptions.tiff): coding must be 'mh'. */
  readonly tiff?: boolean;
  /**
   * Decode the rows into this buffer (row y at y × stride) instead of a new one, so a caller
   * decoding page after page reuses its memory; the result's bitmap is then a view of it. If the
   * page needs more rows than it holds, the decoder moves on to a larger buffer of its own.
   */
  readonly into?: Uint8Array;
  /**
   * MH/MR: ignore everything before the first EOL (T.4 §4.1.2: an EOL precedes the first line
   * of a page). What a non-ECM receiver wants: on audio the bits after a modem's training begin
   * with the tail of its scrambled ones, which are not a line. Default false (a first line
   * without a leading EOL is decoded, as TIFF writers produce it).
   */
  readonly skipToFirstEol?: boolean;
}

/** Why decoding stopped. */
export type T4End =
  /** MH/MR: RTC seen (six consecutive EOLs; at the very end of the data, two or more). */
  | 'rtc'
  /** MMR: EOFB seen. */
  | 'eofb'
  /** The data ended (or, for MMR and TIFF RLE, became undecodable) before the page's end code. */
  | 'cut-short'
  /** maxRows rows were decoded. */
  | 'row-limit';

/** What went wrong in a row (garbage from the line is data, never an exception). */
export type T4ErrorCode =
  /** No code word matches the bits. */
  | 'invalid-code'
  /** EOL (or ≥ 12 zeros) inside a line, before its last run. */
  | 'premature-eol'
  /** The runs of a line add up to more than the line width. */
  | 'row-too-long'
  /** A complete line is followed by bits that are not fill + EOL (the line was longer than the width). */
  | 'data-after-row'
  /** 2-D extension code (uncompressed mode, T.4 Annex A) — not supported. */
  | 'extension-code'
  /** MR: a 2-D line whose reference line was lost (its row is concealed too, up to the next 1-D line). */
  | 'lost-reference'
  /** MMR: an EOL that is not part of EOFB. */
  | 'unexpected-eol'
  /** The data ended inside a line. */
  | 'truncated';

export interface T4DecodeError {
  readonly code: T4ErrorCode;
  readonly message: string;
  /** Octet offset in the stream where the problem was found. */
  readonly offset: number;
  /** Row index (0-based) the problem affects. */
  readonly row: number;
}

export interface T4DecodeResult {
  readonly bitmap: Bitmap;
  readonly rows: number;
  /** Rows that failed to decode and were replaced by the previous row (T.4 receivers conceal this way). */
  readonly badRows: number;
  /** Longest run of consecutive bad rows. */
  readonly longestBadRun: number;
  readonly end: T4End;
  /** The first problem met, if any (bad row, cut short). */
  readonly firstError?: T4DecodeError;
}

/** Default bound on the rows of one page (memory bound against hostile streams): ~ 8 m at 7.7 lines/mm. */
export const DEFAULT_MAX_ROWS = 65536;
/** Widest line accepted (T.4 goes to 4864 pels at 600 dpi on A3; TIFF pages can be wider). */
export const MAX_WIDTH = 1 << 16;
