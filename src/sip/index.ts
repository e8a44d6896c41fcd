/**
 * `faxwire/sip` — SIP for fax, sans-IO: messages (message.ts), transactions (transaction.ts),
 * the user agent and its dialogs (user-agent.ts, dialog.ts), digest authentication (digest.ts),
 * SDP offer/answer for fax (fax-sdp.ts, sdp-t38.ts) and fax call control (fax-call.ts). The
 * sockets are in `faxwire/node` (sip-transport.ts, sip-fax.ts).
 */
export * from './address.js';
export * from './sdp-t38.js';
export * from './fax-sdp.js';
export * from './digest.js';
export * from './message.js';
export * from './transaction.js';
export * from './dialog.js';
export * from './user-agent.js';
export * from './fax-call.js';
export * from './fax-b2bua.js';
