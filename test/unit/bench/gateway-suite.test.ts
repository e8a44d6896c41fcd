/**
 * The gateway bench suite (bench/gateway.ts, bench/gateway-inputs.ts) without timing anything:
 * the recorded inputs (a short page), their file forms for the C twin, the two direction drivers
 * (exact sample counts, a fresh gateway at the end of an input, datagrams delivered once each at
 * their time), the latency analysis on made-up observations, and the suite's wiring and report
 * with a stand-in gateway (the C twin kept out).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AudioToT38Driver, T38ToAudioDriver, analyseLatency, gatewaySuite, memoryPrefix, worstLatency, type GatewayUnderTest } from '../../../bench/gateway.js';
import { audioFile, findBursts, primaryIfp, readT38File, recordInputs, t38File, type GatewayBenchInputs } from '../../../bench/gateway-inputs.js';

let recorded: GatewayBenchInputs | undefined;
/** A 60-row page: the whole call in well under a second or two of CPU. */
const inputs = (): GatewayBenchInputs => (recorded ??= recordInputs(60));

/** Records what a gateway is given; plays a fixed tone while `loud`. */
class StandIn implements GatewayUnderTest {
  static made = 0;
  received = 0;
  sent = 0;
  readonly datagrams: { bytes: Uint8Array; now: number }[] = [];
  constructor(private readonly loud = false) {
    StandIn.made++;
  }
  audioReceive(input: Int16Array | null, offset = 0, n = (input?.length ?? 160) - offset): void {
    this.received += n;
  }
  audioTransmit(out: Int16Array, offset = 0, n = out.length - offset): void {
    out.fill(this.loud ? 1000 : 0, offset, offset + n);
    this.sent += n;
  }
  t38Receive(bytes: Uint8Array, now: number): void {
    this.datagrams.push({ bytes, now });
  }
  tick(): void {}
  takeOutput(): Uint8Array[] {
    return [];
  }
  get playoutMs(): number {
    return 0;
  }
}

describe('bench/gateway-inputs.ts', () => {
  it('records DCS … EOP audio with its V.21 frame ends, and the T.38 datagrams of the same page', () => {
    const i = inputs();
    assert.deepEqual(
      i.frames.map((f) => f.name),
      ['DCS', 'EOP'],
    );
    const bursts = findBursts(i.audio);
    // V.21 (DCS), V.17 (TCF), V.17 (page), V.21 (EOP).
    assert.equal(bursts.length, 4, JSON.stringify(bursts));
    const [dcsBurst, tcf, page, eopBurst] = bursts;
    assert.deepEqual(i.pageAudio, page);
    // TCF lasts 1.5 s (T.30 §5.3.3) after the V.17 long training (≈ 1.4 s).
    assert.ok(tcf !== undefined && tcf.end - tcf.start > 2.5 * 8000 && tcf.end - tcf.start < 3.3 * 8000, JSON.stringify(tcf));
    // A frame ends inside its burst, followed only by the closing flags' tail (< 3 flags of 8 bits).
    for (const [f, b] of [
      [i.frames[0], dcsBurst],
      [i.frames[1], eopBurst],
    ] as const) {
      assert.ok(f !== undefined && b !== undefined);
      assert.ok(f.end > b.start && f.end <= b.end && b.end - f.end < 3 * 8 * (8000 / 300), `${f.name} ends at ${f.end}, its burst ${JSON.stringify(b)}`);
    }
    assert.ok(i.datagrams.length > 50);
    for (let k = 1; k < i.datagrams.length; k++) assert.ok((i.datagrams[k]?.at ?? 0) >= (i.datagrams[k - 1]?.at ?? 0));
    assert.ok(i.t38Samples >= (i.datagrams.at(-1)?.at ?? 0) + 8000);
    const first = primaryIfp(i.datagrams[0]?.bytes ?? new Uint8Array(0), 0);
    assert.deepEqual(first?.ifp, { type: 't30-indicator', indicator: 'v21-preamble' });
    const pageInd = i.datagrams.find((d) => d.at === i.pageIfpAt);
    assert.equal(primaryIfp(pageInd?.bytes ?? new Uint8Array(0), 0)?.ifp.type, 't30-indicator');
    const m = memoryPrefix(i);
    assert.ok(m.audio > i.pageAudio.start && m.audio <= i.audio.length && m.t38 > i.pageIfpAt && m.t38 <= i.t38Samples);
  });

  it('file forms: audio as int16 LE; the T.38 file reads back to the same datagrams', () => {
    const a = audioFile(Int16Array.of(1, -2, 0x1234));
    assert.deepEqual([...a], [1, 0, 0xfe, 0xff, 0x34, 0x12]);
    const d = [
      { at: 0, bytes: Uint8Array.of(0, 0, 1, 6) },
      { at: 80_000, bytes: new Uint8Array(300).fill(7) },
    ];
    const f = t38File({ datagrams: d, t38Samples: 90_000 }, 3);
    assert.deepEqual([...f.subarray(0, 16)], [0x46, 0x57, 0x47, 0x54, 3, 0, 0, 0, 0x90, 0x5f, 0x01, 0, 2, 0, 0, 0]);
    assert.deepEqual(readT38File(f), { version: 3, t38Samples: 90_000, datagrams: d });
  });
});

describe('bench/gateway.ts', () => {
  it('audio → T.38 driver: exactly n samples for any n, a fresh gateway at the end of the audio', () => {
    const audio = new Int16Array(1000);
    const made: StandIn[] = [];
    const d = new AudioToT38Driver(() => {
      const g = new StandIn();
      made.push(g);
      return g;
    }, audio);
    for (const n of [1, 159, 160, 161, 999]) d.run(n);
    // 1480 samples: one whole pass (1000) and 480 into the second.
    assert.deepEqual(
      made.map((g) => g.received),
      [1000, 480],
    );
  });

  it('T.38 → audio driver: each datagram once per pass, at or just after its time; n samples pulled', () => {
    const datagrams = [
      { at: 0, bytes: Uint8Array.of(1) },
      { at: 200, bytes: Uint8Array.of(2) },
      { at: 1000, bytes: Uint8Array.of(3) },
    ];
    const made: StandIn[] = [];
    const d = new T38ToAudioDriver(
      () => {
        const g = new StandIn();
        made.push(g);
        return g;
      },
      { datagrams, t38Samples: 1600 },
    );
    d.run(1600 + 170);
    assert.equal(made.length, 2);
    const [g1, g2] = made;
    assert.deepEqual(
      g1?.datagrams.map((x) => [x.bytes[0], x.now]),
      [
        [1, 0],
        [2, 40],
        [3, 140],
      ],
    );
    assert.equal(g1?.sent, 1600);
    assert.deepEqual(
      g2?.datagrams.map((x) => x.bytes[0]),
      [1],
    );
    assert.equal(g2?.sent, 170);
  });

  it('latency analysis: fcs-OK after the closing flag, burst start and end after the IFPs', () => {
    const i = inputs();
    const fcsOk = { type: 't30-data', dataType: 'v21', fields: [{ type: 'hdlc-fcs-OK' }] } as const;
    const emitted = [
      { at: 8, ifp: { type: 't30-indicator', indicator: 'no-signal' } as const },
      ...i.frames.map((f, k) => ({ at: f.end + 40 * (k + 1), ifp: fcsOk })),
    ];
    // Audio: a burst 10 ms after each indicator's (1 ms block) delivery, ending 30 ms after its sig-end.
    const out = new Int16Array(i.t38Samples);
    const starts: number[] = [];
    const ends: number[] = [];
    const seen = new Set<number>();
    for (const d of i.datagrams) {
      const p = primaryIfp(d.bytes, 0);
      if (p === undefined || seen.has(p.seq)) continue;
      seen.add(p.seq);
      const at = Math.ceil(d.at / 8) * 8;
      if (p.ifp.type === 't30-indicator' && p.ifp.indicator !== 'no-signal') starts.push(at + 80);
      if (p.ifp.type === 't30-data' && p.ifp.fields?.some((f) => f.type.endsWith('sig-end')) === true && ends.length < starts.length) ends.push(at + 240);
    }
    assert.equal(starts.length, 4);
    assert.equal(ends.length, 4);
    starts.forEach((s, k) => out.fill(3000, s, ends[k]));
    const f = analyseLatency(i, { emitted, audioOut: out });
    assert.deepEqual(f.frames, [
      { name: 'DCS', ms: 5 },
      { name: 'EOP', ms: 10 },
    ]);
    assert.deepEqual(
      f.bursts.map((b) => [b.what, b.startMs, b.endMs]),
      [
        ['v21-preamble', 10, 30],
        ['v17-14400-long-training', 10, 30],
        ['v17-14400-short-training', 10, 30],
        ['v21-preamble', 10, 30],
      ],
    );
    assert.equal(worstLatency(f), 10);
    // Nothing emitted, nothing played: every figure is "none" and the worst is undefined.
    const none = analyseLatency(i, { emitted: [], audioOut: new Int16Array(i.t38Samples) });
    assert.ok(none.frames.every((x) => x.ms === undefined) && none.bursts.every((b) => b.startMs === undefined));
    assert.equal(worstLatency(none), undefined);
  });

  it('the suite: two cases against spandsp; verify says loudly when a direction relays nothing; the report judges nothing then', () => {
    const s = gatewaySuite({ make: () => new StandIn(), rows: 60, memoryN: [2], useC: false });
    assert.deepEqual(
      s.cases.map((c) => [c.name, c.unit, c.baseline]),
      [
        ['gateway/audio-to-t38', 'sample', 'c/spandsp/gateway/audio-to-t38'],
        ['gateway/t38-to-audio', 'sample', 'c/spandsp/gateway/t38-to-audio'],
      ],
    );
    assert.equal(s.baselines.length, 0);
    assert.deepEqual(gatewaySuite({ rows: 60 }).baselines[0]?.provides, ['c/spandsp/gateway/audio-to-t38', 'c/spandsp/gateway/t38-to-audio']);
    for (const c of s.cases) {
      c.verify?.();
      assert.equal(typeof c.run(321), 'number');
    }
    assert.match(s.notes[0] ?? '', /RELAYED NOTHING/);
    assert.match(s.notes[1] ?? '', /PLAYED NOTHING/);
    const lines = s.report?.({
      results: [
        { name: 'gateway/audio-to-t38', nsPerOp: 100 },
        { name: 'gateway/t38-to-audio', nsPerOp: 25 },
      ],
      settings: { minSeconds: 0.1, runs: 1, warmupSeconds: 0, clock: 'cpu', heap: false, keepTemp: false },
      cEnabled: false,
    });
    const text = (lines ?? []).join('\n');
    // 100 ns a sample = 0.8 ms a channel-second = 1250 channels; the sum 1 ms = 1000 channels.
    assert.match(text, /audio → T\.38 \(demodulating\) +faxwire 0\.800 ms → 1250 channels/);
    assert.match(text, /a channel relaying a page \(sum\) +faxwire 1\.000 ms → 1000 channels/);
    assert.match(text, /target ≥ 500 channels per core: NOT JUDGED/);
    assert.match(text, /N=2: faxwire heap\+buffers/);
    assert.match(text, /target ≤ 20 ms .*NOT MET \(a frame or burst was never relayed\)/);
  });

  it('a stand-in that plays a tone counts as playing; the verdicts are then judged', () => {
    const s = gatewaySuite({ make: () => new StandIn(true), rows: 60, memoryN: [2], useC: false });
    s.cases[1]?.verify?.();
    assert.match(s.notes[0] ?? '', /gateway\/t38-to-audio on \d+ datagrams over [\d.]+ s: 1 bursts played/);
  });
});
