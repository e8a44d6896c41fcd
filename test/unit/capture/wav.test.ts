/**
 * WAV reader/writer (src/capture/wav.ts) and the linear/G.711 helper on top of it
 * (src/analyze/audio-file.ts): a hand-assembled file byte by byte, WAVE_FORMAT_EXTENSIBLE,
 * chunk order and odd-size padding, stereo, truncation (tolerated and flagged), every typed
 * error, writer → reader round trips (fast-check), and random bytes never throwing.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseWav, writeWav, type WavAudio, type WavErrorCode } from '../../../src/capture/wav.js';
import { decodeAudioFile, encodeAudioFile } from '../../../src/analyze/audio-file.js';
import { ALAW_TO_LINEAR, LINEAR_TO_ULAW, ULAW_TO_LINEAR } from '../../../src/g711/index.js';
import { FaxwireError } from '../../../src/util/errors.js';

/** Concatenates text (latin1), octet lists and byte arrays. */
function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** A little-endian field of `w` octets. */
function f(v: number, w: 2 | 4): Uint8Array {
  const out = new Uint8Array(w);
  for (let i = 0; i < w; i++) out[i] = (v >>> (8 * i)) & 0xff;
  return out;
}

function chunk(id: string, body: Uint8Array, declared = body.length): Uint8Array {
  return bytes(id, f(declared, 4), body, body.length & 1 ? [0] : []);
}

function fmtBody(tag: number, ch: number, rate: number, bits: number, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  const align = (ch * bits) / 8;
  return bytes(f(tag, 2), f(ch, 2), f(rate, 4), f(rate * align, 4), f(align, 2), f(bits, 2), extra);
}

function riff(...chunks: Uint8Array[]): Uint8Array {
  const body = bytes('WAVE', ...chunks);
  return bytes('RIFF', f(body.length, 4), body);
}

function assertErr(r: ReturnType<typeof parseWav>, code: WavErrorCode): void {
  assert.equal(r.ok, false, 'expected an error');
  if (!r.ok) assert.equal(r.error.code, code, r.error.message);
}

function value(r: ReturnType<typeof parseWav>): WavAudio {
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

test('PCM 16-bit mono: a hand-assembled file, sample by sample', () => {
  const data = bytes(f(0x0001, 2), f(0xffff, 2), f(0x8000, 2), f(0x7fff, 2));
  const file = riff(chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', data));
  const w = value(parseWav(file));
  assert.equal(w.format, 'slin');
  assert.equal(w.sampleRate, 8000);
  assert.equal(w.channels, 1);
  assert.equal(w.frames, 4);
  assert.equal(w.truncated, false);
  assert.deepEqual([...(w.data[0] as Int16Array)], [1, -1, -32768, 32767]);
});

test('A-law and µ-law mono, and the writer produces the same bytes (fmt 18 + fact)', () => {
  for (const [tag, format] of [
    [6, 'alaw'],
    [7, 'ulaw'],
  ] as const) {
    const codes = Uint8Array.of(0xd5, 0x55, 0x00, 0xff, 0x7f);
    const file = riff(chunk('fmt ', fmtBody(tag, 1, 8000, 8, bytes(f(0, 2)))), chunk('fact', bytes(f(5, 4))), chunk('data', codes));
    const w = value(parseWav(file));
    assert.equal(w.format, format);
    assert.deepEqual([...(w.data[0] as Uint8Array)], [...codes]);
    assert.deepEqual(writeWav(codes, { format, sampleRate: 8000 }), file, `${format}: writer bytes`);
  }
});

test('WAVE_FORMAT_EXTENSIBLE with PCM, A-law and µ-law SubFormats; a foreign GUID is refused', () => {
  const tail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  for (const [sub, bits, format] of [
    [1, 16, 'slin'],
    [6, 8, 'alaw'],
    [7, 8, 'ulaw'],
  ] as const) {
    const ext = bytes(f(22, 2), f(bits, 2), f(4, 4), f(sub, 2), tail);
    const data = bits === 16 ? bytes(f(1000, 2), f(2000, 2)) : Uint8Array.of(1, 2);
    const w = value(parseWav(riff(chunk('fmt ', fmtBody(0xfffe, 1, 8000, bits, ext)), chunk('data', data))));
    assert.equal(w.format, format);
    assert.equal(w.formatTag, 0xfffe);
    assert.equal(w.frames, 2);
  }
  const badGuid = bytes(f(22, 2), f(16, 2), f(4, 4), f(1, 2), tail.map((x, i) => (i === 13 ? x ^ 1 : x)));
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(0xfffe, 1, 8000, 16, badGuid)), chunk('data', new Uint8Array(4)))), 'unsupported-format');
  const short = bytes(f(0, 2));
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(0xfffe, 1, 8000, 16, short)), chunk('data', new Uint8Array(4)))), 'bad-fmt-chunk');
});

test('any chunk order, odd-size chunks padded, unknown chunks skipped, first fmt/data win', () => {
  const data = bytes(f(7, 2), f(-7 & 0xffff, 2), f(300, 2));
  const list = chunk('LIST', bytes('INFOISFT', f(3, 4), 'ab\0')); // odd inner size, padded body
  const odd = chunk('junk', Uint8Array.of(1, 2, 3)); // odd size: one pad octet follows
  assert.equal(odd.length, 8 + 4);
  const file = riff(odd, chunk('data', data), list, chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', new Uint8Array(8)));
  const w = value(parseWav(file));
  assert.deepEqual([...(w.data[0] as Int16Array)], [7, -7, 300]);
  // A missing pad octet after a last odd chunk is tolerated.
  const noPad = bytes(riff(chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', bytes(f(5, 2)))), 'abcd', f(1, 4), [9]);
  assert.equal(value(parseWav(noPad)).frames, 1);
});

test('stereo: channels de-interleaved; audio-file takes channel 1 or 2', () => {
  const data = bytes(f(1, 2), f(-1 & 0xffff, 2), f(2, 2), f(-2 & 0xffff, 2), f(3, 2), f(-3 & 0xffff, 2));
  const file = riff(chunk('fmt ', fmtBody(1, 2, 8000, 16)), chunk('data', data));
  const w = value(parseWav(file));
  assert.equal(w.channels, 2);
  assert.deepEqual([...(w.data[0] as Int16Array)], [1, 2, 3]);
  assert.deepEqual([...(w.data[1] as Int16Array)], [-1, -2, -3]);
  const c2 = decodeAudioFile(file, { kind: 'wav', channel: 2 });
  assert.ok(c2.ok);
  if (c2.ok) assert.deepEqual([...c2.value.samples], [-1, -2, -3]);
  const c3 = decodeAudioFile(file, { kind: 'wav', channel: 3 });
  assert.ok(!c3.ok && /channel 3 asked, the file has 2 channels/.test(c3.error));
  // Stereo µ-law.
  const u = riff(chunk('fmt ', fmtBody(7, 2, 8000, 8, bytes(f(0, 2)))), chunk('data', Uint8Array.of(0x10, 0x20, 0x11, 0x21)));
  const wu = value(parseWav(u));
  assert.deepEqual([...(wu.data[1] as Uint8Array)], [0x20, 0x21]);
  const lin = decodeAudioFile(u, { kind: 'wav', channel: 2 });
  assert.ok(lin.ok);
  if (lin.ok) assert.deepEqual([...lin.value.samples], [ULAW_TO_LINEAR[0x20], ULAW_TO_LINEAR[0x21]]);
});

test('truncation: a data chunk cut short is used up to its last whole frame and flagged; a sweep never throws', () => {
  const n = 50;
  const samples = Int16Array.from({ length: n }, (_, i) => i * 100 - 2000);
  const file = writeWav([samples, samples.map((x) => -x)], { format: 'slin', sampleRate: 8000 });
  const header = file.length - n * 4;
  for (let cut = 0; cut <= file.length; cut++) {
    const r = parseWav(file.subarray(0, cut));
    if (cut < 12) assertErr(r, 'too-short');
    else if (cut < 12 + 8 + 16) assertErr(r, cut < 12 + 8 ? 'no-fmt-chunk' : 'bad-fmt-chunk');
    else if (cut < header) assertErr(r, 'no-data-chunk');
    else {
      const w = value(r);
      assert.equal(w.frames, Math.floor((cut - header) / 4), `cut ${cut}`);
      assert.equal(w.truncated, cut !== file.length, `cut ${cut}`);
      assert.deepEqual([...(w.data[0] as Int16Array)], [...samples.subarray(0, w.frames)]);
    }
  }
});

test('typed errors for everything that is not 8-bit G.711 or 16-bit PCM, mono or stereo', () => {
  const data = chunk('data', new Uint8Array(8));
  assertErr(parseWav(new Uint8Array(0)), 'too-short');
  assertErr(parseWav(bytes('RIFX', f(4, 4), 'WAVE')), 'not-riff');
  assertErr(parseWav(bytes('RF64', f(4, 4), 'WAVE')), 'not-riff');
  assertErr(parseWav(bytes('RIFF', f(4, 4), 'AVI ')), 'not-wave');
  assertErr(parseWav(riff(data)), 'no-fmt-chunk');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(1, 1, 8000, 16)))), 'no-data-chunk');
  assertErr(parseWav(riff(chunk('fmt ', new Uint8Array(14)), data)), 'bad-fmt-chunk');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(3, 1, 8000, 32)), data)), 'unsupported-format'); // IEEE float
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(0x11, 1, 8000, 4)), data)), 'unsupported-format'); // IMA ADPCM
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(1, 1, 8000, 8)), data)), 'unsupported-bits-per-sample');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(1, 1, 8000, 24)), data)), 'unsupported-bits-per-sample');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(6, 1, 8000, 16)), data)), 'unsupported-bits-per-sample');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(1, 3, 8000, 16)), data)), 'unsupported-channels');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(1, 0, 8000, 16)), data)), 'unsupported-channels');
  assertErr(parseWav(riff(chunk('fmt ', fmtBody(1, 1, 0, 16)), data)), 'bad-sample-rate');
  const badAlign = fmtBody(1, 1, 8000, 16);
  badAlign[12] = 4;
  assertErr(parseWav(riff(chunk('fmt ', badAlign), data)), 'bad-block-align');
  // A RIFF size that disagrees with the file (streaming writers) is tolerated.
  const file = writeWav(Int16Array.of(1, 2, 3), { format: 'slin', sampleRate: 8000 });
  file.set([0xff, 0xff, 0xff, 0xff], 4);
  assert.equal(value(parseWav(file)).frames, 3);
});

test('writeWav: API misuse throws FaxwireError', () => {
  const bad = (fn: () => unknown): void => assert.throws(fn, (e) => e instanceof FaxwireError && e.code === 'FAXWIRE_ERR_INVALID_ARGUMENT');
  bad(() => writeWav(new Uint8Array(4), { format: 'slin', sampleRate: 8000 }));
  bad(() => writeWav(new Int16Array(4), { format: 'alaw', sampleRate: 8000 }));
  bad(() => writeWav([new Int16Array(4), new Int16Array(3)], { format: 'slin', sampleRate: 8000 }));
  bad(() => writeWav([], { format: 'slin', sampleRate: 8000 }));
  bad(() => writeWav([new Int16Array(1), new Int16Array(1), new Int16Array(1)], { format: 'slin', sampleRate: 8000 }));
  bad(() => writeWav(new Int16Array(4), { format: 'slin', sampleRate: 0 }));
});

test('round trip (fast-check): writeWav → parseWav gives back every channel, any format, 1–2 channels', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('slin' as const, 'alaw' as const, 'ulaw' as const),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 96000 }),
      fc.integer(),
      (format, nch, frames, sampleRate, seed) => {
        let x = seed >>> 0 || 1;
        const rnd = (): number => {
          x ^= x << 13;
          x >>>= 0;
          x ^= x >>> 17;
          x ^= x << 5;
          x >>>= 0;
          return x;
        };
        const chans = Array.from({ length: nch }, () =>
          format === 'slin' ? Int16Array.from({ length: frames }, () => (rnd() & 0xffff) - 32768) : Uint8Array.from({ length: frames }, () => rnd() & 0xff),
        );
        const w = value(parseWav(writeWav(chans, { format, sampleRate })));
        assert.equal(w.format, format);
        assert.equal(w.sampleRate, sampleRate);
        assert.equal(w.frames, frames);
        assert.equal(w.truncated, false);
        for (let c = 0; c < nch; c++) assert.deepEqual(Array.from(w.data[c] as ArrayLike<number>), Array.from(chans[c] as ArrayLike<number>));
      },
    ),
    { numRuns: 200 },
  );
});

test('parseWav never throws on mutated or random bytes (fast-check)', () => {
  const seed = writeWav([Int16Array.of(1, 2, 3, 4), Int16Array.of(5, 6, 7, 8)], { format: 'slin', sampleRate: 8000 });
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), fc.nat(), (edits, cut) => {
      const b = Uint8Array.from(seed);
      for (const [at, v] of edits) b[at % b.length] = v;
      parseWav(b.subarray(0, cut % (b.length + 1)));
    }),
    { numRuns: 500 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void parseWav(bytes('RIFF', f(b.length + 4, 4), 'WAVE', b))), { numRuns: 500 });
});

test('audio-file: raw slin/alaw/ulaw and WAV, encode → decode', () => {
  const s = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  for (const kind of ['raw', 'wav'] as const) {
    for (const format of ['slin', 'alaw', 'ulaw'] as const) {
      const file = encodeAudioFile(s, kind, format);
      const r = decodeAudioFile(file, kind === 'raw' ? { kind, format } : { kind });
      assert.ok(r.ok);
      if (!r.ok) continue;
      assert.equal(r.value.format, format);
      assert.equal(r.value.samples.length, s.length);
      if (format === 'slin') assert.deepEqual([...r.value.samples], [...s]);
      else {
        // G.711 is lossy but its step is at most 1/16 of the value plus a little (G.711 §2/§3).
        for (let i = 0; i < s.length; i++) assert.ok(Math.abs((r.value.samples[i] as number) - (s[i] as number)) <= Math.abs(s[i] as number) / 16 + 16);
      }
    }
  }
  assert.equal(decodeAudioFile(Uint8Array.of(0x55), { kind: 'raw', format: 'alaw' }).ok && ALAW_TO_LINEAR[0x55], ALAW_TO_LINEAR[0x55]);
  const odd = decodeAudioFile(Uint8Array.of(1, 0, 2), { kind: 'raw' });
  assert.ok(odd.ok && odd.value.truncated && odd.value.samples.length === 1);
  assert.equal(LINEAR_TO_ULAW.length, 65536);
  const notWav = decodeAudioFile(Uint8Array.of(1, 2, 3), { kind: 'wav' });
  assert.ok(!notWav.ok && /not a usable WAV file/.test(notWav.error));
});
