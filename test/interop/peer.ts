/**
 * The spandsp reference peer (../shared/interop/spandsp-peer) for the interop suite: built
 * with `make BUILD=<dir>` into `<repo>/.build/spandsp-peer` (git-ignored; its sources are never
 * copied into this repository), plus `make BUILD=<dir> testfax` for the test TIFFs
 * (test3.tif: 3 pages, test1.tif: 1 page; TIFF-F, G3 2-D, 1728 × 2292, 204 × 196 dpi).
 * make is incremental, so after the first build this costs nothing.
 *
 * System packages it needs (Debian 12): libspandsp-dev libtiff-dev libtiff-tools ghostscript
 * build-essential.
 */

import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { PEER, REPO_ROOT, need } from './util.js';

export const PEER_BUILD = join(REPO_ROOT, '.build', 'spandsp-peer');
export const T38PEER = join(PEER_BUILD, 't38peer');
export const TEST3 = join(PEER_BUILD, 'test3.tif');
export const TEST1 = join(PEER_BUILD, 'test1.tif');
export const AUDIOFAX = join(PEER_BUILD, 'audiofax');
export const T38GW = join(PEER_BUILD, 't38gw');

/** The compiled faxwire CLI next to this compiled test (dist/test/interop → dist/src/cli). */
export const FAXWIRE_CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

let built: string | undefined;

/**
 * Builds t38peer and the test pages once per process. Returns false (test skipped loudly, or
 * failed under FAXWIRE_REQUIRE_TOOLS=1) when a tool or the peer's sources are missing.
 */
export function ensurePeer(t: TestContext): boolean {
  if (!need(t, { tools: ['make', 'cc', 'gs', 'tiffcmp', 'tiffinfo', 'timeout'], files: [join(PEER, 'Makefile')] })) return false;
  // libspandsp-dev installs its headers under /usr/include/spandsp/ (and spandsp.h on some releases).
  if (!existsSync('/usr/include/spandsp') && !existsSync('/usr/include/spandsp.h')) {
    if (!need(t, { files: ['/usr/include/spandsp (libspandsp-dev)'] })) return false;
  }
  if (built === undefined) {
    mkdirSync(PEER_BUILD, { recursive: true });
    for (const target of [[], ['testfax']]) {
      const r = spawnSync('make', ['-s', '-C', PEER, `BUILD=${PEER_BUILD}`, ...target], { encoding: 'utf8', timeout: 300_000 });
      if (r.status !== 0) {
        built = `make ${target.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`;
        break;
      }
    }
    built ??= '';
  }
  if (built !== '') throw new Error(`spandsp peer build: ${built}`);
  return true;
}

export interface ProcResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Runs a command under `timeout` (coreutils), collecting its output. `waitStderr(re)` resolves
 *  true once stderr matches, false if the process ends first. */
export function runProc(cmd: string, args: readonly string[], timeoutSec: number): { done: Promise<ProcResult>; waitStderr: (re: RegExp) => Promise<boolean> } {
  const t0 = Date.now();
  const child = spawn('timeout', ['-k', '5', String(timeoutSec), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    // Bounded: a trace can be long.
    if (stderr.length < 4_000_000) stderr += d;
  });
  let ended = false;
  const done = new Promise<ProcResult>((res) => {
    child.on('close', (code) => {
      ended = true;
      res({ code, stdout, stderr, wallMs: Date.now() - t0 });
    });
  });
  const waitStderr = async (re: RegExp): Promise<boolean> => {
    while (!ended) {
      if (re.test(stderr)) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return re.test(stderr);
  };
  return { done, waitStderr };
}

/** `RESULT key=value key="quoted value" …` → record. */
export function parseResultLine(stdout: string): Record<string, string> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) return undefined;
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) out[m[1] ?? ''] = m[3] ?? m[2] ?? '';
  return out;
}

/** Pages in a TIFF, by tiffinfo. */
export function tiffPages(file: string): number {
  const r = spawnSync('tiffinfo', [file], { encoding: 'utf8', timeout: 30_000 });
  return (r.stdout.match(/^TIFF Directory/gm) ?? []).length;
}

/** `tiffcmp -t a b`: pixels only; true when identical. */
export function tiffSamePixels(a: string, b: string): { same: boolean; output: string } {
  const r = spawnSync('tiffcmp', ['-t', a, b], { encoding: 'utf8', timeout: 60_000 });
  return { same: r.status === 0, output: `${r.stdout}${r.stderr}`.slice(0, 2000) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when a UDP port can be bound on all interfaces right now. */
function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/**
 * Two free consecutive UDP ports from `base` upwards (below the Linux ephemeral range, 32768+,
 * where other programs' sockets come and go). Each test passes its own base, so tests never
 * share ports; a port someone else holds is skipped rather than failing the test.
 */
export async function udpPortPair(base: number): Promise<[number, number]> {
  for (let p = base; p < base + 200 && p < 32766; p += 2) {
    if ((await udpPortFree(p)) && (await udpPortFree(p + 1))) return [p, p + 1];
  }
  throw new Error(`no two free UDP ports from ${base}`);
}

/** `n` free consecutive UDP ports from `base` upwards (as udpPortPair, for chains of more than two processes). */
export async function udpPortRun(base: number, n: number): Promise<number[]> {
  for (let p = base; p < base + 400 && p + n < 32768; p += n) {
    let free = true;
    for (let k = 0; k < n && free; k++) free = await udpPortFree(p + k);
    if (free) return Array.from({ length: n }, (_, k) => p + k);
  }
  throw new Error(`no ${n} free consecutive UDP ports from ${base}`);
}
