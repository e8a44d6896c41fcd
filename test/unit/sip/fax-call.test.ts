/**
 * Two faxwire user agents faxing over SIP in virtual time (test/sim/sip-call.ts): the call
 * starts in G.711, the receiver hears CNG and re-INVITEs to T.38 (T.38 Annex D), the fax runs
 * over UDPTL; a receiver with T.38 off answers 488 and the fax finishes in G.711; glare between
 * two re-INVITEs resolves by the §14.1 back-off; T.38 offered in the INVITE; SIP loss. Pages are
 * compared pixel by pixel.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { drawText, fillRect } from '../../../src/image/text.js';
import { FaxPeerPolicies } from '../../../src/sip/fax-call.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { runSipFaxCall, type SipCallSimOutcome } from '../../sim/sip-call.js';
import { samePixels } from '../../sim/t38-call.js';

function testPage(n: number, rows = 200): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `faxwire over SIP, page ${n}`, 4, 4);
  for (let x = 0; x < 30; x++) fillRect(b, 1200 + x * 14, 100 + (x % 5) * 20, 7, 80, (x + n) % 3 !== 0);
  return b;
}

function diag(o: SipCallSimOutcome): string {
  return `media ${JSON.stringify(o.mediaPath)} results ${JSON.stringify(o.results.map((r) => r && { ok: r.ok, code: r.code, pages: r.pagesSent + r.pagesReceived }))}\nSIP:\n${o.sipLog.join('\n')}`;
}

function assertDelivered(o: SipCallSimOutcome, pages: Bitmap[]): void {
  const d = diag(o);
  assert.equal(o.results[0]?.ok, true, d);
  assert.equal(o.results[1]?.ok, true, d);
  assert.equal(o.received.length, pages.length, d);
  o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical — ${d}`));
  // The fax ended the call: BYE sent and answered, both calls terminated.
  assert.ok(o.sipLog.some((l) => / BYE$/.test(l)), d);
  assert.equal(o.faxCalls[0]?.call.state, 'terminated', d);
  assert.equal(o.faxCalls[1]?.call.state, 'terminated', d);
}

describe('fax over SIP in virtual time', () => {
  for (const ecm of [true, false]) {
    it(`auto/auto${ecm ? ' (ECM)' : ''}: G.711 first, the receiver hears CNG and re-INVITEs to T.38, the fax runs over UDPTL`, () => {
      const pages = [testPage(1), testPage(2)];
      const o = runSipFaxCall({ pages, ecm, sender: { t38: 'auto' }, receiver: { t38: 'auto' } });
      assertDelivered(o, pages);
      assert.deepEqual(o.mediaPath, [['audio', 't38'], ['audio', 't38']], diag(o));
      const reinvites = o.sipLog.filter((l) => / 1→0 INVITE$/.test(l));
      assert.equal(reinvites.length, 1, diag(o));
      // The receiver switched on the caller's CNG: before the CED would have ended (~3.3 s).
      assert.ok(Number(/t=(\d+)/.exec(reinvites[0] ?? '')?.[1]) < 3300, diag(o));
      assert.ok(o.events[1].some((e) => e.type === 'reinvite-sent'));
    });
  }

  it('receiver with T.38 off: the sender re-INVITEs after its grace period, gets 488, the fax finishes in G.711; the peer is remembered', () => {
    const pages = [testPage(1)];
    const policies = new FaxPeerPolicies();
    const o = runSipFaxCall({ pages, sender: { t38: 'auto', reinviteGraceMs: 1500, policies }, receiver: { t38: 'off' } });
    assertDelivered(o, pages);
    assert.deepEqual(o.mediaPath, [['audio'], ['audio']], diag(o));
    assert.ok(o.sipLog.some((l) => / 1→0 488 /.test(l)), diag(o));
    const fb = o.events[0].find((e) => e.type === 'fallback');
    assert.ok(fb?.type === 'fallback' && fb.status === 488, diag(o));
    assert.equal(policies.get('192.0.2.2').t38, false);
    // The next call to that peer does not try T.38 again.
    const again = runSipFaxCall({ pages, sender: { t38: 'auto', reinviteGraceMs: 1500, policies }, receiver: { t38: 'off' } });
    assertDelivered(again, pages);
    assert.equal(again.sipLog.filter((l) => / INVITE$/.test(l)).length, 1, diag(again));
  });

  it('glare: both sides re-INVITE at the same moment → 491 both ways, one switch to T.38 after the back-off', () => {
    const pages = [testPage(1)];
    let forced = false;
    const o = runSipFaxCall({
      pages,
      ecm: true,
      sender: { t38: 'auto', reinviteGraceMs: 0 },
      receiver: { t38: 'auto' },
      app: (now, sim) => {
        const [a, b] = sim.faxCalls;
        if (forced || a === undefined || b === undefined) return;
        if (a.call.state !== 'confirmed' || b.call.state !== 'confirmed') return;
        forced = true;
        a.signal('ced', now);
        a.tick(now);
        b.signal('cng', now);
      },
    });
    assertDelivered(o, pages);
    assert.equal(o.sipLog.filter((l) => / 491 /.test(l)).length, 2, diag(o));
    assert.deepEqual(o.mediaPath, [['audio', 't38'], ['audio', 't38']], diag(o));
    assert.ok(o.uas[0].stats.glare + o.uas[1].stats.glare >= 2);
  });

  it('--t38 only: the INVITE offers T.38 alone and the fax runs on it from the start', () => {
    const pages = [testPage(1)];
    const o = runSipFaxCall({ pages, sender: { t38: 'only' }, receiver: { t38: 'auto' } });
    assertDelivered(o, pages);
    assert.deepEqual(o.mediaPath, [['t38'], ['t38']], diag(o));
    assert.equal(o.sipLog.filter((l) => / INVITE$/.test(l)).length, 1);
  });

  it('T.38 offered in the INVITE beside audio: the receiver takes the image stream (audio declined), no re-INVITE', () => {
    const pages = [testPage(1)];
    const o = runSipFaxCall({ pages, sender: { t38: 'auto', offerT38Initially: true }, receiver: { t38: 'auto' } });
    assertDelivered(o, pages);
    assert.deepEqual(o.mediaPath, [['t38'], ['t38']], diag(o));
  });

  it('--t38 only against a receiver with T.38 off: 488 to the INVITE, the call fails cleanly (no fax, no media)', () => {
    const o = runSipFaxCall({ pages: [testPage(1)], sender: { t38: 'only' }, receiver: { t38: 'off' }, limit: 60_000 });
    assert.ok(o.sipLog.some((l) => / 1→0 488 /.test(l)), diag(o));
    assert.deepEqual(o.mediaPath, [[], []]);
    assert.equal(o.faxCalls[0]?.call.state, 'terminated');
  });

  it('a session-timer refresh in the middle of the T.38 fax (90 s, UPDATE at 45 s) does not touch the media', () => {
    const pages = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => testPage(n, 1100));
    const o = runSipFaxCall({ pages, ecm: false, sender: { t38: 'auto', sessionExpires: 90 }, receiver: { t38: 'auto', sessionExpires: 90 } });
    assertDelivered(o, pages);
    const update = o.sipLog.find((l) => / UPDATE$/.test(l));
    assert.ok(update !== undefined, diag(o));
    const at = Number(/t=(\d+)/.exec(update)?.[1]);
    const byeAt = Number(/t=(\d+)/.exec(o.sipLog.find((l) => / BYE$/.test(l)) ?? '')?.[1]);
    assert.ok(at > 40_000 && at < byeAt, `refresh at ${at} ms, fax ended at ${byeAt} ms — ${diag(o)}`);
    assert.deepEqual(o.mediaPath, [['audio', 't38'], ['audio', 't38']], diag(o));
    assert.ok(o.events[0].some((e) => e.type === 'sip' && e.event.type === 'refreshed'));
  });

  it('20 % SIP loss each way and a ringing delay: retransmissions carry the call and the re-INVITE; the fax still completes over T.38', () => {
    const pages = [testPage(1)];
    const o = runSipFaxCall({ pages, sender: { t38: 'auto' }, receiver: { t38: 'auto' }, sip: { loss: 0.2, delay: 15 }, answerDelayMs: 2000 });
    assertDelivered(o, pages);
    assert.deepEqual(o.mediaPath[1], ['audio', 't38'], diag(o));
    assert.ok(o.sipCounters.lost > 0, 'the SIP path lost messages');
  });
});
