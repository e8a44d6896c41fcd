/**
 * FaxSession with a scripted engine and line: what goes where, in which order, and when the
 * call counts as done. The real engine and line run against each other in t38-terminal.test.ts.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FaxSession, type FaxSessionLine, type T30EngineLike } from '../../../src/fax/session.js';
import type { T30LineEvent, T30TxStep } from '../../../src/t30/line.js';
import type { T30Result } from '../../../src/t30/result.js';
import { FaxwireError } from '../../../src/util/errors.js';

/** A line that takes `stepMs` per step and logs what it is asked. */
class ScriptLine implements FaxSessionLine {
  readonly log: string[] = [];
  private readonly steps: { step: T30TxStep; endsAt: number }[] = [];
  private events: T30LineEvent[] = [];
  constructor(private readonly stepMs: number) {}
  queue(steps: readonly T30TxStep[], now: number): void {
    let t = this.steps.at(-1)?.endsAt ?? now;
    for (const step of steps) {
      t += this.stepMs;
      this.steps.push({ step, endsAt: t });
      this.log.push(`queue ${step.kind} @${now}`);
    }
  }
  tick(now: number): void {
    while (this.steps.length > 0 && (this.steps[0]?.endsAt ?? Infinity) <= now) {
      this.steps.shift();
      this.events.push({ kind: 'tx-done' });
    }
  }
  takeEvents(): T30LineEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }
  nextTimeout(): number | undefined {
    return this.steps[0]?.endsAt;
  }
  get pendingSteps(): number {
    return this.steps.length;
  }
  hear(ev: T30LineEvent): void {
    this.log.push(`hear ${ev.kind}`);
    this.events.push(ev);
  }
}

/** An engine that answers a received frame with one HDLC step and finishes after its tx-done. */
class ScriptEngine implements T30EngineLike<string> {
  result: T30Result | undefined;
  readonly log: string[] = [];
  private tx: T30TxStep[] = [];
  private events: string[] = [];
  private answered = false;
  start(now: number): void {
    this.tx.push({ kind: 'tone', tone: 'ced', ms: 100 });
    this.events.push(`start@${now}`);
  }
  handle(ev: T30LineEvent, now: number): void {
    this.log.push(`${ev.kind}@${now}`);
    if (ev.kind === 'hdlc-frame' && !this.answered) {
      this.answered = true;
      this.tx.push({ kind: 'hdlc', modulation: 'v21', frames: [Uint8Array.of(0xff, 0xc8, 0x31)] });
    } else if (ev.kind === 'tx-done' && this.answered) {
      this.result = { ok: true } as unknown as T30Result;
      this.events.push(`done@${now}`);
    }
  }
  tick(): void {}
  nextTimeout(): number | undefined {
    return this.answered ? undefined : 5000;
  }
  takeTx(): T30TxStep[] {
    const t = this.tx;
    this.tx = [];
    return t;
  }
  takeEvents(): string[] {
    const e = this.events;
    this.events = [];
    return e;
  }
  abort(now: number, why: 'local' | 'remote'): void {
    this.log.push(`abort ${why}@${now}`);
  }
}

describe('FaxSession: the engine ⇄ line pump', () => {
  it('takes steps to the line and line events to the engine until quiet; done after the linger', () => {
    const line = new ScriptLine(50);
    const engine = new ScriptEngine();
    const s = new FaxSession(engine, line, { lingerMs: 20 });
    assert.equal(s.nextTimeout(), undefined, 'nothing before start');
    s.start(0);
    assert.deepEqual(line.log, ['queue tone @0']);
    assert.equal(s.nextTimeout(), 50, 'the line is due before the engine (5000)');
    s.tick(50);
    assert.deepEqual(engine.log, ['tx-done@50']);
    s.input(70, () => line.hear({ kind: 'hdlc-frame', modulation: 'v21', frame: Uint8Array.of(0xff, 0x13, 0x80), ok: true }));
    // The frame reached the engine and its answer reached the line in the same call.
    assert.deepEqual(line.log.slice(1), ['hear hdlc-frame', 'queue hdlc @70']);
    const result = (): T30Result | undefined => s.result;
    assert.equal(result(), undefined);
    s.tick(120);
    assert.deepEqual(s.takeEvents(), ['start@0', 'done@120']);
    assert.equal(result()?.ok, true);
    assert.equal(s.done, false, 'lingers');
    assert.equal(s.nextTimeout(), 140);
    s.tick(140);
    assert.equal(s.done, true);
    assert.equal(s.nextTimeout(), undefined);
  });

  it('input: the line catches up to `now` before the new input reaches it', () => {
    const line = new ScriptLine(50);
    const engine = new ScriptEngine();
    const s = new FaxSession(engine, line);
    s.start(0);
    s.input(60, () => line.hear({ kind: 'no-signal' }));
    assert.deepEqual(engine.log, ['tx-done@60', 'no-signal@60']);
  });

  it('abort is passed to the engine; calls before start() are misuse', () => {
    const engine = new ScriptEngine();
    const s = new FaxSession(engine, new ScriptLine(10));
    const misuse = (f: () => void): void => assert.throws(f, (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
    misuse(() => s.tick(0));
    misuse(() => s.input(0, () => undefined));
    misuse(() => s.abort(0, 'local'));
    s.start(0);
    misuse(() => s.start(1));
    s.abort(5, 'remote');
    assert.deepEqual(engine.log, ['abort remote@5']);
  });
});
