/**
 * `faxwire/modem` — the fax modems. Today the shared modulation vocabulary (names, bit rates,
 * training and preamble times); the V.21/V.27ter/V.29/V.17 transmitters and receivers join it.
 */
export * from './modulation.js';
