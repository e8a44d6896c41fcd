import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeRtp, encodeRtp, encodeRtpInto, rtpEncodedSize, type RtpDecodeErrorCode, type RtpPacket } from '../../../src/rtp/packet.js';
import { decodeRed, encodeRed, encodeRedInto, redEncodedSize, type RedDecodeErrorCode, type RedPayload } from '../../../src/rtp/red.js';
import { RtpT38Receiver, RtpT38Sender, type RtpT38Delivery } from '../../../src/t38/rtp-transport.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex, toHex } from '../helpers/bytes.js';


function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof FaxwireError && e.code === code);
}

function pkt(over: Partial<RtpPacket>): RtpPacket {
  return {
    marker: false,
    payloadType: 96,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    csrcs: [],
    extension: null,
    payload: new Uint8Array(0),
    paddingLength: 0,
    ...over,
  };
}

// ─── RTP header vectors, derived by hand from RFC 3550 §5.1 / §5.3.1 ───────────────────────────

void describe('RTP header (RFC 3550 §5.1)', () => {
  // V=2 P=0 X=0 CC=0 → 1000 0000 = 80; M=0 PT=96 → 0110 0000 = 60; seq 1 → 00 01;
  // timestamp 8000 = 0x1f40 → 00 00 1f 40; SSRC 12 34 56 78; payload: IFP no-signal 00.
  const minimal = hex('80 60 0001 00001f40 12345678 00');
  const minimalPkt = pkt({ sequenceNumber: 1, timestamp: 8000, ssrc: 0x12345678, payload: hex('00') });

  // V=2 P=1 X=1 CC=1 → 10 1 1 0001 = b1; M=1 PT=97 → 1 1100001 = e1; seq 0xfffe; ts 0xffffffff;
  // SSRC 1; CSRC de ad be ef; extension profile be de, length 1 word, data 01 02 03 04;
  // payload c0 01 20 (V.21 hdlc-fcs-OK, v0); padding 3 octets: 00 00 03 (count includes itself).
  const full = hex('b1 e1 fffe ffffffff 00000001 deadbeef bede0001 01020304 c00120 000003');
  const fullPkt = pkt({
    marker: true,
    payloadType: 97,
    sequenceNumber: 0xfffe,
    timestamp: 0xffffffff,
    ssrc: 1,
    csrcs: [0xdeadbeef],
    extension: { profile: 0xbede, data: hex('01020304') },
    payload: hex('c00120'),
    paddingLength: 3,
  });

  void it('encodes the minimal packet', () => {
    assert.equal(toHex(encodeRtp(minimalPkt)), toHex(minimal));
  });
  void it('decodes the minimal packet', () => {
    const r = decodeRtp(minimal);
    assert.ok(r.ok);
    assert.deepEqual(r.value, minimalPkt);
    assert.equal(r.bytesRead, 13);
  });
  void it('encodes and decodes marker, CSRC, extension and padding', () => {
    assert.equal(full.length, 30);
    assert.equal(toHex(encodeRtp(fullPkt)), toHex(full));
    const r = decodeRtp(full);
    assert.ok(r.ok);
    assert.deepEqual(r.value, fullPkt);
  });

  void it('truncation sweep of the full packet gives the exact error per prefix', () => {
    // header needs 12, CSRC list 16, extension header 20, extension data 24. With P set the last
    // octet of whatever we have is read as the padding count, which must be 1 … (n − 24):
    //   24: last = 04 (ext data) > 0  → bad-padding     25: last = c0 > 1 → bad-padding
    //   26: last = 01 ≤ 2 → ok (payload c0, padding 1)  27: last = 20 > 3 → bad-padding
    //   28, 29: last = 00 → bad-padding (count 0 is invalid)              30: the real packet.
    const expect = (n: number): RtpDecodeErrorCode | 'ok' => {
      if (n < 12) return 'truncated-header';
      if (n < 16) return 'truncated-csrc';
      if (n < 24) return 'truncated-extension';
      return n === 26 || n === 30 ? 'ok' : 'bad-padding';
    };
    for (let n = 0; n <= full.length; n++) {
      const r = decodeRtp(full.subarray(0, n));
      assert.equal(r.ok ? 'ok' : r.error.code, expect(n), `prefix ${n}`);
    }
    const r26 = decodeRtp(full.subarray(0, 26));
    assert.ok(r26.ok);
    assert.equal(toHex(r26.value.payload), 'c0');
    assert.equal(r26.value.paddingLength, 1);
  });

  void it('rejects versions other than 2', () => {
    for (const b0 of [0x00, 0x40, 0xc0]) {
      const bytes = minimal.slice();
      bytes[0] = b0;
      const r = decodeRtp(bytes);
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'bad-version');
      assert.equal(r.error.offset, 0);
    }
  });

  void it('padding may consume the whole payload but not the header', () => {
    // 12-octet header with P set, then 4 octets of padding (00 00 00 04) and no payload.
    const ok4 = decodeRtp(hex('a0 60 0001 00000000 00000000 00000004'));
    assert.ok(ok4.ok);
    assert.equal(ok4.value.payload.length, 0);
    assert.equal(ok4.value.paddingLength, 4);
    const bad = decodeRtp(hex('a0 60 0001 00000000 00000000 00000005'));
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'bad-padding');
  });

  void it('encoder validates fields and room', () => {
    throwsCode(() => encodeRtp(pkt({ payloadType: 128 })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRtp(pkt({ sequenceNumber: 65536 })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRtp(pkt({ timestamp: -1 })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRtp(pkt({ csrcs: new Array<number>(16).fill(1) })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRtp(pkt({ extension: { profile: 1, data: new Uint8Array(3) } })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRtp(pkt({ paddingLength: 256 })), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRtpInto(minimalPkt, new Uint8Array(12)), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
    const buf = new Uint8Array(20).fill(0xee);
    assert.equal(encodeRtpInto(minimalPkt, buf, 2), 13);
    assert.equal(toHex(buf.subarray(2, 15)), toHex(minimal));
    assert.equal(rtpEncodedSize(fullPkt), 30);
  });
});

// ─── RFC 2198 vectors ───────────────────────────────────────────────────────────────────────────

void describe('RFC 2198 payload', () => {
  // One redundant block: F=1, PT 96 → 1110 0000 = e0; timestamp offset 240 (30 ms at 8 kHz)
  // = 00000011 110000 → octet 1 = 03, top 6 bits of octet 2 = 110000; block length 1 = 00 00000001
  // → octet 2 = 110000|00 = c0, octet 3 = 01. Final header F=0 PT 96 = 60. Then the redundant
  // block (06: v21-preamble) and the primary (c0 01 20: hdlc-fcs-OK).
  const one = hex('e0 03 c0 01  60  06  c0 01 20');
  const onePayload: RedPayload = {
    redundant: [{ payloadType: 96, timestampOffset: 240, data: hex('06') }],
    primaryPayloadType: 96,
    primary: hex('c00120'),
  };

  void it('encodes and decodes one redundant block', () => {
    assert.equal(toHex(encodeRed(onePayload)), toHex(one));
    const r = decodeRed(one);
    assert.ok(r.ok);
    assert.deepEqual(r.value, onePayload);
    assert.equal(r.bytesRead, one.length);
  });

  void it('primary only: a single 1-octet header', () => {
    const bytes = hex('60 00');
    const p: RedPayload = { redundant: [], primaryPayloadType: 96, primary: hex('00') };
    assert.equal(toHex(encodeRed(p)), toHex(bytes));
    const r = decodeRed(bytes);
    assert.ok(r.ok);
    assert.deepEqual(r.value, p);
  });

  void it('field limits: offset 16383 and length 1023 fill all their bits', () => {
    // 14 ones then 10 ones: octets ff ff ff after the F|PT octet (here F=1, PT 0 → 80).
    const data = new Uint8Array(1023).fill(7);
    const p: RedPayload = { redundant: [{ payloadType: 0, timestampOffset: 16383, data }], primaryPayloadType: 127, primary: new Uint8Array(0) };
    const enc = encodeRed(p);
    assert.equal(toHex(enc.subarray(0, 5)), '80ffffff7f');
    assert.equal(enc.length, 4 + 1 + 1023);
    const r = decodeRed(enc);
    assert.ok(r.ok);
    assert.deepEqual(r.value, p);
    throwsCode(() => encodeRed({ ...p, redundant: [{ payloadType: 0, timestampOffset: 16384, data: hex('00') }] }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRed({ ...p, redundant: [{ payloadType: 0, timestampOffset: 0, data: new Uint8Array(1024) }] }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRed({ ...p, primaryPayloadType: 128 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => encodeRedInto(p, new Uint8Array(10)), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
  });

  void it('truncation sweep gives the exact error per prefix', () => {
    // 0: no header at all; 1–3: a 4-octet F=1 header cut short; 4: no final header;
    // 5: final header but the 1-octet redundant block is missing; 6+: valid, primary grows.
    const expect: (RedDecodeErrorCode | `primary:${string}`)[] = [
      'truncated-header',
      'truncated-header',
      'truncated-header',
      'truncated-header',
      'truncated-header',
      'truncated-block',
      'primary:',
      'primary:c0',
      'primary:c001',
      'primary:c00120',
    ];
    for (let n = 0; n <= one.length; n++) {
      const r = decodeRed(one.subarray(0, n));
      assert.equal(r.ok ? `primary:${toHex(r.value.primary)}` : r.error.code, expect[n], `prefix ${n}`);
    }
  });

  void it('bounds the number of blocks', () => {
    const p: RedPayload = {
      redundant: Array.from({ length: 5 }, () => ({ payloadType: 96, timestampOffset: 0, data: hex('00') })),
      primaryPayloadType: 96,
      primary: hex('00'),
    };
    const enc = encodeRed(p);
    assert.ok(decodeRed(enc, 5).ok);
    const r = decodeRed(enc, 4);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'too-many-blocks');
    assert.equal(r.error.offset, 16);
    // 300 F=1 headers with the default bound of 32.
    const many = new Uint8Array(1200).fill(0x80);
    const rm = decodeRed(many);
    assert.ok(!rm.ok);
    assert.equal(rm.error.code, 'too-many-blocks');
  });
});

// ─── properties of the codecs ───────────────────────────────────────────────────────────────────

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const rtpArb: fc.Arbitrary<RtpPacket> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: u32,
  ssrc: u32,
  csrcs: fc.array(u32, { maxLength: 15 }),
  extension: fc.option(
    fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), data: fc.integer({ min: 0, max: 8 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })) }),
    { nil: null },
  ),
  payload: fc.uint8Array({ maxLength: 200 }),
  paddingLength: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
})
  // fc.record builds null-prototype objects; the decoder returns plain ones (deepStrictEqual
  // compares prototypes).
  .map((p) => ({ ...p, extension: p.extension === null ? null : { ...p.extension } }));
const redArb: fc.Arbitrary<RedPayload> = fc.record({
  redundant: fc.array(
    fc.record({ payloadType: fc.integer({ min: 0, max: 127 }), timestampOffset: fc.integer({ min: 0, max: 16383 }), data: fc.uint8Array({ maxLength: 100 }) }),
    { maxLength: 6 },
  ),
  primaryPayloadType: fc.integer({ min: 0, max: 127 }),
  primary: fc.uint8Array({ maxLength: 100 }),
}).map((r) => ({ ...r, redundant: r.redundant.map((b) => ({ ...b })) }));

void describe('RTP / RFC 2198 properties', () => {
  void it('decodeRtp(encodeRtp(p)) = p', () => {
    fc.assert(
      fc.property(rtpArb, (p) => {
        const enc = encodeRtp(p);
        assert.equal(enc.length, rtpEncodedSize(p));
        const r = decodeRtp(enc);
        assert.ok(r.ok);
        assert.deepEqual(r.value, p);
      }),
    );
  });
  void it('decodeRed(encodeRed(r)) = r', () => {
    fc.assert(
      fc.property(redArb, (p) => {
        const enc = encodeRed(p);
        assert.equal(enc.length, redEncodedSize(p));
        const r = decodeRed(enc);
        assert.ok(r.ok);
        assert.deepEqual(r.value, p);
      }),
    );
  });
  void it('decoding random bytes never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const a = decodeRtp(bytes);
        if (!a.ok) assert.ok(a.error.offset >= 0 && a.error.offset <= bytes.length);
        const b = decodeRed(bytes);
        if (!b.ok) assert.ok(b.error.offset >= 0 && b.error.offset <= bytes.length);
      }),
    );
  });
  void it('random bytes behind a valid RTP first octet never throw either', () => {
    // Forces V=2 so the CSRC/extension/padding paths are reached.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3f }), fc.uint8Array({ maxLength: 120 }), (low, rest) => {
        const bytes = new Uint8Array(1 + rest.length);
        bytes[0] = 0x80 | low;
        bytes.set(rest, 1);
        const r = decodeRtp(bytes);
        if (r.ok) assert.ok(r.value.payload.length <= bytes.length - 12);
      }),
    );
  });
});

// ─── sender ─────────────────────────────────────────────────────────────────────────────────────

void describe('RtpT38Sender', () => {
  void it('byte-exact datagrams with RFC 2198 redundancy', () => {
    const s = new RtpT38Sender({ payloadType: 96, redPayloadType: 97, redundancy: 1, ssrc: 0x11223344, firstSeq: 10, firstTimestamp: 1000 });
    // First packet, t = 0 ms: 80 | M=1,PT=97 → e1 | seq 10 = 000a | ts 1000 = 000003e8 | SSRC |
    // RED with no earlier IFP: final header 60 (PT 96) then the primary 00 (no-signal).
    assert.equal(toHex(s.send(hex('00'), 0)), toHex(hex('80 e1 000a 000003e8 11223344  60 00')));
    // t = 30 ms → 240 ticks at 8 kHz: ts 1240 = 04d8; seq 11; M=0 → 61. One redundant block:
    // e0 (F=1, PT 96), offset 240 → 03 c0, length 1 → …01; final header 60; block 00; primary 06.
    assert.equal(toHex(s.send(hex('06'), 30)), toHex(hex('80 61 000b 000004d8 11223344  e0 03 c0 01 60  00  06')));
    assert.equal(s.nextSeq, 12);
    assert.deepEqual(s.getStats(), { datagrams: 2, octets: 14 + 19, redundantBlocks: 1, redundancyOmitted: 0, clockBackwards: 0 });
  });

  void it('without a red PT sends bare IFPs', () => {
    const s = new RtpT38Sender({ payloadType: 98, redundancy: 0, ssrc: 5, firstSeq: 0xffff, firstTimestamp: 0 });
    assert.equal(toHex(s.send(hex('02'), 100)), toHex(hex('80 e2 ffff 00000000 00000005 02')));
    // Sequence wraps to 0; 20 ms later → 160 ticks = a0.
    assert.equal(toHex(s.send(hex('04'), 120)), toHex(hex('80 62 0000 000000a0 00000005 04')));
  });

  void it('timestamps follow nowMs at the clock rate, wrap at 2^32 and never run backwards', () => {
    const s = new RtpT38Sender({ payloadType: 96, redundancy: 0, ssrc: 1, firstSeq: 0, firstTimestamp: 0xfffffff0 });
    const ts = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(4);
    assert.equal(ts(s.send(hex('00'), 5000)), 0xfffffff0);
    assert.equal(ts(s.send(hex('00'), 5020)), 0xfffffff0 + 160 - 2 ** 32); // 144
    assert.equal(ts(s.send(hex('00'), 5030.5)), 0xfffffff0 + 244 - 2 ** 32); // 30.5 ms = 244 ticks → 228
    assert.equal(ts(s.send(hex('00'), 5010)), 228); // clock stepped back: held
    assert.equal(s.getStats().clockBackwards, 1);
    const s16 = new RtpT38Sender({ payloadType: 96, redundancy: 0, ssrc: 1, firstSeq: 0, firstTimestamp: 0, clockRate: 16000 });
    s16.send(hex('00'), 0);
    assert.equal(ts(s16.send(hex('00'), 10)), 160);
  });

  void it('leaves out earlier IFPs that RFC 2198 cannot carry', () => {
    const blocksOf = (d: Uint8Array): string[] => {
      const r = decodeRtp(d);
      assert.ok(r.ok);
      const red = decodeRed(r.value.payload);
      assert.ok(red.ok);
      return red.value.redundant.map((b) => toHex(b.data));
    };
    // Too long: a 1024-octet IFP does not fit the 10-bit block length. Blocks must stay the run
    // of packets immediately before the new one, so nothing older than it is sent either.
    const s = new RtpT38Sender({ payloadType: 96, redPayloadType: 97, redundancy: 2, ssrc: 1, firstSeq: 0, firstTimestamp: 0 });
    s.send(hex('aa'), 0);
    assert.deepEqual(blocksOf(s.send(new Uint8Array(1024), 10)), ['aa']);
    assert.deepEqual(blocksOf(s.send(hex('00'), 20)), []); // newest earlier IFP too long: stop (aa not sent alone)
    assert.deepEqual(blocksOf(s.send(hex('02'), 30)), ['00']);
    assert.deepEqual(blocksOf(s.send(hex('04'), 40)), ['00', '02']); // oldest first
    assert.equal(s.getStats().redundancyOmitted, 3); // {big, aa}, then {big}
    // Too old: 2100 ms = 16800 ticks > 16383, the 14-bit offset limit.
    const t = new RtpT38Sender({ payloadType: 96, redPayloadType: 97, redundancy: 1, ssrc: 1, firstSeq: 0, firstTimestamp: 0 });
    t.send(hex('00'), 0);
    assert.deepEqual(blocksOf(t.send(hex('02'), 2100)), []);
    assert.deepEqual(blocksOf(t.send(hex('04'), 2102)), ['02']);
    assert.equal(t.getStats().redundancyOmitted, 1);
  });

  void it('random initial sequence number and timestamp when not given', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 8; k++) {
      const d = new RtpT38Sender({ payloadType: 96, redundancy: 0, ssrc: 1 }).send(hex('00'), 0);
      seen.add(toHex(d.subarray(2, 8)));
    }
    assert.ok(seen.size > 1);
  });

  void it('validates its options', () => {
    const base = { payloadType: 96, redundancy: 0, ssrc: 1 };
    throwsCode(() => new RtpT38Sender({ ...base, payloadType: 128 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => new RtpT38Sender({ ...base, redundancy: 2 }), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    throwsCode(() => new RtpT38Sender({ ...base, redPayloadType: 96 }), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    throwsCode(() => new RtpT38Sender({ ...base, redPayloadType: 97, redundancy: 17 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => new RtpT38Sender({ ...base, firstSeq: 65536 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => new RtpT38Sender({ ...base, clockRate: 0 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => new RtpT38Sender(base).send(hex('00'), Number.NaN), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  });
});

// ─── receiver ───────────────────────────────────────────────────────────────────────────────────

const ifpOf = (k: number): Uint8Array => Uint8Array.of(0xc0, 0x01, 0x80, 0x00, 0x00, k & 0xff, (k >> 8) & 0xff);

/** Sends `count` IFPs 30 ms apart; returns the datagrams in order. */
function makeStream(count: number, opts: { redundancy: number; firstSeq?: number; ssrc?: number; red?: boolean }): Uint8Array[] {
  const s = new RtpT38Sender({
    payloadType: 96,
    ...(opts.red === false ? {} : { redPayloadType: 97 }),
    redundancy: opts.redundancy,
    ssrc: opts.ssrc ?? 0xabc,
    firstSeq: opts.firstSeq ?? 100,
    firstTimestamp: 5000,
  });
  return Array.from({ length: count }, (_, k) => s.send(ifpOf(k), k * 30));
}

function receiveAll(rx: RtpT38Receiver, datagrams: readonly Uint8Array[]): RtpT38Delivery[] {
  const out: RtpT38Delivery[] = [];
  for (const d of datagrams) out.push(...rx.receive(d));
  return out;
}

const summary = (ds: readonly RtpT38Delivery[]): string[] => ds.map((d) => `${d.seq}:${d.source[0]}:${toHex(d.ifp)}`);

void describe('RtpT38Receiver', () => {
  const rxOpts = { payloadType: 96, redPayloadType: 97 };

  void it('delivers a clean stream in order', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const out = receiveAll(rx, makeStream(5, { redundancy: 2 }));
    assert.deepEqual(out.map((d) => d.seq), [100, 101, 102, 103, 104]);
    assert.ok(out.every((d, k) => d.source === 'primary' && toHex(d.ifp) === toHex(ifpOf(k))));
    // Timestamps are 5000 + 240 k (30 ms at 8 kHz).
    assert.deepEqual(out.map((d) => d.timestamp), [5000, 5240, 5480, 5720, 5960]);
    const st = rx.getStats();
    assert.equal(st.primaries, 5);
    assert.equal(st.recovered, 0);
    assert.equal(st.lost, 0);
  });

  void it('restores one lost packet from the next packet’s redundant block', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const ds = makeStream(6, { redundancy: 1 });
    const out = receiveAll(rx, ds.filter((_, k) => k !== 3));
    assert.deepEqual(out.map((d) => d.seq), [100, 101, 102, 103, 104, 105]);
    assert.equal(out[3]!.source, 'redundant');
    assert.equal(toHex(out[3]!.ifp), toHex(ifpOf(3)));
    assert.equal(out[3]!.timestamp, 5000 + 3 * 240);
    assert.deepEqual([rx.getStats().recovered, rx.getStats().lost], [1, 0]);
  });

  void it('a burst longer than the redundancy loses only the oldest packets', () => {
    // Redundancy 2, packets 2, 3, 4 dropped: packet 5 carries 3 and 4; 2 is lost.
    const rx = new RtpT38Receiver(rxOpts);
    const ds = makeStream(7, { redundancy: 2 });
    const out = receiveAll(rx, ds.filter((_, k) => k < 2 || k > 4));
    assert.deepEqual(summary(out).map((s) => s.slice(0, 5)), ['100:p', '101:p', '103:r', '104:r', '105:p', '106:p']);
    const st = rx.getStats();
    assert.deepEqual([st.recovered, st.lost, st.primaries], [2, 1, 4]);
  });

  void it('drops duplicates and counts them', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const ds = makeStream(3, { redundancy: 1 });
    const out = receiveAll(rx, [ds[0]!, ds[1]!, ds[1]!, ds[0]!, ds[2]!]);
    assert.deepEqual(out.map((d) => d.seq), [100, 101, 102]);
    assert.equal(rx.getStats().duplicates, 2);
  });

  void it('with no reorder window a late packet is dropped (its seq was declared lost)', () => {
    const rx = new RtpT38Receiver({ payloadType: 96 });
    const ds = makeStream(4, { redundancy: 0, red: false });
    const out = receiveAll(rx, [ds[0]!, ds[2]!, ds[1]!, ds[3]!]);
    assert.deepEqual(out.map((d) => d.seq), [100, 102, 103]);
    const st = rx.getStats();
    assert.deepEqual([st.lost, st.late], [1, 1]);
  });

  void it('a reorder window puts swapped packets back in order', () => {
    const rx = new RtpT38Receiver({ payloadType: 96, reorderWindow: 2 });
    const ds = makeStream(5, { redundancy: 0, red: false });
    const out = receiveAll(rx, [ds[0]!, ds[2]!, ds[3]!, ds[1]!, ds[4]!]);
    assert.deepEqual(out.map((d) => d.seq), [100, 101, 102, 103, 104]);
    assert.equal(rx.getStats().lost, 0);
  });

  void it('the window gives up once it overflows, and flush() releases what is held', () => {
    const rx = new RtpT38Receiver({ payloadType: 96, reorderWindow: 2 });
    const ds = makeStream(6, { redundancy: 0, red: false });
    // 101 never comes: 102, 103 are held; 104 overflows the window → 101 lost.
    assert.deepEqual(receiveAll(rx, [ds[0]!, ds[2]!, ds[3]!]).map((d) => d.seq), [100]);
    assert.equal(rx.getStats().held, 2);
    assert.deepEqual(rx.receive(ds[4]!).map((d) => d.seq), [102, 103, 104]);
    // 105 missing; 106 does not exist: hold nothing more. Now hold one and flush.
    const rx2 = new RtpT38Receiver({ payloadType: 96, reorderWindow: 4 });
    receiveAll(rx2, [ds[0]!, ds[2]!]);
    assert.deepEqual(rx2.flush().map((d) => d.seq), [102]);
    assert.equal(rx2.getStats().lost, 1);
  });

  void it('handles sequence-number wrap-around, with recovery across it', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const ds = makeStream(6, { redundancy: 1, firstSeq: 65533 });
    const out = receiveAll(rx, ds.filter((_, k) => k !== 3)); // seq 0 is lost, restored from seq 1
    assert.deepEqual(out.map((d) => d.seq), [65533, 65534, 65535, 0, 1, 2]);
    assert.equal(out[3]!.source, 'redundant');
  });

  void it('an SSRC change restarts the receiver', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const a = makeStream(3, { redundancy: 1, ssrc: 1, firstSeq: 100 });
    const b = makeStream(3, { redundancy: 1, ssrc: 2, firstSeq: 40000 });
    const out = receiveAll(rx, [...a, ...b]);
    assert.deepEqual(out.map((d) => d.seq), [100, 101, 102, 40000, 40001, 40002]);
    const st = rx.getStats();
    assert.deepEqual([st.ssrcChanges, st.lost, st.late], [1, 0, 0]);
  });

  void it('a large sequence jump on the same SSRC is a restart, not 2000+ losses', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const a = makeStream(2, { redundancy: 1, firstSeq: 10 });
    const b = makeStream(2, { redundancy: 1, firstSeq: 30000 });
    const out = receiveAll(rx, [...a, ...b]);
    assert.deepEqual(out.map((d) => d.seq), [10, 11, 30000, 30001]);
    const st = rx.getStats();
    assert.deepEqual([st.restarts, st.lost], [1, 0]);
  });

  void it('packets of another payload type take their sequence number but deliver nothing', () => {
    const rx = new RtpT38Receiver({ payloadType: 96 });
    const mk = (seq: number, pt: number, payload: string): Uint8Array =>
      encodeRtp(pkt({ payloadType: pt, sequenceNumber: seq, timestamp: seq * 160, ssrc: 7, payload: hex(payload) }));
    // An audio (PT 8) packet between T.38 packets is not a loss; an empty T.38 packet neither.
    const out = receiveAll(rx, [mk(1, 96, '00'), mk(2, 8, 'd5d5'), mk(3, 96, ''), mk(4, 96, '02')]);
    assert.deepEqual(out.map((d) => d.seq), [1, 4]);
    const st = rx.getStats();
    assert.deepEqual([st.otherPayloadType, st.empty, st.lost], [1, 1, 0]);
  });

  void it('maps blocks sent newest-first (UDPTL style) by their timestamp offsets', () => {
    // Hand-built RED packets: seq 3 carries seq 2 (offset 240) and seq 1 (offset 480) with the
    // newest block first. Sorting by offset restores oldest-first before mapping by position.
    const rx = new RtpT38Receiver(rxOpts);
    const red = (seq: number, blocks: { off: number; ifp: string }[], primary: string): Uint8Array =>
      encodeRtp(
        pkt({
          payloadType: 97,
          sequenceNumber: seq,
          timestamp: 1000 + seq * 240,
          ssrc: 9,
          payload: encodeRed({
            redundant: blocks.map((b) => ({ payloadType: 96, timestampOffset: b.off, data: hex(b.ifp) })),
            primaryPayloadType: 96,
            primary: hex(primary),
          }),
        }),
      );
    const out = receiveAll(rx, [
      red(0, [], '10'),
      // seq 1 and 2 lost
      red(3, [{ off: 240, ifp: '12' }, { off: 480, ifp: '11' }], '13'),
    ]);
    assert.deepEqual(summary(out), ['0:p:10', '1:r:11', '2:r:12', '3:p:13']);
    assert.equal(rx.getStats().redundancyMismatch, 0);
  });

  void it('rejects a block whose timestamp contradicts the position it maps to', () => {
    // seq 2 is lost; seq 3's only block claims a timestamp *before* seq 1's (offset too large),
    // so it cannot be seq 2's copy: not delivered, counted, seq 2 lost.
    const rx = new RtpT38Receiver(rxOpts);
    const mk = (seq: number, blocks: { off: number; ifp: string }[], primary: string): Uint8Array =>
      encodeRtp(
        pkt({
          payloadType: 97,
          sequenceNumber: seq,
          timestamp: 1000 + seq * 240,
          ssrc: 9,
          payload: encodeRed({
            redundant: blocks.map((b) => ({ payloadType: 96, timestampOffset: b.off, data: hex(b.ifp) })),
            primaryPayloadType: 96,
            primary: hex(primary),
          }),
        }),
      );
    const out = receiveAll(rx, [mk(1, [], '01'), mk(3, [{ off: 720, ifp: 'ee' }], '03')]);
    assert.deepEqual(summary(out), ['1:p:01', '3:p:03']);
    const st = rx.getStats();
    assert.deepEqual([st.redundancyMismatch, st.lost, st.recovered], [1, 1, 0]);
  });

  void it('never maps an older IFP onto a newer lost one when the sender skips an unrepresentable block', () => {
    // IFP 1 is too long for a redundant block. Packet 2 therefore carries no blocks (not IFP 0
    // alone, which the position rule would read as a copy of packet 1). Packet 1 lost → lost.
    const s = new RtpT38Sender({ payloadType: 96, redPayloadType: 97, redundancy: 2, ssrc: 4, firstSeq: 0, firstTimestamp: 0 });
    const ds = [s.send(hex('01'), 0), s.send(new Uint8Array(1100).fill(2), 0), s.send(hex('03'), 0)];
    const rx = new RtpT38Receiver(rxOpts);
    const out = receiveAll(rx, [ds[0]!, ds[2]!]);
    assert.deepEqual(summary(out), ['0:p:01', '2:p:03']);
    assert.equal(rx.getStats().lost, 1);
  });

  void it('foreign packets from another SSRC (e.g. muxed RTCP) neither restart nor disturb the stream', () => {
    const rx = new RtpT38Receiver(rxOpts);
    const ds = makeStream(3, { redundancy: 1, ssrc: 0xabc });
    // An RTCP receiver report (RFC 3550 §6.4.2: 81 c9 0007, sender SSRC, one report block). Read
    // as RTP it is V=2, M=1, PT 73, "seq" 7, and its "SSRC" is the report block's SSRC.
    const rtcp = hex('81 c9 0007 00000001 00000abc 00000000 00000000 00000000 00000000 00000000');
    // Audio of another SSRC, before and during the T.38 stream.
    const audio = encodeRtp(pkt({ payloadType: 8, sequenceNumber: 9, timestamp: 0, ssrc: 0x55, payload: hex('d5') }));
    const out = receiveAll(rx, [audio, ds[0]!, rtcp, audio, ds[1]!, ds[2]!]);
    assert.deepEqual(out.map((d) => d.seq), [100, 101, 102]);
    const st = rx.getStats();
    assert.deepEqual([st.ssrcChanges, st.restarts, st.otherPayloadType, st.lost], [0, 0, 3, 0]);
  });

  void it('never throws on garbage and counts it as malformed', () => {
    const rx = new RtpT38Receiver(rxOpts);
    assert.deepEqual(rx.receive(new Uint8Array(0)), []);
    assert.deepEqual(rx.receive(hex('80')), []);
    // Valid RTP, PT 97, but a RED payload that ends inside a block header.
    assert.deepEqual(rx.receive(encodeRtp(pkt({ payloadType: 97, payload: hex('e0 03') }))), []);
    assert.equal(rx.getStats().malformed, 3);
  });

  void it('validates its options', () => {
    throwsCode(() => new RtpT38Receiver({ payloadType: 200 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    throwsCode(() => new RtpT38Receiver({ payloadType: 96, redPayloadType: 96 }), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    throwsCode(() => new RtpT38Receiver({ payloadType: 96, reorderWindow: 65 }), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
  });

  void describe('properties', () => {
    void it('with redundancy N, any loss pattern without runs longer than N delivers every IFP once, in order', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 0, max: 0xffff }),
          fc.array(fc.boolean(), { minLength: 2, maxLength: 80 }),
          (n, firstSeq, dropPattern) => {
            // Enforce: first and last packets arrive, and no run of drops exceeds n.
            const drop = dropPattern.slice();
            drop[0] = false;
            drop[drop.length - 1] = false;
            let run = 0;
            for (let k = 0; k < drop.length; k++) {
              run = drop[k] ? run + 1 : 0;
              if (run > n) {
                drop[k] = false;
                run = 0;
              }
            }
            const ds = makeStream(drop.length, { redundancy: n, firstSeq });
            const rx = new RtpT38Receiver(rxOpts);
            const out = receiveAll(rx, ds.filter((_, k) => !drop[k]));
            assert.equal(out.length, drop.length);
            out.forEach((d, k) => {
              assert.equal(d.seq, (firstSeq + k) & 0xffff);
              assert.equal(toHex(d.ifp), toHex(ifpOf(k)));
              assert.equal(d.source, drop[k] ? 'redundant' : 'primary');
            });
            const st = rx.getStats();
            assert.equal(st.lost, 0);
            assert.equal(st.recovered, drop.filter(Boolean).length);
          },
        ),
      );
    });

    void it('under loss, duplication and reordering: never a duplicate or out-of-order delivery, never a wrong IFP', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 3 }),
          fc.array(fc.tuple(fc.nat(59), fc.integer({ min: 0, max: 2 })), { maxLength: 120 }),
          (n, window, schedule) => {
            const ds = makeStream(60, { redundancy: n, firstSeq: 65500, red: true });
            const rx = new RtpT38Receiver({ ...rxOpts, reorderWindow: window });
            // schedule: (index, copies) pairs in arrival order — loss, duplicates, reordering.
            const arrivals: Uint8Array[] = [];
            for (const [k, copies] of schedule) for (let c = 0; c < copies; c++) arrivals.push(ds[k]!);
            const out = [...receiveAll(rx, arrivals), ...rx.flush()];
            const seen = new Set<number>();
            let prev: number | null = null;
            for (const d of out) {
              const k = (d.seq - 65500 + 0x10000) & 0xffff;
              assert.ok(k < 60);
              assert.equal(toHex(d.ifp), toHex(ifpOf(k)), 'right IFP for its seq');
              assert.ok(!seen.has(k), 'delivered once');
              seen.add(k);
              if (prev !== null) assert.ok(k > prev, 'in order');
              prev = k;
            }
          },
        ),
      );
    });

    void it('random datagrams, alone or mixed into a valid stream, never throw', () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 19 })), { maxLength: 60 }),
          fc.integer({ min: 0, max: 4 }),
          (items, window) => {
            const ds = makeStream(20, { redundancy: 2 });
            const rx = new RtpT38Receiver({ ...rxOpts, reorderWindow: window });
            for (const item of items) rx.receive(typeof item === 'number' ? ds[item]! : item);
            rx.flush();
            const st = rx.getStats();
            assert.ok(st.malformed <= st.datagrams);
          },
        ),
      );
    });

    void it('random RED payloads in valid RTP never throw', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 60 })), { maxLength: 40 }), (pkts) => {
          const rx = new RtpT38Receiver(rxOpts);
          for (const [seq, payload] of pkts) {
            rx.receive(encodeRtp(pkt({ payloadType: 97, sequenceNumber: seq, timestamp: seq * 7, ssrc: 3, payload })));
          }
        }),
      );
    });
  });
});
