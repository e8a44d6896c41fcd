/**
 * `analyze` suite: the streaming `faxwire analyze` (src/analyze/stream.ts) against tshark's
 * `-T fields` on the same capture (issue 13 item 3: ≥ 1.0× tshark's packets/s, < 200 MB at
 * 2 million packets).
 *
 * The capture is built at bench time, never committed: the spandsp peer's golden T.38 v3 call
 * (`../shared/interop/spandsp-peer/results/cap_v3.pcapng`, 644 datagrams over 3.7 s, ECM,
 * redundancy 2) repeated as calls started every `spacing` seconds, each with its own addresses
 * (10.a.b.1 ⇄ 10.a.b.2) and ports (40000–40999, a pair per call), so that about 200 calls run
 * at once and thousands follow one another; written with src/capture/pcap-writer.ts.
 *
 * - `analyze/stream/10-calls` (timed in-process like every case): `analyzeCaptureStream` over 10
 *   concurrent calls (6,440 datagrams) held in memory, op = one capture; heap B/op is what one
 *   analysis leaves allocated.
 * - Under the table (measured once the cases are timed, whole processes, each pinned like the
 *   harness): `faxwire analyze FILE > /dev/null` and `tshark -r FILE -d udp.port==40000-40999,t38
 *   -T fields -e frame.number -e t38.seq_number -e t38.type_of_msg -e t38.t30_indicator
 *   -e t38.t30_data -e t38.field_type -e t30.FacsimileControl > /dev/null` — the IFP fields and
 *   reassembled T.30 frames analyze prints — alternating, `--runs` pairs, user+sys CPU time and
 *   peak RSS from /usr/bin/time; ratio = faxwire packets/s ÷ tshark packets/s, median of the pairs.
 *   `FAXWIRE_BENCH_ANALYZE_PACKETS` sets the size (default 2,000,000).
 */

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCaptureStream } from '../src/analyze/stream.js';
import { readCapture, writePcap, type CapturedSegment, type PcapWriteRecord } from '../src/capture/index.js';
import { haveCommand, median, repoRoot, sharedDir, tempDir, type BenchSuite } from './lib.js';
import { concatBytes } from '../src/util/bytes.js';

const SOURCE = (): string => join(sharedDir(), 'interop', 'spandsp-peer', 'results', 'cap_v3.pcapng');
const SPACING_S = 0.0185; // 3.7 s calls → ~200 at once
/** A call that starts in G.711 and moves to T.38 by re-INVITE (2,019 UDP datagrams over 44.6 s). */
const AUDIO_SOURCE = (): string => join(sharedDir(), 'corpus', 'alwishariff-wireshark', 'vega_g711_to_t38_reinvite_udp_only.pcap');
const AUDIO_SPACING_S = 0.223; // 44.6 s calls → ~200 at once
/** The Vega call's T.38 ports (tshark is told; faxwire finds them itself). */
const AUDIO_T38_PORTS = [16834, 10338, 16524, 10074];

function template(file = SOURCE()): CapturedSegment[] | undefined {
  if (!existsSync(file)) return undefined;
  const r = readCapture(readFileSync(file));
  return r.ok ? r.value.packets.filter((p) => p.proto === 'udp') : undefined;
}

/** How calls are readdressed: the T.38 call gets two hosts and a port pair per call; any other call keeps its ports, each of its hosts renumbered into the call's own 10.a.b.0/24. */
interface Layout {
  readonly spacing: number;
  readonly hosts?: ReadonlyMap<string, number>;
}

/** Packet `j` of call `i`, readdressed; `t0` the template's first time. */
function record(seg: CapturedSegment, i: number, t0: bigint, lowPort: number, layout: Layout): PcapWriteRecord {
  const net = `10.${(i >> 8) & 255}.${i & 255}`;
  const timeNs = 1_800_000_000_000_000_000n + BigInt(Math.round(i * layout.spacing * 1e9)) + (seg.timeNs - t0);
  if (layout.hosts) {
    return { timeNs, src: `${net}.${layout.hosts.get(seg.src) ?? 250}`, dst: `${net}.${layout.hosts.get(seg.dst) ?? 250}`, srcPort: seg.srcPort, dstPort: seg.dstPort, proto: 'udp', payload: seg.payload };
  }
  const base = 40000 + (i % 500) * 2;
  const fromLow = seg.srcPort === lowPort;
  return {
    timeNs,
    src: `${net}.${fromLow ? 1 : 2}`,
    dst: `${net}.${fromLow ? 2 : 1}`,
    srcPort: fromLow ? base : base + 1,
    dstPort: fromLow ? base + 1 : base,
    proto: 'udp',
    payload: seg.payload,
  };
}

/** The layout of the G.711 → T.38 call: its hosts numbered in order of appearance. */
function hostLayout(tpl: readonly CapturedSegment[]): Layout {
  const hosts = new Map<string, number>();
  for (const s of tpl) for (const ip of [s.src, s.dst]) if (!hosts.has(ip)) hosts.set(ip, hosts.size + 1);
  return { spacing: AUDIO_SPACING_S, hosts };
}

/**
 * Calls merged in time order, `packets` datagrams in all (the last call may be cut), written in
 * batches to `path` (or returned when `path` is undefined).
 */
export function buildCapture(tpl: readonly CapturedSegment[], packets: number, path?: string, layout: Layout = { spacing: SPACING_S }): Uint8Array | undefined {
  const SPACING_S = layout.spacing;
  const t0 = tpl[0]?.timeNs ?? 0n;
  const lowPort = Math.min(...tpl.map((s) => s.srcPort));
  const offs = tpl.map((s) => Number(s.timeNs - t0) / 1e9);
  const calls = Math.ceil(packets / tpl.length);
  // Merge: a heap of (time, call, index) over the calls running.
  const heapT: number[] = [];
  const heapC: number[] = [];
  const heapJ: number[] = [];
  const swap = (a: number, b: number): void => {
    [heapT[a], heapT[b]] = [heapT[b] as number, heapT[a] as number];
    [heapC[a], heapC[b]] = [heapC[b] as number, heapC[a] as number];
    [heapJ[a], heapJ[b]] = [heapJ[b] as number, heapJ[a] as number];
  };
  const less = (a: number, b: number): boolean => (heapT[a] as number) < (heapT[b] as number) || ((heapT[a] as number) === (heapT[b] as number) && (heapC[a] as number) < (heapC[b] as number));
  const pushH = (t: number, c: number, j: number): void => {
    heapT.push(t);
    heapC.push(c);
    heapJ.push(j);
    for (let i = heapT.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!less(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  const popH = (): void => {
    const n = heapT.length - 1;
    swap(0, n);
    heapT.pop();
    heapC.pop();
    heapJ.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      if (l >= heapT.length) break;
      const r = l + 1;
      const c = r < heapT.length && less(r, l) ? r : l;
      if (!less(c, i)) break;
      swap(c, i);
      i = c;
    }
  };
  let nextCall = 0;
  let written = 0;
  const fd = path !== undefined ? openSync(path, 'w') : undefined;
  const parts: Uint8Array[] = [];
  let batch: PcapWriteRecord[] = [];
  let first = true;
  const flush = (): void => {
    if (batch.length === 0) return;
    const b = writePcap(batch);
    const body = first ? b : b.subarray(24); // one file header
    first = false;
    if (fd !== undefined) writeSync(fd, body);
    else parts.push(body);
    batch = [];
  };
  while (written < packets) {
    // Start every call whose first packet is due before the earliest running one.
    while (nextCall < calls && (heapT.length === 0 || nextCall * SPACING_S <= (heapT[0] as number))) {
      pushH(nextCall * SPACING_S + (offs[0] as number), nextCall, 0);
      nextCall++;
    }
    if (heapT.length === 0) break;
    const c = heapC[0] as number;
    const j = heapJ[0] as number;
    popH();
    batch.push(record(tpl[j] as CapturedSegment, c, t0, lowPort, layout));
    written++;
    if (j + 1 < tpl.length) pushH(c * SPACING_S + (offs[j + 1] as number), c, j + 1);
    if (batch.length >= 50_000) flush();
  }
  flush();
  if (fd !== undefined) {
    closeSync(fd);
    return undefined;
  }
  return concatBytes(parts);
}

interface ProcRun {
  readonly cpuS: number;
  readonly wallS: number;
  readonly rssKb: number;
  readonly status: number | null;
}

/** One whole process under /usr/bin/time, stdout to /dev/null. */
function timed(cmd: string, args: readonly string[], dir: string): ProcRun {
  const tf = join(dir, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, 'sh', '-c', '"$@" > /dev/null 2>&1', 'sh', cmd, ...args], { stdio: 'ignore', timeout: 1_800_000 });
  const [e, u, s, m] = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallS: e ?? NaN, cpuS: (u ?? NaN) + (s ?? NaN), rssKb: m ?? NaN, status: r.status };
}

export function analyzeSuite(): BenchSuite {
  const tpl = template();
  const notes: string[] = [];
  const small = tpl ? buildCapture(tpl, tpl.length * 10) : undefined;
  const cases: BenchSuite['cases'] =
    tpl && small
      ? [
          {
            name: 'analyze/stream/10-calls',
            description: 'analyzeCaptureStream over 10 concurrent T.38 calls held in memory (records counted, not formatted)',
            unit: 'capture',
            heapBatch: 2,
            verify: () => {
              let n = 0;
              const r = analyzeCaptureStream(() => [small], { record: () => void n++ });
              if (!r.ok || r.summary.streams !== 20 || r.summary.datagrams !== tpl.length * 10) throw new Error(`analyze/stream: ${JSON.stringify(r.ok ? r.summary.streams : r)}`);
              notes.push(`10-call capture: ${tpl.length * 10} datagrams, ${n} records, ${r.stats.maxLiveStreams} streams live at most, ${r.stats.maxPendingRecords} records waiting at most`);
            },
            run: (n) => {
              let recs = 0;
              for (let i = 0; i < n; i++) analyzeCaptureStream(() => [small], { record: () => void recs++ });
              return recs;
            },
          },
        ]
      : [];
  return {
    name: 'analyze',
    title: 'faxwire analyze (streaming) vs tshark -T fields, whole processes',
    input: `copies of the spandsp peer's golden T.38 v3 call (644 datagrams, 3.7 s), one started every ${SPACING_S * 1000} ms (~200 at once), own addresses and ports`,
    cases,
    baselines: [],
    notes,
    ...(tpl ? {} : { skipped: [`analyze: ${SOURCE()} not found (../shared absent)`] }),
    report: (ctx) => {
      if (!tpl) return [];
      const packets = Number(process.env['FAXWIRE_BENCH_ANALYZE_PACKETS'] ?? 2_000_000);
      const dir = tempDir('analyze', ctx.settings.keepTemp);
      const lines: string[] = [];
      const fields = ['-T', 'fields', '-e', 'frame.number', '-e', 't38.seq_number', '-e', 't38.type_of_msg', '-e', 't38.t30_indicator', '-e', 't38.t30_data', '-e', 't38.field_type', '-e', 't30.FacsimileControl'];
      const t38Opt = ['-o', 't38.use_pre_corrigendum_asn1_specification:FALSE'];
      try {
        measure(ctx.settings.runs, dir, lines, 'T.38 calls', tpl, packets, { spacing: SPACING_S }, [...t38Opt, '-d', 'udp.port==40000-40999,t38', ...fields]);
        const audio = template(AUDIO_SOURCE());
        if (audio) {
          lines.push('');
          lines.push(`G.711 → T.38 calls: copies of ${AUDIO_SOURCE().split('/').slice(-2).join('/')} (${audio.length} UDP datagrams, 44.6 s: 14 s of G.711 both ways, demodulated by faxwire; then T.38), one every ${AUDIO_SPACING_S * 1000} ms (~200 at once), hosts renumbered per call;`);
          lines.push(`tshark: ${AUDIO_T38_PORTS.map((p) => `-d udp.port==${p},t38`).join(' ')} --enable-heuristic rtp_udp, the same fields plus rtp.seq (it dissects the RTP, it does not demodulate it):`);
          const ports = AUDIO_T38_PORTS.flatMap((p) => ['-d', `udp.port==${p},t38`]);
          measure(ctx.settings.runs, dir, lines, 'G.711 → T.38 calls', audio, packets, hostLayout(audio), [...t38Opt, ...ports, '--enable-heuristic', 'rtp_udp', ...fields, '-e', 'rtp.seq']);
        } else {
          lines.push(`G.711 → T.38 capture skipped: ${AUDIO_SOURCE()} not found`);
        }
      } finally {
        if (!ctx.settings.keepTemp) rmSync(dir, { recursive: true, force: true });
      }
      return lines;
    },
  };
}

/** Builds one big capture and times faxwire and tshark on it, alternating, `runs` pairs. */
function measure(runs: number, dir: string, lines: string[], label: string, tpl: readonly CapturedSegment[], packets: number, layout: Layout, tsharkArgs: readonly string[]): void {
  const file = join(dir, 'calls.pcap');
  const t = Date.now();
  buildCapture(tpl, packets, file, layout);
  lines.push(`${label}: whole processes on ${packets.toLocaleString('en')} datagrams (${Math.ceil(packets / tpl.length)} calls; built in ${((Date.now() - t) / 1000).toFixed(1)} s, not timed):`);
  const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const fw = (): ProcRun => timed(process.execPath, [cli, 'analyze', file], dir);
  const haveTshark = haveCommand('tshark');
  const ts = (): ProcRun => timed('tshark', ['-r', file, ...tsharkArgs], dir);
  const pairs: { f: ProcRun; t?: ProcRun }[] = [];
  for (let i = 0; i < runs; i++) {
    const tr = haveTshark ? ts() : undefined;
    const fr = fw();
    pairs.push(tr ? { f: fr, t: tr } : { f: fr });
  }
  const pps = (r: ProcRun): number => packets / r.cpuS;
  const fmt = (r: ProcRun): string => `${(pps(r) / 1000).toFixed(0)} k packets/s (CPU ${r.cpuS.toFixed(2)} s, wall ${r.wallS.toFixed(2)} s), peak RSS ${(r.rssKb / 1024).toFixed(0)} MB${r.status === 0 ? '' : ` EXIT ${r.status}`}`;
  for (const [i, p] of pairs.entries()) lines.push(`  pair ${i + 1}: faxwire ${fmt(p.f)}${p.t ? ` | tshark ${fmt(p.t)}` : ''}`);
  const fRss = median(pairs.map((p) => p.f.rssKb)) / 1024;
  lines.push(`  faxwire analyze: median ${(median(pairs.map((p) => pps(p.f))) / 1000).toFixed(0)} k packets/s, peak RSS ${fRss.toFixed(0)} MB at ${packets.toLocaleString('en')} packets (goal < 200 MB)`);
  const withT = pairs.filter((p): p is { f: ProcRun; t: ProcRun } => p.t !== undefined);
  if (withT.length > 0) {
    const ratios = withT.map((p) => pps(p.f) / pps(p.t));
    const tRss = median(withT.map((p) => p.t.rssKb)) / 1024;
    lines.push(`  tshark -T fields: median ${(median(withT.map((p) => pps(p.t))) / 1000).toFixed(0)} k packets/s, peak RSS ${tRss.toFixed(0)} MB`);
    lines.push(`  faxwire/tshark packets/s: ${median(ratios).toFixed(2)}× (pairs ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ 1.0×); memory faxwire/tshark ${(fRss / tRss).toFixed(2)}×`);
  } else {
    lines.push('  TSHARK NOT FOUND: no ratio');
  }
  rmSync(file, { force: true });
}
