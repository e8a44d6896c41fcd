/**
 * Test signals that are not modems of this stack: a speech-like multi-tone (the enemy of every
 * tone detector) and a QAM signal shaped like V.29/V.17 data (a wide-band modem that a V.21
 * detector must ignore). Deterministic, whole buffers (tests are offline).
 */

import { rmsAmplitude } from '../../src/dsp/level.js';
import { unitInterval, xorshift32 } from '../../src/util/random.js';

/** Scale a float signal to `dbm0` mean square and round to int16. */
function toLevel(x: Float64Array, dbm0: number): Int16Array {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) * (x[i] as number);
  const g = rmsAmplitude(dbm0) / Math.sqrt(s / Math.max(1, x.length));
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round((x[i] as number) * g)));
  return out;
}

/**
 * Voiced-speech-like sound: the harmonics of a pitch gliding around 90…150 Hz, shaped by three
 * "formants" (Gaussian, 120 Hz wide) at `formantsHz` — put them on 1100 and 2100 Hz to make it
 * as hard as possible for the tone detectors — and a 4 Hz syllabic envelope.
 */
export function speechLike(samples: number, dbm0: number, formantsHz: readonly number[] = [500, 1100, 2100], seed = 1): Int16Array {
  const x = new Float64Array(samples);
  const rnd = xorshift32(seed);
  const phases = new Float64Array(40);
  for (let h = 0; h < phases.length; h++) phases[h] = 2 * Math.PI * unitInterval(rnd);
  for (let n = 0; n < samples; n++) {
    const t = n / 8000;
    const f0 = 120 + 30 * Math.sin(2 * Math.PI * 2.3 * t) + 10 * Math.sin(2 * Math.PI * 7.1 * t);
    const env = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    let v = 0;
    for (let h = 1; h <= phases.length; h++) {
      const f = f0 * h;
      if (f > 3800) break;
      phases[h - 1] = ((phases[h - 1] as number) + (2 * Math.PI * f) / 8000) % (2 * Math.PI);
      let a = 0.05 / h;
      for (const fm of formantsHz) a += Math.exp(-(((f - fm) / 120) ** 2));
      v += a * Math.sin(phases[h - 1] as number);
    }
    x[n] = v * env;
  }
  return toLevel(x, dbm0);
}

/**
 * QAM data like V.29 at 9600 bit/s: 2400 baud, 1700 Hz carrier, 16 random points, raised-cosine
 * pulses (roll-off 0.5, ±4 symbols).
 */
export function qamLike(samples: number, dbm0: number, seed = 1, carrierHz = 1700, baud = 2400): Int16Array {
  const rnd = xorshift32(seed);
  const sps = 8000 / baud;
  const nSym = Math.ceil(samples / sps) + 10;
  const re = new Float64Array(nSym);
  const im = new Float64Array(nSym);
  for (let k = 0; k < nSym; k++) {
    re[k] = (rnd() % 4) * 2 - 3;
    im[k] = (rnd() % 4) * 2 - 3;
  }
  const x = new Float64Array(samples);
  const beta = 0.5;
  for (let n = 0; n < samples; n++) {
    const t = n / sps;
    let br = 0;
    let bi = 0;
    for (let k = Math.max(0, Math.floor(t) - 4); k <= Math.floor(t) + 4 && k < nSym; k++) {
      const d = t - k;
      const sinc = d === 0 ? 1 : Math.sin(Math.PI * d) / (Math.PI * d);
      const den = 1 - (2 * beta * d) ** 2;
      const rc = Math.abs(den) < 1e-9 ? Math.PI / 4 : Math.cos(Math.PI * beta * d) / den;
      br += (re[k] as number) * sinc * rc;
      bi += (im[k] as number) * sinc * rc;
    }
    const w = (2 * Math.PI * carrierHz * n) / 8000;
    x[n] = br * Math.cos(w) - bi * Math.sin(w);
  }
  return toLevel(x, dbm0);
}

/** A steady sine of `hz` at `dbm0`, `samples` long. */
export function sine(samples: number, hz: number, dbm0: number): Int16Array {
  const out = new Int16Array(samples);
  const a = rmsAmplitude(dbm0) * Math.SQRT2;
  for (let n = 0; n < samples; n++) out[n] = Math.round(a * Math.sin((2 * Math.PI * hz * n) / 8000));
  return out;
}

/**
 * Band-limited Gaussian noise: white noise through a two-pole resonator at `centerHz` with a
 * −3 dB bandwidth of about `bandwidthHz`, scaled to `dbm0`.
 */
export function bandNoise(samples: number, centerHz: number, bandwidthHz: number, dbm0: number, seed = 1): Int16Array {
  const rnd = xorshift32(seed);
  const r = Math.exp((-Math.PI * bandwidthHz) / 8000);
  const c = 2 * r * Math.cos((2 * Math.PI * centerHz) / 8000);
  const x = new Float64Array(samples);
  let y1 = 0;
  let y2 = 0;
  for (let n = 0; n < samples; n++) {
    const u1 = Math.max(unitInterval(rnd), 1e-12);
    const g = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * unitInterval(rnd));
    const y = g + c * y1 - r * r * y2;
    y2 = y1;
    y1 = y;
    x[n] = y;
  }
  return toLevel(x, dbm0);
}
