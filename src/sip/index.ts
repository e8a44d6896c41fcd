/** `faxwire/sip` — SIP for fax (issue 12, in progress): the T.38 SDP attributes (sdp-t38.ts), fax SDP offer/answer (fax-sdp.ts), digest authentication (digest.ts). */
export * from './sdp-t38.js';
export * from './fax-sdp.js';
export * from './digest.js';
