/**
 * `faxwire/sip` — SIP for fax (issue 12, in progress): the T.38 SDP attributes (sdp-t38.ts);
 * SIP messages — parser, stream framer, serializer, URI/name-addr/Via/CSeq readers (message.ts);
 * the RFC 3261 §17 transaction layer (transaction.ts).
 */
export * from './sdp-t38.js';
export * from './message.js';
export * from './transaction.js';
