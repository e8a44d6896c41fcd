/**
 * CaptureFrameReader (chunk by chunk) against forEachFrame (whole file): the same frames (numbers,
 * times, link types, bytes, offsets), warnings and summary for every capture in ../shared (read at
 * test time), for files cut anywhere, and for random bytes, whatever the chunk boundaries.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { CaptureFrameReader, forEachFrame, writePcap, type FileWarning, type RawFrame } from '../../../src/capture/index.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared');

interface Seen {
  readonly frames: string[];
  readonly warnings: FileWarning[];
  readonly result: string;
}

const show = (f: RawFrame): string => `${f.frame} ${f.timeNs} ${f.linkType} ${f.interfaceId} ${f.originalLength} ${f.offset} ${Buffer.from(f.data).toString('hex')}`;

function whole(bytes: Uint8Array): Seen {
  const frames: string[] = [];
  const warnings: FileWarning[] = [];
  const r = forEachFrame(bytes, (f) => frames.push(show(f)), (w) => warnings.push(w));
  return { frames, warnings, result: JSON.stringify(r.ok ? { ...r.value, n: r.bytesRead } : r.error) };
}

function chunked(bytes: Uint8Array, cuts: readonly number[]): Seen {
  const frames: string[] = [];
  const warnings: FileWarning[] = [];
  const reader = new CaptureFrameReader((f) => frames.push(show(f)), (w) => warnings.push(w));
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    reader.push(bytes.slice(at, Math.max(at, c)));
    at = Math.max(at, c);
  }
  reader.push(bytes.slice(at));
  const r = reader.end();
  return { frames, warnings, result: JSON.stringify(r.ok ? { ...r.value, n: r.bytesRead } : r.error) };
}

function files(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? files(p) : /\.(pcap|pcapng)$/.test(n) ? [p] : [];
  });
}

function small(): Uint8Array {
  return writePcap(
    Array.from({ length: 5 }, (_, i) => ({ timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4000, dstPort: 4002, proto: 'udp' as const, payload: Uint8Array.of(i, 1, 2, 3) })),
  );
}

describe('CaptureFrameReader = forEachFrame, chunk by chunk', () => {
  it('every ../shared capture, in chunks of 1, 7, 4096 octets and at random cuts', (t) => {
    const caps = files(SHARED);
    if (caps.length === 0) {
      process.stderr.write('frame-reader: ../shared absent — the corpus part is SKIPPED\n');
      t.skip('../shared absent');
      return;
    }
    for (const p of caps) {
      const b = new Uint8Array(readFileSync(p));
      const want = whole(b);
      assert.ok(want.frames.length > 0, p);
      for (const size of [1, 7, 4096]) {
        const cuts: number[] = [];
        for (let i = size; i < b.length; i += size) cuts.push(i);
        assert.deepEqual(chunked(b, cuts), want, `${p} in chunks of ${size}`);
      }
    }
  });

  it('a file cut anywhere (truncated header, record, block): the same warnings and summary', () => {
    const bases = [small(), ...files(SHARED).filter((p) => p.endsWith('.pcapng')).map((p) => new Uint8Array(readFileSync(p)).subarray(0, 3000))];
    for (const b of bases) {
      for (let end = 0; end <= Math.min(b.length, 400); end++) {
        const cut = b.subarray(0, end);
        assert.deepEqual(chunked(cut, [3, 17, 30, 64]), whole(cut), `cut at ${end}`);
      }
    }
  });

  it('property: random bytes behind a real header, any cuts — never throws, same as the whole-file reader', () => {
    const head = small().subarray(0, 24);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(400), { maxLength: 6 }), fc.boolean(), (tail, cuts, withHead) => {
        const b = withHead ? Uint8Array.from([...head, ...tail]) : tail;
        assert.deepEqual(chunked(b, cuts), whole(b));
      }),
      { numRuns: 400 },
    );
  });
});
