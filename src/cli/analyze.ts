/**
 * `faxwire analyze <capture> [--t38-version 0|2|auto] [--port N ...] [--json]`
 * Prints the timeline of a captured T.38 call (see src/analyze/analyze.ts); `--json` prints one
 * JSON object per line and a final `{ "summary": … }`. Exit 0 when the capture was read, 1 when
 * it could not be (or `--extract` could not write: the message names the step and path), 2 on
 * usage errors, 3 (EXIT_NOTHING_READ) when the file is a capture without a readable frame — no
 * packet, or none that carried SIP, T.38 or a demodulated T.30 frame — so scripts do not take an empty timeline for a call.
 */

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeAudio, analyzeCapture, analyzeCaptureStream, formatRecord, formatSummary, type AnalyzeOptions, type AnalyzeRecord, type AnalyzeResult, type AnalyzeSummary, type ExtractedPage } from '../analyze/index.js';
import { decodeAudioFile } from '../analyze/audio-file.js';
import { extractAudioStreams } from '../analyze/audio-streams.js';
import { writeWav } from '../capture/wav.js';
import { ensureDir, ensureDirSync, FileOpError, writeFileAtomic, writeFileAtomicSync } from '../node/atomic-file.js';
import { writePng, writeTiff } from '../image/index.js';
import type { T38Version } from '../t38/ifp.js';
import { UsageError, parseCommandArgs } from './command.js';

export const USAGE = `usage: faxwire analyze <capture.pcap|pcapng|recording.wav> [--t38-version 0|1|2|3|4|auto] [--port N ...] [--json] [--extract DIR] [--audio DIR] [--stats]
  The T.30 timeline of a captured fax call: T.38 streams (found from SIP/SDP, --port, or by their
  look) with one line per IFP, recovery from redundancy and FEC, losses; G.711 RTP audio (found
  the same ways) demodulated both ways — tones, V.21 frames, fast-modem trainings and pages; T.30
  frames decoded; a summary. A WAV recording (8 kHz; stereo = one direction per channel) is
  demodulated the same way.
  --t38-version V           the streams' T.38 version (default auto: worked out per stream)
  --port N[,N…]             UDP/TCP ports that carry T.38 or G.711 RTP (repeatable)
  --json                    one JSON object per line, then {"summary": …}
  --extract DIR             write the pages the call carried as DIR/page-N.tif and .png
  --stats                   on stderr: whether the capture was streamed, and how bounded its state stayed
  --audio DIR               write each G.711 RTP stream of a capture (found from SDP, --port or its
                            look) as DIR/audio-N.wav (8 kHz, 16-bit, lost packets as silence), listed
  Exit status 0 when the capture was read, 1 when it could not be (or --extract could not write),
  2 on bad arguments, 3 when it held no readable frame (no packet, or none with SIP, T.38 or T.30).`;

/** A RIFF/WAVE file (a recording) rather than a capture. */
function isWav(b: Uint8Array): boolean {
  return b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WAVE';
}

/** A WAV recording: every channel demodulated as one direction (8 kHz only). */
function analyzeWav(bytes: Uint8Array, extract: boolean): AnalyzeResult {
  const first = decodeAudioFile(bytes, { kind: 'wav', channel: 1 });
  if (!first.ok) return { ok: false, error: first.error };
  if (first.value.sampleRate !== 8000) return { ok: false, error: `the recording is ${first.value.sampleRate} Hz; fax audio is 8000 Hz (resample it first)` };
  const channels = [first.value.samples];
  for (let c = 2; c <= first.value.channels; c++) {
    const r = decodeAudioFile(bytes, { kind: 'wav', channel: c });
    if (!r.ok) return { ok: false, error: r.error };
    channels.push(r.value.samples);
  }
  return analyzeAudio(channels, { extract, format: `wav ${first.value.format}${first.value.truncated ? ' (truncated)' : ''}` });
}

/** Exit status when the file is a capture but nothing in it could be read as SIP or T.38. */
export const EXIT_NOTHING_READ = 3;

/**
 * No frame at all, or none that carried SIP, T.38 or T.30 (a capture of something else, all
 * truncated, or audio in which no fax frame could be demodulated).
 */
function nothingRead(s: AnalyzeSummary): boolean {
  return (s.frames === 0 && s.audioStreams.length === 0) || (s.ifps === 0 && s.datagrams === 0 && s.sipMessages === 0 && s.t30Frames === 0);
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      't38-version': { type: 'string', default: 'auto' },
      port: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      extract: { type: 'string' },
      audio: { type: 'string' },
      stats: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(file ? 'one capture file at a time' : 'which capture? (a .pcap or .pcapng file)');
  const v = values['t38-version'];
  let t38Version: AnalyzeOptions['t38Version'] = 'auto';
  if (v !== 'auto') {
    if (!/^[0-4]$/.test(v)) throw new UsageError(`--t38-version must be 0..4 or auto, got '${v}'`);
    t38Version = Number(v) as T38Version;
  }
  const ports: number[] = [];
  for (const p of values.port ?? []) {
    for (const part of p.split(',')) {
      const n = Number(part);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`bad --port '${part}'`);
      ports.push(n);
    }
  }
  // A capture is analysed as a stream (src/analyze/stream.ts): records are written as they
  // become final and pages as they finish, in bounded memory. Recordings, --audio (it writes
  // each stream's whole timeline as a WAV), and the few captures stream.ts hands back (G.711 it
  // cannot place) take the buffering path below (same output).
  if (values.stats && (values.audio !== undefined)) process.stderr.write('faxwire analyze: not streamed (--audio takes the buffering path)\n');
  if (values.audio === undefined) {
    const streamed = await streamInWorker({ file, opts: { t38Version, ports, extract: values.extract !== undefined }, json: values.json, extractDir: values.extract, stats: values.stats });
    if (streamed !== undefined) return streamed;
    if (values.stats) process.stderr.write('faxwire analyze: not streamed (a recording, G.711 audio the stream cannot place, or --extract with capture times going backwards): buffering path\n');
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    process.stderr.write(`faxwire analyze: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (values.audio !== undefined && isWav(bytes)) throw new UsageError('--audio is for captures (a WAV recording is audio already)');
  const extractDir = values.extract;
  const result = isWav(bytes) ? analyzeWav(bytes, extractDir !== undefined) : analyzeCapture(bytes, { t38Version, ports, extract: extractDir !== undefined });
  if (!result.ok) {
    process.stderr.write(`faxwire analyze: ${file}: ${result.error}\n`);
    return 1;
  }
  const out: string[] = [];
  const flush = (): void => {
    if (out.length) process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  };
  for (const r of result.records) {
    out.push(values.json ? JSON.stringify(r) : formatRecord(r));
    if (out.length >= 2000) flush();
  }
  out.push(values.json ? JSON.stringify({ summary: result.summary }) : formatSummary(result.summary));
  flush();
  if (extractDir !== undefined) {
    // Each page as TIFF (MMR, with the decoder's bad-row figures in the fax tags) and PNG, each
    // file written atomically (temporary file, fsync, rename).
    try {
      await ensureDir(extractDir);
      for (const p of result.pages ?? []) {
        const base = join(extractDir, `page-${p.index}`);
        const quality = { badRows: p.badRows, longestBadRun: p.longestBadRun };
        await writeFileAtomic(`${base}.tif`, writeTiff([{ bitmap: p.bitmap, quality }], { compression: 'mmr' }));
        await writeFileAtomic(`${base}.png`, writePng(p.bitmap));
        if (!values.json) process.stdout.write(`wrote ${base}.tif and ${base}.png${p.badRows > 0 ? ` (${p.badRows} concealed rows)` : ''}\n`);
      }
    } catch (e) {
      // A FileOpError names the step and the path: "cannot create directory …: EROFS".
      const why = e instanceof FileOpError ? e.message : `cannot write pages to ${extractDir}: ${e instanceof Error ? e.message : String(e)}`;
      process.stderr.write(`faxwire analyze: ${why}\n`);
      return 1;
    }
  }
  let audioStreams = 0;
  const audioDir = values.audio;
  if (audioDir !== undefined && !isWav(bytes)) {
    // The G.711 streams themselves (src/analyze/audio-streams.ts), one WAV per direction and
    // SSRC, to listen to or to give to `faxwire modem rx`; times relative to the capture's first
    // packet, like the records above.
    const a = extractAudioStreams(bytes, { ports });
    if (!a.ok) {
      process.stderr.write(`faxwire analyze: ${file}: ${a.error}\n`);
      return 1;
    }
    try {
      await ensureDir(audioDir);
      let i = 0;
      for (const st of a.streams) {
        const path = join(audioDir, `audio-${++i}.wav`);
        await writeFileAtomic(path, writeWav(st.samples, { format: 'slin', sampleRate: 8000 }));
        audioStreams++;
        const gapSamples = st.gaps.reduce((n, g) => n + g.length, 0);
        const rel = Math.round((st.startTime - a.captureStart) * 1e6) / 1e6;
        if (values.json) {
          const { samples: _samples, ...rest } = st;
          process.stdout.write(`${JSON.stringify({ type: 'audio', file: path, seconds: st.samples.length / 8000, time: rel, ...rest, startTimeNs: String(st.startTimeNs), endTime: Math.round((st.endTime - a.captureStart) * 1e6) / 1e6 })}\n`);
        } else {
          process.stdout.write(
            `audio ${i}: ${st.id} (${st.foundBy}, ${st.law}${st.payloadChanges.length > 1 ? `, ${st.payloadChanges.length - 1} payload type change(s)` : ''}) ` +
              `${(st.samples.length / 8000).toFixed(2)} s from ${rel.toFixed(3)} s, ${st.stats.packets} packets, ${st.stats.lost} lost, ` +
              `${st.gaps.length} gap(s) of ${(gapSamples / 8).toFixed(0)} ms → ${path}\n`,
          );
        }
      }
      for (const w of a.warnings) process.stderr.write(`faxwire analyze: ${w}\n`);
    } catch (e) {
      const why = e instanceof FileOpError ? e.message : `cannot write audio to ${audioDir}: ${e instanceof Error ? e.message : String(e)}`;
      process.stderr.write(`faxwire analyze: ${why}\n`);
      return 1;
    }
  }
  if (nothingRead(result.summary) && audioStreams === 0) {
    errOut(`faxwire analyze: ${file}: no readable frame (${result.summary.frames} frames, no SIP or T.38 in them)\n`);
    return EXIT_NOTHING_READ;
  }
  return 0;
}


class StdoutClosed extends Error {}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes to stdout before going on. `process.stdout.write` queues in memory whatever a pipe
 * cannot take at once, and the streaming analysis never yields to let the queue drain: a reader
 * slower than analyze (a pager) would see the whole timeline pile up in faxwire's memory. Here a
 * full pipe (EAGAIN on the non-blocking descriptor) makes analyze wait for it instead.
 */
function writeOut(s: string): void {
  const b = Buffer.from(s, 'utf8');
  let off = 0;
  while (off < b.length) {
    try {
      off += writeSync(1, b, off, b.length - off);
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2);
      else if (code === 'EPIPE') throw new StdoutClosed();
      else throw e;
    }
  }
}

/** stderr, written before going on (in the worker, `process.stderr` would pass through the main thread). */
function errOut(s: string): void {
  try {
    writeSync(2, s);
  } catch {
    process.stderr.write(s);
  }
}

/** What the worker needs to run `runStreaming`. */
export interface StreamJob {
  readonly file: string;
  readonly opts: AnalyzeOptions;
  readonly json: boolean;
  readonly extractDir: string | undefined;
  /** `--stats`: how bounded the run stayed, on stderr. */
  readonly stats?: boolean;
}

/**
 * Old-generation heap of the worker, MB. Not a budget the analysis needs (its live state is a few
 * tens of MB at 2 million packets): V8 sizes its heap growth from this limit, and with the default
 * (a few GB) it lets garbage pile up to well over 100 MB before collecting it. The limit also
 * leaves room for a capture with a great many flows (about 400 bytes each).
 */
const WORKER_HEAP_MB = 256;

/**
 * Runs the streaming analysis in a worker thread with a bounded heap (see WORKER_HEAP_MB): the
 * same stdout, stderr, files and exit status as running it here. undefined: take the buffering path.
 */
async function streamInWorker(job: StreamJob): Promise<number | undefined> {
  const heapMb = Number(process.env['FAXWIRE_ANALYZE_HEAP_MB'] ?? WORKER_HEAP_MB);
  const w = new Worker(new URL('./analyze-worker.js', import.meta.url), {
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: Number.isFinite(heapMb) && heapMb >= 32 ? heapMb : WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
  });
  return new Promise((resolveRun, reject) => {
    let answer: number | undefined;
    let failed: Error | undefined;
    w.on('message', (m: unknown) => {
      answer = typeof m === 'number' && m >= 0 ? m : undefined;
    });
    w.on('error', (e) => {
      failed = e;
    });
    w.on('exit', () => {
      if (failed === undefined) resolveRun(answer);
      else if ('code' in failed && failed.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        errOut(`faxwire analyze: ${job.file}: the analysis needed more than ${heapMb} MB of heap (set FAXWIRE_ANALYZE_HEAP_MB higher)\n`);
        resolveRun(1);
      } else reject(failed);
    });
  });
}

/** Bytes read from the capture at a time; small, as the UDPTL receiver holds views into them. */
const CHUNK = 64 * 1024;

/** The file's bytes chunk by chunk, from the start, each time it is called (one call per pass). */
function* fileChunks(path: string): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n <= 0) return;
      yield n === CHUNK ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The streaming analysis: the same stdout, stderr and exit status as the buffering path. Returns
 * undefined (having written nothing) when the capture needs the buffering path, or is not one
 * (a WAV recording, an unreadable file: the buffering path says why).
 */
export function runStreaming(file: string, opts: AnalyzeOptions, json: boolean, extractDir: string | undefined, stats = false): number | undefined {
  let head: Uint8Array;
  try {
    const fd = openSync(file, 'r');
    try {
      head = new Uint8Array(12);
      head = head.subarray(0, readSync(fd, head, 0, 12, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (isWav(head)) return undefined;
  let text = '';
  const write = (line: string): void => {
    text += line + '\n';
    if (text.length >= 1 << 16) {
      writeOut(text);
      text = '';
    }
  };
  // Pages go to disk the moment they are whole; what the buffering path prints about them (after
  // the summary) is kept until then, and so is a failure to write one.
  const wrote: string[] = [];
  let pageError: string | undefined;
  let dirMade = false;
  const page = (p: ExtractedPage): void => {
    if (extractDir === undefined || pageError !== undefined) return;
    try {
      if (!dirMade) {
        ensureDirSync(extractDir);
        dirMade = true;
      }
      const base = join(extractDir, `page-${p.index}`);
      const quality = { badRows: p.badRows, longestBadRun: p.longestBadRun };
      writeFileAtomicSync(`${base}.tif`, writeTiff([{ bitmap: p.bitmap, quality }], { compression: 'mmr' }));
      writeFileAtomicSync(`${base}.png`, writePng(p.bitmap));
      if (!json) wrote.push(`wrote ${base}.tif and ${base}.png${p.badRows > 0 ? ` (${p.badRows} concealed rows)` : ''}\n`);
    } catch (e) {
      pageError = e instanceof FileOpError ? e.message : `cannot write pages to ${extractDir}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  let result: ReturnType<typeof analyzeCaptureStream>;
  try {
    result = analyzeCaptureStream(() => fileChunks(file), { record: (r: AnalyzeRecord) => write(json ? JSON.stringify(r) : formatRecord(r)), page }, opts);
  } catch (e) {
    // The reader went away (`faxwire analyze big.pcap | head`): nothing more to say to anyone.
    if (e instanceof StdoutClosed) return 0;
    throw e;
  }
  if (!result.ok) {
    if (result.fallback !== undefined) return undefined;
    errOut(`faxwire analyze: ${file}: ${result.error}\n`);
    return 1;
  }
  if (stats) {
    const st = result.stats;
    errOut(
      `faxwire analyze: streamed ${st.flows} UDP flows (discovery state of ${st.discoveryEvictions} settled early as idle, ${st.maxLiveDiscovery} at most at once, ` +
        `${st.maxQueued} datagrams queued at most, ${st.ssrcsDropped} SSRCs not followed), ${st.streams} T.38 streams (${st.maxLiveStreams} decoding at most at once), ` +
        `${st.audioStreams} G.711 audio streams (${st.maxLiveAudio} demodulating at most at once, window ${st.maxAudioWindow} samples at most, ${st.audioSsrcsDropped} SSRCs not followed), ` +
        `${st.tcpDirections} TCP directions (${st.tcpForcedGaps} gaps forced by a full reorder buffer, ${st.tcpEvicted} evicted, ${st.tcpDropped} segments dropped), ` +
        `${st.maxPendingRecords} records waiting at most, ${st.lateRecords} written late\n`,
    );
  }
  write(json ? JSON.stringify({ summary: result.summary }) : formatSummary(result.summary));
  try {
    writeOut(text);
    for (const w of wrote) writeOut(w);
  } catch (e) {
    if (e instanceof StdoutClosed) return 0;
    throw e;
  }
  if (extractDir !== undefined) {
    if (pageError === undefined && !dirMade) {
      try {
        ensureDirSync(extractDir);
      } catch (e) {
        pageError = e instanceof FileOpError ? e.message : `cannot write pages to ${extractDir}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (pageError !== undefined) {
      errOut(`faxwire analyze: ${pageError}\n`);
      return 1;
    }
  }
  if (nothingRead(result.summary)) {
    errOut(`faxwire analyze: ${file}: no readable frame (${result.summary.frames} frames, no SIP or T.38 in them)\n`);
    return EXIT_NOTHING_READ;
  }
  return 0;
}
