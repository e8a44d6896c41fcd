/**
 * SIP messages (src/sip/message.ts): vectors for every function — parse, serialize, the stream
 * framer, header access, URI / name-addr / Via / CSeq readers and writers, request and response
 * building — and fast-check properties: serialize→parse round trip, the stream framer against
 * the datagram parser under any chunking, and parse∘format round trips of URIs, name-addrs and
 * Via values. The torture set (RFC 4475 in spirit) is in message-torture.test.ts.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addHeader,
  canonicalHeaderName,
  createRequest,
  createResponse,
  formatNameAddr,
  formatUri,
  formatVia,
  getHeader,
  getHeaderList,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  parseUri,
  parseVia,
  reasonPhrase,
  removeHeader,
  serializeSipMessage,
  setHeader,
  SipStreamFramer,
  type NameAddr,
  type SipHeader,
  type SipMessage,
  type SipParseResult,
  type SipRequest,
  type SipUri,
  type Via,
} from '../../../src/sip/message.js';
import { FaxwireError } from '../../../src/util/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const crlf = (lines: readonly string[]): string => lines.map((l) => `${l}\r\n`).join('');

const SDP = crlf(['v=0', 'o=fax 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=image 4000 udptl t38', 'a=T38FaxVersion:0']);

const INVITE = crlf([
  'INVITE sip:fax@gw.example.net SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1a2b3c',
  'Max-Forwards: 70',
  'From: "Fax Sender" <sip:4930123@example.org>;tag=f00d',
  'To: <sip:fax@gw.example.net>',
  'Call-ID: 3f9a8c@192.0.2.10',
  'CSeq: 10 INVITE',
  'Contact: <sip:4930123@192.0.2.10:5060>',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
]) + SDP;

const OK = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1a2b3c;received=192.0.2.10',
  'From: "Fax Sender" <sip:4930123@example.org>;tag=f00d',
  'To: <sip:fax@gw.example.net>;tag=77',
  'Call-ID: 3f9a8c@192.0.2.10',
  'CSeq: 10 INVITE',
  'Content-Length: 0',
  '',
]);

function ok(r: SipParseResult): { message: SipMessage; bytesRead: number } {
  if (!r.ok) assert.fail(`expected a message, got ${r.error.code}: ${r.error.detail}`);
  return r;
}

function errCode(r: SipParseResult | undefined): string {
  if (r === undefined) return 'undefined';
  return r.ok ? 'ok' : r.error.code;
}

function throwsCode(f: () => unknown, code = 'FAXWIRE_ERR_INVALID_ARGUMENT'): void {
  assert.throws(f, (e: unknown) => e instanceof FaxwireError && e.code === code);
}

describe('parseSipMessage', () => {
  it('reads an INVITE with SDP: start line, headers in order with canonical names, body', () => {
    const b = enc(INVITE);
    const { message: m, bytesRead } = ok(parseSipMessage(b));
    assert.equal(bytesRead, b.length);
    assert.equal(m.kind, 'request');
    if (m.kind !== 'request') return;
    assert.equal(m.method, 'INVITE');
    assert.equal(m.uri, 'sip:fax@gw.example.net');
    assert.deepEqual(
      m.headers.map((h) => h.name),
      ['Via', 'Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type', 'Content-Length'],
    );
    assert.equal(getHeader(m, 'from'), '"Fax Sender" <sip:4930123@example.org>;tag=f00d');
    assert.equal(dec(m.body), SDP);
    assert.ok(m.body instanceof Uint8Array && m.body.buffer !== b.buffer, 'the body is a copy');
  });

  it('reads a response; the reason may be empty or missing', () => {
    const { message: m } = ok(parseSipMessage(enc(OK)));
    assert.equal(m.kind, 'response');
    if (m.kind !== 'response') return;
    assert.equal(m.status, 200);
    assert.equal(m.reason, 'OK');
    assert.equal(m.body.length, 0);
    for (const [line, reason] of [
      ['SIP/2.0 183 ', ''],
      ['SIP/2.0 183', ''],
      ['SIP/2.0 480 Temporarily  Unavailable', 'Temporarily  Unavailable'],
      ['SIP/2.0 603 Décliné', 'Décliné'],
    ] as const) {
      const r = ok(parseSipMessage(enc(OK.replace('SIP/2.0 200 OK', line))));
      assert.equal(r.message.kind === 'response' && r.message.reason, reason, line);
    }
  });

  it('start-line errors', () => {
    const cases: [string, string][] = [
      ['SIP/2.0 99 Odd', 'bad-start-line'],
      ['SIP/2.0 700 Too High', 'bad-start-line'],
      ['SIP/2.0 099 Low', 'bad-start-line'],
      ['SIP/2.0 2000 OK', 'bad-start-line'],
      ['SIP/2.0 20x OK', 'bad-start-line'],
      ['SIP/3.0 200 OK', 'bad-version'],
      ['SIP/2.1 200 OK', 'bad-version'],
      ['HTTP/1.1 200 OK', 'bad-start-line'],
    ];
    for (const [line, code] of cases) assert.equal(errCode(parseSipMessage(enc(OK.replace('SIP/2.0 200 OK', line)))), code, line);
    const req: [string, string][] = [
      ['INVITE sip:fax@gw.example.net SIP/2.0', 'ok'],
      ['INVITE sip:fax@gw.example.net SIP/1.0', 'bad-version'],
      ['INVITE sip:fax@gw.example.net sip/2.0', 'ok'],
      ['INVITE sip:fax@gw.example.net HTTP/1.1', 'bad-start-line'],
      ['INVITE  sip:fax@gw.example.net SIP/2.0', 'bad-start-line'],
      ['INVITE sip:fax@gw.example.net', 'bad-start-line'],
      ['INV(ITE sip:fax@gw.example.net SIP/2.0', 'bad-start-line'],
      ['INVITE sip:fax@gw.example.net SIP/2.0   ', 'ok'],
    ];
    for (const [line, code] of req) assert.equal(errCode(parseSipMessage(enc(INVITE.replace('INVITE sip:fax@gw.example.net SIP/2.0', line)))), code, line);
  });

  it('mandatory headers, CSeq, Content-Length', () => {
    const without = (name: string): string =>
      INVITE.split('\r\n')
        .filter((l) => !l.startsWith(`${name}:`))
        .join('\r\n');
    for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      const r = parseSipMessage(enc(without(h)));
      assert.deepEqual(r, { ok: false, error: { code: 'missing-header', detail: `missing ${h}` } });
    }
    assert.deepEqual(parseSipMessage(enc(INVITE.replace('Call-ID: 3f9a8c@192.0.2.10', 'Call-ID:'))), {
      ok: false,
      error: { code: 'missing-header', detail: 'missing Call-ID' },
    });
    assert.equal(errCode(parseSipMessage(enc(INVITE.replace('CSeq: 10 INVITE', 'CSeq: 10 BYE')))), 'bad-cseq');
    assert.equal(errCode(parseSipMessage(enc(INVITE.replace('CSeq: 10 INVITE', 'CSeq: ten INVITE')))), 'bad-cseq');
    // A response's CSeq method is that of the request it answers: no comparison.
    assert.equal(errCode(parseSipMessage(enc(OK.replace('CSeq: 10 INVITE', 'CSeq: 10 BYE')))), 'ok');
    assert.equal(errCode(parseSipMessage(enc(OK.replace('Content-Length: 0', 'Content-Length: x')))), 'bad-content-length');
    assert.equal(errCode(parseSipMessage(enc(OK.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 1')))), 'bad-content-length');
    assert.equal(errCode(parseSipMessage(enc(OK.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 000')))), 'ok');
  });

  it('datagram body: rest without Content-Length, cut to it when shorter, truncated when longer', () => {
    const noLength = OK.replace('Content-Length: 0\r\n', '') + 'hello';
    const a = ok(parseSipMessage(enc(noLength)));
    assert.equal(dec(a.message.body), 'hello');
    assert.equal(a.bytesRead, noLength.length);
    const longer = OK.replace('Content-Length: 0', 'Content-Length: 3') + 'hello';
    const b = ok(parseSipMessage(enc(longer)));
    assert.equal(dec(b.message.body), 'hel');
    assert.equal(b.bytesRead, longer.length - 2);
    assert.deepEqual(parseSipMessage(enc(OK.replace('Content-Length: 0', 'Content-Length: 9') + 'hello')), {
      ok: false,
      error: { code: 'truncated', detail: 'Content-Length 9, 5 octets of body' },
    });
  });

  it('limits: too-large, too-many-headers, line-too-long, body-too-large; invalid limits throw', () => {
    const b = enc(INVITE);
    assert.equal(errCode(parseSipMessage(b, { maxMessageBytes: b.length - 1 })), 'too-large');
    assert.equal(errCode(parseSipMessage(b, { maxMessageBytes: b.length })), 'ok');
    assert.equal(errCode(parseSipMessage(b, { maxHeaders: 8 })), 'too-many-headers');
    assert.equal(errCode(parseSipMessage(b, { maxHeaders: 9 })), 'ok');
    const longest = Math.max(...INVITE.split('\r\n\r\n')[0]!.split('\r\n').map((l) => l.length));
    assert.equal(errCode(parseSipMessage(b, { maxLineBytes: longest - 1 })), 'line-too-long');
    assert.equal(errCode(parseSipMessage(b, { maxLineBytes: longest })), 'ok');
    assert.equal(errCode(parseSipMessage(b, { maxBodyBytes: SDP.length - 1 })), 'body-too-large');
    assert.equal(errCode(parseSipMessage(b, { maxBodyBytes: SDP.length })), 'ok');
    throwsCode(() => parseSipMessage(b, { maxHeaders: 0 }));
    throwsCode(() => parseSipMessage(b, { maxLineBytes: 1.5 }));
    throwsCode(() => new SipStreamFramer({ maxMessageBytes: -1 }));
  });

  it('empty input and keep-alives', () => {
    assert.deepEqual(parseSipMessage(new Uint8Array(0)), { ok: false, error: { code: 'empty', detail: 'no octets' } });
    assert.equal(errCode(parseSipMessage(enc('\r\n\r\n'))), 'empty');
  });
});

describe('serializeSipMessage', () => {
  it('writes canonical names, CRLF, Content-Length from the body (rewritten in place, duplicates dropped)', () => {
    const m: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri: 'sip:gw.example.net',
      headers: [
        { name: 'v', value: 'SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1' },
        { name: 'content-length', value: '99' },
        { name: 'call-id', value: 'c1' },
        { name: 'Content-Length', value: '7' },
        { name: 'x-fax-id', value: '' },
      ],
      body: enc('abc'),
    };
    assert.equal(
      dec(serializeSipMessage(m)),
      'OPTIONS sip:gw.example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\nContent-Length: 3\r\nCall-ID: c1\r\nX-Fax-Id: \r\n\r\nabc',
    );
    const r = createResponse(ok(parseSipMessage(enc(INVITE))).message as SipRequest, 486);
    removeHeader(r, 'Content-Length');
    assert.ok(dec(serializeSipMessage(r)).startsWith('SIP/2.0 486 Busy Here\r\nVia: '));
    assert.ok(dec(serializeSipMessage(r)).endsWith('CSeq: 10 INVITE\r\nContent-Length: 0\r\n\r\n'));
  });

  it('writes non-ASCII text as UTF-8', () => {
    const m = createRequest('MESSAGE', 'sip:a@b', [{ name: 'Subject', value: 'Fax für Zoë ✓' }], enc('ü'));
    const out = serializeSipMessage(m);
    assert.equal(dec(out), 'MESSAGE sip:a@b SIP/2.0\r\nSubject: Fax für Zoë ✓\r\nContent-Length: 2\r\n\r\nü');
  });

  it('throws on what would not parse back', () => {
    const base = (): SipRequest => createRequest('OPTIONS', 'sip:a@b', []);
    throwsCode(() => serializeSipMessage({ ...base(), headers: [{ name: 'Sub ject', value: 'x' }] }));
    throwsCode(() => serializeSipMessage({ ...base(), headers: [{ name: 'Subject', value: 'x\r\nVia: evil' }] }));
    throwsCode(() => serializeSipMessage({ ...base(), method: 'OPT IONS' }));
    throwsCode(() => serializeSipMessage({ ...base(), uri: 'sip:a b' }));
    throwsCode(() => serializeSipMessage({ ...base(), uri: 'sip:a\r\nVia:x' }));
    throwsCode(() => serializeSipMessage({ ...base(), headers: [{ name: 'Subject', value: 'x\u007f' }] }));
    throwsCode(() => serializeSipMessage({ kind: 'response', status: 99, reason: 'x', headers: [], body: new Uint8Array(0) }));
    throwsCode(() => serializeSipMessage({ kind: 'response', status: 200, reason: 'O\nK', headers: [], body: new Uint8Array(0) }));
  });
});

describe('header access', () => {
  it('canonicalHeaderName: compact forms, any case, irregular spellings, the dash rule', () => {
    const cases: [string, string][] = [
      ['i', 'Call-ID'], ['F', 'From'], ['t', 'To'], ['v', 'Via'], ['m', 'Contact'], ['l', 'Content-Length'],
      ['c', 'Content-Type'], ['k', 'Supported'], ['s', 'Subject'], ['e', 'Content-Encoding'], ['o', 'Event'],
      ['x', 'Session-Expires'], ['r', 'Refer-To'], ['u', 'Allow-Events'], ['b', 'Referred-By'],
      ['a', 'Accept-Contact'], ['j', 'Reject-Contact'], ['D', 'Request-Disposition'],
      ['call-id', 'Call-ID'], ['CALL-ID', 'Call-ID'], ['cseq', 'CSeq'], ['www-authenticate', 'WWW-Authenticate'],
      ['max-forwards', 'Max-Forwards'], ['CONTENT-LENGTH', 'Content-Length'], ['session-expires', 'Session-Expires'],
      ['min-se', 'Min-SE'], ['record-route', 'Record-Route'], ['p-asserted-identity', 'P-Asserted-Identity'],
      ['rack', 'RAck'], ['sip-etag', 'SIP-ETag'], ['mime-version', 'MIME-Version'],
      ['x-asterisk-HANGUPCAUSE', 'X-Asterisk-Hangupcause'], ['q', 'Q'], ['x--y', 'X--Y'],
    ];
    for (const [i, o] of cases) assert.equal(canonicalHeaderName(i), o, i);
  });

  it('getHeader / getHeaderList: every spelling, comma lists split outside quotes and <>, auth and Date whole', () => {
    const m = createRequest('INVITE', 'sip:a@b', [
      { name: 'Via', value: 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2' },
      { name: 'v', value: 'SIP/2.0/UDP c;branch=z9hG4bK3' },
      { name: 'Contact', value: '"Doe, John" <sip:j@x;a=1>;q=0.5, <sip:k@y>,, ' },
      { name: 'Allow', value: 'INVITE,ACK ,BYE' },
      { name: 'WWW-Authenticate', value: 'Digest realm="r", nonce="n", algorithm=MD5' },
      { name: 'Date', value: 'Sat, 13 Nov 2010 23:29:00 GMT' },
      { name: 'X-List', value: 'a, "b,c" , d' },
    ]);
    assert.equal(getHeader(m, 'VIA'), 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2');
    assert.equal(getHeader(m, 'Route'), undefined);
    assert.deepEqual(getHeaderList(m, 'v'), ['SIP/2.0/UDP a;branch=z9hG4bK1', 'SIP/2.0/UDP b;branch=z9hG4bK2', 'SIP/2.0/UDP c;branch=z9hG4bK3']);
    assert.deepEqual(getHeaderList(m, 'm'), ['"Doe, John" <sip:j@x;a=1>;q=0.5', '<sip:k@y>']);
    assert.deepEqual(getHeaderList(m, 'allow'), ['INVITE', 'ACK', 'BYE']);
    assert.deepEqual(getHeaderList(m, 'www-authenticate'), ['Digest realm="r", nonce="n", algorithm=MD5']);
    assert.deepEqual(getHeaderList(m, 'Date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
    assert.deepEqual(getHeaderList(m, 'X-List'), ['a', '"b,c"', 'd']);
    assert.deepEqual(getHeaderList(m, 'Route'), []);
    // A hand-built message with a non-canonical stored name is still found.
    const raw: SipMessage = { kind: 'response', status: 200, reason: 'OK', headers: [{ name: 'i', value: 'x' }, { name: 'call-ID', value: 'y' }], body: new Uint8Array(0) };
    assert.deepEqual(getHeaderList(raw, 'Call-ID'), ['x', 'y']);
  });

  it('setHeader / addHeader / removeHeader: positions, canonical names, misuse throws', () => {
    const m = createRequest('INVITE', 'sip:a@b', [
      { name: 'Via', value: 'v1' },
      { name: 'Route', value: 'r1' },
      { name: 'To', value: 't' },
      { name: 'Route', value: 'r2' },
    ]);
    const names = (): string[] => m.headers.map((h) => `${h.name}=${h.value}`);
    addHeader(m, 'v', 'v0', true);
    assert.deepEqual(names(), ['Via=v0', 'Via=v1', 'Route=r1', 'To=t', 'Route=r2']);
    addHeader(m, 'route', 'r3');
    assert.deepEqual(names(), ['Via=v0', 'Via=v1', 'Route=r1', 'To=t', 'Route=r2', 'Route=r3']);
    addHeader(m, 'Max-Forwards', ' 70 ');
    addHeader(m, 'Record-Route', 'rr', true);
    assert.deepEqual(names(), ['Record-Route=rr', 'Via=v0', 'Via=v1', 'Route=r1', 'To=t', 'Route=r2', 'Route=r3', 'Max-Forwards=70']);
    setHeader(m, 'ROUTE', 'only');
    assert.deepEqual(names(), ['Record-Route=rr', 'Via=v0', 'Via=v1', 'Route=only', 'To=t', 'Max-Forwards=70']);
    setHeader(m, 'Subject', 'new');
    removeHeader(m, 'via');
    assert.deepEqual(names(), ['Record-Route=rr', 'Route=only', 'To=t', 'Max-Forwards=70', 'Subject=new']);
    throwsCode(() => setHeader(m, 'Subject', 'a\r\nb'));
    throwsCode(() => addHeader(m, 'Sub:ject', 'a'));
    throwsCode(() => addHeader(m, 'X', 'a\u0000b'));
  });
});

describe('SipStreamFramer', () => {
  const both = INVITE + OK;

  it('a message split at every octet offset comes out whole, once', () => {
    const b = enc(INVITE);
    const expected = ok(parseSipMessage(b)).message;
    for (let cut = 0; cut <= b.length; cut++) {
      const f = new SipStreamFramer();
      f.push(b.subarray(0, cut));
      if (cut < b.length) assert.equal(f.next(), undefined, `cut ${cut}`);
      f.push(b.subarray(cut));
      const r = f.next();
      assert.deepEqual(r, { ok: true, message: expected, bytesRead: b.length }, `cut ${cut}`);
      assert.equal(f.next(), undefined);
    }
  });

  it('octet by octet', () => {
    const f = new SipStreamFramer();
    const b = enc(both);
    const out: SipParseResult[] = [];
    for (let i = 0; i < b.length; i++) {
      f.push(b.subarray(i, i + 1));
      for (let r = f.next(); r !== undefined; r = f.next()) out.push(r);
    }
    assert.deepEqual(out.map(errCode), ['ok', 'ok']);
    assert.equal(f.failed, false);
  });

  it('two messages in one chunk, then nothing', () => {
    const f = new SipStreamFramer();
    f.push(enc(both));
    const a = f.next();
    const b = f.next();
    assert.equal(a?.ok && a.message.kind, 'request');
    assert.equal(b?.ok && b.message.kind, 'response');
    assert.equal(f.next(), undefined);
  });

  it('keep-alive pings (RFC 5626 double CRLF) are counted; single CRLFs skipped', () => {
    const f = new SipStreamFramer();
    f.push(enc('\r\n\r\n'));
    assert.equal(f.takePings(), 1);
    assert.equal(f.takePings(), 0);
    f.push(enc('\r\n'));
    f.push(enc('\r\n\r\n\r'));
    f.push(enc('\n'));
    assert.equal(f.takePings(), 2);
    f.push(enc(`\r\n${INVITE}\r\n\r\n${OK}`));
    assert.equal(f.takePings(), 1);
    assert.deepEqual([errCode(f.next()), errCode(f.next()), errCode(f.next())], ['ok', 'ok', 'undefined']);
    f.push(enc('\n\n'));
    assert.equal(f.takePings(), 1, 'bare-LF ping');
  });

  it('errors are sticky: no Content-Length on a stream, then anything', () => {
    const f = new SipStreamFramer();
    f.push(enc(OK + OK.replace('Content-Length: 0\r\n', '')));
    assert.equal(f.failed, true);
    assert.equal(errCode(f.next()), 'ok', 'the message before the error is delivered');
    const e = f.next();
    assert.deepEqual(e, { ok: false, error: { code: 'bad-content-length', detail: 'no Content-Length on a stream transport (RFC 3261 §18.3)' } });
    f.push(enc(OK));
    assert.equal(f.next(), e);
    assert.equal(f.next(), e);
    assert.equal(f.failed, true);
  });

  it('bounded: a head without its end, or head + Content-Length above maxMessageBytes, fails at once', () => {
    const f = new SipStreamFramer({ maxMessageBytes: 1024 });
    f.push(enc('OPTIONS sip:a@b SIP/2.0\r\n'));
    for (let i = 0; i < 100 && !f.failed; i++) f.push(enc('X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'));
    assert.equal(errCode(f.next()), 'too-large');
    const g = new SipStreamFramer({ maxMessageBytes: 1024 });
    g.push(enc(OK.replace('Content-Length: 0', 'Content-Length: 900')));
    assert.equal(errCode(g.next()), 'too-large');
    const h = new SipStreamFramer({ maxBodyBytes: 100 });
    h.push(enc(OK.replace('Content-Length: 0', 'Content-Length: 101')));
    assert.equal(errCode(h.next()), 'body-too-large');
    const k = new SipStreamFramer();
    k.push(enc('GARBAGE\r\n\r\n'));
    assert.equal(errCode(k.next()), 'bad-start-line');
  });
});

describe('parseUri / formatUri', () => {
  const map = (o: Record<string, string | null>): Map<string, string | null> => new Map(Object.entries(o));
  it('reads sip, sips and tel URIs', () => {
    assert.deepEqual(parseUri('sip:alice:secret@atlanta.example.com:5070;transport=TCP;LR?subject=fax&priority=urgent'), {
      scheme: 'sip',
      user: 'alice',
      password: 'secret',
      host: 'atlanta.example.com',
      port: 5070,
      params: map({ transport: 'TCP', lr: null }),
      headers: 'subject=fax&priority=urgent',
    });
    assert.deepEqual(parseUri('SIPS:[2001:db8::10]:5061'), { scheme: 'sips', host: '2001:db8::10', port: 5061, params: map({}) });
    assert.deepEqual(parseUri('sip:%61lice%40home%3a@example.org'), { scheme: 'sip', user: 'alice@home:', host: 'example.org', params: map({}) });
    assert.deepEqual(parseUri('sip:alice;day=tuesday@atlanta.example.com'), { scheme: 'sip', user: 'alice;day=tuesday', host: 'atlanta.example.com', params: map({}) });
    assert.deepEqual(parseUri('sip:+4930123;phone-context=example.org@gw.example.net;user=phone'), {
      scheme: 'sip',
      user: '+4930123;phone-context=example.org',
      host: 'gw.example.net',
      params: map({ user: 'phone' }),
    });
    assert.deepEqual(parseUri('tel:+1-201-555-0123;ext=12'), { scheme: 'tel', user: '+1-201-555-0123', host: '', params: map({ ext: '12' }) });
    assert.deepEqual(parseUri('sip:192.0.2.4'), { scheme: 'sip', host: '192.0.2.4', params: map({}) });
    assert.deepEqual(parseUri('sip:bob@b?Replaces=a@b%3Bto-tag%3D1'), { scheme: 'sip', user: 'bob', host: 'b', params: map({}), headers: 'Replaces=a@b%3Bto-tag%3D1' });
    assert.equal(parseUri('sip:user@host;maddr=239.255.255.1;ttl=15')?.params.get('maddr'), '239.255.255.1');
    assert.equal(parseUri('sip:caf%C3%A9@x')?.user, 'café');
  });

  it('rejects garbage', () => {
    for (const bad of [
      '', 'sip:', 'sip:@host', 'sip:user@', 'http://example.org', 'mailto:a@b', 'sip:host:0', 'sip:host:65536', 'sip:host:50a0',
      'sip:a b@host', 'sip:user@host name', 'sip:user@[::1', 'sip:user@[zz::1]', 'sip:user@host;=x', 'sip:user@host;a b',
      'sip:%4@host', 'sip:%zz@host', 'sip:user@host?a b', 'sip:a@b@c', 'tel:', 'tel:+1 555', 'tel:12?x', 'sip:user@host>',
      'sip:<user>@host', 'sip:user@host:5060:5060', 'sipx:user@host',
    ]) {
      assert.equal(parseUri(bad), undefined, bad);
    }
  });

  it('writes URIs back; escapes what must be', () => {
    assert.equal(formatUri(parseUri('sip:alice:secret@atlanta.example.com:5070;transport=TCP;lr?subject=fax')!), 'sip:alice:secret@atlanta.example.com:5070;transport=TCP;lr?subject=fax');
    assert.equal(formatUri({ scheme: 'sip', user: 'a b@c:d?e', password: 'p:w', host: '::1', port: 5060, params: new Map() }), 'sip:a%20b%40c%3Ad%3Fe:p%3Aw@[::1]:5060');
    assert.equal(formatUri({ scheme: 'sip', user: 'zoë', host: 'x', params: new Map() }), 'sip:zo%C3%AB@x');
    assert.equal(formatUri({ scheme: 'tel', user: '+4930123', host: '', params: new Map([['phone-context', 'example.org']]) }), 'tel:+4930123;phone-context=example.org');
    throwsCode(() => formatUri({ scheme: 'sip', host: '', params: new Map() }));
    throwsCode(() => formatUri({ scheme: 'sip', host: 'h', port: 0, params: new Map() }));
    throwsCode(() => formatUri({ scheme: 'sip', host: 'h', params: new Map([['a', 'b c']]) }));
    throwsCode(() => formatUri({ scheme: 'sip', host: 'h o', params: new Map() }));
    throwsCode(() => formatUri({ scheme: 'sip', user: '', host: 'h', params: new Map() }));
    throwsCode(() => formatUri({ scheme: 'tel', host: 'h', user: '1', params: new Map() }));
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('reads the four forms', () => {
    const a = parseNameAddr('"Fax \\"Desk\\" \\\\ 2" <sip:fax@example.org;transport=udp>;tag=1a;expires=60');
    assert.equal(a?.displayName, 'Fax "Desk" \\ 2');
    assert.equal(a?.uri.params.get('transport'), 'udp');
    assert.deepEqual(a?.params, new Map([['tag', '1a'], ['expires', '60']]));
    const b = parseNameAddr('Fax   Desk\t<sip:fax@example.org> ; tag = 1a ;lr');
    assert.equal(b?.displayName, 'Fax Desk');
    assert.deepEqual(b?.params, new Map<string, string | null>([['tag', '1a'], ['lr', null]]));
    const c = parseNameAddr('<sips:fax@example.org>');
    assert.deepEqual(c, { uri: { scheme: 'sips', user: 'fax', host: 'example.org', params: new Map() }, params: new Map() });
    // §20.10: the parameters after a bare addr-spec belong to the header, not to the URI.
    const d = parseNameAddr('sip:fax@example.org;tag=99;transport=tcp');
    assert.deepEqual(d?.uri.params, new Map());
    assert.deepEqual(d?.params, new Map([['tag', '99'], ['transport', 'tcp']]));
    assert.equal(d?.displayName, undefined);
    const e = parseNameAddr('<sip:ua@192.0.2.1>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1');
    assert.equal(e?.params.get('+sip.instance'), '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
    assert.equal(parseNameAddr('"" <tel:+123>')?.displayName, '');
    assert.equal(parseNameAddr('Zoë <sip:z@x>')?.displayName, 'Zoë');
  });

  it('rejects what is not a name-addr of a sip/sips/tel URI', () => {
    for (const bad of ['*', '<mailto:fax@example.org>', '"unterminated <sip:a@b>', '<sip:a@b', '<sip:a@b> junk', 'sip:a@b;=1', '<sip:a@b>;tag="x', '"a" sip:a@b', '<sip:a@b>;t@g=1', '']) {
      assert.equal(parseNameAddr(bad), undefined, bad);
    }
    // A trailing ';' is read leniently (seen from some PBXs after the tag).
    assert.deepEqual(parseNameAddr('<sip:a@b>;tag=1;')?.params, new Map([['tag', '1']]));
  });

  it('writes the bracketed form with an escaped display name', () => {
    const n: NameAddr = { displayName: 'A "b" \\c', uri: parseUri('sip:a@b;lr')!, params: new Map<string, string | null>([['tag', 'x'], ['lr', null], ['+sip.instance', '"<urn:x>"']]) };
    assert.equal(formatNameAddr(n), '"A \\"b\\" \\\\c" <sip:a@b;lr>;tag=x;lr;+sip.instance="<urn:x>"');
    assert.deepEqual(parseNameAddr(formatNameAddr(n)), n);
    throwsCode(() => formatNameAddr({ ...n, params: new Map([['tag', 'a b']]) }));
    throwsCode(() => formatNameAddr({ ...n, displayName: 'x\r\ny' }));
  });
});

describe('parseVia / formatVia / parseCSeq', () => {
  it('Via values', () => {
    assert.deepEqual(parseVia('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1;rport;received=198.51.100.7'), {
      transport: 'UDP',
      host: '192.0.2.10',
      port: 5060,
      params: new Map<string, string | null>([['branch', 'z9hG4bK-1'], ['rport', null], ['received', '198.51.100.7']]),
    });
    assert.deepEqual(parseVia('sip / 2.0 / tls  [2001:db8::5] : 5061 ; branch = z9hG4bKx ; received=2001:db8::9'), {
      transport: 'TLS',
      host: '2001:db8::5',
      port: 5061,
      params: new Map([['branch', 'z9hG4bKx'], ['received', '2001:db8::9']]),
    });
    assert.deepEqual(parseVia('SIP/2.0/WSS h.example'), { transport: 'WSS', host: 'h.example', params: new Map() });
    for (const bad of ['SIP/2.0/UDP', 'SIP/2.0 UDP h', 'SIP/3.0/UDP h', 'HTTP/2.0/UDP h', 'SIP/2.0/UDP h:0', 'SIP/2.0/UDP h;branch=1, SIP/2.0/UDP g', 'SIP/2.0/UDP [::1', '']) {
      assert.equal(parseVia(bad), undefined, bad);
    }
    const v: Via = { transport: 'tcp', host: '::1', port: 5060, params: new Map<string, string | null>([['branch', 'z9hG4bK1'], ['rport', null]]) };
    assert.equal(formatVia(v), 'SIP/2.0/TCP [::1]:5060;branch=z9hG4bK1;rport');
    throwsCode(() => formatVia({ ...v, host: 'a b' }));
  });

  it('CSeq values', () => {
    assert.deepEqual(parseCSeq('4711 INVITE'), { seq: 4711, method: 'INVITE' });
    assert.deepEqual(parseCSeq(' 0\t\tACK '), { seq: 0, method: 'ACK' });
    assert.deepEqual(parseCSeq('2147483647 BYE'), { seq: 2147483647, method: 'BYE' });
    for (const bad of ['2147483648 BYE', 'INVITE', '1', '1INVITE', '-1 BYE', '1 BYE x', '12345678901 BYE', '']) assert.equal(parseCSeq(bad), undefined, bad);
  });
});

describe('createRequest / createResponse / reasonPhrase', () => {
  const invite = (): SipRequest => {
    const m = ok(parseSipMessage(enc(INVITE.replace('Max-Forwards: 70', 'Max-Forwards: 70\r\nRecord-Route: <sip:p1.example;lr>\r\nv: SIP/2.0/UDP p1.example;branch=z9hG4bK-p1\r\nRecord-Route: <sip:p2.example;lr>\r\nTimestamp: 54')))).message;
    if (m.kind !== 'request') assert.fail('not a request');
    return m;
  };

  it('createRequest canonicalises names and checks its arguments', () => {
    const r = createRequest('OPTIONS', 'sip:gw.example.net', [{ name: 'i', value: ' abc ' }]);
    assert.deepEqual(r, { kind: 'request', method: 'OPTIONS', uri: 'sip:gw.example.net', headers: [{ name: 'Call-ID', value: 'abc' }], body: new Uint8Array(0) });
    throwsCode(() => createRequest('OPT IONS', 'sip:a', []));
    throwsCode(() => createRequest('OPTIONS', 'sip:a b', []));
    throwsCode(() => createRequest('OPTIONS', 'sip:a', [{ name: 'X', value: 'a\nb' }]));
  });

  it('createResponse copies Vias, From, To (+tag), Call-ID, CSeq; Record-Route for 101..299 to INVITE', () => {
    const req = invite();
    const r = createResponse(req, 200, undefined, 'gw1');
    assert.equal(r.reason, 'OK');
    assert.deepEqual(r.headers, [
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1a2b3c' },
      { name: 'Via', value: 'SIP/2.0/UDP p1.example;branch=z9hG4bK-p1' },
      { name: 'Record-Route', value: '<sip:p1.example;lr>' },
      { name: 'Record-Route', value: '<sip:p2.example;lr>' },
      { name: 'From', value: '"Fax Sender" <sip:4930123@example.org>;tag=f00d' },
      { name: 'To', value: '<sip:fax@gw.example.net>;tag=gw1' },
      { name: 'Call-ID', value: '3f9a8c@192.0.2.10' },
      { name: 'CSeq', value: '10 INVITE' },
      { name: 'Content-Length', value: '0' },
    ]);
    const busy = createResponse(req, 486, 'Fax Busy', 'gw1');
    assert.equal(busy.reason, 'Fax Busy');
    assert.equal(getHeader(busy, 'Record-Route'), undefined, 'no Record-Route on a failure');
    const trying = createResponse(req, 100);
    assert.equal(getHeader(trying, 'To'), '<sip:fax@gw.example.net>');
    assert.equal(getHeader(trying, 'Record-Route'), undefined);
    assert.equal(getHeader(trying, 'Timestamp'), '54', '§8.2.6.1');
    // A To that already has a tag keeps it.
    const tagged = createResponse({ ...req, headers: req.headers.map((h) => (h.name === 'To' ? { name: 'To', value: 'sip:fax@gw.example.net;TAG=old' } : h)) }, 200, undefined, 'new');
    assert.equal(getHeader(tagged, 'To'), 'sip:fax@gw.example.net;TAG=old');
    const bye = createResponse({ ...req, method: 'BYE' }, 200);
    assert.equal(getHeader(bye, 'Record-Route'), undefined, 'BYE does not create a dialog');
    // The response serializes and parses back.
    const back = ok(parseSipMessage(serializeSipMessage(r))).message;
    assert.deepEqual(back, r);
    throwsCode(() => createResponse(req, 99));
    throwsCode(() => createResponse(req, 200, 'a\r\nb'));
    throwsCode(() => createResponse(req, 200, 'OK', 'bad tag'));
    throwsCode(() => createResponse({ ...req, headers: req.headers.filter((h) => h.name !== 'CSeq') }, 200));
  });

  it('reasonPhrase', () => {
    const t: [number, string][] = [
      [100, 'Trying'], [180, 'Ringing'], [183, 'Session Progress'], [200, 'OK'], [302, 'Moved Temporarily'],
      [401, 'Unauthorized'], [408, 'Request Timeout'], [415, 'Unsupported Media Type'], [422, 'Session Interval Too Small'],
      [481, 'Call/Transaction Does Not Exist'], [486, 'Busy Here'], [487, 'Request Terminated'], [488, 'Not Acceptable Here'],
      [491, 'Request Pending'], [503, 'Service Unavailable'], [504, 'Server Time-out'], [603, 'Decline'],
      [199, 'Early Dialog Terminated'], [155, 'Provisional'], [299, 'Success'], [399, 'Redirection'], [499, 'Client Error'],
      [599, 'Server Error'], [699, 'Global Failure'],
    ];
    for (const [s, p] of t) assert.equal(reasonPhrase(s), p, String(s));
    throwsCode(() => reasonPhrase(700));
    throwsCode(() => reasonPhrase(200.5));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~');
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
/** Header text: any code point but controls (HTAB allowed inside), not starting or ending with SP/HTAB. */
const textChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcxyzABC019 ;:,<>"\\/@=\t') },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)) },
);
const text = fc.string({ unit: textChar, maxLength: 40 }).map((s) => s.replace(/^[ \t]+/, '').replace(/[ \t]+$/, ''));
const MANDATORY_NAMES = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length'];
const extraHeader = fc
  .record({ name: fc.oneof(token, fc.constantFrom('Contact', 'Subject', 'Max-Forwards', 'Record-Route', 'x', 'k', 'WWW-Authenticate')), value: text })
  .map(({ name, value }) => ({ name: canonicalHeaderName(name), value }))
  .filter((h) => !MANDATORY_NAMES.includes(h.name));

const messageArb: fc.Arbitrary<SipMessage> = fc
  .record({
    request: fc.boolean(),
    method: token,
    uri: fc.constantFrom('sip:fax@gw.example.net', 'tel:+4930123', 'sips:[2001:db8::1]:5061;transport=tls', 'urn:service:sos'),
    status: fc.integer({ min: 100, max: 699 }),
    reason: text,
    seq: fc.integer({ min: 0, max: 0x7fffffff }),
    before: fc.array(extraHeader, { maxLength: 6 }),
    after: fc.array(extraHeader, { maxLength: 6 }),
    callId: fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 }),
    body: fc.uint8Array({ maxLength: 300 }),
  })
  .map((g) => {
    const headers: SipHeader[] = [
      ...g.before,
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK7' },
      { name: 'From', value: '<sip:a@b>;tag=1' },
      { name: 'To', value: '<sip:c@d>' },
      { name: 'Call-ID', value: g.callId },
      { name: 'CSeq', value: `${g.seq} ${g.method}` },
      ...g.after,
      { name: 'Content-Length', value: String(g.body.length) },
    ];
    return g.request
      ? { kind: 'request' as const, method: g.method, uri: g.uri, headers, body: g.body }
      : { kind: 'response' as const, status: g.status, reason: g.reason, headers, body: g.body };
  });

describe('properties', () => {
  it('parse(serialize(m)) = m', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = serializeSipMessage(m);
        assert.deepEqual(parseSipMessage(bytes), { ok: true, message: m, bytesRead: bytes.length });
      }),
      { numRuns: 300 },
    );
  });

  it('the stream framer gives what the datagram parser gives, under any chunking and pings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(messageArb, fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }), (msgs, cuts) => {
        const parts: Uint8Array[] = [];
        let pings = 0;
        for (const [m, p] of msgs) {
          parts.push(enc('\r\n\r\n'.repeat(p)), serializeSipMessage(m));
          pings += p;
        }
        const all = Uint8Array.from(parts.flatMap((p) => [...p]));
        const f = new SipStreamFramer();
        const got: SipMessage[] = [];
        let i = 0;
        for (let k = 0; i < all.length; k++) {
          const n = cuts[k % cuts.length]!;
          f.push(all.subarray(i, i + n));
          i += n;
          for (let r = f.next(); r !== undefined; r = f.next()) got.push(ok(r).message);
        }
        assert.deepEqual(got, msgs.map(([m]) => m));
        assert.equal(f.takePings(), pings);
        assert.equal(f.failed, false);
      }),
      { numRuns: 150 },
    );
  });

  const hostArb = fc.oneof(
    fc.constantFrom('example.org', 'gw-1.example.net', '192.0.2.33', 'a_b.example', 'x'),
    fc.constantFrom('::1', '2001:db8::7', 'fe80::1:2:3:4', '::ffff:192.0.2.1'),
  );
  const pchar = fc.constantFrom(...'abcXYZ019-_.!~*\'()[]/:&+$');
  const pvalue = fc.oneof(fc.constant(null), fc.string({ unit: pchar, maxLength: 8 }), fc.constantFrom('%41', 'a%2Cb'));
  const uriParams = fc.uniqueArray(fc.tuple(fc.string({ unit: fc.constantFrom(...'abcxyz019-_.'), minLength: 1, maxLength: 8 }), pvalue), { selector: ([k]) => k, maxLength: 4 }).map((xs) => new Map(xs));
  const anyText = fc.string({ unit: fc.oneof(fc.constantFrom(...'a:@%?;/ ,=<>"\\'), fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c))), maxLength: 12 });
  const sipUriArb: fc.Arbitrary<SipUri> = fc
    .record({
      scheme: fc.constantFrom('sip' as const, 'sips' as const),
      user: fc.option(anyText.filter((s) => s !== ''), { nil: undefined }),
      password: fc.option(anyText, { nil: undefined }),
      host: hostArb,
      port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      params: uriParams,
      headers: fc.option(fc.constantFrom('', 'subject=fax', 'Replaces=a%40b%3Bto-tag%3D1&x=y'), { nil: undefined }),
    })
    .map((r) => ({
      scheme: r.scheme,
      ...(r.user !== undefined ? { user: r.user } : {}),
      ...(r.user !== undefined && r.password !== undefined ? { password: r.password } : {}),
      host: r.host,
      ...(r.port !== undefined ? { port: r.port } : {}),
      params: r.params,
      ...(r.headers !== undefined ? { headers: r.headers } : {}),
    }));
  const telUriArb: fc.Arbitrary<SipUri> = fc
    .record({ user: fc.string({ unit: fc.constantFrom(...'0123456789+-.()*#AbF'), minLength: 1, maxLength: 15 }), params: uriParams })
    .map((r) => ({ scheme: 'tel' as const, user: r.user, host: '', params: r.params }));
  const uriArb = fc.oneof({ weight: 4, arbitrary: sipUriArb }, { weight: 1, arbitrary: telUriArb });

  it('parseUri(formatUri(u)) = u', () => {
    fc.assert(
      fc.property(uriArb, (u) => {
        assert.deepEqual(parseUri(formatUri(u)), u);
      }),
      { numRuns: 500 },
    );
  });

  const genValue = fc.oneof(fc.constant(null), fc.string({ unit: fc.constantFrom(...'abc019-.!%*_+`\'~:[]'), maxLength: 8 }), fc.string({ unit: fc.constantFrom(...'a ,;<>=@'), maxLength: 8 }).map((s) => `"${s}"`));
  const headerParams = fc.uniqueArray(fc.tuple(fc.string({ unit: fc.constantFrom(...'abcxyz019-.+'), minLength: 1, maxLength: 8 }), genValue), { selector: ([k]) => k, maxLength: 4 }).map((xs) => new Map(xs));

  it('parseNameAddr(formatNameAddr(n)) = n', () => {
    const nameAddrArb: fc.Arbitrary<NameAddr> = fc
      // eslint-disable-next-line no-control-regex -- display names exclude controls (formatNameAddr throws on them)
      .record({ displayName: fc.option(anyText.filter((s) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(s)), { nil: undefined }), uri: uriArb, params: headerParams })
      .map((r) => ({ ...(r.displayName !== undefined ? { displayName: r.displayName } : {}), uri: r.uri, params: r.params }));
    fc.assert(
      fc.property(nameAddrArb, (n) => {
        assert.deepEqual(parseNameAddr(formatNameAddr(n)), n);
      }),
      { numRuns: 300 },
    );
  });

  it('parseVia(formatVia(v)) = v', () => {
    const viaArb: fc.Arbitrary<Via> = fc
      .record({ transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'SCTP'), host: hostArb, port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), params: headerParams })
      .map((r) => ({ transport: r.transport, host: r.host, ...(r.port !== undefined ? { port: r.port } : {}), params: r.params }));
    fc.assert(
      fc.property(viaArb, (v) => {
        assert.deepEqual(parseVia(formatVia(v)), v);
      }),
      { numRuns: 300 },
    );
  });

  it('the readers never throw on any text', () => {
    const anyString = fc.string({ unit: fc.oneof(fc.constantFrom(...'sip:tel@[]<>";,=%?/\\ \t:0123456789abcSIP/.'), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 60 });
    fc.assert(
      fc.property(anyString, (s) => {
        parseUri(s);
        parseNameAddr(s);
        parseVia(s);
        parseCSeq(s);
        canonicalHeaderName(s);
      }),
      { numRuns: 2000 },
    );
  });
});
