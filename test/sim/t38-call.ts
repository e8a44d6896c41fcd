/**
 * A whole T.38 call in virtual time: two `T38Terminal`s (caller and answerer) through a
 * simulated network (`PacketNetwork`), run until both are done. The answerer starts 300 ms
 * first, as in the spandsp peer's scripts. Every layer's call tests use this one harness.
 */

import { T38Terminal, type T38TerminalOptions } from '../../src/fax/terminal/t38-terminal.js';
import type { T30Event } from '../../src/t30/engine.js';
import { getPixel, type Bitmap } from '../../src/t4/bitmap.js';
import type { PacketNetwork } from './network-api.js';

export interface T38CallOutcome {
  readonly caller: T38Terminal;
  readonly answerer: T38Terminal;
  /** Pages the answerer accepted, in order. */
  readonly received: Bitmap[];
  /** Each terminal's T.30 events: [caller, answerer]. */
  readonly events: [T30Event[], T30Event[]];
  /** Fax time when the run stopped. */
  readonly endedAt: number;
}

export interface T38CallOptions {
  /** Stop at this fax time (ms) even if the call is not over. Default 600 000. */
  readonly limit?: number;
  /** Called at every step of virtual time, before the terminals run (the application's doings). */
  readonly app?: (now: number, caller: T38Terminal, answerer: T38Terminal) => void;
}

export function runT38Call(callerOpts: T38TerminalOptions, answererOpts: T38TerminalOptions, net: PacketNetwork, o: T38CallOptions = {}): T38CallOutcome {
  const limit = o.limit ?? 600_000;
  const a = new T38Terminal(callerOpts);
  const b = new T38Terminal(answererOpts);
  const terms = [a, b] as const;
  const events: [T30Event[], T30Event[]] = [[], []];
  const received: Bitmap[] = [];
  const flush = (now: number): void => {
    terms.forEach((t, i) => {
      for (const d of t.takeOutput()) net.send(i === 0 ? 1 : 0, d, now);
      for (const e of t.takeEvents()) {
        events[i as 0 | 1].push(e);
        if (i === 1 && e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
      }
    });
  };
  b.start(0);
  a.start(300);
  flush(300);
  let now = 300;
  for (let guard = 0; guard < 2_000_000 && !(a.done && b.done) && now < limit; guard++) {
    const times = [a.done ? undefined : a.nextTimeout(), b.done ? undefined : b.nextTimeout(), net.next()].filter((x): x is number => x !== undefined);
    if (times.length === 0) break;
    now = Math.max(now, Math.min(...times));
    o.app?.(now, a, b);
    for (const p of net.due(now)) terms[p.to].receive(p.bytes, now);
    for (const t of terms) if (!t.done) t.tick(now);
    flush(now);
  }
  return { caller: a, answerer: b, received, events, endedAt: now };
}

/** Same size and the same pixel everywhere. */
export function samePixels(x: Bitmap, y: Bitmap): boolean {
  if (x.width !== y.width || x.height !== y.height) return false;
  for (let r = 0; r < x.height; r++) for (let c = 0; c < x.width; c++) if (getPixel(x, c, r) !== getPixel(y, c, r)) return false;
  return true;
}
