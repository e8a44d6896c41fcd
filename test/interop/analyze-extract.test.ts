/**
 * `faxwire analyze --extract`: from the spandsp peer's golden captures (one-page ECM calls,
 * T.38 v0 and v3, redundancy 2), the page that crossed the call comes back exactly — compared
 * pixel by pixel with libtiff's `tiffcmp -t` against the TIFF the sender was given (test1.tif,
 * rebuilt with ghostscript by the peer's `make testfax`).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePeer, FAXWIRE_CLI, TEST1, tiffSamePixels } from './peer.js';
import { PEER, need } from './util.js';

describe('analyze --extract on the golden captures', () => {
  for (const cap of ['cap_v0.pcapng', 'cap_v3.pcapng']) {
    it(cap, (t) => {
      const file = join(PEER, 'results', cap);
      if (!need(t, { files: [file] }) || !ensurePeer(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-extract-'));
      try {
        const r = spawnSync(process.execPath, [FAXWIRE_CLI, 'analyze', file, '--extract', dir], { encoding: 'utf8', timeout: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /PAGE 1: 1728×2292 MMR ECM 196 lpi, 0 bad rows .*PPS-EOP, answered MCF/);
        assert.match(r.stdout, /T\.30 outcome: 1 page\(s\) sent, 1 confirmed, last answer MCF to PPS-EOP, call ended with DCN/);
        const cmp = tiffSamePixels(TEST1, join(dir, 'page-1.tif'));
        assert.ok(cmp.same, `extracted page differs from the original:\n${cmp.output}`);
        // tiffinfo reads what we wrote without complaint.
        const info = spawnSync('tiffinfo', [join(dir, 'page-1.tif')], { encoding: 'utf8' });
        assert.equal(info.status, 0);
        assert.doesNotMatch(info.stderr, /warning|error/i);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
