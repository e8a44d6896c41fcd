/**
 * `faxwire gateway` between spandsp 0.0.6's fax terminals (a third-party reference): spandsp's
 * audio fax machine `audiofax` on the audio leg, spandsp's T.38 terminal `t38peer` — or
 * spandsp's own T.38 gateway `t38gw` — on the UDPTL leg, all on 127.0.0.1, every process under
 * `timeout`. Topology and ports as the peer's selftest.sh `run_gw`: audiofax PORT, gateway
 * audio PORT+1, gateway T.38 PORT+2, t38peer PORT+3; the gateway starts first (it says
 * `ready`), then the receiver, then (0.3 s later) the sender.
 *
 * Chains with spandsp's gateway (5 processes), ports from PORT: sending audiofax PORT, first
 * gateway audio PORT+1 and T.38 PORT+2, second gateway T.38 PORT+3 and audio PORT+4, receiving
 * audiofax PORT+5.
 *
 * Fax clocks at `--speed 2` with a 10-frame play-out cushion on every audio leg (faxwire
 * `--cushion 10`, spandsp `--prefill 10`): three to five processes share two cores; at ×2 a frame
 * is 10 ms of wall time, so 10 frames ride through a 100 ms stall of either process. With 6
 * frames (60 ms, enough for the two-process audio suite) one run in 14 lost a 10-page call: the
 * gateway's process ran late 5 times, spandsp's play-out ran dry mid-call (rx_underruns=2),
 * inserted silence into its receiver and the post-page exchange after page 1 failed. Silence
 * inserted by the peer's own play-out is the failure the spandsp peer README describes; a
 * real PSTN leg has no such stalls. The cushion costs 100 ms of delay each way, far inside
 * T.30's timers.
 *
 * Each case checks every exit status, both spandsp RESULT lines (status 0, pages, ECM), the
 * faxwire gateway's one-line summary (pages, rate, ECM, completed=yes), and the received TIFF
 * against the original pixel by pixel (`tiffcmp -t`): in non-ECM a carrier lost mid-page is a
 * silent truncation only the pixels show. Clock drift: a 10-page non-ECM fax (built with
 * `tiffcp` from the peer's test pages) with audiofax's sample clock 1000 ppm fast and slow
 * (`--drift`, 200 ms over the call), both directions; the drift the summary line reports (the
 * driver's measure of the fax machine's clock, from frame arrivals) must be within 400 ppm of it.
 */

import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIOFAX, FAXWIRE_CLI, T38GW, T38PEER, TEST1, TEST3, ensurePeer, parseResultLine, runProc, sleep, tiffPages, tiffSamePixels, udpPortRun, type ProcResult } from './peer.js';
import { need } from './util.js';

const SPEED = 2;
const CUSHION = 10;
const BASE_PORT = 24600;

type Codec = { readonly codec: 'slin' | 'alaw' | 'ulaw'; readonly rtp: boolean };
const SLIN: Codec = { codec: 'slin', rtp: false };
const ALAW_RTP: Codec = { codec: 'alaw', rtp: true };
const ULAW_RTP: Codec = { codec: 'ulaw', rtp: true };

interface Case {
  readonly name: string;
  /** a2t: audiofax sends → gateway → t38peer receives; t2a: the reverse; chain-fw-first / chain-spandsp-first: audiofax → gw → gw → audiofax. */
  readonly topo: 'a2t' | 't2a' | 'chain-fw-first' | 'chain-spandsp-first';
  readonly ecm: boolean;
  readonly version: 0 | 3;
  readonly audio: Codec;
  /** t38peer drops this % of what it receives (with redundancy 3 both ways). */
  readonly loss?: number;
  /** audiofax's sample clock off by this many ppm. */
  readonly drift?: number;
  readonly doc: 'test3' | 'test1' | 'ten';
  readonly timeoutSec: number;
}

const cases: Case[] = [];
for (const topo of ['a2t', 't2a'] as const) {
  for (const ecm of [true, false]) {
    cases.push({ name: `${topo} ${ecm ? 'ECM' : 'non-ECM'} T.38 v0 slin`, topo, ecm, version: 0, audio: SLIN, doc: 'test3', timeoutSec: 300 });
    cases.push({ name: `${topo} ${ecm ? 'ECM' : 'non-ECM'} T.38 v3 A-law/RTP, t38peer drops 5 %, redundancy 3`, topo, ecm, version: 3, audio: ALAW_RTP, loss: 5, doc: 'test3', timeoutSec: 300 });
  }
}
cases.push({ name: 'chain: audiofax -> faxwire gw -> T.38 -> t38gw -> audiofax, non-ECM µ-law/RTP', topo: 'chain-fw-first', ecm: false, version: 0, audio: ULAW_RTP, doc: 'test3', timeoutSec: 300 });
cases.push({ name: 'chain: audiofax -> t38gw -> T.38 -> faxwire gw -> audiofax, ECM µ-law/RTP', topo: 'chain-spandsp-first', ecm: true, version: 0, audio: ULAW_RTP, doc: 'test3', timeoutSec: 300 });
for (const topo of ['a2t', 't2a'] as const) {
  for (const drift of [1000, -1000]) {
    cases.push({ name: `${topo} 10 pages non-ECM, audiofax clock ${drift > 0 ? '+' : ''}${drift} ppm`, topo, ecm: false, version: 0, audio: ALAW_RTP, drift, doc: 'ten', timeoutSec: 600 });
  }
}

function tail(s: string, n = 3000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** `gateway: pages=3 rate=14400 …` → record (undefined if the line is missing). */
function parseGatewayLine(stdout: string): Record<string, string> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('gateway: '));
  if (!line) return undefined;
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([\w-]+)=(\S+)/g)) out[m[1] ?? ''] = m[2] ?? '';
  return out;
}

function codecArgs(c: Codec): string[] {
  return ['--codec', c.codec, ...(c.rtp ? ['--rtp'] : [])];
}

/** The 10-page document: test3 three times and test1 (tiffcp), in `dir`. */
function tenPages(t: TestContext, dir: string): string | undefined {
  if (!need(t, { tools: ['tiffcp'] })) return undefined;
  const out = join(dir, 'ten.tif');
  const r = spawnSync('tiffcp', [TEST3, TEST3, TEST3, TEST1, out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `tiffcp: ${r.stderr}`);
  assert.equal(tiffPages(out), 10, 'tiffcp made 10 pages');
  return out;
}

describe('faxwire gateway between spandsp audiofax and t38peer / t38gw (UDP, pixel comparison)', () => {
  cases.forEach((c, i) => {
    it(c.name, { timeout: (c.timeoutSec + 60) * 1000 }, async (t) => {
      if (!ensurePeer(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-gw-interop-'));
      try {
        const doc = c.doc === 'ten' ? tenPages(t, dir) : c.doc === 'test3' ? TEST3 : TEST1;
        if (doc === undefined) return;
        const want = tiffPages(doc);
        const out = join(dir, 'received.tif');
        const chain = c.topo === 'chain-fw-first' || c.topo === 'chain-spandsp-first';
        const ports = await udpPortRun(BASE_PORT + i * 8, chain ? 6 : 4);
        const P = (k: number): number => ports[k] ?? 0;
        const T = String(c.timeoutSec - 20);
        const common = ['--speed', String(SPEED)];
        const ecmOnOff = ['--ecm', c.ecm ? 'on' : 'off'];
        // faxwire gateway: audio leg on `audioPort` facing `audioPeer`, T.38 on `t38Port` facing `t38Peer`.
        const fwGateway = (audioPort: number, audioPeer: number, t38Port: number, t38Peer: number): ReturnType<typeof runProc> =>
          runProc('node', [FAXWIRE_CLI, 'gateway',
            '--audio-local', String(audioPort), '--audio-remote', `127.0.0.1:${audioPeer}`,
            '--t38-local', String(t38Port), '--t38-remote', `127.0.0.1:${t38Peer}`,
            ...codecArgs(c.audio), '--cushion', String(CUSHION), '--t38-version', String(c.version), '--redundancy', '3',
            ...(c.ecm ? [] : ['--no-ecm']), ...common, '--timeout', T], c.timeoutSec);
        const spandspGateway = (audioPort: number, audioPeer: number, t38Port: number, t38Peer: number): ReturnType<typeof runProc> =>
          runProc(T38GW, ['--audio-local', String(audioPort), '--audio-remote', `127.0.0.1:${audioPeer}`,
            '--t38-local', String(t38Port), '--t38-remote', `127.0.0.1:${t38Peer}`,
            ...codecArgs(c.audio), '--prefill', String(CUSHION), '--version', String(c.version), '--redundancy', '3',
            ...ecmOnOff, ...common, '--timeout', T], c.timeoutSec);
        const audiofax = (role: string[], local: number, remote: number): ReturnType<typeof runProc> =>
          runProc(AUDIOFAX, [...role, '--local', String(local), '--remote', `127.0.0.1:${remote}`, ...codecArgs(c.audio),
            '--prefill', String(CUSHION), ...ecmOnOff, ...common, '--timeout', T, ...(c.drift ? ['--drift', String(c.drift)] : [])], c.timeoutSec);
        const t38peer = (role: string[]): ReturnType<typeof runProc> =>
          runProc(T38PEER, [...role, '--local', String(P(3)), '--remote', `127.0.0.1:${P(2)}`, '--version', String(c.version), '--redundancy', '3',
            ...ecmOnOff, ...common, '--timeout', T, ...(c.loss ? ['--loss', String(c.loss), '--seed', String(7 + i)] : [])], c.timeoutSec);

        // Processes, named for the report; `fw` is the faxwire gateway.
        let fw: ReturnType<typeof runProc>;
        const others: { name: string; proc: ReturnType<typeof runProc>; sender: boolean; receiver: boolean }[] = [];
        if (!chain) {
          fw = fwGateway(P(1), P(0), P(2), P(3));
          assert.ok(await fw.waitStderr(/ready/), 'faxwire gateway ready');
          if (c.topo === 'a2t') {
            others.push({ name: 't38peer', proc: t38peer(['--receive', out]), sender: false, receiver: true });
            await sleep(300);
            others.push({ name: 'audiofax', proc: audiofax(['--send', doc], P(0), P(1)), sender: true, receiver: false });
          } else {
            others.push({ name: 'audiofax', proc: audiofax(['--receive', out], P(0), P(1)), sender: false, receiver: true });
            await sleep(300);
            others.push({ name: 't38peer', proc: t38peer(['--send', doc]), sender: true, receiver: false });
          }
        } else {
          // sending audiofax P0 ⇄ gw1 audio P1, gw1 T.38 P2 ⇄ gw2 T.38 P3, gw2 audio P4 ⇄ receiving audiofax P5
          if (c.topo === 'chain-fw-first') {
            fw = fwGateway(P(1), P(0), P(2), P(3));
            others.push({ name: 't38gw', proc: spandspGateway(P(4), P(5), P(3), P(2)), sender: false, receiver: false });
          } else {
            others.push({ name: 't38gw', proc: spandspGateway(P(1), P(0), P(2), P(3)), sender: false, receiver: false });
            fw = fwGateway(P(4), P(5), P(3), P(2));
          }
          assert.ok(await fw.waitStderr(/ready/), 'faxwire gateway ready');
          others.push({ name: 'audiofax rx', proc: audiofax(['--receive', out], P(5), P(4)), sender: false, receiver: true });
          await sleep(300);
          others.push({ name: 'audiofax tx', proc: audiofax(['--send', doc], P(0), P(1)), sender: true, receiver: false });
        }
        const results: ProcResult[] = await Promise.all([fw.done, ...others.map((o) => o.proc.done)]);
        const fwr = results[0] as ProcResult;
        const gw = parseGatewayLine(fwr.stdout);
        const res = others.map((o, k) => ({ ...o, r: results[k + 1] as ProcResult, line: parseResultLine((results[k + 1] as ProcResult).stdout) }));
        const diag =
          `\n--- faxwire gateway (rc ${fwr.code}, ${fwr.wallMs} ms):\n${fwr.stdout}${tail(fwr.stderr)}` +
          res.map((o) => `\n--- ${o.name} (rc ${o.r.code}, ${o.r.wallMs} ms):\n${o.r.stdout}${tail(o.r.stderr, 1500)}`).join('');
        const rx = res.find((o) => o.receiver);
        const tx = res.find((o) => o.sender);
        const spandspGw = res.find((o) => o.name === 't38gw');
        console.log(
          `INTEROP ${c.name}: faxwire gw rc=${fwr.code} ${fwr.stdout.trim().split('\n').pop() ?? ''}; ` +
            `${tx?.name} status=${tx?.line?.['status'] ?? '?'} pages=${tx?.line?.['pages'] ?? '?'}; ` +
            `${rx?.name} status=${rx?.line?.['status'] ?? '?'} "${rx?.line?.['status_text'] ?? ''}" pages=${rx?.line?.['pages'] ?? '?'} bit_rate=${rx?.line?.['bit_rate'] ?? '?'} ` +
            `bad_rows=${rx?.line?.['bad_rows'] ?? '?'} underruns=${rx?.line?.['rx_underruns'] ?? '-'} fax_seconds=${rx?.line?.['fax_seconds'] ?? '?'}` +
            (spandspGw ? `; t38gw rc=${spandspGw.r.code} ${spandspGw.r.stdout.trim().split('\n').pop() ?? ''}` : '') +
            `; wall ${Math.max(...results.map((r) => r.wallMs))} ms`,
        );
        for (const o of res) {
          if (o.name === 't38gw') {
            assert.ok(o.line, `t38gw printed a RESULT line${diag}`);
            assert.equal(o.line['pages'], String(want), `t38gw relayed ${want} pages${diag}`);
          } else {
            assert.ok(o.line, `${o.name} printed a RESULT line${diag}`);
            assert.equal(o.line['status'], '0', `${o.name} status 0 (OK)${diag}`);
            assert.equal(o.line['pages'], String(want), `${o.name} moved ${want} pages${diag}`);
            assert.equal(o.line['ecm'], c.ecm ? '1' : '0', `${o.name}: ECM ${c.ecm ? 'used' : 'not used'}${diag}`);
          }
          assert.equal(o.r.code, 0, `${o.name} exit 0${diag}`);
        }
        assert.ok(gw, `faxwire gateway printed its summary line${diag}`);
        assert.equal(gw['pages'], String(want), `faxwire gateway counted ${want} pages${diag}`);
        assert.equal(gw['rate'], '14400', `faxwire gateway: V.17 14400${diag}`);
        assert.equal(gw['ecm'], c.ecm ? 'on' : 'off', `faxwire gateway: ECM${diag}`);
        assert.equal(gw['completed'], 'yes', `faxwire gateway: completed${diag}`);
        assert.equal(fwr.code, 0, `faxwire gateway exit 0${diag}`);
        assert.equal(tiffPages(out), want, `received TIFF has ${want} pages${diag}`);
        const cmp = tiffSamePixels(doc, out);
        assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
        if (c.drift !== undefined) {
          // The driver's measure of the fax machine's clock (frame arrivals against fax time) — the premise of the case.
          const est = Number((gw['drift'] ?? '').replace(/ppm$/, ''));
          assert.ok(Number.isFinite(est) && Math.abs(est - c.drift) <= 400, `drift ${gw['drift']} for ${c.drift} ppm${diag}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
