/**
 * The framing of an audio leg on UDP, shared by the audio fax terminal's driver
 * (audio-driver.ts) and the gateway's (gateway-driver.ts): one audio frame per datagram,
 * `frameMs` of 8 kHz samples, 16-bit linear little-endian ("slin", 2 octets a sample) or G.711
 * A-law/µ-law (1 octet a sample), optionally behind a 12-byte RTP header (RFC 3550 §5.1;
 * PT 8 = PCMA, 0 = PCMU, RFC 3551 Table 4) — the framing of the spandsp reference peer's
 * `audiofax` and `t38gw`.
 *
 * `AudioFraming` checks the options once, tells a well-formed frame (for source latching), takes
 * the payload out of a datagram, decodes a payload into linear samples, and builds the next
 * datagram (its own RTP sequence number, timestamp and SSRC). Decoding writes into caller-owned
 * buffers; encoding allocates one datagram, which `dgram` keeps until the send completes.
 */

import type { Socket } from 'node:dgram';

import { G711_PAYLOAD_TYPE, g711Decode, g711Encode } from '../g711/index.js';
import { decodeRtp, encodeRtpInto, RTP_FIXED_HEADER_SIZE } from '../rtp/packet.js';
import { systemRandom32 } from '../util/random.js';

/** Payload coding of an audio leg. */
export type AudioFrameCodec = 'slin' | 'alaw' | 'ulaw';

export interface AudioFramingOptions {
  readonly codec: AudioFrameCodec;
  /** 12-byte RTP header on every frame (G.711 only). Default false. */
  readonly rtp?: boolean;
  /** Frame length, ms (integer 10..60, default 20). */
  readonly frameMs?: number;
}

/** One audio leg on a UDP socket: its framing, the play-out cushion and where it goes (the audio driver and the gateway driver). */
export interface AudioLegOptions extends AudioFramingOptions {
  /** Play-out cushion, frames (default 2). */
  readonly cushion?: number;
  /** Local UDP port (0: any). Ignored when `socket` is given. */
  readonly localPort: number;
  /** An already bound socket to use (closed at the end). */
  readonly socket?: Socket;
  readonly localAddress?: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** Symmetric latching: answer the first source of a well-formed frame. */
  readonly latch?: boolean;
}

/** A received datagram's payload (and its RTP sequence number when RTP), or why it is not a frame. */
export type ReceivedFrame = { readonly ok: true; readonly payload: Uint8Array; readonly seq: number } | { readonly ok: false };

const NO_PAYLOAD = new Uint8Array(0);

export class AudioFraming {
  readonly codec: AudioFrameCodec;
  readonly rtp: boolean;
  readonly frameMs: number;
  /** Samples per frame. */
  readonly samples: number;
  /** Payload octets per frame. */
  readonly payloadBytes: number;
  /** Octets before the payload (the RTP header, or none). */
  readonly headerBytes: number;
  private readonly payloadType: number;
  private txSeq = systemRandom32() & 0xffff;
  private txTs = systemRandom32() >>> 0;
  private readonly ssrc = systemRandom32() >>> 0;

  /** Throws RangeError on bad options (the CLI checks them before). */
  constructor(o: AudioFramingOptions) {
    this.codec = o.codec;
    this.frameMs = o.frameMs ?? 20;
    if (!Number.isInteger(this.frameMs) || this.frameMs < 10 || this.frameMs > 60) throw new RangeError(`frameMs must be an integer 10..60, got ${this.frameMs}`);
    this.rtp = o.rtp ?? false;
    if (this.rtp && o.codec === 'slin') throw new RangeError('RTP framing is for G.711 (alaw/ulaw) only');
    this.samples = this.frameMs * 8;
    this.payloadBytes = o.codec === 'slin' ? this.samples * 2 : this.samples;
    this.headerBytes = this.rtp ? RTP_FIXED_HEADER_SIZE : 0;
    this.payloadType = o.codec === 'slin' ? 0 : G711_PAYLOAD_TYPE[o.codec];
  }

  /** A datagram of exactly one frame (with a decodable RTP header when RTP) — what may set a latch. */
  isValid(d: Uint8Array): boolean {
    if (!this.rtp) return d.length === this.payloadBytes;
    const p = decodeRtp(d);
    return p.ok && p.value.payload.length === this.payloadBytes;
  }

  /** The payload of a received datagram (a view, no copy); not ok when it is not one frame. */
  receive(d: Uint8Array): ReceivedFrame {
    if (!this.rtp) return d.length === this.payloadBytes ? { ok: true, payload: d, seq: 0 } : { ok: false };
    const p = decodeRtp(d);
    if (!p.ok || p.value.payload.length !== this.payloadBytes) return { ok: false };
    return { ok: true, payload: p.value.payload, seq: p.value.sequenceNumber };
  }

  /** One frame's payload → `samples` linear samples in `out`. */
  decode(payload: Uint8Array, out: Int16Array): void {
    const n = this.samples;
    if (this.codec === 'slin') {
      for (let i = 0; i < n; i++) {
        const v = (payload[2 * i] as number) | ((payload[2 * i + 1] as number) << 8);
        out[i] = v >= 0x8000 ? v - 0x10000 : v;
      }
    } else {
      g711Decode(this.codec, payload, out, n);
    }
  }

  /** The next datagram carrying `samples` linear samples from `linear` (RTP: the next seq/timestamp). */
  encode(linear: Int16Array): Uint8Array {
    const n = this.samples;
    const h = this.headerBytes;
    const out = new Uint8Array(h + this.payloadBytes);
    if (this.rtp) {
      encodeRtpInto({ marker: false, payloadType: this.payloadType, sequenceNumber: this.txSeq, timestamp: this.txTs, ssrc: this.ssrc, csrcs: [], extension: null, payload: NO_PAYLOAD, paddingLength: 0 }, out, 0);
      this.txSeq = (this.txSeq + 1) & 0xffff;
      this.txTs = (this.txTs + n) >>> 0;
    }
    if (this.codec === 'slin') {
      for (let i = 0; i < n; i++) {
        const v = linear[i] as number;
        out[h + 2 * i] = v & 0xff;
        out[h + 2 * i + 1] = (v >> 8) & 0xff;
      }
    } else {
      g711Encode(this.codec, linear, out.subarray(h), n);
    }
    return out;
  }
}
