/**
 * SIP over UDP and TCP (RFC 3261 §18): the sockets under the sans-IO SIP layer (src/sip/). One
 * UDP socket and one TCP listener on the same port number; messages in through `onMessage` with
 * where they came from, messages out through `send` to a `SipAddress`. Parsing and framing are
 * src/sip/message.ts's; this module only moves bytes, keeps connections, and counts what it
 * drops (DESIGN.md habit 2: garbage from the network is data, never an exception).
 *
 * UDP (§18.1.1, §18.2.1): one message per datagram. A datagram larger than the limit is dropped
 * (`oversize`), one that does not parse is dropped (`malformed`); a datagram of nothing but CR/LF
 * (the keep-alive some user agents send over UDP too, though RFC 5626 §4.4.1 keeps CRLF pings for
 * streams) is ignored. No 400 is answered to a datagram that does not parse: the parser gives no
 * message to answer from, and answering garbage only helps a spoofed-source reflector.
 *
 * TCP (§18.3): a `SipStreamFramer` per connection cuts the byte stream at Content-Length; a
 * framing error closes the connection (§18.3: the stream cannot be resynchronised). CRLFCRLF
 * pings are answered with CRLF (RFC 5626 §3.5.1, §4.4.1). Connections are kept in one table keyed
 * "ip:port" of the far end — both those we opened and those the peer opened — so a response goes
 * back over the connection its request came on (§18.2.2) and a request to a peer that has a
 * connection open to us reuses it. Each connection closes after `tcpIdleMs` without traffic; a
 * connection whose unsent bytes pass 1 MiB is dropped (a peer that stops reading must not grow our
 * memory); at most `maxConnections` are open, further ones are refused and counted.
 *
 * Received requests get the server transport's Via stamp (§18.2.1): `received=<source ip>` on the
 * top Via when its sent-by host is not the source address (a name, or another address: NAT), and
 * with `rport` in it, `rport=<source port>` and `received` (RFC 3581 §4), so that the response
 * finds its way back through a NAT.
 *
 *   send(msg, dest)          dest.host a name? dns.lookup (IPv4), cached 30 s
 *     ├─ udp → datagram to ip:port
 *     └─ tcp → conns["ip:port"] ?? connect (≤ 5 s, queued until up) → write
 *   datagram / stream bytes → parse / framer → Via stamp (requests) → onMessage(msg, from)
 *
 * Not done here (the transaction layer's): choosing TCP for requests over 1300 octets (§18.1.1),
 * discarding responses whose top Via is not ours (§18.1.2), sending a response to `received`/
 * `rport` or `maddr` (§18.2.2) — the caller gives `send` the destination.
 */

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { createConnection, createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';
import type { SipAddress } from '../sip/address.js';
import {
  formatVia,
  getHeaderList,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  SipStreamFramer,
  type SipMessage,
  type SipParseLimits,
  type SipRequest,
} from '../sip/message.js';
import { FaxwireError } from '../util/errors.js';

export type { SipAddress } from '../sip/address.js';

export interface SipTransportOptions {
  /** Local address to bind, e.g. '127.0.0.1' or '0.0.0.0' (an IPv6 address binds IPv6 sockets). */
  readonly localAddress: string;
  /** UDP port (0: any); TCP listens on the same port number. */
  readonly udpPort: number;
  /** Also listen on TCP at the same port number (default true). */
  readonly tcp?: boolean;
  readonly limits?: SipParseLimits;
  /** Close connections idle this long, ms (default 64 s). */
  readonly tcpIdleMs?: number;
  /** Open connections at most (default 256); beyond, new ones are refused and counted. */
  readonly maxConnections?: number;
}

export interface SipTransportStats {
  /** Messages received over UDP and handed to `onMessage`. */
  udpIn: number;
  /** Messages sent over UDP (the system accepted the datagram). */
  udpOut: number;
  /** Messages received over TCP and handed to `onMessage`. */
  tcpIn: number;
  /** Messages written to a TCP connection. */
  tcpOut: number;
  /** Datagrams that did not parse, requests without a readable top Via, TCP streams that failed framing (each closes its connection). */
  malformed: number;
  /** Datagrams or messages over the size limits, dropped. */
  oversize: number;
  /** TCP connections opened, by us or by peers. */
  connectionsOpened: number;
  /** TCP connections refused or not opened because `maxConnections` were open. */
  connectionsRefused: number;
  /** Messages that could not be sent: unresolvable host, refused or timed-out connect, connection lost or over its queue bound, datagram errors. */
  sendErrors: number;
  /** CRLFCRLF pings answered with CRLF (RFC 5626 §3.5.1). */
  pingsAnswered: number;
  /** Exceptions (or rejected promises) from `onMessage`, caught. */
  handlerErrors: number;
}

/** RFC 3261 messages are bounded by the parser's default too; UDP datagrams cannot exceed it. */
const DEFAULT_MAX_MESSAGE = 65_535;
const DEFAULT_TCP_IDLE_MS = 64_000;
const DEFAULT_MAX_CONNECTIONS = 256;
/** A connect that takes longer is given up (the queued messages count as send errors). */
const CONNECT_TIMEOUT_MS = 5_000;
/** Unsent octets per connection (queued before connect + the socket's own buffer). */
const MAX_QUEUED_BYTES = 1 << 20;
const DNS_TTL_MS = 30_000;
const DNS_CACHE_MAX = 256;
/** Binding an ephemeral UDP port whose TCP twin is taken: tries before giving up. */
const EPHEMERAL_PAIR_TRIES = 5;
const CRLF = new Uint8Array([13, 10]);

interface Conn {
  readonly key: string;
  readonly sock: TcpSocket;
  readonly framer: SipStreamFramer;
  readonly from: SipAddress;
  connected: boolean;
  /** Serialized messages waiting for the connect. */
  readonly pending: Uint8Array[];
  pendingBytes: number;
  connectTimer: NodeJS.Timeout | undefined;
  failed: boolean;
}

function errCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'ERROR';
}

/** '::ffff:192.0.2.1' (an IPv4 peer on a dual-stack socket) → '192.0.2.1'. */
function plainIp(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

function isWildcard(a: string): boolean {
  return a === '0.0.0.0' || a === '::';
}

/** Nothing but CR and LF (at most a few): a keep-alive, not a message. */
function isCrlfOnly(b: Uint8Array): boolean {
  if (b.length === 0 || b.length > 8) return b.length === 0;
  for (const x of b) if (x !== 13 && x !== 10) return false;
  return true;
}

function bindUdp(sock: UdpSocket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onErr = (e: Error): void => reject(e);
    sock.once('error', onErr);
    sock.bind({ port, address, exclusive: true }, () => {
      sock.off('error', onErr);
      resolve();
    });
  });
}

function listenTcp(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onErr = (e: Error): void => reject(e);
    server.once('error', onErr);
    server.listen({ port, host: address, exclusive: true }, () => {
      server.off('error', onErr);
      resolve();
    });
  });
}

function ioError(e: unknown, proto: 'udp' | 'tcp', address: string, port: number): FaxwireError {
  const code = errCode(e);
  const what = `SIP ${proto.toUpperCase()} port ${address}:${port}`;
  if (code === 'EADDRINUSE') return new FaxwireError('FAXWIRE_ERR_IO', `${what} is already in use (EADDRINUSE): another SIP server or faxwire instance is running there`);
  if (code === 'EACCES') return new FaxwireError('FAXWIRE_ERR_IO', `${what}: permission denied (EACCES; ports below 1024 need privilege)`);
  return new FaxwireError('FAXWIRE_ERR_IO', `cannot open ${what}: ${code} ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * §18.2.1 / RFC 3581 §4: stamp `received` (and `rport`) on the top Via of a request from `from`.
 * The top Via may be the first of a comma list on one line: that line is split in two. False when
 * there is no readable top Via.
 */
function stampVia(msg: SipRequest, from: SipAddress): boolean {
  const i = msg.headers.findIndex((h) => h.name === 'Via');
  const line = msg.headers[i];
  if (line === undefined) return false;
  const values = getHeaderList({ ...msg, headers: [line] }, 'Via');
  const top = values[0];
  if (top === undefined) return false;
  const via = parseVia(top);
  if (via === undefined) return false;
  const hasRport = via.params.has('rport');
  const sentByHost = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  if (!hasRport && sentByHost === from.host) return true;
  const params = new Map(via.params);
  params.set('received', from.host);
  if (hasRport) params.set('rport', String(from.port));
  const stamped = formatVia({ ...via, params });
  const rest = values.slice(1);
  msg.headers.splice(i, 1, { name: 'Via', value: stamped }, ...(rest.length > 0 ? [{ name: 'Via', value: rest.join(', ') }] : []));
  return true;
}

export class SipTransport {
  /** The bound port (UDP, and TCP when enabled). */
  readonly port: number;
  /** The bound local address. */
  readonly address: string;
  /** Every message received, with its source. Exceptions thrown here are caught and counted. */
  onMessage: (msg: SipMessage, from: SipAddress) => void = () => undefined;

  private readonly st: SipTransportStats = {
    udpIn: 0,
    udpOut: 0,
    tcpIn: 0,
    tcpOut: 0,
    malformed: 0,
    oversize: 0,
    connectionsOpened: 0,
    connectionsRefused: 0,
    sendErrors: 0,
    pingsAnswered: 0,
    handlerErrors: 0,
  };
  private readonly conns = new Map<string, Conn>();
  private readonly dns = new Map<string, { readonly ip: Promise<string>; readonly until: number }>();
  private readonly limits: SipParseLimits;
  private readonly maxBytes: number;
  private readonly idleMs: number;
  private readonly maxConnections: number;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    o: SipTransportOptions,
    private readonly udp: UdpSocket,
    private readonly server: Server | undefined,
  ) {
    this.address = o.localAddress;
    this.port = udp.address().port;
    this.limits = o.limits ?? {};
    this.maxBytes = o.limits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    this.idleMs = o.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS;
    this.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    udp.on('message', (m: Buffer, r: RemoteInfo) => this.onDatagram(m, r));
    udp.on('error', () => {
      this.st.sendErrors++;
    });
    server?.on('connection', (s: TcpSocket) => this.onConnection(s));
    server?.on('error', () => undefined);
  }

  /** Binds UDP (and the TCP listener); rejects with FaxwireError('FAXWIRE_ERR_IO') when the port is taken. */
  static async open(o: SipTransportOptions): Promise<SipTransport> {
    if (!Number.isInteger(o.udpPort) || o.udpPort < 0 || o.udpPort > 65535) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `SIP port must be 0..65535, got ${o.udpPort}`);
    }
    if (o.maxConnections !== undefined && !(Number.isInteger(o.maxConnections) && o.maxConnections >= 0)) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `maxConnections must be an integer >= 0, got ${o.maxConnections}`);
    }
    if (o.tcpIdleMs !== undefined && !(o.tcpIdleMs > 0 && Number.isFinite(o.tcpIdleMs))) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `tcpIdleMs must be > 0, got ${o.tcpIdleMs}`);
    }
    const tcp = o.tcp ?? true;
    const type = isIP(o.localAddress) === 6 ? 'udp6' : 'udp4';
    const tries = o.udpPort === 0 && tcp ? EPHEMERAL_PAIR_TRIES : 1;
    for (let i = 0; ; i++) {
      const udp = createSocket({ type, reuseAddr: false });
      try {
        await bindUdp(udp, o.udpPort, o.localAddress);
      } catch (e) {
        udp.close();
        throw ioError(e, 'udp', o.localAddress, o.udpPort);
      }
      if (!tcp) return new SipTransport(o, udp, undefined);
      const port = udp.address().port;
      const server = createServer({ noDelay: true });
      try {
        await listenTcp(server, port, o.localAddress);
        return new SipTransport(o, udp, server);
      } catch (e) {
        udp.close();
        server.close();
        // An ephemeral UDP port whose TCP twin someone else holds: take another pair.
        if (errCode(e) === 'EADDRINUSE' && i + 1 < tries) continue;
        throw ioError(e, 'tcp', o.localAddress, port);
      }
    }
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<SipTransportStats> {
    return { ...this.st };
  }

  /** Open TCP connections (ours and the peers'). */
  get connections(): number {
    return this.conns.size;
  }

  /**
   * Sends `msg` to `dest`. Never throws: what fails is counted in `sendErrors`. UDP: a datagram
   * to dest. TCP: over the open connection to/from dest (§18.2.2), else a new one (connect
   * bounded to 5 s, messages queued until it is up). Host names are resolved with dns.lookup
   * (IPv4) and cached for 30 s.
   */
  send(msg: SipMessage, dest: SipAddress): void {
    if (this.closed || !Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535) {
      this.st.sendErrors++;
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = serializeSipMessage(msg);
    } catch {
      this.st.sendErrors++;
      return;
    }
    const host = dest.host.startsWith('[') ? dest.host.slice(1, -1) : dest.host;
    if (isIP(host) !== 0) {
      this.sendTo(bytes, dest.transport, plainIp(host), dest.port);
      return;
    }
    this.resolve(host).then(
      (ip) => this.sendTo(bytes, dest.transport, ip, dest.port),
      () => {
        this.st.sendErrors++;
      },
    );
  }

  /** Closes the sockets and every connection. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    for (const c of this.conns.values()) this.drop(c);
    this.conns.clear();
    const udpClosed = new Promise<void>((r) => this.udp.close(() => r()));
    const server = this.server;
    const tcpClosed = server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    this.closing = Promise.all([udpClosed, tcpClosed]).then(() => undefined);
    return this.closing;
  }

  // ---- receiving ----

  private onDatagram(m: Buffer, r: RemoteInfo): void {
    if (this.closed) return;
    if (m.length > this.maxBytes) {
      this.st.oversize++;
      return;
    }
    const bytes = new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
    if (isCrlfOnly(bytes)) return;
    const p = parseSipMessage(bytes, this.limits);
    if (!p.ok) {
      if (p.error.code === 'too-large' || p.error.code === 'body-too-large') this.st.oversize++;
      else this.st.malformed++;
      return;
    }
    this.deliver(p.message, { transport: 'udp', host: plainIp(r.address), port: r.port });
  }

  private deliver(msg: SipMessage, from: SipAddress): void {
    if (msg.kind === 'request' && !stampVia(msg, from)) {
      this.st.malformed++;
      return;
    }
    if (from.transport === 'udp') this.st.udpIn++;
    else this.st.tcpIn++;
    try {
      // Typed as returning void, but an async handler is assignable to it: catch its rejection
      // too, or it would end the process (unhandled rejection).
      const ret: unknown = this.onMessage(msg, from);
      if (ret instanceof Promise) {
        ret.catch(() => {
          this.st.handlerErrors++;
        });
      }
    } catch {
      this.st.handlerErrors++;
    }
  }

  private onConnection(sock: TcpSocket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    if (this.conns.size >= this.maxConnections || sock.remoteAddress === undefined || sock.remotePort === undefined) {
      this.st.connectionsRefused++;
      sock.destroy();
      return;
    }
    const host = plainIp(sock.remoteAddress);
    const port = sock.remotePort;
    this.st.connectionsOpened++;
    this.attach(sock, host, port, true);
  }

  /** Puts a connection in the table and wires its events. */
  private attach(sock: TcpSocket, host: string, port: number, connected: boolean): Conn {
    const key = `${host}:${port}`;
    const c: Conn = {
      key,
      sock,
      framer: new SipStreamFramer(this.limits),
      from: { transport: 'tcp', host, port },
      connected,
      pending: [],
      pendingBytes: 0,
      connectTimer: undefined,
      failed: false,
    };
    const old = this.conns.get(key);
    if (old !== undefined) this.drop(old);
    this.conns.set(key, c);
    sock.setNoDelay(true);
    if (connected) sock.setTimeout(this.idleMs);
    sock.on('timeout', () => this.drop(c));
    sock.on('error', () => undefined); // 'close' follows; its pending messages are counted there
    sock.on('close', () => {
      if (c.connectTimer !== undefined) clearTimeout(c.connectTimer);
      this.st.sendErrors += c.pending.length;
      c.pending.length = 0;
      if (this.conns.get(key) === c) this.conns.delete(key);
    });
    sock.on('data', (d: Buffer) => this.onStream(c, d));
    return c;
  }

  private onStream(c: Conn, d: Buffer): void {
    if (c.failed || this.closed) return;
    c.framer.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    for (;;) {
      const r = c.framer.next();
      if (r === undefined) break;
      if (!r.ok) {
        if (r.error.code === 'too-large' || r.error.code === 'body-too-large') this.st.oversize++;
        else this.st.malformed++;
        c.failed = true;
        this.drop(c);
        return;
      }
      this.deliver(r.message, c.from);
      if (c.sock.destroyed) return;
    }
    if (c.framer.failed) {
      this.st.malformed++;
      c.failed = true;
      this.drop(c);
      return;
    }
    const pings = c.framer.takePings();
    for (let i = 0; i < pings; i++) {
      c.sock.write(CRLF);
      this.st.pingsAnswered++;
    }
  }

  private drop(c: Conn): void {
    if (c.connectTimer !== undefined) clearTimeout(c.connectTimer);
    c.connectTimer = undefined;
    c.sock.destroy();
  }

  // ---- sending ----

  private sendTo(bytes: Uint8Array, transport: 'udp' | 'tcp', ip: string, port: number): void {
    if (this.closed) {
      this.st.sendErrors++;
      return;
    }
    if (transport === 'udp') {
      try {
        this.udp.send(bytes, port, ip, (err) => {
          if (err) this.st.sendErrors++;
          else this.st.udpOut++;
        });
      } catch {
        this.st.sendErrors++;
      }
      return;
    }
    let c = this.conns.get(`${ip}:${port}`);
    if (c === undefined || c.sock.destroyed) {
      if (this.conns.size >= this.maxConnections) {
        this.st.connectionsRefused++;
        this.st.sendErrors++;
        return;
      }
      c = this.connect(ip, port);
    }
    this.write(c, bytes);
  }

  private connect(ip: string, port: number): Conn {
    const sock = createConnection({ host: ip, port, ...(isWildcard(this.address) ? {} : { localAddress: this.address }) });
    const c = this.attach(sock, ip, port, false);
    c.connectTimer = setTimeout(() => this.drop(c), CONNECT_TIMEOUT_MS);
    sock.once('connect', () => {
      if (c.connectTimer !== undefined) clearTimeout(c.connectTimer);
      c.connectTimer = undefined;
      c.connected = true;
      this.st.connectionsOpened++;
      sock.setTimeout(this.idleMs);
      const queued = c.pending.splice(0);
      c.pendingBytes = 0;
      for (const b of queued) this.write(c, b);
    });
    return c;
  }

  private write(c: Conn, bytes: Uint8Array): void {
    const unsent = c.pendingBytes + c.sock.writableLength;
    if (unsent + bytes.length > MAX_QUEUED_BYTES) {
      // The peer stopped reading (or never connects): drop the connection, not our memory.
      this.st.sendErrors++;
      this.drop(c);
      return;
    }
    if (!c.connected) {
      c.pending.push(bytes);
      c.pendingBytes += bytes.length;
      return;
    }
    c.sock.write(bytes, (err) => {
      if (err) this.st.sendErrors++;
      else this.st.tcpOut++;
    });
  }

  private resolve(host: string): Promise<string> {
    const now = performance.now();
    const hit = this.dns.get(host);
    if (hit !== undefined && hit.until > now) return hit.ip;
    if (hit !== undefined) this.dns.delete(host);
    if (this.dns.size >= DNS_CACHE_MAX) {
      const oldest = this.dns.keys().next();
      if (oldest.done !== true) this.dns.delete(oldest.value);
    }
    const ip = lookup(host, { family: 4 }).then((r) => r.address);
    this.dns.set(host, { ip, until: now + DNS_TTL_MS });
    // A failed lookup is not cached: the next send asks again.
    ip.catch(() => {
      if (this.dns.get(host)?.ip === ip) this.dns.delete(host);
    });
    return ip;
  }
}
