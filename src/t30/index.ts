/**
 * faxwire/t30 — T.30 frame codecs (ITU-T T.30 §5.3, Table 1, Table 2, Annex A): the FCF table,
 * the DIS/DTC/DCS bit field, whole HDLC frames as T.38 carries them, and NSF country/vendor
 * lookup; and the T.30 protocol engine built on them (phases A–E, ECM, polling; engine.ts),
 * with its line boundary (line.ts), negotiation (negotiate.ts), timers and completion codes.
 */
export * from './fcf.js';
export * from './dis.js';
export * from './frames.js';
export * from './nsf.js';
export * from './line.js';
export { T30Engine, T4_CODEC } from './engine.js';
export { T30PageBuffer, PAGE_BUFFER_MAX_OCTETS } from './page-buffer.js';
export { T30_STATES, T30_STATE_PHASE, type T30State, type T30Phase } from './states.js';
export type { T30EngineOptions, T30Event, T30Stats, T30ReceivedPage, T30PageCodec, T30CopyQuality, T4DecodeResult } from './types.js';
export * from './negotiate.js';
export * from './ecm.js';
export * from './timers.js';
export * from './result.js';
