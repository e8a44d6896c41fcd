/**
 * Fuzz target for the whole T.38 gateway (registered by fuzz.ts):
 *
 * - `gateway`: the input is `[len][UDPTL datagram]` records fed to a `T38Gateway` (T.38 version
 *   0) on its IP side, 20 ms apart; after each one the gateway's audio side plays 20 ms towards
 *   the fax machine and hears back what it played (an echoing line), so mutations reach the UDPTL
 *   receiver and its reorder hold, IFP decoding, the play-out and, through the echo, the
 *   demodulating half and the UDPTL sender. Seeds are the datagrams a T.38 fax terminal sends for
 *   CED, a DCS, a TCF and a non-ECM page on V.29, and for ECM frames on V.17. Checked: never
 *   throws; the play-out stays bounded; once the input is over the audio side falls silent within
 *   the hold time and the queued signals.
 */

import { T38Gateway } from '../src/fax/gateway/gateway.js';
import { T38Line } from '../src/fax/terminal/t38-line.js';
import type { T30TxStep } from '../src/t30/line.js';
import { UdptlSender } from '../src/t38/udptl-sender.js';
import { lenRecords, toLenRecords, type FuzzTarget } from './fuzz-stateful.js';
import { seedSignals } from './fuzz-t38-to-audio.js';

class FuzzFailure extends Error {}

function check(cond: boolean, what: string): void {
  if (!cond) throw new FuzzFailure(what);
}

/** The datagrams (redundancy 2) a T.38 terminal's line sends for `steps`. */
function seed(steps: readonly T30TxStep[]): Uint8Array {
  const line = new T38Line({ version: 0 });
  const tx = new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 2, control: 2, image: 2 } } });
  line.queue(steps, 0);
  const out: Uint8Array[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    for (const p of line.takePackets()) out.push(...tx.send(p.bytes, p.category).datagrams);
    const t = line.nextTimeout();
    if (t === undefined || line.pendingSteps === 0) break;
    line.tick(t);
  }
  for (const p of line.takePackets()) out.push(...tx.send(p.bytes, p.category).datagrams);
  return toLenRecords(out);
}

function seeds(): Uint8Array[] {
  return seedSignals().map(seed);
}

const HOLD_MS = 300;

function run(b: Uint8Array): string {
  const gw = new T38Gateway({ maxHoldMs: HOLD_MS, reorderWindow: 4, reorderHoldMs: 100 });
  const audio = new Int16Array(160);
  let now = 0;
  let sent = 0;
  for (const rec of lenRecords(b, 300)) {
    gw.t38Receive(rec, now);
    gw.audioTransmit(audio, 0, 160);
    gw.audioReceive(audio, 0, 160);
    now += 20;
    gw.tick(now);
    sent += gw.takeOutput().length;
    gw.takeEvents();
    check(gw.playoutMs >= 0 && gw.playoutMs < 120_000, `play-out holds ${gw.playoutMs} ms`);
  }
  // Drain: the hold time and the queued signals bound how long the audio side keeps playing.
  let blocks = 0;
  for (; gw.active && blocks < 32 * 400; blocks++) {
    gw.audioTransmit(audio, 0, 160);
    gw.audioReceive(audio, 0, 160);
    now += 20;
    gw.tick(now);
    sent += gw.takeOutput().length;
  }
  check(blocks < 32 * 400, 'the gateway still plays long after the input ended');
  const s = gw.summary();
  return `p${Math.min(2, s.pages)}:l${Math.min(3, s.ifpsLost)}:r${Math.min(3, s.ifpsRecovered)}:o${sent > 0 ? 1 : 0}`;
}

export function gatewayTargets(): FuzzTarget[] {
  return [{ name: 'gateway', seeds: seeds(), run, weight: 10 }];
}
