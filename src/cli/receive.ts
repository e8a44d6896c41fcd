/**
 * `faxwire receive --out FILE` — answers a T.38 fax call (the answering party: CED, DIS) and
 * writes the pages received to a TIFF (Class F) or PDF file, chosen by the file's extension
 * (`.tif`/`.tiff`, `.pdf`; also `.png` — one file per page, always numbered — and `.pbm`). Same
 * transport and options as `faxwire send` (call-options.ts). Exit 0 only when the fax completed
 * and at least one page arrived. Every page is on disk (written to a temporary file, synced,
 * renamed) before the sender is told it arrived (MCF); a page that cannot be written is not
 * confirmed and ends the call ('page-not-stored'), the pages before it intact (page-store.ts).
 */

import { CALL_OPTIONS, CALL_USAGE, callSettings } from './call-options.js';
import { formatReport, runCall } from './call.js';
import { UsageError, parseCommandArgs } from './command.js';
import { IDENTITY_USAGE } from './config.js';
import { ReceivedPageStore } from './page-store.js';
import { outputFormatOf } from './pages-out.js';
import { SIP_OPTIONS, SIP_USAGE, isSipCall, parseFormats, runSipReceive, sipSettings } from './sip-call.js';

export const USAGE = `usage: faxwire receive --out FILE (--udptl HOST:PORT --local-port N | --tcp HOST:PORT | --listen-tcp PORT | --audio HOST:PORT --local-port N) [options]
       faxwire receive --sip-listen HOST:PORT --out DIR [--max-calls N] [--format pdf,png] [--t38 auto|off] [SIP options]
  With --sip-listen: answers SIP calls (G.711, switched to T.38 by re-INVITE when fax is heard)
  until N calls (default 1) have ended; each fax goes into DIR as fax-<time>-<n>.tif (each page
  synced before it is confirmed) plus the --format copies; one result line per call. Exit 0
  when every call delivered a complete fax.
  Answers a T.38 fax call and writes the pages received to FILE: .tif/.tiff (TIFF Class F),
  .pdf, .png (FILE-1.png, FILE-2.png, …) or .pbm. Each page is written and synced to disk before
  it is confirmed to the sender; a page that cannot be written (disk full, …) is not confirmed,
  the call ends with page-not-stored and the pages before it stay in FILE. The result line gives
  concealed_rows (rows the decoder had to conceal). Exit status 0 when the fax completed with at
  least one page, 1 when it failed, 2 on bad arguments.
  -o, --out FILE            where the pages go (required)
${CALL_USAGE}
${SIP_USAGE}
  --max-calls N             calls to answer before exiting (--sip-listen; default 1)
  --format pdf,png,pbm      also write each SIP fax in these formats (TIFF always)
${IDENTITY_USAGE}`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: { ...CALL_OPTIONS, ...SIP_OPTIONS, out: { type: 'string', short: 'o' }, format: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  const sipCall = isSipCall(values);
  const settings = callSettings(values, undefined, sipCall);
  if (sipCall) {
    if (values.out === undefined) throw new UsageError('--out DIR is required');
    const sip = sipSettings(values, 'receive');
    return runSipReceive(settings, sip, values.out, parseFormats(values.format));
  }
  if (values.format !== undefined) throw new UsageError('--format is for --sip-listen (the --out extension picks the format)');
  const out = values.out;
  if (out === undefined) throw new UsageError('--out FILE (.tif or .pdf) is required');
  const format = outputFormatOf(out);
  if (format === undefined) throw new UsageError(`--out: cannot tell the format of '${out}' (use .tif, .tiff, .pdf, .png or .pbm)`);
  // Each page is written (atomically, synced) before the sender gets MCF for it (page-store.ts);
  // the store keeps the pages, so the engine streams them out (retainPages: false) instead of
  // holding its own list for the whole call.
  const store = new ReceivedPageStore(out, format);
  await store.prepare();
  const { report } = await runCall('receive', settings, { role: 'answering', receive: true, confirmAfterStore: true, retainPages: false }, undefined, store);
  const written = store.files;
  if (store.error !== undefined) process.stderr.write(`faxwire receive: page ${store.pages.length + 1} not stored: ${store.error}\n`);
  const extra = { files: written, pagesStored: store.pages.length, concealedRows: store.badRows, ...(store.error !== undefined ? { storeError: store.error } : {}) };
  if (settings.json) {
    process.stdout.write(`${JSON.stringify({ ...(JSON.parse(formatReport('receive', report, true)) as object), ...extra })}\n`);
  } else {
    process.stdout.write(
      `${formatReport('receive', report, false)} concealed_rows=${store.badRows}${written.length > 0 ? ` out=${written.join(',')}` : ''}` +
        `${store.error !== undefined ? ` store_error="${store.error}"` : ''}\n`,
    );
  }
  return report.status === 'ok' && store.pages.length > 0 && store.error === undefined ? 0 : 1;
}
