/**
 * V.21 channel 2 (T.30 §5.3.1): transmitter → line model → receiver, BER counted against the
 * PRBS sent; carrier detect against the noise floor; the fast HDLC-preamble detector.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { V21PreambleDetector, V21Receiver, V21Transmitter, type V21PreambleSink } from '../../../src/modem/v21.js';
import { ArrayBitSource, RecordingBitSink, countBitErrors, prbsBits, runReceiver, runTransmitter } from '../../sim/bits.js';
import { concatSamples, levelDbm0, lineModel, silence, type LineOptions } from '../../sim/line.js';
import { bandNoise, qamLike, speechLike } from '../../sim/signals.js';
import { ToneGenerator } from '../../../src/modem/tones.js';
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
  it('sends 80/3 samples a bit at the set level, one bit of mark after the data, then ends', () => {
    const bits = prbsBits(7, 300);
    const tx = new V21Transmitter(new ArrayBitSource(bits), { levelDbm0: -13 });
    const out = runTransmitter(tx, 160);
    assert.equal(out.length, 8000 + 27); // 300 bits = exactly 1 s, then the 1-bit mark tail (80/3 samples, rounded up)
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
  it('margin: BER 0 at SNR 6 dB (−20 dBm0, A-law)', () => {
    const r = loop(bits, { noiseDbm0: -26, codec: 'alaw', random: xorshift32(13) }, -20);
    assert.equal(r.errors + r.missing, 0);
  });
  it('the T.30 answer: CED, 75 ms of silence, then V.21 — one carrier, BER 0', () => {
    const ced = runTransmitter(new ToneGenerator('ced', { levelDbm0: -8, durationMs: 3000 }));
    const audio = lineModel(concatSamples(ced, silence(600), txSignal(bits, -12), silence(TAIL)), { noiseDbm0: -45, codec: 'alaw' });
    const sink = new RecordingBitSink();
    runReceiver(new V21Receiver(sink, {}), audio);
    assert.deepEqual(
      sink.statuses.map((x) => x.status),
      ['carrier-up', 'training-succeeded', 'carrier-down'],
    );
    const r = countBitErrors(bits, sink.bits);
    assert.equal(r.errors + r.missing, 0);
  });
  it('BER 0 at −43 dBm0 with SNR 12 dB', () => {
    const r = loop(bits, { noiseDbm0: -55, random: xorshift32(9) }, -43);
    assert.equal(r.errors + r.missing, 0);
  });
});

function flagBits(n: number): Uint8Array {
  const b = new Uint8Array(n * 8);
  for (let i = 0; i < b.length; i++) b[i] = [0, 1, 1, 1, 1, 1, 1, 0][i % 8] as number;
  return b;
}

describe('V21Receiver: blocks, gaps, carrier detect', () => {
  const bits = prbsBits(21, 600);
  const audio = lineModel(concatSamples(silence(LEAD), txSignal(bits, -20), silence(TAIL)), { noiseDbm0: -40, codec: 'alaw', random: xorshift32(2) });
  function run(block: number): RecordingBitSink {
    const sink = new RecordingBitSink();
    runReceiver(new V21Receiver(sink, {}), audio, block);
    return sink;
  }
  it('blocks of 1, 7, 160 and 1000 samples give identical bits and statuses', () => {
    const ref = run(160);
    assert.equal(countBitErrors(bits, ref.bits).errors, 0);
    for (const b of [1, 7, 1000]) {
      const s = run(b);
      assert.deepEqual(s.bits, ref.bits, `block ${b}`);
      assert.deepEqual(s.statuses, ref.statuses, `block ${b}`);
    }
  });
  it('carrier-up within 8 ms of the signal, carrier-down within 10 ms of its end', () => {
    const sink = new RecordingBitSink();
    const rx = new V21Receiver(
      {
        putBit: (b) => sink.putBit(b),
        status: (st) => {
          sink.status(st);
          times.push(rx.sampleCount);
        },
      },
      {},
    );
    const times: number[] = [];
    for (let at = 0; at < audio.length; at++) rx.rx(audio, at, 1);
    const end = LEAD + Math.round((bits.length * 80) / 3);
    assert.deepEqual(
      sink.statuses.map((x) => x.status),
      ['carrier-up', 'training-succeeded', 'carrier-down'],
    );
    assert.ok((times[0] as number) - LEAD >= 0 && (times[0] as number) - LEAD <= 64, `up at ${times[0]}`);
    assert.ok((times[2] as number) - end >= 0 && (times[2] as number) - end <= 80, `down at ${times[2]} (end ${end})`);
  });
  it('fillIn of a lost 20 ms packet keeps the bit count: errors only in the gap', () => {
    const sink = new RecordingBitSink();
    const rx = new V21Receiver(sink, {});
    const cut = LEAD + 8000;
    runReceiver(rx, audio.subarray(0, cut));
    rx.fillIn(160);
    runReceiver(rx, audio.subarray(cut + 160));
    const r = countBitErrors(bits, sink.bits);
    assert.equal(r.missing, 0);
    assert.ok(r.errors <= 8, `errors ${r.errors}`);
    // Every bit after the gap (and its refill) is right: the bit clock did not slip.
    const gapBit = Math.floor(((cut - LEAD) * 3) / 80);
    for (let i = gapBit + 10; i < bits.length; i++) assert.equal(sink.bits[r.offset + i], bits[i], `bit ${i}`);
    assert.deepEqual(
      sink.statuses.map((x) => x.status),
      ['carrier-up', 'training-succeeded', 'carrier-down'],
    );
  });
  it('restart forgets the signal: the next one is received from its first bit', () => {
    const sink = new RecordingBitSink();
    const rx = new V21Receiver(sink, {});
    runReceiver(rx, audio.subarray(0, LEAD + 4000));
    rx.restart();
    sink.bits.length = 0;
    runReceiver(rx, audio);
    assert.equal(countBitErrors(bits, sink.bits).errors, 0);
    assert.equal(countBitErrors(bits, sink.bits).offset, 0);
  });
  it('no carrier on noise (−20 dBm0), CED, CNG, QAM data or speech; silence delivers no bits', () => {
    const cases: [string, Int16Array][] = [
      ['silence', silence(16000)],
      ['noise', lineModel(silence(40000), { noiseDbm0: -20, random: xorshift32(4) })],
      ['ced', runTransmitter(new ToneGenerator('ced', { levelDbm0: -6 }))],
      ['cng', runTransmitter(new ToneGenerator('cng', { levelDbm0: -6, durationMs: 1000 }))],
      ['v29-like', qamLike(24000, -10, 3)],
      ['v17-like', qamLike(24000, -10, 4, 1800)],
      ['speech', speechLike(24000, -12, [700, 1750, 2500])],
    ];
    for (const [name, a] of cases) {
      const sink = new RecordingBitSink();
      runReceiver(new V21Receiver(sink, {}), a);
      assert.deepEqual(sink.statuses, [], name);
      assert.equal(sink.bits.length, 0, name);
    }
  });
  /**
   * Noise in the V.21 band (1750 Hz, 300 Hz wide) at −30 dBm0 from the start; V.21 at `level` on
   * top of it after 1 s.
   */
  function bandNoiseThenV21(level: number): { sink: RecordingBitSink; floorAfterNoise: number; bits: Uint8Array } {
    const noise = bandNoise(16000, 1750, 300, -30, 12);
    const bits = prbsBits(2, 200);
    const sig = txSignal(bits, level);
    const mix = new Int16Array(noise.length);
    for (let i = 0; i < noise.length; i++) mix[i] = (noise[i] as number) + (i >= 8000 ? (sig[i - 8000] ?? 0) : 0);
    const sink = new RecordingBitSink();
    const rx = new V21Receiver(sink, {});
    runReceiver(rx, mix.subarray(0, 8000));
    const floorAfterNoise = rx.noiseFloorDbm0;
    runReceiver(rx, mix.subarray(8000));
    return { sink, floorAfterNoise, bits };
  }
  it('carrier detect learns the in-band noise floor; V.21 6 dB above that noise is received', () => {
    const { sink, floorAfterNoise, bits } = bandNoiseThenV21(-24);
    assert.deepEqual(
      sink.statuses.map((x) => x.status),
      ['carrier-up', 'training-succeeded', 'carrier-down'],
    );
    assert.ok(Math.abs(floorAfterNoise - -31) < 2, `floor ${floorAfterNoise}`);
    assert.equal(countBitErrors(bits, sink.bits).errors, 0);
  });
  for (const level of [-27, -30]) {
    it(`…but V.21 ${-30 - level} dB above that noise is refused (the floor rule; absolute level and band share pass)`, () => {
      const { sink } = bandNoiseThenV21(level);
      assert.equal(sink.statuses.length, 0, JSON.stringify(sink.statuses));
    });
  }
  it('below the V.21 §7 threshold (−50 dBm0) there is no carrier', () => {
    const sink = new RecordingBitSink();
    runReceiver(new V21Receiver(sink, {}), txSignal(prbsBits(2, 300), -50));
    assert.deepEqual(sink.statuses, []);
  });
});

class PreambleEvents implements V21PreambleSink {
  readonly at: number[] = [];
  preamble(atSample: number): void {
    this.at.push(atSample);
  }
}

describe('V21PreambleDetector', () => {
  const FLAG_SAMPLES = (8 * 80) / 3;
  for (const [level, line] of [
    [-10, {}],
    [-43, { noiseDbm0: -55, codec: 'alaw' }],
    [-4, { noiseDbm0: -16, codec: 'ulaw' }],
    [-25, { freqOffsetHz: 10, clockPpm: 250, noiseDbm0: -37 }],
  ] as [number, LineOptions][]) {
    it(`flags at ${level} dBm0 ${JSON.stringify(line)}: detected after 3 flags (80 ms; the bound is 4 flags, 107 ms)`, () => {
      const audio = lineModel(concatSamples(silence(LEAD), txSignal(flagBits(37), level), silence(TAIL)), { random: xorshift32(8), ...line });
      const ev = new PreambleEvents();
      runReceiver(new V21PreambleDetector(ev), audio, 160);
      assert.equal(ev.at.length, 1);
      const delay = (ev.at[0] as number) - LEAD - (line.freqOffsetHz ? 63 : 0);
      assert.ok(delay >= 3 * FLAG_SAMPLES && delay <= 3 * FLAG_SAMPLES + 40, `delay ${delay} samples = ${(delay / 8).toFixed(1)} ms`);
    });
  }
  it('the time reported does not depend on the block size', () => {
    const audio = lineModel(concatSamples(silence(LEAD), txSignal(flagBits(10), -20)), { noiseDbm0: -35 });
    const at: number[] = [];
    for (const b of [1, 7, 160, 1000]) {
      const ev = new PreambleEvents();
      runReceiver(new V21PreambleDetector(ev), audio, b);
      at.push(ev.at[0] ?? -1);
    }
    assert.deepEqual(at, [at[0], at[0], at[0], at[0]]);
  });
  it('re-arms on each carrier: two preambles, two reports', () => {
    const one = txSignal(flagBits(20), -15);
    const ev = new PreambleEvents();
    runReceiver(new V21PreambleDetector(ev), concatSamples(silence(800), one, silence(600), one, silence(800)));
    assert.equal(ev.at.length, 2);
  });
  it('does not trigger on noise, CED, ANSam, CNG, QAM data, speech or V.21 random data', () => {
    const cases: [string, Int16Array][] = [
      ['noise', lineModel(silence(40000), { noiseDbm0: -15, random: xorshift32(6) })],
      ['ced', runTransmitter(new ToneGenerator('ced', { levelDbm0: -6 }))],
      ['ansam-pr', runTransmitter(new ToneGenerator('ansam-pr', { levelDbm0: -6 }))],
      ['cng', runTransmitter(new ToneGenerator('cng', { levelDbm0: -6, durationMs: 4000 }))],
      ['v29-like', qamLike(40000, -8, 7)],
      ['v17-like', qamLike(40000, -8, 8, 1800)],
      ['speech', speechLike(40000, -12, [650, 1700, 2400], 4)],
      ['v21-prbs', txSignal(prbsBits(77, 1500), -10)],
    ];
    for (const [name, a] of cases) {
      const ev = new PreambleEvents();
      runReceiver(new V21PreambleDetector(ev), a);
      assert.deepEqual(ev.at, [], name);
    }
  });
  it('a stream with flags only every other octet (an HDLC frame, not a preamble) is not a preamble', () => {
    const b = new Uint8Array(8 * 40);
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(i / 8) % 2 === 0 ? ([0, 1, 1, 1, 1, 1, 1, 0][i % 8] as number) : [1, 0, 1, 0, 1, 1, 0, 0][i % 8] as number;
    const ev = new PreambleEvents();
    runReceiver(new V21PreambleDetector(ev), concatSamples(silence(800), txSignal(b, -10)));
    assert.deepEqual(ev.at, []);
  });
});

/** CRC-16 of ISO/IEC 13239 (the HDLC FCS T.30 uses), LSB first; a frame with its FCS leaves 0xF0B8. */
function crc16(bytes: ArrayLike<number>): number {
  let c = 0xffff;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i] as number;
    for (let b = 0; b < 8; b++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
  }
  return c;
}

/** Line bits of a V.21 HDLC transmission: `flags` flags, the frame with FCS (zero-stuffed, LSB first), 2 flags. */
function hdlcBits(frame: number[], flags: number): Uint8Array {
  const out: number[] = [];
  const flag = (): void => {
    out.push(0, 1, 1, 1, 1, 1, 1, 0);
  };
  for (let i = 0; i < flags; i++) flag();
  const fcs = crc16(frame) ^ 0xffff;
  let ones = 0;
  for (const byte of [...frame, fcs & 0xff, fcs >> 8]) {
    for (let b = 0; b < 8; b++) {
      const bit = (byte >> b) & 1;
      out.push(bit);
      ones = bit ? ones + 1 : 0;
      if (ones === 5) {
        out.push(0);
        ones = 0;
      }
    }
  }
  flag();
  flag();
  return Uint8Array.from(out);
}

/** Frames (with FCS) found between flags in a bit stream, after removing stuffed zeros. */
function hdlcFrames(bits: ArrayLike<number>): number[][] {
  const frames: number[][] = [];
  let cur: number[] = [];
  let byte = 0;
  let n = 0;
  let ones = 0;
  let inFrame = false;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i] as number;
    if (b) {
      if (++ones > 6) inFrame = false;
    } else {
      if (ones === 6) {
        if (inFrame && cur.length >= 4) frames.push(cur);
        cur = [];
        byte = n = ones = 0;
        inFrame = true;
        continue;
      }
      const stuffed = ones === 5;
      ones = 0;
      if (stuffed) continue;
    }
    if (!inFrame) continue;
    byte |= b << n;
    if (++n === 8) {
      cur.push(byte);
      byte = n = 0;
    }
  }
  return frames;
}

describe('V.21 carrying T.30 HDLC (T.30 §5.3.1)', () => {
  // A DIS-like frame: address, control, FCF, some FIF octets (with runs of ones to stuff).
  const frame = [0xff, 0x13, 0x80, 0x00, 0xee, 0xf8, 0xff, 0xff, 0x7e, 0x7e, 0x01];
  for (const [level, line] of [
    [-43, { noiseDbm0: -55, codec: 'alaw' }],
    [-10, { noiseDbm0: -22, codec: 'ulaw', clockPpm: -250, freqOffsetHz: -10 }],
  ] as [number, LineOptions][]) {
    it(`1 s of flags and a frame at ${level} dBm0 ${JSON.stringify(line)}: the frame arrives with a good FCS, preamble seen in 80 ms`, () => {
      const bits = hdlcBits(frame, 37);
      const audio = lineModel(concatSamples(silence(LEAD), txSignal(bits, level), silence(TAIL)), { random: xorshift32(31), ...line });
      const sink = new RecordingBitSink();
      runReceiver(new V21Receiver(sink, {}), audio);
      const frames = hdlcFrames(sink.bits);
      assert.equal(frames.length, 1);
      assert.equal(crc16(frames[0] as number[]), 0xf0b8);
      assert.deepEqual((frames[0] as number[]).slice(0, frame.length), frame);
      const ev = new PreambleEvents();
      runReceiver(new V21PreambleDetector(ev), audio);
      assert.equal(ev.at.length, 1);
      const delay = (ev.at[0] as number) - LEAD - (line.freqOffsetHz ? 63 : 0); // the line's Hilbert filter delays 63
      assert.ok(delay >= 640 && delay <= 680, `preamble after ${delay} samples`);
    });
  }
});
