/**
 * The HDLC frame check sequence: CRC-16-CCITT as ISO/IEC 13239 (16-bit FCS) and ITU-T T.30 §5.3.7
 * define it for fax (the same FCS as V.42 and X.25, catalogued as "CRC-16/X-25").
 *
 * - Generator x^16 + x^12 + x^5 + 1.
 * - The register starts at all ones; the FCS is the ones' complement of the remainder.
 * - Bits are processed in line order, and HDLC sends each octet low-order bit first, so the
 *   computation is the bit-reflected one: polynomial 0x8408 shifting right, octet values as
 *   ISO 13239 writes them (bit 1 = first on the line = LSB).
 * - The FCS goes out low-order bit first too: low octet first, each LSB first
 *   (`fcs & 0xff`, then `fcs >> 8`).
 * - Receiver check (ISO/IEC 13239): running the same register over the frame *and* its
 *   FCS leaves the fixed remainder 0xF0B8 ("good FCS") when nothing was corrupted.
 *
 * Table-driven, one table lookup per octet; the 256-entry table is built once at module load.
 */

/** Initial register value (all ones). */
export const CRC16_ITU_INIT = 0xffff;
/** The register after a frame and its own FCS when the frame is good (ISO/IEC 13239). */
export const CRC16_ITU_GOOD = 0xf0b8;
/** x^16 + x^12 + x^5 + 1, bit-reflected (x^0 term in the MSB of the 16-bit value). */
const POLY_REFLECTED = 0x8408;

/** Register update for each possible octet, reflected form. */
export const CRC16_ITU_TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** One octet into the register (octet value as sent: LSB first on the line). */
export function crc16ItuOctet(crc: number, octet: number): number {
  return (crc >>> 8) ^ (CRC16_ITU_TABLE[(crc ^ octet) & 0xff] as number);
}

/**
 * Runs the register over `data[start…end)` starting from `crc` (CRC16_ITU_INIT for a new frame)
 * and returns the new register, not complemented: for computing an FCS piecewise, or checking a
 * received frame with its FCS against CRC16_ITU_GOOD.
 */
export function crc16ItuUpdate(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  let c = crc & 0xffff;
  for (let i = start; i < end; i++) c = (c >>> 8) ^ (CRC16_ITU_TABLE[(c ^ (data[i] as number)) & 0xff] as number);
  return c;
}

/**
 * The FCS of `data[start…end)`: CRC-16/X-25 (check value 0x906E for the ASCII "123456789").
 * It is sent as `fcs & 0xff` then `fcs >> 8`.
 */
export function crc16Itu(data: Uint8Array, start = 0, end = data.length): number {
  return ~crc16ItuUpdate(CRC16_ITU_INIT, data, start, end) & 0xffff;
}

/** A new array: `frame` followed by its FCS (low octet first), octets in ISO 13239 (LSB-first) order. */
export function hdlcAppendFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 2);
  out.set(frame);
  const fcs = crc16Itu(frame);
  out[frame.length] = fcs & 0xff;
  out[frame.length + 1] = fcs >>> 8;
  return out;
}

/**
 * Whether `data[start…end)` — a frame followed by its two FCS octets as received — is good
 * (octets in ISO 13239 LSB-first order). False when there are fewer than 2 octets.
 */
export function hdlcCheckFcs(data: Uint8Array, start = 0, end = data.length): boolean {
  return end - start >= 2 && crc16ItuUpdate(CRC16_ITU_INIT, data, start, end) === CRC16_ITU_GOOD;
}
