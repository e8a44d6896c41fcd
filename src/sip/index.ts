/** `faxwire/sip` — SIP for fax (issue 12, in progress): the T.38 SDP attributes (sdp-t38.ts). */
export * from './sdp-t38.js';
