/**
 * SIP user agent benchmarks (src/sip/user-agent.ts): whole calls set up and torn down between two
 * user agents in one process — INVITE, 200 OK with SDP, ACK, BYE, 200 OK, each message serialized
 * and parsed again as it crosses the "wire" — and the cost of keeping calls up: the heap one
 * established call holds (dialog, transactions while they linger, timers) measured with 1000
 * calls up at once, the target for one process. No C baseline: the figures stand alone.
 */

import { parseSipMessage, serializeSipMessage } from '../src/sip/message.js';
import { SipUserAgent, type SipCall } from '../src/sip/user-agent.js';
import { xorshift32 } from '../src/util/random.js';
import type { BenchCase } from './lib.js';

const SDP_A = 'v=0\r\no=a 1 1 IN IP4 10.9.0.1\r\ns=-\r\nc=IN IP4 10.9.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\n';
const SDP_B = 'v=0\r\no=b 1 1 IN IP4 10.9.0.2\r\ns=-\r\nc=IN IP4 10.9.0.2\r\nt=0 0\r\nm=image 5000 udptl t38\r\na=T38FaxVersion:0\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n';
const HOSTS = ['10.9.0.1', '10.9.0.2'] as const;

/** Two UAs wired back to back with an in-memory queue; time advances by hand. */
export class UaPair {
  now = 0;
  readonly uas: [SipUserAgent, SipUserAgent];
  private readonly q: { to: 0 | 1; bytes: Uint8Array }[] = [];
  messages = 0;

  constructor() {
    const make = (i: 0 | 1): SipUserAgent =>
      new SipUserAgent({
        host: HOSTS[i],
        port: 5060,
        transport: 'udp',
        from: `sip:u${i}@${HOSTS[i]}`,
        random: xorshift32(7 + i),
        sessionExpires: 0,
        send: (m, d) => {
          this.messages += 1;
          this.q.push({ to: d.host === HOSTS[0] ? 0 : 1, bytes: serializeSipMessage(m) });
        },
        ...(i === 1 ? { onIncomingCall: (c: SipCall, t: number) => c.answer(SDP_B, t) } : {}),
      });
    this.uas = [make(0), make(1)];
  }

  /** Delivers everything queued (and what it provokes). */
  pump(): void {
    for (let guard = 0; this.q.length > 0 && guard < 10_000; guard++) {
      const w = this.q.shift();
      if (w === undefined) break;
      const r = parseSipMessage(w.bytes);
      if (!r.ok) throw new Error(`bench: unparsable ${r.error.code}`);
      this.uas[w.to].receive(r.message, { transport: 'udp', host: HOSTS[w.to === 0 ? 1 : 0], port: 5060 }, this.now);
    }
  }

  /** Advances time past every transaction's and dialog's linger (Timer J/K/L, 64·T1 forget). */
  settle(): void {
    this.now += 40_000;
    this.uas[0].tick(this.now);
    this.uas[1].tick(this.now);
    this.pump();
  }

  call(): SipCall {
    const c = this.uas[0].invite(`sip:u1@${HOSTS[1]}`, SDP_A, this.now);
    this.pump();
    return c;
  }
}

export function uaCases(): BenchCase[] {
  const pair = new UaPair();
  const setupTeardown: BenchCase = {
    name: 'sip/ua/call',
    description: 'one call set up and torn down between two UAs (INVITE, 200+SDP, ACK, BYE, 200; every message serialized and parsed)',
    unit: 'call',
    target: { opsPerSec: 1000, source: 'issue 12: ≥ 1000 concurrent fax calls per process on one core (set-up rate far above)' },
    verify: () => {
      const p = new UaPair();
      const c = p.call();
      if (c.state !== 'confirmed') throw new Error(`call not confirmed: ${c.state}`);
      c.hangup(p.now);
      p.pump();
      p.settle();
      if (p.uas[0].calls + p.uas[1].calls !== 0 || p.uas[0].layer.size + p.uas[1].layer.size !== 0) throw new Error('state left behind after the call');
      if (p.messages !== 5) throw new Error(`expected 5 messages per call, saw ${p.messages}`);
    },
    run: (n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const c = pair.call();
        acc += c.state === 'confirmed' ? 1 : 0;
        c.hangup(pair.now);
        pair.pump();
        if ((i & 63) === 63) pair.settle();
      }
      pair.settle();
      return acc;
    },
    heapBatch: 50,
  };
  return [setupTeardown];
}

/**
 * Heap held per established call with `n` calls up at once (both UAs' share, after GC), and the
 * CPU of one `tick` over all of them: what a process carrying that many fax calls pays for SIP.
 */
export function concurrentCalls(n: number, gc: () => void): { heapPerCall: number; tickNs: number; messagesPerCall: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const p = new UaPair();
  const calls: SipCall[] = [];
  for (let i = 0; i < n; i++) calls.push(p.call());
  p.now += 40_000; // the INVITE transactions' Timer L/M and ACK waits are over
  p.uas[0].tick(p.now);
  p.uas[1].tick(p.now);
  gc();
  const after = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const ticks = 20;
  for (let k = 0; k < ticks; k++) {
    p.now += 20;
    p.uas[0].tick(p.now);
    p.uas[1].tick(p.now);
  }
  const tickNs = Number(process.hrtime.bigint() - t0) / ticks;
  const up = calls.filter((c) => c.state === 'confirmed').length;
  if (up !== n) throw new Error(`${n - up} calls not up`);
  const messagesPerCall = p.messages / n;
  for (const c of calls) c.hangup(p.now);
  p.pump();
  return { heapPerCall: (after - before) / n, tickNs, messagesPerCall };
}
