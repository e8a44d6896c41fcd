/**
 * `faxwire analyze` on fax audio: real G.711 captures from ../shared/corpus (read at test time,
 * never copied) demodulated into the T.30 timeline — Asterisk's testsuite calls (CNG, CED, V.21
 * NSF/CSI/DIS with valid FCS) and a Vega gateway call that switches from G.711 to T.38 by
 * re-INVITE (one timeline: audio tones first, T.38 frames after). A WAV recording of a call made
 * by faxwire's own modems is covered in audio-call tests.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCapture, type AnalyzeRecord } from '../../../src/analyze/index.js';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared', 'corpus');
const B_LEG = join(CORPUS, 'asterisk-testsuite', 'pjsip', 't38_enabled_two_reinvite_on_b_leg', 'sipp');
const VEGA = join(CORPUS, 'alwishariff-wireshark', 'vega_g711_to_t38_reinvite_udp_only.pcap');

function skipLoudly(t: { skip: (m: string) => void }, file: string): boolean {
  if (existsSync(file)) return false;
  const msg = `corpus file ${file} not found — fax audio analysis NOT tested`;
  console.warn(`\n*** SKIPPED: ${msg} ***\n`);
  t.skip(msg);
  return true;
}

function records(file: string): AnalyzeRecord[] {
  const r = analyzeCapture(readFileSync(file));
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.records;
}

const t30 = (rs: AnalyzeRecord[]): Extract<AnalyzeRecord, { type: 't30' }>[] => rs.filter((r): r is Extract<AnalyzeRecord, { type: 't30' }> => r.type === 't30');

describe('analyze: G.711 fax audio in captures', () => {
  it("Asterisk testsuite, customer leg: CNG one way, CED and the answerer's NSF, CSI, DIS the other, all FCS-valid", (t) => {
    const file = join(B_LEG, 'CUSTOMER_G711U.pcap');
    if (skipLoudly(t, file)) return;
    const rs = records(file);
    const streams = rs.filter((r) => r.type === 'audio-stream');
    assert.equal(streams.length, 2);
    const tones = rs.filter((r): r is Extract<AnalyzeRecord, { type: 'tone' }> => r.type === 'tone');
    const cng = tones.filter((x) => x.tone === 'CNG');
    const ced = tones.filter((x) => x.tone === 'CED');
    assert.ok(cng.length >= 1 && ced.length === 1, JSON.stringify(tones));
    assert.notEqual(cng[0]?.stream, ced[0]?.stream, 'CNG and CED come from opposite directions');
    const frames = t30(rs);
    assert.deepEqual(frames.map((f) => f.name), ['NSF', 'CSI', 'DIS']);
    assert.ok(frames.every((f) => f.ok && f.modem === 'v21' && f.stream === ced[0]?.stream));
    assert.match(frames[1]?.summary ?? '', /\+\+08122555448800751\+/);
    // Time order: the tone before the frames it precedes.
    assert.ok((ced[0]?.time ?? Infinity) < (frames[0]?.time ?? 0));
  });

  it("Asterisk testsuite, carrier leg (14 packets lost): the caller's TSI and DCS, then V.29 9600 trains on the TCF", (t) => {
    const file = join(B_LEG, 'CARRIER_G711U.pcap');
    if (skipLoudly(t, file)) return;
    const rs = records(file);
    const frames = t30(rs);
    assert.deepEqual(frames.map((f) => f.name), ['TSI', 'DCS']);
    assert.ok(frames.every((f) => f.ok));
    assert.match(frames[1]?.summary ?? '', /V\.29 9600/);
    const trained = rs.filter((r): r is Extract<AnalyzeRecord, { type: 'signal' }> => r.type === 'signal' && r.modem === 'v29-9600');
    assert.equal(trained.length, 1, 'the TCF after the DCS trains the V.29 receiver the DCS named');
    assert.ok((trained[0]?.time ?? 0) > (frames[1]?.time ?? Infinity));
  });

  it('a G.711 call that switches to T.38 is one timeline: CED and V.21 in audio, then DIS over UDPTL', (t) => {
    if (skipLoudly(t, VEGA)) return;
    const rs = records(VEGA);
    const cedAt = rs.findIndex((r) => r.type === 'tone' && r.tone === 'CED');
    const flagsAt = rs.findIndex((r) => r.type === 'signal' && r.modem === 'v21');
    const reinviteAt = rs.findIndex((r) => r.type === 'sip' && r.startLine.startsWith('INVITE') && r.t38.length > 0);
    const disAt = rs.findIndex((r) => r.type === 't30' && r.name === 'DIS' && r.stream.startsWith('S'));
    assert.ok(cedAt >= 0 && flagsAt > cedAt && reinviteAt > flagsAt && disAt > reinviteAt, JSON.stringify({ cedAt, flagsAt, reinviteAt, disAt }));
  });
});
