/**
 * Octet ⇄ line bit order, and how many bits a frame takes on the line.
 *
 * On the line HDLC sends each octet low-order bit first (ISO/IEC 13239, order of bit
 * transmission; T.30 §5.3 draws frames in that order, first bit on the left). Software holds
 * frame octets in one of two ways:
 *
 * - `'lsb-first'` — the first bit on the line is the octet's LSB (ISO 13239's numbering, and
 *   spandsp's frame buffers): DIS reads `ff 13 80 …`.
 * - `'msb-first'` — the first bit on the line is the octet's MSB, as T.30 frames are written
 *   left to right and as T.38 `hdlc-data` carries them (T.38 §7.4); faxwire's T.30 frame codec
 *   and `T38FieldAssembler` use this: DIS reads `ff c8 01 …`.
 *
 * The FCS is not affected: it is always computed over the line bits and never delivered.
 */

import { CRC16_ITU_INIT, crc16ItuOctet } from './crc.js';

export type HdlcBitOrder = 'lsb-first' | 'msb-first';

/** `BIT_REVERSE[x]`: the octet `x` with its bits in the opposite order. */
export const BIT_REVERSE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    let r = 0;
    for (let k = 0; k < 8; k++) r |= ((x >>> k) & 1) << (7 - k);
    t[x] = r;
  }
  return t;
})();

/** Octets with every octet's bits reversed (a new array): converts between the two orders. */
export function reverseOctetBits(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BIT_REVERSE[data[i] as number] as number;
  return out;
}

/**
 * Bits a frame occupies on the line between its flags: its octets, the 16-bit FCS (of a good
 * frame), and the zeros inserted after every five consecutive ones (ISO/IEC 13239 transparency), counted
 * exactly over the octets and the FCS. Add 8 per flag.
 */
export function hdlcFrameLineBits(frame: Uint8Array, bitOrder: HdlcBitOrder = 'lsb-first'): number {
  let ones = 0;
  let stuffed = 0;
  let crc = CRC16_ITU_INIT;
  const msb = bitOrder === 'msb-first';
  const count = (octet: number): void => {
    for (let k = 0; k < 8; k++) {
      if ((octet >>> k) & 1) {
        if (++ones === 5) {
          stuffed++;
          ones = 0;
        }
      } else {
        ones = 0;
      }
    }
  };
  for (let i = 0; i < frame.length; i++) {
    const o = msb ? (BIT_REVERSE[frame[i] as number] as number) : (frame[i] as number);
    count(o);
    crc = crc16ItuOctet(crc, o);
  }
  const fcs = ~crc & 0xffff;
  count(fcs & 0xff);
  count(fcs >>> 8);
  return frame.length * 8 + 16 + stuffed;
}

/**
 * Flags that fill `ms` milliseconds at `bitRate` bit/s, rounded up: the HDLC preamble. T.30
 * §5.3.1: 1 s ± 15 % before the first V.21 frame (38 flags at 300 bit/s); Annex A: 200 ms before
 * the frames of a fast modem (e.g. 360 flags at 14 400 bit/s). The modem layer's
 * `preambleMs(modulation)` gives the duration.
 */
export function hdlcPreambleFlags(bitRate: number, ms: number): number {
  return Math.ceil((bitRate * ms) / 8000 - 1e-9);
}
