/** faxwire's own modems and tones as an `AudioModemKit` (the audio terminal's default). */

import { createModemReceiver, createModemTransmitter } from '../../modem/factory.js';
import type { AudioModemKit } from './audio-line.js';

export const FAXWIRE_MODEMS: AudioModemKit = {
  transmitter: (m, bits, opts) => createModemTransmitter(m, bits, opts),
  receiver: (m, sink, opts) => createModemReceiver(m, sink, opts),
  tone: () => {
    throw new Error('TEMP: tones not merged yet');
  },
  toneDetector: () => {
    throw new Error('TEMP: tones not merged yet');
  },
};
