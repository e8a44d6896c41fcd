/**
 * Writing fax pages to files, for every command that writes them (receive, demo, convert): the
 * format an output name asks for (.tif/.tiff, .pdf, .png, .pbm), the pages a call accepted
 * (collected from the T.30 engine's events), and the files themselves — PNG is one file per
 * page, named out-1.png, out-2.png, … Every file is written atomically and durably
 * (src/node/atomic-file.ts): a failed write leaves no partial file behind.
 */

/** Writes one whole file (default: `writeFileAtomic`); injectable so tests can fail it. */
export type FileWriter = (path: string, data: Uint8Array) => Promise<void>;

import { extname } from 'node:path';
import { writeFileAtomic } from '../node/atomic-file.js';
import { writeDocument, type FaxPage, type OutputFormat, type WriteDocumentOptions } from '../image/document.js';
import type { T30Event } from '../t30/engine.js';

/** The output format a file name's extension asks for, if faxwire writes it. */
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

/** out.png → out-1.png, out-2.png … for `count` files (one file keeps its name unless `always`). */
export function pageFileNames(file: string, count: number, always = false): string[] {
  if (count === 1 && !always) return [file];
  const ext = extname(file);
  const stem = file.slice(0, file.length - ext.length);
  return Array.from({ length: count }, (_, i) => `${stem}-${i + 1}${ext}`);
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

/**
 * Writes pages to `file` in `format` and returns the names written. PNG is a file per page;
 * `numberAlways` numbers even a single one (a receiver cannot know in advance how many come).
 */
export async function writePages(
  file: string,
  format: OutputFormat,
  pages: readonly FaxPage[],
  options: WriteDocumentOptions & { numberAlways?: boolean; writer?: FileWriter } = {},
): Promise<string[]> {
  return writeFiles(file, format, await writeDocument(pages, format, options), options);
}

/** Writes the contents `writeDocument` made (one per file) and returns the names written. */
export async function writeFiles(file: string, format: OutputFormat, parts: readonly Uint8Array[], options: { numberAlways?: boolean; writer?: FileWriter } = {}): Promise<string[]> {
  const names = format === 'png' ? pageFileNames(file, parts.length, options.numberAlways) : [file];
  const write = options.writer ?? writeFileAtomic;
  for (let i = 0; i < parts.length; i++) await write(names[i] ?? file, parts[i] ?? new Uint8Array(0));
  return names;
}

/** Concealed (bad) rows over `pages`, as decoders counted them. */
export function concealedRows(pages: readonly FaxPage[]): number {
  let n = 0;
  for (const p of pages) n += p.quality?.badRows ?? 0;
  return n;
}
