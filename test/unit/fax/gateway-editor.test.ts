/**
 * FaxMessageEditor: DIS/DTC frames as faxwire's own T.30 engine builds them (buildDisFields) go
 * through the editor; the edited FIF is decoded again and its fields compared. NSF/NSC/NSS lose
 * their vendor identity; CFR becomes FTT once after a bad local TCF; malformed frames pass.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FaxMessageEditor, type FaxMessageEditOptions } from '../../../src/fax/gateway/editor.js';
import { decodeDis, interpretDis, type DisFields, type DisInfo } from '../../../src/t30/dis.js';
import { encodeT30Frame } from '../../../src/t30/frames.js';
import { buildDisFields, type LocalCapabilities } from '../../../src/t30/negotiate.js';
import { describeNsfFif } from '../../../src/t30/nsf.js';
import { xorshift32 } from '../../../src/util/random.js';

const FULL: LocalCapabilities = {
  modems: ['v27ter', 'v29', 'v17'],
  maxBitRate: 14400,
  codings: ['mh', 'mr', 'mmr'],
  ecm: true,
  ecmFrameSize: 256,
  minScanLineMs: 0,
  canReceive: true,
  haveDocument: false,
};

function disFrame(fields: DisFields, trailing: Uint8Array = new Uint8Array(0)): Uint8Array {
  const type = fields.kind === 'DTC' ? 'DTC' : fields.kind === 'DCS' ? 'DCS' : 'DIS';
  return encodeT30Frame({ type, final: true, xBit: false, dis: interpretDis(fields), trailing });
}

/** A DIS of the T.30 engine with capabilities `caps`, plus `extra` fields set by hand. */
function dis(caps: Partial<LocalCapabilities> = {}, extra: Partial<DisFields> = {}, kind: 'DIS' | 'DTC' = 'DIS'): Uint8Array {
  return disFrame({ ...buildDisFields(kind, { ...FULL, ...caps }), ...extra });
}

function fieldsOf(frame: Uint8Array, kind: 'DIS' | 'DTC' | 'DCS' = 'DIS'): DisInfo {
  const d = decodeDis(frame.subarray(3), kind);
  assert.ok(d.ok);
  return d.value;
}

/** The fields that differ between two DIS decodes (derived ones left out). */
function changed(a: DisInfo, b: DisInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a) as (keyof DisInfo)[]) {
    if (['bits', 'rate', 'codings', 'resolutions', 'widthsMm', 'length', 'minScanLineTime', 'ecmFrameSize'].includes(k)) continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out[k] = b[k];
  }
  return out;
}

describe('FaxMessageEditor: DIS/DTC', () => {
  const cases: { name: string; opts: FaxMessageEditOptions; caps?: Partial<LocalCapabilities>; extra?: Partial<DisFields>; want: Record<string, unknown>; modems?: string[] }[] = [
    { name: 'default: V.8 bit cleared, nothing else', opts: {}, extra: { v8: true }, want: { v8: false } },
    { name: 'forceG3 false keeps V.8', opts: { forceG3: false }, extra: { v8: true }, want: {} },
    { name: 'block V.17 → V.27 ter + V.29', opts: { blockModems: ['v17'] }, want: { rateCode: 0b1100 }, modems: ['V.27ter', 'V.29'] },
    { name: 'block V.29 → V.27 ter only (no "V.27 ter + V.17" code)', opts: { blockModems: ['v29'] }, want: { rateCode: 0b0100 }, modems: ['V.27ter'] },
    { name: 'block V.27 ter → V.29 only', opts: { blockModems: ['v27ter'] }, want: { rateCode: 0b1000 }, modems: ['V.29'] },
    { name: 'block V.17 and V.29 → V.27 ter', opts: { blockModems: ['v17', 'v29'] }, want: { rateCode: 0b0100 }, modems: ['V.27ter'] },
    { name: 'maxBitRate 14400 changes nothing', opts: { maxBitRate: 14400 }, want: {} },
    { name: 'maxBitRate 12000 → up to V.29 9600', opts: { maxBitRate: 12000 }, want: { rateCode: 0b1100 } },
    { name: 'maxBitRate 9600 → up to V.29 9600', opts: { maxBitRate: 9600 }, want: { rateCode: 0b1100 } },
    { name: 'maxBitRate 7200 → V.27 ter 4800', opts: { maxBitRate: 7200 }, want: { rateCode: 0b0100 } },
    { name: 'maxBitRate 2400 → V.27 ter fall-back', opts: { maxBitRate: 2400 }, want: { rateCode: 0b0000 }, modems: ['V.27ter'] },
    { name: 'a V.29 machine with V.29 blocked: no valid code, left alone', opts: { blockModems: ['v29'] }, caps: { modems: ['v29'] }, want: {} },
    { name: 'a V.27 ter 2400 machine is not lifted to 4800', opts: { blockModems: ['v29'] }, caps: { modems: ['v27ter'], maxBitRate: 2400 }, want: {} },
    { name: 'legacy V.33 code 1110 → V.27 ter + V.29', opts: {}, extra: { rateCode: 0b1110 }, want: { rateCode: 0b1100 } },
    { name: 't6 false clears T.6 only', opts: { t6: false }, want: { t6: false } },
    {
      name: 'ecm false clears ECM, T.6, 64-octet preference and ECM-only codings/modes',
      opts: { ecm: false },
      caps: { ecmFrameSize: 64 },
      extra: { jpeg: true, fullColour: true, t85: true, t43: true, bft: true, t44Code: 0b100 },
      want: { ecm: false, t6: false, prefer64OctetFrames: false, jpeg: false, fullColour: false, t85: false, t43: false, bft: false, t44Code: 0 },
    },
    { name: 'ecm false on a DIS without ECM changes nothing', opts: { ecm: false }, caps: { ecm: false }, want: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = dis(c.caps, c.extra);
      const ed = new FaxMessageEditor(c.opts);
      for (const from of ['audio', 't38'] as const) {
        const after = ed.edit(before, from);
        assert.deepEqual(changed(fieldsOf(before), fieldsOf(after)), c.want);
        if (Object.keys(c.want).length === 0) assert.equal(after, before, 'unchanged frame: same array');
        else assert.notEqual(after, before);
        assert.deepEqual(Array.from(after.subarray(0, 3)), Array.from(before.subarray(0, 3)));
        const r = fieldsOf(after).rate;
        assert.ok(r.modems.length > 0 && r.bitRate !== null && (!r.legacy || c.extra?.rateCode === 0b1110 && Object.keys(c.want).length === 0), `valid rate code: ${r.text}`);
        if (c.modems) assert.deepEqual(r.modems, c.modems);
        if (c.opts.maxBitRate !== undefined && Object.keys(c.want).length > 0) assert.ok((r.bitRate ?? 0) <= c.opts.maxBitRate);
      }
      if (c.name.startsWith('a V.29')) assert.equal(ed.getStats().ratesUnsatisfiable, 2);
    });
  }

  it('DTC is edited like DIS; DCS is left alone', () => {
    const ed = new FaxMessageEditor({ blockModems: ['v17'] });
    const dtc = dis({}, {}, 'DTC');
    assert.deepEqual(changed(fieldsOf(dtc, 'DTC'), fieldsOf(ed.edit(dtc, 't38'), 'DTC')), { rateCode: 0b1100 });
    const dcs = disFrame({ ...buildDisFields('DIS', FULL), kind: 'DCS', rateCode: 0b0001 });
    assert.equal(ed.edit(dcs, 'audio'), dcs);
  });

  it('octets after the FIF are kept', () => {
    const trailing = Uint8Array.of(0x00, 0x00);
    const f = disFrame({ ...buildDisFields('DIS', FULL), v8: true }, trailing);
    const out = new FaxMessageEditor().edit(f, 'audio');
    assert.equal(out.length, f.length);
    assert.deepEqual(Array.from(out.subarray(-2)), [0, 0]);
    assert.equal(fieldsOf(out).v8, false);
  });

  it('counts edits by kind', () => {
    const ed = new FaxMessageEditor({ blockModems: ['v17'], ecm: false });
    ed.edit(dis({}, { v8: true }), 'audio');
    ed.edit(dis(), 't38');
    const s = ed.getStats();
    assert.deepEqual([s.framesSeen, s.framesEdited, s.v8Cleared, s.ratesLowered, s.ecmCleared], [2, 2, 1, 2, 2]);
  });
});

describe('FaxMessageEditor: NSF/NSC/NSS', () => {
  // USA (T.35 0xB5, sent LSB first = 0xAD in document notation), a provider code, vendor data.
  const fif = [0xad, 0x00, 0x56, 0x12, 0x34, 0x56];
  for (const [name, fcf] of [
    ['NSF', 0x04],
    ['NSC', 0x84],
    ['NSS', 0xc4],
  ] as const) {
    it(`${name}: country and provider code neutralized, vendor data kept`, () => {
      const f = Uint8Array.of(0xff, 0xc0, fcf, ...fif);
      const out = new FaxMessageEditor().edit(f, name === 'NSF' ? 't38' : 'audio');
      assert.deepEqual(Array.from(out), [0xff, 0xc0, fcf, 0xff, 0x00, 0x00, 0x12, 0x34, 0x56]);
      assert.equal(describeNsfFif(out.subarray(3))?.vendor, undefined);
      assert.equal(new FaxMessageEditor({ nsx: 'keep' }).edit(f, 'audio'), f);
    });
  }

  it('an NSF already neutral or with a short FIF', () => {
    const ed = new FaxMessageEditor();
    const neutral = Uint8Array.of(0xff, 0xc0, 0x04, 0xff, 0x00, 0x00, 0x01);
    assert.equal(ed.edit(neutral, 'audio'), neutral);
    assert.deepEqual(Array.from(ed.edit(Uint8Array.of(0xff, 0xc0, 0x04, 0xad), 'audio')), [0xff, 0xc0, 0x04, 0xff]);
    const empty = Uint8Array.of(0xff, 0xc0, 0x04);
    assert.equal(ed.edit(empty, 'audio'), empty);
    assert.equal(ed.getStats().malformed, 1);
  });
});

describe('FaxMessageEditor: CFR → FTT after a bad local TCF', () => {
  const cfr = (x: boolean): Uint8Array => Uint8Array.of(0xff, 0xc8, x ? 0xa1 : 0x21);
  it('only the next CFR from the T.38 side, X bit kept, once', () => {
    const ed = new FaxMessageEditor();
    assert.equal(ed.edit(cfr(true), 't38')[2], 0xa1, 'no verdict yet: CFR passes');
    ed.tcfVerdict(false);
    const fromAudio = cfr(true);
    assert.equal(ed.edit(fromAudio, 'audio'), fromAudio, 'a CFR from the audio side is not the answer to that TCF');
    assert.deepEqual(Array.from(ed.edit(cfr(true), 't38')), [0xff, 0xc8, 0xa2]);
    const again = cfr(true);
    assert.equal(ed.edit(again, 't38'), again, 'only once');
    ed.tcfVerdict(false);
    assert.deepEqual(Array.from(ed.edit(cfr(false), 't38')), [0xff, 0xc8, 0x22]);
    assert.equal(ed.getStats().cfrToFtt, 2);
  });

  it('a good verdict cancels; an FTT from the far end consumes it', () => {
    const ed = new FaxMessageEditor();
    ed.tcfVerdict(false);
    ed.tcfVerdict(true);
    const c = cfr(true);
    assert.equal(ed.edit(c, 't38'), c);
    ed.tcfVerdict(false);
    ed.edit(Uint8Array.of(0xff, 0xc8, 0xa2), 't38');
    const c2 = cfr(true);
    assert.equal(ed.edit(c2, 't38'), c2);
  });
});

describe('FaxMessageEditor: malformed frames pass through', () => {
  it('short frames, undecodable DIS FIFs', () => {
    const ed = new FaxMessageEditor({ blockModems: ['v17'], ecm: false });
    const frames = [
      new Uint8Array(0),
      Uint8Array.of(0xff),
      Uint8Array.of(0xff, 0xc8),
      Uint8Array.of(0xff, 0xc8, 0x01),
      Uint8Array.of(0xff, 0xc8, 0x01, 0x00, 0x76),
      Uint8Array.of(0xff, 0xc8, 0x01, 0x00, 0x76, 0x01), // extend bit set, nothing follows
    ];
    for (const f of frames) assert.equal(ed.edit(f, 'audio'), f);
    assert.equal(ed.getStats().malformed, frames.length);
  });

  it('random frames never throw', () => {
    const rnd = xorshift32(7);
    const ed = new FaxMessageEditor({ blockModems: ['v29'], ecm: false, t6: false, maxBitRate: 4800 });
    for (let k = 0; k < 3000; k++) {
      const f = new Uint8Array(rnd() % 24);
      for (let i = 0; i < f.length; i++) f[i] = rnd() & 0xff;
      if (f.length > 2 && k % 2 === 0) f[2] = [0x01, 0x81, 0x04, 0x84, 0xc4, 0x21, 0xa1][k % 7] as number;
      const out = ed.edit(f, k % 3 === 0 ? 'audio' : 't38');
      assert.ok(out instanceof Uint8Array);
    }
    assert.ok(ed.getStats().framesEdited > 0);
  });
});
