/**
 * RTP packets (RFC 3550 §5.1 fixed header, §5.3.1 header extension): `decodeRtp` and
 * `encodeRtp` / `encodeRtpInto` for the datagrams of any RTP stream — T.38 over RTP
 * (src/t38/rtp-transport.ts) and, later, G.711 audio.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |   octets 0-3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                           timestamp                           |   octets 4-7
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           synchronization source (SSRC) identifier            |   octets 8-11
 *  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *  |            contributing source (CSRC) identifiers             |   CC × 4 octets
 *  |                             ....                              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      defined by profile       |           length              |   if X: 4 octets
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        header extension                       |   length × 4 octets
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  payload ...                  | padding ... | padding count   |   if P: count ≥ 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The decoder never throws: it returns typed errors, and the payload it returns is a subarray
 * of the input (no copy). The encoder validates every field and throws on API misuse.
 */

import { FaxwireError } from '../util/errors.js';
import { err, ok, type DecodeResult } from '../util/result.js';

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_SIZE = 12;
export const RTP_MAX_CSRCS = 15;

/** RFC 3550 §5.3.1 header extension: a 16-bit profile-defined value and 32-bit words of data. */
export interface RtpHeaderExtension {
  readonly profile: number;
  /** Extension data; its length is a multiple of 4 (the wire length counts 32-bit words). */
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly marker: boolean;
  /** 0 … 127. */
  readonly payloadType: number;
  /** 0 … 65535. */
  readonly sequenceNumber: number;
  /** 0 … 2³²−1. */
  readonly timestamp: number;
  readonly ssrc: number;
  /** At most 15 (the 4-bit CC field). */
  readonly csrcs: readonly number[];
  /** Present iff the X bit is set. */
  readonly extension: RtpHeaderExtension | null;
  readonly payload: Uint8Array;
  /**
   * Padding octets after the payload, the count octet included (P bit set iff > 0; 1 … 255).
   * The encoder writes zeros then the count; the decoder reports the count and drops them.
   */
  readonly paddingLength: number;
}

export type RtpDecodeErrorCode = 'truncated-header' | 'bad-version' | 'truncated-csrc' | 'truncated-extension' | 'bad-padding';

export interface RtpDecodeError {
  readonly code: RtpDecodeErrorCode;
  readonly message: string;
  readonly offset: number;
}

/** Decodes one RTP datagram. `bytesRead` is always the whole datagram. */
export function decodeRtp(bytes: Uint8Array): DecodeResult<RtpPacket, RtpDecodeError> {
  const n = bytes.length;
  if (n < RTP_FIXED_HEADER_SIZE) {
    return err({ code: 'truncated-header', message: `RTP datagram of ${n} octets is shorter than the 12-octet header`, offset: n });
  }
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  const version = b0 >>> 6;
  if (version !== RTP_VERSION) {
    return err({ code: 'bad-version', message: `RTP version ${version}, expected 2`, offset: 0 });
  }
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  let pos = RTP_FIXED_HEADER_SIZE;
  if (n < pos + cc * 4) {
    return err({ code: 'truncated-csrc', message: `RTP CSRC list of ${cc} entries runs past the datagram`, offset: n });
  }
  const csrcs: number[] = [];
  for (let k = 0; k < cc; k++) {
    csrcs.push(dv.getUint32(pos));
    pos += 4;
  }
  let extension: RtpHeaderExtension | null = null;
  if (hasExtension) {
    if (n < pos + 4) {
      return err({ code: 'truncated-extension', message: 'RTP header extension header runs past the datagram', offset: n });
    }
    const profile = dv.getUint16(pos);
    const words = dv.getUint16(pos + 2);
    pos += 4;
    if (n < pos + words * 4) {
      return err({
        code: 'truncated-extension',
        message: `RTP header extension of ${words} words runs past the datagram`,
        offset: n,
      });
    }
    extension = { profile, data: bytes.subarray(pos, pos + words * 4) };
    pos += words * 4;
  }
  let end = n;
  let paddingLength = 0;
  if (hasPadding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included, so it is ≥ 1.
    // Appendix A.1's validity check wants it below the length after the header; we also accept
    // a count equal to it (padding-only packets, used e.g. for bandwidth probing).
    paddingLength = bytes[n - 1]!;
    if (paddingLength === 0 || paddingLength > n - pos) {
      return err({
        code: 'bad-padding',
        message: `RTP padding count ${paddingLength} is invalid for ${n - pos} octets after the header`,
        offset: n - 1,
      });
    }
    end = n - paddingLength;
  }
  return ok(
    {
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: dv.getUint16(2),
      timestamp: dv.getUint32(4),
      ssrc: dv.getUint32(8),
      csrcs,
      extension,
      payload: bytes.subarray(pos, end),
      paddingLength,
    },
    n,
  );
}

/** Throws FAXWIRE_ERR_VALUE_OUT_OF_RANGE unless `v` is an integer in 0..max (RTP and RFC 2198 fields). */
export function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `${name} must be an integer in 0..${max}, got ${v}`);
  }
}

/** Octets `encodeRtpInto` will write; validates every field (throws on API misuse). */
export function rtpEncodedSize(p: RtpPacket): number {
  checkUint('payloadType', p.payloadType, 0x7f);
  checkUint('sequenceNumber', p.sequenceNumber, 0xffff);
  checkUint('timestamp', p.timestamp, 0xffffffff);
  checkUint('ssrc', p.ssrc, 0xffffffff);
  if (p.csrcs.length > RTP_MAX_CSRCS) {
    throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `at most ${RTP_MAX_CSRCS} CSRCs, got ${p.csrcs.length}`);
  }
  for (const c of p.csrcs) checkUint('csrc', c, 0xffffffff);
  let size = RTP_FIXED_HEADER_SIZE + 4 * p.csrcs.length;
  if (p.extension !== null) {
    checkUint('extension.profile', p.extension.profile, 0xffff);
    const len = p.extension.data.length;
    if (len % 4 !== 0 || len / 4 > 0xffff) {
      throw new FaxwireError(
        'FAXWIRE_ERR_VALUE_OUT_OF_RANGE',
        `header extension data must be a multiple of 4 octets, at most 65535 words; got ${len} octets`,
      );
    }
    size += 4 + len;
  }
  checkUint('paddingLength', p.paddingLength, 0xff);
  return size + p.payload.length + p.paddingLength;
}

export function encodeRtpInto(p: RtpPacket, buf: Uint8Array, offset = 0): number {
  const size = rtpEncodedSize(p);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad offset ${offset}`);
  }
  if (buf.length - offset < size) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `RTP packet needs ${size} octets, ${buf.length - offset} available`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset + offset, size);
  dv.setUint8(
    0,
    (RTP_VERSION << 6) | (p.paddingLength > 0 ? 0x20 : 0) | (p.extension !== null ? 0x10 : 0) | p.csrcs.length,
  );
  dv.setUint8(1, (p.marker ? 0x80 : 0) | p.payloadType);
  dv.setUint16(2, p.sequenceNumber);
  dv.setUint32(4, p.timestamp);
  dv.setUint32(8, p.ssrc);
  let pos = RTP_FIXED_HEADER_SIZE;
  for (const c of p.csrcs) {
    dv.setUint32(pos, c);
    pos += 4;
  }
  if (p.extension !== null) {
    dv.setUint16(pos, p.extension.profile);
    dv.setUint16(pos + 2, p.extension.data.length / 4);
    buf.set(p.extension.data, offset + pos + 4);
    pos += 4 + p.extension.data.length;
  }
  buf.set(p.payload, offset + pos);
  pos += p.payload.length;
  if (p.paddingLength > 0) {
    buf.fill(0, offset + pos, offset + pos + p.paddingLength - 1);
    buf[offset + pos + p.paddingLength - 1] = p.paddingLength;
    pos += p.paddingLength;
  }
  return pos;
}

export function encodeRtp(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(rtpEncodedSize(p));
  encodeRtpInto(p, out, 0);
  return out;
}
