/**
 * Whole fax calls through faxwire's T.38 gateway in virtual time (test/sim/gateway-call.ts),
 * the matrix of issue 11 "How it is checked" that runs in `npm test`:
 * - topology A: audio fax → gateway → IP → gateway → audio fax, ECM and non-ECM, every rate
 *   (V.17 14400/12000/9600/7200, V.29 9600/7200, V.27ter 4800/2400);
 * - topology B: audio fax ⇄ gateway ⇄ IP ⇄ T.38 terminal, the audio side sending and the T.38
 *   side sending, ECM and non-ECM, every modem;
 * - the IP side impaired (the gateway-call-impaired test file): 10 % random loss with UDPTL
 *   redundancy 3, bursts of 5 lost datagrams with parity FEC, 300 ms of jitter with reordering;
 * - ±1000 ppm drift on a 20-page non-ECM document (the gateway-call-drift test file).
 * Each call must end OK on both terminals, with every page pixel-identical to the page sent (so
 * none truncated: same row count), the page count right on the terminals and in both gateways'
 * summaries, and the rate and ECM mode chosen. The gateways' figures (pages, completed,
 * underruns, IFPs, recovered, lost) are printed with t.diagnostic.
 */

import { describe, it } from 'node:test';
import type { T30Modem } from '../../../src/t30/negotiate.js';
import { runGatewayCall } from '../../sim/gateway-call.js';
import { assertGatewayCall, printOutcome, testPage } from './gateway-call-check.js';

interface Rate {
  readonly modem: T30Modem;
  readonly bitRate: number;
}

const RATES: readonly Rate[] = [
  { modem: 'v17', bitRate: 14400 },
  { modem: 'v17', bitRate: 12000 },
  { modem: 'v17', bitRate: 9600 },
  { modem: 'v17', bitRate: 7200 },
  { modem: 'v29', bitRate: 9600 },
  { modem: 'v29', bitRate: 7200 },
  { modem: 'v27ter', bitRate: 4800 },
  { modem: 'v27ter', bitRate: 2400 },
];

/** The fax options that make the terminals settle on `r` (T.30 §5.3.6.2: the DIS offers, the DCS picks the highest common). */
const at = (r: Rate) => ({ modems: [r.modem], maxBitRate: r.bitRate });

describe('gateway calls, topology A: audio fax → gateway → IP → gateway → audio fax', () => {
  for (const r of RATES) {
    for (const ecm of [true, false]) {
      it(`${r.modem} ${r.bitRate}, ${ecm ? 'ECM' : 'non-ECM'}, 2 pages`, (t) => {
        const pages = [testPage(1, 100), testPage(2, 140)];
        const o = runGatewayCall(
          { audio: { role: 'calling', send: { pages }, ecm, ...at(r) } },
          { audio: { role: 'answering', receive: true, ecm, ...at(r) } },
          { limit: 300_000 },
        );
        printOutcome(t, o);
        assertGatewayCall(o, pages, { bitRate: r.bitRate, ecm });
      });
    }
  }
});

describe('gateway calls, topology B: audio fax ⇄ gateway ⇄ IP ⇄ T.38 terminal', () => {
  for (const r of RATES) {
    for (const ecm of [true, false]) {
      for (const sender of ['audio', 't38'] as const) {
        it(`${r.modem} ${r.bitRate}, ${ecm ? 'ECM' : 'non-ECM'}, the ${sender === 'audio' ? 'audio fax' : 'T.38 terminal'} sends`, (t) => {
          const pages = [testPage(3, 120)];
          const caller = { role: 'calling' as const, send: { pages }, ecm, ...at(r) };
          const answerer = { role: 'answering' as const, receive: true, ecm, ...at(r) };
          const o =
            sender === 'audio'
              ? runGatewayCall({ audio: caller }, { t38: answerer }, { limit: 300_000 })
              : runGatewayCall({ t38: caller }, { audio: answerer }, { limit: 300_000 });
          printOutcome(t, o);
          assertGatewayCall(o, pages, { bitRate: r.bitRate, ecm });
        });
      }
    }
  }
});
