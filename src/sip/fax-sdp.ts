/**
 * SDP offer/answer for fax calls (RFC 3264 on RFC 4566 SDP; the T.38 media of T.38 Annex D,
 * `m=image … udptl t38`, registered by RFC 6466): reading an offer or answer as deployed gear
 * writes it, answering an offer, checking an answer to our offer, and writing SDP back. The
 * T.38 attributes themselves are sdp-t38.ts's business; the SDP text goes through sdp-transform.
 * Sans-IO.
 *
 * ```
 *  offer m-lines             T.38 on, acceptable        T.38 off or unacceptable   (RFC 3264 §6: one
 *  audio                     audio (first codec we      audio                       answer m-line per
 *                            have, in offer order)                                  offer m-line, same
 *  image                     image (answerT38Sdp)       488                         order; port 0 =
 *  audio + image             audio 0, image             audio, image 0              declined)
 *  audio + image, preferAudio audio, image 0            audio, image 0
 *  other (video, SRTP, a 2nd audio …)                   port 0, same type/proto/formats
 *  nothing acceptable                                   488 Not Acceptable Here (RFC 3261 §13.3.1.1)
 * ```
 * Decisions, and why:
 * - One fax stream: when an offer carries audio and image and T.38 is acceptable, the image is
 *   taken and the audio declined (mode 't38'), so that no audio path runs beside UDPTL. The
 *   Asterisk test suite shows the opposite choice too — res_pjsip declines T.38 in an initial
 *   offer and keeps audio (pjsip/t38_initial_offer) — which `preferAudio` reproduces.
 * - Media this module does not model (video, RTP/SAVP audio, a second audio or image line, a
 *   garbled m-line) is kept in `other` with its place among all m-lines (`index`), so that an
 *   answer still has one m-line per offered one (RFC 3264 §6 requires it; dropping lines makes
 *   peers reject the answer). `order` lists only the audio and image lines.
 * - Payload types: G.711 is read from a=rtpmap when present (RFC 4566 §6), else from the static
 *   0 = PCMU, 8 = PCMA of RFC 3551 §6; the answer reuses the offer's numbers (RFC 3264 §6.1).
 *   telephone-event is taken by name whatever its clock rate (some gear writes
 *   `telephone-event/101`, seen in the Asterisk SIPp scenarios), with a problem noted.
 * - Image transports: `udptl`/`UDPTL`/`udp/udptl` → 'udptl'; `tcptl`/`TCP` → 'tcp' (TPKT);
 *   `RTP/AVP` with format `t38` or an rtpmap naming t38 → 'rtp'. The protocol token is kept as
 *   written so that an answer echoes it. Only the transports in `t38Transports` (default UDPTL)
 *   are accepted.
 * - T.38 answer checking (T.38 Annex D.2.3): a version above our offer or a different rate
 *   management fails the answer. Error correction is the lower of offer and answer in
 *   none < redundancy < FEC: FEC offered and redundancy answered runs redundancy (the rule
 *   allows it); redundancy offered and FEC answered (a peer breaking the rule) runs redundancy —
 *   every UDPTL receiver must decode redundancy, and our receiver decodes FEC anyway, so the
 *   call works rather than failing; none offered runs none.
 */

import sdpTransform from 'sdp-transform';
import { FaxwireError } from '../util/errors.js';
import {
  answerT38Sdp,
  formatT38SdpAttributes,
  parseT38SdpAttributes,
  t38SdpAcceptable,
  type SdpBooleanStyle,
  type T38SdpCapabilities,
  type T38SdpErrorCorrection,
  type T38SdpParams,
} from './sdp-t38.js';

export type AudioCodecName = 'PCMU' | 'PCMA';
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type FaxImageTransport = 'udptl' | 'tcp' | 'rtp';

export interface FaxAudioMedia {
  readonly port: number;
  readonly address: string;
  /** G.711 codecs in the order offered. */
  readonly codecs: readonly AudioCodecName[];
  /** The payload type of each codec (same length as `codecs`); absent: the static 0 / 8. */
  readonly payloadTypes?: readonly number[];
  /** payload type of telephone-event or undefined */
  readonly telephoneEvent?: number;
  readonly ptime?: number;
  readonly direction?: SdpDirection;
}

export interface FaxImageMedia {
  readonly port: number;
  readonly address: string;
  readonly t38: T38SdpParams;
  readonly booleanStyle: SdpBooleanStyle;
  readonly transport: FaxImageTransport;
  /** The proto token as written (`udptl`, `UDPTL`, `TCP` …), echoed in answers; absent: the usual one. */
  readonly protocol?: string;
  /** T.38 over RTP: the payload type the rtpmap gave t38; absent: `RTP/AVP t38`. */
  readonly payloadType?: number;
}

/** An m-line this module does not model, kept so that an answer declines it in place. */
export interface FaxOtherMedia {
  /** Position among all m-lines of the SDP, from 0. */
  readonly index: number;
  readonly type: string;
  readonly protocol: string;
  /** The format list as written (space-separated). */
  readonly formats: string;
}

export interface FaxSdp {
  readonly origin: { username: string; sessionId: string; sessionVersion: number; address: string };
  readonly audio?: FaxAudioMedia | 'declined';
  readonly image?: FaxImageMedia | 'declined';
  /** m-line order as offered (audio and image lines only; see `other`). */
  readonly order: readonly ('audio' | 'image')[];
  /** The other m-lines, by position. */
  readonly other?: readonly FaxOtherMedia[];
  /** What was odd but not fatal, for diagnostics. */
  readonly problems: readonly string[];
}

export interface FaxMediaCapabilities {
  /** undefined: T.38 off */
  readonly t38: T38SdpCapabilities | undefined;
  readonly codecs: readonly AudioCodecName[];
  readonly telephoneEvent: boolean;
  /** T.38 transports this end runs (default: UDPTL only). */
  readonly t38Transports?: readonly FaxImageTransport[];
  /** When audio and image are both offered and acceptable, keep audio and decline image (res_pjsip's choice). */
  readonly preferAudio?: boolean;
}

export type FaxAnswerResult =
  | { readonly ok: true; readonly answer: FaxSdp; readonly mode: 'audio' | 't38'; readonly audioCodec?: AudioCodecName }
  | { readonly ok: false; readonly status: 488; readonly reason: string };

export type FaxAnswerCheck =
  | { readonly ok: true; readonly mode: 'audio' | 't38'; readonly t38?: T38SdpParams; readonly audioCodec?: AudioCodecName }
  | { readonly ok: false; readonly reason: string };

/** An SDP body larger than this is refused (a fax SDP is a few hundred octets; SIP over UDP stays under 1300). */
export const FAX_SDP_MAX_CHARS = 16384;
/** m-lines read from one SDP. */
export const FAX_SDP_MAX_MEDIA = 16;
const MAX_LINES = 512;
const MAX_PROBLEMS = 32;
const MAX_FORMATS = 32;
/** Printable, no spaces: what an address, proto or format token may be. */
const TOKEN = /^[!-~]{1,255}$/;
const STATIC_PT: Readonly<Record<number, AudioCodecName>> = { 0: 'PCMU', 8: 'PCMA' };
const DIRECTIONS: readonly SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function directionOf(v: unknown): SdpDirection | undefined {
  return DIRECTIONS.find((d) => d === v);
}

function imageTransportOf(proto: string): FaxImageTransport | undefined {
  const p = proto.toLowerCase();
  if (p === 'udptl' || p === 'udp/udptl') return 'udptl';
  if (p === 'tcptl' || p === 'tcp') return 'tcp';
  if (p === 'rtp/avp') return 'rtp';
  return undefined;
}

const DEFAULT_IMAGE_PROTO: Readonly<Record<FaxImageTransport, string>> = { udptl: 'udptl', tcp: 'tcptl', rtp: 'RTP/AVP' };

/** sdp-transform's rtpmap entries, read defensively (on garbage its fields can be anything). */
function rtpmaps(m: sdpTransform.MediaDescription): { pt: number; codec: string; rate: number | undefined }[] {
  const out: { pt: number; codec: string; rate: number | undefined }[] = [];
  for (const r of Array.isArray(m.rtp) ? m.rtp.slice(0, MAX_FORMATS * 2) : []) {
    const pt = Number(r.payload);
    if (!Number.isInteger(pt) || pt < 0 || pt > 127 || typeof r.codec !== 'string') continue;
    const rate = Number(r.rate);
    out.push({ pt, codec: r.codec.toLowerCase(), rate: Number.isInteger(rate) ? rate : undefined });
  }
  return out;
}

function addressOf(m: sdpTransform.MediaDescription, session: sdpTransform.SessionDescription): string | undefined {
  for (const c of [m.connection, session.connection]) {
    const ip: unknown = c?.ip;
    if (typeof ip === 'string' && TOKEN.test(ip)) return ip;
  }
  return undefined;
}

/**
 * Reads an SDP body (text). Returns `{ error }` when it is too large, has no usable o= line, or
 * no m= line; everything else odd is listed in `problems`. Never throws.
 */
export function parseFaxSdp(text: string): FaxSdp | { error: string } {
  if (typeof text !== 'string') return { error: 'SDP is not text' };
  if (text.length > FAX_SDP_MAX_CHARS) return { error: `SDP larger than ${FAX_SDP_MAX_CHARS} characters` };
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > MAX_LINES) return { error: `SDP has more than ${MAX_LINES} lines` };
  const mLines = lines.filter((l) => l.startsWith('m='));
  if (mLines.length === 0) return { error: 'SDP has no m= line' };
  if (mLines.length > FAX_SDP_MAX_MEDIA) return { error: `SDP has more than ${FAX_SDP_MAX_MEDIA} m= lines` };
  let sdp: sdpTransform.SessionDescription;
  try {
    sdp = sdpTransform.parse(text);
  } catch {
    return { error: 'SDP does not parse' };
  }
  // sdp-transform starts a media section at every line beginning "m=", as counted above.
  const media = Array.isArray(sdp.media) ? sdp.media : [];
  if (media.length !== mLines.length) return { error: 'SDP m= lines could not be read' };

  const problems: string[] = [];
  const problem = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const v = lines.find((l) => l.startsWith('v='));
  if (v !== 'v=0') problem(v === undefined ? 'no v= line' : `unexpected ${v.slice(0, 40)}`);

  const o = sdp.origin as Partial<sdpTransform.SessionDescription['origin']> | undefined;
  const sessionId = String(o?.sessionId ?? '');
  const sessionVersion = Number(o?.sessionVersion);
  const oUser = String(o?.username ?? '');
  const oAddr = String(o?.address ?? '');
  if (o === undefined || !/^\d{1,32}$/.test(sessionId) || !Number.isSafeInteger(sessionVersion) || !TOKEN.test(oUser) || !TOKEN.test(oAddr)) {
    return { error: 'SDP has no usable o= line' };
  }

  // The audio (image) stream is the first RTP/AVP audio (T.38 image) m-line with a port, else the
  // first such line with port 0: a re-offer may keep a port-0 slot before a new line of the same
  // kind (RFC 3264 §8.1, §8.2). Every other m-line goes to `other`.
  interface Line {
    readonly index: number;
    readonly line: string;
    readonly m: sdpTransform.MediaDescription;
    readonly typeTok: string;
    readonly protoTok: string;
    readonly formats: string[];
    readonly port: number;
    readonly kind: 'audio' | 'image' | undefined;
    readonly why: string;
  }
  const read: Line[] = mLines.map((line, index) => {
    const m = media[index] as sdpTransform.MediaDescription;
    const [typeTok = '', portTok = '', protoTok = '', ...fmtToks] = line
      .slice(2)
      .split(/\s+/)
      .filter((t) => t !== '');
    const formats = fmtToks.slice(0, MAX_FORMATS).filter((f) => TOKEN.test(f));
    const portMatch = /^(\d{1,5})(?:\/\d{1,5})?$/.exec(portTok);
    const port = portMatch === null ? -1 : Number(portMatch[1]);
    const base = { index, line, m, typeTok, protoTok, formats, port };
    if (port < 0 || port > 65535 || protoTok === '') return { ...base, kind: undefined, why: 'is garbled' };
    const type = typeTok.toLowerCase();
    if (type === 'audio') {
      return protoTok.toUpperCase() === 'RTP/AVP' ? { ...base, kind: 'audio', why: 'is another audio stream' } : { ...base, kind: undefined, why: `has protocol ${protoTok}` };
    }
    if (type === 'image') {
      const transport = imageTransportOf(protoTok);
      const isT38 = formats.some((f) => f.toLowerCase() === 't38') || (transport === 'rtp' && formats.some((f) => rtpmaps(m).some((r) => String(r.pt) === f && r.codec === 't38')));
      return transport !== undefined && isT38 ? { ...base, kind: 'image', why: 'is another image stream' } : { ...base, kind: undefined, why: 'is not T.38' };
    }
    return { ...base, kind: undefined, why: `has media type ${typeTok}` };
  });
  const pick = (kind: 'audio' | 'image'): Line | undefined => read.find((l) => l.kind === kind && l.port > 0) ?? read.find((l) => l.kind === kind);
  const audioLine = pick('audio');
  const imageLine = pick('image');

  let audio: FaxAudioMedia | 'declined' | undefined;
  let image: FaxImageMedia | 'declined' | undefined;
  const order: ('audio' | 'image')[] = [];
  const other: FaxOtherMedia[] = [];
  for (const l of read) {
    if (l === audioLine) {
      order.push('audio');
      audio = l.port === 0 ? 'declined' : readAudio(l.m, sdp, l.port, l.formats, problem);
    } else if (l === imageLine) {
      order.push('image');
      image = l.port === 0 ? 'declined' : readImage(l.m, sdp, l.port, l.protoTok, l.formats, problem);
    } else {
      problem(`m-line ${l.index} (${l.line.slice(0, 60)}) ${l.why}: declined`);
      other.push({
        index: l.index,
        type: /^[A-Za-z0-9._-]{1,32}$/.test(l.typeTok) ? l.typeTok : 'application',
        protocol: TOKEN.test(l.protoTok) ? l.protoTok.slice(0, 64) : 'RTP/AVP',
        formats: l.formats.length > 0 ? l.formats.join(' ') : '0',
      });
    }
  }

  return {
    origin: { username: oUser, sessionId, sessionVersion, address: oAddr },
    ...(audio !== undefined ? { audio } : {}),
    ...(image !== undefined ? { image } : {}),
    order,
    ...(other.length > 0 ? { other } : {}),
    problems,
  };
}

function readImage(m: sdpTransform.MediaDescription, sdp: sdpTransform.SessionDescription, port: number, protocol: string, formats: readonly string[], problem: (p: string) => void): FaxImageMedia {
  const transport = imageTransportOf(protocol) ?? 'udptl';
  const maps = rtpmaps(m);
  const payloadType = transport === 'rtp' ? formats.map(Number).find((pt) => maps.some((r) => r.pt === pt && r.codec === 't38')) : undefined;
  const attrs = (Array.isArray(m.invalid) ? m.invalid : []).slice(0, 64).map((a) => String(a.value));
  const t38 = parseT38SdpAttributes(attrs);
  for (const p of t38.problems) problem(`T.38 attribute ${p}`);
  for (const u of t38.unknown) problem(`unknown T.38 attribute ${u}`);
  const address = addressOf(m, sdp);
  if (address === undefined) problem('image stream has no connection address');
  return {
    port,
    address: address ?? '',
    t38: t38.params,
    booleanStyle: t38.booleanStyle,
    transport,
    protocol,
    ...(payloadType !== undefined ? { payloadType } : {}),
  };
}

function readAudio(m: sdpTransform.MediaDescription, sdp: sdpTransform.SessionDescription, port: number, formats: readonly string[], problem: (p: string) => void): FaxAudioMedia {
  const maps = rtpmaps(m);
  const codecs: AudioCodecName[] = [];
  const payloadTypes: number[] = [];
  let telephoneEvent: number | undefined;
  for (const f of formats) {
    if (!/^\d{1,3}$/.test(f)) {
      problem(`audio format ${f} is not a payload type`);
      continue;
    }
    const pt = Number(f);
    if (pt > 127) continue;
    const map = maps.find((r) => r.pt === pt);
    let codec: AudioCodecName | undefined;
    if (map === undefined) codec = STATIC_PT[pt];
    else if ((map.codec === 'pcmu' || map.codec === 'pcma') && (map.rate === undefined || map.rate === 8000)) codec = map.codec === 'pcmu' ? 'PCMU' : 'PCMA';
    else if (map.codec === 'telephone-event') {
      if (map.rate !== 8000) problem(`telephone-event with clock rate ${String(map.rate)}`);
      telephoneEvent ??= pt;
    }
    if (codec !== undefined && !codecs.includes(codec)) {
      codecs.push(codec);
      payloadTypes.push(pt);
    }
  }
  const ptimeRaw = m.ptime as number | string | undefined; // sdp-transform: a number, or the text when not an integer
  let ptime: number | undefined;
  if (ptimeRaw !== undefined) {
    const n = Number(ptimeRaw);
    if (Number.isInteger(n) && n >= 1 && n <= 1000) ptime = n;
    else problem(`ptime ${String(ptimeRaw).slice(0, 20)} ignored`);
  }
  const direction = directionOf(m.direction) ?? directionOf(sdp.direction);
  const address = addressOf(m, sdp);
  if (address === undefined) problem('audio stream has no connection address');
  return {
    port,
    address: address ?? '',
    codecs,
    payloadTypes,
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    ...(ptime !== undefined ? { ptime } : {}),
    ...(direction !== undefined ? { direction } : {}),
  };
}

function misuse(message: string): never {
  throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', message);
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) misuse(`${what} = ${port}, must be an integer in 0..65535`);
}

function checkToken(s: string, what: string): void {
  if (!TOKEN.test(s)) misuse(`${what} must be printable text without spaces, got ${JSON.stringify(s)}`);
}

/** All m-lines in position order: the audio/image kinds by `order`, the others at their index; undefined if inconsistent. */
function positions(s: FaxSdp): (('audio' | 'image') | FaxOtherMedia)[] | undefined {
  const other = s.other ?? [];
  const total = s.order.length + other.length;
  const out: (('audio' | 'image') | FaxOtherMedia | undefined)[] = new Array<undefined>(total).fill(undefined);
  for (const o of other) {
    if (!Number.isInteger(o.index) || o.index < 0 || o.index >= total || out[o.index] !== undefined) return undefined;
    out[o.index] = o;
  }
  let k = 0;
  for (let i = 0; i < total; i++) {
    if (out[i] === undefined) out[i] = s.order[k++];
  }
  return out.filter((x): x is ('audio' | 'image') | FaxOtherMedia => x !== undefined);
}

function ipVer(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/**
 * Writes `s` as SDP text: CRLF line ends; v=0, o=, s=faxwire, a session c= (the first accepted
 * stream's address, else the origin's), t=0 0, then the m-lines in place — audio with rtpmap,
 * telephone-event fmtp 0-15, ptime and direction; image with the T.38 attributes in the
 * stream's boolean style; declined and other lines with port 0. Throws FaxwireError when `s` is
 * inconsistent (a kind in `order` without its media, a port out of range, an accepted audio
 * without codecs, spaces in an address).
 */
export function formatFaxSdp(s: FaxSdp): string {
  const o = s.origin;
  checkToken(o.username, 'origin username');
  checkToken(o.address, 'origin address');
  if (!/^\d{1,32}$/.test(o.sessionId)) misuse(`origin sessionId must be digits, got ${JSON.stringify(o.sessionId)}`);
  if (!Number.isSafeInteger(o.sessionVersion) || o.sessionVersion < 0) misuse(`origin sessionVersion = ${o.sessionVersion}`);
  if (new Set(s.order).size !== s.order.length) misuse('order names a media kind twice');
  const lines = positions(s);
  if (lines === undefined) misuse('other media indices do not fit among the m-lines');
  let sessionAddr: string | undefined;
  for (const l of lines) {
    const m = l === 'audio' ? s.audio : l === 'image' ? s.image : undefined;
    if (m !== undefined && m !== 'declined') {
      sessionAddr = m.address;
      break;
    }
  }
  sessionAddr ??= o.address;
  const media: sdpTransform.MediaDescription[] = [];
  const conn = (address: string): { connection?: { version: number; ip: string } } => {
    checkToken(address, 'media address');
    return address === sessionAddr ? {} : { connection: { version: ipVer(address), ip: address } };
  };
  for (const l of lines) {
    if (l === 'audio') {
      const a = s.audio;
      if (a === undefined) misuse('order names audio but there is no audio');
      if (a === 'declined') {
        media.push({ type: 'audio', port: 0, protocol: 'RTP/AVP', payloads: '0', rtp: [], fmtp: [] });
        continue;
      }
      checkPort(a.port, 'audio port');
      if (a.codecs.length === 0) misuse('accepted audio needs at least one codec');
      const pts = a.codecs.map((c, i) => a.payloadTypes?.[i] ?? (c === 'PCMU' ? 0 : 8));
      const rtp: sdpTransform.MediaAttributes['rtp'] = a.codecs.map((c, i) => ({ payload: pts[i] ?? 0, codec: c, rate: 8000 }));
      const fmtp: sdpTransform.MediaAttributes['fmtp'] = [];
      if (a.telephoneEvent !== undefined) {
        checkPort(a.telephoneEvent, 'telephone-event payload type');
        pts.push(a.telephoneEvent);
        rtp.push({ payload: a.telephoneEvent, codec: 'telephone-event', rate: 8000 });
        fmtp.push({ payload: a.telephoneEvent, config: '0-15' }); // RFC 4733 §2.4.1: DTMF events 0-15
      }
      for (const pt of pts) if (!Number.isInteger(pt) || pt < 0 || pt > 127) misuse(`payload type ${pt} out of 0..127`);
      media.push({
        type: 'audio',
        port: a.port,
        protocol: 'RTP/AVP',
        payloads: pts.join(' '),
        rtp,
        fmtp,
        ...conn(a.address),
        ...(a.ptime !== undefined ? { ptime: a.ptime } : {}),
        direction: a.direction ?? 'sendrecv',
      });
    } else if (l === 'image') {
      const im = s.image;
      if (im === undefined) misuse('order names image but there is no image');
      if (im === 'declined') {
        media.push({ type: 'image', port: 0, protocol: 'udptl', payloads: 't38', rtp: [], fmtp: [] });
        continue;
      }
      checkPort(im.port, 'image port');
      const protocol = im.protocol ?? DEFAULT_IMAGE_PROTO[im.transport];
      checkToken(protocol, 'image protocol');
      if (imageTransportOf(protocol) !== im.transport) misuse(`image protocol ${protocol} is not ${im.transport}`);
      const pt = im.transport === 'rtp' ? im.payloadType : undefined;
      if (pt !== undefined && (!Number.isInteger(pt) || pt < 0 || pt > 127)) misuse(`T.38 payload type ${pt} out of 0..127`);
      media.push({
        type: 'image',
        port: im.port,
        protocol,
        payloads: pt === undefined ? 't38' : String(pt),
        rtp: pt === undefined ? [] : [{ payload: pt, codec: 't38', rate: 8000 }],
        fmtp: [],
        ...conn(im.address),
        invalid: formatT38SdpAttributes(im.t38, im.booleanStyle).map((value) => ({ value })),
      });
    } else {
      checkToken(l.type, 'other media type');
      checkToken(l.protocol, 'other media protocol');
      const formats = l.formats.split(' ').filter((f) => f !== '');
      for (const f of formats) checkToken(f, 'other media format');
      media.push({ type: l.type, port: 0, protocol: l.protocol, payloads: formats.length > 0 ? formats.join(' ') : '0', rtp: [], fmtp: [] });
    }
  }
  return sdpTransform.write({
    version: 0,
    origin: { username: o.username, sessionId: o.sessionId, sessionVersion: o.sessionVersion, netType: 'IN', ipVer: ipVer(o.address), address: o.address },
    name: 'faxwire',
    connection: { version: ipVer(sessionAddr), ip: sessionAddr },
    timing: { start: 0, stop: 0 },
    media,
  });
}

/** RFC 3264 §6.1: the answer's direction mirrors the offer's. */
function answerDirection(d: SdpDirection | undefined): SdpDirection {
  switch (d) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
    case 'sendrecv':
    case undefined:
      return 'sendrecv';
  }
}

/**
 * Answers an offer (RFC 3264 §6; the table at the top). The answer's T.38 booleans are written
 * in the offer's style. Throws FaxwireError for a local port out of 1..65535.
 */
export function answerFaxOffer(offer: FaxSdp, caps: FaxMediaCapabilities, local: { address: string; audioPort: number; imagePort: number; origin: FaxSdp['origin'] }): FaxAnswerResult {
  for (const [p, what] of [
    [local.audioPort, 'audioPort'],
    [local.imagePort, 'imagePort'],
  ] as const) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) misuse(`${what} = ${p}, must be an integer in 1..65535`);
  }
  checkToken(local.address, 'local address');
  const reasons: string[] = [];

  let image: FaxImageMedia | undefined;
  const oi = offer.image;
  if (oi !== undefined && oi !== 'declined') {
    const transports = caps.t38Transports ?? ['udptl'];
    if (caps.t38 === undefined) reasons.push('T.38 is off');
    else if (!transports.includes(oi.transport)) reasons.push(`T.38 over ${oi.transport} is not supported`);
    else if (oi.address === '') reasons.push('image stream has no address');
    else {
      const t38 = answerT38Sdp(oi.t38, caps.t38);
      if (!t38SdpAcceptable(t38, caps.t38)) reasons.push(`T.38 offer not acceptable (rate management ${oi.t38.rateManagement})`);
      else {
        image = {
          port: local.imagePort,
          address: local.address,
          t38,
          booleanStyle: oi.booleanStyle,
          transport: oi.transport,
          ...(oi.protocol !== undefined ? { protocol: oi.protocol } : {}),
          ...(oi.payloadType !== undefined ? { payloadType: oi.payloadType } : {}),
        };
      }
    }
  }

  let audio: FaxAudioMedia | undefined;
  let audioCodec: AudioCodecName | undefined;
  const oa = offer.audio;
  if (oa !== undefined && oa !== 'declined') {
    const i = oa.codecs.findIndex((c) => caps.codecs.includes(c));
    const codec = oa.codecs[i];
    if (codec === undefined) reasons.push(`no common audio codec (offered ${oa.codecs.join(',') || 'none'})`);
    else if (oa.address === '') reasons.push('audio stream has no address');
    else {
      audioCodec = codec;
      audio = {
        port: local.audioPort,
        address: local.address,
        codecs: [codec],
        payloadTypes: [oa.payloadTypes?.[i] ?? (codec === 'PCMU' ? 0 : 8)],
        ...(caps.telephoneEvent && oa.telephoneEvent !== undefined ? { telephoneEvent: oa.telephoneEvent } : {}),
        ...(oa.ptime !== undefined ? { ptime: oa.ptime } : {}),
        direction: answerDirection(oa.direction),
      };
    }
  }

  // One fax stream (see the top): image wins unless preferAudio.
  if (image !== undefined && audio !== undefined) {
    if (caps.preferAudio === true) image = undefined;
    else {
      audio = undefined;
      audioCodec = undefined;
    }
  }
  if (image === undefined && audio === undefined) {
    return { ok: false, status: 488, reason: reasons.length > 0 ? reasons.join('; ') : 'no audio or T.38 stream offered' };
  }
  const answer: FaxSdp = {
    origin: local.origin,
    ...(offer.audio !== undefined ? { audio: audio ?? 'declined' } : {}),
    ...(offer.image !== undefined ? { image: image ?? 'declined' } : {}),
    order: offer.order,
    ...(offer.other !== undefined && offer.other.length > 0 ? { other: offer.other } : {}),
    problems: [],
  };
  return image !== undefined ? { ok: true, answer, mode: 't38' } : { ok: true, answer, mode: 'audio', ...(audioCodec !== undefined ? { audioCodec } : {}) };
}

const EC_RANK: Readonly<Record<T38SdpErrorCorrection, number>> = { none: 0, redundancy: 1, fec: 2 };

/**
 * Checks a peer's answer against our offer (RFC 3264 §6, §7; T.38 Annex D.2.3; decisions at the
 * top) and says what to run: the T.38 parameters to use (the answer's own sizes, the agreed
 * version, bit rate, error correction and options) or the audio codec. Never throws.
 */
export function acceptFaxAnswer(offer: FaxSdp, answer: FaxSdp): FaxAnswerCheck {
  // RFC 3264 §6: as many m-lines as offered, each of the same media type. Compared by type, not
  // by how this module classified them: a garbled offered audio line (kept in `other`) is
  // rightly answered by `m=audio 0 …`, which reads back as a declined audio stream.
  const types = (s: FaxSdp): string[] | undefined => positions(s)?.map((p) => (typeof p === 'string' ? p : p.type.toLowerCase()));
  const ot = types(offer);
  const at = types(answer);
  if (ot === undefined || at === undefined || ot.length !== at.length || ot.some((t, i) => at[i] !== t)) {
    return { ok: false, reason: 'answer m-lines do not match the offer (RFC 3264 §6)' };
  }
  let t38: T38SdpParams | undefined;
  const ai = answer.image;
  if (ai !== undefined && ai !== 'declined') {
    const oi = offer.image;
    if (oi === undefined || oi === 'declined') return { ok: false, reason: 'answer accepts an image stream we did not offer' };
    if (ai.transport !== oi.transport) return { ok: false, reason: `answer changes the T.38 transport from ${oi.transport} to ${ai.transport}` };
    const o = oi.t38;
    const a = ai.t38;
    if (a.version > o.version) return { ok: false, reason: `answer T38FaxVersion ${a.version} above the offered ${o.version} (T.38 Annex D.2.3)` };
    if (a.rateManagement !== o.rateManagement) return { ok: false, reason: `answer T38FaxRateManagement ${a.rateManagement} differs from the offered ${o.rateManagement}` };
    const errorCorrection = EC_RANK[a.errorCorrection] < EC_RANK[o.errorCorrection] ? a.errorCorrection : o.errorCorrection;
    const rates = [o.maxBitRate, a.maxBitRate].filter((r): r is number => r !== undefined);
    const { maxBitRate: _drop, ...rest } = a;
    t38 = {
      ...rest,
      ...(rates.length > 0 ? { maxBitRate: Math.min(...rates) } : {}),
      errorCorrection,
      fillBitRemoval: a.fillBitRemoval && o.fillBitRemoval,
      transcodingMmr: a.transcodingMmr && o.transcodingMmr,
      transcodingJbig: a.transcodingJbig && o.transcodingJbig,
    };
  }
  let audioCodec: AudioCodecName | undefined;
  const aa = answer.audio;
  if (aa !== undefined && aa !== 'declined') {
    const oa = offer.audio;
    if (oa === undefined || oa === 'declined') return { ok: false, reason: 'answer accepts an audio stream we did not offer' };
    audioCodec = aa.codecs.find((c) => oa.codecs.includes(c));
    if (audioCodec === undefined) return { ok: false, reason: `answer audio codecs ${aa.codecs.join(',') || 'none'} are not among the offered ${oa.codecs.join(',')}` };
  }
  if (t38 !== undefined) return { ok: true, mode: 't38', t38, ...(audioCodec !== undefined ? { audioCodec } : {}) };
  if (audioCodec !== undefined) return { ok: true, mode: 'audio', audioCodec };
  return { ok: false, reason: 'answer declines every stream' };
}

/** Smallest datagram size believed (see effectiveMaxDatagram). */
export const T38_MIN_DATAGRAM = 72;
/** Assumed when the peer states no T38FaxMaxDatagram. */
export const T38_DEFAULT_DATAGRAM = 400;
/** Largest datagram sent whatever the peer says: 1500-octet Ethernet MTU less IPv4 and UDP headers. */
export const T38_MAX_SAFE_DATAGRAM = 1472;

/**
 * The largest UDPTL datagram (octets of UDP payload) we may send to a peer.
 *
 * T38FaxMaxDatagram (T.38 Annex D.2.3) is read two ways in the field: as the largest IFP, or as
 * the whole UDPTL datagram with its sequence number and redundancy or FEC. The Asterisk test
 * suite shows the confusion (pjsip/maxdatagram: endpoints configured with 200/300/400 are
 * announced onwards as 199/299/399). Reading it as the whole datagram is the conservative side:
 * a peer that meant "IFP" receives a little less redundancy than it could take; a peer that
 * meant "datagram" never receives a datagram it drops. So: a per-peer `override` (from
 * configuration, for gear known to misread it) first, else the peer's value, else 400 (a common
 * announced value, as in the Asterisk SIPp scenarios); never below 72 (smaller is a
 * misconfiguration: a T.30 control frame's IFP with the UDPTL header and one level of
 * redundancy needs about that much); never above 1472, because a fragmented datagram is lost
 * when either fragment is, which defeats redundancy. Throws FaxwireError for
 * an override that is not a positive integer.
 */
export function effectiveMaxDatagram(remote: T38SdpParams, override?: number): number {
  if (override !== undefined && (!Number.isInteger(override) || override < 1)) misuse(`max datagram override = ${override}, must be a positive integer`);
  const v = override ?? remote.maxDatagram ?? T38_DEFAULT_DATAGRAM;
  return Math.min(T38_MAX_SAFE_DATAGRAM, Math.max(T38_MIN_DATAGRAM, v));
}
