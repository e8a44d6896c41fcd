/**
 * Libraries loaded on first use. A `faxwire convert in.pdf out.tif` inflates nothing and reads
 * no PNG or JPEG, yet importing pngjs (≈ 24 ms: it brings Node's streams), node:zlib (≈ 11 ms)
 * and jpeg-js (≈ 10 ms) at start cost ≈ 45 ms of a process of ≈ 0.7 s. `createRequire` loads
 * them synchronously when first asked for, so the decoders keep their synchronous API; every
 * later call finds them loaded (Node's module cache, and the variables here).
 */

import { createRequire } from 'node:module';

type Zlib = typeof import('node:zlib');
type PngJs = typeof import('pngjs');
type JpegJs = typeof import('jpeg-js');

const load = createRequire(import.meta.url);
let zlibModule: Zlib | undefined;
let pngModule: PngJs | undefined;
let jpegModule: JpegJs | undefined;

export function zlib(): Zlib {
  return (zlibModule ??= load('node:zlib') as Zlib);
}

export function pngjs(): PngJs {
  return (pngModule ??= load('pngjs') as PngJs);
}

export function jpegJs(): JpegJs {
  return (jpegModule ??= load('jpeg-js') as JpegJs);
}
