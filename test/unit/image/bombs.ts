/**
 * Decompression and size "bombs" for the document budget tests (issue 9), built in code (no
 * binaries committed): small files that declare or inflate to far more than they hold.
 */

import { deflateSync } from 'node:zlib';
import { pngChunk, writeGreyPng } from '../../../src/image/png.js';
import { concatBytes } from '../../../src/util/bytes.js';

/**
 * A TIFF of `pages` CCITT G4 pages of `size` × `size` pels that all point at one strip of
 * `size / 8` octets of 0xFF — every bit a V0 code (T.6 §2.2.3), so each row is a valid white
 * row: 200 pages of 12000 × 12000 in ~22 KB.
 */
export function tiffManyPagesOneStrip(pages = 200, size = 12000): Uint8Array {
  const entries = 8;
  const ifdBytes = 2 + entries * 12 + 4;
  const stripLen = Math.ceil(size / 8);
  const stripAt = 8;
  const firstIfd = stripAt + stripLen + (stripLen & 1);
  const out = new Uint8Array(firstIfd + pages * ifdBytes);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, firstIfd, true);
  out.fill(0xff, stripAt, stripAt + stripLen);
  for (let p = 0; p < pages; p++) {
    const at = firstIfd + p * ifdBytes;
    dv.setUint16(at, entries, true);
    const tags: [number, number, number][] = [
      [256, 4, size], // ImageWidth LONG
      [257, 4, size], // ImageLength LONG
      [258, 3, 1], // BitsPerSample SHORT
      [259, 3, 4], // Compression = 4 (T.6)
      [262, 3, 0], // PhotometricInterpretation WhiteIsZero
      [273, 4, stripAt], // StripOffsets: the same strip for every page
      [278, 4, size], // RowsPerStrip
      [279, 4, stripLen], // StripByteCounts
    ];
    tags.forEach(([tag, type, v], i) => {
      const e = at + 2 + i * 12;
      dv.setUint16(e, tag, true);
      dv.setUint16(e + 2, type, true);
      dv.setUint32(e + 4, 1, true);
      if (type === 3) dv.setUint16(e + 8, v, true);
      else dv.setUint32(e + 8, v, true);
    });
    dv.setUint32(at + 2 + entries * 12, p + 1 < pages ? at + ifdBytes : 0, true);
  }
  return out;
}

/** An 8-bit greyscale PNG of `width` × `height` whose IDAT is the zlib stream `z`. */
export function pngWithIdat(width: number, height: number, z: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', z), pngChunk('IEND', new Uint8Array(0))];
  return concatBytes(parts);
}

/** 12000 × 12000 declared, IDAT inflates to 10 octets: a 69-octet file. */
export function pngShortIdat(): Uint8Array {
  return pngWithIdat(12000, 12000, deflateSync(new Uint8Array(10)));
}

/** 100 × 100 declared (10 100 octets of scanlines), IDAT inflates to `mb` MB of zeros. */
export function pngLongIdat(mb = 64): Uint8Array {
  return pngWithIdat(100, 100, deflateSync(new Uint8Array(mb << 20), { level: 1 }));
}

/**
 * A JPEG header declaring `width` × `height` (3 components, baseline): SOI, DQT, SOF0, DHT,
 * SOS, two octets of scan, EOI — about 130 octets.
 */
export function jpegHugeHeader(width = 65500, height = 65500): Uint8Array {
  const seg = (marker: number, body: number[]): number[] => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const dqt = seg(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  const sof = seg(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
  const counts = new Array<number>(16).fill(0);
  counts[0] = 1;
  const dhtDc = seg(0xc4, [0x00, ...counts, 0]);
  const dhtAc = seg(0xc4, [0x10, ...counts, 0]);
  const sos = seg(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);
  return Uint8Array.from([0xff, 0xd8, ...dqt, ...sof, ...dhtDc, ...dhtAc, ...sos, 0x00, 0x00, 0xff, 0xd9]);
}

/** A 4 × 40000 grey PNG without a resolution: on unlimited paper it fills 1728 pels across. */
export function pngTallThin(): Uint8Array {
  return writeGreyPng({ width: 4, height: 40000, data: new Uint8Array(4 * 40000).fill(0) });
}
