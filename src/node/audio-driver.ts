/**
 * Runs a sans-IO audio fax terminal on a real UDP socket: one audio frame per datagram (20 ms
 * by default), 16-bit linear little-endian ("slin", 320 octets) or G.711 A-law/µ-law (160
 * octets), optionally behind a 12-byte RTP header (RFC 3550 §5.1; PT 8 = PCMA, 0 = PCMU,
 * RFC 3551 Table 4) — the framing of the spandsp reference peer's `audiofax`, so each can call
 * the other. Both directions use the one socket (symmetric, like RTP).
 *
 * The clock: a tick every `frameMs / speed` wall ms, on absolute deadlines (no drift from timer
 * lateness; a late tick is caught up at once, a few at a time). Each tick the play-out buffer
 * (src/rtp/playout.ts) gives the receive side zero, one or two frames — zero while it refills
 * after an underrun (no silence is ever inserted into what the modems hear), two when the far
 * end's clock runs fast and frames pile up — and the transmit side always sends exactly one.
 * With RTP a frame that never came is ridden through (`fillIn`).
 *
 * The framing (sizes, RTP header, G.711 coding) is audio-frames.ts, shared with the gateway's
 * driver.
 *
 * Media from the right place only (as udp-driver.ts): datagrams from the signalled remote, or
 * with `latch` from the first source of a well-formed frame.
 */

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

import type { AudioCodec } from '../fax/terminal/audio-terminal.js';
import { AudioPlayout, type AudioPlayoutStats } from '../rtp/playout.js';
import { SourceFilter, type UdpEndpoint } from '../t38/source-filter.js';
import { AudioFraming, type AudioLegOptions } from './audio-frames.js';
import { bindUdp } from './udp-driver.js';

/** What the driver needs from an audio terminal (`AudioTerminal` implements it). */
export interface DrivenAudioTerminal<E> {
  start(): void;
  receive(input: Int16Array | null, offset?: number, n?: number): void;
  transmit(output: Int16Array, offset?: number, n?: number): void;
  takeEvents(): E[];
  readonly done: boolean;
  readonly result?: unknown;
  abort?(why: 'local' | 'remote'): void;
}

export interface AudioDriverOptions<E> extends Omit<AudioLegOptions, 'codec'> {
  readonly terminal: DrivenAudioTerminal<E>;
  readonly codec: AudioCodec;
  readonly speed?: number;
  readonly timeoutMs?: number;
  readonly onEvent?: (e: E) => void;
  readonly onBound?: (port: number) => void;
  /** Stops the call at once: the outcome says `aborted`; the terminal is not aborted (no DCN). */
  readonly signal?: AbortSignal;
  /** Hangs up gracefully: the terminal ends the call (DCN) and the driver finishes normally. */
  readonly hangup?: AbortSignal;
  /**
   * With `socket`: leave it open at the end, with the driver's listeners taken off, for the
   * caller to use again. Default false (closed). With `signal` this is the mid-call switch of a
   * SIP call from audio to T.38 (re-INVITE, T.38 Annex D): stop the audio terminal without a
   * DCN, keep the RTP port (the re-INVITE may fail with 488 and audio go on), start a T.38
   * terminal on its own socket.
   */
  readonly keepSocket?: boolean;
}

export interface AudioDriverOutcome {
  readonly finished: boolean;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly wallMs: number;
  readonly faxMs: number;
  readonly datagramsSent: number;
  readonly datagramsReceived: number;
  readonly foreignDatagrams: number;
  readonly malformedDatagrams: number;
  readonly socketErrors: number;
  /** Ticks that ran late by more than a frame (the process could not keep up). */
  readonly lateTicks: number;
  readonly playout: Readonly<AudioPlayoutStats>;
}

/** Most ticks run at once to catch up after the event loop stalled. */
const MAX_CATCH_UP = 10;

export async function runAudioTerminal<E>(o: AudioDriverOptions<E>): Promise<AudioDriverOutcome> {
  const speed = o.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const framing = new AudioFraming({ codec: o.codec, ...(o.rtp !== undefined ? { rtp: o.rtp } : {}), ...(o.frameMs !== undefined ? { frameMs: o.frameMs } : {}) });
  const { samples, payloadBytes, frameMs } = framing;

  const sock: Socket = o.socket ?? createSocket({ type: 'udp4', reuseAddr: false });
  let socketErrors = 0;
  const onError = (): void => {
    socketErrors++;
  };
  sock.on('error', onError);
  const remoteAddress = isIP(o.remoteHost) !== 0 ? o.remoteHost : (await lookup(o.remoteHost, { family: 4 })).address;
  // Valid for latching: a datagram of exactly one frame (with a decodable RTP header when RTP).
  const filter = new SourceFilter({ remote: { address: remoteAddress, port: o.remotePort }, latch: o.latch ?? false, isValid: (d) => framing.isValid(d) });
  if (!o.socket) await bindUdp(sock, o.localPort, o.localAddress ?? '0.0.0.0');
  o.onBound?.(sock.address().port);

  const playout = new AudioPlayout({ frameBytes: payloadBytes, cushion: o.cushion ?? 2, sequenced: framing.rtp });
  const rxPayload = new Uint8Array(payloadBytes);
  const rxLinear = new Int16Array(samples);
  const txLinear = new Int16Array(samples);
  let datagramsSent = 0;
  let datagramsReceived = 0;
  let malformed = 0;
  let lateTicks = 0;

  const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (!filter.accept(bytes, rinfo)) return;
    datagramsReceived++;
    const f = framing.receive(bytes);
    if (!f.ok) malformed++;
    // With RTP a late or duplicate frame is the play-out's business (counted there), not malformed.
    else if (playout.push(f.payload, f.seq) !== 'queued' && !framing.rtp) malformed++;
  };
  sock.on('message', onMessage);

  const send = (): void => {
    const out = framing.encode(txLinear);
    datagramsSent++;
    const to: UdpEndpoint = filter.destination;
    sock.send(out, to.port, to.address, (err) => {
      if (err) socketErrors++;
    });
  };

  const tick = (): void => {
    // Receive side: one frame (two when catching up), none while the cushion refills.
    for (let k = 0; k < 2; k++) {
      if (k === 1 && !playout.catchUp) break;
      const r = playout.pop(rxPayload);
      if (r === 'empty') break;
      if (r === 'lost') o.terminal.receive(null, 0, samples);
      else {
        framing.decode(rxPayload, rxLinear);
        o.terminal.receive(rxLinear, 0, samples);
      }
    }
    o.terminal.transmit(txLinear, 0, samples);
    send();
    const evs = o.terminal.takeEvents();
    if (o.onEvent) for (const e of evs) o.onEvent(e);
  };

  const t0 = performance.now();
  const periodWall = frameMs / speed;
  let ticks = 0;
  let timedOut = false;
  let aborted = false;
  let hungUp = false;
  const result = await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      resolve();
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutMs ?? 300_000);
    const onAbort = (): void => {
      aborted = true;
      clearTimeout(timeout);
      stop();
    };
    if (o.signal?.aborted) {
      onAbort();
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    o.hangup?.addEventListener('abort', () => {
      hungUp = true;
    }, { once: true });
    o.terminal.start();
    const step = (): void => {
      timer = undefined;
      if (hungUp) {
        hungUp = false;
        o.terminal.abort?.('local');
      }
      const due = Math.floor((performance.now() - t0) / periodWall) + 1;
      if (due - ticks > 1) lateTicks++;
      let n = 0;
      while (ticks < due && n < MAX_CATCH_UP) {
        tick();
        ticks++;
        n++;
        if (o.terminal.done) {
          clearTimeout(timeout);
          o.signal?.removeEventListener('abort', onAbort);
          stop();
          return;
        }
      }
      if (ticks < due) ticks = due; // too far behind: skip the rest rather than spin
      timer = setTimeout(step, Math.max(0, t0 + ticks * periodWall - performance.now()));
    };
    step();
  });
  void result;
  const outcome: AudioDriverOutcome = {
    finished: !timedOut && !aborted,
    timedOut,
    aborted,
    wallMs: performance.now() - t0,
    faxMs: ticks * frameMs,
    datagramsSent,
    datagramsReceived,
    foreignDatagrams: filter.getStats().foreign,
    malformedDatagrams: malformed,
    socketErrors,
    lateTicks,
    playout: playout.getStats(),
  };
  if (o.socket !== undefined && o.keepSocket === true) {
    sock.off('message', onMessage);
    sock.off('error', onError);
  } else await new Promise<void>((r) => sock.close(() => r()));
  return outcome;
}
