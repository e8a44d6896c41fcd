/**
 * HDLC transmitter as a fax modem carries it: frames in, line bits out (a modem's BitSource).
 *
 * Frame structure (T.30 §5.3.1 and §5.3.7; ISO/IEC 13239):
 *
 * ```
 *   flag      address   control   information…   FCS (16 bits)   flag
 *   01111110  8 bits    8 bits    N × 8 bits     low octet first 01111110
 *             └──────── zero inserted after every five consecutive 1s ┘
 * ```
 *
 * - Flags 0x7E open and close frames; one flag between frames may close the first and open the
 *   next (ISO/IEC 13239). `interFrameFlags` sets how many go between frames (≥ 1).
 * - Zero-bit insertion (ISO/IEC 13239 transparency): after five consecutive 1s of address,
 *   control, information or FCS a 0 is inserted, including after the last FCS bit before the
 *   closing flag.
 * - FCS: CRC-16-CCITT (crc.ts), T.30 §5.3.7.
 * - Preamble (T.30 §5.3.1): the caller asks for it with `preambleFlags(n)` — 1 s ± 15 % of
 *   flags before the first V.21 frame (300 bit/s: 37.5 flags, 38 by `hdlcPreambleFlags`); 200 ms on the fast
 *   modems (T.30 Annex A: after training; 360 flags at 14 400 bit/s).
 * - Closing: after the last frame `closingFlags` flags, then — once `finish()` has been called
 *   and nothing is queued — END_OF_DATA (−1), which tells the modem to shut down. Until
 *   `finish()`, an empty queue idles on flags (the line stays in frame sync).
 * - Abort (ISO/IEC 13239: seven or more 1s): eight 1s. Sent when a streamed frame cannot continue (below).
 *
 * Two ways in:
 * - `sendFrame(bytes)`: a whole frame (without FCS), queued.
 * - streaming, for a T.38 gateway relaying `hdlc-data` as it arrives (T.38 §7.4):
 *   `startFrame()`, `pushBytes(bytes)` any number of times, `endFrame(fcsOk)`. A frame starts on
 *   the line only once its first octet is there (flags are sent while waiting). `endFrame(false)`
 *   deliberately sends a wrong FCS (the ones' complement of the right one, so it cannot match)
 *   so that the far end sees a bad frame, as it would on an end-to-end line: this is how a
 *   gateway relays `hdlc-fcs-BAD`.
 *
 * Underrun. HDLC has no way to pause inside a frame: idle flags there would end it with a wrong
 * FCS at a random place. When the line needs the next octet of a streamed frame that has begun
 * and it has not arrived (and `endFrame` was not called), the framer sends an abort, counts an
 * underrun, drops the rest of that frame (later `pushBytes` for it are ignored, its `endFrame`
 * closes it) and goes back to flags. The far end sees an aborted frame and T.30 recovers by
 * repetition (or ECM by retransmission). A gateway avoids underrun by starting a frame only once
 * it holds enough octets to cover the jitter of its packets.
 *
 * A streamed frame longer than `maxFrameLength` is data from the network, not a misuse: it is
 * counted (`tooLong`) and dropped the same way (an abort if it had begun on the line).
 *
 * Octet order: `bitOrder` (bits.ts) — `'lsb-first'` (default; ISO 13239, DIS = ff 13 80 …) or
 * `'msb-first'` (T.38 hdlc-data and faxwire's T.30 frames, DIS = ff c8 01 …).
 *
 * Per bit the work is a few comparisons on fields; nothing is allocated after a frame is queued.
 */

import { checkInt } from '../util/check.js';
import { FaxwireError } from '../util/errors.js';
import { BIT_REVERSE, type HdlcBitOrder } from './bits.js';
import { CRC16_ITU_INIT, crc16ItuOctet } from './crc.js';

/** What `getBit()` returns after the last closing flag once `finish()` was called (= modem END_OF_DATA). */
export const HDLC_END_OF_DATA = -1;

/** T.30 ECM frame (FCD): address, control, FCF, frame number and 256 octets of data (T.30 Annex A). */
export const HDLC_DEFAULT_MAX_FRAME = 260;

/** The flag 0x7E; symmetric, so its bit order does not matter. */
const FLAG = 0x7e;
/** Abort: eight 1s (ISO/IEC 13239 asks for at least seven). */
const ABORT = 0xff;

export interface HdlcFramerOptions {
  /** How frame octets map to line bits. Default `'lsb-first'`. */
  readonly bitOrder?: HdlcBitOrder;
  /** Longest frame accepted, octets without FCS. Default 260 (T.30 ECM frame with 256 octets). */
  readonly maxFrameLength?: number;
  /** Flags between two frames, ≥ 1 (one flag closes a frame and opens the next). Default 1. */
  readonly interFrameFlags?: number;
  /** Flags after the last frame before END_OF_DATA, ≥ 1. Default 2. */
  readonly closingFlags?: number;
}

export interface HdlcFramerStats {
  /** Frames completely sent (closing flag not counted). */
  framesSent: number;
  /** Of those, sent with a deliberately wrong FCS (`endFrame(false)`). */
  badFcsSent: number;
  /** Frame octets sent (without FCS). */
  octetsSent: number;
  flagsSent: number;
  /** Aborts put on the line (underruns and overlong streamed frames that had begun). */
  abortsSent: number;
  /** Streamed frames that ran dry inside the frame (see the module comment). */
  underruns: number;
  /** Streamed frames longer than `maxFrameLength` (dropped). */
  tooLong: number;
  /** Line bits produced (stuffed zeros included). */
  bitsSent: number;
}

/** A frame waiting to be sent, or being sent. */
interface QueuedFrame {
  readonly kind: 'frame';
  data: Uint8Array;
  len: number;
  ended: boolean;
  fcsOk: boolean;
  /** Dropped: underrun or too long. */
  dead: boolean;
}

interface QueuedFlags {
  readonly kind: 'flags';
  n: number;
}

export class HdlcFramer {
  private readonly msbFirst: boolean;
  private readonly maxFrameLength: number;
  private readonly interFrameFlags: number;
  private readonly closingFlags: number;

  private queue: (QueuedFrame | QueuedFlags)[] = [];
  /** The streamed frame `pushBytes` appends to (undefined: none open). */
  private streaming: QueuedFrame | undefined;
  /** The frame on the line (undefined: between frames). */
  private sending: QueuedFrame | undefined;
  private sendPos = 0;
  /** 0: frame octets; 1: FCS low octet next; 2: FCS high octet next. */
  private fcsStage = 0;
  private crc = CRC16_ITU_INIT;
  private fcs = 0;

  /** Raw (unstuffed) line bits to send: flags and aborts, LSB first. */
  private raw = 0;
  private rawLen = 0;
  /** Frame/FCS bits still to send from `data`, LSB first, with zero insertion. */
  private data = 0;
  private dataLen = 0;
  /** Consecutive 1s sent inside the frame (zero insertion at five). */
  private ones = 0;

  private flagsSinceFrame = 0;
  private anyFrameStarted = false;
  private finished = false;
  private ended = false;

  private readonly stats: HdlcFramerStats = HdlcFramer.emptyStats();

  constructor(options: HdlcFramerOptions = {}) {
    const order = options.bitOrder ?? 'lsb-first';
    if (order !== 'lsb-first' && order !== 'msb-first') throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `bitOrder = ${String(order)}`);
    this.msbFirst = order === 'msb-first';
    this.maxFrameLength = checkInt(options.maxFrameLength ?? HDLC_DEFAULT_MAX_FRAME, 1, 65535, 'maxFrameLength');
    this.interFrameFlags = checkInt(options.interFrameFlags ?? 1, 1, 10_000, 'interFrameFlags');
    this.closingFlags = checkInt(options.closingFlags ?? 2, 1, 10_000, 'closingFlags');
  }

  private static emptyStats(): HdlcFramerStats {
    return { framesSent: 0, badFcsSent: 0, octetsSent: 0, flagsSent: 0, abortsSent: 0, underruns: 0, tooLong: 0, bitsSent: 0 };
  }

  /** Queue `n` flags (after whatever is already queued): the preamble before a burst's first frame. */
  preambleFlags(n: number): void {
    this.checkOpen();
    checkInt(n, 0, 1_000_000, 'preamble flags');
    if (n > 0) this.queue.push({ kind: 'flags', n });
  }

  /** Queue a whole frame (octets without FCS; copied). Throws on 0 octets or more than `maxFrameLength`. */
  sendFrame(bytes: Uint8Array, fcsOk = true): void {
    this.checkOpen();
    if (bytes.length === 0 || bytes.length > this.maxFrameLength) {
      throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `HDLC frame of ${bytes.length} octets: must be 1..${this.maxFrameLength}`);
    }
    this.queue.push({ kind: 'frame', data: Uint8Array.from(bytes), len: bytes.length, ended: true, fcsOk, dead: false });
  }

  /** Open a streamed frame (after whatever is queued); its octets follow with `pushBytes`. */
  startFrame(): void {
    this.checkOpen();
    if (this.streaming !== undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'startFrame: a streamed frame is already open');
    const f: QueuedFrame = { kind: 'frame', data: new Uint8Array(this.maxFrameLength), len: 0, ended: false, fcsOk: true, dead: false };
    this.streaming = f;
    this.queue.push(f);
  }

  /** Octets of the open streamed frame (copied). Ignored for a frame dropped by underrun or length. */
  pushBytes(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const f = this.streaming;
    if (f === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'pushBytes: no streamed frame open (startFrame)');
    if (f.dead) return;
    const n = end - start;
    if (f.len + n > this.maxFrameLength) {
      f.dead = true;
      this.stats.tooLong++;
      return;
    }
    f.data.set(bytes.subarray(start, end), f.len);
    f.len += n;
  }

  /**
   * Close the open streamed frame: the FCS follows its last octet. `fcsOk = false` sends a wrong
   * FCS on purpose (a relayed bad frame). A frame with no octets sends nothing.
   */
  endFrame(fcsOk = true): void {
    const f = this.streaming;
    if (f === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'endFrame: no streamed frame open (startFrame)');
    f.ended = true;
    f.fcsOk = fcsOk;
    this.streaming = undefined;
  }

  /**
   * No more frames: once the queue is sent, send the closing flags, then END_OF_DATA. A streamed
   * frame still open and not yet begun holds the end (on flags) until its `endFrame`.
   */
  finish(): void {
    this.finished = true;
  }

  /** Forget everything queued and start afresh (a new burst). Statistics are kept. */
  reset(): void {
    this.queue = [];
    this.streaming = undefined;
    this.sending = undefined;
    this.rawLen = 0;
    this.dataLen = 0;
    this.ones = 0;
    this.flagsSinceFrame = 0;
    this.anyFrameStarted = false;
    this.finished = false;
    this.ended = false;
  }

  /** True once END_OF_DATA has been returned. */
  get done(): boolean {
    return this.ended;
  }

  /** True when no frame is on the line or queued (the framer is idling on flags, or done). */
  get idle(): boolean {
    return this.sending === undefined && !this.queue.some((q) => q.kind === 'frame');
  }

  /**
   * Frame octets given to the framer and not yet on the line: the rest of the frame being sent
   * and every queued frame (a gateway watches this to start a streamed frame only with enough in
   * hand, and to pace what it relays).
   */
  get bufferedOctets(): number {
    let n = this.sending === undefined || this.sending.dead ? 0 : this.sending.len - this.sendPos;
    for (const q of this.queue) if (q.kind === 'frame' && !q.dead) n += q.len;
    return n;
  }

  getStats(): HdlcFramerStats {
    return { ...this.stats };
  }

  /** The next line bit: 0 or 1, or END_OF_DATA (−1) after `finish()` and the closing flags. */
  getBit(): number {
    for (;;) {
      if (this.ones === 5) {
        // Zero-bit insertion (ISO/IEC 13239 transparency), also after the last FCS bit.
        this.ones = 0;
        this.stats.bitsSent++;
        return 0;
      }
      if (this.dataLen > 0) {
        const b = this.data & 1;
        this.data >>>= 1;
        this.dataLen--;
        this.ones = b === 1 ? this.ones + 1 : 0;
        this.stats.bitsSent++;
        return b;
      }
      if (this.rawLen > 0) {
        const b = this.raw & 1;
        this.raw >>>= 1;
        this.rawLen--;
        this.stats.bitsSent++;
        return b;
      }
      if (!this.load()) return HDLC_END_OF_DATA;
    }
  }

  private checkOpen(): void {
    if (this.finished) throw new FaxwireError('FAXWIRE_ERR_INVALID_STATE', 'HDLC framer: finish() was called (reset() to reuse it)');
  }

  private loadRaw(pattern: number): void {
    this.raw = pattern;
    this.rawLen = 8;
    this.ones = 0;
  }

  private loadFlag(): void {
    this.loadRaw(FLAG);
    this.flagsSinceFrame++;
    this.stats.flagsSent++;
  }

  private loadOctet(lineOctet: number): void {
    this.data = lineOctet;
    this.dataLen = 8;
  }

  /** Loads the next octet, flag or abort; false when the burst is over. */
  private load(): boolean {
    const f = this.sending;
    if (f !== undefined) {
      if (this.fcsStage === 0) {
        if (f.dead) {
          // Overlong (or otherwise dropped) while on the line.
          this.abortSending();
          return true;
        }
        if (this.sendPos < f.len) {
          const o = f.data[this.sendPos++] as number;
          const line = this.msbFirst ? (BIT_REVERSE[o] as number) : o;
          this.crc = crc16ItuOctet(this.crc, line);
          this.stats.octetsSent++;
          this.loadOctet(line);
          return true;
        }
        if (!f.ended) {
          this.stats.underruns++;
          f.dead = true;
          this.abortSending();
          return true;
        }
        // T.30 §5.3.7: ones' complement of the remainder; a relayed bad frame gets it inverted.
        this.fcs = f.fcsOk ? ~this.crc & 0xffff : this.crc & 0xffff;
        this.fcsStage = 1;
        this.loadOctet(this.fcs & 0xff);
        return true;
      }
      if (this.fcsStage === 1) {
        this.fcsStage = 2;
        this.loadOctet(this.fcs >>> 8);
        return true;
      }
      // FCS sent: the frame is complete.
      this.sending = undefined;
      this.stats.framesSent++;
      if (!f.fcsOk) this.stats.badFcsSent++;
      this.flagsSinceFrame = 0;
      this.loadFlag();
      return true;
    }
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) {
        if (this.finished && this.flagsSinceFrame >= this.closingFlags) {
          this.ended = true;
          return false;
        }
        this.loadFlag();
        return true;
      }
      if (head.kind === 'flags') {
        if (--head.n <= 0) this.queue.shift();
        this.loadFlag();
        return true;
      }
      if (head.dead || (head.ended && head.len === 0)) {
        if (!head.ended) {
          this.loadFlag(); // a dropped streamed frame not yet closed holds the queue
          return true;
        }
        this.queue.shift();
        continue;
      }
      if (this.flagsSinceFrame < (this.anyFrameStarted ? this.interFrameFlags : 1) || head.len === 0) {
        this.loadFlag(); // the opening flag(s), or waiting for a streamed frame's first octet
        return true;
      }
      this.queue.shift();
      this.sending = head;
      this.anyFrameStarted = true;
      this.sendPos = 0;
      this.fcsStage = 0;
      this.crc = CRC16_ITU_INIT;
      this.ones = 0;
      return this.load();
    }
  }

  private abortSending(): void {
    this.sending = undefined;
    this.flagsSinceFrame = 0;
    this.stats.abortsSent++;
    this.loadRaw(ABORT);
  }
}
