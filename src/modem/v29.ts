/**
 * ITU-T V.29 (9600/7200 bit/s, 2400 baud, 1700 Hz): the transmitter (v29-tx.ts) and the
 * receiver (v29-rx.ts), which share the recommendation's constants in v29-common.ts.
 */
export { V29Transmitter, type V29TxOptions } from './v29-tx.js';
export { V29Receiver, type V29RxOptions } from './v29-rx.js';
export type { V29Rate } from './v29-common.js';
