/**
 * T30Engine end to end in virtual time: two engines through the harness line, real T.4/T.6
 * codec, received pages compared pixel by pixel with the sent ones. Successful calls: every
 * coding with and without ECM, every modem/rate, multi-page, EOM, polling, routing fields,
 * local TCF, minimum scan-line time, 64-octet frames and multi-block pages.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import type { T30EngineOptions } from '../../../src/t30/engine.js';
import { decodeT30Frame } from '../../../src/t30/frames.js';
import type { T30Modem, T4Coding } from '../../../src/t30/negotiate.js';
import { assertPagesIdentical, eventsOf, fax, frameTypeOf, noisePage, sentControlFrames, testPage, type RunReport } from './harness.js';

function assertOk(r: RunReport, sent: number, received: number, sender: 'a' | 'b' = 'a'): void {
  const tx = r[sender].result;
  const rx = r[sender === 'a' ? 'b' : 'a'].result;
  assert.equal(tx?.code, 'ok', tx?.message);
  assert.equal(rx?.code, 'ok', rx?.message);
  assert.equal(tx.pagesSent, sent);
  assert.equal(rx.pagesReceived, received);
}

const caller = (pages: readonly Bitmap[], o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({
  role: 'calling',
  send: { pages },
  ident: '+1 555 0100',
  ...o,
});
const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, ident: '+1 555 0199', ...o });

describe('T30Engine: caller sends', () => {
  const cases: readonly { coding: T4Coding; ecm: boolean }[] = [
    { coding: 'mh', ecm: false },
    { coding: 'mr', ecm: false },
    { coding: 'mh', ecm: true },
    { coding: 'mr', ecm: true },
    { coding: 'mmr', ecm: true },
  ];
  for (const { coding, ecm } of cases) {
    it(`1 page, ${coding.toUpperCase()}, ${ecm ? 'ECM' : 'no ECM'}`, () => {
      const pages = [testPage(10)];
      const { b, r } = fax(caller(pages, { codings: [coding], ecm }), answerer({ ecm }));
      assertOk(r, 1, 1);
      assert.equal(r.a.result?.coding, coding);
      assert.equal(r.a.result?.ecm, ecm);
      assert.equal(r.b.result?.coding, coding);
      assert.equal(r.a.result?.remoteIdent, '+1 555 0199');
      assert.equal(r.b.result?.remoteIdent, '+1 555 0100');
      assertPagesIdentical(b, pages);
    });
  }

  it('defaults choose MMR with ECM and MR without', () => {
    const pages = [testPage(3)];
    const withEcm = fax(caller(pages), answerer());
    assert.equal(withEcm.r.a.result?.coding, 'mmr');
    assert.equal(withEcm.r.a.result?.ecm, true);
    const noEcm = fax(caller(pages), answerer({ ecm: false }));
    assert.equal(noEcm.r.a.result?.coding, 'mr');
    assert.equal(noEcm.r.a.result?.ecm, false);
    assertPagesIdentical(noEcm.b, pages);
  });

  for (const ecm of [false, true]) {
    it(`3 pages ${ecm ? 'ECM' : 'non-ECM'}: MPS, MPS, EOP then DCN; phases A→B→C→D→E`, () => {
      const pages = [testPage(1), testPage(2, { height: 200 }), testPage(3, { height: 90 })];
      const { b, r } = fax(caller(pages, { ecm }), answerer());
      assertOk(r, 3, 3);
      assertPagesIdentical(b, pages);
      const cmds = sentControlFrames(r.a.events).filter((n) => /MPS|EOP|EOM/.test(n));
      assert.deepEqual(cmds, ecm ? ['PPS-MPS', 'PPS-MPS', 'PPS-EOP'] : ['MPS', 'MPS', 'EOP']);
      assert.equal(sentControlFrames(r.a.events).at(-1), 'DCN');
      assert.deepEqual(sentControlFrames(r.b.events).filter((n) => n === 'MCF').length, 3);
      const phases = eventsOf(r.a.events, 'phase').map((e) => e.phase);
      assert.deepEqual(phases.slice(0, 4), ['B', 'C', 'D', 'C']);
      assert.equal(phases.at(-1), 'E');
      // Page events on both sides.
      assert.deepEqual(eventsOf(r.a.events, 'page-tx-end').map((e) => [e.page, e.response]), [[1, 'MCF'], [2, 'MCF'], [3, 'MCF']]);
      assert.deepEqual(eventsOf(r.b.events, 'page-rx-end').map((e) => e.page), [1, 2, 3]);
    });
  }

  it('frames carry the X bit of the station that received DIS (T.30 §5.3.6.1)', () => {
    const fcfs: Record<'a' | 'b', number[]> = { a: [], b: [] };
    fax(caller([testPage(4)], { ecm: false }), answerer(), {
      hdlcFrame: (f) => {
        if (f.modulation === 'v21') fcfs[f.from].push(f.frame[2] ?? 0);
        return undefined;
      },
    });
    // Caller: TSI 0xC2, DCS 0xC1, EOP 0xF4, DCN 0xDF. Answerer: CSI 0x02, DIS 0x01, CFR 0x21, MCF 0x31.
    assert.deepEqual(fcfs.a, [0xc2, 0xc1, 0xf4, 0xdf]);
    assert.deepEqual(fcfs.b, [0x02, 0x01, 0x21, 0x31]);
  });
});

describe('T30Engine: every modem and rate', () => {
  const rates: readonly { modems: T30Modem[]; max: number; mod: string; rate: number }[] = [
    { modems: ['v17'], max: 14400, mod: 'v17-14400', rate: 14400 },
    { modems: ['v17'], max: 12000, mod: 'v17-12000', rate: 12000 },
    { modems: ['v17'], max: 9600, mod: 'v17-9600', rate: 9600 },
    { modems: ['v29'], max: 9600, mod: 'v29-9600', rate: 9600 },
    { modems: ['v17'], max: 7200, mod: 'v17-7200', rate: 7200 },
    { modems: ['v29'], max: 7200, mod: 'v29-7200', rate: 7200 },
    { modems: ['v27ter'], max: 4800, mod: 'v27ter-4800', rate: 4800 },
    { modems: ['v27ter'], max: 2400, mod: 'v27ter-2400', rate: 2400 },
  ];
  for (const [i, c] of rates.entries()) {
    const ecm = i % 2 === 1;
    it(`${c.mod} (${ecm ? 'ECM' : 'non-ECM'})`, () => {
      const pages = [testPage(20 + i, { height: 60 })];
      const { b, r } = fax(caller(pages, { modems: c.modems, maxBitRate: c.max, ecm }), answerer());
      assertOk(r, 1, 1);
      assert.equal(r.a.result?.bitRate, c.rate);
      assert.equal(r.a.result?.modulation, c.mod);
      assert.equal(r.b.result?.modulation, c.mod);
      // TCF and the page go out at that modulation.
      const tcf = r.a.steps.find((s) => s.kind === 'tcf');
      assert.equal(tcf?.kind === 'tcf' ? tcf.modulation : '', c.mod);
      const data = r.a.steps.find((s) => s.kind === (ecm ? 'hdlc' : 'image') && s.modulation !== 'v21');
      assert.equal(data?.kind === 'image' || data?.kind === 'hdlc' ? data.modulation : '', c.mod);
      assertPagesIdentical(b, pages);
    });
  }

  it('the DIS of a V.27 ter-only receiver limits a V.17 sender to 4800 bit/s', () => {
    const { r } = fax(caller([testPage(5, { height: 40 })]), answerer({ modems: ['v27ter'] }));
    assertOk(r, 1, 1);
    assert.equal(r.a.result?.modulation, 'v27ter-4800');
  });
});

describe('T30Engine: document handling', () => {
  it('a page of another resolution goes after EOM and a new DIS/DCS', () => {
    const pages = [testPage(30), testPage(31, { yDpi: 196, height: 240 })];
    const { b, r } = fax(caller(pages, { ecm: false }), answerer());
    assertOk(r, 2, 2);
    assertPagesIdentical(b, pages);
    assert.deepEqual(sentControlFrames(r.a.events), ['TSI', 'DCS', 'EOM', 'TSI', 'DCS', 'EOP', 'DCN']);
    assert.equal(sentControlFrames(r.b.events).filter((n) => n === 'DIS').length, 2);
    const res = eventsOf(r.a.events, 'negotiated').map((e) => e.params.resolution);
    assert.deepEqual(res, ['standard', 'fine']);
    assert.equal(b.receivedPages[1]?.bitmap.yDpi, 196);
  });

  it('ECM EOM: PPS-EOM, new phase B, then PPS-EOP', () => {
    const pages = [testPage(32, { yDpi: 196 }), testPage(33)];
    const { b, r } = fax(caller(pages), answerer());
    assertOk(r, 2, 2);
    assertPagesIdentical(b, pages);
    const cmds = sentControlFrames(r.a.events).filter((n) => n.startsWith('PPS'));
    assert.deepEqual(cmds, ['PPS-EOM', 'PPS-EOP']);
  });

  it('64-octet frames (receiver prefers them) and a page spanning several partial pages (PPS-NULL)', () => {
    const pages = [noisePage(7, 180)];
    const { b, r } = fax(caller(pages, { codings: ['mh'] }), answerer({ ecmFrameSize: 64 }));
    assertOk(r, 1, 1);
    assertPagesIdentical(b, pages);
    const pps = sentControlFrames(r.a.events).filter((n) => n.startsWith('PPS'));
    assert.ok(pps.length >= 2, `expected several blocks, got ${pps.join(',')}`);
    assert.ok(pps.slice(0, -1).every((n) => n === 'PPS-NULL'));
    assert.equal(pps.at(-1), 'PPS-EOP');
    const fcd = eventsOf(r.a.events, 'frame-sent').find((e) => e.frame.type === 'FCD');
    assert.equal(fcd?.frame.type === 'FCD' ? fcd.frame.data.length : 0, 64);
    // Each block has at most 256 frames, and PPS counts them.
    for (const e of eventsOf(r.a.events, 'ecm-block-sent')) assert.ok(e.frames <= 256 && e.frames > 0);
  });

  it("honours the receiver's minimum scan-line time in non-ECM (fill), not in ECM", () => {
    const pages = [testPage(40, { height: 50 })];
    const slow = fax(caller(pages, { ecm: false }), answerer({ minScanLineMs: 20 }));
    assertOk(slow.r, 1, 1);
    assertPagesIdentical(slow.b, pages);
    const dcs = eventsOf(slow.r.a.events, 'frame-sent').find((e) => e.frame.type === 'DCS');
    assert.equal(dcs?.frame.type === 'DCS' ? dcs.frame.dis.minScanLineTime?.ms : -1, 20);
    const img = slow.r.a.steps.find((s) => s.kind === 'image');
    // 50 rows × 20 ms × 14400 bit/s = 1800 octets at least.
    assert.ok(img?.kind === 'image' && img.data.length >= (50 * 20 * 14400) / 8000, 'fill bits missing');
    const ecm = fax(caller(pages), answerer({ minScanLineMs: 20 }));
    const dcsEcm = eventsOf(ecm.r.a.events, 'frame-sent').find((e) => e.frame.type === 'DCS');
    assert.equal(dcsEcm?.frame.type === 'DCS' ? dcsEcm.frame.dis.minScanLineTime?.ms : -1, 0);
  });

  it('T.38 local TCF (method 1): no TCF; CFR answers DCS; the first page trains long', () => {
    const pages = [testPage(41)];
    const { b, r } = fax(caller(pages, { ecm: false, tcf: 'local' }), answerer({ tcf: 'local' }));
    assertOk(r, 1, 1);
    assertPagesIdentical(b, pages);
    assert.equal(r.a.steps.filter((s) => s.kind === 'tcf').length, 0);
    const img = r.a.steps.find((s) => s.kind === 'image');
    assert.equal(img?.kind === 'image' ? img.shortTrain : true, false);
  });

  it('with TCF, the page after it uses the short training', () => {
    const { r } = fax(caller([testPage(42), testPage(43)], { ecm: false }), answerer());
    const imgs = r.a.steps.filter((s) => s.kind === 'image');
    assert.deepEqual(imgs.map((s) => (s.kind === 'image' ? s.shortTrain : null)), [true, true]);
  });

  it('SUB and SID are sent when the far end offers them; the receiver reports them', () => {
    const { r } = fax(caller([testPage(44)], { subaddress: '4711', password: 'secret' }), answerer({ password: 'secret' }));
    assertOk(r, 1, 1);
    assert.equal(r.b.result?.remoteSubaddress, '4711');
    assert.equal(r.b.result?.remotePassword, 'secret');
    const names = sentControlFrames(r.a.events);
    assert.deepEqual(names.slice(0, 4), ['TSI', 'SUB', 'SID', 'DCS']);
    const dcs = eventsOf(r.a.events, 'frame-sent').find((e) => e.frame.type === 'DCS');
    assert.ok(dcs?.frame.type === 'DCS' && dcs.frame.dis.subaddressing && dcs.frame.dis.password);
  });
});

describe('T30Engine: polling (answerer sends)', () => {
  for (const ecm of [false, true]) {
    it(`caller polls with DTC and receives 2 pages (${ecm ? 'ECM' : 'non-ECM'})`, () => {
      const pages = [testPage(50), testPage(51)];
      const { a, r } = fax({ role: 'calling', receive: true, ident: 'POLLER', ecm }, { role: 'answering', send: { pages }, ident: 'DOCS' });
      assertOk(r, 2, 2, 'b');
      assertPagesIdentical(a, pages);
      assert.deepEqual(sentControlFrames(r.a.events).slice(0, 2), ['CIG', 'DTC']);
      const bFrames = sentControlFrames(r.b.events);
      assert.deepEqual(bFrames.slice(0, 4), ['CSI', 'DIS', 'TSI', 'DCS']);
      assert.equal(bFrames.at(-1), 'DCN');
      assert.equal(r.a.result?.remoteIdent, 'DOCS');
      assert.equal(r.b.result?.remoteIdent, 'POLLER');
      // DIS bit 9: document ready; answerer frames keep X = 0 even when it sends DCS.
      const dis = eventsOf(r.b.events, 'frame-sent').find((e) => e.frame.type === 'DIS');
      assert.ok(dis?.frame.type === 'DIS' && dis.frame.dis.readyToTransmitFax);
      const dcs = eventsOf(r.b.events, 'frame-sent').find((e) => e.frame.type === 'DCS');
      assert.equal(dcs?.frame.type === 'DCS' ? dcs.frame.xBit : true, false);
    });
  }

  it('selective polling: SEP and PWD precede DTC; a matching password is accepted', () => {
    const pages = [testPage(52)];
    const { a, r } = fax(
      { role: 'calling', receive: true, selectivePolling: 'DOC7', password: '1234' },
      { role: 'answering', send: { pages }, password: '1234' },
    );
    assertOk(r, 1, 1, 'b');
    assertPagesIdentical(a, pages);
    assert.deepEqual(sentControlFrames(r.a.events).slice(0, 3), ['PWD', 'SEP', 'DTC']);
    assert.equal(r.b.result?.remoteSelectivePolling, 'DOC7');
    assert.equal(r.b.result?.remotePassword, '1234');
  });

  it('a wrong polling password is refused', () => {
    const { r } = fax({ role: 'calling', receive: true, password: 'nope' }, { role: 'answering', send: { pages: [testPage(53)] }, password: '1234' });
    assert.equal(r.b.result?.code, 'password-unacceptable');
    assert.equal(r.a.result?.code, 'dcn-waiting-command');
  });
});

describe('T30Engine: the line boundary', () => {
  it('every transmitted HDLC frame decodes; the last V.21 frame of a burst is final', () => {
    const { r } = fax(caller([testPage(60)]), answerer());
    for (const side of ['a', 'b'] as const) {
      for (const s of r[side].steps) {
        if (s.kind !== 'hdlc') continue;
        s.frames.forEach((f, i) => {
          const d = decodeT30Frame(f);
          assert.ok(d.ok, frameTypeOf(f));
          if (s.modulation === 'v21') assert.equal(d.value.final, i === s.frames.length - 1);
          else assert.equal(d.value.final, false); // FCD/RCP are never final (spandsp does the same)
        });
      }
    }
  });

  it('engine calls never go back in time and nextTimeout is honoured', () => {
    const { a, b } = fax(caller([testPage(61)]), answerer());
    assert.ok(a.finished && b.finished);
    assert.equal(a.nextTimeout(), undefined);
    assert.equal(b.nextTimeout(), undefined);
    const st = a.getStats();
    assert.equal(st.state, 'CALL_FINISHED');
    assert.equal(st.phase, 'E');
    assert.ok(st.framesSent > 0 && st.txSteps > 0 && st.lineEvents > 0);
  });
});
