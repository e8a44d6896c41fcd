/**
 * Durable receiving (page-store.ts) and atomic file writes (src/node/atomic-file.ts): a page
 * is confirmed (MCF) only once it is on disk; a page that cannot be written is not confirmed,
 * the call ends 'page-not-stored', and the file keeps the pages before it, whole and readable.
 * Two T38Terminals over TPKT on 127.0.0.1 (the real drivers), the fax clock at 20×.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T38Terminal } from '../../../src/fax/terminal/t38-terminal.js';
import { documentToFaxPages } from '../../../src/image/index.js';
import { runTcpTerminal } from '../../../src/node/tcp-driver.js';
import { ensureDir, FileOpError, writeFileAtomic } from '../../../src/node/atomic-file.js';
import { ReceivedPageStore, StoringTerminal } from '../../../src/cli/page-store.js';
import type { FileWriter } from '../../../src/cli/pages-out.js';
import type { T30Event } from '../../../src/t30/engine.js';
import { docBitmap } from '../image/helpers.js';
import { samePixels } from '../../sim/t38-call.js';

const pages = [docBitmap(1728, 200, 1), docBitmap(1728, 180, 2), docBitmap(1728, 160, 3)];

function enospc(path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });
}

/** One fax of `pages` from a sender to a storing receiver over TCP loopback. */
async function call(store: ReceivedPageStore, ecm: boolean): Promise<{ rx: T38Terminal; tx: T38Terminal; rxEvents: T30Event[] }> {
  await store.prepare();
  const rx = new T38Terminal({ role: 'answering', receive: true, transport: 'tpkt', ecm, confirmAfterStore: true });
  const tx = new T38Terminal({ role: 'calling', send: { pages }, transport: 'tpkt', ecm });
  const storing = new StoringTerminal(rx, store);
  const rxEvents: T30Event[] = [];
  let port = 0;
  let listening!: () => void;
  const up = new Promise<void>((r) => (listening = r));
  const a = runTcpTerminal({
    terminal: storing,
    listen: { port: 0, host: '127.0.0.1' },
    speed: 20,
    timeoutMs: 30_000,
    onEvent: (e) => rxEvents.push(e),
    onListening: (p) => {
      port = p;
      listening();
    },
  });
  await up;
  const b = runTcpTerminal({ terminal: tx, connect: { host: '127.0.0.1', port }, speed: 20, timeoutMs: 30_000 });
  await Promise.all([a, b]);
  await storing.settled();
  return { rx, tx, rxEvents };
}

describe('faxwire receive: pages stored before they are confirmed', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const ecm of [true, false]) {
    it(`${ecm ? 'ECM' : 'non-ECM'}: the disk fills on page 3 — no MCF for it, pages 1–2 intact on disk, no temporary file left`, { timeout: 60_000 }, async () => {
      const out = join(dir, `rx-${ecm ? 'ecm' : 'plain'}.tif`);
      let writes = 0;
      const writer: FileWriter = async (path, data) => {
        if (++writes === 3) throw enospc(`${path}.tmp`);
        await writeFileAtomic(path, data);
      };
      const store = new ReceivedPageStore(out, 'tiff', writer);
      const { rx, tx, rxEvents } = await call(store, ecm);
      assert.equal(rx.result?.code, 'page-not-stored', rx.result?.message);
      assert.match(rx.result.message, /page 3: ENOSPC/);
      assert.equal(rx.result.pagesReceived, 2);
      // The sender was never told page 3 arrived.
      assert.equal(tx.result?.code, 'dcn-after-page', tx.result?.message);
      assert.equal(tx.result.pagesSent, 2);
      const sent = rxEvents.filter((e): e is Extract<T30Event, { type: 'frame-sent' }> => e.type === 'frame-sent').map((e) => e.frame?.type);
      assert.equal(sent.filter((t) => t === 'MCF').length, 2);
      assert.equal(sent.at(-1), 'DCN');
      assert.match(store.error ?? '', /ENOSPC/);
      // What is on disk: the two confirmed pages, pixel for pixel.
      const back = await documentToFaxPages(readFileSync(out));
      assert.ok(back.ok);
      assert.equal(back.value.length, 2);
      back.value.forEach((p, i) => assert.ok(samePixels(p.bitmap, pages[i] ?? p.bitmap), `page ${i + 1}`));
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    });
  }

  it('all pages stored: MCF for each, the file holds them all', { timeout: 60_000 }, async () => {
    const out = join(dir, 'ok.pdf');
    const store = new ReceivedPageStore(out, 'pdf');
    const { rx, tx } = await call(store, true);
    assert.equal(rx.result?.code, 'ok', rx.result?.message);
    assert.equal(tx.result?.pagesSent, 3);
    assert.equal(store.pages.length, 3);
    const back = await documentToFaxPages(readFileSync(out));
    assert.ok(back.ok);
    assert.equal(back.value.length, 3);
  });
});

describe('writeFileAtomic / ensureDir', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-atomic-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temporary file', async () => {
    const f = join(dir, 'a.bin');
    writeFileSync(f, 'old');
    await writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(f)], [1, 2, 3]);
    assert.deepEqual(readdirSync(dir), ['a.bin']);
  });

  it('a failing rename leaves the old content and no temporary file; the error names the step and path', async () => {
    const target = join(dir, 'busy');
    mkdirSync(join(target, 'inside'), { recursive: true });
    await assert.rejects(writeFileAtomic(target, new Uint8Array(10)), (e: unknown) => {
      assert.ok(e instanceof FileOpError);
      assert.equal(e.op, 'rename to');
      assert.equal(e.path, target);
      assert.match(e.message, /^cannot rename to .*busy: (EISDIR|ENOTEMPTY|EEXIST)/);
      return true;
    });
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('errors say which directory could not be made, and why', async () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    await assert.rejects(ensureDir(join(file, 'sub')), /^FileOpError: cannot create directory .*plain\/sub: (ENOTDIR|EEXIST)/);
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.tif'), new Uint8Array(1)), /^FileOpError: cannot create .*missing\/x\.tif: ENOENT/);
  });
});
