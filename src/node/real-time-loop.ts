/**
 * The real-time loop both drivers (udp-driver.ts, tcp-driver.ts) run a sans-IO terminal in: it
 * owns the fax clock and the one timer. Fax time runs `speed` times faster than the wall clock
 * (fax ms = speed × wall ms since the start); the loop is the one the terminal asks for:
 * `receive()` on each input, `tick()` at `nextTimeout()`, and after each call the terminal's
 * output goes to `send` and its events to `onEvent`. `run()` bounds the call by a wall-clock
 * timeout and honours an abort (stop at once) and a hang-up (the terminal ends the call, DCN).
 */

import { performance } from 'node:perf_hooks';

/** What the drivers need from a terminal (T38Terminal implements it). */
export interface DrivenTerminal<E> {
  start(now: number): void;
  receive(bytes: Uint8Array, now: number): void;
  tick(now: number): void;
  nextTimeout(): number | undefined;
  takeOutput(): Uint8Array[];
  takeEvents(): E[];
  readonly done: boolean;
  /** Set once the call has a result (phase E), even while the last packets still leave. */
  readonly result?: unknown;
  /** Hang up ('local': with DCN) or note that the far end is gone ('remote'). */
  abort?(now: number, why: 'local' | 'remote'): void;
}

/** How a driven call ended, as both drivers report it. */
export interface DriverOutcome {
  /** The terminal finished by itself (false: wall-clock timeout or abort). */
  readonly finished: boolean;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** Wall-clock duration, ms. */
  readonly wallMs: number;
  /** Fax-time duration, ms. */
  readonly faxMs: number;
  readonly datagramsSent: number;
  readonly datagramsReceived: number;
  readonly simulatedDrops: number;
  /** Socket errors seen (sends that failed, ICMP errors surfaced by the OS). */
  readonly socketErrors: number;
}

/** The bounds of one `run()`. */
export interface RunLimits {
  /** Wall-clock limit, ms. */
  readonly timeoutMs: number;
  /** Stops the call at once (`aborted`). */
  readonly signal?: AbortSignal | undefined;
  /** Hangs up gracefully: the terminal ends the call (DCN) and the loop finishes normally. */
  readonly hangup?: AbortSignal | undefined;
}

export class RealTimeLoop<E> {
  private readonly t0 = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;
  private doneResolve: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly terminal: DrivenTerminal<E>,
    private readonly speed: number,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly onEvent: ((e: E) => void) | undefined,
  ) {
    this.finished = new Promise<void>((resolve) => {
      this.doneResolve = resolve;
    });
  }

  /** Fax time now, ms. */
  now(): number {
    return (performance.now() - this.t0) * this.speed;
  }

  wallMs(): number {
    return performance.now() - this.t0;
  }

  private start(): void {
    this.started = true;
    this.terminal.start(this.now());
    this.after();
  }

  /**
   * Starts the terminal (unless `signal` is already aborted) and waits until it is done, the
   * timeout passes or `signal` aborts; `hangup` asks the terminal to end the call.
   */
  async run(limits: RunLimits): Promise<{ readonly timedOut: boolean; readonly aborted: boolean }> {
    let timedOut = false;
    let aborted = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      this.stop();
    }, limits.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      this.stop();
    };
    const onHangup = (): void => this.poke((now) => this.terminal.abort?.(now, 'local'));
    if (limits.signal?.aborted) onAbort();
    else limits.signal?.addEventListener('abort', onAbort, { once: true });
    if (!aborted) this.start();
    limits.hangup?.addEventListener('abort', onHangup, { once: true });
    await this.finished;
    limits.hangup?.removeEventListener('abort', onHangup);
    limits.signal?.removeEventListener('abort', onAbort);
    clearTimeout(timeout);
    return { timedOut, aborted };
  }

  /** Runs `f(faxNow)` against the terminal (e.g. an abort), then sends what it produced. */
  poke(f: (now: number) => void): void {
    if (this.stopped || !this.started) return;
    f(this.now());
    this.after();
  }

  input(bytes: Uint8Array): void {
    if (this.stopped || !this.started) return;
    this.terminal.receive(bytes, this.now());
    this.after();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.doneResolve?.();
  }

  private after(): void {
    for (const b of this.terminal.takeOutput()) this.send(b);
    if (this.onEvent) for (const e of this.terminal.takeEvents()) this.onEvent(e);
    else this.terminal.takeEvents();
    if (this.terminal.done) {
      this.stop();
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.terminal.nextTimeout();
    if (next === undefined) return;
    const wait = Math.max(0, (next - this.now()) / this.speed);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.terminal.tick(Math.max(this.now(), next));
      this.after();
    }, wait);
  }
}
