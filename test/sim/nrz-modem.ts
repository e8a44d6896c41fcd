/**
 * A stand-in modem for the code built around the modems (the `faxwire modem` CLI, the modem
 * benchmark): the same interfaces and block contract (any block size, `tx` returns fewer samples
 * once the signal ended), a trivial signal — TRAIN samples of ±A alternating as "training", then
 * each data bit as SPB samples of +A (1) or −A (0) — and a receiver that reports carrier up,
 * training, training succeeded, and carrier down after 8 quiet samples, delivering bits only
 * when trained. Not a modem; a fixture whose output a test can predict exactly.
 */

import { END_OF_DATA, type BitSink, type BitSource, type ModemReceiver, type ModemTransmitter } from '../../src/modem/types.js';

export const FAKE_TRAIN = 400;
export const FAKE_SPB = 4;
export const FAKE_AMPLITUDE = 8000;

export class FakeModemTransmitter implements ModemTransmitter {
  private n = 0;
  private bit = 0;
  private phase = 0;
  done = false;
  constructor(private readonly bits: BitSource) {}
  tx(out: Int16Array, offset = 0, length = out.length - offset): number {
    let i = 0;
    while (i < length && !this.done) {
      if (this.n < FAKE_TRAIN) {
        out[offset + i++] = this.n++ & 1 ? -FAKE_AMPLITUDE : FAKE_AMPLITUDE;
        continue;
      }
      if (this.phase === 0) {
        this.bit = this.bits.getBit();
        if (this.bit === END_OF_DATA) {
          this.done = true;
          break;
        }
      }
      out[offset + i++] = this.bit ? FAKE_AMPLITUDE : -FAKE_AMPLITUDE;
      this.phase = (this.phase + 1) % FAKE_SPB;
    }
    return i;
  }
}

export class FakeModemReceiver implements ModemReceiver {
  private state: 'idle' | 'training' | 'data' = 'idle';
  private count = 0;
  private acc = 0;
  private quiet = 0;
  /** A typed array, so state-size estimates have something to find. */
  readonly history = new Int16Array(256);
  constructor(private readonly sink: BitSink) {}
  rx(s: Int16Array, offset = 0, length = s.length - offset): void {
    for (let i = offset; i < offset + length; i++) {
      const x = s[i] as number;
      this.history[i & 255] = x;
      const loud = Math.abs(x) > FAKE_AMPLITUDE / 4;
      if (this.state === 'idle') {
        if (loud) {
          this.state = 'training';
          this.count = 1;
          this.quiet = 0;
          this.sink.status('carrier-up');
          this.sink.status('training-in-progress');
        }
        continue;
      }
      this.quiet = loud ? 0 : this.quiet + 1;
      if (this.quiet >= 8) {
        this.state = 'idle';
        this.sink.status('carrier-down');
        continue;
      }
      if (!loud) continue; // a quiet sample is no symbol (the carrier may be going down)
      if (this.state === 'training') {
        if (++this.count === FAKE_TRAIN) {
          this.state = 'data';
          this.count = 0;
          this.acc = 0;
          this.sink.status('training-succeeded');
        }
        continue;
      }
      this.acc += x;
      if (++this.count === FAKE_SPB) {
        this.sink.putBit(this.acc > 0 ? 1 : 0);
        this.count = 0;
        this.acc = 0;
      }
    }
  }
  fillIn(): void {}
  restart(): void {
    this.state = 'idle';
    this.count = 0;
    this.acc = 0;
    this.quiet = 0;
  }
}
