/**
 * Finds the T.38 media endpoints that SIP signalling in a capture announced: SDP
 * `m=image <port> udptl t38` (RFC 3362 media type, T.38 Annex D §D.2.3) and `tcptl`, with the
 * T.38 attributes of T.38 Annex D.2.3 / Annex E (T38FaxVersion, T38FaxUdpEC, T38FaxMaxDatagram,
 * T38FaxRateManagement …). This is analysis only — not a SIP stack: it reads whole messages
 * from single UDP datagrams or TCP stream chunks and never trusts a length it cannot check.
 *
 * Attributes are parsed leniently: `a=T38FaxFillBitRemoval` and the legacy `…:0`/`…:1`
 * boolean-with-value forms (seen from Sangoma Vega gateways) are both accepted.
 */

import sdpTransform from 'sdp-transform';

export interface SdpT38Endpoint {
  readonly frame: number;
  readonly time: number;
  /** SIP start line, e.g. `INVITE sip:…` or `SIP/2.0 200 OK`. */
  readonly sipLine: string;
  readonly ip: string;
  readonly port: number;
  readonly transport: 'udptl' | 'tcptl';
  readonly version?: number;
  readonly maxDatagram?: number;
  readonly errorCorrection?: string;
  readonly rateManagement?: string;
  readonly maxBitRate?: number;
  /** All T.38 attributes as written. */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * An `m=audio <port> RTP/AVP …` stream an SDP body announced, with the G.711 payload types it
 * offers: the static 0 (PCMU) and 8 (PCMA) of RFC 3551 §6, and dynamic ones whose
 * `a=rtpmap:<pt> PCMU/8000` / `PCMA/8000` names them (RFC 4566 §6).
 */
export interface SdpAudioEndpoint {
  readonly frame: number;
  readonly time: number;
  readonly ip: string;
  readonly port: number;
  /** Payload type → G.711 law, for the payload types of the m= line that are G.711. */
  readonly g711: readonly { readonly pt: number; readonly law: 'ulaw' | 'alaw' }[];
}

export interface SipEvent {
  readonly frame: number;
  readonly time: number;
  readonly src: string;
  readonly dst: string;
  readonly startLine: string;
  readonly callId?: string;
  readonly cseq?: string;
  /** Media lines of the SDP body, e.g. `image 16834 udptl t38`, `audio 10336 RTP/AVP 0 101`. */
  readonly media: readonly string[];
  readonly t38: readonly SdpT38Endpoint[];
  /** The audio (RTP) streams of the SDP body, for finding G.711 audio in a capture. */
  readonly audio: readonly SdpAudioEndpoint[];
}

const SIP_START = /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3}(?: [^\r\n]*)?)\r?$/;
/** SIP messages bigger than this are not believed (RFC 3261 §18.1.1 keeps UDP ones < 1300). */
const MAX_SIP_MESSAGE = 65535;

function headerValue(headers: string[], long: string, compact: string): string | undefined {
  for (const h of headers) {
    const i = h.indexOf(':');
    if (i <= 0) continue;
    const name = h.slice(0, i).trim().toLowerCase();
    if (name === long || name === compact) return h.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * Parses one SIP message if `payload` holds one; returns undefined for anything else.
 * Never throws.
 */
export function parseSipMessage(
  payload: Uint8Array,
  meta: { frame: number; time: number; src: string; dst: string },
): SipEvent | undefined {
  if (payload.length < 12 || payload.length > MAX_SIP_MESSAGE) return undefined;
  // Cheap reject before decoding text: SIP starts with an upper-case letter.
  const c0 = payload[0] ?? 0;
  if (c0 < 0x41 || c0 > 0x5a) return undefined;
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1');
  const eol = text.indexOf('\n');
  const startLine = (eol < 0 ? text : text.slice(0, eol)).replace(/\r$/, '');
  if (!SIP_START.test(startLine + '\r') && !SIP_START.test(startLine)) return undefined;
  const sep = text.search(/\r?\n\r?\n/);
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep).replace(/^\r?\n\r?\n/, '');
  const headers = head.split(/\r?\n/).slice(1);
  const contentType = headerValue(headers, 'content-type', 'c') ?? '';
  const callId = headerValue(headers, 'call-id', 'i');
  const cseq = headerValue(headers, 'cseq', '');
  const media: string[] = [];
  const t38: SdpT38Endpoint[] = [];
  const audio: SdpAudioEndpoint[] = [];
  if (/application\/sdp/i.test(contentType) && body.length > 0) {
    let sdp: sdpTransform.SessionDescription | undefined;
    try {
      sdp = sdpTransform.parse(body);
    } catch {
      sdp = undefined; // a malformed SDP body is reported as no media, not as a failure
    }
    // sdp-transform returns whatever a line's regex captured: on garbage, "required" fields can
    // be missing whatever its types say, so every field is read defensively.
    for (const m of sdp?.media ?? []) {
      const mType = String(m.type ?? '');
      const mPort = typeof m.port === 'number' && Number.isInteger(m.port) ? m.port : -1;
      const proto = String(m.protocol ?? '').toLowerCase();
      media.push(`${mType} ${mPort} ${proto} ${String(m.payloads ?? '')}`.trim());
      if (mPort < 0) continue;
      if (mType === 'audio' && proto.includes('rtp')) {
        const ip = m.connection?.ip ?? sdp?.connection?.ip;
        if (typeof ip !== 'string' || ip === '') continue;
        const g711: { pt: number; law: 'ulaw' | 'alaw' }[] = [];
        const rtpmap = Array.isArray(m.rtp) ? m.rtp : [];
        for (const t of String(m.payloads ?? '').split(/\s+/)) {
          if (!/^\d{1,3}$/.test(t)) continue;
          const pt = Number(t);
          const map = rtpmap.find((r) => r.payload === pt);
          const codec = typeof map?.codec === 'string' ? map.codec.toUpperCase() : pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : '';
          if (codec === 'PCMU' || codec === 'PCMA') g711.push({ pt, law: codec === 'PCMU' ? 'ulaw' : 'alaw' });
        }
        audio.push({ frame: meta.frame, time: meta.time, ip, port: mPort, g711 });
        continue;
      }
      if (mType !== 'image' || (proto !== 'udptl' && proto !== 'tcptl' && proto !== 'udp/udptl')) continue;
      const ip = m.connection?.ip ?? sdp?.connection?.ip;
      if (typeof ip !== 'string' || ip === '') continue;
      const attributes: Record<string, string> = {};
      for (const a of m.invalid ?? []) {
        const v = String(a.value ?? '');
        const k = v.indexOf(':');
        const name = k < 0 ? v : v.slice(0, k);
        if (/^t38/i.test(name)) attributes[name] = k < 0 ? '' : v.slice(k + 1);
      }
      const num = (name: string): number | undefined => {
        const key = Object.keys(attributes).find((n) => n.toLowerCase() === name.toLowerCase());
        const v = key === undefined ? undefined : Number.parseInt(attributes[key] ?? '', 10);
        return v !== undefined && Number.isFinite(v) ? v : undefined;
      };
      const str = (name: string): string | undefined => {
        const key = Object.keys(attributes).find((n) => n.toLowerCase() === name.toLowerCase());
        return key === undefined ? undefined : attributes[key];
      };
      const ep: {
        -readonly [K in keyof SdpT38Endpoint]: SdpT38Endpoint[K];
      } = {
        frame: meta.frame,
        time: meta.time,
        sipLine: startLine,
        ip,
        port: mPort,
        transport: proto === 'tcptl' ? 'tcptl' : 'udptl',
        attributes,
      };
      const version = num('T38FaxVersion');
      if (version !== undefined) ep.version = version;
      const maxDatagram = num('T38FaxMaxDatagram');
      if (maxDatagram !== undefined) ep.maxDatagram = maxDatagram;
      const ec = str('T38FaxUdpEC');
      if (ec !== undefined) ep.errorCorrection = ec;
      const rm = str('T38FaxRateManagement');
      if (rm !== undefined) ep.rateManagement = rm;
      const br = num('T38MaxBitRate');
      if (br !== undefined) ep.maxBitRate = br;
      t38.push(ep);
    }
  }
  const ev: { -readonly [K in keyof SipEvent]: SipEvent[K] } = { ...meta, startLine, media, t38, audio };
  if (callId !== undefined) ev.callId = callId;
  if (cseq !== undefined) ev.cseq = cseq;
  return ev;
}
