/**
 * PDF out: each fax page becomes one PDF page showing one image XObject whose data is the page
 * coded in T.6 (MMR) — the CCITTFaxDecode filter of ISO 32000-1 §7.4.6 — so the file is small
 * and the pixels are exactly the received ones. Built with pdf-lib's low-level objects (no
 * re-encoding by the library). The page size follows from the resolution: a 1728-pel row at
 * 204 dpi is 1728 / 204 × 72 = 609.9 pt wide, and 1143 rows at 98 lines/inch are 839.8 pt —
 * an A4 page whatever the fax resolution.
 *
 * Polarity (ISO 32000-1 §7.4.6, Table 11, BlackIs1, default false): with BlackIs1 false the
 * filter delivers 0 for the pixels the T.4/T.6 code calls black and 1 for white, which is what
 * /DeviceGray with 1 bit per component and the default /Decode [0 1] paints as black and white.
 * Our Bitmap's 1 = black is the same as T.6's "black" run colour, so we code the bitmap as it is
 * and write /BlackIs1 false. (BlackIs1 true would deliver black as 1, which DeviceGray paints
 * white — a negative — unless /Decode [1 0] inverts it back.)
 *
 * ```
 *  n 0 obj << /Type /XObject /Subtype /Image /Width w /Height h /ColorSpace /DeviceGray
 *             /BitsPerComponent 1 /Filter /CCITTFaxDecode
 *             /DecodeParms << /K -1 /Columns w /Rows h /BlackIs1 false >> /Length … >>
 *  stream … T.6 data … endstream
 *  page content:  q W 0 0 H 0 0 cm /Im1 Do Q        (W × H = page size in points)
 * ```
 * No clock is read here: the document gets no dates unless the caller passes one. pdf-lib is
 * loaded on first use (it takes longer to load than the rest of the CLI together).
 */

import { FaxwireError } from '../util/errors.js';
import type { Bitmap } from '../t4/bitmap.js';
import { encodeCcitt } from './ccitt.js';

export interface PdfWriteOptions {
  /** Resolution for bitmaps that carry none; default 204 × 196 (fax fine). */
  readonly defaultDpi?: { readonly x: number; readonly y: number };
  readonly title?: string;
  /** Default "faxwire". */
  readonly producer?: string;
  /** CreationDate/ModDate, when the caller has a clock. */
  readonly date?: Date;
}

export async function writePdf(pages: readonly Bitmap[], opts: PdfWriteOptions = {}): Promise<Uint8Array> {
  if (pages.length === 0) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'writePdf: no pages');
  const { concatTransformationMatrix, drawObject, PDFDocument, popGraphicsState, pushGraphicsState } = await import('pdf-lib');
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setProducer(opts.producer ?? 'faxwire');
  doc.setCreator(opts.producer ?? 'faxwire');
  if (opts.title !== undefined) doc.setTitle(opts.title);
  if (opts.date !== undefined) {
    doc.setCreationDate(opts.date);
    doc.setModificationDate(opts.date);
  }
  for (const b of pages) {
    if (b.width <= 0 || b.height <= 0) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `writePdf: empty page ${b.width}×${b.height}`);
    const xd = b.xDpi ?? opts.defaultDpi?.x ?? 204;
    const yd = b.yDpi ?? opts.defaultDpi?.y ?? 196;
    const data = encodeCcitt(b.data.subarray(0, b.stride * b.height), {
      compression: 4,
      twoD: true,
      uncompressedMode: false,
      fillBits: false,
      width: b.width,
      rows: b.height,
      lsbFirst: false,
    });
    const ctx = doc.context;
    const image = ctx.stream(data, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: b.width,
      Height: b.height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 1,
      Filter: 'CCITTFaxDecode',
      DecodeParms: { K: -1, Columns: b.width, Rows: b.height, BlackIs1: false },
    });
    const ref = ctx.register(image);
    const w = (b.width / xd) * 72;
    const h = (b.height / yd) * 72;
    const page = doc.addPage([w, h]);
    const name = page.node.newXObject('Im', ref);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(w, 0, 0, h, 0, 0), drawObject(name), popGraphicsState());
  }
  return doc.save({ useObjectStreams: false });
}
