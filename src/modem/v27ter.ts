/**
 * `V27terTransmitter` and `V27terReceiver`: ITU-T V.27ter at 4800 bit/s (1600 baud, 8-phase
 * DPSK) and 2400 bit/s (1200 baud, 4-phase DPSK) on an 1800 Hz carrier, with the long training
 * sequence of §2.5 (Table 3) that T.4 §5.1 prescribes for fax. See v27ter-tx.ts and v27ter-rx.ts.
 */
export { V27terTransmitter, type V27terTxOptions } from './v27ter-tx.js';
export { V27terReceiver, type V27terRxOptions } from './v27ter-rx.js';
export { type V27terRate } from './v27ter-common.js';
