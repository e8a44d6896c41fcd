/**
 * Capture-file readers: classic libpcap files (draft-ietf-opsawg-pcap §3–§5) and pcapng files
 * (draft-ietf-opsawg-pcapng §3–§4: SHB, IDB, EPB, SPB, the obsolete PB; every other block is
 * skipped by its length). This layer only splits a file into timestamped link-layer frames;
 * `packet.ts` dissects them.
 *
 * Input is the whole file as one `Uint8Array` (no I/O here). Frame data are *views* into that
 * buffer, never copies. A capture file is third-party data, so nothing here throws on bad input:
 * an unrecognisable file is a typed `CaptureFileError`, everything else (a record cut off by the
 * end of the file, a block whose trailer disagrees with its header, an unknown interface) is a
 * `CaptureWarning` plus a counter, and reading stops only where the framing itself can no longer
 * be trusted. Every length is checked against the buffer before it is used.
 */

import { err, ok, type DecodeResult } from '../util/result.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** Why a buffer cannot be read as a capture at all. */
export type CaptureFileErrorCode =
  | 'empty-file'
  | 'unknown-format'
  | 'truncated-file-header'
  | 'bad-byte-order-magic'
  | 'bad-section-header'
  | 'unsupported-version';

export interface CaptureFileError {
  readonly code: CaptureFileErrorCode;
  readonly message: string;
  readonly offset: number;
}

/** File-level problems; reading goes on (or stops cleanly) after each. */
export type FileWarningCode =
  /** The file ends inside a packet record: the record is dropped. */
  | 'truncated-record'
  /** The file ends inside a non-packet block (or inside a block header). */
  | 'truncated-block'
  /** A record or block length that cannot be right (too small, not a multiple of 4, absurd). */
  | 'bad-record-length'
  | 'bad-block-length'
  /** pcapng: the trailing Block Total Length differs from the leading one. */
  | 'block-length-mismatch'
  /** pcapng: a later SHB has an unreadable byte-order magic. */
  | 'bad-byte-order-magic'
  /** pcapng: a section with a major version we do not know is skipped (§4.1). */
  | 'unsupported-section-version'
  /** pcapng: a packet block before any IDB, or naming an interface that was not described. */
  | 'unknown-interface'
  /** A packet record whose captured length exceeds its block (pcapng) — clamped. */
  | 'bad-captured-length'
  /** pcapng: an option whose length runs past the end of the block's options. */
  | 'bad-option';

export interface FileWarning {
  readonly code: FileWarningCode;
  readonly message: string;
  /**
   * The 1-based frame number the warning is about — for a dropped (truncated) record, the
   * number it would have had; 0 when it concerns no particular frame (a section, a block).
   */
  readonly frame: number;
  /** Byte offset in the file of the record or block concerned. */
  readonly offset: number;
}

/** One packet record: a link-layer frame and when it was captured. */
export interface RawFrame {
  /** 1-based, counted over packet records like Wireshark's frame numbers. */
  readonly frame: number;
  /** Capture time, nanoseconds since the Unix epoch (0n when the format carries none: SPB). */
  readonly timeNs: bigint;
  /** LINKTYPE_* value of the interface (low 16 bits of the pcap header field); -1 if unknown. */
  readonly linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  readonly interfaceId: number;
  /** Length of the frame on the wire; `data.length` is the captured part. */
  readonly originalLength: number;
  /** The captured bytes — a view into the file buffer. */
  readonly data: Uint8Array;
  /** Byte offset of the record (pcap) or block (pcapng) in the file. */
  readonly offset: number;
}

export interface FileReadStats {
  /** Packet records delivered (= the last frame number). */
  records: number;
  /** Packet records dropped because the file ends inside them. */
  truncatedRecords: number;
  /** Records whose captured length is smaller than their original length (snaplen). */
  snapTruncated: number;
  /** pcapng sections (SHBs) seen. */
  sections: number;
  /** pcapng interfaces (IDBs) seen, over all sections. */
  interfaces: number;
  /** pcapng blocks skipped: unknown types, NRB, ISB, custom blocks, unsupported sections. */
  skippedBlocks: number;
}

export interface FileSummary {
  readonly format: CaptureFormat;
  /** Distinct link types of the file's interfaces, in order of first appearance. */
  readonly linkTypes: number[];
  readonly stats: FileReadStats;
  /** Where reading stopped (the file length when everything was consumed). */
  readonly bytesRead: number;
}

export interface FramesReadResult extends FileSummary {
  readonly frames: RawFrame[];
  readonly warnings: FileWarning[];
}

/**
 * A record larger than this is taken as corruption rather than a packet (Wireshark's limit for
 * ordinary link types is 256 KiB; we allow more, the point is to not chase a garbage length).
 */
export const MAX_RECORD_LENGTH = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Byte readers. Callers have checked `off + size <= bytes.length`.

function u16(b: Uint8Array, off: number, le: boolean): number {
  const x = b[off] ?? 0;
  const y = b[off + 1] ?? 0;
  return le ? x | (y << 8) : (x << 8) | y;
}

function u32(b: Uint8Array, off: number, le: boolean): number {
  const b0 = b[off] ?? 0;
  const b1 = b[off + 1] ?? 0;
  const b2 = b[off + 2] ?? 0;
  const b3 = b[off + 3] ?? 0;
  return le
    ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0
    : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

function i64(b: Uint8Array, off: number, le: boolean): bigint {
  const hi = u32(b, le ? off + 4 : off, le);
  const lo = u32(b, le ? off : off + 4, le);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

// ---------------------------------------------------------------------------------------------

/** Magic numbers as the first four bytes read big-endian. */
const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: 8 more bytes per record header (ifindex, protocol, type). */
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Identify a capture file by its first four bytes (`undefined`: neither format). */
export function detectCaptureFormat(bytes: Uint8Array): CaptureFormat | undefined {
  if (bytes.length < 4) return undefined;
  const be = u32(bytes, 0, false);
  const le = u32(bytes, 0, true);
  if (be === PCAPNG_SHB_TYPE) return 'pcapng';
  for (const m of [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZNETZOV]) {
    if (be === m || le === m) return 'pcap';
  }
  return undefined;
}

/** Called once per packet record, in file order. */
export type FrameVisitor = (frame: RawFrame) => void;
/** Called once per file-level warning. */
export type FileWarningVisitor = (warning: FileWarning) => void;

/**
 * Walk every packet record of a pcap or pcapng file, calling `onFrame` for each. Returns the
 * summary, or the reason the buffer is not a readable capture. Never throws on bad input
 * (exceptions thrown by the visitors themselves propagate).
 */
export function forEachFrame(
  bytes: Uint8Array,
  onFrame: FrameVisitor,
  onWarning: FileWarningVisitor = () => undefined,
): DecodeResult<FileSummary, CaptureFileError> {
  if (bytes.length === 0) {
    return err({ code: 'empty-file', message: 'the file is empty', offset: 0 });
  }
  const format = detectCaptureFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    return err({
      code: 'unknown-format',
      message: `neither pcap nor pcapng (first bytes ${head})`,
      offset: 0,
    });
  }
  return format === 'pcap' ? readPcap(bytes, onFrame, onWarning) : readPcapng(bytes, onFrame, onWarning);
}

/** Read every packet record into an array (frames are views into `bytes`). */
export function readFrames(bytes: Uint8Array): DecodeResult<FramesReadResult, CaptureFileError> {
  const frames: RawFrame[] = [];
  const warnings: FileWarning[] = [];
  const r = forEachFrame(
    bytes,
    (f) => frames.push(f),
    (w) => warnings.push(w),
  );
  if (!r.ok) return r;
  return ok({ ...r.value, frames, warnings }, r.bytesRead);
}

function newStats(): FileReadStats {
  return { records: 0, truncatedRecords: 0, snapTruncated: 0, sections: 0, interfaces: 0, skippedBlocks: 0 };
}

// ---------------------------------------------------------------------------------------------
// Classic pcap (draft-ietf-opsawg-pcap §4 file header, §5 packet record).
//
// File header, 24 octets, in the byte order of the writer (told apart by the magic):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  0|        Magic (a1b2c3d4 = µs, a1b23c4d = ns, a1b2cd34 = µs+ext)  |
//  4|        Major Version (2)      |       Minor Version (4)       |
//  8|            Reserved1 (thiszone, ignored)                      |
// 12|            Reserved2 (sigfigs, ignored)                       |
// 16|                          SnapLen                              |
// 20| FCS info (bits 28–31) / reserved   |  LinkType (low 16 bits)  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Packet record, 16 octets then the captured bytes (24 octets for the Kuznetzov variant: the
// extra ifindex/protocol/pkt_type/pad are skipped):
//
//  0|                 Timestamp (seconds since 1970)                |
//  4|      Timestamp (microseconds or nanoseconds within the second) |
//  8|                Captured Packet Length                         |
// 12|                Original Packet Length                         |
// 16/                Packet Data (Captured Packet Length octets)    /

const PCAP_FILE_HEADER = 24;

/**
 * How a reader loop ended on one buffer: `more` — the buffer ends inside a record (only when
 * more bytes may follow: the caller keeps `bytes[off…]` and calls again with them in front of
 * the next chunk); `stop` — reading is over (end of buffer with `final`, or framing lost).
 */
interface LoopEnd {
  readonly off: number;
  readonly stop: boolean;
}

/**
 * Classic pcap, resumable: the file header is read once, then records as bytes come. `base` is
 * the file offset of `bytes[0]` (warnings and frames carry file offsets).
 */
class PcapReader {
  readonly stats = newStats();
  private constructor(
    readonly le: boolean,
    readonly nanos: boolean,
    readonly recordHeader: number,
    readonly linkType: number,
  ) {}

  /** Reads the file header from `bytes` (which holds at least the header, or the whole file). */
  static open(bytes: Uint8Array): DecodeResult<PcapReader, CaptureFileError> {
    if (bytes.length < PCAP_FILE_HEADER) {
      return err({
        code: 'truncated-file-header',
        message: `pcap file header needs ${PCAP_FILE_HEADER} bytes, the file has ${bytes.length}`,
        offset: 0,
      });
    }
    const be = u32(bytes, 0, false);
    const magicLe = u32(bytes, 0, true);
    const le = !(be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || be === PCAP_MAGIC_KUZNETZOV);
    const magic = le ? magicLe : be;
    const major = u16(bytes, 4, le);
    if (major !== 2) {
      return err({
        code: 'unsupported-version',
        message: `pcap major version ${major} (only 2 exists)`,
        offset: 4,
      });
    }
    // Only the low 16 bits are the link type; the top nibble may carry an FCS length (§4).
    const linkType = u32(bytes, 20, le) & 0xffff;
    return ok(new PcapReader(le, magic === PCAP_MAGIC_NS, magic === PCAP_MAGIC_KUZNETZOV ? 24 : 16, linkType), PCAP_FILE_HEADER);
  }

  run(bytes: Uint8Array, start: number, base: number, final: boolean, onFrame: FrameVisitor, onWarning: FileWarningVisitor): LoopEnd {
    const { le, recordHeader, linkType, stats } = this;
    const fracToNs = this.nanos ? 1n : 1000n;
    let off = start;
    while (off < bytes.length) {
      const frameNo = stats.records + 1;
      if (bytes.length - off < recordHeader) {
        if (!final) return { off, stop: false };
        stats.truncatedRecords++;
        onWarning({
          code: 'truncated-record',
          message: `file ends ${bytes.length - off} bytes into a ${recordHeader}-byte record header`,
          frame: frameNo,
          offset: base + off,
        });
        return { off, stop: true };
      }
      const sec = u32(bytes, off, le);
      const frac = u32(bytes, off + 4, le);
      const capLen = u32(bytes, off + 8, le);
      const origLen = u32(bytes, off + 12, le);
      const dataOff = off + recordHeader;
      if (capLen > MAX_RECORD_LENGTH) {
        onWarning({
          code: 'bad-record-length',
          message: `record claims ${capLen} captured bytes (limit ${MAX_RECORD_LENGTH}); stopping`,
          frame: frameNo,
          offset: base + off,
        });
        return { off, stop: true };
      }
      if (capLen > bytes.length - dataOff) {
        if (!final) return { off, stop: false };
        stats.truncatedRecords++;
        onWarning({
          code: 'truncated-record',
          message: `record claims ${capLen} captured bytes, only ${bytes.length - dataOff} remain`,
          frame: frameNo,
          offset: base + off,
        });
        return { off, stop: true };
      }
      stats.records = frameNo;
      if (capLen < origLen) stats.snapTruncated++;
      onFrame({
        frame: frameNo,
        timeNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * fracToNs,
        linkType,
        interfaceId: 0,
        originalLength: origLen,
        data: bytes.subarray(dataOff, dataOff + capLen),
        offset: base + off,
      });
      off = dataOff + capLen;
    }
    return { off, stop: final };
  }

  summary(bytesRead: number): FileSummary {
    return { format: 'pcap', linkTypes: [this.linkType], stats: this.stats, bytesRead };
  }
}

function readPcap(
  bytes: Uint8Array,
  onFrame: FrameVisitor,
  onWarning: FileWarningVisitor,
): DecodeResult<FileSummary, CaptureFileError> {
  const r = PcapReader.open(bytes);
  if (!r.ok) return r;
  const { off } = r.value.run(bytes, PCAP_FILE_HEADER, 0, true, onFrame, onWarning);
  return ok(r.value.summary(off), off);
}

// ---------------------------------------------------------------------------------------------
// pcapng (draft-ietf-opsawg-pcapng §3.1 general block structure):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//  0|                          Block Type                           |
//  4|                      Block Total Length                       |
//  8/                          Block Body  (padded to 32 bits)      /
//   |                      Block Total Length                       |
//   +---------------------------------------------------------------+
//
// Section Header Block body (§4.1): Byte-Order Magic 1a2b3c4d (u32, in the section's order),
// Major (1) u16, Minor u16, Section Length i64 (-1 = unknown), options.
// Interface Description Block (§4.2): LinkType u16, Reserved u16, SnapLen u32, options —
//   if_tsresol (code 9, 1 octet: MSB 0 → 10^-n s, MSB 1 → 2^-n s, default 10^-6),
//   if_tsoffset (code 14, i64 seconds added to every timestamp).
// Enhanced Packet Block (§4.3): Interface ID u32, Timestamp high u32, low u32, Captured Len u32,
//   Original Len u32, data padded to 32 bits, options.
// Simple Packet Block (§4.4): Original Len u32, data. Interface 0; captured length is the
//   smallest of the original length, the body, and interface 0's SnapLen (when not 0). No time.
// Packet Block (obsolete, Appendix): Interface ID u16, Drops Count u16, then as EPB.
//
// Options (§3.5): Code u16, Length u16, value padded to 32 bits; code 0 ends the list.

const BT_IDB = 0x00000001;
const BT_PB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Interface {
  readonly linkType: number;
  readonly snapLen: number;
  /**
   * Timestamp unit 10^-exp s or 2^-exp s, precomputed as ns = (ts * mul / div) >> shift,
   * plus if_tsoffset in ns.
   */
  readonly mul: bigint;
  readonly div: bigint;
  readonly shift: bigint;
  readonly offsetNs: bigint;
}

function makeInterface(linkType: number, snapLen: number, pow2: boolean, exp: number, offsetSec: bigint): Interface {
  const base = { linkType, snapLen, offsetNs: offsetSec * 1_000_000_000n };
  if (pow2) return { ...base, mul: 1_000_000_000n, div: 1n, shift: BigInt(exp) };
  if (exp <= 9) return { ...base, mul: 10n ** BigInt(9 - exp), div: 1n, shift: 0n };
  return { ...base, mul: 1n, div: 10n ** BigInt(exp - 9), shift: 0n };
}

/** Convert a timestamp counted in the interface's units to epoch nanoseconds (floored). */
function tsToNs(ts: bigint, ifc: Interface): bigint {
  return ((ts * ifc.mul) / ifc.div >> ifc.shift) + ifc.offsetNs;
}

/** pcapng, resumable: state that spans blocks (byte order, interfaces, a skipped section). */
class PcapngReader {
  readonly stats = newStats();
  readonly linkTypes: number[] = [];
  private le = true;
  private interfaces: Interface[] = [];
  /** Inside a section whose version we cannot read: skip to the next SHB (§4.1). */
  private skipSection = false;

  /**
   * Checks the first Section Header Block. `bytes` holds the whole file, or at least the first
   * block whole (its length is at offset 4).
   */
  static open(bytes: Uint8Array): DecodeResult<PcapngReader, CaptureFileError> {
    // The first SHB must be whole: without it nothing else in the file can be interpreted.
    if (bytes.length < 28) {
      return err({
        code: 'truncated-file-header',
        message: `a pcapng Section Header Block needs at least 28 bytes, the file has ${bytes.length}`,
        offset: 0,
      });
    }
    const bom = u32(bytes, 8, false);
    if (bom !== PCAPNG_BYTE_ORDER_MAGIC && u32(bytes, 8, true) !== PCAPNG_BYTE_ORDER_MAGIC) {
      return err({
        code: 'bad-byte-order-magic',
        message: `pcapng byte-order magic is ${hex32(bom)}, expected 1a2b3c4d in either order`,
        offset: 8,
      });
    }
    const shbLen = u32(bytes, 4, bom !== PCAPNG_BYTE_ORDER_MAGIC);
    if (shbLen < 28 || shbLen % 4 !== 0) {
      return err({ code: 'bad-section-header', message: `Section Header Block length ${shbLen}`, offset: 4 });
    }
    if (shbLen > bytes.length) {
      return err({
        code: 'truncated-file-header',
        message: `Section Header Block of ${shbLen} bytes, the file has ${bytes.length}`,
        offset: 0,
      });
    }
    return ok(new PcapngReader(), 0);
  }

  /** Bytes the first SHB needs before `open` can judge it (28 until its length can be read). */
  static headerNeed(bytes: Uint8Array): number {
    if (bytes.length < 28) return 28;
    const le = u32(bytes, 8, false) !== PCAPNG_BYTE_ORDER_MAGIC;
    return Math.max(28, Math.min(u32(bytes, 4, le), MAX_RECORD_LENGTH + 64));
  }

  run(bytes: Uint8Array, start: number, base: number, final: boolean, onFrame: FrameVisitor, onWarning: FileWarningVisitor): LoopEnd {
    const stats = this.stats;
    const warn = (code: FileWarningCode, message: string, frame: number, at: number): void =>
      onWarning({ code, message, frame, offset: base + at });
    let off = start;
    while (off < bytes.length) {
      const le0 = this.le;
      const frameNo = stats.records + 1;
      if (bytes.length - off < 12) {
        if (!final) return { off, stop: false };
        const t = bytes.length - off >= 4 ? u32(bytes, off, le0) : -1;
        if (!this.skipSection && (t === BT_EPB || t === BT_SPB || t === BT_PB)) {
          stats.truncatedRecords++;
          warn('truncated-record', `file ends ${bytes.length - off} bytes into a packet block`, frameNo, off);
        } else {
          warn('truncated-block', `file ends ${bytes.length - off} bytes into a block header`, 0, off);
        }
        return { off, stop: true };
      }
      const isShb = u32(bytes, off, false) === PCAPNG_SHB_TYPE;
      let le = le0;
      if (isShb) {
        // The SHB fixes the byte order of everything up to the next SHB, its own length included.
        const m = u32(bytes, off + 8, false);
        if (m === PCAPNG_BYTE_ORDER_MAGIC) le = false;
        else if (u32(bytes, off + 8, true) === PCAPNG_BYTE_ORDER_MAGIC) le = true;
        else {
          warn('bad-byte-order-magic', `SHB byte-order magic ${hex32(m)}; stopping`, 0, off);
          return { off, stop: true };
        }
      }
      const type = u32(bytes, off, le);
      const total = u32(bytes, off + 4, le);
      const minTotal = isShb ? 28 : 12;
      if (total < minTotal || total % 4 !== 0 || total > MAX_RECORD_LENGTH + 64) {
        this.le = le;
        warn('bad-block-length', `block type ${hex32(type)} has total length ${total}; stopping`, 0, off);
        return { off, stop: true };
      }
      const isPacket = type === BT_EPB || type === BT_SPB || type === BT_PB;
      if (total > bytes.length - off) {
        // Not whole yet: nothing of this block is kept, it is read again with more bytes.
        if (!final) return { off, stop: false };
        this.le = le;
        if (isPacket && !this.skipSection) {
          stats.truncatedRecords++;
          warn('truncated-record', `packet block of ${total} bytes, only ${bytes.length - off} remain`, frameNo, off);
        } else {
          warn('truncated-block', `block type ${hex32(type)} of ${total} bytes, only ${bytes.length - off} remain`, 0, off);
        }
        return { off, stop: true };
      }
      this.le = le;
      const trailer = u32(bytes, off + total - 4, le);
      if (trailer !== total) {
        warn(
          'block-length-mismatch',
          `block type ${hex32(type)}: leading length ${total}, trailing length ${trailer}; stopping`,
          isPacket ? frameNo : 0,
          off,
        );
        return { off, stop: true };
      }
      const body = off + 8;
      const bodyEnd = off + total - 4;

      if (isShb) {
        stats.sections++;
        this.interfaces = [];
        const major = u16(bytes, body + 4, le);
        this.skipSection = major !== 1;
        if (this.skipSection) {
          warn('unsupported-section-version', `section major version ${major}; skipping the section`, 0, off);
        }
      } else if (this.skipSection) {
        stats.skippedBlocks++;
      } else if (type === BT_IDB) {
        const ifc = readIdb(bytes, body, bodyEnd, le, off, warn);
        stats.interfaces++;
        this.interfaces.push(ifc);
        if (!this.linkTypes.includes(ifc.linkType)) this.linkTypes.push(ifc.linkType);
      } else if (isPacket) {
        stats.records = frameNo;
        const f = readPacketBlock(bytes, type, body, bodyEnd, le, off, frameNo, this.interfaces, warn, base);
        if (f.data.length < f.originalLength) stats.snapTruncated++;
        onFrame(f);
      } else {
        stats.skippedBlocks++;
      }
      off += total;
    }
    return { off, stop: final };
  }

  summary(bytesRead: number): FileSummary {
    return { format: 'pcapng', linkTypes: this.linkTypes, stats: this.stats, bytesRead };
  }
}

function readPcapng(
  bytes: Uint8Array,
  onFrame: FrameVisitor,
  onWarning: FileWarningVisitor,
): DecodeResult<FileSummary, CaptureFileError> {
  const r = PcapngReader.open(bytes);
  if (!r.ok) return r;
  const { off } = r.value.run(bytes, 0, 0, true, onFrame, onWarning);
  return ok(r.value.summary(off), off);
}

/**
 * A capture read as it arrives, chunk by chunk (`push`), ending with `end()`: the same frames,
 * warnings, frame numbers, offsets and summary as `forEachFrame` on the whole file, holding only
 * the bytes of one unfinished record (at most `MAX_RECORD_LENGTH` and a block header) between
 * chunks. Frame data are views into the pushed chunks (or into the small buffer that joined a
 * record split across two), valid until the visitor returns unless the chunk is kept.
 */
/** Below this many octets a pushed chunk is gathered with the next ones before it is read. */
const MIN_STEP_BYTES = 4096;

export class CaptureFrameReader {
  private reader: PcapReader | PcapngReader | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  /** Where small chunks are joined (see `push`); `pending` may be a view of its start. */
  private gather: Uint8Array = new Uint8Array(0);
  /** File offset of `pending[0]`. */
  private base = 0;
  private stopped = false;
  private failed: CaptureFileError | undefined;
  private bytesRead = 0;

  constructor(
    private readonly onFrame: FrameVisitor,
    private readonly onWarning: FileWarningVisitor = () => undefined,
  ) {}

  /** More of the file. Returns the file error once the header proved it unreadable. */
  push(chunk: Uint8Array): CaptureFileError | undefined {
    if (this.failed || this.stopped || chunk.length === 0) return this.failed;
    if (this.pending.length === 0 && chunk.length >= MIN_STEP_BYTES) this.pending = chunk;
    else {
      // Small pieces are gathered (capacity doubling) and read once there is a useful amount:
      // joining every tiny chunk to the unfinished record, and trying it again each time, made
      // a file fed a few octets at a time cost time quadratic in the record length.
      const n = this.pending.length + chunk.length;
      if (this.gather.length < n) {
        const g = new Uint8Array(Math.max(n, this.gather.length * 2, MIN_STEP_BYTES));
        g.set(this.pending);
        this.gather = g;
      } else if (this.pending.buffer !== this.gather.buffer || this.pending.byteOffset !== this.gather.byteOffset) {
        this.gather.set(this.pending);
      }
      this.gather.set(chunk, this.pending.length);
      this.pending = this.gather.subarray(0, n);
      if (n < MIN_STEP_BYTES) return this.failed;
      // Frames are views into what is read, and a visitor may keep them (a TCP segment held
      // out of order), as it may keep a pushed chunk: the gathered octets are never overwritten.
      this.gather = new Uint8Array(0);
    }
    this.step(false);
    return this.failed;
  }

  /** The end of the file: what is left is read as `forEachFrame` would read the file's tail. */
  end(): DecodeResult<FileSummary, CaptureFileError> {
    if (!this.failed && !this.stopped) this.step(true);
    if (this.failed) return err(this.failed);
    const r = this.reader;
    if (!r) return err({ code: 'empty-file', message: 'the file is empty', offset: 0 });
    return ok(r.summary(this.bytesRead), this.bytesRead);
  }

  private step(final: boolean): void {
    let bytes = this.pending;
    if (!this.reader) {
      if (this.base === 0 && bytes.length === 0) {
        if (final) this.failed = { code: 'empty-file', message: 'the file is empty', offset: 0 };
        return;
      }
      if (bytes.length < 4 && !final) return;
      const format = detectCaptureFormat(bytes);
      if (format === undefined) {
        const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
        this.failed = { code: 'unknown-format', message: `neither pcap nor pcapng (first bytes ${head})`, offset: 0 };
        return;
      }
      const need = format === 'pcap' ? PCAP_FILE_HEADER : PcapngReader.headerNeed(bytes);
      if (bytes.length < need && !final) return;
      const r = format === 'pcap' ? PcapReader.open(bytes) : PcapngReader.open(bytes);
      if (!r.ok) {
        this.failed = r.error;
        return;
      }
      this.reader = r.value;
      if (format === 'pcap') {
        bytes = bytes.subarray(PCAP_FILE_HEADER);
        this.base = PCAP_FILE_HEADER;
        this.bytesRead = PCAP_FILE_HEADER;
      }
    }
    const e = this.reader.run(bytes, 0, this.base, final, this.onFrame, this.onWarning);
    this.bytesRead = this.base + e.off;
    if (e.stop) {
      this.stopped = true;
      this.pending = new Uint8Array(0);
      return;
    }
    // Keep only the unfinished record (copied, so the chunk it came in is not held).
    this.pending = e.off < bytes.length ? bytes.slice(e.off) : new Uint8Array(0);
    this.base += e.off;
  }
}

type Warn = (code: FileWarningCode, message: string, frame: number, at: number) => void;

function readIdb(bytes: Uint8Array, body: number, bodyEnd: number, le: boolean, blockOff: number, warn: Warn): Interface {
  if (bodyEnd - body < 8) {
    warn('bad-block-length', 'Interface Description Block body shorter than 8 bytes', 0, blockOff);
    return makeInterface(-1, 0, false, 6, 0n);
  }
  const linkType = u16(bytes, body, le);
  const snapLen = u32(bytes, body + 4, le);
  let pow2 = false;
  let exp = 6;
  let offsetSec = 0n;
  forEachOption(bytes, body + 8, bodyEnd, le, blockOff, warn, (code, vOff, vLen) => {
    if (code === OPT_IF_TSRESOL && vLen >= 1) {
      const v = bytes[vOff] ?? 6;
      pow2 = (v & 0x80) !== 0;
      exp = v & 0x7f;
    } else if (code === OPT_IF_TSOFFSET && vLen >= 8) {
      offsetSec = i64(bytes, vOff, le);
    }
  });
  return makeInterface(linkType, snapLen, pow2, exp, offsetSec);
}

function forEachOption(
  bytes: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  blockOff: number,
  warn: Warn,
  visit: (code: number, valueOff: number, valueLen: number) => void,
): void {
  let p = start;
  while (end - p >= 4) {
    const code = u16(bytes, p, le);
    const len = u16(bytes, p + 2, le);
    if (code === OPT_ENDOFOPT) return;
    if (len > end - p - 4) {
      warn('bad-option', `option ${code} of ${len} bytes runs past the block`, 0, blockOff);
      return;
    }
    visit(code, p + 4, len);
    p += 4 + ((len + 3) & ~3);
  }
}

function readPacketBlock(
  bytes: Uint8Array,
  type: number,
  body: number,
  bodyEnd: number,
  le: boolean,
  blockOff: number,
  frameNo: number,
  interfaces: readonly Interface[],
  warn: Warn,
  base = 0,
): RawFrame {
  const bodyLen = bodyEnd - body;
  let interfaceId = 0;
  let tsRaw: bigint | undefined;
  let capLen: number;
  let origLen: number;
  let dataOff: number;
  if (type === BT_SPB) {
    origLen = bodyLen >= 4 ? u32(bytes, body, le) : 0;
    dataOff = body + 4;
    const ifc0 = interfaces[0];
    capLen = Math.min(origLen, Math.max(0, bodyLen - 4));
    if (ifc0 !== undefined && ifc0.snapLen !== 0) capLen = Math.min(capLen, ifc0.snapLen);
  } else {
    // EPB and the obsolete PB share the layout after their first word.
    if (bodyLen < 20) {
      warn('bad-block-length', `packet block body of ${bodyLen} bytes (needs 20)`, frameNo, blockOff);
      return { frame: frameNo, timeNs: 0n, linkType: -1, interfaceId: 0, originalLength: 0, data: bytes.subarray(0, 0), offset: base + blockOff };
    }
    interfaceId = type === BT_PB ? u16(bytes, body, le) : u32(bytes, body, le);
    tsRaw = (BigInt(u32(bytes, body + 4, le)) << 32n) | BigInt(u32(bytes, body + 8, le));
    capLen = u32(bytes, body + 12, le);
    origLen = u32(bytes, body + 16, le);
    dataOff = body + 20;
    if (capLen > bodyEnd - dataOff) {
      warn(
        'bad-captured-length',
        `captured length ${capLen} exceeds the ${bodyEnd - dataOff} bytes left in the block; clamped`,
        frameNo,
        blockOff,
      );
      capLen = bodyEnd - dataOff;
    }
  }
  const ifc = interfaces[interfaceId];
  if (ifc === undefined) {
    warn('unknown-interface', `packet on interface ${interfaceId}, which no IDB describes`, frameNo, blockOff);
  }
  return {
    frame: frameNo,
    timeNs: ifc !== undefined && tsRaw !== undefined ? tsToNs(tsRaw, ifc) : 0n,
    linkType: ifc?.linkType ?? -1,
    interfaceId,
    originalLength: origLen,
    data: bytes.subarray(dataOff, dataOff + capLen),
    offset: base + blockOff,
  };
}
