/**
 * Every modulation through the factory, own transmitter → line → own receiver, BER 0: on a clean
 * line, through G.711 A-law and µ-law, and with the noise on the line before the signal at the
 * issue's SNR bars (V.17 ≥ 30 dB, V.29 ≥ 26 dB, V.27ter ≥ 20 dB, V.21 12 dB). The per-modem files
 * test each impairment in depth; this one makes sure no modulation is left out.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createModemReceiver, createModemTransmitter } from '../../../src/modem/factory.js';
import { FAX_MODULATION_BIT_RATE, FAX_MODULATIONS, type FaxModulation } from '../../../src/modem/modulation.js';
import { ArrayBitSource, countBitErrors, prbsBits, RecordingBitSink, runReceiver, runTransmitter } from '../../sim/bits.js';
import { concatSamples, lineModel, silence, type LineOptions } from '../../sim/line.js';

/** SNR bar per family (signal at −10 dBm0). */
function noiseFor(m: FaxModulation): number {
  if (m.startsWith('v17')) return -40;
  if (m.startsWith('v29')) return -36;
  if (m.startsWith('v27ter')) return -30;
  return -22;
}

function loop(m: FaxModulation, line: LineOptions, seed: number): { errors: number; missing: number; offset: number; trained: boolean } {
  const n = Math.round(FAX_MODULATION_BIT_RATE[m] * (m === 'v21' ? 3 : 1));
  const bits = prbsBits(seed, n);
  const tx = runTransmitter(createModemTransmitter(m, new ArrayBitSource(bits)));
  const audio = lineModel(concatSamples(silence(1600), tx, silence(1600)), line);
  const sink = new RecordingBitSink();
  runReceiver(createModemReceiver(m, sink), audio);
  const r = countBitErrors(bits, sink.bits);
  return { ...r, trained: sink.has('training-succeeded') };
}

describe('every modulation: own tx → line → own rx, BER 0', () => {
  FAX_MODULATIONS.forEach((m, i) => {
    for (const [what, line] of [
      ['clean', {}],
      ['A-law', { codec: 'alaw' }],
      ['µ-law', { codec: 'ulaw' }],
      [`noise first at ${noiseFor(m)} dBm0`, { noiseDbm0: noiseFor(m), codec: 'alaw' }],
    ] as [string, LineOptions][]) {
      it(`${m} ${what}`, () => {
        const r = loop(m, line, 100 + i);
        assert.ok(r.trained, 'trained');
        assert.ok(r.offset >= 0, 'the sent bits were found');
        assert.equal(r.errors, 0);
        assert.equal(r.missing, 0);
      });
    }
  });
});
