/**
 * Runs one call of `faxwire send` or `faxwire receive`: a T38Terminal with the call's settings
 * (call-options.ts) on the UDP or TCP driver (src/node), progress on stderr (a TTY only), Ctrl-C
 * hanging up properly, and the report — one line, or JSON — that both commands print.
 */

import { AudioTerminal } from '../fax/terminal/audio-terminal.js';
import { T38Terminal } from '../fax/terminal/t38-terminal.js';
import { runAudioTerminal, type AudioDriverOutcome } from '../node/audio-driver.js';
import { FAX_MODULATION_BIT_RATE } from '../modem/modulation.js';
import type { DriverOutcome, DrivenTerminal } from '../node/real-time-loop.js';
import { runTcpTerminal } from '../node/tcp-driver.js';
import { runUdpTerminal } from '../node/udp-driver.js';
import type { T30Event } from '../t30/engine.js';
import type { T30Result } from '../t30/result.js';
import type { Bitmap } from '../t4/bitmap.js';
import type { CallSettings } from './call-options.js';
import { StoringAudioTerminal, StoringTerminal, type ReceivedPageStore } from './page-store.js';

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
    /** UDPTL datagrams from anywhere but the far end (or the latched source): dropped. */
    readonly foreignDatagrams: number;
  };
  /** Audio calls: what the play-out buffer and the modems saw. */
  readonly audio?: {
    readonly framesLost: number;
    readonly underruns: number;
    readonly catchUps: number;
    readonly lateFrames: number;
    readonly lateTicks: number;
    readonly fastTrainings: number;
    readonly fastTrainingFailures: number;
    readonly badFrames: number;
  };
}

/** Progress line on stderr (only when it is a TTY and not --quiet/--json). */
class Progress {
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
  fax: { role: 'calling' | 'answering'; send?: { pages: Bitmap[] }; receive?: boolean; confirmAfterStore?: boolean; retainPages?: boolean },
  onEvent?: (e: T30Event) => void,
  /** Receive: every accepted page is stored before it is confirmed (page-store.ts). */
  store?: ReceivedPageStore,
): Promise<{ report: CallReport; result: T30Result | undefined }> {
  if (settings.endpoint.kind === 'audio') return runAudioCall(label, settings, settings.endpoint, fax, onEvent, store);
  const trace = settings.trace ? (l: string): void => void process.stderr.write(`${l}\n`) : undefined;
  const terminal = new T38Terminal({ ...settings.terminal, ...fax, ...(trace ? { onTrace: trace } : {}) });
  const storing = store ? new StoringTerminal(terminal, store) : undefined;
  const driven: DrivenTerminal<T30Event> = storing ?? terminal;
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
  const sig = sigintHangup(label);
  let outcome: DriverOutcome & { notConnected?: boolean; connectError?: string; foreignDatagrams?: number };
  try {
    const ep = settings.endpoint;
    if (ep.kind === 'udptl') {
      outcome = await runUdpTerminal({
        terminal: driven,
        localPort: ep.localPort,
        ...(ep.localAddress !== undefined ? { localAddress: ep.localAddress } : {}),
        ...(ep.latch === true ? { latch: true } : {}),
        remoteHost: ep.host,
        remotePort: ep.port,
        speed: settings.speed,
        timeoutMs: settings.timeoutMs,
        lossPercent: settings.simLoss,
        lossSeed: settings.simSeed,
        onEvent: handler,
        onBound: (port) => ready(`UDPTL local port ${port} -> ${ep.host}:${ep.port}`),
        hangup: sig.hangup,
        signal: sig.hardStop,
      });
    } else if (ep.kind === 'tcp-connect' || ep.kind === 'tcp-listen') {
      outcome = await runTcpTerminal({
        terminal: driven,
        ...(ep.kind === 'tcp-connect' ? { connect: { host: ep.host, port: ep.port } } : { listen: { port: ep.port } }),
        speed: settings.speed,
        timeoutMs: settings.timeoutMs,
        onEvent: handler,
        onListening: (port) => ready(`listening on TCP port ${port}`),
        onConnected: (remote) => ready(`TCP connected to ${remote}`),
        hangup: sig.hangup,
        signal: sig.hardStop,
      });
    } else {
      throw new Error(`unexpected endpoint ${JSON.stringify(ep)}`);
    }
  } finally {
    clearInterval(tick);
    sig.off();
    progress.end();
  }
  await storing?.settled();
  const r = terminal.result;
  const st = terminal.getStats();
  const pages = fax.role === 'calling' ? (r?.pagesSent ?? 0) : (r?.pagesReceived ?? 0);
  const status: CallReport['status'] = terminal.transportError !== undefined
    ? 'failed'
    : outcome.notConnected
    ? 'not-connected'
    : r?.ok === true && pages > 0
      ? 'ok'
      : r === undefined && outcome.timedOut
        ? 'timeout'
        : 'failed';
  // A transport failure (TPKT framing lost) is what ended the call, whatever T.30 says about it.
  const te = terminal.transportError;
  const report: CallReport = {
    status,
    code: te?.code ?? r?.code ?? (outcome.notConnected ? 'not-connected' : 'timeout'),
    message:
      te?.message ??
      r?.message ??
      (outcome.notConnected
        ? `no TCP connection${outcome.connectError !== undefined ? `: ${outcome.connectError}` : ` within ${(settings.timeoutMs / 1000).toFixed(0)} s`}`
        : `no result after ${(settings.timeoutMs / 1000).toFixed(0)} s`),
    ...resultFields(r, pages, outcome, settings.speed),
    transport: settings.endpoint.kind === 'udptl' ? 'udptl' : 'tpkt',
    t38Version: terminal.version,
    stats: {
      packetsSent: outcome.datagramsSent,
      packetsReceived: outcome.datagramsReceived,
      lostIfps: st.lostIfps,
      recovered: (st.udptlRx?.recoveredFromSecondary ?? 0) + (st.udptlRx?.recoveredFromFec ?? 0),
      malformedIfps: st.malformedIfps,
      foreignDatagrams: outcome.foreignDatagrams ?? 0,
    },
  };
  return { report, result: r };
}

/** What an audio call reports about its play-out and modems (the --audio call and SIP calls in G.711). */
export function audioReportFields(terminal: AudioTerminal, outcome: AudioDriverOutcome): NonNullable<CallReport['audio']> {
  const st = terminal.getStats();
  return {
    framesLost: st.framesLost,
    underruns: outcome.playout.underruns,
    catchUps: outcome.playout.catchUps,
    lateFrames: outcome.playout.late,
    lateTicks: outcome.lateTicks,
    fastTrainings: st.line.fastTrainings,
    fastTrainingFailures: st.line.fastTrainingFailures,
    badFrames: st.line.framesBad,
  };
}

/** The report fields every kind of call takes from the T.30 result and the driver's clock. */
export function resultFields(
  r: T30Result | undefined,
  pages: number,
  outcome: { readonly faxMs: number; readonly wallMs: number },
  speed: number,
): Pick<CallReport, 'pages' | 'bitRate' | 'ecm' | 'coding' | 'remoteIdent' | 'badRows' | 'durationSec' | 'wallSec' | 'speed'> {
  return {
    pages,
    bitRate: r?.bitRate ?? 0,
    ecm: r?.ecm ?? false,
    coding: r?.coding ?? null,
    remoteIdent: r?.remoteIdent ?? '',
    badRows: r?.badRows ?? 0,
    durationSec: Math.round((r?.durationMs ?? outcome.faxMs) / 100) / 10,
    wallSec: Math.round(outcome.wallMs / 100) / 10,
    speed,
  };
}

/** Ctrl-C hangs up properly (DCN); a second one stops at once. Returns the two signals and the cleanup. */
function sigintHangup(label: string): { hangup: AbortSignal; hardStop: AbortSignal; off: () => void } {
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
  return { hangup: hangup.signal, hardStop: hardStop.signal, off: () => void process.off('SIGINT', onSigint) };
}

/** An audio fax terminal with the call's settings (the --audio call and SIP calls in G.711). */
export function newAudioTerminal(
  settings: CallSettings,
  fax: { role: 'calling' | 'answering'; send?: { pages: Bitmap[] }; receive?: boolean; confirmAfterStore?: boolean; retainPages?: boolean },
): AudioTerminal {
  const t = settings.terminal;
  return new AudioTerminal({
    ...fax,
    ...(t.ident !== undefined ? { ident: t.ident } : {}),
    ...(t.headerLine !== undefined ? { headerLine: t.headerLine } : {}),
    ...(t.ecm !== undefined ? { ecm: t.ecm } : {}),
    ...(t.modems !== undefined ? { modems: t.modems } : {}),
    ...(t.codings !== undefined ? { codings: t.codings } : {}),
    ...(t.maxBitRate !== undefined ? { maxBitRate: t.maxBitRate } : {}),
    ...(settings.tep ? { tep: true } : {}),
  });
}

/** The audio call: an AudioTerminal on the audio driver (one frame per datagram). */
async function runAudioCall(
  label: string,
  settings: CallSettings,
  ep: Extract<CallSettings['endpoint'], { kind: 'audio' }>,
  fax: { role: 'calling' | 'answering'; send?: { pages: Bitmap[] }; receive?: boolean; confirmAfterStore?: boolean; retainPages?: boolean },
  onEvent: ((e: T30Event) => void) | undefined,
  store: ReceivedPageStore | undefined,
): Promise<{ report: CallReport; result: T30Result | undefined }> {
  const terminal = newAudioTerminal(settings, fax);
  const storing = store ? new StoringAudioTerminal(terminal, store) : undefined;
  const progress = new Progress(
    process.stderr.isTTY === true && !settings.json && !settings.quiet && !settings.trace,
    () => terminal.now,
    () => terminal.getStats().line.nonEcmOctetsReceived,
  );
  const tick = setInterval(() => progress.draw(false), 250);
  const sig = sigintHangup(label);
  let outcome: AudioDriverOutcome;
  try {
    outcome = await runAudioTerminal<T30Event>({
      terminal: storing ?? terminal,
      codec: ep.codec,
      rtp: ep.rtp,
      frameMs: ep.frameMs,
      cushion: ep.cushion,
      localPort: ep.localPort,
      ...(ep.localAddress !== undefined ? { localAddress: ep.localAddress } : {}),
      ...(ep.latch === true ? { latch: true } : {}),
      remoteHost: ep.host,
      remotePort: ep.port,
      speed: settings.speed,
      timeoutMs: settings.timeoutMs,
      onEvent: (e) => {
        progress.event(e);
        onEvent?.(e);
      },
      onBound: (port) => {
        if (!settings.quiet) process.stderr.write(`faxwire ${label}: ready, audio ${ep.codec}${ep.rtp ? '/RTP' : ''} local port ${port} -> ${ep.host}:${ep.port}, fax clock ${settings.speed}x\n`);
      },
      hangup: sig.hangup,
      signal: sig.hardStop,
    });
  } finally {
    clearInterval(tick);
    sig.off();
    progress.end();
  }
  await storing?.settled();
  const r = terminal.result;
  const pages = fax.role === 'calling' ? (r?.pagesSent ?? 0) : (r?.pagesReceived ?? 0);
  const status: CallReport['status'] = r?.ok === true && pages > 0 ? 'ok' : r === undefined && outcome.timedOut ? 'timeout' : 'failed';
  const report: CallReport = {
    status,
    code: r?.code ?? 'timeout',
    message: r?.message ?? `no result after ${(settings.timeoutMs / 1000).toFixed(0)} s`,
    ...resultFields(r, pages, outcome, settings.speed),
    transport: `audio-${ep.codec}${ep.rtp ? '-rtp' : ''}`,
    t38Version: 0,
    stats: {
      packetsSent: outcome.datagramsSent,
      packetsReceived: outcome.datagramsReceived,
      lostIfps: 0,
      recovered: 0,
      malformedIfps: 0,
      foreignDatagrams: outcome.foreignDatagrams,
    },
    audio: audioReportFields(terminal, outcome),
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
    (r.audio
      ? ` transport=${r.transport} frames_lost=${r.audio.framesLost} underruns=${r.audio.underruns} trainings=${r.audio.fastTrainings} training_failures=${r.audio.fastTrainingFailures} bad_frames=${r.audio.badFrames}`
      : ` lost_ifps=${r.stats.lostIfps} recovered=${r.stats.recovered}`) +
    (r.stats.foreignDatagrams > 0 ? ` foreign_dropped=${r.stats.foreignDatagrams}` : '')
  );
}
