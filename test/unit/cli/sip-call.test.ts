/**
 * Fax over SIP with the CLI as real processes on 127.0.0.1: `faxwire send --to sip:…` →
 * `faxwire receive --sip-listen …` — the call switched to T.38 by the receiver's re-INVITE, and
 * with the receiver at `--t38 off` the 488 fallback finishing the fax in G.711 — with the result
 * lines, the file written and the pages compared pixel by pixel; and the usage errors.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawText, fillRect } from '../../../src/image/text.js';
import { documentToFaxPages } from '../../../src/image/document.js';
import { writeTiff } from '../../../src/image/tiff-write.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';
import { cli, startCli as faxwire } from './helpers.js';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  const port = await new Promise<number>((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function page(): Bitmap {
  const b = createBitmap(1728, 300, { x: 204, y: 98 });
  fillRect(b, 30, 30, 1668, 3, true);
  drawText(b, 60, 60, 'faxwire over SIP, CLI test', 5, 5);
  for (let x = 0; x < 30; x++) fillRect(b, 1300 + x * 12, 120, 5, 150, true);
  return b;
}

function samePixels(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) if (getPixel(a, x, y) !== getPixel(b, x, y)) return false;
  return true;
}

describe('faxwire send --to sip: / receive --sip-listen (real processes on 127.0.0.1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faxwire-sip-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = join(dir, 'doc.tif');
  const sent = page();
  writeFileSync(doc, writeTiff([{ bitmap: sent }]));

  const call = async (name: string, speed: string, receiverArgs: string[]): Promise<{ send: string; recv: string; file: string }> => {
    const port = await freeUdpPort();
    const out = join(dir, name);
    const rx = faxwire(['receive', '--sip-listen', `127.0.0.1:${port}`, '--out', out, '--speed', speed, '--timeout', '90', ...receiverArgs], { timeoutMs: 100_000 });
    assert.ok(await rx.ready, 'the receiver listens');
    const tx = faxwire(['send', doc, '--to', `sip:fax@127.0.0.1:${port}`, '--local-address', '127.0.0.1', '--speed', speed, '--timeout', '90'], { timeoutMs: 100_000 });
    const [s, r] = await Promise.all([tx.done, rx.done]);
    assert.equal(s.code, 0, `send: ${s.out}\n${s.err}`);
    assert.equal(r.code, 0, `receive: ${r.out}\n${r.err}`);
    const files = readdirSync(out).filter((f) => f.endsWith('.tif'));
    assert.equal(files.length, 1);
    return { send: s.out, recv: r.out, file: join(out, files[0] ?? '') };
  };

  const checkPage = async (file: string): Promise<void> => {
    const got = await documentToFaxPages(readFileSync(file));
    assert.ok(got.ok);
    assert.equal(got.value.length, 1);
    assert.ok(samePixels(got.value[0]?.bitmap ?? sent, sent), 'the received page is pixel-identical');
  };

  it('switches to T.38 by the receiver re-INVITE and delivers the page', async () => {
    const r = await call('t38', '10', []);
    assert.match(r.send, /^faxwire send: OK .* pages=1 .* sip=answered media=audio>t38 /m);
    assert.match(r.recv, /^faxwire receive: OK .* pages=1 .* media=audio>t38 .* call=1 /m);
    await checkPage(r.file);
  });

  it('receiver with --t38 off: 488 to the re-INVITE, the fax finishes in G.711', async () => {
    const r = await call('audio', '4', ['--t38', 'off']);
    assert.match(r.send, /^faxwire send: OK .* pages=1 .* media=audio t38_refused=488 /m);
    assert.match(r.recv, /media=audio /);
    await checkPage(r.file);
  });

  it('usage errors: --to without sip:, --sip-listen on send, SIP with a fixed transport, --offer-t38 without auto', () => {
    const cases: [string[], RegExp][] = [
      [['send', doc, '--to', 'fax@host'], /--to wants a sip: URI/],
      [['send', doc, '--sip-listen', '127.0.0.1:5060'], /--sip-listen is for faxwire receive/],
      [['send', doc, '--to', 'sip:a@b', '--udptl', '127.0.0.1:4000'], /takes its media from the SDP/],
      [['send', doc, '--to', 'sip:a@b', '--t38', 'only', '--offer-t38'], /--offer-t38 goes with --t38 auto/],
      [['send', doc, '--to', 'sip:a@b', '--media-ports', '9-3'], /--media-ports wants LO-HI/],
      [['receive', '--sip-listen', '127.0.0.1:5060'], /--out DIR is required/],
      [['send', doc, '--to', 'sip:a@b', '--username', 'u'], /--username and --password go together/],
    ];
    for (const [args, re] of cases) {
      const r = cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, re);
    }
  });
});
