/**
 * Fax audio in `faxwire analyze`: one direction of a call's audio (a G.711 RTP stream from a
 * capture, or a WAV channel) demodulated into the T.30 line events a fax machine's modems would
 * have given — the same `AudioReceiver` the audio terminal runs (V.21 ch 2 control frames always,
 * the fast modem named by the DCS heard in this direction, TCF first, then ECM frames or the
 * T.4 page). Samples the capture never had (RTP loss) are ridden through with `fillIn`, not fed
 * as silence, so a lost packet costs the bits it carried and not the carrier.
 */

import { AudioReceiver, type AudioModemKit, type AudioReceiverStats } from '../fax/audio-receiver.js';
import { FAXWIRE_MODEMS } from '../fax/terminal/modem-kit.js';
import type { T30LineEvent } from '../t30/line.js';

export interface AudioLineEventAt {
  /** Sample index (8 kHz) at the end of the block in which the event came. */
  readonly sample: number;
  readonly ev: T30LineEvent;
}

export interface DemodulatedAudio {
  readonly events: AudioLineEventAt[];
  readonly stats: Readonly<AudioReceiverStats>;
}

const BLOCK = 160;

/**
 * Demodulates `samples`, riding through `gaps` (sample ranges no packet covered). Never throws
 * on any audio; the events are in time order.
 */
export function demodulateAudio(samples: Int16Array, gaps: readonly { readonly start: number; readonly length: number }[] = [], kit: AudioModemKit = FAXWIRE_MODEMS): DemodulatedAudio {
  const events: AudioLineEventAt[] = [];
  let at = 0;
  const rx = new AudioReceiver({ kit }, (ev) => events.push({ sample: at, ev }));
  const sorted = [...gaps].sort((a, b) => a.start - b.start);
  let g = 0;
  let pos = 0;
  while (pos < samples.length) {
    const gap = sorted[g];
    if (gap !== undefined && gap.start <= pos) {
      const end = Math.min(samples.length, gap.start + gap.length);
      if (end > pos) {
        at = end;
        rx.fillIn(end - pos);
        pos = end;
      }
      g++;
      continue;
    }
    const limit = gap !== undefined ? Math.min(samples.length, gap.start) : samples.length;
    const n = Math.min(BLOCK, limit - pos);
    at = pos + n;
    rx.receive(samples, pos, n);
    pos += n;
  }
  return { events, stats: rx.getStats() };
}
