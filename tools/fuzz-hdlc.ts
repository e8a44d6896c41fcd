/**
 * Fuzz targets for src/hdlc (registered by fuzz.ts):
 *
 * - `hdlc-deframer`: the input's bits (LSB first) are a line bit stream for an HdlcDeframer; the
 *   first octet picks the options (bit order, frame length limit, chunk size, flag threshold).
 *   Seeds are real V.21 frames and ECM-sized frames put on the line by HdlcFramer, so mutations
 *   start from valid flags, stuffing and FCS. Checked on every input, besides "never throws":
 *   every frame ends exactly once and the statistics add up to those ends; whole frames are within
 *   the limits; what came progressively is what came whole; a frame delivered with a good FCS
 *   re-encodes and decodes to itself.
 * - `hdlc-framer-stream`: the input is a script of framer calls (whole frames, streamed frames
 *   with pushes and good/bad ends, preambles, bits pulled in between — so underruns and overlong
 *   streams happen), its line bits going to a deframer. Checked: the framer never throws on a
 *   legal call sequence, ends after finish(), and the far end sees exactly what was sent: as many
 *   good + bad + runt frames as the framer completed, as many aborts as it sent, nothing
 *   misaligned.
 */

import { HdlcDeframer, HdlcFramer, type HdlcFrameEnd, type HdlcSink } from '../src/hdlc/index.js';
import type { FuzzTarget } from './fuzz-stateful.js';

class FuzzFailure extends Error {}

function check(cond: boolean, what: string): void {
  if (!cond) throw new FuzzFailure(what);
}

/** Records a deframer's output and checks its shape as it comes. */
class CheckingSink implements HdlcSink {
  ends = 0;
  wholeFrames = 0;
  readonly seen = new Set<HdlcFrameEnd>();
  private progressive: number[] = [];
  private lastWhole: Uint8Array | undefined;
  readonly good: Uint8Array[] = [];
  constructor(
    private readonly max: number,
    private readonly min: number,
  ) {}
  frame(bytes: Uint8Array, fcsOk: boolean): void {
    check(bytes.length >= this.min && bytes.length <= this.max, `frame of ${bytes.length} octets outside ${this.min}..${this.max}`);
    this.wholeFrames++;
    this.lastWhole = Uint8Array.from(bytes);
    if (fcsOk && this.good.length < 8) this.good.push(this.lastWhole);
  }
  octets(buf: Uint8Array, start: number, end: number): void {
    check(start >= 0 && end > start && end <= this.max, `octets(${start}, ${end})`);
    for (let i = start; i < end; i++) this.progressive.push(buf[i] as number);
  }
  frameEnd(end: HdlcFrameEnd): void {
    this.ends++;
    this.seen.add(end);
    if (end === 'ok' || end === 'bad-fcs') {
      const w = this.lastWhole;
      check(w !== undefined && w.length === this.progressive.length && w.every((b, i) => b === this.progressive[i]), 'progressive ≠ whole');
    }
    this.lastWhole = undefined;
    this.progressive = [];
  }
}

function bitsOf(frames: readonly Uint8Array[], preamble: number): Uint8Array {
  const f = new HdlcFramer({ maxFrameLength: 300 });
  f.preambleFlags(preamble);
  for (const fr of frames) f.sendFrame(fr);
  f.finish();
  const bits: number[] = [];
  for (let b = f.getBit(); b >= 0; b = f.getBit()) bits.push(b);
  const out = new Uint8Array(Math.ceil(bits.length / 8) + 1);
  out[0] = 0; // options octet
  bits.forEach((b, i) => {
    out[1 + (i >> 3)]! |= b << (i & 7);
  });
  return out;
}

function runDeframer(input: Uint8Array): string {
  const o = input[0] ?? 0;
  const bitOrder = o & 1 ? 'msb-first' : 'lsb-first';
  const max = [260, 3, 16, 64][(o >> 1) & 3] ?? 260;
  const min = (o >> 3) & 1 ? 3 : 2;
  const chunk = 1 + ((o >> 4) & 7);
  const sink = new CheckingSink(max, min);
  const d = new HdlcDeframer(sink, { bitOrder, maxFrameLength: max, minFrameLength: min, octetChunk: Math.min(chunk, max), flagThreshold: 1 + (o >> 7) * 5 });
  for (let i = 1; i < input.length; i++) {
    const octet = input[i] as number;
    for (let k = 0; k < 8; k++) d.putBit((octet >> k) & 1);
    if (octet === 0x00 && i % 97 === 0) d.status('carrier-down');
  }
  d.status('carrier-down');
  const s = d.getStats();
  check(sink.ends === s.framesOk + s.badFcs + s.runts + s.misaligned + s.tooLong + s.aborts, 'frame ends ≠ sum of outcome counts');
  check(sink.wholeFrames === s.framesOk + s.badFcs, 'whole frames ≠ ok + bad FCS');
  check(s.bits === Math.max(0, input.length - 1) * 8, 'bit count');
  // A good frame re-encodes to a good frame.
  for (const g of sink.good) {
    const f = new HdlcFramer({ bitOrder, maxFrameLength: max });
    f.sendFrame(g);
    f.finish();
    const back: Uint8Array[] = [];
    const d2 = new HdlcDeframer({ frame: (b, ok) => void (ok && back.push(Uint8Array.from(b))) }, { bitOrder, maxFrameLength: max, minFrameLength: min });
    for (let b = f.getBit(); b >= 0; b = f.getBit()) d2.putBit(b);
    check(back.length === 1 && back[0]!.length === g.length && back[0]!.every((b, i) => b === g[i]), 're-encoded good frame differs');
  }
  return [...sink.seen].sort().join(',');
}

/** Script ops, one octet each (+ arguments): see the switch. */
function runFramerStream(input: Uint8Array): string {
  const max = 40;
  const f = new HdlcFramer({ maxFrameLength: max, interFrameFlags: 1 + ((input[0] ?? 0) & 1), closingFlags: 1 + ((input[0] ?? 0) & 2) });
  const sink = new CheckingSink(max + 10, 2);
  const d = new HdlcDeframer(sink, { maxFrameLength: max + 10, octetChunk: 3 });
  let open = false;
  let i = 1;
  const next = (): number => input[i++] ?? 0;
  const pull = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const b = f.getBit();
      check(b === 0 || b === 1, `getBit ${b} before finish()`);
      d.putBit(b);
    }
  };
  let ops = 0;
  while (i < input.length && ops++ < 500) {
    const op = next();
    switch (op % 7) {
      case 0: {
        const n = 1 + (next() % max);
        f.sendFrame(input.subarray(i, i + n).length === n ? input.subarray(i, i + n) : new Uint8Array(n).fill(op), (op & 0x80) === 0);
        i += n;
        break;
      }
      case 1:
        if (!open) f.startFrame();
        open = true;
        break;
      case 2: {
        const n = next() % 12;
        if (open) f.pushBytes(input.subarray(i, i + n));
        i += n;
        break;
      }
      case 3:
        if (open) f.endFrame((op & 0x80) === 0);
        open = false;
        break;
      case 4:
        f.preambleFlags(next() % 8);
        break;
      default:
        pull(next() * 2);
    }
  }
  if (open) f.endFrame();
  f.finish();
  let n = 0;
  for (let b = f.getBit(); b >= 0; b = f.getBit()) {
    d.putBit(b);
    check(++n < 2_000_000, 'framer never ends');
  }
  check(f.getBit() === -1 && f.done, 'END_OF_DATA is not sticky');
  const fs = f.getStats();
  const ds = d.getStats();
  check(ds.framesOk + ds.badFcs + ds.runts === fs.framesSent, `far end completed ${ds.framesOk + ds.badFcs + ds.runts} of ${fs.framesSent} frames`);
  check(ds.aborts === fs.abortsSent, `far end saw ${ds.aborts} aborts of ${fs.abortsSent}`);
  check(ds.misaligned === 0 && ds.tooLong === 0, 'misaligned or overlong frame from a clean line');
  check(ds.bits === fs.bitsSent, 'bit counts differ');
  return `${fs.underruns > 0}:${fs.tooLong > 0}:${fs.badFcsSent > 0}:${ds.runts > 0}`;
}

/** `frames`: T.30 frames (T.30-order octets) to seed with. */
export function hdlcTargets(frames: readonly Uint8Array[]): FuzzTarget[] {
  // Real V.21 frames from the corpus captures (ISO order, without FCS): DIS, DCS, CSI.
  const v21 = [
    Uint8Array.of(0xff, 0x13, 0x80, 0x00, 0xce, 0x88, 0x80, 0x80, 0x11),
    Uint8Array.of(0xff, 0x13, 0x83, 0x00, 0x86, 0x88, 0x80, 0x80, 0x00),
    Uint8Array.from([0xff, 0x03, 0x40, ...Buffer.from('+15700884455522180++', 'latin1')]),
  ];
  const ecm = Uint8Array.from({ length: 260 }, (_, k) => (k < 4 ? [0xff, 0x03, 0x60, k][k]! : (k * 0x7e) & 0xff));
  const deframerSeeds = [bitsOf(v21, 4), bitsOf([ecm, ecm.subarray(0, 70)], 2), bitsOf(frames, 1), bitsOf([Uint8Array.of(0xff, 0xff, 0x7e, 0x7e, 0x1f)], 1)];
  const script = (...b: number[]): Uint8Array => Uint8Array.from(b);
  const framerSeeds = [
    script(0, 4, 5, 0, 5, 0xff, 0x13, 0x80, 0x00, 0xce, 5, 40, 1, 2, 3, 0xff, 0x03, 0x06, 5, 10, 2, 4, 1, 2, 3, 4, 3, 5, 100),
    script(1, 1, 2, 2, 0xff, 0x13, 5, 30, 2, 3, 7, 7, 7, 0x83, 5, 60),
    script(2, 1, 2, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 2, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 2, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 2, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 3),
  ];
  return [
    { name: 'hdlc-deframer', seeds: deframerSeeds, run: runDeframer },
    { name: 'hdlc-framer-stream', seeds: framerSeeds, run: runFramerStream },
  ];
}
