/**
 * `faxwire gateway` — a T.38 gateway between a G3 fax machine on an audio leg (one 8 kHz frame
 * per UDP datagram, slin / A-law / µ-law, optional RTP header) and a T.38 peer on UDPTL: the
 * sans-IO `T38Gateway` (src/fax/gateway/gateway.ts) run by the gateway driver
 * (src/node/gateway-driver.ts). Its ports and framing are those of spandsp-peer's `t38gw`
 * (`--audio-local/--audio-remote/--t38-local/--t38-remote`), so either can stand in for the
 * other in a test chain.
 *
 * It says `ready` on stderr once both sockets are bound, runs one call, and ends by itself
 * (DCN relayed and played, or both legs idle, or `--timeout`) with ONE line on stdout — pages,
 * rate, ECM, IFPs, recovery and loss, play-out under/overruns, the drift estimated — or the
 * same as JSON. Exit status 0 only for a completed fax (DCN after a confirmed last page), 1
 * otherwise, 2 for bad options.
 */

import type { FaxMessageEditOptions } from '../fax/gateway/editor.js';
import { T38Gateway, type T38GatewayOptions } from '../fax/gateway/gateway.js';
import { runGateway } from '../node/gateway-driver.js';
import type { T38Version } from '../t38/ifp.js';
import { UsageError, parseCommandArgs, parseNumber } from './command.js';
import { parseErrorCorrection, parseHostPort, parsePort } from './call-options.js';
import { resultLine } from './gateway-result.js';
import { SIP_OPTIONS, errorCorrectionFor, openEndpoint, sipSettings } from './sip-call.js';
import type { SipEndpoint } from '../node/sip-fax.js';
import { runSipGatewayCall } from '../node/sip-gateway.js';
import type { SipCall } from '../sip/user-agent.js';
import type { T38SdpCapabilities } from '../sip/sdp-t38.js';

export const USAGE = `usage: faxwire gateway --audio-local PORT --audio-remote HOST:PORT --t38-local PORT --t38-remote HOST:PORT [options]
       faxwire gateway --sip-listen HOST:PORT --to sip:URI [--max-calls N] [SIP options] [options]
  A T.38 gateway for one call: a fax machine on the audio leg (8 kHz frames over UDP, like
  spandsp-peer's audiofax/t38gw) <-> T.38 over UDPTL. Says "ready" on stderr once bound; ends
  after the call (DCN relayed, or both legs idle) with one result line; exit 0 only for a
  completed fax.
  With --sip-listen it is a back-to-back user agent: each call arriving there is placed again
  to --to, offering T.38 alone when the incoming call offers G.711, G.711 alone when it offers
  T.38; once both legs are answered the gateway bridges them (G.711/RTP <-> T.38/UDPTL), and
  either side hanging up ends both. One result line per call; exits after --max-calls calls
  (default 1). SIP options: --transport udp|tcp, --media-ports LO-HI, --advertise ADDR,
  --from URI, --username U --password P, --proxy URI, --session-expires SEC, --sip-trace.
audio leg:
  --codec slin|alaw|ulaw    payload: 16-bit linear LE (default, 320 B) or G.711 (160 B)
  --rtp                     12-byte RTP header (G.711 only)
  --frame-ms N              frame length 10..60 ms (default 20)
  --cushion N               play-out cushion, frames (default 2)
T.38 leg:
  --t38-version N           T38FaxVersion 0..4, must match the far end (default 0)
  --redundancy N            UDPTL secondaries per datagram 0..15 (default 3)
  --fec SPAN,ENTRIES        parity FEC instead of redundancy
  --fill-bit-removal        T38FaxFillBitRemoval negotiated (fill bits not sent over IP)
fax:
  --no-ecm                  remove ECM from the capabilities relayed (DIS/DTC)
  --local-tcf               data-rate management method 1 (the gateway judges TCF itself)
  --block-modems LIST       remove these modems from DIS/DTC (v17,v29,v27)
  --max-rate N              cap the bit rate offered, 2400..14400
  --keep-nsx                relay NSF/NSC/NSS untouched (default: neutralised)
run:
  --speed F                 fax clock F x the wall clock (all parties alike; default 1)
  --idle SEC                stop when both legs are idle this long (fax seconds, default 3;
                            at least 7 before a DCN has been relayed)
  --timeout SEC             give up after SEC wall seconds (default 300)
  --trace                   one stderr line per IFP relayed each way
  --json                    the result as one JSON object
result line, e.g.:
  gateway: pages=3 rate=14400 ecm=on completed=yes ifps-tx=1563 ifps-rx=66 lost=0 recovered=1 underruns=0 overruns=0 drift=+12ppm ...`;

const OPTIONS = {
  'audio-local': { type: 'string' },
  'audio-remote': { type: 'string' },
  't38-local': { type: 'string' },
  't38-remote': { type: 'string' },
  codec: { type: 'string' },
  rtp: { type: 'boolean' },
  'frame-ms': { type: 'string' },
  cushion: { type: 'string' },
  redundancy: { type: 'string' },
  fec: { type: 'string' },
  't38-version': { type: 'string' },
  'no-ecm': { type: 'boolean' },
  'local-tcf': { type: 'boolean' },
  'fill-bit-removal': { type: 'boolean' },
  'block-modems': { type: 'string' },
  'max-rate': { type: 'string' },
  'keep-nsx': { type: 'boolean' },
  speed: { type: 'string' },
  idle: { type: 'string' },
  timeout: { type: 'string' },
  trace: { type: 'boolean' },
  json: { type: 'boolean' },
  ...SIP_OPTIONS,
} as const;

type BlockableModem = NonNullable<FaxMessageEditOptions['blockModems']>[number];
const MODEMS: Readonly<Record<string, BlockableModem>> = { v17: 'v17', v29: 'v29', v27: 'v27ter', v27ter: 'v27ter' };

function required(v: string | undefined, option: string): string {
  if (v === undefined) throw new UsageError(`${option} is required`);
  return v;
}

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs({ args, options: OPTIONS, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  if (v['sip-listen'] !== undefined) return runSip(v);
  const audioLocal = parsePort(required(v['audio-local'], '--audio-local'), '--audio-local');
  const audioRemote = parseHostPort(required(v['audio-remote'], '--audio-remote'), '--audio-remote');
  const t38Local = parsePort(required(v['t38-local'], '--t38-local'), '--t38-local');
  const t38Remote = parseHostPort(required(v['t38-remote'], '--t38-remote'), '--t38-remote');
  const codec = v.codec ?? 'slin';
  if (codec !== 'slin' && codec !== 'alaw' && codec !== 'ulaw') throw new UsageError(`--codec: slin, alaw or ulaw, got '${codec}'`);
  if (v.rtp === true && codec === 'slin') throw new UsageError('--rtp needs --codec alaw or ulaw (RTP carries G.711 here)');
  const frameMs = parseNumber(v['frame-ms'], '--frame-ms', 10, 60, true) ?? 20;
  const { options, speed, idleSec, timeoutSec, cushion } = gatewayOptions(v);
  const version = options.t38Version ?? 0;
  const gateway = new T38Gateway(options);
  const outcome = await runGateway({
    gateway,
    audio: { codec, rtp: v.rtp === true, frameMs, cushion, localPort: audioLocal, remoteHost: audioRemote.host, remotePort: audioRemote.port },
    t38: { localPort: t38Local, remoteHost: t38Remote.host, remotePort: t38Remote.port },
    speed,
    idleSec,
    timeoutMs: timeoutSec * 1000,
    onBound: (p) =>
      process.stderr.write(
        `faxwire gateway: ready, audio :${p.audio} <-> ${audioRemote.host}:${audioRemote.port} (${codec}${v.rtp === true ? '/RTP' : ''}), ` +
          `T.38 v${version} :${p.t38} <-> ${t38Remote.host}:${t38Remote.port}, fax clock ${speed}x\n`,
      ),
    ...(options.onTrace ? { onEvent: (e) => options.onTrace?.(`EVENT ${JSON.stringify(e)}`) } : {}),
  });
  if (v.json === true) {
    process.stdout.write(`${JSON.stringify({ ...outcome.summary, end: outcome.end, faxMs: outcome.faxMs, wallMs: Math.round(outcome.wallMs), audio: outcome.audio, t38: outcome.t38, clock: outcome.clock, lateTicks: outcome.lateTicks, socketErrors: outcome.socketErrors })}\n`);
  } else {
    process.stdout.write(`${resultLine(outcome)}\n`);
  }
  return outcome.summary.completed ? 0 : 1;
}

type GatewayValues = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The gateway's own options (fax editing, error correction, pacing), common to both modes. */
function gatewayOptions(v: GatewayValues): { options: T38GatewayOptions; speed: number; idleSec: number; timeoutSec: number; cushion: number } {
  const errorCorrection = parseErrorCorrection(v.redundancy, v.fec);
  const version = (parseNumber(v['t38-version'], '--t38-version', 0, 4, true) ?? 0) as T38Version;
  const cushion = parseNumber(v.cushion, '--cushion', 0, 32, true) ?? 2;
  const maxBitRate = parseNumber(v['max-rate'], '--max-rate', 2400, 14400, true);
  const blockModems: BlockableModem[] = [];
  if (v['block-modems'] !== undefined) {
    for (const name of v['block-modems'].split(',')) {
      const m = MODEMS[name.trim().toLowerCase()];
      if (m === undefined) throw new UsageError(`--block-modems: unknown modem '${name}' (v17, v29, v27)`);
      blockModems.push(m);
    }
    if (new Set(blockModems).size === 3) throw new UsageError('--block-modems: blocking v17, v29 and v27 leaves no modem');
  }
  const speed = parseNumber(v.speed, '--speed', 0.01, 1000, false) ?? 1;
  const idleSec = parseNumber(v.idle, '--idle', 0.1, 3600, false) ?? 3;
  const timeoutSec = parseNumber(v.timeout, '--timeout', 0.1, 86_400, false) ?? 300;
  const edit: FaxMessageEditOptions = {
    ...(v['keep-nsx'] === true ? { nsx: 'keep' as const } : {}),
    ...(blockModems.length > 0 ? { blockModems } : {}),
    ...(maxBitRate !== undefined ? { maxBitRate } : {}),
  };
  const trace = v.trace === true ? (line: string): void => void process.stderr.write(`${line}\n`) : undefined;
  const options: T38GatewayOptions = {
    t38Version: version,
    ...(errorCorrection !== undefined ? { errorCorrection } : {}),
    ...(v['no-ecm'] === true ? { ecm: false } : {}),
    ...(v['local-tcf'] === true ? { localTcf: true } : {}),
    ...(v['fill-bit-removal'] === true ? { fillBitRemoval: true } : {}),
    edit,
    ...(trace ? { onTrace: trace } : {}),
  };
  return { options, speed, idleSec, timeoutSec, cushion };
}

/** `--sip-listen`: the gateway as a back-to-back user agent, one result line per call. */
async function runSip(v: GatewayValues): Promise<number> {
  const { to: target, ...rest } = v;
  const sip = sipSettings(rest, 'receive');
  if (target === undefined || !/^sips?:/i.test(target)) throw new UsageError('--sip-listen needs --to sip:URI (where the second leg goes)');
  for (const o of ['audio-local', 'audio-remote', 't38-local', 't38-remote', 'codec', 'rtp', 'frame-ms'] as const) {
    if (v[o] !== undefined) throw new UsageError(`--${o} is for the fixed-port gateway; with --sip-listen the SDP names the media`);
  }
  const { options, speed, idleSec, timeoutSec, cushion } = gatewayOptions(v);
  const caps: T38SdpCapabilities = {
    maxVersion: options.t38Version ?? 0,
    maxBitRate: 14400,
    maxBuffer: 2000,
    maxDatagram: 400,
    errorCorrection: options.errorCorrection?.mode === 'fec' ? ['fec', 'redundancy'] : ['redundancy', 'fec'],
    fillBitRemoval: false,
    transcodingMmr: false,
    transcodingJbig: false,
    rateManagement: options.localTcf === true ? ['localTCF', 'transferredTCF'] : ['transferredTCF', 'localTCF'],
  };
  let taken = 0;
  let done = 0;
  let failures = 0;
  let finish: (() => void) | undefined;
  const allDone = new Promise<void>((r) => (finish = r));
  const running: Promise<void>[] = [];
  const box: { ep?: SipEndpoint } = {};
  const onCall = (call: SipCall): void => {
    const endpoint = box.ep;
    if (endpoint === undefined || taken >= sip.maxCalls) {
      call.reject(486, endpoint?.now() ?? 0, 'Busy Here');
      return;
    }
    taken += 1;
    const n = taken;
    running.push(
      (async () => {
        try {
          const out = await runSipGatewayCall({
            endpoint,
            call,
            target,
            t38Caps: caps,
            makeGateway: (br) =>
              new T38Gateway({
                ...options,
                t38Version: br.t38.params.version,
                errorCorrection: errorCorrectionFor(br.t38.params.errorCorrection, options.errorCorrection),
                ...(br.t38.params.rateManagement === 'localTCF' ? { localTcf: true } : {}),
              }),
            speed,
            cushion,
            idleSec,
            timeoutMs: timeoutSec * 1000,
            onEvent: (e) => {
              if (e.type === 'bridge' && v.json !== true) {
                process.stderr.write(
                  `faxwire gateway #${n}: bridged ${e.bridge.audio.codec}/RTP ${e.bridge.audio.remoteHost}:${e.bridge.audio.remotePort} <-> T.38 v${e.bridge.t38.params.version} ${e.bridge.t38.remoteHost}:${e.bridge.t38.remotePort} (incoming leg: ${e.bridge.incoming})\n`,
                );
              }
            },
          });
          const ok = out.gateway?.summary.completed === true;
          if (!ok) failures += 1;
          if (v.json === true) {
            process.stdout.write(`${JSON.stringify({ call: n, bridged: out.bridged, reason: out.reason, ...(out.status !== undefined ? { status: out.status } : {}), ...(out.gateway !== undefined ? { ...out.gateway.summary, end: out.gateway.end, faxMs: out.gateway.faxMs } : {}) })}\n`);
          } else if (out.gateway !== undefined) {
            process.stdout.write(`${resultLine(out.gateway)} call=${n} sip-end="${out.reason}"\n`);
          } else {
            process.stdout.write(`gateway: call=${n} bridged=no status=${out.status ?? 0} reason="${out.reason}"\n`);
          }
        } catch (e) {
          failures += 1;
          process.stderr.write(`faxwire gateway: call ${n}: ${e instanceof Error ? e.message : String(e)}\n`);
        } finally {
          done += 1;
          if (done >= sip.maxCalls) finish?.();
        }
      })(),
    );
  };
  const ep = await openEndpoint(sip, onCall);
  box.ep = ep;
  const onSigint = (): void => finish?.();
  process.on('SIGINT', onSigint);
  try {
    process.stderr.write(`faxwire gateway: ready, SIP on ${sip.transport.toUpperCase()} ${sip.bindAddress}:${ep.transport.port} (advertising ${ep.advertise}), second legs to ${target}, fax clock ${speed}x\n`);
    await allDone;
    await Promise.all(running);
    await ep.drain(2000);
  } finally {
    process.off('SIGINT', onSigint);
    await ep.close();
  }
  return failures === 0 && done > 0 ? 0 : 1;
}
