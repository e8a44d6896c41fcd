/**
 * Packets made by faxwire's encoders — IFP (v0 and v3), UDPTL with redundancy and with parity
 * FEC — written to a pcap and read by Wireshark's T.38 dissector: zero malformed packets, zero
 * expert items, and tshark sees the same IFPs we sent.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap } from '../../src/capture/index.js';
import { encodeIfp, describeIfp, type Ifp, type T38Version } from '../../src/t38/ifp.js';
import { UdptlSender, type UdptlSenderOptions } from '../../src/t38/udptl-sender.js';
import { need, run } from './util.js';

type Category = 'indicator' | 'control' | 'control-end' | 'image' | 'image-end';

/** A call's worth of IFPs in the shape spandsp's terminal sends them (see the peer README). */
function session(): { ifp: Ifp; category: Category }[] {
  const out: { ifp: Ifp; category: Category }[] = [];
  const ind = (indicator: Extract<Ifp, { type: 't30-indicator' }>['indicator']): void => {
    out.push({ ifp: { type: 't30-indicator', indicator }, category: 'indicator' });
  };
  const hdlc = (dataType: 'v21' | 'v17-14400', frame: number[], chunk: number, last: boolean): void => {
    for (let i = 0; i < frame.length; i += chunk) {
      out.push({ ifp: { type: 't30-data', dataType, fields: [{ type: 'hdlc-data', data: Uint8Array.from(frame.slice(i, i + chunk)) }] }, category: dataType === 'v21' ? 'control' : 'image' });
    }
    out.push({
      ifp: { type: 't30-data', dataType, fields: [{ type: last ? 'hdlc-fcs-OK-sig-end' : 'hdlc-fcs-OK' }] },
      category: dataType === 'v21' ? (last ? 'control-end' : 'control') : last ? 'image-end' : 'image',
    });
  };
  ind('no-signal');
  ind('cng');
  ind('v21-preamble');
  // TSI "faxwire" (20 characters, last first) then DCS: V.17 14400, ECM — T.30 §5.3.6.2.
  const tsi = [0xff, 0xc0, 0xc2, ...Array.from('                 eriwxaf'.slice(-20)).map((c) => c.charCodeAt(0))];
  hdlc('v21', tsi, 1, false);
  hdlc('v21', [0xff, 0xc8, 0xc1, 0x00, 0x46, 0x78, 0x20], 1, true);
  ind('no-signal');
  ind('v17-14400-long-training');
  for (let i = 0; i < 20; i++) {
    out.push({ ifp: { type: 't30-data', dataType: 'v17-14400', fields: [{ type: 't4-non-ecm-data', data: new Uint8Array(54) }] }, category: 'image' });
  }
  out.push({ ifp: { type: 't30-data', dataType: 'v17-14400', fields: [{ type: 't4-non-ecm-sig-end', data: new Uint8Array(54) }] }, category: 'image-end' });
  ind('no-signal');
  ind('v17-14400-short-training');
  for (let f = 0; f < 6; f++) {
    const fcd = [0xff, 0xc0, 0x60, f, ...Array.from({ length: 256 }, (_, i) => (i * 7 + f) & 0xff)];
    hdlc('v17-14400', fcd, 54, f === 5);
  }
  ind('no-signal');
  return out;
}

function capture(version: T38Version, opts: UdptlSenderOptions): { pcap: Uint8Array; sent: string[] } {
  const a = new UdptlSender(opts);
  const records = [];
  const sent: string[] = [];
  let ms = 0;
  for (const { ifp, category } of session()) {
    const bytes = encodeIfp(ifp, version);
    sent.push(describeIfp(ifp));
    const r = a.send(bytes, category);
    for (const d of r.datagrams) {
      ms += 20;
      records.push({ timeNs: BigInt(ms) * 1_000_000n, src: '127.0.0.1', dst: '127.0.0.1', srcPort: 45000, dstPort: 45001, proto: 'udp' as const, payload: d });
    }
  }
  return { pcap: writePcap(records), sent };
}

describe('faxwire encoder output decodes cleanly in tshark', () => {
  const variants: [string, T38Version, UdptlSenderOptions][] = [
    ['v0 redundancy 3', 0, { errorCorrection: { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 1 } } }],
    ['v3 redundancy 3', 3, { errorCorrection: { mode: 'redundancy', depth: { indicator: 3, control: 3, image: 1 } } }],
    ['v0 FEC span 3 × 2', 0, { errorCorrection: { mode: 'fec', span: 3, entries: 2 } }],
    ['v3 FEC span 3 × 2', 3, { errorCorrection: { mode: 'fec', span: 3, entries: 2 } }],
    // The sequence number wraps inside the TCF (IFP 45 of the session): tshark's HDLC reassembly
    // does not follow a wrap, so the wrap is kept out of the HDLC frames it has to rebuild.
    ['v3 no error correction, sequence wrap', 3, { errorCorrection: { mode: 'none' }, firstSeq: 65536 - 45 }],
  ];
  for (const [name, version, opts] of variants) {
    it(name, (t) => {
      if (!need(t, { tools: ['tshark'] })) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-tshark-'));
      try {
        const { pcap, sent } = capture(version, opts);
        const file = join(dir, 'enc.pcap');
        writeFileSync(file, pcap);
        const base = ['-r', file, '-d', 'udp.port==45001,t38', '-o', `t38.use_pre_corrigendum_asn1_specification:${version === 0 ? 'TRUE' : 'FALSE'}`];
        const malformed = run('tshark', [...base, '-Y', '_ws.malformed']).trim();
        assert.equal(malformed, '', 'no malformed packets');
        const expert = run('tshark', [...base, '-Y', '_ws.expert']).trim();
        assert.equal(expert, '', 'no expert items');
        // tshark sees every primary IFP we sent, in order.
        const types = run('tshark', [...base, '-T', 'fields', '-e', 't38.seq_number', '-e', 't38.t30_indicator', '-e', 't38.t30_data', '-e', 't38.field_type'])
          .split('\n')
          .filter((l) => l !== '');
        const seqs = new Set(types.map((l) => l.split('\t')[0]));
        assert.equal(seqs.size, sent.length, 'one sequence number per IFP');
        const t30 = run('tshark', [...base, '-Y', 't30', '-T', 'fields', '-e', 't30.FacsimileControl']).split('\n').filter((l) => l !== '');
        assert.deepEqual(t30.map((x) => Number(x) & 0x7f), [0x42, 0x41, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
