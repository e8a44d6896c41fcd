/**
 * REGISTER against SIPp as a registrar (its `verifyauth` checks our digest answer), and the SIP
 * gateway (`faxwire gateway --sip-listen`, a back-to-back user agent) with real processes:
 *
 * - `faxwire receive --register …`: SIPp answers the first REGISTER with 401 (MD5, qop=auth),
 *   verifies the second with the password it knows and answers 200 only if it is right, then
 *   expects the removal (Expires: 0) when faxwire exits after its call. The scenario is written
 *   here (not taken from the corpus): SIPp fails the run if any step is missing.
 * - `faxwire send --t38 off` (G.711 only) → `faxwire gateway --sip-listen … --to …` → `faxwire
 *   receive` (answers the gateway's T.38-only offer): the page crosses G.711 → T.38 and arrives
 *   pixel-identical (tiffcmp -t).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAXWIRE_CLI, TEST1, ensurePeer, runProc, tiffSamePixels, udpPortRun } from './peer.js';
import { need } from './util.js';

const REGISTRAR = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="faxwire test registrar: 401, digest verified, 200, then the removal">
  <recv request="REGISTER" />
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="faxwire.test", nonce="[pid]n[call_number]", algorithm=MD5, qop="auth"
Content-Length: 0

]]></send>
  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="fax" password="s3cret" />
    </action>
  </recv>
  <nop test="authvalid" next="good" />
  <send next="bad"><![CDATA[
SIP/2.0 403 Forbidden
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="good" />
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:fax@127.0.0.1>;expires=120
Content-Length: 0

]]></send>
  <recv request="REGISTER">
    <action>
      <ereg regexp="Expires: 0" search_in="msg" check_it="true" assign_to="removal" />
    </action>
  </recv>
  <nop>
    <action>
      <log message="removal seen: [$removal]" />
    </action>
  </nop>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]reg
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="bad" />
</scenario>
`;

describe('SIP: REGISTER against SIPp, and the SIP gateway between two faxwire UAs', () => {
  it('registers with digest (401 → verified → 200), takes a call, removes the binding at exit', async (t) => {
    if (!need(t, { tools: ['sipp', 'timeout'] }) || !ensurePeer(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'faxwire-sipp-reg-'));
    try {
      const [reg, sip, sender] = await udpPortRun(26100, 3);
      writeFileSync(join(dir, 'registrar.xml'), REGISTRAR);
      const sipp = runProc('sipp', ['-sf', join(dir, 'registrar.xml'), '-i', '127.0.0.1', '-p', String(reg), '-m', '1', '-timeout', '60s', '-timeout_error', '-nostdin'], 70);
      const rx = runProc(process.execPath, [FAXWIRE_CLI, 'receive', '--sip-listen', `127.0.0.1:${sip}`, '--register', `sip:127.0.0.1:${reg}`, '--from', `sip:fax@127.0.0.1`, '--username', 'fax', '--password', 's3cret', '--out', join(dir, 'in'), '--speed', '4', '--timeout', '60'], 70);
      if (!(await rx.waitStderr(/ready/))) {
        const [r, p] = await Promise.all([rx.done, sipp.done]);
        assert.fail(`not registered: ${r.stderr.slice(-2000)}\nSIPp: ${p.stdout.slice(-1500)}${p.stderr.slice(-1500)}`);
      }
      const tx = runProc(process.execPath, [FAXWIRE_CLI, 'send', TEST1, '--to', `sip:fax@127.0.0.1:${sip}`, '--local-address', '127.0.0.1', '--sip-port', String(sender), '--speed', '4', '--timeout', '60'], 70);
      const [s, r, p] = await Promise.all([tx.done, rx.done, sipp.done]);
      assert.equal(s.code, 0, `send: ${s.stdout}${s.stderr.slice(-2000)}`);
      assert.equal(r.code, 0, `receive: ${r.stdout}${r.stderr.slice(-2000)}`);
      assert.match(r.stderr, /registered at sip:127\.0\.0\.1:\d+ for 120 s/);
      assert.equal(p.code, 0, `SIPp registrar: ${p.stdout.slice(-1500)}${p.stderr.slice(-1500)}`);
      const files = readdirSync(join(dir, 'in')).filter((f) => f.endsWith('.tif'));
      assert.equal(files.length, 1);
      const cmp = tiffSamePixels(TEST1, join(dir, 'in', files[0] ?? ''));
      assert.ok(cmp.same, cmp.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('G.711 sender → faxwire gateway --sip-listen (B2BUA) → T.38 receiver: the page arrives pixel-identical', async (t) => {
    if (!need(t, { tools: ['timeout', 'tiffcmp'] }) || !ensurePeer(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'faxwire-sip-gw-'));
    try {
      const [rxPort, gwPort] = await udpPortRun(26200, 2);
      const rx = runProc(process.execPath, [FAXWIRE_CLI, 'receive', '--sip-listen', `127.0.0.1:${rxPort}`, '--out', join(dir, 'in'), '--speed', '2', '--timeout', '120'], 130);
      const gw = runProc(process.execPath, [FAXWIRE_CLI, 'gateway', '--sip-listen', `127.0.0.1:${gwPort}`, '--to', `sip:fax@127.0.0.1:${rxPort}`, '--advertise', '127.0.0.1', '--cushion', '6', '--speed', '2', '--timeout', '120'], 130);
      assert.ok(await rx.waitStderr(/ready/));
      assert.ok(await gw.waitStderr(/ready/));
      const tx = runProc(process.execPath, [FAXWIRE_CLI, 'send', TEST1, '--to', `sip:fax@127.0.0.1:${gwPort}`, '--t38', 'off', '--local-address', '127.0.0.1', '--speed', '2', '--timeout', '120'], 130);
      const [s, g, r] = await Promise.all([tx.done, gw.done, rx.done]);
      assert.equal(s.code, 0, `send: ${s.stdout}${s.stderr.slice(-2000)}`);
      assert.match(s.stdout, /media=audio /);
      assert.equal(g.code, 0, `gateway: ${g.stdout}${g.stderr.slice(-2000)}`);
      assert.match(g.stdout, /^gateway: pages=1 .*completed=yes/m);
      assert.match(g.stderr, /bridged PCM[AU]\/RTP .* <-> T\.38 v0 .*incoming leg: audio/);
      assert.equal(r.code, 0, `receive: ${r.stdout}${r.stderr.slice(-2000)}`);
      assert.match(r.stdout, /media=t38 /);
      const files = readdirSync(join(dir, 'in')).filter((f) => f.endsWith('.tif'));
      const cmp = tiffSamePixels(TEST1, join(dir, 'in', files[0] ?? ''));
      assert.ok(cmp.same, cmp.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
