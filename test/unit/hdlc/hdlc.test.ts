import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BIT_REVERSE,
  CRC16_ITU_GOOD,
  CRC16_ITU_INIT,
  CRC16_ITU_TABLE,
  crc16Itu,
  crc16ItuUpdate,
  HdlcDeframer,
  HdlcFramer,
  hdlcAppendFcs,
  hdlcCheckFcs,
  hdlcFrameLineBits,
  hdlcPreambleFlags,
  reverseOctetBits,
  type HdlcBitOrder,
  type HdlcDeframerOptions,
  type HdlcFrameEnd,
  type HdlcFramerOptions,
  type HdlcSink,
} from '../../../src/hdlc/index.js';
import { END_OF_DATA, type BitSink, type BitSource } from '../../../src/modem/types.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { intBetween, xorshift32, type Random32 } from '../../../src/util/random.js';
import { hex } from '../helpers/bytes.js';

// ------------------------------------------------------------------------------------------
// Helpers

/** Everything an HdlcSink is told, with copies of the octets. */
class Collector implements HdlcSink {
  readonly frames: { bytes: Uint8Array; ok: boolean }[] = [];
  readonly ends: HdlcFrameEnd[] = [];
  /** Octets delivered progressively, one array per frameEnd. */
  readonly progressive: number[][] = [[]];
  readonly flagEvents: number[] = [];
  readonly statuses: string[] = [];
  frame(bytes: Uint8Array, fcsOk: boolean): void {
    this.frames.push({ bytes: Uint8Array.from(bytes), ok: fcsOk });
  }
  octets(buf: Uint8Array, start: number, end: number): void {
    assert.ok(end > start, 'octets() with an empty range');
    this.progressive[this.progressive.length - 1]!.push(...buf.subarray(start, end));
  }
  frameEnd(end: HdlcFrameEnd): void {
    this.ends.push(end);
    this.progressive.push([]);
  }
  flags(count: number): void {
    this.flagEvents.push(count);
  }
  status(s: string): void {
    this.statuses.push(s);
  }
  okFrames(): Uint8Array[] {
    return this.frames.filter((f) => f.ok).map((f) => f.bytes);
  }
}

/** All of a framer's bits up to END_OF_DATA. */
function drain(f: HdlcFramer, max = 5_000_000): number[] {
  const bits: number[] = [];
  for (let i = 0; i < max; i++) {
    const b = f.getBit();
    if (b < 0) return bits;
    bits.push(b);
  }
  throw new Error('framer never ended');
}

function encode(frames: readonly Uint8Array[], opts: HdlcFramerOptions & { preamble?: number } = {}): number[] {
  const f = new HdlcFramer(opts);
  if (opts.preamble !== undefined) f.preambleFlags(opts.preamble);
  for (const fr of frames) f.sendFrame(fr);
  f.finish();
  return drain(f);
}

function decode(bits: readonly number[], opts: HdlcDeframerOptions = {}): { c: Collector; d: HdlcDeframer } {
  const c = new Collector();
  const d = new HdlcDeframer(c, opts);
  for (const b of bits) d.putBit(b);
  return { c, d };
}

const FLAG_BITS = [0, 1, 1, 1, 1, 1, 1, 0];

/**
 * Reference line encoding, written independently of the framer from ISO 13239 §4.3: the octets
 * (lsb-first values, FCS included) LSB first, a 0 after every five 1s.
 */
function refStuffed(octetsWithFcs: Uint8Array): number[] {
  const out: number[] = [];
  let ones = 0;
  for (const o of octetsWithFcs) {
    for (let k = 0; k < 8; k++) {
      const b = (o >> k) & 1;
      out.push(b);
      ones = b ? ones + 1 : 0;
      if (ones === 5) {
        out.push(0);
        ones = 0;
      }
    }
  }
  return out;
}

/** A random frame rich in 0x7E, 0xFF and five-ones patterns (so that stuffing is exercised). */
const stuffyByte = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 2, arbitrary: fc.constantFrom(0x7e, 0xff, 0xfe, 0x7f, 0x3f, 0xf8, 0x1f, 0xfc, 0xbf, 0xdf) },
);
const frameArb = (maxLength = 64): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 2, maxLength }).chain((b) =>
  fc.array(stuffyByte, { minLength: b.length, maxLength: b.length }).map((a) => Uint8Array.from(a)),
);

function randomFrame(r: Random32, minLen: number, maxLen: number): Uint8Array {
  const n = intBetween(r, minLen, maxLen);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() % 3 === 0 ? (r() % 2 === 0 ? 0xff : 0x7e) : r() & 0xff;
  return b;
}

/** V.21 frames as the corpus decoded them from real fax audio (asterisk-testsuite SOURCES.md): octets then the FCS as transmitted. */
const CORPUS_FRAMES: readonly { name: string; withFcs: Uint8Array }[] = [
  { name: 'DIS (CUSTOMER_G711U.pcap)', withFcs: hex('ff 13 80 00 ce 88 80 80 11 32 39') },
  { name: 'DCS (CARRIER_G711U.pcap)', withFcs: hex('ff 13 83 00 86 88 80 80 00 56 0b') },
  { name: 'CSI (CUSTOMER_G711U.pcap)', withFcs: hex('ff 03 40 2b 31 35 37 30 30 38 38 34 34 35 35 35 32 32 31 38 30 2b 2b f6 fd') },
  {
    name: 'NSF (CUSTOMER_G711U.pcap)',
    withFcs: hex('ff 03 20 00 00 0e 00 00 00 96 0f 01 03 00 10 05 02 95 c8 08 01 49 02 62 61 62 79 54 45 4c 20 49 6e 63 2e 5c 20 20 20 03 db fe'),
  },
  { name: 'TSI (CARRIER_G711U.pcap)', withFcs: hex(`ff 03 43 ${'20 '.repeat(20)} 91 96`) },
];

// ------------------------------------------------------------------------------------------

describe('CRC-16-CCITT (T.30 §5.3.7, ISO 13239)', () => {
  it('has the CRC-16/X-25 check value 0x906E for "123456789" and leaves 0xF0B8 after the FCS', () => {
    const s = Uint8Array.from(Buffer.from('123456789', 'ascii'));
    assert.equal(crc16Itu(s), 0x906e);
    assert.equal(crc16ItuUpdate(CRC16_ITU_INIT, hdlcAppendFcs(s)), CRC16_ITU_GOOD);
    assert.deepEqual([...hdlcAppendFcs(s).subarray(9)], [0x6e, 0x90], 'FCS low octet first');
    // The empty message: the complement of the initial register.
    assert.equal(crc16Itu(new Uint8Array(0)), 0x0000);
    // The reflected polynomial 0x8408 is the table entry for octet 0x80.
    assert.equal(CRC16_ITU_TABLE[0x80], 0x8408);
    assert.equal(CRC16_ITU_TABLE[1], 0x1189);
  });

  it('matches a bit-serial computation and can be run piecewise and on a range', () => {
    const bitSerial = (d: Uint8Array): number => {
      let c = 0xffff;
      for (const o of d) {
        for (let k = 0; k < 8; k++) {
          const fb = (c ^ (o >> k)) & 1;
          c >>>= 1;
          if (fb) c ^= 0x8408;
        }
      }
      return ~c & 0xffff;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (d, cut) => {
        const k = cut % (d.length + 1);
        assert.equal(crc16Itu(d), bitSerial(d));
        assert.equal(~crc16ItuUpdate(crc16ItuUpdate(CRC16_ITU_INIT, d, 0, k), d, k) & 0xffff, crc16Itu(d));
        const framed = Uint8Array.of(9, 9, ...hdlcAppendFcs(d), 9);
        assert.ok(hdlcCheckFcs(framed, 2, framed.length - 1));
      }),
      { numRuns: 300 },
    );
  });

  it('checks the FCS of real T.30 frames from the corpus captures (DIS, DCS, CSI, NSF, TSI)', () => {
    for (const { name, withFcs } of CORPUS_FRAMES) {
      const n = withFcs.length - 2;
      const fcs = crc16Itu(withFcs, 0, n);
      assert.deepEqual([fcs & 0xff, fcs >>> 8], [withFcs[n], withFcs[n + 1]], name);
      assert.ok(hdlcCheckFcs(withFcs), name);
    }
    // The DIS FCS: 0x3932, sent 0x32 then 0x39.
    assert.equal(crc16Itu(CORPUS_FRAMES[0]!.withFcs, 0, 9), 0x3932);
  });

  it('detects every single-bit and double-bit error of a frame with its FCS, and every burst up to 16 bits', () => {
    const good = hdlcAppendFcs(hex('ff 13 80 00 ce 88 80 80 11'));
    const nbits = good.length * 8;
    const flip = (b: Uint8Array, i: number): void => {
      b[i >> 3]! ^= 1 << (i & 7);
    };
    let cases = 0;
    for (let i = 0; i < nbits; i++) {
      const b = Uint8Array.from(good);
      flip(b, i);
      assert.ok(!hdlcCheckFcs(b), `bit ${i}`);
      for (let j = i + 1; j < nbits; j++) {
        const c = Uint8Array.from(b);
        flip(c, j);
        assert.ok(!hdlcCheckFcs(c), `bits ${i},${j}`);
        cases++;
      }
      for (let len = 3; len <= 16 && i + len <= nbits; len++) {
        // A burst: first and last bit flipped, the ones between by a pattern.
        const c = Uint8Array.from(good);
        for (let k = 0; k < len; k++) if (k === 0 || k === len - 1 || ((i * 7 + k) & 1) === 1) flip(c, i + k);
        assert.ok(!hdlcCheckFcs(c), `burst ${i}+${len}`);
      }
    }
    assert.equal(cases, (nbits * (nbits - 1)) / 2);
  });
});

describe('HdlcFramer', () => {
  it("plugs into the modem layer's BitSource / BitSink (structurally: src/hdlc may not import src/modem)", () => {
    const src: BitSource = new HdlcFramer();
    const c = new Collector();
    const sink: BitSink = new HdlcDeframer(c);
    (src as HdlcFramer).sendFrame(hex('ff 13 fb'));
    (src as HdlcFramer).finish();
    sink.status('carrier-up');
    let b: number;
    while ((b = src.getBit()) !== END_OF_DATA) sink.putBit(b);
    sink.status('carrier-down');
    assert.deepEqual(c.okFrames(), [hex('ff 13 fb')]);
    assert.deepEqual(c.statuses, ['carrier-up', 'carrier-down']);
  });

  it('puts a real DIS on the line exactly as a reference encoder does (flags, LSB first, zero insertion, FCS)', () => {
    const dis = CORPUS_FRAMES[0]!.withFcs;
    const bits = encode([dis.subarray(0, 9)], { preamble: 3, closingFlags: 2 });
    const expected = [...FLAG_BITS, ...FLAG_BITS, ...FLAG_BITS, ...refStuffed(dis), ...FLAG_BITS, ...FLAG_BITS];
    assert.deepEqual(bits, expected);
    // ff = 11111 then a stuffed 0 then 111, then 0x13 LSB first = 1 1 (five 1s again: stuffed 0) 0 0 1 0 0 0, then 0x80 begins 0.
    assert.deepEqual(bits.slice(24, 24 + 19), [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it("with bitOrder 'msb-first' takes T.30/T.38-order octets (ff c8 01 …) to the same line bits", () => {
    for (const { name, withFcs } of CORPUS_FRAMES) {
      const lsb = withFcs.subarray(0, withFcs.length - 2);
      const msb = reverseOctetBits(lsb);
      assert.deepEqual(encode([msb], { bitOrder: 'msb-first' }), encode([lsb]), name);
    }
    assert.deepEqual([...reverseOctetBits(hex('ff 13 80'))], [0xff, 0xc8, 0x01]);
    assert.equal(BIT_REVERSE[0x01], 0x80);
  });

  it('matches the reference encoder for random stuffing-rich frames, with any flag counts', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb(), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (frames, preamble, between, closing) => {
          const bits = encode(frames, { preamble, interFrameFlags: between, closingFlags: closing });
          const expected: number[] = [];
          for (let i = 0; i < Math.max(1, preamble); i++) expected.push(...FLAG_BITS);
          frames.forEach((fr, i) => {
            if (i > 0) for (let k = 0; k < between; k++) expected.push(...FLAG_BITS);
            expected.push(...refStuffed(hdlcAppendFcs(fr)));
          });
          for (let k = 0; k < closing; k++) expected.push(...FLAG_BITS);
          assert.deepEqual(bits, expected);
          // Bit accounting agrees with what went on the line.
          const flags = Math.max(1, preamble) + between * (frames.length - 1) + closing;
          const frameBits = frames.reduce((s, fr) => s + hdlcFrameLineBits(fr), 0);
          assert.equal(bits.length, flags * 8 + frameBits);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('inserts a zero after five 1s at the frame boundaries: first octet, last octet, and the FCS before the closing flag', () => {
    // A frame whose last octet ends in five 1s (0xF8 LSB first = 0 0 0 1 1 1 1 1) and whose first begins with them.
    const f1 = Uint8Array.of(0x1f, 0x03, 0xf8);
    const bits1 = encode([f1], { closingFlags: 1 });
    assert.deepEqual(bits1.slice(8, 14), [1, 1, 1, 1, 1, 0], 'stuffed 0 right after the opening flag');
    assert.deepEqual(bits1.slice(8 + 9 + 8 + 3, 8 + 9 + 8 + 3 + 6), [1, 1, 1, 1, 1, 0], 'stuffed 0 after the last octet, before the FCS');
    // Find a frame whose FCS ends (last bits sent) in five 1s: the high FCS octet ≥ 0xF8.
    let found: Uint8Array | undefined;
    for (let x = 0; x < 65536 && found === undefined; x++) {
      const f = Uint8Array.of(0xff, 0x13, x & 0xff, x >>> 8);
      if (crc16Itu(f) >>> 8 >= 0xf8) found = f;
    }
    assert.ok(found);
    const bits2 = encode([found], { closingFlags: 1 });
    assert.deepEqual(bits2.slice(-14), [1, 1, 1, 1, 1, 0, ...FLAG_BITS], 'stuffed 0 between the FCS and the closing flag');
    const { c } = decode(bits2);
    assert.deepEqual(c.okFrames(), [found]);
    const { c: c1 } = decode(bits1);
    assert.deepEqual(c1.okFrames(), [f1]);
  });

  it('sends the preamble, idles on flags until finish(), then the closing flags and END_OF_DATA forever', () => {
    const f = new HdlcFramer({ closingFlags: 3 });
    assert.equal(hdlcPreambleFlags(300, 1000), 38); // T.30 §5.3.1: 1 s of flags at 300 bit/s
    assert.equal(hdlcPreambleFlags(14400, 200), 360);
    assert.equal(hdlcPreambleFlags(2400, 200), 60);
    f.preambleFlags(37);
    f.sendFrame(hex('ff 13 80 00'));
    const frameBits = hdlcFrameLineBits(hex('ff 13 80 00'));
    const bits: number[] = [];
    for (let i = 0; i < 37 * 8 + frameBits + 8 * 20; i++) bits.push(f.getBit());
    assert.ok(!bits.includes(-1), 'no END before finish()');
    assert.ok(f.idle);
    // After the frame, only flags while idle.
    const tail = bits.slice(37 * 8 + frameBits);
    for (let i = 0; i + 8 <= tail.length; i += 8) assert.deepEqual(tail.slice(i, i + 8), FLAG_BITS);
    f.finish();
    // Idle flags already count as closing flags: the end comes at the next octet boundary.
    assert.equal(f.getBit(), -1);
    assert.equal(f.getBit(), -1);
    assert.ok(f.done);
    const s = f.getStats();
    assert.equal(s.framesSent, 1);
    assert.equal(s.flagsSent, 37 + 20);
    assert.throws(() => f.sendFrame(hex('ff 13')), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
    f.reset();
    f.sendFrame(hex('ff 13 fb'));
    f.finish();
    const { c } = decode(drain(f));
    assert.deepEqual(c.okFrames(), [hex('ff 13 fb')]);
  });

  it('refuses empty or overlong whole frames and bad options (API misuse throws)', () => {
    const f = new HdlcFramer({ maxFrameLength: 8 });
    const bad = (e: unknown): boolean => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_ARGUMENT';
    assert.throws(() => f.sendFrame(new Uint8Array(0)), bad);
    assert.throws(() => f.sendFrame(new Uint8Array(9)), bad);
    f.sendFrame(new Uint8Array(8));
    assert.throws(() => new HdlcFramer({ interFrameFlags: 0 }), bad);
    assert.throws(() => new HdlcFramer({ bitOrder: 'middle-first' as HdlcBitOrder }), bad);
    assert.throws(() => new HdlcDeframer({}, { maxFrameLength: 0 }), bad);
    assert.throws(() => f.pushBytes(new Uint8Array(1)), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
    assert.throws(() => f.endFrame(), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
    f.startFrame();
    assert.throws(() => f.startFrame(), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
  });

  it('streams a frame progressively to the same line bits as a whole frame, waiting on flags for the first octet', () => {
    const frame = hex('ff 03 06 00 7e 7e ff ff 12 34 56');
    const whole = encode([frame], { preamble: 2 });
    const f = new HdlcFramer();
    f.preambleFlags(2);
    f.startFrame();
    const bits: number[] = [];
    // Nothing yet: flags beyond the preamble while waiting.
    for (let i = 0; i < 40; i++) bits.push(f.getBit());
    assert.deepEqual(bits, [...FLAG_BITS, ...FLAG_BITS, ...FLAG_BITS, ...FLAG_BITS, ...FLAG_BITS]);
    bits.length = 0;
    f.pushBytes(frame, 0, 3);
    assert.equal(f.bufferedOctets, 3);
    for (let i = 0; i < 8; i++) bits.push(f.getBit()); // the first octet is on the line
    assert.equal(f.bufferedOctets, 2);
    f.pushBytes(frame, 3, 7);
    for (let i = 0; i < 20; i++) bits.push(f.getBit());
    f.pushBytes(frame.subarray(7));
    f.endFrame();
    f.finish();
    bits.push(...drain(f));
    // The same as the whole frame sent after 5 flags.
    assert.deepEqual(bits, whole.slice(16));
    assert.equal(f.getStats().underruns, 0);
  });

  it('aborts a streamed frame on underrun, counts it, drops the rest of it and goes on with the next frame', () => {
    const f = new HdlcFramer();
    f.startFrame();
    f.pushBytes(hex('ff 03 06'));
    const bits: number[] = [];
    for (let i = 0; i < 8 + 3 * 8 + 2 + 16; i++) bits.push(f.getBit());
    assert.equal(f.getStats().underruns, 1);
    assert.equal(f.getStats().abortsSent, 1);
    f.pushBytes(hex('01 02 03')); // too late: ignored
    f.endFrame();
    f.sendFrame(hex('ff 13 fb'));
    f.finish();
    bits.push(...drain(f));
    const { c } = decode(bits);
    assert.deepEqual(c.ends, ['aborted', 'ok']);
    assert.deepEqual(c.okFrames(), [hex('ff 13 fb')]);
    assert.equal(f.getStats().framesSent, 1);
  });

  it('drops a streamed frame that grows past maxFrameLength (network data: counted, never thrown)', () => {
    const f = new HdlcFramer({ maxFrameLength: 6 });
    f.startFrame();
    f.pushBytes(hex('ff 03 06 00'));
    const bits: number[] = [];
    for (let i = 0; i < 20; i++) bits.push(f.getBit()); // the frame is on the line
    f.pushBytes(hex('01 02 03')); // 7 > 6
    f.pushBytes(hex('04'));
    f.endFrame();
    f.sendFrame(hex('ff 13 fb'));
    f.finish();
    bits.push(...drain(f));
    assert.equal(f.getStats().tooLong, 1);
    assert.equal(f.getStats().underruns, 0);
    const { c } = decode(bits);
    assert.deepEqual(c.ends, ['aborted', 'ok']);
    // Not yet begun on the line: dropped silently.
    const g = new HdlcFramer({ maxFrameLength: 6 });
    g.startFrame();
    g.pushBytes(new Uint8Array(7));
    g.endFrame();
    g.sendFrame(hex('ff 13 fb'));
    g.finish();
    const { c: c2 } = decode(drain(g));
    assert.deepEqual(c2.ends, ['ok']);
  });

  it('endFrame(false) sends a frame the far end sees with a bad FCS (a relayed hdlc-fcs-BAD)', () => {
    const f = new HdlcFramer();
    f.startFrame();
    f.pushBytes(hex('ff 13 80 00 ce'));
    f.endFrame(false);
    f.sendFrame(hex('ff 13 fb'), false);
    f.sendFrame(hex('ff 13 fb'));
    f.finish();
    const { c } = decode(drain(f));
    assert.deepEqual(c.ends, ['bad-fcs', 'bad-fcs', 'ok']);
    assert.deepEqual(c.frames[0], { bytes: hex('ff 13 80 00 ce'), ok: false });
    assert.equal(f.getStats().badFcsSent, 2);
    assert.equal(f.getStats().framesSent, 3);
  });
});

describe('HdlcDeframer', () => {
  it('round-trips random stuffing-rich frames in both bit orders, with any flag counts', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb(80), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<HdlcBitOrder>('lsb-first', 'msb-first'),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        (frames, bitOrder, preamble, between) => {
          const bits = encode(frames, { bitOrder, preamble, interFrameFlags: between });
          const { c, d } = decode(bits, { bitOrder, maxFrameLength: 80 });
          assert.deepEqual(c.okFrames(), frames);
          assert.deepEqual(c.ends, frames.map(() => 'ok'));
          const s = d.getStats();
          assert.equal(s.framesOk, frames.length);
          assert.equal(s.badFcs + s.runts + s.misaligned + s.tooLong + s.aborts, 0);
          assert.equal(s.flags, Math.max(1, preamble) + between * (frames.length - 1) + 2);
          assert.equal(s.octetsOk, frames.reduce((n, f) => n + f.length, 0));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decodes the real DIS line bits, preceded by line noise, in either octet order', () => {
    const dis = CORPUS_FRAMES[0]!.withFcs;
    const r = xorshift32(7);
    const noise = Array.from({ length: 500 }, () => r() & 1);
    const line = [...noise, ...FLAG_BITS, ...FLAG_BITS, ...refStuffed(dis), ...FLAG_BITS];
    const { c } = decode(line);
    assert.deepEqual(c.okFrames(), [dis.subarray(0, 9)]);
    const { c: m } = decode(line, { bitOrder: 'msb-first' });
    assert.deepEqual(m.okFrames(), [hex('ff c8 01 00 73 11 01 01 88')]);
  });

  it('delivers progressively exactly what it delivers whole, for any chunk size, never the FCS', () => {
    const r = xorshift32(11);
    for (let trial = 0; trial < 60; trial++) {
      const frames = Array.from({ length: 1 + (r() % 5) }, () => randomFrame(r, 2, 260));
      const chunk = 1 + (r() % 40);
      const { c } = decode(encode(frames, { preamble: 1 }), { octetChunk: chunk });
      assert.deepEqual(c.okFrames(), frames);
      assert.equal(c.ends.length, frames.length);
      frames.forEach((f, i) => assert.deepEqual(c.progressive[i], [...f], `trial ${trial} frame ${i} chunk ${chunk}`));
    }
  });

  it('progressive delivery lags two octets and comes in chunks of octetChunk while the frame arrives', () => {
    const frame = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    const bits = encode([frame], { preamble: 1 });
    const calls: [number, number][] = [];
    const d = new HdlcDeframer(
      {
        octets: (buf, start, end) => {
          calls.push([start, end]);
          assert.equal(buf[start], start + 1);
        },
      },
      { octetChunk: 16 },
    );
    for (const b of bits) d.putBit(b);
    assert.deepEqual(calls, [
      [0, 16],
      [16, 32],
      [32, 40],
    ]);
    // The first 16 arrive once octet 18 (two beyond) is complete, before the end of the frame.
    const d2Calls: number[] = [];
    let bitNo = 0;
    const d2 = new HdlcDeframer({ octets: () => d2Calls.push(bitNo) }, { octetChunk: 16 });
    for (const b of bits) {
      d2.putBit(b);
      bitNo++;
    }
    assert.ok((d2Calls[0] ?? Infinity) < bits.length - 3 * 8);
  });

  it('accepts one flag shared between frames, and flags that share their zero (011111101111110)', () => {
    const a = hdlcAppendFcs(hex('ff 03 20 11'));
    const b = hdlcAppendFcs(hex('ff 13 80 22'));
    const oneFlag = [...FLAG_BITS, ...refStuffed(a), ...FLAG_BITS, ...refStuffed(b), ...FLAG_BITS];
    assert.deepEqual(decode(oneFlag).c.okFrames(), [hex('ff 03 20 11'), hex('ff 13 80 22')]);
    const sharedZero = [...FLAG_BITS, ...FLAG_BITS.slice(0, 7), ...FLAG_BITS, ...refStuffed(a), ...FLAG_BITS.slice(0, 7), ...FLAG_BITS, ...refStuffed(b), ...FLAG_BITS];
    const { c, d } = decode(sharedZero);
    assert.deepEqual(c.okFrames(), [hex('ff 03 20 11'), hex('ff 13 80 22')]);
    assert.equal(d.getStats().flags, 6); // flag, two sharing a zero, frame, two sharing a zero, frame, flag
    assert.equal(d.getStats().misaligned, 0);
  });

  it('never accepts a frame with a single line bit flipped anywhere between its flags', () => {
    const r = xorshift32(3);
    const outcomes = new Map<string, number>();
    for (let trial = 0; trial < 12; trial++) {
      const frame = randomFrame(r, 3, 40);
      const body = refStuffed(hdlcAppendFcs(frame));
      for (let i = 0; i < body.length; i++) {
        const bits = [...FLAG_BITS, ...FLAG_BITS, ...body, ...FLAG_BITS, ...FLAG_BITS];
        bits[16 + i] = 1 - (bits[16 + i] as number);
        const { c, d } = decode(bits);
        assert.equal(c.okFrames().length, 0, `trial ${trial} bit ${i}`);
        // Every frame the receiver saw ended one way, and the stats agree with the ends.
        const s = d.getStats();
        assert.equal(c.ends.length, s.framesOk + s.badFcs + s.runts + s.misaligned + s.tooLong + s.aborts);
        for (const e of c.ends) outcomes.set(e, (outcomes.get(e) ?? 0) + 1);
      }
    }
    // Most single errors are FCS errors; some break the stuffing (misaligned), make flags or aborts.
    assert.ok((outcomes.get('bad-fcs') ?? 0) > (outcomes.get('misaligned') ?? 0), JSON.stringify([...outcomes]));
    assert.ok((outcomes.get('misaligned') ?? 0) > 0);
    assert.equal(outcomes.get('ok'), undefined);
  });

  it('ends a frame cut by seven 1s as aborted, delivers nothing for it, and resynchronises on the next flag', () => {
    const good = hdlcAppendFcs(hex('ff 13 fb'));
    const partial = refStuffed(hdlcAppendFcs(hex('ff 13 80 00 ce 88'))).slice(0, 30);
    const bits = [...FLAG_BITS, ...partial, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ...FLAG_BITS, ...refStuffed(good), ...FLAG_BITS];
    const { c, d } = decode(bits);
    assert.deepEqual(c.ends, ['aborted', 'ok']);
    assert.deepEqual(c.okFrames(), [hex('ff 13 fb')]);
    assert.equal(c.frames.length, 1);
    assert.equal(d.getStats().aborts, 1);
    // Six 1s and a 0 are a flag, not an abort; a line idling on 1s after the flags is no aborted frame.
    const idle = [...FLAG_BITS, ...refStuffed(good), ...FLAG_BITS, ...FLAG_BITS, ...Array<number>(100).fill(1)];
    const r2 = decode(idle);
    assert.deepEqual(r2.c.ends, ['ok']);
    assert.equal(r2.d.getStats().aborts, 0);
    assert.ok(!r2.d.inSync);
  });

  it('drops frames longer than maxFrameLength (counted) and takes exactly maxFrameLength', () => {
    const max = 12;
    const frames = [new Uint8Array(max + 1).fill(0x55), new Uint8Array(max).fill(0x7e), new Uint8Array(max + 30).fill(0xff), hex('ff 13 fb')];
    const bits = encode(frames, { maxFrameLength: 64 });
    const { c, d } = decode(bits, { maxFrameLength: max });
    assert.deepEqual(c.ends, ['too-long', 'ok', 'too-long', 'ok']);
    assert.deepEqual(c.okFrames(), [frames[1], frames[3]]);
    assert.equal(d.getStats().tooLong, 2);
    // The default limit takes a T.30 ECM frame: A, C, FCD, frame number and 256 octets.
    const ecm = Uint8Array.from({ length: 260 }, (_, i) => (i * 37) & 0xff);
    assert.deepEqual(decode(encode([ecm])).c.okFrames(), [ecm]);
    const tooBig = Uint8Array.from({ length: 261 }, (_, i) => i & 0xff);
    assert.deepEqual(decode(encode([tooBig], { maxFrameLength: 300 })).c.ends, ['too-long']);
  });

  it('counts runts (fewer than 2 octets + FCS) and frames that are not whole octets, delivering neither whole', () => {
    const runt = refStuffed(hdlcAppendFcs(hex('ff')));
    const misaligned = [...refStuffed(hdlcAppendFcs(hex('ff 13 fb'))), 0, 0, 1];
    const good = refStuffed(hdlcAppendFcs(hex('ff 13 fb')));
    const bits = [...FLAG_BITS, ...runt, ...FLAG_BITS, ...misaligned, ...FLAG_BITS, ...good, ...FLAG_BITS];
    const { c, d } = decode(bits);
    assert.deepEqual(c.ends, ['runt', 'misaligned', 'ok']);
    assert.equal(c.frames.length, 1);
    const s = d.getStats();
    assert.equal(s.runts, 1);
    assert.equal(s.misaligned, 1);
    // minFrameLength is configurable (T.30 frames have at least A, C and FCF).
    assert.deepEqual(decode(bits, { minFrameLength: 4 }).c.ends, ['runt', 'misaligned', 'runt']);
    // The framer can send a 1-octet frame; the deframer calls it a runt.
    assert.deepEqual(decode(encode([hex('ff')])).c.ends, ['runt']);
  });

  it('reports a preamble after flagThreshold consecutive flags, once per run', () => {
    const frame = hex('ff 13 fb');
    const bits = encode([frame, frame], { preamble: 10, interFrameFlags: 6, closingFlags: 1 });
    const { c } = decode(bits, { flagThreshold: 5 });
    // 10 preamble flags: one report; 6 between frames (the first closes frame 1): one more.
    assert.deepEqual(c.flagEvents, [5, 5]);
    assert.deepEqual(decode(encode([frame], { preamble: 4, closingFlags: 1 }), { flagThreshold: 5 }).c.flagEvents, []);
    // A bit error inside the preamble restarts the count.
    const pre = encode([frame], { preamble: 8 });
    pre[4 * 8 + 3] = 1 - (pre[4 * 8 + 3] as number);
    assert.deepEqual(decode(pre, { flagThreshold: 5 }).c.flagEvents, []);
    assert.deepEqual(decode(pre, { flagThreshold: 3 }).c.flagEvents, [3, 3]);
  });

  it("ends a frame in progress as aborted at 'carrier-down' and passes the modem's status on", () => {
    const c = new Collector();
    const d = new HdlcDeframer(c);
    d.status('carrier-up');
    for (const b of [...FLAG_BITS, ...refStuffed(hdlcAppendFcs(hex('ff 13 80 00 ce'))).slice(0, 40)]) d.putBit(b);
    d.status('carrier-down');
    assert.deepEqual(c.ends, ['aborted']);
    assert.deepEqual(c.statuses, ['carrier-up', 'carrier-down']);
    assert.ok(!d.inSync);
    // Then a new burst decodes normally.
    for (const b of encode([hex('ff 13 fb')])) d.putBit(b);
    assert.deepEqual(c.okFrames(), [hex('ff 13 fb')]);
  });

  it('survives random bit streams: never throws, every frame ends once, the counts add up', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 17 }), (bytes, max, chunk) => {
        const c = new Collector();
        const d = new HdlcDeframer(c, { maxFrameLength: max, octetChunk: Math.min(chunk, max), flagThreshold: 2 });
        // Bytes as bits, biased towards 1s sometimes so that flags, stuffing and aborts happen.
        for (const o of bytes) for (let k = 0; k < 8; k++) d.putBit(o & 0x80 ? 1 : (o >> k) & 1);
        const s = d.getStats();
        assert.equal(c.ends.length, s.framesOk + s.badFcs + s.runts + s.misaligned + s.tooLong + s.aborts);
        assert.equal(c.frames.length, s.framesOk + s.badFcs);
        assert.equal(s.bits, bytes.length * 8);
        assert.equal(c.flagEvents.length, s.preambles);
        for (const f of c.frames) assert.ok(f.bytes.length >= 2 && f.bytes.length <= max);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a long random burst at line speed without allocating per bit (smoke: 1 Mbit)', () => {
    const r = xorshift32(5);
    const framer = new HdlcFramer({ bitOrder: 'msb-first' });
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 450; i++) {
      const fr = randomFrame(r, 4, 260);
      frames.push(fr);
      framer.sendFrame(fr);
    }
    framer.finish();
    let ok = 0;
    let n = 0;
    const d = new HdlcDeframer({ frame: (b, good) => void (good && b.length === frames[n++]?.length && ok++) }, { bitOrder: 'msb-first' });
    for (let b = framer.getBit(); b >= 0; b = framer.getBit()) d.putBit(b);
    assert.equal(ok, frames.length);
    assert.equal(d.getStats().framesOk, frames.length);
    assert.equal(framer.getStats().bitsSent, d.getStats().bits);
  });
});
