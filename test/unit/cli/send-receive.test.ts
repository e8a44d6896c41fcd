/**
 * `faxwire send` → `faxwire receive` as real processes on loopback (UDPTL and TCP/TPKT), at a
 * high `--speed`, with bounded timeouts: exit codes, the one-line / JSON result, the file
 * written, and the received pages compared pixel by pixel with what was sent. Also
 * `faxwire demo` end to end (audio terminal → gateway → T.38 → gateway → audio terminal), and usage errors.
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawText, fillRect } from '../../../src/image/text.js';
import { createBitmap, getPixel, type Bitmap } from '../../../src/t4/bitmap.js';
import { documentToFaxPages } from '../../../src/image/document.js';
import { writeTiff } from '../../../src/image/tiff-write.js';
import { startCli as faxwire } from './helpers.js';

const SPEED = '20';

async function freeUdpPorts(n: number): Promise<number[]> {
  const socks = Array.from({ length: n }, () => createSocket('udp4'));
  const ports = await Promise.all(socks.map((s) => new Promise<number>((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)))));
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const a = srv.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function page(n: number): Bitmap {
  const b = createBitmap(1728, 360, { x: 204, y: 196 });
  fillRect(b, 30, 30, 1668, 3, true);
  drawText(b, 60, 60, `faxwire CLI test, page ${n}`, 5, 5);
  for (let i = 0; i < 6; i++) drawText(b, 60, 130 + i * 30, `row ${i}: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz`, 2, 3);
  for (let x = 0; x < 30; x++) fillRect(b, 1300 + x * 12, 120, 5, 180, true);
  return b;
}

function samePixels(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) if (getPixel(a, x, y) !== getPixel(b, x, y)) return false;
  return true;
}

function lastJson(out: string): Record<string, unknown> {
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

describe('faxwire send / receive / demo (real processes on 127.0.0.1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faxwire-cli-'));
  const pages = [page(1), page(2)];
  const input = join(dir, 'in.tif');
  writeFileSync(input, writeTiff(pages));

  for (const ecm of [true, false]) {
    it(`UDPTL, ${ecm ? 'ECM' : 'non-ECM'}, T.38 v3, --fec / --redundancy: TIFF in, TIFF out, pixel-identical`, { timeout: 90_000 }, async () => {
      const [pSend, pRecv] = await freeUdpPorts(2);
      const out = join(dir, `out-${ecm ? 'ecm' : 'noecm'}.tif`);
      const common = ['--speed', SPEED, '--timeout', '60', '--json', '--t38-version', '3', ecm ? '--ecm' : '--no-ecm'];
      const rx = faxwire(['receive', '--udptl', `127.0.0.1:${pSend}`, '--local-port', String(pRecv), '--out', out, '--redundancy', '2', ...common]);
      assert.ok(await rx.ready, 'receiver ready');
      const tx = faxwire(['send', input, '--udptl', `127.0.0.1:${pRecv}`, '--local-port', String(pSend), '--ident', '+1 555 0100', ...(ecm ? ['--fec', '3,3'] : ['--redundancy', '3']), ...common]);
      const [r, s] = await Promise.all([rx.done, tx.done]);
      const diag = `\nsend: ${s.out}${s.err}\nreceive: ${r.out}${r.err}`;
      assert.equal(s.code, 0, diag);
      assert.equal(r.code, 0, diag);
      const sj = lastJson(s.out);
      const rj = lastJson(r.out);
      assert.equal(sj['status'], 'ok');
      assert.equal(sj['pages'], 2);
      assert.equal(sj['ecm'], ecm);
      assert.equal(rj['pages'], 2);
      assert.equal(rj['remoteIdent'], '+1 555 0100');
      assert.equal(rj['t38Version'], 3);
      const back = await documentToFaxPages(readFileSync(out));
      assert.ok(back.ok);
      assert.equal(back.value.length, 2);
      back.value.forEach((p, i) => assert.ok(samePixels(p.bitmap, pages[i] ?? p.bitmap), `page ${i + 1} identical`));
    });
  }

  it('TCP/TPKT (receiver listens, sender connects), PDF out, one-line text result; the CSI from the config file', { timeout: 90_000 }, async () => {
    const port = await freeTcpPort();
    const out = join(dir, 'out.pdf');
    // The answerer's identity (CSI) from $XDG_CONFIG_HOME/faxwire/config.json. Over TCP both
    // terminals start once connected, so the first DIS and its CSI cannot be lost.
    const xdg = join(dir, 'xdg');
    mkdirSync(join(xdg, 'faxwire'), { recursive: true });
    writeFileSync(join(xdg, 'faxwire', 'config.json'), JSON.stringify({ ident: '+1 555 0199' }));
    const rx = faxwire(['receive', '--listen-tcp', String(port), '--out', out, '--speed', SPEED, '--timeout', '60'], { env: { XDG_CONFIG_HOME: xdg } });
    assert.ok(await rx.ready, 'receiver listening');
    const tx = faxwire(['send', input, '--tcp', `127.0.0.1:${port}`, '--speed', SPEED, '--timeout', '60']);
    const [r, s] = await Promise.all([rx.done, tx.done]);
    const diag = `\nsend: ${s.out}${s.err}\nreceive: ${r.out}${r.err}`;
    assert.equal(s.code, 0, diag);
    assert.equal(r.code, 0, diag);
    assert.match(s.out, /^faxwire send: OK \(ok: OK\) pages=2 bit_rate=14400 ecm=on coding=T\.6 .*duration=\d+\.\ds/m);
    assert.match(s.out, / remote_ident="\+1 555 0199" /);
    assert.match(r.out, /out=.*out\.pdf/);
    assert.equal(readFileSync(out).subarray(0, 5).toString('latin1'), '%PDF-');
  });

  it('a call nobody answers ends with exit 1 at --timeout', { timeout: 30_000 }, async () => {
    const [a, b] = await freeUdpPorts(2);
    const tx = faxwire(['send', input, '--udptl', `127.0.0.1:${b}`, '--local-port', String(a), '--speed', '50', '--timeout', '2', '--json']);
    const s = await tx.done;
    assert.equal(s.code, 1);
    const j = lastJson(s.out);
    assert.notEqual(j['status'], 'ok');
  });

  it('usage errors exit 2', { timeout: 30_000 }, async () => {
    for (const args of [
      ['send', input],
      ['send', '--udptl', '127.0.0.1:1', '--local-port', '2'],
      ['send', input, '--udptl', '127.0.0.1:1'],
      ['receive', '--udptl', '127.0.0.1:1', '--local-port', '2'],
      ['receive', '--udptl', '127.0.0.1:1', '--local-port', '2', '--out', 'x.doc'],
      ['send', input, '--udptl', '127.0.0.1:1', '--local-port', '2', '--redundancy', '3', '--fec', '3,3'],
      ['send', input, '--udptl', '127.0.0.1:1', '--local-port', '2', '--t38-version', '7'],
    ]) {
      const r = await faxwire(args).done;
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.err}`);
    }
  });

  it('faxwire demo: audio terminal -> gateway -> lossy T.38 -> gateway -> audio terminal; pages pixel-identical, PDF written', { timeout: 120_000 }, async () => {
    const out = join(dir, 'demo.pdf');
    const r = await faxwire(['demo', '--out', out, '--json'], { timeoutMs: 110_000 }).done;
    assert.equal(r.code, 0, r.out + r.err);
    const j = lastJson(r.out);
    assert.equal(j['ok'], true, r.out);
    assert.equal(j['identical'], true, r.out);
    assert.equal(j['pagesWritten'], 2, r.out);
    for (const g of ['gatewayA', 'gatewayB']) {
      const s = j[g] as Record<string, unknown>;
      assert.equal(s['completed'], true, `${g}: ${r.out}`);
      assert.equal(s['pages'], 2, `${g}: ${r.out}`);
    }
    // The loss really happened, and redundancy repaired it.
    const d = j['dropped'] as Record<string, number>;
    assert.ok((d['byGatewayA'] ?? 0) + (d['byGatewayB'] ?? 0) > 0, r.out);
    assert.equal(readFileSync(out).subarray(0, 5).toString('latin1'), '%PDF-');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});
