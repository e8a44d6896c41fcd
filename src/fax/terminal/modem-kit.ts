/**
 * faxwire's own modems and tones as an `AudioModemKit` (what the audio terminal and analyze use
 * unless told otherwise). CED is recognised in any of its V.25/V.8 forms (ANS, ANS/, ANSam,
 * ANSam/): a fax machine treats them alike (T.30 §5.2.4 note).
 */

import { createModemReceiver, createModemTransmitter } from '../../modem/factory.js';
import { ToneDetector, ToneGenerator } from '../../modem/tones.js';
import type { AudioModemKit } from '../audio-receiver.js';

export const FAXWIRE_MODEMS: AudioModemKit = {
  transmitter: (m, bits, opts) => createModemTransmitter(m, bits, opts),
  receiver: (m, sink, opts) => createModemReceiver(m, sink, opts),
  tone: (tone, samples, levelDbm0) => new ToneGenerator(tone, { levelDbm0, durationMs: samples / 8 }),
  toneDetector: (onTone) =>
    new ToneDetector({
      tone: (kind, event) => {
        if (event === 'start') onTone(kind === 'cng' ? 'cng' : 'ced');
      },
    }),
};
