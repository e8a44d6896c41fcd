/**
 * The options every call command (`faxwire send`, `faxwire receive`) takes — transport, T.38 and
 * T.30 choices, pacing, output — their usage text, and `callSettings`, which turns the parsed
 * values into what a call runs with (call.ts), the identity and header line included
 * (config.ts). Bad values are a UsageError.
 */

import type { AudioCodec } from '../fax/terminal/audio-terminal.js';
import type { T38TerminalOptions } from '../fax/terminal/t38-terminal.js';
import type { T30Modem, T4Coding } from '../t30/negotiate.js';
import type { T38Version } from '../t38/ifp.js';
import type { UdptlErrorCorrection } from '../t38/udptl-sender.js';
import { UsageError, parseNumber } from './command.js';
import { IDENTITY_OPTIONS, configuredIdentity, type ConfigSources } from './config.js';

/** Options every call command takes (node:util parseArgs format). */
export const CALL_OPTIONS = {
  udptl: { type: 'string' },
  audio: { type: 'string' },
  codec: { type: 'string' },
  rtp: { type: 'boolean' },
  'frame-ms': { type: 'string' },
  cushion: { type: 'string' },
  tep: { type: 'boolean' },
  'local-port': { type: 'string' },
  'local-address': { type: 'string' },
  latch: { type: 'boolean' },
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
  ...IDENTITY_OPTIONS,
} as const;

/** Parsed call options; `header` is send's own option. */
export type CallValues = { [K in keyof typeof CALL_OPTIONS]?: (typeof CALL_OPTIONS)[K]['type'] extends 'string' ? string : boolean } & {
  header?: string;
};

export type Endpoint =
  | { readonly kind: 'udptl'; readonly host: string; readonly port: number; readonly localPort: number; readonly localAddress?: string; readonly latch?: boolean }
  | { readonly kind: 'tcp-connect'; readonly host: string; readonly port: number }
  | { readonly kind: 'tcp-listen'; readonly port: number }
  /** Set up by SIP (sip-call.ts): the media and its ports come from the SDP. */
  | { readonly kind: 'sip' }
  | {
      readonly kind: 'audio';
      readonly host: string;
      readonly port: number;
      readonly localPort: number;
      readonly localAddress?: string;
      readonly latch?: boolean;
      readonly codec: AudioCodec;
      readonly rtp: boolean;
      readonly frameMs: number;
      readonly cushion: number;
    };

export interface CallSettings {
  readonly endpoint: Endpoint;
  /** The terminal's options but for its role and pages; `ident` and `headerLine` as configured. */
  readonly terminal: Omit<T38TerminalOptions, 'role' | 'send' | 'receive' | 'engine'>;
  readonly speed: number;
  /** Audio calls: the talker echo protection tone before fast-modem training. */
  readonly tep: boolean;
  readonly timeoutMs: number;
  readonly json: boolean;
  readonly trace: boolean;
  readonly quiet: boolean;
  /** Test aid: drop this % of received datagrams (UDPTL only). */
  readonly simLoss: number;
  readonly simSeed: number;
}

/** A UDP/TCP port 0..65535 (UsageError naming `what` otherwise). */
export function parsePort(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${what}: bad port '${s}'`);
  return n;
}

/** `host:port` (IPv6 in brackets). */
export function parseHostPort(s: string, what: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  if (i <= 0) throw new UsageError(`${what} wants host:port, got '${s}'`);
  return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: parsePort(s.slice(i + 1), what) };
}

const MODEM_NAMES: Readonly<Record<string, T30Modem>> = { v17: 'v17', v29: 'v29', v27: 'v27ter', v27ter: 'v27ter' };
const CODING_NAMES: Readonly<Record<string, T4Coding>> = { mh: 'mh', '1d': 'mh', mr: 'mr', '2d': 'mr', mmr: 'mmr', t6: 'mmr' };

/** A comma-separated list of names (case-insensitive), 'all' standing for `all`. */
function parseNames<T>(list: string, option: string, what: string, names: Readonly<Record<string, T>>, all: readonly T[], known: string): T[] {
  const out: T[] = [];
  for (const name of list.split(',')) {
    if (name === 'all') {
      out.push(...all);
      continue;
    }
    const x = names[name.trim().toLowerCase()];
    if (x === undefined) throw new UsageError(`${option}: unknown ${what} '${name}' (${known})`);
    out.push(x);
  }
  return out;
}

/** `--redundancy N` or `--fec SPAN,ENTRIES` (not both) → UDPTL error correction; undefined when neither. */
export function parseErrorCorrection(redundancy: string | undefined, fec: string | undefined): UdptlErrorCorrection | undefined {
  if (redundancy !== undefined && fec !== undefined) throw new UsageError('--redundancy and --fec together');
  if (redundancy !== undefined) {
    const n = parseNumber(redundancy, '--redundancy', 0, 15, true) ?? 0;
    return n === 0 ? { mode: 'none' } : { mode: 'redundancy', depth: { indicator: n, control: n, image: n } };
  } else if (fec !== undefined) {
    const m = /^(\d+),(\d+)$/.exec(fec);
    if (!m) throw new UsageError(`--fec wants span,entries (e.g. 3,3), got '${fec}'`);
    const span = parseNumber(m[1], '--fec span', 1, 32, true) ?? 3;
    const entries = parseNumber(m[2], '--fec entries', 1, 32, true) ?? 3;
    return { mode: 'fec', span, entries };
  }
  return undefined;
}

/** Turns parsed option values into call settings (identity and header line from config.ts); throws UsageError on bad input. */
export function callSettings(v: CallValues, sources?: ConfigSources, sip = false): CallSettings {
  const given = [v.udptl !== undefined, v.tcp !== undefined, v['listen-tcp'] !== undefined, v.audio !== undefined].filter(Boolean).length;
  if (sip && given > 0) throw new UsageError('a SIP call (--to / --sip-listen) takes its media from the SDP: no --udptl, --tcp, --listen-tcp or --audio');
  if (!sip && given !== 1) throw new UsageError('give exactly one of --udptl host:port, --tcp host:port, --listen-tcp port, --audio host:port (or --to sip:… / --sip-listen host:port)');
  const audioOnly = (['codec', 'rtp', 'frame-ms', 'cushion', 'tep'] as const).filter((k) => v[k] !== undefined);
  if (v.audio === undefined && !sip && audioOnly.length > 0) throw new UsageError(`--${audioOnly[0] ?? ''} is for --audio calls`);
  const negotiated = (['codec', 'rtp', 'frame-ms'] as const).filter((k) => v[k] !== undefined);
  if (sip && negotiated.length > 0) throw new UsageError(`--${negotiated[0] ?? ''}: a SIP call negotiates its codec and framing in the SDP`);
  let endpoint: Endpoint;
  if (sip) {
    endpoint = { kind: 'sip' };
  } else if (v.audio !== undefined) {
    const r = parseHostPort(v.audio, '--audio');
    if (v['local-port'] === undefined) throw new UsageError('--audio needs --local-port');
    const codec = v.codec ?? 'slin';
    if (codec !== 'slin' && codec !== 'alaw' && codec !== 'ulaw') throw new UsageError(`--codec: slin, alaw or ulaw, got '${codec}'`);
    if (v.rtp === true && codec === 'slin') throw new UsageError('--rtp needs --codec alaw or ulaw (RTP carries G.711 here)');
    endpoint = {
      kind: 'audio',
      ...r,
      localPort: parsePort(v['local-port'], '--local-port'),
      ...(v['local-address'] !== undefined ? { localAddress: v['local-address'] } : {}),
      ...(v.latch === true ? { latch: true } : {}),
      codec,
      rtp: v.rtp === true,
      frameMs: parseNumber(v['frame-ms'], '--frame-ms', 10, 60, true) ?? 20,
      cushion: parseNumber(v.cushion, '--cushion', 0, 32, true) ?? 2,
    };
  } else if (v.udptl !== undefined) {
    const r = parseHostPort(v.udptl, '--udptl');
    if (v['local-port'] === undefined) throw new UsageError('--udptl needs --local-port');
    endpoint = {
      kind: 'udptl',
      ...r,
      localPort: parsePort(v['local-port'], '--local-port'),
      ...(v['local-address'] !== undefined ? { localAddress: v['local-address'] } : {}),
      ...(v.latch === true ? { latch: true } : {}),
    };
  } else if (v.tcp !== undefined) {
    endpoint = { kind: 'tcp-connect', ...parseHostPort(v.tcp, '--tcp') };
  } else {
    endpoint = { kind: 'tcp-listen', port: parsePort(v['listen-tcp'] ?? '', '--listen-tcp') };
  }
  if (v.ecm && v['no-ecm']) throw new UsageError('--ecm and --no-ecm together');
  const version = parseNumber(v['t38-version'], '--t38-version', 0, 4, true) as T38Version | undefined;
  const errorCorrection = parseErrorCorrection(v.redundancy, v.fec);
  const modems = v.modems === undefined ? undefined : parseNames<T30Modem>(v.modems, '--modems', 'modem', MODEM_NAMES, ['v17', 'v29', 'v27ter'], 'v17, v29, v27, all');
  const codings = v.codings === undefined ? undefined : parseNames<T4Coding>(v.codings, '--codings', 'coding', CODING_NAMES, ['mh', 'mr', 'mmr'], 'mh, mr, mmr, all');
  const maxBitRate = parseNumber(v['max-bit-rate'], '--max-bit-rate', 2400, 14400, true);
  const maxDatagram = parseNumber(v['max-datagram'], '--max-datagram', 64, 65507, true);
  const speed = parseNumber(v.speed, '--speed', 0.01, 1000, false) ?? 1;
  const timeoutSec = parseNumber(v.timeout, '--timeout', 0.1, 86_400, false) ?? 300;
  const { ident, header } = configuredIdentity(v, sources);
  const terminal: CallSettings['terminal'] = {
    transport: endpoint.kind === 'tcp-connect' || endpoint.kind === 'tcp-listen' ? 'tpkt' : 'udptl',
    ...(version !== undefined ? { t38Version: version } : {}),
    ...(errorCorrection ? { errorCorrection } : {}),
    ...(maxDatagram !== undefined ? { maxDatagram } : {}),
    ...(v['no-repeats'] ? { repeats: false } : {}),
    ...(v['no-pacing'] ? { paced: false } : {}),
    ...(ident !== undefined ? { ident } : {}),
    ...(header !== undefined ? { headerLine: header } : {}),
    ...(v['no-ecm'] ? { ecm: false } : v.ecm ? { ecm: true } : {}),
    ...(modems ? { modems } : {}),
    ...(codings ? { codings } : {}),
    ...(maxBitRate !== undefined ? { maxBitRate } : {}),
    ...(v['local-tcf'] ? { tcf: 'local' as const } : {}),
  };
  const simLoss = parseNumber(v['sim-loss'], '--sim-loss', 0, 100, false) ?? 0;
  const simSeed = parseNumber(v['sim-seed'], '--sim-seed', 1, 0xffffffff, true) ?? 1;
  if (simLoss > 0 && endpoint.kind !== 'udptl') throw new UsageError('--sim-loss is for UDPTL only');
  return { endpoint, terminal, speed, tep: v.tep === true, timeoutMs: timeoutSec * 1000, json: v.json ?? false, trace: v.trace ?? false, quiet: v.quiet ?? false, simLoss, simSeed };
}

export const CALL_USAGE = `transport (exactly one):
  --udptl HOST:PORT --local-port N [--local-address A] [--latch]
                            UDPTL over UDP (T.38 §9.1), bound to A (default all interfaces);
                            only HOST:PORT may send, or with --latch (far end behind NAT) the
                            first source of a valid datagram
  --tcp HOST:PORT | --listen-tcp PORT                    TPKT over TCP (RFC 1006), connect or listen
  --audio HOST:PORT --local-port N                       fax modems over 8 kHz audio, one frame per UDP datagram
      --codec slin|alaw|ulaw  payload: 16-bit linear LE (default) or G.711     --rtp  12-byte RTP header (G.711)
      --frame-ms N (10..60, default 20)   --cushion N  play-out cushion in frames (default 2)   --tep  echo protection tone
options:
  --ecm | --no-ecm          offer/use ECM (default on)
  --t38-version N           T38FaxVersion 0..4, must match the far end (default 0)
  --redundancy N            UDPTL secondaries per datagram, 0..15 (default 3)
  --fec SPAN,ENTRIES        parity FEC instead of redundancy
  --max-datagram N          T38FaxMaxDatagram (default 1400)
  --no-repeats              do not repeat indicators and signal ends (sent 3× by default, like spandsp)
  --no-pacing               send each signal as fast as possible (default over TCP), not in real time
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
