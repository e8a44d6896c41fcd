/**
 * Frame dissection (src/capture/packet.ts): link layers, IPv4/IPv6 (options, extension headers,
 * fragments), UDP/TCP, and RFC 5952 address text. Frames are built field by field by the
 * builders below from the header layouts of RFC 791, RFC 8200, RFC 768, RFC 9293 and the
 * tcpdump.org link-type descriptions, so expected values follow from the construction.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PacketDissector,
  formatIpv6,
  parseIpAddress,
  readCapture,
  type CaptureWarning,
  type DissectOutcome,
} from '../../../src/capture/packet.js';
import type { RawFrame } from '../../../src/capture/pcap.js';

// ---------------------------------------------------------------------------------------------
// Builders (network byte order)

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const ip4 = (s: string): number[] => s.split('.').map(Number);
function ip6(s: string): number[] {
  const b = parseIpAddress(s);
  assert.ok(b !== undefined && b.length === 16, s);
  return Array.from(b);
}

/** UDP: ports, length (header + payload unless overridden), checksum 0 ("none"). */
function udp(sp: number, dp: number, payload: number[], lenOverride?: number): number[] {
  return [...u16(sp), ...u16(dp), ...u16(lenOverride ?? 8 + payload.length), 0, 0, ...payload];
}

/** TCP: ports, seq, ack, data offset (5 + option words), flags byte, window, checksum, urgent. */
function tcp(sp: number, dp: number, seq: number, ack: number, flags: number, payload: number[], optionWords = 0): number[] {
  return [
    ...u16(sp),
    ...u16(dp),
    ...u32(seq),
    ...u32(ack),
    (5 + optionWords) << 4,
    flags,
    ...u16(1024),
    0,
    0,
    0,
    0,
    ...new Array<number>(optionWords * 4).fill(1), // NOP options
    ...payload,
  ];
}

interface V4Opts {
  proto?: number;
  id?: number;
  mf?: boolean;
  fragOffset8?: number;
  optionWords?: number;
  totalOverride?: number;
  src?: string;
  dst?: string;
}

/** IPv4 header (checksum left 0: the reader does not need it) + payload. */
function ipv4(payload: number[], o: V4Opts = {}): number[] {
  const hl = 20 + 4 * (o.optionWords ?? 0);
  const flags = (o.mf === true ? 0x2000 : 0) | (o.fragOffset8 ?? 0);
  return [
    0x40 | (hl / 4),
    0,
    ...u16(o.totalOverride ?? hl + payload.length),
    ...u16(o.id ?? 0x1234),
    ...u16(flags),
    64,
    o.proto ?? 17,
    0,
    0,
    ...ip4(o.src ?? '10.0.0.1'),
    ...ip4(o.dst ?? '10.0.0.2'),
    ...new Array<number>(4 * (o.optionWords ?? 0)).fill(1), // NOP options
    ...payload,
  ];
}

/** IPv6 header + payload (payload already includes any extension headers). */
function ipv6(nextHeader: number, payload: number[], src = '2001:db8::1', dst = '2001:db8::2', plenOverride?: number): number[] {
  return [0x60, 0, 0, 0, ...u16(plenOverride ?? payload.length), nextHeader, 64, ...ip6(src), ...ip6(dst), ...payload];
}

/** Generic IPv6 extension header of `units` 8-octet units. */
function ext6(next: number, units = 1): number[] {
  return [next, units - 1, ...new Array<number>(units * 8 - 2).fill(0)];
}

function frag6(next: number, offset: number, more: boolean, id: number): number[] {
  return [next, 0, ...u16(offset | (more ? 1 : 0)), ...u32(id)];
}

const MAC_A = [0, 1, 2, 3, 4, 5];
const MAC_B = [6, 7, 8, 9, 10, 11];
function eth(etherType: number, payload: number[], tags: [number, number][] = []): number[] {
  // With tags, each TPID announces a tag; the last tag carries the real EtherType.
  const first = tags.length > 0 ? (tags[0]?.[0] ?? 0) : etherType;
  const tagBytes: number[] = [];
  for (let i = 0; i < tags.length; i++) {
    const nextType = i + 1 < tags.length ? (tags[i + 1]?.[0] ?? 0) : etherType;
    tagBytes.push(...u16(tags[i]?.[1] ?? 0), ...u16(nextType));
  }
  return [...MAC_A, ...MAC_B, ...u16(first), ...tagBytes, ...payload];
}

/** Linux SLL: packet type, ARPHRD_ETHER, address length 6, address padded to 8, protocol. */
const sll = (proto: number, payload: number[]): number[] => [0, 0, 0, 1, 0, 6, ...MAC_A, 0, 0, ...u16(proto), ...payload];
/** Linux SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address. */
const sll2 = (proto: number, payload: number[]): number[] => [...u16(proto), 0, 0, ...u32(2), 0, 1, 0, 6, ...MAC_A, 0, 0, ...payload];

let frameNo = 0;
function raw(linkType: number, data: number[], originalLength = data.length, timeNs = 1_000_000_000n): RawFrame {
  return { frame: ++frameNo, timeNs, linkType, interfaceId: 0, originalLength, data: Uint8Array.from(data), offset: 0 };
}

function dissect(f: RawFrame, d = new PacketDissector()): DissectOutcome {
  return d.dissect(f);
}

function segmentOf(out: DissectOutcome): { src: string; dst: string; srcPort: number; dstPort: number; payload: number[]; proto: string } {
  assert.equal(out.kind, 'segment', out.kind === 'error' ? out.error.message : out.kind);
  if (out.kind !== 'segment') throw new Error('unreachable');
  const s = out.segment;
  return { src: s.src, dst: s.dst, srcPort: s.srcPort, dstPort: s.dstPort, payload: Array.from(s.payload), proto: s.proto };
}

const UDP_4 = ipv4(udp(4000, 5000, [0xca, 0xfe]));
const EXPECT_4 = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4000, dstPort: 5000, payload: [0xca, 0xfe], proto: 'udp' };

// ---------------------------------------------------------------------------------------------
// Link layers

test('every supported link type leads to the same UDP datagram', () => {
  const cases: [string, number, number[]][] = [
    ['Ethernet', 1, eth(0x0800, UDP_4)],
    ['Ethernet + 802.1Q', 1, eth(0x0800, UDP_4, [[0x8100, 100]])],
    ['Ethernet + QinQ (802.1ad S-tag, 802.1Q C-tag)', 1, eth(0x0800, UDP_4, [[0x88a8, 10], [0x8100, 20]])],
    ['Ethernet + old QinQ 0x9100', 1, eth(0x0800, UDP_4, [[0x9100, 10], [0x8100, 20]])],
    ['802.3 + LLC/SNAP', 1, [...MAC_A, ...MAC_B, ...u16(8 + UDP_4.length), 0xaa, 0xaa, 0x03, 0, 0, 0, ...u16(0x0800), ...UDP_4]],
    ['Linux SLL', 113, sll(0x0800, UDP_4)],
    ['Linux SLL + VLAN', 113, sll(0x8100, [...u16(5), ...u16(0x0800), ...UDP_4])],
    ['Linux SLL2', 276, sll2(0x0800, UDP_4)],
    ['raw 101', 101, UDP_4],
    ['raw DLT 12', 12, UDP_4],
    ['raw DLT 14', 14, UDP_4],
    ['LINKTYPE_IPV4', 228, UDP_4],
    ['NULL, little-endian AF_INET', 0, [2, 0, 0, 0, ...UDP_4]],
    ['NULL, big-endian AF_INET', 0, [0, 0, 0, 2, ...UDP_4]],
    ['LOOP (network order)', 108, [0, 0, 0, 2, ...UDP_4]],
  ];
  for (const [name, lt, data] of cases) {
    assert.deepEqual(segmentOf(dissect(raw(lt, data))), EXPECT_4, name);
  }
});

test('IPv6 over Ethernet, SLL, SLL2, raw, NULL (each BSD AF_INET6 value), LOOP, LINKTYPE_IPV6', () => {
  const v6 = ipv6(17, udp(1, 2, [7]));
  const expect = { src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1, dstPort: 2, payload: [7], proto: 'udp' };
  const cases: [string, number, number[]][] = [
    ['Ethernet', 1, eth(0x86dd, v6)],
    ['SLL', 113, sll(0x86dd, v6)],
    ['SLL2', 276, sll2(0x86dd, v6)],
    ['raw', 101, v6],
    ['IPV6', 229, v6],
    ...[24, 28, 30].map((af): [string, number, number[]] => [`NULL AF ${af}`, 0, [af, 0, 0, 0, ...v6]]),
    ['LOOP', 108, [0, 0, 0, 24, ...v6]],
  ];
  for (const [name, lt, data] of cases) assert.deepEqual(segmentOf(dissect(raw(lt, data))), expect, name);
});

test('non-IP and unsupported link types are "other"; unsupported ones warned about once', () => {
  const warnings: CaptureWarning[] = [];
  const d = new PacketDissector({ onWarning: (w) => warnings.push(w) });
  assert.equal(d.dissect(raw(1, eth(0x0806, new Array<number>(28).fill(0)))).kind, 'other'); // ARP
  assert.equal(d.dissect(raw(1, [...MAC_A, ...MAC_B, 0, 40, 0x42, 0x42, 0x03, ...new Array<number>(40).fill(0)])).kind, 'other'); // STP over LLC
  assert.equal(d.dissect(raw(0, [7, 0, 0, 0, 1, 2])).kind, 'other'); // AF 7
  assert.equal(d.dissect(raw(105, [1, 2, 3])).kind, 'other'); // 802.11
  assert.equal(d.dissect(raw(105, [1, 2, 3])).kind, 'other');
  assert.equal(d.dissect(raw(1, eth(0x0800, ipv4([8, 0, 0, 0], { proto: 1 })))).kind, 'other'); // ICMP
  // Link type -1: a pcapng packet whose interface is undescribed (the file reader warns about it).
  assert.equal(d.dissect(raw(-1, UDP_4)).kind, 'other');
  assert.deepEqual(warnings.map((w) => w.code), ['unsupported-link-type']);
  const s = d.getStats();
  assert.equal(s.other, 7);
  assert.equal(s.nonIp, 3);
  assert.equal(s.unsupportedLinkType, 2);
});

test('too many VLAN tags and cut-short link headers are errors, not exceptions', () => {
  const tags = new Array<[number, number]>(9).fill([0x8100, 1]);
  const out = dissect(raw(1, eth(0x0800, UDP_4, tags)));
  assert.equal(out.kind === 'error' && out.error.code, 'too-many-vlan-tags');
  for (const [lt, len] of [
    [1, 13],
    [113, 15],
    [276, 19],
    [0, 3],
  ] as const) {
    const o = dissect(raw(lt, new Array<number>(len).fill(0x81)));
    assert.equal(o.kind === 'error' && o.error.code, 'truncated-link-header', `link ${lt}`);
  }
});

// ---------------------------------------------------------------------------------------------
// IPv4

test('IPv4 options are skipped by IHL; Ethernet padding after the datagram is not payload', () => {
  assert.deepEqual(segmentOf(dissect(raw(101, ipv4(udp(4000, 5000, [0xca, 0xfe]), { optionWords: 3 })))), EXPECT_4);
  // A 2-byte UDP payload in Ethernet is padded to the 60-octet minimum frame.
  const padded = [...eth(0x0800, UDP_4), ...new Array<number>(60 - 14 - UDP_4.length).fill(0xee)];
  assert.equal(padded.length, 60);
  assert.deepEqual(segmentOf(dissect(raw(1, padded))), EXPECT_4);
});

test('IPv4 total length 0 (segmentation offload capture) trusts the captured length', () => {
  assert.deepEqual(segmentOf(dissect(raw(101, ipv4(udp(4000, 5000, [0xca, 0xfe]), { totalOverride: 0 })))), EXPECT_4);
});

test('IPv4 header errors', () => {
  const cases: [number[], string][] = [
    [UDP_4.slice(0, 19), 'truncated-ip-header'],
    [[0x45 + 0x10, ...UDP_4.slice(1)], 'bad-ip-version'],
    [[0x44, ...UDP_4.slice(1)], 'bad-ip-header-length'],
    [[0x4f, ...UDP_4.slice(1)], 'truncated-ip-header'], // IHL 15 = 60 bytes > 30 present
    [ipv4(udp(1, 2, []), { totalOverride: 19 }), 'bad-ip-total-length'],
  ];
  for (const [data, code] of cases) {
    const o = dissect(raw(101, data));
    assert.equal(o.kind === 'error' ? o.error.code : o.kind, code);
  }
  // On Ethernet, EtherType IPv4 but a version-6 header.
  const o = dissect(raw(1, eth(0x0800, ipv6(17, udp(1, 2, [])))));
  assert.equal(o.kind === 'error' && o.error.code, 'bad-ip-version');
});

test('snaplen: a cut payload is delivered flagged truncated; a cut header counts as truncated, not malformed', () => {
  const full = eth(0x0800, ipv4(udp(4000, 5000, new Array<number>(100).fill(9))));
  const d = new PacketDissector();
  const cut = d.dissect(raw(1, full.slice(0, 14 + 20 + 8 + 10), full.length));
  assert.equal(cut.kind, 'segment');
  if (cut.kind === 'segment') {
    assert.equal(cut.segment.truncated, true);
    assert.equal(cut.segment.payload.length, 10);
  }
  const hdrCut = d.dissect(raw(1, full.slice(0, 14 + 20 + 4), full.length));
  assert.equal(hdrCut.kind === 'error' && hdrCut.error.code, 'truncated-udp-header');
  // The same short frame when the capture says it is complete: malformed.
  const short = d.dissect(raw(1, full.slice(0, 14 + 10)));
  assert.equal(short.kind === 'error' && short.error.code, 'truncated-ip-header');
  const s = d.getStats();
  assert.deepEqual([s.udp, s.truncated, s.malformed], [1, 2, 1]);
});

test('UDP length field: trims trailing bytes, rejects < 8, flags a length beyond the IP packet', () => {
  const warnings: CaptureWarning[] = [];
  const d = new PacketDissector({ onWarning: (w) => warnings.push(w) });
  // UDP says 9 bytes (1 of payload); the IP packet carries 3 more octets after it.
  assert.deepEqual(segmentOf(d.dissect(raw(101, ipv4(udp(1, 2, [5, 6, 7, 8], 9))))).payload, [5]);
  const bad = d.dissect(raw(101, ipv4(udp(1, 2, [5], 7))));
  assert.equal(bad.kind === 'error' && bad.error.code, 'bad-udp-length');
  const long = d.dissect(raw(101, ipv4(udp(1, 2, [5, 6], 100))));
  assert.equal(long.kind === 'segment' && long.segment.truncated, true);
  assert.deepEqual(warnings.map((w) => w.code), ['bad-udp-length', 'bad-udp-length']);
  assert.equal(d.getStats().malformed, 2);
});

test('TCP header: ports, seq/ack, flags, options skipped by data offset', () => {
  // flags 0x1b = ACK|PSH|SYN|FIN (odd, but it exercises each bit); 0x04 = RST
  const out = dissect(raw(101, ipv4(tcp(1720, 49152, 0xfffffff0, 0x12345678, 0x1b, [3, 0, 0, 7], 2), { proto: 6 })));
  assert.equal(out.kind, 'segment');
  if (out.kind !== 'segment') return;
  const s = out.segment;
  assert.equal(s.proto, 'tcp');
  assert.deepEqual([s.srcPort, s.dstPort], [1720, 49152]);
  assert.deepEqual(Array.from(s.payload), [3, 0, 0, 7]);
  assert.deepEqual(s.tcp, { seq: 0xfffffff0, ack: 0x12345678, flags: { syn: true, fin: true, rst: false, ack: true, psh: true } });
  const rst = dissect(raw(101, ipv4(tcp(1, 2, 0, 0, 0x04, []), { proto: 6 })));
  assert.equal(rst.kind === 'segment' && rst.segment.tcp?.flags.rst, true);
  for (const [data, code] of [
    [ipv4(tcp(1, 2, 0, 0, 0, []).slice(0, 19), { proto: 6 }), 'truncated-tcp-header'],
    [ipv4([...tcp(1, 2, 0, 0, 0, []).slice(0, 12), 0x40, ...tcp(1, 2, 0, 0, 0, []).slice(13)], { proto: 6 }), 'bad-tcp-header-length'],
    [ipv4([...tcp(1, 2, 0, 0, 0, []).slice(0, 12), 0xf0, ...tcp(1, 2, 0, 0, 0, []).slice(13)], { proto: 6 }), 'truncated-tcp-header'],
  ] as const) {
    const o = dissect(raw(101, [...data]));
    assert.equal(o.kind === 'error' && o.error.code, code);
  }
});

test('IPv4 fragments: counted, reassembled in any order into one datagram at the last fragment', () => {
  // A UDP datagram of 8 + 40 bytes split at 24 and 40 (offsets in 8-octet units: 0, 3, 5).
  const payload = Array.from({ length: 40 }, (_, i) => i);
  const whole = udp(7000, 7001, payload);
  const parts: [number, number[], boolean][] = [
    [0, whole.slice(0, 24), true],
    [3, whole.slice(24, 40), true],
    [5, whole.slice(40), false],
  ];
  for (const order of [
    [0, 1, 2],
    [2, 1, 0],
    [1, 2, 0],
  ]) {
    const d = new PacketDissector();
    const outs = order.map((i) => {
      const [off8, bytes, mf] = parts[i] ?? [0, [], false];
      return d.dissect(raw(101, ipv4(bytes, { id: 99, mf, fragOffset8: off8 })));
    });
    assert.deepEqual(outs.slice(0, 2).map((o) => o.kind), ['fragment-held', 'fragment-held']);
    const last = outs[2];
    assert.ok(last !== undefined && last.kind === 'segment');
    assert.deepEqual(Array.from(last.segment.payload), payload);
    assert.equal(last.segment.frame, frameNo);
    const s = d.getStats();
    assert.deepEqual([s.ipFragments, s.ipReassembled, s.udp, s.ipFragmentsDropped], [3, 1, 1, 0]);
  }
});

test('IPv4 fragments: different ids do not mix; leftovers are dropped at the end; bounds hold', () => {
  const d = new PacketDissector({ fragments: { maxDatagrams: 2 } });
  const first = (id: number): RawFrame => raw(101, ipv4(udp(1, 2, new Array<number>(16).fill(id)).slice(0, 16), { id, mf: true }));
  const last = (id: number): RawFrame => raw(101, ipv4(new Array<number>(8).fill(id), { id, fragOffset8: 2 }));
  assert.equal(d.dissect(first(1)).kind, 'fragment-held');
  assert.equal(d.dissect(first(2)).kind, 'fragment-held');
  assert.equal(d.dissect(first(3)).kind, 'fragment-held'); // evicts id 1 (oldest)
  assert.equal(d.dissect(last(1)).kind, 'fragment-held'); // id 1 starts again, evicting id 2
  const o = d.dissect(last(3));
  assert.equal(o.kind, 'segment');
  d.finish();
  const s = d.getStats();
  assert.equal(s.ipFragments, 5);
  assert.equal(s.ipReassembled, 1);
  assert.equal(s.ipFragmentsDropped, 3); // id 1's first, id 2's first, id 1's last (at finish)
  // A fragment reaching past 65535 octets is refused outright.
  const huge = d.dissect(raw(101, ipv4(new Array<number>(16).fill(0), { id: 5, mf: true, fragOffset8: 8190 })));
  assert.equal(huge.kind, 'fragment-dropped');
});

test('IPv4 fragments: stale datagrams time out by capture time', () => {
  const d = new PacketDissector({ fragments: { timeoutNs: 1_000_000_000n } });
  const a = ipv4(udp(1, 2, new Array<number>(8).fill(1)).slice(0, 8), { id: 1, mf: true });
  const b = ipv4([1, 1, 1, 1, 1, 1, 1, 1], { id: 1, fragOffset8: 1 });
  assert.equal(d.dissect(raw(101, a, a.length, 0n)).kind, 'fragment-held');
  assert.equal(d.dissect(raw(101, b, b.length, 2_000_000_000n)).kind, 'fragment-held'); // first one expired
  assert.equal(d.getStats().ipFragmentsDropped, 1);
});

// ---------------------------------------------------------------------------------------------
// IPv6

test('IPv6 extension headers are walked: hop-by-hop, routing, destination options, AH, atomic fragment', () => {
  const body = udp(5060, 5061, [1, 2, 3]);
  const chain = [
    ...ext6(43), // hop-by-hop (8 octets) → routing
    ...ext6(60, 2), // routing (16 octets) → destination options
    ...ext6(51), // destination options (8 octets) → AH
    // AH: next header 44 (fragment), Payload Len 2 → (2 + 2) * 4 = 16 octets; SPI 1, seq 1, ICV 0.
    ...[44, 2, 0, 0, ...u32(1), ...u32(1), ...u32(0)],
  ];
  // Then an atomic fragment header (offset 0, M = 0; RFC 6946) → UDP.
  const pkt = ipv6(0, [...chain, ...frag6(17, 0, false, 7), ...body]);
  const out = dissect(raw(101, pkt));
  assert.deepEqual(segmentOf(out), { src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5060, dstPort: 5061, payload: [1, 2, 3], proto: 'udp' });
});

test('IPv6: no-next-header and ESP are other; cut extension headers are errors; padding trimmed', () => {
  assert.equal(dissect(raw(101, ipv6(59, []))).kind, 'other');
  assert.equal(dissect(raw(101, ipv6(50, [0, 0, 0, 1, 0, 0, 0, 1]))).kind, 'other');
  const cut = dissect(raw(101, ipv6(0, [17, 3, 0, 0, 0, 0, 0, 0])));
  assert.equal(cut.kind === 'error' && cut.error.code, 'truncated-ipv6-extension');
  const loop = dissect(raw(101, ipv6(60, new Array<number>(17).fill(0).flatMap(() => ext6(60)))));
  assert.equal(loop.kind === 'error' && loop.error.code, 'too-many-ipv6-extensions');
  assert.equal(dissect(raw(101, ipv6(17, []).slice(0, 39))).kind === 'error', true);
  const padded = [...eth(0x86dd, ipv6(17, udp(1, 2, [9]))), 0, 0, 0, 0];
  assert.deepEqual(segmentOf(dissect(raw(1, padded))).payload, [9]);
});

test('IPv6 fragments are reassembled, including a destination-options header after the fragment header', () => {
  const body = [...ext6(17), ...udp(1, 2, Array.from({ length: 20 }, (_, i) => 100 + i))]; // 8 + 28 = 36 octets
  const d = new PacketDissector();
  const a = d.dissect(raw(101, ipv6(44, [...frag6(60, 0, true, 0xdeadbeef), ...body.slice(0, 16)])));
  const b = d.dissect(raw(101, ipv6(44, [...frag6(60, 16, false, 0xdeadbeef), ...body.slice(16)])));
  assert.equal(a.kind, 'fragment-held');
  assert.deepEqual(segmentOf(b).payload, Array.from({ length: 20 }, (_, i) => 100 + i));
  assert.equal(d.getStats().ipFragments, 2);
  assert.equal(d.getStats().ipv6, 2);
});

// ---------------------------------------------------------------------------------------------
// Addresses

test('IPv6 text follows RFC 5952 (its own examples)', () => {
  const cases: [string, string][] = [
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // §4.2.1 shorten as much as possible
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 a single 0 is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
    ['2001:DB8::0001', '2001:db8::1'], // §4.1, §4.3 leading zeros, lower case
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'], // §5 IPv4-mapped in mixed notation
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'], // only ::ffff:0:0/96 gets mixed notation
  ];
  for (const [input, canonical] of cases) {
    const b = parseIpAddress(input);
    assert.ok(b !== undefined, input);
    assert.equal(formatIpv6(b), canonical, input);
  }
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::1.2.3', 'fe80::1%eth0', '1.2.3.256', '1.2.3', 'x']) {
    assert.equal(parseIpAddress(bad), undefined, bad);
  }
});

// ---------------------------------------------------------------------------------------------
// readCapture on a hand-built file

test('readCapture: numbering, kinds, stats and warnings over a small mixed pcap', () => {
  const frames = [
    eth(0x0800, UDP_4), // 1 udp
    eth(0x0806, new Array<number>(28).fill(0)), // 2 ARP: other
    eth(0x0800, ipv4(tcp(1, 2, 10, 0, 0x18, [1, 2]), { proto: 6 })), // 3 tcp
    eth(0x0800, ipv4(udp(1, 2, [5], 7))), // 4 malformed
    eth(0x86dd, ipv6(17, udp(3, 4, [6]))), // 5 udp v6
  ];
  const out: number[] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
  const le32 = (v: number): number[] => u32(v).reverse();
  frames.forEach((f, i) => out.push(...le32(100 + i), ...le32(500_000), ...le32(f.length), ...le32(f.length), ...f));
  const r = readCapture(Uint8Array.from(out));
  assert.ok(r.ok);
  const v = r.value;
  assert.equal(v.format, 'pcap');
  assert.deepEqual(v.packets.map((p) => [p.frame, p.proto, p.ipVersion]), [
    [1, 'udp', 4],
    [3, 'tcp', 4],
    [5, 'udp', 6],
  ]);
  assert.equal(v.packets[2]?.src, '2001:db8::1');
  assert.equal(v.packets[0]?.timeNs, 100_500_000_000n);
  assert.equal(v.packets[0]?.time, 100.5);
  assert.deepEqual(v.warnings.map((w) => [w.code, w.frame]), [['bad-udp-length', 4]]);
  assert.deepEqual(
    [v.stats.frames, v.stats.udp, v.stats.tcp, v.stats.other, v.stats.malformed, v.stats.truncated, v.stats.ipv6],
    [5, 2, 1, 1, 1, 0, 1],
  );
  const e = readCapture(Uint8Array.from([1, 2, 3, 4, 5]));
  assert.equal(e.ok ? '' : e.error.code, 'unknown-format');
});

test('readCapture keeps at most maxWarnings warnings and counts the rest', () => {
  const bad = eth(0x0800, [0x45, 0]); // cut IPv4 header, in a frame captured whole
  const out: number[] = [0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, ...new Array<number>(8).fill(0), 0, 0, 0xff, 0xff, 0, 0, 0, 1];
  for (let i = 0; i < 10; i++) out.push(...u32(0), ...u32(0), ...u32(bad.length), ...u32(bad.length), ...bad);
  const r = readCapture(Uint8Array.from(out), { maxWarnings: 3 });
  assert.ok(r.ok);
  assert.equal(r.value.warnings.length, 3);
  assert.equal(r.value.stats.warningsSuppressed, 7);
  assert.equal(r.value.stats.malformed, 10);
});
