import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BLACK_DECODE,
  BLACK_RUNS,
  BLACK_MAKEUP,
  BLACK_RUN_CODE,
  BLACK_RUN_LEN,
  BLACK_TERMINATING,
  EOL_CODE,
  EXTENDED_MAKEUP,
  K_EOL,
  K_INVALID,
  K_MAKEUP,
  K_MASK,
  K_TERM,
  MODE_DECODE,
  MODE_HORIZONTAL,
  MODE_PASS,
  MODE_VERTICAL,
  REVERSE_BITS,
  WHITE_DECODE,
  WHITE_RUNS,
  WHITE_MAKEUP,
  WHITE_RUN_CODE,
  WHITE_RUN_LEN,
  WHITE_TERMINATING,
} from '../../../src/t4/tables.js';

/** Sum of 2^-len over a code set (Kraft): ≤ 1 for any prefix code. */
function kraft(codes: readonly string[]): number {
  return codes.reduce((s, c) => s + 2 ** -c.length, 0);
}

function prefixFree(codes: readonly string[]): string | undefined {
  for (const a of codes) for (const b of codes) if (a !== b && b.startsWith(a)) return `${a} is a prefix of ${b}`;
  return undefined;
}

void describe('T.4 code tables (§4.1.1, §4.1.2, §4.2.1.3)', () => {
  const white = [...WHITE_TERMINATING, ...WHITE_MAKEUP, ...EXTENDED_MAKEUP, EOL_CODE];
  const black = [...BLACK_TERMINATING, ...BLACK_MAKEUP, ...EXTENDED_MAKEUP, EOL_CODE];

  it('have the sizes of the recommendation: 64 terminating, 27 make-up per colour, 13 extended', () => {
    assert.equal(WHITE_TERMINATING.length, 64);
    assert.equal(BLACK_TERMINATING.length, 64);
    assert.equal(WHITE_MAKEUP.length, 27);
    assert.equal(BLACK_MAKEUP.length, 27);
    assert.equal(EXTENDED_MAKEUP.length, 13);
    for (const c of [...white, ...black]) assert.match(c, /^[01]+$/);
  });

  it('spot checks against the printed tables', () => {
    // A few entries read off the recommendation's tables, one per row group.
    assert.equal(WHITE_TERMINATING[0], '00110101');
    assert.equal(WHITE_TERMINATING[2], '0111');
    assert.equal(WHITE_TERMINATING[63], '00110100');
    assert.equal(BLACK_TERMINATING[0], '0000110111');
    assert.equal(BLACK_TERMINATING[2], '11');
    assert.equal(BLACK_TERMINATING[63], '000001100111');
    assert.equal(WHITE_MAKEUP[0], '11011'); // 64
    assert.equal(WHITE_MAKEUP[26], '010011011'); // 1728
    assert.equal(BLACK_MAKEUP[0], '0000001111'); // 64
    assert.equal(BLACK_MAKEUP[26], '0000001100101'); // 1728
    assert.equal(EXTENDED_MAKEUP[0], '00000001000'); // 1792
    assert.equal(EXTENDED_MAKEUP[12], '000000011111'); // 2560
    assert.equal(EOL_CODE, '000000000001');
    assert.equal(MODE_PASS, '0001');
    assert.equal(MODE_HORIZONTAL, '001');
    assert.deepEqual(MODE_VERTICAL, ['0000010', '000010', '010', '1', '011', '000011', '0000011']);
  });

  it('are prefix-free per colour, and no code word has 8 or more leading zeros but EOL', () => {
    assert.equal(prefixFree(white), undefined);
    assert.equal(prefixFree(black), undefined);
    assert.equal(prefixFree([MODE_PASS, MODE_HORIZONTAL, ...MODE_VERTICAL, '0000001', '0000000']), undefined);
    for (const c of [...white, ...black]) if (c !== EOL_CODE) assert.ok(!c.startsWith('00000000'), c);
    // White + black run codes fill most of the code space (Kraft sum < 1: the rest is EOL/fill).
    assert.ok(kraft(white) <= 1 && kraft(white) > 0.99, `${kraft(white)}`);
    assert.ok(kraft(black) <= 1 && kraft(black) > 0.99, `${kraft(black)}`);
    // The 2-D mode codes with the extension and the all-zero prefix are a complete code.
    assert.equal(kraft([MODE_PASS, MODE_HORIZONTAL, ...MODE_VERTICAL, '0000001', '0000000']), 1);
  });

  it('decoder tables map every code word back to its run', () => {
    const check = (table: Int32Array, bits: number, code: string, run: number, kind: number): void => {
      const e = table[parseInt(code, 2) << (bits - code.length)]!;
      assert.equal(e & K_MASK, kind, code);
      assert.equal(e >>> 7, run, code);
      assert.equal(e & 31, kind === K_EOL ? 0 : code.length, code);
    };
    WHITE_TERMINATING.forEach((c, r) => check(WHITE_DECODE, 12, c, r, K_TERM));
    BLACK_TERMINATING.forEach((c, r) => check(BLACK_DECODE, 13, c, r, K_TERM));
    WHITE_MAKEUP.forEach((c, i) => check(WHITE_DECODE, 12, c, 64 * (i + 1), K_MAKEUP));
    BLACK_MAKEUP.forEach((c, i) => check(BLACK_DECODE, 13, c, 64 * (i + 1), K_MAKEUP));
    EXTENDED_MAKEUP.forEach((c, i) => {
      check(WHITE_DECODE, 12, c, 1792 + 64 * i, K_MAKEUP);
      check(BLACK_DECODE, 13, c, 1792 + 64 * i, K_MAKEUP);
    });
    check(WHITE_DECODE, 12, EOL_CODE, 0, K_EOL);
    assert.equal(WHITE_DECODE[0]! & K_MASK, K_EOL, '12 zeros = fill');
    assert.equal(WHITE_DECODE[0b000000001000]! & K_MASK, K_INVALID, '8 zeros then 1 is no code');
    // Entries cover exactly the code space of each code word (sum of spans = table size minus invalid).
    const valid = (t: Int32Array): number => t.filter((e) => (e & K_MASK) !== K_INVALID).length;
    assert.equal(valid(WHITE_DECODE), Math.round(kraft(white) * 4096) + 1); // + the all-zero entry
    assert.equal(valid(BLACK_DECODE), Math.round(kraft(black) * 8192) + 2);
    assert.equal(MODE_DECODE.length, 128);
  });

  it('decoding run tables resolve a make-up code and the terminating code after it in one entry', () => {
    // Independent of the table builder: read each window as a bit string against the code words.
    const cases = [
      { table: WHITE_RUNS, plain: WHITE_DECODE, bits: 12, makeup: [...WHITE_MAKEUP, ...EXTENDED_MAKEUP], term: WHITE_TERMINATING },
      { table: BLACK_RUNS, plain: BLACK_DECODE, bits: 13, makeup: [...BLACK_MAKEUP, ...EXTENDED_MAKEUP], term: BLACK_TERMINATING },
    ];
    for (const { table, plain, bits, makeup, term } of cases) {
      let combined = 0;
      for (let i = 0; i < table.length; i++) {
        const w = i.toString(2).padStart(bits, '0');
        const m = makeup.findIndex((c) => w.startsWith(c));
        const rest = m >= 0 ? w.slice(makeup[m]!.length) : '';
        const t = m >= 0 ? term.findIndex((c) => rest.startsWith(c)) : -1;
        if (t < 0) {
          assert.equal(table[i], plain[i], `window ${w}`);
          continue;
        }
        combined++;
        const run = (m < 27 ? 64 * (m + 1) : 1792 + 64 * (m - 27)) + t;
        const e = table[i]!;
        assert.equal(e & K_MASK, K_TERM, w);
        assert.equal(e >>> 7, run, w);
        assert.equal(e & 31, makeup[m]!.length + term[t]!.length, w);
      }
      if (bits === 12) {
        // White 66 = make-up 64 '11011' + terminating 2 '0111': nine bits, one entry.
        const e = table[0b110110111000]!;
        assert.deepEqual([e & K_MASK, e >>> 7, e & 31], [K_TERM, 66, 9]);
      }
      assert.ok(combined > 0, 'some make-up + terminating pairs fit the window');
    }
  });

  it('encoder tables: make-up then terminating code word, for every run below 2560', () => {
    for (let r = 0; r < 2560; r++) {
      const m = r >>> 6;
      for (const [code, len, term, makeup] of [
        [WHITE_RUN_CODE, WHITE_RUN_LEN, WHITE_TERMINATING, WHITE_MAKEUP],
        [BLACK_RUN_CODE, BLACK_RUN_LEN, BLACK_TERMINATING, BLACK_MAKEUP],
      ] as const) {
        const want = (m === 0 ? '' : m <= 27 ? makeup[m - 1]! : EXTENDED_MAKEUP[m - 28]!) + term[r & 63]!;
        assert.equal(code[r]!.toString(2).padStart(len[r]!, '0'), want, `run ${r}`);
      }
    }
  });

  it('bit reversal', () => {
    assert.equal(REVERSE_BITS[0x01], 0x80);
    assert.equal(REVERSE_BITS[0x8d], 0xb1);
    for (let i = 0; i < 256; i++) assert.equal(REVERSE_BITS[REVERSE_BITS[i]!], i);
  });
});
