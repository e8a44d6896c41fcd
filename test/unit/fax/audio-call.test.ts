/**
 * Whole audio fax calls over faxwire's own modems: two AudioTerminals in virtual time exchanging
 * 20 ms frames (test/sim/audio-call.ts) — CNG/CED, V.21 HDLC, TCF, V.17 (long then short
 * training), V.29 and V.27ter pages, ECM and non-ECM — with the pages compared pixel by pixel.
 * Also through G.711 A-law and µ-law, with a lost frame in the middle of a page (ridden through
 * by fillIn; ECM repairs the frame it hit), and the call's audio recorded and handed to
 * `analyzeAudio`, which must find the same T.30 frames and extract the same pages.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeAudio } from '../../../src/analyze/analyze.js';
import { g711RoundTrip, type G711Law } from '../../../src/g711/index.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import type { T30Modem } from '../../../src/t30/negotiate.js';
import { runAudioCall, type AudioCallOutcome } from '../../sim/audio-call.js';
import { samePixels } from '../../sim/t38-call.js';

function testPage(n: number, rows = 240): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `faxwire audio call, page ${n}`, 4, 4);
  for (let i = 0; i < 4; i++) drawText(b, 60, 110 + i * 26, `line ${i}: THE QUICK BROWN FOX 0123456789`, 2, 3);
  for (let x = 0; x < 30; x++) fillRect(b, 1200 + x * 14, 100 + (x % 5) * 20, 7, 100, (x + n) % 3 !== 0);
  return b;
}

function assertDelivered(o: AudioCallOutcome, pages: Bitmap[], what: string): void {
  const diag = `${what}: caller ${JSON.stringify(o.caller.result)}\nanswerer ${JSON.stringify(o.answerer.result)}\nline ${JSON.stringify(o.answerer.getStats().line)} at ${o.endedAt}`;
  assert.ok(o.caller.done && o.answerer.done, `both done — ${diag}`);
  assert.equal(o.caller.result?.ok, true, diag);
  assert.equal(o.answerer.result?.ok, true, diag);
  assert.equal(o.received.length, pages.length, diag);
  o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical — ${diag}`));
}

const g711 = (law: G711Law) => (f: Int16Array): Int16Array => f.map((v) => g711RoundTrip(law, v));

const BIT_RATE: Record<T30Modem, number> = { v17: 14400, v29: 9600, v27ter: 4800 };

describe('audio fax calls over faxwire modems', () => {
  for (const modem of ['v17', 'v29', 'v27ter'] as T30Modem[]) {
    for (const ecm of [true, false]) {
      it(`2 pages, ${modem}, ${ecm ? 'ECM' : 'non-ECM'}`, () => {
        const pages = [testPage(1), testPage(2)];
        const o = runAudioCall({ role: 'calling', send: { pages }, ecm, modems: [modem] }, { role: 'answering', receive: true, ecm }, { limit: 200_000 });
        assertDelivered(o, pages, `${modem} ${ecm}`);
        assert.equal(o.caller.result?.bitRate, BIT_RATE[modem]);
        const line = o.answerer.getStats().line;
        assert.equal(line.fastTrainings, 3, 'TCF and two pages, each trained once');
        assert.equal(line.fastTrainingFailures, 0);
        assert.equal(line.framesBad, 0);
      });
    }
  }

  for (const law of ['alaw', 'ulaw'] as const) {
    it(`V.17 ECM through G.711 ${law}`, () => {
      const pages = [testPage(1)];
      const o = runAudioCall({ role: 'calling', send: { pages } }, { role: 'answering', receive: true }, { limit: 200_000, channel: g711(law) });
      assertDelivered(o, pages, law);
      assert.equal(o.caller.result?.bitRate, 14400);
    });
  }

  it('a frame lost in the middle of an ECM page: the receiver rides through it and ECM repairs the damage', () => {
    const pages = [testPage(1, 600)];
    let lostAt = -1;
    let pageFrames = 0;
    const o = runAudioCall({ role: 'calling', send: { pages } }, { role: 'answering', receive: true }, {
      limit: 200_000,
      channel: (f, to, i) => {
        // The 30th frame of loud audio towards the answerer after 12 s: inside the page's burst.
        if (to === 1 && i * 20 > 12_000 && lostAt < 0 && f.some((v) => Math.abs(v) > 1000) && ++pageFrames === 30) {
          lostAt = i;
          return null;
        }
        return f;
      },
    });
    assert.ok(lostAt > 0, 'a frame was dropped');
    assertDelivered(o, pages, `lost frame ${lostAt}`);
    assert.equal(o.answerer.getStats().framesLost, 1);
  });

  it('analyze demodulates the recorded call: the same T.30 frames both ways and the same page', () => {
    const pages = [testPage(1)];
    const toA: Int16Array[] = [];
    const toB: Int16Array[] = [];
    const o = runAudioCall({ role: 'calling', send: { pages }, ecm: false }, { role: 'answering', receive: true, ecm: false }, {
      limit: 200_000,
      channel: (f, to) => {
        (to === 0 ? toA : toB).push(f);
        return f;
      },
    });
    assertDelivered(o, pages, 'recorded');
    const join = (parts: Int16Array[]): Int16Array => {
      const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    };
    const r = analyzeAudio([join(toB), join(toA)], { extract: true });
    assert.ok(r.ok);
    const names = (stream: string): string[] => r.records.filter((x) => x.type === 't30' && x.stream === stream).map((x) => (x.type === 't30' ? x.name : ''));
    assert.ok(names('A1').includes('DCS') && names('A1').includes('EOP'), `caller: ${names('A1').join(' ')}`);
    assert.ok(names('A2').includes('DIS') && names('A2').includes('CFR') && names('A2').includes('MCF'), `answerer: ${names('A2').join(' ')}`);
    assert.equal(r.pages?.length, 1);
    assert.ok(samePixels(r.pages?.[0]?.bitmap ?? pages[0]!, pages[0]!), 'extracted page pixel-identical');
  });
});
