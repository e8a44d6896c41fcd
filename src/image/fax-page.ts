/**
 * Fax page geometry and the fitting of any document page onto it.
 *
 * Resolutions are those of T.30 Table 2 (DIS/DTC bits 15, 41–44: "R8 × 3.85 lines/mm" =
 * standard, "R8 × 7.7" = fine, "R8 × 15.4" = superfine, "R16 × 15.4", and the inch-based
 * 200 × 100 … 1200 × 1200 pels/25.4 mm). Scan-line lengths follow T.4 §2.2 / Table 1: 1728
 * pels for ISO A4 (and North American Letter and Legal, which share its 215 mm scan width),
 * 2048 for B4 and 2432 for A3 at 8 pels/mm or 200 pels/inch; 1.5 × those at 300, 2 × at
 * 16 pels/mm or 400, 3 × at 600 and 6 × at 1200 pels/inch. Page lengths are the paper's:
 * A4 297 mm, Letter 11 in, Legal 14 in, B4 364 mm, A3 420 mm, or unlimited (the page is as long as
 * the scaled source, up to `maxPageLengthMm`, 1 m by default: budget.ts). At a metric resolution the number of rows is length × lines/mm, so an A4
 * page has round(297 × 3.85) = 1143 rows at standard and round(297 × 7.7) = 2287 at fine.
 *
 * The nominal dpi written to TIFF tags for the metric resolutions are the customary 204 × 98 /
 * 196 / 391 (TIFF Class F), while the geometry uses the exact pels/mm.
 *
 * Fitting: the source is scaled (same factor on both axes, in millimetres, so the picture keeps
 * its aspect although fax pixels are not square), centred, and made bilevel by threshold or
 * error diffusion (grey.ts). A source of known size (a PDF page, an image with a resolution) is
 * only ever shrunk — a letter stays a letter — while a source without a resolution is scaled
 * to fill the page. A landscape source on a portrait page is turned a quarter turn when that
 * makes it larger.
 */

import { FaxwireError } from '../util/errors.js';
import { DEFAULT_MAX_PAGE_LENGTH_MM, limitError } from './budget.js';
import { bitmapStride, type Bitmap } from '../t4/bitmap.js';
import { thresholdRowsInto } from './bilevel.js';
import { greyToBitmap, withDpi, type BilevelOptions, type GreyImage } from './grey.js';
import { resizeGrey, rotateGrey90 } from './resample.js';

export type FaxResolution =
  | 'standard'
  | 'fine'
  | 'superfine'
  | 'r16x15.4'
  | '200x100'
  | '200x200'
  | '200x400'
  | '300x300'
  | '300x600'
  | '400x400'
  | '400x800'
  | '600x600'
  | '600x1200'
  | '1200x1200';

export interface ResolutionInfo {
  readonly name: FaxResolution;
  /** Nominal pixels per inch (what the TIFF/PNG/PDF resolution says). */
  readonly xDpi: number;
  readonly yDpi: number;
  /** Exact pixels per millimetre used for geometry. */
  readonly xPerMm: number;
  readonly yPerMm: number;
  /** Scan-line length factor relative to 1728 pels for A4 (T.4 Table 1). */
  readonly widthFactor: number;
}

const MM_PER_INCH = 25.4;

function metric(name: FaxResolution, xPerMm: number, yPerMm: number, xDpi: number, yDpi: number): ResolutionInfo {
  return { name, xDpi, yDpi, xPerMm, yPerMm, widthFactor: xPerMm / 8 };
}
function inch(name: FaxResolution, xDpi: number, yDpi: number): ResolutionInfo {
  return { name, xDpi, yDpi, xPerMm: xDpi / MM_PER_INCH, yPerMm: yDpi / MM_PER_INCH, widthFactor: xDpi / 200 };
}

export const RESOLUTIONS: Readonly<Record<FaxResolution, ResolutionInfo>> = {
  standard: metric('standard', 8, 3.85, 204, 98),
  fine: metric('fine', 8, 7.7, 204, 196),
  superfine: metric('superfine', 8, 15.4, 204, 391),
  'r16x15.4': metric('r16x15.4', 16, 15.4, 408, 391),
  '200x100': inch('200x100', 200, 100),
  '200x200': inch('200x200', 200, 200),
  '200x400': inch('200x400', 200, 400),
  '300x300': inch('300x300', 300, 300),
  '300x600': inch('300x600', 300, 600),
  '400x400': inch('400x400', 400, 400),
  '400x800': inch('400x800', 400, 800),
  '600x600': inch('600x600', 600, 600),
  '600x1200': inch('600x1200', 600, 1200),
  '1200x1200': inch('1200x1200', 1200, 1200),
};

export function isFaxResolution(s: string): s is FaxResolution {
  return Object.prototype.hasOwnProperty.call(RESOLUTIONS, s);
}

export type PaperSize = 'a4' | 'letter' | 'legal' | 'b4' | 'a3' | 'unlimited';

interface PaperInfo {
  /** Scan width class: A4 (and Letter/Legal) 1728, B4 2048, A3 2432 pels at 8/mm. */
  readonly baseWidth: 1728 | 2048 | 2432;
  /** Length in mm, or undefined for unlimited. */
  readonly lengthMm: number | undefined;
}

export const PAPERS: Readonly<Record<PaperSize, PaperInfo>> = {
  a4: { baseWidth: 1728, lengthMm: 297 },
  letter: { baseWidth: 1728, lengthMm: 11 * MM_PER_INCH },
  legal: { baseWidth: 1728, lengthMm: 14 * MM_PER_INCH },
  b4: { baseWidth: 2048, lengthMm: 364 },
  a3: { baseWidth: 2432, lengthMm: 420 },
  unlimited: { baseWidth: 1728, lengthMm: undefined },
};

export function isPaperSize(s: string): s is PaperSize {
  return Object.prototype.hasOwnProperty.call(PAPERS, s);
}

export interface FaxGeometry {
  readonly resolution: ResolutionInfo;
  /** Pels per row. */
  readonly width: number;
  /** Rows per page, or undefined for unlimited length. */
  readonly height: number | undefined;
}

export function faxGeometry(resolution: FaxResolution, paper: PaperSize): FaxGeometry {
  const r = RESOLUTIONS[resolution];
  const p = PAPERS[paper];
  return {
    resolution: r,
    width: Math.round(p.baseWidth * r.widthFactor),
    height: p.lengthMm === undefined ? undefined : Math.round(p.lengthMm * r.yPerMm),
  };
}

/** Every T.4 scan-line length at a resolution's horizontal density (A4, B4, A3). */
export function faxWidths(resolution: FaxResolution): number[] {
  const f = RESOLUTIONS[resolution].widthFactor;
  return [1728, 2048, 2432].map((w) => Math.round(w * f));
}

/**
 * The fax resolution a bilevel bitmap already has, if it is a fax page: a T.4 scan-line length
 * and a resolution within 3 % of one of RESOLUTIONS (204 and 200 dpi both count as 8 pels/mm).
 * Without a resolution on the bitmap, `assume` is taken when the width fits it.
 */
export function detectFaxResolution(b: Bitmap, assume?: FaxResolution): FaxResolution | undefined {
  const near = (a: number, c: number): boolean => Math.abs(a - c) <= 0.03 * c;
  if (b.xDpi === undefined || b.yDpi === undefined) {
    if (assume !== undefined && faxWidths(assume).includes(b.width)) return assume;
    return undefined;
  }
  // Prefer the exact nominal values, then the tolerant match.
  const all = Object.values(RESOLUTIONS);
  const hit =
    all.find((r) => r.xDpi === b.xDpi && r.yDpi === b.yDpi && faxWidths(r.name).includes(b.width)) ??
    all.find((r) => near(b.xDpi!, r.xDpi) && near(b.yDpi!, r.yDpi) && faxWidths(r.name).includes(b.width));
  return hit?.name;
}

export interface FitOptions extends BilevelOptions {
  /** Default 'fine'. */
  readonly resolution?: FaxResolution;
  /** Default 'a4'. */
  readonly paper?: PaperSize;
  /**
   * 'auto' (default): shrink-only when the source has a physical size, scale to fill otherwise.
   * 'fill': always scale to fill the page. 'shrink': never enlarge (a source without a
   * resolution is then taken as square pixels at the fax's horizontal density).
   */
  readonly fit?: 'auto' | 'fill' | 'shrink';
  /** 'auto' (default): a landscape source on a portrait page is turned when it then gets larger. */
  readonly rotate?: 'auto' | 'never';
  /**
   * With `paper: 'unlimited'`: the longest page, mm (default 1000, budget.ts
   * `DEFAULT_MAX_PAGE_LENGTH_MM`). A source that would make a longer page is refused
   * (FAXWIRE_ERR_LIMIT), before any pixel of it is allocated.
   */
  readonly maxPageLengthMm?: number;
}

export interface Placement {
  /** Page size in pels/rows. */
  readonly pageWidth: number;
  readonly pageHeight: number;
  /** Where the scaled source goes and how big it is. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly rotate: boolean;
}

/**
 * Where a source of `srcW × srcH` pixels (at `dpi`, if known) goes on the fax page. Pure
 * geometry, exported for tests and for the PDF renderer (which renders straight at the target
 * size instead of resampling).
 */
export function placeOnPage(srcW: number, srcH: number, dpi: { x: number; y: number } | undefined, opts: FitOptions = {}): Placement {
  const g = faxGeometry(opts.resolution ?? 'fine', opts.paper ?? 'a4');
  const r = g.resolution;
  const known = dpi !== undefined && dpi.x > 0 && dpi.y > 0;
  const fit = opts.fit ?? 'auto';
  // Source size in mm. An unknown resolution is taken as square pixels at the fax's
  // horizontal density (so 'shrink' maps one source pixel to one pel across).
  const sw0 = known ? (srcW / dpi.x) * MM_PER_INCH : srcW / r.xPerMm;
  const sh0 = known ? (srcH / dpi.y) * MM_PER_INCH : srcH / r.xPerMm;
  const pw = g.width / r.xPerMm;
  const ph = g.height === undefined ? Infinity : g.height / r.yPerMm;
  const enlarge = fit === 'fill' || (fit === 'auto' && !known);
  const scaleFor = (w: number, h: number): number => {
    const s = Math.min(pw / w, ph / h);
    return enlarge ? s : Math.min(1, s);
  };
  let rotate = false;
  let sw = sw0;
  let sh = sh0;
  let s = scaleFor(sw, sh);
  if ((opts.rotate ?? 'auto') === 'auto' && g.height !== undefined && sw0 > sh0 * 1.05) {
    const sr = scaleFor(sh0, sw0);
    if (sr > s * 1.05) {
      rotate = true;
      sw = sh0;
      sh = sw0;
      s = sr;
    }
  }
  const width = Math.max(1, Math.min(g.width, Math.round(sw * s * r.xPerMm)));
  const h0 = Math.max(1, Math.round(sh * s * r.yPerMm));
  const height = g.height === undefined ? h0 : Math.min(g.height, h0);
  const pageHeight = g.height ?? height;
  return {
    pageWidth: g.width,
    pageHeight,
    x: Math.floor((g.width - width) / 2),
    y: Math.floor((pageHeight - height) / 2),
    width,
    height,
    rotate,
  };
}

/**
 * Throws FAXWIRE_ERR_LIMIT when a placement on unlimited paper is longer than
 * `opts.maxPageLengthMm`. Sized papers are bounded by their length already.
 */
export function checkPageLength(p: Placement, opts: FitOptions = {}): void {
  const r = RESOLUTIONS[opts.resolution ?? 'fine'];
  const max = opts.maxPageLengthMm ?? DEFAULT_MAX_PAGE_LENGTH_MM;
  const mm = p.pageHeight / r.yPerMm;
  if (mm > max) {
    throw limitError(`the page would be ${Math.round(mm)} mm long (${p.pageWidth}×${p.pageHeight} pels), over maxPageLengthMm ${max}`);
  }
}

/** Puts `img` (already of the placement's size) on a white page of the placement's size. */
export function composePage(img: GreyImage, p: Placement, r: ResolutionInfo): GreyImage {
  if (img.width !== p.width || img.height !== p.height) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `composePage: image ${img.width}×${img.height} is not the placement's ${p.width}×${p.height}`);
  }
  const out = new Uint8Array(p.pageWidth * p.pageHeight).fill(255);
  for (let y = 0; y < p.height; y++) {
    out.set(img.data.subarray(y * img.width, (y + 1) * img.width), (p.y + y) * p.pageWidth + p.x);
  }
  return withDpi({ width: p.pageWidth, height: p.pageHeight, data: out }, r.xDpi, r.yDpi);
}

/** A grey page of any size and resolution → a fax page (scaled, centred, made bilevel). */
export function fitToFaxPage(src: GreyImage, opts: FitOptions = {}): Bitmap {
  const dpi = src.xDpi !== undefined && src.yDpi !== undefined ? { x: src.xDpi, y: src.yDpi } : undefined;
  const p = placeOnPage(src.width, src.height, dpi, opts);
  checkPageLength(p, opts);
  const r = RESOLUTIONS[opts.resolution ?? 'fine'];
  const turned = p.rotate ? rotateGrey90(src, 'ccw') : src;
  const scaled = resizeGrey(turned, p.width, p.height);
  return faxPageToBitmap(composePage(scaled, p, r), opts);
}

/**
 * A grey page already on the fax grid → bilevel: dithered, or thresholded with thin strokes
 * kept (bilevel.ts, row by row). Every raster document path ends here; PDF pages take the same
 * kernel straight from the renderer's buffer.
 */
export function faxPageToBitmap(page: GreyImage, opts: BilevelOptions = {}): Bitmap {
  if ((opts.method ?? 'threshold') !== 'threshold') return greyToBitmap(page, opts);
  const stride = bitmapStride(page.width);
  const data = new Uint8Array(stride * page.height);
  thresholdRowsInto({ data: page.data, offset: 0, stride: page.width, width: page.width, height: page.height }, opts.threshold ?? 128, true, data, stride);
  return withDpi({ width: page.width, height: page.height, stride, data }, page.xDpi, page.yDpi);
}
