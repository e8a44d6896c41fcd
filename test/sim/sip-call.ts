/**
 * A whole fax call set up with SIP, in virtual time: two faxwire user agents (`SipUserAgent` +
 * `FaxCall`, the sender calling the receiver) exchanging SIP messages — serialized and parsed
 * again, through a `VirtualNet` with loss and delay — and running the fax on whatever media the
 * call control chooses: G.711 (two `AudioTerminal`s exchanging `step`-ms blocks through the
 * negotiated codec, each side's `FaxSignalWatch` listening to what it receives) or T.38 (two
 * `T38Terminal`s over a `PacketNetwork`). A media switch replaces that side's terminal with a
 * fresh one, as the node driver does. Ends when both calls are terminated and the SIP traffic is
 * over, or at `limit`.
 */

import { AudioTerminal } from '../../src/fax/terminal/audio-terminal.js';
import { T38Terminal } from '../../src/fax/terminal/t38-terminal.js';
import { FaxSignalWatch } from '../../src/fax/signal-watch.js';
import { ALAW_TO_LINEAR, LINEAR_TO_ALAW, LINEAR_TO_ULAW, ULAW_TO_LINEAR } from '../../src/g711/index.js';
import { FaxCall, type FaxCallEvent, type FaxMedia, type FaxPeerPolicies, type T38Policy } from '../../src/sip/fax-call.js';
import { parseSipMessage, serializeSipMessage } from '../../src/sip/message.js';
import type { T38SdpCapabilities } from '../../src/sip/sdp-t38.js';
import { SipUserAgent, type SipCall } from '../../src/sip/user-agent.js';
import type { T30Event } from '../../src/t30/engine.js';
import type { T30Result } from '../../src/t30/result.js';
import type { Bitmap } from '../../src/t4/bitmap.js';
import { xorshift32 } from '../../src/util/random.js';
import type { PacketNetwork } from './network-api.js';
import { VirtualNet, type Impairments } from './network.js';

export const SIM_T38_CAPS: T38SdpCapabilities = {
  maxVersion: 0,
  maxBitRate: 14400,
  maxBuffer: 2000,
  maxDatagram: 400,
  errorCorrection: ['redundancy', 'fec'],
  fillBitRemoval: false,
  transcodingMmr: false,
  transcodingJbig: false,
  rateManagement: ['transferredTCF', 'localTCF'],
};

export interface SipSideOptions {
  readonly t38: T38Policy;
  readonly caps?: T38SdpCapabilities;
  readonly reinviteGraceMs?: number;
  readonly offerT38Initially?: boolean;
  readonly policies?: FaxPeerPolicies;
  readonly sessionExpires?: number;
  readonly seed?: number;
}

export interface SipCallSimOptions {
  readonly pages: Bitmap[];
  readonly ecm?: boolean;
  readonly sender: SipSideOptions;
  readonly receiver: SipSideOptions;
  /** The SIP path (default: 10 ms each way, no loss). */
  readonly sip?: Impairments;
  /** The T.38 path (default: a clean VirtualNet, 20 ms). */
  readonly t38Net?: PacketNetwork;
  /** Virtual ms to give up at (default 300 000). */
  readonly limit?: number;
  /** Audio block, ms (default 5). */
  readonly step?: number;
  /** The receiving UA does not answer for this long (ms, default 0: at once). */
  readonly answerDelayMs?: number;
  /** Called at every step, before anything runs (tests poke the calls here: forced re-INVITEs …). */
  readonly app?: (now: number, sim: SipCallSim) => void;
}

type Terminal = { kind: 'audio'; t: AudioTerminal; codec: 'PCMU' | 'PCMA'; watch: FaxSignalWatch } | { kind: 't38'; t: T38Terminal };

export interface SipCallSim {
  readonly uas: readonly [SipUserAgent, SipUserAgent];
  readonly faxCalls: [FaxCall | undefined, FaxCall | undefined];
  readonly terminals: [Terminal | undefined, Terminal | undefined];
  readonly events: [FaxCallEvent[], FaxCallEvent[]];
  /** "t=1234 0→1 INVITE" lines, for assertions and failure messages. */
  readonly sipLog: string[];
  readonly mediaPath: [string[], string[]];
}

export interface SipCallSimOutcome extends SipCallSim {
  readonly received: Bitmap[];
  /** The last terminal's result on each side. */
  readonly results: [T30Result | undefined, T30Result | undefined];
  readonly t30Events: [T30Event[], T30Event[]];
  readonly endedAt: number;
  readonly sipCounters: VirtualNet['counters'];
}

const ADDR = ['192.0.2.1', '192.0.2.2'] as const;
const SIP_PORT = 5060;
const AUDIO_PORT = [40000, 40002] as const;
const IMAGE_PORT = [40010, 40012] as const;

export function runSipFaxCall(o: SipCallSimOptions): SipCallSimOutcome {
  const limit = o.limit ?? 300_000;
  const step = o.step ?? 5;
  const n = step * 8;
  const sipNet = new VirtualNet(o.sip ?? { delay: 10 }, xorshift32(0x5157));
  const t38Net = o.t38Net ?? new VirtualNet({ delay: 20 }, xorshift32(0x7438));
  const sipLog: string[] = [];
  const events: [FaxCallEvent[], FaxCallEvent[]] = [[], []];
  const mediaPath: [string[], string[]] = [[], []];
  const t30Events: [T30Event[], T30Event[]] = [[], []];
  const received: Bitmap[] = [];
  const results: [T30Result | undefined, T30Result | undefined] = [undefined, undefined];
  const terminals: [Terminal | undefined, Terminal | undefined] = [undefined, undefined];
  const faxCalls: [FaxCall | undefined, FaxCall | undefined] = [undefined, undefined];
  const pendingMedia: [FaxMedia | undefined, FaxMedia | undefined] = [undefined, undefined];
  const ended: [boolean, boolean] = [false, false];
  let now = 0;
  const sideOpts = [o.sender, o.receiver] as const;

  const makeUa = (i: 0 | 1): SipUserAgent =>
    new SipUserAgent({
      host: ADDR[i],
      port: SIP_PORT,
      transport: 'udp',
      from: `sip:${i === 0 ? 'sender' : 'receiver'}@${ADDR[i]}`,
      random: xorshift32(sideOpts[i].seed ?? 1000 + i),
      ...(sideOpts[i].sessionExpires !== undefined ? { sessionExpires: sideOpts[i].sessionExpires } : {}),
      send: (msg, dest) => {
        const to = dest.host === ADDR[0] ? 0 : 1;
        if (dest.host !== ADDR[to] || dest.port !== SIP_PORT) throw new Error(`SIP sent to ${dest.host}:${dest.port}`);
        const bytes = serializeSipMessage(msg);
        sipLog.push(`t=${Math.round(now)} ${i}→${to} ${msg.kind === 'request' ? msg.method : `${msg.status} ${msg.reason}`}`);
        sipNet.send(to, bytes, now);
      },
      onIncomingCall: (call: SipCall, t: number) => {
        if (i !== 1) throw new Error('the sender got a call');
        const answer = (): void => {
          faxCalls[1] = FaxCall.incoming(call, faxOptions(1), t);
          wire(1);
        };
        if ((o.answerDelayMs ?? 0) > 0) {
          call.ring(t);
          answerAt = t + (o.answerDelayMs ?? 0);
          answerFn = (t2: number) => {
            faxCalls[1] = FaxCall.incoming(call, faxOptions(1), t2);
            wire(1);
          };
        } else answer();
      },
    });
  let answerAt: number | undefined;
  let answerFn: ((t: number) => void) | undefined;
  const uas = [makeUa(0), makeUa(1)] as const;

  const faxOptions = (i: 0 | 1) => ({
    t38: sideOpts[i].t38,
    t38Caps: sideOpts[i].caps ?? SIM_T38_CAPS,
    local: { address: ADDR[i], audioPort: AUDIO_PORT[i], imagePort: IMAGE_PORT[i] },
    direction: i === 0 ? ('send' as const) : ('receive' as const),
    ...(sideOpts[i].reinviteGraceMs !== undefined ? { reinviteGraceMs: sideOpts[i].reinviteGraceMs } : {}),
    ...(sideOpts[i].offerT38Initially !== undefined ? { offerT38Initially: sideOpts[i].offerT38Initially } : {}),
    ...(sideOpts[i].policies !== undefined ? { policies: sideOpts[i].policies } : {}),
    random: xorshift32(77 + i),
  });

  const wire = (i: 0 | 1): void => {
    const fc = faxCalls[i];
    if (fc === undefined) return;
    if (fc.media !== undefined) pendingMedia[i] = fc.media;
    fc.onEvent = (e) => {
      events[i].push(e);
      if (e.type === 'media') pendingMedia[i] = e.media;
      if (e.type === 'ended') ended[i] = true;
    };
  };

  const sim: SipCallSim = { uas, faxCalls, terminals, events, sipLog, mediaPath };

  const startTerminal = (i: 0 | 1, m: FaxMedia): void => {
    const other = i === 0 ? 1 : 0;
    // The media must point at the other side's ports, as its SDP said.
    const want = m.kind === 'audio' ? AUDIO_PORT[other] : IMAGE_PORT[other];
    if (m.remoteHost !== ADDR[other] || m.remotePort !== want) throw new Error(`side ${i}: media ${m.kind} to ${m.remoteHost}:${m.remotePort}, expected ${ADDR[other]}:${want}`);
    mediaPath[i].push(m.kind);
    const role = i === 0 ? ({ role: 'calling', send: { pages: o.pages } } as const) : ({ role: 'answering', receive: true } as const);
    if (m.kind === 'audio') {
      const t = new AudioTerminal({ ...role, ...(o.ecm !== undefined ? { ecm: o.ecm } : {}) });
      terminals[i] = { kind: 'audio', t, codec: m.codec, watch: new FaxSignalWatch() };
      t.start();
    } else {
      const ec = m.params.errorCorrection === 'fec' ? ({ mode: 'fec', span: 3, entries: 3 } as const) : m.params.errorCorrection === 'redundancy' ? ({ mode: 'redundancy', depth: { indicator: 3, control: 3, image: 2 } } as const) : ({ mode: 'none' } as const);
      const t = new T38Terminal({ ...role, t38Version: m.params.version, errorCorrection: ec, maxDatagram: m.maxDatagram, ...(o.ecm !== undefined ? { ecm: o.ecm } : {}) });
      terminals[i] = { kind: 't38', t };
      t.start(now);
    }
  };

  const collect = (i: 0 | 1): void => {
    const term = terminals[i];
    if (term === undefined) return;
    for (const e of term.t.takeEvents()) {
      t30Events[i].push(e);
      if (i === 1 && e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
    }
    if (term.kind === 't38') for (const d of term.t.takeOutput()) t38Net.send(i === 0 ? 1 : 0, d, now);
    if (term.t.result !== undefined) results[i] = term.t.result;
  };

  // Audio blocks in flight (one block of delay each way), in the codec of the sending side.
  const out: [Int16Array, Int16Array] = [new Int16Array(n), new Int16Array(n)];
  let inbox: [Int16Array, Int16Array] = [new Int16Array(n), new Int16Array(n)];
  const g711 = (x: Int16Array, codec: 'PCMU' | 'PCMA'): Int16Array => {
    const y = new Int16Array(x.length);
    const enc = codec === 'PCMA' ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
    const dec = codec === 'PCMA' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
    for (let k = 0; k < x.length; k++) y[k] = dec[enc[(x[k] ?? 0) & 0xffff] ?? 0] ?? 0;
    return y;
  };

  faxCalls[0] = FaxCall.outgoing(uas[0], `sip:receiver@${ADDR[1]}`, faxOptions(0), 0);
  wire(0);
  const hungUp: [boolean, boolean] = [false, false];

  for (; now < limit; now += step) {
    o.app?.(now, sim);
    for (const p of sipNet.due(now)) {
      const r = parseSipMessage(p.bytes);
      if (!r.ok) throw new Error(`unparsable SIP in the simulation: ${r.error.code} ${r.error.detail}`);
      uas[p.to].receive(r.message, { transport: 'udp', host: ADDR[p.to === 0 ? 1 : 0], port: SIP_PORT }, now);
    }
    if (answerAt !== undefined && now >= answerAt) {
      answerAt = undefined;
      answerFn?.(now);
    }
    for (const i of [0, 1] as const) {
      uas[i].tick(now);
      faxCalls[i]?.tick(now);
      const m = pendingMedia[i];
      if (m !== undefined) {
        pendingMedia[i] = undefined;
        if (!ended[i]) startTerminal(i, m);
      }
    }
    // T.38 datagrams.
    for (const p of t38Net.due(now)) {
      const term = terminals[p.to];
      if (term?.kind === 't38' && !term.t.done) term.t.receive(p.bytes, now);
    }
    // Audio: each side in audio mode processes what the other sent last step (silence otherwise).
    const next: [Int16Array, Int16Array] = [new Int16Array(n), new Int16Array(n)];
    for (const i of [0, 1] as const) {
      const term = terminals[i];
      if (term === undefined) continue;
      if (term.kind === 'audio' && !ended[i]) {
        const input = inbox[i];
        term.watch.receive(input, 0, n);
        for (const s of term.watch.take()) faxCalls[i]?.signal(s, now);
        out[i].fill(0);
        term.t.process(input, out[i]);
        const other = i === 0 ? 1 : 0;
        const oterm = terminals[other];
        if (oterm?.kind === 'audio') next[other] = g711(out[i], term.codec);
      } else if (term.kind === 't38' && !term.t.done) {
        term.t.tick(now);
      }
      collect(i);
      if (term.t.done && !hungUp[i] && faxCalls[i] !== undefined) {
        hungUp[i] = true;
        faxCalls[i]?.hangup(now);
      }
    }
    inbox = next;
    const callsOver = [0, 1].every((i) => faxCalls[i] === undefined || faxCalls[i]?.call.state === 'terminated');
    if (callsOver && faxCalls[1] !== undefined && uas[0].layer.size === 0 && uas[1].layer.size === 0 && sipNet.next() === undefined) break;
    if (faxCalls[0]?.call.state === 'terminated' && faxCalls[1] === undefined && uas[0].layer.size === 0) break;
  }
  return { ...sim, received, results, t30Events, endedAt: now, sipCounters: sipNet.counters };
}
