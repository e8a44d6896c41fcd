/**
 * WAV files (RIFF/WAVE, as Microsoft's "Multimedia Programming Interface and Data
 * Specifications 1.0" §3 defines them, with the WAVE_FORMAT_EXTENSIBLE `fmt ` extension) for the
 * audio a fax modem sends and receives: 8-bit G.711 A-law (format tag 6) and µ-law (7), 16-bit
 * linear PCM (1), and WAVE_FORMAT_EXTENSIBLE (0xFFFE) whose SubFormat GUID names one of those.
 * Mono or stereo. Sans-IO: bytes in, channels out.
 *
 *   "RIFF" <u32 LE size> "WAVE"  then chunks, in any order:  <4-octet id> <u32 LE size> <data>
 *   (a chunk of odd size is followed by one pad octet, not counted in its size)
 *
 *   fmt  chunk:   0 u16 format tag     2 u16 channels        4 u32 samples/s    8 u32 bytes/s
 *                12 u16 block align   14 u16 bits/sample    [16 u16 cbSize]
 *   extensible: [18 u16 valid bits   20 u32 channel mask    24 GUID(16): the SubFormat, whose
 *                first two octets are the real format tag, then 00 00 00 00 10 00 80 00 00 AA 00 38 9B 71]
 *
 * Layering: capture/ may import only util/, so G.711 is NOT decoded here. `parseWav` returns the
 * channels in their coded form — `Int16Array`s of linear samples for 'slin', `Uint8Array`s of
 * G.711 octets for 'alaw'/'ulaw' — and the caller expands them with faxwire/g711 (the CLI and
 * analyze do it through src/analyze/audio-file.ts). Likewise `writeWav` takes the channels
 * already coded. That keeps the container format apart from the codec, as RTP keeps them.
 *
 * A WAV file is untrusted data: `parseWav` never throws, it returns a typed `WavError`, and a data
 * chunk cut short by the end of the file is tolerated (the whole frames that are there are used,
 * `truncated` says so), as are a RIFF size that disagrees with the file (streaming writers leave
 * 0 or 0xFFFFFFFF there) and a missing pad octet at the very end.
 */

import { invalid } from '../util/check.js';
import { err, ok, type DecodeResult } from '../util/result.js';

export type WavFormat = 'slin' | 'alaw' | 'ulaw';

/** The three format tags we read (RFC 2361 registry: 1 PCM, 6 A-law, 7 µ-law) and EXTENSIBLE. */
export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_ALAW = 6;
export const WAVE_FORMAT_MULAW = 7;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** The fixed tail of a KSDATAFORMAT_SUBTYPE GUID after its 2-octet format tag (stored order). */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71] as const;

/** Highest channel count we accept (a fax line is mono; stereo carries both directions). */
export const WAV_MAX_CHANNELS = 2;

export type WavErrorCode =
  | 'too-short'
  | 'not-riff'
  | 'not-wave'
  | 'no-fmt-chunk'
  | 'no-data-chunk'
  | 'bad-fmt-chunk'
  | 'unsupported-format'
  | 'unsupported-bits-per-sample'
  | 'unsupported-channels'
  | 'bad-block-align'
  | 'bad-sample-rate';

export interface WavError {
  readonly code: WavErrorCode;
  readonly message: string;
  /** Byte offset in the file of what is wrong. */
  readonly offset: number;
}

interface WavCommon {
  readonly sampleRate: number;
  /** Number of channels (1 or 2); `data.length` equals it. */
  readonly channels: number;
  /** Sample frames per channel. */
  readonly frames: number;
  /** The data chunk ran past the end of the file (or ended inside a frame): what was there is used. */
  readonly truncated: boolean;
  /** The format tag as written (0xFFFE for EXTENSIBLE). */
  readonly formatTag: number;
}

/** A parsed WAV file: per channel, linear samples ('slin') or G.711 octets ('alaw'/'ulaw'). */
export type WavAudio =
  | (WavCommon & { readonly format: 'slin'; readonly data: readonly Int16Array[] })
  | (WavCommon & { readonly format: 'alaw' | 'ulaw'; readonly data: readonly Uint8Array[] });

function le16(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

function le32(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;
}

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o] ?? 0, b[o + 1] ?? 0, b[o + 2] ?? 0, b[o + 3] ?? 0);
}

function werr(code: WavErrorCode, message: string, offset: number): { ok: false; error: WavError } {
  return err({ code, message, offset });
}

/**
 * Parses a whole WAV file. `bytesRead` is where chunk scanning stopped (the file length when
 * every chunk was whole). Never throws.
 */
export function parseWav(bytes: Uint8Array): DecodeResult<WavAudio, WavError> {
  const n = bytes.length;
  if (n < 12) return werr('too-short', `a WAV file has a 12-octet RIFF header, this one has ${n} octets`, 0);
  const riff = fourcc(bytes, 0);
  if (riff !== 'RIFF') {
    const why = riff === 'RIFX' ? ' (big-endian RIFX is not supported)' : riff === 'RF64' ? ' (RF64 is not supported)' : '';
    return werr('not-riff', `not a RIFF file: starts with ${JSON.stringify(riff)}${why}`, 0);
  }
  if (fourcc(bytes, 8) !== 'WAVE') return werr('not-wave', `RIFF form type is ${JSON.stringify(fourcc(bytes, 8))}, not "WAVE"`, 8);

  // Scan the chunks (§3: any order). The first fmt and the first data chunk count.
  let fmtAt = -1;
  let fmtSize = 0;
  let dataAt = -1;
  let dataSize = 0;
  let dataCut = false;
  let off = 12;
  while (off + 8 <= n) {
    const id = fourcc(bytes, off);
    const size = le32(bytes, off + 4);
    const body = off + 8;
    if (id === 'fmt ' && fmtAt < 0) {
      fmtAt = body;
      fmtSize = Math.min(size, n - body);
    } else if (id === 'data' && dataAt < 0) {
      dataAt = body;
      dataSize = Math.min(size, n - body);
      dataCut = size > n - body;
    }
    const next = body + size + (size & 1);
    if (next > n) {
      off = n;
      break;
    }
    off = next;
  }
  const bytesRead = Math.min(off, n);

  if (fmtAt < 0) return werr('no-fmt-chunk', 'no "fmt " chunk', bytesRead);
  if (fmtSize < 16) return werr('bad-fmt-chunk', `"fmt " chunk of ${fmtSize} octets is shorter than 16`, fmtAt);
  let tag = le16(bytes, fmtAt);
  const formatTag = tag;
  const channels = le16(bytes, fmtAt + 2);
  const sampleRate = le32(bytes, fmtAt + 4);
  const blockAlign = le16(bytes, fmtAt + 12);
  const bits = le16(bytes, fmtAt + 14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    const cb = fmtSize >= 18 ? le16(bytes, fmtAt + 16) : 0;
    if (fmtSize < 40 || cb < 22) return werr('bad-fmt-chunk', `WAVE_FORMAT_EXTENSIBLE "fmt " chunk too short (${fmtSize} octets, cbSize ${cb})`, fmtAt);
    const g = fmtAt + 24;
    for (let i = 0; i < GUID_TAIL.length; i++) {
      if (bytes[g + 2 + i] !== GUID_TAIL[i]) return werr('unsupported-format', 'WAVE_FORMAT_EXTENSIBLE with a SubFormat GUID that is not a KSDATAFORMAT_SUBTYPE', g);
    }
    tag = le16(bytes, g);
  }
  let format: WavFormat;
  if (tag === WAVE_FORMAT_PCM) format = 'slin';
  else if (tag === WAVE_FORMAT_ALAW) format = 'alaw';
  else if (tag === WAVE_FORMAT_MULAW) format = 'ulaw';
  else return werr('unsupported-format', `format tag 0x${tag.toString(16)} is not PCM (1), A-law (6) or µ-law (7)`, fmtAt);
  const wantBits = format === 'slin' ? 16 : 8;
  if (bits !== wantBits) return werr('unsupported-bits-per-sample', `${format === 'slin' ? 'PCM' : format} with ${bits} bits per sample (only ${wantBits} is supported)`, fmtAt + 14);
  if (channels < 1 || channels > WAV_MAX_CHANNELS) return werr('unsupported-channels', `${channels} channels (1 or 2 are supported)`, fmtAt + 2);
  if (sampleRate === 0) return werr('bad-sample-rate', 'sample rate 0', fmtAt + 4);
  const frameBytes = (channels * bits) / 8;
  if (blockAlign !== frameBytes) return werr('bad-block-align', `block align ${blockAlign}, expected ${frameBytes} for ${channels} × ${bits} bits`, fmtAt + 12);
  if (dataAt < 0) return werr('no-data-chunk', 'no "data" chunk', bytesRead);

  const frames = Math.floor(dataSize / frameBytes);
  const truncated = dataCut || frames * frameBytes !== dataSize;
  const common = { sampleRate, channels, frames, truncated, formatTag };
  if (format === 'slin') {
    const data: Int16Array[] = [];
    for (let c = 0; c < channels; c++) {
      const ch = new Int16Array(frames);
      let p = dataAt + c * 2;
      for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = ((bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8)) << 16 >> 16;
      data.push(ch);
    }
    return ok({ ...common, format, data }, bytesRead);
  }
  const data: Uint8Array[] = [];
  for (let c = 0; c < channels; c++) {
    const ch = new Uint8Array(frames);
    if (channels === 1) ch.set(bytes.subarray(dataAt, dataAt + frames));
    else for (let i = 0, p = dataAt + c; i < frames; i++, p += channels) ch[i] = bytes[p] ?? 0;
    data.push(ch);
  }
  return ok({ ...common, format, data }, bytesRead);
}

export interface WavWriteOptions {
  readonly format: WavFormat;
  readonly sampleRate: number;
}

/**
 * Writes a WAV file: `channels` are the coded channels (one or two, of equal length) —
 * `Int16Array`s for 'slin', `Uint8Array`s of G.711 octets for 'alaw'/'ulaw' (encode with
 * faxwire/g711 first). PCM gets the 16-octet `fmt ` chunk; A-law and µ-law, being non-PCM,
 * the 18-octet one (cbSize 0) and a `fact` chunk with the frame count, as §3 asks. Throws a
 * FaxwireError (FAXWIRE_ERR_INVALID_ARGUMENT) on misuse.
 */
export function writeWav(channels: readonly (Int16Array | Uint8Array)[] | Int16Array | Uint8Array, opts: WavWriteOptions): Uint8Array {
  const chans = channels instanceof Int16Array || channels instanceof Uint8Array ? [channels] : channels;
  const nch = chans.length;
  if (nch < 1 || nch > WAV_MAX_CHANNELS) invalid(`writeWav: ${nch} channels, 1 or 2 are supported`);
  const { format, sampleRate } = opts;
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff) invalid(`writeWav: sample rate ${sampleRate}`);
  const slin = format === 'slin';
  if (!slin && format !== 'alaw' && format !== 'ulaw') invalid(`writeWav: format ${String(format)}`);
  const frames = chans[0]?.length ?? 0;
  for (const ch of chans) {
    if (slin ? !(ch instanceof Int16Array) : !(ch instanceof Uint8Array)) {
      invalid(`writeWav: ${format} channels must be ${slin ? 'Int16Array' : 'Uint8Array (G.711 octets)'}`);
    }
    if (ch.length !== frames) invalid('writeWav: channels of different lengths');
  }
  const bytesPerSample = slin ? 2 : 1;
  const frameBytes = nch * bytesPerSample;
  const dataSize = frames * frameBytes;
  const fmtSize = slin ? 16 : 18;
  const factSize = slin ? 0 : 12;
  const total = 12 + 8 + fmtSize + factSize + 8 + dataSize + (dataSize & 1);
  if (total - 8 > 0xffffffff) invalid('writeWav: more than 4 GiB of audio');
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const put4cc = (o: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  put4cc(0, 'RIFF');
  dv.setUint32(4, total - 8, true);
  put4cc(8, 'WAVE');
  let o = 12;
  put4cc(o, 'fmt ');
  dv.setUint32(o + 4, fmtSize, true);
  dv.setUint16(o + 8, slin ? WAVE_FORMAT_PCM : format === 'alaw' ? WAVE_FORMAT_ALAW : WAVE_FORMAT_MULAW, true);
  dv.setUint16(o + 10, nch, true);
  dv.setUint32(o + 12, sampleRate, true);
  dv.setUint32(o + 16, sampleRate * frameBytes, true);
  dv.setUint16(o + 20, frameBytes, true);
  dv.setUint16(o + 22, bytesPerSample * 8, true);
  if (!slin) dv.setUint16(o + 24, 0, true);
  o += 8 + fmtSize;
  if (!slin) {
    put4cc(o, 'fact');
    dv.setUint32(o + 4, 4, true);
    dv.setUint32(o + 8, frames, true);
    o += 12;
  }
  put4cc(o, 'data');
  dv.setUint32(o + 4, dataSize, true);
  o += 8;
  if (slin) {
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < nch; c++, o += 2) dv.setInt16(o, (chans[c] as Int16Array)[i] ?? 0, true);
    }
  } else if (nch === 1) {
    out.set(chans[0] as Uint8Array, o);
  } else {
    for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++) out[o++] = (chans[c] as Uint8Array)[i] ?? 0;
  }
  return out;
}
