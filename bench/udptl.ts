/**
 * Wire-layer benchmarks: UDPTL datagrams (T.38 §9.1) carrying IFPs (T.38 §7), decode and encode,
 * against a C baseline built in the same run from spandsp (libspandsp 0.0.6: t38_core) and the
 * spandsp reference peer's UDPTL code (../shared/interop/spandsp-peer/src/udptl.c), see
 * bench/c/udptl_baseline.c.
 *
 * Input: the typical datagram of a V.17 14400 non-ECM page with redundancy 1 — spandsp paces
 * 30 ms of image data per IFP, i.e. 54 octets at 14400 bit/s (peer README, "Pacing"):
 *
 * ```
 *  seq (2) | 3b | primary IFP (59)                     | 00 | 01 | 3b | secondary IFP (59)
 *               | d0 01 b0 00 35 | 54 octets T.4 data  | CHOICE  count  = the previous primary
 *
 *  IFP (T.38 v3, aligned PER): d0 = data-field present, t30-data, v17-14400 (8);
 *  01 = one field; b0 = field-data present, t4-non-ecm-data (6) in the v1+ module;
 *  00 35 = length − 1 = 53.                                        124 octets per datagram
 * ```
 * A pool of 256 such datagrams with pseudo-random image data is built byte by byte from that
 * layout (not with the code under test); datagram i's secondary is datagram i−1's primary,
 * cyclically, and each operation rewrites the seq octets so the stream counts on through wraps.
 */

import { decodeIfp, decodeIfpView, encodeIfpInto, IfpView, type Ifp } from '../src/t38/ifp.js';
import { decodeUdptl, decodeUdptlView, UdptlView } from '../src/t38/udptl.js';
import { UdptlReceiveBatch, UdptlReceiver } from '../src/t38/udptl-receiver.js';
import { UdptlSendBatch, UdptlSender } from '../src/t38/udptl-sender.js';
import {
  compileC,
  debVersion,
  fingerprint,
  fnv1a,
  FNV_INIT,
  runBaselineProgram,
  sharedDir,
  repoRoot,
  tempDir,
  type Baseline,
  type BaselineRunner,
  type BaselineUnavailable,
  type BenchCase,
  type BenchSettings,
  type BenchSuite,
} from './lib.js';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xorshift32 } from '../src/util/random.js';

const POOL = 256;
const MASK = POOL - 1;
const PAYLOAD = 54;
const IFP_HEADER = [0xd0, 0x01, 0xb0, 0x00, 0x35] as const;
const IFP_LEN = IFP_HEADER.length + PAYLOAD;
const VERSION = 3;
/** Outputs covered by a work fingerprint (same in bench/c/udptl_baseline.c). */
const FP_COUNT = 512;

/** The throughput goal for the lowest-allocation decode path. */
const DECODE_TARGET = 5e6;

interface Pool {
  readonly payloads: Uint8Array[];
  /** Raw IFP octets, built from the layout above. */
  readonly ifps: Uint8Array[];
  /** The same IFPs as values for the encoder. */
  readonly ifpValues: Ifp[];
  /** Datagrams (seq octets 0, rewritten per op). */
  readonly datagrams: Uint8Array[];
  /** Primaries as subarrays of the datagrams (for the IFP-only breakdown). */
  readonly primaries: Uint8Array[];
}

function buildPool(): Pool {
  const x = xorshift32(1);
  const prbs = (): number => x() & 0xff;
  const payloads: Uint8Array[] = [];
  const ifps: Uint8Array[] = [];
  const ifpValues: Ifp[] = [];
  for (let i = 0; i < POOL; i++) {
    const p = new Uint8Array(PAYLOAD);
    for (let j = 0; j < PAYLOAD; j++) p[j] = prbs();
    payloads.push(p);
    const ifp = new Uint8Array(IFP_LEN);
    ifp.set(IFP_HEADER, 0);
    ifp.set(p, IFP_HEADER.length);
    ifps.push(ifp);
    ifpValues.push({ type: 't30-data', dataType: 'v17-14400', fields: [{ type: 't4-non-ecm-data', data: p }] });
  }
  const datagrams: Uint8Array[] = [];
  const primaries: Uint8Array[] = [];
  for (let i = 0; i < POOL; i++) {
    const d = new Uint8Array(2 + 1 + IFP_LEN + 1 + 1 + 1 + IFP_LEN);
    let o = 2;
    d[o++] = IFP_LEN; // open-type length determinant, one octet (< 128)
    d.set(ifps[i]!, o);
    o += IFP_LEN;
    d[o++] = 0x00; // error-recovery: secondary-ifp-packets
    d[o++] = 0x01; // one secondary
    d[o++] = IFP_LEN;
    d.set(ifps[(i - 1) & MASK]!, o);
    datagrams.push(d);
    primaries.push(d.subarray(3, 3 + IFP_LEN));
  }
  return { payloads, ifps, ifpValues, datagrams, primaries };
}

/** Pool file for the C program: "FWUD", u32 LE count, count × (u16 LE length, octets). */
function poolFile(pool: Pool): Uint8Array {
  const total = 8 + pool.datagrams.reduce((n, d) => n + 2 + d.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x46, 0x57, 0x55, 0x44], 0);
  dv.setUint32(4, POOL, true);
  let o = 8;
  for (const d of pool.datagrams) {
    dv.setUint16(o, d.length, true);
    out.set(d, o + 2);
    o += 2 + d.length;
  }
  return out;
}

function setSeq(d: Uint8Array, seq: number): void {
  d[0] = (seq >>> 8) & 0xff;
  d[1] = seq & 0xff;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fail(what: string): never {
  throw new Error(`bench udptl: code under test disagrees with the benchmark input: ${what}`);
}

// --- correctness checks (run once, before any timing) -----------------------------------------

function verifyDecode(pool: Pool): void {
  const d = pool.datagrams[5]!;
  setSeq(d, 5);
  const r = decodeUdptl(d);
  if (!r.ok) fail(`decodeUdptl: ${r.error.code} ${r.error.message}`);
  const p = r.value;
  if (p.seq !== 5 || r.bytesRead !== d.length) fail('decodeUdptl seq/length');
  if (!same(p.primary, pool.ifps[5]!)) fail('decodeUdptl primary');
  if (p.recovery.kind !== 'secondary' || p.recovery.secondaries.length !== 1) fail('decodeUdptl recovery');
  if (!same(p.recovery.secondaries[0]!, pool.ifps[4]!)) fail('decodeUdptl secondary');
  const ifp = decodeIfp(p.primary, VERSION);
  if (!ifp.ok) fail(`decodeIfp: ${ifp.error.code}`);
  const v = ifp.value;
  if (v.type !== 't30-data' || v.dataType !== 'v17-14400' || v.fields?.length !== 1) fail('decodeIfp value');
  const f = v.fields[0]!;
  if (f.type !== 't4-non-ecm-data' || f.data === undefined || !same(f.data, pool.payloads[5]!)) fail('decodeIfp field');
  const view = new IfpView();
  if (!decodeIfpView(p.primary, VERSION, view)) fail(`decodeIfpView: ${view.errorCode ?? '?'}`);
  if (view.kind !== 1 || view.fieldCount !== 1 || view.fieldTypes[0] !== 6 || view.fieldDataLength[0] !== PAYLOAD) fail('decodeIfpView');
  const off = view.fieldDataOffset[0] ?? -1;
  if (off < 0 || !same(p.primary.subarray(off, off + PAYLOAD), pool.payloads[5]!)) fail('decodeIfpView data');
  const u = new UdptlView();
  if (!decodeUdptlView(d, u)) fail(`decodeUdptlView: ${u.errorCode ?? '?'}`);
  if (u.seq !== 5 || u.bytesRead !== d.length || u.itemCount !== 1 || !same(d.subarray(u.primaryStart, u.primaryEnd), pool.ifps[5]!)) fail('decodeUdptlView');
  if (!same(d.subarray(u.itemStart[0], u.itemEnd[0]), pool.ifps[4]!)) fail('decodeUdptlView secondary');
}

function verifyReceiver(pool: Pool): void {
  const rx = new UdptlReceiver();
  let delivered = 0;
  for (let k = 1; k <= 3 * POOL; k++) {
    const d = pool.datagrams[k & MASK]!;
    setSeq(d, k);
    for (const x of rx.receive(d)) {
      if (x.source !== 'primary' && x.seq !== 0) fail(`receiver delivered seq ${x.seq} from ${x.source}`);
      if (!same(x.ifp, pool.ifps[x.seq & MASK]!)) fail(`receiver IFP of seq ${x.seq}`);
      delivered++;
    }
  }
  // The first datagram's secondary (seq 0) is delivered too: the receiver joins at it.
  const st = rx.getStats();
  if (delivered !== 3 * POOL + 1 || st.lost !== 0 || st.malformed !== 0) fail(`receiver delivered ${delivered}, lost ${st.lost}`);
}

/** verifyReceiver through receiveInto: the same IFPs, as views. */
function verifyReceiverInto(pool: Pool): void {
  const rx = new UdptlReceiver();
  const out = new UdptlReceiveBatch();
  let delivered = 0;
  for (let k = 1; k <= 3 * POOL; k++) {
    const d = pool.datagrams[k & MASK]!;
    setSeq(d, k);
    rx.receiveInto(d, out);
    for (let j = 0; j < out.count; j++) {
      const seq = out.seq[j]!;
      if (out.source[j] !== 'primary' && seq !== 0) fail(`receiveInto delivered seq ${seq} from ${out.source[j]}`);
      if (!same(out.buf[j]!.subarray(out.start[j], out.end[j]), pool.ifps[seq & MASK]!)) fail(`receiveInto IFP of seq ${seq}`);
      delivered++;
    }
  }
  const st = rx.getStats();
  if (delivered !== 3 * POOL + 1 || st.lost !== 0 || st.malformed !== 0) fail(`receiveInto delivered ${delivered}, lost ${st.lost}`);
}

/** sendInto makes the same datagrams as send (checked against the layout by verifySenderRed1/Fec). */
function verifySendInto(pool: Pool, make: () => UdptlSender): void {
  const a = make();
  const b = make();
  const out = new UdptlSendBatch();
  for (let n = 0; n < 2 * POOL + 3; n++) {
    const want = a.send(pool.ifps[n & MASK]!, 'image').datagrams[0]!;
    b.sendInto(pool.ifps[n & MASK]!, 0, IFP_LEN, 'image', out);
    if (out.copies !== 1 || !same(out.buffer.subarray(0, out.length), want)) fail(`sendInto datagram ${n}`);
  }
}

function verifyEncodeIfp(pool: Pool): void {
  const buf = new Uint8Array(256);
  for (let i = 0; i < 4; i++) {
    const n = encodeIfpInto(pool.ifpValues[i]!, VERSION, buf, 0);
    if (!same(buf.subarray(0, n), pool.ifps[i]!)) fail('encodeIfpInto bytes');
  }
}

function verifySenderRed1(pool: Pool): void {
  const tx = redSender();
  for (let n = 0; n < 2 * POOL + 3; n++) {
    const r = tx.send(pool.ifps[n & MASK]!, 'image');
    const d = r.datagrams[0]!;
    if (r.datagrams.length !== 1 || r.seq !== (n & 0xffff)) fail('sender red1 seq/copies');
    if (n === 0) {
      // No history yet: seq | 3b | IFP | 00 | 00.
      if (d.length !== 2 + 1 + IFP_LEN + 2 || d[d.length - 1] !== 0 || !same(d.subarray(3, 3 + IFP_LEN), pool.ifps[0]!)) fail('sender red1 first datagram');
    } else {
      const want = pool.datagrams[n & MASK]!;
      setSeq(want, n);
      if (!same(d, want)) fail(`sender red1 datagram ${n}`);
    }
  }
}

function verifySenderFec(pool: Pool): void {
  const tx = fecSender();
  for (let n = 0; n < 40; n++) {
    const r = tx.send(pool.ifps[n & MASK]!, 'image');
    const dec = decodeUdptl(r.datagrams[0]!);
    if (!dec.ok) fail(`FEC datagram ${n} does not decode: ${dec.error.code}`);
    const p = dec.value;
    if (p.seq !== n || !same(p.primary, pool.ifps[n & MASK]!) || p.recovery.kind !== 'fec') fail(`FEC datagram ${n} header`);
    if (n < 6) continue; // wind-up
    const { span, entries } = p.recovery;
    if (span !== 3 || entries.length !== 2) fail(`FEC datagram ${n}: span ${span}, ${entries.length} entries`);
    // Entry m = XOR of the IFPs n + m − 6 + 2k, k = 0..2 (T.38 §9.1 fec-info as Asterisk/spandsp lay it out).
    for (let m = 0; m < 2; m++) {
      const want = new Uint8Array(IFP_LEN);
      for (let k = 0; k < 3; k++) {
        const src = pool.ifps[(n + m - 6 + 2 * k) & MASK]!;
        for (let j = 0; j < IFP_LEN; j++) want[j] = (want[j] ?? 0) ^ (src[j] ?? 0);
      }
      if (!same(entries[m]!, want)) fail(`FEC datagram ${n} entry ${m}`);
    }
  }
}

function redSender(): UdptlSender {
  return new UdptlSender({ errorCorrection: { mode: 'redundancy', depth: { indicator: 1, control: 1, image: 1 } } });
}

function fecSender(): UdptlSender {
  return new UdptlSender({ errorCorrection: { mode: 'fec', span: 3, entries: 2 } });
}

/** Fingerprint of the datagrams a fresh sender makes from IFPs 0..FP_COUNT−1 (same as the C side). */
function senderFingerprint(pool: Pool, make: () => UdptlSender): string {
  const tx = make();
  const scratch = new Uint8Array(256);
  let h = FNV_INIT;
  for (let n = 0; n < FP_COUNT; n++) {
    const len = encodeIfpInto(pool.ifpValues[n & MASK]!, VERSION, scratch, 0);
    h = fnv1a(h, tx.send(scratch.subarray(0, len), 'image').datagrams[0]!);
  }
  return fingerprint(h, FP_COUNT);
}

/** `senderFingerprint` through the allocation-free `sendInto`. */
function senderIntoFingerprint(pool: Pool, make: () => UdptlSender): string {
  const tx = make();
  const out = new UdptlSendBatch();
  let h = FNV_INIT;
  for (let n = 0; n < FP_COUNT; n++) {
    const len = encodeIfpInto(pool.ifpValues[n & MASK]!, VERSION, tx.staging, 0);
    tx.sendInto(tx.staging, 0, len, 'image', out);
    h = fnv1a(h, out.buffer, 0, out.length);
  }
  return fingerprint(h, FP_COUNT);
}

/** `receiverFingerprint` through the allocation-free `receiveInto` (IFPs as views). */
function receiverIntoFingerprint(pool: Pool): string {
  const rx = new UdptlReceiver();
  const out = new UdptlReceiveBatch();
  const view = new IfpView();
  let h = FNV_INIT;
  for (let k = 0; k < FP_COUNT; k++) {
    const d = pool.datagrams[k & MASK]!;
    setSeq(d, k);
    rx.receiveInto(d, out);
    for (let j = 0; j < out.count; j++) {
      if (out.seq[j]! >= FP_COUNT) continue; // the secondary of the first datagram (seq 65535)
      const buf = out.buf[j]!;
      if (!decodeIfpView(buf, VERSION, view, out.start[j], out.end[j])) fail('receiver fingerprint: IFP does not decode');
      for (let f = 0; f < view.fieldCount; f++) {
        const off = view.fieldDataOffset[f]!;
        if (off >= 0) h = fnv1a(h, buf, off, off + view.fieldDataLength[f]!);
      }
    }
  }
  return fingerprint(h, FP_COUNT);
}

/** Field data of the IFPs delivered for seq < FP_COUNT by a fresh receiver fed seq 0..FP_COUNT−1. */
function receiverFingerprint(pool: Pool): string {
  const rx = new UdptlReceiver();
  const view = new IfpView();
  let h = FNV_INIT;
  for (let k = 0; k < FP_COUNT; k++) {
    const d = pool.datagrams[k & MASK]!;
    setSeq(d, k);
    for (const x of rx.receive(d)) {
      if (x.seq >= FP_COUNT) continue; // the secondary of the first datagram (seq 65535)
      if (!decodeIfpView(x.ifp, VERSION, view)) fail('receiver fingerprint: IFP does not decode');
      for (let f = 0; f < view.fieldCount; f++) {
        const off = view.fieldDataOffset[f]!;
        if (off >= 0) h = fnv1a(h, x.ifp, off, off + view.fieldDataLength[f]!);
      }
    }
  }
  return fingerprint(h, FP_COUNT);
}

// --- the cases --------------------------------------------------------------------------------

/** A datagram stream over the pool: index and seq count on across calls. */
class Stream {
  i = 0;
  seq = 0;
  constructor(private readonly datagrams: readonly Uint8Array[]) {}
  next(): Uint8Array {
    const d = this.datagrams[this.i & MASK]!;
    this.i++;
    d[0] = (this.seq >>> 8) & 0xff;
    d[1] = this.seq & 0xff;
    this.seq = (this.seq + 1) & 0xffff;
    return d;
  }
}

function decodeCases(pool: Pool): BenchCase[] {
  const C_DECODE = 'c/decode/udptl+t38core';
  const allocating: BenchCase = (() => {
    const s = new Stream(pool.datagrams);
    return {
      name: 'udptl/decode/alloc',
      description: 'decodeUdptl + decodeIfp(primary) — the allocating API',
      unit: 'datagram',
      baseline: C_DECODE,
      verify: () => verifyDecode(pool),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const r = decodeUdptl(s.next());
          if (!r.ok) continue;
          const ifp = decodeIfp(r.value.primary, VERSION);
          if (ifp.ok) acc += ifp.bytesRead;
        }
        return acc;
      },
    };
  })();
  const zeroAlloc: BenchCase = (() => {
    const s = new Stream(pool.datagrams);
    const u = new UdptlView();
    const v = new IfpView();
    return {
      name: 'udptl/decode/zero-alloc',
      description: 'decodeUdptlView + decodeIfpView(primary), both into reused views — the hot path',
      unit: 'datagram',
      baseline: C_DECODE,
      target: { opsPerSec: DECODE_TARGET, source: 'issue' },
      verify: () => verifyDecode(pool),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const d = s.next();
          if (decodeUdptlView(d, u) && decodeIfpView(d, VERSION, v, u.primaryStart, u.primaryEnd)) acc += v.fieldDataLength[0]!;
        }
        return acc;
      },
    };
  })();
  const view: BenchCase = (() => {
    const s = new Stream(pool.datagrams);
    const v = new IfpView();
    return {
      name: 'udptl/decode/view',
      description: 'decodeUdptl + decodeIfpView(primary) into one reused IfpView',
      unit: 'datagram',
      baseline: C_DECODE,
      verify: () => verifyDecode(pool),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const r = decodeUdptl(s.next());
          if (r.ok && decodeIfpView(r.value.primary, VERSION, v)) acc += v.fieldDataLength[0]!;
        }
        return acc;
      },
    };
  })();
  const receiver: BenchCase = (() => {
    const s = new Stream(pool.datagrams);
    const rx = new UdptlReceiver();
    const v = new IfpView();
    return {
      name: 'udptl/decode/receiver',
      description: 'UdptlReceiver.receive (sequential seqs) + decodeIfpView of each delivered IFP',
      unit: 'datagram',
      baseline: C_DECODE,
      verify: () => verifyReceiver(pool),
      check: () => receiverFingerprint(pool),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const out = rx.receive(s.next());
          for (let j = 0; j < out.length; j++) {
            if (decodeIfpView(out[j]!.ifp, VERSION, v)) acc += v.fieldDataLength[0]!;
          }
        }
        return acc;
      },
    };
  })();
  const receiverInto: BenchCase = (() => {
    const s = new Stream(pool.datagrams);
    const rx = new UdptlReceiver();
    const out = new UdptlReceiveBatch();
    const v = new IfpView();
    return {
      name: 'udptl/decode/receiver-into',
      description: 'UdptlReceiver.receiveInto (reused batch, IFPs as views) + decodeIfpView of each — the allocation-free full path',
      unit: 'datagram',
      baseline: C_DECODE,
      verify: () => verifyReceiverInto(pool),
      check: () => receiverIntoFingerprint(pool),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          rx.receiveInto(s.next(), out);
          for (let j = 0; j < out.count; j++) {
            if (decodeIfpView(out.buf[j]!, VERSION, v, out.start[j], out.end[j])) acc += v.fieldDataLength[0]!;
          }
        }
        return acc;
      },
    };
  })();
  return [allocating, view, zeroAlloc, receiver, receiverInto];
}

function encodeCases(pool: Pool): BenchCase[] {
  const make = (name: string, description: string, sender: () => UdptlSender, baseline: string, verify: () => void): BenchCase => {
    const tx = sender();
    const scratch = new Uint8Array(256);
    let i = 0;
    return {
      name,
      description,
      unit: 'datagram',
      baseline,
      verify,
      check: () => senderFingerprint(pool, sender),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const len = encodeIfpInto(pool.ifpValues[i & MASK]!, VERSION, scratch, 0);
          i++;
          acc += tx.send(scratch.subarray(0, len), 'image').datagrams[0]!.length;
        }
        return acc;
      },
    };
  };
  const makeInto = (name: string, description: string, sender: () => UdptlSender, baseline: string, verify: () => void): BenchCase => {
    const tx = sender();
    const out = new UdptlSendBatch();
    let i = 0;
    return {
      name,
      description,
      unit: 'datagram',
      baseline,
      verify,
      check: () => senderIntoFingerprint(pool, sender),
      run: (n: number): number => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          // Encoded straight into the sender's staging area (its copies are then memmoves).
          const len = encodeIfpInto(pool.ifpValues[i & MASK]!, VERSION, tx.staging, 0);
          i++;
          tx.sendInto(tx.staging, 0, len, 'image', out);
          acc += out.length;
        }
        return acc;
      },
    };
  };
  return [
    makeInto('udptl/encode/red1-into', 'encodeIfpInto into sender.staging + UdptlSender.sendInto (reused batch), redundancy 1 — the allocation-free full path', redSender, 'c/encode/t38core+udptl-red1', () => {
      verifyEncodeIfp(pool);
      verifySenderRed1(pool);
      verifySendInto(pool, redSender);
    }),
    makeInto('udptl/encode/fec-3x2-into', 'encodeIfpInto into sender.staging + UdptlSender.sendInto (reused batch), parity FEC span 3 entries 2', fecSender, 'c/encode/t38core+fec-3x2', () => {
      verifyEncodeIfp(pool);
      verifySenderFec(pool);
      verifySendInto(pool, fecSender);
    }),
    make(
      'udptl/encode/red1',
      'encodeIfpInto + UdptlSender.send, redundancy 1',
      redSender,
      'c/encode/t38core+udptl-red1',
      () => {
        verifyEncodeIfp(pool);
        verifySenderRed1(pool);
      },
    ),
    make(
      'udptl/encode/fec-3x2',
      'encodeIfpInto + UdptlSender.send, parity FEC span 3 entries 2',
      fecSender,
      'c/encode/t38core+fec-3x2',
      () => {
        verifyEncodeIfp(pool);
        verifySenderFec(pool);
      },
    ),
  ];
}

/** Breakdown of the cases above into their halves, each against the matching C half. */
function partCases(pool: Pool): BenchCase[] {
  const parts: BenchCase[] = [];
  {
    const s = new Stream(pool.datagrams);
    parts.push({
      name: 'udptl/part/decodeUdptl',
      description: 'decodeUdptl alone',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/udptl',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const r = decodeUdptl(s.next());
          if (r.ok) acc += r.bytesRead;
        }
        return acc;
      },
    });
  }
  {
    const s = new Stream(pool.datagrams);
    const rx = new UdptlReceiver();
    parts.push({
      name: 'udptl/part/receiver',
      description: 'UdptlReceiver.receive alone (decodeUdptl + ordering + IFP copy)',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/udptl',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += rx.receive(s.next()).length;
        return acc;
      },
    });
  }
  {
    const s = new Stream(pool.datagrams);
    const rx = new UdptlReceiver();
    const out = new UdptlReceiveBatch();
    parts.push({
      name: 'udptl/part/receiver-into',
      description: 'UdptlReceiver.receiveInto alone (decodeUdptlView + ordering + IFP copy into the ring)',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/udptl',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          rx.receiveInto(s.next(), out);
          acc += out.count;
        }
        return acc;
      },
    });
  }
  {
    let i = 0;
    parts.push({
      name: 'udptl/part/decodeIfp',
      description: 'decodeIfp(primary) alone, default arguments (allocates an IfpView per call)',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/t38core',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const r = decodeIfp(pool.primaries[i++ & MASK]!, VERSION);
          if (r.ok) acc += r.bytesRead;
        }
        return acc;
      },
    });
  }
  {
    let i = 0;
    const v = new IfpView();
    parts.push({
      name: 'udptl/part/decodeIfp-reused-view',
      description: 'decodeIfp(primary, 3, view) alone, one reused IfpView',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/t38core',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const r = decodeIfp(pool.primaries[i++ & MASK]!, VERSION, v);
          if (r.ok) acc += r.bytesRead;
        }
        return acc;
      },
    });
  }
  {
    let i = 0;
    const v = new IfpView();
    parts.push({
      name: 'udptl/part/decodeIfpView',
      description: 'decodeIfpView(primary) alone',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/t38core',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) if (decodeIfpView(pool.primaries[i++ & MASK]!, VERSION, v)) acc += v.bytesRead;
        return acc;
      },
    });
  }
  {
    let i = 0;
    const scratch = new Uint8Array(256);
    parts.push({
      name: 'udptl/part/encodeIfpInto',
      description: 'encodeIfpInto alone',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/t38core-send',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += encodeIfpInto(pool.ifpValues[i++ & MASK]!, VERSION, scratch, 0);
        return acc;
      },
    });
  }
  {
    let i = 0;
    const tx = redSender();
    parts.push({
      name: 'udptl/part/send-red1',
      description: 'UdptlSender.send alone on encoded IFPs, redundancy 1',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/udptl_build-red1',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.send(pool.ifps[i++ & MASK]!, 'image').datagrams[0]!.length;
        return acc;
      },
    });
  }
  {
    let i = 0;
    const tx = redSender();
    const out = new UdptlSendBatch();
    parts.push({
      name: 'udptl/part/sendInto-red1',
      description: 'UdptlSender.sendInto alone on encoded IFPs, redundancy 1',
      unit: 'datagram',
      part: true,
      baseline: 'c/part/udptl_build-red1',
      run: (n) => {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          tx.sendInto(pool.ifps[i++ & MASK]!, 0, IFP_LEN, 'image', out);
          acc += out.length;
        }
        return acc;
      },
    });
  }
  return parts;
}

// --- the C baseline ---------------------------------------------------------------------------

const C_RESULTS = [
  'c/decode/udptl+t38core',
  'c/part/udptl',
  'c/part/t38core',
  'c/encode/t38core+udptl-red1',
  'c/encode/t38core+fec-3x2',
  'c/part/t38core-send',
  'c/part/udptl_build-red1',
] as const;

function cBaseline(pool: Pool): Baseline {
  return {
    name: 'c/udptl_baseline',
    provides: C_RESULTS,
    prepare: (settings: BenchSettings): BaselineRunner | BaselineUnavailable => {
      const peerSrc = join(sharedDir(), 'interop', 'spandsp-peer', 'src');
      const spandsp = debVersion('libspandsp-dev');
      const about = [
        `C: bench/c/udptl_baseline.c + ${join(peerSrc, 'udptl.c')} (compiled from there) + -lspandsp`,
        `libspandsp-dev ${spandsp ?? '(version unknown: dpkg-query found no libspandsp-dev)'}`,
      ];
      if (!existsSync(join(peerSrc, 'udptl.c'))) {
        return { unavailable: `spandsp peer source not found at ${peerSrc} (expected <repo>/../shared)`, about };
      }
      const dir = tempDir('udptl', settings.keepTemp);
      const built = compileC({
        sources: [join(repoRoot(), 'bench', 'c', 'udptl_baseline.c'), join(peerSrc, 'udptl.c')],
        includeDirs: [peerSrc],
        libs: ['-lspandsp'],
        outDir: dir,
        exeName: 'udptl_baseline',
      });
      if (!built.ok) {
        return { unavailable: `${built.reason}\n(needs gcc and libspandsp-dev: apt-get install build-essential libspandsp-dev)`, about };
      }
      about.unshift(`C compiler: ${built.compiler}`);
      if (settings.keepTemp) about.push(`temporary directory kept: ${dir}`);
      const poolPath = join(dir, 'pool.bin');
      writeFileSync(poolPath, poolFile(pool));
      // C needs no JIT warm-up: a short one settles caches and branch predictors.
      const warmup = Math.min(settings.warmupSeconds, 0.25);
      return {
        about,
        run: (wanted, runs) =>
          runBaselineProgram(built.exe, [
            ...(settings.clock === 'wall' ? ['--wall'] : []),
            poolPath,
            String(settings.minSeconds),
            String(runs ?? settings.runs),
            String(warmup),
            ...wanted,
          ]),
      };
    },
  };
}

export function udptlSuite(): BenchSuite {
  const pool = buildPool();
  return {
    name: 'udptl',
    title: 'UDPTL + IFP wire layer (T.38 §9.1, §7)',
    input:
      `V.17 14400 image datagrams, T.38 v3, ${pool.datagrams[0]!.length} octets: seq | primary t4-non-ecm-data:${PAYLOAD} ` +
      `(${IFP_LEN} octets) | 1 secondary (the previous IFP); pool of ${POOL}, sequential seqs`,
    cases: [...decodeCases(pool), ...encodeCases(pool), ...partCases(pool)],
    baselines: [cBaseline(pool)],
  };
}
