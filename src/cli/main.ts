#!/usr/bin/env node
/**
 * The `faxwire` command: it only dispatches. Each command is a module of its own (command.ts
 * says its shape), loaded — with what it pulls in: the T.30 engine, the PDF renderer, the image
 * codecs — only when it runs, so `faxwire --help` costs little more than starting Node.
 *
 * `faxwire CMD --help` (or -h, anywhere before a `--`) and `faxwire help CMD` print the command's
 * usage on stdout, exit 0. Bad arguments (a command's UsageError, an unknown command) are one
 * line on stderr pointing at --help, exit 2; anything else that escapes a command, exit 1.
 */

import { setFlagsFromString } from 'node:v8';
import { UsageError, type CommandModule } from './command.js';

/**
 * A command is one short process, so the PDF renderer's WebAssembly (PDFium, 4.6 MB of code)
 * is better left in V8's baseline compiler (Liftoff) except for the functions that are really
 * hot: by default V8 recompiles every function past a small budget of work (1 800 000) with its
 * optimising compiler, which costs more CPU and memory (its compile zones) than it gains over a
 * document of a few dozen pages. A budget 17 times as large keeps the optimised code for the rasteriser's inner loops
 * (the pages/s of a long document stay as they were) and spares the rest — measured on the
 * convert bench: −0.1 s of CPU on 20 pages, −5…15 MB peak RSS. Only the CLI does this: the
 * flag is the process's, and a library must not set it for its host. It is read when a module
 * is compiled, so it is set before any command (and with it PDFium) is loaded.
 */
setFlagsFromString('--wasm-tiering-budget=30000000');

const COMMANDS: ReadonlyMap<string, () => Promise<CommandModule>> = new Map<string, () => Promise<CommandModule>>([
  ['analyze', () => import('./analyze.js')],
  ['convert', () => import('./convert.js')],
  ['send', () => import('./send.js')],
  ['receive', () => import('./receive.js')],
  ['demo', () => import('./demo.js')],
  ['modem', () => import('./modem.js')],
  ['gateway', () => import('./gateway.js')],
]);

const USAGE = `faxwire — real-time fax over IP (ITU-T T.38)

usage:
  faxwire analyze <capture.pcap|pcapng> [--t38-version 0|1|2|3|4|auto] [--port N ...] [--json] [--extract DIR] [--audio DIR]
      T.38 timeline of a captured call: IFPs, recovery, losses, T.30 frames, summary;
      --extract writes the pages the call carried as TIFF and PNG, --audio its G.711 audio as WAV

  faxwire convert <in.pdf|tif|png|jpg|pbm> <out.tif|pdf|png|pbm> [--resolution standard|fine|superfine]
                  [--compression mh|mr|mmr] [--paper a4|letter|legal] [--dither]
      documents to fax pages and back (several pages to .png: out-1.png, out-2.png, …)

  faxwire send <file...> (--udptl HOST:PORT --local-port N | --tcp HOST:PORT | --listen-tcp PORT) [options]
      send documents (PDF, TIFF, PNG, JPEG, PNM) as a T.38 fax (calling party)
  faxwire receive --out FILE.tif|FILE.pdf (--udptl HOST:PORT --local-port N | --tcp … | --listen-tcp …) [options]
      answer a T.38 fax call and write the pages received
  faxwire demo [--out faxwire-demo.pdf] [--loss 3] [--redundancy 3] [--speed 10]
      a complete fax between two faxwire terminals over UDPTL on loopback, with packet loss

  faxwire gateway --audio-local P --audio-remote HOST:P --t38-local P --t38-remote HOST:P [options]
      a T.38 gateway for one call: a fax machine on 8 kHz audio over UDP <-> T.38 over UDPTL

  faxwire modem tx|rx --modem v17|v29|v27ter|v21 --rate R (--bits F --out A.raw|.wav | --in A.raw|.wav --bits-out F)
      a fax modem on files: data bits to audio and back (spandsp-peer modemgen/modembench files)

  faxwire help [COMMAND]    this text, or a command's options (also: faxwire COMMAND --help)

The identity sent (TSI/CSI) and send's header line come from --ident / --header, else
$FAXWIRE_IDENT / $FAXWIRE_HEADER, else the config file (--config FILE, $FAXWIRE_CONFIG,
~/.config/faxwire/config.json): see faxwire help send.
`;

/** One line on stderr and exit status 2. */
function usageError(who: string, message: string): number {
  process.stderr.write(`${who}: ${message} (try '${who} --help')\n`);
  return 2;
}

/** --help or -h among the arguments (before a `--`, after which everything is a file name). */
function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || (cmd === 'help' && rest.length === 0)) {
    process.stdout.write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  const name = cmd === 'help' ? rest[0] ?? '' : cmd;
  const load = COMMANDS.get(name);
  if (load === undefined) return usageError('faxwire', `unknown command '${name}'`);
  if (cmd === 'help' && rest.length > 1) return usageError('faxwire', `help takes one command, got '${rest.join(' ')}'`);
  const command = await load();
  if (cmd === 'help' || asksForHelp(rest)) {
    process.stdout.write(`${command.USAGE}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) return usageError(`faxwire ${name}`, e.message);
    throw e;
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
