/**
 * `faxwire modem tx|rx`: the fax modems on files, the lab bench for interop with other modems
 * (spandsp-peer's `modemgen` and `modembench` write and read the same files).
 *
 *   faxwire modem tx --modem M --rate R --bits FILE --out FILE.raw|.wav [--format slin|alaw|ulaw]
 *                    [--level DBM0] [--tep] [--short-train]
 *   faxwire modem rx --modem M --rate R --in FILE.raw|.wav|.pcap [--format …] [--channel 1|2] [--stream N]
 *                    --bits-out FILE
 *
 * Files: a bits file is ASCII `0`/`1` (whitespace ignored), the data bits before scrambling —
 * what `modemgen --bits` writes. Audio is raw 8 kHz (16-bit little-endian linear, or G.711
 * octets with --format alaw|ulaw) or WAV, chosen by the `.wav` extension (the header then says
 * how it is coded; only 8000 samples/s; stereo: channel 1 unless --channel 2). rx also reads a
 * packet capture (.pcap, .pcapng): one of its G.711 RTP streams (src/analyze/audio-streams.ts),
 * whose gaps — lost packets — go to the receiver as `fillIn` rather than as silence.
 *
 * tx writes 200 ms of silence, the whole signal (training, data, the shutdown sequence) and
 * 200 ms of silence (--tail-ms), as modemgen does — a receiver's filters still hold the last bits
 * when the signal stops (spandsp's V.21 receiver misses the last bit without the tail). rx feeds the audio in 160-sample (20 ms) blocks and writes the data bits
 * the receiver delivered while trained (for V.21, which has no training: while its carrier is
 * up); on stderr it reports when it trained, how many bits it produced and when the carrier
 * came and went (times in seconds into the file, to the 20 ms block in which it happened), and
 * exits 1 if the receiver never trained.
 *
 * The modems come from the factory (src/modem/factory.ts); `runModem` takes the two factory
 * functions as parameters so the tests can run the whole command with stand-in modems.
 */

import { readFile } from 'node:fs/promises';
import { decodeAudioFile, encodeAudioFile, audioKindOf } from '../analyze/audio-file.js';
import { extractAudioStreams, type AudioGap } from '../analyze/audio-streams.js';
import type { WavFormat } from '../capture/wav.js';
import { createModemReceiver, createModemTransmitter } from '../modem/factory.js';
import { FAX_MODULATION_BIT_RATE, type FaxModulation } from '../modem/modulation.js';
import { END_OF_DATA, SAMPLE_RATE, type BitSink, type BitSource, type ModemRxStatus } from '../modem/types.js';
import { FileOpError, writeFileAtomic } from '../node/atomic-file.js';
import { UsageError, parseCommandArgs, parseNumber } from './command.js';

export const USAGE = `usage: faxwire modem tx --modem v17|v29|v27ter|v21 --rate R --bits FILE --out FILE.raw|.wav
                        [--format slin|alaw|ulaw] [--level=DBM0] [--tep] [--short-train] [--tail-ms N]
       faxwire modem rx --modem v17|v29|v27ter|v21 --rate R --in FILE.raw|.wav|.pcap
                        [--format slin|alaw|ulaw] [--channel 1|2] [--stream N] --bits-out FILE
                        [--compare BITS]
  Run a fax modem on files (the same files spandsp-peer's modemgen/modembench use).
  --modem M, --rate R       V.17 7200/9600/12000/14400, V.29 7200/9600, V.27ter 2400/4800,
                            V.21 300 (channel 2; --rate may be left out)
  --bits FILE               tx: the data bits to send, ASCII 0/1 (whitespace ignored), before scrambling
  --out FILE                tx: the audio: 200 ms of silence, the whole signal, --tail-ms of silence
  --tail-ms N               tx: silence after the signal, ms (default 200, as modemgen)
  --in FILE                 rx: the audio to demodulate
  --bits-out FILE           rx: the data bits received after training, ASCII 0/1
  --compare BITS            rx: score the bits received against a bits file (the first 64 found
                            within 20000 bits, as modembench): errors, missing, BER; exit 1 unless 0
  --format F                raw files: slin (16-bit LE linear, default), alaw or ulaw (G.711 octets);
                            tx to .wav: how the WAV is coded; rx from .wav: the header says it
  --channel N               rx from a stereo WAV: channel 1 (default) or 2
  --stream N                rx from a capture (.pcap/.pcapng): its Nth G.711 RTP stream, as
                            faxwire analyze --audio numbers them (needed when there are several);
                            lost packets are given to the receiver as fillIn, not as silence
  --level=DBM0              tx level, dBm0 (default −10; write --level=-13, with '=', for a negative value)
  --tep                     tx: talker echo protection tone before training (V.17, V.29, V.27ter)
  --short-train             V.17 short (resynchronising) training, tx and rx
  Audio is 8000 samples/s. rx reports on stderr when it trained, the carrier times and the bit
  count. Exit status 0 done, 1 when a file cannot be read or written, the modem is not available,
  or (rx) the receiver never trained or --compare found errors or missing bits; 2 on bad arguments.`;

/** The modem families on the command line and the rates of each (T.30 §5.3.1/§5.3.2). */
const FAMILIES: Readonly<Record<string, readonly number[]>> = {
  v17: [7200, 9600, 12000, 14400],
  v29: [7200, 9600],
  v27ter: [2400, 4800],
  v21: [300],
};

/** The FaxModulation for a modem family and rate; a UsageError for a combination that does not exist. */
export function modulationFor(modem: string, rate: number | undefined): FaxModulation {
  const rates = FAMILIES[modem];
  if (rates === undefined) throw new UsageError(`--modem must be v17, v29, v27ter or v21, got '${modem}'`);
  if (modem === 'v21') {
    if (rate !== undefined && rate !== 300) throw new UsageError(`v21 runs at 300 bit/s only, got --rate ${rate}`);
    return 'v21';
  }
  if (rate === undefined) throw new UsageError(`--rate is needed for ${modem} (${rates.join(', ')})`);
  if (!rates.includes(rate)) throw new UsageError(`${modem} has no rate ${rate} (it has ${rates.join(', ')})`);
  const m = `${modem}-${rate}` as FaxModulation;
  if (FAX_MODULATION_BIT_RATE[m] !== rate) throw new UsageError(`no modulation ${m}`);
  return m;
}

/** Parses a bits file: ASCII 0/1, whitespace ignored; anything else is an Error naming where. */
export function parseBitsText(text: string, what = 'bits file'): Uint8Array {
  const out = new Uint8Array(text.length);
  let n = 0;
  let line = 1;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    col++;
    if (c === 0x30 || c === 0x31) out[n++] = c - 0x30;
    else if (c === 0x0a) {
      line++;
      col = 0;
    } else if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0b && c !== 0x0c) {
      const shown = c >= 0x20 && c < 0x7f ? `'${text[i] ?? ''}'` : `0x${c.toString(16).padStart(2, '0')}`;
      throw new Error(`${what}: ${shown} at line ${line}, column ${col} is not 0, 1 or white space`);
    }
  }
  return out.slice(0, n);
}

/** The ASCII 0/1 text of `bits`, one line (as modemgen writes it). */
export function bitsText(bits: Uint8Array, n = bits.length): string {
  return Buffer.from(bits.subarray(0, n).map((b) => 0x30 + b)).toString('latin1') + '\n';
}

/** What `runModem` needs from the outside: the modem factory (and where stderr goes). */
export interface ModemDeps {
  readonly createModemTransmitter: typeof createModemTransmitter;
  readonly createModemReceiver: typeof createModemReceiver;
  /** One line of report (default: stderr). */
  readonly log?: (line: string) => void;
}

/** Input files read as packet captures (their G.711 RTP streams). */
const CAPTURE_FILE = /\.(pcap|pcapng|cap)$/i;

/** Lead silence before the signal, as spandsp-peer's modemgen writes it. */
export const TX_LEAD_SAMPLES = 1600;
/** Default silence after the signal (modemgen's 200 ms): a receiver's filters still hold the last bits. */
export const TX_TAIL_MS = 200;
/** Block size of the rx loop (20 ms). */
export const RX_BLOCK = 160;

class ArrayBits implements BitSource {
  private at = 0;
  constructor(private readonly bits: Uint8Array) {}
  getBit(): number {
    return this.at < this.bits.length ? (this.bits[this.at++] as number) : END_OF_DATA;
  }
}

/** The rx side's sink: bits while trained, status changes with the sample count they came at. */
class RecordingSink implements BitSink {
  bits = new Uint8Array(1 << 16);
  count = 0;
  /** Samples fed before the current block ended (set by the loop before each block). */
  now = 0;
  trained = false;
  readonly events: { status: ModemRxStatus; sample: number; bits: number }[] = [];
  constructor(private readonly v21: boolean) {}
  putBit(bit: number): void {
    if (!this.trained) return;
    if (this.count === this.bits.length) {
      const grown = new Uint8Array(this.bits.length * 2);
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[this.count++] = bit & 1;
  }
  status(status: ModemRxStatus): void {
    this.events.push({ status, sample: this.now, bits: this.count });
    if (status === 'training-succeeded' || (this.v21 && status === 'carrier-up')) this.trained = true;
    else if (status === 'carrier-down' || status === 'training-failed') this.trained = false;
  }
}

const seconds = (samples: number): string => (samples / SAMPLE_RATE).toFixed(3);

function fail(log: (l: string) => void, message: string): number {
  log(message);
  return 1;
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';
    throw new FileOpError(`read ${what}`, path, code, e);
  }
}

/** The whole command with the given factory: resolves to the exit status; UsageError on bad arguments. */
export async function runModem(args: string[], deps: ModemDeps): Promise<number> {
  const log = deps.log ?? ((l: string): void => void process.stderr.write(`${l}\n`));
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      modem: { type: 'string' },
      rate: { type: 'string' },
      bits: { type: 'string' },
      out: { type: 'string' },
      in: { type: 'string' },
      'bits-out': { type: 'string' },
      format: { type: 'string' },
      channel: { type: 'string' },
      stream: { type: 'string' },
      compare: { type: 'string' },
      level: { type: 'string' },
      tep: { type: 'boolean', default: false },
      'short-train': { type: 'boolean', default: false },
      'tail-ms': { type: 'string' },
    },
  });
  const dir = positionals[0];
  if (dir !== 'tx' && dir !== 'rx') throw new UsageError(dir === undefined ? 'tx or rx?' : `'${dir}' is neither tx nor rx`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1] ?? ''}'`);
  const who = `faxwire modem ${dir}`;
  if (values.modem === undefined) throw new UsageError('--modem is needed (v17, v29, v27ter or v21)');
  const modem = values.modem.toLowerCase();
  const m = modulationFor(modem, parseNumber(values.rate, '--rate', 1, 1e6, true));
  const format = values.format;
  if (format !== undefined && format !== 'slin' && format !== 'alaw' && format !== 'ulaw') {
    throw new UsageError(`--format must be slin, alaw or ulaw, got '${format}'`);
  }
  const shortTrain = values['short-train'];
  if (shortTrain && modem !== 'v17') throw new UsageError('--short-train is for V.17 only');
  const wrongSide = (opts: readonly string[]): void => {
    for (const o of opts) if ((values as Record<string, unknown>)[o] !== undefined && (values as Record<string, unknown>)[o] !== false) throw new UsageError(`--${o} is not a ${dir} option`);
  };

  if (dir === 'tx') {
    wrongSide(['in', 'bits-out', 'channel', 'stream', 'compare']);
    if (values.bits === undefined) throw new UsageError('--bits FILE is needed (the data bits to send, ASCII 0/1)');
    if (values.out === undefined) throw new UsageError('--out FILE.raw|.wav is needed');
    const level = parseNumber(values.level, '--level', -60, 0, false);
    const tailMs = parseNumber(values['tail-ms'], '--tail-ms', 0, 60_000, true) ?? TX_TAIL_MS;
    if (values.tep && modem === 'v21') throw new UsageError('--tep is for V.17, V.29 and V.27ter');
    const out = values.out;
    let bits: Uint8Array;
    try {
      bits = parseBitsText((await readInput(values.bits, 'bits file')).toString(), values.bits);
    } catch (e) {
      return fail(log, `${who}: ${e instanceof Error ? e.message : String(e)}`);
    }
    let tx;
    try {
      tx = deps.createModemTransmitter(m, new ArrayBits(bits), {
        ...(level !== undefined ? { levelDbm0: level } : {}),
        ...(values.tep ? { tep: true } : {}),
        ...(shortTrain ? { shortTrain: true } : {}),
      });
    } catch (e) {
      return fail(log, `${who}: cannot build the ${m} transmitter: ${e instanceof Error ? e.message : String(e)}`);
    }
    // The signal: training (≤ 2 s with TEP), the data, a shutdown; bounded so a transmitter
    // that never ends cannot fill the disk.
    const limit = TX_LEAD_SAMPLES + Math.ceil((bits.length / FAX_MODULATION_BIT_RATE[m] + 10) * SAMPLE_RATE);
    let samples = new Int16Array(TX_LEAD_SAMPLES + Math.ceil((bits.length / FAX_MODULATION_BIT_RATE[m] + 3) * SAMPLE_RATE));
    let n = TX_LEAD_SAMPLES;
    for (;;) {
      if (n + RX_BLOCK > samples.length) {
        if (samples.length >= limit) return fail(log, `${who}: the ${m} transmitter did not end within ${seconds(limit)} s`);
        const grown = new Int16Array(Math.min(limit, samples.length * 2));
        grown.set(samples.subarray(0, n));
        samples = grown;
      }
      const got = tx.tx(samples, n, RX_BLOCK);
      n += got;
      if (got < RX_BLOCK || tx.done) break;
    }
    const signalEnd = n;
    const tail = (tailMs * SAMPLE_RATE) / 1000;
    if (n + tail > samples.length) {
      const grown = new Int16Array(n + tail);
      grown.set(samples.subarray(0, n));
      samples = grown;
    } else samples.fill(0, n, n + tail);
    n += tail;
    const kind = audioKindOf(out);
    const wavFormat: WavFormat = format ?? 'slin';
    try {
      await writeFileAtomic(out, encodeAudioFile(samples.subarray(0, n), kind, wavFormat));
    } catch (e) {
      return fail(log, `${who}: ${e instanceof Error ? e.message : String(e)}`);
    }
    log(`${who}: ${m}: ${bits.length} data bits, ${n} samples (${seconds(n)} s; signal from ${seconds(TX_LEAD_SAMPLES)} to ${seconds(signalEnd)} s) → ${out} (${kind} ${wavFormat})`);
    return 0;
  }

  // rx
  wrongSide(['bits', 'out', 'level', 'tep', 'tail-ms']);
  // (tx rejects --stream below with the other rx-only options)
  if (values.in === undefined) throw new UsageError('--in FILE.raw|.wav is needed');
  if (values['bits-out'] === undefined) throw new UsageError('--bits-out FILE is needed');
  const channel = parseNumber(values.channel, '--channel', 1, 2, true);
  const streamNo = parseNumber(values.stream, '--stream', 1, 1e6, true);
  const input = values.in;
  const fromCapture = CAPTURE_FILE.test(input);
  const kind = audioKindOf(input);
  if (channel !== undefined && kind !== 'wav') throw new UsageError('--channel is for stereo WAV files');
  if (streamNo !== undefined && !fromCapture) throw new UsageError('--stream is for capture files (.pcap, .pcapng)');
  if (fromCapture && format !== undefined) throw new UsageError('--format is not for capture files (the RTP payload type says it)');
  let bytes: Uint8Array;
  try {
    bytes = await readInput(input, fromCapture ? 'capture file' : 'audio file');
  } catch (e) {
    return fail(log, `${who}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let samples: Int16Array;
  let gaps: readonly AudioGap[] = [];
  if (fromCapture) {
    const r = extractAudioStreams(bytes);
    if (!r.ok) return fail(log, `${who}: ${input}: ${r.error}`);
    const rel = (t: number): string => (Math.round((t - r.captureStart) * 1000) / 1000 + 0).toFixed(3);
    const list = r.streams.map((st, i) => `  ${i + 1}: ${st.id}, ${(st.samples.length / SAMPLE_RATE).toFixed(2)} s from ${rel(st.startTime)} s`);
    if (r.streams.length === 0) return fail(log, `${who}: ${input}: no G.711 RTP audio stream found`);
    if (streamNo === undefined && r.streams.length > 1) return fail(log, `${who}: ${input} has ${r.streams.length} audio streams; choose one with --stream N:\n${list.join('\n')}`);
    const st = r.streams[(streamNo ?? 1) - 1];
    if (st === undefined) return fail(log, `${who}: ${input} has ${r.streams.length} audio stream(s), no --stream ${streamNo ?? 1}:\n${list.join('\n')}`);
    samples = st.samples;
    gaps = st.gaps;
    const lost = gaps.reduce((n, g) => n + g.length, 0);
    log(`${who}: ${st.id} (${st.law}, ${st.foundBy}), starting ${rel(st.startTime)} s into the capture; times below are from its start${gaps.length > 0 ? `; ${gaps.length} gap(s) of ${(lost / 8).toFixed(0)} ms given to the receiver as fillIn` : ''}`);
  } else {
    const audio = decodeAudioFile(bytes, { kind, ...(format !== undefined ? { format } : {}), ...(channel !== undefined ? { channel } : {}) });
    if (!audio.ok) return fail(log, `${who}: ${input}: ${audio.error}`);
    const a = audio.value;
    if (kind === 'wav' && format !== undefined && format !== a.format) {
      return fail(log, `${who}: ${input}: --format ${format}, but the WAV header says ${a.format}`);
    }
    if (a.sampleRate !== SAMPLE_RATE) return fail(log, `${who}: ${input}: ${a.sampleRate} samples/s; the modems work at 8000 (resample the file first)`);
    if (a.truncated) log(`${who}: ${input}: the file ends inside its audio; using the ${a.samples.length} whole samples`);
    samples = a.samples;
  }
  let reference: Uint8Array | undefined;
  if (values.compare !== undefined) {
    try {
      reference = parseBitsText((await readInput(values.compare, 'bits file')).toString(), values.compare);
    } catch (e) {
      return fail(log, `${who}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (reference.length === 0) return fail(log, `${who}: ${values.compare}: no bits to compare with`);
  }
  const sink = new RecordingSink(m === 'v21');
  let rx;
  try {
    rx = deps.createModemReceiver(m, sink, shortTrain ? { shortTrain: true } : {});
  } catch (e) {
    return fail(log, `${who}: cannot build the ${m} receiver: ${e instanceof Error ? e.message : String(e)}`);
  }
  const total = samples.length;
  // Blocks of 160 samples, cut at the gaps; a gap (lost packets) is given as fillIn, also in blocks.
  let at = 0;
  for (let g = 0; at < total; g++) {
    const gap = gaps[g];
    const audioEnd = gap === undefined ? total : gap.start;
    while (at < audioEnd) {
      const len = Math.min(RX_BLOCK, audioEnd - at);
      sink.now = at + len;
      rx.rx(samples, at, len);
      at += len;
    }
    if (gap === undefined) break;
    const gapEnd = Math.min(total, gap.start + gap.length);
    while (at < gapEnd) {
      const len = Math.min(RX_BLOCK, gapEnd - at);
      sink.now = at + len;
      rx.fillIn(len);
      at += len;
    }
  }
  try {
    await writeFileAtomic(values['bits-out'], Buffer.from(bitsText(sink.bits, sink.count), 'latin1'));
  } catch (e) {
    return fail(log, `${who}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let trainedAt: number | undefined;
  for (const ev of sink.events) {
    if (ev.status === 'training-succeeded' || (m === 'v21' && ev.status === 'carrier-up')) trainedAt ??= ev.sample;
    log(`${who}: ${seconds(ev.sample)} s  ${ev.status}${ev.status === 'carrier-down' || ev.status === 'training-failed' ? ` (${ev.bits} bits so far)` : ''}`);
  }
  const up = sink.events.filter((e) => e.status === 'carrier-up').length;
  const down = sink.events.filter((e) => e.status === 'carrier-down').length;
  if (up > down) log(`${who}: carrier still up at the end of the file (${seconds(total)} s)`);
  log(`${who}: ${m}: ${total} samples (${seconds(total)} s), ${sink.count} data bits → ${values['bits-out']}`);
  if (trainedAt === undefined) {
    return fail(log, `${who}: the receiver never ${m === 'v21' ? 'detected a carrier' : 'trained'}`);
  }
  log(`${who}: trained at ${seconds(trainedAt)} s`);
  if (reference !== undefined) {
    const c = compareBits(reference, sink.bits, sink.count);
    if (c.offset < 0) return fail(log, `${who}: compare: the first 64 bits of ${values.compare ?? ''} are nowhere in the first ${COMPARE_SEARCH} bits received`);
    const ber = c.compared > 0 ? c.errors / c.compared : 0;
    log(`${who}: compare: offset=${c.offset} bits=${reference.length} errors=${c.errors} missing=${c.missing} BER=${ber === 0 ? '0' : ber.toExponential(2)}`);
    if (c.errors > 0 || c.missing > 0) return 1;
  }
  return 0;
}

/** How far into the received bits the reference's start is looked for (as modembench). */
export const COMPARE_SEARCH = 20_000;

/**
 * Aligns `ref` in `rx` (its first 64 bits, found within the first COMPARE_SEARCH bits, as
 * spandsp-peer's modembench does) and counts errors and the reference bits beyond the end of rx.
 */
export function compareBits(ref: Uint8Array, rx: Uint8Array, rxLen: number): { offset: number; compared: number; errors: number; missing: number } {
  const W = Math.min(64, ref.length);
  for (let off = 0; off + W <= rxLen && off <= COMPARE_SEARCH; off++) {
    let k = 0;
    while (k < W && rx[off + k] === ref[k]) k++;
    if (k < W) continue;
    const compared = Math.min(ref.length, rxLen - off);
    let errors = 0;
    for (let i = 0; i < compared; i++) if (rx[off + i] !== ref[i]) errors++;
    return { offset: off, compared, errors, missing: ref.length - compared };
  }
  return { offset: -1, compared: 0, errors: 0, missing: ref.length };
}

export function run(args: string[]): Promise<number> {
  return runModem(args, { createModemTransmitter, createModemReceiver });
}
