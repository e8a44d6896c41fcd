/**
 * `faxwire/hdlc` — HDLC framing as a fax modem carries it (T.30 §5.3.1, §5.3.7;
 * ISO/IEC 13239): flags, zero-bit insertion, the CRC-16 FCS, aborts.
 *
 * - `HdlcFramer`: frames in, line bits out — a modem transmitter's BitSource (`getBit()`).
 * - `HdlcDeframer`: line bits in — a modem receiver's BitSink (`putBit`, `status`) — frames out
 *   to an `HdlcSink`, whole or progressively.
 * - `crc16Itu` and friends: the FCS.
 *
 * Octet order is an option of both (`bitOrder`, see bits.ts): `'lsb-first'` (ISO 13239, the
 * default) or `'msb-first'` (T.38 hdlc-data and faxwire's T.30 frame codec).
 */
export { BIT_REVERSE, hdlcFrameLineBits, hdlcPreambleFlags, reverseOctetBits, type HdlcBitOrder } from './bits.js';
export { CRC16_ITU_GOOD, CRC16_ITU_INIT, CRC16_ITU_TABLE, crc16Itu, crc16ItuOctet, crc16ItuUpdate, hdlcAppendFcs, hdlcCheckFcs } from './crc.js';
export { HDLC_DEFAULT_MAX_FRAME, HDLC_END_OF_DATA, HdlcFramer, type HdlcFramerOptions, type HdlcFramerStats } from './framer.js';
export { HdlcDeframer, type HdlcDeframerOptions, type HdlcDeframerStats, type HdlcFrameEnd, type HdlcSink } from './deframer.js';
