/**
 * Which fast modem comes next, read from the T.30 frames that set it: DCS (T.30 §5.3.6.2.3,
 * Table 2 bits 11–14 for modem and rate, bit 27 for ECM) and CTC (Annex A §A.4.3, the rate for
 * the next ECM block after four PPRs). An audio terminal needs it to start the right receiver
 * before the training arrives, and so does a gateway (T.38 §6.2.2 — a gateway learns the fast
 * modem from the DCS it relays; spandsp's does the same). T.30 frames here are in document
 * notation (first transmitted bit = MSB): address, control, FCF, FIF.
 */

import { decodeDis } from '../t30/dis.js';
import { stepForRateCode } from '../t30/negotiate.js';
import type { FaxModulation } from '../modem/modulation.js';

export interface FastModemPlan {
  readonly modulation: FaxModulation;
  /** From DCS: whether the message will be ECM HDLC frames (true) or a T.4 bit stream. CTC: undefined. */
  readonly ecm: boolean | undefined;
}

const FCF_DCS = 0x41; // X100 0001, X masked (T.30 Table 1)
const FCF_CTC = 0x48; // X100 1000

/** The fast modem a DCS or CTC frame selects; undefined for any other frame or a bad FIF. */
export function fastModemFromFrame(frame: Uint8Array): FastModemPlan | undefined {
  if (frame.length < 4) return undefined;
  const fcf = (frame[2] as number) & 0x7f;
  const fif = frame.subarray(3);
  if (fcf === FCF_DCS) {
    const d = decodeDis(fif, 'DCS');
    if (!d.ok) return undefined;
    const step = stepForRateCode(d.value.rateCode);
    return step ? { modulation: step.modulation, ecm: d.value.ecm === true } : undefined;
  }
  if (fcf === FCF_CTC && fif.length >= 2) {
    // CTC's FIF is DCS octets 1–2 only (Annex A §A.4.3), too short for decodeDis: bits 11–14
    // are bits 5…2 of its second octet (bit n is in octet ⌊(n−1)/8⌋, mask 0x80 ≫ (n−1) mod 8).
    const step = stepForRateCode(((fif[1] as number) >> 2) & 0x0f);
    return step ? { modulation: step.modulation, ecm: undefined } : undefined;
  }
  return undefined;
}
