/**
 * Audio files of a fax line as the modem tools read and write them, sans-IO: raw 8 kHz audio
 * (16-bit little-endian linear "slin", or G.711 A-law/µ-law octets, as spandsp-peer's `modemgen`
 * writes with `--format`) and WAV (src/capture/wav.ts). This is where G.711 is expanded: the WAV
 * container lives in capture/, which may not import g711/ (eslint LAYERS), so the container parser
 * hands over coded channels and this module turns them into linear samples — and back for writing.
 */

import { parseWav, writeWav, type WavFormat } from '../capture/wav.js';
import { g711Decode, g711Encode } from '../g711/index.js';

export type AudioFileKind = 'raw' | 'wav';

export interface AudioReadOptions {
  readonly kind: AudioFileKind;
  /** Raw files: how the octets are coded (default 'slin'). WAV files say it in their header. */
  readonly format?: WavFormat;
  /** WAV files: 1-based channel to take from a stereo file (default 1). */
  readonly channel?: number;
}

export interface AudioFile {
  /** Linear 16-bit samples. */
  readonly samples: Int16Array;
  readonly sampleRate: number;
  /** How the file coded them. */
  readonly format: WavFormat;
  /** Channels in the file (raw: 1). */
  readonly channels: number;
  /** The file ended inside its audio (a WAV data chunk cut short, a raw slin file of odd length). */
  readonly truncated: boolean;
}

export type AudioReadResult = { readonly ok: true; readonly value: AudioFile } | { readonly ok: false; readonly error: string };

/** `.wav` (any case) is WAV; everything else raw. */
export function audioKindOf(path: string): AudioFileKind {
  return /\.wav$/i.test(path) ? 'wav' : 'raw';
}

/** Expands G.711 octets to linear samples (a new array). */
export function g711ToLinear(law: 'alaw' | 'ulaw', codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  g711Decode(law, codes, out, codes.length);
  return out;
}

/** Reads an audio file's bytes into linear samples; a bad file is an `{ ok: false }` with a message. */
export function decodeAudioFile(bytes: Uint8Array, opts: AudioReadOptions): AudioReadResult {
  if (opts.kind === 'raw') {
    const format = opts.format ?? 'slin';
    if (format === 'slin') {
      const n = bytes.length >> 1;
      const samples = new Int16Array(n);
      for (let i = 0, p = 0; i < n; i++, p += 2) samples[i] = (((bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8)) << 16) >> 16;
      return { ok: true, value: { samples, sampleRate: 8000, format, channels: 1, truncated: (bytes.length & 1) === 1 } };
    }
    return { ok: true, value: { samples: g711ToLinear(format, bytes), sampleRate: 8000, format, channels: 1, truncated: false } };
  }
  const r = parseWav(bytes);
  if (!r.ok) return { ok: false, error: `not a usable WAV file: ${r.error.message}` };
  const w = r.value;
  const channel = opts.channel ?? 1;
  if (!Number.isInteger(channel) || channel < 1 || channel > w.channels) {
    return { ok: false, error: `channel ${channel} asked, the file has ${w.channels} channel${w.channels === 1 ? '' : 's'}` };
  }
  const samples = w.format === 'slin' ? (w.data[channel - 1] as Int16Array) : g711ToLinear(w.format, w.data[channel - 1] as Uint8Array);
  return { ok: true, value: { samples, sampleRate: w.sampleRate, format: w.format, channels: w.channels, truncated: w.truncated } };
}

/** Encodes linear samples as a raw or WAV (mono, 8 kHz) file in `format`. */
export function encodeAudioFile(samples: Int16Array, kind: AudioFileKind, format: WavFormat, sampleRate = 8000): Uint8Array {
  if (format === 'slin') {
    if (kind === 'wav') return writeWav(samples, { format, sampleRate });
    const out = new Uint8Array(samples.length * 2);
    for (let i = 0, p = 0; i < samples.length; i++, p += 2) {
      const s = samples[i] as number;
      out[p] = s & 0xff;
      out[p + 1] = (s >> 8) & 0xff;
    }
    return out;
  }
  const codes = new Uint8Array(samples.length);
  g711Encode(format, samples, codes, samples.length);
  return kind === 'wav' ? writeWav(codes, { format, sampleRate }) : codes;
}
