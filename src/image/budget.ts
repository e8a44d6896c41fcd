/**
 * Document budgets (issue 9, "Budgets on every input"). A document to fax is untrusted data: a
 * 20 KB TIFF can declare 200 pages of 12000 × 12000 pels sharing one strip, a 69-octet PNG an
 * image of 100 megapixels. Every reader therefore checks what a page *declares* (TIFF: the IFD
 * tags; PNG: IHDR; JPEG: the SOF frame header, T.81 §B.2.2; PDF: page count and page size ×
 * resolution) against the budget BEFORE it decodes the page, and refuses with a one-line typed
 * error instead of spending seconds and gigabytes first.
 *
 * The defaults fit real faxes generously:
 *  - `maxPages` 1000: a fax of a thousand pages takes some 10 hours at 14 400 bit/s; T.30 has
 *    no page limit, but no real job comes near it.
 *  - `maxPixels` 150 million per page: A3 at 600 dpi is 7016 × 9921 ≈ 70 M; a grey scan of A3 at
 *    800 dpi still fits (the reader's limit before this module existed).
 *  - `maxTotalPixels` 2 000 million per document: 250 A4 pages at superfine (1728 × 4574 ≈
 *    7.9 M), 500 at fine, the full 1000 pages at standard (1728 × 1143 ≈ 2 M), or about 230
 *    A4 pages scanned at 300 dpi (2480 × 3508 ≈ 8.7 M). Decoding costs a few ns per pixel, so
 *    the whole budget is tens of seconds of CPU, never minutes.
 *  - `maxPageLengthMm` 1000 (fax-page.ts): the longest page made for `paper: 'unlimited'`.
 *    T.30's DIS bits 19–20 "unlimited" recording length sets no number; a receiver still has to
 *    hold the page, and 1 m is over twice A3's 420 mm (the T.30 receiver's own bound is the same
 *    1 m, t30/phase-c.ts `MAX_RX_PAGE_LENGTH_MM`).
 *
 * A refusal is a value, not an exception (DESIGN.md habit 2): each reader returns its typed
 * error ('too-many-pages', 'too-large' for one page, 'limit' for the document's total and the
 * page length). Where geometry is computed by a function without a result type (`fitToFaxPage`),
 * the refusal is a thrown `FaxwireError` with code `FAXWIRE_ERR_LIMIT`, which the document
 * readers turn back into a 'limit' value.
 */

import { FaxwireError } from '../util/errors.js';

export const DEFAULT_MAX_PAGES = 1000;
export const DEFAULT_MAX_PIXELS = 150_000_000;
export const DEFAULT_MAX_TOTAL_PIXELS = 2_000_000_000;
export const DEFAULT_MAX_PAGE_LENGTH_MM = 1000;

/** What one document may cost; every field optional (the defaults above). */
export interface DocumentBudget {
  /** Most pages in one document (default 1000). */
  readonly maxPages?: number;
  /** Most pixels in one page, as the file declares it (default 150 million). */
  readonly maxPixels?: number;
  /** Most pixels over all pages of one document (default 2 000 million). */
  readonly maxTotalPixels?: number;
}

/** Pixel accounting over the pages of one document, page by page before each is decoded. */
export class PixelBudget {
  readonly maxPixels: number;
  readonly maxTotalPixels: number;
  private used = 0;

  constructor(b: DocumentBudget = {}) {
    this.maxPixels = b.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.maxTotalPixels = b.maxTotalPixels ?? DEFAULT_MAX_TOTAL_PIXELS;
  }

  /** Pixels counted so far. */
  get total(): number {
    return this.used;
  }

  /**
   * Counts a page of `pixels`; returns undefined when it fits the document budget, else the
   * one-line reason (the page is then not counted). The per-page limit is the caller's, since
   * each format words it (and coded it, 'too-large') before this module existed.
   */
  take(pixels: number, what: string): string | undefined {
    if (this.used + pixels > this.maxTotalPixels) {
      return `${what}: ${pixels} pixels would bring the document to ${this.used + pixels}, over maxTotalPixels ${this.maxTotalPixels}`;
    }
    this.used += pixels;
    return undefined;
  }
}

/** The thrown form of a budget refusal (geometry functions without a result type). */
export function limitError(message: string): FaxwireError {
  return new FaxwireError('FAXWIRE_ERR_LIMIT', message);
}

/** True for a `FaxwireError` with code `FAXWIRE_ERR_LIMIT`. */
export function isLimitError(e: unknown): e is FaxwireError {
  return e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_LIMIT';
}
