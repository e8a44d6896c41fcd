/**
 * The streaming analyze (src/analyze/stream.ts) against the buffering one (analyzeCapture, kept
 * as the reference and as the fallback path): on captures of many calls at once — copies of the
 * spandsp peer's golden T.38 v3 call from ../shared (read at test time, never copied), readdressed,
 * time-shifted, with datagrams lost, duplicated and swapped — the same records in the same order,
 * the same summary and the same pages; the state it keeps is bounded by the calls running at
 * once, not by the length of the capture; pages reach the sink while the capture is still being
 * read.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCapture, analyzeCaptureStream, formatRecord, type AnalyzeRecord, type ExtractedPage, type StreamAnalyzeOptions } from '../../../src/analyze/index.js';
import { readCapture, writePcap, type CapturedSegment, type PcapWriteRecord } from '../../../src/capture/index.js';
import { xorshift32 } from '../../../src/util/random.js';
import { linearToUlaw } from '../../../src/g711/index.js';
import { decodeUdptl } from '../../../src/t38/udptl.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared');
const CALL = join(SHARED, 'interop', 'spandsp-peer', 'results', 'cap_v3.pcapng');

function template(): CapturedSegment[] {
  const r = readCapture(readFileSync(CALL));
  assert.ok(r.ok);
  return r.value.packets;
}

interface CallsOptions {
  readonly calls: number;
  /** Seconds between call starts (the call lasts 3.7 s). */
  readonly spacing: number;
  /** Per mille of datagrams lost, duplicated, swapped with the next. */
  readonly lose?: number;
  readonly duplicate?: number;
  readonly swap?: number;
  readonly seed?: number;
}

/** `calls` copies of the golden call, own addresses and ports, merged in time order. */
function calls(tpl: readonly CapturedSegment[], o: CallsOptions): Uint8Array {
  const rnd = xorshift32(o.seed ?? 1);
  const roll = (): number => (rnd() >>> 0) % 1000;
  const t0 = tpl[0]?.timeNs ?? 0n;
  const low = Math.min(...tpl.map((s) => s.srcPort));
  const all: PcapWriteRecord[] = [];
  for (let i = 0; i < o.calls; i++) {
    const net = `10.${(i >> 8) & 255}.${i & 255}`;
    const start = BigInt(Math.round(i * o.spacing * 1e9));
    const mine: PcapWriteRecord[] = [];
    for (const s of tpl) {
      const fromLow = s.srcPort === low;
      const rec: PcapWriteRecord = {
        timeNs: 1_800_000_000_000_000_000n + start + (s.timeNs - t0),
        src: `${net}.${fromLow ? 1 : 2}`,
        dst: `${net}.${fromLow ? 2 : 1}`,
        srcPort: 40000 + 2 * (i % 400) + (fromLow ? 0 : 1),
        dstPort: 40000 + 2 * (i % 400) + (fromLow ? 1 : 0),
        proto: 'udp',
        payload: s.payload,
      };
      if (roll() < (o.lose ?? 0)) continue;
      mine.push(rec);
      if (roll() < (o.duplicate ?? 0)) mine.push({ ...rec, timeNs: rec.timeNs + 1000n });
    }
    // Swapped neighbours keep their times: arrival order (frame order) is what the receiver sees.
    for (let j = 0; j + 1 < mine.length; j++) {
      if (roll() < (o.swap ?? 0)) {
        const a = mine[j] as PcapWriteRecord;
        const b = mine[j + 1] as PcapWriteRecord;
        mine[j] = { ...b, timeNs: a.timeNs };
        mine[j + 1] = { ...a, timeNs: b.timeNs };
      }
    }
    all.push(...mine);
  }
  // Stable sort by time keeps each call's own order for equal times.
  all.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  return writePcap(all);
}

const AUDIO_CALLS = [
  join(SHARED, 'corpus', 'alwishariff-wireshark', 'vega_g711_to_t38_reinvite_udp_only.pcap'),
  join(SHARED, 'corpus', 'ndpi', 'FAX-Call-t38-CA-TDM-SIP-FB-1.pcap'),
] as const;

/**
 * `calls` copies of a captured call (any protocols), each host renumbered into its own network,
 * shifted by `spacing` seconds; RTP-shaped datagrams lost, duplicated, swapped with the next.
 */
function replicate(tpl: readonly CapturedSegment[], o: CallsOptions): Uint8Array {
  const rnd = xorshift32(o.seed ?? 1);
  const roll = (): number => (rnd() >>> 0) % 1000;
  const t0 = tpl[0]?.timeNs ?? 0n;
  const hosts = new Map<string, number>();
  const host = (ip: string): number => hosts.get(ip) ?? (hosts.set(ip, hosts.size + 1), hosts.size);
  const rtpish = (p: Uint8Array): boolean => p.length >= 12 && ((p[0] ?? 0) & 0xc0) === 0x80;
  const all: PcapWriteRecord[] = [];
  for (let i = 0; i < o.calls; i++) {
    const net = `10.${(i >> 8) & 255}.${i & 255}`;
    const start = BigInt(Math.round(i * o.spacing * 1e9));
    const mine: PcapWriteRecord[] = [];
    for (const s of tpl) {
      const rec: PcapWriteRecord = { timeNs: 1_800_000_000_000_000_000n + start + (s.timeNs - t0), src: `${net}.${host(s.src)}`, dst: `${net}.${host(s.dst)}`, srcPort: s.srcPort, dstPort: s.dstPort, proto: s.proto, payload: s.payload };
      const impair = rtpish(s.payload);
      if (impair && roll() < (o.lose ?? 0)) continue;
      mine.push(rec);
      if (impair && roll() < (o.duplicate ?? 0)) mine.push({ ...rec, timeNs: rec.timeNs + 1000n });
    }
    for (let j = 0; j + 1 < mine.length; j++) {
      const a = mine[j] as PcapWriteRecord;
      const b = mine[j + 1] as PcapWriteRecord;
      if (rtpish(a.payload) && rtpish(b.payload) && roll() < (o.swap ?? 0)) {
        mine[j] = { ...b, timeNs: a.timeNs };
        mine[j + 1] = { ...a, timeNs: b.timeNs };
      }
    }
    all.push(...mine);
  }
  all.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  return writePcap(all);
}

/** The bytes in chunks of `size` (the reader must not care where a record is cut). */
const chunked =
  (b: Uint8Array, size: number) =>
  (): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
    return out;
  };

interface Streamed {
  readonly lines: string[];
  readonly json: string[];
  readonly pages: { readonly page: ExtractedPage; readonly recordsBefore: number }[];
  readonly result: ReturnType<typeof analyzeCaptureStream>;
}

function stream(bytes: Uint8Array, opts: StreamAnalyzeOptions = {}, chunk = 65536): Streamed {
  const lines: string[] = [];
  const json: string[] = [];
  const pages: { page: ExtractedPage; recordsBefore: number }[] = [];
  const result = analyzeCaptureStream(
    chunked(bytes, chunk),
    {
      record: (r: AnalyzeRecord) => {
        lines.push(formatRecord(r));
        json.push(JSON.stringify(r));
      },
      page: (p) => pages.push({ page: p, recordsBefore: lines.length }),
    },
    opts,
  );
  return { lines, json, pages, result };
}

/** Streaming and buffering agree on records (text and JSON), summary and pages. */
function assertSame(bytes: Uint8Array, opts: StreamAnalyzeOptions = {}, chunk = 65536): Streamed {
  const old = analyzeCapture(bytes, opts);
  assert.ok(old.ok);
  const s = stream(bytes, opts, chunk);
  assert.ok(s.result.ok, JSON.stringify(s.result));
  assert.equal(s.lines.length, old.records.length);
  for (let i = 0; i < old.records.length; i++) {
    const want = old.records[i] as AnalyzeRecord;
    assert.equal(s.json[i], JSON.stringify(want), `record ${i}`);
  }
  assert.deepEqual(s.result.summary, old.summary);
  const oldPages = old.pages ?? [];
  assert.equal(s.pages.length, oldPages.length);
  s.pages.forEach(({ page }, i) => {
    const o = oldPages[i] as ExtractedPage;
    assert.equal(page.index, o.index);
    assert.equal(page.rows, o.rows);
    assert.equal(page.response, o.response);
    assert.equal(page.command, o.command);
    assert.deepEqual(page.bitmap.data, o.bitmap.data);
  });
  return s;
}

describe('analyzeCaptureStream', () => {
  if (!existsSync(CALL)) {
    it('SKIPPED: ../shared absent (needs the spandsp peer golden call)', (t) => {
      process.stderr.write(`analyze stream tests: ${CALL} not found — SKIPPED\n`);
      t.skip(`${CALL} not found`);
    });
    return;
  }
  const tpl = template();

  it('60 overlapping calls: the same records, summary and order as analyzeCapture, whatever the chunk size', () => {
    const cap = calls(tpl, { calls: 60, spacing: 0.05 });
    const s = assertSame(cap);
    assert.ok(s.result.ok && s.result.summary.streams === 120);
    assertSame(cap, {}, 1000);
    assertSame(cap, {}, 7);
  });

  it('loss, duplicates and reordering (held primaries, late datagrams): still the same records in the same order', () => {
    let lost = 0;
    for (const seed of [1, 2, 3]) {
      const cap = calls(tpl, { calls: 12, spacing: 0.3, lose: 250, duplicate: 30, swap: 60, seed });
      const s = assertSame(cap, { extract: true });
      assert.ok(s.result.ok);
      const sum = s.result.summary;
      assert.ok(sum.recovered > 0 && sum.duplicates > 0, `impairments took effect (recovered ${sum.recovered}, duplicates ${sum.duplicates})`);
      lost += sum.lost;
    }
    assert.ok(lost > 0, 'some IFPs lost beyond redundancy');
  });

  it('--version and --port choices stream the same way', () => {
    const cap = calls(tpl, { calls: 4, spacing: 1 });
    assertSame(cap, { t38Version: 0 });
    assertSame(cap, { ports: [40002, 40003] });
  });

  it('state is bounded by the calls running at once: 3× more calls, same peaks; idle flows are evicted and counted', () => {
    const peaks = (n: number): { live: number; pending: number; streams: number } => {
      const s = stream(calls(tpl, { calls: n, spacing: 1.5 }));
      assert.ok(s.result.ok);
      return { live: s.result.stats.maxLiveStreams, pending: s.result.stats.maxPendingRecords, streams: s.result.stats.streams };
    };
    const a = peaks(20);
    const b = peaks(60);
    assert.equal(a.streams, 40);
    assert.equal(b.streams, 120);
    // A call lasts 3.7 s and one starts every 1.5 s: 3 calls (6 streams) at once at most.
    assert.ok(b.live <= 6, `live streams ${b.live}`);
    assert.equal(b.live, a.live);
    assert.ok(b.pending <= a.pending * 1.5 + 50, `records waiting: ${a.pending} for 20 calls, ${b.pending} for 60`);
    // Discovery state of a flow silent for 1 s is settled early (the flows' calls are over by then).
    const cap = calls(tpl, { calls: 30, spacing: 1.5 });
    const s = assertSame(cap, { idleSeconds: 1 });
    assert.ok(s.result.ok);
    assert.ok(s.result.stats.discoveryEvictions > 0, 'idle flows evicted');
    assert.ok(s.result.stats.maxLiveDiscovery < 30, `flows with discovery state at once: ${s.result.stats.maxLiveDiscovery}`);
    const all = stream(cap);
    assert.ok(all.result.ok);
    assert.equal(all.result.stats.discoveryEvictions, 0);
  });

  it('--extract: each page reaches the sink as soon as it is final, long before the capture ends, and equals analyzeCapture\'s', () => {
    // Calls one after the other: each call's pages are final when its answer is seen.
    const cap = calls(tpl, { calls: 6, spacing: 5 });
    const s = assertSame(cap, { extract: true });
    assert.ok(s.pages.length >= 6, `pages: ${s.pages.length}`);
    const total = s.lines.length;
    const first = s.pages[0];
    assert.ok(first && first.recordsBefore < total / 4, `first page handed over after ${first?.recordsBefore} of ${total} records`);
    for (let i = 1; i < s.pages.length; i++) assert.ok((s.pages[i]?.recordsBefore ?? 0) >= (s.pages[i - 1]?.recordsBefore ?? 0));
    assert.match(s.lines[s.lines.length - 1] ?? '', /^T\.30 outcome: /);
  });

  it('G.711 audio is streamed too (found by its look), and so is TCP that may carry SIP or TPKT (no fallback left for either)', () => {
    const rtp = new Uint8Array(172);
    rtp[0] = 0x80;
    const recs: PcapWriteRecord[] = [];
    for (let i = 0; i < 20; i++) {
      const p = rtp.slice();
      p[3] = i;
      p[7] = (i * 160) & 255;
      p[6] = (i * 160) >> 8;
      recs.push({ timeNs: 1_800_000_000_000_000_000n + BigInt(i) * 20_000_000n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5000, dstPort: 5002, proto: 'udp', payload: p });
    }
    const a = assertSame(writePcap(recs));
    assert.ok(a.result.ok && a.result.summary.audioStreams.length === 1 && a.result.stats.audioStreams === 1);
    const text = (t: string): Uint8Array => new TextEncoder().encode(t);
    for (const payload of [text('INVITE sip:fax@10.0.0.2 SIP/2.0\r\n'), Uint8Array.of(3, 0, 0, 7, 0, 0, 0), text('xyzSI')]) {
      const tcp = assertSame(writePcap([{ ...recs[0]!, proto: 'tcp', payload }]));
      assert.ok(tcp.result.ok && tcp.result.stats.tcpDirections === 1);
    }
    // --port naming a TCP flow: a TPKT stream, as analyzeCapture makes it.
    const named = assertSame(writePcap([{ ...recs[0]!, proto: 'tcp', payload: text('hello') }]), { ports: [5002] });
    assert.ok(named.result.ok && named.result.summary.streams === 1);
  });

  it('TCP that cannot be SIP or TPKT (a shell session beside the call) is skipped: still streamed, still the same', () => {
    const call = readCapture(calls(tpl, { calls: 2, spacing: 1 }));
    assert.ok(call.ok);
    const mixed: PcapWriteRecord[] = [];
    call.value.packets.forEach((p, i) => {
      mixed.push({ timeNs: p.timeNs, src: p.src, dst: p.dst, srcPort: p.srcPort, dstPort: p.dstPort, proto: 'udp', payload: p.payload });
      if (i % 50 === 0) mixed.push({ timeNs: p.timeNs + 1n, src: '192.168.1.5', dst: '192.168.1.9', srcPort: 22, dstPort: 50022, proto: 'tcp', tcpSeq: i * 10, payload: Uint8Array.of(0x17, 0x03, 0x03, i & 255, 1, 2, 3, 4, 5) });
    });
    const s = assertSame(writePcap(mixed));
    assert.ok(s.result.ok && s.result.summary.streams === 4);
  });

  for (const [name, file, spacing] of [
    ['Vega G.711 → T.38 re-INVITE', AUDIO_CALLS[0], 20],
    ['nDPI G.711 → T.38 (CA TDM)', AUDIO_CALLS[1], 40],
  ] as const) {
    it(`G.711 audio then T.38 (${name}): several calls at once, lost, duplicated and swapped RTP, any chunk size: the same as analyzeCapture`, (t) => {
      if (!existsSync(file)) return t.skip(`${file} not found`);
      const r = readCapture(readFileSync(file));
      assert.ok(r.ok);
      const clean = replicate(r.value.packets, { calls: 3, spacing });
      const s = assertSame(clean, { extract: true });
      assert.ok(s.result.ok);
      assert.ok(s.result.stats.audioStreams >= 6, `audio streams: ${s.result.stats.audioStreams}`);
      // What the modems heard in the audio (CNG/CED tones, V.21 flags) is in the timeline.
      assert.ok(s.json.filter((j) => /"type":"(tone|signal)","frame":\d+,"time":[\d.]+,"stream":"A/.test(j)).length >= 3, 'tones and signals from the audio');
      assertSame(clean, {}, 997);
      for (const seed of [1, 2]) {
        const bad = replicate(r.value.packets, { calls: 3, spacing, lose: 20, duplicate: 20, swap: 80, seed });
        const b = assertSame(bad, { extract: true }, 4093);
        assert.ok(b.result.ok && b.result.stats.maxAudioWindow > 0);
      }
    });
  }

  it('audio state is bounded by the calls running at once: 3× more calls, same peaks (live audio streams, sample window)', (t) => {
    const file = AUDIO_CALLS[0];
    if (!existsSync(file)) return t.skip(`${file} not found`);
    const r = readCapture(readFileSync(file));
    assert.ok(r.ok);
    const peaks = (n: number): { live: number; window: number; audio: number; pending: number } => {
      const s = stream(replicate(r.value.packets, { calls: n, spacing: 30, swap: 50, seed: 7 }));
      assert.ok(s.result.ok, JSON.stringify(s.result));
      return { live: s.result.stats.maxLiveAudio, window: s.result.stats.maxAudioWindow, audio: s.result.stats.audioStreams, pending: s.result.stats.maxPendingRecords };
    };
    const a = peaks(4);
    const b = peaks(12);
    assert.ok(b.audio >= 2.5 * a.audio, `audio streams: ${a.audio} for 4 calls, ${b.audio} for 12`);
    // Calls start every 30 s and last 45 s: the live audio streams are those of 2 calls at most.
    assert.equal(b.live, a.live);
    assert.ok(b.live <= (2 * a.audio) / 4 + 2, `live audio streams ${b.live}`);
    // The window follows the worst reordering of one stream (a swap: 2 packets), not the capture.
    assert.ok(a.window > 0 && b.window <= 8192, `sample window ${a.window} / ${b.window}`);
    assert.ok(b.pending <= a.pending * 1.5 + 50, `records waiting: ${a.pending} for 4 calls, ${b.pending} for 12`);
  });

  it('--extract on many overlapping calls: each call\'s page is rebuilt (per call, not one T.30 state across calls), numbered across calls, the same both ways', () => {
    const one = analyzeCapture(calls(tpl, { calls: 1, spacing: 1 }), { extract: true });
    assert.ok(one.ok && one.pages?.length === 1);
    const want = one.pages[0] as ExtractedPage;
    const n = 25;
    // A call starts every 0.1 s and lasts 3.7 s: ~37 calls' T.30 exchanges interleave.
    const cap = calls(tpl, { calls: n, spacing: 0.1 });
    const s = assertSame(cap, { extract: true });
    assert.equal(s.pages.length, n);
    assert.deepEqual(
      s.pages.map((p) => p.page.index).sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    for (const { page } of s.pages) {
      assert.deepEqual(page.bitmap.data, want.bitmap.data);
      assert.equal(page.response, 'MCF');
    }
    // Each call says its own outcome, labelled with its streams.
    const outcomes = s.lines.filter((l) => l.startsWith('T.30 outcome: '));
    assert.equal(outcomes.length, n);
    assert.match(outcomes[0] ?? '', /^T\.30 outcome: S\d+\+S\d+: 1 page\(s\) sent, 1 confirmed, last answer MCF to PPS-EOP, call ended with DCN$/);
  });

  it('G.711 placement edge cases (late packet, duplicate, loss, timestamp jump, two SSRCs): the same as analyzeCapture, window follows the lateness', () => {
    // 1100 Hz CNG bursts (0.5 s on, 3 s off, T.30 §5.2) in µ-law, 20 ms packets, both directions.
    const tone = (n: number): Uint8Array => {
      const lin = new Int16Array(160);
      for (let i = 0; i < 160; i++) {
        const t = n * 160 + i;
        lin[i] = t % 28000 < 4000 ? Math.round(8000 * Math.sin((2 * Math.PI * 1100 * t) / 8000)) : 0;
      }
      const out = new Uint8Array(160);
      for (let i = 0; i < 160; i++) out[i] = linearToUlaw(lin[i] as number);
      return out;
    };
    const pkt = (ssrc: number, seq: number, ts: number, payload: Uint8Array): Uint8Array => {
      const p = new Uint8Array(12 + payload.length);
      p[0] = 0x80;
      p[2] = (seq >> 8) & 255;
      p[3] = seq & 255;
      new DataView(p.buffer).setUint32(4, ts >>> 0);
      new DataView(p.buffer).setUint32(8, ssrc >>> 0);
      p.set(payload, 12);
      return p;
    };
    const recs: PcapWriteRecord[] = [];
    const t0 = 1_800_000_000_000_000_000n;
    for (const [dir, ssrc] of [
      [0, 0x1111],
      [1, 0x2222],
    ] as const) {
      const list: PcapWriteRecord[] = [];
      for (let n = 0; n < 600; n++) {
        if (n >= 200 && n < 220) continue; // 20 packets lost
        // A sender clock jump 10 s ahead from packet 400 on (a discontinuity, placed by capture time).
        const ts = n * 160 + (n >= 400 ? 80_000 : 0) + 0xfffff000 * dir;
        list.push({ timeNs: t0 + BigInt(n) * 20_000_000n + BigInt(dir) * 7_000_000n, src: dir ? '10.0.0.2' : '10.0.0.1', dst: dir ? '10.0.0.1' : '10.0.0.2', srcPort: 5000 + dir * 2, dstPort: 5002 - dir * 2, proto: 'udp', payload: pkt(ssrc, (n + 65000 * dir) & 0xffff, ts, tone(n)) });
      }
      // Packet 100 arrives 40 packets (0.8 s) late; packet 300 twice.
      const late = list.splice(100, 1)[0] as PcapWriteRecord;
      list.splice(140, 0, { ...late, timeNs: (list[139] as PcapWriteRecord).timeNs + 1000n });
      const dup = list[280] as PcapWriteRecord;
      list.splice(281, 0, { ...dup, timeNs: dup.timeNs + 1000n });
      recs.push(...list);
    }
    recs.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
    const cap = writePcap(recs);
    const s = assertSame(cap, { extract: true }, 1500);
    assert.ok(s.result.ok);
    assert.equal(s.result.stats.audioStreams, 2);
    assert.ok(s.result.summary.warnings.some((w) => /timestamp discontinuities/.test(w)), s.result.summary.warnings.join('; '));
    assert.ok(s.lines.filter((l) => / CNG/.test(l)).length >= 4, 'CNG heard in both directions');
    // The late packet lands 40 packets back: the window holds at least that much.
    assert.ok(s.result.stats.maxAudioWindow >= 40 * 160, `window ${s.result.stats.maxAudioWindow}`);
    assertSame(cap, {}, 13);
  });

  it('T.38 over TCP (TPKT) and SIP over TCP: reassembled as they arrive (split, reordered, retransmitted, a hole), the same as analyzeCapture', () => {
    const text = (t: string): Uint8Array => new TextEncoder().encode(t);
    const t0 = 1_800_000_000_000_000_000n;
    const build = (calls: number, opts: { hole: boolean; seed: number }): Uint8Array => {
      const rnd = xorshift32(opts.seed);
      const recs: PcapWriteRecord[] = [];
      for (let c = 0; c < calls; c++) {
        const a = `10.1.${c}.1`;
        const b = `10.1.${c}.2`;
        const start = t0 + BigInt(c) * 500_000_000n;
        // SIP over TCP, the INVITE cut in two segments; its SDP names the TPKT port.
        const sdp = `v=0\r\no=- 1 1 IN IP4 ${a}\r\ns=-\r\nc=IN IP4 ${a}\r\nt=0 0\r\nm=image 6000 tcptl t38\r\na=T38FaxVersion:3\r\n`;
        const invite = text(`INVITE sip:fax@${b} SIP/2.0\r\nVia: SIP/2.0/TCP ${a}:5060\r\nCall-ID: c${c}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
        recs.push({ timeNs: start, src: a, dst: b, srcPort: 5060, dstPort: 5060, proto: 'tcp', tcpSeq: 1000, payload: invite.subarray(0, 40) });
        recs.push({ timeNs: start + 1000n, src: a, dst: b, srcPort: 5060, dstPort: 5060, proto: 'tcp', tcpSeq: 1040, payload: invite.subarray(40) });
        // TPKT both ways: each UDPTL primary of the golden call as one TPKT frame (RFC 1006 §6).
        const seq = [5000, 9000];
        const low = Math.min(...tpl.map((x) => x.srcPort));
        const segs: PcapWriteRecord[][] = [[], []];
        for (const x of tpl) {
          const d = decodeUdptl(x.payload);
          if (!d.ok) continue;
          const dir = x.srcPort === low ? 0 : 1;
          const ifp = d.value.primary;
          const frame = new Uint8Array(4 + ifp.length);
          frame.set([3, 0, (frame.length >> 8) & 255, frame.length & 255]);
          frame.set(ifp, 4);
          // Sometimes split in two segments.
          const parts = frame.length > 6 && (rnd() >>> 0) % 5 === 0 ? [frame.subarray(0, 3), frame.subarray(3)] : [frame];
          for (const part of parts) {
            segs[dir]!.push({ timeNs: start + 2_000_000n + (x.timeNs - (tpl[0]?.timeNs ?? 0n)), src: dir ? b : a, dst: dir ? a : b, srcPort: dir ? 6000 : 6001, dstPort: dir ? 6001 : 6000, proto: 'tcp', tcpSeq: seq[dir]!, payload: part });
            seq[dir]! += part.length;
          }
        }
        for (const list of segs) {
          // Swaps (bytes held out of order, delivered with their own frame), retransmissions, one hole.
          for (let j = 10; j + 1 < list.length; j += 7 + ((rnd() >>> 0) % 5)) {
            const x = list[j] as PcapWriteRecord;
            const y = list[j + 1] as PcapWriteRecord;
            list[j] = { ...y, timeNs: x.timeNs };
            list[j + 1] = { ...x, timeNs: y.timeNs };
          }
          for (let j = 30; j < list.length; j += 40) list.splice(j, 0, { ...(list[j - 3] as PcapWriteRecord), timeNs: (list[j - 1] as PcapWriteRecord).timeNs });
          if (opts.hole && list.length > 100) list.splice(Math.floor(list.length / 2), 1);
          recs.push(...list);
        }
      }
      recs.sort((x, y) => (x.timeNs < y.timeNs ? -1 : x.timeNs > y.timeNs ? 1 : 0));
      return writePcap(recs);
    };
    const one = build(1, { hole: false, seed: 3 });
    const s1 = assertSame(one, { extract: true });
    assert.ok(s1.result.ok);
    assert.equal(s1.result.summary.streams, 2);
    assert.ok(s1.json.some((j) => /"type":"stream".*"transport":"tpkt"/.test(j)));
    assert.ok(s1.result.summary.sipMessages >= 1 && s1.result.summary.t30Frames > 5, JSON.stringify(s1.result.summary).slice(0, 300));
    const many = build(6, { hole: true, seed: 9 });
    const s = assertSame(many, { extract: true }, 777);
    assert.ok(s.result.ok && s.result.summary.streams === 12 && s.result.summary.lost > 0);
    assert.ok(s.result.stats.tcpDirections >= 18, `TCP directions ${s.result.stats.tcpDirections}`);
    assertSame(many, { t38Version: 0 }, 50);
    assertSame(many, { ports: [6000] });
  });

  it('TCP state is bounded: a direction missing one segment holds at most 1024 out of order, then a gap is declared (counted); 200 SIP-over-TCP connections at once: the same as analyzeCapture', () => {
    const t0 = 1_800_000_000_000_000_000n;
    const ifps: Uint8Array[] = [];
    for (const x of tpl) {
      const d = decodeUdptl(x.payload);
      if (d.ok) ifps.push(d.value.primary);
    }
    const recs: PcapWriteRecord[] = [];
    let seq = 1;
    for (let i = 0; i < 1500; i++) {
      const ifp = ifps[i % ifps.length] as Uint8Array;
      const frame = new Uint8Array(4 + ifp.length);
      frame.set([3, 0, (frame.length >> 8) & 255, frame.length & 255]);
      frame.set(ifp, 4);
      if (i !== 1) recs.push({ timeNs: t0 + BigInt(i) * 1_000_000n, src: '10.9.0.1', dst: '10.9.0.2', srcPort: 7000, dstPort: 7001, proto: 'tcp', tcpSeq: seq, payload: frame });
      seq += frame.length;
    }
    // 200 SIP-over-TCP connections open at once, each an OPTIONS then a CRLF keep-alive (RFC 5626 §3.5.1).
    for (let c = 0; c < 200; c++) {
      const msg = new TextEncoder().encode(`OPTIONS sip:x@10.8.0.1 SIP/2.0\r\nCall-ID: o${c}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
      const at = t0 + BigInt(c) * 1_000_000n;
      recs.push({ timeNs: at, src: `10.8.${c >> 8}.${c & 255}`, dst: '10.8.0.1', srcPort: 40000 + c, dstPort: 5060, proto: 'tcp', tcpSeq: 1, payload: msg });
      recs.push({ timeNs: at + 1_200_000_000n, src: `10.8.${c >> 8}.${c & 255}`, dst: '10.8.0.1', srcPort: 40000 + c, dstPort: 5060, proto: 'tcp', tcpSeq: 1 + msg.length, payload: Uint8Array.of(13, 10, 13, 10) });
    }
    recs.sort((x, y) => (x.timeNs < y.timeNs ? -1 : x.timeNs > y.timeNs ? 1 : 0));
    const s = assertSame(writePcap(recs), {}, 4096);
    assert.ok(s.result.ok);
    assert.equal(s.result.stats.tcpForcedGaps, 1);
    assert.equal(s.result.stats.tcpDirections, 201);
    assert.equal(s.result.summary.sipMessages, 200);
    assert.equal(s.result.summary.streams, 1);
    assert.ok(s.result.summary.lost >= 1);
  });

  it('a file that is not a capture: the same error as analyzeCapture', () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(100)]) {
      const old = analyzeCapture(bad);
      const s = stream(bad, {}, 2);
      assert.ok(!old.ok && !s.result.ok);
      assert.equal(s.result.error, old.error);
    }
  });
});
