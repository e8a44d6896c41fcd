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

import type { FaxModulation } from './modulation.js';
import type { BitSink, BitSource, ModemReceiver, ModemTransmitter } from './types.js';
import { V21Receiver, V21Transmitter } from './v21.js';

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
  if (m === 'v21') return new V21Transmitter(bits, level);
  throw new Error(`modem ${m}: no transmitter yet`);
}

/** Build a receiver for `m` delivering bits and status to `sink`. */
export function createModemReceiver(m: FaxModulation, sink: BitSink, opts: ModemRxOptions = {}): ModemReceiver {
  void opts;
  if (m === 'v21') return new V21Receiver(sink, {});
  throw new Error(`modem ${m}: no receiver yet`);
}
