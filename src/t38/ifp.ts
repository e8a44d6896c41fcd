/**
 * IFP (Internet Facsimile Protocol) packet codec — ITU-T T.38 §7 and Annex A (ASN.1), encoded
 * with ASN.1 aligned PER (X.691) as T.38 §7.1 requires.
 *
 * Two ASN.1 modules are in use in the field, and they differ only in `field-type`:
 *
 *  - **version 0** ("pre-corrigendum", T38(1998)): `field-type` is a plain 8-value ENUMERATED,
 *    3 bits, no extension marker;
 *  - **versions 1–4** (T38(2002), corrected by T.38 Corrigendum 1): `field-type` has an
 *    extension marker (+1 bit) and four extension values (cm-message, jm-message, ci-message,
 *    v34rate).
 *
 * A v0 peer's `hdlc-fcs-OK` (0x20) therefore reads as `hdlc-fcs-OK-sig-end` to a v1+ peer, so
 * the version must be known (negotiated in SDP as T38FaxVersion, or guessed by `guessIfpVersion`).
 * The indicator and data-type encodings are the same in both modules.
 *
 * Layout (bit 7 = first bit on the wire):
 *
 * ```
 *  octet 0   7   6   5   4   3   2   1   0
 *          +---+---+---+---------------+---+
 *          | D | T | E |  value (4)    | 0 |   D: data-field present (SEQUENCE OPTIONAL bitmap)
 *          +---+---+---+---------------+---+   T: 0 t30-indicator, 1 t30-data (CHOICE index)
 *                                              E: extension bit of the ENUMERATED
 *  extension value (E = 1), X.691 §10.6 normally-small whole number:
 *          | D | T | 1 | 0 | v5  v4  v3  v2 |  | v1  v0 | 0 0 0 0 0 0 |
 *
 *  data-field (octet aligned): count (X.691 §10.9 length determinant, 1 octet if < 128)
 *  then per field, NOT octet aligned between fields:
 *     v0 : | P | type (3) |                     P: field-data present
 *     v1+: | P | E | type (3) |   or, extended: | P | 1 | 0 | v5..v0 |
 *     if P: pad to octet, 2 octets (length − 1) — OCTET STRING (SIZE (1..65535)),
 *           X.691 §11.9.3.3 — then the octets.
 *  the packet is padded with zero bits to a whole octet (open type, X.691 §10.2).
 * ```
 *
 * Strict PER packs a data-less field and the next field's header into the same octet. spandsp
 * (all versions seen) writes every field header as a whole octet instead; its decoder accepts
 * both. `decodeIfp` accepts both too: it tries strict PER first and falls back to
 * octet-per-field when that explains the bytes better (`fieldAlignment` tells which was used).
 *
 * Decoding never throws; it returns a typed `IfpDecodeError`. The hot path (`decodeIfpView`)
 * writes into a caller-owned `IfpView` and allocates nothing.
 */

import { FaxwireError } from '../util/errors.js';
import { err, ok, type DecodeResult } from '../util/result.js';

/** T.38 version as negotiated by T38FaxVersion (SDP) — selects the ASN.1 module. */
export type T38Version = 0 | 1 | 2 | 3 | 4;

/** `t30-indicator` values in ASN.1 order: 16 root values, then the 7 extension values. */
export const T30_INDICATORS = [
  'no-signal',
  'cng',
  'ced',
  'v21-preamble',
  'v27-2400-training',
  'v27-4800-training',
  'v29-7200-training',
  'v29-9600-training',
  'v17-7200-short-training',
  'v17-7200-long-training',
  'v17-9600-short-training',
  'v17-9600-long-training',
  'v17-12000-short-training',
  'v17-12000-long-training',
  'v17-14400-short-training',
  'v17-14400-long-training',
  // extension additions (T.38 (2002)):
  'v8-ansam',
  'v8-signal',
  'v34-cntl-channel-1200',
  'v34-pri-channel',
  'v34-CC-retrain',
  'v33-12000-training',
  'v33-14400-training',
] as const;
export type T30Indicator = (typeof T30_INDICATORS)[number];
const INDICATOR_ROOT_COUNT = 16;

/** `t30-data` values in ASN.1 order: 9 root values, then the 6 extension values. */
export const T30_DATA_TYPES = [
  'v21',
  'v27-2400',
  'v27-4800',
  'v29-7200',
  'v29-9600',
  'v17-7200',
  'v17-9600',
  'v17-12000',
  'v17-14400',
  // extension additions (T.38 (2002)):
  'v8',
  'v34-pri-rate',
  'v34-CC-1200',
  'v34-pri-ch',
  'v33-12000',
  'v33-14400',
] as const;
export type T30DataType = (typeof T30_DATA_TYPES)[number];
const DATA_ROOT_COUNT = 9;

/** `field-type` values in ASN.1 order: 8 root values, then (v1+ only) 4 extension values. */
export const IFP_FIELD_TYPES = [
  'hdlc-data',
  'hdlc-sig-end',
  'hdlc-fcs-OK',
  'hdlc-fcs-BAD',
  'hdlc-fcs-OK-sig-end',
  'hdlc-fcs-BAD-sig-end',
  't4-non-ecm-data',
  't4-non-ecm-sig-end',
  // extension additions (T.38 (2002), not in the 1998 module used by version 0):
  'cm-message',
  'jm-message',
  'ci-message',
  'v34rate',
] as const;
export type IfpFieldType = (typeof IFP_FIELD_TYPES)[number];
const FIELD_ROOT_COUNT = 8;

export interface IfpField {
  readonly type: IfpFieldType;
  /** field-data; absent when the field carries none (e.g. hdlc-fcs-OK). Never empty (SIZE (1..65535)). */
  readonly data?: Uint8Array;
}

export type Ifp =
  | { readonly type: 't30-indicator'; readonly indicator: T30Indicator; readonly fields?: readonly IfpField[] }
  | { readonly type: 't30-data'; readonly dataType: T30DataType; readonly fields?: readonly IfpField[] };

/** How field headers after a data-less field were laid out (see the module comment). */
export type IfpFieldAlignment = 'per' | 'octet';

export type IfpDecodeErrorCode =
  | 'empty'
  | 'truncated'
  | 'unknown-extension'
  | 'too-many-fields'
  | 'unsupported-length';

export interface IfpDecodeError {
  readonly code: IfpDecodeErrorCode;
  readonly message: string;
  /** Octet offset where decoding failed. */
  readonly offset: number;
}

/**
 * Bound on fields per IFP. PER allows any count; real gateways send 1 (spandsp) or 2 (hdlc-data
 * + fcs-OK merged, as some Cisco/Audiocodes builds do). 127 keeps the count in one octet.
 */
export const MAX_IFP_FIELDS = 127;

/**
 * Reusable decode target for the allocation-free path. Field data is described by offsets into
 * the decoded buffer, so nothing is copied.
 */
export class IfpView {
  /** 0 = t30-indicator, 1 = t30-data. */
  kind: 0 | 1 = 0;
  /** Index into T30_INDICATORS or T30_DATA_TYPES. */
  value = 0;
  hasDataField = false;
  fieldCount = 0;
  readonly fieldTypes = new Uint8Array(MAX_IFP_FIELDS);
  /** Absolute offset of each field's data in the buffer, or −1 when the field has none. */
  readonly fieldDataOffset = new Int32Array(MAX_IFP_FIELDS);
  readonly fieldDataLength = new Int32Array(MAX_IFP_FIELDS);
  /** Octets the IFP occupied. */
  bytesRead = 0;
  fieldAlignment: IfpFieldAlignment = 'per';
  /** The final padding bits were zero, as X.691 requires. */
  paddingClean = true;
  /** Set after a failed decode. */
  errorCode: IfpDecodeErrorCode | undefined = undefined;
  errorOffset = 0;
  errorMessage = '';
}

// --- decoding -------------------------------------------------------------------------------

function fail(v: IfpView, code: IfpDecodeErrorCode, bitPos: number, message: string): false {
  v.errorCode = code;
  v.errorOffset = bitPos >>> 3;
  v.errorMessage = message;
  return false;
}

/** Reads `n` ≤ 8 bits at bit position `pos` (MSB first); caller has checked the bounds. */
function bits(buf: Uint8Array, pos: number, n: number): number {
  const byte = pos >>> 3;
  const shift = pos & 7;
  // Two octets cover any n ≤ 8 window; the second may be past the end only when unused.
  const word = ((buf[byte] ?? 0) << 8) | (buf[byte + 1] ?? 0);
  return (word >>> (16 - shift - n)) & ((1 << n) - 1);
}

/**
 * Core decoder. `octetFields` selects spandsp's octet-per-field layout instead of strict PER.
 * Returns true on success (the view is filled), false on error (errorCode set).
 */
function decodeInto(
  buf: Uint8Array,
  start: number,
  end: number,
  version: T38Version,
  octetFields: boolean,
  v: IfpView,
): boolean {
  v.errorCode = undefined;
  v.fieldCount = 0;
  v.fieldAlignment = octetFields ? 'octet' : 'per';
  const limit = end * 8;
  let pos = start * 8;
  if (end <= start) return fail(v, 'empty', pos, 'empty IFP');

  const b0 = buf[start] ?? 0;
  v.hasDataField = (b0 & 0x80) !== 0;
  v.kind = (b0 & 0x40) !== 0 ? 1 : 0;
  const rootCount = v.kind === 0 ? INDICATOR_ROOT_COUNT : DATA_ROOT_COUNT;
  const extCount = v.kind === 0 ? T30_INDICATORS.length - INDICATOR_ROOT_COUNT : T30_DATA_TYPES.length - DATA_ROOT_COUNT;
  if ((b0 & 0x20) === 0) {
    v.value = (b0 >>> 1) & 0x0f;
    if (v.value >= rootCount) {
      return fail(v, 'unknown-extension', pos, `${v.kind === 0 ? 't30-indicator' : 't30-data'} root value ${v.value} out of range`);
    }
    pos += 7;
  } else {
    // X.691 §10.6: normally small non-negative whole number — 0 + 6 bits when ≤ 63.
    if (pos + 10 > limit) return fail(v, 'truncated', pos, 'extension value cut short');
    if ((b0 & 0x10) !== 0) return fail(v, 'unknown-extension', pos, 'extension value ≥ 64');
    const ext = ((b0 & 0x0f) << 2) | ((buf[start + 1] ?? 0) >>> 6);
    if (ext >= extCount) {
      return fail(v, 'unknown-extension', pos, `${v.kind === 0 ? 't30-indicator' : 't30-data'} extension ${ext} unknown`);
    }
    v.value = rootCount + ext;
    pos += 10; // D T E + normally small number (0 + 6 bits)
  }

  if (v.hasDataField) {
    // SEQUENCE OF: general length determinant (X.691 §10.9), octet aligned.
    pos = (pos + 7) & ~7;
    if (pos + 8 > limit) return fail(v, 'truncated', pos, 'data-field count missing');
    let count = buf[pos >>> 3] ?? 0;
    if (count & 0x80) {
      if (count & 0x40) return fail(v, 'unsupported-length', pos, 'fragmented field count');
      if (pos + 16 > limit) return fail(v, 'truncated', pos, 'data-field count cut short');
      count = ((count & 0x3f) << 8) | (buf[(pos >>> 3) + 1] ?? 0);
      pos += 16;
    } else {
      pos += 8;
    }
    if (count > MAX_IFP_FIELDS) return fail(v, 'too-many-fields', pos - 8, `${count} fields (limit ${MAX_IFP_FIELDS})`);

    for (let i = 0; i < count; i++) {
      if (octetFields) pos = (pos + 7) & ~7;
      let present: boolean;
      let type: number;
      if (version === 0) {
        if (pos + 4 > limit) return fail(v, 'truncated', pos, `field ${i} header missing`);
        const h = bits(buf, pos, 4);
        present = (h & 0x8) !== 0;
        type = h & 0x7;
        pos += 4;
      } else {
        if (pos + 5 > limit) return fail(v, 'truncated', pos, `field ${i} header missing`);
        const h = bits(buf, pos, 5);
        present = (h & 0x10) !== 0;
        if ((h & 0x08) === 0) {
          type = h & 0x7;
          pos += 5;
        } else {
          if (pos + 9 > limit) return fail(v, 'truncated', pos, `field ${i} extension cut short`);
          const e = bits(buf, pos + 2, 7);
          if (e & 0x40) return fail(v, 'unknown-extension', pos, 'field-type extension ≥ 64');
          if (e >= IFP_FIELD_TYPES.length - FIELD_ROOT_COUNT) {
            return fail(v, 'unknown-extension', pos, `field-type extension ${e} unknown`);
          }
          type = FIELD_ROOT_COUNT + e;
          pos += 9;
        }
      }
      v.fieldTypes[i] = type;
      if (present) {
        pos = (pos + 7) & ~7;
        if (pos + 16 > limit) return fail(v, 'truncated', pos, `field ${i} length missing`);
        const at = pos >>> 3;
        const len = (((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0)) + 1;
        pos += 16;
        if (pos + len * 8 > limit) return fail(v, 'truncated', pos, `field ${i} data: ${len} octets announced`);
        v.fieldDataOffset[i] = pos >>> 3;
        v.fieldDataLength[i] = len;
        pos += len * 8;
      } else {
        v.fieldDataOffset[i] = -1;
        v.fieldDataLength[i] = 0;
      }
    }
    v.fieldCount = count;
  }
  v.bytesRead = ((pos + 7) >>> 3) - start;
  // X.691 pads with zero bits; non-zero padding means this reading of the header bits is wrong.
  v.paddingClean = (pos & 7) === 0 || bits(buf, pos, 8 - (pos & 7)) === 0;
  return true;
}

/**
 * Decodes one IFP from `buf[start, end)` into `view` without allocating. Returns true on
 * success; on failure `view.errorCode`/`errorOffset`/`errorMessage` say why.
 *
 * Strict PER is tried first; if it fails, or leaves octets unread that spandsp's
 * octet-per-field layout accounts for exactly, the octet layout is used.
 */
export function decodeIfpView(
  buf: Uint8Array,
  version: T38Version,
  view: IfpView,
  start = 0,
  end = buf.length,
): boolean {
  const strictOk = decodeInto(buf, start, end, version, false, view);
  if (strictOk && ((start + view.bytesRead === end && view.paddingClean) || view.fieldCount < 2)) return true;
  if (!view.hasDataField) return strictOk;
  // Save the strict outcome in case the octet layout does no better.
  const sCode = view.errorCode;
  const sOffset = view.errorOffset;
  const sMessage = view.errorMessage;
  if (decodeInto(buf, start, end, version, true, view)) {
    if (!strictOk || (start + view.bytesRead === end && view.paddingClean)) return true;
  }
  // Neither layout is exact: fall back to the strict reading (or its error).
  if (strictOk) return decodeInto(buf, start, end, version, false, view);
  view.errorCode = sCode;
  view.errorOffset = sOffset;
  view.errorMessage = sMessage;
  view.fieldAlignment = 'per';
  return false;
}

/** Decoded IFP plus how its fields were laid out. */
export interface DecodedIfp {
  readonly ifp: Ifp;
  readonly fieldAlignment: IfpFieldAlignment;
}

/**
 * Decodes one IFP. `bytesRead` is the IFP's length; octets after it are the caller's business
 * (inside UDPTL the open-type length should match exactly). Field data are subarrays of `buf`.
 */
/**
 * Scratch view for `decodeIfp` callers that pass none: an IfpView's typed arrays live outside
 * V8's young heap, so making one per call costs microseconds. Safe to share: `decodeIfp` copies
 * everything it returns out of the view before returning.
 */
const SCRATCH_VIEW = new IfpView();

export function decodeIfp(
  buf: Uint8Array,
  version: T38Version,
  view: IfpView = SCRATCH_VIEW,
): DecodeResult<Ifp, IfpDecodeError> & { fieldAlignment?: IfpFieldAlignment } {
  if (!decodeIfpView(buf, version, view)) {
    return err({ code: view.errorCode ?? 'truncated', message: view.errorMessage, offset: view.errorOffset });
  }
  const r = ok(ifpFromView(buf, view), view.bytesRead);
  return view.fieldAlignment === 'octet' ? { ...r, fieldAlignment: 'octet' } : r;
}

/** Materialises an `Ifp` from a successfully decoded view (field data are subarrays). */
export function ifpFromView(buf: Uint8Array, v: IfpView): Ifp {
  let fields: IfpField[] | undefined;
  if (v.hasDataField) {
    fields = [];
    for (let i = 0; i < v.fieldCount; i++) {
      const type = IFP_FIELD_TYPES[v.fieldTypes[i] ?? 0] ?? 'hdlc-data';
      const off = v.fieldDataOffset[i] ?? -1;
      fields.push(off < 0 ? { type } : { type, data: buf.subarray(off, off + (v.fieldDataLength[i] ?? 0)) });
    }
  }
  if (v.kind === 0) {
    const indicator = T30_INDICATORS[v.value] ?? 'no-signal';
    return fields ? { type: 't30-indicator', indicator, fields } : { type: 't30-indicator', indicator };
  }
  const dataType = T30_DATA_TYPES[v.value] ?? 'v21';
  return fields ? { type: 't30-data', dataType, fields } : { type: 't30-data', dataType };
}

// --- encoding -------------------------------------------------------------------------------

const INDICATOR_INDEX = new Map<string, number>(T30_INDICATORS.map((n, i) => [n, i]));
const DATA_INDEX = new Map<string, number>(T30_DATA_TYPES.map((n, i) => [n, i]));
const FIELD_INDEX = new Map<string, number>(IFP_FIELD_TYPES.map((n, i) => [n, i]));

export interface IfpEncodeOptions {
  /** 'per' (default, X.691) or 'octet' (each field header starts an octet, as spandsp writes). */
  readonly fieldAlignment?: IfpFieldAlignment;
}

/**
 * The CHOICE and its index, packed in one number so that encoding allocates nothing:
 * kind (0 t30-indicator, 1 t30-data) in bit 8, the value index below.
 */
function resolve(ifp: Ifp, version: T38Version): number {
  if (ifp.type === 't30-indicator') {
    const value = INDICATOR_INDEX.get(ifp.indicator);
    if (value === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `unknown t30-indicator ${String(ifp.indicator)}`);
    if (version === 0 && value >= INDICATOR_ROOT_COUNT) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `${ifp.indicator} does not exist in T.38 version 0 (1998 ASN.1)`);
    }
    return value;
  }
  const value = DATA_INDEX.get(ifp.dataType);
  if (value === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `unknown t30-data ${String(ifp.dataType)}`);
  if (version === 0 && value >= DATA_ROOT_COUNT) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `${ifp.dataType} does not exist in T.38 version 0 (1998 ASN.1)`);
  }
  return 0x100 | value;
}

/** Root alternatives of the CHOICE packed by `resolve`. */
function rootOf(packed: number): number {
  return packed & 0x100 ? DATA_ROOT_COUNT : INDICATOR_ROOT_COUNT;
}

function fieldIndex(f: IfpField, version: T38Version): number {
  const t = FIELD_INDEX.get(f.type);
  if (t === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `unknown field-type ${String(f.type)}`);
  if (version === 0 && t >= FIELD_ROOT_COUNT) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `field-type ${f.type} does not exist in T.38 version 0`);
  }
  if (f.data !== undefined && (f.data.length < 1 || f.data.length > 65535)) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `field-data must be 1..65535 octets, got ${f.data.length}`);
  }
  return t;
}

/** Size in bits of the encoding, or throws on an unencodable IFP. */
function encodedBits(ifp: Ifp, version: T38Version, octetFields: boolean): number {
  const packed = resolve(ifp, version);
  let pos = (packed & 0xff) < rootOf(packed) ? 7 : 10;
  const fields = ifp.fields;
  if (fields) {
    if (fields.length > MAX_IFP_FIELDS) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `more than ${MAX_IFP_FIELDS} fields`);
    pos = ((pos + 7) & ~7) + 8;
    for (const f of fields) {
      if (octetFields) pos = (pos + 7) & ~7;
      const t = fieldIndex(f, version);
      pos += version === 0 ? 4 : t < FIELD_ROOT_COUNT ? 5 : 9;
      if (f.data) pos = ((pos + 7) & ~7) + 16 + f.data.length * 8;
    }
  }
  return pos;
}

/** Encoded size in octets. Throws `FaxwireError` if the IFP cannot be encoded in `version`. */
/** Default options, shared (a default `{}` parameter would allocate an object per call). */
const NO_OPTIONS: IfpEncodeOptions = {};

export function ifpEncodedSize(ifp: Ifp, version: T38Version, options: IfpEncodeOptions = NO_OPTIONS): number {
  return (encodedBits(ifp, version, options.fieldAlignment === 'octet') + 7) >>> 3;
}

/** Field-type indices of the IFP being encoded (one pass resolves them, the next writes). */
const fieldTypes = new Int32Array(MAX_IFP_FIELDS);

/**
 * Writes the low `n` bits of `value` at bit `pos` (n ≤ 9). Bits are written in order, so a byte
 * first touched at its bit 0 — and the next byte, when the value runs into it — holds nothing
 * yet: it is assigned, not ORed, and the buffer needs no clearing beforehand.
 */
function putFresh(buf: Uint8Array, pos: number, value: number, n: number): void {
  const byte = pos >>> 3;
  const sh = pos & 7;
  const v = (value & ((1 << n) - 1)) << (16 - sh - n);
  buf[byte] = (sh === 0 ? 0 : (buf[byte] ?? 0)) | (v >>> 8);
  if (sh + n > 8) buf[byte + 1] = v & 0xff;
}

/** Encodes into `buf` at `offset`; returns the octets written. */
export function encodeIfpInto(ifp: Ifp, version: T38Version, buf: Uint8Array, offset = 0, options: IfpEncodeOptions = NO_OPTIONS): number {
  const octetFields = options.fieldAlignment === 'octet';
  // First pass: resolve every name once (throws on what cannot be encoded) and size the result.
  const packed = resolve(ifp, version);
  const kind = packed >>> 8;
  const value = packed & 0xff;
  const root = rootOf(packed);
  const fields = ifp.fields;
  let bits = value < root ? 7 : 10;
  if (fields) {
    const n = fields.length;
    if (n > MAX_IFP_FIELDS) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `more than ${MAX_IFP_FIELDS} fields`);
    bits = ((bits + 7) & ~7) + 8;
    for (let i = 0; i < n; i++) {
      const f = fields[i] as IfpField;
      if (octetFields) bits = (bits + 7) & ~7;
      const t = fieldIndex(f, version);
      fieldTypes[i] = t;
      bits += version === 0 ? 4 : t < FIELD_ROOT_COUNT ? 5 : 9;
      if (f.data) bits = ((bits + 7) & ~7) + 16 + f.data.length * 8;
    }
  }
  const size = (bits + 7) >>> 3;
  if (offset < 0 || offset + size > buf.length) {
    throw new FaxwireError('FAXWIRE_ERR_BUFFER_TOO_SMALL', `IFP needs ${size} octets at offset ${offset}, buffer has ${buf.length}`);
  }
  // Second pass: write. Every octet in [offset, offset + size) is assigned (see putFresh; the
  // padding bits X.691 10.1.3 asks for are the zeros of those assignments).
  // D T E vvvv 0, or D T 1 0 vvvvvv for an extension value (see the layout at the top).
  const head = (fields ? 0x80 : 0) | (kind << 6);
  let pos = offset * 8;
  if (value < root) {
    buf[offset] = head | (value << 1);
    pos += 7;
  } else {
    buf[offset] = head | 0x20;
    putFresh(buf, pos + 4, value - root, 6);
    pos += 10; // D T E, then the normally small number: a 0 bit and 6 value bits
  }
  if (fields) {
    pos = (pos + 7) & ~7;
    const n = fields.length;
    buf[pos >>> 3] = n;
    pos += 8;
    for (let i = 0; i < n; i++) {
      const f = fields[i] as IfpField;
      if (octetFields) pos = (pos + 7) & ~7;
      const t = fieldTypes[i] ?? 0;
      const data = f.data;
      const present = data ? 1 : 0;
      if (version === 0) {
        putFresh(buf, pos, (present << 3) | t, 4);
        pos += 4;
      } else if (t < FIELD_ROOT_COUNT) {
        putFresh(buf, pos, (present << 4) | t, 5);
        pos += 5;
      } else {
        // P 1 0 vvvvvv: 9 bits.
        putFresh(buf, pos, (present << 8) | 0x80 | (t - FIELD_ROOT_COUNT), 9);
        pos += 9;
      }
      if (data) {
        pos = (pos + 7) & ~7;
        const at = pos >>> 3;
        const len = data.length;
        buf[at] = (len - 1) >>> 8;
        buf[at + 1] = (len - 1) & 0xff;
        buf.set(data, at + 2);
        pos += 16 + len * 8;
      }
    }
  }
  return size;
}

/** Encodes an IFP into a new buffer. Throws `FaxwireError` if it cannot be encoded in `version`. */
export function encodeIfp(ifp: Ifp, version: T38Version, options: IfpEncodeOptions = NO_OPTIONS): Uint8Array {
  const out = new Uint8Array(ifpEncodedSize(ifp, version, options));
  encodeIfpInto(ifp, version, out, 0, options);
  return out;
}

// --- helpers for analysers ------------------------------------------------------------------

/** One-line description in the style of a protocol trace: `data v17-14400 t4-non-ecm-data:54`. */
export function describeIfp(ifp: Ifp): string {
  const head = ifp.type === 't30-indicator' ? `ind ${ifp.indicator}` : `data ${ifp.dataType}`;
  if (!ifp.fields) return head;
  const parts = ifp.fields.map((f) => (f.data ? `${f.type}:${f.data.length}` : f.type));
  return `${head} ${parts.join(' ')}`;
}

/**
 * How implausible `buf` is as an IFP of `version` (0 = perfectly ordinary). Used to auto-detect
 * the ASN.1 module of a stream, since T38FaxVersion is often missing from captures:
 *  - not decoding exactly costs 10 (v0 `hdlc-fcs-OK-sig-end` 0x40 and `t4-non-ecm-*` headers
 *    with data are malformed extensions to a v1+ decoder);
 *  - data on a field type that never carries any in practice (fcs-OK/BAD, sig-end) costs 3
 *    (a v1+ `t4-non-ecm-data` header 0xb0 reads as v0 `hdlc-fcs-BAD` with data);
 *  - T.4 non-ECM data over V.21, or HDLC end markers on a fast modem's image data, cost 2;
 *  - the rare v1+ extension field types cost 1.
 */
export function ifpImplausibility(buf: Uint8Array, version: T38Version, view: IfpView): number {
  if (!decodeIfpView(buf, version, view)) return 10;
  let cost = view.bytesRead === buf.length ? 0 : 10;
  for (let i = 0; i < view.fieldCount; i++) {
    const t = view.fieldTypes[i] ?? 0;
    const hasData = (view.fieldDataOffset[i] ?? -1) >= 0;
    if (t >= FIELD_ROOT_COUNT) cost += 1;
    else if (hasData && t !== 0 && t !== 6 && t !== 7) cost += 3;
    if (view.kind === 1 && view.value === 0 && (t === 6 || t === 7)) cost += 2;
  }
  return cost;
}
