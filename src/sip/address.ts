/**
 * Where a SIP message came from or goes to: a transport and a host:port (RFC 3261 §18). The
 * transport (src/node/sip-transport.ts) reports the source of each message with it and takes a
 * destination in the same shape; for TCP the pair keys the connection to reuse (§18.2.2).
 */

export interface SipAddress { readonly transport: 'udp' | 'tcp'; readonly host: string; readonly port: number }
