/**
 * Running the built `faxwire` CLI in the CLI tests: as a child process of this very Node
 * (`process.execPath`), always with a time bound, and in an environment without the user's own
 * faxwire configuration (no FAXWIRE_* variables; XDG_CONFIG_HOME pointing where no config is), so
 * a developer's ~/.config/faxwire/config.json never changes what a test sees.
 */

import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'cli', 'main.js');

/** The test environment, plus `extra` (FAXWIRE_IDENT, XDG_CONFIG_HOME, …). */
export function cliEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FAXWIRE_')) env[k] = v;
  env['XDG_CONFIG_HOME'] = join(tmpdir(), `faxwire-test-no-config-${process.pid}`);
  return { ...env, ...extra };
}

export interface CliResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `faxwire ...args` to its end (killed after `timeoutMs`). */
export function runCli(args: readonly string[], opts: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, env: cliEnv(opts.env) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `faxwire ...args`, the test environment, at most two minutes. */
export function cli(...args: string[]): CliResult {
  return runCli(args, { timeoutMs: 120_000 });
}

export interface CliProcess {
  readonly done: Promise<CliResult>;
  /** Resolves true once the command says it is ready (its socket is up), false if it ended first. */
  readonly ready: Promise<boolean>;
}

/** Starts `faxwire ...args` in the background (killed after `timeoutMs`). */
export function startCli(args: readonly string[], opts: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv(opts.env) });
  let out = '';
  let err = '';
  let readyResolve: (v: boolean) => void = () => {};
  const ready = new Promise<boolean>((r) => (readyResolve = r));
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (/ready/.test(err)) readyResolve(true);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((res) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      readyResolve(false);
      res({ code, out, err });
    });
  });
  return { done, ready };
}
