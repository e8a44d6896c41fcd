/**
 * The code words of ITU-T T.4 (and T.6, which uses the same ones), written out by hand from the
 * recommendation as bit strings, first transmitted bit on the left, and the lookup tables the
 * encoder and decoder build from them once, when the module loads.
 *
 * - One-dimensional coding, T.4 §4.1.1: a run of 0..63 pels is one *terminating* code word; a
 *   run of 64 or more is a *make-up* code word (a multiple of 64) followed by the terminating code
 *   word of the remainder. White and black runs have separate tables; the extended make-up codes
 *   1792..2560 (for scan lines wider than A4 at fine resolution) are common to both colours.
 *   Runs of 2560 and more take as many make-up 2560 as needed first (T.4 §4.1.1, note on wide
 *   documents).
 * - EOL, T.4 §4.1.2: 000000000001 — no run of code words can produce eleven zeros in a row,
 *   which is what lets a receiver find the next line after an error.
 * - Two-dimensional modes, T.4 §4.2.1.3 (same table in T.6 §2.2.4): pass, horizontal and the
 *   seven vertical modes; 0000001xxx is the extension (uncompressed mode), not supported here.
 *
 * Decoder tables are indexed by the next 12 (white), 13 (black) or 7 (2-D mode) bits of the
 * stream, so one lookup yields a whole code word; see the entry layouts below.
 */

// ---------------------------------------------------------------------------------------------
// The code words (T.4 §4.1.1, §4.1.2, §4.2.1.3)
// ---------------------------------------------------------------------------------------------

/** White terminating codes, run length 0..63 (index = run length). */
export const WHITE_TERMINATING: readonly string[] = [
  '00110101', '000111', '0111', '1000', '1011', '1100', '1110', '1111', // 0-7
  '10011', '10100', '00111', '01000', '001000', '000011', '110100', '110101', // 8-15
  '101010', '101011', '0100111', '0001100', '0001000', '0010111', '0000011', '0000100', // 16-23
  '0101000', '0101011', '0010011', '0100100', '0011000', '00000010', '00000011', '00011010', // 24-31
  '00011011', '00010010', '00010011', '00010100', '00010101', '00010110', '00010111', '00101000', // 32-39
  '00101001', '00101010', '00101011', '00101100', '00101101', '00000100', '00000101', '00001010', // 40-47
  '00001011', '01010010', '01010011', '01010100', '01010101', '00100100', '00100101', '01011000', // 48-55
  '01011001', '01011010', '01011011', '01001010', '01001011', '00110010', '00110011', '00110100', // 56-63
];

/** Black terminating codes, run length 0..63. */
export const BLACK_TERMINATING: readonly string[] = [
  '0000110111', '010', '11', '10', '011', '0011', '0010', '00011', // 0-7
  '000101', '000100', '0000100', '0000101', '0000111', '00000100', '00000111', '000011000', // 8-15
  '0000010111', '0000011000', '0000001000', '00001100111', '00001101000', '00001101100', '00000110111', '00000101000', // 16-23
  '00000010111', '00000011000', '000011001010', '000011001011', '000011001100', '000011001101', '000001101000', '000001101001', // 24-31
  '000001101010', '000001101011', '000011010010', '000011010011', '000011010100', '000011010101', '000011010110', '000011010111', // 32-39
  '000001101100', '000001101101', '000011011010', '000011011011', '000001010100', '000001010101', '000001010110', '000001010111', // 40-47
  '000001100100', '000001100101', '000001010010', '000001010011', '000000100100', '000000110111', '000000111000', '000000100111', // 48-55
  '000000101000', '000001011000', '000001011001', '000000101011', '000000101100', '000001011010', '000001100110', '000001100111', // 56-63
];

/** White make-up codes, run length 64 × (index + 1), i.e. 64..1728. */
export const WHITE_MAKEUP: readonly string[] = [
  '11011', '10010', '010111', '0110111', '00110110', '00110111', '01100100', '01100101', // 64-512
  '01101000', '01100111', '011001100', '011001101', '011010010', '011010011', '011010100', '011010101', // 576-1024
  '011010110', '011010111', '011011000', '011011001', '011011010', '011011011', '010011000', '010011001', // 1088-1536
  '010011010', '011000', '010011011', // 1600-1728
];

/** Black make-up codes, run length 64 × (index + 1), i.e. 64..1728. */
export const BLACK_MAKEUP: readonly string[] = [
  '0000001111', '000011001000', '000011001001', '000001011011', '000000110011', '000000110100', '000000110101', '0000001101100', // 64-512
  '0000001101101', '0000001001010', '0000001001011', '0000001001100', '0000001001101', '0000001110010', '0000001110011', '0000001110100', // 576-1024
  '0000001110101', '0000001110110', '0000001110111', '0000001010010', '0000001010011', '0000001010100', '0000001010101', '0000001011010', // 1088-1536
  '0000001011011', '0000001100100', '0000001100101', // 1600-1728
];

/** Extended make-up codes (both colours), run length 1792 + 64 × index, i.e. 1792..2560. */
export const EXTENDED_MAKEUP: readonly string[] = [
  '00000001000', '00000001100', '00000001101', '000000010010', '000000010011', '000000010100', '000000010101', // 1792-2176
  '000000010110', '000000010111', '000000011100', '000000011101', '000000011110', '000000011111', // 2240-2560
];

export const EOL_CODE = '000000000001';

/** Two-dimensional mode codes (T.4 §4.2.1.3). */
export const MODE_PASS = '0001';
export const MODE_HORIZONTAL = '001';
/** Vertical modes, index = a1 − b1 + 3: VL3, VL2, VL1, V0, VR1, VR2, VR3. */
export const MODE_VERTICAL: readonly string[] = ['0000010', '000010', '010', '1', '011', '000011', '0000011'];
/** First 7 bits of the 2-D extension code 0000001xxx (uncompressed mode, T.4 Annex A / T.6 §2.2.4). */
export const MODE_EXTENSION_PREFIX = '0000001';

/** The largest make-up code; longer runs repeat it (T.4 §4.1.1). */
export const MAX_MAKEUP = 2560;

// ---------------------------------------------------------------------------------------------
// Encoder tables: for every run 0..2559, the make-up (if any) and terminating code words
// concatenated into one value of at most 25 bits (black 1600 make-up: 13 + terminating: 12).
// ---------------------------------------------------------------------------------------------

function bits(s: string): number {
  return parseInt(s, 2);
}

function buildRunCodes(term: readonly string[], makeup: readonly string[]): { code: Int32Array; len: Uint8Array } {
  const code = new Int32Array(MAX_MAKEUP);
  const len = new Uint8Array(MAX_MAKEUP);
  for (let r = 0; r < MAX_MAKEUP; r++) {
    const m = r >>> 6;
    const t = term[r & 63]!;
    let s = t;
    if (m > 0) s = (m <= 27 ? makeup[m - 1]! : EXTENDED_MAKEUP[m - 28]!) + t;
    code[r] = bits(s);
    len[r] = s.length;
  }
  return { code, len };
}

const white = buildRunCodes(WHITE_TERMINATING, WHITE_MAKEUP);
const black = buildRunCodes(BLACK_TERMINATING, BLACK_MAKEUP);
/** Code (≤ 25 bits) for a white run r < 2560: make-up + terminating. */
export const WHITE_RUN_CODE = white.code;
export const WHITE_RUN_LEN = white.len;
export const BLACK_RUN_CODE = black.code;
export const BLACK_RUN_LEN = black.len;
export const MAKEUP_2560_CODE = bits(EXTENDED_MAKEUP[EXTENDED_MAKEUP.length - 1]!);
export const MAKEUP_2560_LEN = 12;
export const EOL = 1;
export const EOL_LEN = 12;

/** Vertical mode code/length by a1 − b1 + 3. */
export const V_CODE = Int32Array.from(MODE_VERTICAL, bits);
export const V_LEN = Uint8Array.from(MODE_VERTICAL, (s) => s.length);
export const PASS_CODE = bits(MODE_PASS);
export const PASS_LEN = MODE_PASS.length;
export const HORIZ_CODE = bits(MODE_HORIZONTAL);
export const HORIZ_LEN = MODE_HORIZONTAL.length;

// ---------------------------------------------------------------------------------------------
// Decoder tables
//
// Run tables, one Int32 per possible value of the next 12 (white) / 13 (black) bits:
//
//     31 ............ 7   6 5   4   3 .. 0
//    +------------------+-----+---+--------+
//    |  run length      | kind| 0 |  len   |     kind: 0 terminating, 1 make-up,
//    +------------------+-----+---+--------+           2 EOL or ≥ 12 zeros, 3 invalid
//
// Mode table, one Int32 per value of the next 7 bits:
//
//     ... 8   7 .. 5        4   3 .. 0
//    +------+--------------+---+--------+
//    | kind | a1 − b1 + 3  | 0 |  len   |     kind: 0 vertical, 1 pass, 2 horizontal,
//    +------+--------------+---+--------+           3 extension, 4 EOL / zeros (0000000)
//
// Bit 4 is always 0 so that the low five bits of an entry are the code length: a decoder can
// consume a code with `acc <<= entry` (JavaScript shifts use the count's low five bits). EOL,
// invalid and extension entries have length 0: they are reported, not consumed.
// ---------------------------------------------------------------------------------------------

export const K_TERM = 0x00;
export const K_MAKEUP = 0x20;
export const K_EOL = 0x40;
export const K_INVALID = 0x60;
export const K_MASK = 0x60;
export const WHITE_BITS = 12;
export const BLACK_BITS = 13;

function buildRunDecode(width: number, term: readonly string[], makeup: readonly string[]): Int32Array {
  const t = new Int32Array(1 << width).fill(K_INVALID);
  const put = (s: string, entry: number): void => {
    if (s.length > width) throw new Error(`t4 tables: ${s} longer than ${width} bits`);
    const base = bits(s) << (width - s.length);
    const n = 1 << (width - s.length);
    for (let i = 0; i < n; i++) {
      if (t[base + i] !== K_INVALID) throw new Error(`t4 tables: ${s} is not prefix-free`);
      t[base + i] = entry;
    }
  };
  term.forEach((s, r) => put(s, (r << 7) | K_TERM | s.length));
  makeup.forEach((s, i) => put(s, (((i + 1) * 64) << 7) | K_MAKEUP | s.length));
  EXTENDED_MAKEUP.forEach((s, i) => put(s, ((1792 + 64 * i) << 7) | K_MAKEUP | s.length));
  put(EOL_CODE, K_EOL);
  // Twelve or more zeros: fill before an EOL (or garbage) — never part of a line (T.4 §4.1.3).
  for (let i = 0; i < 1 << (width - 12); i++) t[i] = K_EOL;
  return t;
}

/** Indexed by the next 12 bits. */
export const WHITE_DECODE = buildRunDecode(WHITE_BITS, WHITE_TERMINATING, WHITE_MAKEUP);
/** Indexed by the next 13 bits. */
export const BLACK_DECODE = buildRunDecode(BLACK_BITS, BLACK_TERMINATING, BLACK_MAKEUP);

/**
 * The run tables for decoding: WHITE_DECODE / BLACK_DECODE, except that where the window holds a
 * make-up code followed by the whole terminating code that ends the run (T.4 §4.1.1: a run of 64
 * pels or more is a make-up code then a terminating code of the same colour), the entry is that
 * run, terminating, with the length of both codes: one lookup instead of two for most long runs.
 */
function buildCombined(t: Int32Array, width: number): Int32Array {
  const out = Int32Array.from(t);
  const mask = (1 << width) - 1;
  for (let i = 0; i < t.length; i++) {
    const e = t[i]!;
    if ((e & K_MASK) !== K_MAKEUP) continue;
    const len = e & 31;
    const next = t[(i << len) & mask]!;
    const len2 = next & 31;
    // The second code must lie wholly in the window's known bits (the shift brought in zeros).
    if ((next & K_MASK) !== K_TERM || len2 === 0 || len + len2 > width) continue;
    out[i] = (((e >>> 7) + (next >>> 7)) << 7) | K_TERM | (len + len2);
  }
  return out;
}

/** WHITE_DECODE with make-up + terminating pairs resolved in one entry (indexed by 12 bits). */
export const WHITE_RUNS = buildCombined(WHITE_DECODE, WHITE_BITS);
/** BLACK_DECODE with make-up + terminating pairs resolved in one entry (indexed by 13 bits). */
export const BLACK_RUNS = buildCombined(BLACK_DECODE, BLACK_BITS);

export const M_VERTICAL = 0;
export const M_PASS = 1;
export const M_HORIZONTAL = 2;
export const M_EXTENSION = 3;
export const M_EOL = 4;
export const MODE_BITS = 7;

function buildModeDecode(): Int32Array {
  const t = new Int32Array(1 << MODE_BITS).fill(-1);
  const put = (s: string, entry: number): void => {
    const base = bits(s) << (MODE_BITS - s.length);
    for (let i = 0; i < 1 << (MODE_BITS - s.length); i++) {
      if (t[base + i] !== -1) throw new Error(`t4 tables: mode ${s} is not prefix-free`);
      t[base + i] = entry;
    }
  };
  put(MODE_PASS, (M_PASS << 8) | MODE_PASS.length);
  put(MODE_HORIZONTAL, (M_HORIZONTAL << 8) | MODE_HORIZONTAL.length);
  MODE_VERTICAL.forEach((s, i) => put(s, (M_VERTICAL << 8) | (i << 5) | s.length));
  put(MODE_EXTENSION_PREFIX, M_EXTENSION << 8);
  put('0000000', M_EOL << 8);
  if (t.includes(-1)) throw new Error('t4 tables: 2-D mode code is not complete');
  return t;
}

/** Indexed by the next 7 bits. */
export const MODE_DECODE = buildModeDecode();

/** Bit reversal of an octet (FillOrder 2 / lsb-first streams). */
export const REVERSE_BITS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >>> b;
    t[i] = r;
  }
  return t;
})();
