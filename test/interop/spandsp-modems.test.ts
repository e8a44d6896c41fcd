/**
 * faxwire's modems against spandsp 0.0.6's, both ways, through files (the peer's `modemgen` and
 * `modembench`, and `faxwire modem tx|rx`):
 *  - spandsp's transmitters → faxwire's receivers: every modem and rate, clean; and with what
 *    spandsp's own receivers do not survive — noise on the line before the signal above their
 *    fixed threshold, a −40 dBm0 V.29 signal (spandsp never trains), A-law and µ-law, TEP. BER 0
 *    over every bit sent (V.17/14400 at SNR 30 dB with the noise first, the issue's bar).
 *  - faxwire's transmitters → spandsp's receivers (`modembench --in`): BER 0, nothing missing.
 * Bits are compared after aligning the first 64 sent bits in what was received (as modembench
 * does): a receiver may deliver a few training bits first.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countBitErrors, prbsBits } from '../sim/bits.js';
import { FAXWIRE_CLI, PEER_BUILD, ensurePeer, runProc } from './peer.js';

const MODEMGEN = join(PEER_BUILD, 'modemgen');
const MODEMBENCH = join(PEER_BUILD, 'modembench');

interface RxCase {
  readonly modem: 'v17' | 'v29' | 'v27ter' | 'v21';
  readonly rate: number;
  readonly extra: readonly string[];
  readonly format?: 'alaw' | 'ulaw';
  readonly label: string;
}

const RATES: [RxCase['modem'], number][] = [
  ['v17', 14400], ['v17', 12000], ['v17', 9600], ['v17', 7200],
  ['v29', 9600], ['v29', 7200],
  ['v27ter', 4800], ['v27ter', 2400],
  ['v21', 300],
];

const rxCases: RxCase[] = RATES.map(([modem, rate]) => ({ modem, rate, extra: [], label: 'clean' }));
rxCases.push(
  { modem: 'v17', rate: 14400, extra: ['--noise', '-40'], label: 'noise −40 dBm0 from the start (SNR 30 dB)' },
  { modem: 'v17', rate: 14400, extra: [], format: 'alaw', label: 'A-law' },
  { modem: 'v17', rate: 14400, extra: ['--tep'], label: 'TEP' },
  { modem: 'v29', rate: 9600, extra: ['--level', '-40'], label: '−40 dBm0' },
  { modem: 'v29', rate: 9600, extra: ['--noise', '-36'], format: 'ulaw', label: 'µ-law, noise −36 dBm0 from the start' },
  { modem: 'v27ter', rate: 4800, extra: ['--noise', '-30', '--tep'], format: 'alaw', label: 'A-law, TEP, noise −30 dBm0 from the start' },
  { modem: 'v21', rate: 300, extra: ['--level', '-43', '--noise', '-55'], label: '−43 dBm0, noise −55 dBm0' },
);

const readBits = (f: string): Uint8Array => Uint8Array.from(readFileSync(f, 'latin1').replace(/[^01]/g, ''), (c) => (c === '1' ? 1 : 0));

describe('modems: spandsp transmitters → faxwire receivers (BER 0)', () => {
  rxCases.forEach((c, i) => {
    it(`${c.modem} ${c.rate} ${c.label}${c.format ? ` (${c.format})` : ''}`, { timeout: 120_000 }, async (t) => {
      if (!ensurePeer(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'faxwire-modem-'));
      try {
        const audio = join(dir, 'in.raw');
        const sent = join(dir, 'sent.bits');
        const got = join(dir, 'got.bits');
        const seconds = c.modem === 'v21' ? '10' : '3';
        const g = await runProc(MODEMGEN, ['--modem', c.modem, '--rate', String(c.rate), '--seconds', seconds, '--seed', String(17 + i), '--out', audio, '--bits', sent, ...(c.format ? ['--format', c.format] : []), ...c.extra], 60).done;
        assert.equal(g.code, 0, `modemgen: ${g.stderr}`);
        const r = await runProc('node', [FAXWIRE_CLI, 'modem', 'rx', '--modem', c.modem, '--rate', String(c.rate), '--in', audio, '--bits-out', got, ...(c.format ? ['--format', c.format] : [])], 60).done;
        const diag = `\nmodemgen: ${g.stderr}\nfaxwire: ${r.stderr}`;
        assert.equal(r.code, 0, `faxwire modem rx trained${diag}`);
        const tx = readBits(sent);
        const rx = readBits(got);
        const ber = countBitErrors(tx, rx);
        console.log(`MODEM spandsp→faxwire ${c.modem} ${c.rate} ${c.label}: sent ${tx.length} bits, received ${rx.length}, offset ${ber.offset}, errors ${ber.errors}, missing ${ber.missing}`);
        assert.ok(ber.offset >= 0, `the sent bits were found in what faxwire received${diag}`);
        assert.equal(ber.errors, 0, `BER 0${diag}`);
        assert.equal(ber.missing, 0, `no bit missing${diag}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('modems: faxwire transmitters → spandsp receivers (BER 0)', () => {
  RATES.forEach(([modem, rate], i) => {
    for (const format of ['slin', 'alaw'] as const) {
      it(`${modem} ${rate} ${format}`, { timeout: 120_000 }, async (t) => {
        if (!ensurePeer(t)) return;
        const dir = mkdtempSync(join(tmpdir(), 'faxwire-modem-'));
        try {
          const bits = join(dir, 'bits');
          const audio = join(dir, 'tx.raw');
          // The same PRBS modemgen sends, 3 s worth (10 s at V.21).
          writeFileSync(bits, `${prbsBits(101 + i, rate * (modem === 'v21' ? 10 : 3)).join('')}\n`);
          const tx = await runProc('node', [FAXWIRE_CLI, 'modem', 'tx', '--modem', modem, '--rate', String(rate), '--bits', bits, '--out', audio, '--format', format], 60).done;
          assert.equal(tx.code, 0, `faxwire modem tx: ${tx.stderr}`);
          const b = await runProc(MODEMBENCH, ['--modem', modem, '--rate', String(rate), '--in', audio, '--format', format, '--bits', bits], 60).done;
          const line = `${b.stdout}${b.stderr}`;
          console.log(`MODEM faxwire→spandsp ${modem} ${rate} ${format}: ${line.trim().split('\n').pop() ?? ''}`);
          const errors = /errors=(\d+)/.exec(line)?.[1];
          const missing = /missing=(\d+)/.exec(line)?.[1];
          assert.equal(errors, '0', `spandsp BER 0\n${line}`);
          assert.equal(missing, '0', `nothing missing\n${line}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
});
