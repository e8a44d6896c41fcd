/**
 * The modulation vocabulary of a G3 fax call, shared by every layer that names a modem: the
 * T.30 engine (which signal to send), the T.38 line and gateway (which indicator and data type
 * carry it), the audio modems, the test harnesses and `analyze`. Types and constants only.
 *
 * T.30 §5.3.1 (V.21 channel 2 at 300 bit/s for control), §5.3.2 (the message modems: V.27ter
 * 2400/4800, V.29 7200/9600, V.17 7200…14400); the start-up (training) times are those of the
 * modem recommendations as the spandsp reference terminal times them: V.27ter §2.5 (long
 * training 943 ms at 2400, 708 ms at 4800), V.29 §3 (234 ms), V.17 §5 (long 1393 ms, short
 * 142 ms), plus the optional talker echo protection tone (V.17 §5.1 / V.27ter §2.5.1, 215 ms).
 */

/** The modulations of a G3 fax call (T.30 §5.3.1/§5.3.2; T.38 `t30-data`). */
export type FaxModulation =
  | 'v21'
  | 'v27ter-2400'
  | 'v27ter-4800'
  | 'v29-7200'
  | 'v29-9600'
  | 'v17-7200'
  | 'v17-9600'
  | 'v17-12000'
  | 'v17-14400';

/** Every modulation, slowest family first. */
export const FAX_MODULATIONS: readonly FaxModulation[] = [
  'v21',
  'v27ter-2400',
  'v27ter-4800',
  'v29-7200',
  'v29-9600',
  'v17-7200',
  'v17-9600',
  'v17-12000',
  'v17-14400',
];

export const FAX_MODULATION_BIT_RATE: Readonly<Record<FaxModulation, number>> = {
  v21: 300,
  'v27ter-2400': 2400,
  'v27ter-4800': 4800,
  'v29-7200': 7200,
  'v29-9600': 9600,
  'v17-7200': 7200,
  'v17-9600': 9600,
  'v17-12000': 12000,
  'v17-14400': 14400,
};

/** Modem start-up time (ms) before the first data bit, with long and short training. */
export const MODULATION_TRAINING_MS: Readonly<Record<FaxModulation, { readonly long: number; readonly short: number }>> = {
  v21: { long: 0, short: 0 },
  'v27ter-2400': { long: 943, short: 943 },
  'v27ter-4800': { long: 708, short: 708 },
  'v29-7200': { long: 234, short: 234 },
  'v29-9600': { long: 234, short: 234 },
  'v17-7200': { long: 1393, short: 142 },
  'v17-9600': { long: 1393, short: 142 },
  'v17-12000': { long: 1393, short: 142 },
  'v17-14400': { long: 1393, short: 142 },
};

/** Talker echo protection tone before training, when enabled (V.17 §5.1, V.27ter §2.5.1). */
export const TEP_MS = 215;

/** V.21 HDLC preamble: 1 s ± 15 % of flags (T.30 §5.3.1). */
export const V21_PREAMBLE_MS = 1000;

/** HDLC preamble on a fast modem (T.30 Annex A: 200 ms of flags after training). */
export const FAST_PREAMBLE_MS = 200;

/** Silence between signals: 75 ± 20 ms (T.30 §5.3.2.4). */
export const INTER_SIGNAL_SILENCE_MS = 75;

/** Training time (ms) for `m`, short or long, optionally with TEP (0 for V.21). */
export function trainingMs(m: FaxModulation, shortTrain: boolean, tep = false): number {
  if (m === 'v21') return 0;
  const t = MODULATION_TRAINING_MS[m];
  return (shortTrain ? t.short : t.long) + (tep ? TEP_MS : 0);
}

/** HDLC preamble (ms of flags) on `m`. */
export function preambleMs(m: FaxModulation): number {
  return m === 'v21' ? V21_PREAMBLE_MS : FAST_PREAMBLE_MS;
}
