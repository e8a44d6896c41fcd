/**
 * Argument checks for constructors and options (DESIGN.md habit 2): a caller's mistake throws a
 * `FaxwireError` with code `FAXWIRE_ERR_INVALID_ARGUMENT`; data from the network never comes here.
 */

import { FaxwireError } from './errors.js';

/** The error for a bad argument, to throw or to hand on. */
export function invalidArgument(message: string): FaxwireError {
  return new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', message);
}

/** Throws the error for a bad argument. */
export function invalid(message: string): never {
  throw invalidArgument(message);
}

/** `v` when it is an integer in lo..hi; throws otherwise. */
export function checkInt(v: number, lo: number, hi: number, what: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) invalid(`${what} = ${v}, must be an integer in ${lo}..${hi}`);
  return v;
}
