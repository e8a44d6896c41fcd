/**
 * pcap writer (src/capture/pcap-writer.ts): checksum vectors from RFC 1071 and from the
 * well-known IPv4 header example, independent checksum verification, writer → reader round
 * trips (fast-check), API misuse, and — when tshark is installed — tshark's own verdict on the
 * IPv4/UDP/TCP checksums and expert items of a written capture.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodePcapInto, internetChecksum, pcapEncodedSize, writePcap, type PcapWriteRecord } from '../../../src/capture/pcap-writer.js';
import { formatIpv6, parseIpAddress, readCapture } from '../../../src/capture/packet.js';
import { reassembleTcp } from '../../../src/capture/tcp-reassembly.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex } from '../helpers/bytes.js';


test('internetChecksum: RFC 1071 §3 numerical example and the classic IPv4 header example', () => {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums (one's complement) to ddf2; the checksum is its complement.
  assert.equal(internetChecksum(hex('0001 f203 f4f5 f6f7')), (~0xddf2 & 0xffff) >>> 0);
  // IPv4 header 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7 (widely used worked example).
  assert.equal(internetChecksum(hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7')), 0xb861);
  assert.equal(internetChecksum(hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7')), 0);
  // Odd length: a zero octet is appended (RFC 1071 §4.1).
  assert.equal(internetChecksum(hex('01')), internetChecksum(hex('0100')));
});

test('writer: the IPv4 header of the worked example comes out byte for byte', () => {
  // Record 0 (Identification 0), UDP, 87 payload bytes → total length 115 = 0x73, DF, TTL 64.
  const file = writePcap(
    [{ timeNs: 0n, src: '192.168.0.1', dst: '192.168.0.199', srcPort: 1, dstPort: 2, proto: 'udp', payload: new Uint8Array(87) }],
    { linkType: 'raw' },
  );
  assert.deepEqual(file.subarray(24 + 16, 24 + 16 + 20), hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7'));
});

test('writer: file and record headers (little-endian µs pcap), Ethernet framing', () => {
  const file = writePcap([
    { timeNs: 1_700_000_000_123_456_789n, src: '10.1.2.3', dst: '10.4.5.6', srcPort: 5000, dstPort: 6000, proto: 'udp', payload: hex('cafe') },
  ]);
  assert.deepEqual(file.subarray(0, 24), hex('d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000'));
  const dv = new DataView(file.buffer, file.byteOffset);
  assert.equal(dv.getUint32(24, true), 1_700_000_000);
  assert.equal(dv.getUint32(28, true), 123_456); // nanoseconds truncated to µs
  const frameLen = 14 + 20 + 8 + 2;
  assert.equal(dv.getUint32(32, true), frameLen);
  assert.equal(dv.getUint32(36, true), frameLen);
  assert.equal(file.length, 24 + 16 + frameLen);
  assert.equal(dv.getUint16(40 + 12), 0x0800);
  // UDP: ports 5000, 6000, length 10; then (after the checksum) the payload.
  assert.deepEqual(file.subarray(40 + 34, 40 + 40), hex('1388 1770 000a'));
  assert.deepEqual(file.subarray(40 + 42), hex('cafe'));
});

/** Independent check: one's-complement sum of pseudo-header + transport segment must be 0xffff. */
function transportSumOk(srcIp: Uint8Array, dstIp: Uint8Array, proto: number, seg: Uint8Array): boolean {
  const words: number[] = [];
  const push = (b: Uint8Array): void => {
    for (let i = 0; i < b.length; i += 2) words.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  };
  push(srcIp);
  push(dstIp);
  words.push(proto, seg.length >>> 16, seg.length & 0xffff);
  push(seg);
  let s = words.reduce((a, w) => a + w, 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

test('writer: UDP and TCP checksums over the pseudo-header verify, for IPv4 and IPv6', () => {
  const cases: PcapWriteRecord[] = [
    { timeNs: 0n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4000, dstPort: 4001, proto: 'udp', payload: hex('000102') },
    { timeNs: 0n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4000, dstPort: 4001, proto: 'tcp', payload: hex('0300000b'), tcpSeq: 12345 },
    { timeNs: 0n, src: '2001:db8::1', dst: 'fe80::2', srcPort: 4000, dstPort: 4001, proto: 'udp', payload: hex('ff') },
    { timeNs: 0n, src: '2001:db8::1', dst: 'fe80::2', srcPort: 4000, dstPort: 4001, proto: 'tcp', payload: hex('') },
  ];
  for (const rec of cases) {
    const f = writePcap([rec], { linkType: 'raw' }).subarray(40);
    const v6 = rec.src.includes(':');
    const ipLen = v6 ? 40 : 20;
    const src = v6 ? f.subarray(8, 24) : f.subarray(12, 16);
    const dst = v6 ? f.subarray(24, 40) : f.subarray(16, 20);
    assert.ok(transportSumOk(src, dst, rec.proto === 'udp' ? 17 : 6, f.subarray(ipLen)), `${rec.proto} v${v6 ? 6 : 4}`);
    if (!v6) assert.equal(internetChecksum(f.subarray(0, 20)), 0);
  }
});

const addr4 = fc.ipV4();
const addr6 = fc.ipV6();
const recordArb = fc.oneof(fc.tuple(addr4, addr4), fc.tuple(addr6, addr6)).chain(([src, dst]) =>
  fc.record({
    timeNs: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n + 999_999_999n }),
    src: fc.constant(src),
    dst: fc.constant(dst),
    srcPort: fc.integer({ min: 0, max: 65535 }),
    dstPort: fc.integer({ min: 0, max: 65535 }),
    proto: fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'),
    payload: fc.uint8Array({ maxLength: 300 }),
    tcpSeq: fc.integer({ min: 0, max: 0xffffffff }),
  }),
);

test('property: writer → reader round trip (UDP/TCP, IPv4/IPv6, Ethernet/raw)', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 8 }), fc.constantFrom<'ethernet' | 'raw'>('ethernet', 'raw'), (recs, linkType) => {
      const file = writePcap(recs, { linkType });
      assert.equal(file.length, pcapEncodedSize(recs, { linkType }));
      const r = readCapture(file);
      assert.ok(r.ok);
      const v = r.value;
      assert.deepEqual(v.linkTypes, [linkType === 'ethernet' ? 1 : 101]);
      assert.deepEqual(v.warnings, []);
      assert.equal(v.stats.frames, recs.length);
      assert.equal(v.packets.length, recs.length);
      recs.forEach((rec, i) => {
        const p = v.packets[i];
        assert.ok(p !== undefined);
        assert.equal(p.frame, i + 1);
        assert.equal(p.timeNs, (rec.timeNs / 1000n) * 1000n);
        assert.equal(p.proto, rec.proto);
        assert.equal(p.ipVersion, rec.src.includes(':') ? 6 : 4);
        // Same address, and the reader's text is canonical.
        assert.deepEqual(parseIpAddress(p.src), parseIpAddress(rec.src));
        assert.deepEqual(parseIpAddress(p.dst), parseIpAddress(rec.dst));
        if (p.ipVersion === 6) assert.equal(formatIpv6(parseIpAddress(p.src) ?? new Uint8Array(16)), p.src);
        assert.deepEqual([p.srcPort, p.dstPort], [rec.srcPort, rec.dstPort]);
        assert.deepEqual(p.payload, rec.payload);
        assert.equal(p.truncated, undefined);
        if (rec.proto === 'tcp') assert.equal(p.tcp?.seq, rec.tcpSeq);
        else assert.equal(p.tcp, undefined);
      });
    }),
  );
});

test('encodePcapInto writes at an offset and refuses a short buffer; misuse throws typed errors', () => {
  const recs: PcapWriteRecord[] = [{ timeNs: 1n, src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, proto: 'udp', payload: hex('01') }];
  const size = pcapEncodedSize(recs);
  const buf = new Uint8Array(size + 10);
  assert.equal(encodePcapInto(recs, buf, 10), size);
  assert.deepEqual(buf.subarray(10), writePcap(recs));
  const code = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return e instanceof FaxwireError ? e.code : 'not a FaxwireError';
    }
  };
  assert.equal(code(() => encodePcapInto(recs, new Uint8Array(size - 1), 0)), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
  const base = recs[0] as PcapWriteRecord;
  const bad: Partial<PcapWriteRecord>[] = [
    { src: '1.2.3' },
    { dst: 'nonsense' },
    { dst: '::1' }, // mixed families
    { srcPort: 65536 },
    { dstPort: -1 },
    { timeNs: -1n },
    { timeNs: 0x1_0000_0000n * 1_000_000_000n },
    { proto: 'tcp', tcpSeq: 2 ** 32 },
    { payload: new Uint8Array(65535 - 20 - 8 + 1) },
  ];
  for (const b of bad) assert.equal(code(() => writePcap([{ ...base, ...b }])), 'FAXWIRE_ERR_INVALID_ARGUMENT', JSON.stringify(Object.keys(b)));
  // The largest IPv4 UDP datagram still fits.
  assert.equal(code(() => writePcap([{ ...base, payload: new Uint8Array(65535 - 28) }])), 'no error');
});

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('tshark finds every checksum good and raises no expert item on a written capture', (t) => {
  if (!hasTshark()) {
    console.warn('SKIPPED: tshark not installed — writer output not checked by a third-party dissector');
    t.skip('tshark not installed');
    return;
  }
  // A complete TCP exchange (handshake, data both ways, FIN both ways) plus UDP, IPv4 and IPv6.
  const tcp = (src: string, dst: string, sp: number, dp: number, seq: number, ack: number, flags: PcapWriteRecord['tcpFlags'], data = ''): PcapWriteRecord => ({
    timeNs: 0n,
    src,
    dst,
    srcPort: sp,
    dstPort: dp,
    proto: 'tcp',
    payload: new TextEncoder().encode(data),
    tcpSeq: seq,
    tcpAck: ack,
    ...(flags !== undefined ? { tcpFlags: flags } : {}),
  });
  const conv = (a: string, b: string): PcapWriteRecord[] => [
    tcp(a, b, 40000, 1720, 100, 0, { syn: true }),
    tcp(b, a, 1720, 40000, 500, 101, { syn: true, ack: true }),
    tcp(a, b, 40000, 1720, 101, 501, { ack: true }),
    tcp(a, b, 40000, 1720, 101, 501, { ack: true, psh: true }, 'hello'),
    tcp(b, a, 1720, 40000, 501, 106, { ack: true, psh: true }, 'hi'),
    tcp(a, b, 40000, 1720, 106, 503, { ack: true, fin: true }),
    tcp(b, a, 1720, 40000, 503, 107, { ack: true, fin: true }),
    tcp(a, b, 40000, 1720, 107, 504, { ack: true }),
  ];
  const udp = (src: string, dst: string, n: number): PcapWriteRecord => ({
    timeNs: 0n,
    src,
    dst,
    srcPort: 43000,
    dstPort: 43001,
    proto: 'udp',
    payload: Uint8Array.from({ length: n }, (_, i) => i),
  });
  const recs = [
    ...conv('192.0.2.1', '192.0.2.2'),
    ...conv('2001:db8::1', '2001:db8::2'),
    udp('192.0.2.1', '192.0.2.2', 0),
    udp('192.0.2.1', '192.0.2.2', 1),
    udp('192.0.2.1', '192.0.2.2', 1400),
    udp('2001:db8::1', '2001:db8::2', 3),
  ].map((r, i) => ({ ...r, timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 20_000_000n }));
  const dir = mkdtempSync(join(tmpdir(), 'faxwire-pcap-'));
  try {
    for (const linkType of ['ethernet', 'raw'] as const) {
      const path = join(dir, `w-${linkType}.pcap`);
      writeFileSync(path, writePcap(recs, { linkType }));
      const out = execFileSync(
        'tshark',
        [
          '-r', path,
          '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
          '-T', 'fields', '-E', 'separator=|',
          '-e', 'frame.number', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status',
          '-e', '_ws.expert.severity', '-e', '_ws.expert.message', '-e', '_ws.malformed',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const rows = out.trim().split('\n').map((l) => l.split('|'));
      assert.equal(rows.length, recs.length, linkType);
      // Expert severities (Wireshark's PI_CHAT 0x200000 < PI_NOTE 0x400000 < PI_WARN 0x600000 <
      // PI_ERROR 0x800000): chat and note items ("Connection establish request (SYN)", "This frame
      // initiates the connection closing") describe a normal exchange; warnings (e.g. "previous
      // segment not captured") and errors (bad checksum, malformed) are flags.
      const PI_NOTE = 0x400000;
      rows.forEach(([no, ipSt, udpSt, tcpSt, severities, messages, malformed], i) => {
        const rec = recs[i] as PcapWriteRecord;
        // Checksum status 1 = "Good" in Wireshark's proto_checksum_enum_e.
        if (!rec.src.includes(':')) assert.equal(ipSt, '1', `frame ${no} ip (${linkType})`);
        assert.equal(rec.proto === 'udp' ? udpSt : tcpSt, '1', `frame ${no} ${rec.proto} (${linkType})`);
        const flagged = (severities ?? '').split(',').filter((x) => x !== '' && Number(x) > PI_NOTE);
        assert.deepEqual(flagged, [], `frame ${no}: expert item ${messages ?? ''} (${linkType})`);
        assert.equal(malformed, '', `frame ${no}: malformed (${linkType})`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // And our own reassembler agrees on the TCP streams.
  const r = readCapture(writePcap(recs));
  assert.ok(r.ok);
  const streams = reassembleTcp(r.value.packets);
  assert.deepEqual(
    streams.map((s) => [s.src, new TextDecoder().decode(Uint8Array.from(s.chunks.flatMap((c) => Array.from(c.bytes)))), s.end]),
    [
      ['192.0.2.1', 'hello', 'fin'],
      ['192.0.2.2', 'hi', 'fin'],
      ['2001:db8::1', 'hello', 'fin'],
      ['2001:db8::2', 'hi', 'fin'],
    ],
  );
});
