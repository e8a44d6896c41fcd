/**
 * The gateway driver (src/node/gateway-driver.ts) over real loopback UDP, against a stand-in
 * gateway that only counts (the driver is under test, not the gateway): an in-process audio
 * peer sends a −20 dBm0 tone, one slin frame per datagram, on its OWN clock — 5 % fast or slow
 * against the driver's (fax clock ×10, so 3 s of wall time is 30 s of fax time and 5 % is ~75
 * frames; 1000 ppm would need minutes to show) — then stops. The clock lock must hand the peer
 * as many frames as it sent, within the lock threshold: without it the difference is the whole
 * drift. A UDPTL datagram sent by a T.38 peer must reach the gateway with fax time, and what
 * the gateway answers must come back; its reorder deadline (nextTimeout) must be honoured. The
 * call ends on the idle rule: no DCN, so after the mid-call floor of 7 fax seconds of silence.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { sineAmplitude } from '../../../src/dsp/level.js';
import type { GatewayEvent, GatewaySummary } from '../../../src/fax/gateway/gateway.js';
import { LOCK_PERSIST_TICKS, LOCK_THRESHOLD_FRAMES, MID_CALL_IDLE_MS, runGateway, type DrivenGateway } from '../../../src/node/gateway-driver.js';
import { openUdpSocket } from '../../../src/node/udp-driver.js';
import { encodeIfp, type T38Version } from '../../../src/t38/ifp.js';
import { encodeUdptl } from '../../../src/t38/udptl.js';

const SPEED = 10;
const FRAME = 160;

/** Counts what the driver hands it; answers each UDPTL datagram with one of its own, and asks for a tick 100 ms later. */
class CountingGateway implements DrivenGateway {
  readonly version: T38Version = 0;
  samplesIn = 0;
  samplesOut = 0;
  t38In: { bytes: number; now: number }[] = [];
  ticks: number[] = [];
  private deadline: number | undefined;
  private out: Uint8Array[] = [];
  audioReceive(input: Int16Array | null, _offset = 0, n = FRAME): void {
    void input;
    this.samplesIn += n;
  }
  audioTransmit(out: Int16Array, offset = 0, n = out.length - offset): void {
    out.fill(0, offset, offset + n);
    this.samplesOut += n;
  }
  t38Receive(datagram: Uint8Array, now: number): void {
    this.t38In.push({ bytes: datagram.length, now });
    this.deadline = now + 100;
    this.out.push(encodeUdptl({ seq: this.t38In.length - 1, primary: encodeIfp({ type: 't30-indicator', indicator: 'ced' }, 0), recovery: { kind: 'secondary', secondaries: [] } }));
  }
  tick(now: number): void {
    if (this.deadline !== undefined && now >= this.deadline) {
      this.ticks.push(now);
      this.deadline = undefined;
    }
  }
  nextTimeout(): number | undefined {
    return this.deadline;
  }
  takeOutput(): Uint8Array[] {
    return this.out.splice(0);
  }
  takeEvents(): GatewayEvent[] {
    return [];
  }
  get finished(): boolean {
    return false;
  }
  get active(): boolean {
    return false;
  }
  summary(): GatewaySummary {
    return { pages: 0, bitRate: 0, ecm: false, completed: false, ifpsSent: 0, datagramsSent: 0, ifpsReceived: 0, ifpsRecovered: 0, ifpsLost: 0, underruns: 0, overruns: 0, driftPpm: undefined };
  }
}

/** One slin frame of a 1 kHz tone at −20 dBm0. */
function toneFrame(): Uint8Array {
  const b = new Uint8Array(FRAME * 2);
  const amp = sineAmplitude(-20);
  for (let i = 0; i < FRAME; i++) {
    const v = Math.round(amp * Math.sin((2 * Math.PI * 1000 * i) / 8000)) & 0xffff;
    b[2 * i] = v & 0xff;
    b[2 * i + 1] = v >> 8;
  }
  return b;
}

describe('gateway driver over loopback UDP', () => {
  for (const ppm of [50_000, -50_000]) {
    it(`locks its audio transmit clock to a peer ${ppm > 0 ? '5 % fast' : '5 % slow'}; relays UDPTL with fax time; ends idle`, { timeout: 30_000 }, async () => {
      const gw = new CountingGateway();
      const [gA, gT, pA, pT] = await Promise.all([0, 0, 0, 0].map(() => openUdpSocket(0, '127.0.0.1')));
      assert.ok(gA && gT && pA && pT);
      let peerRx = 0;
      pA.on('message', () => peerRx++);
      const t38Back: Buffer[] = [];
      pT.on('message', (m: Buffer) => t38Back.push(m));
      const run = runGateway({
        gateway: gw,
        audio: { codec: 'slin', localPort: 0, socket: gA, remoteHost: '127.0.0.1', remotePort: pA.address().port },
        t38: { localPort: 0, socket: gT, remoteHost: '127.0.0.1', remotePort: pT.address().port },
        speed: SPEED,
        idleSec: 1,
        timeoutMs: 20_000,
      });
      // The audio peer: 1500 frames (3 s wall) on its own clock, absolute deadlines.
      const frame = toneFrame();
      const period = 20 / SPEED / (1 + ppm / 1e6);
      const toSend = 1500;
      let peerSent = 0;
      let peerRxAtEnd = 0;
      const t0 = performance.now();
      const wallAtUdptl = { sent: 0 };
      await new Promise<void>((done) => {
        const step = (): void => {
          const due = Math.min(toSend, Math.floor((performance.now() - t0) / period) + 1);
          while (peerSent < due) {
            pA.send(frame, gA.address().port, '127.0.0.1');
            peerSent++;
          }
          if (peerSent >= 700 && wallAtUdptl.sent === 0) {
            wallAtUdptl.sent = performance.now();
            pT.send(encodeUdptl({ seq: 0, primary: encodeIfp({ type: 't30-indicator', indicator: 'cng' }, 0), recovery: { kind: 'secondary', secondaries: [] } }), gT.address().port, '127.0.0.1');
          }
          if (peerSent >= toSend) {
            // What the peer has received by the time it stops (a frame or two may be in flight).
            peerRxAtEnd = peerRx;
            done();
          }
          else setTimeout(step, Math.max(0, t0 + peerSent * period - performance.now()));
        };
        step();
      });
      const outcome = await run;
      await new Promise((r) => setTimeout(r, 50));
      pA.close();
      pT.close();
      const diag = JSON.stringify({ peerSent, peerRxAtEnd, peerRx, outcome, t38In: gw.t38In, ticks: gw.ticks });
      // The lock holds the credit within the threshold, plus what 5 % drift adds while a
      // correction waits LOCK_PERSIST_TICKS (25 × 0.05 ≈ 1.3 frames; 0.025 at 1000 ppm), plus a
      // frame of arrival jitter.
      const bound = LOCK_THRESHOLD_FRAMES + Math.ceil(LOCK_PERSIST_TICKS * 0.05) + 1;
      assert.equal(outcome.audio.datagramsReceived, peerSent, diag);
      assert.ok(outcome.clock.locked, diag);
      assert.ok(Math.abs(outcome.clock.credit) <= bound, `credit at the last arrival ${outcome.clock.credit}: ${diag}`);
      if (ppm > 0) {
        assert.ok(outcome.clock.extraFrames >= 50 && outcome.clock.withheldFrames === 0, diag);
      } else {
        assert.ok(outcome.clock.withheldFrames >= 50 && outcome.clock.extraFrames === 0, diag);
      }
      // What the peer got while it was sending is what it sent, ± the threshold (not ± 75).
      assert.ok(Math.abs(peerRxAtEnd - peerSent) <= bound + 1, `peer sent ${peerSent}, received ${peerRxAtEnd}: ${diag}`);
      assert.ok(outcome.clock.peerPpm !== undefined && Math.abs(outcome.clock.peerPpm - ppm) < 10_000, `peer clock estimate ${outcome.clock.peerPpm} ppm: ${diag}`);
      // Every frame the peer sent went to the gateway (the play-out drains, none inserted).
      assert.equal(gw.samplesIn, peerSent * FRAME, diag);
      // T.38: one datagram in, with fax time ≈ speed × wall; the answer came back; the deadline ran.
      assert.equal(gw.t38In.length, 1, diag);
      const at = gw.t38In[0]?.now ?? 0;
      assert.ok(at > 1000 && at < 30_000, diag);
      assert.equal(t38Back.length, 1, diag);
      assert.equal(gw.ticks.length, 1, diag);
      assert.ok((gw.ticks[0] ?? 0) >= at + 100, diag);
      // The end: idle, after the mid-call floor (no DCN was relayed), not the timeout.
      assert.equal(outcome.end, 'idle', diag);
      const peerFaxMs = peerSent * 20 / (1 + ppm / 1e6);
      assert.ok(outcome.faxMs >= peerFaxMs + MID_CALL_IDLE_MS - 200 && outcome.faxMs < peerFaxMs + MID_CALL_IDLE_MS + 3000, diag);
    });
  }
});
