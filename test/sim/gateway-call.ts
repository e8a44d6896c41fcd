/**
 * A whole fax call through T.38 gateways, in virtual time — the one harness every gateway test
 * runs. Each end of the call is either
 * - an audio fax machine (`AudioTerminal`) on a G.711 leg to its own `T38Gateway`, or
 * - a T.38 terminal (`T38Terminal`, an Internet-aware fax),
 * and the two ends' T.38 elements (gateway or terminal) meet through a `PacketNetwork`
 * (`VirtualNet`: loss, bursts, jitter with reordering, duplication — or a perfect 20 ms path):
 *
 * ```
 *  topology A:  AudioTerminal ⇄ audio ⇄ T38Gateway ⇄ net ⇄ T38Gateway ⇄ audio ⇄ AudioTerminal
 *  topology B:  AudioTerminal ⇄ audio ⇄ T38Gateway ⇄ net ⇄ T38Terminal        (either may send)
 * ```
 *
 * Clocks (what the drift requirement is about, T.38 gateway issue 11 §4):
 * - Virtual time is wall ms. The network, the T.38 terminals and the gateways' T.38 sides run on
 *   it (`t38Receive(bytes, now)`, `tick(now)` when `nextTimeout()` is due).
 * - Each fax machine has its own sample clock, off by `ppm`: it exchanges one 20 ms frame (160
 *   samples) every 20 / (1 + ppm·1e-6) wall ms, so a +1000 ppm machine sends 1.001 s of its audio
 *   per wall second. Its gateway's audio side is slaved to it, as the real driver's clock lock
 *   does: one `audioReceive` and one `audioTransmit` of 160 samples per frame the fax sends. The
 *   gateway thus sees no drift on the audio leg, and absorbs it against the IP side.
 * - Per frame, in order: the fax hears the frame its gateway made at its previous frame (a 20 ms
 *   path), sends its own, the gateway demodulates it at once and makes the next frame for the fax.
 *   An optional `audioChannel` impairs every frame each way (G.711 coding, a lost frame → null,
 *   given to the receiver as `receive(null)` / `audioReceive(null)`, which fills in).
 *
 * Efficiency: event-driven, not per ms — the loop jumps to the next audio frame, datagram arrival
 * or timer, so nearly all the time goes to the modems' DSP.
 *
 * The answerer starts `answererLeadMs` (300) before the caller, as in the other call harnesses;
 * every audio leg is up from wall time 0 (a fax machine not started yet is silent), so both
 * gateways' audio and T.38 clocks run over the same span, as the drift estimate assumes.
 * The run stops when both terminals are done and the gateways have `finished` (DCN relayed and
 * played out), or `drainMs` after both terminals are done, or at `limit` ms of wall time. A
 * terminal that is done is left alone: its gateway then hears silence, its datagrams are dropped.
 */

import { T38Gateway, type GatewayEvent, type GatewaySummary, type T38GatewayOptions, type T38GatewayStats } from '../../src/fax/gateway/index.js';
import { AudioTerminal, type AudioTerminalOptions, type AudioTerminalStats } from '../../src/fax/terminal/audio-terminal.js';
import { T38Terminal, type T38TerminalOptions, type T38TerminalStats } from '../../src/fax/terminal/t38-terminal.js';
import { g711RoundTrip, type G711Law } from '../../src/g711/index.js';
import type { T30Event } from '../../src/t30/engine.js';
import type { T30Result } from '../../src/t30/result.js';
import type { Bitmap } from '../../src/t4/bitmap.js';
import { xorshift32 } from '../../src/util/random.js';
import type { PacketNetwork } from './network-api.js';
import { VirtualNet } from './network.js';

/** One end of the call: an audio fax machine behind its gateway, or a T.38 terminal. */
export type GatewayCallEnd =
  | {
      readonly audio: AudioTerminalOptions;
      /** The fax machine's sample clock against wall time, ppm (positive: fast). Default 0. */
      readonly ppm?: number;
      readonly gateway?: T38GatewayOptions;
    }
  | { readonly t38: T38TerminalOptions };

/** Where an audio frame is going: end 0 (caller) or 1 (answerer), towards the fax or the gateway. */
export interface AudioLeg {
  readonly end: 0 | 1;
  readonly toward: 'fax' | 'gateway';
  /** The frame's index on that end's clock (0 = the fax machine's first frame). */
  readonly index: number;
}

export interface GatewayCallOptions {
  /** The network between the two ends' T.38 elements. Default: a perfect 20 ms path. */
  readonly net?: PacketNetwork;
  /** What the audio leg does to a frame (a fresh copy, may be changed); null: the frame is lost. */
  readonly audioChannel?: (frame: Int16Array, leg: AudioLeg) => Int16Array | null;
  /** Stop at this wall time (ms) even if the call is not over. Default 600 000. */
  readonly limit?: number;
  /** How long the answerer runs alone before the caller starts, ms. Default 300. */
  readonly answererLeadMs?: number;
  /** Longest run after both terminals are done, waiting for the gateways to finish, ms. Default 3000. */
  readonly drainMs?: number;
  /** Samples per audio frame. Default 160 (20 ms). */
  readonly frameSamples?: number;
}

export interface GatewayCallEndOutcome {
  readonly kind: 'audio' | 't38';
  readonly terminal: AudioTerminal | T38Terminal;
  /** Pages this end was given to send (its options' `send`). */
  readonly pagesToSend: number;
  readonly result: T30Result | undefined;
  readonly done: boolean;
  /** The terminal's T.30 events. */
  readonly events: T30Event[];
  /** Pages this end accepted (page-rx-end, accepted), in order. */
  readonly received: Bitmap[];
  readonly terminalStats: AudioTerminalStats | T38TerminalStats;
  /** The end's gateway (audio ends only), its events, summary and stats at the end of the run. */
  readonly gateway: T38Gateway | undefined;
  readonly gatewayEvents: GatewayEvent[];
  readonly summary: GatewaySummary | undefined;
  readonly gatewayStats: T38GatewayStats | undefined;
  /** Audio frames this end exchanged (audio ends). */
  readonly frames: number;
}

export interface GatewayCallOutcome {
  readonly caller: GatewayCallEndOutcome;
  readonly answerer: GatewayCallEndOutcome;
  /** Pages accepted by either end, in order (the receiving end's `received`). */
  readonly received: Bitmap[];
  readonly net: PacketNetwork;
  /** Wall time when the run stopped, ms. */
  readonly endedAt: number;
  /** The run hit `limit` before both terminals were done. */
  readonly timedOut: boolean;
}

/** A frame made to pass through G.711 (A-law or µ-law) on every audio leg. */
export function g711Channel(law: G711Law): (frame: Int16Array) => Int16Array {
  return (f) => {
    for (let i = 0; i < f.length; i++) f[i] = g711RoundTrip(law, f[i] as number);
    return f;
  };
}

// ---------------------------------------------------------------------------------------------

interface AudioSide {
  readonly kind: 'audio';
  readonly index: 0 | 1;
  readonly pagesToSend: number;
  readonly fax: AudioTerminal;
  readonly gw: T38Gateway;
  /** When the fax machine starts its call (its audio leg runs from wall time 0). */
  readonly startAt: number;
  /** Wall ms per frame on this fax machine's clock. */
  readonly period: number;
  frame: number;
  started: boolean;
  /** What the gateway made for the fax at the last frame (heard at the next). */
  readonly toFax: Int16Array;
  readonly fromFax: Int16Array;
  readonly events: T30Event[];
  readonly received: Bitmap[];
  readonly gwEvents: GatewayEvent[];
}

interface T38Side {
  readonly kind: 't38';
  readonly index: 0 | 1;
  readonly pagesToSend: number;
  readonly term: T38Terminal;
  readonly startAt: number;
  started: boolean;
  readonly events: T30Event[];
  readonly received: Bitmap[];
}

type Side = AudioSide | T38Side;

/** Same-time loop iterations allowed before the run is declared stuck (a timer that never moves). */
const MAX_STALL = 100_000;

export function runGatewayCall(caller: GatewayCallEnd, answerer: GatewayCallEnd, o: GatewayCallOptions = {}): GatewayCallOutcome {
  const limit = o.limit ?? 600_000;
  const lead = o.answererLeadMs ?? 300;
  const drainMs = o.drainMs ?? 3000;
  const n = o.frameSamples ?? 160;
  const net = o.net ?? new VirtualNet({ delay: 20 }, xorshift32(1));
  const silence = new Int16Array(n);
  const discard = new Int16Array(n);

  const make = (end: GatewayCallEnd, index: 0 | 1, startAt: number): Side => {
    if ('t38' in end) {
      const pagesToSend = end.t38.send?.pages.length ?? 0;
      return { kind: 't38', index, pagesToSend, term: new T38Terminal(end.t38), startAt, started: false, events: [], received: [] };
    }
    const ppm = end.ppm ?? 0;
    return {
      kind: 'audio',
      index,
      pagesToSend: end.audio.send?.pages.length ?? 0,
      fax: new AudioTerminal(end.audio),
      gw: new T38Gateway(end.gateway ?? {}),
      startAt,
      period: (n / 8) / (1 + ppm * 1e-6),
      frame: 0,
      started: false,
      toFax: new Int16Array(n),
      fromFax: new Int16Array(n),
      events: [],
      received: [],
      gwEvents: [],
    };
  };
  const sides: readonly [Side, Side] = [make(caller, 0, lead), make(answerer, 1, 0)];

  const terminalDone = (s: Side): boolean => (s.kind === 'audio' ? s.fax.done : s.term.done);
  const takeTerminalEvents = (s: Side): void => {
    const evs = s.kind === 'audio' ? s.fax.takeEvents() : s.term.takeEvents();
    for (const e of evs) {
      s.events.push(e);
      if (e.type === 'page-rx-end' && e.accepted) s.received.push(e.bitmap);
    }
  };
  /** Datagrams the end's T.38 element produced, onto the network towards the other end. */
  const flush = (s: Side, now: number): void => {
    const to = s.index === 0 ? 1 : 0;
    const out = s.kind === 'audio' ? s.gw.takeOutput() : s.term.takeOutput();
    for (const d of out) net.send(to, d, now);
    if (s.kind === 'audio') for (const e of s.gw.takeEvents()) s.gwEvents.push(e);
    takeTerminalEvents(s);
  };
  const channel = (frame: Int16Array, leg: AudioLeg): Int16Array | null => (o.audioChannel ? o.audioChannel(frame.slice(), leg) : frame);

  /** One 20 ms frame on an audio end's clock: the fax hears, speaks; its gateway listens, answers. */
  const audioFrame = (s: AudioSide): void => {
    const index = s.frame;
    if (!s.started && s.startAt <= s.frame * s.period) {
      s.started = true;
      s.fax.start();
    }
    if (s.started && !s.fax.done) {
      const heard = channel(s.toFax, { end: s.index, toward: 'fax', index });
      s.fax.receive(heard, 0, n);
      s.fax.transmit(s.fromFax, 0, n);
      s.gw.audioReceive(channel(s.fromFax, { end: s.index, toward: 'gateway', index }), 0, n);
      s.gw.audioTransmit(s.toFax, 0, n);
    } else {
      // The fax machine has not started yet (the answerer picked up first) or has hung up: its
      // gateway's audio leg is up all the same, and hears silence.
      s.gw.audioReceive(silence, 0, n);
      s.gw.audioTransmit(discard, 0, n);
    }
    s.frame++;
  };
  const nextFrameAt = (s: AudioSide): number => s.frame * s.period;

  let now = 0;
  let bothDoneAt: number | undefined;
  let stall = 0;
  let timedOut = false;
  for (;;) {
    // The next thing to happen.
    let t = Infinity;
    for (const s of sides) {
      if (s.kind === 'audio') t = Math.min(t, nextFrameAt(s));
      else if (!s.started) t = Math.min(t, s.startAt);
      else if (!s.term.done) t = Math.min(t, s.term.nextTimeout() ?? Infinity);
      if (s.kind === 'audio') t = Math.min(t, s.gw.nextTimeout() ?? Infinity);
    }
    t = Math.min(t, net.next() ?? Infinity);
    if (t >= limit) {
      timedOut = bothDoneAt === undefined;
      now = Math.max(now, Math.min(limit, t));
      break;
    }
    if (t <= now) {
      if (++stall > MAX_STALL) throw new Error(`gateway call stuck at ${now} ms: a timer that does not move`);
    } else stall = 0;
    now = Math.max(now, t);

    // Audio frames due first, then arrivals and timers — the same order at every instant, so a
    // gateway's frame-grained audio count stands in the same relation to its T.38 time at every
    // T.38 event (the drift estimate's sample points).
    for (const s of sides) if (s.kind === 'audio') while (nextFrameAt(s) <= now) audioFrame(s);
    for (const p of net.due(now)) {
      const s = sides[p.to];
      if (s.kind === 'audio') s.gw.t38Receive(p.bytes, now);
      else if (s.started && !s.term.done) s.term.receive(p.bytes, now);
    }
    for (const s of sides) {
      if (s.kind === 'audio') {
        const due = s.gw.nextTimeout();
        if (due !== undefined && due <= now) s.gw.tick(now);
      } else if (!s.started) {
        if (s.startAt <= now) {
          s.started = true;
          s.term.start(now);
        }
      } else if (!s.term.done) {
        const due = s.term.nextTimeout();
        if (due !== undefined && due <= now) s.term.tick(now);
      }
    }
    for (const s of sides) flush(s, now);

    if (bothDoneAt === undefined && sides.every(terminalDone)) bothDoneAt = now;
    if (bothDoneAt !== undefined) {
      const gwsFinished = sides.every((s) => s.kind !== 'audio' || s.gw.finished);
      if (gwsFinished || now - bothDoneAt >= drainMs) break;
    }
  }

  // The summaries are read at the end time (the drift estimate compares the two clocks up to the
  // gateway's last T.38 time, so tell it the time).
  for (const s of sides) if (s.kind === 'audio') s.gw.tick(now);
  const outcome = (s: Side): GatewayCallEndOutcome =>
    s.kind === 'audio'
      ? {
          kind: 'audio',
          terminal: s.fax,
          pagesToSend: s.pagesToSend,
          result: s.fax.result,
          done: s.fax.done,
          events: s.events,
          received: s.received,
          terminalStats: s.fax.getStats(),
          gateway: s.gw,
          gatewayEvents: s.gwEvents,
          summary: s.gw.summary(),
          gatewayStats: s.gw.getStats(),
          frames: s.frame,
        }
      : {
          kind: 't38',
          terminal: s.term,
          pagesToSend: s.pagesToSend,
          result: s.term.result,
          done: s.term.done,
          events: s.events,
          received: s.received,
          terminalStats: s.term.getStats(),
          gateway: undefined,
          gatewayEvents: [],
          summary: undefined,
          gatewayStats: undefined,
          frames: 0,
        };
  const [c, a] = [outcome(sides[0]), outcome(sides[1])];
  return { caller: c, answerer: a, received: [...c.received, ...a.received], net, endedAt: now, timedOut };
}
