/**
 * The boundary between the T.30 engine and whatever carries its signals: a T.38 IFP stream
 * (the T.38 terminal), or fax modems over G.711 audio (the audio terminal). T.30 speaks only in
 * these terms — it never knows which line it runs on (T.30 §5 describes the procedure in terms
 * of signals, the modems of §5.3.1/§5.3.2 and HDLC frames of §5.3.6; T.38 §5/§6 maps the same
 * signals onto IFP indicators and data).
 *
 * The engine queues transmit steps; the line sends them one after the other and reports
 * `tx-done` when each has fully left (carrier off). The line reports what it receives as
 * events. Both directions carry octets in line order with the first transmitted bit as the
 * MSB (T.30 document notation; T.4 data as T.38 carries it, like TIFF FillOrder 1).
 */

import type { FaxModulation } from '../modem/modulation.js';

/** What the engine asks the line to transmit, in order. */
export type T30TxStep =
  /** CNG (1100 Hz, 0.5 s on / 3 s off, T.30 §5.2.3.1) or CED (2100 Hz, T.30 §5.2.4): `ms` of it. */
  | { readonly kind: 'tone'; readonly tone: 'cng' | 'ced'; readonly ms: number }
  /** Nothing on the line for `ms` (e.g. the 75 ± 20 ms gap T.30 requires between signals). */
  | { readonly kind: 'silence'; readonly ms: number }
  /**
   * One HDLC burst: preamble flags (1 s at V.21, T.30 §5.3.1; shorter on fast modems), the
   * frames — each `address control FCF FIF` without FCS, the line adds and checks FCS —
   * then closing flags and carrier off. On V.21, the last frame has the final bit set in
   * its control octet (0xc8); the engine builds the frames, the line does not alter them.
   */
  | {
      readonly kind: 'hdlc';
      readonly modulation: FaxModulation;
      readonly frames: readonly Uint8Array[];
      /** Fast modems only: short (true) or long training. */
      readonly shortTrain?: boolean;
    }
  /** TCF, the training check: training then `ms` (1.5 s ± 10 %) of zeros. */
  | { readonly kind: 'tcf'; readonly modulation: FaxModulation; readonly ms: number }
  /**
   * One non-ECM page: training, then the T.4 bit stream exactly as given (already padded to
   * the negotiated minimum scan-line time, ending with RTC), then carrier off.
   */
  | { readonly kind: 'image'; readonly modulation: FaxModulation; readonly shortTrain: boolean; readonly data: Uint8Array };

/** What the line reports to the engine. */
export type T30LineEvent =
  /** The oldest queued step has completely left the line. */
  | { readonly kind: 'tx-done' }
  /** A tone was detected (or a T.38 `cng`/`ced` indicator received). */
  | { readonly kind: 'tone'; readonly tone: 'cng' | 'ced' }
  /** A signal started: V.21 preamble flags, or a fast modem's training. */
  | { readonly kind: 'signal'; readonly modulation: FaxModulation }
  /** A complete HDLC frame (octets without FCS); `ok` false when the FCS failed or data was lost. */
  | { readonly kind: 'hdlc-frame'; readonly modulation: FaxModulation; readonly frame: Uint8Array; readonly ok: boolean }
  /** The HDLC signal ended (carrier off after the closing flags). */
  | { readonly kind: 'hdlc-end'; readonly modulation: FaxModulation }
  /** Non-ECM data — TCF or a page, the engine knows which from its state. */
  | { readonly kind: 'non-ecm-data'; readonly modulation: FaxModulation; readonly data: Uint8Array }
  /** The non-ECM signal ended. */
  | { readonly kind: 'non-ecm-end'; readonly modulation: FaxModulation }
  /** Silence / T.38 `no-signal`. */
  | { readonly kind: 'no-signal' };
