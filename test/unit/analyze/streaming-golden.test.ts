/**
 * Differential test for the streaming `faxwire analyze` (issue 13 item 3): on every capture in
 * ../shared (read at test time, never copied), the CLI's stdout, stderr, exit status and every
 * file it writes (`--extract` pages, `--audio` WAVs, and the analysis of those WAVs as
 * recordings) must hash to what the buffering analyze of commit 09045e4 produced. The committed
 * golden file holds only SHA-256 digests of faxwire's own output, no third-party data.
 *
 * Regenerate (only from a build whose output is known good):
 *   FAXWIRE_UPDATE_GOLDEN=1 node --test dist/test/unit/analyze/streaming-golden.test.js
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, cliEnv } from '../cli/helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHARED = resolve(HERE, '..', '..', '..', '..', '..', 'shared');
/** The golden file lives in the source tree (dist/test/unit/analyze → test/unit/analyze). */
const GOLDEN = resolve(HERE, '..', '..', '..', '..', 'test', 'unit', 'analyze', 'streaming-golden.json');
const UPDATE = process.env['FAXWIRE_UPDATE_GOLDEN'] === '1';

/** Output modes of `faxwire analyze` that the streaming rewrite must keep byte for byte. */
const MODES: Readonly<Record<string, readonly string[]>> = {
  text: [],
  json: ['--json'],
  'v0-text': ['--t38-version', '0'],
  'v2-json': ['--t38-version', '2', '--json'],
  'extract-text': ['--extract', 'pages'],
  'extract-json': ['--json', '--extract', 'pages'],
  'audio-text': ['--audio', 'audio'],
};
/** Modes for the WAV recordings `--audio` wrote (analyzeAudio's path). */
const WAV_MODES: Readonly<Record<string, readonly string[]>> = {
  text: [],
  'extract-json': ['--json', '--extract', 'pages'],
};

type Digests = Record<string, string>;
type Golden = Record<string, Digests>;

const sha = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

function captures(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/i.test(name)) out.push(p);
    }
  };
  walk(SHARED);
  return out;
}

/**
 * Runs analyze in a fresh directory (so written paths, and messages naming them, are the same on
 * every run); digests of all it produced. An input given as bytes is written there first (and not
 * counted among the outputs).
 */
function run(input: string | { readonly name: string; readonly bytes: Uint8Array }, args: readonly string[], keep?: (dir: string) => void): Digests {
  const dir = mkdtempSync(join(tmpdir(), 'faxwire-golden-'));
  try {
    let path = typeof input === 'string' ? input : input.name;
    if (typeof input !== 'string') {
      mkdirSync(join(dir, 'in'));
      path = join('in', input.name);
      writeFileSync(join(dir, path), input.bytes);
    }
    const r = spawnSync(process.execPath, [CLI, 'analyze', path, ...args], { cwd: dir, env: cliEnv(), maxBuffer: 1 << 30, timeout: 120_000 });
    const d: Digests = { status: String(r.status), stdout: sha(r.stdout), stderr: sha(r.stderr) };
    const files: string[] = [];
    const walk = (p: string): void => {
      for (const name of readdirSync(p).sort()) {
        const q = join(p, name);
        if (statSync(q).isDirectory()) {
          if (q !== join(dir, 'in')) walk(q);
        } else files.push(q);
      }
    };
    walk(dir);
    for (const f of files) d[`file:${relative(dir, f)}`] = sha(readFileSync(f));
    keep?.(dir);
    return d;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** All (input, mode) digests: every capture in every mode, and every WAV its `--audio` wrote. */
function compute(): Golden {
  const golden: Golden = {};
  for (const cap of captures()) {
    const name = relative(SHARED, cap);
    for (const [mode, args] of Object.entries(MODES)) {
      const wavs: { name: string; bytes: Buffer }[] = [];
      golden[`${name} [${mode}]`] = run(cap, args, (dir) => {
        if (mode !== 'audio-text' || !existsSync(join(dir, 'audio'))) return;
        for (const w of readdirSync(join(dir, 'audio')).sort()) wavs.push({ name: w, bytes: readFileSync(join(dir, 'audio', w)) });
      });
      for (const w of wavs) {
        for (const [wm, wargs] of Object.entries(WAV_MODES)) golden[`${name} → ${w.name} [${wm}]`] = run(w, wargs);
      }
    }
  }
  return golden;
}

describe('faxwire analyze: streaming output identical to the buffering one on ../shared', () => {
  if (!existsSync(SHARED)) {
    it('SKIPPED: ../shared is absent, no capture to compare', (t) => {
      process.stderr.write(`streaming-golden: ${SHARED} not found — differential test SKIPPED\n`);
      t.skip(`${SHARED} not found`);
    });
    return;
  }
  it('every (capture, mode) hashes to the golden digests', () => {
    const now = compute();
    if (UPDATE) {
      writeFileSync(GOLDEN, JSON.stringify(now, null, 1) + '\n');
      return;
    }
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
    assert.ok(Object.keys(golden).length > 0, 'the golden file is empty');
    const differ: string[] = [];
    for (const key of new Set([...Object.keys(golden), ...Object.keys(now)])) {
      const g = golden[key];
      const n = now[key];
      if (!g) differ.push(`${key}: not in the golden file (new capture in ../shared? regenerate from a known-good build)`);
      else if (!n) differ.push(`${key}: in the golden file but not produced now (capture gone from ../shared?)`);
      else {
        for (const part of new Set([...Object.keys(g), ...Object.keys(n)])) {
          if (g[part] !== n[part]) differ.push(`${key} ${part}: golden ${g[part] ?? '(absent)'} now ${n[part] ?? '(absent)'}`);
        }
      }
    }
    assert.deepEqual(differ, [], `analyze output differs from the golden digests:\n${differ.join('\n')}`);
  });
});
