/**
 * A telephone line for the modems, in the manner of spandsp's line model and G.1050/G.168
 * simulators: what happens to fax audio between one modem's transmitter and another's receiver.
 *
 * In order: level change (gain), the sender's sample clock off by `clockPpm` (band-limited
 * resampling), a carrier frequency offset of `freqOffsetHz` (single-sideband shift through a
 * Hilbert transformer, as an FDM carrier system of the old network produced it), additive white
 * Gaussian noise at `noiseDbm0`, then G.711 encoding and decoding (`codec`). Noise covers the whole
 * buffer, so silence the test put before the signal carries noise too (a receiver must train on a
 * signal that starts above a noise floor it has already heard).
 *
 * Whole buffers in, whole buffers out: the tests are offline. Deterministic: all noise comes
 * from the injected `Random32`.
 */

import { dbm0ToPower } from '../../src/dsp/level.js';
import { g711RoundTrip, type G711Law } from '../../src/g711/index.js';
import { unitInterval, xorshift32, type Random32 } from '../../src/util/random.js';

export interface LineOptions {
  /** Level change in dB (negative attenuates). */
  readonly gainDb?: number;
  /** Sender's sample clock against the receiver's, ppm (positive: the sender's runs fast). */
  readonly clockPpm?: number;
  /** Frequency shift of the whole signal, Hz. */
  readonly freqOffsetHz?: number;
  /** AWGN level in dBm0 (absent: none). */
  readonly noiseDbm0?: number;
  /** G.711 coding at the far end of the line (absent: linear). */
  readonly codec?: G711Law;
  /** Noise source (default: xorshift32(1)). */
  readonly random?: Random32;
}

/** Run `input` through a line; returns a new buffer (its length changes with `clockPpm`). */
export function lineModel(input: Int16Array, opts: LineOptions = {}): Int16Array {
  let x: Float64Array = Float64Array.from(input);
  if (opts.gainDb !== undefined && opts.gainDb !== 0) {
    const g = 10 ** (opts.gainDb / 20);
    for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * g;
  }
  if (opts.clockPpm !== undefined && opts.clockPpm !== 0) x = resample(x, 1 + opts.clockPpm * 1e-6);
  if (opts.freqOffsetHz !== undefined && opts.freqOffsetHz !== 0) x = frequencyShift(x, opts.freqOffsetHz);
  if (opts.noiseDbm0 !== undefined) addNoise(x, opts.noiseDbm0, opts.random ?? xorshift32(1));
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let v = Math.round(x[i] as number);
    if (v > 32767) v = 32767;
    else if (v < -32768) v = -32768;
    out[i] = opts.codec ? g711RoundTrip(opts.codec, v) : v;
  }
  return out;
}

/** Silence of `n` samples (to put before or after a signal). */
export function silence(n: number): Int16Array {
  return new Int16Array(n);
}

/** Concatenate sample buffers. */
export function concatSamples(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const SINC_HALF = 16; // taps each side of the band-limited interpolator

/**
 * y[n] = x(n·ratio): a sender whose clock runs `ratio` times ours delivers `ratio` of its samples
 * per sample of ours. Windowed-sinc (Blackman, 32 taps) interpolation: its error is far below
 * the noise levels the modem tests use, so drift is all the receiver has to fight.
 */
function resample(x: Float64Array, ratio: number): Float64Array {
  const n = Math.floor((x.length - 1) / ratio);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * ratio;
    const k0 = Math.floor(t);
    const frac = t - k0;
    let acc = 0;
    for (let k = -SINC_HALF + 1; k <= SINC_HALF; k++) {
      const idx = k0 + k;
      if (idx < 0 || idx >= x.length) continue;
      const d = k - frac; // distance of sample idx from t
      const sinc = d === 0 ? 1 : Math.sin(Math.PI * d) / (Math.PI * d);
      const w = 0.42 + 0.5 * Math.cos((Math.PI * d) / SINC_HALF) + 0.08 * Math.cos((2 * Math.PI * d) / SINC_HALF);
      acc += (x[idx] as number) * sinc * w;
    }
    y[i] = acc;
  }
  return y;
}

const HILBERT_HALF = 63; // 127-tap Hilbert transformer

/**
 * Shift every frequency by `hz`: the analytic signal (delayed x + j·Hilbert(x)) times e^{j2πft},
 * real part. The Hilbert transformer is the ideal 2/(πn) on odd n, Blackman-windowed; it is flat
 * to within 0.1 dB over 200…3800 Hz, the band every fax modem uses.
 */
function frequencyShift(x: Float64Array, hz: number): Float64Array {
  const h = new Float64Array(2 * HILBERT_HALF + 1);
  for (let k = -HILBERT_HALF; k <= HILBERT_HALF; k++) {
    if (k % 2 === 0) continue;
    const w = 0.42 + 0.5 * Math.cos((Math.PI * k) / (HILBERT_HALF + 1)) + 0.08 * Math.cos((2 * Math.PI * k) / (HILBERT_HALF + 1));
    h[k + HILBERT_HALF] = (2 / (Math.PI * k)) * w;
  }
  const y = new Float64Array(x.length);
  const w = (2 * Math.PI * hz) / 8000;
  for (let n = 0; n < x.length; n++) {
    // Output n is built from input n − HILBERT_HALF (the transformer's delay), so the signal is
    // delayed by 63 samples; the first 63 output samples see only the ramp-up of the filter.
    const c = n - HILBERT_HALF;
    const re = c >= 0 ? (x[c] as number) : 0;
    let im = 0;
    for (let k = -HILBERT_HALF; k <= HILBERT_HALF; k += 1) {
      const idx = c - k;
      if (idx < 0 || idx >= x.length) continue;
      const hk = h[k + HILBERT_HALF] as number;
      if (hk !== 0) im += hk * (x[idx] as number);
    }
    y[n] = re * Math.cos(w * n) - im * Math.sin(w * n);
  }
  return y;
}

/** Add white Gaussian noise of mean square power `dbm0` (Box–Muller). */
function addNoise(x: Float64Array, dbm0: number, random: Random32): void {
  const sigma = Math.sqrt(dbm0ToPower(dbm0));
  for (let i = 0; i < x.length; i += 2) {
    const u1 = Math.max(unitInterval(random), 1e-12);
    const u2 = unitInterval(random);
    const r = sigma * Math.sqrt(-2 * Math.log(u1));
    x[i] = (x[i] as number) + r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < x.length) x[i + 1] = (x[i + 1] as number) + r * Math.sin(2 * Math.PI * u2);
  }
}

/** Measured level of a buffer in dBm0 (mean square over `from…to`). */
export function levelDbm0(x: Int16Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) * (x[i] as number);
  return 10 * Math.log10(s / Math.max(1, to - from) / dbm0ToPower(0));
}
