/**
 * The `gateway` suite: what one T.38 gateway channel costs (issue 11: ≥ 500 channels per core,
 * ≤ 256 KiB per channel, ≤ 20 ms added latency), faxwire's sans-IO `T38Gateway` against
 * spandsp's `t38_gateway_*` (libspandsp 0.0.6, bench/c/gateway_bench.c) on the same inputs in the
 * same run.
 *
 * Workload (bench/gateway-inputs.ts records it once, untimed): the realistic load of a channel
 * relaying a page is one direction carrying the page while the other is nearly idle, so each
 * direction is timed alone and the two are summed ("a channel relaying a page"):
 * - `gateway/audio-to-t38`: the fax machine's audio of a V.17/14400 non-ECM page (DCS, TCF,
 *   page, EOP; ≈ 24 s) into `audioReceive` in 160-sample blocks — V.21, the tone detector and
 *   V.17 demodulation, HDLC and T.4 relaying, IFP encoding and UDPTL (redundancy 3) — and the
 *   datagrams taken out. spandsp: `t38_gateway_rx` + the peer's `udptl_build` (redundancy 3).
 * - `gateway/t38-to-audio`: a T.38 terminal's datagrams for the same page into `t38Receive` at
 *   their arrival times (+ `tick`), `audioTransmit` pulling 160-sample blocks — UDPTL and IFP
 *   decoding, the play-out and V.21/V.17 remodulation. spandsp: the peer's `udptl_receive` →
 *   `t38_core_rx_ifp_packet`, `t38_gateway_tx`.
 * One op is one 8 kHz sample of the input, so ns/op × 8000 / 10⁶ = ms of CPU per channel-second
 * and 1000 / that = channels one core sustains in real time. At the end of an input a fresh
 * gateway is built (its construction is in the figure, amortised over the ≈ 24 s).
 *
 * After the timing (`report`): per-channel CPU and channels per core for each direction and
 * their sum, against spandsp's from the same run; memory per channel (N = 100 and 500 gateways,
 * fresh and driven into the page: JS heap + ArrayBuffers growth / N, and RSS growth / N; for
 * spandsp sizeof(t38_gateway_state_t) and RSS growth / N); and the latency the gateway adds,
 * both gateways fed in 8-sample (1 ms) blocks and judged by the same code here:
 * - audio → IFP: from the sample after a V.21 frame's closing flag (the earliest a receiver can
 *   know the frame is whole, T.30 §5.3.1) to the end of the 1 ms block in which the gateway
 *   emitted its `hdlc-fcs-OK` (T.38 §7.4): demodulator delay + HDLC + relaying;
 * - IFP → audio: from an indicator's arrival to the first loud sample of the burst it starts
 *   (the play-out's start delay), and from a burst's last IFP (`…-sig-end`) to the burst's last
 *   loud sample (what is still queued when the data ends, + the modem's shutdown).
 * Nothing is asserted: figures and target verdicts are printed (DESIGN.md).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { T38Gateway } from '../src/fax/gateway/gateway.js';
import { decodeIfp, type Ifp } from '../src/t38/ifp.js';
import {
  BENCH_T38_VERSION,
  audioFile,
  findBursts,
  primaryIfp,
  recordInputs,
  t38File,
  type GatewayBenchInputs,
} from './gateway-inputs.js';
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

export const BLOCK = 160;
/** Block size of the latency runs: 1 ms, so a figure is exact to 1 ms. */
export const LATENCY_BLOCK = 8;
export const TARGET_CHANNELS = 500;
export const TARGET_BYTES = 256 * 1024;
export const TARGET_LATENCY_MS = 20;

/** What the suite needs of a gateway (`T38Gateway` has it; tests may pass a stand-in). */
export interface GatewayUnderTest {
  audioReceive(input: Int16Array | null, offset?: number, n?: number): void;
  audioTransmit(out: Int16Array, offset?: number, n?: number): void;
  t38Receive(datagram: Uint8Array, now: number): void;
  tick(now: number): void;
  takeOutput(): Uint8Array[];
  readonly playoutMs: number;
}

export type GatewayFactory = () => GatewayUnderTest;

/** faxwire's gateway as the bench runs it: T.38 v0 (spandsp's default), redundancy 3, ECM allowed. */
export const faxwireGateway: GatewayFactory = () => new T38Gateway({ t38Version: BENCH_T38_VERSION });

// --- the two directions ---------------------------------------------------------------------

/** Audio → T.38: the recorded audio in blocks, round and round (a fresh gateway each time). */
export class AudioToT38Driver {
  private gw: GatewayUnderTest;
  private at = 0;
  /** Octets of UDPTL sent (the work's output). */
  octets = 0;
  datagrams = 0;
  constructor(
    private readonly make: GatewayFactory,
    private readonly audio: Int16Array,
  ) {
    this.gw = make();
  }
  run(n: number, block = BLOCK): number {
    const audio = this.audio;
    let left = n;
    while (left > 0) {
      const len = Math.min(block, left, audio.length - this.at);
      this.gw.audioReceive(audio, this.at, len);
      for (const d of this.gw.takeOutput()) {
        this.octets += d.length;
        this.datagrams++;
      }
      this.at += len;
      left -= len;
      if (this.at >= audio.length) {
        this.at = 0;
        this.gw = this.make();
      }
    }
    return this.octets;
  }
}

/** T.38 → audio: the datagrams at their arrival times, audio pulled in blocks, round and round. */
export class T38ToAudioDriver {
  private gw: GatewayUnderTest;
  private at = 0;
  private next = 0;
  private readonly out = new Int16Array(BLOCK);
  /** Sum of |sample| of the audio produced (the work's output). */
  energy = 0;
  constructor(
    private readonly make: GatewayFactory,
    private readonly inputs: Pick<GatewayBenchInputs, 'datagrams' | 't38Samples'>,
  ) {
    this.gw = make();
  }
  run(n: number, block = BLOCK): number {
    const { datagrams, t38Samples } = this.inputs;
    const out = this.out;
    let left = n;
    while (left > 0) {
      const len = Math.min(block, left, t38Samples - this.at);
      const now = this.at / 8;
      for (let d = datagrams[this.next]; d !== undefined && d.at <= this.at; d = datagrams[++this.next]) this.gw.t38Receive(d.bytes, now);
      this.gw.tick(now);
      this.gw.audioTransmit(out, 0, len);
      for (let i = 0; i < len; i += 16) this.energy += Math.abs(out[i] as number);
      this.at += len;
      left -= len;
      if (this.at >= t38Samples) {
        this.at = 0;
        this.next = 0;
        this.gw = this.make();
      }
    }
    return this.energy;
  }
}

// --- latency ----------------------------------------------------------------------------------

/** An IFP a gateway emitted, at the end of the input block it emitted it in (samples). */
export interface EmittedIfp {
  readonly at: number;
  readonly ifp: Ifp;
}

/** Raw observations of one gateway in 1 ms blocks: its IFPs (audio → T.38) and its audio (T.38 → audio). */
export interface LatencyRun {
  readonly emitted: readonly EmittedIfp[];
  readonly audioOut: Int16Array;
  /** play-out queue (ms) sampled every block during the page (faxwire only). */
  readonly playoutDuringPage?: readonly number[];
}

export function faxwireLatencyRun(make: GatewayFactory, inputs: GatewayBenchInputs): LatencyRun {
  const emitted: EmittedIfp[] = [];
  const a = make();
  const seen = new Set<number>();
  for (let at = 0; at < inputs.audio.length; at += LATENCY_BLOCK) {
    const len = Math.min(LATENCY_BLOCK, inputs.audio.length - at);
    a.audioReceive(inputs.audio, at, len);
    for (const d of a.takeOutput()) {
      const p = primaryIfp(d, BENCH_T38_VERSION);
      if (p === undefined || seen.has(p.seq)) continue;
      seen.add(p.seq);
      emitted.push({ at: at + len, ifp: p.ifp });
    }
  }
  const t = make();
  const audioOut = new Int16Array(inputs.t38Samples);
  const playout: number[] = [];
  const pageEnd = pageSigEndAt(inputs);
  let next = 0;
  for (let at = 0; at < inputs.t38Samples; at += LATENCY_BLOCK) {
    const len = Math.min(LATENCY_BLOCK, inputs.t38Samples - at);
    for (let d = inputs.datagrams[next]; d !== undefined && d.at <= at; d = inputs.datagrams[++next]) t.t38Receive(d.bytes, at / 8);
    t.tick(at / 8);
    t.audioTransmit(audioOut, at, len);
    if (at >= inputs.pageIfpAt && at <= pageEnd) playout.push(t.playoutMs);
  }
  return { emitted, audioOut, playoutDuringPage: playout };
}

/** Arrival of the page's t4-non-ecm-sig-end, samples. */
function pageSigEndAt(inputs: GatewayBenchInputs): number {
  for (const d of inputs.datagrams) {
    const p = primaryIfp(d.bytes, BENCH_T38_VERSION);
    if (p?.ifp.type === 't30-data' && p.ifp.fields?.some((f) => f.type === 't4-non-ecm-sig-end') === true) return d.at;
  }
  return inputs.t38Samples;
}

const FCS_OK = new Set(['hdlc-fcs-OK', 'hdlc-fcs-OK-sig-end']);
const SIG_END = new Set(['hdlc-fcs-OK-sig-end', 'hdlc-sig-end', 't4-non-ecm-sig-end', 'hdlc-fcs-BAD-sig-end']);

export interface LatencyFigures {
  /** Per V.21 frame of the audio input: ms from its closing flag to the gateway's fcs-OK (undefined: none came). */
  readonly frames: readonly { readonly name: string; readonly ms: number | undefined }[];
  /** Per burst of the T.38 input: its indicator, start delay and end delay (ms; undefined: no burst heard). */
  readonly bursts: readonly { readonly what: string; readonly startMs: number | undefined; readonly endMs: number | undefined }[];
  readonly playout?: { readonly meanMs: number; readonly maxMs: number };
}

/** When a datagram arriving at `at` is delivered in 1 ms blocks: at the next block start. */
const deliveredAt = (at: number): number => Math.ceil(at / LATENCY_BLOCK) * LATENCY_BLOCK;

/** The figures from one gateway's run, the same code for both gateways. */
export function analyseLatency(inputs: GatewayBenchInputs, run: LatencyRun): LatencyFigures {
  // audio → IFP: the k-th V.21 fcs-OK answers the k-th frame.
  const fcs = run.emitted.filter((e) => e.ifp.type === 't30-data' && e.ifp.dataType === 'v21' && e.ifp.fields?.some((f) => FCS_OK.has(f.type)) === true);
  const frames = inputs.frames.map((f, k) => {
    const e = fcs[k];
    return { name: f.name, ms: e === undefined ? undefined : (e.at - f.end) / 8 };
  });
  // IFP → audio.
  const heard = findBursts(run.audioOut);
  const bursts: { what: string; startMs: number | undefined; endMs: number | undefined }[] = [];
  const seen = new Set<number>();
  let open: { what: string; startMs: number | undefined; endMs: number | undefined } | undefined;
  for (const d of inputs.datagrams) {
    const p = primaryIfp(d.bytes, BENCH_T38_VERSION);
    if (p === undefined || seen.has(p.seq)) continue;
    seen.add(p.seq);
    const at = deliveredAt(d.at);
    if (p.ifp.type === 't30-indicator' && p.ifp.indicator !== 'no-signal' && p.ifp.indicator !== 'cng' && p.ifp.indicator !== 'ced') {
      const b = heard.find((x) => x.start >= at);
      open = { what: p.ifp.indicator, startMs: b === undefined ? undefined : (b.start - at) / 8, endMs: undefined };
      bursts.push(open);
    } else if (p.ifp.type === 't30-data' && open !== undefined && open.endMs === undefined && p.ifp.fields?.some((f) => SIG_END.has(f.type)) === true) {
      const b = heard.find((x) => x.end >= at);
      open.endMs = b === undefined ? undefined : (b.end - at) / 8;
    }
  }
  const pl = run.playoutDuringPage;
  return {
    frames,
    bursts,
    ...(pl !== undefined && pl.length > 0 ? { playout: { meanMs: pl.reduce((a, b) => a + b, 0) / pl.length, maxMs: Math.max(...pl) } } : {}),
  };
}

const ms = (x: number | undefined): string => (x === undefined ? 'none' : `${x.toFixed(1)} ms`);

export function latencyLines(who: string, f: LatencyFigures): string[] {
  const lines = [
    `  ${who}: audio → IFP (closing flag → hdlc-fcs-OK): ${f.frames.map((x) => `${x.name} ${ms(x.ms)}`).join(', ') || 'no V.21 frame in the input'}`,
    `  ${who}: IFP → audio (indicator → burst start / last IFP → burst end): ${f.bursts.map((b) => `${b.what} ${ms(b.startMs)} / ${ms(b.endMs)}`).join(', ') || 'no burst'}`,
  ];
  if (f.playout !== undefined) lines.push(`  ${who}: play-out queue during the page: mean ${f.playout.meanMs.toFixed(1)} ms, max ${f.playout.maxMs.toFixed(1)} ms`);
  return lines;
}

/** Worst added latency: fcs-OK delay and burst start delay (undefined values count as not met). */
export function worstLatency(f: LatencyFigures): number | undefined {
  const xs = [...f.frames.map((x) => x.ms), ...f.bursts.map((b) => b.startMs)];
  if (xs.length === 0 || xs.some((x) => x === undefined)) return undefined;
  return Math.max(...(xs as number[]));
}

// --- memory -----------------------------------------------------------------------------------

/** How far into the inputs a gateway is driven for the "in use" memory figure (into the page). */
export function memoryPrefix(inputs: GatewayBenchInputs): { audio: number; t38: number } {
  const p = inputs.pageAudio;
  return {
    audio: Math.min(inputs.audio.length, p.start + Math.min(8000, (p.end - p.start) >> 1)),
    t38: Math.min(inputs.t38Samples, inputs.pageIfpAt + 8000),
  };
}

export interface MemoryFigures {
  readonly n: number;
  /** Heap + ArrayBuffers growth per gateway, bytes: just built, and driven into the page. */
  readonly freshBytes: number;
  readonly inUseBytes: number;
  readonly rssFreshBytes: number;
  readonly rssInUseBytes: number;
}

function memNow(): { js: number; rss: number } {
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

/** N gateways built and kept, then each driven through `prefix` of both inputs; growth / N. */
export function faxwireMemory(make: GatewayFactory, inputs: GatewayBenchInputs, n: number): MemoryFigures {
  const gc = getGc() ?? ((): void => {});
  const prefix = memoryPrefix(inputs);
  gc();
  gc();
  const m0 = memNow();
  const gws: GatewayUnderTest[] = [];
  for (let i = 0; i < n; i++) gws.push(make());
  gc();
  const m1 = memNow();
  const out = new Int16Array(BLOCK);
  for (const gw of gws) {
    let next = 0;
    for (let at = 0; at < Math.max(prefix.audio, prefix.t38); at += BLOCK) {
      if (at < prefix.audio) gw.audioReceive(inputs.audio, at, Math.min(BLOCK, prefix.audio - at));
      gw.takeOutput();
      if (at < prefix.t38) {
        for (let d = inputs.datagrams[next]; d !== undefined && d.at <= at; d = inputs.datagrams[++next]) gw.t38Receive(d.bytes, at / 8);
        gw.tick(at / 8);
        gw.audioTransmit(out, 0, BLOCK);
      }
    }
  }
  gc();
  gc();
  const m2 = memNow();
  if (gws.length !== n) throw new Error('unreachable');
  return {
    n,
    freshBytes: (m1.js - m0.js) / n,
    inUseBytes: (m2.js - m0.js) / n,
    rssFreshBytes: (m1.rss - m0.rss) / n,
    rssInUseBytes: (m2.rss - m0.rss) / n,
  };
}

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

// --- the C twin -------------------------------------------------------------------------------

export const C_RESULTS = ['c/spandsp/gateway/audio-to-t38', 'c/spandsp/gateway/t38-to-audio'] as const;

interface CTwin {
  readonly exe: string;
  readonly dir: string;
  readonly audioPath: string;
  readonly t38Path: string;
  readonly about: string[];
}

/** Builds bench/c/gateway_bench.c (+ the peer's udptl.c) and writes the input files, once. */
export class CTwinBuilder {
  private built: CTwin | { unavailable: string; about: string[] } | undefined;
  constructor(private readonly inputs: () => GatewayBenchInputs) {}

  get(keepTemp = false): CTwin | { unavailable: string; about: string[] } {
    if (this.built !== undefined) return this.built;
    const peerSrc = join(sharedDir(), 'interop', 'spandsp-peer', 'src');
    const about = [
      `C: bench/c/gateway_bench.c + ${join(peerSrc, 'udptl.c')} (compiled from there) + -lspandsp: t38_gateway_* of libspandsp-dev ${debVersion('libspandsp-dev') ?? '(version unknown)'}`,
    ];
    if (!existsSync(join(peerSrc, 'udptl.c'))) {
      this.built = { unavailable: `spandsp peer source not found at ${peerSrc} (expected <repo>/../shared)`, about };
      return this.built;
    }
    const dir = tempDir('gateway', keepTemp);
    const c = compileC({
      sources: [join(repoRoot(), 'bench', 'c', 'gateway_bench.c'), join(peerSrc, 'udptl.c')],
      includeDirs: [peerSrc],
      libs: ['-lspandsp', '-lm'],
      outDir: dir,
      exeName: 'gateway_bench',
    });
    if (!c.ok) {
      this.built = { unavailable: `${c.reason}\n(needs gcc and libspandsp-dev: apt-get install build-essential libspandsp-dev)`, about };
      return this.built;
    }
    about.unshift(`C compiler: ${c.compiler}`);
    const inputs = this.inputs();
    const audioPath = join(dir, 'audio.raw');
    const t38Path = join(dir, 't38.fwgt');
    writeFileSync(audioPath, audioFile(inputs.audio));
    writeFileSync(t38Path, t38File(inputs));
    this.built = { exe: c.exe, dir, audioPath, t38Path, about };
    return this.built;
  }
}

function cBaseline(twin: CTwinBuilder): Baseline {
  return {
    name: 'c/gateway_bench',
    provides: C_RESULTS,
    prepare: (settings: BenchSettings): BaselineRunner | BaselineUnavailable => {
      const t = twin.get(settings.keepTemp);
      if ('unavailable' in t) return t;
      const warmup = Math.min(settings.warmupSeconds, 0.25);
      return {
        about: t.about,
        run: (wanted, runs) =>
          runBaselineProgram(t.exe, [
            'bench',
            ...(settings.clock === 'wall' ? ['--wall'] : []),
            t.audioPath,
            t.t38Path,
            String(settings.minSeconds),
            String(runs ?? settings.runs),
            String(warmup),
            ...wanted,
          ]),
      };
    },
  };
}

/** The C twin's latency / memory modes print one free-form JSON object (not result lines). */
function cJson(exe: string, args: readonly string[]): Record<string, unknown> | string {
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) return `${exe} ${args[0] ?? ''}: exit ${r.status ?? r.signal ?? '?'} ${(r.stderr || '').slice(-400)}`;
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) return `${exe} ${args[0] ?? ''}: no JSON output`;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${exe} ${args[0] ?? ''}: unparsable output`;
  }
}

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** spandsp's latency run: its IFPs (hex, with the sample stamp) and its audio (a raw file). */
export function cLatencyRun(t: CTwin): LatencyRun | string {
  const outPath = join(t.dir, 't2a-out.raw');
  const j = cJson(t.exe, ['latency', t.audioPath, t.t38Path, outPath]);
  if (typeof j === 'string') return j;
  const list = j['a2t'];
  if (!Array.isArray(list)) return 'latency: no a2t list';
  const emitted: EmittedIfp[] = [];
  for (const e of list as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string') continue;
    const r = decodeIfp(hexBytes(e[1]), BENCH_T38_VERSION);
    if (r.ok) emitted.push({ at: e[0], ifp: r.value });
  }
  const b = readFileSync(outPath);
  const audioOut = new Int16Array(b.length >> 1);
  for (let i = 0; i < audioOut.length; i++) audioOut[i] = b.readInt16LE(2 * i);
  return { emitted, audioOut };
}

export function cMemory(t: CTwin, inputs: GatewayBenchInputs, n: number): { sizeof: number; udptl: number; rssFreshBytes: number; rssInUseBytes: number } | string {
  const p = memoryPrefix(inputs);
  const j = cJson(t.exe, ['memory', t.audioPath, t.t38Path, String(n), String(p.audio), String(p.t38)]);
  if (typeof j === 'string') return j;
  const { sizeof, udptl, rssFresh, rssInUse } = j;
  if (typeof sizeof !== 'number' || typeof udptl !== 'number' || typeof rssFresh !== 'number' || typeof rssInUse !== 'number') return 'memory: bad output';
  return { sizeof, udptl, rssFreshBytes: rssFresh / n, rssInUseBytes: rssInUse / n };
}

// --- the suite --------------------------------------------------------------------------------

export interface GatewaySuiteOptions {
  /** The gateway under test (default faxwire's `T38Gateway`). */
  readonly make?: GatewayFactory;
  /** Rows of the page (default 1143: A4 at 98 lpi). Smaller in tests. */
  readonly rows?: number;
  /** Gateway counts for the memory figures (default 100 and 500). */
  readonly memoryN?: readonly number[];
  /** Use the C twin (default true). */
  readonly useC?: boolean;
}

const perChannelMs = (nsPerSample: number): number => (nsPerSample * 8000) / 1e6;

export function gatewaySuite(o: GatewaySuiteOptions = {}): BenchSuite & { readonly notes: string[]; readonly inputs: () => GatewayBenchInputs } {
  const make = o.make ?? faxwireGateway;
  const useC = o.useC ?? true;
  let rec: GatewayBenchInputs | undefined;
  const inputs = (): GatewayBenchInputs => (rec ??= recordInputs(o.rows));
  const twin = new CTwinBuilder(inputs);
  const notes: string[] = [];
  let a2t: AudioToT38Driver | undefined;
  let t2a: T38ToAudioDriver | undefined;
  /** What verify found each direction relaying (undefined: not verified, i.e. not selected). */
  const works: { a2t?: boolean; t2a?: boolean } = {};

  const cases: BenchCase[] = [
    {
      name: 'gateway/audio-to-t38',
      description: 'fax machine audio (DCS, TCF, V.17/14400 page, EOP) → IFPs → UDPTL, 160-sample blocks; one op = one sample',
      unit: 'sample',
      baseline: C_RESULTS[0],
      heapBatch: 16_000,
      verify: () => {
        const i = inputs();
        const d = new AudioToT38Driver(make, i.audio);
        d.run(i.audio.length - 1);
        works.a2t = d.datagrams > 0;
        notes.push(
          `gateway/audio-to-t38 on ${(i.audio.length / 8000).toFixed(1)} s of audio (page burst ${((i.pageAudio.end - i.pageAudio.start) / 8000).toFixed(1)} s, ${i.rows} rows): ` +
            (d.datagrams === 0 ? 'RELAYED NOTHING (no datagram out) — the figures time a gateway that does not work' : `${d.datagrams} datagrams, ${d.octets} octets of UDPTL out`),
        );
      },
      run: (n) => (a2t ??= new AudioToT38Driver(make, inputs().audio)).run(n),
    },
    {
      name: 'gateway/t38-to-audio',
      description: 'a T.38 terminal’s datagrams for the same page → play-out → V.21/V.17 audio, 160-sample blocks; one op = one sample',
      unit: 'sample',
      baseline: C_RESULTS[1],
      heapBatch: 16_000,
      verify: () => {
        const i = inputs();
        const run = faxwireLatencyRun(make, i);
        const heard = findBursts(run.audioOut);
        const longest = heard.reduce((m, b) => Math.max(m, b.end - b.start), 0);
        works.t2a = heard.length > 0;
        notes.push(
          `gateway/t38-to-audio on ${i.datagrams.length} datagrams over ${(i.t38Samples / 8000).toFixed(1)} s: ` +
            (heard.length === 0 ? 'PLAYED NOTHING (silence out) — the figures time a gateway that does not work' : `${heard.length} bursts played, the longest ${(longest / 8000).toFixed(1)} s`),
        );
      },
      run: (n) => (t2a ??= new T38ToAudioDriver(make, inputs())).run(n),
    },
  ];

  const report = (ctx: SuiteReportContext): string[] => {
    const lines: string[] = [];
    const i = inputs();
    const c = useC && ctx.cEnabled ? twin.get(ctx.settings.keepTemp) : undefined;
    const cTwin = c !== undefined && !('unavailable' in c) ? c : undefined;

    // CPU per channel.
    const get = (name: string) => ctx.results.find((r) => r.name === name);
    const ra = get('gateway/audio-to-t38');
    const rt = get('gateway/t38-to-audio');
    lines.push('per channel (ms of CPU per second of fax audio → channels one core sustains in real time):');
    const row = (what: string, ours: number | undefined, theirs: number | undefined): void => {
      if (ours === undefined) return;
      const t = theirs === undefined ? '' : `; spandsp ${theirs.toFixed(3)} ms → ${(1000 / theirs).toFixed(0)} channels; faxwire/C ${(theirs / ours).toFixed(2)}×`;
      lines.push(`  ${what.padEnd(34)} faxwire ${ours.toFixed(3)} ms → ${(1000 / ours).toFixed(0)} channels${t}`);
    };
    const oa = ra !== undefined ? perChannelMs(ra.nsPerOp) : undefined;
    const ot = rt !== undefined ? perChannelMs(rt.nsPerOp) : undefined;
    const ca = ra?.baselineNsPerOp !== undefined ? perChannelMs(ra.baselineNsPerOp) : undefined;
    const ct = rt?.baselineNsPerOp !== undefined ? perChannelMs(rt.baselineNsPerOp) : undefined;
    row('audio → T.38 (demodulating)', oa, ca);
    row('T.38 → audio (remodulating)', ot, ct);
    if (oa !== undefined && ot !== undefined) {
      row('a channel relaying a page (sum)', oa + ot, ca !== undefined && ct !== undefined ? ca + ct : undefined);
      const ch = 1000 / (oa + ot);
      lines.push(
        `  target ≥ ${TARGET_CHANNELS} channels per core: ` +
          (works.a2t === true && works.t2a === true ? `${ch >= TARGET_CHANNELS ? 'met' : 'NOT MET'} (${ch.toFixed(0)})` : 'NOT JUDGED — a direction relayed nothing (see above)'),
      );
    }

    // Memory.
    lines.push('memory per channel (growth / N; "in use" = each gateway driven into the page, both directions):');
    let worstMem = 0;
    for (const n of o.memoryN ?? [100, 500]) {
      const m = faxwireMemory(make, i, n);
      worstMem = Math.max(worstMem, m.inUseBytes, m.freshBytes);
      let s = `  N=${n}: faxwire heap+buffers ${kib(m.freshBytes)} fresh, ${kib(m.inUseBytes)} in use (RSS ${kib(m.rssFreshBytes)} / ${kib(m.rssInUseBytes)})`;
      if (cTwin !== undefined) {
        const cm = cMemory(cTwin, i, n);
        s +=
          typeof cm === 'string'
            ? `; spandsp: ${cm}`
            : `; spandsp sizeof(t38_gateway_state_t) ${kib(cm.sizeof)} + UDPTL ${kib(cm.udptl)}, RSS ${kib(cm.rssFreshBytes)} fresh / ${kib(cm.rssInUseBytes)} in use`;
      }
      lines.push(s);
    }
    lines.push(
      `  target ≤ ${kib(TARGET_BYTES)} per channel (faxwire heap+buffers, worst): ` +
        (works.a2t === false || works.t2a === false ? 'NOT JUDGED — a direction relayed nothing' : `${worstMem <= TARGET_BYTES ? 'met' : 'NOT MET'} (${kib(worstMem)})`),
    );

    // Latency.
    lines.push(`latency added (1 ms blocks; audio → IFP from the sample after a V.21 frame's closing flag to its hdlc-fcs-OK):`);
    const ours = analyseLatency(i, faxwireLatencyRun(make, i));
    lines.push(...latencyLines('faxwire', ours));
    if (cTwin !== undefined) {
      const cr = cLatencyRun(cTwin);
      if (typeof cr === 'string') lines.push(`  spandsp: ${cr}`);
      else lines.push(...latencyLines('spandsp', analyseLatency(i, cr)));
    }
    const w = worstLatency(ours);
    lines.push(
      `  target ≤ ${TARGET_LATENCY_MS} ms (worst of fcs-OK delays and burst start delays): ` +
        (w === undefined ? 'NOT MET (a frame or burst was never relayed)' : `${w <= TARGET_LATENCY_MS ? 'met' : 'NOT MET'} (${w.toFixed(1)} ms)`),
    );
    return lines;
  };

  return {
    name: 'gateway',
    title: 'T.38 gateway channel: audio → T.38 and T.38 → audio of a V.17/14400 non-ECM page, samples/s (÷ 8000 = channels per core)',
    input: `recorded at start: a faxwire audio terminal's DCS, TCF, page (${o.rows ?? 1143} rows of text), EOP; a faxwire T.38 terminal's datagrams for the same (T.38 v0, redundancy 3)`,
    cases,
    baselines: useC ? [cBaseline(twin)] : [],
    notes,
    report,
    inputs,
  };
}
