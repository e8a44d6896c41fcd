/**
 * Fax SDP offer/answer (src/sip/fax-sdp.ts): SDP bodies shaped like the ones deployed gear
 * sends (written here after the SIPp scenarios of the Asterisk test suite and Asterisk's
 * sipp-sendfax.xml: Cisco, Huawei and Polycom audio offers, audio+image initial offers, image-only
 * re-INVITEs, `m=image 0` answers, the maxdatagram variants, Vega/Cisco `:1` booleans), answer
 * and answer-check tables, the datagram-size rule, a format → parse round trip and never-throws
 * properties on mutated SDP text.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  acceptFaxAnswer,
  answerFaxOffer,
  effectiveMaxDatagram,
  formatFaxSdp,
  parseFaxSdp,
  type AudioCodecName,
  type FaxAudioMedia,
  type FaxImageMedia,
  type FaxMediaCapabilities,
  type FaxOtherMedia,
  type FaxSdp,
} from '../../../src/sip/fax-sdp.js';
import type { T38SdpParams } from '../../../src/sip/sdp-t38.js';
import { FaxwireError } from '../../../src/util/errors.js';

const sdp = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');

function parsed(text: string): FaxSdp {
  const r = parseFaxSdp(text);
  if ('error' in r) assert.fail(`parse failed: ${r.error}`);
  return r;
}

function audioOf(s: FaxSdp): FaxAudioMedia {
  assert.ok(s.audio !== undefined && s.audio !== 'declined', 'accepted audio expected');
  return s.audio;
}

function imageOf(s: FaxSdp): FaxImageMedia {
  assert.ok(s.image !== undefined && s.image !== 'declined', 'accepted image expected');
  return s.image;
}

// ---- SDP bodies in the shapes of the corpus scenarios (addresses and numbers are our own) ----

/** A Cisco IOS gateway's audio offer: G.711µ, G.729 (static 18, no rtpmap), telephone-event with a bogus clock rate, media-level c=. */
const CISCO_AUDIO = sdp('v=0', 'o=CiscoSystemsSIP-GW-UserAgent 4711 815 IN IP4 198.51.100.7', 's=SIP Call', 'c=IN IP4 198.51.100.7', 't=0 0', 'm=audio 16384 RTP/AVP 0 18 101', 'c=IN IP4 198.51.100.8', 'a=rtpmap:101 telephone-event/101');

/** A Huawei softswitch's audio offer, with Cisco NSE beside telephone-event and a blank line at the end. */
const HUAWEI_AUDIO = sdp('v=0', 'o=HuaweiSoftX3000 1234567 1234567 IN IP4 203.0.113.20', 's=Sip Call', 'c=IN IP4 203.0.113.20', 't=0 0', 'm=audio 30000 RTP/AVP 0 100 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:100 NSE/8000', 'a=rtpmap:101 telephone-event/8000', '');

/** A Polycom-style answer: a=sendrecv at session level before the m-line. */
const POLYCOM_AUDIO = sdp('v=0', 'o=- 1700000001 1700000001 IN IP4 192.0.2.30', 's=Polycom IP Phone', 'c=IN IP4 192.0.2.30', 't=0 0', 'a=sendrecv', 'm=audio 2226 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000');

/** An initial offer with audio (G.722 first, RTCP attribute, own c=) and image, as in pjsip/t38_initial_offer. */
const AUDIO_AND_IMAGE = sdp(
  'v=0',
  'o=user1 1111 2222 IN IP4 192.0.2.40',
  's=-',
  'c=IN IP4 192.0.2.40',
  't=0 0',
  'm=audio 6000 RTP/AVP 9 8 0 101',
  'c=IN IP4 192.0.2.41',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtcp:6001 IN IP4 192.0.2.41',
  'a=sendrecv',
  'm=image 6002 udptl t38',
  'a=T38FaxVersion:0',
  'a=T38MaxBitRate:14400',
  'a=T38FaxRateManagement:transferredTCF',
  'a=T38FaxMaxDatagram:1400',
  'a=T38FaxUdpEC:t38UDPRedundancy',
);

/** An image-only re-INVITE like sipp-sendfax.xml's (small buffer and datagram). */
const IMAGE_REINVITE = sdp('v=0', 'o=- 145280 145281 IN IP4 192.0.2.50', 's=-', 'c=IN IP4 192.0.2.50', 't=0 0', 'm=image 7000 udptl t38', 'a=T38FaxVersion:0', 'a=T38MaxBitRate:14400', 'a=T38FaxRateManagement:transferredTCF', 'a=T38FaxMaxBuffer:200', 'a=T38FaxMaxDatagram:200', 'a=T38FaxUdpEC:t38UDPRedundancy');

/** A Polycom-style T.38 answer/re-INVITE with a=sendrecv in the image section, no T38FaxUdpEC (pjsip/maxdatagram). */
const POLYCOM_IMAGE = sdp('v=0', 'o=- 1700000001 1700000003 IN IP4 192.0.2.30', 's=-', 'c=IN IP4 192.0.2.30', 't=0 0', 'm=image 31002 udptl t38', 'a=sendrecv', 'a=T38FaxVersion:0', 'a=T38MaxBitRate:9600', 'a=T38FaxMaxBuffer:1024', 'a=T38FaxMaxDatagram:299', 'a=T38FaxRateManagement:transferredTCF');

/** An image answer with port 0 (pjsip/t38_zero_port: the re-INVITE to T.38 refused). */
const IMAGE_ZERO = sdp('v=0', 'o=- 1700000001 1700000002 IN IP4 192.0.2.30', 's=Polycom IP Phone', 'c=IN IP4 192.0.2.30', 't=0 0', 'm=image 0 udptl t38', 'a=sendrecv', 'a=T38FaxVersion:0', 'a=T38MaxBitRate:9600', 'a=T38FaxRateManagement:transferredTCF');

/** A Vega/Cisco-style image offer: `UDPTL` upper case, :0/:1 booleans, localTCF, aliases in odd case. */
const VEGA_IMAGE = sdp('v=0', 'o=Vega 3 4 IN IP4 203.0.113.60', 's=Sip Call', 'c=IN IP4 203.0.113.60', 't=0 0', 'm=image 5004 UDPTL t38', 'a=T38FaxVersion:0', 'a=T38MaxBitRate:14400', 'a=T38FaxFillBitRemoval:0', 'a=T38FaxTranscodingMMR:0', 'a=T38FaxTranscodingJBIG:0', 'a=T38FaxRateManagement:localTCF', 'a=T38FaxMaxBuffer:1000', 'a=t38maxdatagram:500', 'a=T38FaxUdpEC:t38UDPRedundancy');

const CAPS: FaxMediaCapabilities = {
  t38: {
    maxVersion: 3,
    maxBitRate: 14400,
    maxBuffer: 2000,
    maxDatagram: 400,
    errorCorrection: ['redundancy', 'fec'],
    fillBitRemoval: false,
    transcodingMmr: false,
    transcodingJbig: false,
    rateManagement: ['transferredTCF', 'localTCF'],
  },
  codecs: ['PCMU', 'PCMA'],
  telephoneEvent: true,
};
const LOCAL = { address: '192.0.2.1', audioPort: 40000, imagePort: 40002, origin: { username: 'faxwire', sessionId: '42', sessionVersion: 1, address: '192.0.2.1' } };

describe('parseFaxSdp: SDP as gear writes it', () => {
  it('Cisco audio offer: static PCMU, G.729 ignored, telephone-event taken despite its clock rate (noted), media c= wins', () => {
    const s = parsed(CISCO_AUDIO);
    assert.deepEqual(s.origin, { username: 'CiscoSystemsSIP-GW-UserAgent', sessionId: '4711', sessionVersion: 815, address: '198.51.100.7' });
    assert.deepEqual(s.order, ['audio']);
    const a = audioOf(s);
    assert.equal(a.port, 16384);
    assert.equal(a.address, '198.51.100.8');
    assert.deepEqual(a.codecs, ['PCMU']);
    assert.deepEqual(a.payloadTypes, [0]);
    assert.equal(a.telephoneEvent, 101);
    assert.equal(a.direction, undefined);
    assert.equal(s.image, undefined);
    assert.deepEqual(s.problems, ['telephone-event with clock rate 101']);
  });

  it('Huawei audio offer: NSE is neither codec nor telephone-event; session c= used', () => {
    const a = audioOf(parsed(HUAWEI_AUDIO));
    assert.deepEqual(a.codecs, ['PCMU']);
    assert.equal(a.telephoneEvent, 101);
    assert.equal(a.address, '203.0.113.20');
  });

  it('Polycom: a session-level a=sendrecv gives the audio its direction', () => {
    assert.equal(audioOf(parsed(POLYCOM_AUDIO)).direction, 'sendrecv');
  });

  it('audio + image initial offer: both read, order kept, G.722 skipped, PCMA before PCMU as offered', () => {
    const s = parsed(AUDIO_AND_IMAGE);
    assert.deepEqual(s.order, ['audio', 'image']);
    const a = audioOf(s);
    assert.deepEqual(a.codecs, ['PCMA', 'PCMU']);
    assert.deepEqual(a.payloadTypes, [8, 0]);
    assert.equal(a.address, '192.0.2.41');
    const im = imageOf(s);
    assert.equal(im.port, 6002);
    assert.equal(im.address, '192.0.2.40');
    assert.equal(im.transport, 'udptl');
    assert.equal(im.t38.maxDatagram, 1400);
    assert.equal(im.t38.errorCorrection, 'redundancy');
    assert.deepEqual(s.problems, []);
  });

  it('image-only re-INVITE (sipp-sendfax shape)', () => {
    const s = parsed(IMAGE_REINVITE);
    assert.deepEqual(s.order, ['image']);
    assert.equal(s.audio, undefined);
    const im = imageOf(s);
    assert.deepEqual(im.t38, { version: 0, maxBitRate: 14400, rateManagement: 'transferredTCF', maxBuffer: 200, maxDatagram: 200, errorCorrection: 'redundancy', fillBitRemoval: false, transcodingMmr: false, transcodingJbig: false });
    assert.equal(im.booleanStyle, 'flag');
  });

  it('Polycom image with a=sendrecv and no T38FaxUdpEC: no error correction; the 299 of pjsip/maxdatagram is read as written', () => {
    const im = imageOf(parsed(POLYCOM_IMAGE));
    assert.equal(im.t38.errorCorrection, 'none');
    assert.equal(im.t38.maxDatagram, 299);
  });

  it('m=image 0 is declined (its attributes are not read)', () => {
    const s = parsed(IMAGE_ZERO);
    assert.equal(s.image, 'declined');
    assert.deepEqual(s.order, ['image']);
  });

  it('Vega/Cisco style: UDPTL upper case kept, :0 booleans, localTCF, the T38MaxDatagram alias', () => {
    const im = imageOf(parsed(VEGA_IMAGE));
    assert.equal(im.protocol, 'UDPTL');
    assert.equal(im.transport, 'udptl');
    assert.equal(im.booleanStyle, 'value');
    assert.equal(im.t38.rateManagement, 'localTCF');
    assert.equal(im.t38.maxDatagram, 500);
  });

  it('T.38 over TCP and over RTP (bare `t38` format or an rtpmap)', () => {
    const head = ['v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0'];
    assert.equal(imageOf(parsed(sdp(...head, 'm=image 9000 TCP t38', 'a=T38FaxVersion:0'))).transport, 'tcp');
    assert.equal(imageOf(parsed(sdp(...head, 'm=image 9000 tcptl t38'))).transport, 'tcp');
    const bare = imageOf(parsed(sdp(...head, 'm=image 9000 RTP/AVP t38')));
    assert.equal(bare.transport, 'rtp');
    assert.equal(bare.payloadType, undefined);
    const mapped = imageOf(parsed(sdp(...head, 'm=image 9000 RTP/AVP 96', 'a=rtpmap:96 t38/8000')));
    assert.equal(mapped.transport, 'rtp');
    assert.equal(mapped.payloadType, 96);
  });

  it('rtpmap overrides the static numbers; ptime and a media direction are read; IPv6 addresses', () => {
    const s = parsed(sdp('v=0', 'o=- 1 1 IN IP6 2001:db8::1', 's=-', 'c=IN IP6 2001:db8::1', 't=0 0', 'm=audio 5000 RTP/AVP 0 97', 'a=rtpmap:0 PCMA/8000', 'a=rtpmap:97 PCMU/8000', 'a=ptime:20', 'a=recvonly'));
    const a = audioOf(s);
    assert.deepEqual(a.codecs, ['PCMA', 'PCMU']);
    assert.deepEqual(a.payloadTypes, [0, 97]);
    assert.equal(a.ptime, 20);
    assert.equal(a.direction, 'recvonly');
    assert.equal(a.address, '2001:db8::1');
  });

  it('media it does not model keep their place in `other` (video, SRTP audio, a second audio, garbled lines)', () => {
    const s = parsed(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', 'm=video 5002 RTP/AVP 31', 'm=audio 5000 RTP/AVP 0', 'm=audio 5004 RTP/SAVP 0', 'm=audio 5006 RTP/AVP 8', 'm=image 5008 udptl t38', 'm=audio x RTP/AVP 0'));
    assert.deepEqual(s.order, ['audio', 'image']);
    assert.deepEqual(
      s.other?.map((o) => [o.index, o.type, o.protocol, o.formats]),
      [
        [0, 'video', 'RTP/AVP', '31'],
        [2, 'audio', 'RTP/SAVP', '0'],
        [3, 'audio', 'RTP/AVP', '8'],
        [5, 'audio', 'RTP/AVP', '0'],
      ],
    );
    assert.equal(s.problems.length, 4);
  });

  it('a port-0 slot kept before a new line of the same kind (RFC 3264 §8): the live line is the stream', () => {
    const s = parsed(sdp('v=0', 'o=- 1 2 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', 'm=audio 0 RTP/AVP 0', 'm=image 0 udptl t38', 'm=audio 5000 RTP/AVP 8'));
    assert.deepEqual(s.order, ['image', 'audio']);
    assert.equal(audioOf(s).port, 5000);
    assert.deepEqual(s.other, [{ index: 0, type: 'audio', protocol: 'RTP/AVP', formats: '0' }]);
    const r = answerFaxOffer(s, CAPS, LOCAL);
    assert.ok(r.ok);
    assert.deepEqual(
      formatFaxSdp(r.answer)
        .split('\r\n')
        .filter((l) => l.startsWith('m=')),
      ['m=audio 0 RTP/AVP 0', 'm=image 0 udptl t38', 'm=audio 40000 RTP/AVP 8'],
    );
  });

  it('a missing connection address is a problem, not an error', () => {
    const s = parsed(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 't=0 0', 'm=audio 5000 RTP/AVP 0'));
    assert.equal(audioOf(s).address, '');
    assert.deepEqual(s.problems, ['audio stream has no connection address']);
  });

  const errors: [string, string][] = [
    ['no m= line', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0')],
    ['no o= line', sdp('v=0', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', 'm=audio 5000 RTP/AVP 0')],
    ['a garbled o= line', sdp('v=0', 'o=- x 1 IN IP4 192.0.2.9', 's=-', 't=0 0', 'm=audio 5000 RTP/AVP 0')],
    ['a body over the size limit', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', `s=${'x'.repeat(20000)}`, 'm=audio 5000 RTP/AVP 0')],
    ['too many m-lines', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', ...Array.from({ length: 20 }, () => 'm=audio 5000 RTP/AVP 0'))],
    ['an empty body', ''],
  ];
  for (const [what, text] of errors) {
    it(`error: ${what}`, () => {
      const r = parseFaxSdp(text);
      assert.ok('error' in r, JSON.stringify(r).slice(0, 200));
    });
  }
});

describe('answerFaxOffer (RFC 3264 §6)', () => {
  const answer = (text: string, caps: FaxMediaCapabilities = CAPS): ReturnType<typeof answerFaxOffer> => answerFaxOffer(parsed(text), caps, LOCAL);

  it('audio only: the first offered codec we have, the offer payload type, telephone-event echoed, sendrecv', () => {
    const r = answer(AUDIO_AND_IMAGE.replace(/m=image[^]*$/, ''));
    assert.ok(r.ok);
    assert.equal(r.mode, 'audio');
    assert.equal(r.audioCodec, 'PCMA');
    assert.deepEqual(r.answer.audio, { port: 40000, address: '192.0.2.1', codecs: ['PCMA'], payloadTypes: [8], telephoneEvent: 101, direction: 'sendrecv' });
    assert.deepEqual(r.answer.order, ['audio']);
  });

  it('audio: telephone-event left out when we do not do it; direction mirrored (sendonly → recvonly)', () => {
    const r = answerFaxOffer(parsed(POLYCOM_AUDIO.replace('a=sendrecv', 'a=sendonly')), { ...CAPS, telephoneEvent: false }, LOCAL);
    assert.ok(r.ok);
    const a = audioOf(r.answer);
    assert.equal(a.telephoneEvent, undefined);
    assert.equal(a.direction, 'recvonly');
  });

  it('codec mismatch → 488', () => {
    const r = answerFaxOffer(parsed(CISCO_AUDIO), { ...CAPS, codecs: ['PCMA'] }, LOCAL);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.status === 488 && r.reason.includes('no common audio codec'));
  });

  it('image only, T.38 on: accepted with our sizes, the answer written in the offer boolean style', () => {
    const r = answer(IMAGE_REINVITE);
    assert.ok(r.ok);
    assert.equal(r.mode, 't38');
    const im = imageOf(r.answer);
    assert.equal(im.port, 40002);
    assert.equal(im.t38.maxDatagram, 400);
    assert.equal(im.t38.errorCorrection, 'redundancy');
    assert.equal(im.booleanStyle, 'flag');
    const v = answer(VEGA_IMAGE);
    assert.ok(v.ok);
    const text = formatFaxSdp(v.answer);
    assert.ok(text.includes('a=T38FaxFillBitRemoval:0\r\n') && text.includes('a=T38FaxTranscodingMMR:0\r\n'), text);
    assert.ok(text.includes('m=image 40002 UDPTL t38\r\n'), text);
    assert.ok(text.includes('a=T38FaxRateManagement:localTCF\r\n'));
  });

  it('image only, T.38 off → 488', () => {
    const r = answer(IMAGE_REINVITE, { ...CAPS, t38: undefined });
    assert.ok(!r.ok && r.status === 488 && r.reason.includes('T.38 is off'));
  });

  it('audio + image, T.38 on: image taken, audio declined (one fax stream); the answer text says so', () => {
    const r = answer(AUDIO_AND_IMAGE);
    assert.ok(r.ok);
    assert.equal(r.mode, 't38');
    assert.equal(r.answer.audio, 'declined');
    assert.deepEqual(r.answer.order, ['audio', 'image']);
    const text = formatFaxSdp(r.answer);
    assert.match(text, /\r\nm=audio 0 RTP\/AVP 0\r\nm=image 40002 udptl t38\r\n/);
  });

  it('audio + image, T.38 off: audio taken, image declined (m=image 0, as res_pjsip answers)', () => {
    const r = answer(AUDIO_AND_IMAGE, { ...CAPS, t38: undefined });
    assert.ok(r.ok);
    assert.equal(r.mode, 'audio');
    assert.equal(r.answer.image, 'declined');
    assert.match(formatFaxSdp(r.answer), /\r\nm=image 0 udptl t38\r\n$/);
  });

  it('audio + image with preferAudio: audio kept, image declined', () => {
    const r = answer(AUDIO_AND_IMAGE, { ...CAPS, preferAudio: true });
    assert.ok(r.ok && r.mode === 'audio' && r.answer.image === 'declined');
  });

  it('audio + image, T.38 unacceptable (localTCF offered, we lack it): audio taken', () => {
    const r = answer(AUDIO_AND_IMAGE.replace('transferredTCF', 'localTCF'), { ...CAPS, t38: { ...(CAPS.t38 as NonNullable<FaxMediaCapabilities['t38']>), rateManagement: ['transferredTCF'] } });
    assert.ok(r.ok && r.mode === 'audio' && r.answer.image === 'declined');
  });

  it('version: the lower of offer and ours', () => {
    const r = answer(IMAGE_REINVITE.replace('T38FaxVersion:0', 'T38FaxVersion:4'));
    assert.ok(r.ok);
    assert.equal(imageOf(r.answer).t38.version, 3);
  });

  it('FEC offered to an end with redundancy only: redundancy; FEC to an end with FEC: FEC', () => {
    const fec = IMAGE_REINVITE.replace('t38UDPRedundancy', 't38UDPFEC');
    const r1 = answer(fec, { ...CAPS, t38: { ...(CAPS.t38 as NonNullable<FaxMediaCapabilities['t38']>), errorCorrection: ['redundancy'] } });
    assert.ok(r1.ok);
    assert.equal(imageOf(r1.answer).t38.errorCorrection, 'redundancy');
    const r2 = answer(fec);
    assert.ok(r2.ok);
    assert.equal(imageOf(r2.answer).t38.errorCorrection, 'fec');
  });

  it('T.38 over TCP is declined unless listed in t38Transports', () => {
    const tcp = IMAGE_REINVITE.replace('udptl', 'TCP');
    const r = answer(tcp);
    assert.ok(!r.ok && r.reason.includes('tcp'));
    const r2 = answer(tcp, { ...CAPS, t38Transports: ['udptl', 'tcp'] });
    assert.ok(r2.ok);
    assert.ok(formatFaxSdp(r2.answer).includes('m=image 40002 TCP t38\r\n'));
  });

  it('other media are declined in place: the answer has one m-line per offered one', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', 'm=video 5002 RTP/AVP 31', 'm=audio 5000 RTP/AVP 0', 'm=audio 5004 RTP/SAVP 0');
    const r = answer(offer);
    assert.ok(r.ok);
    const text = formatFaxSdp(r.answer);
    assert.deepEqual(
      text.split('\r\n').filter((l) => l.startsWith('m=')),
      ['m=video 0 RTP/AVP 31', 'm=audio 40000 RTP/AVP 0', 'm=audio 0 RTP/SAVP 0'],
    );
  });

  it('nothing offered that we take → 488: all declined, or a stream without address', () => {
    const r = answer(IMAGE_ZERO);
    assert.ok(!r.ok && r.status === 488);
    const r2 = answer(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.9', 's=-', 't=0 0', 'm=audio 5000 RTP/AVP 0'));
    assert.ok(!r2.ok && r2.reason.includes('no address'));
  });

  it('misuse throws FaxwireError: a local port out of range', () => {
    assert.throws(() => answerFaxOffer(parsed(CISCO_AUDIO), CAPS, { ...LOCAL, audioPort: 0 }), FaxwireError);
    assert.throws(() => answerFaxOffer(parsed(CISCO_AUDIO), CAPS, { ...LOCAL, imagePort: 70000 }), FaxwireError);
  });
});

describe('acceptFaxAnswer', () => {
  /** Our image-only re-INVITE offer, with the error correction and version asked. */
  const ourOffer = (ec: T38SdpParams['errorCorrection'], version: 0 | 3 = 0): FaxSdp => ({
    origin: LOCAL.origin,
    image: {
      port: 40002,
      address: '192.0.2.1',
      t38: { version, maxBitRate: 14400, rateManagement: 'transferredTCF', maxBuffer: 2000, maxDatagram: 400, errorCorrection: ec, fillBitRemoval: true, transcodingMmr: false, transcodingJbig: false },
      booleanStyle: 'flag',
      transport: 'udptl',
    },
    order: ['image'],
    problems: [],
  });
  const peerAnswer = (t38: Partial<T38SdpParams>): FaxSdp => {
    const o = ourOffer('none');
    return { ...o, image: { ...imageOf(o), port: 31002, address: '192.0.2.30', t38: { ...imageOf(o).t38, maxBuffer: 1024, maxDatagram: 299, fillBitRemoval: false, ...t38 } } };
  };

  const ecTable: [T38SdpParams['errorCorrection'], T38SdpParams['errorCorrection'], T38SdpParams['errorCorrection']][] = [
    ['fec', 'fec', 'fec'],
    ['fec', 'redundancy', 'redundancy'],
    ['fec', 'none', 'none'],
    ['redundancy', 'redundancy', 'redundancy'],
    ['redundancy', 'fec', 'redundancy'],
    ['redundancy', 'none', 'none'],
    ['none', 'redundancy', 'none'],
    ['none', 'fec', 'none'],
  ];
  for (const [offered, answered, used] of ecTable) {
    it(`error correction: offered ${offered}, answered ${answered} → ${used}`, () => {
      const r = acceptFaxAnswer(ourOffer(offered), peerAnswer({ errorCorrection: answered }));
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.mode, 't38');
      assert.equal(r.t38?.errorCorrection, used);
    });
  }

  it('the peer sizes are kept, options are the AND of both, the bit rate the lower', () => {
    const r = acceptFaxAnswer(ourOffer('redundancy'), peerAnswer({ maxBitRate: 33600, transcodingMmr: true }));
    assert.ok(r.ok);
    assert.equal(r.t38?.maxDatagram, 299);
    assert.equal(r.t38?.maxBuffer, 1024);
    assert.equal(r.t38?.maxBitRate, 14400);
    assert.equal(r.t38?.fillBitRemoval, false);
    assert.equal(r.t38?.transcodingMmr, false);
  });

  it('a version at or below ours is accepted, above fails', () => {
    assert.equal(acceptFaxAnswer(ourOffer('redundancy', 3), peerAnswer({ version: 0 })).ok, true);
    const r = acceptFaxAnswer(ourOffer('redundancy', 0), peerAnswer({ version: 3 }));
    assert.ok(!r.ok && r.reason.includes('T38FaxVersion 3'));
  });

  it('a different rate management fails', () => {
    assert.equal(acceptFaxAnswer(ourOffer('redundancy'), peerAnswer({ rateManagement: 'localTCF' })).ok, false);
  });

  it('m=image 0 (pjsip/t38_zero_port) fails: every stream declined, the call stays on audio', () => {
    const r = acceptFaxAnswer(ourOffer('redundancy'), parsed(IMAGE_ZERO));
    assert.ok(!r.ok && r.reason.includes('declines every stream'));
  });

  it('a parsed real answer (Polycom image) is accepted', () => {
    const r = acceptFaxAnswer(ourOffer('redundancy'), parsed(POLYCOM_IMAGE));
    assert.ok(r.ok);
    assert.equal(r.t38?.maxDatagram, 299);
    assert.equal(r.t38?.maxBitRate, 9600);
    assert.equal(r.t38?.errorCorrection, 'none');
  });

  it('m-line count or order different from the offer fails', () => {
    const offer = parsed(AUDIO_AND_IMAGE);
    assert.equal(acceptFaxAnswer(offer, parsed(POLYCOM_AUDIO)).ok, false);
    const swapped: FaxSdp = { ...parsed(AUDIO_AND_IMAGE), order: ['image', 'audio'] };
    assert.equal(acceptFaxAnswer(offer, swapped).ok, false);
  });

  it('audio: a codec among the offered is taken; another fails; audio + image accepted runs T.38', () => {
    const offer = parsed(AUDIO_AND_IMAGE.replace(/m=image[^]*$/, ''));
    const r = acceptFaxAnswer(offer, parsed(POLYCOM_AUDIO));
    assert.ok(r.ok && r.mode === 'audio' && r.audioCodec === 'PCMU');
    const other = parsed(POLYCOM_AUDIO.replace('RTP/AVP 0 101', 'RTP/AVP 18 101'));
    assert.equal(acceptFaxAnswer(offer, other).ok, false);
    const both = parsed(AUDIO_AND_IMAGE);
    const r2 = acceptFaxAnswer(both, both);
    assert.ok(r2.ok && r2.mode === 't38' && r2.audioCodec === 'PCMA');
  });

  it('a stream accepted that we did not offer fails', () => {
    const offer: FaxSdp = { ...parsed(AUDIO_AND_IMAGE), image: 'declined' };
    assert.equal(acceptFaxAnswer(offer, parsed(AUDIO_AND_IMAGE)).ok, false);
  });
});

describe('effectiveMaxDatagram', () => {
  const p = (maxDatagram?: number): T38SdpParams => ({ version: 0, rateManagement: 'transferredTCF', errorCorrection: 'redundancy', fillBitRemoval: false, transcodingMmr: false, transcodingJbig: false, ...(maxDatagram !== undefined ? { maxDatagram } : {}) });
  const table: [string, number | undefined, number | undefined, number][] = [
    ['absent → 400', undefined, undefined, 400],
    ['the peer value as the whole datagram', 299, undefined, 299],
    ['1400 kept', 1400, undefined, 1400],
    ['floored at 72', 10, undefined, 72],
    ['capped at 1472 (no fragmentation)', 9000, undefined, 1472],
    ['the override first', 1400, 300, 300],
    ['the override when the peer says nothing', undefined, 160, 160],
    ['the override floored too', 400, 20, 72],
  ];
  for (const [what, remote, override, want] of table) {
    it(what, () => {
      assert.equal(effectiveMaxDatagram(p(remote), override), want);
    });
  }
  it('an override that is not a positive integer throws FaxwireError', () => {
    assert.throws(() => effectiveMaxDatagram(p(400), 0), FaxwireError);
    assert.throws(() => effectiveMaxDatagram(p(400), 1.5), FaxwireError);
  });
});

describe('formatFaxSdp', () => {
  it('writes the documented layout with CRLF', () => {
    const r = answerFaxOffer(parsed(POLYCOM_AUDIO), CAPS, LOCAL);
    assert.ok(r.ok);
    assert.equal(
      formatFaxSdp(r.answer),
      sdp('v=0', 'o=faxwire 42 1 IN IP4 192.0.2.1', 's=faxwire', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=sendrecv'),
    );
  });

  it('all streams declined: the session c= is the origin address', () => {
    const text = formatFaxSdp({ origin: LOCAL.origin, audio: 'declined', image: 'declined', order: ['image', 'audio'], problems: [] });
    assert.equal(text, sdp('v=0', 'o=faxwire 42 1 IN IP4 192.0.2.1', 's=faxwire', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=image 0 udptl t38', 'm=audio 0 RTP/AVP 0'));
  });

  it('misuse throws FaxwireError: order without its media, bad ports, no codecs, spaces, misplaced other', () => {
    const base: FaxSdp = { origin: LOCAL.origin, order: ['audio'], problems: [] };
    const audio: FaxAudioMedia = { port: 5000, address: '192.0.2.1', codecs: ['PCMU'] };
    assert.throws(() => formatFaxSdp(base), FaxwireError);
    assert.throws(() => formatFaxSdp({ ...base, audio: { ...audio, port: 70000 } }), FaxwireError);
    assert.throws(() => formatFaxSdp({ ...base, audio: { ...audio, codecs: [] } }), FaxwireError);
    assert.throws(() => formatFaxSdp({ ...base, audio: { ...audio, address: 'a b' } }), FaxwireError);
    assert.throws(() => formatFaxSdp({ ...base, audio, other: [{ index: 5, type: 'video', protocol: 'RTP/AVP', formats: '31' }] }), FaxwireError);
    assert.throws(() => formatFaxSdp({ ...base, audio, order: ['audio', 'audio'] }), FaxwireError);
  });
});

// ---- properties ----

const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((a) => a.join('.'));
const address = fc.oneof(ipv4, fc.constantFrom('2001:db8::1', '2001:db8::2', 'fax.example.com'));
const port = fc.integer({ min: 1, max: 65535 });

const audioArb: fc.Arbitrary<FaxAudioMedia> = fc
  .record({
    port,
    address,
    codecs: fc.subarray<AudioCodecName>(['PCMU', 'PCMA'], { minLength: 1 }).chain((cs) => fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length })),
    dynamic: fc.boolean(),
    telephoneEvent: fc.option(fc.integer({ min: 101, max: 127 }), { nil: undefined }),
    ptime: fc.option(fc.integer({ min: 10, max: 60 }), { nil: undefined }),
    direction: fc.constantFrom<'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'>('sendrecv', 'sendonly', 'recvonly', 'inactive'),
  })
  .map(({ dynamic, telephoneEvent, ptime, codecs, ...rest }) => ({
    ...rest,
    codecs,
    payloadTypes: codecs.map((c, i) => (dynamic ? 96 + i : c === 'PCMU' ? 0 : 8)),
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    ...(ptime !== undefined ? { ptime } : {}),
  }));

const t38Arb: fc.Arbitrary<T38SdpParams> = fc.record(
  {
    version: fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3),
    maxBitRate: fc.integer({ min: 2400, max: 33600 }),
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

const imageArb: fc.Arbitrary<FaxImageMedia> = fc
  .record({
    port,
    address,
    t38: t38Arb,
    booleanStyle: fc.constantFrom<'flag' | 'value'>('flag', 'value'),
    how: fc.constantFrom<{ transport: 'udptl' | 'tcp' | 'rtp'; protocol: string; payloadType?: number }>(
      { transport: 'udptl', protocol: 'udptl' },
      { transport: 'udptl', protocol: 'UDPTL' },
      { transport: 'tcp', protocol: 'tcptl' },
      { transport: 'tcp', protocol: 'TCP' },
      { transport: 'rtp', protocol: 'RTP/AVP' },
      { transport: 'rtp', protocol: 'RTP/AVP', payloadType: 98 },
    ),
  })
  .map(({ how, t38, ...rest }) => ({ ...rest, t38: { ...t38 }, ...how }));

const sdpArb: fc.Arbitrary<FaxSdp> = fc
  .record({
    origin: fc.record({ username: fc.constantFrom('-', 'faxwire', 'CiscoSystemsSIP-GW-UserAgent'), sessionId: fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), sessionVersion: fc.integer({ min: 0, max: 2 ** 40 }), address }),
    audio: fc.option(fc.oneof(audioArb, fc.constant('declined' as const)), { nil: undefined }),
    image: fc.option(fc.oneof(imageArb, fc.constant('declined' as const)), { nil: undefined }),
    imageFirst: fc.boolean(),
    others: fc.array(fc.record({ at: fc.nat(), type: fc.constantFrom('video', 'application', 'text'), protocol: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'TCP/MSRP'), formats: fc.constantFrom('31', '96 97', '*') }), { maxLength: 3 }),
  })
  .filter((r) => r.audio !== undefined || r.image !== undefined)
  .map(({ origin, audio, image, imageFirst, others }) => {
    const kinds: ('audio' | 'image')[] = [];
    if (audio !== undefined) kinds.push('audio');
    if (image !== undefined) kinds.push('image');
    if (imageFirst) kinds.reverse();
    const total = kinds.length + others.length;
    const slots = [...Array(total).keys()];
    const other: FaxOtherMedia[] = [];
    for (const o of others) {
      const index = slots.splice(o.at % slots.length, 1)[0] ?? 0;
      other.push({ index, type: o.type, protocol: o.protocol, formats: o.formats });
    }
    other.sort((a, b) => a.index - b.index);
    return { origin, ...(audio !== undefined ? { audio } : {}), ...(image !== undefined ? { image } : {}), order: kinds, ...(other.length > 0 ? { other } : {}), problems: [] };
  });

describe('fax SDP properties', () => {
  it('property: parse(format(s)) gives s back (problems aside)', () => {
    fc.assert(
      fc.property(sdpArb, (s) => {
        const r = parseFaxSdp(formatFaxSdp(s));
        if ('error' in r) assert.fail(r.error);
        const { problems, ...got } = r;
        const { problems: _p, ...want } = s;
        assert.deepEqual(got, JSON.parse(JSON.stringify(want)) as unknown); // fast-check records have no prototype
        assert.equal(problems.length, s.other?.length ?? 0); // only the "declined" notes for the other media
      }),
      { numRuns: 300 },
    );
  });

  const bases = [CISCO_AUDIO, HUAWEI_AUDIO, POLYCOM_AUDIO, AUDIO_AND_IMAGE, IMAGE_REINVITE, POLYCOM_IMAGE, IMAGE_ZERO, VEGA_IMAGE];
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\r\n', 'm=', 'm=image 1 udptl t38\r\n', 'c=IN IP4 \r\n', 'a=rtpmap:', 'a=T38FaxVersion:', ' ', '0', ':', '/', 'o=- 1 1 IN IP4 x\r\n')) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), text: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
  );
  const mutate = (base: string, muts: readonly { kind: 'insert' | 'delete' | 'byte'; at: number; text: string }[]): string => {
    let s = base;
    for (const m of muts) {
      const at = m.at % (s.length + 1);
      if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
      else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.text.length + 1);
      else s = s.slice(0, at) + m.text + s.slice(at + 1);
    }
    return s;
  };

  it('property: mutated SDP never throws; what parses can be answered and the answer written and read back', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 8 }), (base, muts) => {
        const r = parseFaxSdp(mutate(base, muts));
        if ('error' in r) return;
        assert.ok(r.problems.length <= 32);
        const a = answerFaxOffer(r, CAPS, LOCAL);
        if (!a.ok) return;
        answered++;
        const back = parseFaxSdp(formatFaxSdp(a.answer));
        if ('error' in back) assert.fail(back.error);
        assert.equal(back.order.length + (back.other?.length ?? 0), r.order.length + (r.other?.length ?? 0));
        assert.equal(acceptFaxAnswer(r, back).ok, true);
      }),
      { numRuns: 1500 },
    );
    assert.ok(answered > 300, `only ${answered} mutated offers were answerable`);
  });

  it('property: arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.array(fc.constantFrom('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 'm=audio 1 RTP/AVP 0', 'm=image 2 udptl t38', 'c=IN IP4 5.6.7.8', 'a=ptime:x', 'a=rtpmap:0', 'a=T38FaxVersion:9', 'm=', 'a=sendrecv', '\u0000'), { maxLength: 30 }).map((ls) => ls.join('\r\n'))), (text) => {
        const r = parseFaxSdp(text);
        assert.ok('error' in r || Array.isArray(r.order));
      }),
    );
  });
});
