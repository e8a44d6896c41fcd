/**
 * A SIP dialog (RFC 3261 §12): the state two user agents share after an INVITE — Call-ID, both
 * tags, both CSeq counters, the remote target and the route set — and the requests built inside
 * it (§12.2.1.1). Sans-IO and passive: the user agent (user-agent.ts) owns the transactions.
 *
 * ```
 *  field            UAC side (§12.1.2)                     UAS side (§12.1.1)
 *  localTag         From tag of the INVITE                 To tag we put in the 1xx/2xx
 *  remoteTag        To tag of the 1xx/2xx                  From tag of the INVITE
 *  remoteTarget     Contact of the 1xx/2xx                 Contact of the INVITE
 *  routeSet         Record-Route of the response, reversed Record-Route of the INVITE, in order
 *  localSeq         CSeq of the INVITE                     random start (first request we send)
 *  remoteSeq        unset until the peer sends             CSeq of the INVITE
 * ```
 */

import type { SipAddress } from './address.js';
import {
  createRequest,
  formatNameAddr,
  formatUri,
  parseNameAddr,
  parseUri,
  type NameAddr,
  type SipHeader,
  type SipRequest,
  type SipUri,
} from './message.js';

export interface DialogInit {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** From (UAC) or To (UAS) header value without the tag handling: the local party's name-addr. */
  readonly localParty: NameAddr;
  readonly remoteParty: NameAddr;
  readonly remoteTarget: SipUri;
  /** URIs of the route set, in the order requests must carry them. */
  readonly routeSet: readonly string[];
  readonly localSeq: number;
  readonly remoteSeq: number | undefined;
  /** We sent the initial INVITE (owner of the Call-ID for the §14.1 glare back-off). */
  readonly isUac: boolean;
  readonly secure?: boolean;
}

export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  readonly localParty: NameAddr;
  remoteParty: NameAddr;
  remoteTarget: SipUri;
  routeSet: readonly string[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly isUac: boolean;

  constructor(i: DialogInit) {
    this.callId = i.callId;
    this.localTag = i.localTag;
    this.remoteTag = i.remoteTag;
    this.localParty = i.localParty;
    this.remoteParty = i.remoteParty;
    this.remoteTarget = i.remoteTarget;
    this.routeSet = i.routeSet;
    this.localSeq = i.localSeq;
    this.remoteSeq = i.remoteSeq;
    this.isUac = i.isUac;
  }

  /** The key a request received in this dialog is found by (§12.2.2: Call-ID, To tag = ours, From tag = theirs). */
  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /**
   * A request inside the dialog (§12.2.1.1): Request-URI and Route from the route set (loose
   * routing: the remote target is the Request-URI and the route set goes into Route headers as
   * is; a strict router first in the set takes the Request-URI place), To/From with the tags,
   * CSeq one above the last (ACK and CANCEL reuse the INVITE's number and are not built here).
   */
  request(method: string, extra: readonly SipHeader[], body?: Uint8Array, seq?: number): SipRequest {
    if (seq === undefined) {
      this.localSeq += 1;
    }
    const cseq = seq ?? this.localSeq;
    const { requestUri, routes } = this.routing();
    const headers: SipHeader[] = [
      ...routes.map((r) => ({ name: 'Route', value: r })),
      { name: 'From', value: formatNameAddr(withTag(this.localParty, this.localTag)) },
      { name: 'To', value: formatNameAddr(withTag(this.remoteParty, this.remoteTag)) },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${cseq} ${method}` },
      { name: 'Max-Forwards', value: '70' },
      ...extra,
    ];
    return createRequest(method, requestUri, headers, body);
  }

  /** Where a request of this dialog goes first: the first route (loose or strict) or the remote target (§12.2.1.1, §8.1.2). */
  nextHop(defaultTransport: 'udp' | 'tcp'): SipAddress {
    const first = this.routeSet[0];
    const uri = first === undefined ? this.remoteTarget : (parseUri(stripAngles(first)) ?? this.remoteTarget);
    return addressOfUri(uri, defaultTransport);
  }

  /** Checks a request's CSeq against the remote sequence (§12.2.2): lower than the last one → 500. */
  acceptRemoteSeq(seq: number, method: string): boolean {
    if (method === 'ACK' || method === 'CANCEL') return true;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  private routing(): { requestUri: string; routes: string[] } {
    const target = formatUri(this.remoteTarget);
    const first = this.routeSet[0];
    if (first === undefined) return { requestUri: target, routes: [] };
    const firstUri = parseUri(stripAngles(first));
    if (firstUri !== undefined && !firstUri.params.has('lr')) {
      // Strict router (§12.2.1.1, RFC 2543 style): its URI becomes the Request-URI and the
      // remote target goes to the end of the Route list.
      return { requestUri: formatUri(stripUriHeaders(firstUri)), routes: [...this.routeSet.slice(1), `<${target}>`] };
    }
    return { requestUri: target, routes: [...this.routeSet] };
  }
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

export function withTag(party: NameAddr, tag: string): NameAddr {
  const params = new Map(party.params);
  params.set('tag', tag);
  return { ...party, params };
}

/** The tag parameter of a From/To header value, or undefined. */
export function tagOf(headerValue: string | undefined): string | undefined {
  if (headerValue === undefined) return undefined;
  const na = parseNameAddr(headerValue);
  const tag = na?.params.get('tag');
  return tag === null || tag === undefined || tag === '' ? undefined : tag;
}

export function stripAngles(s: string): string {
  const t = s.trim();
  const lt = t.indexOf('<');
  const gt = t.lastIndexOf('>');
  return lt >= 0 && gt > lt ? t.slice(lt + 1, gt) : t;
}

function stripUriHeaders(u: SipUri): SipUri {
  if (u.headers === undefined) return u;
  const { headers: _dropped, ...rest } = u;
  return rest;
}

/**
 * The transport address a URI names (RFC 3263 reduced to what needs no DNS SRV/NAPTR: the host
 * and port of the URI, 5060 by default, `transport=` as given, `maddr` ignored). Names are
 * resolved by the node transport.
 */
export function addressOfUri(uri: SipUri, defaultTransport: 'udp' | 'tcp'): SipAddress {
  const t = uri.params.get('transport');
  const transport = typeof t === 'string' && (t.toLowerCase() === 'tcp' || t.toLowerCase() === 'udp') ? (t.toLowerCase() as 'udp' | 'tcp') : defaultTransport;
  return { transport, host: uri.host, port: uri.port ?? 5060 };
}
