/**
 * Stateful fuzz targets: one input is a whole hostile *sequence* — datagrams for one UDPTL
 * receiver, chunks of one TCP stream, a call's worth of datagrams for a T.38 terminal, a call's
 * worth of line events for a T.30 engine — so the mutations reach the states a single datagram in
 * a fresh object never sees (sequence wraps and restarts, FEC across datagrams, a frame in the
 * wrong phase, data after DCN).
 *
 * The record format is deliberately simple so that byte mutations stay meaningful: a record is
 * a header of one or more octets, then `len` octets of payload; a truncated last record is used
 * as far as it goes.
 */

import type { FaxModulation } from '../src/modem/modulation.js';
import { T38Terminal } from '../src/fax/terminal/t38-terminal.js';
import { T30Engine } from '../src/t30/engine.js';
import type { T30LineEvent } from '../src/t30/line.js';
import { createBitmap } from '../src/t4/bitmap.js';
import { decodeIfp, IfpView, T38FieldAssembler, TpktParser, UdptlReceiver } from '../src/t38/index.js';
import { UdptlReceiveBatch, type ReceivedIfp, type UdptlReceiverOptions } from '../src/t38/udptl-receiver.js';

/** A target as the fuzz driver runs it: a name, seeds, and a run that throws only on a bug. */
export interface FuzzTarget {
  readonly name: string;
  readonly seeds: Uint8Array[];
  /** Returns a short signature of what the input did (used to steer time to targets still finding new behaviour). */
  readonly run: (input: Uint8Array) => string | void | Promise<string | void>;
  readonly weight?: number;
}

/** Records of `[len u8][len octets]`. */
export function* lenRecords(b: Uint8Array, max = 400): Generator<Uint8Array> {
  let i = 0;
  for (let n = 0; n < max && i < b.length; n++) {
    const len = b[i] ?? 0;
    yield b.subarray(i + 1, Math.min(b.length, i + 1 + len));
    i += 1 + len;
  }
}

/** Encodes payloads as `[len u8][bytes]` records (payloads over 255 octets are cut). */
export function toLenRecords(payloads: readonly Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const p of payloads) {
    const q = p.subarray(0, 255);
    parts.push(q.length, ...q);
  }
  return Uint8Array.from(parts);
}

const MODULATIONS: readonly FaxModulation[] = ['v21', 'v27ter-2400', 'v27ter-4800', 'v29-7200', 'v29-9600', 'v17-7200', 'v17-9600', 'v17-12000', 'v17-14400'];

/** One line event from a record `[kind][modulation][payload…]`. */
function lineEvent(kind: number, mod: number, payload: Uint8Array): T30LineEvent {
  const modulation = MODULATIONS[mod % MODULATIONS.length] ?? 'v21';
  switch (kind % 10) {
    case 0:
      return { kind: 'tx-done' };
    case 1:
      return { kind: 'tone', tone: mod & 1 ? 'ced' : 'cng' };
    case 2:
      return { kind: 'signal', modulation };
    case 3:
      return { kind: 'hdlc-frame', modulation: 'v21', frame: payload, ok: (mod & 0x80) === 0 };
    case 4:
      return { kind: 'hdlc-frame', modulation, frame: payload, ok: (mod & 0x80) === 0 };
    case 5:
      return { kind: 'hdlc-end', modulation };
    case 6:
      return { kind: 'non-ecm-data', modulation, data: payload };
    case 7:
      return { kind: 'non-ecm-end', modulation };
    default:
      return { kind: 'no-signal' };
  }
}

/** Records of `[kind][modulation][dt ×100 ms][len][payload]` for the T.30 engine. */
export function toEventRecords(events: readonly { kind: number; mod: number; dt: number; payload?: Uint8Array }[]): Uint8Array {
  const parts: number[] = [];
  for (const e of events) {
    const p = (e.payload ?? new Uint8Array(0)).subarray(0, 255);
    parts.push(e.kind, e.mod, e.dt, p.length, ...p);
  }
  return Uint8Array.from(parts);
}

function runEngine(e: T30Engine, b: Uint8Array): string {
  let now = 0;
  e.start(now);
  let i = 0;
  for (let n = 0; n < 300 && i + 4 <= b.length && !e.finished; n++) {
    const kind = b[i] ?? 0;
    const mod = b[i + 1] ?? 0;
    now += (b[i + 2] ?? 0) * 100;
    const len = b[i + 3] ?? 0;
    const payload = b.subarray(i + 4, Math.min(b.length, i + 4 + len));
    i += 4 + len;
    e.tick(now);
    e.handle(lineEvent(kind, mod, payload), now);
    e.takeTx();
    e.takeEvents();
  }
  // Let every timer run out: the engine must end by itself.
  for (let n = 0; n < 100 && !e.finished; n++) {
    const t = e.nextTimeout();
    if (t === undefined) break;
    now = Math.max(now, t);
    e.tick(now);
    e.handle({ kind: 'tx-done' }, now);
    e.takeTx();
    e.takeEvents();
  }
  return `${e.state}:${e.result?.code ?? '-'}`;
}

/**
 * The stateful targets. `udptlFlows` are datagram runs of one capture flow each (seeds for the
 * receiver and the terminal); `frames` are T.30 frames (seeds for the engine).
 */
export function statefulTargets(udptlFlows: readonly Uint8Array[][], frames: readonly Uint8Array[]): FuzzTarget[] {
  const view = new IfpView();
  const flowSeeds = udptlFlows.map((f) => toLenRecords(f.slice(0, 60)));
  const page = createBitmap(1728, 8, { x: 204, y: 98 });
  const [dis, dcs] = frames;
  const engineSeeds = [
    // A caller's side seen by an answering receiver: DCS, TCF, a page, EOP, DCN.
    toEventRecords([
      { kind: 0, mod: 0, dt: 10 },
      { kind: 2, mod: 0, dt: 5 },
      { kind: 3, mod: 0, dt: 10, ...(dcs ? { payload: dcs } : {}) },
      { kind: 5, mod: 0, dt: 1 },
      { kind: 2, mod: 8, dt: 1 },
      { kind: 6, mod: 8, dt: 15, payload: new Uint8Array(200) },
      { kind: 7, mod: 8, dt: 1 },
      { kind: 3, mod: 0, dt: 10, payload: Uint8Array.of(0xff, 0xc8, 0x2f) },
      { kind: 3, mod: 0, dt: 10, payload: Uint8Array.of(0xff, 0xc8, 0xfb) },
    ]),
    // What a sender sees: DIS, CFR, MCF.
    toEventRecords([
      { kind: 1, mod: 1, dt: 5 },
      { kind: 3, mod: 0, dt: 10, ...(dis ? { payload: dis } : {}) },
      { kind: 0, mod: 0, dt: 20 },
      { kind: 3, mod: 0, dt: 30, payload: Uint8Array.of(0xff, 0xc8, 0x21) },
      { kind: 0, mod: 0, dt: 20 },
      { kind: 3, mod: 0, dt: 30, payload: Uint8Array.of(0xff, 0xc8, 0x31) },
    ]),
  ];
  return [
    {
      name: 'udptl-receiver-stream',
      seeds: flowSeeds,
      run: (b) => {
        const rx = new UdptlReceiver({ reorderWindow: 4 });
        const asm = new T38FieldAssembler();
        for (const d of lenRecords(b)) {
          for (const r of rx.receive(d)) {
            const ifp = decodeIfp(r.ifp, 0, view);
            if (ifp.ok) asm.push(ifp.value);
          }
        }
        rx.flush();
        const s = rx.getStats();
        return `${s.malformed > 0}:${s.restarts > 0}:${s.lost > 0}:${s.recoveredFromFec > 0}`;
      },
    },
    {
      // The allocation-free receiveInto/flushInto against the allocating receive/flush wrapper,
      // with options taken from the input's first octet: same IFPs (seq, source, octets), same
      // holding flag, same statistics, never an exception. The datagrams are passed at an offset
      // of a shared buffer that is overwritten after each call is checked (what the receiver
      // keeps must have been copied).
      name: 'udptl-receiver-into-vs-wrapper',
      seeds: flowSeeds.map((f) => Uint8Array.from([0, ...f])),
      run: (b) => {
        const o0 = b[0] ?? 0;
        const opts: UdptlReceiverOptions = {
          reorderWindow: o0 & 7,
          maxDepth: [32, 0, 1, 3][(o0 >> 3) & 3] ?? 32,
          acceptTrailingBytes: (o0 & 0x20) !== 0,
          ...((o0 & 0x40) !== 0 ? { restartThreshold: 20 } : {}),
          ...((o0 & 0x80) !== 0 ? { ifpVersion: 0 as const } : {}),
        };
        const wrap = new UdptlReceiver(opts);
        const into = new UdptlReceiveBatch();
        const rx = new UdptlReceiver(opts);
        const scratch = new Uint8Array(300);
        const same = (w: readonly ReceivedIfp[], where: string): void => {
          if (w.length !== into.count) throw new Error(`${where}: ${w.length} IFPs from the wrapper, ${into.count} from receiveInto`);
          w.forEach((x, k) => {
            const s = into.start[k] ?? 0;
            const e = into.end[k] ?? 0;
            const buf = into.buf[k];
            const ok = buf !== undefined && x.seq === into.seq[k] && x.source === into.source[k] && e - s === x.ifp.length && x.ifp.every((v, j) => buf[s + j] === v);
            if (!ok) throw new Error(`${where}: IFP ${k} differs (seq ${x.seq})`);
          });
          if (wrap.holding !== rx.holding) throw new Error(`${where}: holding differs`);
        };
        let n = 0;
        for (const d of lenRecords(b.subarray(1))) {
          const w = wrap.receive(d);
          scratch.set(d, 7);
          rx.receiveInto(scratch, into, 7, 7 + d.length);
          // The views may point into `scratch` until it changes; what the receiver keeps for later
          // calls must be its own copy, which the next comparisons check after this overwrite.
          same(w, `datagram ${n++}`);
          scratch.fill(0x55);
          if ((d[0] ?? 0) === 0xff) {
            const wf = wrap.flush();
            rx.flushInto(into);
            same(wf, 'flush');
          }
        }
        const wf = wrap.flush();
        rx.flushInto(into);
        same(wf, 'final flush');
        const a = JSON.stringify(wrap.getStats());
        if (a !== JSON.stringify(rx.getStats())) throw new Error(`statistics differ: ${a} / ${JSON.stringify(rx.getStats())}`);
        const s = rx.getStats();
        return `${s.malformed > 0}:${s.restarts > 0}:${s.lost > 0}:${s.recoveredFromFec > 0}:${s.recoveredFromSecondary > 0}`;
      },
    },
    {
      name: 'tpkt-stream',
      seeds: flowSeeds.map((f) => Uint8Array.from([...lenRecords(f)].flatMap((p) => [3, 0, (p.length + 4) >>> 8, (p.length + 4) & 0xff, ...p]))),
      run: (b) => {
        const p = new TpktParser();
        // Cut the stream where its own octets say, so chunk boundaries fall everywhere.
        let i = 0;
        let packets = 0;
        for (let k = 0; i < b.length && k < 200; k++) {
          const n = 1 + ((b[i] ?? 0) % 37);
          packets += p.push(b.subarray(i, i + n)).length;
          i += n;
        }
        return `${packets > 0}:${p.getStats().errors > 0}`;
      },
    },
    {
      name: 't38-terminal-stream',
      seeds: flowSeeds,
      weight: 4,
      run: (b) => {
        const t = new T38Terminal({ role: 'answering', receive: true, paced: false, lingerMs: 0 });
        let now = 0;
        t.start(now);
        for (const d of lenRecords(b, 200)) {
          now += 1 + ((d[0] ?? 0) & 0x3f) * 20;
          const next = t.nextTimeout();
          if (next !== undefined && next <= now) t.tick(now);
          t.receive(d, now);
          t.takeOutput();
          t.takeEvents();
        }
        for (let n = 0; n < 200 && !t.done; n++) {
          const next = t.nextTimeout();
          if (next === undefined) break;
          now = Math.max(now, next);
          t.tick(now);
          t.takeOutput();
          t.takeEvents();
        }
        return `${t.done}:${t.result?.code ?? '-'}`;
      },
    },
    {
      name: 't30-engine-receiver',
      seeds: engineSeeds,
      weight: 2,
      run: (b) => runEngine(new T30Engine({ role: 'answering', receive: true }), b),
    },
    {
      name: 't30-engine-sender',
      seeds: engineSeeds,
      weight: 2,
      run: (b) => runEngine(new T30Engine({ role: 'calling', send: { pages: [page] } }), b),
    },
  ];
}
