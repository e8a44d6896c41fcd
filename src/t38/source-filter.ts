/**
 * Where UDPTL may come from (sans-IO): the source filter a UDP driver puts in front of its
 * terminal, with optional symmetric latching. One decision per datagram: pass it to the terminal,
 * or count it as foreign and drop it. No sockets; the driver gives it the sender's address.
 *
 * Why: UDPTL (T.38 §9.1) has no authentication, and any host that can reach the port can inject
 * datagrams. Issue 9 measured it: well-formed UDPTL with malformed IFPs at random seqs, 5 per
 * second from a foreign host, or 20 valid `no-signal` IFPs per second, made a 3-page fax from
 * spandsp fail. Media is taken from the right place only:
 *
 * - **Strict** (default): only datagrams from the signalled remote — address AND port, the
 *   SDP `c=` connection address and the `m=image` line's port (RFC 4566 §5.7, §5.14) — are accepted.
 *   Symmetric UDP (RFC 4961 §2: a host sends from the port it receives on) makes that the far
 *   end's source address, without a NAT in between. Everything else is `foreign`.
 * - **Latching** (`latch: true`; for a far end behind NAT whose real source differs from the
 *   signalled one — Asterisk's `nat=yes`/`comedia`, the "symmetric RTP" of RFC 4961 §3 applied to
 *   UDPTL): the first source that sends a VALID datagram (it decodes as UDPTL and its primary IFP
 *   is non-empty and decodes in either ASN.1 module of T.38 Annex A) is latched and held; from
 *   then on only that source is accepted, and the driver sends to it (`destination`). Invalid
 *   datagrams never latch, so malformed spray cannot capture the call. The signalled remote itself
 *   is always accepted and, by sending a valid datagram, takes the latch back from anyone else: it
 *   is the party the call was negotiated with.
 *
 * Limits (written down, not hidden): a foreign host that sends a valid datagram before the far
 * end does wins the latch until the signalled remote speaks (Asterisk's strict RTP has the same
 * window, narrowed by a learning period); spoofed source addresses and valid-looking spray from
 * the latched source itself are out of scope — the receiver's restart rule (udptl-receiver.ts)
 * only ensures such a source cannot restart the stream with garbage.
 */

import { decodeIfpView, IfpView } from './ifp.js';
import { decodeUdptl } from './udptl.js';

/** A UDP transport address. */
export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface SourceFilterOptions {
  /** The signalled far end (an IP address, as the socket reports senders, and a port). */
  readonly remote: UdpEndpoint;
  /** Latch to the first source of a valid datagram (NAT). Default false: the remote only. */
  readonly latch?: boolean;
  /** What counts as valid for latching. Default `isValidUdptl` (UDPTL + primary IFP decode). */
  readonly isValid?: (datagram: Uint8Array) => boolean;
}

export interface SourceFilterStats {
  /** Datagrams passed on. */
  accepted: number;
  /** Datagrams from anywhere else (or invalid ones from an unlatched source): dropped. */
  foreign: number;
  /** Times the latch was set or moved (first valid source; the signalled remote taking it back). */
  latches: number;
}

const SCRATCH = new IfpView();

/**
 * True when `datagram` decodes as a UDPTL packet (no trailing octets) whose primary IFP is
 * non-empty and decodes as an IFP in version 0's or versions 1–4's ASN.1 module.
 */
export function isValidUdptl(datagram: Uint8Array): boolean {
  const r = decodeUdptl(datagram);
  if (!r.ok || r.bytesRead !== datagram.length) return false;
  const ifp = r.value.primary;
  if (ifp.length === 0) return false;
  return decodeIfpView(ifp, 0, SCRATCH) || decodeIfpView(ifp, 2, SCRATCH);
}

const same = (a: UdpEndpoint, b: UdpEndpoint): boolean => a.port === b.port && a.address === b.address;

export class SourceFilter {
  private readonly remote: UdpEndpoint;
  private readonly latch: boolean;
  private readonly isValid: (d: Uint8Array) => boolean;
  private latched: UdpEndpoint | undefined;
  private readonly stats: SourceFilterStats = { accepted: 0, foreign: 0, latches: 0 };

  constructor(o: SourceFilterOptions) {
    this.remote = { address: o.remote.address, port: o.remote.port };
    this.latch = o.latch ?? false;
    this.isValid = o.isValid ?? isValidUdptl;
  }

  /** Decides one datagram from `from`: true to pass it on, false (counted foreign) to drop it. */
  accept(datagram: Uint8Array, from: UdpEndpoint): boolean {
    const st = this.stats;
    if (same(from, this.remote)) {
      // The negotiated far end: always heard; a valid datagram (re)takes the latch.
      if (this.latch && (this.latched === undefined || !same(this.latched, this.remote)) && this.isValid(datagram)) this.setLatch(this.remote);
      st.accepted++;
      return true;
    }
    if (!this.latch) {
      st.foreign++;
      return false;
    }
    if (this.latched !== undefined) {
      if (same(from, this.latched)) {
        st.accepted++;
        return true;
      }
      st.foreign++;
      return false;
    }
    if (!this.isValid(datagram)) {
      st.foreign++;
      return false;
    }
    this.setLatch(from);
    st.accepted++;
    return true;
  }

  /** Where to send: the latched source once there is one, else the signalled remote. */
  get destination(): UdpEndpoint {
    return this.latched ?? this.remote;
  }

  /** The latched source, if any. */
  get latchedTo(): UdpEndpoint | undefined {
    return this.latched;
  }

  getStats(): SourceFilterStats {
    return { ...this.stats };
  }

  private setLatch(to: UdpEndpoint): void {
    this.latched = { address: to.address, port: to.port };
    this.stats.latches++;
  }
}
