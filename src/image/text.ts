/**
 * Text on fax pages: a 5 × 7 pixel bitmap font drawn for this project (printable ASCII
 * 0x20–0x7e), `drawText`, `textWidth` and `fillRect` on a bilevel `Bitmap`, and the page header
 * line fax machines print across the top of each page sent (`stampHeaderLine`: the sender's
 * text on the left, "Page n/N" on the right). T.30 does not define the header line; national
 * rules often require one (the sender's identity and the date).
 *
 * Font table: each glyph is 7 rows of 5 bits, written as 7 base-32 digits (0–9, a–v), top row
 * first; bit 4 is the leftmost pixel.
 */

import { createBitmap, type Bitmap } from '../t4/bitmap.js';

const FONT_5X7 =
  '00000004444404aa00000avaaava4fke5u4op248j3cik8lid44000002488842842224804lel40044v440' +
  '0000c48000v00000000cc01248g0ehjlphe4c4444eeh1248vv2421he26aiv22vgu11he68guhhev124888' +
  'ehhehheehhf12c0cc0cc00cc0c48248g84200v0v008421248eh12404eh1dlleehhvhhhuhhuhhuehggghe' +
  'sihhhisvgguggvvggugggehgnhhfhhhvhhhe44444e72222ichikokihggggggvhrllhhhhhpljhhehhhhhe' +
  'uhhugggehhhliduhhukihfgge11uv444444hhhhhhehhhhha4hhhlllahha4ahhhhha444v1248gve88888e' +
  '0g84210e22222e4ah0000000000v840000000e1fhfggmphhu00egghe11djhhf00ehvge698s8880fhhf1e' +
  'ggmphhh40c444e20622icggikokic44444e00qllhh00mphhh00ehhhe00uhugg00djf1100mpggg00fge1u' +
  '88s889600hhhjd00hhha400hhlla00ha4ah00hhf1e00v248v244844244444448442448008l200';

/** Glyph rows of `ch` (unknown characters print as '?'). */
function glyph(ch: number): string {
  const i = (ch >= 0x20 && ch <= 0x7e ? ch : 0x3f) - 0x20;
  return FONT_5X7.slice(i * 7, i * 7 + 7);
}

/** Width in pixels of `text` drawn with `drawText` at `scale` (6 columns per character). */
export function textWidth(text: string, scale = 1): number {
  return text.length * 6 * scale;
}

/**
 * Draws `text` in black with the built-in 5 × 7 font, top-left corner at (x, y); each font pixel
 * becomes a `scaleX` × `scaleY` block. Pixels outside the bitmap are clipped. Mutates `b`.
 */
export function drawText(b: Bitmap, x: number, y: number, text: string, scaleX = 1, scaleY = scaleX): void {
  for (let c = 0; c < text.length; c++) {
    const g = glyph(text.charCodeAt(c));
    const gx = x + c * 6 * scaleX;
    for (let row = 0; row < 7; row++) {
      const bits = parseInt(g[row] ?? '0', 32);
      for (let col = 0; col < 5; col++) {
        if (((bits >>> (4 - col)) & 1) === 0) continue;
        fillRect(b, gx + col * scaleX, y + row * scaleY, scaleX, scaleY, true);
      }
    }
  }
}

/** Fills a rectangle (clipped to the bitmap) with black or white. Mutates `b`. */
export function fillRect(b: Bitmap, x: number, y: number, w: number, h: number, black: boolean): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(b.width, Math.floor(x + w));
  const y1 = Math.min(b.height, Math.floor(y + h));
  for (let yy = y0; yy < y1; yy++) {
    const rowAt = yy * b.stride;
    for (let xx = x0; xx < x1; xx++) {
      const i = rowAt + (xx >>> 3);
      const m = 0x80 >>> (xx & 7);
      b.data[i] = black ? (b.data[i] ?? 0) | m : (b.data[i] ?? 0) & ~m;
    }
  }
}

/**
 * A copy of `page` with a header line across its top: `text` on the left, "Page n/N" on the
 * right, on a white band (the image under it is covered, as fax machines do). The font is
 * scaled to about 2.5 mm high whatever the vertical resolution.
 */
export function stampHeaderLine(page: Bitmap, text: string, pageNo: number, pages: number): Bitmap {
  const out = createBitmap(page.width, page.height, page.xDpi !== undefined && page.yDpi !== undefined ? { x: page.xDpi, y: page.yDpi } : undefined);
  out.data.set(page.data.subarray(0, out.data.length));
  const sx = 2;
  const sy = (page.yDpi ?? 196) >= 150 ? 2 : 1;
  const band = 11 * sy;
  if (page.height < band || page.width < 64) return out;
  fillRect(out, 0, 0, out.width, band, false);
  const right = `Page ${pageNo}/${pages}`;
  const margin = 24;
  const rightX = out.width - margin - textWidth(right, sx);
  const maxChars = Math.max(0, Math.floor((rightX - margin - 12 * sx) / (6 * sx)));
  drawText(out, margin, 2 * sy, text.slice(0, maxChars), sx, sy);
  drawText(out, rightX, 2 * sy, right, sx, sy);
  return out;
}
