/**
 * UDPTL packet codec (T.38 §9.1, aligned PER): byte-exact vectors, truncation sweeps, error codes,
 * and fast-check properties.
 *
 * Vector sources:
 * - "cap_v0": datagrams captured from the independent spandsp-based C peer
 *   (../shared/interop/spandsp-peer/results/cap_v0.pcapng, T.38 v0, redundancy 2), frame numbers
 *   given; the README documents frame 30 (here: seq 27) field by field.
 * - Hand-built packets: derived from the ASN.1 and X.691 by hand, field by field, in the comments.
 */

import { describe, it, test } from 'node:test';
import { decodeUdptlView, UdptlView } from '../../../src/t38/udptl.js';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
  UDPTL_MAX_FEC_ENTRIES,
  UDPTL_MAX_SECONDARIES,
  decodeUdptl,
  encodeUdptl,
  encodeUdptlInto,
  udptlEncodedSize,
  type UdptlDecodeErrorCode,
  type UdptlPacket,
} from '../../../src/t38/udptl.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex } from '../helpers/bytes.js';


function decodeOk(bytes: Uint8Array): UdptlPacket {
  const r = decodeUdptl(bytes);
  if (!r.ok) assert.fail(`decode failed: ${r.error.code} at ${r.error.offset}: ${r.error.message}`);
  assert.equal(r.bytesRead, bytes.length);
  return r.value;
}

function decodeErr(bytes: Uint8Array, code: UdptlDecodeErrorCode, offset?: number): void {
  const r = decodeUdptl(bytes);
  assert.equal(r.ok, false, `expected ${code}`);
  if (r.ok) return;
  assert.equal(r.error.code, code, r.error.message);
  if (offset !== undefined) assert.equal(r.error.offset, offset);
}

function secondaries(p: UdptlPacket): readonly Uint8Array[] {
  assert.equal(p.recovery.kind, 'secondary');
  return p.recovery.kind === 'secondary' ? p.recovery.secondaries : [];
}

const CAP_SEQ27 = '00 1b | 03 c0 01 20 | 00 | 02 | 06 c0 01 80 00 00 04 | 06 c0 01 80 00 00 04';

// Hand-built fec-info packet:
//   01 02            seq-number 258
//   01 02            primary: length 1, IFP 02 (t30-indicator cng)
//   80               error-recovery CHOICE index 1 (fec-info) in bit 8, 7 padding bits
//   01 03            fec-npackets: INTEGER, length 1, value 3 (two's complement)
//   02               fec-data: SEQUENCE OF count 2
//   03 c0 01 20      OCTET STRING length 3
//   01 00            OCTET STRING length 1
const FEC_3x2 = '01 02 | 01 02 | 80 | 01 03 | 02 | 03 c0 01 20 | 01 00';

const canonicalVectors: Array<[string, string, UdptlPacket]> = [
  [
    'cap_v0 frame 30: seq 27, V.21 fcs-OK + 2 secondaries (README)',
    CAP_SEQ27,
    {
      seq: 27,
      primary: hex('c0 01 20'),
      recovery: { kind: 'secondary', secondaries: [hex('c0 01 80 00 00 04'), hex('c0 01 80 00 00 04')] },
    },
  ],
  ['cap_v0 frame 3: seq 0, no-signal, no secondaries yet', '00 00 | 01 00 | 00 | 00', { seq: 0, primary: hex('00'), recovery: { kind: 'secondary', secondaries: [] } }],
  ['cap_v0 frame 4: seq 1, cng + 1 secondary', '00 01 | 01 02 | 00 | 01 | 01 00', { seq: 1, primary: hex('02'), recovery: { kind: 'secondary', secondaries: [hex('00')] } }],
  [
    'cap_v0 frame 72: seq 28, newest secondary first',
    '00 1c | 06 c0 01 80 00 00 ff | 00 | 02 | 03 c0 01 20 | 06 c0 01 80 00 00 04',
    { seq: 28, primary: hex('c0 01 80 00 00 ff'), recovery: { kind: 'secondary', secondaries: [hex('c0 01 20'), hex('c0 01 80 00 00 04')] } },
  ],
  ['hand: fec-info span 3, 2 entries', FEC_3x2, { seq: 258, primary: hex('02'), recovery: { kind: 'fec', span: 3, entries: [hex('c0 01 20'), hex('00')] } }],
  // 00 05 | 01 00 | 80 | 01 00 | 00 : the FEC wind-up packet (span 0, no entries) Asterisk sends first
  ['hand: fec-info wind-up (span 0, no entries)', '00 05 | 01 00 | 80 | 01 00 | 00', { seq: 5, primary: hex('00'), recovery: { kind: 'fec', span: 0, entries: [] } }],
  // span 200 needs two value octets: 200 = 0xc8 has its top bit set, so the minimal two's
  // complement encoding is 00 c8 (X.691 12.2.6 / 10.8), length 2.
  ['hand: fec-npackets 200 (two octets)', 'ff ff | 01 0e | 80 | 02 00 c8 | 00', { seq: 65535, primary: hex('0e'), recovery: { kind: 'fec', span: 200, entries: [] } }],
  // 0x7fffffff: 4 octets, the largest accepted
  ['hand: fec-npackets 2^31-1', '80 00 | 01 00 | 80 | 04 7f ff ff ff | 01 | 00', { seq: 32768, primary: hex('00'), recovery: { kind: 'fec', span: 0x7fffffff, entries: [new Uint8Array(0)] } }],
  // Zero-length open types (AST-2016-003 style): length octet 00 and no content.
  ['hand: zero-length primary', '00 07 | 00 | 00 | 00', { seq: 7, primary: new Uint8Array(0), recovery: { kind: 'secondary', secondaries: [] } }],
  [
    'hand: zero-length secondary between two real ones',
    '00 07 | 01 04 | 00 | 03 | 01 02 | 00 | 01 00',
    { seq: 7, primary: hex('04'), recovery: { kind: 'secondary', secondaries: [hex('02'), new Uint8Array(0), hex('00')] } },
  ],
];

test('canonical vectors decode to the expected fields and re-encode to the same bytes', () => {
  for (const [name, h, expected] of canonicalVectors) {
    const bytes = hex(h);
    const p = decodeOk(bytes);
    assert.deepEqual(p, expected, name);
    assert.equal(udptlEncodedSize(p), bytes.length, name);
    assert.deepEqual(encodeUdptl(p), bytes, name);
  }
});

test('decoded payloads are views into the input (no copy)', () => {
  const bytes = hex(CAP_SEQ27);
  const p = decodeOk(bytes);
  assert.equal(p.primary.buffer, bytes.buffer);
  assert.equal(p.primary.byteOffset, 3);
  assert.equal(secondaries(p)[1]?.byteOffset, 16);
});

test('cap_v0 59-octet V.17 IFPs: seq 0x99 with two long secondaries round-trips', () => {
  // frame 203 of cap_v0 (length determinants 0x31 = 49 and 0x3b = 59)
  const h =
    '009903d00120000231d00180002b57fffdfffa7fffe487fa5fffa34f5a5ffffa443bffff98efed7feffff6ff4bdbeebb2755b7ffdfd7ffdbffdb' +
    '3bd001800035bff9927fe627ffe9fffe9d7ff4ffffc187edf357fe64944ae97ffffe82e247aff4b1d7ffffff317dfdff7ebebe7a7fffdbafffffffff';
  const bytes = hex(h);
  const p = decodeOk(bytes);
  assert.equal(p.seq, 0x99);
  assert.deepEqual(p.primary, hex('d0 01 20'));
  const s = secondaries(p);
  assert.equal(s.length, 2);
  assert.equal(s[0]?.length, 49);
  assert.equal(s[1]?.length, 59);
  assert.deepEqual(s[1]?.subarray(0, 5), hex('d0 01 80 00 35'));
  assert.deepEqual(encodeUdptl(p), bytes);
});

test('two-octet length determinant (X.691 10.9.3.7): 10hhhhhh llllllll', () => {
  const ifp = new Uint8Array(200).map((_, i) => i);
  const p: UdptlPacket = { seq: 1, primary: ifp, recovery: { kind: 'secondary', secondaries: [new Uint8Array(16383)] } };
  const bytes = encodeUdptl(p);
  // 200 = 0x00c8 -> 80 c8 ; 16383 = 0x3fff -> bf ff
  assert.deepEqual(bytes.subarray(0, 4), hex('00 01 80 c8'));
  assert.deepEqual(bytes.subarray(204, 208), hex('00 01 bf ff'));
  assert.equal(bytes.length, 2 + 2 + 200 + 1 + 1 + 2 + 16383);
  assert.deepEqual(decodeOk(bytes), p);
});

test('fragmented open types (X.691 10.9.3.8) decode and encode', () => {
  const cases: Array<[number, number, number[]]> = [
    // [IFP length, determinant octets in all, the first octet of each determinant]
    [16384, 2, [0xc1, 0x00]], // 1×16K, then a final zero length
    [20000, 3, [0xc1, 0x8e]], // 16384, then 3616 = 0x0e20 as 8e 20
    [65536, 2, [0xc4, 0x00]], // 4×16K, then 0
    [70000, 3, [0xc4, 0x91]], // 65536, then 4464 = 0x1170 as 91 70
    [16384 * 5 + 5, 3, [0xc4, 0xc1, 0x05]], // 4×16K, 1×16K, then 5
  ];
  for (const [n, overhead, heads] of cases) {
    const ifp = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
    const p: UdptlPacket = { seq: 9, primary: ifp, recovery: { kind: 'secondary', secondaries: [] } };
    const bytes = encodeUdptl(p);
    assert.equal(bytes.length, 2 + overhead + n + 2, `size for ${n}`);
    // Walk the determinants in the encoding.
    let o = 2;
    for (const d of heads) {
      assert.equal(bytes[o], d, `determinant for ${n} at ${o}`);
      if ((d & 0xc0) === 0xc0) o += 1 + (d & 0x3f) * 16384;
      else if ((d & 0x80) === 0x80) o += 2 + (((d & 0x3f) << 8) | (bytes[o + 1] ?? 0));
      else o += 1 + d;
    }
    assert.equal(o, 2 + overhead + n, `walked to the end of the primary for ${n}`);
    const q = decodeOk(bytes);
    assert.deepEqual(q.primary, ifp, `content for ${n}`);
    assert.deepEqual(encodeUdptl(q), bytes);
  }
});

test('fragmented secondary and FEC entry decode', () => {
  const big = new Uint8Array(16384 + 3).fill(0x5a);
  for (const recovery of [
    { kind: 'secondary', secondaries: [hex('01'), big] } as const,
    { kind: 'fec', span: 3, entries: [big, hex('01')] } as const,
  ]) {
    const p: UdptlPacket = { seq: 100, primary: hex('02'), recovery };
    assert.deepEqual(decodeOk(encodeUdptl(p)), p);
  }
});

test('non-canonical but unambiguous forms are accepted; re-encoding is canonical', () => {
  // primary length 1 written in the two-octet form 80 01
  let p = decodeOk(hex('00 02 | 80 01 02 | 00 | 00'));
  assert.deepEqual(p.primary, hex('02'));
  assert.deepEqual(encodeUdptl(p), hex('00 02 | 01 02 | 00 | 00'));
  // fec-npackets 3 written with a redundant leading zero octet
  p = decodeOk(hex('00 02 | 01 02 | 80 | 02 00 03 | 00'));
  assert.equal(p.recovery.kind === 'fec' && p.recovery.span, 3);
  assert.deepEqual(encodeUdptl(p), hex('00 02 | 01 02 | 80 | 01 03 | 00'));
  // non-zero padding bits after the CHOICE index
  p = decodeOk(hex('00 02 | 01 02 | 7f | 00'));
  assert.equal(p.recovery.kind, 'secondary');
  p = decodeOk(hex('00 02 | 01 02 | ff | 01 01 | 00'));
  assert.equal(p.recovery.kind, 'fec');
});

test('every proper prefix of a valid packet is "truncated"', () => {
  const vectors = [
    ...canonicalVectors.map(([, h]) => hex(h)),
    encodeUdptl({ seq: 3, primary: new Uint8Array(300).fill(1), recovery: { kind: 'secondary', secondaries: [new Uint8Array(130)] } }),
    encodeUdptl({ seq: 3, primary: new Uint8Array(16390).fill(1), recovery: { kind: 'fec', span: 40000, entries: [new Uint8Array(129)] } }),
  ];
  for (const v of vectors) {
    for (let n = 0; n < v.length; n++) {
      const r = decodeUdptl(v.subarray(0, n));
      assert.equal(r.ok, false, `prefix ${n}/${v.length} decoded`);
      if (!r.ok) {
        assert.equal(r.error.code, 'truncated', `prefix ${n}/${v.length}: ${r.error.message}`);
        assert.ok(r.error.offset <= n, 'offset within the input');
      }
    }
  }
});

test('error codes and offsets', () => {
  // reserved fragment forms 11000000 (k = 0) and 11000101 (k = 5)
  decodeErr(hex('00 01 | c0'), 'bad-length', 2);
  decodeErr(hex('00 01 | c5 00'), 'bad-length', 2);
  decodeErr(hex('00 01 | 01 02 | 00 | 01 | c0'), 'bad-length', 6);
  // trailing octet after a complete packet
  decodeErr(hex(CAP_SEQ27 + '00'), 'trailing-bytes', 22);
  // 33 secondaries announced (0x21), 32 is the bound
  decodeErr(hex('00 01 | 01 02 | 00 | 21'), 'too-many-secondaries', 5);
  // a fragmented count: ≥ 16384 items
  decodeErr(hex('00 01 | 01 02 | 00 | c1'), 'too-many-secondaries', 5);
  decodeErr(hex('00 01 | 01 02 | 80 | 01 03 | 21'), 'too-many-fec-entries', 7);
  decodeErr(hex('00 01 | 01 02 | 80 | 01 03 | c1'), 'too-many-fec-entries', 7);
  // fec-npackets: negative, no value octet, five value octets, fragmented
  decodeErr(hex('00 01 | 01 02 | 80 | 01 ff | 00'), 'bad-fec-span', 5);
  decodeErr(hex('00 01 | 01 02 | 80 | 00 | 00'), 'bad-fec-span', 5);
  decodeErr(hex('00 01 | 01 02 | 80 | 05 00 00 00 00 01 | 00'), 'bad-fec-span', 5);
  decodeErr(hex('00 01 | 01 02 | 80 | c1'), 'bad-fec-span', 5);
  decodeErr(hex('00 01 | 01 02 | 80 | 01 80 | 00'), 'bad-fec-span', 5);
});

test('exactly the bounds decode', () => {
  const p: UdptlPacket = { seq: 1, primary: hex('02'), recovery: { kind: 'secondary', secondaries: Array.from({ length: UDPTL_MAX_SECONDARIES }, () => hex('00')) } };
  assert.equal(secondaries(decodeOk(encodeUdptl(p))).length, 32);
  const f: UdptlPacket = { seq: 1, primary: hex('02'), recovery: { kind: 'fec', span: 1, entries: Array.from({ length: UDPTL_MAX_FEC_ENTRIES }, () => hex('00')) } };
  assert.deepEqual(decodeOk(encodeUdptl(f)), f);
});

test('allowTrailingBytes reports where the packet ended', () => {
  const bytes = hex(CAP_SEQ27 + 'de ad');
  const r = decodeUdptl(bytes, { allowTrailingBytes: true });
  assert.ok(r.ok);
  assert.equal(r.bytesRead, 22);
  assert.equal(r.value.seq, 27);
});

test('encoder: API misuse throws typed errors; encodeInto writes at an offset', () => {
  const good: UdptlPacket = { seq: 27, primary: hex('c0 01 20'), recovery: { kind: 'secondary', secondaries: [] } };
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof FaxwireError);
      return e.code;
    }
    return 'no error';
  };
  assert.equal(code(() => encodeUdptl({ ...good, seq: 65536 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(code(() => encodeUdptl({ ...good, seq: 1.5 })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(code(() => encodeUdptl({ ...good, recovery: { kind: 'fec', span: -1, entries: [] } })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  assert.equal(
    code(() => encodeUdptl({ ...good, recovery: { kind: 'secondary', secondaries: Array.from({ length: 33 }, () => hex('00')) } })),
    'FAXWIRE_ERR_VALUE_OUT_OF_RANGE',
  );
  assert.equal(code(() => encodeUdptl({ ...good, recovery: { kind: 'fec', span: 1, entries: Array.from({ length: 33 }, () => hex('00')) } })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
  assert.equal(code(() => encodeUdptlInto(good, new Uint8Array(7), 0)), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
  assert.equal(code(() => encodeUdptlInto(good, new Uint8Array(8), 1)), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
  const buf = new Uint8Array(12).fill(0xee);
  assert.equal(encodeUdptlInto(good, buf, 3), 8);
  assert.deepEqual(buf, hex('ee ee ee | 00 1b 03 c0 01 20 00 00 | ee'));
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const octets = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 0, maxLength: max });
const ifpArb = fc.oneof({ weight: 20, arbitrary: octets(40) }, { weight: 3, arbitrary: octets(400) }, { weight: 1, arbitrary: fc.integer({ min: 16380, max: 16400 }).map((n) => new Uint8Array(n).fill(n & 0xff)) });
// Built with plain object literals (fc.record may give null-prototype objects, which strict
// deep equality would tell apart from the decoder's literals).
const recoveryArb: fc.Arbitrary<UdptlPacket['recovery']> = fc.oneof(
  fc.array(ifpArb, { maxLength: UDPTL_MAX_SECONDARIES }).map((secondaries) => ({ kind: 'secondary' as const, secondaries })),
  fc
    .tuple(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0x7fffffff })), fc.array(ifpArb, { maxLength: UDPTL_MAX_FEC_ENTRIES }))
    .map(([span, entries]) => ({ kind: 'fec' as const, span, entries })),
);
const packetArb: fc.Arbitrary<UdptlPacket> = fc
  .tuple(fc.integer({ min: 0, max: 65535 }), ifpArb, recoveryArb)
  .map(([seq, primary, recovery]) => ({ seq, primary, recovery }));

test('property: decode(encode(p)) deep-equals p and the size is exact', () => {
  fc.assert(
    fc.property(packetArb, (p) => {
      const bytes = encodeUdptl(p);
      assert.equal(bytes.length, udptlEncodedSize(p));
      const r = decodeUdptl(bytes);
      assert.ok(r.ok);
      assert.equal(r.bytesRead, bytes.length);
      assert.deepEqual(r.value, p);
    }),
    { numRuns: 400 },
  );
});

test('property: decoding random bytes never throws and never reads past the input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, allow) => {
      const r = decodeUdptl(bytes, { allowTrailingBytes: allow });
      if (r.ok) {
        assert.ok(r.bytesRead <= bytes.length);
        if (!allow) assert.equal(r.bytesRead, bytes.length);
      } else {
        assert.ok(r.error.offset >= 0 && r.error.offset <= bytes.length);
      }
    }),
    { numRuns: 3000 },
  );
});

test('property: mutated valid packets never throw; a successful decode re-encodes canonically', () => {
  fc.assert(
    fc.property(packetArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (p, muts) => {
      const bytes = encodeUdptl(p);
      if (bytes.length > 2000) return; // keep the mutation space small
      for (const [at, v] of muts) bytes[at % bytes.length] = v;
      const r = decodeUdptl(bytes, { allowTrailingBytes: true });
      if (r.ok) {
        const again = decodeUdptl(encodeUdptl(r.value));
        assert.ok(again.ok);
        assert.deepEqual(again.value, r.value);
      }
    }),
    { numRuns: 1000 },
  );
});

// --- the allocation-free decoder must agree with decodeUdptl on everything ------------------


function viewAgrees(bytes: Uint8Array, v: UdptlView): void {
  const a = decodeUdptl(bytes);
  const okView = decodeUdptlView(bytes, v);
  if (!a.ok) {
    assert.equal(okView, false, `view accepted what decodeUdptl rejects (${a.error.code})`);
    // Fragmented lengths are the one case the view hands back to decodeUdptl.
    if (v.errorCode !== 'fragmented') assert.equal(v.errorCode, a.error.code);
    return;
  }
  if (!okView) {
    assert.equal(v.errorCode, 'fragmented', 'only fragmented packets may be refused by the view');
    return;
  }
  const p = a.value;
  assert.equal(v.seq, p.seq);
  assert.equal(v.bytesRead, a.bytesRead);
  assert.deepEqual(bytes.subarray(v.primaryStart, v.primaryEnd), p.primary);
  const items = p.recovery.kind === 'secondary' ? p.recovery.secondaries : p.recovery.entries;
  assert.equal(v.recovery, p.recovery.kind === 'secondary' ? 0 : 1);
  if (p.recovery.kind === 'fec') assert.equal(v.fecSpan, p.recovery.span);
  assert.equal(v.itemCount, items.length);
  items.forEach((it, i) => assert.deepEqual(bytes.subarray(v.itemStart[i], v.itemEnd[i]), it));
}

describe('decodeUdptlView', () => {
  it('agrees with decodeUdptl on encoded packets, their prefixes and random bytes', () => {
    const v = new UdptlView();
    const ifp = fc.uint8Array({ minLength: 0, maxLength: 200 });
    const packet = fc.oneof(
      fc.record({ seq: fc.integer({ min: 0, max: 65535 }), primary: ifp, secondaries: fc.array(ifp, { maxLength: 5 }) }).map((x) => ({
        seq: x.seq,
        primary: x.primary,
        recovery: { kind: 'secondary' as const, secondaries: x.secondaries },
      })),
      fc.record({ seq: fc.integer({ min: 0, max: 65535 }), primary: ifp, span: fc.integer({ min: 0, max: 100000 }), entries: fc.array(ifp, { maxLength: 5 }) }).map((x) => ({
        seq: x.seq,
        primary: x.primary,
        recovery: { kind: 'fec' as const, span: x.span, entries: x.entries },
      })),
    );
    fc.assert(
      fc.property(packet, fc.nat(), (p, cut) => {
        const bytes = encodeUdptl(p);
        viewAgrees(bytes, v);
        viewAgrees(bytes.subarray(0, cut % (bytes.length + 1)), v);
        viewAgrees(Uint8Array.from([...bytes, 0]), v);
      }),
      { numRuns: 1500 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => viewAgrees(b, v)), { numRuns: 5000 });
    // Encoded packets with a few octets overwritten: non-canonical determinants and the like.
    fc.assert(
      fc.property(packet, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (p, muts) => {
        const bytes = encodeUdptl(p);
        for (const [at, x] of muts) bytes[at % bytes.length] = x;
        viewAgrees(bytes, v);
        viewAgrees(Uint8Array.from([...bytes, 0]), v);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts a 2-octet determinant before fec-npackets, as decodeUdptl does (found by the receiver differential test)', () => {
    const v = new UdptlView();
    // seq 0, empty primary, fec-info: fec-npackets with length 80 01 (= 1), value 0, no entries.
    const bytes = Uint8Array.of(0, 0, 0, 0x80, 0x80, 0x01, 0x00, 0x00);
    assert.ok(decodeUdptl(bytes).ok);
    viewAgrees(bytes, v);
    assert.equal(decodeUdptlView(bytes, v), true);
    assert.equal(v.fecSpan, 0);
    // The same determinant cut short, and a length of 5 value octets in the 2-octet form.
    viewAgrees(bytes.subarray(0, 5), v);
    viewAgrees(Uint8Array.of(0, 0, 0, 0x80, 0x80, 0x05, 1, 2, 3, 4, 5, 0), v);
  });
});
