/**
 * Non-standard facilities (NSF / NSC / NSS, T.30 §5.3.6.2.3): identify the country and vendor.
 *
 * The FIF starts with an ITU-T T.35 country code (one octet; 0xFF means a second, extension
 * octet follows, T.35 §3.1) and a terminal provider code (normally two octets, assigned
 * nationally), then vendor-private data that this module leaves opaque.
 *
 * Bit order. T.35 writes a country code as b8…b1 (USA = 1011 0101 = 0xB5) and HDLC sends b1
 * first, so in document notation (first transmitted bit = MSB) the USA octet appears as 0xAD —
 * the T.35 value is the *bit-reversed* FIF octet, exactly as with identity characters. Many
 * machines get this wrong and send the code MSB first, so a captured octet may mean either
 * country (spandsp's t35.c documents the usual confusions: Germany/Canada, UK/Cyprus,
 * China/Lebanon, Korea/Papua New Guinea, USA/Tunisia, France/Viet Nam). We therefore:
 *   1. read `t35 = bitReverse(octet 0)` (the T.35-conformant reading);
 *   2. if that lands on one of the "victim" countries of a known confusion, assume a reversed
 *      sender, take the code MSB-first instead and also read the provider code MSB-first.
 * The provider-code table below is in T.35 orientation (as a conformant sender means it).
 *
 *   FIF:  | country (T.35) | [ext] | provider code (2) | vendor data ...
 *
 * Sources of the (public) code assignments: ITU-T T.35 Annex A for countries; the vendor list
 * is a small subset of the one HylaFAX and spandsp (src/t35.c) collected from real machines.
 */

import { bitReverse8 } from './fcf.js';

/** A few T.35 Annex A country codes (T.35 orientation, b8 as MSB). */
const COUNTRIES: ReadonlyMap<number, string> = new Map([
  [0x00, 'Japan'], [0x04, 'Germany'], [0x07, 'Argentina'], [0x09, 'Australia'], [0x0a, 'Austria'],
  [0x0f, 'Belgium'], [0x16, 'Brazil'], [0x20, 'Canada'], [0x25, 'Chile'], [0x26, 'China'],
  [0x2d, 'Cyprus'], [0x2e, 'Czech and Slovak Federal Republic'], [0x31, 'Denmark'], [0x36, 'Egypt'],
  [0x3c, 'Finland'], [0x3d, 'France'], [0x46, 'Greece'], [0x50, 'Hong Kong'], [0x51, 'Hungary'],
  [0x53, 'India'], [0x54, 'Indonesia'], [0x57, 'Ireland'], [0x58, 'Israel'], [0x59, 'Italy'],
  [0x61, 'Korea (Republic of)'], [0x64, 'Lebanon'], [0x6c, 'Malaysia'], [0x73, 'Mexico'],
  [0x7b, 'Netherlands'], [0x7e, 'New Zealand'], [0x82, 'Norway'], [0x86, 'Papua New Guinea'],
  [0x89, 'Philippines'], [0x8a, 'Poland'], [0x8b, 'Portugal'], [0x98, 'Saudi Arabia'],
  [0x9c, 'Singapore'], [0x9f, 'South Africa'], [0xa0, 'Spain'], [0xa5, 'Sweden'], [0xa6, 'Switzerland'],
  [0xa9, 'Thailand'], [0xad, 'Tunisia'], [0xae, 'Turkey'], [0xb4, 'United Kingdom'],
  [0xb5, 'United States'], [0xbc, 'Viet Nam'], [0xfe, 'Taiwan'],
]);

/**
 * T.35 codes that, seen after the conformant reading, almost always are a reversed sender's
 * code for the bit-reversed country (e.g. 0xAD Tunisia = 0xB5 USA sent MSB first).
 */
const LIKELY_REVERSED: ReadonlySet<number> = new Set([0x20, 0x2d, 0x64, 0x86, 0xad, 0xbc]);

/** Provider codes in T.35 orientation, keyed by country then by the two code octets. */
const VENDORS: ReadonlyMap<number, ReadonlyMap<number, string>> = new Map([
  [
    0x00, // Japan
    new Map([
      [0x0009, 'Xerox/Toshiba'], [0x000e, 'Panasonic'], [0x0011, 'Canon'], [0x0019, 'Xerox'],
      [0x0021, 'OKI Electric/Lanier'], [0x0025, 'Ricoh'], [0x0026, 'Konica'], [0x002d, 'Sony'],
      [0x0031, 'Sharp/Olivetti'], [0x0045, 'Muratec'], [0x0048, 'Muratec'], [0x0051, 'Sanyo'],
      [0x0056, 'Brother'], [0x0059, 'Fujitsu'], [0x0061, 'Casio'], [0x0079, 'Panasonic'],
      [0x007d, 'Seiko'], [0x7000, 'Kyocera'], [0xb000, 'Minolta'],
    ]),
  ],
  [
    0xb5, // United States
    new Map([
      [0x0000, 'Pitney Bowes'], [0x0020, 'Conexant'], [0x0030, 'Dialogic'], [0x0038, 'Texas Instruments'],
      [0x003a, 'IBM'], [0x0048, 'Hayes'], [0x004a, 'Lucent'], [0x0060, 'Commetrex'], [0x0062, 'Brooktrout'],
      [0x0064, 'GammaLink'], [0x006c, 'HP'], [0x006e, 'Microsoft'], [0x0074, 'Compaq'],
      [0x007a, 'Pitney Bowes'], [0x008c, 'AT&T'], [0x0098, 'Xerox'], [0x009c, 'Natural MicroSystems'],
      [0x00a8, 'Lexmark'], [0x00aa, 'HylaFAX'],
    ]),
  ],
  [
    0x61, // Korea
    new Map([[0x0008, 'Samsung'], [0x0068, 'Samsung'], [0x005a, 'Samsung'], [0x0031, 'Samsung'], [0x0045, 'Samsung']]),
  ],
]);

export interface NsfInfo {
  /** T.35 country code as this module reads it (see the bit-order note above). */
  readonly countryCode: number;
  /** Country name when the code is in the (small) table. */
  readonly country?: string;
  /** Terminal provider code (two octets, T.35 orientation) when present. */
  readonly providerCode?: number;
  /** Vendor name when the provider code is in the table. */
  readonly vendor?: string;
  /** The sender appears to send T.35 octets MSB first (a common deviation). */
  readonly reversedBitOrder: boolean;
}

/**
 * Reads the country/vendor of an NSF/NSC/NSS FIF. Returns `undefined` for an empty FIF or a
 * country extension code (0xFF) whose second octet is missing; never throws.
 */
export function describeNsfFif(fif: Uint8Array): NsfInfo | undefined {
  const first = fif[0];
  if (first === undefined) return undefined;
  let reversed = false;
  let country = bitReverse8(first);
  if (LIKELY_REVERSED.has(country)) {
    reversed = true;
    country = first;
  }
  const read = (o: number): number => (reversed ? o : bitReverse8(o));
  let p = 1;
  if (country === 0xff) {
    // T.35 §3.1: 0xFF = country code extension; the next octet names the country.
    const ext = fif[1];
    if (ext === undefined) return undefined;
    p = 2;
  }
  const a = fif[p];
  const b = fif[p + 1];
  const providerCode = a !== undefined && b !== undefined ? (read(a) << 8) | read(b) : undefined;
  const countryName = COUNTRIES.get(country);
  const vendor = providerCode !== undefined ? VENDORS.get(country)?.get(providerCode) : undefined;
  return {
    countryCode: country,
    ...(countryName !== undefined ? { country: countryName } : {}),
    ...(providerCode !== undefined ? { providerCode } : {}),
    ...(vendor !== undefined ? { vendor } : {}),
    reversedBitOrder: reversed,
  };
}

/** Name of a T.35 country code (T.35 orientation), if known to this small table. */
export function t35CountryName(code: number): string | undefined {
  return COUNTRIES.get(code);
}
