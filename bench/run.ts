/**
 * `npm run bench` — runs the benchmark suites (bench/lib.ts describes the method) and prints one
 * table per suite: throughput, ns/op, and the ratio against the C baseline measured in the same
 * run. Never a pass/fail: figures are reported, not asserted (DESIGN.md).
 *
 *   node dist/bench/run.js [FILTER...] [options]
 *     FILTER        a case name, or a substring of names (`udptl`, `udptl/decode`, `view`); all if none
 *     --json        machine-readable results on stdout (progress stays on stderr)
 *     --list        list the cases and exit
 *     --runs N      timed runs per case (default 5)          --min-time S   seconds per run (0.5)
 *     --warmup S    warm-up seconds per case (1)             --quick        3 runs × 0.1 s (smoke test)
 *     --wall        time with the wall clock instead of process CPU time
 *     --no-c        skip the C baselines                      --no-heap      skip heap bytes/op
 *     --no-pin      do not pin to one CPU with taskset        --cpu N        CPU to pin to (default: last)
 *     --keep-temp   keep the temporary build directories
 */

import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

import {
  DEFAULT_SETTINGS,
  fmtNs,
  fmtRate,
  haveCommand,
  machineInfo,
  median,
  prepareCase,
  sinkValue,
  summarise,
  table,
  type BaselineRunner,
  type BenchCase,
  type BenchSettings,
  type BenchSuite,
  type Measurement,
  type RawResult,
} from './lib.js';
import { analyzeSuite } from './analyze.js';
import { convertSuite } from './convert.js';
import { gatewaySuite } from './gateway.js';
import { modemSuite } from './modem.js';
import { sipSuite } from './sip.js';
import { t4Suite } from './t4.js';
import { sessionsSuite } from './sessions.js';
import { udptlSuite } from './udptl.js';

/** Every layer adds its suite here. */
const SUITES: readonly (() => BenchSuite)[] = [udptlSuite, t4Suite, modemSuite, () => gatewaySuite(), sipSuite, sessionsSuite, analyzeSuite, convertSuite];

interface Options {
  readonly filters: string[];
  readonly json: boolean;
  readonly list: boolean;
  readonly noC: boolean;
  readonly noPin: boolean;
  readonly cpu: number | undefined;
  readonly quick: boolean;
  readonly settings: BenchSettings;
}

function usage(msg?: string): never {
  if (msg !== undefined) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node dist/bench/run.js [FILTER...] [--json] [--list] [--runs N] [--min-time S] [--warmup S] [--quick]\n' +
      '                              [--wall] [--no-c] [--no-heap] [--no-pin] [--cpu N] [--keep-temp]\n',
  );
  process.exit(msg === undefined ? 0 : 2);
}

function parseArgs(argv: readonly string[]): Options {
  const filters: string[] = [];
  let json = false;
  let list = false;
  let noC = false;
  let noPin = false;
  let cpu: number | undefined;
  let quick = false;
  let s: BenchSettings = { ...DEFAULT_SETTINGS };
  const num = (i: number, name: string, min: number): number => {
    const v = Number(argv[i]);
    if (argv[i] === undefined || !Number.isFinite(v) || v < min) usage(`${name} needs a number ≥ ${min}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    switch (a) {
      case '--json':
        json = true;
        break;
      case '--list':
        list = true;
        break;
      case '--no-c':
        noC = true;
        break;
      case '--no-pin':
        noPin = true;
        break;
      case '--no-heap':
        s = { ...s, heap: false };
        break;
      case '--wall':
        s = { ...s, clock: 'wall' };
        break;
      case '--keep-temp':
        s = { ...s, keepTemp: true };
        break;
      case '--quick':
        quick = true;
        s = { ...s, runs: 3, minSeconds: 0.1, warmupSeconds: 0.2 };
        break;
      case '--runs':
        s = { ...s, runs: Math.min(64, Math.floor(num(++i, a, 1))) };
        break;
      case '--min-time':
        s = { ...s, minSeconds: num(++i, a, 0.001) };
        break;
      case '--warmup':
        s = { ...s, warmupSeconds: num(++i, a, 0) };
        break;
      case '--cpu':
        cpu = Math.floor(num(++i, a, 0));
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        if (a.startsWith('-')) usage(`unknown option ${a}`);
        filters.push(a.toLowerCase());
    }
  }
  return { filters, json, list, noC, noPin, cpu, quick, settings: s };
}

/**
 * Re-runs this process pinned to one CPU (taskset), so "per core" means one core: the JIT and GC
 * helper threads share it, and the C baseline (a child) inherits the same affinity.
 * Returns true when the pinned child ran (its exit code is ours).
 */
function pinned(opts: Options): boolean {
  if (opts.noPin || process.env['FAXWIRE_BENCH_CPU'] !== undefined || process.platform !== 'linux') return false;
  if (!haveCommand('taskset')) {
    process.stderr.write('bench: taskset not found, not pinned to one CPU\n');
    return false;
  }
  const cpu = opts.cpu ?? cpus().length - 1;
  if (spawnSync('taskset', ['-c', String(cpu), 'true']).status !== 0) {
    process.stderr.write(`bench: cannot pin to CPU ${cpu} (taskset failed), running unpinned\n`);
    return false;
  }
  const script = process.argv[1];
  if (script === undefined) return false;
  const r = spawnSync('taskset', ['-c', String(cpu), process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, FAXWIRE_BENCH_CPU: String(cpu) },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

/** A filter that is a whole case name selects that case only; otherwise it is a substring. */
function selected(c: BenchCase, filters: readonly string[], all: readonly BenchCase[]): boolean {
  if (filters.length === 0) return true;
  const n = c.name.toLowerCase();
  return filters.some((f) => (all.some((x) => x.name.toLowerCase() === f) ? n === f : n.includes(f)));
}

interface CaseResult extends Measurement {
  readonly baseline?: string;
  /** faxwire ops/s ÷ baseline ops/s: the median over runs alternating C, faxwire, C, faxwire, ... */
  readonly ratio?: number;
  /** The per-pair ratios the median was taken over (C run, then ours). */
  readonly pairRatios?: readonly number[];
  readonly baselineNsPerOp?: number;
  readonly baselineOpsPerSec?: number;
  readonly target?: { readonly opsPerSec: number; readonly source: string };
  readonly targetMet?: boolean;
  readonly part: boolean;
  readonly baselineCheck?: string;
  readonly checkMatch?: boolean;
}

interface SuiteReport {
  readonly name: string;
  readonly title: string;
  readonly input: string;
  readonly results: CaseResult[];
  readonly baselines: Measurement[];
  readonly baselineAbout: string[];
  readonly baselineUnavailable: string[];
  readonly warnings: string[];
  /** Cases the suite could not build (not timed). */
  readonly skipped: string[];
  readonly notes: string[];
}

const progress = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

function loud(lines: readonly string[]): string {
  const bar = '!'.repeat(78);
  return [bar, ...lines.flatMap((l) => l.split('\n')).map((l) => `!! ${l}`), bar].join('\n');
}

function runSuite(suite: BenchSuite, opts: Options): SuiteReport | undefined {
  const cases = suite.cases.filter((c) => selected(c, opts.filters, suite.cases));
  const skipped = (suite.skipped ?? []).filter((x) => opts.filters.length === 0 || opts.filters.some((f) => x.toLowerCase().includes(f)));
  if (cases.length === 0 && skipped.length === 0) return undefined;
  const report: SuiteReport = {
    name: suite.name,
    title: suite.title,
    input: suite.input,
    results: [],
    baselines: [],
    baselineAbout: [],
    baselineUnavailable: [],
    warnings: [],
    skipped,
    notes: [],
  };
  progress(`== ${suite.name}: ${suite.title}`);
  if (skipped.length > 0) process.stderr.write(`${loud(['NOT BUILT — skipped:', ...skipped])}\n`);

  // 1. Correctness and work fingerprints, on fresh state, before anything is timed.
  const checks = new Map<string, string>();
  for (const c of cases) {
    c.verify?.();
    if (c.check) checks.set(c.name, c.check());
  }
  report.notes.push(...(suite.notes ?? []));

  // 2. Build the baselines the selected cases refer to.
  const wanted = [...new Set(cases.map((c) => c.baseline).filter((b): b is string => b !== undefined))];
  const runners = new Map<string, BaselineRunner>();
  if (!opts.noC) {
    for (const b of suite.baselines) {
      if (!wanted.some((w) => b.provides.includes(w))) continue;
      progress(`   building baseline ${b.name}`);
      const r = b.prepare(opts.settings);
      report.baselineAbout.push(...r.about);
      if ('unavailable' in r) {
        report.baselineUnavailable.push(`${b.name}: ${r.unavailable}`);
        process.stderr.write(`${loud([`C BASELINE UNAVAILABLE (${b.name}) — TypeScript figures are reported alone`, r.unavailable])}\n`);
        continue;
      }
      for (const name of b.provides) runners.set(name, r);
    }
  } else if (wanted.length > 0) {
    report.baselineUnavailable.push('skipped (--no-c)');
  }

  // 3. Each case, its runs alternating with single runs of its C twin: C, ours, C, ours, ... The
  // ratio is the median over those adjacent pairs, so a slow spell of the shared machine (they
  // last seconds here) weighs on both sides of a pair rather than on one side of the comparison.
  const pooled = new Map<string, RawResult[]>();
  for (const c of cases) {
    let base: Measurement | undefined;
    const runner = c.baseline !== undefined ? runners.get(c.baseline) : undefined;
    const prepared = prepareCase(c, opts.settings);
    const baseRaws: RawResult[] = [];
    const pairRatios: number[] = [];
    let baselineOk = runner !== undefined && c.baseline !== undefined;
    for (let run = 0; run < opts.settings.runs; run++) {
      let cNs: number | undefined;
      if (baselineOk && runner !== undefined && c.baseline !== undefined) {
        const r = runner.run([c.baseline], 1);
        const raw = r.results.find((x) => x.name === c.baseline);
        if (r.error !== undefined || raw === undefined) {
          const w = `baseline ${c.baseline} failed: ${r.error ?? 'no result'}`;
          report.warnings.push(w);
          process.stderr.write(`${loud([w])}\n`);
          baselineOk = false;
        }
        if (raw !== undefined) {
          baseRaws.push(raw);
          cNs = raw.nsPerOp[0];
        }
      }
      const ours = prepared.runOnce();
      if (cNs !== undefined) pairRatios.push(cNs / ours.ns);
    }
    const m = prepared.finish();
    const firstRaw = baseRaws[0];
    if (firstRaw !== undefined) {
      const raw: RawResult = {
        ...firstRaw,
        ops: baseRaws.flatMap((x) => x.ops),
        nsPerOp: baseRaws.flatMap((x) => x.nsPerOp),
        wallNsPerOp: baseRaws.flatMap((x) => x.wallNsPerOp),
      };
      base = summarise(raw, 'baseline');
      pooled.set(raw.name, [...(pooled.get(raw.name) ?? []), raw]);
      progress(`   ${base.name.padEnd(36)} ${fmtRate(base.opsPerSec).padStart(9)}/s  ${fmtNs(base.nsPerOp).padStart(7)} ns`);
    }
    const check = checks.get(c.name);
    const r: CaseResult = {
      ...m,
      part: c.part === true,
      ...(c.baseline !== undefined ? { baseline: c.baseline } : {}),
      ...(base !== undefined && pairRatios.length > 0
        ? { ratio: median(pairRatios), pairRatios, baselineNsPerOp: base.nsPerOp, baselineOpsPerSec: base.opsPerSec }
        : {}),
      ...(c.target !== undefined ? { target: c.target, targetMet: m.opsPerSec >= c.target.opsPerSec } : {}),
      ...(check !== undefined ? { check } : {}),
      ...(check !== undefined && base?.check !== undefined ? { baselineCheck: base.check, checkMatch: base.check === check } : {}),
    };
    if (r.checkMatch === false) {
      const w = `work fingerprint mismatch: ${c.name} ${check ?? ''} ≠ ${c.baseline ?? ''} ${base?.check ?? ''} — the two sides did not produce the same output`;
      report.warnings.push(w);
      process.stderr.write(`${loud([w])}\n`);
    }
    report.results.push(r);
    progress(
      `   ${c.name.padEnd(36)} ${fmtRate(m.opsPerSec).padStart(9)}/s  ${fmtNs(m.nsPerOp).padStart(7)} ns` +
        (r.ratio !== undefined ? `  ${r.ratio.toFixed(2)}× C` : ''),
    );
  }
  if (suite.report !== undefined && report.results.length > 0) {
    report.notes.push(...suite.report({ results: report.results, settings: opts.settings, cEnabled: !opts.noC }));
  }
  // Baseline table: each C result pooled over all its measurements in this run.
  for (const [name, raws] of pooled) {
    const first = raws[0];
    if (first === undefined) continue;
    report.baselines.push(
      summarise(
        {
          ...first,
          name,
          ops: raws.flatMap((x) => x.ops),
          nsPerOp: raws.flatMap((x) => x.nsPerOp),
          wallNsPerOp: raws.flatMap((x) => x.wallNsPerOp),
        },
        'baseline',
      ),
    );
  }
  return report;
}

function printSuite(r: SuiteReport, opts: Options): void {
  const units = new Set([...r.results, ...r.baselines].map((m) => m.unit));
  const rateTitle = units.size === 1 ? `${[...units][0] ?? 'op'}s/s` : 'ops/s';
  const out: string[] = [];
  out.push(`== ${r.name} — ${r.title}`);
  out.push(`input: ${r.input}`);
  for (const a of r.baselineAbout) out.push(`baseline: ${a}`);
  if (r.baselineUnavailable.length > 0) out.push(loud(['NO C BASELINE — TypeScript figures alone, no ratios:', ...r.baselineUnavailable]));
  const cols = [
    { title: 'benchmark', align: 'left' },
    { title: rateTitle, align: 'right' },
    { title: 'ns/op', align: 'right' },
    { title: 'min..max ns', align: 'right' },
    { title: 'heap B/op', align: 'right' },
    { title: 'C ns/op', align: 'right' },
    { title: 'faxwire/C', align: 'right' },
    { title: 'C baseline', align: 'left' },
    { title: 'note', align: 'left' },
  ] as const;
  const row = (m: CaseResult): string[] => {
    const notes: string[] = [];
    if (m.target !== undefined) {
      notes.push(
        `target ≥ ${fmtRate(m.target.opsPerSec)}/s (${m.target.source}): ${m.targetMet === true ? 'met' : `NOT MET (${(m.opsPerSec / m.target.opsPerSec).toFixed(2)}×)`}`,
      );
    }
    if (m.pairRatios !== undefined && m.pairRatios.length > 1) {
      notes.push(`pairs ${Math.min(...m.pairRatios).toFixed(2)}–${Math.max(...m.pairRatios).toFixed(2)}×`);
    }
    if (m.checkMatch === true) notes.push('same output as C');
    if (m.checkMatch === false) notes.push('OUTPUT DIFFERS FROM C');
    return [
      m.name,
      fmtRate(m.opsPerSec),
      fmtNs(m.nsPerOp),
      `${fmtNs(m.minNsPerOp)}..${fmtNs(m.maxNsPerOp)}`,
      m.heapBytesPerOp !== undefined ? m.heapBytesPerOp.toFixed(0) : '—',
      m.baselineNsPerOp !== undefined ? fmtNs(m.baselineNsPerOp) : '—',
      m.ratio !== undefined ? `${m.ratio.toFixed(2)}×` : '—',
      m.baseline ?? '',
      notes.join('; '),
    ];
  };
  const main = r.results.filter((m) => !m.part);
  const parts = r.results.filter((m) => m.part);
  if (main.length > 0) out.push('', table(cols, main.map(row)));
  if (parts.length > 0) out.push('', 'breakdown (halves of the above, each against the matching C half):', table(cols, parts.map(row)));
  if (r.baselines.length > 0) {
    out.push(
      '',
      'C baselines (same run, same input; each run alternates with a run of the case it is compared',
      'with — pooled here over all its measurements; a ratio above is the median of adjacent pairs):',
      table(
        [
          { title: 'baseline', align: 'left' },
          { title: rateTitle, align: 'right' },
          { title: 'ns/op', align: 'right' },
          { title: 'min..max ns', align: 'right' },
          { title: 'runs', align: 'right' },
          { title: 'what', align: 'left' },
        ],
        r.baselines.map((b) => [
          b.name,
          fmtRate(b.opsPerSec),
          fmtNs(b.nsPerOp),
          `${fmtNs(b.minNsPerOp)}..${fmtNs(b.maxNsPerOp)}`,
          String(b.runs),
          b.description,
        ]),
      ),
    );
  }
  if (r.notes.length > 0) out.push('', ...r.notes);
  if (r.skipped.length > 0) out.push('', loud(['NOT BUILT — skipped, no figures:', ...r.skipped]));
  for (const w of r.warnings) out.push(loud([w]));
  if (opts.quick) out.push('(--quick: 3 runs × 0.1 s — a smoke test, not the standard figures)');
  process.stdout.write(`${out.join('\n')}\n\n`);
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const make of SUITES) {
      const s = make();
      for (const c of s.cases) if (selected(c, opts.filters, s.cases)) process.stdout.write(`${c.name.padEnd(40)} ${c.description}\n`);
      for (const x of s.skipped ?? []) if (opts.filters.length === 0 || opts.filters.some((f) => x.toLowerCase().includes(f))) process.stdout.write(`${x}\n`);
    }
    return;
  }
  if (pinned(opts)) return;

  const machine = machineInfo();
  const s = opts.settings;
  const header =
    `faxwire bench — ${new Date().toISOString()}\n` +
    `machine: ${machine.cpu}, ${machine.logicalCpus} logical CPUs, ${machine.platform}, load ${machine.loadAverage}\n` +
    `node ${machine.node} (V8 ${machine.v8}); ` +
    (machine.pinnedCpu !== undefined ? `pinned to CPU ${machine.pinnedCpu} (taskset), C baseline too` : 'NOT pinned to one CPU') +
    `\nmethod: median of ${s.runs} runs × ≥ ${s.minSeconds} s (${s.clock === 'cpu' ? 'process CPU time' : 'wall clock'}) after ${s.warmupSeconds} s warm-up, one thread; each run follows one run of its C twin, faxwire/C = median of the per-pair ratios`;
  if (!opts.json) process.stdout.write(`${header}\n\n`);
  else progress(header);

  const reports: SuiteReport[] = [];
  for (const make of SUITES) {
    const r = runSuite(make(), opts);
    if (r === undefined) continue;
    reports.push(r);
    if (!opts.json) printSuite(r, opts);
  }
  if (reports.length === 0) usage(`no benchmark matches ${opts.filters.join(' ')} (try --list)`);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ tool: 'faxwire-bench', format: 1, date: new Date().toISOString(), machine, settings: s, suites: reports, sink: sinkValue() }, null, 2)}\n`,
    );
  }
}

main();
