/**
 * T.30 time-outs and the other timing constants of the procedure — ITU-T T.30 (09/2005) §5.4.3
 * ("Time-outs"), Annex A (ECM: T5 and the PPR/CTC/EOR limits), §5.2 (CNG/CED cadence) and
 * §5.3 (signal spacing, TCF). Everything is in milliseconds; the engine never reads a clock, it
 * compares these against the `now` its driver passes in (DESIGN.md: "time is data").
 *
 * Where T.30 gives a tolerance, the nominal value is exported as `…_MS` and the tolerance as
 * `…_TOLERANCE_MS`. The engine waits for the far end with the *upper* end of the tolerance for
 * T2 and T4 (an IP path adds delay and jitter the recommendation did not foresee, and a
 * conforming peer may answer anywhere inside its own tolerance), and with the nominal value for
 * the long supervision timers T0, T1 and T5.
 */

import { INTER_SIGNAL_SILENCE_MS } from '../modem/modulation.js';

/**
 * T0 (§5.4.3.1): how long a calling terminal waits for the called terminal to answer —
 * 60 ± 5 s (up to 120 s where long set-up times are expected). Here: from `start()` until
 * anything is heard from the far end (CED or V.21), when T1 takes over.
 */
export const T30_T0_MS = 60_000;

/**
 * T1 (§5.4.3.1): how long two terminals keep trying to identify each other — 35 ± 5 s, from
 * the entry into phase B until a valid signal is recognised. Bounds the DIS repetitions of the
 * answering terminal and the calling terminal's wait for DIS.
 */
export const T30_T1_MS = 35_000;
export const T30_T1_TOLERANCE_MS = 5_000;

/**
 * T2 (§5.4.3.1): loss of command/response synchronisation — 6 ± 1 s, started on entering the
 * "command received" procedure (a terminal waiting for the far end's next command or for
 * the message itself).
 */
export const T30_T2_MS = 6_000;
export const T30_T2_TOLERANCE_MS = 1_000;

/**
 * T3 (§5.4.3.1): operator alert after a procedure interrupt — 10 ± 5 s; a terminal that gets no
 * operator within it goes on with other commands or responses. This engine has no operator, so
 * it goes on at once: PRI-Q is answered as Q, PIP taken as MCF, PIN as a negative answer
 * (phase-d.ts). T3 is only named here for completeness.
 */
export const T30_T3_MS = 10_000;

/**
 * T4 (§5.4.3.1): how long a terminal waits for a response after sending a command —
 * 3.0 s ± 15 % for automatic terminals (manual terminals may use 4.5 s ± 15 % until the first
 * DIS has been answered; an automatic engine has no manual mode).
 */
export const T30_T4_MS = 3_000;
export const T30_T4_TOLERANCE_MS = 450;

/**
 * T5 (§5.4.3.1, Annex A): ECM flow control — 60 ± 5 s, started at the first RNR received; the
 * transmitter keeps sending RR while it runs and sends DCN when it expires.
 */
export const T30_T5_MS = 60_000;

/** What the engine actually waits: T2 and T4 at the upper end of their tolerance (see above). */
export const T2_WAIT_MS = T30_T2_MS + T30_T2_TOLERANCE_MS;
export const T4_WAIT_MS = T30_T4_MS + T30_T4_TOLERANCE_MS;

/**
 * Once V.21 flags are heard while a response/command timer runs, T.30 resets that timer (the far
 * end is talking); the frame itself must then arrive within this time. T.30 leaves it unnamed;
 * 3 s matches T4 and what spandsp uses for the same wait.
 */
export const FLAGS_TO_FRAME_MS = 3_000;

/**
 * Mid-signal backstop while receiving a page (non-ECM data or ECM frames): if the line reports
 * nothing for this long, the carrier is considered lost. T.30 has no timer for it; 15 s is the
 * backstop spandsp's T.38 terminal uses (interop/spandsp-peer/README.md).
 */
export const RX_STALL_MS = 15_000;

/** "Repeat the command up to three times" (§5.4.3 and the flow charts' "3rd try?" boxes). */
export const MAX_COMMAND_TRIES = 3;

/** Annex A §A.4: after the 4th PPR for one partial page the transmitter sends CTC or EOR. */
export const PPR_LIMIT_BEFORE_CTC_OR_EOR = 4;

/** How many times one page may be answered RTN before the transmitter gives up (local policy). */
export const MAX_RTN_PER_PAGE = 3;

/** CED (§5.2.4): the answer tone, 2.6–4.0 s; 3 s sent after a 200 ms pause (as spandsp does). */
export const CED_MS = 3_000;
export const PRE_CED_SILENCE_MS = 200;

/** CNG (§5.2.3.1): the calling tone, 0.5 s on / 3 s off, until DIS is recognised. */
export const CNG_ON_MS = 500;
export const CNG_OFF_MS = 3_000;

/** Spacing between the end of one signal and the start of the next one: 75 ± 20 ms (§5.3.2.4). */
export const INTER_SIGNAL_MS = INTER_SIGNAL_SILENCE_MS;

/** TCF, the training check T.30 defines: 1.5 s ± 10 % of zeros at the chosen rate after the training. */
export const TCF_MS = 1_500;

/**
 * TCF acceptance criterion of the receiver (T.30 leaves it to the implementation): the longest
 * run of zero bits received must last at least this long at the announced rate — i.e. two
 * thirds of the 1.5 s TCF arrived intact in one piece. This is spandsp's criterion ("the longest
 * run of zeros ≥ one second's worth of bits").
 */
export const TCF_MIN_ZERO_RUN_MS = 1_000;

/**
 * Confirm-after-store, non-ECM receiver: the longest the answer to MPS/EOM/EOP is held while the
 * application stores the page. T.30 has no RNR outside Annex A, and the transmitter waits T4 =
 * 3 s ± 15 % (T.30 §5.4.3.1, Annex A: at least 2.55 s) from the end of its command for the
 * response to start; 2 s leaves ~0.5 s for the network both ways and for our V.21 preamble's
 * flags to reach it. If the application has not answered by then, the page counts as not stored.
 */
export const CONFIRM_HOLD_MS = 2_000;

/** Everything the engine can have armed, by T.30 name where T.30 names it. */
export type T30TimerName =
  /** Waiting for the called terminal to answer (calling side, phase A). */
  | 'T0'
  /** Phase B identification (DIS repeats / waiting for DIS). */
  | 'T1'
  /** Waiting for a command or for the message. */
  | 'T2'
  /** Waiting for a response. */
  | 'T4'
  /** ECM receiver-not-ready supervision. */
  | 'T5'
  /** The 3 s gap between CNG bursts. */
  | 'CNG'
  /** Page data stopped arriving mid-page. */
  | 'RX_STALL'
  /** Confirm-after-store, non-ECM: how long the answer to MPS/EOM/EOP waits for the application. */
  | 'CONFIRM_HOLD';

/**
 * The armed timers: absolute expiry times in ms. Several run at once (T1 or T5 alongside a T2/T4
 * wait), so this is a small map with "earliest first" extraction, not a single slot.
 */
export class T30Timers {
  private readonly at = new Map<T30TimerName, number>();
  /**
   * The earliest expiry (Infinity: none), valid while `exact`. The engine asks for due timers at
   * every event and tick, far more often than it arms or clears one, so the scan of the map is
   * done again only after a change.
   */
  private earliest = Infinity;
  private exact = true;

  set(name: T30TimerName, atMs: number): void {
    this.at.set(name, atMs);
    this.exact = false;
  }

  clear(name: T30TimerName): void {
    if (this.at.delete(name)) this.exact = false;
  }

  clearAll(): void {
    this.at.clear();
    this.earliest = Infinity;
    this.exact = true;
  }

  has(name: T30TimerName): boolean {
    return this.at.has(name);
  }

  expiry(name: T30TimerName): number | undefined {
    return this.at.get(name);
  }

  private lowest(): number {
    if (!this.exact) {
      let best = Infinity;
      for (const t of this.at.values()) if (t < best) best = t;
      this.earliest = best;
      this.exact = true;
    }
    return this.earliest;
  }

  /** Absolute time of the earliest armed timer. */
  next(): number | undefined {
    const t = this.lowest();
    return t === Infinity ? undefined : t;
  }

  /** Removes and returns the earliest timer that is due at `nowMs`, if any. */
  popDue(nowMs: number): T30TimerName | undefined {
    if (!(this.lowest() <= nowMs)) return undefined;
    let best: T30TimerName | undefined;
    let bestAt = Infinity;
    for (const [name, t] of this.at) {
      if (t <= nowMs && t < bestAt) {
        best = name;
        bestAt = t;
      }
    }
    if (best !== undefined) {
      this.at.delete(best);
      this.exact = false;
    }
    return best;
  }

  /** The armed timers, for `getStats()` and traces. */
  snapshot(): Partial<Record<T30TimerName, number>> {
    return Object.fromEntries(this.at);
  }
}
