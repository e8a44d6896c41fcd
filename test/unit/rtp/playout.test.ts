/**
 * The audio play-out buffer (src/rtp/playout.ts): prefill, underrun without inserted silence,
 * reordering undone by RTP sequence, loss declared only past the cushion, late and duplicate
 * frames dropped, catch-up when frames pile up, the 16-bit sequence wrap, and a sequence jump.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AudioPlayout } from '../../../src/rtp/playout.js';

const frame = (v: number, n = 4): Uint8Array => new Uint8Array(n).fill(v & 0xff);

/** Pops until 'empty', returning what was played: the frame's first octet, or 'L' for lost. */
function drain(p: AudioPlayout, max = 100): (number | 'L')[] {
  const out: (number | 'L')[] = [];
  const buf = new Uint8Array(p.frameBytes);
  for (let i = 0; i < max; i++) {
    const r = p.pop(buf);
    if (r === 'empty') break;
    out.push(r === 'lost' ? 'L' : (buf[0] as number));
  }
  return out;
}

describe('AudioPlayout', () => {
  it('waits for the cushion before playing, then plays in order (unsequenced)', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2 });
    const buf = new Uint8Array(4);
    p.push(frame(1));
    assert.equal(p.pop(buf), 'empty', 'one frame is below the cushion');
    p.push(frame(2));
    assert.deepEqual(drain(p), [1, 2]);
    assert.equal(p.getStats().underruns, 1, 'running dry after playing counts as an underrun');
  });

  it('after an underrun it refills the cushion before playing again — nothing is invented', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2 });
    p.push(frame(1));
    p.push(frame(2));
    assert.deepEqual(drain(p), [1, 2]);
    p.push(frame(3));
    assert.deepEqual(drain(p), [], 'one frame after an underrun is not enough');
    p.push(frame(4));
    assert.deepEqual(drain(p), [3, 4]);
    assert.equal(p.getStats().framesPlayed, 4);
  });

  it('puts reordered RTP frames back in order', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2, sequenced: true });
    for (const s of [100, 102, 101, 103]) p.push(frame(s), s);
    assert.deepEqual(drain(p), [100, 101, 102, 103]);
    assert.equal(p.getStats().framesLost, 0);
  });

  it('declares a hole lost only once more than the cushion of later frames arrived', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2, sequenced: true });
    p.push(frame(10), 10);
    p.push(frame(12), 12);
    // 10 plays; 11 is missing with only one later frame (12) queued: wait, it may be late.
    assert.deepEqual(drain(p), [10]);
    p.push(frame(13), 13);
    p.push(frame(14), 14);
    assert.deepEqual(drain(p), ['L', 12, 13, 14]);
    assert.equal(p.getStats().framesLost, 1);
  });

  it('a late frame arriving in time fills its hole', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2, sequenced: true });
    p.push(frame(10), 10);
    p.push(frame(12), 12);
    assert.deepEqual(drain(p), [10]);
    p.push(frame(11), 11);
    assert.deepEqual(drain(p), [11, 12]);
    assert.equal(p.getStats().framesLost, 0);
  });

  it('drops late (already played) and duplicate frames', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 1, sequenced: true });
    p.push(frame(1), 1);
    p.push(frame(2), 2);
    assert.equal(p.push(frame(2), 2), 'duplicate');
    assert.deepEqual(drain(p), [1, 2]);
    assert.equal(p.push(frame(1), 1), 'late');
    const st = p.getStats();
    assert.equal(st.late, 1);
    assert.equal(st.duplicates, 1);
  });

  it('runs across the 16-bit sequence wrap', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2, sequenced: true });
    const seqs = [65533, 65534, 65535, 0, 1, 2];
    for (const s of seqs) p.push(frame(s), s);
    assert.deepEqual(drain(p), seqs.map((s) => s & 0xff));
  });

  it('restarts at a sequence jump beyond its capacity', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 1, sequenced: true, capacity: 8 });
    p.push(frame(1), 1);
    p.push(frame(2), 2);
    p.push(frame(40), 40);
    assert.deepEqual(drain(p), [40]);
    assert.equal(p.getStats().overflows, 1);
  });

  it('says to catch up when frames pile up beyond cushion + slack (a fast far-end clock)', () => {
    const p = new AudioPlayout({ frameBytes: 4, cushion: 2, slack: 2 });
    for (let i = 0; i < 6; i++) p.push(frame(i));
    const buf = new Uint8Array(4);
    assert.equal(p.pop(buf), 'frame');
    assert.equal(p.catchUp, true, '5 queued > 2 + 2');
    p.pop(buf);
    p.pop(buf);
    assert.equal(p.catchUp, false, '3 queued');
  });

  it('rejects frames of the wrong size and counts them', () => {
    const p = new AudioPlayout({ frameBytes: 4 });
    assert.equal(p.push(new Uint8Array(3)), 'bad-size');
    assert.equal(p.getStats().badSize, 1);
  });

  it('refuses a capacity that is not a power of two (the sequence wrap needs one)', () => {
    assert.throws(() => new AudioPlayout({ frameBytes: 4, capacity: 48 }), /power of two/);
  });
});
