/**
 * Fuzz targets for the audio side (registered by fuzz.ts):
 *
 * - `audio-receiver`: the input is 16-bit little-endian audio for the AudioReceiver (tones, V.21
 *   + HDLC, and whatever fast receiver a DCS in it names), fed in blocks whose sizes and lost
 *   frames (`fillIn`) come from the input's first octets. Seeds are real fax signals made by
 *   faxwire's transmitters — a V.21 DCS burst then a V.17, V.29 or V.27ter TCF — so mutations start
 *   inside trained receivers. Checked: never throws; the events come in a sane shape (frames are
 *   within the HDLC limit, non-ECM data only after a fast signal).
 * - `audio-to-t38`: the same inputs through the gateway's AudioToT38 (with fill-bit removal, local
 *   TCF and the message editor on alternate runs, as the input's second octet says). Checked:
 *   never throws; every IFP encodes in both ASN.1 modules; the first IFP is no-signal; data IFPs
 *   come only inside a signal (after its indicator, before its no-signal) and the sig-end
 *   forms close one.
 * - `modem-receivers`: the same audio straight into every receiver (V.21, V.27ter, V.29, V.17).
 * - `audio-playout`: a script of pushes (sizes, sequence numbers) and pops on an AudioPlayout.
 *   Checked: never throws; played + lost never exceeds what could have been queued; depth never
 *   goes past the capacity.
 */

import { AudioReceiver } from '../src/fax/audio-receiver.js';
import { AudioToT38 } from '../src/fax/gateway/audio-to-t38.js';
import { FaxMessageEditor } from '../src/fax/gateway/editor.js';
import type { GatewayIfp } from '../src/fax/gateway/types.js';
import { encodeIfp } from '../src/t38/ifp.js';
import { FAXWIRE_MODEMS } from '../src/fax/terminal/modem-kit.js';
import { HdlcFramer } from '../src/hdlc/index.js';
import { createModemReceiver, createModemTransmitter } from '../src/modem/factory.js';
import { FAX_MODULATIONS, type FaxModulation } from '../src/modem/modulation.js';
import { END_OF_DATA } from '../src/modem/types.js';
import { AudioPlayout } from '../src/rtp/playout.js';
import type { FuzzTarget } from './fuzz-stateful.js';

class FuzzFailure extends Error {}

function check(cond: boolean, what: string): void {
  if (!cond) throw new FuzzFailure(what);
}

function samplesOf(parts: Int16Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(2 + 2 * n);
  out[0] = 160;
  out[1] = 0;
  let at = 2;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const v = p[i] as number;
      out[at++] = v & 0xff;
      out[at++] = (v >> 8) & 0xff;
    }
  }
  return out;
}

function signal(tx: { tx(out: Int16Array, o?: number, n?: number): number }): Int16Array {
  const parts: Int16Array[] = [];
  const buf = new Int16Array(160);
  for (let k = 0; k < 2000; k++) {
    const w = tx.tx(buf, 0, 160);
    parts.push(buf.slice(0, w));
    if (w < 160) break;
  }
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A DCS for `rateCode` (T.30 Table 2 bits 11–14) on V.21, then `m`'s TCF (0.3 s). */
function seed(m: FaxModulation, rateCode: number): Uint8Array {
  const framer = new HdlcFramer({ bitOrder: 'msb-first' });
  framer.preambleFlags(8);
  framer.sendFrame(Uint8Array.of(0xff, 0xc8, 0xc1, 0x00, 0x42 | (rateCode << 2), 0x00));
  framer.finish();
  const v21 = signal(createModemTransmitter('v21', framer));
  let zeros = Math.round(0.3 * (m === 'v21' ? 300 : Number(m.split('-')[1])));
  const fast = signal(createModemTransmitter(m, { getBit: () => (zeros-- > 0 ? 0 : END_OF_DATA) }));
  return samplesOf([v21, new Int16Array(600), fast]);
}

function audioOf(b: Uint8Array, from: number): Int16Array {
  const n = Math.max(0, (b.length - from) >> 1);
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = ((b[from + 2 * i] as number) | ((b[from + 2 * i + 1] as number) << 8)) << 16 >> 16;
  return s;
}

function runReceiver(b: Uint8Array): void {
  const block = Math.max(1, b[0] ?? 160);
  const lossEvery = b[1] ?? 0;
  const samples = audioOf(b, 2);
  let fast = false;
  const rx = new AudioReceiver({ kit: FAXWIRE_MODEMS }, (ev) => {
    if (ev.kind === 'signal' && ev.modulation !== 'v21') fast = true;
    if (ev.kind === 'hdlc-frame') check(ev.frame.length <= 260, `frame of ${ev.frame.length} octets`);
    if (ev.kind === 'non-ecm-data') check(fast, 'non-ECM data before any fast signal');
  });
  let k = 0;
  for (let at = 0; at < samples.length; at += block, k++) {
    const n = Math.min(block, samples.length - at);
    if (lossEvery > 0 && k % lossEvery === lossEvery - 1) rx.fillIn(n);
    else rx.receive(samples, at, n);
  }
}

function runAudioToT38(b: Uint8Array): void {
  const block = Math.max(1, b[0] ?? 160);
  const flags = b[1] ?? 0;
  const samples = audioOf(b, 2);
  let first = true;
  let inSignal = false;
  const check1 = (p: GatewayIfp): void => {
    encodeIfp(p.ifp, 0);
    encodeIfp(p.ifp, 3);
    if (first) check(p.ifp.type === 't30-indicator' && p.ifp.indicator === 'no-signal', 'first IFP is no-signal');
    first = false;
    if (p.ifp.type === 't30-indicator') {
      inSignal = p.ifp.indicator !== 'no-signal';
      return;
    }
    check(inSignal, `${p.ifp.fields?.[0]?.type ?? '?'} outside a signal`);
    const t = p.ifp.fields?.[0]?.type;
    if (t === 'hdlc-sig-end' || t === 't4-non-ecm-sig-end') inSignal = false;
  };
  const gw = new AudioToT38(
    {
      kit: FAXWIRE_MODEMS,
      fillBitRemoval: (flags & 1) === 1,
      localTcf: (flags & 2) === 2,
      onTcf: () => {},
      ...((flags & 4) === 4 ? { editor: new FaxMessageEditor({ blockModems: ['v17'], ecm: false }) } : {}),
    },
    check1,
  );
  const lossEvery = flags >> 4;
  let k = 0;
  for (let at = 0; at < samples.length; at += block, k++) {
    const n = Math.min(block, samples.length - at);
    if (lossEvery > 0 && k % lossEvery === lossEvery - 1) gw.fillIn(n);
    else gw.receive(samples, at, n);
  }
  const st = gw.getStats();
  check(st.framesBad <= st.framesRelayed, 'bad frames ≤ frames');
}

function runModemReceivers(b: Uint8Array): void {
  const samples = audioOf(b, 2);
  const block = Math.max(1, b[0] ?? 160);
  const sink = { putBit: (): void => {}, status: (): void => {} };
  for (const m of FAX_MODULATIONS) {
    const r = createModemReceiver(m, sink);
    for (let at = 0; at < samples.length; at += block) r.rx(samples, at, Math.min(block, samples.length - at));
    r.fillIn(160);
    r.restart(true);
  }
}

function runPlayout(b: Uint8Array): void {
  const capacity = 1 << (1 + ((b[0] ?? 5) % 8));
  const p = new AudioPlayout({ frameBytes: 4, cushion: (b[1] ?? 2) % capacity, capacity, sequenced: ((b[2] ?? 0) & 1) === 1 });
  const out = new Uint8Array(4);
  let pushed = 0;
  let seq = 0;
  for (let i = 3; i < b.length; i++) {
    const op = b[i] as number;
    if (op < 128) {
      seq = (seq + (op % 7) - 2) & 0xffff;
      if (p.push(new Uint8Array(op % 13 === 0 ? 3 : 4), seq) === 'queued') pushed++;
    } else {
      p.pop(out);
      void p.catchUp;
    }
    check(p.depth <= capacity, `depth ${p.depth} > capacity ${capacity}`);
  }
  const st = p.getStats();
  check(st.framesPlayed <= pushed, `played ${st.framesPlayed} of ${pushed} pushed`);
}

export function audioTargets(): FuzzTarget[] {
  const seeds = [seed('v17-14400', 0b0001), seed('v29-9600', 0b1000), seed('v27ter-4800', 0b0100)];
  return [
    { name: 'audio-receiver', seeds, run: runReceiver, weight: 20 },
    { name: 'audio-to-t38', seeds, run: runAudioToT38, weight: 20 },
    { name: 'modem-receivers', seeds, run: runModemReceivers, weight: 20 },
    { name: 'audio-playout', seeds: [Uint8Array.of(5, 2, 1, 1, 2, 3, 200, 5, 200, 9, 200, 200, 3, 200)], run: runPlayout },
  ];
}
