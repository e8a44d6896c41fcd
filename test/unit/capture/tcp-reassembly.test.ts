/**
 * TCP stream reassembly (src/capture/tcp-reassembly.ts). Segments are made by `seg()` with
 * explicit sequence numbers; each case states the sequence arithmetic (RFC 9293 §3.4: a SYN
 * takes one number, data starts at ISN + 1) it relies on.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpReassembler, reassembleTcp, type TcpStream, type TcpStreamEvent } from '../../../src/capture/tcp-reassembly.js';
import type { CapturedSegment, TcpFlags } from '../../../src/capture/packet.js';

let frame = 0;

function seg(
  seq: number,
  data: ArrayLike<number> | string,
  flags: Partial<TcpFlags> = {},
  dir: 'ab' | 'ba' = 'ab',
  ports: [number, number] = [40000, 1720],
): CapturedSegment {
  frame++;
  const payload = typeof data === 'string' ? new TextEncoder().encode(data) : Uint8Array.from(data);
  const [a, b] = dir === 'ab' ? (['10.0.0.1', '10.0.0.2'] as const) : (['10.0.0.2', '10.0.0.1'] as const);
  const [pa, pb] = dir === 'ab' ? ports : [ports[1], ports[0]];
  return {
    frame,
    timeNs: BigInt(frame) * 1000n,
    time: frame / 1e6,
    proto: 'tcp',
    ipVersion: 4,
    src: a,
    dst: b,
    srcPort: pa,
    dstPort: pb,
    payload,
    tcp: { seq: seq >>> 0, ack: 0, flags: { syn: false, fin: false, rst: false, ack: true, psh: false, ...flags } },
  };
}

const text = (s: TcpStream | undefined): string =>
  new TextDecoder().decode(Uint8Array.from((s?.chunks ?? []).flatMap((c) => Array.from(c.bytes))));

test('SYN sets the stream start at ISN + 1; in-order data and FIN', () => {
  const r = new TcpReassembler();
  const opened = r.push(seg(1000, '', { syn: true, ack: false }));
  assert.equal(opened[0]?.kind, 'open');
  r.push(seg(5000, '', { syn: true }, 'ba')); // SYN-ACK: the other direction
  r.push(seg(1001, 'hello '));
  r.push(seg(1007, 'world'));
  const fin = r.push(seg(1012, '', { fin: true }));
  assert.deepEqual(fin.map((e) => e.kind), ['fin']);
  const [ab, ba] = r.getStreams();
  assert.equal(text(ab), 'hello world');
  assert.equal(ab?.isn, 1000);
  assert.equal(ab?.end, 'fin');
  assert.deepEqual(ab?.chunks.map((c) => [c.offset, c.gapBefore]), [
    [0, 0],
    [6, 0],
  ]);
  assert.equal(ba?.isn, 5000);
  assert.equal(ab?.connection, ba?.connection);
  assert.equal(r.getStats().streams, 2);
});

test('mid-stream start: the first segment seen defines offset 0', () => {
  const streams = reassembleTcp([seg(777, 'abc'), seg(780, 'def')]);
  assert.equal(text(streams[0]), 'abcdef');
  assert.equal(streams[0]?.isn, null);
});

test('a capture starting with empty ACKs and then the SYN uses the SYN', () => {
  const streams = reassembleTcp([seg(50, ''), seg(99, '', { syn: true }), seg(100, 'x')]);
  assert.equal(streams.length, 1);
  assert.equal(streams[0]?.isn, 99);
  assert.equal(text(streams[0]), 'x');
});

test('retransmissions and overlaps deliver each byte once', () => {
  const r = new TcpReassembler();
  r.push(seg(0, '', { syn: true }));
  r.push(seg(1, 'abcd'));
  r.push(seg(1, 'abcd')); // exact retransmission
  r.push(seg(3, 'cdef')); // overlaps 2 old bytes, 2 new
  r.push(seg(2, 'bc')); // old
  assert.equal(text(r.getStreams()[0]), 'abcdef');
  const s = r.getStats();
  assert.deepEqual([s.retransmissions, s.overlaps, s.bytesDelivered], [2, 1, 6]);
});

test('out-of-order segments wait for the hole, then come out in order at the filling frame', () => {
  const r = new TcpReassembler();
  r.push(seg(100, '', { syn: true }));
  assert.deepEqual(r.push(seg(105, 'fgh')), []); // waits
  assert.deepEqual(r.push(seg(109, 'jk')), []); // waits
  r.push(seg(105, 'fgh')); // duplicate of a buffered segment
  const ev = r.push(seg(101, 'abcd')); // fills 101..104; 108 still missing
  assert.deepEqual(
    ev.map((e) => (e.kind === 'data' ? [e.offset, new TextDecoder().decode(e.bytes)] : e.kind)),
    [
      [0, 'abcd'],
      [4, 'fgh'],
    ],
  );
  r.push(seg(108, 'iXYZ')); // overlaps the buffered "jk" by 2 bytes
  assert.equal(text(r.getStreams()[0]), 'abcdfghiXYZ');
  assert.equal(r.getStats().outOfOrder, 2);
  assert.deepEqual(r.getStreams()[0]?.gaps, []);
});

test('a hole never filled becomes a reported gap at flush, and delivery continues after it', () => {
  const r = new TcpReassembler();
  r.push(seg(0, '', { syn: true }));
  r.push(seg(1, 'ab'));
  r.push(seg(6, 'fg')); // 3..5 lost
  r.push(seg(8, '', { fin: true }));
  const ev = r.flush();
  assert.deepEqual(
    ev.map((e) => [e.kind, e.kind === 'gap' ? e.length : e.kind === 'data' ? e.bytes.length : 0]),
    [
      ['gap', 3],
      ['data', 2],
      ['fin', 0],
    ],
  );
  const s = r.getStreams()[0];
  assert.deepEqual(s?.gaps.map((g) => [g.offset, g.length]), [[2, 3]]);
  assert.deepEqual(s?.chunks.map((c) => [c.offset, c.gapBefore, c.bytes.length]), [
    [0, 0, 2],
    [5, 3, 2],
  ]);
  assert.equal(s?.end, 'fin');
  assert.deepEqual(r.flush(), []); // idempotent
  const st = r.getStats();
  assert.deepEqual([st.gaps, st.gapBytes], [1, 3]);
});

test('the out-of-order buffer is bounded: overflow declares the gap early', () => {
  const r = new TcpReassembler({ maxBufferedSegments: 2, maxBufferedBytes: 1000 });
  r.push(seg(0, '', { syn: true }));
  r.push(seg(1, 'a'));
  r.push(seg(10, 'j'));
  r.push(seg(12, 'l'));
  const ev = r.push(seg(14, 'n')); // third buffered segment: over the limit
  assert.equal(ev[0]?.kind, 'gap');
  assert.equal(ev[0]?.kind === 'gap' && ev[0].length, 8); // offsets 1..8 (seq 2..9)
  assert.equal(r.getStats().forcedGaps, 1);
  // Bytes bound too.
  const r2 = new TcpReassembler({ maxBufferedBytes: 4 });
  r2.push(seg(0, 'x'));
  r2.push(seg(5, 'abc'));
  const ev2 = r2.push(seg(20, 'de'));
  assert.deepEqual(ev2.map((e) => e.kind), ['gap', 'data']);
});

test('FIN ahead of a hole closes the stream only when the hole is filled', () => {
  const r = new TcpReassembler();
  r.push(seg(0, '', { syn: true }));
  assert.deepEqual(r.push(seg(3, 'cd', { fin: true })).map((e) => e.kind), []);
  assert.deepEqual(r.push(seg(1, 'ab')).map((e) => e.kind), ['data', 'data', 'fin']);
  assert.equal(r.push(seg(1, 'ab')).length, 0); // after the end: ignored
  assert.equal(r.getStats().afterClose, 1);
});

test('RST ends the direction at once, delivering what was buffered behind a gap', () => {
  const r = new TcpReassembler();
  r.push(seg(0, 'a'));
  r.push(seg(5, 'f'));
  const ev = r.push(seg(7, '', { rst: true }));
  assert.deepEqual(ev.map((e) => e.kind), ['gap', 'data', 'rst']);
  assert.equal(r.getStreams()[0]?.end, 'rst');
});

test('sequence numbers wrap around 2^32', () => {
  // ISN 2^32 - 3: data at 2^32 - 2 ("a"), 2^32 - 1 ("b"), then 0 ("c"), 1, 2 ("de"); FIN at 3.
  const isn = 0xfffffffd;
  const r = new TcpReassembler();
  for (const s of [seg(isn, '', { syn: true }), seg(0xfffffffe, 'ab'), seg(1, 'de'), seg(0, 'c')]) r.push(s);
  assert.deepEqual(r.push(seg(3, '', { fin: true })).map((e) => e.kind), ['fin']);
  const streams = r.getStreams();
  assert.equal(text(streams[0]), 'abcde');
  assert.deepEqual(streams[0]?.gaps, []);
  assert.equal(streams[0]?.end, 'fin');
});

test('a new SYN on a used 4-tuple starts a new stream', () => {
  const streams = reassembleTcp([
    seg(0, '', { syn: true }),
    seg(1, 'first'),
    seg(6, '', { fin: true }),
    seg(9000, '', { syn: true }),
    seg(9001, 'second'),
  ]);
  assert.equal(streams.length, 2);
  assert.deepEqual(streams.map(text), ['first', 'second']);
  assert.deepEqual(streams.map((s) => s.id), [1, 2]);
});

test('a retransmitted SYN is not a new stream', () => {
  const streams = reassembleTcp([seg(0, '', { syn: true }), seg(0, '', { syn: true }), seg(1, 'x')]);
  assert.equal(streams.length, 1);
  assert.equal(text(streams[0]), 'x');
});

test('stream count is bounded; closed streams are evicted first; non-TCP is ignored', () => {
  const r = new TcpReassembler({ maxStreams: 2 });
  r.push(seg(0, 'a', {}, 'ab', [1, 2]));
  r.push(seg(0, 'b', {}, 'ab', [3, 4]));
  r.push(seg(0, 'c', {}, 'ab', [5, 6])); // dropped
  r.push(seg(1, '', { rst: true }, 'ab', [1, 2])); // closes stream 1
  r.push(seg(0, 'd', {}, 'ab', [7, 8])); // evicts stream 1
  const udp: CapturedSegment = { ...seg(0, 'u'), proto: 'udp' };
  delete (udp as { tcp?: unknown }).tcp;
  r.push(udp);
  const s = r.getStats();
  assert.deepEqual([s.streams, s.streamsDropped, s.evictedStreams, s.ignored], [3, 1, 1, 1]);
  assert.deepEqual(r.getStreams().map(text), ['a', 'b', 'd']);
});

test('collect: false gives events only', () => {
  const r = new TcpReassembler({ collect: false });
  const ev: TcpStreamEvent[] = [...r.push(seg(0, 'ab')), ...r.push(seg(2, 'c'))];
  assert.deepEqual(ev.map((e) => e.kind), ['open', 'data', 'data']);
  assert.deepEqual(r.getStreams()[0]?.chunks, []);
  assert.equal(r.getStreams()[0]?.delivered, 3);
});

test('property: any segmentation, reordering and duplication rebuilds the exact stream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.nat(), { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (data, sizes, isn, shuffleKeys, dupIdx) => {
        const segs: CapturedSegment[] = [];
        let off = 0;
        for (let i = 0; off < data.length; i++) {
          const n = Math.min(sizes[i % sizes.length] ?? 1, data.length - off);
          segs.push(seg(isn + 1 + off, data.subarray(off, off + n)));
          off += n;
        }
        for (const d of dupIdx) {
          const s = segs[d % segs.length];
          if (s !== undefined) segs.push(s);
        }
        // Deterministic shuffle driven by the generated keys.
        const keyed = segs.map((s, i) => ({ s, k: shuffleKeys[i % Math.max(1, shuffleKeys.length)] ?? i }));
        keyed.sort((a, b) => a.k - b.k);
        const streams = reassembleTcp([seg(isn, '', { syn: true }), ...keyed.map((x) => x.s)]);
        assert.equal(streams.length, 1);
        const got = Uint8Array.from(streams[0]?.chunks.flatMap((c) => Array.from(c.bytes)) ?? []);
        assert.deepEqual(got, data);
        assert.deepEqual(streams[0]?.gaps, []);
      },
    ),
  );
});

test('property: with losses and a tiny buffer, every delivered byte sits at its true offset', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 1, max: 4 }),
      (data, size, keep, maxSegs) => {
        const r = new TcpReassembler({ maxBufferedSegments: maxSegs });
        r.push(seg(41, '', { syn: true }));
        const segs: CapturedSegment[] = [];
        for (let off = 0, i = 0; off < data.length; off += size, i++) {
          if (keep[i % keep.length] === true) segs.push(seg(42 + off, data.subarray(off, off + size)));
        }
        for (const s of segs.reverse()) r.push(s);
        r.flush();
        const st = r.getStreams()[0];
        let cursor = 0;
        for (const c of st?.chunks ?? []) {
          assert.equal(c.offset, cursor + c.gapBefore);
          assert.deepEqual(c.bytes, data.subarray(c.offset, c.offset + c.bytes.length));
          cursor = c.offset + c.bytes.length;
        }
        const gapTotal = (st?.gaps ?? []).reduce((n, g) => n + g.length, 0);
        assert.equal((st?.delivered ?? 0) + gapTotal, cursor);
      },
    ),
  );
});
