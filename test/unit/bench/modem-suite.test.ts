/**
 * The modem bench suite (bench/modem.ts) without timing anything: which cases it builds from the
 * factory (a modulation whose factory throws is listed as not built), that a case's `run(n)` does
 * exactly n samples of work on any n, the BER/state note its verify writes, the state-size
 * estimator, and the BER alignment. The spandsp peer is kept out (usePeer = false).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { berAgainst, modemSuite, prbs, reachableBuffers, receiverStateBytes, type ModemFactories } from '../../../bench/modem.js';
import { FAX_MODULATIONS } from '../../../src/modem/modulation.js';
import type { BitSink } from '../../../src/modem/types.js';
import { FakeModemReceiver, FakeModemTransmitter } from '../../sim/nrz-modem.js';

const none: ModemFactories = {
  createModemTransmitter: (m) => {
    throw new Error(`modem ${m}: no transmitter yet`);
  },
  createModemReceiver: (m) => {
    throw new Error(`modem ${m}: no receiver yet`);
  },
};

/** Fakes for V.21 only; the rest not built. */
const v21only: ModemFactories = {
  createModemTransmitter: (m, bits) => {
    if (m !== 'v21') throw new Error(`modem ${m}: no transmitter yet`);
    return new FakeModemTransmitter(bits);
  },
  createModemReceiver: (m, sink) => {
    if (m !== 'v21') throw new Error(`modem ${m}: no receiver yet`);
    return new FakeModemReceiver(sink);
  },
};

describe('bench/modem.ts', () => {
  it('no modem built: no case, every rx and tx listed as not built with the factory\'s reason, no baseline', () => {
    const s = modemSuite(none, false);
    assert.equal(s.cases.length, 0);
    assert.equal(s.skipped.length, 2 * FAX_MODULATIONS.length);
    assert.ok(s.skipped.includes('modem/rx/v17-14400: not built (modem v17-14400: no receiver yet)'));
    assert.equal(s.baselines.length, 0);
    assert.equal(modemSuite(none, true).baselines.length, 0);
  });

  it('with V.21 built: its two cases; run(n) does n samples for any n; verify notes BER 0 and the state size', () => {
    const s = modemSuite(v21only, false);
    assert.deepEqual(
      s.cases.map((c) => [c.name, c.unit, c.baseline]),
      [
        ['modem/rx/v21', 'sample', 'c/spandsp/rx/v21'],
        ['modem/tx/v21', 'sample', 'c/spandsp/tx/v21'],
      ],
    );
    assert.equal(s.skipped.length, 2 * (FAX_MODULATIONS.length - 1));
    assert.equal(modemSuite(v21only, true).baselines[0]?.provides.join(' '), 'c/spandsp/rx/v21 c/spandsp/tx/v21');
    const [rx, tx] = s.cases;
    rx?.verify?.();
    assert.equal(s.notes.length, 1);
    // The fake sends 4 samples a bit: 10 s × 300 bit/s = 3000 bits, all found, no error.
    assert.match(s.notes[0] ?? '', /^modem\/rx\/v21: on faxwire transmitter \(\d+\.\d+ s\): trained, 3000 bits, 0 errors in 3000 \(all\); state 0\.5 KiB per receiver within the 64\.0 KiB budget/);
    // run(n): exact sample counts, across the end of the file (restart) and with odd n.
    for (const n of [1, 159, 160, 161, 13_937, 20_000]) {
      assert.equal(typeof rx?.run(n), 'number');
      assert.equal(typeof tx?.run(n), 'number');
    }
  });

  it('the transmitter case rebuilds the transmitter when a signal ends and keeps counting', () => {
    let built = 0;
    const f: ModemFactories = {
      ...v21only,
      createModemTransmitter: (m, bits, o) => {
        built++;
        return v21only.createModemTransmitter(m, bits, o);
      },
    };
    const s = modemSuite(f, false);
    built = 0;
    const tx = s.cases.find((c) => c.name === 'modem/tx/v21');
    // One signal = 400 training samples + 3000 bits × 4 = 12 400 samples.
    tx?.run(12_400 * 3 + 10);
    assert.equal(built, 4);
  });

  it('state size: per-instance typed arrays counted, shared tables apart, the sink excluded', () => {
    const shared = new Float32Array(1000);
    class Rx extends FakeModemReceiver {
      readonly table = shared;
      readonly nested = { ring: new Float64Array(100), view: shared.subarray(10, 20) };
      constructor(sink: BitSink) {
        super(sink);
      }
    }
    const st = receiverStateBytes((sink) => new Rx(sink));
    assert.deepEqual(st, { own: 256 * 2 + 100 * 8, shared: 4000 });
    const sinkWithArray = { putBit: () => {}, status: () => {}, big: new Uint8Array(1 << 20) };
    assert.equal([...reachableBuffers(new Rx(sinkWithArray), new Set([sinkWithArray])).values()].reduce((a, b) => a + b, 0), 512 + 800 + 4000);
  });

  it('BER alignment: finds the PRBS after leading junk, counts errors and missing bits', () => {
    const tx = prbs(1, 1000);
    const rx = new Uint8Array(1100);
    rx.set(tx.subarray(0, 900), 37);
    rx[37 + 500] = (rx[37 + 500] as number) ^ 1;
    assert.deepEqual(berAgainst(tx, rx, 37 + 900), { offset: 37, errors: 1, compared: 900 });
    assert.equal(berAgainst(tx, new Uint8Array(500), 500).offset, -1);
  });
});
