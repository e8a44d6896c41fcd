/**
 * TIFF writer for fax pages — TIFF Class F (RFC 2306 §3; TIFF 6.0 §11 for the CCITT fields):
 * one IFD per page, chained, each IFD placed before its page's data (so a reader can stream),
 * bilevel min-is-white (PhotometricInterpretation 0), compression 3 (T.4 MH or MR, T4Options),
 * 4 (T.6 MMR), 2 (MH run lengths, rows octet-aligned), uncompressed or PackBits; FillOrder 1 or 2;
 * one strip per page or RowsPerStrip rows per strip (each strip coded on its own, as TIFF 6.0
 * §11 requires: a strip's first 2-D row refers to an imaginary white row); resolution in
 * inches; PageNumber (n, total); NewSubfileType 2 (a page of a multi-page document); and, for a
 * received page, the T.4 decoder's figures as BadFaxLines, CleanFaxData and
 * ConsecutiveBadFaxLines. Big-endian ("MM") files are written on request.
 *
 * ```
 *  file:   header(8) │ IFD0 │ IFD0 values │ page 0 strips │ IFD1 │ … │ page n strips
 *  IFD:    count(2) │ entries, 12 octets each, ascending tag order │ next IFD offset(4)
 * ```
 * Every IFD and out-of-line value starts on an even offset (TIFF 6.0 §2: word boundaries).
 */

import { FaxwireError } from '../util/errors.js';
import type { Bitmap } from '../t4/bitmap.js';
import { encodeCcitt, encodeCcittRows, type CcittParams } from './ccitt.js';
import { fillRow, SENTINELS } from '../t4/changes.js';
import type { RowChangesSource } from '../t4/index.js';
import { packBitsRows } from './packbits.js';
import { reverseBits } from './tiff-read.js';
import { COMPRESSION, T4_2D, T4_FILL_BITS, TAG, TYPE, typeSize } from './tiff-tags.js';

export type TiffCompression = 'mh' | 'mr' | 'mmr' | 'rle' | 'none' | 'packbits';

export interface FaxPageQuality {
  /** Rows the T.4/T.6 decoder found bad. */
  readonly badRows: number;
  /** Longest run of consecutive bad rows. */
  readonly longestBadRun: number;
  /**
   * CleanFaxData: 0 clean, 1 bad rows were regenerated (concealed), 2 bad rows present and not
   * regenerated. Default: 0 when badRows is 0, else 1 (our decoder conceals bad rows).
   */
  readonly cleanFaxData?: 0 | 1 | 2;
}

export interface TiffWritePage {
  readonly bitmap: Bitmap;
  readonly quality?: FaxPageQuality;
}

/**
 * A page given row by row as changing elements (`TiffPageWriter.addRows`): a rendered page
 * thresholded as it is coded (bilevel.ts `GreyRowChanges`), or a bitmap (`BitmapRowChanges`).
 */
export interface FaxRowsPage {
  readonly rows: RowChangesSource;
  readonly xDpi?: number | undefined;
  readonly yDpi?: number | undefined;
  readonly quality?: FaxPageQuality | undefined;
}

export interface TiffWriteOptions {
  /** Default 'mh' (compression 3, 1-D): what every TIFF Class F reader accepts. */
  readonly compression?: TiffCompression;
  /** 1 (default): most significant bit first; 2: least significant bit first (as fax modems deliver). */
  readonly fillOrder?: 1 | 2;
  /** Rows per strip; default the whole page in one strip. */
  readonly rowsPerStrip?: number;
  /** Default 'II' (little-endian). */
  readonly byteOrder?: 'II' | 'MM';
  /** MR K parameter (T.4 §4.2.1): default 2 below 150 lines/inch, else 4. */
  readonly k?: number;
  /** T4Options bit 2: pad so each EOL ends on an octet boundary. Default false. */
  readonly fillBits?: boolean;
  /** Software field; default "faxwire". Empty string: none. */
  readonly software?: string;
  /** DateTime field, "YYYY:MM:DD HH:MM:SS" (TIFF 6.0 §8), when the caller has a clock. */
  readonly dateTime?: string;
  /** Resolution for bitmaps that carry none; default 204 × 196 (fax fine). */
  readonly defaultDpi?: { readonly x: number; readonly y: number };
}

interface Field {
  readonly tag: number;
  readonly type: number;
  readonly values: readonly number[];
}

function compressionCode(c: TiffCompression): number {
  switch (c) {
    case 'mh':
    case 'mr':
      return COMPRESSION.ccittT4;
    case 'mmr':
      return COMPRESSION.ccittT6;
    case 'rle':
      return COMPRESSION.ccittRle;
    case 'none':
      return COMPRESSION.none;
    case 'packbits':
      return COMPRESSION.packBits;
  }
}

/** A positive number as a reduced fraction of 32-bit integers. */
export function toRational(x: number): [number, number] {
  if (!(x > 0) || !Number.isFinite(x)) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `resolution ${x} must be positive`);
  let den = 1;
  while (den < 10000 && Math.abs(Math.round(x * den) - x * den) > 1e-9) den *= 10;
  let num = Math.round(x * den);
  const g = gcd(num, den);
  num /= g;
  den /= g;
  if (num > 0xffffffff) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `resolution ${x} too large`);
  return [num, den];
}
function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The CCITT parameters of a strip (compressions mh, mr, mmr, rle). */
function ccittParams(c: 'mh' | 'mr' | 'mmr' | 'rle', width: number, rows: number, yDpi: number | undefined, opts: TiffWriteOptions, lsbFirst: boolean): CcittParams {
  return {
    compression: c === 'mmr' ? 4 : c === 'rle' ? 2 : 3,
    twoD: c === 'mr' || c === 'mmr',
    uncompressedMode: false,
    fillBits: c !== 'mmr' && c !== 'rle' && opts.fillBits === true,
    width,
    rows,
    lsbFirst,
    k: opts.k ?? ((yDpi ?? 196) < 150 ? 2 : 4),
  };
}

/** Packed rows, uncompressed or PackBits, in the file's fill order. */
function codeRaw(raw: Uint8Array, stride: number, rows: number, c: 'none' | 'packbits', lsbFirst: boolean): Uint8Array {
  const coded = c === 'none' ? raw.slice() : packBitsRows(raw, stride, rows);
  // FillOrder applies to the stored octets, whatever the compression (as libtiff reads it).
  return lsbFirst ? reverseBits(coded) : coded;
}

/** Codes one strip of `rows` rows starting at row `y0`. */
function codeStrip(b: Bitmap, y0: number, rows: number, c: TiffCompression, opts: TiffWriteOptions, lsbFirst: boolean): Uint8Array {
  const raw = b.data.subarray(y0 * b.stride, (y0 + rows) * b.stride);
  if (c === 'none' || c === 'packbits') return codeRaw(raw, b.stride, rows, c, lsbFirst);
  return encodeCcitt(raw, ccittParams(c, b.width, rows, b.yDpi, opts, lsbFirst));
}

/** `codeStrip` of a row source: the same octets for the same pixels. */
function codeRowsStrip(src: RowChangesSource, yDpi: number | undefined, y0: number, rows: number, c: TiffCompression, opts: TiffWriteOptions, lsbFirst: boolean): Uint8Array {
  if (c !== 'none' && c !== 'packbits') return encodeCcittRows(src, y0, ccittParams(c, src.width, rows, yDpi, opts, lsbFirst));
  // Uncompressed and PackBits store packed rows: made here from the changing elements.
  const stride = (src.width + 7) >>> 3;
  const raw = new Uint8Array(stride * rows);
  const view = new DataView(raw.buffer);
  const changes = new Int32Array(src.width + 1 + SENTINELS);
  for (let y = 0; y < rows; y++) {
    const n = src.changesAt(y0 + y, changes);
    // fillRow reads the end of the last black span past the list: the row's end when n is odd.
    changes[n] = src.width;
    fillRow(raw, view, y * stride, stride, changes, n);
  }
  return codeRaw(raw, stride, rows, c, lsbFirst);
}

/** Writes fax pages as a multi-page TIFF Class F file. */
export function writeTiff(pages: readonly (TiffWritePage | Bitmap)[], opts: TiffWriteOptions = {}): Uint8Array {
  if (pages.length === 0) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writeTiff: no pages');
  if (pages.length > 0xffff) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writeTiff: more than 65535 pages');
  const w = new TiffPageWriter(opts);
  for (const pg of pages) w.add(pg);
  return w.finish();
}

/** A page coded for the file: its strips and what its IFD says (never the bitmap itself). */
interface CodedPage {
  readonly width: number;
  readonly height: number;
  readonly xDpi: number | undefined;
  readonly yDpi: number | undefined;
  readonly quality: FaxPageQuality | undefined;
  readonly rps: number;
  readonly strips: readonly Uint8Array[];
}

/**
 * `writeTiff` a page at a time: `add` codes a page at once and keeps only its coded strips (the
 * bitmap may be reused by the caller as soon as `add` returns), `finish` lays the file out — the
 * same octets `writeTiff` gives for the same pages. For a document rendered page by page this
 * holds one bilevel page and the coded data instead of every page.
 */
export class TiffPageWriter {
  readonly #opts: TiffWriteOptions;
  readonly #coded: CodedPage[] = [];

  constructor(opts: TiffWriteOptions = {}) {
    const k = opts.k;
    if (k !== undefined && (!Number.isInteger(k) || k < 1)) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `k=${k} must be a positive integer`);
    this.#opts = opts;
  }

  /** Pages added so far. */
  get pageCount(): number {
    return this.#coded.length;
  }

  add(pg: TiffWritePage | Bitmap): void {
    if (this.#coded.length >= 0xffff) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writeTiff: more than 65535 pages');
    const opts = this.#opts;
    const page: TiffWritePage = 'bitmap' in pg ? pg : { bitmap: pg };
    const b = page.bitmap;
    if (b.width <= 0 || b.height <= 0 || b.stride !== Math.ceil(b.width / 8) || b.data.length < b.stride * b.height) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `writeTiff: bad bitmap ${b.width}×${b.height} stride ${b.stride}`);
    }
    const rps = Math.min(b.height, opts.rowsPerStrip ?? b.height);
    if (!Number.isInteger(rps) || rps < 1) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `rowsPerStrip=${opts.rowsPerStrip}`);
    const comp = opts.compression ?? 'mh';
    const strips: Uint8Array[] = [];
    for (let y = 0; y < b.height; y += rps) strips.push(codeStrip(b, y, Math.min(rps, b.height - y), comp, opts, (opts.fillOrder ?? 1) === 2));
    this.#coded.push({ width: b.width, height: b.height, xDpi: b.xDpi, yDpi: b.yDpi, quality: page.quality, rps, strips });
  }

  /**
   * `add` for a page given as rows of changing elements: the same coded strips as `add` of the
   * bitmap they describe. The source is read during the call only.
   */
  addRows(page: FaxRowsPage): void {
    if (this.#coded.length >= 0xffff) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writeTiff: more than 65535 pages');
    const opts = this.#opts;
    const src = page.rows;
    const { width, height } = src;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `writeTiff: bad page ${width}×${height}`);
    const rps = Math.min(height, opts.rowsPerStrip ?? height);
    if (!Number.isInteger(rps) || rps < 1) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `rowsPerStrip=${opts.rowsPerStrip}`);
    const comp = opts.compression ?? 'mh';
    const lsbFirst = (opts.fillOrder ?? 1) === 2;
    const strips: Uint8Array[] = [];
    for (let y = 0; y < height; y += rps) strips.push(codeRowsStrip(src, page.yDpi, y, Math.min(rps, height - y), comp, opts, lsbFirst));
    this.#coded.push({ width, height, xDpi: page.xDpi, yDpi: page.yDpi, quality: page.quality, rps, strips });
  }

  /** The file (PageNumber counts the pages added). */
  finish(): Uint8Array {
    if (this.#coded.length === 0) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writeTiff: no pages');
    return layOut(this.#coded, this.#opts);
  }
}

function layOut(coded: readonly CodedPage[], opts: TiffWriteOptions): Uint8Array {
  const comp = opts.compression ?? 'mh';
  const fillOrder = opts.fillOrder ?? 1;
  const le = (opts.byteOrder ?? 'II') === 'II';
  const software = opts.software ?? 'faxwire';
  const ascii = (s: string): number[] => [...Array.from(s, (ch) => ch.charCodeAt(0) & 0xff), 0];
  const pageFields = coded.map((b, i): Field[] => {
    const { rps, strips } = b;
    const xd = b.xDpi ?? opts.defaultDpi?.x ?? 204;
    const yd = b.yDpi ?? opts.defaultDpi?.y ?? 196;
    const fields: Field[] = [
      { tag: TAG.NewSubfileType, type: TYPE.LONG, values: [2] },
      { tag: TAG.ImageWidth, type: TYPE.LONG, values: [b.width] },
      { tag: TAG.ImageLength, type: TYPE.LONG, values: [b.height] },
      { tag: TAG.BitsPerSample, type: TYPE.SHORT, values: [1] },
      { tag: TAG.Compression, type: TYPE.SHORT, values: [compressionCode(comp)] },
      { tag: TAG.PhotometricInterpretation, type: TYPE.SHORT, values: [0] },
      { tag: TAG.FillOrder, type: TYPE.SHORT, values: [fillOrder] },
      { tag: TAG.StripOffsets, type: TYPE.LONG, values: strips.map(() => 0) },
      { tag: TAG.Orientation, type: TYPE.SHORT, values: [1] },
      { tag: TAG.SamplesPerPixel, type: TYPE.SHORT, values: [1] },
      { tag: TAG.RowsPerStrip, type: TYPE.LONG, values: [rps] },
      { tag: TAG.StripByteCounts, type: TYPE.LONG, values: strips.map((s) => s.length) },
      { tag: TAG.XResolution, type: TYPE.RATIONAL, values: toRational(xd) },
      { tag: TAG.YResolution, type: TYPE.RATIONAL, values: toRational(yd) },
      { tag: TAG.PlanarConfiguration, type: TYPE.SHORT, values: [1] },
      { tag: TAG.ResolutionUnit, type: TYPE.SHORT, values: [2] },
      { tag: TAG.PageNumber, type: TYPE.SHORT, values: [i, coded.length] },
    ];
    if (comp === 'mh' || comp === 'mr') {
      fields.push({ tag: TAG.T4Options, type: TYPE.LONG, values: [(comp === 'mr' ? T4_2D : 0) | (opts.fillBits ? T4_FILL_BITS : 0)] });
    } else if (comp === 'mmr') {
      fields.push({ tag: TAG.T6Options, type: TYPE.LONG, values: [0] });
    }
    if (software) fields.push({ tag: TAG.Software, type: TYPE.ASCII, values: ascii(software) });
    if (opts.dateTime !== undefined) fields.push({ tag: TAG.DateTime, type: TYPE.ASCII, values: ascii(opts.dateTime) });
    // The fax fields describe CCITT-coded data (libtiff knows them only for compressions 2–4).
    if (b.quality && comp !== 'none' && comp !== 'packbits') {
      const q = b.quality;
      const clean = q.cleanFaxData ?? (q.badRows === 0 ? 0 : 1);
      fields.push(
        { tag: TAG.BadFaxLines, type: TYPE.LONG, values: [q.badRows] },
        { tag: TAG.CleanFaxData, type: TYPE.SHORT, values: [clean] },
        { tag: TAG.ConsecutiveBadFaxLines, type: TYPE.LONG, values: [q.longestBadRun] },
      );
    }
    return fields.sort((a, c) => a.tag - c.tag);
  });

  // Layout.
  const even = (n: number): number => n + (n & 1);
  const valueBytes = (f: Field): number => (f.type === TYPE.RATIONAL ? 8 * (f.values.length / 2) : typeSize(f.type) * f.values.length);
  let pos = 8;
  const layout = pageFields.map((fields, i) => {
    const ifdAt = pos;
    pos += 2 + 12 * fields.length + 4;
    const valueAt = new Map<number, number>();
    for (const f of fields) {
      const n = valueBytes(f);
      if (n > 4) {
        pos = even(pos);
        valueAt.set(f.tag, pos);
        pos += n;
      }
    }
    const stripAt: number[] = [];
    for (const s of coded[i]!.strips) {
      pos = even(pos);
      stripAt.push(pos);
      pos += s.length;
    }
    pos = even(pos);
    return { ifdAt, valueAt, stripAt };
  });
  if (pos > 0xffffffff) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writeTiff: file would exceed 4 GiB');

  const out = new Uint8Array(pos);
  const dv = new DataView(out.buffer);
  out[0] = out[1] = le ? 0x49 : 0x4d;
  dv.setUint16(2, 42, le);
  dv.setUint32(4, layout[0]!.ifdAt, le);
  const put = (at: number, type: number, v: number): void => {
    switch (typeSize(type)) {
      case 1:
        out[at] = v;
        break;
      case 2:
        dv.setUint16(at, v, le);
        break;
      default:
        dv.setUint32(at, v, le);
    }
  };
  pageFields.forEach((fields, i) => {
    const L = layout[i]!;
    const strips = coded[i]!.strips;
    dv.setUint16(L.ifdAt, fields.length, le);
    fields.forEach((f0, j) => {
      const f = f0.tag === TAG.StripOffsets ? { ...f0, values: L.stripAt } : f0;
      const e = L.ifdAt + 2 + 12 * j;
      dv.setUint16(e, f.tag, le);
      dv.setUint16(e + 2, f.type, le);
      dv.setUint32(e + 4, f.type === TYPE.RATIONAL ? f.values.length / 2 : f.values.length, le);
      const at = L.valueAt.get(f.tag) ?? e + 8;
      if (L.valueAt.has(f.tag)) dv.setUint32(e + 8, at, le);
      const size = f.type === TYPE.RATIONAL ? 4 : typeSize(f.type);
      f.values.forEach((v, n) => put(at + n * size, f.type === TYPE.RATIONAL ? TYPE.LONG : f.type, v));
    });
    dv.setUint32(L.ifdAt + 2 + 12 * fields.length, i + 1 < layout.length ? layout[i + 1]!.ifdAt : 0, le);
    strips.forEach((s, n) => out.set(s, L.stripAt[n]));
  });
  return out;
}
