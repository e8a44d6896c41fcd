/**
 * Listens to the audio a call carries for the signals that say "this is a fax" — CNG (calling
 * tone, T.30 §5.2.3.1), CED/ANSam (answer tone, §5.2.4) and the V.21 channel 2 preamble flags
 * that start every T.30 command (§5.3.1) — so that SIP call control can switch the call to T.38
 * (the re-INVITE of T.38 Annex D, sent on fax detection). Sans-IO; it reuses the fax receive
 * side (audio-receiver.ts), so it hears exactly what a faxwire terminal would.
 */

import { AudioReceiver } from './audio-receiver.js';
import { FAXWIRE_MODEMS } from './terminal/modem-kit.js';
import type { AudioModemKit } from './audio-receiver.js';

export type FaxSignal = 'cng' | 'ced' | 'v21';

/** What `take()` returns when nothing new was heard: shared, so the per-frame call allocates nothing. */
const NOTHING: readonly FaxSignal[] = [];

export class FaxSignalWatch {
  private readonly rx: AudioReceiver;
  private readonly heard: FaxSignal[] = [];
  /** Every signal heard so far, once each, in order. */
  readonly seen = new Set<FaxSignal>();

  constructor(kit: AudioModemKit = FAXWIRE_MODEMS) {
    this.rx = new AudioReceiver({ kit }, (ev) => {
      if (ev.kind === 'tone') this.note(ev.tone);
      else if (ev.kind === 'signal' && ev.modulation === 'v21') this.note('v21');
    });
  }

  /** Received samples (8 kHz linear). */
  receive(samples: Int16Array, offset = 0, n = samples.length - offset): void {
    this.rx.receive(samples, offset, n);
  }

  /** `n` samples were lost. */
  fillIn(n: number): void {
    this.rx.fillIn(n);
  }

  /** Signals heard since the last call (each kind reported at most once per call). */
  take(): readonly FaxSignal[] {
    return this.heard.length === 0 ? NOTHING : this.heard.splice(0);
  }

  private note(s: FaxSignal): void {
    if (this.seen.has(s)) return;
    this.seen.add(s);
    this.heard.push(s);
  }
}
