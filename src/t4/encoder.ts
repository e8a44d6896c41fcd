/**
 * T.4/T.6 encoder: packed rows in, a coded bit stream out, row by row.
 *
 * Stream layouts (first transmitted bit on the left; "fill" is 0 bits, T.4 §4.1.3):
 *
 * ```
 *  MH   (T.4 §4.1):  [EOL] line fill EOL line fill EOL ... line fill EOL EOL EOL EOL EOL EOL
 *                    ^ leadingEol                               \______ RTC (T.4 §4.1.4) ______/
 *  MR   (T.4 §4.2):  [EOL 1] line1D fill EOL 0 line2D ... fill EOL 1 line1D ... (EOL 1) × 6
 *                    each EOL is followed by a tag bit: 1 = next line 1-D, 0 = 2-D
 *  MMR  (T.6 §2):    line2D line2D ... line2D EOL EOL (EOFB) pad-to-octet
 *  TIFF RLE (TIFF Compression 2):  line1D pad-to-octet line1D pad-to-octet ...
 * ```
 *
 * The first line's EOL is written before it (when `leadingEol`); every later EOL is written when
 * the next line (or finish()) comes, which is when its fill — the minimum-scan-line padding of the
 * line before it, and the octet alignment — can be known. A 1-D line is its runs' code words
 * (see tables.ts); a 2-D line is coded against the line above (the reference line, all white for
 * the first line of an MMR page) by the T.4 §4.2.1.3 procedure: with a0 the current position,
 * a1/a2 the next changing elements of the coding line, b1/b2 those of the reference line,
 *   - b2 < a1          → pass mode, a0 = b2;
 *   - |a1 − b1| ≤ 3    → vertical mode V(a1 − b1), a0 = a1;
 *   - otherwise        → horizontal mode: runs a0a1 and a1a2, a0 = a2.
 *
 * RTC note: the last line's EOL is the first of the six (T.4 §4.1.4 "six consecutive EOLs" after
 * the last line's data). netpbm's pbmtog3 writes seven; libtiff, in TIFF Class F, none (and an
 * EOL *before* each line, which is our `rtc: false` stream, octet for octet).
 *
 * Speed: a row's changing elements are found 32 pels at a time (changes.ts); hot loops keep the
 * bit accumulator (up to 31 pending bits) in locals and store 32 bits at once into a growable
 * output buffer; nothing is allocated per row. `take()` hands out the whole octets coded so far
 * (for T.38 streaming); `finish()` appends RTC/EOFB and returns the rest.
 */

import type { Bitmap } from './bitmap.js';
import { FaxwireError } from '../util/errors.js';
import { invalid } from '../util/check.js';
import { rowChanges, SENTINELS } from './changes.js';
import {
  BLACK_RUN_CODE,
  BLACK_RUN_LEN,
  EOL,
  EOL_LEN,
  HORIZ_CODE,
  HORIZ_LEN,
  MAKEUP_2560_CODE,
  MAKEUP_2560_LEN,
  MAX_MAKEUP,
  PASS_CODE,
  PASS_LEN,
  REVERSE_BITS,
  V_CODE,
  V_LEN,
  WHITE_RUN_CODE,
  WHITE_RUN_LEN,
} from './tables.js';
import { MAX_WIDTH, type T4Coding, type T4EncodeOptions } from './types.js';

export interface T4EncoderStats {
  readonly rows: number;
  /** Octets produced so far (taken or pending), excluding the bits of an incomplete octet. */
  readonly bytes: number;
  /** Bits produced so far (the end of the last row coded, before its EOL). */
  readonly bits: number;
  /** Rows coded 1-D / 2-D. */
  readonly rows1D: number;
  readonly rows2D: number;
  /** Fill bits inserted (minimum scan line and EOL alignment). */
  readonly fillBits: number;
  readonly eols: number;
}

/** Run r < 2560 → (code << 5) | length (code ≤ 25 bits): one load per run in encode1D. */
const WHITE_RUN = Int32Array.from(WHITE_RUN_CODE, (c, r) => (c << 5) | WHITE_RUN_LEN[r]!);
const BLACK_RUN = Int32Array.from(BLACK_RUN_CODE, (c, r) => (c << 5) | BLACK_RUN_LEN[r]!);

/** Vertical mode V(d − 3) → (code << 5) | length. */
const VERTICAL = Int32Array.from(V_CODE, (c, i) => (c << 5) | V_LEN[i]!);
// Module-local copies of the scalar code constants the hot loops use: V8 folds a module's own
// constants into compiled code but loads (and hole-checks) imported bindings at every use.
const PASS = PASS_CODE;
const PASS_BITS = PASS_LEN;
const HORIZ = HORIZ_CODE;
const HORIZ_BITS = HORIZ_LEN;
const MAKEUP_2560 = MAKEUP_2560_CODE;
const MAKEUP_2560_BITS = MAKEUP_2560_LEN;
const MAKEUP_MAX = MAX_MAKEUP;

export class T4Encoder {
  readonly width: number;
  readonly stride: number;
  readonly coding: T4Coding;
  private readonly k: number;
  private readonly minRowBits: number;
  private readonly alignEol: boolean;
  private readonly rtc: boolean;
  private readonly leadingEol: boolean;
  private readonly lsbFirst: boolean;
  private readonly rle: boolean;

  private cur: Int32Array;
  private ref: Int32Array;
  private refN = 0;
  /** DataView of the last row source (rows are read 32 pels at a time). */
  private viewOf: Uint8Array | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));
  /** Int32Array over the whole buffer of the last row source (rowChanges' fast skip). */
  private words: Int32Array | undefined;

  private out: Uint8Array;
  private outView: DataView;
  /** Octets complete in `out`. */
  private pos = 0;
  /**
   * Pending bits, right-aligned: the low `nacc` (0..31) bits of `acc`; the bits above them are
   * garbage. They go out 32 at a time, as one big-endian word store (see put()).
   */
  private acc = 0;
  private nacc = 0;
  /** Octets handed out by take(). */
  private taken = 0;
  /** Absolute bit position of the end of the last EOL (or of the stream start). */
  private lastEolEnd = 0;

  private rows = 0;
  private rows1D = 0;
  private rows2D = 0;
  private fillBits = 0;
  private eols = 0;
  private finished = false;

  /** `buffer`: encodeT4's reusable output buffer (internal). */
  constructor(width: number, opts: T4EncodeOptions, buffer?: Uint8Array) {
    if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) invalid(`T4Encoder: width ${width} out of range 1..${MAX_WIDTH}`);
    const coding = opts.coding;
    if (coding !== 'mh' && coding !== 'mr' && coding !== 'mmr') invalid(`T4Encoder: unknown coding ${String(coding)}`);
    const k = opts.k ?? 2;
    if (!Number.isInteger(k) || k < 1 || k > 1 << 30) invalid(`T4Encoder: k ${k} must be a positive integer`);
    const minRowBits = opts.minRowBits ?? 0;
    if (!Number.isInteger(minRowBits) || minRowBits < 0 || minRowBits > 1 << 24) invalid(`T4Encoder: minRowBits ${minRowBits} out of range`);
    if (opts.tiff === true && coding !== 'mh') invalid('T4Encoder: tiff (Compression 2) is MH only');
    const order = opts.bitOrder ?? 'msb-first';
    if (order !== 'msb-first' && order !== 'lsb-first') invalid(`T4Encoder: unknown bit order ${String(order)}`);
    this.width = width;
    this.stride = (width + 7) >>> 3;
    this.coding = coding;
    this.k = k;
    this.minRowBits = minRowBits;
    this.alignEol = opts.alignEol ?? false;
    this.rtc = opts.rtc ?? true;
    this.leadingEol = opts.leadingEol ?? true;
    this.lsbFirst = order === 'lsb-first';
    this.rle = opts.tiff === true;
    this.cur = new Int32Array(width + 1 + SENTINELS);
    this.ref = new Int32Array(width + 1 + SENTINELS);
    this.ref.fill(width, 0, SENTINELS);
    this.out = buffer !== undefined && buffer.length >= 4096 ? buffer : new Uint8Array(Math.max(4096, this.stride * 32));
    this.outView = new DataView(this.out.buffer, this.out.byteOffset, this.out.byteLength);
  }

  /** @internal the output buffer (encodeT4 keeps it for the next page). */
  outputBuffer(): Uint8Array {
    return this.out;
  }

  /** Codes one row: `row` holds at least `stride` octets, MSB = leftmost pel, 1 = black. */
  encodeRow(row: Uint8Array): void {
    if (row.length < this.stride) invalid(`T4Encoder: row of ${row.length} octets, width ${this.width} needs ${this.stride}`);
    this.encodeRowAt(row, 0);
  }

  /** Codes the row at `data[offset .. offset + stride)` (no subarray needed). */
  encodeRowAt(data: Uint8Array, offset: number): void {
    if (this.finished) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'T4Encoder: encodeRow after finish');
    if (!Number.isInteger(offset) || offset < 0 || offset + this.stride > data.length) invalid(`T4Encoder: row offset ${offset} out of range`);
    if (data !== this.viewOf) {
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      this.words = new Int32Array(data.buffer, 0, data.buffer.byteLength >>> 2);
      this.viewOf = data;
    }
    this.codeRow(rowChanges(data, this.view, offset, this.width, this.stride, this.cur, this.words));
  }

  /**
   * Codes one row given as its `n` changing elements (T.4 §4.2.1.2, changes.ts): `changes[0 …
   * n)` strictly increasing, each in 0 … width − 1; an element at even index turns the row
   * black, at odd index white (the pel left of the row is white). The same code as
   * `encodeRowAt` of the packed row they describe — for a producer that has the row as runs
   * already (a threshold that finds the edges as it goes), which spares packing it into bits
   * and scanning them again. Throws FAXWIRE_ERR_INVALID_ARGUMENT for a list that is not one.
   */
  encodeChanges(changes: Int32Array, n: number): void {
    if (this.finished) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'T4Encoder: encodeChanges after finish');
    const w = this.width;
    if (!Number.isInteger(n) || n < 0 || n > w || n > changes.length) invalid(`T4Encoder: ${n} changing elements (width ${w}, list of ${changes.length})`);
    const cur = this.cur;
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const x = changes[i]!;
      if (x <= prev || x >= w) invalid(`T4Encoder: changing element ${i} at ${x} (after ${prev}, width ${w})`);
      cur[i] = x;
      prev = x;
    }
    for (let s = 0; s < SENTINELS; s++) cur[n + s] = w;
    this.codeRow(n);
  }

  /** Codes the row whose `nc` changing elements (and sentinels) are in `this.cur`. */
  private codeRow(nc: number): void {
    const oneD = this.coding === 'mh' || (this.coding === 'mr' && this.rows % this.k === 0);
    // Worst case: every changing element in horizontal mode with two 25-bit runs, plus the pass
    // modes the reference line can force, plus EOL + fill.
    this.ensure(((nc + this.refN + 8) * 56 + ((this.width / MAX_MAKEUP) | 0) * 24 + this.minRowBits + 64) >>> 3);
    if (!this.rle && this.coding !== 'mmr' && (this.rows > 0 || this.leadingEol)) {
      this.writeEol(this.rows > 0, this.coding === 'mr' ? (oneD ? 1 : 0) : -1);
    }
    if (oneD) {
      this.encode1D(nc);
      this.rows1D++;
    } else {
      this.encode2D();
      this.rows2D++;
    }
    if (this.rle && (this.nacc & 7) !== 0) this.put(0, 8 - (this.nacc & 7));
    const t = this.ref;
    this.ref = this.cur;
    this.cur = t;
    this.refN = nc;
    this.rows++;
  }

  /** The whole octets coded so far and not yet taken (a new array). */
  take(): Uint8Array {
    this.flushOctets();
    const r = this.out.slice(0, this.pos);
    if (this.lsbFirst) for (let i = 0; i < r.length; i++) r[i] = REVERSE_BITS[r[i]!]!;
    this.taken += this.pos;
    this.pos = 0;
    return r;
  }

  /** Appends RTC / EOFB (unless `rtc: false`) and the last partial octet; returns what was not taken yet. */
  finish(): Uint8Array {
    if (!this.finished) {
      this.ensure(((this.minRowBits + 6 * 32 + 64) >>> 3) + 16);
      if (!this.rle && this.rtc) {
        if (this.coding === 'mmr') {
          this.put(EOL, EOL_LEN);
          this.put(EOL, EOL_LEN);
          this.eols += 2;
        } else {
          // RTC: six EOLs (T.4 §4.1.4), each followed by tag 1 in MR (T.4 §4.2.4); the first
          // one terminates the last line and carries its fill.
          for (let i = 0; i < 6; i++) this.writeEol(i === 0 && this.rows > 0, this.coding === 'mr' ? 1 : -1);
        }
      }
      if ((this.nacc & 7) !== 0) this.put(0, 8 - (this.nacc & 7));
      this.finished = true;
    }
    return this.take();
  }

  getStats(): T4EncoderStats {
    return {
      rows: this.rows,
      bytes: this.taken + this.pos + (this.nacc >>> 3),
      bits: this.bitPosition(),
      rows1D: this.rows1D,
      rows2D: this.rows2D,
      fillBits: this.fillBits,
      eols: this.eols,
    };
  }

  // --- bit output ------------------------------------------------------------------------------

  /** Room for `bytes` more octets (plus a word of slack for put()'s word stores). */
  private ensure(bytes: number): void {
    if (this.pos + bytes + 8 <= this.out.length) return;
    const n = new Uint8Array(Math.max(this.out.length * 2, this.pos + bytes + 8));
    n.set(this.out.subarray(0, this.pos));
    this.out = n;
    this.outView = new DataView(n.buffer);
  }

  /** Appends the `len` (1..25) low bits of `code`. Capacity must have been ensured. */
  private put(code: number, len: number): void {
    const t = this.nacc + len;
    if (t < 32) {
      this.acc = (this.acc << len) | code;
      this.nacc = t;
    } else {
      // 32 bits complete: the nacc pending ones (nacc ≥ 7 here, so the shift is < 32) and the
      // first 32 − nacc of the code; the code's last t − 32 bits stay pending.
      this.outView.setInt32(this.pos, (this.acc << (32 - this.nacc)) | (code >>> (t - 32)));
      this.pos += 4;
      this.acc = code;
      this.nacc = t - 32;
    }
  }

  /** Moves the whole octets of the pending bits into `out` (before handing octets out). */
  private flushOctets(): void {
    while (this.nacc >= 8) {
      this.nacc -= 8;
      this.out[this.pos++] = this.acc >>> this.nacc;
    }
  }

  private bitPosition(): number {
    return (this.taken + this.pos) * 8 + this.nacc;
  }

  /**
   * Fill + EOL (+ tag bit when tag ≥ 0). `afterRow`: this EOL ends a coded line, whose
   * EOL-to-EOL length is padded to minRowBits (T.4 §4.1.3). Then, with alignEol, more fill so the
   * EOL ends on an octet boundary (octet-aligned position ⇔ nacc = 0).
   */
  private writeEol(afterRow: boolean, tag: number): void {
    let fill = 0;
    if (afterRow && this.minRowBits > 0) {
      fill = Math.max(0, this.minRowBits - (this.bitPosition() - this.lastEolEnd) - EOL_LEN);
      this.ensure((fill >>> 3) + 8);
    }
    if (this.alignEol) fill += (8 - ((this.nacc + fill + EOL_LEN) & 7)) & 7;
    this.fillBits += fill;
    while (fill > 0) {
      const n = fill > 24 ? 24 : fill;
      this.put(0, n);
      fill -= n;
    }
    this.put(EOL, EOL_LEN);
    this.eols++;
    this.lastEolEnd = this.bitPosition();
    if (tag >= 0) this.put(tag, 1);
  }

  // --- line coding -----------------------------------------------------------------------------

  /*
   * The line coders keep the bit accumulator in locals; "put(code, len)" is written out in place:
   *
   *   t = nb + len;
   *   if (t < 32) { acc = (acc << len) | code; nb = t; }
   *   else { view.setInt32(pos, (acc << (32 − nb)) | (code >>> (t − 32))); pos += 4; acc = code; nb = t − 32; }
   */

  /**
   * One-dimensional line (T.4 §4.1.1): alternate white/black runs, starting white — written as a
   * loop over white+black pairs, so the colour is known at each put and each run is one lookup
   * in WHITE_RUN / BLACK_RUN (code and length in one entry).
   */
  private encode1D(nc: number): void {
    const cur = this.cur;
    const view = this.outView;
    const WR = WHITE_RUN;
    const BR = BLACK_RUN;
    let pos = this.pos;
    let acc = this.acc;
    let nb = this.nacc;
    let prev = 0;
    let i = 0;
    for (;;) {
      for (let black = 0; black < 2; black++) {
        const x = cur[i]!; // cur[nc] is the sentinel = width
        let r = x - prev;
        prev = x;
        while (r >= MAKEUP_MAX) {
          const t = nb + MAKEUP_2560_BITS;
          if (t < 32) {
            acc = (acc << MAKEUP_2560_BITS) | MAKEUP_2560;
            nb = t;
          } else {
            view.setInt32(pos, (acc << (32 - nb)) | (MAKEUP_2560 >>> (t - 32)));
            pos += 4;
            acc = MAKEUP_2560;
            nb = t - 32;
          }
          r -= MAKEUP_MAX;
        }
        const e = black === 0 ? WR[r]! : BR[r]!;
        const code = e >>> 5;
        const len = e & 31;
        const t = nb + len;
        if (t < 32) {
          acc = (acc << len) | code;
          nb = t;
        } else {
          view.setInt32(pos, (acc << (32 - nb)) | (code >>> (t - 32)));
          pos += 4;
          acc = code;
          nb = t - 32;
        }
        if (i === nc) {
          this.pos = pos;
          this.acc = acc;
          this.nacc = nb;
          return;
        }
        i++;
      }
    }
  }

  /** Two-dimensional line (T.4 §4.2.1.3, T.6 §2.2) against `this.ref`. */
  private encode2D(): void {
    const W = this.width;
    const cur = this.cur;
    const ref = this.ref;
    const view = this.outView;
    let pos = this.pos;
    let acc = this.acc;
    let nb = this.nacc;
    let a0 = -1; // the imaginary white element before the line
    let c = 0; // colour of a0: 0 white, 1 black
    let ia = 0; // cur[ia] = a1, the first changing element right of a0
    let j = 0; // ref[j] = the first reference changing element right of a0
    while (a0 < W) {
      while (ref[j]! <= a0) j++;
      // b1 has the colour opposite to a0's: even index (turns black) when a0 is white.
      const bi = j + ((j ^ c) & 1);
      const b1 = ref[bi]!;
      const b2 = ref[bi + 1]!;
      const a1 = cur[ia]!;
      let code: number;
      let len: number;
      if (b2 < a1) {
        code = PASS;
        len = PASS_BITS;
        a0 = b2;
      } else {
        const d = a1 - b1 + 3;
        if (d >= 0 && d <= 6) {
          const v = VERTICAL[d]!;
          code = v >>> 5;
          len = v & 31;
          a0 = a1;
          ia++;
          c ^= 1;
        } else {
          // Horizontal mode: H, then runs a0a1 (colour of a0) and a1a2; at the line start a0a1
          // counts from pel 0. Written here as three puts: H, run 1 (with any make-ups), run 2.
          const a2 = cur[ia + 1]!;
          let t = nb + HORIZ_BITS;
          if (t < 32) {
            acc = (acc << HORIZ_BITS) | HORIZ;
            nb = t;
          } else {
            view.setInt32(pos, (acc << (32 - nb)) | (HORIZ >>> (t - 32)));
            pos += 4;
            acc = HORIZ;
            nb = t - 32;
          }
          for (let h = 0; h < 2; h++) {
            let r = h === 0 ? a1 - (a0 < 0 ? 0 : a0) : a2 - a1;
            while (r >= MAKEUP_MAX) {
              t = nb + MAKEUP_2560_BITS;
              if (t < 32) {
                acc = (acc << MAKEUP_2560_BITS) | MAKEUP_2560;
                nb = t;
              } else {
                view.setInt32(pos, (acc << (32 - nb)) | (MAKEUP_2560 >>> (t - 32)));
                pos += 4;
                acc = MAKEUP_2560;
                nb = t - 32;
              }
              r -= MAKEUP_MAX;
            }
            const re = (c ^ h) === 0 ? WHITE_RUN[r]! : BLACK_RUN[r]!;
            const rc = re >>> 5;
            const rl = re & 31;
            t = nb + rl;
            if (t < 32) {
              acc = (acc << rl) | rc;
              nb = t;
            } else {
              view.setInt32(pos, (acc << (32 - nb)) | (rc >>> (t - 32)));
              pos += 4;
              acc = rc;
              nb = t - 32;
            }
          }
          a0 = a2;
          ia += 2;
          continue;
        }
      }
      const t = nb + len;
      if (t < 32) {
        acc = (acc << len) | code;
        nb = t;
      } else {
        view.setInt32(pos, (acc << (32 - nb)) | (code >>> (t - 32)));
        pos += 4;
        acc = code;
        nb = t - 32;
      }
    }
    this.pos = pos;
    this.acc = acc;
    this.nacc = nb;
  }
}

/**
 * encodeT4's output buffer, reused from page to page (growing a fresh one page after page costs
 * more than coding); each result is copied out of it at its exact size. Not kept above 8 MiB.
 */
let scratch: Uint8Array | undefined;
/** encodeT4Rows' list of changing elements, reused likewise. */
let changesScratch: Int32Array | undefined;

/**
 * A bilevel image given row by row as changing elements (T.4 §4.2.1.2) instead of packed bits:
 * `changesAt(y, out)` writes row y's into `out` (room for width + 1 + SENTINELS values) as
 * `T4Encoder.encodeChanges` takes them and returns their count.
 */
export interface RowChangesSource {
  readonly width: number;
  readonly height: number;
  changesAt(y: number, out: Int32Array): number;
}

/**
 * Codes rows `y0 … y0 + rows − 1` of `source` as `encodeT4` codes them from packed bits
 * (octet for octet the same stream for the same image); returns a new array.
 */
export function encodeT4Rows(source: RowChangesSource, opts: T4EncodeOptions, y0 = 0, rows = source.height - y0): Uint8Array {
  const { width, height } = source;
  if (!Number.isInteger(height) || height < 0) invalid(`T4Encoder: height ${height}`);
  if (!Number.isInteger(y0) || !Number.isInteger(rows) || y0 < 0 || rows < 0 || y0 + rows > height) invalid(`T4Encoder: rows ${y0} + ${rows} of ${height}`);
  const enc = new T4Encoder(width, opts, scratch);
  scratch = undefined;
  // The row list, reused from call to call as the output buffer is.
  const changes = changesScratch !== undefined && changesScratch.length >= width + 1 + SENTINELS ? changesScratch : new Int32Array(width + 1 + SENTINELS);
  changesScratch = undefined;
  for (let y = y0; y < y0 + rows; y++) enc.encodeChanges(changes, source.changesAt(y, changes));
  const r = enc.finish();
  const buf = enc.outputBuffer();
  if (buf.length <= 8 << 20) scratch = buf;
  changesScratch = changes;
  return r;
}

/** Codes a whole page; returns a new array. */
export function encodeT4(bitmap: Bitmap, opts: T4EncodeOptions): Uint8Array {
  const { width, height, stride, data } = bitmap;
  if (!Number.isInteger(height) || height < 0) invalid(`T4Encoder: height ${height}`);
  if (stride < (width + 7) >>> 3) invalid(`T4Encoder: stride ${stride} too small for width ${width}`);
  if (data.length < height * stride) invalid(`T4Encoder: bitmap data holds ${data.length} octets, ${height} × ${stride} needed`);
  const enc = new T4Encoder(width, opts, scratch);
  scratch = undefined; // not shared while in use (an exception must not leave it half-used)
  for (let y = 0; y < height; y++) enc.encodeRowAt(data, y * stride);
  const r = enc.finish();
  const buf = enc.outputBuffer();
  if (buf.length <= 8 << 20) scratch = buf;
  return r;
}
