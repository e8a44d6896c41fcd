/**
 * `faxwire send <file...>` — sends documents as a T.38 fax (the calling party), over UDPTL
 * (`--udptl host:port --local-port N`) or TCP/TPKT (`--tcp host:port` / `--listen-tcp port`).
 * Also the call machinery shared with `faxwire receive`: option parsing, the terminal, the
 * driver, progress on stderr and the one-line result. Exit 0 only when the fax completed.
 */

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { T38Terminal, type T38TerminalOptions } from '../fax/t38-terminal.js';
import type { Bitmap } from '../t4/bitmap.js';
import { documentToFaxPages } from '../image/document.js';
import { runTcpTerminal } from '../node/tcp-driver.js';
import type { DriverOutcome } from '../node/real-time-loop.js';
import { runUdpTerminal } from '../node/udp-driver.js';
import type { T30Event } from '../t30/engine.js';
import { FAX_MODULATION_BIT_RATE } from '../modem/modulation.js';
import type { T30Modem, T4Coding } from '../t30/negotiate.js';
import type { T30Result } from '../t30/result.js';
import type { T38Version } from '../t38/ifp.js';
import type { UdptlErrorCorrection } from '../t38/udptl-sender.js';

/** Options every call command takes (node:util parseArgs format). */
export const CALL_OPTIONS = {
  udptl: { type: 'string' },
  'local-port': { type: 'string' },
  'local-address': { type: 'string' },
  tcp: { type: 'string' },
  'listen-tcp': { type: 'string' },
  ecm: { type: 'boolean' },
  'no-ecm': { type: 'boolean' },
  't38-version': { type: 'string' },
  redundancy: { type: 'string' },
  fec: { type: 'string' },
  'max-datagram': { type: 'string' },
  'no-repeats': { type: 'boolean' },
  'no-pacing': { type: 'boolean' },
  ident: { type: 'string' },
  modems: { type: 'string' },
  codings: { type: 'string' },
  'max-bit-rate': { type: 'string' },
  'local-tcf': { type: 'boolean' },
  speed: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  trace: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'sim-loss': { type: 'string' },
  'sim-seed': { type: 'string' },
} as const;

export type CallValues = { [K in keyof typeof CALL_OPTIONS]?: (typeof CALL_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export class UsageError extends Error {}

export type Endpoint =
  | { readonly kind: 'udptl'; readonly host: string; readonly port: number; readonly localPort: number; readonly localAddress?: string }
  | { readonly kind: 'tcp-connect'; readonly host: string; readonly port: number }
  | { readonly kind: 'tcp-listen'; readonly port: number };

export interface CallSettings {
  readonly endpoint: Endpoint;
  readonly terminal: Omit<T38TerminalOptions, 'role' | 'send' | 'receive' | 'engine'>;
  readonly speed: number;
  readonly timeoutMs: number;
  readonly json: boolean;
  readonly trace: boolean;
  readonly quiet: boolean;
  /** Test aid: drop this % of received datagrams (UDPTL only). */
  readonly simLoss: number;
  readonly simSeed: number;
}

function parsePort(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${what}: bad port '${s}'`);
  return n;
}

function parseHostPort(s: string, what: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  if (i <= 0) throw new UsageError(`${what} wants host:port, got '${s}'`);
  return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: parsePort(s.slice(i + 1), what) };
}

function parseNumber(s: string | undefined, what: string, lo: number, hi: number, integer: boolean): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${what} must be ${integer ? 'an integer' : 'a number'} in ${lo}..${hi}, got '${s}'`);
  }
  return n;
}

const MODEM_NAMES: Readonly<Record<string, T30Modem>> = { v17: 'v17', v29: 'v29', v27: 'v27ter', v27ter: 'v27ter' };
const CODING_NAMES: Readonly<Record<string, T4Coding>> = { mh: 'mh', '1d': 'mh', mr: 'mr', '2d': 'mr', mmr: 'mmr', t6: 'mmr' };

/** Turns parsed option values into call settings; throws UsageError on bad input. */
export function callSettings(v: CallValues): CallSettings {
  const given = [v.udptl !== undefined, v.tcp !== undefined, v['listen-tcp'] !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give exactly one of --udptl host:port, --tcp host:port, --listen-tcp port');
  let endpoint: Endpoint;
  if (v.udptl !== undefined) {
    const r = parseHostPort(v.udptl, '--udptl');
    if (v['local-port'] === undefined) throw new UsageError('--udptl needs --local-port');
    endpoint = {
      kind: 'udptl',
      ...r,
      localPort: parsePort(v['local-port'], '--local-port'),
      ...(v['local-address'] !== undefined ? { localAddress: v['local-address'] } : {}),
    };
  } else if (v.tcp !== undefined) {
    endpoint = { kind: 'tcp-connect', ...parseHostPort(v.tcp, '--tcp') };
  } else {
    endpoint = { kind: 'tcp-listen', port: parsePort(v['listen-tcp'] ?? '', '--listen-tcp') };
  }
  if (v.ecm && v['no-ecm']) throw new UsageError('--ecm and --no-ecm together');
  const version = parseNumber(v['t38-version'], '--t38-version', 0, 4, true) as T38Version | undefined;
  if (v.redundancy !== undefined && v.fec !== undefined) throw new UsageError('--redundancy and --fec together');
  let errorCorrection: UdptlErrorCorrection | undefined;
  if (v.redundancy !== undefined) {
    const n = parseNumber(v.redundancy, '--redundancy', 0, 15, true) ?? 0;
    errorCorrection = n === 0 ? { mode: 'none' } : { mode: 'redundancy', depth: { indicator: n, control: n, image: n } };
  } else if (v.fec !== undefined) {
    const m = /^(\d+),(\d+)$/.exec(v.fec);
    if (!m) throw new UsageError(`--fec wants span,entries (e.g. 3,3), got '${v.fec}'`);
    const span = parseNumber(m[1], '--fec span', 1, 32, true) ?? 3;
    const entries = parseNumber(m[2], '--fec entries', 1, 32, true) ?? 3;
    errorCorrection = { mode: 'fec', span, entries };
  }
  let modems: T30Modem[] | undefined;
  if (v.modems !== undefined) {
    modems = [];
    for (const name of v.modems.split(',')) {
      if (name === 'all') modems.push('v17', 'v29', 'v27ter');
      else {
        const m = MODEM_NAMES[name.trim().toLowerCase()];
        if (!m) throw new UsageError(`--modems: unknown modem '${name}' (v17, v29, v27, all)`);
        modems.push(m);
      }
    }
  }
  let codings: T4Coding[] | undefined;
  if (v.codings !== undefined) {
    codings = [];
    for (const name of v.codings.split(',')) {
      if (name === 'all') codings.push('mh', 'mr', 'mmr');
      else {
        const c = CODING_NAMES[name.trim().toLowerCase()];
        if (!c) throw new UsageError(`--codings: unknown coding '${name}' (mh, mr, mmr, all)`);
        codings.push(c);
      }
    }
  }
  const maxBitRate = parseNumber(v['max-bit-rate'], '--max-bit-rate', 2400, 14400, true);
  const maxDatagram = parseNumber(v['max-datagram'], '--max-datagram', 64, 65507, true);
  const speed = parseNumber(v.speed, '--speed', 0.01, 1000, false) ?? 1;
  const timeoutSec = parseNumber(v.timeout, '--timeout', 0.1, 86_400, false) ?? 300;
  if (v.ident !== undefined && v.ident.length > 20) throw new UsageError('--ident: at most 20 characters (T.30 §5.3.6.2.4)');
  const terminal: CallSettings['terminal'] = {
    transport: endpoint.kind === 'udptl' ? 'udptl' : 'tpkt',
    ...(version !== undefined ? { t38Version: version } : {}),
    ...(errorCorrection ? { errorCorrection } : {}),
    ...(maxDatagram !== undefined ? { maxDatagram } : {}),
    ...(v['no-repeats'] ? { repeats: false } : {}),
    ...(v['no-pacing'] ? { paced: false } : {}),
    ...(v.ident !== undefined ? { ident: v.ident } : {}),
    ...(v['no-ecm'] ? { ecm: false } : v.ecm ? { ecm: true } : {}),
    ...(modems ? { modems } : {}),
    ...(codings ? { codings } : {}),
    ...(maxBitRate !== undefined ? { maxBitRate } : {}),
    ...(v['local-tcf'] ? { tcf: 'local' as const } : {}),
  };
  const simLoss = parseNumber(v['sim-loss'], '--sim-loss', 0, 100, false) ?? 0;
  const simSeed = parseNumber(v['sim-seed'], '--sim-seed', 1, 0xffffffff, true) ?? 1;
  if (simLoss > 0 && endpoint.kind !== 'udptl') throw new UsageError('--sim-loss is for UDPTL only');
  return { endpoint, terminal, speed, timeoutMs: timeoutSec * 1000, json: v.json ?? false, trace: v.trace ?? false, quiet: v.quiet ?? false, simLoss, simSeed };
}

export const CALL_USAGE = `transport (exactly one):
  --udptl HOST:PORT --local-port N [--local-address A]   UDPTL over UDP (T.38 §9.1)
  --tcp HOST:PORT | --listen-tcp PORT                    TPKT over TCP (RFC 1006), connect or listen
options:
  --ecm | --no-ecm          offer/use ECM (default on)
  --t38-version N           T38FaxVersion 0..4, must match the far end (default 0)
  --redundancy N            UDPTL secondaries per datagram, 0..15 (default 3)
  --fec SPAN,ENTRIES        parity FEC instead of redundancy
  --max-datagram N          T38FaxMaxDatagram (default 1400)
  --no-repeats              do not repeat indicators and signal ends (sent 3× by default, like spandsp)
  --no-pacing               send each signal as fast as possible (default over TCP), not in real time
  --ident STR               TSI/CSI, up to 20 characters
  --modems v17,v29,v27      modems to offer (default all)
  --codings mh,mr,mmr       codings to offer (default all; MMR needs ECM)
  --max-bit-rate N          highest rate, 2400..14400
  --local-tcf               data-rate management method 1 (no TCF on the line)
  --speed F                 fax clock F× the wall clock (both ends alike; default 1)
  --timeout SEC             give up after SEC wall seconds (default 300)
  --json                    print the result as JSON
  --trace                   one stderr line per IFP sent/received
  -q, --quiet               no progress on stderr
  --sim-loss PCT [--sim-seed N]   test aid: drop PCT % of received datagrams (UDPTL)`;

/** What a finished call reports. */
export interface CallReport {
  readonly status: 'ok' | 'failed' | 'timeout' | 'not-connected';
  readonly code: string;
  readonly message: string;
  readonly pages: number;
  readonly bitRate: number;
  readonly ecm: boolean;
  readonly coding: string | null;
  readonly remoteIdent: string;
  readonly badRows: number;
  readonly durationSec: number;
  readonly wallSec: number;
  readonly speed: number;
  readonly transport: string;
  readonly t38Version: number;
  readonly stats: {
    readonly packetsSent: number;
    readonly packetsReceived: number;
    readonly lostIfps: number;
    readonly recovered: number;
    readonly malformedIfps: number;
  };
}

/** Progress line on stderr (only when it is a TTY and not --quiet/--json). */
export class Progress {
  private phase = 'A';
  private page = 0;
  private pageStart = 0;
  private pageMs = 0;
  private dir: 'tx' | 'rx' | undefined;
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    enabled: boolean,
    private readonly faxNow: () => number,
    private readonly rxOctets: () => number,
  ) {
    this.enabled = enabled;
  }

  event(e: T30Event): void {
    if (e.type === 'phase') {
      this.phase = e.phase;
    } else if (e.type === 'page-tx-start') {
      this.page = e.page;
      this.dir = 'tx';
      this.pageStart = e.at;
      this.pageMs = (e.octets * 8000) / FAX_MODULATION_BIT_RATE[e.modulation];
    } else if (e.type === 'page-rx-start') {
      this.page = e.page;
      this.dir = 'rx';
      this.pageStart = this.rxOctets();
    }
    this.draw(false);
  }

  draw(force: boolean): void {
    if (!this.enabled) return;
    const wall = Date.now();
    if (!force && wall - this.lastDraw < 150) return;
    this.lastDraw = wall;
    let what = '';
    if (this.dir === 'tx' && this.pageMs > 0) {
      const pct = Math.min(100, Math.max(0, Math.floor(((this.faxNow() - this.pageStart) * 100) / this.pageMs)));
      what = ` page ${this.page} ${pct}%`;
    } else if (this.dir === 'rx') {
      what = ` page ${this.page} ${((this.rxOctets() - this.pageStart) / 1024).toFixed(1)} kB`;
    }
    process.stderr.write(`\r\x1b[K[phase ${this.phase}]${what}`);
  }

  end(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}

/** Runs one call (terminal + driver) and builds its report. */
export async function runCall(
  label: string,
  settings: CallSettings,
  fax: { role: 'calling' | 'answering'; send?: { pages: Bitmap[] }; receive?: boolean; headerLine?: string },
  onEvent?: (e: T30Event) => void,
): Promise<{ report: CallReport; result: T30Result | undefined }> {
  const trace = settings.trace ? (l: string): void => void process.stderr.write(`${l}\n`) : undefined;
  const terminal = new T38Terminal({ ...settings.terminal, ...fax, ...(trace ? { onTrace: trace } : {}) });
  const t0 = Date.now();
  const faxNow = (): number => (Date.now() - t0) * settings.speed;
  const progress = new Progress(
    process.stderr.isTTY === true && !settings.json && !settings.quiet && !settings.trace,
    faxNow,
    () => terminal.getStats().line.nonEcmOctetsReceived + terminal.getStats().line.hdlcOctetsReceived,
  );
  const tick = setInterval(() => progress.draw(false), 250);
  // One line when the socket is up: scripts (and the interop suite) start the far end on it.
  const ready = (what: string): void => {
    if (!settings.quiet) process.stderr.write(`faxwire ${label}: ready, ${what}, T.38 v${terminal.version}, fax clock ${settings.speed}x\n`);
  };
  const handler = (e: T30Event): void => {
    progress.event(e);
    onEvent?.(e);
  };
  // Ctrl-C: hang up properly (DCN); a second one stops at once.
  const hangup = new AbortController();
  const hardStop = new AbortController();
  const onSigint = (): void => {
    if (hangup.signal.aborted) hardStop.abort();
    else {
      process.stderr.write(`\nfaxwire ${label}: hanging up (Ctrl-C again to quit at once)\n`);
      hangup.abort();
    }
  };
  process.on('SIGINT', onSigint);
  let outcome: DriverOutcome & { notConnected?: boolean };
  try {
    const ep = settings.endpoint;
    if (ep.kind === 'udptl') {
      outcome = await runUdpTerminal({
        terminal,
        localPort: ep.localPort,
        ...(ep.localAddress !== undefined ? { localAddress: ep.localAddress } : {}),
        remoteHost: ep.host,
        remotePort: ep.port,
        speed: settings.speed,
        timeoutMs: settings.timeoutMs,
        lossPercent: settings.simLoss,
        lossSeed: settings.simSeed,
        onEvent: handler,
        onBound: (port) => ready(`UDPTL local port ${port} -> ${ep.host}:${ep.port}`),
        hangup: hangup.signal,
        signal: hardStop.signal,
      });
    } else {
      outcome = await runTcpTerminal({
        terminal,
        ...(ep.kind === 'tcp-connect' ? { connect: { host: ep.host, port: ep.port } } : { listen: { port: ep.port } }),
        speed: settings.speed,
        timeoutMs: settings.timeoutMs,
        onEvent: handler,
        onListening: (port) => ready(`listening on TCP port ${port}`),
        onConnected: (remote) => ready(`TCP connected to ${remote}`),
        hangup: hangup.signal,
        signal: hardStop.signal,
      });
    }
  } finally {
    clearInterval(tick);
    process.off('SIGINT', onSigint);
    progress.end();
  }
  const r = terminal.result;
  const st = terminal.getStats();
  const pages = fax.role === 'calling' ? (r?.pagesSent ?? 0) : (r?.pagesReceived ?? 0);
  const status: CallReport['status'] = outcome.notConnected
    ? 'not-connected'
    : r?.ok === true && pages > 0
      ? 'ok'
      : r === undefined && outcome.timedOut
        ? 'timeout'
        : 'failed';
  const report: CallReport = {
    status,
    code: r?.code ?? (outcome.notConnected ? 'not-connected' : 'timeout'),
    message: r?.message ?? (outcome.notConnected ? 'no TCP connection' : `no result after ${(settings.timeoutMs / 1000).toFixed(0)} s`),
    pages,
    bitRate: r?.bitRate ?? 0,
    ecm: r?.ecm ?? false,
    coding: r?.coding ?? null,
    remoteIdent: r?.remoteIdent ?? '',
    badRows: r?.badRows ?? 0,
    durationSec: Math.round((r?.durationMs ?? outcome.faxMs) / 100) / 10,
    wallSec: Math.round(outcome.wallMs / 100) / 10,
    speed: settings.speed,
    transport: settings.endpoint.kind === 'udptl' ? 'udptl' : 'tpkt',
    t38Version: terminal.version,
    stats: {
      packetsSent: outcome.datagramsSent,
      packetsReceived: outcome.datagramsReceived,
      lostIfps: st.lostIfps,
      recovered: (st.udptlRx?.recoveredFromSecondary ?? 0) + (st.udptlRx?.recoveredFromFec ?? 0),
      malformedIfps: st.malformedIfps,
    },
  };
  return { report, result: r };
}

const CODING_LABEL: Readonly<Record<string, string>> = { mh: 'T.4-1D', mr: 'T.4-2D', mmr: 'T.6' };

/** The one-line result (or JSON). */
export function formatReport(cmd: string, r: CallReport, json: boolean): string {
  if (json) return JSON.stringify({ command: cmd, ...r });
  const coding = r.coding === null ? '-' : (CODING_LABEL[r.coding] ?? r.coding);
  return (
    `faxwire ${cmd}: ${r.status === 'ok' ? 'OK' : 'FAILED'} (${r.code}: ${r.message}) pages=${r.pages} bit_rate=${r.bitRate} ` +
    `ecm=${r.ecm ? 'on' : 'off'} coding=${coding} remote_ident="${r.remoteIdent}" bad_rows=${r.badRows} ` +
    `duration=${r.durationSec.toFixed(1)}s` +
    (r.speed !== 1 ? ` (wall ${r.wallSec.toFixed(1)}s at --speed ${r.speed})` : '') +
    ` lost_ifps=${r.stats.lostIfps} recovered=${r.stats.recovered}`
  );
}

export async function runSend(args: string[]): Promise<number> {
  let settings: CallSettings;
  let files: string[];
  let header: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...CALL_OPTIONS, header: { type: 'string' } } });
    settings = callSettings(values);
    files = positionals;
    header = values.header;
    if (files.length === 0) throw new UsageError('no document to send');
  } catch (e) {
    process.stderr.write(`faxwire send: ${e instanceof Error ? e.message : String(e)}\n\nusage: faxwire send <file...> [--header TEXT] ...\n${CALL_USAGE}\n`);
    return 2;
  }
  const pages: Bitmap[] = [];
  for (const f of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(f);
    } catch (e) {
      process.stderr.write(`faxwire send: cannot read ${f}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    const r = await documentToFaxPages(bytes);
    if (!r.ok) {
      process.stderr.write(`faxwire send: ${f}: ${r.error.message}\n`);
      return 1;
    }
    for (const p of r.value) pages.push(p.bitmap);
  }
  if (pages.length === 0) {
    process.stderr.write('faxwire send: the documents have no pages\n');
    return 1;
  }
  const { report } = await runCall('send', settings, {
    role: 'calling',
    send: { pages },
    ...(header !== undefined ? { headerLine: header } : {}),
  });
  process.stdout.write(`${formatReport('send', report, settings.json)}\n`);
  return report.status === 'ok' && report.pages === pages.length ? 0 : 1;
}
