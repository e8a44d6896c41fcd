/**
 * Fuzz target for the T.38 → audio half of the gateway (registered by fuzz.ts):
 *
 * - `t38-to-audio`: the input is `[len][IFP octets]` records (T.38 version 2); each decoded IFP is
 *   fed to a T38ToAudio, a record of length 0 is a lost packet (`markMissing`), and 20 ms of audio
 *   are played after every record, so mutations reach every play-out state (bursts waiting on
 *   flags or fill, signals queued behind others, resynchronisation, timeouts). Seeds are what a
 *   T.38 terminal's line sends for a DCS, a TCF, a non-ECM page and ECM frames on V.17, so
 *   mutations start inside real signals. Checked: never throws; the data held stays bounded;
 *   once the input is over, everything queued is played out or cut within the hold time.
 */

import { T38ToAudio } from '../src/fax/gateway/t38-to-audio.js';
import { T38Line } from '../src/fax/terminal/t38-line.js';
import { dcsRateCode, emptyDisFields, encodeDis } from '../src/t30/dis.js';
import type { T30TxStep } from '../src/t30/line.js';
import { decodeIfp } from '../src/t38/ifp.js';
import { createBitmap } from '../src/t4/bitmap.js';
import { encodeT4 } from '../src/t4/index.js';
import { lenRecords, toLenRecords, type FuzzTarget } from './fuzz-stateful.js';

class FuzzFailure extends Error {}

function check(cond: boolean, what: string): void {
  if (!cond) throw new FuzzFailure(what);
}

function dcs(modem: 'V.17' | 'V.29', rate: number, ecm: boolean): Uint8Array {
  return Uint8Array.from([0xff, 0xc8, 0xc1, ...encodeDis({ ...emptyDisFields('DCS'), rateCode: dcsRateCode(modem, rate), ecm, octets: 4 })]);
}

function seed(steps: readonly T30TxStep[]): Uint8Array {
  const line = new T38Line({ version: 2 });
  line.queue(steps, 0);
  const out: Uint8Array[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    for (const p of line.takePackets()) out.push(p.bytes);
    const t = line.nextTimeout();
    if (t === undefined || line.pendingSteps === 0) break;
    line.tick(t);
  }
  for (const p of line.takePackets()) out.push(p.bytes);
  return toLenRecords(out);
}

/**
 * What the seeds carry, as a T.38 terminal's transmit steps (shared with the whole-gateway target,
 * fuzz-gateway.ts): a DCS, a TCF and a non-ECM page on V.29; CED, a DCS and ECM frames on V.17.
 */
export function seedSignals(): T30TxStep[][] {
  const page = createBitmap(1728, 12, { x: 204, y: 98 });
  page.data.fill(0x5a, 0, page.stride * 3);
  const img = encodeT4(page, { coding: 'mh' });
  const fcd = Uint8Array.from({ length: 68 }, (_, i) => (i < 4 ? [0xff, 0x03, 0x06, 0][i] ?? 0 : (i * 37) & 0xff));
  return [
    [
      { kind: 'hdlc', modulation: 'v21', frames: [dcs('V.29', 9600, false)] },
      { kind: 'silence', ms: 75 },
      { kind: 'tcf', modulation: 'v29-9600', ms: 200 },
      { kind: 'silence', ms: 75 },
      { kind: 'image', modulation: 'v29-9600', shortTrain: false, data: img },
    ],
    [
      { kind: 'tone', tone: 'ced', ms: 300 },
      { kind: 'hdlc', modulation: 'v21', frames: [dcs('V.17', 14400, true)] },
      { kind: 'silence', ms: 75 },
      { kind: 'hdlc', modulation: 'v17-14400', frames: [fcd, fcd, Uint8Array.of(0xff, 0x03, 0x86)] },
    ],
  ];
}

function seeds(): Uint8Array[] {
  return seedSignals().map(seed);
}

const HOLD_MS = 300;

function run(b: Uint8Array): string {
  const gw = new T38ToAudio({ maxHoldMs: HOLD_MS, midRxTimeoutMs: 2000 });
  const out = new Int16Array(160);
  let now = 0;
  for (const rec of lenRecords(b, 300)) {
    if (rec.length === 0) gw.markMissing(1);
    else {
      const d = decodeIfp(rec, 2);
      if (d.ok) gw.receive(d.value, now);
    }
    gw.transmit(out, 0, 160);
    now += 20;
    check(gw.bufferedMs >= 0 && gw.bufferedMs < 120_000, `buffered ${gw.bufferedMs} ms`);
  }
  // Play out: at most the 32 signals the queue holds, each cut by the hold time or its own end.
  let blocks = 0;
  for (; gw.signalActive && blocks < 32 * 400; blocks++) gw.transmit(out, 0, 160);
  check(!gw.signalActive, 'still playing after the input ended');
  const st = gw.getStats();
  return `b${Object.values(st.bursts).filter((n) => n > 0).length}:f${Math.min(3, st.framesPlayedBad)}:r${Math.min(2, st.resyncs)}:h${Math.min(2, st.holdTimeouts)}`;
}

export function t38ToAudioTargets(): FuzzTarget[] {
  return [{ name: 't38-to-audio', seeds: seeds(), run, weight: 20 }];
}
