/**
 * UdptlReceiver's reorder window as a driver sees it: `holding` while a gap is open, the
 * `reordered` count of datagrams that filled their gap in time, and `flush()` ending the wait.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeUdptl } from '../../../src/t38/udptl.js';
import { UdptlReceiver, type ReceivedIfp } from '../../../src/t38/udptl-receiver.js';

/** A datagram without redundancy whose one-octet IFP names its seq. */
const bare = (seq: number): Uint8Array => encodeUdptl({ seq, primary: Uint8Array.of(seq & 0xff), recovery: { kind: 'secondary', secondaries: [] } });
const seqs = (xs: ReceivedIfp[]): number[] => xs.map((x) => x.seq);

test('within the window: the overtaken datagram fills its gap and counts as reordered', () => {
  const rx = new UdptlReceiver({ reorderWindow: 2 });
  assert.equal(rx.holding, false, 'not holding before the first datagram');
  assert.deepEqual(seqs(rx.receive(bare(10))), [10]);
  assert.deepEqual(seqs(rx.receive(bare(12))), []);
  assert.equal(rx.holding, true);
  assert.deepEqual(seqs(rx.receive(bare(13))), []);
  assert.deepEqual(seqs(rx.receive(bare(11))), [11, 12, 13]);
  assert.equal(rx.holding, false);
  const st = rx.getStats();
  assert.deepEqual([st.primaries, st.reordered, st.lost, st.late], [4, 1, 0, 0]);
});

test('beyond the window: the gap is given up, the straggler is late', () => {
  const rx = new UdptlReceiver({ reorderWindow: 2 });
  rx.receive(bare(10));
  rx.receive(bare(12));
  rx.receive(bare(13));
  assert.deepEqual(seqs(rx.receive(bare(14))), [12, 13, 14]); // 3 ahead of 11 > window 2
  assert.equal(rx.holding, false);
  assert.deepEqual(rx.receive(bare(11)), []);
  const st = rx.getStats();
  assert.deepEqual([st.reordered, st.lost, st.late], [0, 1, 1]);
});

test('flush() ends the wait: held IFPs delivered, the gap lost', () => {
  const rx = new UdptlReceiver({ reorderWindow: 8 });
  rx.receive(bare(1));
  rx.receive(bare(3));
  assert.equal(rx.holding, true);
  assert.deepEqual(seqs(rx.flush()), [3]);
  assert.equal(rx.holding, false);
  assert.equal(rx.getStats().lost, 1);
});

test('window 0 never holds and never counts a reorder', () => {
  const rx = new UdptlReceiver();
  rx.receive(bare(1));
  assert.deepEqual(seqs(rx.receive(bare(3))), [3]);
  assert.equal(rx.holding, false);
  rx.receive(bare(2));
  assert.deepEqual([rx.getStats().reordered, rx.getStats().lost, rx.getStats().late], [0, 1, 1]);
});
