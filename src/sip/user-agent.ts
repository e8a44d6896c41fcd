/**
 * A SIP user agent (RFC 3261 §8, §12–§15, §22) for fax calls, sans-IO: it turns received
 * messages and the passing of time into messages to send and call events. The node driver
 * (src/node/sip-stack.ts) gives it sockets and a clock; the tests give it a simulated network.
 *
 * What it does, and the clause that says how:
 * - Calls out (INVITE, §13.2) and in (§13.3): provisional responses, early dialogs, the 2xx
 *   and its ACK (§13.2.2.4), the UAS's 2xx retransmissions until the ACK (§13.3.1.4), CANCEL
 *   once a provisional has arrived (§9.1), BYE (§15), 487 for a cancelled INVITE (§9.2).
 * - Re-INVITE and UPDATE (§14, RFC 3311) offers both ways; an unchanged SDP version (RFC 3264 §8)
 *   is a refresh, answered with our last SDP without asking the owner — so a session-timer refresh
 *   never disturbs the T.38 media.
 * - Glare: a re-INVITE received while ours is pending gets 491; a 491 to ours is retried after
 *   the §14.1 back-off (2.1–4 s when we own the Call-ID, else 0–2 s).
 * - Digest authentication on 401/407 for every request we send (§22.2, RFC 8760), once per
 *   nonce unless the challenge says stale.
 * - Session timers (RFC 4028): Supported/Session-Expires/Min-SE on the INVITE, 422 retried with
 *   the peer's Min-SE, the refresher refreshes at half the interval (UPDATE without a body when
 *   the peer allows UPDATE, else a re-INVITE with the same SDP), the other side sends BYE when no
 *   refresh came (§10: SE − min(32 s, SE/3)).
 * - NAT: `;rport` in every Via (RFC 3581); responses follow received/rport (transaction.ts);
 *   requests inside a dialog go to the Contact the peer gave, or through its Record-Route.
 * - REGISTER with refresh (§10.2), OPTIONS answered in and out of dialogs (§11).
 * Everything received that makes no sense gets the RFC's error response or is counted and dropped.
 */

import type { SipAddress } from './address.js';
import { DigestClient, type DigestCredentials } from './digest.js';
import { Dialog, addressOfUri, dialogId, stripAngles, tagOf } from './dialog.js';
import {
  addHeader,
  createRequest,
  createResponse,
  formatNameAddr,
  formatUri,
  getHeader,
  getHeaderList,
  parseCSeq,
  parseNameAddr,
  parseUri,
  type NameAddr,
  type SipHeader,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from './message.js';
import { SipTransactionLayer, newBranch, type ClientTransaction, type ServerTransaction, type SipTimerSettings } from './transaction.js';
import { FaxwireError } from '../util/errors.js';
import type { Random32 } from '../util/random.js';


const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO';
const SUPPORTED = 'timer';
const TEXT = new TextDecoder('utf-8', { fatal: false });
const ENC = new TextEncoder();

export interface UserAgentOptions {
  /** Address and port written into Via and Contact (what the peer can reach). */
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
  /** Our address of record, e.g. "sip:faxwire@192.0.2.1". */
  readonly from: string;
  readonly displayName?: string;
  readonly credentials?: DigestCredentials;
  /** All requests outside a dialog go here first (§8.1.2: a pre-loaded route with `lr`). */
  readonly outboundProxy?: string;
  readonly userAgent?: string;
  readonly random: Random32;
  readonly timers?: Partial<SipTimerSettings>;
  /** Session interval we ask for, s (RFC 4028; default 1800; 0: no session timer). */
  readonly sessionExpires?: number;
  /** Smallest session interval we accept, s (default 90, the RFC 4028 floor). */
  readonly minSE?: number;
  /** Calls at once; beyond, incoming INVITEs get 486 (default 1000). */
  readonly maxCalls?: number;
  /** The transport out. Must not throw (errors are the transport's to count). */
  send(msg: SipMessage, dest: SipAddress): void;
  /** A new incoming call: the owner sets `call.onEvent` and rings, answers or rejects it. */
  onIncomingCall?(call: SipCall, now: number): void;
}

export interface UserAgentStats {
  callsIn: number;
  callsOut: number;
  rejected: number;
  noDialog: number;
  badRequests: number;
  glare: number;
  authRetries: number;
  sessionRefreshes: number;
}

export type SipCallState = 'calling' | 'early' | 'incoming' | 'confirmed' | 'terminated';

export type SipCallEvent =
  | { readonly type: 'progress'; readonly status: number; readonly reason: string; readonly sdp?: string }
  | { readonly type: 'answered'; readonly sdp?: string }
  | { readonly type: 'confirmed' }
  | { readonly type: 'offer'; readonly sdp: string; readonly method: 'INVITE' | 'UPDATE' }
  | { readonly type: 'reoffer-result'; readonly ok: true; readonly sdp: string }
  | { readonly type: 'reoffer-result'; readonly ok: false; readonly status: number; readonly reason: string }
  | { readonly type: 'refreshed'; readonly by: 'local' | 'remote'; readonly method: string }
  | { readonly type: 'ended'; readonly by: 'local' | 'remote' | 'timeout'; readonly status?: number; readonly reason: string; readonly answered: boolean };

interface Timer {
  at: number;
  fn: (now: number) => void;
  live: boolean;
}

function sdpBody(msg: SipMessage): string | undefined {
  if (msg.body.length === 0) return undefined;
  const ct = getHeader(msg, 'Content-Type');
  if (ct !== undefined && !/^\s*application\/sdp\b/i.test(ct)) return undefined;
  return TEXT.decode(msg.body);
}

/** The `o=` line's session id and version (RFC 4566 §5.2): the version changes with every new offer (RFC 3264 §8). */
export function sdpVersionKey(sdp: string): string | undefined {
  const m = /^o=\S+ (\S+) (\S+)/m.exec(sdp);
  return m === null ? undefined : `${m[1]} ${m[2]}`;
}

/**
 * The same session as before (a refresh, not a new offer): the `o=` session id and version are
 * unchanged (RFC 3264 §8) — and, leniently, the media lines too: some gateways re-INVITE to T.38
 * without raising the version, and taking that for a refresh would answer a T.38 offer with the
 * old audio SDP.
 */
function sameSession(a: string, b: string): boolean {
  const ka = sdpVersionKey(a);
  if (ka === undefined || ka !== sdpVersionKey(b)) return false;
  const media = (x: string): string => (x.match(/^m=.*$/gm) ?? []).map((l) => l.trim()).join('|');
  return media(a) === media(b);
}

function hasToken(list: readonly string[], token: string): boolean {
  return list.some((v) => v.trim().toLowerCase() === token);
}

/** Session-Expires (RFC 4028 §4): "1800;refresher=uac". */
function parseSessionExpires(v: string | undefined): { seconds: number; refresher?: 'uac' | 'uas' } | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,9})\s*(?:;(.*))?$/.exec(v);
  if (m === null) return undefined;
  const seconds = Number(m[1]);
  const r = /(?:^|;)\s*refresher\s*=\s*(uac|uas)\b/i.exec(m[2] ?? '');
  const refresher = r?.[1]?.toLowerCase();
  return refresher === 'uac' || refresher === 'uas' ? { seconds, refresher } : { seconds };
}

export class SipUserAgent {
  readonly layer: SipTransactionLayer;
  readonly stats: UserAgentStats = { callsIn: 0, callsOut: 0, rejected: 0, noDialog: 0, badRequests: 0, glare: 0, authRetries: 0, sessionRefreshes: 0 };
  /** @internal */ readonly o: UserAgentOptions;
  /** @internal */ readonly aor: SipUri;
  private readonly timers: Timer[] = [];
  private readonly dialogs = new Map<string, SipCall>();
  private readonly pending = new Set<SipCall>();
  private readonly registrations = new Set<Registration>();

  constructor(o: UserAgentOptions) {
    this.o = o;
    const aor = parseUri(o.from);
    if (aor === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `not a SIP URI: ${o.from}`);
    this.aor = aor;
    this.layer = new SipTransactionLayer({
      ...(o.timers !== undefined ? { timers: o.timers } : {}),
      send: (m, d) => o.send(m, d),
      onRequest: (req, tx, from, now) => this.onRequest(req, tx, from, now),
      onStrayResponse: (res, _from, now) => this.onStrayResponse(res, now),
    });
  }

  /** Calls alive (not terminated). */
  get calls(): number {
    return this.pending.size + this.dialogs.size;
  }

  receive(msg: SipMessage, from: SipAddress, now: number): void {
    this.layer.receive(msg, from, now);
    this.runTimers(now);
  }

  tick(now: number): void {
    this.layer.tick(now);
    this.runTimers(now);
  }

  nextTimeout(): number | undefined {
    let t = this.layer.nextTimeout();
    for (const x of this.timers) if (x.live && (t === undefined || x.at < t)) t = x.at;
    return t;
  }

  /** Starts an outgoing call with an SDP offer. Events arrive on `call.onEvent` (set it before the next receive/tick). */
  invite(target: string, sdp: string, now: number): SipCall {
    const uri = parseUri(stripAngles(target));
    if (uri === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `not a SIP URI: ${target}`);
    const call = new SipCall(this, 'uac', now);
    this.stats.callsOut += 1;
    call.startOutgoing(uri, sdp, now);
    return call;
  }

  /** Registers our contact at `registrar` (a SIP URI) for `expires` seconds, refreshed until `stop()`. */
  register(registrar: string, expires: number, now: number, onResult?: (r: RegistrationResult) => void): Registration {
    const uri = parseUri(stripAngles(registrar));
    if (uri === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `not a SIP URI: ${registrar}`);
    const reg = new Registration(this, uri, expires, onResult);
    this.registrations.add(reg);
    reg.send(now);
    return reg;
  }

  /** OPTIONS out of dialog (§11): reachability; `done` gets the final status (408 on timeout). */
  options(target: string, now: number, done?: (status: number) => void): void {
    const uri = parseUri(stripAngles(target));
    if (uri === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `not a SIP URI: ${target}`);
    const toNa: NameAddr = { uri, params: new Map() };
    const callId = this.newCallId();
    const tag = this.newTag();
    let seq = 1;
    this.sendWithAuth(
      (auth) =>
        this.outOfDialogRequest('OPTIONS', uri, toNa, callId, tag, seq++, [{ name: 'Accept', value: 'application/sdp' }, ...auth]),
      this.firstHop(uri),
      now,
      (res) => {
        if (res.status >= 200) done?.(res.status);
      },
      () => done?.(408),
    );
  }

  /** Ends every call and registration (BYE/CANCEL/unregister); the caller keeps ticking until `calls` is 0. */
  shutdown(now: number): void {
    for (const c of [...this.pending, ...this.dialogs.values()]) c.hangup(now);
    for (const r of this.registrations) r.stop(now);
  }

  // ───────────────────────── internals used by SipCall / Registration ─────────────────────────

  /** @internal */
  later(delayMs: number, now: number, fn: (now: number) => void): Timer {
    const t: Timer = { at: now + delayMs, fn, live: true };
    this.timers.push(t);
    return t;
  }

  /** @internal */
  newTag(): string {
    return this.randomToken(10);
  }

  /** @internal */
  newCallId(): string {
    return `${this.randomToken(20)}@${this.o.host}`;
  }

  /** @internal */
  branch(): string {
    return newBranch(this.o.random);
  }

  /** @internal */
  via(branch: string): SipHeader {
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    return { name: 'Via', value: `SIP/2.0/${this.o.transport.toUpperCase()} ${host}:${this.o.port};branch=${branch};rport` };
  }

  /** @internal */
  contact(): SipHeader {
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    const user = this.aor.user !== undefined ? `${encodeURIComponent(this.aor.user)}@` : '';
    const tp = this.o.transport === 'tcp' ? ';transport=tcp' : '';
    return { name: 'Contact', value: `<sip:${user}${host}:${this.o.port}${tp}>` };
  }

  /** @internal */
  commonHeaders(): SipHeader[] {
    const h: SipHeader[] = [{ name: 'Allow', value: ALLOW }, { name: 'Supported', value: SUPPORTED }];
    if (this.o.userAgent !== undefined) h.push({ name: 'User-Agent', value: this.o.userAgent });
    return h;
  }

  /** @internal The first hop of a request outside a dialog: the outbound proxy, else the Request-URI (§8.1.2). */
  firstHop(target: SipUri): SipAddress {
    const proxy = this.o.outboundProxy !== undefined ? parseUri(stripAngles(this.o.outboundProxy)) : undefined;
    return addressOfUri(proxy ?? target, this.o.transport);
  }

  /** @internal Route for an outbound proxy (a loose router: `;lr`, §16.12). */
  proxyRoute(): SipHeader[] {
    if (this.o.outboundProxy === undefined) return [];
    const p = parseUri(stripAngles(this.o.outboundProxy));
    if (p === undefined) return [];
    const params = new Map(p.params);
    params.set('lr', null);
    return [{ name: 'Route', value: `<${formatUri({ ...p, params })}>` }];
  }

  /** @internal */
  outOfDialogRequest(method: string, uri: SipUri, to: NameAddr, callId: string, fromTag: string, seq: number, extra: readonly SipHeader[], body?: Uint8Array): SipRequest {
    const from: NameAddr = {
      ...(this.o.displayName !== undefined ? { displayName: this.o.displayName } : {}),
      uri: this.aor,
      params: new Map([['tag', fromTag]]),
    };
    return createRequest(
      method,
      formatUri(uri),
      [
        this.via(this.branch()),
        ...this.proxyRoute(),
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: formatNameAddr(from) },
        { name: 'To', value: formatNameAddr(to) },
        { name: 'Call-ID', value: callId },
        { name: 'CSeq', value: `${seq} ${method}` },
        ...extra,
        ...this.commonHeaders(),
      ],
      body,
    );
  }

  /**
   * Sends a request in its own client transaction, answering one 401/407 challenge per nonce
   * (§22.2: the retry carries the credentials, a new branch and CSeq + 1 — `build` makes a new
   * request each time it is called). Finals other than a handled challenge go to `onFinal`.
   * @internal
   */
  sendWithAuth(
    build: (auth: SipHeader[]) => SipRequest,
    dest: SipAddress | (() => SipAddress),
    now: number,
    onResponse: (res: SipResponse, now: number, tx: ClientTransaction) => void,
    onTimeout: (now: number) => void,
    auth: SipHeader[] = [],
    tried: Set<string> = new Set(),
    onSent?: (tx: ClientTransaction, req: SipRequest) => void,
  ): ClientTransaction {
    const req = build(auth);
    const to = typeof dest === 'function' ? dest() : dest;
    const tx: ClientTransaction = this.layer.sendRequest(req, to, now, {
      onResponse: (res, t) => {
        if ((res.status === 401 || res.status === 407) && this.o.credentials !== undefined) {
          const hdr = res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
          const challenges = getHeaderList(res, hdr).length > 0 ? getHeaderLinesOf(res, hdr) : [];
          const key = challenges.join('|');
          const stale = /stale\s*=\s*"?true/i.test(key);
          if (challenges.length > 0 && (!tried.has(key) || stale) && tried.size < 4) {
            tried.add(key);
            const client = new DigestClient(this.o.credentials, this.o.random);
            const value = client.authorize(challenges, req.method, req.uri, req.body);
            if (value !== undefined) {
              this.stats.authRetries += 1;
              const name = res.status === 401 ? 'Authorization' : 'Proxy-Authorization';
              const nextAuth = [...auth.filter((h) => h.name !== name), { name, value }];
              this.sendWithAuth(build, dest, t, onResponse, onTimeout, nextAuth, tried, onSent);
              return;
            }
          }
        }
        onResponse(res, t, tx);
      },
      onTimeout: (t) => onTimeout(t),
    });
    onSent?.(tx, req);
    return tx;
  }

  /** @internal */
  addDialog(call: SipCall): void {
    if (call.dialog === undefined) return;
    this.pending.delete(call);
    this.dialogs.set(call.dialog.id, call);
  }

  /** @internal */
  addPending(call: SipCall): void {
    this.pending.add(call);
  }

  /** @internal */
  forget(call: SipCall): void {
    this.pending.delete(call);
    if (call.dialog !== undefined && this.dialogs.get(call.dialog.id) === call) this.dialogs.delete(call.dialog.id);
  }

  /** @internal */
  forgetRegistration(r: Registration): void {
    this.registrations.delete(r);
  }

  /** @internal */
  respond(tx: ServerTransaction, status: number, now: number, extra: readonly SipHeader[] = [], toTag?: string, reason?: string): void {
    const res = createResponse(tx.request, status, reason, toTag);
    for (const h of extra) addHeader(res, h.name, h.value);
    if (status === 405 || status === 200) {
      if (getHeader(res, 'Allow') === undefined) addHeader(res, 'Allow', ALLOW);
    }
    if (this.o.userAgent !== undefined) addHeader(res, 'Server', this.o.userAgent);
    tx.respond(res, now);
  }

  private runTimers(now: number): void {
    // Timers may add timers; loop until none is due.
    for (let guard = 0; guard < 1000; guard++) {
      let due: Timer | undefined;
      for (const t of this.timers) if (t.live && t.at <= now && (due === undefined || t.at < due.at)) due = t;
      if (due === undefined) break;
      due.live = false;
      due.fn(now);
    }
    if (this.timers.length > 64) {
      const alive = this.timers.filter((t) => t.live);
      this.timers.length = 0;
      this.timers.push(...alive);
    }
  }

  private randomToken(n: number): string {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += chars[this.o.random() % chars.length] ?? 'x';
    return s;
  }

  private findDialog(msg: SipMessage): SipCall | undefined {
    const callId = getHeader(msg, 'Call-ID') ?? '';
    const fromTag = tagOf(getHeader(msg, 'From')) ?? '';
    const toTag = tagOf(getHeader(msg, 'To')) ?? '';
    // Requests from the peer: To tag is ours. Responses: From tag is ours.
    return msg.kind === 'request' ? this.dialogs.get(dialogId(callId, toTag, fromTag)) : this.dialogs.get(dialogId(callId, fromTag, toTag));
  }

  private onStrayResponse(res: SipResponse, now: number): void {
    // A 2xx retransmission after our INVITE transaction ended (§13.2.2.4): ACK it again.
    const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
    if (cseq?.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    const call = this.findDialog(res);
    if (call !== undefined) call.onRetransmitted2xx(res, now);
    else {
      for (const c of this.pending) if (c.matchesForkedAnswer(res)) c.onRetransmitted2xx(res, now);
    }
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | undefined, _from: SipAddress, now: number): void {
    if (tx === undefined) {
      // ACK for a 2xx (§13.3.1.4 / §17.2.3): belongs to the dialog.
      if (req.method === 'ACK') this.findDialog(req)?.onAck(req, now);
      return;
    }
    const toTag = tagOf(getHeader(req, 'To'));
    if (req.method === 'CANCEL') {
      const inviteTx = this.layer.findInviteServerTransaction(req);
      const call = inviteTx === undefined ? undefined : [...this.pending, ...this.dialogs.values()].find((c) => c.serverInvite === inviteTx);
      if (call === undefined || inviteTx === undefined) {
        this.respond(tx, 481, now);
        return;
      }
      this.respond(tx, 200, now);
      call.onCancel(now);
      return;
    }
    if (toTag !== undefined) {
      const call = this.findDialog(req);
      if (call === undefined) {
        this.stats.noDialog += 1;
        this.respond(tx, 481, now);
        return;
      }
      call.onInDialogRequest(req, tx, now);
      return;
    }
    switch (req.method) {
      case 'INVITE': {
        const unsupported = getHeaderList(req, 'Require').filter((r) => r.trim().toLowerCase() !== 'timer');
        if (unsupported.length > 0) {
          this.stats.rejected += 1;
          this.respond(tx, 420, now, [{ name: 'Unsupported', value: unsupported.join(', ') }]);
          return;
        }
        if (this.calls >= (this.o.maxCalls ?? 1000)) {
          this.stats.rejected += 1;
          this.respond(tx, 486, now);
          return;
        }
        const se = parseSessionExpires(getHeader(req, 'Session-Expires'));
        const minSE = this.o.minSE ?? 90;
        if (se !== undefined && se.seconds < minSE) {
          // RFC 4028 §8.1: too small an interval → 422 with our Min-SE.
          this.stats.rejected += 1;
          this.respond(tx, 422, now, [{ name: 'Min-SE', value: String(minSE) }]);
          return;
        }
        const call = new SipCall(this, 'uas', now);
        if (!call.startIncoming(req, tx, now)) {
          this.stats.badRequests += 1;
          return;
        }
        this.stats.callsIn += 1;
        if (this.o.onIncomingCall === undefined) {
          call.reject(480, now);
          return;
        }
        this.o.onIncomingCall(call, now);
        return;
      }
      case 'OPTIONS':
        this.respond(tx, 200, now, [
          { name: 'Accept', value: 'application/sdp' },
          { name: 'Supported', value: SUPPORTED },
        ]);
        return;
      case 'BYE':
      case 'UPDATE':
      case 'INFO':
        this.stats.noDialog += 1;
        this.respond(tx, 481, now);
        return;
      case 'REGISTER':
      case 'SUBSCRIBE':
      case 'NOTIFY':
      case 'REFER':
      case 'MESSAGE':
      case 'PRACK':
      case 'PUBLISH':
        this.respond(tx, 405, now);
        return;
      default:
        // §8.2.1: a method we do not know at all.
        this.respond(tx, 501, now);
    }
  }
}

/** All the lines of a header, unsplit (challenges contain commas). */
function getHeaderLinesOf(msg: SipMessage, name: string): string[] {
  const lower = name.toLowerCase();
  return msg.headers.filter((h) => h.name.toLowerCase() === lower).map((h) => h.value);
}

interface ReofferState {
  readonly sdp: () => string | undefined;
  tx?: ClientTransaction | undefined;
  timer?: Timer;
  attempts: number;
  readonly refresh: boolean;
}

/**
 * One call: the INVITE transaction that starts it, then its dialog and what happens inside it.
 * The owner reads `onEvent` and calls `ring`/`answer`/`reject` (incoming), `reoffer`,
 * `answerOffer`/`rejectOffer`, `hangup`.
 */
export class SipCall {
  onEvent: (e: SipCallEvent, now: number) => void = () => undefined;
  state: SipCallState;
  dialog: Dialog | undefined;
  /** @internal */ serverInvite: ServerTransaction | undefined;
  /** The SDP we last sent (offer or answer), the peer's last one. */
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  /** The peer's Allow list (from its INVITE or 2xx): UPDATE-capable peers get UPDATE refreshes. */
  peerAllows: string[] = [];
  /** Where the INVITE came from (incoming) or went (outgoing). */
  remoteAddress: SipAddress | undefined;
  readonly role: 'uac' | 'uas';
  readonly createdAt: number;
  private readonly ua: SipUserAgent;
  private inviteReq: SipRequest | undefined;
  private inviteTx: ClientTransaction | undefined;
  private provisional = false;
  private cancelWanted = false;
  private answered = false;
  private ackFor = new Map<number, SipRequest>();
  private retransmit: Timer | undefined;
  private retransmitUntil = 0;
  private lastFinal: SipResponse | undefined;
  private pendingReinviteTx: ServerTransaction | undefined;
  private pendingUpdateTx: ServerTransaction | undefined;
  private reofferState: ReofferState | undefined;
  private session: { seconds: number; weRefresh: boolean; timer?: Timer } | undefined;
  private sessionRequest: { seconds: number; minSE: number };
  private finalSent = false;

  /** @internal */
  constructor(ua: SipUserAgent, role: 'uac' | 'uas', now: number) {
    this.ua = ua;
    this.role = role;
    this.state = role === 'uac' ? 'calling' : 'incoming';
    this.createdAt = now;
    this.sessionRequest = { seconds: ua.o.sessionExpires ?? 1800, minSE: ua.o.minSE ?? 90 };
  }

  get callId(): string | undefined {
    return this.dialog?.callId ?? (this.inviteReq !== undefined ? getHeader(this.inviteReq, 'Call-ID') : undefined) ?? (this.serverInvite !== undefined ? getHeader(this.serverInvite.request, 'Call-ID') : undefined);
  }

  /** The INVITE that started an incoming call (its headers: From, To, Request-URI …). */
  get incomingInvite(): SipRequest | undefined {
    return this.role === 'uas' ? this.serverInvite?.request ?? this.inviteReq : undefined;
  }

  /** Session timer in force, s (undefined: none). */
  get sessionInterval(): number | undefined {
    return this.session?.seconds;
  }

  // ─────────────────────────────── outgoing call (UAC) ───────────────────────────────

  /** @internal */
  startOutgoing(target: SipUri, sdp: string, now: number): void {
    this.ua.addPending(this);
    const callId = this.ua.newCallId();
    const fromTag = this.ua.newTag();
    const to: NameAddr = { uri: target, params: new Map() };
    let seq = 1 + (this.ua.o.random() % 1000);
    this.localSdp = sdp;
    this.remoteAddress = this.ua.firstHop(target);
    const build = (auth: SipHeader[]): SipRequest => {
      const extra: SipHeader[] = [this.ua.contact(), { name: 'Content-Type', value: 'application/sdp' }, ...auth];
      if (this.sessionRequest.seconds > 0) {
        extra.push({ name: 'Session-Expires', value: String(this.sessionRequest.seconds) }, { name: 'Min-SE', value: String(this.sessionRequest.minSE) });
      }
      const req = this.ua.outOfDialogRequest('INVITE', target, to, callId, fromTag, seq++, extra, ENC.encode(sdp));
      return req;
    };
    this.sendInvite(build, target, now);
  }

  private sendInvite(build: (auth: SipHeader[]) => SipRequest, target: SipUri, now: number, auth: SipHeader[] = []): void {
    this.provisional = false;
    this.ua.sendWithAuth(
      build,
      this.ua.firstHop(target),
      now,
      (res, t, tx) => this.onInviteResponse(res, t, tx, build, target),
      (t) => this.end('timeout', t, 408, 'no answer (Timer B)'),
      auth,
      new Set(),
      (tx, req) => {
        this.inviteTx = tx;
        this.inviteReq = req;
      },
    );
  }

  /** Does a stray 2xx belong to this pending call (a forked answer after the first)? @internal */
  matchesForkedAnswer(res: SipResponse): boolean {
    return this.inviteReq !== undefined && getHeader(res, 'Call-ID') === getHeader(this.inviteReq, 'Call-ID') && tagOf(getHeader(res, 'From')) === tagOf(getHeader(this.inviteReq, 'From'));
  }

  private onInviteResponse(res: SipResponse, now: number, tx: ClientTransaction, build: (auth: SipHeader[]) => SipRequest, target: SipUri): void {
    if (this.state === 'terminated' && res.status >= 300) return;
    if (res.status < 200) {
      if (res.status === 100) return;
      this.provisional = true;
      const sdp = sdpBody(res);
      if (tagOf(getHeader(res, 'To')) !== undefined && this.dialog === undefined) this.makeUacDialog(res);
      if (this.state === 'calling') this.state = 'early';
      this.onEvent({ type: 'progress', status: res.status, reason: res.reason, ...(sdp !== undefined ? { sdp } : {}) }, now);
      if (this.cancelWanted) this.sendCancel(now);
      return;
    }
    if (res.status < 300) {
      this.on2xx(res, now);
      return;
    }
    if (res.status === 422 && !this.retried422) {
      // RFC 4028 §7.4: retry with the Min-SE the peer asks for.
      const min = Number(/\d+/.exec(getHeader(res, 'Min-SE') ?? '')?.[0] ?? NaN);
      if (Number.isFinite(min) && min > 0 && min <= 86_400) {
        this.retried422 = true;
        this.sessionRequest = { seconds: Math.max(min, this.sessionRequest.seconds), minSE: min };
        this.sendInvite(build, target, now);
        return;
      }
    }
    void tx;
    this.end('remote', now, res.status, res.reason || 'rejected');
  }

  private retried422 = false;

  private makeUacDialog(res: SipResponse): void {
    const req = this.inviteReq;
    if (req === undefined) return;
    const remoteTag = tagOf(getHeader(res, 'To')) ?? '';
    const contact = getHeaderList(res, 'Contact')[0];
    const contactUri = contact !== undefined ? parseNameAddr(contact)?.uri : undefined;
    const toNa = parseNameAddr(getHeader(res, 'To') ?? '') ?? parseNameAddr(getHeader(req, 'To') ?? '');
    const fromNa = parseNameAddr(getHeader(req, 'From') ?? '');
    if (toNa === undefined || fromNa === undefined) return;
    const target = contactUri ?? parseUri(req.uri) ?? toNa.uri;
    // §12.1.2: the route set is the Record-Route of the response, reversed.
    const routeSet = getHeaderList(res, 'Record-Route').reverse();
    const seq = parseCSeq(getHeader(req, 'CSeq') ?? '')?.seq ?? 1;
    this.dialog = new Dialog({
      callId: getHeader(req, 'Call-ID') ?? '',
      localTag: tagOf(getHeader(req, 'From')) ?? '',
      remoteTag,
      localParty: { ...fromNa, params: new Map() },
      remoteParty: { ...toNa, params: new Map() },
      remoteTarget: target,
      routeSet,
      localSeq: seq,
      remoteSeq: undefined,
      isUac: true,
    });
  }

  private on2xx(res: SipResponse, now: number): void {
    const remoteTag = tagOf(getHeader(res, 'To'));
    if (this.dialog !== undefined && this.answered && remoteTag !== this.dialog.remoteTag) {
      // A second fork answered (§13.2.2.4): ACK and BYE it; we keep the first.
      this.ackAndByeFork(res, now);
      return;
    }
    if (this.dialog === undefined || (!this.answered && remoteTag !== this.dialog.remoteTag)) this.makeUacDialog(res);
    const d = this.dialog;
    if (d === undefined) {
      this.end('remote', now, 502, '2xx without a usable To/Contact');
      return;
    }
    // Target refresh from the 2xx Contact (§12.2.1.2).
    const contact = getHeaderList(res, 'Contact')[0];
    const cu = contact !== undefined ? parseNameAddr(contact)?.uri : undefined;
    if (cu !== undefined) d.remoteTarget = cu;
    this.sendAck(res, now);
    if (this.answered) return;
    this.answered = true;
    this.state = 'confirmed';
    this.peerAllows = getHeaderList(res, 'Allow');
    this.ua.addDialog(this);
    const sdp = sdpBody(res);
    if (sdp !== undefined) this.remoteSdp = sdp;
    this.startSessionTimerFromResponse(res, now);
    this.onEvent({ type: 'answered', ...(sdp !== undefined ? { sdp } : {}) }, now);
    if (this.cancelWanted) this.hangup(now);
  }

  /** @internal */
  onRetransmitted2xx(res: SipResponse, now: number): void {
    const seq = parseCSeq(getHeader(res, 'CSeq') ?? '')?.seq;
    const ack = seq !== undefined ? this.ackFor.get(seq) : undefined;
    if (ack !== undefined && this.dialog !== undefined && tagOf(getHeader(res, 'To')) === this.dialog.remoteTag) {
      this.ua.o.send(ack, this.dialog.nextHop(this.ua.o.transport));
      return;
    }
    if (this.dialog !== undefined && tagOf(getHeader(res, 'To')) !== this.dialog.remoteTag) this.ackAndByeFork(res, now);
  }

  private sendAck(res: SipResponse, _now: number): void {
    const d = this.dialog;
    const req = this.inviteReq;
    if (d === undefined || req === undefined) return;
    const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
    if (cseq === undefined) return;
    // §13.2.2.4: the ACK is a new transaction-less request with the INVITE's CSeq number and credentials.
    const auth = req.headers.filter((h) => h.name === 'Authorization' || h.name === 'Proxy-Authorization');
    const ack = d.request('ACK', [this.ua.via(this.ua.branch()), ...auth], undefined, cseq.seq);
    moveViaFirst(ack);
    this.ackFor.set(cseq.seq, ack);
    if (this.ackFor.size > 8) this.ackFor.delete(this.ackFor.keys().next().value as number);
    this.ua.o.send(ack, d.nextHop(this.ua.o.transport));
  }

  private ackAndByeFork(res: SipResponse, now: number): void {
    const req = this.inviteReq;
    const toNa = parseNameAddr(getHeader(res, 'To') ?? '');
    const fromNa = parseNameAddr(getHeader(req?.headers !== undefined ? req : res, 'From') ?? '');
    const contact = getHeaderList(res, 'Contact')[0];
    const cu = contact !== undefined ? parseNameAddr(contact)?.uri : undefined;
    if (req === undefined || toNa === undefined || fromNa === undefined || cu === undefined) return;
    const seq = parseCSeq(getHeader(res, 'CSeq') ?? '')?.seq ?? 1;
    const fork = new Dialog({
      callId: getHeader(req, 'Call-ID') ?? '',
      localTag: tagOf(getHeader(req, 'From')) ?? '',
      remoteTag: tagOf(getHeader(res, 'To')) ?? '',
      localParty: { ...fromNa, params: new Map() },
      remoteParty: { ...toNa, params: new Map() },
      remoteTarget: cu,
      routeSet: getHeaderList(res, 'Record-Route').reverse(),
      localSeq: seq,
      remoteSeq: undefined,
      isUac: true,
    });
    const ack = fork.request('ACK', [this.ua.via(this.ua.branch())], undefined, seq);
    moveViaFirst(ack);
    this.ua.o.send(ack, fork.nextHop(this.ua.o.transport));
    const bye = fork.request('BYE', [this.ua.via(this.ua.branch())]);
    moveViaFirst(bye);
    this.ua.layer.sendRequest(bye, fork.nextHop(this.ua.o.transport), now, { onResponse: () => undefined, onTimeout: () => undefined });
  }

  private sendCancel(now: number): void {
    const req = this.inviteReq;
    if (req === undefined || this.inviteTx === undefined) return;
    // §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via (branch) as the INVITE; Route too.
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    const headers: SipHeader[] = [];
    const via = getHeaderList(req, 'Via')[0];
    if (via !== undefined) headers.push({ name: 'Via', value: via });
    for (const h of req.headers) if (h.name === 'Route') headers.push(h);
    for (const n of ['From', 'To', 'Call-ID']) {
      const v = getHeader(req, n);
      if (v !== undefined) headers.push({ name: n, value: v });
    }
    headers.push({ name: 'CSeq', value: `${cseq?.seq ?? 1} CANCEL` }, { name: 'Max-Forwards', value: '70' });
    const cancel = createRequest('CANCEL', req.uri, headers);
    this.ua.layer.sendRequest(cancel, this.inviteTx.dest, now, { onResponse: () => undefined, onTimeout: () => undefined });
  }

  // ─────────────────────────────── incoming call (UAS) ───────────────────────────────

  /** @internal */
  startIncoming(req: SipRequest, tx: ServerTransaction, now: number): boolean {
    const from = parseNameAddr(getHeader(req, 'From') ?? '');
    const to = parseNameAddr(getHeader(req, 'To') ?? '');
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    const fromTag = tagOf(getHeader(req, 'From'));
    if (from === undefined || to === undefined || cseq === undefined) {
      this.ua.respond(tx, 400, now, [], undefined, 'Bad From/To/CSeq');
      return false;
    }
    const contact = getHeaderList(req, 'Contact')[0];
    const contactUri = contact !== undefined ? parseNameAddr(contact)?.uri : undefined;
    this.serverInvite = tx;
    this.remoteAddress = tx.source;
    this.peerAllows = getHeaderList(req, 'Allow');
    this.dialog = new Dialog({
      callId: getHeader(req, 'Call-ID') ?? '',
      localTag: this.ua.newTag(),
      // RFC 2543 peers send no From tag; the dialog then has an empty remote tag (§12.1.1).
      remoteTag: fromTag ?? '',
      localParty: { ...to, params: new Map() },
      remoteParty: { ...from, params: new Map() },
      // No Contact: fall back to where it came from (a lenient reading of §12.1.1).
      remoteTarget: contactUri ?? { scheme: 'sip', host: tx.source.host, port: tx.source.port, params: new Map() },
      routeSet: getHeaderList(req, 'Record-Route'),
      localSeq: 1 + (this.ua.o.random() % 10_000),
      remoteSeq: cseq.seq,
      isUac: false,
    });
    this.ua.addDialog(this);
    const sdp = sdpBody(req);
    if (sdp !== undefined) this.remoteSdp = sdp;
    return true;
  }

  /** The peer's offer in the INVITE (undefined: an offer-less INVITE, our offer goes in the 2xx). */
  get initialOffer(): string | undefined {
    return this.role === 'uas' ? this.remoteSdp : undefined;
  }

  /** 180 Ringing (or another 1xx). */
  ring(now: number, status = 180): void {
    if (this.state !== 'incoming' || this.serverInvite === undefined || this.finalSent) return;
    this.ua.respond(this.serverInvite, status, now, [this.ua.contact()], this.dialog?.localTag);
  }

  /** 200 OK with our SDP answer; the 2xx is retransmitted until the ACK comes (§13.3.1.4). */
  answer(sdp: string, now: number): void {
    const tx = this.serverInvite;
    if (this.state !== 'incoming' || tx === undefined || this.finalSent || this.dialog === undefined) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `cannot answer a call in state ${this.state}`);
    }
    this.finalSent = true;
    this.localSdp = sdp;
    const extra = this.uasSessionHeaders(tx.request, now);
    const res = createResponse(tx.request, 200, 'OK', this.dialog.localTag);
    for (const h of [this.ua.contact(), ...this.ua.commonHeaders(), ...extra, { name: 'Content-Type', value: 'application/sdp' }]) addHeader(res, h.name, h.value);
    res.body = ENC.encode(sdp);
    tx.respond(res, now);
    this.lastFinal = res;
    this.state = 'confirmed';
    this.answered = true;
    this.startRetransmitting2xx(res, tx, now);
  }

  /** Rejects an incoming call (486, 488, 603 …). */
  reject(status: number, now: number, reason?: string, extra: readonly SipHeader[] = []): void {
    const tx = this.serverInvite;
    if (this.state !== 'incoming' || tx === undefined || this.finalSent) return;
    this.finalSent = true;
    this.ua.respond(tx, status, now, extra, this.dialog?.localTag, reason);
    this.end('local', now, status, reason ?? 'rejected');
  }

  /** @internal CANCEL of our pending incoming INVITE (§9.2): 487 to the INVITE. */
  onCancel(now: number): void {
    if (this.state !== 'incoming' || this.finalSent || this.serverInvite === undefined) return;
    this.finalSent = true;
    this.ua.respond(this.serverInvite, 487, now, [], this.dialog?.localTag);
    this.end('remote', now, 487, 'cancelled');
  }

  private startRetransmitting2xx(res: SipResponse, tx: ServerTransaction, now: number): void {
    const T1 = this.t1();
    const T2 = this.t2();
    const dest = this.ua.layer.responseDestination(tx.request, tx.source);
    if (dest.transport === 'tcp') return; // reliable: no retransmission (§13.3.1.4)
    this.retransmitUntil = now + 64 * T1;
    let interval = T1;
    const again = (t: number): void => {
      if (this.retransmit === undefined) return;
      if (t >= this.retransmitUntil) {
        // §13.3.1.4: no ACK within 64·T1 → the session ends with a BYE.
        this.retransmit = undefined;
        this.sendBye(t, 'no ACK for 2xx');
        return;
      }
      this.ua.o.send(res, dest);
      interval = Math.min(interval * 2, T2);
      this.retransmit = this.ua.later(interval, t, again);
    };
    this.retransmit = this.ua.later(interval, now, again);
  }

  private t1(): number {
    return this.ua.o.timers?.T1 ?? 500;
  }

  private t2(): number {
    return this.ua.o.timers?.T2 ?? 4000;
  }

  /** @internal */
  onAck(req: SipRequest, now: number): void {
    const seq = parseCSeq(getHeader(req, 'CSeq') ?? '')?.seq;
    if (this.retransmit !== undefined && this.lastFinal !== undefined && seq === parseCSeq(getHeader(this.lastFinal, 'CSeq') ?? '')?.seq) {
      this.retransmit.live = false;
      this.retransmit = undefined;
      const ackSdp = sdpBody(req);
      if (ackSdp !== undefined) this.remoteSdp = ackSdp;
      if (this.role === 'uas' && !this.confirmedOnce) {
        this.confirmedOnce = true;
        this.onEvent({ type: 'confirmed' }, now);
      }
    }
  }

  private confirmedOnce = false;

  // ─────────────────────────────── inside the dialog ───────────────────────────────

  /** @internal */
  onInDialogRequest(req: SipRequest, tx: ServerTransaction, now: number): void {
    const d = this.dialog;
    if (d === undefined) return;
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    if (cseq === undefined || !d.acceptRemoteSeq(cseq.seq, req.method)) {
      // §12.2.2: a CSeq lower than the last one is out of order.
      this.ua.respond(tx, 500, now, [], undefined, 'CSeq out of order');
      return;
    }
    switch (req.method) {
      case 'BYE':
        this.ua.respond(tx, 200, now);
        this.end('remote', now, undefined, 'BYE');
        return;
      case 'INVITE':
        this.onReinvite(req, tx, now);
        return;
      case 'UPDATE':
        this.onUpdate(req, tx, now);
        return;
      case 'OPTIONS':
        this.ua.respond(tx, 200, now, [{ name: 'Accept', value: 'application/sdp' }]);
        return;
      case 'INFO':
      case 'NOTIFY':
        this.ua.respond(tx, 200, now);
        return;
      default:
        this.ua.respond(tx, 405, now);
    }
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction, now: number): void {
    if (this.state !== 'confirmed') {
      this.ua.respond(tx, 491, now);
      return;
    }
    if (this.reofferState?.tx !== undefined && isPending(this.reofferState.tx)) {
      // §14.2: our own re-INVITE is pending → 491; the peer backs off.
      this.ua.stats.glare += 1;
      this.ua.respond(tx, 491, now);
      return;
    }
    if (this.pendingReinviteTx !== undefined || this.retransmit !== undefined) {
      // §14.2: a re-INVITE while the previous one is not finished → 500 with Retry-After.
      this.ua.respond(tx, 500, now, [{ name: 'Retry-After', value: String(1 + (this.ua.o.random() % 10)) }]);
      return;
    }
    this.targetRefresh(req);
    const sdp = sdpBody(req);
    const se = parseSessionExpires(getHeader(req, 'Session-Expires'));
    if (sdp === undefined || (this.remoteSdp !== undefined && sameSession(sdp, this.remoteSdp))) {
      // Unchanged session (RFC 3264 §8) or offer-less refresh: answer with what we have.
      if (this.localSdp === undefined) {
        this.ua.respond(tx, 488, now);
        return;
      }
      this.sendReinvite2xx(req, tx, this.localSdp, now);
      this.ua.stats.sessionRefreshes += 1;
      if (se !== undefined) this.restartSessionTimer(se.seconds, se.refresher === 'uas' ? this.role === 'uac' : this.role === 'uas' ? false : true, now, req);
      this.onEvent({ type: 'refreshed', by: 'remote', method: 'INVITE' }, now);
      return;
    }
    this.pendingReinviteTx = tx;
    this.onEvent({ type: 'offer', sdp, method: 'INVITE' }, now);
  }

  private onUpdate(req: SipRequest, tx: ServerTransaction, now: number): void {
    this.targetRefresh(req);
    const sdp = sdpBody(req);
    const se = parseSessionExpires(getHeader(req, 'Session-Expires'));
    if (sdp === undefined || (this.remoteSdp !== undefined && sameSession(sdp, this.remoteSdp))) {
      const extra: SipHeader[] = [this.ua.contact()];
      if (se !== undefined) {
        // RFC 4028 §9: echo the interval and who refreshes; the UPDATE's sender is the UAC of this transaction.
        const refresher = se.refresher ?? 'uac';
        extra.push({ name: 'Session-Expires', value: `${se.seconds};refresher=${refresher}` }, { name: 'Require', value: 'timer' });
        this.restartSessionTimer(se.seconds, refresher === 'uas', now, req);
      }
      if (sdp !== undefined && this.localSdp !== undefined) {
        extra.push({ name: 'Content-Type', value: 'application/sdp' });
        const res = createResponse(req, 200, 'OK');
        for (const h of extra) addHeader(res, h.name, h.value);
        res.body = ENC.encode(this.localSdp);
        tx.respond(res, now);
      } else {
        this.ua.respond(tx, 200, now, extra);
      }
      this.ua.stats.sessionRefreshes += 1;
      this.onEvent({ type: 'refreshed', by: 'remote', method: 'UPDATE' }, now);
      return;
    }
    if (this.pendingUpdateTx !== undefined || (this.reofferState?.tx !== undefined && isPending(this.reofferState.tx))) {
      this.ua.stats.glare += 1;
      this.ua.respond(tx, 491, now);
      return;
    }
    this.pendingUpdateTx = tx;
    this.onEvent({ type: 'offer', sdp, method: 'UPDATE' }, now);
  }

  /** Accepts the peer's re-offer (re-INVITE or UPDATE) with our answer. */
  answerOffer(sdp: string, now: number): void {
    const tx = this.pendingReinviteTx ?? this.pendingUpdateTx;
    if (tx === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'no offer to answer');
    const offer = sdpBody(tx.request);
    if (offer !== undefined) this.remoteSdp = offer;
    this.localSdp = sdp;
    if (tx === this.pendingReinviteTx) {
      this.pendingReinviteTx = undefined;
      this.sendReinvite2xx(tx.request, tx, sdp, now);
    } else {
      this.pendingUpdateTx = undefined;
      const res = createResponse(tx.request, 200, 'OK');
      for (const h of [this.ua.contact(), { name: 'Content-Type', value: 'application/sdp' }]) addHeader(res, h.name, h.value);
      res.body = ENC.encode(sdp);
      tx.respond(res, now);
    }
  }

  /** Refuses the peer's re-offer (488 Not Acceptable Here by default); the session stays as it was (§14.2). */
  rejectOffer(status: number, now: number, reason?: string): void {
    const tx = this.pendingReinviteTx ?? this.pendingUpdateTx;
    if (tx === undefined) return;
    if (tx === this.pendingReinviteTx) this.pendingReinviteTx = undefined;
    else this.pendingUpdateTx = undefined;
    this.ua.respond(tx, status, now, [], undefined, reason);
  }

  private sendReinvite2xx(req: SipRequest, tx: ServerTransaction, sdp: string, now: number): void {
    const res = createResponse(req, 200, 'OK');
    const se = this.uasSessionHeaders(req, now);
    for (const h of [this.ua.contact(), ...this.ua.commonHeaders(), ...se, { name: 'Content-Type', value: 'application/sdp' }]) addHeader(res, h.name, h.value);
    res.body = ENC.encode(sdp);
    tx.respond(res, now);
    this.lastFinal = res;
    this.startRetransmitting2xx(res, tx, now);
  }

  /** §12.2.2: a re-INVITE/UPDATE Contact replaces the remote target. */
  private targetRefresh(req: SipRequest): void {
    const contact = getHeaderList(req, 'Contact')[0];
    const cu = contact !== undefined ? parseNameAddr(contact)?.uri : undefined;
    if (cu !== undefined && this.dialog !== undefined) this.dialog.remoteTarget = cu;
  }

  /**
   * Sends a new offer inside the dialog (re-INVITE, §14.1). `sdp` is asked again for each
   * attempt — after a 491 back-off the owner may have changed its mind (return undefined to
   * give up). The result arrives as a `reoffer-result` event.
   */
  reoffer(sdp: () => string | undefined, now: number): boolean {
    if (this.state !== 'confirmed' || this.dialog === undefined) return false;
    if (this.reofferState !== undefined || this.pendingReinviteTx !== undefined) return false;
    this.reofferState = { sdp, attempts: 0, refresh: false };
    this.sendReoffer(now);
    return true;
  }

  /** A re-offer is on its way (or waiting out a 491 back-off). */
  get reofferPending(): boolean {
    return this.reofferState !== undefined;
  }

  private sendReoffer(now: number): void {
    const r = this.reofferState;
    const d = this.dialog;
    if (r === undefined || d === undefined || this.state !== 'confirmed') return;
    const sdp = r.sdp();
    if (sdp === undefined) {
      this.reofferState = undefined;
      return;
    }
    r.attempts += 1;
    const body = ENC.encode(sdp);
    const build = (auth: SipHeader[]): SipRequest => {
      const extra: SipHeader[] = [this.ua.via(this.ua.branch()), this.ua.contact(), ...this.ua.commonHeaders(), ...auth, { name: 'Content-Type', value: 'application/sdp' }];
      if (this.session !== undefined) extra.push({ name: 'Session-Expires', value: `${this.session.seconds};refresher=uac` });
      const req = d.request('INVITE', extra, body);
      moveViaFirst(req);
      this.inviteReq = req;
      return req;
    };
    r.tx = this.ua.sendWithAuth(
      build,
      () => d.nextHop(this.ua.o.transport),
      now,
      (res, t) => this.onReofferResponse(res, t, sdp),
      (t) => {
        this.reofferState = undefined;
        this.onEvent({ type: 'reoffer-result', ok: false, status: 408, reason: 'timeout' }, t);
        if (r.refresh) this.sendBye(t, 'refresh timed out');
      },
      [],
      new Set(),
      (tx) => {
        r.tx = tx;
      },
    );
  }

  private onReofferResponse(res: SipResponse, now: number, sdp: string): void {
    const r = this.reofferState;
    if (r === undefined) {
      if (res.status >= 200 && res.status < 300) this.sendAck(res, now);
      return;
    }
    if (res.status < 200) return;
    if (res.status < 300) {
      this.sendAck(res, now);
      this.reofferState = undefined;
      const answer = sdpBody(res);
      this.localSdp = sdp;
      if (answer !== undefined) this.remoteSdp = answer;
      this.startSessionTimerFromResponse(res, now);
      if (r.refresh) {
        this.ua.stats.sessionRefreshes += 1;
        this.onEvent({ type: 'refreshed', by: 'local', method: 'INVITE' }, now);
      } else this.onEvent({ type: 'reoffer-result', ok: true, sdp: answer ?? '' }, now);
      return;
    }
    if (res.status === 491 && r.attempts < 5) {
      // §14.1: back off, 2.1–4 s if we own the Call-ID (sent the first INVITE), else 0–2 s, in 10 ms units.
      this.ua.stats.glare += 1;
      const ms = this.dialog?.isUac === true ? 2100 + (this.ua.o.random() % 191) * 10 : (this.ua.o.random() % 201) * 10;
      r.tx = undefined;
      r.timer = this.ua.later(ms, now, (t) => this.sendReoffer(t));
      return;
    }
    this.reofferState = undefined;
    if (res.status === 481 || res.status === 408) {
      // §12.2.1.2: the dialog is gone.
      this.onEvent({ type: 'reoffer-result', ok: false, status: res.status, reason: res.reason }, now);
      this.end('remote', now, res.status, res.reason);
      return;
    }
    this.onEvent({ type: 'reoffer-result', ok: false, status: res.status, reason: res.reason }, now);
  }

  // ─────────────────────────────── session timer (RFC 4028) ───────────────────────────────

  private uasSessionHeaders(req: SipRequest, now: number): SipHeader[] {
    const se = parseSessionExpires(getHeader(req, 'Session-Expires'));
    if (se === undefined || se.seconds === 0) return [];
    const uacSupports = hasToken(getHeaderList(req, 'Supported'), 'timer');
    // §9: keep the refresher the UAC chose; else the UAC refreshes if it supports timers.
    const refresher: 'uac' | 'uas' = se.refresher ?? (uacSupports ? 'uac' : 'uas');
    // In this transaction the requester is the UAC: it refreshes when refresher=uac.
    this.restartSessionTimer(se.seconds, refresher === 'uas', now, req);
    const h: SipHeader[] = [{ name: 'Session-Expires', value: `${se.seconds};refresher=${refresher}` }];
    if (uacSupports) h.push({ name: 'Require', value: 'timer' });
    return h;
  }

  private startSessionTimerFromResponse(res: SipResponse, now: number): void {
    const se = parseSessionExpires(getHeader(res, 'Session-Expires'));
    if (se === undefined || se.seconds === 0) return;
    // We sent the request (UAC of this transaction): we refresh when refresher=uac (the default §7.2).
    this.restartSessionTimer(se.seconds, (se.refresher ?? 'uac') === 'uac', now, undefined);
  }

  private restartSessionTimer(seconds: number, weRefresh: boolean, now: number, _req: SipRequest | undefined): void {
    if (this.session?.timer !== undefined) this.session.timer.live = false;
    const s: { seconds: number; weRefresh: boolean; timer?: Timer } = { seconds, weRefresh };
    this.session = s;
    if (weRefresh) {
      s.timer = this.ua.later((seconds * 1000) / 2, now, (t) => this.refreshSession(t));
    } else {
      // §10: without a refresh, BYE at SE − min(32, SE/3) seconds.
      s.timer = this.ua.later((seconds - Math.min(32, seconds / 3)) * 1000, now, (t) => {
        this.sendBye(t, 'session expired (RFC 4028)');
      });
    }
  }

  private refreshSession(now: number): void {
    const d = this.dialog;
    if (d === undefined || this.state !== 'confirmed' || this.session === undefined) return;
    const seconds = this.session.seconds;
    if (this.reofferState !== undefined || this.pendingReinviteTx !== undefined) {
      // A transaction is in progress: try again shortly.
      this.session.timer = this.ua.later(1000, now, (t) => this.refreshSession(t));
      return;
    }
    if (hasToken(this.peerAllows, 'update')) {
      // RFC 4028 §7.4/§9: a body-less UPDATE refreshes without touching the media.
      const build = (auth: SipHeader[]): SipRequest => {
        const req = d.request('UPDATE', [this.ua.via(this.ua.branch()), this.ua.contact(), { name: 'Session-Expires', value: `${seconds};refresher=uac` }, { name: 'Supported', value: SUPPORTED }, ...auth]);
        moveViaFirst(req);
        return req;
      };
      this.ua.sendWithAuth(
        build,
        () => d.nextHop(this.ua.o.transport),
        now,
        (res, t) => {
          if (res.status < 200) return;
          if (res.status < 300) {
            this.ua.stats.sessionRefreshes += 1;
            const se = parseSessionExpires(getHeader(res, 'Session-Expires'));
            this.restartSessionTimer(se?.seconds ?? seconds, (se?.refresher ?? 'uac') === 'uac', t, undefined);
            this.onEvent({ type: 'refreshed', by: 'local', method: 'UPDATE' }, t);
          } else if (res.status === 481 || res.status === 408) this.end('remote', t, res.status, res.reason);
          else this.restartSessionTimer(seconds, true, t, undefined);
        },
        (t) => this.sendBye(t, 'refresh timed out'),
      );
      return;
    }
    // Re-INVITE with the same SDP (same o= version: no media change, RFC 3264 §8).
    const sdp = this.localSdp;
    if (sdp === undefined) return;
    this.reofferState = { sdp: () => sdp, attempts: 0, refresh: true };
    this.sendReoffer(now);
  }

  // ─────────────────────────────── ending ───────────────────────────────

  /** Hangs up: CANCEL (or CANCEL once a 1xx arrives) before the answer, 603 to an unanswered incoming call, BYE after. */
  hangup(now: number): void {
    if (this.state === 'terminated') return;
    if (this.state === 'calling' || this.state === 'early') {
      this.cancelWanted = true;
      if (this.provisional) this.sendCancel(now);
      // Without a provisional, CANCEL must wait (§9.1); Timer B ends the call if none comes.
      return;
    }
    if (this.state === 'incoming') {
      this.reject(603, now, 'Decline');
      return;
    }
    this.sendBye(now, 'local hang-up');
  }

  private sendBye(now: number, why: string): void {
    const d = this.dialog;
    if (d === undefined || this.state === 'terminated') return;
    const build = (auth: SipHeader[]): SipRequest => {
      const req = d.request('BYE', [this.ua.via(this.ua.branch()), ...auth, ...(this.ua.o.userAgent !== undefined ? [{ name: 'User-Agent', value: this.ua.o.userAgent }] : [])]);
      moveViaFirst(req);
      return req;
    };
    this.ua.sendWithAuth(build, () => d.nextHop(this.ua.o.transport), now, () => undefined, () => undefined);
    this.end('local', now, undefined, why);
  }

  /** @internal */
  end(by: 'local' | 'remote' | 'timeout', now: number, status: number | undefined, reason: string): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    if (this.retransmit !== undefined) this.retransmit.live = false;
    this.retransmit = undefined;
    if (this.session?.timer !== undefined) this.session.timer.live = false;
    if (this.reofferState?.timer !== undefined) this.reofferState.timer.live = false;
    this.reofferState = undefined;
    if (this.pendingReinviteTx !== undefined) this.ua.respond(this.pendingReinviteTx, 487, now);
    if (this.pendingUpdateTx !== undefined) this.ua.respond(this.pendingUpdateTx, 487, now);
    this.pendingReinviteTx = undefined;
    this.pendingUpdateTx = undefined;
    // Keep answering 2xx retransmissions with ACKs for a while (forget after 64·T1).
    this.ua.later(64 * this.t1(), now, () => this.ua.forget(this));
    this.onEvent({ type: 'ended', by, ...(status !== undefined ? { status } : {}), reason, answered: this.answered }, now);
  }
}

function isPending(tx: ClientTransaction): boolean {
  return tx.state === 'Calling' || tx.state === 'Proceeding' || tx.state === 'Trying';
}

/** Dialog.request puts Route/From/To first; the Via we pass in `extra` must be the top header line. */
function moveViaFirst(req: SipRequest): void {
  const i = req.headers.findIndex((h) => h.name === 'Via');
  if (i > 0) {
    const [via] = req.headers.splice(i, 1);
    if (via !== undefined) req.headers.unshift(via);
  }
}

export type RegistrationResult = { readonly ok: true; readonly expires: number } | { readonly ok: false; readonly status: number; readonly reason: string };

/** A registration binding (§10.2), refreshed before it expires until `stop()` (which unregisters). */
export class Registration {
  state: 'registering' | 'registered' | 'failed' | 'stopped' = 'registering';
  expires = 0;
  private readonly callId: string;
  private readonly tag: string;
  private seq = 1;
  private timer: Timer | undefined;
  private readonly ua: SipUserAgent;
  private readonly registrar: SipUri;
  private readonly wanted: number;
  private readonly onResult: ((r: RegistrationResult) => void) | undefined;

  /** @internal */
  constructor(ua: SipUserAgent, registrar: SipUri, expires: number, onResult: ((r: RegistrationResult) => void) | undefined) {
    this.ua = ua;
    this.registrar = registrar;
    this.wanted = expires;
    this.onResult = onResult;
    // §10.2: one Call-ID for all registrations of this UA to this registrar, CSeq increasing.
    this.callId = ua.newCallId();
    this.tag = ua.newTag();
  }

  /** @internal */
  send(now: number, expires = this.wanted): void {
    const to: NameAddr = { uri: this.ua.aor, params: new Map() };
    const build = (auth: SipHeader[]): SipRequest => {
      const contact = this.ua.contact();
      return this.ua.outOfDialogRequest('REGISTER', this.registrar, to, this.callId, this.tag, this.seq++, [
        { name: 'Contact', value: `${contact.value};expires=${expires}` },
        { name: 'Expires', value: String(expires) },
        ...auth,
      ]);
    };
    this.ua.sendWithAuth(
      build,
      this.ua.firstHop(this.registrar),
      now,
      (res, t) => {
        if (res.status < 200) return;
        if (expires === 0) {
          this.state = 'stopped';
          this.ua.forgetRegistration(this);
          return;
        }
        if (res.status < 300) {
          // The registrar may shorten the interval: Contact;expires= or Expires (§10.2.4).
          const c = getHeaderList(res, 'Contact').map((v) => parseNameAddr(v)).find((n) => n !== undefined);
          const ce = c?.params.get('expires');
          const granted = Number(typeof ce === 'string' ? ce : (getHeader(res, 'Expires') ?? expires));
          this.expires = Number.isFinite(granted) && granted > 0 ? granted : expires;
          this.state = 'registered';
          this.onResult?.({ ok: true, expires: this.expires });
          const refreshIn = Math.max(1, this.expires > 60 ? this.expires - 30 : this.expires / 2) * 1000;
          this.timer = this.ua.later(refreshIn, t, (t2) => this.send(t2));
          return;
        }
        this.state = 'failed';
        this.onResult?.({ ok: false, status: res.status, reason: res.reason });
      },
      () => {
        this.state = 'failed';
        this.onResult?.({ ok: false, status: 408, reason: 'no response' });
      },
    );
  }

  /** Unregisters (Expires: 0) and stops refreshing. */
  stop(now: number): void {
    if (this.timer !== undefined) this.timer.live = false;
    if (this.state === 'registered') this.send(now, 0);
    else this.ua.forgetRegistration(this);
  }
}
