/**
 * G.711 audio from captures (src/analyze/audio-streams.ts). Against real captures in
 * ../shared/corpus (read at test time, never copied): Asterisk's testsuite G.711 fax calls — both
 * directions found by their look, their durations, the CNG cadence (1100 Hz, 0.5 s on / 3 s off,
 * the calling tone of T.30) on the calling side and the CED (2100 Hz answer tone of T.30) on the answering
 * side measured with a Goertzel filter, and the lost packets of the carrier capture as gaps; a
 * Vega call that moves from G.711 to T.38 by re-INVITE, found from its SDP. Synthetic captures
 * from our pcap writer: loss, reordering, duplicates, wrap-around, a PCMU → PCMA change, dynamic
 * payload types mapped by rtpmap, a flow that turns into UDPTL, a timestamp jump, the limits.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractAudioStreams, type AudioStream } from '../../../src/analyze/audio-streams.js';
import { writePcap, type PcapWriteRecord } from '../../../src/capture/pcap-writer.js';
import { g711Encode, g711Decode, type G711Law } from '../../../src/g711/index.js';
import { encodeRtp } from '../../../src/rtp/index.js';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared', 'corpus');
const ASTERISK = join(CORPUS, 'asterisk-testsuite', 'pjsip', 't38_enabled_two_reinvite_on_b_leg', 'sipp');
const VEGA = join(CORPUS, 'alwishariff-wireshark', 'vega_g711_to_t38_reinvite_udp_only.pcap');

/** Share of a window's power at `f` Hz (Goertzel), 0…1 for a pure tone on a bin. */
function toneShare(x: Int16Array, from: number, n: number, f: number): number {
  const c = 2 * Math.cos((2 * Math.PI * f) / 8000);
  let s1 = 0;
  let s2 = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const v = x[from + i] as number;
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    e += v * v;
  }
  const g = (s1 * s1 + s2 * s2 - c * s1 * s2) / ((n * n) / 2);
  return e === 0 ? 0 : g / (e / n);
}

/** Runs of 20-ms windows where `f` carries ≥ 80 % of the power: [startSeconds, seconds][]. */
function toneRuns(x: Int16Array, f: number): [number, number][] {
  const W = 160;
  const runs: [number, number][] = [];
  let start = -1;
  for (let t = 0; t + W <= x.length; t += W) {
    const on = toneShare(x, t, W, f) >= 0.8;
    if (on && start < 0) start = t;
    if (!on && start >= 0) {
      runs.push([start / 8000, (t - start) / 8000]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start / 8000, (x.length - start) / 8000]);
  return runs;
}

const skipCorpus = !existsSync(ASTERISK) && `corpus not found at ${CORPUS}`;

describe('G.711 audio from real captures', { skip: skipCorpus }, () => {
  it('CUSTOMER_G711U: two directions by their look; CNG cadence on the caller, CED 2.6–4 s on the answerer', () => {
    const r = extractAudioStreams(readFileSync(join(ASTERISK, 'CUSTOMER_G711U.pcap')));
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.streams.length, 2);
    const [caller, answerer] = r.streams as [AudioStream, AudioStream];
    assert.equal(caller.id, 'rtp 208.89.128.69:47322 → 81.201.84.200:13030 ssrc 0x17cb308c');
    assert.equal(answerer.id, 'rtp 204.101.5.68:15440 → 81.201.84.200:11464 ssrc 0xbb454581');
    for (const s of r.streams) {
      assert.equal(s.foundBy, 'heuristic');
      assert.equal(s.law, 'ulaw');
      assert.deepEqual(s.gaps, []);
      assert.equal(s.stats.lost, 0);
    }
    assert.equal(caller.stats.packets, 401);
    assert.equal(caller.samples.length, 401 * 160);
    assert.equal(answerer.stats.packets, 399);
    assert.equal(answerer.samples.length, 399 * 160);
    // The two start 35 ms apart in capture time.
    assert.ok(Math.abs(answerer.startTime - caller.startTime - 0.035) < 0.01, `${answerer.startTime - caller.startTime}`);
    // CNG: 1100 Hz, 0.5 s on, 3 s off (the calling tone of T.30): two bursts in 8 s, 3.5 s apart.
    const cng = toneRuns(caller.samples, 1100);
    assert.equal(cng.length, 2, JSON.stringify(cng));
    for (const [, d] of cng) assert.ok(d >= 0.4 && d <= 0.7, `CNG burst ${d} s`);
    assert.ok(Math.abs((cng[1]?.[0] ?? 0) - (cng[0]?.[0] ?? 0) - 3.5) < 0.15, JSON.stringify(cng));
    assert.deepEqual(toneRuns(caller.samples, 2100), []);
    // CED: 2100 Hz, once; T.30 asks 2.6–4 s, this answering machine sends 2.58 s (measured here in
    // 20-ms windows, from 1.48 s to 4.06 s into the stream) — a real device at its tolerance.
    const ced = toneRuns(answerer.samples, 2100);
    assert.equal(ced.length, 1, JSON.stringify(ced));
    const [cedStart, cedLen] = ced[0] ?? [0, 0];
    assert.ok(cedLen >= 2.5 && cedLen <= 2.7, `CED ${cedLen} s`);
    assert.ok(cedStart > 1.4 && cedStart < 1.6, `CED starts at ${cedStart} s`);
    assert.deepEqual(toneRuns(answerer.samples, 1100), []);
  });

  it('CARRIER_G711U with --port: found by port; its 14 lost packets are gaps of silence', () => {
    const r = extractAudioStreams(readFileSync(join(ASTERISK, 'CARRIER_G711U.pcap')), { ports: [13030] });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.streams.length, 1);
    const s = r.streams[0] as AudioStream;
    assert.equal(s.foundBy, 'port');
    assert.equal(s.stats.packets, 800);
    assert.equal(s.stats.lost, 14);
    assert.equal(s.gaps.reduce((a, g) => a + g.length, 0), 14 * 160);
    assert.equal(s.samples.length, (800 + 14) * 160);
    for (const g of s.gaps) assert.ok(s.samples.subarray(g.start, g.start + g.length).every((v) => v === 0));
  });

  it('Vega G.711 → T.38 re-INVITE: streams found from SDP; the flow that turned to UDPTL keeps its audio only', { skip: !existsSync(VEGA) && 'vega capture missing' }, () => {
    const r = extractAudioStreams(readFileSync(VEGA));
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.ok(r.sdp.some((e) => e.port === 16834 && e.g711.some((g) => g.pt === 0 && g.law === 'ulaw')));
    assert.ok(r.streams.length >= 4);
    for (const s of r.streams) assert.equal(s.foundBy, 'sdp');
    const first = r.streams.find((s) => s.srcPort === 10336 && s.dstPort === 16834);
    assert.ok(first);
    assert.equal(first.stats.packets, 686);
    assert.ok(first.samples.length / 8000 > 13.5 && first.samples.length / 8000 < 14);
    // After the re-INVITE, 162.244.97.41:16834 → :10338 carries some RTP and then UDPTL.
    const turned = r.streams.filter((s) => s.srcPort === 16834 && s.dstPort === 10338);
    assert.ok(turned.length >= 1);
    const udptl = Math.min(...turned.map((s) => s.stats.otherDatagrams));
    assert.ok(udptl > 250, `UDPTL datagrams not taken for audio: ${udptl}`);
    assert.ok(turned.reduce((a, s) => a + s.samples.length, 0) / 8000 < 4, 'only the audio part');
  });
});

// --- synthetic captures ----------------------------------------------------------------------

const A = '10.0.0.1';
const B = '10.0.0.2';
const T0 = 1_700_000_000_000_000_000n;

interface Pkt {
  seq: number;
  ts: number;
  pt?: number;
  ssrc?: number;
  /** Arrival, ms after T0 (default: 20 ms per packet index). */
  atMs?: number;
  payload: Uint8Array;
  srcPort?: number;
  dstPort?: number;
}

function rec(p: Pkt, i: number): PcapWriteRecord {
  return {
    timeNs: T0 + BigInt(Math.round((p.atMs ?? i * 20) * 1e6)),
    src: A,
    dst: B,
    srcPort: p.srcPort ?? 4000,
    dstPort: p.dstPort ?? 5000,
    proto: 'udp',
    payload: encodeRtp({
      marker: false,
      payloadType: p.pt ?? 0,
      sequenceNumber: p.seq & 0xffff,
      timestamp: p.ts >>> 0,
      ssrc: p.ssrc ?? 0x11223344,
      csrcs: [],
      extension: null,
      payload: p.payload,
      paddingLength: 0,
    }),
  };
}

/** A 1 kHz tone of `n` samples, and its G.711 coding. */
function tone(n: number, law: G711Law): { linear: Int16Array; codes: Uint8Array; decoded: Int16Array } {
  const linear = Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000 + 0.3)));
  const codes = new Uint8Array(n);
  g711Encode(law, linear, codes);
  const decoded = new Int16Array(n);
  g711Decode(law, codes, decoded);
  return { linear, codes, decoded };
}

/** `count` 20-ms packets of `codes`, seq from seq0, timestamps from ts0. */
function packets(codes: Uint8Array, count: number, seq0 = 100, ts0 = 5000, extra: Partial<Pkt> = {}): Pkt[] {
  return Array.from({ length: count }, (_, i) => ({ seq: seq0 + i, ts: ts0 + i * 160, payload: codes.subarray(i * 160, i * 160 + 160), ...extra }));
}

function only(bytes: Uint8Array, opts: Parameters<typeof extractAudioStreams>[1] = {}): AudioStream {
  const r = extractAudioStreams(bytes, opts);
  assert.ok(r.ok);
  if (!r.ok) throw new Error('unreachable');
  assert.equal(r.streams.length, 1, r.streams.map((s) => s.id).join(', '));
  return r.streams[0] as AudioStream;
}

describe('G.711 audio from synthetic captures', () => {
  const N = 50;
  const t = tone(N * 160, 'ulaw');

  it('a clean stream: the decoded audio sample for sample, start time, no gaps', () => {
    const s = only(writePcap(packets(t.codes, N).map(rec)));
    assert.equal(s.foundBy, 'heuristic');
    assert.deepEqual(s.samples, t.decoded);
    assert.deepEqual(s.gaps, []);
    assert.equal(s.startTimeNs, T0);
    assert.equal(s.endTime, Number(T0 + BigInt((N - 1) * 20e6)) / 1e9);
    assert.deepEqual(s.stats, { packets: N, lost: 0, duplicates: 0, reordered: 0, otherPayloadTypes: {}, otherDatagrams: 0, beyondLimit: 0 });
  });

  it('loss: a gap of silence where the packet was, listed; reordering and duplicates change nothing', () => {
    const ps = packets(t.codes, N);
    const lost = ps.filter((p) => p.seq !== 105 && p.seq !== 120 && p.seq !== 121);
    // Swap two neighbours and send one twice (arrival times follow list order).
    const i = lost.findIndex((p) => p.seq === 130);
    [lost[i], lost[i + 1]] = [lost[i + 1] as Pkt, lost[i] as Pkt];
    lost.splice(40, 0, { ...(lost[39] as Pkt) });
    const s = only(writePcap(lost.map(rec)));
    assert.deepEqual(s.gaps, [
      { start: 5 * 160, length: 160 },
      { start: 20 * 160, length: 320 },
    ]);
    const want = Int16Array.from(t.decoded);
    want.fill(0, 800, 960);
    want.fill(0, 3200, 3520);
    assert.deepEqual(s.samples, want);
    assert.equal(s.stats.lost, 3);
    assert.equal(s.stats.reordered, 1);
    assert.equal(s.stats.duplicates, 1);
    assert.equal(s.stats.packets, N - 3);
  });

  it('the first packet arriving late: the timeline starts at the earliest timestamp; start time moved back', () => {
    const ps = packets(t.codes, N);
    const late = [ps[1], ps[0], ...ps.slice(2)] as Pkt[];
    const s = only(writePcap(late.map(rec)));
    assert.deepEqual(s.samples, t.decoded);
    assert.equal(s.startTimeNs, T0 - 160n * 125_000n); // packet 1 arrived at T0 and is 160 samples in
    assert.equal(s.stats.reordered, 1);
  });

  it('sequence and timestamp wrap-around (mod 2^16, 2^32)', () => {
    const s = only(writePcap(packets(t.codes, N, 65530, 2 ** 32 - 800).map(rec)));
    assert.deepEqual(s.samples, t.decoded);
    assert.deepEqual(s.gaps, []);
    assert.equal(s.stats.lost, 0);
  });

  it('PCMU → PCMA mid-stream: each packet decoded by its own law, the change listed', () => {
    const ta = tone(N * 160, 'alaw');
    const ps = packets(t.codes, N).map((p, i) => (i >= 25 ? { ...p, pt: 8, payload: ta.codes.subarray(i * 160, i * 160 + 160) } : p));
    const s = only(writePcap(ps.map(rec)));
    const want = Int16Array.from(t.decoded);
    want.set(ta.decoded.subarray(25 * 160), 25 * 160);
    assert.deepEqual(s.samples, want);
    assert.equal(s.law, 'ulaw');
    assert.deepEqual(
      s.payloadChanges.map((c) => [c.sample, c.pt, c.law]),
      [
        [0, 0, 'ulaw'],
        [4000, 8, 'alaw'],
      ],
    );
  });

  it('other payload types of the SSRC (telephone-event, CN) counted, not decoded; a stream that becomes UDPTL', () => {
    const ps: Pkt[] = packets(t.codes, 30);
    ps.push({ seq: 130, ts: 5000 + 30 * 160, pt: 101, payload: Uint8Array.of(1, 0x80, 0, 160) });
    ps.push({ seq: 131, ts: 5000 + 30 * 160, pt: 13, payload: Uint8Array.of(40) });
    const recs = ps.map(rec);
    // Then the re-INVITE to T.38: UDPTL datagrams on the same ports (seq 0, 1, … and IFPs).
    for (let k = 0; k < 20; k++) {
      recs.push({ timeNs: T0 + BigInt((700 + k * 20) * 1e6), src: A, dst: B, srcPort: 4000, dstPort: 5000, proto: 'udp', payload: Uint8Array.of(0, k, 3, 0xc0, 1, 0x80, 0, 0) });
    }
    const s = only(writePcap(recs));
    assert.equal(s.samples.length, 30 * 160);
    assert.deepEqual(s.samples, t.decoded.subarray(0, 30 * 160));
    assert.deepEqual(s.stats.otherPayloadTypes, { 13: 1, 101: 1 });
    assert.equal(s.stats.otherDatagrams, 20);
    assert.equal(s.endTime, Number(T0 + 29n * 20_000_000n) / 1e9, 'audio ends where the last G.711 packet arrived');
  });

  it('found from SDP: a dynamic payload type mapped to PCMA by rtpmap; static 0 stays PCMU', () => {
    const ta = tone(N * 160, 'alaw');
    const sdp = ['v=0', 'o=- 1 1 IN IP4 10.0.0.2', 's=-', 'c=IN IP4 10.0.0.2', 't=0 0', 'm=audio 5000 RTP/AVP 96 0', 'a=rtpmap:96 PCMA/8000', ''].join('\r\n');
    const invite = `INVITE sip:x@${B} SIP/2.0\r\nVia: SIP/2.0/UDP ${A}\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
    const recs: PcapWriteRecord[] = [{ timeNs: T0 - 1_000_000_000n, src: B, dst: A, srcPort: 5060, dstPort: 5060, proto: 'udp', payload: new TextEncoder().encode(invite) }];
    // Only 3 packets: too few for the look alone, enough with SDP.
    recs.push(...packets(ta.codes, 3, 1, 0, { pt: 96 }).map(rec));
    const r = extractAudioStreams(writePcap(recs));
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(r.sdp.map((e) => [e.ip, e.port, e.g711]), [
      [
        B,
        5000,
        [
          { pt: 96, law: 'alaw' },
          { pt: 0, law: 'ulaw' },
        ],
      ],
    ]);
    assert.equal(r.streams.length, 1);
    const s = r.streams[0] as AudioStream;
    assert.equal(s.foundBy, 'sdp');
    assert.equal(s.law, 'alaw');
    assert.deepEqual(s.samples, ta.decoded.subarray(0, 480));
    // Without the SDP, 3 packets of payload type 96 are nothing.
    assert.equal((extractAudioStreams(writePcap(recs.slice(1))) as { streams: AudioStream[] }).streams.length, 0);
  });

  it('not RTP: random datagrams, a short burst, inconsistent timestamps are not taken for audio', () => {
    const junk: PcapWriteRecord[] = [];
    let x = 12345;
    for (let k = 0; k < 200; k++) {
      const p = new Uint8Array(172);
      for (let j = 0; j < p.length; j++) {
        x = (x * 1103515245 + 12345) >>> 0;
        p[j] = x >>> 24;
      }
      p[0] = 0x80; // even with a plausible first octet
      p[1] = k & 1 ? 8 : 0;
      junk.push({ timeNs: T0 + BigInt(k) * 20_000_000n, src: A, dst: B, srcPort: 7000, dstPort: 7002, proto: 'udp', payload: p });
    }
    const r = extractAudioStreams(writePcap(junk));
    assert.ok(r.ok && r.streams.length === 0);
    const few = extractAudioStreams(writePcap(packets(t.codes, 5).map(rec)));
    assert.ok(few.ok && few.streams.length === 0, 'five packets are not enough by look alone');
    const jumpy = packets(t.codes, 20).map((p, i) => ({ ...p, ts: (i * 7919 * 160) >>> 0 }));
    const j = extractAudioStreams(writePcap(jumpy.map(rec)));
    assert.ok(j.ok && j.streams.length === 0);
    // … but --port takes them anyway.
    assert.equal(only(writePcap(packets(t.codes, 5).map(rec)), { ports: [5000] }).foundBy, 'port');
  });

  it('a network stall: packets delivered 2.5 s late in a burst keep their timestamps\' places', () => {
    const ps = packets(t.codes, N).map((p, i) => (i >= 10 && i < 30 ? { ...p, atMs: 30 * 20 + 2500 + i } : p));
    const s = only(writePcap(ps.map(rec).sort((a, b) => (a.timeNs < b.timeNs ? -1 : 1))));
    assert.deepEqual(s.discontinuities, []);
    assert.deepEqual(s.samples, t.decoded);
    assert.equal(s.stats.reordered, 20);
  });

  it('a timestamp jump (sender restarted its clock) is placed by capture time and reported; memory bounded', () => {
    const ps = packets(t.codes, N).map((p, i) => (i >= 25 ? { ...p, ts: (p.ts + 2 ** 31 - 12345) >>> 0 } : p));
    const s = only(writePcap(ps.map(rec)));
    assert.equal(s.discontinuities.length, 1);
    assert.equal(s.discontinuities[0]?.sample, 25 * 160);
    assert.deepEqual(s.samples, t.decoded);
    // A garbage timestamp 1 hour ahead while the clock says 20 ms: no 1-hour timeline.
    const g = packets(t.codes, N).map((p, i) => (i === 10 ? { ...p, ts: p.ts + 3600 * 8000 } : p));
    const sg = only(writePcap(g.map(rec)));
    assert.equal(sg.samples.length, N * 160);
    // maxSamples caps the timeline.
    const capped = only(writePcap(packets(t.codes, N).map(rec)), { maxSamples: 1000 });
    assert.equal(capped.samples.length, 1000);
    assert.equal(capped.stats.beyondLimit, N - 7);
    assert.deepEqual(capped.samples, t.decoded.subarray(0, 1000));
  });

  it('two directions and two SSRCs in one flow: one stream each, in order of first packet', () => {
    const fwd = packets(t.codes, 20).map(rec);
    const back = packets(t.codes, 20, 7, 0, { ssrc: 0xabcdef01 })
      .map(rec)
      .map((r) => ({ ...r, src: B, dst: A, srcPort: 5000, dstPort: 4000, timeNs: r.timeNs + 5_000_000n }));
    const second = packets(t.codes, 20, 900, 77, { ssrc: 0x5555 }).map((p, i) => rec(p, i + 30));
    const recs = [...fwd, ...back, ...second].sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
    const r = extractAudioStreams(writePcap(recs));
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(
      r.streams.map((s) => s.id),
      ['rtp 10.0.0.1:4000 → 10.0.0.2:5000 ssrc 0x11223344', 'rtp 10.0.0.2:5000 → 10.0.0.1:4000 ssrc 0xabcdef01', 'rtp 10.0.0.1:4000 → 10.0.0.2:5000 ssrc 0x00005555'],
    );
    for (const s of r.streams) assert.equal(s.samples.length, 20 * 160);
  });

  it('not a capture: an error, not an exception', () => {
    const r = extractAudioStreams(Uint8Array.of(1, 2, 3));
    assert.equal(r.ok, false);
  });
});
