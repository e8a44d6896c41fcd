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
import { detectFaxResolution, fitToFaxPage, RESOLUTIONS, type FitOptions } from './fax-page.js';
import { bitmapToGrey, withDpi, type GreyImage } from './grey.js';
import { isJpeg, readJpeg, type JpegErrorCode } from './jpeg.js';
import { isPdf, readPdfFaxPages, type PdfErrorCode } from './pdf-read.js';
import { writePdf, type PdfWriteOptions } from './pdf-write.js';
import { readPnm, writePbm, type PnmErrorCode } from './pnm.js';
import { isPng, readPng, writePng, type PngErrorCode } from './png.js';
import { readTiff, type TiffErrorCode, type TiffReadOptions } from './tiff-read.js';
import { writeTiff, type FaxPageQuality, type TiffWriteOptions } from './tiff-write.js';

export type DocumentFormat = 'tiff' | 'pdf' | 'png' | 'jpeg' | 'pnm';
export type OutputFormat = 'tiff' | 'pdf' | 'png' | 'pbm';

export type DocumentErrorCode = 'unknown-format' | TiffErrorCode | PnmErrorCode | PngErrorCode | JpegErrorCode | PdfErrorCode;

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
 * Fitting options and TIFF limits. `resolution` undefined: pages that already are fax pages keep
 * theirs, every other page is made at 'fine'.
 */
export interface ToFaxOptions extends FitOptions, TiffReadOptions {}

function docErr(format: DocumentFormat, e: { code: DocumentErrorCode; message: string; offset: number }): { ok: false; error: DocumentError } {
  return err({ code: e.code, message: e.message, offset: e.offset, format });
}

/** The pages of a non-PDF document as they are (PDF pages have no pixels until rendered). */
export function readRasterPages(bytes: Uint8Array, opts: TiffReadOptions = {}): DecodeResult<SourcePage[], DocumentError> {
  const format = sniffFormat(bytes);
  switch (format) {
    case undefined:
      return err({ code: 'unknown-format', message: 'not a TIFF, PDF, PNG, JPEG or PBM/PGM/PPM file', offset: 0 });
    case 'pdf':
      return err({ code: 'unknown-format', message: 'a PDF has no raster pages; use documentToFaxPages', offset: 0, format });
    case 'tiff': {
      const r = readTiff(bytes, opts);
      if (!r.ok) return docErr(format, r.error);
      return ok(
        r.value.map((p): SourcePage => {
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
        }),
        bytes.length,
      );
    }
    case 'png': {
      const r = readPng(bytes, opts.maxPixels);
      return r.ok ? ok([r.value], bytes.length) : docErr(format, r.error);
    }
    case 'jpeg': {
      const r = readJpeg(bytes, opts.maxPixels);
      return r.ok ? ok([{ kind: 'grey', image: r.value }], bytes.length) : docErr(format, r.error);
    }
    case 'pnm': {
      const r = readPnm(bytes, opts.maxPixels);
      return r.ok ? ok(r.value, bytes.length) : docErr(format, r.error);
    }
  }
}

/** One source page onto the fax grid (or through untouched, when it already is a fax page). */
export function sourceToFaxPage(p: SourcePage, opts: ToFaxOptions = {}): FaxPage {
  if (p.kind === 'bilevel') {
    const res = detectFaxResolution(p.bitmap, opts.resolution ?? 'fine');
    if (res !== undefined && (opts.resolution === undefined || res === opts.resolution)) {
      const r = RESOLUTIONS[res];
      const bitmap = p.bitmap.xDpi !== undefined && p.bitmap.yDpi !== undefined ? p.bitmap : withDpi(p.bitmap, r.xDpi, r.yDpi);
      return p.quality ? { bitmap, quality: p.quality } : { bitmap };
    }
    return { bitmap: fitToFaxPage(bitmapToGrey(p.bitmap), { ...opts, resolution: opts.resolution ?? 'fine' }) };
  }
  return { bitmap: fitToFaxPage(p.image, { ...opts, resolution: opts.resolution ?? 'fine' }) };
}

/** Any supported document → fax pages. */
export async function documentToFaxPages(bytes: Uint8Array, opts: ToFaxOptions = {}): Promise<DecodeResult<FaxPage[], DocumentError>> {
  if (sniffFormat(bytes) === 'pdf') {
    const r = await readPdfFaxPages(bytes, { ...opts, resolution: opts.resolution ?? 'fine' });
    return r.ok ? ok(r.value.map((bitmap) => ({ bitmap })), bytes.length) : docErr('pdf', r.error);
  }
  const r = readRasterPages(bytes, opts);
  if (!r.ok) return r;
  return ok(
    r.value.map((p) => sourceToFaxPage(p, opts)),
    bytes.length,
  );
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
