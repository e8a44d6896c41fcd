/**
 * Gateway calls over an impaired IP network (issue 11 "How it is checked"), V.17 14400, ECM and
 * non-ECM, 3 pages: audio fax → gateway → impaired IP → gateway → audio fax (topology A), and
 * audio fax → gateway → impaired IP → T.38 terminal (ECM) and back (non-ECM) (topology B).
 * - 10 % random loss each way with UDPTL redundancy 3 (T.38 §9.1: each datagram carries the 3
 *   previous IFPs as secondaries);
 * - bursts of exactly 5 lost datagrams with parity FEC (span 3, 5 entries: T.38 §9.1 fec-info;
 *   bursts up to `entries` long are restored once past the FEC's wind-up, the first span×entries
 *   datagrams each way, which the network spares);
 * - 300 ms of jitter (one-way delay uniform in 20…320 ms: datagrams ~30 ms apart overtake each
 *   other by up to ten places) — with the gateways' default UDPTL reorder buffer (32 datagrams,
 *   350 ms; the T.38 terminal of topology B configured the same), whose play-out must keep every
 *   burst whole (with the 4 / 120 ms the gateway had first, 5 IFPs were lost and 4 rows bad);
 * - 40 ms of jitter (20…60 ms) with the default reorder buffer;
 * - 10 % of datagrams duplicated (with 3 % loss).
 * And the audio legs impaired: G.711 A-law and µ-law, an audio frame lost in a page.
 * Pages must still be pixel-identical; the rate may fall back where a loss hits the TCF, so
 * with loss only ECM and the pages are required — on a network that loses nothing (jitter
 * alone) the call must also keep 14 400 bit/s. The recovery figures are checked to be non-zero where
 * the network lost something (the impairment was real), and printed.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { UdptlErrorCorrection } from '../../../src/t38/udptl-sender.js';
import { xorshift32 } from '../../../src/util/random.js';
import { g711Channel, runGatewayCall, type GatewayCallOutcome } from '../../sim/gateway-call.js';
import { FixedBurstLoss, VirtualNet, type Impairments } from '../../sim/network.js';
import { assertGatewayCall, printOutcome, testPage } from './gateway-call-check.js';

const REDUNDANCY_3: UdptlErrorCorrection = { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } };
const FEC_3X5: UdptlErrorCorrection = { mode: 'fec', span: 3, entries: 5 };

interface Case {
  readonly name: string;
  readonly ec: UdptlErrorCorrection;
  readonly imp: Impairments;
  /** UDPTL reorder buffer of the gateways and the T.38 terminal (default: theirs). */
  readonly reorder?: { readonly reorderWindow: number; readonly reorderHoldMs: number };
  /** Nothing is lost on this network, so nothing may push the call below 14 400 bit/s. */
  readonly lossless?: boolean;
  /** What must show the impairment was real (the gateways' and network's figures). */
  readonly check: (o: GatewayCallOutcome) => void;
}

const recovered = (o: GatewayCallOutcome): number => (o.caller.summary?.ifpsRecovered ?? 0) + (o.answerer.summary?.ifpsRecovered ?? 0) + (o.caller.kind === 't38' || o.answerer.kind === 't38' ? t38Recovered(o) : 0);

function t38Recovered(o: GatewayCallOutcome): number {
  const e = o.caller.kind === 't38' ? o.caller : o.answerer;
  const s = e.terminalStats;
  return 'udptlRx' in s && s.udptlRx ? s.udptlRx.recoveredFromSecondary + s.udptlRx.recoveredFromFec : 0;
}

/**
 * The T.38 terminal's reorder buffer in topology B: its own default (2 datagrams / 60 ms, chosen
 * to deliver with little delay, src/fax/terminal/t38-terminal.ts) is not meant for 300 ms of
 * jitter, so the terminal is configured as the gateway's default — it is the gateway under test.
 */
const TERMINAL_REORDER = { reorderWindow: 32, reorderHoldMs: 350 } as const;

const lostOnNet = (o: GatewayCallOutcome): number => (o.net instanceof VirtualNet ? o.net.counters.lost : 0);
const reordered = (o: GatewayCallOutcome): number => (o.caller.gatewayStats?.udptlRx.reordered ?? 0) + (o.answerer.gatewayStats?.udptlRx.reordered ?? 0);

const CASES: readonly Case[] = [
  {
    name: '10 % random loss, redundancy 3',
    ec: REDUNDANCY_3,
    imp: { loss: 0.1, delay: 20 },
    check: (o) => {
      assert.ok(lostOnNet(o) > 0, 'the network lost datagrams');
      assert.ok(recovered(o) > 0, 'redundancy restored IFPs');
    },
  },
  {
    name: 'bursts of 5 lost datagrams, parity FEC 3×5',
    ec: FEC_3X5,
    imp: { lossProcess: (r) => new FixedBurstLoss(0.02, 5, r), lossFrom: 15, delay: 20 },
    check: (o) => {
      assert.ok(lostOnNet(o) >= 5, 'the network lost a burst');
      assert.ok(recovered(o) > 0, 'FEC restored IFPs');
    },
  },
  {
    name: '300 ms of jitter with reordering, redundancy 3',
    ec: REDUNDANCY_3,
    imp: { delay: { min: 20, max: 320 } },
    lossless: true,
    check: (o) => assert.ok(reordered(o) > 0 || recovered(o) > 0, 'datagrams arrived out of order'),
  },
  {
    // Mild jitter, well inside any VoIP network's: datagrams sent at the same instant (an ECM
    // frame's IFPs, relayed whole) arrive in any order.
    name: '40 ms of jitter (20…60 ms delay), redundancy 3',
    ec: REDUNDANCY_3,
    imp: { delay: { min: 20, max: 60 } },
    lossless: true,
    check: (o) => assert.ok(reordered(o) > 0 || recovered(o) > 0, 'datagrams arrived out of order'),
  },
  {
    name: '10 % of datagrams duplicated, 3 % lost',
    ec: REDUNDANCY_3,
    imp: { duplicate: 0.1, loss: 0.03, delay: 20 },
    check: (o) => {
      const dups = (o.caller.gatewayStats?.udptlRx.duplicates ?? 0) + (o.answerer.gatewayStats?.udptlRx.duplicates ?? 0);
      assert.ok(dups > 0, 'duplicates arrived and were dropped');
    },
  },
];

describe('gateway calls over an impaired IP network', () => {
  for (const c of CASES) {
    for (const ecm of [true, false]) {
      it(`A: ${c.name}, ${ecm ? 'ECM' : 'non-ECM'}`, (t) => {
        const pages = [testPage(11, 160), testPage(12, 100), testPage(13, 200)];
        const gateway = { errorCorrection: c.ec, ...c.reorder };
        const o = runGatewayCall(
          { audio: { role: 'calling', send: { pages }, ecm }, gateway },
          { audio: { role: 'answering', receive: true, ecm }, gateway },
          { net: new VirtualNet(c.imp, xorshift32(ecm ? 11 : 12)), limit: 400_000 },
        );
        printOutcome(t, o);
        assertGatewayCall(o, pages, { ecm, ...(c.lossless === true ? { bitRate: 14400 } : {}) });
        c.check(o);
      });
    }
    it(`B: ${c.name}, ECM, the audio fax sends to a T.38 terminal`, (t) => {
      const pages = [testPage(21, 160), testPage(22, 120)];
      const o = runGatewayCall(
        { audio: { role: 'calling', send: { pages } }, gateway: { errorCorrection: c.ec, ...c.reorder } },
        { t38: { role: 'answering', receive: true, errorCorrection: c.ec, ...TERMINAL_REORDER, ...c.reorder } },
        { net: new VirtualNet(c.imp, xorshift32(21)), limit: 400_000 },
      );
      printOutcome(t, o);
      assertGatewayCall(o, pages, { ecm: true, ...(c.lossless === true ? { bitRate: 14400 } : {}) });
      c.check(o);
    });
    it(`B: ${c.name}, non-ECM, a T.38 terminal sends to the audio fax`, (t) => {
      const pages = [testPage(23, 160), testPage(24, 120)];
      const o = runGatewayCall(
        { t38: { role: 'calling', send: { pages }, ecm: false, errorCorrection: c.ec, ...TERMINAL_REORDER, ...c.reorder } },
        { audio: { role: 'answering', receive: true, ecm: false }, gateway: { errorCorrection: c.ec, ...c.reorder } },
        { net: new VirtualNet(c.imp, xorshift32(22)), limit: 400_000 },
      );
      printOutcome(t, o);
      assertGatewayCall(o, pages, { ecm: false, ...(c.lossless === true ? { bitRate: 14400 } : {}) });
      c.check(o);
    });
  }
});

describe('gateway calls with impaired audio legs', () => {
  for (const [law, ecm] of [
    ['alaw', true],
    ['ulaw', false],
  ] as const) {
    it(`A: both audio legs through G.711 ${law}, ${ecm ? 'ECM' : 'non-ECM'}`, (t) => {
      const pages = [testPage(31, 160), testPage(32, 120)];
      const o = runGatewayCall({ audio: { role: 'calling', send: { pages }, ecm } }, { audio: { role: 'answering', receive: true, ecm } }, { audioChannel: g711Channel(law), limit: 300_000 });
      printOutcome(t, o);
      assertGatewayCall(o, pages, { bitRate: 14400, ecm });
    });
  }

  it('A: an audio frame lost on its way to the sending gateway in the middle of an ECM page — ridden through (fillIn), repaired by ECM', (t) => {
    const pages = [testPage(41, 600)];
    let lostAt = -1;
    let loud = 0;
    const o = runGatewayCall({ audio: { role: 'calling', send: { pages } } }, { audio: { role: 'answering', receive: true } }, {
      limit: 300_000,
      audioChannel: (f, leg) => {
        // The 30th loud frame the caller sends after 12 s: inside the page's V.17 burst.
        if (leg.end === 0 && leg.toward === 'gateway' && leg.index * 20 > 12_000 && lostAt < 0 && f.some((v) => Math.abs(v) > 1000) && ++loud === 30) {
          lostAt = leg.index;
          return null;
        }
        return f;
      },
    });
    printOutcome(t, o);
    t.diagnostic(`lost frame ${lostAt}`);
    assert.ok(lostAt > 0, 'a frame was dropped');
    assertGatewayCall(o, pages, { ecm: true });
    assert.equal(o.caller.gatewayStats?.audioSamplesFilledIn, 160, 'the gateway filled in one frame');
    assert.ok((o.caller.result?.ecmRetries ?? 0) > 0, 'the hit was inside the page: ECM sent frames again');
  });
});

describe('the gateway call harness', () => {
  it('is deterministic: the same seed gives the same call, another seed another one', () => {
    const run = (seed: number): string => {
      const pages = [testPage(51, 80)];
      const o = runGatewayCall(
        { audio: { role: 'calling', send: { pages } } },
        { audio: { role: 'answering', receive: true } },
        { net: new VirtualNet({ loss: 0.1, delay: { min: 20, max: 40 } }, xorshift32(seed)), limit: 300_000 },
      );
      return JSON.stringify({ net: o.net instanceof VirtualNet ? o.net.counters : null, end: o.endedAt, a: o.caller.gatewayStats?.udptlRx, b: o.answerer.gatewayStats?.udptlRx });
    };
    const first = run(5);
    assert.equal(run(5), first);
    assert.notEqual(run(6), first);
  });
});

describe('a slow IP path: the gateway holds the fax machine with flags (T.30 response-time spoofing)', () => {
  // One second each way: the answer to a command reaches the sending machine 3.5–4 s after it
  // (two crossings, the far machine's own reaction and its 1 s V.21 preamble), past its T4
  // (3 s + 15 %). Without the hold it repeats DCS into the far end's CFR and the call fails
  // (measured: "invalid-response-after-page", one page of two); with it the machine hears
  // flags 2 s after its command, restarts its wait, and the answer follows.
  for (const ecm of [false, true]) {
    it(`1000 ms one-way delay, ${ecm ? 'ECM' : 'non-ECM'}: both pages arrive, held by flags`, (t) => {
      const pages = [testPage(61, 100), testPage(62, 100)];
      const o = runGatewayCall(
        { audio: { role: 'calling', send: { pages }, ecm } },
        { audio: { role: 'answering', receive: true, ecm } },
        { net: new VirtualNet({ delay: 1000 }, xorshift32(61)), limit: 400_000 },
      );
      printOutcome(t, o);
      assertGatewayCall(o, pages, { ecm });
      const holds = (o.caller.gatewayStats?.t38ToAudio.holdsStarted ?? 0) + (o.answerer.gatewayStats?.t38ToAudio.holdsStarted ?? 0);
      const adopted = (o.caller.gatewayStats?.t38ToAudio.holdsAdopted ?? 0) + (o.answerer.gatewayStats?.t38ToAudio.holdsAdopted ?? 0);
      t.diagnostic(`holds started ${holds}, taken over by the far end's preamble ${adopted}`);
      assert.ok(holds > 0, 'the gateway held a machine with flags');
      assert.equal(adopted, holds, 'every hold was continued by the real answer');
    });
  }
});
