/**
 * T.30 procedures beyond a plain send or poll, in virtual time through the harness line:
 * turnaround polling (send, then poll on the same call: T.30 Figure 5-2, EOM back to phase B,
 * DTC, DIS bit 9), receiver flow control (Annex A: RNR/RR, T5), procedure interrupts handled
 * without an operator (PRI-Q, PIP, PIN: §5.3.6.1.6–7, §5.4.3.1 T3), and who sends identity frames.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { interpretDis } from '../../../src/t30/dis.js';
import { T30Engine, type T30EngineOptions } from '../../../src/t30/engine.js';
import { decodeT30Frame, encodeT30Frame, frameName, simpleFrame, type SimpleFrameType } from '../../../src/t30/frames.js';
import { T30_T5_MS } from '../../../src/t30/timers.js';
import { assertPagesIdentical, eventsOf, fax, fcdNumber, frameTypeOf, sentControlFrames, SLOWEST_ECM, testPage, VirtualCall, type FrameFate, type HdlcFrameInfo, type RunReport } from './harness.js';

/** Raw bytes of a bare-FCF frame. */
const simple = (t: SimpleFrameType, xBit: boolean): Uint8Array => encodeT30Frame(simpleFrame(t, { xBit }));

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

describe('receiver flow control: RNR while the page sink is not ready (Annex A)', () => {
  const pages = [testPage(80), testPage(81)];
  const caller = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'calling', send: { pages }, ...o });
  const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, ...o });

  it('a sink slow for less than T5: RNR/RR until it is ready, then MCF; the fax completes intact', () => {
    const a = new T30Engine(caller());
    const b = new T30Engine(answerer());
    b.setReceiveReady(false, 0);
    const readyAt = 40_000;
    const r = new VirtualCall(a, b, { actions: [{ atMs: readyAt, fn: (now) => b.setReceiveReady(true, now) }] }).run();
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assertPagesIdentical(b, pages);
    // Page 1's PPS-MPS was answered RNR until the sink was ready; page 2 then went through at once.
    const bFrames = sentControlFrames(r.b.events);
    const firstMcf = bFrames.indexOf('MCF');
    assert.ok(bFrames.slice(0, firstMcf).filter((n) => n === 'RNR').length > 5);
    assert.ok(!bFrames.slice(firstMcf).includes('RNR'));
    const rxEnd = eventsOf(r.b.events, 'page-rx-end');
    assert.ok((rxEnd[0]?.at ?? 0) >= readyAt, 'page 1 delivered only once the sink was ready');
    const aStats = a.getStats();
    const bStats = b.getStats();
    assert.equal(bStats.rnrSent, aStats.rnrReceived);
    assert.equal(aStats.rrSent, bStats.rrReceived);
    assert.ok(bStats.rnrSent > 5);
    assert.equal(aStats.timers.T5, undefined);
    // The transmitter moved IV_PPS_Q → IV_PPS_RNR; the receiver F_POST_DOC_ECM → F_POST_RCP_RNR → F_POST_RCP_MCF.
    assert.ok(eventsOf(r.a.events, 'state').some((e) => e.from === 'IV_PPS_Q' && e.to === 'IV_PPS_RNR'));
    assert.ok(eventsOf(r.b.events, 'state').some((e) => e.from === 'F_POST_RCP_RNR' && e.to === 'F_POST_RCP_MCF'));
  });

  it('a sink not ready for longer than T5: the transmitter ends with t5-expired and sends DCN', () => {
    const a = new T30Engine(caller());
    const b = new T30Engine(answerer());
    b.setReceiveReady(false, 0);
    const r = new VirtualCall(a, b).run();
    assert.equal(r.a.result?.code, 't5-expired');
    assert.match(r.a.result.message, /not ready for 60 s/);
    assert.equal(sentControlFrames(r.a.events).at(-1), 'DCN');
    assert.equal(r.b.result?.code, 'dcn-during-ecm');
    assert.match(r.b.result.message, /not ready/);
    assert.equal(b.receivedPages.length, 0);
    assert.equal(r.a.result.pagesSent, 0);
    const firstRnr = eventsOf(r.a.events, 'frame-received').find((e) => e.frame?.type === 'RNR')?.at ?? 0;
    const end = eventsOf(r.a.events, 'complete')[0]?.at ?? 0;
    assert.ok(Math.abs(end - firstRnr - T30_T5_MS) < 1, `T5 ran ${end - firstRnr} ms`);
    assert.ok(a.getStats().rrSent > 10);
    // Every RNR but one still under way when T5 expired reached the transmitter.
    assert.ok(b.getStats().rnrSent - a.getStats().rnrReceived <= 1);
  });

  it('RNR answers EOR too (IV_EOR_RNR): ERR follows once the sink is ready', () => {
    // At 2400 bit/s with frame 2 of the block lost, the 4th PPR leads to EOR (no lower rate).
    const dropFcd2 = (f: HdlcFrameInfo): 'drop' | undefined => (fcdNumber(f) === 2 ? 'drop' : undefined);
    const slow = caller({ send: { pages: [testPage(82)] }, ...SLOWEST_ECM });
    const run = (notReadyUntil: number): { a: T30Engine; b: T30Engine; r: RunReport; eorAt: number } => {
      const a = new T30Engine(slow);
      const b = new T30Engine(answerer());
      if (notReadyUntil > 0) b.setReceiveReady(false, 0);
      let eorAt = Infinity;
      const r = new VirtualCall(a, b, {
        hdlcFrame: (f) => {
          if (f.from === 'a' && frameTypeOf(f.frame).startsWith('EOR')) eorAt = Math.min(eorAt, f.at);
          return dropFcd2(f);
        },
        actions: notReadyUntil > 0 ? [{ atMs: notReadyUntil, fn: (now) => b.setReceiveReady(true, now) }] : [],
      }).run();
      return { a, b, r, eorAt };
    };
    const eorAt = run(0).eorAt; // the same call with a ready sink: when EOR goes out
    assert.ok(Number.isFinite(eorAt));
    const { a, b, r } = run(eorAt + 20_000);
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assert.ok(eventsOf(r.a.events, 'state').some((e) => e.from === 'IV_EOR' && e.to === 'IV_EOR_RNR'));
    const bFrames = sentControlFrames(r.b.events);
    const rnr = bFrames.indexOf('RNR');
    assert.ok(rnr > 0 && bFrames.indexOf('ERR') > rnr, bFrames.join(' '));
    assert.equal(b.getStats().eorReceived, 1);
    assert.ok(b.getStats().rnrSent > 3);
    assert.equal(a.getStats().rnrReceived, b.getStats().rnrSent);
    assert.equal(b.receivedPages.length, 1);
  });

  it('a lost RNR (PPS repeated) and a lost MCF after it (RR repeated) are recovered', () => {
    const a = new T30Engine(caller());
    const b = new T30Engine(answerer());
    b.setReceiveReady(false, 0);
    let rnr = 0;
    let mcfAfterRnr = 0;
    const r = new VirtualCall(a, b, {
      hdlcFrame: (f) => {
        if (f.from !== 'b') return undefined;
        const t = frameTypeOf(f.frame);
        if (t === 'RNR') return ++rnr === 1 ? 'drop' : undefined;
        if (t === 'MCF' && rnr > 0) return ++mcfAfterRnr === 1 ? 'drop' : undefined;
        return undefined;
      },
      actions: [{ atMs: 30_000, fn: (now) => b.setReceiveReady(true, now) }],
    }).run();
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assertPagesIdentical(b, pages);
    const aFrames = sentControlFrames(r.a.events);
    assert.deepEqual(aFrames.slice(aFrames.indexOf('PPS-MPS'), aFrames.indexOf('PPS-MPS') + 3), ['PPS-MPS', 'PPS-MPS', 'RR']);
    assert.ok(a.getStats().commandRepeats >= 2);
  });

  it('T5 bounds the wait even when the receiver mixes RNR with PPR (PPR does not reset T5)', () => {
    // The receiver's MCFs are turned alternately into RNR and into a PPR for frame 0.
    let n = 0;
    const ppr0 = encodeT30Frame({ type: 'PPR', final: true, xBit: false, frames: [0] });
    const { a, r } = fax(caller(), answerer(), {
      hdlcFrame: (f) => (f.from === 'b' && frameTypeOf(f.frame) === 'MCF' ? (++n % 2 === 1 ? simple('RNR', false) : ppr0) : undefined),
    });
    assert.equal(r.a.result?.code, 't5-expired', r.a.result?.message);
    assert.ok(a.getStats().pprReceived >= 2);
    const firstRnr = eventsOf(r.a.events, 'frame-received').find((e) => e.frame?.type === 'RNR')?.at ?? 0;
    const end = eventsOf(r.a.events, 'complete')[0]?.at ?? 0;
    assert.ok(Math.abs(end - firstRnr - T30_T5_MS) < 1, `T5 ran ${end - firstRnr} ms`);
  });

  it('non-ECM has no RNR: pages are answered as usual, with a warning', () => {
    const a = new T30Engine(caller({ ecm: false }));
    const b = new T30Engine(answerer());
    b.setReceiveReady(false, 0);
    const r = new VirtualCall(a, b).run();
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(r.b.result?.code, 'ok');
    assertPagesIdentical(b, pages);
    assert.equal(b.getStats().rnrSent, 0);
    assert.equal(eventsOf(r.b.events, 'warning').filter((w) => /no flow control/.test(w.message)).length, 2);
    assert.equal(b.receiveReady, false);
  });
});

describe('procedure interrupts without an operator (PRI-Q, PIP, PIN)', () => {
  const pages = [testPage(90), testPage(91)];
  const caller = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'calling', send: { pages }, ...o });
  const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, ...o });
  /** Replaces the `n`-th (1-based) frame of type `type` that `from` sends. */
  const replaceNth = (from: 'a' | 'b', type: string, n: number, by: (raw: Uint8Array) => Uint8Array): ((f: HdlcFrameInfo) => FrameFate) => {
    let seen = 0;
    return (f) => (f.from === from && frameTypeOf(f.frame) === type && ++seen === n ? by(f.frame) : undefined);
  };

  it('PIN to a non-ECM page is treated as RTN: retrain one step down, send the page again, complete', () => {
    // The receiver really rejects the first copy of page 1 (RTN); it reaches the sender as PIN.
    const { b, r } = fax(caller({ ecm: false, codings: ['mh'] }), answerer(), {
      nonEcm: (c) => (c.kind === 'image' && c.signalIndex === 0 && c.offset > 0 ? c.data.map((x, i) => (i % 5 === 0 ? ~x & 0xff : x)) : undefined),
      hdlcFrame: replaceNth('b', 'RTN', 1, () => simple('PIN', false)),
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assertPagesIdentical(b, pages);
    const ends = eventsOf(r.a.events, 'page-tx-end');
    assert.deepEqual(ends.map((e) => `${e.page}:${e.response}`), ['1:PIN', '1:MCF', '2:MCF']);
    const fallback = eventsOf(r.a.events, 'rate-fallback');
    assert.deepEqual(fallback.map((e) => `${e.from}>${e.to}:${e.reason}`), ['v17-14400>v17-12000:pin']);
    assert.deepEqual(sentControlFrames(r.a.events).filter((n) => n === 'DCS').length, 2);
    assert.equal(r.a.result.rtnCount, 0);
    assert.ok(eventsOf(r.a.events, 'warning').some((w) => /PIN \(procedure interrupt\)/.test(w.message)));
  });

  for (const ecm of [false, true]) {
    it(`PIP to the last page (${ecm ? 'PPS-EOP' : 'EOP'}) confirms it: the call completes ok`, () => {
      const { a, b, r } = fax(caller({ ecm }), answerer({ ecm }), { hdlcFrame: replaceNth('b', 'MCF', 2, () => simple('PIP', false)) });
      assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
      assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
      assert.equal(r.a.result.pagesSent, 2);
      assertPagesIdentical(b, pages);
      assert.deepEqual(eventsOf(r.a.events, 'page-tx-end').map((e) => `${e.response}:${String(e.accepted)}`), ['MCF:true', 'PIP:true']);
      assert.equal(a.getStats().pipReceived, 1);
      assert.equal(sentControlFrames(r.a.events).at(-1), 'DCN');
    });
  }

  it('PIN to an ECM PPS: the whole block is sent again, and the call completes', () => {
    const { a, b, r } = fax(caller({ send: { pages: [pages[0] ?? testPage(90)] } }), answerer(), { hdlcFrame: replaceNth('b', 'MCF', 1, () => simple('PIN', false)) });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    // Our receiver did answer MCF (the harness turned it into PIN), so it takes the block sent
    // again for a second copy of the page: both copies are intact.
    assertPagesIdentical(b, [pages[0] ?? testPage(90), pages[0] ?? testPage(90)]);
    const st = a.getStats();
    assert.equal(st.pinReceived, 1);
    const block = eventsOf(r.a.events, 'ecm-block-sent');
    assert.equal(block.length, 2);
    assert.equal(block[1]?.retransmission, true);
    assert.equal(block[1]?.frames, block[0]?.frames);
    assert.equal(st.ecmFramesResent, block[0]?.frames);
    assert.deepEqual(sentControlFrames(r.a.events).filter((n) => n.startsWith('PPS')), ['PPS-EOP', 'PPS-EOP']);
  });

  it('PIN to EOR ends the block like ERR (Annex A flow control)', () => {
    const dropFcd2 = (f: HdlcFrameInfo): 'drop' | undefined => (fcdNumber(f) === 2 ? 'drop' : undefined);
    const errToPin = replaceNth('b', 'ERR', 1, () => simple('PIN', false));
    const { a, r } = fax(caller({ send: { pages: [testPage(92)] }, ...SLOWEST_ECM }), answerer(), {
      hdlcFrame: (f) => dropFcd2(f) ?? errToPin(f),
    });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assert.equal(a.getStats().pinReceived, 1);
    assert.deepEqual(eventsOf(r.a.events, 'page-tx-end').map((e) => e.response), ['PIN']);
  });

  for (const ecm of [false, true]) {
    it(`PRI-MPS / PRI-EOP received by our receiver are answered as MPS / EOP (${ecm ? 'in PPS' : 'non-ECM'}); the call completes`, () => {
      // The sender asks for an operator on every page: PRI-MPS, then PRI-EOP.
      const toPri = (f: HdlcFrameInfo): FrameFate => {
        if (f.from !== 'a') return undefined;
        const d = decodeT30Frame(f.frame);
        if (!d.ok) return undefined;
        const v = d.value;
        if (v.type === 'MPS' || v.type === 'EOP') return simple(v.type === 'MPS' ? 'PRI-MPS' : 'PRI-EOP', v.xBit);
        if (v.type === 'PPS' && (v.fcf2 === 'MPS' || v.fcf2 === 'EOP')) return encodeT30Frame({ ...v, fcf2: v.fcf2 === 'MPS' ? 'PRI-MPS' : 'PRI-EOP' });
        return undefined;
      };
      const { b, r } = fax(caller({ ecm }), answerer({ ecm }), { hdlcFrame: toPri });
      assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
      assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
      assertPagesIdentical(b, pages);
      assert.equal(b.getStats().priReceived, 2);
      const received = eventsOf(r.b.events, 'frame-received').filter((e) => e.frame !== null && e.modulation === 'v21').map((e) => (e.frame === null ? '' : frameName(e.frame)));
      assert.deepEqual(received.filter((n) => n.includes('PRI-')), ecm ? ['PPS-PRI-MPS', 'PPS-PRI-EOP'] : ['PRI-MPS', 'PRI-EOP']);
      // Answered as the plain commands: MCF each time, never PIP/PIN; then DCN ends it.
      const answers = sentControlFrames(r.b.events);
      assert.ok(!answers.includes('PIP') && !answers.includes('PIN'));
      assert.deepEqual(answers.slice(-2), ['MCF', 'MCF']);
    });
  }
});

describe('identity frames', () => {
  it('an engine without ident sends no TSI, CSI or CIG (nor empty ones)', () => {
    const send = fax({ role: 'calling', send: { pages: [testPage(95)] } }, { role: 'answering', receive: true });
    assert.equal(send.r.a.result?.code, 'ok');
    const poll = fax({ role: 'calling', receive: true }, { role: 'answering', send: { pages: [testPage(96)] } });
    assert.equal(poll.r.a.result?.code, 'ok');
    for (const r of [send.r, poll.r]) {
      for (const side of [r.a, r.b]) {
        const idents = eventsOf(side.events, 'frame-sent').filter((e) => e.frame.type === 'TSI' || e.frame.type === 'CSI' || e.frame.type === 'CIG');
        assert.deepEqual(idents, []);
      }
      assert.equal(r.a.result?.remoteIdent, '');
      assert.equal(r.b.result?.remoteIdent, '');
    }
    // With ident: one frame each, before DIS / DCS / DTC.
    const named = fax({ role: 'calling', send: { pages: [testPage(97)] }, ident: 'A' }, { role: 'answering', receive: true, ident: 'B' });
    assert.deepEqual(sentControlFrames(named.r.a.events).slice(0, 2), ['TSI', 'DCS']);
    assert.deepEqual(sentControlFrames(named.r.b.events).slice(0, 2), ['CSI', 'DIS']);
  });
});
