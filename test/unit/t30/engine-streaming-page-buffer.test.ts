/**
 * Streaming into a shared page buffer (`T30EngineOptions.pageBuffer`, page-buffer.ts): received
 * pages are decoded into one caller-owned buffer instead of a new array each. Differential: the
 * same calls run with the default (a new array per page, pages retained) must deliver the same
 * events — every page octet for octet, read at its `page-rx-end` (the rule of the buffer) — and
 * the same results; the pages after the first land in the same memory (no page-sized allocation);
 * two calls sharing one buffer, interleaved, each get their own pages; a buffer smaller than a
 * page is outgrown and kept; misuse throws.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T30Engine, type T30EngineOptions, type T30Event } from '../../../src/t30/engine.js';
import { T30PageBuffer, PAGE_BUFFER_MAX_OCTETS } from '../../../src/t30/page-buffer.js';
import type { Bitmap } from '../../../src/t4/bitmap.js';
import { FaxwireError } from '../../../src/util/errors.js';
import { testPage, VirtualCall, type HarnessOptions } from './harness.js';

/** A page of random pels: some 70 kB of MH, several 16 kB ECM blocks with 64-octet frames. */
function noisePage(seed: number, height: number): Bitmap {
  const p = testPage(seed, { height });
  let x = seed >>> 0 || 1;
  for (let i = 0; i < p.data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p.data[i] = x & 0xff;
  }
  return p;
}

interface Scenario {
  readonly name: string;
  readonly pages: readonly Bitmap[];
  readonly caller: Omit<T30EngineOptions, 'role' | 'send'>;
  readonly hooks: HarnessOptions;
}

const corruptFirstImage: HarnessOptions = {
  nonEcm: (c) => (c.from !== 'a' || c.kind !== 'image' || c.signalIndex !== 0 || c.offset === 0 ? undefined : c.data.map((x, i) => (i % 7 === 0 ? x ^ 0x5a : x))),
};

const scenarios: readonly Scenario[] = [
  { name: 'ECM, 3 pages (MMR)', pages: [testPage(300), testPage(301), testPage(302, { height: 400 })], caller: {}, hooks: {} },
  { name: 'ECM, 2 pages (MH)', pages: [testPage(303), testPage(304)], caller: { codings: ['mh'] }, hooks: {} },
  {
    name: 'ECM, 64-octet frames, long pages: several blocks per page, joined in the buffer',
    pages: [noisePage(308, 300), noisePage(309, 200)],
    caller: { ecmFrameSize: 64, codings: ['mh'] },
    hooks: {},
  },
  { name: 'non-ECM, 2 pages (MR)', pages: [testPage(305), testPage(306)], caller: { ecm: false, codings: ['mh', 'mr'] }, hooks: {} },
  { name: 'non-ECM RTN: a damaged copy, then the page again', pages: [testPage(307, { height: 200 })], caller: { ecm: false, codings: ['mh'] }, hooks: corruptFirstImage },
];

interface Run {
  readonly events: { a: T30Event[]; b: T30Event[] };
  readonly results: [unknown, unknown];
  /** Each page's pixels as read at its page-rx-end (hex), and the ArrayBuffer it was in. */
  readonly pages: { readonly hex: string; readonly buffer: ArrayBufferLike }[];
}

function run(s: Scenario, pageBuffer: T30PageBuffer | undefined): Run {
  const a = new T30Engine({ role: 'calling', send: { pages: s.pages }, ident: 'TX', ...s.caller });
  const b = new T30Engine({ role: 'answering', receive: true, ident: 'RX', ...(pageBuffer ? { pageBuffer, retainPages: false } : {}) });
  const pages: Run['pages'][number][] = [];
  const r = new VirtualCall(a, b, {
    ...s.hooks,
    onEvent: (side, ev) => {
      if (side === 'b' && ev.type === 'page-rx-end') pages.push({ hex: Buffer.from(ev.bitmap.data).toString('hex'), buffer: ev.bitmap.data.buffer });
    },
  }).run();
  return { events: { a: r.a.events, b: r.b.events }, results: [r.a.result, r.b.result], pages };
}

/** Events as comparable values, without the pages' pixels (compared apart, as read at the event). */
function comparable(events: readonly T30Event[]): unknown[] {
  return events.map((e) => (e.type === 'page-rx-end' ? { ...e, bitmap: { ...e.bitmap, data: e.bitmap.data.length } } : e));
}

describe('T30Engine pageBuffer (received pages decoded into a shared buffer)', () => {
  for (const s of scenarios) {
    it(`${s.name}: the same call and the same pages as with a new array per page`, () => {
      const plain = run(s, undefined);
      const buf = new T30PageBuffer();
      const shared = run(s, buf);
      assert.deepEqual(shared.results, plain.results);
      assert.equal((plain.results[1] as { ok?: boolean } | undefined)?.ok, true, 'the call succeeded');
      assert.deepEqual(comparable(shared.events.a), comparable(plain.events.a));
      assert.deepEqual(comparable(shared.events.b), comparable(plain.events.b));
      assert.ok(plain.pages.length >= s.pages.length, 'pages were delivered');
      assert.deepEqual(
        shared.pages.map((p) => p.hex),
        plain.pages.map((p) => p.hex),
      );
      if (s.caller.ecmFrameSize === 64) {
        const blocks = shared.events.a.filter((e) => e.type === 'ecm-block-sent' && e.block > 0);
        assert.ok(blocks.length >= 2, 'pages of more than one ECM block');
      }
      // Every page after the first was decoded into the memory the first one left behind.
      for (const p of shared.pages.slice(1)) assert.equal(p.buffer, shared.pages[0]?.buffer);
      assert.ok(buf.octets > 0);
      // The default gives every page memory of its own.
      assert.equal(new Set(plain.pages.map((p) => p.buffer)).size, plain.pages.length);
    });
  }

  it('two calls sharing one buffer, interleaved: each page is its own when read at its event', () => {
    const buf = new T30PageBuffer();
    const docs = [
      [testPage(310), testPage(311), testPage(312)],
      [testPage(313, { height: 300 }), testPage(314), testPage(315)],
    ];
    // The second call runs whole inside the first call's first page event, after that page was
    // read (the harness runs a call to its end, not a step at a time): the two calls' decodes
    // interleave in the one buffer.
    const got: string[][] = [[], []];
    const calls = docs.map((pages, i) => {
      const a = new T30Engine({ role: 'calling', send: { pages }, ident: `TX${i}` });
      const b = new T30Engine({ role: 'answering', receive: true, ident: `RX${i}`, pageBuffer: buf, retainPages: false });
      return { a, b, i };
    });
    const second = calls[1]!;
    let secondRan = false;
    const r0 = new VirtualCall(calls[0]!.a, calls[0]!.b, {
      onEvent: (side, ev) => {
        if (side !== 'b' || ev.type !== 'page-rx-end') return;
        got[0]!.push(Buffer.from(ev.bitmap.data).toString('hex'));
        if (!secondRan) {
          secondRan = true;
          new VirtualCall(second.a, second.b, {
            onEvent: (s2, e2) => {
              if (s2 === 'b' && e2.type === 'page-rx-end') got[1]!.push(Buffer.from(e2.bitmap.data).toString('hex'));
            },
          }).run();
          // The first call's page was overwritten by the second call's pages: the rule holds.
          assert.notEqual(Buffer.from(ev.bitmap.data).toString('hex'), got[0]![0]);
        }
      },
    }).run();
    assert.equal(r0.b.result?.ok, true);
    docs.forEach((pages, i) => {
      assert.equal(got[i]!.length, 3);
      pages.forEach((p, k) => assert.equal(got[i]![k], Buffer.from(p.data).toString('hex'), `call ${i} page ${k + 1}`));
    });
  });

  it('a buffer smaller than the page is outgrown, the page is whole, and the larger array is kept', () => {
    const page = testPage(320, { height: 300 });
    const buf = new T30PageBuffer(216 * 10);
    assert.equal(buf.octets, 2160);
    const r = run({ name: 'small', pages: [page, testPage(321, { height: 300 })], caller: {}, hooks: {} }, buf);
    assert.equal(r.pages[0]?.hex, Buffer.from(page.data).toString('hex'));
    assert.ok(buf.octets >= 216 * 300, `kept ${buf.octets} octets`);
    assert.equal(r.pages[1]?.buffer, r.pages[0]?.buffer, 'the second page reused the grown array');
  });

  it('misuse throws FAXWIRE_ERR_INVALID_ARGUMENT: pageBuffer with pages retained; a bad size', () => {
    const buf = new T30PageBuffer();
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof FaxwireError ? e.code : 'other';
      }
      return undefined;
    };
    assert.equal(code(() => new T30Engine({ role: 'answering', receive: true, pageBuffer: buf })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    assert.equal(code(() => new T30Engine({ role: 'answering', receive: true, pageBuffer: buf, retainPages: true })), 'FAXWIRE_ERR_INVALID_ARGUMENT');
    assert.equal(code(() => new T30Engine({ role: 'answering', receive: true, pageBuffer: buf, retainPages: false })), undefined);
    for (const n of [-1, 1.5, PAGE_BUFFER_MAX_OCTETS + 1]) assert.equal(code(() => new T30PageBuffer(n)), 'FAXWIRE_ERR_INVALID_ARGUMENT', String(n));
  });
});
