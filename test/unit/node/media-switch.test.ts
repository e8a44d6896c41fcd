/**
 * A SIP fax call's media life, over loopback UDP with sockets from the MediaPortAllocator:
 * keep-alives open the RTP pinhole, the audio terminals run on the RTP sockets, then the call
 * moves to T.38 (re-INVITE, T.38 Annex D): `signal` + `keepSocket` stop the audio drivers at once
 * — no DCN, terminals not aborted, RTP sockets still bound and free of the drivers' listeners —
 * and T.38 terminals on two new UDPTL sockets carry the page. Fax clock ×10, ideal modems.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { AudioTerminal } from '../../../src/fax/terminal/audio-terminal.js';
import { T38Terminal } from '../../../src/fax/terminal/t38-terminal.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { runAudioTerminal } from '../../../src/node/audio-driver.js';
import { startKeepalive } from '../../../src/node/media-keepalive.js';
import { MediaPortAllocator } from '../../../src/node/media-ports.js';
import { runUdpTerminal } from '../../../src/node/udp-driver.js';
import type { T30Event } from '../../../src/t30/engine.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { FAKE_MODEMS } from '../../sim/fake-modems.js';
import { samePixels } from '../../sim/t38-call.js';

const HOST = '127.0.0.1';
const SPEED = 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function page(): Bitmap {
  const b = createBitmap(1728, 120, { x: 204, y: 98 });
  fillRect(b, 30, 30, 1668, 3, true);
  drawText(b, 60, 60, 'faxwire audio to T.38 switch', 4, 4);
  return b;
}

/** Resolves with the first datagram `sock` receives (a fresh listener, removed after). */
function nextDatagram(sock: Socket, ms: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sock.off('message', on);
      resolve(undefined);
    }, ms);
    const on = (m: Buffer): void => {
      clearTimeout(timer);
      sock.off('message', on);
      resolve(m.length);
    };
    sock.on('message', on);
  });
}

describe('audio → T.38 mid-call on allocator sockets', { timeout: 30_000 }, () => {
  it('stops the audio drivers without DCN or closing RTP, then sends the page over T.38', async () => {
    const ports = new MediaPortAllocator(undefined, HOST);
    const rtpA = await ports.open('rtp');
    const rtpB = await ports.open('rtp');
    const held: Socket[] = [rtpA, rtpB];
    try {
      const pa = rtpA.address().port;
      const pb = rtpB.address().port;
      // The pinhole: B hears A's keep-alive before any audio flows.
      const heard = nextDatagram(rtpB, 1000);
      const ka = startKeepalive(rtpA, HOST, pb, 1000);
      assert.equal(await heard, 0, 'an empty keep-alive');
      ka.stop();

      const pages = [page()];
      const audioCaller = new AudioTerminal({ role: 'calling', send: { pages }, ecm: true, kit: FAKE_MODEMS });
      const audioAnswerer = new AudioTerminal({ role: 'answering', receive: true, ecm: true, kit: FAKE_MODEMS });
      const stopA = new AbortController();
      const stopB = new AbortController();
      const common = { codec: 'alaw' as const, rtp: true, localPort: 0, remoteHost: HOST, speed: SPEED, timeoutMs: 10_000, keepSocket: true };
      const audio = Promise.all([
        runAudioTerminal<T30Event>({ ...common, terminal: audioCaller, socket: rtpA, remotePort: pb, signal: stopA.signal }),
        runAudioTerminal<T30Event>({ ...common, terminal: audioAnswerer, socket: rtpB, remotePort: pa, signal: stopB.signal }),
      ]);
      await sleep(300); // 3 s of fax time: CNG/CED, the call is up — then the re-INVITE succeeds
      stopA.abort();
      stopB.abort();
      const [oa, ob] = await audio;
      const diag = JSON.stringify({ oa, ob });
      assert.ok(oa.aborted && ob.aborted && !oa.finished && !ob.finished, diag);
      assert.ok(oa.datagramsSent > 20 && ob.datagramsReceived > 20, `audio flowed: ${diag}`);
      // Not aborted, no DCN: the audio terminals simply stopped being driven.
      assert.equal(audioCaller.done, false);
      assert.equal(audioCaller.result, undefined);
      assert.equal(audioAnswerer.result, undefined);
      // The RTP sockets are still bound, and the drivers' listeners are gone.
      assert.equal(rtpA.address().port, pa);
      assert.equal(rtpA.listenerCount('message'), 0);
      assert.equal(rtpB.listenerCount('message'), 0);
      // Nothing more leaves A's RTP socket (its driver no longer ticks), and it still receives.
      // Frames sent just before the stop may still sit in B's socket buffer on a loaded host:
      // read them off first (up to a few), then A must stay silent.
      for (let i = 0; i < 20 && (await nextDatagram(rtpB, 100)) !== undefined; i++);
      assert.equal(await nextDatagram(rtpB, 150), undefined, 'A is silent after the stop');
      const back = nextDatagram(rtpA, 1000);
      rtpB.send(new Uint8Array([1, 2, 3]), pa, HOST);
      assert.equal(await back, 3, 'A still receives on its RTP port');

      // T.38 on new UDPTL sockets from the same allocator.
      const udA = await ports.open('udptl');
      const udB = await ports.open('udptl');
      held.push(udA, udB);
      const received: Bitmap[] = [];
      const caller = new T38Terminal({ role: 'calling', send: { pages } });
      const answerer = new T38Terminal({ role: 'answering', receive: true });
      const t38 = { localPort: 0, remoteHost: HOST, speed: SPEED, timeoutMs: 20_000 };
      const [ta, tb] = await Promise.all([
        runUdpTerminal<T30Event>({ ...t38, terminal: caller, socket: udA, remotePort: udB.address().port }),
        runUdpTerminal<T30Event>({
          ...t38,
          terminal: answerer,
          socket: udB,
          remotePort: udA.address().port,
          keepSocket: true,
          onEvent: (e) => {
            if (e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
          },
        }),
      ]);
      const tdiag = JSON.stringify({ ta, tb, ra: caller.result, rb: answerer.result });
      assert.ok(ta.finished && tb.finished, tdiag);
      assert.equal(caller.result?.ok, true, tdiag);
      assert.equal(received.length, 1, tdiag);
      assert.ok(samePixels(received[0]!, pages[0]!), 'pixel-identical');
      // keepSocket on B's T.38 driver: still bound; A's driver closed its socket (the default).
      assert.ok(udB.address().port > 0);
      assert.equal(udB.listenerCount('message'), 0);
      assert.throws(() => udA.address(), 'A closed');
      assert.equal(ports.inUse, 3, 'A gave its UDPTL port back by closing it');
    } finally {
      for (const s of held) ports.release(s);
    }
    assert.equal(ports.inUse, 0);
  });
});
