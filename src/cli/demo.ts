/**
 * `faxwire demo` — the picture of issue 11, all faxwire, in this process on loopback UDP:
 *
 * ```
 *  audio fax terminal ──A-law/RTP──▶ gateway A ──T.38/UDPTL, lossy──▶ gateway B ──A-law/RTP──▶ audio fax terminal
 *   (caller, sends)      (8 kHz frames)            (loss each way,        (remodulates)          (answerer, receives)
 *                                                   redundancy repairs)
 * ```
 * Two G3 fax machines (AudioTerminal: T.30 over V.21/V.17/V.29/V.27ter modems on 8 kHz audio)
 * each on an audio leg of its own (one 20 ms A-law frame per UDP datagram behind an RTP header,
 * audio-driver.ts), two T.38 gateways (gateway-driver.ts) that demodulate one leg into IFPs and
 * remodulate the other's, and between the gateways UDPTL with simulated packet loss on both
 * receive paths (default 3 %) repaired by redundancy (default 3 secondaries). The caller sends a
 * built-in two-page test document (drawn here with the built-in 5 × 7 font); the fax clock runs
 * faster than real time (`--speed`, default 4: four audio legs of real DSP share one process).
 * Prints one line per hop — each terminal's result, each gateway's summary line, the network —
 * writes what was received to `faxwire-demo.pdf` (or `--out`), and exits 0 only when every page
 * arrived pixel-identical to what was sent.
 */

import { T38Gateway } from '../fax/gateway/gateway.js';
import { AudioTerminal } from '../fax/terminal/audio-terminal.js';
import { drawText, fillRect, textWidth } from '../image/text.js';
import { createBitmap, setPixel, type Bitmap } from '../t4/bitmap.js';
import { runAudioTerminal } from '../node/audio-driver.js';
import { runGateway, type GatewayDriverOutcome } from '../node/gateway-driver.js';
import { openUdpSocket } from '../node/udp-driver.js';
import type { T30Event } from '../t30/engine.js';
import type { T30Result } from '../t30/result.js';
import type { T38Version } from '../t38/ifp.js';
import { UsageError, parseCommandArgs, parseNumber } from './command.js';
import { IDENTITY_OPTIONS, IDENTITY_USAGE, configuredIdentity } from './config.js';
import { resultLine } from './gateway-result.js';
import { PageCollector, outputFormatOf, writePages } from './pages-out.js';

// ---------------------------------------------------------------------------------------------
// The test document

const PAGE_W = 1728; // T.4 standard width, 215 mm at 8.04 pels/mm
const PAGE_H = 2287; // A4 (297 mm) at fine resolution, 7.7 lines/mm

const TEXT = [
  'This page was drawn by faxwire and sent as a T.38 fax: a T.30 session between',
  'two terminals, the image coded with T.4/T.6, each signal carried in IFP packets',
  'over UDPTL, on a lossy loopback network repaired by redundant packets.',
  '',
  'Phase A  CNG / CED          Phase B  DIS, TSI + DCS, TCF, CFR',
  'Phase C  the page (ECM frames or a T.4 bit stream)',
  'Phase D  MPS / EOP, MCF     Phase E  DCN',
  '',
  'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789',
  'the quick brown fox jumps over the lazy dog !?@#$%&*()[]{}<>+-=/\\|~',
];

function line(b: Bitmap, x0: number, y0: number, x1: number, y1: number, w: number): void {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= n; i++) {
    const x = x0 + ((x1 - x0) * i) / n;
    const y = y0 + ((y1 - y0) * i) / n;
    fillRect(b, Math.round(x - w / 2), Math.round(y - w / 2), w, w, true);
  }
}

/** A ring (or a disc when inner = 0); `sy` squeezes it vertically for non-square pixels. */
function ring(b: Bitmap, cx: number, cy: number, outer: number, inner: number, sy = 1): void {
  for (let y = Math.floor(cy - outer * sy); y <= cy + outer * sy; y++) {
    for (let x = Math.floor(cx - outer); x <= cx + outer; x++) {
      const dx = x - cx;
      const dy = (y - cy) / sy;
      const d2 = dx * dx + dy * dy;
      if (d2 <= outer * outer && d2 >= inner * inner && x >= 0 && y >= 0 && x < b.width && y < b.height) setPixel(b, x, y, true);
    }
  }
}

function triangle(b: Bitmap, ax: number, ay: number, bx: number, by: number, cx: number, cy: number): void {
  const minY = Math.max(0, Math.floor(Math.min(ay, by, cy)));
  const maxY = Math.min(b.height - 1, Math.ceil(Math.max(ay, by, cy)));
  const edges: [number, number, number, number][] = [
    [ax, ay, bx, by],
    [bx, by, cx, cy],
    [cx, cy, ax, ay],
  ];
  for (let y = minY; y <= maxY; y++) {
    const xs: number[] = [];
    for (const [x0, y0, x1, y1] of edges) {
      if ((y >= y0 && y < y1) || (y >= y1 && y < y0)) xs.push(x0 + ((y - y0) * (x1 - x0)) / (y1 - y0));
    }
    if (xs.length >= 2) {
      const l = Math.min(...xs);
      const r = Math.max(...xs);
      fillRect(b, Math.round(l), y, Math.round(r - l), 1, true);
    }
  }
}

function frame(b: Bitmap, x: number, y: number, w: number, h: number, t: number): void {
  fillRect(b, x, y, w, t, true);
  fillRect(b, x, y + h - t, w, t, true);
  fillRect(b, x, y, t, h, true);
  fillRect(b, x + w - t, y, t, h, true);
}

/** One page of the built-in test document (fine resolution, 204 × 196 dpi). */
export function demoPage(pageNo: number, pages: number): Bitmap {
  const b = createBitmap(PAGE_W, PAGE_H, { x: 204, y: 196 });
  frame(b, 40, 40, PAGE_W - 80, PAGE_H - 80, 4);
  // Title
  drawText(b, 110, 110, 'faxwire', 16, 16);
  drawText(b, 112, 250, 'T.38 FAX OVER IP IN TYPESCRIPT', 4, 4);
  fillRect(b, 110, 300, PAGE_W - 220, 6, true);
  if (pageNo === 1) {
    TEXT.forEach((t, i) => drawText(b, 110, 350 + i * 40, t, 3, 4));
    // Grid with a fine and a coarse pitch.
    const gx = 110;
    const gy = 800;
    for (let i = 0; i <= 20; i++) {
      const w = i % 5 === 0 ? 3 : 1;
      fillRect(b, gx + i * 30, gy, w, 600, true);
      fillRect(b, gx, gy + i * 30, 600, w, true);
    }
    // Concentric rings and a disc (pixels are square at 204 × 196, near enough).
    for (let r = 40; r <= 280; r += 40) ring(b, 1170, 1100, r, r - 6);
    ring(b, 1170, 1100, 24, 0);
    // A starburst of lines.
    for (let a = 0; a < 360; a += 10) {
      const rad = (a * Math.PI) / 180;
      line(b, 420, 1750, 420 + Math.cos(rad) * 260, 1750 + Math.sin(rad) * 260, 2);
    }
    // A triangle and a checkerboard.
    triangle(b, 900, 1990, 1150, 1520, 1400, 1990);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) if ((x + y) % 2 === 0) fillRect(b, 1460 + x * 22, 1520 + y * 22, 22, 22, true);
  } else {
    drawText(b, 110, 350, 'RESOLUTION AND RENDERING CHECK', 4, 5);
    // Line-pair groups of decreasing pitch.
    let x = 110;
    for (const pitch of [12, 8, 6, 4, 3, 2]) {
      for (let i = 0; i < 10; i++) fillRect(b, x + i * pitch * 2, 450, pitch, 300, true);
      drawText(b, x, 770, `${pitch}px`, 3, 3);
      x += pitch * 20 + 40;
    }
    // Horizontal line pairs.
    for (let i = 0; i < 20; i++) fillRect(b, 110, 880 + i * 8, 700, 4, true);
    // Alphabet in several sizes.
    [2, 3, 4, 6].forEach((s, i) => drawText(b, 110, 1100 + i * 110, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789'.slice(0, Math.floor(1500 / (6 * s))), s, s));
    // Diagonals and an ellipse.
    for (let i = 0; i < 12; i++) line(b, 110 + i * 40, 1600, 560 + i * 40, 2050, 2);
    ring(b, 1250, 1830, 300, 290, 0.7);
    ring(b, 1250, 1830, 150, 0, 0.7);
  }
  const foot = `PAGE ${pageNo} / ${pages}`;
  drawText(b, PAGE_W - 110 - textWidth(foot, 4), PAGE_H - 150, foot, 4, 4);
  drawText(b, 110, PAGE_H - 142, 'faxwire demo', 3, 3);
  return b;
}

/** The built-in test document. */
export function demoDocument(): Bitmap[] {
  return [demoPage(1, 2), demoPage(2, 2)];
}

// ---------------------------------------------------------------------------------------------
// The call

const DEMO_TX_IDENT = 'FAXWIRE DEMO TX';
const DEMO_RX_IDENT = 'FAXWIRE DEMO RX';
/** Play-out cushion on every audio leg, frames: 8 × 20 ms of fax time = 40 ms of wall time at ×4, for a busy machine. */
const CUSHION = 8;

export const USAGE = `usage: faxwire demo [--out FILE.pdf|.tif] [--loss PCT] [--redundancy N] [--speed F] [--no-ecm] [--t38-version N] [--seed N] [--timeout SEC] [--json] [--ident STR] [--config FILE]
  Sends the built-in 2-page test document from an audio fax terminal through a T.38 gateway,
  over UDPTL with PCT % of the datagrams lost on each receive path (default 3, up to 50) and N
  redundant IFPs per datagram (default 3, up to 15), through a second gateway to an audio fax
  terminal — all faxwire, on loopback UDP, the audio legs A-law over RTP. The fax clock runs F×
  the wall clock (default 4). Prints what each hop saw; writes the received pages to FILE
  (default faxwire-demo.pdf); exit 0 only when they are pixel-identical to the ones sent.
  --t38-version 0..3 (default 0), --seed N the loss pattern (default 1), --timeout SEC the
  wall-clock limit (default 120). The caller's identity (TSI) is the configured one, else
  "${DEMO_TX_IDENT}"; the answerer's is "${DEMO_RX_IDENT}".
${IDENTITY_USAGE}`;

function summary(who: string, r: T30Result | undefined, sender: boolean): string {
  if (!r) return `${who}: no result`;
  return `${who}: ${r.ok ? 'OK' : 'FAILED'} (${r.code}: ${r.message}) pages=${sender ? r.pagesSent : r.pagesReceived} ${r.bitRate} bit/s ${r.modulation ?? '-'} ecm=${r.ecm ? 'on' : 'off'} coding=${r.coding ?? '-'} remote="${r.remoteIdent}" bad_rows=${r.badRows}`;
}

function sameBitmap(x: Bitmap, y: Bitmap): boolean {
  if (x.width !== y.width || x.height !== y.height || x.data.length !== y.data.length) return false;
  for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i]) return false;
  return true;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      out: { type: 'string', short: 'o', default: 'faxwire-demo.pdf' },
      loss: { type: 'string', default: '3' },
      redundancy: { type: 'string', default: '3' },
      speed: { type: 'string', default: '4' },
      'no-ecm': { type: 'boolean', default: false },
      't38-version': { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '120' },
      json: { type: 'boolean', default: false },
      ...IDENTITY_OPTIONS,
    },
  });
  const loss = parseNumber(values.loss, '--loss', 0, 50, false) ?? 3;
  const redundancy = parseNumber(values.redundancy, '--redundancy', 0, 15, true) ?? 3;
  const speed = parseNumber(values.speed, '--speed', 0.01, 100, false) ?? 4;
  const version = (parseNumber(values['t38-version'], '--t38-version', 0, 3, true) ?? 0) as T38Version;
  const seed = parseNumber(values.seed, '--seed', 1, 0xffffffff, true) ?? 1;
  const timeout = parseNumber(values.timeout, '--timeout', 0.1, 86_400, false) ?? 120;
  const format = outputFormatOf(values.out);
  if (format === undefined) throw new UsageError(`--out: cannot tell the format of '${values.out}' (use .tif, .tiff, .pdf, .png or .pbm)`);
  const ident = configuredIdentity({ ident: values.ident, config: values.config }).ident ?? DEMO_TX_IDENT;
  const ecm = !values['no-ecm'];
  const pages = demoDocument();
  const ec = redundancy === 0 ? ({ mode: 'none' } as const) : ({ mode: 'redundancy', depth: { indicator: redundancy, control: redundancy, image: redundancy } } as const);
  // No header line: the self-check compares the received pages with these bitmaps pixel for pixel.
  const caller = new AudioTerminal({ role: 'calling', send: { pages }, ident, ecm });
  const answerer = new AudioTerminal({ role: 'answering', receive: true, ident: DEMO_RX_IDENT, ecm });
  const gwA = new T38Gateway({ t38Version: version, errorCorrection: ec });
  const gwB = new T38Gateway({ t38Version: version, errorCorrection: ec });
  const collector = new PageCollector();
  // Six sockets: caller audio, gateway A audio + T.38, gateway B T.38 + audio, answerer audio.
  const [sCaller, sAa, sAt, sBt, sBa, sAnswerer] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => openUdpSocket(0, '127.0.0.1')));
  if (!sCaller || !sAa || !sAt || !sBt || !sBa || !sAnswerer) throw new Error('demo: sockets');
  const port = (s: typeof sCaller): number => s.address().port;
  if (!values.json) {
    process.stdout.write(
      `faxwire demo: ${pages.length} pages, audio fax terminal :${port(sCaller)} -> gateway A :${port(sAa)}/:${port(sAt)} -> T.38 v${version} UDPTL ` +
        `(${loss} % loss each way, redundancy ${redundancy}) -> gateway B :${port(sBt)}/:${port(sBa)} -> audio fax terminal :${port(sAnswerer)}; ` +
        `A-law/RTP audio legs, ECM ${ecm ? 'on' : 'off'}, fax clock ${speed}x real time\n`,
    );
  }
  const progress = process.stderr.isTTY === true && !values.json;
  const onTx = (e: T30Event): void => {
    if (!progress) return;
    if (e.type === 'page-tx-start') process.stderr.write(`  sending page ${e.page} (${(e.octets / 1024).toFixed(1)} kB ${e.coding}, ${e.modulation}${e.ecm ? ', ECM' : ''})\n`);
    if (e.type === 'page-tx-end') process.stderr.write(`  page ${e.page}: ${e.response}\n`);
  };
  const timeoutMs = timeout * 1000;
  const audio = { codec: 'alaw' as const, rtp: true, cushion: CUSHION, localPort: 0, remoteHost: '127.0.0.1', speed, timeoutMs };
  const gwCommon = { speed, timeoutMs, idleSec: 2 };
  const [tx, oa, ob, rx]: [Awaited<ReturnType<typeof runAudioTerminal>>, GatewayDriverOutcome, GatewayDriverOutcome, Awaited<ReturnType<typeof runAudioTerminal>>] = await Promise.all([
    runAudioTerminal<T30Event>({ ...audio, terminal: caller, socket: sCaller, remotePort: port(sAa), onEvent: onTx }),
    runGateway({
      ...gwCommon,
      gateway: gwA,
      audio: { codec: 'alaw', rtp: true, cushion: CUSHION, localPort: 0, socket: sAa, remoteHost: '127.0.0.1', remotePort: port(sCaller) },
      t38: { localPort: 0, socket: sAt, remoteHost: '127.0.0.1', remotePort: port(sBt), lossPercent: loss, lossSeed: seed * 11 },
    }),
    runGateway({
      ...gwCommon,
      gateway: gwB,
      audio: { codec: 'alaw', rtp: true, cushion: CUSHION, localPort: 0, socket: sBa, remoteHost: '127.0.0.1', remotePort: port(sAnswerer) },
      t38: { localPort: 0, socket: sBt, remoteHost: '127.0.0.1', remotePort: port(sAt), lossPercent: loss, lossSeed: seed * 7 },
    }),
    runAudioTerminal<T30Event>({ ...audio, terminal: answerer, socket: sAnswerer, remotePort: port(sBa), onEvent: collector.onEvent }),
  ]);
  let written = '';
  if (collector.pages.length > 0) written = (await writePages(values.out, format, collector.pages)).join(', ');
  const identical = collector.pages.length === pages.length && collector.pages.every((p, i) => sameBitmap(p.bitmap, pages[i] as Bitmap));
  const ok = caller.result?.ok === true && answerer.result?.ok === true && identical;
  const wallSec = Math.max(tx.wallMs, rx.wallMs, oa.wallMs, ob.wallMs) / 1000;
  if (values.json) {
    const gw = (o: GatewayDriverOutcome): Record<string, unknown> => ({ ...o.summary, end: o.end, t38: o.t38, clock: o.clock, audioUnderruns: o.audio.playout.underruns });
    process.stdout.write(
      `${JSON.stringify({
        ok,
        identical,
        sender: caller.result ?? null,
        receiver: answerer.result ?? null,
        gatewayA: gw(oa),
        gatewayB: gw(ob),
        pagesWritten: collector.pages.length,
        out: written || null,
        speed,
        wallSec,
        dropped: { byGatewayA: oa.t38.simulatedDrops, byGatewayB: ob.t38.simulatedDrops },
      })}\n`,
    );
  } else {
    process.stdout.write(`${summary('caller    (audio fax terminal)', caller.result, true)}\n`);
    process.stdout.write(`gateway A (audio -> T.38) ${resultLine(oa)}\n`);
    process.stdout.write(
      `network   (UDPTL) ${oa.t38.datagramsSent} datagrams A->B, ${ob.t38.datagramsSent} B->A; simulated loss dropped ${ob.t38.simulatedDrops} + ${oa.t38.simulatedDrops}; ` +
        `redundancy recovered ${oa.summary.ifpsRecovered + ob.summary.ifpsRecovered}, lost for good ${oa.summary.ifpsLost + ob.summary.ifpsLost} IFPs\n`,
    );
    process.stdout.write(`gateway B (T.38 -> audio) ${resultLine(ob)}\n`);
    process.stdout.write(`${summary('answerer  (audio fax terminal)', answerer.result, false)}\n`);
    const faxSec = (caller.result?.durationMs ?? tx.faxMs) / 1000;
    process.stdout.write(`time: ${faxSec.toFixed(1)} s of fax time in ${wallSec.toFixed(1)} s wall (--speed ${speed})\n`);
    process.stdout.write(
      written
        ? `received ${collector.pages.length} of ${pages.length} page(s), ${identical ? 'pixel-identical to the ones sent' : 'NOT identical to the ones sent'} -> ${written}\n`
        : 'nothing received, no file written\n',
    );
  }
  return ok ? 0 : 1;
}
