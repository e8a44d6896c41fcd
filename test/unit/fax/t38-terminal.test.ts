/**
 * T38Terminal ↔ T38Terminal in virtual time: two complete fax calls' worth of T.30 + T.4/T.6 +
 * T.38 line + UDPTL (or TPKT) running against each other through an impaired network model —
 * random and burst (Gilbert–Elliott) loss, duplication, reordering by jitter — with and without
 * ECM. The received pages must be pixel-identical to the sent ones (ECM guarantees it; non-ECM
 * with redundancy repairing every loss too), never just "the T.30 result said OK".
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T38Terminal, type T38TerminalOptions } from '../../../src/fax/terminal/t38-terminal.js';
import { drawText, fillRect, stampHeaderLine } from '../../../src/image/text.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';
import { xorshift32 } from '../../../src/util/random.js';
import { VirtualNet, type Impairments } from '../../sim/network.js';
import { runT38Call, samePixels, type T38CallOptions, type T38CallOutcome } from '../../sim/t38-call.js';

// ------------------------------------------------------------------------------------------
// a call through the network model (test/sim/network.ts)

interface CallOutcome extends T38CallOutcome {
  readonly net: VirtualNet;
}

/** Runs a call in virtual time until both terminals are done (or `limit` fax ms). */
function runCall(
  callerOpts: T38TerminalOptions,
  answererOpts: T38TerminalOptions,
  imp: Impairments,
  seed: number,
  limit = 600_000,
  app?: T38CallOptions['app'],
): CallOutcome {
  const net = new VirtualNet(imp, xorshift32(seed));
  return { ...runT38Call(callerOpts, answererOpts, net, app ? { limit, app } : { limit }), net };
}

// ------------------------------------------------------------------------------------------
// pages

function testPage(n: number, rows = 480): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 196 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `faxwire virtual-time test page ${n}`, 4, 4);
  for (let i = 0; i < 12; i++) drawText(b, 60, 110 + i * 26, `line ${i} of page ${n}: THE QUICK BROWN FOX 0123456789 jumps over the lazy dog`, 2, 3);
  for (let x = 0; x < 40; x++) fillRect(b, 1200 + x * 12, 100 + (x % 7) * 30, 6, 200, (x + n) % 3 !== 0);
  fillRect(b, 20, rows - 24, 1688, 4, true);
  return b;
}

function assertDelivered(o: CallOutcome, pages: Bitmap[], what: string): void {
  const diag = `${what}: caller ${JSON.stringify(o.caller.result)}\nanswerer ${JSON.stringify(o.answerer.result)}\nnet ${JSON.stringify(o.net.counters)} at ${o.endedAt}`;
  assert.ok(o.caller.done && o.answerer.done, `both terminals done — ${diag}`);
  assert.equal(o.caller.result?.ok, true, diag);
  assert.equal(o.answerer.result?.ok, true, diag);
  assert.equal(o.caller.result?.pagesSent, pages.length, diag);
  assert.equal(o.received.length, pages.length, diag);
  o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical — ${diag}`));
}

const red3 = { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } } as const;

// ------------------------------------------------------------------------------------------

describe('T38Terminal ↔ T38Terminal in virtual time', () => {
  const pages = [testPage(1), testPage(2)];

  for (const ecm of [true, false]) {
    it(`clean network, ${ecm ? 'ECM' : 'non-ECM'}, T.38 v0: 2 pages arrive pixel-identical; IFP stream shaped like spandsp's`, () => {
      const traceA: string[] = [];
      const o = runCall(
        { role: 'calling', send: { pages }, ecm, ident: 'CALLER', onTrace: (l) => traceA.push(l) },
        { role: 'answering', receive: true, ecm, ident: 'ANSWERER' },
        {},
        1,
      );
      assertDelivered(o, pages, 'clean');
      assert.equal(o.caller.result?.ecm, ecm);
      assert.equal(o.caller.result?.remoteIdent, 'ANSWERER');
      assert.equal(o.answerer.result?.remoteIdent, 'CALLER');
      assert.equal(o.caller.result?.coding, ecm ? 'mmr' : 'mr');
      assert.equal(o.caller.result?.bitRate, 14400);
      // No loss: nothing lost, nothing malformed.
      for (const t of [o.caller, o.answerer]) {
        assert.equal(t.getStats().lostIfps, 0);
        assert.equal(t.getStats().malformedIfps, 0);
      }
      const tx = traceA.filter((l) => / TX /.test(l)).map((l) => l.replace(/^.*seq=\s*\d+ /, '').replace(/\s+ifp=.*$/, ''));
      assert.deepEqual(tx.slice(0, 2), ['ind no-signal', 'ind cng']);
      assert.ok(tx.includes('ind v17-14400-long-training'), 'TCF on a long-trained V.17');
      assert.ok(tx.includes('data v17-14400 t4-non-ecm-sig-end:54'), 'TCF ends like spandsp: sig-end with 54 zero octets');
    });
  }

  it('T.38 versions 1, 2, 3 and the v3 IFP encoding end to end (ECM)', () => {
    for (const v of [1, 2, 3] as const) {
      const o = runCall({ role: 'calling', send: { pages: [pages[0] ?? testPage(1)] }, t38Version: v }, { role: 'answering', receive: true, t38Version: v }, {}, 2);
      assertDelivered(o, [pages[0] ?? testPage(1)], `v${v}`);
    }
  });

  for (const ecm of [true, false]) {
    it(`impaired: 5 % random loss, 2 % duplicates, 20–70 ms jitter (reordering), redundancy 3, ${ecm ? 'ECM' : 'non-ECM'}`, () => {
      const o = runCall(
        { role: 'calling', send: { pages }, ecm, errorCorrection: red3 },
        { role: 'answering', receive: true, ecm, errorCorrection: red3 },
        { loss: 0.05, duplicate: 0.02, delay: { min: 20, max: 70 } },
        ecm ? 3 : 4,
      );
      assertDelivered(o, pages, 'impaired');
      const rx = o.answerer.getStats().udptlRx;
      assert.ok((rx?.recoveredFromSecondary ?? 0) > 10, 'redundancy did the repairing');
      assert.ok((rx?.duplicates ?? 0) > 0 && (rx?.late ?? 0) > 0, 'duplicates and late (reordered) datagrams were seen and dropped');
    });
  }

  it('impaired: burst loss (Gilbert–Elliott, mean burst 2, ~4 % lost), redundancy 3, ECM', () => {
    const o = runCall(
      { role: 'calling', send: { pages }, errorCorrection: red3 },
      { role: 'answering', receive: true, errorCorrection: red3 },
      { burst: { enter: 0.02, leave: 0.5 }, delay: { min: 30, max: 40 } },
      5,
    );
    assertDelivered(o, pages, 'burst');
  });

  it('impaired: 2 % loss and NO redundancy, ECM — T.30 itself recovers (command repeats, PPR)', () => {
    const o = runCall(
      { role: 'calling', send: { pages }, errorCorrection: { mode: 'none' } },
      { role: 'answering', receive: true, errorCorrection: { mode: 'none' } },
      { loss: 0.02, delay: { min: 20, max: 30 } },
      6,
    );
    assertDelivered(o, pages, 'no redundancy');
    const lost = o.answerer.getStats().lostIfps + o.caller.getStats().lostIfps;
    assert.ok(lost > 0, 'some IFPs were really lost');
  });

  it('receiver flow control: a page sink busy for 20 s holds the sender with RNR (T.30 Annex A), then the pages arrive intact', () => {
    // Busy from the start; ready again 20 s after the first RNR went out.
    let readyAt = Infinity;
    let started = false;
    const o = runCall({ role: 'calling', send: { pages } }, { role: 'answering', receive: true }, { delay: { min: 20, max: 30 } }, 8, 600_000, (now, _a, b) => {
      if (!started) {
        b.setReceiveReady(false, now);
        started = true;
      } else if (readyAt === Infinity && (b.getStats().t30?.rnrSent ?? 0) > 0) {
        readyAt = now + 20_000;
      } else if (now >= readyAt && !b.receiveReady) {
        b.setReceiveReady(true, now);
      }
    });
    assertDelivered(o, pages, 'rnr');
    const rx = o.answerer.getStats().t30;
    const tx = o.caller.getStats().t30;
    assert.ok((rx?.rnrSent ?? 0) >= 2, `the receiver said RNR more than once (${rx?.rnrSent})`);
    assert.equal(tx?.rnrReceived, rx?.rnrSent, 'every RNR reached the sender');
    assert.ok((tx?.rrSent ?? 0) >= 1, 'the sender polled with RR');
    assert.ok(o.endedAt > readyAt, 'the sender waited for the sink');
  });

  it('receiver flow control: a page sink that never becomes ready ends the call at the sender\'s T5 (60 s), with DCN', () => {
    const o = runCall({ role: 'calling', send: { pages } }, { role: 'answering', receive: true }, {}, 9, 600_000, (now, _a, b) => {
      if (b.result === undefined) b.setReceiveReady(false, now);
    });
    assert.equal(o.caller.result?.code, 't5-expired', JSON.stringify(o.caller.result));
    assert.equal(o.caller.result?.pagesSent, 0);
    assert.equal(o.received.length, 0, 'no page was confirmed');
    assert.notEqual(o.answerer.result?.ok, true, JSON.stringify(o.answerer.result));
    const dcn = o.events[1].some((e) => e.type === 'frame-received' && e.frame?.type === 'DCN');
    assert.ok(dcn, 'the sender said DCN');
  });

  for (const ecm of [true, false]) {
    it(`turnaround polling over T.38, ${ecm ? 'ECM' : 'non-ECM'}: the caller sends its pages, then polls the answerer's document on the same call`, () => {
      const polled = [testPage(7)];
      const o = runCall(
        { role: 'calling', send: { pages }, receive: true, ecm, ident: 'CALLER' },
        { role: 'answering', send: { pages: polled }, receive: true, ecm, ident: 'ANSWERER' },
        { delay: { min: 20, max: 30 } },
        10,
      );
      const diag = `caller ${JSON.stringify(o.caller.result)} answerer ${JSON.stringify(o.answerer.result)}`;
      assert.equal(o.caller.result?.ok, true, diag);
      assert.equal(o.answerer.result?.ok, true, diag);
      assert.equal(o.received.length, pages.length, diag);
      o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} to the answerer pixel-identical`));
      const back = o.events[0].flatMap((e) => (e.type === 'page-rx-end' && e.accepted ? [e.bitmap] : []));
      assert.equal(back.length, 1, `the caller received the polled page — ${diag}`);
      assert.ok(samePixels(back[0] ?? polled[0]!, polled[0]!), 'the polled page is pixel-identical');
      // Non-ECM: EOM; ECM: PPS-EOM (T.30 Annex A) — either way back to phase B for the poll.
      const sent = o.events[0].flatMap((e) => (e.type === 'frame-sent' ? [e.frame.type === 'PPS' ? `PPS-${e.frame.fcf2}` : e.frame.type] : []));
      assert.ok(sent.includes(ecm ? 'PPS-EOM' : 'EOM') && sent.includes('DTC') && !sent.includes(ecm ? 'PPS-EOP' : 'EOP'), `the caller ended its document with EOM and polled with DTC: ${sent.join(' ')}`);
      assert.equal(o.caller.result?.pagesSent, pages.length);
      assert.equal(o.caller.result?.pagesReceived, 1);
    });
  }

  it('parity FEC (span 3, entries 3) instead of redundancy, 3 % loss, ECM', () => {
    const fec = { mode: 'fec', span: 3, entries: 3 } as const;
    const o = runCall(
      { role: 'calling', send: { pages }, errorCorrection: fec },
      { role: 'answering', receive: true, errorCorrection: fec },
      { loss: 0.03, delay: { min: 20, max: 30 } },
      7,
    );
    assertDelivered(o, pages, 'fec');
    assert.ok((o.answerer.getStats().udptlRx?.recoveredFromFec ?? 0) > 0, 'FEC repaired something');
  });

  it('data-rate management method 1 (local TCF): no TCF crosses the network', () => {
    const trace: string[] = [];
    const o = runCall(
      { role: 'calling', send: { pages: [pages[0] ?? testPage(1)] }, tcf: 'local', onTrace: (l) => trace.push(l) },
      { role: 'answering', receive: true, tcf: 'local' },
      {},
      8,
    );
    assertDelivered(o, [pages[0] ?? testPage(1)], 'local TCF');
    // In an ECM call the only non-ECM data is the TCF: none must go out.
    assert.equal(o.caller.result?.ecm, true);
    assert.ok(!trace.some((l) => / TX .*t4-non-ecm/.test(l)), 'no TCF sent');
    assert.ok(trace.some((l) => / TX .*hdlc-data/.test(l)), 'the trace saw the call');
  });

  for (const ecm of [true, false]) {
    it(`TPKT over a reliable stream (arbitrary chunking), unpaced, ${ecm ? 'ECM' : 'non-ECM'}`, () => {
      const a = new T38Terminal({ role: 'calling', send: { pages }, ecm, transport: 'tpkt' });
      const b = new T38Terminal({ role: 'answering', receive: true, ecm, transport: 'tpkt' });
      const received: Bitmap[] = [];
      const rnd = xorshift32(9);
      // A TCP stream: bytes in order, re-chunked at random, 5 ms later.
      const pipes: { at: number; to: 0 | 1; bytes: Uint8Array }[] = [];
      const move = (now: number): void => {
        [a, b].forEach((t, i) => {
          const out = t.takeOutput();
          if (out.length > 0) {
            const all = Buffer.concat(out);
            for (let p = 0; p < all.length; ) {
              const n = 1 + (rnd() % 97);
              pipes.push({ at: now + 5, to: i === 0 ? 1 : 0, bytes: all.subarray(p, p + n) });
              p += n;
            }
          }
          for (const e of t.takeEvents()) if (i === 1 && e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
        });
      };
      b.start(0);
      a.start(10);
      move(10);
      let now = 10;
      for (let g = 0; g < 1_000_000 && !(a.done && b.done); g++) {
        const times = [a.nextTimeout(), b.nextTimeout(), ...pipes.map((p) => p.at)].filter((x): x is number => x !== undefined);
        if (times.length === 0) break;
        now = Math.max(now, Math.min(...times));
        while (pipes.length > 0 && (pipes[0]?.at ?? Infinity) <= now) {
          const p = pipes.shift();
          if (p) [a, b][p.to]?.receive(p.bytes, now);
        }
        a.tick(now);
        b.tick(now);
        move(now);
      }
      assert.equal(a.result?.ok, true, JSON.stringify(a.result));
      assert.equal(b.result?.ok, true, JSON.stringify(b.result));
      assert.equal(received.length, pages.length);
      received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r)));
      assert.equal(a.getStats().tcpFramingErrors + b.getStats().tcpFramingErrors, 0);
    });
  }

  it('header line: stamped on the pages sent, with "Page n/N" on the right', () => {
    const plain = testPage(1);
    const o = runCall(
      { role: 'calling', send: { pages: [plain] }, headerLine: 'FROM FAXWIRE' },
      { role: 'answering', receive: true },
      {},
      10,
    );
    assert.equal(o.received.length, 1);
    const got = o.received[0] ?? plain;
    const want = stampHeaderLine(plain, 'FROM FAXWIRE', 1, 1);
    assert.ok(samePixels(got, want), 'the receiver got the stamped page');
    assert.ok(!samePixels(got, plain), 'which differs from the plain one');
    // The right-hand end of the band holds the "Page 1/1" label's black pixels.
    let black = 0;
    for (let y = 0; y < 22; y++) for (let x = 1500; x < 1728; x++) black += getPixel(got, x, y);
    assert.ok(black > 50);
  });

  it('header line on 3 pages: each page gets its own "Page n/3", stamped only when it is coded', () => {
    const plain = [testPage(2), testPage(3), testPage(4)];
    for (const ecm of [true, false]) {
      const o = runCall({ role: 'calling', send: { pages: plain }, headerLine: 'FROM FAXWIRE', ecm }, { role: 'answering', receive: true, ecm }, {}, 11);
      assert.equal(o.received.length, 3);
      o.received.forEach((got, i) => assert.ok(samePixels(got, stampHeaderLine(plain[i] ?? got, 'FROM FAXWIRE', i + 1, 3)), `page ${i + 1}`));
      assert.ok(!samePixels(o.received[0] ?? plain[0]!, stampHeaderLine(plain[0]!, 'FROM FAXWIRE', 2, 3)), 'the page numbers differ');
    }
  });

  it('garbage datagrams are counted, never thrown', () => {
    const t = new T38Terminal({ role: 'answering', receive: true });
    t.start(0);
    const rnd = xorshift32(12);
    for (let i = 0; i < 2000; i++) {
      const n = rnd() % 40;
      const d = new Uint8Array(n);
      for (let k = 0; k < n; k++) d[k] = rnd() & 0xff;
      t.receive(d, i);
      t.tick(i);
    }
    const s = t.getStats();
    assert.ok((s.udptlRx?.malformed ?? 0) + s.malformedIfps > 0);
  });
});
