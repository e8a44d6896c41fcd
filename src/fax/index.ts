/**
 * `faxwire/fax` — fax terminals: the session that drives a T.30 engine against a line
 * (session.ts, shared by every terminal), the T.38 terminal (T.30 engine + T.4/T.6 pages + a
 * T.38 line over UDPTL or TPKT, sans-IO) and its line (T30TxStep → timed IFPs, IFPs →
 * T30LineEvents), and the T.38 gateway (gateway/: G.711 audio ⇄ T.38, its two halves and the T.30
 * message editor). Sockets and timers live in src/node (udp-driver, tcp-driver).
 */
export * from './session.js';
export * from './terminal/t38-line.js';
export * from './terminal/t38-terminal.js';
export * from './gateway/index.js';
export * from './signal-watch.js';
