/**
 * The TCP driver's failures, on 127.0.0.1 with bounded waits: a dead port is reported with its
 * cause after a few quick tries (not after the whole call timeout); a TPKT framing error ends
 * the call at once with 'tcp-framing-error' (RFC 1006 §6 cannot resynchronise); and
 * `faxwire send --tcp` to a dead port says ECONNREFUSED.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T38Terminal } from '../../../src/fax/terminal/t38-terminal.js';
import { runTcpTerminal } from '../../../src/node/tcp-driver.js';
import { writeTiff } from '../../../src/image/tiff-write.js';
import { docBitmap } from '../image/helpers.js';
import { runCli } from '../cli/helpers.js';

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('TCP driver failures', () => {
  it('a dead port: ECONNREFUSED named, a few tries in a few seconds, not the whole timeout', { timeout: 20_000 }, async () => {
    const port = await deadPort();
    const terminal = new T38Terminal({ role: 'calling', send: { pages: [docBitmap(1728, 50, 1)] }, transport: 'tpkt' });
    const o = await runTcpTerminal({ terminal, connect: { host: '127.0.0.1', port }, timeoutMs: 60_000 });
    assert.equal(o.notConnected, true);
    assert.equal(o.timedOut, false);
    assert.match(o.connectError ?? '', new RegExp(`^ECONNREFUSED 127\\.0\\.0\\.1:${port}\\b.*; 6 attempts in \\d+\\.\\d s$`));
    assert.ok(o.wallMs < 6_000, `gave up after ${o.wallMs} ms`);
  });

  it('TPKT garbage ends the call at once with tcp-framing-error', { timeout: 20_000 }, async () => {
    let server: Server | undefined;
    const port = await new Promise<number>((resolve) => {
      server = createServer((s) => {
        s.on('error', () => undefined);
        // Version 0x45 ('E' of an HTTP answer): not TPKT (RFC 1006 §6 wants version 3).
        setTimeout(() => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'), 200);
      });
      server.listen(0, '127.0.0.1', () => {
        const a = server?.address();
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
    try {
      const terminal = new T38Terminal({ role: 'calling', send: { pages: [docBitmap(1728, 50, 1)] }, transport: 'tpkt' });
      const o = await runTcpTerminal({ terminal, connect: { host: '127.0.0.1', port }, timeoutMs: 30_000 });
      assert.equal(terminal.transportError?.code, 'tcp-framing-error');
      assert.match(terminal.transportError.message, /bad-version/);
      assert.equal(terminal.result?.code, 'local-abort');
      assert.equal(terminal.getStats().tcpFramingErrors, 1);
      assert.equal(o.timedOut, false);
      assert.ok(o.wallMs < 3_000, `the call lasted ${o.wallMs} ms (T1 would be 35 s)`);
    } finally {
      server?.close();
    }
  });

  it('faxwire send --tcp to a dead port says why, quickly', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faxwire-tcp-'));
    try {
      const input = join(dir, 'in.tif');
      writeFileSync(input, writeTiff([docBitmap(1728, 50, 1)]));
      const port = await deadPort();
      // --timeout 60 against a 20 s kill: a driver that waited the whole timeout is killed and
      // has no exit code 1 (a bound on the child, not a clock read in the assertions).
      const r = runCli(['send', input, '--tcp', `127.0.0.1:${port}`, '--timeout', '60', '--json'], { timeoutMs: 20_000 });
      assert.equal(r.code, 1, r.err);
      const j = JSON.parse(r.out) as { status: string; code: string; message: string };
      assert.equal(j.status, 'not-connected');
      assert.match(j.message, /^no TCP connection: ECONNREFUSED 127\.0\.0\.1:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
