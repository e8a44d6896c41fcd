/**
 * Media sockets from a port range (src/node/media-ports.ts), on 127.0.0.1: parsing the range,
 * allocation inside it, even ports for RTP (RFC 3550 §11), a port taken by another socket
 * skipped, the exhaustion error, the rotating cursor, ports given back on release/close, and the
 * ephemeral mode. Ranges sit high in the dynamic area and each test uses its own; every test
 * closes what it opened.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { MediaPortAllocator, parseMediaPortRange } from '../../../src/node/media-ports.js';
import { FaxwireError } from '../../../src/util/errors.js';

const HOST = '127.0.0.1';

/** A free block of `n` consecutive UDP ports on HOST starting at an even port (probing, then releasing). */
async function freeBlock(n: number): Promise<number> {
  for (let base = 40_000 + 2 * Math.floor(Math.random() * 5000); base < 60_000; base += 2 * n) {
    const socks: Socket[] = [];
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      const s = createSocket('udp4');
      ok = await new Promise<boolean>((res) => {
        s.once('error', () => res(false));
        s.bind(p, HOST, () => res(true));
      });
      socks.push(s);
    }
    for (const s of socks) s.close();
    if (ok) return base;
  }
  throw new Error('no free port block');
}

function port(s: Socket): number {
  return s.address().port;
}

describe('parseMediaPortRange', () => {
  it('reads LO-HI', () => {
    assert.deepEqual(parseMediaPortRange('10000-20000'), { lo: 10000, hi: 20000 });
    assert.deepEqual(parseMediaPortRange(' 4000 - 4000 '), { lo: 4000, hi: 4000 });
    assert.deepEqual(parseMediaPortRange('1024-65535'), { lo: 1024, hi: 65535 });
  });

  it('refuses what is not a range of unprivileged ports, low to high', () => {
    for (const t of ['', '10000', '10000-', '-20000', '20000-10000', '1023-2000', '2000-65536', '99999-100000', 'a-b', '10000:20000', '10000-20000-30000', '1e4-2e4', '10000.5-20000']) {
      assert.equal(parseMediaPortRange(t), undefined, t);
    }
  });

  it('the allocator refuses a bad range object (API misuse)', () => {
    assert.throws(() => new MediaPortAllocator({ lo: 5000, hi: 4000 }, HOST), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_ARGUMENT');
    assert.throws(() => new MediaPortAllocator({ lo: 80, hi: 4000 }, HOST), FaxwireError);
  });
});

describe('MediaPortAllocator', { timeout: 20_000 }, () => {
  it('allocates inside the range, RTP on even ports, UDPTL on any, walking a rotating cursor', async () => {
    const lo = await freeBlock(8);
    const a = new MediaPortAllocator({ lo, hi: lo + 7 }, HOST);
    const got: Socket[] = [];
    try {
      got.push(await a.open('rtp')); // lo
      got.push(await a.open('udptl')); // lo+1
      got.push(await a.open('rtp')); // lo+2
      got.push(await a.open('rtp')); // lo+3 is odd → lo+4
      got.push(await a.open('udptl')); // lo+5
      assert.deepEqual(got.map(port), [lo, lo + 1, lo + 2, lo + 4, lo + 5]);
      for (const s of got) assert.equal(s.address().address, HOST);
      assert.equal(a.inUse, 5);
    } finally {
      for (const s of got) a.release(s);
    }
    assert.equal(a.inUse, 0);
  });

  it('skips a port another socket holds (EADDRINUSE) and one it holds itself', async () => {
    const lo = await freeBlock(6);
    const other = createSocket('udp4');
    await new Promise<void>((r) => other.bind(lo + 2, HOST, () => r()));
    const a = new MediaPortAllocator({ lo, hi: lo + 5 }, HOST);
    const got: Socket[] = [];
    try {
      got.push(await a.open('rtp')); // lo
      got.push(await a.open('rtp')); // lo+2 taken by `other` → lo+4
      assert.deepEqual(got.map(port), [lo, lo + 4]);
      // The cursor wrapped: lo is the allocator's own and lo+2 the other's — no even port left.
      await assert.rejects(a.open('rtp'), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_IO' && e.message === `no free media port in ${lo}-${lo + 5}`);
      // Odd ports are still there for UDPTL.
      got.push(await a.open('udptl'));
      assert.equal(port(got[2]!) % 2, 1);
    } finally {
      for (const s of got) a.release(s);
      other.close();
    }
  });

  it('is exhausted when every port is held, and serves again once one is released', async () => {
    const lo = await freeBlock(2);
    const a = new MediaPortAllocator({ lo, hi: lo + 1 }, HOST);
    const s1 = await a.open('udptl');
    const s2 = await a.open('udptl');
    try {
      assert.deepEqual([port(s1), port(s2)].sort(), [lo, lo + 1]);
      await assert.rejects(a.open('udptl'), { code: 'FAXWIRE_ERR_IO', message: `no free media port in ${lo}-${lo + 1}` });
      a.release(s1);
      const s3 = await a.open('udptl');
      assert.equal(port(s3), lo);
      a.release(s3);
    } finally {
      a.release(s1); // twice: harmless
      a.release(s2);
    }
  });

  it('a socket closed by its user (a driver) gives its port back too', async () => {
    const lo = await freeBlock(2);
    const a = new MediaPortAllocator({ lo, hi: lo }, HOST);
    const s = await a.open('rtp');
    await new Promise<void>((r) => s.close(() => r()));
    assert.equal(a.inUse, 0);
    const again = await a.open('rtp');
    assert.equal(port(again), lo);
    a.release(again);
  });

  it('a range with no even port has no RTP port', async () => {
    const lo = (await freeBlock(2)) + 1; // odd
    const a = new MediaPortAllocator({ lo, hi: lo }, HOST);
    await assert.rejects(a.open('rtp'), { code: 'FAXWIRE_ERR_IO' });
  });

  it('without a range binds ephemeral ports, even for RTP', async () => {
    const a = new MediaPortAllocator(undefined, HOST);
    const got: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) got.push(await a.open('rtp'));
      got.push(await a.open('udptl'));
      const ports = got.map(port);
      assert.equal(new Set(ports).size, 5, 'distinct ports');
      for (const p of ports) assert.ok(p >= 1024, `ephemeral ${p}`);
      // Eight binds per RTP socket: an odd port for all of them would be a 1-in-256 fluke each.
      assert.ok(ports.slice(0, 4).every((p) => p % 2 === 0), `even RTP ports: ${ports.join(' ')}`);
      assert.equal(a.inUse, 5);
    } finally {
      for (const s of got) a.release(s);
    }
  });
});
