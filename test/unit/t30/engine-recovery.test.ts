/**
 * T30Engine recovery paths in virtual time: copy-quality RTN and retrain, FTT fall-back, ECM
 * selective retransmission (PPR), CTC after four PPRs, EOR at the slowest rate, RNR/RR flow
 * control, CRP, and lost commands/responses repeated after T4 — each ending in a completed
 * call with pixel-identical pages (or, for EOR, a page the receiver knows is damaged).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { T30EngineOptions, T30Event } from '../../../src/t30/engine.js';
import { encodeT30Frame, simpleFrame, type SimpleFrameType } from '../../../src/t30/frames.js';
import { TCF_MIN_ZERO_RUN_MS } from '../../../src/t30/timers.js';
import { eventsOf, fax, fcdNumber, firstDifferentRow, frameTypeOf, noisePage, sentControlFrames, SLOWEST_ECM, testPage } from './harness.js';

const caller = (o: Partial<T30EngineOptions>): T30EngineOptions => ({ role: 'calling', ident: 'TX', ...o });
const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, ident: 'RX', ...o });

/** FCD frame number of raw frame octets, or undefined. */
/** Raw bytes of a bare-FCF frame sent by the answerer (X = 0). */
const answererFrame = (t: SimpleFrameType): Uint8Array => encodeT30Frame(simpleFrame(t, { xBit: false }));

describe('non-ECM copy quality: RTN and retrain', () => {
  it('a corrupted page is answered RTN; the sender retrains one rate lower and resends it', () => {
    const pages = [testPage(100, { height: 200 })];
    const { b, r } = fax(caller({ send: { pages }, ecm: false, codings: ['mh'] }), answerer(), {
      nonEcm: (c) => {
        if (c.from !== 'a' || c.kind !== 'image' || c.signalIndex !== 0 || c.offset === 0) return undefined;
        return c.data.map((x, i) => (i % 7 === 0 ? x ^ 0x5a : x)); // damage most rows after the first chunk
      },
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok');
    assert.equal(r.a.result?.rtnCount, 1);
    assert.equal(r.b.result?.rtnCount, 1);
    assert.equal(r.a.result?.bitRate, 12000);
    const fb = eventsOf(r.a.events, 'rate-fallback');
    assert.deepEqual(fb.map((e) => [e.from, e.to, e.reason]), [['v17-14400', 'v17-12000', 'rtn']]);
    assert.deepEqual(sentControlFrames(r.b.events).filter((n) => n === 'RTN' || n === 'MCF'), ['RTN', 'MCF']);
    // The first copy was judged bad, the second is pixel-identical.
    assert.equal(b.receivedPages.length, 2);
    assert.equal(b.receivedPages[0]?.accepted, false);
    assert.ok((b.receivedPages[0]?.badRows ?? 0) > 10);
    assert.equal(b.receivedPages[1]?.accepted, true);
    assert.equal(firstDifferentRow(b.receivedPages[1]?.bitmap ?? pages[0]!, pages[0]!), -1);
    assert.equal(r.b.result?.pagesReceived, 1);
    // Retrain = DCS + TCF again.
    assert.equal(r.a.steps.filter((s) => s.kind === 'tcf').length, 2);
  });

  it('copy-quality thresholds are configurable: a lenient receiver accepts the same damage', () => {
    const pages = [testPage(101, { height: 200 })];
    const damage = (c: { from: string; kind: string; offset: number; data: Uint8Array }): Uint8Array | undefined =>
      c.from === 'a' && c.kind === 'image' && c.offset === 1024 ? c.data.map((x, i) => (i === 100 ? x ^ 0xff : x)) : undefined;
    const strict = fax(caller({ send: { pages }, ecm: false, codings: ['mh'] }), answerer({ copyQuality: { minGoodRowsPercent: 100, maxConsecutiveBad: 0 } }), { nonEcm: damage });
    assert.ok(strict.r.b.result !== undefined && strict.r.b.result.rtnCount >= 1, 'strict receiver should RTN a page with a bad row');
    const lenient = fax(caller({ send: { pages }, ecm: false, codings: ['mh'] }), answerer({ copyQuality: { minGoodRowsPercent: 50, maxConsecutiveBad: 50 } }), { nonEcm: damage });
    assert.equal(lenient.r.b.result?.rtnCount, 0);
    assert.equal(lenient.r.b.result?.code, 'ok');
    assert.ok((lenient.r.b.result?.badRows ?? 0) > 0, 'the accepted page reports its bad rows');
  });
});

describe('training: TCF check, FTT and fall-back', () => {
  it('a corrupted TCF gets FTT; the next rate trains', () => {
    const pages = [testPage(110)];
    const { b, r } = fax(caller({ send: { pages }, ecm: false }), answerer(), {
      nonEcm: (c) => (c.kind === 'tcf' && c.signalIndex === 0 && c.offset === 1024 ? c.data.map((x, i) => (i === 400 ? 0x10 : x)) : undefined),
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(r.a.result?.bitRate, 12000);
    const checks = eventsOf(r.b.events, 'tcf-checked');
    assert.deepEqual(checks.map((c) => [c.modulation, c.ok]), [['v17-14400', false], ['v17-12000', true]]);
    assert.ok((checks[0]?.longestZeroRunMs ?? 9999) < TCF_MIN_ZERO_RUN_MS);
    assert.deepEqual(eventsOf(r.a.events, 'rate-fallback').map((e) => e.reason), ['ftt']);
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
    assert.equal(b.getStats().fttSent, 1);
  });

  it('TCF criterion: one bit error early leaves a zero run ≥ 1 s, which is accepted', () => {
    const { r } = fax(caller({ send: { pages: [testPage(111)] }, ecm: false }), answerer(), {
      // octet 200 of 2700 at 14400 bit/s: the run after it lasts ~1.39 s
      nonEcm: (c) => (c.kind === 'tcf' && c.offset === 0 ? c.data.map((x, i) => (i === 200 ? 0x01 : x)) : undefined),
    });
    const checks = eventsOf(r.b.events, 'tcf-checked');
    assert.equal(checks[0]?.ok, true);
    assert.ok((checks[0]?.longestZeroRunMs ?? 0) >= TCF_MIN_ZERO_RUN_MS && (checks[0]?.longestZeroRunMs ?? 0) < 1500);
    assert.equal(r.a.result?.bitRate, 14400);
  });

  it('the fall-back sequence is 14400 → 12000 → 9600 → 7200 → 4800 → 2400, then "cannot train"', () => {
    const { r } = fax(caller({ send: { pages: [testPage(112)] } }), answerer(), {
      nonEcm: (c) => (c.kind === 'tcf' ? c.data.map((x, i) => (i % 50 === 0 ? 0xff : x)) : undefined),
    });
    assert.equal(r.a.result?.code, 'cannot-train');
    assert.equal(r.a.result?.ok, false);
    const tried = r.a.steps.filter((s) => s.kind === 'tcf').map((s) => (s.kind === 'tcf' ? s.modulation : ''));
    assert.deepEqual(tried, ['v17-14400', 'v17-12000', 'v17-9600', 'v17-7200', 'v27ter-4800', 'v27ter-2400']);
    assert.equal(r.b.result?.code, 'dcn-waiting-command');
    assert.equal(sentControlFrames(r.a.events).at(-1), 'DCN');
  });
});

describe('ECM: PPR, CTC, EOR, RNR', () => {
  it('dropped FCD frames are asked for with PPR and resent; the page is pixel-identical', () => {
    const pages = [testPage(120, { height: 240 })];
    const drop = new Set([2, 5, 9]);
    let firstBurst = true;
    const { b, r } = fax(caller({ send: { pages }, codings: ['mh'], ecmFrameSize: 64 }), answerer(), {
      hdlcFrame: (f) => {
        const n = fcdNumber(f);
        if (f.from === 'a' && frameTypeOf(f.frame) === 'RCP') firstBurst = false;
        return n !== undefined && firstBurst && drop.has(n) ? 'drop' : undefined;
      },
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok');
    const pprRx = eventsOf(r.a.events, 'ppr');
    assert.equal(pprRx.length, 1);
    assert.deepEqual(pprRx[0]?.frames, [2, 5, 9]);
    assert.deepEqual(eventsOf(r.b.events, 'ppr').map((e) => e.frames), [[2, 5, 9]]);
    assert.equal(r.a.result?.ecmRetries, 3);
    const bursts = eventsOf(r.a.events, 'ecm-block-sent');
    assert.deepEqual(bursts.map((e) => [e.frames, e.retransmission]).slice(1), [[3, true]]);
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
    assert.equal(framesResent(r.a.events), 3);
  });

  it('frames with a bad FCS count as missing, like lost ones', () => {
    const pages = [testPage(121)];
    let n = 0;
    const { b, r } = fax(caller({ send: { pages }, ecmFrameSize: 64, codings: ['mh'] }), answerer(), {
      hdlcFrame: (f) => (fcdNumber(f) === 1 && n++ === 0 ? 'bad' : undefined),
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.deepEqual(eventsOf(r.a.events, 'ppr').map((e) => e.frames), [[1]]);
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
  });

  it('after the 4th PPR the sender sends CTC at the next lower rate, gets CTR and retrains long', () => {
    const pages = [testPage(122, { height: 200 })];
    let dropped = 0;
    const { b, r } = fax(caller({ send: { pages }, ecmFrameSize: 64, codings: ['mh'] }), answerer(), {
      hdlcFrame: (f) => (fcdNumber(f) === 3 && dropped < 4 ? (dropped++, 'drop') : undefined),
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok');
    assert.deepEqual(eventsOf(r.a.events, 'ppr').map((e) => e.count), [1, 2, 3, 4]);
    const ctc = eventsOf(r.a.events, 'ctc');
    assert.deepEqual(ctc.map((e) => [e.direction, e.modulation]), [['sent', 'v17-12000']]);
    assert.deepEqual(eventsOf(r.b.events, 'ctc').map((e) => e.modulation), ['v17-12000']);
    assert.deepEqual(eventsOf(r.a.events, 'rate-fallback').map((e) => e.reason), ['ctc']);
    assert.ok(sentControlFrames(r.b.events).includes('CTR'));
    // The burst after CTR trains long at the new rate.
    const bursts = r.a.steps.filter((s) => s.kind === 'hdlc' && s.modulation !== 'v21');
    const last = bursts.at(-1);
    assert.ok(last?.kind === 'hdlc' && last.modulation === 'v17-12000' && last.shortTrain === false);
    assert.equal(r.a.result?.bitRate, 12000);
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
  });

  it('at the slowest rate the 4th PPR leads to EOR/ERR: the page goes on with the hole', () => {
    const pages = [testPage(123, { height: 120 })];
    const { b, r } = fax(caller({ send: { pages }, ...SLOWEST_ECM }), answerer(), {
      hdlcFrame: (f) => (fcdNumber(f) === 2 ? 'drop' : undefined),
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(eventsOf(r.a.events, 'eor').length, 1);
    assert.equal(eventsOf(r.b.events, 'eor').length, 1);
    assert.ok(sentControlFrames(r.b.events).includes('ERR'));
    assert.equal(eventsOf(r.a.events, 'page-tx-end')[0]?.response, 'ERR');
    const rx = b.receivedPages[0];
    assert.ok(rx !== undefined);
    assert.notEqual(firstDifferentRow(rx.bitmap, pages[0]!), -1, 'a frame is missing, so the page cannot be identical');
    assert.equal(r.b.result?.pagesReceived, 1);
  });

  it('RNR: the sender polls with RR until the receiver is ready', () => {
    let replaced = 0;
    const pages = [testPage(124)];
    const { b, r } = fax(caller({ send: { pages } }), answerer(), {
      hdlcFrame: (f) => (f.from === 'b' && frameTypeOf(f.frame) === 'MCF' && replaced < 2 ? (replaced++, answererFrame('RNR')) : undefined),
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(sentControlFrames(r.a.events).filter((n) => n === 'RR').length, 2);
    assert.equal(sentControlFrames(r.b.events).filter((n) => n === 'MCF').length, 3); // 2 became RNR on the line
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
  });
});

describe('repeats: CRP and lost frames', () => {
  it('a corrupted MPS is answered CRP and repeated', () => {
    let hit = false;
    const pages = [testPage(130), testPage(131)];
    const { a, b, r } = fax(caller({ send: { pages }, ecm: false }), answerer(), {
      hdlcFrame: (f) => (f.from === 'a' && !hit && frameTypeOf(f.frame) === 'MPS' ? ((hit = true), 'bad') : undefined),
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(b.getStats().crpSent, 1);
    assert.equal(a.getStats().crpReceived, 1);
    assert.equal(sentControlFrames(r.a.events).filter((n) => n === 'MPS').length, 2);
    assert.equal(r.b.result?.pagesReceived, 2);
  });

  it('a lost MCF: T4 expires, MPS is repeated, the receiver repeats MCF without counting a page twice', () => {
    let dropped = false;
    const pages = [testPage(132), testPage(133)];
    const { b, r } = fax(caller({ send: { pages }, ecm: false }), answerer(), {
      hdlcFrame: (f) => (f.from === 'b' && !dropped && frameTypeOf(f.frame) === 'MCF' ? ((dropped = true), 'drop') : undefined),
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(r.b.result?.pagesReceived, 2);
    assert.equal(b.receivedPages.length, 2);
    assert.equal(sentControlFrames(r.b.events).filter((n) => n === 'MCF').length, 3);
    pages.forEach((p, i) => assert.equal(firstDifferentRow(b.receivedPages[i]!.bitmap, p), -1));
  });

  for (const lost of ['DCS', 'CFR', 'PPS-EOP', 'DIS'] as const) {
    it(`a lost ${lost} is recovered by repetition`, () => {
      let dropped = false;
      const pages = [testPage(134)];
      const { b, r } = fax(caller({ send: { pages } }), answerer(), {
        hdlcFrame: (f) => (!dropped && frameTypeOf(f.frame) === lost ? ((dropped = true), 'drop') : undefined),
      });
      assert.ok(dropped);
      assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
      assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
      assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
    });
  }

  it('CFR lost and the repeated DCS garbled: the TCF taken for a page is dropped when DCS comes again', () => {
    let cfrDropped = false;
    let dcsSeen = 0;
    const pages = [testPage(138)];
    const { b, r } = fax(caller({ send: { pages }, ecm: false }), answerer(), {
      hdlcFrame: (f) => {
        const t = frameTypeOf(f.frame);
        if (t === 'CFR' && !cfrDropped) return (cfrDropped = true), 'drop';
        if (t === 'DCS' && ++dcsSeen === 2) return 'bad';
        return undefined;
      },
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assert.equal(dcsSeen, 3);
    assert.equal(b.receivedPages.length, 1);
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
    assert.ok(eventsOf(r.b.events, 'warning').some((w) => /was a TCF/.test(w.message)));
  });

  it('lost RCPs: the PPS alone closes the block', () => {
    const pages = [testPage(135)];
    const { b, r } = fax(caller({ send: { pages } }), answerer(), {
      hdlcFrame: (f) => (frameTypeOf(f.frame) === 'RCP' ? 'drop' : undefined),
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
  });

  it('a lost PPR: PPS is repeated and the receiver asks again', () => {
    let droppedFcd = false;
    let droppedPpr = false;
    const pages = [testPage(136)];
    const { b, r } = fax(caller({ send: { pages }, ecmFrameSize: 64, codings: ['mh'] }), answerer(), {
      hdlcFrame: (f) => {
        if (!droppedFcd && fcdNumber(f) === 0) return (droppedFcd = true), 'drop';
        if (!droppedPpr && f.from === 'b' && frameTypeOf(f.frame) === 'PPR') return (droppedPpr = true), 'drop';
        return undefined;
      },
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(eventsOf(r.b.events, 'ppr').length, 2);
    assert.equal(firstDifferentRow(b.receivedPages[0]!.bitmap, pages[0]!), -1);
  });

  it('multi-block ECM page with losses in several blocks', () => {
    const pages = [noisePage(9, 120), testPage(137)];
    const { b, r } = fax(caller({ send: { pages }, codings: ['mh'], ecmFrameSize: 64 }), answerer(), {
      hdlcFrame: (f) => (f.from === 'a' && f.index % 97 === 13 ? 'drop' : undefined),
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.ok(eventsOf(r.a.events, 'ppr').length >= 2);
    pages.forEach((p, i) => assert.equal(firstDifferentRow(b.receivedPages[i]!.bitmap, p), -1));
  });
});

function framesResent(events: readonly T30Event[]): number {
  return eventsOf(events, 'ecm-block-sent').reduce((n, e) => n + (e.retransmission ? e.frames : 0), 0);
}
