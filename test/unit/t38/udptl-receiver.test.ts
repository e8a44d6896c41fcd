/**
 * UdptlReceiver: ordering, duplicates/late/wrap/restart, secondaries, zero-length IFPs
 * (AST-2016-003), parity FEC, reorder window, flush, and never throwing on garbage.
 * Datagrams are hand-built with the codec (whose bytes are checked in udptl.test.ts) or taken
 * from the independent spandsp-based peer's capture.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { encodeUdptl } from '../../../src/t38/udptl.js';
import { UdptlReceiver, type ReceivedIfp } from '../../../src/t38/udptl-receiver.js';
import { UdptlSender } from '../../../src/t38/udptl-sender.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex } from '../helpers/bytes.js';


/**
 * A valid IFP (v21 t30-data, one hdlc-data field) whose one data octet names its seq (low byte),
 * so deliveries are easy to check. Valid because only decodable IFPs may move the sequence.
 */
const ifpOf = (seq: number): Uint8Array => new Uint8Array([0xc0, 0x01, 0x80, 0x00, 0x00, seq & 0xff]);

function red(seq: number, depth: number, ifp: (s: number) => Uint8Array = ifpOf): Uint8Array {
  const secondaries = Array.from({ length: depth }, (_, i) => ifp((seq - 1 - i) & 0xffff));
  return encodeUdptl({ seq, primary: ifp(seq), recovery: { kind: 'secondary', secondaries } });
}

const brief = (xs: ReceivedIfp[]): string => xs.map((x) => `${x.seq}${x.source[0]}`).join(' ');

test('in-order stream: primaries delivered immediately', () => {
  const rx = new UdptlReceiver();
  for (let s = 0; s < 5; s++) {
    const out = rx.receive(red(s, Math.min(s, 2)));
    assert.equal(brief(out), `${s}p`);
    assert.deepEqual(out[0]?.ifp, ifpOf(s));
  }
  const st = rx.getStats();
  assert.equal(st.primaries, 5);
  assert.equal(st.lost, 0);
});

test('real stream from the spandsp-based peer (cap_v0, seq 25..28) with one datagram delayed past its turn', () => {
  const d25 = hex('001906c00180000004000206c0018000000406c00180000004');
  const d26 = hex('001a06c00180000004000206c0018000000406c00180000004');
  const d27 = hex('001b03c00120000206c0018000000406c00180000004');
  const d28 = hex('001c06c001800000ff000203c0012006c00180000004');
  const rx = new UdptlReceiver();
  assert.equal(brief(rx.receive(d25)), '23s 24s 25p'); // joins at the first datagram's secondaries
  // d26 lost
  assert.equal(brief(rx.receive(d27)), '26s 27p');
  const out = rx.receive(d28);
  assert.equal(brief(out), '28p');
  assert.deepEqual(out[0]?.ifp, hex('c0 01 80 00 00 ff'));
  assert.deepEqual(rx.receive(d26), []); // the "lost" one turns up after all: late
  assert.equal(rx.getStats().recoveredFromSecondary, 3);
  assert.equal(rx.getStats().late, 1);
});

test('a gap is filled from secondaries, oldest first, with their own seq numbers', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(10, 0));
  const out = rx.receive(red(13, 3)); // 11 and 12 lost
  assert.equal(brief(out), '11s 12s 13p');
  assert.deepEqual(out[0]?.ifp, ifpOf(11));
  assert.deepEqual(out[1]?.ifp, ifpOf(12));
});

test('a gap deeper than the redundancy is counted as lost, once', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(10, 2));
  assert.equal(brief(rx.receive(red(15, 2))), '13s 14s 15p'); // 11, 12 lost
  assert.equal(rx.getStats().lost, 2);
  assert.equal(brief(rx.receive(red(16, 2))), '16p');
  assert.equal(rx.getStats().lost, 2);
});

test('duplicates (same seq again, e.g. spandsp repeats) and late datagrams are counted and dropped', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(0, 0));
  assert.deepEqual(rx.receive(red(0, 0)), []); // repeat copy
  rx.receive(red(1, 1));
  rx.receive(red(3, 0)); // 2 lost (no secondaries)
  assert.deepEqual(rx.receive(red(2, 1)), []); // 2 arrives after being declared lost: late
  rx.receive(red(5, 1)); // 4 restored from the secondary
  assert.deepEqual(rx.receive(red(4, 1)), []); // the real 4 arrives after its copy was delivered: late
  assert.deepEqual(rx.receive(red(5, 1)), []); // duplicate of a primary already delivered
  const st = rx.getStats();
  assert.equal(st.duplicates, 2);
  assert.equal(st.late, 2);
  assert.equal(st.lost, 1);
  assert.equal(st.primaries, 4);
  assert.equal(st.recoveredFromSecondary, 1);
});

test('wrap: first datagram 65535, then 0, 1; a loss across the wrap is repaired', () => {
  const rx = new UdptlReceiver();
  assert.equal(brief(rx.receive(red(65535, 0))), '65535p');
  assert.equal(brief(rx.receive(red(1, 2))), '0s 1p'); // 0 lost, restored from 1's secondaries
  assert.equal(brief(rx.receive(red(2, 2))), '2p');
  assert.equal(rx.getStats().lost, 0);
});

test('first datagram 32768 (Cisco CUBE start) fixes the expected seq', () => {
  const rx = new UdptlReceiver();
  assert.equal(brief(rx.receive(red(32768, 0))), '32768p');
  assert.equal(brief(rx.receive(red(32770, 0))), '32770p');
  assert.equal(rx.getStats().lost, 1);
  assert.deepEqual(rx.receive(red(32767, 0)), []);
  assert.equal(rx.getStats().late, 1);
});

test('wrap with a 3-deep redundancy stream across 65533..2, every second datagram lost', () => {
  const rx = new UdptlReceiver();
  const got: number[] = [];
  for (let i = 0; i < 10; i++) {
    const s = (65530 + i) & 0xffff;
    if (i % 2 === 1) continue;
    for (const x of rx.receive(red(s, 3))) got.push(x.seq);
  }
  assert.deepEqual(got, [65527, 65528, 65529, 65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2]);
  assert.equal(rx.getStats().lost, 0);
});

// The three restart tests below used to restart on ONE datagram; that was the unsafe behaviour of
// issue 9, so they now send a run of RESTART_RUN (3) valid datagrams.

test('restart: a run of 3 valid datagrams jumped by restartThreshold or more resets; less is a loss', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(100, 0));
  // 100 → 2100 is 1999 ahead of the expected 101: a loss of 1999
  assert.equal(brief(rx.receive(red(2100, 0))), '2100p');
  assert.equal(rx.getStats().lost, 1999);
  assert.equal(rx.getStats().restarts, 0);
  // expected 2101; 4101 is 2000 ahead → held until the run is complete, then a new stream
  assert.deepEqual(rx.receive(red(4101, 0)), []);
  assert.deepEqual(rx.receive(red(4102, 1)), []);
  assert.equal(rx.getStats().restarts, 0);
  assert.equal(brief(rx.receive(red(4103, 1))), '4101p 4102p 4103p');
  assert.equal(rx.getStats().restarts, 1);
  assert.equal(rx.getStats().lost, 1999);
  // backwards by 2000 or more: also a restart (a new stream from a re-INVITE, say)
  rx.receive(red(7, 1));
  rx.receive(red(8, 1));
  assert.equal(brief(rx.receive(red(9, 1))), '6s 7p 8p 9p');
  assert.equal(rx.getStats().restarts, 2);
  // backwards by less: late
  assert.deepEqual(rx.receive(red(65535 - 1000, 0)), []);
  assert.equal(rx.getStats().late, 1);
});

test('restart flushes what a reorder window was holding', () => {
  const rx = new UdptlReceiver({ reorderWindow: 4 });
  rx.receive(red(0, 0));
  assert.deepEqual(rx.receive(red(2, 0)), []); // held, waiting for 1
  assert.deepEqual(rx.receive(red(30000, 0)), []);
  assert.deepEqual(rx.receive(red(30001, 0)), []);
  assert.equal(brief(rx.receive(red(30002, 0))), '2p 30000p 30001p 30002p');
  const st = rx.getStats();
  assert.equal(st.restarts, 1);
  assert.equal(st.lost, 1);
});

test('custom restartThreshold', () => {
  const rx = new UdptlReceiver({ restartThreshold: 10 });
  rx.receive(red(0, 0));
  rx.receive(red(10, 0)); // 9 ahead of expected 1: loss
  assert.equal(rx.getStats().restarts, 0);
  for (const s of [21, 22, 23]) rx.receive(red(s, 0)); // 10 ahead of expected 11: a restart run
  assert.equal(rx.getStats().restarts, 1);
  assert.equal(rx.getStats().lost, 9);
});

// ---------------------------------------------------------------------------------------------
// Restart only on evidence (issue 9; T.38 §9.1 gives no way to authenticate a seq jump)
// ---------------------------------------------------------------------------------------------

/** A well-formed UDPTL datagram whose primary IFP does not decode in either ASN.1 module. */
const badIfp = (seq: number): Uint8Array => encodeUdptl({ seq, primary: new Uint8Array([0xa0, seq & 0xff]), recovery: { kind: 'secondary', secondaries: [] } });

/** A stream 0..n−1 (depth 2) with `spray(i)` datagrams injected before datagram i. */
function streamWith(rx: UdptlReceiver, n: number, spray: (i: number) => Uint8Array[]): ReceivedIfp[] {
  const got: ReceivedIfp[] = [];
  for (let i = 0; i < n; i++) {
    for (const d of spray(i)) got.push(...rx.receive(d));
    got.push(...rx.receive(red(i, Math.min(i, 2))));
  }
  return got;
}

test('malformed IFPs at every jump distance never restart nor move the stream', () => {
  for (const window of [0, 2]) {
    const rx = new UdptlReceiver({ reorderWindow: window });
    // before every real datagram i, three malformed-IFP datagrams at distances that used to be
    // a restart (±2000…), a loss gap (ahead < 2000) and consecutive seqs (what a run looks like)
    const dists = [2000, 30000, -2000, -30000, 1999, 500, window + 2];
    const got = streamWith(rx, 300, (i) => {
      const d = dists[i % dists.length] ?? 2000;
      return [badIfp((i + d) & 0xffff), badIfp((i + d + 1) & 0xffff), badIfp((i + d + 2) & 0xffff)];
    });
    got.push(...rx.flush());
    assert.deepEqual(
      got.map((x) => x.seq),
      Array.from({ length: 300 }, (_, i) => i),
      `window ${window}`,
    );
    for (const x of got) assert.deepEqual(x.ifp, ifpOf(x.seq));
    const st = rx.getStats();
    assert.equal(st.restarts, 0);
    assert.equal(st.lost, 0);
    // −2000−1 and −2000−2 are merely late (behind by less than the threshold): dropped too
    assert.equal(st.suspectJumps + st.late, 900);
    assert.ok(st.suspectJumps >= 800);
  }
});

test('malformed UDPTL and empty primaries at jump distances never restart', () => {
  const rx = new UdptlReceiver();
  const got = streamWith(rx, 100, (i) => [
    hex('12 34 ff'), // truncated UDPTL
    encodeUdptl({ seq: (i + 5000) & 0xffff, primary: new Uint8Array(0), recovery: { kind: 'secondary', secondaries: [] } }),
    encodeUdptl({ seq: (i + 5001) & 0xffff, primary: new Uint8Array(0), recovery: { kind: 'secondary', secondaries: [] } }),
    encodeUdptl({ seq: (i + 5002) & 0xffff, primary: new Uint8Array(0), recovery: { kind: 'secondary', secondaries: [] } }),
  ]);
  assert.equal(got.length, 100);
  const st = rx.getStats();
  assert.equal(st.restarts, 0);
  assert.equal(st.suspectJumps, 300);
  assert.equal(st.malformed, 100);
});

test('valid datagrams at random far seqs (not a run) never restart', () => {
  const rx = new UdptlReceiver();
  let x = 12345;
  // (from datagram 1 on: a valid first datagram is trusted to fix the stream, see the receiver)
  const got = streamWith(rx, 200, (i) => {
    if (i === 0) return [];
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    // 2000..63535 ahead of i: far jumps, each at an unrelated seq
    return [red((i + 2000 + (x % 61536)) & 0xffff, 0)];
  });
  assert.equal(got.length, 200);
  assert.equal(rx.getStats().restarts, 0);
  assert.equal(rx.getStats().restartCandidates, 199);
});

test('a restart run: up to 4 seqs between members, duplicates ignored, unrelated jumps start other runs', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(0, 0));
  for (const s of [9000, 9000, 9004]) assert.deepEqual(rx.receive(red(s, 2)), []); // 9000 repeated
  assert.deepEqual(rx.receive(red(20000, 0)), []); // unrelated: another run starts here
  assert.deepEqual(rx.receive(red(20001, 0)), []);
  assert.equal(rx.getStats().restarts, 0);
  assert.equal(brief(rx.receive(red(20005, 2))), '20000p 20001p 20003s 20004s 20005p');
  const st = rx.getStats();
  assert.equal(st.restarts, 1);
  assert.equal(st.duplicates, 1);
  assert.equal(st.lost, 1); // 20002
  // the new stream goes on normally
  assert.equal(brief(rx.receive(red(20006, 2))), '20006p');
});

test('zero-length secondaries (AST-2016-003) are ignored at their own position', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(7, 0));
  // seq 10 with secondaries [seq 9: EMPTY, seq 8: a0 08]. Asterisk's fix drops the empty one
  // and shifts a0 08 to position 0, i.e. to seq 9; it belongs to seq 8.
  const d = encodeUdptl({ seq: 10, primary: ifpOf(10), recovery: { kind: 'secondary', secondaries: [new Uint8Array(0), ifpOf(8)] } });
  const out = rx.receive(d);
  assert.equal(brief(out), '8s 10p');
  assert.deepEqual(out[0]?.ifp, ifpOf(8));
  const st = rx.getStats();
  assert.equal(st.zeroLengthSecondaries, 1);
  assert.equal(st.lost, 1); // seq 9
});

test('a flood of zero-length secondaries (crash.pcap style) delivers nothing bogus', () => {
  const rx = new UdptlReceiver();
  const empties = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array(0));
  const out: ReceivedIfp[] = [];
  for (const s of [1, 3, 4, 6, 7, 9]) {
    out.push(...rx.receive(encodeUdptl({ seq: s, primary: ifpOf(s), recovery: { kind: 'secondary', secondaries: [...empties(14), ifpOf(s - 15)] } })));
  }
  assert.equal(brief(out), '1p 3p 4p 6p 7p 9p');
  const st = rx.getStats();
  assert.equal(st.zeroLengthSecondaries, 6 * 14);
  assert.equal(st.lost, 3);
  assert.equal(st.malformed, 0);
});

test('a zero-length primary is counted, not delivered, and not a loss', () => {
  const rx = new UdptlReceiver();
  rx.receive(red(0, 0));
  assert.deepEqual(rx.receive(encodeUdptl({ seq: 1, primary: new Uint8Array(0), recovery: { kind: 'secondary', secondaries: [ifpOf(0)] } })), []);
  assert.equal(brief(rx.receive(red(2, 1))), '2p');
  const st = rx.getStats();
  assert.equal(st.zeroLengthPrimaries, 1);
  assert.equal(st.lost, 0);
  assert.equal(st.duplicates, 0);
});

test('malformed datagrams are counted, never thrown; trailing octets are malformed by default', () => {
  const rx = new UdptlReceiver();
  assert.deepEqual(rx.receive(new Uint8Array(0)), []);
  assert.deepEqual(rx.receive(hex('00 00 01 00')), []); // no error-recovery octet
  assert.deepEqual(rx.receive(hex('00 00 01 00 00 00 ee')), []); // trailing octet
  let st = rx.getStats();
  assert.equal(st.malformed, 3);
  assert.equal(st.trailingBytes, 1);
  assert.equal(st.datagrams, 3);
  // Asterisk-like tolerance on request
  const lax = new UdptlReceiver({ acceptTrailingBytes: true });
  assert.equal(brief(lax.receive(hex('00 00 01 00 00 00 ee'))), '0p');
  st = lax.getStats();
  assert.equal(st.malformed, 0);
  assert.equal(st.trailingBytes, 1);
});

test('property: random datagrams never throw; deliveries are strictly ordered and unique', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 5 })).map(([s, d]) => red(s, d)),
          fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 5 })).map(([s, d]) => red(s, d)),
        ),
        { maxLength: 60 },
      ),
      fc.integer({ min: 0, max: 8 }),
      (datagrams, window) => {
        const rx = new UdptlReceiver({ reorderWindow: window, restartThreshold: 100 });
        let restarts = 0;
        let last: number | undefined;
        const check = (xs: ReceivedIfp[]): void => {
          for (const x of xs) {
            if (last !== undefined) assert.ok(((x.seq - last) & 0xffff) > 0 && ((x.seq - last) & 0xffff) < 0x8000, 'forward order');
            last = x.seq;
          }
        };
        for (const d of datagrams) {
          const out = rx.receive(d);
          const st = rx.getStats();
          if (st.restarts !== restarts) {
            // A restart drains the old stream, then starts the new one: check each part apart.
            restarts = st.restarts;
            const cut = out.findIndex((x, i) => i > 0 && (((x.seq - (out[i - 1]?.seq ?? 0)) & 0xffff) === 0 || ((x.seq - (out[i - 1]?.seq ?? 0)) & 0xffff) >= 0x8000));
            check(cut < 0 ? [] : out.slice(0, cut));
            last = undefined;
            check(cut < 0 ? out : out.slice(cut));
          } else {
            check(out);
          }
        }
        check(rx.flush());
      },
    ),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------------
// Parity FEC
// ---------------------------------------------------------------------------------------------

test('FEC: a single loss is rebuilt from the next datagram (Asterisk 3×3 layout)', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span: 3, entries: 3 } });
  const rx = new UdptlReceiver();
  const ifps = Array.from({ length: 20 }, (_, i) => new Uint8Array([0xd0, 0x01, i, i * 3]));
  const got: ReceivedIfp[] = [];
  ifps.forEach((ifp, i) => {
    const d = tx.send(ifp, 'image').datagrams[0] ?? new Uint8Array(0);
    if (i === 12) return; // lost
    got.push(...rx.receive(d));
  });
  assert.equal(got.length, 20);
  const r12 = got[12];
  assert.equal(r12?.seq, 12);
  assert.equal(r12?.source, 'fec');
  assert.deepEqual(r12?.ifp, ifps[12]);
  const st = rx.getStats();
  assert.equal(st.recoveredFromFec, 1);
  assert.equal(st.lost, 0);
});

test('FEC: a restored IFP shorter than its group comes back zero-padded (as with Asterisk/spandsp)', () => {
  // span 2, 1 entry: packet n carries IFP(n−2) ⊕ IFP(n−1).
  const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span: 2, entries: 1 } });
  const rx = new UdptlReceiver();
  const ifps = [hex('00'), hex('c0 01 80 00 00 ff'), hex('c0 01 20'), hex('02'), hex('06')];
  const got: ReceivedIfp[] = [];
  ifps.forEach((ifp, i) => {
    const d = tx.send(ifp, 'control').datagrams[0] ?? new Uint8Array(0);
    if (i !== 2) got.push(...rx.receive(d));
  });
  // packet 3 covers 1 and 2: the entry is 6 octets long, so the 3-octet c0 01 20 gains 3 zeros
  assert.equal(brief(got), '0p 1p 2f 3p 4p');
  assert.deepEqual(got[2]?.ifp, hex('c0 01 20 00 00 00'));
});

test('FEC: two losses in one group wait (reorder window) for a later group to peel them', () => {
  // span 2, 1 entry: packet n carries IFP(n−2) ⊕ IFP(n−1).
  const ifps = Array.from({ length: 12 }, (_, i) => new Uint8Array([i, 0x55]));
  const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span: 2, entries: 1 } });
  const datagrams = ifps.map((ifp) => tx.send(ifp, 'image').datagrams[0] ?? new Uint8Array(0));
  const lose = new Set([5, 6]); // packet 7's group {5, 6} has both missing; packet 8's {6, 7} has one
  // Real time: 5 and 6 are settled when 7 arrives, and 7 alone cannot repair them.
  const rt = new UdptlReceiver();
  const rtGot = datagrams.flatMap((d, i) => (lose.has(i) ? [] : rt.receive(d)));
  assert.equal(rtGot.length, 10);
  assert.equal(rt.getStats().lost, 2);
  assert.equal(rt.getStats().fecUnrecoverable, 2);
  // With a window, 8 restores 6 from {6, 7}; then {5, 6} of packet 7 has one missing: 5 (peeling).
  const rx = new UdptlReceiver({ reorderWindow: 2 });
  const got = datagrams.flatMap((d, i) => (lose.has(i) ? [] : rx.receive(d)));
  got.push(...rx.flush());
  assert.deepEqual(
    got.map((x) => x.seq),
    Array.from({ length: 12 }, (_, i) => i),
  );
  for (const x of got) assert.deepEqual(x.ifp, ifps[x.seq]);
  assert.equal(brief(got.slice(5, 7)), '5f 6f');
  assert.equal(rx.getStats().lost, 0);
  assert.equal(rx.getStats().recoveredFromFec, 2);
});

test('FEC: losses beyond repair are lost and counted as fecUnrecoverable', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span: 3, entries: 1 } });
  const rx = new UdptlReceiver();
  for (let i = 0; i < 12; i++) {
    const d = tx.send(ifpOf(i), 'image').datagrams[0] ?? new Uint8Array(0);
    if (i !== 7 && i !== 8) rx.receive(d); // 9 covers 6,7,8: two missing; nothing later covers 7 alone
  }
  rx.flush();
  const st = rx.getStats();
  assert.equal(st.lost, 2);
  assert.equal(st.fecUnrecoverable, 2);
});

test('FEC: blocks too large to use are counted and ignored', () => {
  const rx = new UdptlReceiver();
  rx.receive(encodeUdptl({ seq: 0, primary: ifpOf(0), recovery: { kind: 'fec', span: 100, entries: [hex('00'), hex('00'), hex('00')] } }));
  assert.equal(rx.getStats().fecIgnored, 1);
  assert.equal(rx.getStats().primaries, 1);
});

test('FEC: a restored copy still held is replaced by the real primary when it arrives', () => {
  const rx = new UdptlReceiver({ reorderWindow: 4 });
  rx.receive(red(0, 0));
  rx.receive(red(3, 0)); // 1 and 2 missing, 3 held
  // a bogus FEC block in 4 claiming to cover 2 and 3 (span 2, entries 1): "restores" 2 wrongly
  assert.deepEqual(rx.receive(encodeUdptl({ seq: 4, primary: ifpOf(4), recovery: { kind: 'fec', span: 2, entries: [hex('ff ff')] } })), []);
  assert.deepEqual(rx.receive(red(2, 0)), []); // the real 2, reordered: replaces the guess
  const out = rx.receive(red(1, 0));
  assert.equal(brief(out), '1p 2p 3p 4p');
  assert.deepEqual(out[1]?.ifp, ifpOf(2));
  assert.equal(rx.getStats().recoveredFromFec, 0);
});

test('mixed stream: after the first parity block, secondaries-mode IFPs feed FEC repairs', () => {
  const rx = new UdptlReceiver({ reorderWindow: 4 });
  const xor = (...seqs: number[]): Uint8Array => seqs.map(ifpOf).reduce((a, b) => a.map((v, j) => v ^ (b[j] ?? 0)));
  // FEC span 3 entries 1: packet n covers n−3..n−1 (an empty block for the first ones)
  const fecDg = (n: number): Uint8Array =>
    encodeUdptl({ seq: n, primary: ifpOf(n), recovery: n < 3 ? { kind: 'fec', span: 0, entries: [] } : { kind: 'fec', span: 3, entries: [xor(n - 3, n - 2, n - 1)] } });
  for (let s = 0; s < 3; s++) rx.receive(fecDg(s));
  for (let s = 3; s < 9; s++) rx.receive(red(s, 1));
  rx.receive(fecDg(9));
  // 10 lost; 11 covers 8, 9, 10 → 10 restored (8 came by a secondaries-mode datagram)
  const out = rx.receive(fecDg(11));
  assert.equal(brief(out), '10f 11p');
  assert.deepEqual(out[0]?.ifp, ifpOf(10));
});

test('mixed stream: IFPs delivered in order before any parity block are not kept, so a group reaching back to them is not repaired', () => {
  const rx = new UdptlReceiver({ reorderWindow: 4 });
  for (let s = 0; s < 5; s++) rx.receive(red(s, 1));
  const xor = (...seqs: number[]): Uint8Array => seqs.map(ifpOf).reduce((a, b) => a.map((v, j) => v ^ (b[j] ?? 0)));
  const fecDg = (n: number): Uint8Array => encodeUdptl({ seq: n, primary: ifpOf(n), recovery: { kind: 'fec', span: 3, entries: [xor(n - 3, n - 2, n - 1)] } });
  rx.receive(fecDg(5));
  // 6 lost; 7 covers 4, 5, 6, but 4 was handed out as a view of its datagram and forgotten
  // (a redundancy stream in order keeps nothing: the recovery mode is negotiated for the call).
  assert.equal(brief(rx.receive(fecDg(7))), '');
  // 8 covers 5, 6, 7: all after the switch → 6 restored
  const out = rx.receive(fecDg(8));
  assert.equal(brief(out), '6f 7p 8p');
  assert.deepEqual(out[0]?.ifp, ifpOf(6));
});

test('reorder window: swapped datagrams are delivered in order; without it the late one is dropped', () => {
  const order = [0, 2, 1, 3, 5, 4, 6];
  const rx = new UdptlReceiver({ reorderWindow: 2 });
  const got = order.flatMap((s) => rx.receive(red(s, 0)));
  assert.deepEqual(
    got.map((x) => x.seq),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.ok(got.every((x) => x.source === 'primary'));
  const rt = new UdptlReceiver();
  const rtGot = order.flatMap((s) => rt.receive(red(s, 0)));
  assert.deepEqual(
    rtGot.map((x) => x.seq),
    [0, 2, 3, 5, 6],
  );
  assert.equal(rt.getStats().late, 2);
  assert.equal(rt.getStats().lost, 2);
});

test('reorder window: a gap is declared lost once a datagram more than N ahead arrives; flush settles the rest', () => {
  const rx = new UdptlReceiver({ reorderWindow: 3 });
  rx.receive(red(0, 0));
  assert.deepEqual(rx.receive(red(2, 0)), []);
  assert.deepEqual(rx.receive(red(3, 0)), []);
  assert.deepEqual(rx.receive(red(4, 0)), []); // 4 − 1 = 3: still within the window
  assert.equal(brief(rx.receive(red(5, 0))), '2p 3p 4p 5p'); // 5 − 1 = 4 > 3: 1 lost
  assert.equal(rx.getStats().lost, 1);
  assert.deepEqual(rx.receive(red(7, 0)), []);
  assert.equal(brief(rx.flush()), '7p');
  assert.equal(rx.getStats().lost, 2);
  assert.deepEqual(rx.flush(), []);
});

test('delivered IFPs are private copies', () => {
  const rx = new UdptlReceiver();
  const d = red(0, 0);
  const out = rx.receive(d);
  d.fill(0);
  assert.deepEqual(out[0]?.ifp, ifpOf(0));
});

test('a jump within the threshold but beyond the ring settles the held seqs first', () => {
  // reorderWindow 1024 → a 2048-slot ring; 2100 would reuse the slots of 0..52.
  const rx = new UdptlReceiver({ reorderWindow: 1024, restartThreshold: 4000 });
  rx.receive(red(0, 0));
  assert.deepEqual(rx.receive(red(2, 0)), []); // held, 1 missing
  assert.equal(brief(rx.receive(red(2100, 0))), '2p'); // 1 lost, 2 delivered, 3.. lost or held
  assert.equal(brief(rx.flush()), '2100p');
  assert.equal(rx.getStats().lost, 1 + (2099 - 3 + 1));
  assert.equal(rx.getStats().restarts, 0);
  // real time (512-slot ring): a 999-seq gap is counted exactly
  const rt = new UdptlReceiver();
  rt.receive(red(0, 0));
  assert.equal(brief(rt.receive(red(1000, 2))), '998s 999s 1000p');
  assert.equal(rt.getStats().lost, 997);
});

test('options are validated', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof FaxwireError);
      return e.code;
    }
    return 'no error';
  };
  assert.equal(code(() => new UdptlReceiver({ reorderWindow: -1 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(code(() => new UdptlReceiver({ reorderWindow: 1025 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(code(() => new UdptlReceiver({ maxDepth: 33 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(code(() => new UdptlReceiver({ reorderWindow: 10, restartThreshold: 11 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(code(() => new UdptlReceiver({ restartThreshold: 40000 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
});

test('maxDepth limits the secondaries used', () => {
  const rx = new UdptlReceiver({ maxDepth: 1 });
  rx.receive(red(0, 0));
  assert.equal(brief(rx.receive(red(3, 3))), '2s 3p');
  assert.equal(rx.getStats().lost, 1);
});
