/**
 * AudioToT38, the audio → T.38 half of the gateway: audio made by the audio terminal's own line
 * (AudioLine: tones, V.21 HDLC bursts, TCF, non-ECM pages, ECM frames on the fast modems) goes in;
 * the IFP sequence that comes out is checked kind by kind, and the frames and page bits it
 * carries are compared with what was sent. Real modems for every modulation and rate; the ideal
 * kit (test/sim/fake-modems.ts) where only the logic matters (fill removal, TCF judging, bad FCS).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AudioToT38, type AudioToT38Options, type TcfStats } from '../../../src/fax/gateway/audio-to-t38.js';
import type { GatewayIfp } from '../../../src/fax/gateway/types.js';
import { AudioLine, type AudioModemKit } from '../../../src/fax/terminal/audio-line.js';
import { FAXWIRE_MODEMS } from '../../../src/fax/terminal/modem-kit.js';
import { HdlcFramer } from '../../../src/hdlc/index.js';
import { drawText, fillRect } from '../../../src/image/text.js';
import { FAX_MODULATION_BIT_RATE, type FaxModulation } from '../../../src/modem/modulation.js';
import { END_OF_DATA } from '../../../src/modem/types.js';
import { dcsRateCode, emptyDisFields, encodeDis } from '../../../src/t30/dis.js';
import type { T30TxStep } from '../../../src/t30/line.js';
import { stepForModulation } from '../../../src/t30/negotiate.js';
import { encodeIfp, type Ifp } from '../../../src/t38/ifp.js';
import { createBitmap, type Bitmap } from '../../../src/t4/bitmap.js';
import { decodeT4, encodeT4 } from '../../../src/t4/index.js';
import { lineModel } from '../../sim/line.js';
import { FAKE_MODEMS } from '../../sim/fake-modems.js';

// ---------------------------------------------------------------------------------------------
// What the fax machine sends

const TSI = Uint8Array.of(0xff, 0xc0, 0xc2, ...Array.from('          4321 555', (c) => c.charCodeAt(0)).reverse());

function dcs(m: FaxModulation, ecm: boolean): Uint8Array {
  const step = stepForModulation(m);
  assert.ok(step);
  const fif = encodeDis({ ...emptyDisFields('DCS'), receiverFax: true, rateCode: dcsRateCode(step.modem, step.bitRate), twoDimensional: true, lengthCode: 0b01, ecm });
  return Uint8Array.of(0xff, 0xc8, 0xc1, ...fif);
}

const EOP = Uint8Array.of(0xff, 0xc8, 0xf4);

function page(rows = 24): Bitmap {
  const b = createBitmap(1728, rows, { x: 204, y: 98 });
  fillRect(b, 20, 2, 1688, 3, true);
  drawText(b, 60, 6, 'faxwire gateway 0123', 2, 2);
  return b;
}

function pageData(m: FaxModulation, minRowMs = 10, rows = 24): Uint8Array {
  return encodeT4(page(rows), { coding: 'mr', k: 2, minRowBits: Math.ceil((minRowMs * FAX_MODULATION_BIT_RATE[m]) / 1000) });
}

/** The audio AudioLine sends for `steps` (20 ms blocks), then 200 ms of silence. */
function render(steps: readonly T30TxStep[], kit: AudioModemKit = FAXWIRE_MODEMS): Int16Array {
  const line = new AudioLine({ kit });
  line.queue(steps, 0);
  const blocks: Int16Array[] = [];
  for (let k = 0; line.pendingSteps > 0 && k < 10_000; k++) {
    const b = new Int16Array(160);
    line.transmit(b, 0, 160);
    blocks.push(b);
  }
  for (let k = 0; k < 10; k++) blocks.push(new Int16Array(160));
  const out = new Int16Array(blocks.length * 160);
  blocks.forEach((b, i) => out.set(b, i * 160));
  return out;
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the gateway makes of it

interface Run {
  readonly ifps: GatewayIfp[];
  readonly gw: AudioToT38;
}

function run(samples: Int16Array, o: Omit<AudioToT38Options, 'kit'> & { kit?: AudioModemKit } = {}, block = 160, lose?: (k: number) => boolean): Run {
  const ifps: GatewayIfp[] = [];
  const gw = new AudioToT38(o, (p) => ifps.push(p));
  for (let at = 0, k = 0; at < samples.length; at += block, k++) {
    const n = Math.min(block, samples.length - at);
    if (lose?.(k) === true) gw.fillIn(n);
    else gw.receive(samples, at, n);
  }
  // Every IFP must encode in both ASN.1 modules (no empty field-data, known values).
  for (const p of ifps) {
    encodeIfp(p.ifp, 0);
    encodeIfp(p.ifp, 3);
  }
  return { ifps, gw };
}

/** One word per IFP: the indicator, or the field type (with `:n` octets of data). */
function word(i: Ifp): string {
  if (i.type === 't30-indicator') return i.indicator;
  const f = i.fields?.[0];
  return f === undefined ? `${i.dataType}:?` : f.type;
}

/** The IFP kinds with runs of the same word collapsed to `word×n` (as spandsp-peer's trace_summary.sh). */
function summary(ifps: readonly GatewayIfp[]): string[] {
  const out: string[] = [];
  let last = '';
  let n = 0;
  const push = (): void => {
    if (n > 0) out.push(n === 1 ? last : `${last}×${n}`);
  };
  for (const p of ifps) {
    const w = word(p.ifp);
    if (w === last) {
      n++;
      continue;
    }
    push();
    last = w;
    n = 1;
  }
  push();
  return out;
}

/** Summary with the repetition counts of data runs replaced by `×*` (counts depend on timing). */
function shape(ifps: readonly GatewayIfp[]): string[] {
  return summary(ifps).map((w) => w.replace(/×\d+$/, '×*'));
}

function fieldData(p: GatewayIfp): Uint8Array | undefined {
  return p.ifp.type === 't30-data' ? p.ifp.fields?.[0]?.data : undefined;
}

/** HDLC frames carried by the IFPs: hdlc-data pieces up to each fcs-OK/BAD. */
function frames(ifps: readonly GatewayIfp[]): { frame: Uint8Array; ok: boolean; dataType: string }[] {
  const out: { frame: Uint8Array; ok: boolean; dataType: string }[] = [];
  let parts: number[] = [];
  for (const p of ifps) {
    if (p.ifp.type !== 't30-data') continue;
    const t = p.ifp.fields?.[0]?.type;
    if (t === 'hdlc-data') parts.push(...(fieldData(p) ?? []));
    if (t === 'hdlc-fcs-OK' || t === 'hdlc-fcs-BAD') {
      out.push({ frame: Uint8Array.from(parts), ok: t === 'hdlc-fcs-OK', dataType: p.ifp.dataType });
      parts = [];
    }
  }
  return out;
}

/** The non-ECM bursts: octets of each burst (data and sig-end) in order. */
function nonEcmBursts(ifps: readonly GatewayIfp[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let cur: number[] | undefined;
  for (const p of ifps) {
    if (p.ifp.type !== 't30-data') continue;
    const t = p.ifp.fields?.[0]?.type;
    if (t !== 't4-non-ecm-data' && t !== 't4-non-ecm-sig-end') continue;
    cur ??= [];
    cur.push(...(fieldData(p) ?? []));
    if (t === 't4-non-ecm-sig-end') {
      out.push(Uint8Array.from(cur));
      cur = undefined;
    }
  }
  return out;
}

function bitsOf(d: Uint8Array): Uint8Array {
  const b = new Uint8Array(d.length * 8);
  for (let i = 0; i < b.length; i++) b[i] = ((d[i >> 3] as number) >> (7 - (i & 7))) & 1;
  return b;
}

/** Index of the first bit after the first EOL (eleven 0s then a 1), or −1. */
function afterFirstEol(bits: Uint8Array): number {
  let zeros = 0;
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] === 0) zeros++;
    else if (zeros >= 11) return i + 1;
    else zeros = 0;
  }
  return -1;
}

function decodePage(d: Uint8Array): { rows: number; badRows: number; bitmap: Bitmap } {
  const r = decodeT4(d, { coding: 'mr', width: 1728, skipToFirstEol: true });
  return { rows: r.rows, badRows: r.badRows, bitmap: r.bitmap };
}

function samePixels(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < (a.width + 7) >> 3; x++) if (a.data[y * a.stride + x] !== b.data[y * b.stride + x]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

const FAST: readonly FaxModulation[] = ['v27ter-2400', 'v27ter-4800', 'v29-7200', 'v29-9600', 'v17-7200', 'v17-9600', 'v17-12000', 'v17-14400'];

function nonEcmCall(m: FaxModulation, data: Uint8Array, tcfMs = 1500): T30TxStep[] {
  return [
    { kind: 'silence', ms: 100 },
    { kind: 'hdlc', modulation: 'v21', frames: [TSI, dcs(m, false)] },
    { kind: 'silence', ms: 75 },
    { kind: 'tcf', modulation: m, ms: tcfMs },
    { kind: 'silence', ms: 200 },
    { kind: 'image', modulation: m, shortTrain: true, data },
    { kind: 'silence', ms: 75 },
    { kind: 'hdlc', modulation: 'v21', frames: [EOP] },
    { kind: 'silence', ms: 100 },
  ];
}

const CHUNK_14400 = 54;

function chunkOctets(m: FaxModulation, ms = 30): number {
  return Math.max(1, Math.round((ms * FAX_MODULATION_BIT_RATE[m]) / 8000));
}

function longIndicator(m: FaxModulation): string {
  const [modem, rate] = m.split('-') as [string, string];
  return modem === 'v17' ? `v17-${rate}-long-training` : `${modem === 'v27ter' ? 'v27' : modem}-${rate}-training`;
}

function shortIndicator(m: FaxModulation): string {
  return m.startsWith('v17') ? longIndicator(m).replace('long', 'short') : longIndicator(m);
}

/** Each IFP's UDPTL category follows from what it is (T.38 §7 / spandsp's categories). */
function assertCategories(ifps: readonly GatewayIfp[]): void {
  for (const p of ifps) {
    const w = word(p.ifp);
    if (p.ifp.type === 't30-indicator') {
      assert.equal(p.category, 'indicator', w);
      continue;
    }
    const v21 = p.ifp.dataType === 'v21';
    const end = w.endsWith('sig-end');
    assert.equal(p.category, v21 ? (end ? 'control-end' : 'control') : end ? 'image-end' : 'image', `${p.ifp.dataType} ${w}`);
  }
}

const V21_HEAD = ['no-signal', 'v21-preamble', 'hdlc-data', 'hdlc-fcs-OK', 'hdlc-data', 'hdlc-fcs-OK', 'hdlc-sig-end', 'no-signal'];
const V21_TAIL = ['v21-preamble', 'hdlc-data', 'hdlc-fcs-OK', 'hdlc-sig-end', 'no-signal'];

describe('AudioToT38: non-ECM over the real modems, every modulation', () => {
  for (const m of FAST) {
    it(`${m}: DCS, TCF, page, EOP`, () => {
      const data = pageData(m);
      const { ifps, gw } = run(render(nonEcmCall(m, data)));
      assert.deepEqual(shape(ifps), [
        ...V21_HEAD,
        longIndicator(m),
        't4-non-ecm-data×*',
        't4-non-ecm-sig-end',
        'no-signal',
        shortIndicator(m),
        't4-non-ecm-data×*',
        't4-non-ecm-sig-end',
        'no-signal',
        ...V21_TAIL,
      ]);
      assertCategories(ifps);
      // V.21 frames relayed as sent.
      assert.deepEqual(
        frames(ifps).map((f) => [f.ok, Array.from(f.frame)]),
        [TSI, dcs(m, false), EOP].map((f) => [true, Array.from(f)]),
      );
      // Full chunks of 30 ms of data, the rest in the sig-end.
      const chunk = chunkOctets(m);
      for (const p of ifps) {
        if (word(p.ifp) === 't4-non-ecm-data') assert.equal(fieldData(p)?.length, chunk);
        if (word(p.ifp) === 't4-non-ecm-sig-end') assert.ok((fieldData(p)?.length ?? 0) < chunk);
      }
      const [tcf, pg] = nonEcmBursts(ifps) as [Uint8Array, Uint8Array];
      // TCF: 1.5 s of zeros at the rate (± the modem's edges), nearly all zero octets.
      const tcfMs = (tcf.length * 8000) / FAX_MODULATION_BIT_RATE[m];
      assert.ok(tcfMs > 1400 && tcfMs < 1600, `TCF ${tcfMs} ms`);
      // Non-zero octets only at the edges: the tail of the training's scrambled ones (< 10 ms)
      // and the shutdown sequence and carrier-off detection (< 50 ms), which the receivers hand on as bits.
      const octetsPerMs = FAX_MODULATION_BIT_RATE[m] / 8000;
      const nz = [...tcf.keys()].filter((i) => tcf[i] !== 0);
      assert.ok(nz.every((i) => i < 10 * octetsPerMs || i >= tcf.length - 50 * octetsPerMs), `TCF non-zero octets at ${nz.join(',')}`);
      // Page: from the first EOL on, the bits relayed are the bits sent.
      const sent = bitsOf(data);
      const got = bitsOf(pg);
      const s0 = afterFirstEol(sent);
      const g0 = afterFirstEol(got);
      assert.ok(s0 > 0 && g0 > 0);
      assert.ok(got.length - g0 >= sent.length - s0, `relayed ${got.length - g0} bits after the EOL, sent ${sent.length - s0}`);
      let diff = 0;
      for (let i = 0; i < sent.length - s0; i++) if (sent[s0 + i] !== got[g0 + i]) diff++;
      assert.equal(diff, 0, 'page bits differ');
      const dec = decodePage(pg);
      assert.equal(dec.rows, 24);
      assert.equal(dec.badRows, 0);
      assert.ok(samePixels(dec.bitmap, page()));
      const st = gw.getStats();
      assert.equal(st.fastTrainings, 2);
      assert.equal(st.framesRelayed, 3);
      assert.equal(st.nonEcmOctetsRelayed, tcf.length + pg.length);
      assert.equal(st.ifps, ifps.length);
    });
  }
});

function fcd(seq: number, fill: number): Uint8Array {
  const f = new Uint8Array(260);
  f.set([0xff, 0xc0, 0x60, seq]);
  for (let i = 4; i < 260; i++) f[i] = (fill + i * 7) & 0xff;
  return f;
}

const RCP = Uint8Array.of(0xff, 0xc0, 0x61);
const PPS_EOP = Uint8Array.of(0xff, 0xc8, 0xfd, 0x74, 0x00, 0x00, 0x01);

function ecmCall(m: FaxModulation): { steps: T30TxStep[]; fast: Uint8Array[] } {
  const fast = [fcd(0, 1), fcd(1, 2), RCP, RCP, RCP];
  return {
    fast,
    steps: [
      { kind: 'silence', ms: 100 },
      { kind: 'hdlc', modulation: 'v21', frames: [TSI, dcs(m, true)] },
      { kind: 'silence', ms: 75 },
      { kind: 'tcf', modulation: m, ms: 1500 },
      { kind: 'silence', ms: 200 },
      { kind: 'hdlc', modulation: m, frames: fast, shortTrain: true },
      { kind: 'silence', ms: 75 },
      { kind: 'hdlc', modulation: 'v21', frames: [PPS_EOP] },
      { kind: 'silence', ms: 100 },
    ],
  };
}

describe('AudioToT38: ECM over the real modems, every modulation', () => {
  for (const m of FAST) {
    it(`${m}: DCS, TCF, 2 FCD + 3 RCP, PPS`, () => {
      const call = ecmCall(m);
      const { ifps } = run(render(call.steps));
      assert.deepEqual(shape(ifps), [
        ...V21_HEAD,
        longIndicator(m),
        't4-non-ecm-data×*',
        't4-non-ecm-sig-end',
        'no-signal',
        shortIndicator(m),
        ...(chunkOctets(m) < 260 ? ['hdlc-data×*'] : ['hdlc-data']),
        'hdlc-fcs-OK',
        ...(chunkOctets(m) < 260 ? ['hdlc-data×*'] : ['hdlc-data']),
        'hdlc-fcs-OK',
        'hdlc-data',
        'hdlc-fcs-OK',
        'hdlc-data',
        'hdlc-fcs-OK',
        'hdlc-data',
        'hdlc-fcs-OK',
        'hdlc-sig-end',
        'no-signal',
        ...V21_TAIL,
      ]);
      assertCategories(ifps);
      const fr = frames(ifps);
      assert.deepEqual(
        fr.filter((f) => f.dataType !== 'v21').map((f) => [f.ok, Array.from(f.frame)]),
        call.fast.map((f) => [true, Array.from(f)]),
      );
      assert.deepEqual(
        fr.filter((f) => f.dataType === 'v21').map((f) => Array.from(f.frame)),
        [TSI, dcs(m, true), PPS_EOP].map((f) => Array.from(f)),
      );
      for (const p of ifps) {
        if (word(p.ifp) === 'hdlc-data' && p.ifp.type === 't30-data' && p.ifp.dataType !== 'v21') assert.ok((fieldData(p)?.length ?? 0) <= chunkOctets(m));
      }
    });
  }
});

describe('AudioToT38: signals and frames', () => {
  it('CNG and CED become indicators, each followed by no-signal when the tone stops', () => {
    const samples = render([
      { kind: 'silence', ms: 100 },
      { kind: 'tone', tone: 'cng', ms: 500 },
      { kind: 'silence', ms: 500 },
      { kind: 'tone', tone: 'ced', ms: 2600 },
      { kind: 'silence', ms: 75 },
    ]);
    const active: boolean[] = [];
    const ifps: GatewayIfp[] = [];
    const gw = new AudioToT38({}, (p) => ifps.push(p));
    for (let at = 0; at < samples.length; at += 160) {
      gw.receive(samples, at, Math.min(160, samples.length - at));
      active.push(gw.signalActive);
    }
    assert.deepEqual(summary(ifps), ['no-signal', 'cng', 'no-signal', 'ced', 'no-signal']);
    assertCategories(ifps);
    assert.equal(gw.getStats().tones, 2);
    // Active while a tone is relayed, idle between and after.
    assert.equal(active[0], false);
    assert.ok(active.some((a) => a));
    assert.equal(active.at(-1), false);
  });

  it('a frame with a bad FCS is relayed as hdlc-fcs-BAD; the fast signal after a DCS lost that way is not relayed', () => {
    const framer = new HdlcFramer({ bitOrder: 'msb-first' });
    framer.preambleFlags(38);
    framer.sendFrame(TSI);
    framer.sendFrame(dcs('v29-9600', false), false);
    framer.finish();
    const kit = FAKE_MODEMS;
    const tx = kit.transmitter('v21', framer, {});
    const buf = new Int16Array(160 * 200);
    const v21 = buf.subarray(0, tx.tx(buf, 0, buf.length));
    const tcf = render([{ kind: 'tcf', modulation: 'v29-9600', ms: 1500 }], kit);
    const { ifps, gw } = run(concat(new Int16Array(800), v21, new Int16Array(600), tcf), { kit });
    assert.deepEqual(summary(ifps), ['no-signal', 'v21-preamble', 'hdlc-data', 'hdlc-fcs-OK', 'hdlc-data', 'hdlc-fcs-BAD', 'hdlc-sig-end', 'no-signal']);
    assert.deepEqual(
      frames(ifps).map((f) => [f.ok, Array.from(f.frame)]),
      [
        [true, Array.from(TSI)],
        [false, Array.from(dcs('v29-9600', false))],
      ],
    );
    const st = gw.getStats();
    assert.equal(st.framesBad, 1);
    assert.equal(st.hdlcFcsBad, 1);
    assert.equal(st.fastTrainings, 0); // known gap: no DCS heard, no fast receiver (module comment)
  });

  it('the editor rewrites V.21 frames before they leave; onFrame sees what was relayed', () => {
    const seen: string[] = [];
    const edited = Uint8Array.of(0xff, 0xc0, 0xc2, 0x41, 0x42);
    const editor = {
      calls: [] as string[],
      edit(frame: Uint8Array, from: 'audio' | 't38'): Uint8Array {
        this.calls.push(`${from}:${(frame[2] as number).toString(16)}`);
        return frame[2] === 0xc2 ? edited : frame;
      },
    };
    const { ifps, gw } = run(render(ecmCall('v17-14400').steps, FAKE_MODEMS), {
      kit: FAKE_MODEMS,
      editor,
      onFrame: (f, ok, m, from) => seen.push(`${from}:${m}:${ok}:${f.length}`),
    });
    // Only V.21 frames go through the editor (TSI, DCS, PPS), not the ECM data frames.
    assert.deepEqual(editor.calls, ['audio:c2', 'audio:c1', 'audio:fd']);
    assert.deepEqual(Array.from(frames(ifps)[0]?.frame ?? []), Array.from(edited));
    assert.equal(gw.getStats().framesEdited, 1);
    assert.deepEqual(seen, [
      'audio:v21:true:5',
      `audio:v21:true:${dcs('v17-14400', true).length}`,
      'audio:v17-14400:true:260',
      'audio:v17-14400:true:260',
      'audio:v17-14400:true:3',
      'audio:v17-14400:true:3',
      'audio:v17-14400:true:3',
      `audio:v21:true:${PPS_EOP.length}`,
    ]);
  });

  it('chunkMs sets the octets per data IFP (20 ms at 14 400 bit/s = 36)', () => {
    const { ifps } = run(render(nonEcmCall('v17-14400', pageData('v17-14400')), FAKE_MODEMS), { kit: FAKE_MODEMS, chunkMs: 20 });
    const sizes = new Set(ifps.filter((p) => word(p.ifp) === 't4-non-ecm-data').map((p) => fieldData(p)?.length));
    assert.deepEqual([...sizes], [36]);
    const { ifps: d } = run(render(nonEcmCall('v17-14400', pageData('v17-14400')), FAKE_MODEMS), { kit: FAKE_MODEMS });
    assert.deepEqual([...new Set(d.filter((p) => word(p.ifp) === 't4-non-ecm-data').map((p) => fieldData(p)?.length))], [CHUNK_14400]);
  });

  it('lost audio (fillIn) in V.21, TCF and page bursts does not break the stream', () => {
    const samples = render(nonEcmCall('v17-14400', pageData('v17-14400')));
    const { ifps, gw } = run(samples, {}, 160, (k) => k % 23 === 22);
    assert.equal(word(ifps[0]?.ifp ?? { type: 't30-indicator', indicator: 'cng' }), 'no-signal');
    assert.ok(gw.getStats().samplesFilledIn > 0);
    assertCategories(ifps);
    // Every data burst that started was closed (sig-end then no-signal) and nothing is left open.
    assert.equal(gw.signalActive, false);
    assert.equal(word(ifps.at(-1)?.ifp ?? { type: 't30-indicator', indicator: 'cng' }), 'no-signal');
  });

  it('signalActive: true from the preamble indicator to the closing no-signal', () => {
    const samples = render([
      { kind: 'silence', ms: 100 },
      { kind: 'hdlc', modulation: 'v21', frames: [EOP] },
      { kind: 'silence', ms: 300 },
    ]);
    const ifps: GatewayIfp[] = [];
    const gw = new AudioToT38({}, (p) => ifps.push(p));
    const trace: string[] = [];
    let state = '';
    for (let at = 0; at < samples.length; at += 160) {
      const before = ifps.length;
      gw.receive(samples, at, 160);
      for (const p of ifps.slice(before)) trace.push(word(p.ifp));
      const a = gw.signalActive ? 'active' : 'idle';
      if (state !== a) trace.push(a);
      state = a;
    }
    assert.deepEqual(trace, ['idle', 'no-signal', 'v21-preamble', 'active', 'hdlc-data', 'hdlc-fcs-OK', 'hdlc-sig-end', 'no-signal', 'idle']);
  });
});

/** A page whose every row ends with white run 12 (MH code 001000: three trailing zeros) before its fill. */
function trailingZeroPage(): Bitmap {
  const b = createBitmap(1728, 12, { x: 204, y: 98 });
  for (let y = 0; y < 12; y++) fillRect(b, 0, y, 1716 - y * 64, 1, true);
  return b;
}

describe('AudioToT38: fill-bit removal (T38FaxFillBitRemoval)', () => {
  for (const coding of ['mh', 'mr'] as const) {
    it(`${coding}: long fill is cut, the same rows decode, TCF is untouched, any block size`, () => {
      const m: FaxModulation = 'v29-9600';
      const bmp = coding === 'mh' ? trailingZeroPage() : page();
      const data = encodeT4(bmp, { coding, k: 2, minRowBits: Math.ceil((40 * 9600) / 1000) });
      const samples = render(nonEcmCall(m, data), FAKE_MODEMS);
      const plain = run(samples, { kit: FAKE_MODEMS });
      const cut = run(samples, { kit: FAKE_MODEMS, fillBitRemoval: true });
      const odd = run(samples, { kit: FAKE_MODEMS, fillBitRemoval: true }, 37);
      const [tcfP, pageP] = nonEcmBursts(plain.ifps) as [Uint8Array, Uint8Array];
      const [tcfC, pageC] = nonEcmBursts(cut.ifps) as [Uint8Array, Uint8Array];
      assert.deepEqual(tcfC, tcfP, 'TCF is not page data');
      assert.ok(pageC.length < pageP.length / 3, `${pageC.length} octets with removal, ${pageP.length} without`);
      assert.deepEqual(nonEcmBursts(odd.ifps)[1], pageC, 'the same bits whatever the block size');
      for (const d of [pageP, pageC]) {
        const r = decodeT4(d, { coding, width: 1728, skipToFirstEol: true });
        assert.equal(r.rows, bmp.height);
        assert.equal(r.badRows, 0);
        assert.ok(samePixels(r.bitmap, bmp));
      }
      const st = cut.gw.getStats();
      assert.ok(st.fillBitsRemoved > 0);
      assert.ok(Math.abs(st.fillOctetsRemoved - (pageP.length - pageC.length)) <= 1, `${st.fillOctetsRemoved} vs ${pageP.length - pageC.length}`);
      // Data IFPs keep flowing while fill is absorbed: never more than one chunk of input time apart.
      assert.ok(cut.ifps.filter((p) => word(p.ifp) === 't4-non-ecm-data').length >= Math.floor(pageP.length / chunkOctets(m)) - 1);
    });
  }

  it('cutting the zeros to exactly 11 would corrupt these rows (the 3 kept zeros matter)', () => {
    const bmp = trailingZeroPage();
    const data = encodeT4(bmp, { coding: 'mh', minRowBits: 400 });
    const bits = bitsOf(data);
    const kept: number[] = [];
    let zeros = 0;
    for (const b of bits) {
      if (b === 0 && zeros >= 11) continue;
      zeros = b === 0 ? zeros + 1 : 0;
      kept.push(b);
    }
    const packed = new Uint8Array(Math.ceil(kept.length / 8));
    kept.forEach((b, i) => (packed[i >> 3] = (packed[i >> 3] as number) | (b << (7 - (i & 7)))));
    const r = decodeT4(packed, { coding: 'mh', width: 1728, skipToFirstEol: true });
    assert.ok(r.badRows > 0 || !samePixels(r.bitmap, bmp));
  });
});

describe('AudioToT38: local TCF (data-rate management method 1)', () => {
  it('a clean TCF is judged good, not relayed; the page still is', () => {
    const m: FaxModulation = 'v29-9600';
    const verdicts: [boolean, TcfStats][] = [];
    const { ifps, gw } = run(render(nonEcmCall(m, pageData(m))), { localTcf: true, onTcf: (ok, s) => verdicts.push([ok, s]) });
    assert.deepEqual(shape(ifps), [...V21_HEAD, longIndicator(m), 'no-signal', shortIndicator(m), 't4-non-ecm-data×*', 't4-non-ecm-sig-end', 'no-signal', ...V21_TAIL]);
    assert.equal(verdicts.length, 1);
    const [ok, s] = verdicts[0] as [boolean, TcfStats];
    assert.equal(ok, true);
    assert.ok(s.ms > 1400 && s.ms < 1600, `${s.ms} ms`);
    assert.ok(s.longestZeroRunMs >= 1000);
    assert.ok(s.nonZeroOctets <= 40 * (9600 / 8000), `${s.nonZeroOctets} non-zero octets`); // training tail and shutdown only
    assert.deepEqual([gw.getStats().tcfJudged, gw.getStats().tcfFailed], [1, 0]);
  });

  it('a TCF hit by a noise burst in its middle is judged bad', () => {
    const m: FaxModulation = 'v29-9600';
    const head = render([
      { kind: 'silence', ms: 100 },
      { kind: 'hdlc', modulation: 'v21', frames: [TSI, dcs(m, false)] },
      { kind: 'silence', ms: 75 },
    ]);
    const tcf = render([{ kind: 'tcf', modulation: m, ms: 1500 }]);
    // V.29 training is ~250 ms: the burst covers 0.9 s…1.2 s of the signal, the middle of the zeros.
    const from = 8 * 900;
    const hit = lineModel(tcf.slice(from, from + 8 * 300), { noiseDbm0: -12 });
    tcf.set(hit, from);
    const verdicts: [boolean, TcfStats][] = [];
    const { gw } = run(concat(head, tcf), { localTcf: true, onTcf: (ok, s) => verdicts.push([ok, s]) });
    assert.ok(verdicts.length >= 1, 'judged');
    assert.ok(verdicts.every(([ok]) => !ok), JSON.stringify(verdicts));
    assert.ok(gw.getStats().tcfFailed >= 1);
  });

  it('a TCF with a 1 every 600 ms is judged bad (ideal modems: exact bits)', () => {
    const m: FaxModulation = 'v17-14400';
    const kit = FAKE_MODEMS;
    const head = render([
      { kind: 'silence', ms: 100 },
      { kind: 'hdlc', modulation: 'v21', frames: [dcs(m, false)] },
      { kind: 'silence', ms: 75 },
    ], kit);
    let i = 0;
    const n = 14400 * 1.5;
    const tx = kit.transmitter(m, { getBit: () => (i >= n ? END_OF_DATA : i++ % 8640 === 8639 ? 1 : 0) }, {});
    const buf = new Int16Array(n + 1000);
    const w = tx.tx(buf, 0, buf.length);
    const verdicts: [boolean, TcfStats][] = [];
    run(concat(head, buf.subarray(0, w), new Int16Array(800)), { kit, localTcf: true, onTcf: (ok, s) => verdicts.push([ok, s]) });
    assert.equal(verdicts.length, 1);
    const [ok, s] = verdicts[0] as [boolean, TcfStats];
    assert.equal(ok, false);
    assert.equal(s.nonZeroOctets, 2);
    assert.ok(s.longestZeroRunMs >= 590 && s.longestZeroRunMs <= 610, `${s.longestZeroRunMs}`);
  });
});
