/**
 * A late burst of frames in the middle of a non-ECM page must not cut the page: the answerer's
 * frames go through an AudioPlayout (the audio driver's play-out buffer, cushion 2) and the
 * network holds 8 frames (160 ms, four times the cushion) back in the middle of the page and
 * delivers them together. The play-out runs dry and plays nothing meanwhile — the modem hears
 * the page with a pause in time, not silence in the signal — then catches up. spandsp's
 * play-out plays silence instead, its receiver loses the carrier and the page ends early with
 * T.30 reporting success (spandsp-peer README, "truncated page"). Compared pixel by pixel.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AudioTerminal } from '../../../src/fax/terminal/audio-terminal.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { AudioPlayout } from '../../../src/rtp/playout.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { samePixels } from '../../sim/t38-call.js';

function page(): Bitmap {
  const b = createBitmap(1728, 500, { x: 204, y: 98 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, 'faxwire jitter test', 4, 4);
  for (let i = 0; i < 12; i++) drawText(b, 60, 110 + i * 30, `row ${i}: 0123456789 THE QUICK BROWN FOX`, 2, 3);
  return b;
}

const toBytes = (f: Int16Array): Uint8Array => new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
const toSamples = (b: Uint8Array): Int16Array => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

describe('audio play-out under jitter', () => {
  for (const hold of [0, 8]) {
    it(`non-ECM V.17 page with ${hold ? `${hold} frames held back mid-page` : 'no jitter'}: pixel-identical`, () => {
      const pages = [page()];
      const a = new AudioTerminal({ role: 'calling', send: { pages }, ecm: false });
      const b = new AudioTerminal({ role: 'answering', receive: true, ecm: false });
      const received: Bitmap[] = [];
      const playout = new AudioPlayout({ frameBytes: 320, cushion: 2 });
      const outA = new Int16Array(160);
      const outB = new Int16Array(160);
      const buf = new Uint8Array(320);
      let toA: Int16Array | null = new Int16Array(160);
      const held: Uint8Array[] = [];
      let pageFrames = 0;
      let heldAt = -1;
      b.start();
      for (let i = 0; i < 15; i++) b.process(new Int16Array(160), outB);
      a.start();
      for (let i = 0; !(a.done && b.done) && i < 20_000; i++) {
        a.process(toA, outA);
        // A → B through the network and B's play-out buffer.
        const loud = outA.some((v) => Math.abs(v) > 1000);
        if (b.now > 9000 && loud) pageFrames++;
        if (hold > 0 && pageFrames === 40 && heldAt < 0) heldAt = i;
        if (heldAt >= 0 && i < heldAt + hold) held.push(toBytes(outA));
        else {
          for (const h of held.splice(0)) playout.push(h);
          playout.push(toBytes(outA));
        }
        for (let k = 0; k < 2; k++) {
          if (k === 1 && !playout.catchUp) break;
          if (playout.pop(buf) !== 'frame') break;
          b.receive(toSamples(buf));
        }
        b.transmit(outB);
        toA = outB.slice();
        for (const e of b.takeEvents()) if (e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
        a.takeEvents();
      }
      const diag = JSON.stringify({ a: a.result, b: b.result, playout: playout.getStats(), heldAt });
      assert.equal(b.result?.ok, true, diag);
      // First time, at the first rate: a damaged page would be answered RTN and sent again
      // (pixel-exact in the end, at a lower rate) — that is what inserting silence does.
      assert.equal(b.result?.rtnCount, 0, diag);
      assert.equal(b.result?.bitRate, 14400, diag);
      assert.equal(received.length, 1, diag);
      assert.ok(samePixels(received[0] ?? pages[0]!, pages[0]!), `pixel-identical ${diag}`);
      if (hold > 0) {
        assert.ok(heldAt > 0, 'frames were held back inside the page');
        assert.ok(playout.getStats().underruns >= 1, `the play-out ran dry: ${diag}`);
        assert.ok(playout.getStats().catchUps >= 1, `and caught up: ${diag}`);
      }
    });
  }
});
