/**
 * The audio driver (src/node/audio-driver.ts) over real loopback UDP: two AudioTerminals, each
 * on its own socket, one 20 ms frame of 16-bit linear audio per datagram, fax clock ×10. The
 * modems are the ideal kit (test/sim/fake-modems.ts): this checks the driver — framing, the
 * frame clock, the play-out buffer, source filtering — not the DSP (audio-call tests do that).
 * The page must arrive pixel-identical.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AudioTerminal } from '../../../src/fax/terminal/audio-terminal.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { runAudioTerminal } from '../../../src/node/audio-driver.js';
import { openUdpSocket } from '../../../src/node/udp-driver.js';
import type { T30Event } from '../../../src/t30/engine.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { FAKE_MODEMS } from '../../sim/fake-modems.js';
import { samePixels } from '../../sim/t38-call.js';

function page(): Bitmap {
  const b = createBitmap(1728, 200, { x: 204, y: 98 });
  fillRect(b, 30, 30, 1668, 3, true);
  drawText(b, 60, 60, 'faxwire audio driver test', 4, 4);
  return b;
}

describe('audio driver over loopback UDP', () => {
  for (const ecm of [true, false]) {
    it(`a page, ${ecm ? 'ECM' : 'non-ECM'}, slin frames, fax clock x10`, async () => {
      const sa = await openUdpSocket(0, '127.0.0.1');
      const sb = await openUdpSocket(0, '127.0.0.1');
      const pa = sa.address().port;
      const pb = sb.address().port;
      const pages = [page()];
      const caller = new AudioTerminal({ role: 'calling', send: { pages }, ecm, kit: FAKE_MODEMS });
      const answerer = new AudioTerminal({ role: 'answering', receive: true, ecm, kit: FAKE_MODEMS });
      const received: Bitmap[] = [];
      const common = { codec: 'slin' as const, localPort: 0, remoteHost: '127.0.0.1', speed: 10, timeoutMs: 20_000 };
      const [oa, ob] = await Promise.all([
        runAudioTerminal<T30Event>({ ...common, terminal: caller, socket: sa, remotePort: pb }),
        runAudioTerminal<T30Event>({
          ...common,
          terminal: answerer,
          socket: sb,
          remotePort: pa,
          onEvent: (e) => {
            if (e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
          },
        }),
      ]);
      const diag = JSON.stringify({ oa, ob, ra: caller.result, rb: answerer.result });
      assert.ok(oa.finished && ob.finished, diag);
      assert.equal(caller.result?.ok, true, diag);
      assert.equal(answerer.result?.ok, true, diag);
      assert.equal(received.length, 1, diag);
      assert.ok(samePixels(received[0] ?? pages[0]!, pages[0]!), 'pixel-identical');
      assert.ok(oa.datagramsSent > 100 && ob.datagramsReceived > 100, diag);
      assert.equal(ob.malformedDatagrams, 0, diag);
    });
  }
});
