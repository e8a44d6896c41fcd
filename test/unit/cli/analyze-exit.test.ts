/**
 * `faxwire analyze` exit statuses for captures with nothing in them (3, EXIT_NOTHING_READ), and
 * `--extract` errors that name the directory and the cause.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap } from '../../../src/capture/index.js';
import { EXIT_NOTHING_READ } from '../../../src/cli/analyze.js';
import { cli } from './helpers.js';

describe('faxwire analyze: nothing read is not success', () => {
  let dir = '';
  const p = (n: string): string => join(dir, n);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-analyze-exit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`a capture without a frame exits ${EXIT_NOTHING_READ} and says so`, () => {
    writeFileSync(p('empty.pcap'), writePcap([]));
    const r = cli('analyze', p('empty.pcap'));
    assert.equal(r.code, EXIT_NOTHING_READ, r.err);
    assert.match(r.err, /empty\.pcap: no readable frame \(0 frames/);
  });

  it(`a capture whose records are garbage after the header exits ${EXIT_NOTHING_READ} (or 1 when unreadable), never 0`, () => {
    const header = writePcap([]);
    const junk = new Uint8Array(header.length + 64);
    junk.set(header);
    junk.fill(0xa5, header.length);
    writeFileSync(p('junk.pcap'), junk);
    const r = cli('analyze', p('junk.pcap'));
    assert.ok(r.code === EXIT_NOTHING_READ || r.code === 1, `exit ${String(r.code)}: ${r.err}`);
  });

  it('--extract into a place that cannot hold a directory names the directory and the cause', () => {
    writeFileSync(p('call.pcap'), writePcap([{ timeNs: 1_700_000_000_000_000_000n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 5060, proto: 'udp', payload: new TextEncoder().encode('OPTIONS sip:x SIP/2.0\r\n\r\n') }]));
    writeFileSync(p('plain'), 'x');
    const r = cli('analyze', p('call.pcap'), '--extract', p('plain/pages'));
    assert.equal(r.code, 1);
    assert.match(r.err, /faxwire analyze: cannot create directory .*plain\/pages: (ENOTDIR|EEXIST)/);
  });
});
