/**
 * Benchmark harness shared by every layer's benchmarks (DESIGN.md: "Performance is measured, not
 * asserted"). A layer contributes a `BenchSuite`: TypeScript cases timed here, plus optional
 * external baselines (a C program compiled at bench time against spandsp, libtiff, ...) run in the
 * same process tree, so every figure is reported as a ratio against a reference measured on the
 * same machine in the same run. Nothing here is a test: no figure is ever asserted.
 *
 * Method (the same for TypeScript and for the C programs, see bench/c/*.c):
 * - one thread; run.ts pins the whole process tree to one CPU with taskset when it can;
 * - calibrate a batch size (~1/50 of a run), warm up for `warmupSeconds` (JIT tiers settle);
 * - `runs` runs, each a loop of batches that stops once `minSeconds` have passed on the run
 *   clock: process CPU time by default (robust on a shared 2-core box: time stolen by other
 *   processes is not billed to us, GC helper threads are), or wall time;
 * - report the median ns/op over the runs (and ops/s = 1e9 / median), with min/max so the noise
 *   is visible, and the heap bytes allocated per op for TypeScript cases;
 * - a case's runs alternate with single runs of its C twin (run.ts: C, ours, C, ours, ...), and the
 *   ratio is the median of the per-pair ratios: on this shared VM a core's speed changes for
 *   seconds at a time with its neighbours' load (the same code measured 1.5 ms and 2.3 ms a page in
 *   consecutive processes), so each pair is taken under the same conditions as far as possible.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// ---------------------------------------------------------------------------------------------
// Suites and cases
// ---------------------------------------------------------------------------------------------

export interface BenchCase {
  /** Full name, `<suite>/<group>/<variant>`, e.g. `udptl/decode/view`. Filters match on it. */
  readonly name: string;
  /** One line: what one operation is. */
  readonly description: string;
  /** What one operation handles, singular: 'datagram', 'page', 'sample block'. */
  readonly unit: string;
  /** Name of the baseline result this case is compared with (ratio = ours / baseline, in ops/s). */
  readonly baseline?: string;
  /** A throughput goal to print next to the figure (never asserted). */
  readonly target?: { readonly opsPerSec: number; readonly source: string };
  /** Only for information (a breakdown), printed after the main cases. */
  readonly part?: boolean;
  /** Called once before timing on fresh state; throws if the code under test gives wrong results. */
  readonly verify?: () => void;
  /** Fingerprint of the work done from a fresh state, compared with the baseline's `check`. */
  readonly check?: () => string;
  /**
   * Performs `n` operations and returns a number that depends on their results, so the JIT
   * cannot discard the work. State may carry over between calls (seq numbers keep counting).
   */
  readonly run: (n: number) => number;
  /**
   * Ops per batch when measuring heap bytes per op (default 200). Make it larger for tiny ops
   * (one audio sample): the measurement's own few hundred bytes would otherwise show as B/op.
   */
  readonly heapBatch?: number;
}

/** One measured baseline (external program) result, before statistics. */
export interface RawResult {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** Per run: ops done, ns/op on the run clock, ns/op on the wall clock. */
  readonly ops: readonly number[];
  readonly nsPerOp: readonly number[];
  readonly wallNsPerOp: readonly number[];
  readonly check?: string;
}

/** A built baseline, ready to measure. */
export interface BaselineRunner {
  /**
   * Measures the `wanted` results now, `runs` runs each (default: the settings' runs); `error` if
   * the program failed (partial results kept).
   */
  readonly run: (wanted: readonly string[], runs?: number) => { readonly results: readonly RawResult[]; readonly error?: string };
  /** What the baseline is (compiler, library versions, sources), for the report header. */
  readonly about: readonly string[];
}

export interface BaselineUnavailable {
  /** Why there is no baseline (printed LOUDLY; the TypeScript figures stand alone then). */
  readonly unavailable: string;
  readonly about: readonly string[];
}

export interface Baseline {
  /** e.g. 'c/udptl_baseline'. */
  readonly name: string;
  /** Names of the results it produces (what `BenchCase.baseline` may refer to). */
  readonly provides: readonly string[];
  /** Builds it (once per run of the suite). Never throws. */
  readonly prepare: (settings: BenchSettings) => BaselineRunner | BaselineUnavailable;
}

export interface BenchSuite {
  readonly name: string;
  readonly title: string;
  /** Input description for the report (sizes, shapes). */
  readonly input: string;
  readonly cases: readonly BenchCase[];
  readonly baselines: readonly Baseline[];
  /** Cases that could not be built (e.g. a modem not written yet): printed loudly, not timed. */
  readonly skipped?: readonly string[];
  /** Lines printed under the suite's table (filled by the cases' `verify`, e.g. BER, state size). */
  readonly notes?: readonly string[];
  /**
   * Called once after every selected case has been timed: lines for under the table derived from
   * the figures (e.g. channels per core from ns per sample) and measured after timing (memory).
   */
  readonly report?: (ctx: SuiteReportContext) => string[];
}

/** What a suite's `report` sees: the timed cases, the settings, whether C baselines run. */
export interface SuiteReportContext {
  readonly results: readonly {
    readonly name: string;
    readonly nsPerOp: number;
    readonly baselineNsPerOp?: number;
    readonly ratio?: number;
  }[];
  readonly settings: BenchSettings;
  readonly cEnabled: boolean;
}

export interface BenchSettings {
  readonly minSeconds: number;
  readonly runs: number;
  readonly warmupSeconds: number;
  readonly clock: 'cpu' | 'wall';
  /** Measure heap bytes per op (needs the gc hook; cheap). */
  readonly heap: boolean;
  /** Keep temporary build directories (for debugging a baseline). */
  readonly keepTemp: boolean;
}

export const DEFAULT_SETTINGS: BenchSettings = {
  minSeconds: 0.5,
  runs: 5,
  warmupSeconds: 1,
  clock: 'cpu',
  heap: true,
  keepTemp: false,
};

// ---------------------------------------------------------------------------------------------
// Statistics and results
// ---------------------------------------------------------------------------------------------

export interface Measurement {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly impl: 'faxwire' | 'baseline';
  readonly runs: number;
  readonly opsPerRun: readonly number[];
  /** Per run ns/op on the run clock. */
  readonly nsPerOpRuns: readonly number[];
  readonly wallNsPerOpRuns: readonly number[];
  /** Median over runs (run clock). */
  readonly nsPerOp: number;
  readonly opsPerSec: number;
  readonly minNsPerOp: number;
  readonly maxNsPerOp: number;
  /** (max − min) / median, percent. */
  readonly spreadPct: number;
  readonly wallNsPerOp: number;
  readonly heapBytesPerOp?: number;
  readonly check?: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export function summarise(raw: RawResult, impl: Measurement['impl'], heapBytesPerOp?: number): Measurement {
  const m = median(raw.nsPerOp);
  const min = Math.min(...raw.nsPerOp);
  const max = Math.max(...raw.nsPerOp);
  const base = {
    name: raw.name,
    description: raw.description,
    unit: raw.unit,
    impl,
    runs: raw.nsPerOp.length,
    opsPerRun: raw.ops,
    nsPerOpRuns: raw.nsPerOp,
    wallNsPerOpRuns: raw.wallNsPerOp,
    nsPerOp: m,
    opsPerSec: 1e9 / m,
    minNsPerOp: min,
    maxNsPerOp: max,
    spreadPct: ((max - min) / m) * 100,
    wallNsPerOp: median(raw.wallNsPerOp),
  };
  return {
    ...base,
    ...(heapBytesPerOp !== undefined ? { heapBytesPerOp } : {}),
    ...(raw.check !== undefined && raw.check !== '' ? { check: raw.check } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Timing TypeScript cases
// ---------------------------------------------------------------------------------------------

/** Process CPU time (user + system, all threads) in ns. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function wallNs(): number {
  return Number(process.hrtime.bigint());
}

let sink = 0;
/** Keeps results alive across calls so no case can be optimised away. */
export function consume(x: number): void {
  sink = (sink + x) | 0;
}
export function sinkValue(): number {
  return sink;
}

let gcFn: (() => void) | undefined | null = null;
/** The V8 `gc()` hook, enabled at run time; undefined if unavailable. */
export function getGc(): (() => void) | undefined {
  if (gcFn === null) {
    try {
      setFlagsFromString('--expose-gc');
      const g: unknown = runInNewContext('gc');
      gcFn = typeof g === 'function' ? (g as () => void) : undefined;
    } catch {
      gcFn = undefined;
    }
  }
  return gcFn;
}

/**
 * Heap bytes allocated per op: fresh young generation (full GC), then small batches whose
 * allocation fits in it, measured as growth of `heapUsed` + `arrayBuffers` (typed-array backing
 * stores > 64 octets live outside the JS heap). Median of several batches; a batch during which a
 * scavenge ran shows a drop and is discarded. Returns undefined without the gc hook.
 */
export function heapBytesPerOp(run: (n: number) => number, n = 200, batches = 9): number | undefined {
  const gc = getGc();
  if (gc === undefined) return undefined;
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    gc();
    const m0 = process.memoryUsage();
    consume(run(n));
    const m1 = process.memoryUsage();
    const d = m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers);
    if (d >= 0) samples.push(d / n);
  }
  return samples.length > 0 ? median(samples) : undefined;
}

/** A case calibrated and warmed up, measured one run at a time (so runs can alternate with C's). */
export interface PreparedCase {
  /** One run of ≥ minSeconds: ops done, ns/op on the run clock and on the wall clock. */
  runOnce(): { readonly ops: number; readonly ns: number; readonly wall: number };
  /** The summary of the runs done so far (+ heap bytes per op when the settings ask for it). */
  finish(): Measurement;
}

/** Calibrates and warms up one case as described in the module comment. */
export function prepareCase(c: BenchCase, settings: BenchSettings): PreparedCase {
  const clock = settings.clock === 'cpu' ? cpuNs : wallNs;
  const minNs = settings.minSeconds * 1e9;
  // Calibrate: a batch of ~1/50 of a run keeps clock reads negligible.
  let batch = 16;
  for (;;) {
    const t0 = clock();
    consume(c.run(batch));
    const dt = clock() - t0;
    if (dt >= minNs / 50 || batch >= 2 ** 40) break;
    batch *= dt < minNs / 1000 ? 8 : 2;
  }
  const w0 = clock();
  while (clock() - w0 < settings.warmupSeconds * 1e9) consume(c.run(batch));

  const ops: number[] = [];
  const ns: number[] = [];
  const wall: number[] = [];
  return {
    runOnce: () => {
      let n = 0;
      const wStart = wallNs();
      const t0 = clock();
      let dt: number;
      do {
        consume(c.run(batch));
        n += batch;
        dt = clock() - t0;
      } while (dt < minNs);
      const r = { ops: n, ns: dt / n, wall: (wallNs() - wStart) / n };
      ops.push(r.ops);
      ns.push(r.ns);
      wall.push(r.wall);
      return r;
    },
    finish: () => {
      const heap = settings.heap ? heapBytesPerOp(c.run, c.heapBatch) : undefined;
      return summarise({ name: c.name, description: c.description, unit: c.unit, ops, nsPerOp: ns, wallNsPerOp: wall }, 'faxwire', heap);
    },
  };
}

/** Times one case: calibration, warm-up, then `settings.runs` runs. */
export function timeCase(c: BenchCase, settings: BenchSettings): Measurement {
  const p = prepareCase(c, settings);
  for (let r = 0; r < settings.runs; r++) p.runOnce();
  return p.finish();
}

// ---------------------------------------------------------------------------------------------
// External (C) baselines
// ---------------------------------------------------------------------------------------------

function findUp(start: string, file: string): string | undefined {
  let d = start;
  for (;;) {
    if (existsSync(join(d, file))) return d;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/**
 * The repository root: the nearest directory with a package.json above the compiled harness
 * (dist/bench/lib.js), else above the current directory (when compiled to an outDir elsewhere).
 */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = findUp(here, 'package.json') ?? findUp(process.cwd(), 'package.json');
  if (root === undefined) throw new Error('bench: repository root (a directory with package.json) not found');
  return root;
}

/** `<repo>/../shared`: the steering directory with the reference peer and the corpus. */
export function sharedDir(): string {
  return resolve(repoRoot(), '..', 'shared');
}

export function haveCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** A private temporary directory, removed at exit unless `keep`. */
export function tempDir(prefix: string, keep: boolean): string {
  const d = mkdtempSync(join(tmpdir(), `faxwire-bench-${prefix}-`));
  if (!keep) process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return d;
}

export interface CompileRequest {
  /** Source files, absolute paths (compiled where they are; nothing is copied). */
  readonly sources: readonly string[];
  readonly includeDirs: readonly string[];
  /** e.g. ['-lspandsp']. */
  readonly libs: readonly string[];
  readonly outDir: string;
  readonly exeName: string;
  readonly cflags?: readonly string[];
}

export type CompileResult = { readonly ok: true; readonly exe: string; readonly compiler: string } | { readonly ok: false; readonly reason: string };

/** Compiles a C program with gcc -O2 (warnings shown); never throws. */
export function compileC(req: CompileRequest): CompileResult {
  if (!haveCommand('gcc')) return { ok: false, reason: 'gcc not found (apt-get install build-essential)' };
  for (const s of req.sources) if (!existsSync(s)) return { ok: false, reason: `source not found: ${s}` };
  const exe = join(req.outDir, req.exeName);
  const args = [
    ...(req.cflags ?? ['-O2', '-Wall', '-Wextra']),
    ...req.includeDirs.map((d) => `-I${d}`),
    '-o',
    exe,
    ...req.sources,
    ...req.libs,
  ];
  const r = spawnSync('gcc', args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    const out = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-12).join('\n');
    return { ok: false, reason: `gcc ${args.join(' ')} failed:\n${out}` };
  }
  if (r.stderr.trim() !== '') process.stderr.write(r.stderr);
  return { ok: true, exe, compiler: `${gccVersion()} ${(req.cflags ?? ['-O2']).join(' ')}` };
}

export function gccVersion(): string {
  try {
    return `gcc ${execFileSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).trim()}`;
  } catch {
    return 'gcc ?';
  }
}

/** Debian package version, or undefined. */
export function debVersion(pkg: string): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

/**
 * Runs a baseline program that prints one JSON object per result line on stdout:
 * `{"name","description","unit","ops":[..],"nsPerOp":[..],"wallNsPerOp":[..],"check"}`.
 * Other stdout lines and stderr are passed through to our stderr.
 */
export function runBaselineProgram(exe: string, args: readonly string[], timeoutMs = 600_000): { results: RawResult[]; error?: string } {
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (r.stderr.trim() !== '') process.stderr.write(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`);
  const results: RawResult[] = [];
  for (const line of r.stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) {
      if (t !== '') process.stderr.write(`${t}\n`);
      continue;
    }
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch {
      process.stderr.write(`bench: unparsable baseline line: ${t}\n`);
      continue;
    }
    if (typeof o !== 'object' || o === null) continue;
    const rec = o as Record<string, unknown>;
    const { name, description, unit, ops, nsPerOp, wallNsPerOp, check } = rec;
    if (typeof name !== 'string' || !isNumberArray(ops) || !isNumberArray(nsPerOp) || nsPerOp.length === 0) continue;
    results.push({
      name,
      description: typeof description === 'string' ? description : '',
      unit: typeof unit === 'string' ? unit : 'op',
      ops,
      nsPerOp,
      wallNsPerOp: isNumberArray(wallNsPerOp) ? wallNsPerOp : nsPerOp,
      ...(typeof check === 'string' ? { check } : {}),
    });
  }
  if (r.error) return { results, error: `${exe}: ${r.error.message}` };
  if (r.status !== 0) return { results, error: `${exe} exited with ${r.status ?? r.signal ?? '?'}` };
  return { results };
}

// ---------------------------------------------------------------------------------------------
// Machine description
// ---------------------------------------------------------------------------------------------

export interface MachineInfo {
  readonly cpu: string;
  readonly logicalCpus: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  /** CPU the process tree is pinned to (taskset), if any. */
  readonly pinnedCpu?: number;
  readonly loadAverage: string;
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpu = m[1].trim();
  } catch {
    // not Linux: os.cpus() model it is
  }
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    load = '?';
  }
  const pinned = process.env['FAXWIRE_BENCH_CPU'];
  return {
    cpu,
    logicalCpus: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    ...(pinned !== undefined && /^\d+$/.test(pinned) ? { pinnedCpu: Number(pinned) } : {}),
    loadAverage: load,
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** 12.3 M, 456 k, 789. */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(1);
}

export function fmtNs(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} µs`;
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export interface Column {
  readonly title: string;
  readonly align: 'left' | 'right';
}

/** Plain-text table (monospace), columns padded to their widest cell. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const width = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number): string => {
    const w = width[i] ?? 0;
    return columns[i]?.align === 'right' ? s.padStart(w) : s.padEnd(w);
  };
  const lines = [columns.map((c, i) => cell(c.title, i)).join('  ').trimEnd()];
  lines.push(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) lines.push(columns.map((_, i) => cell(r[i] ?? '', i)).join('  ').trimEnd());
  return lines.join('\n');
}

/** FNV-1a 32-bit, for work fingerprints shared with the C baselines. */
export function fnv1a(h: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let x = h >>> 0;
  for (let i = start; i < end; i++) {
    x ^= bytes[i] ?? 0;
    x = Math.imul(x, 16777619) >>> 0;
  }
  return x;
}
export const FNV_INIT = 2166136261;

export function fingerprint(h: number, count: number): string {
  return `fnv1a32:${(h >>> 0).toString(16).padStart(8, '0')}/${count}`;
}
