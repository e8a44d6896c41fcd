/**
 * `faxwire analyze` end to end: the compiled CLI run on a capture made in the test (faxwire's
 * own encoders → pcap writer), with loss the receiver must repair, in text and JSON.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap, type PcapWriteRecord } from '../../../src/capture/index.js';
import { encodeT30Frame, simpleFrame } from '../../../src/t30/index.js';
import { encodeIfp, type Ifp } from '../../../src/t38/ifp.js';
import { UdptlSender } from '../../../src/t38/udptl-sender.js';
import { cli } from './helpers.js';

/** One V.21 burst carrying MCF (T.30 §5.3.6.1), T.38 v3, redundancy 2, datagram 3 lost. */
function capture(): Uint8Array {
  const tx = new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 2, control: 2, image: 2 } } });
  const mcf = encodeT30Frame(simpleFrame('MCF', { final: true }));
  const ifps: Ifp[] = [
    { type: 't30-indicator', indicator: 'v21-preamble' },
    ...Array.from(mcf, (b): Ifp => ({ type: 't30-data', dataType: 'v21', fields: [{ type: 'hdlc-data', data: Uint8Array.of(b) }] })),
    { type: 't30-data', dataType: 'v21', fields: [{ type: 'hdlc-fcs-OK-sig-end' }] },
    { type: 't30-indicator', indicator: 'no-signal' },
  ];
  const records: PcapWriteRecord[] = [];
  ifps.forEach((ifp, i) => {
    const { datagrams } = tx.send(encodeIfp(ifp, 3), ifp.type === 't30-indicator' ? 'indicator' : 'control');
    if (i === 2) return; // lost on the way: must come back from the next datagram's secondaries
    for (const payload of datagrams) {
      records.push({ timeNs: BigInt(i) * 30_000_000n + 1_700_000_000_000_000_000n, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4000, dstPort: 4002, proto: 'udp', payload });
    }
  });
  return writePcap(records);
}

describe('faxwire analyze (CLI)', () => {
  let dir = '';
  let file = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-cli-'));
    file = join(dir, 'call.pcap');
    writeFileSync(file, capture());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the timeline, the recovered IFP, the T.30 frame and the summary', () => {
    const r = cli('analyze', file, '--port', '4002', '--t38-version', '3');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /stream S1: UDPTL 10\.0\.0\.1:4000 -> 10\.0\.0\.2:4002 {2}T\.38 v3 \(option\), found by port/);
    assert.match(r.out, /seq +2 {2}data v21 hdlc-data:1 {2}\(recovered from secondary\)/);
    assert.match(r.out, /T\.30 v21 +MCF/);
    assert.match(r.out, /lost 0, recovered 1 \(secondary 1, FEC 0\), malformed 0/);
  });

  it('--json: one object per line, ending with the summary', () => {
    const r = cli('analyze', file, '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines[lines.length - 1] as { summary: { streams: number; recovered: number; t30Frames: number } };
    assert.equal(last.summary.streams, 1);
    assert.equal(last.summary.recovered, 1);
    assert.equal(last.summary.t30Frames, 1);
    const t30 = lines.filter((l) => l['type'] === 't30');
    assert.deepEqual(
      t30.map((l) => [l['name'], l['ok'], l['hex']]),
      [['MCF', true, 'ffc831']],
    );
    const stream = lines.find((l) => l['type'] === 'stream');
    assert.equal(stream?.['foundBy'], 'heuristic');
    assert.equal(stream?.['version'], 2, 'v1+ detected (the 2002 module)');
  });

  it('exit codes: 2 on usage errors, 1 on unreadable or non-capture files', () => {
    assert.equal(cli('analyze').code, 2);
    assert.equal(cli('analyze', file, '--t38-version', '9').code, 2);
    assert.equal(cli('analyze', file, '--port', '70000').code, 2);
    assert.equal(cli('analyze', join(dir, 'missing.pcap')).code, 1);
    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, 'not a capture at all');
    const r = cli('analyze', junk);
    assert.equal(r.code, 1);
    assert.match(r.err, /junk\.pcap/);
    assert.equal(cli('frobnicate').code, 2);
  });
});
