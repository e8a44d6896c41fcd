/**
 * CNG, CED/ANS, ANS/, ANSam, ANSam/ (T.30, V.25, V.8): each generated tone detected once, with
 * its kind, start and end, at −43…−4 dBm0 in noise, through G.711 and with a frequency offset;
 * nothing detected on silence, noise, V.21 flags, QAM data, speech-like sound, a short burst,
 * or a 2100 Hz tone off by more than the tolerance.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { ToneDetector, ToneGenerator, type ToneKind, type ToneSink } from '../../../src/modem/tones.js';
import { V21Transmitter } from '../../../src/modem/v21.js';
import { xorshift32 } from '../../../src/util/random.js';
import { ArrayBitSource, runReceiver, runTransmitter } from '../../sim/bits.js';
import { concatSamples, lineModel, silence, type LineOptions } from '../../sim/line.js';
import { qamLike, sine, speechLike } from '../../sim/signals.js';

interface Ev {
  kind: ToneKind;
  event: 'start' | 'end';
  at: number;
}

class Events implements ToneSink {
  readonly list: Ev[] = [];
  tone(kind: ToneKind, event: 'start' | 'end', at: number): void {
    this.list.push({ kind, event, at });
  }
}

function detect(audio: Int16Array, block = 160): Ev[] {
  const ev = new Events();
  runReceiver(new ToneDetector(ev), audio, block);
  return ev.list;
}

const LEAD = 2400; // 300 ms of line before the tone

function toneSignal(kind: ToneKind, levelDbm0: number, durationMs?: number): Int16Array {
  const g = new ToneGenerator(kind, durationMs === undefined ? { levelDbm0 } : { levelDbm0, durationMs });
  return runTransmitter(g);
}

function onLine(sig: Int16Array, line: LineOptions): Int16Array {
  return lineModel(concatSamples(silence(LEAD), sig, silence(2400)), line);
}

/** Exactly one start and one end of `kind`, near `from`/`to` (samples). */
function assertOne(ev: Ev[], kind: ToneKind, from: number, to: number, slack = 160): void {
  assert.deepEqual(
    ev.map((e) => `${e.kind}:${e.event}`),
    [`${kind}:start`, `${kind}:end`],
    JSON.stringify(ev),
  );
  assert.ok(Math.abs((ev[0] as Ev).at - from) <= slack, `start ${(ev[0] as Ev).at} vs ${from}`);
  assert.ok(Math.abs((ev[1] as Ev).at - to) <= slack, `end ${(ev[1] as Ev).at} vs ${to}`);
}

describe('ToneGenerator', () => {
  it('CNG: 0.5 s of 1100 Hz then 3 s of silence', () => {
    const s = toneSignal('cng', -10, 4000);
    assert.equal(s.length, 32000);
    assert.ok(s.slice(0, 4000).some((v) => Math.abs(v) > 6000));
    assert.ok(s.slice(4000, 28000).every((v) => v === 0));
    assert.ok(s.slice(28000).some((v) => Math.abs(v) > 6000));
  });
  it('ANS/ reverses its phase every 450 ms; ANSam is 20 % modulated', () => {
    const pr = toneSignal('ans-pr', -10, 1000);
    const plain = toneSignal('ced', -10, 1000);
    // Up to 450 ms identical, then opposite.
    assert.equal(pr[3599], plain[3599]);
    assert.ok(Math.abs((pr[3610] as number) + (plain[3610] as number)) <= 1);
    const am = toneSignal('ansam', -10, 1000);
    let max = 0;
    for (const v of am) max = Math.max(max, Math.abs(v));
    let maxPlain = 0;
    for (const v of plain) maxPlain = Math.max(maxPlain, Math.abs(v));
    assert.ok(Math.abs(max / maxPlain - 1.2) < 0.01, `${max / maxPlain}`);
  });
});

describe('ToneDetector: each tone', () => {
  const kinds: ToneKind[] = ['ced', 'ans-pr', 'ansam', 'ansam-pr'];
  for (const level of [-43, -20, -4]) {
    for (const kind of kinds) {
      it(`${kind} at ${level} dBm0, SNR 12 dB (noise before it)`, () => {
        const sig = toneSignal(kind, level, 3000);
        const ev = detect(onLine(sig, { noiseDbm0: level - 12, random: xorshift32(level + 100) }));
        assertOne(ev, kind, LEAD, LEAD + sig.length);
      });
    }
    it(`cng at ${level} dBm0, SNR 12 dB: two bursts, each reported`, () => {
      const sig = toneSignal('cng', level, 4000);
      const ev = detect(onLine(sig, { noiseDbm0: level - 12, random: xorshift32(level + 200) }));
      assert.deepEqual(
        ev.map((e) => `${e.kind}:${e.event}`),
        ['cng:start', 'cng:end', 'cng:start', 'cng:end'],
      );
      const want = [LEAD, LEAD + 4000, LEAD + 28000, LEAD + 32000];
      ev.forEach((e, i) => assert.ok(Math.abs(e.at - (want[i] as number)) <= 160, `${i}: ${e.at}`));
    });
  }
  for (const codec of ['alaw', 'ulaw'] as const) {
    for (const kind of ['ansam-pr', 'ced'] as const) {
      it(`${kind} through ${codec} at −30 dBm0`, () => {
        const sig = toneSignal(kind, -30, 3000);
        assertOne(detect(onLine(sig, { codec, noiseDbm0: -45 })), kind, LEAD, LEAD + sig.length);
      });
    }
  }
  for (const hz of [10, -10]) {
    it(`ANSam/ and CNG with a ${hz} Hz frequency offset`, () => {
      const sig = toneSignal('ansam-pr', -20, 2000);
      assertOne(detect(onLine(sig, { freqOffsetHz: hz, noiseDbm0: -35 })), 'ansam-pr', LEAD + 63, LEAD + 63 + sig.length);
      const cng = toneSignal('cng', -20, 1000);
      assertOne(detect(onLine(cng, { freqOffsetHz: hz, noiseDbm0: -35 })), 'cng', LEAD + 63, LEAD + 63 + 4000);
    });
  }
  it('the same events whatever the block size (1, 7, 160, 1000)', () => {
    const sig = onLine(concatSamples(toneSignal('cng', -25, 600), silence(4000), toneSignal('ansam-pr', -25, 2000)), { noiseDbm0: -40 });
    const ref = detect(sig, 160);
    assert.equal(ref.length, 4);
    for (const b of [1, 7, 1000]) assert.deepEqual(detect(sig, b), ref);
  });
  it('fillIn keeps the sample count: a 20 ms gap inside a tone is bridged, times stay right', () => {
    const sig = onLine(toneSignal('ced', -20, 2000), { noiseDbm0: -40 });
    const ev = new Events();
    const d = new ToneDetector(ev);
    d.rx(sig, 0, 8000);
    d.fillIn(160);
    d.rx(sig, 8160);
    assertOne(ev.list, 'ced', LEAD, LEAD + 16000);
  });
});

describe('ToneDetector: no false detections', () => {
  it('silence and white noise (−20 dBm0)', () => {
    assert.deepEqual(detect(silence(40000)), []);
    assert.deepEqual(detect(lineModel(silence(80000), { noiseDbm0: -20, random: xorshift32(3) })), []);
  });
  it('V.21 flags and V.21 data', () => {
    const flags = new Uint8Array(900);
    for (let i = 0; i < flags.length; i++) flags[i] = [0, 1, 1, 1, 1, 1, 1, 0][i % 8] as number;
    const a = runTransmitter(new V21Transmitter(new ArrayBitSource(flags), { levelDbm0: -8 }));
    assert.deepEqual(detect(onLine(a, { noiseDbm0: -40 })), []);
  });
  it('QAM data (V.29-like, 1700 Hz; and at 1800 Hz like V.17)', () => {
    assert.deepEqual(detect(qamLike(40000, -10, 5)), []);
    assert.deepEqual(detect(qamLike(40000, -10, 6, 1800)), []);
  });
  it('speech-like sound with formants on 1100 and 2100 Hz', () => {
    assert.deepEqual(detect(speechLike(80000, -15)), []);
    assert.deepEqual(detect(speechLike(80000, -15, [1100], 2)), []);
    assert.deepEqual(detect(speechLike(80000, -15, [2100], 3)), []);
  });
  it('a 300 ms 1100 Hz burst (shorter than CNG) and a 400 ms 2100 Hz tone are not reported', () => {
    assert.deepEqual(detect(onLine(sine(2400, 1100, -15), { noiseDbm0: -40 })), []);
    assert.deepEqual(detect(onLine(sine(3200, 2100, -15), { noiseDbm0: -40 })), []);
  });
  it('2100 Hz tones outside the tolerance (±45 Hz) and a 1250 Hz tone are refused', () => {
    assert.deepEqual(detect(onLine(sine(16000, 2145, -15), {})), []);
    assert.deepEqual(detect(onLine(sine(16000, 2055, -15), {})), []);
    assert.deepEqual(detect(onLine(sine(16000, 1250, -15), {})), []);
    // …while 2100 + 20 Hz (V.25's ±15 Hz plus a line offset) is a CED.
    assert.equal(detect(onLine(sine(16000, 2120, -15), {}))[0]?.kind, 'ced');
  });
  it('the tones are not confused with one another', () => {
    assert.equal(detect(onLine(toneSignal('ced', -10, 3000), { noiseDbm0: -30 })).every((e) => e.kind === 'ced'), true);
    assert.equal(detect(onLine(toneSignal('cng', -10, 1000), { noiseDbm0: -30 })).every((e) => e.kind === 'cng'), true);
  });
});
