/**
 * Media sockets from a configured port range (`--media-ports LO-HI`), so that a firewall in front
 * of the fax server needs one UDP range opened for RTP and UDPTL, not every ephemeral port.
 *
 * RTP wants an even port (RFC 3550 §11: RTP on an even port, its RTCP on the next odd one, which
 * is also what an SDP `m=` line implies when there is no `a=rtcp`, RFC 3605 §1): `open('rtp')`
 * takes even ports only. UDPTL (T.38 §9.1; the `m=image` port of T.38 Annex D) has no RTCP and
 * takes any port.
 *
 * Allocation walks the range from a rotating cursor, so that a port just released is not handed
 * out again at once (a late datagram of the last call would land in the next one). A port this
 * allocator holds is skipped without a system call; a port some other process (or socket) holds
 * fails to bind with EADDRINUSE and is skipped too. Every port tried once and none free: a
 * FaxwireError('FAXWIRE_ERR_IO'). Without a range, sockets bind port 0 (an ephemeral port); for
 * RTP a few binds are tried to get an even one, and an odd one is kept when none came (RFC 3550
 * §11 says SHOULD, and the SDP carries whatever port it is).
 *
 *   range 10000-10007, cursor at 10003, ports 10004 and 10006 held:
 *     open('rtp')   tries 10004 (held) 10006 (held) 10000 → bound; cursor → 10001
 *     open('udptl') tries 10001 → bound; cursor → 10002
 */

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { FaxwireError } from '../util/errors.js';

export interface MediaPortRange {
  readonly lo: number;
  readonly hi: number;
}

/** Lowest port of a range: below 1024 are the system's (binding them needs privilege). */
const MIN_PORT = 1024;
const MAX_PORT = 65535;
/** Binds of port 0 tried for an even ephemeral RTP port before taking an odd one. */
const EPHEMERAL_EVEN_TRIES = 8;

/** "10000-20000" → { lo: 10000, hi: 20000 }; undefined unless both are integers in 1024..65535 and lo ≤ hi. */
export function parseMediaPortRange(text: string): MediaPortRange | undefined {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < MIN_PORT || hi > MAX_PORT || lo > hi) return undefined;
  return { lo, hi };
}

function errCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'ERROR';
}

/** Binds `sock`; resolves with the system's error code instead of rejecting. */
function tryBind(sock: Socket, port: number, address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onErr = (e: Error): void => resolve(errCode(e));
    sock.once('error', onErr);
    sock.bind({ port, address, exclusive: true }, () => {
      sock.off('error', onErr);
      resolve(undefined);
    });
  });
}

export class MediaPortAllocator {
  private readonly range: MediaPortRange | undefined;
  private readonly address: string;
  private readonly type: 'udp4' | 'udp6';
  private cursor: number;
  /** Ports this allocator holds, with their sockets. */
  private readonly held = new Map<number, Socket>();

  /** `range` undefined: ephemeral ports. `address`: the local address to bind ('0.0.0.0', '127.0.0.1', '::'…). */
  constructor(range: MediaPortRange | undefined, address: string) {
    if (range !== undefined) {
      const ok = Number.isInteger(range.lo) && Number.isInteger(range.hi) && range.lo >= MIN_PORT && range.hi <= MAX_PORT && range.lo <= range.hi;
      if (!ok) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `media port range must be ${MIN_PORT}..${MAX_PORT} with lo <= hi, got ${range.lo}-${range.hi}`);
    }
    this.range = range;
    this.address = address;
    this.type = isIP(address) === 6 ? 'udp6' : 'udp4';
    this.cursor = range?.lo ?? 0;
  }

  /** Sockets currently held (opened and not released). */
  get inUse(): number {
    return this.held.size;
  }

  /**
   * A bound UDP socket; RTP wants an even port (RFC 3550 §11). Tries ports in the range starting
   * at a rotating cursor, skipping EADDRINUSE; rejects with FaxwireError('FAXWIRE_ERR_IO',
   * 'no free media port in LO-HI') when the range is exhausted.
   */
  async open(kind: 'rtp' | 'udptl'): Promise<Socket> {
    if (this.range === undefined) return this.openEphemeral(kind);
    const { lo, hi } = this.range;
    const size = hi - lo + 1;
    for (let i = 0; i < size; i++) {
      const port = lo + ((this.cursor - lo + i) % size);
      if (kind === 'rtp' && port % 2 !== 0) continue;
      if (this.held.has(port)) continue;
      const sock = createSocket({ type: this.type, reuseAddr: false });
      const code = await tryBind(sock, port, this.address);
      if (code === undefined) {
        // Another open() may have taken the port while this one was binding: the kernel refused
        // it then, so a bound port here is ours alone.
        this.cursor = port === hi ? lo : port + 1;
        return this.hold(sock);
      }
      sock.close();
      if (code !== 'EADDRINUSE' && code !== 'EACCES') {
        throw new FaxwireError('FAXWIRE_ERR_IO', `cannot bind media port ${this.address}:${port}: ${code}`);
      }
    }
    throw new FaxwireError('FAXWIRE_ERR_IO', `no free media port in ${lo}-${hi}`);
  }

  private async openEphemeral(kind: 'rtp' | 'udptl'): Promise<Socket> {
    const tries = kind === 'rtp' ? EPHEMERAL_EVEN_TRIES : 1;
    // Odd ports stay bound while trying again, so that each bind gets a different port.
    const odd: Socket[] = [];
    try {
      for (let i = 0; i < tries; i++) {
        const sock = createSocket({ type: this.type, reuseAddr: false });
        const code = await tryBind(sock, 0, this.address);
        if (code !== undefined) {
          sock.close();
          throw new FaxwireError('FAXWIRE_ERR_IO', `cannot bind a media socket on ${this.address}: ${code}`);
        }
        if (kind === 'udptl' || sock.address().port % 2 === 0) return this.hold(sock);
        odd.push(sock);
      }
      // No even port came: an odd one still works (the SDP carries it), RFC 3550 §11 is a SHOULD.
      return this.hold(odd.pop() as Socket);
    } finally {
      for (const s of odd) s.close();
    }
  }

  private hold(sock: Socket): Socket {
    // A dgram socket that emits 'error' with no listener throws it out of the event loop; the
    // drivers add their own counting listeners, this one only keeps a stray error harmless.
    sock.on('error', () => undefined);
    const port = sock.address().port;
    this.held.set(port, sock);
    // Closed by whoever used it (a driver closes its socket at the end): the port is free again.
    sock.once('close', () => {
      if (this.held.get(port) === sock) this.held.delete(port);
    });
    return sock;
  }

  /**
   * Closes `sock` and gives its port back. A socket this allocator did not open is only closed.
   * (Closing a socket any other way gives its port back too.)
   */
  release(sock: Socket): void {
    for (const [port, s] of this.held) {
      if (s === sock) {
        this.held.delete(port);
        break;
      }
    }
    try {
      sock.close();
    } catch {
      // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): releasing twice is harmless.
    }
  }
}
