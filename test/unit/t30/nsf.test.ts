import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeNsfFif, t35CountryName } from '../../../src/t30/nsf.js';
import { bitReverse8 } from '../../../src/t30/fcf.js';
import { hex } from '../helpers/bytes.js';


describe('NSF country / vendor', () => {
  it('reads the T.35 country code bit-reversed (b1 is sent first)', () => {
    // USA is 1011 0101 (0xB5) in T.35 Annex A; sent b1 first it reads 0xAD in document notation.
    // Provider 0x00AA (HylaFAX in the HylaFAX/spandsp vendor list), also sent b1 first.
    const info = describeNsfFif(Uint8Array.from([bitReverse8(0xb5), bitReverse8(0x00), bitReverse8(0xaa), 0x12]));
    assert.deepEqual(info, {
      countryCode: 0xb5,
      country: 'United States',
      providerCode: 0x00aa,
      vendor: 'HylaFAX',
      reversedBitOrder: false,
    });
  });

  it('recognises a sender that sends T.35 octets MSB first (USA read as Tunisia)', () => {
    const info = describeNsfFif(hex('b5 00 aa'));
    assert.equal(info?.country, 'United States');
    assert.equal(info?.vendor, 'HylaFAX');
    assert.equal(info?.reversedBitOrder, true);
  });

  it('Panasonic NSF from the Asterisk corpus (listed LSB-first there: 00 00 0e …)', () => {
    const info = describeNsfFif(hex('00 00 0e 00 00 00 96 0f').map(bitReverse8));
    assert.equal(info?.country, 'Japan');
    assert.equal(info?.vendor, 'Panasonic');
  });

  it('unknown codes, extension code, empty FIF', () => {
    assert.equal(describeNsfFif(new Uint8Array(0)), undefined);
    assert.equal(describeNsfFif(hex('ff')), undefined); // 0xFF: extension octet missing
    const ext = describeNsfFif(hex('ff 01 00 00'));
    assert.equal(ext?.countryCode, 0xff);
    assert.equal(ext?.country, undefined);
    const lone = describeNsfFif(hex('ad'));
    assert.deepEqual(lone, { countryCode: 0xb5, country: 'United States', reversedBitOrder: false });
    assert.equal(t35CountryName(0x04), 'Germany');
    assert.equal(t35CountryName(0x01), undefined);
  });

  it('never throws on random FIFs', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => void describeNsfFif(b)), { numRuns: 1000 });
  });
});
