/**
 * Capability negotiation — turning the far end's DIS/DTC into the DCS we send, and a received
 * DCS into the parameters of the page we are about to receive (ITU-T T.30 (09/2005) §5.3.6.2.1,
 * Table 2 and its notes; T.4 §2–§4 for the page geometry and the K factor; Annex A for ECM).
 *
 * What is chosen, in order:
 *   1. modem and rate: the fastest step of `RATE_STEPS` both ends have (Table 2 bits 11–14) and
 *      that is within `maxBitRate`; the rest, one per distinct rate, is the fall-back sequence
 *      used on FTT/RTN/CTC (14400 → 12000 → 9600 → 7200 → 4800 → 2400);
 *   2. ECM (bit 27) if both ends have it; the frame size 256 octets unless either end wants 64
 *      (DIS bit 7 "64-octet frames preferred", DCS bit 28);
 *   3. coding: T.6/MMR (bit 31, only with ECM — T.30 Table 2 note: T.6 requires ECM), else T.4
 *      2-D/MR (bit 16), else MH (mandatory for every G3 terminal, T.4 §4.1);
 *   4. resolution, width and length from the page (the far end must offer them; we do not
 *      rescale pages here — that is the document layer's job);
 *   5. minimum scan-line time: the far end's requirement at the page's resolution (Table 2
 *      bits 21–23, "T7.7 = 1/2 T3.85" codes and bit 46), none with ECM (T.4 Annex A pages carry
 *      no fill), turned into `minRowBits = ms × bitRate / 1000` for the encoder.
 */

import type { Bitmap } from '../t4/bitmap.js';
import { dcsRate, dcsRateCode, emptyDisFields, type DisFields, type DisInfo, type FaxModem } from './dis.js';
import { FAX_MODULATION_BIT_RATE, type FaxModulation } from '../modem/modulation.js';
import type { T30ResultCode } from './result.js';

import type { T4Coding } from '../t4/types.js';
/** The T.4/T.6 codings a G3 page can use (re-exported from `src/t4`). */
export type { T4Coding };

/** The modems an engine may offer (V.34 is understood in frames but never offered). */
export type T30Modem = 'v27ter' | 'v29' | 'v17';

/** Vertical resolutions at R8 horizontal (204 pels/inch): 3.85, 7.7 and 15.4 lines/mm. */
export type T30Resolution = 'standard' | 'fine' | 'superfine';

/** One modem/rate the procedure can run at. */
export interface RateStep {
  readonly modem: FaxModem;
  readonly bitRate: number;
  readonly modulation: FaxModulation;
}

/**
 * Every modem/rate in order of preference. At equal rates V.17 comes before V.29 (it is the
 * more robust modulation and trains faster when retraining short).
 */
export const RATE_STEPS: readonly RateStep[] = [
  { modem: 'V.17', bitRate: 14400, modulation: 'v17-14400' },
  { modem: 'V.17', bitRate: 12000, modulation: 'v17-12000' },
  { modem: 'V.17', bitRate: 9600, modulation: 'v17-9600' },
  { modem: 'V.29', bitRate: 9600, modulation: 'v29-9600' },
  { modem: 'V.17', bitRate: 7200, modulation: 'v17-7200' },
  { modem: 'V.29', bitRate: 7200, modulation: 'v29-7200' },
  { modem: 'V.27ter', bitRate: 4800, modulation: 'v27ter-4800' },
  { modem: 'V.27ter', bitRate: 2400, modulation: 'v27ter-2400' },
];

const MODEM_NAME: Readonly<Record<T30Modem, FaxModem>> = { v27ter: 'V.27ter', v29: 'V.29', v17: 'V.17' };

/** What this terminal can do, from the engine options. */
export interface LocalCapabilities {
  readonly modems: readonly T30Modem[];
  readonly maxBitRate: number;
  readonly codings: readonly T4Coding[];
  readonly ecm: boolean;
  readonly ecmFrameSize: 64 | 256;
  /** Our own minimum scan-line time as a receiver (DIS bits 21–23), ms at 3.85 lines/mm. */
  readonly minScanLineMs: number;
  /** We accept documents (DIS bit 10). */
  readonly canReceive: boolean;
  /** We have a document for a poller (DIS bit 9). */
  readonly haveDocument: boolean;
}

/** Everything the page transfer needs, agreed in DCS. */
export interface SessionParams {
  readonly step: RateStep;
  readonly ecm: boolean;
  readonly frameSize: 64 | 256;
  readonly coding: T4Coding;
  readonly resolution: T30Resolution;
  /** Pels per line: 1728, 2048 or 2432. */
  readonly widthPx: number;
  /** DCS bits 17–18 / 19–20 codes. */
  readonly widthCode: number;
  readonly lengthCode: number;
  /** Minimum scan-line time in force for this resolution, ms (0 with ECM). */
  readonly minScanMs: number;
}

export type NegotiateResult =
  | { readonly ok: true; readonly params: SessionParams; readonly fallback: readonly RateStep[] }
  | { readonly ok: false; readonly code: T30ResultCode; readonly detail: string };

// ---------------------------------------------------------------------------------------------
// Geometry (T.4 §2.2/§2.3)

/** Recording width in mm ↔ pels per line at R8 (T.4 §2.2). */
const WIDTHS: readonly { readonly mm: number; readonly px: number; readonly dcsCode: number }[] = [
  { mm: 215, px: 1728, dcsCode: 0b00 },
  { mm: 255, px: 2048, dcsCode: 0b10 },
  { mm: 303, px: 2432, dcsCode: 0b01 },
];

export function widthForPixels(px: number): { readonly mm: number; readonly px: number; readonly dcsCode: number } | undefined {
  return WIDTHS.find((w) => w.px === px);
}

export function pixelsForWidthMm(mm: number): number | undefined {
  return WIDTHS.find((w) => w.mm === mm)?.px;
}

const LINES_PER_MM: Readonly<Record<T30Resolution, number>> = { standard: 3.85, fine: 7.7, superfine: 15.4 };
const Y_DPI: Readonly<Record<T30Resolution, number>> = { standard: 98, fine: 196, superfine: 391 };
/** R8 = 8 pels/mm ≈ 204 pels/inch (T.4 §2.2). */
export const R8_X_DPI = 204;

export function resolutionYDpi(r: T30Resolution): number {
  return Y_DPI[r];
}

/** The fax resolution a bitmap was made for, from its vertical dpi (standard when unknown). */
export function pageResolution(b: Bitmap): T30Resolution {
  const y = b.yDpi;
  if (y === undefined || y <= 140) return 'standard';
  return y <= 290 ? 'fine' : 'superfine';
}

/**
 * T.4 §4.2.1.3.1: the K parameter of 2-D coding (one 1-D line at most every K lines) is 2 at
 * 3.85 lines/mm and 4 at the higher resolutions.
 */
export function kFactor(r: T30Resolution): number {
  return r === 'standard' ? 2 : 4;
}

/** Bits per coded row needed to respect a minimum scan-line time at a bit rate (non-ECM only). */
export function minRowBits(minScanMs: number, bitRate: number): number {
  return Math.ceil((minScanMs * bitRate) / 1000);
}

// ---------------------------------------------------------------------------------------------
// DIS / DTC we send

/** DIS/DTC bits 11–14 for a set of modems (Table 2): the smallest code that covers them. */
export function disRateCodeFor(modems: readonly T30Modem[], maxBitRate: number): number {
  const has = (m: T30Modem): boolean => modems.includes(m);
  // V.17 and V.29 cannot run below 7200 bit/s; a lower cap leaves only V.27 ter.
  const fast = maxBitRate >= 7200;
  if (has('v17') && fast) return 0b1101; // "V.27 ter, V.29 and V.17": Table 2 has no V.17-only code
  if (has('v29') && fast) return has('v27ter') ? 0b1100 : 0b1000;
  return maxBitRate >= 4800 ? 0b0100 : 0b0000; // V.27 ter, or its 2400 bit/s fall-back mode only
}

/** DIS bits 21–23 code for our own minimum scan-line time (ms at every resolution). */
export function disScanCodeFor(ms: number): number {
  if (ms <= 0) return 0b111;
  if (ms <= 5) return 0b100;
  if (ms <= 10) return 0b010;
  if (ms <= 20) return 0b000;
  return 0b001;
}

/** Routing-field capabilities/announcements carried in DIS/DTC. */
export interface DisExtras {
  /** DTC: a SEP frame precedes (bit 47); DIS: we can be selectively polled. */
  readonly selectivePolling?: boolean;
  /** DTC: a PWD frame precedes (bit 50); DIS: we accept passwords. */
  readonly password?: boolean;
}

/** The DIS (answering/receiving side) or DTC (poller) a terminal with these capabilities sends. */
export function buildDisFields(kind: 'DIS' | 'DTC', caps: LocalCapabilities, extras: DisExtras = {}): DisFields {
  const mr = caps.codings.includes('mr');
  const mmr = caps.codings.includes('mmr') && caps.ecm;
  return {
    ...emptyDisFields(kind),
    // A DTC is a poller's DIS: it is about receiving; "ready to transmit" is a DIS-only offer.
    readyToTransmitFax: kind === 'DIS' && caps.haveDocument,
    receiverFax: caps.canReceive,
    rateCode: disRateCodeFor(caps.modems, caps.maxBitRate),
    fine: true,
    superfine: true,
    twoDimensional: mr,
    widthCode: 0b01, // 215, 255 and 303 mm: a T.38 terminal records whatever width arrives
    lengthCode: 0b01, // unlimited
    scanTimeCode: disScanCodeFor(caps.minScanLineMs),
    ecm: caps.ecm,
    prefer64OctetFrames: caps.ecm && caps.ecmFrameSize === 64,
    t6: mmr,
    subaddressing: kind === 'DIS',
    password: kind === 'DIS' ? true : extras.password === true,
    selectivePolling: kind === 'DIS' ? caps.haveDocument : extras.selectivePolling === true,
  };
}

// ---------------------------------------------------------------------------------------------
// Transmitter: DIS/DTC → DCS

/** The rates both ends have, fastest first, one step per distinct rate. */
export function fallbackSequence(remote: DisInfo, caps: LocalCapabilities): RateStep[] {
  const remoteModems = remote.rate.modems;
  // Code 0b0000 is "V.27 ter fall-back mode": 2400 bit/s only.
  const v27Max = remote.rate.modems.length === 1 && remote.rate.modems[0] === 'V.27ter' ? (remote.rate.bitRate ?? 2400) : 4800;
  const out: RateStep[] = [];
  for (const s of RATE_STEPS) {
    if (s.bitRate > caps.maxBitRate) continue;
    if (!caps.modems.some((m) => MODEM_NAME[m] === s.modem)) continue;
    if (!remoteModems.includes(s.modem)) continue;
    if (s.modem === 'V.27ter' && s.bitRate > v27Max) continue;
    if (out.some((o) => o.bitRate === s.bitRate)) continue;
    out.push(s);
  }
  return out;
}

function lengthCodeFor(page: Bitmap, r: T30Resolution, remote: DisInfo): number | undefined {
  const mm = page.height / LINES_PER_MM[r];
  // A4 297 mm, B4 364 mm (T.4 §2.3); 1 % slack for rounding of the line count.
  const fitsA4 = mm <= 297 * 1.01;
  const fitsB4 = mm <= 364 * 1.01;
  const allows = remote.length; // DIS: longest accepted
  if (fitsA4) return 0b00;
  if (fitsB4 && (allows === 'B4' || allows === 'unlimited')) return 0b10;
  if (allows === 'unlimited') return 0b01;
  return undefined;
}

/** Allowed DCS scan-time codes, ascending by time. */
const DCS_SCAN: readonly { readonly ms: number; readonly code: number }[] = [
  { ms: 0, code: 0b111 },
  { ms: 5, code: 0b100 },
  { ms: 10, code: 0b010 },
  { ms: 20, code: 0b000 },
  { ms: 40, code: 0b001 },
];

/** The far end's minimum scan-line time at a resolution (Table 2 bits 21–23 and 46), ms. */
export function remoteMinScanMs(remote: DisInfo, r: T30Resolution): number {
  const t = remote.minScanLineTime;
  if (t === null) return 40; // an invalid code: assume the slowest
  if (r === 'standard') return t.ms;
  const fine = t.halfAtFine ? t.ms / 2 : t.ms;
  if (r === 'fine') return fine;
  return remote.minScanHalvedHigherRes ? fine / 2 : fine;
}

/** The DCS scan-time code (and its ms) that satisfies a requirement: the smallest ≥ it. */
export function dcsScanFor(ms: number): { readonly ms: number; readonly code: number } {
  return DCS_SCAN.find((s) => s.ms >= ms) ?? { ms: 40, code: 0b001 };
}

/**
 * Chooses the session for sending `page` to a terminal that sent `remote` (a DIS, or a poller's
 * DTC). Pure: fails with the completion code the call should end with.
 */
export function negotiate(remote: DisInfo, caps: LocalCapabilities, page: Bitmap): NegotiateResult {
  const fail = (code: T30ResultCode, detail: string): NegotiateResult => ({ ok: false, code, detail });
  const fallback = fallbackSequence(remote, caps);
  const step = fallback[0];
  if (step === undefined) {
    return fail('incompatible-modems', `far end offers ${remote.rate.text}; we have ${caps.modems.join(', ')} up to ${caps.maxBitRate} bit/s`);
  }
  const ecm = caps.ecm && remote.ecm;
  const frameSize: 64 | 256 = ecm && (caps.ecmFrameSize === 64 || remote.prefer64OctetFrames) ? 64 : 256;
  let coding: T4Coding | undefined;
  if (caps.codings.includes('mmr') && remote.t6 && ecm) coding = 'mmr';
  else if (caps.codings.includes('mr') && remote.twoDimensional) coding = 'mr';
  else if (caps.codings.includes('mh')) coding = 'mh';
  if (coding === undefined) return fail('incompatible-coding', `we offer ${caps.codings.join(', ')}; far end has ${remote.codings.join(', ')}`);

  const w = widthForPixels(page.width);
  if (w === undefined) return fail('bad-document', `page width ${page.width} is not 1728, 2048 or 2432 pels`);
  if (!remote.widthsMm.includes(w.mm)) return fail('incompatible-width', `far end records ${remote.widthsMm.join('/') || 'no valid'} mm, page is ${w.mm} mm`);
  const resolution = pageResolution(page);
  if ((resolution === 'fine' && !remote.fine) || (resolution === 'superfine' && !remote.superfine)) {
    return fail('incompatible-resolution', `far end does not offer ${resolution} resolution`);
  }
  const lengthCode = lengthCodeFor(page, resolution, remote);
  if (lengthCode === undefined) return fail('incompatible-length', `page is ${page.height} lines, far end accepts ${remote.length ?? 'no valid'} length`);
  const minScanMs = ecm ? 0 : dcsScanFor(remoteMinScanMs(remote, resolution)).ms;
  return {
    ok: true,
    params: { step, ecm, frameSize, coding, resolution, widthPx: w.px, widthCode: w.dcsCode, lengthCode, minScanMs },
    fallback,
  };
}

/** True when `page` can be sent under `params` without a new DCS (same geometry). */
export function pageFitsSession(page: Bitmap, params: SessionParams): boolean {
  return page.width === params.widthPx && pageResolution(page) === params.resolution;
}

/** Routing frames that precede the DCS (flagged in bits 49/50). */
export interface DcsExtras {
  readonly subaddress?: boolean;
  readonly senderId?: boolean;
}

/** The DCS for a session (bit 10 "receiver fax operation" is always set in a fax DCS). */
export function buildDcsFields(p: SessionParams, extras: DcsExtras = {}): DisFields {
  return {
    ...emptyDisFields('DCS'),
    receiverFax: true,
    rateCode: dcsRateCode(p.step.modem, p.step.bitRate),
    fine: p.resolution === 'fine',
    superfine: p.resolution === 'superfine',
    twoDimensional: p.coding === 'mr',
    t6: p.coding === 'mmr',
    widthCode: p.widthCode,
    lengthCode: p.lengthCode,
    scanTimeCode: dcsScanFor(p.minScanMs).code,
    ecm: p.ecm,
    frameSize64: p.ecm && p.frameSize === 64,
    subaddressing: extras.subaddress === true,
    password: extras.senderId === true,
  };
}

/** The modulation of a DCS/CTC rate code, or undefined if reserved (or V.33, which we lack). */
export function stepForRateCode(code: number): RateStep | undefined {
  const r = dcsRate(code);
  const modem = r.modems[0];
  return RATE_STEPS.find((s) => s.modem === modem && s.bitRate === r.bitRate);
}

export function stepForModulation(m: FaxModulation): RateStep | undefined {
  return RATE_STEPS.find((s) => s.modulation === m);
}

export function bitRateOf(m: FaxModulation): number {
  return FAX_MODULATION_BIT_RATE[m];
}

// ---------------------------------------------------------------------------------------------
// Receiver: DCS → session

export type DcsCheck = { readonly ok: true; readonly params: SessionParams } | { readonly ok: false; readonly detail: string };

/** Checks a received DCS against what we offered and turns it into session parameters. */
export function paramsFromDcs(dcs: DisInfo, caps: LocalCapabilities): DcsCheck {
  const bad = (detail: string): DcsCheck => ({ ok: false, detail });
  const step = stepForRateCode(dcs.rateCode);
  if (step === undefined) return bad(`DCS rate ${dcs.rate.text} is not one we can receive`);
  if (!caps.modems.some((m) => MODEM_NAME[m] === step.modem)) return bad(`DCS selects ${step.modem}, which we did not offer`);
  if (dcs.ecm && !caps.ecm) return bad('DCS selects ECM, which we did not offer');
  let coding: T4Coding = 'mh';
  if (dcs.t6) {
    if (!dcs.ecm) return bad('DCS selects T.6 without ECM');
    coding = 'mmr';
  } else if (dcs.twoDimensional) coding = 'mr';
  if (!caps.codings.includes(coding) && coding !== 'mh') return bad(`DCS selects ${coding.toUpperCase()}, which we did not offer`);
  const mm = dcs.widthsMm[0];
  const widthPx = mm === undefined ? undefined : pixelsForWidthMm(mm);
  if (widthPx === undefined) return bad('DCS recording width is invalid');
  const resolution: T30Resolution = dcs.superfine ? 'superfine' : dcs.fine ? 'fine' : 'standard';
  return {
    ok: true,
    params: {
      step,
      ecm: dcs.ecm,
      frameSize: dcs.ecm && dcs.frameSize64 ? 64 : 256,
      coding,
      resolution,
      widthPx,
      widthCode: dcs.widthCode,
      lengthCode: dcs.lengthCode,
      minScanMs: dcs.minScanLineTime?.ms ?? 0,
    },
  };
}
