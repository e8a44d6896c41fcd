/**
 * The `sessions` suite: what a whole T.38 fax call costs when many run at once (issue 13 item 2:
 * ≥ 1.0× spandsp's CPU per call-second, floor 0.7×; ≤ 256 KiB per call, flat from 100 to 1000
 * calls). faxwire's `T38Terminal` pairs against libspandsp 0.0.6 `t38_terminal` pairs
 * (bench/c/sessions_baseline.c) in the same run, both in virtual time in one process.
 *
 * A call: a calling terminal sends 3 pages with ECM (CCITT test pages itu1..3, 1728 × 2376 at
 * 204 × 196 dpi, from ../shared/corpus; spandsp reads the same pages from a TIFF written here)
 * to an answering terminal; V.17/V.29/V.27ter, MH/MR/MMR offered on both sides, T.38 version 0,
 * UDPTL with redundancy 3 and spandsp's per-category repeat counts. Both terminals of a pair are
 * advanced in 20 ms steps (spandsp: `t38_terminal_send_timeout(160 samples)`; faxwire: `tick`);
 * the datagrams a step produced are handed to the other terminal in the same step (faxwire:
 * `receive`; spandsp: the reference peer's `udptl_receive` → `t38_core_rx_ifp_packet`).
 *
 * - `sessions/pair` (timed by the harness, alternating with its C twin): one pair at a time,
 *   restarted when done; one op = one call-second of fax time, so ns/op = CPU per call-second.
 * - `report` (after the timing): N = 100 and N = 1000 pairs, call i starting at (i mod 50) × 20 ms,
 *   every call run from start to end. CPU per call-second = process CPU / Σ call durations; heap
 *   per call = (JS heap + ArrayBuffers after a full GC, at the moment every call is in the middle
 *   of its 2nd page, found by a solo call first) − the same before the calls were built, / N.
 *   spandsp: the same schedule, CPU from CLOCK_PROCESS_CPUTIME_ID, memory from mallinfo2
 *   (malloc'd bytes) and RSS growth. Pages are checked on both sides: faxwire's received bitmaps
 *   are compared with the sources octet for octet, spandsp's received TIFFs (call 0 and call N−1)
 *   are read back and compared the same way, and every call's page count is reported.
 * faxwire's receiver streams its pages (`retainPages: false`, the page leaves with its
 * `page-rx-end` event) and decodes them into one page buffer shared by all the calls
 * (`pageBuffer`: the bitmap is valid until the next page is decoded, so the sink compares it at
 * once); the retained mode (a new array per page, every page kept) is measured too at N = 100.
 * spandsp's receiver also re-encodes each page into its TIFF file (its page sink), which is in
 * its figure; faxwire's sink here only compares the bitmap (not in the timed loop's figure for
 * `report`: the comparison is timed apart and subtracted).
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { T38Terminal } from '../src/fax/terminal/t38-terminal.js';
import { T30PageBuffer } from '../src/t30/page-buffer.js';
import { readTiff } from '../src/image/tiff-read.js';
import { writeTiff } from '../src/image/tiff-write.js';
import type { Bitmap } from '../src/t4/bitmap.js';
import {
  compileC,
  debVersion,
  getGc,
  repoRoot,
  runBaselineProgram,
  sharedDir,
  tempDir,
  type Baseline,
  type BaselineRunner,
  type BaselineUnavailable,
  type BenchCase,
  type BenchSettings,
  type BenchSuite,
  type SuiteReportContext,
} from './lib.js';
import { spawnSync } from 'node:child_process';

export const STEP_MS = 20;
const STAGGER_SLOTS = 50;
const MAX_CALL_MS = 600_000;
const PAGES = 3;
const TARGET_BYTES = 256 * 1024;
const C_PAIR = 'c/sessions/pair';

// ---------------------------------------------------------------------------------------------
// pages

function readPbm(file: string): Bitmap {
  const b = readFileSync(file);
  const m = /^P4\s+(?:#[^\n]*\n\s*)*(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)\s/.exec(b.toString('latin1', 0, 200));
  if (m === null) throw new Error(`bench sessions: ${file} is not a raw PBM`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  const stride = (width + 7) >>> 3;
  const data = new Uint8Array(b.subarray(m[0].length, m[0].length + stride * height));
  if (data.length !== stride * height) throw new Error(`bench sessions: ${file} is truncated`);
  return { width, height, stride, data, xDpi: 204, yDpi: 196 };
}

/** Stand-in pages when the corpus is missing: bands of stripes (deterministic). */
function syntheticPage(seed: number): Bitmap {
  const width = 1728;
  const height = 2200;
  const stride = width >>> 3;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if ((y >> 4) % 3 !== 0) continue;
    for (let x = 0; x < stride; x++) if ((x * 7 + y + seed) % 11 < 3) data[y * stride + x] = 0xf0;
  }
  return { width, height, stride, data, xDpi: 204, yDpi: 196 };
}

export function benchPages(): { pages: Bitmap[]; source: string } {
  const dir = join(sharedDir(), 'corpus', 'spandsp', 'test-data', 'itu', 'fax');
  const files = [1, 2, 3].map((n) => join(dir, `itu${n}.pbm`));
  if (files.every((f) => existsSync(f))) return { pages: files.map(readPbm), source: `CCITT itu1..3 (${dir})` };
  return { pages: [0, 1, 2].map(syntheticPage), source: 'synthetic stripes (corpus missing)' };
}

/** Same size and the same octets (padding bits of 1728-wide rows: none). */
export function sameBitmap(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height || a.stride !== b.stride || a.data.length !== b.data.length) return false;
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// one faxwire pair

/**
 * The page buffer every streaming answerer of the bench decodes into (one for the process,
 * T30EngineOptions `pageBuffer`): the sink below compares each page inside the step that
 * delivered it, before any other terminal runs, as the buffer's rule asks.
 */
const SHARED_PAGES = new T30PageBuffer();

export class SessionPair {
  readonly caller: T38Terminal;
  readonly answerer: T38Terminal;
  active = true;
  started = false;
  endedAt = 0;
  pagesRx = 0;
  pagesSame = 0;
  /** Fax time (from start) of each `page-rx-end` at the answerer. */
  readonly pageEnds: number[] = [];
  /** CPU ns spent comparing pages (the bench's sink, not the call). */
  compareNs = 0;

  constructor(
    private readonly pages: readonly Bitmap[],
    readonly startAt: number,
    retainPages: boolean,
  ) {
    this.caller = new T38Terminal({ role: 'calling', send: { pages }, ecm: true, ident: 'caller', retainPages });
    this.answerer = new T38Terminal({
      role: 'answering',
      receive: true,
      ecm: true,
      ident: 'answerer',
      retainPages,
      ...(retainPages ? {} : { pageBuffer: SHARED_PAGES }),
    });
  }

  /** One 20 ms step at fax time `now`; true when the call has just ended. */
  step(now: number): boolean {
    if (!this.active || now < this.startAt) return false;
    const a = this.caller;
    const b = this.answerer;
    if (!this.started) {
      this.started = true;
      b.start(now);
      a.start(now);
    } else {
      if (!a.done) a.tick(now);
      if (!b.done) b.tick(now);
    }
    for (let round = 0; round < 16; round++) {
      const outA = a.takeOutput();
      const outB = b.takeOutput();
      if (outA.length === 0 && outB.length === 0) break;
      if (!b.done) for (const d of outA) b.receive(d, now);
      if (!a.done) for (const d of outB) a.receive(d, now);
    }
    a.takeEvents();
    for (const e of b.takeEvents()) {
      if (e.type !== 'page-rx-end') continue;
      this.pagesRx++;
      this.pageEnds.push(now - this.startAt);
      const src = this.pages[e.page - 1];
      const c0 = process.cpuUsage();
      if (e.accepted && src !== undefined && sameBitmap(e.bitmap, src)) this.pagesSame++;
      const c1 = process.cpuUsage(c0);
      this.compareNs += (c1.user + c1.system) * 1000;
    }
    if ((a.done && b.done) || now - this.startAt >= MAX_CALL_MS) {
      this.active = false;
      this.endedAt = now + STEP_MS;
      return true;
    }
    return false;
  }

  get ok(): boolean {
    return this.caller.result?.ok === true && this.answerer.result?.ok === true && this.pagesSame === PAGES;
  }
}

/** A solo call from start to end (untimed): when its pages ended, how long it lasted. */
export function soloCall(pages: readonly Bitmap[], retainPages = false): SessionPair {
  const p = new SessionPair(pages, 0, retainPages);
  for (let now = 0; p.active; now += STEP_MS) p.step(now);
  return p;
}

export interface WholeRun {
  readonly calls: number;
  readonly cpuNs: number;
  readonly callSeconds: number;
  readonly nsPerCallSecond: number;
  readonly okCalls: number;
  readonly pagesRx: number;
  readonly pagesSame: number;
  readonly heapPerCall: number | undefined;
  readonly midMs: number;
}

function memNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** N pairs on the staggered schedule, each from start to end (see the module comment). */
/** Fax time (from its start) when a solo call is in the middle of its 2nd page. */
function midSecondPage(pages: readonly Bitmap[]): number {
  const solo = soloCall(pages, false);
  const e0 = solo.pageEnds[0] ?? 0;
  const e1 = solo.pageEnds[1] ?? e0;
  return Math.round((e0 + e1) / 2);
}

/** A full GC, repeated: ArrayBuffer backing stores are released by the GC after the first. */
function fullGc(gc: (() => void) | undefined): void {
  for (let i = 0; i < 3; i++) gc?.();
}

export function wholeRun(pages: readonly Bitmap[], n: number, retainPages: boolean): WholeRun {
  const midMs = midSecondPage(pages);
  const gc = getGc();
  fullGc(gc);
  const m0 = memNow();
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  };
  const c0 = cpu();
  let gcNs = 0;
  const pairs: SessionPair[] = [];
  for (let i = 0; i < n; i++) pairs.push(new SessionPair(pages, (i % STAGGER_SLOTS) * STEP_MS, retainPages));
  let live = n;
  let heap: number | undefined;
  const at = midMs + ((STAGGER_SLOTS - 1) * STEP_MS) / 2;
  for (let now = 0; live > 0; now += STEP_MS) {
    if (heap === undefined && now >= at && gc !== undefined) {
      const g0 = cpu();
      fullGc(gc);
      heap = (memNow() - m0) / n;
      gcNs += cpu() - g0;
    }
    for (let i = 0; i < n; i++) if ((pairs[i] as SessionPair).step(now)) live--;
  }
  const compareNs = pairs.reduce((s, p) => s + p.compareNs, 0);
  const cpuNs = cpu() - c0 - gcNs - compareNs;
  const callSeconds = pairs.reduce((s, p) => s + (p.endedAt - p.startAt), 0) / 1000;
  return {
    calls: n,
    cpuNs,
    callSeconds,
    nsPerCallSecond: cpuNs / callSeconds,
    okCalls: pairs.filter((p) => p.ok).length,
    pagesRx: pairs.reduce((s, p) => s + p.pagesRx, 0),
    pagesSame: pairs.reduce((s, p) => s + p.pagesSame, 0),
    heapPerCall: heap,
    midMs,
  };
}

// ---------------------------------------------------------------------------------------------
// the C twin

interface CTwin {
  readonly exe: string;
  /** bench/c/udp_send.c, when it built. */
  readonly udpExe: string | undefined;
  readonly tiff: string;
  readonly rxDir: string;
  readonly about: string[];
}

class CTwinBuilder {
  private built: CTwin | BaselineUnavailable | undefined;
  constructor(private readonly pages: readonly Bitmap[]) {}
  get(keepTemp: boolean): CTwin | BaselineUnavailable {
    if (this.built !== undefined) return this.built;
    const about = ['c/sessions_baseline: libspandsp t38_terminal pairs over the spandsp peer\'s udptl.c (redundancy 3), gcc -O2'];
    const peerSrc = join(sharedDir(), 'interop', 'spandsp-peer', 'src');
    if (debVersion('libspandsp-dev') === undefined) return (this.built = { unavailable: 'libspandsp-dev not installed', about });
    if (!existsSync(join(peerSrc, 'udptl.c'))) return (this.built = { unavailable: `spandsp peer sources not found (${peerSrc})`, about });
    const dir = tempDir('sessions', keepTemp);
    const c = compileC({
      sources: [join(repoRoot(), 'bench', 'c', 'sessions_baseline.c'), join(peerSrc, 'udptl.c')],
      includeDirs: [peerSrc, join(repoRoot(), 'bench', 'c')],
      libs: ['-lspandsp', '-ltiff', '-lm'],
      outDir: dir,
      exeName: 'sessions_baseline',
      cflags: ['-O2', '-Wall', '-Wno-unused-parameter'],
    });
    if (!c.ok) return (this.built = { unavailable: c.reason, about });
    const u = compileC({ sources: [join(repoRoot(), 'bench', 'c', 'udp_send.c')], includeDirs: [], libs: [], outDir: dir, exeName: 'udp_send' });
    const tiff = join(dir, 'pages.tif');
    writeFileSync(tiff, writeTiff(this.pages, { compression: 'mh' }));
    about.push(`${c.compiler}, libspandsp ${debVersion('libspandsp-dev') ?? '?'}; pages from ${tiff} (MH TIFF written by faxwire)`);
    return (this.built = { exe: c.exe, udpExe: u.ok ? u.exe : undefined, tiff, rxDir: dir, about });
  }
}

function cBaseline(twin: CTwinBuilder): Baseline {
  return {
    name: 'c/sessions_baseline',
    provides: [C_PAIR],
    prepare: (settings: BenchSettings): BaselineRunner | BaselineUnavailable => {
      const t = twin.get(settings.keepTemp);
      if ('unavailable' in t) return t;
      const warmup = Math.min(settings.warmupSeconds, 0.5);
      return {
        about: t.about,
        run: (_wanted, runs) =>
          runBaselineProgram(t.exe, ['pair', t.tiff, t.rxDir, String(settings.minSeconds), String(runs ?? settings.runs), String(warmup), ...(settings.clock === 'wall' ? ['--wall'] : [])]),
      };
    },
  };
}

interface CWhole {
  readonly calls: number;
  readonly nsPerCallSecond: number;
  readonly callSeconds: number;
  readonly pagesRx: number;
  readonly okCalls: number;
  readonly mallocPerCall: number;
  readonly rssPerCall: number;
  readonly stateBytes: number;
  readonly midMs: number;
}

function cWhole(t: CTwin, n: number): CWhole | string {
  const r = spawnSync(t.exe, ['whole', t.tiff, t.rxDir, String(n)], { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 16 << 20 });
  if (r.status !== 0) return `sessions_baseline whole ${n}: exit ${r.status ?? r.signal ?? '?'} ${(r.stderr || '').slice(-400)}`;
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) return `sessions_baseline whole ${n}: no JSON output`;
  try {
    return JSON.parse(line) as CWhole;
  } catch {
    return `sessions_baseline whole ${n}: unparsable output`;
  }
}

/** spandsp's received TIFF of call `id`, compared page by page with the sources. */
function cPagesSame(t: CTwin, id: number, pages: readonly Bitmap[]): string {
  const f = join(t.rxDir, `rx-${id}.tif`);
  if (!existsSync(f)) return `call ${id}: no TIFF`;
  const r = readTiff(new Uint8Array(readFileSync(f)));
  if (!r.ok) return `call ${id}: TIFF unreadable (${r.error.code})`;
  let same = 0;
  r.value.forEach((p, i) => {
    const src = pages[i];
    if (src !== undefined && p.raster.kind === 'bilevel' && sameBitmap(p.raster.bitmap, src)) same++;
  });
  return `call ${id}: ${r.value.length} pages, ${same} identical to the sources`;
}

/** What one datagram send costs in Node (child process, bench/udp-send.ts) and in C (sendto). */
function udpLines(c: CTwin | undefined): string[] {
  const n = 20_000;
  const out: string[] = [];
  const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'bench', 'udp-send.js'), String(n)], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || line === undefined) return [`udp: the Node send measurement failed (${r.status ?? r.signal ?? '?'}) ${r.stderr.slice(-300)}`];
  const j = JSON.parse(line) as Record<string, number>;
  const us = (k: string): string => (typeof j[k] === 'number' ? `${((j[k] ?? 0) / 1000).toFixed(2)} µs` : '—');
  let cNs: number | undefined;
  if (c?.udpExe !== undefined) {
    const cr = spawnSync(c.udpExe, [String(n)], { encoding: 'utf8', timeout: 120_000 });
    const cl = cr.stdout.split('\n').find((l) => l.startsWith('{'));
    if (cr.status === 0 && cl !== undefined) cNs = (JSON.parse(cl) as Record<string, number>)['sendto'];
  }
  out.push(
    `udp (124-octet datagrams to 127.0.0.1, process CPU per datagram, ${n} sends in bursts of 32): node:dgram send with a closure per send ${us('callback')}, ` +
      `one shared callback (udp-driver.ts) ${us('shared-callback')}, connected socket ${us('connected')}, send([a, b]) ${us('list')}` +
      (cNs !== undefined ? `; C sendto() ${(cNs / 1000).toFixed(2)} µs (the driver's send costs ${((j['shared-callback'] ?? NaN) / cNs).toFixed(1)}× as much)` : ''),
  );
  out.push('  Node ≥ 20 dgram has no sendmmsg-like batch: send([a, b]) is one datagram from two buffers; each datagram is one send (and, unconnected, one address lookup).');
  return out;
}

// ---------------------------------------------------------------------------------------------

const kib = (b: number | undefined): string => (b === undefined ? '—' : `${(b / 1024).toFixed(0)} KiB`);
const msPerS = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

export function sessionsSuite(): BenchSuite {
  const { pages, source } = benchPages();
  const twin = new CTwinBuilder(pages);
  let pair: SessionPair | undefined;
  let now = 0;
  const notes: string[] = [];
  let soloNote = '';

  const cases: BenchCase[] = [
    {
      name: 'sessions/pair',
      description: 'one T38Terminal pair, 3 pages ECM, one call-second (20 ms steps), restarted when done',
      unit: 'call-second',
      baseline: C_PAIR,
      verify: () => {
        const p = soloCall(pages);
        soloNote =
          `solo call: ${(p.endedAt / 1000).toFixed(1)} s of fax time, ${p.pagesRx} pages received, ${p.pagesSame} identical to the sources, ` +
            `result ${p.caller.result?.code ?? '?'}/${p.answerer.result?.code ?? '?'} (${p.answerer.result?.modulation ?? '?'} ${p.answerer.result?.coding ?? '?'})`;
        if (!p.ok) throw new Error(`sessions: the solo call did not deliver its ${PAGES} pages intact`);
      },
      run: (n) => {
        let ms = 0;
        let pagesRx = 0;
        while (ms < n * 1000) {
          if (pair === undefined || !pair.active) {
            if (pair !== undefined) pagesRx += pair.pagesRx;
            pair = new SessionPair(pages, now, false);
          }
          pair.step(now);
          now += STEP_MS;
          ms += STEP_MS;
        }
        return pagesRx;
      },
      heapBatch: 20,
    },
  ];

  const report = (ctx: SuiteReportContext): string[] => {
    const lines: string[] = soloNote !== '' ? [soloNote] : [];
    const t = ctx.cEnabled ? twin.get(ctx.settings.keepTemp) : undefined;
    const c = t !== undefined && !('unavailable' in t) ? t : undefined;
    const ns = [100, 1000];
    const env = process.env['FAXWIRE_BENCH_SESSIONS'];
    if (env !== undefined && /^\d+(,\d+)*$/.test(env)) ns.splice(0, ns.length, ...env.split(',').map(Number));
    lines.push(`whole-call runs (call i starts at (i mod ${STAGGER_SLOTS}) × ${STEP_MS} ms; CPU per call-second = process CPU / Σ call durations):`);
    for (const n of ns) {
      const cw = c !== undefined ? cWhole(c, n) : undefined;
      const fw = wholeRun(pages, n, false);
      const fwLine =
        `  N = ${n}: faxwire ${msPerS(fw.nsPerCallSecond)} CPU per call-second, heap ${kib(fw.heapPerCall)} per call ` +
        `(target ≤ ${kib(TARGET_BYTES)}), ${fw.okCalls}/${n} calls OK, ${fw.pagesSame}/${fw.pagesRx} pages identical`;
      lines.push(fwLine);
      if (typeof cw === 'string') lines.push(`  N = ${n}: spandsp FAILED: ${cw}`);
      else if (cw !== undefined) {
        lines.push(
          `  N = ${n}: spandsp ${msPerS(cw.nsPerCallSecond)} CPU per call-second, malloc ${kib(cw.mallocPerCall)} per call, RSS ${kib(cw.rssPerCall)} per call ` +
            `(sizeof t38_terminal_state_t ${kib(cw.stateBytes)}), ${cw.okCalls}/${n} calls OK with 3 pages`,
        );
        lines.push(`  N = ${n}: ratio spandsp/faxwire CPU ${(cw.nsPerCallSecond / fw.nsPerCallSecond).toFixed(2)}× (> 1: faxwire faster; target ≥ 1.0, floor 0.7)`);
        if (c !== undefined) lines.push(`  N = ${n}: spandsp pages: ${cPagesSame(c, 0, pages)}; ${cPagesSame(c, n - 1, pages)}`);
      }
    }
    lines.push(...udpLines(c));
    if (env === undefined || ns.includes(100)) {
      const kept = wholeRun(pages, 100, true);
      lines.push(`  N = 100, pages retained in the session (retainPages: true): ${msPerS(kept.nsPerCallSecond)} CPU per call-second, heap ${kib(kept.heapPerCall)} per call`);
    }
    return lines;
  };

  return {
    name: 'sessions',
    title: 'Concurrent T.38 fax calls: faxwire T38Terminal pairs vs spandsp t38_terminal pairs',
    input: `3 pages ECM per call (${source}), 20 ms steps, UDPTL redundancy 3`,
    cases,
    baselines: [cBaseline(twin)],
    notes,
    report,
  };
}
