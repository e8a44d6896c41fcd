/**
 * A whole audio fax call in virtual time: two `AudioTerminal`s (caller and answerer) exchanging
 * 20 ms frames, each frame one frame late (a 20 ms path each way), through an optional per-frame
 * impairment (`channel`: G.711 coding, loss → `null`, a level change…). The answerer starts 300 ms
 * first, as in the spandsp peer's scripts. Runs until both are done or `limit` ms of fax time.
 */

import { AudioTerminal, type AudioTerminalOptions } from '../../src/fax/terminal/audio-terminal.js';
import type { T30Event } from '../../src/t30/engine.js';
import type { Bitmap } from '../../src/t4/bitmap.js';

export interface AudioCallOutcome {
  readonly caller: AudioTerminal;
  readonly answerer: AudioTerminal;
  readonly received: Bitmap[];
  readonly events: [T30Event[], T30Event[]];
  readonly endedAt: number;
}

export interface AudioCallOptions {
  readonly limit?: number;
  readonly frame?: number;
  /** What the path does to a frame going `to` 0 (caller) or 1 (answerer); null = lost. */
  readonly channel?: (frame: Int16Array, to: 0 | 1, index: number) => Int16Array | null;
}

export function runAudioCall(callerOpts: AudioTerminalOptions, answererOpts: AudioTerminalOptions, o: AudioCallOptions = {}): AudioCallOutcome {
  const limit = o.limit ?? 600_000;
  const frame = o.frame ?? 160;
  const a = new AudioTerminal(callerOpts);
  const b = new AudioTerminal(answererOpts);
  const events: [T30Event[], T30Event[]] = [[], []];
  const received: Bitmap[] = [];
  const outA = new Int16Array(frame);
  const outB = new Int16Array(frame);
  let toA: Int16Array | null = new Int16Array(frame);
  let toB: Int16Array | null = new Int16Array(frame);
  const silence = new Int16Array(frame);
  const take = (): void => {
    for (const e of a.takeEvents()) events[0].push(e);
    for (const e of b.takeEvents()) {
      events[1].push(e);
      if (e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
    }
  };
  b.start();
  // 300 ms of the answerer alone (its CED) before the caller starts.
  const head = Math.round(300 / (frame / 8));
  for (let i = 0; i < head; i++) b.process(silence, outB);
  a.start();
  let i = 0;
  for (; !(a.done && b.done) && a.now < limit; i++) {
    a.process(toA, outA);
    b.process(toB, outB);
    take();
    toA = o.channel ? o.channel(outB.slice(), 0, i) : outB.slice();
    toB = o.channel ? o.channel(outA.slice(), 1, i) : outA.slice();
  }
  take();
  return { caller: a, answerer: b, received, events, endedAt: a.now };
}
