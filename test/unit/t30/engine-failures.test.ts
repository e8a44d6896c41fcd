/**
 * T30Engine failure paths in virtual time: each one must end both engines cleanly (DCN sent
 * where the far end is still there) with the completion code that names what went wrong —
 * no answer (T0), T1, T2 and T4 expiry, hang-ups mid-page, DCN at odd moments, incompatible
 * terminals, bad documents, garbage on the line, protocol violations.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { T30Engine, type T30EngineOptions, type T30PageCodec } from '../../../src/t30/engine.js';
import { lookupFcf } from '../../../src/t30/fcf.js';
import { decodeT30Frame, encodeT30Frame, simpleFrame, type SimpleFrameType } from '../../../src/t30/frames.js';
import type { FaxModulation } from '../../../src/modem/modulation.js';
import type { T30LineEvent } from '../../../src/t30/line.js';
import { buildDisFields } from '../../../src/t30/negotiate.js';
import { interpretDis } from '../../../src/t30/dis.js';
import { T30_RESULT_CODES } from '../../../src/t30/result.js';
import { RX_STALL_MS, T30_T0_MS, T30_T1_MS, T30_T5_MS, T2_WAIT_MS } from '../../../src/t30/timers.js';
import { createBitmap } from '../../../src/t4/bitmap.js';
import { eventsOf, fax, fcdNumber, frameTypeOf, noisePage, prng, sentControlFrames, SLOWEST_ECM, testPage, VirtualCall, type HdlcFrameInfo } from './harness.js';

const caller = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'calling', send: { pages: [testPage(200)] }, ...o });
const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, ...o });
const bFrame = (t: SimpleFrameType): Uint8Array => encodeT30Frame(simpleFrame(t, { xBit: false }));

describe('timers', () => {
  it('no answer: T0 expires after 60 s of silence', () => {
    const { r } = fax(caller(), answerer(), { hangup: { side: 'b', atMs: 0, tellOther: false } });
    assert.equal(r.a.result?.code, 'no-answer');
    assert.equal(r.a.result?.ok, false);
    assert.ok(Math.abs(r.endMs - T30_T0_MS) < 1, `ended at ${r.endMs}`);
    // CNG kept cycling meanwhile: 0.5 s on, 3 s off.
    const cng = r.a.steps.filter((s) => s.kind === 'tone' && s.tone === 'cng').length;
    assert.ok(cng >= 16 && cng <= 18, `CNG bursts ${cng}`);
  });

  it('T1: CED heard but DIS never recognised → t1-expired; the answerer gets DCN', () => {
    const { r } = fax(caller(), answerer(), { hdlcFrame: (f) => (frameTypeOf(f.frame) === 'DIS' ? 'drop' : undefined) });
    assert.equal(r.a.result?.code, 't1-expired');
    assert.equal(r.b.result?.code, 'dcn-waiting-command');
    // T1 ran from the CED (40 ms delay + 200 ms pause), not from start.
    const done = eventsOf(r.a.events, 'complete')[0]?.at ?? 0;
    assert.ok(Math.abs(done - (240 + T30_T1_MS)) < 1, `completed at ${done}`);
    // The answerer repeated DIS every T4 meanwhile.
    assert.ok(sentControlFrames(r.b.events).filter((n) => n === 'DIS').length >= 6);
  });

  it('T1 on the answering side: DIS repeated until T1, then DCN', () => {
    const { r } = fax(caller(), answerer(), { mute: (from) => from === 'a' });
    assert.equal(r.b.result?.code, 't1-expired');
    assert.equal(sentControlFrames(r.b.events).at(-1), 'DCN');
    assert.equal(r.a.result?.code, 'no-response-to-dcs');
    assert.equal(sentControlFrames(r.a.events).filter((n) => n === 'DCS').length, 3);
  });

  it('only non-DIS frames while waiting for DIS → no-dis', () => {
    const { r } = fax(caller(), answerer(), {
      hdlcFrame: (f) => (frameTypeOf(f.frame) === 'DIS' ? bFrame('MCF') : undefined),
    });
    assert.equal(r.a.result?.code, 'no-dis');
  });

  it('T2: the sender goes silent after CFR → t2-expired-waiting-page', () => {
    let cfrSent = Infinity;
    const { r } = fax(caller({ ecm: false }), answerer(), {
      hdlcFrame: (f) => {
        if (f.from === 'b' && frameTypeOf(f.frame) === 'CFR') cfrSent = Math.min(cfrSent, f.at);
        return undefined;
      },
      mute: (from, at) => from === 'a' && at > cfrSent,
    });
    assert.equal(r.b.result?.code, 't2-expired-waiting-page');
    assert.equal(r.a.result?.code, 'dcn-after-page'); // the receiver's DCN still reaches it
  });

  it('T2: silence after the page → t2-expired-waiting-post-page', () => {
    let imageDone = false;
    const { r } = fax(caller({ ecm: false }), answerer(), {
      nonEcm: (c) => {
        if (c.kind === 'image') imageDone = true;
        return undefined;
      },
      mute: (from) => from === 'a' && imageDone,
    });
    assert.equal(r.b.result?.code, 't2-expired-waiting-post-page');
    const t = eventsOf(r.b.events, 'page-rx-end')[0]?.at ?? 0;
    const end = eventsOf(r.b.events, 'complete')[0]?.at ?? 0;
    assert.ok(Math.abs(end - t - T2_WAIT_MS) < 1);
  });

  it('T4: no response to MPS/EOP → 3 tries, then no-response-after-page', () => {
    let eopSent = false;
    const { r } = fax(caller({ ecm: false }), answerer(), {
      hdlcFrame: (f) => {
        if (f.from === 'a' && frameTypeOf(f.frame) === 'EOP') eopSent = true;
        return undefined;
      },
      mute: (from) => from === 'b' && eopSent,
    });
    assert.equal(r.a.result?.code, 'no-response-after-page');
    assert.equal(sentControlFrames(r.a.events).filter((n) => n === 'EOP').length, 3);
    assert.equal(sentControlFrames(r.a.events).at(-1), 'DCN');
    // The receiver did get the page and answered (into the void), then the DCN: the document is in.
    assert.equal(r.b.result?.code, 'ok');
    assert.equal(r.b.result?.pagesReceived, 1);
  });

  it('T5: a receiver that stays "not ready" (RNR) for 60 s → t5-expired', () => {
    const { r } = fax(caller(), answerer(), {
      hdlcFrame: (f) => (f.from === 'b' && frameTypeOf(f.frame) === 'MCF' ? bFrame('RNR') : undefined),
    });
    assert.equal(r.a.result?.code, 't5-expired');
    const rnr = eventsOf(r.a.events, 'frame-received').filter((e) => e.frame?.type === 'RNR');
    const first = rnr[0]?.at ?? 0;
    const end = eventsOf(r.a.events, 'complete')[0]?.at ?? 0;
    assert.ok(Math.abs(end - first - T30_T5_MS) < 1);
    assert.ok(sentControlFrames(r.a.events).filter((n) => n === 'RR').length > 10);
  });
});

describe('hang-ups and DCN', () => {
  const longPage = { send: { pages: [noisePage(3, 100)] }, codings: ['mh' as const] };

  it('the sender vanishes mid-page (non-ECM): the receiver reports the lost carrier', () => {
    const { r } = fax(caller({ ...longPage, ecm: false }), answerer(), { hangup: { side: 'a', atMs: 15_000, tellOther: false } });
    assert.equal(r.a.result?.code, 'local-abort');
    assert.equal(r.b.result?.code, 'carrier-lost');
    const lastData = (eventsOf(r.b.events, 'complete')[0]?.at ?? 0) - RX_STALL_MS;
    assert.ok(lastData <= 15_040 && lastData > 14_000, `stall measured from ${lastData}`);
  });

  it('the sender vanishes mid-block (ECM): carrier-lost', () => {
    const { r } = fax(caller({ ...longPage }), answerer(), { hangup: { side: 'a', atMs: 15_000, tellOther: false } });
    assert.equal(r.b.result?.code, 'carrier-lost');
  });

  it('the call is torn down mid-page (BYE): call-dropped-mid-page on the other side', () => {
    const { r } = fax(caller({ ...longPage, ecm: false }), answerer(), { hangup: { side: 'a', atMs: 15_000, tellOther: true } });
    assert.equal(r.b.result?.code, 'call-dropped-mid-page');
    const phaseB = fax(caller(), answerer(), { hangup: { side: 'a', atMs: 6_000, tellOther: true } });
    assert.equal(phaseB.r.b.result?.code, 'call-dropped');
  });

  it('the receiver vanishes mid-page: the sender gets no response after the page', () => {
    const { r } = fax(caller({ ...longPage, ecm: false }), answerer(), { hangup: { side: 'b', atMs: 15_000, tellOther: false } });
    assert.equal(r.a.result?.code, 'no-response-after-page');
  });

  it('the receiver aborts mid-page: its DCN reaches the sender while it sends', () => {
    const a = new T30Engine(caller({ ...longPage, ecm: false }));
    const b = new T30Engine(answerer());
    const r = new VirtualCall(a, b, { actions: [{ atMs: 14_000, fn: (now) => b.abort(now, 'local') }] }).run();
    assert.equal(r.b.result?.code, 'local-abort');
    assert.equal(sentControlFrames(r.b.events).at(-1), 'DCN');
    assert.equal(r.a.result?.code, 'call-dropped-mid-page');
  });

  it('DCN instead of MCF → dcn-after-page', () => {
    const { r } = fax(caller({ ecm: false }), answerer(), {
      hdlcFrame: (f) => (f.from === 'b' && frameTypeOf(f.frame) === 'MCF' ? bFrame('DCN') : undefined),
    });
    assert.equal(r.a.result?.code, 'dcn-after-page');
    assert.notEqual(sentControlFrames(r.a.events).at(-1), 'DCN', 'no DCN in answer to DCN');
  });

  it('DCN instead of DIS → dcn-waiting-dis', () => {
    const { r } = fax(caller(), answerer(), { hdlcFrame: (f) => (frameTypeOf(f.frame) === 'DIS' ? bFrame('DCN') : undefined) });
    assert.equal(r.a.result?.code, 'dcn-waiting-dis');
  });

  it('the sender disconnects after RTN → dcn-after-rtn; too many RTNs → rtn-limit', () => {
    const { r } = fax(caller({ ecm: false, codings: ['mh'] }), answerer(), {
      nonEcm: (c) => (c.kind === 'image' && c.offset > 0 ? c.data.map((x, i) => (i % 5 === 0 ? ~x & 0xff : x)) : undefined),
    });
    assert.equal(r.a.result?.code, 'rtn-limit');
    assert.equal(r.a.result?.rtnCount, 4);
    assert.equal(r.b.result?.code, 'dcn-after-rtn');
    assert.equal(r.b.result?.pagesReceived, 0);
  });

  it('local abort in phase B sends DCN', () => {
    const a = new T30Engine(caller());
    const b = new T30Engine(answerer());
    const r = new VirtualCall(a, b, { actions: [{ atMs: 4_000, fn: (now) => a.abort(now, 'local') }] }).run();
    assert.equal(r.a.result?.code, 'local-abort');
    assert.equal(r.b.result?.code, 'dcn-waiting-command');
    a.abort(99_999, 'remote'); // no effect once finished
    assert.equal(a.result?.code, 'local-abort');
  });

  it('a line that dies while DCN is queued: abort(remote) finishes the engine, keeping the result', () => {
    const e = new T30Engine(caller());
    e.start(0);
    e.abort(10, 'local');
    assert.equal(e.state, 'E_DCN');
    assert.ok(e.takeTx().some((s) => s.kind === 'hdlc'));
    e.abort(20, 'remote');
    assert.equal(e.state, 'CALL_FINISHED');
    assert.equal(e.result?.code, 'local-abort');
    assert.ok(e.finished);
  });
});

describe('incompatible terminals and documents', () => {
  it('no common modem', () => {
    const { r } = fax(caller({ modems: ['v17'] }), answerer({ modems: ['v27ter'] }));
    assert.equal(r.a.result?.code, 'incompatible-modems');
    assert.equal(r.b.result?.code, 'dcn-waiting-command');
  });

  it('the far end cannot receive / has nothing to send / is polled without a document', () => {
    const cannotRx = fax(caller(), { role: 'answering', send: { pages: [testPage(1)] } });
    assert.equal(cannotRx.r.a.result?.code, 'remote-cannot-receive');
    const cannotTx = fax({ role: 'calling', receive: true }, answerer());
    assert.equal(cannotTx.r.a.result?.code, 'remote-cannot-send');
    // A DTC to a terminal without a document.
    const dtc = encodeT30Frame({ type: 'DTC', final: true, xBit: false, dis: interpretDis(buildDisFields('DTC', {
      modems: ['v17'], maxBitRate: 14400, codings: ['mh'], ecm: false, ecmFrameSize: 256, minScanLineMs: 0, canReceive: true, haveDocument: false,
    })), trailing: new Uint8Array(0) });
    const polled = fax(caller(), answerer(), {
      mute: (from) => from === 'a',
      inject: [{ to: 'b', atMs: 5_000, ev: { kind: 'hdlc-frame', modulation: 'v21', frame: dtc, ok: true } }],
    });
    assert.equal(polled.r.b.result?.code, 'poll-refused');
  });

  it('a page the fax cannot carry → bad-document; no pages → empty-document', () => {
    const narrow = fax(caller({ send: { pages: [createBitmap(1000, 10)] } }), answerer());
    assert.equal(narrow.r.a.result?.code, 'bad-document');
    assert.match(narrow.r.a.result?.message ?? '', /width 1000/);
    const empty = fax(caller({ send: { pages: [] } }), answerer());
    assert.equal(empty.r.a.result?.code, 'empty-document');
  });

  it('a codec that throws ends the call with codec-error, not an exception', () => {
    const broken: T30PageCodec = {
      encode: () => {
        throw new Error('boom');
      },
      decode: () => {
        throw new Error('boom');
      },
    };
    const { r } = fax(caller({ codec: broken }), answerer());
    assert.equal(r.a.result?.code, 'codec-error');
    assert.match(r.a.result?.message ?? '', /boom/);
    assert.equal(r.b.result?.code, 'dcn-waiting-page');
  });

  it('a receiving decoder that throws makes the page bad (RTN), not a crash', () => {
    const broken: T30PageCodec = {
      encode: () => new Uint8Array(10),
      decode: () => {
        throw new Error('decoder bug');
      },
    };
    const { r, b } = fax(caller({ ecm: false }), answerer({ codec: broken }));
    assert.equal(r.a.result?.code, 'rtn-limit');
    assert.ok(eventsOf(r.b.events, 'warning').some((w) => /decoder bug/.test(w.message)));
    assert.equal(b.receivedPages[0]?.accepted, false);
  });

  it('a DCS selecting T.6 without ECM → bad-dcs', () => {
    const { r } = fax(caller({ ecm: false }), answerer(), {
      hdlcFrame: (f) => {
        const d = decodeT30Frame(f.frame);
        if (!d.ok || d.value.type !== 'DCS') return undefined;
        const dis = interpretDis({ ...d.value.dis, t6: true, ecm: false });
        return encodeT30Frame({ ...d.value, dis });
      },
    });
    assert.equal(r.b.result?.code, 'bad-dcs');
    assert.match(r.b.result?.message ?? '', /T\.6 without ECM/);
    assert.equal(r.a.result?.code, 'bad-response-to-dcs');
  });

  it('a wrong sender password (SID) → password-unacceptable', () => {
    const { r } = fax(caller({ password: 'one' }), answerer({ password: 'two' }));
    assert.equal(r.b.result?.code, 'password-unacceptable');
  });

  it('protocol violations by the receiver: invalid responses', () => {
    const swap = (from: string, to: SimpleFrameType) => ({
      hdlcFrame: (f: { from: string; frame: Uint8Array }) => (f.from === 'b' && frameTypeOf(f.frame) === from ? bFrame(to) : undefined),
    });
    assert.equal(fax(caller({ ecm: false }), answerer(), swap('MCF', 'CFR')).r.a.result?.code, 'invalid-response-after-page');
    assert.equal(fax(caller(), answerer(), swap('MCF', 'RTN')).r.a.result?.code, 'invalid-ecm-response');
    // A receiver that answers PIN to every try of the page: there is no operator to satisfy it.
    assert.equal(fax(caller({ ecm: false }), answerer(), swap('MCF', 'PIN')).r.a.result?.code, 'operator-interrupt');
    assert.equal(fax(caller(), answerer(), swap('CFR', 'MCF')).r.a.result?.code, 'bad-response-to-dcs');
  });

  it('CTC not answered by CTR → ctc-failed; EOR not answered by ERR → eor-failed', () => {
    const dropFcd2 = (f: HdlcFrameInfo): 'drop' | undefined => (fcdNumber(f) === 2 ? 'drop' : undefined);
    const ctc = fax(caller({ ecmFrameSize: 64, codings: ['mh'] }), answerer(), {
      hdlcFrame: (f) => dropFcd2(f) ?? (f.from === 'b' && frameTypeOf(f.frame) === 'CTR' ? bFrame('MCF') : undefined),
    });
    assert.equal(ctc.r.a.result?.code, 'ctc-failed');
    const eor = fax(caller(SLOWEST_ECM), answerer(), {
      hdlcFrame: (f) => dropFcd2(f) ?? (f.from === 'b' && frameTypeOf(f.frame) === 'ERR' ? bFrame('MCF') : undefined),
    });
    assert.equal(eor.r.a.result?.code, 'eor-failed');
  });
});

describe('garbage on the line', () => {
  /** FCF octets T.30 does not assign. */
  const unassigned = Array.from({ length: 256 }, (_, i) => i).filter((i) => lookupFcf(i) === undefined);

  it('unknown frames and frames with bad FCS in every phase do not derail the call', () => {
    const r0 = prng(5);
    const inject: { to: 'a' | 'b'; atMs: number; ev: T30LineEvent }[] = [];
    for (let t = 1_000; t < 40_000; t += 700) {
      const len = 3 + (r0() % 30);
      const frame = Uint8Array.from({ length: len }, () => r0() & 0xff);
      frame[0] = 0xff;
      frame[1] = 0xc8;
      frame[2] = unassigned[r0() % unassigned.length] ?? 0x00;
      inject.push({ to: t % 1400 === 0 ? 'a' : 'b', atMs: t, ev: { kind: 'hdlc-frame', modulation: 'v21', frame, ok: true } });
      inject.push({ to: 'b', atMs: t + 1, ev: { kind: 'hdlc-frame', modulation: 'v17-14400', frame: frame.slice(0, 5), ok: false } });
    }
    const pages = [testPage(210), testPage(211)];
    const { b, r } = fax(caller({ send: { pages } }), answerer(), { inject });
    assert.equal(r.a.result?.code, 'ok', r.a.result?.message);
    assert.equal(r.b.result?.code, 'ok', r.b.result?.message);
    assert.ok(b.getStats().ignoredFrames > 10);
    assert.equal(b.receivedPages.length, 2);
  });

  it('a garbage HDLC burst where a command is expected is answered CRP', () => {
    // Corrupt the FCS of the caller's DCS: the answerer asks again, the caller repeats.
    let done = false;
    const { a, b, r } = fax(caller(), answerer(), {
      hdlcFrame: (f) => (!done && frameTypeOf(f.frame) === 'DCS' ? ((done = true), 'bad') : undefined),
    });
    assert.equal(r.a.result?.code, 'ok');
    assert.equal(b.getStats().crpSent, 1);
    assert.equal(a.getStats().crpReceived, 1);
  });

  it('property: random line events never throw, and both engines always finish', () => {
    const kinds: FaxModulation[] = ['v21', 'v17-14400', 'v29-9600', 'v27ter-2400'];
    const ev = fc.oneof(
      fc.constant<T30LineEvent>({ kind: 'tx-done' }),
      fc.constant<T30LineEvent>({ kind: 'no-signal' }),
      fc.constantFrom<T30LineEvent>({ kind: 'tone', tone: 'cng' }, { kind: 'tone', tone: 'ced' }),
      fc.constantFrom(...kinds).map((m): T30LineEvent => ({ kind: 'signal', modulation: m })),
      fc.constantFrom(...kinds).map((m): T30LineEvent => ({ kind: 'hdlc-end', modulation: m })),
      fc.constantFrom(...kinds).map((m): T30LineEvent => ({ kind: 'non-ecm-end', modulation: m })),
      fc.tuple(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 300 })).map(([m, d]): T30LineEvent => ({ kind: 'non-ecm-data', modulation: m, data: d })),
      fc
        .tuple(fc.constantFrom(...kinds), fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.boolean(), fc.constantFrom(0xff, 0x00), fc.constantFrom(0xc0, 0xc8))
        .map(([m, d, ok, addr, ctl]): T30LineEvent => {
          const f = new Uint8Array(d.length + 2);
          f[0] = addr;
          f[1] = ctl;
          f.set(d, 2);
          return { kind: 'hdlc-frame', modulation: m, frame: f, ok };
        }),
    );
    const scenario = fc.record({
      events: fc.array(fc.tuple(fc.constantFrom<'a' | 'b'>('a', 'b'), fc.integer({ min: 0, max: 60_000 }), ev), { maxLength: 40 }),
      ecm: fc.boolean(),
      poll: fc.boolean(),
    });
    fc.assert(
      fc.property(scenario, ({ events, ecm, poll }) => {
        const aOpts: T30EngineOptions = poll ? { role: 'calling', receive: true, ecm } : caller({ ecm });
        const bOpts: T30EngineOptions = poll ? { role: 'answering', send: { pages: [testPage(220, { height: 30 })] }, ecm } : answerer({ ecm });
        const a = new T30Engine(aOpts);
        const b = new T30Engine(bOpts);
        const r = new VirtualCall(a, b, { inject: events.map(([to, atMs, e]) => ({ to, atMs, ev: e })) }).run(1_000_000);
        assert.ok(a.finished && b.finished, `not finished: ${a.state} / ${b.state}`);
        for (const res of [r.a.result, r.b.result]) {
          assert.ok(res !== undefined);
          assert.ok((T30_RESULT_CODES as readonly string[]).includes(res.code));
          assert.equal(res.ok, res.code === 'ok');
        }
      }),
      { numRuns: 40, seed: 4242 },
    );
  });
});

