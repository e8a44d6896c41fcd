/**
 * Real captures, read-only from the shared corpus (`<repo>/../shared`, never copied into the
 * repository): the spandsp-peer golden captures (pcapng, Ethernet) and the third-party captures
 * of corpus/ (classic pcap and pcapng; Ethernet and Linux SLL).
 *
 * Expected counts below were established with third-party tools (capinfos and tshark 4.0.17:
 * `capinfos`, `tshark -q -z io,phs`, `tshark -T fields -e udp.srcport -e udp.dstport`), not by
 * this reader. When tshark is installed each file is also compared frame by frame with it:
 * frame count, epoch time to the nanosecond, addresses, ports, UDP length and payload bytes.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture, type CaptureReadResult, type CapturedSegment } from '../../../src/capture/packet.js';

/** The repository root: the nearest ancestor holding package.json (from this file, else from the cwd). */
function findRepoRoot(): string | undefined {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = resolve(start);
    for (;;) {
      if (existsSync(join(d, 'package.json'))) return d;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return undefined;
}

const root = findRepoRoot();
const shared = root === undefined ? undefined : resolve(root, '..', 'shared');
const sharedPresent = shared !== undefined && existsSync(shared);

function skipLoudly(t: { skip: (msg: string) => void }, what: string): void {
  const msg = `corpus not found at ${shared ?? '(no repo root found)'} — ${what} NOT tested`;
  console.warn(`SKIPPED: ${msg}`);
  t.skip(msg);
}

function listFiles(dir: string, ext: string, recursive: boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (recursive) out.push(...listFiles(p, ext, true));
    } else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

interface Expect {
  format: 'pcap' | 'pcapng';
  linkTypes: number[];
  frames: number;
  udp: number;
  /** "srcPort>dstPort" → datagrams, when established independently. */
  ports?: Record<string, number>;
}

/** Keyed by path relative to `shared`. Sources: capinfos + tshark io,phs (see header). */
const EXPECT: Record<string, Expect> = {
  'interop/spandsp-peer/results/cap_v0.pcapng': {
    format: 'pcapng',
    linkTypes: [1],
    frames: 644,
    udp: 644,
    ports: { '43000>43001': 587, '43001>43000': 57 },
  },
  // Note: the T.38 version-3 run used ports 43010/43011 (tshark), not 43000/43001.
  'interop/spandsp-peer/results/cap_v3.pcapng': {
    format: 'pcapng',
    linkTypes: [1],
    frames: 644,
    udp: 644,
    ports: { '43010>43011': 587, '43011>43010': 57 },
  },
  // A pcapng file despite its .pcap name (capinfos: "File type pcapng", linux-sll).
  'corpus/alwishariff-wireshark/vega_g711_to_t38_reinvite_udp_only.pcap': { format: 'pcapng', linkTypes: [113], frames: 2019, udp: 2019 },
  'corpus/ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap': { format: 'pcap', linkTypes: [1], frames: 1552, udp: 1552 },
  'corpus/asterisk-testsuite/pjsip/ast-2016-003/sipp/crash.pcap': { format: 'pcap', linkTypes: [113], frames: 128, udp: 128 },
  'corpus/asterisk-testsuite/pjsip/t38_enabled_two_reinvite_on_a_leg/sipp/CARRIER_G711U.pcap': { format: 'pcap', linkTypes: [1], frames: 800, udp: 800 },
  'corpus/asterisk-testsuite/pjsip/t38_enabled_two_reinvite_on_a_leg/sipp/CUSTOMER_G711U.pcap': { format: 'pcap', linkTypes: [1], frames: 800, udp: 800 },
  'corpus/asterisk-testsuite/pjsip/t38_enabled_two_reinvite_on_b_leg/sipp/CARRIER_G711U.pcap': { format: 'pcap', linkTypes: [1], frames: 800, udp: 800 },
  'corpus/asterisk-testsuite/pjsip/t38_enabled_two_reinvite_on_b_leg/sipp/CUSTOMER_G711U.pcap': { format: 'pcap', linkTypes: [1], frames: 800, udp: 800 },
};

function captureFiles(): string[] {
  if (shared === undefined) return [];
  return [
    ...listFiles(join(shared, 'interop/spandsp-peer/results'), '.pcapng', false),
    ...listFiles(join(shared, 'corpus/alwishariff-wireshark'), '.pcap', false),
    ...listFiles(join(shared, 'corpus/ndpi'), '.pcap', false),
    ...listFiles(join(shared, 'corpus/asterisk-testsuite'), '.pcap', true),
  ];
}

let tsharkChecked: boolean | undefined;
function hasTshark(): boolean {
  if (tsharkChecked === undefined) {
    try {
      execFileSync('tshark', ['--version'], { stdio: 'ignore' });
      tsharkChecked = true;
    } catch {
      tsharkChecked = false;
    }
  }
  return tsharkChecked;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** "1795527932.042146225" → 1795527932042146225n */
function epochToNs(s: string): bigint {
  const [sec = '0', frac = ''] = s.split('.');
  return BigInt(sec) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

function compareWithTshark(file: string, v: CaptureReadResult): void {
  const fields = ['frame.number', 'frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'udp.length', 'udp.payload', 'tcp.srcport', 'tcp.dstport', 'tcp.payload'];
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const rows = out.split('\n').filter((l) => l !== '');
  assert.equal(rows.length, v.stats.frames, `${file}: frame count vs tshark`);
  const byFrame = new Map(v.packets.map((p) => [p.frame, p]));
  let compared = 0;
  for (const row of rows) {
    const [no = '', epoch = '', ipSrc, ipDst, ip6Src, ip6Dst, uSp = '', uDp, uLen, uPay, tSp = '', tDp, tPay] = row.split('|');
    const frame = Number(no);
    const p = byFrame.get(frame);
    const where = `${basename(file)} frame ${frame}`;
    if (uSp === '' && tSp === '') {
      assert.equal(p, undefined, `${where}: tshark sees no UDP/TCP`);
      continue;
    }
    assert.ok(p !== undefined, `${where}: tshark sees UDP/TCP, we do not`);
    assert.equal(p.timeNs, epochToNs(epoch), `${where}: time`);
    assert.equal(p.src, ipSrc !== '' ? ipSrc : ip6Src, `${where}: src`);
    assert.equal(p.dst, ipDst !== '' ? ipDst : ip6Dst, `${where}: dst`);
    if (uSp !== '') {
      assert.equal(p.proto, 'udp', where);
      assert.deepEqual([p.srcPort, p.dstPort], [Number(uSp), Number(uDp)], `${where}: ports`);
      assert.equal(p.payload.length, Number(uLen) - 8, `${where}: UDP length`);
      assert.equal(hexOf(p.payload), uPay ?? '', `${where}: payload`);
    } else {
      assert.equal(p.proto, 'tcp', where);
      assert.deepEqual([p.srcPort, p.dstPort], [Number(tSp), Number(tDp)], `${where}: ports`);
      assert.equal(hexOf(p.payload), tPay ?? '', `${where}: payload`);
    }
    compared++;
  }
  assert.equal(compared, v.packets.length);
}

test('shared corpus is present', (t) => {
  if (!sharedPresent) {
    skipLoudly(t, 'real captures');
    return;
  }
  assert.ok(captureFiles().length >= Object.keys(EXPECT).length, 'every expected capture is listed');
  for (const rel of Object.keys(EXPECT)) assert.ok(existsSync(join(shared ?? '', rel)), `missing ${rel}`);
});

test('real captures: counts, formats and link types as established by capinfos/tshark', (t) => {
  if (!sharedPresent) {
    skipLoudly(t, 'real captures');
    return;
  }
  for (const file of captureFiles()) {
    const bytes = new Uint8Array(readFileSync(file));
    const r = readCapture(bytes);
    assert.ok(r.ok, `${file}: ${r.ok ? '' : r.error.code}`);
    const v = r.value;
    assert.deepEqual(v.warnings, [], file);
    assert.deepEqual([v.stats.malformed, v.stats.truncated], [0, 0], file);
    const rel = file.slice((shared ?? '').length + 1);
    const e = EXPECT[rel];
    if (e === undefined) continue; // a file added later: still read cleanly, and compared with tshark below
    assert.equal(v.format, e.format, rel);
    assert.deepEqual(v.linkTypes, e.linkTypes, rel);
    assert.equal(v.stats.frames, e.frames, rel);
    assert.equal(v.stats.udp, e.udp, rel);
    if (e.ports !== undefined) {
      const seen: Record<string, number> = {};
      for (const p of v.packets) seen[`${p.srcPort}>${p.dstPort}`] = (seen[`${p.srcPort}>${p.dstPort}`] ?? 0) + 1;
      assert.deepEqual(seen, e.ports, rel);
    }
  }
});

test('real captures: frame by frame identical to tshark (time, addresses, ports, payload)', (t) => {
  if (!sharedPresent) {
    skipLoudly(t, 'tshark comparison of real captures');
    return;
  }
  if (!hasTshark()) {
    console.warn('SKIPPED: tshark not installed — real captures not compared frame by frame');
    t.skip('tshark not installed');
    return;
  }
  for (const file of captureFiles()) {
    const r = readCapture(new Uint8Array(readFileSync(file)));
    assert.ok(r.ok);
    compareWithTshark(file, r.value);
  }
});

test('real captures cut anywhere: never throw, and yield a prefix of the full result', (t) => {
  if (!sharedPresent) {
    skipLoudly(t, 'truncated real captures');
    return;
  }
  for (const file of captureFiles()) {
    const bytes = new Uint8Array(readFileSync(file));
    const full = readCapture(bytes);
    assert.ok(full.ok);
    const n = 40;
    for (let i = 0; i <= n; i++) {
      // Spread cuts over the file, nudged off record boundaries by a varying amount.
      const cut = Math.min(bytes.length, Math.floor((bytes.length * i) / n) + (i % 7));
      const r = readCapture(bytes.subarray(0, cut));
      if (!r.ok) {
        assert.ok(cut < 200, `${file}: cut at ${cut} → ${r.error.code}`);
        continue;
      }
      const k = r.value.packets.length;
      assert.ok(r.value.stats.truncated <= 1);
      assert.ok(k <= full.value.packets.length);
      for (let j = 0; j < k; j++) {
        const a: CapturedSegment | undefined = r.value.packets[j];
        const b: CapturedSegment | undefined = full.value.packets[j];
        assert.ok(a !== undefined && b !== undefined);
        assert.equal(a.frame, b.frame);
        assert.deepEqual(a.payload, b.payload);
      }
      if (cut === bytes.length) assert.equal(k, full.value.packets.length);
    }
  }
});
