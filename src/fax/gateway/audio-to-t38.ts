// PLACEHOLDER (replaced by the real AudioToT38): the API the gateway is written against.
import type { AudioModemKit } from '../audio-receiver.js';
import type { GatewayFrameEditor, GatewayFrameObserver, GatewayIfp } from './types.js';
export interface AudioToT38Options {
  readonly kit?: AudioModemKit;
  readonly editor?: GatewayFrameEditor;
  readonly onFrame?: GatewayFrameObserver;
  readonly localTcf?: boolean;
  readonly onTcf?: (ok: boolean, stats: { octets: number; nonZeroOctets: number; ms: number }) => void;
  readonly fillBitRemoval?: boolean;
  readonly chunkMs?: number;
}
export interface AudioToT38Stats { ifps: number }
export class AudioToT38 {
  constructor(o: AudioToT38Options, private readonly emit: (p: GatewayIfp) => void) { void o; void this.emit; }
  receive(samples: Int16Array, offset: number, n: number): void { void samples; void offset; void n; }
  fillIn(n: number): void { void n; }
  getStats(): AudioToT38Stats { return { ifps: 0 }; }
  get signalActive(): boolean { return false; }
}
