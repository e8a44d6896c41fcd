/**
 * Vocabulary shared by the two halves of the T.38 gateway (T.38 §5–§7) and the gateway that
 * joins them: what the audio → T.38 half emits, how T.30 frames crossing the gateway may be
 * edited, and the frames the gateway watches to follow the call (pages, rate, DCN).
 */

import type { FaxModulation } from '../../modem/modulation.js';
import type { Ifp } from '../../t38/ifp.js';
import type { UdptlCategory } from '../../t38/udptl-sender.js';

/** One IFP the audio → T.38 half wants sent, with its UDPTL category (redundancy depth, repeats). */
export interface GatewayIfp {
  readonly ifp: Ifp;
  readonly category: UdptlCategory;
}

/** Which side a frame came from: the local fax machine ('audio') or the IP network ('t38'). */
export type GatewaySide = 'audio' | 't38';

/**
 * Rewrites T.30 frames crossing the gateway (octets in T.30 document notation — first
 * transmitted bit = MSB — address, control, FCF, FIF, no FCS). Returns the frame to relay (the
 * same array when unchanged, a new one when edited).
 */
export interface GatewayFrameEditor {
  edit(frame: Uint8Array, from: GatewaySide): Uint8Array;
}

/** A T.30 frame relayed by the gateway (after editing), for the gateway's own bookkeeping. */
export type GatewayFrameObserver = (frame: Uint8Array, ok: boolean, modulation: FaxModulation, from: GatewaySide) => void;
