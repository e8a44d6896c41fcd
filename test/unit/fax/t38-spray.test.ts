/**
 * The receiver's restart rule on its own (issue 9), in virtual time: two T38Terminals send 3
 * pages while well-formed UDPTL datagrams with MALFORMED IFPs at random seqs are injected into
 * both directions — past any source filter, as if they came from the far end's own address.
 * One such datagram used to restart the receiver's sequence (or, less than 2000 ahead, make the
 * real stream "late" for up to 2000 datagrams). Now none may move the stream: the fax completes
 * pixel-exact, with no restart and every injected datagram counted in `suspectJumps` (or `late`).
 * (Valid-looking IFPs from the latched source itself are out of scope: see source-filter.ts.)
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drawText, fillRect } from '../../../src/image/text.js';
import { encodeUdptl } from '../../../src/t38/udptl.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { xorshift32 } from '../../../src/util/random.js';
import type { PacketNetwork } from '../../sim/network-api.js';
import { VirtualNet } from '../../sim/network.js';
import { runT38Call, samePixels } from '../../sim/t38-call.js';

function page(n: number): Bitmap {
  const b = createBitmap(1728, 400, { x: 204, y: 196 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `faxwire spray test page ${n}`, 4, 4);
  for (let i = 0; i < 8; i++) drawText(b, 60, 110 + i * 30, `line ${i} of page ${n}: 0123456789 THE QUICK BROWN FOX`, 2, 3);
  return b;
}

/** A clean VirtualNet plus `perSecond` (fax time) malformed-IFP datagrams at random seqs towards each end. */
class SprayedNet implements PacketNetwork {
  private readonly inner = new VirtualNet({}, xorshift32(3));
  private readonly rng = xorshift32(0x51ab);
  private nextSpray = 0;
  injected = 0;
  constructor(private readonly perSecond: number) {}
  send(to: 0 | 1, bytes: Uint8Array, now: number): void {
    this.inner.send(to, bytes, now);
  }
  next(): number | undefined {
    const n = this.inner.next();
    return n === undefined ? this.nextSpray : Math.min(n, this.nextSpray);
  }
  due(now: number): readonly { readonly to: 0 | 1; readonly bytes: Uint8Array }[] {
    const out: { to: 0 | 1; bytes: Uint8Array }[] = [...this.inner.due(now)];
    while (this.nextSpray <= now) {
      for (const to of [0, 1] as const) {
        const primary = new Uint8Array([0xa0, this.rng() & 0xff, 0x55]); // decodes in neither module
        out.push({ to, bytes: encodeUdptl({ seq: this.rng() & 0xffff, primary, recovery: { kind: 'secondary', secondaries: [primary] } }) });
        this.injected++;
      }
      this.nextSpray += 1000 / this.perSecond;
    }
    return out;
  }
}

describe('malformed IFPs at random seqs inside the stream never restart the receiver (virtual time)', () => {
  const pages = [page(1), page(2), page(3)];
  for (const perSecond of [5, 300]) {
    for (const ecm of [true, false]) {
      it(`${perSecond}/s each way, ${ecm ? 'ECM' : 'non-ECM'}: 3 pages pixel-exact, no restart`, () => {
        const net = new SprayedNet(perSecond);
        const o = runT38Call({ role: 'calling', send: { pages }, ecm }, { role: 'answering', receive: true, ecm }, net, { limit: 400_000 });
        const diag = `caller ${JSON.stringify(o.caller.result)}\nanswerer ${JSON.stringify(o.answerer.result)}\nat ${o.endedAt}, injected ${net.injected}`;
        assert.equal(o.caller.result?.ok, true, diag);
        assert.equal(o.answerer.result?.ok, true, diag);
        assert.equal(o.received.length, 3, diag);
        o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical — ${diag}`));
        let suspect = 0;
        for (const t of [o.caller, o.answerer]) {
          const st = t.getStats().udptlRx;
          assert.equal(st?.restarts, 0, diag);
          suspect += (st?.suspectJumps ?? 0) + (st?.late ?? 0);
        }
        assert.ok(suspect > 0 && suspect <= net.injected, diag);
      });
    }
  }
});
