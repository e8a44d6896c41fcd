/**
 * Result types shared by every wire codec (DESIGN.md habit 1): decoders never throw on bad
 * input; they return `{ ok: false, error }` with a typed error instead.
 */

export interface DecodeOk<T> {
  readonly ok: true;
  readonly value: T;
  /** Octets consumed from the input. */
  readonly bytesRead: number;
}

export interface DecodeErr<E> {
  readonly ok: false;
  readonly error: E;
}

export type DecodeResult<T, E> = DecodeOk<T> | DecodeErr<E>;

export function ok<T>(value: T, bytesRead: number): DecodeOk<T> {
  return { ok: true, value, bytesRead };
}

export function err<E>(error: E): DecodeErr<E> {
  return { ok: false, error };
}
