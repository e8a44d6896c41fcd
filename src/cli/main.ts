#!/usr/bin/env node
/**
 * The `faxwire` command. Each sub-command lives in its own module; this file only dispatches.
 */

import { run as runAnalyze } from './analyze.js';
import { UsageError } from './command.js';
import { run as runConvert } from './convert.js';
import { run as runDemo } from './demo.js';
import { run as runReceive } from './receive.js';
import { run as runSend } from './send.js';

const USAGE = `faxwire — real-time fax over IP (ITU-T T.38)

usage:
  faxwire analyze <capture.pcap|pcapng> [--t38-version 0|1|2|3|4|auto] [--port N ...] [--json] [--extract DIR]
      T.38 timeline of a captured call: IFPs, recovery, losses, T.30 frames, summary;
      --extract writes the pages the call carried as TIFF and PNG

  faxwire convert <in.pdf|tif|png|jpg|pbm> <out.tif|pdf|png|pbm> [--resolution standard|fine|superfine]
                  [--compression mh|mr|mmr] [--paper a4|letter|legal] [--dither]
      documents to fax pages and back (several pages to .png: out-1.png, out-2.png, …)

  faxwire send <file...> (--udptl HOST:PORT --local-port N | --tcp HOST:PORT | --listen-tcp PORT) [options]
      send documents (PDF, TIFF, PNG, JPEG, PNM) as a T.38 fax (calling party)
  faxwire receive --out FILE.tif|FILE.pdf (--udptl HOST:PORT --local-port N | --tcp … | --listen-tcp …) [options]
      answer a T.38 fax call and write the pages received
  faxwire demo [--out faxwire-demo.pdf] [--loss 3] [--redundancy 3] [--speed 10]
      a complete fax between two faxwire terminals over UDPTL on loopback, with packet loss

  faxwire help
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    return await dispatch(cmd, rest);
  } catch (e) {
    // Bad arguments: one line, exit 2.
    if (e instanceof UsageError) {
      process.stderr.write(`faxwire ${cmd ?? ''}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function dispatch(cmd: string | undefined, rest: string[]): Promise<number> {
  switch (cmd) {
    case 'analyze':
      return runAnalyze(rest);
    case 'send':
      return runSend(rest);
    case 'receive':
      return runReceive(rest);
    case 'demo':
      return runDemo(rest);
    case 'convert':
      return runConvert(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`faxwire: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`faxwire: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
