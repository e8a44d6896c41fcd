/**
 * `faxwire/g711` — ITU-T G.711 A-law and µ-law ⇄ 16-bit linear PCM, by table.
 *
 * Decoding is one 256-entry table per law. Encoding is one 64 Ki-entry table per law indexed by
 * the linear sample's 16-bit pattern (64 KiB each, built once at module load), so a sample costs
 * one load either way. The tables are computed from the segment rules of G.711 §2 (A-law,
 * Tables 1a/1b: 13-bit linear, even bits inverted, 0x55) and §3 (µ-law, Tables 2a/2b: 14-bit
 * linear with a bias of 33, all bits inverted); the decoded values are the segment midpoints
 * ("decision values" of the tables) scaled to 16 bits, as every G.711 implementation does.
 */

/** A-law: the 8-bit code for one linear sample (G.711 §2). */
function alawEncodeSlow(sample: number): number {
  // 13-bit magnitude (the law works on 12 bits + sign; drop the 3 low bits of 16-bit linear).
  let mask: number;
  let pcm = sample >> 3;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit 1 for positive, then the even-bit inversion (0x55)
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  if (pcm > 0xfff) pcm = 0xfff;
  // Segment: position of the highest set bit above bit 4 (segments 0 and 1 share the step).
  let seg = 0;
  for (let v = pcm >> 5; v > 0; v >>= 1) seg++;
  const mantissa = seg === 0 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

/** A-law: the linear value of one code (the midpoint of its decision interval). */
function alawDecodeSlow(code: number): number {
  const v = code ^ 0x55;
  const seg = (v >> 4) & 0x07;
  let mag = ((v & 0x0f) << 4) + 8;
  if (seg !== 0) mag = (mag + 0x100) << (seg - 1);
  return v & 0x80 ? mag : -mag;
}

const ULAW_BIAS = 0x84; // 33 in 14-bit units, scaled to 16 bits (G.711 §3)
const ULAW_CLIP = 32635;

/** µ-law: the 8-bit code for one linear sample (G.711 §3). */
function ulawEncodeSlow(sample: number): number {
  let sign = 0;
  let pcm = sample;
  if (pcm < 0) {
    pcm = -pcm;
    sign = 0x80;
  }
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS;
  let seg = 0;
  for (let v = pcm >> 8; v > 0; v >>= 1) seg++;
  const mantissa = (pcm >> (seg + 3)) & 0x0f;
  return ~(sign | (seg << 4) | mantissa) & 0xff;
}

/** µ-law: the linear value of one code. */
function ulawDecodeSlow(code: number): number {
  const v = ~code & 0xff;
  const seg = (v >> 4) & 0x07;
  const mag = ((((v & 0x0f) << 3) + ULAW_BIAS) << seg) - ULAW_BIAS;
  return v & 0x80 ? -mag : mag;
}

function decodeTable(decode: (code: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let c = 0; c < 256; c++) t[c] = decode(c);
  return t;
}

function encodeTable(encode: (sample: number) => number): Uint8Array {
  const t = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) t[s & 0xffff] = encode(s);
  return t;
}

/** Linear value of every A-law code. */
export const ALAW_TO_LINEAR: Int16Array = decodeTable(alawDecodeSlow);
/** Linear value of every µ-law code. */
export const ULAW_TO_LINEAR: Int16Array = decodeTable(ulawDecodeSlow);
/** A-law code of every 16-bit linear sample, indexed by `sample & 0xffff`. */
export const LINEAR_TO_ALAW: Uint8Array = encodeTable(alawEncodeSlow);
/** µ-law code of every 16-bit linear sample, indexed by `sample & 0xffff`. */
export const LINEAR_TO_ULAW: Uint8Array = encodeTable(ulawEncodeSlow);

export type G711Law = 'alaw' | 'ulaw';

/** RTP static payload types (RFC 3551 Table 4): PCMU 0, PCMA 8. */
export const G711_PAYLOAD_TYPE: Readonly<Record<G711Law, number>> = { ulaw: 0, alaw: 8 };

/** The A-law and µ-law idle (silence) codes: the codes of linear 0. */
export const ALAW_SILENCE = LINEAR_TO_ALAW[0] as number;
export const ULAW_SILENCE = LINEAR_TO_ULAW[0] as number;

export function alawToLinear(code: number): number {
  return ALAW_TO_LINEAR[code & 0xff] as number;
}
export function ulawToLinear(code: number): number {
  return ULAW_TO_LINEAR[code & 0xff] as number;
}
export function linearToAlaw(sample: number): number {
  return LINEAR_TO_ALAW[sample & 0xffff] as number;
}
export function linearToUlaw(sample: number): number {
  return LINEAR_TO_ULAW[sample & 0xffff] as number;
}

/**
 * Decode `n` G.711 octets from `src[srcOffset…]` into `dst[dstOffset…]`. Allocation-free.
 */
export function g711Decode(
  law: G711Law,
  src: Uint8Array,
  dst: Int16Array,
  n = Math.min(src.length, dst.length),
  srcOffset = 0,
  dstOffset = 0,
): void {
  const t = law === 'alaw' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
  for (let i = 0; i < n; i++) dst[dstOffset + i] = t[src[srcOffset + i] as number] as number;
}

/** Encode `n` linear samples from `src[srcOffset…]` into G.711 octets at `dst[dstOffset…]`. */
export function g711Encode(
  law: G711Law,
  src: Int16Array,
  dst: Uint8Array,
  n = Math.min(src.length, dst.length),
  srcOffset = 0,
  dstOffset = 0,
): void {
  const t = law === 'alaw' ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
  for (let i = 0; i < n; i++) dst[dstOffset + i] = t[(src[srcOffset + i] as number) & 0xffff] as number;
}

/** Round-trip one linear sample through a law (what a G.711 line does to it). */
export function g711RoundTrip(law: G711Law, sample: number): number {
  return law === 'alaw' ? alawToLinear(linearToAlaw(sample)) : ulawToLinear(linearToUlaw(sample));
}
