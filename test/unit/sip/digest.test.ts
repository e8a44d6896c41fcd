/**
 * Digest authentication (src/sip/digest.ts): the published worked examples (RFC 2617 §3.5,
 * RFC 7616 §3.9.1) checked against an independent computation written here from the RFC
 * formulas, challenge parsing as servers write it, the RFC 8760 choice among challenges, the
 * client's nonce counting, a client → server round trip for every algorithm and qop, and
 * never-throws properties on hostile header values.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  chooseChallenge,
  digestAuthorization,
  digestChallengeHeader,
  digestRetryAllowed,
  DigestClient,
  parseDigestChallenge,
  parseDigestCredentials,
  verifyDigest,
  type DigestAlgorithm,
  type DigestChallenge,
} from '../../../src/sip/digest.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { xorshift32 } from '../../../src/util/random.js';

/** The RFC 7616 §3.4.1 response, written out longhand (qop=auth, non-sess), independent of digest.ts. */
function reference(hash: 'md5' | 'sha256', user: string, realm: string, pass: string, method: string, uri: string, nonce: string, nc: string, cnonce: string): string {
  const h = (s: string): string => createHash(hash).update(s, 'utf8').digest('hex');
  return h([h([user, realm, pass].join(':')), nonce, nc, cnonce, 'auth', h([method, uri].join(':'))].join(':'));
}

/** Reads `name=value` / `name="value"` pairs of an Authorization value the simple way (test inputs have no escapes). */
function fields(value: string): Record<string, string> {
  assert.ok(value.startsWith('Digest '));
  const out: Record<string, string> = {};
  for (const m of value.slice(7).matchAll(/([a-z]+)=("([^"]*)"|[^,\s]+)/g)) out[m[1] ?? ''] = m[3] ?? m[2] ?? '';
  return out;
}

describe('digest: published examples', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth): the response matches an independent computation and the published value', () => {
    const challenge = parseDigestChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    assert.ok(challenge);
    assert.equal(challenge.algorithm, 'MD5');
    assert.deepEqual(challenge.qop, ['auth', 'auth-int']);
    const value = digestAuthorization({ challenge, credentials: { username: 'Mufasa', password: 'Circle Of Life' }, method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b', nc: 1 });
    const f = fields(value);
    const expected = reference('md5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life', 'GET', '/dir/index.html', 'dcd98b7102dd2f0e8b11d0f600bfb0c093', '00000001', '0a4f113b');
    assert.equal(f.response, expected);
    assert.equal(f.response, '6629fae49393a05397450978507c4ef1'); // printed in RFC 2617 §3.5
    assert.equal(f.qop, 'auth'); // auth preferred over auth-int
    assert.equal(f.nc, '00000001');
    assert.equal(f.cnonce, '0a4f113b');
    assert.equal(f.opaque, '5ccc069c403ebaf9f0171e9517f40e41');
    assert.equal(f.uri, '/dir/index.html');
    assert.equal(f.username, 'Mufasa');
    assert.equal(f.algorithm, 'MD5');
  });

  const rfc7616 = {
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  for (const [alg, hash, published] of [
    ['MD5', 'md5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', 'sha256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const) {
    it(`RFC 7616 §3.9.1 (${alg}): challenge parsed, response as published and as computed independently`, () => {
      const challenge = parseDigestChallenge(`Digest realm="${rfc7616.realm}", qop="auth, auth-int", algorithm=${alg}, nonce="${rfc7616.nonce}", opaque="${rfc7616.opaque}"`);
      assert.ok(challenge);
      assert.equal(challenge.algorithm, alg);
      assert.equal(challenge.opaque, rfc7616.opaque);
      const f = fields(digestAuthorization({ challenge, credentials: { username: 'Mufasa', password: 'Circle of Life' }, method: 'GET', uri: '/dir/index.html', cnonce: rfc7616.cnonce, nc: 1 }));
      assert.equal(f.response, published);
      assert.equal(f.response, reference(hash, 'Mufasa', rfc7616.realm, 'Circle of Life', 'GET', '/dir/index.html', rfc7616.nonce, '00000001', rfc7616.cnonce));
      assert.equal(f.algorithm, alg);
    });
  }

  it('no qop offered: answered RFC 2069 style (no cnonce, nc or qop) and verifiable', () => {
    const challenge = parseDigestChallenge('Digest realm="asterisk",nonce="1a2b3c4d"');
    assert.ok(challenge);
    assert.deepEqual(challenge.qop, []);
    const value = digestAuthorization({ challenge, credentials: { username: '100', password: 'secret' }, method: 'REGISTER', uri: 'sip:pbx.example.com', cnonce: 'xyz', nc: 1 });
    const f = fields(value);
    assert.equal(f.qop, undefined);
    assert.equal(f.nc, undefined);
    assert.equal(f.cnonce, undefined);
    const h = (s: string): string => createHash('md5').update(s).digest('hex');
    assert.equal(f.response, h(`${h('100:asterisk:secret')}:1a2b3c4d:${h('REGISTER:sip:pbx.example.com')}`));
    const p = parseDigestCredentials(value);
    assert.ok(p);
    assert.equal(verifyDigest(p, 'secret', 'REGISTER'), true);
  });
});

describe('parseDigestChallenge', () => {
  it('reads parameters in any case, quoted or bare, with escapes, stale and domain', () => {
    const c = parseDigestChallenge('digest REALM="a \\"quoted\\" realm", Nonce=abc123, ALGORITHM="sha-256", qop=auth, stale=TRUE, domain="sip:a.example sip:b.example", opaque=""');
    assert.deepEqual(c, {
      scheme: 'Digest',
      realm: 'a "quoted" realm',
      nonce: 'abc123',
      algorithm: 'SHA-256',
      qop: ['auth'],
      stale: true,
      domain: 'sip:a.example sip:b.example',
      opaque: '',
    });
  });

  it('stale absent or FALSE is false; -sess algorithms are read', () => {
    assert.equal(parseDigestChallenge('Digest realm="r", nonce="n", stale=FALSE')?.stale, false);
    assert.equal(parseDigestChallenge('Digest realm="r", nonce="n"')?.stale, false);
    assert.equal(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=MD5-sess')?.algorithm, 'MD5-sess');
    assert.equal(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-256-sess')?.algorithm, 'SHA-256-sess');
  });

  const refused: [string, string][] = [
    ['an unknown algorithm', 'Digest realm="r", nonce="n", algorithm=SHA-512-256'],
    ['AKA', 'Digest realm="r", nonce="n", algorithm=AKAv1-MD5'],
    ['no nonce', 'Digest realm="r"'],
    ['no realm', 'Digest nonce="n"'],
    ['Basic', 'Basic realm="r"'],
    ['an unterminated quote', 'Digest realm="r, nonce="n'],
    ['a repeated parameter', 'Digest realm="r", nonce="n", nonce="m"'],
    ['a qop list without auth or auth-int', 'Digest realm="r", nonce="n", qop="auth-conf"'],
    ['no scheme', 'realm="r", nonce="n"'],
    ['empty', ''],
  ];
  for (const [what, value] of refused) {
    it(`refuses ${what}`, () => {
      assert.equal(parseDigestChallenge(value), undefined);
    });
  }
});

describe('chooseChallenge (RFC 8760 §2.4)', () => {
  const md5 = 'Digest realm="r", nonce="md5nonce", algorithm=MD5, qop="auth"';
  const sha = 'Digest realm="r", nonce="shanonce", algorithm=SHA-256, qop="auth"';
  it('SHA-256 is preferred over MD5 whatever the order', () => {
    assert.equal(chooseChallenge([md5, sha])?.nonce, 'shanonce');
    assert.equal(chooseChallenge([sha, md5])?.nonce, 'shanonce');
  });
  it('within a family the topmost wins', () => {
    assert.equal(chooseChallenge([md5, 'Digest realm="r", nonce="second"'])?.nonce, 'md5nonce');
  });
  it('unsupported and malformed challenges are skipped', () => {
    assert.equal(chooseChallenge(['Digest realm="r", nonce="x", algorithm=SHA-512-256', 'Negotiate abc/def', 'garbage"', md5])?.nonce, 'md5nonce');
    assert.equal(chooseChallenge(['Digest realm="r", nonce="x", algorithm=SHA-512-256']), undefined);
    assert.equal(chooseChallenge([]), undefined);
  });
  it('several challenges in one value (RFC 7235 §4.1) are all considered', () => {
    assert.equal(chooseChallenge([`Basic realm="b", ${md5}, ${sha}`])?.nonce, 'shanonce');
  });
});

describe('digestAuthorization', () => {
  const base: DigestChallenge = { scheme: 'Digest', realm: 'r', nonce: 'n', algorithm: 'MD5', qop: ['auth-int'], stale: false };
  it('auth-int only when it is the only qop, and then the body is hashed', () => {
    const body = new TextEncoder().encode('v=0\r\n');
    const a = digestAuthorization({ challenge: base, credentials: { username: 'u', password: 'p' }, method: 'INVITE', uri: 'sip:x@y', body, cnonce: 'c', nc: 1 });
    assert.equal(fields(a).qop, 'auth-int');
    const b = digestAuthorization({ challenge: base, credentials: { username: 'u', password: 'p' }, method: 'INVITE', uri: 'sip:x@y', body: new TextEncoder().encode('v=1\r\n'), cnonce: 'c', nc: 1 });
    assert.notEqual(fields(a).response, fields(b).response);
  });
  it('quotes and escapes user names and URIs', () => {
    const a = digestAuthorization({ challenge: { ...base, qop: ['auth'] }, credentials: { username: 'a"b\\c', password: 'p' }, method: 'REGISTER', uri: 'sip:r', cnonce: 'c', nc: 1 });
    assert.ok(a.includes('username="a\\"b\\\\c"'));
    const p = parseDigestCredentials(a);
    assert.equal(p?.username, 'a"b\\c');
    assert.ok(p && verifyDigest(p, 'p', 'REGISTER'));
  });
  it('nc is 8 lower-case hex digits', () => {
    const a = digestAuthorization({ challenge: { ...base, qop: ['auth'] }, credentials: { username: 'u', password: 'p' }, method: 'REGISTER', uri: 'sip:r', cnonce: 'c', nc: 0xabc });
    assert.equal(fields(a).nc, '00000abc');
  });
  it('misuse throws FaxwireError: nc out of range, empty cnonce, unanswerable qop', () => {
    const i = { challenge: { ...base, qop: ['auth'] }, credentials: { username: 'u', password: 'p' }, method: 'REGISTER', uri: 'sip:r', cnonce: 'c', nc: 1 };
    assert.throws(() => digestAuthorization({ ...i, nc: 0 }), FaxwireError);
    assert.throws(() => digestAuthorization({ ...i, nc: 2 ** 32 }), FaxwireError);
    assert.throws(() => digestAuthorization({ ...i, cnonce: '' }), FaxwireError);
    assert.throws(() => digestAuthorization({ ...i, challenge: { ...base, qop: ['auth-conf'] } }), FaxwireError);
  });
});

describe('client → server round trip', () => {
  const algorithms: DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];
  const qops: (string | undefined)[] = [undefined, 'auth', 'auth-int', 'auth,auth-int'];
  const body = new TextEncoder().encode('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
  for (const alg of algorithms) {
    for (const qop of qops) {
      it(`${alg}, qop ${qop ?? 'absent'}: right password verifies, wrong password, method, body or nonce does not`, () => {
        const header = qop === undefined ? `Digest realm="faxwire", nonce="n0nce", algorithm=${alg}` : digestChallengeHeader('faxwire', 'n0nce', alg).replace('qop="auth"', `qop="${qop}"`);
        const client = new DigestClient({ username: 'fax', password: 's3cret' }, xorshift32(7));
        const value = client.authorize([header], 'INVITE', 'sip:fax@192.0.2.9', body);
        assert.ok(value !== undefined);
        const p = parseDigestCredentials(value);
        assert.ok(p);
        assert.equal(p.algorithm, alg);
        assert.equal(p.qop, qop === undefined ? undefined : qop === 'auth-int' ? 'auth-int' : 'auth');
        assert.equal(verifyDigest(p, 's3cret', 'INVITE', body), true);
        assert.equal(verifyDigest(p, 's3cret!', 'INVITE', body), false);
        assert.equal(verifyDigest(p, 's3cret', 'BYE', body), false);
        assert.equal(verifyDigest({ ...p, nonce: 'other' }, 's3cret', 'INVITE', body), false);
        if (p.qop === 'auth-int') assert.equal(verifyDigest(p, 's3cret', 'INVITE', new Uint8Array([1])), false);
        if (p.cnonce !== undefined) assert.equal(p.cnonce.length, 32); // 128 bits of injected randomness
      });
    }
  }

  it('verifyDigest refuses a response of the wrong length or an unknown qop, and accepts upper-case hex', () => {
    const value = digestAuthorization({ challenge: parseDigestChallenge(digestChallengeHeader('r', 'n', 'SHA-256', 'op')) as DigestChallenge, credentials: { username: 'u', password: 'p' }, method: 'REGISTER', uri: 'sip:r', cnonce: 'c', nc: 1 });
    const p = parseDigestCredentials(value);
    assert.ok(p);
    assert.equal(p.opaque, 'op');
    assert.equal(verifyDigest({ ...p, response: p.response.toUpperCase() }, 'p', 'REGISTER'), true);
    assert.equal(verifyDigest({ ...p, response: p.response.slice(0, 32) }, 'p', 'REGISTER'), false);
    assert.equal(verifyDigest({ ...p, qop: 'auth-conf' }, 'p', 'REGISTER'), false);
    assert.equal(verifyDigest({ ...p, nc: 'zz' }, 'p', 'REGISTER'), false);
  });

  it('parseDigestCredentials requires the mandatory fields and cnonce/nc with qop', () => {
    assert.equal(parseDigestCredentials('Digest username="u", realm="r", nonce="n", uri="sip:x"'), undefined);
    assert.equal(parseDigestCredentials('Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", qop=auth'), undefined);
    assert.equal(parseDigestCredentials('Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", algorithm=SHA-512-256'), undefined);
    assert.deepEqual(parseDigestCredentials('Digest username="u", realm="r", nonce="n", uri="sip:x", response="00"'), { username: 'u', realm: 'r', nonce: 'n', uri: 'sip:x', response: '00', algorithm: 'MD5' });
  });
});

describe('DigestClient', () => {
  const challenge = (nonce: string, extra = ''): string => `Digest realm="pbx", nonce="${nonce}", qop="auth"${extra}`;

  it('nc counts up per nonce and starts again at 1 on a new nonce; cnonces differ', () => {
    const c = new DigestClient({ username: 'u', password: 'p' }, xorshift32(1));
    const a1 = fields(c.authorize([challenge('A')], 'REGISTER', 'sip:pbx') ?? '');
    const a2 = fields(c.authorize([challenge('A')], 'REGISTER', 'sip:pbx') ?? '');
    const b1 = fields(c.authorize([challenge('B')], 'REGISTER', 'sip:pbx') ?? '');
    const a3 = fields(c.authorize([challenge('A')], 'REGISTER', 'sip:pbx') ?? '');
    assert.deepEqual([a1.nc, a2.nc, b1.nc, a3.nc], ['00000001', '00000002', '00000001', '00000003']);
    assert.notEqual(a1.cnonce, a2.cnonce);
    assert.equal(c.nonceCount('pbx', 'A'), 3);
    assert.equal(c.nonceCount('pbx', 'B'), 1);
  });

  it('a stale challenge is answered with its new nonce from nc 1', () => {
    const c = new DigestClient({ username: 'u', password: 'p' }, xorshift32(2));
    c.authorize([challenge('old')], 'REGISTER', 'sip:pbx');
    c.authorize([challenge('old')], 'REGISTER', 'sip:pbx');
    const stale = chooseChallenge([challenge('new', ', stale=true')]);
    assert.ok(stale?.stale);
    assert.equal(digestRetryAllowed(stale, true), true);
    const f = fields(c.authorize([challenge('new', ', stale=true')], 'REGISTER', 'sip:pbx') ?? '');
    assert.equal(f.nonce, 'new');
    assert.equal(f.nc, '00000001');
  });

  it('digestRetryAllowed: a plain challenge after sending credentials means they were refused', () => {
    const plain = parseDigestChallenge(challenge('x'));
    assert.ok(plain);
    assert.equal(digestRetryAllowed(plain, false), true);
    assert.equal(digestRetryAllowed(plain, true), false);
  });

  it('remembers a bounded number of nonces (the oldest is forgotten)', () => {
    const c = new DigestClient({ username: 'u', password: 'p' }, xorshift32(3));
    c.authorize([challenge('first')], 'REGISTER', 'sip:pbx');
    for (let i = 0; i < 40; i++) c.authorize([challenge(`n${i}`)], 'REGISTER', 'sip:pbx');
    assert.equal(c.nonceCount('pbx', 'first'), 0);
    assert.equal(c.nonceCount('pbx', 'n39'), 1);
  });

  it('no supported challenge: undefined', () => {
    const c = new DigestClient({ username: 'u', password: 'p' }, xorshift32(4));
    assert.equal(c.authorize(['Basic realm="x"', 'Digest realm="r", nonce="n", algorithm=SHA-512-256'], 'REGISTER', 'sip:pbx'), undefined);
  });
});

describe('digest: hostile header values', () => {
  const pieces = fc.constantFrom('Digest', ' ', ',', '=', '"', '\\', 'realm', 'nonce', 'qop', 'algorithm', 'SHA-256', 'MD5', 'auth', 'stale', 'true', 'Basic', '\t', '\r\n', 'x', 'ü', '\u0000');
  const esc = (x: string): string => x.replace(/[\\"]/g, (c) => `\\${c}`);
  /** Well-formed challenges around hostile realm, nonce and opaque values (so that the answer path is exercised too). */
  const shaped = fc
    .tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.string({ maxLength: 20 }), fc.constantFrom('MD5', 'md5-sess', 'SHA-256', 'sha-256-SESS'))
    .map(([r, n, o, a]) => `Digest realm="${esc(r)}", nonce="${esc(n)}", opaque="${esc(o)}", algorithm=${a}, qop="auth"`);
  const hostile = fc.oneof(fc.string({ maxLength: 200 }), fc.array(pieces, { maxLength: 60 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 200 }), shaped);

  it('property: parsing challenges and credentials never throws, and what parses is answerable and verifiable', () => {
    let answered = 0;
    fc.assert(
      fc.property(hostile, fc.array(hostile, { maxLength: 4 }), (v, vs) => {
        const c = parseDigestChallenge(v);
        if (c !== undefined) answered++;
        parseDigestCredentials(v);
        const chosen = chooseChallenge([v, ...vs]);
        for (const ch of [c, chosen]) {
          if (ch === undefined) continue;
          const value = digestAuthorization({ challenge: ch, credentials: { username: 'u', password: 'p' }, method: 'REGISTER', uri: 'sip:r', cnonce: 'c', nc: 1 });
          const p = parseDigestCredentials(value);
          assert.ok(p, value);
          assert.equal(verifyDigest(p, 'p', 'REGISTER'), true);
        }
      }),
      { numRuns: 2000 },
    );
    assert.ok(answered > 200, `only ${answered} of 2000 values were answerable challenges`);
  });

  it('property: verifyDigest never throws on arbitrary parameters', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), fc.constantFrom<DigestAlgorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'), (response, nonce, qop, nc, algorithm) => {
        const p = { username: 'u', realm: 'r', nonce, uri: 'sip:r', response, algorithm, ...(qop !== undefined ? { qop } : {}), ...(nc !== undefined ? { nc, cnonce: 'c' } : {}) };
        assert.equal(typeof verifyDigest(p, 'p', 'REGISTER'), 'boolean');
      }),
    );
  });

  it('a very long value is refused without work', () => {
    assert.equal(parseDigestChallenge(`Digest realm="r", nonce="${'a'.repeat(10000)}"`), undefined);
  });
});
