/**
 * HTTP Digest authentication as SIP uses it (RFC 3261 §22.4, which takes RFC 2617's scheme;
 * RFC 7616 for the SHA-256 algorithms; RFC 8760 for SIP's use of them): reading a
 * WWW-Authenticate / Proxy-Authenticate challenge, answering it, and — for faxwire's own test
 * registrar and for tests — issuing a challenge and checking an answer. Sans-IO: hashing comes
 * from node:crypto, randomness (the cnonce) is injected.
 *
 * ```
 *  H(x)      MD5 or SHA-256 of x, written as lower-case hex            (RFC 7616 §3.4.2)
 *  KD(s, d)  H(s ":" d)
 *  A1        username ":" realm ":" password                           (MD5, SHA-256)
 *            H(username ":" realm ":" password) ":" nonce ":" cnonce   (the "-sess" variants)
 *  A2        method ":" digest-uri                                     (qop absent or "auth")
 *            method ":" digest-uri ":" H(body)                         (qop "auth-int")
 *  response  KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))       (qop present)
 *            KD(H(A1), nonce ":" H(A2))                                (no qop: RFC 2069 style)
 * ```
 * Choices made here, and why:
 * - Several challenges (several header lines, or several in one line as RFC 7235 §4.1 allows):
 *   RFC 8760 §2.4 lets the server list them most-preferred first and the client take the first
 *   it supports unless local policy says otherwise. Our local policy: the SHA-256 family beats
 *   MD5 whatever the order (a proxy or attacker that puts MD5 first gains nothing), and within a
 *   family the topmost wins. SHA-512-256, AKA and unknown algorithms are skipped.
 * - qop: "auth" when offered; "auth-int" only when it is the only one (it hashes the body, which
 *   a proxy or B2BUA rewriting SDP breaks). A challenge whose qop list names neither is not
 *   answerable and is treated as unsupported. No qop at all is answered RFC 2069 style.
 * - The Authorization value always names the algorithm (RFC 3261 §22.4 permits it, and SIP
 *   registrars — Asterisk, Kamailio, OpenSIPS — accept `algorithm=MD5`) and echoes `opaque`.
 * - Not done: `userhash` and `username*` (RFC 7616 §3.4.4, non-ASCII names) — SIP deployments
 *   use plain ASCII user names; `Authentication-Info` / `rspauth` (mutual authentication).
 * - A 401/407 to a request that already carried our credentials, with stale=false, means the
 *   password is wrong (RFC 3261 §22.2, §22.3): the UA must not answer it again — see
 *   `digestRetryAllowed`. stale=true means only the nonce expired: answer the new nonce.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { invalid } from '../util/check.js';
import { systemRandom32, type Random32 } from '../util/random.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  readonly scheme: 'Digest';
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: DigestAlgorithm;
  /** qop options as offered, lower-cased ('auth', 'auth-int'); empty: none offered (RFC 2069 style). */
  readonly qop: readonly string[];
  readonly stale: boolean;
  readonly domain?: string;
}

export interface DigestCredentials {
  readonly username: string;
  readonly password: string;
}

export interface DigestAnswerInput {
  readonly challenge: DigestChallenge;
  readonly credentials: DigestCredentials;
  /** The request method (REGISTER, INVITE, …; for ACK and CANCEL the INVITE's credentials are reused, RFC 3261 §22.1). */
  readonly method: string;
  /** The Request-URI, as written in the request line (RFC 3261 §22.4: digest-uri). */
  readonly uri: string;
  /** The message body, hashed for qop=auth-int. */
  readonly body?: Uint8Array;
  readonly cnonce: string;
  /** Nonce count, 1 for the first request with this nonce (written as 8 hex digits). */
  readonly nc: number;
}

export interface DigestResponseParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  cnonce?: string;
  nc?: string;
  qop?: string;
  opaque?: string;
}

/** Longest header value read; SIP header lines are bounded far below this anyway. */
const MAX_VALUE = 8192;
/** Parameters per challenge or credentials (RFC 7616 defines about a dozen). */
const MAX_PARAMS = 32;
/** Challenges read from one header value. */
const MAX_CHALLENGES = 8;
/** qop options kept from one challenge. */
const MAX_QOP = 8;
/** Nonces whose counts a DigestClient remembers (least recently used forgotten first). */
const MAX_CLIENT_NONCES = 32;

const ALGORITHMS: Readonly<Record<string, DigestAlgorithm>> = {
  md5: 'MD5',
  'md5-sess': 'MD5-sess',
  'sha-256': 'SHA-256',
  'sha-256-sess': 'SHA-256-sess',
};

/** RFC 7230 §3.2.6 tchar (a superset of RFC 3261's token characters). */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

interface AuthItem {
  readonly scheme: string;
  /** Names lower-cased; undefined if a parameter name repeated (RFC 7616 §3.3: at most once). */
  readonly params: Map<string, string> | undefined;
}

/**
 * Reads `scheme param=value, param="quoted", … [, scheme …]` (RFC 7235 §2.1, §4.1; RFC 3261
 * §25.1 quoted-string with quoted-pair escapes). Values may be tokens or quoted strings whatever
 * the parameter (field gear quotes `algorithm` and leaves `qop` bare). Returns undefined when the
 * text is not in that shape. Never throws.
 */
function parseAuthItems(value: string): AuthItem[] | undefined {
  if (value.length > MAX_VALUE) return undefined;
  const s = value;
  let i = 0;
  const ws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\r' || s[i] === '\n')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i] ?? '')) i++;
    return s.slice(start, i);
  };
  const items: AuthItem[] = [];
  let current: { scheme: string; params: Map<string, string> | undefined; count: number } | undefined;
  ws();
  while (i < s.length) {
    if (s[i] === ',') {
      i++;
      ws();
      continue;
    }
    const start = i;
    const name = token();
    if (name === '') return undefined;
    ws();
    if (s[i] !== '=') {
      // A token not followed by '=' starts a new challenge: `Digest realm=…, Basic realm=…`.
      if (items.length >= MAX_CHALLENGES) break;
      current = { scheme: name, params: new Map(), count: 0 };
      items.push(current);
      if (i === start + name.length && i < s.length && s[i] !== ',') return undefined; // scheme glued to something
      continue;
    }
    if (current === undefined) return undefined; // a parameter before any scheme
    i++; // '='
    ws();
    let v: string;
    if (s[i] === '"') {
      i++;
      let out = '';
      let closed = false;
      while (i < s.length) {
        const c = s[i] ?? '';
        if (c === '\\' && i + 1 < s.length) {
          out += s[i + 1] ?? '';
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return undefined;
      v = out;
    } else {
      const vs = i;
      while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t' && s[i] !== '"') i++;
      v = s.slice(vs, i);
      if (v === '') return undefined;
    }
    ws();
    if (i < s.length && s[i] !== ',') return undefined;
    if (++current.count > MAX_PARAMS) return undefined;
    const key = name.toLowerCase();
    if (current.params !== undefined) {
      if (current.params.has(key)) current.params = undefined;
      else current.params.set(key, v);
    }
  }
  return items.map((it) => ({ scheme: it.scheme, params: it.params }));
}

function challengeFrom(item: AuthItem): DigestChallenge | undefined {
  const p = item.params;
  if (item.scheme.toLowerCase() !== 'digest' || p === undefined) return undefined;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined || nonce === '') return undefined;
  const algName = p.get('algorithm');
  const algorithm = algName === undefined ? 'MD5' : ALGORITHMS[algName.toLowerCase()];
  if (algorithm === undefined) return undefined;
  const qopText = p.get('qop');
  const qop =
    qopText === undefined
      ? []
      : qopText
          .split(',')
          .map((q) => q.trim().toLowerCase())
          .filter((q) => q !== '')
          .slice(0, MAX_QOP);
  if (qopText !== undefined && !qop.includes('auth') && !qop.includes('auth-int')) return undefined;
  const opaque = p.get('opaque');
  const domain = p.get('domain');
  return {
    scheme: 'Digest',
    realm,
    nonce,
    algorithm,
    qop,
    stale: (p.get('stale') ?? '').toLowerCase() === 'true',
    ...(opaque !== undefined ? { opaque } : {}),
    ...(domain !== undefined ? { domain } : {}),
  };
}

/**
 * Reads a WWW-Authenticate or Proxy-Authenticate value. Returns the first challenge of the value
 * when it is a Digest challenge this end can answer (algorithm MD5, MD5-sess, SHA-256 or
 * SHA-256-sess; realm and nonce present; qop, if given, names auth or auth-int), otherwise
 * undefined. Parameter names in any case, values quoted or bare, escapes undone. Never throws.
 */
export function parseDigestChallenge(value: string): DigestChallenge | undefined {
  const items = parseAuthItems(value);
  const first = items?.[0];
  return first === undefined ? undefined : challengeFrom(first);
}

function strength(a: DigestAlgorithm): number {
  return a === 'SHA-256' || a === 'SHA-256-sess' ? 2 : 1;
}

/**
 * The challenge to answer among the values of all WWW-Authenticate (or Proxy-Authenticate) lines
 * of a response (RFC 8760 §2.4, with the local policy described at the top: SHA-256 over MD5,
 * then the topmost). Unsupported and malformed challenges are skipped. Never throws.
 */
export function chooseChallenge(values: readonly string[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const v of values.slice(0, MAX_CHALLENGES * 4)) {
    for (const item of parseAuthItems(v) ?? []) {
      const c = challengeFrom(item);
      if (c !== undefined && (best === undefined || strength(c.algorithm) > strength(best.algorithm))) best = c;
    }
  }
  return best;
}

function hashHex(alg: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(strength(alg) === 2 ? 'sha256' : 'md5')
    .update(data)
    .digest('hex');
}

/** RFC 3261 §25.1 quoted-string: `"` and `\` escaped. */
function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function computeResponse(
  alg: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
  nonce: string,
  method: string,
  uri: string,
  qop: string | undefined,
  nc: string | undefined,
  cnonce: string | undefined,
  body: Uint8Array | undefined,
): string {
  let ha1 = hashHex(alg, `${username}:${realm}:${password}`);
  if (alg === 'MD5-sess' || alg === 'SHA-256-sess') ha1 = hashHex(alg, `${ha1}:${nonce}:${cnonce ?? ''}`);
  const a2 = qop === 'auth-int' ? `${method}:${uri}:${hashHex(alg, body ?? new Uint8Array(0))}` : `${method}:${uri}`;
  const ha2 = hashHex(alg, a2);
  return qop === undefined ? hashHex(alg, `${ha1}:${nonce}:${ha2}`) : hashHex(alg, `${ha1}:${nonce}:${nc ?? ''}:${cnonce ?? ''}:${qop}:${ha2}`);
}

/** The qop this end answers with: 'auth' if offered, else 'auth-int' if offered, else none. */
function chooseQop(c: DigestChallenge): 'auth' | 'auth-int' | undefined {
  if (c.qop.includes('auth')) return 'auth';
  if (c.qop.includes('auth-int')) return 'auth-int';
  if (c.qop.length > 0) invalid(`digest challenge offers qop ${c.qop.join(',')} but neither auth nor auth-int`);
  return undefined;
}

/**
 * The Authorization / Proxy-Authorization value answering `i.challenge` (RFC 3261 §22.4, RFC 7616
 * §3.4). Throws FaxwireError for a nonce count outside 1..2^32-1, an empty cnonce, or a challenge
 * whose qop list has nothing answerable (parseDigestChallenge never returns such a challenge).
 */
export function digestAuthorization(i: DigestAnswerInput): string {
  const c = i.challenge;
  if (!Number.isInteger(i.nc) || i.nc < 1 || i.nc > 0xffffffff) invalid(`digest nc = ${i.nc}, must be an integer in 1..2^32-1`);
  if (i.cnonce === '') invalid('digest cnonce must not be empty');
  const qop = chooseQop(c);
  const sess = c.algorithm === 'MD5-sess' || c.algorithm === 'SHA-256-sess';
  const nc = i.nc.toString(16).padStart(8, '0');
  const response = computeResponse(c.algorithm, i.credentials.username, c.realm, i.credentials.password, c.nonce, i.method, i.uri, qop, nc, qop !== undefined || sess ? i.cnonce : undefined, i.body);
  const parts = [`username=${quote(i.credentials.username)}`, `realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`, `uri=${quote(i.uri)}`, `response=${quote(response)}`, `algorithm=${c.algorithm}`];
  // With qop, cnonce and nc are required (RFC 7616 §3.4); a -sess answer without qop still needs the cnonce that went into A1.
  if (qop !== undefined || sess) parts.push(`cnonce=${quote(i.cnonce)}`);
  if (qop !== undefined) parts.push(`nc=${nc}`, `qop=${qop}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * Reads an Authorization / Proxy-Authorization value (server side). Undefined unless it is a
 * Digest answer with username, realm, nonce, uri and response, a supported algorithm (default
 * MD5), and — when qop is given — cnonce and nc. Never throws.
 */
export function parseDigestCredentials(value: string): DigestResponseParams | undefined {
  const item = parseAuthItems(value)?.[0];
  const p = item?.params;
  if (item === undefined || p === undefined || item.scheme.toLowerCase() !== 'digest') return undefined;
  const username = p.get('username');
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return undefined;
  const algName = p.get('algorithm');
  const algorithm = algName === undefined ? 'MD5' : ALGORITHMS[algName.toLowerCase()];
  if (algorithm === undefined) return undefined;
  const out: DigestResponseParams = { username, realm, nonce, uri, response, algorithm };
  const qop = p.get('qop');
  const cnonce = p.get('cnonce');
  const nc = p.get('nc');
  const opaque = p.get('opaque');
  if (qop !== undefined) {
    if (cnonce === undefined || nc === undefined) return undefined;
    out.qop = qop.toLowerCase();
  }
  if (cnonce !== undefined) out.cnonce = cnonce;
  if (nc !== undefined) out.nc = nc;
  if (opaque !== undefined) out.opaque = opaque;
  return out;
}

/**
 * Whether `p` proves knowledge of `password` for `method` (and `body`, for auth-int), by the
 * formulas at the top; the comparison runs in constant time. The caller still checks what is
 * policy, not arithmetic: that realm and nonce are ones it issued and still honours, that nc
 * grows, that uri matches the Request-URI (RFC 3261 §22.4). Never throws.
 */
export function verifyDigest(p: DigestResponseParams, password: string, method: string, body?: Uint8Array): boolean {
  const qop = p.qop;
  if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return false;
  if (qop !== undefined && (p.cnonce === undefined || p.nc === undefined || !/^[0-9a-fA-F]{1,8}$/.test(p.nc))) return false;
  const sess = p.algorithm === 'MD5-sess' || p.algorithm === 'SHA-256-sess';
  if (sess && p.cnonce === undefined) return false;
  if (ALGORITHMS[String(p.algorithm).toLowerCase()] !== p.algorithm) return false;
  const want = computeResponse(p.algorithm, p.username, p.realm, password, p.nonce, method, p.uri, qop, p.nc, p.cnonce, body);
  const got = Buffer.from(String(p.response).toLowerCase(), 'utf8');
  const exp = Buffer.from(want, 'utf8');
  // The length of a hex digest is public (it follows from the algorithm); only the content is compared in constant time.
  return got.length === exp.length && timingSafeEqual(got, exp);
}

/**
 * A WWW-Authenticate / Proxy-Authenticate value (server side): qop "auth" is always offered
 * (RFC 7616 §3.3 makes qop mandatory; RFC 2069-style answers are for old clients only).
 * Throws FaxwireError for an empty nonce.
 */
export function digestChallengeHeader(realm: string, nonce: string, algorithm: DigestAlgorithm, opaque?: string): string {
  if (nonce === '') invalid('digest nonce must not be empty');
  const parts = [`realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `algorithm=${algorithm}`, 'qop="auth"'];
  if (opaque !== undefined) parts.push(`opaque=${quote(opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * Whether a UA may answer `challenge` (RFC 3261 §22.2, §22.3): always when the request it
 * answers carried no credentials for that realm; otherwise only when the server says stale=true
 * (our answer was right but the nonce had expired) — a second plain challenge means the
 * credentials were refused, and retrying them would loop.
 */
export function digestRetryAllowed(challenge: DigestChallenge, requestHadCredentials: boolean): boolean {
  return !requestHadCredentials || challenge.stale;
}

/**
 * A client's answers to Digest challenges, keeping the nonce count of each (realm, nonce)
 * (RFC 7616 §3.4: nc counts the requests sent with one nonce, from 1, so that the server can
 * detect replays). A new nonce — after stale=true, or a new challenge — starts again at 1.
 * `random` draws 32-bit unsigned integers (the house `Random32`) for the cnonce: 128 bits.
 */
export class DigestClient {
  private readonly credentials: DigestCredentials;
  private readonly random: Random32;
  /** `realm \0 nonce` → last nc used, most recently used last. */
  private readonly counts = new Map<string, number>();

  constructor(credentials: DigestCredentials, random: Random32 = systemRandom32) {
    this.credentials = credentials;
    this.random = random;
  }

  /**
   * The Authorization / Proxy-Authorization value answering the best of `challengeValues` (the
   * values of every WWW-Authenticate or Proxy-Authenticate line of one 401/407), or undefined
   * when none is a supported Digest challenge. Calling it again with the same challenge (to send
   * another request with that nonce) counts nc up.
   */
  authorize(challengeValues: readonly string[], method: string, uri: string, body?: Uint8Array): string | undefined {
    const challenge = chooseChallenge(challengeValues);
    if (challenge === undefined) return undefined;
    const key = `${challenge.realm}\u0000${challenge.nonce}`;
    const nc = (this.counts.get(key) ?? 0) + 1;
    this.counts.delete(key);
    if (nc <= 0xffffffff) this.counts.set(key, nc);
    while (this.counts.size > MAX_CLIENT_NONCES) {
      const oldest = this.counts.keys().next();
      if (oldest.done === true) break;
      this.counts.delete(oldest.value);
    }
    if (nc > 0xffffffff) return undefined; // 4 billion requests on one nonce: wait for a fresh one
    let cnonce = '';
    for (let k = 0; k < 4; k++) cnonce += (this.random() >>> 0).toString(16).padStart(8, '0');
    return digestAuthorization({ challenge, credentials: this.credentials, method, uri, cnonce, nc, ...(body !== undefined ? { body } : {}) });
  }

  /** The nc last used with (realm, nonce), 0 if none (diagnostics and tests). */
  nonceCount(realm: string, nonce: string): number {
    return this.counts.get(`${realm}\u0000${nonce}`) ?? 0;
  }
}
