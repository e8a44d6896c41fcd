/**
 * `faxwire convert` writes atomically and says what it concealed: a write that fails leaves no
 * partial output and names the step and path; corrupt rows in the input are counted on the
 * result line.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePbm } from '../../../src/image/pnm.js';
import { writeTiff } from '../../../src/image/tiff-write.js';
import { docBitmap } from '../image/helpers.js';
import { cli } from './helpers.js';

describe('faxwire convert: atomic output, concealed rows reported', () => {
  let dir = '';
  const p = (name: string): string => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-convert-safe-'));
    writeFileSync(p('in.pbm'), writePbm([docBitmap(1728, 120, 1), docBitmap(1728, 90, 2)]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a failing write leaves no partial file and names the failing step and path', () => {
    // The output name is taken by a non-empty directory: everything up to the rename works.
    mkdirSync(p('taken.tif/x'), { recursive: true });
    const r = cli('convert', p('in.pbm'), p('taken.tif'));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /faxwire convert: cannot rename to .*taken\.tif: (EISDIR|ENOTEMPTY|EEXIST)/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    assert.deepEqual(readdirSync(p('taken.tif')), ['x']);
  });

  it('a missing output directory is named as such (not a bare ENOENT)', () => {
    const r = cli('convert', p('in.pbm'), p('nowhere/out.tif'));
    assert.equal(r.code, 1);
    assert.match(r.err, /faxwire convert: cannot create .*nowhere\/out\.tif: ENOENT/);
  });

  it('rows that could not be decoded are reported', () => {
    const page = docBitmap(1728, 200, 3);
    const tif = writeTiff([{ bitmap: page }], { compression: 'mh' });
    // Garble the middle of the MH strip (the strip is most of the file).
    const bad = Uint8Array.from(tif);
    for (let i = Math.floor(bad.length * 0.4); i < Math.floor(bad.length * 0.45); i++) bad[i] = 0x00;
    writeFileSync(p('bad.tif'), bad);
    const r = cli('convert', p('bad.tif'), p('bad-out.pbm'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /, \d+ concealed \(bad\) rows? on 1 page/);
    assert.match(r.err, /warning: .*could not be decoded and (was|were) concealed/);
    const clean = cli('convert', p('in.pbm'), p('clean.tif'));
    assert.equal(clean.code, 0);
    assert.doesNotMatch(clean.out, /concealed/);
  });
});
