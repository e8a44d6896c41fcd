/**
 * Receiver flow control against a real transmitter: spandsp 0.0.6's T.38 terminal (t38peer)
 * sends the 3-page test document with ECM to an in-process faxwire `T38Terminal` on a real UDP
 * socket whose page sink says "not ready" (T.30 Annex A: the receiver answers the end of a page
 * with RNR, the transmitter polls with RR, T5 = 60 s bounds the wait):
 *  - busy for 12 s of fax time after the first RNR, then ready: spandsp must keep polling with RR,
 *    take the late MCF and finish OK; the pages must be pixel-identical to the original (written
 *    by faxwire's TIFF writer, compared with `tiffcmp -t`);
 *  - never ready: spandsp's own T5 must end the call (not OK), and no page is confirmed.
 * Fax clocks at --speed 8 on both sides, as the peer's self-test.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T38Terminal } from '../../src/fax/terminal/t38-terminal.js';
import { writeTiff } from '../../src/image/tiff-write.js';
import { runUdpTerminal } from '../../src/node/udp-driver.js';
import type { DrivenTerminal } from '../../src/node/real-time-loop.js';
import type { T30Event } from '../../src/t30/engine.js';
import type { Bitmap } from '../../src/t4/bitmap.js';
import { T38PEER, TEST3, ensurePeer, parseResultLine, runProc, tiffPages, tiffSamePixels, udpPortPair } from './peer.js';

const SPEED = 8;
const PROC_TIMEOUT = 150;
const BASE_PORT = 24700;

/** A page sink that is busy from the start until `busyMs` of fax time after the first RNR (never, when Infinity). */
class BusySink implements DrivenTerminal<T30Event> {
  private readyAt = Infinity;
  private started = false;
  readonly pages: Bitmap[] = [];

  constructor(
    readonly t: T38Terminal,
    private readonly busyMs: number,
  ) {}

  private policy(now: number): void {
    if (!this.started) {
      this.t.setReceiveReady(false, now);
      this.started = true;
    } else if (this.readyAt === Infinity && (this.t.getStats().t30?.rnrSent ?? 0) > 0) {
      this.readyAt = now + this.busyMs;
    } else if (now >= this.readyAt && !this.t.receiveReady) {
      this.t.setReceiveReady(true, now);
    }
  }

  start(now: number): void {
    this.policy(now);
    this.t.start(now);
  }
  receive(bytes: Uint8Array, now: number): void {
    this.policy(now);
    this.t.receive(bytes, now);
  }
  tick(now: number): void {
    this.policy(now);
    this.t.tick(now);
  }
  nextTimeout(): number | undefined {
    const t = this.t.nextTimeout();
    // Wake up when the sink becomes ready, even if nothing else is due.
    return this.readyAt !== Infinity && !this.t.receiveReady ? Math.min(t ?? Infinity, this.readyAt) : t;
  }
  takeOutput(): Uint8Array[] {
    return this.t.takeOutput();
  }
  takeEvents(): T30Event[] {
    const ev = this.t.takeEvents();
    for (const e of ev) if (e.type === 'page-rx-end' && e.accepted) this.pages.push(e.bitmap);
    return ev;
  }
  get done(): boolean {
    return this.t.done;
  }
  get result(): unknown {
    return this.t.result;
  }
  abort(now: number, why: 'local' | 'remote'): void {
    this.t.abort(now, why);
  }
}

describe('receiver flow control (RNR) against spandsp t38peer as the sender', () => {
  for (const busyMs of [12_000, Infinity]) {
    const label = busyMs === Infinity ? 'never ready: spandsp gives up at its T5' : `busy ${busyMs / 1000} s: spandsp polls with RR and completes, pages pixel-identical`;
    it(label, { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!ensurePeer(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-rnr-'));
      try {
        const [fwPort, peerPort] = await udpPortPair(BASE_PORT + (busyMs === Infinity ? 8 : 0));
        const sink = new BusySink(new T38Terminal({ role: 'answering', receive: true, ecm: true }), busyMs);
        const fw = runUdpTerminal({ terminal: sink, localPort: fwPort, localAddress: '127.0.0.1', remoteHost: '127.0.0.1', remotePort: peerPort, speed: SPEED, timeoutMs: (PROC_TIMEOUT - 10) * 1000 });
        const peer = runProc(
          T38PEER,
          ['--send', TEST3, '--local', String(peerPort), '--remote', `127.0.0.1:${fwPort}`, '--speed', String(SPEED), '--ecm', 'on', '--timeout', String(PROC_TIMEOUT - 10)],
          PROC_TIMEOUT,
        );
        const [outcome, p] = await Promise.all([fw, peer.done]);
        const pr = parseResultLine(p.stdout);
        const st = sink.t.getStats().t30;
        const diag = `\nfaxwire ${JSON.stringify(sink.t.result)} rnrSent=${st?.rnrSent} rrReceived=${st?.rrReceived} outcome=${JSON.stringify(outcome)}\n--- t38peer (rc ${p.code}):\n${p.stdout}${p.stderr.slice(-3000)}`;
        console.log(`INTEROP RNR ${label}: faxwire ${sink.t.result?.code ?? '?'} pages=${sink.pages.length} rnrSent=${st?.rnrSent} rrReceived=${st?.rrReceived}; spandsp status=${pr?.['status'] ?? '?'} "${pr?.['status_text'] ?? ''}" pages=${pr?.['pages'] ?? '?'}`);
        assert.ok(pr, `t38peer printed a RESULT line${diag}`);
        assert.ok((st?.rnrSent ?? 0) >= 1, `faxwire said RNR${diag}`);
        assert.ok((st?.rrReceived ?? 0) >= 1, `spandsp polled with RR${diag}`);
        if (busyMs === Infinity) {
          assert.notEqual(pr['status'], '0', `spandsp did not report OK${diag}`);
          assert.notEqual(sink.t.result?.ok, true, `faxwire did not report OK${diag}`);
          assert.equal(sink.pages.length, 0, `no page was confirmed${diag}`);
          // T5 is 60 s: the RR polls went on for about that long before spandsp gave up.
          assert.ok((st?.rrReceived ?? 0) >= 5, `spandsp kept polling until T5${diag}`);
        } else {
          assert.equal(pr['status'], '0', `spandsp status 0 (OK)${diag}`);
          assert.equal(pr['pages'], '3', `spandsp moved 3 pages${diag}`);
          assert.equal(sink.t.result?.ok, true, `faxwire completed${diag}`);
          assert.equal(sink.pages.length, 3, `faxwire received 3 pages${diag}`);
          const out = join(dir, 'received.tif');
          writeFileSync(out, writeTiff(sink.pages, { compression: 'mr' }));
          assert.equal(tiffPages(out), 3);
          const cmp = tiffSamePixels(TEST3, out);
          assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
