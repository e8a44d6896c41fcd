/**
 * Documents in and out. In: any PDF, TIFF (fax or not, any depth), PNG, JPEG or netpbm file
 * (recognised by its first octets, not its name) becomes a list of fax pages — T.4 page widths,
 * the chosen resolution and paper (fax-page.ts). Out: fax pages (a received document, with the
 * decoder's quality figures) become a TIFF Class F file, a PDF, PNG files or a PBM file.
 *
 * A page that already *is* a fax page (bilevel, a T.4 scan-line length and a fax resolution —
 * a received fax, or one made by this module) goes through untouched when no other resolution
 * is asked for, so a TIFF → PDF conversion of a received fax is lossless. Every other page is
 * rendered or resampled onto the fax grid.
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import type { Bitmap } from '../t4/bitmap.js';
import { DEFAULT_MAX_PIXELS, DEFAULT_MAX_TOTAL_PIXELS, isLimitError, type DocumentBudget } from './budget.js';
import { checkPageLength, detectFaxResolution, fitToFaxPage, placeOnPage, RESOLUTIONS, type FitOptions } from './fax-page.js';
import { bitmapToGrey, withDpi, type GreyImage } from './grey.js';
import { isJpeg, readJpeg, type JpegErrorCode } from './jpeg.js';
import { forEachPdfFaxPage, forEachPdfFaxPageRows, isPdf, readPdfFaxPages, type PdfErrorCode } from './pdf-read.js';
import { BitmapRowChanges } from './bilevel.js';
import { writePdf, type PdfWriteOptions } from './pdf-write.js';
import { readPnm, writePbm, type PnmErrorCode } from './pnm.js';
import { isPng, readPng, writePng, type PngErrorCode } from './png.js';
import { decodeTiffPage, readTiff, tiffPageInfos, type TiffErrorCode, type TiffPage } from './tiff-read.js';
import { writeTiff, type FaxPageQuality, type FaxRowsPage, type TiffWriteOptions } from './tiff-write.js';

export type DocumentFormat = 'tiff' | 'pdf' | 'png' | 'jpeg' | 'pnm';
export type OutputFormat = 'tiff' | 'pdf' | 'png' | 'pbm';

/**
 * Budget refusals (budget.ts) are 'too-many-pages', 'too-large' (one page over `maxPixels`, or a
 * single-image file over the document's pixels) and 'limit' (the pages together over
 * `maxTotalPixels`, a page longer than `maxPageLengthMm`).
 */
export type DocumentErrorCode = 'unknown-format' | 'limit' | TiffErrorCode | PnmErrorCode | PngErrorCode | JpegErrorCode | PdfErrorCode;

export interface DocumentError {
  readonly code: DocumentErrorCode;
  readonly message: string;
  readonly offset: number;
  readonly format?: DocumentFormat;
}

/** A fax page: the bilevel image and, for a received page, how well it decoded. */
export interface FaxPage {
  readonly bitmap: Bitmap;
  readonly quality?: FaxPageQuality;
}

/** A page as found in a document, before fitting to the fax grid. */
export type SourcePage =
  | { readonly kind: 'bilevel'; readonly bitmap: Bitmap; readonly quality?: FaxPageQuality }
  | { readonly kind: 'grey'; readonly image: GreyImage };

/** The format of a file from its first octets. */
export function sniffFormat(bytes: Uint8Array): DocumentFormat | undefined {
  if (bytes.length >= 4 && ((bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d))) {
    const v = bytes[0] === 0x49 ? bytes[2]! | (bytes[3]! << 8) : (bytes[2]! << 8) | bytes[3]!;
    if (v === 42 || v === 43) return 'tiff';
  }
  if (isPng(bytes)) return 'png';
  if (isJpeg(bytes)) return 'jpeg';
  if (bytes.length >= 3 && bytes[0] === 0x50 && bytes[1]! >= 0x31 && bytes[1]! <= 0x36 && [0x20, 0x09, 0x0a, 0x0d, 0x23].includes(bytes[2]!)) return 'pnm';
  if (isPdf(bytes)) return 'pdf';
  return undefined;
}

/**
 * Fitting options and the document budget (budget.ts: `maxPages`, `maxPixels`,
 * `maxTotalPixels`; fax-page.ts: `maxPageLengthMm` for unlimited paper). `resolution`
 * undefined: pages that already are fax pages keep theirs, every other page is made at 'fine'.
 */
export interface ToFaxOptions extends FitOptions, DocumentBudget {}

function docErr(format: DocumentFormat, e: { code: DocumentErrorCode; message: string; offset: number }): { ok: false; error: DocumentError } {
  return err({ code: e.code, message: e.message, offset: e.offset, format });
}

/** A single-image format's pixel limit: the page is the whole document. */
function singlePageLimit(opts: DocumentBudget): number {
  return Math.min(opts.maxPixels ?? DEFAULT_MAX_PIXELS, opts.maxTotalPixels ?? DEFAULT_MAX_TOTAL_PIXELS);
}

/** A TIFF page as a source page, with the decoder's or the file's quality figures. */
function tiffSourcePage(p: TiffPage): SourcePage {
  const q = p.raster.kind === 'bilevel' ? p.raster.quality : undefined;
  if (p.raster.kind === 'grey') return p.raster;
  const bitmap = p.raster.bitmap;
  if (!q || (q.badRows === 0 && q.missingRows === 0)) {
    // Keep the quality the file itself recorded, if any.
    if (p.info.badFaxLines !== undefined || p.info.cleanFaxData !== undefined) {
      const clean = p.info.cleanFaxData;
      return {
        kind: 'bilevel',
        bitmap,
        quality: {
          badRows: p.info.badFaxLines ?? 0,
          longestBadRun: p.info.consecutiveBadFaxLines ?? 0,
          ...(clean === 0 || clean === 1 || clean === 2 ? { cleanFaxData: clean } : {}),
        },
      };
    }
    return { kind: 'bilevel', bitmap };
  }
  return { kind: 'bilevel', bitmap, quality: { badRows: q.badRows + q.missingRows, longestBadRun: Math.max(q.longestBadRun, q.missingRows) } };
}

/**
 * The pages of a non-PDF document as they are (PDF pages have no pixels until rendered). The
 * budget is checked from the headers before any page is decoded.
 */
export function readRasterPages(bytes: Uint8Array, opts: DocumentBudget = {}): DecodeResult<SourcePage[], DocumentError> {
  const format = sniffFormat(bytes);
  switch (format) {
    case undefined:
      return err({ code: 'unknown-format', message: 'not a TIFF, PDF, PNG, JPEG or PBM/PGM/PPM file', offset: 0 });
    case 'pdf':
      return err({ code: 'unknown-format', message: 'a PDF has no raster pages; use documentToFaxPages', offset: 0, format });
    case 'tiff': {
      const r = readTiff(bytes, opts);
      if (!r.ok) return docErr(format, r.error);
      return ok(r.value.map(tiffSourcePage), bytes.length);
    }
    case 'png': {
      const r = readPng(bytes, singlePageLimit(opts));
      return r.ok ? ok([r.value], bytes.length) : docErr(format, r.error);
    }
    case 'jpeg': {
      const r = readJpeg(bytes, singlePageLimit(opts));
      return r.ok ? ok([{ kind: 'grey', image: r.value }], bytes.length) : docErr(format, r.error);
    }
    case 'pnm': {
      const r = readPnm(bytes, opts.maxPixels, opts);
      return r.ok ? ok(r.value, bytes.length) : docErr(format, r.error);
    }
  }
}

/**
 * One source page onto the fax grid (or through untouched, when it already is a fax page).
 * Throws FAXWIRE_ERR_LIMIT when the page would be longer than `maxPageLengthMm` (unlimited
 * paper), before anything is allocated for it.
 */
export function sourceToFaxPage(p: SourcePage, opts: ToFaxOptions = {}): FaxPage {
  const fit = { ...opts, resolution: opts.resolution ?? 'fine' } as const;
  if (p.kind === 'bilevel') {
    const res = detectFaxResolution(p.bitmap, opts.resolution ?? 'fine');
    if (res !== undefined && (opts.resolution === undefined || res === opts.resolution)) {
      const r = RESOLUTIONS[res];
      const bitmap = p.bitmap.xDpi !== undefined && p.bitmap.yDpi !== undefined ? p.bitmap : withDpi(p.bitmap, r.xDpi, r.yDpi);
      return p.quality ? { bitmap, quality: p.quality } : { bitmap };
    }
    const b = p.bitmap;
    checkPageLength(placeOnPage(b.width, b.height, b.xDpi !== undefined && b.yDpi !== undefined ? { x: b.xDpi, y: b.yDpi } : undefined, fit), fit);
    return { bitmap: fitToFaxPage(bitmapToGrey(b), fit) };
  }
  return { bitmap: fitToFaxPage(p.image, fit) };
}

/** `sourceToFaxPage` with a budget refusal as a value. */
function fitPage(p: SourcePage, opts: ToFaxOptions, format: DocumentFormat, page: number): DecodeResult<FaxPage, DocumentError> {
  try {
    return ok(sourceToFaxPage(p, opts), 0);
  } catch (e) {
    if (isLimitError(e)) return docErr(format, { code: 'limit', message: `page ${page}: ${e.message}`, offset: 0 });
    throw e;
  }
}

/**
 * Any supported document → fax pages. The document budget (`ToFaxOptions`) is checked before
 * each page is decoded — for TIFF over all pages from the IFD tags before the first — and TIFF
 * pages are decoded and fitted one at a time, so only one source page is held at once.
 */
export async function documentToFaxPages(bytes: Uint8Array, opts: ToFaxOptions = {}): Promise<DecodeResult<FaxPage[], DocumentError>> {
  const out: FaxPage[] = [];
  const r = await eachFaxPage(bytes, opts, false, (p) => void out.push(p));
  return r.ok ? ok(out, r.bytesRead) : r;
}

/**
 * The pages of `documentToFaxPages` one at a time: `onPage(page, index, count)` as each page is
 * ready, so a converter can code and drop it before the next is made. A PDF page's bitmap is
 * one buffer reused for every page: it is valid only during the call (code or copy it there).
 * Returns the number of pages, or the typed error of the first page that fails (the pages
 * before it were delivered); an exception thrown by `onPage` is rethrown as it is.
 */
export async function forEachFaxPage(bytes: Uint8Array, opts: ToFaxOptions, onPage: (page: FaxPage, index: number, count: number) => void): Promise<DecodeResult<number, DocumentError>> {
  let n = 0;
  const r = await eachFaxPage(bytes, opts, true, (p, i, count) => {
    n++;
    onPage(p, i, count);
  });
  return r.ok ? ok(n, r.bytesRead) : r;
}

/**
 * `forEachFaxPage` for a consumer that codes the pages (`TiffPageWriter.addRows`): each page as
 * rows of changing elements, with its resolution and quality. A PDF page is thresholded as it
 * is coded, straight from the renderer's buffer (pdf-read.ts `forEachPdfFaxPageRows`: no bilevel
 * page is made); every other page is the bitmap `forEachFaxPage` gives, read row by row. The
 * same pixels as `forEachFaxPage`; `page.rows` is valid only during the call.
 */
export async function forEachFaxPageRows(
  bytes: Uint8Array,
  opts: ToFaxOptions,
  onPage: (page: FaxRowsPage, index: number, count: number) => void,
): Promise<DecodeResult<number, DocumentError>> {
  if (sniffFormat(bytes) === 'pdf') {
    const r = await forEachPdfFaxPageRows(bytes, { ...opts, resolution: opts.resolution ?? 'fine' }, onPage);
    return r.ok ? r : docErr('pdf', r.error);
  }
  return forEachFaxPage(bytes, opts, (p, i, count) => {
    const b = p.bitmap;
    onPage({ rows: new BitmapRowChanges(b), xDpi: b.xDpi, yDpi: b.yDpi, quality: p.quality }, i, count);
  });
}

async function eachFaxPage(
  bytes: Uint8Array,
  opts: ToFaxOptions,
  reuse: boolean,
  onPage: (page: FaxPage, index: number, count: number) => void,
): Promise<DecodeResult<undefined, DocumentError>> {
  const format = sniffFormat(bytes);
  if (format === 'pdf') {
    const o = { ...opts, resolution: opts.resolution ?? 'fine' } as const;
    const each = (bitmap: Bitmap, i: number, count: number): void => onPage({ bitmap }, i, count);
    const r = reuse ? await forEachPdfFaxPage(bytes, o, each) : await readPdfFaxPages(bytes, o);
    if (!r.ok) return docErr('pdf', r.error);
    if (Array.isArray(r.value)) r.value.forEach((b, i, all) => each(b, i, all.length));
    return ok(undefined, bytes.length);
  }
  if (format === 'tiff') {
    const t = tiffPageInfos(bytes, opts);
    if (!t.ok) return docErr(format, t.error);
    const count = t.value.infos.length;
    for (const info of t.value.infos) {
      const raster = decodeTiffPage(bytes, t.value.structure, info);
      if (!raster.ok) return docErr(format, raster.error);
      const f = fitPage(tiffSourcePage({ info, raster: raster.value }), opts, format, info.index + 1);
      if (!f.ok) return f;
      onPage(f.value, info.index, count);
    }
    return ok(undefined, bytes.length);
  }
  const r = readRasterPages(bytes, opts);
  if (!r.ok) return r;
  for (let i = 0; i < r.value.length; i++) {
    const f = fitPage(r.value[i]!, opts, format ?? 'pnm', i + 1);
    if (!f.ok) return f;
    onPage(f.value, i, r.value.length);
  }
  return ok(undefined, bytes.length);
}

export interface WriteDocumentOptions {
  readonly tiff?: TiffWriteOptions;
  readonly pdf?: PdfWriteOptions;
  readonly png?: { readonly depth?: 1 | 8; readonly squarePixels?: boolean };
}

/**
 * Fax pages → file contents. TIFF, PDF and PBM give one file holding every page; PNG gives one
 * file per page.
 */
export async function writeDocument(pages: readonly FaxPage[], format: OutputFormat, opts: WriteDocumentOptions = {}): Promise<Uint8Array[]> {
  switch (format) {
    case 'tiff':
      return [writeTiff(pages, opts.tiff)];
    case 'pdf':
      return [await writePdf(pages.map((p) => p.bitmap), opts.pdf)];
    case 'png':
      return pages.map((p) => writePng(p.bitmap, opts.png));
    case 'pbm':
      return [writePbm(pages.map((p) => p.bitmap))];
  }
}
