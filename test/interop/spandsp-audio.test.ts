/**
 * faxwire's audio fax terminal against spandsp 0.0.6's (`audiofax`, a third-party reference):
 * one 20 ms frame per UDP datagram on 127.0.0.1, both processes under `timeout`, fax clocks at
 * `--speed 2` with a 6-frame play-out cushion on both ends (60 ms of wall time). At `--speed 4`
 * with 4 frames (the peer's self-test settings) a loaded 2-core machine stalls a process for
 * more than the 20 ms of wall time that cushion holds; spandsp's play-out then inserts silence
 * in the middle of a page and its receiver cuts the page short (seen here with five other jobs
 * running: spandsp received 3 of 2292 rows, answered nothing, and sent DIS again). Each run checks both ends' results and compares the
 * received TIFF with the original pixel by pixel (`tiffcmp -t`): in non-ECM a carrier lost
 * mid-page is a silent truncation that only the pixels show (peer README, "truncated page").
 * Matrix: both directions × ECM on/off × slin, A-law RTP and µ-law RTP × V.17, V.29, V.27ter.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAXWIRE_CLI, PEER_BUILD, TEST1, TEST3, ensurePeer, parseResultLine, runProc, tiffPages, tiffSamePixels, udpPortPair, type ProcResult } from './peer.js';

const AUDIOFAX = join(PEER_BUILD, 'audiofax');
const SPEED = 2;
const CUSHION = 6;
const PROC_TIMEOUT = 300;
const BASE_PORT = 24100;

interface Case {
  readonly dir: 'faxwire->spandsp' | 'spandsp->faxwire';
  readonly ecm: boolean;
  readonly codec: 'slin' | 'alaw' | 'ulaw';
  readonly rtp: boolean;
  readonly modem: 'v17' | 'v29' | 'v27';
  readonly bitRate: string;
  readonly pages: 1 | 3;
  /** The peer's sample clock off by this many ppm (audiofax --drift): frames arrive faster or slower than faxwire plays them. */
  readonly drift?: number;
}

const cases: Case[] = [];
for (const dir of ['faxwire->spandsp', 'spandsp->faxwire'] as const) {
  cases.push({ dir, ecm: true, codec: 'slin', rtp: false, modem: 'v17', bitRate: '14400', pages: 3 });
  cases.push({ dir, ecm: false, codec: 'alaw', rtp: true, modem: 'v17', bitRate: '14400', pages: 3 });
  cases.push({ dir, ecm: true, codec: 'ulaw', rtp: true, modem: 'v29', bitRate: '9600', pages: 1 });
  cases.push({ dir, ecm: false, codec: 'ulaw', rtp: true, modem: 'v29', bitRate: '9600', pages: 1 });
  cases.push({ dir, ecm: false, codec: 'alaw', rtp: true, modem: 'v27', bitRate: '4800', pages: 1 });
  cases.push({ dir, ecm: true, codec: 'slin', rtp: false, modem: 'v27', bitRate: '4800', pages: 1 });
}

// Clock drift: the peer's sound card runs 500 ppm fast or slow (30 ms a minute). faxwire's
// play-out catches up (two frames in a tick) or waits (none), never cutting a modem burst.
cases.push({ dir: 'spandsp->faxwire', ecm: false, codec: 'alaw', rtp: true, modem: 'v17', bitRate: '14400', pages: 3, drift: 500 });
cases.push({ dir: 'spandsp->faxwire', ecm: false, codec: 'alaw', rtp: true, modem: 'v17', bitRate: '14400', pages: 3, drift: -500 });
cases.push({ dir: 'faxwire->spandsp', ecm: false, codec: 'ulaw', rtp: true, modem: 'v17', bitRate: '14400', pages: 3, drift: -500 });

function name(c: Case): string {
  return `${c.dir} ${c.ecm ? 'ECM' : 'non-ECM'} ${c.codec}${c.rtp ? '/RTP' : ''} ${c.modem} ${c.pages} page${c.pages > 1 ? 's' : ''}${c.drift ? `, peer clock ${c.drift > 0 ? '+' : ''}${c.drift} ppm` : ''}`;
}

function tail(s: string, n = 3000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

describe('audio fax interop with spandsp audiofax (UDP frames, pixel comparison)', () => {
  cases.forEach((c, i) => {
    it(name(c), { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!ensurePeer(t)) return;
      const doc = c.pages === 3 ? TEST3 : TEST1;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-audio-interop-'));
      try {
        const [fwPort, peerPort] = await udpPortPair(BASE_PORT + i * 8);
        const out = join(dir, 'received.tif');
        const peerArgs = [
          '--local', String(peerPort),
          '--remote', `127.0.0.1:${fwPort}`,
          '--codec', c.codec,
          ...(c.rtp ? ['--rtp'] : []),
          '--speed', String(SPEED),
          '--prefill', String(CUSHION),
          '--ecm', c.ecm ? 'on' : 'off',
          '--modems', c.modem,
          '--timeout', String(PROC_TIMEOUT - 10),
          ...(c.drift ? ['--drift', String(c.drift)] : []),
        ];
        const fwArgs = [
          '--audio', `127.0.0.1:${peerPort}`,
          '--local-port', String(fwPort),
          '--codec', c.codec,
          ...(c.rtp ? ['--rtp'] : []),
          '--speed', String(SPEED),
          '--cushion', String(CUSHION),
          c.ecm ? '--ecm' : '--no-ecm',
          '--modems', c.modem,
          '--timeout', String(PROC_TIMEOUT - 10),
          '--json',
        ];
        const f =
          c.dir === 'faxwire->spandsp'
            ? runProc('node', [FAXWIRE_CLI, 'send', doc, ...fwArgs], PROC_TIMEOUT)
            : runProc('node', [FAXWIRE_CLI, 'receive', '--out', out, ...fwArgs], PROC_TIMEOUT);
        await f.waitStderr(/ready/);
        const p = runProc(AUDIOFAX, [...(c.dir === 'faxwire->spandsp' ? ['--receive', out] : ['--send', doc]), ...peerArgs], PROC_TIMEOUT);
        const [peer, fw]: ProcResult[] = await Promise.all([p.done, f.done]);
        assert.ok(peer && fw);
        const pr = parseResultLine(peer.stdout);
        const fwLine = fw.stdout.trim().split('\n').pop() ?? '';
        let fr: { status?: string; pages?: number; code?: string; bitRate?: number; audio?: Record<string, number> } = {};
        try {
          fr = JSON.parse(fwLine) as typeof fr;
        } catch {
          // reported below
        }
        const diag = `\n--- faxwire (rc ${fw.code}, ${fw.wallMs} ms):\n${fw.stdout}${tail(fw.stderr)}\n--- audiofax (rc ${peer.code}, ${peer.wallMs} ms):\n${peer.stdout}${tail(peer.stderr)}`;
        console.log(
          `INTEROP ${name(c)}: faxwire ${fr.status ?? '?'}/${fr.code ?? '?'} pages=${fr.pages ?? '?'} bit_rate=${fr.bitRate ?? '?'} audio=${JSON.stringify(fr.audio ?? {})}; ` +
            `spandsp status=${pr?.['status'] ?? '?'} "${pr?.['status_text'] ?? ''}" pages=${pr?.['pages'] ?? '?'} bit_rate=${pr?.['bit_rate'] ?? '?'} bad_rows=${pr?.['bad_rows'] ?? '?'} underruns=${pr?.['rx_underruns'] ?? '?'}; wall ${Math.max(fw.wallMs, peer.wallMs)} ms`,
        );
        assert.ok(pr, `audiofax printed a RESULT line${diag}`);
        assert.equal(pr['status'], '0', `spandsp status 0 (OK)${diag}`);
        assert.equal(pr['pages'], String(c.pages), `spandsp moved ${c.pages} pages${diag}`);
        assert.equal(pr['ecm'], c.ecm ? '1' : '0', `ECM ${c.ecm ? 'used' : 'not used'}${diag}`);
        assert.equal(pr['bit_rate'], c.bitRate, `bit rate${diag}`);
        assert.equal(peer.code, 0, `audiofax exit 0${diag}`);
        assert.equal(fr.status, 'ok', `faxwire completed${diag}`);
        assert.equal(fr.pages, c.pages, `faxwire counted ${c.pages} pages${diag}`);
        assert.equal(fw.code, 0, `faxwire exit 0${diag}`);
        assert.equal(tiffPages(out), c.pages, `received TIFF has ${c.pages} pages${diag}`);
        const cmp = tiffSamePixels(doc, out);
        assert.ok(cmp.same, `tiffcmp -t: pages differ\n${cmp.output}${diag}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
