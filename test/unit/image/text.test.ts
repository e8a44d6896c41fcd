import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drawText, fillRect, stampHeaderLine, textWidth } from '../../../src/image/text.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';

function blackIn(b: Bitmap, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) n += getPixel(b, x, y);
  return n;
}

describe('image/text: bitmap font and page header line', () => {
  it('draws glyphs inside their 6 × 7 cells and clips at the edges', () => {
    const b = createBitmap(64, 16);
    drawText(b, 1, 1, 'I');
    // 'I' is a 3-pixel bar with serifs: black only inside its cell (x 1..5, y 1..7).
    assert.ok(blackIn(b, 1, 1, 6, 8) > 5);
    assert.equal(blackIn(b, 0, 0, 64, 16), blackIn(b, 1, 1, 6, 8));
    assert.equal(textWidth('abc', 2), 36);
    drawText(b, 60, 12, 'WWW', 2); // mostly outside: clipped, no throw
    fillRect(b, -5, -5, 3, 3, true); // fully outside
    assert.equal(getPixel(b, 0, 0), 0);
  });

  it('fillRect paints and clears', () => {
    const b = createBitmap(16, 4);
    fillRect(b, 2, 1, 10, 2, true);
    assert.equal(blackIn(b, 0, 0, 16, 4), 20);
    fillRect(b, 4, 0, 4, 4, false);
    assert.equal(blackIn(b, 0, 0, 16, 4), 12);
  });

  it('stampHeaderLine returns a stamped copy: a white band with text left and "Page n/N" right', () => {
    const page = createBitmap(1728, 200, { x: 204, y: 196 });
    fillRect(page, 0, 0, 1728, 200, true); // all black, so the white band shows
    const out = stampHeaderLine(page, 'HELLO', 2, 3);
    assert.equal(blackIn(page, 0, 0, 1728, 200), 1728 * 200, 'input untouched');
    assert.equal(out.width, 1728);
    assert.equal(out.height, 200);
    const band = 22; // 11 rows × 2 at 196 lpi
    assert.equal(blackIn(out, 0, band, 1728, 200), 1728 * (200 - band), 'below the band unchanged');
    const left = blackIn(out, 0, 0, 200, band);
    const right = blackIn(out, 1500, 0, 1728, band);
    assert.ok(left > 0 && left < 200 * band / 2, 'text on the left');
    assert.ok(right > 0 && right < 228 * band / 2, 'page label on the right');
    assert.equal(blackIn(out, 600, 0, 1400, band), 0, 'white between them');
  });
});
