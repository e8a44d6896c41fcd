/** slabCopy: copies that are independent of their source and of each other, whatever the slab. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slabCopy } from '../../../src/util/slab.js';

describe('slabCopy', () => {
  it('copies a range; later writes to the source or to other copies do not show through', () => {
    const copies: Uint8Array[] = [];
    const expected: number[][] = [];
    const src = new Uint8Array(2000);
    // Enough copies to cross several slabs, sizes from 0 to beyond the pooled limit.
    for (let i = 0; i < 400; i++) {
      const n = (i * 37) % 1100;
      const start = i % 50;
      for (let j = 0; j < src.length; j++) src[j] = (i * 7 + j) & 0xff;
      const c = slabCopy(src, start, start + n);
      assert.equal(c.length, n);
      copies.push(c);
      expected.push(Array.from(src.subarray(start, start + n)));
      src.fill(0xee);
    }
    // Scribble over every copy's neighbours: each copy writes its own index and is re-read.
    copies.forEach((c, i) => c.fill(i & 0xff));
    copies.forEach((c, i) => assert.ok(c.every((v) => v === (i & 0xff)), `copy ${i} overlapped another`));
    // And the contents were right before the scribbling (checked on fresh copies of the same ranges).
    for (let i = 0; i < 400; i++) {
      const n = (i * 37) % 1100;
      const start = i % 50;
      for (let j = 0; j < src.length; j++) src[j] = (i * 7 + j) & 0xff;
      assert.deepEqual(Array.from(slabCopy(src, start, start + n)), expected[i]);
    }
  });

  it('copies the whole array', () => {
    const src = Uint8Array.of(1, 2, 3, 4, 5);
    const c = slabCopy(src, 0, src.length);
    src[0] = 9;
    assert.deepEqual(Array.from(c), [1, 2, 3, 4, 5]);
  });
});
