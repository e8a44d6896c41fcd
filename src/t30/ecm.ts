/**
 * Error correction mode data handling — ITU-T T.30 (09/2005) Annex A and T.4 Annex A: the coded
 * page is cut into frames of 64 or 256 octets (FCD, each carrying its frame number 0–255), up to
 * 256 frames make a partial page ("block"), the block is closed by three RCP frames and a PPS
 * command; the receiver answers MCF when every frame of the block arrived, or PPR with a 256-bit
 * map of the frames to send again.
 *
 *   page data:  |<-- frame 0 -->|<-- frame 1 -->| … |<-- frame 255 -->|<-- frame 0 -->| …
 *               |<------------------- block 0 (PPS-NULL) --------------->|<-- block 1 (PPS-EOP)
 *
 * The last frame of a page is zero-padded to the full frame size: T.30 allows a short last
 * frame, but spandsp pads it because receivers commonly expect full frames — the decoder stops at RTC/EOFB, so
 * the padding is harmless. On receive, frames of any length up to 256 are accepted.
 *
 * This module is pure data: the state machine in phase-c.ts / phase-d.ts decides when blocks
 * are sent, acknowledged or corrected.
 */

import { FaxwireError } from '../util/errors.js';
import type { EcmDataFrame, SimpleFrame } from './frames.js';

/** Annex A: a partial page holds at most 256 frames (frame numbers are one octet). */
export const ECM_MAX_FRAMES_PER_BLOCK = 256;

/** One partial page to transmit: the data of each of its frames, in frame-number order. */
export interface EcmTxBlock {
  readonly frames: readonly Uint8Array[];
}

/** Cuts a coded page into partial pages of full, zero-padded frames. */
export function splitEcmPage(data: Uint8Array, frameSize: 64 | 256): EcmTxBlock[] {
  if (frameSize !== 64 && frameSize !== 256) {
    throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `ECM frame size must be 64 or 256, got ${String(frameSize)}`);
  }
  // One zero-padded copy of the page, the frames views into it: one allocation per page rather
  // than one per frame (a 256-octet frame is its own off-heap ArrayBuffer otherwise).
  const count = Math.max(1, Math.ceil(data.length / frameSize));
  const padded = new Uint8Array(count * frameSize); // zero padding for the last frame
  padded.set(data);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) frames.push(padded.subarray(i * frameSize, (i + 1) * frameSize));
  const blocks: EcmTxBlock[] = [];
  for (let i = 0; i < frames.length; i += ECM_MAX_FRAMES_PER_BLOCK) {
    blocks.push({ frames: frames.slice(i, i + ECM_MAX_FRAMES_PER_BLOCK) });
  }
  return blocks;
}

/** The FCD frame carrying frame `n` of a block (control 0xC0: FCDs are never "final"). */
export function fcdFrame(block: EcmTxBlock, n: number): EcmDataFrame {
  const data = block.frames[n];
  if (data === undefined) throw new FaxwireError('FAXWIRE_ERR_INVALID_ARGUMENT', `block has no frame ${n}`);
  return { type: 'FCD', final: false, xBit: false, frameNumber: n, data };
}

/** RCP (T.4 Annex A): sent three times after the last FCD of a block, not final. */
export function rcpFrame(): SimpleFrame {
  return { type: 'RCP', final: false, xBit: false, fif: new Uint8Array(0) };
}

/** Octets of a frame slot in EcmRxBlock's store: the 256-octet ECM frame size. */
const SLOT = 256;
/** Frame slots per chunk of EcmRxBlock's store. */
const CHUNK_FRAMES = 16;

/** How many RCP frames close a block (T.4 Annex A: three, against a lost RCP). */
export const RCP_REPEATS = 3;

/**
 * The frames of one partial page as the receiver collects them. A frame received twice (a
 * retransmission of one that did arrive) simply replaces the earlier copy.
 */
export class EcmRxBlock {
  private readonly frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(ECM_MAX_FRAMES_PER_BLOCK).fill(undefined);
  private count = 0;
  /**
   * The frames' octets, in chunks of CHUNK_FRAMES slots of SLOT octets (the largest ECM frame
   * size, T.4 §A.3.6.2), made as the frame numbers reach them and let go at `clear`: one array per
   * 16 frames instead of one per frame (up to 256, held until the block is complete), and no
   * more memory than the block in progress needs.
   */
  private readonly chunks: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(ECM_MAX_FRAMES_PER_BLOCK / CHUNK_FRAMES).fill(undefined);

  /** Stores (a copy of) frame `n`; returns false for a frame number outside 0–255. */
  put(n: number, data: Uint8Array): boolean {
    if (!Number.isInteger(n) || n < 0 || n >= ECM_MAX_FRAMES_PER_BLOCK) return false;
    if (this.frames[n] === undefined) this.count++;
    if (data.length > SLOT) {
      this.frames[n] = data.slice();
      return true;
    }
    const k = (n / CHUNK_FRAMES) | 0;
    let chunk = this.chunks[k];
    if (chunk === undefined) {
      chunk = new Uint8Array(CHUNK_FRAMES * SLOT);
      this.chunks[k] = chunk;
    }
    const at = (n % CHUNK_FRAMES) * SLOT;
    chunk.set(data, at);
    this.frames[n] = chunk.subarray(at, at + data.length);
    return true;
  }

  /** Frames received so far (distinct frame numbers). */
  get received(): number {
    return this.count;
  }

  has(n: number): boolean {
    return this.frames[n] !== undefined;
  }

  /** Frame numbers below `frameCount` that have not arrived: the PPR list. */
  missing(frameCount: number): number[] {
    const out: number[] = [];
    const n = Math.min(Math.max(frameCount, 0), ECM_MAX_FRAMES_PER_BLOCK);
    for (let i = 0; i < n; i++) if (this.frames[i] === undefined) out.push(i);
    return out;
  }

  /** The block's data: frames 0 … frameCount-1 that arrived, in order (missing ones left out). */
  assemble(frameCount: number): Uint8Array {
    const n = Math.min(Math.max(frameCount, 0), ECM_MAX_FRAMES_PER_BLOCK);
    let total = 0;
    for (let i = 0; i < n; i++) total += this.frames[i]?.length ?? 0;
    const out = new Uint8Array(total);
    let off = 0;
    for (let i = 0; i < n; i++) {
      const f = this.frames[i];
      if (f === undefined) continue;
      out.set(f, off);
      off += f.length;
    }
    return out;
  }

  clear(): void {
    this.frames.fill(undefined);
    this.chunks.fill(undefined);
    this.count = 0;
  }
}

/** Concatenates chunks (the blocks of a page, the octets of a non-ECM page). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
