/**
 * FastModemDetector: names the fast modem (and the rate, where the training tells it) from the
 * training alone, through noise and G.711; stays quiet on noise, V.21 and tones.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createModemTransmitter } from '../../../src/modem/factory.js';
import { FastModemDetector } from '../../../src/modem/fast-detect.js';
import type { FaxModulation } from '../../../src/modem/modulation.js';
import { ToneGenerator } from '../../../src/modem/tones.js';
import { ArrayBitSource, prbsBits, runTransmitter } from '../../sim/bits.js';
import { concatSamples, lineModel, silence } from '../../sim/line.js';

function detect(signal: Int16Array, d = new FastModemDetector()): ReturnType<FastModemDetector['rx']> {
  let r;
  for (let i = 0; i < signal.length; i += 160) r = d.rx(signal, i, Math.min(160, signal.length - i));
  return r;
}

describe('FastModemDetector', () => {
  const cases: [FaxModulation, FaxModulation][] = [
    ['v27ter-2400', 'v27ter-2400'],
    ['v27ter-4800', 'v27ter-4800'],
    ['v29-7200', 'v29-7200'],
    ['v29-9600', 'v29-9600'],
    ['v17-14400', 'v17-14400'],
  ];
  for (const [sent, expected] of cases) {
    it(`${sent} through A-law with noise before it (SNR 30 dB)`, () => {
      const tx = runTransmitter(createModemTransmitter(sent, new ArrayBitSource(prbsBits(3, 3000))));
      const line = lineModel(concatSamples(silence(2000), tx), { noiseDbm0: -40, codec: 'alaw' });
      const r = detect(line);
      assert.equal(r?.modulation, expected);
      assert.ok((r?.atSample ?? 0) > 2000, 'not before the signal');
    });
  }

  it('V.17 reports the rate of the hint (the training does not carry it)', () => {
    const tx = runTransmitter(createModemTransmitter('v17-9600', new ArrayBitSource(prbsBits(5, 3000))));
    assert.equal(detect(tx, new FastModemDetector('v17-9600'))?.modulation, 'v17-9600');
  });

  it('stays quiet on noise, V.21 flags and CED', () => {
    const flags = new ArrayBitSource(Uint8Array.from({ length: 600 }, (_, i) => ((0x7e >> (i % 8)) & 1)));
    const v21 = runTransmitter(createModemTransmitter('v21', flags));
    const ced = runTransmitter(new ToneGenerator('ced', { durationMs: 3000 }));
    const noise = lineModel(silence(16000), { noiseDbm0: -30 });
    for (const [what, sig] of [['noise', noise], ['V.21', v21], ['CED', ced]] as const) assert.equal(detect(sig), undefined, what);
  });

  it('restart() forgets a detection', () => {
    const d = new FastModemDetector();
    const tx = runTransmitter(createModemTransmitter('v29-9600', new ArrayBitSource(prbsBits(3, 2000))));
    assert.equal(detect(tx, d)?.modulation, 'v29-9600');
    d.restart();
    assert.equal(d.detected, undefined);
    const tx2 = runTransmitter(createModemTransmitter('v27ter-4800', new ArrayBitSource(prbsBits(3, 2000))));
    assert.equal(detect(tx2, d)?.modulation, 'v27ter-4800');
  });
});
