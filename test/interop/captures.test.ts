/**
 * Every datagram of the third-party captures: UDPTL decodes, re-encodes to the same bytes,
 * and every IFP in it (primary and secondaries) decodes in the capture's T.38 version.
 * The AST-2016-003 attack stream is survived, its garbage counted as malformed.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/index.js';
import { readCapture } from '../../src/capture/index.js';
import { decodeIfp } from '../../src/t38/ifp.js';
import { decodeUdptl, encodeUdptl } from '../../src/t38/udptl.js';
import { UdptlReceiver } from '../../src/t38/udptl-receiver.js';
import { CORPUS, PEER, filesUnder, need } from './util.js';

function udpPayloads(file: string, port: number, minTime = 0): Uint8Array[] {
  const r = readCapture(readFileSync(file));
  assert.ok(r.ok, `${file} reads`);
  return r.value.packets.filter((p) => p.proto === 'udp' && (p.dstPort === port || p.srcPort === port) && p.time >= minTime).map((p) => p.payload);
}

describe('captures: every UDPTL datagram decodes and re-encodes byte-exact', () => {
  for (const [name, version, port] of [
    ['cap_v0.pcapng', 0, 43000],
    ['cap_v3.pcapng', 3, 43010],
  ] as const) {
    it(`spandsp peer ${name}`, (t) => {
      const file = join(PEER, 'results', name);
      if (!need(t, { files: [file] })) return;
      const datagrams = udpPayloads(file, port);
      assert.equal(datagrams.length, 644, 'all 644 frames are UDPTL between the two peers');
      let ifps = 0;
      for (const d of datagrams) {
        const r = decodeUdptl(d);
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(r.bytesRead, d.length);
        assert.equal(Buffer.from(encodeUdptl(r.value)).toString('hex'), Buffer.from(d).toString('hex'), 're-encoding gives the same bytes');
        const all = [r.value.primary, ...(r.value.recovery.kind === 'secondary' ? r.value.recovery.secondaries : [])];
        for (const ifp of all) {
          const x = decodeIfp(ifp, version);
          assert.ok(x.ok && x.bytesRead === ifp.length, `IFP ${Buffer.from(ifp).toString('hex')} in v${version}`);
          ifps++;
        }
      }
      assert.ok(ifps > 644);
    });
  }

  it('carrier stream (BroadWorks → Vega, v0, 1 secondary): all UDPTL decodes; the 3 RTP datagrams do not pretend to', (t) => {
    const file = join(CORPUS, 'alwishariff-wireshark', 'vega_g711_to_t38_reinvite_udp_only.pcap');
    if (!need(t, { files: [file] })) return;
    const r = readCapture(readFileSync(file));
    assert.ok(r.ok);
    // After the re-INVITE (frame 1696) and its ACK (17.01 s) the SBC sends UDPTL to the old audio
    // port 10338 (corpus SOURCES.md: "udp.dstport==10338 && frame.time_relative>17.1").
    const t0 = r.value.packets[0]!.time;
    const after = r.value.packets.filter((p) => p.proto === 'udp' && p.dstPort === 10338 && p.time - t0 > 17.1);
    let udptl = 0;
    let rtp = 0;
    for (const p of after) {
      const d = decodeUdptl(p.payload);
      const isRtp = p.payload.length === 172 && (p.payload[0]! & 0xc0) === 0x80;
      if (isRtp) {
        rtp++;
        continue;
      }
      assert.ok(d.ok, `frame ${p.frame}`);
      assert.equal(Buffer.from(encodeUdptl(d.value)).toString('hex'), Buffer.from(p.payload).toString('hex'));
      const x = decodeIfp(d.value.primary, 0);
      assert.ok(x.ok && x.bytesRead === d.value.primary.length, `frame ${p.frame} IFP`);
      udptl++;
    }
    assert.ok(udptl >= 290, `${udptl} UDPTL datagrams`);
    assert.equal(rtp, 3);
  });

  it('AST-2016-003 attack stream: survived, zero-length secondaries ignored, garbage counted', (t) => {
    const file = join(CORPUS, 'asterisk-testsuite', 'pjsip', 'ast-2016-003', 'sipp', 'crash.pcap');
    if (!need(t, { files: [file] })) return;
    const payloads = udpPayloads(file, 2);
    assert.equal(payloads.length, 128);
    const rx = new UdptlReceiver();
    for (const p of payloads) rx.receive(p);
    const s = rx.getStats();
    assert.equal(s.datagrams, 128);
    assert.ok(s.malformed >= 1, 'frame 1 (ASCII garbage) is malformed');
    assert.ok(s.zeroLengthSecondaries > 0, 'zero-length secondaries are seen and ignored');

    const a = analyzeCapture(readFileSync(file), { ports: [2], t38Version: 0 });
    assert.ok(a.ok);
    assert.ok(a.summary.malformed >= 1);
    assert.equal(a.summary.datagrams, 128);
  });

  it('every capture in the corpus reads without throwing, and analyze survives it', (t) => {
    const files = [...filesUnder(CORPUS, /\.pcap(ng)?$/), ...filesUnder(join(PEER, 'results'), /\.pcap(ng)?$/)];
    if (!need(t, { files: [CORPUS] })) return;
    assert.ok(files.length >= 5);
    for (const f of files) {
      const r = analyzeCapture(readFileSync(f));
      assert.ok(r.ok, f);
    }
  });
});
