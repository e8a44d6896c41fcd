/**
 * The gateway's back-to-back user agent (src/sip/fax-b2bua.ts) in virtual time: a caller, the
 * gateway's UA and a callee on one simulated network, every message serialized and parsed again.
 * The leg types follow the incoming offer; the incoming call is answered only when the second
 * leg is; failures, CANCEL and hang-ups cross the bridge; new offers once bridged get 488.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { FaxB2bua, type FaxB2buaEvent } from '../../../src/sip/fax-b2bua.js';
import { parseFaxSdp } from '../../../src/sip/fax-sdp.js';
import { parseSipMessage, serializeSipMessage } from '../../../src/sip/message.js';
import { SipUserAgent, type SipCall, type SipCallEvent } from '../../../src/sip/user-agent.js';
import { xorshift32 } from '../../../src/util/random.js';
import { SIM_T38_CAPS } from '../../sim/sip-call.js';

const HOSTS = ['10.1.0.1', '10.1.0.2', '10.1.0.3'] as const; // caller, gateway, callee

const AUDIO_OFFER = 'v=0\r\no=ata 1 1 IN IP4 10.1.0.1\r\ns=-\r\nc=IN IP4 10.1.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n';
const IMAGE_OFFER = 'v=0\r\no=trunk 1 1 IN IP4 10.1.0.1\r\ns=-\r\nc=IN IP4 10.1.0.1\r\nt=0 0\r\nm=image 7100 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxDatagram:300\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n';
const IMAGE_ANSWER = 'v=0\r\no=trunk 2 1 IN IP4 10.1.0.3\r\ns=-\r\nc=IN IP4 10.1.0.3\r\nt=0 0\r\nm=image 9100 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxDatagram:320\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n';
const AUDIO_ANSWER = 'v=0\r\no=ata 2 1 IN IP4 10.1.0.3\r\ns=-\r\nc=IN IP4 10.1.0.3\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0\r\n';

class Net3 {
  now = 0;
  readonly q: { at: number; to: number; from: number; bytes: Uint8Array }[] = [];
  readonly log: string[] = [];
  readonly uas: SipUserAgent[];
  readonly b2b: FaxB2bua[] = [];
  readonly gwEvents: FaxB2buaEvent[] = [];
  readonly callerEvents: SipCallEvent[] = [];
  readonly calleeEvents: SipCallEvent[] = [];
  callee: SipCall | undefined;
  onCallee: (c: SipCall, t: number) => void = (c, t) => c.answer(IMAGE_ANSWER, t);

  constructor() {
    this.uas = HOSTS.map(
      (host, i) =>
        new SipUserAgent({
          host,
          port: 5060,
          transport: 'udp',
          from: `sip:n${i}@${host}`,
          random: xorshift32(31 + i),
          send: (m, dest) => {
            const to = HOSTS.indexOf(dest.host as (typeof HOSTS)[number]);
            assert.ok(to >= 0, `sent to ${dest.host}`);
            this.log.push(`${i}→${to} ${m.kind === 'request' ? m.method : m.status}`);
            this.q.push({ at: this.now + 5, to, from: i, bytes: serializeSipMessage(m) });
          },
          onIncomingCall: (call: SipCall, t: number) => {
            if (i === 1) {
              const b = FaxB2bua.fromIncoming(this.uas[1] as SipUserAgent, call, { target: `sip:fax@${HOSTS[2]}`, t38Caps: SIM_T38_CAPS, local: { address: HOSTS[1], audioPort: 8000, imagePort: 8100 }, random: xorshift32(5) }, t);
              b.onEvent = (e) => this.gwEvents.push(e);
              this.b2b.push(b);
            } else if (i === 2) {
              this.callee = call;
              call.onEvent = (e) => this.calleeEvents.push(e);
              this.onCallee(call, t);
            }
          },
        }),
    );
  }

  call(sdp: string): SipCall {
    const c = (this.uas[0] as SipUserAgent).invite(`sip:gw@${HOSTS[1]}`, sdp, this.now);
    c.onEvent = (e) => this.callerEvents.push(e);
    return c;
  }

  run(until: number): void {
    for (let g = 0; g < 100_000; g++) {
      const times = [...this.uas.map((u) => u.nextTimeout()), ...this.q.map((w) => w.at)].filter((t): t is number => t !== undefined && t <= until);
      if (times.length === 0) break;
      this.now = Math.max(this.now, Math.min(...times));
      for (const w of this.q.filter((x) => x.at <= this.now)) {
        this.q.splice(this.q.indexOf(w), 1);
        const r = parseSipMessage(w.bytes);
        assert.ok(r.ok);
        if (r.ok) this.uas[w.to]?.receive(r.message, { transport: 'udp', host: HOSTS[w.from] ?? '', port: 5060 }, this.now);
      }
      for (const u of this.uas) u.tick(this.now);
    }
    this.now = Math.max(this.now, until);
  }
}

describe('gateway B2BUA', () => {
  it('G.711 caller → gateway → T.38 callee: the second leg offers T.38 alone, the caller is answered with audio once it answers, the bridge names both far ends', () => {
    const n = new Net3();
    const caller = n.call(AUDIO_OFFER);
    n.run(2000);
    assert.equal(caller.state, 'confirmed', n.log.join('\n'));
    const out = n.callee?.remoteSdp;
    const outOffer = out !== undefined ? parseFaxSdp(out) : undefined;
    assert.ok(outOffer !== undefined && !('error' in outOffer));
    assert.deepEqual(outOffer.order, ['image']);
    assert.ok(typeof outOffer.image === 'object' && outOffer.image.port === 8100);
    const ans = caller.remoteSdp !== undefined ? parseFaxSdp(caller.remoteSdp) : undefined;
    assert.ok(ans !== undefined && !('error' in ans) && typeof ans.audio === 'object' && ans.audio.port === 8000 && ans.audio.codecs[0] === 'PCMA');
    const br = n.gwEvents.find((e) => e.type === 'bridge');
    assert.ok(br?.type === 'bridge');
    assert.deepEqual(br.bridge.audio, { remoteHost: HOSTS[0], remotePort: 7000, codec: 'PCMA' });
    assert.equal(br.bridge.t38.remoteHost, HOSTS[2]);
    assert.equal(br.bridge.t38.remotePort, 9100);
    assert.equal(br.bridge.t38.maxDatagram, 320);
    assert.ok(n.log.indexOf('1→0 180') < n.log.indexOf('1→2 INVITE') || n.log.includes('1→0 180'));
  });

  it('T.38 caller → gateway → G.711 callee: the second leg offers audio alone', () => {
    const n = new Net3();
    n.onCallee = (c, t) => c.answer(AUDIO_ANSWER, t);
    const caller = n.call(IMAGE_OFFER);
    n.run(2000);
    assert.equal(caller.state, 'confirmed', n.log.join('\n'));
    const br = n.gwEvents.find((e) => e.type === 'bridge');
    assert.ok(br?.type === 'bridge');
    assert.equal(br.bridge.incoming, 't38');
    assert.deepEqual(br.bridge.audio, { remoteHost: HOSTS[2], remotePort: 9000, codec: 'PCMU' });
    assert.deepEqual([br.bridge.t38.remoteHost, br.bridge.t38.remotePort, br.bridge.t38.maxDatagram], [HOSTS[0], 7100, 300]);
  });

  it('the callee refuses (488): the caller gets 488 and nothing is bridged', () => {
    const n = new Net3();
    n.onCallee = (c, t) => c.reject(488, t);
    const caller = n.call(AUDIO_OFFER);
    n.run(3000);
    assert.equal(caller.state, 'terminated');
    const e = n.callerEvents.at(-1);
    assert.ok(e?.type === 'ended' && e.status === 488);
    const end = n.gwEvents.at(-1);
    assert.ok(end?.type === 'ended' && !end.bridged);
  });

  it('the caller cancels while the callee rings: the second leg is cancelled too', () => {
    const n = new Net3();
    n.onCallee = (c, t) => c.ring(t);
    const caller = n.call(AUDIO_OFFER);
    n.run(500);
    caller.hangup(n.now);
    n.run(3000);
    assert.equal(n.callee?.state, 'terminated');
    assert.ok(n.log.includes('1→2 CANCEL'), n.log.join('\n'));
    const e = n.calleeEvents.at(-1);
    assert.ok(e?.type === 'ended' && e.status === 487);
  });

  it('bridged: a re-INVITE from the G.711 side gets 488; the callee hanging up takes the caller with it', () => {
    const n = new Net3();
    const caller = n.call(AUDIO_OFFER);
    n.run(2000);
    caller.reoffer(() => IMAGE_OFFER.replace('o=trunk 1 1', 'o=ata 1 2'), n.now);
    n.run(3000);
    const r = n.callerEvents.at(-1);
    assert.ok(r?.type === 'reoffer-result' && !r.ok && r.status === 488);
    n.callee?.hangup(n.now);
    n.run(6000);
    assert.equal(caller.state, 'terminated');
    assert.ok(n.log.includes('1→0 BYE'));
    const end = n.gwEvents.at(-1);
    assert.ok(end?.type === 'ended' && end.bridged);
  });
});
