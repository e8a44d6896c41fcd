/**
 * Injected randomness. Everything that draws random numbers (RTP SSRC and first sequence
 * number, loss simulations, fuzzing) takes a `Random32` so tests and simulations are
 * reproducible; production code defaults to `systemRandom32`.
 */

/** A source of uniformly distributed unsigned 32-bit integers. */
export type Random32 = () => number;

/**
 * xorshift32 (Marsaglia, "Xorshift RNGs", J. Stat. Softw. 8(14), 2003; shifts 13, 17, 5):
 * deterministic and seedable. The spandsp reference peer draws its `--loss` from the same
 * generator, so one seed gives one loss pattern on both sides. A seed of 0 is taken as 1.
 */
export function xorshift32(seed: number): Random32 {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A number in [0, 1) from a 32-bit draw. */
export function unitInterval(r: Random32): number {
  return r() / 0x1_0000_0000;
}

/** An integer in lo..hi (inclusive) from a 32-bit draw (modulo bias is immaterial for tests). */
export function intBetween(r: Random32, lo: number, hi: number): number {
  return lo + (r() % (hi - lo + 1));
}

const oneWord = new Uint32Array(1);

/**
 * The platform's cryptographic generator, for production defaults: RTP wants its SSRC and
 * first sequence number and timestamp unpredictable (RFC 3550 §5.1, §8.1).
 */
export const systemRandom32: Random32 = () => globalThis.crypto.getRandomValues(oneWord)[0] ?? 0;
