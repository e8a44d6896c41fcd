import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DIS_FLAG_NAMES,
  MAX_DIS_OCTETS,
  dcsRate,
  dcsRateCode,
  decodeDis,
  describeDis,
  disEncodedSize,
  emptyDisFields,
  encodeDis,
  encodeDisInto,
  interpretDis,
  isReservedDisBit,
  summarizeDis,
  type DisFields,
  type DisFlagName,
  type DisInfo,
  type DisKind,
} from '../../../src/t30/dis.js';
import { bitReverse8 } from '../../../src/t30/fcf.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { hex } from '../helpers/bytes.js';

/** Octets listed LSB-first (as received bit order, spandsp/HylaFAX style) → document notation. */
const fromLsbFirst = (s: string): Uint8Array => hex(s).map(bitReverse8);

function dec(fif: Uint8Array, kind: DisKind): DisInfo {
  const r = decodeDis(fif, kind);
  if (!r.ok) assert.fail(`decode failed: ${r.error.code} ${r.error.message}`);
  assert.equal(r.bytesRead, r.value.octets);
  return r.value;
}

function fields(kind: DisKind, patch: Partial<DisFields>): DisFields {
  return { ...emptyDisFields(kind), ...patch };
}

// FIFs of the spandsp golden capture as reassembled by tshark 4.0.17
// (`tshark -r interop/spandsp-peer/results/cap_v0.pcapng -d udp.port==43000,t38 -d udp.port==43001,t38 -V -x`),
// frame bytes after `ff c8 01` (DIS) and `ff c8 c1` (DCS).
const GOLDEN_DIS = hex('20 77 1f 23 01 89 01 01 01 18');
const GOLDEN_DCS = hex('00 46 1f 22');
// Real carrier capture (corpus/alwishariff-wireshark, Vega gateway), tshark's reassembly of the DIS
// after `ff c8 01`, frames 1813/1936.
const VEGA_DIS = hex('00 76 5f 01 01 9b 01 01 01 00');
// corpus/asterisk-testsuite SOURCES.md: FCS-valid frames demodulated from CUSTOMER/CARRIER_G711U.pcap,
// listed LSB-first; FIF after `ff 13 80` (DIS) and `ff 13 83` (DCS), FCS removed.
const ASTERISK_DIS = fromLsbFirst('00 ce 88 80 80 11');
const ASTERISK_DCS = fromLsbFirst('00 86 88 80 80 00');

describe('DIS/DTC/DCS decode: real frames', () => {
  it("spandsp's DIS means what tshark says it means", () => {
    const d = dec(GOLDEN_DIS, 'DIS');
    assert.equal(d.octets, 10);
    // octet 0: T.38 set, T.37 / 3G / V.8 not, 256 octets preferred
    assert.equal(d.t38, true);
    assert.equal(d.t37, false);
    assert.equal(d.mobile3g, false);
    assert.equal(d.v8, false);
    assert.equal(d.prefer64OctetFrames, false);
    // octet 1: not polling, receiver, "V.27 ter, V.29, and V.17 (0xd)", R8x7.7, 2-D
    assert.equal(d.readyToTransmitFax, false);
    assert.equal(d.receiverFax, true);
    assert.equal(d.rateCode, 0xd);
    assert.deepEqual(d.rate.modems, ['V.27ter', 'V.29', 'V.17']);
    assert.equal(d.rate.bitRate, 14400);
    assert.equal(d.fine, true);
    assert.equal(d.twoDimensional, true);
    // octet 2: 215 mm, unlimited, "00 ms at 3.85 l/mm: T7.7 = T3.85 (0x7)", extend
    assert.deepEqual(d.widthsMm, [215]);
    assert.equal(d.length, 'unlimited');
    assert.deepEqual(d.minScanLineTime, { ms: 0, halfAtFine: false });
    // octet 3: compressed mode, ECM, T.6
    assert.equal(d.uncompressed, false);
    assert.equal(d.ecm, true);
    assert.equal(d.t6, true);
    // octet 4: nothing but extend
    assert.equal(d.fnv || d.multipleSelectivePolling || d.polledSubaddress || d.t43 || d.planeInterleave || d.g726, false);
    // octet 5: R8x15.4, metric preferred, T15.4 = T7.7
    assert.equal(d.superfine, true);
    assert.equal(d.res300x300, false);
    assert.equal(d.res400x400, false);
    assert.equal(d.inch, false);
    assert.equal(d.metricPreferred, true);
    assert.equal(d.minScanHalvedHigherRes, false);
    assert.equal(d.selectivePolling, false);
    // octets 6-8: no BFT/DTM/EDI, BTM, JPEG, colour
    assert.equal(d.bft || d.dtm || d.edi || d.btm || d.characterMode || d.mixedMode || d.jpeg || d.fullColour || d.duplex, false);
    // octet 9: NA letter and legal, no T.85, last octet
    assert.equal(d.northAmericanLetter, true);
    assert.equal(d.northAmericanLegal, true);
    assert.equal(d.t85, false);
    assert.deepEqual(d.reservedBits, []);
    assert.deepEqual(d.codings, ['MH', 'MR', 'MMR']);
    assert.deepEqual(d.resolutions, ['standard', 'fine', 'superfine']);
    assert.deepEqual(encodeDis(d), GOLDEN_DIS);
  });

  it("spandsp's DCS: 14 400 bit/s V.17, fine, T.6, ECM 256-octet frames (tshark)", () => {
    const d = dec(GOLDEN_DCS, 'DCS');
    assert.equal(d.octets, 4);
    assert.equal(d.t38, false);
    assert.equal(d.receiverFax, true);
    assert.equal(d.rateCode, 0x1);
    assert.deepEqual(d.rate, { modems: ['V.17'], bitRate: 14400, legacy: false, text: 'V.17 14400 bit/s' });
    assert.equal(d.fine, true);
    assert.equal(d.twoDimensional, false);
    assert.deepEqual(d.widthsMm, [215]);
    assert.equal(d.length, 'unlimited');
    assert.deepEqual(d.minScanLineTime, { ms: 0, halfAtFine: false });
    assert.equal(d.ecm, true);
    assert.equal(d.frameSize64, false);
    assert.equal(d.ecmFrameSize, 256);
    assert.equal(d.t6, true);
    assert.deepEqual(d.codings, ['MMR']);
    assert.deepEqual(d.resolutions, ['fine']);
    assert.deepEqual(d.bits, [10, 14, 15, 20, 21, 22, 23, 24, 27, 31]);
    assert.deepEqual(encodeDis(d), GOLDEN_DCS);
    assert.equal(summarizeDis(d), 'V.17 14400, fine, MMR, ECM 256, A4 1728, unlimited length, min scan 0 ms');
  });

  it("the Vega gateway's DIS (tshark): 303 mm, inch+metric, selective polling, no ECM, zero last octet", () => {
    const d = dec(VEGA_DIS, 'DIS');
    assert.equal(d.octets, 10);
    assert.deepEqual(d.rate.modems, ['V.27ter', 'V.29', 'V.17']);
    assert.equal(d.twoDimensional, false);
    assert.equal(d.widthCode, 0b01);
    assert.deepEqual(d.widthsMm, [215, 255, 303]);
    assert.equal(d.length, 'unlimited');
    assert.equal(d.ecm, false);
    assert.equal(d.t6, false);
    assert.equal(d.superfine, true);
    assert.equal(d.inch, true);
    assert.equal(d.metricPreferred, true);
    assert.equal(d.selectivePolling, true);
    assert.equal(d.northAmericanLetter, false);
    assert.deepEqual(encodeDis(d), VEGA_DIS); // keeps the all-zero tenth octet
  });

  it('the Asterisk-corpus DIS/DCS (demodulated from G.711 audio), read by hand from Table 2', () => {
    // DIS FIF (document notation) 00 73 11 01 01 88:
    //   0x73 = b10 receiver, b11-14 = 1,1,0,0 (V.27 ter and V.29), b15 fine, b16 2-D
    //   0x11 = 215 mm, b19-20 = 0,1 unlimited, b21-23 = 0,0,0 (20 ms), extend
    //   0x88 = b41 R8x15.4, b45 metric preferred, last octet
    const d = dec(ASTERISK_DIS, 'DIS');
    assert.deepEqual(ASTERISK_DIS, hex('00 73 11 01 01 88'));
    assert.equal(d.rateCode, 0b1100);
    assert.deepEqual(d.rate.modems, ['V.27ter', 'V.29']);
    assert.equal(d.rate.bitRate, 9600);
    assert.equal(d.fine && d.twoDimensional && d.superfine && d.metricPreferred && d.receiverFax, true);
    assert.equal(d.ecm, false);
    assert.deepEqual(d.minScanLineTime, { ms: 20, halfAtFine: false });
    assert.deepEqual(encodeDis(d), ASTERISK_DIS);
    // DCS FIF 00 61 11 01 01 00: b11-14 = 1,0,0,0 → 9600 bit/s V.29, b15 0 (standard), b16 MR
    const c = dec(ASTERISK_DCS, 'DCS');
    assert.equal(c.rate.text, 'V.29 9600 bit/s');
    assert.equal(c.fine, false);
    assert.deepEqual(c.resolutions, ['standard']);
    assert.deepEqual(c.codings, ['MR']);
    assert.equal(c.ecmFrameSize, null);
    assert.equal(c.octets, 6);
    assert.deepEqual(encodeDis(c), ASTERISK_DCS);
  });
});

describe('DIS/DCS field tables (T.30 Table 2)', () => {
  it('DCS data signalling rates, bits 11-14', () => {
    const expected: Record<number, string> = {
      0b0000: 'V.27 ter 2400 bit/s',
      0b0100: 'V.27 ter 4800 bit/s',
      0b1000: 'V.29 9600 bit/s',
      0b1100: 'V.29 7200 bit/s',
      0b0001: 'V.17 14400 bit/s',
      0b0101: 'V.17 12000 bit/s',
      0b1001: 'V.17 9600 bit/s',
      0b1101: 'V.17 7200 bit/s',
      0b0010: 'V.33 14400 bit/s',
      0b0110: 'V.33 12000 bit/s',
    };
    for (let code = 0; code < 16; code++) {
      const fif = encodeDis(fields('DCS', { rateCode: code }));
      // bits 11..14 live in octet 1 under masks 0x20, 0x10, 0x08, 0x04
      assert.equal(fif[1], code << 2);
      const r = dec(fif, 'DCS').rate;
      const want = expected[code];
      if (want === undefined) {
        assert.equal(r.bitRate, null, `code ${code}`);
        assert.deepEqual(r.modems, []);
      } else {
        assert.equal(r.text, want);
        assert.equal(r.legacy, r.modems[0] === 'V.33');
        assert.equal(dcsRateCode(r.modems[0] ?? 'V.17', r.bitRate ?? 0), code);
      }
    }
    assert.deepEqual(dcsRate(0b0001).modems, ['V.17']);
    assert.throws(() => dcsRateCode('V.29', 14400), FaxwireError);
  });

  it('DIS modems, bits 11-14', () => {
    const m = (code: number): readonly string[] => dec(encodeDis(fields('DIS', { rateCode: code })), 'DIS').rate.modems;
    assert.deepEqual(m(0b0000), ['V.27ter']);
    assert.equal(dec(encodeDis(fields('DIS', { rateCode: 0 })), 'DIS').rate.bitRate, 2400); // fall-back mode
    assert.deepEqual(m(0b0100), ['V.27ter']);
    assert.deepEqual(m(0b1000), ['V.29']);
    assert.deepEqual(m(0b1100), ['V.27ter', 'V.29']);
    assert.deepEqual(m(0b1101), ['V.27ter', 'V.29', 'V.17']);
    assert.deepEqual(m(0b1110), ['V.27ter', 'V.29', 'V.33']);
    assert.deepEqual(m(0b1111), []);
    assert.deepEqual(m(0b0010), []);
  });

  it('recording width and length differ between DIS and DCS', () => {
    const w = (k: DisKind, code: number): readonly number[] => dec(encodeDis(fields(k, { widthCode: code })), k).widthsMm;
    assert.deepEqual(w('DIS', 0b00), [215]);
    assert.deepEqual(w('DIS', 0b10), [215, 255]);
    assert.deepEqual(w('DIS', 0b01), [215, 255, 303]);
    assert.deepEqual(w('DIS', 0b11), []);
    assert.deepEqual(w('DCS', 0b10), [255]);
    assert.deepEqual(w('DCS', 0b01), [303]);
    assert.deepEqual(w('DCS', 0b11), []);
    // bit 17 = octet 2 mask 0x80, bit 18 = 0x40
    assert.equal(encodeDis(fields('DCS', { widthCode: 0b10 }))[2], 0x80);
    const len = (k: DisKind, code: number): string | null => dec(encodeDis(fields(k, { lengthCode: code })), k).length;
    assert.equal(len('DIS', 0b00), 'A4');
    assert.equal(len('DIS', 0b10), 'B4');
    assert.equal(len('DCS', 0b01), 'unlimited');
    assert.equal(len('DCS', 0b11), null);
    assert.equal(encodeDis(fields('DCS', { lengthCode: 0b01 }))[2], 0x10); // bit 20
  });

  it('minimum scan line time, bits 21-23, with the DIS-only "half at fine" codes', () => {
    const t = (k: DisKind, code: number): unknown => dec(encodeDis(fields(k, { scanTimeCode: code })), k).minScanLineTime;
    assert.deepEqual(t('DIS', 0b000), { ms: 20, halfAtFine: false });
    assert.deepEqual(t('DIS', 0b001), { ms: 40, halfAtFine: false });
    assert.deepEqual(t('DIS', 0b010), { ms: 10, halfAtFine: false });
    assert.deepEqual(t('DIS', 0b100), { ms: 5, halfAtFine: false });
    assert.deepEqual(t('DIS', 0b011), { ms: 10, halfAtFine: true });
    assert.deepEqual(t('DIS', 0b110), { ms: 20, halfAtFine: true });
    assert.deepEqual(t('DIS', 0b101), { ms: 40, halfAtFine: true });
    assert.deepEqual(t('DIS', 0b111), { ms: 0, halfAtFine: false });
    assert.deepEqual(t('DCS', 0b100), { ms: 5, halfAtFine: false });
    assert.equal(t('DCS', 0b011), null);
    assert.equal(encodeDis(fields('DCS', { scanTimeCode: 0b100 }))[2], 0x08); // bit 21
  });

  it('one-bit items land at octet (n-1)>>3, mask 0x80>>((n-1)&7)', () => {
    const cases: ReadonlyArray<readonly [DisFlagName, number]> = [
      ['t37', 1], ['t38', 3], ['v8', 6], ['prefer64OctetFrames', 7], ['readyToTransmitFax', 9], ['fine', 15],
      ['twoDimensional', 16], ['uncompressed', 26], ['ecm', 27], ['frameSize64', 28], ['t6', 31], ['fnv', 33],
      ['t43', 36], ['superfine', 41], ['res300x300', 42], ['res400x400', 43], ['inch', 44], ['selectivePolling', 47],
      ['subaddressing', 49], ['password', 50], ['bft', 53], ['jpeg', 68], ['fullColour', 69], ['northAmericanLetter', 76],
      ['t85', 78], ['t85L0', 79], ['colour300or400', 97], ['internetRoutingAddress', 102], ['res600x600', 105],
      ['t45', 116], ['t38FlowControl', 121], ['internetAwareFax', 123], ['syccJpeg', 127],
    ];
    for (const [key, bit] of cases) {
      const f = encodeDis(fields('DIS', { [key]: true }));
      const octet = (bit - 1) >> 3;
      assert.equal(f.length, Math.max(3, octet + 1), key);
      for (let i = 0; i < f.length; i++) {
        const ext = i >= 2 && i < f.length - 1 ? 0x01 : 0;
        const want = (i === octet ? 0x80 >> ((bit - 1) & 7) : 0) | ext;
        assert.equal(f[i], want, `${key} octet ${i}`);
      }
      const d = dec(f, 'DIS');
      assert.equal(d[key], true, key);
      assert.ok(d.bits.includes(bit));
    }
  });

  it('multi-bit fields past octet 10: T.44 mode, shared memory, T.89 profile', () => {
    const f = fields('DIS', { t44Code: 0b100, sharedMemoryCode: 0b11, t89Code: 0b011 });
    const b = encodeDis(f);
    assert.equal(b.length, 16);
    assert.equal(b[11], 0x10 | 0x01); // bit 92, extend
    assert.equal(b[14], 0x0c | 0x01); // bits 117, 118, extend
    assert.equal(b[15], 0x0c); // bits 125, 126
    const d = dec(b, 'DIS');
    assert.equal(d.t44Code, 0b100);
    assert.deepEqual(d.codings, ['MH', 'T.44']);
    const text = describeDis(d).join('\n');
    assert.match(text, /bits 92-94 = 1,0,0: T\.44 mixed raster content mode 1/);
    assert.match(text, /bits 117-118 = 1,1: shared data memory level 3/);
    assert.match(text, /bits 124-126 = 0,1,1: T\.89 \(JBIG2\) profile 3/);
  });

  it('reserved and unassigned bits are kept and re-encoded', () => {
    // bit 2 (octet 0, 0x40), bit 25 (octet 3, 0x80), bit 130 (octet 16, 0x40)
    const raw = hex('40 00 01 81 01 01 01 01 01 01 01 01 01 01 01 01 40');
    const d = dec(raw, 'DIS');
    assert.deepEqual(d.reservedBits, [2, 25, 130]);
    assert.deepEqual(encodeDis(d), raw);
    assert.match(describeDis(d).join('\n'), /bit 130: reserved bit set/);
    assert.equal(isReservedDisBit(2), true);
    assert.equal(isReservedDisBit(27), false);
    assert.equal(isReservedDisBit(32), false); // extend bit
    assert.equal(isReservedDisBit(12), false); // rate field
  });

  it('a DCS-only bit set in a DIS is kept and described as such', () => {
    const d = dec(hex('00 00 01 10'), 'DIS'); // bit 28 in a DIS
    assert.equal(d.frameSize64, true);
    assert.match(describeDis(d).join('\n'), /bit 28: ECM frame size 64 octets \(not used in DIS\)/);
  });

  it('describe() reads like an analyser', () => {
    const lines = describeDis(dec(GOLDEN_DCS, 'DCS'));
    assert.equal(lines[0], 'DCS: 4 octets, bits 10 14 15 20 21 22 23 24 27 31');
    assert.ok(lines.includes('  bits 11-14 = 0,0,0,1: data signalling rate V.17 14400 bit/s'));
    assert.ok(lines.includes('  bit 27: Error correction mode (ECM)'));
    assert.ok(lines.includes('  ECM frame size 256 octets'));
    const dis = describeDis(dec(GOLDEN_DIS, 'DIS'));
    assert.ok(dis.includes('  bits 11-14 = 1,1,0,1: modems V.27 ter, V.29 and V.17'));
    assert.ok(dis.includes('  bit 3: Real-time Internet fax (T.38)'));
  });
});

describe('DIS decode: lengths and truncation', () => {
  it('every prefix of a DIS whose octets all extend is truncated', () => {
    for (const fif of [GOLDEN_DIS, VEGA_DIS, ASTERISK_DIS]) {
      for (let n = 0; n < fif.length; n++) {
        const r = decodeDis(fif.subarray(0, n), 'DIS');
        assert.equal(r.ok, false, `prefix ${n}`);
        if (!r.ok) {
          assert.equal(r.error.code, 'truncated');
          assert.equal(r.error.offset, n);
        }
      }
    }
  });

  it('a 3-octet DIS (bit 24 = 0) is complete; octets after the end are not consumed', () => {
    const three = hex('00 76 5e');
    const r = decodeDis(three, 'DIS');
    assert.equal(r.ok && r.bytesRead, 3);
    const more = decodeDis(hex('00 76 5e ff ff'), 'DIS');
    assert.equal(more.ok && more.bytesRead, 3);
    // and prefixes of a FIF that ends at octet 3: lengths 0-2 truncated, 3+ complete
    for (let n = 0; n <= 5; n++) {
      const p = decodeDis(hex('00 76 5e ff ff').subarray(0, n), 'DIS');
      assert.equal(p.ok, n >= 3, `prefix ${n}`);
    }
  });

  it(`a FIF extending past ${MAX_DIS_OCTETS} octets is refused`, () => {
    const long = new Uint8Array(80).fill(0x01);
    const r = decodeDis(long, 'DIS');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'bad-length');
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom<DisKind>('DIS', 'DTC', 'DCS'), (b, k) => {
        const r = decodeDis(b, k);
        if (r.ok) {
          // whatever decodes re-encodes to exactly the octets consumed
          assert.deepEqual(encodeDis(r.value), b.subarray(0, r.bytesRead));
          describeDis(r.value);
          summarizeDis(r.value);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DIS encode', () => {
  /** Arbitrary valid FIF: n ≥ 3 octets with extend bits set exactly on octets 2 … n-2. */
  const arbFif = fc.integer({ min: 3, max: 20 }).chain((n) =>
    fc.uint8Array({ minLength: n, maxLength: n }).map((b) => {
      for (let i = 2; i < n; i++) b[i] = i < n - 1 ? (b[i] ?? 0) | 1 : (b[i] ?? 0) & 0xfe;
      return b;
    }),
  );

  it('encode(decode(fif)) is byte-exact', () => {
    fc.assert(
      fc.property(arbFif, fc.constantFrom<DisKind>('DIS', 'DTC', 'DCS'), (fif, k) => {
        const d = dec(fif, k);
        assert.equal(d.octets, fif.length);
        assert.deepEqual(encodeDis(d), fif);
      }),
      { numRuns: 2000 },
    );
  });

  const reservedPool = Array.from({ length: 160 }, (_, i) => i + 1).filter(isReservedDisBit);
  const arbFields: fc.Arbitrary<DisFields> = fc
    .record({
      kind: fc.constantFrom<DisKind>('DIS', 'DTC', 'DCS'),
      octets: fc.integer({ min: 3, max: 22 }),
      flags: fc.record(Object.fromEntries(DIS_FLAG_NAMES.map((k) => [k, fc.boolean()])) as Record<DisFlagName, fc.Arbitrary<boolean>>),
      rateCode: fc.integer({ min: 0, max: 15 }),
      widthCode: fc.integer({ min: 0, max: 3 }),
      lengthCode: fc.integer({ min: 0, max: 3 }),
      scanTimeCode: fc.integer({ min: 0, max: 7 }),
      t44Code: fc.integer({ min: 0, max: 7 }),
      sharedMemoryCode: fc.integer({ min: 0, max: 3 }),
      t89Code: fc.integer({ min: 0, max: 7 }),
      reservedBits: fc.subarray(reservedPool),
    })
    .map(({ flags, ...rest }) => {
      const f: DisFields = { ...rest, ...flags };
      return { ...f, octets: disEncodedSize(f) };
    });

  it('decode(encode(fields)) gives the same fields and interpretation', () => {
    fc.assert(
      fc.property(arbFields, (f) => {
        const d = dec(encodeDis(f), f.kind);
        assert.deepEqual(d, interpretDis(f));
      }),
      { numRuns: 1000 },
    );
  });

  it('octets is a minimum: the encoder grows the FIF for high bits', () => {
    const f = fields('DCS', { octets: 3, ecm: true });
    assert.equal(disEncodedSize(f), 4);
    assert.deepEqual(encodeDis(f), hex('00 00 01 20'));
    assert.deepEqual(encodeDis(fields('DIS', { octets: 5 })), hex('00 00 01 01 00'));
  });

  it('builds the golden DCS from fields', () => {
    const f = fields('DCS', {
      receiverFax: true,
      rateCode: dcsRateCode('V.17', 14400),
      fine: true,
      lengthCode: 0b01,
      scanTimeCode: 0b111,
      ecm: true,
      t6: true,
    });
    assert.deepEqual(encodeDis(f), GOLDEN_DCS);
  });

  it('rejects misuse', () => {
    assert.throws(() => encodeDis(fields('DIS', { rateCode: 16 })), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => encodeDis(fields('DIS', { reservedBits: [27] })), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => encodeDis(fields('DIS', { reservedBits: [24] })), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => encodeDis(fields('DIS', { octets: 0 })), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => encodeDis(fields('DIS', { octets: MAX_DIS_OCTETS + 1 })), { code: 'FAXWIRE_ERR_INVALID_ARGUMENT' });
    assert.throws(() => encodeDisInto(fields('DIS', {}), new Uint8Array(2)), { code: 'FAXWIRE_ERR_BUFFER_TOO_SMALL' });
    const buf = new Uint8Array(6).fill(0xee);
    assert.equal(encodeDisInto(fields('DIS', {}), buf, 2), 3);
    assert.deepEqual(buf, hex('ee ee 00 00 00 ee'));
  });
});
