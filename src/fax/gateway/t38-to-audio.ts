// PLACEHOLDER (replaced by the real T38ToAudio): the API the gateway is written against.
import type { Ifp } from '../../t38/ifp.js';
import type { AudioModemKit } from '../audio-receiver.js';
import type { GatewayFrameEditor, GatewayFrameObserver } from './types.js';
export interface T38ToAudioOptions {
  readonly kit?: AudioModemKit;
  readonly editor?: GatewayFrameEditor;
  readonly onFrame?: GatewayFrameObserver;
  readonly levelDbm0?: number;
  readonly tep?: boolean;
  readonly localTcf?: boolean;
  readonly maxHoldMs?: number;
  readonly midRxTimeoutMs?: number;
  readonly maxFrameLength?: number;
}
export interface T38ToAudioStats { underruns: number; overruns: number }
export class T38ToAudio {
  constructor(o: T38ToAudioOptions) { void o; }
  receive(ifp: Ifp, now: number): void { void ifp; void now; }
  markMissing(count: number): void { void count; }
  transmit(out: Int16Array, offset: number, n: number): void { out.fill(0, offset, offset + n); }
  getStats(): T38ToAudioStats { return { underruns: 0, overruns: 0 }; }
  get bufferedMs(): number { return 0; }
  get signalActive(): boolean { return false; }
}
