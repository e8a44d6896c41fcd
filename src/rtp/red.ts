/**
 * RFC 2198 redundant audio data: the "red" payload, which carries a primary block and copies
 * of earlier payloads (redundant blocks) in one RTP packet, so a receiver can restore the
 * payloads of lost packets. `decodeRed` / `encodeRed` / `encodeRedInto`.
 *
 * RFC 2198 §3. Headers first, then the blocks in the same order, the primary last:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |1|   block PT  |  timestamp offset (14)    |  block length (10)|   one per redundant block
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0|   block PT  |                                                   final header (primary)
 *  +-+-+-+-+-+-+-+-+
 *  | redundant block 1 | redundant block 2 | ... | primary block (rest of the payload)    |
 *
 *  F = 1: another header follows; F = 0: last header, 1 octet. The timestamp offset is unsigned
 *  and subtracted from the RTP header timestamp: redundancy can only repeat *earlier* data.
 *
 * The decoder never throws and bounds the number of blocks it accepts; the blocks it returns
 * are subarrays of the input (no copy).
 */

import { FaxwireError } from '../util/errors.js';
import { err, ok, type DecodeResult } from '../util/result.js';
import { checkUint } from './packet.js';

/** One redundant block: a copy of an earlier payload. */
export interface RedBlock {
  /** Block PT, 0 … 127. */
  readonly payloadType: number;
  /** RTP timestamp of the packet header minus this block's timestamp, 0 … 16383 (14 bits). */
  readonly timestampOffset: number;
  /** 0 … 1023 octets (10-bit block length). */
  readonly data: Uint8Array;
}

export interface RedPayload {
  /**
   * Redundant blocks in wire order. RFC 2198 §3 only puts the primary last; we send the others
   * oldest first, as RFC 4103 §7.1's example does.
   */
  readonly redundant: readonly RedBlock[];
  /** PT of the primary block (final 1-octet header). */
  readonly primaryPayloadType: number;
  /** The primary block: everything after the redundant blocks (its length is implicit). */
  readonly primary: Uint8Array;
}

export const RED_MAX_TIMESTAMP_OFFSET = 0x3fff;
export const RED_MAX_BLOCK_LENGTH = 0x3ff;
/** Default bound on redundant blocks accepted by `decodeRed` (each costs a 4-octet header). */
export const RED_DEFAULT_MAX_BLOCKS = 32;

export type RedDecodeErrorCode = 'truncated-header' | 'too-many-blocks' | 'truncated-block';

export interface RedDecodeError {
  readonly code: RedDecodeErrorCode;
  readonly message: string;
  readonly offset: number;
}

/** Decodes an RFC 2198 payload. `bytesRead` is always the whole payload. */
export function decodeRed(bytes: Uint8Array, maxBlocks: number = RED_DEFAULT_MAX_BLOCKS): DecodeResult<RedPayload, RedDecodeError> {
  const n = bytes.length;
  let pos = 0;
  const headers: { payloadType: number; timestampOffset: number; length: number }[] = [];
  for (;;) {
    if (pos >= n) {
      return err({ code: 'truncated-header', message: 'RFC 2198 payload ends before its final (F=0) header', offset: pos });
    }
    const h0 = bytes[pos]!;
    if ((h0 & 0x80) === 0) {
      pos += 1;
      let dataPos = pos;
      const blocks: RedBlock[] = [];
      for (const h of headers) {
        if (n - dataPos < h.length) {
          return err({
            code: 'truncated-block',
            message: `RFC 2198 block of ${h.length} octets runs past the payload`,
            offset: n,
          });
        }
        blocks.push({ payloadType: h.payloadType, timestampOffset: h.timestampOffset, data: bytes.subarray(dataPos, dataPos + h.length) });
        dataPos += h.length;
      }
      return ok({ redundant: blocks, primaryPayloadType: h0 & 0x7f, primary: bytes.subarray(dataPos) }, n);
    }
    if (headers.length >= maxBlocks) {
      return err({ code: 'too-many-blocks', message: `more than ${maxBlocks} RFC 2198 redundant blocks`, offset: pos });
    }
    if (n - pos < 4) {
      return err({ code: 'truncated-header', message: 'RFC 2198 block header (4 octets) runs past the payload', offset: n });
    }
    const h1 = bytes[pos + 1]!;
    const h2 = bytes[pos + 2]!;
    const h3 = bytes[pos + 3]!;
    headers.push({
      payloadType: h0 & 0x7f,
      timestampOffset: (h1 << 6) | (h2 >>> 2),
      length: ((h2 & 0x03) << 8) | h3,
    });
    pos += 4;
  }
}

export function redEncodedSize(r: RedPayload): number {
  let size = 1 + r.primary.length;
  for (const b of r.redundant) {
    checkUint('block payloadType', b.payloadType, 0x7f);
    checkUint('timestampOffset', b.timestampOffset, RED_MAX_TIMESTAMP_OFFSET);
    if (b.data.length > RED_MAX_BLOCK_LENGTH) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `RFC 2198 block of ${b.data.length} octets exceeds 1023`);
    }
    size += 4 + b.data.length;
  }
  checkUint('primaryPayloadType', r.primaryPayloadType, 0x7f);
  return size;
}

export function encodeRedInto(r: RedPayload, buf: Uint8Array, offset = 0): number {
  const size = redEncodedSize(r);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bad offset ${offset}`);
  }
  if (buf.length - offset < size) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `RFC 2198 payload needs ${size} octets, ${buf.length - offset} available`);
  }
  let pos = offset;
  for (const b of r.redundant) {
    buf[pos] = 0x80 | b.payloadType;
    buf[pos + 1] = b.timestampOffset >>> 6;
    buf[pos + 2] = ((b.timestampOffset & 0x3f) << 2) | (b.data.length >>> 8);
    buf[pos + 3] = b.data.length & 0xff;
    pos += 4;
  }
  buf[pos++] = r.primaryPayloadType;
  for (const b of r.redundant) {
    buf.set(b.data, pos);
    pos += b.data.length;
  }
  buf.set(r.primary, pos);
  pos += r.primary.length;
  return pos - offset;
}

export function encodeRed(r: RedPayload): Uint8Array {
  const out = new Uint8Array(redEncodedSize(r));
  encodeRedInto(r, out, 0);
  return out;
}
