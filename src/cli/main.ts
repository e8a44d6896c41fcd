#!/usr/bin/env node
/**
 * The `faxwire` command. Each sub-command lives in its own module; this file only dispatches.
 */

import { runAnalyze } from './analyze.js';

const USAGE = `faxwire — real-time fax over IP (ITU-T T.38)

usage:
  faxwire analyze <capture.pcap|pcapng> [--t38-version 0|1|2|3|4|auto] [--port N ...] [--json]
      T.38 timeline of a captured call: IFPs, recovery, losses, T.30 frames, summary

  faxwire help
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'analyze':
      return runAnalyze(rest);
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
