/**
 * `faxwire --help`, `faxwire help [COMMAND]`, `faxwire COMMAND --help|-h`: the usage on stdout,
 * exit 0; an unknown command or a bad option: one line on stderr pointing at --help, exit 2.
 * Also what each of them loads: the top-level usage no command module, a command's usage its own
 * module and no other command's (watched with a module-loading hook, Node ≥ 20.6).
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { register } from 'node:module';
import { CLI, cli, cliEnv } from './helpers.js';

const COMMANDS = ['analyze', 'convert', 'send', 'receive', 'demo', 'modem', 'gateway'] as const;

/** A bad option for each command (parse error or bad value). */
const BAD: Readonly<Record<(typeof COMMANDS)[number], string[]>> = {
  analyze: ['x.pcap', '--bogus'],
  convert: ['a.pdf', 'b.tif', '--paper', 'a5'],
  send: ['a.pdf', '--udptl', '127.0.0.1:1', '--local-port', '2', '--redundancy', '99'],
  receive: ['--out', 'x.doc', '--listen-tcp', '4000'],
  demo: ['--loss', '90'],
  modem: ['tx', '--modem', 'v99'],
  gateway: ['--audio-local', '1', '--audio-remote', '127.0.0.1:2', '--t38-local', '3', '--t38-remote', '127.0.0.1:4', '--block-modems', 'v34'],
};

function assertUsage(r: { code: number | null; out: string; err: string }, first: RegExp, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.err}`);
  assert.match(r.out, first, what);
  assert.equal(r.err, '', what);
}

function assertOneLineError(r: { code: number | null; out: string; err: string }, hint: string, what: string): void {
  assert.equal(r.code, 2, `${what}: ${r.out}${r.err}`);
  assert.equal(r.out, '', what);
  const lines = r.err.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.err)}`);
  assert.ok(lines[0]?.includes(`'${hint} --help'`), `${what}: points at ${hint} --help: ${r.err}`);
}

describe('faxwire --help and help', () => {
  it('faxwire --help, -h and help print the top-level usage, naming every command; no command: the same, exit 2', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = cli(...args);
      assertUsage(r, /^faxwire — real-time fax over IP/, args.join(' '));
      for (const c of COMMANDS) assert.match(r.out, new RegExp(`faxwire ${c} `), `${args.join(' ')} names ${c}`);
    }
    const none = cli();
    assert.equal(none.code, 2);
    assert.match(none.out, /^faxwire — real-time fax over IP/);
  });

  for (const c of COMMANDS) {
    it(`faxwire ${c} --help, ${c} -h, help ${c}: its usage on stdout, exit 0 — even after a bad option`, () => {
      const usage = cli(c, '--help');
      assertUsage(usage, new RegExp(`^usage: faxwire ${c} `), `${c} --help`);
      assertUsage(cli(c, '-h'), new RegExp(`^usage: faxwire ${c} `), `${c} -h`);
      assert.equal(cli('help', c).out, usage.out, `help ${c}`);
      assert.equal(cli(c, ...BAD[c], '--help').out, usage.out, `${c} <bad> --help`);
    });

    it(`faxwire ${c} with a bad option: one line naming ${c} --help, exit 2`, () => {
      assertOneLineError(cli(c, ...BAD[c]), `faxwire ${c}`, `${c} ${BAD[c].join(' ')}`);
      assertOneLineError(cli(c, '--no-such-option'), `faxwire ${c}`, `${c} --no-such-option`);
    });
  }

  it('after -- a "--help" is a file name, not a request for help', () => {
    const r = cli('convert', '--', '--help');
    assertOneLineError(r, 'faxwire convert', 'convert -- --help');
    assert.match(r.err, /needs an input and an output file/);
  });

  it('an unknown command, help for one, or help for two: one line naming faxwire --help, exit 2', () => {
    assertOneLineError(cli('frobnicate'), 'faxwire', 'frobnicate');
    assertOneLineError(cli('--frobnicate'), 'faxwire', '--frobnicate');
    assertOneLineError(cli('help', 'frobnicate'), 'faxwire', 'help frobnicate');
    assertOneLineError(cli('help', 'send', 'receive'), 'faxwire', 'help send receive');
  });
});

// A module-loading hook that names every file: URL loaded on stderr.
const LOAD_HOOK = "export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('loaded ' + url + '\\n'); return next(url, context); }";
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(LOAD_HOOK)}`)});`;

/** The faxwire modules (dist/src/… paths) that `faxwire ...args` loads. */
function modulesLoaded(...args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: cliEnv() });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stderr.matchAll(/^loaded file:\/\/.*?\/dist\/(src\/.*)$/gm)].map((m) => m[1] ?? '').sort();
}

describe('faxwire loads a command only when it runs', { skip: typeof register !== 'function' && 'module.register needs Node ≥ 20.6' }, () => {
  it('the top-level usage loads main.js and command.js alone', () => {
    for (const args of [['--help'], ['help']]) assert.deepEqual(modulesLoaded(...args), ['src/cli/command.js', 'src/cli/main.js'], args.join(' '));
  });

  it("a command's usage loads that command and no other", () => {
    for (const c of COMMANDS) {
      const cli = modulesLoaded(c, '--help').filter((m) => m.startsWith('src/cli/'));
      assert.ok(cli.includes(`src/cli/${c}.js`), `${c}: ${cli.join(' ')}`);
      for (const other of COMMANDS) if (other !== c) assert.ok(!cli.includes(`src/cli/${other}.js`), `${c} --help loads ${other}.js`);
    }
  });
});
