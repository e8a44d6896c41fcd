/**
 * One place that builds a transmitter or receiver for a `FaxModulation` — what the audio
 * terminal, the gateway, `faxwire modem tx|rx` and the benchmarks call, so none of them names a
 * modem class.
 *
 * Each modem module exports a transmitter and a receiver class with this constructor contract:
 * - `new V17Transmitter(bits: BitSource, opts: FastModemTxOptions)` (also V29…, V27ter…),
 *   `new V21Transmitter(bits: BitSource, opts: V21TxOptions)`;
 * - `new V17Receiver(sink: BitSink, opts: FastModemRxOptions)` (also V29…, V27ter…),
 *   `new V21Receiver(sink: BitSink, opts: V21RxOptions)`.
 */

import { FAX_MODULATION_BIT_RATE, type FaxModulation } from './modulation.js';
import type { V17Rate } from './v17-tables.js';
import type { V27terRate } from './v27ter-common.js';
import type { V29Rate } from './v29-common.js';
import type { BitSink, BitSource, ModemReceiver, ModemTransmitter } from './types.js';
import { V17Receiver } from './v17-rx.js';
import { V17Transmitter } from './v17-tx.js';
import { V21Receiver, V21Transmitter } from './v21.js';
import { V27terReceiver } from './v27ter-rx.js';
import { V27terTransmitter } from './v27ter-tx.js';
import { V29Receiver } from './v29-rx.js';
import { V29Transmitter } from './v29-tx.js';

export interface ModemTxOptions {
  /** Transmit level, dBm0 (default −10, the level spandsp-peer's `modemgen` uses). */
  readonly levelDbm0?: number;
  /** Short (resynchronising) training, V.17 only (T.30 uses it after the first page). */
  readonly shortTrain?: boolean;
  /** Talker echo protection tone before training (V.17 §5.1, V.27ter §2.5.1). */
  readonly tep?: boolean;
}

export interface ModemRxOptions {
  /** V.17: expect short training (the equaliser kept from the last long training). */
  readonly shortTrain?: boolean;
}

/** Build a transmitter for `m` pulling data bits from `bits`. */
export function createModemTransmitter(m: FaxModulation, bits: BitSource, opts: ModemTxOptions = {}): ModemTransmitter {
  const level = opts.levelDbm0 !== undefined ? { levelDbm0: opts.levelDbm0 } : {};
  const tep = opts.tep === true ? { tep: true } : {};
  switch (m) {
    case 'v21':
      return new V21Transmitter(bits, level);
    case 'v27ter-2400':
    case 'v27ter-4800':
      return new V27terTransmitter(bits, { rate: FAX_MODULATION_BIT_RATE[m] as V27terRate, ...level, ...tep });
    case 'v29-7200':
    case 'v29-9600':
      return new V29Transmitter(bits, { rate: FAX_MODULATION_BIT_RATE[m] as V29Rate, ...level, ...tep });
    case 'v17-7200':
    case 'v17-9600':
    case 'v17-12000':
    case 'v17-14400':
      return new V17Transmitter(bits, { rate: FAX_MODULATION_BIT_RATE[m] as V17Rate, ...level, ...tep, ...(opts.shortTrain === true ? { shortTrain: true } : {}) });
  }
}

/** Build a receiver for `m` delivering bits and status to `sink`. */
export function createModemReceiver(m: FaxModulation, sink: BitSink, opts: ModemRxOptions = {}): ModemReceiver {
  switch (m) {
    case 'v21':
      return new V21Receiver(sink, {});
    case 'v27ter-2400':
    case 'v27ter-4800':
      return new V27terReceiver(sink, { rate: FAX_MODULATION_BIT_RATE[m] as V27terRate });
    case 'v29-7200':
    case 'v29-9600':
      return new V29Receiver(sink, { rate: FAX_MODULATION_BIT_RATE[m] as V29Rate });
    case 'v17-7200':
    case 'v17-9600':
    case 'v17-12000':
    case 'v17-14400':
      return new V17Receiver(sink, { rate: FAX_MODULATION_BIT_RATE[m] as V17Rate, ...(opts.shortTrain === true ? { shortTrain: true } : {}) });
  }
}
