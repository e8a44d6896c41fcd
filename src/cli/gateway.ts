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

export const USAGE = `usage: faxwire gateway --audio-local PORT --audio-remote HOST:PORT --t38-local PORT --t38-remote HOST:PORT [options]
  A T.38 gateway for one call: a fax machine on the audio leg (8 kHz frames over UDP, like
  spandsp-peer's audiofax/t38gw) <-> T.38 over UDPTL. Says "ready" on stderr once bound; ends
  after the call (DCN relayed, or both legs idle) with one result line; exit 0 only for a
  completed fax.
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
  const audioLocal = parsePort(required(v['audio-local'], '--audio-local'), '--audio-local');
  const audioRemote = parseHostPort(required(v['audio-remote'], '--audio-remote'), '--audio-remote');
  const t38Local = parsePort(required(v['t38-local'], '--t38-local'), '--t38-local');
  const t38Remote = parseHostPort(required(v['t38-remote'], '--t38-remote'), '--t38-remote');
  const codec = v.codec ?? 'slin';
  if (codec !== 'slin' && codec !== 'alaw' && codec !== 'ulaw') throw new UsageError(`--codec: slin, alaw or ulaw, got '${codec}'`);
  if (v.rtp === true && codec === 'slin') throw new UsageError('--rtp needs --codec alaw or ulaw (RTP carries G.711 here)');
  const frameMs = parseNumber(v['frame-ms'], '--frame-ms', 10, 60, true) ?? 20;
  const cushion = parseNumber(v.cushion, '--cushion', 0, 32, true) ?? 2;
  const errorCorrection = parseErrorCorrection(v.redundancy, v.fec);
  const version = (parseNumber(v['t38-version'], '--t38-version', 0, 4, true) ?? 0) as T38Version;
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
    ...(trace ? { onEvent: (e) => trace(`EVENT ${JSON.stringify(e)}`) } : {}),
  });
  if (v.json === true) {
    process.stdout.write(`${JSON.stringify({ ...outcome.summary, end: outcome.end, faxMs: outcome.faxMs, wallMs: Math.round(outcome.wallMs), audio: outcome.audio, t38: outcome.t38, clock: outcome.clock, lateTicks: outcome.lateTicks, socketErrors: outcome.socketErrors })}\n`);
  } else {
    process.stdout.write(`${resultLine(outcome)}\n`);
  }
  return outcome.summary.completed ? 0 : 1;
}
