/**
 * T.30 HDLC frame codec — ITU-T T.30 (09/2005) §5.3 (frame structure), §5.3.6 (FCF and FIF of
 * each signal), Annex A §A.3-A.4 (ECM frames and PPS/PPR/CTC/EOR), for frames as T.38 carries
 * them: octets in document notation (first transmitted bit = MSB), no flags, no FCS (the modem
 * checked it, or T.38's hdlc-fcs-OK/BAD field replaced it).
 *
 *   +---------+---------+-----+-------------------------------+
 *   | address | control | FCF | FIF (0 … n octets)            |
 *   |  0xFF   | C0 / C8 |     |                               |
 *   +---------+---------+-----+-------------------------------+
 *   control 1100 X000: X (0x08) = 1 marks the last frame of a transmission ("final", §5.3.5)
 *
 * FIF layouts handled (octets after the FCF):
 *   DIS/DTC/DCS   Table 2 bit field, extend-bit chained                 → dis.ts
 *   CSI TSI CIG SUB SID PWD SEP PSA
 *                 20 IA5 characters, *last* character in the first octet, each character sent
 *                 LSB first (so bit-reversed in document notation), padded with spaces
 *                 (§5.3.6.2.4 and Table 3)
 *   NSF NSC NSS   T.35 country code, provider code, vendor data (§5.3.6.2.3) → nsf.ts
 *   FCD CCD       frame number (1 octet) | data (≤ 256)          (Annex A §A.3.3, T.4 Annex A)
 *   PPS           FCF2 | page counter | block counter | frames in block − 1     (§A.4)
 *   EOR           FCF2
 *   PPR           256-bit map: bit i (octet i>>3, mask 0x80>>(i&7)) = 1 → resend frame i
 *   CTC           2 octets laid out like DCS bits 1-16; bits 11-14 = new data signalling rate
 *   CIA TSA CSA IRA ISP   internet addresses (§5.3.6.2.12): kept opaque
 * The counters of PPS and the FCD frame number are binary numbers sent LSB first, so they too
 * are bit-reversed in document notation (tshark shows `fd f4 00 00 b2` as PPS-EOP, frame
 * counter 77 — 0xb2 reversed).
 *
 * Decoding never throws; anything T.30 does not define is an `unknown` frame kept whole.
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import { FaxwireError, assertNever } from '../util/errors.js';
import { invalid } from '../util/check.js';
import {
  bitReverse8,
  fcf2Value,
  fcfHasXBit,
  fcfLongName,
  fcfValue,
  lookupFcf,
  lookupFcf2,
  type T30DecodeError,
  type T30Fcf2Type,
  type T30FrameType,
} from './fcf.js';
import { dcsRate, decodeDis, describeDis, disEncodedSize, encodeDisInto, summarizeDis, type DisInfo } from './dis.js';
import { describeNsfFif, type NsfInfo } from './nsf.js';

export const T30_ADDRESS = 0xff;
export const T30_CONTROL_NON_FINAL = 0xc0;
export const T30_CONTROL_FINAL = 0xc8;

/** Identity frames: 20-digit numbers (§5.3.6.2.4 ff.). */
export type IdentFrameType = 'CSI' | 'CIG' | 'TSI' | 'PWD' | 'SEP' | 'PSA' | 'SUB' | 'SID';
export type NsfFrameType = 'NSF' | 'NSC' | 'NSS';
export type DisFrameType = 'DIS' | 'DTC' | 'DCS';
/** Internet address frames (§5.3.6.2.12), kept opaque. */
export type AddressFrameType = 'CIA' | 'ISP' | 'TSA' | 'IRA' | 'CSA';
export type EcmDataFrameType = 'FCD' | 'CCD';
export type SimpleFrameType = Exclude<
  T30FrameType,
  IdentFrameType | NsfFrameType | DisFrameType | AddressFrameType | EcmDataFrameType | 'PPS' | 'EOR' | 'PPR' | 'CTC'
>;

interface FrameBase {
  /** Control field 0xC8 (last frame of the transmission) rather than 0xC0. */
  readonly final: boolean;
  /** The FCF's X bit (§5.3.6.1); always false for frame types without one. */
  readonly xBit: boolean;
}

export interface DisFrame extends FrameBase {
  readonly type: DisFrameType;
  readonly dis: DisInfo;
  /** Octets after the FIF's last (extend bit 0) octet; normally empty. */
  readonly trailing: Uint8Array;
}
export interface IdentFrame extends FrameBase {
  readonly type: IdentFrameType;
  /** The number in reading order, padding spaces/NULs trimmed. */
  readonly ident: string;
}
export interface NsfFrame extends FrameBase {
  readonly type: NsfFrameType;
  /** The whole FIF, opaque (vendor-defined). */
  readonly fif: Uint8Array;
  /** Country/vendor as far as the small table knows (derived from `fif`; ignored on encode). */
  readonly nsf: NsfInfo | null;
}
export interface AddressFrame extends FrameBase {
  readonly type: AddressFrameType;
  readonly fif: Uint8Array;
}
export interface EcmDataFrame extends FrameBase {
  readonly type: EcmDataFrameType;
  /** Frame number in the block, 0-255. */
  readonly frameNumber: number;
  /** T.4 coded data, as in the frame (first transmitted bit = MSB). */
  readonly data: Uint8Array;
}
export interface PpsFrame extends FrameBase {
  readonly type: 'PPS';
  readonly fcf2: T30Fcf2Type;
  readonly fcf2XBit: boolean;
  /** Page counter, 0-255 (modulo 256). */
  readonly pageCounter: number;
  /** Block counter, 0-255. */
  readonly blockCounter: number;
  /** Number of frames in the block, 1-256 (the octet carries this minus one). */
  readonly frameCount: number;
}
export interface EorFrame extends FrameBase {
  readonly type: 'EOR';
  readonly fcf2: T30Fcf2Type;
  readonly fcf2XBit: boolean;
}
export interface PprFrame extends FrameBase {
  readonly type: 'PPR';
  /** Frame numbers (0-255, ascending) the receiver asks to be sent again. */
  readonly frames: readonly number[];
}
export interface CtcFrame extends FrameBase {
  readonly type: 'CTC';
  /** Bits 11-14 (b11 = MSB), DCS meaning — see `dcsRate`. */
  readonly rateCode: number;
  /** The other 12 bits of the 2-octet FIF (16-bit big-endian value with bits 11-14 cleared). */
  readonly otherBits: number;
}
export interface SimpleFrame extends FrameBase {
  readonly type: SimpleFrameType;
  /** FIF, normally empty (kept if a peer adds one: FDM, TK/RK, DES… do carry data). */
  readonly fif: Uint8Array;
}
export interface UnknownFrame {
  readonly type: 'unknown';
  readonly final: boolean;
  readonly fcf: number;
  readonly fif: Uint8Array;
}

export type T30Frame =
  | DisFrame
  | IdentFrame
  | NsfFrame
  | AddressFrame
  | EcmDataFrame
  | PpsFrame
  | EorFrame
  | PprFrame
  | CtcFrame
  | SimpleFrame
  | UnknownFrame;

const IDENT_LENGTH = 20;
const MAX_ECM_DATA = 256;
const PPR_OCTETS = 32;
const CTC_RATE_MASK = 0x003c; // bits 11-14 of a 16-bit big-endian CTC FIF

function isIdent(t: T30FrameType): t is IdentFrameType {
  return t === 'CSI' || t === 'CIG' || t === 'TSI' || t === 'PWD' || t === 'SEP' || t === 'PSA' || t === 'SUB' || t === 'SID';
}
function isNsf(t: T30FrameType): t is NsfFrameType {
  return t === 'NSF' || t === 'NSC' || t === 'NSS';
}
function isDis(t: T30FrameType): t is DisFrameType {
  return t === 'DIS' || t === 'DTC' || t === 'DCS';
}
function isAddress(t: T30FrameType): t is AddressFrameType {
  return t === 'CIA' || t === 'ISP' || t === 'TSA' || t === 'IRA' || t === 'CSA';
}
const STRUCTURED: ReadonlySet<T30FrameType> = new Set<T30FrameType>([
  'CSI', 'CIG', 'TSI', 'PWD', 'SEP', 'PSA', 'SUB', 'SID', 'NSF', 'NSC', 'NSS', 'DIS', 'DTC', 'DCS',
  'CIA', 'ISP', 'TSA', 'IRA', 'CSA', 'FCD', 'CCD', 'PPS', 'EOR', 'PPR', 'CTC',
]);
/** Frame types carried as just an FCF (plus an opaque FIF if a peer adds one). */
export function isSimpleFrameType(t: T30FrameType): t is SimpleFrameType {
  return !STRUCTURED.has(t);
}
function isSimpleFrame(f: T30Frame): f is SimpleFrame {
  return f.type !== 'unknown' && isSimpleFrameType(f.type);
}

const copy = (b: Uint8Array): Uint8Array => Uint8Array.from(b);

function fail(code: T30DecodeError['code'], message: string, offset: number): DecodeResult<never, T30DecodeError> {
  return err({ code, message, offset });
}

/** Decodes an identity FIF: last character first, each character bit-reversed (§5.3.6.2.4). */
export function decodeIdentFif(fif: Uint8Array): string {
  let s = '';
  for (let i = fif.length - 1; i >= 0; i--) s += String.fromCharCode(bitReverse8(fif[i] ?? 0));
  return s.replace(/^[ \0]+|[ \0]+$/g, '');
}

/**
 * Decodes one T.30 frame (address, control, FCF, FIF — the whole buffer). `bytesRead` is always
 * the buffer length: a frame's length is given by its HDLC flags, not by its content.
 */
export function decodeT30Frame(bytes: Uint8Array): DecodeResult<T30Frame, T30DecodeError> {
  if (bytes.length < 3) return fail('truncated', `T.30 frame needs 3 octets (address, control, FCF), got ${bytes.length}`, bytes.length);
  const address = bytes[0] ?? 0;
  const control = bytes[1] ?? 0;
  const fcf = bytes[2] ?? 0;
  if (address !== T30_ADDRESS) return fail('bad-address', `address field 0x${address.toString(16)} is not 0xff`, 0);
  if (control !== T30_CONTROL_NON_FINAL && control !== T30_CONTROL_FINAL) {
    return fail('bad-control', `control field 0x${control.toString(16)} is not 0xc0 or 0xc8`, 1);
  }
  const final = control === T30_CONTROL_FINAL;
  const fif = bytes.subarray(3);
  const n = bytes.length;
  const l = lookupFcf(fcf);
  if (l === undefined) return ok({ type: 'unknown', final, fcf, fif: copy(fif) }, n);
  const { type, xBit } = l;

  if (isDis(type)) {
    const r = decodeDis(fif, type);
    if (!r.ok) return fail(r.error.code, r.error.message, r.error.offset + 3);
    return ok({ type, final, xBit, dis: r.value, trailing: copy(fif.subarray(r.bytesRead)) }, n);
  }
  if (isIdent(type)) {
    if (fif.length > IDENT_LENGTH) {
      return fail('bad-length', `${type} FIF is ${fif.length} octets, T.30 allows ${IDENT_LENGTH}`, 3 + IDENT_LENGTH);
    }
    return ok({ type, final, xBit, ident: decodeIdentFif(fif) }, n);
  }
  if (isNsf(type)) {
    if (fif.length < 1) return fail('truncated', `${type} FIF needs a T.35 country code`, 3);
    return ok({ type, final, xBit, fif: copy(fif), nsf: describeNsfFif(fif) ?? null }, n);
  }
  if (isAddress(type)) return ok({ type, final, xBit, fif: copy(fif) }, n);
  if (isSimpleFrameType(type)) return ok({ type, final, xBit, fif: copy(fif) }, n);

  switch (type) {
    case 'FCD':
    case 'CCD': {
      const fnum = fif[0];
      if (fnum === undefined) return fail('truncated', `${type} needs a frame number`, 3);
      if (fif.length - 1 > MAX_ECM_DATA) {
        return fail('bad-length', `${type} carries ${fif.length - 1} data octets, more than ${MAX_ECM_DATA}`, 4 + MAX_ECM_DATA);
      }
      return ok({ type, final, xBit, frameNumber: bitReverse8(fnum), data: copy(fif.subarray(1)) }, n);
    }
    case 'PPS': {
      // FCF2 | page counter | block counter | frame count - 1  (§A.4: counters sent LSB first)
      if (fif.length < 4) return fail('truncated', `PPS FIF needs 4 octets, got ${fif.length}`, n);
      if (fif.length > 4) return fail('bad-length', `PPS FIF is ${fif.length} octets, T.30 defines 4`, 7);
      const f2 = lookupFcf2(fif[0] ?? 0);
      if (f2 === undefined) return fail('bad-fcf2', `PPS FCF2 0x${(fif[0] ?? 0).toString(16)} is not a post-message command`, 3);
      return ok(
        {
          type,
          final,
          xBit,
          fcf2: f2.type,
          fcf2XBit: f2.xBit,
          pageCounter: bitReverse8(fif[1] ?? 0),
          blockCounter: bitReverse8(fif[2] ?? 0),
          frameCount: bitReverse8(fif[3] ?? 0) + 1,
        },
        n,
      );
    }
    case 'EOR': {
      if (fif.length < 1) return fail('truncated', 'EOR needs an FCF2 octet', 3);
      if (fif.length > 1) return fail('bad-length', `EOR FIF is ${fif.length} octets, T.30 defines 1`, 4);
      const f2 = lookupFcf2(fif[0] ?? 0);
      if (f2 === undefined) return fail('bad-fcf2', `EOR FCF2 0x${(fif[0] ?? 0).toString(16)} is not a post-message command`, 3);
      return ok({ type, final, xBit, fcf2: f2.type, fcf2XBit: f2.xBit }, n);
    }
    case 'PPR': {
      if (fif.length < PPR_OCTETS) return fail('truncated', `PPR FIF needs ${PPR_OCTETS} octets, got ${fif.length}`, n);
      if (fif.length > PPR_OCTETS) return fail('bad-length', `PPR FIF is ${fif.length} octets, T.30 defines ${PPR_OCTETS}`, 3 + PPR_OCTETS);
      const frames: number[] = [];
      for (let i = 0; i < 256; i++) if (((fif[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0) frames.push(i);
      return ok({ type, final, xBit, frames }, n);
    }
    case 'CTC': {
      if (fif.length < 2) return fail('truncated', `CTC FIF needs 2 octets, got ${fif.length}`, n);
      if (fif.length > 2) return fail('bad-length', `CTC FIF is ${fif.length} octets, T.30 defines 2`, 5);
      const v = ((fif[0] ?? 0) << 8) | (fif[1] ?? 0);
      return ok({ type, final, xBit, rateCode: (v & CTC_RATE_MASK) >> 2, otherBits: v & ~CTC_RATE_MASK & 0xffff }, n);
    }
    default:
      return assertNever(type, 'T.30 frame type');
  }
}

// ---------------------------------------------------------------------------------------------
// Encode

function checkByte(name: string, v: number, min = 0, max = 255): void {
  if (!Number.isInteger(v) || v < min || v > max) invalid(`${name} must be an integer ${min}..${max}, got ${String(v)}`);
}

function fifSize(f: T30Frame): number {
  if (isSimpleFrame(f)) return f.fif.length;
  switch (f.type) {
    case 'DIS':
    case 'DTC':
    case 'DCS':
      return disEncodedSize(f.dis) + f.trailing.length;
    case 'CSI':
    case 'CIG':
    case 'TSI':
    case 'PWD':
    case 'SEP':
    case 'PSA':
    case 'SUB':
    case 'SID':
      return IDENT_LENGTH;
    case 'FCD':
    case 'CCD':
      if (f.data.length > MAX_ECM_DATA) invalid(`${f.type} data is ${f.data.length} octets, at most ${MAX_ECM_DATA}`);
      return 1 + f.data.length;
    case 'PPS':
      return 4;
    case 'EOR':
      return 1;
    case 'PPR':
      return PPR_OCTETS;
    case 'CTC':
      return 2;
    case 'NSF':
    case 'NSC':
    case 'NSS':
      if (f.fif.length < 1) invalid(`${f.type} FIF needs at least the T.35 country code`);
      return f.fif.length;
    case 'CIA':
    case 'ISP':
    case 'TSA':
    case 'IRA':
    case 'CSA':
    case 'unknown':
      return f.fif.length;
    default:
      return assertNever(f, 'T.30 frame');
  }
}

/** Octets `encodeT30FrameInto` writes for this frame. */
export function t30FrameEncodedSize(f: T30Frame): number {
  return 3 + fifSize(f);
}

/** Encodes a frame into `buf` at `offset`; returns octets written. */
export function encodeT30FrameInto(f: T30Frame, buf: Uint8Array, offset = 0): number {
  const size = t30FrameEncodedSize(f);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `T.30 frame needs ${size} octets at offset ${offset}, buffer has ${buf.length}`);
  }
  const out = buf.subarray(offset, offset + size);
  out[0] = T30_ADDRESS;
  out[1] = f.final ? T30_CONTROL_FINAL : T30_CONTROL_NON_FINAL;
  if (f.type === 'unknown') {
    checkByte('fcf', f.fcf);
    if (lookupFcf(f.fcf) !== undefined) invalid(`FCF 0x${f.fcf.toString(16)} is a known frame; build that frame type instead`);
    out[2] = f.fcf;
    out.set(f.fif, 3);
    return size;
  }
  out[2] = fcfValue(f.type, f.xBit);
  const fif = out.subarray(3);
  if (isSimpleFrame(f)) {
    fif.set(f.fif);
    return size;
  }
  switch (f.type) {
    case 'DIS':
    case 'DTC':
    case 'DCS': {
      if (f.dis.kind !== f.type) invalid(`${f.type} frame carries a ${f.dis.kind} field`);
      const k = encodeDisInto(f.dis, fif, 0);
      fif.set(f.trailing, k);
      break;
    }
    case 'CSI':
    case 'CIG':
    case 'TSI':
    case 'PWD':
    case 'SEP':
    case 'PSA':
    case 'SUB':
    case 'SID': {
      const s = f.ident;
      if (s.length > IDENT_LENGTH) invalid(`${f.type} identity "${s}" is longer than ${IDENT_LENGTH} characters`);
      fif.fill(bitReverse8(0x20));
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(s.length - 1 - i);
        if (c > 0xff) invalid(`${f.type} identity has a character outside one octet: ${s}`);
        fif[i] = bitReverse8(c);
      }
      break;
    }
    case 'FCD':
    case 'CCD':
      checkByte('frameNumber', f.frameNumber);
      fif[0] = bitReverse8(f.frameNumber);
      fif.set(f.data, 1);
      break;
    case 'PPS':
      checkByte('pageCounter', f.pageCounter);
      checkByte('blockCounter', f.blockCounter);
      checkByte('frameCount', f.frameCount, 1, 256);
      fif[0] = fcf2Value(f.fcf2, f.fcf2XBit);
      fif[1] = bitReverse8(f.pageCounter);
      fif[2] = bitReverse8(f.blockCounter);
      fif[3] = bitReverse8(f.frameCount - 1);
      break;
    case 'EOR':
      fif[0] = fcf2Value(f.fcf2, f.fcf2XBit);
      break;
    case 'PPR':
      fif.fill(0);
      for (const i of f.frames) {
        checkByte('PPR frame number', i);
        fif[i >> 3] = (fif[i >> 3] ?? 0) | (0x80 >> (i & 7));
      }
      break;
    case 'CTC': {
      if (!Number.isInteger(f.rateCode) || f.rateCode < 0 || f.rateCode > 15) {
        invalid(`CTC rateCode must be 0..15, got ${String(f.rateCode)}`);
      }
      if (!Number.isInteger(f.otherBits) || f.otherBits < 0 || f.otherBits > 0xffff || (f.otherBits & CTC_RATE_MASK) !== 0) {
        invalid(`CTC otherBits must be 16 bits with bits 11-14 clear, got ${String(f.otherBits)}`);
      }
      const v = f.otherBits | (f.rateCode << 2);
      fif[0] = v >> 8;
      fif[1] = v & 0xff;
      break;
    }
    case 'NSF':
    case 'NSC':
    case 'NSS':
    case 'CIA':
    case 'ISP':
    case 'TSA':
    case 'IRA':
    case 'CSA':
      fif.set(f.fif);
      break;
    default:
      return assertNever(f, 'T.30 frame');
  }
  return size;
}

/** Encodes a frame (address, control, FCF, FIF; no FCS). */
export function encodeT30Frame(f: T30Frame): Uint8Array {
  const out = new Uint8Array(t30FrameEncodedSize(f));
  encodeT30FrameInto(f, out, 0);
  return out;
}

/** Builds a frame that is just an FCF (MCF, CFR, DCN, RCP, …). */
export function simpleFrame(type: SimpleFrameType, opts: { final?: boolean; xBit?: boolean } = {}): SimpleFrame {
  return { type, final: opts.final ?? true, xBit: fcfHasXBit(type) && (opts.xBit ?? false), fif: new Uint8Array(0) };
}

// ---------------------------------------------------------------------------------------------
// Names, details, summary (for traces and `faxwire analyze`)

/** Display name: the frame type, with the FCF2 for PPS/EOR (`PPS-EOP`), `FCF 0x3e` if unknown. */
export function frameName(f: T30Frame): string {
  if (f.type === 'unknown') return `FCF 0x${f.fcf.toString(16).padStart(2, '0')}`;
  if (f.type === 'PPS' || f.type === 'EOR') return `${f.type}-${f.fcf2}`;
  return f.type;
}

/** The FCF octet as it is (or would be) on the wire, X bit included. */
export function frameFcf(f: T30Frame): number {
  return f.type === 'unknown' ? f.fcf : fcfValue(f.type, f.xBit);
}

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/**
 * Analyser detail lines beyond the one-line summary: the bit-by-bit DIS/DTC/DCS decode, the
 * NSF country/vendor and raw octets, PPS counters, the PPR frame list. Empty for bare FCFs.
 */
export function frameDetails(f: T30Frame): string[] {
  if (isSimpleFrame(f)) return f.fif.length > 0 ? [`FIF ${hexOf(f.fif)}`] : [];
  switch (f.type) {
    case 'DIS':
    case 'DTC':
    case 'DCS':
      return [...describeDis(f.dis), ...(f.trailing.length > 0 ? [`trailing octets ${hexOf(f.trailing)}`] : [])];
    case 'CSI':
    case 'CIG':
    case 'TSI':
    case 'PWD':
    case 'SEP':
    case 'PSA':
    case 'SUB':
    case 'SID':
      return [`${fcfLongName(f.type)}: ${quote(f.ident)}`];
    case 'NSF':
    case 'NSC':
    case 'NSS': {
      const out: string[] = [];
      if (f.nsf !== null) {
        const name = f.nsf.country !== undefined ? ` (${f.nsf.country})` : '';
        const order = f.nsf.reversedBitOrder ? ', sent MSB first' : '';
        out.push(`T.35 country 0x${f.nsf.countryCode.toString(16).padStart(2, '0')}${name}${order}`);
        if (f.nsf.providerCode !== undefined) {
          const vendor = f.nsf.vendor !== undefined ? ` (${f.nsf.vendor})` : '';
          out.push(`provider code 0x${f.nsf.providerCode.toString(16).padStart(4, '0')}${vendor}`);
        }
      }
      out.push(`FIF ${hexOf(f.fif)}`);
      return out;
    }
    case 'CIA':
    case 'ISP':
    case 'TSA':
    case 'IRA':
    case 'CSA':
    case 'unknown':
      return f.fif.length > 0 ? [`FIF ${hexOf(f.fif)}`] : [];
    case 'FCD':
    case 'CCD':
      return [`frame ${f.frameNumber}, ${f.data.length} data octets`];
    case 'PPS':
      return [`FCF2 ${f.fcf2}, page counter ${f.pageCounter}, block counter ${f.blockCounter}, ${f.frameCount} frames in the block`];
    case 'EOR':
      return [`FCF2 ${f.fcf2}`];
    case 'PPR':
      return [`frames to resend: ${f.frames.length > 0 ? ranges(f.frames) : 'none'}`];
    case 'CTC':
      return [`bits 11-14 = ${f.rateCode.toString(2).padStart(4, '0').split('').join(',')}: ${dcsRate(f.rateCode).text}`];
    default:
      return assertNever(f, 'T.30 frame');
  }
}

function quote(s: string): string {
  // JSON quoting keeps control characters visible in a one-line trace.
  return JSON.stringify(s);
}

function ranges(nums: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; ) {
    const start = nums[i] ?? 0;
    let end = start;
    while (i + 1 < nums.length && nums[i + 1] === end + 1) {
      i++;
      end = nums[i] ?? end;
    }
    out.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return out.join(',');
}

/** One analyser-style line, e.g. `DCS  V.17 14400, fine, MMR, ECM 256, A4 1728, …` or `MCF`. */
export function frameSummary(f: T30Frame): string {
  if (isSimpleFrame(f)) return f.fif.length > 0 ? `${f.type} (+${f.fif.length} octets)` : f.type;
  switch (f.type) {
    case 'DIS':
    case 'DTC':
    case 'DCS':
      return `${f.type.padEnd(4)} ${summarizeDis(f.dis)}${f.trailing.length > 0 ? ` (+${f.trailing.length} trailing octets)` : ''}`;
    case 'CSI':
    case 'CIG':
    case 'TSI':
    case 'PWD':
    case 'SEP':
    case 'PSA':
    case 'SUB':
    case 'SID':
      return `${f.type} ${quote(f.ident)}`;
    case 'NSF':
    case 'NSC':
    case 'NSS': {
      const who: string[] = [];
      if (f.nsf !== null) {
        who.push(f.nsf.country ?? `country 0x${f.nsf.countryCode.toString(16).padStart(2, '0')}`);
        if (f.nsf.vendor !== undefined) who.push(f.nsf.vendor);
        if (f.nsf.reversedBitOrder) who.push('(T.35 bits reversed)');
      }
      who.push(`${f.fif.length} octets`);
      return `${f.type} ${who.join(', ')}`;
    }
    case 'CIA':
    case 'ISP':
    case 'TSA':
    case 'IRA':
    case 'CSA':
      return `${f.type} ${f.fif.length} octets`;
    case 'FCD':
    case 'CCD':
      return `${f.type} frame ${f.frameNumber}, ${f.data.length} octets`;
    case 'PPS':
      return `PPS-${f.fcf2} page ${f.pageCounter} block ${f.blockCounter} frames ${f.frameCount}`;
    case 'EOR':
      return `EOR-${f.fcf2}`;
    case 'PPR':
      return `PPR ${f.frames.length} frame${f.frames.length === 1 ? '' : 's'}${f.frames.length > 0 ? `: ${ranges(f.frames)}` : ''}`;
    case 'CTC':
      return `CTC ${dcsRate(f.rateCode).text}`;
    case 'unknown':
      return `FCF 0x${f.fcf.toString(16).padStart(2, '0')} (unknown)${f.fif.length > 0 ? `, ${f.fif.length} octets` : ''}`;
    default:
      return assertNever(f, 'T.30 frame');
  }
}
