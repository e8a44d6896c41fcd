/**
 * `faxwire send --to sip:…` and `faxwire receive --sip-listen …`: fax calls set up with SIP
 * (src/sip, src/node/sip-fax.ts). The fax terminals are the same as for the fixed-port calls
 * (call.ts): a T38Terminal once the call runs T.38, an AudioTerminal while it runs G.711; the
 * call control decides which (T.38 Annex D re-INVITE, 488 → audio).
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { AudioTerminal, type AudioCodec } from '../fax/terminal/audio-terminal.js';
import { T38Terminal } from '../fax/terminal/t38-terminal.js';
import { writeDocument, type OutputFormat } from '../image/document.js';
import type { DrivenAudioTerminal } from '../node/audio-driver.js';
import { parseMediaPortRange, type MediaPortRange } from '../node/media-ports.js';
import type { DrivenTerminal } from '../node/real-time-loop.js';
import { SipEndpoint, runSipFaxCall, type SipFaxOutcome } from '../node/sip-fax.js';
import { FaxPeerPolicies, type FaxCallEvent, type FaxMedia, type T38Policy } from '../sip/fax-call.js';
import type { T38SdpCapabilities } from '../sip/sdp-t38.js';
import type { Registration, RegistrationResult, SipCall } from '../sip/user-agent.js';
import { getHeader } from '../sip/message.js';
import type { T30Event } from '../t30/engine.js';
import type { T30Result } from '../t30/result.js';
import type { UdptlErrorCorrection } from '../t38/udptl-sender.js';
import type { Bitmap } from '../t4/bitmap.js';
import type { CallReport } from './call.js';
import { audioReportFields, formatReport, newAudioTerminal, resultFields } from './call.js';
import type { CallSettings, CallValues } from './call-options.js';
import { parseHostPort, parsePort } from './call-options.js';
import { UsageError, parseNumber } from './command.js';
import { ReceivedPageStore, StoringAudioTerminal, StoringTerminal } from './page-store.js';
import { writePages } from './pages-out.js';

export const SIP_OPTIONS = {
  to: { type: 'string' },
  'sip-listen': { type: 'string' },
  from: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  proxy: { type: 'string' },
  t38: { type: 'string' },
  'media-ports': { type: 'string' },
  transport: { type: 'string' },
  'sip-port': { type: 'string' },
  advertise: { type: 'string' },
  'max-calls': { type: 'string' },
  'session-expires': { type: 'string' },
  'sip-trace': { type: 'boolean' },
  'offer-t38': { type: 'boolean' },
  register: { type: 'string' },
} as const;

export const SIP_USAGE = `SIP (instead of a fixed transport):
  --transport udp|tcp       SIP transport (default udp)
  --t38 auto|only|off       auto: start in G.711, switch to T.38 by re-INVITE when fax is heard,
                            finish in G.711 when the peer refuses (488/606/timeout); only: T.38
                            offered in the INVITE, no audio; off: G.711 only (default auto)
  --media-ports LO-HI       RTP/UDPTL ports from this range (default: ephemeral ports)
  --sip-port N              local SIP port (default 5060 for --sip-listen, any for --to)
  --advertise ADDR          address written into Contact/Via/SDP (default: the bound or first external IPv4)
  --from URI                our address of record (default sip:faxwire@ADVERTISE)
  --username U --password P digest credentials for 401/407 challenges (MD5 or SHA-256)
  --proxy URI               outbound proxy (every request goes there first)
  --offer-t38               with --t38 auto, offer T.38 beside G.711 in the INVITE (the callee may take
                            the image stream at once; many gateways decline it: default off)
  --session-expires SEC     session timer to ask for (RFC 4028; default 1800, 0: none)
  --register URI            (receive) register --from at this registrar (digest with --username/--password),
                            refreshed while listening, removed at exit
  --sip-trace               each SIP message on stderr`;

export type SipValues = { [K in keyof typeof SIP_OPTIONS]?: (typeof SIP_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export interface SipSettings {
  readonly transport: 'udp' | 'tcp';
  readonly t38: T38Policy;
  readonly mediaPorts?: MediaPortRange;
  readonly sipPort: number;
  readonly bindAddress: string;
  readonly advertise?: string;
  readonly from?: string;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly proxy?: string;
  readonly sessionExpires?: number;
  readonly maxCalls: number;
  readonly trace: boolean;
  readonly offerT38: boolean;
  readonly register?: string;
  /** Audio play-out cushion, frames (G.711 legs). */
  readonly cushion: number;
}

/** Whether SIP options were given (the call is then a SIP call). */
export function isSipCall(v: SipValues): boolean {
  return v.to !== undefined || v['sip-listen'] !== undefined;
}

export function sipSettings(v: SipValues & CallValues, mode: 'send' | 'receive'): SipSettings {
  if (mode === 'send' && v['sip-listen'] !== undefined) throw new UsageError('--sip-listen is for faxwire receive');
  if (mode === 'receive' && v.to !== undefined) throw new UsageError('--to is for faxwire send');
  const transport = v.transport ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp') throw new UsageError(`--transport: udp or tcp, got '${transport}'`);
  const t38 = v.t38 ?? 'auto';
  if (t38 !== 'auto' && t38 !== 'only' && t38 !== 'off') throw new UsageError(`--t38: auto, only or off, got '${t38}'`);
  let mediaPorts: MediaPortRange | undefined;
  if (v['media-ports'] !== undefined) {
    mediaPorts = parseMediaPortRange(v['media-ports']);
    if (mediaPorts === undefined) throw new UsageError(`--media-ports wants LO-HI within 1024..65535, got '${v['media-ports']}'`);
  }
  if ((v.username === undefined) !== (v.password === undefined)) throw new UsageError('--username and --password go together');
  let bindAddress = v['local-address'] ?? '0.0.0.0';
  let sipPort = v['sip-port'] !== undefined ? parsePort(v['sip-port'], '--sip-port') : mode === 'receive' ? 5060 : 0;
  if (v['sip-listen'] !== undefined) {
    const hp = parseHostPort(v['sip-listen'], '--sip-listen');
    bindAddress = hp.host;
    sipPort = hp.port;
  }
  if (v.register !== undefined && mode !== 'receive') throw new UsageError('--register is for faxwire receive');
  if (v.register !== undefined && !/^sips?:/i.test(v.register)) throw new UsageError(`--register wants a sip: URI, got '${v.register}'`);
  if (v['offer-t38'] === true && t38 !== 'auto') throw new UsageError('--offer-t38 goes with --t38 auto');
  if (v.to !== undefined && !/^sips?:/i.test(v.to)) throw new UsageError(`--to wants a sip: URI, got '${v.to}'`);
  const maxCalls = parseNumber(v['max-calls'], '--max-calls', 1, 100_000, true) ?? 1;
  const sessionExpires = parseNumber(v['session-expires'], '--session-expires', 0, 86_400, true);
  if (sessionExpires !== undefined && sessionExpires !== 0 && sessionExpires < 90) throw new UsageError('--session-expires: 0 or at least 90 (RFC 4028 Min-SE)');
  return {
    transport,
    t38,
    ...(mediaPorts !== undefined ? { mediaPorts } : {}),
    sipPort,
    bindAddress,
    ...(v.advertise !== undefined ? { advertise: v.advertise } : {}),
    ...(v.from !== undefined ? { from: v.from } : {}),
    ...(v.username !== undefined && v.password !== undefined ? { credentials: { username: v.username, password: v.password } } : {}),
    ...(v.proxy !== undefined ? { proxy: v.proxy } : {}),
    ...(sessionExpires !== undefined ? { sessionExpires } : {}),
    maxCalls,
    trace: v['sip-trace'] === true,
    offerT38: v['offer-t38'] === true,
    // 4 frames (80 ms): an IP path jitters more than the loopback the fixed --audio calls see.
    cushion: parseNumber(v.cushion, '--cushion', 0, 32, true) ?? 4,
    ...(v.register !== undefined ? { register: v.register } : {}),
  };
}

/** What faxwire's T.38 terminal supports, for the SDP (T.38 Annex D). */
export function t38Capabilities(settings: CallSettings): T38SdpCapabilities {
  const t = settings.terminal;
  return {
    maxVersion: t.t38Version ?? 0,
    maxBitRate: t.maxBitRate ?? 14400,
    maxBuffer: 2000,
    maxDatagram: t.maxDatagram ?? 400,
    errorCorrection: t.errorCorrection?.mode === 'fec' ? ['fec', 'redundancy'] : ['redundancy', 'fec'],
    fillBitRemoval: false,
    transcodingMmr: false,
    transcodingJbig: false,
    rateManagement: t.tcf === 'local' ? ['localTCF', 'transferredTCF'] : ['transferredTCF', 'localTCF'],
  };
}

/**
 * The UDPTL error correction to run for what the SDP agreed (T38FaxUdpEC), with the depth or span
 * of `ours` (--redundancy / --fec) when it is the same scheme, else the usual defaults.
 */
export function errorCorrectionFor(agreed: 'none' | 'redundancy' | 'fec', ours: UdptlErrorCorrection | undefined): UdptlErrorCorrection {
  if (agreed === 'fec') return ours?.mode === 'fec' ? ours : { mode: 'fec', span: 3, entries: 3 };
  if (agreed === 'redundancy') return ours?.mode === 'redundancy' ? ours : { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 2 } };
  return { mode: 'none' };
}

type FaxRole = { role: 'calling' | 'answering'; send?: { pages: Bitmap[] }; receive?: boolean; confirmAfterStore?: boolean; retainPages?: boolean };

/** The two terminals of one SIP fax call, built from the call settings. */
function terminalsFor(settings: CallSettings, fax: FaxRole, store: ReceivedPageStore | undefined, made: { last?: T38Terminal | AudioTerminal }) {
  const t = settings.terminal;
  return {
    audio(_codec: AudioCodec): DrivenAudioTerminal<T30Event> {
      const terminal = newAudioTerminal(settings, fax);
      made.last = terminal;
      return store !== undefined ? new StoringAudioTerminal(terminal, store) : terminal;
    },
    t38(media: Extract<FaxMedia, { kind: 't38' }>): DrivenTerminal<T30Event> {
      const p = media.params;
      const ec = errorCorrectionFor(p.errorCorrection, t.errorCorrection);
      const terminal = new T38Terminal({
        ...t,
        ...fax,
        transport: 'udptl',
        t38Version: p.version,
        errorCorrection: ec,
        maxDatagram: media.maxDatagram,
        tcf: p.rateManagement === 'localTCF' ? 'local' : 'transferred',
        ...(settings.trace ? { onTrace: (l: string) => void process.stderr.write(`${l}\n`) } : {}),
      });
      made.last = terminal;
      return store !== undefined ? new StoringTerminal(terminal, store) : terminal;
    },
  };
}

export interface SipCallReport extends CallReport {
  readonly sip: {
    readonly answered: boolean;
    readonly status?: number;
    readonly reason: string;
    readonly endedBy: string;
    readonly media: string;
    readonly t38Refused?: number;
    readonly peer?: string;
  };
}

function reportOf(cmd: 'send' | 'receive', settings: CallSettings, out: SipFaxOutcome<T30Event>, last: T38Terminal | AudioTerminal | undefined, fax: FaxRole): SipCallReport {
  const r: T30Result | undefined = last?.result;
  const pages = fax.role === 'calling' ? (r?.pagesSent ?? 0) : (r?.pagesReceived ?? 0);
  const status: CallReport['status'] = !out.answered ? 'not-connected' : r?.ok === true && pages > 0 ? 'ok' : r === undefined && out.endedBy === 'timeout' ? 'timeout' : 'failed';
  const media = out.mediaPath.join('>') || 'none';
  const isT38 = last instanceof T38Terminal;
  const drv = isT38 ? out.t38 : out.audio;
  const st = last instanceof T38Terminal ? last.getStats() : undefined;
  return {
    status,
    code: r?.code ?? (out.answered ? 'no-result' : `sip-${out.status ?? 0}`),
    message: r?.message ?? (out.answered ? out.reason : `call not answered: ${out.status ?? ''} ${out.reason}`.trim()),
    ...resultFields(r, pages, { faxMs: 0, wallMs: out.wallMs }, settings.speed),
    transport: isT38 ? 'sip-t38' : 'sip-audio',
    t38Version: isT38 ? last.version : 0,
    stats: {
      packetsSent: drv?.datagramsSent ?? 0,
      packetsReceived: drv?.datagramsReceived ?? 0,
      lostIfps: st?.lostIfps ?? 0,
      recovered: (st?.udptlRx?.recoveredFromSecondary ?? 0) + (st?.udptlRx?.recoveredFromFec ?? 0),
      malformedIfps: st?.malformedIfps ?? 0,
      foreignDatagrams: (out.t38?.foreignDatagrams ?? 0) + (out.audio?.foreignDatagrams ?? 0),
    },
    ...(last instanceof AudioTerminal && out.audio !== undefined ? { audio: audioReportFields(last, out.audio) } : {}),
    sip: {
      answered: out.answered,
      ...(out.status !== undefined ? { status: out.status } : {}),
      reason: out.reason,
      endedBy: out.endedBy,
      media,
      ...(out.t38Refused !== undefined ? { t38Refused: out.t38Refused } : {}),
    },
  };
}

export function formatSipReport(cmd: string, r: SipCallReport, json: boolean): string {
  if (json) return formatReport(cmd, r, true);
  return (
    `${formatReport(cmd, r, false)} sip=${r.sip.answered ? 'answered' : `failed:${r.sip.status ?? 0}`} media=${r.sip.media}` +
    (r.sip.t38Refused !== undefined ? ` t38_refused=${r.sip.t38Refused}` : '') +
    (r.sip.peer !== undefined ? ` peer=${r.sip.peer}` : '') +
    ` ended_by=${r.sip.endedBy}`
  );
}

export async function openEndpoint(sip: SipSettings, onIncoming?: (call: SipCall) => void): Promise<SipEndpoint> {
  return SipEndpoint.open({
    bindAddress: sip.bindAddress,
    port: sip.sipPort,
    transport: sip.transport,
    ...(sip.advertise !== undefined ? { advertise: sip.advertise } : {}),
    ...(sip.from !== undefined ? { from: sip.from } : {}),
    ...(sip.credentials !== undefined ? { credentials: sip.credentials } : {}),
    ...(sip.proxy !== undefined ? { outboundProxy: sip.proxy } : {}),
    ...(sip.mediaPorts !== undefined ? { mediaPorts: sip.mediaPorts } : {}),
    ...(sip.sessionExpires !== undefined ? { sessionExpires: sip.sessionExpires } : {}),
    maxCalls: sip.maxCalls,
    ...(sip.trace ? { trace: (dir: 'in' | 'out', text: string, peer: { host: string; port: number; transport: string }) => void process.stderr.write(`--- SIP ${dir === 'in' ? 'from' : 'to'} ${peer.transport}:${peer.host}:${peer.port}\n${text}\n`) } : {}),
    ...(onIncoming !== undefined ? { onIncomingCall: onIncoming } : {}),
  });
}

function callEventLogger(label: string, quiet: boolean): (e: FaxCallEvent) => void {
  return (e) => {
    if (quiet) return;
    if (e.type === 'media') process.stderr.write(`faxwire ${label}: media ${e.media.kind === 't38' ? `T.38 v${e.media.params.version} ${e.media.params.errorCorrection} to ${e.media.remoteHost}:${e.media.remotePort} (max datagram ${e.media.maxDatagram})` : `${e.media.codec}/RTP to ${e.media.remoteHost}:${e.media.remotePort}`} — ${e.why}\n`);
    else if (e.type === 'fallback') process.stderr.write(`faxwire ${label}: T.38 refused (${e.status} ${e.reason}); the fax goes on in G.711\n`);
    else if (e.type === 'reinvite-sent') process.stderr.write(`faxwire ${label}: re-INVITE to T.38 sent\n`);
  };
}

/** `faxwire send … --to sip:…`. */
export async function runSipSend(settings: CallSettings, sip: SipSettings, to: string, pages: Bitmap[]): Promise<SipCallReport> {
  const ep = await openEndpoint(sip);
  const fax: FaxRole = { role: 'calling', send: { pages } };
  const made: { last?: T38Terminal | AudioTerminal } = {};
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.on('SIGINT', onSigint);
  try {
    if (!settings.quiet) process.stderr.write(`faxwire send: calling ${to} over SIP/${sip.transport.toUpperCase()} from ${ep.advertise}:${ep.transport.port}, T.38 ${sip.t38}, fax clock ${settings.speed}x\n`);
    const out = await runSipFaxCall<T30Event>({
      endpoint: ep,
      target: to,
      fax: { t38: sip.t38, t38Caps: t38Capabilities(settings), direction: 'send', ...(sip.offerT38 ? { offerT38Initially: true } : {}) },
      terminals: terminalsFor(settings, fax, undefined, made),
      speed: settings.speed,
      timeoutMs: settings.timeoutMs,
      cushion: sip.cushion,
      onCallEvent: callEventLogger('send', settings.quiet || settings.json),
      signal: stop.signal,
    });
    await ep.drain(2000);
    return reportOf('send', settings, out, made.last, fax);
  } finally {
    process.off('SIGINT', onSigint);
    await ep.close();
  }
}

/** Output formats for `receive --sip-listen` (the TIFF always, plus these). */
export function parseFormats(v: string | undefined): OutputFormat[] {
  if (v === undefined) return [];
  const out: OutputFormat[] = [];
  for (const f of v.split(',')) {
    const x = f.trim().toLowerCase();
    if (x === 'tif' || x === 'tiff') continue;
    if (x !== 'pdf' && x !== 'png' && x !== 'pbm') throw new UsageError(`--format: pdf, png or pbm (TIFF is always written), got '${f}'`);
    out.push(x);
  }
  return out;
}

/**
 * `faxwire receive --sip-listen HOST:PORT --out DIR`: answers calls until `--max-calls` have
 * ended, each fax into DIR as `fax-<time>-<n>.tif` (each page on disk before it is confirmed),
 * plus the `--format` copies at the end; one result line per call. Exit 0 when every call
 * delivered a complete fax.
 */
export async function runSipReceive(settings: CallSettings, sip: SipSettings, dir: string, formats: OutputFormat[]): Promise<number> {
  await mkdir(dir, { recursive: true });
  // Peers that refused T.38 are not asked again while this process runs (issue 12, item 4).
  const policies = new FaxPeerPolicies();
  let seq = 0;
  let done = 0;
  let failures = 0;
  const running = new Set<Promise<void>>();
  let finish: (() => void) | undefined;
  const allDone = new Promise<void>((r) => (finish = r));
  const stop = new AbortController();
  const onSigint = (): void => {
    stop.abort();
    finish?.();
  };
  process.on('SIGINT', onSigint);
  const box: { ep?: SipEndpoint } = {};
  const handle = (call: SipCall): void => {
    if (seq >= sip.maxCalls) {
      call.reject(486, box.ep?.now() ?? 0, 'Busy Here');
      return;
    }
    seq += 1;
    const n = seq;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const base = join(dir, `fax-${stamp}-${n}`);
    const store = new ReceivedPageStore(`${base}.tif`, 'tiff');
    const fax: FaxRole = { role: 'answering', receive: true, confirmAfterStore: true, retainPages: false };
    const made: { last?: T38Terminal | AudioTerminal } = {};
    const from = call.incomingInvite !== undefined ? (getHeader(call.incomingInvite, 'From') ?? '') : '';
    const endpoint = box.ep;
    if (endpoint === undefined) return;
    const p = (async () => {
      try {
        const out = await runSipFaxCall<T30Event>({
          endpoint,
          incoming: call,
          fax: { t38: sip.t38, t38Caps: t38Capabilities(settings), direction: 'receive', policies },
          terminals: terminalsFor(settings, fax, store, made),
          speed: settings.speed,
          timeoutMs: settings.timeoutMs,
          cushion: sip.cushion,
          onCallEvent: callEventLogger(`receive #${n}`, settings.quiet || settings.json),
          signal: stop.signal,
        });
        const report = { ...reportOf('receive', settings, out, made.last, fax) };
        const files = [...store.files];
        for (const f of formats) {
          if (store.pages.length === 0) break;
          files.push(...(await writePages(`${base}.${f}`, f, store.pages)));
        }
        const ok = report.status === 'ok' && store.pages.length > 0 && store.error === undefined;
        if (!ok) failures += 1;
        const sipInfo = { ...report.sip, peer: from };
        const full: SipCallReport = { ...report, sip: sipInfo };
        if (settings.json) process.stdout.write(`${JSON.stringify({ ...(JSON.parse(formatSipReport('receive', full, true)) as object), call: n, files, pagesStored: store.pages.length })}\n`);
        else process.stdout.write(`${formatSipReport('receive', full, false)} call=${n} concealed_rows=${store.badRows}${files.length > 0 ? ` out=${files.join(',')}` : ''}\n`);
      } catch (e) {
        failures += 1;
        process.stderr.write(`faxwire receive: call ${n}: ${e instanceof Error ? e.message : String(e)}\n`);
      } finally {
        done += 1;
        if (done >= sip.maxCalls) finish?.();
      }
    })();
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  await writeDocument([{ bitmap: { width: 1728, height: 8, stride: 216, data: new Uint8Array(216 * 8) } }], 'tiff');
  const ep = await openEndpoint(sip, handle);
  box.ep = ep;
  let registration: Registration | undefined;
  try {
    if (sip.register !== undefined) {
      // Registered before saying ready: a caller going through the registrar can reach us then.
      const result = await new Promise<RegistrationResult>((resolve) => {
        registration = ep.ua.register(sip.register ?? '', 3600, ep.now(), resolve);
        ep.kick();
      });
      if (!result.ok) {
        process.stderr.write(`faxwire receive: registration at ${sip.register} failed: ${result.status} ${result.reason}\n`);
        return 1;
      }
      if (!settings.quiet) process.stderr.write(`faxwire receive: registered at ${sip.register} for ${result.expires} s\n`);
    }
    if (!settings.quiet) process.stderr.write(`faxwire receive: ready, listening for SIP on ${sip.transport.toUpperCase()} ${sip.bindAddress}:${ep.transport.port} (advertising ${ep.advertise}), T.38 ${sip.t38}, up to ${sip.maxCalls} call(s), fax clock ${settings.speed}x\n`);
    await allDone;
    await Promise.all([...running]);
    if (registration !== undefined) {
      registration.stop(ep.now());
      ep.kick();
    }
    await ep.drain(2000);
  } finally {
    process.off('SIGINT', onSigint);
    await ep.close();
  }
  return failures === 0 && done > 0 ? 0 : 1;
}

