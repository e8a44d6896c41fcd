/** `faxwire/fax` gateway: G.711 audio ⇄ T.38 (see gateway.ts). */
export * from './types.js';
export * from './gateway.js';
export * from './audio-to-t38.js';
export * from './t38-to-audio.js';
export * from './editor.js';
