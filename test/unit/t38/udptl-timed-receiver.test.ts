/**
 * UdptlTimedReceiver (src/t38/udptl-timed-receiver.ts): the reorder wait ends by datagrams or by
 * time, held IFPs come out in order, and each delivery says how many IFPs were lost before it.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeUdptl } from '../../../src/t38/udptl.js';
import { UdptlTimedReceiver } from '../../../src/t38/udptl-timed-receiver.js';

/** A datagram without secondaries: its seq identifies it, its primary is the no-signal indicator. */
const dgram = (seq: number): Uint8Array => encodeUdptl({ seq, primary: Uint8Array.of(0x00), recovery: { kind: 'secondary', secondaries: [] } });

describe('UdptlTimedReceiver', () => {
  it('holds IFPs behind a missing seq until the deadline, then delivers them with the loss counted', () => {
    const rx = new UdptlTimedReceiver({ reorderWindow: 4, holdMs: 100 });
    const got: [number, number][] = [];
    const deliver = (_: Uint8Array, seq: number, lost: number): void => {
      got.push([seq, lost]);
    };
    rx.receive(dgram(10), 0, deliver);
    rx.receive(dgram(12), 20, deliver);
    rx.receive(dgram(13), 40, deliver);
    assert.deepEqual(got, [[10, 0]], 'seq 11 is waited for');
    assert.equal(rx.deadline, 120);
    assert.equal(rx.expired(119), false);
    assert.equal(rx.expired(120), true);
    rx.giveUp(deliver);
    assert.deepEqual(got, [[10, 0], [12, 1], [13, 0]]);
    assert.equal(rx.deadline, undefined);
  });

  it('a late arrival inside the wait fills the gap: nothing lost', () => {
    const rx = new UdptlTimedReceiver({ reorderWindow: 4, holdMs: 100 });
    const got: [number, number][] = [];
    const deliver = (_: Uint8Array, seq: number, lost: number): void => {
      got.push([seq, lost]);
    };
    for (const [s, t] of [[1, 0], [3, 10], [2, 30], [4, 40]] as const) rx.receive(dgram(s), t, deliver);
    assert.deepEqual(got, [[1, 0], [2, 0], [3, 0], [4, 0]]);
    assert.equal(rx.deadline, undefined);
  });

  it('a datagram after the deadline (a late driver) first ends the wait', () => {
    const rx = new UdptlTimedReceiver({ reorderWindow: 8, holdMs: 50 });
    const got: [number, number][] = [];
    const deliver = (_: Uint8Array, seq: number, lost: number): void => {
      got.push([seq, lost]);
    };
    rx.receive(dgram(100), 0, deliver);
    rx.receive(dgram(102), 10, deliver);
    rx.receive(dgram(103), 200, deliver);
    assert.deepEqual(got, [[100, 0], [102, 1], [103, 0]]);
  });

  it('rejects a hold that is not a finite number ≥ 0', () => {
    assert.throws(() => new UdptlTimedReceiver({ holdMs: -1 }), /reorderHoldMs/);
    assert.throws(() => new UdptlTimedReceiver({ holdMs: Number.NaN }), /reorderHoldMs/);
  });
});
