/**
 * T.4/T.6 decoder: coded bytes in (in chunks of any size), packed rows out, tolerant the way a
 * fax receiver is.
 *
 * MH and MR (T.4 §4.1, §4.2) carry an EOL after every line, which is what makes recovery
 * possible: a line that does not decode — an invalid code word, runs adding up to more than the
 * width, an EOL before the line is complete, or bits other than fill between a complete line
 * and its EOL — is *concealed*: replaced by the previous row and counted (`badRows`,
 * `longestBadRun`, the figures T.30 copy-quality checking works from), and decoding resumes at
 * the next EOL (eleven 0 bits then a 1, which no sequence of code words contains). In MR, the
 * 2-D lines after a bad line are concealed too up to the next 1-D line: their reference line is
 * lost. MMR (T.6) has no EOLs, so an error ends the page (`cut-short`) with the rows decoded so
 * far; so does TIFF Compression 2, which has no EOLs either.
 *
 * The page ends at RTC (T.4 §4.1.4: six consecutive EOLs; when the data ends after two or more,
 * that is taken as a damaged RTC), at EOFB (T.6 §2.4.1.1: EOL EOL), at `maxRows`, or when the
 * data ends (`cut-short`). Decoding never throws on bad data.
 *
 * Bit reader: the next bits of the stream are held left-aligned in a 32-bit accumulator, so
 * the next 12/13/7 bits are simply `acc >>> 20 / 19 / 25` and index a table (tables.ts) that
 * gives the whole code word; refilled two octets at a time, zeros past the end of the data. A
 * line is decoded from the octets received so far; if it runs past their end, the decoder backs
 * up to the line start and waits for more (push) or reports the page cut short (finish). When
 * streaming, a line is not even tried before a 0 octet (part of the EOL after it) has arrived.
 *
 * Speed (the hot loops allocate nothing; rows go straight into the page buffer): a line is
 * decoded into its changing elements (changes.ts), which also serve as the next reference line;
 * then written 32 pels at a time, or copied when it equals the line above and has more than a
 * few black spans. Fast paths: an all-white 1-D line is one code word; every 2-D code goes
 * through one mode-table lookup, with the vertical modes sharing one path (special paths for V0
 * and V±1 mispredicted more than they saved); the EOL right after a line is consumed in the line
 * decoder. Measured against libtiff in bench/t4.ts.
 *
 * ```
 *   acc (32 bits):  | next bit ... | ... (nb valid bits) | 0 ... 0 |
 *                    31                                   32-nb
 *   consumed bits of `data` = pos * 8 − nb
 * ```
 */

import type { Bitmap } from './bitmap.js';
import { FaxwireError } from '../util/errors.js';
import { invalid } from '../util/check.js';
import { fillRow, SENTINELS } from './changes.js';
import {
  BLACK_RUNS,
  K_EOL,
  K_MASK,
  K_TERM,
  M_EOL,
  M_EXTENSION,
  M_HORIZONTAL,
  M_PASS,
  M_VERTICAL,
  MAX_MAKEUP,
  MODE_DECODE,
  REVERSE_BITS,
  WHITE_RUNS,
  WHITE_RUN_CODE,
  WHITE_RUN_LEN,
} from './tables.js';
import {
  DEFAULT_MAX_ROWS,
  MAX_WIDTH,
  type T4Coding,
  type T4DecodeError,
  type T4DecodeOptions,
  type T4DecodeResult,
  type T4End,
  type T4ErrorCode,
} from './types.js';

// Module-local copies of the table constants the hot loops compare with: V8 folds a module's own
// constants into the compiled code, but loads (and checks) imported bindings each time.
const MODE_PASS_FIRST = M_PASS << 8;
const MODE_HORIZONTAL_FIRST = M_HORIZONTAL << 8;
const MODE_EXTENSION_FIRST = M_EXTENSION << 8;
const MODE_EOL_FIRST = M_EOL << 8;
if (SENTINELS !== 4) throw new Error('t4 decoder: the line decoders write exactly four sentinels');
if (!(M_VERTICAL < M_PASS && M_PASS < M_HORIZONTAL && M_HORIZONTAL < M_EXTENSION && M_EXTENSION < M_EOL)) {
  throw new Error('t4 decoder: the mode kinds are compared by order');
}
const RUN_KIND_MASK = K_MASK;
const RUN_TERM = K_TERM;
const RUN_EOL = K_EOL;
const RUN_EOL_BIT = K_EOL;

// Line decode status.
const OK = 0;
/** OK, and the line's EOL (+ MR tag bit) that followed at once was consumed too. */
const OK_EOL = 6;
const E_INVALID = 1;
const E_EOL = 2;
const E_LONG = 3;
const E_EXT = 4;
const E_LEFT = 5;

// What the decoder is doing between calls (MH/MR).
/** Between lines: skipping fill, counting EOLs, or finding where a line starts. */
const P_SYNC = 0;
/** A line decoded completely; it is accepted once fill + EOL (or the end of data) follows. */
const P_TRAIL = 1;
/** After a bad line: skipping everything up to the next EOL. */
const P_RESYNC = 2;

// scanEol results.
const S_EOL = 0;
const S_DATA = 1;
const S_NEED = 2;

const EMPTY = new Uint8Array(0);
/** Rows with more changing elements than this are copied from the row above when equal to it. */
const COPY_MIN_CHANGES = 8;

export interface T4DecoderStats {
  readonly rows: number;
  readonly badRows: number;
  readonly longestBadRun: number;
  /** EOLs seen (including RTC / EOFB). */
  readonly eols: number;
  /** Fill bits skipped before EOLs. */
  readonly fillBits: number;
  /** Octets pushed. */
  readonly bytes: number;
  /** Bad rows by cause (first cause of each). */
  readonly errors: Readonly<Partial<Record<T4ErrorCode, number>>>;
  readonly end: T4End | 'in-progress';
}

const MESSAGES: Record<T4ErrorCode, string> = {
  'invalid-code': 'no code word matches the bits',
  'premature-eol': 'EOL before the end of the line',
  'row-too-long': 'runs go past the end of the line',
  'data-after-row': 'a complete line is followed by bits that are not fill + EOL',
  'extension-code': '2-D extension (uncompressed mode) is not supported',
  'lost-reference': '2-D line whose reference line was lost',
  'unexpected-eol': 'EOL inside an MMR page (not EOFB)',
  truncated: 'the data ends inside a line',
};

export class T4Decoder {
  readonly width: number;
  readonly stride: number;
  readonly coding: T4Coding;
  private readonly mr: boolean;
  private readonly mmr: boolean;
  private readonly rle: boolean;
  private readonly lsbFirst: boolean;
  private readonly maxRows: number;
  /** MH/MR: lines end with EOL (+ tag bit in MR): the bits a line decoder checks for after it. */
  private readonly eolBits: number;
  /** The code of an all-white line (white run = width), when shorter than 2560 pels; else 0. */
  private readonly blankCode: number;
  private readonly blankLen: number;

  // Input: `data[0 .. end)`, data[0] being octet `base` of the stream.
  private data: Uint8Array = EMPTY;
  private end = 0;
  private base = 0;
  /** `data` is the caller's array (only during a push / decodeT4). */
  private borrowed = false;
  private own: Uint8Array = EMPTY;
  private pushed = 0;

  // Bit reader.
  private pos = 0;
  private acc = 0;
  private nb = 0;

  // MH/MR state.
  private phase = P_SYNC;
  private seenEol = false;
  /** Tag bit of the last EOL (MR): 1 = next line 1-D. */
  private tag = 1;
  private eolRun = 0;
  private refBad = false;
  private pending2D = false;
  private ended: T4End | undefined;

  // Rows.
  private out: Uint8Array;
  private outView: DataView;
  private capRows: number;
  /** Rows [0, zeroedRows) of `out` are zero or written (rows are zeroed in batches, ahead). */
  private zeroedRows = 0;
  private nRows = 0;
  private cur: Int32Array;
  private curN = 0;
  private ref: Int32Array;
  private refN = 0;

  // Statistics.
  private badRows = 0;
  private badRun = 0;
  private longestBadRun = 0;
  private eols = 0;
  private fillBits = 0;
  private errors: Partial<Record<T4ErrorCode, number>> = {};
  private firstError: T4DecodeError | undefined;
  private result: T4DecodeResult | undefined;

  /** `scratch`: decodeT4's reusable row buffer (used when opts.into is not given). */
  constructor(opts: T4DecodeOptions, scratch?: Uint8Array) {
    const { coding, width } = opts;
    if (coding !== 'mh' && coding !== 'mr' && coding !== 'mmr') invalid(`T4Decoder: unknown coding ${String(coding)}`);
    if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) invalid(`T4Decoder: width ${width} out of range 1..${MAX_WIDTH}`);
    const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
    if (!Number.isInteger(maxRows) || maxRows < 0) invalid(`T4Decoder: maxRows ${maxRows}`);
    if (opts.tiff === true && coding !== 'mh') invalid('T4Decoder: tiff (Compression 2) is MH only');
    const order = opts.bitOrder ?? 'msb-first';
    if (order !== 'msb-first' && order !== 'lsb-first') invalid(`T4Decoder: unknown bit order ${String(order)}`);
    this.width = width;
    this.stride = (width + 7) >>> 3;
    this.coding = coding;
    this.mr = coding === 'mr';
    this.mmr = coding === 'mmr';
    this.rle = opts.tiff === true;
    this.lsbFirst = order === 'lsb-first';
    this.maxRows = maxRows;
    this.eolBits = this.mmr || this.rle ? 0 : this.mr ? 13 : 12;
    this.blankCode = width < MAX_MAKEUP ? WHITE_RUN_CODE[width]! : 0;
    this.blankLen = width < MAX_MAKEUP ? WHITE_RUN_LEN[width]! : 0;
    this.cur = new Int32Array(width + 1 + SENTINELS);
    this.ref = new Int32Array(width + 1 + SENTINELS);
    this.ref.fill(width, 0, SENTINELS);
    const into = opts.into ?? scratch;
    if (into !== undefined && into.length >= this.stride) {
      this.out = into;
      this.capRows = Math.floor(into.length / this.stride);
    } else {
      this.capRows = Math.max(1, Math.min(maxRows, 1024));
      this.out = new Uint8Array(this.capRows * this.stride);
      this.zeroedRows = this.capRows;
    }
    this.outView = new DataView(this.out.buffer, this.out.byteOffset, this.out.byteLength);
    if (maxRows === 0) this.ended = 'row-limit';
    if (opts.skipToFirstEol === true && !this.mmr && !this.rle) this.phase = P_RESYNC;
  }

  /**
   * Feeds the next octets of the stream; decodes every line they complete. Returns how many rows
   * were added (see `rowsDecoded`, `getRow`). Octets after the page end are ignored.
   */
  push(bytes: Uint8Array): number {
    if (this.result !== undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'T4Decoder: push after finish');
    const before = this.nRows;
    this.pushed += bytes.length;
    if (this.ended !== undefined || bytes.length === 0) return 0;
    this.append(bytes);
    this.run(false);
    this.keepPending();
    return this.nRows - before;
  }

  /** Decodes what remains as the end of the page and returns the page. Idempotent. */
  finish(): T4DecodeResult {
    if (this.result === undefined) {
      this.run(true);
      this.result = this.makeResult();
    }
    return this.result;
  }

  /** @internal decodeT4: the whole page in one array, decoded without copying it. */
  decodeAll(bytes: Uint8Array): T4DecodeResult {
    this.pushed += bytes.length;
    if (this.ended === undefined && bytes.length > 0) this.append(bytes);
    this.run(true);
    this.borrowed = false;
    this.data = EMPTY;
    this.end = 0;
    this.result = this.makeResult();
    return this.result;
  }

  /** @internal the buffer the rows are in (decodeT4 keeps it for the next page). */
  rowBuffer(): Uint8Array {
    return this.out;
  }

  get rowsDecoded(): number {
    return this.nRows;
  }

  /** True once the page end (RTC, EOFB, row limit, or an unrecoverable MMR error) was met. */
  get pageEnded(): boolean {
    return this.ended !== undefined;
  }

  /** Row `i` (a view into the decoder's page buffer, valid until more rows are decoded). */
  getRow(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.nRows) throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `T4Decoder: no row ${i}`);
    return this.out.subarray(i * this.stride, (i + 1) * this.stride);
  }

  getStats(): T4DecoderStats {
    return {
      rows: this.nRows,
      badRows: this.badRows,
      longestBadRun: this.longestBadRun,
      eols: this.eols,
      fillBits: this.fillBits,
      bytes: this.pushed,
      errors: { ...this.errors },
      end: this.ended ?? 'in-progress',
    };
  }

  private makeResult(): T4DecodeResult {
    const bitmap: Bitmap = {
      width: this.width,
      height: this.nRows,
      stride: this.stride,
      data: this.out.subarray(0, this.nRows * this.stride),
    };
    const r = {
      bitmap,
      rows: this.nRows,
      badRows: this.badRows,
      longestBadRun: this.longestBadRun,
      end: this.ended ?? 'cut-short',
    };
    return this.firstError !== undefined ? { ...r, firstError: this.firstError } : r;
  }

  // --- input buffering -------------------------------------------------------------------------

  private bitPos(): number {
    return this.pos * 8 - this.nb;
  }

  private append(bytes: Uint8Array): void {
    const bit = this.bitPos();
    const keep = bit >>> 3;
    const rest = this.end - keep;
    if (rest <= 0 && !this.lsbFirst) {
      this.base += this.end;
      this.data = bytes;
      this.end = bytes.length;
      this.borrowed = true;
      this.seek(0);
      return;
    }
    const need = Math.max(rest, 0) + bytes.length;
    if (this.own.length < need) {
      const n = new Uint8Array(Math.max(need, this.own.length * 2, 256));
      if (rest > 0) n.set(this.data.subarray(keep, this.end));
      this.own = n;
    } else if (rest > 0) {
      this.own.copyWithin(0, keep, this.end); // data is own (a borrowed array never stays pending)
    }
    const o = this.own;
    const at = Math.max(rest, 0);
    if (this.lsbFirst) for (let i = 0; i < bytes.length; i++) o[at + i] = REVERSE_BITS[bytes[i]!]!;
    else o.set(bytes, at);
    this.base += keep;
    this.data = o;
    this.end = need;
    this.borrowed = false;
    this.seek(bit - keep * 8);
  }

  /** After a push: the unconsumed octets move out of the caller's array. */
  private keepPending(): void {
    if (!this.borrowed) return;
    const bit = this.bitPos();
    const keep = Math.min(bit >>> 3, this.end);
    const rest = this.end - keep;
    if (this.own.length < rest) this.own = new Uint8Array(Math.max(rest, 256));
    this.own.set(this.data.subarray(keep, this.end));
    this.base += keep;
    this.data = this.own;
    this.end = rest;
    this.borrowed = false;
    this.seek(bit - keep * 8);
  }

  private seek(bit: number): void {
    this.pos = bit >>> 3;
    this.acc = 0;
    this.nb = 0;
    this.refill();
    this.skip(bit & 7);
  }

  private refill(): void {
    const data = this.data;
    const end = this.end;
    while (this.nb <= 24) {
      this.acc |= (this.pos < end ? data[this.pos]! : 0) << (24 - this.nb);
      this.pos++;
      this.nb += 8;
    }
  }

  private skip(n: number): void {
    this.acc = n >= 32 ? 0 : this.acc << n;
    this.nb -= n;
  }

  // --- the state machine -----------------------------------------------------------------------

  private run(final: boolean): void {
    while (this.ended === undefined && this.step(final));
  }

  /** One unit of work; false when more data is needed (or the page ended). */
  private step(final: boolean): boolean {
    if (this.mmr || this.rle) return this.stepNoEol(final);
    switch (this.phase) {
      case P_SYNC:
        return this.stepSync(final);
      case P_TRAIL: {
        const s = this.scanEol(false);
        if (s === S_NEED) {
          if (final) {
            this.goodRow();
            this.stop('cut-short');
          }
          return false;
        }
        if (s === S_EOL) {
          this.goodRow();
          this.eolRun = 1;
          this.phase = P_SYNC;
          return true;
        }
        this.badRow('data-after-row', this.bitPos());
        this.phase = P_RESYNC;
        return true;
      }
      case P_RESYNC: {
        const s = this.scanEol(true);
        if (s === S_NEED) {
          if (final) this.stop('cut-short');
          return false;
        }
        this.eolRun = 1;
        this.phase = P_SYNC;
        return true;
      }
      default:
        return false;
    }
  }

  private stepSync(final: boolean): boolean {
    // Fast path: a 1 among the next 11 bits means line data starts here (an EOL needs 11 zeros;
    // bits past the end of the data read as 0, so a 1 is always a real bit).
    const s = this.acc >>> 21 !== 0 ? S_DATA : this.scanEol(false);
    if (s === S_NEED) {
      if (final) this.stop(this.eolRun >= 2 ? 'rtc' : 'cut-short');
      return false;
    }
    if (s === S_EOL) {
      if (++this.eolRun >= 6) this.stop('rtc');
      return true;
    }
    // A line starts here.
    const start = this.bitPos();
    const zero = final ? 0 : this.data.indexOf(0, (start >>> 3) + 1);
    if (zero < 0 || zero >= this.end) {
      // Streaming: the EOL after this line (eleven 0 bits: a whole 0 octet) has not arrived,
      // so the line cannot be accepted yet — wait rather than decode it twice.
      return false;
    }
    this.eolRun = 0;
    const twoD = this.mr && this.seenEol && this.tag === 0;
    if (twoD && this.refBad) {
      this.badRow('lost-reference', start);
      this.phase = P_RESYNC;
      return true;
    }
    const st = twoD ? this.decode2D() : this.decode1D();
    if (st === OK_EOL) {
      this.pending2D = twoD;
      this.eols++;
      this.seenEol = true;
      this.goodRow();
      this.eolRun = 1;
      return true;
    }
    const endBits = this.end * 8;
    if (this.bitPos() > endBits || (st !== OK && this.bitPos() + 12 > endBits)) {
      // The line runs past the data received so far (its end was decoded from the zeros read
      // past the end, or the code word in error is not all there).
      this.seek(start);
      if (final) {
        this.note('truncated', start);
        this.stop('cut-short');
      }
      return false;
    }
    if (st === OK) {
      // Fill (or the end of the data) after the line: P_TRAIL decides.
      this.pending2D = twoD;
      this.phase = P_TRAIL;
      return true;
    }
    this.badRow(this.statusCode(st), this.bitPos());
    // After a premature EOL, that EOL starts the next line; otherwise hunt for the next EOL.
    this.phase = st === E_EOL ? P_SYNC : P_RESYNC;
    return true;
  }

  /** MMR and TIFF RLE: lines back to back, no EOLs to resynchronise on. */
  private stepNoEol(final: boolean): boolean {
    const start = this.bitPos();
    const endBits = this.end * 8;
    if (start >= endBits) {
      if (final) this.stop('cut-short');
      return false;
    }
    const st = this.mmr ? this.decode2D() : this.decode1D();
    if (this.bitPos() > endBits) {
      this.seek(start);
      if (final) {
        this.note('truncated', start);
        this.stop('cut-short');
      }
      return false;
    }
    if (st === OK) {
      if (this.rle) this.skip(this.nb & 7); // next row starts on an octet boundary
      this.pending2D = this.mmr;
      this.goodRow();
      return true;
    }
    if (this.mmr && st === E_EOL && this.bitPos() === start) {
      // EOFB = EOL EOL (T.6 §2.4.1.1), possibly followed by pad bits.
      this.refill();
      if (start + 24 > endBits) {
        if (final) {
          this.note('truncated', start);
          this.stop('cut-short');
        }
        return false;
      }
      if (this.acc >>> 8 === 0x001001) {
        this.skip(24);
        this.eols += 2;
        this.stop('eofb');
        return false;
      }
      this.note('unexpected-eol', start);
      this.stop('cut-short');
      return false;
    }
    if (this.bitPos() + 12 > endBits) {
      // The code word in error is not all there: more data may complete the line.
      this.seek(start);
      if (final) {
        this.note('truncated', start);
        this.stop('cut-short');
      }
      return false;
    }
    this.note(this.statusCode(st), this.bitPos());
    this.stop('cut-short');
    return false;
  }

  private statusCode(st: number): T4ErrorCode {
    switch (st) {
      case E_EOL:
        return this.mmr ? 'unexpected-eol' : 'premature-eol';
      case E_LONG:
        return 'row-too-long';
      case E_EXT:
        return 'extension-code';
      default:
        return 'invalid-code';
    }
  }

  /**
   * Skips fill (0 bits) and consumes an EOL (+ MR tag bit) if one comes: S_EOL. If a 1 bit comes
   * after fewer than 11 zeros, that is line data: S_DATA, nothing consumed — or, when `skipData`
   * (resynchronising), those bits are skipped and the search goes on. S_NEED when the data ends
   * first; the last 11 zeros are left unconsumed so an EOL split across pushes is still found.
   */
  private scanEol(skipData: boolean): number {
    const endBits = this.end * 8;
    let zeros = 0;
    for (;;) {
      this.refill();
      const at = this.bitPos();
      const real = endBits - at;
      if (real <= 0) {
        if (zeros > 0) this.seek(at - Math.min(zeros, 11));
        return S_NEED;
      }
      if (this.acc === 0) {
        const k = Math.min(this.nb, real);
        this.skip(k);
        zeros += k;
        continue;
      }
      const z = Math.clz32(this.acc); // the 1 is a real bit: padding is zeros
      if (zeros + z >= 11) {
        if (this.mr && real < z + 2) {
          // The tag bit has not arrived yet.
          this.seek(at - Math.min(zeros, 11));
          return S_NEED;
        }
        this.skip(z + 1);
        if (this.mr) {
          this.refill(); // the EOL may have ended exactly at the end of the buffered bits
          this.tag = this.acc >>> 31;
          this.skip(1);
        }
        this.fillBits += zeros + z - 11;
        this.eols++;
        this.seenEol = true;
        return S_EOL;
      }
      if (!skipData) return S_DATA; // zeros === 0 here: a consumed all-zero window means ≥ 11 zeros
      this.skip(z + 1);
      zeros = 0;
    }
  }

  private stop(end: T4End): void {
    if (this.ended === undefined) this.ended = end;
  }

  private note(code: T4ErrorCode, bit: number): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    if (this.firstError === undefined) {
      this.firstError = { code, message: MESSAGES[code], offset: this.base + (bit >>> 3), row: this.nRows };
    }
  }

  // --- rows ------------------------------------------------------------------------------------

  private ensureRow(): void {
    if (this.nRows < this.capRows) return;
    const cap = Math.min(this.capRows * 2, Math.max(this.maxRows, 1));
    const n = new Uint8Array(cap * this.stride);
    n.set(this.out.subarray(0, this.nRows * this.stride));
    this.out = n;
    this.outView = new DataView(n.buffer);
    this.capRows = cap;
    this.zeroedRows = cap; // a new array is zero
  }

  /** Emits the line decoded into `cur`, which becomes the reference line. */
  private goodRow(): void {
    this.ensureRow();
    const n = this.curN;
    const off = this.nRows * this.stride;
    if (n > COPY_MIN_CHANGES && this.nRows > 0 && n === this.refN && sameChanges(this.cur, this.ref, n)) {
      // The same as the row above (which `ref` describes, even after a concealed row). A copy
      // (a call into the runtime, ~30 ns) only pays for rows of more than a few black spans.
      this.out.copyWithin(off, off - this.stride, off);
    } else {
      if (this.nRows >= this.zeroedRows) {
        // One fill call per 64 rows rather than per row (a reused buffer holds old pels).
        const upto = Math.min(this.capRows, this.nRows + 64);
        this.out.fill(0, off, upto * this.stride);
        this.zeroedRows = upto;
      }
      // (A blank row needs nothing more: its octets are zero already.)
      if (n > 0) fillRow(this.out, this.outView, off, this.stride, this.cur, n);
    }
    const t = this.ref;
    this.ref = this.cur;
    this.cur = t;
    this.refN = this.curN;
    if (!this.pending2D) this.refBad = false;
    this.nRows++;
    this.badRun = 0;
    if (this.nRows >= this.maxRows) this.stop('row-limit');
  }

  /** Conceals a line: a copy of the previous row (white for the first); the reference line stays. */
  private badRow(code: T4ErrorCode, bit: number): void {
    this.note(code, bit);
    this.ensureRow();
    const s = this.stride;
    const off = this.nRows * s;
    if (this.nRows > 0) this.out.copyWithin(off, off - s, off);
    else this.out.fill(0, 0, s);
    this.nRows++;
    this.badRows++;
    this.badRun++;
    if (this.badRun > this.longestBadRun) this.longestBadRun = this.badRun;
    this.refBad = true;
    if (this.nRows >= this.maxRows) this.stop('row-limit');
  }

  /**
   * The common end of both line decoders (once per line): stores the bit reader back and, for a
   * line decoded in full, its sentinels and count. Fast path: the line's EOL follows at once (no
   * fill), its MR tag bit too, all inside the data: it is consumed here (OK_EOL).
   */
  private endLine(status: number, pos: number, acc: number, nb: number, n: number): number {
    let st = status;
    if (st === OK && this.eolBits !== 0) {
      const data = this.data;
      const end = this.end;
      if (nb < 16) {
        do {
          acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
          pos++;
          nb += 8;
        } while (nb <= 24);
      }
      if (acc >>> 20 === 1 && pos * 8 - nb + this.eolBits <= end * 8) {
        acc <<= 12;
        nb -= 12;
        if (this.mr) {
          this.tag = acc >>> 31;
          acc <<= 1;
          nb--;
        }
        st = OK_EOL;
      }
    }
    this.pos = pos;
    this.acc = acc;
    this.nb = nb;
    if (st === OK || st === OK_EOL) {
      // The SENTINELS copies of the width after the list, written out (an imported constant in a
      // loop condition is re-loaded and checked at every iteration).
      const cur = this.cur;
      const W = this.width;
      cur[n] = W;
      cur[n + 1] = W;
      cur[n + 2] = W;
      cur[n + 3] = W;
      this.curN = n;
    }
    return st;
  }

  // --- line decoding (hot) ---------------------------------------------------------------------

  /*
   * The hot loops below share one pattern, written out in place (no calls):
   *
   *   refill:  if fewer than 16 bits are buffered, append the next two octets (one at a time,
   *            zeros past the end, near the end of the data) — then ≥ 16 bits ≥ any code word;
   *   lookup:  e = TABLE[acc >>> (32 − table bits)];
   *   consume: acc <<= e (the entry's low five bits are the code length); nb −= e & 15.
   */

  /** One-dimensional line (T.4 §4.1.1) into `cur`. */
  private decode1D(): number {
    const data = this.data;
    const end = this.end;
    const fast = end - 1;
    const W = this.width;
    const cur = this.cur;
    const WT = WHITE_RUNS;
    const BT = BLACK_RUNS;
    let pos = this.pos;
    let acc = this.acc;
    let nb = this.nb;
    let n = 0;
    let a0 = 0;
    let st = OK;
    // Fast path: an all-white line is one code (make-up + terminating, ≤ 25 bits).
    const blankLen = this.blankLen;
    if (blankLen !== 0) {
      if (nb < 25) {
        do {
          acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
          pos++;
          nb += 8;
        } while (nb <= 24);
      }
      if (acc >>> (32 - blankLen) === this.blankCode) {
        acc <<= blankLen;
        nb -= blankLen;
        a0 = W;
      }
    }
    if (a0 < W) line: for (;;) {
      // White run: usually one terminating code; else make-up codes first (kind bits 0x60).
      if (nb < 16) {
        if (pos < fast) {
          acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
          pos += 2;
          nb += 16;
        } else {
          do {
            acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
            pos++;
            nb += 8;
          } while (nb <= 24);
        }
      }
      let e = WT[acc >>> 20]!;
      acc <<= e;
      nb -= e & 15;
      let run = e >>> 7;
      while ((e & RUN_KIND_MASK) !== RUN_TERM) {
        if ((e & RUN_EOL_BIT) !== 0) {
          st = (e & RUN_KIND_MASK) === RUN_EOL ? E_EOL : E_INVALID;
          break line;
        }
        if (nb < 16) {
          if (pos < fast) {
            acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
            pos += 2;
            nb += 16;
          } else {
            do {
              acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
              pos++;
              nb += 8;
            } while (nb <= 24);
          }
        }
        e = WT[acc >>> 20]!;
        acc <<= e;
        nb -= e & 15;
        run += e >>> 7;
      }
      a0 += run;
      if (a0 >= W) {
        if (a0 > W) st = E_LONG;
        break;
      }
      if (run === 0 && n > 0 && cur[n - 1] === a0) n--;
      else cur[n++] = a0;
      // Black run.
      if (nb < 16) {
        if (pos < fast) {
          acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
          pos += 2;
          nb += 16;
        } else {
          do {
            acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
            pos++;
            nb += 8;
          } while (nb <= 24);
        }
      }
      e = BT[acc >>> 19]!;
      acc <<= e;
      nb -= e & 15;
      run = e >>> 7;
      while ((e & RUN_KIND_MASK) !== RUN_TERM) {
        if ((e & RUN_EOL_BIT) !== 0) {
          st = (e & RUN_KIND_MASK) === RUN_EOL ? E_EOL : E_INVALID;
          break line;
        }
        if (nb < 16) {
          if (pos < fast) {
            acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
            pos += 2;
            nb += 16;
          } else {
            do {
              acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
              pos++;
              nb += 8;
            } while (nb <= 24);
          }
        }
        e = BT[acc >>> 19]!;
        acc <<= e;
        nb -= e & 15;
        run += e >>> 7;
      }
      a0 += run;
      if (a0 >= W) {
        if (a0 > W) st = E_LONG;
        break;
      }
      if (run === 0 && n > 0 && cur[n - 1] === a0) n--;
      else cur[n++] = a0;
    }
    return this.endLine(st, pos, acc, nb, n);
  }

  /** Two-dimensional line (T.4 §4.2.1.3, T.6 §2.2) into `cur`, against `ref`. */
  private decode2D(): number {
    const data = this.data;
    const end = this.end;
    const fast = end - 1;
    const W = this.width;
    const cur = this.cur;
    const ref = this.ref;
    const MT = MODE_DECODE;
    const WT = WHITE_RUNS;
    const BT = BLACK_RUNS;
    let pos = this.pos;
    let acc = this.acc;
    let nb = this.nb;
    let n = 0;
    let a0 = -1; // imaginary white element before the line
    let c = 0; // colour of a0
    let j = 0; // first reference changing element right of a0
    let st = OK;
    while (a0 < W) {
      if (nb < 16) {
        if (pos < fast) {
          acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
          pos = (pos + 2) | 0;
          nb = (nb + 16) | 0;
        } else {
          do {
            acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
            pos = (pos + 1) | 0;
            nb = (nb + 8) | 0;
          } while (nb <= 24);
        }
      }
      // One table lookup decides the mode; the vertical modes (nine codes in ten on text) share
      // one branch-light path, V0 included: on a real page, separate fast paths for V0 and V±1
      // cost more in mispredicted branches than they save.
      const e = MT[acc >>> 25]!;
      if (e < MODE_PASS_FIRST) {
        // Vertical: a1 = b1 + (a1 − b1). b1 is the first reference element right of a0 of the
        // colour opposite to a0's: the first one right of a0 (j), or the next if j has a0's colour.
        acc <<= e;
        nb = (nb - (e & 15)) | 0;
        while (ref[j]! <= a0) j = (j + 1) | 0;
        const bi = (j + ((j ^ c) & 1)) | 0;
        const d = ((e >>> 5) & 7) - 3;
        const a1 = (ref[bi]! + d) | 0;
        // The first reference element right of a1 is bi + 1 after V0, bi + 1 or later after VR
        // (VL may leave one at j, before bi): starting the next search there spares it the
        // mispredicted iterations over elements already passed.
        if (d >= 0) j = (bi + 1) | 0;
        if (a1 < W && a1 > a0) {
          cur[n] = a1;
          n = (n + 1) | 0;
        } else {
          if (a1 > W) {
            st = E_LONG;
            break;
          }
          if (a1 < a0 || a1 < 0) {
            st = E_LEFT;
            break;
          }
          // a1 = a0 (an empty run, which cancels the change before it) or a1 = W (line end).
          if (a1 < W) {
            if (n > 0 && cur[n - 1] === a1) n = (n - 1) | 0;
            else {
              cur[n] = a1;
              n = (n + 1) | 0;
            }
          }
        }
        a0 = a1;
        c ^= 1;
        continue;
      }
      if (e < MODE_HORIZONTAL_FIRST) {
        // Pass: a0 moves under b2; the next reference element right of it is b2's successor.
        acc <<= 4;
        nb = (nb - 4) | 0;
        while (ref[j]! <= a0) j = (j + 1) | 0;
        const bi = (j + ((j ^ c) & 1)) | 0;
        a0 = ref[bi + 1]!;
        j = (bi + 2) | 0;
        continue;
      }
      if (e >= MODE_EXTENSION_FIRST) {
        // 0000000: a real EOL (or fill) only if eleven or more zeros come; fewer is no code.
        st = e >= MODE_EOL_FIRST ? (acc >>> 20 <= 1 ? E_EOL : E_INVALID) : E_EXT;
        break;
      }
      // Horizontal: runs a0a1 (colour c) and a1a2 (the other colour), each make-up codes + a
      // terminating one.
      acc <<= 3;
      nb = (nb - 3) | 0;
      let a1 = a0 < 0 ? 0 : a0;
      let a2 = 0;
      for (let h = 0; h < 2; h++) {
        const black = (c ^ h) === 1;
        const table = black ? BT : WT;
        const shift = black ? 19 : 20;
        if (nb < 16) {
          if (pos < fast) {
            acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
            pos = (pos + 2) | 0;
            nb = (nb + 16) | 0;
          } else {
            do {
              acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
              pos = (pos + 1) | 0;
              nb = (nb + 8) | 0;
            } while (nb <= 24);
          }
        }
        let x = table[acc >>> shift]!;
        acc <<= x;
        nb = (nb - (x & 15)) | 0;
        let run = x >>> 7;
        while ((x & RUN_KIND_MASK) !== RUN_TERM) {
          if ((x & RUN_EOL_BIT) !== 0) {
            st = (x & RUN_KIND_MASK) === RUN_EOL ? E_EOL : E_INVALID;
            break;
          }
          if (nb < 16) {
            if (pos < fast) {
              acc |= ((data[pos]! << 8) | data[pos + 1]!) << (16 - nb);
              pos = (pos + 2) | 0;
              nb = (nb + 16) | 0;
            } else {
              do {
                acc |= (pos < end ? data[pos]! : 0) << (24 - nb);
                pos = (pos + 1) | 0;
                nb = (nb + 8) | 0;
              } while (nb <= 24);
            }
          }
          x = table[acc >>> shift]!;
          acc <<= x;
          nb = (nb - (x & 15)) | 0;
          run = (run + (x >>> 7)) | 0;
        }
        if (st !== OK) break;
        if (h === 0) a1 = (a1 + run) | 0;
        else a2 = (a1 + run) | 0;
      }
      if (st !== OK) break;
      if (a2 > W) {
        st = E_LONG;
        break;
      }
      if (a1 < W) {
        if (n > 0 && cur[n - 1] === a1) n--;
        else cur[n++] = a1;
      }
      if (a2 < W) {
        if (a2 === a1 && n > 0 && cur[n - 1] === a2) n--;
        else cur[n++] = a2;
      }
      a0 = a2;
    }
    return this.endLine(st, pos, acc, nb, n);
  }
}

function sameChanges(a: Int32Array, b: Int32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * decodeT4's row buffer, reused from call to call (a fresh page-sized allocation costs more than
 * decoding a page: the kernel zeroes it page by page); the result is copied out of it once, at
 * its exact size. Not kept above SCRATCH_MAX octets.
 */
let scratch: Uint8Array | undefined;
const SCRATCH_MAX = 8 << 20;

/**
 * Decodes a whole page; never throws on bad data (only on bad options). The bitmap is a new
 * array, or a view of `opts.into` when given (and large enough).
 */
export function decodeT4(data: Uint8Array, opts: T4DecodeOptions): T4DecodeResult {
  if (opts.into !== undefined) return new T4Decoder(opts).decodeAll(data);
  const dec = new T4Decoder(opts, scratch);
  scratch = undefined;
  const r = dec.decodeAll(data);
  const buf = dec.rowBuffer();
  if (buf.length <= SCRATCH_MAX) scratch = buf;
  return { ...r, bitmap: { ...r.bitmap, data: r.bitmap.data.slice() } };
}
