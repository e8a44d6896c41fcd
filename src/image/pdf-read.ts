/**
 * PDF in: each page rendered by MuPDF (the `mupdf` WASM build) straight onto the fax grid —
 * the page's size in points (1/72 in, ISO 32000-1 §8.3.2.3) gives its size in mm, the fit of
 * fax-page.ts gives the target pixels, and the page is drawn with a separate horizontal and
 * vertical scale (fax pixels are not square) into 8-bit DeviceGray. MuPDF's anti-aliasing
 * computes each pixel's coverage, which is the area averaging a downsampler would do, so the
 * result is thresholded or dithered as it is.
 *
 * MuPDF is loaded on first use (a dynamic import: it instantiates a large WASM module), so
 * code that never reads a PDF never pays for it. MuPDF throws on broken files; that becomes a
 * `PdfError`. Its warnings are collected rather than printed.
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import type { Bitmap } from '../t4/bitmap.js';
import { DEFAULT_MAX_PAGES, isLimitError, limitError, PixelBudget, type DocumentBudget } from './budget.js';
import { checkPageLength, composePage, faxPageToBitmap, placeOnPage, RESOLUTIONS, type FitOptions } from './fax-page.js';
import { withDpi, type GreyImage } from './grey.js';
import { rotateGrey90 } from './resample.js';

/** 'limit': a page over the document budget (total pixels, page length), checked before it is rendered. */
export type PdfErrorCode = 'bad-pdf' | 'encrypted' | 'no-pages' | 'too-many-pages' | 'limit';

export interface PdfError {
  readonly code: PdfErrorCode;
  readonly message: string;
  readonly offset: number;
}


type Mupdf = typeof import('mupdf');
let mupdfPromise: Promise<Mupdf> | undefined;
const warnings: string[] = [];

async function loadMupdf(): Promise<Mupdf> {
  mupdfPromise ??= import('mupdf').then((m) => {
    m.setLog({ error: (s: string) => warnings.push(s), warning: (s: string) => warnings.push(s) });
    return m;
  });
  return mupdfPromise;
}

export function isPdf(bytes: Uint8Array): boolean {
  // "%PDF-" within the first 1024 octets (ISO 32000-1 §7.5.2; readers tolerate leading junk).
  const n = Math.min(bytes.length - 4, 1024);
  for (let i = 0; i < n; i++) {
    if (bytes[i] === 0x25 && bytes[i + 1] === 0x50 && bytes[i + 2] === 0x44 && bytes[i + 3] === 0x46 && bytes[i + 4] === 0x2d) return true;
  }
  return false;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Opens a PDF and calls `each` for every page with the page's size in points. */
async function withPages<T>(
  bytes: Uint8Array,
  maxPages: number,
  each: (m: Mupdf, page: import('mupdf').Page, wPt: number, hPt: number, index: number) => T,
): Promise<DecodeResult<T[], PdfError>> {
  const m = await loadMupdf();
  warnings.length = 0;
  let doc: import('mupdf').Document;
  try {
    doc = m.Document.openDocument(bytes, 'application/pdf');
  } catch (e) {
    return err({ code: 'bad-pdf', message: `PDF does not open: ${message(e)}`, offset: 0 });
  }
  try {
    if (doc.needsPassword()) return err({ code: 'encrypted', message: 'PDF is password-protected', offset: 0 });
    let n: number;
    try {
      n = doc.countPages();
    } catch (e) {
      return err({ code: 'bad-pdf', message: `PDF page tree is unreadable: ${message(e)}`, offset: 0 });
    }
    if (n <= 0) return err({ code: 'no-pages', message: 'PDF has no pages', offset: 0 });
    if (n > maxPages) return err({ code: 'too-many-pages', message: `PDF has ${n} pages, over maxPages ${maxPages}`, offset: 0 });
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      let page: import('mupdf').Page | undefined;
      try {
        page = doc.loadPage(i);
        const [x0, y0, x1, y1] = page.getBounds();
        const w = x1 - x0;
        const h = y1 - y0;
        if (!(w > 0 && h > 0)) return err({ code: 'bad-pdf', message: `page ${i + 1} has an empty size ${w}×${h} pt`, offset: 0 });
        out.push(each(m, page, w, h, i));
      } catch (e) {
        if (isLimitError(e)) return err({ code: 'limit', message: `page ${i + 1}: ${e.message}`, offset: 0 });
        return err({ code: 'bad-pdf', message: `page ${i + 1} does not render: ${message(e)}`, offset: 0 });
      } finally {
        page?.destroy();
      }
    }
    return ok(out, bytes.length);
  } finally {
    doc.destroy();
  }
}

/** Renders `page` to grey at exactly w × h pixels, scaling x and y separately. */
function render(m: Mupdf, page: import('mupdf').Page, wPt: number, hPt: number, w: number, h: number): GreyImage {
  const [x0, y0] = page.getBounds();
  const ctm = m.Matrix.concat(m.Matrix.translate(-x0, -y0), m.Matrix.scale(w / wPt, h / hPt));
  const pix = page.toPixmap(ctm, m.ColorSpace.DeviceGray, false);
  try {
    const px = pix.getPixels();
    const stride = pix.getStride();
    const pw = pix.getWidth();
    const ph = pix.getHeight();
    const n = pix.getNumberOfComponents() + pix.getAlpha();
    // MuPDF rounds the page box outwards to whole pixels: copy the overlap into an exact grid.
    const out = new Uint8Array(w * h).fill(255);
    for (let y = 0; y < Math.min(h, ph); y++) {
      for (let x = 0; x < Math.min(w, pw); x++) out[y * w + x] = px[y * stride + x * n]!;
    }
    return { width: w, height: h, data: out };
  } finally {
    pix.destroy();
  }
}

/**
 * Every page as a fax page (rendered at the fax resolution, fitted, made bilevel). Before each
 * page is rendered its fax size (page size × resolution) is checked against the page length and
 * counted against the document's pixel budget (budget.ts).
 */
export async function readPdfFaxPages(bytes: Uint8Array, opts: FitOptions & DocumentBudget = {}): Promise<DecodeResult<Bitmap[], PdfError>> {
  const r = RESOLUTIONS[opts.resolution ?? 'fine'];
  const budget = new PixelBudget(opts);
  return withPages(bytes, opts.maxPages ?? DEFAULT_MAX_PAGES, (m, page, wPt, hPt) => {
    const p = placeOnPage(wPt, hPt, { x: 72, y: 72 }, opts);
    checkPageLength(p, opts);
    const over = budget.take(p.pageWidth * p.pageHeight, `${p.pageWidth}×${p.pageHeight} pels`);
    if (over !== undefined) throw limitError(over);
    const img = p.rotate ? rotateGrey90(render(m, page, wPt, hPt, p.height, p.width), 'ccw') : render(m, page, wPt, hPt, p.width, p.height);
    return faxPageToBitmap(composePage(img, p, r), opts);
  });
}

/** Every page rendered to grey at `dpi` (square pixels unless given apart), within the budget. */
export async function renderPdf(bytes: Uint8Array, dpi: number | { x: number; y: number }, limits: DocumentBudget = {}): Promise<DecodeResult<GreyImage[], PdfError>> {
  const d = typeof dpi === 'number' ? { x: dpi, y: dpi } : dpi;
  const budget = new PixelBudget(limits);
  return withPages(bytes, limits.maxPages ?? DEFAULT_MAX_PAGES, (m, page, wPt, hPt) => {
    const w = Math.max(1, Math.round((wPt * d.x) / 72));
    const h = Math.max(1, Math.round((hPt * d.y) / 72));
    if (w * h > budget.maxPixels) throw limitError(`${w}×${h} pixels at ${d.x}×${d.y} dpi, over maxPixels ${budget.maxPixels}`);
    const over = budget.take(w * h, `${w}×${h} pixels`);
    if (over !== undefined) throw limitError(over);
    return withDpi(render(m, page, wPt, hPt, w, h), d.x, d.y);
  });
}

/** MuPDF's warnings from the last call (for diagnostics). */
export function lastPdfWarnings(): readonly string[] {
  return warnings.slice();
}
