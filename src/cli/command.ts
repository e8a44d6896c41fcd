/**
 * What every `faxwire` command shares, and nothing heavy (main.ts loads it before any command):
 * - the shape of a command module: its usage text (`faxwire CMD --help`) and `run(args)`,
 *   resolving to the exit status (0 done, 1 failed);
 * - `UsageError`, the one way a command rejects its arguments: main.ts prints its message as
 *   one line with a pointer to `--help`, and exits 2;
 * - argument parsing on node:util's `parseArgs`, its errors shortened to one line, and number
 *   options checked against a range.
 */

import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CommandModule {
  /** What `faxwire CMD --help` and `faxwire help CMD` print. */
  readonly USAGE: string;
  /** Runs the command to its exit status; throws UsageError on bad arguments. */
  run(args: string[]): Promise<number>;
}

/** Bad arguments: exit status 2, a one-line message. */
export class UsageError extends Error {}

/** `parseArgs` (strict) whose errors are a UsageError of one line. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    // Node's messages run on: "Unknown option '--x'. To specify a positional argument …".
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    const short = message.replace(/\. .*$/, '').replace(/\.$/, '');
    throw new UsageError(short.charAt(0).toLowerCase() + short.slice(1));
  }
}

/** `s` as a number in lo..hi (an integer if asked); undefined stays undefined. */
export function parseNumber(s: string | undefined, what: string, lo: number, hi: number, integer: boolean): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${what} must be ${integer ? 'an integer' : 'a number'} in ${lo}..${hi}, got '${s}'`);
  }
  return n;
}
