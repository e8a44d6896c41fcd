/**
 * Runs a sans-IO T.38 terminal on a real UDP socket (UDPTL, T.38 §9.1) with real timers — the
 * only place besides tcp-driver.ts where a fax call touches the operating system.
 *
 * Fax time runs `speed` times faster than the wall clock (real-time-loop.ts), like the spandsp
 * peer's `--speed`: both ends of a call must use the same factor, since all T.30 timers and the
 * T.38 pacing are in fax time. A wall-clock `timeoutMs` bounds the whole call.
 *
 * Media from the right place only (issue 9): datagrams are accepted from the signalled remote
 * (address and port) alone, or with `latch` from the first source of a valid datagram
 * (symmetric latching for NAT) — the rules are in t38/source-filter.ts. Everything else is
 * counted (`foreignDatagrams`) and dropped; once latched, datagrams go to the latched source. The
 * remote host is resolved (IPv4) once before the call, so that senders can be compared with it.
 *
 * Optional receive-side loss simulation (`lossPercent`, seeded xorshift32 like the peer's
 * `--loss`) drops datagrams before they reach the terminal — used by `faxwire demo`.
 */

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SourceFilter, type UdpEndpoint } from '../t38/source-filter.js';
import { xorshift32 } from '../util/random.js';
import { RealTimeLoop, type DriverOutcome, type DrivenTerminal } from './real-time-loop.js';

export interface UdpDriverOptions<E> {
  readonly terminal: DrivenTerminal<E>;
  /** Local UDP port (0: any). Ignored when `socket` is given. */
  readonly localPort: number;
  /** An already bound UDP socket to use (it is closed at the end, unless `keepSocket`). */
  readonly socket?: Socket;
  /**
   * With `socket`: leave it open at the end, with the driver's listeners taken off, for the
   * caller to use again (a SIP call that moves to another terminal on the same port). Default
   * false. Stopping with `signal` then ends the run with the terminal neither aborted nor hung
   * up (no DCN) and the socket still bound.
   */
  readonly keepSocket?: boolean;
  /** Local address to bind. Default '0.0.0.0' (all IPv4 interfaces). */
  readonly localAddress?: string;
  /** The signalled far end: only datagrams from this address and port are accepted (unless `latch`). */
  readonly remoteHost: string;
  readonly remotePort: number;
  /**
   * Symmetric latching (NAT): accept and answer the first source that sends a valid UDPTL
   * datagram, then only it (and the signalled remote). Default false.
   */
  readonly latch?: boolean;
  /** Called when the latch is set or moves (with `latch`), with "address:port". */
  readonly onLatch?: (to: string) => void;
  /** Fax clock speed factor (> 0). Default 1. */
  readonly speed?: number;
  /** Wall-clock limit for the call, ms. Default 300 000. */
  readonly timeoutMs?: number;
  /** Drop this percentage of received datagrams at random (simulation). Default 0. */
  readonly lossPercent?: number;
  /** Seed for `lossPercent` (non-zero). Default 1. */
  readonly lossSeed?: number;
  /** Every terminal event as it happens. */
  readonly onEvent?: (e: E) => void;
  /** Called once the socket is bound (with its local port). */
  readonly onBound?: (port: number) => void;
  /** Stops the call at once (the outcome says `aborted`). */
  readonly signal?: AbortSignal;
  /** Hangs up gracefully: the terminal ends the call (DCN) and the driver finishes normally. */
  readonly hangup?: AbortSignal;
  /** Fax ms to keep the socket open after the terminal is done, resending the last datagram twice (as the peer does). Default 80. */
  readonly lingerFaxMs?: number;
}

/** Binds a UDP socket (rejects on EADDRINUSE and the like). */
export function bindUdp(sock: Socket, port: number, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onErr = (e: Error): void => reject(e);
    sock.once('error', onErr);
    sock.bind(port, address, () => {
      sock.off('error', onErr);
      resolve();
    });
  });
}

/** A UDP socket bound to `address:port` (port 0: any), for callers that must know their port before the call starts. */
export async function openUdpSocket(port: number, address: string): Promise<Socket> {
  const sock = createSocket({ type: 'udp4', reuseAddr: false });
  await bindUdp(sock, port, address);
  return sock;
}

/** What a UDP call adds to the driver outcome. */
export interface UdpDriverOutcome extends DriverOutcome {
  /** Datagrams from anywhere but the remote (or the latched source): counted and dropped (not in `datagramsReceived`). */
  readonly foreignDatagrams: number;
  /** The source latched to (with `latch`), as "address:port". */
  readonly latchedTo?: string;
}

/** Runs one fax call over UDPTL until the terminal is done, the timeout, or an abort. */
export async function runUdpTerminal<E>(o: UdpDriverOptions<E>): Promise<UdpDriverOutcome> {
  const speed = o.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const loss = o.lossPercent ?? 0;
  const rng = xorshift32(o.lossSeed ?? 1);
  const sock: Socket = o.socket ?? createSocket({ type: 'udp4', reuseAddr: false });
  let sent = 0;
  let received = 0;
  let drops = 0;
  let socketErrors = 0;
  let last: Uint8Array | undefined;
  const onError = (): void => {
    socketErrors++;
  };
  sock.on('error', onError);
  const remoteAddress = isIP(o.remoteHost) !== 0 ? o.remoteHost : (await lookup(o.remoteHost, { family: 4 })).address;
  const filter = new SourceFilter({ remote: { address: remoteAddress, port: o.remotePort }, latch: o.latch ?? false });
  if (!o.socket) await bindUdp(sock, o.localPort, o.localAddress ?? '0.0.0.0');
  o.onBound?.(sock.address().port);
  // One completion callback for every send (no closure per datagram). Node's dgram has no
  // sendmmsg-like call (`send([a, b])` is one datagram made of two buffers), so each datagram is
  // one send; bench/udp-send.ts measures what that costs against C's sendto().
  const onSent = (err: Error | null): void => {
    if (err) socketErrors++;
  };
  const send = (b: Uint8Array): void => {
    sent++;
    last = b;
    const to: UdpEndpoint = filter.destination;
    sock.send(b, to.port, to.address, onSent);
  };
  const loop = new RealTimeLoop<E>(o.terminal, speed, send, o.onEvent);
  const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    // Each latch move is a new endpoint object: comparing references costs no copy per datagram.
    const before = filter.latchedTo;
    if (!filter.accept(bytes, rinfo)) return;
    if (o.onLatch && filter.latchedTo !== before) o.onLatch(`${rinfo.address}:${rinfo.port}`);
    received++;
    // Compared in millionths, like the peer (xorshift32 % 1e6 < pct × 1e4).
    if (loss > 0 && rng() % 1_000_000 < loss * 10_000) {
      drops++;
      return;
    }
    loop.input(bytes);
  };
  sock.on('message', onMessage);
  const { timedOut, aborted } = await loop.run({ timeoutMs: o.timeoutMs ?? 300_000, signal: o.signal, hangup: o.hangup });
  const finished = !timedOut && !aborted;
  if (finished && last !== undefined) {
    // Linger: the last datagram again, twice, so a lost final packet does not strand the far end.
    const lingerWall = (o.lingerFaxMs ?? 80) / speed;
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, lingerWall / 2));
      send(last);
    }
  }
  const fs = filter.getStats();
  const latched = filter.latchedTo;
  const outcome: UdpDriverOutcome = {
    finished,
    timedOut,
    aborted,
    wallMs: loop.wallMs(),
    faxMs: loop.now(),
    datagramsSent: sent,
    datagramsReceived: received,
    simulatedDrops: drops,
    socketErrors,
    foreignDatagrams: fs.foreign,
    ...(latched !== undefined ? { latchedTo: `${latched.address}:${latched.port}` } : {}),
  };
  if (o.socket !== undefined && o.keepSocket === true) {
    sock.off('message', onMessage);
    sock.off('error', onError);
  } else await new Promise<void>((r) => sock.close(() => r()));
  return outcome;
}
