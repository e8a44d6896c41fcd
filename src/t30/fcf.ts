/**
 * T.30 facsimile control field (FCF) table — ITU-T T.30 (09/2005) §5.3.6.1 and Table 1 (Table
 * 1/T.30 lists every signal of phases B, D and E), plus the T.4 Annex A ECM frames FCD/RCP/CCD
 * that ride in the same HDLC framing (T.30 Annex A, §A.3.3).
 *
 * Bit order. Octets here are in "T.30 document notation": the first transmitted bit of an octet
 * is its MSB (the order in which Table 1 writes the bits, and the order T.38 carries them:
 * `ff c8 01 …` for a DIS). spandsp keeps frames the other way round internally (first bit as
 * LSB: its T30_DIS is 0x80) — its constants must be bit-reversed before use here.
 *
 * The X bit (§5.3.6.1): in most FCFs the first transmitted bit, written "X" in Table 1, is not
 * part of the code. It is 1 in every frame sent by the station that received a valid DIS (i.e.
 * the one that answered it with DCS or DTC — normally the caller), 0 in frames sent by the
 * other one, for the whole call. Frames of the "initial identification" group (DIS/CSI/NSF,
 * first bit 0) and the "command to send" group (DTC/CIG/NSC/PWD/SEP/PSA/CIA/ISP, first bit 1),
 * and the T.4 ECM frames FCD/RCP/CCD (first bit 0), have a fixed first bit and no X. A few
 * Annex-level signals (TK/RK, DEC/DER) are also told apart by a fixed first bit.
 *
 *   first transmitted bit
 *   v
 *   X 1 0 0 0 0 0 1   DCS   -> 0x41 (X=0) / 0xC1 (X=1)      document notation, MSB first
 *   0 0 0 0 0 0 0 1   DIS   -> 0x01 only
 *
 * PPS and EOR carry a second FCF octet ("FCF2", Annex A §A.4): the post-message command the
 * partial page ends with (NULL = 0x00 for a partial-page boundary, else MPS/EOM/EOP/EOS/PRI-*),
 * coded like the FCF of that command, X bit included (spandsp sends PPS-EOP as `fd f4`).
 *
 * Fact sources for the values (read, not copied): Wireshark epan/dissectors/packet-t30.c,
 * spandsp src/spandsp/t30_fcf.h (LSB-first, reversed here), cross-checked against tshark 4.0's
 * decode of spandsp's golden T.38 capture (interop/spandsp-peer/results/cap_v0.pcapng).
 */

/** Every FCF this codec knows (T.30 Table 1 + T.4 Annex A frames). */
export const T30_FRAME_TYPES = [
  // Initial identification (called → calling), first bit 0, no X.
  'DIS', 'CSI', 'NSF',
  // Command to send (polling), first bit 1, no X.
  'DTC', 'CIG', 'NSC', 'PWD', 'SEP', 'PSA', 'CIA', 'ISP',
  // Command to receive (X100 xxxx).
  'DCS', 'TSI', 'NSS', 'SUB', 'SID', 'TSA', 'IRA', 'CTC',
  // Pre-message responses (X010 xxxx).
  'CFR', 'FTT', 'CTR', 'CSA',
  // Post-message commands (X111 xxxx).
  'EOM', 'MPS', 'EOP', 'EOS', 'PRI-EOM', 'PRI-MPS', 'PRI-EOP', 'PPS', 'EOR', 'RR',
  // Post-message responses (X011 xxxx).
  'MCF', 'RTP', 'RTN', 'PIP', 'PIN', 'PID', 'PPR', 'RNR', 'ERR', 'FDM',
  // Other line control signals (X101 xxxx) and fixed-first-bit extensions.
  'DCN', 'CRP', 'FNV', 'TNR', 'TR', 'DNK', 'TK', 'RK', 'DES', 'DEC', 'DER', 'SPI',
  // T.4 Annex A ECM frames (0110 xxxx, no X).
  'FCD', 'RCP', 'CCD',
] as const;

export type T30FrameType = (typeof T30_FRAME_TYPES)[number];

interface FcfDef {
  /** FCF octet in document notation with X = 0. */
  readonly value: number;
  /** Whether the MSB is the X bit (else it is a fixed part of the code). */
  readonly hasX: boolean;
  readonly name: string;
}

/**
 * Table 1/T.30. Bit patterns are written first-transmitted-bit first, exactly as Table 1 does;
 * the hex value is that pattern read as an MSB-first binary number.
 */
const FCF_DEFS: { readonly [K in T30FrameType]: FcfDef } = {
  DIS: { value: 0x01, hasX: false, name: 'Digital identification signal' }, //     0000 0001
  CSI: { value: 0x02, hasX: false, name: 'Called subscriber identification' }, //  0000 0010
  NSF: { value: 0x04, hasX: false, name: 'Non-standard facilities' }, //           0000 0100
  DES: { value: 0x05, hasX: false, name: 'Digital extended signal' }, //           0000 0101
  SPI: { value: 0x08, hasX: false, name: 'Security page indicator' }, //           0000 1000
  DTC: { value: 0x81, hasX: false, name: 'Digital transmit command' }, //          1000 0001
  CIG: { value: 0x82, hasX: false, name: 'Calling subscriber identification' }, // 1000 0010
  PWD: { value: 0x83, hasX: false, name: 'Password (polling)' }, //                1000 0011
  NSC: { value: 0x84, hasX: false, name: 'Non-standard facilities command' }, //   1000 0100
  SEP: { value: 0x85, hasX: false, name: 'Selective polling' }, //                 1000 0101
  PSA: { value: 0x86, hasX: false, name: 'Polled subaddress' }, //                 1000 0110
  CIA: { value: 0x87, hasX: false, name: 'Calling subscriber internet address' }, // 1000 0111
  ISP: { value: 0x88, hasX: false, name: 'Internet selective polling address' }, // 1000 1000
  DCS: { value: 0x41, hasX: true, name: 'Digital command signal' }, //             X100 0001
  TSI: { value: 0x42, hasX: true, name: 'Transmitting subscriber identification' }, // X100 0010
  SUB: { value: 0x43, hasX: true, name: 'Subaddress' }, //                         X100 0011
  NSS: { value: 0x44, hasX: true, name: 'Non-standard facilities set-up' }, //     X100 0100
  SID: { value: 0x45, hasX: true, name: 'Sender identification' }, //              X100 0101
  TSA: { value: 0x46, hasX: true, name: 'Transmitting subscriber internet address' }, // X100 0110
  IRA: { value: 0x47, hasX: true, name: 'Internet routing address' }, //           X100 0111
  CTC: { value: 0x48, hasX: true, name: 'Continue to correct' }, //                X100 1000
  DEC: { value: 0xc9, hasX: false, name: 'Digital extended command' }, //          1100 1001
  DER: { value: 0xca, hasX: false, name: 'Digital extended request' }, //          1100 1010
  CFR: { value: 0x21, hasX: true, name: 'Confirmation to receive' }, //            X010 0001
  FTT: { value: 0x22, hasX: true, name: 'Failure to train' }, //                   X010 0010
  CTR: { value: 0x23, hasX: true, name: 'Response for continue to correct' }, //   X010 0011
  CSA: { value: 0x24, hasX: true, name: 'Called subscriber internet address' }, // X010 0100
  EOM: { value: 0x71, hasX: true, name: 'End of message' }, //                     X111 0001
  MPS: { value: 0x72, hasX: true, name: 'Multipage signal' }, //                   X111 0010
  EOR: { value: 0x73, hasX: true, name: 'End of retransmission' }, //              X111 0011
  EOP: { value: 0x74, hasX: true, name: 'End of procedure' }, //                   X111 0100
  RR: { value: 0x76, hasX: true, name: 'Receive ready' }, //                       X111 0110
  EOS: { value: 0x78, hasX: true, name: 'End of selection' }, //                   X111 1000
  'PRI-EOM': { value: 0x79, hasX: true, name: 'Procedure interrupt - end of message' }, // X111 1001
  'PRI-MPS': { value: 0x7a, hasX: true, name: 'Procedure interrupt - multipage signal' }, // X111 1010
  'PRI-EOP': { value: 0x7c, hasX: true, name: 'Procedure interrupt - end of procedure' }, // X111 1100
  PPS: { value: 0x7d, hasX: true, name: 'Partial page signal' }, //                X111 1101
  MCF: { value: 0x31, hasX: true, name: 'Message confirmation' }, //               X011 0001
  RTN: { value: 0x32, hasX: true, name: 'Retrain negative' }, //                   X011 0010
  RTP: { value: 0x33, hasX: true, name: 'Retrain positive' }, //                   X011 0011
  PIN: { value: 0x34, hasX: true, name: 'Procedure interrupt negative' }, //       X011 0100
  PIP: { value: 0x35, hasX: true, name: 'Procedure interrupt positive' }, //       X011 0101
  PID: { value: 0x36, hasX: true, name: 'Procedure interrupt disconnect' }, //     X011 0110
  RNR: { value: 0x37, hasX: true, name: 'Receive not ready' }, //                  X011 0111
  ERR: { value: 0x38, hasX: true, name: 'Response for end of retransmission' }, // X011 1000
  PPR: { value: 0x3d, hasX: true, name: 'Partial page request' }, //               X011 1101
  FDM: { value: 0x3f, hasX: true, name: 'File diagnostics message' }, //           X011 1111
  RK: { value: 0x52, hasX: false, name: 'Receiver keys' }, //                      0101 0010
  TK: { value: 0xd2, hasX: false, name: 'Transmitter keys' }, //                   1101 0010
  FNV: { value: 0x53, hasX: true, name: 'Field not valid' }, //                    X101 0011
  TR: { value: 0x56, hasX: true, name: 'Transmitter ready' }, //                   X101 0110
  TNR: { value: 0x57, hasX: true, name: 'Transmitter not ready' }, //              X101 0111
  CRP: { value: 0x58, hasX: true, name: 'Command repeat' }, //                     X101 1000
  DNK: { value: 0x59, hasX: true, name: 'Digital not acknowledge' }, //            X101 1001
  DCN: { value: 0x5f, hasX: true, name: 'Disconnect' }, //                         X101 1111
  FCD: { value: 0x60, hasX: false, name: 'Facsimile coded data' }, //              0110 0000
  RCP: { value: 0x61, hasX: false, name: 'Return to control for partial page' }, // 0110 0001
  CCD: { value: 0x62, hasX: false, name: 'Character coded data' }, //              0110 0010
};

/*
 * Not in the lookup because they collide with a more common signal: DTR (1000 1000, digital
 * turnaround request) has ISP's code, SPT (0000 0001, security page type) has DIS's, and PSS
 * (1111 1000, present signature signal) exists only as an FCF2 where it equals EOS with X = 1.
 * An analyser sees them as ISP / DIS / EOS, which is what their position in the call means in
 * practice.
 */

export interface FcfLookup {
  readonly type: T30FrameType;
  /** The X bit as received (always false for frames whose first bit is fixed). */
  readonly xBit: boolean;
}

/** octet → lookup, built once. */
const BY_OCTET: ReadonlyArray<FcfLookup | undefined> = (() => {
  const table: Array<FcfLookup | undefined> = new Array<FcfLookup | undefined>(256).fill(undefined);
  for (const type of T30_FRAME_TYPES) {
    const d = FCF_DEFS[type];
    const put = (octet: number, xBit: boolean): void => {
      if (table[octet] !== undefined) throw new Error(`FCF table collision at 0x${octet.toString(16)}`);
      table[octet] = { type, xBit };
    };
    put(d.value, false);
    if (d.hasX) put(d.value | 0x80, true);
  }
  return table;
})();

/** Looks an FCF octet up (document notation). `undefined` for codes T.30 does not assign. */
export function lookupFcf(octet: number): FcfLookup | undefined {
  if (!Number.isInteger(octet) || octet < 0 || octet > 0xff) return undefined;
  return BY_OCTET[octet];
}

/** True if the frame type's first FCF bit is the X bit (T.30 §5.3.6.1). */
export function fcfHasXBit(type: T30FrameType): boolean {
  return FCF_DEFS[type].hasX;
}

/** The FCF octet for a frame type; `xBit` is ignored for frames without an X bit. */
export function fcfValue(type: T30FrameType, xBit = false): number {
  const d = FCF_DEFS[type];
  return d.hasX && xBit ? d.value | 0x80 : d.value;
}

/** Long name of a frame type, as Table 1/T.30 words it. */
export function fcfLongName(type: T30FrameType): string {
  return FCF_DEFS[type].name;
}

/** Short name of an FCF octet (`DCS`), or `FCF 0x3e` for an unassigned code. */
export function fcfName(fcf: number): string {
  const l = lookupFcf(fcf);
  if (l !== undefined) return l.type;
  return `FCF 0x${(fcf & 0xff).toString(16).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// FCF2 of PPS / EOR (T.30 Annex A §A.4 and Table A.1)

export const T30_FCF2_TYPES = ['NULL', 'EOM', 'MPS', 'EOP', 'EOS', 'PRI-EOM', 'PRI-MPS', 'PRI-EOP'] as const;
export type T30Fcf2Type = (typeof T30_FCF2_TYPES)[number];

export interface Fcf2Lookup {
  readonly type: T30Fcf2Type;
  readonly xBit: boolean;
}

/** Looks up the second FCF octet of PPS/EOR. NULL (0x00) has no X bit. */
export function lookupFcf2(octet: number): Fcf2Lookup | undefined {
  if (octet === 0x00) return { type: 'NULL', xBit: false };
  const l = lookupFcf(octet);
  if (l === undefined || !isFcf2Type(l.type)) return undefined;
  return { type: l.type, xBit: l.xBit };
}

const FCF2_SET: ReadonlySet<string> = new Set(T30_FCF2_TYPES);
function isFcf2Type(t: string): t is T30Fcf2Type {
  return FCF2_SET.has(t);
}

/** The FCF2 octet for a post-message command (`xBit` ignored for NULL). */
export function fcf2Value(type: T30Fcf2Type, xBit = false): number {
  return type === 'NULL' ? 0x00 : fcfValue(type, xBit);
}

// ---------------------------------------------------------------------------------------------
// Shared decode error of the T.30 codecs

export type T30DecodeErrorCode =
  /** Fewer octets than the frame (or field) needs. */
  | 'truncated'
  /** More octets than T.30 allows for this frame's FIF. */
  | 'bad-length'
  /** Address field is not 0xFF (T.30 §5.3.4). */
  | 'bad-address'
  /** Control field is not 0xC0 / 0xC8 (T.30 §5.3.5). */
  | 'bad-control'
  /** The FCF2 of a PPS/EOR is not a post-message command (T.30 §A.4). */
  | 'bad-fcf2';

export interface T30DecodeError {
  readonly code: T30DecodeErrorCode;
  readonly message: string;
  /** Octet offset (from the start of the decoded buffer) where the problem was found. */
  readonly offset: number;
}

/** Reverses the bit order of an octet (document notation ⇄ LSB-first / character order). */
export function bitReverse8(v: number): number {
  let x = v & 0xff;
  x = ((x & 0xf0) >> 4) | ((x & 0x0f) << 4);
  x = ((x & 0xcc) >> 2) | ((x & 0x33) << 2);
  x = ((x & 0xaa) >> 1) | ((x & 0x55) << 1);
  return x;
}
