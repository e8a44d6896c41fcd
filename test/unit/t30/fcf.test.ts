import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  T30_FRAME_TYPES,
  bitReverse8,
  fcf2Value,
  fcfHasXBit,
  fcfName,
  fcfValue,
  lookupFcf,
  lookupFcf2,
  type T30FrameType,
} from '../../../src/t30/fcf.js';

/**
 * Table 1/T.30 bit patterns, written first-transmitted bit first exactly as the recommendation
 * prints them ("X" = the X bit). Transcribed from the bracketed patterns in spandsp's
 * t30_fcf.h comments and Wireshark's packet-t30.c value table (both quote Table 1).
 */
const TABLE1: ReadonlyArray<readonly [T30FrameType, string]> = [
  ['DIS', '00000001'], ['CSI', '00000010'], ['NSF', '00000100'],
  ['DTC', '10000001'], ['CIG', '10000010'], ['NSC', '10000100'], ['PWD', '10000011'],
  ['SEP', '10000101'], ['PSA', '10000110'], ['CIA', '10000111'], ['ISP', '10001000'],
  ['DCS', 'X1000001'], ['TSI', 'X1000010'], ['NSS', 'X1000100'], ['SUB', 'X1000011'],
  ['SID', 'X1000101'], ['TSA', 'X1000110'], ['IRA', 'X1000111'], ['CTC', 'X1001000'],
  ['CFR', 'X0100001'], ['FTT', 'X0100010'], ['CTR', 'X0100011'], ['CSA', 'X0100100'],
  ['EOM', 'X1110001'], ['MPS', 'X1110010'], ['EOP', 'X1110100'], ['PRI-EOM', 'X1111001'],
  ['PRI-MPS', 'X1111010'], ['PRI-EOP', 'X1111100'], ['EOS', 'X1111000'], ['PPS', 'X1111101'],
  ['EOR', 'X1110011'], ['RR', 'X1110110'],
  ['MCF', 'X0110001'], ['RTP', 'X0110011'], ['RTN', 'X0110010'], ['PIP', 'X0110101'],
  ['PIN', 'X0110100'], ['PPR', 'X0111101'], ['RNR', 'X0110111'], ['ERR', 'X0111000'],
  ['FDM', 'X0111111'], ['PID', 'X0110110'],
  ['DCN', 'X1011111'], ['CRP', 'X1011000'], ['FNV', 'X1010011'], ['TNR', 'X1010111'],
  ['TR', 'X1010110'], ['DNK', 'X1011001'], ['TK', '11010010'], ['RK', '01010010'],
  ['DES', '00000101'], ['DEC', '11001001'], ['DER', '11001010'], ['SPI', '00001000'],
  ['FCD', '01100000'], ['RCP', '01100001'], ['CCD', '01100010'],
];

/** spandsp's t30_fcf.h constants (LSB-first, X = 0): the same codes bit-reversed. */
const SPANDSP_LSB_FIRST: ReadonlyArray<readonly [T30FrameType, number]> = [
  ['DIS', 0x80], ['CSI', 0x40], ['NSF', 0x20], ['DTC', 0x81], ['CIG', 0x41], ['NSC', 0x21],
  ['DCS', 0x82], ['TSI', 0x42], ['CTC', 0x12], ['CFR', 0x84], ['FTT', 0x44], ['MCF', 0x8c],
  ['RTN', 0x4c], ['PPS', 0xbe], ['PPR', 0xbc], ['EOP', 0x2e], ['MPS', 0x4e], ['DCN', 0xfa],
  ['FCD', 0x06], ['RCP', 0x86], ['CCD', 0x46],
];

describe('T.30 FCF table', () => {
  it('covers every Table 1 signal with the printed bit pattern and X-bit rule', () => {
    assert.equal(TABLE1.length, T30_FRAME_TYPES.length);
    for (const [type, pattern] of TABLE1) {
      const hasX = pattern.startsWith('X');
      const value = parseInt(pattern.replace('X', '0'), 2);
      assert.equal(fcfHasXBit(type), hasX, type);
      assert.equal(fcfValue(type), value, type);
      assert.deepEqual(lookupFcf(value), { type, xBit: false }, type);
      if (hasX) {
        assert.equal(fcfValue(type, true), value | 0x80, type);
        assert.deepEqual(lookupFcf(value | 0x80), { type, xBit: true }, type);
      } else {
        assert.equal(fcfValue(type, true), value, `${type} ignores xBit`);
        assert.notEqual(lookupFcf(value ^ 0x80)?.type, type, `${type} first bit is fixed`);
      }
    }
  });

  it("agrees with spandsp's LSB-first constants once bit-reversed", () => {
    for (const [type, lsb] of SPANDSP_LSB_FIRST) assert.equal(fcfValue(type), bitReverse8(lsb), type);
  });

  it('reads the FCFs of the spandsp golden capture as tshark does', () => {
    // tshark 4.0 decode of interop/spandsp-peer/results/cap_v0.pcapng (FCF octets as carried).
    assert.deepEqual(lookupFcf(0x02), { type: 'CSI', xBit: false });
    assert.deepEqual(lookupFcf(0x01), { type: 'DIS', xBit: false });
    assert.deepEqual(lookupFcf(0xc2), { type: 'TSI', xBit: true });
    assert.deepEqual(lookupFcf(0xc1), { type: 'DCS', xBit: true });
    assert.deepEqual(lookupFcf(0x21), { type: 'CFR', xBit: false });
    assert.deepEqual(lookupFcf(0x60), { type: 'FCD', xBit: false });
    assert.deepEqual(lookupFcf(0x61), { type: 'RCP', xBit: false });
    assert.deepEqual(lookupFcf(0xfd), { type: 'PPS', xBit: true });
    assert.deepEqual(lookupFcf(0x31), { type: 'MCF', xBit: false });
    assert.deepEqual(lookupFcf(0xdf), { type: 'DCN', xBit: true });
  });

  it('names codes, unknown ones in hex', () => {
    assert.equal(fcfName(0xc1), 'DCS');
    assert.equal(fcfName(0x79), 'PRI-EOM');
    assert.equal(fcfName(0x3e), 'FCF 0x3e');
    assert.equal(fcfName(0x00), 'FCF 0x00');
    assert.equal(lookupFcf(-1), undefined);
    assert.equal(lookupFcf(256), undefined);
    assert.equal(lookupFcf(1.5), undefined);
  });

  it('every octet looks up consistently (value ⇄ type round trip)', () => {
    let known = 0;
    for (let o = 0; o < 256; o++) {
      const l = lookupFcf(o);
      if (l === undefined) continue;
      known++;
      assert.equal(fcfValue(l.type, l.xBit), o, `0x${o.toString(16)}`);
    }
    const withX = T30_FRAME_TYPES.filter((t) => fcfHasXBit(t)).length;
    assert.equal(known, T30_FRAME_TYPES.length + withX);
  });

  it('FCF2 of PPS/EOR: NULL and the post-message commands, X bit included', () => {
    assert.deepEqual(lookupFcf2(0x00), { type: 'NULL', xBit: false });
    assert.deepEqual(lookupFcf2(0xf4), { type: 'EOP', xBit: true }); // spandsp's PPS-EOP: fd f4
    assert.deepEqual(lookupFcf2(0x72), { type: 'MPS', xBit: false });
    assert.deepEqual(lookupFcf2(0xf1), { type: 'EOM', xBit: true });
    assert.deepEqual(lookupFcf2(0xfa), { type: 'PRI-MPS', xBit: true });
    assert.deepEqual(lookupFcf2(0x78), { type: 'EOS', xBit: false });
    assert.equal(lookupFcf2(0xc1), undefined); // DCS is not a post-message command
    assert.equal(lookupFcf2(0x80), undefined);
    assert.equal(lookupFcf2(0x7d), undefined); // PPS itself
    assert.equal(fcf2Value('NULL', true), 0x00);
    assert.equal(fcf2Value('EOP', true), 0xf4);
  });

  it('bitReverse8 is an involution and reverses', () => {
    assert.equal(bitReverse8(0x01), 0x80);
    assert.equal(bitReverse8(0xb5), 0xad);
    assert.equal(bitReverse8(0x4d), 0xb2);
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), (v) => bitReverse8(bitReverse8(v)) === v));
  });
});
