/**
 * Audio fax terminal (sans-IO): the T.30 engine (T.30 §5, T.4/T.6 pages, Annex A ECM) on an
 * audio line (`AudioLine`: V.21 ch 2 for control, V.27ter/V.29/V.17 for the message, CNG/CED)
 * over 8 kHz audio — linear 16-bit, or G.711 A-law/µ-law (G.711 §2/§3). What a fax machine is,
 * and the audio peer a T.38 gateway faces.
 *
 * The driver owns the transport and the clock. Audio is exchanged in frames (20 ms = 160
 * samples typical); each call moves one frame each way, so sample time is the fax clock:
 * ```
 *   terminal.start()
 *   every frame: terminal.process(received | null, toSend)   // null: the frame was lost
 *   read takeEvents(); stop when done
 * ```
 * The engine ⇄ line pump, the call's end and its linger are the shared `FaxSession`.
 */

import type { T30Event, T30Stats } from '../../t30/engine.js';
import type { T30Result } from '../../t30/result.js';
import type { G711Law } from '../../g711/index.js';
import { FaxwireError } from '../../util/errors.js';
import { createT30Engine, FaxSession, type FaxTerminalOptions, type T30EngineLike } from '../session.js';
import { AudioLine, type AudioLineStats, type AudioModemKit } from './audio-line.js';
import { FAXWIRE_MODEMS } from './modem-kit.js';

/** Audio coding on the wire: 16-bit linear (slin) or G.711. */
export type AudioCodec = 'slin' | G711Law;

export interface AudioTerminalOptions<E = T30Event> extends Partial<FaxTerminalOptions> {
  /** Run this engine instead of building a `T30Engine` from the fax options (tests). */
  readonly engine?: T30EngineLike<E>;
  /** Modems and tones (default: faxwire's). */
  readonly kit?: AudioModemKit;
  /** Transmit level, dBm0 (default −10). */
  readonly levelDbm0?: number;
  /** Talker echo protection tone before fast-modem training. */
  readonly tep?: boolean;
  /** Fax time the terminal lingers after the result (default 1000 ms: the far end hears our end). */
  readonly lingerMs?: number;
}

export interface AudioTerminalStats {
  readonly t30?: T30Stats;
  readonly line: Readonly<AudioLineStats>;
  framesReceived: number;
  framesLost: number;
  framesSent: number;
}

export class AudioTerminal<E = T30Event> {
  private readonly session: FaxSession<E>;
  private readonly line: AudioLine;
  private samples = 0;
  private readonly counters = { framesReceived: 0, framesLost: 0, framesSent: 0 };

  constructor(options: AudioTerminalOptions<E>) {
    let engine: T30EngineLike<E>;
    if (options.engine) {
      engine = options.engine;
    } else {
      if (options.role === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', 'AudioTerminal needs a role (or an engine)');
      engine = createT30Engine({ ...options, role: options.role }) as unknown as T30EngineLike<E>;
    }
    this.line = new AudioLine({
      kit: options.kit ?? FAXWIRE_MODEMS,
      ...(options.levelDbm0 !== undefined ? { levelDbm0: options.levelDbm0 } : {}),
      ...(options.tep !== undefined ? { tep: options.tep } : {}),
    });
    this.session = new FaxSession(engine, this.line, { lingerMs: options.lingerMs ?? 1000 });
  }

  /** Fax time now, ms (samples processed ÷ 8). */
  get now(): number {
    return this.samples / 8;
  }

  /** Starts the call (the calling party's CNG, the answering party's CED). */
  start(): void {
    this.session.start(this.now);
  }

  /**
   * Received audio: `n` samples at `input[offset…]`, or `input` null when a frame of `n` samples
   * was lost (the receivers ride through it, `fillIn`). Receive and transmit are separate so a
   * play-out buffer may feed the receive side late or twice in a tick without touching the
   * transmit clock.
   */
  receive(input: Int16Array | null, offset = 0, n = input === null ? 160 : input.length - offset): void {
    this.session.input(this.now, () => {
      if (input === null) {
        this.line.fillIn(n);
        this.counters.framesLost++;
      } else {
        this.line.receive(input, offset, n);
        this.counters.framesReceived++;
      }
    });
  }

  /** What to send: fills `n` samples at `output[offset…]` and advances fax time by them. */
  transmit(output: Int16Array, offset = 0, n = output.length - offset): void {
    this.line.transmit(output, offset, n);
    this.samples += n;
    this.counters.framesSent++;
    this.session.tick(this.now);
  }

  /** One frame each way (`input` null: lost). */
  process(input: Int16Array | null, output: Int16Array): void {
    this.receive(input, 0, input === null ? output.length : input.length);
    this.transmit(output);
  }

  /** Hang up ('local': DCN first) or note that the far end is gone ('remote'). */
  abort(why: 'local' | 'remote'): void {
    this.session.abort(this.now, why);
  }

  setReceiveReady(ready: boolean): void {
    this.session.setReceiveReady(ready, this.now);
  }

  confirmPage(stored: boolean, detail = ''): void {
    this.session.confirmPage(stored, this.now, detail);
  }

  takeEvents(): E[] {
    return this.session.takeEvents();
  }

  get result(): T30Result | undefined {
    return this.session.result;
  }

  get done(): boolean {
    return this.session.done;
  }

  getStats(): AudioTerminalStats {
    const t30 = this.session.engineStats();
    return { ...(t30 ? { t30 } : {}), line: this.line.getStats(), ...this.counters };
  }
}
