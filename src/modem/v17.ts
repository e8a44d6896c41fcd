/**
 * ITU-T V.17 fax modem (7200/9600/12 000/14 400 bit/s, trellis-coded QAM at 2400 symbols/s on
 * 1800 Hz): the transmitter and the receiver. See v17-tx.ts, v17-rx.ts and v17-tables.ts.
 */
export { V17Transmitter, type V17TxOptions } from './v17-tx.js';
export { V17Receiver, type V17RxMetrics, type V17RxOptions } from './v17-rx.js';
export type { V17Rate } from './v17-tables.js';
