/**
 * Classic pcap writer (draft-ietf-opsawg-pcap §4 file header, §5 packet record): microsecond
 * magic a1b2c3d4 written little-endian, version 2.4. Each record becomes one frame — Ethernet II
 * (LINKTYPE 1) or raw IP (LINKTYPE 101) — carrying IPv4 (RFC 791 §3.1) or IPv6 (RFC 8200 §3,
 * chosen when the addresses are IPv6) and UDP (RFC 768) or TCP (RFC 9293 §3.1), with every
 * checksum right so that a protocol analyser flags nothing: the IPv4 header checksum and the
 * UDP/TCP checksums over the pseudo-header (RFC 768; RFC 9293 §3.1; RFC 8200 §8.1), computed as
 * RFC 1071 describes. Used by tests and by tooling that needs to hand a capture to tshark.
 *
 * Encoder conventions: `pcapEncodedSize` + `encodePcapInto` (throws `FaxwireError` on API
 * misuse: bad address, port, length or time) and the convenience `writePcap`.
 */

import { FaxwireError } from '../util/errors.js';
import { invalidArgument } from '../util/check.js';
import { parseIpAddress, type TcpFlags } from './packet.js';

export interface PcapWriteRecord {
  /** Capture time, nanoseconds since the epoch (written with microsecond resolution, truncated). */
  readonly timeNs: bigint;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: 'udp' | 'tcp';
  readonly payload: Uint8Array;
  /** TCP sequence number (default 0). */
  readonly tcpSeq?: number;
  /** TCP acknowledgment number (default 0). */
  readonly tcpAck?: number;
  /** TCP flags; absent ones are false. Default: ACK, plus PSH when there is payload. */
  readonly tcpFlags?: Partial<TcpFlags>;
}

export interface PcapWriteOptions {
  /** Link layer of every frame (default 'ethernet'). */
  readonly linkType?: 'ethernet' | 'raw';
}

const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const ETH_HEADER = 14;
const SNAPLEN = 262144;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
/** Locally administered unicast MACs (IEEE 802 "U/L" bit set): obviously synthetic. */
const MAC_DST = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02] as const;
const MAC_SRC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01] as const;

/** RFC 1071 one's-complement sum of `len` octets at `off`, added to `acc` (unfolded). */
function sum16(b: Uint8Array, off: number, len: number, acc: number): number {
  let i = 0;
  for (; i + 1 < len; i += 2) acc += ((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0);
  if (i < len) acc += (b[off + i] ?? 0) << 8; // odd length: pad with a zero octet
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/**
 * The Internet checksum (RFC 1071) of `bytes`: the one's complement of the one's-complement
 * sum of its 16-bit words. A header that includes its own correct checksum sums to 0xffff,
 * so this returns 0 for it.
 */
export function internetChecksum(bytes: Uint8Array): number {
  return ~fold(sum16(bytes, 0, bytes.length, 0)) & 0xffff;
}

interface Prepared {
  readonly rec: PcapWriteRecord;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly v6: boolean;
  readonly transportLen: number;
  readonly frameLen: number;
}

function checkU32(v: number | undefined, what: string, i: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
    throw invalidArgument(`record ${i}: ${what} ${v} is not a 32-bit unsigned integer`);
  }
}

function prepare(records: readonly PcapWriteRecord[], opts: PcapWriteOptions): Prepared[] {
  const link = opts.linkType ?? 'ethernet';
  return records.map((rec, i) => {
    const src = parseIpAddress(rec.src);
    const dst = parseIpAddress(rec.dst);
    if (src === undefined) throw invalidArgument(`record ${i}: source address "${rec.src}" is not IPv4 or IPv6 text`);
    if (dst === undefined) throw invalidArgument(`record ${i}: destination address "${rec.dst}" is not IPv4 or IPv6 text`);
    if (src.length !== dst.length) throw invalidArgument(`record ${i}: ${rec.src} and ${rec.dst} are of different IP versions`);
    for (const [p, what] of [
      [rec.srcPort, 'source port'],
      [rec.dstPort, 'destination port'],
    ] as const) {
      if (!(Number.isInteger(p) && p >= 0 && p <= 0xffff)) throw invalidArgument(`record ${i}: ${what} ${p} out of range`);
    }
    if (rec.timeNs < 0n || rec.timeNs / 1_000_000_000n > 0xffffffffn) {
      throw invalidArgument(`record ${i}: time ${rec.timeNs} ns does not fit a pcap timestamp`);
    }
    checkU32(rec.tcpSeq, 'tcpSeq', i);
    checkU32(rec.tcpAck, 'tcpAck', i);
    const v6 = src.length === 16;
    const transportLen = (rec.proto === 'udp' ? 8 : 20) + rec.payload.length;
    // IPv4 Total Length and IPv6 Payload Length are 16-bit fields.
    if ((v6 ? transportLen : 20 + transportLen) > 0xffff) {
      throw invalidArgument(`record ${i}: payload of ${rec.payload.length} bytes does not fit one IP packet`);
    }
    const frameLen = (link === 'ethernet' ? ETH_HEADER : 0) + (v6 ? 40 : 20) + transportLen;
    return { rec, src, dst, v6, transportLen, frameLen };
  });
}

/** Size in bytes of the pcap file `encodePcapInto` writes for `records`. */
export function pcapEncodedSize(records: readonly PcapWriteRecord[], opts: PcapWriteOptions = {}): number {
  return prepare(records, opts).reduce((n, p) => n + RECORD_HEADER + p.frameLen, FILE_HEADER);
}

/** Write the pcap file for `records` into `buf` at `offset`; returns the bytes written. */
export function encodePcapInto(
  records: readonly PcapWriteRecord[],
  buf: Uint8Array,
  offset: number,
  opts: PcapWriteOptions = {},
): number {
  const prepared = prepare(records, opts);
  const size = prepared.reduce((n, p) => n + RECORD_HEADER + p.frameLen, FILE_HEADER);
  if (!Number.isInteger(offset) || offset < 0) throw invalidArgument(`offset ${offset}`);
  if (buf.length - offset < size) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `pcap needs ${size} bytes, ${buf.length - offset} available`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const ethernet = (opts.linkType ?? 'ethernet') === 'ethernet';
  buf.fill(0, offset, offset + size);

  // File header, little-endian (draft-ietf-opsawg-pcap §4).
  dv.setUint32(offset, 0xa1b2c3d4, true);
  dv.setUint16(offset + 4, 2, true);
  dv.setUint16(offset + 6, 4, true);
  dv.setUint32(offset + 16, SNAPLEN, true);
  dv.setUint32(offset + 20, ethernet ? LINKTYPE_ETHERNET : LINKTYPE_RAW, true);
  let p = offset + FILE_HEADER;

  prepared.forEach((pr, index) => {
    const { rec } = pr;
    dv.setUint32(p, Number(rec.timeNs / 1_000_000_000n), true);
    dv.setUint32(p + 4, Number((rec.timeNs % 1_000_000_000n) / 1000n), true);
    dv.setUint32(p + 8, pr.frameLen, true);
    dv.setUint32(p + 12, pr.frameLen, true);
    p += RECORD_HEADER;

    if (ethernet) {
      buf.set(MAC_DST, p);
      buf.set(MAC_SRC, p + 6);
      dv.setUint16(p + 12, pr.v6 ? 0x86dd : 0x0800);
      p += ETH_HEADER;
    }

    const protoNum = rec.proto === 'udp' ? 17 : 6;
    const ip = p;
    if (pr.v6) {
      dv.setUint32(ip, 0x60000000); // version 6, traffic class 0, flow label 0
      dv.setUint16(ip + 4, pr.transportLen);
      buf[ip + 6] = protoNum;
      buf[ip + 7] = 64; // hop limit
      buf.set(pr.src, ip + 8);
      buf.set(pr.dst, ip + 24);
      p += 40;
    } else {
      buf[ip] = 0x45; // version 4, IHL 5
      dv.setUint16(ip + 2, 20 + pr.transportLen);
      dv.setUint16(ip + 4, index & 0xffff); // Identification: the record index
      dv.setUint16(ip + 6, 0x4000); // DF, offset 0
      buf[ip + 8] = 64; // TTL
      buf[ip + 9] = protoNum;
      buf.set(pr.src, ip + 12);
      buf.set(pr.dst, ip + 16);
      dv.setUint16(ip + 10, internetChecksum(buf.subarray(ip, ip + 20)));
      p += 20;
    }

    const th = p;
    dv.setUint16(th, rec.srcPort);
    dv.setUint16(th + 2, rec.dstPort);
    if (rec.proto === 'udp') {
      dv.setUint16(th + 4, pr.transportLen);
      buf.set(rec.payload, th + 8);
    } else {
      dv.setUint32(th + 4, rec.tcpSeq ?? 0);
      dv.setUint32(th + 8, rec.tcpAck ?? 0);
      buf[th + 12] = 5 << 4; // data offset 5 words, no options
      const f = rec.tcpFlags ?? { ack: true, psh: rec.payload.length > 0 };
      buf[th + 13] =
        (f.fin === true ? 0x01 : 0) |
        (f.syn === true ? 0x02 : 0) |
        (f.rst === true ? 0x04 : 0) |
        (f.psh === true ? 0x08 : 0) |
        (f.ack === true ? 0x10 : 0);
      dv.setUint16(th + 14, 65535); // window
      buf.set(rec.payload, th + 20);
    }
    // Pseudo-header: addresses, then protocol and transport length (RFC 768; RFC 8200 §8.1).
    let acc = sum16(pr.src, 0, pr.src.length, 0);
    acc = sum16(pr.dst, 0, pr.dst.length, acc);
    acc += protoNum + (pr.transportLen & 0xffff) + Math.floor(pr.transportLen / 0x10000);
    acc = sum16(buf, th, pr.transportLen, acc);
    let ck = ~fold(acc) & 0xffff;
    // UDP: a computed 0 is sent as all ones, 0 meaning "no checksum" (RFC 768).
    if (rec.proto === 'udp' && ck === 0) ck = 0xffff;
    dv.setUint16(th + (rec.proto === 'udp' ? 6 : 16), ck);
    p = th + pr.transportLen;
  });
  return p - offset;
}

/** Build a classic pcap file (µs resolution) from `records`; throws `FaxwireError` on bad input. */
export function writePcap(records: readonly PcapWriteRecord[], opts: PcapWriteOptions = {}): Uint8Array {
  const out = new Uint8Array(pcapEncodedSize(records, opts));
  encodePcapInto(records, out, 0, opts);
  return out;
}
