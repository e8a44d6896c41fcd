import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeIfp,
  describeIfp,
  encodeIfp,
  encodeIfpInto,
  ifpEncodedSize,
  ifpImplausibility,
  IfpView,
  IFP_FIELD_TYPES,
  T30_DATA_TYPES,
  T30_INDICATORS,
  type Ifp,
  type IfpField,
  type T30DataType,
  type T38Version,
} from '../../../src/t38/ifp.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex, toHex } from '../helpers/bytes.js';


function dataIfp(dataType: T30DataType, ...fields: IfpField[]): Ifp {
  return { type: 't30-data', dataType, fields };
}

// Bytes from the table "IFP encoding (as spandsp 0.0.6 sends and accepts it)" in
// ../shared/interop/spandsp-peer/README.md — captured from spandsp, i.e. independent of this codec.
describe('IFP vectors (real spandsp bytes)', () => {
  const zeros54 = new Uint8Array(54);
  const cases: { name: string; ifp: Ifp; v0: string; v1: string }[] = [
    { name: 'no-signal', ifp: { type: 't30-indicator', indicator: 'no-signal' }, v0: '00', v1: '00' },
    { name: 'cng', ifp: { type: 't30-indicator', indicator: 'cng' }, v0: '02', v1: '02' },
    { name: 'ced', ifp: { type: 't30-indicator', indicator: 'ced' }, v0: '04', v1: '04' },
    { name: 'v21-preamble', ifp: { type: 't30-indicator', indicator: 'v21-preamble' }, v0: '06', v1: '06' },
    { name: 'v17 long', ifp: { type: 't30-indicator', indicator: 'v17-14400-long-training' }, v0: '1e', v1: '1e' },
    { name: 'v17 short', ifp: { type: 't30-indicator', indicator: 'v17-14400-short-training' }, v0: '1c', v1: '1c' },
    {
      name: 'V.21 hdlc-data ff',
      ifp: dataIfp('v21', { type: 'hdlc-data', data: hex('ff') }),
      v0: 'c0 01 80 00 00 ff',
      v1: 'c0 01 80 00 00 ff',
    },
    { name: 'V.21 hdlc-fcs-OK', ifp: dataIfp('v21', { type: 'hdlc-fcs-OK' }), v0: 'c0 01 20', v1: 'c0 01 10' },
    { name: 'V.21 hdlc-fcs-OK-sig-end', ifp: dataIfp('v21', { type: 'hdlc-fcs-OK-sig-end' }), v0: 'c0 01 40', v1: 'c0 01 20' },
    {
      name: 'V.17 t4-non-ecm-data 54',
      ifp: dataIfp('v17-14400', { type: 't4-non-ecm-data', data: zeros54 }),
      v0: 'd0 01 e0 00 35' + '00'.repeat(54),
      v1: 'd0 01 b0 00 35' + '00'.repeat(54),
    },
    {
      name: 'V.17 t4-non-ecm-sig-end 11',
      ifp: dataIfp('v17-14400', { type: 't4-non-ecm-sig-end', data: new Uint8Array(11).fill(0xa5) }),
      v0: 'd0 01 f0 00 0a' + 'a5'.repeat(11),
      v1: 'd0 01 b8 00 0a' + 'a5'.repeat(11),
    },
    {
      name: 'V.17 hdlc-data 54',
      ifp: dataIfp('v17-14400', { type: 'hdlc-data', data: zeros54 }),
      v0: 'd0 01 80 00 35' + '00'.repeat(54),
      v1: 'd0 01 80 00 35' + '00'.repeat(54),
    },
  ];
  for (const c of cases) {
    for (const [version, bytes] of [
      [0, c.v0],
      [3, c.v1],
    ] as const) {
      it(`${c.name} v${version}`, () => {
        assert.equal(toHex(encodeIfp(c.ifp, version)), toHex(hex(bytes)));
        const r = decodeIfp(hex(bytes), version);
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(r.bytesRead, hex(bytes).length);
        assert.deepEqual(r.value, c.ifp);
      });
    }
  }

  it('a v0 hdlc-fcs-OK is read by a v1+ decoder as hdlc-fcs-OK-sig-end (the known interop trap)', () => {
    const r = decodeIfp(hex('c0 01 20'), 2);
    assert.ok(r.ok);
    assert.deepEqual(r.value, dataIfp('v21', { type: 'hdlc-fcs-OK-sig-end' }));
  });

  it('v0 t4-non-ecm-data is a malformed extension to a v1+ decoder', () => {
    const r = decodeIfp(hex('d0 01 e0 00 35' + '00'.repeat(54)), 1);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'unknown-extension');
  });
});

// Extension encodings derived by hand from X.691 §10.6 (normally small non-negative whole
// number: a 0 bit then 6 bits) after the D, T and E bits — and matching what spandsp emits.
describe('IFP extension values (T.38 2002 module)', () => {
  const ext: [Ifp, string][] = [
    [{ type: 't30-indicator', indicator: 'v8-ansam' }, '20 00'],
    [{ type: 't30-indicator', indicator: 'v8-signal' }, '20 40'],
    [{ type: 't30-indicator', indicator: 'v34-cntl-channel-1200' }, '20 80'],
    [{ type: 't30-indicator', indicator: 'v34-pri-channel' }, '20 c0'],
    [{ type: 't30-indicator', indicator: 'v34-CC-retrain' }, '21 00'],
    [{ type: 't30-indicator', indicator: 'v33-12000-training' }, '21 40'],
    [{ type: 't30-indicator', indicator: 'v33-14400-training' }, '21 80'],
    [{ type: 't30-data', dataType: 'v8' }, '60 00'],
    [{ type: 't30-data', dataType: 'v33-14400' }, '61 40'],
    // cm-message with 2 octets: D T E 0 v(6)=0 | pad | count 1 | P=1 E=1 0 v(6)=0 → 1100 0000 0|0 pad | len-1 = 1
    [dataIfp('v8', { type: 'cm-message', data: hex('e0 41') }), 'e0 00 01 c0 00 00 01 e0 41'],
    // v34rate (ext 3) without data: 0 1 0 000011 → 0100 0001 1 → 41 80
    [dataIfp('v34-pri-rate', { type: 'v34rate' }), 'e0 40 01 41 80'],
  ];
  for (const [ifp, bytes] of ext) {
    it(describeIfp(ifp), () => {
      assert.equal(toHex(encodeIfp(ifp, 2)), toHex(hex(bytes)));
      const r = decodeIfp(hex(bytes), 2);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.value, ifp);
    });
  }

  it('refuses to encode 2002-only values in version 0', () => {
    assert.throws(() => encodeIfp({ type: 't30-indicator', indicator: 'v8-ansam' }, 0), FaxwireError);
    assert.throws(() => encodeIfp(dataIfp('v21', { type: 'cm-message', data: hex('00') }), 0), FaxwireError);
  });

  it('rejects unknown extension values with a typed error', () => {
    for (const [bytes, v] of [
      ['21 c0', 3], // indicator extension 7: not defined
      ['61 80', 3], // data extension 6: not defined
      ['30 00', 3], // indicator extension with the "≥ 64" bit set
      ['c0 01 48 00', 3], // field-type extension 16: not defined
    ] as const) {
      const r = decodeIfp(hex(bytes), v);
      assert.equal(r.ok, false, bytes);
      if (!r.ok) assert.equal(r.error.code, 'unknown-extension', bytes);
    }
    // root t30-data values 9..15 do not exist
    const r = decodeIfp(hex('52'), 0);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'unknown-extension');
  });
});

describe('IFP field layout', () => {
  it('strict PER packs a data-less field with the next header (v0: 4 bits each)', () => {
    // hdlc-fcs-OK (0 010) then hdlc-sig-end (0 001): one octet 0010 0001
    const ifp = dataIfp('v21', { type: 'hdlc-fcs-OK' }, { type: 'hdlc-sig-end' });
    assert.equal(toHex(encodeIfp(ifp, 0)), 'c00221');
    const r = decodeIfp(hex('c00221'), 0);
    assert.ok(r.ok);
    assert.deepEqual(r.value, ifp);
    assert.equal(r.fieldAlignment, undefined);
  });

  it("accepts spandsp's octet-per-field layout of the same IFP", () => {
    const ifp = dataIfp('v21', { type: 'hdlc-fcs-OK' }, { type: 'hdlc-sig-end' });
    assert.equal(toHex(encodeIfp(ifp, 0, { fieldAlignment: 'octet' })), 'c0022010');
    const r = decodeIfp(hex('c0022010'), 0);
    assert.ok(r.ok);
    assert.deepEqual(r.value, ifp);
    assert.equal(r.fieldAlignment, 'octet');
  });

  it('v1+: hdlc-data + hdlc-fcs-OK merged in one IFP (5-bit data-less header)', () => {
    const ifp = dataIfp('v21', { type: 'hdlc-data', data: hex('ff c8 01') }, { type: 'hdlc-fcs-OK' });
    const bytes = encodeIfp(ifp, 3);
    assert.equal(toHex(bytes), 'c0028000' + '02ffc801' + '10');
    const r = decodeIfp(bytes, 3);
    assert.ok(r.ok);
    assert.deepEqual(r.value, ifp);
  });

  it('decodes a maximal field (65535 octets) and reports the length', () => {
    const data = new Uint8Array(65535).fill(7);
    const ifp = dataIfp('v17-14400', { type: 't4-non-ecm-data', data });
    const bytes = encodeIfp(ifp, 0);
    assert.equal(bytes.length, 5 + 65535);
    assert.equal(toHex(bytes.subarray(0, 5)), 'd001e0fffe');
    const r = decodeIfp(bytes, 0);
    assert.ok(r.ok);
    assert.equal(r.bytesRead, bytes.length);
  });

  it('rejects more than MAX_IFP_FIELDS fields', () => {
    const r = decodeIfp(hex('c0 80 80'), 0);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'too-many-fields');
    const frag = decodeIfp(hex('c0 c1 00'), 0);
    assert.equal(frag.ok, false);
    if (!frag.ok) assert.equal(frag.error.code, 'unsupported-length');
  });

  it('empty input', () => {
    const r = decodeIfp(new Uint8Array(0), 0);
    assert.deepEqual(r, { ok: false, error: { code: 'empty', message: 'empty IFP', offset: 0 } });
  });
});

describe('IFP truncation sweeps', () => {
  const samples: [Ifp, T38Version][] = [
    [dataIfp('v21', { type: 'hdlc-data', data: hex('ff c0 01 00 22') }), 0],
    [dataIfp('v17-14400', { type: 't4-non-ecm-data', data: new Uint8Array(54).fill(1) }), 3],
    [dataIfp('v8', { type: 'cm-message', data: hex('e0 41') }), 2],
    [dataIfp('v21', { type: 'hdlc-data', data: hex('ff') }, { type: 'hdlc-fcs-OK-sig-end' }), 0],
    [{ type: 't30-indicator', indicator: 'v33-14400-training' }, 1],
  ];
  for (const [ifp, version] of samples) {
    it(describeIfp(ifp), () => {
      const full = encodeIfp(ifp, version);
      for (let n = 0; n < full.length; n++) {
        const r = decodeIfp(full.subarray(0, n), version);
        assert.equal(r.ok, false, `prefix ${n} of ${full.length} must not decode`);
        if (!r.ok) assert.equal(r.error.code, n === 0 ? 'empty' : 'truncated', `prefix ${n}`);
      }
      const r = decodeIfp(full, version);
      assert.ok(r.ok);
    });
  }
});

// --- properties ------------------------------------------------------------------------------

const arbData = fc.uint8Array({ minLength: 1, maxLength: 300 });

function arbIfp(version: T38Version): fc.Arbitrary<Ifp> {
  const nInd = version === 0 ? 16 : T30_INDICATORS.length;
  const nData = version === 0 ? 9 : T30_DATA_TYPES.length;
  const nField = version === 0 ? 8 : IFP_FIELD_TYPES.length;
  const field: fc.Arbitrary<IfpField> = fc
    .tuple(fc.integer({ min: 0, max: nField - 1 }), fc.option(arbData, { nil: undefined }))
    .map(([t, data]) => (data ? { type: IFP_FIELD_TYPES[t]!, data } : { type: IFP_FIELD_TYPES[t]! }));
  const fields = fc.option(fc.array(field, { minLength: 0, maxLength: 6 }), { nil: undefined });
  return fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: nInd - 1 }), fields).map(([i, f]): Ifp =>
      f ? { type: 't30-indicator', indicator: T30_INDICATORS[i]!, fields: f } : { type: 't30-indicator', indicator: T30_INDICATORS[i]! },
    ),
    fc.tuple(fc.integer({ min: 0, max: nData - 1 }), fields).map(([i, f]): Ifp =>
      f ? { type: 't30-data', dataType: T30_DATA_TYPES[i]!, fields: f } : { type: 't30-data', dataType: T30_DATA_TYPES[i]! },
    ),
  );
}

describe('IFP properties', () => {
  for (const version of [0, 3] as const) {
    it(`decode(encode(x)) = x, version ${version} (strict PER)`, () => {
      fc.assert(
        fc.property(arbIfp(version), (ifp) => {
          const bytes = encodeIfp(ifp, version);
          assert.equal(bytes.length, ifpEncodedSize(ifp, version));
          const r = decodeIfp(bytes, version);
          assert.ok(r.ok, JSON.stringify(r));
          assert.equal(r.bytesRead, bytes.length);
          assert.deepEqual(r.value, ifp);
        }),
        { numRuns: 2000 },
      );
    });
    it(`encodeIfpInto assigns every octet it covers, version ${version}: into garbage at any offset, the octets of encodeIfp, nothing around them touched`, () => {
      fc.assert(
        fc.property(arbIfp(version), fc.boolean(), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 255 }), (ifp, octet, offset, fill) => {
          const options = octet ? ({ fieldAlignment: 'octet' } as const) : {};
          const want = encodeIfp(ifp, version, options);
          const buf = new Uint8Array(offset + want.length + 5).fill(fill);
          assert.equal(encodeIfpInto(ifp, version, buf, offset, options), want.length);
          assert.deepEqual(buf.subarray(offset, offset + want.length), want);
          assert.ok(buf.subarray(0, offset).every((x) => x === fill));
          assert.ok(buf.subarray(offset + want.length).every((x) => x === fill));
        }),
        { numRuns: 1000 },
      );
    });
    it(`decode(encode(x)) = x, version ${version} (octet-per-field)`, () => {
      fc.assert(
        fc.property(arbIfp(version), (ifp) => {
          const bytes = encodeIfp(ifp, version, { fieldAlignment: 'octet' });
          const r = decodeIfp(bytes, version);
          assert.ok(r.ok, JSON.stringify(r));
          assert.deepEqual(r.value, ifp);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('decoding random bytes never throws, in any version', () => {
    const view = new IfpView();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom<T38Version>(0, 1, 2, 3, 4), (bytes, v) => {
        const r = decodeIfp(bytes, v, view);
        if (r.ok) assert.ok(r.bytesRead <= bytes.length && r.bytesRead >= 1);
        ifpImplausibility(bytes, v, view);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('version auto-detection score', () => {
  it('prefers v0 for v0 image data and v1 for v1 image data', () => {
    const view = new IfpView();
    const page = { type: 't4-non-ecm-data' as const, data: new Uint8Array(54).fill(0x55) };
    const v0 = encodeIfp(dataIfp('v17-14400', page), 0);
    const v1 = encodeIfp(dataIfp('v17-14400', page), 3);
    assert.ok(ifpImplausibility(v0, 0, view) < ifpImplausibility(v0, 1, view));
    assert.ok(ifpImplausibility(v1, 1, view) < ifpImplausibility(v1, 0, view));
  });
});
