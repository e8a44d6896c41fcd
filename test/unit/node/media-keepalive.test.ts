/**
 * Pinhole keep-alives (src/node/media-keepalive.ts) over loopback UDP: the first one leaves at
 * once, then one per period, empty (RFC 6263 §4.1) and from the media socket's own port; stop()
 * and closing the socket end them; a caller's payload is sent as given; and faxwire's own
 * receivers drop an empty datagram (not RTP, not UDPTL, never latches a source filter).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { startKeepalive, MEDIA_KEEPALIVE_MS } from '../../../src/node/media-keepalive.js';
import { openUdpSocket } from '../../../src/node/udp-driver.js';
import { AudioFraming } from '../../../src/node/audio-frames.js';
import { decodeRtp } from '../../../src/rtp/packet.js';
import { decodeUdptl } from '../../../src/t38/udptl.js';
import { isValidUdptl, SourceFilter } from '../../../src/t38/source-filter.js';
import { FaxwireError } from '../../../src/util/errors.js';

const HOST = '127.0.0.1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Heard {
  readonly len: number;
  readonly port: number;
  readonly at: number;
  readonly bytes: Uint8Array;
}

async function listener(): Promise<{ sock: Socket; heard: Heard[] }> {
  const sock = await openUdpSocket(0, HOST);
  const heard: Heard[] = [];
  const t0 = performance.now();
  sock.on('message', (m, r) => heard.push({ len: m.length, port: r.port, at: performance.now() - t0, bytes: new Uint8Array(m) }));
  return { sock, heard };
}

describe('startKeepalive', { timeout: 10_000 }, () => {
  it('sends an empty datagram at once, then one per period, from the media port; stop() ends it', async () => {
    const media = await openUdpSocket(0, HOST);
    const far = await listener();
    try {
      const ka = startKeepalive(media, HOST, far.sock.address().port, 60);
      await sleep(30);
      assert.equal(far.heard.length, 1, 'the first one leaves at once, not after a period');
      await sleep(200);
      ka.stop();
      await sleep(20); // the last one in flight
      const n = far.heard.length;
      // One at once and one per 60 ms over 230 ms makes 4; a loaded machine runs timers late.
      assert.ok(n >= 2 && n <= 5, `about one per 60 ms over 230 ms, got ${n}`);
      assert.equal(ka.sent, n);
      assert.equal(ka.errors, 0);
      for (const h of far.heard) {
        assert.equal(h.len, 0, 'empty datagram');
        assert.equal(h.port, media.address().port, 'from the media socket itself (the pinhole is per source port)');
      }
      await sleep(150);
      assert.equal(far.heard.length, n, 'nothing after stop()');
      ka.stop(); // idempotent
    } finally {
      media.close();
      far.sock.close();
    }
  });

  it('stops by itself when the media socket closes (the driver took over and ended)', async () => {
    const media = await openUdpSocket(0, HOST);
    const far = await listener();
    try {
      const ka = startKeepalive(media, HOST, far.sock.address().port, 40);
      await sleep(60);
      await new Promise<void>((r) => media.close(() => r()));
      const sent = ka.sent;
      await sleep(150);
      assert.equal(ka.sent, sent, 'no send attempts after close');
      assert.equal(ka.errors, 0);
      // (dgram keeps close()'s own callback as a 'close' listener, so count the 'error' ones.)
      assert.equal(media.listenerCount('error'), 0, 'its listeners are gone');
    } finally {
      far.sock.close();
    }
  });

  it('sends a caller-given payload as is (e.g. an RFC 6263 §4.6 RTP packet)', async () => {
    const media = await openUdpSocket(0, HOST);
    const far = await listener();
    const rtp = new Uint8Array([0x80, 0x7f, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4]); // V=2, PT=127 (never negotiated here)
    try {
      const ka = startKeepalive(media, HOST, far.sock.address().port, 1000, rtp);
      await sleep(50);
      ka.stop();
      assert.equal(far.heard.length, 1);
      assert.deepEqual(far.heard[0]!.bytes, rtp);
    } finally {
      media.close();
      far.sock.close();
    }
  });

  it('defaults to RFC 6263 Tr (15 s) and refuses nonsense', () => {
    assert.equal(MEDIA_KEEPALIVE_MS, 15_000);
    const s = createSocket('udp4');
    try {
      assert.throws(() => startKeepalive(s, HOST, 5000, 0), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
      assert.throws(() => startKeepalive(s, HOST, 5000, Number.NaN), FaxwireError);
      assert.throws(() => startKeepalive(s, HOST, 0, 1000), FaxwireError);
      assert.throws(() => startKeepalive(s, HOST, 5000, 1000, new Uint8Array(2000)), FaxwireError);
    } finally {
      s.close();
    }
  });

  it("faxwire's receivers drop the empty datagram: not RTP, not UDPTL, not an audio frame, never latched", () => {
    const empty = new Uint8Array(0);
    const rtp = decodeRtp(empty);
    assert.equal(rtp.ok, false);
    if (!rtp.ok) assert.equal(rtp.error.code, 'truncated-header');
    assert.equal(decodeUdptl(empty).ok, false);
    assert.equal(isValidUdptl(empty), false);
    assert.equal(new AudioFraming({ codec: 'alaw', rtp: true }).isValid(empty), false);
    assert.equal(new AudioFraming({ codec: 'slin' }).isValid(empty), false);
    // A latching filter (NAT) must not take a keep-alive's source as the far end.
    const f = new SourceFilter({ remote: { address: '192.0.2.1', port: 4000 }, latch: true });
    assert.equal(f.accept(empty, { address: '198.51.100.7', port: 5000 }), false);
    assert.equal(f.latchedTo, undefined);
  });
});
