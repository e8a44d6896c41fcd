/**
 * Shared helpers for the interop suite: where the shared corpus is, and how to run the
 * third-party tools (tshark, tiffcmp, …) with bounded time. A test that needs a missing tool
 * is skipped LOUDLY — unless FAXWIRE_REQUIRE_TOOLS=1 (set by .ci/run), where it fails.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

function findRepoRoot(): string {
  // From the compiled test file upwards, then from the working directory (builds elsewhere).
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = start;
    while (!existsSync(join(d, 'package.json'))) {
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
    if (existsSync(join(d, 'package.json'))) return d;
  }
  throw new Error('repository root not found');
}

export const REPO_ROOT = findRepoRoot();
export const SHARED = resolve(REPO_ROOT, '..', 'shared');
export const CORPUS = join(SHARED, 'corpus');
export const PEER = join(SHARED, 'interop', 'spandsp-peer');

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** Skips (loudly) or fails when a tool or file is missing. Returns true when the test may go on. */
export function need(t: TestContext, what: { tools?: string[]; files?: string[] }): boolean {
  const missing = [
    ...(what.tools ?? []).filter((x) => !haveTool(x)).map((x) => `tool '${x}'`),
    ...(what.files ?? []).filter((f) => !existsSync(f)).map((f) => `file ${f}`),
  ];
  if (missing.length === 0) return true;
  const msg = `MISSING ${missing.join(', ')} — install the interop packages (see .ci/run)`;
  if (process.env['FAXWIRE_REQUIRE_TOOLS'] === '1') throw new Error(msg);
  console.warn(`\n*** SKIPPED: ${msg} ***\n`);
  t.skip(msg);
  return false;
}

export function run(cmd: string, args: string[], timeoutMs = 120_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every file under `dir` (recursively) whose name matches `re`. */
export function filesUnder(dir: string, re: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, re));
    else if (re.test(name)) out.push(p);
  }
  return out.sort();
}
