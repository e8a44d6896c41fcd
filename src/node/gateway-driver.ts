/**
 * Runs the sans-IO T.38 gateway (src/fax/gateway/gateway.ts) on two real UDP sockets: the audio
 * leg towards the fax machine (one audio frame per datagram, the framing of audio-frames.ts —
 * spandsp-peer's `audiofax`/`t38gw`) and the UDPTL leg towards the IP side (T.38 §9.1, as
 * udp-driver.ts: SourceFilter, optional latch, optional simulated receive loss for the demo).
 *
 * Two clocks, as the gateway wants them:
 *
 * - **Audio: the fax machine's clock.** A tick every `frameMs / speed` wall ms on absolute
 *   deadlines (late ticks caught up, a few at a time, as audio-driver.ts). Receive: the play-out
 *   buffer (src/rtp/playout.ts, `cushion`) gives the gateway 0, 1 or 2 frames a tick — never
 *   inserted silence. Transmit: one frame a tick, but **frequency-locked to the audio peer**
 *   (issue 11 point 4). From the first frame that arrives we keep
 *   `credit = framesArrived − framesSent` (with RTP, arrivals are counted by sequence number,
 *   so a frame lost on the way still counts as sent by the peer); a tick sends 2 frames while the
 *   credit has stayed above +H, none while it has stayed below −H, else 1. The peer then gets
 *   exactly as many frames as it plays, whatever its clock: a fax machine (or spandsp's
 *   `audiofax --drift`) 1000 ppm off would otherwise see its receive queue run dry once every
 *   20 s — and spandsp plays silence into its demodulator when that happens, fatal mid-page —
 *   or overflow. The gateway's own audio clock (samples given to `audioTransmit`) is the peer's.
 *   H = 3 frames (60 ms at 20 ms): larger than the arrival jitter of a loaded host (a process
 *   stalled for a tick or two, at `--speed 2` on shared cores), so noise alone moves nothing,
 *   and smaller than the play-out cushion the peers use here (4–6 frames), so the peer's queue
 *   neither starves nor floods while the lock holds it at ±H. "Has stayed" means for the last
 *   LOCK_PERSIST_TICKS decision ticks: a short stall on either side (a dip or burst of arrivals
 *   that recovers within half a second) is not drift and is not corrected — correcting it would
 *   shorten the stalled peer's queue just when it catches up. Drift of 1000 ppm is one frame in
 *   20 s, so the wait costs nothing. A peer that sends nothing for that long has paused (hung up,
 *   or silence suppression), it is not slow: the lock lets go, the transmit side runs on the local
 *   clock, and the next frame that arrives locks again from zero. Only the first tick of a timer callback decides; the ticks a
 *   late callback catches up send one frame each (the arrivals of that stall are still unread in
 *   the socket, so the credit would dip for no reason). Before the first arrival the transmit
 *   side runs on the local clock.
 * - **T.38: injected ms.** Fax now = wall ms × `speed` since the start; each datagram goes to
 *   `t38Receive(bytes, now)`, `nextTimeout()` is honoured with a timer, and `takeOutput()` is
 *   sent after every call into the gateway.
 *
 * The end: `gateway.finished` (DCN relayed and played out) stops the driver. Failing that, both
 *   legs idle: no activity for `idleSec` of fax time (default 3), where activity is an audio
 *   frame played at −50 dBm0 or more, a UDPTL datagram whose primary IFP is anything but the
 *   no-signal indicator, or the gateway relaying a signal (`active`). Idle only counts once the
 *   call has started (first activity, as t38gw's `seen_audio`), and until a DCN has been
 *   relayed it is at least MID_CALL_IDLE_MS (7 s, beyond T.30's T2 = 6 s, T.30 §5.4.3.1 — the
 *   longest a terminal waits in silence for a command), so a call that merely pauses is never
 *   cut. Else `timeoutMs` (wall) or `signal`.
 */

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

import { dbm0ToPower } from '../dsp/level.js';
import type { GatewayEvent, GatewaySummary } from '../fax/gateway/gateway.js';
import { AudioPlayout, type AudioPlayoutStats } from '../rtp/playout.js';
import { decodeIfp, type T38Version } from '../t38/ifp.js';
import { SourceFilter, type UdpEndpoint } from '../t38/source-filter.js';
import { decodeUdptl } from '../t38/udptl.js';
import { xorshift32 } from '../util/random.js';
import { seqDiff } from '../util/seq.js';
import { AudioFraming, type AudioLegOptions } from './audio-frames.js';
import { bindUdp } from './udp-driver.js';

/** What the driver needs from a gateway (`T38Gateway` implements it). */
export interface DrivenGateway {
  readonly version: T38Version;
  audioReceive(input: Int16Array | null, offset?: number, n?: number): void;
  audioTransmit(out: Int16Array, offset?: number, n?: number): void;
  t38Receive(datagram: Uint8Array, now: number): void;
  tick(now: number): void;
  nextTimeout(): number | undefined;
  takeOutput(): Uint8Array[];
  takeEvents(): GatewayEvent[];
  readonly finished: boolean;
  readonly active: boolean;
  summary(): GatewaySummary;
}

/** The gateway's audio leg (as an audio terminal's: audio-frames.ts). */
export type GatewayAudioLeg = AudioLegOptions;

export interface GatewayT38Leg {
  readonly localPort: number;
  readonly socket?: Socket;
  readonly localAddress?: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly latch?: boolean;
  /** Drop this percentage of received datagrams at random (simulation, as udp-driver.ts). Default 0. */
  readonly lossPercent?: number;
  /** Seed for `lossPercent` (non-zero). Default 1. */
  readonly lossSeed?: number;
}

export interface GatewayDriverOptions {
  readonly gateway: DrivenGateway;
  readonly audio: GatewayAudioLeg;
  readonly t38: GatewayT38Leg;
  /** Fax clock speed factor (> 0). Default 1. */
  readonly speed?: number;
  /** Both legs idle this long (fax seconds) ends the call. Default 3. */
  readonly idleSec?: number;
  /** Wall-clock limit, ms. Default 300 000. */
  readonly timeoutMs?: number;
  readonly onEvent?: (e: GatewayEvent) => void;
  /** Called once both sockets are bound. */
  readonly onBound?: (ports: { readonly audio: number; readonly t38: number }) => void;
  /** Stops at once (the outcome says `aborted`). */
  readonly signal?: AbortSignal;
}

export interface ClockLockStats {
  /** Audio frames have arrived (the lock ran). */
  readonly locked: boolean;
  /** Times the lock was taken again after the peer paused (no frame for LOCK_PERSIST_TICKS ticks). */
  readonly relocks: number;
  /** Ticks that sent two frames (the peer's clock runs faster than ours). */
  readonly extraFrames: number;
  /** Ticks that sent none (the peer's clock runs slower). */
  readonly withheldFrames: number;
  /** Frames arrived − frames sent when the last frame arrived, and its extremes while frames flowed. */
  readonly credit: number;
  readonly minCredit: number;
  readonly maxCredit: number;
  /** The peer's clock against ours from its frames' arrival times (PeerClockEstimate), ppm (positive: the peer runs fast); undefined before 10 s. */
  readonly peerPpm: number | undefined;
}

export interface GatewayDriverOutcome {
  /** Why it stopped. */
  readonly end: 'finished' | 'idle' | 'timeout' | 'aborted';
  readonly wallMs: number;
  readonly faxMs: number;
  readonly summary: GatewaySummary;
  readonly audio: {
    readonly datagramsSent: number;
    readonly datagramsReceived: number;
    readonly foreignDatagrams: number;
    readonly malformedDatagrams: number;
    readonly playout: Readonly<AudioPlayoutStats>;
  };
  readonly t38: {
    readonly datagramsSent: number;
    readonly datagramsReceived: number;
    readonly foreignDatagrams: number;
    readonly simulatedDrops: number;
  };
  readonly clock: ClockLockStats;
  /** Ticks that ran late by more than a frame (the process could not keep up). */
  readonly lateTicks: number;
  readonly socketErrors: number;
}

/** Credit (frames) the lock tolerates either way before it adds or withholds a frame (see the module comment). */
export const LOCK_THRESHOLD_FRAMES = 3;
/** Decision ticks the credit must stay beyond the threshold before a correction (0.5 s at 20 ms). */
export const LOCK_PERSIST_TICKS = 25;
/** Least idle time before the call's DCN, fax ms (T.30 T2 = 6 s ± 1 s, plus margin). */
export const MID_CALL_IDLE_MS = 7000;
/** Audio below this is silence for the idle rule (dBm0). */
const SILENCE_DBM0 = -50;
/** Most ticks run at once to catch up after the event loop stalled. */
const MAX_CATCH_UP = 10;
/** The peer's clock is estimated once this many frames have arrived (10 s at 20 ms). */
const PPM_MIN_FRAMES = 500;
/** Frames per block of the peer-clock estimate (5 s at 20 ms). */
const PPM_BLOCK = 250;

/**
 * The audio peer's clock from its frames' arrival times: frame k (by count, or RTP sequence)
 * arriving at t_k has the offset t_k − k·frameMs, which drifts by −frameMs·p per frame for a
 * clock p (relative) fast. Network and scheduling delay only ever add to an offset, so the
 * earliest arrival of a block is its best phase: the slope between the first block's minimum
 * and the latest full block's gives p, unbiased by a slow start or a stall.
 */
class PeerClockEstimate {
  private firstMin = Infinity;
  private firstK = 0;
  private blockMin = Infinity;
  private blockK = 0;
  private lastMin = Infinity;
  private lastK = 0;
  constructor(private readonly frameMs: number) {}
  reset(): void {
    this.firstMin = this.blockMin = this.lastMin = Infinity;
  }
  /** Frame `k` (0-based since the lock) arrived at fax ms `t`. */
  arrival(k: number, t: number): void {
    const off = t - k * this.frameMs;
    const block = Math.floor(k / PPM_BLOCK);
    if (block === 0) {
      if (off < this.firstMin) {
        this.firstMin = off;
        this.firstK = k;
      }
      return;
    }
    if (off < this.blockMin) {
      this.blockMin = off;
      this.blockK = k;
    }
    if (k % PPM_BLOCK === PPM_BLOCK - 1) {
      this.lastMin = this.blockMin;
      this.lastK = this.blockK;
      this.blockMin = Infinity;
    }
  }
  /** ppm (positive: the peer runs fast), once a block after the first is complete. */
  ppm(): number | undefined {
    if (this.lastMin === Infinity || this.firstMin === Infinity || this.lastK <= this.firstK) return undefined;
    return Math.round((-(this.lastMin - this.firstMin) / ((this.lastK - this.firstK) * this.frameMs)) * 1e6);
  }
}

async function resolve4(host: string): Promise<string> {
  return isIP(host) !== 0 ? host : (await lookup(host, { family: 4 })).address;
}

/** True unless the datagram's primary IFP is the no-signal indicator (or nothing readable). */
function carriesSignal(d: Uint8Array, version: T38Version): boolean {
  const u = decodeUdptl(d, { allowTrailingBytes: true });
  if (!u.ok) return false;
  const ifp = decodeIfp(u.value.primary, version);
  if (!ifp.ok) return false;
  return !(ifp.value.type === 't30-indicator' && ifp.value.indicator === 'no-signal');
}

/** Runs one gateway call until it is finished, idle, timed out or aborted. */
export async function runGateway(o: GatewayDriverOptions): Promise<GatewayDriverOutcome> {
  const gw = o.gateway;
  const speed = o.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const idleMs = (o.idleSec ?? 3) * 1000;
  if (!(idleMs > 0)) throw new RangeError(`idleSec must be > 0, got ${o.idleSec}`);
  const loss = o.t38.lossPercent ?? 0;
  const rng = xorshift32(o.t38.lossSeed ?? 1);
  const framing = new AudioFraming({ codec: o.audio.codec, ...(o.audio.rtp !== undefined ? { rtp: o.audio.rtp } : {}), ...(o.audio.frameMs !== undefined ? { frameMs: o.audio.frameMs } : {}) });
  const { samples, frameMs } = framing;
  const silencePower = dbm0ToPower(SILENCE_DBM0);

  let socketErrors = 0;
  const onSocketError = (): void => {
    socketErrors++;
  };
  const aSock: Socket = o.audio.socket ?? createSocket({ type: 'udp4', reuseAddr: false });
  const tSock: Socket = o.t38.socket ?? createSocket({ type: 'udp4', reuseAddr: false });
  aSock.on('error', onSocketError);
  tSock.on('error', onSocketError);
  const aFilter = new SourceFilter({ remote: { address: await resolve4(o.audio.remoteHost), port: o.audio.remotePort }, latch: o.audio.latch ?? false, isValid: (d) => framing.isValid(d) });
  const tFilter = new SourceFilter({ remote: { address: await resolve4(o.t38.remoteHost), port: o.t38.remotePort }, latch: o.t38.latch ?? false });
  if (!o.audio.socket) await bindUdp(aSock, o.audio.localPort, o.audio.localAddress ?? '0.0.0.0');
  if (!o.t38.socket) await bindUdp(tSock, o.t38.localPort, o.t38.localAddress ?? '0.0.0.0');
  o.onBound?.({ audio: aSock.address().port, t38: tSock.address().port });

  const playout = new AudioPlayout({ frameBytes: framing.payloadBytes, cushion: o.audio.cushion ?? 2, sequenced: framing.rtp });
  const rxPayload = new Uint8Array(framing.payloadBytes);
  const rxLinear = new Int16Array(samples);
  const txLinear = new Int16Array(samples);
  const a = { sent: 0, received: 0, malformed: 0 };
  const t = { sent: 0, received: 0, drops: 0 };
  let lateTicks = 0;

  // --- the clock lock (module comment)
  let arrived = 0; // frames the peer has sent since its first one (RTP: by sequence number)
  let lastSeq = 0; // RTP: the highest sequence number seen
  let lastArrival = 0; // fax ms of the latest arrival
  const peerClock = new PeerClockEstimate(frameMs);
  let sentSinceLock = 0;
  let locked = false;
  let runHigh = 0;
  let runLow = 0;
  let extraFrames = 0;
  let withheldFrames = 0;
  let minCredit = 0;
  let maxCredit = 0;
  let ticksSinceArrival = 0;
  let everLocked = false;
  let creditAtLastArrival = 0;
  let relocks = 0;

  // --- idle and the end
  const t0 = performance.now();
  const faxNow = (): number => (performance.now() - t0) * speed;
  let started = false;
  let dcnSeen = false;
  let lastActivity = 0;
  const activity = (): void => {
    started = true;
    lastActivity = faxNow();
  };

  const sendT38 = (): void => {
    for (const d of gw.takeOutput()) {
      t.sent++;
      const to: UdpEndpoint = tFilter.destination;
      tSock.send(d, to.port, to.address, (err) => {
        if (err) socketErrors++;
      });
    }
    for (const e of gw.takeEvents()) {
      if (e.type === 'dcn') dcnSeen = true;
      o.onEvent?.(e);
    }
  };

  let t38Timer: NodeJS.Timeout | undefined;
  let t38TimerAt: number | undefined;
  let stopped = false;
  const scheduleT38 = (): void => {
    const next = gw.nextTimeout();
    if (next === t38TimerAt || stopped) return;
    if (t38Timer !== undefined) clearTimeout(t38Timer);
    t38Timer = undefined;
    t38TimerAt = next;
    if (next === undefined) return;
    t38Timer = setTimeout(() => {
      t38Timer = undefined;
      t38TimerAt = undefined;
      if (stopped) return;
      gw.tick(Math.max(faxNow(), next));
      sendT38();
      scheduleT38();
    }, Math.max(0, (next - faxNow()) / speed));
  };

  aSock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (!aFilter.accept(bytes, rinfo)) return;
    a.received++;
    const f = framing.receive(bytes);
    if (!f.ok) {
      a.malformed++;
      return;
    }
    lastArrival = faxNow();
    ticksSinceArrival = 0;
    let newest = true; // this frame is the newest the peer has sent (not a late or reordered one)
    if (!locked) {
      if (everLocked) relocks++;
      everLocked = true;
      locked = true;
      lastSeq = f.seq;
      arrived = 1;
      sentSinceLock = 0;
      runHigh = 0;
      runLow = 0;
      peerClock.reset();
    } else if (framing.rtp) {
      // Arrivals by sequence number (the highest seen, extended past the 16-bit wrap), so a frame
      // lost or reordered on the way still counts as one the peer sent.
      const d = seqDiff(f.seq, lastSeq);
      if (d > 0) {
        arrived += d;
        lastSeq = f.seq;
      } else {
        newest = false;
      }
    } else {
      arrived++;
    }
    creditAtLastArrival = arrived - sentSinceLock;
    if (newest) peerClock.arrival(arrived - 1, lastArrival);
    if (playout.push(f.payload, f.seq) !== 'queued' && !framing.rtp) a.malformed++;
  });

  tSock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (!tFilter.accept(bytes, rinfo) || stopped) return;
    t.received++;
    // Compared in millionths, like the peer (xorshift32 % 1e6 < pct × 1e4).
    if (loss > 0 && rng() % 1_000_000 < loss * 10_000) {
      t.drops++;
      return;
    }
    if (carriesSignal(bytes, gw.version)) activity();
    gw.t38Receive(bytes, faxNow());
    sendT38();
    scheduleT38();
  });

  const sendAudio = (): void => {
    gw.audioTransmit(txLinear, 0, samples);
    const out = framing.encode(txLinear);
    a.sent++;
    if (locked) sentSinceLock++;
    const to: UdpEndpoint = aFilter.destination;
    aSock.send(out, to.port, to.address, (err) => {
      if (err) socketErrors++;
    });
  };

  /** One audio tick; `decide`: this tick may correct the clock lock. */
  const tick = (decide: boolean): void => {
    // Receive: one frame (two when catching up), none while the cushion refills.
    for (let k = 0; k < 2; k++) {
      if (k === 1 && !playout.catchUp) break;
      const r = playout.pop(rxPayload);
      if (r === 'empty') break;
      if (r === 'lost') {
        gw.audioReceive(null, 0, samples);
        continue;
      }
      framing.decode(rxPayload, rxLinear);
      let power = 0;
      for (let i = 0; i < samples; i++) {
        const v = rxLinear[i] as number;
        power += v * v;
      }
      if (power / samples >= silencePower) activity();
      gw.audioReceive(rxLinear, 0, samples);
    }
    // A peer that stopped sending (hung up, or silence suppression) is not a slow clock: the
    // transmit side runs free on the local clock and locks again from its next frame.
    if (locked && ++ticksSinceArrival > LOCK_PERSIST_TICKS) locked = false;
    // Transmit: one frame, or two / none to follow the peer's clock.
    let frames = 1;
    if (locked && decide) {
      const credit = arrived - sentSinceLock;
      // Extremes while frames flow (a peer that just stopped makes the credit fall until the lock lets go).
      if (ticksSinceArrival <= 2) {
        if (credit < minCredit) minCredit = credit;
        if (credit > maxCredit) maxCredit = credit;
      }
      runHigh = credit > LOCK_THRESHOLD_FRAMES ? runHigh + 1 : 0;
      runLow = credit < -LOCK_THRESHOLD_FRAMES ? runLow + 1 : 0;
      if (runHigh >= LOCK_PERSIST_TICKS) {
        frames = 2;
        extraFrames++;
      } else if (runLow >= LOCK_PERSIST_TICKS) {
        frames = 0;
        withheldFrames++;
      }
    }
    for (let k = 0; k < frames; k++) sendAudio();
    if (gw.active) activity();
    sendT38();
    scheduleT38();
  };

  const periodWall = frameMs / speed;
  let ticks = 0;
  let end: GatewayDriverOutcome['end'] = 'timeout';
  await new Promise<void>((resolveRun) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (why: GatewayDriverOutcome['end']): void => {
      end = why;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (t38Timer !== undefined) clearTimeout(t38Timer);
      timer = undefined;
      clearTimeout(timeout);
      o.signal?.removeEventListener('abort', onAbort);
      resolveRun();
    };
    const timeout = setTimeout(() => stop('timeout'), o.timeoutMs ?? 300_000);
    const onAbort = (): void => stop('aborted');
    if (o.signal?.aborted) {
      onAbort();
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const step = (): void => {
      timer = undefined;
      const due = Math.floor((performance.now() - t0) / periodWall) + 1;
      if (due - ticks > 1) lateTicks++;
      let n = 0;
      while (ticks < due && n < MAX_CATCH_UP) {
        tick(n === 0);
        ticks++;
        n++;
        if (gw.finished) {
          stop('finished');
          return;
        }
      }
      if (ticks < due) ticks = due; // too far behind: skip the rest rather than spin
      if (started && faxNow() - lastActivity >= (dcnSeen ? idleMs : Math.max(idleMs, MID_CALL_IDLE_MS))) {
        stop('idle');
        return;
      }
      timer = setTimeout(step, Math.max(0, t0 + ticks * periodWall - performance.now()));
    };
    step();
  });

  const wallMs = performance.now() - t0;
  const outcome: GatewayDriverOutcome = {
    end,
    wallMs,
    faxMs: ticks * frameMs,
    summary: gw.summary(),
    audio: { datagramsSent: a.sent, datagramsReceived: a.received, foreignDatagrams: aFilter.getStats().foreign, malformedDatagrams: a.malformed, playout: playout.getStats() },
    t38: { datagramsSent: t.sent, datagramsReceived: t.received, foreignDatagrams: tFilter.getStats().foreign, simulatedDrops: t.drops },
    clock: {
      locked: everLocked,
      relocks,
      extraFrames,
      withheldFrames,
      credit: creditAtLastArrival,
      minCredit,
      maxCredit,
      // Frames the peer sent against the frames of our local clock over the same fax time.
      peerPpm: everLocked && arrived >= PPM_MIN_FRAMES ? peerClock.ppm() : undefined,
    },
    lateTicks,
    socketErrors,
  };
  await Promise.all([new Promise<void>((r) => aSock.close(() => r())), new Promise<void>((r) => tSock.close(() => r()))]);
  return outcome;
}
