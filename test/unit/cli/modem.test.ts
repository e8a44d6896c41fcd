/**
 * `faxwire modem tx|rx` (src/cli/modem.ts). In process, with stand-in modems injected in place of
 * the factory (a fake NRZ "modem" with a training burst, so files go tx → rx and the bits must
 * come back exactly): the file formats (raw slin/alaw/ulaw, WAV, stereo channel), the 200 ms lead,
 * the (modem, rate) → FaxModulation map, the options handed to the factory, the rx report
 * (trained at, carrier up/down, bit count) and its exit status. Through the built binary: the
 * argument errors (exit 2, one line) and the file errors (exit 1) — which need no modem.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitsText, compareBits, modulationFor, parseBitsText, runModem, TX_LEAD_SAMPLES, type ModemDeps } from '../../../src/cli/modem.js';
import { UsageError } from '../../../src/cli/command.js';
import { writeWav } from '../../../src/capture/wav.js';
import { writePcap, type PcapWriteRecord } from '../../../src/capture/pcap-writer.js';
import { g711Encode } from '../../../src/g711/index.js';
import { encodeRtp } from '../../../src/rtp/index.js';
import type { BitSink, ModemReceiver } from '../../../src/modem/types.js';
import { decodeAudioFile } from '../../../src/analyze/audio-file.js';
import type { FaxModulation } from '../../../src/modem/modulation.js';
import type { ModemRxOptions, ModemTxOptions } from '../../../src/modem/factory.js';
import { FAKE_AMPLITUDE, FAKE_SPB, FAKE_TRAIN, FakeModemReceiver, FakeModemTransmitter } from '../../sim/nrz-modem.js';
import { cli } from './helpers.js';
import { prbsBits } from '../../sim/bits.js';

const TRAIN = FAKE_TRAIN;
const SPB = FAKE_SPB;
const A = FAKE_AMPLITUDE;

interface Calls {
  tx: { m: FaxModulation; opts: ModemTxOptions }[];
  rx: { m: FaxModulation; opts: ModemRxOptions }[];
  log: string[];
}

function fakes(calls: Calls, broken = false): ModemDeps {
  return {
    createModemTransmitter: (m, bits, opts = {}) => {
      calls.tx.push({ m, opts });
      if (broken) throw new Error(`modem ${m}: no transmitter yet`);
      return new FakeModemTransmitter(bits);
    },
    createModemReceiver: (m, sink, opts = {}) => {
      calls.rx.push({ m, opts });
      if (broken) throw new Error(`modem ${m}: no receiver yet`);
      return new FakeModemReceiver(sink);
    },
    log: (l) => calls.log.push(l),
  };
}

const newCalls = (): Calls => ({ tx: [], rx: [], log: [] });

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'faxwire-modem-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const prbs = (n: number, seed: number): Uint8Array => prbsBits(seed, n);

describe('faxwire modem: pure helpers', () => {
  it('(modem, rate) → FaxModulation, and a clear UsageError for what does not exist', () => {
    assert.equal(modulationFor('v17', 14400), 'v17-14400');
    assert.equal(modulationFor('v17', 7200), 'v17-7200');
    assert.equal(modulationFor('v29', 9600), 'v29-9600');
    assert.equal(modulationFor('v27ter', 2400), 'v27ter-2400');
    assert.equal(modulationFor('v21', undefined), 'v21');
    assert.equal(modulationFor('v21', 300), 'v21');
    const bad = (modem: string, rate: number | undefined, re: RegExp): void =>
      assert.throws(() => modulationFor(modem, rate), (e) => e instanceof UsageError && re.test(e.message), `${modem} ${rate}`);
    bad('v29', 4800, /v29 has no rate 4800 \(it has 7200, 9600\)/);
    bad('v17', 4800, /v17 has no rate 4800/);
    bad('v27ter', 9600, /v27ter has no rate 9600/);
    bad('v21', 2400, /300 bit\/s only/);
    bad('v17', undefined, /--rate is needed for v17/);
    bad('v34', 9600, /--modem must be/);
  });

  it('bits files: 0/1 with any white space; anything else named by line and column', () => {
    assert.deepEqual([...parseBitsText('01 1\n\t0\r\n1')], [0, 1, 1, 0, 1]);
    assert.deepEqual([...parseBitsText('')], []);
    assert.throws(() => parseBitsText('0101\n01x1', 'f.bits'), /f\.bits: 'x' at line 2, column 3 is not 0, 1 or white space/);
    assert.throws(() => parseBitsText('01\u00002'), /0x00 at line 1, column 3/);
    assert.equal(bitsText(Uint8Array.of(1, 0, 1, 1)), '1011\n');
    // compareBits: modembench's alignment (first 64 reference bits), errors, missing.
    const ref = prbs(200, 3);
    const got = new Uint8Array(300);
    got.set(ref.subarray(0, 150), 5);
    got[85] = (got[85] as number) ^ 1;
    assert.deepEqual(compareBits(ref, got, 155), { offset: 5, compared: 150, errors: 1, missing: 50 });
    assert.equal(compareBits(ref, new Uint8Array(300), 300).offset, -1);
  });
});

describe('faxwire modem tx|rx with stand-in modems', () => {
  it('tx → raw slin → rx: 200 ms of silence, the whole signal, and every bit back; the report', async () => {
    const bits = prbs(3000, 7);
    const bitsFile = join(dir, 'a.bits');
    writeFileSync(bitsFile, bitsText(bits).replace(/(.{64})/g, '$1\n'));
    const calls = newCalls();
    const out = join(dir, 'a.raw');
    assert.equal(await runModem(['tx', '--modem', 'v17', '--rate', '14400', '--bits', bitsFile, '--out', out, '--level=-13', '--tep'], fakes(calls)), 0, calls.log.join('\n'));
    assert.deepEqual(calls.tx, [{ m: 'v17-14400', opts: { levelDbm0: -13, tep: true } }]);
    const raw = readFileSync(out);
    assert.equal(raw.length, 2 * (TX_LEAD_SAMPLES + TRAIN + SPB * bits.length + 1600));
    const a = decodeAudioFile(raw, { kind: 'raw' });
    assert.ok(a.ok);
    if (!a.ok) return;
    assert.ok(a.value.samples.subarray(0, TX_LEAD_SAMPLES).every((s) => s === 0), 'lead silence');
    assert.equal(Math.abs(a.value.samples[TX_LEAD_SAMPLES] as number), A, 'signal starts right after the lead');

    const rxCalls = newCalls();
    const bitsOut = join(dir, 'a.out.bits');
    assert.equal(await runModem(['rx', '--modem', 'v17', '--rate', '14400', '--in', out, '--bits-out', bitsOut], fakes(rxCalls)), 0, rxCalls.log.join('\n'));
    assert.deepEqual(rxCalls.rx, [{ m: 'v17-14400', opts: {} }]);
    assert.deepEqual(parseBitsText(readFileSync(bitsOut, 'latin1')), bits);
    const log = rxCalls.log.join('\n');
    // Carrier up in the block right after the lead (samples 1600…1759: reported at its end, 0.220 s).
    assert.match(log, /0\.220 s {2}carrier-up/);
    assert.match(log, /trained at 0\.260 s/); // 1600 + 400 samples = 2000, in the block ending at 2080
    assert.match(log, /3000 data bits/);
    assert.match(log, /carrier-down \(3000 bits so far\)/, 'the 200 ms tail lets the carrier go');
    assert.ok(a.value.samples.subarray(raw.length / 2 - 1600).every((v) => v === 0), 'tail silence');
    // Without a tail, the carrier is still up when the file ends.
    const noTail = join(dir, 'a-notail.raw');
    assert.equal(await runModem(['tx', '--modem', 'v17', '--rate', '14400', '--bits', bitsFile, '--out', noTail, '--tail-ms', '0'], fakes(newCalls())), 0);
    assert.equal(readFileSync(noTail).length, raw.length - 3200);
    const nt = newCalls();
    assert.equal(await runModem(['rx', '--modem', 'v17', '--rate', '14400', '--in', noTail, '--bits-out', bitsOut], fakes(nt)), 0);
    assert.match(nt.log.join('\n'), /carrier still up at the end of the file/);
  });

  it('A-law and µ-law raw files, WAV (PCM and A-law), stereo channel 2: the bits survive each', async () => {
    const bits = prbs(500, 11);
    const bitsFile = join(dir, 'b.bits');
    writeFileSync(bitsFile, bitsText(bits));
    for (const [ext, format] of [
      ['raw', 'alaw'],
      ['raw', 'ulaw'],
      ['wav', 'slin'],
      ['wav', 'alaw'],
    ] as const) {
      const out = join(dir, `b-${format}.${ext}`);
      const calls = newCalls();
      assert.equal(await runModem(['tx', '--modem', 'v29', '--rate', '7200', '--bits', bitsFile, '--out', out, '--format', format], fakes(calls)), 0);
      const bitsOut = join(dir, `b-${format}-${ext}.out.bits`);
      const rxArgs = ['rx', '--modem', 'v29', '--rate', '7200', '--in', out, '--bits-out', bitsOut, ...(ext === 'raw' ? ['--format', format] : [])];
      assert.equal(await runModem(rxArgs, fakes(calls)), 0, calls.log.join('\n'));
      assert.deepEqual(parseBitsText(readFileSync(bitsOut, 'latin1')), bits, `${ext} ${format}`);
      if (ext === 'wav') {
        const w = decodeAudioFile(readFileSync(out), { kind: 'wav' });
        assert.ok(w.ok && w.value.format === format && w.value.sampleRate === 8000);
      }
    }
    // Stereo: the signal on channel 2, noise-free silence on channel 1.
    const mono = decodeAudioFile(readFileSync(join(dir, 'b-slin.wav')), { kind: 'wav' });
    assert.ok(mono.ok);
    if (!mono.ok) return;
    const stereo = join(dir, 'stereo.wav');
    writeFileSync(stereo, writeWav([new Int16Array(mono.value.samples.length), mono.value.samples], { format: 'slin', sampleRate: 8000 }));
    const calls = newCalls();
    const o2 = join(dir, 'st2.bits');
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '7200', '--in', stereo, '--channel', '2', '--bits-out', o2], fakes(calls)), 0);
    assert.deepEqual(parseBitsText(readFileSync(o2, 'latin1')), bits);
    // Channel 1 is silent: never trains, exit 1, an empty bits file.
    const c1 = newCalls();
    const o1 = join(dir, 'st1.bits');
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '7200', '--in', stereo, '--bits-out', o1], fakes(c1)), 1);
    assert.match(c1.log.join('\n'), /the receiver never trained/);
    assert.equal(readFileSync(o1, 'latin1'), '\n');
  });

  it('rx: bits only while trained; carrier down reported with its time; a second burst trains again', async () => {
    const bits = prbs(200, 5);
    const bitsFile = join(dir, 'c.bits');
    writeFileSync(bitsFile, bitsText(bits));
    const calls = newCalls();
    const one = join(dir, 'c.raw');
    await runModem(['tx', '--modem', 'v27ter', '--rate', '4800', '--bits', bitsFile, '--out', one], fakes(calls));
    // The file twice, back to back (each starts with its 200 ms of silence).
    const twice = join(dir, 'c2.raw');
    const b = readFileSync(one);
    writeFileSync(twice, Buffer.concat([b, b, Buffer.alloc(3200)]));
    const o = join(dir, 'c2.out.bits');
    const rx = newCalls();
    assert.equal(await runModem(['rx', '--modem', 'v27ter', '--rate', '4800', '--in', twice, '--bits-out', o], fakes(rx)), 0, rx.log.join('\n'));
    assert.deepEqual(parseBitsText(readFileSync(o, 'latin1')), Uint8Array.from([...bits, ...bits]));
    const log = rx.log.join('\n');
    assert.equal((log.match(/training-succeeded/g) ?? []).length, 2);
    assert.equal((log.match(/carrier-down \((200|400) bits so far\)/g) ?? []).length, 2, log);
    assert.doesNotMatch(log, /still up/);
    assert.match(log, /400 data bits/);
  });

  it('--compare: errors, missing bits and BER against a reference bits file; exit 1 unless clean', async () => {
    const bits = prbs(1000, 21);
    const bitsFile = join(dir, 'h.bits');
    writeFileSync(bitsFile, bitsText(bits));
    const raw = join(dir, 'h.raw');
    await runModem(['tx', '--modem', 'v29', '--rate', '9600', '--bits', bitsFile, '--out', raw], fakes(newCalls()));
    const rx = (ref: Uint8Array): Promise<{ code: number; log: string }> => {
      const refFile = join(dir, 'h.ref');
      writeFileSync(refFile, bitsText(ref));
      const c = newCalls();
      return runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', raw, '--bits-out', join(dir, 'h.o'), '--compare', refFile], fakes(c)).then((code) => ({ code, log: c.log.join('\n') }));
    };
    const clean = await rx(bits);
    assert.equal(clean.code, 0);
    assert.match(clean.log, /compare: offset=0 bits=1000 errors=0 missing=0 BER=0$/m);
    const flipped = Uint8Array.from(bits);
    flipped[100] = (flipped[100] as number) ^ 1;
    flipped[700] = (flipped[700] as number) ^ 1;
    const two = await rx(flipped);
    assert.equal(two.code, 1);
    assert.match(two.log, /errors=2 missing=0 BER=2\.00e-3/);
    const longer = await rx(Uint8Array.from([...bits, 1, 0, 1]));
    assert.equal(longer.code, 1);
    assert.match(longer.log, /errors=0 missing=3/);
    const late = await rx(bits.subarray(10));
    assert.match(late.log, /offset=10 bits=990 errors=0 missing=0/);
    const other = await rx(prbs(1000, 22));
    assert.equal(other.code, 1);
    assert.match(other.log, /the first 64 bits of .* are nowhere in the first 20000 bits received/);
  });

  it('V.21: no training — bits from carrier up; --rate may be left out', async () => {
    const bits = prbs(100, 3);
    const bitsFile = join(dir, 'd.bits');
    writeFileSync(bitsFile, bitsText(bits));
    const calls = newCalls();
    const out = join(dir, 'd.raw');
    assert.equal(await runModem(['tx', '--modem', 'v21', '--bits', bitsFile, '--out', out], fakes(calls)), 0);
    assert.equal(calls.tx[0]?.m, 'v21');
    // For V.21 the CLI counts carrier-up as "trained" (V.21 has no training sequence).
    const o = join(dir, 'd.out.bits');
    assert.equal(await runModem(['rx', '--modem', 'v21', '--in', out, '--bits-out', o], fakes(calls)), 0, calls.log.join('\n'));
    assert.match(calls.log.join('\n'), /trained at 0\.220 s/);
    assert.deepEqual(parseBitsText(readFileSync(o, 'latin1')), bits);
  });

  it('options reach the factory: --short-train on both sides (V.17), --tep, --level', async () => {
    const bitsFile = join(dir, 'e.bits');
    writeFileSync(bitsFile, '0101');
    const calls = newCalls();
    const out = join(dir, 'e.raw');
    await runModem(['tx', '--modem', 'v17', '--rate', '9600', '--bits', bitsFile, '--out', out, '--short-train'], fakes(calls));
    await runModem(['rx', '--modem', 'v17', '--rate', '9600', '--in', out, '--bits-out', join(dir, 'e.o'), '--short-train'], fakes(calls));
    assert.deepEqual(calls.tx, [{ m: 'v17-9600', opts: { shortTrain: true } }]);
    assert.deepEqual(calls.rx, [{ m: 'v17-9600', opts: { shortTrain: true } }]);
  });

  it('a modem the factory cannot build yet: exit 1 and the factory\'s reason', async () => {
    const bitsFile = join(dir, 'f.bits');
    writeFileSync(bitsFile, '0101');
    const calls = newCalls();
    assert.equal(await runModem(['tx', '--modem', 'v29', '--rate', '9600', '--bits', bitsFile, '--out', join(dir, 'f.raw')], fakes(calls, true)), 1);
    assert.match(calls.log.join('\n'), /cannot build the v29-9600 transmitter: modem v29-9600: no transmitter yet/);
    writeFileSync(join(dir, 'f.raw'), new Uint8Array(3200));
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', join(dir, 'f.raw'), '--bits-out', join(dir, 'f.o')], fakes(calls, true)), 1);
    assert.match(calls.log.join('\n'), /cannot build the v29-9600 receiver/);
  });

  it('a transmitter that never ends is cut off with an error, not an endless file', async () => {
    const bitsFile = join(dir, 'g.bits');
    writeFileSync(bitsFile, '01');
    const log: string[] = [];
    const deps: ModemDeps = {
      createModemTransmitter: () => ({ done: false, tx: (_o: Int16Array, _off = 0, len = 0) => len }),
      createModemReceiver: () => assert.fail('no rx'),
      log: (l) => log.push(l),
    };
    assert.equal(await runModem(['tx', '--modem', 'v17', '--rate', '14400', '--bits', bitsFile, '--out', join(dir, 'g.raw')], deps), 1);
    assert.match(log.join('\n'), /did not end within 10\.200 s/);
  });
});

describe('faxwire modem rx from a packet capture', () => {
  /** The fake signal of `bits` as 20-ms µ-law RTP packets from 10.0.0.1:4000 (packets in `drop` lost). */
  async function capture(bits: Uint8Array, drop: readonly number[], extraStream = false): Promise<Uint8Array> {
    const bitsFile = join(dir, 'cap.bits');
    writeFileSync(bitsFile, bitsText(bits));
    const raw = join(dir, 'cap.raw');
    await runModem(['tx', '--modem', 'v29', '--rate', '9600', '--bits', bitsFile, '--out', raw], fakes(newCalls()));
    const a = decodeAudioFile(readFileSync(raw), { kind: 'raw' });
    assert.ok(a.ok);
    if (!a.ok) throw new Error('unreachable');
    const codes = new Uint8Array(a.value.samples.length);
    g711Encode('ulaw', a.value.samples, codes);
    const recs: PcapWriteRecord[] = [];
    for (let i = 0; i * 160 < codes.length; i++) {
      const payload = codes.subarray(i * 160, i * 160 + 160);
      const rtp = (ssrc: number): Uint8Array =>
        encodeRtp({ marker: false, payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc, csrcs: [], extension: null, payload, paddingLength: 0 });
      const timeNs = 1_700_000_000_000_000_000n + BigInt(i) * 20_000_000n;
      if (!drop.includes(i)) recs.push({ timeNs, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4000, dstPort: 5000, proto: 'udp', payload: rtp(1) });
      if (extraStream) recs.push({ timeNs: timeNs + 1000n, src: '10.0.0.2', dst: '10.0.0.1', srcPort: 5000, dstPort: 4000, proto: 'udp', payload: rtp(2) });
    }
    return writePcap(recs);
  }

  it('the G.711 stream demodulated; lost packets given as fillIn (not silence), in blocks', async () => {
    const bits = prbs(2000, 9);
    const pcap = join(dir, 'clean.pcap');
    writeFileSync(pcap, await capture(bits, []));
    const calls = newCalls();
    const o = join(dir, 'cap.out.bits');
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', pcap, '--bits-out', o], fakes(calls)), 0, calls.log.join('\n'));
    assert.deepEqual(parseBitsText(readFileSync(o, 'latin1')), bits);
    assert.match(calls.log.join('\n'), /rtp 10\.0\.0\.1:4000 → 10\.0\.0\.2:5000 ssrc 0x00000001 \(ulaw, heuristic\), starting 0\.000 s into the capture/);

    // Two packets lost (20 and 21) and one (30): the receiver sees 480 samples fewer, as fillIn.
    const lossy = join(dir, 'lossy.pcap');
    writeFileSync(lossy, await capture(bits, [20, 21, 30]));
    let fed = 0;
    const filled: number[] = [];
    const deps: ModemDeps = {
      ...fakes(newCalls()),
      createModemReceiver: (_m, sink: BitSink): ModemReceiver => {
        const inner = new FakeModemReceiver(sink);
        return {
          rx: (s, off, len) => {
            fed += len ?? 0;
            inner.rx(s, off, len);
          },
          fillIn: (n) => filled.push(n),
          restart: () => inner.restart(),
        };
      },
    };
    const total = TX_LEAD_SAMPLES + TRAIN + SPB * bits.length + 1600;
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', lossy, '--bits-out', o], deps), 0);
    assert.deepEqual(filled, [160, 160, 160]);
    assert.equal(fed, total - 480);
  });

  it('several streams: --stream N picks one, without it a list; --stream out of range; --format refused', async () => {
    const bits = prbs(300, 4);
    const pcap = join(dir, 'two.pcap');
    writeFileSync(pcap, await capture(bits, [], true));
    const calls = newCalls();
    const o = join(dir, 'two.out.bits');
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', pcap, '--bits-out', o], fakes(calls)), 1);
    assert.match(calls.log.join('\n'), /has 2 audio streams; choose one with --stream N:\n {2}1: rtp 10\.0\.0\.1:4000 → 10\.0\.0\.2:5000 ssrc 0x00000001, \d+\.\d\d s from 0\.000 s\n {2}2: rtp 10\.0\.0\.2:5000/);
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', pcap, '--stream', '2', '--bits-out', o], fakes(calls)), 0);
    assert.deepEqual(parseBitsText(readFileSync(o, 'latin1')), bits);
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', pcap, '--stream', '3', '--bits-out', o], fakes(calls)), 1);
    assert.match(calls.log.join('\n'), /has 2 audio stream\(s\), no --stream 3/);
    await assert.rejects(runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', pcap, '--format', 'alaw', '--bits-out', o], fakes(calls)), /--format is not for capture files/);
    await assert.rejects(runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', 'a.raw', '--stream', '1', '--bits-out', o], fakes(calls)), /--stream is for capture files/);
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, writePcap([]));
    assert.equal(await runModem(['rx', '--modem', 'v29', '--rate', '9600', '--in', empty, '--bits-out', o], fakes(calls)), 1);
    assert.match(calls.log.join('\n'), /no G\.711 RTP audio stream found/);
  });
});

describe('faxwire modem through the binary: argument and file errors', () => {
  const usage = (args: string[], re: RegExp): void => {
    const r = cli('modem', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.out, '');
    const lines = r.err.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.err);
    assert.match(r.err, re, args.join(' '));
    assert.match(r.err, /\(try 'faxwire modem --help'\)/);
  };

  it('usage errors: exit 2, one line', () => {
    usage([], /tx or rx\?/);
    usage(['tx', 'rx'], /unexpected argument 'rx'/);
    usage(['send'], /'send' is neither tx nor rx/);
    usage(['tx', '--rate', '9600'], /--modem is needed/);
    usage(['tx', '--modem', 'v34', '--rate', '9600'], /--modem must be v17, v29, v27ter or v21, got 'v34'/);
    usage(['tx', '--modem', 'v29', '--rate', '4800', '--bits', 'x', '--out', 'y'], /v29 has no rate 4800/);
    usage(['tx', '--modem', 'v29', '--rate', 'fast'], /--rate must be an integer/);
    usage(['rx', '--modem', 'v21', '--rate', '2400'], /300 bit\/s only/);
    usage(['tx', '--modem', 'v29', '--rate', '9600', '--out', 'y'], /--bits FILE is needed/);
    usage(['tx', '--modem', 'v29', '--rate', '9600', '--bits', 'x'], /--out FILE.raw\|.wav is needed/);
    usage(['tx', '--modem', 'v29', '--rate', '9600', '--short-train'], /--short-train is for V.17 only/);
    usage(['tx', '--modem', 'v21', '--bits', 'x', '--out', 'y', '--tep'], /--tep is for V.17/);
    usage(['tx', '--modem', 'v17', '--rate', '9600', '--bits', 'x', '--out', 'y', '--format', 'gsm'], /--format must be slin, alaw or ulaw/);
    usage(['tx', '--modem', 'v17', '--rate', '9600', '--bits', 'x', '--out', 'y', '--level=3'], /--level must be a number in -60..0/);
    usage(['tx', '--modem', 'v17', '--rate', '9600', '--bits', 'x', '--out', 'y', '--in', 'z'], /--in is not a tx option/);
    usage(['rx', '--modem', 'v17', '--rate', '9600', '--bits-out', 'y'], /--in FILE.raw\|.wav is needed/);
    usage(['rx', '--modem', 'v17', '--rate', '9600', '--in', 'x.wav'], /--bits-out FILE is needed/);
    usage(['rx', '--modem', 'v17', '--rate', '9600', '--in', 'x.raw', '--bits-out', 'y', '--channel', '2'], /--channel is for stereo WAV/);
    usage(['rx', '--modem', 'v17', '--rate', '9600', '--in', 'x.wav', '--bits-out', 'y', '--channel', '3'], /--channel must be an integer in 1..2/);
    usage(['rx', '--modem', 'v17', '--rate', '9600', '--in', 'x.raw', '--bits-out', 'y', '--tep'], /--tep is not a rx option/);
    usage(['rx', '--modem', 'v17', '--rate', '9600', '--in', 'x.raw', '--bits-out', 'y', '--tail-ms', '5'], /--tail-ms is not a rx option/);
    usage(['tx', '--modem', 'v17', '--rate', '9600', '--bits', 'x', '--out', 'y', '--tail-ms', '1.5'], /--tail-ms must be an integer in 0..60000/);
    usage(['tx', '--bogus'], /unknown option '--bogus'/);
  });

  it('file errors: exit 1 with the reason (bad bits file, unreadable file, not a WAV, 16 kHz, mono asked for channel 2)', () => {
    const bad = join(dir, 'bad.bits');
    writeFileSync(bad, '0101\n01201');
    const r1 = cli('modem', 'tx', '--modem', 'v17', '--rate', '14400', '--bits', bad, '--out', join(dir, 'x.raw'));
    assert.equal(r1.code, 1);
    assert.match(r1.err, /'2' at line 2, column 3 is not 0, 1 or white space/);
    const r2 = cli('modem', 'rx', '--modem', 'v17', '--rate', '14400', '--in', join(dir, 'none.raw'), '--bits-out', join(dir, 'o.bits'));
    assert.equal(r2.code, 1);
    assert.match(r2.err, /cannot read audio file .*none\.raw: ENOENT/);
    const notWav = join(dir, 'not.wav');
    writeFileSync(notWav, 'hello world, not a wav');
    const r3 = cli('modem', 'rx', '--modem', 'v17', '--rate', '14400', '--in', notWav, '--bits-out', join(dir, 'o.bits'));
    assert.equal(r3.code, 1);
    assert.match(r3.err, /not a usable WAV file: not a RIFF file/);
    const wide = join(dir, 'wide.wav');
    writeFileSync(wide, writeWav(new Int16Array(1600), { format: 'slin', sampleRate: 16000 }));
    const r4 = cli('modem', 'rx', '--modem', 'v29', '--rate', '9600', '--in', wide, '--bits-out', join(dir, 'o.bits'));
    assert.equal(r4.code, 1);
    assert.match(r4.err, /16000 samples\/s; the modems work at 8000/);
    const mono = join(dir, 'mono.wav');
    writeFileSync(mono, writeWav(new Int16Array(1600), { format: 'slin', sampleRate: 8000 }));
    const r5 = cli('modem', 'rx', '--modem', 'v29', '--rate', '9600', '--in', mono, '--channel', '2', '--bits-out', join(dir, 'o.bits'));
    assert.equal(r5.code, 1);
    assert.match(r5.err, /channel 2 asked, the file has 1 channel\b/);
    const alawWav = join(dir, 'alaw.wav');
    writeFileSync(alawWav, writeWav(new Uint8Array(1600), { format: 'alaw', sampleRate: 8000 }));
    const r6 = cli('modem', 'rx', '--modem', 'v29', '--rate', '9600', '--in', alawWav, '--format', 'ulaw', '--bits-out', join(dir, 'o.bits'));
    assert.equal(r6.code, 1);
    assert.match(r6.err, /--format ulaw, but the WAV header says alaw/);
  });
});
