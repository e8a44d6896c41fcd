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
 * Exit status: 0 done, 1 the input could not be read or the output not written, 2 usage.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  documentToFaxPages,
  isFaxResolution,
  isPaperSize,
  RESOLUTIONS,
  writeDocument,
  type FaxResolution,
  type OutputFormat,
  type PaperSize,
  type TiffCompression,
  type ToFaxOptions,
} from '../image/index.js';

export const CONVERT_USAGE =
  'usage: faxwire convert <in.pdf|tif|png|jpg|pbm> <out.tif|pdf|png|pbm> [--resolution standard|fine|superfine|…] [--compression mh|mr|mmr] [--paper a4|letter|legal|b4|a3|unlimited] [--dither]\n';

function outputFormat(path: string): OutputFormat | undefined {
  switch (extname(path).toLowerCase()) {
    case '.tif':
    case '.tiff':
      return 'tiff';
    case '.pdf':
      return 'pdf';
    case '.png':
      return 'png';
    case '.pbm':
      return 'pbm';
    default:
      return undefined;
  }
}

/** out.png → out-1.png, out-2.png … when there are several pages. */
export function pngPageNames(out: string, pages: number): string[] {
  if (pages <= 1) return [out];
  const ext = extname(out);
  const stem = basename(out, ext);
  return Array.from({ length: pages }, (_, i) => join(dirname(out), `${stem}-${i + 1}${ext}`));
}

function usage(msg: string): number {
  process.stderr.write(`faxwire convert: ${msg}\n${CONVERT_USAGE}`);
  return 2;
}

export async function runConvert(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        resolution: { type: 'string' },
        compression: { type: 'string', default: 'mh' },
        paper: { type: 'string', default: 'a4' },
        dither: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 2) return usage(positionals.length < 2 ? 'needs an input and an output file' : 'too many arguments');
  const [input, output] = positionals as [string, string];
  const format = outputFormat(output);
  if (!format) return usage(`cannot write '${extname(output) || output}': the output name must end in .tif, .tiff, .pdf, .png or .pbm`);
  let resolution: FaxResolution | undefined;
  if (values.resolution !== undefined) {
    if (!isFaxResolution(values.resolution)) return usage(`unknown --resolution '${values.resolution}' (${Object.keys(RESOLUTIONS).join(', ')})`);
    resolution = values.resolution;
  }
  const comp = values.compression;
  if (comp !== 'mh' && comp !== 'mr' && comp !== 'mmr') return usage(`unknown --compression '${comp}' (mh, mr or mmr)`);
  const compression: TiffCompression = comp;
  const paper = values.paper;
  if (!isPaperSize(paper)) return usage(`unknown --paper '${paper}' (a4, letter, legal, b4, a3, unlimited)`);
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
  const files = await writeDocument(pages.value, format, { tiff: { compression } });
  const names = format === 'png' ? pngPageNames(output, files.length) : [output];
  try {
    for (let i = 0; i < files.length; i++) await writeFile(names[i]!, files[i]!);
  } catch (e) {
    process.stderr.write(`faxwire convert: cannot write ${output}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const first = pages.value[0]!.bitmap;
  const dpi = first.xDpi !== undefined ? `, ${first.xDpi}×${first.yDpi} dpi` : '';
  process.stdout.write(
    `${input} → ${names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`}: ${pages.value.length} page${pages.value.length === 1 ? '' : 's'}, ${first.width}×${first.height}${dpi}${format === 'tiff' ? `, ${compression.toUpperCase()}` : ''}\n`,
  );
  return 0;
}
