/**
 * Hand-checked vectors: each expected stream is written out here as the code words of the
 * recommendation's tables (T.4 §4.1.1 run codes, §4.1.2 EOL, §4.1.4 RTC, §4.2.1.3 2-D modes,
 * T.6 §2.4.1.1 EOFB), worked out by hand from the pels — not taken from the encoder.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { decodeT4, encodeT4, type T4DecodeOptions, type T4EncodeOptions } from '../../../src/t4/index.js';
import { toHex } from '../helpers/bytes.js';

const EOL = '000000000001';

/** '0101…' (spaces ignored) → octets, padded with 0 bits to a whole octet. */
function bytesOf(bits: string): Uint8Array {
  const b = bits.replace(/\s+/g, '');
  const out = new Uint8Array(Math.ceil(b.length / 8));
  for (let i = 0; i < b.length; i++) if (b[i] === '1') out[i >>> 3]! |= 0x80 >>> (i & 7);
  return out;
}

/** A bitmap from rows written as pels ('1' black), e.g. ['00011000']. */
function image(rows: readonly string[]): Bitmap {
  const width = rows[0]!.length;
  const stride = (width + 7) >>> 3;
  const data = new Uint8Array(stride * rows.length);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) if (r[x] === '1') data[y * stride + (x >>> 3)]! |= 0x80 >>> (x & 7);
  });
  return { width, height: rows.length, stride, data };
}


interface Vector {
  name: string;
  rows: string[];
  opts: T4EncodeOptions;
  bits: string;
}

const W1728 = '0'.repeat(1728);

const vectors: Vector[] = [
  {
    name: 'MH: one white 1728-pel line (make-up 1728 + terminating 0), EOL first, RTC',
    rows: [W1728],
    opts: { coding: 'mh' },
    bits: `${EOL} 010011011 00110101 ${EOL.repeat(6)}`,
  },
  {
    name: 'MH: 3 white, 2 black, 11 white; no EOL, no RTC',
    rows: ['0001100000000000'],
    opts: { coding: 'mh', leadingEol: false, rtc: false },
    bits: '1000 11 01000', // white 3, black 2, white 11
  },
  {
    name: 'MH: a line starting black begins with white run 0',
    rows: ['11110000'],
    opts: { coding: 'mh', leadingEol: false, rtc: false },
    bits: '00110101 011 1011', // white 0, black 4, white 4
  },
  {
    name: 'MH: black run 64 = make-up 64 + terminating 0 (black)',
    rows: ['1'.repeat(64)],
    opts: { coding: 'mh', leadingEol: false, rtc: false },
    bits: '00110101 0000001111 0000110111', // white 0, black make-up 64, black 0
  },
  {
    name: 'MH: white run 2600 = make-up 2560 + terminating 40',
    rows: ['0'.repeat(2600)],
    opts: { coding: 'mh', leadingEol: false, rtc: false },
    bits: '000000011111 00101001',
  },
  {
    name: 'MH: lsb-first reverses each octet',
    rows: ['0001100000000000'],
    opts: { coding: 'mh', leadingEol: false, rtc: false, bitOrder: 'lsb-first' },
    bits: '10110001 00000000', // 0x8d 0x00 bit-reversed: 0xb1 0x00
  },
  {
    name: 'MH: octet-aligned EOLs (4 fill bits before each EOL here)',
    rows: ['00000000', '00000000'],
    opts: { coding: 'mh', alignEol: true, rtc: false },
    // 0000 EOL | white 8 = 10011 | fill to make the next EOL end on an octet boundary:
    // bits so far 16 + 5 = 21; EOL must end at 40 → 7 fill bits.
    bits: `0000 ${EOL} 10011 0000000 ${EOL} 10011`,
  },
  {
    name: 'MH: minimum scan line of 40 bits (EOL-to-EOL)',
    rows: ['00000000', '00000000'],
    opts: { coding: 'mh', minRowBits: 40, rtc: false },
    // line 0: 5 data bits + 23 fill + 12 EOL = 40
    bits: `${EOL} 10011 ${'0'.repeat(23)} ${EOL} 10011`,
  },
  {
    name: 'TIFF Compression 2: each line octet-aligned, no EOL',
    rows: ['0001100000000000', '0001100000000000'],
    opts: { coding: 'mh', tiff: true },
    bits: '1000 11 01000 00000 1000 11 01000 00000',
  },
  {
    name: 'MR k=2: 1-D line, then the same line in 2-D (three V0), RTC of EOL+1',
    rows: ['00011000', '00011000'],
    opts: { coding: 'mr', k: 2 },
    // EOL+1, white 3, black 2, white 3 | EOL+0, V0 (a1=b1=3), V0 (5), V0 (8 = end) | 6 × EOL+1
    bits: `${EOL}1 1000 11 1000 ${EOL}0 1 1 1 ${`${EOL}1`.repeat(6)}`,
  },
  {
    name: 'MMR: horizontal mode on a white reference line, then EOFB',
    rows: ['00011000'],
    opts: { coding: 'mmr' },
    // b1 = b2 = 8 (none), a1 = 3: |3 − 8| > 3 → H + white 3 + black 2; a0 = 5; a1 = b1 = 8 → V0
    bits: `001 1000 11 1 ${EOL}${EOL}`,
  },
  {
    name: 'MMR: pass mode',
    rows: ['01100000', '00000000'],
    opts: { coding: 'mmr' },
    // line 0: H white 1 (000111) black 2 (11), V0. Line 1 (white) against [1,3): b1 = 1, b2 = 3 < a1 = 8
    // → P, a0 = 3; then b1 = 8 = a1 → V0.
    bits: `001 000111 11 1   0001 1 ${EOL}${EOL}`,
  },
  {
    name: 'MMR: VR1, VL1',
    rows: ['0000111100000000', '0000011000000000'],
    opts: { coding: 'mmr' },
    // line 0: H white 4 (1011) black 4 (011), V0. Line 1 against [4,8): a1 = 5 = b1 + 1 → VR1;
    // then b1 = 8, a1 = 7 → VL1; then b1 = 16 = a1 → V0.
    bits: `001 1011 011 1   011 010 1 ${EOL}${EOL}`,
  },
  {
    name: 'MMR: VR2, VL1, then pass and horizontal mode from a0 > 0',
    rows: ['0000111100000000', '0000001000000000', '0000000001000000'],
    opts: { coding: 'mmr' },
    // line 1 against [4,8): a1 = 6 = b1 + 2 → VR2 (000011); b1 = 8, a1 = 7 → VL1 (010); b1 = 16 → V0.
    // line 2 against [6,7): b1 = 6, b2 = 7 < a1 = 9 → P, a0 = 7; b1 = b2 = 16, a1 = 9: |9 − 16| > 3
    // → H: white a0a1 = 2 (0111), black 1 (010); a0 = 10; a1 = b1 = 16 → V0.
    bits: `001 1011 011 1   000011 010 1   0001 001 0111 010 1 ${EOL}${EOL}`,
  },
  {
    name: 'MMR: VL2, VR2, VR3, VL3',
    rows: ['0000111100000000', '0011110000000000', '0000111100000000', '0000000111100000', '0000111100000000'],
    opts: { coding: 'mmr' },
    // line 1 [2,6) against [4,8): VL2, VL2, V0. Line 2 [4,8) against [2,6): VR2, VR2, V0.
    // Line 3 [7,11) against [4,8): VR3, VR3, V0. Line 4 [4,8) against [7,11): VL3, VL3, V0.
    bits: `001 1011 011 1  000010 000010 1  000011 000011 1  0000011 0000011 1  0000010 0000010 1 ${EOL}${EOL}`,
  },
];

void describe('T.4/T.6 hand-checked vectors', () => {
  for (const v of vectors) {
    void it(v.name, () => {
      const img = image(v.rows);
      const want = bytesOf(v.bits);
      assert.equal(toHex(encodeT4(img, v.opts)), toHex(want), 'encoder output');
      const dopts: T4DecodeOptions = {
        coding: v.opts.coding,
        width: img.width,
        ...(v.opts.bitOrder !== undefined ? { bitOrder: v.opts.bitOrder } : {}),
        ...(v.opts.tiff === true ? { tiff: true } : {}),
      };
      const r = decodeT4(want, dopts);
      assert.equal(r.rows, img.height);
      assert.equal(r.badRows, 0);
      assert.equal(toHex(r.bitmap.data), toHex(img.data), 'decoder output');
      const rtc = v.opts.rtc ?? true;
      if (v.opts.tiff !== true) assert.equal(r.end, !rtc ? 'cut-short' : v.opts.coding === 'mmr' ? 'eofb' : 'rtc');
    });
  }
});
