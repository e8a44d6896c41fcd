/**
 * The one-line result of a gateway call, shared by `faxwire gateway` and `faxwire demo` (which
 * must not load each other's modules): pages, rate, ECM, completion, IFPs each way, recovery
 * and loss, play-out under/overruns, the drift the gateway estimated, then how the driver ended,
 * the fax time, the clock lock's corrections (+frames added / −frames withheld), the audio
 * peer's clock as the driver measured it from frame arrivals (peer-clock), the audio
 * play-out's underruns and the ticks that ran late.
 */

import type { GatewayDriverOutcome } from '../node/gateway-driver.js';

/** `gateway: pages=3 rate=14400 ecm=on completed=yes …` */
export function resultLine(o: GatewayDriverOutcome): string {
  const s = o.summary;
  const p = o.clock.peerPpm;
  const peer = p === undefined ? '?' : `${p >= 0 ? '+' : ''}${p}`;
  const drift = s.driftPpm === undefined ? '?' : `${s.driftPpm >= 0 ? '+' : ''}${s.driftPpm}`;
  return (
    `gateway: pages=${s.pages} rate=${s.bitRate} ecm=${s.ecm ? 'on' : 'off'} completed=${s.completed ? 'yes' : 'no'} ` +
    `ifps-tx=${s.ifpsSent} ifps-rx=${s.ifpsReceived} lost=${s.ifpsLost} recovered=${s.ifpsRecovered} ` +
    `underruns=${s.underruns} overruns=${s.overruns} drift=${drift}ppm ` +
    `end=${o.end} fax-seconds=${(o.faxMs / 1000).toFixed(1)} clock-lock=+${o.clock.extraFrames}/-${o.clock.withheldFrames} peer-clock=${peer}ppm ` +
    `audio-underruns=${o.audio.playout.underruns} late-ticks=${o.lateTicks}`
  );
}

