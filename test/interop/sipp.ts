/**
 * SIPp (the `sip-tester` package, 3.6) against faxwire's SIP user agent, for the interop suite:
 * the scenario adapter, process handling and a small UDP relay.
 *
 * The SIPp scenarios of ../shared/corpus (Asterisk's test suite and contrib script, GPL-2) are
 * third-party data: they are NEVER copied into this repository. A test reads one at run time
 * and adapts it in code — a list of string edits, each with the reason faxwire's run differs
 * from Asterisk's — into a temporary directory. Every edit states how many times its text must
 * occur in the corpus file, so a changed corpus fails loudly instead of running a different
 * scenario.
 *
 * Media: SIPp's pcap replay (`play_pcap_audio` / `play_pcap_image`) is replaced by an
 * `<exec command="…"/>` that starts the spandsp reference peer (t38peer, audiofax) on the port
 * faxwire's SDP named, captured with an `<ereg>` into a SIPp variable. SIPp runs that command
 * with `sh -c` in a child that stays in SIPp's process group, so killing the group of the SIPp
 * process (started with its own session here) ends the peer too; the command also writes the
 * shell's pid (then `exec`s the peer) so the test can wait for the peer to finish.
 *
 * Things learned about SIPp 3.6.1 the hard way:
 * - `[` inside an exec command starts a SIPp keyword even in shell code (`[ x = 0 ]` breaks):
 *   use `test`.
 * - A keyword `[name]` that is neither built in nor given with `-key name value` makes the
 *   scenario fail to load ("Unsupported keyword").
 * - Load errors go to stderr as timestamped lines; exit code 1 is also "a call failed", so the
 *   stderr text is what tells a broken scenario.
 */

import { spawn } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from './util.js';

/** A corpus scenario, by its path under ../shared/corpus. */
export function corpusFile(rel: string): string {
  return join(CORPUS, rel);
}

/** One change to a corpus scenario. */
export interface ScenarioEdit {
  /** Why faxwire's run differs from the original (also written, numbered, into the adapted file). */
  readonly why: string;
  /** Literal text, or a RegExp (made global) — matched against the corpus file. */
  readonly find: string | RegExp;
  /** Replacement; for a RegExp `$1`… work as in String.prototype.replace. */
  readonly replace: string;
  /** How many times `find` must occur (default 1). */
  readonly count?: number;
}

function countMatches(text: string, find: string | RegExp): number {
  if (typeof find === 'string') {
    let n = 0;
    for (let i = text.indexOf(find); i >= 0; i = text.indexOf(find, i + find.length)) n += 1;
    return n;
  }
  const re = new RegExp(find.source, find.flags.includes('g') ? find.flags : `${find.flags}g`);
  return [...text.matchAll(re)].length;
}

/**
 * Applies `edits` in order to a corpus scenario's text. Throws (naming the edit) when an edit's
 * text does not occur exactly `count` times. The adapted file gets a comment block after
 * `<scenario …>` that lists every edit's reason, so a trace or a failure shows what was changed.
 */
export function adaptScenario(xml: string, edits: readonly ScenarioEdit[], origin: string): string {
  let out = xml;
  edits.forEach((e, i) => {
    const want = e.count ?? 1;
    const got = countMatches(out, e.find);
    if (got !== want) throw new Error(`adapting ${origin}: edit ${i + 1} ("${e.why.slice(0, 80)}") expects ${want} match(es) of ${String(e.find).slice(0, 120)}, found ${got}`);
    if (typeof e.find === 'string') out = out.split(e.find).join(e.replace);
    else {
      // Only `$1`…`$9` are special in the replacement (shell text like `$$` must pass as it is).
      const re = new RegExp(e.find.source, e.find.flags.includes('g') ? e.find.flags : `${e.find.flags}g`);
      out = out.replace(re, (...m: unknown[]) =>
        e.replace.replace(/\$([1-9])/g, (_, d: string) => {
          const g = m[Number(d)];
          return typeof g === 'string' ? g : '';
        }),
      );
    }
  });
  // ASCII only (the corpus files are ISO-8859-1) and no `--` (ends an XML comment).
  const notes = edits.map((e, i) => `  ${i + 1}. ${e.why.replace(/[^\x20-\x7e]/g, '-').replace(/--/g, '- -')}`).join('\n');
  const header = `\n<!-- Adapted at test time by faxwire's test/interop/sipp.ts from ${origin.replace(/--/g, '- -')} (not stored in faxwire):\n${notes}\n-->\n`;
  const m = /<scenario\b[^>]*>/.exec(out);
  if (m === null) throw new Error(`adapting ${origin}: no <scenario> element`);
  return out.slice(0, m.index + m[0].length) + header + out.slice(m.index + m[0].length);
}

/** Reads a corpus scenario, adapts it, writes it to `dir/name`; returns the path. */
export function writeAdapted(rel: string, edits: readonly ScenarioEdit[], dir: string, name: string): string {
  const xml = readFileSync(corpusFile(rel), 'latin1');
  const path = join(dir, name);
  writeFileSync(path, adaptScenario(xml, edits, rel), 'latin1');
  return path;
}

/** What an exec argument may hold: no quoting is needed (or done), SIPp variables allowed. */
const SAFE_ARG = /^(?:[\w/.:,=+@-]|\$[A-Za-z_]\w*|\[\$?[A-Za-z_]\w*\])+$/;
/** Shell text for exec commands: no quotes, `&`, `<`, backslash, or `[` that is not a SIPp variable. */
const UNSAFE_SHELL = /["'&<\\]|\[(?!\$?[A-Za-z_]\w*\])/;

/**
 * A SIPp `<exec>` that starts a peer: `sh -c` writes its pid to `dir/name.pid`, then `exec`s
 * the program with stdout/stderr to `dir/name.out` / `dir/name.err`. Arguments may hold SIPp
 * variables (`[$fwport]`, substituted by SIPp before the shell runs) and shell variables set in
 * `pre` (`$C`); they are not quoted, so they are checked to need no quoting. With `orElse`,
 * `cond` (shell, e.g. `test x[$port] != x0`) chooses between `argv` and `orElse`.
 */
export function execPeer(dir: string, name: string, argv: readonly string[], opt: { pre?: string; cond?: string; orElse?: readonly string[] } = {}): string {
  for (const a of [...argv, ...(opt.orElse ?? []), dir, name]) if (!SAFE_ARG.test(a)) throw new Error(`execPeer: argument needs quoting, not allowed in a SIPp exec command: ${a}`);
  for (const s of [opt.pre ?? '', opt.cond ?? '']) if (UNSAFE_SHELL.test(s)) throw new Error(`execPeer: unsafe shell text: ${s}`);
  const base = join(dir, name);
  const run = (v: readonly string[]): string => `exec ${v.join(' ')} > ${base}.out 2> ${base}.err`;
  const body = opt.orElse !== undefined && opt.cond !== undefined ? `if ${opt.cond}; then ${run(argv)}; else ${run(opt.orElse)}; fi` : run(argv);
  return `<exec command="${opt.pre ?? ''}echo $$ > ${base}.pid; ${body}"/>`;
}

/** execPeer wrapped in a `<nop><action>` (a scenario step of its own). */
export function execNop(dir: string, name: string, argv: readonly string[], opt: { pre?: string; cond?: string; orElse?: readonly string[] } = {}): string {
  return `<nop><action>${execPeer(dir, name, argv, opt)}</action></nop>`;
}

/** A `<nop>` running shell text (same character rules as execPeer). */
export function shellNop(text: string): string {
  if (UNSAFE_SHELL.test(text)) throw new Error(`shellNop: unsafe text: ${text}`);
  return `<nop><action><exec command="${text}"/></action></nop>`;
}

/** Shell text that kills the peer execNop started as `name` (if it still runs). */
export function killPeerText(dir: string, name: string): string {
  return `kill $(cat ${join(dir, name)}.pid) 2>/dev/null; true`;
}

export interface PeerRun {
  /** False when the peer never started (no pid file). */
  readonly started: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (at most `ms`) for a peer started by execNop to exit, then returns its output. */
export async function peerOutcome(dir: string, name: string, ms: number): Promise<PeerRun> {
  const base = join(dir, name);
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8').slice(-200_000) : '');
  if (!existsSync(`${base}.pid`)) return { started: false, stdout: read(`${base}.out`), stderr: read(`${base}.err`) };
  const pid = Number(read(`${base}.pid`).trim());
  const end = Date.now() + ms;
  while (Number.isInteger(pid) && pid > 0 && alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return { started: true, stdout: read(`${base}.out`), stderr: read(`${base}.err`) };
}

export interface GroupProc {
  readonly pid: number;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string; wallMs: number }>;
  waitStderr(re: RegExp, ms: number): Promise<boolean>;
  stderrNow(): string;
  /** SIGKILL to the whole process group (the process, its `timeout`, what it spawned). */
  kill(): void;
}

/**
 * Runs `cmd` under coreutils `timeout` in a process group of its own (detached), so that the
 * test can kill everything it spawned — SIPp's exec'd peers included — with one signal.
 */
export function startGroup(cmd: string, args: readonly string[], timeoutSec: number): GroupProc {
  const t0 = Date.now();
  const child = spawn('timeout', ['-k', '3', String(timeoutSec), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  // Bounded: SIPp's screen and --sip-trace can be long.
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < 4_000_000) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 8_000_000) stderr += d;
  });
  let ended = false;
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; wallMs: number }>((res) => {
    child.on('close', (code) => {
      ended = true;
      res({ code, stdout, stderr, wallMs: Date.now() - t0 });
    });
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    done,
    async waitStderr(re, ms) {
      const end = Date.now() + ms;
      while (!ended && Date.now() < end) {
        if (re.test(stderr)) return true;
        await new Promise((r) => setTimeout(r, 10));
      }
      return re.test(stderr);
    },
    stderrNow: () => stderr,
    kill() {
      if (pid <= 0) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

export interface SippOptions {
  readonly scenario: string;
  /** SIPp's own SIP port on 127.0.0.1. */
  readonly port: number;
  /** SIPp's media port (-mp; it binds this one and a few above it). */
  readonly mediaPort: number;
  /** host:port to call (UAC scenarios). */
  readonly remote?: string;
  /** `-key name value` pairs: `[name]` in the scenario. */
  readonly keys?: Readonly<Record<string, string>>;
  /** `-s` service (the user part of the request URI). */
  readonly service?: string;
  /** SIPp's global timeout (-timeout, counted as an error). */
  readonly timeoutSec: number;
  /** SIPp's transport: UDP (default) or TCP, one connection (-t t1). */
  readonly transport?: 'udp' | 'tcp';
  /** Where SIPp writes its message trace, error and log files. */
  readonly dir: string;
  readonly extra?: readonly string[];
}

export interface SippProc extends GroupProc {
  readonly files: { readonly messages: string; readonly errors: string; readonly logs: string };
}

/** Starts SIPp for one call (-m 1) on 127.0.0.1 with its trace files in `o.dir`. */
export function startSipp(o: SippOptions): SippProc {
  const files = { messages: join(o.dir, 'sipp-messages.log'), errors: join(o.dir, 'sipp-errors.log'), logs: join(o.dir, 'sipp-logs.log') };
  const args = [
    '-sf', o.scenario,
    '-m', '1',
    '-i', '127.0.0.1',
    '-p', String(o.port),
    '-mp', String(o.mediaPort),
    '-nostdin',
    '-t', o.transport === 'tcp' ? 't1' : 'u1',
    '-timeout', `${o.timeoutSec}s`,
    '-timeout_error',
    '-trace_msg', '-message_file', files.messages,
    '-trace_err', '-error_file', files.errors,
    '-trace_logs', '-log_file', files.logs,
    ...(o.service !== undefined ? ['-s', o.service] : []),
    ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(o.extra ?? []),
    ...(o.remote !== undefined ? [o.remote] : []),
  ];
  return { ...startGroup('sipp', args, o.timeoutSec + 10), files };
}

/** A SIPp trace file's text (bounded), '' when absent. */
export function readTrace(file: string, max = 400_000): string {
  if (!existsSync(file)) return '';
  const t = readFileSync(file, 'latin1');
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/** Load errors SIPp prints when a scenario does not parse or references something unknown. */
export const SIPP_LOAD_ERROR = /XML|scenario|Unsupported keyword|Unknown|not defined|referenced|Unable to|Can't open|Invalid|expecting|syntax|parse/i;

/**
 * The SIP messages of a SIPp `-trace_msg` file: each block starts with a line of dashes and a
 * "UDP message sent/received" header; returns [direction, message text] in order.
 */
export function traceMessages(trace: string): { dir: 'sent' | 'received'; text: string }[] {
  const out: { dir: 'sent' | 'received'; text: string }[] = [];
  const re = /^-+\s*\S.*?\n(UDP|TCP) message (sent|received)[^\n]*\n\n?([\s\S]*?)(?=^-{20,}|(?![\s\S]))/gm;
  for (const m of trace.replace(/\r\n/g, '\n').matchAll(re)) out.push({ dir: m[2] === 'sent' ? 'sent' : 'received', text: (m[3] ?? '').replace(/\n+$/, '') });
  return out;
}

/** The first SDP `m=` line of `kind` in a SIP message: port and formats. */
export function sdpMedia(msg: string, kind: string): { port: number; proto: string; fmts: string[] } | undefined {
  const m = new RegExp(`^m=${kind} (\\d+) (\\S+)((?: \\S+)*)\\s*$`, 'm').exec(msg);
  if (m === null) return undefined;
  return { port: Number(m[1]), proto: m[2] ?? '', fmts: (m[3] ?? '').trim().split(/\s+/).filter((x) => x !== '') };
}

/** An SDP attribute value (`a=name:value`, case-insensitive name) of a message, first one. */
export function sdpAttr(msg: string, name: string): string | undefined {
  const m = new RegExp(`^a=${name}(?::(.*?))?\\s*$`, 'mi').exec(msg);
  return m === null ? undefined : (m[1] ?? '');
}

/** Status line or request line of a traced SIP message. */
export function firstLine(msg: string): string {
  return msg.split('\n', 1)[0]?.trim() ?? '';
}

export interface RelayStats {
  /** Datagrams from the faxwire side and their sizes (octets of UDP payload). */
  readonly fromFaxwire: number;
  readonly maxFromFaxwire: number;
  readonly sizesFromFaxwire: Map<number, number>;
  readonly fromPeer: number;
  /** Peer datagrams dropped because faxwire had not sent anything yet (its address unknown). */
  readonly droppedBeforeLatch: number;
}

/**
 * A two-socket UDP relay between faxwire (talking to `faxwirePort`) and a peer (listening on
 * `peerTarget`, sending to `peerPort`), counting the size of every datagram faxwire sends. It
 * learns faxwire's address from faxwire's first datagram, or before that from `faxwireHint` (the
 * port faxwire's SDP named, when known); peer datagrams with neither are dropped (T.30 repeats
 * its commands).
 */
export async function startRelay(faxwirePort: number, peerPort: number, peerTarget: number, faxwireHint?: () => number | undefined): Promise<{ stats: () => RelayStats; close: () => Promise<void> }> {
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  const bind = (s: Socket, p: number): Promise<void> =>
    new Promise((res, rej) => {
      s.once('error', rej);
      s.bind(p, '127.0.0.1', () => {
        s.off('error', rej);
        res();
      });
    });
  await bind(a, faxwirePort);
  await bind(b, peerPort);
  let fw: RemoteInfo | undefined;
  let fromFaxwire = 0;
  let maxFromFaxwire = 0;
  let fromPeer = 0;
  let droppedBeforeLatch = 0;
  const sizes = new Map<number, number>();
  a.on('message', (msg, rinfo) => {
    fw = rinfo;
    fromFaxwire += 1;
    maxFromFaxwire = Math.max(maxFromFaxwire, msg.length);
    sizes.set(msg.length, (sizes.get(msg.length) ?? 0) + 1);
    b.send(msg, peerTarget, '127.0.0.1');
  });
  b.on('message', (msg) => {
    fromPeer += 1;
    const hint = fw === undefined ? faxwireHint?.() : undefined;
    if (fw !== undefined) a.send(msg, fw.port, fw.address);
    else if (hint !== undefined) a.send(msg, hint, '127.0.0.1');
    else droppedBeforeLatch += 1;
  });
  a.on('error', () => undefined);
  b.on('error', () => undefined);
  return {
    stats: () => ({ fromFaxwire, maxFromFaxwire, sizesFromFaxwire: new Map(sizes), fromPeer, droppedBeforeLatch }),
    close: async () => {
      await Promise.all([new Promise<void>((r) => a.close(() => r())), new Promise<void>((r) => b.close(() => r()))]);
    },
  };
}
