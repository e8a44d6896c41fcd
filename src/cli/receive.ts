/**
 * `faxwire receive --out FILE` — answers a T.38 fax call (the answering party: CED, DIS) and
 * writes the pages received to a TIFF (Class F) or PDF file, chosen by the file's extension
 * (`.tif`/`.tiff`, `.pdf`; also `.png` — one file per page — and `.pbm`). Same transport and
 * options as `faxwire send`. Exit 0 only when the fax completed and at least one page arrived.
 */

import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDocument, type FaxPage, type OutputFormat } from '../image/document.js';
import type { T30Event } from '../t30/engine.js';
import { CALL_OPTIONS, CALL_USAGE, UsageError, callSettings, formatReport, runCall, type CallSettings } from './send.js';

export function outputFormatOf(file: string): OutputFormat | undefined {
  switch (extname(file).toLowerCase()) {
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

/** Collects the accepted pages from the engine's events (a page answered RTN comes again). */
export class PageCollector {
  readonly pages: FaxPage[] = [];
  rejected = 0;

  onEvent = (e: T30Event): void => {
    if (e.type !== 'page-rx-end') return;
    if (!e.accepted) {
      this.rejected++;
      return;
    }
    this.pages.push({ bitmap: e.bitmap, quality: { badRows: e.badRows, longestBadRun: e.longestBadRun } });
  };
}

/** Writes pages to `file` in `format` (PNG: file-1.png, file-2.png, …). */
export async function writePages(file: string, format: OutputFormat, pages: readonly FaxPage[]): Promise<string[]> {
  const parts = await writeDocument(pages, format);
  if (parts.length === 1 && format !== 'png') {
    await writeFile(file, parts[0] ?? new Uint8Array(0));
    return [file];
  }
  const base = file.slice(0, file.length - extname(file).length);
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const name = `${base}-${i + 1}${extname(file)}`;
    await writeFile(name, parts[i] ?? new Uint8Array(0));
    names.push(name);
  }
  return names;
}

export async function runReceive(args: string[]): Promise<number> {
  let settings: CallSettings;
  let out: string;
  let format: OutputFormat;
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...CALL_OPTIONS, out: { type: 'string', short: 'o' } } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    settings = callSettings(values);
    if (values.out === undefined) throw new UsageError('--out FILE (.tif or .pdf) is required');
    out = values.out;
    const f = outputFormatOf(out);
    if (f === undefined) throw new UsageError(`--out: cannot tell the format of '${out}' (use .tif, .tiff, .pdf, .png or .pbm)`);
    format = f;
  } catch (e) {
    process.stderr.write(`faxwire receive: ${e instanceof Error ? e.message : String(e)}\n\nusage: faxwire receive --out FILE.tif|FILE.pdf ...\n${CALL_USAGE}\n`);
    return 2;
  }
  const collector = new PageCollector();
  const { report } = await runCall('receive', settings, { role: 'answering', receive: true }, collector.onEvent);
  let written: string[] = [];
  if (collector.pages.length > 0) {
    try {
      written = await writePages(out, format, collector.pages);
    } catch (e) {
      process.stderr.write(`faxwire receive: cannot write ${out}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.stdout.write(`${formatReport('receive', report, settings.json)}\n`);
      return 1;
    }
  }
  if (settings.json) {
    process.stdout.write(`${JSON.stringify({ ...(JSON.parse(formatReport('receive', report, true)) as object), files: written })}\n`);
  } else {
    process.stdout.write(`${formatReport('receive', report, false)}${written.length > 0 ? ` out=${written.join(',')}` : ''}\n`);
  }
  return report.status === 'ok' && collector.pages.length > 0 ? 0 : 1;
}
