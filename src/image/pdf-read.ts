/**
 * PDF in: each page rendered by PDFium (Google's PDF engine, BSD-3-Clause; the WebAssembly build
 * of `@embedpdf/pdfium`, MIT) straight onto the fax grid. The page's size in points (1/72 in,
 * ISO 32000-1 §8.3.2.3, after its /Rotate) gives its size in mm, the fit of fax-page.ts gives
 * the target pixels, and the page is drawn with a separate horizontal and vertical scale (fax
 * pixels are not square, T.4 §2.1) — turned a quarter when the fit says so, and offset to its
 * place on the page — into one 8-bit grey bitmap of the whole fax page inside PDFium's heap.
 * PDFium's anti-aliasing computes each pixel's coverage, which is the area averaging a
 * downsampler would do, so that buffer goes straight to the row-wise threshold (bilevel.ts)
 * or, for dithering, is copied out once.
 *
 * PDFium is loaded on first use (a dynamic import: it instantiates a 4.6 MB WASM module), so
 * code that never reads a PDF never pays for it. PDFium reports a file it cannot open through
 * FPDF_GetLastError (fpdfview.h: FPDF_ERR_FILE, _FORMAT, _PASSWORD, _SECURITY, _PAGE); those
 * become a `PdfError`. An exception out of the WASM module (an abort, a trap, the heap
 * exhausted) also becomes a `PdfError`, and the module is dropped, to be instantiated afresh
 * by the next call: its state after a trap is not to be trusted.
 *
 * Memory: every document, page and bitmap PDFium allocates is released in a `finally` as soon
 * as its page is done, and the grey samples of all pages share one buffer that is freed with the
 * document, so the heap holds one page's grey bitmap at a time (plus the file).
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import { FaxwireError } from '../util/errors.js';
import { bitmapStride, type Bitmap } from '../t4/bitmap.js';
import { DEFAULT_MAX_PAGES, isLimitError, limitError, PixelBudget, type DocumentBudget } from './budget.js';
import { BitmapRowChanges, GreyRowChanges, thresholdRowsInto } from './bilevel.js';
import type { FaxRowsPage } from './tiff-write.js';
import { checkPageLength, placeOnPage, RESOLUTIONS, type FitOptions, type Placement } from './fax-page.js';
import { greyToBitmap, withDpi, type GreyImage } from './grey.js';

/** 'limit': a page over the document budget (total pixels, page length), checked before it is rendered. */
export type PdfErrorCode = 'bad-pdf' | 'encrypted' | 'no-pages' | 'too-many-pages' | 'limit';

export interface PdfError {
  readonly code: PdfErrorCode;
  readonly message: string;
  readonly offset: number;
}

type Pdfium = import('@embedpdf/pdfium').WrappedPdfiumModule;

let pdfiumPromise: Promise<Pdfium> | undefined;

async function loadPdfium(): Promise<Pdfium> {
  pdfiumPromise ??= import('@embedpdf/pdfium').then(async (m) => {
    // In Node the module finds pdfium.wasm beside itself.
    const p = await m.init({});
    p.PDFiumExt_Init();
    return p;
  });
  try {
    return await pdfiumPromise;
  } catch (e) {
    pdfiumPromise = undefined;
    throw e;
  }
}

/**
 * The module's heap as octets. Emscripten's HEAPU8 (typed in @types/emscripten, which the
 * package's declarations reference but do not bring) is re-made when the heap grows: fetch it
 * after every call that may allocate.
 */
function heap(p: Pdfium): Uint8Array {
  return (p.pdfium as unknown as { readonly HEAPU8: Uint8Array }).HEAPU8;
}

/** fpdfview.h FPDF_GetLastError codes. */
const FPDF_ERR = ['success', 'unknown error', 'file not found or unreadable', 'not a PDF or corrupted', 'password required', 'unsupported security scheme', 'page not found or content error'];
const FPDF_ERR_PASSWORD = 4;
const FPDF_ERR_SECURITY = 5;
/** fpdfview.h: FPDFBitmap_Gray, one octet per pixel. */
const FPDFBITMAP_GRAY = 1;
/** fpdfview.h render flags: FPDF_ANNOT (draw annotations' appearance streams, as a viewer or printer does). */
const FPDF_ANNOT = 0x01;
/**
 * FPDF_RENDER_NO_SMOOTHTEXT: glyphs drawn without anti-aliasing, for fax pages. FreeType's
 * monochrome rendering hints stems onto whole pixels, so small text at standard resolution keeps
 * its strokes as well as the coverage greys plus the thin-stroke rule do (better in places: the
 * bar of a 7 pt "e" no longer falls between two rows). Rasterising costs the same, but glyph
 * edges are no longer mid greys for the threshold's thin-stroke rule to examine (on the convert
 * bench's page: 111 000 → 21 000 of them; render + threshold of 20 fine pages 320 → 290 ms
 * CPU). Paths and images keep their anti-aliasing: hairline rules and photographs need it.
 */
const FPDF_RENDER_NO_SMOOTHTEXT = 0x1000;

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

/** A page open in PDFium, with its size in points. */
interface OpenPage {
  readonly p: Pdfium;
  readonly page: number;
  readonly wPt: number;
  readonly hPt: number;
  /** 40 octets of PDFium heap for an FS_MATRIX and an FS_RECTF (the clip). */
  readonly scratch: number;
  /** The document's pixel buffer in PDFium's heap (see `renderGrey`), grown on demand, freed with the document. */
  readonly pixels: { at: number; size: number };
}

/**
 * Opens a PDF and calls `each` for every page with the page's size in points. Returns the
 * typed error for anything the file does wrong, and frees all PDFium memory before returning.
 */
async function withPages<T>(bytes: Uint8Array, maxPages: number, each: (page: OpenPage, index: number, count: number) => T): Promise<DecodeResult<T[], PdfError>> {
  let p: Pdfium;
  try {
    p = await loadPdfium();
  } catch (e) {
    return err({ code: 'bad-pdf', message: `PDF renderer does not load: ${message(e)}`, offset: 0 });
  }
  let buf = 0;
  let doc = 0;
  let scratch = 0;
  const pixels = { at: 0, size: 0 };
  let page = 0;
  let trapped = false;
  try {
    // FPDF_LoadMemDocument reads the file in place for the document's life: it is copied into
    // the heap once and freed after the document is closed.
    buf = p.pdfium.wasmExports.malloc(Math.max(1, bytes.length));
    if (buf === 0) return err({ code: 'bad-pdf', message: `no memory for a PDF of ${bytes.length} octets`, offset: 0 });
    heap(p).set(bytes, buf);
    doc = p.FPDF_LoadMemDocument(buf, bytes.length, '');
    if (doc === 0) {
      const code = p.FPDF_GetLastError();
      const why = FPDF_ERR[code] ?? `error ${code}`;
      if (code === FPDF_ERR_PASSWORD) return err({ code: 'encrypted', message: 'PDF is password-protected', offset: 0 });
      if (code === FPDF_ERR_SECURITY) return err({ code: 'encrypted', message: `PDF uses an unsupported security handler (${why})`, offset: 0 });
      return err({ code: 'bad-pdf', message: `PDF does not open: ${why}`, offset: 0 });
    }
    const n = p.FPDF_GetPageCount(doc);
    if (n <= 0) return err({ code: 'no-pages', message: 'PDF has no pages', offset: 0 });
    if (n > maxPages) return err({ code: 'too-many-pages', message: `PDF has ${n} pages, over maxPages ${maxPages}`, offset: 0 });
    scratch = p.pdfium.wasmExports.malloc(40);
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      page = p.FPDF_LoadPage(doc, i);
      if (page === 0) return err({ code: 'bad-pdf', message: `page ${i + 1} does not load: ${FPDF_ERR[p.FPDF_GetLastError()] ?? 'unknown error'}`, offset: 0 });
      const w = p.FPDF_GetPageWidthF(page);
      const h = p.FPDF_GetPageHeightF(page);
      if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) return err({ code: 'bad-pdf', message: `page ${i + 1} has an empty size ${w}×${h} pt`, offset: 0 });
      try {
        out.push(each({ p, page, wPt: w, hPt: h, scratch, pixels }, i, n));
      } catch (e) {
        if (e instanceof CallerError) throw e;
        if (isLimitError(e)) return err({ code: 'limit', message: `page ${i + 1}: ${e.message}`, offset: 0 });
        if (e instanceof PdfiumFailure) return err({ code: 'bad-pdf', message: `page ${i + 1} does not render: ${e.message}`, offset: 0 });
        throw e;
      }
      p.FPDF_ClosePage(page);
      page = 0;
    }
    return ok(out, bytes.length);
  } catch (e) {
    // The caller's own callback threw: its exception, after PDFium's memory is freed (finally).
    if (e instanceof CallerError) throw e.error;
    // Out of the WASM module: a trap or an abort. Not the file's typed error, but still the
    // file's doing; the module is not reused (our own errors leave it sound).
    trapped = !(e instanceof FaxwireError);
    return err({ code: 'bad-pdf', message: `PDF renderer failed: ${message(e)}`, offset: 0 });
  } finally {
    if (trapped) {
      pdfiumPromise = undefined;
    } else {
      if (page !== 0) p.FPDF_ClosePage(page);
      if (doc !== 0) p.FPDF_CloseDocument(doc);
      if (scratch !== 0) p.pdfium.wasmExports.free(scratch);
      if (pixels.at !== 0) p.pdfium.wasmExports.free(pixels.at);
      if (buf !== 0) p.pdfium.wasmExports.free(buf);
    }
  }
}

/** PDFium refused a step (a bitmap it could not allocate): the page's typed error. */
class PdfiumFailure extends Error {}

/** An exception out of a caller's per-page callback, carried past the renderer's handlers unchanged. */
class CallerError extends Error {
  constructor(readonly error: unknown) {
    super('caller error');
  }
}

/**
 * Renders an open page into a grey bitmap of `bw × bh` in PDFium's heap (white paper), the page
 * mapped by the matrix `m` (a b c d e f, ISO 32000-1 §8.3.3, from PDFium's page space: points,
 * origin top-left, y down, /Rotate applied) and clipped to `clip` (left top right bottom in
 * pixels), then calls `use` with the samples (valid only during the call).
 *
 * The samples live in one buffer per document (`o.pixels`, grown for a larger page), which the
 * bitmap only wraps (FPDFBitmap_CreateEx with an external buffer): a bitmap of its own would be
 * allocated zeroed and then filled white by PDFium (FPDFBitmap_FillRect), two passes of
 * WebAssembly memset over 4 MB per fine A4 page (≈ 2 ms of CPU a page, measured), where the
 * paper is one native `fill` here. Rows are 4-aligned (stride a multiple of 4) for the
 * threshold's word path.
 */
function renderGrey<T>(
  o: OpenPage,
  bw: number,
  bh: number,
  m: readonly [number, number, number, number, number, number],
  clip: readonly [number, number, number, number],
  flags: number,
  use: (data: Uint8Array, offset: number, stride: number) => T,
): T {
  const { p, page, scratch, pixels } = o;
  const stride = (bw + 3) & ~3;
  const size = stride * bh;
  if (pixels.size < size) {
    if (pixels.at !== 0) p.pdfium.wasmExports.free(pixels.at);
    pixels.size = 0;
    pixels.at = p.pdfium.wasmExports.malloc(size);
    if (pixels.at === 0) throw new PdfiumFailure(`no memory for a ${bw}×${bh} bitmap`);
    pixels.size = size;
  }
  const bmp = p.FPDFBitmap_CreateEx(bw, bh, FPDFBITMAP_GRAY, pixels.at, stride);
  if (bmp === 0) throw new PdfiumFailure(`no memory for a ${bw}×${bh} bitmap`);
  try {
    // HEAPU8 is re-made when the heap grows: fetched after every call that may allocate.
    heap(p).fill(0xff, pixels.at, pixels.at + size);
    const f = new Float32Array(heap(p).buffer, scratch, 10);
    f.set(m);
    f.set(clip, 6);
    p.FPDF_RenderPageBitmapWithMatrix(bmp, page, scratch, scratch + 24, flags);
    return use(heap(p), pixels.at, stride);
  } finally {
    p.FPDFBitmap_Destroy(bmp);
  }
}

/**
 * The whole fax page of placement `pl` rendered: the page scaled to the placement's size (each
 * axis apart), turned counter-clockwise when `pl.rotate` (the top of the page to the left edge,
 * as `rotateGrey90(…, 'ccw')` does), put at (x, y) on white paper.
 */
function renderFaxPage<T>(o: OpenPage, pl: Placement, use: (data: Uint8Array, offset: number, stride: number) => T): T {
  const clip = [pl.x, pl.y, pl.x + pl.width, pl.y + pl.height] as const;
  const flags = FPDF_ANNOT | FPDF_RENDER_NO_SMOOTHTEXT;
  if (!pl.rotate) {
    return renderGrey(o, pl.pageWidth, pl.pageHeight, [pl.width / o.wPt, 0, 0, pl.height / o.hPt, pl.x, pl.y], clip, flags, use);
  }
  // Page point (X, Y) → pixel (Y·sx + x, (wPt − X)·sy + y), with sx = width / hPt, sy = height / wPt.
  const sx = pl.width / o.hPt;
  const sy = pl.height / o.wPt;
  return renderGrey(o, pl.pageWidth, pl.pageHeight, [0, -sy, sx, 0, pl.x, o.wPt * sy + pl.y], clip, flags, use);
}

/**
 * Every page as a fax page (rendered at the fax resolution, fitted, made bilevel). Before each
 * page is rendered its fax size (page size × resolution) is checked against the page length and
 * counted against the document's pixel budget (budget.ts).
 */
export async function readPdfFaxPages(bytes: Uint8Array, opts: FitOptions & DocumentBudget = {}): Promise<DecodeResult<Bitmap[], PdfError>> {
  const pages: Bitmap[] = [];
  const r = await faxPages(bytes, opts, false, (b) => void pages.push(b));
  return r.ok ? ok(pages, r.bytesRead) : r;
}

/**
 * The pages of `readPdfFaxPages` one at a time, as each is rendered: `onPage(bitmap, index,
 * count)` for page `index` of `count`. The bitmap's octets are one buffer reused for every page
 * (valid only during the call: code or copy it there), so a document of any length holds one
 * grey page in PDFium's heap and one bilevel page here. Returns the number of pages, or the
 * typed error of the first page that fails (the pages before it were delivered); an exception
 * thrown by `onPage` ends the document and is rethrown as it is.
 */
export async function forEachPdfFaxPage(
  bytes: Uint8Array,
  opts: FitOptions & DocumentBudget,
  onPage: (page: Bitmap, index: number, count: number) => void,
): Promise<DecodeResult<number, PdfError>> {
  return faxPages(bytes, opts, true, onPage);
}

/**
 * The pages of `forEachPdfFaxPage` as rows of changing elements (bilevel.ts `GreyRowChanges`)
 * read straight off the renderer's grey buffer, for a consumer that codes them
 * (`TiffPageWriter.addRows`): the same pixels, without a bilevel page in between. `page.rows`
 * is valid only during the call.
 */
export async function forEachPdfFaxPageRows(
  bytes: Uint8Array,
  opts: FitOptions & DocumentBudget,
  onPage: (page: FaxRowsPage, index: number, count: number) => void,
): Promise<DecodeResult<number, PdfError>> {
  return faxPages(bytes, opts, true, () => undefined, onPage);
}

async function faxPages(
  bytes: Uint8Array,
  opts: FitOptions & DocumentBudget,
  reuse: boolean,
  onPage: (page: Bitmap, index: number, count: number) => void,
  /** Given: the pages go here as rows instead (`onPage` is not called). */
  onRows?: (page: FaxRowsPage, index: number, count: number) => void,
): Promise<DecodeResult<number, PdfError>> {
  const r = RESOLUTIONS[opts.resolution ?? 'fine'];
  const budget = new PixelBudget(opts);
  const threshold = opts.threshold ?? 128;
  // Misuse throws before any work (as greyToBitmap would).
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 255) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `threshold ${threshold} not in 1…255`);
  const dither = (opts.method ?? 'threshold') === 'dither';
  let buffer = new Uint8Array(0);
  const res = await withPages(bytes, opts.maxPages ?? DEFAULT_MAX_PAGES, (o, index, count) => {
    const pl = placeOnPage(o.wPt, o.hPt, { x: 72, y: 72 }, opts);
    checkPageLength(pl, opts);
    const over = budget.take(pl.pageWidth * pl.pageHeight, `${pl.pageWidth}×${pl.pageHeight} pels`);
    if (over !== undefined) throw limitError(over);
    const width = pl.pageWidth;
    const height = pl.pageHeight;
    if (onRows !== undefined && !dither) {
      // Thresholded as it is coded, from PDFium's buffer (valid while `use` runs).
      renderFaxPage(o, pl, (d, offset, s) => {
        const rows = new GreyRowChanges({ data: d, offset, stride: s, width, height }, threshold, true);
        try {
          onRows({ rows, xDpi: r.xDpi, yDpi: r.yDpi }, index, count);
        } catch (e) {
          throw new CallerError(e);
        }
      });
      return;
    }
    let page: Bitmap;
    if (dither) {
      const g = renderFaxPage(o, pl, (d, at, stride) => copyGrey(d, at, stride, width, height));
      page = greyToBitmap(withDpi(g, r.xDpi, r.yDpi), opts);
    } else {
      const stride = bitmapStride(width);
      const size = stride * height;
      // One buffer for all pages when streaming (grown for a larger page); thresholdRowsInto
      // writes every octet of the rows, so nothing of the previous page shows through.
      if (!reuse) buffer = new Uint8Array(size);
      else if (buffer.length < size) buffer = new Uint8Array(size);
      const data = buffer.length === size ? buffer : buffer.subarray(0, size);
      renderFaxPage(o, pl, (d, offset, s) => thresholdRowsInto({ data: d, offset, stride: s, width, height }, threshold, true, data, stride));
      page = withDpi({ width, height, stride, data }, r.xDpi, r.yDpi);
    }
    try {
      if (onRows !== undefined) onRows({ rows: new BitmapRowChanges(page), xDpi: page.xDpi, yDpi: page.yDpi }, index, count);
      else onPage(page, index, count);
    } catch (e) {
      throw new CallerError(e);
    }
  });
  return res.ok ? ok(res.value.length, res.bytesRead) : res;
}

/** `width × height` grey samples out of a strided buffer, rows packed. */
function copyGrey(d: Uint8Array, at: number, stride: number, width: number, height: number): GreyImage {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) out.set(d.subarray(at + y * stride, at + y * stride + width), y * width);
  return { width, height, data: out };
}

/**
 * Every page rendered to grey at `dpi` (square pixels unless given apart), within the budget.
 * Text is anti-aliased unless `smoothText` is false (as fax pages are rendered).
 */
export async function renderPdf(
  bytes: Uint8Array,
  dpi: number | { x: number; y: number },
  limits: DocumentBudget = {},
  opts: { readonly smoothText?: boolean } = {},
): Promise<DecodeResult<GreyImage[], PdfError>> {
  const flags = opts.smoothText === false ? FPDF_ANNOT | FPDF_RENDER_NO_SMOOTHTEXT : FPDF_ANNOT;
  const d = typeof dpi === 'number' ? { x: dpi, y: dpi } : dpi;
  const budget = new PixelBudget(limits);
  return withPages(bytes, limits.maxPages ?? DEFAULT_MAX_PAGES, (o) => {
    const w = Math.max(1, Math.round((o.wPt * d.x) / 72));
    const h = Math.max(1, Math.round((o.hPt * d.y) / 72));
    if (w * h > budget.maxPixels) throw limitError(`${w}×${h} pixels at ${d.x}×${d.y} dpi, over maxPixels ${budget.maxPixels}`);
    const over = budget.take(w * h, `${w}×${h} pixels`);
    if (over !== undefined) throw limitError(over);
    const g = renderGrey(o, w, h, [w / o.wPt, 0, 0, h / o.hPt, 0, 0], [0, 0, w, h], flags, (data, at, stride) => copyGrey(data, at, stride, w, h));
    return withDpi(g, d.x, d.y);
  });
}

/** A PDF page's size in points (1/72 in), as displayed: after its /Rotate. */
export interface PdfPageSize {
  readonly width: number;
  readonly height: number;
}

/** The number of pages and each page's size, without rendering (within `maxPages`). */
export async function pdfPageSizes(bytes: Uint8Array, limits: Pick<DocumentBudget, 'maxPages'> = {}): Promise<DecodeResult<PdfPageSize[], PdfError>> {
  return withPages(bytes, limits.maxPages ?? DEFAULT_MAX_PAGES, (o) => ({ width: o.wPt, height: o.hPt }));
}

/**
 * Octets of the renderer's WebAssembly heap (undefined before the first PDF). The heap grows
 * and never shrinks, so a size that stays put over many documents shows that every document,
 * page and bitmap was freed (a diagnostic for tests and benches).
 */
export async function pdfRendererHeapBytes(): Promise<number | undefined> {
  if (pdfiumPromise === undefined) return undefined;
  try {
    return heap(await pdfiumPromise).length;
  } catch {
    return undefined;
  }
}

/** Kept for callers of the MuPDF era: PDFium reports no warnings, so this is always empty. */
export function lastPdfWarnings(): readonly string[] {
  return [];
}
