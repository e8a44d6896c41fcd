/**
 * HDLC receiver as a fax modem carries it: line bits in (a modem's BitSink), frames out.
 *
 * Bit rules (ISO/IEC 13239 flag, transparency and abort; T.30 §5.3.1, §5.3.7):
 * - `0 111111 0` is a flag. A 0 after exactly five 1s is an inserted zero and is dropped. Seven
 *   or more 1s are an abort: the frame in progress is discarded and the receiver hunts for the
 *   next flag (a line idling on 1s after a burst is the same pattern, counted only if a frame
 *   had begun).
 * - Frame octets arrive low-order bit first; the frame is what lies between two flags (one flag
 *   may close a frame and open the next; flags may also share their 0: `0111111011111110`).
 * - The last two octets are the FCS (CRC-16-CCITT, crc.ts); a good frame leaves the register at
 *   0xF0B8. Frames are delivered without it.
 *
 * A frame ends in exactly one way (`HdlcFrameEnd`): `'ok'`, `'bad-fcs'`, `'runt'` (fewer than
 * `minFrameLength` octets before the FCS), `'misaligned'` (not a whole number of octets),
 * `'too-long'` (more than `maxFrameLength` octets before the FCS: dropped at that point, the
 * receiver then hunts for a flag) or `'aborted'`. Anything between two flags is a frame once it
 * holds at least one bit; a few stray bits from a line error in a run of flags therefore count
 * as a misaligned frame.
 *
 * Delivery (`HdlcSink`, every method optional):
 * - `frame(bytes, fcsOk)` — whole-frame delivery at the closing flag, for `'ok'` and
 *   `'bad-fcs'` frames only (the T.30 engine wants to know that a bad frame came).
 * - `octets(buf, start, end)` then `frameEnd(end)` — progressive delivery, for a T.38 gateway
 *   relaying `hdlc-data` before the frame ends (T.38 §7.4). An octet is delivered once two more
 *   have arrived after it (until the closing flag the last two could be the FCS), in chunks of
 *   `octetChunk` octets; at the closing flag of an `'ok'` / `'bad-fcs'` frame the rest is
 *   delivered, then `frameEnd`. Every frame gets one `frameEnd`, whether or not any octet was
 *   delivered for it (a consumer that saw no octets can ignore it).
 * - `flags(count)` — `flagThreshold` consecutive flags were seen with nothing between them: a
 *   preamble (T.30 §5.3.1), reported once per run, for a fast preamble detector.
 * - `status(s)` — the modem's status changes, passed on. At `'carrier-down'` a frame in
 *   progress ends `'aborted'` and the receiver hunts for a flag again.
 *
 * The octets handed to `frame` and `octets` are views of the receiver's own buffer: valid only
 * during the call (copy them to keep them). Octet order: `bitOrder` (bits.ts).
 *
 * Per bit: a few integer operations on fields, no allocation (the frame buffer is allocated in
 * the constructor; `frame()` gets a `subarray` view, one small object per frame).
 */

import { checkInt } from '../util/check.js';
import { FaxwireError } from '../util/errors.js';
import { BIT_REVERSE, type HdlcBitOrder } from './bits.js';
import { CRC16_ITU_GOOD, CRC16_ITU_INIT, CRC16_ITU_TABLE } from './crc.js';
import { HDLC_DEFAULT_MAX_FRAME } from './framer.js';

export type HdlcFrameEnd = 'ok' | 'bad-fcs' | 'runt' | 'misaligned' | 'too-long' | 'aborted';

/** Where an HdlcDeframer delivers; implement what you need. */
export interface HdlcSink {
  /** A whole frame without FCS (`'ok'` or `'bad-fcs'`). `bytes` is valid only during the call. */
  frame?(bytes: Uint8Array, fcsOk: boolean): void;
  /** Progressive: `buf[start…end)` are the next octets of the frame in progress (never FCS). Valid only during the call. */
  octets?(buf: Uint8Array, start: number, end: number): void;
  /** Progressive: the frame in progress ended (once per frame). */
  frameEnd?(end: HdlcFrameEnd): void;
  /** `count` (= flagThreshold) consecutive flags: a preamble. Once per run of flags. */
  flags?(count: number): void;
  /** The modem's status, passed on (carrier-up, training…, carrier-down). */
  status?(status: string): void;
}

export interface HdlcDeframerOptions {
  /** How frame octets map to line bits. Default `'lsb-first'`. */
  readonly bitOrder?: HdlcBitOrder;
  /** Longest frame, octets without FCS. Default 260 (T.30 ECM frame with 256 octets, T.30 Annex A). */
  readonly maxFrameLength?: number;
  /** Shortest frame, octets without FCS, ≤ maxFrameLength. Default 2 (address and control). */
  readonly minFrameLength?: number;
  /** Consecutive flags that make `flags()` fire. Default 4. */
  readonly flagThreshold?: number;
  /** Progressive delivery: octets per `octets()` call (the rest at the frame's end). Default 1. */
  readonly octetChunk?: number;
}

export interface HdlcDeframerStats {
  /** Bits received. */
  bits: number;
  flags: number;
  framesOk: number;
  badFcs: number;
  runts: number;
  misaligned: number;
  tooLong: number;
  /** Frames aborted (seven 1s, or carrier-down, inside a frame). */
  aborts: number;
  /** Octets of good frames, without FCS. */
  octetsOk: number;
  /** Preambles reported (`flags()` calls). */
  preambles: number;
}

export class HdlcDeframer {
  private readonly sink: HdlcSink;
  private readonly msbFirst: boolean;
  private readonly maxFrameLength: number;
  private readonly minFrameLength: number;
  private readonly flagThreshold: number;
  private readonly octetChunk: number;
  /** Frame octets as delivered (bit order applied), FCS included; sized max + 2. */
  private readonly buf: Uint8Array;

  /** False: hunting for a flag (start, after an abort or an overlong frame). */
  private synced = false;
  /** Consecutive 1s received, not yet taken as data (they may be part of a flag). */
  private ones = 0;
  /** The last 0 received was data and is held back (it may open a flag). */
  private zeroHeld = false;
  /** Octet being assembled, LSB first, and how many of its bits are in. */
  private octet = 0;
  private octetBits = 0;
  private len = 0;
  private delivered = 0;
  private crc = CRC16_ITU_INIT;
  /** Flags since the last frame, abort or hunt. */
  private flagRun = 0;
  private bitCount = 0;

  private readonly stats: HdlcDeframerStats = {
    bits: 0,
    flags: 0,
    framesOk: 0,
    badFcs: 0,
    runts: 0,
    misaligned: 0,
    tooLong: 0,
    aborts: 0,
    octetsOk: 0,
    preambles: 0,
  };

  constructor(sink: HdlcSink, options: HdlcDeframerOptions = {}) {
    const order = options.bitOrder ?? 'lsb-first';
    if (order !== 'lsb-first' && order !== 'msb-first') throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bitOrder = ${String(order)}`);
    this.sink = sink;
    this.msbFirst = order === 'msb-first';
    this.maxFrameLength = checkInt(options.maxFrameLength ?? HDLC_DEFAULT_MAX_FRAME, 1, 65535, 'maxFrameLength');
    this.minFrameLength = checkInt(options.minFrameLength ?? Math.min(2, this.maxFrameLength), 0, this.maxFrameLength, 'minFrameLength');
    this.flagThreshold = checkInt(options.flagThreshold ?? 4, 1, 1_000_000, 'flagThreshold');
    this.octetChunk = checkInt(options.octetChunk ?? 1, 1, this.maxFrameLength, 'octetChunk');
    this.buf = new Uint8Array(this.maxFrameLength + 2);
  }

  getStats(): HdlcDeframerStats {
    return { ...this.stats, bits: this.bitCount };
  }

  /** True between a flag and the next abort (frame sync). */
  get inSync(): boolean {
    return this.synced;
  }

  /** Forget the bit stream (hunt for a flag). A frame in progress ends `'aborted'`. */
  restart(): void {
    if (this.synced && this.frameBits() > 0) this.endFrame('aborted');
    this.hunt();
  }

  /** BitSink side: the modem's status. `'carrier-down'` ends a frame in progress as aborted. */
  status(status: string): void {
    if (status === 'carrier-down') this.restart();
    this.sink.status?.(status);
  }

  /** BitSink side: one line bit (any non-zero value is 1). */
  putBit(bit: number): void {
    this.bitCount++;
    if (bit !== 0) {
      if (++this.ones === 7) {
        // Abort (ISO/IEC 13239: seven or more 1s); further 1s just keep hunting.
        if (this.synced) {
          if (this.frameBits() > 0) this.endFrame('aborted');
          this.hunt();
        }
        this.flagRun = 0;
      }
      return;
    }
    const ones = this.ones;
    this.ones = 0;
    if (ones === 6) {
      this.flag();
      return;
    }
    if (ones > 6 || !this.synced) return; // end of an abort run, or hunting
    // The held 0 (if any) then the 1s are data: add them to the octet in one step (≤ 6 bits, so
    // at most one octet completes).
    let n = ones;
    let pattern = (1 << ones) - 1;
    if (this.zeroHeld) {
      pattern <<= 1;
      n++;
    }
    if (n > 0) {
      this.octet |= pattern << this.octetBits;
      this.octetBits += n;
      if (this.octetBits >= 8) {
        const line = this.octet & 0xff;
        this.octet >>>= 8;
        this.octetBits -= 8;
        this.octetDone(line);
      }
    }
    this.zeroHeld = this.synced && ones !== 5;
  }

  private hunt(): void {
    this.synced = false;
    this.flagRun = 0;
    this.zeroHeld = false;
    this.octet = 0;
    this.octetBits = 0;
    this.len = 0;
    this.delivered = 0;
    this.crc = CRC16_ITU_INIT;
  }

  private frameBits(): number {
    return this.len * 8 + this.octetBits;
  }

  /** A flag: the held 0 and the six 1s were the flag, not data. */
  private flag(): void {
    this.stats.flags++;
    if (this.synced && this.frameBits() > 0) {
      this.closeFrame();
      this.flagRun = 0;
    }
    this.synced = true;
    this.zeroHeld = false;
    this.octet = 0;
    this.octetBits = 0;
    this.len = 0;
    this.delivered = 0;
    this.crc = CRC16_ITU_INIT;
    if (++this.flagRun === this.flagThreshold) {
      this.stats.preambles++;
      this.sink.flags?.(this.flagRun);
    }
  }

  /** A whole octet of the frame (as on the line, LSB first). */
  private octetDone(line: number): void {
    if (this.len === this.maxFrameLength + 2) {
      // One octet beyond the longest frame and its FCS.
      this.endFrame('too-long');
      this.hunt();
      return;
    }
    this.crc = (this.crc >>> 8) ^ (CRC16_ITU_TABLE[(this.crc ^ line) & 0xff] as number);
    this.buf[this.len++] = this.msbFirst ? (BIT_REVERSE[line] as number) : line;
    if (this.len - 2 - this.delivered >= this.octetChunk) this.deliver(this.len - 2);
  }

  private deliver(end: number): void {
    if (end > this.delivered) {
      const start = this.delivered;
      this.delivered = end;
      this.sink.octets?.(this.buf, start, end);
    }
  }

  private closeFrame(): void {
    if (this.octetBits !== 0) {
      this.endFrame('misaligned');
      return;
    }
    const n = this.len - 2;
    if (n < this.minFrameLength) {
      this.endFrame('runt');
      return;
    }
    const ok = this.crc === CRC16_ITU_GOOD;
    this.deliver(n);
    this.sink.frame?.(this.buf.subarray(0, n), ok);
    if (ok) {
      this.stats.octetsOk += n;
    }
    this.endFrame(ok ? 'ok' : 'bad-fcs');
  }

  private endFrame(end: HdlcFrameEnd): void {
    switch (end) {
      case 'ok':
        this.stats.framesOk++;
        break;
      case 'bad-fcs':
        this.stats.badFcs++;
        break;
      case 'runt':
        this.stats.runts++;
        break;
      case 'misaligned':
        this.stats.misaligned++;
        break;
      case 'too-long':
        this.stats.tooLong++;
        break;
      case 'aborted':
        this.stats.aborts++;
        break;
    }
    this.sink.frameEnd?.(end);
  }
}
