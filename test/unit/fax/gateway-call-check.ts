/**
 * What every gateway call test checks (test/sim/gateway-call.ts runs the call): both terminals
 * OK, every page delivered pixel-identical and untruncated, the page count right on both
 * terminals and in each gateway's summary (T.30 §5.3.6: an MCF answering a page-ending
 * post-page message counts a page; DCN after EOP completes the call), the negotiated rate and
 * ECM mode. Plus the test pages and a one-paragraph description of a call for t.diagnostic.
 */

import assert from 'node:assert/strict';
import { drawText, fillRect } from '../../../src/image/text.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import type { GatewayCallEndOutcome, GatewayCallOutcome } from '../../sim/gateway-call.js';
import { VirtualNet } from '../../sim/network.js';
import { samePixels } from '../../sim/t38-call.js';

/** A small page with text, rules and bars (1728 wide, standard resolution), different for each n. */
export function testPage(n: number, rows = 120): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 20, 8, 1688, 3, true);
  drawText(b, 60, 20, `faxwire gateway call, page ${n}`, 3, 3);
  if (rows >= 80) drawText(b, 60, 56, `THE QUICK BROWN FOX ${String(n).padStart(4, '0')} 0123456789`, 2, 2);
  for (let x = 0; x < 40; x++) fillRect(b, 1100 + x * 14, 20 + ((x + n) % 5) * 6, 7, Math.max(4, rows - 60), (x + n) % 3 !== 0);
  fillRect(b, 20, rows - 6, 1688, 3, true);
  return b;
}

export interface Expect {
  /** The rate both terminals must have used (omit where loss may force a fallback). */
  readonly bitRate?: number;
  readonly ecm?: boolean;
}

function endLine(name: string, e: GatewayCallEndOutcome): string {
  const r = e.result;
  const res = r ? `${r.ok ? 'OK' : 'FAIL'} ${r.code} sent=${r.pagesSent} rcvd=${r.pagesReceived} ${r.bitRate} bit/s ecm=${r.ecm} badRows=${r.badRows} ecmRetries=${r.ecmRetries} rtn=${r.rtnCount} fallbacks=${r.fallbacks}` : 'no result';
  const s = e.summary;
  const gw = s
    ? ` | gateway: pages=${s.pages} completed=${s.completed} ${s.bitRate} bit/s ecm=${s.ecm} ifps tx=${s.ifpsSent} rx=${s.ifpsReceived} recovered=${s.ifpsRecovered} lost=${s.ifpsLost} underruns=${s.underruns} overruns=${s.overruns} drift=${s.driftPpm ?? '-'}ppm`
    : '';
  return `${name} (${e.kind}${e.done ? '' : ', NOT DONE'}): ${res}${gw}`;
}

/** The call in three lines: each end's result and gateway summary, the network's counters. */
export function describeOutcome(o: GatewayCallOutcome): string {
  const net = o.net instanceof VirtualNet ? ` net: ${JSON.stringify(o.net.counters)}` : '';
  return `${endLine('caller', o.caller)}\n${endLine('answerer', o.answerer)}\nended at ${(o.endedAt / 1000).toFixed(1)} s${o.timedOut ? ' (TIMED OUT)' : ''};${net}`;
}

export function assertGatewayCall(o: GatewayCallOutcome, pages: readonly Bitmap[], expect: Expect = {}): void {
  const diag = describeOutcome(o);
  assert.ok(!o.timedOut, `the call ended in time — ${diag}`);
  assert.ok(o.caller.done && o.answerer.done, `both terminals done — ${diag}`);
  assert.equal(o.caller.result?.ok, true, `caller OK — ${diag}`);
  assert.equal(o.answerer.result?.ok, true, `answerer OK — ${diag}`);
  const tx = o.caller.pagesToSend > 0 ? o.caller : o.answerer;
  assert.equal(tx.pagesToSend, pages.length, 'the test gave the sending end these pages');
  const rx = tx === o.caller ? o.answerer : o.caller;
  assert.equal(tx.result?.pagesSent, pages.length, `pages sent — ${diag}`);
  assert.equal(rx.result?.pagesReceived, pages.length, `pages received — ${diag}`);
  assert.equal(rx.received.length, pages.length, `pages delivered — ${diag}`);
  pages.forEach((p, i) => {
    const got = rx.received[i];
    assert.ok(got !== undefined, `page ${i + 1} delivered — ${diag}`);
    assert.equal(got.height, p.height, `page ${i + 1} not truncated (rows) — ${diag}`);
    assert.ok(samePixels(got, p), `page ${i + 1} pixel-identical — ${diag}`);
  });
  for (const e of [o.caller, o.answerer]) {
    if (expect.bitRate !== undefined) assert.equal(e.result?.bitRate, expect.bitRate, `rate — ${diag}`);
    if (expect.ecm !== undefined) assert.equal(e.result?.ecm, expect.ecm, `ECM — ${diag}`);
    const s = e.summary;
    if (s === undefined) continue;
    assert.equal(s.pages, pages.length, `gateway summary pages — ${diag}`);
    assert.equal(s.completed, true, `gateway summary completed — ${diag}`);
    if (expect.bitRate !== undefined) assert.equal(s.bitRate, expect.bitRate, `gateway summary rate — ${diag}`);
    if (expect.ecm !== undefined) assert.equal(s.ecm, expect.ecm, `gateway summary ECM — ${diag}`);
  }
}

/** describeOutcome, one t.diagnostic line each. */
export function printOutcome(t: { diagnostic(message: string): void }, o: GatewayCallOutcome): void {
  for (const l of describeOutcome(o).split('\n')) t.diagnostic(l);
}
