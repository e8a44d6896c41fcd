/**
 * `faxwire/rtp` — RTP packets (RFC 3550 §5.1, §5.3.1) and RFC 2198 redundancy, for every RTP
 * stream of a call: T.38 over RTP (`faxwire/t38`'s RtpT38Sender/Receiver) and G.711 audio.
 */
export {
  decodeRtp,
  encodeRtp,
  encodeRtpInto,
  rtpEncodedSize,
  RTP_FIXED_HEADER_SIZE,
  RTP_MAX_CSRCS,
  RTP_VERSION,
  type RtpDecodeError,
  type RtpDecodeErrorCode,
  type RtpHeaderExtension,
  type RtpPacket,
} from './packet.js';
export * from './red.js';
