/**
 * `faxwire analyze` as a stream: the same records, in the same order, with the same summary as
 * `analyzeCapture` (analyze.ts), but handed to a sink as they become final instead of held until
 * the end, with the state kept per flow and per stream bounded, so a capture of a day of calls
 * fits in memory.
 *
 * Why two passes over the file. The timeline opens with one `stream` line per T.38 stream, with
 * the ASN.1 version detected over both directions of the call and the streams numbered in order
 * of first appearance; which flows are streams depends on SDP anywhere in the capture and on
 * which SSRCs in a flow turn out to be RTP. None of that is known before the end of the file, so
 * the first pass (discovery) reads the whole capture keeping a few numbers per flow — and, for a
 * flow still undecided, only the datagrams whose RTP-ness is pending — and the second pass decodes
 * and writes. Reading a pcap twice costs far less than holding it (issue 13: 1.9 kB per packet).
 *
 * Order. `analyzeCapture` sorts its records by capture frame (stable: SIP, then each stream in
 * turn, then pages). Here records wait in a heap keyed the same way and leave it once no future
 * record can sort before them: the UDPTL receiver may still deliver a primary it holds in its
 * reorder window at that datagram's arrival frame, so the release point is the oldest arrival
 * still held. With `extract`, a page's record belongs at the start of the page but is only known
 * (rows, answer) at its end: records from the page's first data on wait until the page is final,
 * and `onPage` gets the page the moment it is (the CLI writes it to disk then).
 *
 * State. Per flow, a compact record for the whole run (a few numbers; the discovery state of a
 * flow idle longer than `idleSeconds` of capture time is settled and dropped, counted in
 * `stats.discoveryEvictions`); per T.38 stream, decoding state from its first datagram to its
 * last (known from the first pass), then only its summary counters.
 *
 * G.711 audio (stream-audio.ts): pass 1 follows the placement of every RTP packet per SSRC (a
 * few numbers), so the `audio-stream` line, sample 0's time and how far a stream ever reorders
 * are known before pass 2 decodes each packet into a sliding window and runs the modems over
 * what no later packet can change. An audio event's place is analyzeCapture's `orderAt` (just
 * after the last frame at or before its moment): it waits until the capture has passed that
 * moment, and the release point is held at the earliest moment an audio event may still have.
 *
 * TCP (SIP over TCP, T.38 over TCP in TPKT): each direction reassembled as its segments arrive
 * (tcp-reassembly.ts: at most 1 MiB / 1024 segments held out of order per direction, then a gap
 * is declared; closed directions evicted first, 65536 at most; all counted in the stats) in both
 * passes — pass 1 reads SIP/SDP, whether the first bytes are a TPKT header, and the version
 * costs; pass 2 writes. Bytes held out of order come out with their own, earlier frame, so the
 * release point is held at the oldest frame a direction holds.
 *
 * What is not streamed: G.711 on a dynamic payload type that SDP maps, G.711 or `extract` in a
 * capture whose times go backwards (orderAt's binary search; a page placed before its own data),
 * a G.711 stream longer than 4 hours. When the
 * first pass finds one, the result says `fallback` and the caller runs the buffering
 * `analyzeCapture` instead — same output, today's memory.
 *
 * Sans-IO: the caller hands a function that yields the file's bytes in chunks, once per pass.
 */

import { CaptureFrameReader, PacketDissector, TcpReassembler, type CapturedSegment, type CaptureWarning, type TcpStreamEvent } from '../capture/index.js';
import { TpktParser } from '../t38/tpkt.js';
import { decodeT30Frame, frameDetails, frameFcf, frameName, frameSummary } from '../t30/index.js';
import { T38FieldAssembler, type T38FieldEvent } from '../t38/field-assembler.js';
import { decodeIfp, ifpImplausibility, IfpView } from '../t38/ifp.js';
import { decodeUdptl } from '../t38/udptl.js';
import { UdptlReceiver } from '../t38/udptl-receiver.js';
import { ifpArrived, pageRecord, streamVersion, type AnalyzeOptions, type AnalyzeRecord, type AnalyzeSummary, type IfpSource, type StreamInfo, type StreamSummary } from './analyze.js';
import { CallPageExtractor, callsOfStreams, type ExtractedPage, type PageEvent } from './extract.js';
import { parseSipMessage, type SdpAudioEndpoint, type SdpT38Endpoint } from './sip.js';
import { decodeRtp } from '../rtp/index.js';
import { decodeT30Frame as decodeT30, type T30Frame } from '../t30/index.js';
import type { T30LineEvent } from '../t30/line.js';
import { AUDIO_RATE_HZ, AudioTrack, LiveAudio, type PlacementLimits } from './stream-audio.js';
import type { AudioStreamSummary } from './analyze.js';

/** The capture's bytes, from the start, in chunks of any size; called once per pass. */
export type CaptureSource = () => Iterable<Uint8Array>;

export interface AnalyzeSink {
  /** Each record once final, in timeline order, times relative to the first packet. */
  record(r: AnalyzeRecord): void;
  /** With `extract`: each page once nothing in the capture can change it (before its record). */
  page?(p: ExtractedPage): void;
}

export interface StreamAnalyzeOptions extends AnalyzeOptions {
  /** A flow silent this long (capture seconds) has its discovery state settled and dropped (default 120). */
  readonly idleSeconds?: number;
  /** SSRCs followed per flow to tell RTP from UDPTL (default 1024; more are taken as not RTP). */
  readonly maxSsrcsPerFlow?: number;
}

/** How bounded the run stayed (all counts; none of this changes the records). */
export interface StreamAnalyzeStats {
  /** UDP flows seen. */
  flows: number;
  /** Flows whose discovery state was settled early because they fell idle. */
  discoveryEvictions: number;
  /** Most flows with discovery state at once. */
  maxLiveDiscovery: number;
  /** Datagrams held at once by discovery while their SSRC's RTP-ness was pending. */
  maxQueued: number;
  /** SSRCs not followed because a flow had `maxSsrcsPerFlow` already. */
  ssrcsDropped: number;
  /** T.38 streams decoded. */
  streams: number;
  /** Most streams with decoding state at once. */
  maxLiveStreams: number;
  /** Most records waiting for their turn at once. */
  maxPendingRecords: number;
  /** Records that arrived after later ones had been written (a seq reused after wrap-around): written late. */
  lateRecords: number;
  /** G.711 audio streams demodulated as they arrived. */
  audioStreams: number;
  /** Most audio streams with demodulation state at once. */
  maxLiveAudio: number;
  /** Largest sample window one audio stream held (samples; set by its reordering and gaps). */
  maxAudioWindow: number;
  /** SSRCs sending G.711 not followed because a flow had `maxSsrcsPerFlow` already. */
  audioSsrcsDropped: number;
  /** TCP directions reassembled; out-of-order buffers overflowed (a gap declared); closed directions evicted; segments dropped with all directions open. */
  tcpDirections: number;
  tcpForcedGaps: number;
  tcpEvicted: number;
  tcpDropped: number;
}

export type StreamAnalyzeResult =
  | { readonly ok: true; readonly summary: AnalyzeSummary; readonly stats: StreamAnalyzeStats }
  | { readonly ok: false; readonly error: string; readonly fallback?: never }
  /** The capture has what only `analyzeCapture` handles (G.711 it cannot place, see above): nothing was written. */
  | { readonly ok: false; readonly fallback: string; readonly error?: never };

const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

// --- discovery (first pass) -------------------------------------------------------------------

/** Per-version state of `sequenceImplausibility` (analyze.ts), fed one primary at a time. */
interface Implausibility {
  cost: number;
  last: string | undefined;
}

interface SsrcSeen {
  /** Distinct RTP sequence numbers, up to 3 (3 make it RTP). */
  readonly seqs: number[];
  count: number;
}

/** A datagram whose SSRC's RTP-ness is pending (copied: chunks are not held). */
interface Queued {
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

interface Discovery {
  readonly ssrcs: Map<number, SsrcSeen>;
  /** From the first datagram whose RTP-ness is pending on: fed once it is settled. */
  readonly queue: Queued[];
}

/** What the run keeps of a UDP flow (few numbers), plus its discovery state while live. */
interface FlowInfo {
  readonly key: string;
  /** Order of first appearance among all flows, UDP and TCP (streams are numbered in it). */
  readonly order: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  lastFrame: number;
  lastTime: number;
  segments: number;
  /** Carried a SIP message (the second pass parses only these flows). */
  sip: boolean;
  /** Datagrams shaped like RTP v2 (≥ 12 octets): G.711 audio is possible. */
  rtpShaped: number;
  disc: Discovery | undefined;
  /** SSRCs proven RTP (≥ 3 sequence numbers), undefined when none. */
  rtp: Set<number> | undefined;
  rtpSkipped: number;
  // looksLikeUdptl, incrementally.
  tried: number;
  good: number;
  consecutive: number;
  prev: number;
  // Version detection over the first 1000 decodable primaries.
  imps: number;
  readonly imp: [Implausibility, Implausibility];
  /** Index into the streams, -1 when not T.38. */
  stream: number;
  /** Pass 1: G.711 (payload type 0/8) sent per SSRC, in order of first G.711 packet. */
  audio: Map<number, AudioTrack> | undefined;
  /** RTP payload types seen (a dynamic one SDP maps to G.711 sends the capture to the buffering path). */
  pts: Set<number> | undefined;
  /** Pass 2: SSRC → index of its audio stream. */
  audioIdx: Map<number, number> | undefined;
}

/** A TCP flow (one direction of a connection's 4-tuple): what analyzeCapture reads from it, incrementally. */
interface TcpFlow {
  readonly tcp: true;
  readonly key: string;
  readonly order: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** Carried a SIP message. */
  sip: boolean;
  /** The first reassembled chunk: its length and first two octets (a TPKT header opens a stream). */
  firstLen: number;
  first0: number;
  first1: number;
  /** Version detection over the first ≥ 1000 IFPs (whole chunks, as analyzeCapture). */
  ifps: number;
  readonly imp: [Implausibility, Implausibility];
  det: TpktParser | undefined;
  stream: number;
}

/** Pass 2 of a TPKT stream (analyzeCapture's TPKT branch). */
interface TcpLive {
  readonly st: LiveStream;
  tpkt: TpktParser;
  resync: boolean;
  tpktSeq: number;
}

const LOOK_TRIES = 400;
/** TCP directions reassembled at once (each holds ≤ 1 MiB out of order; closed ones are evicted first). */
const TCP_DIRECTIONS = 65536;
const VERSION_IFPS = 1000;

function satisfied(f: FlowInfo): boolean {
  return f.tried > LOOK_TRIES && f.imps >= VERSION_IFPS;
}

/** One datagram known not to be RTP, in flow order: looksLikeUdptl and the version costs. */
function feed(f: FlowInfo, payload: Uint8Array, view: IfpView): void {
  const looking = f.tried <= LOOK_TRIES;
  if (looking) f.tried++;
  const wantImp = f.imps < VERSION_IFPS;
  if (!(looking && f.tried <= LOOK_TRIES) && !wantImp) return;
  const r = decodeUdptl(payload);
  if (!r.ok) return;
  const p = r.value.primary;
  if (looking && f.tried <= LOOK_TRIES && r.bytesRead === payload.length && Math.min(ifpImplausibility(p, 0, view), ifpImplausibility(p, 1, view)) < 3) {
    f.good++;
    if (f.prev >= 0 && ((r.value.seq - f.prev) & 0xffff) <= 3) f.consecutive++;
    f.prev = r.value.seq;
  }
  if (wantImp) {
    f.imps++;
    implausibilityStep(f.imp[0], p, 0, view);
    implausibilityStep(f.imp[1], p, 1, view);
  }
}

/** One step of analyze.ts's `sequenceImplausibility` (same rules, same order). */
function implausibilityStep(s: Implausibility, b: Uint8Array, version: 0 | 1, view: IfpView): void {
  s.cost += ifpImplausibility(b, version, view);
  const r = decodeIfp(b, version, view);
  if (!r.ok) {
    s.last = undefined;
    return;
  }
  const ifp = r.value;
  if (ifp.type === 't30-indicator') {
    if (s.last === 'hdlc-fcs-OK' || s.last === 'hdlc-fcs-BAD') s.cost += 1;
    s.last = undefined;
    return;
  }
  for (const fl of ifp.fields ?? []) {
    if (fl.type === 'hdlc-data' && (s.last === 'hdlc-fcs-OK-sig-end' || s.last === 'hdlc-fcs-BAD-sig-end')) s.cost += 1;
    s.last = fl.type;
  }
}

const looksLikeUdptl = (f: FlowInfo): boolean => f.good >= 3 && f.good >= f.tried * 0.3 && f.consecutive >= (f.good - 1) * 0.5;

// --- decoding (second pass) -------------------------------------------------------------------

interface Arrival {
  readonly frame: number;
  readonly time: number;
  readonly bytes: number;
  readonly redundancy: string;
  /** The receiver dropped this datagram (late, duplicate, malformed): it is not held back. */
  stale: boolean;
}

/** A G.711 audio stream found by pass 1. */
interface AudioInfo {
  readonly flow: FlowInfo;
  readonly track: AudioTrack;
  readonly foundBy: 'sdp' | 'port' | 'heuristic';
  readonly src: string;
  readonly dst: string;
  id: string;
  index: number;
  /** Epoch seconds of sample 0. */
  readonly startTime: number;
}

/** Pass 2 of an audio stream: its demodulator and the events waiting for their place in time. */
interface LiveAudioState {
  readonly info: AudioInfo;
  readonly live: LiveAudio;
  readonly queue: { readonly time: number; readonly ev: T30LineEvent }[];
  qHead: number;
  finished: boolean;
  t30Frames: number;
  t30BadFrames: number;
}

interface LiveStream {
  readonly index: number;
  readonly info: StreamInfo;
  readonly summary: StreamSummary;
  readonly assembler: T38FieldAssembler;
  readonly receiver: UdptlReceiver;
  readonly arrivals: Map<number, Arrival>;
  lastSeq: number;
}

/** A record or a page event waiting for its place: (order, rank, seq) as analyzeCapture sorts. */
interface Pending {
  readonly order: number;
  readonly rank: number;
  readonly seq: number;
  readonly rec: AnalyzeRecord | undefined;
  readonly ev: PageEvent | undefined;
}

const before = (a: Pending, b: Pending): boolean => a.order < b.order || (a.order === b.order && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq)));

/** A binary min-heap of pending records. */
class PendingHeap {
  private readonly items: Pending[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Pending | undefined {
    return this.items[0];
  }
  push(p: Pending): void {
    const a = this.items;
    let i = a.length;
    a.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const q = a[parent] as Pending;
      if (!before(p, q)) break;
      a[i] = q;
      i = parent;
    }
    a[i] = p;
  }
  pop(): Pending | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && before(a[r] as Pending, a[l] as Pending) ? r : l;
      if (!before(a[c] as Pending, last)) break;
      a[i] = a[c] as Pending;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const SIP_RANK = 0;
/** How many record-breaking page-event times are kept to place a page's record. */
const BREAKERS = 4096;

/**
 * Streams `analyzeCapture`'s output for the capture `source` yields, into `sink`. On a capture
 * with G.711 it cannot place (see above) the result is `{ ok: false, fallback }` and nothing
 * was written.
 */
export function analyzeCaptureStream(source: CaptureSource, sink: AnalyzeSink, options: StreamAnalyzeOptions = {}): StreamAnalyzeResult {
  const idleSeconds = options.idleSeconds ?? 120;
  const maxSsrcs = Math.max(1, options.maxSsrcsPerFlow ?? 1024);
  const view = new IfpView();
  const stats: StreamAnalyzeStats = {
    flows: 0,
    discoveryEvictions: 0,
    maxLiveDiscovery: 0,
    maxQueued: 0,
    ssrcsDropped: 0,
    streams: 0,
    maxLiveStreams: 0,
    maxPendingRecords: 0,
    lateRecords: 0,
    audioStreams: 0,
    maxLiveAudio: 0,
    maxAudioWindow: 0,
    audioSsrcsDropped: 0,
    tcpDirections: 0,
    tcpForcedGaps: 0,
    tcpEvicted: 0,
    tcpDropped: 0,
  };

  /** Runs `visit` over every UDP/TCP segment of the capture; the capture's warnings to `onWarning`. */
  const pass = (visit: (s: CapturedSegment) => boolean, onWarning: (w: CaptureWarning) => void): { ok: true; frames: number; format: string } | { ok: false; error: string } => {
    const dissector = new PacketDissector({ onWarning });
    let stop = false;
    const reader = new CaptureFrameReader((f) => {
      if (stop) return;
      const out = dissector.dissect(f);
      if (out.kind === 'segment' && !visit(out.segment)) stop = true;
    }, onWarning);
    for (const chunk of source()) {
      const e = reader.push(chunk);
      if (e) return { ok: false, error: e.message };
      if (stop) break;
    }
    const r = reader.end();
    if (!r.ok) return { ok: false, error: r.error.message };
    dissector.finish();
    return { ok: true, frames: dissector.getStats().frames, format: r.value.format };
  };

  // ---- pass 1: discovery ----
  const flows = new Map<string, FlowInfo>();
  const live = new Set<FlowInfo>();
  const warnings: string[] = [];
  const audioWarnings: string[] = [];
  const audioStreamWarnings: string[] = [];
  const sdpT38: SdpT38Endpoint[] = [];
  const sdpAudio: SdpAudioEndpoint[] = [];
  let sipMessages = 0;
  let t0: number | undefined;
  let fallback: string | undefined;
  let seen = 0;
  let queued = 0;
  let flowOrder = 0;
  let lastSegTime = -Infinity;
  let timesBackwards = false;
  const limits: PlacementLimits = { maxSkewSamples: 2 * AUDIO_RATE_HZ, maxLateSamples: 30 * AUDIO_RATE_HZ };
  const maxSamples = 4 * 3600 * AUDIO_RATE_HZ;

  const settle = (f: FlowInfo, final: boolean): void => {
    const d = f.disc;
    if (!d) return;
    // What is still pending is not RTP: its SSRC never reached three sequence numbers.
    for (const q of d.queue) if (!f.rtp?.has(q.ssrc) && !satisfied(f)) feed(f, q.payload, view);
    queued -= d.queue.length;
    for (const s of d.ssrcs.values()) if (s.seqs.length >= 3) f.rtpSkipped += s.count;
    f.disc = undefined;
    live.delete(f);
    if (!final) stats.discoveryEvictions++;
  };

  const sweep = (now: number): void => {
    for (const f of live) if (now - f.lastTime > idleSeconds) settle(f, false);
  };

  const discover = (s: CapturedSegment): boolean => {
    t0 ??= s.time;
    if (s.time < lastSegTime) timesBackwards = true;
    lastSegTime = s.time;
    if (s.proto === 'tcp') {
      // TCP that may carry SIP or TPKT goes to the buffering path (which reassembles it); other
      // TCP (a shell session, HTTP) is nothing analyzeCapture would print, and is skipped.
      // Reassembled (bounded per direction: tcp-reassembly.ts) and read as analyzeCapture reads it.
      const key = `tcp ${endpoint(s.src, s.srcPort)} ${endpoint(s.dst, s.dstPort)}`;
      if (!tcpFlows.has(key)) {
        tcpFlows.set(key, {
          tcp: true,
          key,
          order: flowOrder++,
          src: s.src,
          srcPort: s.srcPort,
          dst: s.dst,
          dstPort: s.dstPort,
          sip: false,
          firstLen: -1,
          first0: -1,
          first1: -1,
          ifps: 0,
          imp: [
            { cost: 0, last: undefined },
            { cost: 0, last: undefined },
          ],
          det: undefined,
          stream: -1,
        });
      }
      for (const ev of tcp1.push(s)) tcpEvent1(ev);
      return true;
    }
    if (++seen % 4096 === 0) sweep(s.time);
    const key = `udp ${endpoint(s.src, s.srcPort)} ${endpoint(s.dst, s.dstPort)}`;
    let f = flows.get(key);
    if (!f) {
      f = {
        key,
        order: flowOrder++,
        src: s.src,
        srcPort: s.srcPort,
        dst: s.dst,
        dstPort: s.dstPort,
        lastFrame: s.frame,
        lastTime: s.time,
        segments: 0,
        sip: false,
        rtpShaped: 0,
        disc: undefined,
        rtp: undefined,
        rtpSkipped: 0,
        tried: 0,
        good: 0,
        consecutive: 0,
        prev: -1,
        imps: 0,
        imp: [
          { cost: 0, last: undefined },
          { cost: 0, last: undefined },
        ],
        stream: -1,
        audio: undefined,
        pts: undefined,
        audioIdx: undefined,
      };
      flows.set(key, f);
      stats.flows++;
    }
    f.lastFrame = s.frame;
    f.lastTime = s.time;
    f.segments++;
    const p = s.payload;
    const ev = parseSipMessage(p, { frame: s.frame, time: s.time, src: endpoint(s.src, s.srcPort), dst: endpoint(s.dst, s.dstPort) });
    if (ev) {
      sipMessages++;
      f.sip = true;
      sdpT38.push(...ev.t38);
      sdpAudio.push(...ev.audio);
    }
    if (p.length >= 12 && (p[0]! & 0xc0) === 0x80) {
      // G.711 audio (audio-streams.ts): placement tracked per SSRC, the audio itself not held.
      const r = decodeRtp(p);
      if (r.ok) {
        const pt = r.value.payloadType;
        if ((f.pts ??= new Set()).size < 128) f.pts.add(pt);
        if (pt === 0 || pt === 8) {
          const audio = (f.audio ??= new Map<number, AudioTrack>());
          let t = audio.get(r.value.ssrc);
          if (!t && audio.size < maxSsrcs) audio.set(r.value.ssrc, (t = new AudioTrack(r.value.ssrc, limits)));
          if (t) t.add(r.value, s.frame, s.timeNs);
          else stats.audioSsrcsDropped++;
        }
      }
    }
    let d = f.disc;
    if (!d) {
      d = f.disc = { ssrcs: new Map(), queue: [] };
      live.add(f);
      if (live.size > stats.maxLiveDiscovery) stats.maxLiveDiscovery = live.size;
    }
    // RTP: a recurring SSRC whose sequence numbers change (analyze.ts `rtpDatagrams`).
    let ssrc = -1;
    if (p.length >= 12 && (p[0]! & 0xc0) === 0x80) {
      f.rtpShaped++;
      ssrc = ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0;
      const seq = (p[2]! << 8) | p[3]!;
      let e = d.ssrcs.get(ssrc);
      if (!e && d.ssrcs.size < maxSsrcs) d.ssrcs.set(ssrc, (e = { seqs: [], count: 0 }));
      if (!e) {
        stats.ssrcsDropped++;
        ssrc = -1;
      } else {
        e.count++;
        if (e.seqs.length < 3 && !e.seqs.includes(seq)) {
          e.seqs.push(seq);
          if (e.seqs.length === 3) (f.rtp ??= new Set()).add(ssrc);
        }
      }
    }
    if (satisfied(f)) {
      if (d.queue.length > 0) {
        queued -= d.queue.length;
        d.queue.length = 0;
      }
      return true;
    }
    if (ssrc >= 0 && f.rtp?.has(ssrc)) {
      // Proven RTP: skipped, and whatever waited on this SSRC can go on.
    } else if (ssrc >= 0 || d.queue.length > 0) {
      d.queue.push({ ssrc, payload: p.slice() });
      queued++;
      if (queued > stats.maxQueued) stats.maxQueued = queued;
    } else {
      feed(f, p, view);
    }
    // Feed the queue's head while its RTP-ness is settled (not RTP-shaped, or proven RTP).
    while (d.queue.length > 0) {
      const q = d.queue[0] as Queued;
      const proven = q.ssrc >= 0 && f.rtp?.has(q.ssrc) === true;
      if (q.ssrc >= 0 && !proven) break;
      d.queue.shift();
      queued--;
      if (!proven && !satisfied(f)) feed(f, q.payload, view);
    }
    return true;
  };

  /** TCP flows seen (skipped): one chosen by --port or by SDP `tcptl` sends the capture to the buffering path. */
  const tcpFlows = new Map<string, TcpFlow>();
  const tcp1 = new TcpReassembler({ collect: false, maxStreams: TCP_DIRECTIONS });
  const byId1 = new Map<number, TcpFlow>();
  const tcpKey = (src: string, srcPort: number, dst: string, dstPort: number): string => `tcp ${endpoint(src, srcPort)} ${endpoint(dst, dstPort)}`;
  const tcpEvent1 = (ev: TcpStreamEvent): void => {
    if (ev.kind === 'open') {
      const f = tcpFlows.get(tcpKey(ev.stream.src, ev.stream.srcPort, ev.stream.dst, ev.stream.dstPort));
      if (f) byId1.set(ev.stream.id, f);
      return;
    }
    if (ev.kind !== 'data') return;
    const f = byId1.get(ev.streamId);
    if (!f) return;
    const bytes = ev.bytes;
    const sip = parseSipMessage(bytes, { frame: ev.frame, time: Number(ev.timeNs) / 1e9, src: endpoint(f.src, f.srcPort), dst: endpoint(f.dst, f.dstPort) });
    if (sip) {
      sipMessages++;
      f.sip = true;
      sdpT38.push(...sip.t38);
      sdpAudio.push(...sip.audio);
    }
    if (f.firstLen < 0) {
      f.firstLen = bytes.length;
      f.first0 = bytes[0] ?? -1;
      f.first1 = bytes[1] ?? -1;
    }
    if (f.ifps < VERSION_IFPS) {
      for (const b of (f.det ??= new TpktParser()).push(bytes)) {
        f.ifps++;
        implausibilityStep(f.imp[0], b, 0, view);
        implausibilityStep(f.imp[1], b, 1, view);
      }
      if (f.ifps >= VERSION_IFPS) f.det = undefined;
    }
  };
  const fileWarnings: CaptureWarning[] = [];
  const p1 = pass(discover, (w) => {
    if (fileWarnings.length < 50) fileWarnings.push(w);
  });
  if (!p1.ok) return { ok: false, error: p1.error };
  for (const ev of tcp1.flush()) tcpEvent1(ev);
  byId1.clear();
  if (fallback !== undefined) return { ok: false, fallback };
  for (const f of live) settle(f, true);
  for (const w of fileWarnings) warnings.push(`frame ${w.frame}: ${w.message}`);
  // extractAudioStreams repeats the capture's first 20 warnings under "audio:" (analyzeCapture).
  for (const w of fileWarnings.slice(0, 20)) audioWarnings.push(`audio: frame ${w.frame}: ${w.message}`);

  // G.711 audio streams (audio-streams.ts `findAudioStreams`: the same tests, the same order).
  const ports = new Set(options.ports ?? []);
  const audioFound: AudioInfo[] = [];
  for (const f of flows.values()) {
    if (!f.audio) continue;
    const announced = sdpAudio.filter((e) => e.port !== 0 && ((e.ip === f.dst && e.port === f.dstPort) || (e.ip === f.src && e.port === f.srcPort)));
    const byPort = ports.has(f.srcPort) || ports.has(f.dstPort);
    const foundBy: AudioInfo['foundBy'] = announced.length > 0 ? 'sdp' : byPort ? 'port' : 'heuristic';
    for (const e of announced) {
      for (const g of e.g711) if (g.pt !== 0 && g.pt !== 8 && f.pts?.has(g.pt)) return { ok: false, fallback: `G.711 on dynamic payload type ${g.pt} in ${f.key}` };
    }
    for (const t of f.audio.values()) {
      if (foundBy === 'heuristic' && (t.g711 < 8 || !t.consistent)) continue;
      if (t.firstFrame < 0) continue;
      if (t.length > maxSamples) return { ok: false, fallback: `G.711 stream longer than ${maxSamples} samples in ${f.key}` };
      const src = endpoint(f.src, f.srcPort);
      const dst = endpoint(f.dst, f.dstPort);
      const longId = `rtp ${src} → ${dst} ssrc 0x${t.ssrc.toString(16).padStart(8, '0')}`;
      if (t.placement.discontinuities > 0) audioStreamWarnings.push(`${longId}: ${t.placement.discontinuities} timestamp discontinuities (placed by capture time)`);
      audioFound.push({ flow: f, track: t, foundBy, src, dst, id: '', index: 0, startTime: Number(t.startTimeNs) / 1e9 });
    }
  }
  audioFound.sort((a, b) => a.track.firstFrame - b.track.firstFrame);
  audioFound.forEach((a, i) => {
    a.id = `A${i + 1}`;
    a.index = i;
    (a.flow.audioIdx ??= new Map()).set(a.track.ssrc, i);
  });
  if (audioFound.length > 0 && timesBackwards) return { ok: false, fallback: 'G.711 audio in a capture whose times go backwards' };
  // analyzeCapture places a page's record at the first page event (in capture order) at or after
  // the page's start; when times go backwards that event can come before the page's own data —
  // records already written. Such a capture takes the buffering path.
  if (options.extract && timesBackwards) return { ok: false, fallback: '--extract on a capture whose times go backwards' };
  for (const w of audioStreamWarnings) audioWarnings.push(`audio: ${w}`);
  audioWarnings.splice(20);
  stats.audioStreams = audioFound.length;

  // Which flows are T.38 (analyze.ts, the same tests in the same order).
  const chosen: { flow: FlowInfo | TcpFlow; foundBy: StreamInfo['foundBy']; sdp?: SdpT38Endpoint }[] = [];
  const allFlows: (FlowInfo | TcpFlow)[] = [...flows.values(), ...tcpFlows.values()];
  if (tcpFlows.size > 0) allFlows.sort((a, b) => a.order - b.order);
  for (const f of allFlows) {
    if ('tcp' in f) {
      const sdp = sdpT38.find((e) => ((e.ip === f.dst && e.port === f.dstPort) || (e.ip === f.src && e.port === f.srcPort)) && e.port !== 0 && e.transport !== 'udptl');
      if (ports.has(f.srcPort) || ports.has(f.dstPort)) chosen.push(sdp ? { flow: f, foundBy: 'port', sdp } : { flow: f, foundBy: 'port' });
      else if (sdp) chosen.push({ flow: f, foundBy: 'sdp', sdp });
      else if (ports.size === 0 && f.firstLen >= 5 && f.first0 === 3 && f.first1 === 0) chosen.push({ flow: f, foundBy: 'heuristic' });
      continue;
    }
    const sdp = sdpT38.find((e) => ((e.ip === f.dst && e.port === f.dstPort) || (e.ip === f.src && e.port === f.srcPort)) && e.port !== 0 && e.transport === 'udptl');
    if (ports.has(f.srcPort) || ports.has(f.dstPort)) {
      chosen.push(sdp ? { flow: f, foundBy: 'port', sdp } : { flow: f, foundBy: 'port' });
    } else if (sdp && f.segments > f.rtpSkipped) {
      chosen.push({ flow: f, foundBy: 'sdp', sdp });
    } else if (ports.size === 0 && looksLikeUdptl(f)) {
      chosen.push({ flow: f, foundBy: 'heuristic' });
    }
  }
  const chosenKeys = new Set(chosen.map((c) => c.flow.key));
  const infos: StreamInfo[] = [];
  const summaries: StreamSummary[] = [];
  chosen.forEach((c, i) => {
    const f = c.flow;
    const { version, versionSource } = streamVersion(options.t38Version, c.sdp?.version, () => {
      // Detection over both directions of the call, when the other direction is a stream too.
      const back = 'tcp' in f ? tcpFlows.get(tcpKey(f.dst, f.dstPort, f.src, f.srcPort)) : flows.get(`udp ${endpoint(f.dst, f.dstPort)} ${endpoint(f.src, f.srcPort)}`);
      const b = back && chosenKeys.has(back.key) ? back : undefined;
      return [f.imp[0].cost + (b?.imp[0].cost ?? 0), f.imp[1].cost + (b?.imp[1].cost ?? 0)];
    });
    infos.push({ id: `S${i + 1}`, transport: 'tcp' in f ? 'tpkt' : 'udptl', src: endpoint(f.src, f.srcPort), dst: endpoint(f.dst, f.dstPort), version, versionSource, foundBy: c.foundBy });
    summaries.push({
      id: `S${i + 1}`,
      datagrams: 0,
      ifps: 0,
      primaries: 0,
      recoveredFromSecondary: 0,
      recoveredFromFec: 0,
      lost: 0,
      malformed: 0,
      duplicates: 0,
      late: 0,
      zeroLengthSecondaries: 0,
      rtpSkipped: 'tcp' in f ? 0 : f.rtpSkipped,
      t30Frames: 0,
      t30BadFrames: 0,
    });
    f.stream = i;
  });
  stats.streams = infos.length;

  // ---- output: heap → (page hold) → sink ----
  const start = t0 ?? 0;
  const relative = (r: AnalyzeRecord): AnalyzeRecord => ('time' in r ? { ...r, time: Math.round((r.time - start) * 1e6) / 1e6 } : r);
  const heap = new PendingHeap();
  let nextSeq = 0;
  /** Highest order already handed on from the heap. */
  let released = -Infinity;
  const push = (order: number, rank: number, rec: AnalyzeRecord | undefined, ev?: PageEvent): void => {
    if (order <= released) stats.lateRecords++;
    heap.push({ order, rank, seq: nextSeq++, rec, ev });
    if (heap.size > stats.maxPendingRecords) stats.maxPendingRecords = heap.size;
  };

  // Pages (--extract): records from a page's start wait until the page is final.
  const out: { order: number; rec: AnalyzeRecord }[] = [];
  let outHead = 0;
  const readyPages: { order: number; rec: AnalyzeRecord }[] = [];
  /** Record-breaking page-event times, to place a page where analyzeCapture places it. */
  const breakOrder: number[] = [];
  const breakTime: number[] = [];
  let maxTime = -Infinity;
  const placeAt = (time: number): number => {
    // analyzeCapture: the first page event (in order) whose time is ≥ the page's time.
    let lo = 0;
    let hi = breakTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((breakTime[mid] as number) >= time) hi = mid;
      else lo = mid + 1;
    }
    return breakOrder[lo] ?? breakOrder[breakOrder.length - 1] ?? 0;
  };
  const calls = callsOfStreams([...infos.map((i) => ({ id: i.id, src: i.src, dst: i.dst })), ...audioFound.map((a) => ({ id: a.id, src: a.src, dst: a.dst }))]);
  const extractor = options.extract
    ? new CallPageExtractor(calls.callOf, calls.label, (p) => {
        // In order (stable) of place: pages of several calls are not handed over in that order.
        const order = placeAt(p.time);
        let at = readyPages.length;
        while (at > 0 && (readyPages[at - 1] as { order: number }).order > order) at--;
        readyPages.splice(at, 0, { order, rec: pageRecord(p) });
        sink.page?.(p);
      })
    : undefined;

  /** Writes what can be written: records before `bound`, with the pages placed among them. */
  const drain = (bound: number): void => {
    let hold = bound;
    if (extractor) {
      const open = extractor.openSince();
      if (open !== undefined) hold = Math.min(hold, placeAt(open));
      const pend = extractor.pendingSince();
      if (pend !== undefined) hold = Math.min(hold, placeAt(pend));
    }
    for (;;) {
      const r = outHead < out.length ? out[outHead] : undefined;
      const pg = readyPages[0];
      if (pg && pg.order < hold && (!r || pg.order < r.order)) {
        readyPages.shift();
        sink.record(relative(pg.rec));
      } else if (r && r.order < hold) {
        outHead++;
        sink.record(relative(r.rec));
      } else break;
    }
    if (outHead > 1024 && outHead * 2 > out.length) {
      out.splice(0, outHead);
      outHead = 0;
    }
  };

  /** Moves everything ordered before `bound` out of the heap. */
  const release = (bound: number): void => {
    for (let top = heap.peek(); top !== undefined && top.order < bound; top = heap.peek()) {
      heap.pop();
      if (top.order > released) released = top.order;
      if (top.rec) {
        if (extractor) out.push({ order: top.order, rec: top.rec });
        else sink.record(relative(top.rec));
      } else if (top.ev && extractor) {
        if (top.ev.time > maxTime) {
          maxTime = top.ev.time;
          breakOrder.push(top.order);
          breakTime.push(top.ev.time);
          if (breakOrder.length > 2 * BREAKERS) {
            breakOrder.splice(0, BREAKERS);
            breakTime.splice(0, BREAKERS);
          }
        }
        extractor.push(top.ev);
      }
    }
    if (extractor) drain(bound);
  };

  // The stream lines open the timeline (order 0: before every frame).
  for (const info of infos) sink.record({ type: 'stream', ...info });

  // ---- pass 2: decode ----
  const streams = new Map<number, LiveStream>();

  const lineEvent = (st: LiveStream, ev: T38FieldEvent, seq: number, frame: number, time: number): void => {
    const rank = 1 + st.index;
    const id = st.info.id;
    if (extractor) {
      // A copy: the event's bytes are a view into the capture chunk, which must not be held.
      if (ev.kind === 'non-ecm-data') push(frame, rank, undefined, { kind: 'non-ecm', time, stream: id, data: ev.data.slice() });
      if (ev.kind === 'non-ecm-sig-end') push(frame, rank, undefined, { kind: 'non-ecm-end', time, stream: id });
    }
    if (ev.kind !== 'hdlc-frame') return;
    st.summary.t30Frames++;
    if (!ev.ok) st.summary.t30BadFrames++;
    const d = decodeT30Frame(ev.frame);
    const base = { type: 't30' as const, frame, time, stream: id, seq, modem: ev.dataType, ok: ev.ok, hex: hex(ev.frame) };
    const problem = ev.problem !== undefined ? { problem: ev.problem } : {};
    if (d.ok) {
      if (extractor) push(frame, rank, undefined, { kind: 't30', time, stream: id, frame: d.value, ok: ev.ok });
      const details = frameDetails(d.value);
      push(frame, rank, { ...base, ...problem, name: frameName(d.value), fcf: frameFcf(d.value), summary: frameSummary(d.value), ...(details.length ? { details } : {}) });
    } else {
      push(frame, rank, { ...base, ...problem, name: 'undecodable', fcf: ev.frame[2] ?? -1, summary: `undecodable frame (${d.error.code}: ${d.error.message})` });
    }
  };

  const onIfp = (st: LiveStream, seq: number, ifpBytes: Uint8Array, source: IfpSource, frame: number, time: number): void => {
    const rank = 1 + st.index;
    ifpArrived(st, seq, ifpBytes, source, frame, time, view, (order, rec) => push(order, rank, rec), (ev, at) => lineEvent(st, ev, seq, at.frame, at.time));
  };

  const datagram = (st: LiveStream, s: CapturedSegment): void => {
    const rank = 1 + st.index;
    st.summary.datagrams++;
    const d = decodeUdptl(s.payload);
    let mine: Arrival | undefined;
    if (d.ok) {
      const rec = d.value.recovery;
      const redundancy = rec.kind === 'secondary' ? `${rec.secondaries.length} sec` : `fec span ${rec.span} × ${rec.entries.length}`;
      if (!st.arrivals.has(d.value.seq) && st.arrivals.size < 4096) {
        mine = { frame: s.frame, time: s.time, bytes: s.payload.length, redundancy, stale: false };
        st.arrivals.set(d.value.seq, mine);
      }
    }
    const b = st.receiver.getStats();
    const got = st.receiver.receive(s.payload);
    const a = st.receiver.getStats();
    if (a.malformed > b.malformed) {
      st.summary.malformed++;
      push(s.frame, rank, {
        type: 'malformed',
        frame: s.frame,
        time: s.time,
        stream: st.info.id,
        error: d.ok ? 'UDPTL datagram rejected' : `UDPTL ${d.error.code}: ${d.error.message} [${hex(s.payload.subarray(0, 24))}]`,
      });
    }
    if (a.duplicates > b.duplicates && d.ok) {
      st.summary.duplicates += a.duplicates - b.duplicates;
      push(s.frame, rank, { type: 'duplicate', frame: s.frame, time: s.time, stream: st.info.id, seq: d.value.seq });
    }
    // A datagram the receiver dropped leaves its arrival behind, as analyzeCapture's does; it can
    // only be used again after the seq wraps, so it does not hold the timeline back.
    if (mine && (a.malformed > b.malformed || a.duplicates > b.duplicates || a.late > b.late)) mine.stale = true;
    for (const o of got) onIfp(st, o.seq, o.ifp, o.source, s.frame, s.time);
  };

  const finishStream = (st: LiveStream, s: CapturedSegment): void => {
    for (const o of st.receiver.flush()) onIfp(st, o.seq, o.ifp, o.source, s.frame, s.time);
    const rs = st.receiver.getStats();
    st.summary.primaries = rs.primaries;
    st.summary.late = rs.late;
    st.summary.zeroLengthSecondaries = rs.zeroLengthSecondaries;
    streams.delete(st.index);
  };

  /** The oldest order a live stream may still produce a record at (a held primary's arrival). */
  const watermark = (next: number): number => {
    let w = audioWatermark(next);
    // Bytes a TCP direction holds out of order come out with their own (earlier) frame.
    const held = tcpFlows.size > 0 ? tcp2.oldestHeldFrame() : undefined;
    if (held !== undefined && held < w) w = held;
    for (const st of streams.values()) {
      for (const a of st.arrivals.values()) if (!a.stale && a.frame < w) w = a.frame;
    }
    return w;
  };

  // ---- pass 2, audio: placed and demodulated as the packets arrive ----
  const audioLive = new Map<number, LiveAudioState>();
  const audioSummaries: AudioStreamSummary[] = new Array<AudioStreamSummary>(audioFound.length);
  const audioRank = (a: AudioInfo): number => 1 + infos.length + a.index;
  /** Earliest sample-0 time among the streams from index i on (they start in that order). */
  const sufStart = new Float64Array(audioFound.length + 1);
  sufStart[audioFound.length] = Infinity;
  for (let i = audioFound.length - 1; i >= 0; i--) sufStart[i] = Math.min((audioFound[i] as AudioInfo).startTime, sufStart[i + 1] as number);
  let nextAudio = 0;
  // Capture time → frame, for analyze.ts's `orderAt` (just after the last frame at or before a
  // moment): the frames since the earliest moment a waiting or future audio event can have.
  const tTimes: number[] = [];
  const tFrames: number[] = [];
  let tHead = 0;
  let latestTime = -Infinity;
  let captureOver = false;
  /** First index in [tHead, n) with time > t. */
  const after = (t: number): number => {
    let lo = tHead;
    let hi = tTimes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((tTimes[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const orderAt = (t: number): number => {
    const lo = after(t);
    return lo === 0 ? 0 : (tFrames[lo - 1] as number) + 0.5;
  };
  /** A lower bound of orderAt(t) for a moment the capture may not have reached yet. */
  const lowerOrderAt = (t: number): number => (t < latestTime || captureOver ? orderAt(t) : tFrames.length === 0 ? 0 : (tFrames[tFrames.length - 1] as number) + 0.5);

  const audioEvent = (a: LiveAudioState, time: number, ev: T30LineEvent): void => {
    const order = orderAt(time);
    const frame = Math.floor(order);
    const rank = audioRank(a.info);
    const id = a.info.id;
    switch (ev.kind) {
      case 'tone':
        push(order, rank, { type: 'tone', frame, time, stream: id, tone: ev.tone.toUpperCase() });
        break;
      case 'signal':
        push(order, rank, { type: 'signal', frame, time, stream: id, modem: ev.modulation });
        break;
      case 'non-ecm-data':
        if (extractor) push(order, rank, undefined, { kind: 'non-ecm', time, stream: id, data: ev.data });
        break;
      case 'non-ecm-end':
        if (extractor) push(order, rank, undefined, { kind: 'non-ecm-end', time, stream: id });
        break;
      case 'hdlc-frame': {
        a.t30Frames++;
        if (!ev.ok) a.t30BadFrames++;
        const dec = decodeT30(ev.frame);
        // Audio has no UDPTL sequence numbers: seq -1 (analyze.ts audioRecords).
        const base = { type: 't30' as const, frame, time, stream: id, seq: -1, modem: ev.modulation, ok: ev.ok, hex: hex(ev.frame), ...(ev.ok ? {} : { problem: 'fcs' }) };
        if (dec.ok) {
          const fr: T30Frame = dec.value;
          if (extractor) push(order, rank, undefined, { kind: 't30', time, stream: id, frame: fr, ok: ev.ok });
          const details = frameDetails(fr);
          push(order, rank, { ...base, name: frameName(fr), fcf: frameFcf(fr), summary: frameSummary(fr), ...(details.length ? { details } : {}) });
        } else {
          push(order, rank, { ...base, name: 'undecodable', fcf: ev.frame[2] ?? -1, summary: `undecodable frame (${dec.error.code}: ${dec.error.message})` });
        }
        break;
      }
      case 'hdlc-end':
      case 'no-signal':
      case 'tx-done':
        break;
    }
  };

  /** Places the waiting events whose moment the capture has passed; drops finished streams. */
  const resolveAudio = (): void => {
    for (const [i, a] of audioLive) {
      while (a.qHead < a.queue.length) {
        const q = a.queue[a.qHead] as { time: number; ev: T30LineEvent };
        if (!(q.time < latestTime || captureOver)) break;
        a.qHead++;
        audioEvent(a, q.time, q.ev);
      }
      if (a.qHead === a.queue.length) {
        a.queue.length = 0;
        a.qHead = 0;
      } else if (a.qHead > 256 && a.qHead * 2 > a.queue.length) {
        a.queue.splice(0, a.qHead);
        a.qHead = 0;
      }
      if (a.finished && a.queue.length === 0) {
        const t = a.info.track;
        audioSummaries[a.info.index] = { id: a.info.id, seconds: t.length / AUDIO_RATE_HZ, t30Frames: a.t30Frames, t30BadFrames: a.t30BadFrames, fastTrainings: a.live.stats.fastTrainings, packets: t.placed, lost: t.lost };
        if (a.live.maxWindow > stats.maxAudioWindow) stats.maxAudioWindow = a.live.maxWindow;
        audioLive.delete(i);
      }
    }
  };

  /** The earliest moment a waiting or future audio event can have. */
  const audioMinTime = (): number => {
    let t = sufStart[nextAudio] as number;
    for (const a of audioLive.values()) {
      const q = a.queue[a.qHead];
      const at = q !== undefined ? q.time : a.info.startTime + a.live.pos / AUDIO_RATE_HZ;
      if (at < t) t = at;
    }
    return t;
  };

  /** `next`, lowered to the earliest order an audio record may still come at; prunes the time index. */
  const audioWatermark = (next: number): number => {
    if (audioFound.length === 0) return next;
    resolveAudio();
    const tMin = audioMinTime();
    let w = Math.min(next, lowerOrderAt(tMin));
    const na = audioFound[nextAudio];
    if (na) w = Math.min(w, na.track.firstFrame - 0.5);
    // Keep the last frame at or before tMin and everything after it.
    const keep = Math.max(tHead, after(tMin) - 1);
    tHead = keep;
    if (tHead > 4096 && tHead * 2 > tTimes.length) {
      tTimes.splice(0, tHead);
      tFrames.splice(0, tHead);
      tHead = 0;
    }
    return w;
  };

  const audioPacket = (f: FlowInfo, s: CapturedSegment): void => {
    const p = s.payload;
    if (p.length < 12 || (p[0]! & 0xc0) !== 0x80) return;
    const r = decodeRtp(p);
    if (!r.ok || (r.value.payloadType !== 0 && r.value.payloadType !== 8) || r.value.payload.length === 0) return;
    const idx = f.audioIdx?.get(r.value.ssrc);
    if (idx === undefined) return;
    let a = audioLive.get(idx);
    if (!a) {
      const info = audioFound[idx] as AudioInfo;
      if (s.frame !== info.track.firstFrame) return;
      const t = info.track;
      push(t.firstFrame - 0.5, audioRank(info), { type: 'audio-stream', id: info.id, src: info.src, dst: info.dst, law: t.firstPt === 8 ? 'alaw' : 'ulaw', foundBy: info.foundBy, time: info.startTime, seconds: t.length / AUDIO_RATE_HZ, packets: t.placed, lost: t.lost });
      const state: LiveAudioState = {
        info,
        live: undefined as unknown as LiveAudio, // set just below (the callback needs `state`)
        queue: [],
        qHead: 0,
        finished: false,
        t30Frames: 0,
        t30BadFrames: 0,
      };
      const live = new LiveAudio(t, limits, (pt) => (pt === 8 ? 'alaw' : pt === 0 ? 'ulaw' : undefined), (e) => state.queue.push({ time: info.startTime + e.sample / AUDIO_RATE_HZ, ev: e.ev }));
      a = Object.assign(state, { live });
      audioLive.set(idx, a);
      if (idx === nextAudio) nextAudio++;
      if (audioLive.size > stats.maxLiveAudio) stats.maxLiveAudio = audioLive.size;
    }
    if (a.finished) return;
    a.live.packet(r.value, s.timeNs);
    if (s.frame === a.info.track.lastFrame) {
      a.live.finish();
      a.finished = true;
    }
  };

  // ---- pass 2, TCP: SIP and TPKT from the reassembled byte streams ----
  const tcp2 = new TcpReassembler({ collect: false, maxStreams: TCP_DIRECTIONS });
  const byId2 = new Map<number, { flow: TcpFlow; gap: number }>();
  const tcpLive = new Map<number, TcpLive>();
  const tcpChunk = (f: TcpFlow, frame: number, time: number, chunk: Uint8Array, gapBefore: number): void => {
    if (f.sip) {
      const ev = parseSipMessage(chunk, { frame, time, src: endpoint(f.src, f.srcPort), dst: endpoint(f.dst, f.dstPort) });
      if (ev) push(frame, SIP_RANK, { type: 'sip', ...ev });
    }
    if (f.stream < 0) return;
    let t = tcpLive.get(f.stream);
    if (!t) {
      const info = infos[f.stream] as StreamInfo;
      const st: LiveStream = { index: f.stream, info, summary: summaries[f.stream] as StreamSummary, assembler: new T38FieldAssembler(), receiver: new UdptlReceiver({ reorderWindow: 4 }), arrivals: new Map(), lastSeq: -1 };
      tcpLive.set(f.stream, (t = { st, tpkt: new TpktParser(), resync: false, tpktSeq: 0 }));
    }
    const st = t.st;
    const rank = 1 + st.index;
    let bytes = chunk;
    if (gapBefore > 0) {
      // Bytes missing from the capture: TPKT framing is lost until the next header we can see.
      st.summary.lost++;
      st.assembler.markMissing(1);
      push(frame, rank, { type: 'lost', frame, time, stream: st.info.id, from: t.tpktSeq, count: 1 });
      t.tpkt = new TpktParser();
      t.resync = true;
    }
    if (t.resync) {
      const at = bytes.findIndex((b, i) => b === 3 && bytes[i + 1] === 0);
      if (at < 0) return;
      bytes = bytes.subarray(at);
      t.resync = false;
    }
    for (const ifpBytes of t.tpkt.push(bytes)) {
      st.summary.datagrams++;
      st.summary.primaries++;
      const seq = t.tpktSeq++;
      st.arrivals.set(seq, { frame, time, bytes: ifpBytes.length + 4, redundancy: 'tpkt', stale: false });
      onIfp(st, seq, ifpBytes, 'primary', frame, time);
    }
    if (t.tpkt.error) {
      st.summary.malformed++;
      push(frame, rank, { type: 'malformed', frame, time, stream: st.info.id, error: `TPKT ${t.tpkt.error.code}: ${t.tpkt.error.message}` });
      t.tpkt = new TpktParser();
      t.resync = true;
    }
  };
  const tcpEvent2 = (ev: TcpStreamEvent): void => {
    if (ev.kind === 'open') {
      const f = tcpFlows.get(tcpKey(ev.stream.src, ev.stream.srcPort, ev.stream.dst, ev.stream.dstPort));
      if (f && (f.sip || f.stream >= 0)) byId2.set(ev.stream.id, { flow: f, gap: 0 });
      return;
    }
    const d = byId2.get(ev.streamId);
    if (!d) return;
    if (ev.kind === 'gap') d.gap += ev.length;
    else if (ev.kind === 'data') {
      const gap = d.gap;
      d.gap = 0;
      tcpChunk(d.flow, ev.frame, Number(ev.timeNs) / 1e9, ev.bytes, gap);
    }
  };

  let count = 0;
  const decode = (s: CapturedSegment): boolean => {
    if (audioFound.length > 0) {
      tTimes.push(s.time);
      tFrames.push(s.frame);
      latestTime = s.time;
    }
    if (s.proto === 'tcp') {
      if (tcpFlows.size > 0) for (const ev of tcp2.push(s)) tcpEvent2(ev);
      if (++count % 32 === 0) release(watermark(s.frame + 1));
      return true;
    }
    const key = `udp ${endpoint(s.src, s.srcPort)} ${endpoint(s.dst, s.dstPort)}`;
    const f = flows.get(key);
    if (!f) return true;
    if (f.sip) {
      const ev = parseSipMessage(s.payload, { frame: s.frame, time: s.time, src: endpoint(s.src, s.srcPort), dst: endpoint(s.dst, s.dstPort) });
      if (ev) push(s.frame, SIP_RANK, { type: 'sip', ...ev });
    }
    if (f.audioIdx) audioPacket(f, s);
    if (f.stream >= 0) {
      let st = streams.get(f.stream);
      if (!st) {
        const info = infos[f.stream] as StreamInfo;
        st = {
          index: f.stream,
          info,
          summary: summaries[f.stream] as StreamSummary,
          assembler: new T38FieldAssembler(),
          receiver: new UdptlReceiver({ reorderWindow: 4 }),
          arrivals: new Map(),
          lastSeq: -1,
        };
        streams.set(f.stream, st);
        if (streams.size > stats.maxLiveStreams) stats.maxLiveStreams = streams.size;
      }
      const p = s.payload;
      const rtp = f.rtp !== undefined && p.length >= 12 && (p[0]! & 0xc0) === 0x80 && f.rtp.has(((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0);
      if (!rtp) datagram(st, s);
      if (s.frame === f.lastFrame) finishStream(st, s);
    }
    if (++count % 32 === 0) release(watermark(s.frame + 1));
    return true;
  };

  const p2 = pass(decode, () => undefined);
  if (!p2.ok) return { ok: false, error: p2.error };
  for (const ev of tcp2.flush()) tcpEvent2(ev);
  const ts = tcp2.getStats();
  stats.tcpDirections = ts.streams;
  stats.tcpForcedGaps = ts.forcedGaps;
  stats.tcpEvicted = ts.evictedStreams;
  stats.tcpDropped = ts.streamsDropped;
  captureOver = true;
  for (const a of audioLive.values()) {
    if (!a.finished) {
      a.live.finish();
      a.finished = true;
    }
  }
  resolveAudio();
  release(Infinity);
  if (extractor) {
    const outcomes = extractor.finish();
    drain(Infinity);
    for (const text of outcomes) sink.record({ type: 'outcome', text });
  }

  const per = summaries;
  const sum = (k: keyof StreamSummary): number => per.reduce((n, s) => n + (s[k] as number), 0);
  const summary: AnalyzeSummary = {
    format: p1.format,
    audioStreams: audioSummaries,
    captureStart: start,
    frames: p1.frames,
    streams: infos.length,
    sipMessages,
    datagrams: sum('datagrams'),
    ifps: sum('ifps'),
    lost: sum('lost'),
    recovered: sum('recoveredFromSecondary') + sum('recoveredFromFec'),
    recoveredFromSecondary: sum('recoveredFromSecondary'),
    recoveredFromFec: sum('recoveredFromFec'),
    malformed: sum('malformed'),
    duplicates: sum('duplicates'),
    t30Frames: sum('t30Frames') + audioSummaries.reduce((n, a) => n + a.t30Frames, 0),
    perStream: per,
    warnings: [...warnings, ...audioWarnings],
  };
  return { ok: true, summary, stats };
}
