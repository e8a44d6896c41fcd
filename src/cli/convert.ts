/**
 * `faxwire convert <in> <out> [--resolution R] [--compression mh|mr|mmr] [--paper P] [--dither]`
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
  isFaxResolution,
  isPaperSize,
  RESOLUTIONS,
  type FaxResolution,
  type PaperSize,
  type TiffCompression,
  type ToFaxOptions,
} from '../image/index.js';
import { UsageError, parseCommandArgs } from './command.js';
import { FileOpError } from '../node/atomic-file.js';
import { concealedRows, outputFormatOf, writePages } from './pages-out.js';

export const USAGE = `usage: faxwire convert <in.pdf|tif|png|jpg|pbm> <out.tif|pdf|png|pbm> [--resolution standard|fine|superfine|…] [--compression mh|mr|mmr] [--paper a4|letter|legal|b4|a3|unlimited] [--dither]
  Converts a document (any format faxwire reads, recognised by its content) to fax pages in the
  format the output name says: .tif/.tiff (TIFF Class F, --compression, default mh), .pdf (CCITT
  G4 images), .png (one file per page: out-1.png, out-2.png, … for several) or .pbm. A received
  fax keeps its pixels unless --resolution asks for another; anything else is scaled to
  --paper (default a4), centred, and thresholded, or dithered with --dither (photographs).
  The output is written atomically (never a partial file); rows of a received fax that could
  not be decoded are concealed and counted ("N concealed (bad) rows") on the result line.
  Exit status 0 done, 1 the input could not be read or the output not written, 2 bad arguments.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      resolution: { type: 'string' },
      compression: { type: 'string', default: 'mh' },
      paper: { type: 'string', default: 'a4' },
      dither: { type: 'boolean', default: false },
    },
  });
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
  const opts: ToFaxOptions = { paper: paperSize, method: values.dither ? 'dither' : 'threshold', ...(resolution ? { resolution } : {}) };
  const pages = await documentToFaxPages(bytes, opts);
  if (!pages.ok) {
    const fmt = pages.error.format ? `${pages.error.format.toUpperCase()} ` : '';
    process.stderr.write(`faxwire convert: ${input}: bad ${fmt}file (${pages.error.code}): ${pages.error.message}\n`);
    return 1;
  }
  let names: string[];
  try {
    // Atomic: each file goes to a temporary name, is synced and renamed; a failure leaves nothing behind.
    names = await writePages(output, format, pages.value, { tiff: { compression } });
  } catch (e) {
    // A FileOpError already says which step failed on which path ("cannot create …: EROFS").
    const why = e instanceof FileOpError ? e.message : `cannot write ${output}: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`faxwire convert: ${why}\n`);
    return 1;
  }
  const first = pages.value[0]!.bitmap;
  const dpi = first.xDpi !== undefined ? `, ${first.xDpi}×${first.yDpi} dpi` : '';
  // Rows the T.4/T.6 decoder could not read and concealed (repeated the row above), over all pages.
  const concealed = concealedRows(pages.value);
  const badPages = pages.value.filter((p) => (p.quality?.badRows ?? 0) > 0).length;
  process.stdout.write(
    `${input} → ${names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`}: ${pages.value.length} page${pages.value.length === 1 ? '' : 's'}, ${first.width}×${first.height}${dpi}${format === 'tiff' ? `, ${compression.toUpperCase()}` : ''}` +
      `${concealed > 0 ? `, ${concealed} concealed (bad) row${concealed === 1 ? '' : 's'} on ${badPages} page${badPages === 1 ? '' : 's'}` : ''}\n`,
  );
  if (concealed > 0) process.stderr.write(`faxwire convert: warning: ${input}: ${concealed} row${concealed === 1 ? '' : 's'} could not be decoded and ${concealed === 1 ? 'was' : 'were'} concealed\n`);
  return 0;
}
