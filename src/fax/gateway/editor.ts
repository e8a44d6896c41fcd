/**
 * The T.30 message editor of the gateway: rewrites the few control frames whose content would
 * let the two fax machines agree on something the gateway cannot carry (T.38 §6.2.2 lets a
 * gateway modify T.30 frames it relays; spandsp's gateway does the same edits). Frames are in
 * T.30 document notation (first transmitted bit = MSB): address, control, FCF, FIF, no FCS.
 *
 * ```
 *  frame          edit                                                     option
 *  -------------  -------------------------------------------------------  ------------------
 *  NSF/NSC/NSS    FIF octets 1–3 (T.35 country code + provider code,       nsx 'neutralize'
 *                 T.30 §5.3.6.2.3/§5.3.6.2.5, T.35 §3) become FF 00 00:
 *                 country "extension follows" with code 00, provider 00 —
 *                 spandsp's default. No vendor recognises its peer, so no
 *                 proprietary mode starts across the relay.
 *  DIS/DTC        bit 6 (V.8 capabilities) cleared: two V.34 machines must  forceG3 (default)
 *                 not start V.8 through a gateway that relays V.17 at most.
 *                 Table 2 has no other V.34 bit (V.34 is negotiated by V.8,
 *                 T.30 Annex F).
 *                 bits 11–14 (data signalling rate) lowered to the best    blockModems,
 *                 valid code (T.30 Table 2) whose modems the machine has,  maxBitRate
 *                 that names no blocked modem and no rate above the cap —
 *                 always dropping V.33 (pre-2003 code 1110), which the
 *                 gateway's receivers do not run. Table 2 has no "V.27 ter +
 *                 V.17" code, so blocking V.29 drops V.17 too; a cap below
 *                 14 400 drops V.17 (a DIS cannot offer "V.17 up to 9600").
 *                 If no valid code remains the rate is left as it was (the
 *                 gateway does not invent a modem the machine lacks).
 *                 bit 27 (ECM) and what only works with ECM cleared: bit 7  ecm false
 *                 (64-octet frames preferred), T.6 (31), T.43 (36), JPEG and
 *                 colour (68, 69, 71, 73–75, 97, 98, 110, 111), T.85 (78, 79),
 *                 T.44 (92–94), T.45 (116), sYCC-JPEG (127), the file and
 *                 character modes (BFT 53, DTM 54, EDI 55, BTM 57, character
 *                 60, mixed 62, BFT negotiations 99, 100) — T.30 Table 2 notes
 *                 and T.4 Annex B: those codings need ECM.
 *                 bit 31 (T.6) cleared.                                    t6 false
 *  CFR from 't38' becomes FTT (X bit kept) once, after tcfVerdict(false):  local TCF (method 1)
 *                 the gateway judged the local machine's TCF bad, so it
 *                 must hear "failure to train" whatever the far end said.
 * ```
 * `edit` returns the same array when nothing changes and a new one otherwise. It never throws:
 * a frame too short for its FCF, or a DIS whose FIF does not decode, passes through untouched
 * and is counted (`malformed`).
 */

import { decodeDis, encodeDis, emptyDisFields, type DisFields, type DisFlagName, type FaxModem } from '../../t30/dis.js';
import { fcfValue, lookupFcf } from '../../t30/fcf.js';
import type { GatewayFrameEditor, GatewaySide } from './types.js';

export type GatewayModem = 'v27ter' | 'v29' | 'v17';

export interface FaxMessageEditOptions {
  /** NSF/NSC/NSS: 'neutralize' (default) overwrites country and vendor code; 'keep' passes them. */
  readonly nsx?: 'neutralize' | 'keep';
  /** Clear V.8 capability (DIS/DTC bit 6). Default true. */
  readonly forceG3?: boolean;
  /** Modems to remove from DIS/DTC bits 11–14. */
  readonly blockModems?: readonly GatewayModem[];
  /** false: clear ECM (bit 27) and the ECM-only capabilities. Default true (leave). */
  readonly ecm?: boolean;
  /** false: clear T.6 (bit 31). Default true (leave). */
  readonly t6?: boolean;
  /** Highest data signalling rate to offer (bit/s). Default: no cap. */
  readonly maxBitRate?: number;
}

export interface FaxMessageEditorStats {
  framesSeen: number;
  framesEdited: number;
  nsxNeutralized: number;
  v8Cleared: number;
  ratesLowered: number;
  /** A rate change was wanted but no valid code fits (left as it was). */
  ratesUnsatisfiable: number;
  ecmCleared: number;
  t6Cleared: number;
  cfrToFtt: number;
  /** Frames passed through because they were too short or their FIF did not decode. */
  malformed: number;
}

/** DIS/DTC capabilities that exist only with ECM (module comment). */
const ECM_ONLY: readonly DisFlagName[] = [
  'ecm',
  'prefer64OctetFrames',
  't6',
  't43',
  'planeInterleave',
  'jpeg',
  'fullColour',
  'twelveBitsPerComponent',
  'noSubsampling',
  'customIlluminant',
  'customGamut',
  'colour300or400',
  'colour100',
  'colour600x600',
  'colour1200x1200',
  't85',
  't85L0',
  't44PageLengthStripe',
  't44Ycc',
  't45',
  'syccJpeg',
  'bft',
  'dtm',
  'edi',
  'btm',
  'characterMode',
  'mixedMode',
  'simplePhaseCBft',
  'extendedBft',
];

interface RateChoice {
  readonly code: number;
  readonly modems: readonly FaxModem[];
  readonly bitRate: number;
}

/**
 * The DIS/DTC rate codes of the current T.30 (Table 2), best first, read through the DIS codec
 * itself (so the table lives in one place, dis.ts): every code that decodes to at least one
 * modem and is not a pre-2003 legacy code.
 */
const DIS_RATE_CHOICES: readonly RateChoice[] = (() => {
  const out: RateChoice[] = [];
  for (let code = 0; code < 16; code++) {
    const d = decodeDis(encodeDis({ ...emptyDisFields('DIS'), rateCode: code }), 'DIS');
    if (!d.ok) continue;
    const r = d.value.rate;
    if (r.legacy || r.bitRate === null || r.modems.length === 0) continue;
    out.push({ code, modems: r.modems, bitRate: r.bitRate });
  }
  return out.sort((a, b) => b.bitRate - a.bitRate || b.modems.length - a.modems.length);
})();

const MODEM_NAME: Readonly<Record<GatewayModem, FaxModem>> = { v27ter: 'V.27ter', v29: 'V.29', v17: 'V.17' };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FaxMessageEditor implements GatewayFrameEditor {
  private readonly nsx: 'neutralize' | 'keep';
  private readonly forceG3: boolean;
  private readonly blocked: ReadonlySet<FaxModem>;
  private readonly ecm: boolean;
  private readonly t6: boolean;
  private readonly maxBitRate: number;
  private fttPending = false;
  private readonly stats: FaxMessageEditorStats = {
    framesSeen: 0,
    framesEdited: 0,
    nsxNeutralized: 0,
    v8Cleared: 0,
    ratesLowered: 0,
    ratesUnsatisfiable: 0,
    ecmCleared: 0,
    t6Cleared: 0,
    cfrToFtt: 0,
    malformed: 0,
  };

  constructor(o: FaxMessageEditOptions = {}) {
    this.nsx = o.nsx ?? 'neutralize';
    this.forceG3 = o.forceG3 ?? true;
    // V.33 (legacy DIS code 1110) is always blocked: the gateway's receivers do not run it.
    this.blocked = new Set<FaxModem>(['V.33', ...(o.blockModems ?? []).map((m) => MODEM_NAME[m])]);
    this.ecm = o.ecm ?? true;
    this.t6 = o.t6 ?? true;
    this.maxBitRate = o.maxBitRate ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Local TCF (data-rate management method 1): the gateway's verdict on the TCF it judged. After
   * `false`, the next CFR relayed towards the audio side (from 't38') is sent as FTT; `true`
   * cancels a pending change.
   */
  tcfVerdict(ok: boolean): void {
    this.fttPending = !ok;
  }

  getStats(): Readonly<FaxMessageEditorStats> {
    return this.stats;
  }

  edit(frame: Uint8Array, from: GatewaySide): Uint8Array {
    this.stats.framesSeen++;
    if (frame.length < 3) {
      this.stats.malformed++;
      return frame;
    }
    const look = lookupFcf(frame[2] as number);
    if (look === undefined) return frame;
    let out = frame;
    const t = look.type;
    if (t === 'NSF' || t === 'NSC' || t === 'NSS') {
      if (this.nsx === 'neutralize') out = this.neutralizeNsx(frame);
    } else if (t === 'DIS' || t === 'DTC') {
      out = this.editDis(frame, t);
    } else if (t === 'CFR' && from === 't38' && this.fttPending) {
      this.fttPending = false;
      out = frame.slice();
      out[2] = fcfValue('FTT', look.xBit);
      this.stats.cfrToFtt++;
    } else if (t === 'FTT' && from === 't38') {
      // The far end refused the training itself: nothing left to change.
      this.fttPending = false;
    }
    if (out !== frame) this.stats.framesEdited++;
    return out;
  }

  private neutralizeNsx(frame: Uint8Array): Uint8Array {
    if (frame.length < 4) {
      this.stats.malformed++;
      return frame;
    }
    const code = [0xff, 0x00, 0x00];
    const n = Math.min(code.length, frame.length - 3);
    let same = true;
    for (let i = 0; i < n; i++) if (frame[3 + i] !== code[i]) same = false;
    if (same) return frame;
    const out = frame.slice();
    for (let i = 0; i < n; i++) out[3 + i] = code[i] as number;
    this.stats.nsxNeutralized++;
    return out;
  }

  private editDis(frame: Uint8Array, kind: 'DIS' | 'DTC'): Uint8Array {
    const fif = frame.subarray(3);
    const d = decodeDis(fif, kind);
    if (!d.ok) {
      this.stats.malformed++;
      return frame;
    }
    const info = d.value;
    const e: Mutable<DisFields> = { ...info };
    if (this.forceG3 && e.v8) {
      e.v8 = false;
      this.stats.v8Cleared++;
    }
    if (!this.ecm) {
      let cleared = false;
      for (const k of ECM_ONLY) {
        if (e[k]) {
          e[k] = false;
          cleared = true;
        }
      }
      if (e.t44Code !== 0) {
        e.t44Code = 0;
        cleared = true;
      }
      if (cleared) this.stats.ecmCleared++;
    }
    if (!this.t6 && e.t6) {
      e.t6 = false;
      this.stats.t6Cleared++;
    }
    const offered = info.rate;
    const top = offered.bitRate;
    if (top !== null && offered.modems.length > 0 && !this.rateFits(offered.modems, top)) {
      // Best valid code within what the machine offered and what the gateway allows.
      const choice = DIS_RATE_CHOICES.find((c) => c.bitRate <= top && c.modems.every((m) => offered.modems.includes(m)) && this.rateFits(c.modems, c.bitRate));
      if (choice === undefined) {
        this.stats.ratesUnsatisfiable++;
      } else {
        e.rateCode = choice.code;
        this.stats.ratesLowered++;
      }
    }
    let newFif: Uint8Array;
    try {
      newFif = encodeDis(e);
    } catch {
      this.stats.malformed++;
      return frame;
    }
    const body = fif.subarray(0, d.bytesRead);
    if (newFif.length === body.length && newFif.every((v, i) => v === body[i])) return frame;
    const out = new Uint8Array(3 + newFif.length + fif.length - d.bytesRead);
    out.set(frame.subarray(0, 3), 0);
    out.set(newFif, 3);
    out.set(fif.subarray(d.bytesRead), 3 + newFif.length); // octets after the FIF, kept
    return out;
  }

  private rateFits(modems: readonly FaxModem[], bitRate: number): boolean {
    return bitRate <= this.maxBitRate && modems.every((m) => !this.blocked.has(m));
  }
}
