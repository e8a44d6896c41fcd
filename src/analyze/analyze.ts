/**
 * `faxwire analyze`: turns a packet capture of a T.38 call into a timeline a support engineer
 * can read — every primary IFP, what was recovered from redundancy or parity FEC, what was lost,
 * the T.30 frames reassembled from HDLC data with their decoded content, and a summary.
 *
 * How streams are found (in this order of trust):
 *  1. SIP/SDP in the capture: `m=image <port> udptl|tcptl t38` endpoints (both as destination
 *     and — media being symmetric in practice — as source) and their T38FaxVersion;
 *  2. `--port N`: any UDP (UDPTL) or TCP (TPKT) flow with N as either port;
 *  3. heuristics, when neither names a flow: a UDP flow whose datagrams decode as UDPTL with
 *     well-formed IFPs and near-consecutive sequence numbers; a TCP flow that starts with TPKT.
 *
 * Real captures mix things: a carrier may send UDPTL to the old audio port while RTP still
 * flows there (seen from a BroadWorks SBC). RTP datagrams in a T.38 flow are recognised by a
 * recurring SSRC with changing RTP sequence numbers and skipped (counted), not called malformed.
 *
 * The ASN.1 version per stream comes from the option, else SDP, else auto-detection over both
 * directions of the call (`ifpImplausibility`): v0 and v1+ differ only in field-type encoding.
 *
 * This module is sans-IO: bytes in, records out. The CLI prints them.
 */

import { readCapture, reassembleTcp, type CapturedSegment } from '../capture/index.js';
import { decodeT30Frame, frameDetails, frameFcf, frameName, frameSummary } from '../t30/index.js';
import { T38FieldAssembler, type T38FieldEvent } from '../t38/field-assembler.js';
import { decodeIfp, describeIfp, ifpImplausibility, IfpView, type Ifp, type T38Version } from '../t38/ifp.js';
import { TpktParser } from '../t38/tpkt.js';
import { decodeUdptl } from '../t38/udptl.js';
import { UdptlReceiver } from '../t38/udptl-receiver.js';
import { demodulateAudio } from './audio.js';
import { AUDIO_RATE, extractAudioStreams } from './audio-streams.js';
import { extractCallPages, extractPages, type ExtractedPage, type PageEvent, type StreamEnds } from './extract.js';
import { parseSipMessage, type SdpT38Endpoint, type SipEvent } from './sip.js';

export interface AnalyzeOptions {
  /** Force the ASN.1 version ('auto' = SDP, else detect). */
  readonly t38Version?: 'auto' | T38Version;
  /** Treat flows on these ports as T.38 (UDP: UDPTL, TCP: TPKT). */
  readonly ports?: readonly number[];
  /** Rebuild the pages the call carried (`--extract`). */
  readonly extract?: boolean;
}

export interface StreamInfo {
  readonly id: string;
  readonly transport: 'udptl' | 'tpkt';
  readonly src: string;
  readonly dst: string;
  readonly version: T38Version;
  readonly versionSource: 'option' | 'sdp' | 'auto' | 'default';
  readonly foundBy: 'sdp' | 'port' | 'heuristic';
}

export type IfpSource = 'primary' | 'secondary' | 'fec';

export type AnalyzeRecord =
  | ({ readonly type: 'stream' } & StreamInfo)
  | ({ readonly type: 'sip' } & SipEvent)
  | {
      readonly type: 'ifp';
      readonly frame: number;
      readonly time: number;
      readonly stream: string;
      readonly seq: number;
      readonly source: IfpSource;
      readonly ifp: string;
      readonly msg: string;
      readonly fields: readonly { readonly type: string; readonly length: number }[];
      readonly ifpBytes: number;
      /** Size of the datagram (UDPTL) or TPKT frame that carried the IFP as primary. */
      readonly packetBytes?: number;
      /** Secondary IFPs or FEC entries in that datagram. */
      readonly redundancy?: string;
    }
  | {
      readonly type: 't30';
      readonly frame: number;
      readonly time: number;
      readonly stream: string;
      readonly seq: number;
      readonly modem: string;
      readonly name: string;
      readonly fcf: number;
      readonly ok: boolean;
      readonly problem?: string;
      readonly summary: string;
      readonly details?: readonly string[];
      readonly hex: string;
    }
  | { readonly type: 'lost'; readonly frame: number; readonly time: number; readonly stream: string; readonly from: number; readonly count: number }
  | { readonly type: 'malformed'; readonly frame: number; readonly time: number; readonly stream: string; readonly error: string }
  | { readonly type: 'duplicate'; readonly frame: number; readonly time: number; readonly stream: string; readonly seq: number }
  | {
      readonly type: 'page';
      readonly time: number;
      readonly stream: string;
      readonly index: number;
      readonly ecm: boolean;
      readonly coding: string;
      readonly width: number;
      readonly rows: number;
      readonly yDpi: number;
      readonly badRows: number;
      readonly longestBadRun: number;
      readonly end: string;
      readonly missingFrames: number;
      readonly command?: string;
      readonly response?: string;
    }
  | {
      readonly type: 'audio-stream';
      readonly id: string;
      readonly src: string;
      readonly dst: string;
      readonly law: string;
      readonly foundBy: 'sdp' | 'port' | 'heuristic';
      readonly time: number;
      readonly seconds: number;
      readonly packets: number;
      readonly lost: number;
    }
  /** A tone the audio carried (CNG, CED). */
  | { readonly type: 'tone'; readonly frame: number; readonly time: number; readonly stream: string; readonly tone: string }
  /** A modem signal started in audio: V.21 flags, or a fast modem trained. */
  | { readonly type: 'signal'; readonly frame: number; readonly time: number; readonly stream: string; readonly modem: string }
  | { readonly type: 'outcome'; readonly text: string };

export interface StreamSummary {
  readonly id: string;
  datagrams: number;
  ifps: number;
  primaries: number;
  recoveredFromSecondary: number;
  recoveredFromFec: number;
  lost: number;
  malformed: number;
  duplicates: number;
  late: number;
  zeroLengthSecondaries: number;
  rtpSkipped: number;
  t30Frames: number;
  t30BadFrames: number;
}

export interface AudioStreamSummary {
  readonly id: string;
  readonly seconds: number;
  readonly packets: number;
  readonly lost: number;
  readonly t30Frames: number;
  readonly t30BadFrames: number;
  readonly fastTrainings: number;
}

export interface AnalyzeSummary {
  readonly format: string;
  /** G.711 audio streams demodulated (one per direction). */
  readonly audioStreams: readonly AudioStreamSummary[];
  /** Epoch seconds of the first frame; record times are relative to it. */
  readonly captureStart: number;
  readonly frames: number;
  readonly streams: number;
  readonly sipMessages: number;
  readonly datagrams: number;
  readonly ifps: number;
  readonly lost: number;
  readonly recovered: number;
  readonly recoveredFromSecondary: number;
  readonly recoveredFromFec: number;
  readonly malformed: number;
  readonly duplicates: number;
  readonly t30Frames: number;
  readonly perStream: readonly StreamSummary[];
  readonly warnings: readonly string[];
}

export type AnalyzeResult =
  | { readonly ok: true; readonly records: AnalyzeRecord[]; readonly summary: AnalyzeSummary; readonly pages?: readonly ExtractedPage[] }
  | { readonly ok: false; readonly error: string };

// --- helpers --------------------------------------------------------------------------------

const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

interface Flow {
  readonly key: string;
  readonly proto: 'udp' | 'tcp';
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly segments: CapturedSegment[];
}

function flowKey(s: CapturedSegment): string {
  return `${s.proto} ${endpoint(s.src, s.srcPort)} ${endpoint(s.dst, s.dstPort)}`;
}

function reverseKey(f: Flow): string {
  return `${f.proto} ${endpoint(f.dst, f.dstPort)} ${endpoint(f.src, f.srcPort)}`;
}

/** Datagrams of a flow that are RTP: a recurring SSRC whose RTP sequence numbers change. */
function rtpDatagrams(segments: readonly CapturedSegment[]): Set<CapturedSegment> {
  const bySsrc = new Map<number, { segs: CapturedSegment[]; seqs: Set<number> }>();
  for (const s of segments) {
    const p = s.payload;
    if (p.length < 12 || (p[0]! & 0xc0) !== 0x80) continue;
    const ssrc = ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0;
    let e = bySsrc.get(ssrc);
    if (!e) bySsrc.set(ssrc, (e = { segs: [], seqs: new Set() }));
    e.segs.push(s);
    e.seqs.add((p[2]! << 8) | p[3]!);
  }
  const out = new Set<CapturedSegment>();
  for (const e of bySsrc.values()) if (e.seqs.size >= 3) for (const s of e.segs) out.add(s);
  return out;
}

/** Heuristic: does this UDP flow carry UDPTL? (≥ 3 good datagrams, mostly near-consecutive seq.) */
function looksLikeUdptl(segments: readonly CapturedSegment[], rtp: ReadonlySet<CapturedSegment>, view: IfpView): boolean {
  let good = 0;
  let tried = 0;
  let consecutive = 0;
  let prev = -1;
  for (const s of segments) {
    if (rtp.has(s)) continue;
    if (++tried > 400) break;
    const r = decodeUdptl(s.payload);
    if (!r.ok || r.bytesRead !== s.payload.length) continue;
    const p = r.value.primary;
    if (Math.min(ifpImplausibility(p, 0, view), ifpImplausibility(p, 1, view)) >= 3) continue;
    good++;
    if (prev >= 0) {
      const d = (r.value.seq - prev) & 0xffff;
      if (d <= 3) consecutive++;
    }
    prev = r.value.seq;
  }
  return good >= 3 && good >= tried * 0.3 && consecutive >= (good - 1) * 0.5;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Implausibility of a stream's primaries read as `version`: the per-IFP score of
 * `ifpImplausibility`, plus what only the sequence shows. Reading a v0 stream as v1+ turns
 * every `hdlc-fcs-OK` into `hdlc-fcs-OK-sig-end`, so HDLC data then continues after a "signal
 * end" with no new preamble; reading a v1+ stream as v0 turns `…-sig-end` into a plain
 * `hdlc-fcs-OK` that is followed by an indicator without ever ending the signal.
 */
function sequenceImplausibility(ifps: readonly Uint8Array[], version: 0 | 1, view: IfpView): number {
  let cost = 0;
  let last: string | undefined;
  for (const b of ifps) {
    cost += ifpImplausibility(b, version, view);
    const r = decodeIfp(b, version, view);
    if (!r.ok) {
      last = undefined;
      continue;
    }
    const ifp = r.value;
    if (ifp.type === 't30-indicator') {
      if (last === 'hdlc-fcs-OK' || last === 'hdlc-fcs-BAD') cost += 1;
      last = undefined;
      continue;
    }
    for (const f of ifp.fields ?? []) {
      if (f.type === 'hdlc-data' && (last === 'hdlc-fcs-OK-sig-end' || last === 'hdlc-fcs-BAD-sig-end')) cost += 1;
      last = f.type;
    }
  }
  return cost;
}

// --- the analysis ---------------------------------------------------------------------------

interface StreamState {
  readonly info: StreamInfo;
  readonly flow: Flow;
  readonly summary: StreamSummary;
  readonly assembler: T38FieldAssembler;
  readonly receiver: UdptlReceiver | undefined;
  tpkt: TpktParser | undefined;
  /** Arrival facts of primaries not yet delivered by the receiver (bounded by its window). */
  readonly arrivals: Map<number, { frame: number; time: number; bytes: number; redundancy: string }>;
  lastSeq: number;
  tpktSeq: number;
}

/**
 * The T.38 version a stream is decoded with: `--t38-version`, else the SDP's T38FaxVersion,
 * else the version (0 or 2, the two ASN.1 editions) whose decoding looks less implausible over
 * both directions of the call (`costs` is called only then), else 0. Both analysis paths.
 */
export function streamVersion(
  option: AnalyzeOptions['t38Version'],
  sdpVersion: number | undefined,
  costs: () => readonly [number, number],
): { version: T38Version; versionSource: StreamInfo['versionSource'] } {
  if (option !== undefined && option !== 'auto') return { version: option, versionSource: 'option' };
  if (sdpVersion !== undefined && sdpVersion >= 0 && sdpVersion <= 4) return { version: sdpVersion as T38Version, versionSource: 'sdp' };
  const [v0, v1] = costs();
  if (v0 !== v1) return { version: v0 < v1 ? 0 : 2, versionSource: 'auto' };
  return { version: 0, versionSource: 'default' };
}

/** What `ifpArrived` reads and updates of a T.38 stream (both analyze paths keep one per stream). */
export interface IfpStreamCore {
  readonly info: StreamInfo;
  readonly summary: StreamSummary;
  readonly assembler: T38FieldAssembler;
  /** Arrival facts of primaries not yet delivered by the receiver. */
  readonly arrivals: Map<number, { readonly frame: number; readonly time: number; readonly bytes: number; readonly redundancy: string }>;
  lastSeq: number;
}

/**
 * One IFP handed out by a stream's receiver (primary, secondary or FEC): the records it makes
 * (`lost` before it, `malformed` or `ifp`) through `emit`, and the line events of its fields
 * through `onLine`. One definition for the buffering and the streaming analysis, whose outputs
 * must be the same octet for octet.
 */
export function ifpArrived(
  st: IfpStreamCore,
  seq: number,
  ifpBytes: Uint8Array,
  source: IfpSource,
  frame: number,
  time: number,
  view: IfpView,
  emit: (frame: number, rec: AnalyzeRecord) => void,
  onLine: (ev: T38FieldEvent, at: { readonly frame: number; readonly time: number }) => void,
): void {
  const arrival = source === 'primary' ? st.arrivals.get(seq) : undefined;
  st.arrivals.delete(seq);
  if (st.lastSeq >= 0 && st.info.transport === 'udptl') {
    const gap = (seq - st.lastSeq - 1) & 0xffff;
    if (gap > 0 && gap < 2000) {
      st.summary.lost += gap;
      st.assembler.markMissing(gap);
      emit(frame, { type: 'lost', frame, time, stream: st.info.id, from: (st.lastSeq + 1) & 0xffff, count: gap });
    }
  }
  st.lastSeq = seq;
  st.summary.ifps++;
  if (source === 'secondary') st.summary.recoveredFromSecondary++;
  if (source === 'fec') st.summary.recoveredFromFec++;
  const r = decodeIfp(ifpBytes, st.info.version, view);
  const at = arrival ?? { frame, time, bytes: undefined, redundancy: undefined };
  // An IFP rebuilt from parity FEC comes back at the length of the longest packet in its
  // group, zero-padded (as Asterisk and spandsp restore it): trailing zeros are not an error.
  const padOk = (): boolean => r.ok && source === 'fec' && ifpBytes.subarray(r.bytesRead).every((b) => b === 0);
  if (!r.ok || (r.bytesRead !== ifpBytes.length && !padOk())) {
    st.summary.malformed++;
    const why = r.ok ? `${ifpBytes.length - r.bytesRead} octets after the IFP` : `${r.error.code}: ${r.error.message}`;
    emit(at.frame, { type: 'malformed', frame: at.frame, time: at.time, stream: st.info.id, error: `IFP seq ${seq} (${source}) ${why} [${hex(ifpBytes.subarray(0, 24))}]` });
    st.assembler.markMissing(1);
    return;
  }
  const ifp: Ifp = r.value;
  emit(at.frame, {
    type: 'ifp',
    frame: at.frame,
    time: at.time,
    stream: st.info.id,
    seq,
    source,
    ifp: describeIfp(ifp),
    msg: ifp.type === 't30-indicator' ? ifp.indicator : ifp.dataType,
    fields: (ifp.fields ?? []).map((f) => ({ type: f.type, length: f.data?.length ?? 0 })),
    ifpBytes: ifpBytes.length,
    ...(at.bytes !== undefined ? { packetBytes: at.bytes } : {}),
    ...(at.redundancy !== undefined ? { redundancy: at.redundancy } : {}),
  });
  for (const ev of st.assembler.push(ifp)) onLine(ev, at);
}

export function analyzeCapture(bytes: Uint8Array, options: AnalyzeOptions = {}): AnalyzeResult {
  const cap = readCapture(bytes);
  if (!cap.ok) return { ok: false, error: cap.error.message };
  const capture = cap.value;
  const warnings = capture.warnings.slice(0, 50).map((w) => `frame ${w.frame}: ${w.message}`);
  const records: { order: number; rec: AnalyzeRecord }[] = [];
  const emit = (order: number, rec: AnalyzeRecord): void => {
    records.push({ order, rec });
  };
  const view = new IfpView();
  const pageEvents: { order: number; ev: PageEvent }[] = [];

  // Flows, in order of first appearance.
  const flows = new Map<string, Flow>();
  for (const s of capture.packets) {
    const key = flowKey(s);
    let f = flows.get(key);
    if (!f) {
      f = { key, proto: s.proto, src: s.src, srcPort: s.srcPort, dst: s.dst, dstPort: s.dstPort, segments: [] };
      flows.set(key, f);
    }
    f.segments.push(s);
  }

  // TCP flows become byte streams first (SIP over TCP, TPKT).
  const tcpChunks = new Map<string, { frame: number; time: number; bytes: Uint8Array; gapBefore: number }[]>();
  for (const f of flows.values()) {
    if (f.proto !== 'tcp') continue;
    const chunks: { frame: number; time: number; bytes: Uint8Array; gapBefore: number }[] = [];
    for (const st of reassembleTcp(f.segments)) {
      for (const c of st.chunks) chunks.push({ frame: c.frame, time: Number(c.timeNs) / 1e9, bytes: c.bytes, gapBefore: c.gapBefore });
    }
    tcpChunks.set(f.key, chunks);
  }

  // SIP / SDP.
  const sdpEndpoints: SdpT38Endpoint[] = [];
  let sipMessages = 0;
  const sipSeen = (ev: SipEvent | undefined, order: number): void => {
    if (!ev) return;
    sipMessages++;
    sdpEndpoints.push(...ev.t38);
    const rec: AnalyzeRecord = { type: 'sip', ...ev };
    emit(order, rec);
  };
  for (const f of flows.values()) {
    const src = endpoint(f.src, f.srcPort);
    const dst = endpoint(f.dst, f.dstPort);
    if (f.proto === 'udp') {
      for (const s of f.segments) sipSeen(parseSipMessage(s.payload, { frame: s.frame, time: s.time, src, dst }), s.frame);
    } else {
      for (const c of tcpChunks.get(f.key) ?? []) sipSeen(parseSipMessage(c.bytes, { frame: c.frame, time: c.time, src, dst }), c.frame);
    }
  }

  // Which flows are T.38?
  const ports = new Set(options.ports ?? []);
  const chosen: { flow: Flow; foundBy: StreamInfo['foundBy']; sdp?: SdpT38Endpoint; rtp: Set<CapturedSegment> }[] = [];
  for (const f of flows.values()) {
    const sdp = sdpEndpoints.find(
      (e) =>
        ((e.ip === f.dst && e.port === f.dstPort) || (e.ip === f.src && e.port === f.srcPort)) &&
        e.port !== 0 &&
        (e.transport === 'udptl') === (f.proto === 'udp'),
    );
    const rtp = f.proto === 'udp' ? rtpDatagrams(f.segments) : new Set<CapturedSegment>();
    if (ports.has(f.srcPort) || ports.has(f.dstPort)) {
      chosen.push(sdp ? { flow: f, foundBy: 'port', sdp, rtp } : { flow: f, foundBy: 'port', rtp });
    } else if (sdp && (f.proto === 'tcp' || f.segments.some((s) => !rtp.has(s)))) {
      chosen.push({ flow: f, foundBy: 'sdp', sdp, rtp });
    } else if (ports.size === 0 && f.proto === 'udp' && looksLikeUdptl(f.segments, rtp, view)) {
      chosen.push({ flow: f, foundBy: 'heuristic', rtp });
    } else if (ports.size === 0 && f.proto === 'tcp') {
      const first = tcpChunks.get(f.key)?.[0]?.bytes;
      if (first && first.length >= 5 && first[0] === 3 && first[1] === 0) chosen.push({ flow: f, foundBy: 'heuristic', rtp });
    }
  }

  // Version per stream: option > SDP > detection over both directions of the call.
  const implausibility = (f: Flow, rtp: ReadonlySet<CapturedSegment>, v: 0 | 1): number => {
    const ifps: Uint8Array[] = [];
    if (f.proto === 'udp') {
      for (const s of f.segments) {
        if (rtp.has(s)) continue;
        const r = decodeUdptl(s.payload);
        if (r.ok) ifps.push(r.value.primary);
        if (ifps.length >= 1000) break;
      }
    } else {
      const p = new TpktParser();
      for (const c of tcpChunks.get(f.key) ?? []) {
        ifps.push(...p.push(c.bytes));
        if (ifps.length >= 1000) break;
      }
    }
    return sequenceImplausibility(ifps, v, view);
  };
  const detect = new Map<string, { v0: number; v1: number }>();
  for (const c of chosen) detect.set(c.flow.key, { v0: implausibility(c.flow, c.rtp, 0), v1: implausibility(c.flow, c.rtp, 1) });

  const streams: StreamState[] = [];
  chosen.forEach((c, i) => {
    const f = c.flow;
    const { version, versionSource } = streamVersion(options.t38Version, c.sdp?.version, () => {
      const own = detect.get(f.key) ?? { v0: 0, v1: 0 };
      const back = detect.get(reverseKey(f)) ?? { v0: 0, v1: 0 };
      return [own.v0 + back.v0, own.v1 + back.v1];
    });
    const info: StreamInfo = {
      id: `S${i + 1}`,
      transport: f.proto === 'udp' ? 'udptl' : 'tpkt',
      src: endpoint(f.src, f.srcPort),
      dst: endpoint(f.dst, f.dstPort),
      version,
      versionSource,
      foundBy: c.foundBy,
    };
    emit(0, { type: 'stream', ...info });
    const summary: StreamSummary = {
      id: info.id,
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
      rtpSkipped: 0,
      t30Frames: 0,
      t30BadFrames: 0,
    };
    streams.push({
      info,
      flow: f,
      summary,
      assembler: new T38FieldAssembler(),
      receiver: f.proto === 'udp' ? new UdptlReceiver({ reorderWindow: 4 }) : undefined,
      tpkt: f.proto === 'tcp' ? new TpktParser() : undefined,
      arrivals: new Map(),
      lastSeq: -1,
      tpktSeq: 0,
    });
    // RTP in the flow is skipped, and said so.
    summary.rtpSkipped = c.rtp.size;
  });

  // Decode each stream.
  for (const st of streams) {
    const onIfp = (seq: number, ifpBytes: Uint8Array, source: IfpSource, frame: number, time: number): void =>
      ifpArrived(st, seq, ifpBytes, source, frame, time, view, emit, (ev, at) => lineEvent(st, ev, seq, at.frame, at.time));

    if (st.receiver) {
      const rtp = chosen.find((c) => c.flow === st.flow)?.rtp ?? new Set();
      for (const s of st.flow.segments) {
        if (rtp.has(s)) continue;
        st.summary.datagrams++;
        const d = decodeUdptl(s.payload);
        if (d.ok) {
          const rec = d.value.recovery;
          const redundancy =
            rec.kind === 'secondary'
              ? `${rec.secondaries.length} sec`
              : `fec span ${rec.span} × ${rec.entries.length}`;
          if (!st.arrivals.has(d.value.seq) && st.arrivals.size < 4096) {
            st.arrivals.set(d.value.seq, { frame: s.frame, time: s.time, bytes: s.payload.length, redundancy });
          }
        }
        const before = st.receiver.getStats();
        const out = st.receiver.receive(s.payload);
        const after = st.receiver.getStats();
        if (after.malformed > before.malformed) {
          st.summary.malformed++;
          emit(s.frame, {
            type: 'malformed',
            frame: s.frame,
            time: s.time,
            stream: st.info.id,
            error: d.ok ? 'UDPTL datagram rejected' : `UDPTL ${d.error.code}: ${d.error.message} [${hex(s.payload.subarray(0, 24))}]`,
          });
        }
        if (after.duplicates > before.duplicates && d.ok) {
          st.summary.duplicates += after.duplicates - before.duplicates;
          emit(s.frame, { type: 'duplicate', frame: s.frame, time: s.time, stream: st.info.id, seq: d.value.seq });
        }
        for (const o of out) onIfp(o.seq, o.ifp, o.source, s.frame, s.time);
      }
      const last = st.flow.segments[st.flow.segments.length - 1];
      for (const o of st.receiver.flush()) onIfp(o.seq, o.ifp, o.source, last?.frame ?? 0, last?.time ?? 0);
      const rs = st.receiver.getStats();
      st.summary.primaries = rs.primaries;
      st.summary.late = rs.late;
      st.summary.zeroLengthSecondaries = rs.zeroLengthSecondaries;
    } else if (st.tpkt) {
      let resync = false;
      for (const c of tcpChunks.get(st.flow.key) ?? []) {
        let bytes = c.bytes;
        if (c.gapBefore > 0) {
          // Bytes missing from the capture: TPKT framing is lost until the next header we can see.
          st.summary.lost++;
          st.assembler.markMissing(1);
          emit(c.frame, { type: 'lost', frame: c.frame, time: c.time, stream: st.info.id, from: st.tpktSeq, count: 1 });
          st.tpkt = new TpktParser();
          resync = true;
        }
        if (resync) {
          const at = bytes.findIndex((b, i) => b === 3 && bytes[i + 1] === 0);
          if (at < 0) continue;
          bytes = bytes.subarray(at);
          resync = false;
        }
        for (const ifpBytes of st.tpkt.push(bytes)) {
          st.summary.datagrams++;
          st.summary.primaries++;
          const seq = st.tpktSeq++;
          st.arrivals.set(seq, { frame: c.frame, time: c.time, bytes: ifpBytes.length + 4, redundancy: 'tpkt' });
          onIfp(seq, ifpBytes, 'primary', c.frame, c.time);
        }
        if (st.tpkt.error) {
          st.summary.malformed++;
          emit(c.frame, { type: 'malformed', frame: c.frame, time: c.time, stream: st.info.id, error: `TPKT ${st.tpkt.error.code}: ${st.tpkt.error.message}` });
          st.tpkt = new TpktParser();
          resync = true;
        }
      }
    }
  }

  function lineEvent(st: StreamState, ev: T38FieldEvent, seq: number, frame: number, time: number): void {
    if (options.extract) {
      if (ev.kind === 'non-ecm-data') pageEvents.push({ order: frame, ev: { kind: 'non-ecm', time, stream: st.info.id, data: ev.data } });
      if (ev.kind === 'non-ecm-sig-end') pageEvents.push({ order: frame, ev: { kind: 'non-ecm-end', time, stream: st.info.id } });
    }
    if (ev.kind !== 'hdlc-frame') return;
    st.summary.t30Frames++;
    if (!ev.ok) st.summary.t30BadFrames++;
    const d = decodeT30Frame(ev.frame);
    const base = { type: 't30' as const, frame, time, stream: st.info.id, seq, modem: ev.dataType, ok: ev.ok, hex: hex(ev.frame) };
    const problem = ev.problem !== undefined ? { problem: ev.problem } : {};
    if (d.ok) {
      if (options.extract) pageEvents.push({ order: frame, ev: { kind: 't30', time, stream: st.info.id, frame: d.value, ok: ev.ok } });
      const details = frameDetails(d.value);
      emit(frame, { ...base, ...problem, name: frameName(d.value), fcf: frameFcf(d.value), summary: frameSummary(d.value), ...(details.length ? { details } : {}) });
    } else {
      emit(frame, { ...base, ...problem, name: 'undecodable', fcf: ev.frame[2] ?? -1, summary: `undecodable frame (${d.error.code}: ${d.error.message})` });
    }
  }

  // G.711 audio: each direction demodulated into the same timeline (audio.ts). A call that
  // switched to T.38 by re-INVITE has both: audio first, then the T.38 stream(s) above.
  const audioSummaries: AudioStreamSummary[] = [];
  const streamEnds: StreamEnds[] = streams.map((st) => ({ id: st.info.id, src: st.info.src, dst: st.info.dst }));
  const audio = extractAudioStreams(bytes, options.ports ? { ports: options.ports } : {});
  if (audio.ok) {
    for (const w of audio.warnings.slice(0, 20)) warnings.push(`audio: ${w}`);
    const times = capture.packets.map((p) => p.time);
    const frames = capture.packets.map((p) => p.frame);
    /** Order of a moment: just after the last capture frame at or before it. */
    const orderAt = (time: number): number => {
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((times[mid] as number) <= time) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? 0 : (frames[lo - 1] as number) + 0.5;
    };
    audio.streams.forEach((a, i) => {
      const id = `A${i + 1}`;
      emit(a.firstFrame - 0.5, { type: 'audio-stream', id, src: endpoint(a.src, a.srcPort), dst: endpoint(a.dst, a.dstPort), law: a.law, foundBy: a.foundBy, time: a.startTime, seconds: a.samples.length / AUDIO_RATE, packets: a.stats.packets, lost: a.stats.lost });
      streamEnds.push({ id, src: endpoint(a.src, a.srcPort), dst: endpoint(a.dst, a.dstPort) });
      const r = audioRecords(id, a.samples, a.gaps, a.startTime, orderAt, emit, options.extract ? pageEvents : undefined);
      audioSummaries.push({ ...r, packets: a.stats.packets, lost: a.stats.lost });
    });
  } else {
    warnings.push(`audio: ${audio.error}`);
  }

  let pages: ExtractedPage[] | undefined;
  if (options.extract) {
    pageEvents.sort((a, b) => a.order - b.order);
    // Per call (extract.ts CallPageExtractor): a capture of many calls has pages in each.
    const x = extractCallPages(pageEvents.map((p) => p.ev), streamEnds);
    pages = x.pages;
    for (const p of x.pages) {
      const at = pageEvents.find((e) => e.ev.time >= p.time)?.order ?? 0;
      emit(at, pageRecord(p));
    }
    for (const text of x.outcomes) emit(Number.MAX_SAFE_INTEGER, { type: 'outcome', text });
  }

  // Chronological order (stable: within a frame, in production order).
  records.sort((a, b) => a.order - b.order);
  // Times are printed relative to the first frame of the capture, like Wireshark's default.
  const t0 = capture.packets[0]?.time ?? 0;
  const relative = (r: AnalyzeRecord): AnalyzeRecord => ('time' in r ? { ...r, time: Math.round((r.time - t0) * 1e6) / 1e6 } : r);
  const per = streams.map((s) => s.summary);
  const sum = (k: keyof StreamSummary): number => per.reduce((n, s) => n + (s[k] as number), 0);
  const summary: AnalyzeSummary = {
    format: capture.format,
    audioStreams: audioSummaries,
    captureStart: t0,
    frames: capture.stats.frames,
    streams: streams.length,
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
    warnings,
  };
  const recs = records.map((r) => relative(r.rec));
  return pages ? { ok: true, records: recs, summary, pages } : { ok: true, records: recs, summary };
}

/**
 * One direction of fax audio demodulated (audio.ts) into timeline records — tones, signals,
 * T.30 frames — and, for `--extract`, page events. `orderAt` places a moment among the others.
 */
function audioRecords(
  id: string,
  samples: Int16Array,
  gaps: readonly { readonly start: number; readonly length: number }[],
  startTime: number,
  orderAt: (time: number) => number,
  emit: (order: number, rec: AnalyzeRecord) => void,
  pageEvents: { order: number; ev: PageEvent }[] | undefined,
): Omit<AudioStreamSummary, 'packets' | 'lost'> {
  const d = demodulateAudio(samples, gaps);
  let t30Frames = 0;
  let t30BadFrames = 0;
  for (const { sample, ev } of d.events) {
    const time = startTime + sample / AUDIO_RATE;
    const order = orderAt(time);
    const frame = Math.floor(order);
    switch (ev.kind) {
      case 'tone':
        emit(order, { type: 'tone', frame, time, stream: id, tone: ev.tone.toUpperCase() });
        break;
      case 'signal':
        emit(order, { type: 'signal', frame, time, stream: id, modem: ev.modulation });
        break;
      case 'non-ecm-data':
        pageEvents?.push({ order, ev: { kind: 'non-ecm', time, stream: id, data: ev.data } });
        break;
      case 'non-ecm-end':
        pageEvents?.push({ order, ev: { kind: 'non-ecm-end', time, stream: id } });
        break;
      case 'hdlc-frame': {
        t30Frames++;
        if (!ev.ok) t30BadFrames++;
        const dec = decodeT30Frame(ev.frame);
        // Audio has no UDPTL sequence numbers: seq -1.
        const base = { type: 't30' as const, frame, time, stream: id, seq: -1, modem: ev.modulation, ok: ev.ok, hex: hex(ev.frame), ...(ev.ok ? {} : { problem: 'fcs' }) };
        if (dec.ok) {
          pageEvents?.push({ order, ev: { kind: 't30', time, stream: id, frame: dec.value, ok: ev.ok } });
          const details = frameDetails(dec.value);
          emit(order, { ...base, name: frameName(dec.value), fcf: frameFcf(dec.value), summary: frameSummary(dec.value), ...(details.length ? { details } : {}) });
        } else {
          emit(order, { ...base, name: 'undecodable', fcf: ev.frame[2] ?? -1, summary: `undecodable frame (${dec.error.code}: ${dec.error.message})` });
        }
        break;
      }
      case 'hdlc-end':
      case 'no-signal':
      case 'tx-done':
        break;
    }
  }
  return { id, seconds: samples.length / AUDIO_RATE, t30Frames, t30BadFrames, fastTrainings: d.stats.fastTrainings };
}

/**
 * `faxwire analyze` on a recording instead of a capture: each channel of decoded audio (mono:
 * one direction, or both mixed; stereo: one direction per channel) demodulated into the same
 * kind of timeline. Times are seconds from the start of the recording.
 */
export function analyzeAudio(channels: readonly Int16Array[], options: { readonly extract?: boolean; readonly format?: string } = {}): AnalyzeResult {
  const records: { order: number; rec: AnalyzeRecord }[] = [];
  const emit = (order: number, rec: AnalyzeRecord): void => void records.push({ order, rec });
  const pageEvents: { order: number; ev: PageEvent }[] = [];
  const summaries: AudioStreamSummary[] = [];
  // Order by time (in µs) so both channels interleave.
  const orderAt = (time: number): number => Math.round(time * 1e6);
  channels.forEach((samples, i) => {
    const id = `A${i + 1}`;
    emit(-1, { type: 'audio-stream', id, src: `channel ${i + 1}`, dst: '', law: 'linear', foundBy: 'port', time: 0, seconds: samples.length / AUDIO_RATE, packets: 0, lost: 0 });
    summaries.push({ ...audioRecords(id, samples, [], 0, orderAt, emit, options.extract ? pageEvents : undefined), packets: 0, lost: 0 });
  });
  let pages: ExtractedPage[] | undefined;
  if (options.extract) {
    pageEvents.sort((a, b) => a.order - b.order);
    const x = extractPages(pageEvents.map((p) => p.ev));
    pages = x.pages;
    for (const p of x.pages) emit(orderAt(p.time), pageRecord(p));
    emit(Number.MAX_SAFE_INTEGER, { type: 'outcome', text: x.outcome });
  }
  records.sort((a, b) => a.order - b.order);
  const t30Frames = summaries.reduce((n, a) => n + a.t30Frames, 0);
  const summary: AnalyzeSummary = {
    format: options.format ?? 'audio',
    audioStreams: summaries,
    captureStart: 0,
    frames: 0,
    streams: 0,
    sipMessages: 0,
    datagrams: 0,
    ifps: 0,
    lost: 0,
    recovered: 0,
    recoveredFromSecondary: 0,
    recoveredFromFec: 0,
    malformed: 0,
    duplicates: 0,
    t30Frames,
    perStream: [],
    warnings: [],
  };
  const recs = records.map((r) => r.rec);
  return pages ? { ok: true, records: recs, summary, pages } : { ok: true, records: recs, summary };
}

/** The timeline record of an extracted page. */
export function pageRecord(p: ExtractedPage): AnalyzeRecord {
  return {
    type: 'page',
    time: p.time,
    stream: p.stream,
    index: p.index,
    ecm: p.params.ecm,
    coding: p.params.coding,
    width: p.bitmap.width,
    rows: p.rows,
    yDpi: p.params.yDpi,
    badRows: p.badRows,
    longestBadRun: p.longestBadRun,
    end: p.end,
    missingFrames: p.missingFrames,
    ...(p.command !== undefined ? { command: p.command } : {}),
    ...(p.response !== undefined ? { response: p.response } : {}),
  };
}
