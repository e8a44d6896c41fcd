/**
 * `faxwire send <file...>` — sends documents as a T.38 fax (the calling party), over UDPTL
 * (`--udptl host:port --local-port N`) or TCP/TPKT (`--tcp host:port` / `--listen-tcp port`).
 * The options are call-options.ts's, plus `--header TEXT`; the call itself is call.ts's.
 * Exit 0 only when the fax completed with every page confirmed.
 */

import { readFile } from 'node:fs/promises';
import type { Bitmap } from '../t4/bitmap.js';
import { documentToFaxPages } from '../image/document.js';
import { CALL_OPTIONS, CALL_USAGE, callSettings } from './call-options.js';
import { formatReport, runCall } from './call.js';
import { UsageError, parseCommandArgs } from './command.js';
import { IDENTITY_USAGE } from './config.js';
import { SIP_OPTIONS, SIP_USAGE, formatSipReport, isSipCall, runSipSend, sipSettings } from './sip-call.js';

export const USAGE = `usage: faxwire send <file...> (--to sip:USER@HOST[:PORT] | --udptl HOST:PORT --local-port N | --tcp HOST:PORT | --listen-tcp PORT | --audio HOST:PORT --local-port N) [options]
  Sends documents (PDF, TIFF, PNG, JPEG, PNM; several files make one fax) as the calling party:
  over SIP (--to: G.711 first, T.38 by re-INVITE, G.711 again if the peer refuses T.38), or to a
  fixed T.38/audio endpoint. Exit status 0 when every page was confirmed, 1 when the fax failed,
  2 on bad arguments.
${CALL_USAGE}
${SIP_USAGE}
  --header TEXT             a header line stamped on top of each page, with "Page n/N"
${IDENTITY_USAGE}`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: files } = parseCommandArgs({ args, allowPositionals: true, options: { ...CALL_OPTIONS, ...SIP_OPTIONS, header: { type: 'string' } } });
  const sipCall = isSipCall(values);
  const settings = callSettings(values, undefined, sipCall);
  const sip = sipCall ? sipSettings(values, 'send') : undefined;
  if (files.length === 0) throw new UsageError('no document to send');
  const pages: Bitmap[] = [];
  for (const f of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(f);
    } catch (e) {
      process.stderr.write(`faxwire send: cannot read ${f}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    const r = await documentToFaxPages(bytes);
    if (!r.ok) {
      process.stderr.write(`faxwire send: ${f}: ${r.error.message}\n`);
      return 1;
    }
    for (const p of r.value) pages.push(p.bitmap);
  }
  if (pages.length === 0) {
    process.stderr.write('faxwire send: the documents have no pages\n');
    return 1;
  }
  if (sip !== undefined && values.to !== undefined) {
    const report = await runSipSend(settings, sip, values.to, pages);
    process.stdout.write(`${formatSipReport('send', report, settings.json)}\n`);
    return report.status === 'ok' && report.pages === pages.length ? 0 : 1;
  }
  const { report } = await runCall('send', settings, { role: 'calling', send: { pages } });
  process.stdout.write(`${formatReport('send', report, settings.json)}\n`);
  return report.status === 'ok' && report.pages === pages.length ? 0 : 1;
}
