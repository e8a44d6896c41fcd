import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRtp } from '../../../src/rtp/packet.js';
import { RtpT38Sender } from '../../../src/t38/rtp-transport.js';
import { xorshift32 } from '../../../src/util/random.js';

/** SSRC, sequence number and timestamp of the first datagram a sender makes. */
function firstHeader(s: RtpT38Sender): [number, number, number] {
  const r = decodeRtp(s.send(Uint8Array.of(0x00), 0));
  assert.ok(r.ok);
  return [r.value.ssrc, r.value.sequenceNumber, r.value.timestamp];
}

describe('RtpT38Sender: injected randomness (RFC 3550 §5.1)', () => {
  it('draws SSRC, first sequence number and first timestamp from the given Random32, in that order', () => {
    const draws = xorshift32(2024);
    const want: [number, number, number] = [draws() >>> 0, draws() & 0xffff, draws() >>> 0];
    const s = new RtpT38Sender({ payloadType: 96, redundancy: 0, random: xorshift32(2024) });
    assert.equal(s.ssrc, want[0]);
    assert.equal(s.nextSeq, want[1]);
    assert.deepEqual(firstHeader(s), want);
  });

  it('one seed, one stream; another seed, another stream', () => {
    const make = (seed: number): RtpT38Sender => new RtpT38Sender({ payloadType: 96, redPayloadType: 97, redundancy: 2, random: xorshift32(seed) });
    assert.deepEqual(firstHeader(make(5)), firstHeader(make(5)));
    assert.notDeepEqual(firstHeader(make(5)), firstHeader(make(6)));
  });

  it('draws only what is not given', () => {
    const draws = xorshift32(9);
    const s = new RtpT38Sender({ payloadType: 96, redundancy: 0, ssrc: 0x1234, firstTimestamp: 77, random: xorshift32(9) });
    assert.deepEqual(firstHeader(s), [0x1234, draws() & 0xffff, 77]);
  });

  it('defaults to the system generator', () => {
    const seen = new Set<number>();
    for (let k = 0; k < 8; k++) seen.add(new RtpT38Sender({ payloadType: 96, redundancy: 0 }).ssrc);
    assert.ok(seen.size > 1);
  });
});
