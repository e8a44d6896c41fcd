/**
 * An ideal "modem" kit for testing what sits above the modems (the audio line, the terminal,
 * the gateway) without DSP: each modulation writes one bit per sample as a distinct level, so a
 * receiver knows exactly which modulation, bit and signal edge it hears. Training is a fixed
 * run of marker samples. Tones are a level of their own. Lossless and exact; the real modems
 * are tested through the line model instead (test/unit/modem).
 */

import type { AudioModemKit } from '../../src/fax/terminal/audio-line.js';
import { FAX_MODULATIONS, type FaxModulation } from '../../src/modem/modulation.js';
import { END_OF_DATA, type BitSink, type BitSource, type ModemReceiver, type ModemTransmitter } from '../../src/modem/types.js';

const TRAIN = 40; // samples of training marker
const id = (m: FaxModulation): number => FAX_MODULATIONS.indexOf(m) + 1;
const level = (m: FaxModulation, sym: 'train' | 0 | 1): number => id(m) * 1000 + (sym === 'train' ? 300 : sym === 1 ? 200 : 100);
const TONE_LEVEL = { cng: 20_000, ced: 21_000 } as const;

class FakeTx implements ModemTransmitter {
  private trained = 0;
  private ended = false;
  constructor(
    private readonly m: FaxModulation,
    private readonly bits: BitSource,
  ) {}
  get done(): boolean {
    return this.ended;
  }
  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    for (let i = 0; i < length; i++) {
      if (this.trained < TRAIN && this.m !== 'v21') {
        this.trained++;
        out[offset + i] = level(this.m, 'train');
        continue;
      }
      const b = this.bits.getBit();
      if (b === END_OF_DATA) {
        this.ended = true;
        return i;
      }
      out[offset + i] = level(this.m, b === 1 ? 1 : 0);
    }
    return length;
  }
}

class FakeRx implements ModemReceiver {
  private state: 'off' | 'training' | 'on' = 'off';
  constructor(
    private readonly m: FaxModulation,
    private readonly sink: BitSink,
  ) {}
  rx(samples: Int16Array, offset = 0, length = samples.length - offset): void {
    for (let i = 0; i < length; i++) this.sample(samples[offset + i] as number);
  }
  private sample(v: number): void {
    const mine = Math.floor(v / 1000) === id(this.m) && v > 0;
    if (!mine) {
      if (this.state !== 'off') {
        this.state = 'off';
        this.sink.status('carrier-down');
      }
      return;
    }
    const sym = v % 1000;
    if (this.state === 'off') {
      this.sink.status('carrier-up');
      if (this.m === 'v21') {
        this.sink.status('training-succeeded');
        this.state = 'on';
      } else {
        this.sink.status('training-in-progress');
        this.state = 'training';
      }
    }
    if (this.state === 'training' && sym !== 300) {
      this.state = 'on';
      this.sink.status('training-succeeded');
    }
    if (this.state === 'on') this.sink.putBit(sym === 200 ? 1 : 0);
  }
  fillIn(n: number): void {
    void n;
  }
  restart(): void {
    this.state = 'off';
  }
}

class FakeTone implements ModemTransmitter {
  private left: number;
  constructor(
    private readonly value: number,
    samples: number,
  ) {
    this.left = samples;
  }
  get done(): boolean {
    return this.left === 0;
  }
  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    const k = Math.min(length, this.left);
    out.fill(this.value, offset, offset + k);
    this.left -= k;
    return k;
  }
}

/** The ideal kit. */
export const FAKE_MODEMS: AudioModemKit = {
  transmitter: (m, bits) => new FakeTx(m, bits),
  receiver: (m, sink) => new FakeRx(m, sink),
  tone: (tone, samples) => new FakeTone(TONE_LEVEL[tone], samples),
  toneDetector: (onTone) => {
    let last = 0;
    return {
      rx(samples: Int16Array, offset: number, length: number): void {
        for (let i = 0; i < length; i++) {
          const v = samples[offset + i] as number;
          if (v !== last && (v === TONE_LEVEL.cng || v === TONE_LEVEL.ced)) onTone(v === TONE_LEVEL.cng ? 'cng' : 'ced');
          last = v;
        }
      },
    };
  },
};
