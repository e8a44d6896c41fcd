/**
 * PDF against Ghostscript (Debian package ghostscript):
 * - a text page written in PostScript here, made into a PDF by `gs -sDEVICE=pdfwrite`, becomes
 *   a fax page whose text is still there at standard resolution: the page checked by eye once
 *   (rendered to PNG), and kept here as pixel statistics — ink in the rows where each line of
 *   text sits, none between them, the rule's rows solid, a sane black ratio;
 * - the PDFs faxwire writes (CCITT G4 images) render in Ghostscript to exactly the page's pixels
 *   — Ghostscript's CCITTFaxDecode agrees with PDFium's (and our writer's) on the BlackIs1 polarity.
 */

import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need, run } from './util.js';
import { getPixel, type Bitmap } from '../../src/t4/bitmap.js';
import { blackRatio } from '../../src/image/grey.js';
import { documentToFaxPages } from '../../src/image/document.js';
import { writePdf } from '../../src/image/pdf-write.js';
import { readPnm } from '../../src/image/pnm.js';
import { docBitmap } from '../unit/image/helpers.js';

/**
 * An A4 page (595 × 842 pt). Baselines at 72, 102, 152 pt from the top; a 2 pt rule at 192 pt.
 * 12 pt Helvetica, 10 pt Times, 24 pt Helvetica-Bold.
 */
const POSTSCRIPT = `%!PS
<< /PageSize [595 842] >> setpagedevice
/Helvetica findfont 12 scalefont setfont
72 770 moveto (faxwire test page: The quick brown fox jumps over the lazy dog 0123456789) show
/Times-Roman findfont 10 scalefont setfont
72 740 moveto (Ten point Times: Sphinx of black quartz, judge my vow. ABCDEFGHIJKLMNOPQRSTUVWXYZ) show
/Helvetica-Bold findfont 24 scalefont setfont
72 690 moveto (FAX HEADLINE) show
2 setlinewidth 72 650 moveto 523 650 lineto stroke
showpage
`;

/** Row position (standard resolution, 3.85 lines/mm) of a point `pt` below the top of the page. */
const exact = (pt: number): number => (pt / 72) * 25.4 * 3.85;
const row = (pt: number): number => Math.round(exact(pt));
/** Column of a point `pt` from the left edge of a 210 mm page centred in 216 mm. */
const col = (pt: number): number => Math.round((3 + (pt / 72) * 25.4) * 8);

function rowInk(b: Bitmap, y: number, x0 = 0, x1 = b.width): number {
  let n = 0;
  for (let x = x0; x < x1; x++) n += getPixel(b, x, y);
  return n;
}

describe('PDF in: a Ghostscript-made text page at standard resolution', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-pdf-interop-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('text lines keep their ink in the right rows; gaps stay white; the rule is solid', async (t: TestContext) => {
    if (!need(t, { tools: ['gs'] })) return;
    writeFileSync(join(dir, 'page.ps'), POSTSCRIPT);
    run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pdfwrite', `-sOutputFile=${join(dir, 'page.pdf')}`, join(dir, 'page.ps')]);
    const r = await documentToFaxPages(readFileSync(join(dir, 'page.pdf')), { resolution: 'standard', paper: 'a4' });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.length, 1);
    const b = r.value[0]!.bitmap;
    assert.deepEqual([b.width, b.height, b.xDpi, b.yDpi], [1728, 1143, 204, 98]);

    // Neither blank nor black: a few percent of ink overall.
    const all = blackRatio(b);
    assert.ok(all > 0.001 && all < 0.05, `page black ratio ${all}`);

    // Each text line: ink in the band from cap height to baseline, over the width of the text.
    const lines = [
      { name: '12 pt Helvetica', base: 72, size: 12, x1: 560, text: 'faxwire test page: The quick brown fox jumps over the lazy dog 0123456789' },
      { name: '10 pt Times', base: 102, size: 10, x1: 560, text: 'Ten point Times: Sphinx of black quartz, judge my vow. ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
      { name: '24 pt Helvetica-Bold', base: 152, size: 24, x1: 300, text: 'FAX HEADLINE' },
    ];
    for (const l of lines) {
      // Rows wholly between 0.7 em above the baseline and the baseline (glyph bodies; the row
      // the baseline crosses holds only part of them).
      const top = Math.ceil(exact(l.base - 0.7 * l.size));
      const bottom = Math.floor(exact(l.base)) - 1;
      const ratio = blackRatio(b, col(72), top, col(l.x1) - col(72), bottom - top + 1);
      // Text is 10–40 % ink over its x-height band; thresholding that drops strokes would fall
      // below, a smear would rise above.
      assert.ok(ratio > 0.1 && ratio < 0.5, `${l.name}: ink ratio ${ratio.toFixed(3)} in rows ${top}–${bottom}`);
      // Strokes in (nearly) every row of the band: letters are not cut in half.
      for (let y = top; y <= bottom; y++) assert.ok(rowInk(b, y, col(72), col(l.x1)) > 20, `${l.name}: row ${y} has no strokes`);
      // Separate strokes along the middle row — at least one per letter (two edges each), so the
      // letters did not merge into blobs.
      const mid = Math.round((top + bottom) / 2);
      let edges = 0;
      for (let x = col(72); x < col(l.x1); x++) if (getPixel(b, x, mid) !== getPixel(b, x + 1, mid)) edges++;
      const letters = l.text.replace(/[^A-Za-z0-9]/g, '').length;
      assert.ok(edges >= 2 * letters, `${l.name}: only ${edges} edges on row ${mid} for ${letters} letters`);
    }
    // White between the lines and above the first.
    assert.equal(blackRatio(b, 0, 0, 1728, row(72 - 12) - 2), 0);
    assert.equal(blackRatio(b, 0, row(72 + 4), 1728, row(102 - 9) - row(72 + 4)), 0);
    // The 2 pt rule (0.7 mm ≈ 2.7 rows) at 192 pt: solid from 72 to 523 pt.
    const ruleRows = [-2, -1, 0, 1, 2].map((d) => row(192) + d).filter((y) => rowInk(b, y, col(80), col(515)) === col(515) - col(80));
    assert.ok(ruleRows.length >= 2, `rule rows ${ruleRows.join(',')}`);
    // Nothing below the rule.
    assert.equal(blackRatio(b, 0, row(192) + 4, 1728, 1143 - row(192) - 4), 0);
  });
});

describe('PDF out: Ghostscript renders faxwire PDFs to the same pixels', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-pdf-out-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, dpi] of [
    ['fine', { x: 204, y: 196 }],
    ['200 × 200', { x: 200, y: 200 }],
  ] as const) {
    it(`${name}: gs -sDEVICE=pbmraw at the page's resolution gives back the page`, async (t: TestContext) => {
      if (!need(t, { tools: ['gs'] })) return;
      const page = docBitmap(1728, 600, 5, dpi);
      writeFileSync(join(dir, 'p.pdf'), await writePdf([page]));
      const out = join(dir, 'p.pbm');
      run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pbmraw', `-r${dpi.x}x${dpi.y}`, `-sOutputFile=${out}`, join(dir, 'p.pdf')]);
      const r = readPnm(readFileSync(out));
      const img = r.ok ? r.value[0] : undefined;
      assert.ok(img && img.kind === 'bilevel');
      assert.deepEqual([img.bitmap.width, img.bitmap.height], [1728, 600]);
      let diff = 0;
      for (let i = 0; i < page.data.length; i++) if (img.bitmap.data[i] !== page.data[i]) diff++;
      assert.equal(diff, 0, `${diff} octets differ`);
    });
  }
});
