/**
 * Fax image coding benchmarks: T.4 MH, T.4 MR (k = 4) and T.6 MMR, encode and decode of the 8
 * CCITT test pages (1728 × 2376, ../shared/corpus/spandsp/test-data/itu/fax/itu1..8.pbm), pages
 * per second on one core, against libtiff's CCITT codec measured in the same run by a C program
 * built at bench time (bench/c/t4_libtiff.c, -ltiff).
 *
 * Like with like: libtiff writes TIFF Class F streams (an EOL before every row, no RTC; MR with
 * k = 4 because the TIFF says 196 dpi; MMR with EOFB), so our encoder runs with the same
 * conventions (`rtc: false` for MH/MR) — and produces the same octets, which the work
 * fingerprints check. The decoders decode those streams into a preallocated page buffer (libtiff:
 * TIFFReadEncodedStrip into a malloc'ed buffer; ours: decodeT4 with `into`). The breakdown also
 * shows decodeT4 returning a fresh bitmap per page, and the streaming decoder fed 54-octet chunks
 * (one V.17 14400 T.38 IFP every 30 ms).
 *
 * One operation = one page; the 8 pages are used round-robin.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bitmap } from '../src/t4/bitmap.js';
import { decodeT4, encodeT4, T4Decoder, type T4Coding, type T4EncodeOptions } from '../src/t4/index.js';
import {
  compileC,
  debVersion,
  fingerprint,
  fnv1a,
  FNV_INIT,
  repoRoot,
  runBaselineProgram,
  sharedDir,
  tempDir,
  type Baseline,
  type BaselineRunner,
  type BaselineUnavailable,
  type BenchCase,
  type BenchSettings,
  type BenchSuite,
} from './lib.js';

const CODINGS: readonly T4Coding[] = ['mh', 'mr', 'mmr'];
const CHUNK = 54;

interface Pages {
  readonly pages: Bitmap[];
  readonly source: string;
}

/** Raw PBM (P4). */
function readPbm(file: string): Bitmap {
  const b = readFileSync(file);
  const m = /^P4\s+(?:#[^\n]*\n\s*)*(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)\s/.exec(b.toString('latin1', 0, 200));
  if (m === null) throw new Error(`bench t4: ${file} is not a raw PBM`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  const stride = (width + 7) >>> 3;
  const data = new Uint8Array(b.subarray(m[0].length, m[0].length + stride * height));
  if (data.length !== stride * height) throw new Error(`bench t4: ${file} is truncated`);
  return { width, height, stride, data };
}

/** Stand-in pages when the corpus is missing: lines of "text" (random glyph-like blobs). */
function syntheticPages(): Bitmap[] {
  let x = 12345;
  const rnd = (n: number): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
  const pages: Bitmap[] = [];
  for (let p = 0; p < 8; p++) {
    const width = 1728;
    const height = 2376;
    const stride = 216;
    const data = new Uint8Array(stride * height);
    for (let line = 120; line + 40 < height - 120; line += 48 + rnd(20)) {
      for (let cx = 100; cx < width - 120; cx += 14 + rnd(8)) {
        if (rnd(7) === 0) continue;
        const w = 3 + rnd(9);
        const h = 10 + rnd(20);
        for (let yy = line; yy < line + h; yy++) {
          for (let xx = cx; xx < cx + w; xx++) if (rnd(5) !== 0) data[yy * stride + (xx >>> 3)]! |= 0x80 >>> (xx & 7);
        }
      }
    }
    pages.push({ width, height, stride, data });
  }
  return pages;
}

function loadPages(): Pages {
  const dir = join(sharedDir(), 'corpus', 'spandsp', 'test-data', 'itu', 'fax');
  const files = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => join(dir, `itu${n}.pbm`));
  if (files.every((f) => existsSync(f))) return { pages: files.map(readPbm), source: `the 8 CCITT test pages (${dir}/itu1..8.pbm)` };
  return { pages: syntheticPages(), source: `SYNTHETIC pages (corpus not found at ${dir}) — not comparable with published figures` };
}

/** Encoder options equal to libtiff's conventions for each coding (see the module comment). */
function encodeOptions(coding: T4Coding): T4EncodeOptions {
  switch (coding) {
    case 'mh':
      return { coding, rtc: false };
    case 'mr':
      return { coding, rtc: false, k: 4 };
    case 'mmr':
      return { coding };
  }
}

/** Pool file for the C program: "FWT4", u32 LE count, count × (u32 width, u32 height, rows). */
function poolFile(pages: readonly Bitmap[]): Uint8Array {
  const size = 8 + pages.reduce((n, p) => n + 8 + p.height * p.stride, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set([0x46, 0x57, 0x54, 0x34], 0);
  dv.setUint32(4, pages.length, true);
  let o = 8;
  for (const p of pages) {
    dv.setUint32(o, p.width, true);
    dv.setUint32(o + 4, p.height, true);
    o += 8;
    for (let y = 0; y < p.height; y++) out.set(p.data.subarray(y * p.stride, y * p.stride + ((p.width + 7) >>> 3)), o + y * ((p.width + 7) >>> 3));
    o += p.height * ((p.width + 7) >>> 3);
  }
  return out;
}

function fail(what: string): never {
  throw new Error(`bench t4: code under test gives wrong results: ${what}`);
}

function samePage(a: Uint8Array, p: Bitmap): boolean {
  if (a.length !== p.height * p.stride) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== p.data[i]) return false;
  return true;
}

function cases(set: Pages): BenchCase[] {
  const { pages } = set;
  const n = pages.length;
  const maxBytes = Math.max(...pages.map((p) => p.height * p.stride));
  const out: BenchCase[] = [];
  for (const coding of CODINGS) {
    const opts = encodeOptions(coding);
    const streams = pages.map((p) => encodeT4(p, opts));
    const verify = (): void => {
      pages.forEach((p, i) => {
        const r = decodeT4(streams[i]!, { coding, width: p.width });
        if (r.rows !== p.height || r.badRows !== 0 || !samePage(r.bitmap.data, p)) fail(`${coding} page ${i} round trip`);
      });
    };
    const encodeCheck = (): string => {
      let h = FNV_INIT;
      for (const p of pages) h = fnv1a(h, encodeT4(p, opts));
      return fingerprint(h, n);
    };
    const decodeCheck = (): string => {
      let h = FNV_INIT;
      pages.forEach((p, i) => {
        h = fnv1a(h, decodeT4(streams[i]!, { coding, width: p.width }).bitmap.data);
      });
      return fingerprint(h, n);
    };
    {
      let i = 0;
      out.push({
        name: `t4/encode/${coding}`,
        description: `encodeT4(page, ${JSON.stringify(opts)})`,
        unit: 'page',
        baseline: `c/libtiff/encode/${coding}`,
        verify,
        check: encodeCheck,
        run: (k) => {
          let acc = 0;
          for (let j = 0; j < k; j++) acc += encodeT4(pages[i++ % n]!, opts).length;
          return acc;
        },
      });
    }
    {
      let i = 0;
      const into = new Uint8Array(maxBytes);
      out.push({
        name: `t4/decode/${coding}`,
        description: `decodeT4(stream, { coding: '${coding}', width, into }) — rows into a reused page buffer`,
        unit: 'page',
        baseline: `c/libtiff/decode/${coding}`,
        verify,
        check: decodeCheck,
        run: (k) => {
          let acc = 0;
          for (let j = 0; j < k; j++) {
            const p = i++ % n;
            acc += decodeT4(streams[p]!, { coding, width: pages[p]!.width, into }).rows;
          }
          return acc;
        },
      });
    }
    {
      let i = 0;
      out.push({
        name: `t4/part/decode-new-bitmap/${coding}`,
        description: `decodeT4(stream, { coding: '${coding}', width }) — a fresh bitmap per page`,
        unit: 'page',
        part: true,
        baseline: `c/libtiff/decode/${coding}`,
        run: (k) => {
          let acc = 0;
          for (let j = 0; j < k; j++) {
            const p = i++ % n;
            acc += decodeT4(streams[p]!, { coding, width: pages[p]!.width }).rows;
          }
          return acc;
        },
      });
    }
    {
      let i = 0;
      const into = new Uint8Array(maxBytes);
      out.push({
        name: `t4/part/decode-stream-${CHUNK}/${coding}`,
        description: `T4Decoder.push() of ${CHUNK}-octet chunks (one V.17 14400 IFP each) + finish()`,
        unit: 'page',
        part: true,
        baseline: `c/libtiff/decode/${coding}`,
        run: (k) => {
          let acc = 0;
          for (let j = 0; j < k; j++) {
            const p = i++ % n;
            const s = streams[p]!;
            const d = new T4Decoder({ coding, width: pages[p]!.width, into });
            for (let o = 0; o < s.length; o += CHUNK) acc += d.push(s.subarray(o, o + CHUNK));
            acc += d.finish().rows;
          }
          return acc;
        },
      });
    }
  }
  return out;
}

const C_RESULTS = CODINGS.flatMap((c) => [`c/libtiff/encode/${c}`, `c/libtiff/decode/${c}`]);

function cBaseline(set: Pages): Baseline {
  return {
    name: 'c/t4_libtiff',
    provides: C_RESULTS,
    prepare: (settings: BenchSettings): BaselineRunner | BaselineUnavailable => {
      const lib = debVersion('libtiff-dev') ?? debVersion('libtiff6');
      const about = [
        `C: bench/c/t4_libtiff.c + -ltiff (libtiff ${lib ?? '(version unknown: dpkg-query found no libtiff-dev)'}): tif_fax3.c through the public API, in-memory TIFFs`,
      ];
      const dir = tempDir('t4', settings.keepTemp);
      const includeDirs = ['/usr/include/x86_64-linux-gnu', '/usr/include'].filter((d) => existsSync(join(d, 'tiffio.h')));
      const built = compileC({
        sources: [join(repoRoot(), 'bench', 'c', 't4_libtiff.c')],
        includeDirs,
        libs: ['-ltiff'],
        outDir: dir,
        exeName: 't4_libtiff',
      });
      if (!built.ok) {
        return { unavailable: `${built.reason}\n(needs gcc and libtiff-dev: apt-get install build-essential libtiff-dev)`, about };
      }
      about.unshift(`C compiler: ${built.compiler}`);
      if (settings.keepTemp) about.push(`temporary directory kept: ${dir}`);
      const poolPath = join(dir, 'pages.bin');
      writeFileSync(poolPath, poolFile(set.pages));
      const clock = settings.clock === 'wall' ? ['--wall'] : [];
      // For the record: the fixed TIFF open + tags + close cost inside each libtiff encode op.
      const o = runBaselineProgram(built.exe, [...clock, poolPath, '0.2', '1', '0.05', 'c/libtiff/tiff-overhead']);
      const ns = o.results[0]?.nsPerOp[0];
      if (ns !== undefined) about.push(`libtiff encode ops include TIFFClientOpen + tags + TIFFClose: ${(ns / 1000).toFixed(0)} µs of each`);
      // C needs no JIT warm-up: a short one settles caches and branch predictors.
      const warmup = Math.min(settings.warmupSeconds, 0.25);
      return {
        about,
        run: (wanted, runs) =>
          runBaselineProgram(built.exe, [...clock, poolPath, String(settings.minSeconds), String(runs ?? settings.runs), String(warmup), ...wanted]),
      };
    },
  };
}

export function t4Suite(): BenchSuite {
  const set = loadPages();
  const p = set.pages[0]!;
  return {
    name: 't4',
    title: 'fax image coding: T.4 MH, T.4 MR (k=4), T.6 MMR — encode and decode, pages/s',
    input: `${set.source}, ${p.width}×${p.height}; streams as libtiff writes them (EOL per row, no RTC; MMR with EOFB)`,
    cases: cases(set),
    baselines: [cBaseline(set)],
  };
}
