import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BareTcpIfpParser, type BareTcpErrorCode, type IfpMeasure } from '../../../src/t38/tcp-bare.js';
import { decodeIfp } from '../../../src/t38/ifp.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { concat, hex, pushAll, split, toHex } from '../helpers/bytes.js';

/**
 * Fake self-delimiting "IFP": one length octet L then L octets (so 1 + L octets in all).
 * L = 0xff is reserved as invalid, to model a decoder that recognises garbage.
 */
const fakeMeasure: IfpMeasure = (b) => {
  const l = b[0]!;
  if (l === 0xff) return { ok: false, error: { code: 'bad-length' } };
  if (b.length < 1 + l) return { ok: false, error: { code: 'truncated' } };
  return { ok: true, bytesRead: 1 + l };
};
const frame = (body: Uint8Array): Uint8Array => concat([Uint8Array.of(body.length), body]);

const CODES: readonly BareTcpErrorCode[] = ['malformed-ifp', 'ifp-too-long', 'bad-measure'];

void describe('BareTcpIfpParser with a fake length-prefix measurer', () => {
  // 02 aa bb | 00 | 01 cc  →  three IFPs of 3, 1 and 2 octets.
  const stream = hex('02 aa bb  00  01 cc');
  const expected = ['02aabb', '00', '01cc'];
  const ends = [3, 4, 6];

  void it('splits a chunk holding several IFPs', () => {
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    assert.deepEqual(p.push(stream).map(toHex), expected);
    assert.equal(p.buffered, 0);
    assert.equal(p.getStats().frames, 3);
  });

  void it('one octet at a time', () => {
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      const got = p.push(stream.subarray(i, i + 1));
      assert.equal(got.length, ends.includes(i + 1) ? 1 : 0, `octet ${i}`);
      out.push(...got.map(toHex));
    }
    assert.deepEqual(out, expected);
  });

  void it('truncation sweep: each prefix gives the IFPs it completes and buffers the rest', () => {
    for (let n = 0; n <= stream.length; n++) {
      const p = new BareTcpIfpParser({ measure: fakeMeasure });
      const done = ends.filter((e) => e <= n).length;
      assert.deepEqual(p.push(stream.subarray(0, n)).map(toHex), expected.slice(0, done), `prefix ${n}`);
      assert.equal(p.error, null);
      assert.equal(p.buffered, n - (done === 0 ? 0 : ends[done - 1]!));
    }
  });

  void it('an empty chunk is a no-op, also mid-IFP', () => {
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    assert.deepEqual(p.push(new Uint8Array(0)), []);
    p.push(hex('02 aa'));
    assert.deepEqual(p.push(new Uint8Array(0)), []);
    assert.deepEqual(p.push(hex('bb')).map(toHex), ['02aabb']);
    assert.equal(p.error, null);
  });

  void it('does not alias the pushed chunk', () => {
    const chunk = hex('01 77 01 66');
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    const out = p.push(chunk);
    chunk.fill(0);
    assert.deepEqual(out.map(toHex), ['0177', '0166']);
  });

  void it('garbage: a non-truncated measure error is sticky malformed-ifp with the cause', () => {
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    // One good IFP (2 octets) then an invalid one starting at stream offset 2.
    assert.deepEqual(p.push(hex('01 aa ff 00 00')).map(toHex), ['01aa']);
    assert.equal(p.error?.code, 'malformed-ifp');
    assert.equal(p.error?.cause, 'bad-length');
    assert.equal(p.error?.offset, 2);
    assert.deepEqual(p.push(hex('00')), []);
    assert.equal(p.getStats().errors, 1);
    p.reset();
    assert.deepEqual(p.push(hex('00')).map(toHex), ['00']);
  });

  void it('garbage detected after buffering reports the stream offset of the IFP', () => {
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    p.push(hex('01'));
    p.push(hex('aa'));
    p.push(hex('ff'));
    assert.equal(p.error?.code, 'malformed-ifp');
    assert.equal(p.error?.offset, 2);
  });

  void it('an IFP longer than maxLength is ifp-too-long, whether buffered or whole', () => {
    // maxLength 4: "03 a b c" is exactly 4 octets (fine), "04 a b c d" is 5.
    const ok = new BareTcpIfpParser({ measure: fakeMeasure, maxLength: 4 });
    assert.deepEqual(ok.push(hex('03 01 02 03')).map(toHex), ['03010203']);

    const whole = new BareTcpIfpParser({ measure: fakeMeasure, maxLength: 4 });
    whole.push(hex('04 01 02 03 04'));
    assert.equal(whole.error?.code, 'ifp-too-long');
    assert.equal(whole.error?.offset, 0);

    const bytewise = new BareTcpIfpParser({ measure: fakeMeasure, maxLength: 4 });
    for (const b of hex('00 04 01 02 03')) bytewise.push(Uint8Array.of(b));
    assert.equal(bytewise.error?.code, 'ifp-too-long');
    assert.equal(bytewise.error?.offset, 1);
    assert.equal(bytewise.buffered, 0);
  });

  void it('a misbehaving measurer gives bad-measure, never an exception or a hang', () => {
    const zero = new BareTcpIfpParser({ measure: () => ({ ok: true, bytesRead: 0 }) });
    zero.push(hex('00 00'));
    assert.equal(zero.error?.code, 'bad-measure');

    const over = new BareTcpIfpParser({ measure: (b) => ({ ok: true, bytesRead: b.length + 1 }) });
    over.push(hex('00'));
    assert.equal(over.error?.code, 'bad-measure');

    const thrower = new BareTcpIfpParser({
      measure: () => {
        throw new Error('boom');
      },
    });
    assert.deepEqual(thrower.push(hex('00')), []);
    assert.equal(thrower.error?.code, 'bad-measure');
    assert.match(thrower.error?.message ?? '', /boom/);
  });

  void it('validates its options', () => {
    const bad = (f: () => unknown): void =>
      assert.throws(f, (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_ARGUMENT');
    bad(() => new BareTcpIfpParser({ measure: fakeMeasure, maxLength: 0 }));
    bad(() => new BareTcpIfpParser({ measure: fakeMeasure, maxLength: 1.5 }));
    bad(() => new BareTcpIfpParser({ measure: undefined as unknown as IfpMeasure }));
  });

  void it('byte-at-a-time over a long stream', () => {
    // 3 000 IFPs of 50 octets one octet at a time: copying stays O(1) per octet (decoder work is
    // O(L²) per IFP by design, L = 50 here).
    const bodies = Array.from({ length: 3000 }, (_, k) => new Uint8Array(49).fill(k & 0x7f));
    const bytes = concat(bodies.map(frame));
    const p = new BareTcpIfpParser({ measure: fakeMeasure });
    let n = 0;
    for (let i = 0; i < bytes.length; i++) n += p.push(bytes.subarray(i, i + 1)).length;
    assert.equal(n, 3000);
  });

  void describe('properties', () => {
    const bodiesArb = fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 25 });
    const cutsArb = fc.array(fc.nat(), { maxLength: 40 });

    void it('any split of a concatenation of IFPs yields the same IFPs', () => {
      fc.assert(
        fc.property(bodiesArb, cutsArb, fc.integer({ min: 61, max: 200 }), (bodies, cuts, maxLength) => {
          const frames = bodies.map(frame);
          const p = new BareTcpIfpParser({ measure: fakeMeasure, maxLength });
          const out = pushAll(p, split(concat(frames), cuts));
          assert.equal(p.error, null);
          assert.equal(p.buffered, 0);
          assert.deepEqual(out, frames);
        }),
      );
    });

    void it('random bytes never throw; split differently, same IFPs and same error', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 500 }), cutsArb, fc.integer({ min: 1, max: 300 }), (bytes, cuts, maxLength) => {
          const a = new BareTcpIfpParser({ measure: fakeMeasure, maxLength });
          const b = new BareTcpIfpParser({ measure: fakeMeasure, maxLength });
          const outA = a.push(bytes);
          const outB = pushAll(b, split(bytes, cuts));
          assert.deepEqual(outB, outA);
          // Same error (messages may word the length differently).
          assert.equal(b.error?.code, a.error?.code);
          assert.equal(b.error?.offset, a.error?.offset);
          assert.equal(b.error?.cause, a.error?.cause);
          if (a.error !== null) assert.ok(CODES.includes(a.error.code));
          assert.ok(b.buffered <= maxLength);
        }),
      );
    });
  });
});

void describe('BareTcpIfpParser with the real IFP decoder', () => {
  // IFP bytes as spandsp 0.0.6 sends them, T.38 version 0 (spandsp-peer/README.md, "IFP encoding"):
  // cng, v21-preamble, V.21 hdlc-data ff, V.21 hdlc-fcs-OK, V.21 hdlc-fcs-OK-sig-end, no-signal.
  const ifps = ['02', '06', 'c0 01 80 00 00 ff', 'c0 01 20', 'c0 01 40', '00'].map(hex);
  const measure: IfpMeasure = (b) => decodeIfp(b, 0);

  void it('delimits spandsp IFPs sent back to back, under any chunking', () => {
    const bytes = concat(ifps);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        const p = new BareTcpIfpParser({ measure });
        assert.deepEqual(pushAll(p, split(bytes, cuts)).map(toHex), ifps.map(toHex));
        assert.equal(p.error, null);
      }),
    );
  });

  void it('a zero-octet stream is a run of no-signal indicators, not an error', () => {
    const p = new BareTcpIfpParser({ measure });
    assert.deepEqual(p.push(new Uint8Array(3)).map(toHex), ['00', '00', '00']);
    assert.equal(p.error, null);
  });

  void it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const p = new BareTcpIfpParser({ measure, maxLength: 256 });
        pushAll(p, split(bytes, cuts));
        if (p.error !== null) assert.ok(CODES.includes(p.error.code));
      }),
    );
  });
});
