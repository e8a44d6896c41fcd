/**
 * The audio line of an audio fax terminal (sans-IO): the T.30 engine's transmit steps become
 * 8 kHz audio through fax modems, and received audio becomes `T30LineEvent`s — the same line
 * boundary the T.38 line implements (src/t30/line.ts), so the engine does not know which one it
 * runs on. The audio is linear 16-bit; G.711 coding belongs to the terminal around it.
 *
 * Transmit (`transmit(out, offset, n)`, one block per audio frame, in sample time):
 * ```
 *  step      audio
 *  -------   -------------------------------------------------------------------------------
 *  tone      CNG 1100 Hz / CED 2100 Hz for the step's duration (T.30 §5.2.3.1, §5.2.4)
 *  silence   zeros (the 75 ± 20 ms between signals, T.30 §5.3.2.4)
 *  hdlc      V.21 ch 2: 1 s of flags (T.30 §5.3.1), the frames with FCS, closing flags;
 *            fast modem (ECM blocks): training, 200 ms of flags (T.30 Annex A §A.3.2), frames
 *  tcf       training, then zeros for the step's duration (1.5 s, T.30 §5.3.2.3)
 *  image     training, then the T.4 bit stream as given (first bit = the octet's MSB)
 * ```
 * A step's `tx-done` is reported in the block in which its last sample leaves. HDLC octets are
 * in T.30 document notation (first transmitted bit = MSB), so the framer and deframer run
 * `msb-first` (the FCS still covers the bits in line order, ISO/IEC 13239 §4.3).
 *
 * Receive (`receive(samples, offset, n)`, `fillIn(n)` for lost audio): the shared
 * `AudioReceiver` (../audio-receiver.ts) — tones and V.21 always, the fast modem the far end's
 * DCS named, TCF first.
 */

import type { FaxModulation } from '../../modem/modulation.js';
import { FAX_MODULATION_BIT_RATE } from '../../modem/modulation.js';
import type { ModemTxOptions } from '../../modem/factory.js';
import { END_OF_DATA, type BitSource, type ModemTransmitter } from '../../modem/types.js';
import { HdlcFramer } from '../../hdlc/index.js';
import type { T30LineEvent, T30TxStep } from '../../t30/line.js';
import { assertNever } from '../../util/errors.js';
import { AudioReceiver, type AudioModemKit, type AudioReceiverStats } from '../audio-receiver.js';

export type { AudioModemKit } from '../audio-receiver.js';

export interface AudioLineOptions {
  readonly kit: AudioModemKit;
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Send the talker echo protection tone before fast-modem training. */
  readonly tep?: boolean;
  /** Consecutive flags before a V.21 burst counts as a signal (AudioReceiver, default 3). */
  readonly v21SignalFlags?: number;
}

export interface AudioLineStats extends AudioReceiverStats {
  samplesSent: number;
}

const SAMPLES_PER_MS = 8;
/** Samples in which 1800 Hz and 1700 Hz both make whole cycles (9 and 8.5 → 80 for 1700 Hz; 40 covers 1800 Hz, the V.17/V.27ter carrier). */
const CARRIER_GRID = 40;
/** T.30 §5.3.1: 1 s ± 15 % of flags before the first V.21 frame. */
const V21_PREAMBLE_FLAGS = 38;
/** T.30 Annex A: 200 ms of flags before ECM frames on a fast modem. */
const FAST_PREAMBLE_MS = 200;

/** `n` zero bits, then the end (TCF). */
class ZeroBits implements BitSource {
  constructor(private left: number) {}
  getBit(): number {
    if (this.left <= 0) return END_OF_DATA;
    this.left--;
    return 0;
  }
}

/** The bits of `data`, each octet MSB first (T.4 data in line order), then the end. */
class OctetBits implements BitSource {
  private at = 0;
  constructor(private readonly data: Uint8Array) {}
  getBit(): number {
    const i = this.at >> 3;
    if (i >= this.data.length) return END_OF_DATA;
    const bit = ((this.data[i] as number) >> (7 - (this.at & 7))) & 1;
    this.at++;
    return bit;
  }
}

type TxNow =
  | { readonly kind: 'idle' }
  | { readonly kind: 'silence'; left: number }
  | { readonly kind: 'signal'; readonly gen: ModemTransmitter };

export class AudioLine {
  private readonly kit: AudioModemKit;
  private readonly level: number;
  private readonly tep: boolean;
  private readonly steps: T30TxStep[] = [];
  private txNow: TxNow = { kind: 'idle' };
  private events: T30LineEvent[] = [];
  private readonly stats = { samplesSent: 0 };

  private readonly rx: AudioReceiver;

  constructor(options: AudioLineOptions) {
    this.kit = options.kit;
    this.level = options.levelDbm0 ?? -10;
    this.tep = options.tep ?? false;
    this.rx = new AudioReceiver({ kit: this.kit, ...(options.v21SignalFlags !== undefined ? { v21SignalFlags: options.v21SignalFlags } : {}) }, (ev) => this.events.push(ev));
  }

  // ------------------------------------------------------------------------------------------
  // FaxSessionLine

  queue(steps: readonly T30TxStep[], now: number): void {
    void now;
    for (const s of steps) this.steps.push(s);
  }

  /** Audio time drives the line: nothing happens on the ms clock. */
  tick(now: number): void {
    void now;
  }

  takeEvents(): T30LineEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  nextTimeout(): number | undefined {
    return undefined;
  }

  get pendingSteps(): number {
    return this.steps.length + (this.txNow.kind === 'idle' ? 0 : 1);
  }

  getStats(): AudioLineStats {
    return { ...this.stats, ...this.rx.getStats() };
  }

  // ------------------------------------------------------------------------------------------
  // transmit

  /** Writes `n` samples of what the line sends at `out[offset…]` (silence when idle). */
  transmit(out: Int16Array, offset: number, n: number): void {
    let pos = 0;
    while (pos < n) {
      const t = this.txNow;
      if (t.kind === 'idle') {
        const next = this.steps.shift();
        if (next === undefined) {
          out.fill(0, offset + pos, offset + n);
          break;
        }
        this.txNow = this.startStep(next, this.stats.samplesSent + pos);
        continue;
      }
      if (t.kind === 'silence') {
        const k = Math.min(t.left, n - pos);
        out.fill(0, offset + pos, offset + pos + k);
        t.left -= k;
        pos += k;
        if (t.left === 0) this.stepDone();
        continue;
      }
      const want = n - pos;
      const wrote = t.gen.tx(out, offset + pos, want);
      pos += wrote;
      if (wrote < want || t.gen.done) this.stepDone();
    }
    this.stats.samplesSent += n;
  }

  private stepDone(): void {
    this.txNow = { kind: 'idle' };
    this.events.push({ kind: 'tx-done' });
  }

  /** `at`: the stream position (samples sent so far) where the step starts. */
  private startStep(s: T30TxStep, at: number): TxNow {
    switch (s.kind) {
      case 'silence': {
        let left = s.ms > 0 ? Math.round(s.ms * SAMPLES_PER_MS) : 1;
        // A fast modem's signal starts on a 40-sample boundary of the stream (up to 4.9 ms more
        // silence, inside T.30's 75 ± 20 ms). 1800 Hz × 40 samples = 9 whole carrier cycles, so
        // every burst starts at the same carrier phase relative to the far end's 20 ms frames.
        // spandsp's V.17 short training relies on it: it does not re-acquire the carrier phase,
        // it tells A from B by the phase the long training left (it holds for spandsp's own
        // transmitter because everything it sends is on that grid); off the grid it fails.
        const next = this.steps[0];
        if (next !== undefined && (next.kind === 'tcf' || next.kind === 'image' || (next.kind === 'hdlc' && next.modulation !== 'v21'))) {
          left += (CARRIER_GRID - ((at + left) % CARRIER_GRID)) % CARRIER_GRID;
        }
        return { kind: 'silence', left };
      }
      case 'tone':
        return { kind: 'signal', gen: this.kit.tone(s.tone, Math.round(s.ms * SAMPLES_PER_MS), this.level) };
      case 'hdlc': {
        const framer = new HdlcFramer({ bitOrder: 'msb-first' });
        const flags = s.modulation === 'v21' ? V21_PREAMBLE_FLAGS : Math.ceil((FAST_PREAMBLE_MS * FAX_MODULATION_BIT_RATE[s.modulation]) / 8000);
        framer.preambleFlags(flags);
        for (const f of s.frames) framer.sendFrame(f);
        framer.finish();
        return { kind: 'signal', gen: this.kit.transmitter(s.modulation, framer, this.txOptions(s.modulation, s.shortTrain ?? false)) };
      }
      case 'tcf': {
        const bits = Math.round((s.ms * FAX_MODULATION_BIT_RATE[s.modulation]) / 1000);
        return { kind: 'signal', gen: this.kit.transmitter(s.modulation, new ZeroBits(bits), this.txOptions(s.modulation, false)) };
      }
      case 'image':
        return { kind: 'signal', gen: this.kit.transmitter(s.modulation, new OctetBits(s.data), this.txOptions(s.modulation, s.shortTrain)) };
      default:
        return assertNever(s);
    }
  }

  private txOptions(m: FaxModulation, shortTrain: boolean): ModemTxOptions {
    return m === 'v21' ? { levelDbm0: this.level } : { levelDbm0: this.level, shortTrain, tep: this.tep };
  }

  // ------------------------------------------------------------------------------------------
  // receive

  /** Demodulates `n` received samples at `samples[offset…]`. */
  receive(samples: Int16Array, offset: number, n: number): void {
    this.rx.receive(samples, offset, n);
  }

  /** `n` samples of received audio were lost: keep the receivers' clocks running. */
  fillIn(n: number): void {
    this.rx.fillIn(n);
  }
}
