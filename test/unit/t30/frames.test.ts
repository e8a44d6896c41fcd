import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeIdentFif,
  decodeT30Frame,
  frameDetails,
  frameFcf,
  frameName,
  encodeT30Frame,
  encodeT30FrameInto,
  frameSummary,
  isSimpleFrameType,
  simpleFrame,
  t30FrameEncodedSize,
  type IdentFrameType,
  type T30Frame,
} from '../../../src/t30/frames.js';
import { T30_FCF2_TYPES, T30_FRAME_TYPES, bitReverse8, fcfHasXBit, type T30Fcf2Type } from '../../../src/t30/fcf.js';
import { DIS_FLAG_NAMES, disEncodedSize, interpretDis, isReservedDisBit, type DisFields, type DisFlagName, type DisKind } from '../../../src/t30/dis.js';
import { describeNsfFif } from '../../../src/t30/nsf.js';
import { hex } from '../helpers/bytes.js';

/** Octets listed LSB-first (bit order as received, the spandsp/HylaFAX convention) → document notation. */
const fromLsbFirst = (s: string): Uint8Array => hex(s).map(bitReverse8);

function dec(b: Uint8Array): T30Frame {
  const r = decodeT30Frame(b);
  if (!r.ok) assert.fail(`decode failed: ${r.error.code} ${r.error.message}`);
  assert.equal(r.bytesRead, b.length);
  return r.value;
}

/** The member of the T30Frame union whose `type` admits K (IdentFrame for 'CSI', …). */
type FrameOf<K extends T30Frame['type'], F extends T30Frame = T30Frame> = F extends { type: infer T } ? (K extends T ? F : never) : never;

function narrow<K extends T30Frame['type']>(f: T30Frame, type: K): FrameOf<K> {
  assert.equal(f.type, type);
  return f as FrameOf<K>;
}

/*
 * The T.30 frames of the spandsp golden capture, as tshark 4.0.17 reassembles them
 * (`tshark -r interop/spandsp-peer/results/cap_v0.pcapng -d udp.port==43000,t38 -d udp.port==43001,t38 -V -x -Y t30`).
 * The comment after each is tshark's decode of it.
 */
const G = {
  csi: hex('ff c0 02 6a c2 a2 4a 04 4a a2 a2 0a 1c cc 2a 04 04 04 04 04 04 04 04'), // CSI, Number: T38PEER RECV
  dis: hex('ff c8 01 20 77 1f 23 01 89 01 01 01 18'), // DIS, V.27 ter, V.29, and V.17, ECM, T.6, …
  tsi: hex('ff c0 c2 22 72 a2 ca 04 4a a2 a2 0a 1c cc 2a 04 04 04 04 04 04 04 04'), // TSI (66), Number: T38PEER SEND
  dcs: hex('ff c8 c1 00 46 1f 22'), // DCS (65), 14 400 bit/s V.17, ECM, 256 octets, T.6
  cfr: hex('ff c8 21'), // CFR (33), final
  rcp: hex('ff c0 61'), // RCP (97), non-final
  pps: hex('ff c8 fd f4 00 00 b2'), // PPS (125), EOP (244), page 0, block 0, frame counter 77
  mcf: hex('ff c8 31'), // MCF (49)
  dcn: hex('ff c8 df'), // DCN (95)
};

describe('T.30 frames of the spandsp golden capture (tshark reference)', () => {
  it('decodes each frame to what tshark shows and re-encodes it byte-exactly', () => {
    const csi = narrow(dec(G.csi), 'CSI');
    assert.equal(csi.ident, 'T38PEER RECV');
    assert.equal(csi.final, false);
    assert.equal(csi.xBit, false);

    const dis = narrow(dec(G.dis), 'DIS');
    assert.equal(dis.final, true);
    assert.equal(dis.dis.rate.bitRate, 14400);
    assert.equal(dis.dis.ecm && dis.dis.t6 && dis.dis.t38, true);
    assert.equal(dis.trailing.length, 0);

    const tsi = narrow(dec(G.tsi), 'TSI');
    assert.equal(tsi.ident, 'T38PEER SEND');
    assert.equal(tsi.xBit, true); // sent by the station that received the DIS

    const dcs = narrow(dec(G.dcs), 'DCS');
    assert.equal(dcs.xBit, true);
    assert.deepEqual(dcs.dis.rate.modems, ['V.17']);
    assert.equal(dcs.dis.rate.bitRate, 14400);
    assert.equal(dcs.dis.ecmFrameSize, 256);

    const cfr = narrow(dec(G.cfr), 'CFR');
    assert.deepEqual([cfr.final, cfr.xBit, cfr.fif.length], [true, false, 0]);
    const rcp = narrow(dec(G.rcp), 'RCP');
    assert.deepEqual([rcp.final, rcp.xBit], [false, false]);

    const pps = narrow(dec(G.pps), 'PPS');
    assert.equal(pps.xBit, true);
    assert.equal(pps.fcf2, 'EOP');
    assert.equal(pps.fcf2XBit, true);
    assert.equal(pps.pageCounter, 0);
    assert.equal(pps.blockCounter, 0);
    assert.equal(pps.frameCount, 77 + 1); // tshark's raw "Frame counter: 77"; the call sent 78 FCD frames

    assert.equal(narrow(dec(G.mcf), 'MCF').xBit, false);
    assert.equal(narrow(dec(G.dcn), 'DCN').xBit, true);

    for (const [name, b] of Object.entries(G)) assert.deepEqual(encodeT30Frame(dec(b)), b, name);
  });

  it('one-line summaries', () => {
    assert.equal(frameSummary(dec(G.csi)), 'CSI "T38PEER RECV"');
    assert.equal(
      frameSummary(dec(G.dis)),
      'DIS  V.17 14400, fine/superfine, 2-D, T.6, ECM, A4 1728, unlimited length, min scan 0 ms, T.38',
    );
    assert.equal(frameSummary(dec(G.dcs)), 'DCS  V.17 14400, fine, MMR, ECM 256, A4 1728, unlimited length, min scan 0 ms');
    assert.equal(frameSummary(dec(G.pps)), 'PPS-EOP page 0 block 0 frames 78');
    assert.equal(frameSummary(dec(G.mcf)), 'MCF');
    assert.equal(frameSummary(dec(G.rcp)), 'RCP');
  });

  it('names, wire FCFs and detail lines', () => {
    assert.deepEqual(
      Object.values(G).map((b) => frameName(dec(b))),
      ['CSI', 'DIS', 'TSI', 'DCS', 'CFR', 'RCP', 'PPS-EOP', 'MCF', 'DCN'],
    );
    for (const b of Object.values(G)) assert.equal(frameFcf(dec(b)), b[2]);
    assert.equal(frameName(dec(hex('ff c8 3e'))), 'FCF 0x3e');
    assert.equal(frameFcf(dec(hex('ff c8 3e'))), 0x3e);
    const dcs = frameDetails(dec(G.dcs));
    assert.equal(dcs[0], 'DCS: 4 octets, bits 10 14 15 20 21 22 23 24 27 31');
    assert.deepEqual(frameDetails(dec(G.pps)), ['FCF2 EOP, page counter 0, block counter 0, 78 frames in the block']);
    assert.deepEqual(frameDetails(dec(G.csi)), ['Called subscriber identification: "T38PEER RECV"']);
    assert.deepEqual(frameDetails(dec(G.mcf)), []);
    assert.deepEqual(frameDetails(dec(hex('ff c0 04 ad 00 55 01'))), [
      'T.35 country 0xb5 (United States)',
      'provider code 0x00aa (HylaFAX)',
      'FIF ad 00 55 01',
    ]);
  });

  it('FCD frame numbers are bit-reversed (tshark: 00 → 0, 80 → 1, 40 → 2, c0 → 3)', () => {
    // First FCD headers of the capture: `ff c0 60 00 ff ff …`, `ff c0 60 80 69 a7 …`, `ff c0 60 40 cb 1b …`,
    // `ff c0 60 c0 4b f4 …`; tshark numbers them 0, 1, 2, 3. Data bytes here are a made-up fill.
    const data = Uint8Array.from({ length: 256 }, (_, i) => (i * 7) & 0xff);
    for (const [octet, num] of [[0x00, 0], [0x80, 1], [0x40, 2], [0xc0, 3], [0xb2, 77]] as const) {
      const b = new Uint8Array(260);
      b.set([0xff, 0xc0, 0x60, octet]);
      b.set(data, 4);
      const f = narrow(dec(b), 'FCD');
      assert.equal(f.frameNumber, num);
      assert.deepEqual(f.data, data);
      assert.equal(frameSummary(f), `FCD frame ${num}, 256 octets`);
      assert.deepEqual(encodeT30Frame(f), b);
    }
  });
});

describe('T.30 frames from third-party captures', () => {
  it('Vega gateway (real carrier T.38, tshark reassembly): NSF, CSI "+1.512.904.7541", DIS', () => {
    const nsf = narrow(dec(hex(`ff c0 04 00 00 00 ${'ff '.repeat(27)}`)), 'NSF');
    assert.equal(nsf.nsf?.countryCode, 0); // tshark: "ITU-T Country code: 0"
    assert.equal(nsf.nsf?.country, 'Japan');
    assert.equal(nsf.fif.length, 30);
    const csi = narrow(dec(hex('ff c0 02 8c 2c ac ec 74 2c 0c 9c 74 4c 8c ac 74 8c d4 04 04 04 04 04')), 'CSI');
    assert.equal(csi.ident, '+1.512.904.7541'); // tshark: "Number: +1.512.904.7541"
    const dis = narrow(dec(hex('ff c8 01 00 76 5f 01 01 9b 01 01 01 00')), 'DIS');
    assert.equal(dis.dis.ecm, false);
    assert.deepEqual(dis.dis.widthsMm, [215, 255, 303]);
  });

  it('Asterisk testsuite G.711 fax audio (FCS-valid frames listed LSB-first in SOURCES.md)', () => {
    // corpus/asterisk-testsuite/SOURCES.md, CUSTOMER_G711U.pcap (answerer) and CARRIER_G711U.pcap
    // (caller); the last two octets (FCS) dropped.
    const nsf = narrow(
      dec(
        fromLsbFirst(
          'ff 03 20 00 00 0e 00 00 00 96 0f 01 03 00 10 05 02 95 c8 08 01 49 02 62 61 62 79 54 45 4c 20 49 6e 63 2e 5c 20 20 20 03',
        ),
      ),
      'NSF',
    );
    assert.equal(nsf.final, false);
    // Japan (0x00), provider 0x000E = Panasonic in the HylaFAX/spandsp vendor list.
    assert.deepEqual(nsf.nsf, { countryCode: 0, country: 'Japan', providerCode: 0x000e, vendor: 'Panasonic', reversedBitOrder: false });
    assert.equal(frameSummary(nsf), 'NSF Japan, Panasonic, 37 octets');

    const csi = narrow(dec(fromLsbFirst('ff 03 40 2b 31 35 37 30 30 38 38 34 34 35 35 35 32 32 31 38 30 2b 2b')), 'CSI');
    // T.30 §5.3.6.2.4: the first FIF octet carries the last character.
    assert.equal(csi.ident, '++08122555448800751+');

    const tsi = narrow(dec(fromLsbFirst(`ff 03 43 ${'20 '.repeat(20)}`)), 'TSI');
    assert.equal(tsi.xBit, true);
    assert.equal(tsi.ident, '');
    assert.equal(frameSummary(tsi), 'TSI ""');

    const dis = narrow(dec(fromLsbFirst('ff 13 80 00 ce 88 80 80 11')), 'DIS');
    assert.equal(dis.final, true);
    assert.deepEqual(dis.dis.rate.modems, ['V.27ter', 'V.29']);

    const dcs = narrow(dec(fromLsbFirst('ff 13 83 00 86 88 80 80 00')), 'DCS');
    assert.equal(dcs.xBit, true);
    assert.equal(dcs.dis.rate.text, 'V.29 9600 bit/s');
    assert.equal(frameSummary(dcs), 'DCS  V.29 9600, MR, A4 1728, unlimited length, min scan 20 ms');
  });
});

describe('T.30 frames built from the standard', () => {
  it('PPR: bit i of the 256-bit map (octet i>>3, mask 0x80>>(i&7)) asks for frame i', () => {
    const fif = new Uint8Array(32);
    fif[0] = 0x81; // frames 0 and 7
    fif[1] = 0x80; // frame 8
    fif[31] = 0x01; // frame 255
    const b = new Uint8Array([0xff, 0xc8, 0x3d, ...fif]);
    const f = narrow(dec(b), 'PPR');
    assert.deepEqual(f.frames, [0, 7, 8, 255]);
    assert.equal(f.xBit, false);
    assert.equal(frameSummary(f), 'PPR 4 frames: 0,7-8,255');
    assert.deepEqual(encodeT30Frame(f), b);
  });

  it('CTC carries a DCS-style rate in bits 11-14 of its 2-octet FIF', () => {
    const f = narrow(dec(hex('ff c8 c8 00 24')), 'CTC'); // bits 11 and 14 → 1,0,0,1 = V.17 9600
    assert.equal(f.xBit, true);
    assert.equal(f.rateCode, 0b1001);
    assert.equal(f.otherBits, 0);
    assert.equal(frameSummary(f), 'CTC V.17 9600 bit/s');
    assert.deepEqual(encodeT30Frame(f), hex('ff c8 c8 00 24'));
    const g = narrow(dec(hex('ff c8 c8 81 43')), 'CTC');
    assert.equal(g.rateCode, 0);
    assert.equal(g.otherBits, 0x8143);
    assert.deepEqual(encodeT30Frame(g), hex('ff c8 c8 81 43'));
  });

  it('EOR and PPS FCF2 values, PPS-NULL counters', () => {
    const eor = narrow(dec(hex('ff c8 f3 00')), 'EOR');
    assert.deepEqual([eor.fcf2, eor.fcf2XBit, eor.xBit], ['NULL', false, true]);
    assert.equal(frameSummary(eor), 'EOR-NULL');
    // PPS-NULL, page 2, block 1, 256 frames: counters sent LSB first → reversed octets
    const pps = narrow(dec(hex('ff c8 7d 00 40 80 ff')), 'PPS');
    assert.deepEqual([pps.fcf2, pps.pageCounter, pps.blockCounter, pps.frameCount], ['NULL', 2, 1, 256]);
    assert.equal(pps.xBit, false);
    const mps = narrow(dec(hex('ff c8 fd 72 00 00 00')), 'PPS');
    assert.deepEqual([mps.fcf2, mps.fcf2XBit, mps.frameCount], ['MPS', false, 1]);
  });

  it('identity encoding: last character first, bit-reversed, space padded', () => {
    const f: T30Frame = { type: 'TSI', final: false, xBit: true, ident: '+1 555 0100' };
    const b = encodeT30Frame(f);
    assert.equal(b.length, 23);
    assert.equal(b[2], 0xc2);
    assert.equal(b[3], bitReverse8(0x30)); // '0', the last digit, first
    assert.equal(b[13], bitReverse8(0x2b)); // '+', the first character, eleventh
    assert.equal(b[14], 0x04); // space (0x20) reversed
    assert.equal(decodeIdentFif(b.subarray(3)), '+1 555 0100');
    assert.deepEqual(dec(b), f);
    assert.equal(frameSummary(f), 'TSI "+1 555 0100"');
  });

  it('simple frames and unknown FCFs', () => {
    assert.deepEqual(encodeT30Frame(simpleFrame('MCF')), hex('ff c8 31'));
    assert.deepEqual(encodeT30Frame(simpleFrame('DCN', { xBit: true })), hex('ff c8 df'));
    assert.deepEqual(encodeT30Frame(simpleFrame('RCP', { final: false, xBit: true })), hex('ff c0 61')); // no X bit
    const u = dec(hex('ff c8 3e 12'));
    assert.deepEqual(u, { type: 'unknown', final: true, fcf: 0x3e, fif: hex('12') });
    assert.equal(frameSummary(u), 'FCF 0x3e (unknown), 1 octets');
    assert.deepEqual(encodeT30Frame(u), hex('ff c8 3e 12'));
    const withFif = dec(hex('ff c8 31 aa'));
    assert.equal(frameSummary(withFif), 'MCF (+1 octets)');
    assert.deepEqual(encodeT30Frame(withFif), hex('ff c8 31 aa'));
  });
});

describe('T.30 frame decode errors', () => {
  const fails = (b: Uint8Array, code: string, offset?: number): void => {
    const r = decodeT30Frame(b);
    assert.equal(r.ok, false, `expected ${code}`);
    if (!r.ok) {
      assert.equal(r.error.code, code);
      if (offset !== undefined) assert.equal(r.error.offset, offset);
    }
  };

  it('checks address and control', () => {
    fails(hex('fe c8 21'), 'bad-address', 0);
    fails(hex('ff 03 21'), 'bad-control', 1);
    fails(hex('ff 13 80 00 ce 88'), 'bad-control', 1); // LSB-first frame fed without conversion
  });

  it('truncation sweeps: every prefix fails with the exact code, or is a shorter valid frame', () => {
    for (const b of [G.dis, G.dcs, G.pps, G.cfr, G.mcf]) {
      for (let n = 0; n < b.length; n++) fails(b.subarray(0, n), 'truncated', n);
    }
    const ppr = new Uint8Array(35);
    ppr.set([0xff, 0xc8, 0xbd]);
    for (let n = 3; n < 35; n++) fails(ppr.subarray(0, n), 'truncated');
    fails(hex('ff c0 60'), 'truncated', 3); // FCD without frame number
    fails(hex('ff c8 c8 00'), 'truncated'); // CTC
    fails(hex('ff c8 f3'), 'truncated'); // EOR
    fails(hex('ff c0 04'), 'truncated'); // NSF without country code
    // Identity frames are accepted short (some devices send fewer than 20 octets): a prefix is
    // read as the characters present, still last-first.
    for (let n = 3; n < G.csi.length; n++) {
      const f = decodeT30Frame(G.csi.subarray(0, n));
      assert.equal(f.ok, true);
    }
    assert.equal(narrow(dec(G.csi.subarray(0, 7)), 'CSI').ident, 'RECV'); // FIF 6a c2 a2 4a = V C E R
  });

  it('over-long fixed FIFs and bad FCF2', () => {
    fails(hex('ff c8 fd f4 00 00 b2 00'), 'bad-length');
    fails(hex(`ff c0 02 ${'04 '.repeat(21)}`), 'bad-length');
    fails(hex(`ff c8 3d ${'00 '.repeat(33)}`), 'bad-length');
    fails(hex('ff c8 c8 00 04 00'), 'bad-length');
    fails(hex('ff c8 f3 00 00'), 'bad-length');
    const fcd = new Uint8Array(4 + 257);
    fcd.set([0xff, 0xc0, 0x60, 0x00]);
    fails(fcd, 'bad-length');
    fails(hex('ff c8 fd c1 00 00 00'), 'bad-fcf2', 3);
    fails(hex('ff c8 73 31'), 'bad-fcf2', 3);
  });

  it('a DIS with octets after its last field octet keeps them as trailing', () => {
    const f = narrow(dec(hex('ff c8 01 00 76 5e 55 aa')), 'DIS');
    assert.equal(f.dis.octets, 3);
    assert.deepEqual(f.trailing, hex('55 aa'));
    assert.match(frameSummary(f), /\(\+2 trailing octets\)$/);
    assert.deepEqual(encodeT30Frame(f), hex('ff c8 01 00 76 5e 55 aa'));
  });

  it('random bytes never throw; whatever decodes (idents aside) re-encodes byte-exactly', () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.constantFrom(0xc0, 0xc8), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }))
        .map(([c, fcf, fif]) => Uint8Array.from([0xff, c, fcf, ...fif])),
    );
    fc.assert(
      fc.property(arb, (b) => {
        const r = decodeT30Frame(b);
        if (!r.ok) return;
        frameSummary(r.value);
        frameDetails(r.value);
        assert.equal(frameFcf(r.value), b[2]);
        const t = r.value.type;
        const ident = t === 'CSI' || t === 'CIG' || t === 'TSI' || t === 'PWD' || t === 'SEP' || t === 'PSA' || t === 'SUB' || t === 'SID';
        if (!ident) assert.deepEqual(encodeT30Frame(r.value), b);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('T.30 frame encode', () => {
  const IDENT_TYPES: IdentFrameType[] = ['CSI', 'CIG', 'TSI', 'PWD', 'SEP', 'PSA', 'SUB', 'SID'];
  const xFor = (type: (typeof T30_FRAME_TYPES)[number], x: boolean): boolean => fcfHasXBit(type) && x;
  const arbBytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
  const arbIdent = fc
    .array(fc.constantFrom(...'0123456789+ -.ABCxyz'.split('')), { maxLength: 20 })
    .map((c) => c.join('').replace(/^ +| +$/g, ''));
  const arbFcf2 = fc.constantFrom<T30Fcf2Type>(...T30_FCF2_TYPES);

  const reservedPool = Array.from({ length: 140 }, (_, i) => i + 1).filter(isReservedDisBit);
  const arbDisFields = (kind: DisKind): fc.Arbitrary<DisFields> =>
    fc
      .record({
        flags: fc.record(Object.fromEntries(DIS_FLAG_NAMES.map((k) => [k, fc.boolean()])) as Record<DisFlagName, fc.Arbitrary<boolean>>),
        rateCode: fc.integer({ min: 0, max: 15 }),
        widthCode: fc.integer({ min: 0, max: 3 }),
        lengthCode: fc.integer({ min: 0, max: 3 }),
        scanTimeCode: fc.integer({ min: 0, max: 7 }),
        t44Code: fc.integer({ min: 0, max: 7 }),
        sharedMemoryCode: fc.integer({ min: 0, max: 3 }),
        t89Code: fc.integer({ min: 0, max: 7 }),
        reservedBits: fc.subarray(reservedPool, { maxLength: 3 }),
        octets: fc.integer({ min: 3, max: 18 }),
      })
      .map(({ flags, ...rest }) => {
        const f: DisFields = { kind, ...rest, ...flags };
        return { ...f, octets: disEncodedSize(f) };
      });

  const arbFrame: fc.Arbitrary<T30Frame> = fc
    .record({ final: fc.boolean(), x: fc.boolean() })
    .chain(({ final, x }) =>
      fc.oneof(
        fc
          .tuple(fc.constantFrom<DisKind>('DIS', 'DTC', 'DCS'), fc.uint8Array({ maxLength: 3 }))
          .chain(([kind, trailing]) =>
            arbDisFields(kind).map((f): T30Frame => ({ type: kind, final, xBit: xFor(kind, x), dis: interpretDis(f), trailing })),
          ),
        fc.tuple(fc.constantFrom(...IDENT_TYPES), arbIdent).map(([type, ident]): T30Frame => ({ type, final, xBit: xFor(type, x), ident })),
        fc.tuple(fc.constantFrom('NSF', 'NSC', 'NSS'), arbBytes(1, 40)).map(
          ([type, fif]): T30Frame => ({ type, final, xBit: xFor(type, x), fif, nsf: describeNsfFif(fif) ?? null }),
        ),
        fc.tuple(fc.constantFrom('CIA', 'ISP', 'TSA', 'IRA', 'CSA'), arbBytes(0, 40)).map(
          ([type, fif]): T30Frame => ({ type, final, xBit: xFor(type, x), fif }),
        ),
        fc.tuple(fc.constantFrom('FCD', 'CCD'), fc.integer({ min: 0, max: 255 }), arbBytes(0, 256)).map(
          ([type, frameNumber, data]): T30Frame => ({ type, final, xBit: false, frameNumber, data }),
        ),
        fc
          .tuple(arbFcf2, fc.boolean(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 256 }))
          .map(([fcf2, fx, pageCounter, blockCounter, frameCount]): T30Frame => ({
            type: 'PPS',
            final,
            xBit: x,
            fcf2,
            fcf2XBit: fcf2 !== 'NULL' && fx,
            pageCounter,
            blockCounter,
            frameCount,
          })),
        fc.tuple(arbFcf2, fc.boolean()).map(([fcf2, fx]): T30Frame => ({ type: 'EOR', final, xBit: x, fcf2, fcf2XBit: fcf2 !== 'NULL' && fx })),
        fc
          .uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 40 })
          .map((a): T30Frame => ({ type: 'PPR', final, xBit: x, frames: [...a].sort((p, q) => p - q) })),
        fc
          .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff }))
          .map(([rateCode, o]): T30Frame => ({ type: 'CTC', final, xBit: x, rateCode, otherBits: o & ~0x3c })),
        fc
          .tuple(fc.constantFrom(...T30_FRAME_TYPES.filter(isSimpleFrameType)), arbBytes(0, 4))
          .map(([type, fif]): T30Frame => ({ type, final, xBit: xFor(type, x), fif })),
      ),
    );

  it('decode(encode(frame)) deep-equals the frame', () => {
    fc.assert(
      fc.property(arbFrame, (f) => {
        const b = encodeT30Frame(f);
        assert.equal(b.length, t30FrameEncodedSize(f));
        assert.deepEqual(dec(b), f);
      }),
      { numRuns: 3000 },
    );
  });

  it('encodeInto writes at an offset and checks the buffer', () => {
    const f = simpleFrame('CFR');
    const buf = new Uint8Array(6).fill(0xee);
    assert.equal(encodeT30FrameInto(f, buf, 2), 3);
    assert.deepEqual(buf, hex('ee ee ff c8 21 ee'));
    assert.throws(() => encodeT30FrameInto(f, buf, 4), { code: 'FAXWIRE_ERR_BUFFER_TOO_SMALL' });
  });

  it('rejects misuse', () => {
    const bad: T30Frame[] = [
      { type: 'CSI', final: false, xBit: false, ident: '123456789012345678901' },
      { type: 'CSI', final: false, xBit: false, ident: '\u0100' },
      { type: 'FCD', final: false, xBit: false, frameNumber: 256, data: new Uint8Array(0) },
      { type: 'PPS', final: true, xBit: true, fcf2: 'EOP', fcf2XBit: true, pageCounter: 0, blockCounter: 0, frameCount: 0 },
      { type: 'PPR', final: true, xBit: false, frames: [256] },
      { type: 'CTC', final: true, xBit: false, rateCode: 1, otherBits: 0x04 },
      { type: 'NSF', final: false, xBit: false, fif: new Uint8Array(0), nsf: null },
      { type: 'unknown', final: true, fcf: 0x31, fif: new Uint8Array(0) },
    ];
    for (const f of bad) assert.throws(() => encodeT30Frame(f), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' }, f.type);
    const dcsInDis = dec(G.dcs);
    assert.equal(dcsInDis.type, 'DCS');
    if (dcsInDis.type === 'DCS') {
      assert.throws(() => encodeT30Frame({ ...dcsInDis, type: 'DIS' }), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    }
  });
});
