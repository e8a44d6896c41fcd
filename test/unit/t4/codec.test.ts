/**
 * Round trips of the T.4/T.6 codec over every coding, bit order and fill option, on generated
 * pages; the stream structure the options promise (EOL spacing, octet alignment, tag bits, RTC,
 * EOFB) checked on the bits; streaming in arbitrary chunks; fast-check properties.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { t4EncodeOptionsArb } from '../helpers/t4-arbitraries.js';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import {
  decodeT4,
  encodeT4,
  T4Decoder,
  T4Encoder,
  type BitOrder,
  type T4Coding,
  type T4DecodeOptions,
  type T4EncodeOptions,
} from '../../../src/t4/index.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { unitInterval, xorshift32 } from '../../../src/util/random.js';

// ---------------------------------------------------------------------------------------------
// Generated pages
// ---------------------------------------------------------------------------------------------

function blank(width: number, height: number): { width: number; height: number; stride: number; data: Uint8Array } {
  const stride = (width + 7) >>> 3;
  return { width, height, stride, data: new Uint8Array(stride * height) };
}

function fromPels(width: number, height: number, black: (x: number, y: number) => boolean): Bitmap {
  const b = blank(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (black(x, y)) b.data[y * b.stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
  return b;
}

/** Uniform [0, 1) draws from xorshift32, reproducible from `seed`. */
function prng(seed: number): () => number {
  const r = xorshift32(seed | 1);
  return () => unitInterval(r);
}

/** Text-like: runs of random lengths, rows often repeating the one above (as scans do). */
function textLike(width: number, height: number, seed: number): Bitmap {
  const r = prng(seed);
  const b = blank(width, height);
  for (let y = 0; y < height; y++) {
    if (y > 0 && r() < 0.4) {
      b.data.copyWithin(y * b.stride, (y - 1) * b.stride, y * b.stride);
      continue;
    }
    let x = 0;
    let black = false;
    while (x < width) {
      const run = black ? 1 + Math.floor(r() * 12) : Math.floor(r() * (r() < 0.1 ? 3000 : 60));
      if (black) for (let i = x; i < Math.min(width, x + run); i++) b.data[y * b.stride + (i >>> 3)]! |= 0x80 >>> (i & 7);
      x += run;
      black = !black;
    }
  }
  return b;
}

const PAGES: Record<string, (w: number, h: number) => Bitmap> = {
  random: (w, h) => {
    const r = prng(w * 7919 + h);
    return fromPels(w, h, () => r() < 0.5);
  },
  'all white': (w, h) => blank(w, h),
  'all black': (w, h) => fromPels(w, h, () => true),
  'vertical stripes': (w, h) => fromPels(w, h, (x) => x % 7 < 3),
  checkerboard: (w, h) => fromPels(w, h, (x, y) => ((x ^ y) & 1) === 1),
  'text-like': (w, h) => textLike(w, h, w + h),
};

const CODINGS: { name: string; opts: T4EncodeOptions }[] = [
  { name: 'MH', opts: { coding: 'mh' } },
  { name: 'MR k=2', opts: { coding: 'mr', k: 2 } },
  { name: 'MR k=4', opts: { coding: 'mr', k: 4 } },
  { name: 'MMR', opts: { coding: 'mmr' } },
];

const VARIANTS: { name: string; opts: Partial<T4EncodeOptions> }[] = [
  { name: 'defaults', opts: {} },
  { name: 'lsb-first', opts: { bitOrder: 'lsb-first' } },
  { name: 'octet-aligned EOLs', opts: { alignEol: true } },
  { name: 'min row 96 bits + aligned EOLs, lsb-first', opts: { minRowBits: 96, alignEol: true, bitOrder: 'lsb-first' } },
  { name: 'min row 1000 bits', opts: { minRowBits: 1000 } },
  { name: 'no leading EOL, no RTC', opts: { leadingEol: false, rtc: false } },
];

function decodeOpts(e: T4EncodeOptions, width: number): T4DecodeOptions {
  return {
    coding: e.coding,
    width,
    ...(e.bitOrder !== undefined ? { bitOrder: e.bitOrder } : {}),
    ...(e.tiff === true ? { tiff: true } : {}),
  };
}

/** The rows of a bitmap with the padding bits after the last pel cleared (what a decoder yields). */
function canonical(b: Bitmap): Uint8Array {
  const out = new Uint8Array(b.height * b.stride);
  const mask = (0xff00 >>> (((b.width - 1) & 7) + 1)) & 0xff;
  for (let y = 0; y < b.height; y++) {
    out.set(b.data.subarray(y * b.stride, (y + 1) * b.stride), y * b.stride);
    out[(y + 1) * b.stride - 1]! &= mask;
  }
  return out;
}

function assertRoundTrip(b: Bitmap, opts: T4EncodeOptions, what: string): Uint8Array {
  const coded = encodeT4(b, opts);
  const r = decodeT4(coded, decodeOpts(opts, b.width));
  assert.equal(r.badRows, 0, `${what}: bad rows ${JSON.stringify(r.firstError)}`);
  assert.equal(r.rows, b.height, `${what}: rows`);
  const rtc = opts.rtc ?? true;
  if (opts.tiff !== true) assert.equal(r.end, !rtc ? 'cut-short' : opts.coding === 'mmr' ? 'eofb' : 'rtc', `${what}: end`);
  assert.ok(Buffer.from(r.bitmap.data).equals(Buffer.from(canonical(b))), `${what}: pels`);
  return coded;
}

// ---------------------------------------------------------------------------------------------
// Stream structure helpers: the bits, MSB-first
// ---------------------------------------------------------------------------------------------

function bitsOf(bytes: Uint8Array, order: BitOrder = 'msb-first'): string {
  let s = '';
  for (const x of bytes) {
    const t = x.toString(2).padStart(8, '0');
    s += order === 'msb-first' ? t : [...t].reverse().join('');
  }
  return s;
}

/** Bit positions just after each EOL (11+ zeros then a 1) of an MH/MR stream. */
function eolEnds(bits: string): number[] {
  const ends: number[] = [];
  let zeros = 0;
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] === '0') zeros++;
    else {
      if (zeros >= 11) ends.push(i + 1);
      zeros = 0;
    }
  }
  return ends;
}

// ---------------------------------------------------------------------------------------------

void describe('T.4/T.6 round trips on generated pages', () => {
  for (const c of CODINGS) {
    for (const v of VARIANTS) {
      void it(`${c.name}, ${v.name}`, () => {
        const opts: T4EncodeOptions = { ...c.opts, ...v.opts };
        for (const [pname, make] of Object.entries(PAGES)) {
          for (const w of [1728, 2048, 2432]) assertRoundTrip(make(w, 24), opts, `${pname} ${w}`);
          for (let w = 1; w <= 17; w++) assertRoundTrip(make(w, 9), opts, `${pname} ${w}`);
        }
      });
    }
  }
  void it('TIFF Compression 2 (MH, rows octet-aligned, no EOL), both bit orders', () => {
    for (const bitOrder of ['msb-first', 'lsb-first'] as const) {
      for (const [pname, make] of Object.entries(PAGES)) {
        for (const w of [1, 5, 8, 9, 17, 1728, 2432]) assertRoundTrip(make(w, 12), { coding: 'mh', tiff: true, bitOrder }, `${pname} ${w} ${bitOrder}`);
      }
    }
  });
  void it('runs longer than 2560 (several make-up codes) and very wide lines', () => {
    for (const c of CODINGS) {
      assertRoundTrip(fromPels(9000, 3, (x, y) => y === 1 && x >= 100 && x < 8000), c.opts, `${c.name} wide`);
      assertRoundTrip(fromPels(5121, 2, (x) => x >= 5120), c.opts, `${c.name} 5120 white then 1 black`);
    }
  });
  void it('an empty page', () => {
    for (const c of CODINGS) {
      const coded = encodeT4(blank(1728, 0), c.opts);
      const r = decodeT4(coded, { coding: c.opts.coding, width: 1728 });
      assert.equal(r.rows, 0);
      assert.equal(r.end, c.opts.coding === 'mmr' ? 'eofb' : 'rtc');
    }
  });
  void it('bitmaps with a wider stride and garbage padding bits', () => {
    const b = textLike(100, 20, 3);
    const wide = { width: 100, height: 20, stride: 20, data: new Uint8Array(400).fill(0xff) };
    for (let y = 0; y < 20; y++) {
      wide.data.set(b.data.subarray(y * b.stride, (y + 1) * b.stride), y * 20);
      wide.data[y * 20 + 12]! |= 0x0f; // pels 100..103 do not exist
    }
    for (const c of CODINGS) {
      const r = decodeT4(encodeT4(wide, c.opts), { coding: c.opts.coding, width: 100 });
      assert.ok(Buffer.from(r.bitmap.data).equals(Buffer.from(canonical(b))), c.name);
    }
  });
});

void describe('T.4 stream structure', () => {
  const page = textLike(1728, 40, 11);

  it('every MH line is framed by EOLs; RTC is six EOLs', () => {
    const bits = bitsOf(encodeT4(page, { coding: 'mh' }));
    const ends = eolEnds(bits);
    assert.equal(ends.length, 1 + 40 + 5, 'leading EOL, one per line (the first of RTC ends the last line), 5 more');
    // The RTC: six EOLs back to back, then only pad bits.
    assert.match(bits.slice(ends[ends.length - 6]! - 12), /^(000000000001){6}0{0,7}$/);
  });

  it('MR: tag bit 1 before each 1-D line, every k-th line, 0 before 2-D lines; RTC of EOL+1', () => {
    for (const k of [1, 2, 4, 7]) {
      const bits = bitsOf(encodeT4(page, { coding: 'mr', k }));
      const tags = eolEnds(bits).map((e) => bits[e]);
      assert.equal(tags.length, 40 + 6);
      for (let y = 0; y < 40; y++) assert.equal(tags[y], y % k === 0 ? '1' : '0', `k=${k} line ${y}`);
      assert.deepEqual(tags.slice(40), ['1', '1', '1', '1', '1', '1']);
    }
  });

  it('minRowBits: EOLs at least that far apart (T.4 §4.1.3), and no fill when lines are longer', () => {
    for (const min of [0, 50, 200, 1000, 1729]) {
      for (const coding of ['mh', 'mr'] as const) {
        const bits = bitsOf(encodeT4(page, { coding, minRowBits: min }));
        const ends = eolEnds(bits);
        for (let i = 1; i <= 40; i++) {
          const d = ends[i]! - ends[i - 1]!;
          assert.ok(d >= min, `${coding} min ${min}: line ${i - 1} spans ${d} bits`);
          // Fill is only added when needed: a line longer than min has no fill before its EOL.
          const between = bits.slice(ends[i - 1], ends[i]! - 12);
          const fill = /0*$/.exec(between)![0].length;
          if (d > min + 11) assert.ok(fill < 12, `${coding} min ${min}: needless fill of ${fill} bits`);
        }
      }
    }
  });

  it('alignEol: every EOL ends on an octet boundary (TIFF T4Options bit 2)', () => {
    for (const coding of ['mh', 'mr'] as const) {
      for (const bitOrder of ['msb-first', 'lsb-first'] as const) {
        const bits = bitsOf(encodeT4(page, { coding, alignEol: true, bitOrder, minRowBits: 77 }), bitOrder);
        const ends = eolEnds(bits);
        assert.equal(ends.length, 1 + 40 + 5);
        for (const e of ends) assert.equal(e % 8, 0, `${coding} ${bitOrder}: EOL ending at bit ${e}`);
      }
    }
  });

  it('MMR: no EOL before EOFB; EOFB then pad bits', () => {
    const bits = bitsOf(encodeT4(page, { coding: 'mmr' }));
    const i = bits.indexOf('00000000000');
    assert.match(bits.slice(i), /^000000000001000000000001 ?0{0,7}$/);
  });

  it('lsb-first is msb-first with every octet reversed', () => {
    for (const c of CODINGS) {
      const a = encodeT4(page, c.opts);
      const b = encodeT4(page, { ...c.opts, bitOrder: 'lsb-first' });
      assert.equal(bitsOf(b, 'lsb-first'), bitsOf(a));
    }
  });
});

void describe('streaming', () => {
  const page = textLike(1728, 60, 5);

  it('T4Encoder: take() after every row, concatenated with finish(), equals encodeT4', () => {
    for (const c of CODINGS) {
      for (const v of VARIANTS) {
        const opts = { ...c.opts, ...v.opts };
        const enc = new T4Encoder(1728, opts);
        const parts: Uint8Array[] = [];
        for (let y = 0; y < page.height; y++) {
          enc.encodeRow(page.data.subarray(y * page.stride, (y + 1) * page.stride));
          parts.push(enc.take());
        }
        parts.push(enc.finish());
        assert.ok(Buffer.concat(parts).equals(Buffer.from(encodeT4(page, opts))), `${c.name} ${v.name}`);
        assert.equal(enc.getStats().rows, 60);
        assert.equal(enc.finish().length, 0, 'finish() again gives nothing more');
        assert.throws(() => enc.encodeRow(new Uint8Array(216)), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
      }
    }
  });

  it('T4Decoder: any chunking gives the one-shot result; rows come out as their EOLs arrive', () => {
    for (const c of CODINGS) {
      for (const v of VARIANTS) {
        const opts = { ...c.opts, ...v.opts };
        const coded = encodeT4(page, opts);
        const whole = decodeT4(coded, decodeOpts(opts, 1728));
        for (const chunk of [1, 3, 54, 1000]) {
          const d = new T4Decoder(decodeOpts(opts, 1728));
          let rows = 0;
          for (let o = 0; o < coded.length; o += chunk) {
            rows += d.push(coded.subarray(o, o + chunk));
            assert.equal(rows, d.rowsDecoded);
          }
          const r = d.finish();
          assert.equal(r.rows, whole.rows, `${c.name} ${v.name} chunk ${chunk}`);
          assert.equal(r.end, whole.end);
          assert.ok(Buffer.from(r.bitmap.data).equals(Buffer.from(whole.bitmap.data)), `${c.name} ${v.name} chunk ${chunk}`);
          if (opts.rtc !== false) assert.ok(d.pageEnded);
        }
      }
    }
  });

  it('T4Decoder: the caller may reuse its chunk buffer after push()', () => {
    const coded = encodeT4(page, { coding: 'mr', k: 4 });
    const d = new T4Decoder({ coding: 'mr', width: 1728 });
    const buf = new Uint8Array(37);
    for (let o = 0; o < coded.length; o += 37) {
      const n = Math.min(37, coded.length - o);
      buf.set(coded.subarray(o, o + n));
      d.push(buf.subarray(0, n));
      buf.fill(0xaa); // scribble
    }
    const r = d.finish();
    assert.equal(r.badRows, 0);
    assert.ok(Buffer.from(r.bitmap.data).equals(Buffer.from(page.data)));
    assert.equal(r.end, 'rtc');
    assert.equal(d.finish(), r, 'finish is idempotent');
    assert.throws(() => d.push(new Uint8Array(1)), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_STATE');
  });

  it('T4Decoder: getRow, getStats, octets after RTC ignored', () => {
    const coded = encodeT4(page, { coding: 'mh' });
    const d = new T4Decoder({ coding: 'mh', width: 1728 });
    d.push(coded);
    assert.ok(d.pageEnded);
    assert.equal(d.push(encodeT4(page, { coding: 'mh' })), 0, 'the next page is not part of this one');
    assert.ok(Buffer.from(d.getRow(7)).equals(Buffer.from(page.data.subarray(7 * 216, 8 * 216))));
    assert.throws(() => d.getRow(60), (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE');
    const s = d.getStats();
    assert.equal(s.rows, 60);
    assert.equal(s.end, 'rtc');
    assert.equal(s.eols, 1 + 60 + 5);
  });

  it('decodeT4 into a caller buffer: no copy; a too small buffer is outgrown', () => {
    const coded = encodeT4(page, { coding: 'mmr' });
    const into = new Uint8Array(216 * 60).fill(0xff); // old pels must not show through
    const r = decodeT4(coded, { coding: 'mmr', width: 1728, into });
    assert.equal(r.bitmap.data.buffer, into.buffer);
    assert.ok(Buffer.from(into).equals(Buffer.from(page.data)));
    for (const c of CODINGS) {
      for (const v of VARIANTS) {
        const opts = { ...c.opts, ...v.opts };
        const buf = new Uint8Array(216 * 70).fill(0xa5);
        const d = decodeT4(encodeT4(page, opts), { ...decodeOpts(opts, 1728), into: buf });
        assert.ok(Buffer.from(d.bitmap.data).equals(Buffer.from(page.data)), `${c.name} ${v.name}`);
      }
    }
    const small = new Uint8Array(216 * 7);
    const r2 = decodeT4(coded, { coding: 'mmr', width: 1728, into: small });
    assert.ok(Buffer.from(r2.bitmap.data).equals(Buffer.from(page.data)));
  });

  it('maxRows stops the page (row-limit)', () => {
    for (const c of CODINGS) {
      const r = decodeT4(encodeT4(page, c.opts), { coding: c.opts.coding, width: 1728, maxRows: 10 });
      assert.equal(r.rows, 10);
      assert.equal(r.end, 'row-limit');
      assert.ok(Buffer.from(r.bitmap.data).equals(Buffer.from(page.data.subarray(0, 2160))));
    }
  });
});

void describe('API misuse throws FaxwireError', () => {
  const bad = (f: () => unknown): void => assert.throws(f, (e: unknown) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_ARGUMENT');
  it('encoder', () => {
    bad(() => new T4Encoder(0, { coding: 'mh' }));
    bad(() => new T4Encoder(1.5, { coding: 'mh' }));
    bad(() => new T4Encoder(8, { coding: 'x' as T4Coding }));
    bad(() => new T4Encoder(8, { coding: 'mr', k: 0 }));
    bad(() => new T4Encoder(8, { coding: 'mh', minRowBits: -1 }));
    bad(() => new T4Encoder(8, { coding: 'mr', tiff: true }));
    bad(() => new T4Encoder(8, { coding: 'mh', bitOrder: 'middle' as BitOrder }));
    bad(() => new T4Encoder(16, { coding: 'mh' }).encodeRow(new Uint8Array(1)));
    bad(() => encodeT4({ width: 16, height: 2, stride: 2, data: new Uint8Array(3) }, { coding: 'mh' }));
  });
  it('decoder', () => {
    bad(() => new T4Decoder({ coding: 'mh', width: 0 }));
    bad(() => new T4Decoder({ coding: 'mmr', width: 8, tiff: true }));
    bad(() => new T4Decoder({ coding: 'mh', width: 8, maxRows: -1 }));
    bad(() => decodeT4(new Uint8Array(4), { coding: 'y' as T4Coding, width: 8 }));
  });
});

void describe('properties (fast-check)', () => {
  const bitmapArb = fc
    .record({
      width: fc.integer({ min: 1, max: 300 }),
      height: fc.integer({ min: 0, max: 12 }),
      seed: fc.integer(),
      density: fc.constantFrom(0.02, 0.5, 0.95),
      repeat: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ width, height, seed, density, repeat }) => {
      const r = prng(seed);
      const b = blank(width, height);
      for (let y = 0; y < height; y++) {
        if (y > 0 && r() < repeat) {
          b.data.copyWithin(y * b.stride, (y - 1) * b.stride, y * b.stride);
          continue;
        }
        for (let x = 0; x < width; x++) if (r() < density) b.data[y * b.stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
      }
      return b;
    });
  const optsArb = t4EncodeOptionsArb;

  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(bitmapArb, optsArb, (b, opts) => {
        const r = decodeT4(encodeT4(b, opts), decodeOpts(opts, b.width));
        return r.badRows === 0 && r.rows === b.height && Buffer.from(r.bitmap.data).equals(Buffer.from(canonical(b)));
      }),
      { numRuns: 400 },
    );
  });

  it('decoding random bytes never throws, for every coding and mode', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom<T4DecodeOptions>(
          { coding: 'mh', width: 1728 },
          { coding: 'mr', width: 1728 },
          { coding: 'mmr', width: 1728 },
          { coding: 'mh', width: 13, bitOrder: 'lsb-first' },
          { coding: 'mr', width: 5 },
          { coding: 'mmr', width: 3 },
          { coding: 'mh', width: 40, tiff: true },
        ),
        fc.integer({ min: 1, max: 64 }),
        (bytes, opts, chunk) => {
          const r = decodeT4(bytes, opts);
          assert.ok(r.rows >= 0 && r.badRows <= r.rows && r.longestBadRun <= r.badRows);
          assert.equal(r.bitmap.data.length, r.rows * r.bitmap.stride);
          // The same through the streaming decoder, in chunks.
          const d = new T4Decoder(opts);
          for (let o = 0; o < bytes.length; o += chunk) d.push(bytes.subarray(o, o + chunk));
          const s = d.finish();
          assert.equal(s.rows, r.rows);
          assert.equal(s.end, r.end);
          assert.ok(Buffer.from(s.bitmap.data).equals(Buffer.from(r.bitmap.data)));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random chunking of valid streams gives the one-shot result', () => {
    fc.assert(
      fc.property(bitmapArb, optsArb, fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 12 }), (b, opts, cuts) => {
        const coded = encodeT4(b, opts);
        const points = [...new Set(cuts.map((c) => c % (coded.length + 1)))].sort((x, y) => x - y);
        const d = new T4Decoder(decodeOpts(opts, b.width));
        let prev = 0;
        for (const p of [...points, coded.length]) {
          d.push(coded.subarray(prev, p));
          prev = p;
        }
        const r = d.finish();
        return r.badRows === 0 && r.rows === b.height && Buffer.from(r.bitmap.data).equals(Buffer.from(canonical(b)));
      }),
      { numRuns: 300 },
    );
  });
});
