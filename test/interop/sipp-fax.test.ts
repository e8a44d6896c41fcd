/**
 * faxwire's SIP user agent (`faxwire send --to sip:…`, `faxwire receive --sip-listen …`) against
 * SIPp (sip-tester 3.6) running Asterisk's own T.38 scenarios, with the spandsp reference peer
 * (t38peer, audiofax) carrying the fax on the ports the SDP named; and two faxwire processes
 * faxing each other over SIP. Everything on 127.0.0.1, every process under `timeout` in a
 * process group of its own and killed at the end, ports checked free first.
 *
 * The scenarios are read at test time from ../shared/corpus (GPL-2 third-party data, never
 * copied here) and adapted in code (sipp.ts): each edit below says why faxwire's run differs
 * from Asterisk's. What each run shows:
 *  (a) asterisk-contrib/sipp-sendfax.xml — SIPp calls `faxwire receive`, re-INVITEs to T.38;
 *      faxwire answers 200 with m=image; t38peer sends 3 pages over UDPTL; faxwire's TIFF is
 *      pixel-identical to the original (`tiffcmp -t`). Once over SIP/UDP, once over SIP/TCP.
 *  (b) t38_fast_reject/B_PARTY.xml — `faxwire send` calls SIPp, which answers in G.711 and then
 *      refuses faxwire's T.38 re-INVITE with 488; the fax finishes in audio with audiofax.
 *  (c) t38_initial_offer/uac-audio-t38.xml — an initial offer with audio and image: faxwire's
 *      answer accepts exactly one of them (the other with port 0) and the fax runs on it;
 *      t38_zero_port/endpoint_A.xml — faxwire's T.38 re-INVITE is answered `m=image 0`: the fax
 *      goes on in audio.
 *  (d) maxdatagram/callee/sipp/bob.xml — SIPp re-INVITEs faxwire with T38FaxMaxDatagram; a UDP
 *      relay between faxwire and t38peer checks faxwire never sends a larger datagram.
 *  (e) t38_1xx_response/send_1xx.xml — faxwire's own T.38 re-INVITE gets 100, 180, then (1 s
 *      later) 200.
 *  (f) B_PARTY.xml with a digest challenge in front: SIPp answers faxwire's INVITE with 401,
 *      verifies the retried INVITE's credentials (`verifyauth`), the call goes on; a wrong
 *      password gets 403.
 *  (g) chan_sip t38_negotiation_timeout/t38timeout.xml — the 200 to faxwire's T.38 re-INVITE
 *      comes 5 s after the 100; faxwire waits for it and the fax runs over T.38.
 *  (h) t38_enabled_two_reinvite_on_a_leg/A_PARTY.xml — a carrier's recorded fax audio (CNG,
 *      V.21) replayed by SIPp from the corpus pcap: with --t38 off faxwire refuses the carrier's
 *      T.38 re-INVITE (488), accepts its re-INVITE back to audio and keeps the call up; with
 *      --t38 auto it hears the real CNG and re-INVITEs to T.38 itself (refused, 488).
 *  (2) faxwire → faxwire: --t38 auto (media=audio>t38) and the receiver at --t38 off
 *      (media=audio), the corpus page (send.tiff, G4) arriving pixel-identical.
 */

import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIOFAX, FAXWIRE_CLI, T38PEER, TEST1, TEST3, ensurePeer, parseResultLine, tiffPages, tiffSamePixels, udpPortRun } from './peer.js';
import {
  SIPP_LOAD_ERROR,
  corpusFile,
  execNop,
  execPeer,
  firstLine,
  killPeerText,
  peerOutcome,
  readTrace,
  sdpAttr,
  sdpMedia,
  shellNop,
  startGroup,
  startRelay,
  startSipp,
  traceMessages,
  writeAdapted,
  type GroupProc,
  type ScenarioEdit,
  type SippProc,
} from './sipp.js';
import { CORPUS, need } from './util.js';

/** Fax clock speed where only T.38 carries the fax (the audio leg carries CNG at most). */
const SPEED_T38 = 4;
/** Fax clock speed for a whole fax in G.711 (as spandsp-audio.test.ts: ×2 with a 6-frame cushion on the peer). */
const SPEED_AUDIO = 2;
const PREFILL = '6';
/** Wall-clock limits: SIPp's global timeout, the peers' and faxwire's own, and `timeout` around them. */
const SIPP_TIMEOUT = 150;
const FAX_TIMEOUT = 140;
const PROC_TIMEOUT = 170;
/** Below the ephemeral range; 24 ports per test (16 used), the adapter checks from +500. Other interop tests use 23100–26299. */
const BASE_PORT = 27100;

const SENDFAX = 'asterisk-contrib/sipp-sendfax.xml';
const FAST_REJECT_B = 'asterisk-testsuite/pjsip/t38_fast_reject/sipp/B_PARTY.xml';
const INITIAL_OFFER = 'asterisk-testsuite/pjsip/t38_initial_offer/sipp/uac-audio-t38.xml';
const ZERO_PORT_A = 'asterisk-testsuite/pjsip/t38_zero_port/sipp/endpoint_A.xml';
const MAXDG_BOB = 'asterisk-testsuite/pjsip/maxdatagram/callee/sipp/bob.xml';
const SEND_1XX = 'asterisk-testsuite/pjsip/t38_1xx_response/sipp/send_1xx.xml';
const T38_TIMEOUT = 'asterisk-testsuite/sip/t38_negotiation_timeout/sipp/t38timeout.xml';
const TWO_REINVITE_A = 'asterisk-testsuite/pjsip/t38_enabled_two_reinvite_on_a_leg/sipp/A_PARTY.xml';
/** Real calling-fax audio from a carrier (CNG, then V.21 TSI/DCS), RTP µ-law: replayed by SIPp from the corpus, in place. */
const CARRIER_PCAP = join(CORPUS, 'asterisk-testsuite', 'pjsip', 't38_enabled_two_reinvite_on_a_leg', 'sipp', 'CARRIER_G711U.pcap');
const CORPUS_PAGE = join(CORPUS, 'asterisk-testsuite', 'pjsip', 't38', 'send.tiff');

const AUTH_USER = 'faxuser';
const AUTH_PASSWORD = 'fax-secret-7';

/** What a scenario's edits need to know: where the peers write, and their ports and documents. */
interface Ctx {
  readonly dir: string;
  readonly speed: number;
  /** t38peer's and audiofax's UDP ports (named in SIPp's SDP). */
  readonly t38Port: number;
  readonly audioPort: number;
  /** The relay's port facing faxwire (d). */
  readonly relayPort: number;
  readonly relayPeerPort: number;
  /** What the peer sends, or where it writes what it receives. */
  readonly doc: string;
  readonly out: string;
  readonly maxDatagram: number;
  readonly password: string;
  /** SIPp's SIP transport. */
  readonly transport: 'udp' | 'tcp';
}

function t38peerArgs(c: Ctx, mode: 'send' | 'receive', remote: string, redundancy: number, local = c.t38Port): string[] {
  return [T38PEER, mode === 'send' ? '--send' : '--receive', mode === 'send' ? c.doc : c.out, '--local', String(local), '--remote', remote, '--speed', String(c.speed), '--version', '0', '--redundancy', String(redundancy), '--timeout', String(FAX_TIMEOUT - 10)];
}

function audiofaxArgs(c: Ctx, mode: 'send' | 'receive', remotePort: string, codec: string): string[] {
  return [AUDIOFAX, mode === 'send' ? '--send' : '--receive', mode === 'send' ? c.doc : c.out, '--local', String(c.audioPort), '--remote', `127.0.0.1:${remotePort}`, '--codec', codec, '--rtp', '--speed', String(c.speed), '--prefill', PREFILL, '--timeout', String(FAX_TIMEOUT - 10)];
}

/** faxwire hangs up with BYE when the fax is over (src/node/sip-fax.ts); SIPp answers it. */
const RECV_BYE_SEND_200 = `<recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>`;

// ---------------------------------------------------------------------------------------------
// The adaptations. Each returns the edits for one corpus scenario (sipp.ts: adaptScenario).

/** (a) sipp-sendfax.xml: SIPp (caller) → faxwire receive; SIPp's re-INVITE to T.38; t38peer sends. */
function sendfaxEdits(c: Ctx): ScenarioEdit[] {
  const tcp: ScenarioEdit[] =
    c.transport === 'tcp'
      ? [
          {
            why: 'Over TCP, SIPp\'s Contact says so: a sip: URI without a transport parameter is reached over UDP (RFC 3263 4.1), where SIPp -t t1 does not listen, so faxwire\'s BYE to that Contact would go nowhere.',
            find: 'Contact: sip:[service]@[local_ip]:[local_port]\n',
            replace: 'Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>\n',
            count: 10,
          },
        ]
      : [];
  return [
    ...tcp,
    {
      why: 'No audio pre-roll (g711a.pcap is not in the corpus): fax tones here would make faxwire (answering, --t38 auto) re-INVITE to T.38 at the moment SIPp does (glare, RFC 3261 14.1), and SIPp is the side that re-INVITEs in this scenario.',
      find: '<exec play_pcap_audio="g711a.pcap"/>',
      replace: '<log message="faxwire adaptation: no audio pre-roll"/>',
    },
    {
      why: 'The image stream is offered on t38peer\'s port: SIPp itself holds [media_port].',
      find: 'm=image [media_port] udptl t38',
      replace: `m=image ${c.t38Port} udptl t38`,
    },
    {
      why: 'faxwire\'s 200 to the T.38 re-INVITE must carry m=image with a port (check_it fails the call otherwise); the port is where t38peer sends.',
      find: '<recv response="200" response_txn="t38invite"/>',
      replace: '<recv response="200" response_txn="t38invite"><action><ereg regexp="m=image ([1-9][0-9]*) udptl t38" search_in="body" check_it="true" assign_to="fwimage_line,fwimage"/></action></recv>\n  <Reference variables="fwimage_line"/>',
    },
    {
      why: 'The fax image comes from spandsp\'s T.38 terminal (t38peer --send, 3 pages) on faxwire\'s image port instead of a pcap replay (sipp-sendfax.pcap is made from an Asterisk log and not in the corpus).',
      find: '<exec play_pcap_image="sipp-sendfax.pcap"/>',
      replace: execPeer(c.dir, 't38peer', t38peerArgs(c, 'send', '127.0.0.1:[$fwimage]', 1)),
    },
    {
      why: 'Asterisk re-INVITEs back to audio after the fax; faxwire ends the call with BYE instead (nothing left to carry): accept either.',
      find: '<recv request="INVITE"/>',
      replace: '<recv request="BYE" optional="true" next="faxwire-bye"/>\n  <recv request="INVITE"/>',
    },
    {
      why: 'Where the BYE of the previous edit continues: SIPp answers it with the scenario\'s own 200.',
      find: '<send next="done">',
      replace: '<label id="faxwire-bye"/>\n  <send next="done">',
    },
  ];
}

/** (b) t38_fast_reject/B_PARTY.xml: faxwire send → SIPp (answers G.711, then 488 to faxwire's T.38 re-INVITE). */
function fastRejectEdits(c: Ctx): ScenarioEdit[] {
  return [
    {
      why: 'Capture faxwire\'s RTP port from its INVITE: audiofax sends there.',
      find: /<recv request="INVITE">\s*<\/recv>/,
      replace: '<recv request="INVITE"><action><ereg regexp="m=audio ([1-9][0-9]*) RTP/AVP" search_in="body" check_it="true" assign_to="fwaudio_line,fwaudio"/></action></recv>\n\t<Reference variables="fwaudio_line"/>',
    },
    {
      why: 'The answer names audiofax\'s port (8000 in the original may be anyone\'s).',
      find: 'm=audio 8000 RTP/AVP 0 100 101',
      replace: `m=audio ${c.audioPort} RTP/AVP 0 100 101`,
    },
    {
      why: 'After the ACK: the answering fax machine (audiofax --receive, PCMU as answered) starts; faxwire (caller, --t38 auto) hears it and re-INVITEs to T.38, which this side refuses with 488 like the non-T.38 customer gear of the original test (where Asterisk sent the 488); faxwire must ACK it and finish the fax in G.711.',
      find: /<recv request="ACK" crlf="true">\s*<\/recv>/,
      replace: `<recv request="ACK" crlf="true"></recv>
\t${execNop(c.dir, 'audiofax', audiofaxArgs(c, 'receive', '[$fwaudio]', 'ulaw'))}
\t<recv request="INVITE"><action><ereg regexp="m=image [1-9][0-9]* udptl t38" search_in="body" check_it="true" assign_to="t38offer"/></action></recv>
\t<Reference variables="t38offer"/>
\t<send><![CDATA[
\t\t\tSIP/2.0 488 Not Acceptable Here
\t\t\t[last_Via:]
\t\t\t[last_Call-ID:]
\t\t\t[last_From:]
\t\t\t[last_To:]
\t\t\t[last_CSeq:]
\t\t\tContent-Length: 0
\t]]></send>
\t<recv request="ACK"/>`,
    },
  ];
}

/** (c) t38_initial_offer/uac-audio-t38.xml: SIPp → faxwire receive with audio + image in the INVITE. */
function initialOfferEdits(c: Ctx): ScenarioEdit[] {
  return [
    {
      why: 'audiofax\'s port for the audio stream.',
      find: 'm=audio 2326 RTP/AVP 9 8 0 101',
      replace: `m=audio ${c.audioPort} RTP/AVP 9 8 0 101`,
    },
    {
      why: 'The original\'s media-level address is a public host; this suite stays on 127.0.0.1.',
      find: 'c=IN IP4 132.177.252.162',
      replace: 'c=IN IP4 127.0.0.1',
    },
    {
      why: 't38peer\'s port for the image stream.',
      find: 'm=image 4389 udptl t38',
      replace: `m=image ${c.t38Port} udptl t38`,
    },
    {
      why: 'Asterisk declines T.38 in an initial offer (m=image 0) and keeps its own codec order; faxwire may accept either stream (RFC 3264 6: the answerer chooses), so the answer is captured, not matched — the test checks it declines exactly one of the two with port 0 (RFC 3264 6).',
      find: /<ereg regexp="m=audio[\s\S]*?<test assign_to="2" variable="2" compare="equal" value=""\/>/,
      replace: '<ereg regexp="m=audio ([0-9]+) RTP/AVP ([0-9]+)" search_in="body" check_it="false" assign_to="fwaudio_line,fwaudio,fwpt"/>\n      <ereg regexp="m=image ([0-9]+)" search_in="body" check_it="false" assign_to="fwimage_line,fwimage"/>',
    },
    {
      why: 'After the ACK the fax starts on the stream faxwire accepted: t38peer --send if the image port is not 0, else audiofax --send in the codec faxwire picked.',
      find: /(Subject: Performance Test\s*Content-Length: 0\s*\]\]>\s*<\/send>)/,
      replace: `$1\n  <Reference variables="fwaudio_line,fwimage_line"/>\n  ${execNop(c.dir, 'peer', t38peerArgs(c, 'send', '127.0.0.1:[$fwimage]', 1), {
        pre: 'if test x[$fwpt] = x8; then C=alaw; else C=ulaw; fi; ',
        cond: 'test x[$fwimage] != x0 -a x[$fwimage] != x',
        orElse: audiofaxArgs(c, 'send', '[$fwaudio]', '$C'),
      })}`,
    },
  ];
}

/** (c) t38_zero_port/endpoint_A.xml: SIPp → faxwire receive; faxwire's T.38 re-INVITE answered m=image 0. */
function zeroPortEdits(c: Ctx): ScenarioEdit[] {
  return [
    {
      why: 'audiofax\'s port for the audio stream.',
      find: 'm=audio 2226 RTP/AVP 0 101',
      replace: `m=audio ${c.audioPort} RTP/AVP 0 101`,
    },
    {
      why: 'Capture faxwire\'s RTP port from its 200: audiofax sends there.',
      find: '<recv response="200" />',
      replace: '<recv response="200"><action><ereg regexp="m=audio ([1-9][0-9]*) RTP/AVP" search_in="body" check_it="true" assign_to="fwaudio_line,fwaudio"/></action></recv>\n\t<Reference variables="fwaudio_line"/>',
    },
    {
      why: 'In the original, endpoint B behind Asterisk re-INVITEs; here faxwire is that far end and re-INVITEs itself when it hears the calling fax: audiofax --send (CNG, then the page in G.711) starts after the ACK.',
      find: '<!-- Reinvite received for T38 - media flows between Enpoint A and Asterisk -->',
      replace: `${execNop(c.dir, 'audiofax', audiofaxArgs(c, 'send', '[$fwaudio]', 'ulaw'))}\n\t<!-- Reinvite received for T38 (from faxwire) -->`,
    },
    {
      why: 'The re-INVITE must offer T.38 (check_it).',
      find: /<recv request="INVITE" \/>/,
      replace: '<recv request="INVITE"><action><ereg regexp="m=image [1-9][0-9]* udptl t38" search_in="body" check_it="true" assign_to="t38offer"/></action></recv>\n\t<Reference variables="t38offer"/>',
    },
    // No edit for the BYE: Asterisk hangs up at once on m=image 0; faxwire carries on in G.711
    // (src/sip/fax-call.ts) and hangs up when the fax is done — the same <recv request="BYE"/>.
  ];
}

/** (d) maxdatagram/callee/sipp/bob.xml: faxwire send → SIPp, which re-INVITEs with T38FaxMaxDatagram; fax through the relay. */
function maxDatagramEdits(c: Ctx, withRedundancy: boolean): ScenarioEdit[] {
  const edits: ScenarioEdit[] = [
    {
      why: 'The image stream is offered on the relay\'s port (the relay measures faxwire\'s datagrams and passes them to t38peer).',
      find: 'm=image 31002 udptl t38',
      replace: `m=image ${c.relayPort} udptl t38`,
    },
  ];
  if (c.maxDatagram !== 400 || withRedundancy) {
    edits.push({
      why: `T38FaxMaxDatagram ${c.maxDatagram}${withRedundancy ? ' with t38UDPRedundancy' : ''} instead of the corpus 400 (no error correction): a limit that faxwire's page data would exceed if it ignored it.`,
      find: 'a=T38FaxMaxDatagram:400\n\t\t\ta=T38FaxRateManagement:transferredTCF\n\t\t]]>',
      replace: `a=T38FaxMaxDatagram:${c.maxDatagram}\n\t\t\ta=T38FaxRateManagement:transferredTCF${withRedundancy ? '\n\t\t\ta=T38FaxUdpEC:t38UDPRedundancy' : ''}\n\t\t]]>`,
    });
  }
  edits.push(
    {
      why: 'Asterisk answers its configured limit minus one (its rounding, 399); faxwire states its own receive limit: captured (the test checks it is a number) along with the image port.',
      find: '<ereg regexp=".*(T38FaxMaxDatagram:399)"',
      replace: '<ereg regexp="m=image ([1-9][0-9]*) udptl t38" search_in="body" check_it="true" assign_to="fwimage_line,fwimage"/>\n\t\t\t<ereg regexp="T38FaxMaxDatagram:([0-9]+)"',
    },
    {
      why: 'The second capture group of the previous edit\'s regexp.',
      find: 'assign_to="maxdatagram"/>\n\t\t</action>\n\t</recv>\n\t<Reference variables="maxdatagram" />\n\n\t<send>\n\t\t<![CDATA[\n\t\t\tACK',
      replace: 'assign_to="maxdatagram,fwmaxdg"/>\n\t\t</action>\n\t</recv>\n\t<Reference variables="maxdatagram,fwimage_line" />\n\n\t<send>\n\t\t<![CDATA[\n\t\t\tACK',
    },
    {
      why: 'Asterisk\'s test only checks the SDP and hangs up at once; here the fax runs: faxwire\'s image port goes to a file for the relay, t38peer --receive starts behind the relay, and faxwire hangs up when the fax is done.',
      find: /<send>\s*<!\[CDATA\[\s*BYE sip:[\s\S]*?<\/send>\s*<recv response="200" \/>/,
      replace: `${shellNop(`echo [$fwimage] > ${join(c.dir, 'fwimage')}; echo [$fwmaxdg] > ${join(c.dir, 'fwmaxdg')}`)}
\t${execNop(c.dir, 't38peer', t38peerArgs(c, 'receive', `127.0.0.1:${c.relayPeerPort}`, 0))}
\t${RECV_BYE_SEND_200}`,
    },
  );
  return edits;
}

/** (e) t38_1xx_response/send_1xx.xml: SIPp → faxwire receive; faxwire's T.38 re-INVITE gets 100, 180, then 200. */
function send1xxEdits(c: Ctx): ScenarioEdit[] {
  return [
    {
      why: 'audiofax\'s port for the audio stream.',
      find: 'm=audio 9000 RTP/AVP 0 101',
      replace: `m=audio ${c.audioPort} RTP/AVP 0 101`,
    },
    {
      why: 'Capture faxwire\'s RTP port from its 200: audiofax sends there.',
      find: '<log message="Log to avoid the problem of not using $6 [$6]"/>',
      replace: '<log message="Log to avoid the problem of not using $6 [$6]"/>\n\t\t\t<ereg regexp="m=audio ([1-9][0-9]*) RTP/AVP" search_in="body" check_it="true" assign_to="fwaudio_line,fwaudio"/>',
    },
    {
      why: 'SIPp\'s own T.38 re-INVITE is left out: Asterisk answered it 488 from its 5-second auto-reject timer, faxwire (--t38 auto) would accept it. Instead the calling fax machine (audiofax --send, CNG) starts, so that faxwire — the side under test — sends the T.38 re-INVITE that gets the 1xx responses.',
      find: /<!-- Send the T38 REINVITE -->[\s\S]*?(?=<!-- Wait for another T38 REINVITE from Asterisk -->)/,
      replace: `<Reference variables="fwaudio_line,1"/>\n\t${execNop(c.dir, 'audiofax', audiofaxArgs(c, 'send', '[$fwaudio]', 'ulaw'))}\n\n\t`,
    },
    {
      why: 'faxwire\'s re-INVITE must offer T.38; its image port is where t38peer sends.',
      find: '<recv request="INVITE" crlf="true" rrs="true">',
      replace: '<recv request="INVITE" crlf="true" rrs="true"><action><ereg regexp="m=image ([1-9][0-9]*) udptl t38" search_in="body" check_it="true" assign_to="fwimage_line,fwimage"/></action>',
    },
    {
      why: 't38peer\'s port in the 200 (the original\'s 4389 is anyone\'s).',
      find: 'm=image 4389 udptl t38',
      replace: `m=image ${c.t38Port} udptl t38`,
    },
    {
      why: 'After the ACK the audio fax machine stops and spandsp\'s T.38 terminal sends the page to faxwire\'s image port; Asterisk\'s test hangs up after 1 s, here faxwire hangs up when the fax is done.',
      find: /<recv request="ACK" rtd="true" crlf="true">\s*<\/recv>\s*<pause milliseconds="1000" \/>\s*<send retrans="500">[\s\S]*?<\/send>\s*<recv response="200">\s*<\/recv>/,
      replace: `<recv request="ACK" rtd="true" crlf="true"></recv>
\t<Reference variables="fwimage_line"/>
\t${shellNop(killPeerText(c.dir, 'audiofax'))}
\t${execNop(c.dir, 't38peer', t38peerArgs(c, 'send', '127.0.0.1:[$fwimage]', 1))}
\t${RECV_BYE_SEND_200}`,
    },
  ];
}

/** (f) B_PARTY.xml behind a digest challenge: faxwire send --username/--password → SIPp (401, verifyauth). */
function authEdits(c: Ctx): ScenarioEdit[] {
  return [
    {
      why: 'A digest challenge before the call (none of the corpus UAS scenarios has one; SIPp 3.6 verifies the answer with verifyauth): 401 with an MD5 challenge, ACK, then the retried INVITE must carry valid credentials (RFC 3261 22.2). A bad answer gets 403 and the scenario notes AUTH-REJECTED in its log.',
      find: /<recv request="INVITE">\s*<\/recv>/,
      replace: `<recv request="INVITE"/>
\t<send><![CDATA[
\t\t\tSIP/2.0 401 Unauthorized
\t\t\t[last_Via:]
\t\t\t[last_Call-ID:]
\t\t\t[last_From:]
\t\t\t[last_To:];tag=[pid]SIPpTag01[call_number]
\t\t\t[last_CSeq:]
\t\t\tWWW-Authenticate: Digest realm="sipp.test", nonce="[pid]7a6e0b1c[call_number]", algorithm=MD5
\t\t\tContent-Length: 0
\t]]></send>
\t<recv request="ACK"/>
\t<recv request="INVITE"><action><verifyauth assign_to="authvalid" username="${AUTH_USER}" password="${c.password}"/></action></recv>
\t<nop hide="true" test="authvalid" next="goodauth"/>
\t<nop><action><log message="AUTH-REJECTED"/></action></nop>
\t<send><![CDATA[
\t\t\tSIP/2.0 403 Forbidden
\t\t\t[last_Via:]
\t\t\t[last_Call-ID:]
\t\t\t[last_From:]
\t\t\t[last_To:];tag=[pid]SIPpTag01[call_number]
\t\t\t[last_CSeq:]
\t\t\tContent-Length: 0
\t]]></send>
\t<recv request="ACK" next="auth-end"/>
\t<label id="goodauth"/>
\t<nop><action><log message="AUTH-ACCEPTED"/></action></nop>`,
    },
    {
      why: 'The answer\'s RTP port is SIPp\'s own (it ignores what faxwire sends): no fax machine here, faxwire ends the call by its --timeout with BYE.',
      find: 'm=audio 8000 RTP/AVP 0 100 101',
      replace: 'm=audio [media_port] RTP/AVP 0 100 101',
    },
    {
      why: 'Where the 403 path ends.',
      find: '<!-- definition of the response time repartition table (unit is ms)',
      replace: '<label id="auth-end"/>\n\t<!-- definition of the response time repartition table (unit is ms)',
    },
  ];
}

/** (g) chan_sip t38_negotiation_timeout/t38timeout.xml: SIPp → faxwire receive; faxwire's T.38 re-INVITE answered 100, then 200 only 5 s later. */
function t38TimeoutEdits(c: Ctx): ScenarioEdit[] {
  return [
    {
      why: 'The original\'s SDP addresses are a private host; this suite stays on 127.0.0.1.',
      find: '10.24.20.65',
      replace: '127.0.0.1',
      count: 5,
    },
    {
      why: 'audiofax\'s port for the audio stream.',
      find: 'm=audio 19484 RTP/AVP 0 101',
      replace: `m=audio ${c.audioPort} RTP/AVP 0 101`,
    },
    {
      why: 'faxwire answers the INVITE at once, without 100 Trying (RFC 3261 17.2.1 asks for one only when the answer takes over 200 ms).',
      find: '<recv response="100"/>',
      replace: '<recv response="100" optional="true"/>',
    },
    {
      why: 'Capture faxwire\'s RTP port from its 200: audiofax sends there.',
      find: /<recv response="200"\/>(?=\s*<send>\s*<!\[CDATA\[\s*ACK )/,
      replace: '<recv response="200"><action><ereg regexp="m=audio ([1-9][0-9]*) RTP/AVP" search_in="body" check_it="true" assign_to="fwaudio_line,fwaudio"/></action></recv>\n  <Reference variables="fwaudio_line"/>',
    },
    {
      why: 'In the original Asterisk re-INVITEs by itself; faxwire (answering, --t38 auto) does when it hears the calling fax: audiofax --send starts after the ACK.',
      find: '<recv request="INVITE"/>',
      replace: `${execNop(c.dir, 'audiofax', audiofaxArgs(c, 'send', '[$fwaudio]', 'ulaw'))}\n  <recv request="INVITE"><action><ereg regexp="m=image ([1-9][0-9]*) udptl t38" search_in="body" check_it="true" assign_to="fwimage_line,fwimage"/></action></recv>\n  <Reference variables="fwimage_line"/>`,
    },
    {
      why: 'The original writes the Via of its 100 and 200 from scratch with a fresh branch: such a response matches no client transaction (RFC 3261 17.1.3) and a UA that matches by branch drops it (chan_sip did not check). The received Via is used instead.',
      find: 'Via: SIP/2.0/[transport] [remote_ip]:[remote_port];branch=[branch];received=[remote_ip];rport=[remote_port]',
      replace: '[last_Via:]',
      count: 2,
    },
    {
      why: 'Likewise the responses\' CSeq: the original assumes Asterisk\'s CSeq 102; faxwire\'s re-INVITE has its own number (RFC 3261 8.1.1.5), echoed as received.',
      find: 'CSeq: 102 INVITE\n      Server:',
      replace: '[last_CSeq:]\n      Server:',
      count: 2,
    },
    {
      why: 't38peer\'s port in the 200 (the original\'s 4730 is anyone\'s).',
      find: 'm=image 4730 udptl t38',
      replace: `m=image ${c.t38Port} udptl t38`,
    },
    {
      why: 'After the ACK the audio fax machine stops and spandsp\'s T.38 terminal sends the page to faxwire\'s image port; the original hangs up at once (it only checks that Asterisk waits for the late 200), here faxwire hangs up when the fax is done.',
      find: /<recv request="ACK"\/>\s*<send>\s*<!\[CDATA\[\s*BYE [\s\S]*?<\/send>\s*<recv response="200"\/>/,
      replace: `<recv request="ACK"/>
  ${shellNop(killPeerText(c.dir, 'audiofax'))}
  ${execNop(c.dir, 't38peer', t38peerArgs(c, 'send', '127.0.0.1:[$fwimage]', 1))}
  ${RECV_BYE_SEND_200}`,
    },
  ];
}

/** (h) t38_enabled_two_reinvite_on_a_leg/A_PARTY.xml (the carrier): SIPp → faxwire receive; real carrier fax audio replayed. */
function twoReinviteEdits(c: Ctx, mode: 'off' | 'auto'): ScenarioEdit[] {
  const common: ScenarioEdit[] = [
    {
      why: 'faxwire answers the INVITE at once, without 100 Trying (RFC 3261 17.2.1 asks for one only when the answer takes over 200 ms).',
      find: /<recv response="100">\s*<\/recv>\s*(?=<recv response="100" optional="true">)/,
      replace: '<recv response="100" optional="true"></recv>\n\n',
    },
    {
      why: 'The audio stream is SIPp\'s own media port (the pcap replay comes from it; 9000 may be anyone\'s).',
      find: 'm=audio 9000 RTP/AVP 0 18 101',
      replace: 'm=audio [media_port] RTP/AVP 0 18 101',
      count: 2,
    },
    {
      why: 'The carrier\'s fax audio is read in place from the corpus (absolute path).',
      find: 'play_pcap_audio="./tests/fax/pjsip/t38_enabled_two_reinvite_on_a_leg/sipp/CARRIER_G711U.pcap"',
      replace: `play_pcap_audio="${CARRIER_PCAP}"`,
    },
  ];
  if (mode === 'off') return common;
  return [
    ...common,
    {
      why: 'With --t38 auto faxwire accepts T.38, so the carrier\'s own T.38 re-INVITE (refused 488 by the customer side in the original) and its re-INVITE back to audio are left out; instead faxwire must hear the carrier\'s CNG in the replayed audio and re-INVITE to T.38 itself.',
      find: /<pause milliseconds="2000"\/>\s*<send retrans="500">\s*<!\[CDATA\[\s*INVITE \[\$1\][\s\S]*?CSeq: 103 ACK[\s\S]*?<\/send>\s*/,
      replace: '',
    },
    {
      why: 'While the pcap plays: faxwire\'s T.38 re-INVITE (within 20 s, else the call fails) is refused with 488 as the customer side of the original does; the call goes on in G.711 until the carrier hangs up.',
      find: '<pause milliseconds="20000" />',
      replace: `<recv request="INVITE" timeout="20000"><action><ereg regexp="m=image [1-9][0-9]* udptl t38" search_in="body" check_it="true" assign_to="t38offer"/></action></recv>
<Reference variables="t38offer"/>
<send><![CDATA[
SIP/2.0 488 Not Acceptable Here
[last_Via:]
[last_Call-ID:]
[last_From:]
[last_To:]
[last_CSeq:]
Content-Length: 0
]]></send>
<recv request="ACK"/>
<pause milliseconds="4000"/>`,
    },
  ];
}

interface ScenarioDef {
  readonly label: string;
  readonly rel: string;
  readonly edits: (c: Ctx) => ScenarioEdit[];
  /** SIPp calls (UAC) or answers (UAS). */
  readonly role: 'uac' | 'uas';
  readonly keys?: Readonly<Record<string, string>>;
}

const SCENARIOS: readonly ScenarioDef[] = [
  { label: '(a) sendfax', rel: SENDFAX, edits: sendfaxEdits, role: 'uac', keys: { tel: 'fax' } },
  { label: '(b) fast_reject B_PARTY + 488', rel: FAST_REJECT_B, edits: fastRejectEdits, role: 'uas' },
  { label: '(c) initial_offer', rel: INITIAL_OFFER, edits: initialOfferEdits, role: 'uac' },
  { label: '(c) zero_port endpoint_A', rel: ZERO_PORT_A, edits: zeroPortEdits, role: 'uac' },
  { label: '(d) maxdatagram bob 400', rel: MAXDG_BOB, edits: (c) => maxDatagramEdits(c, false), role: 'uas', keys: { exten: 'faxwire' } },
  { label: '(d) maxdatagram bob tight', rel: MAXDG_BOB, edits: (c) => maxDatagramEdits({ ...c, maxDatagram: 120 }, true), role: 'uas', keys: { exten: 'faxwire' } },
  { label: '(e) send_1xx', rel: SEND_1XX, edits: send1xxEdits, role: 'uac' },
  { label: '(f) B_PARTY + 401', rel: FAST_REJECT_B, edits: authEdits, role: 'uas' },
  { label: '(a) sendfax over TCP', rel: SENDFAX, edits: (c) => sendfaxEdits({ ...c, transport: 'tcp' }), role: 'uac', keys: { tel: 'fax' } },
  { label: '(g) t38timeout', rel: T38_TIMEOUT, edits: t38TimeoutEdits, role: 'uac' },
  { label: '(h) two_reinvite A_PARTY, faxwire --t38 off', rel: TWO_REINVITE_A, edits: (c) => twoReinviteEdits(c, 'off'), role: 'uac' },
  { label: '(h) two_reinvite A_PARTY, faxwire --t38 auto', rel: TWO_REINVITE_A, edits: (c) => twoReinviteEdits(c, 'auto'), role: 'uac' },
];

// ---------------------------------------------------------------------------------------------
// Harness

function tail(s: string, n = 4000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** The corpus and the tools; false when the test must skip (loudly; it fails under FAXWIRE_REQUIRE_TOOLS=1). */
function preflight(t: TestContext, files: string[] = []): boolean {
  if (!need(t, { tools: ['sipp', 'timeout', 'tiffcmp', 'tiffinfo'], files: [CORPUS, ...files] })) return false;
  return ensurePeer(t);
}

interface FaxwireResult {
  status?: string;
  code?: string;
  message?: string;
  pages?: number;
  files?: string[];
  transport?: string;
  sip?: { answered?: boolean; status?: number; reason?: string; endedBy?: string; media?: string; t38Refused?: number };
}

function lastJson(stdout: string): FaxwireResult {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  try {
    return JSON.parse(lines[lines.length - 1] ?? '{}') as FaxwireResult;
  } catch {
    return {};
  }
}

class Run {
  readonly dir = mkdtempSync(join(tmpdir(), 'faxwire-sipp-'));
  private readonly procs: GroupProc[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  readonly notes: string[] = [];

  faxwire(args: readonly string[]): GroupProc {
    const p = startGroup('node', [FAXWIRE_CLI, ...args], PROC_TIMEOUT);
    this.procs.push(p);
    return p;
  }

  sipp(def: ScenarioDef, c: Ctx, o: { port: number; mediaPort: number; remote?: string; service?: string; transport?: 'udp' | 'tcp' }): { proc: SippProc; file: string } {
    const file = writeAdapted(def.rel, def.edits(c), this.dir, 'scenario.xml');
    const proc = startSipp({ scenario: file, port: o.port, mediaPort: o.mediaPort, ...(o.remote !== undefined ? { remote: o.remote } : {}), ...(o.service !== undefined ? { service: o.service } : {}), ...(o.transport !== undefined ? { transport: o.transport } : {}), ...(def.keys !== undefined ? { keys: def.keys } : {}), timeoutSec: SIPP_TIMEOUT, dir: this.dir });
    this.procs.push(proc);
    return { proc, file };
  }

  onClose(f: () => Promise<void>): void {
    this.closers.push(f);
  }

  async close(): Promise<void> {
    for (const p of this.procs) p.kill();
    for (const f of this.closers) await f().catch(() => undefined);
    // FAXWIRE_SIPP_KEEP=1 keeps the run's directory (SIPp traces, adapted scenario, peer logs, TIFFs).
    if (process.env['FAXWIRE_SIPP_KEEP'] === '1') console.log(`SIPP kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** 16 free UDP ports for test `i` (0..19): [0] faxwire SIP, [1] SIPp SIP (or the second faxwire), [2..5] SIPp media, [6] t38peer, [7] audiofax, [8..9] relay, [10..15] faxwire media. */
async function portsFor(i: number): Promise<number[]> {
  return udpPortRun(BASE_PORT + i * 24, 16);
}

function ctxFor(run: Run, ports: number[], speed: number, doc: string, extra: Partial<Ctx> = {}): Ctx {
  return {
    dir: run.dir,
    speed,
    t38Port: ports[6] ?? 0,
    audioPort: ports[7] ?? 0,
    relayPort: ports[8] ?? 0,
    relayPeerPort: ports[9] ?? 0,
    doc,
    out: join(run.dir, 'peer-received.tif'),
    maxDatagram: 400,
    password: AUTH_PASSWORD,
    transport: 'udp',
    ...extra,
  };
}

function mediaRange(ports: number[], from = 10, n = 6): string {
  return `${ports[from] ?? 0}-${(ports[from] ?? 0) + n - 1}`;
}

/** faxwire receive on ports[0] with its media in ports[10..15]. */
function faxwireReceive(run: Run, ports: number[], speed: number, extra: readonly string[] = []): GroupProc {
  return run.faxwire(['receive', '--sip-listen', `127.0.0.1:${ports[0]}`, '--out', join(run.dir, 'fw-out'), '--max-calls', '1', '--speed', String(speed), '--media-ports', mediaRange(ports), '--timeout', String(FAX_TIMEOUT), '--json', '--sip-trace', ...extra]);
}

/** faxwire send to SIPp (or another faxwire) at `port`. */
function faxwireSend(run: Run, doc: string, port: number, ports: number[], speed: number, extra: readonly string[] = [], range = mediaRange(ports)): GroupProc {
  return run.faxwire(['send', doc, '--to', `sip:fax@127.0.0.1:${port}`, '--local-address', '127.0.0.1', '--media-ports', range, '--speed', String(speed), '--timeout', String(FAX_TIMEOUT), '--sip-trace', ...extra]);
}

/** Everything a failed assertion should show. */
function diagnostics(run: Run, procs: Record<string, { code: number | null; stdout: string; stderr: string; wallMs: number } | undefined>, sipp?: SippProc, peers: Record<string, { stdout: string; stderr: string }> = {}): string {
  const parts: string[] = [];
  for (const [name, r] of Object.entries(procs)) if (r) parts.push(`--- ${name} (rc ${r.code}, ${r.wallMs} ms):\n${tail(r.stdout, 3000)}\n${tail(r.stderr, 6000)}`);
  if (sipp) {
    parts.push(`--- SIPp errors:\n${tail(readTrace(sipp.files.errors), 3000)}`);
    parts.push(`--- SIPp log:\n${tail(readTrace(sipp.files.logs), 2000)}`);
    parts.push(`--- SIPp messages (first lines): ${traceMessages(readTrace(sipp.files.messages)).map((m) => `${m.dir === 'sent' ? '>' : '<'} ${firstLine(m.text)}`).join(' | ')}`);
  }
  for (const [name, r] of Object.entries(peers)) parts.push(`--- ${name}:\n${tail(r.stdout, 1500)}\n${tail(r.stderr, 2500)}`);
  if (run.notes.length > 0) parts.push(`--- notes: ${run.notes.join('; ')}`);
  return `\n${parts.join('\n')}`;
}

/** SIPp's first line of the errors it logged (for the report line). */
function sippErrorLines(sipp: SippProc): string {
  return readTrace(sipp.files.errors)
    .split('\n')
    .filter((l) => /\S/.test(l))
    .slice(0, 6)
    .join(' / ');
}

/** The pages faxwire wrote (JSON `files`) compared with the document sent. */
function checkReceived(files: readonly string[] | undefined, doc: string, pages: number, diag: string): void {
  const tif = (files ?? []).find((f) => f.endsWith('.tif'));
  assert.ok(tif !== undefined && existsSync(tif), `faxwire wrote a TIFF${diag}`);
  assert.equal(tiffPages(tif), pages, `received TIFF has ${pages} page(s)${diag}`);
  const cmp = tiffSamePixels(doc, tif);
  assert.ok(cmp.same, `tiffcmp -t ${doc} ${tif}: pages differ\n${cmp.output}${diag}`);
}

// ---------------------------------------------------------------------------------------------

const t0 = Date.now();
after(() => {
  console.log(`SIPP-FAX suite wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

describe('SIPp scenario adapter (corpus scenarios adapted in code; each loads in SIPp)', () => {
  SCENARIOS.forEach((def, i) => {
    it(`${def.label}: ${def.rel} adapts and SIPp loads it`, { timeout: 30_000 }, async (t) => {
      if (!need(t, { tools: ['sipp', 'timeout'], files: [corpusFile(def.rel)] })) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-sipp-adapt-'));
      // A UDP socket that swallows what a UAC scenario sends (no ICMP errors in SIPp's output).
      const sink: Socket = createSocket('udp4');
      try {
        const ports = await udpPortRun(BASE_PORT + 500 + i * 8, 6);
        await new Promise<void>((r) => sink.bind(ports[0], '127.0.0.1', () => r()));
        const c: Ctx = { dir, speed: 1, t38Port: 9, audioPort: 9, relayPort: 9, relayPeerPort: 9, doc: TEST1, out: join(dir, 'x.tif'), maxDatagram: 400, password: AUTH_PASSWORD, transport: 'udp' };
        const original = readFileSync(corpusFile(def.rel), 'latin1');
        const file = writeAdapted(def.rel, def.edits(c), dir, 'scenario.xml');
        const adapted = readFileSync(file, 'latin1');
        // FAXWIRE_SIPP_DUMP=DIR keeps a copy of each adapted scenario (outside the repository: GPL data) for reading.
        const dump = process.env['FAXWIRE_SIPP_DUMP'];
        if (dump !== undefined && dump !== '') copyFileSync(file, join(dump, `${i + 1}-${def.rel.replace(/[/]/g, '_')}`));
        assert.notEqual(adapted, original);
        // No pcap replay from a relative path is left (those files are not in the corpus): the
        // peers carry the media, or a corpus pcap is read in place by its absolute path.
        assert.doesNotMatch(adapted, /play_pcap_\w+="(?!\/)/);
        for (const m of adapted.matchAll(/play_pcap_\w+="([^"]+)"/g)) assert.ok(existsSync(m[1] ?? ''), `pcap ${m[1]} exists`);
        // Only 127.0.0.1 (and SIPp's own [media_ip]) in the SDP.
        assert.doesNotMatch(adapted, /c=IN IP4 (?!127\.0\.0\.1|\[)/);
        const p = startGroup('sipp', ['-sf', file, '-m', '1', '-i', '127.0.0.1', '-p', String(ports[1]), '-mp', String(ports[2]), '-nostdin', '-timeout', '1s', ...Object.entries(def.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]), ...(def.role === 'uac' ? [`127.0.0.1:${ports[0]}`] : [])], 3);
        const r = await p.done;
        p.kill();
        // SIPp's errors are timestamped lines; "Resolving remote host…" and the pcap loader's
        // notes ("In pcap …, npkts 800") are not.
        const errLines = r.stderr.split('\n').filter((l) => /^\d{4}-\d\d-\d\d\s/.test(l));
        assert.ok(!errLines.some((l) => SIPP_LOAD_ERROR.test(l)), `SIPp reported a load error for the adapted ${def.rel} (rc ${r.code}):\n${errLines.join('\n')}`);
        // 97: a UAS ended by its -timeout; a UAC with its INVITE unanswered does not stop at -timeout
        // (SIPp 3.6.1 waits for the call) and ends by `timeout` (124) — after it has sent the INVITE.
        if (def.role === 'uac') assert.ok((r.code === 124 || r.code === 97) && /Outgoing calls created \|\s+\d+\s+\|\s+1\b/.test(r.stdout), `SIPp (UAC) started its call (exit ${r.code}):\n${tail(r.stderr)}\n${tail(r.stdout, 1500)}`);
        else assert.equal(r.code, 97, `SIPp (UAS) waited for a call until its -timeout:\n${tail(r.stderr)}\n${tail(r.stdout, 1500)}`);
        assert.equal(errLines.length, 0, `SIPp printed errors:\n${errLines.join('\n')}`);
      } finally {
        sink.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('an edit that does not match the corpus text fails loudly', () => {
    assert.throws(() => writeAdapted(SENDFAX, [{ why: 'x', find: 'no such text in the corpus file', replace: '' }], tmpdir(), 'never.xml'), /expects 1 match\(es\).*found 0/);
  });
});

describe('faxwire SIP against SIPp (Asterisk testsuite scenarios, spandsp peer on the media)', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    const doc = transport === 'udp' ? TEST3 : TEST1;
    const pages = transport === 'udp' ? 3 : 1;
    it(`(a) sipp-sendfax.xml over SIP/${transport.toUpperCase()}: SIPp calls faxwire receive, re-INVITEs to T.38; t38peer sends ${pages} page(s) over UDPTL`, { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!preflight(t, [corpusFile(SENDFAX)])) return;
      const run = new Run();
      try {
        const ports = await portsFor(transport === 'udp' ? 0 : 11);
        const c = ctxFor(run, ports, SPEED_T38, doc, { transport });
        const fw = faxwireReceive(run, ports, SPEED_T38);
        assert.ok(await fw.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(fw.stderrNow())}`);
        const { proc: sipp } = run.sipp(SCENARIOS[transport === 'udp' ? 0 : 8] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, remote: `127.0.0.1:${ports[0]}`, service: 'fax', transport });
        const [fr, sr] = await Promise.all([fw.done, sipp.done]);
        const peer = await peerOutcome(run.dir, 't38peer', 20_000);
        const res = lastJson(fr.stdout);
        const pr = parseResultLine(peer.stdout);
        const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { t38peer: peer });
        console.log(`SIPP (a) sendfax ${transport}: sipp rc=${sr.code} ${sippErrorLines(sipp)}; faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media} ended_by=${res.sip?.endedBy}; t38peer status=${pr?.['status']} pages=${pr?.['pages']}; wall ${Math.max(fr.wallMs, sr.wallMs)} ms`);
        const msgs = traceMessages(readTrace(sipp.files.messages));
        const okToReinvite = msgs.filter((m) => m.dir === 'received' && /^SIP\/2\.0 200/.test(firstLine(m.text)) && /CSeq:\s*\d+ INVITE/i.test(m.text)).pop();
        assert.ok(okToReinvite, `faxwire answered the re-INVITE with 200${diag}`);
        const image = sdpMedia(okToReinvite.text, 'image');
        assert.ok(image && image.port > 0 && /udptl/i.test(image.proto) && image.fmts.includes('t38'), `200 has m=image <port> udptl t38${diag}`);
        assert.equal(sdpAttr(okToReinvite.text, 'T38FaxVersion'), '0', `answer T38FaxVersion ≤ offer (0)${diag}`);
        assert.equal(sr.code, 0, `SIPp scenario passed${diag}`);
        assert.ok(pr, `t38peer printed a RESULT line${diag}`);
        assert.equal(pr['status'], '0', `t38peer status 0${diag}`);
        assert.equal(pr['pages'], String(pages), `t38peer sent ${pages} page(s)${diag}`);
        assert.equal(res.status, 'ok', `faxwire completed${diag}`);
        assert.equal(res.pages, pages, `faxwire received ${pages} page(s)${diag}`);
        assert.equal(res.sip?.media, 'audio>t38', `faxwire ran audio then T.38${diag}`);
        assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
        if (transport === 'tcp') assert.ok(msgs.length > 0 && /TCP message/.test(readTrace(sipp.files.messages)), `SIPp used TCP${diag}`);
        checkReceived(res.files, doc, pages, diag);
      } finally {
        await run.close();
      }
    });
  }

  it('(b) t38_fast_reject B_PARTY: faxwire send, SIPp answers G.711 and refuses the T.38 re-INVITE with 488; audiofax receives in G.711', { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
    if (!preflight(t, [corpusFile(FAST_REJECT_B)])) return;
    const run = new Run();
    try {
      const ports = await portsFor(1);
      const c = ctxFor(run, ports, SPEED_AUDIO, TEST1);
      const { proc: sipp } = run.sipp(SCENARIOS[1] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0 });
      await new Promise((r) => setTimeout(r, 300));
      const fw = faxwireSend(run, TEST1, ports[1] ?? 0, ports, SPEED_AUDIO, ['--json']);
      const [fr, sr] = await Promise.all([fw.done, sipp.done]);
      const peer = await peerOutcome(run.dir, 'audiofax', 20_000);
      const res = lastJson(fr.stdout);
      const pr = parseResultLine(peer.stdout);
      const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { audiofax: peer });
      console.log(`SIPP (b) 488: sipp rc=${sr.code} ${sippErrorLines(sipp)}; faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media} t38_refused=${res.sip?.t38Refused}; audiofax status=${pr?.['status']} pages=${pr?.['pages']} bit_rate=${pr?.['bit_rate']}; wall ${Math.max(fr.wallMs, sr.wallMs)} ms`);
      assert.equal(sr.code, 0, `SIPp scenario passed (INVITE answered, T.38 re-INVITE refused and ACKed, BYE)${diag}`);
      assert.ok(pr, `audiofax printed a RESULT line${diag}`);
      assert.equal(pr['status'], '0', `audiofax status 0${diag}`);
      assert.equal(pr['pages'], '1', `audiofax received 1 page${diag}`);
      assert.equal(res.status, 'ok', `faxwire completed${diag}`);
      assert.equal(res.sip?.media, 'audio', `the fax stayed in G.711${diag}`);
      assert.equal(res.sip?.t38Refused, 488, `faxwire reports the 488${diag}`);
      assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
      assert.equal(tiffPages(c.out), 1, `audiofax wrote 1 page${diag}`);
      const cmp = tiffSamePixels(TEST1, c.out);
      assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
    } finally {
      await run.close();
    }
  });

  it('(c) t38_initial_offer: audio + image in the INVITE; faxwire accepts exactly one (the other port 0) and the fax runs on it', { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
    if (!preflight(t, [corpusFile(INITIAL_OFFER)])) return;
    const run = new Run();
    try {
      const ports = await portsFor(2);
      // The speed has to suit whichever stream faxwire picks; ×2 suits both.
      const c = ctxFor(run, ports, SPEED_AUDIO, TEST1);
      const fw = faxwireReceive(run, ports, SPEED_AUDIO);
      assert.ok(await fw.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(fw.stderrNow())}`);
      const { proc: sipp } = run.sipp(SCENARIOS[2] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, remote: `127.0.0.1:${ports[0]}`, service: 'alice' });
      const [fr, sr] = await Promise.all([fw.done, sipp.done]);
      const peer = await peerOutcome(run.dir, 'peer', 20_000);
      const res = lastJson(fr.stdout);
      const pr = parseResultLine(peer.stdout);
      const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { peer });
      const answer = traceMessages(readTrace(sipp.files.messages)).find((m) => m.dir === 'received' && /^SIP\/2\.0 200/.test(firstLine(m.text)) && /CSeq:\s*\d+ INVITE/i.test(m.text));
      const audio = answer ? sdpMedia(answer.text, 'audio') : undefined;
      const image = answer ? sdpMedia(answer.text, 'image') : undefined;
      console.log(`SIPP (c) initial offer: sipp rc=${sr.code} ${sippErrorLines(sipp)}; answer audio=${audio ? `${audio.port} ${audio.fmts.join(' ')}` : 'none'} image=${image ? `${image.port} ${image.proto}` : 'none'}; faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media}; peer ${pr?.['tool']} status=${pr?.['status']} pages=${pr?.['pages']}`);
      assert.ok(answer, `faxwire answered 200${diag}`);
      // RFC 3264 §6: the answer has as many m= lines as the offer, in order; a refused stream has port 0.
      const mLines = [...answer.text.matchAll(/^m=(\w+)/gm)].map((m) => m[1]);
      assert.deepEqual(mLines, ['audio', 'image'], `answer keeps both m= lines in order${diag}`);
      assert.ok(audio && image, `answer has audio and image${diag}`);
      assert.ok((audio.port === 0) !== (image.port === 0), `exactly one stream accepted (audio ${audio.port}, image ${image.port})${diag}`);
      if (image.port !== 0) {
        assert.ok(/udptl/i.test(image.proto), `image over UDPTL${diag}`);
        assert.equal(res.sip?.media, 't38', `faxwire ran T.38 from the start${diag}`);
      } else {
        assert.ok(audio.fmts.some((f) => f === '0' || f === '8'), `audio answered with PCMU or PCMA${diag}`);
        assert.ok(!audio.fmts.includes('9'), `G.722 not accepted (faxwire's modems run on G.711)${diag}`);
        assert.match(res.sip?.media ?? '', /^audio/, `faxwire ran audio${diag}`);
      }
      assert.equal(sr.code, 0, `SIPp scenario passed${diag}`);
      assert.ok(pr, `peer printed a RESULT line${diag}`);
      assert.equal(pr['status'], '0', `peer status 0${diag}`);
      assert.equal(res.status, 'ok', `faxwire completed${diag}`);
      assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
      checkReceived(res.files, TEST1, 1, diag);
    } finally {
      await run.close();
    }
  });

  it('(c) t38_zero_port endpoint_A: faxwire\'s T.38 re-INVITE is answered m=image 0; the fax finishes in G.711', { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
    if (!preflight(t, [corpusFile(ZERO_PORT_A)])) return;
    const run = new Run();
    try {
      const ports = await portsFor(3);
      const c = ctxFor(run, ports, SPEED_AUDIO, TEST1);
      const fw = faxwireReceive(run, ports, SPEED_AUDIO);
      assert.ok(await fw.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(fw.stderrNow())}`);
      const { proc: sipp } = run.sipp(SCENARIOS[3] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, remote: `127.0.0.1:${ports[0]}` });
      const [fr, sr] = await Promise.all([fw.done, sipp.done]);
      const peer = await peerOutcome(run.dir, 'audiofax', 20_000);
      const res = lastJson(fr.stdout);
      const pr = parseResultLine(peer.stdout);
      const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { audiofax: peer });
      const msgs = traceMessages(readTrace(sipp.files.messages));
      const reinvite = msgs.find((m) => m.dir === 'received' && /^INVITE /.test(firstLine(m.text)));
      console.log(`SIPP (c) zero port: sipp rc=${sr.code} ${sippErrorLines(sipp)}; faxwire re-INVITE ${reinvite ? 'sent' : 'missing'}; faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media} t38_refused=${res.sip?.t38Refused}; audiofax status=${pr?.['status']} pages=${pr?.['pages']}`);
      assert.ok(reinvite, `faxwire re-INVITEd to T.38 on hearing the calling fax${diag}`);
      assert.equal(sr.code, 0, `SIPp scenario passed${diag}`);
      assert.ok(pr, `audiofax printed a RESULT line${diag}`);
      assert.equal(pr['status'], '0', `audiofax status 0${diag}`);
      assert.equal(res.status, 'ok', `faxwire completed${diag}`);
      assert.equal(res.sip?.media, 'audio', `the fax stayed in G.711${diag}`);
      // faxwire notes the declined image stream as a refusal (src/sip/fax-call.ts reports it as 415).
      assert.ok(res.sip?.t38Refused !== undefined, `faxwire noted the T.38 refusal${diag}`);
      assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
      checkReceived(res.files, TEST1, 1, diag);
    } finally {
      await run.close();
    }
  });

  for (const tight of [false, true]) {
    const limit = tight ? 120 : 400;
    it(`(d) maxdatagram bob: SIPp re-INVITEs faxwire send with T38FaxMaxDatagram:${limit}${tight ? ' and redundancy' : ' (corpus)'}; faxwire's datagrams stay within it`, { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!preflight(t, [corpusFile(MAXDG_BOB)])) return;
      const run = new Run();
      try {
        const ports = await portsFor(tight ? 5 : 4);
        const c = ctxFor(run, ports, SPEED_T38, TEST1, { maxDatagram: limit });
        const hintFile = join(run.dir, 'fwimage');
        const relay = await startRelay(c.relayPort, c.relayPeerPort, c.t38Port, () => {
          const n = existsSync(hintFile) ? Number(readFileSync(hintFile, 'utf8').trim()) : NaN;
          return Number.isInteger(n) && n > 0 ? n : undefined;
        });
        run.onClose(relay.close);
        const { proc: sipp } = run.sipp(SCENARIOS[tight ? 5 : 4] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, service: 'bob' });
        await new Promise((r) => setTimeout(r, 300));
        const fw = faxwireSend(run, TEST1, ports[1] ?? 0, ports, SPEED_T38, ['--json']);
        const [fr, sr] = await Promise.all([fw.done, sipp.done]);
        const peer = await peerOutcome(run.dir, 't38peer', 20_000);
        const res = lastJson(fr.stdout);
        const pr = parseResultLine(peer.stdout);
        const st = relay.stats();
        const fwMax = existsSync(join(run.dir, 'fwmaxdg')) ? readFileSync(join(run.dir, 'fwmaxdg'), 'utf8').trim() : '';
        const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { t38peer: peer });
        const sizes = [...st.sizesFromFaxwire.entries()].sort((a, b) => b[0] - a[0]).slice(0, 6).map(([s, n]) => `${s}×${n}`).join(' ');
        console.log(`SIPP (d) maxdatagram ${limit}${tight ? '+redundancy' : ''}: sipp rc=${sr.code} ${sippErrorLines(sipp)}; faxwire answered T38FaxMaxDatagram:${fwMax || '?'}; relay faxwire→peer ${st.fromFaxwire} datagrams, max ${st.maxFromFaxwire} octets (largest: ${sizes}), peer→faxwire ${st.fromPeer} (dropped before latch ${st.droppedBeforeLatch}); faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media}; t38peer status=${pr?.['status']} pages=${pr?.['pages']}`);
        assert.equal(sr.code, 0, `SIPp scenario passed${diag}`);
        assert.match(fwMax, /^\d+$/, `faxwire's 200 states T38FaxMaxDatagram${diag}`);
        assert.ok(st.fromFaxwire > 50, `faxwire sent the page over UDPTL through the relay${diag}`);
        assert.ok(st.maxFromFaxwire <= limit, `faxwire's largest datagram ${st.maxFromFaxwire} ≤ T38FaxMaxDatagram ${limit}${diag}`);
        assert.ok(pr, `t38peer printed a RESULT line${diag}`);
        assert.equal(pr['status'], '0', `t38peer status 0${diag}`);
        assert.equal(pr['pages'], '1', `t38peer received 1 page${diag}`);
        assert.equal(res.status, 'ok', `faxwire completed${diag}`);
        assert.equal(res.sip?.media, 'audio>t38', `faxwire switched to T.38 on SIPp's re-INVITE${diag}`);
        assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
        const cmp = tiffSamePixels(TEST1, c.out);
        assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
      } finally {
        await run.close();
      }
    });
  }

  it('(e) t38_1xx_response send_1xx: faxwire\'s own T.38 re-INVITE gets 100, 180 and 1 s later 200; the fax then runs over T.38', { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
    if (!preflight(t, [corpusFile(SEND_1XX)])) return;
    const run = new Run();
    try {
      const ports = await portsFor(6);
      const c = ctxFor(run, ports, SPEED_T38, TEST1);
      const fw = faxwireReceive(run, ports, SPEED_T38);
      assert.ok(await fw.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(fw.stderrNow())}`);
      const { proc: sipp } = run.sipp(SCENARIOS[6] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, remote: `127.0.0.1:${ports[0]}`, service: 'fax' });
      const [fr, sr] = await Promise.all([fw.done, sipp.done]);
      const peer = await peerOutcome(run.dir, 't38peer', 20_000);
      const res = lastJson(fr.stdout);
      const pr = parseResultLine(peer.stdout);
      const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { t38peer: peer });
      console.log(`SIPP (e) 1xx: sipp rc=${sr.code} ${sippErrorLines(sipp)}; faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media}; t38peer status=${pr?.['status']} pages=${pr?.['pages']}`);
      assert.equal(sr.code, 0, `SIPp scenario passed (faxwire re-INVITEd, took 100/180/200, ACKed, BYE)${diag}`);
      assert.ok(pr, `t38peer printed a RESULT line${diag}`);
      assert.equal(pr['status'], '0', `t38peer status 0${diag}`);
      assert.equal(res.status, 'ok', `faxwire completed${diag}`);
      assert.equal(res.sip?.media, 'audio>t38', `faxwire ran audio then T.38${diag}`);
      assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
      checkReceived(res.files, TEST1, 1, diag);
    } finally {
      await run.close();
    }
  });

  it('(g) chan_sip t38_negotiation_timeout: faxwire\'s T.38 re-INVITE gets 100 and the 200 only 5 s later; faxwire waits for it and the fax runs over T.38', { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
    if (!preflight(t, [corpusFile(T38_TIMEOUT)])) return;
    const run = new Run();
    try {
      const ports = await portsFor(12);
      const c = ctxFor(run, ports, SPEED_T38, TEST1);
      const fw = faxwireReceive(run, ports, SPEED_T38);
      assert.ok(await fw.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(fw.stderrNow())}`);
      const { proc: sipp } = run.sipp(SCENARIOS[9] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, remote: `127.0.0.1:${ports[0]}` });
      const [fr, sr] = await Promise.all([fw.done, sipp.done]);
      const peer = await peerOutcome(run.dir, 't38peer', 20_000);
      const res = lastJson(fr.stdout);
      const pr = parseResultLine(peer.stdout);
      const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp, { t38peer: peer });
      console.log(`SIPP (g) late 200: sipp rc=${sr.code} ${sippErrorLines(sipp)}; faxwire ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media} t38_refused=${res.sip?.t38Refused}; t38peer status=${pr?.['status']} pages=${pr?.['pages']}`);
      assert.equal(sr.code, 0, `SIPp scenario passed (faxwire re-INVITEd, took 100 then the late 200, ACKed, BYE)${diag}`);
      assert.ok(pr, `t38peer printed a RESULT line${diag}`);
      assert.equal(pr['status'], '0', `t38peer status 0${diag}`);
      assert.equal(res.status, 'ok', `faxwire completed${diag}`);
      assert.equal(res.sip?.media, 'audio>t38', `faxwire switched to T.38 on the late 200${diag}`);
      assert.equal(fr.code, 0, `faxwire exit 0${diag}`);
      checkReceived(res.files, TEST1, 1, diag);
    } finally {
      await run.close();
    }
  });

  for (const mode of ['off', 'auto'] as const) {
    const label =
      mode === 'off'
        ? '(h) two_reinvite A_PARTY, faxwire receive --t38 off: the carrier\'s T.38 re-INVITE gets 488, its re-INVITE back to audio 200, the call stays up through the carrier\'s fax audio until the carrier\'s BYE'
        : '(h) two_reinvite A_PARTY, faxwire receive --t38 auto: faxwire hears the CNG in the carrier\'s recorded fax audio and re-INVITEs to T.38; 488; the call stays up until the carrier\'s BYE';
    it(label, { timeout: 120_000 }, async (t) => {
      if (!preflight(t, [corpusFile(TWO_REINVITE_A), CARRIER_PCAP])) return;
      const run = new Run();
      try {
        const ports = await portsFor(mode === 'off' ? 13 : 14);
        const c = ctxFor(run, ports, 1, TEST1);
        // The recording plays in real time: fax clock ×1. No fax can complete (the audio is
        // another call's), so the call ends by the carrier's BYE.
        const fw = faxwireReceive(run, ports, 1, ['--t38', mode]);
        assert.ok(await fw.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(fw.stderrNow())}`);
        const { proc: sipp } = run.sipp(SCENARIOS[mode === 'off' ? 10 : 11] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0, remote: `127.0.0.1:${ports[0]}`, service: 'fax' });
        const [fr, sr] = await Promise.all([fw.done, sipp.done]);
        const res = lastJson(fr.stdout);
        const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp);
        const msgs = traceMessages(readTrace(sipp.files.messages));
        const summary = msgs.map((m) => `${m.dir === 'sent' ? '>' : '<'}${firstLine(m.text).replace(/ sip:\S+ SIP\/2\.0$/, '').replace(/^SIP\/2\.0 /, '')}`).join(' ');
        console.log(`SIPP (h) carrier audio, --t38 ${mode}: sipp rc=${sr.code} ${sippErrorLines(sipp)}; flow ${summary}; faxwire ${res.status}/${res.code} media=${res.sip?.media} t38_refused=${res.sip?.t38Refused} ended_by=${res.sip?.endedBy}`);
        assert.equal(sr.code, 0, `SIPp scenario passed${diag}`);
        assert.equal(res.sip?.answered, true, `faxwire answered${diag}`);
        assert.equal(res.sip?.endedBy, 'remote', `the carrier ended the call (faxwire did not drop it)${diag}`);
        if (mode === 'off') {
          const r488 = msgs.find((m) => m.dir === 'received' && /^SIP\/2\.0 488/.test(firstLine(m.text)));
          assert.ok(r488, `faxwire refused the T.38 re-INVITE with 488${diag}`);
          const back = msgs.filter((m) => m.dir === 'received' && /^SIP\/2\.0 200/.test(firstLine(m.text)) && /CSeq:\s*103 INVITE/i.test(m.text)).pop();
          const audio = back ? sdpMedia(back.text, 'audio') : undefined;
          assert.ok(audio && audio.port > 0, `faxwire accepted the re-INVITE back to audio with an audio port${diag}`);
          assert.ok(!msgs.some((m) => m.dir === 'received' && /^INVITE /.test(firstLine(m.text))), `faxwire --t38 off sent no re-INVITE${diag}`);
          assert.match(res.sip?.media ?? '', /^audio(>audio)*$/, `faxwire stayed in audio${diag}`);
        } else {
          assert.equal(res.sip?.t38Refused, 488, `faxwire re-INVITEd to T.38 and noted the 488${diag}`);
          assert.match(res.sip?.media ?? '', /^audio(>audio)*$/, `faxwire stayed in audio${diag}`);
        }
      } finally {
        await run.close();
      }
    });
  }

  for (const good of [true, false]) {
    it(`(f) digest: SIPp challenges faxwire send's INVITE with 401; ${good ? 'the credentials verify and the call proceeds' : 'a wrong password gets 403 and faxwire reports it'}`, { timeout: 90_000 }, async (t) => {
      if (!preflight(t, [corpusFile(FAST_REJECT_B)])) return;
      const run = new Run();
      try {
        const ports = await portsFor(good ? 7 : 8);
        const c = ctxFor(run, ports, SPEED_AUDIO, TEST1);
        const { proc: sipp } = run.sipp(SCENARIOS[7] as ScenarioDef, c, { port: ports[1] ?? 0, mediaPort: ports[2] ?? 0 });
        await new Promise((r) => setTimeout(r, 300));
        // No fax machine answers: faxwire ends the call by its own --timeout (BYE).
        const fw = run.faxwire(['send', TEST1, '--to', `sip:fax@127.0.0.1:${ports[1]}`, '--local-address', '127.0.0.1', '--media-ports', mediaRange(ports), '--speed', String(SPEED_AUDIO), '--timeout', '6', '--json', '--sip-trace', '--username', AUTH_USER, '--password', good ? AUTH_PASSWORD : 'wrong-password']);
        const [fr, sr] = await Promise.all([fw.done, sipp.done]);
        const res = lastJson(fr.stdout);
        const log = readTrace(sipp.files.logs);
        const diag = diagnostics(run, { faxwire: fr, sipp: sr }, sipp);
        const invites = traceMessages(readTrace(sipp.files.messages)).filter((m) => m.dir === 'received' && /^INVITE /.test(firstLine(m.text)));
        const auth = /^Authorization:\s*(.*)$/im.exec(invites[1]?.text ?? '')?.[1] ?? '';
        console.log(`SIPP (f) auth ${good ? 'good' : 'bad'} password: sipp rc=${sr.code} ${sippErrorLines(sipp)}; log ${/AUTH-ACCEPTED/.test(log) ? 'AUTH-ACCEPTED' : /AUTH-REJECTED/.test(log) ? 'AUTH-REJECTED' : '?'}; faxwire ${res.status}/${res.code} answered=${res.sip?.answered} status=${res.sip?.status} ended_by=${res.sip?.endedBy}; Authorization: ${auth.slice(0, 160)}`);
        assert.equal(invites.length, 2, `faxwire retried the INVITE once with credentials${diag}`);
        assert.match(auth, /^Digest /i, `the retry carries a Digest Authorization${diag}`);
        assert.match(auth, new RegExp(`username="${AUTH_USER}"`), `… for our user${diag}`);
        assert.match(auth, /realm="sipp\.test"/, `… in SIPp's realm${diag}`);
        assert.equal(sr.code, 0, `SIPp scenario passed${diag}`);
        if (good) {
          assert.match(log, /AUTH-ACCEPTED/, `SIPp's verifyauth accepted faxwire's answer${diag}`);
          assert.equal(res.sip?.answered, true, `the call was answered${diag}`);
          assert.equal(res.sip?.endedBy, 'timeout', `faxwire ended it by its --timeout${diag}`);
          assert.equal(res.status, 'timeout', `… and reports a timeout, not a failed fax${diag}`);
        } else {
          assert.match(log, /AUTH-REJECTED/, `SIPp rejected the wrong password${diag}`);
          assert.equal(res.sip?.answered, false, `the call was not answered${diag}`);
          assert.equal(res.sip?.status, 403, `faxwire reports 403${diag}`);
          assert.notEqual(fr.code, 0, `faxwire exit non-zero${diag}`);
        }
      } finally {
        await run.close();
      }
    });
  }
});

describe('faxwire → faxwire over SIP on 127.0.0.1 (no SIPp)', () => {
  for (const mode of ['auto', 'off'] as const) {
    it(`send --t38 auto → receive --t38 ${mode}: ${mode === 'auto' ? 'media=audio>t38' : 'media=audio'}, the corpus page (send.tiff, G4) arrives pixel-identical`, { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!preflight(t, [CORPUS_PAGE])) return;
      const run = new Run();
      try {
        const ports = await portsFor(mode === 'auto' ? 9 : 10);
        const speed = mode === 'auto' ? SPEED_T38 : SPEED_AUDIO;
        const rx = run.faxwire(['receive', '--sip-listen', `127.0.0.1:${ports[0]}`, '--out', join(run.dir, 'fw-out'), '--max-calls', '1', '--speed', String(speed), '--media-ports', mediaRange(ports, 10, 3), '--timeout', String(FAX_TIMEOUT), '--json', '--sip-trace', '--t38', mode]);
        assert.ok(await rx.waitStderr(/ready, listening for SIP/, 30_000), `faxwire receive is ready${tail(rx.stderrNow())}`);
        // The sender's result in the text form (the CLI contract's line).
        const tx = faxwireSend(run, CORPUS_PAGE, ports[0] ?? 0, ports, speed, ['--t38', 'auto'], mediaRange(ports, 13, 3));
        const [txr, rxr] = await Promise.all([tx.done, rx.done]);
        const res = lastJson(rxr.stdout);
        const line = txr.stdout.split('\n').find((l) => l.startsWith('faxwire send:')) ?? '';
        const diag = diagnostics(run, { sender: txr, receiver: rxr });
        console.log(`SIP faxwire→faxwire receiver --t38 ${mode}: ${line} | receiver ${res.status}/${res.code} pages=${res.pages} media=${res.sip?.media}; wall ${Math.max(txr.wallMs, rxr.wallMs)} ms`);
        assert.match(line, /^faxwire send: OK \(/, `sender OK${diag}`);
        assert.match(line, / pages=1 /, `sender sent 1 page${diag}`);
        assert.match(line, / sip=answered /, `sip=answered${diag}`);
        assert.match(line, new RegExp(` media=${mode === 'auto' ? 'audio>t38' : 'audio'}( |$)`), `media=${mode === 'auto' ? 'audio>t38' : 'audio'}${diag}`);
        assert.equal(txr.code, 0, `sender exit 0${diag}`);
        assert.equal(res.status, 'ok', `receiver completed${diag}`);
        assert.equal(res.pages, 1, `receiver counted 1 page${diag}`);
        assert.equal(res.sip?.media, mode === 'auto' ? 'audio>t38' : 'audio', `receiver media${diag}`);
        assert.equal(rxr.code, 0, `receiver exit 0${diag}`);
        checkReceived(res.files, CORPUS_PAGE, 1, diag);
      } finally {
        await run.close();
      }
    });
  }
});
