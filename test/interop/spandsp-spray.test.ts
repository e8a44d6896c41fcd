/**
 * Media from the right place only (issue 9), against spandsp 0.0.6's t38peer (a third-party
 * reference): `t38peer --send` (the 3-page test3.tif, ECM) to `faxwire receive` over UDPTL on
 * 127.0.0.1 at `--speed 8`, while a spray socket (127.0.0.1, another port) sends faxwire's port
 * 300 datagrams per second: well-formed UDPTL with malformed IFPs, valid-looking `no-signal`
 * IFPs and plain garbage, all at random seqs. Before the fix 5 malformed per second made such a
 * call fail. faxwire must complete, count the spray as foreign, and the received TIFF must be
 * pixel-identical (`tiffcmp -t`). Strict (the signalled remote only) and `--latch`.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIfp } from '../../src/t38/ifp.js';
import { encodeUdptl } from '../../src/t38/udptl.js';
import { xorshift32 } from '../../src/util/random.js';
import { FAXWIRE_CLI, T38PEER, TEST3, ensurePeer, parseResultLine, runProc, tiffPages, tiffSamePixels, udpPortPair, type ProcResult } from './peer.js';

const SPEED = 8;
const PROC_TIMEOUT = 150;
/** Below the ephemeral range; 23100 and 24700 are other interop files' bases. 8 ports per test. */
const BASE_PORT = 25300;
const SPRAY_PER_SECOND = 300;

function tail(s: string, n = 3000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** Starts spraying 127.0.0.1:`port`; `stop()` ends it and says how many were sent. */
async function startSpray(port: number, seed: number): Promise<{ stop: () => Promise<number> }> {
  const sock = createSocket('udp4');
  sock.on('error', () => undefined); // ICMP port unreachable once faxwire is gone
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const rng = xorshift32(seed);
  const noSignal = encodeIfp({ type: 't30-indicator', indicator: 'no-signal' }, 0);
  let sent = 0;
  const timer = setInterval(() => {
    for (let b = 0; b < SPRAY_PER_SECOND / 100; b++) {
      const seq = rng() & 0xffff;
      const kind = sent % 3;
      const d =
        kind === 0
          ? encodeUdptl({ seq, primary: new Uint8Array([0xa0, rng() & 0xff, 0x55]), recovery: { kind: 'secondary', secondaries: [] } })
          : kind === 1
            ? encodeUdptl({ seq, primary: noSignal, recovery: { kind: 'secondary', secondaries: [noSignal, noSignal] } })
            : Uint8Array.from({ length: 1 + (rng() % 40) }, () => rng() & 0xff);
      sent++;
      sock.send(d, port, '127.0.0.1');
    }
  }, 10);
  return {
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((r) => sock.close(() => r()));
      return sent;
    },
  };
}

describe('spandsp t38peer --send → faxwire receive while a third socket sprays faxwire at 300/s', () => {
  (['strict', 'latch'] as const).forEach((mode, i) => {
    it(`3 pages, ECM, ${mode}: completes pixel-identical, spray counted foreign`, { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!ensurePeer(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-spray-'));
      let spray: { stop: () => Promise<number> } | undefined;
      try {
        const [fwPort, peerPort] = await udpPortPair(BASE_PORT + i * 8);
        const out = join(dir, 'received.tif');
        const f = runProc(
          'node',
          [
            FAXWIRE_CLI, 'receive', '--out', out,
            '--udptl', `127.0.0.1:${peerPort}`, '--local-port', String(fwPort), '--local-address', '127.0.0.1',
            ...(mode === 'latch' ? ['--latch'] : []),
            '--speed', String(SPEED), '--ecm', '--t38-version', '0', '--redundancy', '3',
            '--timeout', String(PROC_TIMEOUT - 10), '--json',
          ],
          PROC_TIMEOUT,
        );
        await f.waitStderr(/ready/);
        spray = await startSpray(fwPort, 0x5eed + i);
        const p = runProc(
          T38PEER,
          ['--send', TEST3, '--local', String(peerPort), '--remote', `127.0.0.1:${fwPort}`, '--speed', String(SPEED), '--ecm', 'on', '--version', '0', '--redundancy', '3', '--timeout', String(PROC_TIMEOUT - 10)],
          PROC_TIMEOUT,
        );
        const [peer, fw]: ProcResult[] = await Promise.all([p.done, f.done]);
        const sprayed = await spray.stop();
        spray = undefined;
        assert.ok(peer && fw);
        const pr = parseResultLine(peer.stdout);
        let fr: { status?: string; pages?: number; code?: string; stats?: Record<string, number> } = {};
        try {
          fr = JSON.parse(fw.stdout.trim().split('\n').pop() ?? '') as typeof fr;
        } catch {
          // reported below
        }
        const diag = `\n--- faxwire (rc ${fw.code}, ${fw.wallMs} ms):\n${fw.stdout}${tail(fw.stderr)}\n--- t38peer (rc ${peer.code}, ${peer.wallMs} ms):\n${peer.stdout}${tail(peer.stderr)}`;
        console.log(
          `INTEROP spray ${mode}: sprayed ${sprayed}; faxwire ${fr.status ?? '?'}/${fr.code ?? '?'} pages=${fr.pages ?? '?'} foreign=${fr.stats?.['foreignDatagrams'] ?? '?'} ` +
            `received=${fr.stats?.['packetsReceived'] ?? '?'} malformed_ifps=${fr.stats?.['malformedIfps'] ?? '?'} lost=${fr.stats?.['lostIfps'] ?? '?'}; ` +
            `spandsp status=${pr?.['status'] ?? '?'} pages=${pr?.['pages'] ?? '?'}; wall ${Math.max(fw.wallMs, peer.wallMs)} ms`,
        );
        assert.ok(pr, `t38peer printed a RESULT line${diag}`);
        assert.equal(pr['status'], '0', `spandsp status 0 (OK)${diag}`);
        assert.equal(pr['pages'], '3', `spandsp moved 3 pages${diag}`);
        assert.equal(pr['ecm'], '1', `ECM used${diag}`);
        assert.equal(fr.status, 'ok', `faxwire completed${diag}`);
        assert.equal(fr.pages, 3, `faxwire counted 3 pages${diag}`);
        assert.equal(fw.code, 0, `faxwire exit 0${diag}`);
        const foreign = fr.stats?.['foreignDatagrams'] ?? 0;
        assert.ok(foreign > 0 && foreign <= sprayed, `spray counted foreign (${foreign} of ${sprayed})${diag}`);
        assert.equal(fr.stats?.['malformedIfps'], 0, `no sprayed IFP reached the terminal${diag}`);
        assert.equal(tiffPages(out), 3, `received TIFF has 3 pages${diag}`);
        const cmp = tiffSamePixels(TEST3, out);
        assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
      } finally {
        await spray?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
