/**
 * `faxwire/modem` — the fax modems: the shared modulation vocabulary (names, bit rates, training
 * and preamble times), the block/bit interfaces, the V.21/V.27ter/V.29/V.17 transmitters and
 * receivers (build them by modulation with the factory), and the tones and their detector.
 */
export * from './modulation.js';
export * from './types.js';
export * from './factory.js';
export * from './v21.js';
export * from './v27ter.js';
export * from './v29.js';
export * from './v17.js';
export * from './tones.js';
export * from './fast-detect.js';
