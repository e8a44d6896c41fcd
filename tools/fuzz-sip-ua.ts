/**
 * Fuzz target for the SIP user agent (registered by fuzz.ts):
 *
 * - `sip-ua`: the input is `[len:2][SIP message]` records delivered, 50 ms apart, to a user agent
 *   that answers every call at once and accepts every offer with a fixed SDP (a fax receiver's
 *   UA). The seed is what a caller UA sends in a real call against it — INVITE, ACK, a re-INVITE
 *   to T.38, an UPDATE refresh, BYE — recorded from two UAs with fixed random seeds, so the tags
 *   in the seed match the dialog the target builds and mutations reach the in-dialog paths
 *   (re-INVITE glare and refresh, CSeq order, 2xx retransmission, session timers). Checked: never
 *   throws; the UA stays bounded; after `shutdown()` and the RFC's timers, every call and every
 *   transaction is gone.
 */

import { parseSipMessage, serializeSipMessage } from '../src/sip/message.js';
import { SipUserAgent, type SipCall } from '../src/sip/user-agent.js';
import { xorshift32 } from '../src/util/random.js';
import type { FuzzTarget } from './fuzz-stateful.js';

/** `[len hi][len lo][octets]` records (SIP messages outgrow fuzz-stateful.ts's one-octet lengths). */
function toRecords(payloads: readonly Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const p of payloads) {
    const q = p.subarray(0, 0xffff);
    parts.push(q.length >> 8, q.length & 0xff, ...q);
  }
  return Uint8Array.from(parts);
}

function* records(b: Uint8Array): Generator<Uint8Array> {
  let i = 0;
  while (i + 2 <= b.length) {
    const n = ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
    yield b.subarray(i + 2, Math.min(b.length, i + 2 + n));
    i += 2 + n;
  }
}

class FuzzFailure extends Error {}

function check(cond: boolean, what: string): void {
  if (!cond) throw new FuzzFailure(what);
}

const CALLEE = { transport: 'udp' as const, host: '10.7.0.2', port: 5060 };
const CALLER = { transport: 'udp' as const, host: '10.7.0.1', port: 5060 };
const SDP_A = 'v=0\r\no=a 1 1 IN IP4 10.7.0.1\r\ns=-\r\nc=IN IP4 10.7.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const SDP_A2 = 'v=0\r\no=a 1 2 IN IP4 10.7.0.1\r\ns=-\r\nc=IN IP4 10.7.0.1\r\nt=0 0\r\nm=image 4002 udptl t38\r\na=T38FaxVersion:0\r\n';
const SDP_B = 'v=0\r\no=b 1 1 IN IP4 10.7.0.2\r\ns=-\r\nc=IN IP4 10.7.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';

/** The callee under test: answers and accepts everything. */
function callee(send: (b: Uint8Array) => void): SipUserAgent {
  const ua = new SipUserAgent({
    host: CALLEE.host,
    port: 5060,
    transport: 'udp',
    from: `sip:fax@${CALLEE.host}`,
    random: xorshift32(424242),
    sessionExpires: 90,
    send: (m) => send(serializeSipMessage(m)),
    onIncomingCall: (c: SipCall, t: number) => {
      c.onEvent = (e, t2) => {
        if (e.type === 'offer') c.answerOffer(SDP_B.replace('b 1 1', `b 1 ${2 + (t2 % 7)}`), t2);
      };
      c.answer(SDP_B, t);
    },
  });
  return ua;
}

/** What a caller sends in one whole call against `callee` (both seeded), as records. */
function seedCall(): Uint8Array {
  const sent: Uint8Array[] = [];
  const toCallee: Uint8Array[] = [];
  const toCaller: Uint8Array[] = [];
  const a = new SipUserAgent({
    host: CALLER.host,
    port: 5060,
    transport: 'udp',
    from: `sip:sender@${CALLER.host}`,
    random: xorshift32(777),
    sessionExpires: 90,
    send: (m) => {
      const b = serializeSipMessage(m);
      sent.push(b);
      toCallee.push(b);
    },
  });
  const b = callee((x) => toCaller.push(x));
  let now = 0;
  const pump = (): void => {
    for (let g = 0; g < 100 && (toCallee.length > 0 || toCaller.length > 0); g++) {
      for (const x of toCallee.splice(0)) {
        const r = parseSipMessage(x);
        if (r.ok) b.receive(r.message, CALLER, now);
      }
      for (const x of toCaller.splice(0)) {
        const r = parseSipMessage(x);
        if (r.ok) a.receive(r.message, CALLEE, now);
      }
    }
  };
  const call = a.invite(`sip:fax@${CALLEE.host}`, SDP_A, now);
  pump();
  now += 50;
  call.reoffer(() => SDP_A2, now);
  pump();
  for (let i = 0; i < 3; i++) {
    now += 25_000;
    a.tick(now);
    b.tick(now);
    pump();
  }
  call.hangup(now);
  pump();
  return toRecords(sent);
}

export function sipUaTargets(): FuzzTarget[] {
  return [
    {
      name: 'sip-ua',
      seeds: [seedCall()],
      run: (input) => {
        let out = 0;
        const ua = callee(() => {
          out += 1;
        });
        let now = 0;
        let delivered = 0;
        for (const rec of records(input)) {
          const r = parseSipMessage(rec);
          if (r.ok) {
            ua.receive(r.message, delivered % 5 === 4 ? { ...CALLER, port: 5062 } : CALLER, now);
            delivered += 1;
          }
          now += 50;
          ua.tick(now);
          check(ua.layer.size <= 4096 && ua.calls <= 1000, 'bounded');
        }
        const callsUp = ua.calls;
        ua.shutdown(now);
        for (let k = 0; k < 10; k++) {
          now += 20_000;
          ua.tick(now);
        }
        check(ua.calls === 0, `calls left after shutdown: ${ua.calls}`);
        check(ua.layer.size === 0, `transactions left after shutdown: ${ua.layer.size}`);
        return `${Math.min(delivered, 5)}:${Math.min(callsUp, 2)}:${Math.min(out, 9)}`;
      },
    },
  ];
}
