/**
 * The T.38 terminal's UDPTL reorder window, in virtual time: terminal ↔ terminal over a network
 * that makes chosen datagrams arrive after a given number of later ones. Overtaken by no more
 * than the window (and within its time bound), a datagram is used where it belongs — counted
 * `reordered`, nothing lost, pages pixel-identical even without redundancy. Overtaken by more,
 * its seq is given up: redundancy restores it, or, without redundancy, it is counted lost and
 * T.30 (ECM) repairs the page.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { T38TerminalOptions } from '../../../src/fax/terminal/t38-terminal.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { OvertakingNet, type Reordering } from '../../sim/overtaking.js';
import { runT38Call, samePixels, type T38CallOutcome } from '../../sim/t38-call.js';

interface Outcome extends T38CallOutcome {
  /** Datagrams the network held back, both ways. */
  readonly held: number;
}

function call(caller: T38TerminalOptions, answerer: T38TerminalOptions, r: Reordering): Outcome {
  const net = new OvertakingNet(r);
  return { ...runT38Call(caller, answerer, net), held: net.held };
}

function page(n: number): Bitmap {
  const b = createBitmap(1728, 300, { x: 204, y: 196 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `reorder window test page ${n}`, 4, 4);
  for (let i = 0; i < 6; i++) drawText(b, 60, 110 + i * 26, `row ${i} of page ${n}: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ`, 2, 3);
  for (let x = 0; x < 30; x++) fillRect(b, 1200 + x * 12, 100 + (x % 5) * 20, 6, 120, (x + n) % 3 !== 0);
  return b;
}

function assertPages(o: Outcome, pages: Bitmap[]): void {
  const diag = `caller ${JSON.stringify(o.caller.result)} answerer ${JSON.stringify(o.answerer.result)}`;
  assert.equal(o.caller.result?.ok, true, diag);
  assert.equal(o.answerer.result?.ok, true, diag);
  assert.equal(o.received.length, pages.length, diag);
  o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical`));
}

const none = { mode: 'none' } as const;
const red3 = { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } } as const;
/** Within the default window (2 datagrams) and its time bound (60 ms). */
const withinWindow: Reordering = { every: 10, overtakers: 2, maxExtraMs: 40 };
/** Image data overtaken by 4 later seqs: beyond the default window. */
const beyondWindow: Reordering = { every: 10, overtakers: 4, maxExtraMs: 400, minBytes: 40 };

describe('T38Terminal: UDPTL reorder window', () => {
  const pages = [page(1), page(2)];

  for (const ecm of [true, false]) {
    it(`overtaken within the window, no redundancy, ${ecm ? 'ECM' : 'non-ECM'}: every datagram is used, none lost, pages pixel-identical`, () => {
      const o = call({ role: 'calling', send: { pages }, ecm, errorCorrection: none }, { role: 'answering', receive: true, ecm, errorCorrection: none }, withinWindow);
      assertPages(o, pages);
      assert.ok(o.held > 20, `the network reordered (${o.held} held back)`);
      for (const t of [o.caller, o.answerer]) {
        const s = t.getStats();
        assert.equal(s.udptlRx?.lost, 0);
        assert.equal(s.udptlRx?.late, 0);
        assert.equal(s.lostIfps, 0);
      }
      const rx = o.answerer.getStats().udptlRx;
      assert.ok((rx?.reordered ?? 0) > 10, `reordered datagrams recovered in order: ${JSON.stringify(rx)}`);
    });
  }

  it('the same network with reorderWindow 0 (spandsp, Asterisk): the overtaken datagrams come too late and are lost', () => {
    const o = call(
      { role: 'calling', send: { pages }, errorCorrection: none, reorderWindow: 0 },
      { role: 'answering', receive: true, errorCorrection: none, reorderWindow: 0 },
      { ...withinWindow, minBytes: 40 }, // image data only, so that the call gets that far (ECM repairs it)
    );
    const rx = o.answerer.getStats().udptlRx;
    assert.equal(rx?.reordered, 0);
    assert.ok((rx?.lost ?? 0) > 10 && (rx?.late ?? 0) > 10, JSON.stringify(rx));
    assert.ok(o.answerer.getStats().lostIfps > 10);
  });

  it('overtaken beyond the window, redundancy 3: restored from the secondaries, the late primary dropped', () => {
    const o = call({ role: 'calling', send: { pages }, errorCorrection: red3 }, { role: 'answering', receive: true, errorCorrection: red3 }, beyondWindow);
    assertPages(o, pages);
    const rx = o.answerer.getStats().udptlRx;
    assert.ok((rx?.recoveredFromSecondary ?? 0) > 10, JSON.stringify(rx));
    assert.ok((rx?.late ?? 0) > 10, 'the overtaken primaries arrived after their turn');
    assert.equal(rx?.lost, 0);
    assert.equal(o.answerer.getStats().lostIfps, 0);
  });

  it('overtaken beyond the window, no redundancy, ECM: counted lost and late; T.30 repairs the pages', () => {
    const o = call({ role: 'calling', send: { pages }, errorCorrection: none }, { role: 'answering', receive: true, errorCorrection: none }, beyondWindow);
    assertPages(o, pages);
    const s = o.answerer.getStats();
    assert.ok((s.udptlRx?.lost ?? 0) > 10 && (s.udptlRx?.late ?? 0) > 10, JSON.stringify(s.udptlRx));
    assert.equal(s.lostIfps, s.udptlRx?.lost, 'the terminal saw every given-up seq as a loss');
  });

  it('the time bound: inside a large window, a missing seq is still given up after reorderHoldMs', () => {
    // The network holds chosen datagrams until 3 later seqs have passed (about 60–90 ms at the
    // paced rate, 400 ms at most); the terminal waits 50 ms.
    const o = call(
      { role: 'calling', send: { pages: [page(1)] }, errorCorrection: none, reorderWindow: 64, reorderHoldMs: 50 },
      { role: 'answering', receive: true, errorCorrection: none, reorderWindow: 64, reorderHoldMs: 50 },
      { every: 10, overtakers: 3, maxExtraMs: 400, minBytes: 40 },
    );
    assertPages(o, [page(1)]);
    const rx = o.answerer.getStats().udptlRx;
    // With a 64-datagram window only the 50 ms bound can have given these up.
    assert.ok((rx?.lost ?? 0) > 0 && (rx?.late ?? 0) > 0, JSON.stringify(rx));
  });
});
