/**
 * `faxwire/hdlc` — HDLC framing as a fax modem carries it (T.30 §5.3.1; ISO/IEC 13239): flags,
 * zero-bit insertion, CRC-16 FCS, aborts.
 */
export {};
