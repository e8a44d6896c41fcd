/**
 * `faxwire analyze` against Wireshark's T.38/T.30 dissectors on the same captures: the T.30
 * frames we reassemble (direction, UDPTL seq of the IFP that closed the frame, FCF) must be
 * exactly the ones tshark reassembles. Captures: the spandsp peer's golden v0/v3 calls and a
 * real carrier (BroadWorks → Vega) T.38 v0 stream from the corpus.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/index.js';
import { CORPUS, PEER, need, run } from './util.js';

interface Case {
  name: string;
  file: string;
  ports: number[];
  /** Wireshark's preference must match the T.38 version of the capture. */
  preCorrigendum: boolean;
}

const cases: Case[] = [
  { name: 'spandsp golden v0 (ECM, redundancy 2)', file: join(PEER, 'results', 'cap_v0.pcapng'), ports: [43000, 43001], preCorrigendum: true },
  { name: 'spandsp golden v3 (ECM, redundancy 2)', file: join(PEER, 'results', 'cap_v3.pcapng'), ports: [43010, 43011], preCorrigendum: false },
  {
    name: 'carrier BroadWorks→Vega v0 after re-INVITE',
    file: join(CORPUS, 'alwishariff-wireshark', 'vega_g711_to_t38_reinvite_udp_only.pcap'),
    ports: [10338],
    preCorrigendum: true,
  },
];

function tsharkFrames(c: Case): string[] {
  const args = ['-r', c.file, '-o', `t38.use_pre_corrigendum_asn1_specification:${c.preCorrigendum ? 'TRUE' : 'FALSE'}`];
  for (const p of c.ports) args.push('-d', `udp.port==${p},t38`);
  args.push('-Y', 't30', '-T', 'fields', '-e', 'udp.srcport', '-e', 't38.seq_number', '-e', 't30.FacsimileControl');
  return run('tshark', args)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [sport, seq, fcf] = l.split('\t');
      return `${sport} seq ${seq} fcf ${Number(fcf) & 0x7f}`;
    });
}

describe('analyze: T.30 frames match tshark', () => {
  for (const c of cases) {
    it(c.name, (t) => {
      if (!need(t, { tools: ['tshark'], files: [c.file] })) return;
      const expected = tsharkFrames(c);
      assert.ok(expected.length > 0, 'tshark found T.30 frames');
      const r = analyzeCapture(readFileSync(c.file), { ports: c.ports });
      assert.ok(r.ok, r.ok ? '' : r.error);
      const ours = r.records.flatMap((rec) => {
        if (rec.type !== 't30' || !rec.ok) return [];
        const sport = rec.stream && r.records.find((s) => s.type === 'stream' && s.id === rec.stream);
        const port = sport && sport.type === 'stream' ? sport.src.split(':').pop() : '?';
        return [`${port} seq ${rec.seq} fcf ${rec.fcf & 0x7f}`];
      });
      assert.deepEqual(ours, expected);
      assert.equal(r.summary.malformed, 0, 'no malformed IFPs in these captures');
    });
  }

  it('finds the carrier stream by itself (SDP + heuristics, version auto-detected)', (t) => {
    const c = cases[2]!;
    if (!need(t, { files: [c.file] })) return;
    const r = analyzeCapture(readFileSync(c.file));
    assert.ok(r.ok);
    const streams = r.records.filter((x) => x.type === 'stream');
    const t38 = streams.find((s) => s.type === 'stream' && s.dst.endsWith(':10338'));
    assert.ok(t38 && t38.type === 'stream', `a stream to port 10338 among ${JSON.stringify(streams)}`);
    assert.equal(t38.version, 0);
    const frames = r.records.filter((x) => x.type === 't30' && x.ok && x.stream === t38.id).map((x) => (x.type === 't30' ? x.name : ''));
    assert.deepEqual(frames, ['NSF', 'CSI', 'DIS', 'NSF', 'CSI', 'DIS']);
  });

  it('auto-detects v0 and v3 on the golden captures without SDP', (t) => {
    for (const [file, v] of [
      [cases[0]!.file, 0],
      [cases[1]!.file, 2],
    ] as const) {
      if (!need(t, { files: [file] })) return;
      const r = analyzeCapture(readFileSync(file));
      assert.ok(r.ok);
      const streams = r.records.filter((x) => x.type === 'stream');
      assert.equal(streams.length, 2, file);
      for (const s of streams) if (s.type === 'stream') assert.equal(s.version === 0 ? 0 : 2, v, `${file} ${s.id}`);
    }
  });
});
