/**
 * The modulation ⇄ IFP maps of T.38: which `t30-indicator` announces a fax modulation
 * (T.38 §7.2, Indicator) and which `t30-data` type carries its data (T.38 §7.3, Data-type),
 * both ways. The T.38 line of a terminal uses them to build and read IFPs; a gateway uses the
 * same maps between its modems and the IFP stream. The modulation names themselves are
 * `FaxModulation` (src/modem/modulation.ts).
 *
 * One table, `CARRIERS`, holds the forward map (a `Record` over every modulation, so the
 * compiler sees that none is missing); the reverse maps are built from it. T.38 names more
 * signals than a G3 terminal runs: V.8 and V.34 map to no modulation here (undefined), and V.33
 * is received as V.17 at the same rate (the IP side carries the rate, not the modem).
 */

import type { FaxModulation } from '../modem/modulation.js';
import type { T30DataType, T30Indicator } from './ifp.js';

interface Carrier {
  /** The `t30-data` type of its data. */
  readonly dataType: T30DataType;
  /** The indicator announcing it with long training (and the only one but for V.17). */
  readonly long: T30Indicator;
  /** The indicator announcing it with short training (V.17 §5). */
  readonly short: T30Indicator;
}

const CARRIERS: Readonly<Record<FaxModulation, Carrier>> = {
  v21: { dataType: 'v21', long: 'v21-preamble', short: 'v21-preamble' },
  'v27ter-2400': { dataType: 'v27-2400', long: 'v27-2400-training', short: 'v27-2400-training' },
  'v27ter-4800': { dataType: 'v27-4800', long: 'v27-4800-training', short: 'v27-4800-training' },
  'v29-7200': { dataType: 'v29-7200', long: 'v29-7200-training', short: 'v29-7200-training' },
  'v29-9600': { dataType: 'v29-9600', long: 'v29-9600-training', short: 'v29-9600-training' },
  'v17-7200': { dataType: 'v17-7200', long: 'v17-7200-long-training', short: 'v17-7200-short-training' },
  'v17-9600': { dataType: 'v17-9600', long: 'v17-9600-long-training', short: 'v17-9600-short-training' },
  'v17-12000': { dataType: 'v17-12000', long: 'v17-12000-long-training', short: 'v17-12000-short-training' },
  'v17-14400': { dataType: 'v17-14400', long: 'v17-14400-long-training', short: 'v17-14400-short-training' },
};

const BY_DATA_TYPE = new Map<T30DataType, FaxModulation>([
  ['v33-12000', 'v17-12000'],
  ['v33-14400', 'v17-14400'],
]);
const BY_INDICATOR = new Map<T30Indicator, FaxModulation>([
  ['v33-12000-training', 'v17-12000'],
  ['v33-14400-training', 'v17-14400'],
]);
for (const [m, c] of Object.entries(CARRIERS) as [FaxModulation, Carrier][]) {
  BY_DATA_TYPE.set(c.dataType, m);
  BY_INDICATOR.set(c.long, m);
  BY_INDICATOR.set(c.short, m);
}

/** The T.38 `t30-data` type that carries a modulation (T.38 §7.3 Data-type). */
export function modulationDataType(m: FaxModulation): T30DataType {
  return CARRIERS[m].dataType;
}

/** The `t30-indicator` announcing a modulation (T.38 §7.2). */
export function modulationIndicator(m: FaxModulation, shortTrain: boolean): T30Indicator {
  return shortTrain ? CARRIERS[m].short : CARRIERS[m].long;
}

/**
 * The modulation a received data type stands for, or undefined (V.8/V.34 are not fax G3
 * modulations this terminal runs). V.33 is carried as V.17 at the same rate: a T.38 terminal
 * has no modem, only the rate matters.
 */
export function dataTypeModulation(t: T30DataType): FaxModulation | undefined {
  return BY_DATA_TYPE.get(t);
}

/** The modulation a received indicator announces (undefined for no-signal, tones, V.8/V.34). */
export function indicatorModulation(i: T30Indicator): FaxModulation | undefined {
  return BY_INDICATOR.get(i);
}
