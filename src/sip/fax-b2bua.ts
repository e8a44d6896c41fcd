/**
 * A back-to-back user agent for a T.38 gateway (sans-IO): a call that arrives on one SIP leg is
 * placed again on the other, and once both are up the media of the two is bridged through a
 * `T38Gateway` (src/fax/gateway) — G.711 on one side, T.38 on the other. This is the place a
 * gateway has between an ATA or PBX (G.711) and a T.38 trunk, or the reverse.
 *
 * The leg types follow the incoming offer: an INVITE that offers a live `m=image … t38` stream
 * is the T.38 leg, and the outgoing call offers G.711 alone; any other INVITE is the audio leg
 * and the outgoing call offers T.38 alone (`t38: 'only'` in fax-call.ts terms) — the gateway's
 * whole point is that each side gets the media it speaks. The incoming call is rung (180) at
 * once and answered only when the outgoing one is (RFC 3261 §13.3.1: a UAS may wait for
 * whatever it needs); a failure of the outgoing call is passed back with its status (4xx–6xx),
 * a CANCEL of the incoming one cancels the outgoing one, and after the bridge whichever side
 * hangs up first takes the other with it. New offers on either leg once bridged (a re-INVITE to
 * T.38 from the G.711 side, say) get 488: the bridge is fixed for the call; refreshes (same SDP
 * version) are answered by the user agent without reaching here.
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
import type { T38SdpCapabilities, T38SdpParams } from './sdp-t38.js';
import type { SipCall, SipCallEvent, SipUserAgent } from './user-agent.js';
import type { Random32 } from '../util/random.js';

export interface FaxB2buaOptions {
  /** Where the second leg goes. */
  readonly target: string;
  readonly t38Caps: T38SdpCapabilities;
  readonly codecs?: readonly AudioCodecName[];
  /** Our media: the audio socket serves the G.711 leg, the image socket the T.38 leg. */
  readonly local: { readonly address: string; readonly audioPort: number; readonly imagePort: number };
  readonly random: Random32;
}

export interface B2buaBridge {
  /** Which leg is the incoming one. */
  readonly incoming: 'audio' | 't38';
  readonly audio: { readonly remoteHost: string; readonly remotePort: number; readonly codec: AudioCodecName };
  readonly t38: { readonly remoteHost: string; readonly remotePort: number; readonly params: T38SdpParams; readonly maxDatagram: number };
}

export type FaxB2buaEvent =
  | { readonly type: 'outgoing'; readonly offer: 'audio' | 't38' }
  | { readonly type: 'bridge'; readonly bridge: B2buaBridge }
  | { readonly type: 'leg'; readonly leg: 'in' | 'out'; readonly event: SipCallEvent }
  | { readonly type: 'ended'; readonly reason: string; readonly status?: number; readonly bridged: boolean };

export class FaxB2bua {
  onEvent: (e: FaxB2buaEvent, now: number) => void = () => undefined;
  readonly incoming: SipCall;
  outgoing: SipCall | undefined;
  bridge: B2buaBridge | undefined;
  private readonly o: FaxB2buaOptions;
  private readonly ua: SipUserAgent;
  private incomingOffer: FaxSdp | undefined;
  private outgoingOffer: FaxSdp | undefined;
  private incomingKind: 'audio' | 't38' = 'audio';
  private over = false;
  private readonly origin: { username: string; sessionId: string; sessionVersion: number; address: string };

  private constructor(ua: SipUserAgent, incoming: SipCall, o: FaxB2buaOptions) {
    this.ua = ua;
    this.incoming = incoming;
    this.o = o;
    this.origin = { username: 'faxwire', sessionId: String(1 + (o.random() % 1_000_000_000)), sessionVersion: 1, address: o.local.address };
  }

  /** Takes an incoming call: rings it and places the second leg. */
  static fromIncoming(ua: SipUserAgent, incoming: SipCall, o: FaxB2buaOptions, now: number): FaxB2bua {
    const b = new FaxB2bua(ua, incoming, o);
    incoming.onEvent = (e, t) => b.onIncoming(e, t);
    b.start(now);
    return b;
  }

  /** Ends both legs. */
  hangup(now: number): void {
    this.incoming.hangup(now);
    this.outgoing?.hangup(now);
    this.finish('local hang-up', now, undefined);
  }

  private start(now: number): void {
    const text = this.incoming.initialOffer;
    if (text === undefined) {
      // An offer-less INVITE would need our offer in the 2xx before knowing the leg type.
      this.incoming.reject(488, now, 'offer required');
      this.finish('offer-less INVITE', now, 488);
      return;
    }
    const offer = parseFaxSdp(text);
    if ('error' in offer) {
      this.incoming.reject(488, now, 'unreadable SDP');
      this.finish('unreadable SDP', now, 488);
      return;
    }
    this.incomingOffer = offer;
    const img = offer.image;
    this.incomingKind = img !== undefined && img !== 'declined' && img.port !== 0 ? 't38' : 'audio';
    if (this.incomingKind === 'audio' && (offer.audio === undefined || offer.audio === 'declined')) {
      this.incoming.reject(488, now, 'no audio or T.38 stream offered');
      this.finish('nothing to bridge', now, 488);
      return;
    }
    this.incoming.ring(now);
    const out = this.makeOffer(this.incomingKind === 'audio' ? 't38' : 'audio');
    this.outgoingOffer = out;
    const call = this.ua.invite(this.o.target, formatFaxSdp(out), now);
    this.outgoing = call;
    call.onEvent = (e, t) => this.onOutgoing(e, t);
    this.onEvent({ type: 'outgoing', offer: this.incomingKind === 'audio' ? 't38' : 'audio' }, now);
  }

  private makeOffer(kind: 'audio' | 't38'): FaxSdp {
    const caps = this.o.t38Caps;
    return {
      origin: { ...this.origin },
      ...(kind === 'audio'
        ? { audio: { port: this.o.local.audioPort, address: this.o.local.address, codecs: this.o.codecs ?? ['PCMU', 'PCMA'], ptime: 20, direction: 'sendrecv' as const } }
        : {
            image: {
              port: this.o.local.imagePort,
              address: this.o.local.address,
              booleanStyle: 'flag' as const,
              transport: 'udptl' as const,
              t38: {
                version: caps.maxVersion,
                maxBitRate: caps.maxBitRate,
                rateManagement: caps.rateManagement[0] ?? 'transferredTCF',
                maxBuffer: caps.maxBuffer,
                maxDatagram: caps.maxDatagram,
                errorCorrection: caps.errorCorrection[0] ?? 'none',
                fillBitRemoval: false,
                transcodingMmr: false,
                transcodingJbig: false,
              },
            },
          }),
      order: [kind === 'audio' ? 'audio' : 'image'],
      problems: [],
    };
  }

  private onOutgoing(e: SipCallEvent, now: number): void {
    this.onEvent({ type: 'leg', leg: 'out', event: e }, now);
    if (e.type === 'answered') {
      const offer = this.outgoingOffer;
      const answer = e.sdp !== undefined ? parseFaxSdp(e.sdp) : undefined;
      const r = offer !== undefined && answer !== undefined && !('error' in answer) ? acceptFaxAnswer(offer, answer) : undefined;
      const want = this.incomingKind === 'audio' ? 't38' : 'audio';
      if (r === undefined || !r.ok || r.mode !== want || answer === undefined || 'error' in answer) {
        // The far side answered without the stream we need (m=image 0 …): nothing to bridge.
        this.outgoing?.hangup(now);
        this.incoming.reject(488, now, 'far side refused the fax media');
        this.finish('far side refused the fax media', now, 488);
        return;
      }
      this.answerIncoming(answer, r.t38, r.audioCodec, now);
      return;
    }
    if (e.type === 'offer') {
      this.outgoing?.rejectOffer(488, now, 'bridge media is fixed');
      return;
    }
    if (e.type === 'ended') {
      if (this.bridge === undefined) {
        const status = e.status !== undefined && e.status >= 400 && e.status <= 699 ? e.status : 480;
        this.incoming.reject(status, now, e.reason);
        this.finish(`second leg: ${e.reason}`, now, status);
      } else {
        this.incoming.hangup(now);
        this.finish(`second leg ended (${e.reason})`, now, e.status);
      }
    }
  }

  private answerIncoming(outAnswer: FaxSdp, t38: T38SdpParams | undefined, outCodec: AudioCodecName | undefined, now: number): void {
    const offer = this.incomingOffer;
    if (offer === undefined) return;
    const caps =
      this.incomingKind === 't38'
        ? { t38: this.o.t38Caps, codecs: [] as AudioCodecName[], telephoneEvent: false }
        : { t38: undefined, codecs: this.o.codecs ?? (['PCMU', 'PCMA'] as AudioCodecName[]), telephoneEvent: false };
    const r = answerFaxOffer(offer, caps, { address: this.o.local.address, audioPort: this.o.local.audioPort, imagePort: this.o.local.imagePort, origin: { ...this.origin } });
    if (!r.ok) {
      this.incoming.reject(488, now, r.reason);
      this.outgoing?.hangup(now);
      this.finish('incoming offer not acceptable', now, 488);
      return;
    }
    this.incoming.answer(formatFaxSdp(r.answer), now);
    let bridge: B2buaBridge | undefined;
    if (this.incomingKind === 'audio') {
      const au = offer.audio;
      const img = outAnswer.image;
      if (au === undefined || au === 'declined' || img === undefined || img === 'declined') return;
      const params = t38 ?? img.t38;
      bridge = {
        incoming: 'audio',
        audio: { remoteHost: au.address, remotePort: au.port, codec: r.audioCodec ?? 'PCMU' },
        t38: { remoteHost: img.address, remotePort: img.port, params, maxDatagram: effectiveMaxDatagram(img.t38) },
      };
    } else {
      const img = offer.image;
      const ours = r.answer.image;
      const au = outAnswer.audio;
      if (img === undefined || img === 'declined' || au === undefined || au === 'declined') return;
      bridge = {
        incoming: 't38',
        audio: { remoteHost: au.address, remotePort: au.port, codec: outCodec ?? au.codecs[0] ?? 'PCMU' },
        t38: { remoteHost: img.address, remotePort: img.port, params: ours !== undefined && ours !== 'declined' ? ours.t38 : img.t38, maxDatagram: effectiveMaxDatagram(img.t38) },
      };
    }
    this.bridge = bridge;
    this.onEvent({ type: 'bridge', bridge }, now);
  }

  private onIncoming(e: SipCallEvent, now: number): void {
    this.onEvent({ type: 'leg', leg: 'in', event: e }, now);
    if (e.type === 'offer') {
      this.incoming.rejectOffer(488, now, 'bridge media is fixed');
      return;
    }
    if (e.type === 'ended') {
      this.outgoing?.hangup(now);
      this.finish(this.bridge === undefined ? `caller gave up (${e.reason})` : `first leg ended (${e.reason})`, now, e.status);
    }
  }

  private finish(reason: string, now: number, status: number | undefined): void {
    if (this.over) return;
    this.over = true;
    this.onEvent({ type: 'ended', reason, ...(status !== undefined ? { status } : {}), bridged: this.bridge !== undefined }, now);
  }
}
