import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSipMessage } from '../../../src/analyze/sip.js';

const meta = { frame: 7, time: 1.5, src: '10.0.0.1:5060', dst: '10.0.0.2:5060' };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s.replace(/\n/g, '\r\n'));

// A T.38 re-INVITE as carriers send it (T.38 Annex D SDP attributes; legacy ":0" boolean form).
const INVITE = `INVITE sip:fax@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1
Call-ID: abc@10.0.0.1
CSeq: 2 INVITE
Content-Type: application/sdp
Content-Length: 200

v=0
o=- 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=image 40000 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxFillBitRemoval:0
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:176
a=T38FaxUdpEC:t38UDPRedundancy
`;

describe('SIP/SDP discovery for analyze', () => {
  it('finds the T.38 endpoint and its attributes', () => {
    const ev = parseSipMessage(enc(INVITE), meta);
    assert.ok(ev);
    assert.equal(ev.startLine, 'INVITE sip:fax@10.0.0.2 SIP/2.0');
    assert.equal(ev.callId, 'abc@10.0.0.1');
    assert.deepEqual(ev.media, ['image 40000 udptl t38']);
    assert.equal(ev.t38.length, 1);
    const e = ev.t38[0]!;
    assert.equal(e.ip, '10.0.0.1');
    assert.equal(e.port, 40000);
    assert.equal(e.version, 0);
    assert.equal(e.maxDatagram, 176);
    assert.equal(e.errorCorrection, 't38UDPRedundancy');
    assert.equal(e.rateManagement, 'transferredTCF');
    assert.equal(e.attributes['T38FaxFillBitRemoval'], '0');
  });

  it('a 488 without SDP and a rejected image stream (port 0) give no endpoint', () => {
    const r488 = parseSipMessage(enc('SIP/2.0 488 Not Acceptable Here\nCall-ID: x\n\n'), meta);
    assert.ok(r488);
    assert.equal(r488.t38.length, 0);
    const rejected = parseSipMessage(enc(INVITE.replace('m=image 40000', 'm=image 0')), meta);
    assert.ok(rejected);
    assert.equal(rejected.t38[0]?.port, 0);
  });

  it('survives broken media lines (found by the fuzzer: sdp-transform leaves fields undefined)', () => {
    const broken = parseSipMessage(enc(INVITE.replace('m=image 40000 udptl t38', 'm=image')), meta);
    assert.ok(broken);
    assert.equal(broken.t38.length, 0);
  });

  it('is not fooled by non-SIP payloads and never throws', () => {
    assert.equal(parseSipMessage(Uint8Array.of(0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), meta), undefined);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(INVITE.length), (junk, cut) => {
        parseSipMessage(junk, meta);
        const b = enc(INVITE);
        const m = Uint8Array.from(b.subarray(0, cut));
        for (let i = 0; i < junk.length && i < m.length; i += 7) m[(i * 13) % m.length] = junk[i]!;
        parseSipMessage(m, meta);
      }),
      { numRuns: 2000 },
    );
  });
});
