/**
 * T.30 procedures beyond a plain send or poll, in virtual time through the harness line:
 * turnaround polling (send, then poll on the same call: T.30 Figure 5-2, EOM back to phase B,
 * DTC, DIS bit 9), and who sends identity frames.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { interpretDis } from '../../../src/t30/dis.js';
import type { T30EngineOptions } from '../../../src/t30/engine.js';
import { decodeT30Frame, encodeT30Frame } from '../../../src/t30/frames.js';
import { assertPagesIdentical, eventsOf, fax, sentControlFrames, testPage } from './harness.js';

describe('turnaround polling: the caller sends, then polls', () => {
  const out = [testPage(70), testPage(71)];
  const back = [testPage(72, { height: 120 })];
  const caller = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'calling', send: { pages: out }, receive: true, ident: 'CALLER', ...o });
  const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, send: { pages: back }, ident: 'ANSWERER', ...o });

  for (const ecm of [false, true]) {
    it(`both documents cross on one call, pixel for pixel (${ecm ? 'ECM' : 'non-ECM'})`, () => {
      const { a, b, r } = fax(caller({ ecm }), answerer({ ecm }));
      assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
      assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
      assert.equal(r.a.result.pagesSent, 2);
      assert.equal(r.a.result.pagesReceived, 1);
      assert.equal(r.b.result.pagesSent, 1);
      assert.equal(r.b.result.pagesReceived, 2);
      assertPagesIdentical(b, out);
      assertPagesIdentical(a, back);
      const [mps, eom, eop] = ecm ? ['PPS-MPS', 'PPS-EOM', 'PPS-EOP'] : ['MPS', 'EOM', 'EOP'];
      // The caller: its pages end with EOM (not EOP), then it answers the new DIS with DTC and receives.
      assert.deepEqual(sentControlFrames(r.a.events), ['TSI', 'DCS', mps, eom, 'CIG', 'DTC', 'CFR', 'MCF']);
      // The answerer: DIS (bit 9) twice, receives, then sends its own page after the DTC and hangs up.
      assert.deepEqual(sentControlFrames(r.b.events), ['CSI', 'DIS', 'CFR', 'MCF', 'MCF', 'CSI', 'DIS', 'TSI', 'DCS', eop, 'DCN']);
      const dis = eventsOf(r.b.events, 'frame-sent').filter((e) => e.frame.type === 'DIS');
      assert.ok(dis.every((e) => e.frame.type === 'DIS' && e.frame.dis.readyToTransmitFax));
      // The phases: A, B, C, D for the send, then B, C, D again for the poll, and E.
      const phases = eventsOf(r.a.events, 'phase').map((e) => e.phase).join('');
      assert.equal(phases, 'BCDCDBCDE');
      assert.equal(eventsOf(r.a.events, 'negotiated').map((e) => e.role).join(','), 'transmitter,receiver');
      assert.equal(r.a.result.remoteIdent, 'ANSWERER');
    });
  }

  it('no turnaround when the far end has nothing to offer, or when we do not receive', () => {
    const plain = fax(caller(), { role: 'answering', receive: true });
    assert.equal(plain.r.a.result?.code, 'ok');
    assert.equal(sentControlFrames(plain.r.a.events).at(-1), 'DCN');
    assert.ok(sentControlFrames(plain.r.a.events).includes('PPS-EOP'));
    const sendOnly = fax({ role: 'calling', send: { pages: out } }, answerer());
    assert.equal(sendOnly.r.a.result?.code, 'ok');
    assert.equal(sendOnly.r.a.result.pagesReceived, 0);
    assert.ok(!sentControlFrames(sendOnly.r.a.events).includes('DTC'));
  });

  it('selective polling and password go with the turnaround DTC', () => {
    const { a, r } = fax(caller({ selectivePolling: 'DOC9', password: '4321', ident: '' }), answerer({ password: '4321' }));
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assertPagesIdentical(a, back);
    const frames = sentControlFrames(r.a.events);
    const dtc = frames.indexOf('DTC');
    assert.deepEqual(frames.slice(dtc - 2, dtc + 1), ['PWD', 'SEP', 'DTC']);
    assert.equal(r.b.result.remoteSelectivePolling, 'DOC9');
  });

  it('the DIS after EOM no longer offers a document: our document is in, the call ends ok with DCN', () => {
    let dis = 0;
    const { r } = fax(caller({ ecm: false }), answerer({ ecm: false }), {
      hdlcFrame: (f) => {
        const d = decodeT30Frame(f.frame);
        if (!d.ok || d.value.type !== 'DIS' || ++dis < 2) return undefined;
        return encodeT30Frame({ ...d.value, dis: interpretDis({ ...d.value.dis, readyToTransmitFax: false }) });
      },
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.a.result.pagesSent, 2);
    assert.equal(r.a.result.pagesReceived, 0);
    assert.equal(sentControlFrames(r.a.events).at(-1), 'DCN');
    assert.ok(eventsOf(r.a.events, 'warning').some((w) => /no longer offers/.test(w.message)));
    assert.equal(r.b.result?.code, 'dcn-waiting-command');
  });
});
