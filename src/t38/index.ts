/**
 * `faxwire/t38` — the T.38 wire layer: IFP codec (T.38 §7, both ASN.1 modules), UDPTL packet
 * codec, sender and receiver (T.38 §9.1, redundancy and parity FEC), TPKT and bare-TCP framing,
 * T.38 over RTP (RFC 4612; the RTP and RFC 2198 codecs are `faxwire/rtp`), the receive-side
 * field assembler, the source filter (who may send UDPTL), and the modulation ⇄ indicator / data-type maps (T.38 §7.2, §7.3).
 */
export * from './ifp.js';
export * from './modulation-map.js';
export * from './udptl.js';
export * from './udptl-sender.js';
export * from './udptl-receiver.js';
export * from './udptl-timed-receiver.js';
export * from './source-filter.js';
export * from './tpkt.js';
export * from './tcp-bare.js';
export * from './rtp-transport.js';
export * from './field-assembler.js';
