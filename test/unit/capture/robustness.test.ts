/**
 * Robustness of the capture reader: random bytes, random frames behind valid file headers,
 * mutated and truncated valid captures (classic pcap and pcapng) never throw, and the counts
 * stay consistent. Also a truncation sweep of `readCapture` over every prefix of a capture.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readCapture, type CaptureReadResult } from '../../../src/capture/packet.js';
import { writePcap, type PcapWriteRecord } from '../../../src/capture/pcap-writer.js';
import { TcpReassembler } from '../../../src/capture/tcp-reassembly.js';

/** Counts that must hold whatever the input. */
function checkInvariants(v: CaptureReadResult, input: Uint8Array): void {
  const s = v.stats;
  assert.equal(v.packets.length, s.udp + s.tcp);
  assert.ok(s.udp + s.tcp + s.other <= s.frames);
  assert.ok(s.ipFragments <= s.frames);
  assert.ok(s.truncatedRecords <= 1);
  let last = 0;
  for (const p of v.packets) {
    assert.ok(p.frame > last && p.frame <= s.frames, 'frame numbers increase');
    last = p.frame;
    assert.ok(p.srcPort >= 0 && p.srcPort <= 0xffff && p.dstPort >= 0 && p.dstPort <= 0xffff);
    // Payloads are views of the input, or fresh buffers for reassembled datagrams, never beyond either.
    if (p.payload.buffer === input.buffer) {
      assert.ok(p.payload.byteOffset + p.payload.length <= input.byteOffset + input.length);
    }
  }
  assert.ok(v.warnings.length <= 1000);
}

function leU32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Re-wrap a little-endian classic pcap (as `writePcap` makes) as pcapng: SHB, IDB, one EPB per record. */
function toPcapng(pcap: Uint8Array, linkType: number): Uint8Array {
  const out: number[] = [];
  const blk = (type: number, body: number[]): void => {
    while (body.length % 4 !== 0) body.push(0);
    const total = 12 + body.length;
    out.push(...leU32(type), ...leU32(total), ...body, ...leU32(total));
  };
  blk(0x0a0d0d0a, [...leU32(0x1a2b3c4d), 1, 0, 0, 0, ...new Array<number>(8).fill(0xff)]);
  blk(1, [linkType & 0xff, linkType >> 8, 0, 0, ...leU32(0), 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]); // if_tsresol = 9 (ns)
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  for (let o = 24; o + 16 <= pcap.length; ) {
    const sec = dv.getUint32(o, true);
    const usec = dv.getUint32(o + 4, true);
    const len = dv.getUint32(o + 8, true);
    const ns = BigInt(sec) * 1_000_000_000n + BigInt(usec) * 1000n;
    const data = Array.from(pcap.subarray(o + 16, o + 16 + len));
    blk(6, [...leU32(0), ...leU32(Number(ns >> 32n)), ...leU32(Number(ns & 0xffffffffn)), ...leU32(len), ...leU32(len), ...data]);
    o += 16 + len;
  }
  return Uint8Array.from(out);
}

const recordArb: fc.Arbitrary<PcapWriteRecord> = fc.record({
  timeNs: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  src: fc.constantFrom('10.0.0.1', '2001:db8::1'),
  dst: fc.constantFrom('10.0.0.2', '2001:db8::2'),
  srcPort: fc.integer({ min: 0, max: 65535 }),
  dstPort: fc.integer({ min: 0, max: 65535 }),
  proto: fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'),
  payload: fc.uint8Array({ maxLength: 64 }),
}).map((r) => (r.src.includes(':') === r.dst.includes(':') ? r : { ...r, dst: r.src.includes(':') ? '2001:db8::2' : '10.0.0.2' }));

test('property: random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
      const r = readCapture(bytes);
      if (r.ok) checkInvariants(r.value, bytes);
    }),
    { numRuns: 500 },
  );
});

test('property: random frames behind a valid pcap header, for every link type handled, never throw', () => {
  // Link-layer prefixes that lead into the IP dissector, followed by random bytes whose first
  // nibble is often a plausible IP version.
  const prefixes: [number, number[]][] = [
    [1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]],
    [1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd]],
    [1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0, 1, 0x08, 0x00]],
    [113, [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00]],
    [276, [0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]],
    [101, []],
    [0, [2, 0, 0, 0]],
    [108, [0, 0, 0, 24]],
    [147, []],
  ];
  const frameArb = fc.tuple(
    fc.integer({ min: 0, max: prefixes.length - 1 }),
    fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x00),
    fc.uint8Array({ maxLength: 120 }),
    fc.integer({ min: 0, max: 200 }),
  );
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 20 }), fc.integer({ min: 0, max: prefixes.length - 1 }), (frames, ltIdx) => {
      const linkType = prefixes[ltIdx]?.[0] ?? 1;
      const out: number[] = [...leU32(0xa1b2c3d4), 2, 0, 4, 0, ...new Array<number>(8).fill(0), ...leU32(65535), ...leU32(linkType)];
      for (const [pi, first, rest, extraOrig] of frames) {
        // Use this file's link type's prefix most of the time, another one sometimes.
        const prefix = prefixes[pi % 3 === 0 ? pi : ltIdx]?.[1] ?? [];
        const data = [...prefix, first, ...rest];
        out.push(...leU32(1), ...leU32(2), ...leU32(data.length), ...leU32(data.length + extraOrig), ...data);
      }
      const bytes = Uint8Array.from(out);
      const r = readCapture(bytes);
      assert.ok(r.ok);
      assert.equal(r.value.stats.frames, frames.length);
      checkInvariants(r.value, bytes);
    }),
    { numRuns: 300 },
  );
});

test('property: mutated and cut valid captures (pcap and pcapng) never throw', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 6 }),
      fc.constantFrom<'ethernet' | 'raw'>('ethernet', 'raw'),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat()),
      (recs, linkType, ng, flips, cut) => {
        const pcap = writePcap(recs, { linkType });
        const file = ng ? toPcapng(pcap, linkType === 'ethernet' ? 1 : 101) : pcap;
        const clean = readCapture(file);
        assert.ok(clean.ok);
        assert.equal(clean.value.packets.length, recs.length);
        const m = file.slice(0, cut === null ? file.length : cut % (file.length + 1));
        for (const [pos, val] of flips) if (m.length > 0) m[pos % m.length] = val;
        const r = readCapture(m);
        if (r.ok) checkInvariants(r.value, m);
      },
    ),
    { numRuns: 400 },
  );
});

test('readCapture truncation sweep: every prefix of a capture, exact frame/UDP/TCP/truncated counts', () => {
  const recs: PcapWriteRecord[] = [
    { timeNs: 1n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, proto: 'udp', payload: Uint8Array.of(1, 2, 3) },
    { timeNs: 2n, src: '2001:db8::1', dst: '2001:db8::2', srcPort: 3, dstPort: 4, proto: 'tcp', payload: Uint8Array.of(4), tcpSeq: 9 },
    { timeNs: 3n, src: '10.0.0.2', dst: '10.0.0.1', srcPort: 2, dstPort: 1, proto: 'udp', payload: new Uint8Array(0) },
  ];
  for (const ng of [false, true]) {
    const pcap = writePcap(recs);
    const file = ng ? toPcapng(pcap, 1) : pcap;
    // End offsets of the records (pcap) or EPBs (pcapng), and where the first one starts.
    const ends: number[] = [];
    const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let o = ng ? 28 + dv.getUint32(28 + 4, true) : 24;
    const start = o;
    while (o < file.length) {
      o += ng ? dv.getUint32(o + 4, true) : 16 + dv.getUint32(o + 8, true);
      ends.push(o);
    }
    assert.equal(ends.length, 3);
    for (let len = 0; len <= file.length; len++) {
      const r = readCapture(file.subarray(0, len));
      if (!r.ok) {
        assert.ok(len < (ng ? 28 : 24), `${ng ? 'pcapng' : 'pcap'} prefix ${len}: ${r.error.code}`);
        continue;
      }
      const complete = ends.filter((e) => e <= len).length;
      const lastEnd = complete === 0 ? start : (ends[complete - 1] ?? 0);
      const s = r.value.stats;
      assert.equal(s.frames, complete, `len ${len}`);
      assert.deepEqual(
        r.value.packets.map((p) => p.proto),
        (['udp', 'tcp', 'udp'] as const).slice(0, complete),
      );
      // A cut final record (a cut IDB in pcapng is a block, not a record).
      const partial = len > lastEnd && len >= start && (!ng || len - lastEnd >= 4) ? 1 : 0;
      assert.equal(s.truncated, partial, `len ${len}`);
      assert.equal(s.malformed, 0);
    }
  }
});

test('property: the TCP reassembler never throws on arbitrary segments and its counts agree', () => {
  const segArb = fc.record({
    conn: fc.integer({ min: 0, max: 3 }),
    seq: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 200 })),
    syn: fc.boolean(),
    fin: fc.boolean(),
    rst: fc.boolean(),
    payload: fc.uint8Array({ maxLength: 30 }),
  });
  fc.assert(
    fc.property(fc.array(segArb, { maxLength: 60 }), fc.integer({ min: 0, max: 5 }), (segs, maxSegs) => {
      const r = new TcpReassembler({ maxBufferedSegments: maxSegs, maxBufferedBytes: 64, maxStreams: 3 });
      segs.forEach((s, i) => {
        r.push({
          frame: i + 1,
          timeNs: BigInt(i),
          time: i,
          proto: 'tcp',
          ipVersion: 4,
          src: '10.0.0.1',
          dst: '10.0.0.2',
          srcPort: 1000 + s.conn,
          dstPort: 80,
          payload: s.payload,
          tcp: { seq: s.seq, ack: 0, flags: { syn: s.syn, fin: s.fin, rst: s.rst, ack: true, psh: false } },
        });
      });
      r.flush();
      const st = r.getStats();
      const delivered = r.getStreams().reduce((n, s) => n + s.chunks.reduce((m, c) => m + c.bytes.length, 0), 0);
      assert.equal(delivered, st.bytesDelivered);
      assert.ok(st.streams <= segs.length);
    }),
    { numRuns: 300 },
  );
});
