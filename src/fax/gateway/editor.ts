// PLACEHOLDER (replaced by the real FaxMessageEditor): the API the gateway is written against.
import type { GatewayFrameEditor, GatewaySide } from './types.js';
export interface FaxMessageEditOptions {
  readonly nsx?: 'neutralize' | 'keep';
  readonly forceG3?: boolean;
  readonly blockModems?: readonly ('v27ter' | 'v29' | 'v17')[];
  readonly ecm?: boolean;
  readonly t6?: boolean;
  readonly maxBitRate?: number;
}
export class FaxMessageEditor implements GatewayFrameEditor {
  constructor(o: FaxMessageEditOptions = {}) { void o; }
  edit(frame: Uint8Array, from: GatewaySide): Uint8Array { void from; return frame; }
  tcfVerdict(ok: boolean): void { void ok; }
  getStats(): Record<string, number> { return {}; }
}
