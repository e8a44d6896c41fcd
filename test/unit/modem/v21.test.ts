/**
 * V.21 channel 2 (T.30 §5.3.1): transmitter → line model → receiver, BER counted against the
 * PRBS sent; carrier detect against the noise floor; the fast HDLC-preamble detector.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { V21PreambleDetector, V21Receiver, V21Transmitter, type V21PreambleSink } from '../../../src/modem/v21.js';
import { ArrayBitSource, RecordingBitSink, countBitErrors, prbsBits, runReceiver, runTransmitter } from '../../sim/bits.js';
import { concatSamples, levelDbm0, lineModel, silence, type LineOptions } from '../../sim/line.js';
import { xorshift32 } from '../../../src/util/random.js';
import { sineAmplitude } from '../../../src/dsp/level.js';

const LEAD = 1600; // 200 ms of line before the signal (noise when the line has noise)
const TAIL = 800;

function txSignal(bits: Uint8Array, levelDbm0 = -10): Int16Array {
  return runTransmitter(new V21Transmitter(new ArrayBitSource(bits), { levelDbm0 }));
}

function loop(bits: Uint8Array, line: LineOptions, levelDbm0 = -10, block = 160): { sink: RecordingBitSink; errors: number; missing: number; offset: number } {
  const audio = lineModel(concatSamples(silence(LEAD), txSignal(bits, levelDbm0), silence(TAIL)), line);
  const sink = new RecordingBitSink();
  runReceiver(new V21Receiver(sink, {}), audio, block);
  const r = countBitErrors(bits, sink.bits);
  return { sink, errors: r.errors, missing: r.missing, offset: r.offset };
}

describe('V21Transmitter', () => {
  it('sends 80/3 samples a bit at the set level, then ends', () => {
    const bits = prbsBits(7, 300);
    const tx = new V21Transmitter(new ArrayBitSource(bits), { levelDbm0: -13 });
    const out = runTransmitter(tx, 160);
    assert.equal(out.length, 8000); // 300 bits = exactly 1 s
    assert.equal(tx.done, true);
    assert.ok(Math.abs(levelDbm0(out) - -13) < 0.1, `level ${levelDbm0(out)}`);
  });

  it('is continuous-phase: no sample-to-sample step larger than the sine allows', () => {
    const out = txSignal(prbsBits(3, 600), -4);
    const peak = sineAmplitude(-4);
    const maxStep = peak * 2 * Math.sin((Math.PI * 1850) / 8000) + 2;
    for (let i = 1; i < out.length; i++) assert.ok(Math.abs((out[i] as number) - (out[i - 1] as number)) <= maxStep, `jump at ${i}`);
  });
});

describe('V21Receiver', () => {
  const bits = prbsBits(11, 900); // 3 s

  it('BER 0 on a clean line, carrier-up, training-succeeded, carrier-down', () => {
    const r = loop(bits, {});
    assert.equal(r.offset >= 0, true);
    assert.equal(r.errors, 0);
    assert.equal(r.missing, 0);
    const st = r.sink.statuses.map((s) => s.status);
    assert.deepEqual(st, ['carrier-up', 'training-succeeded', 'carrier-down']);
  });
  for (const codec of ['alaw', 'ulaw'] as const) {
    it(`BER 0 through ${codec}`, () => {
      const r = loop(bits, { codec });
      assert.equal(r.errors + r.missing, 0);
    });
  }
  for (const level of [-4, -43]) {
    it(`BER 0 at ${level} dBm0 (A-law)`, () => {
      const r = loop(bits, { codec: 'alaw' }, level);
      assert.equal(r.errors + r.missing, 0);
    });
  }
  for (const ppm of [250, -250]) {
    it(`BER 0 with the sender's clock ${ppm} ppm off`, () => {
      const r = loop(bits, { clockPpm: ppm });
      assert.equal(r.errors + r.missing, 0);
    });
  }
  for (const hz of [10, -10]) {
    it(`BER 0 with a ${hz} Hz carrier offset`, () => {
      const r = loop(bits, { freqOffsetHz: hz });
      assert.equal(r.errors + r.missing, 0);
    });
  }
  it('BER 0 at SNR 12 dB with the noise before the signal, −30 dBm0, µ-law', () => {
    const r = loop(bits, { noiseDbm0: -42, codec: 'ulaw', random: xorshift32(5) }, -30);
    assert.equal(r.errors + r.missing, 0);
  });
  it('BER 0 at −43 dBm0 with SNR 12 dB', () => {
    const r = loop(bits, { noiseDbm0: -55, random: xorshift32(9) }, -43);
    assert.equal(r.errors + r.missing, 0);
  });
});
