/**
 * DIS / DTC / DCS facsimile information field codec — ITU-T T.30 (09/2005) §5.3.6.2.1,
 * §5.3.6.2.7 and Table 2/T.30 ("Facsimile information field of DIS, DTC and DCS"), with its
 * notes. DIS and DTC announce capabilities (DTC = DIS of a caller that wants to receive by
 * polling); DCS, sent back, selects one mode out of them. The same bit positions are used by all
 * three, but several fields mean different things in DCS (data signalling rate, recording width
 * and length, minimum scan line time: a capability set in DIS, one chosen value in DCS).
 *
 * Layout. Table 2 numbers the bits from 1 in transmission order. In document notation (first
 * transmitted bit = MSB, the order of T.38 HDLC data) bit n sits in FIF octet (n-1)>>3 under
 * mask 0x80 >> ((n-1) & 7):
 *
 *   octet 0          octet 1            octet 2              octet 3 …
 *   b1 b2 … b8 |  b9 b10 b11..b14 b15 b16 |  b17 b18 b19 b20 b21 b22 b23 b24 | b25 … b32 | …
 *   MSB     LSB   MSB                  LSB   MSB                      LSB(E)             (E)
 *
 * The first three octets are always present. From bit 24 on, the last bit of each octet
 * (24, 32, 40, …) is the "extend field" bit: 1 = another octet follows. So a FIF is complete
 * when it ends on an octet whose extend bit is 0; a legal DIS/DCS may be just 3 octets.
 * Decoding rules (chosen to stay useful as an analyser while being exact):
 *   - fewer than 3 octets, or the last octet present still has its extend bit set → `truncated`;
 *   - octets after the one that ends the field are not consumed (`bytesRead` says where the FIF
 *     ended; the frame codec keeps them as `trailing`);
 *   - reserved and not-yet-assigned bits are kept in `reservedBits`, and the FIF length in
 *     `octets` (devices do send trailing all-zero octets), so `encodeDis(decodeDis(x))` is
 *     byte-exact.
 *
 * Multi-bit fields are stored as raw codes read in Table 2's order, first bit as the MSB of the
 * code (bits 11,12,13,14 = 1,1,0,1 → rateCode 0b1101 = 13). Their meaning (which also depends
 * on DIS vs DCS) is derived into `rate`, `widthsMm`, `length`, `minScanLineTime`, ….
 *
 * Fact sources (read, not copied): T.30 Table 2 as reproduced by Wireshark's packet-t30.c and
 * spandsp's t30_dis_dtc_dcs_bits.h / t30_logging.c (the latter numbered LSB-first), HylaFAX's
 * class1 DCS rate codes (for V.33, dropped from Table 2 after 1996), tshark 4.0's decode of the
 * spandsp golden capture.
 */

import { err, ok, type DecodeResult } from '../util/result.js';
import { FaxwireError } from '../util/errors.js';
import type { T30DecodeError } from './fcf.js';

export type DisKind = 'DIS' | 'DTC' | 'DCS';

interface FlagDef {
  readonly bit: number;
  readonly key: string;
  /** Meaning in DIS (and DTC unless `dtc` says otherwise). */
  readonly dis: string | null;
  /** Meaning in DTC when it differs from DIS. */
  readonly dtc?: string;
  /** Meaning in DCS; `null` = not used in DCS ("shall be 0"). Missing = same as DIS. */
  readonly dcs?: string | null;
}

/**
 * Every one-bit item of Table 2. `dis: null` marks a bit only meaningful in DCS.
 * (Bits 11-14, 17-23, 92-94, 117-118 and 124-126 are multi-bit fields, below.)
 */
const FLAG_DEFS = [
  { bit: 1, key: 't37', dis: 'Store-and-forward Internet fax, simple mode (T.37)' },
  { bit: 3, key: 't38', dis: 'Real-time Internet fax (T.38)' },
  { bit: 4, key: 'mobile3g', dis: '3rd generation mobile network access' },
  { bit: 6, key: 'v8', dis: 'V.8 capabilities', dcs: null },
  { bit: 7, key: 'prefer64OctetFrames', dis: '64-octet ECM frames preferred', dcs: null },
  { bit: 9, key: 'readyToTransmitFax', dis: 'Ready to transmit a facsimile document (polling)', dcs: null },
  { bit: 10, key: 'receiverFax', dis: 'Receiver fax operation', dcs: 'Receiver fax operation (receive mode)' },
  { bit: 15, key: 'fine', dis: 'R8 x 7.7 lines/mm and/or 200 x 200 pels/25.4 mm' },
  { bit: 16, key: 'twoDimensional', dis: 'Two-dimensional coding (T.4 MR)' },
  { bit: 26, key: 'uncompressed', dis: 'Uncompressed mode' },
  { bit: 27, key: 'ecm', dis: 'Error correction mode (ECM)' },
  { bit: 28, key: 'frameSize64', dis: null, dcs: 'ECM frame size 64 octets' },
  { bit: 31, key: 't6', dis: 'T.6 coding (MMR)' },
  { bit: 33, key: 'fnv', dis: '"Field not valid" capability' },
  { bit: 34, key: 'multipleSelectivePolling', dis: 'Multiple selective polling', dcs: null },
  {
    bit: 35,
    key: 'polledSubaddress',
    dis: 'Polled subaddress capability',
    dtc: 'Polled subaddress (PSA) transmission',
    dcs: null,
  },
  { bit: 36, key: 't43', dis: 'T.43 coding' },
  { bit: 37, key: 'planeInterleave', dis: 'Plane interleave' },
  { bit: 38, key: 'g726', dis: 'Voice coding with 32 kbit/s ADPCM (G.726)' },
  { bit: 41, key: 'superfine', dis: 'R8 x 15.4 lines/mm' },
  { bit: 42, key: 'res300x300', dis: '300 x 300 pels/25.4 mm' },
  { bit: 43, key: 'res400x400', dis: 'R16 x 15.4 lines/mm and/or 400 x 400 pels/25.4 mm' },
  { bit: 44, key: 'inch', dis: 'Inch-based resolution preferred', dcs: 'Resolution type: inch-based' },
  { bit: 45, key: 'metricPreferred', dis: 'Metric-based resolution preferred', dcs: null },
  {
    bit: 46,
    key: 'minScanHalvedHigherRes',
    dis: 'Minimum scan line time for higher resolutions: T15.4 = 1/2 T7.7',
    dcs: null,
  },
  {
    bit: 47,
    key: 'selectivePolling',
    dis: 'Selective polling capability',
    dtc: 'Selective polling (SEP) transmission',
    dcs: null,
  },
  {
    bit: 49,
    key: 'subaddressing',
    dis: 'Subaddressing capability',
    dtc: '(subaddressing: not allowed in DTC)',
    dcs: 'Subaddress (SUB) transmission',
  },
  {
    bit: 50,
    key: 'password',
    dis: 'Password capability',
    dtc: 'Password (PWD) transmission',
    dcs: 'Sender identification (SID) transmission',
  },
  { bit: 51, key: 'readyToTransmitDataFile', dis: 'Ready to transmit a data file (polling)', dcs: null },
  { bit: 53, key: 'bft', dis: 'Binary file transfer (BFT, T.434)' },
  { bit: 54, key: 'dtm', dis: 'Document transfer mode (DTM)' },
  { bit: 55, key: 'edi', dis: 'Electronic data interchange (EDI)' },
  { bit: 57, key: 'btm', dis: 'Basic transfer mode (BTM)' },
  {
    bit: 59,
    key: 'readyToTransmitCharacterOrMixed',
    dis: 'Ready to transmit a character or mixed mode document (polling)',
    dcs: null,
  },
  { bit: 60, key: 'characterMode', dis: 'Character mode (T.4 Annex D)' },
  { bit: 62, key: 'mixedMode', dis: 'Mixed mode (T.4 Annex E)' },
  { bit: 65, key: 'processableMode26', dis: 'Processable mode 26 (T.505)', dcs: null },
  { bit: 66, key: 'digitalNetwork', dis: 'Digital network capability' },
  { bit: 67, key: 'duplex', dis: 'Duplex and half-duplex operation' },
  { bit: 68, key: 'jpeg', dis: 'JPEG coding (T.81)' },
  { bit: 69, key: 'fullColour', dis: 'Full colour mode' },
  { bit: 70, key: 'preferredHuffmanTables', dis: null, dcs: 'Preferred Huffman tables (JPEG)' },
  { bit: 71, key: 'twelveBitsPerComponent', dis: '12 bits/pel/component' },
  { bit: 73, key: 'noSubsampling', dis: 'No subsampling (1:1:1)' },
  { bit: 74, key: 'customIlluminant', dis: 'Custom illuminant' },
  { bit: 75, key: 'customGamut', dis: 'Custom gamut range' },
  { bit: 76, key: 'northAmericanLetter', dis: 'North American Letter (215.9 x 279.4 mm)' },
  { bit: 77, key: 'northAmericanLegal', dis: 'North American Legal (215.9 x 355.6 mm)' },
  { bit: 78, key: 't85', dis: 'Single-progression sequential coding (T.85, JBIG) basic' },
  { bit: 79, key: 't85L0', dis: 'Single-progression sequential coding (T.85, JBIG) optional L0' },
  { bit: 81, key: 'hkm', dis: 'HKM key management' },
  { bit: 82, key: 'rsa', dis: 'RSA key management' },
  { bit: 83, key: 'override', dis: 'Override' },
  { bit: 84, key: 'hfx40', dis: 'HFX40 cipher' },
  { bit: 85, key: 'altCipher2', dis: 'Alternative cipher number 2' },
  { bit: 86, key: 'altCipher3', dis: 'Alternative cipher number 3' },
  { bit: 87, key: 'hfx40iHashing', dis: 'HFX40-I hashing' },
  { bit: 89, key: 'altHashing2', dis: 'Alternative hashing system number 2' },
  { bit: 90, key: 'altHashing3', dis: 'Alternative hashing system number 3' },
  { bit: 95, key: 't44PageLengthStripe', dis: 'Page length maximum strip size for T.44 (MRC)' },
  { bit: 97, key: 'colour300or400', dis: 'Colour/gray-scale 300 x 300 or 400 x 400 pels/25.4 mm' },
  { bit: 98, key: 'colour100', dis: 'Colour/gray-scale 100 x 100 pels/25.4 mm' },
  { bit: 99, key: 'simplePhaseCBft', dis: 'Simple phase C BFT negotiations' },
  { bit: 100, key: 'extendedBft', dis: 'Extended BFT negotiations', dcs: null },
  {
    bit: 101,
    key: 'internetSelectivePolling',
    dis: 'Internet selective polling address (ISP) capability',
    dtc: 'Internet selective polling address (ISP) transmission',
    dcs: null,
  },
  {
    bit: 102,
    key: 'internetRoutingAddress',
    dis: 'Internet routing address (IRA) capability',
    dtc: '(IRA: not allowed in DTC)',
    dcs: 'Internet routing address (IRA) transmission',
  },
  { bit: 105, key: 'res600x600', dis: '600 x 600 pels/25.4 mm' },
  { bit: 106, key: 'res1200x1200', dis: '1200 x 1200 pels/25.4 mm' },
  { bit: 107, key: 'res300x600', dis: '300 x 600 pels/25.4 mm' },
  { bit: 108, key: 'res400x800', dis: '400 x 800 pels/25.4 mm' },
  { bit: 109, key: 'res600x1200', dis: '600 x 1200 pels/25.4 mm' },
  { bit: 110, key: 'colour600x600', dis: 'Colour/gray-scale 600 x 600 pels/25.4 mm' },
  { bit: 111, key: 'colour1200x1200', dis: 'Colour/gray-scale 1200 x 1200 pels/25.4 mm' },
  { bit: 113, key: 'doubleSidedAlternate', dis: 'Double-sided printing (alternate mode)' },
  { bit: 114, key: 'doubleSidedContinuous', dis: 'Double-sided printing (continuous mode)' },
  { bit: 115, key: 'blackWhiteMrc', dis: 'Black and white mixed raster content profile (MRCbw)', dcs: null },
  { bit: 116, key: 't45', dis: 'T.45 (run-length colour encoding)' },
  { bit: 119, key: 't44Ycc', dis: 'T.44 colour space YCC (else CIELAB)' },
  { bit: 121, key: 't38FlowControl', dis: 'T.38 gateway flow control (TNR/RNR with timer Tx)' },
  { bit: 122, key: 'kGreaterThan4', dis: 'K > 4 (T.4 §4.2.1.1 K factors for high resolutions)' },
  { bit: 123, key: 'internetAwareFax', dis: 'Internet-aware fax device (T.38)', dcs: 'Internet-aware fax mode (T.38)' },
  { bit: 127, key: 'syccJpeg', dis: 'sYCC-JPEG coding (T.30 Annex K)' },
] as const satisfies readonly FlagDef[];

export type DisFlagName = (typeof FLAG_DEFS)[number]['key'];
/** One boolean per one-bit item of Table 2. */
export type DisFlags = { [K in DisFlagName]: boolean };

export const DIS_FLAG_NAMES: readonly DisFlagName[] = FLAG_DEFS.map((d) => d.key);

interface FieldDef {
  readonly key: DisFieldName;
  readonly first: number;
  readonly width: number;
}
export type DisFieldName = 'rateCode' | 'widthCode' | 'lengthCode' | 'scanTimeCode' | 't44Code' | 'sharedMemoryCode' | 't89Code';

/** Multi-bit fields: first bit number and width; code = bits read first-bit-as-MSB. */
const FIELD_DEFS: readonly FieldDef[] = [
  { key: 'rateCode', first: 11, width: 4 },
  { key: 'widthCode', first: 17, width: 2 },
  { key: 'lengthCode', first: 19, width: 2 },
  { key: 'scanTimeCode', first: 21, width: 3 },
  { key: 't44Code', first: 92, width: 3 },
  { key: 'sharedMemoryCode', first: 117, width: 2 },
  { key: 't89Code', first: 124, width: 3 },
];

/** The encodable content of a DIS/DTC/DCS FIF. */
export interface DisFields extends DisFlags {
  readonly kind: DisKind;
  /**
   * FIF length in octets (≥ 3). On encode it is a minimum: the encoder uses more octets if a
   * set bit needs them. Extend bits (24, 32, …) follow from it and are not stored elsewhere.
   */
  readonly octets: number;
  /** Bits 11-14, data signalling rate (b11 = MSB). */
  readonly rateCode: number;
  /** Bits 17-18, recording width (b17 = MSB). */
  readonly widthCode: number;
  /** Bits 19-20, recording length (b19 = MSB). */
  readonly lengthCode: number;
  /** Bits 21-23, minimum scan line time (b21 = MSB). */
  readonly scanTimeCode: number;
  /** Bits 92-94, T.44 mixed raster content mode (b92 = MSB of the code). */
  readonly t44Code: number;
  /** Bits 117-118, shared data memory capacity (b117 = MSB). */
  readonly sharedMemoryCode: number;
  /** Bits 124-126, T.89 (T.88 JBIG2) application profile (b124 = MSB). */
  readonly t89Code: number;
  /**
   * Set bits this codec gives no meaning to: Table 2's reserved bits (2, 5, 8, 25, 29, 30, 39,
   * 52, 58, 61, 63, 91, 103) and anything past bit 127 — kept for byte-exact re-encoding.
   */
  readonly reservedBits: readonly number[];
}

export type FaxModem = 'V.27ter' | 'V.29' | 'V.33' | 'V.17';

export interface DisRate {
  /** DIS/DTC: modems the receiver has; DCS: the one selected. Empty for a reserved code. */
  readonly modems: readonly FaxModem[];
  /** DIS/DTC: highest rate of those modems; DCS: the selected rate. `null` if reserved/invalid. */
  readonly bitRate: number | null;
  /** Code only meaningful in T.30 editions before V.33 was removed (1996 and earlier). */
  readonly legacy: boolean;
  readonly text: string;
}

export type PaperLength = 'A4' | 'B4' | 'unlimited';

export interface ScanLineTime {
  /** Minimum scan line time at 3.85 lines/mm, ms. */
  readonly ms: number;
  /** DIS/DTC only: T7.7 = 1/2 T3.85 (the time halves at fine resolution). */
  readonly halfAtFine: boolean;
}

export type DisResolution =
  | 'standard'
  | 'fine'
  | 'superfine'
  | '300x300'
  | '400x400'
  | '600x600'
  | '1200x1200'
  | '300x600'
  | '400x800'
  | '600x1200';

export type DisCoding = 'MH' | 'MR' | 'MMR' | 'T.85' | 'T.85-L0' | 'T.43' | 'JPEG' | 'T.44' | 'T.45' | 'sYCC-JPEG';

/** A decoded DIS/DTC/DCS FIF: the fields plus their interpretation. */
export interface DisInfo extends DisFields {
  /** Every set bit number, extend bits included, ascending. */
  readonly bits: readonly number[];
  readonly rate: DisRate;
  /** DIS/DTC: widths the receiver can record; DCS: the selected one. Empty if invalid. */
  readonly widthsMm: readonly number[];
  /** DIS/DTC: longest length accepted; DCS: selected. `null` for the invalid code (1,1). */
  readonly length: PaperLength | null;
  /** `null` for a code DCS does not allow. */
  readonly minScanLineTime: ScanLineTime | null;
  /** DIS/DTC: resolutions offered; DCS: those the set bits select. */
  readonly resolutions: readonly DisResolution[];
  /** DIS/DTC: codings offered (MH always); DCS: coding(s) selected (MH when no other). */
  readonly codings: readonly DisCoding[];
  /** DCS with ECM: frame size (bit 28); otherwise `null`. */
  readonly ecmFrameSize: 64 | 256 | null;
}

const MIN_OCTETS = 3;
/** Upper bound on a FIF we encode; Table 2 ends at octet 16, this leaves room for growth. */
export const MAX_DIS_OCTETS = 64;

const FLAG_BY_BIT: ReadonlyMap<number, FlagDef & { key: DisFlagName }> = new Map(FLAG_DEFS.map((d) => [d.bit, d]));
const FIELD_BITS: ReadonlySet<number> = new Set(
  FIELD_DEFS.flatMap((f) => Array.from({ length: f.width }, (_, i) => f.first + i)),
);

/** Extend-field bits: the last bit of every octet from the third on. */
function isExtendBit(bit: number): boolean {
  return bit >= 24 && bit % 8 === 0;
}

/** True for bit numbers that land in `reservedBits` (no meaning assigned here). */
export function isReservedDisBit(bit: number): boolean {
  return Number.isInteger(bit) && bit >= 1 && !FLAG_BY_BIT.has(bit) && !FIELD_BITS.has(bit) && !isExtendBit(bit);
}

function getBit(fif: Uint8Array, bit: number): boolean {
  const o = fif[(bit - 1) >> 3];
  return o !== undefined && (o & (0x80 >> ((bit - 1) & 7))) !== 0;
}

function setBit(fif: Uint8Array, bit: number): void {
  const i = (bit - 1) >> 3;
  fif[i] = (fif[i] ?? 0) | (0x80 >> ((bit - 1) & 7));
}

// ---------------------------------------------------------------------------------------------
// Interpretation tables (Table 2/T.30 and its notes)

/** Bits 11-14 in DIS/DTC: modems the receiver supports. */
function disRate(code: number): DisRate {
  const r = (modems: FaxModem[], bitRate: number | null, text: string, legacy = false): DisRate => ({
    modems,
    bitRate,
    legacy,
    text,
  });
  switch (code) {
    case 0b0000:
      return r(['V.27ter'], 2400, 'V.27 ter fall-back mode (2400 bit/s)');
    case 0b0100:
      return r(['V.27ter'], 4800, 'V.27 ter');
    case 0b1000:
      return r(['V.29'], 9600, 'V.29');
    case 0b1100:
      return r(['V.27ter', 'V.29'], 9600, 'V.27 ter and V.29');
    case 0b1101:
      return r(['V.27ter', 'V.29', 'V.17'], 14400, 'V.27 ter, V.29 and V.17');
    case 0b1110:
      // T.30 (1996): "V.27 ter, V.29 and V.33"; "invalid" in the 2005 edition.
      return r(['V.27ter', 'V.29', 'V.33'], 14400, 'V.27 ter, V.29 and V.33 (pre-2003 T.30)', true);
    default:
      return r([], null, `reserved/not used (bits 11-14 = ${code.toString(2).padStart(4, '0')})`);
  }
}

/** Bits 11-14 in DCS (and CTC): the selected modem and rate. */
export function dcsRate(code: number): DisRate {
  const r = (modem: FaxModem, bitRate: number, legacy = false): DisRate => ({
    modems: [modem],
    bitRate,
    legacy,
    text: `${modem === 'V.27ter' ? 'V.27 ter' : modem} ${bitRate} bit/s`,
  });
  switch (code) {
    case 0b0000:
      return r('V.27ter', 2400);
    case 0b0100:
      return r('V.27ter', 4800);
    case 0b1000:
      return r('V.29', 9600);
    case 0b1100:
      return r('V.29', 7200);
    case 0b0001:
      return r('V.17', 14400);
    case 0b0101:
      return r('V.17', 12000);
    case 0b1001:
      return r('V.17', 9600);
    case 0b1101:
      return r('V.17', 7200);
    case 0b0010:
      return r('V.33', 14400, true); // pre-2003 T.30 (HylaFAX class1 DCSSIGRATE_14400V33)
    case 0b0110:
      return r('V.33', 12000, true);
    default:
      return {
        modems: [],
        bitRate: null,
        legacy: false,
        text: `reserved/invalid (bits 11-14 = ${code.toString(2).padStart(4, '0')})`,
      };
  }
}

/** DCS bits 11-14 code for a modem and rate, e.g. `dcsRateCode('V.17', 14400)` = 0b0001. */
export function dcsRateCode(modem: FaxModem, bitRate: number): number {
  for (let code = 0; code < 16; code++) {
    const r = dcsRate(code);
    if (r.modems[0] === modem && r.bitRate === bitRate) return code;
  }
  throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `no DCS rate code for ${modem} at ${bitRate} bit/s`);
}

/** T.4 §2: 1728/2048/2432 pels per scan line at R8 for 215/255/303 mm. */
const PELS_AT_R8: ReadonlyMap<number, number> = new Map([
  [215, 1728],
  [255, 2048],
  [303, 2432],
]);
const PAPER_FOR_WIDTH: ReadonlyMap<number, string> = new Map([
  [215, 'A4'],
  [255, 'B4'],
  [303, 'A3'],
]);

function widths(kind: DisKind, code: number): number[] {
  if (kind === 'DCS') {
    // (0,0) 215 mm, (1,0) 255 mm, (0,1) 303 mm, (1,1) invalid.
    return code === 0b00 ? [215] : code === 0b10 ? [255] : code === 0b01 ? [303] : [];
  }
  // (0,0) 215, (1,0) 215+255, (0,1) 215+255+303, (1,1) invalid.
  return code === 0b00 ? [215] : code === 0b10 ? [215, 255] : code === 0b01 ? [215, 255, 303] : [];
}

function paperLength(kind: DisKind, code: number): PaperLength | null {
  // DIS: (0,0) A4, (1,0) A4 and B4, (0,1) unlimited. DCS: (0,0) A4, (1,0) B4, (0,1) unlimited.
  void kind; // same codes, DIS reports the longest accepted
  return code === 0b00 ? 'A4' : code === 0b10 ? 'B4' : code === 0b01 ? 'unlimited' : null;
}

function scanTime(kind: DisKind, code: number): ScanLineTime | null {
  const t = (ms: number, halfAtFine = false): ScanLineTime => ({ ms, halfAtFine });
  // Bits 21,22,23 (b21 = MSB of code).
  switch (code) {
    case 0b000:
      return t(20);
    case 0b001:
      return t(40);
    case 0b010:
      return t(10);
    case 0b100:
      return t(5);
    case 0b111:
      return t(0);
    default:
      if (kind === 'DCS') return null; // DCS selects one time; the "T7.7 = 1/2 T3.85" codes are DIS-only.
      return code === 0b011 ? t(10, true) : code === 0b110 ? t(20, true) : t(40, true); // 0b101
  }
}

function resolutions(f: DisFields): DisResolution[] {
  const out: DisResolution[] = [];
  // R8 x 3.85 is every terminal's base resolution; in DCS it is what "no other bit" selects.
  if (f.fine) out.push('fine');
  if (f.superfine) out.push('superfine');
  if (f.res300x300) out.push('300x300');
  if (f.res400x400) out.push('400x400');
  if (f.res600x600) out.push('600x600');
  if (f.res1200x1200) out.push('1200x1200');
  if (f.res300x600) out.push('300x600');
  if (f.res400x800) out.push('400x800');
  if (f.res600x1200) out.push('600x1200');
  if (f.kind !== 'DCS' || out.length === 0) out.unshift('standard');
  return out;
}

function codings(f: DisFields): DisCoding[] {
  const out: DisCoding[] = [];
  if (f.twoDimensional) out.push('MR');
  if (f.t6) out.push('MMR');
  if (f.t85) out.push('T.85');
  if (f.t85L0) out.push('T.85-L0');
  if (f.t43) out.push('T.43');
  if (f.jpeg) out.push('JPEG');
  if (f.t44Code !== 0) out.push('T.44');
  if (f.t45) out.push('T.45');
  if (f.syccJpeg) out.push('sYCC-JPEG');
  // MH is mandatory for every receiver (T.4 §4.1); in DCS it is what "no other coding" means.
  if (f.kind !== 'DCS' || out.length === 0) out.unshift('MH');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decode

/**
 * Decodes a DIS, DTC or DCS FIF (the octets after the FCF). `bytesRead` is the FIF length up to
 * the octet whose extend bit is 0; octets after it are left to the caller. Never throws.
 */
export function decodeDis(fif: Uint8Array, kind: DisKind): DecodeResult<DisInfo, T30DecodeError> {
  if (fif.length < MIN_OCTETS) {
    return err({
      code: 'truncated',
      message: `${kind} FIF needs at least ${MIN_OCTETS} octets, got ${fif.length}`,
      offset: fif.length,
    });
  }
  // Octet 2 holds bit 24, the first extend bit; follow the chain.
  let octets = MIN_OCTETS;
  while (((fif[octets - 1] ?? 0) & 0x01) !== 0) {
    if (octets >= fif.length) {
      return err({
        code: 'truncated',
        message: `${kind} FIF octet ${octets - 1} has its extend bit (bit ${octets * 8}) set but the frame ends`,
        offset: fif.length,
      });
    }
    octets++;
    if (octets > MAX_DIS_OCTETS) {
      return err({ code: 'bad-length', message: `${kind} FIF extends past ${MAX_DIS_OCTETS} octets`, offset: octets - 1 });
    }
  }
  const body = fif.subarray(0, octets);
  const flags = {} as Record<DisFlagName, boolean>;
  for (const d of FLAG_DEFS) flags[d.key] = getBit(body, d.bit);
  const fieldValues = {} as Record<DisFieldName, number>;
  for (const f of FIELD_DEFS) {
    let v = 0;
    for (let i = 0; i < f.width; i++) v = (v << 1) | (getBit(body, f.first + i) ? 1 : 0);
    fieldValues[f.key] = v;
  }
  const bits: number[] = [];
  const reservedBits: number[] = [];
  for (let bit = 1; bit <= octets * 8; bit++) {
    if (!getBit(body, bit)) continue;
    bits.push(bit);
    if (isReservedDisBit(bit)) reservedBits.push(bit);
  }
  const fields: DisFields = { kind, octets, ...flags, ...fieldValues, reservedBits };
  return ok(interpretDis(fields, bits), octets);
}

/** Adds the derived interpretation to a set of fields (`bits` computed when not given). */
export function interpretDis(fields: DisFields, bits?: readonly number[]): DisInfo {
  const kind = fields.kind;
  return {
    ...fields,
    bits: bits ?? disBits(fields),
    rate: kind === 'DCS' ? dcsRate(fields.rateCode) : disRate(fields.rateCode),
    widthsMm: widths(kind, fields.widthCode),
    length: paperLength(kind, fields.lengthCode),
    minScanLineTime: scanTime(kind, fields.scanTimeCode),
    resolutions: resolutions(fields),
    codings: codings(fields),
    ecmFrameSize: kind === 'DCS' && fields.ecm ? (fields.frameSize64 ? 64 : 256) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Encode

function checkCode(name: string, v: number, width: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 1 << width) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `${name} must be a ${width}-bit code, got ${String(v)}`);
  }
}

/** Set (non-extend) bits of the fields, ascending; throws on out-of-range codes or bad reserved bits. */
function contentBits(f: DisFields): number[] {
  const out: number[] = [];
  for (const d of FLAG_DEFS) if (f[d.key]) out.push(d.bit);
  for (const fd of FIELD_DEFS) {
    const v = f[fd.key];
    checkCode(fd.key, v, fd.width);
    for (let i = 0; i < fd.width; i++) if ((v >> (fd.width - 1 - i)) & 1) out.push(fd.first + i);
  }
  for (const b of f.reservedBits) {
    if (!isReservedDisBit(b) || b > MAX_DIS_OCTETS * 8) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bit ${String(b)} is not a reserved DIS/DCS bit`);
    }
    out.push(b);
  }
  return out.sort((a, b) => a - b);
}

/** Octets the encoder will use for these fields (≥ `fields.octets`, ≥ 3, room for every set bit). */
export function disEncodedSize(fields: DisFields): number {
  if (!Number.isInteger(fields.octets) || fields.octets < 1) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `octets must be a positive integer, got ${String(fields.octets)}`);
  }
  const bits = contentBits(fields);
  const highest = bits.length > 0 ? (bits[bits.length - 1] ?? 0) : 0;
  const n = Math.max(MIN_OCTETS, fields.octets, (highest + 7) >> 3);
  if (n > MAX_DIS_OCTETS) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `FIF of ${n} octets exceeds ${MAX_DIS_OCTETS}`);
  return n;
}

/** All set bits (extend bits included) the encoder produces for these fields. */
export function disBits(fields: DisFields): number[] {
  const n = disEncodedSize(fields);
  const out = contentBits(fields);
  for (let o = MIN_OCTETS; o <= n - 1; o++) out.push(o * 8); // extend bits of octets 2 … n-2
  return out.sort((a, b) => a - b);
}

/** Encodes the FIF into `buf` at `offset`; returns octets written. */
export function encodeDisInto(fields: DisFields, buf: Uint8Array, offset = 0): number {
  const n = disEncodedSize(fields);
  if (!Number.isInteger(offset) || offset < 0 || offset + n > buf.length) {
    throw new FaxwireError(
      'FAXWIRE_ERR_BUFFER_TOO_SMALL',
      `${fields.kind} FIF needs ${n} octets at offset ${offset}, buffer has ${buf.length}`,
    );
  }
  const out = buf.subarray(offset, offset + n);
  out.fill(0);
  for (const b of disBits(fields)) setBit(out, b);
  return n;
}

/** Encodes a DIS/DTC/DCS FIF. `encodeDis(decodeDis(x).value)` reproduces `x` exactly. */
export function encodeDis(fields: DisFields): Uint8Array {
  const out = new Uint8Array(disEncodedSize(fields));
  encodeDisInto(fields, out, 0);
  return out;
}

/** All-false/zero fields of a kind (a 3-octet FIF of zeros): a starting point for building one. */
export function emptyDisFields(kind: DisKind): DisFields {
  const flags = {} as Record<DisFlagName, boolean>;
  for (const d of FLAG_DEFS) flags[d.key] = false;
  return {
    kind,
    octets: MIN_OCTETS,
    ...flags,
    rateCode: 0,
    widthCode: 0,
    lengthCode: 0,
    scanTimeCode: 0,
    t44Code: 0,
    sharedMemoryCode: 0,
    t89Code: 0,
    reservedBits: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Description

const bin = (v: number, w: number): string => v.toString(2).padStart(w, '0').split('').join(',');

function flagLabel(d: FlagDef, kind: DisKind): string | null {
  if (kind === 'DCS') return d.dcs === undefined ? d.dis : d.dcs;
  if (kind === 'DTC' && d.dtc !== undefined) return d.dtc;
  return d.dis;
}

function widthText(mm: number): string {
  return `${PAPER_FOR_WIDTH.get(mm) ?? '?'} ${mm} mm (${PELS_AT_R8.get(mm) ?? '?'} pels at R8)`;
}

function scanText(t: ScanLineTime | null): string {
  if (t === null) return 'invalid';
  return t.halfAtFine ? `${t.ms} ms at 3.85 l/mm, T7.7 = 1/2 T3.85` : `${t.ms} ms`;
}

const T44_MODE_TEXT = (code: number): string => {
  // Table 2 note: bits 92-94 give the T.44 mode; read b92 as the least significant digit
  // (as spandsp's log does), so 1,0,0 = mode 1 … 1,1,1 = mode 7.
  const mode = ((code >> 2) & 1) | (code & 2) | ((code & 1) << 2);
  return mode === 0 ? 'not available' : `mode ${mode}`;
};

const SDM_TEXT: Readonly<Record<number, string>> = {
  0b00: 'not available',
  0b01: 'level 1 (1.0 Mbytes)',
  0b10: 'level 2 (2.0 Mbytes)',
  0b11: 'level 3 (unlimited, >= 32 Mbytes)',
};

const T89_TEXT: Readonly<Record<number, string>> = {
  0b000: 'not used',
  0b100: 'profiles 2 and 3',
  0b010: 'profile 2',
  0b001: 'profile 1',
  0b011: 'profile 3',
};

/** Human-readable lines, one per set item, like a protocol analyser's decode. */
export function describeDis(info: DisInfo): string[] {
  const k = info.kind;
  const lines: string[] = [`${k}: ${info.octets} octets, bits ${info.bits.join(' ')}`];
  const field = (first: number, width: number, code: number, text: string): void => {
    lines.push(`  bits ${first}-${first + width - 1} = ${bin(code, width)}: ${text}`);
  };
  const flag = (bit: number): void => {
    const d = FLAG_BY_BIT.get(bit);
    if (d === undefined || !info[d.key]) return;
    const label = flagLabel(d, k);
    lines.push(`  bit ${bit}: ${label ?? `${d.dis ?? d.dcs ?? d.key} (not used in ${k})`}`);
  };
  for (let b = 1; b <= 10; b++) flag(b);
  field(11, 4, info.rateCode, k === 'DCS' ? `data signalling rate ${info.rate.text}` : `modems ${info.rate.text}`);
  flag(15);
  flag(16);
  field(
    17,
    2,
    info.widthCode,
    info.widthsMm.length === 0 ? 'recording width invalid' : `recording width ${info.widthsMm.map(widthText).join(', ')}`,
  );
  const len = info.length === null ? 'invalid' : k !== 'DCS' && info.length === 'B4' ? 'A4 and B4' : info.length;
  field(19, 2, info.lengthCode, `recording length ${len}`);
  field(21, 3, info.scanTimeCode, `minimum scan line time ${scanText(info.minScanLineTime)}`);
  for (let b = 25; b <= info.octets * 8; b++) {
    if (b === 92) {
      if (info.t44Code !== 0) field(92, 3, info.t44Code, `T.44 mixed raster content ${T44_MODE_TEXT(info.t44Code)}`);
      continue;
    }
    if (b === 117) {
      if (info.sharedMemoryCode !== 0) field(117, 2, info.sharedMemoryCode, `shared data memory ${SDM_TEXT[info.sharedMemoryCode] ?? '?'}`);
      continue;
    }
    if (b === 124) {
      if (info.t89Code !== 0) field(124, 3, info.t89Code, `T.89 (JBIG2) ${T89_TEXT[info.t89Code] ?? 'reserved profile code'}`);
      continue;
    }
    flag(b);
  }
  if (info.ecmFrameSize !== null) lines.push(`  ECM frame size ${info.ecmFrameSize} octets`);
  for (const b of info.reservedBits) lines.push(`  bit ${b}: reserved bit set`);
  return lines;
}

/** Short one-line summary, e.g. `V.17 14400, fine, MMR, ECM 256, A4 1728, unlimited length, min scan 0 ms`. */
export function summarizeDis(info: DisInfo): string {
  const parts: string[] = [];
  const r = info.rate;
  const top = r.modems[r.modems.length - 1];
  parts.push(top !== undefined && r.bitRate !== null ? `${top} ${r.bitRate}` : `rate ${r.text}`);
  const res = info.resolutions.filter((x) => x !== 'standard');
  if (res.length > 0) parts.push(res.join('/'));
  const cod = info.codings.filter((c) => c !== 'MH');
  if (info.kind === 'DCS') parts.push(cod.length > 0 ? cod.join('/') : 'MH');
  else if (cod.length > 0) parts.push(cod.map((c) => (c === 'MR' ? '2-D' : c === 'MMR' ? 'T.6' : c)).join(', '));
  if (info.ecm) parts.push(info.ecmFrameSize !== null ? `ECM ${info.ecmFrameSize}` : 'ECM');
  const w = info.widthsMm[info.widthsMm.length - 1];
  parts.push(w !== undefined ? `${PAPER_FOR_WIDTH.get(w) ?? '?'} ${PELS_AT_R8.get(w) ?? '?'}` : 'width invalid');
  parts.push(info.length === null ? 'length invalid' : info.length === 'unlimited' ? 'unlimited length' : `${info.length} length`);
  const t = info.minScanLineTime;
  parts.push(t === null ? 'min scan invalid' : `min scan ${t.ms} ms${t.halfAtFine ? ' (half at fine)' : ''}`);
  if (info.t38) parts.push('T.38');
  if (info.internetAwareFax) parts.push('IAF');
  if (info.readyToTransmitFax) parts.push('polling doc ready');
  return parts.join(', ');
}
