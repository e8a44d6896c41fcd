/**
 * T.38 receive-side field assembly: turns the fields of the received IFPs into field events —
 * whole HDLC frames (T.30 control frames over V.21, ECM frames over the fast modems), T.4
 * non-ECM image data, signal ends and indicators. It works on IFP fields, not on bits: the
 * bit-level HDLC framing of a modem (flags, bit stuffing, FCS) is another matter, for src/hdlc. This is the part of a T.38 endpoint between UDPTL and
 * T.30 (T.38 §7.4 "Data-field", §7.5 "Relationship of field types"), shared by the terminal,
 * the gateway and `faxwire analyze`.
 *
 * Rules (T.38 §7.4.1 and what deployed peers do):
 *  - `hdlc-data` octets accumulate into the current frame (no FCS is carried: the modem checked
 *    it, and `hdlc-fcs-OK` / `hdlc-fcs-BAD` say how that went);
 *  - `hdlc-fcs-OK[-sig-end]` / `hdlc-fcs-BAD[-sig-end]` close the frame; the `-sig-end` forms
 *    also end the HDLC signal, as does a bare `hdlc-sig-end` (spandsp's gateway ends V.21 bursts
 *    with fcs-OK then a separate sig-end; its terminal uses fcs-OK-sig-end — both are accepted);
 *  - a frame cut by `hdlc-sig-end`, a change of data type or an indicator is reported as aborted;
 *  - a lost IFP (a sequence gap the transport could not repair) while a frame is being built
 *    makes that frame bad even if `fcs-OK` follows (the far modem's CRC no longer covers what
 *    we hold);
 *  - a repeated `fcs-OK`/`sig-end` with no data in between is a repeat (spandsp sends key
 *    packets up to 3 times, with the same or a new sequence number) and is ignored;
 *  - HDLC data may arrive without a preceding `v21-preamble` indicator (some gateways omit it).
 *
 * Frames are bounded (`maxFrameLength`): an overlong frame is dropped as bad, never grown.
 */

import { IFP_FIELD_TYPES, T30_DATA_TYPES, T30_INDICATORS, type Ifp, type IfpFieldType, type IfpView, type T30DataType, type T30Indicator } from './ifp.js';

export type T38FieldEvent =
  | { readonly kind: 'indicator'; readonly indicator: T30Indicator }
  | {
      readonly kind: 'hdlc-frame';
      readonly dataType: T30DataType;
      /** Frame octets in line order, first transmitted bit as MSB, without FCS. */
      readonly frame: Uint8Array;
      /** fcs-OK received and nothing was lost inside the frame. */
      readonly ok: boolean;
      /** Why a frame is not ok. */
      readonly problem?: 'fcs-bad' | 'lost-packets' | 'overlong';
      /** The frame also ended the HDLC signal (…-sig-end). */
      readonly sigEnd: boolean;
    }
  | { readonly kind: 'hdlc-aborted'; readonly dataType: T30DataType; readonly octets: number; readonly reason: string }
  | { readonly kind: 'hdlc-sig-end'; readonly dataType: T30DataType }
  | { readonly kind: 'non-ecm-data'; readonly dataType: T30DataType; readonly data: Uint8Array }
  | { readonly kind: 'non-ecm-sig-end'; readonly dataType: T30DataType };

export interface T38FieldAssemblerOptions {
  /** Longest HDLC frame accepted, in octets (ECM frames are ≤ 260 + a margin). Default 1024. */
  readonly maxFrameLength?: number;
}

export interface T38FieldAssemblerStats {
  ifps: number;
  framesOk: number;
  framesBad: number;
  framesAborted: number;
  repeatsIgnored: number;
  nonEcmOctets: number;
  overlongFrames: number;
  missingPackets: number;
}

export class T38FieldAssembler {
  private readonly maxFrameLength: number;
  private readonly buf: Uint8Array;
  private len = 0;
  private lostInFrame = false;
  private overlong = false;
  private dataType: T30DataType | undefined;
  /** Last field type seen with no data in between, for repeat filtering. */
  private lastEndField: IfpFieldType | undefined;
  private readonly stats: T38FieldAssemblerStats = {
    ifps: 0,
    framesOk: 0,
    framesBad: 0,
    framesAborted: 0,
    repeatsIgnored: 0,
    nonEcmOctets: 0,
    overlongFrames: 0,
    missingPackets: 0,
  };

  constructor(options: T38FieldAssemblerOptions = {}) {
    this.maxFrameLength = options.maxFrameLength ?? 1024;
    this.buf = new Uint8Array(this.maxFrameLength);
  }

  getStats(): Readonly<T38FieldAssemblerStats> {
    return { ...this.stats };
  }

  /** Tell the assembler that `count` IFPs were lost (an unrepaired sequence gap). */
  markMissing(count = 1): void {
    this.stats.missingPackets += count;
    if (this.len > 0 || this.overlong) this.lostInFrame = true;
    // A lost packet may have been the end of a frame or burst: a later repeat is no repeat.
    this.lastEndField = undefined;
  }

  /** Feeds one received IFP; returns what it completed. */
  push(ifp: Ifp): T38FieldEvent[] {
    const out: T38FieldEvent[] = [];
    this.pushInto(ifp, out);
    return out;
  }

  /** `push` appending to `out` (a caller's reused array: no array per IFP). */
  pushInto(ifp: Ifp, out: T38FieldEvent[]): void {
    this.stats.ifps++;
    if (ifp.type === 't30-indicator') {
      this.abort(out, `indicator ${ifp.indicator}`);
      this.lastEndField = undefined;
      out.push({ kind: 'indicator', indicator: ifp.indicator });
      return;
    }
    if (this.dataType !== undefined && this.dataType !== ifp.dataType) {
      this.abort(out, `data type changed to ${ifp.dataType}`);
      this.lastEndField = undefined;
    }
    this.dataType = ifp.dataType;
    const fields = ifp.fields;
    if (fields) for (const f of fields) this.field(ifp.dataType, f.type, f.data, 0, f.data?.length ?? 0, out);
  }

  /**
   * `pushInto` for an IFP decoded in place (`decodeIfpView` into `v`, its field data in `buf`):
   * the same events, without the `Ifp` object, its field objects and data views (the terminal's
   * receive path; only non-ECM data, which leaves in its event, becomes a view of `buf`).
   */
  pushView(buf: Uint8Array, v: IfpView, out: T38FieldEvent[]): void {
    this.stats.ifps++;
    if (v.kind === 0) {
      const indicator = T30_INDICATORS[v.value] ?? 'no-signal';
      this.abort(out, `indicator ${indicator}`);
      this.lastEndField = undefined;
      out.push({ kind: 'indicator', indicator });
      return;
    }
    const dataType = T30_DATA_TYPES[v.value] ?? 'v21';
    if (this.dataType !== undefined && this.dataType !== dataType) {
      this.abort(out, `data type changed to ${dataType}`);
      this.lastEndField = undefined;
    }
    this.dataType = dataType;
    if (!v.hasDataField) return;
    for (let i = 0; i < v.fieldCount; i++) {
      const type = IFP_FIELD_TYPES[v.fieldTypes[i] ?? 0] ?? 'hdlc-data';
      const off = v.fieldDataOffset[i] ?? -1;
      this.field(dataType, type, off < 0 ? undefined : buf, off, off < 0 ? 0 : (v.fieldDataLength[i] ?? 0), out);
    }
  }

  /** One field; its data, when it has some (even none long), is `buf[off, off + len)`. */
  private field(dataType: T30DataType, type: IfpFieldType, buf: Uint8Array | undefined, off: number, len: number, out: T38FieldEvent[]): void {
    switch (type) {
      case 'hdlc-data':
        if (buf) this.append(buf, off, len);
        this.lastEndField = undefined;
        return;
      case 'hdlc-fcs-OK':
      case 'hdlc-fcs-BAD':
      case 'hdlc-fcs-OK-sig-end':
      case 'hdlc-fcs-BAD-sig-end': {
        if (buf) this.append(buf, off, len);
        if (this.len === 0 && !this.overlong && !buf) {
          if (this.lastEndField === type) {
            this.stats.repeatsIgnored++;
            return;
          }
          // An end marker with no frame before it (its data was lost, or a stray repeat).
          const sigEnd = type.endsWith('sig-end');
          this.lastEndField = type;
          if (sigEnd) out.push({ kind: 'hdlc-sig-end', dataType });
          return;
        }
        const sigEnd = type === 'hdlc-fcs-OK-sig-end' || type === 'hdlc-fcs-BAD-sig-end';
        const fcsOk = type === 'hdlc-fcs-OK' || type === 'hdlc-fcs-OK-sig-end';
        const problem = this.overlong ? 'overlong' : !fcsOk ? 'fcs-bad' : this.lostInFrame ? 'lost-packets' : undefined;
        const frame = this.buf.slice(0, this.len);
        if (problem) {
          this.stats.framesBad++;
          if (problem === 'overlong') this.stats.overlongFrames++;
          out.push({ kind: 'hdlc-frame', dataType, frame, ok: false, problem, sigEnd });
        } else {
          this.stats.framesOk++;
          out.push({ kind: 'hdlc-frame', dataType, frame, ok: true, sigEnd });
        }
        this.reset();
        this.lastEndField = type;
        return;
      }
      case 'hdlc-sig-end':
        if (this.len === 0 && this.lastEndField === type) {
          this.stats.repeatsIgnored++;
          return;
        }
        this.abort(out, 'hdlc-sig-end inside a frame');
        this.lastEndField = type;
        out.push({ kind: 'hdlc-sig-end', dataType });
        return;
      case 't4-non-ecm-data':
        if (buf) {
          this.stats.nonEcmOctets += len;
          out.push({ kind: 'non-ecm-data', dataType, data: dataOf(buf, off, len) });
        }
        this.lastEndField = undefined;
        return;
      case 't4-non-ecm-sig-end':
        if (buf) {
          this.stats.nonEcmOctets += len;
          out.push({ kind: 'non-ecm-data', dataType, data: dataOf(buf, off, len) });
        } else if (this.lastEndField === type) {
          this.stats.repeatsIgnored++;
          return;
        }
        this.lastEndField = type;
        out.push({ kind: 'non-ecm-sig-end', dataType });
        return;
      case 'cm-message':
      case 'jm-message':
      case 'ci-message':
      case 'v34rate':
        // V.8/V.34 messages (T.38 §7.4.2) carry no HDLC; a V.34-capable layer will take them.
        this.lastEndField = undefined;
        return;
    }
  }

  private append(src: Uint8Array, off: number, len: number): void {
    if (this.overlong) return;
    if (this.len + len > this.maxFrameLength) {
      this.overlong = true;
      return;
    }
    // An octet loop, not set(subarray): a few dozen octets per IFP, and no view object each.
    const b = this.buf;
    const at = this.len;
    for (let i = 0; i < len; i++) b[at + i] = src[off + i] ?? 0;
    this.len = at + len;
  }

  private abort(out: T38FieldEvent[], reason: string): void {
    if ((this.len > 0 || this.overlong) && this.dataType !== undefined) {
      this.stats.framesAborted++;
      out.push({ kind: 'hdlc-aborted', dataType: this.dataType, octets: this.len, reason });
    }
    this.reset();
  }

  private reset(): void {
    this.len = 0;
    this.lostInFrame = false;
    this.overlong = false;
  }
}

/** `buf[off, off + len)`: `buf` itself when that is all of it (the `Ifp` path's own array). */
function dataOf(buf: Uint8Array, off: number, len: number): Uint8Array {
  return off === 0 && len === buf.length ? buf : buf.subarray(off, off + len);
}
