/**
 * T38ToAudio, the T.38 → audio half of the gateway: IFP sequences made by the T.38 terminal's
 * own line (T38Line: T30TxSteps → paced IFPs) are played into faxwire's modems, and the audio is
 * demodulated by the AudioReceiver (the same receive side an audio fax terminal has). Frames and
 * page rows must come out equal to what went in, on every modulation; then the play-out cases:
 * jitter, a late burst of page data, fcs-BAD and a lost IFP inside a frame, clock drift between
 * the IP side and the audio clock, hostile IFPs.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AudioReceiver } from '../../../src/fax/audio-receiver.js';
import { fastModemFromFrame } from '../../../src/fax/fast-modem-plan.js';
import { T38ToAudio, type T38ToAudioOptions } from '../../../src/fax/gateway/t38-to-audio.js';
import { T38Line } from '../../../src/fax/terminal/t38-line.js';
import { FAXWIRE_MODEMS } from '../../../src/fax/terminal/modem-kit.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import type { FaxModulation } from '../../../src/modem/modulation.js';
import { dcsRateCode, emptyDisFields, encodeDis } from '../../../src/t30/dis.js';
import type { T30LineEvent, T30TxStep } from '../../../src/t30/line.js';
import { stepForModulation } from '../../../src/t30/negotiate.js';
import { T30_DATA_TYPES, T30_INDICATORS, IFP_FIELD_TYPES, type Ifp, type IfpField } from '../../../src/t38/ifp.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';
import { decodeT4, encodeT4 } from '../../../src/t4/index.js';
import { xorshift32, type Random32 } from '../../../src/util/random.js';
import { samePixels } from '../../sim/t38-call.js';

interface Timed {
  readonly at: number;
  readonly ifp: Ifp;
}

/** The IFPs (with their due times, ms) the T.38 terminal's line sends for `steps`. */
function t38Ifps(steps: readonly T30TxStep[], start = 0): Timed[] {
  const line = new T38Line({ version: 2 });
  line.queue(steps, start);
  const out: Timed[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    for (const p of line.takePackets()) out.push({ at: p.at, ifp: p.ifp });
    const t = line.nextTimeout();
    if (t === undefined || line.pendingSteps === 0) break;
    line.tick(t);
  }
  for (const p of line.takePackets()) out.push({ at: p.at, ifp: p.ifp });
  return out;
}

/** A DCS (T.30 §5.3.6.2.3) naming `m`, with or without ECM. */
function dcs(m: FaxModulation, ecm: boolean): Uint8Array {
  const step = stepForModulation(m);
  assert.ok(step);
  const f = { ...emptyDisFields('DCS'), rateCode: dcsRateCode(step.modem, step.bitRate), ecm, receiverFax: true, octets: 4 };
  const frame = Uint8Array.from([0xff, 0xc8, 0xc1, ...encodeDis(f)]);
  const plan = fastModemFromFrame(frame);
  assert.equal(plan?.modulation, m);
  assert.equal(plan?.ecm, ecm);
  return frame;
}

function page(rows: number, seed = 1): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 20, 2, 1688, 2, true);
  drawText(b, 60, 6, `T38 TO AUDIO ${seed}`, 2, 2);
  for (let x = 0; x < 30; x++) fillRect(b, 1100 + x * 17, (x * seed) % Math.max(1, rows - 8), 7, 6, (x + seed) % 3 !== 0);
  return b;
}

interface RunOptions {
  readonly gw?: T38ToAudioOptions;
  /** Extra network delay of packet i (ms); arrivals are kept in order. */
  readonly delay?: (i: number, p: Timed) => number;
  /** Audio clock against the IP clock, ppm (positive: the audio clock runs fast). */
  readonly ppm?: number;
  /** Packets to lose (markMissing instead of receive). */
  readonly lose?: (i: number, p: Timed) => boolean;
  readonly tailMs?: number;
}

interface RunResult {
  readonly events: T30LineEvent[];
  readonly gw: T38ToAudio;
  readonly maxBufferedMs: number;
}

/** Plays `packets` through a T38ToAudio into an AudioReceiver, in 20 ms audio blocks. */
function run(packets: readonly Timed[], o: RunOptions = {}): RunResult {
  const gw = new T38ToAudio(o.gw ?? {});
  const events: T30LineEvent[] = [];
  const rx = new AudioReceiver({ kit: FAXWIRE_MODEMS }, (e) => events.push(e));
  let last = -Infinity;
  const arrivals = packets.map((p, i) => {
    last = Math.max(last, p.at + (o.delay?.(i, p) ?? 0));
    return last;
  });
  const block = new Int16Array(160);
  const scale = 1 + (o.ppm ?? 0) / 1e6;
  let next = 0;
  let maxBufferedMs = 0;
  let quietSince: number | undefined;
  for (let k = 0; k < 200_000; k++) {
    const nowIp = (k * 20) / scale;
    while (next < packets.length && (arrivals[next] as number) <= nowIp) {
      const p = packets[next] as Timed;
      if (o.lose?.(next, p) === true) gw.markMissing(1);
      else gw.receive(p.ifp, arrivals[next] as number);
      next++;
    }
    maxBufferedMs = Math.max(maxBufferedMs, gw.bufferedMs);
    gw.transmit(block, 0, 160);
    rx.receive(block, 0, 160);
    if (next >= packets.length && !gw.signalActive) {
      quietSince ??= k;
      if ((k - quietSince) * 20 >= (o.tailMs ?? 200)) break;
    }
  }
  return { events, gw, maxBufferedMs };
}

const frames = (ev: readonly T30LineEvent[], m?: FaxModulation): { frame: Uint8Array; ok: boolean }[] =>
  ev.flatMap((e) => (e.kind === 'hdlc-frame' && (m === undefined || e.modulation === m) ? [{ frame: e.frame, ok: e.ok }] : []));

/** The non-ECM data of each fast signal, in order. */
function nonEcmSignals(ev: readonly T30LineEvent[]): Uint8Array[] {
  const out: number[][] = [];
  let cur: number[] | undefined;
  for (const e of ev) {
    if (e.kind === 'signal' && e.modulation !== 'v21') {
      cur = [];
      out.push(cur);
    } else if (e.kind === 'non-ecm-data' && cur) {
      for (const b of e.data) cur.push(b);
    } else if (e.kind === 'non-ecm-end' || e.kind === 'hdlc-end') {
      if (e.modulation !== 'v21') cur = undefined;
    }
  }
  return out.map((a) => Uint8Array.from(a));
}

const V21_FRAMES = [
  Uint8Array.of(0xff, 0xc0, 0x02, 0x33, 0x32, 0x31, 0x20, 0x20), // TSI-like
  Uint8Array.of(0xff, 0xc0, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a),
];

/**
 * A non-ECM transmission as the calling side sends it: DCS burst, TCF, one page. The 1 s before
 * the page stands for the CFR's round trip: the page starts on a drained play-out buffer, as in
 * a real call (a TCF played straight after the DCS burst inherits the time the burst's frames
 * were held, and would hide the page's own waits).
 */
function nonEcmSteps(m: FaxModulation, img: Uint8Array): T30TxStep[] {
  return [
    { kind: 'hdlc', modulation: 'v21', frames: [...V21_FRAMES, dcs(m, false)] },
    { kind: 'silence', ms: 75 },
    { kind: 'tcf', modulation: m, ms: 1500 },
    { kind: 'silence', ms: 1000 },
    { kind: 'image', modulation: m, shortTrain: false, data: img },
  ];
}

function assertPage(data: Uint8Array | undefined, want: Bitmap, what: string): void {
  assert.ok(data !== undefined, `${what}: page received`);
  // As the T.30 engine decodes a non-ECM page: what comes before the first EOL is the training's tail (T.4 §4.1.2).
  const d = decodeT4(data, { coding: 'mh', width: want.width, skipToFirstEol: true });
  assert.equal(d.badRows, 0, `${what}: bad rows ${JSON.stringify(d.firstError)}`);
  assert.equal(d.rows, want.height, `${what}: rows`);
  assert.ok(samePixels(d.bitmap, want), `${what}: pixel-identical`);
}

function assertTcf(data: Uint8Array | undefined, m: FaxModulation, what: string): void {
  assert.ok(data !== undefined, `${what}: TCF received`);
  const rate = Number(m.split('-')[1]);
  const want = (1.5 * rate) / 8;
  // The receivers hand on a few octets of the training's and the shutdown's scrambled ones
  // around the zeros (as for an AudioLine's TCF): the longest run of zero octets is the TCF.
  let run = 0;
  let longest = 0;
  for (const b of data) {
    run = b === 0 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  assert.ok(longest >= want * 0.99, `${what}: TCF has ${longest} zero octets in a row, ≥ ${want * 0.99}`);
}

const FAST: readonly FaxModulation[] = ['v27ter-2400', 'v27ter-4800', 'v29-7200', 'v29-9600', 'v17-7200', 'v17-9600', 'v17-12000', 'v17-14400'];

describe('T38ToAudio: IFPs from a T.38 terminal → modems → AudioReceiver', () => {
  it('V.21: a burst of several frames comes out frame for frame (and the next burst after ≥ 75 ms)', () => {
    const second = [Uint8Array.of(0xff, 0xc8, 0x21)]; // CFR
    const ifps = t38Ifps([{ kind: 'hdlc', modulation: 'v21', frames: V21_FRAMES }, { kind: 'silence', ms: 75 }, { kind: 'hdlc', modulation: 'v21', frames: second }]);
    const seen: Uint8Array[] = [];
    const r = run(ifps, { gw: { onFrame: (f, ok, m, from) => (ok && m === 'v21' && from === 't38' ? seen.push(f) : undefined) } });
    assert.deepEqual(
      frames(r.events).map((f) => [...f.frame]),
      [...V21_FRAMES, ...second].map((f) => [...f]),
    );
    assert.ok(frames(r.events).every((f) => f.ok));
    assert.equal(seen.length, 3);
    const st = r.gw.getStats();
    assert.equal(st.bursts.v21, 2);
    assert.equal(st.framesPlayedOk, 3);
    assert.equal(r.events.filter((e) => e.kind === 'hdlc-end').length, 2);
  });

  for (const m of FAST) {
    it(`${m}: DCS, TCF and a non-ECM page (rows identical)`, () => {
      const img = page(24, 3);
      const data = encodeT4(img, { coding: 'mh' });
      const r = run(t38Ifps(nonEcmSteps(m, data)));
      assert.deepEqual(frames(r.events, 'v21').map((f) => f.frame.length), [8, 13, 7]);
      const sigs = nonEcmSignals(r.events);
      assert.equal(sigs.length, 2, `TCF + page: ${JSON.stringify(r.gw.getStats())}`);
      assertTcf(sigs[0], m, m);
      assertPage(sigs[1], img, m);
      const st = r.gw.getStats();
      assert.equal(st.bursts[m], 2);
      assert.equal(st.nonEcmOctetsDropped, 0);
    });
  }
});

/** ECM frames (T.30 Annex A): `n` FCD-like frames of `len` octets and an RCP, seeded. */
function ecmFrames(n: number, len: number, seed: number): Uint8Array[] {
  const r = xorshift32(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = new Uint8Array(len);
    f.set([0xff, 0x03, 0x06, i]);
    for (let j = 4; j < len; j++) f[j] = r() & 0xff;
    out.push(f);
  }
  out.push(Uint8Array.of(0xff, 0x03, 0x86)); // RCP
  return out;
}

function ecmSteps(m: FaxModulation, fr: readonly Uint8Array[]): T30TxStep[] {
  return [
    { kind: 'hdlc', modulation: 'v21', frames: [dcs(m, true)] },
    { kind: 'silence', ms: 75 },
    { kind: 'tcf', modulation: m, ms: 1500 },
    { kind: 'silence', ms: 1000 },
    { kind: 'hdlc', modulation: m, frames: fr },
  ];
}

function assertFrames(got: { frame: Uint8Array; ok: boolean }[], want: readonly Uint8Array[], what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} frames`);
  got.forEach((g, i) => {
    assert.ok(g.ok, `${what}: frame ${i} ok`);
    assert.deepEqual([...g.frame], [...(want[i] as Uint8Array)], `${what}: frame ${i}`);
  });
}

describe('T38ToAudio: ECM frames on the fast modems', () => {
  for (const m of FAST) {
    it(`${m}: DCS (ECM), TCF, then HDLC frames on the fast modem come out frame for frame`, () => {
      const fr = ecmFrames(4, 68, 7);
      const r = run(t38Ifps(ecmSteps(m, fr)));
      assertTcf(nonEcmSignals(r.events)[0], m, m);
      assertFrames(frames(r.events, m), fr, m);
      const st = r.gw.getStats();
      assert.equal(st.bursts[m], 2, 'TCF + ECM burst');
      assert.equal(st.framesPlayedOk, 1 + fr.length);
    });
  }
});

describe('T38ToAudio: play-out', () => {
  it('tones: CED for as long as its indicator lasted, then a V.21 burst after ≥ 75 ms', () => {
    const ifps = t38Ifps([{ kind: 'tone', tone: 'ced', ms: 3000 }, { kind: 'silence', ms: 75 }, { kind: 'hdlc', modulation: 'v21', frames: V21_FRAMES }]);
    const r = run(ifps);
    assert.ok(r.events.some((e) => e.kind === 'tone' && e.tone === 'ced'));
    assertFrames(frames(r.events), V21_FRAMES, 'after CED');
    assert.equal(r.gw.getStats().tonesPlayed, 1);
  });

  it('the editor rewrites V.21 frames before they are played; the observer sees the edited frame', () => {
    const ifps = t38Ifps([{ kind: 'hdlc', modulation: 'v21', frames: V21_FRAMES }]);
    const edited = Uint8Array.of(0xff, 0xc0, 0x02, 0x39);
    const seen: number[][] = [];
    const r = run(ifps, { gw: { editor: { edit: (f) => (f[2] === 0x02 ? edited : f) }, onFrame: (f) => seen.push([...f]) } });
    assertFrames(frames(r.events), [edited, V21_FRAMES[1] as Uint8Array], 'edited');
    assert.deepEqual(seen, [[...edited], [...(V21_FRAMES[1] as Uint8Array)]]);
    assert.equal(r.gw.getStats().framesEdited, 1);
  });

  it('(a) jitter up to 300 ms: frames and rows identical, flags and fill added while waiting', () => {
    const img = page(40, 5);
    const m: FaxModulation = 'v17-9600';
    const steps = [...nonEcmSteps(m, encodeT4(img, { coding: 'mh' }))];
    const fr = ecmFrames(3, 100, 3);
    for (const seed of [1, 2]) {
      const rnd = xorshift32(seed);
      const r = run(t38Ifps(steps), { delay: () => rnd() % 300 });
      assert.deepEqual(frames(r.events, 'v21').map((f) => f.ok), [true, true, true]);
      const sigs = nonEcmSignals(r.events);
      assertTcf(sigs[0], m, `seed ${seed}`);
      assertPage(sigs[1], img, `seed ${seed}`);
      const st = r.gw.getStats();
      assert.ok(st.flagsAdded > 0, `flags added ${st.flagsAdded}`);
      assert.ok(st.fillBitsAtEol + st.zeroBitsBeforeFirstEol > 0, `fill ${JSON.stringify(st)}`);
      const re = run(t38Ifps(ecmSteps('v29-9600', fr)), { delay: () => rnd() % 300 });
      assertFrames(frames(re.events, 'v29-9600'), fr, `ECM seed ${seed}`);
      assert.ok(re.gw.getStats().flagsAdded > 0);
    }
  });

  it('(b) page data arriving in one burst 400 ms late in mid-page: rows identical, fill added at an EOL', () => {
    const img = page(400, 6);
    const m: FaxModulation = 'v29-9600';
    const ifps = t38Ifps(nonEcmSteps(m, encodeT4(img, { coding: 'mh' })));
    // The page's training indicator is the last one before its data; the page lasts > 1.5 s.
    const trainAt = ifps.filter((p) => p.ifp.type === 't30-indicator' && p.ifp.indicator === 'v29-9600-training').map((p) => p.at);
    const pageData = (trainAt[1] as number) + 234;
    const last = (ifps[ifps.length - 1] as Timed).at;
    assert.ok(last - pageData > 1500, `page of ${last - pageData} ms`);
    const until = pageData + 900;
    const late = (_i: number, p: Timed): number => (p.at >= until - 400 && p.at < until ? until - p.at : 0);
    const base = run(ifps);
    const r = run(ifps, { delay: late });
    assertPage(nonEcmSignals(r.events)[1], img, 'late burst');
    const st = r.gw.getStats();
    const fill = st.fillBitsAtEol - base.gw.getStats().fillBitsAtEol;
    // 400 ms at 9600 bit/s (3840 bits) less the data already in hand: thousands of fill bits.
    assert.ok(fill > 2000, `fill at EOLs: ${st.fillBitsAtEol} vs ${base.gw.getStats().fillBitsAtEol} on time`);
    assert.ok(r.maxBufferedMs > 300, `the late burst was buffered: ${r.maxBufferedMs} ms`);
  });

  it('(c) hdlc-fcs-BAD, and a lost IFP inside a frame: that frame is received bad, the others ok', () => {
    const fr = [V21_FRAMES[0] as Uint8Array, V21_FRAMES[1] as Uint8Array, Uint8Array.of(0xff, 0xc8, 0x21)];
    const ifps = t38Ifps([{ kind: 'hdlc', modulation: 'v21', frames: fr }]);
    const ends = ifps.flatMap((p, i) => (p.ifp.fields?.[0]?.type === 'hdlc-fcs-OK' ? [i] : []));
    assert.equal(ends.length, 2);
    const bad = ifps.map((p, i): Timed => (i === ends[1] ? { at: p.at, ifp: { type: 't30-data', dataType: 'v21', fields: [{ type: 'hdlc-fcs-BAD' }] } } : p));
    const r1 = run(bad);
    assert.deepEqual(frames(r1.events).map((f) => f.ok), [true, false, true]);
    assert.deepEqual([...(frames(r1.events)[2]?.frame ?? [])], [...(fr[2] as Uint8Array)]);
    assert.equal(r1.gw.getStats().framesPlayedBad, 1);
    const lostAt = (ends[0] as number) + 4; // an hdlc-data IFP of the second frame
    assert.equal(ifps[lostAt]?.ifp.fields?.[0]?.type, 'hdlc-data');
    const r2 = run(ifps, { lose: (i) => i === lostAt });
    assert.deepEqual(frames(r2.events).map((f) => f.ok), [true, false, true]);
    assert.deepEqual([...(frames(r2.events)[0]?.frame ?? [])], [...(fr[0] as Uint8Array)]);
    assert.equal(r2.gw.getStats().missingPackets, 1);
  });

  for (const ppm of [1000, -1000]) {
    it(`(d) the audio clock ${ppm > 0 ? 'faster' : 'slower'} than the IP clock by ${Math.abs(ppm)} ppm over a long page: rows identical`, () => {
      const img = page(400, 8);
      const m: FaxModulation = 'v17-14400';
      const r = run(t38Ifps(nonEcmSteps(m, encodeT4(img, { coding: 'mh' }))), { ppm });
      assertPage(nonEcmSignals(r.events)[1], img, `${ppm} ppm`);
      const st = r.gw.getStats();
      if (ppm > 0) assert.ok(st.fillBitsAtEol > 0, `a fast audio clock starves: fill ${st.fillBitsAtEol}`);
    });
  }

  it('a lost IFP in mid-page: resynchronised at the next EOL — the rows after it are intact, at most the hit row is bad', () => {
    const img = page(120, 9);
    const m: FaxModulation = 'v29-9600';
    const ifps = t38Ifps(nonEcmSteps(m, encodeT4(img, { coding: 'mh' })));
    const data = ifps.flatMap((p, i) => (p.ifp.type === 't30-data' && p.ifp.dataType === m ? [i] : []));
    let badRows = 0;
    for (let back = 22; back >= 16; back -= 2) {
      const lostAt = data[data.length - back] as number;
      const r = run(ifps, { lose: (i) => i === lostAt });
      const got = nonEcmSignals(r.events)[1];
      assert.ok(got);
      const d = decodeT4(got, { coding: 'mh', width: img.width, skipToFirstEol: true });
      assert.equal(r.gw.getStats().resyncs, 1);
      assert.ok(d.badRows <= 1, `bad rows ${d.badRows}`);
      // 30 ms at 9600 bit/s is 36 octets: some rows are lost, the rest decode.
      assert.ok(d.rows >= img.height - 12 && d.rows < img.height, `rows ${d.rows}`);
      const tail = 30;
      for (let y = 0; y < tail; y++) {
        for (let x = 0; x < img.width; x++) {
          if (getPixel(d.bitmap, x, d.rows - tail + y) !== getPixel(img, x, img.height - tail + y)) assert.fail(`lost at ${lostAt}: row ${y} of the tail differs`);
        }
      }
      badRows += d.badRows;
    }
    assert.ok(badRows >= 1, 'a row cut by a gap is seen bad');
  });

  it('local TCF (method 1): a training indicator with no data after a DCS → training + 1.5 s of zeros', () => {
    const m: FaxModulation = 'v29-9600';
    const ifps = t38Ifps([{ kind: 'hdlc', modulation: 'v21', frames: [dcs(m, false)] }]);
    const end = (ifps[ifps.length - 1] as Timed).at;
    ifps.push({ at: end + 75, ifp: { type: 't30-indicator', indicator: 'v29-9600-training' } }, { at: end + 400, ifp: { type: 't30-indicator', indicator: 'no-signal' } });
    const r = run(ifps, { gw: { localTcf: true } });
    assertTcf(nonEcmSignals(r.events)[0], m, 'local TCF');
    assert.equal(r.gw.getStats().tcfGenerated, 1);
  });

  it('fill-bit removal: rows shorter than the DCS minimum scan-line time get fill again before their EOL', () => {
    // The DCS built here says 20 ms (scan-time code 000, T.30 Table 2): 192 bits a row at 9600.
    const m: FaxModulation = 'v29-9600';
    const want = page(40, 5);
    const img = encodeT4(want, { coding: 'mh' });
    /** Bits from each EOL's 1 to the next EOL's 1 in the received page, after the first EOL. */
    const rowLengths = (data: Uint8Array): number[] => {
      const out: number[] = [];
      let zeros = 0;
      let last = -1;
      for (let i = 0; i < data.length * 8; i++) {
        const bit = ((data[i >> 3] as number) >> (7 - (i & 7))) & 1;
        if (bit === 0) {
          zeros++;
          continue;
        }
        if (zeros >= 11) {
          if (last >= 0) out.push(i - last);
          last = i;
        }
        zeros = 0;
      }
      return out;
    };
    const results = [false, true].map((fillBitRemoval) => {
      const r = run(t38Ifps(nonEcmSteps(m, img)), { gw: { fillBitRemoval } });
      const data = nonEcmSignals(r.events)[1];
      assertPage(data, want, `fillBitRemoval ${fillBitRemoval}`);
      return { rows: rowLengths(data ?? new Uint8Array(0)), fill: r.gw.getStats().scanTimeFillBits };
    });
    const [plain, restored] = results as [{ rows: number[]; fill: number }, { rows: number[]; fill: number }];
    assert.ok(Math.min(...plain.rows) < 192, `the page has short rows to begin with (shortest ${Math.min(...plain.rows)} bits)`);
    assert.equal(plain.fill, 0);
    assert.ok(restored.fill > 0);
    // Every row but the last (RTC follows it) lasts at least 192 bits on the line.
    const short = restored.rows.slice(0, want.height - 1).filter((n) => n < 192);
    assert.deepEqual(short, [], `rows shorter than 20 ms at 9600: ${short.length}`);
  });

  it('(e) hostile IFPs (random indicators, types, fields, losses) never throw and stay bounded', () => {
    const rnd: Random32 = xorshift32(99);
    const gw = new T38ToAudio({ maxHoldMs: 500 });
    const out = new Int16Array(160);
    const pick = <T>(a: readonly T[]): T => a[rnd() % a.length] as T;
    let maxBuffered = 0;
    for (let i = 0; i < 3000; i++) {
      const k = rnd() % 16;
      if (k === 0) gw.markMissing(1 + (rnd() % 3));
      else if (k < 4) gw.receive({ type: 't30-indicator', indicator: pick(T30_INDICATORS) }, i * 10);
      else {
        const fields: IfpField[] = [];
        for (let f = rnd() % 3; f >= 0; f--) {
          const len = rnd() % 40;
          const data = Uint8Array.from({ length: len }, () => (rnd() & 1 ? 0 : rnd() & 0xff));
          fields.push(len > 0 ? { type: pick(IFP_FIELD_TYPES), data } : { type: pick(IFP_FIELD_TYPES) });
        }
        gw.receive({ type: 't30-data', dataType: rnd() % 4 === 0 ? pick(T30_DATA_TYPES) : 'v21', fields }, i * 10);
      }
      if (rnd() % 2 === 0) gw.transmit(out, 0, 1 + (rnd() % 160));
      maxBuffered = Math.max(maxBuffered, gw.bufferedMs);
    }
    for (let i = 0; i < 3000 && gw.signalActive; i++) gw.transmit(out, 0, 160);
    assert.equal(gw.signalActive, false, 'everything played out or cut');
    const st = gw.getStats();
    assert.ok(maxBuffered < 60_000, `buffered ${maxBuffered} ms`);
    assert.ok(st.ifpsReceived > 2000);
  });
});
