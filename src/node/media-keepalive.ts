/**
 * Keep-alives that open (and hold) the NAT or firewall pinhole of a media socket before the
 * first real packet leaves it (issue 12, item 3). A fax server behind NAT announces its media
 * port in SDP, but its NAT drops what the far end sends there until the server itself has sent
 * from that port to the far end; a T.38 answerer may receive before it sends, and a socket may be
 * set up a while before its driver starts (re-INVITE to T.38). So: one keep-alive at once, then
 * one every `everyMs`, until `stop()` — call it when the driver takes the socket over (or when the
 * socket closes, which stops it too).
 *
 * What a keep-alive is. RFC 6263 §4 lists the ways, and recommends an RTP packet with a dynamic
 * payload type the session never negotiated (§4.6) — a receiver must ignore a payload type it
 * does not know (RFC 3550 §5.1) — unless RTP and RTCP are multiplexed. Here the default is the
 * empty UDP datagram of §4.1 instead, for both RTP and UDPTL:
 *
 *   kind    §4.6 "unknown PT" RTP packet            §4.1 empty datagram (chosen)
 *   ------  --------------------------------------  ---------------------------------------------
 *   RTP     needs a PT not in the SDP and the       shorter than the 12-octet RTP header, so a
 *           stream's SSRC, sequence and timestamp:   receiver drops it as not RTP (the validity
 *           the driver does not exist yet, so a      checks of RFC 3550 §A.1); it cannot disturb
 *           second SSRC would appear, which SSRC-    an SSRC lock, a jitter buffer or a codec
 *           locking peers (strict RTP) may count     switch
 *   UDPTL   no payload type at all: does not apply  not a UDPTL packet (T.38 §9.1: its sequence
 *                                                    number alone takes 2 octets); a decoder
 *                                                    rejects it (faxwire's does, tested)
 *
 * RFC 6263's objection to §4.1 is that some stacks mishandle empty packets; the window here is
 * short (until the first real packet), and faxwire's own receivers are tested to drop it (its
 * source filter never latches on it). A caller that prefers §4.6 passes its own `payload`.
 * (Asterisk's `rtp_keepalive` sends comfort noise, RFC 3389, which fits audio only; its
 * udptl.conf offers no keep-alive.)
 *
 * How often: RFC 6263 gives Tr = 15 s as the default spacing; NATs keep an idle UDP mapping for
 * 2 minutes or more (RFC 4787 REQ-5), many boxes 30 s, so 15 s holds the mapping with room for a
 * lost keep-alive. The first one leaves at once: that is the one that opens the pinhole.
 */

import type { Socket } from 'node:dgram';
import { FaxwireError } from '../util/errors.js';

/** RFC 6263's default keep-alive spacing Tr, ms. */
export const MEDIA_KEEPALIVE_MS = 15_000;
/** Shortest spacing accepted, ms (a keep-alive is not a flood). */
const MIN_KEEPALIVE_MS = 10;
/** Largest keep-alive payload, octets (a caller's §4.6 RTP packet is 12). */
const MAX_PAYLOAD = 1024;

const EMPTY = new Uint8Array(0);

export interface MediaKeepalive {
  /** Stops sending (idempotent). */
  stop(): void;
  /** Keep-alives handed to the socket so far. */
  readonly sent: number;
  /** Sends that failed (counted, never thrown). */
  readonly errors: number;
}

/**
 * Sends `payload` (default: an empty datagram, RFC 6263 §4.1) from `sock` to host:port at once
 * and then every `everyMs` (default 15 s, RFC 6263's Tr) until `stop()` or the socket closes.
 * The timer does not keep the process alive.
 */
export function startKeepalive(sock: Socket, host: string, port: number, everyMs: number = MEDIA_KEEPALIVE_MS, payload: Uint8Array = EMPTY): MediaKeepalive {
  if (!Number.isFinite(everyMs) || everyMs < MIN_KEEPALIVE_MS) {
    throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `keep-alive spacing must be >= ${MIN_KEEPALIVE_MS} ms, got ${everyMs}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `keep-alive port must be 1..65535, got ${port}`);
  }
  if (payload.length > MAX_PAYLOAD) {
    throw new FaxwireError('FAXWIRE_ERR_VALUE_OUT_OF_RANGE', `keep-alive payload must be <= ${MAX_PAYLOAD} octets, got ${payload.length}`);
  }
  let sent = 0;
  let errors = 0;
  let timer: NodeJS.Timeout | undefined;
  const onError = (): void => {
    errors++;
  };
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    sock.off('close', stop);
    sock.off('error', onError);
  };
  const send = (): void => {
    try {
      sock.send(payload, port, host, (err) => {
        if (err) errors++;
      });
      sent++;
    } catch {
      // The socket closed under us (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to keep open.
      errors++;
      stop();
    }
  };
  sock.on('error', onError);
  sock.once('close', stop);
  timer = setInterval(send, everyMs);
  timer.unref();
  send();
  return {
    stop,
    get sent() {
      return sent;
    },
    get errors() {
      return errors;
    },
  };
}
