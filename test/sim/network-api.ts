/**
 * What a whole-call harness needs from a simulated network: datagrams sent towards endpoint 0
 * or 1, the time the next one arrives, and the ones due by a time. `VirtualNet` (network.ts,
 * random impairments) and `OvertakingNet` (overtaking.ts, chosen reordering) both provide it.
 */
export interface PacketNetwork {
  send(to: 0 | 1, bytes: Uint8Array, now: number): void;
  next(): number | undefined;
  due(now: number): readonly { readonly to: 0 | 1; readonly bytes: Uint8Array }[];
}
