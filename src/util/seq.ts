/**
 * Sequence-number arithmetic modulo 2^16 (UDPTL T.38 §9.1 and RTP RFC 3550 §A.1 both number
 * packets with 16 bits that wrap).
 */

/** Signed 16-bit distance a − b, in −32768..32767 (positive when a is later than b). */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}
