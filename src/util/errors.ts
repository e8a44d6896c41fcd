/**
 * API-misuse errors (DESIGN.md habit 2). Garbage from the network is *data* and is returned
 * as a typed decode error; only a caller's mistake (an out-of-range argument, a buffer too
 * small for `encodeInto`) throws, always a `FaxwireError` with a stable `code`.
 */

export type FaxwireErrorCode =
  | 'FAXWIRE_ERR_INVALID_ARGUMENT'
  | 'FAXWIRE_ERR_BUFFER_TOO_SMALL'
  | 'FAXWIRE_ERR_VALUE_OUT_OF_RANGE'
  | 'FAXWIRE_ERR_INVALID_STATE'
  | 'FAXWIRE_ERR_IO'
  /**
   * A budget was exceeded: a page or document larger than the configured bound (image/budget.ts:
   * pages, pixels, page length). Readers of untrusted files return this as a typed 'limit'
   * value; functions without a result type (page fitting) throw it.
   */
  | 'FAXWIRE_ERR_LIMIT';

export class FaxwireError extends Error {
  readonly code: FaxwireErrorCode;

  constructor(code: FaxwireErrorCode, message: string) {
    super(message);
    this.name = 'FaxwireError';
    this.code = code;
  }
}

export function assertNever(x: never, what = 'value'): never {
  throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', `unexpected ${what}: ${String(x)}`);
}
