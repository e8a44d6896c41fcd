/**
 * SIP messages (RFC 3261 §7, §20, §25): the data model, the parser and the serializer, and the
 * readers of the structured header values the user agent needs (URI, name-addr, Via, CSeq).
 * Sans-IO. Garbage from the network is data: the parser returns a typed error, never throws;
 * misuse of the API (a header value with a line break, a status of 42) throws `FaxwireError`.
 *
 * ```
 *  message      = *CRLF start-line *( header-line ) CRLF [ body ]          (§7, §7.5: CRLFs before
 *  start-line   = Method SP Request-URI SP "SIP/2.0"                            the start line are
 *               / "SIP/2.0" SP 3DIGIT SP Reason-Phrase                          ignored)
 *  header-line  = token *WSP ":" value  *( (SP / HTAB) continuation )      (§7.3.1 folding)
 *  line end     = CRLF, or a bare LF (read, never written)
 *  body length  = Content-Length; a datagram without it: the rest (§18.3); a stream: mandatory
 * ```
 * What the field does, and what we do about it:
 * - Line ends: CRLF per §7, but bare LF is common from scripts and some embedded stacks; both are
 *   read. A lone CR inside a line is a control character and rejected.
 * - Compact forms (§7.3.3, and `o u` RFC 3265, `r` RFC 3515, `b` RFC 3892, `x` RFC 4028,
 *   `a j d` RFC 3841) are expanded at parse time; names are stored in their canonical spelling
 *   ("Call-ID", "CSeq", "WWW-Authenticate") so that lookups compare strings, not cases.
 * - The head is decoded as UTF-8, because §25.1 makes every free-text part UTF-8 (TEXT-UTF8,
 *   UTF8-NONASCII in display names and reason phrases): latin1 would turn every legitimate
 *   non-ASCII display name into mojibake. Invalid sequences become U+FFFD and are never an error
 *   (UTF-8 is self-synchronising: an invalid byte can never hide or forge a delimiter, which are
 *   all ASCII). Control characters other than HTAB (NUL included) are rejected: several deployed
 *   stacks are written in C and a NUL in a header is an injection vector, not a quirk.
 * - Limits (`SipParseLimits`) are checked on octets before anything is decoded; no regular
 *   expression with nested quantifiers runs on network text (and no `[ \t]+$`, which backtracks
 *   quadratically: whitespace is trimmed by index).
 * - Content-Length: several lines must agree (RFC 3261 §20.14 has one value; a disagreement is a
 *   smuggling attempt on a stream); a value above the body limit is `body-too-large` however many
 *   digits it has.
 */

import { FaxwireError } from '../util/errors.js';

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

// =============================================================================================
// Limits
// =============================================================================================

interface Limits {
  readonly maxMessage: number;
  readonly maxHeaders: number;
  readonly maxLine: number;
  readonly maxBody: number;
}

const DEFAULT_LIMITS: Limits = { maxMessage: 65_535, maxHeaders: 128, maxLine: 8192, maxBody: 65_535 };
/** Largest limit accepted (64 MiB): a limit is a bound, not a way to switch bounds off. */
const LIMIT_CEILING = 1 << 26;

function limit(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (!Number.isInteger(v) || v < 1 || v > LIMIT_CEILING) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `SipParseLimits.${name} must be an integer in 1..${LIMIT_CEILING}, got ${String(v)}`);
  }
  return v;
}

function resolveLimits(l: SipParseLimits | undefined): Limits {
  if (l === undefined) return DEFAULT_LIMITS;
  return {
    maxMessage: limit(l.maxMessageBytes, DEFAULT_LIMITS.maxMessage, 'maxMessageBytes'),
    maxHeaders: limit(l.maxHeaders, DEFAULT_LIMITS.maxHeaders, 'maxHeaders'),
    maxLine: limit(l.maxLineBytes, DEFAULT_LIMITS.maxLine, 'maxLineBytes'),
    maxBody: limit(l.maxBodyBytes, DEFAULT_LIMITS.maxBody, 'maxBodyBytes'),
  };
}

// =============================================================================================
// Character classes (RFC 3261 §25.1)
// =============================================================================================

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"). */
const C_TOKEN = 1;
/** user: unreserved / user-unreserved ("&" "=" "+" "$" "," ";" "/"; "?" is always escaped here, see parseUri). */
const C_USER = 2;
/** password: unreserved / "&" "=" "+" "$" ",". */
const C_PASSWORD = 4;
/** paramchar without the escape: param-unreserved ("[" "]" "/" ":" "&" "+" "$") / unreserved. */
const C_PARAM = 8;
/** URI header part: hnv-unreserved / unreserved / "=" "&"; leniently "@" ";" (unescaped Replaces values). */
const C_URIHDR = 16;
/** Host name or IPv4: alphanum "-" "."; leniently "_" (seen in deployed DNS names). */
const C_HOST = 32;
/** tel: subscriber (RFC 3966 §3): HEXDIG "*" "#" "+" and the visual separators "-" "." "(" ")". */
const C_TEL = 64;
/** Header parameter value, unquoted (gen-value = token / host): token chars, ":" "[" "]". */
const C_GENVALUE = 128;

const CHARS = new Uint8Array(128);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UNRESERVED = `${ALNUM}-_.!~*'()`;
function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) CHARS[chars.charCodeAt(i)]! |= flag;
}
mark(`${ALNUM}-.!%*_+\`'~`, C_TOKEN);
mark(`${UNRESERVED}&=+$,;/`, C_USER);
mark(`${UNRESERVED}&=+$,`, C_PASSWORD);
mark(`${UNRESERVED}[]/:&+$`, C_PARAM);
mark(`${UNRESERVED}[]/?:+$=&@;`, C_URIHDR);
mark(`${ALNUM}-._`, C_HOST);
mark('0123456789ABCDEFabcdef*#+-.()', C_TEL);
mark(`${ALNUM}-.!%*_+\`'~:[]`, C_GENVALUE);

function isClass(c: number, flag: number): boolean {
  return c < 128 && (CHARS[c]! & flag) !== 0;
}

/** True when every char of s[start, end) is in the class (and the range is not empty). */
function allClass(s: string, start: number, end: number, flag: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!isClass(s.charCodeAt(i), flag)) return false;
  return true;
}

function isToken(s: string): boolean {
  return allClass(s, 0, s.length, C_TOKEN);
}

/**
 * Control characters that may not appear in a header line or start line once the line end is
 * removed: C0 except HTAB, and DEL (§25.1: TEXT-UTF8 and quoted-string exclude them).
 */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Trims SP/HTAB only (String.prototype.trim also eats NBSP, U+2028… which belong to the value). */
function trimWsp(s: string, start = 0, end = s.length): string {
  while (start < end && isWsp(s.charCodeAt(start))) start++;
  while (end > start && isWsp(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function skipWsp(s: string, i: number, end = s.length): number {
  while (i < end && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** A short printable excerpt of network text for an error detail. */
function excerpt(s: string): string {
  return JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}…` : s);
}

function misuse(message: string): never {
  throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', message);
}

// =============================================================================================
// Header names (§7.3.3 compact forms, canonical spellings)
// =============================================================================================

/**
 * Canonical spellings of the header names a fax UA meets. The irregular ones are why the table
 * exists (Call-ID, CSeq, WWW-Authenticate, MIME-Version, Min-SE, RAck, RSeq, SIP-ETag, …); the
 * regular ones are listed too so that the common case is one map look-up.
 */
const KNOWN_HEADERS = [
  // RFC 3261 §20
  'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Authentication-Info',
  'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding',
  'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Expires',
  'From', 'In-Reply-To', 'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Organization', 'Priority',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'Record-Route', 'Reply-To',
  'Require', 'Retry-After', 'Route', 'Server', 'Subject', 'Supported', 'Timestamp', 'To',
  'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
  // extensions
  'RAck', 'RSeq', // RFC 3262
  'Event', 'Allow-Events', 'Subscription-State', // RFC 3265 / 6665
  'Refer-To', 'Referred-By', 'Replaces', 'Join', 'Target-Dialog', // RFC 3515, 3892, 3891, 3911, 4538
  'Session-Expires', 'Min-SE', // RFC 4028
  'Accept-Contact', 'Reject-Contact', 'Request-Disposition', // RFC 3841
  'P-Asserted-Identity', 'P-Preferred-Identity', 'Privacy', 'Reason', 'Path', 'Service-Route', // RFC 3325, 3323, 3326, 3327, 3608
  'SIP-ETag', 'SIP-If-Match', // RFC 3903
  'Security-Client', 'Security-Server', 'Security-Verify', // RFC 3329
  'History-Info', 'Diversion', 'Remote-Party-ID', 'Identity', 'Identity-Info', // RFC 7044, 5806, draft, 8224, 4474
  'P-Charging-Vector', 'P-Access-Network-Info', 'P-Called-Party-ID', 'P-Associated-URI', // RFC 7315
  'P-Visited-Network-ID', 'P-Charging-Function-Addresses',
  'Recv-Info', 'Info-Package', 'Geolocation', 'Feature-Caps', 'Max-Breadth', 'Resource-Priority',
] as const;

/** Compact forms: RFC 3261 §7.3.3 (i f t v m l c k s e) and o u (3265), r (3515), b (3892), x (4028), a j d (3841). */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  f: 'From',
  t: 'To',
  v: 'Via',
  m: 'Contact',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  s: 'Subject',
  e: 'Content-Encoding',
  o: 'Event',
  x: 'Session-Expires',
  r: 'Refer-To',
  u: 'Allow-Events',
  b: 'Referred-By',
  a: 'Accept-Contact',
  j: 'Reject-Contact',
  d: 'Request-Disposition',
};

/** Exact spelling → canonical: canonical names, their lower-case forms, compact forms in both cases. */
const NAMES = new Map<string, string>();
for (const n of KNOWN_HEADERS) {
  NAMES.set(n, n);
  NAMES.set(n.toLowerCase(), n);
}
for (const [c, n] of Object.entries(COMPACT)) {
  NAMES.set(c, n);
  NAMES.set(c.toUpperCase(), n);
}

/** "x-asterisk-hangupcause" → "X-Asterisk-Hangupcause": upper case at the start and after each '-'. */
function titleCase(lower: string): string {
  let out = '';
  let up = true;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i]!;
    out += up ? ch.toUpperCase() : ch;
    up = ch === '-';
  }
  return out;
}

/**
 * The canonical long form of a header name, from any case or a compact form: "i" → "Call-ID",
 * "cseq" → "CSeq", "x-foo-bar" → "X-Foo-Bar". Header names are case-insensitive (§7.3.1).
 */
export function canonicalHeaderName(name: string): string {
  const hit = NAMES.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  return NAMES.get(lower) ?? titleCase(lower);
}

/**
 * Headers whose single value may contain commas that do not separate list elements: the
 * authentication headers (§20.7, §20.27, §20.28, §20.44 — `Digest realm="a", nonce="b"` is ONE
 * challenge; several challenges come as several lines), Date (§20.17, "Sat, 13 Nov 2010 …"), and
 * the free-text or comment-bearing single-valued ones. Everything else is split as a list
 * (§7.3.1: a comma list is equivalent to several lines).
 */
const NON_SPLIT = new Set<string>([
  'WWW-Authenticate',
  'Proxy-Authenticate',
  'Authorization',
  'Proxy-Authorization',
  'Authentication-Info',
  'Date',
  'Subject',
  'User-Agent',
  'Server',
  'Organization',
  'Retry-After',
]);

// =============================================================================================
// Header access
// =============================================================================================

/**
 * Whether a stored header name is `canon`. Stored names are canonical by contract, but a message
 * built by hand may hold "call-id" or "i": only names that could be such a spelling (same
 * length, or one letter) are canonicalised, so a look-up stays a string compare per line.
 */
function nameIs(stored: string, canon: string): boolean {
  if (stored === canon) return true;
  if (stored.length !== canon.length && stored.length !== 1) return false;
  return canonicalHeaderName(stored) === canon;
}

/** The value of the first line of the header (any spelling of the name), or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const canon = canonicalHeaderName(name);
  for (const h of msg.headers) if (nameIs(h.name, canon)) return h.value;
  return undefined;
}

/**
 * Splits a comma list (§7.3.1) on the commas outside quoted strings and outside `<…>` (a URI may
 * hold a comma: `<sip:a@b;x=1,2>` is invalid but `"Doe, John" <sip:j@b>` is common). Empty
 * elements are dropped, elements trimmed.
 */
function splitList(value: string, out: string[]): void {
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++; // quoted-pair: skip the escaped char
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) angle = true;
    else if (c === 0x3e) angle = false;
    else if (c === 0x2c && !angle) {
      const e = trimWsp(value, start, i);
      if (e !== '') out.push(e);
      start = i + 1;
    }
  }
  const e = trimWsp(value, start, value.length);
  if (e !== '') out.push(e);
}

/**
 * All values of a header, in order: every line, each comma list split into its elements (quote-
 * and `<>`-aware) — except for the headers in NON_SPLIT, whose lines are returned whole.
 */
export function getHeaderList(msg: SipMessage, name: string): string[] {
  const canon = canonicalHeaderName(name);
  const split = !NON_SPLIT.has(canon);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (!nameIs(h.name, canon)) continue;
    if (split) splitList(h.value, out);
    else out.push(h.value);
  }
  return out;
}

/** A header line a caller wants written: canonical token name, value without line breaks or controls. */
function checkedHeader(name: string, value: string): SipHeader {
  const canon = canonicalHeaderName(name);
  if (!isToken(canon)) misuse(`SIP header name must be a token, got ${excerpt(name)}`);
  if (CTL.test(value)) misuse(`SIP header ${canon}: value contains a line break or control character`);
  return { name: canon, value: trimWsp(value) };
}

/** Replaces every line of the header by one line with `value` (where the first one was; else appended). */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const h = checkedHeader(name, value);
  const out: SipHeader[] = [];
  let placed = false;
  for (const x of msg.headers) {
    if (!nameIs(x.name, h.name)) out.push(x);
    else if (!placed) {
      out.push(h);
      placed = true;
    }
  }
  if (!placed) out.push(h);
  msg.headers = out;
}

/**
 * Adds one line. `first`: above the existing lines of that header (a new top Via, §18.1.1), or at
 * the top of the head if there is none; otherwise after the last line of that header, or at the
 * end. Only the order among lines of the same name carries meaning (§7.3.1).
 */
export function addHeader(msg: SipMessage, name: string, value: string, first = false): void {
  const h = checkedHeader(name, value);
  const hs = msg.headers;
  let at = first ? 0 : hs.length;
  if (first) {
    const i = hs.findIndex((x) => nameIs(x.name, h.name));
    if (i >= 0) at = i;
  } else {
    for (let i = hs.length - 1; i >= 0; i--) {
      if (nameIs(hs[i]!.name, h.name)) {
        at = i + 1;
        break;
      }
    }
  }
  hs.splice(at, 0, h);
}

/** Removes every line of the header. */
export function removeHeader(msg: SipMessage, name: string): void {
  const canon = canonicalHeaderName(name);
  msg.headers = msg.headers.filter((h) => !nameIs(h.name, canon));
}

// =============================================================================================
// Parsing: head
// =============================================================================================

const DECODER = new TextDecoder('utf-8', { ignoreBOM: true });
const ENCODER = new TextEncoder();

type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

interface Head {
  readonly start: StartLine;
  readonly headers: SipHeader[];
  /** -1 when the message has no Content-Length. */
  readonly contentLength: number;
  /** Offset of the body (after the empty line) in the parsed octets. */
  readonly bodyStart: number;
}

type HeadResult = { readonly ok: true; readonly head: Head } | { readonly ok: false; readonly error: SipParseError };

function fail(code: SipParseErrorCode, detail: string): { readonly ok: false; readonly error: SipParseError } {
  return { ok: false, error: { code, detail } };
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1; "SIP" is case-insensitive as an ABNF literal). */
function checkVersion(v: string): SipParseError | undefined {
  if (v.length === 7 && v.toUpperCase() === 'SIP/2.0') return undefined;
  const shaped = v.length >= 7 && v.length <= 16 && v.slice(0, 4).toUpperCase() === 'SIP/' && /^\d+\.\d+$/.test(v.slice(4));
  return shaped ? { code: 'bad-version', detail: `version ${excerpt(v)} is not SIP/2.0` } : { code: 'bad-start-line', detail: `no SIP version in ${excerpt(v)}` };
}

/** Request-Line (§7.1) or Status-Line (§7.2). Single SPs as delimiters; trailing SP/HTAB tolerated. */
function parseStartLine(raw: string): StartLine | SipParseError {
  const line = trimWsp(raw);
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    const sp = line.indexOf(' ');
    const bad = checkVersion(sp < 0 ? line : line.slice(0, sp));
    if (bad !== undefined) return bad;
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (sp < 0 || !/^\d{3}$/.test(code) || (sp + 4 < line.length && after !== 0x20)) {
      return { code: 'bad-start-line', detail: `bad status line ${excerpt(line)}` };
    }
    const status = Number(code);
    if (status < 100 || status > 699) return { code: 'bad-start-line', detail: `status ${code} outside 100..699` };
    return { kind: 'response', status, reason: trimWsp(line, sp + 5) };
  }
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) return { code: 'bad-start-line', detail: `bad request line ${excerpt(line)}` };
  const method = line.slice(0, sp1);
  if (!isToken(method)) return { code: 'bad-start-line', detail: `method ${excerpt(method)} is not a token` };
  const uri = line.slice(sp1 + 1, sp2);
  // A Request-URI never holds whitespace (§25.1); "INVITE sip:a b@c SIP/2.0" is not a request.
  if (uri === '' || uri.includes(' ') || uri.includes('\t')) return { code: 'bad-start-line', detail: `bad Request-URI ${excerpt(uri)}` };
  const bad = checkVersion(line.slice(sp2 + 1));
  if (bad !== undefined) return bad;
  return { kind: 'request', method, uri };
}

/** Content-Length = 1*DIGIT (§20.14). Returns the value, Infinity for one too large to matter, or -1. */
function contentLengthValue(v: string): number {
  if (v.length === 0) return -1;
  let first = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    if (c === 0x30 && first === i) first++;
  }
  return v.length - first > 12 ? Infinity : Number(v);
}

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/**
 * Parses the head that starts at bytes[start] (a non-empty start line) and ends at the first empty
 * line before `end`: limits and control characters on the octets first, then one UTF-8 decode,
 * then the lines. `bodyStart` is the offset after the empty line; no empty line → 'truncated'.
 */
function parseHead(bytes: Uint8Array, start: number, end: number, L: Limits): HeadResult {
  // 1. One pass over the octets: logical line lengths (continuations added), the header count,
  //    and the first control character (C0 but HTAB, DEL; a CR not followed by LF), in octets
  //    and before anything is decoded.
  let count = -1;
  let logical = 0;
  let lineStart = start;
  let ctl = -1;
  let ctlLine = -1;
  let textEnd = -1;
  let bodyStart = -1;
  for (let p = start; p < end; p++) {
    const b = bytes[p]!;
    if (b >= 0x20 && b !== 0x7f) continue;
    if (b === 0x09) continue;
    if (b === 0x0d && bytes[p + 1] === 0x0a) continue;
    if (b !== 0x0a) {
      if (ctl < 0) {
        ctl = p;
        ctlLine = count; // -1 while in the start line
      }
      continue;
    }
    // End of a physical line [lineStart, p) (its CR excluded).
    const len = p - lineStart - (p > lineStart && bytes[p - 1] === 0x0d ? 1 : 0);
    if (len === 0) {
      textEnd = lineStart;
      bodyStart = p + 1;
      break;
    }
    const c0 = bytes[lineStart];
    if (count >= 0 && (c0 === 0x20 || c0 === 0x09)) logical += len;
    else {
      if (logical > L.maxLine) return fail('line-too-long', `a line of ${logical} octets (limit ${L.maxLine})`);
      if (++count > L.maxHeaders) return fail('too-many-headers', `more than ${L.maxHeaders} header lines`);
      logical = len;
    }
    lineStart = p + 1;
  }
  if (logical > L.maxLine) return fail('line-too-long', `a line of ${logical} octets (limit ${L.maxLine})`);
  if (bodyStart < 0) return fail('truncated', 'no empty line after the headers');
  if (ctl >= 0) {
    const at = `control character 0x${bytes[ctl]!.toString(16).padStart(2, '0')} at octet ${ctl}`;
    return ctlLine < 0 ? fail('bad-start-line', `${at}, in the start line`) : fail('bad-header', `${at}, in a header line`);
  }

  // 2. Text.
  const text = DECODER.decode(bytes.subarray(start, textEnd));
  const n = text.length;
  let nl = text.indexOf('\n');
  if (nl < 0) nl = n;
  const sl = parseStartLine(text.slice(0, nl > 0 && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl));
  if ('code' in sl) return { ok: false, error: sl };

  const headers: SipHeader[] = [];
  let name: string | undefined;
  let value = '';
  for (let pos = nl + 1; pos < n; ) {
    let e = text.indexOf('\n', pos);
    if (e < 0) e = n;
    const line = text.slice(pos, e > pos && text.charCodeAt(e - 1) === 0x0d ? e - 1 : e);
    pos = e + 1;
    if (isWsp(line.charCodeAt(0))) {
      // §7.3.1: a line starting with whitespace continues the previous one; the fold is one SP.
      if (name === undefined) return fail('bad-header', 'a continuation line right after the start line');
      const more = trimWsp(line);
      if (more !== '') value = value === '' ? more : `${value} ${more}`;
      continue;
    }
    if (name !== undefined) headers.push({ name, value });
    const colon = line.indexOf(':');
    let ne = colon;
    while (ne > 0 && isWsp(line.charCodeAt(ne - 1))) ne--; // HCOLON = *( SP / HTAB ) ":" SWS
    if (ne <= 0 || !allClass(line, 0, ne, C_TOKEN)) return fail('bad-header', `not a header line: ${excerpt(line)}`);
    name = canonicalHeaderName(line.slice(0, ne));
    value = trimWsp(line, colon + 1);
  }
  if (name !== undefined) headers.push({ name, value });

  // 3. The headers every message carries (§8.1.1, §8.2.6.2), CSeq (§20.16), Content-Length (§20.14).
  let seen = 0;
  let cseq: string | undefined;
  let contentLength = -2;
  let clProblem: string | undefined;
  for (const h of headers) {
    switch (h.name) {
      case 'Via':
        if (h.value !== '') seen |= 1;
        break;
      case 'From':
        if (h.value !== '') seen |= 2;
        break;
      case 'To':
        if (h.value !== '') seen |= 4;
        break;
      case 'Call-ID':
        if (h.value !== '') seen |= 8;
        break;
      case 'CSeq':
        seen |= 16;
        cseq ??= h.value;
        break;
      case 'Content-Length': {
        const v = contentLengthValue(h.value);
        if (v < 0) clProblem ??= `Content-Length ${excerpt(h.value)} is not a number`;
        else if (contentLength === -2) contentLength = v;
        else if (contentLength !== v) clProblem ??= 'several Content-Length values that differ';
        break;
      }
      default:
        break;
    }
  }
  if (seen !== 31) {
    const missing = MANDATORY.filter((_, i) => (seen & (1 << i)) === 0);
    return fail('missing-header', `missing ${missing.join(', ')}`);
  }
  const cs = parseCSeq(cseq ?? '');
  if (cs === undefined) return fail('bad-cseq', `CSeq ${excerpt(cseq ?? '')} does not parse`);
  if (sl.kind === 'request' && cs.method !== sl.method) return fail('bad-cseq', `CSeq method ${cs.method} ≠ request method ${sl.method}`);
  if (clProblem !== undefined) return fail('bad-content-length', clProblem);
  if (contentLength > L.maxBody) return fail('body-too-large', `Content-Length ${String(contentLength)} above the limit ${L.maxBody}`);
  return { ok: true, head: { start: sl, headers, contentLength: contentLength < 0 ? -1 : contentLength, bodyStart } };
}

function buildMessage(start: StartLine, headers: SipHeader[], body: Uint8Array): SipMessage {
  return start.kind === 'request'
    ? { kind: 'request', method: start.method, uri: start.uri, headers, body }
    : { kind: 'response', status: start.status, reason: start.reason, headers, body };
}

/** A copy of bytes[from, to) in a plain Uint8Array (never a view of the caller's or our buffer). */
function copyOf(bytes: Uint8Array, from: number, to: number): Uint8Array {
  if (from === to) return new Uint8Array(0);
  const out = new Uint8Array(to - from);
  out.set(bytes.subarray(from, to));
  return out;
}

/**
 * Parses one SIP message from one datagram (RFC 3261 §18.3): CRLFs before the start line are
 * skipped; without Content-Length the body is the rest of the datagram; with it, a longer body is
 * cut to it (`bytesRead` = head + Content-Length) and a shorter one is `truncated`. Never throws
 * on any input (throws only on invalid `limits`).
 */
export function parseSipMessage(bytes: Uint8Array, limits?: SipParseLimits): SipParseResult {
  const L = resolveLimits(limits);
  const n = bytes.length;
  let start = 0;
  while (start < n && (bytes[start] === 0x0d || bytes[start] === 0x0a)) start++;
  if (start === n) return fail('empty', n === 0 ? 'no octets' : 'only line ends (a keep-alive)');
  if (n - start > L.maxMessage) return fail('too-large', `${n - start} octets (limit ${L.maxMessage})`);
  const r = parseHead(bytes, start, n, L);
  if (!r.ok) return r;
  const { head } = r;
  const bodyStart = head.bodyStart;
  const rest = n - bodyStart;
  let end = n;
  if (head.contentLength < 0) {
    if (rest > L.maxBody) return fail('body-too-large', `body of ${rest} octets (limit ${L.maxBody})`);
  } else {
    if (head.contentLength > rest) return fail('truncated', `Content-Length ${head.contentLength}, ${rest} octets of body`);
    end = bodyStart + head.contentLength;
  }
  return { ok: true, message: buildMessage(head.start, head.headers, copyOf(bytes, bodyStart, end)), bytesRead: end };
}

// =============================================================================================
// Stream framing (RFC 3261 §18.3, RFC 5626 §3.5.1)
// =============================================================================================

/** First allocation of the framer's buffer; it doubles up to maxMessageBytes. */
const FRAMER_INITIAL = 4096;

/**
 * Cuts SIP messages out of a stream transport (TCP, TLS): `push()` the octets in any chunking,
 * then call `next()` until it returns undefined. On a stream, Content-Length is mandatory (§18.3,
 * §20.14: it is the only way to find the end of a message), and any error is fatal for the
 * connection — once framing is lost nothing after it can be trusted — so the error is sticky:
 * `failed` turns true when it is found, `next()` returns the messages completed before it and
 * then that error on every call, and later pushes are ignored. The caller closes the connection.
 *
 * Keep-alives (RFC 5626 §3.5.1): a double CRLF between messages is a "ping"; each one is counted
 * and `takePings()` tells the caller how many pongs (one CRLF each) to send. Single CRLFs between
 * messages (pongs, or the §7.5 leading CRLFs) are skipped. Two pongs in a row read as a ping; a
 * client that receives one answers with a CRLF the server ignores, so that is harmless.
 *
 * Memory: the incomplete message is held in one buffer that never grows past maxMessageBytes (a
 * head without its empty line by then, or a head + Content-Length above it, is `too-large` as
 * soon as that is known). Complete messages wait in the queue for `next()`. A result's
 * `bytesRead` is that message's own length (head + body; keep-alive CRLFs before it not counted).
 */
export class SipStreamFramer {
  private readonly limits: Limits;
  private buf = new Uint8Array(0);
  private len = 0;
  /** Total length of the current message once its head is parsed, else -1. */
  private need = -1;
  private head: Head | undefined;
  private bodyStart = 0;
  /** Head-end scan: next octet to scan, and where the line being scanned started. */
  private scan = 0;
  private lineStart = 0;
  /** LFs seen in a row between messages (two make a ping). */
  private lineEnds = 0;
  private pings = 0;
  private readonly ready: SipParseResult[] = [];
  private error: SipParseResult | undefined;

  constructor(limits?: SipParseLimits) {
    this.limits = resolveLimits(limits);
  }

  /** True once a framing error was found: the connection must be closed. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Pings (RFC 5626 double CRLFs) received since the last call; answer each with one CRLF. */
  takePings(): number {
    const n = this.pings;
    this.pings = 0;
    return n;
  }

  /** The next complete message, the sticky error, or undefined until more octets arrive. */
  next(): SipParseResult | undefined {
    return this.ready.length > 0 ? this.ready.shift() : this.error;
  }

  push(bytes: Uint8Array): void {
    const n = bytes.length;
    let i = 0;
    while (i < n && this.error === undefined) {
      if (this.len === 0) {
        // Between messages: line ends are keep-alives (RFC 5626 §3.5.1) or §7.5 padding.
        while (i < n) {
          const b = bytes[i]!;
          if (b === 0x0a) {
            if (++this.lineEnds === 2) {
              this.pings++;
              this.lineEnds = 0;
            }
          } else if (b !== 0x0d) break;
          i++;
        }
        if (i === n) return;
        this.lineEnds = 0;
      }
      const cap = this.limits.maxMessage;
      if (this.need < 0) {
        const take = Math.min(n - i, cap - this.len);
        this.append(bytes, i, take);
        i += take;
        const bodyStart = this.findHeadEnd();
        if (bodyStart < 0) {
          if (this.len >= cap) this.fail('too-large', `no end of the head within ${cap} octets`);
          continue;
        }
        const r = parseHead(this.buf, 0, bodyStart, this.limits);
        if (!r.ok) {
          this.error = r;
          return;
        }
        if (r.head.contentLength < 0) {
          this.fail('bad-content-length', 'no Content-Length on a stream transport (RFC 3261 §18.3)');
          return;
        }
        const need = bodyStart + r.head.contentLength;
        if (need > cap) {
          this.fail('too-large', `head + Content-Length = ${need} octets (limit ${cap})`);
          return;
        }
        this.head = r.head;
        this.bodyStart = bodyStart;
        this.need = need;
        // Octets past this message came from this chunk (the head end was not in the earlier
        // ones): give them back to the loop.
        if (this.len > need) {
          i -= this.len - need;
          this.len = need;
        }
      } else {
        const take = Math.min(n - i, this.need - this.len);
        this.append(bytes, i, take);
        i += take;
      }
      if (this.len === this.need && this.head !== undefined) {
        const body = copyOf(this.buf, this.bodyStart, this.need);
        this.ready.push({ ok: true, message: buildMessage(this.head.start, this.head.headers, body), bytesRead: this.need });
        this.len = 0;
        this.need = -1;
        this.head = undefined;
        this.scan = 0;
        this.lineStart = 0;
      }
    }
  }

  private fail(code: SipParseErrorCode, detail: string): void {
    this.error = fail(code, detail);
  }

  private append(bytes: Uint8Array, from: number, count: number): void {
    const want = this.len + count;
    if (want > this.buf.length) {
      const size = Math.min(this.limits.maxMessage, Math.max(want, FRAMER_INITIAL, this.buf.length * 2));
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes.subarray(from, from + count), this.len);
    this.len = want;
  }

  /** Resumes the scan for the empty line; returns the body's offset, or -1 (lineStart = end of head text). */
  private findHeadEnd(): number {
    const view = this.buf.subarray(0, this.len);
    for (;;) {
      const lf = view.indexOf(0x0a, this.scan);
      if (lf < 0) {
        this.scan = this.len;
        return -1;
      }
      const le = lf > this.lineStart && view[lf - 1] === 0x0d ? lf - 1 : lf;
      this.scan = lf + 1;
      if (le === this.lineStart) return lf + 1;
      this.lineStart = lf + 1;
    }
  }
}

// =============================================================================================
// Serializing
// =============================================================================================

/**
 * Writes a message: start line, the headers in order under their canonical names, Content-Length
 * set to the body's length (the first such line rewritten, others dropped, one appended if none),
 * CRLF line ends, the empty line, the body. Throws FaxwireError on what would not parse back (a
 * name that is not a token, a value with a line break, a status outside 100..699).
 */
export function serializeSipMessage(msg: SipMessage): Uint8Array {
  let head: string;
  if (msg.kind === 'request') {
    if (!isToken(msg.method)) misuse(`SIP method must be a token, got ${excerpt(msg.method)}`);
    if (msg.uri === '' || msg.uri.includes(' ') || msg.uri.includes('\t')) misuse(`bad Request-URI ${excerpt(msg.uri)}`);
    head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) misuse(`SIP status must be an integer in 100..699, got ${msg.status}`);
    head = `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  const bodyLength = msg.body.length;
  let lengthWritten = false;
  let lines = 1;
  for (const h of msg.headers) {
    // A name from the table is a token; any other is checked.
    let name = NAMES.get(h.name);
    if (name === undefined) {
      name = canonicalHeaderName(h.name);
      if (!isToken(name)) misuse(`SIP header name must be a token, got ${excerpt(h.name)}`);
    }
    if (name === 'Content-Length') {
      if (lengthWritten) continue;
      head += `Content-Length: ${bodyLength}\r\n`;
      lengthWritten = true;
    } else head += `${name}: ${h.value}\r\n`;
    lines++;
  }
  if (!lengthWritten) {
    head += `Content-Length: ${bodyLength}\r\n`;
    lines++;
  }
  head += '\r\n';
  // The usual head is ASCII: then it fits exactly in head.length octets and one allocation does
  // (encodeInto stops short, read < length, as soon as a char needs more than one octet).
  let out = new Uint8Array(head.length + bodyLength);
  let headBytes = head.length;
  const r = ENCODER.encodeInto(head, out);
  if (r.read !== head.length || r.written !== head.length) {
    const h = ENCODER.encode(head);
    headBytes = h.length;
    out = new Uint8Array(headBytes + bodyLength);
    out.set(h);
  }
  // Values are checked on the octets, in one pass: the only control characters may be the CRLFs
  // written here, exactly one per line (a value holding "\r\n" adds a line: header injection).
  if (!cleanHead(out, headBytes, lines + 1)) misuse(`SIP message: a start-line field or header value contains a line break or control character (${badField(msg)})`);
  out.set(msg.body, headBytes);
  return out;
}

/** True when out[0, end) has no control octets but HTAB and exactly `crlfs` CRLF pairs. */
function cleanHead(out: Uint8Array, end: number, crlfs: number): boolean {
  let n = 0;
  for (let i = 0; i < end; i++) {
    const b = out[i]!;
    if (b >= 0x20 ? b === 0x7f : b !== 0x09) {
      if (b !== 0x0d || out[i + 1] !== 0x0a) return false;
      n++;
      i++;
    }
  }
  return n === crlfs;
}

/** Names the field cleanHead refused, for the error message (the slow path of a misuse). */
function badField(msg: SipMessage): string {
  if (msg.kind === 'request' ? CTL.test(msg.uri) : CTL.test(msg.reason)) return msg.kind === 'request' ? 'Request-URI' : 'reason phrase';
  return msg.headers.find((h) => CTL.test(h.value))?.name ?? '?';
}

// =============================================================================================
// URIs (RFC 3261 §19.1.1, §25.1; tel: RFC 3966 §3)
// =============================================================================================

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** True when s[start, end) is made of `flag` chars and well-formed %HH escapes (may be empty). */
function validEscaped(s: string, start: number, end: number, flag: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= end) return false;
      if (hexValue(s.charCodeAt(i + 1)) < 0 || hexValue(s.charCodeAt(i + 2)) < 0) return false;
      i += 2;
    } else if (!isClass(c, flag)) return false;
  }
  return true;
}

/** Decodes %HH escapes (as UTF-8; invalid sequences become U+FFFD) after validating the chars. */
function unescape(s: string, start: number, end: number, flag: number): string | undefined {
  if (!validEscaped(s, start, end, flag)) return undefined;
  const raw = s.slice(start, end);
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(hexValue(raw.charCodeAt(i + 1)) * 16 + hexValue(raw.charCodeAt(i + 2)));
      i += 2;
    } else bytes.push(c);
  }
  return DECODER.decode(Uint8Array.from(bytes));
}

const HEX = '0123456789ABCDEF';

/** Escapes every char outside `flag` as %HH of its UTF-8 octets. */
function escape(s: string, flag: number): string {
  let out = '';
  let plain = 0;
  for (let i = 0; i < s.length; i++) {
    if (isClass(s.charCodeAt(i), flag)) continue;
    out += s.slice(plain, i);
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    for (const b of ENCODER.encode(ch)) out += `%${HEX[b >> 4]!}${HEX[b & 15]!}`;
    i += ch.length - 1;
    plain = i + 1;
  }
  return plain === 0 ? s : out + s.slice(plain);
}

/** IPv6 reference contents (RFC 3261 §25.1 IPv6address, read loosely): hex, ':' and a dotted tail. */
function validIpv6(h: string): boolean {
  if (h.length < 2 || h.length > 45 || !h.includes(':')) return false;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (!(hexValue(c) >= 0 || c === 0x3a || c === 0x2e)) return false;
  }
  return true;
}

function validHostname(h: string): boolean {
  return allClass(h, 0, h.length, C_HOST);
}

/** port = 1*DIGIT, 1..65535 here (0 is not a port a peer can send to). */
function parsePort(s: string, start: number, end: number): number | undefined {
  if (end - start < 1 || end - start > 5) return undefined;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10 + (c - 0x30);
  }
  return v >= 1 && v <= 65535 ? v : undefined;
}

/** uri-parameters = *( ";" pname [ "=" pvalue ] ), s[start, end) starting with ';' (or empty). */
function parseUriParams(s: string, start: number, end: number): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  let i = start;
  while (i < end) {
    if (s.charCodeAt(i) !== 0x3b) return undefined;
    // One pass per segment (an indexOf('=') to the end of the text for each of thousands of
    // ";a" segments would be quadratic).
    let e = i + 1;
    let nameEnd = -1;
    for (; e < end; e++) {
      const c = s.charCodeAt(e);
      if (c === 0x3b) break;
      if (c === 0x3d && nameEnd < 0) nameEnd = e;
    }
    if (nameEnd < 0) nameEnd = e;
    if (nameEnd > i + 1) {
      if (!validEscaped(s, i + 1, nameEnd, C_PARAM)) return undefined;
      if (nameEnd < e && !validEscaped(s, nameEnd + 1, e, C_PARAM)) return undefined;
      const name = s.slice(i + 1, nameEnd).toLowerCase();
      if (!params.has(name)) params.set(name, nameEnd < e ? s.slice(nameEnd + 1, e) : null);
    } else if (nameEnd < e) return undefined; // ";=x"
    i = e;
  }
  return params;
}

function parseTel(s: string, from: number): SipUri | undefined {
  let end = s.indexOf(';', from);
  if (end < 0) end = s.length;
  if (!allClass(s, from, end, C_TEL)) return undefined;
  const params = parseUriParams(s, end, s.length);
  if (params === undefined) return undefined;
  return { scheme: 'tel', user: s.slice(from, end), host: '', params };
}

/**
 * Parses a sip:, sips: or tel: URI (scheme in any case). `sip:user:password@host:port;params?headers`
 * with the user and password %-decoded, an IPv6 host without its brackets, param names lower-cased
 * and values as written, the header part as written. A tel: URI (RFC 3966) puts its number in
 * `user` and leaves `host` empty, so that "the called number" reads the same for both schemes.
 * Anything else — another scheme, whitespace, a bad escape, port 0 — is undefined.
 *
 * The userinfo ends at the first '@' before the first '?': '@' may appear unescaped in the
 * header part (Replaces values are often written so), never in user, password, host or params.
 */
export function parseUri(text: string): SipUri | undefined {
  const colon = text.indexOf(':');
  if (colon < 3 || colon > 4) return undefined;
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'tel') return parseTel(text, colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') return undefined;
  const n = text.length;
  const q = text.indexOf('?', colon + 1);
  const qEnd = q < 0 ? n : q;
  let pos = colon + 1;
  let user: string | undefined;
  let password: string | undefined;
  const at = text.indexOf('@', pos);
  if (at >= 0 && at < qEnd) {
    let c = text.indexOf(':', pos);
    if (c < 0 || c > at) c = at;
    if (c === pos) return undefined; // user = 1*( … ): an empty user is not one
    user = unescape(text, pos, c, C_USER);
    if (user === undefined) return undefined;
    if (c < at) {
      password = unescape(text, c + 1, at, C_PASSWORD);
      if (password === undefined) return undefined;
    }
    pos = at + 1;
  }
  let host: string;
  let hostEnd: number;
  if (text.charCodeAt(pos) === 0x5b) {
    const close = text.indexOf(']', pos);
    if (close < 0 || close > qEnd) return undefined;
    host = text.slice(pos + 1, close);
    if (!validIpv6(host)) return undefined;
    hostEnd = close + 1;
  } else {
    hostEnd = pos;
    while (hostEnd < qEnd && isClass(text.charCodeAt(hostEnd), C_HOST)) hostEnd++;
    if (hostEnd === pos) return undefined;
    host = text.slice(pos, hostEnd);
  }
  let port: number | undefined;
  let paramsStart = hostEnd;
  if (text.charCodeAt(hostEnd) === 0x3a) {
    let pe = hostEnd + 1;
    while (pe < qEnd && text.charCodeAt(pe) !== 0x3b) pe++;
    port = parsePort(text, hostEnd + 1, pe);
    if (port === undefined) return undefined;
    paramsStart = pe;
  }
  if (paramsStart < qEnd && text.charCodeAt(paramsStart) !== 0x3b) return undefined;
  const params = parseUriParams(text, paramsStart, qEnd);
  if (params === undefined) return undefined;
  let headers: string | undefined;
  if (q >= 0) {
    if (!validEscaped(text, q + 1, n, C_URIHDR)) return undefined;
    headers = text.slice(q + 1);
  }
  return {
    scheme,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host,
    ...(port !== undefined ? { port } : {}),
    params,
    ...(headers !== undefined ? { headers } : {}),
  };
}

function formatUriParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) {
    if (!validEscaped(k, 0, k.length, C_PARAM) || k === '') misuse(`URI parameter name ${excerpt(k)} is not a pname`);
    if (v !== null && !validEscaped(v, 0, v.length, C_PARAM)) misuse(`URI parameter ${k}: value ${excerpt(v)} is not a pvalue`);
    out += v === null ? `;${k}` : `;${k}=${v}`;
  }
  return out;
}

/**
 * Writes a URI back: user and password escaped where needed, IPv6 in brackets, params and header
 * part as held. `parseUri(formatUri(u))` equals `u` for every URI that formatUri accepts (param
 * names lower-case); what cannot be written (empty host, port 70000, a space in a param) throws.
 */
export function formatUri(u: SipUri): string {
  if (u.scheme === 'tel') {
    const num = u.user ?? '';
    if (!allClass(num, 0, num.length, C_TEL)) misuse(`tel: number ${excerpt(num)} is not a telephone-subscriber`);
    if (u.host !== '' || u.port !== undefined || u.password !== undefined || u.headers !== undefined) {
      misuse('a tel: URI has only a number (user) and parameters');
    }
    return `tel:${num}${formatUriParams(u.params)}`;
  }
  let s = `${u.scheme}:`;
  if (u.user !== undefined) {
    if (u.user === '') misuse('SIP URI user must not be empty');
    s += escape(u.user, C_USER);
    if (u.password !== undefined) s += `:${escape(u.password, C_PASSWORD)}`;
    s += '@';
  } else if (u.password !== undefined) misuse('SIP URI password without a user');
  if (u.host.includes(':')) {
    if (!validIpv6(u.host)) misuse(`SIP URI host ${excerpt(u.host)} is not an IPv6 address`);
    s += `[${u.host}]`;
  } else {
    if (!validHostname(u.host)) misuse(`SIP URI host ${excerpt(u.host)} is not a host name or address`);
    s += u.host;
  }
  if (u.port !== undefined) {
    if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535) misuse(`SIP URI port must be in 1..65535, got ${u.port}`);
    s += `:${u.port}`;
  }
  s += formatUriParams(u.params);
  if (u.headers !== undefined) {
    if (!validEscaped(u.headers, 0, u.headers.length, C_URIHDR)) misuse(`SIP URI headers ${excerpt(u.headers)} hold characters that must be escaped`);
    s += `?${u.headers}`;
  }
  return s;
}

// =============================================================================================
// name-addr / addr-spec (§20.10, §25.1), header parameters
// =============================================================================================

/** quoted-string at s[pos] === '"': the unescaped contents and the index after the closing quote. */
function readQuoted(s: string, pos: number, end: number): { value: string; end: number } | undefined {
  let value = '';
  let plain = pos + 1;
  for (let i = pos + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      if (i + 1 >= end) return undefined;
      value += s.slice(plain, i);
      plain = i + 1; // the escaped char is kept as the next plain run's first char
      i++;
    } else if (c === 0x22) {
      return { value: value + s.slice(plain, i), end: i + 1 };
    }
  }
  return undefined;
}

/**
 * Header parameters `*( SEMI generic-param )` from s[pos, end), SWS allowed around ';' and '='
 * (§25.1 SEMI, EQUAL). Names lower-cased; a value is a token/host or a quoted string, the latter
 * kept with its quotes as written (`+sip.instance="<urn:…>"`); no value → null. First one wins.
 */
function parseHeaderParams(s: string, pos: number, end: number): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  for (;;) {
    pos = skipWsp(s, pos, end);
    if (pos >= end) return params;
    if (s.charCodeAt(pos) !== 0x3b) return undefined;
    pos = skipWsp(s, pos + 1, end);
    if (pos >= end) return params; // a trailing ';' is read leniently
    const ns = pos;
    while (pos < end && isClass(s.charCodeAt(pos), C_TOKEN)) pos++;
    if (pos === ns) return undefined;
    const name = s.slice(ns, pos).toLowerCase();
    let value: string | null = null;
    const afterName = skipWsp(s, pos, end);
    if (afterName < end && s.charCodeAt(afterName) === 0x3d) {
      pos = skipWsp(s, afterName + 1, end);
      if (pos < end && s.charCodeAt(pos) === 0x22) {
        const q = readQuoted(s, pos, end);
        if (q === undefined) return undefined;
        value = s.slice(pos, q.end);
        pos = q.end;
      } else {
        const vs = pos;
        while (pos < end && isClass(s.charCodeAt(pos), C_GENVALUE)) pos++;
        value = s.slice(vs, pos);
      }
    }
    if (!params.has(name)) params.set(name, value);
  }
}

function formatHeaderParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) {
    if (!isToken(k)) misuse(`header parameter name ${excerpt(k)} is not a token`);
    if (v !== null) {
      const quoted = v.length >= 2 && v.charCodeAt(0) === 0x22 && readQuoted(v, 0, v.length)?.end === v.length;
      if (!quoted && !(v === '' || allClass(v, 0, v.length, C_GENVALUE))) misuse(`header parameter ${k}: value ${excerpt(v)} is neither a token nor a quoted string`);
      if (CTL.test(v)) misuse(`header parameter ${k}: control character in the value`);
    }
    out += v === null ? `;${k}` : `;${k}=${v}`;
  }
  return out;
}

/**
 * Parses a From/To/Contact/Route-style value: `"Display" <uri>;params`, `Display <uri>;params`,
 * `<uri>;params`, or a bare addr-spec `sip:a@b;tag=x` — whose parameters belong to the header,
 * not the URI (§20.10). The display name is unquoted (escapes resolved) or, unquoted, has its
 * whitespace runs folded to one space. A URI that is not sip/sips/tel (`<mailto:…>`), `*`, or
 * anything malformed gives undefined. One element: split lists with getHeaderList first.
 */
export function parseNameAddr(text: string): NameAddr | undefined {
  const end = text.length;
  let pos = skipWsp(text, 0, end);
  let displayName: string | undefined;
  let uriText: string;
  let after: number;
  const c0 = text.charCodeAt(pos);
  let lt = -1;
  if (c0 === 0x22) {
    const q = readQuoted(text, pos, end);
    if (q === undefined) return undefined;
    displayName = q.value;
    pos = skipWsp(text, q.end, end);
    if (text.charCodeAt(pos) !== 0x3c) return undefined;
    lt = pos;
  } else {
    const i = text.indexOf('<', pos);
    const semi = text.indexOf(';', pos);
    const quote = text.indexOf('"', pos);
    if (i >= 0 && (semi < 0 || i < semi) && (quote < 0 || i < quote)) {
      const name = trimWsp(text, pos, i).replace(/[ \t]+/g, ' ');
      if (name.includes('>')) return undefined;
      if (name !== '') displayName = name;
      lt = i;
    }
  }
  if (lt >= 0) {
    const gt = text.indexOf('>', lt + 1);
    if (gt < 0) return undefined;
    uriText = trimWsp(text, lt + 1, gt);
    after = gt + 1;
  } else {
    let stop = text.indexOf(';', pos);
    if (stop < 0) stop = end;
    uriText = trimWsp(text, pos, stop);
    after = stop;
  }
  const uri = parseUri(uriText);
  if (uri === undefined) return undefined;
  const params = parseHeaderParams(text, after, end);
  if (params === undefined) return undefined;
  return { ...(displayName !== undefined ? { displayName } : {}), uri, params };
}

/** Writes `"Display" <uri>;params` (always the bracketed form, so params stay the header's). */
export function formatNameAddr(n: NameAddr): string {
  let s = '';
  if (n.displayName !== undefined) {
    if (CTL.test(n.displayName)) misuse('display name contains a line break or control character');
    s = `"${n.displayName.replace(/[\\"]/g, '\\$&')}" `;
  }
  return `${s}<${formatUri(n.uri)}>${formatHeaderParams(n.params)}`;
}

// =============================================================================================
// Via (§20.42), CSeq (§20.16)
// =============================================================================================

/** Reads a run of `flag` chars from s[pos]; returns its end. */
function run(s: string, pos: number, end: number, flag: number): number {
  while (pos < end && isClass(s.charCodeAt(pos), flag)) pos++;
  return pos;
}

/**
 * Parses one Via value: `SIP/2.0/UDP host[:port];params` — whitespace tolerated around '/' and
 * ':' (§25.1 SLASH, COLON are SWS-wrapped), IPv6 in brackets, transport upper-cased, params as
 * parseNameAddr's (rport without a value → null, `received` may be a bare IPv6 address).
 */
export function parseVia(text: string): Via | undefined {
  const end = text.length;
  let pos = skipWsp(text, 0, end);
  const fields: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (text.charCodeAt(pos) !== 0x2f) return undefined;
      pos = skipWsp(text, pos + 1, end);
    }
    const e = run(text, pos, end, C_TOKEN);
    if (e === pos) return undefined;
    fields.push(text.slice(pos, e));
    pos = skipWsp(text, e, end);
  }
  if (fields[0]!.toUpperCase() !== 'SIP' || fields[1] !== '2.0') return undefined;
  const transport = fields[2]!.toUpperCase();
  let host: string;
  if (text.charCodeAt(pos) === 0x5b) {
    const close = text.indexOf(']', pos);
    if (close < 0) return undefined;
    host = text.slice(pos + 1, close);
    if (!validIpv6(host)) return undefined;
    pos = close + 1;
  } else {
    const e = run(text, pos, end, C_HOST);
    if (e === pos) return undefined;
    host = text.slice(pos, e);
    pos = e;
  }
  let port: number | undefined;
  const colon = skipWsp(text, pos, end);
  if (text.charCodeAt(colon) === 0x3a) {
    const ps = skipWsp(text, colon + 1, end);
    const pe = digitsEnd(text, ps, end);
    port = parsePort(text, ps, pe);
    if (port === undefined) return undefined;
    pos = pe;
  }
  const params = parseHeaderParams(text, pos, end);
  if (params === undefined) return undefined;
  return { transport, host, ...(port !== undefined ? { port } : {}), params };
}

function digitsEnd(s: string, pos: number, end: number): number {
  while (pos < end && s.charCodeAt(pos) >= 0x30 && s.charCodeAt(pos) <= 0x39) pos++;
  return pos;
}

/** Writes `SIP/2.0/UDP host:port;params` (IPv6 in brackets). */
export function formatVia(v: Via): string {
  if (!isToken(v.transport)) misuse(`Via transport ${excerpt(v.transport)} is not a token`);
  let host: string;
  if (v.host.includes(':')) {
    if (!validIpv6(v.host)) misuse(`Via host ${excerpt(v.host)} is not an IPv6 address`);
    host = `[${v.host}]`;
  } else {
    if (!validHostname(v.host)) misuse(`Via host ${excerpt(v.host)} is not a host name or address`);
    host = v.host;
  }
  if (v.port !== undefined && (!Number.isInteger(v.port) || v.port < 1 || v.port > 65535)) misuse(`Via port must be in 1..65535, got ${v.port}`);
  return `SIP/2.0/${v.transport.toUpperCase()} ${host}${v.port !== undefined ? `:${v.port}` : ''}${formatHeaderParams(v.params)}`;
}

/** CSeq = 1*DIGIT LWS Method (§20.16); the number must be below 2**31 (§8.1.1.5). */
export function parseCSeq(text: string): CSeq | undefined {
  const end = text.length;
  const ds = skipWsp(text, 0, end);
  const de = digitsEnd(text, ds, end);
  if (de === ds || de - ds > 10) return undefined;
  const seq = Number(text.slice(ds, de));
  if (seq > 0x7fffffff) return undefined;
  const ms = skipWsp(text, de, end);
  if (ms === de) return undefined;
  const me = run(text, ms, end, C_TOKEN);
  if (me === ms || skipWsp(text, me, end) !== end) return undefined;
  return { seq, method: text.slice(ms, me) };
}

// =============================================================================================
// Building requests and responses
// =============================================================================================

/**
 * A request with the given start line and header lines (names canonicalised, values checked and
 * trimmed). Nothing is added: the caller (the transaction and dialog layers) writes Via, Max-
 * Forwards, From, To, Call-ID, CSeq; Content-Length is set by serializeSipMessage.
 */
export function createRequest(method: string, uri: string, headers: readonly SipHeader[], body?: Uint8Array): SipRequest {
  if (!isToken(method)) misuse(`SIP method must be a token, got ${excerpt(method)}`);
  if (uri === '' || uri.includes(' ') || uri.includes('\t') || CTL.test(uri)) misuse(`bad Request-URI ${excerpt(uri)}`);
  return { kind: 'request', method, uri, headers: headers.map((h) => checkedHeader(h.name, h.value)), body: body ?? new Uint8Array(0) };
}

/** Methods whose 101..299 responses create a dialog: INVITE (§12.1.1), SUBSCRIBE and REFER (RFC 6665 §4.1.2.4, RFC 3515). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/**
 * A response to `req` (§8.2.6.2): every Via in order, From, To (with `;tag=toTag` added when
 * given and the To has no tag yet), Call-ID, CSeq; the Record-Route lines too for a 101..299
 * response to a dialog-creating request (§12.1.1: the UAS copies them into responses that can
 * establish a dialog, early dialogs included); Timestamp for a 100 (§8.2.6.1); Content-Length 0.
 * The reason defaults to reasonPhrase(status). Throws if `req` lacks one of the five mandatory
 * headers (a parsed request never does) or an argument is out of range.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) misuse(`SIP status must be an integer in 100..699, got ${status}`);
  const phrase = reason ?? reasonPhrase(status);
  if (CTL.test(phrase)) misuse('SIP reason phrase contains a line break or control character');
  if (toTag !== undefined && !isToken(toTag)) misuse(`To tag must be a token, got ${excerpt(toTag)}`);
  const vias: SipHeader[] = [];
  const routes: SipHeader[] = [];
  for (const h of req.headers) {
    if (nameIs(h.name, 'Via')) vias.push({ name: 'Via', value: h.value });
    else if (nameIs(h.name, 'Record-Route')) routes.push({ name: 'Record-Route', value: h.value });
  }
  const one = (name: string): string => {
    const v = getHeader(req, name);
    if (v === undefined) misuse(`cannot answer a request without ${name}`);
    return v;
  };
  if (vias.length === 0) misuse('cannot answer a request without Via');
  const from = one('From');
  let to = one('To');
  const callId = one('Call-ID');
  const cseq = one('CSeq');
  if (toTag !== undefined) {
    const na = parseNameAddr(to);
    const tagged = na !== undefined ? na.params.has('tag') : /;[ \t]*tag[ \t]*=/i.test(to);
    if (!tagged) to = `${to};tag=${toTag}`;
  }
  const headers: SipHeader[] = [...vias];
  if (status > 100 && status < 300 && DIALOG_CREATING.has(req.method)) headers.push(...routes);
  headers.push({ name: 'From', value: from }, { name: 'To', value: to }, { name: 'Call-ID', value: callId }, { name: 'CSeq', value: cseq });
  if (status === 100) {
    const ts = getHeader(req, 'Timestamp');
    if (ts !== undefined) headers.push({ name: 'Timestamp', value: ts });
  }
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'response', status, reason: phrase, headers, body: new Uint8Array(0) };
}

/** Reason phrases: RFC 3261 §21 and the registered extensions a fax UA may meet. */
const REASONS: ReadonlyMap<number, string> = new Map([
  [100, 'Trying'],
  [180, 'Ringing'],
  [181, 'Call Is Being Forwarded'],
  [182, 'Queued'],
  [183, 'Session Progress'],
  [199, 'Early Dialog Terminated'], // RFC 6228
  [200, 'OK'],
  [202, 'Accepted'], // RFC 3265
  [204, 'No Notification'], // RFC 5839
  [300, 'Multiple Choices'],
  [301, 'Moved Permanently'],
  [302, 'Moved Temporarily'],
  [305, 'Use Proxy'],
  [380, 'Alternative Service'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [410, 'Gone'],
  [412, 'Conditional Request Failed'], // RFC 3903
  [413, 'Request Entity Too Large'],
  [414, 'Request-URI Too Long'],
  [415, 'Unsupported Media Type'],
  [416, 'Unsupported URI Scheme'],
  [417, 'Unknown Resource-Priority'], // RFC 4412
  [420, 'Bad Extension'],
  [421, 'Extension Required'],
  [422, 'Session Interval Too Small'], // RFC 4028
  [423, 'Interval Too Brief'],
  [424, 'Bad Location Information'], // RFC 6442
  [428, 'Use Identity Header'], // RFC 4474
  [429, 'Provide Referrer Identity'], // RFC 3892
  [430, 'Flow Failed'], // RFC 5626
  [433, 'Anonymity Disallowed'], // RFC 5079
  [436, 'Bad Identity-Info'],
  [437, 'Unsupported Certificate'],
  [438, 'Invalid Identity Header'],
  [439, 'First Hop Lacks Outbound Support'], // RFC 5626
  [440, 'Max-Breadth Exceeded'], // RFC 5393
  [469, 'Bad Info Package'], // RFC 6086
  [470, 'Consent Needed'], // RFC 5360
  [480, 'Temporarily Unavailable'],
  [481, 'Call/Transaction Does Not Exist'],
  [482, 'Loop Detected'],
  [483, 'Too Many Hops'],
  [484, 'Address Incomplete'],
  [485, 'Ambiguous'],
  [486, 'Busy Here'],
  [487, 'Request Terminated'],
  [488, 'Not Acceptable Here'],
  [489, 'Bad Event'], // RFC 3265
  [491, 'Request Pending'],
  [493, 'Undecipherable'],
  [494, 'Security Agreement Required'], // RFC 3329
  [500, 'Server Internal Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Server Time-out'],
  [505, 'Version Not Supported'],
  [513, 'Message Too Large'],
  [580, 'Precondition Failure'], // RFC 3312
  [600, 'Busy Everywhere'],
  [603, 'Decline'],
  [604, 'Does Not Exist Anywhere'],
  [606, 'Not Acceptable'],
  [607, 'Unwanted'], // RFC 8197
  [608, 'Rejected'], // RFC 8688
]);

/** The class names of §7.2, for codes without a registered phrase. */
const CLASS_REASONS = ['Provisional', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'] as const;

/** The reason phrase for a status code (the registered one, else its class's name); throws outside 100..699. */
export function reasonPhrase(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 699) misuse(`SIP status must be an integer in 100..699, got ${status}`);
  return REASONS.get(status) ?? CLASS_REASONS[Math.floor(status / 100) - 1]!;
}
