/**
 * `npm run fuzz [-- --seconds N] [--seed S] [--only name]`: long mutation runs of every parser
 * (DESIGN.md "fuzz"). Seeds are real inputs — the corpus captures and what our own encoders
 * produce — mutated by bit flips, byte overwrites, insertions, deletions, truncation and
 * splicing. Any exception is a bug: the input is written to .build/fuzz/ and the run fails.
 * The unit tests hold the short fast-check versions of the same property.
 */

import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeCapture } from '../src/analyze/index.js';
import { parseSipMessage } from '../src/analyze/sip.js';
import { readCapture } from '../src/capture/index.js';
import { readPng, readPnm, readTiff } from '../src/image/index.js';
import { decodeRed, decodeRtp } from '../src/rtp/index.js';
import { decodeDis, decodeT30Frame } from '../src/t30/index.js';
import { decodeT4 } from '../src/t4/index.js';
import {
  BareTcpIfpParser,
  decodeIfp,
  decodeUdptl,
  RtpT38Receiver,
  T38FieldAssembler,
  TpktParser,
  UdptlReceiver,
  IfpView,
} from '../src/t38/index.js';
import { xorshift32, type Random32 } from '../src/util/random.js';

/** xorshift32: reproducible from --seed. */
class Rng {
  private readonly r: Random32;
  constructor(seed: number) {
    this.r = xorshift32(seed);
  }
  next(): number {
    return this.r();
  }
  below(n: number): number {
    return this.next() % Math.max(1, n);
  }
}

function mutate(rng: Rng, input: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  let b = Uint8Array.from(input);
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds; r++) {
    switch (rng.below(7)) {
      case 0: // bit flip
        if (b.length) b[rng.below(b.length)]! ^= 1 << rng.below(8);
        break;
      case 1: // interesting byte
        if (b.length) b[rng.below(b.length)] = [0, 0xff, 0x7f, 0x80, 0x01, 0x40, 0x20][rng.below(7)]!;
        break;
      case 2: {
        // insert random bytes
        const at = rng.below(b.length + 1);
        const n = 1 + rng.below(8);
        const ins = Uint8Array.from({ length: n }, () => rng.below(256));
        b = Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
        break;
      }
      case 3: {
        // delete a range
        const at = rng.below(b.length + 1);
        const n = rng.below(8);
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
        break;
      }
      case 4: // truncate
        b = b.subarray(0, rng.below(b.length + 1));
        break;
      case 5: {
        // splice with another seed
        const o = pool[rng.below(pool.length)] ?? new Uint8Array(0);
        const cut = rng.below(b.length + 1);
        b = Uint8Array.from([...b.subarray(0, cut), ...o.subarray(rng.below(o.length + 1))]);
        break;
      }
      default: // a 16-bit length-looking value
        if (b.length >= 2) {
          const at = rng.below(b.length - 1);
          const v = [0, 1, 0x7f, 0x80, 0xff, 0x3fff, 0x4000, 0xffff][rng.below(8)]!;
          b[at] = v >>> 8;
          b[at + 1] = v & 0xff;
        }
    }
  }
  return b;
}

function findRepoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = start;
    while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
    if (existsSync(join(d, 'package.json'))) return d;
  }
  return process.cwd();
}

function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? captures(p) : /\.pcap(ng)?$/.test(n) ? [p] : [];
  });
}

interface Target {
  readonly name: string;
  readonly seeds: Uint8Array[];
  readonly run: (input: Uint8Array) => void;
  /** Relative cost: big inputs get fewer iterations. */
  readonly weight?: number;
}

const USAGE = 'usage: npm run fuzz [-- --seconds N] [--seed S] [--only name]';

function main(): number {
  let values: { seconds: string; seed: string; only?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: {
        seconds: { type: 'string', default: '60' },
        seed: { type: 'string', default: '1' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error(`--seconds must be a positive number\n${USAGE}`);
    return 2;
  }
  const root = findRepoRoot();
  const shared = resolve(root, '..', 'shared');
  const files = [...captures(join(shared, 'corpus')), ...captures(join(shared, 'interop', 'spandsp-peer', 'results'))];
  if (files.length === 0) console.warn('*** fuzz: no corpus captures found beside the repo; seeds are synthetic only ***');

  // Seeds: every UDP payload of the captures (UDPTL, RTP, SIP), split by kind.
  const udp: Uint8Array[] = [];
  const ifps: Uint8Array[] = [];
  const capFiles: Uint8Array[] = [];
  for (const f of files) {
    const bytes = readFileSync(f);
    if (bytes.length < 200_000) capFiles.push(bytes);
    const r = readCapture(bytes);
    if (!r.ok) continue;
    for (const p of r.value.packets.slice(0, 400)) {
      udp.push(p.payload);
      const u = decodeUdptl(p.payload);
      if (u.ok) ifps.push(u.value.primary);
    }
  }
  if (ifps.length === 0) ifps.push(Uint8Array.of(0xc0, 0x01, 0x80, 0x00, 0x00, 0xff), Uint8Array.of(0xd0, 0x01, 0xe0, 0x00, 0x01, 1, 2));
  if (udp.length === 0) udp.push(Uint8Array.of(0, 27, 3, 0xc0, 1, 0x20, 0, 1, 6, 0xc0, 1, 0x80, 0, 0, 4));
  const frames = [
    Uint8Array.of(0xff, 0xc8, 0x01, 0x00, 0x77, 0x1f, 0x01, 0x00),
    Uint8Array.of(0xff, 0xc0, 0x02, 0x04, 0x04, 0x4c, 0x4c),
    Uint8Array.of(0xff, 0xc8, 0x7d, 0x2f, 0x00, 0x00, 0x4d),
    Uint8Array.of(0xff, 0xc0, 0x60, 0x00, 1, 2, 3),
  ];
  const view = new IfpView();
  // Image seeds: the corpus TIFFs and raw MH streams (small ones, to keep iterations fast).
  const images = (dir: string, re: RegExp): Uint8Array[] =>
    !existsSync(dir)
      ? []
      : readdirSync(dir, { recursive: true })
          .map(String)
          .filter((n) => re.test(n) && statSync(join(dir, n)).isFile())
          .map((n) => readFileSync(join(dir, n)))
          .filter((b) => b.length < 120_000);
  const tiffs = images(join(shared, 'corpus'), /\.tiff?$/i);
  const g3 = images(join(shared, 'corpus', 'spandsp', 'derived', 'g3'), /\.g3$/);

  const all: Target[] = [
    { name: 'ifp-v0', seeds: ifps, run: (b) => void decodeIfp(b, 0, view) },
    { name: 'ifp-v3', seeds: ifps, run: (b) => void decodeIfp(b, 3, view) },
    { name: 'udptl', seeds: udp, run: (b) => void decodeUdptl(b) },
    {
      name: 'udptl-receiver+assembler',
      seeds: udp,
      run: (b) => {
        const rx = new UdptlReceiver({ reorderWindow: 4 });
        const asm = new T38FieldAssembler();
        for (let i = 0; i < 3; i++) {
          for (const d of rx.receive(b)) {
            const r = decodeIfp(d.ifp, 0, view);
            if (r.ok) asm.push(r.value);
          }
        }
        rx.flush();
      },
    },
    {
      name: 'tpkt',
      seeds: ifps.map((i) => Uint8Array.from([3, 0, (i.length + 4) >>> 8, (i.length + 4) & 0xff, ...i])),
      run: (b) => {
        const p = new TpktParser();
        p.push(b.subarray(0, b.length >>> 1));
        p.push(b.subarray(b.length >>> 1));
      },
    },
    {
      name: 'bare-tcp',
      seeds: ifps,
      run: (b) => {
        const p = new BareTcpIfpParser({ measure: (x) => decodeIfp(x, 0, view) });
        p.push(b);
      },
    },
    {
      name: 'rtp',
      seeds: udp.filter((u) => u.length >= 12),
      run: (b) => {
        const r = decodeRtp(b);
        if (r.ok) decodeRed(r.value.payload);
        const rx = new RtpT38Receiver({ payloadType: 96, redPayloadType: 97 });
        rx.receive(b);
        rx.receive(b);
      },
    },
    { name: 't30-frame', seeds: frames, run: (b) => void decodeT30Frame(b) },
    { name: 'dis', seeds: frames.map((f) => f.subarray(3)), run: (b) => void decodeDis(b, 'DIS') },
    { name: 'sip', seeds: udp.filter((u) => u[0] === 0x49 || u[0] === 0x53), run: (b) => void parseSipMessage(b, { frame: 1, time: 0, src: 'a', dst: 'b' }) },
    { name: 'capture', seeds: capFiles, run: (b) => void readCapture(b), weight: 20 },
    { name: 'tiff', seeds: tiffs, run: (b) => void readTiff(b) },
    { name: 't4-mh', seeds: g3, run: (b) => void decodeT4(b, { coding: 'mh', width: 1728 }) },
    { name: 't4-mr', seeds: g3, run: (b) => void decodeT4(b, { coding: 'mr', width: 1728 }) },
    { name: 't4-mmr', seeds: g3, run: (b) => void decodeT4(b, { coding: 'mmr', width: 1728 }) },
    { name: 'png', seeds: [], run: (b) => void readPng(b) },
    { name: 'pnm', seeds: [Uint8Array.from(Buffer.from('P4\n8 2\n\xff\x00', 'latin1'))], run: (b) => void readPnm(b) },
    { name: 'analyze', seeds: capFiles, run: (b) => void analyzeCapture(b), weight: 200 },
  ];
  const targets = all.filter((t) => t.seeds.length > 0 && (values.only === undefined || t.name === values.only));

  const rng = new Rng(Number(values.seed) >>> 0);
  const outDir = join(root, '.build', 'fuzz');
  let crashes = 0;
  const perTarget = (seconds * 1000) / Math.max(1, targets.length);
  for (const t of targets) {
    const end = Date.now() + perTarget;
    let n = 0;
    while (Date.now() < end) {
      const seed = t.seeds[rng.below(t.seeds.length)]!;
      const input = mutate(rng, seed, t.seeds);
      try {
        t.run(input);
      } catch (e) {
        crashes++;
        mkdirSync(outDir, { recursive: true });
        const file = join(outDir, `${t.name}-${crashes}.bin`);
        writeFileSync(file, input);
        console.error(`CRASH in ${t.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n  input saved to ${file}`);
        if (crashes > 20) return 1;
      }
      n++;
    }
    console.log(`${t.name.padEnd(26)} ${String(n).padStart(9)} inputs  (${t.seeds.length} seeds)`);
  }
  console.log(crashes === 0 ? 'fuzz: no crashes' : `fuzz: ${crashes} crash(es)`);
  return crashes === 0 ? 0 : 1;
}

process.exitCode = main();
