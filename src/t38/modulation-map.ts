/**
 * The modulation ⇄ IFP maps of T.38: which `t30-indicator` announces a fax modulation
 * (T.38 §7.2, Indicator) and which `t30-data` type carries its data (T.38 §7.3, Data-type),
 * both ways. The T.38 line of a terminal uses them to build and read IFPs; a gateway uses the
 * same maps between its modems and the IFP stream. The modulation names themselves are
 * `FaxModulation` (src/modem/modulation.ts).
 *
 * T.38 names more signals than a G3 terminal runs: V.8 and V.34 map to no modulation here
 * (undefined), and V.33 is received as V.17 at the same rate (the IP side carries the rate,
 * not the modem).
 */

import type { FaxModulation } from '../modem/modulation.js';
import { assertNever } from '../util/errors.js';
import type { T30DataType, T30Indicator } from './ifp.js';

/** The T.38 `t30-data` type that carries a modulation (T.38 §7.3 Data-type). */
export function modulationDataType(m: FaxModulation): T30DataType {
  switch (m) {
    case 'v21':
      return 'v21';
    case 'v27ter-2400':
      return 'v27-2400';
    case 'v27ter-4800':
      return 'v27-4800';
    case 'v29-7200':
      return 'v29-7200';
    case 'v29-9600':
      return 'v29-9600';
    case 'v17-7200':
      return 'v17-7200';
    case 'v17-9600':
      return 'v17-9600';
    case 'v17-12000':
      return 'v17-12000';
    case 'v17-14400':
      return 'v17-14400';
    default:
      return assertNever(m, 'modulation');
  }
}

/** The `t30-indicator` announcing a modulation (T.38 §7.2). */
export function modulationIndicator(m: FaxModulation, shortTrain: boolean): T30Indicator {
  switch (m) {
    case 'v21':
      return 'v21-preamble';
    case 'v27ter-2400':
      return 'v27-2400-training';
    case 'v27ter-4800':
      return 'v27-4800-training';
    case 'v29-7200':
      return 'v29-7200-training';
    case 'v29-9600':
      return 'v29-9600-training';
    case 'v17-7200':
      return shortTrain ? 'v17-7200-short-training' : 'v17-7200-long-training';
    case 'v17-9600':
      return shortTrain ? 'v17-9600-short-training' : 'v17-9600-long-training';
    case 'v17-12000':
      return shortTrain ? 'v17-12000-short-training' : 'v17-12000-long-training';
    case 'v17-14400':
      return shortTrain ? 'v17-14400-short-training' : 'v17-14400-long-training';
    default:
      return assertNever(m, 'modulation');
  }
}

/**
 * The modulation a received data type stands for, or undefined (V.8/V.34 are not fax G3
 * modulations this terminal runs). V.33 is carried as V.17 at the same rate: a T.38 terminal
 * has no modem, only the rate matters.
 */
export function dataTypeModulation(t: T30DataType): FaxModulation | undefined {
  switch (t) {
    case 'v21':
      return 'v21';
    case 'v27-2400':
      return 'v27ter-2400';
    case 'v27-4800':
      return 'v27ter-4800';
    case 'v29-7200':
      return 'v29-7200';
    case 'v29-9600':
      return 'v29-9600';
    case 'v17-7200':
      return 'v17-7200';
    case 'v17-9600':
      return 'v17-9600';
    case 'v17-12000':
    case 'v33-12000':
      return 'v17-12000';
    case 'v17-14400':
    case 'v33-14400':
      return 'v17-14400';
    case 'v8':
    case 'v34-pri-rate':
    case 'v34-CC-1200':
    case 'v34-pri-ch':
      return undefined;
    default:
      return assertNever(t, 't30-data type');
  }
}

/** The modulation a received indicator announces (undefined for no-signal, tones, V.8/V.34). */
export function indicatorModulation(i: T30Indicator): FaxModulation | undefined {
  switch (i) {
    case 'v21-preamble':
      return 'v21';
    case 'v27-2400-training':
      return 'v27ter-2400';
    case 'v27-4800-training':
      return 'v27ter-4800';
    case 'v29-7200-training':
      return 'v29-7200';
    case 'v29-9600-training':
      return 'v29-9600';
    case 'v17-7200-short-training':
    case 'v17-7200-long-training':
      return 'v17-7200';
    case 'v17-9600-short-training':
    case 'v17-9600-long-training':
      return 'v17-9600';
    case 'v17-12000-short-training':
    case 'v17-12000-long-training':
    case 'v33-12000-training':
      return 'v17-12000';
    case 'v17-14400-short-training':
    case 'v17-14400-long-training':
    case 'v33-14400-training':
      return 'v17-14400';
    case 'no-signal':
    case 'cng':
    case 'ced':
    case 'v8-ansam':
    case 'v8-signal':
    case 'v34-cntl-channel-1200':
    case 'v34-pri-channel':
    case 'v34-CC-retrain':
      return undefined;
    default:
      return assertNever(i, 't30-indicator');
  }
}
