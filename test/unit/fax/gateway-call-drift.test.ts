/**
 * Clock drift through the gateways (issue 11 §4): a 20-page non-ECM fax, V.17 14400, audio fax
 * → gateway → IP → gateway → audio fax, with the sending fax machine's clock +1000 ppm and the
 * receiving one's −1000 ppm, and the reverse. Each gateway's audio side is slaved to its own fax
 * machine (test/sim/gateway-call.ts), so the receiving gateway is handed image data 0.2 % faster
 * (or slower) than its fax machine takes it: over a full A4 page at 14400 (here the demo's
 * fine-resolution A4 page, page 10) that is tens of ms that must be absorbed in the silences and
 * at EOLs, never by slipping samples inside a burst — non-ECM has no repair, so any slip shows
 * as a bad row or a changed pixel. Every page must arrive pixel-identical and whole, no RTN, no
 * bad rows, and each gateway's drift estimate must have the sign and rough size of its fax
 * machine's clock offset against the IP side's wall clock. Then the same document between an
 * audio fax machine ±1000 ppm off and a T.38 terminal (topology B), each way.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { demoPage } from '../../../src/cli/demo.js';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { runGatewayCall } from '../../sim/gateway-call.js';
import { assertGatewayCall, printOutcome, testPage } from './gateway-call-check.js';

/** 20 pages: 19 small ones (60…240 rows) and a full-length A4 page at fine resolution as page 10. */
function document20(): Bitmap[] {
  const pages: Bitmap[] = [];
  for (let i = 1; i <= 20; i++) pages.push(i === 10 ? demoPage(1, 2) : testPage(100 + i, 60 + ((i * 37) % 181)));
  return pages;
}

describe('gateway calls with the two fax machines ±1000 ppm apart, 20 pages non-ECM', () => {
  for (const [txPpm, rxPpm] of [
    [1000, -1000],
    [-1000, 1000],
  ] as const) {
    it(`sending fax ${txPpm > 0 ? '+' : ''}${txPpm} ppm, receiving fax ${rxPpm > 0 ? '+' : ''}${rxPpm} ppm`, (t) => {
      const pages = document20();
      const o = runGatewayCall(
        { audio: { role: 'calling', send: { pages }, ecm: false, modems: ['v17'] }, ppm: txPpm },
        { audio: { role: 'answering', receive: true, ecm: false, modems: ['v17'] }, ppm: rxPpm },
        { limit: 900_000 },
      );
      printOutcome(t, o);
      assertGatewayCall(o, pages, { bitRate: 14400, ecm: false });
      // The harness's clocks: each fax machine exchanged its frames at its own rate.
      for (const [e, ppm] of [
        [o.caller, txPpm],
        [o.answerer, rxPpm],
      ] as const) {
        assert.ok(Math.abs(e.frames - Math.ceil((o.endedAt * (1 + ppm * 1e-6)) / 20)) <= 1, `${e.frames} frames in ${o.endedAt} ms at ${ppm} ppm`);
      }
      const rx = o.answerer.result;
      assert.equal(rx?.badRows, 0, 'no bad rows');
      assert.equal(rx?.rtnCount, 0, 'no page answered RTN');
      // The gateway's estimate: its audio clock (= its fax machine's) against the T.38 side's.
      for (const [e, ppm] of [
        [o.caller, txPpm],
        [o.answerer, rxPpm],
      ] as const) {
        const est = e.summary?.driftPpm;
        assert.ok(est !== undefined && Math.abs(est - ppm) <= 250, `drift estimate ${est} ppm for a fax at ${ppm} ppm`);
      }
    });
  }

  // Topology B: the audio fax machine's clock against a T.38 terminal's (the IP side's wall
  // clock): the whole ±1000 ppm lands on the one gateway, in whichever direction the pages go.
  for (const [sender, ppm] of [
    ['audio', 1000],
    ['t38', -1000],
  ] as const) {
    it(`B: ${sender === 'audio' ? `the audio fax (+${ppm} ppm) sends to a T.38 terminal` : `a T.38 terminal sends to the audio fax (${ppm} ppm)`}`, (t) => {
      const pages = document20();
      const tx = { role: 'calling' as const, send: { pages }, ecm: false, modems: ['v17' as const] };
      const rx = { role: 'answering' as const, receive: true, ecm: false, modems: ['v17' as const] };
      const o = sender === 'audio' ? runGatewayCall({ audio: tx, ppm }, { t38: rx }, { limit: 900_000 }) : runGatewayCall({ t38: tx }, { audio: rx, ppm }, { limit: 900_000 });
      printOutcome(t, o);
      assertGatewayCall(o, pages, { bitRate: 14400, ecm: false });
      assert.equal(o.answerer.result?.badRows, 0, 'no bad rows');
      assert.equal(o.answerer.result?.rtnCount, 0, 'no page answered RTN');
      const gw = o.caller.kind === 'audio' ? o.caller : o.answerer;
      const est = gw.summary?.driftPpm;
      assert.ok(est !== undefined && Math.abs(est - ppm) <= 250, `drift estimate ${est} ppm for a fax at ${ppm} ppm`);
    });
  }
});
