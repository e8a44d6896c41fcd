/**
 * UdptlSender: redundancy wire format checked byte for byte against an independent peer, FEC parity
 * against hand-derived vectors and against a naive re-statement of the Asterisk/spandsp layout,
 * the datagram budget, oversize IFPs, repeats, seq wrap and misuse.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { decodeUdptl, type UdptlPacket } from '../../../src/t38/udptl.js';
import { UdptlSender, type UdptlCategory } from '../../../src/t38/udptl-sender.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex } from '../helpers/bytes.js';


function decode(bytes: Uint8Array): UdptlPacket {
  const r = decodeUdptl(bytes);
  if (!r.ok) assert.fail(`decode failed: ${r.error.code}`);
  return r.value;
}

function fecOf(p: UdptlPacket): { span: number; entries: readonly Uint8Array[] } {
  if (p.recovery.kind !== 'fec') assert.fail('not an fec-info packet');
  return p.recovery;
}

function secondariesOf(p: UdptlPacket): readonly Uint8Array[] {
  if (p.recovery.kind !== 'secondary') assert.fail('not a secondary-ifp-packets packet');
  return p.recovery.secondaries;
}

function misuse(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof FaxwireError);
    return e.code;
  }
  return 'no error';
}

/**
 * The first 41 datagrams (seq 0..40) the spandsp-based C peer sent with `--redundancy 2`
 * (../shared/interop/spandsp-peer/results/cap_v0.pcapng, UDP port 43000 → 43001): its UDPTL
 * framing is independent C code. Feeding the same primaries to our sender must give the same bytes,
 * including the start-up (0, then 1 secondary) and the 59-octet V.17 IFPs at the end.
 */
const CAP_V0_PORT_43000 = [
  '000001000000',
  '0001010200010100',
  '00020100000201020100',
  '00030106000201000102',
  '000406c001800000ff000201060100',
  '000506c001800000c0000206c001800000ff0106',
  '000606c001800000c2000206c001800000c006c001800000ff',
  '000706c00180000022000206c001800000c206c001800000c0',
  '000806c00180000072000206c0018000002206c001800000c2',
  '000906c001800000a2000206c0018000007206c00180000022',
  '000a06c001800000ca000206c001800000a206c00180000072',
  '000b06c00180000004000206c001800000ca06c001800000a2',
  '000c06c0018000004a000206c0018000000406c001800000ca',
  '000d06c001800000a2000206c0018000004a06c00180000004',
  '000e06c001800000a2000206c001800000a206c0018000004a',
  '000f06c0018000000a000206c001800000a206c001800000a2',
  '001006c0018000001c000206c0018000000a06c001800000a2',
  '001106c001800000cc000206c0018000001c06c0018000000a',
  '001206c0018000002a000206c001800000cc06c0018000001c',
  '001306c00180000004000206c0018000002a06c001800000cc',
  '001406c00180000004000206c0018000000406c0018000002a',
  '001506c00180000004000206c0018000000406c00180000004',
  '001606c00180000004000206c0018000000406c00180000004',
  '001706c00180000004000206c0018000000406c00180000004',
  '001806c00180000004000206c0018000000406c00180000004',
  '001906c00180000004000206c0018000000406c00180000004',
  '001a06c00180000004000206c0018000000406c00180000004',
  '001b03c00120000206c0018000000406c00180000004',
  '001c06c001800000ff000203c0012006c00180000004',
  '001d06c001800000c8000206c001800000ff03c00120',
  '001e06c001800000c1000206c001800000c806c001800000ff',
  '001f06c00180000000000206c001800000c106c001800000c8',
  '002006c00180000046000206c0018000000006c001800000c1',
  '002106c0018000001f000206c0018000004606c00180000000',
  '002206c00180000022000206c0018000001f06c00180000046',
  '002303c00140000206c0018000002206c0018000001f',
  '00240100000203c0014006c00180000022',
  '0025011e0002010003c00140',
  '00263bd001e000350000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002011e0100',
  '00273bd001e0003500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000023bd001e00035000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000011e',
  '00283bd001e0003500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000023bd001e000350000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003bd001e00035000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
];

test('redundancy 2: byte-identical to the independent peer (cap_v0, seq 0..40)', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 2, control: 2, image: 2 } } });
  for (const [i, h] of CAP_V0_PORT_43000.entries()) {
    const expected = hex(h);
    const primary = decode(expected).primary;
    const r = tx.send(primary, 'control');
    assert.equal(r.seq, i);
    assert.equal(r.datagrams.length, 1);
    assert.deepEqual(r.datagrams[0], expected, `seq ${i}`);
    assert.equal(r.secondariesIncluded, Math.min(i, 2));
  }
  const st = tx.getStats();
  assert.equal(st.ifps, 41);
  assert.equal(st.datagrams, 41);
  assert.equal(st.secondariesSent, 0 + 1 + 39 * 2);
  assert.equal(st.bytes, CAP_V0_PORT_43000.reduce((n, h) => n + h.length / 2, 0));
});

test('redundancy depth follows the category of the primary (ls/hs redundancy)', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 4, control: 3, image: 1 } } });
  const cats: UdptlCategory[] = ['indicator', 'indicator', 'control', 'control', 'control', 'control-end', 'indicator', 'image', 'image', 'image-end', 'indicator'];
  const expected = [0, 1, 2, 3, 3, 3, 4, 1, 1, 1, 4];
  cats.forEach((c, i) => {
    const r = tx.send(new Uint8Array([i + 1]), c);
    assert.equal(r.secondariesIncluded, expected[i], `packet ${i} (${c})`);
    const s = secondariesOf(decode(r.datagrams[0] ?? new Uint8Array(0)));
    // newest first: secondary k is the IFP sent k+1 packets earlier
    s.forEach((ifp, k) => assert.deepEqual(ifp, new Uint8Array([i - k])));
  });
});

test('error correction none: empty secondary list (00 00), as Asterisk and spandsp send it', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'none' } });
  tx.send(hex('00'), 'indicator');
  const r = tx.send(hex('c0 01 20'), 'control-end');
  assert.deepEqual(r.datagrams[0], hex('00 01 | 03 c0 01 20 | 00 | 00'));
});

test('maxDatagram: oldest secondaries dropped first, never an IFP truncated', () => {
  // 10-octet IFPs: a datagram is 2 + 11 + 1 + 1 = 15 octets, + 11 per secondary.
  const tx = new UdptlSender({ maxDatagram: 40, errorCorrection: { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 3 } } });
  const ifp = (v: number): Uint8Array => new Uint8Array(10).fill(v);
  for (let i = 0; i < 3; i++) tx.send(ifp(i), 'image');
  const r = tx.send(ifp(3), 'image'); // 15 + 3×11 = 48 > 40 → keep 2 (37 octets)
  assert.equal(r.secondariesIncluded, 2);
  assert.equal(r.redundancyDropped, 1);
  assert.equal(r.oversize, false);
  const d = r.datagrams[0] ?? new Uint8Array(0);
  assert.equal(d.length, 37);
  assert.deepEqual(secondariesOf(decode(d)), [ifp(2), ifp(1)]);
  assert.equal(tx.getStats().redundancyDroppedForSize, 1);
});

test('maxDatagram: an oversize primary is still sent whole, alone, and counted', () => {
  const tx = new UdptlSender({ maxDatagram: 20, errorCorrection: { mode: 'redundancy', depth: { indicator: 2, control: 2, image: 2 } } });
  tx.send(hex('02'), 'indicator');
  const big = new Uint8Array(30).fill(7);
  const r = tx.send(big, 'image');
  assert.equal(r.oversize, true);
  assert.equal(r.secondariesIncluded, 0);
  assert.equal(r.redundancyDropped, 1);
  const p = decode(r.datagrams[0] ?? new Uint8Array(0));
  assert.deepEqual(p.primary, big);
  assert.equal(tx.getStats().oversize, 1);
  // The big IFP is remembered but cannot be a secondary either: the next datagram drops it.
  const n = tx.send(hex('04'), 'image');
  assert.equal(n.oversize, false);
  assert.equal(n.secondariesIncluded, 0);
  assert.equal(n.redundancyDropped, 2);
});

test('repeat: N copies with the same seq; stats count datagrams and IFPs apart', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 1, control: 1, image: 1 } }, repeat: { indicator: 3, controlEnd: 2 } });
  const a = tx.send(hex('00'), 'indicator');
  assert.equal(a.datagrams.length, 3);
  assert.ok(a.datagrams.every((d) => d === a.datagrams[0]));
  const b = tx.send(hex('c0 01 80 00 00 ff'), 'control');
  assert.equal(b.datagrams.length, 1);
  assert.equal(b.seq, 1);
  const c = tx.send(hex('c0 01 40'), 'control-end');
  assert.equal(c.datagrams.length, 2);
  assert.equal(decode(c.datagrams[1] ?? new Uint8Array(0)).seq, 2);
  const st = tx.getStats();
  assert.equal(st.ifps, 3);
  assert.equal(st.datagrams, 6);
  assert.equal(st.repeats, 3);
  assert.equal(st.bytes, 3 * (a.datagrams[0]?.length ?? 0) + (b.datagrams[0]?.length ?? 0) + 2 * (c.datagrams[0]?.length ?? 0));
});

test('seq wraps 65535 → 0 and firstSeq 32768 (Cisco CUBE) is honoured', () => {
  const tx = new UdptlSender({ firstSeq: 65534, errorCorrection: { mode: 'redundancy', depth: { indicator: 1, control: 1, image: 1 } } });
  const seqs = [0, 1, 2, 3].map(() => tx.send(hex('00'), 'indicator').seq);
  assert.deepEqual(seqs, [65534, 65535, 0, 1]);
  assert.equal(tx.nextSeq, 2);
  const cisco = new UdptlSender({ firstSeq: 32768, errorCorrection: { mode: 'none' } });
  const d = cisco.send(hex('00'), 'indicator').datagrams[0] ?? new Uint8Array(0);
  assert.deepEqual(d.subarray(0, 2), hex('80 00'));
});

// ---------------------------------------------------------------------------------------------
// Parity FEC
// ---------------------------------------------------------------------------------------------

test('FEC span 2, 1 entry: hand-derived bytes, with the Asterisk/spandsp wind-up', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span: 2, entries: 1 } });
  // IFP A = 01, B = 02 03, C = 04.
  // seq 0: nothing sent before: span 0, 0 entries           → 00 00 | 01 01 | 80 | 01 00 | 00
  // seq 1: 1 sent < span: still span 0, ⌊1/2⌋ = 0 entries   → 00 01 | 02 02 03 | 80 | 01 00 | 00
  // seq 2: span 2, 1 entry covering seq 2+0−2·1+k·1 = 0, 1 → A ⊕ B = (01⊕02, 00⊕03) = 03 03,
  //        length 2 (the longer member; A is zero-padded)  → 00 02 | 01 04 | 80 | 01 02 | 01 | 02 03 03
  assert.deepEqual(tx.send(hex('01'), 'control').datagrams[0], hex('00 00 | 01 01 | 80 | 01 00 | 00'));
  assert.deepEqual(tx.send(hex('02 03'), 'control').datagrams[0], hex('00 01 | 02 02 03 | 80 | 01 00 | 00'));
  const r = tx.send(hex('04'), 'control');
  assert.deepEqual(r.datagrams[0], hex('00 02 | 01 04 | 80 | 01 02 | 01 | 02 03 03'));
  assert.equal(r.fecEntriesIncluded, 1);
});

test('FEC span 3, 2 entries: interleaved groups, hand-derived', () => {
  // IFP i is the single octet 0x10+i. Packet n, entry m covers n + m − 3·2 + 2k (k = 0,1,2) once
  // 6 packets exist; before that entries = ⌊n/3⌋ (and span 0 while n < 3).
  //   n=3: E=1: 3+0−3+k      = 0,1,2 → 10⊕11⊕12 = 13
  //   n=4: E=1:                 1,2,3 → 11⊕12⊕13 = 10
  //   n=5: E=1:                 2,3,4 → 12⊕13⊕14 = 15
  //   n=6: E=2: m=0: 0,2,4 → 10⊕12⊕14 = 16 ; m=1: 1,3,5 → 11⊕13⊕15 = 17
  //   n=7: E=2: m=0: 1,3,5 → 17           ; m=1: 2,4,6 → 12⊕14⊕16 = 10
  const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span: 3, entries: 2 } });
  const want: Array<[number, number[]]> = [
    [0, []],
    [0, []],
    [0, []],
    [3, [0x13]],
    [3, [0x10]],
    [3, [0x15]],
    [3, [0x16, 0x17]],
    [3, [0x17, 0x10]],
  ];
  want.forEach(([span, entries], n) => {
    const f = fecOf(decode(tx.send(new Uint8Array([0x10 + n]), 'image').datagrams[0] ?? new Uint8Array(0)));
    assert.equal(f.span, span, `span of packet ${n}`);
    assert.deepEqual(f.entries, entries.map((v) => new Uint8Array([v])), `entries of packet ${n}`);
  });
  assert.equal(tx.getStats().fecEntriesSent, 1 + 1 + 1 + 2 + 2);
});

/** Naive restatement of the layout: entry m of packet n = XOR of IFPs n+m−S·E+k·E, zero-padded. */
function referenceFec(history: Uint8Array[], n: number, span: number, entries: number): { span: number; entries: Uint8Array[] } {
  let s = span;
  let e = entries;
  if (n < span * entries) {
    e = Math.floor(n / span);
    if (n < span) s = 0;
  }
  const out: Uint8Array[] = [];
  for (let m = 0; m < e; m++) {
    const members = Array.from({ length: s }, (_, k) => history[n + m - s * e + k * e] ?? assert.fail('member before the stream'));
    const len = Math.max(0, ...members.map((x) => x.length));
    const x = new Uint8Array(len);
    for (const mem of members) mem.forEach((b, j) => (x[j] = (x[j] ?? 0) ^ b));
    out.push(x);
  }
  return { span: s, entries: out };
}

test('property: FEC entries equal the naive XOR of the interleaved groups', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 60 }),
      (span, entries, ifps) => {
        const tx = new UdptlSender({ errorCorrection: { mode: 'fec', span, entries } });
        ifps.forEach((ifp, n) => {
          const p = decode(tx.send(ifp, 'image').datagrams[0] ?? new Uint8Array(0));
          assert.deepEqual(p.primary, ifp);
          const f = fecOf(p);
          const ref = referenceFec(ifps, n, span, entries);
          assert.equal(f.span, ref.span);
          assert.deepEqual(f.entries, ref.entries);
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('FEC over budget: fewer entries, parity recomputed for the smaller entry count', () => {
  // span 2, 3 entries of 20-octet IFPs: head = 2 + 21 + 1 + 2 + 1 = 27, each entry 21 octets.
  const ifps = Array.from({ length: 8 }, (_, i) => new Uint8Array(20).map((_, j) => (i * 31 + j * 7) & 0xff));
  const tx = new UdptlSender({ maxDatagram: 27 + 2 * 21, errorCorrection: { mode: 'fec', span: 2, entries: 3 } });
  ifps.forEach((ifp, n) => {
    const r = tx.send(ifp, 'image');
    const f = fecOf(decode(r.datagrams[0] ?? new Uint8Array(0)));
    const full = referenceFec(ifps, n, 2, 3);
    const e = Math.min(full.entries.length, 2);
    assert.equal(r.fecEntriesIncluded, e, `packet ${n}`);
    assert.equal(r.redundancyDropped, full.entries.length - e);
    // The groups are those of a 2-entry layout, not a truncated 3-entry one.
    assert.deepEqual(f.entries, referenceFec(ifps, n, 2, e).entries.slice(0, e), `parity of packet ${n}`);
    assert.ok((r.datagrams[0]?.length ?? 0) <= 27 + 2 * 21);
  });
  assert.equal(tx.getStats().redundancyDroppedForSize, 2); // packets 6 and 7
});

test('FEC: an oversize primary goes alone', () => {
  const tx = new UdptlSender({ maxDatagram: 12, errorCorrection: { mode: 'fec', span: 1, entries: 1 } });
  tx.send(hex('01'), 'image');
  const r = tx.send(new Uint8Array(10).fill(3), 'image');
  assert.equal(r.oversize, true);
  assert.equal(r.fecEntriesIncluded, 0);
  assert.equal(fecOf(decode(r.datagrams[0] ?? new Uint8Array(0))).entries.length, 0);
});

test('API misuse throws FAXWIRE_ERR_INVALID_ARGUMENT', () => {
  const ok = { errorCorrection: { mode: 'none' } } as const;
  assert.equal(misuse(() => new UdptlSender(ok).send(new Uint8Array(0), 'image')), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender(ok).send(new Uint8Array(65536), 'image')), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender(ok).send(hex('00'), 'bogus' as UdptlCategory)), 'FAXWIRE_ERR_INVALID_STATE');
  assert.equal(misuse(() => new UdptlSender({ ...ok, firstSeq: 65536 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender({ ...ok, maxDatagram: 0 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender({ ...ok, repeat: { image: 0 } })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 33, control: 1, image: 1 } } })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender({ errorCorrection: { mode: 'fec', span: 0, entries: 3 } })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender({ errorCorrection: { mode: 'fec', span: 3, entries: 33 } })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(misuse(() => new UdptlSender({ errorCorrection: { mode: 'fec', span: 20, entries: 20 } })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
});

test('the history is a copy: mutating a sent IFP does not change later secondaries', () => {
  const tx = new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 1, control: 1, image: 1 } } });
  const ifp = hex('c0 01 80 00 00 ff');
  tx.send(ifp, 'control');
  ifp.fill(0);
  const r = tx.send(hex('c0 01 20'), 'control');
  assert.deepEqual(secondariesOf(decode(r.datagrams[0] ?? new Uint8Array(0))), [hex('c0 01 80 00 00 ff')]);
});
