/**
 * Test helpers for the image layer: deterministic document-like bitmaps, and a hand-rolled
 * TIFF builder (independent of src/image/tiff-write.ts) for files our writer never makes —
 * big-endian, SHORT strip tables, grey, palette, RGB, odd layouts.
 */

import { createBitmap, setPixel, type Bitmap } from '../../../src/t4/bitmap.js';

/** A small linear congruential generator (deterministic across runs). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A page with text-like blocks, rules and some noise: a realistic mix of run lengths. */
export function docBitmap(width: number, height: number, seed = 1, dpi?: { x: number; y: number }): Bitmap {
  const b = createBitmap(width, height, dpi);
  const rnd = lcg(seed);
  for (let k = 0; k < Math.max(1, (width * height) / 4000); k++) {
    const x0 = Math.floor(rnd() * width);
    const y0 = Math.floor(rnd() * height);
    const w = 1 + Math.floor(rnd() * Math.min(60, width));
    const h = 1 + Math.floor(rnd() * Math.min(12, height));
    for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) setPixel(b, x, y, true);
  }
  for (let k = 0; k < (width * height) / 50; k++) setPixel(b, Math.floor(rnd() * width), Math.floor(rnd() * height), rnd() < 0.5);
  return b;
}

export interface HandEntry {
  readonly tag: number;
  /** 1 BYTE, 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL. */
  readonly type: 1 | 2 | 3 | 4 | 5;
  /** RATIONAL: [num, den, num, den, …]; or a function of the data offsets (for StripOffsets). */
  readonly values: readonly number[] | ((dataAt: readonly number[]) => number[]);
}

/**
 * A one- or multi-IFD TIFF laid out as: header, then for each page its IFD, its out-of-line
 * values and its data blocks. Entries are sorted by tag. `le` picks II or MM.
 */
export function handTiff(pages: readonly { entries: readonly HandEntry[]; data: readonly Uint8Array[] }[], le: boolean): Uint8Array {
  const size = (t: number): number => (t === 1 || t === 2 ? 1 : t === 3 ? 2 : t === 4 ? 4 : 8);
  // Pass 1: layout.
  let pos = 8;
  const plan = pages.map((p) => {
    const entries = [...p.entries].sort((a, b) => a.tag - b.tag);
    const ifd = pos;
    pos += 2 + entries.length * 12 + 4;
    const dataAt: number[] = [];
    const valueAt: number[] = [];
    const counts = entries.map((e) => {
      const n = typeof e.values === 'function' ? e.values(p.data.map(() => 0)).length : e.values.length;
      return e.type === 5 ? n / 2 : n;
    });
    entries.forEach((e, i) => {
      const bytes = counts[i]! * size(e.type);
      if (bytes > 4) {
        pos += pos & 1;
        valueAt[i] = pos;
        pos += bytes;
      }
    });
    for (const d of p.data) {
      pos += pos & 1;
      dataAt.push(pos);
      pos += d.length;
    }
    return { entries, ifd, dataAt, valueAt, counts, data: p.data };
  });
  const out = new Uint8Array(pos);
  const dv = new DataView(out.buffer);
  out[0] = out[1] = le ? 0x49 : 0x4d;
  dv.setUint16(2, 42, le);
  dv.setUint32(4, plan[0]!.ifd, le);
  plan.forEach((p, pi) => {
    dv.setUint16(p.ifd, p.entries.length, le);
    p.entries.forEach((e, i) => {
      const at = p.ifd + 2 + i * 12;
      const vals = typeof e.values === 'function' ? e.values(p.dataAt) : e.values;
      dv.setUint16(at, e.tag, le);
      dv.setUint16(at + 2, e.type, le);
      dv.setUint32(at + 4, p.counts[i]!, le);
      const v0 = p.valueAt[i] ?? at + 8;
      if (p.valueAt[i] !== undefined) dv.setUint32(at + 8, v0, le);
      const sz = e.type === 5 ? 4 : size(e.type);
      vals.forEach((v, k) => {
        const o = v0 + k * sz;
        if (sz === 1) out[o] = v;
        else if (sz === 2) dv.setUint16(o, v, le);
        else dv.setUint32(o, v, le);
      });
    });
    dv.setUint32(p.ifd + 2 + p.entries.length * 12, pi + 1 < plan.length ? plan[pi + 1]!.ifd : 0, le);
    p.data.forEach((d, k) => out.set(d, p.dataAt[k]));
  });
  return out;
}

export function bitmapsEqual(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height || a.stride !== b.stride) return false;
  for (let i = 0; i < a.stride * a.height; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
