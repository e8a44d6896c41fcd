/**
 * Confirm-after-store through T38Terminal (UDPTL, virtual time, 2 % loss): the terminal passes
 * `confirmAfterStore` to its engine and `confirmPage` down to it. The application "stores" each
 * page some fax time after `page-rx-end`; a page it cannot store is never confirmed (DCN).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T38Terminal } from '../../../src/fax/terminal/t38-terminal.js';
import type { T30Event } from '../../../src/t30/engine.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { xorshift32 } from '../../../src/util/random.js';
import { VirtualNet } from '../../sim/network.js';
import { samePixels } from '../../sim/t38-call.js';

function page(seed: number): Bitmap {
  const b = createBitmap(1728, 150);
  const r = xorshift32(seed);
  for (let i = 0; i < b.data.length; i++) if (r() % 9 === 0) b.data[i] = r() & 0xff;
  return b;
}
const pages = [page(1), page(2), page(3)];

/** Runs a call; the answerer stores page n `storeMs` after it arrives, failing the pages in `fail`. */
function run(ecm: boolean, storeMs: number, fail: ReadonlySet<number>) {
  const net = new VirtualNet({ loss: 0.02, delay: 30 }, xorshift32(7));
  const a = new T38Terminal({ role: 'calling', send: { pages }, ecm });
  const b = new T38Terminal({ role: 'answering', receive: true, ecm, confirmAfterStore: true });
  const terms = [a, b] as const;
  const events: [T30Event[], T30Event[]] = [[], []];
  const stored: Bitmap[] = [];
  const todo: { at: number; page: number; bitmap: Bitmap }[] = [];
  const flush = (now: number): void =>
    terms.forEach((t, i) => {
      for (const d of t.takeOutput()) net.send(i === 0 ? 1 : 0, d, now);
      for (const e of t.takeEvents()) {
        events[i as 0 | 1].push(e);
        if (i === 1 && e.type === 'page-rx-end' && e.accepted) todo.push({ at: now + storeMs, page: e.page, bitmap: e.bitmap });
      }
    });
  b.start(0);
  a.start(300);
  flush(300);
  let now = 300;
  for (let guard = 0; guard < 1_000_000 && !(a.done && b.done) && now < 300_000; guard++) {
    const times = [a.done ? undefined : a.nextTimeout(), b.done ? undefined : b.nextTimeout(), net.next(), todo[0]?.at].filter((x): x is number => x !== undefined);
    if (times.length === 0) break;
    now = Math.max(now, Math.min(...times));
    while (todo[0] !== undefined && todo[0].at <= now) {
      const w = todo.shift();
      if (w === undefined) break;
      const ok = !fail.has(w.page);
      if (ok) stored.push(w.bitmap);
      b.confirmPage(ok, now, ok ? '' : 'ENOSPC');
    }
    for (const p of net.due(now)) terms[p.to].receive(p.bytes, now);
    for (const t of terms) if (!t.done) t.tick(now);
    flush(now);
  }
  return { a, b, events, stored };
}

describe('T38Terminal confirm-after-store', () => {
  for (const ecm of [true, false]) {
    it(`${ecm ? 'ECM' : 'non-ECM'}: all stored — the fax completes, every page confirmed after it was stored`, () => {
      const { a, b, stored } = run(ecm, 500, new Set());
      assert.equal(a.result?.code, 'ok', a.result?.message);
      assert.equal(b.result?.code, 'ok', b.result?.message);
      assert.equal(a.result.pagesSent, 3);
      assert.equal(stored.length, 3);
      stored.forEach((s, i) => assert.ok(samePixels(s, pages[i] ?? s)));
    });

    it(`${ecm ? 'ECM' : 'non-ECM'}: page 2 cannot be stored — the sender has MCF for page 1 only, then DCN`, () => {
      const { a, b } = run(ecm, 300, new Set([2]));
      assert.equal(b.result?.code, 'page-not-stored', b.result?.message);
      assert.match(b.result.message, /page 2: ENOSPC/);
      assert.equal(a.result?.pagesSent, 1);
      assert.equal(a.result.ok, false);
    });
  }
});
