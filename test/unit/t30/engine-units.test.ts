/**
 * The T.30 engine's building blocks on their own: negotiation tables (T.30 Table 2), ECM
 * partial pages, the timer set, the completion codes, the state table, option checks and the
 * copy-quality verdict.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createBitmap } from '../../../src/t4/bitmap.js';
import { decodeDis, emptyDisFields, encodeDis, interpretDis, type DisFields, type DisInfo } from '../../../src/t30/dis.js';
import { concatChunks, EcmRxBlock, ECM_MAX_FRAMES_PER_BLOCK, splitEcmPage } from '../../../src/t30/ecm.js';
import { T30Engine, T4_CODEC } from '../../../src/t30/engine.js';
import { T30Machine } from '../../../src/t30/machine.js';
import { T30_STATES, T30_STATE_PHASE } from '../../../src/t30/states.js';
import type { T30EngineOptions } from '../../../src/t30/types.js';
import { decodeT30Frame, encodeT30Frame } from '../../../src/t30/frames.js';
import {
  buildDcsFields,
  buildDisFields,
  dcsScanFor,
  disRateCodeFor,
  fallbackSequence,
  kFactor,
  minRowBits,
  negotiate,
  paramsFromDcs,
  remoteMinScanMs,
  type LocalCapabilities,
} from '../../../src/t30/negotiate.js';
import { copyQualityOk } from '../../../src/t30/phase-c.js';
import { T30_RESULT_CODES, t30ResultMessage } from '../../../src/t30/result.js';
import { T30Timers, T30_T0_MS, T30_T1_MS, T30_T2_MS, T30_T4_MS, T30_T5_MS, T2_WAIT_MS, T4_WAIT_MS } from '../../../src/t30/timers.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { testPage } from './harness.js';

const caps = (o: Partial<LocalCapabilities> = {}): LocalCapabilities => ({
  modems: ['v27ter', 'v29', 'v17'],
  maxBitRate: 14400,
  codings: ['mh', 'mr', 'mmr'],
  ecm: true,
  ecmFrameSize: 256,
  minScanLineMs: 0,
  canReceive: true,
  haveDocument: false,
  ...o,
});

function dis(fields: Partial<DisFields>): DisInfo {
  return interpretDis({ ...emptyDisFields('DIS'), widthCode: 0b01, lengthCode: 0b01, ...fields });
}

describe('negotiate: Table 2 rates and fall-back', () => {
  it('DIS bits 11-14 for our modem sets', () => {
    assert.equal(disRateCodeFor(['v27ter', 'v29', 'v17'], 14400), 0b1101);
    assert.equal(disRateCodeFor(['v27ter', 'v29'], 14400), 0b1100);
    assert.equal(disRateCodeFor(['v29'], 9600), 0b1000);
    assert.equal(disRateCodeFor(['v27ter'], 9600), 0b0100);
    assert.equal(disRateCodeFor(['v27ter'], 2400), 0b0000);
    assert.equal(disRateCodeFor(['v17'], 4800), 0b0100); // V.17 cannot go below 7200
  });

  it('fall-back sequences follow the far end\'s DIS (T.30 Table 2)', () => {
    const seq = (code: number, c = caps()): string[] => fallbackSequence(dis({ rateCode: code }), c).map((s) => s.modulation);
    assert.deepEqual(seq(0b1101), ['v17-14400', 'v17-12000', 'v17-9600', 'v17-7200', 'v27ter-4800', 'v27ter-2400']);
    assert.deepEqual(seq(0b1100), ['v29-9600', 'v29-7200', 'v27ter-4800', 'v27ter-2400']);
    assert.deepEqual(seq(0b1000), ['v29-9600', 'v29-7200']);
    assert.deepEqual(seq(0b0100), ['v27ter-4800', 'v27ter-2400']);
    assert.deepEqual(seq(0b0000), ['v27ter-2400']);
    assert.deepEqual(seq(0b1111), []); // reserved code
    assert.deepEqual(seq(0b1101, caps({ maxBitRate: 9600, modems: ['v29', 'v17'] })), ['v17-9600', 'v17-7200']);
    assert.deepEqual(seq(0b1110), ['v29-9600', 'v29-7200', 'v27ter-4800', 'v27ter-2400']); // pre-2003 "V.33" code: no V.33 here
  });

  it('coding: MMR only with ECM on both sides, then MR, then MH', () => {
    const page = testPage(1);
    const both = dis({ rateCode: 0b1101, ecm: true, t6: true, twoDimensional: true });
    const pick = (d: DisInfo, c: LocalCapabilities): string => {
      const r = negotiate(d, c, page);
      return r.ok ? `${r.params.coding}${r.params.ecm ? '+ecm' : ''}` : r.code;
    };
    assert.equal(pick(both, caps()), 'mmr+ecm');
    assert.equal(pick(both, caps({ ecm: false, codings: ['mh', 'mr'] })), 'mr');
    assert.equal(pick(dis({ rateCode: 0b1101, ecm: false, t6: true, twoDimensional: true }), caps()), 'mr');
    assert.equal(pick(dis({ rateCode: 0b1101 }), caps()), 'mh');
    assert.equal(pick(dis({ rateCode: 0b1101 }), caps({ codings: ['mr'] })), 'incompatible-coding');
  });

  it('geometry: width, resolution and length must be offered', () => {
    const base = { rateCode: 0b1101 };
    const r1 = negotiate(dis({ ...base, widthCode: 0b00 }), caps(), testPage(1, { width: 2048 }));
    assert.ok(!r1.ok && r1.code === 'incompatible-width');
    const r2 = negotiate(dis({ ...base }), caps(), testPage(1, { yDpi: 196 }));
    assert.ok(!r2.ok && r2.code === 'incompatible-resolution');
    const r3 = negotiate(dis({ ...base, fine: true }), caps(), testPage(1, { yDpi: 196 }));
    assert.ok(r3.ok && r3.params.resolution === 'fine');
    const tall = createBitmap(1728, 1500, { x: 204, y: 98 }); // 390 mm at 3.85 lines/mm
    const r4 = negotiate(dis({ ...base, lengthCode: 0b10 }), caps(), tall);
    assert.ok(!r4.ok && r4.code === 'incompatible-length');
    const r5 = negotiate(dis({ ...base, lengthCode: 0b01 }), caps(), tall);
    assert.ok(r5.ok && r5.params.lengthCode === 0b01);
    const r6 = negotiate(dis({ ...base }), caps(), testPage(1, { width: 2432 }));
    assert.ok(r6.ok && r6.params.widthCode === 0b01 && r6.params.widthPx === 2432);
    const r7 = negotiate(dis({ ...base }), caps(), createBitmap(1000, 5));
    assert.ok(!r7.ok && r7.code === 'bad-document');
    const r8 = negotiate(dis({ rateCode: 0b0000 }), caps({ modems: ['v17'] }), testPage(1));
    assert.ok(!r8.ok && r8.code === 'incompatible-modems');
  });

  it('ECM frame size: 64 when either end asks for it (DIS bit 7 / our option)', () => {
    const d = dis({ rateCode: 0b1101, ecm: true });
    const r = (x: DisInfo, c: LocalCapabilities): number => {
      const n = negotiate(x, c, testPage(1));
      return n.ok ? n.params.frameSize : -1;
    };
    assert.equal(r(d, caps()), 256);
    assert.equal(r(dis({ rateCode: 0b1101, ecm: true, prefer64OctetFrames: true }), caps()), 64);
    assert.equal(r(d, caps({ ecmFrameSize: 64 })), 64);
  });

  it('minimum scan-line time: Table 2 codes at each resolution, halved where DIS says so', () => {
    const ms = (code: number, r: 'standard' | 'fine' | 'superfine', halvedHigher = false): number =>
      remoteMinScanMs(dis({ scanTimeCode: code, minScanHalvedHigherRes: halvedHigher }), r);
    assert.equal(ms(0b000, 'standard'), 20);
    assert.equal(ms(0b001, 'standard'), 40);
    assert.equal(ms(0b010, 'standard'), 10);
    assert.equal(ms(0b100, 'standard'), 5);
    assert.equal(ms(0b111, 'standard'), 0);
    assert.equal(ms(0b011, 'fine'), 5); // 10 ms, T7.7 = 1/2 T3.85
    assert.equal(ms(0b110, 'fine'), 10);
    assert.equal(ms(0b101, 'fine'), 20);
    assert.equal(ms(0b000, 'fine'), 20);
    assert.equal(ms(0b110, 'superfine', true), 5);
    assert.deepEqual(dcsScanFor(7), { ms: 10, code: 0b010 });
    assert.deepEqual(dcsScanFor(0), { ms: 0, code: 0b111 });
    assert.deepEqual(dcsScanFor(2.5), { ms: 5, code: 0b100 });
    assert.equal(minRowBits(20, 14400), 288);
    assert.equal(minRowBits(10, 2400), 24);
    assert.equal(kFactor('standard'), 2);
    assert.equal(kFactor('fine'), 4);
  });

  it('DIS/DTC/DCS built here survive the frame codec and say what we mean', () => {
    const d = decodeDis(encodeDis(buildDisFields('DIS', caps({ haveDocument: true, ecmFrameSize: 64, minScanLineMs: 10 }))), 'DIS');
    assert.ok(d.ok);
    assert.equal(d.value.rate.bitRate, 14400);
    assert.ok(d.value.ecm && d.value.t6 && d.value.twoDimensional && d.value.prefer64OctetFrames);
    assert.ok(d.value.readyToTransmitFax && d.value.receiverFax && d.value.fine && d.value.superfine);
    assert.deepEqual(d.value.widthsMm, [215, 255, 303]);
    assert.equal(d.value.length, 'unlimited');
    assert.equal(d.value.minScanLineTime?.ms, 10);
    const n = negotiate(d.value, caps(), testPage(2, { yDpi: 196 }));
    assert.ok(n.ok);
    const dcsFields = buildDcsFields(n.params, { subaddress: true });
    const dcs = decodeDis(encodeDis(dcsFields), 'DCS');
    assert.ok(dcs.ok);
    assert.equal(dcs.value.rate.text, 'V.17 14400 bit/s');
    assert.deepEqual(dcs.value.codings, ['MMR']);
    assert.equal(dcs.value.ecmFrameSize, 64);
    assert.ok(dcs.value.fine && dcs.value.receiverFax && dcs.value.subaddressing);
    const back = paramsFromDcs(dcs.value, caps());
    assert.ok(back.ok);
    assert.deepEqual({ ...back.params, minScanMs: 0 }, { ...n.params, minScanMs: 0 });
    // A DTC is never "ready to transmit"; MMR is never offered without ECM.
    const dtc = buildDisFields('DTC', caps({ haveDocument: true, ecm: false }), { selectivePolling: true, password: true });
    assert.ok(!dtc.readyToTransmitFax && !dtc.t6 && dtc.selectivePolling && dtc.password);
  });

  it('paramsFromDcs rejects what we did not offer', () => {
    const dcs = (f: Partial<DisFields>): DisInfo => interpretDis({ ...emptyDisFields('DCS'), receiverFax: true, rateCode: 0b0001, ...f });
    assert.ok(paramsFromDcs(dcs({}), caps()).ok);
    assert.match(String(!paramsFromDcs(dcs({}), caps({ modems: ['v29'] })).ok), /true/);
    const r1 = paramsFromDcs(dcs({ ecm: true }), caps({ ecm: false }));
    assert.ok(!r1.ok && /ECM/.test(r1.detail));
    const r2 = paramsFromDcs(dcs({ rateCode: 0b0010 }), caps()); // V.33
    assert.ok(!r2.ok);
    const r3 = paramsFromDcs(dcs({ widthCode: 0b11 }), caps());
    assert.ok(!r3.ok && /width/.test(r3.detail));
  });
});

describe('ECM partial pages', () => {
  it('splits into full, zero-padded frames of at most 256 per block', () => {
    const data = Uint8Array.from({ length: 256 * 300 + 17 }, (_, i) => (i * 7) & 0xff);
    const blocks = splitEcmPage(data, 256);
    assert.deepEqual(blocks.map((b) => b.frames.length), [256, 45]);
    const last = blocks[1]?.frames[44];
    assert.equal(last?.length, 256);
    assert.deepEqual(Array.from(last?.subarray(17) ?? []), new Array<number>(239).fill(0));
    assert.deepEqual(splitEcmPage(new Uint8Array(0), 64).map((b) => b.frames.length), [1]);
    assert.throws(() => splitEcmPage(data, 128 as 64), FaxwireError);
  });

  it('property: reassembling every block gives the data back, padding aside', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40_000 }), fc.constantFrom<64 | 256>(64, 256), (data, size) => {
        const blocks = splitEcmPage(data, size);
        const rebuilt = concatChunks(
          blocks.map((b) => {
            const rx = new EcmRxBlock();
            // Deliver in a scrambled order, some twice.
            const order = b.frames.map((_, i) => i).reverse();
            for (const i of order) rx.put(i, b.frames[i] ?? new Uint8Array(0));
            rx.put(0, b.frames[0] ?? new Uint8Array(0));
            assert.deepEqual(rx.missing(b.frames.length), []);
            assert.ok(b.frames.length <= ECM_MAX_FRAMES_PER_BLOCK);
            return rx.assemble(b.frames.length);
          }),
        );
        assert.deepEqual(rebuilt.subarray(0, data.length), data);
        assert.ok(rebuilt.subarray(data.length).every((x) => x === 0));
      }),
      { numRuns: 50 },
    );
  });

  it('EcmRxBlock: frames of any size in any order, replaced, over several blocks = a per-frame map (store grown, reused, not aliasing the caller)', () => {
    const frame = fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 256 }), fc.uint8Array({ minLength: 257, maxLength: 300 }), fc.uint8Array({ minLength: 64, maxLength: 64 }));
    const puts = fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), frame), { maxLength: 80 });
    fc.assert(
      fc.property(fc.array(puts, { minLength: 1, maxLength: 3 }), (blocks) => {
        const rx = new EcmRxBlock();
        for (const block of blocks) {
          rx.clear();
          const ref = new Map<number, number[]>();
          for (const [n, d] of block) {
            const given = d.slice();
            rx.put(n, given);
            given.fill(0xa5); // the caller's array is its own again
            ref.set(n, Array.from(d));
          }
          const count = 1 + Math.max(-1, ...ref.keys());
          const expected: number[] = [];
          for (let i = 0; i < count; i++) expected.push(...(ref.get(i) ?? []));
          assert.deepEqual(Array.from(rx.assemble(count)), expected);
          assert.equal(rx.received, ref.size);
          assert.deepEqual(rx.missing(count), [...Array(count).keys()].filter((i) => !ref.has(i)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('EcmRxBlock: missing frames, bounds, clear', () => {
    const rx = new EcmRxBlock();
    assert.ok(rx.put(0, Uint8Array.of(1)));
    assert.ok(rx.put(3, Uint8Array.of(4)));
    assert.ok(!rx.put(256, Uint8Array.of(9)));
    assert.ok(!rx.put(-1, Uint8Array.of(9)));
    assert.deepEqual(rx.missing(5), [1, 2, 4]);
    assert.deepEqual(Array.from(rx.assemble(5)), [1, 4]);
    assert.equal(rx.received, 2);
    rx.clear();
    assert.deepEqual(rx.missing(2), [0, 1]);
  });

  it('PPR frames carry the missing list through the codec', () => {
    const frames = [0, 7, 8, 255];
    const raw = encodeT30Frame({ type: 'PPR', final: true, xBit: false, frames });
    const d = decodeT30Frame(raw);
    assert.ok(d.ok && d.value.type === 'PPR');
    assert.deepEqual(d.value.frames, frames);
  });
});

describe('timers and completion codes', () => {
  it('T.30 §5.4.3.1 nominal values; waits at the top of the tolerance', () => {
    assert.equal(T30_T0_MS, 60_000);
    assert.equal(T30_T1_MS, 35_000);
    assert.equal(T30_T2_MS, 6_000);
    assert.equal(T30_T4_MS, 3_000);
    assert.equal(T30_T5_MS, 60_000);
    assert.equal(T2_WAIT_MS, 7_000);
    assert.equal(T4_WAIT_MS, 3_450);
  });

  it('T30Timers: earliest first, re-arming replaces, snapshot', () => {
    const t = new T30Timers();
    t.set('T1', 500);
    t.set('T4', 100);
    t.set('T2', 300);
    t.set('T4', 200);
    assert.equal(t.next(), 200);
    assert.equal(t.popDue(150), undefined);
    assert.equal(t.popDue(1000), 'T4');
    assert.equal(t.popDue(1000), 'T2');
    assert.deepEqual(t.snapshot(), { T1: 500 });
    t.clearAll();
    assert.equal(t.next(), undefined);
  });

  it('every completion code has its own message', () => {
    const msgs = T30_RESULT_CODES.map((c) => t30ResultMessage(c));
    assert.equal(new Set(T30_RESULT_CODES).size, T30_RESULT_CODES.length);
    assert.equal(new Set(msgs).size, msgs.length);
    assert.ok(T30_RESULT_CODES.length >= 45);
    assert.ok(msgs.every((m) => m.length >= 2));
  });
});

describe('state machine and options', () => {
  const opts: T30EngineOptions = { role: 'calling', send: { pages: [testPage(1)] } };

  it('every state belongs to a phase; impossible moves throw', () => {
    for (const s of T30_STATES) assert.ok(['A', 'B', 'C', 'D', 'E'].includes(T30_STATE_PHASE[s]));
    const m = new T30Machine(opts, T4_CODEC);
    assert.throws(() => m.setState('II_Q'), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
    m.setState('A_CNG');
    m.setState('D_TCF');
    assert.throws(() => m.setState('F_TCF'), /D_TCF → F_TCF/);
    m.setState('CALL_FINISHED');
    assert.throws(() => m.setState('E_DCN'), /CALL_FINISHED/);
    const ev = m.takeEvents();
    assert.deepEqual(ev.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : '')), ['IDLE>A_CNG', 'A_CNG>D_TCF', 'D_TCF>CALL_FINISHED']);
  });

  it('option checks throw FAXWIRE_ERR_INVALID_ARGUMENT', () => {
    const bad: Partial<T30EngineOptions>[] = [
      { ident: 'x'.repeat(21) },
      { ident: 'caf\u00e9' },
      { modems: [] },
      { codings: [] },
      { maxBitRate: 1200 },
      { ecmFrameSize: 128 as 64 },
      { minScanLineMs: 7 },
      { copyQuality: { minGoodRowsPercent: 120, maxConsecutiveBad: 1 } },
    ];
    for (const b of bad) {
      assert.throws(() => new T30Engine({ ...opts, ...b }), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_ARGUMENT', JSON.stringify(b));
    }
    assert.throws(() => new T30Engine({ role: 'calling' }), FaxwireError);
    const e = new T30Engine(opts);
    e.start(0);
    assert.throws(() => e.start(1), FaxwireError);
    assert.equal(e.state, 'A_CNG');
    assert.deepEqual(e.takeTx(), [{ kind: 'tone', tone: 'cng', ms: 500 }]);
  });

  it('copy quality: ≥ 95 % good rows and ≤ 5 consecutive bad ones, with an RTC (HylaFAX defaults)', () => {
    const m = new T30Machine({ role: 'answering', receive: true }, T4_CODEC);
    const r = (rows: number, badRows: number, longestBadRun: number, end: 'rtc' | 'eofb' | 'cut-short' | 'row-limit' = 'rtc'): boolean =>
      copyQualityOk(m, { bitmap: createBitmap(8, 1), rows, badRows, longestBadRun, end });
    assert.equal(r(100, 5, 5), true);
    assert.equal(r(100, 6, 1), false);
    assert.equal(r(100, 5, 6), false);
    assert.equal(r(1000, 50, 5, 'eofb'), true);
    assert.equal(r(100, 0, 0, 'cut-short'), false);
    assert.equal(r(100, 0, 0, 'row-limit'), false);
    assert.equal(r(0, 0, 0), false);
  });
});
