/**
 * `faxwire/modem` — the fax modems: the shared modulation vocabulary (names, bit rates, training
 * and preamble times), the block/bit interfaces, and the V.21/V.27ter/V.29/V.17 transmitters and
 * receivers and the tones.
 */
export * from './modulation.js';
export * from './types.js';
export * from './factory.js';
export * from './v21.js';
export * from './tones.js';
