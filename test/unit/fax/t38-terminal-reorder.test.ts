/**
 * The T.38 terminal's UDPTL reorder window, in virtual time: terminal ↔ terminal over a network
 * that makes chosen datagrams arrive after a given number of later ones. Overtaken by no more
 * than the window (and within its time bound), a datagram is used where it belongs — counted
 * `reordered`, nothing lost, pages pixel-identical even without redundancy. Overtaken by more,
 * its seq is given up: redundancy restores it, or, without redundancy, it is counted lost and
 * T.30 (ECM) repairs the page.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T38Terminal, type T38TerminalOptions } from '../../../src/fax/terminal/t38-terminal.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';

/**
 * How the network reorders: every `every`-th new seq (among datagrams of at least `minBytes`
 * octets) waits until `overtakers` later seqs have passed it, or `maxExtraMs` at most.
 */
interface Reordering {
  readonly every: number;
  readonly overtakers: number;
  readonly maxExtraMs: number;
  /** 40 picks image data (54-octet chunks at 14 400 bit/s), sparing the 1-octet V.21 IFPs. */
  readonly minBytes?: number;
}

const DELAY_MS = 20;

interface Held {
  readonly seq: number;
  readonly copies: Uint8Array[];
  readonly dueAt: number;
  readonly passed: Set<number>;
}

/** One direction of the network. UDPTL datagrams start with their 16-bit seq (T.38 §9.1). */
class ReorderingPath {
  readonly arrivals: { at: number; bytes: Uint8Array }[] = [];
  private held: Held | undefined;
  private lastSeq = -1;
  private newSeqs = 0;
  heldCount = 0;

  constructor(private readonly r: Reordering) {}

  send(bytes: Uint8Array, now: number): void {
    const seq = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    const at = now + DELAY_MS;
    const h = this.held;
    if (h && seq === h.seq) {
      h.copies.push(bytes); // spandsp-style repeats of the held seq wait with it
      return;
    }
    if (seq !== this.lastSeq && bytes.length >= (this.r.minBytes ?? 0)) this.newSeqs++;
    const fresh = seq !== this.lastSeq;
    this.lastSeq = seq;
    if (h) {
      this.arrivals.push({ at, bytes });
      h.passed.add(seq);
      if (h.passed.size >= this.r.overtakers) this.release(at);
      return;
    }
    if (fresh && bytes.length >= (this.r.minBytes ?? 0) && this.newSeqs % this.r.every === 0) {
      this.held = { seq, copies: [bytes], dueAt: at, passed: new Set() };
      this.heldCount++;
      return;
    }
    this.arrivals.push({ at, bytes });
  }

  next(): number | undefined {
    let t = this.held ? this.held.dueAt + this.r.maxExtraMs : undefined;
    for (const a of this.arrivals) if (t === undefined || a.at < t) t = a.at;
    return t;
  }

  due(now: number): Uint8Array[] {
    if (this.held && this.held.dueAt + this.r.maxExtraMs <= now) this.release(this.held.dueAt + this.r.maxExtraMs);
    const out = this.arrivals.filter((a) => a.at <= now);
    for (const a of out) this.arrivals.splice(this.arrivals.indexOf(a), 1);
    return out.map((a) => a.bytes);
  }

  /** The held datagrams arrive just after the one that overtook them last. */
  private release(at: number): void {
    for (const c of this.held?.copies ?? []) this.arrivals.push({ at: at + 0.5, bytes: c });
    this.held = undefined;
  }
}

interface Outcome {
  readonly caller: T38Terminal;
  readonly answerer: T38Terminal;
  readonly received: Bitmap[];
  readonly held: number;
}

function call(caller: T38TerminalOptions, answerer: T38TerminalOptions, r: Reordering): Outcome {
  const terms = [new T38Terminal(caller), new T38Terminal(answerer)] as const;
  const paths = [new ReorderingPath(r), new ReorderingPath(r)] as const; // paths[i]: towards terms[i]
  const received: Bitmap[] = [];
  const move = (now: number): void => {
    terms.forEach((t, i) => {
      for (const d of t.takeOutput()) paths[i === 0 ? 1 : 0].send(d, now);
      for (const e of t.takeEvents()) if (i === 1 && e.type === 'page-rx-end' && e.accepted) received.push(e.bitmap);
    });
  };
  terms[1].start(0);
  terms[0].start(300);
  move(300);
  let now = 300;
  for (let guard = 0; guard < 1_000_000 && !(terms[0].done && terms[1].done) && now < 600_000; guard++) {
    const times = [...terms.map((t) => (t.done ? undefined : t.nextTimeout())), ...paths.map((p) => p.next())].filter((x): x is number => x !== undefined);
    if (times.length === 0) break;
    now = Math.max(now, Math.min(...times));
    for (const d of paths[0].due(now)) terms[0].receive(d, now);
    for (const d of paths[1].due(now)) terms[1].receive(d, now);
    for (const t of terms) if (!t.done) t.tick(now);
    move(now);
  }
  return { caller: terms[0], answerer: terms[1], received, held: paths[0].heldCount + paths[1].heldCount };
}

function page(n: number): Bitmap {
  const b = createBitmap(1728, 300, { x: 204, y: 196 });
  fillRect(b, 20, 20, 1688, 4, true);
  drawText(b, 60, 50, `reorder window test page ${n}`, 4, 4);
  for (let i = 0; i < 6; i++) drawText(b, 60, 110 + i * 26, `row ${i} of page ${n}: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ`, 2, 3);
  for (let x = 0; x < 30; x++) fillRect(b, 1200 + x * 12, 100 + (x % 5) * 20, 6, 120, (x + n) % 3 !== 0);
  return b;
}

function samePixels(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) if (getPixel(a, x, y) !== getPixel(b, x, y)) return false;
  return true;
}

function assertPages(o: Outcome, pages: Bitmap[]): void {
  const diag = `caller ${JSON.stringify(o.caller.result)} answerer ${JSON.stringify(o.answerer.result)}`;
  assert.equal(o.caller.result?.ok, true, diag);
  assert.equal(o.answerer.result?.ok, true, diag);
  assert.equal(o.received.length, pages.length, diag);
  o.received.forEach((r, i) => assert.ok(samePixels(r, pages[i] ?? r), `page ${i + 1} pixel-identical`));
}

const none = { mode: 'none' } as const;
const red3 = { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } } as const;
/** Within the default window (2 datagrams) and its time bound (60 ms). */
const withinWindow: Reordering = { every: 10, overtakers: 2, maxExtraMs: 40 };
/** Image data overtaken by 4 later seqs: beyond the default window. */
const beyondWindow: Reordering = { every: 10, overtakers: 4, maxExtraMs: 400, minBytes: 40 };

describe('T38Terminal: UDPTL reorder window', () => {
  const pages = [page(1), page(2)];

  for (const ecm of [true, false]) {
    it(`overtaken within the window, no redundancy, ${ecm ? 'ECM' : 'non-ECM'}: every datagram is used, none lost, pages pixel-identical`, () => {
      const o = call({ role: 'calling', send: { pages }, ecm, errorCorrection: none }, { role: 'answering', receive: true, ecm, errorCorrection: none }, withinWindow);
      assertPages(o, pages);
      assert.ok(o.held > 20, `the network reordered (${o.held} held back)`);
      for (const t of [o.caller, o.answerer]) {
        const s = t.getStats();
        assert.equal(s.udptlRx?.lost, 0);
        assert.equal(s.udptlRx?.late, 0);
        assert.equal(s.lostIfps, 0);
      }
      const rx = o.answerer.getStats().udptlRx;
      assert.ok((rx?.reordered ?? 0) > 10, `reordered datagrams recovered in order: ${JSON.stringify(rx)}`);
    });
  }

  it('the same network with reorderWindow 0 (spandsp, Asterisk): the overtaken datagrams come too late and are lost', () => {
    const o = call(
      { role: 'calling', send: { pages }, errorCorrection: none, reorderWindow: 0 },
      { role: 'answering', receive: true, errorCorrection: none, reorderWindow: 0 },
      { ...withinWindow, minBytes: 40 }, // image data only, so that the call gets that far (ECM repairs it)
    );
    const rx = o.answerer.getStats().udptlRx;
    assert.equal(rx?.reordered, 0);
    assert.ok((rx?.lost ?? 0) > 10 && (rx?.late ?? 0) > 10, JSON.stringify(rx));
    assert.ok(o.answerer.getStats().lostIfps > 10);
  });

  it('overtaken beyond the window, redundancy 3: restored from the secondaries, the late primary dropped', () => {
    const o = call({ role: 'calling', send: { pages }, errorCorrection: red3 }, { role: 'answering', receive: true, errorCorrection: red3 }, beyondWindow);
    assertPages(o, pages);
    const rx = o.answerer.getStats().udptlRx;
    assert.ok((rx?.recoveredFromSecondary ?? 0) > 10, JSON.stringify(rx));
    assert.ok((rx?.late ?? 0) > 10, 'the overtaken primaries arrived after their turn');
    assert.equal(rx?.lost, 0);
    assert.equal(o.answerer.getStats().lostIfps, 0);
  });

  it('overtaken beyond the window, no redundancy, ECM: counted lost and late; T.30 repairs the pages', () => {
    const o = call({ role: 'calling', send: { pages }, errorCorrection: none }, { role: 'answering', receive: true, errorCorrection: none }, beyondWindow);
    assertPages(o, pages);
    const s = o.answerer.getStats();
    assert.ok((s.udptlRx?.lost ?? 0) > 10 && (s.udptlRx?.late ?? 0) > 10, JSON.stringify(s.udptlRx));
    assert.equal(s.lostIfps, s.udptlRx?.lost, 'the terminal saw every given-up seq as a loss');
  });

  it('the time bound: inside a large window, a missing seq is still given up after reorderHoldMs', () => {
    // The network holds chosen datagrams until 3 later seqs have passed (about 60–90 ms at the
    // paced rate, 400 ms at most); the terminal waits 50 ms.
    const o = call(
      { role: 'calling', send: { pages: [page(1)] }, errorCorrection: none, reorderWindow: 64, reorderHoldMs: 50 },
      { role: 'answering', receive: true, errorCorrection: none, reorderWindow: 64, reorderHoldMs: 50 },
      { every: 10, overtakers: 3, maxExtraMs: 400, minBytes: 40 },
    );
    assertPages(o, [page(1)]);
    const rx = o.answerer.getStats().udptlRx;
    // With a 64-datagram window only the 50 ms bound can have given these up.
    assert.ok((rx?.lost ?? 0) > 0 && (rx?.late ?? 0) > 0, JSON.stringify(rx));
  });
});
