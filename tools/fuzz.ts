/**
 * `npm run fuzz [-- --seconds N] [--seed S] [--only name] [--hang-ms MS] [--memory-mb MB]`:
 * long mutation runs of every parser and of the stateful engines (DESIGN.md "fuzz"). Seeds are
 * real inputs — the corpus captures and what our own encoders produce — mutated by bit flips,
 * byte overwrites, insertions, deletions, truncation and splicing. Any exception is a bug: the
 * input is written to .build/fuzz/ and the run fails.
 *
 * The targets run in a worker thread with a heap limit; the main thread is a watchdog. The worker
 * publishes each input (and when it started) in shared memory before running it, so an input that
 * runs longer than `--hang-ms` (a hang) or exhausts the heap (a memory bomb) is saved and counted
 * as a failure, and the worker is restarted for the targets still to run.
 *
 * Time is split in rounds: every target gets a slice, then the next slices go to targets in
 * proportion to the new behaviour they found in the previous round — distinct outcome signatures
 * (each target's `run` returns a short description of what the input did: the error code, the
 * state reached), a cheap stand-in for coverage feedback.
 *
 * The unit tests hold the short fast-check versions of the same property.
 */

import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as jpegJs from 'jpeg-js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeCapture, analyzeCaptureStream, extractAudioStreams, type AnalyzeRecord } from '../src/analyze/index.js';
import { parseSipMessage } from '../src/analyze/sip.js';
import { parseWav, readCapture, writeWav } from '../src/capture/index.js';
import { documentToFaxPages, forEachFaxPage, readJpeg, readPdfFaxPages, readPng, readPnm, readTiff, TiffPageWriter, writeDocument, writeGreyPng, writePdf, writePng, writeTiff } from '../src/image/index.js';
import { createBitmap, setPixel } from '../src/t4/bitmap.js';
import { decodeRed, decodeRtp } from '../src/rtp/index.js';
import { parseSipMessage as parseSipWire, SipStreamFramer } from '../src/sip/message.js';
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
import { audioTargets } from './fuzz-audio.js';
import { hdlcTargets } from './fuzz-hdlc.js';
import { statefulTargets, type FuzzTarget } from './fuzz-stateful.js';
import { t38ToAudioTargets } from './fuzz-t38-to-audio.js';
import { gatewayTargets } from './fuzz-gateway.js';
import { sipUaTargets } from './fuzz-sip-ua.js';

/**
 * The streaming analyze (src/analyze/stream.ts), fed in chunks cut where the input's length says,
 * must say what the buffering one says: the same error, or the same records and summary (unless
 * it hands the capture back to the buffering path). A difference throws: it is a bug.
 */
function analyzeStreamDiff(b: Uint8Array): string {
  const size = 1 + (b.length % 61) * 37;
  // Every other input with --extract (pages per call, their records held until final).
  const opts = { extract: (b.length & 1) === 1 };
  const recs: string[] = [];
  const s = analyzeCaptureStream(
    () => {
      const out: Uint8Array[] = [];
      for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
      return out;
    },
    { record: (r: AnalyzeRecord) => void recs.push(JSON.stringify(r)) },
    opts,
  );
  if (!s.ok && s.fallback !== undefined) return 'fallback';
  const old = analyzeCapture(b, opts);
  if (!s.ok || !old.ok) {
    if (s.ok || old.ok || s.error !== old.error) throw new Error(`analyze-stream: error differs (${s.ok ? 'ok' : s.error} vs ${old.ok ? 'ok' : old.error})`);
    return 'error';
  }
  if (recs.length !== old.records.length) throw new Error(`analyze-stream: ${recs.length} records, analyzeCapture ${old.records.length}`);
  old.records.forEach((r, i) => {
    if (JSON.stringify(r) !== recs[i]) throw new Error(`analyze-stream: record ${i} differs`);
  });
  if (JSON.stringify(s.summary) !== JSON.stringify(old.summary)) throw new Error('analyze-stream: summary differs');
  return `ok:${Math.min(s.summary.streams, 4)}:${Math.min(recs.length, 50) >> 3}`;
}

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

type Target = FuzzTarget;

const USAGE = 'usage: npm run fuzz [-- --seconds N] [--seed S] [--only name] [--hang-ms MS] [--memory-mb MB]';

/** A decode result's outcome, as a signature: ok, or the error's code. */
function outcome(r: { ok: true } | { ok: false; error: unknown }): string {
  if (r.ok) return 'ok';
  const e = r.error as { code?: unknown };
  return typeof e === 'object' && e !== null && typeof e.code === 'string' ? e.code : 'error';
}

/** PNG seeds from our own writer: 1-bit and 8-bit, small. */
function pngSeeds(): Uint8Array[] {
  const b = createBitmap(24, 6, { x: 204, y: 98 });
  for (let x = 0; x < 24; x += 3) setPixel(b, x, x % 6, true);
  const grey = { width: 5, height: 3, data: Uint8Array.from({ length: 15 }, (_, i) => i * 17) };
  return [writePng(b), writePng(b, { depth: 8 }), writeGreyPng(grey)];
}

/** JPEG seeds from jpeg-js's baseline encoder: a small gradient. */
function jpegSeeds(): Uint8Array[] {
  const w = 16;
  const h = 8;
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.fill((i * 7) & 0xff, i * 4, i * 4 + 3).writeUInt8(255, i * 4 + 3);
  return [Uint8Array.from(jpegJs.encode({ data, width: w, height: h }, 50).data)];
}

/** WAV seeds from our own writer: PCM stereo, A-law and µ-law mono (the writer adds fmt 18 + fact). */
function wavSeeds(): Uint8Array[] {
  const s = Int16Array.from({ length: 40 }, (_, i) => (i * 1237) % 30000);
  const codes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff);
  return [
    writeWav([s, s], { format: 'slin', sampleRate: 8000 }),
    writeWav(codes, { format: 'alaw', sampleRate: 8000 }),
    writeWav([codes, codes], { format: 'ulaw', sampleRate: 8000 }),
  ];
}

/** A one-page PDF from our own writer (pdf-lib, a CCITT G4 image), built once per worker. */
async function pdfSeeds(): Promise<Uint8Array[]> {
  const b = createBitmap(64, 16, { x: 204, y: 98 });
  for (let x = 0; x < 64; x += 5) setPixel(b, x, x % 16, true);
  return [await writePdf([b])];
}

/**
 * SIP seeds built here (RFC 3261 §7): an INVITE with a T.38 SDP body, a 200 OK, an OPTIONS with
 * bare LF line ends, folding and compact forms; for the stream target, all three back to back with
 * RFC 5626 pings between them.
 */
function sipSeeds(): { datagrams: Uint8Array[]; stream: Uint8Array[] } {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=image 4000 udptl t38\r\na=T38FaxVersion:0\r\n';
  const core = 'From: "Fax" <sip:fax@example.org>;tag=1\r\nTo: <sip:gw@example.net>\r\nCall-ID: fz@192.0.2.1\r\n';
  const invite =
    'INVITE sip:gw@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n' +
    core +
    `CSeq: 1 INVITE\r\nContact: <sip:fax@192.0.2.1>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const ok = `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=192.0.2.1\r\n${core}CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
  const options = 'OPTIONS sip:gw@example.net SIP/2.0\nv: SIP/2.0/TCP [2001:db8::1];branch=z9hG4bK2\nf: <sip:a@b>;tag=2\nt: <sip:c@d>\ni: o@x\nCSeq: 7 OPTIONS\nSubject: one,\n two\nl: 2\n\nhi';
  const e = (s: string): Uint8Array => new TextEncoder().encode(s);
  return { datagrams: [invite, ok, options].map(e), stream: [e(`\r\n\r\n${invite}\r\n\r\n${ok}${options}`), e(ok + ok)] };
}

/** Budgets small enough that a mutated size field cannot make one input run for long. */
const FUZZ_BUDGET = { maxPages: 4, maxPixels: 4_000_000, maxTotalPixels: 8_000_000 } as const;

/**
 * Every target, in a fixed order (the watchdog knows a target by its index). `pdf` holds the
 * PDF seeds, which are made asynchronously; the watchdog passes none (it needs only the names).
 */
function buildTargets(root: string, pdf: readonly Uint8Array[] = []): Target[] {
  const shared = resolve(root, '..', 'shared');
  const files = [...captures(join(shared, 'corpus')), ...captures(join(shared, 'interop', 'spandsp-peer', 'results'))];
  if (files.length === 0) console.warn('*** fuzz: no corpus captures found beside the repo; seeds are synthetic only ***');

  // Seeds: every UDP payload of the captures (UDPTL, RTP, SIP), split by kind.
  const udp: Uint8Array[] = [];
  const ifps: Uint8Array[] = [];
  const capFiles: Uint8Array[] = [];
  const udptlFlows: Uint8Array[][] = [];
  for (const f of files) {
    const bytes = readFileSync(f);
    if (bytes.length < 200_000) capFiles.push(bytes);
    const r = readCapture(bytes);
    if (!r.ok) continue;
    const flows = new Map<string, Uint8Array[]>();
    for (const p of r.value.packets.slice(0, 400)) {
      udp.push(p.payload);
      const u = decodeUdptl(p.payload);
      if (u.ok) {
        ifps.push(u.value.primary);
        const key = `${p.src}:${p.srcPort}>${p.dst}:${p.dstPort}`;
        const flow = flows.get(key) ?? [];
        flow.push(p.payload);
        flows.set(key, flow);
      }
    }
    for (const f of flows.values()) if (f.length >= 4) udptlFlows.push(f);
  }
  if (ifps.length === 0) ifps.push(Uint8Array.of(0xc0, 0x01, 0x80, 0x00, 0x00, 0xff), Uint8Array.of(0xd0, 0x01, 0xe0, 0x00, 0x01, 1, 2));
  if (udp.length === 0) udp.push(Uint8Array.of(0, 27, 3, 0xc0, 1, 0x20, 0, 1, 6, 0xc0, 1, 0x80, 0, 0, 4));
  if (udptlFlows.length === 0) udptlFlows.push([udp[0] ?? new Uint8Array(0)]);
  const frames = [
    Uint8Array.of(0xff, 0xc8, 0x01, 0x00, 0x77, 0x1f, 0x01, 0x00),
    Uint8Array.of(0xff, 0xc0, 0x02, 0x04, 0x04, 0x4c, 0x4c),
    Uint8Array.of(0xff, 0xc8, 0x7d, 0x2f, 0x00, 0x00, 0x4d),
    Uint8Array.of(0xff, 0xc0, 0x60, 0x00, 1, 2, 3),
  ];
  const view = new IfpView();
  const sip = sipSeeds();
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
    { name: 'ifp-v0', seeds: ifps, run: (b) => outcome(decodeIfp(b, 0, view)) },
    { name: 'ifp-v3', seeds: ifps, run: (b) => outcome(decodeIfp(b, 3, view)) },
    { name: 'udptl', seeds: udp, run: (b) => outcome(decodeUdptl(b)) },
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
    { name: 't30-frame', seeds: frames, run: (b) => outcome(decodeT30Frame(b)) },
    { name: 'dis', seeds: frames.map((f) => f.subarray(3)), run: (b) => outcome(decodeDis(b, 'DIS')) },
    {
      name: 'sip',
      seeds: udp.filter((u) => u[0] === 0x49 || u[0] === 0x53),
      run: (b) => {
        const e = parseSipMessage(b, { frame: 1, time: 0, src: 'a', dst: 'b' });
        return e === undefined ? 'none' : `${e.media.length}:${e.t38.length}`;
      },
    },
    {
      name: 'sip-message',
      seeds: [...sip.datagrams, ...udp.filter((u) => u[0] === 0x49 || u[0] === 0x53 || u[0] === 0x4f || u[0] === 0x42)],
      run: (b) => {
        const r = parseSipWire(b);
        return r.ok ? `ok:${r.message.kind}` : r.error.code;
      },
    },
    {
      // The TCP framer: the input cut into chunks at offsets taken from its own first octet, so
      // mutations also move the chunk boundaries.
      name: 'sip-stream',
      seeds: sip.stream,
      run: (b) => {
        const f = new SipStreamFramer({ maxMessageBytes: 8192 });
        const step = 1 + ((b[0] ?? 0) % 97);
        let messages = 0;
        let last = 'none';
        for (let i = 0; i < b.length; i += step) {
          f.push(b.subarray(i, i + step));
          for (let r = f.next(); r !== undefined; r = f.next()) {
            if (!r.ok) {
              last = r.error.code;
              break;
            }
            messages++;
          }
        }
        return `${Math.min(messages, 4)}:${last}:${Math.min(f.takePings(), 3)}`;
      },
    },
    { name: 'capture', seeds: capFiles, run: (b) => outcome(readCapture(b)), weight: 20 },
    { name: 'tiff', seeds: tiffs, run: (b) => outcome(readTiff(b)) },
    { name: 't4-mh', seeds: g3, run: (b) => decodeT4(b, { coding: 'mh', width: 1728 }).end },
    { name: 't4-mr', seeds: g3, run: (b) => decodeT4(b, { coding: 'mr', width: 1728 }).end },
    { name: 't4-mmr', seeds: g3, run: (b) => decodeT4(b, { coding: 'mmr', width: 1728 }).end },
    { name: 'png', seeds: pngSeeds(), run: (b) => outcome(readPng(b)) },
    { name: 'jpeg', seeds: jpegSeeds(), run: (b) => outcome(readJpeg(b, 4_000_000)) },
    { name: 'wav', seeds: wavSeeds(), run: (b) => outcome(parseWav(b)) },
    { name: 'pnm', seeds: [Uint8Array.from(Buffer.from('P4\n8 2\n\xff\x00', 'latin1'))], run: (b) => void readPnm(b) },
    { name: 'analyze', seeds: capFiles, run: (b) => void analyzeCapture(b), weight: 200 },
    { name: 'analyze-stream', seeds: capFiles, run: analyzeStreamDiff, weight: 100 },
    {
      name: 'audio-streams',
      seeds: capFiles,
      run: (b) => {
        const r = extractAudioStreams(b, { maxSamples: 8000 * 120 });
        return r.ok ? `ok:${r.streams.length}` : 'error';
      },
      weight: 20,
    },
    ...statefulTargets(udptlFlows, frames),
    ...hdlcTargets(frames),
    ...audioTargets(),
    ...t38ToAudioTargets(),
    ...gatewayTargets(),
    ...sipUaTargets(),
    { name: 'pdf', seeds: [...pdf], run: async (b) => outcome(await readPdfFaxPages(b, FUZZ_BUDGET)), weight: 50 },
    {
      // The convert pipeline: any document in, fax pages, TIFF and PDF out.
      name: 'convert-pipeline',
      seeds: [...pngSeeds(), ...jpegSeeds(), ...tiffs.slice(0, 8), ...pdf],
      run: async (b) => {
        const r = await documentToFaxPages(b, FUZZ_BUDGET);
        if (!r.ok) return r.error.code;
        await writeDocument(r.value, 'tiff');
        await writeDocument(r.value, 'pdf');
        return `ok:${r.value.length}`;
      },
      weight: 50,
    },
    {
      // The streaming convert (`faxwire convert … out.tif`): pages one at a time into
      // TiffPageWriter must give the file the collecting path gives, or the same error.
      name: 'convert-stream',
      seeds: [...tiffs.slice(0, 8), ...pdf],
      run: async (b) => {
        const w = new TiffPageWriter({ compression: 'mmr' });
        const s = await forEachFaxPage(b, FUZZ_BUDGET, (p) => w.add(p));
        const r = await documentToFaxPages(b, FUZZ_BUDGET);
        if (!r.ok || !s.ok) {
          if (r.ok || s.ok || r.error.code !== s.error.code) throw new Error(`streaming and collecting disagree: ${r.ok ? 'ok' : r.error.code} / ${s.ok ? 'ok' : s.error.code}`);
          return r.error.code;
        }
        const a = w.finish();
        const e = writeTiff(r.value, { compression: 'mmr' });
        if (a.length !== e.length || a.some((x, i) => x !== e[i])) throw new Error('streaming TIFF differs from writeTiff');
        return `ok:${r.value.length}`;
      },
      weight: 20,
    },
    // The watchdog's own checks, run only when named (`--only watchdog-hang`): they must be
    // reported as a hang and a memory bomb, and the run must fail.
    {
      name: 'watchdog-hang',
      seeds: [Uint8Array.of(1)],
      run: () => {
        for (;;);
      },
    },
    {
      name: 'watchdog-memory',
      seeds: [Uint8Array.of(1)],
      run: () => {
        const hog: number[][] = [];
        for (;;) hog.push(new Array<number>(1 << 16).fill(1));
      },
    },
  ];
  return all;
}

interface Options {
  readonly seconds: number;
  readonly seed: number;
  readonly only: string | undefined;
  readonly hangMs: number;
  readonly memoryMb: number;
}

function parseOptions(): Options | number {
  let values: { seconds: string; seed: string; only?: string | undefined; 'hang-ms': string; 'memory-mb': string; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: {
        seconds: { type: 'string', default: '60' },
        seed: { type: 'string', default: '1' },
        only: { type: 'string' },
        'hang-ms': { type: 'string', default: '5000' },
        'memory-mb': { type: 'string', default: '1024' },
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
  const hangMs = Number(values['hang-ms']);
  const memoryMb = Number(values['memory-mb']);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error(`--seconds must be a positive number\n${USAGE}`);
    return 2;
  }
  if (!(hangMs >= 100) || !(memoryMb >= 64)) {
    console.error(`--hang-ms must be ≥ 100 and --memory-mb ≥ 64\n${USAGE}`);
    return 2;
  }
  return { seconds, seed: Number(values.seed) >>> 0, only: values.only, hangMs, memoryMb };
}

// ---------------------------------------------------------------------------------------------
// Shared memory between the worker (runs inputs) and the watchdog (main thread)

/** Largest input the watchdog can save whole (larger ones are saved cut). */
const MAX_SAVED = 1 << 20;

interface Shared {
  /** [0] target index, [1] input length, [2] 1 while an input runs. */
  readonly ctl: Int32Array;
  /** [0] Date.now() when the running input started. */
  readonly started: Float64Array;
  readonly input: Uint8Array;
}

function shared(buffers: { ctl: SharedArrayBuffer; started: SharedArrayBuffer; input: SharedArrayBuffer }): Shared {
  return { ctl: new Int32Array(buffers.ctl), started: new Float64Array(buffers.started), input: new Uint8Array(buffers.input) };
}

interface WorkerInput {
  readonly opts: Options;
  readonly root: string;
  /** Targets not to run (they hung or ran out of memory earlier). */
  readonly skip: readonly string[];
  /** Wall-clock end of the whole run, ms. */
  readonly endAt: number;
  readonly buffers: { ctl: SharedArrayBuffer; started: SharedArrayBuffer; input: SharedArrayBuffer };
}

type WorkerMessage =
  | { readonly kind: 'targets'; readonly names: readonly string[]; readonly seeds: readonly number[] }
  | { readonly kind: 'round'; readonly counts: Readonly<Record<string, number>>; readonly signatures: Readonly<Record<string, number>> }
  | { readonly kind: 'crash'; readonly target: string; readonly file: string; readonly message: string }
  | { readonly kind: 'done'; readonly crashes: number };

/** The worker: rounds over the targets, time steered to those still finding new signatures. */
async function workerMain(w: WorkerInput): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const sh = shared(w.buffers);
  const all = buildTargets(w.root, await pdfSeeds());
  const targets = all.filter(
    (t) => t.seeds.length > 0 && !w.skip.includes(t.name) && (w.opts.only === undefined ? !t.name.startsWith('watchdog-') : t.name === w.opts.only),
  );
  port.postMessage({ kind: 'targets', names: targets.map((t) => t.name), seeds: targets.map((t) => t.seeds.length) } satisfies WorkerMessage);
  const rng = new Rng(w.opts.seed ^ w.skip.length);
  const outDir = join(w.root, '.build', 'fuzz');
  const seen = targets.map(() => new Set<string>());
  let novelty = targets.map(() => 1);
  let crashes = 0;
  // A round gives every target at least ~40 ms; about eight rounds fit in the run.
  const ROUND_MS = Math.max(targets.length * 40, Math.min(30_000, (w.endAt - Date.now()) / 8));
  let first = 0;
  while (Date.now() < w.endAt && targets.length > 0) {
    const total = novelty.reduce((x, y) => x + y, 0);
    const counts: Record<string, number> = {};
    const found: Record<string, number> = {};
    const fresh = targets.map(() => 0);
    // Each round starts one target later, so a run cut short does not always starve the last ones.
    first = (first + 1) % targets.length;
    for (let k = 0; k < targets.length && Date.now() < w.endAt; k++) {
      const ti = (first + k) % targets.length;
      const t = targets[ti]!;
      // A round's time, shared by novelty; every target keeps a floor of a fifth of a fair share.
      const share = ROUND_MS * (0.2 / targets.length + (0.8 * (novelty[ti] ?? 1)) / total);
      const end = Math.min(w.endAt, Date.now() + share);
      let n = 0;
      while (Date.now() < end) {
        const seed = t.seeds[rng.below(t.seeds.length)]!;
        const input = mutate(rng, seed, t.seeds);
        sh.ctl[0] = all.indexOf(t);
        sh.ctl[1] = input.length;
        sh.input.set(input.subarray(0, MAX_SAVED));
        sh.started[0] = Date.now();
        Atomics.store(sh.ctl, 2, 1);
        try {
          const ret = t.run(input);
          const sig = ret instanceof Promise ? await ret : ret;
          const key = typeof sig === 'string' ? sig : 'ok';
          if (!seen[ti]!.has(key)) {
            seen[ti]!.add(key);
            fresh[ti]!++;
          }
        } catch (e) {
          crashes++;
          mkdirSync(outDir, { recursive: true });
          const file = join(outDir, `${t.name}-crash-${crashes}.bin`);
          writeFileSync(file, input);
          port.postMessage({ kind: 'crash', target: t.name, file, message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkerMessage);
        }
        Atomics.store(sh.ctl, 2, 0);
        n++;
      }
      counts[t.name] = n;
      found[t.name] = seen[ti]!.size;
    }
    novelty = fresh.map((f) => 1 + f);
    port.postMessage({ kind: 'round', counts, signatures: found } satisfies WorkerMessage);
  }
  port.postMessage({ kind: 'done', crashes } satisfies WorkerMessage);
}

/** The watchdog: runs the worker, restarts it after a hang or a memory bomb, adds up the counts. */
async function main(): Promise<number> {
  const opts = parseOptions();
  if (typeof opts === 'number') return opts;
  const root = findRepoRoot();
  const buffers = { ctl: new SharedArrayBuffer(12), started: new SharedArrayBuffer(8), input: new SharedArrayBuffer(MAX_SAVED) };
  const sh = shared(buffers);
  const endAt = Date.now() + opts.seconds * 1000;
  const skip: string[] = [];
  const counts = new Map<string, number>();
  const signatures = new Map<string, number>();
  const seedCounts = new Map<string, number>();
  let failures = 0;
  let names: readonly string[] = [];
  const outDir = join(root, '.build', 'fuzz');
  const allNames = buildTargetNames(root);
  const save = (why: string): string => {
    const target = allNames[sh.ctl[0] ?? 0] ?? 'unknown';
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${target}-${why}-${failures}.bin`);
    writeFileSync(file, sh.input.slice(0, Math.min(MAX_SAVED, sh.ctl[1] ?? 0)));
    skip.push(target);
    return `${target}: input saved to ${file}`;
  };
  for (let restarts = 0; restarts < 10 && Date.now() < endAt; restarts++) {
    const data: WorkerInput = { opts, root, skip: [...skip], endAt, buffers };
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: opts.memoryMb } });
    Atomics.store(sh.ctl, 2, 0);
    const ended = await new Promise<'done' | 'hang' | 'memory' | 'error'>((resolveRun) => {
      const timer = setInterval(() => {
        if (Atomics.load(sh.ctl, 2) === 1 && Date.now() - (sh.started[0] ?? 0) > opts.hangMs) {
          clearInterval(timer);
          void worker.terminate();
          resolveRun('hang');
        }
      }, 50);
      worker.on('message', (m: WorkerMessage) => {
        switch (m.kind) {
          case 'targets':
            names = m.names;
            m.names.forEach((n, i) => seedCounts.set(n, m.seeds[i] ?? 0));
            return;
          case 'round':
            for (const [k, v] of Object.entries(m.counts)) counts.set(k, (counts.get(k) ?? 0) + v);
            for (const [k, v] of Object.entries(m.signatures)) signatures.set(k, Math.max(signatures.get(k) ?? 0, v));
            return;
          case 'crash':
            failures++;
            console.error(`CRASH in ${m.target}: ${m.message}\n  input saved to ${m.file}`);
            return;
          case 'done':
            return;
          default:
            assertNeverMessage(m);
        }
      });
      worker.on('error', (e: Error & { code?: string }) => {
        clearInterval(timer);
        resolveRun(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'error');
        if (e.code !== 'ERR_WORKER_OUT_OF_MEMORY') console.error(`fuzz worker failed: ${e.stack ?? e.message}`);
      });
      worker.on('exit', () => {
        clearInterval(timer);
        resolveRun('done');
      });
    });
    if (ended === 'done') break;
    failures++;
    if (ended === 'hang') console.error(`HANG: one input ran longer than ${opts.hangMs} ms — ${save('hang')}`);
    else if (ended === 'memory') console.error(`MEMORY: one input exhausted the ${opts.memoryMb} MB heap — ${save('memory')}`);
    else console.error(`worker error — ${save('error')}`);
  }
  for (const n of names.length > 0 ? names : [...counts.keys()]) {
    console.log(`${n.padEnd(26)} ${String(counts.get(n) ?? 0).padStart(9)} inputs  (${seedCounts.get(n) ?? 0} seeds, ${signatures.get(n) ?? 0} outcomes)`);
  }
  for (const n of skip) console.log(`${n.padEnd(26)} stopped after a hang or memory bomb`);
  const total = [...counts.values()].reduce((x, y) => x + y, 0);
  console.log(failures === 0 ? `fuzz: ${total} inputs, no crashes, no hangs` : `fuzz: ${total} inputs, ${failures} failure(s)`);
  return failures === 0 ? 0 : 1;
}

function assertNeverMessage(m: never): never {
  throw new Error(`unexpected worker message ${JSON.stringify(m)}`);
}

/** Target names in build order (for the watchdog, which only knows an index). */
function buildTargetNames(root: string): string[] {
  return buildTargets(root).map((t) => t.name);
}

if (isMainThread) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
} else {
  // A rejection here is an uncaught error of the worker: the watchdog reports it.
  void workerMain(workerData as WorkerInput);
}
