/**
 * T38Line: transmit shapes and pacing compared with what spandsp 0.0.6's T.38 terminal sends
 * (the IFP traces and facts of interop/spandsp-peer: results/*.trace.txt and README.md, a
 * third-party reference), and the receive side fed with spandsp's own IFP streams — the golden
 * captures cap_v0/cap_v3.pcapng and the terminal and gateway traces — checked against the T.30
 * frames those calls are documented to carry.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { T38Line, hdlcExtraBits, type T38TxPacket } from '../../../src/fax/terminal/t38-line.js';
import { FAX_MODULATION_BIT_RATE, type FaxModulation } from '../../../src/modem/modulation.js';
import type { T30LineEvent, T30TxStep } from '../../../src/t30/line.js';
import { fcfName } from '../../../src/t30/fcf.js';
import { IFP_FIELD_TYPES, T30_DATA_TYPES, T30_INDICATORS, describeIfp, decodeIfp, type Ifp, type IfpFieldType, type T30DataType, type T30Indicator, type T38Version } from '../../../src/t38/ifp.js';
import { UdptlReceiver } from '../../../src/t38/udptl-receiver.js';
import { readCapture } from '../../../src/capture/packet.js';
import { toHex } from '../helpers/bytes.js';

// ------------------------------------------------------------------------------------------
// helpers

function findRepoRoot(): string | undefined {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = resolve(start);
    for (;;) {
      if (existsSync(join(d, 'package.json'))) return d;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return undefined;
}
const root = findRepoRoot();
const PEER_RESULTS = root === undefined ? '' : resolve(root, '..', 'shared', 'interop', 'spandsp-peer', 'results');

function peerFile(t: { skip: (m: string) => void }, name: string): string | undefined {
  const f = join(PEER_RESULTS, name);
  if (existsSync(f)) return f;
  console.warn(`SKIPPED: ${f} not found (shared corpus absent)`);
  t.skip(`${name} not found`);
  return undefined;
}

interface Run {
  readonly t: number;
  readonly dir: 'TX' | 'RX';
  readonly n: number;
  readonly desc: string;
}

/** A trace_summary.sh line: `   4060.0ms TX   23x data v21 hdlc-data:1`. */
function parseTrace(text: string): Run[] {
  const runs: Run[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)ms (TX|RX)\s+(\d+)x (.*?)\s*$/.exec(line);
    if (m) runs.push({ t: Number(m[1]), dir: m[2] as 'TX' | 'RX', n: Number(m[3]), desc: m[4] ?? '' });
  }
  return runs;
}

/** Collapses packets into runs of identical descriptions, as trace_summary.sh does. */
function collapse(packets: readonly T38TxPacket[]): Run[] {
  const runs: { t: number; dir: 'TX'; n: number; desc: string }[] = [];
  for (const p of packets) {
    const desc = describeIfp(p.ifp);
    const last = runs[runs.length - 1];
    if (last && last.desc === desc) last.n++;
    else runs.push({ t: p.at, dir: 'TX', n: 1, desc });
  }
  return runs;
}

/** Runs one step from `start` with the line idle, returns the packets and when tx-done came. */
function runStep(line: T38Line, step: T30TxStep, start: number): { packets: T38TxPacket[]; doneAt: number } {
  line.queue([step], start);
  let now = start;
  const packets: T38TxPacket[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    line.tick(now);
    packets.push(...line.takePackets());
    const ev = line.takeEvents();
    if (ev.some((e) => e.kind === 'tx-done')) return { packets, doneAt: now };
    const next = line.nextTimeout();
    assert.ok(next !== undefined, 'a running step has a next timeout');
    assert.ok(next >= now, 'time never goes back');
    now = next;
  }
  throw new Error('step never finished');
}

/** Expected runs (from a trace) against produced runs: same shapes, start times within `tol` ms of the trace, relative to the first run. */
function assertShape(got: Run[], want: Run[], tol: number): void {
  assert.deepEqual(
    got.map((r) => `${r.n}x ${r.desc}`),
    want.map((r) => `${r.n}x ${r.desc}`),
  );
  const g0 = got[0]?.t ?? 0;
  const w0 = want[0]?.t ?? 0;
  got.forEach((r, i) => {
    const w = want[i];
    if (!w) return;
    const dt = r.t - g0 - (w.t - w0);
    assert.ok(Math.abs(dt) <= tol, `run ${i} (${r.desc}) at +${(r.t - g0).toFixed(1)} ms, spandsp at +${w.t - w0} ms`);
  });
}

/** A TSI frame as the T.30 engine would build it: ff c0 43 + 20 ident octets (T.30 §5.3.6.2.4). */
function identFrame(fcf: number, ident: string): Uint8Array {
  const f = new Uint8Array(23);
  f.set([0xff, 0xc0, fcf]);
  const padded = ident.padEnd(20, ' ');
  // The FIF holds the ident last character first (T.30 §5.3.6.2.4), each octet bit-reversed.
  for (let i = 0; i < 20; i++) f[3 + i] = reverse8(padded.charCodeAt(19 - i));
  return f;
}
function reverse8(v: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((v >>> i) & 1) << (7 - i);
  return r;
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

// ------------------------------------------------------------------------------------------
// transmit

describe('T38Line transmit: shapes and pacing of spandsp 0.0.6 (t38_noecm / cap_v0 traces)', () => {
  it('CNG at call start: no-signal, 200 ms later cng (caller start)', () => {
    const line = new T38Line({ version: 0 });
    const { packets, doneAt } = runStep(line, { kind: 'tone', tone: 'cng', ms: 500 }, 10);
    assert.deepEqual(
      packets.map((p) => [p.at, describeIfp(p.ifp), p.count, p.category]),
      [
        [10, 'ind no-signal', 3, 'indicator'],
        [210, 'ind cng', 3, 'indicator'],
      ],
    );
    assert.equal(doneAt, 710);
  });

  it('V.21 burst TSI + DCS: preamble, 1 s of flags, 1 octet per IFP at 300 bit/s, fcs-OK, fcs-OK-sig-end, no-signal', (t) => {
    const f = peerFile(t, 't38_noecm.trace.txt');
    if (!f) return;
    const trace = parseTrace(readFileSync(f, 'utf8')).filter((r) => r.dir === 'TX');
    // TX runs 2980..5190 of the non-ECM call (TSI 23 octets, DCS 6 octets).
    const want = trace.filter((r) => r.t >= 2980 && r.t <= 5190);
    assert.equal(want.length, 7);
    const line = new T38Line({ version: 0 });
    // The answerer's CSI/DIS just ended; our side was sending CNG.
    runStep(line, { kind: 'tone', tone: 'cng', ms: 1 }, 0);
    const tsi = identFrame(0x43, 'T38PEER SEND');
    const dcs = bytes(0xff, 0xc8, 0xc1, 0x00, 0x46, 0x1f);
    assert.equal(dcs.length, 6);
    const { packets } = runStep(line, { kind: 'hdlc', modulation: 'v21', frames: [tsi, dcs] }, 2980);
    assertShape(collapse(packets), want, 25);
    // Frame octets go out unchanged, in order, one per IFP.
    const sent = packets.filter((p) => p.ifp.fields?.[0]?.type === 'hdlc-data').map((p) => p.ifp.fields?.[0]?.data?.[0]);
    assert.deepEqual(sent, [...tsi, ...dcs]);
    // Categories and spandsp's repeat counts.
    assert.deepEqual(
      [...new Set(packets.map((p) => `${describeIfp(p.ifp).replace(/:\d+$/, '')} ${p.category} ${p.count}`))],
      [
        'ind no-signal indicator 3',
        'ind v21-preamble indicator 3',
        'data v21 hdlc-data control 1',
        'data v21 hdlc-fcs-OK control 1',
        'data v21 hdlc-fcs-OK-sig-end control-end 3',
      ],
    );
  });

  it('TCF (method 2): long training, 1393 ms, 53 × 54 zero octets every 30 ms, sig-end:54, no-signal 90 ms later', (t) => {
    const f = peerFile(t, 't38_noecm.trace.txt');
    if (!f) return;
    const trace = parseTrace(readFileSync(f, 'utf8')).filter((r) => r.dir === 'TX');
    const want = trace.filter((r) => r.t >= 5340 && r.t <= 8410);
    assert.deepEqual(
      want.map((r) => `${r.n}x ${r.desc}`),
      ['1x ind v17-14400-long-training', '53x data v17-14400 t4-non-ecm-data:54', '1x data v17-14400 t4-non-ecm-sig-end:54', '1x ind no-signal'],
    );
    const line = new T38Line({ version: 0 });
    runStep(line, { kind: 'silence', ms: 75 }, 0);
    const { packets, doneAt } = runStep(line, { kind: 'tcf', modulation: 'v17-14400', ms: 1500 }, 5340);
    assertShape(collapse(packets), want, 10);
    assert.equal(doneAt, packets[packets.length - 1]?.at);
    for (const p of packets) for (const fl of p.ifp.fields ?? []) assert.ok(fl.data?.every((b) => b === 0) ?? true, 'TCF is zeros');
    // Exact pacing: 30 ms per 54-octet chunk at 14 400 bit/s.
    const data = packets.filter((p) => p.ifp.type === 't30-data');
    for (let i = 1; i < data.length; i++) assert.equal((data[i]?.at ?? 0) - (data[i - 1]?.at ?? 0), 30);
    assert.equal(packets[1]?.at, 5340 + 1393);
  });

  for (const [page, pageOctets, runs] of [
    [1, 544 * 54 + 11, ['548x data v17-14400 t4-non-ecm-data:54', '1x data v17-14400 t4-non-ecm-sig-end:11']],
    [3, 545 * 54 + 4, ['549x data v17-14400 t4-non-ecm-data:54', '1x data v17-14400 t4-non-ecm-sig-end:4']],
  ] as const) {
    it(`non-ECM page ${page} (${pageOctets} octets): short training 142 ms, 54-octet chunks, zero fill, sig-end, no-signal`, (t) => {
      const f = peerFile(t, 't38_noecm.trace.txt');
      if (!f) return;
      const trace = parseTrace(readFileSync(f, 'utf8')).filter((r) => r.dir === 'TX');
      const iTrain = trace.findIndex((r, i) => r.desc === 'ind v17-14400-short-training' && trace.slice(0, i).filter((x) => x.desc === r.desc).length === page - 1);
      const want = trace.slice(iTrain, iTrain + 4);
      assert.deepEqual(
        want.map((r) => `${r.n}x ${r.desc}`),
        ['1x ind v17-14400-short-training', ...runs, '1x ind no-signal'],
      );
      const line = new T38Line({ version: 0 });
      runStep(line, { kind: 'silence', ms: 75 }, 0);
      const img = new Uint8Array(pageOctets);
      for (let i = 0; i < img.length; i++) img[i] = (i * 7 + 1) & 0xff;
      const { packets } = runStep(line, { kind: 'image', modulation: 'v17-14400', shortTrain: true, data: img }, want[0]?.t ?? 0);
      assertShape(collapse(packets), want, 10);
      // The data arrives intact, followed by zero fill only.
      const all = Buffer.concat(packets.flatMap((p) => (p.ifp.fields ?? []).flatMap((fl) => (fl.data ? [fl.data] : []))));
      assert.equal(toHex(all.subarray(0, img.length)), toHex(img));
      assert.ok(all.subarray(img.length).every((b) => b === 0));
      assert.equal(packets.at(-2)?.category, 'image-end');
      assert.equal(packets.at(-2)?.count, 3);
    });
  }

  it('ECM page: short training + 200 ms flags, 260-octet FCD frames as 4×54 + 44 + fcs-OK, RCP ×3, last one fcs-OK-sig-end (cap_v0)', (t) => {
    const f = peerFile(t, 'cap_v0.trace.txt');
    if (!f) return;
    const trace = parseTrace(readFileSync(f, 'utf8')).filter((r) => r.dir === 'TX');
    const i0 = trace.findIndex((r) => r.desc === 'ind v17-14400-short-training');
    const iEnd = trace.findIndex((r, i) => i > i0 && r.desc === 'ind no-signal');
    const want = trace.slice(i0, iEnd + 1);
    const frames: Uint8Array[] = [];
    for (let k = 0; k < 78; k++) {
      const fr = new Uint8Array(260);
      fr.set([0xff, 0xc0, 0x60, reverse8(k)]);
      for (let i = 4; i < 260; i++) fr[i] = (i * 13 + k) & 0xff;
      frames.push(fr);
    }
    for (let k = 0; k < 3; k++) frames.push(bytes(0xff, 0xc0, 0x61));
    const line = new T38Line({ version: 0 });
    runStep(line, { kind: 'silence', ms: 75 }, 0);
    const { packets } = runStep(line, { kind: 'hdlc', modulation: 'v17-14400', frames, shortTrain: true }, want[0]?.t ?? 0);
    const got = collapse(packets);
    assert.deepEqual(
      got.map((r) => `${r.n}x ${r.desc}`),
      want.map((r) => `${r.n}x ${r.desc}`),
    );
    // First data 340 ms after the indicator (142 ms training + 200 ms flags); frames 30 ms per 54 octets.
    const g0 = got[0]?.t ?? 0;
    assert.equal((got[1]?.t ?? 0) - g0, 342);
    assert.ok(Math.abs((got[1]?.t ?? 0) - g0 - ((want[1]?.t ?? 0) - (want[0]?.t ?? 0))) <= 10);
    // spandsp's trace is quantised to one step per 10 ms tick; our total must be within 5 % of it.
    const gotDur = (got.at(-1)?.t ?? 0) - g0;
    const wantDur = (want.at(-1)?.t ?? 0) - (want[0]?.t ?? 0);
    assert.ok(Math.abs(gotDur - wantDur) / wantDur < 0.05, `ECM page ${gotDur} ms vs spandsp ${wantDur} ms`);
    assert.deepEqual(
      [...new Set(packets.filter((p) => p.ifp.type === 't30-data').map((p) => `${p.ifp.fields?.[0]?.type} ${p.category} ${p.count}`))],
      ['hdlc-data image 1', 'hdlc-fcs-OK image 1', 'hdlc-fcs-OK-sig-end image-end 3'],
    );
  });

  it('chunk sizes are 30 ms of data: 54/45/36/27/18/9 octets, 1 at V.21 (README)', () => {
    const line = new T38Line({ version: 0 });
    assert.deepEqual(
      [14400, 12000, 9600, 7200, 4800, 2400, 300].map((r) => line.octetsPerChunk(r)),
      [54, 45, 36, 27, 18, 9, 1],
    );
  });

  it('training times per modem: V.29 234 ms, V.27ter 708/943 ms, V.17 long 1393 ms; TEP adds 215 ms', () => {
    const cases: [T30TxStep, number, boolean][] = [
      [{ kind: 'tcf', modulation: 'v29-9600', ms: 1500 }, 234, false],
      [{ kind: 'tcf', modulation: 'v27ter-4800', ms: 1500 }, 708, false],
      [{ kind: 'tcf', modulation: 'v27ter-2400', ms: 1500 }, 943, false],
      [{ kind: 'tcf', modulation: 'v17-9600', ms: 1500 }, 1393, false],
      [{ kind: 'tcf', modulation: 'v29-7200', ms: 1500 }, 234 + 215, true],
      [{ kind: 'hdlc', modulation: 'v29-9600', frames: [bytes(0xff, 0xc0, 0x60)] }, 234 + 200, false],
    ];
    for (const [step, ms, tep] of cases) {
      const line = new T38Line({ version: 0, tep });
      runStep(line, { kind: 'silence', ms: 75 }, 0);
      const { packets } = runStep(line, step, 1000);
      assert.equal(packets[0]?.ifp.type, 't30-indicator');
      assert.equal((packets[1]?.at ?? 0) - (packets[0]?.at ?? 0), ms, `${step.kind} ${step.kind === 'tone' || step.kind === 'silence' ? '' : step.modulation}`);
    }
  });

  it('IFP bytes per T.38 version match spandsp (README IFP table)', () => {
    for (const [version, fcsOk, fcsOkSigEnd, nonEcmHead] of [
      [0, 'c00120', 'c00140', 'd001e00035'],
      [3, 'c00110', 'c00120', 'd001b00035'],
    ] as const) {
      const line = new T38Line({ version });
      runStep(line, { kind: 'silence', ms: 75 }, 0);
      const { packets } = runStep(line, { kind: 'hdlc', modulation: 'v21', frames: [bytes(0xff), bytes(0xff)] }, 100);
      const h = packets.map((p) => toHex(p.bytes));
      assert.deepEqual(h, ['06', 'c001800000ff', fcsOk, 'c001800000ff', fcsOkSigEnd, '00']);
      const tcf = runStep(line, { kind: 'tcf', modulation: 'v17-14400', ms: 1500 }, 10_000).packets;
      assert.equal(toHex(tcf[0]?.bytes ?? bytes()), '1e');
      assert.equal(toHex(tcf[1]?.bytes ?? bytes()).slice(0, 10), nonEcmHead);
    }
  });

  it('unpaced (TCP): no waiting inside signals, 300-octet chunks, no fill, data in the sig-end, count 1', () => {
    const line = new T38Line({ version: 3, paced: false });
    runStep(line, { kind: 'silence', ms: 75 }, 0);
    const img = new Uint8Array(1000).fill(0x5a);
    const { packets, doneAt } = runStep(line, { kind: 'image', modulation: 'v29-9600', shortTrain: false, data: img }, 100);
    assert.deepEqual(
      collapse(packets).map((r) => `${r.t} ${r.n}x ${r.desc}`),
      ['100 1x ind v29-9600-training', '100 3x data v29-9600 t4-non-ecm-data:300', '100 1x data v29-9600 t4-non-ecm-sig-end:100', '100 1x ind no-signal'],
    );
    assert.equal(doneAt, 100);
    assert.ok(packets.every((p) => p.count === 1));
    // Tones and silences keep their time (they are the engine's timing).
    assert.equal(runStep(line, { kind: 'silence', ms: 3000 }, 200).doneAt, 3200);
    const burst = runStep(line, { kind: 'hdlc', modulation: 'v21', frames: [new Uint8Array(400).fill(0xff)] }, 4000).packets;
    assert.deepEqual(
      collapse(burst).map((r) => `${r.n}x ${r.desc}`),
      ['1x ind v21-preamble', '1x data v21 hdlc-data:300', '1x data v21 hdlc-data:100', '1x data v21 hdlc-fcs-OK-sig-end', '1x ind no-signal'],
    );
  });

  it('indicators can be suppressed (spandsp NO_PACING style)', () => {
    const line = new T38Line({ version: 0, paced: false, indicators: false });
    const { packets } = runStep(line, { kind: 'hdlc', modulation: 'v21', frames: [bytes(0xff, 0xc8, 0x01)] }, 0);
    assert.deepEqual(packets.map((p) => describeIfp(p.ifp)), ['data v21 hdlc-data:3', 'data v21 hdlc-fcs-OK-sig-end']);
  });

  it('data-rate management method 1 (local TCF): a tcf step sends nothing and completes at once', () => {
    const line = new T38Line({ version: 0, tcf: 'local' });
    runStep(line, { kind: 'silence', ms: 75 }, 0);
    const { packets, doneAt } = runStep(line, { kind: 'tcf', modulation: 'v17-14400', ms: 1500 }, 500);
    assert.deepEqual(packets, []);
    assert.equal(doneAt, 500);
    assert.equal(line.getStats().tcfSkipped, 1);
  });

  it('steps queued together run back to back; pacing continues from the scheduled time, never in the past', () => {
    const line = new T38Line({ version: 0 });
    line.queue(
      [
        { kind: 'silence', ms: 75 },
        { kind: 'hdlc', modulation: 'v21', frames: [bytes(0xff, 0xc8, 0x21)] },
        { kind: 'silence', ms: 75 },
      ],
      0,
    );
    const times: number[] = [];
    let dones = 0;
    let now = 0;
    while (line.pendingSteps > 0) {
      // A late driver: it only wakes 7 ms after each timeout.
      const n = line.nextTimeout();
      assert.ok(n !== undefined);
      now = Math.max(now, n + 7);
      line.tick(now);
      times.push(...line.takePackets().map((p) => p.at));
      dones += line.takeEvents().filter((e) => e.kind === 'tx-done').length;
    }
    assert.equal(dones, 3);
    // no-signal 0, preamble 75, 3 octets from 1075 every 26.67 ms, fcs-OK-sig-end 80 ms later,
    // no-signal after the FCS/flags/stuffing time + 100 ms of tail
    const near = (a: number | undefined, b: number): void => assert.ok(Math.abs((a ?? NaN) - b) < 1e-6, `${a} ≈ ${b}`);
    assert.equal(times.length, 7);
    near(times[0], 0);
    near(times[1], 75);
    near(times[2], 1075);
    near(times[3], 1075 + 80 / 3);
    near(times[5], 1075 + 80);
    const tail = (hdlcExtraBits(bytes(0xff, 0xc8, 0x21)) * 1000) / 300;
    near(times[6], 1075 + 80 + tail + 100);
  });

  it('hdlcExtraBits counts stuffed zeros (five ones in a row) plus FCS and flags', () => {
    assert.equal(hdlcExtraBits(bytes(0x00)), 35);
    assert.equal(hdlcExtraBits(bytes(0xff)), 36); // 11111|0 111
    assert.equal(hdlcExtraBits(bytes(0xff, 0xff)), 38); // 16 ones → 3 stuffed
    assert.equal(hdlcExtraBits(bytes(0xf8, 0x1f)), 37); // 11111|000 000 11111| → 2 stuffed
  });

  it('hdlcExtraBits (octets through a table) = a bit-by-bit count, on random frames', () => {
    const bitwise = (frame: Uint8Array): number => {
      let ones = 0;
      let stuffed = 0;
      for (const octet of frame) {
        for (let b = 7; b >= 0; b--) {
          if ((octet >>> b) & 1) {
            if (++ones === 5) {
              stuffed++;
              ones = 0;
            }
          } else ones = 0;
        }
      }
      return stuffed + 35;
    };
    const octet = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xff, 0xfe, 0x7f, 0x1f, 0xf8, 0x3e));
    fc.assert(
      fc.property(fc.array(octet, { maxLength: 300 }), (a) => {
        const f = Uint8Array.from(a);
        assert.equal(hdlcExtraBits(f), bitwise(f));
      }),
      { numRuns: 500 },
    );
  });
});

// ------------------------------------------------------------------------------------------
// receive

/** IFPs for one trace run (data contents are not in the summary: zeros, or `ff` for V.21 HDLC so frames look real). */
function runIfps(r: Run): Ifp[] {
  const m = /^(ind|data) (\S+)(?: (\S+?)(?::(\d+))?)?$/.exec(r.desc);
  assert.ok(m, r.desc);
  let ifp: Ifp;
  if (m[1] === 'ind') ifp = { type: 't30-indicator', indicator: m[2] as T30Indicator };
  else {
    const n = m[4] === undefined ? 0 : Number(m[4]);
    const type = m[3] as IfpFieldType;
    const data = n > 0 ? new Uint8Array(n).fill(type === 'hdlc-data' ? 0xff : 0) : undefined;
    ifp = { type: 't30-data', dataType: m[2] as T30DataType, fields: [data ? { type, data } : { type }] };
  }
  return Array.from({ length: r.n }, () => ifp);
}

/** Feeds the runs in time order; the IFPs of a run are spread evenly up to the next run (the summary keeps only its start). */
function feed(line: T38Line, runs: readonly Run[]): T30LineEvent[] {
  const ev: T30LineEvent[] = [];
  runs.forEach((r, i) => {
    const end = runs[i + 1]?.t ?? r.t;
    runIfps(r).forEach((ifp, k) => {
      const now = r.t + ((end - r.t) * k) / r.n;
      line.tick(now);
      line.receive(ifp, now);
      ev.push(...line.takeEvents());
    });
  });
  return ev;
}

/** Compact event strings: `frame:23`, `frame-bad:3`, `signal v21`, `hdlc-end`, `data:2916`, ... (non-ECM data summed per signal). */
function compact(events: readonly T30LineEvent[], named = false): string[] {
  const out: string[] = [];
  let data = -1;
  const flush = (): void => {
    if (data >= 0) out.push(`data:${data}`);
    data = -1;
  };
  for (const e of events) {
    if (e.kind === 'non-ecm-data') {
      data = Math.max(data, 0) + e.data.length;
      continue;
    }
    flush();
    switch (e.kind) {
      case 'hdlc-frame': {
        const name = named ? fcfName(e.frame[2] ?? 0) : String(e.frame.length);
        out.push(`${e.ok ? 'frame' : 'frame-bad'}:${name}`);
        break;
      }
      case 'signal':
        out.push(`signal ${e.modulation}`);
        break;
      case 'tone':
        out.push(e.tone);
        break;
      case 'hdlc-end':
      case 'no-signal':
      case 'non-ecm-end':
      case 'tx-done':
        out.push(e.kind);
    }
  }
  flush();
  return out;
}

/** Collapses repeated consecutive entries into `entry ×n`. */
function squeeze(a: string[]): string[] {
  const out: string[] = [];
  let prev = '';
  let n = 0;
  for (const s of [...a, '\u0000']) {
    if (s === prev) {
      n++;
      continue;
    }
    if (n > 0) out.push(n > 1 ? `${prev} ×${n}` : prev);
    prev = s;
    n = 1;
  }
  return out;
}

describe('T38Line receive: spandsp IFP streams → T30LineEvents', () => {
  it('terminal style (t38_noecm trace, both directions): fcs-OK-sig-end bursts, TCF, three non-ECM pages', (t) => {
    const f = peerFile(t, 't38_noecm.trace.txt');
    if (!f) return;
    const runs = parseTrace(readFileSync(f, 'utf8'));
    // What the sender (caller) sent, as the answering terminal receives it.
    const caller = compact(feed(new T38Line({ version: 0 }), runs.filter((r) => r.dir === 'TX')));
    assert.deepEqual(squeeze(caller), [
      'no-signal',
      'cng',
      'no-signal',
      'signal v21',
      'frame:23', // TSI
      'frame:6', // DCS
      'hdlc-end',
      'no-signal',
      'signal v17-14400',
      `data:${54 * 54}`, // TCF: 53 × 54 + 54
      'non-ecm-end',
      'no-signal',
      'signal v17-14400',
      `data:${548 * 54 + 11}`,
      'non-ecm-end',
      'no-signal',
      'signal v21',
      'frame:3', // MPS
      'hdlc-end',
      'no-signal',
      'signal v17-14400',
      `data:${548 * 54 + 45}`,
      'non-ecm-end',
      'no-signal',
      'signal v21',
      'frame:3', // MPS
      'hdlc-end',
      'no-signal',
      'signal v17-14400',
      `data:${549 * 54 + 4}`,
      'non-ecm-end',
      'no-signal',
      'signal v21',
      'frame:3', // EOP
      'hdlc-end',
      'no-signal',
      'signal v21',
      'frame:3', // DCN
      'hdlc-end',
      'no-signal',
    ]);
    // What the answerer sent, as the calling terminal receives it.
    const answerer = compact(feed(new T38Line({ version: 0 }), runs.filter((r) => r.dir === 'RX')));
    assert.deepEqual(squeeze(answerer), [
      'no-signal',
      'signal v21',
      'frame:23', // CSI
      'frame:13', // DIS
      'hdlc-end',
      'no-signal',
      'signal v21',
      'frame:3', // CFR
      'hdlc-end',
      'no-signal',
      'signal v21',
      'frame:3', // MCF
      'hdlc-end',
      'no-signal',
      'signal v21',
      'frame:3',
      'hdlc-end',
      'no-signal',
      'signal v21',
      'frame:3',
      'hdlc-end',
      'no-signal',
    ]);
  });

  it('gateway style (gw_t38_to_audio trace): fcs-OK + separate hdlc-sig-end + no-signal at once; relayed TCF of 50 × 54 + 35', (t) => {
    const f = peerFile(t, 'gw_t38_to_audio.trace.txt');
    if (!f) return;
    // In the gateway traces TX is what spandsp's gateway sent.
    const runs = parseTrace(readFileSync(f, 'utf8')).filter((r) => r.dir === 'TX');
    const ev = squeeze(compact(feed(new T38Line({ version: 0 }), runs)));
    assert.deepEqual(ev.slice(0, 14), [
      'no-signal',
      'signal v21',
      'frame:23', // CSI
      'frame:13', // DIS
      'hdlc-end', // from hdlc-sig-end
      'no-signal',
      'signal v21',
      'frame:3', // CFR
      'hdlc-end',
      'no-signal',
      'signal v21',
      'frame:3', // MCF
      'hdlc-end',
      'no-signal',
    ]);
    assert.equal(ev.filter((e) => e === 'hdlc-end').length, ev.filter((e) => e === 'signal v21').length, 'one end per burst, never two');
    const g = parseTrace(readFileSync(f.replace('gw_t38_to_audio', 'gw_audio_to_t38'), 'utf8')).filter((r) => r.dir === 'TX');
    const ev2 = squeeze(compact(feed(new T38Line({ version: 0 }), g)));
    // FCD frames of the first page in the trace: one `hdlc-data:44` run each, before the first RCP (`hdlc-data:3`).
    const firstRcp = g.findIndex((r) => r.desc === 'data v17-14400 hdlc-data:3');
    const firstPageFrames = g.slice(0, firstRcp).filter((r) => r.desc === 'data v17-14400 hdlc-data:44').length;
    assert.ok(firstPageFrames > 10);
    assert.deepEqual(ev2.slice(0, 12), [
      'no-signal',
      'signal v21',
      'frame:23', // TSI
      'frame:7', // DCS
      'hdlc-end',
      'no-signal',
      'signal v17-14400',
      `data:${50 * 54 + 35}`,
      'non-ecm-end',
      'no-signal',
      'signal v17-14400',
      `frame:260 ×${firstPageFrames}`,
    ]);
  });

  it('spurious v21-preamble + hdlc-sig-end during CED; HDLC data with no preamble; repeats with new seq', () => {
    const line = new T38Line({ version: 0 });
    const ind = (indicator: T30Indicator): Ifp => ({ type: 't30-indicator', indicator });
    const v21 = (type: IfpFieldType, data?: number[]): Ifp => ({ type: 't30-data', dataType: 'v21', fields: [data ? { type, data: Uint8Array.from(data) } : { type }] });
    const seq: Ifp[] = [
      ind('ced'),
      ind('ced'), // repeat, new seq
      ind('v21-preamble'),
      v21('hdlc-sig-end'),
      ind('no-signal'),
      // HDLC straight away, no preamble indicator
      v21('hdlc-data', [0xff, 0xc8]),
      v21('hdlc-data', [0x01, 0x00]),
      v21('hdlc-fcs-OK-sig-end'),
      v21('hdlc-fcs-OK-sig-end'), // repeat, new seq
      v21('hdlc-fcs-OK-sig-end'),
      ind('no-signal'),
      ind('no-signal'),
    ];
    const ev: T30LineEvent[] = [];
    seq.forEach((i, k) => {
      line.receive(i, k * 10);
      ev.push(...line.takeEvents());
    });
    assert.deepEqual(compact(ev), ['ced', 'signal v21', 'hdlc-end', 'no-signal', 'signal v21', 'frame:4', 'hdlc-end', 'no-signal']);
    const fr = ev.find((e) => e.kind === 'hdlc-frame');
    assert.ok(fr?.kind === 'hdlc-frame');
    assert.equal(toHex(fr.frame), 'ffc80100');
    assert.equal(line.getStats().repeatedIndicators, 2);
  });

  it('a lost packet inside a frame makes it bad; a lost sig-end is ended by the next indicator or by the 15 s backstop', () => {
    const line = new T38Line({ version: 3 });
    const d = (type: IfpFieldType, data?: number[]): Ifp => ({ type: 't30-data', dataType: 'v17-9600', fields: [data ? { type, data: Uint8Array.from(data) } : { type }] });
    line.receive({ type: 't30-indicator', indicator: 'v17-9600-short-training' }, 0);
    line.receive(d('hdlc-data', [0xff, 0xc0, 0x60, 0x00]), 10);
    line.markMissing(1);
    line.receive(d('hdlc-data', [1, 2, 3]), 20);
    line.receive(d('hdlc-fcs-OK'), 30);
    line.receive(d('hdlc-data', [0xff, 0xc0, 0x61]), 40);
    line.receive(d('hdlc-fcs-OK'), 50);
    // sig-end lost; next: the far end's no-signal
    line.receive({ type: 't30-indicator', indicator: 'no-signal' }, 200);
    assert.deepEqual(compact(line.takeEvents()), ['signal v17-9600', 'frame-bad:7', 'frame:3', 'hdlc-end', 'no-signal']);

    line.receive({ type: 't30-indicator', indicator: 'v29-9600-training' }, 1000);
    line.receive({ type: 't30-data', dataType: 'v29-9600', fields: [{ type: 't4-non-ecm-data', data: new Uint8Array(36) }] }, 1300);
    assert.equal(line.nextTimeout(), 1300 + 15_000);
    line.tick(10_000);
    assert.deepEqual(compact(line.takeEvents()), ['signal v29-9600', 'data:36']);
    line.tick(16_300);
    assert.deepEqual(compact(line.takeEvents()), ['non-ecm-end']);
    assert.equal(line.nextTimeout(), undefined);
    assert.equal(line.getStats().midRxTimeouts, 1);
  });

  for (const [name, version, callerPort] of [
    ['cap_v0.pcapng', 0, 43000],
    ['cap_v3.pcapng', 3, 43010],
  ] as const) {
    it(`golden capture ${name}: both directions through UDPTL → T.30 frames of a 1-page ECM call`, (t) => {
      const f = peerFile(t, name);
      if (!f) return;
      const cap = readCapture(readFileSync(f));
      assert.ok(cap.ok);
      const dirs = new Map<number, { rx: UdptlReceiver; line: T38Line; ev: T30LineEvent[]; last: number | undefined }>();
      for (const p of cap.value.packets) {
        if (p.proto !== 'udp') continue;
        let d = dirs.get(p.srcPort);
        if (!d) {
          d = { rx: new UdptlReceiver(), line: new T38Line({ version }), ev: [], last: undefined };
          dirs.set(p.srcPort, d);
        }
        const now = p.time * 1000;
        for (const r of d.rx.receive(p.payload)) {
          if (d.last !== undefined) d.line.markMissing(((r.seq - d.last - 1) & 0xffff));
          d.last = r.seq;
          const dec = decodeIfp(r.ifp, version);
          assert.ok(dec.ok, `seq ${r.seq} decodes`);
          d.line.receive(dec.value, now);
        }
        d.ev.push(...d.line.takeEvents());
      }
      const caller = dirs.get(callerPort);
      const answerer = dirs.get(callerPort + 1);
      assert.ok(caller && answerer, `ports ${callerPort}/${callerPort + 1}`);
      assert.deepEqual(squeeze(compact(caller.ev, true)), [
        'no-signal',
        'cng',
        'no-signal',
        'signal v21',
        'frame:TSI',
        'frame:DCS',
        'hdlc-end',
        'no-signal',
        'signal v17-14400',
        `data:${54 * 54}`,
        'non-ecm-end',
        'no-signal',
        'signal v17-14400',
        'frame:FCD ×78',
        'frame:RCP ×3',
        'hdlc-end',
        'no-signal',
        'signal v21',
        'frame:PPS',
        'hdlc-end',
        'no-signal',
        'signal v21',
        'frame:DCN',
        'hdlc-end',
        'no-signal',
      ]);
      assert.deepEqual(squeeze(compact(answerer.ev, true)), [
        // sent before the caller's socket was up, but on the (loopback) capture all the same
        'no-signal',
        'ced',
        'no-signal',
        'signal v21',
        'frame:CSI',
        'frame:DIS',
        'hdlc-end',
        'no-signal',
        'signal v21',
        'frame:CFR',
        'hdlc-end',
        'no-signal',
        'signal v21',
        'frame:MCF',
        'hdlc-end',
        'no-signal',
      ]);
      // FCD frames: 256 octets of data + ff c0 60 <frame number>, numbered 0..77 in order.
      const fcd = caller.ev.filter((e): e is Extract<T30LineEvent, { kind: 'hdlc-frame' }> => e.kind === 'hdlc-frame' && e.frame[2] === 0x60);
      assert.equal(fcd.length, 78);
      fcd.forEach((e, i) => {
        assert.equal(e.frame.length, 260);
        assert.equal(reverse8(e.frame[3] ?? 0), i);
      });
    });
  }
});

// ------------------------------------------------------------------------------------------
// properties

describe('T38Line properties', () => {
  const modulation = fc.constantFrom<FaxModulation>('v21', 'v27ter-2400', 'v27ter-4800', 'v29-7200', 'v29-9600', 'v17-7200', 'v17-9600', 'v17-12000', 'v17-14400');
  const fast = fc.constantFrom<FaxModulation>('v27ter-4800', 'v29-9600', 'v17-14400', 'v17-7200');
  const frame = fc.uint8Array({ minLength: 1, maxLength: 300 });
  const step: fc.Arbitrary<T30TxStep> = fc.oneof(
    fc.record({ kind: fc.constant('silence' as const), ms: fc.integer({ min: 0, max: 500 }) }),
    fc.record({ kind: fc.constant('tone' as const), tone: fc.constantFrom('cng' as const, 'ced' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ kind: fc.constant('hdlc' as const), modulation, frames: fc.array(frame, { minLength: 1, maxLength: 4 }), shortTrain: fc.boolean() }),
    fc.record({ kind: fc.constant('tcf' as const), modulation: fast, ms: fc.integer({ min: 100, max: 1500 }) }),
    fc.record({ kind: fc.constant('image' as const), modulation: fast, shortTrain: fc.boolean(), data: fc.uint8Array({ minLength: 1, maxLength: 2000 }) }),
  );

  it('loopback: every step completes once, time never goes back, and a receiving line gets the same frames and data back (v0/v3, paced/unpaced)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.constantFrom<T38Version>(0, 3), fc.boolean(), (steps, version, paced) => {
        const tx = new T38Line({ version, paced });
        const rx = new T38Line({ version, paced });
        tx.queue(steps, 0);
        let now = 0;
        let dones = 0;
        const got: T30LineEvent[] = [];
        let lastAt = -Infinity;
        for (let guard = 0; guard < 100_000 && (guard === 0 || tx.pendingSteps > 0); guard++) {
          tx.tick(now);
          for (const p of tx.takePackets()) {
            assert.ok(p.at >= lastAt, 'packets in time order');
            lastAt = p.at;
            const d = decodeIfp(p.bytes, version);
            assert.ok(d.ok, 'every IFP decodes');
            assert.equal(d.bytesRead, p.bytes.length);
            rx.receive(d.value, p.at);
            got.push(...rx.takeEvents());
          }
          dones += tx.takeEvents().filter((e) => e.kind === 'tx-done').length;
          const n = tx.nextTimeout();
          if (n === undefined) break;
          assert.ok(n >= now);
          now = n;
        }
        assert.equal(dones, steps.length);
        // HDLC frames come back intact, in order, all ok; non-ECM data is the data (+ zero fill).
        const sentFrames = steps.flatMap((s) => (s.kind === 'hdlc' ? s.frames.map((f) => toHex(f)) : []));
        const rxFrames = got.flatMap((e) => (e.kind === 'hdlc-frame' ? [e] : []));
        assert.deepEqual(rxFrames.map((e) => toHex(e.frame)), sentFrames);
        assert.ok(rxFrames.every((e) => e.ok));
        const nonEcm = steps.filter((s) => s.kind === 'image' || s.kind === 'tcf');
        assert.equal(got.filter((e) => e.kind === 'non-ecm-end').length, nonEcm.length, 'one end per non-ECM signal');
        // Per non-ECM signal: the data sent, then only zero fill.
        const signals: Uint8Array[][] = [];
        for (const e of got) {
          if (e.kind === 'signal' && e.modulation !== 'v21') signals.push([]);
          if (e.kind === 'non-ecm-data') signals[signals.length - 1]?.push(e.data);
        }
        const withData = signals.filter((d) => d.length > 0).map((d) => Buffer.concat(d));
        assert.equal(withData.length, nonEcm.length);
        nonEcm.forEach((st, k) => {
          const want = st.kind === 'image' ? st.data : new Uint8Array(Math.max(1, Math.round((st.ms * FAX_MODULATION_BIT_RATE[st.modulation]) / 8000)));
          const have = withData[k] ?? Buffer.alloc(0);
          assert.equal(toHex(have.subarray(0, want.length)), toHex(want));
          assert.ok(have.subarray(want.length).every((b) => b === 0), 'only zero fill after the data');
        });
        assert.equal(got.filter((e) => e.kind === 'hdlc-end').length, steps.filter((s) => s.kind === 'hdlc').length, 'one end per burst');
      }),
      { numRuns: 150 },
    );
  });

  it('receive never throws on arbitrary IFP sequences and losses', () => {
    const indicator = fc.constantFrom(...T30_INDICATORS);
    const dataType = fc.constantFrom(...T30_DATA_TYPES);
    const field = fc.record({ type: fc.constantFrom(...IFP_FIELD_TYPES), data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 80 }), { nil: undefined }) });
    const ifp: fc.Arbitrary<Ifp | number> = fc.oneof(
      fc.record({ type: fc.constant('t30-indicator' as const), indicator }),
      fc.record({ type: fc.constant('t30-data' as const), dataType, fields: fc.array(field, { maxLength: 3 }) }).map(
        (x): Ifp => ({ ...x, fields: x.fields.map((f) => (f.data ? { type: f.type, data: f.data } : { type: f.type })) }),
      ),
      fc.integer({ min: 1, max: 5 }), // a loss of n IFPs
    );
    fc.assert(
      fc.property(fc.array(ifp, { maxLength: 60 }), (seq) => {
        const line = new T38Line({ version: 3, maxFrameLength: 256 });
        let now = 0;
        for (const x of seq) {
          now += 30;
          if (typeof x === 'number') line.markMissing(x);
          else line.receive(x, now);
          line.tick(now);
          for (const e of line.takeEvents()) if (e.kind === 'hdlc-frame') assert.ok(e.frame.length <= 256);
        }
        line.tick(now + 20_000);
        line.takeEvents();
        assert.equal(line.nextTimeout(), undefined, 'nothing left running after the backstop');
      }),
      { numRuns: 300 },
    );
  });
});
