/**
 * The G.711 audio of a captured call, as timelines a modem receiver can be run over: for each
 * direction (UDP flow src → dst, and RTP SSRC within it) that carries PCMU or PCMA over RTP, a
 * linear 8 kHz `Int16Array` with every packet placed by its RTP timestamp (RFC 3550 §5.1: the
 * timestamp is the sampling instant of the first octet; G.711 at 8000 Hz, one octet a sample,
 * RFC 3551 §4.5.14), the holes left by lost packets filled with silence and listed as gaps (so a
 * receiver can be given `fillIn(n)` there instead of silence), and the capture time of sample 0,
 * so the audio can be laid beside the T.38 timeline of the same call (a call that starts in G.711
 * and moves to T.38 by re-INVITE: T.38 Annex D).
 *
 * How streams are found (in this order of trust, like the T.38 streams of analyze.ts):
 *  1. SIP/SDP in the capture: `m=audio <port> RTP/AVP …` endpoints (as destination or — media
 *     being symmetric in practice — as source), with the payload types they map to PCMU/PCMA
 *     (static 0 and 8, or dynamic by `a=rtpmap`);
 *  2. `ports`: any UDP flow with one of them as either port (payload types 0 and 8);
 *  3. recognised RTP: a flow where one SSRC sends ≥ 8 version-2 datagrams of payload type 0 or 8
 *     whose sequence numbers mostly step by one and whose timestamps step by the payload size.
 * Within a flow only the datagrams of a G.711 SSRC are audio: UDPTL sent later to the same port
 * (the re-INVITE to T.38 keeps the port, seen from Vega and BroadWorks equipment), RFC 4733
 * telephone events and RFC 3389 comfort noise are counted, not decoded.
 *
 * Placement: timestamps are unwrapped (mod 2³²) from packet to packet, so reordering, duplicates
 * and wrap-around cost nothing. A timestamp that runs ahead of the capture clock by more than
 * `maxSkewSamples`, or behind it by more than `maxLateSamples` (a sender that restarted its
 * clock, or garbage), is a discontinuity: the packet is placed by its capture time instead and the
 * jump reported. The two bounds differ because the network only ever delays: packets held up by
 * a stall and delivered in a burst are late by the stall, and their timestamps are right. A timeline never exceeds
 * `maxSamples`. Payload-type changes within a stream (PCMU ⇄ PCMA) are decoded packet by packet
 * and listed.
 *
 * Sans-IO: packets in, timelines out.
 */

import { readCapture, reassembleTcp, type CapturedSegment } from '../capture/index.js';
import { g711Decode, type G711Law } from '../g711/index.js';
import { decodeRtp } from '../rtp/index.js';
import { parseSipMessage, type SdpAudioEndpoint } from './sip.js';

/** G.711 sampling rate (RFC 3551 §4.5.14). */
export const AUDIO_RATE = 8000;
const NS_PER_SAMPLE = 125_000n;

export interface AudioStreamsOptions {
  /** Treat UDP flows on these ports as G.711 RTP (payload types 0 and 8). */
  readonly ports?: readonly number[];
  /** Longest timeline per stream, in samples (default 4 hours). */
  readonly maxSamples?: number;
  /** A timestamp this far (samples) ahead of the capture clock is a discontinuity (default 2 s). */
  readonly maxSkewSamples?: number;
  /** A timestamp this far (samples) behind the capture clock is a discontinuity (default 30 s: network delay is not). */
  readonly maxLateSamples?: number;
  /** Fewest G.711 packets for a flow found only by its look (default 8). */
  readonly minPackets?: number;
}

/** Samples `[start, start + length)` of a timeline that no packet covered (filled with silence). */
export interface AudioGap {
  readonly start: number;
  readonly length: number;
}

export interface AudioPayloadChange {
  /** Capture frame of the first packet with this payload type. */
  readonly frame: number;
  /** Where in the timeline that packet's audio starts. */
  readonly sample: number;
  readonly pt: number;
  readonly law: G711Law;
}

export interface AudioDiscontinuity {
  readonly frame: number;
  /** Where the packet was placed (by capture time). */
  readonly sample: number;
  /** How far its timestamp would have put it from there, samples (positive: later). */
  readonly jump: number;
}

export interface AudioStreamStats {
  /** G.711 packets placed in the timeline. */
  packets: number;
  /** Packets missing by sequence number (between the first and last seen). */
  lost: number;
  duplicates: number;
  /** Packets that arrived after one with a higher sequence number. */
  reordered: number;
  /** Packets of this SSRC with another payload type (telephone events, comfort noise …), by type. */
  otherPayloadTypes: Record<number, number>;
  /** Datagrams in the flow that were not RTP of a G.711 SSRC (UDPTL after a switch to T.38, …). */
  otherDatagrams: number;
  /** Packets dropped because they fell beyond `maxSamples`. */
  beyondLimit: number;
}

export interface AudioStream {
  /** e.g. `rtp 10.0.0.1:4000 → 10.0.0.2:5000 ssrc 0x1234abcd`. */
  readonly id: string;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly ssrc: number;
  readonly foundBy: 'sdp' | 'port' | 'heuristic';
  /** The law of the first packet (see `payloadChanges` for later ones). */
  readonly law: G711Law;
  /** Linear 8 kHz audio; gaps are zeros. */
  readonly samples: Int16Array;
  readonly gaps: readonly AudioGap[];
  /** Capture time of sample 0, ns since the epoch (from the first packet's arrival). */
  readonly startTimeNs: bigint;
  /** The same, seconds since the epoch (as analyze's records give times). */
  readonly startTime: number;
  /** Arrival time of the last G.711 packet, seconds since the epoch. */
  readonly endTime: number;
  readonly firstFrame: number;
  readonly lastFrame: number;
  readonly payloadChanges: readonly AudioPayloadChange[];
  readonly discontinuities: readonly AudioDiscontinuity[];
  readonly stats: AudioStreamStats;
}

export interface AudioStreamsResult {
  readonly streams: AudioStream[];
  /** The SDP audio endpoints seen (for the report). */
  readonly sdp: readonly SdpAudioEndpoint[];
  readonly warnings: string[];
}

const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

interface Flow {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly segments: CapturedSegment[];
}

interface RtpPkt {
  readonly seg: CapturedSegment;
  readonly pt: number;
  readonly seq: number;
  readonly ts: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

const STATIC_G711: ReadonlyMap<number, G711Law> = new Map<number, G711Law>([
  [0, 'ulaw'],
  [8, 'alaw'],
]);

/** Does a group of one SSRC's G.711 packets look like a real RTP stream (seq +1, ts + payload)? */
function consistent(pkts: readonly RtpPkt[]): boolean {
  let good = 0;
  for (let i = 1; i < pkts.length; i++) {
    const a = pkts[i - 1] as RtpPkt;
    const b = pkts[i] as RtpPkt;
    if (((b.seq - a.seq) & 0xffff) === 1 && ((b.ts - a.ts) >>> 0) === a.payload.length) good++;
  }
  return good >= (pkts.length - 1) * 0.6;
}

/** Lays one SSRC's packets out on a timeline (see the module comment). */
function buildStream(
  flow: Flow,
  ssrc: number,
  pkts: readonly RtpPkt[],
  laws: ReadonlyMap<number, G711Law>,
  foundBy: AudioStream['foundBy'],
  otherDatagrams: number,
  opts: Required<Pick<AudioStreamsOptions, 'maxSamples' | 'maxSkewSamples' | 'maxLateSamples'>>,
): AudioStream | undefined {
  const audio = pkts.filter((p) => laws.has(p.pt) && p.payload.length > 0);
  const first = audio[0];
  if (first === undefined) return undefined;
  const otherPayloadTypes: Record<number, number> = {};
  for (const p of pkts) if (!laws.has(p.pt)) otherPayloadTypes[p.pt] = (otherPayloadTypes[p.pt] ?? 0) + 1;

  // Pass 1: positions (relative to the first packet's first sample), unwrapped.
  const t0 = first.seg.timeNs;
  const pos = new Float64Array(audio.length);
  const discontinuities: { frame: number; raw: number; jump: number }[] = [];
  let lastTs = first.ts;
  let lastExtTs = 0;
  let offset = 0; // re-anchoring after discontinuities
  let lastSeq = first.seq;
  let extSeq = 0;
  let maxExtSeq = 0;
  let minExtSeq = 0;
  const seen = new Set<number>();
  const keep = new Uint8Array(audio.length);
  let duplicates = 0;
  let reordered = 0;
  for (let i = 0; i < audio.length; i++) {
    const p = audio[i] as RtpPkt;
    extSeq += ((p.seq - lastSeq) << 16) >> 16;
    lastSeq = p.seq;
    lastExtTs += (p.ts - lastTs) | 0;
    lastTs = p.ts;
    if (seen.has(extSeq)) {
      duplicates++;
      continue;
    }
    seen.add(extSeq);
    if (extSeq < maxExtSeq) reordered++;
    maxExtSeq = Math.max(maxExtSeq, extSeq);
    minExtSeq = Math.min(minExtSeq, extSeq);
    const byClock = Number(((p.seg.timeNs - t0) * BigInt(AUDIO_RATE)) / 1_000_000_000n);
    let at = lastExtTs + offset;
    if (at - byClock > opts.maxSkewSamples || byClock - at > opts.maxLateSamples) {
      discontinuities.push({ frame: p.seg.frame, raw: byClock, jump: at - byClock });
      offset += byClock - at;
      at = byClock;
    }
    pos[i] = at;
    keep[i] = 1;
  }
  let minPos = Infinity;
  for (let i = 0; i < audio.length; i++) if (keep[i] === 1) minPos = Math.min(minPos, pos[i] as number);
  let end = 0;
  for (let i = 0; i < audio.length; i++) {
    if (keep[i] === 1) end = Math.max(end, (pos[i] as number) - minPos + (audio[i] as RtpPkt).payload.length);
  }
  const length = Math.min(end, opts.maxSamples);

  // Pass 2: decode into place, remembering what each packet covered.
  const samples = new Int16Array(length);
  const covered: [number, number][] = [];
  const payloadChanges: AudioPayloadChange[] = [];
  let lastPt = -1;
  let beyondLimit = 0;
  let placed = 0;
  let lastFrame = first.seg.frame;
  let endTimeNs = first.seg.timeNs;
  for (let i = 0; i < audio.length; i++) {
    if (keep[i] !== 1) continue;
    const p = audio[i] as RtpPkt;
    const at = (pos[i] as number) - minPos;
    const n = Math.min(p.payload.length, length - at);
    if (n <= 0) {
      beyondLimit++;
      continue;
    }
    const law = laws.get(p.pt) as G711Law;
    g711Decode(law, p.payload, samples, n, 0, at);
    covered.push([at, at + n]);
    placed++;
    if (p.pt !== lastPt) {
      payloadChanges.push({ frame: p.seg.frame, sample: at, pt: p.pt, law });
      lastPt = p.pt;
    }
    if (p.seg.frame > lastFrame) lastFrame = p.seg.frame;
    if (p.seg.timeNs > endTimeNs) endTimeNs = p.seg.timeNs;
  }
  covered.sort((a, b) => a[0] - b[0]);
  const gaps: AudioGap[] = [];
  let reach = 0;
  for (const [s, e] of covered) {
    if (s > reach) gaps.push({ start: reach, length: s - reach });
    reach = Math.max(reach, e);
  }
  if (reach < length) gaps.push({ start: reach, length: length - reach });

  const startTimeNs = t0 - BigInt(Math.round((pos[0] as number) - minPos)) * NS_PER_SAMPLE;
  const src = endpoint(flow.src, flow.srcPort);
  const dst = endpoint(flow.dst, flow.dstPort);
  return {
    id: `rtp ${src} → ${dst} ssrc 0x${ssrc.toString(16).padStart(8, '0')}`,
    src: flow.src,
    dst: flow.dst,
    srcPort: flow.srcPort,
    dstPort: flow.dstPort,
    ssrc,
    foundBy,
    law: laws.get(first.pt) as G711Law,
    samples,
    gaps,
    startTimeNs,
    startTime: Number(startTimeNs) / 1e9,
    endTime: Number(endTimeNs) / 1e9,
    firstFrame: first.seg.frame,
    lastFrame,
    payloadChanges,
    discontinuities: discontinuities.map((d) => ({ frame: d.frame, sample: d.raw - minPos, jump: d.jump })),
    stats: {
      packets: placed,
      lost: Math.max(0, maxExtSeq - minExtSeq + 1 - seen.size),
      duplicates,
      reordered,
      otherPayloadTypes,
      otherDatagrams,
      beyondLimit,
    },
  };
}

/**
 * The G.711 audio streams among `packets` (a capture's UDP datagrams), found by `sdp`, the
 * option's ports, or their look. Streams come in order of their first packet.
 */
export function findAudioStreams(
  packets: readonly CapturedSegment[],
  sdp: readonly SdpAudioEndpoint[] = [],
  options: AudioStreamsOptions = {},
): AudioStreamsResult {
  const opts = {
    maxSamples: Math.max(0, Math.floor(options.maxSamples ?? 4 * 3600 * AUDIO_RATE)),
    maxSkewSamples: Math.max(0, options.maxSkewSamples ?? 2 * AUDIO_RATE),
    maxLateSamples: Math.max(0, options.maxLateSamples ?? 30 * AUDIO_RATE),
  };
  const minPackets = Math.max(2, options.minPackets ?? 8);
  const ports = new Set(options.ports ?? []);
  const warnings: string[] = [];

  const flows = new Map<string, Flow>();
  for (const s of packets) {
    if (s.proto !== 'udp') continue;
    const key = `${endpoint(s.src, s.srcPort)} ${endpoint(s.dst, s.dstPort)}`;
    let f = flows.get(key);
    if (!f) flows.set(key, (f = { src: s.src, srcPort: s.srcPort, dst: s.dst, dstPort: s.dstPort, segments: [] }));
    f.segments.push(s);
  }

  const found: { stream: AudioStream; first: number }[] = [];
  for (const f of flows.values()) {
    const announced = sdp.filter((e) => e.port !== 0 && ((e.ip === f.dst && e.port === f.dstPort) || (e.ip === f.src && e.port === f.srcPort)));
    const byPort = ports.has(f.srcPort) || ports.has(f.dstPort);
    const foundBy: AudioStream['foundBy'] = announced.length > 0 ? 'sdp' : byPort ? 'port' : 'heuristic';
    const laws = new Map<number, G711Law>(STATIC_G711);
    // A dynamic payload type the SDP mapped to PCMU/PCMA; a static one it mapped elsewhere is not
    // overridden (RFC 3551 §6: 0 and 8 are fixed).
    for (const e of announced) for (const g of e.g711) if (!laws.has(g.pt)) laws.set(g.pt, g.law);

    const bySsrc = new Map<number, RtpPkt[]>();
    for (const s of f.segments) {
      const p = s.payload;
      if (p.length < 12 || ((p[0] ?? 0) & 0xc0) !== 0x80) continue;
      const r = decodeRtp(p);
      if (!r.ok) continue;
      const v = r.value;
      let g = bySsrc.get(v.ssrc);
      if (!g) bySsrc.set(v.ssrc, (g = []));
      g.push({ seg: s, pt: v.payloadType, seq: v.sequenceNumber, ts: v.timestamp, ssrc: v.ssrc, payload: v.payload });
    }
    for (const [ssrc, pkts] of bySsrc) {
      const g711 = pkts.filter((p) => laws.has(p.pt));
      if (g711.length === 0) continue;
      if (foundBy === 'heuristic' && (g711.length < minPackets || !consistent(g711))) continue;
      // Datagrams of the flow that are not this SSRC's RTP (UDPTL after a switch to T.38, …).
      const other = f.segments.length - pkts.length;
      const st = buildStream(f, ssrc, pkts, laws, foundBy, other, opts);
      if (st === undefined) continue;
      if (st.stats.beyondLimit > 0) warnings.push(`${st.id}: ${st.stats.beyondLimit} packets beyond the ${opts.maxSamples}-sample limit were dropped`);
      if (st.discontinuities.length > 0) warnings.push(`${st.id}: ${st.discontinuities.length} timestamp discontinuities (placed by capture time)`);
      found.push({ stream: st, first: st.firstFrame });
    }
  }
  found.sort((a, b) => a.first - b.first);
  return { streams: found.map((x) => x.stream), sdp, warnings };
}

export type ExtractAudioResult =
  | ({
      readonly ok: true;
      /** Capture time of the first packet, epoch seconds: analyze's record times are relative to it. */
      readonly captureStart: number;
    } & AudioStreamsResult)
  | { readonly ok: false; readonly error: string };

/** Reads a pcap/pcapng, its SIP (UDP and TCP), and returns its G.711 audio streams. */
export function extractAudioStreams(bytes: Uint8Array, options: AudioStreamsOptions = {}): ExtractAudioResult {
  const cap = readCapture(bytes);
  if (!cap.ok) return { ok: false, error: cap.error.message };
  const sdp: SdpAudioEndpoint[] = [];
  const tcp: CapturedSegment[] = [];
  for (const s of cap.value.packets) {
    if (s.proto === 'tcp') {
      tcp.push(s);
      continue;
    }
    const ev = parseSipMessage(s.payload, { frame: s.frame, time: s.time, src: endpoint(s.src, s.srcPort), dst: endpoint(s.dst, s.dstPort) });
    if (ev) sdp.push(...ev.audio);
  }
  if (tcp.length > 0) {
    for (const st of reassembleTcp(tcp)) {
      for (const c of st.chunks) {
        const ev = parseSipMessage(c.bytes, { frame: c.frame, time: Number(c.timeNs) / 1e9, src: '', dst: '' });
        if (ev) sdp.push(...ev.audio);
      }
    }
  }
  const r = findAudioStreams(cap.value.packets, sdp, options);
  return { ok: true, captureStart: cap.value.packets[0]?.time ?? 0, ...r, warnings: [...cap.value.warnings.slice(0, 20).map((w) => `frame ${w.frame}: ${w.message}`), ...r.warnings] };
}
