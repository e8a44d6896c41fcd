/**
 * `faxwire analyze --audio DIR` through the built binary: the G.711 streams of a real capture
 * (Asterisk testsuite, read from ../shared/corpus) written as WAV files and listed, text and JSON;
 * refused for a WAV recording.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWav } from '../../../src/capture/wav.js';
import { cli } from './helpers.js';

const PCAP = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared', 'corpus'),
  'asterisk-testsuite',
  'pjsip',
  't38_enabled_two_reinvite_on_b_leg',
  'sipp',
  'CUSTOMER_G711U.pcap',
);

describe('faxwire analyze --audio', { skip: !existsSync(PCAP) && `corpus capture missing: ${PCAP}` }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-analyze-audio-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one WAV per direction and lists them', () => {
    const out = join(dir, 'text');
    const r = cli('analyze', PCAP, '--audio', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^audio 1: rtp 208\.89\.128\.69:47322 → 81\.201\.84\.200:13030 ssrc 0x17cb308c \(heuristic, ulaw\) 8\.02 s from 0\.000 s, 401 packets, 0 lost, 0 gap\(s\) of 0 ms → .*audio-1\.wav$/m);
    assert.match(r.out, /^audio 2: rtp 204\.101\.5\.68:15440 → 81\.201\.84\.200:11464 .* 7\.98 s from 0\.035 s, 399 packets/m);
    for (const [i, frames] of [
      [1, 401 * 160],
      [2, 399 * 160],
    ] as const) {
      const w = parseWav(readFileSync(join(out, `audio-${i}.wav`)));
      assert.ok(w.ok);
      if (!w.ok) continue;
      assert.equal(w.value.format, 'slin');
      assert.equal(w.value.sampleRate, 8000);
      assert.equal(w.value.channels, 1);
      assert.equal(w.value.frames, frames);
    }
    // A WAV recording is audio already.
    const rec = cli('analyze', join(out, 'audio-1.wav'), '--audio', join(dir, 'again'));
    assert.equal(rec.code, 2);
    assert.match(rec.err, /--audio is for captures/);
  });

  it('--json: one {"type":"audio"} record per stream, without the samples', () => {
    const r = cli('analyze', PCAP, '--audio', join(dir, 'json'), '--json');
    assert.equal(r.code, 0, r.err);
    const audio = r.out
      .split('\n')
      .filter((l) => l.startsWith('{"type":"audio"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(audio.length, 2);
    assert.equal(audio[1]?.['id'], 'rtp 204.101.5.68:15440 → 81.201.84.200:11464 ssrc 0xbb454581');
    assert.equal(audio[1]?.['time'], 0.035219); // its first packet's arrival, relative to the capture's first
    assert.equal(audio[0]?.['seconds'], 8.02);
    assert.ok(!('samples' in (audio[0] ?? {})));
    assert.deepEqual(audio[0]?.['gaps'], []);
  });
});
