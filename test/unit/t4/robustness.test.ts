/**
 * The decoder as a fax receiver: damaged lines concealed (replaced by the line above) and
 * counted, resynchronisation at the next EOL, MR's lost reference lines, MMR cut short,
 * truncated streams, damaged RTC, and every error code.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { decodeT4, encodeT4, T4Encoder, type T4Coding, type T4EncodeOptions } from '../../../src/t4/index.js';

const EOL = '000000000001';

function bitsOf(bytes: Uint8Array): string {
  let s = '';
  for (const x of bytes) s += x.toString(2).padStart(8, '0');
  return s;
}

function bytesOf(bits: string): Uint8Array {
  const b = bits.replace(/\s+/g, '');
  const out = new Uint8Array(Math.ceil(b.length / 8));
  for (let i = 0; i < b.length; i++) if (b[i] === '1') out[i >>> 3]! |= 0x80 >>> (i & 7);
  return out;
}

/** Text-like page: short black runs, rows often equal to the row above. */
function page(width: number, height: number, seed: number): Bitmap {
  let x = seed | 1;
  const r = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const stride = (width + 7) >>> 3;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if (y > 0 && r() < 0.3) {
      data.copyWithin(y * stride, (y - 1) * stride, y * stride);
      continue;
    }
    for (let p = Math.floor(r() * 40); p < width; p += 5 + Math.floor(r() * 60)) {
      const len = 1 + Math.floor(r() * 8);
      for (let i = p; i < Math.min(width, p + len); i++) data[y * stride + (i >>> 3)]! |= 0x80 >>> (i & 7);
    }
  }
  return { width, height, stride, data };
}

function row(b: Bitmap, y: number): Buffer {
  return Buffer.from(b.data.subarray(y * b.stride, (y + 1) * b.stride));
}

/** Bit positions just after each EOL (11+ zeros then a 1). */
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

/** [start, end) of each line's data bits in an MH/MR stream with a leading EOL and no fill. */
function lineSpans(bits: string, lines: number, mr: boolean): [number, number][] {
  const ends = eolEnds(bits);
  const spans: [number, number][] = [];
  for (let i = 0; i < lines; i++) spans.push([ends[i]! + (mr ? 1 : 0), ends[i + 1]! - 12]);
  return spans;
}

function overwrite(bits: string, at: number, what: string): string {
  return bits.slice(0, at) + what + bits.slice(at + what.length);
}

void describe('MH: damaged lines are concealed and counted, decoding resumes at the next EOL', () => {
  const img = page(1728, 60, 7);
  const bits = bitsOf(encodeT4(img, { coding: 'mh' }));
  const spans = lineSpans(bits, 60, false);

  it('an invalid code word in lines 10, 11 and 30', () => {
    let b = bits;
    for (const y of [10, 11, 30]) b = overwrite(b, spans[y]![0], '000000001'); // 8 zeros then 1: no code
    const r = decodeT4(bytesOf(b), { coding: 'mh', width: 1728 });
    assert.equal(r.rows, 60);
    assert.equal(r.badRows, 3);
    assert.equal(r.longestBadRun, 2);
    assert.equal(r.end, 'rtc');
    assert.deepEqual(r.firstError && { code: r.firstError.code, row: r.firstError.row }, { code: 'invalid-code', row: 10 });
    for (let y = 0; y < 60; y++) {
      const src = y === 10 || y === 11 ? 9 : y === 30 ? 29 : y;
      assert.ok(row(r.bitmap, y).equals(row(img, src)), `row ${y} = original row ${src}`);
    }
  });

  it('every bit flipped in turn: never more than 2 bad rows, the page still ends at RTC', () => {
    // One flip at a time in lines 20..22 (data and EOLs alike).
    const from = spans[20]![0] - 12;
    const to = spans[22]![1];
    for (let i = from; i < to; i++) {
      const b = overwrite(bits, i, bits[i] === '0' ? '1' : '0');
      const r = decodeT4(bytesOf(b), { coding: 'mh', width: 1728 });
      assert.equal(r.end, 'rtc', `flip ${i}`);
      assert.ok(r.badRows <= 2, `flip ${i}: ${r.badRows} bad rows`);
      assert.ok(Math.abs(r.rows - 60) <= 1, `flip ${i}: ${r.rows} rows`);
      let differ = 0;
      for (let y = 0; y < Math.min(r.rows, 60); y++) if (!row(r.bitmap, y).equals(row(img, y))) differ++;
      if (r.rows === 60) assert.ok(differ <= 2, `flip ${i}: ${differ} rows differ`);
      // Rows well before the damage are intact.
      for (let y = 0; y < 19; y++) assert.ok(row(r.bitmap, y).equals(row(img, y)));
    }
  });

  it('a premature EOL: the line is bad, the next one decodes', () => {
    // width 16: line 0 is white 3 then EOL; line 1 is white 3, black 2, white 11.
    const r = decodeT4(bytesOf(`${EOL} 1000 ${EOL} 1000 11 01000 ${EOL.repeat(6)}`), { coding: 'mh', width: 16 });
    assert.equal(r.rows, 2);
    assert.equal(r.badRows, 1);
    assert.equal(r.firstError?.code, 'premature-eol');
    assert.equal(r.firstError?.row, 0);
    assert.deepEqual([...r.bitmap.data], [0, 0, 0x18, 0]);
  });

  it('a line longer than the width (runs past it, or codes after it)', () => {
    const tooLong = decodeT4(bytesOf(`${EOL} 1000 11 000011 ${EOL} 1000 11 01000 ${EOL.repeat(6)}`), { coding: 'mh', width: 16 });
    assert.equal(tooLong.badRows, 1);
    assert.equal(tooLong.firstError?.code, 'row-too-long');
    const after = decodeT4(bytesOf(`${EOL} 1000 11 01000 11 ${EOL} 1000 11 01000 ${EOL.repeat(6)}`), { coding: 'mh', width: 16 });
    assert.equal(after.badRows, 1);
    assert.equal(after.firstError?.code, 'data-after-row');
    for (const r of [tooLong, after]) {
      assert.equal(r.rows, 2);
      assert.equal(r.end, 'rtc');
      assert.deepEqual([...r.bitmap.data], [0, 0, 0x18, 0]);
    }
  });

  it('a damaged RTC: two or more EOLs at the end still end the page, one does not', () => {
    const line = '1000 11 01000';
    for (const [n, end] of [
      [6, 'rtc'],
      [3, 'rtc'],
      [2, 'rtc'],
      [1, 'cut-short'],
      [0, 'cut-short'],
    ] as const) {
      const r = decodeT4(bytesOf(`${EOL} ${line} ${EOL.repeat(n)}`), { coding: 'mh', width: 16 });
      assert.equal(r.rows, 1);
      assert.equal(r.end, end, `${n} EOLs`);
    }
    // Empty lines (EOL EOL) inside a page are skipped, not counted.
    const r = decodeT4(bytesOf(`${EOL} ${line} ${EOL}${EOL}${EOL} ${line} ${EOL.repeat(6)}`), { coding: 'mh', width: 16 });
    assert.equal(r.rows, 2);
    assert.equal(r.badRows, 0);
  });

  it('nothing after RTC is decoded', () => {
    const two = new Uint8Array([...encodeT4(img, { coding: 'mh' }), ...encodeT4(img, { coding: 'mh' })]);
    const r = decodeT4(two, { coding: 'mh', width: 1728 });
    assert.equal(r.rows, 60);
    assert.equal(r.end, 'rtc');
  });
});

void describe('MR: a bad line loses the reference of the 2-D lines after it', () => {
  const img = page(1728, 40, 9);
  const bits = bitsOf(encodeT4(img, { coding: 'mr', k: 4 }));
  const spans = lineSpans(bits, 40, true);

  it('damage in 1-D line 8 conceals 8..11; in 2-D line 13 conceals 13..15', () => {
    let b = overwrite(bits, spans[8]![0], '000000001');
    b = overwrite(b, spans[13]![0], '0000000011'); // 7 zeros: neither a mode code nor an EOL
    const r = decodeT4(bytesOf(b), { coding: 'mr', width: 1728 });
    assert.equal(r.rows, 40);
    assert.equal(r.badRows, 7);
    assert.equal(r.longestBadRun, 4);
    assert.equal(r.end, 'rtc');
    for (let y = 0; y < 40; y++) {
      const src = y >= 8 && y <= 11 ? 7 : y >= 13 && y <= 15 ? 12 : y;
      assert.ok(row(r.bitmap, y).equals(row(img, src)), `row ${y} = original row ${src}`);
    }
  });

  it('the 2-D extension code (uncompressed mode) is reported, the line concealed', () => {
    const b = overwrite(bits, spans[21]![0], '0000001111');
    const r = decodeT4(bytesOf(b), { coding: 'mr', width: 1728 });
    assert.equal(r.firstError?.code, 'extension-code');
    assert.equal(r.firstError?.row, 21);
    assert.equal(r.badRows, 3); // 21, and 22, 23 (2-D on a lost reference); 24 is 1-D
    assert.equal(r.rows, 40);
  });

  it('every bit flipped in turn: at most k rows bad per flip, RTC still found', () => {
    const from = spans[16]![0] - 13;
    const to = spans[18]![1];
    for (let i = from; i < to; i++) {
      const r = decodeT4(bytesOf(overwrite(bits, i, bits[i] === '0' ? '1' : '0')), { coding: 'mr', width: 1728 });
      assert.equal(r.end, 'rtc', `flip ${i}`);
      assert.ok(r.badRows <= 5, `flip ${i}: ${r.badRows}`);
      // (A flip in the EOL before line 16 damages line 15, which that EOL terminates.)
      for (let y = 0; y < 15; y++) assert.ok(row(r.bitmap, y).equals(row(img, y)));
    }
  });
});

void describe('MMR: no EOLs to resynchronise on — a damaged page is cut short', () => {
  const img = page(1728, 50, 13);
  // Where each line starts, in bits, from the encoder's running count.
  const enc = new T4Encoder(1728, { coding: 'mmr' });
  const starts: number[] = [];
  for (let y = 0; y < 50; y++) {
    starts.push(enc.getStats().bits);
    enc.encodeRowAt(img.data, y * img.stride);
  }
  const bits = bitsOf(enc.finish());

  it('an extension code at the start of line 20: 20 rows, cut-short', () => {
    const r = decodeT4(bytesOf(overwrite(bits, starts[20]!, '0000001111')), { coding: 'mmr', width: 1728 });
    assert.equal(r.rows, 20);
    assert.equal(r.badRows, 0);
    assert.equal(r.end, 'cut-short');
    assert.equal(r.firstError?.code, 'extension-code');
    for (let y = 0; y < 20; y++) assert.ok(row(r.bitmap, y).equals(row(img, y)));
  });

  it('an EOL inside the page that is not EOFB', () => {
    const b = bits.slice(0, starts[5]) + EOL + bits.slice(starts[5]);
    const r = decodeT4(bytesOf(b), { coding: 'mmr', width: 1728 });
    assert.equal(r.rows, 5);
    assert.equal(r.end, 'cut-short');
    assert.equal(r.firstError?.code, 'unexpected-eol');
  });

  it('any single bit flip: the rows before the damaged line are intact', () => {
    for (let i = starts[30]!; i < starts[31]!; i++) {
      const r = decodeT4(bytesOf(overwrite(bits, i, bits[i] === '0' ? '1' : '0')), { coding: 'mmr', width: 1728 });
      for (let y = 0; y < Math.min(30, r.rows); y++) assert.ok(row(r.bitmap, y).equals(row(img, y)), `flip ${i} row ${y}`);
      assert.ok(r.rows >= 30 || r.end === 'cut-short');
    }
  });
});

void describe('truncated streams: the rows decoded so far, end = cut-short', () => {
  const img = page(300, 30, 17);
  for (const [name, opts, mr] of [
    ['MH', { coding: 'mh' }, false],
    ['MR k=2', { coding: 'mr', k: 2 }, true],
  ] as const) {
    it(`${name}: cut at every octet`, () => {
      const coded = encodeT4(img, opts);
      const bits = bitsOf(coded);
      const spans = lineSpans(bits, 30, mr);
      const ends = eolEnds(bits);
      for (let cut = 0; cut <= coded.length; cut++) {
        const r = decodeT4(coded.subarray(0, cut), { coding: opts.coding, width: 300 });
        // A line is kept once all its data is there (its EOL may still be missing).
        const expect = spans.filter(([, e]) => e <= cut * 8).length;
        assert.equal(r.rows, expect, `cut at ${cut}`);
        assert.equal(r.badRows, 0, `cut at ${cut}`);
        // Two EOLs of the RTC (the line's and one more) make a page end.
        assert.equal(r.end, cut * 8 >= ends[31]! ? 'rtc' : 'cut-short', `cut at ${cut}`);
        for (let y = 0; y < r.rows; y++) assert.ok(row(r.bitmap, y).equals(row(img, y)));
        if (cut * 8 < spans[29]![1]) assert.equal(r.firstError?.code ?? 'truncated', 'truncated');
      }
    });
  }
  it('MMR: cut at every octet: rows never decrease, are intact, and all come back with EOFB', () => {
    const coded = encodeT4(img, { coding: 'mmr' });
    let last = 0;
    for (let cut = 0; cut <= coded.length; cut++) {
      const r = decodeT4(coded.subarray(0, cut), { coding: 'mmr', width: 300 });
      assert.ok(r.rows >= last, `cut at ${cut}`);
      last = r.rows;
      assert.equal(r.badRows, 0);
      assert.equal(r.end, cut === coded.length ? 'eofb' : 'cut-short', `cut at ${cut}`);
      for (let y = 0; y < r.rows; y++) assert.ok(row(r.bitmap, y).equals(row(img, y)));
    }
    assert.equal(last, 30);
  });
  it('TIFF Compression 2: cut at every octet', () => {
    const coded = encodeT4(img, { coding: 'mh', tiff: true });
    let last = 0;
    for (let cut = 0; cut <= coded.length; cut++) {
      const r = decodeT4(coded.subarray(0, cut), { coding: 'mh', tiff: true, width: 300 });
      assert.ok(r.rows >= last);
      last = r.rows;
      assert.equal(r.end, 'cut-short');
      for (let y = 0; y < r.rows; y++) assert.ok(row(r.bitmap, y).equals(row(img, y)));
    }
    assert.equal(last, 30);
  });
});

void describe('properties: damage never throws and never loses the page structure', () => {
  const img = page(200, 25, 23);
  const streams: [T4Coding, T4EncodeOptions][] = [
    ['mh', { coding: 'mh' }],
    ['mr', { coding: 'mr', k: 4 }],
    ['mmr', { coding: 'mmr' }],
    ['mh', { coding: 'mh', alignEol: true, bitOrder: 'lsb-first' }],
  ];
  it('random flips, insertions and deletions of octets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: streams.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'xor', 'insert', 'delete')), { minLength: 1, maxLength: 6 }),
        (s, edits) => {
          const [coding, opts] = streams[s]!;
          const bytes = [...encodeT4(img, opts)];
          for (const [at, v, op] of edits) {
            const i = at % (bytes.length + 1);
            if (op === 'set') bytes[i] = v;
            else if (op === 'xor') bytes[i] = (bytes[i] ?? 0) ^ (v | 1);
            else if (op === 'insert') bytes.splice(i, 0, v);
            else bytes.splice(i, 1);
          }
          const r = decodeT4(Uint8Array.from(bytes), { coding, width: 200, ...(opts.bitOrder ? { bitOrder: opts.bitOrder } : {}) });
          // (In MMR one bit can be a whole line: V0 on a blank reference line.)
          assert.ok(r.rows <= 25 + 8 * bytes.length);
          assert.ok(r.badRows <= r.rows && r.longestBadRun <= r.badRows);
          assert.equal(r.bitmap.height, r.rows);
        },
      ),
      { numRuns: 500 },
    );
  });
});
