/**
 * The states of the T.30 procedure and every move between them — ITU-T T.30 (09/2005) §5
 * (phases A–E) and the flow charts of Figure 5-2 (and Annex A for ECM). Everything that decides
 * whether a move is possible lives here and nowhere else (DESIGN.md: one file owns the moves of
 * a state machine); `T30Machine.setState()` (machine.ts) asks `checkMove()` before it moves, and
 * the phase modules only ever move through `setState()`. This module imports nothing of the
 * machine or the phases.
 *
 * States are named after the nodes of the T.30 flow charts (and, where T.30 has no name, after
 * what spandsp and HylaFAX call the same place).
 */

import { FaxwireError } from '../util/errors.js';

/**
 * The engine's states. Phase A: `A_CNG`, `A_CED`. Phase B: `T` (transmitter waiting for DIS),
 * `R` (DIS/DTC sent, waiting for a command), `D_TCF` (DCS + TCF sent, waiting for CFR/FTT),
 * `F_TCF` (receiving TCF), `F_CFR` (CFR sent, waiting for the page), `F_FTT` (FTT sent, waiting
 * for a new DCS). Phase C: `I` (sending a non-ECM page), `IV` (sending an ECM block),
 * `F_DOC_NON_ECM` / `F_DOC_ECM` (receiving). Phase D, transmitter: `II_Q` (MPS/EOM/EOP sent),
 * `IV_PPS_NULL` / `IV_PPS_Q` (PPS sent), `IV_PPS_RNR` (RR sent after RNR), `IV_CTC`, `IV_EOR`,
 * `IV_EOR_RNR`; receiver: `F_POST_DOC_NON_ECM` (page ended, waiting for MPS/EOM/EOP),
 * `III_Q_MCF` / `III_Q_RTN` (answered), `F_POST_DOC_ECM` (RCP seen, waiting for PPS),
 * `F_POST_RCP_MCF` / `F_POST_RCP_PPR` (answered MCF or ERR / PPR or CTR), `F_POST_RCP_RNR`
 * (answered RNR: the block that ends the page is complete but our page sink is not ready,
 * Annex A flow control). Phase E: `E_DCN` (DCN being sent), `CALL_FINISHED`.
 */
export const T30_STATES = [
  'IDLE',
  'A_CNG',
  'A_CED',
  'T',
  'R',
  'D_TCF',
  'F_TCF',
  'F_CFR',
  'F_FTT',
  'I',
  'IV',
  'F_DOC_NON_ECM',
  'F_DOC_ECM',
  'II_Q',
  'IV_PPS_NULL',
  'IV_PPS_Q',
  'IV_PPS_RNR',
  'IV_CTC',
  'IV_EOR',
  'IV_EOR_RNR',
  'F_POST_DOC_NON_ECM',
  'III_Q_MCF',
  'III_Q_RTN',
  'F_POST_DOC_ECM',
  'F_POST_RCP_MCF',
  'F_POST_RCP_PPR',
  'F_POST_RCP_RNR',
  'E_DCN',
  'CALL_FINISHED',
] as const;
export type T30State = (typeof T30_STATES)[number];

export type T30Phase = 'A' | 'B' | 'C' | 'D' | 'E';

/**
 * Whom a state waits for: the far end's next `command` (we owe it a response: T.30's "command
 * received" charts, where a corrupted burst is answered CRP), the `response` to the command we
 * sent ("response received" charts, where a corrupted burst makes us repeat the command), or
 * neither (`-`: sending, receiving a signal, or outside phases B and D).
 */
type Awaits = 'command' | 'response' | '-';

/** Each state's phase and whom it waits for; the compiler makes every new state say both. */
const STATE_TABLE: { readonly [K in T30State]: readonly [T30Phase, Awaits] } = {
  IDLE: ['A', '-'],
  A_CNG: ['A', '-'],
  A_CED: ['A', '-'],
  T: ['B', '-'],
  R: ['B', 'command'],
  D_TCF: ['B', 'response'],
  F_TCF: ['B', '-'],
  F_CFR: ['B', '-'],
  F_FTT: ['B', 'command'],
  I: ['C', '-'],
  IV: ['C', '-'],
  F_DOC_NON_ECM: ['C', '-'],
  F_DOC_ECM: ['C', '-'],
  II_Q: ['D', 'response'],
  IV_PPS_NULL: ['D', 'response'],
  IV_PPS_Q: ['D', 'response'],
  IV_PPS_RNR: ['D', 'response'],
  IV_CTC: ['D', 'response'],
  IV_EOR: ['D', 'response'],
  IV_EOR_RNR: ['D', 'response'],
  F_POST_DOC_NON_ECM: ['D', 'command'],
  III_Q_MCF: ['D', 'command'],
  III_Q_RTN: ['D', 'command'],
  F_POST_DOC_ECM: ['D', 'command'],
  F_POST_RCP_MCF: ['D', 'command'],
  F_POST_RCP_PPR: ['D', 'command'],
  F_POST_RCP_RNR: ['D', 'command'],
  E_DCN: ['E', '-'],
  CALL_FINISHED: ['E', '-'],
};

/** The phase (A–E) of every state. */
export const T30_STATE_PHASE: { readonly [K in T30State]: T30Phase } = Object.freeze(
  Object.fromEntries(T30_STATES.map((s) => [s, STATE_TABLE[s][0]])) as { [K in T30State]: T30Phase },
);

/**
 * The moves the procedure makes (besides the ones every state may make: to itself, to `E_DCN`
 * and to `CALL_FINISHED`). Reading it top to bottom is reading the flow charts.
 */
const TRANSITIONS: { readonly [K in T30State]: readonly T30State[] } = {
  IDLE: ['A_CNG', 'A_CED'],
  A_CNG: ['D_TCF', 'R'],
  A_CED: ['R'],
  T: ['D_TCF', 'R'],
  R: ['R', 'F_TCF', 'F_CFR', 'D_TCF', 'III_Q_MCF', 'F_POST_RCP_MCF'],
  D_TCF: ['D_TCF', 'I', 'IV'],
  F_TCF: ['F_TCF', 'F_CFR', 'F_FTT'],
  F_CFR: ['F_CFR', 'F_TCF', 'F_DOC_NON_ECM', 'F_DOC_ECM', 'F_POST_DOC_ECM', 'F_POST_RCP_MCF', 'F_POST_RCP_PPR', 'F_POST_RCP_RNR'],
  F_FTT: ['F_TCF', 'F_CFR'],
  I: ['II_Q'],
  IV: ['IV_PPS_NULL', 'IV_PPS_Q'],
  F_DOC_NON_ECM: ['F_POST_DOC_NON_ECM'],
  F_DOC_ECM: ['F_DOC_ECM', 'F_POST_DOC_ECM', 'F_POST_RCP_MCF', 'F_POST_RCP_PPR', 'F_POST_RCP_RNR'],
  II_Q: ['II_Q', 'I', 'D_TCF', 'T'],
  IV_PPS_NULL: ['IV_PPS_NULL', 'IV', 'IV_PPS_RNR', 'IV_CTC', 'IV_EOR'],
  IV_PPS_Q: ['IV_PPS_Q', 'IV', 'IV_PPS_RNR', 'IV_CTC', 'IV_EOR', 'T'],
  IV_PPS_RNR: ['IV_PPS_RNR', 'IV', 'IV_CTC', 'IV_EOR', 'T'],
  IV_CTC: ['IV_CTC', 'IV'],
  IV_EOR: ['IV_EOR', 'IV', 'IV_EOR_RNR', 'T'],
  IV_EOR_RNR: ['IV_EOR_RNR', 'IV', 'T'],
  F_POST_DOC_NON_ECM: ['III_Q_MCF', 'III_Q_RTN', 'F_TCF', 'F_CFR'],
  III_Q_MCF: ['III_Q_MCF', 'III_Q_RTN', 'F_DOC_NON_ECM', 'F_TCF', 'F_CFR', 'R'],
  III_Q_RTN: ['III_Q_RTN', 'F_TCF', 'F_CFR'],
  F_POST_DOC_ECM: ['F_POST_RCP_MCF', 'F_POST_RCP_PPR', 'F_POST_RCP_RNR', 'F_DOC_ECM'],
  F_POST_RCP_MCF: ['F_POST_RCP_MCF', 'F_DOC_ECM', 'F_POST_DOC_ECM', 'F_TCF', 'F_CFR', 'R', 'F_POST_RCP_PPR', 'F_POST_RCP_RNR'],
  F_POST_RCP_PPR: ['F_POST_RCP_PPR', 'F_DOC_ECM', 'F_POST_DOC_ECM', 'F_POST_RCP_MCF', 'F_POST_RCP_RNR'],
  // Not ready (RNR) until the application says its page sink is ready; then MCF (or ERR after EOR).
  F_POST_RCP_RNR: ['F_POST_RCP_RNR', 'F_POST_RCP_MCF'],
  E_DCN: ['CALL_FINISHED'],
  CALL_FINISHED: [],
};

/**
 * Throws FAXWIRE_ERR_INVALID_STATE unless the procedure can move from `from` to `to`: nothing
 * leaves CALL_FINISHED; staying put, and going to phase E, is always possible; every other move
 * must be in `TRANSITIONS`. A refused move is an engine bug, never a network condition.
 */
export function checkMove(from: T30State, to: T30State): void {
  if (from === 'CALL_FINISHED') throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `T.30: no move out of CALL_FINISHED (to ${to})`);
  const ok = to === from || to === 'E_DCN' || to === 'CALL_FINISHED' || TRANSITIONS[from].includes(to);
  if (!ok) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `T.30: impossible state change ${from} → ${to}`);
}

// ---------------------------------------------------------------------------------------------
// Who speaks next

/** States where we owe the far end a response to its next command (T.30 "command received" charts). */
export function expectsCommand(s: T30State): boolean {
  return STATE_TABLE[s][1] === 'command';
}

/** States where we sent a command and wait for its response (T.30 "response received" charts). */
export function expectsResponse(s: T30State): boolean {
  return STATE_TABLE[s][1] === 'response';
}
