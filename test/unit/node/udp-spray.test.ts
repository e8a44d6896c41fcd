/**
 * Media from the right place only (issue 9), over real loopback UDP: two T38Terminals run by
 * runUdpTerminal (fax clock ×8) send 3 ECM pages while a third socket sprays both terminals'
 * ports at 5 and at 300 datagrams per wall second with well-formed UDPTL carrying malformed IFPs
 * and valid `no-signal` IFPs, at random seqs. The fax must complete pixel-exact, and the spray
 * must be counted as foreign and reach neither terminal. Strict mode (the signalled remote only),
 * latching with the real remote signalled, and latching behind a "NAT" (a wrong port signalled).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { T38Terminal } from '../../../src/fax/terminal/t38-terminal.js';
import { openUdpSocket, runUdpTerminal, type UdpDriverOutcome } from '../../../src/node/udp-driver.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { encodeIfp } from '../../../src/t38/ifp.js';
import { encodeUdptl } from '../../../src/t38/udptl.js';
import type { T30Event } from '../../../src/t30/engine.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { xorshift32 } from '../../../src/util/random.js';
import { samePixels } from '../../sim/t38-call.js';

const SPEED = 8;

function page(n: number): Bitmap {
  const b = createBitmap(1728, 300, { x: 204, y: 196 });
  fillRect(b, 30, 30, 1668, 3, true);
  drawText(b, 60, 60, `faxwire spray test, page ${n}`, 4, 4);
  for (let i = 0; i < 4; i++) drawText(b, 60, 130 + i * 30, `row ${i}: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ`, 2, 3);
  return b;
}

/** Spray: alternately a malformed IFP (decodes in neither ASN.1 module) and a valid no-signal, at random seqs. */
function startSpray(sock: Socket, ports: () => number[], perSecond: number, seed: number): { stop: () => number } {
  const rng = xorshift32(seed);
  const noSignal = encodeIfp({ type: 't30-indicator', indicator: 'no-signal' }, 0);
  let sent = 0;
  let k = 0;
  const burst = Math.max(1, Math.round(perSecond / 100)); // a 10 ms timer, `burst` per tick
  const tick = perSecond >= 100 ? 10 : 1000 / perSecond;
  const timer = setInterval(() => {
    for (let b = 0; b < burst; b++) {
      const seq = rng() & 0xffff;
      const primary = k++ % 2 === 0 ? new Uint8Array([0xa0, rng() & 0xff, 0x55]) : noSignal;
      const d = encodeUdptl({ seq, primary, recovery: { kind: 'secondary', secondaries: [primary] } });
      for (const p of ports()) {
        sent++;
        sock.send(d, p, '127.0.0.1');
      }
    }
  }, tick);
  return {
    stop: () => {
      clearInterval(timer);
      return sent;
    },
  };
}

interface Run {
  readonly tx: UdpDriverOutcome;
  readonly rx: UdpDriverOutcome;
  readonly sender: T38Terminal;
  readonly receiver: T38Terminal;
  readonly received: Bitmap[];
  readonly sprayed: number;
  readonly callerPort: number;
}

async function call(perSecond: number, mode: 'strict' | 'latch' | 'nat'): Promise<Run> {
  const pages = [page(1), page(2), page(3)];
  const common = { transport: 'udptl' as const, t38Version: 0 as const, ecm: true };
  const sender = new T38Terminal({ ...common, role: 'calling', send: { pages } });
  const receiver = new T38Terminal({ ...common, role: 'answering', receive: true });
  const sockA = await openUdpSocket(0, '127.0.0.1');
  const sockB = await openUdpSocket(0, '127.0.0.1');
  const sprayer = await openUdpSocket(0, '127.0.0.1');
  const pa = sockA.address().port;
  const pb = sockB.address().port;
  const received: Bitmap[] = [];
  const onRx = (e: T30Event): void => {
    if (e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
  };
  // Behind "NAT" the answerer is told a port nobody uses; it must latch to the caller's real one.
  // The valid part of the spray would win the latch if it came first (the documented limit), so
  // there the spray starts once the answerer has latched.
  let spray: { stop: () => number } | undefined;
  const begin = (): void => {
    spray ??= startSpray(sprayer, () => [pa, pb], perSecond, 0x9e3779b9);
  };
  if (mode !== 'nat') begin();
  const unused = createSocket('udp4');
  await new Promise<void>((r) => unused.bind(0, '127.0.0.1', () => r()));
  const wrongPort = unused.address().port;
  try {
    const [rx, tx] = await Promise.all([
      runUdpTerminal({
        terminal: receiver,
        socket: sockB,
        localPort: pb,
        remoteHost: '127.0.0.1',
        remotePort: mode === 'nat' ? wrongPort : pa,
        ...(mode !== 'strict' ? { latch: true, onLatch: begin } : {}),
        speed: SPEED,
        timeoutMs: 90_000,
        onEvent: onRx,
      }),
      runUdpTerminal({ terminal: sender, socket: sockA, localPort: pa, remoteHost: '127.0.0.1', remotePort: pb, speed: SPEED, timeoutMs: 90_000 }),
    ]);
    return { tx, rx, sender, receiver, received, sprayed: spray?.stop() ?? 0, callerPort: pa };
  } finally {
    spray?.stop();
    await new Promise<void>((r) => sprayer.close(() => r()));
    await new Promise<void>((r) => unused.close(() => r()));
  }
}

describe('UDPTL from the right place only: a third socket sprays both terminals (real loopback UDP)', () => {
  for (const [perSecond, mode] of [
    [5, 'strict'],
    [300, 'strict'],
    [300, 'latch'],
    [300, 'nat'],
  ] as const) {
    it(`${perSecond}/s malformed + valid no-signal spray, ${mode}: 3 ECM pages pixel-exact, spray counted foreign`, { timeout: 120_000 }, async () => {
      const r = await call(perSecond, mode);
      const diag = `sender ${JSON.stringify(r.sender.result)} receiver ${JSON.stringify(r.receiver.result)} tx ${JSON.stringify(r.tx)} rx ${JSON.stringify(r.rx)}`;
      assert.equal(r.sender.result?.ok, true, diag);
      assert.equal(r.receiver.result?.ok, true, diag);
      assert.equal(r.received.length, 3, diag);
      const pages = [page(1), page(2), page(3)];
      r.received.forEach((p, i) => assert.ok(samePixels(p, pages[i] ?? p), `page ${i + 1} identical`));
      // Every sprayed datagram that arrived was counted and dropped, on both sides.
      const foreign = r.tx.foreignDatagrams + r.rx.foreignDatagrams;
      assert.ok(r.tx.foreignDatagrams > 0 && r.rx.foreignDatagrams > 0, diag);
      assert.ok(foreign <= r.sprayed, diag);
      if (perSecond === 300) assert.ok(foreign >= 300, diag);
      for (const t of [r.sender, r.receiver]) {
        const st = t.getStats();
        assert.equal(st.malformedIfps, 0, diag); // no spray reached a terminal
        assert.equal(st.udptlRx?.restarts, 0, diag);
        assert.equal(st.udptlRx?.suspectJumps, 0, diag);
      }
      if (mode !== 'strict') assert.equal(r.rx.latchedTo, `127.0.0.1:${r.callerPort}`, diag);
      process.stdout.write(
        `# ${perSecond}/s ${mode}: sprayed ${r.sprayed}, foreign dropped ${r.tx.foreignDatagrams} (caller) + ${r.rx.foreignDatagrams} (answerer); ` +
          `${r.tx.datagramsSent}/${r.rx.datagramsSent} datagrams sent; ${(Math.max(r.tx.wallMs, r.rx.wallMs) / 1000).toFixed(1)} s wall` +
          (r.rx.latchedTo !== undefined ? `; answerer latched to ${r.rx.latchedTo}` : '') +
          '\n',
      );
    });
  }
});
