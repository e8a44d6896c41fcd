/**
 * Fax page geometry (T.4 §2.2 scan-line lengths, T.30 Table 2 resolutions, paper lengths) and
 * fitting a document page onto it with the right aspect although fax pixels are not square.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  detectFaxResolution,
  faxPageToBitmap,
  faxGeometry,
  faxWidths,
  fitToFaxPage,
  placeOnPage,
  RESOLUTIONS,
  type FaxResolution,
} from '../../../src/image/fax-page.js';
import { blackRatio, greyToBitmap, type GreyImage } from '../../../src/image/grey.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';

describe('faxGeometry', () => {
  it('A4 rows: 297 mm × 3.85 / 7.7 / 15.4 lines per mm', () => {
    assert.deepEqual(faxGeometry('standard', 'a4'), { resolution: RESOLUTIONS.standard, width: 1728, height: 1143 });
    assert.equal(faxGeometry('fine', 'a4').height, 2287);
    assert.equal(faxGeometry('superfine', 'a4').height, 4574);
  });
  it('Letter and Legal share A4 width; lengths 11 in and 14 in', () => {
    assert.equal(faxGeometry('fine', 'letter').width, 1728);
    assert.equal(faxGeometry('fine', 'letter').height, Math.round(279.4 * 7.7)); // 2151
    assert.equal(faxGeometry('standard', 'legal').height, Math.round(355.6 * 3.85)); // 1369
    assert.equal(faxGeometry('fine', 'unlimited').height, undefined);
  });
  it('scan-line lengths of T.4 for A4/B4/A3 at each density', () => {
    assert.deepEqual(faxWidths('fine'), [1728, 2048, 2432]);
    assert.deepEqual(faxWidths('200x200'), [1728, 2048, 2432]);
    assert.deepEqual(faxWidths('300x300'), [2592, 3072, 3648]);
    assert.deepEqual(faxWidths('400x400'), [3456, 4096, 4864]);
    assert.deepEqual(faxWidths('r16x15.4'), [3456, 4096, 4864]);
    assert.equal(faxGeometry('fine', 'b4').width, 2048);
    assert.equal(faxGeometry('fine', 'a3').width, 2432);
  });
  it('inch-based resolutions count rows in inches', () => {
    assert.equal(faxGeometry('200x200', 'a4').height, Math.round((297 / 25.4) * 200)); // 2339
    assert.equal(faxGeometry('300x300', 'letter').height, 3300);
  });
});

describe('placeOnPage', () => {
  it('an A4 page scanned at 300 dpi (2480 × 3508) → 1143 / 2287 / 4574 rows, centred', () => {
    const rows: Record<string, number> = { standard: 1143, fine: 2287, superfine: 4574 };
    for (const res of ['standard', 'fine', 'superfine'] as FaxResolution[]) {
      const p = placeOnPage(2480, 3508, { x: 300, y: 300 }, { resolution: res, paper: 'a4' });
      assert.equal(p.pageWidth, 1728);
      assert.equal(p.pageHeight, rows[res]);
      assert.equal(p.height, rows[res], res);
      // 210 mm of 216: 1680 pels (±1), centred.
      assert.ok(Math.abs(p.width - 1680) <= 1, `width ${p.width}`);
      assert.ok(Math.abs(p.x - (1728 - p.width) / 2) <= 1);
      assert.equal(p.rotate, false);
    }
  });
  it('a small image of known size is not enlarged; without a size it fills the page', () => {
    // 2 × 1 inch at 100 dpi.
    const known = placeOnPage(200, 100, { x: 100, y: 100 }, { resolution: 'fine' });
    assert.equal(known.width, Math.round(50.8 * 8)); // 406
    assert.equal(known.height, Math.round(25.4 * 7.7)); // 196
    const unknown = placeOnPage(200, 100, undefined, { resolution: 'fine', rotate: 'never' });
    assert.equal(unknown.width, 1728);
    // Aspect kept in millimetres: 216 mm × 108 mm → 108 × 7.7 rows.
    assert.equal(unknown.height, Math.round(108 * 7.7));
    assert.equal(placeOnPage(200, 100, { x: 100, y: 100 }, { resolution: 'fine', fit: 'fill', rotate: 'never' }).width, 1728);
  });
  it('a landscape page is turned when that makes it larger', () => {
    const p = placeOnPage(3508, 2480, { x: 300, y: 300 }, { resolution: 'fine' });
    assert.equal(p.rotate, true);
    assert.equal(p.height, 2287);
    const q = placeOnPage(3508, 2480, { x: 300, y: 300 }, { resolution: 'fine', rotate: 'never' });
    assert.equal(q.rotate, false);
    assert.equal(q.width, 1728);
  });
  it('unlimited length: the page is as long as the scaled source', () => {
    const p = placeOnPage(1000, 5000, undefined, { resolution: 'standard', paper: 'unlimited' });
    assert.equal(p.width, 1728);
    assert.equal(p.pageHeight, p.height);
    // 216 mm wide → 1080 mm long → × 3.85.
    assert.equal(p.height, Math.round(1080 * 3.85));
  });
});

describe('fitToFaxPage', () => {
  it('a square stays square on paper at standard resolution (half as many rows as pels)', () => {
    // 1000 × 1000 at 254 dpi: a 100 mm page with a 50 mm black square in the middle.
    const n = 1000;
    const data = new Uint8Array(n * n).fill(255);
    for (let y = 250; y < 750; y++) data.fill(0, y * n + 250, y * n + 750);
    const src: GreyImage = { width: n, height: n, data, xDpi: 254, yDpi: 254 };
    const b = fitToFaxPage(src, { resolution: 'standard', paper: 'a4' });
    assert.equal(b.width, 1728);
    assert.equal(b.height, 1143);
    assert.equal(b.xDpi, 204);
    assert.equal(b.yDpi, 98);
    // Measure the square: 50 mm = 400 pels wide and 192.5 rows tall.
    let x0 = -1;
    let x1 = -1;
    let y0 = -1;
    let y1 = -1;
    for (let y = 0; y < b.height; y++) {
      for (let x = 0; x < b.width; x++) {
        if (getPixel(b, x, y)) {
          if (y0 < 0) y0 = y;
          y1 = y;
          if (x0 < 0 || x < x0) x0 = x;
          if (x > x1) x1 = x;
        }
      }
    }
    assert.ok(Math.abs(x1 - x0 + 1 - 400) <= 2, `square width ${x1 - x0 + 1}`);
    assert.ok(Math.abs(y1 - y0 + 1 - 192.5) <= 2, `square height ${y1 - y0 + 1}`);
    // Centred on the page.
    assert.ok(Math.abs((x0 + x1) / 2 - 864) <= 2);
    assert.ok(Math.abs((y0 + y1) / 2 - 571) <= 2);
  });
  it('dither vs threshold on a photo-like 30 % grey page', () => {
    const src: GreyImage = { width: 500, height: 700, data: new Uint8Array(500 * 700).fill(178) };
    const t = fitToFaxPage(src, { resolution: 'fine' });
    const d = fitToFaxPage(src, { resolution: 'fine', method: 'dither' });
    assert.equal(blackRatio(t), 0);
    const inner = blackRatio(d, 100, 100, 1500, 2000);
    assert.ok(Math.abs(inner - (255 - 178) / 255) < 0.02, `dithered density ${inner}`);
  });
});

describe('detectFaxResolution', () => {
  it('recognises fax pages by width and dpi (200 and 204 both 8 pels/mm)', () => {
    const b = (w: number, x?: number, y?: number): Bitmap => (x !== undefined && y !== undefined ? { ...createBitmap(w, 1), xDpi: x, yDpi: y } : createBitmap(w, 1));
    assert.equal(detectFaxResolution(b(1728, 204, 98)), 'standard');
    assert.equal(detectFaxResolution(b(1728, 204, 196)), 'fine');
    assert.equal(detectFaxResolution(b(2048, 204, 391)), 'superfine');
    assert.equal(detectFaxResolution(b(1728, 200, 200)), '200x200');
    assert.equal(detectFaxResolution(b(1728, 203.2, 195.6)), 'fine');
    assert.equal(detectFaxResolution(b(2592, 300, 300)), '300x300');
    assert.equal(detectFaxResolution(b(1700, 204, 196)), undefined);
    assert.equal(detectFaxResolution(b(2480, 300, 300)), undefined);
    assert.equal(detectFaxResolution(b(1728), 'standard'), 'standard');
    assert.equal(detectFaxResolution(b(1000), 'standard'), undefined);
  });
});

describe('faxPageToBitmap keeps strokes thinner than a fax row', () => {
  // A page of white with, at x 10..29: a line of 45 % ink in one row (y 5), and a line split
  // over two rows (y 12, 13) at 35 % ink each — what area averaging makes of a 0.5 pt rule at
  // 98 lines per inch — plus a flat 35 % grey block (y 20..29) that must stay white.
  const w = 40;
  const h = 32;
  const g: GreyImage = { width: w, height: h, data: new Uint8Array(w * h).fill(255) };
  for (let x = 10; x < 30; x++) {
    g.data[5 * w + x] = 140;
    g.data[12 * w + x] = 166;
    g.data[13 * w + x] = 170;
    for (let y = 20; y < 30; y++) g.data[y * w + x] = 166;
  }
  const rowInk = (b: Bitmap, y: number): number => blackRatio(b, 10, y, 20, 1);

  it('a 50 % threshold alone drops both lines (the problem)', () => {
    const b = greyToBitmap(g, { threshold: 128 });
    assert.equal(rowInk(b, 5), 0);
    assert.equal(rowInk(b, 12) + rowInk(b, 13), 0);
  });

  it('the one-row line and the darker row of the split line become black; flat grey stays white', () => {
    const b = faxPageToBitmap(g);
    assert.equal(rowInk(b, 5), 1);
    assert.equal(rowInk(b, 12), 1, 'the darker row of the pair');
    assert.equal(rowInk(b, 13), 0, 'one row thick');
    assert.equal(blackRatio(b, 10, 21, 20, 8), 0, 'inside the flat block');
  });

  it('dithering is left alone', () => {
    const d = faxPageToBitmap(g, { method: 'dither' });
    const plain = greyToBitmap(g, { method: 'dither' });
    assert.deepEqual(d.data, plain.data);
  });
});
