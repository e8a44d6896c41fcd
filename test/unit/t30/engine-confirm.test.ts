/**
 * Confirm-after-store (T30EngineOptions.confirmAfterStore): the receiver delivers each page
 * before answering it and confirms it (MCF) only once the application says it is stored; a page
 * that could not be stored is never confirmed — DCN instead (T.30 §5.3.6.1.8), result
 * 'page-not-stored'. ECM holds the answer with RNR (Annex A); non-ECM holds it at most
 * CONFIRM_HOLD_MS, inside the transmitter's T4.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T30Engine, type T30EngineOptions } from '../../../src/t30/engine.js';
import { CONFIRM_HOLD_MS } from '../../../src/t30/timers.js';
import { assertPagesIdentical, eventsOf, sentControlFrames, testPage, VirtualCall, type Side } from './harness.js';
import type { T30Event } from '../../../src/t30/types.js';

const pages = [testPage(90), testPage(91), testPage(92)];
const caller = (ecm: boolean): T30EngineOptions => ({ role: 'calling', send: { pages }, ident: 'CALLER', ecm });
const answerer = (ecm: boolean): T30EngineOptions => ({ role: 'answering', receive: true, ident: 'ANSWERER', ecm, confirmAfterStore: true });

/** The receiving application: stores page n after `delayMs`, failing those in `fail`. */
function storing(b: T30Engine, delayMs: number, fail: ReadonlySet<number> = new Set()) {
  const storedAt: number[] = [];
  const onEvent = (side: Side, ev: T30Event, _now: number, later: (ms: number, fn: (now: number) => void) => void): void => {
    if (side !== 'b' || ev.type !== 'page-rx-end' || !ev.accepted) return;
    later(delayMs, (now) => {
      storedAt.push(now);
      b.confirmPage(!fail.has(ev.page), now, fail.has(ev.page) ? 'ENOSPC: no space left on device' : '');
    });
  };
  return { onEvent, storedAt };
}

/** Times at which `side` sent a control frame named `name`. */
function sentAt(events: readonly T30Event[], name: string): number[] {
  return eventsOf(events, 'frame-sent')
    .filter((e) => e.frame !== null && sentControlFrames([e]).includes(name))
    .map((e) => e.at);
}

describe('T30Engine confirm-after-store', () => {
  for (const ecm of [true, false]) {
    const mcf = 'MCF';
    it(`${ecm ? 'ECM' : 'non-ECM'}: every page is delivered first and confirmed only once stored`, () => {
      const a = new T30Engine(caller(ecm));
      const b = new T30Engine(answerer(ecm));
      const app = storing(b, 700);
      const r = new VirtualCall(a, b, { onEvent: app.onEvent }).run();
      assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
      assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
      assert.equal(r.b.result.pagesReceived, 3);
      assertPagesIdentical(b, pages);
      const mcfAt = sentAt(r.b.events, mcf);
      assert.equal(mcfAt.length, ecm ? 3 + 0 : 3);
      app.storedAt.forEach((t, i) => assert.ok((mcfAt[i] ?? -1) >= t, `MCF for page ${i + 1} at ${mcfAt[i]} before it was stored at ${t}`));
      if (ecm) assert.ok(b.getStats().rnrSent >= 3, 'ECM holds each page with RNR');
      else {
        assert.equal(b.getStats().rnrSent, 0, 'no RNR outside Annex A');
        assert.equal(a.getStats().commandRepeats, 0, 'the held answer came within the transmitter T4');
      }
    });

    it(`${ecm ? 'ECM' : 'non-ECM'}: a page that cannot be stored gets DCN, not MCF; the pages before stay confirmed`, () => {
      const a = new T30Engine(caller(ecm));
      const b = new T30Engine(answerer(ecm));
      const app = storing(b, 300, new Set([2]));
      const r = new VirtualCall(a, b, { onEvent: app.onEvent }).run();
      assert.equal(r.b.result?.code, 'page-not-stored');
      assert.match(r.b.result.message, /page 2: ENOSPC/);
      assert.equal(r.b.result.pagesReceived, 1);
      // The transmitter got MCF for page 1 only, then DCN.
      assert.equal(r.a.result?.code, 'dcn-after-page', r.a.result?.message);
      assert.equal(r.a.result.pagesSent, 1);
      assert.deepEqual(
        eventsOf(r.a.events, 'page-tx-end').map((e) => [e.page, e.accepted]),
        [[1, true]],
      );
      const bFrames = sentControlFrames(r.b.events);
      assert.equal(bFrames.filter((f) => f === 'MCF').length, 1);
      assert.equal(bFrames.at(-1), 'DCN');
      assert.deepEqual(
        b.receivedPages.map((p) => p.accepted),
        [true, false],
      );
    });
  }

  it('non-ECM: no word from the application within CONFIRM_HOLD_MS counts as not stored', () => {
    const a = new T30Engine(caller(false));
    const b = new T30Engine(answerer(false));
    let postPageAt = -1;
    const r = new VirtualCall(a, b, {
      onEvent: (side, ev) => {
        if (side === 'b' && ev.type === 'frame-received' && ev.frame?.type === 'MPS' && postPageAt < 0) postPageAt = ev.at;
      },
    }).run();
    assert.equal(r.b.result?.code, 'page-not-stored');
    assert.match(r.b.result.message, /no store confirmation within 2000 ms/);
    assert.equal(r.a.result?.code, 'dcn-after-page');
    assert.equal(r.a.result.pagesSent, 0);
    const dcnAt = sentAt(r.b.events, 'DCN')[0] ?? -1;
    assert.ok(Math.abs(dcnAt - postPageAt - CONFIRM_HOLD_MS) < 1, `DCN ${dcnAt - postPageAt} ms after MPS`);
    assert.equal(a.getStats().commandRepeats, 0);
  });

  it('ECM: a confirmation that never comes is bounded by the transmitter T5 (RNR/RR), no MCF', () => {
    const a = new T30Engine(caller(true));
    const b = new T30Engine(answerer(true));
    const r = new VirtualCall(a, b).run();
    assert.equal(r.a.result?.code, 't5-expired');
    assert.equal(r.a.result.pagesSent, 0);
    assert.ok(!sentControlFrames(r.b.events).includes('MCF'));
    assert.equal(eventsOf(r.b.events, 'page-rx-end').length, 1, 'the page was delivered (for storing) all the same');
  });

  it('confirmPage is ignored without the option and after the call', () => {
    const a = new T30Engine(caller(true));
    const b = new T30Engine({ ...answerer(true), confirmAfterStore: false });
    b.confirmPage(false, 0);
    const r = new VirtualCall(a, b).run();
    assert.equal(r.b.result?.code, 'ok');
    b.confirmPage(false, r.endMs);
    assert.equal(b.result?.code, 'ok');
  });
});
