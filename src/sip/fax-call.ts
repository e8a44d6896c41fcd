/**
 * Fax call control over SIP (sans-IO): which media a fax call runs on, and when it switches.
 * T.38 Annex D: a fax call is set up as a voice call (G.711), and one side — on hearing fax —
 * re-INVITEs it to `m=image … udptl t38`; a peer that cannot do T.38 answers 488 (or 606) and the
 * fax finishes in G.711.
 *
 * Policy (issue 12, item 4), as Asterisk and the carriers behave:
 * - `t38: 'auto'` (default): start in audio. The receiving side re-INVITEs as soon as it hears
 *   the caller's fax signals (CNG, or V.21 flags); the sending side waits `reinviteGraceMs`
 *   after hearing CED/V.21 for the receiver to do it, then re-INVITEs itself. A re-INVITE to
 *   T.38 from the peer is accepted at any point. On 488/606/timeout/any failure, or an answer
 *   that declines the image stream (`m=image 0`), the fax carries on in audio and the peer is
 *   remembered as T.38-refusing (`FaxPeerPolicies`), so the next call to it does not try again.
 * - `'only'`: the INVITE offers T.38 alone (or the call switches at once); no audio fallback.
 * - `'off'`: audio only; a T.38 re-INVITE from the peer gets 488.
 * A media switch is an event; the owner (node driver, simulation) stops one fax terminal and
 * starts the other. A refresh (same SDP version) never produces one.
 */

import {
  acceptFaxAnswer,
  answerFaxOffer,
  effectiveMaxDatagram,
  formatFaxSdp,
  parseFaxSdp,
  type AudioCodecName,
  type FaxSdp,
} from './fax-sdp.js';
import type { SdpBooleanStyle, T38SdpCapabilities, T38SdpParams } from './sdp-t38.js';
import type { SipCall, SipCallEvent, SipUserAgent } from './user-agent.js';
import type { FaxSignal } from '../fax/signal-watch.js';
import type { Random32 } from '../util/random.js';

export type T38Policy = 'auto' | 'only' | 'off';

/** What we remember about a peer after a call (issue 12: "per-peer policy … remembered after a failure"). */
export interface FaxPeerPolicy {
  /** false: the peer refused T.38 before; do not re-INVITE it in `auto`. */
  readonly t38?: boolean;
  /** Largest UDPTL datagram to send it (an override of what its SDP says). */
  readonly maxDatagram?: number;
  /** Error correction to offer it. */
  readonly errorCorrection?: 'redundancy' | 'fec' | 'none';
}

/** Per-peer policies, keyed by the peer's host (in memory; the fax server may persist them). */
export class FaxPeerPolicies {
  private readonly map = new Map<string, FaxPeerPolicy>();
  constructor(private readonly limit = 10_000) {}

  get(peer: string): FaxPeerPolicy {
    return this.map.get(peer.toLowerCase()) ?? {};
  }

  set(peer: string, p: FaxPeerPolicy): void {
    const key = peer.toLowerCase();
    this.map.delete(key);
    if (this.map.size >= this.limit) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, p);
  }

  update(peer: string, p: Partial<FaxPeerPolicy>): void {
    this.set(peer, { ...this.get(peer), ...p });
  }
}

export type FaxMedia =
  | {
      readonly kind: 'audio';
      readonly codec: AudioCodecName;
      /** RTP payload type (0 PCMU, 8 PCMA, or what the SDP mapped). */
      readonly payloadType: number;
      readonly remoteHost: string;
      readonly remotePort: number;
    }
  | {
      readonly kind: 't38';
      readonly remoteHost: string;
      readonly remotePort: number;
      /** The agreed parameters (the answer). */
      readonly params: T38SdpParams;
      /** Largest UDPTL datagram we may send (fax-sdp.ts `effectiveMaxDatagram`). */
      readonly maxDatagram: number;
    };

export type FaxCallEvent =
  | { readonly type: 'media'; readonly media: FaxMedia; readonly why: string }
  | { readonly type: 'fallback'; readonly status: number; readonly reason: string }
  | { readonly type: 'reinvite-sent' }
  | { readonly type: 'sip'; readonly event: SipCallEvent }
  | { readonly type: 'ended'; readonly by: 'local' | 'remote' | 'timeout'; readonly status?: number; readonly reason: string; readonly answered: boolean };

export interface FaxCallOptions {
  readonly t38: T38Policy;
  /** What we can do in T.38 (undefined with `t38: 'off'`). */
  readonly t38Caps: T38SdpCapabilities;
  readonly codecs?: readonly AudioCodecName[];
  /** Offer telephone-event (RFC 4733) with this payload type (default: none). */
  readonly telephoneEvent?: number;
  /** Our media address and ports (both sockets are open before the call starts). */
  readonly local: { readonly address: string; readonly audioPort: number; readonly imagePort: number };
  /** We send the document (the calling fax terminal) or receive it. */
  readonly direction: 'send' | 'receive';
  /** The sending side re-INVITEs this long after hearing CED/V.21 if the receiver did not (ms, default 3000). */
  readonly reinviteGraceMs?: number;
  /** In `auto`, also offer `m=image` in the first INVITE (second m-line; default false — many gateways reject it). */
  readonly offerT38Initially?: boolean;
  /** Booleans in our offers: bare (T.38 Annex D) or `:1`/`:0`. */
  readonly booleanStyle?: SdpBooleanStyle;
  readonly policies?: FaxPeerPolicies;
  readonly random: Random32;
}

const DEFAULT_CODECS: readonly AudioCodecName[] = ['PCMU', 'PCMA'];

/**
 * One fax call: a SipCall plus the media decisions. Create it with `FaxCall.outgoing` or
 * `FaxCall.incoming`, feed it `signal()` from a FaxSignalWatch on the received audio, tick it,
 * and read its events.
 */
export class FaxCall {
  onEvent: (e: FaxCallEvent, now: number) => void = () => undefined;
  media: FaxMedia | undefined;
  /** Status of the last refused T.38 switch (488, 606, 408 …), if any. */
  t38Refused: number | undefined;
  readonly call: SipCall;
  private readonly o: FaxCallOptions;
  private readonly origin: { username: string; sessionId: string; sessionVersion: number; address: string };
  private lastOffer: FaxSdp | undefined;
  private graceAt: number | undefined;
  private reinviteSent = false;
  private readonly peerKey: string;
  private ended = false;

  private constructor(call: SipCall, o: FaxCallOptions, peerKey: string, origin: FaxCall['origin'] = newOrigin(o)) {
    this.call = call;
    this.o = o;
    this.peerKey = peerKey;
    this.origin = origin;
    call.onEvent = (e, now) => this.onSip(e, now);
  }

  /** Calls `target` with a fax offer. */
  static outgoing(ua: SipUserAgent, target: string, o: FaxCallOptions, now: number): FaxCall {
    const host = /@?([^@;:>]+)(?::\d+)?(?:[;>]|$)/.exec(target.replace(/^<|>$/g, '').replace(/^sips?:/, ''))?.[1] ?? target;
    const policy = o.policies?.get(host) ?? {};
    // The offer comes first: the SipCall needs its text.
    const origin = newOrigin(o);
    const offer = o.t38 === 'only' ? makeOffer(o, origin, false, true, policy) : makeOffer(o, origin, true, o.t38 === 'auto' && o.offerT38Initially === true && policy.t38 !== false, policy);
    const call = ua.invite(target, formatFaxSdp(offer), now);
    const fc = new FaxCall(call, o, host, origin);
    fc.lastOffer = offer;
    return fc;
  }

  /** Takes an incoming call: answers it at once with our SDP (or 488 when nothing in the offer fits). */
  static incoming(call: SipCall, o: FaxCallOptions, now: number): FaxCall {
    const fc = new FaxCall(call, o, call.remoteAddress?.host ?? 'unknown');
    fc.answerInitial(now);
    return fc;
  }

  /** A fax signal heard on the received audio (FaxSignalWatch). */
  signal(s: FaxSignal, now: number): void {
    if (this.ended || this.media?.kind !== 'audio' || this.call.state !== 'confirmed') return;
    if (!this.t38Wanted()) return;
    if (this.o.direction === 'receive') {
      // The receiving side initiates (T.38 Annex D practice; Asterisk does so on CNG).
      if (s === 'cng' || s === 'v21') this.sendT38Reinvite(now, `${s} heard`);
    } else if ((s === 'ced' || s === 'v21') && this.graceAt === undefined) {
      this.graceAt = now + (this.o.reinviteGraceMs ?? 3000);
    }
  }

  tick(now: number): void {
    if (this.graceAt !== undefined && now >= this.graceAt) {
      this.graceAt = undefined;
      if (this.media?.kind === 'audio' && this.t38Wanted()) this.sendT38Reinvite(now, 'grace period over, nobody switched');
    }
  }

  nextTimeout(): number | undefined {
    return this.graceAt;
  }

  /** Hangs up (the fax ended or the user stopped it). */
  hangup(now: number): void {
    this.call.hangup(now);
  }

  private t38Wanted(): boolean {
    if (this.o.t38 === 'off' || this.reinviteSent || this.call.reofferPending) return false;
    if (this.o.t38 === 'auto' && this.o.policies?.get(this.peerKey).t38 === false) return false;
    return true;
  }

  private sendT38Reinvite(now: number, why: string): void {
    this.reinviteSent = true;
    this.graceAt = undefined;
    const ok = this.call.reoffer(() => {
      // Asked at each attempt: after a 491 back-off the peer may already have switched us.
      if (this.media?.kind !== 'audio' || this.ended) return undefined;
      this.origin.sessionVersion += 1;
      const offer = makeOffer(this.o, this.origin, false, true, this.o.policies?.get(this.peerKey) ?? {});
      this.lastOffer = offer;
      return formatFaxSdp(offer);
    }, now);
    if (ok) this.onEvent({ type: 'reinvite-sent' }, now);
    void why;
  }

  private answerInitial(now: number): void {
    const offerText = this.call.initialOffer;
    if (offerText === undefined) {
      // An offer-less INVITE (§13.2.1): we offer in the 2xx, the answer comes in the ACK.
      const offer = makeOffer(this.o, this.origin, this.o.t38 !== 'only', this.o.t38 === 'only', this.o.policies?.get(this.peerKey) ?? {});
      this.lastOffer = offer;
      this.call.answer(formatFaxSdp(offer), now);
      return;
    }
    const offer = parseFaxSdp(offerText);
    if ('error' in offer) {
      this.call.reject(488, now, 'Not Acceptable Here');
      return;
    }
    const result = answerFaxOffer(offer, this.caps(), { address: this.o.local.address, audioPort: this.o.local.audioPort, imagePort: this.o.local.imagePort, origin: { ...this.origin } });
    if (!result.ok) {
      this.call.reject(488, now, result.reason);
      return;
    }
    this.call.answer(formatFaxSdp(result.answer), now);
    this.setMediaFrom(offer, result.mode, result.audioCodec, result.answer, now, 'answered the INVITE');
  }

  private caps(): { t38: T38SdpCapabilities | undefined; codecs: readonly AudioCodecName[]; telephoneEvent: boolean } {
    return { t38: this.o.t38 === 'off' ? undefined : this.o.t38Caps, codecs: this.o.codecs ?? DEFAULT_CODECS, telephoneEvent: this.o.telephoneEvent !== undefined };
  }

  private onSip(e: SipCallEvent, now: number): void {
    this.onEvent({ type: 'sip', event: e }, now);
    switch (e.type) {
      case 'progress':
        return;
      case 'answered': {
        // Our INVITE was answered.
        const offer = this.lastOffer;
        if (e.sdp === undefined || offer === undefined) {
          this.call.hangup(now);
          return;
        }
        const answer = parseFaxSdp(e.sdp);
        const r = 'error' in answer ? { ok: false as const, reason: answer.error } : acceptFaxAnswer(offer, answer);
        if (!r.ok || 'error' in answer) {
          this.call.hangup(now);
          return;
        }
        this.applyAnswer(answer, r.mode, r.audioCodec, r.t38, now, 'INVITE answered');
        if (this.o.t38 === 'only' && r.mode !== 't38') this.call.hangup(now);
        return;
      }
      case 'confirmed': {
        // An offer-less INVITE: the answer to our offer is in the ACK.
        if (this.media === undefined && this.lastOffer !== undefined && this.call.remoteSdp !== undefined) {
          const answer = parseFaxSdp(this.call.remoteSdp);
          if ('error' in answer) return;
          const r = acceptFaxAnswer(this.lastOffer, answer);
          if (r.ok) this.applyAnswer(answer, r.mode, r.audioCodec, r.t38, now, 'answer in the ACK');
        }
        return;
      }
      case 'offer': {
        const offer = parseFaxSdp(e.sdp);
        if ('error' in offer) {
          this.call.rejectOffer(488, now, 'Not Acceptable Here');
          return;
        }
        const result = answerFaxOffer(offer, this.caps(), { address: this.o.local.address, audioPort: this.o.local.audioPort, imagePort: this.o.local.imagePort, origin: { ...this.origin, sessionVersion: this.origin.sessionVersion + 1 } });
        if (!result.ok) {
          this.call.rejectOffer(488, now, result.reason);
          return;
        }
        this.origin.sessionVersion += 1;
        this.call.answerOffer(formatFaxSdp(result.answer), now);
        this.setMediaFrom(offer, result.mode, result.audioCodec, result.answer, now, `peer's ${e.method}`);
        return;
      }
      case 'reoffer-result': {
        const offer = this.lastOffer;
        if (e.ok) {
          const answer = parseFaxSdp(e.sdp);
          const r = 'error' in answer || offer === undefined ? undefined : acceptFaxAnswer(offer, answer);
          if (r?.ok === true && !('error' in answer) && r.mode === 't38') {
            this.applyAnswer(answer, r.mode, r.audioCodec, r.t38, now, 'our re-INVITE answered');
            this.o.policies?.update(this.peerKey, { t38: true });
            return;
          }
          // 200 OK that declines the image stream (m=image 0): T.38 refused, stay in audio.
          this.refused(200, 'answered 200 with the image stream declined (m=image 0)', now);
          return;
        }
        this.refused(e.status, e.reason, now);
        return;
      }
      case 'refreshed':
        return;
      case 'ended':
        this.ended = true;
        this.graceAt = undefined;
        this.onEvent({ type: 'ended', by: e.by, ...(e.status !== undefined ? { status: e.status } : {}), reason: e.reason, answered: e.answered }, now);
        return;
    }
  }

  private refused(status: number, reason: string, now: number): void {
    this.t38Refused = status;
    if (status === 200 || status === 488 || status === 606 || status === 415 || status === 408 || status === 403 || status === 501) this.o.policies?.update(this.peerKey, { t38: false });
    this.onEvent({ type: 'fallback', status, reason }, now);
    if (this.o.t38 === 'only') this.call.hangup(now);
  }

  private applyAnswer(answer: FaxSdp, mode: 'audio' | 't38', codec: AudioCodecName | undefined, t38: T38SdpParams | undefined, now: number, why: string): void {
    if (mode === 't38') {
      const img = answer.image;
      if (img === undefined || img === 'declined') return;
      const params = t38 ?? img.t38;
      this.switchTo({ kind: 't38', remoteHost: img.address, remotePort: img.port, params, maxDatagram: effectiveMaxDatagram(img.t38, this.o.policies?.get(this.peerKey).maxDatagram) }, now, why);
    } else {
      const au = answer.audio;
      if (au === undefined || au === 'declined') return;
      const c = codec ?? au.codecs[0] ?? 'PCMU';
      this.switchTo({ kind: 'audio', codec: c, payloadType: c === 'PCMA' ? 8 : 0, remoteHost: au.address, remotePort: au.port }, now, why);
    }
  }

  /** Media from a remote offer we answered: the remote side is in the offer. */
  private setMediaFrom(offer: FaxSdp, mode: 'audio' | 't38', codec: AudioCodecName | undefined, answer: FaxSdp, now: number, why: string): void {
    if (mode === 't38') {
      const img = offer.image;
      const ours = answer.image;
      if (img === undefined || img === 'declined') return;
      const params = ours !== undefined && ours !== 'declined' ? ours.t38 : img.t38;
      this.switchTo({ kind: 't38', remoteHost: img.address, remotePort: img.port, params, maxDatagram: effectiveMaxDatagram(img.t38, this.o.policies?.get(this.peerKey).maxDatagram) }, now, why);
    } else {
      const au = offer.audio;
      if (au === undefined || au === 'declined') return;
      const c = codec ?? 'PCMU';
      this.switchTo({ kind: 'audio', codec: c, payloadType: c === 'PCMA' ? 8 : 0, remoteHost: au.address, remotePort: au.port }, now, why);
    }
  }

  private switchTo(m: FaxMedia, now: number, why: string): void {
    const same =
      this.media !== undefined &&
      this.media.kind === m.kind &&
      this.media.remoteHost === m.remoteHost &&
      this.media.remotePort === m.remotePort &&
      (m.kind !== 'audio' || (this.media.kind === 'audio' && this.media.codec === m.codec));
    this.media = m;
    if (!same) this.onEvent({ type: 'media', media: m, why }, now);
  }
}

/** A fresh SDP origin (RFC 4566 §5.2): random session id, version 1. */
function newOrigin(o: FaxCallOptions): { username: string; sessionId: string; sessionVersion: number; address: string } {
  return { username: 'faxwire', sessionId: String(1 + (o.random() % 1_000_000_000)), sessionVersion: 1, address: o.local.address };
}

function makeOffer(
  o: FaxCallOptions,
  origin: { username: string; sessionId: string; sessionVersion: number; address: string },
  audio: boolean,
  image: boolean,
  policy: FaxPeerPolicy,
): FaxSdp {
  const order: ('audio' | 'image')[] = [];
  if (audio) order.push('audio');
  if (image) order.push('image');
  const caps = o.t38Caps;
  const ec = policy.errorCorrection ?? (caps.errorCorrection.includes('redundancy') ? 'redundancy' : caps.errorCorrection.includes('fec') ? 'fec' : 'none');
  const t38: T38SdpParams = {
    version: caps.maxVersion,
    maxBitRate: caps.maxBitRate,
    rateManagement: caps.rateManagement[0] ?? 'transferredTCF',
    maxBuffer: caps.maxBuffer,
    maxDatagram: caps.maxDatagram,
    errorCorrection: ec,
    fillBitRemoval: caps.fillBitRemoval,
    transcodingMmr: caps.transcodingMmr,
    transcodingJbig: caps.transcodingJbig,
  };
  return {
    origin: { ...origin },
    ...(audio
      ? {
          audio: {
            port: o.local.audioPort,
            address: o.local.address,
            codecs: o.codecs ?? DEFAULT_CODECS,
            ...(o.telephoneEvent !== undefined ? { telephoneEvent: o.telephoneEvent } : {}),
            ptime: 20,
            direction: 'sendrecv' as const,
          },
        }
      : {}),
    ...(image ? { image: { port: o.local.imagePort, address: o.local.address, t38, booleanStyle: o.booleanStyle ?? 'flag', transport: 'udptl' as const } } : {}),
    order,
    problems: [],
  };
}
