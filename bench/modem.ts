/**
 * The `modem` suite: every fax modem's receiver and transmitter, built through the factory
 * (src/modem/factory.ts), timed in samples per second — one op is one 8 kHz sample, so
 * ops/s ÷ 8000 is "× real time per core" — against spandsp's own receiver and transmitter for
 * the same modem and rate, measured in the same run by the reference peer's `modembench`
 * (../shared/interop/spandsp-peer, built into <repo>/.build/spandsp-peer as the interop tests
 * build it; its sources are never copied here).
 *
 * Input, as modembench's: 10 s of PRBS data bits (the peer's xorshift PRBS, seed 1) at −10 dBm0
 * after 200 ms of silence and the modem's training, then its shutdown. The receiver's input is
 * the peer's `modemgen` output when the peer builds (spandsp's signal, exactly what modembench
 * demodulates), else our own transmitter's. The receiver runs over it in 160-sample blocks,
 * `restart()`ed at the end of the file, round and round; the transmitter is rebuilt when its
 * signal ends. Before timing, the receiver demodulates the file once and its bit errors against
 * the PRBS (aligned by a 64-bit match, as modembench does) are printed, with its state size.
 *
 * State size: the bytes of the typed arrays reachable from a receiver object (its own fields,
 * arrays and objects, transitively; the BitSink excluded), counting only those not shared with a
 * second receiver of the same modem (shared constant tables are listed apart) — against the
 * 64 KiB per-channel budget.
 *
 * A modulation whose factory throws ("no transmitter yet") is listed LOUDLY as not built and
 * skipped, so the suite runs from the first modem on and fills in as the modems land.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createModemReceiver, createModemTransmitter } from '../src/modem/factory.js';
import { FAX_MODULATION_BIT_RATE, FAX_MODULATIONS, type FaxModulation } from '../src/modem/modulation.js';
import { END_OF_DATA, type BitSink, type BitSource, type ModemReceiver, type ModemTransmitter } from '../src/modem/types.js';
import { prbsBits } from '../test/sim/bits.js';
import { repoRoot, sharedDir, tempDir, type Baseline, type BaselineRunner, type BaselineUnavailable, type BenchCase, type BenchSettings, type BenchSuite, type RawResult } from './lib.js';

/** Seconds of data in the generated signal (modembench's default). */
export const DATA_SECONDS = 10;
const SEED = 1;
const BLOCK = 160;
/** The per-channel receiver state budget. */
export const STATE_BUDGET_BYTES = 64 * 1024;

export interface ModemFactories {
  readonly createModemTransmitter: typeof createModemTransmitter;
  readonly createModemReceiver: typeof createModemReceiver;
}

/** modembench's command line for a modulation. */
function peerModem(m: FaxModulation): { modem: string; rate: number } {
  if (m === 'v21') return { modem: 'v21', rate: 300 };
  const [modem, rate] = m.split('-') as [string, string];
  return { modem, rate: Number(rate) };
}

/** The peer's PRBS (test/sim/bits.ts). */
export const prbs = prbsBits;

class Bits implements BitSource {
  at = 0;
  constructor(private readonly bits: Uint8Array) {}
  getBit(): number {
    return this.at < this.bits.length ? (this.bits[this.at++] as number) : END_OF_DATA;
  }
}

/** Counts bits (and keeps the first `keep` of them for the BER check); allocation-free. */
class CountingSink implements BitSink {
  count = 0;
  sum = 0;
  trained = 0;
  constructor(readonly kept: Uint8Array = new Uint8Array(0)) {}
  putBit(bit: number): void {
    if (this.count < this.kept.length) this.kept[this.count] = bit;
    this.count++;
    this.sum += bit;
  }
  status(s: string): void {
    if (s === 'training-succeeded') this.trained++;
  }
}

/** Bit errors of `rx` against `tx`: tx[0..63] found in rx, then compared bit by bit. */
export function berAgainst(tx: Uint8Array, rx: Uint8Array, rxLen: number): { offset: number; errors: number; compared: number } {
  const W = 64;
  for (let off = 0; off + W <= rxLen && off < 20000; off++) {
    let k = 0;
    while (k < W && rx[off + k] === tx[k]) k++;
    if (k < W) continue;
    const n = Math.min(tx.length, rxLen - off);
    let errors = 0;
    for (let i = 0; i < n; i++) if (rx[off + i] !== tx[i]) errors++;
    return { offset: off, errors, compared: n };
  }
  return { offset: -1, errors: 0, compared: 0 };
}

/** The typed-array buffers reachable from `root` (not through `exclude`), with their sizes. */
export function reachableBuffers(root: object, exclude: ReadonlySet<object> = new Set()): Map<ArrayBufferLike, number> {
  const buffers = new Map<ArrayBufferLike, number>();
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  let visits = 0;
  while (stack.length > 0 && visits++ < 200_000) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v) || exclude.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      buffers.set(v.buffer, v.buffer.byteLength);
      continue;
    }
    if (v instanceof ArrayBuffer) {
      buffers.set(v, v.byteLength);
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
      continue;
    }
    if (v instanceof Set) {
      for (const x of v) stack.push(x);
      continue;
    }
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d !== undefined && 'value' in d) stack.push(d.value);
    }
  }
  return buffers;
}

/** Per-instance and shared typed-array bytes of a receiver (two built, the sink excluded). */
export function receiverStateBytes(make: (sink: BitSink) => ModemReceiver): { own: number; shared: number } {
  const s1 = new CountingSink();
  const s2 = new CountingSink();
  const a = reachableBuffers(make(s1), new Set([s1]));
  const b = reachableBuffers(make(s2), new Set([s2]));
  let own = 0;
  let shared = 0;
  for (const [buf, n] of a) {
    if (b.has(buf)) shared += n;
    else own += n;
  }
  return { own, shared };
}

/** The receiver's input: the peer's modemgen signal if it builds, else our transmitter's. */
function rxInput(m: FaxModulation, f: ModemFactories, peer: string | undefined, bits: Uint8Array): { audio: Int16Array; source: string } | undefined {
  if (peer !== undefined) {
    const { modem, rate } = peerModem(m);
    const dir = tempDir('modem', false);
    const out = join(dir, `${m}.raw`);
    const r = spawnSync(join(peer, 'modemgen'), ['--modem', modem, '--rate', String(rate), '--seconds', String(DATA_SECONDS), '--seed', String(SEED), '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === 0 && existsSync(out)) {
      const b = readFileSync(out);
      return { audio: new Int16Array(b.buffer, b.byteOffset, b.length >> 1), source: 'spandsp modemgen' };
    }
  }
  let tx: ModemTransmitter;
  try {
    tx = f.createModemTransmitter(m, new Bits(bits));
  } catch {
    return undefined;
  }
  const audio = new Int16Array(1600 + (DATA_SECONDS + 4) * 8000);
  let n = 1600;
  while (n + BLOCK <= audio.length) {
    const got = tx.tx(audio, n, BLOCK);
    n += got;
    if (got < BLOCK) break;
  }
  // 200 ms of silence after the signal, as modemgen writes (the array is zeros there).
  return { audio: audio.subarray(0, Math.min(audio.length, n + 1600)), source: 'faxwire transmitter' };
}

/** Builds the spandsp peer (make is incremental); its build directory, or why not. */
function buildPeer(): { dir: string } | { error: string } {
  const src = join(sharedDir(), 'interop', 'spandsp-peer');
  if (!existsSync(join(src, 'Makefile'))) return { error: `spandsp peer not found at ${src}` };
  const dir = join(repoRoot(), '.build', 'spandsp-peer');
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('make', ['-s', '-C', src, `BUILD=${dir}`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return { error: `make -C ${src} BUILD=${dir} failed (${r.status ?? r.signal ?? '?'}): ${(r.stderr || r.error?.message || '').slice(-1500)}` };
  if (!existsSync(join(dir, 'modembench'))) return { error: `${dir}/modembench was not built` };
  return { dir };
}

let peerBuild: { dir: string } | { error: string } | undefined;
function peer(): { dir: string } | { error: string } {
  peerBuild ??= buildPeer();
  return peerBuild;
}

const LINE = /^(\S+)\s+(\d+)\s+audio=.*?rx:\s+(\d+) samples\/s.*?tx:\s+(\d+) samples\/s/m;

/** The C side: modembench, one process per measurement, rx and tx figures in samples/s. */
export function spandspBaseline(mods: readonly FaxModulation[]): Baseline {
  return {
    name: 'spandsp modembench',
    provides: mods.flatMap((m) => [`c/spandsp/rx/${m}`, `c/spandsp/tx/${m}`]),
    prepare: (settings: BenchSettings): BaselineRunner | BaselineUnavailable => {
      const p = peer();
      const about = ['C: spandsp-peer modembench (libspandsp, -O2), spandsp rx/tx of the same modem and rate, chunk 160, 10 s of data, samples/s on the process CPU clock'];
      if ('error' in p) return { unavailable: `${p.error}\n(needs make, gcc and libspandsp-dev)`, about };
      const exe = join(p.dir, 'modembench');
      return {
        about,
        run: (wanted, runs) => {
          const results: RawResult[] = [];
          for (const name of wanted) {
            const m = /^c\/spandsp\/(rx|tx)\/(.+)$/.exec(name);
            if (m === null) continue;
            const side = m[1] as 'rx' | 'tx';
            const { modem, rate } = peerModem(m[2] as FaxModulation);
            const ns: number[] = [];
            for (let k = 0; k < (runs ?? settings.runs); k++) {
              const r = spawnSync(exe, ['--modem', modem, '--rate', String(rate), '--seconds', String(DATA_SECONDS), '--min-time', String(settings.minSeconds)], {
                encoding: 'utf8',
                timeout: 120_000,
              });
              const line = LINE.exec(r.stdout);
              if (r.status !== 0 || line === null) return { results, error: `${exe} --modem ${modem} --rate ${rate}: exit ${r.status ?? r.signal ?? '?'} ${r.stderr.slice(-300)}` };
              const perSec = Number(side === 'rx' ? line[3] : line[4]);
              ns.push(1e9 / perSec);
            }
            results.push({
              name,
              description: `spandsp ${side === 'rx' ? 'receiver' : 'transmitter'}, ${modem} ${rate}`,
              unit: 'sample',
              ops: ns.map((x) => Math.round((settings.minSeconds * 1e9) / x)),
              nsPerOp: ns,
              wallNsPerOp: ns,
            });
          }
          return { results };
        },
      };
    },
  };
}

/**
 * The suite; `f` is the modem factory (injectable for tests), `usePeer` false keeps the spandsp
 * peer out of it (no build, the receivers' input from our own transmitters).
 */
export function modemSuite(
  f: ModemFactories = { createModemTransmitter, createModemReceiver },
  usePeer = true,
): BenchSuite & { readonly skipped: string[]; readonly notes: string[] } {
  const cases: BenchCase[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  const built: FaxModulation[] = [];
  for (const m of FAX_MODULATIONS) {
    const nBits = DATA_SECONDS * FAX_MODULATION_BIT_RATE[m];
    const bits = prbs(SEED, nBits);
    let rxOk = true;
    let txOk = true;
    try {
      f.createModemReceiver(m, new CountingSink());
    } catch (e) {
      rxOk = false;
      skipped.push(`modem/rx/${m}: not built (${e instanceof Error ? e.message : String(e)})`);
    }
    try {
      f.createModemTransmitter(m, new Bits(bits));
    } catch (e) {
      txOk = false;
      skipped.push(`modem/tx/${m}: not built (${e instanceof Error ? e.message : String(e)})`);
    }
    if (rxOk || txOk) built.push(m);

    if (rxOk) {
      // Built lazily (verify runs before timing, only for selected cases).
      let input: { audio: Int16Array; source: string } | undefined;
      let audio: Int16Array = new Int16Array(0);
      let rx: ModemReceiver | undefined;
      let at = 0;
      const sink = new CountingSink();
      const setup = (): ModemReceiver => {
        if (input === undefined) {
          const p = usePeer ? peer() : undefined;
          input = rxInput(m, f, p !== undefined && 'dir' in p ? p.dir : undefined, bits);
          if (input === undefined) throw new Error(`modem/rx/${m}: no input signal (no spandsp peer and no ${m} transmitter)`);
          audio = input.audio;
        }
        rx ??= f.createModemReceiver(m, sink);
        return rx;
      };
      cases.push({
        name: `modem/rx/${m}`,
        description: `${m} receiver, 160-sample blocks over ${DATA_SECONDS} s of data (restart at the end of the file)`,
        unit: 'sample',
        baseline: `c/spandsp/rx/${m}`,
        verify: () => {
          setup();
          const kept = new Uint8Array(nBits + 4096);
          const s = new CountingSink(kept);
          const r = f.createModemReceiver(m, s);
          for (let i = 0; i < audio.length; i += BLOCK) r.rx(audio, i, Math.min(BLOCK, audio.length - i));
          const ber = berAgainst(bits, kept, Math.min(s.count, kept.length));
          const st = receiverStateBytes((k) => f.createModemReceiver(m, k));
          const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
          notes.push(
            `modem/rx/${m}: on ${input?.source ?? '?'} (${(audio.length / 8000).toFixed(2)} s): ${s.trained > 0 ? 'trained' : 'NEVER TRAINED'}, ` +
              `${s.count} bits, ${ber.offset < 0 ? 'PRBS NOT FOUND' : `${ber.errors} errors in ${ber.compared} (${ber.compared - ber.errors === bits.length ? 'all' : `${bits.length - ber.compared} missing`})`}; ` +
              `state ${kib(st.own)} per receiver${st.own > STATE_BUDGET_BYTES ? ' — OVER' : ' within'} the ${kib(STATE_BUDGET_BYTES)} budget (+ ${kib(st.shared)} shared tables)`,
          );
        },
        heapBatch: 16_000,
        run: (n: number): number => {
          const r = rx ?? setup();
          let left = n;
          while (left > 0) {
            const len = Math.min(BLOCK, left, audio.length - at);
            r.rx(audio, at, len);
            at += len;
            left -= len;
            if (at >= audio.length) {
              at = 0;
              r.restart();
            }
          }
          return sink.count + sink.sum;
        },
      });
    }

    if (txOk) {
      const out = new Int16Array(BLOCK);
      const source = new Bits(bits);
      let tx: ModemTransmitter | undefined;
      cases.push({
        name: `modem/tx/${m}`,
        description: `${m} transmitter, 160-sample blocks, ${DATA_SECONDS} s of data per signal (rebuilt when it ends)`,
        unit: 'sample',
        baseline: `c/spandsp/tx/${m}`,
        heapBatch: 16_000,
        run: (n: number): number => {
          let left = n;
          let acc = 0;
          while (left > 0) {
            if (tx === undefined || tx.done) {
              source.at = 0;
              tx = f.createModemTransmitter(m, source);
            }
            const want = Math.min(BLOCK, left);
            const got = tx.tx(out, 0, want);
            acc += out[0] as number;
            left -= got;
            if (got < want) tx = undefined;
          }
          return acc;
        },
      });
    }
  }
  return {
    name: 'modem',
    title: 'fax modems: receivers and transmitters, samples/s (÷ 8000 = × real time per core)',
    input: `${DATA_SECONDS} s of PRBS data (seed ${SEED}) at −10 dBm0 after 200 ms of silence and the training; 160-sample blocks`,
    cases,
    baselines: built.length > 0 && usePeer ? [spandspBaseline(built)] : [],
    skipped,
    notes,
  };
}
