/**
 * The one-line result of a gateway call, shared by `faxwire gateway` and `faxwire demo` (which
 * must not load each other's modules): pages, rate, ECM, completion, IFPs each way, recovery
 * and loss, play-out under/overruns, and `drift` — the fax machine's clock against this host's,
 * as the driver measures it from the audio frames' arrival times (gateway-driver.ts,
 * PeerClockEstimate). Then how the driver ended, the fax time, the clock lock's corrections
 * (+frames added / −frames withheld), `gw-drift` (T38Gateway's own estimate, audio samples
 * against T.38 time — reported as is; it counts from the first T.38 event and only advances
 * with T.38 traffic, so it is off by thousands of ppm when the legs start or stop apart), the
 * audio play-out's underruns and the ticks that ran late.
 */

import type { GatewayDriverOutcome } from '../node/gateway-driver.js';

function ppm(x: number | undefined): string {
  return x === undefined ? '?' : `${x >= 0 ? '+' : ''}${x}`;
}

/** `gateway: pages=3 rate=14400 ecm=on completed=yes …` */
export function resultLine(o: GatewayDriverOutcome): string {
  const s = o.summary;
  return (
    `gateway: pages=${s.pages} rate=${s.bitRate} ecm=${s.ecm ? 'on' : 'off'} completed=${s.completed ? 'yes' : 'no'} ` +
    `ifps-tx=${s.ifpsSent} ifps-rx=${s.ifpsReceived} lost=${s.ifpsLost} recovered=${s.ifpsRecovered} ` +
    `underruns=${s.underruns} overruns=${s.overruns} drift=${ppm(o.clock.peerPpm)}ppm ` +
    `end=${o.end} fax-seconds=${(o.faxMs / 1000).toFixed(1)} clock-lock=+${o.clock.extraFrames}/-${o.clock.withheldFrames} gw-drift=${ppm(s.driftPpm)}ppm ` +
    `audio-underruns=${o.audio.playout.underruns} late-ticks=${o.lateTicks}`
  );
}
