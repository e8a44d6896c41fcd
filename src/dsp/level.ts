/**
 * Signal levels in dBm0 on 16-bit linear PCM.
 *
 * G.711 (§2, Table 1 note; the "digital milliwatt" of G.711 Tables 5/6) fixes the digital reference: the largest sine a G.711 coder carries (peak at
 * full scale, 32767 on 16-bit linear) is +3.14 dBm0 (A-law; µ-law +3.17, the stack uses the
 * A-law figure for both as spandsp does). So a 0 dBm0 sine has peak 32767·10^(−3.14/20) ≈ 22 803
 * and mean square 22 803²/2 — the power of any signal is referred to that.
 */

/** Level in dBm0 of a full-scale sine (G.711 A-law). */
export const DBM0_MAX_SINE = 3.14;

/** Peak amplitude of a 0 dBm0 sine on 16-bit linear PCM. */
export const DBM0_REF_PEAK = 32767 * 10 ** (-DBM0_MAX_SINE / 20);

/** Mean square of a 0 dBm0 signal on 16-bit linear PCM. */
export const DBM0_REF_POWER = (DBM0_REF_PEAK * DBM0_REF_PEAK) / 2;

/** Peak amplitude of a sine at `dbm0`. */
export function sineAmplitude(dbm0: number): number {
  return DBM0_REF_PEAK * 10 ** (dbm0 / 20);
}

/** RMS amplitude of any signal at `dbm0`. */
export function rmsAmplitude(dbm0: number): number {
  return Math.sqrt(DBM0_REF_POWER) * 10 ** (dbm0 / 20);
}

/** Mean square power (16-bit linear units²) of a signal at `dbm0`. */
export function dbm0ToPower(dbm0: number): number {
  return DBM0_REF_POWER * 10 ** (dbm0 / 10);
}

/** Level in dBm0 of a mean square power (−Infinity for 0). */
export function powerToDbm0(meanSquare: number): number {
  return 10 * Math.log10(meanSquare / DBM0_REF_POWER);
}
