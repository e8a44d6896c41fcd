/**
 * `faxwire gateway --sip-listen …`: the T.38 gateway as a back-to-back user agent on real
 * sockets. Each incoming call gets two media sockets from the port range (RTP for the G.711
 * leg, UDPTL for the T.38 leg), a `FaxB2bua` (src/sip/fax-b2bua.ts) that places the second leg,
 * and — once both legs are up — the gateway driver (gateway-driver.ts) with a fresh
 * `T38Gateway` between the two far ends the SDP named. The gateway finishing (DCN relayed) hangs
 * up both legs; either leg hanging up stops the gateway.
 */

import type { Socket } from 'node:dgram';

import { FaxB2bua, type B2buaBridge, type FaxB2buaEvent } from '../sip/fax-b2bua.js';
import type { T38SdpCapabilities } from '../sip/sdp-t38.js';
import type { SipCall } from '../sip/user-agent.js';
import { systemRandom32 } from '../util/random.js';
import { runGateway, type DrivenGateway, type GatewayDriverOutcome } from './gateway-driver.js';
import type { SipEndpoint } from './sip-fax.js';

export interface SipGatewayCallOptions {
  readonly endpoint: SipEndpoint;
  readonly call: SipCall;
  /** Where the second leg goes. */
  readonly target: string;
  readonly t38Caps: T38SdpCapabilities;
  /** A fresh gateway for the bridge the SDP agreed on. */
  readonly makeGateway: (bridge: B2buaBridge) => DrivenGateway;
  readonly speed?: number;
  readonly cushion?: number;
  readonly idleSec?: number;
  readonly timeoutMs?: number;
  /** Wall ms to wait for the second leg to answer (default 60 000). */
  readonly answerTimeoutMs?: number;
  readonly onEvent?: (e: FaxB2buaEvent) => void;
}

export interface SipGatewayCallOutcome {
  readonly bridged: boolean;
  readonly reason: string;
  readonly status?: number;
  readonly bridge?: B2buaBridge;
  readonly gateway?: GatewayDriverOutcome;
}

/** Runs one gatewayed call to its end. */
export async function runSipGatewayCall(o: SipGatewayCallOptions): Promise<SipGatewayCallOutcome> {
  const ep = o.endpoint;
  let rtp: Socket | undefined;
  let udptl: Socket | undefined;
  try {
    rtp = await ep.media.open('rtp');
    udptl = await ep.media.open('udptl');
  } catch (e) {
    o.call.reject(503, ep.now(), 'no media port');
    ep.kick();
    if (rtp !== undefined) ep.media.release(rtp);
    return { bridged: false, reason: e instanceof Error ? e.message : String(e), status: 503 };
  }
  let ended: { reason: string; status?: number } | undefined;
  let bridge: B2buaBridge | undefined;
  let wake: (() => void) | undefined;
  const stop = new AbortController();
  const b2b = FaxB2bua.fromIncoming(
    ep.ua,
    o.call,
    { target: o.target, t38Caps: o.t38Caps, local: { address: ep.advertise, audioPort: rtp.address().port, imagePort: udptl.address().port }, random: systemRandom32 },
    ep.now(),
  );
  b2b.onEvent = (e) => {
    o.onEvent?.(e);
    if (e.type === 'bridge') bridge = e.bridge;
    if (e.type === 'ended') {
      ended = { reason: e.reason, ...(e.status !== undefined ? { status: e.status } : {}) };
      stop.abort();
    }
    wake?.();
  };
  ep.kick();
  const answerBy = ep.now() + (o.answerTimeoutMs ?? 60_000);
  while (bridge === undefined && ended === undefined && ep.now() < answerBy) {
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 500);
    });
  }
  wake = undefined;
  if (bridge === undefined) {
    if (ended === undefined) {
      b2b.hangup(ep.now());
      ep.kick();
    }
    ep.media.release(rtp);
    ep.media.release(udptl);
    return { bridged: false, reason: ended?.reason ?? 'second leg did not answer', ...(ended?.status !== undefined ? { status: ended.status } : {}) };
  }
  const br: B2buaBridge = bridge;
  const gateway = await runGateway({
    gateway: o.makeGateway(br),
    audio: { codec: br.audio.codec === 'PCMA' ? 'alaw' : 'ulaw', rtp: true, ...(o.cushion !== undefined ? { cushion: o.cushion } : {}), localPort: 0, socket: rtp, remoteHost: br.audio.remoteHost, remotePort: br.audio.remotePort, latch: true },
    t38: { localPort: 0, socket: udptl, remoteHost: br.t38.remoteHost, remotePort: br.t38.remotePort, latch: true },
    ...(o.speed !== undefined ? { speed: o.speed } : {}),
    ...(o.idleSec !== undefined ? { idleSec: o.idleSec } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    signal: stop.signal,
  });
  // The driver closed both sockets; the allocator saw them close.
  if (ended === undefined) {
    b2b.hangup(ep.now());
    ep.kick();
  }
  const end = ended as { reason: string; status?: number } | undefined;
  return { bridged: true, reason: end?.reason ?? `gateway ${gateway.end}`, ...(end?.status !== undefined ? { status: end.status } : {}), bridge: br, gateway };
}
