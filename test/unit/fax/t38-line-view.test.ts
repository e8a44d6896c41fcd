/**
 * The terminal's receive path without an `Ifp` per datagram (`T38Line.receiveView`,
 * `T38FieldAssembler.pushView`) against the path it replaces (`ifpFromView` then `receive`).
 * Differential: random IFP streams (every field type, with data absent, one octet or many, in
 * T.38 versions 0 and 3, with lost packets and timeouts in between) give the same line events
 * and counters after every IFP; and whole T38Terminal calls (ECM and non-ECM) give the same
 * datagrams, events, pages and results whether the terminals take the view path or — with a
 * trace callback, which needs the `Ifp` — the old one. The transmit side likewise: a line
 * handing each IFP to `onPacket` (reused objects, data views) sends the same IFPs, at the same
 * times, as one collecting them for `takePackets()`. And a terminal that skips the ticks that
 * come before its `nextTimeout()` makes the same call, over a lossy and reordering channel, as
 * one that runs every tick (an injected engine: the old behaviour).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { T38Line } from '../../../src/fax/terminal/t38-line.js';
import { T38Terminal } from '../../../src/fax/terminal/t38-terminal.js';
import { createT30Engine } from '../../../src/fax/session.js';
import type { T30LineEvent, T30TxStep } from '../../../src/t30/line.js';
import type { FaxModulation } from '../../../src/modem/modulation.js';
import type { T30Event } from '../../../src/t30/engine.js';
import {
  decodeIfpView,
  encodeIfp,
  ifpFromView,
  IfpView,
  IFP_FIELD_TYPES,
  T30_DATA_TYPES,
  T30_INDICATORS,
  type Ifp,
  type IfpField,
  type T38Version,
} from '../../../src/t38/ifp.js';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { testPage } from '../t30/harness.js';

/** Line events as comparable values (frames and data as hex). */
function comparable(evs: readonly T30LineEvent[]): unknown[] {
  return evs.map((e) => {
    if (e.kind === 'hdlc-frame') return { ...e, frame: Buffer.from(e.frame).toString('hex') };
    if (e.kind === 'non-ecm-data') return { ...e, data: Buffer.from(e.data).toString('hex') };
    return e;
  });
}

const fieldArb: fc.Arbitrary<IfpField> = fc.record({
  type: fc.constantFrom(...IFP_FIELD_TYPES),
  data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
}).map((f) => (f.data === undefined ? { type: f.type } : { type: f.type, data: f.data }));

const ifpArb: fc.Arbitrary<Ifp> = fc.oneof(
  fc.constantFrom(...T30_INDICATORS).map((indicator): Ifp => ({ type: 't30-indicator', indicator })),
  fc
    .record({ dataType: fc.constantFrom(...T30_DATA_TYPES), fields: fc.option(fc.array(fieldArb, { minLength: 1, maxLength: 4 }), { nil: undefined }) })
    .map((d): Ifp => (d.fields === undefined ? { type: 't30-data', dataType: d.dataType } : { type: 't30-data', dataType: d.dataType, fields: d.fields })),
);

type Step = { readonly ifp: Ifp } | { readonly lost: number } | { readonly waitMs: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: ifpArb.map((ifp) => ({ ifp })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((lost) => ({ lost })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 9000 }).map((waitMs) => ({ waitMs })) },
);

describe('T38Line.receiveView: the same line as receive(ifpFromView(…))', () => {
  it('random IFP streams (versions 0 and 3, losses, timeouts): equal events and counters after every IFP', () => {
    let viewIfps = 0;
    fc.assert(
      fc.property(fc.constantFrom<T38Version>(0, 3), fc.array(stepArb, { maxLength: 60 }), fc.integer({ min: 0, max: 7 }), (version, steps, pad) => {
        const old = new T38Line({ version });
        const neu = new T38Line({ version });
        const v = new IfpView();
        let now = 0;
        for (const s of steps) {
          now += 20;
          if ('lost' in s) {
            old.markMissing(s.lost, now);
            neu.markMissing(s.lost, now);
          } else if ('waitMs' in s) {
            now += s.waitMs;
            old.tick(now);
            neu.tick(now);
          } else {
            let bytes: Uint8Array;
            try {
              bytes = encodeIfp(s.ifp, version);
            } catch {
              continue; // not encodable in this version (a field type it lacks)
            }
            // The IFP inside a larger buffer, as the UDPTL receiver hands it over.
            const buf = new Uint8Array(pad + bytes.length + 3).fill(0xa5);
            buf.set(bytes, pad);
            if (!decodeIfpView(buf, version, v, pad, pad + bytes.length)) continue;
            viewIfps++;
            old.receive(ifpFromView(buf, v), now);
            neu.receiveView(buf, v, now);
          }
          assert.deepEqual(comparable(neu.takeEvents()), comparable(old.takeEvents()));
          assert.deepEqual(neu.getStats(), old.getStats());
          assert.deepEqual(neu.getAssemblerStats(), old.getAssemblerStats());
        }
      }),
      { numRuns: 600, seed: 13 },
    );
    assert.ok(viewIfps > 1000, `only ${viewIfps} IFPs went through both paths`);
  });
});

interface CallRun {
  readonly datagrams: string[];
  readonly events: unknown[];
  readonly results: unknown[];
  readonly stats: unknown[];
  readonly pages: number;
}

/** A T38Terminal pair to its end (20 ms steps); `traced`: both terminals with a trace callback (the `Ifp` path). */
function call(pages: readonly Bitmap[], ecm: boolean, traced: boolean): CallRun {
  const trace = traced ? { onTrace: (): void => undefined } : {};
  const a = new T38Terminal({ role: 'calling', send: { pages }, ecm, ident: 'A', ...trace });
  const b = new T38Terminal({ role: 'answering', receive: true, ecm, ident: 'B', ...trace });
  const datagrams: string[] = [];
  const events: unknown[] = [];
  const take = (side: string, evs: readonly T30Event[]): void => {
    for (const e of evs) events.push([side, e.type === 'page-rx-end' ? { ...e, bitmap: Buffer.from(e.bitmap.data).toString('hex') } : e]);
  };
  a.start(0);
  b.start(0);
  for (let now = 0; !(a.done && b.done) && now < 600_000; now += 20) {
    if (now > 0) {
      a.tick(now);
      b.tick(now);
    }
    for (let round = 0; round < 16; round++) {
      const outA = a.takeOutput();
      const outB = b.takeOutput();
      if (outA.length === 0 && outB.length === 0) break;
      for (const d of outA) {
        datagrams.push(`a${Buffer.from(d).toString('hex')}`);
        b.receive(d, now);
      }
      for (const d of outB) {
        datagrams.push(`b${Buffer.from(d).toString('hex')}`);
        a.receive(d, now);
      }
    }
    take('a', a.takeEvents());
    take('b', b.takeEvents());
  }
  const pagesRx = events.filter((e) => (e as [string, { type: string }])[1].type === 'page-rx-end').length;
  return { datagrams, events, results: [a.result, b.result], stats: [a.getStats(), b.getStats()], pages: pagesRx };
}

describe('T38Terminal receive path: view (no trace) and Ifp (with a trace callback) make the same call', () => {
  for (const ecm of [true, false]) {
    it(`${ecm ? 'ECM' : 'non-ECM'}, 2 pages: the same datagrams, events, pages, results and counters`, () => {
      const pages = [testPage(400), testPage(401, { height: 240 })];
      const viewed = call(pages, ecm, false);
      const traced = call(pages, ecm, true);
      assert.equal((viewed.results[1] as { ok?: boolean } | undefined)?.ok, true, 'the call succeeded');
      assert.equal(viewed.pages, 2);
      assert.ok(viewed.datagrams.length > 100);
      assert.deepEqual(viewed.datagrams, traced.datagrams);
      assert.deepEqual(viewed.events, traced.events);
      assert.deepEqual(viewed.results, traced.results);
      assert.deepEqual(viewed.stats, traced.stats);
    });
  }
});

describe('T38Line onPacket: the same IFPs as takePackets()', () => {
  it('random step sequences (tones, silence, HDLC bursts on V.21 and fast modems, TCF, image), paced or not, versions 0 and 3', () => {
    const frameArb = fc.uint8Array({ minLength: 1, maxLength: 300 });
    const stepArb2: fc.Arbitrary<T30TxStep> = fc.oneof(
      fc.record({ kind: fc.constant('tone' as const), tone: fc.constantFrom('cng' as const, 'ced' as const), ms: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('silence' as const), ms: fc.integer({ min: 1, max: 200 }) }),
      fc.record({
        kind: fc.constant('hdlc' as const),
        modulation: fc.constantFrom<FaxModulation>('v21', 'v17-14400', 'v29-9600', 'v27ter-4800'),
        frames: fc.array(frameArb, { maxLength: 5 }),
        shortTrain: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('tcf' as const), modulation: fc.constantFrom<FaxModulation>('v17-14400', 'v29-7200'), ms: fc.integer({ min: 100, max: 1500 }) }),
      fc.record({ kind: fc.constant('image' as const), modulation: fc.constantFrom<FaxModulation>('v17-9600', 'v27ter-2400'), shortTrain: fc.boolean(), data: fc.uint8Array({ minLength: 1, maxLength: 2000 }) }),
    );
    let ifps = 0;
    fc.assert(
      fc.property(fc.constantFrom<T38Version>(0, 3), fc.boolean(), fc.array(stepArb2, { minLength: 1, maxLength: 6 }), (version, paced, steps) => {
        const seen: string[] = [];
        const collected = new T38Line({ version, paced });
        const sunk = new T38Line({ version, paced, onPacket: (p) => seen.push(`${p.at} ${p.category} ${p.count} ${Buffer.from(p.bytes).toString('hex')}`) });
        const want: string[] = [];
        const lineEvents: [unknown[], unknown[]] = [[], []];
        collected.queue(steps, 0);
        sunk.queue(steps, 0);
        for (let now = 0; now < 600_000 && (collected.pendingSteps > 0 || sunk.pendingSteps > 0); now += 20) {
          collected.tick(now);
          sunk.tick(now);
          for (const p of collected.takePackets()) want.push(`${p.at} ${p.category} ${p.count} ${Buffer.from(p.bytes).toString('hex')}`);
          assert.equal(sunk.takePackets().length, 0, 'an onPacket line collects nothing');
          lineEvents[0].push(...collected.takeEvents());
          lineEvents[1].push(...sunk.takeEvents());
          assert.deepEqual(seen, want);
        }
        assert.deepEqual(lineEvents[1], lineEvents[0]);
        assert.deepEqual(sunk.getStats(), collected.getStats());
        ifps += want.length;
      }),
      { numRuns: 150, seed: 14 },
    );
    assert.ok(ifps > 2000, `only ${ifps} IFPs compared`);
  });
});

describe('T38Terminal quiet ticks: a tick before nextTimeout() is skipped, and the call is the same', () => {
  /** A pair to its end over a channel that drops and swaps datagrams (deterministic); `inject`: engines built outside (ticks never skipped). */
  function lossyCall(pages: readonly Bitmap[], ecm: boolean, inject: boolean): CallRun & { ticksRun: number } {
    const opts = (role: 'calling' | 'answering') =>
      role === 'calling' ? ({ role, send: { pages }, ecm, ident: 'A' } as const) : ({ role, receive: true, ecm, ident: 'B' } as const);
    const make = (role: 'calling' | 'answering'): T38Terminal =>
      inject ? new T38Terminal({ engine: createT30Engine(opts(role)), reorderWindow: 2 }) : new T38Terminal({ ...opts(role), reorderWindow: 2 });
    const a = make('calling');
    const b = make('answering');
    const datagrams: string[] = [];
    const events: unknown[] = [];
    let n = 0;
    let held: { to: T38Terminal; d: Uint8Array } | undefined;
    const deliver = (to: T38Terminal, d: Uint8Array, now: number): void => {
      n++;
      if (n % 97 < 5) return; // a burst of 5 lost: more than redundancy 3 repairs
      if (n % 13 === 0 && held === undefined) {
        held = { to, d }; // arrives after the next one
        return;
      }
      to.receive(d, now);
      if (held !== undefined) {
        held.to.receive(held.d, now);
        held = undefined;
      }
    };
    a.start(0);
    b.start(0);
    let ticksRun = 0;
    for (let now = 0; !(a.done && b.done) && now < 900_000; now += 20) {
      if (now > 0) {
        a.tick(now);
        b.tick(now);
        ticksRun += 2;
      }
      for (let round = 0; round < 16; round++) {
        const outA = a.takeOutput();
        const outB = b.takeOutput();
        if (outA.length === 0 && outB.length === 0) break;
        for (const d of outA) {
          datagrams.push(`a${Buffer.from(d).toString('hex')}`);
          deliver(b, d, now);
        }
        for (const d of outB) {
          datagrams.push(`b${Buffer.from(d).toString('hex')}`);
          deliver(a, d, now);
        }
      }
      for (const [side, t] of [['a', a], ['b', b]] as const) {
        for (const e of t.takeEvents()) events.push([side, e.type === 'page-rx-end' ? { ...e, bitmap: Buffer.from(e.bitmap.data).toString('hex') } : e]);
      }
      // What the driver sees between ticks is the same too.
      events.push([now, a.nextTimeout(), b.nextTimeout(), a.done, b.done]);
    }
    const pagesRx = events.filter((e) => Array.isArray(e) && (e[1] as { type?: string } | undefined)?.type === 'page-rx-end').length;
    return { datagrams, events, results: [a.result, b.result], stats: [a.getStats(), b.getStats()], pages: pagesRx, ticksRun };
  }

  for (const ecm of [true, false]) {
    it(`${ecm ? 'ECM' : 'non-ECM'} over a lossy, reordering channel: the same datagrams, events, timeouts, results and counters`, () => {
      const pages = [testPage(410), testPage(411, { height: 240 })];
      const quiet = lossyCall(pages, ecm, false);
      const every = lossyCall(pages, ecm, true);
      assert.ok(quiet.pages >= 1, 'pages arrived');
      assert.ok(quiet.datagrams.length > 100);
      assert.deepEqual(quiet.datagrams, every.datagrams);
      assert.deepEqual(quiet.events, every.events);
      assert.deepEqual(quiet.results, every.results);
      assert.deepEqual(quiet.stats, every.stats);
      const lost = (quiet.stats[1] as { lostIfps?: number } | undefined)?.lostIfps ?? 0;
      assert.ok(lost > 0 || ((quiet.stats[0] as { lostIfps?: number } | undefined)?.lostIfps ?? 0) > 0, 'the channel lost something the receivers noticed');
    });
  }
});
