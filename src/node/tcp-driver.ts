/**
 * Runs a sans-IO T.38 terminal over TCP (T.38 §6.1 allows TCP; IFPs framed with TPKT,
 * RFC 1006 §6) with real timers. Either end may connect or listen; the terminal starts when the
 * connection is up (the answering side's CED and the calling side's CNG both need a path).
 * Fax time runs `speed` × the wall clock, as in udp-driver.ts. A wall-clock `timeoutMs` bounds
 * the whole call, connection set-up included; a connection that closes ends the call. Connecting
 * is retried a few times over about 3 s (CONNECT_RETRY_DELAYS_MS), then given up with the cause.
 */

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { RealTimeLoop, type DriverOutcome, type DrivenTerminal } from './real-time-loop.js';

export interface TcpDriverOptions<E> {
  readonly terminal: DrivenTerminal<E>;
  /** Connect to host:port (retrying while nothing listens yet), or listen on a port. */
  readonly connect?: { readonly host: string; readonly port: number };
  readonly listen?: { readonly port: number; readonly host?: string };
  readonly speed?: number;
  /** Wall-clock limit, ms. Default 300 000. */
  readonly timeoutMs?: number;
  readonly onEvent?: (e: E) => void;
  /** Called once listening (with the port), for `listen`. */
  readonly onListening?: (port: number) => void;
  /** Called when the connection is up, just before the terminal starts. */
  readonly onConnected?: (remote: string) => void;
  /** Stops the call at once. */
  readonly signal?: AbortSignal;
  /** Hangs up gracefully: the terminal ends the call (DCN) and the driver finishes normally. */
  readonly hangup?: AbortSignal;
  /** Waits between connection attempts (wall ms); one attempt more than entries. Default `CONNECT_RETRY_DELAYS_MS`. */
  readonly connectRetryDelaysMs?: readonly number[];
}

export interface TcpDriverOutcome extends DriverOutcome {
  /** The connection was never established. */
  readonly notConnected: boolean;
  /** Why not, when connecting failed: "ECONNREFUSED 127.0.0.1:9; 6 attempts in 3.1 s". */
  readonly connectError?: string;
  /** The far end closed the connection before our terminal was done. */
  readonly remoteClosed: boolean;
}

/**
 * Connecting: waits between attempts (wall ms). A far end that is still starting gets a few
 * tries over about 3 s; a dead port is then reported with its cause (ECONNREFUSED …) instead of
 * retrying for the whole call timeout.
 */
export const CONNECT_RETRY_DELAYS_MS: readonly number[] = [100, 200, 400, 800, 1600];
/** One connection attempt may take this long (a black-holed address never answers). */
const CONNECT_ATTEMPT_MS = 3_000;
/** Connect errors worth another try. */
const RETRYABLE: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function errCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'ERROR';
}

/** One connection attempt: the socket, or why not (the system's error code). */
function connectOnce(host: string, port: number, timeoutMs: number): Promise<{ socket: Socket } | { code: string; message: string }> {
  return new Promise((resolve) => {
    const c = createConnection({ host, port });
    const timer = setTimeout(() => {
      c.destroy();
      resolve({ code: 'ETIMEDOUT', message: `no answer in ${(timeoutMs / 1000).toFixed(1)} s` });
    }, timeoutMs);
    c.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket: c });
    });
    c.once('error', (e) => {
      clearTimeout(timer);
      c.destroy();
      resolve({ code: errCode(e), message: e.message });
    });
  });
}

export async function runTcpTerminal<E>(o: TcpDriverOptions<E>): Promise<TcpDriverOutcome> {
  const speed = o.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be > 0, got ${speed}`);
  if ((o.connect === undefined) === (o.listen === undefined)) throw new RangeError('give exactly one of connect / listen');
  const t0 = Date.now();
  const deadline = t0 + (o.timeoutMs ?? 300_000);
  let aborted = o.signal?.aborted ?? false;
  let server: Server | undefined;
  let connectAttempts = 0;
  let connectError: string | undefined;

  // 1. Get a connection.
  const abortWait = new Promise<undefined>((resolve) => {
    o.signal?.addEventListener('abort', () => {
      aborted = true;
      resolve(undefined);
    }, { once: true });
    setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now())).unref();
  });
  let sock: Socket | undefined;
  if (o.listen) {
    const srv = createServer();
    server = srv;
    const accepted = new Promise<Socket>((resolve) => srv.once('connection', resolve));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(o.listen?.port ?? 0, o.listen?.host ?? '0.0.0.0', () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const a = srv.address();
    o.onListening?.(typeof a === 'object' && a !== null ? a.port : 0);
    sock = await Promise.race([accepted, abortWait]);
    srv.close();
  } else if (o.connect) {
    const target = o.connect;
    const delays = o.connectRetryDelaysMs ?? CONNECT_RETRY_DELAYS_MS;
    for (let attempt = 0; !aborted && Date.now() < deadline && sock === undefined; attempt++) {
      connectAttempts++;
      const r = await connectOnce(target.host, target.port, Math.min(CONNECT_ATTEMPT_MS, Math.max(1, deadline - Date.now())));
      if ('socket' in r) {
        sock = r.socket;
        break;
      }
      connectError = `${r.code} ${target.host}:${target.port}${r.message !== '' && r.message !== r.code ? ` (${r.message})` : ''}`;
      const wait = delays[attempt];
      // Retry only what may heal by itself (the far end is starting); a bad name does not.
      if (wait === undefined || !RETRYABLE.has(r.code)) break;
      await Promise.race([new Promise((res) => setTimeout(res, wait)), abortWait]);
    }
  }
  if (!sock) {
    server?.close();
    const wallMs = Date.now() - t0;
    return {
      finished: false,
      timedOut: !aborted && connectError === undefined,
      aborted,
      notConnected: true,
      ...(connectError !== undefined ? { connectError: `${connectError}; ${connectAttempts} attempt${connectAttempts === 1 ? '' : 's'} in ${(wallMs / 1000).toFixed(1)} s` } : {}),
      remoteClosed: false,
      wallMs,
      faxMs: 0,
      datagramsSent: 0,
      datagramsReceived: 0,
      simulatedDrops: 0,
      socketErrors: 0,
    };
  }

  // 2. Run the call on it.
  const s = sock;
  s.setNoDelay(true);
  o.onConnected?.(`${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`);
  let sent = 0;
  let received = 0;
  let socketErrors = 0;
  let remoteClosed = false;
  const loop = new RealTimeLoop<E>(
    o.terminal,
    speed,
    (b) => {
      sent++;
      if (!s.destroyed) s.write(b);
    },
    o.onEvent,
  );
  s.on('data', (chunk: Buffer) => {
    received++;
    loop.input(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  s.on('error', () => {
    socketErrors++;
  });
  s.on('close', () => {
    // A close after our result is the normal end of the call (the far end hung up first).
    if (!o.terminal.done && o.terminal.result === undefined) {
      remoteClosed = true;
      // The far end is gone: the terminal records it (no DCN can be sent any more), then stop.
      loop.poke((now) => o.terminal.abort?.(now, 'remote'));
      loop.stop();
    } else {
      loop.stop();
    }
  });
  const run = await loop.run({ timeoutMs: Math.max(0, deadline - Date.now()), signal: o.signal, hangup: o.hangup });
  const timedOut = run.timedOut;
  aborted ||= run.aborted;
  // Let what was written drain, then close our side.
  await new Promise<void>((r) => {
    if (s.destroyed) return r();
    s.end(() => r());
    setTimeout(r, 2000).unref();
  });
  s.destroy();
  return {
    finished: !timedOut && !aborted && !remoteClosed,
    timedOut,
    aborted,
    notConnected: false,
    remoteClosed,
    wallMs: loop.wallMs(),
    faxMs: loop.now(),
    datagramsSent: sent,
    datagramsReceived: received,
    simulatedDrops: 0,
    socketErrors,
  };
}
