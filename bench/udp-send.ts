/**
 * `node dist/bench/udp-send.js N`: what one `node:dgram` datagram send costs, run in a child
 * process by the `sessions` suite's report (a send completes asynchronously, the harness's cases
 * are synchronous). 124-octet datagrams (a V.17 14400 UDPTL datagram with one secondary, as in
 * the udptl suite) to a socket bound on 127.0.0.1 by a sink process started here (it reads and
 * discards them in its own process, so only the send side's cost is in our CPU time; the C twin,
 * bench/c/udp_send.c, sends to a bound socket it never reads). Sends are issued in bursts of 32 per event-loop turn, as a driver does
 * with the datagrams of one tick. Prints one JSON line: process CPU ns per datagram for
 * - `callback`: `send(buf, port, address, cb)` with a fresh closure per send (udp-driver.ts
 *   before issue 13),
 * - `shared-callback`: the same with one callback made once (udp-driver.ts now),
 * - `connected`: `connect()` once, then `send(buf)` (no per-send address lookup; the kernel then
 *   drops datagrams from any other source, which latching and foreign counting cannot have),
 * - `list`: `send([a, b])` — one datagram from two buffers (what Node offers instead of
 *   sendmmsg: it is not batching).
 */

import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';

const n = Number(process.argv[2] ?? 20000);
let port = 0;

const SINK = `const s = require('node:dgram').createSocket('udp4');
s.on('message', () => {});
s.bind(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();`;
const BURST = 32;
const payload = new Uint8Array(124).map((_, i) => (i * 37) & 0xff);

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function measure(sock: Socket, sendOne: () => void): Promise<{ ns: number; errors: number }> {
  // warm-up
  for (let i = 0; i < 2000; i += BURST) {
    for (let k = 0; k < BURST; k++) sendOne();
    await turn();
  }
  const t0 = cpuNs();
  for (let i = 0; i < n; i += BURST) {
    for (let k = 0; k < BURST; k++) sendOne();
    await turn();
  }
  await turn();
  return { ns: (cpuNs() - t0) / n, errors: 0 };
}

async function main(): Promise<void> {
  const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve, reject) => {
    sink.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    sink.once('error', reject);
  });
  const out: Record<string, number> = {};
  let errors = 0;
  const onSent = (err: Error | null): void => {
    if (err) errors++;
  };
  {
    const s = createSocket('udp4');
    out['callback'] = (
      await measure(s, () =>
        s.send(payload, port, '127.0.0.1', (err) => {
          if (err) errors++;
        }),
      )
    ).ns;
    out['shared-callback'] = (await measure(s, () => s.send(payload, port, '127.0.0.1', onSent))).ns;
    out['list'] = (await measure(s, () => s.send([payload.subarray(0, 62), payload.subarray(62)], port, '127.0.0.1', onSent))).ns;
    s.close();
  }
  {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.connect(port, '127.0.0.1', () => r()));
    out['connected'] = (await measure(s, () => s.send(payload, onSent))).ns;
    s.close();
  }
  sink.stdin.end();
  process.stdout.write(`${JSON.stringify({ ...out, errors, datagrams: n })}\n`);
}

void main();
