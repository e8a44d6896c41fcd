/**
 * Receive-buffer bounds (issue 9): the non-ECM page buffer and the ECM partial-page list hold at
 * most `maxReceivedPageOctets` of image data; an unpaced flood ends the call with
 * 'page-too-large' (DCN sent) instead of growing until a timer expires. In virtual time.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T30Engine, type T30EngineOptions } from '../../../src/t30/engine.js';
import { maxReceivedPageOctets } from '../../../src/t30/phase-c.js';
import { eventsOf, fax, noisePage, SLOWEST_ECM, sentControlFrames, testPage } from './harness.js';

const caller = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'calling', send: { pages: [testPage(200)] }, ...o });
const answerer = (o: Partial<T30EngineOptions> = {}): T30EngineOptions => ({ role: 'answering', receive: true, ...o });

describe('T.30 receive buffers are bounded', () => {
  it('the default bound: 1 m of worst-case coded rows at the session width and resolution', () => {
    // fine, 1728 pels: ceil(1000 mm × 196 / 25.4) = 7717 rows × (2592 + 128) octets.
    assert.equal(maxReceivedPageOctets({ widthPx: 1728, resolution: 'fine' }), 7717 * 2720);
    assert.ok(maxReceivedPageOctets({ widthPx: 1728, resolution: 'standard' }) < maxReceivedPageOctets({ widthPx: 2432, resolution: 'superfine' }));
  });

  it('non-ECM: an unpaced flood (every 32-octet chunk delivered as 1 MB) ends the call with page-too-large', () => {
    const flood = new Uint8Array(1 << 20).fill(0x55);
    const before = process.memoryUsage().arrayBuffers;
    let delivered = 0;
    const { r } = fax(caller({ ecm: false }), answerer({ ecm: false }), {
      chunkOctets: 32,
      nonEcm: (c) => {
        if (c.kind !== 'image') return undefined;
        delivered += flood.length;
        return flood;
      },
    });
    const limit = maxReceivedPageOctets({ widthPx: 1728, resolution: 'standard' });
    assert.equal(r.b.result?.code, 'page-too-large', r.b.result?.message);
    assert.match(r.b.result?.message ?? '', new RegExp(`more than ${limit} octets`));
    assert.equal(sentControlFrames(r.b.events).at(-1), 'DCN');
    assert.ok(delivered > limit, `flood of ${delivered} octets passed the bound ${limit}`);
    assert.equal(eventsOf(r.b.events, 'page-rx-end').length, 0);
    // Bound, not a timing: what the receiver held stayed near the limit (plus the flood buffer).
    assert.ok(process.memoryUsage().arrayBuffers - before < limit + (64 << 20));
  });

  it('non-ECM: a configured bound applies the same way; a page under it is received', () => {
    const { r } = fax(caller({ ecm: false }), answerer({ ecm: false, maxReceivedPageOctets: 2000 }));
    assert.equal(r.b.result?.code, 'page-too-large');
    const ok = fax(caller({ ecm: false }), answerer({ ecm: false, maxReceivedPageOctets: 1 << 20 }));
    assert.equal(ok.r.b.result?.code, 'ok');
    assert.equal(ok.r.b.result?.pagesReceived, 1);
  });

  it('ECM: the partial pages of one page are bounded too (blocks acknowledged, then the bound)', () => {
    // 64-octet frames: a block is at most 16 KB, the noise page needs several blocks.
    const page = noisePage(7, 400, 2);
    const { r } = fax(caller({ ...SLOWEST_ECM, send: { pages: [page] } }), answerer({ ...SLOWEST_ECM, maxReceivedPageOctets: 40_000 }));
    assert.equal(r.b.result?.code, 'page-too-large', r.b.result?.message);
    assert.match(r.b.result?.message ?? '', /ECM page 1: more than 40000 octets/);
    // At least two blocks were acknowledged before the bound was reached.
    assert.ok(sentControlFrames(r.b.events).filter((n) => n === 'MCF').length >= 2);
    const ok = fax(caller({ ...SLOWEST_ECM, send: { pages: [page] } }), answerer({ ...SLOWEST_ECM }));
    assert.equal(ok.r.b.result?.code, 'ok');
  });

  it('an invalid bound is API misuse', () => {
    assert.throws(() => new T30Engine(answerer({ maxReceivedPageOctets: 0 })), /maxReceivedPageOctets/);
  });
});
