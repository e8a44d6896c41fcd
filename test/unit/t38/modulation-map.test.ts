import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAX_MODULATIONS } from '../../../src/modem/modulation.js';
import { T30_DATA_TYPES, T30_INDICATORS } from '../../../src/t38/ifp.js';
import { dataTypeModulation, indicatorModulation, modulationDataType, modulationIndicator } from '../../../src/t38/modulation-map.js';

describe('modulation ⇄ IFP maps (T.38 §7.2, §7.3)', () => {
  it('every fax modulation comes back from its data type and from both of its indicators', () => {
    for (const m of FAX_MODULATIONS) {
      assert.equal(dataTypeModulation(modulationDataType(m)), m);
      assert.equal(indicatorModulation(modulationIndicator(m, false)), m);
      assert.equal(indicatorModulation(modulationIndicator(m, true)), m);
    }
  });

  it('short training only changes the V.17 indicators', () => {
    for (const m of FAX_MODULATIONS) {
      const differs = modulationIndicator(m, true) !== modulationIndicator(m, false);
      assert.equal(differs, m.startsWith('v17-'), m);
    }
  });

  it('V.33 is read as V.17 at the same rate; V.8, V.34, tones and no-signal name no modulation', () => {
    assert.equal(dataTypeModulation('v33-14400'), 'v17-14400');
    assert.equal(indicatorModulation('v33-12000-training'), 'v17-12000');
    const none = T30_INDICATORS.filter((i) => indicatorModulation(i) === undefined);
    assert.deepEqual([...none].sort(), ['ced', 'cng', 'no-signal', 'v34-CC-retrain', 'v34-cntl-channel-1200', 'v34-pri-channel', 'v8-ansam', 'v8-signal']);
    const noData = T30_DATA_TYPES.filter((t) => dataTypeModulation(t) === undefined);
    assert.deepEqual([...noData].sort(), ['v34-CC-1200', 'v34-pri-ch', 'v34-pri-rate', 'v8']);
  });
});
