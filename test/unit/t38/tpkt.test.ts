import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeTpkt,
  encodeTpktInto,
  tpktEncodedSize,
  TpktParser,
  TPKT_DEFAULT_MAX_LENGTH,
  TPKT_MAX_PAYLOAD,
  type TpktErrorCode,
} from '../../../src/t38/tpkt.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { concat, hex, pushAll, split, toHex } from '../helpers/bytes.js';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof FaxwireError && e.code === code);
}

const ERROR_CODES: readonly TpktErrorCode[] = ['bad-version', 'bad-reserved', 'length-too-small', 'length-too-large'];

void describe('TPKT encoding (RFC 1006 §6)', () => {
  // Each vector: version 03, reserved 00, 16-bit big-endian length = 4 + payload length.
  // Payloads are real IFPs from spandsp-peer/README.md's table (v0 bytes).
  const vectors: { name: string; ifp: string; tpkt: string }[] = [
    // no-signal indicator, 1 octet: length 5 = 0x0005.
    { name: 'no-signal', ifp: '00', tpkt: '03 00 00 05 00' },
    // V.21 hdlc-data carrying ff, 6 octets: length 10 = 0x000a.
    { name: 'V.21 hdlc-data ff', ifp: 'c0 01 80 00 00 ff', tpkt: '03 00 00 0a c0 01 80 00 00 ff' },
    // V.21 hdlc-fcs-OK (v0), 3 octets: length 7 = RFC 1006's own minimum.
    { name: 'hdlc-fcs-OK', ifp: 'c0 01 20', tpkt: '03 00 00 07 c0 01 20' },
    // Empty payload: the length field counts only the header, 4.
    { name: 'empty', ifp: '', tpkt: '03 00 00 04' },
  ];
  for (const v of vectors) {
    void it(`encodes ${v.name}`, () => {
      const ifp = hex(v.ifp);
      assert.equal(tpktEncodedSize(ifp), hex(v.tpkt).length);
      assert.equal(toHex(encodeTpkt(ifp)), toHex(hex(v.tpkt)));
    });
    void it(`parses ${v.name}`, () => {
      const p = new TpktParser();
      const out = p.push(hex(v.tpkt));
      assert.equal(out.length, 1);
      assert.equal(toHex(out[0]!), toHex(hex(v.ifp)));
      assert.equal(p.error, null);
      assert.equal(p.buffered, 0);
    });
  }

  void it('encodes the largest payload with length 0xffff and refuses one octet more', () => {
    const big = new Uint8Array(TPKT_MAX_PAYLOAD).fill(0xaa);
    const enc = encodeTpkt(big);
    assert.equal(toHex(enc.subarray(0, 4)), '0300ffff'); // 65531 + 4 = 65535
    throwsCode(() => tpktEncodedSize(new Uint8Array(TPKT_MAX_PAYLOAD + 1)), 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
  });

  void it('encodeTpktInto writes at an offset and checks the room', () => {
    const buf = new Uint8Array(10).fill(0xee);
    assert.equal(encodeTpktInto(hex('00'), buf, 3), 5);
    assert.equal(toHex(buf), 'eeeeee0300000500eeee');
    throwsCode(() => encodeTpktInto(hex('00'), new Uint8Array(4), 0), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
    throwsCode(() => encodeTpktInto(hex('00'), buf, 6), 'FAXWIRE_ERR_BUFFER_TOO_SMALL');
    throwsCode(() => encodeTpktInto(hex('00'), buf, -1), 'FAXWIRE_ERR_INVALID_ARGUMENT');
  });
});

void describe('TpktParser', () => {
  // Three frames back to back: no-signal, hdlc-data ff, fcs-OK.
  const stream = hex('03 00 00 05 00   03 00 00 0a c0 01 80 00 00 ff   03 00 00 07 c0 01 20');
  const frames = ['00', 'c001800000ff', 'c00120'];
  const frameEnds = [5, 15, 22];

  void it('parses several frames from one chunk', () => {
    const p = new TpktParser();
    assert.deepEqual(p.push(stream).map(toHex), frames);
    assert.deepEqual(p.getStats(), { frames: 3, bytes: 22, payloadBytes: 10, emptyFrames: 0, reservedNonZero: 0, errors: 0 });
  });

  void it('parses the stream fed one octet at a time', () => {
    const p = new TpktParser();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      const got = p.push(stream.subarray(i, i + 1));
      // A frame completes exactly on its last octet.
      assert.equal(got.length, frameEnds.includes(i + 1) ? 1 : 0, `octet ${i}`);
      out.push(...got.map(toHex));
    }
    assert.deepEqual(out, frames);
  });

  void it('truncation sweep: every prefix yields the frames it completes, no error, the rest buffered', () => {
    for (let n = 0; n <= stream.length; n++) {
      const p = new TpktParser();
      const out = p.push(stream.subarray(0, n));
      const complete = frameEnds.filter((e) => e <= n).length;
      assert.deepEqual(out.map(toHex), frames.slice(0, complete), `prefix ${n}`);
      assert.equal(p.error, null);
      assert.equal(p.buffered, n - (complete === 0 ? 0 : frameEnds[complete - 1]!), `prefix ${n}`);
    }
  });

  void it('does not alias the pushed chunk', () => {
    const chunk = hex('03 00 00 06 11 22');
    const p = new TpktParser();
    const [f] = p.push(chunk);
    chunk.fill(0);
    assert.equal(toHex(f!), '1122');
  });

  void it('returns empty payloads for length 4 and counts them', () => {
    const p = new TpktParser();
    const out = p.push(hex('03 00 00 04  03 00 00 05 06'));
    assert.deepEqual(out.map(toHex), ['', '06']);
    assert.equal(p.getStats().emptyFrames, 1);
  });

  void describe('errors are typed, located and sticky', () => {
    const cases: { name: string; bytes: string; code: TpktErrorCode; offset: number; before: string[]; opts?: { maxLength?: number; strictReserved?: boolean } }[] = [
      // Second header starts at stream offset 5 with 0x04 instead of 3.
      { name: 'bad version after a good frame', bytes: '03 00 00 05 00  04 00 00 05 00', code: 'bad-version', offset: 5, before: ['00'] },
      // A stream that is not TPKT at all (e.g. bare IFPs: c0 …).
      { name: 'bare IFP instead of TPKT', bytes: 'c0 01 20', code: 'bad-version', offset: 0, before: [] },
      // Length 3 < 4: the length field is at offset 2.
      { name: 'length 3', bytes: '03 00 00 03', code: 'length-too-small', offset: 2, before: [] },
      { name: 'length 0', bytes: '03 00 00 00 00 00', code: 'length-too-small', offset: 2, before: [] },
      // Length 8 > configured maximum 7.
      { name: 'length over maxLength', bytes: '03 00 00 08 00 00 00 00', code: 'length-too-large', offset: 2, before: [], opts: { maxLength: 7 } },
      // Default maximum 2052 = 0x0804; 0x0805 is one too many.
      { name: 'length over default max', bytes: '03 00 08 05', code: 'length-too-large', offset: 2, before: [] },
      // Reserved octet at offset 1 is 0x01; fatal only when strict.
      { name: 'reserved ≠ 0 (strict)', bytes: '03 01 00 05 00', code: 'bad-reserved', offset: 1, before: [], opts: { strictReserved: true } },
    ];
    for (const c of cases) {
      void it(c.name, () => {
        for (const chunking of ['whole', 'bytes'] as const) {
          const p = new TpktParser(c.opts ?? {});
          const bytes = hex(c.bytes);
          const out = chunking === 'whole' ? p.push(bytes) : pushAll(p, split(bytes, [...bytes.keys()]));
          assert.deepEqual(out.map(toHex), c.before, chunking);
          assert.equal(p.error?.code, c.code, chunking);
          assert.equal(p.error?.offset, c.offset, chunking);
          assert.equal(typeof p.error?.message, 'string');
          // Sticky: even a valid frame is refused now.
          assert.deepEqual(p.push(hex('03 00 00 05 00')), []);
          assert.equal(p.getStats().errors, 1);
          // reset() recovers (new connection).
          p.reset();
          assert.deepEqual(p.push(hex('03 00 00 05 00')).map(toHex), ['00']);
        }
      });
    }

    void it('reports a bad version on the first octet, before the header is complete', () => {
      const p = new TpktParser();
      assert.deepEqual(p.push(hex('45')), []); // 'E' of an HTTP request, say
      assert.equal(p.error?.code, 'bad-version');
      assert.equal(p.error?.offset, 0);
    });

    void it('reports a bad length only once the length octets have arrived', () => {
      const bytes = hex('03 00 00 02');
      for (let n = 0; n < 4; n++) {
        const p = new TpktParser();
        p.push(bytes.subarray(0, n));
        assert.equal(p.error, null, `prefix ${n}`);
      }
    });
  });

  void it('tolerates and counts a non-zero reserved octet by default', () => {
    const p = new TpktParser();
    const bytes = hex('03 ff 00 05 00  03 00 00 05 02');
    assert.deepEqual(pushAll(p, split(bytes, [1, 2, 3])).map(toHex), ['00', '02']);
    assert.equal(p.error, null);
    assert.equal(p.getStats().reservedNonZero, 1);
  });

  void it('validates its options', () => {
    throwsCode(() => new TpktParser({ maxLength: 6 }), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    throwsCode(() => new TpktParser({ maxLength: 65536 }), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    throwsCode(() => new TpktParser({ maxLength: 100.5 }), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    assert.ok(new TpktParser({ maxLength: 7 }));
    assert.ok(new TpktParser({ maxLength: 65535 }));
  });

  void it('a maximum-size frame is accepted when maxLength allows it', () => {
    const big = new Uint8Array(TPKT_MAX_PAYLOAD).map((_, i) => i & 0xff);
    const p = new TpktParser({ maxLength: 65535 });
    const out = pushAll(p, split(encodeTpkt(big), [1, 3, 1000, 40000]));
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], big);
  });

  void it('bounds its buffer: default maxLength', () => {
    const p = new TpktParser();
    const payload = new Uint8Array(TPKT_DEFAULT_MAX_LENGTH - 4);
    assert.equal(p.push(encodeTpkt(payload)).length, 1);
    p.push(encodeTpkt(new Uint8Array(TPKT_DEFAULT_MAX_LENGTH - 3)).subarray(0, 4));
    assert.equal(p.error?.code, 'length-too-large');
    assert.equal(p.buffered, 0);
  });

  void it('byte-at-a-time over a long stream stays linear (no concatenation buffer)', () => {
    // 2 000 frames of 100 octets fed one octet at a time; with O(n²) concatenation this would
    // copy ~10^10 octets. Not timed: it simply has to finish within the test runner's patience.
    const payloads = Array.from({ length: 2000 }, (_, k) => new Uint8Array(100).fill(k & 0xff));
    const bytes = concat(payloads.map(encodeTpkt));
    const p = new TpktParser();
    let count = 0;
    for (let i = 0; i < bytes.length; i++) count += p.push(bytes.subarray(i, i + 1)).length;
    assert.equal(count, 2000);
    assert.equal(p.getStats().bytes, bytes.length);
  });

  void describe('properties', () => {
    const payloadsArb = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 });
    const cutsArb = fc.array(fc.nat(), { maxLength: 30 });

    void it('any split of a concatenation of frames yields the same payloads', () => {
      fc.assert(
        fc.property(payloadsArb, cutsArb, (payloads, cuts) => {
          const bytes = concat(payloads.map(encodeTpkt));
          const p = new TpktParser();
          const out = pushAll(p, split(bytes, cuts));
          assert.equal(p.error, null);
          assert.equal(p.buffered, 0);
          assert.deepEqual(out, payloads);
          assert.equal(p.getStats().frames, payloads.length);
        }),
      );
    });

    void it('random bytes never throw; output is a prefix of sane frames or a typed error', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, fc.boolean(), (bytes, cuts, strict) => {
          const p = new TpktParser({ maxLength: 300, strictReserved: strict });
          const out = pushAll(p, split(bytes, cuts));
          for (const f of out) assert.ok(f.length <= 296);
          if (p.error !== null) {
            assert.ok(ERROR_CODES.includes(p.error.code));
            assert.ok(p.error.offset >= 0 && p.error.offset < bytes.length);
          }
          assert.ok(p.buffered <= 300);
        }),
      );
    });

    void it('valid streams with corrupted octets never throw and fail only with typed errors', () => {
      // Random bytes almost always die on octet 0; corrupting a valid stream exercises the
      // length and payload paths too.
      fc.assert(
        fc.property(payloadsArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), cutsArb, (payloads, edits, cuts) => {
          const bytes = concat(payloads.map(encodeTpkt));
          for (const [at, v] of edits) if (bytes.length > 0) bytes[at % bytes.length] = v;
          const p = new TpktParser({ maxLength: 304 });
          const out = pushAll(p, split(bytes, cuts));
          assert.ok(out.length <= bytes.length / 4);
          if (p.error !== null) assert.ok(ERROR_CODES.includes(p.error.code));
        }),
      );
    });

    void it('random bytes split differently give the same result', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), cutsArb, (bytes, cuts) => {
          const a = new TpktParser({ maxLength: 200 });
          const b = new TpktParser({ maxLength: 200 });
          const outA = a.push(bytes);
          const outB = pushAll(b, split(bytes, cuts));
          assert.deepEqual(outB, outA);
          assert.deepEqual(b.error, a.error);
        }),
      );
    });
  });
});
