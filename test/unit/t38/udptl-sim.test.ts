/**
 * Seeded loss simulation: UdptlSender → lossy/reordering channel → UdptlReceiver, compared with
 * oracles that restate, independently of the receiver's code, what redundancy and parity CAN
 * restore:
 * - redundancy depth d: seq i is restorable iff its datagram arrived or a datagram j that arrived
 *   carries it (0 < j − i ≤ secondaries in j). In real time (no reorder window) only the NEXT
 *   datagram that arrives after i counts, since i is settled then.
 * - parity FEC: global "peeling" over every datagram that arrived — a parity group (read from the
 *   datagram itself: its fec-npackets S and entry count E, members j+m−S·E+k·E) with exactly one
 *   unknown member makes it known, until nothing changes.
 * Every run also checks that losses are counted exactly: delivered + lost = seqs in the stream.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { decodeUdptl, type UdptlPacket } from '../../../src/t38/udptl.js';
import { UdptlReceiver, type ReceivedIfp } from '../../../src/t38/udptl-receiver.js';
import { UdptlSender, type UdptlCategory, type UdptlErrorCorrection } from '../../../src/t38/udptl-sender.js';
import { intBetween, unitInterval, xorshift32, type Random32 } from '../../../src/util/random.js';
import { lossMask, patternLoss } from '../../sim/network.js';

/** xorshift32 (Marsaglia), the PRNG the spandsp peer's --loss uses too. */
class Rng {
  readonly r: Random32;
  constructor(seed: number) {
    this.r = xorshift32(seed >>> 0 || 0x9e3779b9);
  }
  next(): number {
    return this.r();
  }
  /** 0 ≤ r < 1 */
  float(): number {
    return unitInterval(this.r);
  }
  /** lo ≤ r ≤ hi */
  int(lo: number, hi: number): number {
    return intBetween(this.r, lo, hi);
  }
}

interface Stream {
  ifps: Uint8Array[];
  cats: UdptlCategory[];
}

function makeStream(rng: Rng, n: number): Stream {
  const cats: UdptlCategory[] = ['indicator', 'control', 'control-end', 'image', 'image-end'];
  const ifps: Uint8Array[] = [];
  const cs: UdptlCategory[] = [];
  for (let i = 0; i < n; i++) {
    // Valid IFPs (T.38 Annex A), since the receiver only lets decodable ones move its sequence:
    // a one-octet t30-indicator, or v21 t30-data with one hdlc-data field of random octets.
    const short = rng.float() < 0.2;
    const len = short ? 1 : rng.int(6, 60);
    const ifp = new Uint8Array(len);
    if (short) ifp[0] = (rng.next() & 0x0f) << 1;
    else {
      ifp.set([0xc0, 0x01, 0x80, 0x00, len - 6]);
      for (let j = 5; j < len; j++) ifp[j] = rng.next() & 0xff;
    }
    ifps.push(ifp);
    cs.push(cats[rng.int(0, 4)] ?? 'image');
  }
  return { ifps, cats: cs };
}

function longestRun(lost: boolean[]): number {
  let best = 0;
  let run = 0;
  for (const l of lost) {
    run = l ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

function decode(d: Uint8Array): UdptlPacket {
  const r = decodeUdptl(d);
  if (!r.ok) assert.fail(r.error.code);
  return r.value;
}

/** Sends the stream; returns the datagram for each seq index (first copy). */
function sendAll(stream: Stream, ec: UdptlErrorCorrection): Uint8Array[] {
  const tx = new UdptlSender({ errorCorrection: ec });
  return stream.ifps.map((ifp, i) => tx.send(ifp, stream.cats[i] ?? 'image').datagrams[0] ?? assert.fail('no datagram'));
}

interface Expect {
  /** index → source expected, for the seqs the oracle says are restorable */
  sources: Map<number, ReceivedIfp['source']>;
  /** number of seqs the receiver knows about (from its start to the end) */
  span: number;
}

/** Oracle for redundancy / mixed streams with parity: see the module comment. */
function oracle(datagrams: Uint8Array[], arrived: boolean[], realTime: boolean): Expect {
  const n = datagrams.length;
  const pkts = datagrams.map(decode);
  const first = arrived.indexOf(true);
  const sources = new Map<number, ReceivedIfp['source']>();
  // Where the receiver joins: the first datagram's unbroken run of secondaries (all non-empty here).
  const f = pkts[first] ?? assert.fail('nothing arrived');
  const start = f.recovery.kind === 'secondary' ? first - f.recovery.secondaries.length : first;
  for (let i = start; i < n; i++) {
    if (arrived[i]) {
      sources.set(i, 'primary');
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      if (!arrived[j]) continue;
      const p = pkts[j] ?? assert.fail('packet');
      if (p.recovery.kind === 'secondary' && j - i <= p.recovery.secondaries.length) {
        sources.set(i, 'secondary');
        break;
      }
      if (realTime) break;
    }
  }
  if (!realTime) {
    // Parity peeling (only for streams that carry fec-info).
    let progress = true;
    while (progress) {
      progress = false;
      for (let j = 0; j < n; j++) {
        const p = pkts[j];
        if (!arrived[j] || p === undefined || p.recovery.kind !== 'fec') continue;
        const s = p.recovery.span;
        const e = p.recovery.entries.length;
        for (let m = 0; m < e; m++) {
          const unknown: number[] = [];
          for (let k = 0; k < s; k++) {
            const x = j + m - s * e + k * e;
            if (x < start || !sources.has(x)) unknown.push(x);
          }
          const u = unknown[0];
          if (unknown.length === 1 && u !== undefined && u >= start) {
            sources.set(u, 'fec');
            progress = true;
          }
        }
      }
    }
  }
  return { sources, span: n - start };
}

/** Runs the receiver over the channel's output; checks deliveries against the expectation. */
function runAndCheck(
  label: string,
  stream: Stream,
  datagrams: Uint8Array[],
  order: number[],
  expect: Expect,
  window: number,
  /** Mixed streams: a seq restorable both ways is delivered by whichever repair comes first. */
  anyRepair = false,
): { lost: number; restored: number } {
  const rx = new UdptlReceiver({ reorderWindow: window });
  const got: ReceivedIfp[] = [];
  for (const i of order) got.push(...rx.receive(datagrams[i] ?? assert.fail('datagram')));
  got.push(...rx.flush());
  const st = rx.getStats();
  // Strict order, each seq once (seqs here stay below 65536).
  for (let k = 1; k < got.length; k++) assert.ok((got[k]?.seq ?? 0) > (got[k - 1]?.seq ?? 0), `${label}: order at ${k}`);
  const delivered = new Map(got.map((x) => [x.seq, x]));
  assert.equal(delivered.size, expect.sources.size, `${label}: delivered ${delivered.size}, restorable ${expect.sources.size}`);
  for (const [seq, source] of expect.sources) {
    const x = delivered.get(seq);
    assert.ok(x, `${label}: seq ${seq} (${source}) not delivered`);
    if (anyRepair && source !== 'primary') assert.notEqual(x.source, 'primary', `${label}: source of seq ${seq}`);
    else assert.equal(x.source, source, `${label}: source of seq ${seq}`);
    const orig = stream.ifps[seq] ?? assert.fail('ifp');
    if (x.source === 'fec') {
      // The longest member's length: the original, then zero padding (module comment).
      assert.ok(x.ifp.length >= orig.length, `${label}: seq ${seq} too short`);
      assert.deepEqual(x.ifp.subarray(0, orig.length), orig, `${label}: seq ${seq} content`);
      assert.ok(x.ifp.subarray(orig.length).every((b) => b === 0), `${label}: seq ${seq} padding`);
    } else {
      assert.deepEqual(x.ifp, orig, `${label}: seq ${seq} content`);
    }
  }
  // Losses are counted exactly.
  assert.equal(st.lost, expect.span - delivered.size, `${label}: lost count`);
  assert.equal(st.primaries + st.recoveredFromSecondary + st.recoveredFromFec, delivered.size);
  assert.equal(st.malformed, 0);
  return { lost: st.lost, restored: st.recoveredFromSecondary + st.recoveredFromFec };
}

const N = 400;
const SEEDS = 16;

test('redundancy, uniform depth d, real time: every loss run ≤ d is restored; the rest is lost exactly', () => {
  let runsWithLoss = 0;
  let runsFullyRestored = 0;
  let runsBeyond = 0;
  for (const d of [1, 2, 3, 5]) {
    for (const pattern of ['random', 'gilbert', 'bursts'] as const) {
      for (const p of [0.05, 0.2, 0.4]) {
        for (let seed = 1; seed <= SEEDS; seed++) {
          const rng = new Rng(seed * 7919 + d * 131 + Math.round(p * 1000));
          const stream = makeStream(rng, N);
          const datagrams = sendAll(stream, { mode: 'redundancy', depth: { indicator: d, control: d, image: d } });
          const lost = lossMask(patternLoss(pattern, p, rng.r, pattern === 'bursts' ? d + (seed % 3) : 0), N, 1);
          const arrived = lost.map((l) => !l);
          const order = arrived.flatMap((a, i) => (a ? [i] : []));
          const label = `d=${d} ${pattern} p=${p} seed=${seed}`;
          const r = runAndCheck(label, stream, datagrams, order, oracle(datagrams, arrived, true), 0);
          const losses = lost.filter(Boolean).length;
          if (losses > 0) runsWithLoss++;
          if (longestRun(lost) <= d) {
            assert.equal(r.lost, 0, `${label}: runs ≤ ${d} must all be restored`);
            assert.equal(r.restored, losses);
            if (losses > 0) runsFullyRestored++;
          } else {
            runsBeyond++;
          }
        }
      }
    }
  }
  // The simulation is not vacuous: both regimes were exercised many times.
  assert.ok(runsWithLoss > 500, `runs with loss: ${runsWithLoss}`);
  assert.ok(runsFullyRestored > 100, `fully restored runs: ${runsFullyRestored}`);
  assert.ok(runsBeyond > 100, `runs beyond the redundancy: ${runsBeyond}`);
});

test('redundancy by category: a reorder window lets a deeper later datagram restore what the next one could not', () => {
  let helped = 0;
  for (let seed = 1; seed <= SEEDS * 2; seed++) {
    const rng = new Rng(seed * 104729);
    const stream = makeStream(rng, N);
    const datagrams = sendAll(stream, { mode: 'redundancy', depth: { indicator: 4, control: 3, image: 1 } });
    const lost = lossMask(patternLoss('gilbert', 0.2, rng.r), N, 1);
    const arrived = lost.map((l) => !l);
    const order = arrived.flatMap((a, i) => (a ? [i] : []));
    const rt = runAndCheck(`cat rt seed=${seed}`, stream, datagrams, order, oracle(datagrams, arrived, true), 0);
    const win = runAndCheck(`cat win seed=${seed}`, stream, datagrams, order, oracle(datagrams, arrived, false), 40);
    assert.ok(win.lost <= rt.lost);
    if (win.lost < rt.lost) helped++;
  }
  assert.ok(helped > 5, `window helped in ${helped} runs`);
});

test('parity FEC, real time: every burst ≤ entries (after wind-up) is restored', () => {
  let restoredTotal = 0;
  for (const [s, e] of [
    [3, 3],
    [2, 4],
    [5, 1],
    [4, 2],
    [1, 3],
    [5, 5],
  ] as const) {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Rng(seed * 65537 + s * 17 + e);
      const stream = makeStream(rng, N);
      const datagrams = sendAll(stream, { mode: 'fec', span: s, entries: e });
      const lost = lossMask(patternLoss('bursts', 0.3, rng.r, e), N, s * e);
      const arrived = lost.map((l) => !l);
      const order = arrived.flatMap((a, i) => (a ? [i] : []));
      const label = `fec ${s}x${e} seed=${seed}`;
      // The oracle for the window-less receiver is the full one: nothing needs to wait here.
      const r = runAndCheck(label, stream, datagrams, order, oracle(datagrams, arrived, false), 0);
      assert.equal(r.lost, 0, `${label}: bursts ≤ ${e} must all be restored`);
      assert.equal(r.restored, lost.filter(Boolean).length);
      restoredTotal += r.restored;
    }
  }
  assert.ok(restoredTotal > 1500, `restored ${restoredTotal}`);
});

test('parity FEC, any loss pattern: with a window everything parity can repair is repaired; in real time a subset, losses counted exactly', () => {
  let beyond = 0;
  let windowHelped = 0;
  for (const [s, e] of [
    [3, 3],
    [2, 2],
    [4, 1],
    [2, 5],
  ] as const) {
    for (const pattern of ['random', 'gilbert'] as const) {
      for (const p of [0.05, 0.15, 0.3]) {
        for (let seed = 1; seed <= SEEDS; seed++) {
          const rng = new Rng(seed * 31337 + s * 101 + e * 7 + Math.round(p * 100));
          const stream = makeStream(rng, N);
          const datagrams = sendAll(stream, { mode: 'fec', span: s, entries: e });
          const lost = lossMask(patternLoss(pattern, p, rng.r), N, 1);
          const arrived = lost.map((l) => !l);
          const order = arrived.flatMap((a, i) => (a ? [i] : []));
          const label = `fec ${s}x${e} ${pattern} p=${p} seed=${seed}`;
          const full = oracle(datagrams, arrived, false);
          // Window larger than the stream: the receiver must reach the oracle's fixpoint exactly.
          const win = runAndCheck(label + ' window', stream, datagrams, order, full, 1024);
          // Real time: a subset of the same, every undelivered seq counted as lost.
          const rt = new UdptlReceiver();
          const got = order.flatMap((i) => rt.receive(datagrams[i] ?? new Uint8Array(0)));
          got.push(...rt.flush());
          for (const x of got) assert.ok(full.sources.has(x.seq), `${label}: real time delivered ${x.seq}, not restorable`);
          assert.equal(rt.getStats().lost, full.span - got.length, `${label}: real-time lost count`);
          if (win.lost > 0) beyond++;
          if (rt.getStats().lost > win.lost) windowHelped++;
        }
      }
    }
  }
  assert.ok(beyond > 60, `runs with unrepairable losses: ${beyond}`);
  assert.ok(windowHelped > 15, `runs where waiting helped: ${windowHelped}`);
});

test('mixed streams: datagrams switch between secondaries and parity; everything restorable is restored', () => {
  let restored = 0;
  for (let seed = 1; seed <= SEEDS * 2; seed++) {
    const rng = new Rng(seed * 7 + 12345);
    const stream = makeStream(rng, N);
    // Two senders fed the same IFPs share seq numbers and history: pick each datagram from one.
    const a = sendAll(stream, { mode: 'redundancy', depth: { indicator: 2, control: 2, image: 1 } });
    const b = sendAll(stream, { mode: 'fec', span: 3, entries: 2 });
    const lost = lossMask(patternLoss(seed % 2 === 0 ? 'random' : 'gilbert', 0.15, rng.r), N, 1);
    const arrived = lost.map((l) => !l);
    // The receiver keeps IFPs for parity from the first parity block it sees (before that, an
    // in-order redundancy stream is handed out as views and forgotten; the mode is negotiated
    // for the call): the stream opens with parity, so that every group is within reach.
    const firstArrived = arrived.indexOf(true);
    const datagrams: Uint8Array[] = [];
    let useFec = true;
    for (let i = 0; i < N; i++) {
      if (i > firstArrived && rng.float() < 0.05) useFec = !useFec; // blocks of each kind
      datagrams.push((useFec ? b[i] : a[i]) ?? assert.fail('datagram'));
    }
    const order = arrived.flatMap((x, i) => (x ? [i] : []));
    const r = runAndCheck(`mixed seed=${seed}`, stream, datagrams, order, oracle(datagrams, arrived, false), 1024, true);
    restored += r.restored;
  }
  assert.ok(restored > 300, `restored ${restored}`);
});

test('reordering and duplication within the window: the same IFPs, every datagram accounted for', () => {
  let reordered = 0;
  let duplicated = 0;
  for (let seed = 1; seed <= SEEDS * 2; seed++) {
    const rng = new Rng(seed * 999331);
    const stream = makeStream(rng, N);
    const d = 1 + (seed % 3);
    const datagrams = sendAll(stream, { mode: 'redundancy', depth: { indicator: d, control: d, image: d } });
    const lost = lossMask(patternLoss('random', 0.1, rng.r), N, 1);
    const arrived = lost.map((l) => !l);
    // Each datagram is delayed by 0..k positions; some are sent twice.
    const k = 6;
    const keyed: Array<[number, number]> = [];
    let dups = 0;
    arrived.forEach((a, i) => {
      if (!a) return;
      keyed.push([i + rng.int(0, k) + 0.5 * rng.float(), i]);
      if (rng.float() < 0.1) {
        keyed.push([i + rng.int(0, k) + 0.5 * rng.float(), i]);
        dups++;
      }
    });
    keyed.sort((x, y) => x[0] - y[0]);
    // The first datagram to arrive must be the stream's first for the same join point.
    const firstIdx = keyed.findIndex(([, i]) => i === arrived.indexOf(true));
    const [head] = keyed.splice(firstIdx, 1);
    if (head) keyed.unshift(head);
    const order = keyed.map(([, i]) => i);
    const rx = new UdptlReceiver({ reorderWindow: k + d + 1 });
    const got = order.flatMap((i) => rx.receive(datagrams[i] ?? new Uint8Array(0)));
    got.push(...rx.flush());
    const expect = oracle(datagrams, arrived, false);
    assert.deepEqual(
      got.map((x) => x.seq),
      [...expect.sources.keys()].sort((x, y) => x - y),
      `seed ${seed}`,
    );
    for (const x of got) assert.deepEqual(x.ifp, stream.ifps[x.seq]);
    const st = rx.getStats();
    // Every datagram is exactly one of: its primary delivered, a duplicate of a primary already
    // received, or late (its seq was already delivered from a secondary copy: nothing waits for
    // a datagram whose content is already there).
    assert.equal(st.primaries + st.duplicates + st.late, order.length, `seed ${seed}`);
    assert.equal(st.primaries + st.recoveredFromSecondary, got.length);
    assert.ok(st.duplicates <= dups, `seed ${seed}: duplicates ${st.duplicates} of ${dups}`);
    assert.equal(st.lost, expect.span - got.length);
    reordered += st.late;
    duplicated += st.duplicates;
  }
  assert.ok(reordered > 60 && duplicated > 60, `late ${reordered}, duplicates ${duplicated}`);
});
