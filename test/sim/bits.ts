/**
 * Test bit streams for the modems: the PRBS spandsp-peer's `modemgen` modulates (so a bits file
 * from it and one from here are the same for the same seed), and a BER count that finds where the
 * sent stream starts in what a receiver delivered (as the peer's `modembench` does, by a 64-bit
 * match), because a receiver may emit a few bits of training or lose none.
 */

import { xorshift32 } from '../../src/util/random.js';
import { END_OF_DATA, type BitSink, type BitSource, type ModemRxStatus } from '../../src/modem/types.js';

/** `n` PRBS bits from `seed`: the low bit of each xorshift32 draw (util/random.ts), as modemgen. */
export function prbsBits(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const next = xorshift32(seed);
  for (let i = 0; i < n; i++) out[i] = next() & 1;
  return out;
}

/** A BitSource over an array of bits, then END_OF_DATA. */
export class ArrayBitSource implements BitSource {
  private at = 0;
  constructor(private readonly bits: Uint8Array) {}
  getBit(): number {
    return this.at < this.bits.length ? (this.bits[this.at++] as number) : END_OF_DATA;
  }
}

/** A BitSink that records bits and statuses (with the bit count at which each status came). */
export class RecordingBitSink implements BitSink {
  readonly bits: number[] = [];
  readonly statuses: { status: ModemRxStatus; atBit: number }[] = [];
  putBit(bit: number): void {
    this.bits.push(bit);
  }
  status(status: ModemRxStatus): void {
    this.statuses.push({ status, atBit: this.bits.length });
  }
  has(status: ModemRxStatus): boolean {
    return this.statuses.some((s) => s.status === status);
  }
}

export interface BerResult {
  /** Where tx bit 0 was found in rx (−1: not found). */
  readonly offset: number;
  /** Bits compared (tx bits that have a counterpart in rx). */
  readonly compared: number;
  readonly errors: number;
  /** tx bits beyond the end of rx. */
  readonly missing: number;
}

/**
 * Compare: find tx[0…63] in rx (searching the first `searchLimit` positions), then count
 * differing bits over the overlap. Not found → every tx bit counts as missing.
 */
export function countBitErrors(tx: ArrayLike<number>, rx: ArrayLike<number>, searchLimit = 20000): BerResult {
  const m = Math.min(64, tx.length);
  let offset = -1;
  for (let o = 0; o + m <= rx.length && o < searchLimit; o++) {
    let ok = true;
    for (let i = 0; i < m; i++) {
      if (rx[o + i] !== tx[i]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      offset = o;
      break;
    }
  }
  if (offset < 0) return { offset, compared: 0, errors: 0, missing: tx.length };
  const compared = Math.min(tx.length, rx.length - offset);
  let errors = 0;
  for (let i = 0; i < compared; i++) if (rx[offset + i] !== tx[i]) errors++;
  return { offset, compared, errors, missing: tx.length - compared };
}

/** Run a transmitter to its end in blocks of `block` samples; returns all it wrote. */
export function runTransmitter(tx: { tx(out: Int16Array, offset?: number, length?: number): number }, block = 160, limit = 8000 * 600): Int16Array {
  const parts: Int16Array[] = [];
  let total = 0;
  const buf = new Int16Array(block);
  for (;;) {
    const n = tx.tx(buf, 0, block);
    parts.push(buf.slice(0, n));
    total += n;
    if (n < block || total > limit) break;
  }
  const out = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feed a receiver `samples` in blocks of `block`. */
export function runReceiver(rx: { rx(samples: Int16Array, offset?: number, length?: number): void }, samples: Int16Array, block = 160): void {
  for (let at = 0; at < samples.length; at += block) rx.rx(samples, at, Math.min(block, samples.length - at));
}
