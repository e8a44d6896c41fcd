/**
 * A torture set for the SIP parser, in the manner of RFC 4475 (written here, not taken from it):
 * each message stresses one thing deployed peers or attackers do — long values, escaped URIs,
 * odd whitespace and folding, compact forms, unknown URI schemes, CSeq and Content-Length
 * games, missing headers, NUL and non-UTF-8 octets, hundreds of headers, bodies longer or shorter
 * than announced, leading CRLFs, bare LF — and asserts the precise outcome: the values read, or
 * the error code. Then fast-check: parsing never throws, on random octets and on valid messages
 * mutated octet by octet, for the datagram parser and the stream framer alike.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  getHeader,
  getHeaderList,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  parseUri,
  parseVia,
  SipStreamFramer,
  type SipMessage,
  type SipParseResult,
} from '../../../src/sip/message.js';

/** Octets from text (as UTF-8) and raw octet arrays. */
function octets(...parts: (string | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === 'string' ? new TextEncoder().encode(p) : p));
  return Uint8Array.from(out);
}
const crlf = (lines: readonly string[]): string => lines.map((l) => `${l}\r\n`).join('');

function parsed(r: SipParseResult): SipMessage {
  if (!r.ok) assert.fail(`expected a message, got ${r.error.code}: ${r.error.detail}`);
  return r.message;
}
function code(r: SipParseResult): string {
  return r.ok ? 'ok' : r.error.code;
}

/** The five mandatory headers of an OPTIONS from the fax gateway, CSeq method as given. */
function core(method = 'OPTIONS', seq = '1'): string[] {
  return [
    'Via: SIP/2.0/UDP gw.example.net;branch=z9hG4bK-tt-1',
    'From: <sip:probe@gw.example.net>;tag=tt1',
    'To: <sip:fax@example.org>',
    'Call-ID: torture-1@gw.example.net',
    `CSeq: ${seq} ${method}`,
  ];
}

describe('torture: messages that must parse', () => {
  it('long values: a 7000-octet header, a 2000-octet Request-URI user, a 1000-octet Call-ID', () => {
    const user = 'f'.repeat(2000);
    const long = 'x'.repeat(7000);
    const callId = `${'c'.repeat(1000)}@gw.example.net`;
    const m = parsed(
      parseSipMessage(
        octets(crlf([`OPTIONS sip:${user}@example.org SIP/2.0`, ...core().filter((l) => !l.startsWith('Call-ID')), `Call-ID: ${callId}`, `X-Long: ${long}`, 'Content-Length: 0', ''])),
      ),
    );
    assert.equal(m.kind === 'request' && parseUri(m.uri)?.user, user);
    assert.equal(getHeader(m, 'x-long'), long);
    assert.equal(getHeader(m, 'i'), callId);
  });

  it('escaped URIs: %-escapes in user parts, an escaped NUL, escaped @ and ;, case-insensitive scheme', () => {
    const m = parsed(
      parseSipMessage(
        octets(
          crlf([
            'OPTIONS SIP:%66ax%20line%231@Example.ORG;Transport=UDP SIP/2.0',
            'Via: SIP/2.0/UDP gw.example.net;branch=z9hG4bK-tt-2',
            'From: "Esc" <sips:user%40home%3Boffice@example.org>;tag=e1',
            'To: <sip:null-%00-octet@example.org>',
            'Contact: <sip:%2B4930123@[2001:db8::2]:5080;user=phone>',
            'Call-ID: esc@gw',
            'CSeq: 2 OPTIONS',
            'Content-Length: 0',
            '',
          ]),
        ),
      ),
    );
    assert.ok(m.kind === 'request');
    const ru = parseUri(m.uri);
    assert.deepEqual(ru, { scheme: 'sip', user: 'fax line#1', host: 'Example.ORG', params: new Map([['transport', 'UDP']]) });
    assert.equal(parseNameAddr(getHeader(m, 'From')!)?.uri.user, 'user@home;office');
    assert.equal(parseNameAddr(getHeader(m, 'To')!)?.uri.user, 'null-\u0000-octet');
    const contact = parseNameAddr(getHeader(m, 'Contact')!)?.uri;
    assert.deepEqual(contact, { scheme: 'sip', user: '+4930123', host: '2001:db8::2', port: 5080, params: new Map([['user', 'phone']]) });
  });

  it('unusual whitespace and folding: space before the colon, tabs, values folded over lines, SWS in Via and CSeq', () => {
    const raw =
      'INVITE sip:fax@example.org SIP/2.0\r\n' +
      'Via  :\tSIP / 2.0 / UDP\t gw.example.net : 5060 ;branch = z9hG4bK-tt-3 ; rport\r\n' +
      'From:\t\t<sip:a@gw.example.net>\r\n' +
      '  ;tag=w1\r\n' +
      'To: <sip:fax@example.org>\r\n' +
      'Call-ID:    ws@gw   \r\n' +
      'CSeq: 8\t\tINVITE\r\n' +
      'Subject: one,\r\n' +
      '\ttwo,  \r\n' +
      '      three\r\n' +
      'Content-Length:0\r\n' +
      '\r\n';
    const m = parsed(parseSipMessage(octets(raw)));
    assert.deepEqual(
      m.headers.map((h) => [h.name, h.value]),
      [
        ['Via', 'SIP / 2.0 / UDP\t gw.example.net : 5060 ;branch = z9hG4bK-tt-3 ; rport'],
        ['From', '<sip:a@gw.example.net> ;tag=w1'],
        ['To', '<sip:fax@example.org>'],
        ['Call-ID', 'ws@gw'],
        ['CSeq', '8\t\tINVITE'],
        ['Subject', 'one, two, three'],
        ['Content-Length', '0'],
      ],
    );
    assert.deepEqual(parseVia(getHeader(m, 'Via')!), {
      transport: 'UDP',
      host: 'gw.example.net',
      port: 5060,
      params: new Map<string, string | null>([['branch', 'z9hG4bK-tt-3'], ['rport', null]]),
    });
    assert.equal(parseNameAddr(getHeader(m, 'From')!)?.params.get('tag'), 'w1');
    assert.deepEqual(parseCSeq(getHeader(m, 'CSeq')!), { seq: 8, method: 'INVITE' });
  });

  it('compact forms, mixed case, all eighteen', () => {
    const raw = crlf([
      'SUBSCRIBE sip:fax@example.org SIP/2.0',
      'v: SIP/2.0/TCP gw.example.net;branch=z9hG4bK-tt-4',
      'F: <sip:a@gw.example.net>;tag=c1',
      't: <sip:fax@example.org>',
      'I: compact@gw',
      'CSEQ: 3 SUBSCRIBE',
      'm: <sip:a@192.0.2.5;transport=tcp>',
      'k: timer, 100rel',
      's: compact forms',
      'E: gzip',
      'o: presence',
      'x: 1800;refresher=uac',
      'r: <sip:x@example.org>',
      'U: dialog',
      'b: <sip:c@example.org>',
      'a: *;audio',
      'J: *;video',
      'd: proxy',
      'c: text/plain',
      'L: 2',
      '',
    ]) + 'ok';
    const m = parsed(parseSipMessage(octets(raw)));
    assert.deepEqual(
      m.headers.map((h) => h.name),
      [
        'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Supported', 'Subject', 'Content-Encoding', 'Event', 'Session-Expires',
        'Refer-To', 'Allow-Events', 'Referred-By', 'Accept-Contact', 'Reject-Contact', 'Request-Disposition', 'Content-Type', 'Content-Length',
      ],
    );
    assert.deepEqual(getHeaderList(m, 'Supported'), ['timer', '100rel']);
    assert.equal(new TextDecoder().decode(m.body), 'ok');
  });

  it('unknown URI schemes in Contact: the message parses, those elements do not', () => {
    const m = parsed(
      parseSipMessage(
        octets(crlf(['REGISTER sip:example.org SIP/2.0', ...core('REGISTER'), 'Contact: <mailto:fax@example.org>, "Fax, Main" <sip:fax@192.0.2.9>;expires=60, <http://example.org/fax;x>', 'Content-Length: 0', ''])),
      ),
    );
    const contacts = getHeaderList(m, 'm');
    assert.deepEqual(contacts, ['<mailto:fax@example.org>', '"Fax, Main" <sip:fax@192.0.2.9>;expires=60', '<http://example.org/fax;x>']);
    assert.deepEqual(
      contacts.map((c) => parseNameAddr(c)?.displayName ?? (parseNameAddr(c) === undefined ? 'undefined' : 'no name')),
      ['undefined', 'Fax, Main', 'undefined'],
    );
  });

  it('empty values, unknown headers and unknown methods are kept', () => {
    const m = parsed(parseSipMessage(octets(crlf(['FAXPOLL sip:fax@example.org SIP/2.0', ...core('FAXPOLL', '77'), 'Subject:', 'X-Nothing:   \t', 'x-VENDOR-thing: 1', 'Content-Length: 0', '']))));
    assert.equal(m.kind === 'request' && m.method, 'FAXPOLL');
    assert.equal(getHeader(m, 'Subject'), '');
    assert.equal(getHeader(m, 'X-Nothing'), '');
    assert.deepEqual(m.headers.slice(-3).map((h) => h.name), ['X-Nothing', 'X-Vendor-Thing', 'Content-Length']);
  });

  it('non-UTF-8 octets in a value become U+FFFD; UTF-8 display names and reason phrases are read', () => {
    const m = parsed(
      parseSipMessage(
        octets(
          'SIP/2.0 486 Besetzt – bitte später\r\n',
          crlf(core('INVITE')),
          'Subject: caf',
          [0xe9],
          ' \xff', // the JS string "\xff" is U+00FF, two octets in UTF-8: valid
          ' ',
          [0xc3, 0x28, 0xf0, 0x9f],
          '\r\nContact: "Zoë Ünal" <sip:z@example.org>\r\nContent-Length: 0\r\n\r\n',
        ),
      ),
    );
    assert.equal(m.kind === 'response' && m.reason, 'Besetzt – bitte später');
    assert.equal(getHeader(m, 'Subject'), 'caf\ufffd \u00ff \ufffd(\ufffd');
    assert.equal(parseNameAddr(getHeader(m, 'Contact')!)?.displayName, 'Zoë Ünal');
  });

  it('a NUL octet in the body is just data', () => {
    const m = parsed(parseSipMessage(octets(crlf(['MESSAGE sip:fax@example.org SIP/2.0', ...core('MESSAGE'), 'Content-Type: application/octet-stream', 'Content-Length: 3', '']), [0, 0xff, 0])));
    assert.deepEqual([...m.body], [0, 0xff, 0]);
  });

  it('200 headers: too many by default, fine with maxHeaders 256', () => {
    const many = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`);
    const b = octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), ...many, 'Content-Length: 0', '']));
    assert.deepEqual(parseSipMessage(b), { ok: false, error: { code: 'too-many-headers', detail: 'more than 128 header lines' } });
    const m = parsed(parseSipMessage(b, { maxHeaders: 256 }));
    assert.equal(m.headers.length, 206);
    assert.equal(getHeader(m, 'x-h199'), '199');
  });

  it('bodies: Content-Length shorter cuts (the rest is not ours), longer is truncated, absent takes all', () => {
    const head = (cl: string | undefined): string => crlf(['MESSAGE sip:fax@example.org SIP/2.0', ...core('MESSAGE'), ...(cl === undefined ? [] : [`Content-Length: ${cl}`]), '']);
    const short = parseSipMessage(octets(head('4'), 'abcdefgh'));
    assert.ok(short.ok);
    assert.equal(new TextDecoder().decode(short.message.body), 'abcd');
    assert.equal(short.bytesRead, head('4').length + 4);
    assert.deepEqual(parseSipMessage(octets(head('12'), 'abcdefgh')), { ok: false, error: { code: 'truncated', detail: 'Content-Length 12, 8 octets of body' } });
    assert.equal(new TextDecoder().decode(parsed(parseSipMessage(octets(head(undefined), 'abcdefgh'))).body), 'abcdefgh');
    assert.equal(parsed(parseSipMessage(octets(head('0'), '\r\n'))).body.length, 0);
  });

  it('leading CRLFs are skipped (§7.5) and counted in bytesRead', () => {
    const msg = crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), 'Content-Length: 0', '']);
    const r = parseSipMessage(octets('\r\n\r\n\n\r\n', msg));
    assert.ok(r.ok);
    assert.equal(r.bytesRead, 7 + msg.length);
  });

  it('bare LF line ends, and LF mixed with CRLF', () => {
    const lf = ['OPTIONS sip:fax@example.org SIP/2.0', ...core(), 'Subject: folded', ' on LF', 'Content-Length: 2', '', 'hi'].join('\n');
    const m = parsed(parseSipMessage(octets(lf)));
    assert.equal(getHeader(m, 'Subject'), 'folded on LF');
    assert.equal(new TextDecoder().decode(m.body), 'hi');
    const mixed = 'OPTIONS sip:fax@example.org SIP/2.0\n' + crlf(core()) + 'Content-Length: 2\n\r\nhi';
    assert.equal(new TextDecoder().decode(parsed(parseSipMessage(octets(mixed))).body), 'hi');
  });

  it('several equal Content-Length values (one compact) agree', () => {
    const m = parsed(parseSipMessage(octets(crlf(['MESSAGE sip:fax@example.org SIP/2.0', ...core('MESSAGE'), 'Content-Length: 2', 'l: 002', '']), 'hi')));
    assert.equal(m.body.length, 2);
  });
});

describe('torture: messages that must be refused, with the reason', () => {
  const refuse = (b: Uint8Array, expected: string, detail?: string): void => {
    const r = parseSipMessage(b);
    assert.equal(code(r), expected, r.ok ? 'parsed' : r.error.detail);
    if (detail !== undefined && !r.ok) assert.equal(r.error.detail, detail);
  };

  it('CSeq: method differs from the request method, number too large, no method', () => {
    refuse(octets(crlf(['INVITE sip:fax@example.org SIP/2.0', ...core('ACK'), 'Content-Length: 0', ''])), 'bad-cseq', 'CSeq method ACK ≠ request method INVITE');
    refuse(octets(crlf(['INVITE sip:fax@example.org SIP/2.0', ...core('invite'), 'Content-Length: 0', ''])), 'bad-cseq');
    refuse(octets(crlf(['BYE sip:fax@example.org SIP/2.0', ...core('BYE', '2147483648'), 'Content-Length: 0', ''])), 'bad-cseq');
    refuse(octets(crlf(['BYE sip:fax@example.org SIP/2.0', ...core('BYE').slice(0, 4), 'CSeq: 5', 'Content-Length: 0', ''])), 'bad-cseq');
  });

  it('Content-Length negative, not a number, huge, several that differ', () => {
    const head = (...cl: string[]): string => crlf(['MESSAGE sip:fax@example.org SIP/2.0', ...core('MESSAGE'), ...cl.map((c) => `Content-Length: ${c}`), '']);
    refuse(octets(head('-1'), 'x'), 'bad-content-length', 'Content-Length "-1" is not a number');
    refuse(octets(head('1e3'), 'x'), 'bad-content-length');
    refuse(octets(head('1 2'), 'x'), 'bad-content-length');
    refuse(octets(head(''), 'x'), 'bad-content-length');
    refuse(octets(head('99999999999999999999999999999999'), 'x'), 'body-too-large');
    refuse(octets(head('65536'), 'x'), 'body-too-large');
    refuse(octets(head('1', '2'), 'xy'), 'bad-content-length', 'several Content-Length values that differ');
  });

  it('a missing mandatory header (several missing are all named)', () => {
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core().filter((l) => !l.startsWith('To:')), 'Content-Length: 0', ''])), 'missing-header', 'missing To');
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', 'Max-Forwards: 70', 'Content-Length: 0', ''])), 'missing-header', 'missing Via, From, To, Call-ID, CSeq');
  });

  it('NUL octets in a header value or the start line; a bare CR inside a line', () => {
    refuse(octets('OPTIONS sip:fax@example.org SIP/2.0\r\n', crlf(core()), 'Subject: a', [0], 'b\r\nContent-Length: 0\r\n\r\n'), 'bad-header');
    refuse(octets('OPTIONS sip:fax', [0], '@example.org SIP/2.0\r\n', crlf(core()), 'Content-Length: 0\r\n\r\n'), 'bad-start-line');
    refuse(octets('OPTIONS sip:fax@example.org SIP/2.0\r\n', crlf(core()), 'Subject: a\rVia: SIP/2.0/UDP evil\r\nContent-Length: 0\r\n\r\n'), 'bad-header');
  });

  it('a header line too long, a message too large', () => {
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), `X-Long: ${'y'.repeat(8200)}`, 'Content-Length: 0', ''])), 'line-too-long');
    // Folded into one logical line longer than the limit, each physical line short.
    const folds = Array.from({ length: 100 }, () => ` ${'z'.repeat(99)}`);
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), 'X-Folded: a', ...folds, 'Content-Length: 0', ''])), 'line-too-long');
    refuse(octets(crlf(['MESSAGE sip:fax@example.org SIP/2.0', ...core('MESSAGE'), '']), 'b'.repeat(70_000)), 'too-large');
  });

  it('start lines: whitespace in the Request-URI, other versions, status out of range', () => {
    refuse(octets(crlf(['OPTIONS sip:fax @example.org SIP/2.0', ...core(), 'Content-Length: 0', ''])), 'bad-start-line');
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.1', ...core(), 'Content-Length: 0', ''])), 'bad-version');
    refuse(octets(crlf(['SIP/1.0 200 OK', ...core(), 'Content-Length: 0', ''])), 'bad-version');
    refuse(octets(crlf(['SIP/2.0 700 Beyond', ...core(), 'Content-Length: 0', ''])), 'bad-start-line');
    refuse(octets(crlf(['SIP/2.0 0 Zero', ...core(), 'Content-Length: 0', ''])), 'bad-start-line');
  });

  it('header lines that are not header lines', () => {
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), 'this is not a header', 'Content-Length: 0', ''])), 'bad-header');
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), 'Bad Name: x', 'Content-Length: 0', ''])), 'bad-header');
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), ': no name', 'Content-Length: 0', ''])), 'bad-header');
    refuse(octets(crlf(['OPTIONS sip:fax@example.org SIP/2.0', ' continues the start line', ...core(), 'Content-Length: 0', ''])), 'bad-header');
  });

  it('no empty line after the headers; nothing but line ends', () => {
    refuse(octets(['OPTIONS sip:fax@example.org SIP/2.0', ...core(), 'Content-Length: 0'].join('\r\n')), 'truncated', 'no empty line after the headers');
    refuse(octets('\r\n\r\n\r\n'), 'empty');
  });
});

// ---------------------------------------------------------------------------------------------
// Never throws
// ---------------------------------------------------------------------------------------------

const VALID = [
  crlf(['INVITE sip:fax@example.org SIP/2.0', ...core('INVITE'), 'Contact: "A, B" <sip:a@192.0.2.1>', 'Content-Type: application/sdp', 'Content-Length: 10', '']) + 'v=0\r\no=- 1',
  crlf(['SIP/2.0 200 OK', ...core('INVITE'), 'Content-Length: 0', '']),
  ['OPTIONS sip:x SIP/2.0', ...core(), 'Subject: a', '\tb', 'l: 1', '', 'z'].join('\n'),
].map((s) => new TextEncoder().encode(s));

/** Byte edits biased to the characters that matter to the grammar. */
const edit = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'insert', 'delete'),
  byte: fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x3c, 0x3e, 0x00, 0xff, 0x30, 0x39), fc.integer({ min: 0, max: 255 })),
});

function mutate(base: Uint8Array, edits: readonly { at: number; op: string; byte: number }[]): Uint8Array {
  const b = [...base];
  for (const e of edits) {
    const i = b.length === 0 ? 0 : e.at % (b.length + (e.op === 'insert' ? 1 : 0));
    if (e.op === 'set' && b.length > 0) b[i] = e.byte;
    else if (e.op === 'insert') b.splice(i, 0, e.byte);
    else if (e.op === 'delete') b.splice(i, 1);
  }
  return Uint8Array.from(b);
}

function feedAll(b: Uint8Array, cut: number): void {
  const f = new SipStreamFramer({ maxMessageBytes: 4096 });
  for (let i = 0; i < b.length; i += cut) {
    f.push(b.subarray(i, i + cut));
    for (let r = f.next(), k = 0; r !== undefined && k < 100; r = f.next(), k++) if (!r.ok) break;
  }
  f.takePings();
}

describe('torture: parsing never throws', () => {
  it('on random octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), (b, cut) => {
        const r = parseSipMessage(b);
        assert.ok(typeof r.ok === 'boolean');
        feedAll(b, cut);
      }),
      { numRuns: 1000 },
    );
  });

  it('on valid messages mutated (bit-level edits biased to the grammar characters)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 64 }), (base, edits, cut) => {
        const b = mutate(base, edits);
        const r = parseSipMessage(b);
        if (r.ok) {
          // Whatever parses has the mandatory headers and a coherent length.
          for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) assert.notEqual(getHeader(r.message, h), undefined);
          assert.ok(r.bytesRead <= b.length);
          for (const v of getHeaderList(r.message, 'Contact')) parseNameAddr(v);
          for (const v of getHeaderList(r.message, 'Via')) parseVia(v);
        }
        feedAll(b, cut);
      }),
      { numRuns: 2000 },
    );
  });
});
