/**
 * SIP message benchmarks (src/sip/message.ts): messages parsed and serialized per second on one
 * core, for the three messages a fax call is made of — an INVITE carrying a T.38 SDP offer
 * (RFC 3261 §7 + T.38 Annex D.2.3), its 200 OK, and a small OPTIONS keep-alive probe — plus the
 * TCP framer (§18.3) and a parse followed by the readers a UA applies to every message (Via,
 * From/To, CSeq). There is no C baseline for SIP here: the figures stand alone, with the heap
 * bytes each operation allocates (the message object, its header strings and the body copy).
 *
 * The messages are written out below as text; `verify` checks the parser against values read off
 * that text by hand and that serializing gives the same octets back.
 */

import {
  getHeader,
  getHeaderList,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  SipStreamFramer,
  type SipMessage,
} from '../src/sip/message.js';
import { getGc, type BenchCase, type BenchSuite, type SuiteReportContext } from './lib.js';
import { concurrentCalls, uaCases } from './sip-ua.js';

const crlf = (lines: readonly string[]): string => lines.map((l) => `${l}\r\n`).join('');

const SDP = crlf([
  'v=0',
  'o=faxwire 2890844526 2890844526 IN IP4 192.0.2.10',
  's=faxwire',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=image 40000 udptl t38',
  'a=T38FaxVersion:0',
  'a=T38MaxBitRate:14400',
  'a=T38FaxRateManagement:transferredTCF',
  'a=T38FaxMaxBuffer:2000',
  'a=T38FaxMaxDatagram:400',
  'a=T38FaxUdpEC:t38UDPRedundancy',
]);

const INVITE = `${crlf([
  'INVITE sip:+4930123456@gw.example.net;user=phone SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a5d1f0c3b6e2;rport',
  'Max-Forwards: 70',
  'Contact: <sip:faxwire@192.0.2.10:5060>',
  'To: <sip:+4930123456@gw.example.net;user=phone>',
  'From: "Fax Server" <sip:faxwire@example.org>;tag=8a3c55e1',
  'Call-ID: 5a7e1c0b93f24d2a8e7b@192.0.2.10',
  'CSeq: 2 INVITE',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE',
  'Supported: timer, replaces',
  'Session-Expires: 1800;refresher=uac',
  'User-Agent: faxwire/0.1',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
])}${SDP}`;

const OK = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a5d1f0c3b6e2;rport=5060;received=192.0.2.10',
  'Record-Route: <sip:198.51.100.1;lr>',
  'Contact: <sip:gw@198.51.100.20:5060>',
  'To: <sip:+4930123456@gw.example.net;user=phone>;tag=as5f2c9d11',
  'From: "Fax Server" <sip:faxwire@example.org>;tag=8a3c55e1',
  'Call-ID: 5a7e1c0b93f24d2a8e7b@192.0.2.10',
  'CSeq: 2 INVITE',
  'Server: gateway',
  'Content-Length: 0',
  '',
]);

const OPTIONS = crlf([
  'OPTIONS sip:gw.example.net SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-opt-77',
  'Max-Forwards: 70',
  'To: <sip:gw.example.net>',
  'From: <sip:faxwire@example.org>;tag=op1',
  'Call-ID: opt-77@192.0.2.10',
  'CSeq: 77 OPTIONS',
  'Content-Length: 0',
  '',
]);

const MESSAGES = { 'invite-sdp': INVITE, '200-ok': OK, options: OPTIONS } as const;
type MessageName = keyof typeof MESSAGES;

function fail(what: string): never {
  throw new Error(`bench sip: code under test gives wrong results: ${what}`);
}

function bytesOf(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks the parse against values read off the text above, and the serialize round trip. */
function verify(name: MessageName): void {
  const text = MESSAGES[name];
  const bytes = bytesOf(text);
  const r = parseSipMessage(bytes);
  if (!r.ok) fail(`${name}: ${r.error.code}`);
  if (r.bytesRead !== bytes.length) fail(`${name}: bytesRead ${r.bytesRead}`);
  const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
  if (r.message.headers.length !== head.length - 1) fail(`${name}: ${r.message.headers.length} headers`);
  head.slice(1).forEach((line, i) => {
    const h = r.message.headers[i];
    if (h === undefined || `${h.name}: ${h.value}` !== line) fail(`${name}: header ${i}`);
  });
  if (name === 'invite-sdp' && new TextDecoder().decode(r.message.body) !== SDP) fail('invite body');
  if (!sameBytes(serializeSipMessage(r.message), bytes)) fail(`${name}: serialize does not give the same octets`);
}

function parseCase(name: MessageName): BenchCase {
  const bytes = bytesOf(MESSAGES[name]);
  return {
    name: `sip/parse/${name}`,
    description: `parseSipMessage of the ${name} message (${bytes.length} octets)`,
    unit: 'message',
    verify: () => verify(name),
    run: (n: number): number => {
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const r = parseSipMessage(bytes);
        if (r.ok) acc += r.message.headers.length + r.bytesRead;
      }
      return acc;
    },
  };
}

function serializeCase(name: MessageName): BenchCase {
  const r = parseSipMessage(bytesOf(MESSAGES[name]));
  const msg: SipMessage | undefined = r.ok ? r.message : undefined;
  return {
    name: `sip/serialize/${name}`,
    description: `serializeSipMessage of the parsed ${name} message`,
    unit: 'message',
    verify: () => verify(name),
    run: (n: number): number => {
      if (msg === undefined) return 0;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += serializeSipMessage(msg).length;
      return acc;
    },
  };
}

/** The INVITE and its 200 OK back to back on one TCP connection, fed in 1460-octet segments. */
function streamCase(): BenchCase {
  const both = bytesOf(INVITE + OK);
  const framer = new SipStreamFramer();
  return {
    name: 'sip/frame/invite+ok-tcp',
    description: `SipStreamFramer: INVITE + 200 OK (${both.length} octets) pushed as 1460-octet TCP segments; one op = one message`,
    unit: 'message',
    verify: () => {
      const f = new SipStreamFramer();
      for (let i = 0; i < both.length; i += 1460) f.push(both.subarray(i, i + 1460));
      const a = f.next();
      const b = f.next();
      if (!a?.ok || a.message.kind !== 'request' || !b?.ok || b.message.kind !== 'response' || f.next() !== undefined) fail('framer');
    },
    run: (n: number): number => {
      let acc = 0;
      for (let k = 0; k < n; k += 2) {
        for (let i = 0; i < both.length; i += 1460) framer.push(both.subarray(i, i + 1460));
        for (let r = framer.next(); r !== undefined; r = framer.next()) if (r.ok) acc += r.bytesRead;
      }
      return acc;
    },
  };
}

/** Parse, then what a UA reads of every incoming message: top Via, From and To tags, CSeq. */
function readersCase(): BenchCase {
  const bytes = bytesOf(INVITE);
  return {
    name: 'sip/parse/invite-sdp+readers',
    description: 'parseSipMessage + parseVia(top Via) + parseNameAddr(From, To) + parseCSeq',
    unit: 'message',
    verify: () => {
      const r = parseSipMessage(bytes);
      if (!r.ok) fail('readers parse');
      const via = parseVia(getHeaderList(r.message, 'Via')[0] ?? '');
      const from = parseNameAddr(getHeader(r.message, 'From') ?? '');
      if (via?.params.get('branch') !== 'z9hG4bK-524287-1---a5d1f0c3b6e2' || from?.params.get('tag') !== '8a3c55e1' || from.displayName !== 'Fax Server') fail('readers');
      if (parseCSeq(getHeader(r.message, 'CSeq') ?? '')?.seq !== 2) fail('readers cseq');
    },
    run: (n: number): number => {
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const r = parseSipMessage(bytes);
        if (!r.ok) continue;
        const m = r.message;
        const via = parseVia(getHeaderList(m, 'Via')[0] ?? '');
        const from = parseNameAddr(getHeader(m, 'From') ?? '');
        const to = parseNameAddr(getHeader(m, 'To') ?? '');
        const cseq = parseCSeq(getHeader(m, 'CSeq') ?? '');
        acc += (via?.params.size ?? 0) + (from?.params.size ?? 0) + (to?.params.size ?? 0) + (cseq?.seq ?? 0);
      }
      return acc;
    },
  };
}

export function sipSuite(): BenchSuite {
  const names = Object.keys(MESSAGES) as MessageName[];
  return {
    name: 'sip',
    title: 'SIP messages (RFC 3261 §7): parse, frame, serialize; the user agent: calls set up and torn down, calls held',
    input: `INVITE with T.38 SDP (${bytesOf(INVITE).length} octets, ${SDP.length} of SDP), 200 OK (${OK.length}), OPTIONS (${OPTIONS.length}); no C baseline`,
    cases: [...names.map(parseCase), readersCase(), streamCase(), ...names.map(serializeCase), ...uaCases()],
    baselines: [],
    notes: ['no C baseline for SIP: absolute figures; messages/s is per core (the run is pinned to one CPU when taskset allows)'],
    report: (ctx: SuiteReportContext) => {
      const lines: string[] = [];
      const inv = ctx.results.find((r) => r.name === 'sip/parse/invite-sdp');
      // A fax call's signalling is about a dozen messages (INVITE, 100, 200, ACK, re-INVITE to
      // T.38 and its answers, BYE, 200): how many call setups one core could parse per second.
      if (inv !== undefined) lines.push(`one core parses ≈ ${Math.round(1e9 / inv.nsPerOp / 12).toLocaleString('en')} fax calls' signalling per second (12 messages a call)`);
      const call = ctx.results.find((r) => r.name === 'sip/ua/call');
      if (call !== undefined) {
        const gc = getGc() ?? ((): void => {});
        for (const n of [100, 1000]) {
          const c = concurrentCalls(n, gc);
          lines.push(
            `${n} calls up at once (both UAs of each call in this process): ${(c.heapPerCall / 1024).toFixed(1)} KiB heap per call, ` +
              `one tick over all of them ${(c.tickNs / 1000).toFixed(0)} µs (${c.messagesPerCall.toFixed(0)} messages per call set-up)`,
          );
        }
        lines.push(`set-up + tear-down: ${Math.round(1e9 / call.nsPerOp).toLocaleString('en')} calls/s on one core (both ends' work: two UAs in one process)`);
      }
      return lines;
    },
  };
}
