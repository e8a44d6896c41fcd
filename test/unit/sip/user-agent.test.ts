/**
 * The SIP user agent (src/sip/user-agent.ts) in virtual time: two UAs joined by a simulated
 * link (delay, deterministic loss, a hook that can answer or drop messages in between), every
 * message serialized and parsed again. Calls, CANCEL, re-INVITE both ways, glare (491 and the
 * §14.1 back-off), refreshes that are not offers, session timers (refresh and expiry, 422),
 * digest challenges, REGISTER, and what a UAS answers to nonsense.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { digestChallengeHeader, parseDigestCredentials, verifyDigest } from '../../../src/sip/digest.js';
import { createResponse, getHeader, parseSipMessage, serializeSipMessage, addHeader, createRequest, type SipMessage, type SipRequest } from '../../../src/sip/message.js';
import { SipUserAgent, type SipCall, type SipCallEvent, type UserAgentOptions } from '../../../src/sip/user-agent.js';
import { xorshift32 } from '../../../src/util/random.js';

const HOST = ['10.0.0.1', '10.0.0.2'] as const;

interface Wire {
  at: number;
  to: 0 | 1;
  bytes: Uint8Array;
}

/** Two UAs on a link; `hook` sees each message first and may drop it (return false). */
class Pair {
  now = 0;
  readonly uas: [SipUserAgent, SipUserAgent];
  readonly q: Wire[] = [];
  readonly log: string[] = [];
  readonly incoming: SipCall[] = [];
  readonly events: [SipCallEvent[], SipCallEvent[]] = [[], []];
  onIncoming: (call: SipCall, now: number) => void = (c, t) => c.answer(sdp('b', 1), t);
  hook: (m: SipMessage, to: 0 | 1, pair: Pair) => boolean = () => true;
  private readonly lossRandom = xorshift32(99);

  constructor(
    readonly o: { loss?: number; delay?: number; a?: Partial<UserAgentOptions>; b?: Partial<UserAgentOptions> } = {},
  ) {
    const make = (i: 0 | 1): SipUserAgent =>
      new SipUserAgent({
        host: HOST[i],
        port: 5060,
        transport: 'udp',
        from: `sip:${i === 0 ? 'alice' : 'bob'}@${HOST[i]}`,
        random: xorshift32(11 + i),
        send: (m, dest) => this.send(m, dest.host === HOST[0] ? 0 : 1),
        ...(i === 1 ? { onIncomingCall: (c: SipCall, t: number) => this.takeCall(c, t) } : {}),
        ...(i === 0 ? o.a : o.b),
      });
    this.uas = [make(0), make(1)];
  }

  private takeCall(c: SipCall, t: number): void {
    this.incoming.push(c);
    c.onEvent = (e) => this.events[1].push(e);
    this.onIncoming(c, t);
  }

  send(m: SipMessage, to: 0 | 1): void {
    this.log.push(`${Math.round(this.now)} ${to === 1 ? '→' : '←'} ${m.kind === 'request' ? m.method : m.status}`);
    if (!this.hook(m, to, this)) return;
    if ((this.o.loss ?? 0) > 0 && this.lossRandom() / 2 ** 32 < (this.o.loss ?? 0)) return;
    this.q.push({ at: this.now + (this.o.delay ?? 10), to, bytes: serializeSipMessage(m) });
  }

  call(target = `sip:bob@${HOST[1]}`, body = sdp('a', 1)): SipCall {
    const c = this.uas[0].invite(target, body, this.now);
    c.onEvent = (e) => this.events[0].push(e);
    return c;
  }

  /** Runs until `until` (ms), delivering messages and timers in order. */
  run(until: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const times = [this.uas[0].nextTimeout(), this.uas[1].nextTimeout(), ...this.q.map((w) => w.at)].filter((t): t is number => t !== undefined && t <= until);
      if (times.length === 0) break;
      this.now = Math.max(this.now, Math.min(...times));
      const due = this.q.filter((w) => w.at <= this.now);
      for (const w of due) {
        this.q.splice(this.q.indexOf(w), 1);
        const r = parseSipMessage(w.bytes);
        assert.ok(r.ok, 'the UA wrote a message its own parser rejects');
        if (r.ok) this.uas[w.to].receive(r.message, { transport: 'udp', host: HOST[w.to === 0 ? 1 : 0], port: 5060 }, this.now);
      }
      this.uas[0].tick(this.now);
      this.uas[1].tick(this.now);
    }
    this.now = Math.max(this.now, until);
  }

  types(i: 0 | 1): string[] {
    return this.events[i].map((e) => e.type);
  }
}

function sdp(who: string, version: number, media = 'm=audio 4000 RTP/AVP 0'): string {
  return `v=0\r\no=${who} 1 ${version} IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n${media}\r\n`;
}

describe('SIP user agent: calls', () => {
  it('INVITE → 100/200 → ACK; BYE → 200; both sides end and forget the call', () => {
    const p = new Pair();
    const c = p.call();
    p.run(1000);
    assert.equal(c.state, 'confirmed');
    assert.deepEqual(p.types(0), ['answered']);
    assert.deepEqual(p.types(1), ['confirmed']);
    const answered = p.events[0][0];
    assert.ok(answered?.type === 'answered' && answered.sdp?.includes('o=b 1 1'));
    assert.equal(p.incoming[0]?.remoteSdp, sdp('a', 1));
    c.hangup(p.now);
    p.run(5000);
    assert.equal(p.incoming[0]?.state, 'terminated');
    assert.deepEqual(p.types(1), ['confirmed', 'ended']);
    assert.equal(p.uas[0].calls + p.uas[1].calls, 2, 'ended calls are remembered for 64·T1 to absorb retransmissions');
    p.run(80_000);
    assert.equal(p.uas[0].calls + p.uas[1].calls, 0);
    assert.equal(p.uas[0].layer.size + p.uas[1].layer.size, 0);
    // The UAS answered within 200 ms, so no 100 Trying was needed (§17.2.1).
    assert.deepEqual(p.log.map((l) => l.replace(/^\d+ /, '')), ['→ INVITE', '← 200', '→ ACK', '→ BYE', '← 200']);
  });

  it('completes a whole call and hang-up under 30 % loss each way (retransmissions, 2xx resent until the ACK)', () => {
    const p = new Pair({ loss: 0.3 });
    const c = p.call();
    p.run(40_000);
    assert.equal(c.state, 'confirmed');
    assert.equal(p.incoming.length, 1, 'retransmitted INVITEs make one call');
    c.hangup(p.now);
    p.run(120_000);
    assert.equal(p.incoming[0]?.state, 'terminated');
    assert.ok(p.log.filter((l) => l.endsWith('INVITE')).length > 1 || p.log.filter((l) => l.endsWith('200')).length > 2, 'loss caused retransmissions');
  });

  it('rings, then CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, both ended', () => {
    const p = new Pair();
    p.onIncoming = (call, t) => call.ring(t);
    const c = p.call();
    p.run(500);
    assert.equal(c.state, 'early');
    assert.deepEqual(p.types(0), ['progress']);
    c.hangup(p.now);
    p.run(3000);
    assert.equal(c.state, 'terminated');
    const end = p.events[0].at(-1);
    assert.ok(end?.type === 'ended' && end.status === 487 && !end.answered);
    const endB = p.events[1].at(-1);
    assert.ok(endB?.type === 'ended' && endB.status === 487);
    assert.ok(p.log.some((l) => l.endsWith('→ CANCEL')));
  });

  it('CANCEL waits for a provisional response (§9.1): none before hang-up, sent once the 180 arrives', () => {
    const p = new Pair({ delay: 50 });
    p.onIncoming = (call, t) => call.ring(t);
    const c = p.call();
    c.hangup(p.now);
    assert.ok(!p.log.some((l) => l.endsWith('CANCEL')));
    p.run(3000);
    assert.ok(p.log.some((l) => l.endsWith('→ CANCEL')));
    assert.equal(c.state, 'terminated');
  });

  it('a rejected call (486) ends the caller with that status; Timer B ends an unanswered call with 408', () => {
    const p = new Pair();
    p.onIncoming = (call, t) => call.reject(486, t);
    const c = p.call();
    p.run(2000);
    const e = p.events[0].at(-1);
    assert.ok(e?.type === 'ended' && e.status === 486 && !e.answered);
    assert.equal(c.state, 'terminated');

    const q = new Pair();
    q.hook = (m, to) => !(to === 1 && m.kind === 'request');
    const d = q.call();
    q.run(40_000);
    const f = q.events[0].at(-1);
    assert.ok(f?.type === 'ended' && f.status === 408 && f.by === 'timeout');
    assert.equal(d.state, 'terminated');
  });
});

describe('SIP user agent: routing', () => {
  it('an outbound proxy takes every request outside a dialog, with a loose Route to itself (§8.1.2)', () => {
    const p = new Pair({ a: { outboundProxy: `sip:${HOST[1]}:5060` } });
    let route: string | undefined;
    p.hook = (m, to) => {
      if (to === 1 && m.kind === 'request' && m.method === 'INVITE') route = m.headers.find((h) => h.name === 'Route')?.value;
      return true;
    };
    // The target's host does not exist on this network: only the proxy route gets it there.
    const c = p.call('sip:bob@pbx.example.net');
    p.run(1000);
    assert.equal(c.state, 'confirmed', p.log.join('\n'));
    assert.equal(route, `<sip:${HOST[1]}:5060;lr>`);
    assert.equal(p.incoming[0]?.incomingInvite?.uri, 'sip:bob@pbx.example.net');
  });
});

describe('SIP user agent: re-INVITE, refresh and glare', () => {
  it('a re-INVITE with a new SDP version is an offer the owner answers; the same version is a refresh', () => {
    const p = new Pair();
    const c = p.call();
    p.run(1000);
    const b = p.incoming[0];
    assert.ok(b !== undefined);
    b.onEvent = (e, t) => {
      p.events[1].push(e);
      if (e.type === 'offer') b.answerOffer(sdp('b', 2, 'm=image 5000 udptl t38'), t);
    };
    assert.ok(c.reoffer(() => sdp('a', 2, 'm=image 6000 udptl t38'), p.now));
    p.run(3000);
    assert.deepEqual(p.types(1).slice(-1), ['offer']);
    const r = p.events[0].at(-1);
    assert.ok(r?.type === 'reoffer-result' && r.ok && r.sdp.includes('m=image 5000'));
    assert.equal(c.remoteSdp?.includes('m=image 5000'), true);
    // Same o= version again: a refresh, answered with B's last SDP, no offer event.
    assert.ok(c.reoffer(() => sdp('a', 2, 'm=image 6000 udptl t38'), p.now));
    p.run(6000);
    assert.equal(p.events[1].filter((e) => e.type === 'offer').length, 1);
    assert.equal(p.events[1].at(-1)?.type, 'refreshed');
    const r2 = p.events[0].at(-1);
    assert.ok(r2?.type === 'reoffer-result' && r2.ok && r2.sdp.includes('m=image 5000'));
  });

  it('a re-INVITE that changes the media without raising the o= version is still an offer (lenient to such gateways)', () => {
    const p = new Pair();
    const c = p.call();
    p.run(1000);
    const b = p.incoming[0];
    assert.ok(b !== undefined);
    b.onEvent = (e, t) => {
      p.events[1].push(e);
      if (e.type === 'offer') b.answerOffer(sdp('b', 2, 'm=image 5000 udptl t38'), t);
    };
    c.reoffer(() => sdp('a', 1, 'm=image 6000 udptl t38'), p.now);
    p.run(3000);
    assert.equal(p.events[1].filter((e) => e.type === 'offer').length, 1);
    const r = p.events[0].at(-1);
    assert.ok(r?.type === 'reoffer-result' && r.ok && r.sdp.includes('m=image 5000'));
  });

  it('a refused re-offer (488) leaves the session as it was', () => {
    const p = new Pair();
    const c = p.call();
    p.run(1000);
    const b = p.incoming[0];
    assert.ok(b !== undefined);
    b.onEvent = (e, t) => {
      if (e.type === 'offer') b.rejectOffer(488, t);
    };
    c.reoffer(() => sdp('a', 2, 'm=image 6000 udptl t38'), p.now);
    p.run(3000);
    const r = p.events[0].at(-1);
    assert.ok(r?.type === 'reoffer-result' && !r.ok && r.status === 488);
    assert.equal(c.state, 'confirmed');
    assert.equal(c.remoteSdp, sdp('b', 1));
    // The call still works: BYE goes through.
    c.hangup(p.now);
    p.run(6000);
    assert.equal(b.state, 'terminated');
  });

  it('glare: both re-INVITE at once → 491 both ways, §14.1 back-off (Call-ID owner 2.1–4 s, other 0–2 s), then one offer wins', () => {
    const p = new Pair();
    const c = p.call();
    p.run(1000);
    const b = p.incoming[0];
    assert.ok(b !== undefined);
    let aSwitched = false;
    let bSwitched = false;
    c.onEvent = (e, t) => {
      p.events[0].push(e);
      if (e.type === 'offer') {
        aSwitched = true;
        c.answerOffer(sdp('a', 3, 'm=image 6000 udptl t38'), t);
      }
      if (e.type === 'reoffer-result' && e.ok) aSwitched = true;
    };
    b.onEvent = (e, t) => {
      p.events[1].push(e);
      if (e.type === 'offer') {
        bSwitched = true;
        b.answerOffer(sdp('b', 3, 'm=image 5000 udptl t38'), t);
      }
      if (e.type === 'reoffer-result' && e.ok) bSwitched = true;
    };
    const t0 = p.now;
    // Each side gives up its own retry if it has been switched meanwhile.
    c.reoffer(() => (aSwitched ? undefined : sdp('a', 2, 'm=image 6000 udptl t38')), p.now);
    b.reoffer(() => (bSwitched ? undefined : sdp('b', 2, 'm=image 5000 udptl t38')), p.now);
    p.run(t0 + 10_000);
    assert.equal(p.log.filter((l) => l.endsWith('491')).length, 2, 'each side answered the other with 491');
    assert.equal(p.uas[0].stats.glare + p.uas[1].stats.glare, 4);
    const offers = p.events[0].filter((e) => e.type === 'offer').length + p.events[1].filter((e) => e.type === 'offer').length;
    assert.equal(offers, 1, 'exactly one re-INVITE was accepted; the other side dropped its retry');
    // B (not the Call-ID owner) backs off 0–2 s and wins: A received its offer.
    assert.equal(p.events[0].filter((e) => e.type === 'offer').length, 1);
    const second = p.log.filter((l) => l.endsWith('INVITE')).map((l) => Number(l.split(' ')[0])).filter((t) => t >= t0);
    assert.ok(second.length === 3, `re-INVITEs: ${second.join(',')}`);
    assert.ok((second[2] ?? 0) - t0 <= 2100, `B's retry came ${(second[2] ?? 0) - t0} ms after the glare`);
    assert.ok(aSwitched && bSwitched);
  });
});

describe('SIP user agent: session timers (RFC 4028)', () => {
  it('the refresher refreshes with a body-less UPDATE at half the interval; no offer reaches the owner', () => {
    const p = new Pair({ a: { sessionExpires: 90 } });
    const c = p.call();
    p.run(1000);
    assert.equal(c.sessionInterval, 90);
    p.run(200_000);
    assert.equal(c.state, 'confirmed');
    const updates = p.log.filter((l) => l.endsWith('→ UPDATE')).map((l) => Number(l.split(' ')[0]));
    assert.ok(updates.length >= 4, `UPDATE refreshes: ${updates.join(',')}`);
    assert.ok(Math.abs((updates[0] ?? 0) - 45_000) < 1500, `first refresh at ${updates[0]}`);
    assert.equal(p.events[1].filter((e) => e.type === 'offer').length, 0);
    assert.ok(p.events[1].some((e) => e.type === 'refreshed'));
  });

  it('without refreshes the other side sends BYE at SE − min(32, SE/3)', () => {
    const p = new Pair({ a: { sessionExpires: 90 } });
    const c = p.call();
    p.run(1000);
    p.hook = (m, to) => !(to === 1 && m.kind === 'request' && m.method === 'UPDATE');
    p.run(100_000);
    const bye = p.log.find((l) => l.endsWith('← BYE'));
    assert.ok(bye !== undefined, p.log.join('\n'));
    const at = Number(bye.split(' ')[0]);
    assert.ok(at >= 60_000 && at < 62_000, `BYE at ${at} ms, expected ≈ 60 s`);
    assert.equal(c.state, 'terminated');
  });

  it('422 with Min-SE: the INVITE is sent again with the interval the peer asks for', () => {
    const p = new Pair({ a: { sessionExpires: 90 }, b: { minSE: 600 } });
    const c = p.call();
    p.run(3000);
    assert.ok(p.log.some((l) => l.endsWith('422')));
    assert.equal(c.state, 'confirmed');
    assert.equal(c.sessionInterval, 600);
  });
});

describe('SIP user agent: authentication and registration', () => {
  it('answers a 401 on INVITE with digest credentials (SHA-256) and the call goes through', () => {
    const p = new Pair({ a: { credentials: { username: 'fax', password: 's3cret' } } });
    let challenged = 0;
    let verified = 0;
    p.hook = (m, to, pair) => {
      if (to !== 1 || m.kind !== 'request' || m.method !== 'INVITE') return true;
      const auth = getHeader(m, 'Authorization');
      if (auth === undefined) {
        challenged += 1;
        const res = createResponse(m, 401, 'Unauthorized', 'proxytag');
        addHeader(res, 'WWW-Authenticate', digestChallengeHeader('faxwire.test', 'n0nce', 'SHA-256'));
        pair.q.push({ at: pair.now + 5, to: 0, bytes: serializeSipMessage(res) });
        return false;
      }
      const cred = parseDigestCredentials(auth);
      assert.ok(cred !== undefined);
      assert.equal(cred.algorithm, 'SHA-256');
      if (verifyDigest(cred, 's3cret', 'INVITE')) verified += 1;
      return true;
    };
    const c = p.call();
    p.run(3000);
    assert.equal(challenged, 1);
    assert.equal(verified, 1);
    assert.equal(c.state, 'confirmed');
    assert.equal(p.uas[0].stats.authRetries, 1);
  });

  it('gives up after a second challenge to the same nonce (wrong password) and reports 401', () => {
    const p = new Pair({ a: { credentials: { username: 'fax', password: 'wrong' } } });
    p.hook = (m, to, pair) => {
      if (to !== 1 || m.kind !== 'request' || m.method !== 'INVITE') return true;
      const res = createResponse(m, 401, 'Unauthorized', 'proxytag');
      addHeader(res, 'WWW-Authenticate', digestChallengeHeader('faxwire.test', 'n0nce', 'MD5'));
      pair.q.push({ at: pair.now + 5, to: 0, bytes: serializeSipMessage(res) });
      return false;
    };
    const c = p.call();
    p.run(5000);
    const e = p.events[0].at(-1);
    assert.ok(e?.type === 'ended' && e.status === 401);
    assert.equal(c.state, 'terminated');
    assert.equal(p.log.filter((l) => l.endsWith('→ INVITE')).length, 2);
  });

  it('REGISTER: challenged, then registered for what the registrar grants, refreshed before it expires', () => {
    const p = new Pair({ a: { credentials: { username: 'fax', password: 'pw' } } });
    let registers = 0;
    p.hook = (m, to, pair) => {
      if (to !== 1 || m.kind !== 'request' || m.method !== 'REGISTER') return true;
      registers += 1;
      const auth = getHeader(m, 'Authorization');
      const res = auth === undefined ? createResponse(m, 401, 'Unauthorized', 'r') : createResponse(m, 200, 'OK', 'r');
      if (auth === undefined) addHeader(res, 'WWW-Authenticate', digestChallengeHeader('reg', `n${registers}`, 'MD5'));
      else {
        const cred = parseDigestCredentials(auth);
        assert.ok(cred !== undefined && verifyDigest(cred, 'pw', 'REGISTER'));
        addHeader(res, 'Contact', `<sip:alice@${HOST[0]}:5060>;expires=120`);
      }
      pair.q.push({ at: pair.now + 5, to: 0, bytes: serializeSipMessage(res) });
      return false;
    };
    const results: string[] = [];
    const reg = p.uas[0].register(`sip:${HOST[1]}`, 3600, p.now, (r) => results.push(r.ok ? `ok ${r.expires}` : `fail ${r.status}`));
    p.run(1000);
    assert.equal(reg.state, 'registered');
    assert.equal(reg.expires, 120);
    p.run(100_000);
    assert.ok(results.length >= 2, `refreshes: ${results.join(', ')}`);
    assert.ok(results.every((r) => r === 'ok 120'));
  });
});

describe('SIP user agent: what a UAS answers to nonsense', () => {
  const inject = (p: Pair, req: SipRequest): string[] => {
    const before = p.log.length;
    p.q.push({ at: p.now + 1, to: 1, bytes: serializeSipMessage(req) });
    p.run(p.now + 100);
    return p.log.slice(before).map((l) => l.replace(/^\d+ /, ''));
  };
  const base = (method: string, extra: { name: string; value: string }[] = []): SipRequest =>
    createRequest(method, `sip:bob@${HOST[1]}`, [
      { name: 'Via', value: `SIP/2.0/UDP ${HOST[0]}:5060;branch=z9hG4bK${method}${extra.length}x` },
      { name: 'From', value: `<sip:mallory@${HOST[0]}>;tag=m1` },
      { name: 'To', value: `<sip:bob@${HOST[1]}>` },
      { name: 'Call-ID', value: `evil-${method}-${extra.length}` },
      { name: 'CSeq', value: `1 ${method}` },
      { name: 'Max-Forwards', value: '70' },
      ...extra,
    ]);

  it('unknown method → 501; BYE outside a dialog → 481; a dialog that does not exist → 481; OPTIONS → 200', () => {
    const p = new Pair();
    assert.deepEqual(inject(p, base('FROB')), ['← 501']);
    assert.deepEqual(inject(p, base('BYE')), ['← 481']);
    const inDialog = base('INVITE');
    inDialog.headers = inDialog.headers.map((h) => (h.name === 'To' ? { name: 'To', value: `<sip:bob@${HOST[1]}>;tag=nosuch` } : h));
    assert.deepEqual(inject(p, inDialog), ['← 481']);
    assert.deepEqual(inject(p, base('OPTIONS')), ['← 200']);
    assert.equal(p.uas[1].calls, 0);
  });

  it('Require: an extension we lack → 420 with Unsupported; too short a Session-Expires → 422 with Min-SE', () => {
    const p = new Pair();
    assert.deepEqual(inject(p, base('INVITE', [{ name: 'Require', value: '100rel' }])), ['← 420']);
    assert.deepEqual(inject(p, base('INVITE', [{ name: 'Session-Expires', value: '30' }, { name: 'Contact', value: `<sip:m@${HOST[0]}>` }])), ['← 422']);
    assert.equal(p.uas[1].calls, 0);
  });

  it('a CSeq lower than the last one inside a dialog → 500', () => {
    const p = new Pair();
    const c = p.call();
    p.run(1000);
    assert.equal(c.state, 'confirmed');
    const d = c.dialog;
    assert.ok(d !== undefined);
    const req = createRequest('INFO', `sip:bob@${HOST[1]}`, [
      { name: 'Via', value: `SIP/2.0/UDP ${HOST[0]}:5060;branch=z9hG4bKlowcseq` },
      { name: 'From', value: `<sip:alice@${HOST[0]}>;tag=${d.localTag}` },
      { name: 'To', value: `<sip:bob@${HOST[1]}>;tag=${d.remoteTag}` },
      { name: 'Call-ID', value: d.callId },
      { name: 'CSeq', value: `0 INFO` },
      { name: 'Max-Forwards', value: '70' },
    ]);
    assert.deepEqual(inject(p, req), ['← 500']);
  });
});
