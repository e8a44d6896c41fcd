/**
 * The T.38 SDP attributes (src/sip/sdp-t38.ts): parsing as deployed peers write them (names in
 * any case, aliases, both boolean styles), the offer/answer rules of T.38 Annex D.2.3, and
 * writing them back; a round-trip property and a never-throws property.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  answerT38Sdp,
  formatT38SdpAttributes,
  parseT38SdpAttributes,
  t38SdpAcceptable,
  type T38SdpCapabilities,
  type T38SdpParams,
} from '../../../src/sip/sdp-t38.js';

const FAXWIRE: T38SdpCapabilities = {
  maxVersion: 3,
  maxBitRate: 14400,
  maxBuffer: 2000,
  maxDatagram: 400,
  errorCorrection: ['redundancy', 'fec'],
  fillBitRemoval: true,
  transcodingMmr: false,
  transcodingJbig: false,
  rateManagement: ['transferredTCF', 'localTCF'],
};

describe('parseT38SdpAttributes', () => {
  it('reads an Asterisk-style offer (booleans as bare attributes)', () => {
    const p = parseT38SdpAttributes([
      'T38FaxVersion:0',
      'T38MaxBitRate:14400',
      'T38FaxFillBitRemoval',
      'T38FaxRateManagement:transferredTCF',
      'T38FaxMaxBuffer:1800',
      'T38FaxMaxDatagram:400',
      'T38FaxUdpEC:t38UDPRedundancy',
      'rtpmap:0 PCMU/8000',
    ]);
    assert.deepEqual(p.params, {
      version: 0,
      maxBitRate: 14400,
      rateManagement: 'transferredTCF',
      maxBuffer: 1800,
      maxDatagram: 400,
      errorCorrection: 'redundancy',
      fillBitRemoval: true,
      transcodingMmr: false,
      transcodingJbig: false,
    });
    assert.equal(p.booleanStyle, 'flag');
    assert.deepEqual(p.unknown, []);
    assert.deepEqual(p.problems, []);
  });

  it('reads Cisco/Vega style: :0/:1 booleans, aliases, any case, and remembers the style', () => {
    const p = parseT38SdpAttributes(['t38faxversion:3', 'T38FaxMaxRate:9600', 'T38MaxDatagram:272', 'T38FaxFillBitRemoval:0', 'T38FAXTRANSCODINGMMR:1', 'T38FaxTranscodingJBIG:0', 'T38FaxRateManagement:LOCALTCF', 'T38FaxUdpEC:t38UDPFEC']);
    assert.equal(p.params.version, 3);
    assert.equal(p.params.maxBitRate, 9600);
    assert.equal(p.params.maxDatagram, 272);
    assert.equal(p.params.fillBitRemoval, false);
    assert.equal(p.params.transcodingMmr, true);
    assert.equal(p.params.transcodingJbig, false);
    assert.equal(p.params.rateManagement, 'localTCF');
    assert.equal(p.params.errorCorrection, 'fec');
    assert.equal(p.booleanStyle, 'value');
  });

  it('version 4 attributes', () => {
    const p = parseT38SdpAttributes(['T38FaxVersion:4', 'T38FaxMaxIFP:800', 'T38FaxUdpECDepth:1 3', 'T38FaxUdpFECMaxSpan:4', 'T38ModemType:t38G3FaxOnly']);
    assert.equal(p.params.maxIfp, 800);
    assert.deepEqual(p.params.errorCorrectionDepth, { min: 1, max: 3 });
    assert.equal(p.params.fecMaxSpan, 4);
    assert.equal(p.params.modemType, 't38G3FaxOnly');
    assert.deepEqual(parseT38SdpAttributes(['T38FaxUdpECDepth:2']).params.errorCorrectionDepth, { min: 2 });
  });

  it('bad values are reported and ignored, unknown T38 attributes listed, defaults kept', () => {
    const p = parseT38SdpAttributes(['T38FaxVersion:7', 'T38FaxMaxDatagram:-1', 'T38MaxBitRate:fast', 'T38FaxUdpEC:t38UDPMagic', 'T38FaxFillBitRemoval:maybe', 'T38FaxUdpECDepth:3 1', 'T38FaxFrobnicate:1', 'T38FaxMaxBuffer:99999999999']);
    assert.equal(p.params.version, 0);
    assert.equal(p.params.maxDatagram, undefined);
    assert.equal(p.params.maxBitRate, undefined);
    assert.equal(p.params.errorCorrection, 'none');
    assert.equal(p.params.fillBitRemoval, false);
    assert.equal(p.params.errorCorrectionDepth, undefined);
    assert.equal(p.params.maxBuffer, undefined);
    assert.deepEqual(p.unknown, ['T38FaxFrobnicate']);
    assert.equal(p.problems.length, 7);
  });

  it('no T38FaxUdpEC means no error correction; no rate management means transferredTCF', () => {
    const p = parseT38SdpAttributes(['T38FaxVersion:1']);
    assert.equal(p.params.errorCorrection, 'none');
    assert.equal(p.params.rateManagement, 'transferredTCF');
  });
});

describe('answerT38Sdp (T.38 Annex D.2.3)', () => {
  const offer = (o: Partial<T38SdpParams>): T38SdpParams => ({
    version: 3,
    rateManagement: 'transferredTCF',
    errorCorrection: 'redundancy',
    fillBitRemoval: false,
    transcodingMmr: false,
    transcodingJbig: false,
    ...o,
  });

  const table: [string, Partial<T38SdpParams>, Partial<T38SdpParams>][] = [
    ['the lower version', { version: 4 }, { version: 3 }],
    ['the offered version when lower', { version: 0 }, { version: 0 }],
    ['the lower bit rate', { maxBitRate: 9600 }, { maxBitRate: 9600 }],
    ['our bit rate when the offer is higher', { maxBitRate: 33600 }, { maxBitRate: 14400 }],
    ['FEC when offered and supported', { errorCorrection: 'fec' }, { errorCorrection: 'fec' }],
    ['redundancy when offered', { errorCorrection: 'redundancy' }, { errorCorrection: 'redundancy' }],
    ['none when none was offered (never upgraded)', { errorCorrection: 'none' }, { errorCorrection: 'none' }],
    ['the offered rate management', { rateManagement: 'localTCF' }, { rateManagement: 'localTCF' }],
    ['fill-bit removal when both have it', { fillBitRemoval: true }, { fillBitRemoval: true }],
    ['no MMR transcoding when we lack it', { transcodingMmr: true }, { transcodingMmr: false }],
    ['our own datagram and buffer sizes', { maxDatagram: 1400, maxBuffer: 500 }, { maxDatagram: 400, maxBuffer: 2000 }],
  ];
  for (const [what, o, want] of table) {
    it(what, () => {
      const a = answerT38Sdp(offer(o), FAXWIRE);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(a[k as keyof T38SdpParams], v, k);
    });
  }

  it('FEC offered to an end with redundancy only: answered with redundancy', () => {
    const a = answerT38Sdp(offer({ errorCorrection: 'fec' }), { ...FAXWIRE, errorCorrection: ['redundancy'] });
    assert.equal(a.errorCorrection, 'redundancy');
  });

  it('an offered rate management this end lacks is echoed and flagged unacceptable', () => {
    const local = { ...FAXWIRE, rateManagement: ['transferredTCF'] as const };
    const a = answerT38Sdp(offer({ rateManagement: 'localTCF' }), local);
    assert.equal(a.rateManagement, 'localTCF');
    assert.equal(t38SdpAcceptable(a, local), false);
    assert.equal(t38SdpAcceptable(answerT38Sdp(offer({}), local), local), true);
  });

  it('version 4 answers name the modem type (G3 only)', () => {
    const a = answerT38Sdp(offer({ version: 4 }), { ...FAXWIRE, maxVersion: 4 });
    assert.equal(a.version, 4);
    assert.equal(a.modemType, 't38G3FaxOnly');
    assert.equal(answerT38Sdp(offer({ version: 4 }), FAXWIRE).modemType, undefined);
  });
});

describe('formatT38SdpAttributes', () => {
  it('writes booleans in the style asked (bare when true, or :1/:0)', () => {
    const p = answerT38Sdp(parseT38SdpAttributes(['T38FaxVersion:0', 'T38FaxFillBitRemoval', 'T38FaxUdpEC:t38UDPRedundancy']).params, FAXWIRE);
    assert.deepEqual(formatT38SdpAttributes(p, 'flag'), [
      'T38FaxVersion:0',
      'T38MaxBitRate:14400',
      'T38FaxFillBitRemoval',
      'T38FaxRateManagement:transferredTCF',
      'T38FaxMaxBuffer:2000',
      'T38FaxMaxDatagram:400',
      'T38FaxUdpEC:t38UDPRedundancy',
    ]);
    const v = formatT38SdpAttributes(p, 'value');
    assert.ok(v.includes('T38FaxFillBitRemoval:1') && v.includes('T38FaxTranscodingMMR:0') && v.includes('T38FaxTranscodingJBIG:0'));
  });

  const params: fc.Arbitrary<T38SdpParams> = fc.record(
    {
      version: fc.constantFrom<0 | 1 | 2 | 3 | 4>(0, 1, 2, 3, 4),
      maxBitRate: fc.integer({ min: 1, max: 33600 }),
      rateManagement: fc.constantFrom<'localTCF' | 'transferredTCF'>('localTCF', 'transferredTCF'),
      maxBuffer: fc.integer({ min: 1, max: 100000 }),
      maxDatagram: fc.integer({ min: 1, max: 65507 }),
      errorCorrection: fc.constantFrom<'none' | 'redundancy' | 'fec'>('none', 'redundancy', 'fec'),
      fillBitRemoval: fc.boolean(),
      transcodingMmr: fc.boolean(),
      transcodingJbig: fc.boolean(),
    },
    { requiredKeys: ['version', 'rateManagement', 'errorCorrection', 'fillBitRemoval', 'transcodingMmr', 'transcodingJbig'] },
  );

  it('property: parse(format(p, style)) gives p back, in both styles', () => {
    fc.assert(
      fc.property(params, fc.constantFrom<'flag' | 'value'>('flag', 'value'), (p, style) => {
        const got = parseT38SdpAttributes(formatT38SdpAttributes(p, style));
        assert.deepEqual(got.params, { ...p }); // fast-check builds records without a prototype
        assert.deepEqual(got.problems, []);
      }),
    );
  });

  it('property: arbitrary attribute text parses without throwing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('T38FaxVersion:', 'T38FaxUdpECDepth:', 't38maxbitrate:').chain((n) => fc.string().map((v) => n + v)))), (lines) => {
        const r = parseT38SdpAttributes(lines);
        assert.ok(r.params.version >= 0 && r.params.version <= 4);
      }),
    );
  });
});
