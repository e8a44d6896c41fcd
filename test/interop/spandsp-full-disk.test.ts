/**
 * Durable pages against a real sender: spandsp's t38peer sends its 3-page test document to
 * `faxwire receive` whose output lies on a tmpfs too small for all three pages. faxwire writes
 * each page (temporary file, fsync, rename) before it confirms it; when the write fails
 * (ENOSPC) it sends DCN instead of MCF (T.30 §5.3.6.1.8), so spandsp must not report success,
 * and the file on disk must hold the pages that were confirmed, intact and pixel-identical to
 * the original's first pages (`tiffcmp -t` against the same pages cut out with `tiffcp`).
 * Needs root (mount); ECM and non-ECM.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAXWIRE_CLI, T38PEER, TEST3, ensurePeer, parseResultLine, runProc, tiffPages, tiffSamePixels, udpPortPair } from './peer.js';

const SPEED = 8;
const PROC_TIMEOUT = 150;
const BASE_PORT = 25900;
/**
 * faxwire rewrites the whole TIFF per page (old and new file side by side while a page is being
 * written): the 3 pages are ~46 kB each as faxwire writes them, so page 2 needs ~139 kB and page
 * 3 ~232 kB. 184 kB holds the first two pages' writes, not the third.
 */
const TMPFS_SIZE = '184k';

describe('durable pages: spandsp sends to faxwire on a full disk', () => {
  for (const ecm of [true, false]) {
    it(`${ecm ? 'ECM' : 'non-ECM'}: no MCF for the page that could not be stored, stored pages intact`, { timeout: (PROC_TIMEOUT + 30) * 1000 }, async (t) => {
      if (!ensurePeer(t)) return;
      if (process.getuid?.() !== 0) {
        console.warn('\n*** SKIPPED: mounting a tmpfs needs root ***\n');
        t.skip('needs root to mount a tmpfs');
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-disk-'));
      const mnt = join(dir, 'small');
      mkdirSync(mnt);
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', mnt], { encoding: 'utf8' });
      assert.equal(m.status, 0, `mount tmpfs: ${m.stderr}`);
      try {
        const [fwPort, peerPort] = await udpPortPair(BASE_PORT + (ecm ? 0 : 8));
        const out = join(mnt, 'rx.tif');
        const f = runProc(
          'node',
          [FAXWIRE_CLI, 'receive', '--out', out, '--udptl', `127.0.0.1:${peerPort}`, '--local-port', String(fwPort), '--speed', String(SPEED), ecm ? '--ecm' : '--no-ecm', '--timeout', String(PROC_TIMEOUT - 10), '--json'],
          PROC_TIMEOUT,
        );
        await f.waitStderr(/ready/);
        const p = runProc(T38PEER, ['--send', TEST3, '--local', String(peerPort), '--remote', `127.0.0.1:${fwPort}`, '--speed', String(SPEED), '--ecm', ecm ? 'on' : 'off', '--timeout', String(PROC_TIMEOUT - 10)], PROC_TIMEOUT);
        const [peer, fw] = await Promise.all([p.done, f.done]);
        const pr = parseResultLine(peer.stdout);
        const fwLine = fw.stdout.trim().split('\n').pop() ?? '';
        let fr: { status?: string; code?: string; pages?: number; pagesStored?: number; storeError?: string } = {};
        try {
          fr = JSON.parse(fwLine) as typeof fr;
        } catch {
          // reported below
        }
        const diag = `\n--- faxwire (rc ${fw.code}):\n${fw.stdout}${fw.stderr.slice(-2000)}\n--- t38peer (rc ${peer.code}):\n${peer.stdout}${peer.stderr.slice(-2000)}`;
        const stored = tiffPages(out);
        console.log(`INTEROP full disk ${ecm ? 'ECM' : 'non-ECM'}: faxwire ${fr.code ?? '?'} stored=${fr.pagesStored ?? '?'} on disk=${stored} (${fr.storeError ?? ''}); spandsp status=${pr?.['status'] ?? '?'} "${pr?.['status_text'] ?? ''}" pages=${pr?.['pages'] ?? '?'}`);
        assert.equal(fr.code, 'page-not-stored', `faxwire names the failure${diag}`);
        assert.match(fr.storeError ?? '', /ENOSPC/, `the cause is named${diag}`);
        assert.notEqual(fw.code, 0, `faxwire exits non-zero${diag}`);
        assert.ok(pr, `t38peer printed a RESULT line${diag}`);
        assert.notEqual(pr['status'], '0', `spandsp was not told the document arrived${diag}`);
        assert.ok(stored >= 1 && stored < 3, `some pages stored, not all (${stored})${diag}`);
        assert.equal(Number(pr['pages']), stored, `spandsp has MCF for exactly the stored pages${diag}`);
        // The stored pages are the original's first pages, pixel for pixel.
        const first = join(dir, 'first.tif');
        const cut = spawnSync('tiffcp', [`${TEST3},${Array.from({ length: stored }, (_, i) => i).join(',')}`, first], { encoding: 'utf8' });
        assert.equal(cut.status, 0, cut.stderr);
        const cmp = tiffSamePixels(first, out);
        assert.ok(cmp.same, `tiffcmp -t: stored pages differ\n${cmp.output}${diag}`);
        assert.deepEqual(readdirSync(mnt).filter((n) => n !== 'rx.tif'), [], 'no temporary file left behind');
      } finally {
        spawnSync('umount', [mnt]);
        if (!existsSync(join(mnt, 'rx.tif'))) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
