/**
 * `convert` suite: documents to fax pages, faxwire against Ghostscript on the same PDF.
 *
 * Input (made at bench time by `convert-input.ts` in a child process, into a temp dir): a
 * 20-page A4 text PDF (pdf-lib; 7–14 pt text in three fonts, tables of 0.25/0.5 pt rules) and
 * its page 1 rendered grey on the fine fax grid.
 *
 * Whole processes (the suite's `report`, after the timed rows), alternating pairs — gs, then
 * faxwire, `runs` times:
 *   gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 -r204x196 -sOutputFile=out.tif in.pdf
 *   node dist/src/cli/main.js convert in.pdf out.tif --compression mmr
 * Both write a 20-page G4 (T.6) TIFF at 204 × 196 dpi (faxwire's default resolution for a PDF is
 * fine; gs keeps the page's own 1687 pels width, faxwire centres it on the 1728-pel T.4 line).
 * Each process runs under `/usr/bin/time -f '%e %U %S %M'` (wall s, user s, sys s, peak RSS
 * KiB — GNU time reads the child's rusage, which `process.resourceUsage()` in this parent could
 * not give per child); without GNU time, a python3 wrapper reads `RUSAGE_CHILDREN`; without
 * either, wall time only. Under `run.ts` the bench is pinned to one CPU, and the children
 * inherit it: gs and node (with its JIT and WASM compiler threads) each get one core.
 * Reported: pages/s on the wall clock of each, faxwire/gs as the median of the per-pair ratios
 * (with their range), CPU seconds, and peak RSS of each with the ratio. The issue's targets
 * (≥ 0.5× pages/s, goal 1.0×; peak memory ≤ 2×) are printed met / NOT MET, never asserted.
 *
 * Then the library path in a warm process (a child: `convert-input.js --warm`, the PDFium WASM
 * compiled and tiered up, as in a server): pages/s of documentToFaxPages + writeTiff (MMR), and
 * of forEachFaxPageRows + TiffPageWriter.addRows (what the CLI does), each with its ratio to
 * gs's whole-process pages/s.
 *
 * In-process rows: `convert/part/bilevel` — the row-wise threshold with thin strokes kept
 * (bilevel.ts) on the rendered grey page 1 (1728 × 2287), one op = one page, into a reused
 * output page (so heap B/op is the kernel's own); `convert/part/bilevel+mmr` — that, then the
 * page coded T.6 (MMR) from its packed bits (the path before issue 13's fused one);
 * `convert/part/rows-mmr` — the path `faxwire convert` takes for a PDF page: thresholded
 * straight into changing elements for the encoder (GreyRowChanges + encodeT4Rows), verified
 * octet-identical to bilevel+mmr.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GreyRowChanges, thresholdRowsInto } from '../src/image/bilevel.js';
import { encodeT4, encodeT4Rows } from '../src/t4/encoder.js';
import { readPnm } from '../src/image/pnm.js';
import { readTiff } from '../src/image/tiff-read.js';
import type { GreyImage } from '../src/image/grey.js';
import { haveCommand, median, tempDir, type BenchCase, type BenchSuite, type SuiteReportContext } from './lib.js';
import { PAGES } from './convert-input.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const INPUT_SCRIPT = fileURLToPath(new URL('./convert-input.js', import.meta.url));

interface ProcRun {
  readonly wallS: number;
  readonly cpuS?: number;
  readonly rssKiB?: number;
  readonly error?: string;
}

type Meter = 'gnu-time' | 'python' | 'wall';

function meterOf(): Meter {
  if (existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0) return 'gnu-time';
  if (haveCommand('python3')) return 'python';
  return 'wall';
}

/** Python wrapper: runs argv[1:], prints "wall user sys maxrss_kib" of that child on stderr's last line. */
const PY_WRAPPER = [
  'import resource, subprocess, sys, time',
  't = time.monotonic()',
  'rc = subprocess.call(sys.argv[1:])',
  'w = time.monotonic() - t',
  'u = resource.getrusage(resource.RUSAGE_CHILDREN)',
  'sys.stderr.write("%f %f %f %d\\n" % (w, u.ru_utime, u.ru_stime, u.ru_maxrss))',
  'sys.exit(rc)',
].join('\n');

/** Runs one command as a whole process and reads its wall time, CPU time and peak RSS. */
function measure(meter: Meter, cmd: string, args: readonly string[]): ProcRun {
  const t0 = process.hrtime.bigint();
  const r =
    meter === 'gnu-time'
      ? spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8' })
      : meter === 'python'
        ? spawnSync('python3', ['-c', PY_WRAPPER, cmd, ...args], { encoding: 'utf8' })
        : spawnSync(cmd, args, { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) return { wallS: wall, error: `${cmd} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}` };
  if (meter === 'wall') return { wallS: wall };
  const last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  const [w, u, s, m] = last.split(/\s+/).map(Number);
  if (w === undefined || u === undefined || s === undefined || m === undefined || [w, u, s, m].some((x) => !Number.isFinite(x))) return { wallS: wall, error: `cannot read the rusage line '${last}'` };
  // GNU time's %e has 10 ms resolution: take our own clock for wall time (it includes the
  // wrapper's fork/exec, a few ms, alike for both programs).
  return { wallS: wall, cpuS: u + s, rssKiB: m };
}

const fmt = (x: number, d = 2): string => x.toFixed(d);

export function convertSuite(): BenchSuite {
  const name = 'convert';
  const title = 'convert — PDF to fax pages (G4 TIFF), faxwire against Ghostscript';
  const about = `a ${PAGES}-page A4 text PDF made with pdf-lib at bench time (7–14 pt text, 0.25/0.5 pt table rules); fine resolution, 204 × 196 dpi`;
  const notes: string[] = [];
  // The input is made on first use (the verify of the first case), so listing the cases or
  // running other suites does not pay for it.
  let input: { readonly dir: string; readonly pdf: string; readonly page: GreyImage } | undefined;
  const prepare = (): { readonly dir: string; readonly pdf: string; readonly page: GreyImage } => {
    if (input !== undefined) return input;
    const dir = tempDir('convert', false);
    const r = spawnSync(process.execPath, [INPUT_SCRIPT, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`convert bench: the input PDF could not be made (convert-input exited ${r.status ?? r.signal}): ${(r.stderr ?? '').trim()}`);
    const pgm = readPnm(readFileSync(join(dir, 'page1.pgm')));
    const p = pgm.ok ? pgm.value[0] : undefined;
    if (p?.kind !== 'grey') throw new Error('convert bench: page1.pgm did not read back as a grey page');
    input = { dir, pdf: join(dir, 'text20.pdf'), page: p.image };
    return input;
  };
  let out = new Uint8Array(0);
  let stride = 0;
  const bilevel = (): void => {
    const g = prepare().page;
    stride = (g.width + 7) >>> 3;
    if (out.length !== stride * g.height) out = new Uint8Array(stride * g.height);
    out.fill(0);
    thresholdRowsInto({ data: g.data, offset: 0, stride: g.width, width: g.width, height: g.height }, 128, true, out, stride);
  };
  const MMR = { coding: 'mmr', rtc: true } as const;
  const grey = (): { data: Uint8Array; offset: number; stride: number; width: number; height: number } => {
    const g = prepare().page;
    return { data: g.data, offset: 0, stride: g.width, width: g.width, height: g.height };
  };
  const packedMmr = (): Uint8Array => {
    bilevel();
    const g = prepare().page;
    return encodeT4({ width: g.width, height: g.height, stride, data: out }, MMR);
  };
  const rowsMmr = (): Uint8Array => encodeT4Rows(new GreyRowChanges(grey(), 128, true), MMR);
  const cases: BenchCase[] = [
    {
      name: 'convert/part/bilevel+mmr',
      description: 'grey fine page → bilevel page (as convert/part/bilevel) → T.6 (MMR) from the packed bits',
      unit: 'page',
      part: true,
      run: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += packedMmr().length;
        return s;
      },
    },
    {
      name: 'convert/part/rows-mmr',
      description: "grey fine page → T.6 (MMR), thresholded straight into changing elements (GreyRowChanges + encodeT4Rows): convert's PDF path",
      unit: 'page',
      part: true,
      verify: () => {
        const a = packedMmr();
        const b = rowsMmr();
        if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error('convert bench: rows-mmr differs from bilevel+mmr');
      },
      run: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += rowsMmr().length;
        return s;
      },
    },
    {
      name: 'convert/part/bilevel',
      description: 'grey fine page 1728×2287 → bilevel, threshold 128 + thin strokes (bilevel.ts), into a reused page',
      unit: 'page',
      verify: () => {
        bilevel();
        const g = prepare().page;
        let ink = 0;
        for (const b of out) for (let v = b; v !== 0; v &= v - 1) ink++;
        const ratio = ink / (g.width * g.height);
        notes.push(`page 1 on the fine grid (${g.width}×${g.height}): ${(ratio * 100).toFixed(2)} % black after the threshold with thin strokes kept`);
        if (!(ratio > 0.01 && ratio < 0.2)) throw new Error(`convert bench: bilevel page 1 is ${(ratio * 100).toFixed(2)} % black, not a text page`);
      },
      run: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          bilevel();
          s += out[(i * 4099) % out.length]!;
        }
        return s;
      },
    },
  ];

  const report = (ctx: SuiteReportContext): string[] => {
    const lines: string[] = [];
    const { dir, pdf } = prepare();
    if (!existsSync(MAIN)) return [`whole process: ${MAIN} not built (npx tsc) — no comparison`];
    const haveGs = haveCommand('gs');
    if (!haveGs) lines.push('!!! Ghostscript (gs) not found: faxwire whole-process figures stand alone (apt-get install ghostscript) !!!');
    const meter = meterOf();
    if (meter === 'wall') lines.push('!!! neither /usr/bin/time nor python3: wall time only, no CPU or peak RSS !!!');
    const gsOut = join(dir, 'gs.tif');
    const fwOut = join(dir, 'fw.tif');
    const gsArgs = ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=tiffg4', '-r204x196', `-sOutputFile=${gsOut}`, pdf];
    const fwArgs = [MAIN, 'convert', pdf, fwOut, '--compression', 'mmr'];
    const gs: ProcRun[] = [];
    const fw: ProcRun[] = [];
    const runs = Math.max(3, ctx.settings.runs);
    // One untimed run of each first: the page cache, and gs's and node's own start-up files.
    if (haveGs) measure(meter, 'gs', gsArgs);
    measure(meter, process.execPath, fwArgs);
    for (let i = 0; i < runs; i++) {
      if (haveGs) gs.push(measure(meter, 'gs', gsArgs));
      fw.push(measure(meter, process.execPath, fwArgs));
    }
    const failed = [...gs, ...fw].find((r) => r.error !== undefined);
    if (failed) return [...lines, `!!! a run failed: ${failed.error} !!!`];
    // The outputs: both 20 pages.
    const fwPages = readTiff(readFileSync(fwOut));
    const fwDesc = fwPages.ok ? `${fwPages.value.length} pages` : `unreadable (${fwPages.error.message})`;
    const gsPages = haveGs ? readTiff(readFileSync(gsOut)) : undefined;
    const gsDesc = gsPages === undefined ? '' : gsPages.ok ? `${gsPages.value.length} pages` : `unreadable (${gsPages.error.message})`;
    lines.push(
      `whole process, ${runs} alternating pairs (gs, faxwire), each after one untimed run; outputs: faxwire ${fwDesc} (${statSync(fwOut).size} octets)` +
        (haveGs ? `, gs ${gsDesc} (${statSync(gsOut).size} octets)` : ''),
    );
    const pps = (r: ProcRun): number => PAGES / r.wallS;
    const row = (who: string, rs: readonly ProcRun[]): string => {
      const p = rs.map(pps);
      const cpu = rs.map((r) => r.cpuS ?? NaN);
      const rss = rs.map((r) => r.rssKiB ?? NaN);
      return (
        `  ${who.padEnd(8)} ${fmt(median(p), 1).padStart(6)} pages/s (${fmt(Math.min(...p), 1)}..${fmt(Math.max(...p), 1)}), ` +
        `${fmt(median(rs.map((r) => r.wallS)), 3)} s wall` +
        (meter === 'wall' ? '' : `, ${fmt(median(cpu), 3)} s CPU, peak RSS ${fmt(median(rss) / 1024, 1)} MiB (${fmt(Math.min(...rss) / 1024, 1)}..${fmt(Math.max(...rss) / 1024, 1)})`)
      );
    };
    if (haveGs) lines.push(row('gs', gs));
    lines.push(row('faxwire', fw));
    if (haveGs) {
      const ratios = fw.map((r, i) => pps(r) / pps(gs[i]!));
      const ratio = median(ratios);
      const verdict = ratio >= 1 ? 'goal 1.0× met' : ratio >= 0.5 ? 'target ≥ 0.5× met (goal 1.0× not)' : 'target ≥ 0.5× NOT MET';
      lines.push(`  faxwire/gs pages/s: ${fmt(ratio)}× (pairs ${fmt(Math.min(...ratios))}..${fmt(Math.max(...ratios))}) — ${verdict}`);
      if (meter !== 'wall') {
        const mem = median(fw.map((r) => r.rssKiB!)) / median(gs.map((r) => r.rssKiB!));
        lines.push(`  faxwire/gs peak RSS: ${fmt(mem)}× — target ≤ 2× ${mem <= 2 ? 'met' : 'NOT MET'}`);
        const cpu = median(fw.map((r) => r.cpuS!)) / median(gs.map((r) => r.cpuS!));
        lines.push(`  faxwire/gs CPU time: ${fmt(cpu)}× (faxwire's includes node's start-up and the PDFium WASM compile)`);
      }
    }
    // The library in a warm process: what a server converting one document after another gets.
    for (const [mode, what] of [
      ['pages', 'documentToFaxPages + writeTiff MMR'],
      ['rows', "forEachFaxPageRows + TiffPageWriter.addRows MMR, convert's path"],
    ] as const) {
      const w = spawnSync(process.execPath, [INPUT_SCRIPT, '--warm', pdf, String(runs), mode], { encoding: 'utf8' });
      const wj = w.status === 0 ? (JSON.parse(w.stdout.trim().split('\n').pop() ?? '{}') as { wallPagesPerSec?: number; cpuPagesPerSec?: number }) : {};
      if (wj.wallPagesPerSec !== undefined && wj.cpuPagesPerSec !== undefined) {
        const gsWall = haveGs ? median(gs.map(pps)) : undefined;
        const gsCpu = haveGs && meter !== 'wall' ? median(gs.map((r) => PAGES / r.cpuS!)) : undefined;
        lines.push(
          `  faxwire library in a warm process (${what}, ${runs} × ${PAGES} pages after 2 untimed): ${fmt(wj.wallPagesPerSec, 1)} pages/s wall, ${fmt(wj.cpuPagesPerSec, 1)} pages/s CPU` +
            (gsWall !== undefined ? ` — ${fmt(wj.wallPagesPerSec / gsWall)}× gs's whole-process pages/s (wall)` : '') +
            (gsCpu !== undefined ? `, ${fmt(wj.cpuPagesPerSec / gsCpu)}× on CPU` : ''),
        );
      } else {
        lines.push(`  !!! the warm in-process run (${mode}) failed: ${(w.stderr ?? '').trim()} !!!`);
      }
    }
    return lines;
  };
  return { name, title, input: about, cases, baselines: [], notes, report };
}
