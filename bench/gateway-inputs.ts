/**
 * Inputs of the `gateway` bench suite (bench/gateway.ts), recorded once at bench start (never
 * timed), and their file forms for the C twin (bench/c/gateway_bench.c):
 *
 * - `audio`: what a faxwire audio terminal (test/sim/audio-call.ts, faxwire's own modems)
 *   sends when it transmits one V.17/14400 non-ECM page to another: from 200 ms before its
 *   TSI/DCS burst to 200 ms after its post-page message (EOP) — TSI + DCS on V.21, TCF (1.5 s of
 *   zeros, V.17 long training), the silence while the far end answers CFR, the page (V.17 short
 *   training, T.4), EOP. This is the audio → T.38 half's work: V.17 demodulation with V.21 and
 *   the tone detector running beside it.
 * - `frames`: where each V.21 frame of `audio` ends on the line — the sample after the last bit
 *   of its closing flag (T.30 §5.3.1: the frame is known whole, and its FCS judged, only then).
 *   Found by tapping the V.21 transmitter's bit source (the framer's bits, re-deframed) and
 *   running the transmitter one sample at a time, so the sample each bit starts at is exact; a
 *   bit lasts 80/3 samples (V.21 300 bit/s at 8 kHz). Accurate to one sample.
 * - `datagrams`: what a faxwire T.38 terminal (test/sim/t38-call.ts, T.38 version 0, paced,
 *   redundancy 3, spandsp's per-category repeats) sends for the same page, with the time it sent
 *   each one, from 100 ms before its TSI/DCS `v21-preamble` to 1 s after its EOP: the T.38 → audio
 *   half's work (remodulating V.21, the TCF and the page on V.17 through the play-out).
 *
 * File forms (little-endian):
 *   audio  raw int16 at 8 kHz, nothing else (`sox -t raw -r 8000 -e signed -b 16 -c 1`).
 *   T.38   "FWGT" | u32 T.38 version | u32 window length (samples) | u32 count |
 *          count × (u32 arrival (samples from the window start) | u16 length | UDPTL datagram)
 */

import { FAXWIRE_MODEMS } from '../src/fax/terminal/modem-kit.js';
import type { AudioModemKit } from '../src/fax/audio-receiver.js';
import { HdlcDeframer } from '../src/hdlc/deframer.js';
import { drawText, fillRect } from '../src/image/text.js';
import type { BitSource, ModemTransmitter } from '../src/modem/types.js';
import { decodeT30Frame } from '../src/t30/frames.js';
import { createBitmap, type Bitmap } from '../src/t4/bitmap.js';
import { decodeIfp, type Ifp, type T38Version } from '../src/t38/ifp.js';
import { runAudioCall } from '../test/sim/audio-call.js';
import { runT38Call } from '../test/sim/t38-call.js';
import type { PacketNetwork } from '../test/sim/network-api.js';

/** T.38 version of the recorded datagrams and of both gateways under test (spandsp's default). */
export const BENCH_T38_VERSION: T38Version = 0;
/** Samples per V.21 bit at 8 kHz (300 bit/s). */
const V21_BIT_SAMPLES = 8000 / 300;

export interface RecordedFrame {
  /** T.30 frame name (TSI, DCS, EOP, …). */
  readonly name: string;
  /** Sample of `audio` just after the closing flag's last bit. */
  readonly end: number;
}

export interface RecordedDatagram {
  /** Arrival, samples from the window start (ms × 8). */
  readonly at: number;
  readonly bytes: Uint8Array;
}

export interface GatewayBenchInputs {
  readonly audio: Int16Array;
  readonly frames: readonly RecordedFrame[];
  readonly datagrams: readonly RecordedDatagram[];
  /** Length of the T.38 window, samples (the last datagram + 1 s for the play-out to finish). */
  readonly t38Samples: number;
  /** The page's V.17 burst in `audio` (the burst before the EOP's), samples. */
  readonly pageAudio: Burst;
  /** Arrival of the page's training indicator (the last fast-modem indicator), samples. */
  readonly pageIfpAt: number;
  /** Rows of the page sent. */
  readonly rows: number;
}

export interface Burst {
  readonly start: number;
  /** One past its last loud sample. */
  readonly end: number;
}

/** |x| above this is signal (−10 dBm0 modems peak near 4000; silence is 0). */
const LOUD = 100;
/** Quiet samples that end a burst (20 ms: inside any burst the signal never stays this low). */
const QUIET_RUN = 160;

/** The bursts of a signal: runs of loud samples separated by at least 20 ms of quiet. */
export function findBursts(x: Int16Array, from = 0, to = x.length): Burst[] {
  const out: Burst[] = [];
  let start = -1;
  let lastLoud = -1;
  for (let i = from; i < to; i++) {
    const v = x[i] as number;
    if (v > LOUD || v < -LOUD) {
      if (start < 0 || i - lastLoud > QUIET_RUN) {
        if (start >= 0) out.push({ start, end: lastLoud + 1 });
        start = i;
      }
      lastLoud = i;
    }
  }
  if (start >= 0) out.push({ start, end: lastLoud + 1 });
  return out;
}

/** A page like a typed letter: a rule, a title and lines of text, 1728 pels wide, 98 lpi. */
export function benchPage(rows: number): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 40, 20, 1648, 3, true);
  drawText(b, 60, 40, 'faxwire gateway bench - one V.17 14400 page', 3, 3);
  for (let y = 90, i = 0; y + 20 < rows; y += 24, i++) {
    drawText(b, 60, y, `${String(i).padStart(3, '0')} THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 ${'.'.repeat(i % 17)}`, 2, 2);
  }
  return b;
}

/** The V.21 transmitter's frame ends, in samples of the caller's output. */
class FrameTap {
  /** Sample of the caller's output where the current 160-sample frame starts. */
  frameBase = 0;
  /** Sample being generated now. */
  pos = 0;
  readonly ends: RecordedFrame[] = [];

  kit(): AudioModemKit {
    return {
      ...FAXWIRE_MODEMS,
      transmitter: (m, bits, opts) => (m === 'v21' ? this.v21(bits, opts) : FAXWIRE_MODEMS.transmitter(m, bits, opts)),
    };
  }

  private v21(bits: BitSource, opts: Parameters<AudioModemKit['transmitter']>[2]): ModemTransmitter {
    const deframer = new HdlcDeframer(
      {
        frame: (bytes, ok) => {
          const d = ok ? decodeT30Frame(bytes) : undefined;
          const name = d?.ok === true ? d.value.type : 'bad';
          // This bit was fetched at `pos` and lasts one bit time.
          this.ends.push({ name, end: Math.round(this.pos + V21_BIT_SAMPLES) });
        },
      },
      { bitOrder: 'msb-first' },
    );
    const source: BitSource = {
      getBit: () => {
        const b = bits.getBit();
        if (b >= 0) deframer.putBit(b);
        return b;
      },
    };
    const inner = FAXWIRE_MODEMS.transmitter('v21', source, opts);
    return {
      // One sample at a time, so a fetched bit's sample is known exactly.
      tx: (out, offset = 0, length = out.length - offset) => {
        let k = 0;
        for (; k < length; k++) {
          this.pos = this.frameBase + offset + k;
          if (inner.tx(out, offset + k, 1) < 1) break;
        }
        return k;
      },
      get done() {
        return inner.done;
      },
    };
  }
}

/** The caller's audio and its V.21 frame ends. */
function recordAudio(page: Bitmap): { audio: Int16Array; frames: RecordedFrame[] } {
  const tap = new FrameTap();
  const chunks: Int16Array[] = [];
  const o = runAudioCall(
    { role: 'calling', send: { pages: [page] }, ecm: false, modems: ['v17'], kit: tap.kit() },
    { role: 'answering', receive: true, ecm: false },
    {
      limit: 300_000,
      channel: (f, to) => {
        if (to === 1) {
          chunks.push(f.slice());
          tap.frameBase += f.length;
        }
        return f;
      },
    },
  );
  if (o.caller.result?.ok !== true || o.received.length !== 1) {
    throw new Error(`gateway bench: the audio call that records the input failed: ${JSON.stringify(o.caller.result)}`);
  }
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let n = 0;
  for (const c of chunks) {
    all.set(c, n);
    n += c.length;
  }
  const dcs = tap.ends.findIndex((f) => f.name === 'DCS');
  const eop = tap.ends.findIndex((f, i) => i > dcs && f.name === 'EOP');
  if (dcs < 0 || eop < 0) throw new Error(`gateway bench: no DCS … EOP in the recorded call (${tap.ends.map((f) => f.name).join(' ')})`);
  // From 200 ms before the burst that carries the DCS to 200 ms after the EOP.
  const bursts = findBursts(all);
  const dcsEnd = tap.ends[dcs]?.end ?? 0;
  const first = bursts.find((b) => b.start <= dcsEnd && dcsEnd <= b.end + QUIET_RUN);
  const start = Math.max(0, (first?.start ?? dcsEnd) - 1600);
  const end = Math.min(all.length, (tap.ends[eop]?.end ?? all.length) + 1600);
  const frames = tap.ends.filter((f) => f.end > start && f.end <= end).map((f) => ({ name: f.name, end: f.end - start }));
  return { audio: all.slice(start, end), frames };
}

/** A network that delivers after `delay` ms and records what goes to endpoint 1, with the time. */
class RecordingNet implements PacketNetwork {
  private readonly q: { at: number; to: 0 | 1; bytes: Uint8Array }[] = [];
  readonly sentTo1: { at: number; bytes: Uint8Array }[] = [];
  constructor(private readonly delay: number) {}
  send(to: 0 | 1, bytes: Uint8Array, now: number): void {
    if (to === 1) this.sentTo1.push({ at: now, bytes: bytes.slice() });
    this.q.push({ at: now + this.delay, to, bytes });
  }
  next(): number | undefined {
    return this.q[0]?.at;
  }
  due(now: number): { to: 0 | 1; bytes: Uint8Array }[] {
    let k = 0;
    while (k < this.q.length && (this.q[k]?.at ?? Infinity) <= now) k++;
    return this.q.splice(0, k);
  }
}

/** The primary IFP of a UDPTL datagram (T.38 §9.1: seq, then an open type), or undefined. */
export function primaryIfp(d: Uint8Array, version: T38Version): { seq: number; ifp: Ifp } | undefined {
  if (d.length < 3) return undefined;
  const seq = ((d[0] as number) << 8) | (d[1] as number);
  let len = d[2] as number;
  let at = 3;
  if (len >= 0x80) {
    if ((len & 0xc0) !== 0x80 || d.length < 4) return undefined;
    len = ((len & 0x3f) << 8) | (d[3] as number);
    at = 4;
  }
  if (at + len > d.length) return undefined;
  const r = decodeIfp(d.subarray(at, at + len), version);
  return r.ok ? { seq, ifp: r.value } : undefined;
}

/** The T.38 caller's datagrams for the same page. */
function recordDatagrams(page: Bitmap): { datagrams: RecordedDatagram[]; t38Samples: number; pageIfpAt: number } {
  const net = new RecordingNet(20);
  const o = runT38Call(
    { role: 'calling', send: { pages: [page] }, ecm: false, modems: ['v17'], t38Version: BENCH_T38_VERSION },
    { role: 'answering', receive: true, ecm: false, t38Version: BENCH_T38_VERSION },
    net,
    { limit: 300_000 },
  );
  if (o.caller.result?.ok !== true || o.received.length !== 1) {
    throw new Error(`gateway bench: the T.38 call that records the input failed: ${JSON.stringify(o.caller.result)}`);
  }
  const sent = net.sentTo1.map((s) => ({ ...s, p: primaryIfp(s.bytes, BENCH_T38_VERSION) }));
  const isInd = (p: { ifp: Ifp } | undefined, ind: string): boolean => p?.ifp.type === 't30-indicator' && p.ifp.indicator === ind;
  const startIdx = sent.findIndex((s) => isInd(s.p, 'v21-preamble'));
  // The page's sig-end, then the EOP burst's end: the next V.21 fcs-OK-sig-end.
  const pageEnd = sent.findIndex((s) => s.p?.ifp.type === 't30-data' && s.p.ifp.fields?.some((f) => f.type === 't4-non-ecm-sig-end') === true && s.p.ifp.dataType === 'v17-14400');
  const eopEnd = sent.findIndex(
    (s, i) => i > pageEnd && s.p?.ifp.type === 't30-data' && s.p.ifp.dataType === 'v21' && s.p.ifp.fields?.some((f) => f.type === 'hdlc-fcs-OK-sig-end' || f.type === 'hdlc-sig-end') === true,
  );
  if (startIdx < 0 || pageEnd < 0 || eopEnd < 0) throw new Error('gateway bench: no v21-preamble … page … EOP in the recorded T.38 call');
  const t0 = (sent[startIdx]?.at ?? 0) - 100;
  const tEnd = (sent[eopEnd]?.at ?? 0) + 1000;
  // Every datagram until the EOP's (repeats included), then nothing: the window's last second is the play-out's.
  const lastAt = sent[eopEnd]?.at ?? 0;
  const kept = sent.filter((s, i) => i >= startIdx && s.at <= lastAt);
  let pageIfpAt = 0;
  for (const s of kept) {
    if (s.p?.ifp.type === 't30-indicator' && s.p.ifp.indicator.startsWith('v17-')) pageIfpAt = Math.round((s.at - t0) * 8);
  }
  return { datagrams: kept.map((s) => ({ at: Math.round((s.at - t0) * 8), bytes: s.bytes })), t38Samples: Math.round((tEnd - t0) * 8), pageIfpAt };
}

/** Records both inputs (a few seconds of CPU for a full page; `rows` smaller for tests). */
export function recordInputs(rows = 1143): GatewayBenchInputs {
  const page = benchPage(rows);
  const { audio, frames } = recordAudio(page);
  const { datagrams, t38Samples, pageIfpAt } = recordDatagrams(page);
  // The page is the burst just before the one carrying the EOP (a short page can be shorter than the TCF).
  const bursts = findBursts(audio);
  const eopEnd = frames.find((f) => f.name === 'EOP')?.end ?? audio.length;
  const eopBurst = bursts.findIndex((b) => b.start < eopEnd && eopEnd <= b.end + QUIET_RUN);
  const pageAudio: Burst = bursts[eopBurst - 1] ?? { start: 0, end: 0 };
  return { audio, frames, datagrams, t38Samples, pageAudio, pageIfpAt, rows };
}

// --- files for the C twin ----------------------------------------------------------------------

export function audioFile(audio: Int16Array): Uint8Array {
  const out = new Uint8Array(audio.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < audio.length; i++) dv.setInt16(i * 2, audio[i] as number, true);
  return out;
}

export function t38File(inputs: Pick<GatewayBenchInputs, 'datagrams' | 't38Samples'>, version: T38Version = BENCH_T38_VERSION): Uint8Array {
  const size = 16 + inputs.datagrams.reduce((n, d) => n + 6 + d.bytes.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set([0x46, 0x57, 0x47, 0x54], 0); // "FWGT"
  dv.setUint32(4, version, true);
  dv.setUint32(8, inputs.t38Samples, true);
  dv.setUint32(12, inputs.datagrams.length, true);
  let at = 16;
  for (const d of inputs.datagrams) {
    dv.setUint32(at, d.at, true);
    dv.setUint16(at + 4, d.bytes.length, true);
    out.set(d.bytes, at + 6);
    at += 6 + d.bytes.length;
  }
  return out;
}

/** Reads a T.38 file back (the test of the format; the C twin has its own reader). */
export function readT38File(b: Uint8Array): { version: number; t38Samples: number; datagrams: RecordedDatagram[] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < 16 || String.fromCharCode(...b.subarray(0, 4)) !== 'FWGT') throw new Error('not a FWGT file');
  const count = dv.getUint32(12, true);
  const datagrams: RecordedDatagram[] = [];
  let at = 16;
  for (let i = 0; i < count; i++) {
    const len = dv.getUint16(at + 4, true);
    datagrams.push({ at: dv.getUint32(at, true), bytes: b.slice(at + 6, at + 6 + len) });
    at += 6 + len;
  }
  return { version: dv.getUint32(4, true), t38Samples: dv.getUint32(8, true), datagrams };
}
