/**
 * The shape every modem, tone generator and detector shares (DESIGN.md habit 4: DSP in blocks,
 * without allocation). Sans-IO: time is a count of 8 kHz samples; the caller moves audio in
 * blocks of any size (160 samples = 20 ms is typical) and the modem calls back for bits.
 *
 * The bit interface is the one a fax modem has on its V.24 side (V.24 circuits 103/104): the
 * transmitter pulls data bits one at a time, the receiver pushes the bits it demodulated,
 * together with status changes (circuit 109 carrier detect, training). HDLC framers/deframers,
 * the T.30 engine's non-ECM image path and the test PRBS sit behind these two interfaces.
 */

/** 8 kHz: every modem and tone works at the G.711 sampling rate. */
export const SAMPLE_RATE = 8000;

/** What `BitSource.getBit` returns when there is no more data: the transmitter shuts down. */
export const END_OF_DATA = -1;

/** The data bits a transmitter sends (before scrambling): 0, 1, or END_OF_DATA. */
export interface BitSource {
  getBit(): number;
}

/** Status of a receiver (circuit 109 and training), in the order they usually happen. */
export type ModemRxStatus =
  | 'carrier-up'
  | 'training-in-progress'
  | 'training-failed'
  | 'training-succeeded'
  | 'carrier-down';

/** Where a receiver delivers demodulated data bits (after descrambling) and status changes. */
export interface BitSink {
  putBit(bit: number): void;
  status(status: ModemRxStatus): void;
}

/** A transmitter: writes its signal into caller-owned blocks. */
export interface ModemTransmitter {
  /**
   * Write up to `length` samples at `out[offset…]`; returns how many were written. Fewer than
   * asked means the signal ended (END_OF_DATA was seen and the shutdown sequence is complete);
   * the rest of the block is the caller's (silence, or the next signal).
   */
  tx(out: Int16Array, offset?: number, length?: number): number;
  /** True once the signal (including any shutdown sequence) is over. */
  readonly done: boolean;
}

/** A receiver: consumes caller-owned blocks, calls its BitSink. */
export interface ModemReceiver {
  /** Demodulate `length` samples from `samples[offset…]`. */
  rx(samples: Int16Array, offset?: number, length?: number): void;
  /**
   * `n` samples of audio were lost (a missing RTP packet): advance the receiver's clocks as if
   * they had been received, without adapting on them, so it keeps symbol and carrier sync.
   */
  fillIn(n: number): void;
  /**
   * Forget the signal and wait for a new one (same modulation, same rate). `shortTrain` (V.17
   * only; others ignore it): expect a short training, keeping the equaliser and the carrier and
   * timing learned in the last long one (V.17 §5.3; T.30 uses it for the pages after the TCF).
   */
  restart(shortTrain?: boolean): void;
}

/*
 * Re-entrancy: a receiver calls its BitSink from inside `rx`/`fillIn`. Do not call `restart`
 * (or `rx`) on the same receiver from inside those callbacks — receivers keep their hot state
 * in locals while a block runs and write it back at the end, over a restart made meanwhile.
 * Note what to do and do it after `rx` returns (the audio receiver sets a flag).
 */

/** What a fast-modem receiver can say about the signal it is locked to. */
export interface ModemRxMetrics {
  /** Received level, dBm0. */
  readonly signalLevelDbm0: number;
  /** Carrier frequency offset it has tracked, Hz. */
  readonly carrierOffsetHz: number;
  /** Sender's symbol clock against ours, ppm. */
  readonly symbolTimingPpm: number;
  /** Whether it is trained and delivering data. */
  readonly trained: boolean;
}
