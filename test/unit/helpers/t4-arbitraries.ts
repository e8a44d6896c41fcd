import fc from 'fast-check';
import type { T4EncodeOptions } from '../../../src/t4/index.js';

/** Every kind of T.4/T.6 encoder option set the codec supports (MH/MR with their knobs, MMR, TIFF MH). */
export const t4EncodeOptionsArb: fc.Arbitrary<T4EncodeOptions> = fc.oneof(
  fc.record({
    coding: fc.constantFrom('mh' as const, 'mr' as const),
    k: fc.integer({ min: 1, max: 5 }),
    minRowBits: fc.integer({ min: 0, max: 600 }),
    alignEol: fc.boolean(),
    rtc: fc.boolean(),
    leadingEol: fc.boolean(),
    bitOrder: fc.constantFrom('msb-first' as const, 'lsb-first' as const),
  }),
  fc.record({ coding: fc.constant('mmr' as const), rtc: fc.boolean(), bitOrder: fc.constantFrom('msb-first' as const, 'lsb-first' as const) }),
  fc.record({ coding: fc.constant('mh' as const), tiff: fc.constant(true), bitOrder: fc.constantFrom('msb-first' as const, 'lsb-first' as const) }),
);
