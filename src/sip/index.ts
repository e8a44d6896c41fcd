/**
 * `faxwire/sip` — SIP for fax (issue 12, in progress): the T.38 SDP attributes (sdp-t38.ts) and
 * SIP messages — parser, stream framer, serializer, URI/name-addr/Via/CSeq readers (message.ts).
 */
export * from './sdp-t38.js';
export * from './message.js';
