/**
 * Durable receiving for `faxwire receive`: every page is on disk before the far end hears it
 * was received. The T.30 engine runs in confirm-after-store mode (T30EngineOptions
 * `confirmAfterStore`): it hands over each complete page (`page-rx-end`) *before* answering it;
 * `StoringTerminal` writes it and then tells the engine `confirmPage(true)` (→ MCF) or, when the
 * write failed, `confirmPage(false, 'ENOSPC …')` (→ DCN instead of MCF, result
 * 'page-not-stored', T.30 §5.3.6.1.8). ECM holds the answer with RNR meanwhile (Annex A);
 * non-ECM for at most 2 s (inside the sender's T4).
 *
 * How the file stays whole: TIFF, PDF and PBM are one file for the whole fax, so each new page
 * rewrites the whole file — temporary file in the same directory, fsync, rename over the name
 * (src/node/atomic-file.ts). A failed write leaves the file as it was after the previous page:
 * every confirmed page stays readable, nothing is ever truncated. (Rewriting costs O(pages²)
 * bytes; a fax is tens of pages of ~50 kB, so that is a few MB at most. Per-page files
 * assembled at the end would need one more write that can fail after the sender was told MCF.)
 * PNG is one file per page, each written the same way.
 */

import { writeDocument, type FaxPage, type OutputFormat } from '../image/document.js';
import type { AudioTerminal } from '../fax/terminal/audio-terminal.js';
import type { T38Terminal } from '../fax/terminal/t38-terminal.js';
import type { DrivenAudioTerminal } from '../node/audio-driver.js';
import type { DrivenTerminal } from '../node/real-time-loop.js';
import type { T30Event } from '../t30/engine.js';
import { pageFileNames, writePages, type FileWriter } from './pages-out.js';

/** The pages of one received fax, kept on disk after each page. */
export class ReceivedPageStore {
  /** Pages stored (on disk) so far. */
  readonly pages: FaxPage[] = [];
  /** The files written (the one document, or one per page). */
  files: string[] = [];
  /** Why the last page could not be stored (the file error), if it could not. */
  error: string | undefined;
  /** Pages the engine delivered that were rejected for copy quality (RTN: they come again). */
  rejected = 0;

  constructor(
    private readonly out: string,
    private readonly format: OutputFormat,
    private readonly writer?: FileWriter,
  ) {}

  /**
   * Loads and runs the encoder once on a blank page before the call (PDF loads pdf-lib: a few
   * hundred ms of compilation that must not stall the call's loop while a page waits for MCF —
   * at `--speed 20` that is seconds of fax time).
   */
  async prepare(): Promise<void> {
    const blank: FaxPage = { bitmap: { width: 1728, height: 8, stride: 216, data: new Uint8Array(216 * 8) } };
    await writeDocument([blank], this.format);
  }

  /** Writes the fax with `page` added; resolves once it is synced to disk, rejects (and keeps nothing of it) when not. */
  async store(page: FaxPage): Promise<void> {
    const writer = this.writer !== undefined ? { writer: this.writer } : {};
    if (this.format === 'png') {
      const name = pageFileNames(this.out, this.pages.length + 1, true)[this.pages.length] ?? this.out;
      await writePages(name, 'png', [page], writer);
      this.files = [...this.files, name];
    } else {
      this.files = await writePages(this.out, this.format, [...this.pages, page], writer);
    }
    this.pages.push(page);
  }

  /** Concealed (bad) rows over the stored pages. */
  get badRows(): number {
    let n = 0;
    for (const p of this.pages) n += p.quality?.badRows ?? 0;
    return n;
  }
}

/** Fax ms between looks at a write under way (the loop's timer is the only way back in). */
const STORE_POLL_MS = 10;

/**
 * The writes under way for one call: pages go in as the engine delivers them (`page-rx-end`),
 * one write at a time, in order; `drain` gives the engine each finished write's outcome.
 */
class PageWrites {
  private chain: Promise<void> = Promise.resolve();
  pending = 0;
  private readonly outcomes: { readonly stored: boolean; readonly detail: string }[] = [];

  constructor(private readonly store: ReceivedPageStore) {}

  /** Starts a write for every accepted page among `events`. */
  take(events: readonly T30Event[]): void {
    for (const e of events) {
      if (e.type !== 'page-rx-end') continue;
      if (!e.accepted) {
        this.store.rejected++;
        continue;
      }
      const page: FaxPage = { bitmap: e.bitmap, quality: { badRows: e.badRows, longestBadRun: e.longestBadRun } };
      this.pending++;
      this.chain = this.chain.then(
        () =>
          this.store.store(page).then(
            () => void this.outcomes.push({ stored: true, detail: '' }),
            (err: unknown) => {
              const why = err instanceof Error ? err.message : String(err);
              this.store.error = why;
              this.outcomes.push({ stored: false, detail: why });
            },
          ),
      );
    }
  }

  /** Hands each finished write's outcome to `confirm` (→ the engine's `confirmPage`). */
  drain(confirm: (stored: boolean, detail: string) => void): void {
    for (let o = this.outcomes.shift(); o !== undefined; o = this.outcomes.shift()) {
      this.pending--;
      confirm(o.stored, o.detail);
    }
  }

  async settled(): Promise<void> {
    await this.chain;
  }
}

/**
 * A T38Terminal as the drivers see it (`DrivenTerminal`), which stores every accepted page
 * before the engine confirms it. The write is asynchronous; the driver's loop calls in again at
 * `nextTimeout()`, which stays at most STORE_POLL_MS away while a write is under way, and the
 * outcome is given to the engine (`confirmPage`) at that next call.
 */
export class StoringTerminal implements DrivenTerminal<T30Event> {
  private readonly writes: PageWrites;
  private lastNow = 0;

  constructor(
    readonly terminal: T38Terminal,
    readonly store: ReceivedPageStore,
  ) {
    this.writes = new PageWrites(store);
  }

  start(now: number): void {
    this.lastNow = now;
    this.terminal.start(now);
  }

  receive(bytes: Uint8Array, now: number): void {
    this.apply(now);
    this.terminal.receive(bytes, now);
  }

  tick(now: number): void {
    this.apply(now);
    this.terminal.tick(now);
  }

  nextTimeout(): number | undefined {
    const t = this.terminal.nextTimeout();
    if (this.writes.pending === 0) return t;
    const poll = this.lastNow + STORE_POLL_MS;
    return t === undefined ? poll : Math.min(t, poll);
  }

  takeOutput(): Uint8Array[] {
    return this.terminal.takeOutput();
  }

  takeEvents(): T30Event[] {
    const events = this.terminal.takeEvents();
    this.writes.take(events);
    return events;
  }

  get done(): boolean {
    return this.terminal.done;
  }

  get result(): unknown {
    return this.terminal.result;
  }

  abort(now: number, why: 'local' | 'remote'): void {
    this.terminal.abort(now, why);
  }

  /** Resolves once every write started so far has finished. */
  async settled(): Promise<void> {
    await this.writes.settled();
  }

  /** Gives the engine the outcome of each write finished since the last call. */
  private apply(now: number): void {
    this.lastNow = Math.max(this.lastNow, now);
    this.writes.drain((stored, detail) => this.terminal.confirmPage(stored, now, detail));
  }
}

/**
 * The same for an AudioTerminal (`DrivenAudioTerminal`): the audio driver calls in every frame,
 * so each finished write is confirmed within one frame.
 */
export class StoringAudioTerminal implements DrivenAudioTerminal<T30Event> {
  private readonly writes: PageWrites;

  constructor(
    readonly terminal: AudioTerminal,
    readonly store: ReceivedPageStore,
  ) {
    this.writes = new PageWrites(store);
  }

  start(): void {
    this.terminal.start();
  }

  receive(input: Int16Array | null, offset?: number, n?: number): void {
    this.apply();
    this.terminal.receive(input, offset, n);
  }

  transmit(output: Int16Array, offset?: number, n?: number): void {
    this.apply();
    this.terminal.transmit(output, offset, n);
  }

  takeEvents(): T30Event[] {
    const events = this.terminal.takeEvents();
    this.writes.take(events);
    return events;
  }

  get done(): boolean {
    return this.terminal.done;
  }

  get result(): unknown {
    return this.terminal.result;
  }

  abort(why: 'local' | 'remote'): void {
    this.terminal.abort(why);
  }

  async settled(): Promise<void> {
    await this.writes.settled();
  }

  private apply(): void {
    this.writes.drain((stored, detail) => this.terminal.confirmPage(stored, detail));
  }
}
