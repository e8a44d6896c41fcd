/**
 * AudioTerminal ↔ AudioTerminal in virtual time with the ideal modem kit (test/sim/fake-modems.ts):
 * the audio line's own logic — CNG/CED, V.21 HDLC bursts with FCS, the fast receiver started
 * from the far end's DCS, TCF then the page, ECM frames on the fast modem, V.17 short training,
 * tx-done timing — with the real T.30 engine and T.4 codecs. Pages are compared pixel by pixel.
 * The same calls over the real modems are in audio-call.test.ts.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drawText, fillRect } from '../../../src/image/text.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import type { T30Modem } from '../../../src/t30/negotiate.js';
import { runAudioCall, type AudioCallOutcome } from '../../sim/audio-call.js';
import { FAKE_MODEMS } from '../../sim/fake-modems.js';
import { samePixels } from '../../sim/t38-call.js';

function testPage(n: number, rows = 300): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `faxwire audio line test page ${n}`, 4, 4);
  for (let x = 0; x < 40; x++) fillRect(b, 1200 + x * 12, 100 + (x % 7) * 20, 6, 120, (x + n) % 3 !== 0);
  return b;
}

function assertDelivered(o: AudioCallOutcome, pages: Bitmap[], what: string): void {
  const diag = `${what}: caller ${JSON.stringify(o.caller.result)}\nanswerer ${JSON.stringify(o.answerer.result)} at ${o.endedAt}`;
  assert.ok(o.caller.done && o.answerer.done, `both done — ${diag}`);
  assert.equal(o.caller.result?.ok, true, diag);
  assert.equal(o.answerer.result?.ok, true, diag);
  assert.equal(o.received.length, pages.length, diag);
  o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical — ${diag}`));
}

describe('audio terminal over the ideal modem kit', () => {
  for (const ecm of [true, false]) {
    for (const modems of [['v17'], ['v29'], ['v27ter']] as T30Modem[][]) {
      it(`2 pages, ${ecm ? 'ECM' : 'non-ECM'}, ${modems[0]}`, () => {
        const pages = [testPage(1), testPage(2)];
        const o = runAudioCall({ role: 'calling', send: { pages }, ecm, modems, kit: FAKE_MODEMS }, { role: 'answering', receive: true, ecm, kit: FAKE_MODEMS }, { limit: 300_000 });
        assertDelivered(o, pages, `${ecm} ${modems[0]}`);
        const b = o.answerer.getStats().line;
        assert.ok(b.fastTrainings >= 3, `TCF + 2 pages trained: ${JSON.stringify(b)}`);
        assert.equal(b.framesBad, 0);
      });
    }
  }

  it('a lost frame mid-call is ridden through (fillIn), and the call still completes', () => {
    const pages = [testPage(1)];
    // Fake modems cannot bridge a gap, so lose a frame while the line is quiet (the 300 ms head).
    const o = runAudioCall({ role: 'calling', send: { pages }, kit: FAKE_MODEMS }, { role: 'answering', receive: true, kit: FAKE_MODEMS }, {
      limit: 300_000,
      channel: (f, to, i) => (to === 1 && i === 2 ? null : f),
    });
    assertDelivered(o, pages, 'fillIn');
    assert.equal(o.answerer.getStats().framesLost, 1);
    assert.equal(o.answerer.getStats().line.samplesFilledIn, 160);
  });
});
