/**
 * The T.38 attributes of an SDP `m=image <port> udptl t38` section (T.38 Annex D.2.3 and, for
 * version 4, the T.38 (2010) additions; RFC 4612 registers the same names): parsing them as
 * deployed peers write them, answering an offer, and writing them back (sans-IO; the SIP user
 * agent and `faxwire analyze` build on it).
 *
 * ```
 *  attribute                  value                               offer/answer (T.38 Annex D.2.3)
 *  T38FaxVersion              0..4                                answer ≤ offer (the lower of the two)
 *  T38MaxBitRate              bit/s                               answer ≤ offer
 *  T38FaxRateManagement       localTCF | transferredTCF           the answer repeats the offer
 *  T38FaxMaxBuffer            octets                              each side states its own
 *  T38FaxMaxDatagram          octets                              each side states its own
 *  T38FaxUdpEC                t38UDPFEC | t38UDPRedundancy        answer FEC only if offered; may fall
 *                             (absent: none)                      back to redundancy; never up from none
 *  T38FaxFillBitRemoval       boolean                             true only if offered and supported
 *  T38FaxTranscodingMMR       boolean                             same
 *  T38FaxTranscodingJBIG      boolean                             same
 *  T38FaxMaxIFP (v4)          octets                              each side states its own
 *  T38FaxUdpECDepth (v4)      minred[ maxred]                     each side states its own
 *  T38FaxUdpFECMaxSpan (v4)   datagrams                           each side states its own
 *  T38ModemType (v4)          t38G3FaxOnly | t38G4FaxOnly | …     G3 only here
 * ```
 * What the field does (kept here, quirks included):
 * - Names are case-insensitive (Asterisk writes `T38FaxVersion`, some gateways `t38faxversion`),
 *   and the common aliases are read: `T38MaxDatagram` (Cisco IOS), `T38FaxMaxRate`.
 * - Booleans come in two styles: the attribute alone means true (T.38 Annex D) — or, Cisco and
 *   Vega gear, `:1` / `:0`. A parse records which style the peer used so that the answer is
 *   written in the same one (a `:0` peer may read a bare attribute as unknown).
 * - Numbers that do not parse, or are out of range, are reported as problems and left out
 *   (the caller falls back to defaults); unknown T38 attributes are listed, never fatal.
 */

import type { T38Version } from '../t38/ifp.js';

export type T38SdpRateManagement = 'localTCF' | 'transferredTCF';
export type T38SdpErrorCorrection = 'none' | 'redundancy' | 'fec';
/** How a peer writes booleans: bare attribute (T.38 Annex D) or `:1`/`:0` (Cisco, Vega). */
export type SdpBooleanStyle = 'flag' | 'value';

export interface T38SdpParams {
  readonly version: T38Version;
  readonly maxBitRate?: number;
  readonly rateManagement: T38SdpRateManagement;
  readonly maxBuffer?: number;
  readonly maxDatagram?: number;
  readonly errorCorrection: T38SdpErrorCorrection;
  readonly fillBitRemoval: boolean;
  readonly transcodingMmr: boolean;
  readonly transcodingJbig: boolean;
  /** Version 4 and later. */
  readonly maxIfp?: number;
  readonly errorCorrectionDepth?: { readonly min: number; readonly max?: number };
  readonly fecMaxSpan?: number;
  readonly modemType?: string;
}

export interface ParsedT38Sdp {
  readonly params: T38SdpParams;
  /** 'value' when any boolean came as `:0`/`:1`, else 'flag'. */
  readonly booleanStyle: SdpBooleanStyle;
  /** T38… attributes this parser does not know (kept for diagnostics). */
  readonly unknown: readonly string[];
  /** Values that did not parse, as `name: value` (the attribute was ignored). */
  readonly problems: readonly string[];
}

/** What this end can do, for answering. */
export interface T38SdpCapabilities {
  readonly maxVersion: T38Version;
  readonly maxBitRate: number;
  readonly maxBuffer: number;
  readonly maxDatagram: number;
  /** Error correction schemes this end can send and receive. */
  readonly errorCorrection: readonly ('redundancy' | 'fec')[];
  readonly fillBitRemoval: boolean;
  readonly transcodingMmr: boolean;
  readonly transcodingJbig: boolean;
  readonly rateManagement: readonly T38SdpRateManagement[];
}

/** Canonical names, by lower-case name or alias. */
const NAMES: Readonly<Record<string, string>> = {
  t38faxversion: 'T38FaxVersion',
  t38maxbitrate: 'T38MaxBitRate',
  t38faxmaxrate: 'T38MaxBitRate',
  t38faxratemanagement: 'T38FaxRateManagement',
  t38faxmaxbuffer: 'T38FaxMaxBuffer',
  t38faxmaxdatagram: 'T38FaxMaxDatagram',
  t38maxdatagram: 'T38FaxMaxDatagram',
  t38faxudpec: 'T38FaxUdpEC',
  t38faxfillbitremoval: 'T38FaxFillBitRemoval',
  t38faxtranscodingmmr: 'T38FaxTranscodingMMR',
  t38faxtranscodingjbig: 'T38FaxTranscodingJBIG',
  t38faxmaxifp: 'T38FaxMaxIFP',
  t38faxudpecdepth: 'T38FaxUdpECDepth',
  t38faxudpfecmaxspan: 'T38FaxUdpFECMaxSpan',
  t38modemtype: 'T38ModemType',
};

/** Largest plausible octet count or bit rate in these attributes (UDP cannot carry more anyway). */
const MAX_NUMBER = 1_000_000;

function parseCount(v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined || !/^\s*\d{1,9}\s*$/.test(v)) return undefined;
  const n = Number.parseInt(v, 10);
  return n >= min && n <= max ? n : undefined;
}

/**
 * Parses the T.38 attributes of one media section, given as the text after each `a=` (e.g.
 * `T38FaxVersion:0`, `T38FaxFillBitRemoval`). Other attributes are ignored. Never throws.
 */
export function parseT38SdpAttributes(lines: readonly string[]): ParsedT38Sdp {
  const unknown: string[] = [];
  const problems: string[] = [];
  let style: SdpBooleanStyle = 'flag';
  let version: T38Version = 0;
  let rateManagement: T38SdpRateManagement = 'transferredTCF';
  let errorCorrection: T38SdpErrorCorrection = 'none';
  const flags = { fillBitRemoval: false, transcodingMmr: false, transcodingJbig: false };
  const out: { -readonly [K in keyof T38SdpParams]?: T38SdpParams[K] } = {};

  for (const raw of lines) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    const rawName = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? undefined : line.slice(colon + 1).trim();
    const lower = rawName.trim().toLowerCase();
    if (!lower.startsWith('t38')) continue;
    const name = NAMES[lower];
    if (name === undefined) {
      unknown.push(rawName.trim());
      continue;
    }
    const bad = (): void => {
      problems.push(`${name}: ${value ?? '(no value)'}`);
    };
    const bool = (key: keyof typeof flags): void => {
      if (value === undefined || value === '') {
        flags[key] = true;
        return;
      }
      style = 'value';
      if (value === '1' || value.toLowerCase() === 'true') flags[key] = true;
      else if (value === '0' || value.toLowerCase() === 'false') flags[key] = false;
      else bad();
    };
    switch (name) {
      case 'T38FaxVersion': {
        const n = parseCount(value, 0, 4);
        if (n === undefined) bad();
        else version = n as T38Version;
        break;
      }
      case 'T38MaxBitRate':
      case 'T38FaxMaxBuffer':
      case 'T38FaxMaxDatagram':
      case 'T38FaxMaxIFP':
      case 'T38FaxUdpFECMaxSpan': {
        const n = parseCount(value, 1, MAX_NUMBER);
        if (n === undefined) {
          bad();
          break;
        }
        if (name === 'T38MaxBitRate') out.maxBitRate = n;
        else if (name === 'T38FaxMaxBuffer') out.maxBuffer = n;
        else if (name === 'T38FaxMaxDatagram') out.maxDatagram = n;
        else if (name === 'T38FaxMaxIFP') out.maxIfp = n;
        else out.fecMaxSpan = n;
        break;
      }
      case 'T38FaxRateManagement': {
        const v = value?.toLowerCase();
        if (v === 'localtcf') rateManagement = 'localTCF';
        else if (v === 'transferredtcf') rateManagement = 'transferredTCF';
        else bad();
        break;
      }
      case 'T38FaxUdpEC': {
        const v = value?.toLowerCase();
        if (v === 't38udpfec') errorCorrection = 'fec';
        else if (v === 't38udpredundancy') errorCorrection = 'redundancy';
        else if (v === 't38udpnoec' || v === 'none') errorCorrection = 'none';
        else bad();
        break;
      }
      case 'T38FaxUdpECDepth': {
        const parts = (value ?? '').split(/\s+/).filter((p) => p.length > 0);
        const min = parseCount(parts[0], 0, 32);
        const max = parts[1] === undefined ? undefined : parseCount(parts[1], 0, 32);
        if (min === undefined || (parts[1] !== undefined && (max === undefined || max < min)) || parts.length > 2) bad();
        else out.errorCorrectionDepth = max === undefined ? { min } : { min, max };
        break;
      }
      case 'T38ModemType':
        if (value === undefined || value === '') bad();
        else out.modemType = value;
        break;
      case 'T38FaxFillBitRemoval':
        bool('fillBitRemoval');
        break;
      case 'T38FaxTranscodingMMR':
        bool('transcodingMmr');
        break;
      case 'T38FaxTranscodingJBIG':
        bool('transcodingJbig');
        break;
      default:
        unknown.push(rawName.trim());
    }
  }
  return {
    params: { ...out, version, rateManagement, errorCorrection, ...flags },
    booleanStyle: style,
    unknown,
    problems,
  };
}

/**
 * The answer to `offer` (T.38 Annex D.2.3): the lower version and bit rate; the offered rate
 * management (the answerer cannot change it — an offer with a method this end lacks is answered
 * with it anyway and the caller must refuse the stream, see `t38SdpAcceptable`); FEC only if it
 * was offered and is supported, else redundancy if offered or FEC was and this end has
 * redundancy, else none; the boolean options only where both ends have them; this end's own
 * buffer and datagram sizes. Version 4 attributes only when the answer's version is 4.
 */
export function answerT38Sdp(offer: T38SdpParams, local: T38SdpCapabilities): T38SdpParams {
  const version = Math.min(offer.version, local.maxVersion) as T38Version;
  const ec: T38SdpErrorCorrection =
    offer.errorCorrection === 'fec' && local.errorCorrection.includes('fec')
      ? 'fec'
      : offer.errorCorrection !== 'none' && local.errorCorrection.includes('redundancy')
        ? 'redundancy'
        : 'none';
  return {
    version,
    maxBitRate: Math.min(offer.maxBitRate ?? local.maxBitRate, local.maxBitRate),
    rateManagement: offer.rateManagement,
    maxBuffer: local.maxBuffer,
    maxDatagram: local.maxDatagram,
    errorCorrection: ec,
    fillBitRemoval: offer.fillBitRemoval && local.fillBitRemoval,
    transcodingMmr: offer.transcodingMmr && local.transcodingMmr,
    transcodingJbig: offer.transcodingJbig && local.transcodingJbig,
    ...(version >= 4 ? { modemType: 't38G3FaxOnly' } : {}),
  };
}

/** Whether this end can run a stream with these (answered) parameters. */
export function t38SdpAcceptable(p: T38SdpParams, local: T38SdpCapabilities): boolean {
  return local.rateManagement.includes(p.rateManagement) && p.version <= local.maxVersion && (p.errorCorrection === 'none' || local.errorCorrection.includes(p.errorCorrection));
}

/** The attributes for `p`, as the text after each `a=`, booleans in `style`. */
export function formatT38SdpAttributes(p: T38SdpParams, style: SdpBooleanStyle = 'flag'): string[] {
  const out = [`T38FaxVersion:${p.version}`];
  if (p.maxBitRate !== undefined) out.push(`T38MaxBitRate:${p.maxBitRate}`);
  const bool = (name: string, v: boolean): void => {
    if (style === 'value') out.push(`${name}:${v ? 1 : 0}`);
    else if (v) out.push(name);
  };
  bool('T38FaxFillBitRemoval', p.fillBitRemoval);
  bool('T38FaxTranscodingMMR', p.transcodingMmr);
  bool('T38FaxTranscodingJBIG', p.transcodingJbig);
  out.push(`T38FaxRateManagement:${p.rateManagement}`);
  if (p.maxBuffer !== undefined) out.push(`T38FaxMaxBuffer:${p.maxBuffer}`);
  if (p.maxDatagram !== undefined) out.push(`T38FaxMaxDatagram:${p.maxDatagram}`);
  if (p.errorCorrection !== 'none') out.push(`T38FaxUdpEC:${p.errorCorrection === 'fec' ? 't38UDPFEC' : 't38UDPRedundancy'}`);
  if (p.maxIfp !== undefined) out.push(`T38FaxMaxIFP:${p.maxIfp}`);
  if (p.errorCorrectionDepth !== undefined) out.push(`T38FaxUdpECDepth:${p.errorCorrectionDepth.min}${p.errorCorrectionDepth.max !== undefined ? ` ${p.errorCorrectionDepth.max}` : ''}`);
  if (p.fecMaxSpan !== undefined) out.push(`T38FaxUdpFECMaxSpan:${p.fecMaxSpan}`);
  if (p.modemType !== undefined) out.push(`T38ModemType:${p.modemType}`);
  return out;
}
