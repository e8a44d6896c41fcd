/**
 * `faxwire convert <in> <out> [--resolution R] [--compression mh|mr|mmr] [--paper P] [--dither]
 *   [--max-pages N] [--max-pixels N] [--max-total-pixels N] [--max-page-length MM]`
 *
 * Converts any document faxwire reads (PDF, TIFF of any kind, PNG, JPEG, PBM/PGM/PPM — the input
 * format is recognised from the file's content) into fax pages, written in the format the output
 * name's extension says: .tif/.tiff (TIFF Class F, --compression, default MH), .pdf (one CCITT G4
 * image per page), .png (one file per page: with several pages, out.png becomes out-1.png,
 * out-2.png, …) or .pbm (raw PBM, all pages one after another in the one file).
 *
 * A received fax (bilevel, fax width and resolution) keeps its pixels unless --resolution asks
 * for another resolution; everything else is scaled to the page (--paper, default A4), centred,
 * and thresholded, or dithered with --dither (for photographs).
 *
 * The document budget (image/budget.ts) bounds what an input may cost before any page of it is
 * decoded: pages (default 1000), pixels of one page (150 million) and of all pages (2000
 * million), and the page length on unlimited paper (1000 mm). A file over it is refused with one
 * line naming the budget and its option.
 *
 * The output is written atomically (temporary file, fsync, rename): a failure leaves no partial
 * file, and the message names the step and path that failed. Rows the decoder had to conceal
 * (corrupt T.4/T.6 data in the input) are reported on the result line and as a warning.
 *
 * Exit status: 0 done, 1 the input could not be read or the output not written, 2 usage.
 */

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  documentToFaxPages,
  forEachFaxPageRows,
  isFaxResolution,
  TiffPageWriter,
  writeDocument,
  isPaperSize,
  RESOLUTIONS,
  type FaxResolution,
  type PaperSize,
  type TiffCompression,
  type ToFaxOptions,
  type DocumentError,
  type FaxPageQuality,
} from '../image/index.js';
import { UsageError, parseCommandArgs } from './command.js';
import { FileOpError } from '../node/atomic-file.js';
import { outputFormatOf, writeFiles } from './pages-out.js';

export const USAGE = `usage: faxwire convert <in.pdf|tif|png|jpg|pbm> <out.tif|pdf|png|pbm> [--resolution standard|fine|superfine|…] [--compression mh|mr|mmr] [--paper a4|letter|legal|b4|a3|unlimited] [--dither] [--max-pages N] [--max-pixels N] [--max-total-pixels N] [--max-page-length MM]
  Converts a document (any format faxwire reads, recognised by its content) to fax pages in the
  format the output name says: .tif/.tiff (TIFF Class F, --compression, default mh), .pdf (CCITT
  G4 images), .png (one file per page: out-1.png, out-2.png, … for several) or .pbm. A received
  fax keeps its pixels unless --resolution asks for another; anything else is scaled to
  --paper (default a4), centred, and thresholded, or dithered with --dither (photographs).
  Budget (an input over it is refused before it is decoded): --max-pages (default 1000),
  --max-pixels per page (150000000), --max-total-pixels per document (2000000000),
  --max-page-length in mm for --paper unlimited (1000).
  The output is written atomically (never a partial file); rows of a received fax that could
  not be decoded are concealed and counted ("N concealed (bad) rows") on the result line.
  Exit status 0 done, 1 the input could not be read or the output not written, 2 bad arguments.`;

/** Which option raises the budget a refusal names. */
function budgetHint(code: string, message: string): string {
  switch (code) {
    case 'limit':
      return message.includes('maxPageLengthMm') ? ' (see --max-page-length)' : ' (see --max-total-pixels)';
    case 'too-large':
      return ' (see --max-pixels)';
    case 'too-many-pages':
      return ' (see --max-pages)';
    default:
      return '';
  }
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      resolution: { type: 'string' },
      compression: { type: 'string', default: 'mh' },
      paper: { type: 'string', default: 'a4' },
      dither: { type: 'boolean', default: false },
      'max-pages': { type: 'string' },
      'max-pixels': { type: 'string' },
      'max-total-pixels': { type: 'string' },
      'max-page-length': { type: 'string' },
    },
  });
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const maxPages = positive('max-pages', values['max-pages']);
  const maxPixels = positive('max-pixels', values['max-pixels']);
  const maxTotalPixels = positive('max-total-pixels', values['max-total-pixels']);
  const maxPageLengthMm = positive('max-page-length', values['max-page-length']);
  if (positionals.length !== 2) throw new UsageError(positionals.length < 2 ? 'needs an input and an output file' : 'too many arguments');
  const [input, output] = positionals as [string, string];
  const format = outputFormatOf(output);
  if (!format) throw new UsageError(`cannot write '${extname(output) || output}': the output name must end in .tif, .tiff, .pdf, .png or .pbm`);
  let resolution: FaxResolution | undefined;
  if (values.resolution !== undefined) {
    if (!isFaxResolution(values.resolution)) throw new UsageError(`unknown --resolution '${values.resolution}' (${Object.keys(RESOLUTIONS).join(', ')})`);
    resolution = values.resolution;
  }
  const comp = values.compression;
  if (comp !== 'mh' && comp !== 'mr' && comp !== 'mmr') throw new UsageError(`unknown --compression '${comp}' (mh, mr or mmr)`);
  const compression: TiffCompression = comp;
  const paper = values.paper;
  if (!isPaperSize(paper)) throw new UsageError(`unknown --paper '${paper}' (a4, letter, legal, b4, a3, unlimited)`);
  const paperSize: PaperSize = paper;

  let bytes: Uint8Array;
  try {
    bytes = await readFile(input);
  } catch (e) {
    process.stderr.write(`faxwire convert: cannot read ${input}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const opts: ToFaxOptions = {
    paper: paperSize,
    method: values.dither ? 'dither' : 'threshold',
    ...(resolution ? { resolution } : {}),
    ...(maxPages !== undefined ? { maxPages } : {}),
    ...(maxPixels !== undefined ? { maxPixels } : {}),
    ...(maxTotalPixels !== undefined ? { maxTotalPixels } : {}),
    ...(maxPageLengthMm !== undefined ? { maxPageLengthMm } : {}),
  };
  // TIFF: each page is coded as soon as it is made and dropped, so a long document never holds
  // all its pages; a PDF page is even thresholded as it is coded, row by row from the
  // renderer's buffer, without a bilevel page in between (image/bilevel.ts GreyRowChanges).
  // The other formats take all the pages.
  let summary: PagesSummary;
  let files: Uint8Array[] | undefined;
  if (format === 'tiff') {
    const tiff = new TiffPageWriter({ compression });
    const s = new PagesSummary();
    const r = await forEachFaxPageRows(bytes, opts, (p) => {
      s.add(p.rows, p.xDpi, p.yDpi, p.quality);
      tiff.addRows(p);
    });
    if (!r.ok) return refused(input, r.error);
    files = [tiff.finish()];
    summary = s;
  } else {
    const pages = await documentToFaxPages(bytes, opts);
    if (!pages.ok) return refused(input, pages.error);
    summary = new PagesSummary();
    for (const p of pages.value) summary.add(p.bitmap, p.bitmap.xDpi, p.bitmap.yDpi, p.quality);
    files = await writeDocument(pages.value, format);
  }
  let names: string[];
  try {
    // Atomic: each file goes to a temporary name, is synced and renamed; a failure leaves nothing behind.
    names = await writeFiles(output, format, files);
  } catch (e) {
    // A FileOpError already says which step failed on which path ("cannot create …: EROFS").
    const why = e instanceof FileOpError ? e.message : `cannot write ${output}: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`faxwire convert: ${why}\n`);
    return 1;
  }
  const first = summary.first!;
  const dpi = first.xDpi !== undefined ? `, ${first.xDpi}×${first.yDpi} dpi` : '';
  // Rows the T.4/T.6 decoder could not read and concealed (repeated the row above), over all pages.
  const { concealed, badPages, count } = summary;
  process.stdout.write(
    `${input} → ${names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`}: ${count} page${count === 1 ? '' : 's'}, ${first.width}×${first.height}${dpi}${format === 'tiff' ? `, ${compression.toUpperCase()}` : ''}` +
      `${concealed > 0 ? `, ${concealed} concealed (bad) row${concealed === 1 ? '' : 's'} on ${badPages} page${badPages === 1 ? '' : 's'}` : ''}\n`,
  );
  if (concealed > 0) process.stderr.write(`faxwire convert: warning: ${input}: ${concealed} row${concealed === 1 ? '' : 's'} could not be decoded and ${concealed === 1 ? 'was' : 'were'} concealed\n`);
  return 0;
}

/** What the result line says of the pages: the first page's size and resolution, the counts. */
class PagesSummary {
  first: { readonly width: number; readonly height: number; readonly xDpi?: number | undefined; readonly yDpi?: number | undefined } | undefined;
  count = 0;
  concealed = 0;
  badPages = 0;

  add(size: { readonly width: number; readonly height: number }, xDpi: number | undefined, yDpi: number | undefined, quality: FaxPageQuality | undefined): void {
    this.first ??= { width: size.width, height: size.height, xDpi, yDpi };
    this.count++;
    const bad = quality?.badRows ?? 0;
    this.concealed += bad;
    if (bad > 0) this.badPages++;
  }
}

/** The one-line refusal of an input (exit status 1). */
function refused(input: string, error: DocumentError): number {
  const fmt = error.format ? `${error.format.toUpperCase()} ` : '';
  const c = error.code;
  const what = c === 'limit' || c === 'too-large' || c === 'too-many-pages' ? `${fmt}file over the budget` : `bad ${fmt}file`;
  process.stderr.write(`faxwire convert: ${input}: ${what} (${c}): ${error.message}${budgetHint(c, error.message)}\n`);
  return 1;
}
