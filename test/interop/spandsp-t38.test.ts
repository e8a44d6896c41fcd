/**
 * faxwire's T.38 terminal against spandsp 0.0.6's (t38peer, a third-party reference): real UDP
 * sockets on 127.0.0.1, both processes under `timeout`, fax clocks at `--speed 8` (as the peer's
 * self-test). Every run sends the peer's 3-page test document (test3.tif) and checks:
 *  - both ends exit 0 and report a completed call with 3 pages (the peer's RESULT line, our
 *    result line),
 *  - the received TIFF has 3 pages and is pixel-identical to the original (`tiffcmp -t`) —
 *    the T.30 result alone is not enough (see the peer README, "truncated page").
 * Matrix: faxwire → spandsp and spandsp → faxwire, ECM on and off, T.38 version 0 and 3,
 * redundancy 0 and 3, and redundancy 3 with 5 % of the datagrams dropped on both receive
 * paths (the peer's `--loss 5`, our `--sim-loss 5`).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAXWIRE_CLI, T38PEER, TEST3, ensurePeer, parseResultLine, runProc, tiffPages, tiffSamePixels, udpPortPair, type ProcResult } from './peer.js';

const SPEED = 8;
const PROC_TIMEOUT = 150;
/** Below the ephemeral range (32768+); 8 ports per test so a busy one can be skipped. */
const BASE_PORT = 23100;

interface Case {
  readonly dir: 'faxwire->spandsp' | 'spandsp->faxwire';
  readonly ecm: boolean;
  readonly version: 0 | 3;
  readonly redundancy: 0 | 1 | 3;
  readonly loss: 0 | 5;
  /** Extra peer / faxwire arguments and a label, for the cases beyond the matrix. */
  readonly extra?: { readonly label: string; readonly peer: readonly string[]; readonly faxwire: readonly string[]; readonly bitRate?: string };
}

const cases: Case[] = [];
for (const dir of ['faxwire->spandsp', 'spandsp->faxwire'] as const) {
  for (const ecm of [true, false]) {
    for (const version of [0, 3] as const) {
      for (const [redundancy, loss] of [
        [0, 0],
        [3, 0],
        [3, 5],
      ] as const) {
        cases.push({ dir, ecm, version, redundancy, loss });
      }
    }
  }
}

// Beyond the matrix: spandsp's other transmit modes and the slower modems.
for (const ecm of [true, false]) {
  cases.push({ dir: 'spandsp->faxwire', ecm, version: 0, redundancy: 0, loss: 0, extra: { label: 'spandsp --no-pacing (no indicators, 300-octet chunks)', peer: ['--no-pacing'], faxwire: [] } });
}
cases.push({ dir: 'faxwire->spandsp', ecm: true, version: 0, redundancy: 0, loss: 0, extra: { label: 'faxwire --no-pacing', peer: [], faxwire: ['--no-pacing'] } });
cases.push({ dir: 'spandsp->faxwire', ecm: true, version: 0, redundancy: 1, loss: 0, extra: { label: 'spandsp --repeat (3 copies of key packets, same seq)', peer: ['--repeat'], faxwire: [] } });
cases.push({ dir: 'faxwire->spandsp', ecm: true, version: 3, redundancy: 3, loss: 0, extra: { label: 'receiver offers V.29/V.27ter only', peer: ['--modems', 'v29,v27'], faxwire: [], bitRate: '9600' } });
cases.push({ dir: 'spandsp->faxwire', ecm: false, version: 0, redundancy: 3, loss: 0, extra: { label: 'sender uses V.27ter only', peer: ['--modems', 'v27'], faxwire: [], bitRate: '4800' } });

function name(c: Case): string {
  return `${c.dir} ${c.ecm ? 'ECM' : 'non-ECM'} v${c.version} redundancy ${c.redundancy}${c.loss ? ` loss ${c.loss}%` : ''}${c.extra ? `, ${c.extra.label}` : ''}`;
}

function tail(s: string, n = 3000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

describe('T.38 interop with spandsp t38peer (UDPTL, 3 pages, pixel comparison)', () => {
  cases.forEach((c, i) => {
    it(name(c), { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!ensurePeer(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-interop-'));
      try {
        const [fwPort, peerPort] = await udpPortPair(BASE_PORT + i * 8);
        const seedPeer = 7 + i;
        const seedFw = 11 + i;
        const out = join(dir, 'received.tif');
        const peerArgs = [
          '--local', String(peerPort),
          '--remote', `127.0.0.1:${fwPort}`,
          '--speed', String(SPEED),
          '--ecm', c.ecm ? 'on' : 'off',
          '--version', String(c.version),
          '--redundancy', String(c.redundancy),
          '--timeout', String(PROC_TIMEOUT - 10),
          ...(c.loss ? ['--loss', String(c.loss), '--seed', String(seedPeer)] : []),
          ...(c.extra?.peer ?? []),
        ];
        const fwArgs = [
          FAXWIRE_CLI,
          '--udptl', `127.0.0.1:${peerPort}`,
          '--local-port', String(fwPort),
          '--speed', String(SPEED),
          c.ecm ? '--ecm' : '--no-ecm',
          '--t38-version', String(c.version),
          '--redundancy', String(c.redundancy),
          '--timeout', String(PROC_TIMEOUT - 10),
          '--json',
          ...(c.loss ? ['--sim-loss', String(c.loss), '--sim-seed', String(seedFw)] : []),
          ...(c.extra?.faxwire ?? []),
        ];
        // faxwire starts first and says when its socket is up (Node takes a while to start on a
        // busy machine, and at --speed 8 a second of wall time is 8 s of T.30 time); the peer
        // starts then. Either order is fine for T.30: the caller waits T1 for DIS, the answerer
        // repeats DIS.
        const f =
          c.dir === 'faxwire->spandsp'
            ? runProc('node', [fwArgs[0] ?? '', 'send', TEST3, ...fwArgs.slice(1)], PROC_TIMEOUT)
            : runProc('node', [fwArgs[0] ?? '', 'receive', '--out', out, ...fwArgs.slice(1)], PROC_TIMEOUT);
        await f.waitStderr(/ready/);
        const p = runProc(T38PEER, [...(c.dir === 'faxwire->spandsp' ? ['--receive', out] : ['--send', TEST3]), ...peerArgs], PROC_TIMEOUT);
        const [peer, fw]: ProcResult[] = await Promise.all([p.done, f.done]);
        assert.ok(peer && fw);
        const pr = parseResultLine(peer.stdout);
        const fwLine = fw.stdout.trim().split('\n').pop() ?? '';
        let fr: { status?: string; pages?: number; code?: string; message?: string; stats?: Record<string, number> } = {};
        try {
          fr = JSON.parse(fwLine) as typeof fr;
        } catch {
          // reported below
        }
        const diag = `\n--- faxwire (rc ${fw.code}, ${fw.wallMs} ms):\n${fw.stdout}${tail(fw.stderr)}\n--- t38peer (rc ${peer.code}, ${peer.wallMs} ms):\n${peer.stdout}${tail(peer.stderr)}`;
        console.log(
          `INTEROP ${name(c)}: faxwire ${fr.status ?? '?'}/${fr.code ?? '?'} pages=${fr.pages ?? '?'} lost=${fr.stats?.['lostIfps'] ?? '?'} recovered=${fr.stats?.['recovered'] ?? '?'}; ` +
            `spandsp status=${pr?.['status'] ?? '?'} "${pr?.['status_text'] ?? ''}" pages=${pr?.['pages'] ?? '?'} encoding=${pr?.['encoding'] ?? '?'} ` +
            `rx_dropped=${pr?.['rx_sim_dropped'] ?? '?'} rx_recovered=${pr?.['rx_recovered'] ?? '?'} rx_lost=${pr?.['rx_lost'] ?? '?'} bad_rows=${pr?.['bad_rows'] ?? '?'}; wall ${Math.max(fw.wallMs, peer.wallMs)} ms`,
        );
        assert.ok(pr, `t38peer printed a RESULT line${diag}`);
        assert.equal(pr['status'], '0', `spandsp status 0 (OK)${diag}`);
        assert.equal(pr['pages'], '3', `spandsp moved 3 pages${diag}`);
        assert.equal(pr['ecm'], c.ecm ? '1' : '0', `ECM ${c.ecm ? 'used' : 'not used'}${diag}`);
        if (c.extra?.bitRate) assert.equal(pr['bit_rate'], c.extra.bitRate, `bit rate${diag}`);
        assert.equal(peer.code, 0, `t38peer exit 0${diag}`);
        assert.equal(fr.status, 'ok', `faxwire completed${diag}`);
        assert.equal(fr.pages, 3, `faxwire counted 3 pages${diag}`);
        assert.equal(fw.code, 0, `faxwire exit 0${diag}`);
        assert.equal(tiffPages(out), 3, `received TIFF has 3 pages${diag}`);
        const cmp = tiffSamePixels(TEST3, out);
        assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
