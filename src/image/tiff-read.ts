/**
 * TIFF reader — TIFF 6.0 (Adobe, 1992) with the fax profile of TIFF Class F (RFC 2306):
 * multi-page files (the IFD chain, bounded and loop-safe), bilevel pages in CCITT compression 2
 * (MH run lengths, rows octet-aligned), 3 (T.4 MH/MR per T4Options) and 4 (T.6 MMR), and in
 * uncompressed, PackBits, LZW and Deflate form; FillOrder 1 and 2; strips (SHORT or LONG
 * offsets and counts) and tiles; PhotometricInterpretation 0/1; resolution; PageNumber; and
 * the fax quality fields BadFaxLines, CleanFaxData, ConsecutiveBadFaxLines. For documents to
 * send it also reads grey (1–16 bits), RGB(A), palette and CMYK images. Both byte orders;
 * BigTIFF is refused by name.
 *
 * A TIFF file is untrusted data: nothing here throws on bad input and nothing is read outside
 * the buffer. Every problem is a `TiffError` whose message names the page, the field and the
 * numbers, e.g. "page 2: StripOffsets[3]=91230 is beyond the end of the file (size 90112)".
 * Counts are bounded (pages, strips, pixels) so that a small hostile file cannot make us
 * allocate or loop without limit. A damaged CCITT strip is *not* an error: it is decoded as
 * far as the T.4/T.6 decoder can, and the page carries the decoder's bad-row figures.
 *
 * ```
 *  Image file header (TIFF 6.0 §2), 8 octets:
 *   0       2       4               8
 *  +-------+-------+---------------+
 *  | II/MM |  42   |  IFD0 offset  |        II = little-endian, MM = big-endian; 43 = BigTIFF
 *  +-------+-------+---------------+
 *  Image file directory (IFD):
 *  +-------+------------------------------ … ---+-------------------+
 *  | count |  count × 12-octet entries            | next IFD offset   |   (0 = last page)
 *  +-------+------------------------------ … ---+-------------------+
 *  Entry:
 *   0       2       4               8               12
 *  +-------+-------+---------------+---------------+
 *  |  tag  | type  | value count   | value/offset  |   values of ≤ 4 octets sit in the entry
 *  +-------+-------+---------------+---------------+
 * ```
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import { bitmapStride, type Bitmap } from '../t4/bitmap.js';
import { decodeCcitt, type CcittParams } from './ccitt.js';
import { withDpi, type GreyImage } from './grey.js';
import { lzwDecode } from './lzw.js';
import { zlib } from './lazy.js';
import { unpackBits } from './packbits.js';
import { DEFAULT_MAX_PAGES, DEFAULT_MAX_PIXELS, PixelBudget, type DocumentBudget } from './budget.js';
import { COMPRESSION, T4_2D, T4_FILL_BITS, T4_UNCOMPRESSED, T6_UNCOMPRESSED, TAG, TYPE, typeSize } from './tiff-tags.js';

export type TiffErrorCode =
  /** The file ends inside the header or an IFD. */
  | 'truncated'
  /** Not a TIFF: bad byte-order mark or version. */
  | 'bad-header'
  /** A BigTIFF (version 43): not supported. */
  | 'bigtiff'
  /** An IFD offset outside the file, or an IFD with no entries. */
  | 'bad-ifd'
  /** The IFD chain comes back to an IFD already read. */
  | 'ifd-loop'
  | 'too-many-pages'
  /** A required field (ImageWidth, ImageLength, StripOffsets, …) is absent. */
  | 'missing-tag'
  /** A field with a wrong type, count or value, or whose values lie outside the file. */
  | 'bad-tag'
  /** Strip/tile offsets or byte counts that are wrong or point outside the file. */
  | 'bad-strip'
  /** Valid TIFF we do not read (JPEG compression, planar colour, floating-point samples, …). */
  | 'unsupported'
  /** More pixels in one page than the reader's limit (`maxPixels`). */
  | 'too-large'
  /** The pages together declare more pixels than the document budget (`maxTotalPixels`, budget.ts). */
  | 'limit'
  /** Compressed (non-CCITT) data that does not decode to the size the tags promise. */
  | 'bad-data'
  /** The file has no pages. */
  | 'no-pages';

export interface TiffError {
  readonly code: TiffErrorCode;
  readonly message: string;
  /** File offset of the offending structure (0 when it concerns the file as a whole). */
  readonly offset: number;
}

/**
 * The document budget (budget.ts): `maxPages` bounds the IFDs followed (default 1000),
 * `maxPixels` one page (default 150 million), `maxTotalPixels` the pages together (default
 * 2 000 million) — all checked from the IFD tags before any page is decoded.
 */
export type TiffReadOptions = DocumentBudget;
/** Bound on a field's value count (strip tables of a 1-row-per-strip page are the largest). */
const MAX_VALUES = 1 << 20;

/** One IFD entry as found; values are read on demand. */
export interface TiffEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** File offset of the 12-octet entry. */
  readonly at: number;
}

export interface TiffIfd {
  readonly offset: number;
  readonly entries: ReadonlyMap<number, TiffEntry>;
}

export interface TiffStructure {
  readonly littleEndian: boolean;
  readonly ifds: readonly TiffIfd[];
}

/** A strip or tile: where its data is and which rectangle of the page it fills. */
export interface TiffChunk {
  readonly offset: number;
  readonly byteCount: number;
  readonly x: number;
  readonly y: number;
  /** Coded size (a tile's full size, even where it overhangs the page). */
  readonly width: number;
  readonly height: number;
}

/** A page's fields, interpreted and checked. */
export interface TiffPageInfo {
  /** 0-based position in the IFD chain. */
  readonly index: number;
  readonly ifdOffset: number;
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly samplesPerPixel: number;
  readonly compression: number;
  readonly photometric: number;
  readonly fillOrder: 1 | 2;
  readonly planarConfig: number;
  readonly predictor: number;
  readonly t4Options: number;
  readonly t6Options: number;
  /** Rows per strip (clamped to the height); for tiled pages the tile length. */
  readonly rowsPerStrip: number;
  readonly tiled: boolean;
  readonly chunks: readonly TiffChunk[];
  /** Pixels per inch, when the file gives a resolution in inches or centimetres. */
  readonly xDpi?: number;
  readonly yDpi?: number;
  /** PageNumber: [page (0-based), total (0 = unknown)]. */
  readonly pageNumber?: readonly [number, number];
  readonly badFaxLines?: number;
  readonly cleanFaxData?: number;
  readonly consecutiveBadFaxLines?: number;
  /** NewSubfileType bit 0: a reduced-resolution copy (thumbnail) of another page. */
  readonly reducedResolution: boolean;
  readonly extraSamples: readonly number[];
  readonly colorMap?: Uint16Array;
  readonly inkSet: number;
  readonly software?: string;
}

/** How well the CCITT data of a page decoded (the T.4/T.6 decoder's figures). */
export interface TiffDecodeQuality {
  readonly badRows: number;
  readonly longestBadRun: number;
  /** Rows the tags promised that the data did not provide (filled white). */
  readonly missingRows: number;
}

export type TiffRaster =
  | { readonly kind: 'bilevel'; readonly bitmap: Bitmap; readonly quality?: TiffDecodeQuality }
  | { readonly kind: 'grey'; readonly image: GreyImage };

export interface TiffPage {
  readonly info: TiffPageInfo;
  readonly raster: TiffRaster;
}

function tiffErr(code: TiffErrorCode, message: string, offset: number): { ok: false; error: TiffError } {
  return err({ code, message, offset });
}

/** Bounds-checked reads in the file's byte order. */
class In {
  readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get size(): number {
    return this.bytes.length;
  }
  /** True when [off, off + n) lies inside the file. */
  has(off: number, n: number): boolean {
    return off >= 0 && n >= 0 && off <= this.bytes.length && n <= this.bytes.length - off;
  }
  u16(off: number): number {
    return this.dv.getUint16(off, this.le);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, this.le);
  }
}

/** Reads the header and walks the IFD chain (entries only; no values). */
export function parseTiffStructure(bytes: Uint8Array, opts: TiffReadOptions = {}): DecodeResult<TiffStructure, TiffError> {
  if (bytes.length < 8) return tiffErr('truncated', `file of ${bytes.length} octets is shorter than the 8-octet TIFF header`, 0);
  const b0 = bytes[0];
  const b1 = bytes[1];
  let le: boolean;
  if (b0 === 0x49 && b1 === 0x49) le = true;
  else if (b0 === 0x4d && b1 === 0x4d) le = false;
  else return tiffErr('bad-header', `not a TIFF file: byte-order mark is 0x${hex2(b0)}${hex2(b1)}, not "II" or "MM"`, 0);
  const r = new In(bytes, le);
  const version = r.u16(2);
  if (version === 43) return tiffErr('bigtiff', 'BigTIFF (version 43) is not supported; fax TIFFs are classic TIFF (version 42)', 2);
  if (version !== 42) return tiffErr('bad-header', `not a TIFF file: version ${version}, expected 42`, 2);
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const ifds: TiffIfd[] = [];
  const seen = new Set<number>();
  let off = r.u32(4);
  let from = 4;
  while (off !== 0) {
    const n = ifds.length;
    if (n >= maxPages) return tiffErr('too-many-pages', `more than ${maxPages} pages (IFDs) in the chain`, from);
    if (seen.has(off)) return tiffErr('ifd-loop', `page ${n + 1}: IFD offset ${off} points back to an IFD already read: the IFD chain loops`, from);
    seen.add(off);
    if (off < 8 || !r.has(off, 2)) {
      return tiffErr('bad-ifd', `page ${n + 1}: IFD offset ${off} is ${off < 8 ? 'inside the header' : `beyond the end of the file (size ${r.size})`}`, from);
    }
    const count = r.u16(off);
    if (count === 0) return tiffErr('bad-ifd', `page ${n + 1}: IFD at offset ${off} has no entries`, off);
    if (!r.has(off + 2, count * 12 + 4)) {
      return tiffErr('truncated', `page ${n + 1}: IFD at offset ${off} (${count} entries) runs past the end of the file (size ${r.size})`, off);
    }
    const entries = new Map<number, TiffEntry>();
    for (let i = 0; i < count; i++) {
      const at = off + 2 + i * 12;
      const tag = r.u16(at);
      // The first of duplicated tags wins (libtiff ignores later duplicates too).
      if (!entries.has(tag)) entries.set(tag, { tag, type: r.u16(at + 2), count: r.u32(at + 4), at });
    }
    ifds.push({ offset: off, entries });
    from = off + 2 + count * 12;
    off = r.u32(from);
  }
  if (ifds.length === 0) return tiffErr('no-pages', 'the file has no IFD (IFD0 offset is 0)', 4);
  return ok({ littleEndian: le, ifds }, bytes.length);
}

function hex2(v: number | undefined): string {
  return (v ?? 0).toString(16).padStart(2, '0');
}

const TAG_NAMES = new Map<number, string>(Object.entries(TAG).map(([k, v]) => [v, k]));
function tagName(tag: number): string {
  return TAG_NAMES.get(tag) ?? `tag ${tag}`;
}

/** Reads an entry's values as numbers (RATIONALs as quotients; NaN for a zero denominator). */
function readValues(r: In, e: TiffEntry, where: string, maxCount = MAX_VALUES): number[] | TiffError {
  const size = typeSize(e.type);
  if (size === 0) return { code: 'bad-tag', message: `${where}: ${tagName(e.tag)} has unknown field type ${e.type}`, offset: e.at };
  if (e.count > maxCount) return { code: 'bad-tag', message: `${where}: ${tagName(e.tag)} has ${e.count} values (at most ${maxCount} expected)`, offset: e.at };
  const bytes = e.count * size;
  const pos = bytes <= 4 ? e.at + 8 : r.u32(e.at + 8);
  if (!r.has(pos, bytes)) {
    return { code: 'bad-tag', message: `${where}: ${tagName(e.tag)} values at offset ${pos} (${bytes} octets) lie beyond the end of the file (size ${r.size})`, offset: e.at };
  }
  const out = new Array<number>(e.count);
  for (let i = 0; i < e.count; i++) {
    const p = pos + i * size;
    switch (e.type) {
      case TYPE.BYTE:
      case TYPE.ASCII:
      case TYPE.UNDEFINED:
        out[i] = r.bytes[p]!;
        break;
      case TYPE.SBYTE:
        out[i] = r.dv.getInt8(p);
        break;
      case TYPE.SHORT:
        out[i] = r.u16(p);
        break;
      case TYPE.SSHORT:
        out[i] = r.dv.getInt16(p, r.le);
        break;
      case TYPE.LONG:
      case TYPE.IFD:
        out[i] = r.u32(p);
        break;
      case TYPE.SLONG:
        out[i] = r.dv.getInt32(p, r.le);
        break;
      case TYPE.RATIONAL: {
        const d = r.u32(p + 4);
        out[i] = d === 0 ? NaN : r.u32(p) / d;
        break;
      }
      case TYPE.SRATIONAL: {
        const d = r.dv.getInt32(p + 4, r.le);
        out[i] = d === 0 ? NaN : r.dv.getInt32(p, r.le) / d;
        break;
      }
      case TYPE.FLOAT:
        out[i] = r.dv.getFloat32(p, r.le);
        break;
      case TYPE.DOUBLE:
        out[i] = r.dv.getFloat64(p, r.le);
        break;
      default:
        out[i] = NaN;
    }
  }
  return out;
}

function isErr(v: unknown): v is TiffError {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'code' in v;
}

/** Field accessors for one IFD, with the page named in every message. */
class Fields {
  constructor(
    readonly r: In,
    readonly ifd: TiffIfd,
    readonly where: string,
  ) {}
  has(tag: number): boolean {
    return this.ifd.entries.has(tag);
  }
  /** All values of an integer field (SHORT/LONG, or BYTE), or undefined when absent. */
  ints(tag: number, maxCount = MAX_VALUES): number[] | undefined | TiffError {
    const e = this.ifd.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.SHORT && e.type !== TYPE.LONG && e.type !== TYPE.BYTE) {
      return { code: 'bad-tag', message: `${this.where}: ${tagName(tag)} has field type ${e.type}, expected SHORT or LONG`, offset: e.at };
    }
    return readValues(this.r, e, this.where, maxCount);
  }
  /** A single integer field with a default; range-checked. */
  int(tag: number, dflt: number | undefined, min = 0, max = 0xffffffff): number | undefined | TiffError {
    const v = this.ints(tag, 64);
    if (isErr(v)) return v;
    if (v === undefined) return dflt;
    const x = v[0];
    if (x === undefined) return { code: 'bad-tag', message: `${this.where}: ${tagName(tag)} has no value`, offset: this.ifd.entries.get(tag)!.at };
    if (x < min || x > max) {
      return { code: 'bad-tag', message: `${this.where}: ${tagName(tag)}=${x} is out of range (${min}…${max})`, offset: this.ifd.entries.get(tag)!.at };
    }
    return x;
  }
  rational(tag: number): number | undefined | TiffError {
    const e = this.ifd.entries.get(tag);
    if (!e) return undefined;
    const v = readValues(this.r, e, this.where, 64);
    if (isErr(v)) return v;
    const x = v[0];
    return x !== undefined && Number.isFinite(x) && x > 0 ? x : undefined;
  }
  ascii(tag: number): string | undefined {
    const e = this.ifd.entries.get(tag);
    if (!e || e.type !== TYPE.ASCII) return undefined;
    const v = readValues(this.r, e, this.where, 4096);
    if (isErr(v)) return undefined;
    const end = v.indexOf(0);
    return String.fromCharCode(...(end >= 0 ? v.slice(0, end) : v));
  }
}

/** Interprets and checks one IFD as a page. */
export function pageInfo(bytes: Uint8Array, s: TiffStructure, index: number, opts: TiffReadOptions = {}): DecodeResult<TiffPageInfo, TiffError> {
  const ifd = s.ifds[index];
  if (!ifd) return tiffErr('no-pages', `there is no page ${index + 1} (the file has ${s.ifds.length})`, 0);
  const r = new In(bytes, s.littleEndian);
  const where = `page ${index + 1}`;
  const f = new Fields(r, ifd, where);
  const need = (tag: number): { ok: false; error: TiffError } =>
    tiffErr('missing-tag', `${where}: required field ${tagName(tag)} (${tag}) is missing`, ifd.offset);

  const width = f.int(TAG.ImageWidth, undefined, 1);
  if (isErr(width)) return err(width);
  if (width === undefined) return need(TAG.ImageWidth);
  const height = f.int(TAG.ImageLength, undefined, 1);
  if (isErr(height)) return err(height);
  if (height === undefined) return need(TAG.ImageLength);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (width * height > maxPixels) {
    return tiffErr('too-large', `${where}: ${width}×${height} pixels exceeds the limit of ${maxPixels}`, ifd.offset);
  }
  const spp0 = f.int(TAG.SamplesPerPixel, 1, 1, 8);
  if (isErr(spp0)) return err(spp0);
  const spp = spp0 ?? 1;
  const bpsAll = f.ints(TAG.BitsPerSample, 8);
  if (isErr(bpsAll)) return err(bpsAll);
  const bps = bpsAll?.[0] ?? 1;
  if (bpsAll && bpsAll.some((b) => b !== bps)) return tiffErr('unsupported', `${where}: mixed BitsPerSample ${bpsAll.join(',')}`, ifd.offset);
  if (![1, 2, 4, 8, 16].includes(bps)) return tiffErr('unsupported', `${where}: BitsPerSample=${bps} (1, 2, 4, 8 or 16 are read)`, ifd.offset);
  const compression = f.int(TAG.Compression, 1, 1, 0xffff);
  if (isErr(compression)) return err(compression);
  const ccitt = compression === 2 || compression === 3 || compression === 4;
  const dfltPhoto = ccitt || (bps === 1 && spp === 1) ? 0 : spp >= 3 ? 2 : 1;
  const photometric = f.int(TAG.PhotometricInterpretation, dfltPhoto, 0, 0xffff);
  if (isErr(photometric)) return err(photometric);
  const fillOrder = f.int(TAG.FillOrder, 1, 1, 2);
  if (isErr(fillOrder)) return err(fillOrder);
  const planar = f.int(TAG.PlanarConfiguration, 1, 1, 2);
  if (isErr(planar)) return err(planar);
  const predictor = f.int(TAG.Predictor, 1, 1, 3);
  if (isErr(predictor)) return err(predictor);
  const t4Options = f.int(TAG.T4Options, 0);
  if (isErr(t4Options)) return err(t4Options);
  const t6Options = f.int(TAG.T6Options, 0);
  if (isErr(t6Options)) return err(t6Options);
  const inkSet = f.int(TAG.InkSet, 1, 1, 2);
  if (isErr(inkSet)) return err(inkSet);
  const subfile = f.int(TAG.NewSubfileType, 0);
  if (isErr(subfile)) return err(subfile);
  const extra = f.ints(TAG.ExtraSamples, 8);
  if (isErr(extra)) return err(extra);
  const sampleFormat = f.ints(TAG.SampleFormat, 8);
  if (isErr(sampleFormat)) return err(sampleFormat);
  if (sampleFormat && sampleFormat.some((v) => v !== 1)) {
    return tiffErr('unsupported', `${where}: SampleFormat=${sampleFormat[0]} (only unsigned integer samples are read)`, ifd.offset);
  }
  if (ccitt && (bps !== 1 || spp !== 1)) {
    return tiffErr('bad-tag', `${where}: CCITT compression ${compression} needs a bilevel image, got BitsPerSample=${bps} SamplesPerPixel=${spp}`, ifd.offset);
  }

  // Strips or tiles.
  const tiled = f.has(TAG.TileWidth) || f.has(TAG.TileOffsets);
  let chunkW: number;
  let chunkH: number;
  let across: number;
  let down: number;
  let offTag: number;
  let cntTag: number;
  if (tiled) {
    const tw = f.int(TAG.TileWidth, undefined, 1, 65536);
    if (isErr(tw)) return err(tw);
    const tl = f.int(TAG.TileLength, undefined, 1, 65536);
    if (isErr(tl)) return err(tl);
    if (tw === undefined) return need(TAG.TileWidth);
    if (tl === undefined) return need(TAG.TileLength);
    chunkW = tw;
    chunkH = tl;
    across = Math.ceil(width / tw);
    down = Math.ceil(height / tl);
    offTag = TAG.TileOffsets;
    cntTag = TAG.TileByteCounts;
  } else {
    const rps = f.int(TAG.RowsPerStrip, 0xffffffff, 1);
    if (isErr(rps)) return err(rps);
    chunkW = width;
    chunkH = Math.min(rps ?? height, height);
    across = 1;
    down = Math.ceil(height / chunkH);
    offTag = TAG.StripOffsets;
    cntTag = TAG.StripByteCounts;
  }
  // Bound what one chunk and the whole page may decompress to: a tile can be larger than the
  // page, and samples can be up to 8 × 16 bits.
  const rawBytes = Math.max(width * height, chunkW * chunkH) * Math.ceil((spp * bps) / 8);
  if (chunkW * chunkH > maxPixels || rawBytes > 4 * maxPixels) {
    return tiffErr('too-large', `${where}: ${width}×${height} pixels (${tiled ? `${chunkW}×${chunkH} tiles, ` : ''}${spp}×${bps} bits) exceeds the limit`, ifd.offset);
  }
  const planes = planar === 2 && spp > 1 ? spp : 1;
  const nChunks = across * down * planes;
  if (nChunks > MAX_VALUES) return tiffErr('bad-tag', `${where}: ${nChunks} ${tiled ? 'tiles' : 'strips'} is more than ${MAX_VALUES}`, ifd.offset);
  const offsets = f.ints(offTag);
  if (isErr(offsets)) return err({ ...offsets, code: 'bad-strip' });
  if (offsets === undefined) return need(offTag);
  if (offsets.length < nChunks) {
    return tiffErr('bad-strip', `${where}: ${tagName(offTag)} has ${offsets.length} entries, ${nChunks} needed for ${height} rows`, ifd.entries.get(offTag)!.at);
  }
  let counts = f.ints(cntTag);
  if (isErr(counts)) return err({ ...counts, code: 'bad-strip' });
  if (counts === undefined) {
    // Missing byte counts: a single chunk runs to the end of the file; an uncompressed image's
    // are implied by its geometry (as libtiff estimates them). Otherwise we cannot know.
    if (nChunks === 1) counts = [Math.max(0, bytes.length - offsets[0]!)];
    else if (compression === 1) {
      const rowBytes = Math.ceil((chunkW * (planes > 1 ? 1 : spp) * bps) / 8);
      counts = new Array<number>(nChunks).fill(rowBytes * chunkH);
    } else return need(cntTag);
  }
  if (counts.length < nChunks) {
    return tiffErr('bad-strip', `${where}: ${tagName(cntTag)} has ${counts.length} entries, ${nChunks} needed`, ifd.entries.get(cntTag)?.at ?? ifd.offset);
  }
  const chunks: TiffChunk[] = [];
  for (let i = 0; i < nChunks; i++) {
    const o = offsets[i]!;
    const c = counts[i]!;
    if (o > bytes.length) {
      return tiffErr('bad-strip', `${where}: ${tagName(offTag)}[${i}]=${o} is beyond the end of the file (size ${bytes.length})`, ifd.entries.get(offTag)!.at);
    }
    if (c > bytes.length - o) {
      return tiffErr(
        'bad-strip',
        `${where}: ${tagName(offTag)}[${i}]=${o} + ${tagName(cntTag)}[${i}]=${c} runs beyond the end of the file (size ${bytes.length})`,
        ifd.entries.get(offTag)!.at,
      );
    }
    const k = i % (across * down);
    chunks.push({ offset: o, byteCount: c, x: (k % across) * chunkW, y: Math.floor(k / across) * chunkH, width: chunkW, height: chunkH });
  }

  const unit = f.int(TAG.ResolutionUnit, 2, 1, 3);
  if (isErr(unit)) return err(unit);
  const xr = f.rational(TAG.XResolution);
  if (isErr(xr)) return err(xr);
  const yr = f.rational(TAG.YResolution);
  if (isErr(yr)) return err(yr);
  const perInch = unit === 3 ? 2.54 : 1;
  const pn = f.ints(TAG.PageNumber, 2);
  if (isErr(pn)) return err(pn);
  const bad = f.int(TAG.BadFaxLines, undefined);
  if (isErr(bad)) return err(bad);
  const clean = f.int(TAG.CleanFaxData, undefined, 0, 2);
  if (isErr(clean)) return err(clean);
  const cbad = f.int(TAG.ConsecutiveBadFaxLines, undefined);
  if (isErr(cbad)) return err(cbad);
  let colorMap: Uint16Array | undefined;
  if (photometric === 3) {
    const cm = f.ints(TAG.ColorMap, 3 * 65536);
    if (isErr(cm)) return err(cm);
    if (cm === undefined) return need(TAG.ColorMap);
    if (bps > 8 || cm.length < 3 * (1 << bps)) {
      return tiffErr('bad-tag', `${where}: ColorMap has ${cm.length} entries, ${3 * (1 << Math.min(bps, 16))} needed for ${bps}-bit palette`, ifd.entries.get(TAG.ColorMap)!.at);
    }
    colorMap = Uint16Array.from(cm);
  }

  const info: TiffPageInfo = {
    index,
    ifdOffset: ifd.offset,
    width,
    height,
    bitsPerSample: bps,
    samplesPerPixel: spp,
    compression: compression ?? 1,
    photometric: photometric ?? 0,
    fillOrder: fillOrder === 2 ? 2 : 1,
    planarConfig: planar ?? 1,
    predictor: predictor ?? 1,
    t4Options: t4Options ?? 0,
    t6Options: t6Options ?? 0,
    rowsPerStrip: chunkH,
    tiled,
    chunks,
    reducedResolution: ((subfile ?? 0) & 1) !== 0,
    extraSamples: extra ?? [],
    inkSet: inkSet ?? 1,
    ...(xr !== undefined && yr !== undefined && unit !== 1 ? { xDpi: xr * perInch, yDpi: yr * perInch } : {}),
    ...(pn && pn.length >= 2 ? { pageNumber: [pn[0]!, pn[1]!] as const } : {}),
    ...(bad !== undefined ? { badFaxLines: bad } : {}),
    ...(clean !== undefined ? { cleanFaxData: clean } : {}),
    ...(cbad !== undefined ? { consecutiveBadFaxLines: cbad } : {}),
    ...(colorMap ? { colorMap } : {}),
  };
  const sw = f.ascii(TAG.Software);
  return ok(sw !== undefined ? { ...info, software: sw } : info, 0);
}

/** Reverses the bit order of every octet (FillOrder 2 → 1). */
export function reverseBits(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = REV[src[i]!]!;
  return out;
}
const REV = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let v = 0;
  for (let b = 0; b < 8; b++) if (i & (1 << b)) v |= 0x80 >>> b;
  REV[i] = v;
}

/** Decompresses one non-CCITT chunk to exactly `expected` octets, or says why it cannot. */
function decompress(info: TiffPageInfo, data: Uint8Array, expected: number, where: string, at: number): Uint8Array | TiffError {
  switch (info.compression) {
    case COMPRESSION.none:
      if (data.length < expected) return { code: 'bad-strip', message: `${where}: has ${data.length} octets, ${expected} needed uncompressed`, offset: at };
      return data.subarray(0, expected);
    case COMPRESSION.packBits: {
      const res = unpackBits(data, expected);
      if (res.produced < expected) return { code: 'bad-data', message: `${where}: PackBits data gives ${res.produced} of ${expected} octets`, offset: at };
      return res.data;
    }
    case COMPRESSION.lzw: {
      const res = lzwDecode(data, expected);
      if (res.produced < expected) {
        return { code: 'bad-data', message: `${where}: LZW data gives ${res.produced} of ${expected} octets${res.problem ? ` (${res.problem})` : ''}`, offset: at };
      }
      return res.data;
    }
    case COMPRESSION.adobeDeflate:
    case COMPRESSION.deflate: {
      let res: Uint8Array;
      try {
        res = zlib().inflateSync(data, { maxOutputLength: Math.max(expected, 1) });
      } catch (e) {
        // A zlib error or maxOutputLength exceeded: zlib stops at the limit, so trailing data
        // beyond what the tags promise is refused rather than inflated without bound.
        return { code: 'bad-data', message: `${where}: Deflate data does not inflate (${e instanceof Error ? e.message : String(e)})`, offset: at };
      }
      if (res.length < expected) return { code: 'bad-data', message: `${where}: Deflate data gives ${res.length} of ${expected} octets`, offset: at };
      return res.subarray(0, expected);
    }
    case COMPRESSION.jpeg:
    case COMPRESSION.ojpeg:
      return { code: 'unsupported', message: `${where}: JPEG-compressed TIFF (compression ${info.compression}) is not supported; convert it to PNG/JPEG or an uncompressed TIFF`, offset: at };
    default:
      return { code: 'unsupported', message: `${where}: compression ${info.compression} is not supported`, offset: at };
  }
}

/** Reverses horizontal differencing (Predictor 2, TIFF 6.0 §14) in place. */
function undoPredictor(buf: Uint8Array, info: TiffPageInfo, rowBytes: number, rows: number, samples: number, le: boolean): void {
  if (info.bitsPerSample === 8) {
    for (let y = 0; y < rows; y++) {
      const o = y * rowBytes;
      for (let i = samples; i < rowBytes; i++) buf[o + i] = (buf[o + i]! + buf[o + i - samples]!) & 0xff;
    }
  } else if (info.bitsPerSample === 16) {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let y = 0; y < rows; y++) {
      const o = y * rowBytes;
      for (let i = samples * 2; i + 1 < rowBytes; i += 2) {
        dv.setUint16(o + i, (dv.getUint16(o + i, le) + dv.getUint16(o + i - samples * 2, le)) & 0xffff, le);
      }
    }
  }
}

/** Sample `i` of a row of `bps`-bit samples, scaled to 8 bits. */
function sample8(row: Uint8Array, o: number, i: number, bps: number, le: boolean): number {
  switch (bps) {
    case 8:
      return row[o + i]!;
    case 16:
      return row[o + 2 * i + (le ? 1 : 0)]!;
    case 1:
      return ((row[o + (i >>> 3)]! >>> (7 - (i & 7))) & 1) * 255;
    case 2:
      return ((row[o + (i >>> 2)]! >>> (6 - 2 * (i & 3))) & 3) * 85;
    case 4:
      return ((row[o + (i >>> 1)]! >>> (4 - 4 * (i & 1))) & 15) * 17;
    default:
      return 0;
  }
}

/** Raw index (unscaled) of sample `i`, for palette look-ups. */
function sampleRaw(row: Uint8Array, o: number, i: number, bps: number): number {
  switch (bps) {
    case 8:
      return row[o + i]!;
    case 1:
      return (row[o + (i >>> 3)]! >>> (7 - (i & 7))) & 1;
    case 2:
      return (row[o + (i >>> 2)]! >>> (6 - 2 * (i & 3))) & 3;
    case 4:
      return (row[o + (i >>> 1)]! >>> (4 - 4 * (i & 1))) & 15;
    default:
      return 0;
  }
}

/** Decodes one page's image data. */
export function decodeTiffPage(bytes: Uint8Array, s: TiffStructure, info: TiffPageInfo): DecodeResult<TiffRaster, TiffError> {
  const where = `page ${info.index + 1}`;
  const dpi = info.xDpi !== undefined && info.yDpi !== undefined ? { x: info.xDpi, y: info.yDpi } : undefined;
  // 1-bit palette images (GraphicsMagick writes them, even CCITT-coded) are bilevel too: the
  // darker colour map entry is black.
  const paletteInvert = info.photometric === 3 && info.bitsPerSample === 1 && info.colorMap !== undefined && paletteLuma(info.colorMap, 1) > paletteLuma(info.colorMap, 0);
  const bilevel = info.bitsPerSample === 1 && info.samplesPerPixel === 1 && (info.photometric === 0 || info.photometric === 1 || info.photometric === 3);
  const ccitt = info.compression === 2 || info.compression === 3 || info.compression === 4;
  if (!bilevel && ccitt) return tiffErr('bad-tag', `${where}: CCITT compression with PhotometricInterpretation=${info.photometric}`, info.ifdOffset);
  const unit = info.tiled ? 'tile' : 'strip';

  if (bilevel) {
    const stride = bitmapStride(info.width);
    const data = new Uint8Array(stride * info.height);
    let badRows = 0;
    let longestBadRun = 0;
    let missingRows = 0;
    if (info.tiled && info.chunks.some((c) => c.x % 8 !== 0)) {
      return tiffErr('bad-tag', `${where}: TileWidth=${info.chunks[0]?.width} is not a multiple of 8 (TIFF 6.0 §15 requires 16)`, info.ifdOffset);
    }
    for (let i = 0; i < info.chunks.length; i++) {
      const c = info.chunks[i]!;
      const rows = Math.min(c.height, info.height - c.y);
      const cStride = bitmapStride(c.width);
      const raw = bytes.subarray(c.offset, c.offset + c.byteCount);
      let chunkData: Uint8Array;
      if (ccitt) {
        const p: CcittParams = {
          compression: info.compression,
          twoD: info.compression === 4 || (info.compression === 3 && (info.t4Options & T4_2D) !== 0),
          uncompressedMode: info.compression === 3 ? (info.t4Options & T4_UNCOMPRESSED) !== 0 : info.compression === 4 && (info.t6Options & T6_UNCOMPRESSED) !== 0,
          fillBits: info.compression === 3 && (info.t4Options & T4_FILL_BITS) !== 0,
          width: c.width,
          rows,
          lsbFirst: info.fillOrder === 2,
        };
        const d = decodeCcitt(raw, p);
        if (typeof d === 'string') return tiffErr('unsupported', `${where}: ${unit} ${i}: ${d}`, c.offset);
        chunkData = d.data;
        badRows += d.badRows;
        longestBadRun = Math.max(longestBadRun, d.longestBadRun);
        missingRows += Math.max(0, rows - d.rows);
      } else {
        const src = info.fillOrder === 2 ? reverseBits(raw) : raw;
        const d = decompress(info, src, cStride * rows, `${where}: ${unit} ${i}`, c.offset);
        if (isErr(d)) return err(d);
        chunkData = d;
      }
      // Copy the chunk's rows into the page (tiles may overhang the right edge).
      const n = Math.min(cStride, stride - (c.x >>> 3));
      for (let y = 0; y < rows && y * cStride < chunkData.length; y++) {
        data.set(chunkData.subarray(y * cStride, y * cStride + n), (c.y + y) * stride + (c.x >>> 3));
      }
    }
    if (info.photometric === 1 || paletteInvert) for (let i = 0; i < data.length; i++) data[i] = ~data[i]! & 0xff;
    maskPadding(data, info.width, stride, info.height);
    const bitmap = withDpi({ width: info.width, height: info.height, stride, data }, dpi?.x, dpi?.y);
    return ok({ kind: 'bilevel', bitmap, ...(ccitt ? { quality: { badRows, longestBadRun, missingRows } } : {}) }, bytes.length);
  }

  // Grey / colour / palette.
  const spp = info.samplesPerPixel;
  const photo = info.photometric;
  switch (photo) {
    case 0:
    case 1:
      break;
    case 2:
      if (spp < 3) return tiffErr('bad-tag', `${where}: RGB with SamplesPerPixel=${spp}`, info.ifdOffset);
      break;
    case 3:
      if (spp !== 1) return tiffErr('bad-tag', `${where}: palette with SamplesPerPixel=${spp}`, info.ifdOffset);
      break;
    case 5:
      if (info.inkSet !== 1 || spp < 4) return tiffErr('unsupported', `${where}: separated image that is not CMYK (InkSet ${info.inkSet}, ${spp} samples)`, info.ifdOffset);
      break;
    default:
      return tiffErr('unsupported', `${where}: PhotometricInterpretation=${photo} is not supported (0, 1, 2, 3 and 5 are read)`, info.ifdOffset);
  }
  if (info.planarConfig === 2 && spp > 1) return tiffErr('unsupported', `${where}: PlanarConfiguration=2 (separate colour planes) is not supported`, info.ifdOffset);
  if (info.predictor === 3) return tiffErr('unsupported', `${where}: floating-point predictor`, info.ifdOffset);
  const bps = info.bitsPerSample;
  const le = s.littleEndian;
  // Alpha: the first extra sample, if it is associated (1) or unassociated (2) alpha.
  const colourSamples = photo === 2 ? 3 : photo === 5 ? 4 : 1;
  const alphaKind = spp > colourSamples ? (info.extraSamples[0] ?? 0) : 0;
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < info.chunks.length; i++) {
    const c = info.chunks[i]!;
    const rows = Math.min(c.height, info.height - c.y);
    const rowBytes = Math.ceil((c.width * spp * bps) / 8);
    const raw = bytes.subarray(c.offset, c.offset + c.byteCount);
    const src = info.fillOrder === 2 && bps < 8 ? reverseBits(raw) : raw;
    const d0 = decompress(info, src, rowBytes * rows, `${where}: ${unit} ${i}`, c.offset);
    if (isErr(d0)) return err(d0);
    const d = info.predictor === 2 ? d0.slice() : d0;
    if (info.predictor === 2) undoPredictor(d, info, rowBytes, rows, spp, le);
    const w = Math.min(c.width, info.width - c.x);
    for (let y = 0; y < rows; y++) {
      const ro = y * rowBytes;
      const oo = (c.y + y) * info.width + c.x;
      for (let x = 0; x < w; x++) {
        const si = x * spp;
        let v: number;
        switch (photo) {
          case 0:
            v = 255 - sample8(d, ro, si, bps, le);
            break;
          case 1:
            v = sample8(d, ro, si, bps, le);
            break;
          case 2:
            v = Math.round(0.299 * sample8(d, ro, si, bps, le) + 0.587 * sample8(d, ro, si + 1, bps, le) + 0.114 * sample8(d, ro, si + 2, bps, le));
            break;
          case 3: {
            const k = sampleRaw(d, ro, si, bps);
            const n = 1 << bps;
            const cm = info.colorMap!;
            v = Math.round(0.299 * (cm[k]! >>> 8) + 0.587 * (cm[n + k]! >>> 8) + 0.114 * (cm[2 * n + k]! >>> 8));
            break;
          }
          case 5: {
            // CMYK → RGB by the naive complement (no colour management), then luma.
            const k = sample8(d, ro, si + 3, bps, le) / 255;
            const rr = 255 * (1 - sample8(d, ro, si, bps, le) / 255) * (1 - k);
            const gg = 255 * (1 - sample8(d, ro, si + 1, bps, le) / 255) * (1 - k);
            const bb = 255 * (1 - sample8(d, ro, si + 2, bps, le) / 255) * (1 - k);
            v = Math.round(0.299 * rr + 0.587 * gg + 0.114 * bb);
          }
        }
        if (alphaKind === 1 || alphaKind === 2) {
          const a = sample8(d, ro, si + colourSamples, bps, le);
          // Associated alpha is premultiplied: colour + white × (1 − a); unassociated: blend.
          v = alphaKind === 1 ? Math.min(255, Math.round(v + 255 - a)) : Math.round((v * a + 255 * (255 - a)) / 255);
        }
        out[oo + x] = v;
      }
    }
  }
  return ok({ kind: 'grey', image: withDpi({ width: info.width, height: info.height, data: out }, dpi?.x, dpi?.y) }, bytes.length);
}

/** Luma of entry `k` of a 1-bit colour map (2 entries per channel). */
function paletteLuma(cm: Uint16Array, k: number): number {
  return 0.299 * (cm[k] ?? 0) + 0.587 * (cm[2 + k] ?? 0) + 0.114 * (cm[4 + k] ?? 0);
}

/** Clears the bits beyond `width` in each row (the Bitmap invariant: padding bits are zero). */
export function maskPadding(data: Uint8Array, width: number, stride: number, height: number): void {
  const rem = width & 7;
  if (rem === 0) return;
  const mask = (0xff00 >>> rem) & 0xff;
  for (let y = 0; y < height; y++) data[y * stride + stride - 1]! &= mask;
}

/**
 * The structure and the fields of every page to read (thumbnails — reduced-resolution IFDs —
 * left out unless asked for), with the document budget checked over all of them from the tags
 * alone: no page is decoded before the whole document is known to fit.
 */
export function tiffPageInfos(
  bytes: Uint8Array,
  opts: TiffReadOptions & { readonly includeThumbnails?: boolean } = {},
): DecodeResult<{ readonly structure: TiffStructure; readonly infos: readonly TiffPageInfo[] }, TiffError> {
  const s = parseTiffStructure(bytes, opts);
  if (!s.ok) return s;
  const budget = new PixelBudget(opts);
  const infos: TiffPageInfo[] = [];
  for (let i = 0; i < s.value.ifds.length; i++) {
    const info = pageInfo(bytes, s.value, i, opts);
    if (!info.ok) return info;
    if (info.value.reducedResolution && !opts.includeThumbnails && s.value.ifds.length > 1) continue;
    const over = budget.take(info.value.width * info.value.height, `page ${i + 1} (${info.value.width}×${info.value.height})`);
    if (over !== undefined) return tiffErr('limit', over, info.value.ifdOffset);
    infos.push(info.value);
  }
  if (infos.length === 0) return tiffErr('no-pages', 'the file has only reduced-resolution (thumbnail) images', 0);
  return ok({ structure: s.value, infos }, bytes.length);
}

/** Reads every page of a TIFF file. Thumbnails (reduced-resolution IFDs) are left out unless asked for. */
export function readTiff(bytes: Uint8Array, opts: TiffReadOptions & { readonly includeThumbnails?: boolean } = {}): DecodeResult<TiffPage[], TiffError> {
  const r = tiffPageInfos(bytes, opts);
  if (!r.ok) return r;
  const pages: TiffPage[] = [];
  for (const info of r.value.infos) {
    const raster = decodeTiffPage(bytes, r.value.structure, info);
    if (!raster.ok) return raster;
    pages.push({ info, raster: raster.value });
  }
  return ok(pages, bytes.length);
}
