/**
 * `faxwire receive --out FILE` — answers a T.38 fax call (the answering party: CED, DIS) and
 * writes the pages received to a TIFF (Class F) or PDF file, chosen by the file's extension
 * (`.tif`/`.tiff`, `.pdf`; also `.png` — one file per page, always numbered — and `.pbm`). Same
 * transport and options as `faxwire send` (call-options.ts). Exit 0 only when the fax completed
 * and at least one page arrived.
 */

import { CALL_OPTIONS, CALL_USAGE, callSettings } from './call-options.js';
import { formatReport, runCall } from './call.js';
import { UsageError, parseCommandArgs } from './command.js';
import { IDENTITY_USAGE } from './config.js';
import { PageCollector, outputFormatOf, writePages } from './pages-out.js';

export const USAGE = `usage: faxwire receive --out FILE (--udptl HOST:PORT --local-port N | --tcp HOST:PORT | --listen-tcp PORT) [options]
  Answers a T.38 fax call and writes the pages received to FILE: .tif/.tiff (TIFF Class F),
  .pdf, .png (FILE-1.png, FILE-2.png, …) or .pbm. Exit status 0 when the fax completed with at
  least one page, 1 when it failed, 2 on bad arguments.
  -o, --out FILE            where the pages go (required)
${CALL_USAGE}
${IDENTITY_USAGE}`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, allowPositionals: true, options: { ...CALL_OPTIONS, out: { type: 'string', short: 'o' } } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  const settings = callSettings(values);
  const out = values.out;
  if (out === undefined) throw new UsageError('--out FILE (.tif or .pdf) is required');
  const format = outputFormatOf(out);
  if (format === undefined) throw new UsageError(`--out: cannot tell the format of '${out}' (use .tif, .tiff, .pdf, .png or .pbm)`);
  const collector = new PageCollector();
  const { report } = await runCall('receive', settings, { role: 'answering', receive: true }, collector.onEvent);
  let written: string[] = [];
  if (collector.pages.length > 0) {
    try {
      written = await writePages(out, format, collector.pages, { numberAlways: true });
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
