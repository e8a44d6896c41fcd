/**
 * HDLC against spandsp's (hdlc_tx / hdlc_rx, libspandsp-dev), bit stream to bit stream, both
 * ways: random frames rich in 0x7E/0xFF (zero insertion everywhere), some with a corrupted FCS,
 * and — towards spandsp — aborts from streamed frames that ran dry (half the frames streamed). The C side is
 * `hdlc-peer.c` beside this file (our own harness over spandsp's public API), built with `cc`
 * into `.build/hdlc-peer/`.
 */

import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HdlcDeframer, HdlcFramer } from '../../src/hdlc/index.js';
import { need, REPO_ROOT } from './util.js';

const SOURCE = join(REPO_ROOT, 'test', 'interop', 'hdlc-peer.c');
const BUILD = join(REPO_ROOT, '.build', 'hdlc-peer');
const PEER = join(BUILD, 'hdlc-peer');

function ensurePeer(t: TestContext): boolean {
  if (!need(t, { tools: ['cc'], files: [SOURCE] })) return false;
  if (!existsSync('/usr/include/spandsp.h') && !existsSync('/usr/include/x86_64-linux-gnu/spandsp.h') && !existsSync('/usr/include/spandsp')) {
    if (!need(t, { files: ['/usr/include/spandsp.h (libspandsp-dev)'] })) return false;
  }
  if (!existsSync(PEER) || statSync(PEER).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(BUILD, { recursive: true });
    const r = spawnSync('cc', ['-O2', '-o', PEER, SOURCE, '-lspandsp'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `cc hdlc-peer.c: ${r.stderr}`);
  }
  return true;
}

type Frame = [kind: 'ok' | 'bad', hex: string];

function parseFrames(text: string): Frame[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('ok ') || l.startsWith('bad '))
    .map((l) => l.split(' ') as Frame);
}

describe('HDLC interop with spandsp 0.0.6 (hdlc_tx / hdlc_rx)', () => {
  it('spandsp → faxwire: 300 frames of 2–260 octets, 1 in 10 with a corrupted FCS, all delivered as sent', (t) => {
    if (!ensurePeer(t)) return;
    const framesFile = join(BUILD, 'tx-frames.txt');
    const r = spawnSync(PEER, ['tx', '5', '300', framesFile], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const sent = parseFrames(readFileSync(framesFile, 'utf8'));
    assert.equal(sent.length, 300);
    const got: Frame[] = [];
    const d = new HdlcDeframer({ frame: (b, ok) => void got.push([ok ? 'ok' : 'bad', Buffer.from(b).toString('hex')]) });
    const bits = r.stdout;
    for (let i = 0; i < bits.length; i++) {
      const c = bits.charCodeAt(i);
      if (c === 48 || c === 49) d.putBit(c - 48);
    }
    assert.deepEqual(got, sent);
    const s = d.getStats();
    const bad = sent.filter((f) => f[0] === 'bad').length;
    assert.ok(bad > 10, `only ${bad} corrupted frames`);
    assert.deepEqual([s.framesOk, s.badFcs, s.runts, s.misaligned, s.tooLong, s.aborts], [300 - bad, bad, 0, 0, 0, 0]);
  });

  it('faxwire → spandsp: the same frames (bad ones by endFrame(false)) and four underrun aborts, all seen as sent', (t) => {
    if (!ensurePeer(t)) return;
    const framesFile = join(BUILD, 'tx-frames-2.txt');
    const gen = spawnSync(PEER, ['tx', '9', '200', framesFile], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    assert.equal(gen.status, 0, gen.stderr);
    const frames = parseFrames(readFileSync(framesFile, 'utf8'));
    const f = new HdlcFramer();
    f.preambleFlags(10);
    const out: number[] = [];
    const pull = (n: number): void => {
      for (let i = 0; i < n; i++) out.push(f.getBit());
    };
    frames.forEach(([kind, hex], i) => {
      const bytes = Buffer.from(hex, 'hex');
      if (i % 2 === 0) {
        f.sendFrame(bytes, kind === 'ok');
      } else {
        // Streamed in pieces, each in time (pushed before the line needs it).
        f.startFrame();
        for (let at = 0; at < bytes.length; at += 7) f.pushBytes(bytes.subarray(at, at + 7));
        f.endFrame(kind === 'ok');
      }
      if (i % 50 === 49) {
        // A streamed frame that runs dry: an abort on the line.
        while (!f.idle) pull(1);
        f.startFrame();
        f.pushBytes(Uint8Array.of(0xff, 0x13, 0x80));
        pull(80);
        f.endFrame();
      }
    });
    f.sendFrame(Uint8Array.of(0xff, 0x13, 0xfb));
    f.finish();
    for (let b = f.getBit(); b >= 0; b = f.getBit()) out.push(b);
    const rx = spawnSync(PEER, ['rx'], { input: out.join(''), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    assert.equal(rx.status, 0, rx.stderr);
    const got = parseFrames(rx.stdout);
    assert.deepEqual(got, [...frames, ['ok', 'ff13fb']]);
    const bad = frames.filter((x) => x[0] === 'bad').length;
    const stats = /stats good=(\d+) crc=(\d+) length=(\d+) aborts=(\d+)/.exec(rx.stdout);
    assert.ok(stats, rx.stdout.slice(-200));
    assert.deepEqual(stats.slice(1).map(Number), [frames.length + 1 - bad, bad, 0, 4]);
    assert.equal(f.getStats().underruns, 4);
  });
});
