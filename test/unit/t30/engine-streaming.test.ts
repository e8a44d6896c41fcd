/**
 * Page streaming (`T30EngineOptions.retainPages: false`): each received page leaves with its
 * `page-rx-end` event and the engine holds at most the page it is still answering, as a record
 * without pixels, and nothing once the call is over. The same calls are run retained and
 * streamed and must be the same call: identical events (pages octet for octet, verdicts, frames
 * on the line) and results — on the paths where phase D looks back at the last page: RTN and the
 * resent copy (non-ECM), the 4th PPR and EOR/ERR, a TCF taken for a page and dropped when DCS
 * comes again, and confirm-after-store with a page that could not be stored.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { T30Engine, type T30EngineOptions, type T30Event } from '../../../src/t30/engine.js';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { eventsOf, fcdNumber, frameTypeOf, SLOWEST_ECM, testPage, VirtualCall, type HarnessOptions, type RunReport } from './harness.js';

interface Scenario {
  readonly name: string;
  readonly pages: readonly Bitmap[];
  readonly caller: Omit<T30EngineOptions, 'role' | 'send'>;
  readonly answerer: Omit<T30EngineOptions, 'role' | 'receive'>;
  /** Fresh hooks for each run (they count what they did). */
  readonly hooks: (b: () => T30Engine) => HarnessOptions;
}

const scenarios: readonly Scenario[] = [
  { name: 'ECM, 3 pages', pages: [testPage(200), testPage(201), testPage(202)], caller: {}, answerer: {}, hooks: () => ({}) },
  { name: 'non-ECM, 2 pages', pages: [testPage(203), testPage(204)], caller: { ecm: false }, answerer: {}, hooks: () => ({}) },
  {
    name: 'non-ECM RTN: the first copy is judged bad, the resent one accepted',
    pages: [testPage(205, { height: 200 })],
    caller: { ecm: false, codings: ['mh'] },
    answerer: {},
    hooks: () => ({
      nonEcm: (c) =>
        c.from !== 'a' || c.kind !== 'image' || c.signalIndex !== 0 || c.offset === 0 ? undefined : c.data.map((x, i) => (i % 7 === 0 ? x ^ 0x5a : x)),
    }),
  },
  {
    name: 'ECM at the slowest rate: the 4th PPR leads to EOR/ERR',
    pages: [testPage(206, { height: 120 })],
    caller: { ...SLOWEST_ECM },
    answerer: {},
    hooks: () => ({ hdlcFrame: (f) => (fcdNumber(f) === 2 ? 'drop' : undefined) }),
  },
  {
    name: 'a TCF taken for a page is dropped when DCS comes again',
    pages: [testPage(207)],
    caller: { ecm: false },
    answerer: {},
    hooks: () => {
      let cfrDropped = false;
      let dcsSeen = 0;
      return {
        hdlcFrame: (f) => {
          const t = frameTypeOf(f.frame);
          if (t === 'CFR' && !cfrDropped) return (cfrDropped = true), 'drop';
          if (t === 'DCS' && ++dcsSeen === 2) return 'bad';
          return undefined;
        },
      };
    },
  },
  ...[true, false].map(
    (ecm): Scenario => ({
      name: `confirm-after-store (${ecm ? 'ECM' : 'non-ECM'}): page 2 cannot be stored`,
      pages: [testPage(208), testPage(209), testPage(210)],
      caller: { ecm },
      answerer: { ecm, confirmAfterStore: true },
      hooks: (b) => ({
        onEvent: (side, ev, _now, later) => {
          if (side !== 'b' || ev.type !== 'page-rx-end' || !ev.accepted) return;
          later(200, (now) => b().confirmPage(ev.page !== 2, now, ev.page === 2 ? 'ENOSPC' : ''));
        },
      }),
    }),
  ),
];

interface Run {
  readonly a: T30Engine;
  readonly b: T30Engine;
  readonly r: RunReport;
  /** Most pages the receiver held at any event, and whether a held page ever had pixels (streaming). */
  readonly maxHeld: number;
  readonly heldWithPixels: boolean;
}

function run(s: Scenario, retainPages: boolean): Run {
  const a = new T30Engine({ role: 'calling', send: { pages: s.pages }, ident: 'TX', ...s.caller, retainPages });
  const b = new T30Engine({ role: 'answering', receive: true, ident: 'RX', ...s.answerer, retainPages });
  const h = s.hooks(() => b);
  let maxHeld = 0;
  let heldWithPixels = false;
  const r = new VirtualCall(a, b, {
    ...h,
    onEvent: (side, ev, now, later) => {
      maxHeld = Math.max(maxHeld, b.receivedPages.length);
      if (b.receivedPages.some((p) => p.bitmap.data.length > 0)) heldWithPixels = true;
      h.onEvent?.(side, ev, now, later);
    },
  }).run();
  return { a, b, r, maxHeld, heldWithPixels };
}

/** Events as comparable values: pages' pixels as hex, everything else as is. */
function comparable(events: readonly T30Event[]): unknown[] {
  return events.map((e) => (e.type === 'page-rx-end' ? { ...e, bitmap: { ...e.bitmap, data: Buffer.from(e.bitmap.data).toString('hex') } } : e));
}

describe('T30Engine retainPages: false (pages stream out with page-rx-end)', () => {
  for (const s of scenarios) {
    it(`${s.name}: the same call as with pages retained; at most one page record held, none at the end`, () => {
      const kept = run(s, true);
      const streamed = run(s, false);
      assert.ok(kept.r.b.result !== undefined && streamed.r.b.result !== undefined, 'both calls ended');
      assert.deepEqual(streamed.r.a.result, kept.r.a.result);
      assert.deepEqual(streamed.r.b.result, kept.r.b.result);
      assert.deepEqual(comparable(streamed.r.a.events), comparable(kept.r.a.events));
      assert.deepEqual(comparable(streamed.r.b.events), comparable(kept.r.b.events));
      // The retained engine holds pages that were delivered (the same bitmaps).
      const delivered = eventsOf(kept.r.b.events, 'page-rx-end');
      assert.ok(delivered.length > 0 && kept.b.receivedPages.length > 0, 'pages were delivered and retained');
      for (const p of kept.b.receivedPages) assert.ok(delivered.some((e) => e.bitmap === p.bitmap && e.page === p.page));
      // Streaming: one record at most during the call, without pixels, and nothing after it.
      assert.equal(streamed.maxHeld, 1);
      assert.equal(streamed.heldWithPixels, false);
      assert.equal(streamed.b.receivedPages.length, 0);
      assert.ok(kept.maxHeld >= 1 && kept.heldWithPixels, 'the retained engine does hold pages with pixels');
    });
  }

  it('after the call the streamed pages are not reachable from the engine (WeakRef cleared by a full GC)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs = (retainPages: boolean): { engine: T30Engine; refs: WeakRef<Uint8Array>[] } => {
      const r = run(scenarios[0]!, retainPages);
      const pageRefs = eventsOf(r.r.b.events, 'page-rx-end').map((e) => new WeakRef(e.bitmap.data));
      r.r.b.events.length = 0; // the application dropped the events it handled
      return { engine: r.b, refs: pageRefs };
    };
    const streamed = refs(false);
    const kept = refs(true);
    // WeakRef targets stay alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    assert.equal(streamed.refs.length, 3);
    assert.deepEqual(
      streamed.refs.map((w) => w.deref() === undefined),
      [true, true, true],
      'the streaming engine keeps no page pixels',
    );
    // Control: the retained engine, alive here, still holds all three.
    assert.deepEqual(
      kept.refs.map((w) => w.deref() === undefined),
      [false, false, false],
    );
    assert.equal(kept.engine.receivedPages.length, 3);
    assert.equal(streamed.engine.receivedPages.length, 0);
  });

  it('send.prepare: called once per page as it is coded (again for a page resent after RTN), and what it makes is what arrives', () => {
    const pages = [testPage(211), testPage(212), testPage(213)];
    // A mark the receiver can see: the page index as a black run at the top left.
    const mark = (p: Bitmap, i: number, n: number): Bitmap => {
      const data = p.data.slice();
      data[0] = 0xff;
      data[1] = (i << 4) | n;
      return { ...p, data };
    };
    for (const ecm of [true, false]) {
      const calls: [number, number][] = [];
      const a = new T30Engine({ role: 'calling', ident: 'TX', ecm, send: { pages, prepare: (p, i, n) => (calls.push([i, n]), mark(p, i, n)) } });
      const b = new T30Engine({ role: 'answering', receive: true, ident: 'RX' });
      const r = new VirtualCall(a, b, {}).run();
      assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
      assert.deepEqual(calls, [[0, 3], [1, 3], [2, 3]]);
      const got = eventsOf(r.b.events, 'page-rx-end');
      assert.equal(got.length, 3);
      got.forEach((e, i) => assert.deepEqual([...e.bitmap.data.subarray(0, 2)], [0xff, (i << 4) | 3]));
    }
    const calls: number[] = [];
    const page = testPage(214, { height: 200 });
    const a = new T30Engine({ role: 'calling', ident: 'TX', ecm: false, codings: ['mh'], send: { pages: [page], prepare: (p, i) => (calls.push(i), p) } });
    const b = new T30Engine({ role: 'answering', receive: true, ident: 'RX' });
    const r = new VirtualCall(a, b, {
      nonEcm: (c) => (c.from !== 'a' || c.kind !== 'image' || c.signalIndex !== 0 || c.offset === 0 ? undefined : c.data.map((x, i) => (i % 7 === 0 ? x ^ 0x5a : x))),
    }).run();
    assert.equal(r.a.result?.rtnCount, 1);
    assert.deepEqual(calls, [0, 0], 'the page resent after RTN is coded (and prepared) again');
  });
});
