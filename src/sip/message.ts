/**
 * SIP messages (RFC 3261 §7, §20, §25): the data model, the parser and the serializer, and the
 * readers of the structured header values the user agent needs (URI, name-addr, Via, CSeq).
 * Sans-IO. Garbage from the network is data: the parser returns a typed error, never throws.
 *
 * PLACEHOLDER: the types and signatures below are the contract; the bodies are being written.
 */

/** Canonical (long-form) header name, as written on the wire by the serializer. */
export type SipHeaderName = string;

export interface SipHeader {
  /** Canonical long form ("Call-ID", "Via", "Content-Length", …); compact forms are expanded at parse time. */
  readonly name: SipHeaderName;
  /** The value with leading/trailing whitespace removed and line folding replaced by one space. */
  readonly value: string;
}

export interface SipRequest {
  readonly kind: 'request';
  readonly method: string;
  /** Request-URI as written. */
  readonly uri: string;
  /** Header lines in order. One entry per line as received (comma lists are NOT split here). */
  headers: SipHeader[];
  body: Uint8Array;
}

export interface SipResponse {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
  headers: SipHeader[];
  body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

export interface SipParseLimits {
  /** Whole message, octets (default 65 535). */
  readonly maxMessageBytes?: number;
  /** Header lines (default 128). */
  readonly maxHeaders?: number;
  /** One header line after unfolding, octets (default 8192). */
  readonly maxLineBytes?: number;
  /** Body, octets (default 65 535). */
  readonly maxBodyBytes?: number;
}

export type SipParseErrorCode =
  | 'empty'
  | 'too-large'
  | 'bad-start-line'
  | 'bad-version'
  | 'bad-header'
  | 'too-many-headers'
  | 'line-too-long'
  | 'missing-header'
  | 'bad-cseq'
  | 'bad-content-length'
  | 'truncated'
  | 'body-too-large';

export interface SipParseError {
  readonly code: SipParseErrorCode;
  readonly detail: string;
}

export type SipParseResult =
  | { readonly ok: true; readonly message: SipMessage; readonly bytesRead: number }
  | { readonly ok: false; readonly error: SipParseError };

export interface SipUri {
  readonly scheme: 'sip' | 'sips' | 'tel';
  readonly user?: string;
  readonly password?: string;
  /** Host name, IPv4 address, or IPv6 reference without brackets. */
  readonly host: string;
  readonly port?: number;
  /** URI parameters, names lower-cased; null for a parameter without value (";lr"). */
  readonly params: ReadonlyMap<string, string | null>;
  /** Header part after '?', as written (not decoded). */
  readonly headers?: string;
}

export interface NameAddr {
  readonly displayName?: string;
  readonly uri: SipUri;
  /** Header parameters after the URI (";tag=…", ";expires=…"), names lower-cased. */
  readonly params: ReadonlyMap<string, string | null>;
}

export interface Via {
  /** "SIP/2.0/UDP" → "UDP" (upper case). */
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  /** branch, received, rport (null when present without value), maddr, ttl… */
  readonly params: ReadonlyMap<string, string | null>;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}
