/**
 * faxwire/t30 — T.30 frame codecs (ITU-T T.30 §5.3, Table 1, Table 2, Annex A): the FCF table,
 * the DIS/DTC/DCS bit field, whole HDLC frames as T.38 carries them, and NSF country/vendor
 * lookup. The T.30 engine builds on these.
 */
export * from './fcf.js';
export * from './dis.js';
export * from './frames.js';
export * from './nsf.js';
