/**
 * Which fast modem is training on the line, and at what rate: what a T.38 gateway needs when it
 * hears training before (or without) the DCS that named it — e.g. a DCS lost to a bad frame, or a
 * far end that retrains at a different rate (T.38 §6.2.2 leaves the choice of indicator to the
 * gateway; it must say `v17-14400-long-training` & co. as soon as it can).
 *
 * Method: the real receivers run side by side on the same audio — V.27ter 2400 and 4800 (they
 * differ in symbol rate, 1200 vs 1600 baud), V.29 7200 and 9600 (told apart by the amplitude
 * ratio of the alternation segment's two points, V.29 Table 2), and V.17 — and the first whose
 * training succeeds names the modulation. V.17's training does not carry the rate (V.17 §5: the
 * data rate is agreed by T.30 DCS), so V.17 is reported as `v17` with the rate of the hint when
 * given (a DCS seen earlier), else 14400. A receiver that trains late loses to one that trained
 * first; after a report the detector stays quiet until `restart()`.
 */

import type { FaxModulation } from './modulation.js';
import type { BitSink, ModemReceiver, ModemRxStatus } from './types.js';
import { V17Receiver } from './v17-rx.js';
import { V27terReceiver } from './v27ter-rx.js';
import { V29Receiver } from './v29-rx.js';

export interface FastModemDetection {
  /** The modulation heard (V.17: its rate from the hint, else 14400). */
  readonly modulation: FaxModulation;
  /** Sample (counted from construction or restart) at the end of the block in which training succeeded. */
  readonly atSample: number;
}

type V17Modulation = 'v17-7200' | 'v17-9600' | 'v17-12000' | 'v17-14400';

class Candidate implements BitSink {
  trained = false;
  constructor(readonly modulation: FaxModulation) {}
  putBit(): void {}
  status(s: ModemRxStatus): void {
    if (s === 'training-succeeded') this.trained = true;
  }
}

export class FastModemDetector {
  private readonly candidates: Candidate[];
  private readonly receivers: ModemReceiver[];
  private samples = 0;
  private found: FastModemDetection | undefined;

  /** `v17Hint`: the V.17 rate to report (a DCS seen earlier); default 14400. */
  constructor(private readonly v17Hint: V17Modulation = 'v17-14400') {
    this.candidates = [new Candidate('v27ter-2400'), new Candidate('v27ter-4800'), new Candidate('v29-7200'), new Candidate('v29-9600'), new Candidate(v17Hint)];
    const [c0, c1, c2, c3, c4] = this.candidates as [Candidate, Candidate, Candidate, Candidate, Candidate];
    this.receivers = [
      new V27terReceiver(c0, { rate: 2400 }),
      new V27terReceiver(c1, { rate: 4800 }),
      new V29Receiver(c2, { rate: 7200 }),
      new V29Receiver(c3, { rate: 9600 }),
      new V17Receiver(c4, { rate: Number(this.v17Hint.slice(4)) as 7200 | 9600 | 12000 | 14400 }),
    ];
  }

  /** What was detected (undefined until a training succeeded). */
  get detected(): FastModemDetection | undefined {
    return this.found;
  }

  rx(samples: Int16Array, offset = 0, length = samples.length - offset): FastModemDetection | undefined {
    if (this.found !== undefined) return this.found;
    for (const r of this.receivers) r.rx(samples, offset, length);
    this.samples += length;
    this.decide();
    return this.found;
  }

  fillIn(n: number): void {
    if (this.found !== undefined) return;
    for (const r of this.receivers) r.fillIn(n);
    this.samples += n;
  }

  restart(): void {
    for (const r of this.receivers) r.restart();
    for (const c of this.candidates) c.trained = false;
    this.found = undefined;
    this.samples = 0;
  }

  private decide(): void {
    // Several in one block is unlikely (each receiver checks its own rate); if it happens, V.17
    // wins — its training (segments 1–4, 1.4 s) is the longest and the most specific — else the
    // first in list order.
    let pick: Candidate | undefined;
    for (const c of this.candidates) {
      if (!c.trained) continue;
      if (pick === undefined || c.modulation.startsWith('v17')) pick = c;
    }
    if (pick !== undefined) this.found = { modulation: pick.modulation, atSample: this.samples };
  }
}
