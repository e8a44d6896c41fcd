/**
 * Fax calls over SIP on real sockets: a SIP endpoint (transport + user agent + its clock) and the
 * driver of one fax call on it — G.711 over RTP with a faxwire audio terminal, switched to a T.38
 * terminal over UDPTL when the call control says so (src/sip/fax-call.ts), back to nothing when
 * the call ends. Sans-IO pieces do the thinking; this file owns sockets and timers only.
 *
 * The media of a call uses two sockets taken from the media port range before the first offer
 * (RTP even, RFC 3550 §11; UDPTL any): an audio → T.38 switch stops the audio driver without a
 * DCN and keeps its socket (a refused re-INVITE leaves the audio running untouched), and the
 * T.38 terminal starts fresh on the other socket — T.30 restarts from CNG/CED/DIS as it does in
 * every T.38 gateway when the call changes media. Both legs latch to the first valid source
 * (symmetric media for NAT); while T.38 runs, the idle RTP leg sends RFC 6263 keep-alives so its
 * NAT pinhole is still open for a re-INVITE back to audio (media-keepalive.ts).
 */

import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:dgram';

import type { AudioCodec } from '../fax/terminal/audio-terminal.js';
import { FaxSignalWatch } from '../fax/signal-watch.js';
import { FaxCall, type FaxCallEvent, type FaxCallOptions, type FaxMedia } from '../sip/fax-call.js';
import type { SipAddress } from '../sip/address.js';
import { serializeSipMessage } from '../sip/message.js';
import type { DigestCredentials } from '../sip/digest.js';
import { SipUserAgent, type SipCall, type UserAgentOptions } from '../sip/user-agent.js';
import { systemRandom32, type Random32 } from '../util/random.js';
import { runAudioTerminal, type AudioDriverOutcome, type DrivenAudioTerminal } from './audio-driver.js';
import { startKeepalive, type MediaKeepalive } from './media-keepalive.js';
import { MediaPortAllocator, type MediaPortRange } from './media-ports.js';
import type { DrivenTerminal } from './real-time-loop.js';
import { SipTransport } from './sip-transport.js';
import { runUdpTerminal, type UdpDriverOutcome } from './udp-driver.js';

export interface SipEndpointOptions {
  /** Address to bind the SIP and media sockets to ('0.0.0.0': all). */
  readonly bindAddress: string;
  /** SIP port (0: any). */
  readonly port: number;
  /** Address written into Via, Contact and SDP (default: the bind address, or the first external IPv4 when binding to all). */
  readonly advertise?: string;
  readonly transport: 'udp' | 'tcp';
  /** Our address of record (default sip:faxwire@ADVERTISE). */
  readonly from?: string;
  readonly displayName?: string;
  readonly credentials?: DigestCredentials;
  readonly outboundProxy?: string;
  readonly mediaPorts?: MediaPortRange;
  readonly sessionExpires?: number;
  readonly maxCalls?: number;
  readonly random?: Random32;
  /** Each SIP message in and out (for --trace). */
  readonly trace?: (dir: 'in' | 'out', text: string, peer: SipAddress) => void;
  readonly onIncomingCall?: (call: SipCall) => void;
}

/** The address other hosts can reach us at, when bound to all interfaces. */
export function defaultAdvertiseAddress(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '') return bind;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

const TEXT = new TextDecoder();

/** A SIP transport with a user agent on it, and the one timer that drives the UA and its fax calls. */
export class SipEndpoint {
  readonly ua: SipUserAgent;
  readonly transport: SipTransport;
  readonly media: MediaPortAllocator;
  readonly advertise: string;
  private readonly t0 = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly faxCalls = new Set<FaxCall>();
  private closed = false;

  private constructor(transport: SipTransport, o: SipEndpointOptions, advertise: string) {
    this.transport = transport;
    this.advertise = advertise;
    this.media = new MediaPortAllocator(o.mediaPorts, o.bindAddress);
    const uaOptions: UserAgentOptions = {
      host: advertise,
      port: transport.port,
      transport: o.transport,
      from: o.from ?? `sip:faxwire@${advertise}`,
      ...(o.displayName !== undefined ? { displayName: o.displayName } : {}),
      ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
      ...(o.outboundProxy !== undefined ? { outboundProxy: o.outboundProxy } : {}),
      ...(o.sessionExpires !== undefined ? { sessionExpires: o.sessionExpires } : {}),
      ...(o.maxCalls !== undefined ? { maxCalls: o.maxCalls } : {}),
      userAgent: 'faxwire',
      random: o.random ?? systemRandom32,
      send: (msg, dest) => {
        if (o.trace !== undefined) o.trace('out', TEXT.decode(serializeSipMessage(msg)), dest);
        transport.send(msg, dest);
      },
      ...(o.onIncomingCall !== undefined ? { onIncomingCall: (call: SipCall) => o.onIncomingCall?.(call) } : {}),
    };
    this.ua = new SipUserAgent(uaOptions);
    transport.onMessage = (msg, from) => {
      if (o.trace !== undefined) o.trace('in', TEXT.decode(serializeSipMessage(msg)), from);
      this.ua.receive(msg, from, this.now());
      this.kick();
    };
  }

  static async open(o: SipEndpointOptions): Promise<SipEndpoint> {
    const transport = await SipTransport.open({ localAddress: o.bindAddress, udpPort: o.port, tcp: o.transport === 'tcp' || o.port !== 0 });
    return new SipEndpoint(transport, o, o.advertise ?? defaultAdvertiseAddress(o.bindAddress));
  }

  /** ms since the endpoint opened (the SIP clock). */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Runs what is due and re-arms the timer; call after every UA/fax-call API call. */
  kick(): void {
    if (this.closed) return;
    const now = this.now();
    this.ua.tick(now);
    for (const fc of this.faxCalls) fc.tick(now);
    if (this.timer !== undefined) clearTimeout(this.timer);
    let next = this.ua.nextTimeout();
    for (const fc of this.faxCalls) {
      const t = fc.nextTimeout();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    if (next !== undefined) {
      this.timer = setTimeout(() => this.kick(), Math.max(0, Math.min(next - this.now(), 60_000)));
    } else this.timer = undefined;
  }

  /** @internal */
  track(fc: FaxCall): () => void {
    this.faxCalls.add(fc);
    return () => this.faxCalls.delete(fc);
  }

  /** Waits until the UA has no live transactions (BYE answered …) or `ms` passed. */
  async drain(ms: number): Promise<void> {
    const until = this.now() + ms;
    while (this.ua.layer.size > 0 && this.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.transport.close();
  }
}


/** What a SIP fax call needs from the application: its two terminals. */
export interface SipFaxTerminals<E> {
  /** A fresh audio fax terminal (G.711 leg). */
  audio(codec: AudioCodec): DrivenAudioTerminal<E>;
  /** A fresh T.38 terminal for the agreed parameters. */
  t38(media: Extract<FaxMedia, { kind: 't38' }>): DrivenTerminal<E>;
}

export interface SipFaxCallOptions<E> {
  readonly endpoint: SipEndpoint;
  /** Outgoing: the target URI. Incoming: the call the endpoint reported. */
  readonly target?: string;
  readonly incoming?: SipCall;
  readonly fax: Omit<FaxCallOptions, 'local' | 'random'>;
  readonly terminals: SipFaxTerminals<E>;
  /** Fax clock speed factor (both ends must agree; 1 on real lines). */
  readonly speed?: number;
  /** Wall-clock limit for the whole call, ms (default 600 000). */
  readonly timeoutMs?: number;
  /** No answer within this many ms → CANCEL (default 60 000). */
  readonly answerTimeoutMs?: number;
  /** Audio play-out cushion, frames. */
  readonly cushion?: number;
  readonly onEvent?: (e: E) => void;
  readonly onCallEvent?: (e: FaxCallEvent) => void;
  readonly signal?: AbortSignal;
}

export interface SipFaxOutcome<E> {
  /** The call was answered. */
  readonly answered: boolean;
  /** Final SIP status of a call that was not answered, or of the end. */
  readonly status?: number;
  readonly reason: string;
  readonly endedBy: 'local' | 'remote' | 'timeout' | 'aborted';
  /** The media the fax ran on, in order ('audio', 't38'). */
  readonly mediaPath: readonly ('audio' | 't38')[];
  /** Status of a refused T.38 switch (488 …). */
  readonly t38Refused?: number;
  /** The terminal that finished the fax (the last one started). */
  readonly terminal?: DrivenAudioTerminal<E> | DrivenTerminal<E>;
  readonly audio?: AudioDriverOutcome;
  readonly t38?: UdpDriverOutcome;
  readonly wallMs: number;
}

/** Runs one fax call over SIP to the end (fax finished and BYE, peer's BYE, failure or timeout). */
export async function runSipFaxCall<E>(o: SipFaxCallOptions<E>): Promise<SipFaxOutcome<E>> {
  const ep = o.endpoint;
  const t0 = performance.now();
  const rtp = await ep.media.open('rtp');
  const udptl = await ep.media.open('udptl');
  const sockPort = (s: Socket): number => s.address().port;
  const faxOpts: FaxCallOptions = {
    ...o.fax,
    local: { address: ep.advertise, audioPort: sockPort(rtp), imagePort: sockPort(udptl) },
    random: systemRandom32,
  };

  const mediaPath: ('audio' | 't38')[] = [];
  let pendingMedia: FaxMedia | undefined;
  let ended: { by: 'local' | 'remote' | 'timeout'; status?: number; reason: string; answered: boolean } | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let switchCtl: AbortController | undefined;

  const onCallEvent = (e: FaxCallEvent): void => {
    o.onCallEvent?.(e);
    if (e.type === 'media') {
      pendingMedia = e.media;
      switchCtl?.abort();
      poke();
    } else if (e.type === 'ended') {
      // The first cause wins: a hang-up we send because of a timeout ends the call 'local' too.
      ended ??= { by: e.by, ...(e.status !== undefined ? { status: e.status } : {}), reason: e.reason, answered: e.answered };
      switchCtl?.abort();
      poke();
    }
  };

  let fc: FaxCall;
  const now = ep.now();
  if (o.incoming !== undefined) {
    fc = FaxCall.incoming(o.incoming, faxOpts, now);
  } else if (o.target !== undefined) {
    fc = FaxCall.outgoing(ep.ua, o.target, faxOpts, now);
  } else {
    throw new RangeError('runSipFaxCall: target or incoming is required');
  }
  // Events may already have happened (an incoming call answered at once sets the media).
  fc.onEvent = (e) => onCallEvent(e);
  if (fc.media !== undefined && pendingMedia === undefined && mediaPath.length === 0) pendingMedia = fc.media;
  if (fc.call.state === 'terminated') ended ??= { by: 'local', reason: 'rejected', answered: false };
  const untrack = ep.track(fc);
  ep.kick();

  const deadline = t0 + (o.timeoutMs ?? 600_000);
  const answerDeadline = t0 + (o.answerTimeoutMs ?? 60_000);
  let audioOutcome: AudioDriverOutcome | undefined;
  let t38Outcome: UdpDriverOutcome | undefined;
  let terminal: DrivenAudioTerminal<E> | DrivenTerminal<E> | undefined;
  let aborted = false;
  let idleKeepalive: MediaKeepalive | undefined;
  let lastAudio: { host: string; port: number } | undefined;
  const onAbort = (): void => {
    aborted = true;
    switchCtl?.abort();
    poke();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (;;) {
      if (ended !== undefined || aborted) break;
      if (pendingMedia === undefined) {
        // Wait for the answer (or the next media change).
        const left = Math.min(deadline, fc.media === undefined ? answerDeadline : deadline) - performance.now();
        if (left <= 0) {
          ended ??= { by: 'timeout', reason: fc.media === undefined ? 'no answer' : 'call timeout', answered: fc.media !== undefined };
          fc.hangup(ep.now());
          ep.kick();
          break;
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.min(left, 1000));
        });
        continue;
      }
      const media = pendingMedia;
      pendingMedia = undefined;
      mediaPath.push(media.kind);
      switchCtl = new AbortController();
      // The idle leg keeps its NAT pinhole open (RFC 6263): while T.38 runs, the RTP port stays
      // reachable for a re-INVITE back to audio (Asterisk sends one after the fax).
      idleKeepalive?.stop();
      idleKeepalive = media.kind === 't38' && lastAudio !== undefined ? startKeepalive(rtp, lastAudio.host, lastAudio.port) : undefined;
      if (media.kind === 'audio') lastAudio = { host: media.remoteHost, port: media.remotePort };
      const remaining = Math.max(1, deadline - performance.now());
      if (media.kind === 'audio') {
        const codec: AudioCodec = media.codec === 'PCMA' ? 'alaw' : 'ulaw';
        const inner = o.terminals.audio(codec);
        terminal = inner;
        const watch = new FaxSignalWatch();
        const wrapped: DrivenAudioTerminal<E> = {
          start: () => inner.start(),
          receive: (input, offset, n) => {
            if (input === null) watch.fillIn(n ?? 160);
            else watch.receive(input, offset ?? 0, n ?? input.length - (offset ?? 0));
            inner.receive(input, offset, n);
            const heard = watch.take();
            if (heard.length > 0) {
              for (const s of heard) fc.signal(s, ep.now());
              ep.kick();
            }
          },
          transmit: (out, offset, n) => inner.transmit(out, offset, n),
          takeEvents: () => inner.takeEvents(),
          get done() {
            return inner.done;
          },
          get result() {
            return inner.result;
          },
          abort: (why) => inner.abort?.(why),
        };
        audioOutcome = await runAudioTerminal<E>({
          terminal: wrapped,
          codec,
          rtp: true,
          socket: rtp,
          keepSocket: true,
          localPort: 0,
          remoteHost: media.remoteHost,
          remotePort: media.remotePort,
          latch: true,
          ...(o.cushion !== undefined ? { cushion: o.cushion } : {}),
          ...(o.speed !== undefined ? { speed: o.speed } : {}),
          timeoutMs: remaining,
          ...(o.onEvent !== undefined ? { onEvent: o.onEvent } : {}),
          signal: switchCtl.signal,
        });
        if (inner.done) break;
        if (audioOutcome.timedOut) {
          ended ??= { by: 'timeout', reason: 'call timeout', answered: true };
          break;
        }
      } else {
        const t = o.terminals.t38(media);
        terminal = t;
        t38Outcome = await runUdpTerminal<E>({
          terminal: t,
          socket: udptl,
          keepSocket: true,
          localPort: 0,
          remoteHost: media.remoteHost,
          remotePort: media.remotePort,
          latch: true,
          ...(o.speed !== undefined ? { speed: o.speed } : {}),
          timeoutMs: remaining,
          ...(o.onEvent !== undefined ? { onEvent: o.onEvent } : {}),
          signal: switchCtl.signal,
        });
        if (t.done) break;
        if (t38Outcome.timedOut) {
          ended ??= { by: 'timeout', reason: 'call timeout', answered: true };
          break;
        }
      }
    }
    // The fax is over (or the call): hang up if the peer has not.
    if (fc.call.state !== 'terminated') {
      fc.hangup(ep.now());
      ep.kick();
      ended ??= { by: 'local', reason: terminal?.done === true ? 'fax finished' : aborted ? 'aborted' : 'hang-up', answered: true };
    }
  } finally {
    idleKeepalive?.stop();
    o.signal?.removeEventListener('abort', onAbort);
    untrack();
    ep.media.release(rtp);
    ep.media.release(udptl);
  }
  const end = ended ?? { by: 'local' as const, reason: 'hang-up', answered: mediaPath.length > 0 };
  return {
    answered: end.answered,
    ...(end.status !== undefined ? { status: end.status } : {}),
    reason: end.reason,
    endedBy: aborted ? 'aborted' : end.by,
    mediaPath,
    ...(fc.t38Refused !== undefined ? { t38Refused: fc.t38Refused } : {}),
    ...(terminal !== undefined ? { terminal } : {}),
    ...(audioOutcome !== undefined ? { audio: audioOutcome } : {}),
    ...(t38Outcome !== undefined ? { t38: t38Outcome } : {}),
    wallMs: performance.now() - t0,
  };
}
