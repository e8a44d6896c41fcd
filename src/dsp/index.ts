/**
 * `faxwire/dsp` — signal-processing building blocks shared by the modems, tone detectors and
 * the line models: levels, oscillators, filters, power meters.
 */
export * from './level.js';
