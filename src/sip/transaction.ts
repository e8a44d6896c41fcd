/**
 * The SIP transaction layer (RFC 3261 §17, with the INVITE fixes of RFC 6026 and the symmetric
 * response routing of RFC 3581), sans-IO: messages and the current time in, messages to send
 * and TU callbacks out, `nextTimeout()` for the driver's one timer. No sockets, no clocks.
 *
 * ```
 *  machine             states (RFC 3261 §17 + RFC 6026 §7)           timers (unreliable / reliable)
 *  client INVITE       Calling → Proceeding → Completed | Accepted   A: T1, 2·T1, 4·T1 … / none
 *  (§17.1.1)                      → Terminated                        B: 64·T1 (Calling only)
 *                                                                    D: ≥ 32 s / 0   M: 64·T1
 *  client non-INVITE   Trying → Proceeding → Completed → Terminated  E: T1 doubling ≤ T2, T2 in
 *  (§17.1.2)                                                            Proceeding / none
 *                                                                    F: 64·T1   K: T4 / 0
 *  server INVITE       Proceeding → Completed → Confirmed            G: T1 doubling ≤ T2 / none
 *  (§17.2.1)                      | Accepted → Terminated            H: 64·T1   I: T4 / 0
 *                                                                    L: 64·T1
 *  server non-INVITE   Trying → Proceeding → Completed → Terminated  J: 64·T1 / 0
 *  (§17.2.2)
 * ```
 * Matching (§17.1.3, §17.2.3): a response belongs to the client transaction whose branch is the
 * top Via branch and whose method is the CSeq method (so a CANCEL is its own transaction). A
 * request with an RFC 3261 branch (magic cookie `z9hG4bK`) belongs to the server transaction with
 * the same branch, the same top Via sent-by and the same method, ACK counting as INVITE. A
 * request without the cookie (an RFC 2543 peer) is matched by the §17.2.3 fallback, minimally:
 * Request-URI, To tag, From tag, Call-ID, CSeq number, method and the top Via as written; an ACK
 * also matches the INVITE whose final response carried the ACK's To tag.
 *
 * Choices the RFCs leave open, and why:
 * - Timers re-arm from the moment they fire, so a late driver gets no burst of retransmissions.
 * - Timer D is max(32 s, 64·T1): it must outlive the server's Timer H window (§17.1.1.2), which
 *   grows with T1.
 * - A client INVITE in Proceeding has no timer of its own (§17.1.1.2); when the TU sends a
 *   CANCEL for it, the layer arms §9.1's 64·T1 wait, after which the INVITE transaction is
 *   destroyed and reported as a timeout — so a lost 487 leaks nothing.
 * - A TU's 2xx retransmissions to an INVITE (§13.3.1.4) may go through `respond()` in Accepted
 *   (RFC 6026 §7.1: the transaction passes them to the transport); any other late response throws.
 * - A `send` that throws is a transport error (§17.1.4, §17.2.4): counted, the transaction ends
 *   (clients: `onTimeout`; servers: `onServerFailure`), nothing propagates. If it fails inside
 *   `sendRequest`, the failure is reported at the next `tick` so the TU has the handle first.
 * - Terminated transactions are removed at once; whatever arrives for them later is new or stray.
 */

import type { SipAddress } from './address.js';
import { FaxwireError } from '../util/errors.js';
import type { Random32 } from '../util/random.js';
import {
  canonicalHeaderName,
  createResponse,
  formatVia,
  getHeader,
  getHeaderList,
  parseCSeq,
  parseNameAddr,
  parseVia,
  type CSeq,
  type SipHeader,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type Via,
} from './message.js';

// ------------------------------------------------------------------------------------------
// public types


/** RFC 3261 §17.1.1.1 / table 4, in ms. */
export interface SipTimerSettings {
  /** RTT estimate (default 500). */
  readonly T1: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses (default 4000). */
  readonly T2: number;
  /** Longest time a message stays in the network (default 5000). */
  readonly T4: number;
}

export const DEFAULT_SIP_TIMERS: SipTimerSettings = { T1: 500, T2: 4000, T4: 5000 };

export type ClientInviteState = 'Calling' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';
export type ClientNonInviteState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';
export type ServerInviteState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';
export type ServerNonInviteState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';
export type TransactionState = ClientInviteState | ClientNonInviteState | ServerInviteState | ServerNonInviteState;

export interface ClientTransactionUser {
  /** Every 1xx and the final; in Accepted, each 2xx retransmission too (RFC 6026 §7.2). */
  onResponse(res: SipResponse, now: number): void;
  /** Timer B / Timer F / §9.1's wait after CANCEL, or a transport error. */
  onTimeout(now: number): void;
}

export interface ClientTransaction {
  readonly id: string;
  readonly branch: string;
  readonly method: string;
  readonly request: SipRequest;
  readonly state: ClientInviteState | ClientNonInviteState;
  readonly dest: SipAddress;
}

export interface ServerTransaction {
  readonly id: string;
  readonly branch: string;
  readonly method: string;
  /** As received, with `received`/`rport` filled in the top Via. */
  readonly request: SipRequest;
  readonly state: ServerInviteState | ServerNonInviteState;
  readonly source: SipAddress;
  /**
   * Sends a response of the TU. Throws FaxwireError INVALID_ARGUMENT for a status outside
   * 100..699 and INVALID_STATE after a final response — except a 2xx retransmission to an
   * INVITE in Accepted, which is sent (RFC 6026 §7.1).
   */
  respond(res: SipResponse, now: number): void;
}

export type ServerFailure = 'timeout' | 'transport';

export interface TransactionLayerOptions {
  readonly timers?: Partial<SipTimerSettings>;
  send(msg: SipMessage, dest: SipAddress): void;
  /** tx is undefined only for an ACK that matches no server transaction (ACK to a 2xx → the TU/dialog). */
  onRequest(req: SipRequest, tx: ServerTransaction | undefined, from: SipAddress, now: number): void;
  /** A response that matches no client transaction (e.g. a 2xx retransmission after Terminated). */
  onStrayResponse?(res: SipResponse, from: SipAddress, now: number): void;
  /** A server transaction failed: Timer H fired without an ACK (§17.2.1) or the transport failed (§17.2.4). */
  onServerFailure?(tx: ServerTransaction, reason: ServerFailure, now: number): void;
  /** Every state change (trace/log hook). */
  onStateChange?(id: string, from: TransactionState, to: TransactionState, now: number): void;
  /** Auto 100 Trying for INVITE if the TU sent no provisional within this many ms (§17.2.1; default 200; Infinity: never). */
  readonly autoTryingMs?: number;
  /** Live transactions at most (default 4096); above it new requests get a stateless 503 (§21.5.4). */
  readonly maxTransactions?: number;
}

export interface TransactionLayerStats {
  /** Messages sent again by the layer: Timer A/E/G, responses resent to retransmitted requests, ACKs resent. */
  retransmissions: number;
  /** Retransmitted requests (and duplicate ACKs) absorbed by a server transaction, not passed to the TU. */
  absorbedRequests: number;
  /** Responses that matched no client transaction. */
  strayResponses: number;
  /** Timer B, F, H and §9.1's wait after CANCEL. */
  timeouts: number;
  /** Transactions created (client and server). */
  created: number;
  /** Retransmitted or late responses absorbed by a client transaction, not passed to the TU. */
  absorbedResponses: number;
  /** `send` calls that threw. */
  transportErrors: number;
  /** Messages without a usable top Via or CSeq, and requests refused for lack of room. */
  dropped: number;
}

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/**
 * A new RFC 3261 branch (§8.1.1.7): the magic cookie and 21 base-36 characters from three draws
 * of an injected generator (a `Random32`; a [0, 1) generator is scaled), unique in practice.
 */
export function newBranch(random: Random32): string {
  let s = BRANCH_MAGIC_COOKIE;
  for (let i = 0; i < 3; i++) {
    const v = random();
    const u = Number.isInteger(v) ? v >>> 0 : Math.floor(v * 0x1_0000_0000) >>> 0;
    s += u.toString(36).padStart(7, '0');
  }
  return s;
}

// ------------------------------------------------------------------------------------------
// the state machines' moves (DESIGN.md habit 3: one table, one setState)

type Kind = 'client-invite' | 'client-non-invite' | 'server-invite' | 'server-non-invite';

const MOVES: Readonly<Record<Kind, Readonly<Partial<Record<TransactionState, readonly TransactionState[]>>>>> = {
  'client-invite': {
    Calling: ['Proceeding', 'Completed', 'Accepted', 'Terminated'],
    Proceeding: ['Completed', 'Accepted', 'Terminated'],
    Completed: ['Terminated'],
    Accepted: ['Terminated'],
  },
  'client-non-invite': {
    Trying: ['Proceeding', 'Completed', 'Terminated'],
    Proceeding: ['Completed', 'Terminated'],
    Completed: ['Terminated'],
  },
  'server-invite': {
    Proceeding: ['Completed', 'Accepted', 'Terminated'],
    Completed: ['Confirmed', 'Terminated'],
    Confirmed: ['Terminated'],
    Accepted: ['Terminated'],
  },
  'server-non-invite': {
    Trying: ['Proceeding', 'Completed', 'Terminated'],
    Proceeding: ['Completed', 'Terminated'],
    Completed: ['Terminated'],
  },
};

/** Timers by their RFC letter; 'Trying' is §17.2.1's 200 ms, 'Cancel' §9.1's wait, 'Failed' a deferred transport error. */
type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying' | 'Cancel' | 'Failed';

/** What the transactions need from the layer. */
interface Core {
  readonly t: SipTimerSettings;
  readonly o: TransactionLayerOptions;
  readonly counters: TransactionLayerStats;
  /** `send`, with a throw turned into `false` and counted. */
  transmit(msg: SipMessage, dest: SipAddress): boolean;
  remove(id: string): void;
}

abstract class Tx {
  readonly timers = new Map<TimerName, number>();
  protected current: TransactionState;

  constructor(
    protected readonly core: Core,
    readonly kind: Kind,
    readonly id: string,
    readonly branch: string,
    readonly method: string,
    initial: TransactionState,
  ) {
    this.current = initial;
  }

  abstract fire(name: TimerName, now: number): void;

  protected setState(to: TransactionState, now: number): void {
    const from = this.current;
    if (!(MOVES[this.kind][from] ?? []).includes(to)) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `${this.kind} transaction ${this.id}: no move ${from} → ${to}`);
    }
    this.current = to;
    if (to === 'Terminated') {
      this.timers.clear();
      this.core.remove(this.id);
    }
    this.core.o.onStateChange?.(this.id, from, to, now);
  }

  protected arm(name: TimerName, at: number): void {
    this.timers.set(name, at);
  }
}

// ------------------------------------------------------------------------------------------
// client transactions (§17.1)

class ClientTx extends Tx implements ClientTransaction {
  private readonly reliable: boolean;
  private readonly invite: boolean;
  /** Current retransmit interval of Timer A or E. */
  private interval: number;
  /** The ACK to a non-2xx final (§17.1.1.3), resent for each retransmitted final. */
  private ack: SipRequest | undefined;

  constructor(
    core: Core,
    id: string,
    branch: string,
    readonly request: SipRequest,
    readonly dest: SipAddress,
    private readonly user: ClientTransactionUser,
  ) {
    const invite = request.method === 'INVITE';
    super(core, invite ? 'client-invite' : 'client-non-invite', id, branch, request.method, invite ? 'Calling' : 'Trying');
    this.invite = invite;
    this.reliable = dest.transport === 'tcp';
    this.interval = core.t.T1;
  }

  get state(): ClientInviteState | ClientNonInviteState {
    return this.current as ClientInviteState | ClientNonInviteState;
  }

  start(now: number): void {
    const { T1 } = this.core.t;
    if (!this.core.transmit(this.request, this.dest)) {
      // Reported at the next tick (nextTimeout() = now) so the TU holds the handle first.
      this.arm('Failed', now);
      return;
    }
    // §17.1.1.2 Timer A / §17.1.2.2 Timer E: unreliable transports only.
    if (!this.reliable) this.arm(this.invite ? 'A' : 'E', now + T1);
    // Timer B / Timer F: 64·T1 whatever the transport.
    this.arm(this.invite ? 'B' : 'F', now + 64 * T1);
  }

  /** §9.1: after a CANCEL, wait 64·T1 for the INVITE's final, then destroy the transaction. */
  cancelSent(now: number): void {
    if (this.current === 'Calling' || this.current === 'Proceeding') this.arm('Cancel', now + 64 * this.core.t.T1);
  }

  fire(name: TimerName, now: number): void {
    const { T2 } = this.core.t;
    switch (name) {
      case 'A': // §17.1.1.2: retransmit, double the interval (no cap for INVITE)
        if (!this.retransmit(now)) return;
        this.interval *= 2;
        this.arm('A', now + this.interval);
        return;
      case 'E': // §17.1.2.2: doubling capped at T2; in Proceeding every T2
        if (!this.retransmit(now)) return;
        this.interval = this.current === 'Proceeding' ? T2 : Math.min(2 * this.interval, T2);
        this.arm('E', now + this.interval);
        return;
      case 'B': // §17.1.1.2: no response in Calling
      case 'F': // §17.1.2.2: no final in Trying/Proceeding
      case 'Cancel': // §9.1: no final 64·T1 after the CANCEL
        this.core.counters.timeouts++;
        this.fail(now);
        return;
      case 'Failed':
        this.fail(now);
        return;
      case 'D': // §17.1.1.2: end of the wait for retransmitted finals
      case 'K': // §17.1.2.2: same for non-INVITE
      case 'M': // RFC 6026 §7.2: end of the wait for 2xx retransmissions
        this.setState('Terminated', now);
        return;
      case 'G':
      case 'H':
      case 'I':
      case 'J':
      case 'L':
      case 'Trying':
        return; // server timers: never armed here
    }
  }

  private retransmit(now: number): boolean {
    if (this.core.transmit(this.request, this.dest)) {
      this.core.counters.retransmissions++;
      return true;
    }
    this.fail(now);
    return false;
  }

  private fail(now: number): void {
    this.setState('Terminated', now);
    this.user.onTimeout(now);
  }

  receive(res: SipResponse, now: number): void {
    if (this.invite) this.receiveInvite(res, now);
    else this.receiveNonInvite(res, now);
  }

  private stopSending(): void {
    for (const n of ['A', 'B', 'E', 'F', 'Cancel', 'Failed'] as const) this.timers.delete(n);
  }

  private receiveInvite(res: SipResponse, now: number): void {
    const s = res.status;
    const { T1 } = this.core.t;
    switch (this.current) {
      case 'Calling':
      case 'Proceeding':
        if (s < 200) {
          // §17.1.1.2: a provisional stops Timer A (and B, which only guards Calling).
          if (this.current === 'Calling') {
            this.timers.delete('A');
            this.timers.delete('B');
            this.setState('Proceeding', now);
          }
          this.user.onResponse(res, now);
          return;
        }
        this.stopSending();
        if (s < 300) {
          // RFC 6026 §7.2: Accepted; 2xx retransmissions keep reaching the TU until Timer M.
          this.setState('Accepted', now);
          this.arm('M', now + 64 * T1);
          this.user.onResponse(res, now);
          return;
        }
        // §17.1.1.2/§17.1.1.3: ACK the non-2xx final; Completed absorbs its retransmissions.
        this.ack = buildAck(this.request, res);
        this.setState('Completed', now);
        if (!this.core.transmit(this.ack, this.dest) || this.reliable) this.setState('Terminated', now);
        else this.arm('D', now + Math.max(32_000, 64 * T1));
        this.user.onResponse(res, now);
        return;
      case 'Completed':
        this.core.counters.absorbedResponses++;
        if (s >= 300 && this.ack !== undefined) {
          // §17.1.1.2: each retransmitted final is ACKed again, not passed up.
          if (this.core.transmit(this.ack, this.dest)) this.core.counters.retransmissions++;
          else this.setState('Terminated', now);
        }
        return;
      case 'Accepted':
        if (s >= 200 && s < 300) this.user.onResponse(res, now);
        else this.core.counters.absorbedResponses++;
        return;
      case 'Terminated': // removed from the table: unreachable
      case 'Trying':
      case 'Confirmed':
        this.core.counters.absorbedResponses++;
        return;
    }
  }

  private receiveNonInvite(res: SipResponse, now: number): void {
    const s = res.status;
    switch (this.current) {
      case 'Trying':
      case 'Proceeding':
        if (s < 200) {
          if (this.current === 'Trying') this.setState('Proceeding', now);
          this.user.onResponse(res, now);
          return;
        }
        // §17.1.2.2: final → Completed; Timer K (T4 unreliable, 0 reliable) absorbs retransmissions.
        this.stopSending();
        this.setState('Completed', now);
        if (this.reliable) this.setState('Terminated', now);
        else this.arm('K', now + this.core.t.T4);
        this.user.onResponse(res, now);
        return;
      case 'Completed': // §17.1.2.2: retransmitted finals are absorbed while Timer K runs
      case 'Terminated':
      case 'Calling':
      case 'Accepted':
      case 'Confirmed':
        this.core.counters.absorbedResponses++;
        return;
    }
  }
}

/**
 * §17.1.1.3: the ACK to a non-2xx final — the INVITE's Request-URI, Call-ID, From and CSeq
 * number (method ACK), its top Via only, the To of the response (with its tag), the INVITE's
 * Route headers, no body.
 */
function buildAck(invite: SipRequest, res: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  const via = getHeaderList(invite, 'Via')[0];
  if (via !== undefined) headers.push({ name: 'Via', value: via });
  for (const h of invite.headers) if (canonicalHeaderName(h.name) === 'Route') headers.push({ name: 'Route', value: h.value });
  const pick = (name: string, from: SipMessage): void => {
    const v = getHeader(from, name);
    if (v !== undefined) headers.push({ name, value: v });
  };
  headers.push({ name: 'Max-Forwards', value: '70' });
  pick('From', invite);
  pick('To', res);
  pick('Call-ID', invite);
  const cseq = parseCSeq(getHeader(invite, 'CSeq') ?? '');
  headers.push({ name: 'CSeq', value: `${cseq?.seq ?? 0} ACK` });
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: new Uint8Array(0) };
}

// ------------------------------------------------------------------------------------------
// server transactions (§17.2)

class ServerTx extends Tx implements ServerTransaction {
  readonly invite: boolean;
  private readonly reliable: boolean;
  /** §18.2.2 / RFC 3581 §4, fixed when the request arrived. */
  readonly responseDest: SipAddress;
  /** Last response sent (resent to retransmitted requests, and by Timer G). */
  lastResponse: SipResponse | undefined;
  private interval: number;

  constructor(
    core: Core,
    id: string,
    branch: string,
    readonly request: SipRequest,
    readonly source: SipAddress,
    responseDest: SipAddress,
  ) {
    const invite = request.method === 'INVITE';
    super(core, invite ? 'server-invite' : 'server-non-invite', id, branch, request.method, invite ? 'Proceeding' : 'Trying');
    this.invite = invite;
    this.reliable = source.transport === 'tcp';
    this.responseDest = responseDest;
    this.interval = core.t.T1;
  }

  get state(): ServerInviteState | ServerNonInviteState {
    return this.current as ServerInviteState | ServerNonInviteState;
  }

  respond(res: SipResponse, now: number): void {
    const s = res.status;
    if (res.kind !== 'response' || !Number.isInteger(s) || s < 100 || s > 699) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `respond: status ${String(s)} outside 100..699`);
    }
    const { T1 } = this.core.t;
    const final = s >= 200;
    switch (this.current) {
      case 'Trying':
      case 'Proceeding':
        break;
      case 'Accepted':
        // RFC 6026 §7.1: the TU's 2xx retransmissions pass through to the transport.
        if (s >= 200 && s < 300) {
          if (!this.core.transmit(res, this.responseDest)) this.fail('transport', now);
          return;
        }
        throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `respond ${s}: ${this.method} transaction already answered with a 2xx`);
      case 'Completed':
      case 'Confirmed':
      case 'Terminated':
      case 'Calling':
        throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `respond ${s}: ${this.method} transaction is ${this.current}`);
    }
    this.timers.delete('Trying');
    this.lastResponse = res;
    if (!this.core.transmit(res, this.responseDest)) {
      this.fail('transport', now);
      return;
    }
    if (!final) {
      // §17.2.2: a provisional moves non-INVITE Trying to Proceeding; INVITE stays in Proceeding.
      if (this.current === 'Trying') this.setState('Proceeding', now);
      return;
    }
    if (!this.invite) {
      // §17.2.2: Completed; Timer J (64·T1 unreliable, 0 reliable) absorbs retransmissions.
      this.setState('Completed', now);
      if (this.reliable) this.setState('Terminated', now);
      else this.arm('J', now + 64 * T1);
      return;
    }
    if (s < 300) {
      // RFC 6026 §7.1: Accepted until Timer L; retransmitted INVITEs absorbed, ACKs to the TU.
      this.setState('Accepted', now);
      this.arm('L', now + 64 * T1);
      return;
    }
    // §17.2.1: Completed; Timer G resends the final (unreliable), Timer H gives up on the ACK.
    this.setState('Completed', now);
    if (!this.reliable) this.arm('G', now + T1);
    this.arm('H', now + 64 * T1);
  }

  /** A retransmission of the request (not an ACK). */
  retransmitted(now: number): void {
    this.core.counters.absorbedRequests++;
    // §17.2.1: INVITE Proceeding/Completed resend the last response (none yet → nothing);
    // Accepted (RFC 6026 §7.1) and Confirmed absorb. §17.2.2: non-INVITE Trying discards,
    // Proceeding/Completed resend the last response.
    const resend = this.current === 'Proceeding' || this.current === 'Completed';
    if (resend && this.lastResponse !== undefined) this.resend(this.lastResponse, now);
  }

  /** An ACK matching this INVITE transaction. */
  acked(ack: SipRequest, from: SipAddress, now: number): void {
    switch (this.current) {
      case 'Completed':
        // §17.2.1: Confirmed; Timer I (T4 unreliable, 0 reliable) absorbs further ACKs.
        this.timers.delete('G');
        this.timers.delete('H');
        this.setState('Confirmed', now);
        if (this.reliable) this.setState('Terminated', now);
        else this.arm('I', now + this.core.t.T4);
        return;
      case 'Accepted':
        // RFC 6026 §7.1: the ACK to a 2xx belongs to the TU (the dialog).
        this.core.o.onRequest(ack, undefined, from, now);
        return;
      case 'Confirmed': // §17.2.1: a retransmitted ACK
      case 'Proceeding': // an ACK before any final: nothing to acknowledge
      case 'Terminated':
      case 'Calling':
      case 'Trying':
        this.core.counters.absorbedRequests++;
        return;
    }
  }

  fire(name: TimerName, now: number): void {
    switch (name) {
      case 'Trying': // §17.2.1: 100 Trying when the TU is silent for 200 ms
        if (this.current === 'Proceeding' && this.lastResponse === undefined) this.sendTrying(now);
        return;
      case 'G': // §17.2.1: resend the final, doubling up to T2
        if (this.lastResponse === undefined || !this.resend(this.lastResponse, now)) return;
        this.interval = Math.min(2 * this.interval, this.core.t.T2);
        this.arm('G', now + this.interval);
        return;
      case 'H': // §17.2.1: no ACK — the transaction failed
        this.core.counters.timeouts++;
        this.fail('timeout', now);
        return;
      case 'I': // §17.2.1: end of Confirmed
      case 'J': // §17.2.2: end of Completed
      case 'L': // RFC 6026 §7.1: end of Accepted
        this.setState('Terminated', now);
        return;
      case 'A':
      case 'B':
      case 'D':
      case 'E':
      case 'F':
      case 'K':
      case 'M':
      case 'Cancel':
      case 'Failed':
        return; // client timers: never armed here
    }
  }

  sendTrying(now: number): void {
    const trying = createResponse(this.request, 100);
    this.lastResponse = trying;
    if (!this.core.transmit(trying, this.responseDest)) this.fail('transport', now);
  }

  private resend(res: SipResponse, now: number): boolean {
    if (this.core.transmit(res, this.responseDest)) {
      this.core.counters.retransmissions++;
      return true;
    }
    this.fail('transport', now);
    return false;
  }

  private fail(reason: ServerFailure, now: number): void {
    this.setState('Terminated', now);
    this.core.o.onServerFailure?.(this, reason, now);
  }

  /** The To tag of the last response (for matching an RFC 2543 ACK). */
  lastToTag(): string {
    return this.lastResponse === undefined ? '' : tagOf(this.lastResponse, 'To');
  }
}

// ------------------------------------------------------------------------------------------
// helpers

function topVia(msg: SipMessage): { readonly via: Via; readonly text: string } | undefined {
  const text = getHeaderList(msg, 'Via')[0];
  if (text === undefined) return undefined;
  const via = parseVia(text);
  return via === undefined ? undefined : { via, text };
}

function tagOf(msg: SipMessage, header: 'To' | 'From'): string {
  const v = getHeader(msg, header);
  const tag = v === undefined ? undefined : parseNameAddr(v)?.params.get('tag');
  return typeof tag === 'string' ? tag : '';
}

function hasDialogHeaders(m: SipMessage): boolean {
  return getHeader(m, 'From') !== undefined && getHeader(m, 'To') !== undefined && getHeader(m, 'Call-ID') !== undefined;
}

function bareHost(h: string): string {
  return (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).toLowerCase();
}

function defaultPort(via: Via): number {
  return via.transport === 'TLS' ? 5061 : 5060;
}

function rfc3261Branch(via: Via): string | undefined {
  const b = via.params.get('branch');
  return typeof b === 'string' && b.startsWith(BRANCH_MAGIC_COOKIE) ? b : undefined;
}

function clientKey(branch: string, method: string): string {
  return `c ${branch} ${method}`;
}

/**
 * §17.2.3: the server transaction a request belongs to. `method` is the transaction's method
 * (INVITE for an ACK or for §9.2's CANCEL lookup), `toTag` the To tag to match (RFC 2543 only).
 */
function serverKey(req: SipRequest, top: { readonly via: Via; readonly text: string }, cseq: CSeq, method: string, toTag: string): string {
  const branch = rfc3261Branch(top.via);
  if (branch !== undefined) return `s ${branch} ${bareHost(top.via.host)}:${top.via.port ?? ''} ${method}`;
  return ['s2543', method, req.uri, toTag, tagOf(req, 'From'), getHeader(req, 'Call-ID') ?? '', cseq.seq, top.text].join('\n');
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `${name} must be a positive number of ms, got ${v}`);
  return v;
}

// ------------------------------------------------------------------------------------------
// the layer

export class SipTransactionLayer {
  private readonly txs = new Map<string, ClientTx | ServerTx>();
  private readonly counters: TransactionLayerStats = {
    retransmissions: 0,
    absorbedRequests: 0,
    strayResponses: 0,
    timeouts: 0,
    created: 0,
    absorbedResponses: 0,
    transportErrors: 0,
    dropped: 0,
  };
  private readonly core: Core;
  private readonly autoTryingMs: number;
  private readonly maxTransactions: number;
  readonly stats: Readonly<TransactionLayerStats> = this.counters;
  readonly timers: SipTimerSettings;

  constructor(private readonly o: TransactionLayerOptions) {
    const t = { ...DEFAULT_SIP_TIMERS, ...o.timers };
    this.timers = { T1: positive('T1', t.T1), T2: positive('T2', t.T2), T4: positive('T4', t.T4) };
    if (this.timers.T2 < this.timers.T1) throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `T2 (${t.T2}) below T1 (${t.T1})`);
    this.autoTryingMs = o.autoTryingMs ?? 200;
    if (Number.isNaN(this.autoTryingMs) || this.autoTryingMs < 0) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `autoTryingMs must be ≥ 0, got ${this.autoTryingMs}`);
    }
    this.maxTransactions = o.maxTransactions ?? 4096;
    if (!Number.isInteger(this.maxTransactions) || this.maxTransactions < 1) {
      throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `maxTransactions must be a positive integer, got ${this.maxTransactions}`);
    }
    const counters = this.counters;
    const txs = this.txs;
    this.core = {
      t: this.timers,
      o,
      counters,
      transmit(msg, dest) {
        try {
          o.send(msg, dest);
          return true;
        } catch {
          counters.transportErrors++;
          return false;
        }
      },
      remove(id) {
        txs.delete(id);
      },
    };
  }

  /** Live transactions. */
  get size(): number {
    return this.txs.size;
  }

  /**
   * Starts a client transaction for `req` (not ACK: an ACK to a 2xx is the TU's, §13.2.2.4, sent
   * with `sendStateless`). The request must carry its top Via with an RFC 3261 branch
   * (`newBranch`) and a CSeq of its method; a CANCEL reuses its INVITE's branch (§9.1).
   */
  sendRequest(req: SipRequest, dest: SipAddress, now: number, user: ClientTransactionUser): ClientTransaction {
    if (req.kind !== 'request' || req.method === 'ACK') {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'sendRequest: an ACK has no client transaction (use sendStateless)');
    }
    const top = topVia(req);
    const branch = top === undefined ? undefined : rfc3261Branch(top.via);
    if (branch === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'sendRequest: top Via needs a branch starting with z9hG4bK');
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    if (cseq?.method !== req.method) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `sendRequest: CSeq method must be ${req.method}`);
    const id = clientKey(branch, req.method);
    if (this.txs.has(id)) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `sendRequest: branch ${branch} already has a ${req.method} transaction`);
    if (this.txs.size >= this.maxTransactions) throw new FaxwireError('FAXWIRE_ERR_LIMIT', `sendRequest: ${this.txs.size} transactions live`);
    const tx = new ClientTx(this.core, id, branch, req, dest, user);
    this.txs.set(id, tx);
    this.counters.created++;
    if (req.method === 'CANCEL') {
      const inv = this.txs.get(clientKey(branch, 'INVITE'));
      if (inv instanceof ClientTx) inv.cancelSent(now);
    }
    tx.start(now);
    return tx;
  }

  /** Sends a message outside any transaction (ACK to a 2xx, stateless responses); false if `send` threw. */
  sendStateless(msg: SipMessage, dest: SipAddress): boolean {
    return this.core.transmit(msg, dest);
  }

  /** A message from the transport (parsed), from `from`, at `now`. Never throws on any content. */
  receive(msg: SipMessage, from: SipAddress, now: number): void {
    if (msg.kind === 'response') this.receiveResponse(msg, from, now);
    else this.receiveRequest(msg, from, now);
  }

  private receiveResponse(res: SipResponse, from: SipAddress, now: number): void {
    const top = topVia(res);
    const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
    if (top === undefined || cseq === undefined || !Number.isInteger(res.status) || res.status < 100 || res.status > 699) {
      this.counters.dropped++;
      return;
    }
    // §17.1.3: top Via branch + CSeq method.
    const branch = top.via.params.get('branch');
    const tx = typeof branch === 'string' ? this.txs.get(clientKey(branch, cseq.method)) : undefined;
    if (tx instanceof ClientTx) {
      tx.receive(res, now);
      return;
    }
    this.counters.strayResponses++;
    this.o.onStrayResponse?.(res, from, now);
  }

  private receiveRequest(req: SipRequest, from: SipAddress, now: number): void {
    const top = topVia(req);
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    // §8.2 would answer 400 to a request without a usable CSeq, but without a top Via there is
    // nowhere to send it; both are dropped and counted, as is one without From, To or Call-ID
    // (§8.1.1: mandatory; the parser already refuses such requests).
    if (top === undefined || cseq === undefined || cseq.method !== req.method || !hasDialogHeaders(req)) {
      this.counters.dropped++;
      return;
    }
    const isAck = req.method === 'ACK';
    const method = isAck ? 'INVITE' : req.method;
    let tx = this.txs.get(serverKey(req, top, cseq, method, tagOf(req, 'To')));
    if (tx === undefined && isAck && rfc3261Branch(top.via) === undefined) {
      // §17.2.3, RFC 2543 ACK: the INVITE had no To tag; the ACK carries the tag of our final.
      const inv = this.txs.get(serverKey(req, top, cseq, method, ''));
      if (inv instanceof ServerTx && inv.lastToTag() === tagOf(req, 'To')) tx = inv;
    }
    if (tx === undefined && isAck) tx = this.ackByDialog(req, cseq.seq);
    stampVia(req, top.via, from);
    if (isAck) {
      if (tx instanceof ServerTx && tx.invite) tx.acked(req, from, now);
      else this.o.onRequest(req, undefined, from, now);
      return;
    }
    if (tx instanceof ServerTx) {
      tx.retransmitted(now);
      return;
    }
    const dest = this.responseDestination(req, from);
    if (this.txs.size >= this.maxTransactions) {
      // §21.5.4: overloaded — a stateless 503, no state kept.
      this.counters.dropped++;
      const busy = createResponse(req, 503);
      busy.headers.push({ name: 'Retry-After', value: '5' });
      this.core.transmit(busy, dest);
      return;
    }
    const id = serverKey(req, top, cseq, method, tagOf(req, 'To'));
    const branch = top.via.params.get('branch');
    const stx = new ServerTx(this.core, id, typeof branch === 'string' ? branch : '', req, from, dest);
    this.txs.set(id, stx);
    this.counters.created++;
    if (stx.invite) {
      // §17.2.1: 100 Trying unless the TU answers within 200 ms.
      if (this.autoTryingMs === 0) stx.sendTrying(now);
      else if (Number.isFinite(this.autoTryingMs)) stx.timers.set('Trying', now + this.autoTryingMs);
    }
    if (stx.state === 'Terminated') return; // the 100 could not be sent
    this.o.onRequest(req, stx, from, now);
  }

  /**
   * Leniency for peers that ACK a non-2xx final with a new branch (§17.1.1.3 says the same
   * branch; SIPp scenarios and some gateways do otherwise): an INVITE server transaction in
   * Completed whose request has this Call-ID, From tag and CSeq number, and whose final carried
   * this To tag, is the one acknowledged — else it would resend its final until Timer H. Only
   * Completed: an ACK to a 2xx (Accepted) belongs to the TU and must still reach it.
   */
  private ackByDialog(ack: SipRequest, seq: number): ServerTx | undefined {
    const callId = getHeader(ack, 'Call-ID');
    const fromTag = tagOf(ack, 'From');
    const toTag = tagOf(ack, 'To');
    if (callId === undefined || toTag === '') return undefined;
    for (const t of this.txs.values()) {
      if (!(t instanceof ServerTx) || !t.invite || t.state !== 'Completed') continue;
      const r = t.request;
      if (getHeader(r, 'Call-ID') !== callId || tagOf(r, 'From') !== fromTag || parseCSeq(getHeader(r, 'CSeq') ?? '')?.seq !== seq) continue;
      if (t.lastToTag() === toTag) return t;
    }
    return undefined;
  }

  /** §9.2: the INVITE server transaction a CANCEL is for (same matching as §17.2.3, method INVITE). */
  findInviteServerTransaction(cancel: SipRequest): ServerTransaction | undefined {
    const top = topVia(cancel);
    const cseq = parseCSeq(getHeader(cancel, 'CSeq') ?? '');
    if (top === undefined || cseq === undefined) return undefined;
    const tx = this.txs.get(serverKey(cancel, top, cseq, 'INVITE', tagOf(cancel, 'To')));
    return tx instanceof ServerTx && tx.invite ? tx : undefined;
  }

  /** Fires every timer due by `now`, earliest first. */
  tick(now: number): void {
    for (;;) {
      let best: { tx: ClientTx | ServerTx; name: TimerName; at: number } | undefined;
      for (const tx of this.txs.values()) {
        for (const [name, at] of tx.timers) if (at <= now && (best === undefined || at < best.at)) best = { tx, name, at };
      }
      if (best === undefined) return;
      best.tx.timers.delete(best.name);
      best.tx.fire(best.name, now);
    }
  }

  /** When `tick` has something to do, or undefined if no timer is armed. */
  nextTimeout(): number | undefined {
    let t: number | undefined;
    for (const tx of this.txs.values()) for (const at of tx.timers.values()) if (t === undefined || at < t) t = at;
    return t;
  }

  /**
   * §18.2.2 with RFC 3581 §4: where a response to `req` (received from `from`) goes.
   * Reliable transport: back on the connection (the source). Otherwise: `maddr` if present (port
   * of sent-by or 5060); `rport` → the source address (`received`) and port; `received` → that
   * address and the sent-by port (default 5060, 5061 for TLS); else the sent-by itself.
   */
  responseDestination(req: SipRequest, from: SipAddress): SipAddress {
    if (from.transport === 'tcp') return from;
    const top = topVia(req);
    if (top === undefined) return from;
    const { via } = top;
    const port = via.port ?? defaultPort(via);
    const maddr = via.params.get('maddr');
    if (typeof maddr === 'string' && maddr !== '') return { transport: 'udp', host: bareHost(maddr), port };
    const received = via.params.get('received');
    const receivedHost = typeof received === 'string' && received !== '' ? bareHost(received) : undefined;
    const rport = via.params.get('rport');
    if (rport !== undefined) {
      const n = rport === null ? NaN : Number(rport);
      const p = Number.isInteger(n) && n >= 1 && n <= 65535 ? n : from.port;
      return { transport: 'udp', host: receivedHost ?? from.host, port: p };
    }
    return { transport: 'udp', host: receivedHost ?? bareHost(via.host), port };
  }
}

/**
 * §18.2.1 and RFC 3581 §4, on arrival of a request: `received=<source address>` when the sent-by
 * host differs from it (a name, or another address), and — when the top Via asks with an empty
 * `rport` — `rport=<source port>` plus `received` even if equal. Done for any transport, as
 * §18.2.1 says; the top Via value is rewritten in place.
 */
function stampVia(req: SipRequest, via: Via, from: SipAddress): void {
  const wantsRport = via.params.get('rport') === null;
  const differs = bareHost(via.host) !== bareHost(from.host);
  if (!wantsRport && !differs) return;
  const params = new Map(via.params);
  params.set('received', bareHost(from.host));
  if (wantsRport) params.set('rport', String(from.port));
  let stamped: string;
  try {
    stamped = formatVia({ ...via, params });
  } catch {
    return; // a source address formatVia refuses (a driver's mistake): left as received
  }
  const i = req.headers.findIndex((h) => canonicalHeaderName(h.name) === 'Via');
  const line = req.headers[i];
  if (line === undefined) return;
  // The first Via line may carry a comma list: only its first element changes.
  const rest = getHeaderList({ kind: 'request', method: req.method, uri: req.uri, headers: [line], body: req.body }, 'Via').slice(1);
  req.headers[i] = { name: 'Via', value: [stamped, ...rest].join(', ') };
}
