/**
 * SIP over UDP and TCP (src/node/sip-transport.ts), on 127.0.0.1 only: UDP both ways between two
 * transports; a TCP request that opens a connection and its response back over the same
 * connection (RFC 3261 §18.2.2); a message arriving byte by byte; CRLFCRLF ping → CRLF (RFC 5626
 * §3.5.1); garbage and oversize datagrams counted and dropped while the next message still
 * arrives; a framing error closing its connection; the connection limit; the Via stamp
 * (received/rport, §18.2.1, RFC 3581); a throwing handler; EADDRINUSE; close() idempotent. Each
 * test is bounded by a timeout and closes its sockets.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { SipTransport, type SipAddress } from '../../../src/node/sip-transport.js';
import { getHeader, parseSipMessage, parseVia, type SipMessage } from '../../../src/sip/message.js';
import { FaxwireError } from '../../../src/util/errors.js';

const HOST = '127.0.0.1';
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function options(callId: string, via = 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1', body = ''): string {
  return (
    `OPTIONS sip:fax@127.0.0.1 SIP/2.0\r\n` +
    `Via: ${via}\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:a@127.0.0.1>;tag=1\r\n` +
    `To: <sip:fax@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: 1 OPTIONS\r\n` +
    `Content-Length: ${enc.encode(body).length}\r\n\r\n${body}`
  );
}

function okFor(callId: string, via: string): string {
  return `SIP/2.0 200 OK\r\nVia: ${via}\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:fax@127.0.0.1>;tag=2\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
}

function msg(text: string): SipMessage {
  const r = parseSipMessage(enc.encode(text), { maxMessageBytes: 200_000, maxBodyBytes: 200_000 });
  if (!r.ok) throw new Error(`test message does not parse: ${r.error.code} ${r.error.detail}`);
  return r.message;
}

interface Got {
  readonly msg: SipMessage;
  readonly from: SipAddress;
}

/** Collects what `t` receives; `next()` waits for the next one (or fails after `ms`). */
function collect(t: SipTransport): { got: Got[]; next: (ms?: number) => Promise<Got> } {
  const got: Got[] = [];
  let waiter: ((g: Got) => void) | undefined;
  t.onMessage = (m, from) => {
    const g = { msg: m, from };
    got.push(g);
    const w = waiter;
    waiter = undefined;
    w?.(g);
  };
  let read = 0;
  const next = (ms = 2000): Promise<Got> => {
    const ready = got[read];
    if (ready !== undefined) {
      read++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within ${ms} ms`)), ms);
      waiter = (g) => {
        clearTimeout(timer);
        read++;
        resolve(g);
      };
    });
  };
  return { got, next };
}

/** `p`, or a rejection after `ms` (a wait that cannot hang the run when the behaviour regresses). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function closed(s: TcpSocket): Promise<void> {
  return new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function callIdOf(m: SipMessage): string | undefined {
  return getHeader(m, 'Call-ID');
}

async function rawUdp(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, () => r()));
  return s;
}

async function rawTcp(port: number): Promise<TcpSocket> {
  const s = connect({ host: HOST, port });
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  return s;
}

describe('SipTransport over UDP', { timeout: 15_000 }, () => {
  it('sends and receives between two transports, both ways', async () => {
    const a = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const b = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    try {
      assert.ok(a.port > 0 && a.port !== b.port);
      assert.equal(a.address, HOST);
      const ca = collect(a);
      const cb = collect(b);
      const via = `SIP/2.0/UDP 127.0.0.1:${a.port};branch=z9hG4bK-udp`;
      a.send(msg(options('udp-1', via)), { transport: 'udp', host: HOST, port: b.port });
      const req = await cb.next();
      assert.equal(req.msg.kind, 'request');
      assert.equal(callIdOf(req.msg), 'udp-1');
      assert.deepEqual(req.from, { transport: 'udp', host: HOST, port: a.port });
      b.send(msg(okFor('udp-1', via)), req.from);
      const res = await ca.next();
      assert.equal(res.msg.kind === 'response' ? res.msg.status : 0, 200);
      assert.deepEqual(res.from, { transport: 'udp', host: HOST, port: b.port });
      assert.equal(a.stats.udpOut, 1);
      assert.equal(a.stats.udpIn, 1);
      assert.equal(b.stats.udpIn, 1);
      assert.equal(b.stats.udpOut, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('counts and drops a garbage datagram; the next valid message still arrives', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0, tcp: false });
    const raw = await rawUdp();
    try {
      const c = collect(t);
      raw.send(enc.encode('GARBAGE \x00\x01 not sip at all\r\n\r\n'), t.port, HOST);
      raw.send(enc.encode('\r\n\r\n'), t.port, HOST); // a UDP keep-alive: ignored, not malformed
      raw.send(enc.encode(options('after-garbage')), t.port, HOST);
      const g = await c.next();
      assert.equal(callIdOf(g.msg), 'after-garbage');
      assert.equal(c.got.length, 1);
      assert.equal(t.stats.malformed, 1);
      assert.equal(t.stats.udpIn, 1);
    } finally {
      raw.close();
      await t.close();
    }
  });

  it('drops a datagram over the size limit; a 70 kB message cannot even be sent (counted, not thrown)', async () => {
    // UDP over IPv4 carries at most 65 507 octets, so the limit is exercised with a smaller one.
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0, tcp: false, limits: { maxMessageBytes: 16_384 } });
    const raw = await rawUdp();
    try {
      const c = collect(t);
      raw.send(enc.encode(options('big', undefined, 'x'.repeat(60_000))), t.port, HOST);
      raw.send(enc.encode(options('small')), t.port, HOST);
      const g = await c.next();
      assert.equal(callIdOf(g.msg), 'small');
      assert.equal(t.stats.oversize, 1);
      assert.equal(t.stats.malformed, 0);
      // Sending 70 kB: the system refuses the datagram (EMSGSIZE); send() counts it.
      const before = t.stats.sendErrors;
      assert.doesNotThrow(() => t.send(msg(options('huge', undefined, 'y'.repeat(70_000))), { transport: 'udp', host: HOST, port: raw.address().port }));
      await until(() => t.stats.sendErrors === before + 1);
      assert.equal(t.stats.udpOut, 0);
    } finally {
      raw.close();
      await t.close();
    }
  });

  it('stamps received and rport on the top Via of a request (§18.2.1, RFC 3581 §4)', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0, tcp: false });
    const raw = await rawUdp();
    try {
      const c = collect(t);
      // Sent-by says a private address behind NAT, and asks for rport; two Vias on one line.
      raw.send(enc.encode(options('nat', 'SIP/2.0/UDP 10.0.0.7:5062;branch=z9hG4bK-a;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-b')), t.port, HOST);
      // Sent-by is the source address itself and no rport: left as it is.
      raw.send(enc.encode(options('same', `SIP/2.0/UDP 127.0.0.1:${raw.address().port};branch=z9hG4bK-c`)), t.port, HOST);
      const g1 = await c.next();
      const vias = g1.msg.headers.filter((h) => h.name === 'Via').map((h) => h.value);
      assert.equal(vias.length, 2, 'the comma list was split after the top value');
      const top = parseVia(vias[0]!);
      assert.ok(top !== undefined);
      assert.equal(top.host, '10.0.0.7');
      assert.equal(top.port, 5062);
      assert.equal(top.params.get('received'), HOST);
      assert.equal(top.params.get('rport'), String(raw.address().port));
      assert.equal(top.params.get('branch'), 'z9hG4bK-a');
      assert.equal(parseVia(vias[1]!)?.params.get('branch'), 'z9hG4bK-b');
      const g2 = await c.next();
      const v2 = parseVia(getHeader(g2.msg, 'Via') ?? '');
      assert.equal(v2?.params.has('received'), false);
      assert.equal(v2?.params.has('rport'), false);
    } finally {
      raw.close();
      await t.close();
    }
  });

  it('survives a handler that throws (and one that rejects), counting both', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0, tcp: false });
    const raw = await rawUdp();
    try {
      let n = 0;
      t.onMessage = () => {
        n++;
        if (n === 1) throw new Error('handler bug');
      };
      raw.send(enc.encode(options('h1')), t.port, HOST);
      await until(() => n === 1);
      const asyncHandler = async (): Promise<void> => {
        n++;
        await Promise.resolve();
        throw new Error('async handler bug');
      };
      // On purpose: an async handler is what a careless caller writes; its rejection must be caught.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      t.onMessage = asyncHandler;
      raw.send(enc.encode(options('h2')), t.port, HOST);
      await until(() => t.stats.handlerErrors === 2);
      const c = collect(t);
      raw.send(enc.encode(options('h3')), t.port, HOST);
      assert.equal(callIdOf((await c.next()).msg), 'h3');
      assert.equal(t.stats.udpIn, 3);
    } finally {
      raw.close();
      await t.close();
    }
  });
});

describe('SipTransport over TCP', { timeout: 15_000 }, () => {
  it('opens a connection for a request; the response comes back over the same connection', async () => {
    const a = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const b = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    try {
      const ca = collect(a);
      const cb = collect(b);
      const via = `SIP/2.0/TCP 127.0.0.1:${a.port};branch=z9hG4bK-tcp`;
      a.send(msg(options('tcp-1', via)), { transport: 'tcp', host: HOST, port: b.port });
      a.send(msg(options('tcp-2', via)), { transport: 'tcp', host: HOST, port: b.port }); // queued behind the connect
      const r1 = await cb.next();
      const r2 = await cb.next();
      assert.deepEqual([callIdOf(r1.msg), callIdOf(r2.msg)], ['tcp-1', 'tcp-2']);
      assert.equal(r1.from.transport, 'tcp');
      assert.equal(r1.from.host, HOST);
      assert.notEqual(r1.from.port, a.port, "the connection's source port, not a's listening port");
      assert.equal(a.stats.connectionsOpened, 1);
      assert.equal(b.stats.connectionsOpened, 1);
      // The response goes to where the request came from: the connection a opened.
      b.send(msg(okFor('tcp-1', via)), r1.from);
      const res = await ca.next();
      assert.equal(res.msg.kind === 'response' ? res.msg.status : 0, 200);
      assert.deepEqual(res.from, { transport: 'tcp', host: HOST, port: b.port });
      assert.equal(b.stats.connectionsOpened, 1, 'b opened no connection of its own');
      assert.equal(a.connections, 1);
      assert.equal(b.connections, 1);
      // And a's next request reuses it too.
      a.send(msg(options('tcp-3', via)), { transport: 'tcp', host: HOST, port: b.port });
      assert.equal(callIdOf((await cb.next()).msg), 'tcp-3');
      assert.equal(a.stats.connectionsOpened, 1);
      assert.equal(a.stats.tcpOut, 3);
      assert.equal(b.stats.tcpIn, 3);
      assert.equal(b.stats.tcpOut, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reassembles a message written one byte at a time, and two in one write', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const s = await rawTcp(t.port);
    try {
      const c = collect(t);
      const bytes = enc.encode(options('bytewise', 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-bw', 'v=0\r\n'));
      for (const b of bytes) {
        s.write(new Uint8Array([b]));
        await sleep(1);
      }
      const g = await c.next();
      assert.equal(callIdOf(g.msg), 'bytewise');
      assert.equal(dec.decode(g.msg.body), 'v=0\r\n');
      s.write(enc.encode(options('pair-1', 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-p1') + options('pair-2', 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-p2')));
      assert.equal(callIdOf((await c.next()).msg), 'pair-1');
      assert.equal(callIdOf((await c.next()).msg), 'pair-2');
      assert.equal(t.stats.tcpIn, 3);
    } finally {
      s.destroy();
      await t.close();
    }
  });

  it('answers a CRLFCRLF ping with CRLF (RFC 5626 §3.5.1)', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const s = await rawTcp(t.port);
    try {
      const pong = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
      s.write('\r\n\r\n');
      assert.equal(await within(pong, 2000, 'pong'), '\r\n');
      assert.equal(t.stats.pingsAnswered, 1);
      assert.equal(t.stats.malformed, 0);
    } finally {
      s.destroy();
      await t.close();
    }
  });

  it('closes a connection whose stream does not frame, counting it', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const s = await rawTcp(t.port);
    try {
      s.on('error', () => undefined);
      s.write('THIS IS NOT SIP\r\nat all\r\n\r\n');
      await within(closed(s), 2000, 'connection closed');
      assert.equal(t.stats.malformed, 1);
      await until(() => t.connections === 0);
    } finally {
      s.destroy();
      await t.close();
    }
  });

  it('refuses connections beyond maxConnections, and closes idle ones', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0, maxConnections: 2, tcpIdleMs: 300 });
    const socks: TcpSocket[] = [];
    try {
      socks.push(await rawTcp(t.port), await rawTcp(t.port));
      await until(() => t.connections === 2);
      const third = await rawTcp(t.port);
      socks.push(third);
      third.on('error', () => undefined);
      await within(closed(third), 2000, 'third connection refused');
      assert.equal(t.stats.connectionsRefused, 1);
      assert.equal(t.stats.connectionsOpened, 2);
      // Sending to a new destination while full is refused too (counted, not thrown).
      t.send(msg(options('full')), { transport: 'tcp', host: HOST, port: 9 });
      assert.equal(t.stats.connectionsRefused, 2);
      assert.equal(t.stats.sendErrors, 1);
      // Idle for 300 ms: both connections are closed by the transport.
      await within(Promise.all(socks.slice(0, 2).map(closed)), 2000, 'idle connections closed');
      await until(() => t.connections === 0);
    } finally {
      for (const s of socks) s.destroy();
      await t.close();
    }
  });

  it('counts a connect to a closed port as a send error', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const probe = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const deadPort = probe.port;
    await probe.close();
    try {
      t.send(msg(options('nobody')), { transport: 'tcp', host: HOST, port: deadPort });
      await until(() => t.stats.sendErrors === 1);
      await until(() => t.connections === 0);
      assert.equal(t.stats.connectionsOpened, 0);
    } finally {
      await t.close();
    }
  });
});

describe('SipTransport open and close', { timeout: 15_000 }, () => {
  it('rejects a port in use with a clear FAXWIRE_ERR_IO', async () => {
    const a = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    try {
      await assert.rejects(SipTransport.open({ localAddress: HOST, udpPort: a.port }), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_IO' && /in use \(EADDRINUSE\)/.test(e.message));
    } finally {
      await a.close();
    }
  });

  it('close() is idempotent, frees the port, and send() after it is a counted no-op', async () => {
    const t = await SipTransport.open({ localAddress: HOST, udpPort: 0 });
    const s = await rawTcp(t.port);
    s.on('error', () => undefined);
    const p1 = t.close();
    const p2 = t.close();
    assert.equal(p1, p2);
    await p1;
    await t.close();
    await within(closed(s), 2000, 'connection closed by close()');
    assert.equal(t.connections, 0);
    assert.doesNotThrow(() => t.send(msg(options('late')), { transport: 'udp', host: HOST, port: 9 }));
    assert.equal(t.stats.sendErrors, 1);
    const again = await SipTransport.open({ localAddress: HOST, udpPort: t.port });
    assert.equal(again.port, t.port);
    await again.close();
  });
});
