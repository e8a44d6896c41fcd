/**
 * Who we are on a call, configured once: the identity (TSI when sending, CSI when answering;
 * T.30 §5.3.6.2.4) and the header line stamped on the pages sent. Each is taken from, first
 * found:
 *   1. the command line (`--ident`, `--header`);
 *   2. the environment (`FAXWIRE_IDENT`, `FAXWIRE_HEADER`);
 *   3. the JSON config file (`{ "ident": "+1 555 0100", "header": "ACME LTD" }`): `--config FILE`,
 *      else `$FAXWIRE_CONFIG`, else `$XDG_CONFIG_HOME/faxwire/config.json` (by default
 *      `~/.config/faxwire/config.json`) if it exists.
 * An empty variable counts as unset. A file named by `--config` or `$FAXWIRE_CONFIG` must be
 * readable; a config file must be a JSON object whose known keys are strings (other keys are
 * left for later versions). The identity used is checked: at most 20 characters, printable
 * ASCII (T.30 sends it one octet a character; a telephone number in digits, '+' and space is
 * what the recommendation has in mind).
 */

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { UsageError } from './command.js';

/** Options of the commands that call (send, receive, demo). `--header` belongs to send alone. */
export const IDENTITY_OPTIONS = {
  ident: { type: 'string' },
  config: { type: 'string' },
} as const;

export const IDENTITY_USAGE = `identity and configuration:
  --ident STR               the identity sent: TSI when calling, CSI when answering (T.30
                            §5.3.6.2.4); up to 20 printable ASCII characters, best a telephone
                            number in digits, '+' and space (e.g. "+1 555 0100")
  --config FILE             a JSON config file, e.g. {"ident": "+1 555 0100", "header": "ACME LTD"}
  Each setting is the first found of: its option (--ident, send's --header); the environment
  ($FAXWIRE_IDENT, $FAXWIRE_HEADER); the config file: --config FILE, else $FAXWIRE_CONFIG, else
  $XDG_CONFIG_HOME/faxwire/config.json (~/.config/faxwire/config.json) if it exists.`;

/** The settings taken from the command line, the environment or the config file. */
export type SettingName = 'ident' | 'header';

const ENV: Readonly<Record<SettingName, string>> = { ident: 'FAXWIRE_IDENT', header: 'FAXWIRE_HEADER' };

/** Where the configuration is looked for (the process's own, unless a test says otherwise). */
export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
}

const processSources = (): ConfigSources => ({ env: process.env, home: homedir() });

/** The config file in effect, and whether it was named (then it must exist). */
export function configFilePath(flag: string | undefined, src: ConfigSources): { path: string; named: boolean } {
  if (flag !== undefined) return { path: flag, named: true };
  const fromEnv = src.env['FAXWIRE_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, named: true };
  // XDG Base Directory: a relative $XDG_CONFIG_HOME is invalid and ignored.
  const xdg = src.env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(src.home, '.config');
  return { path: join(base, 'faxwire', 'config.json'), named: false };
}

/** The config file's settings (none when the default file does not exist). */
export function readConfigFile(file: { path: string; named: boolean }): Partial<Record<SettingName, string>> {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!file.named && code === 'ENOENT') return {};
    throw new UsageError(`cannot read the config file ${file.path} (${code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${file.path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`config file ${file.path}: not a JSON object`);
  const out: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(ENV) as SettingName[]) {
    const v = (json as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new UsageError(`config file ${file.path}: "${name}" must be a string`);
    out[name] = v;
  }
  return out;
}

/** Checks an identity (TSI/CSI) and returns it; `from` says where it came from. */
export function checkIdent(ident: string, from: string): string {
  if (ident.length > 20) throw new UsageError(`${from}: the identity ${JSON.stringify(ident)} has ${ident.length} characters, T.30 allows at most 20 (§5.3.6.2.4)`);
  if (!/^[\x20-\x7e]*$/.test(ident)) throw new UsageError(`${from}: the identity ${JSON.stringify(ident)} must be printable ASCII (T.30 §5.3.6.2.4)`);
  return ident;
}

/** The identity and header line in effect, each from the first source that has it. */
export function configuredIdentity(
  flags: { readonly ident?: string | undefined; readonly header?: string | undefined; readonly config?: string | undefined },
  src: ConfigSources = processSources(),
): { ident?: string; header?: string } {
  const file = configFilePath(flags.config, src);
  const conf = readConfigFile(file);
  const pick = (name: SettingName): { value: string; from: string } | undefined => {
    const flag = flags[name];
    if (flag !== undefined) return { value: flag, from: `--${name}` };
    const env = src.env[ENV[name]];
    if (env !== undefined && env !== '') return { value: env, from: `$${ENV[name]}` };
    const v = conf[name];
    return v === undefined ? undefined : { value: v, from: `"${name}" in ${file.path}` };
  };
  const ident = pick('ident');
  const header = pick('header');
  return {
    ...(ident ? { ident: checkIdent(ident.value, ident.from) } : {}),
    ...(header ? { header: header.value } : {}),
  };
}
