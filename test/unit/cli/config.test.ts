/**
 * The identity (TSI/CSI) and header line from configuration (src/cli/config.ts): each source —
 * --ident/--header, FAXWIRE_IDENT/FAXWIRE_HEADER, the config file (--config, FAXWIRE_CONFIG,
 * $XDG_CONFIG_HOME or ~/.config) — and their precedence, in-process with injected sources; the
 * one-line errors and exit 2 from the CLI; and, end to end, that the identity configured is the
 * one the far end reports.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callSettings } from '../../../src/cli/call-options.js';
import { UsageError } from '../../../src/cli/command.js';
import { configFilePath, configuredIdentity, type ConfigSources } from '../../../src/cli/config.js';
import { runCli, startCli } from './helpers.js';

describe('identity and header line from configuration', () => {
  let dir = '';
  /** A home with ~/.config/faxwire/config.json, an XDG dir with its own, and loose files. */
  let home = '';
  let xdg = '';
  let named = '';
  const sources = (env: Record<string, string> = {}): ConfigSources => ({ env, home });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faxwire-config-'));
    home = join(dir, 'home');
    xdg = join(dir, 'xdg');
    mkdirSync(join(home, '.config', 'faxwire'), { recursive: true });
    mkdirSync(join(xdg, 'faxwire'), { recursive: true });
    writeFileSync(join(home, '.config', 'faxwire', 'config.json'), JSON.stringify({ ident: '+1 555 0001', header: 'HOME HEADER' }));
    writeFileSync(join(xdg, 'faxwire', 'config.json'), JSON.stringify({ ident: '+1 555 0002' }));
    named = join(dir, 'named.json');
    writeFileSync(named, JSON.stringify({ ident: '+1 555 0003', header: 'NAMED HEADER', future: { key: 1 } }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('nothing configured anywhere: no identity, no header', () => {
    assert.deepEqual(configuredIdentity({}, { env: {}, home: join(dir, 'nobody') }), {});
  });

  it('the config file: ~/.config/faxwire/config.json, else $XDG_CONFIG_HOME/faxwire/config.json (a relative one is ignored)', () => {
    assert.deepEqual(configuredIdentity({}, sources()), { ident: '+1 555 0001', header: 'HOME HEADER' });
    assert.deepEqual(configuredIdentity({}, sources({ XDG_CONFIG_HOME: xdg })), { ident: '+1 555 0002' });
    assert.deepEqual(configFilePath(undefined, sources({ XDG_CONFIG_HOME: 'relative/dir' })), { path: join(home, '.config', 'faxwire', 'config.json'), named: false });
  });

  it('$FAXWIRE_CONFIG beats the default file, --config beats $FAXWIRE_CONFIG; unknown keys are ignored', () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ident: '+1 555 0004' }));
    assert.deepEqual(configuredIdentity({}, sources({ FAXWIRE_CONFIG: other })), { ident: '+1 555 0004' });
    assert.deepEqual(configuredIdentity({ config: named }, sources({ FAXWIRE_CONFIG: other })), { ident: '+1 555 0003', header: 'NAMED HEADER' });
  });

  it('the environment beats the file, the option beats the environment — each setting on its own; an empty variable is unset', () => {
    const env = { FAXWIRE_IDENT: '+1 555 0005', FAXWIRE_HEADER: 'ENV HEADER' };
    assert.deepEqual(configuredIdentity({ config: named }, sources(env)), { ident: '+1 555 0005', header: 'ENV HEADER' });
    assert.deepEqual(configuredIdentity({ config: named, ident: '+1 555 0006' }, sources(env)), { ident: '+1 555 0006', header: 'ENV HEADER' });
    assert.deepEqual(configuredIdentity({ config: named, header: 'FLAG HEADER' }, sources({ FAXWIRE_IDENT: '' })), { ident: '+1 555 0003', header: 'FLAG HEADER' });
    assert.deepEqual(configuredIdentity({ ident: '' }, sources()), { ident: '', header: 'HOME HEADER' }, "--ident '' sends no identity");
  });

  it('callSettings hands the identity and header line to the terminal', () => {
    const t = callSettings({ udptl: '127.0.0.1:1', 'local-port': '2', header: 'FLAG HEADER' }, sources({ FAXWIRE_IDENT: '+1 555 0007' })).terminal;
    assert.equal(t.ident, '+1 555 0007');
    assert.equal(t.headerLine, 'FLAG HEADER');
  });

  it('callSettings passes --local-address and --latch through to the UDPTL endpoint', () => {
    const ep = callSettings({ udptl: '192.0.2.10:40000', 'local-port': '40002', 'local-address': '127.0.0.1', latch: true }, sources()).endpoint;
    assert.deepEqual(ep, { kind: 'udptl', host: '192.0.2.10', port: 40000, localPort: 40002, localAddress: '127.0.0.1', latch: true });
    const strict = callSettings({ udptl: '192.0.2.10:40000', 'local-port': '40002' }, sources()).endpoint;
    assert.deepEqual(strict, { kind: 'udptl', host: '192.0.2.10', port: 40000, localPort: 40002 });
  });

  it('a bad identity is a UsageError naming where it came from', () => {
    const bad = (flags: Parameters<typeof configuredIdentity>[0], src: ConfigSources, from: RegExp): void =>
      assert.throws(() => configuredIdentity(flags, src), (e: unknown) => e instanceof UsageError && from.test(e.message) && !e.message.includes('\n'));
    bad({ ident: '+1 555 0100 0200 0300 0400' }, sources(), /^--ident: .* has 26 characters, T\.30 allows at most 20/);
    bad({}, sources({ FAXWIRE_IDENT: 'caf\u00e9' }), /^\$FAXWIRE_IDENT: the identity "café" must be printable ASCII/);
    const long = join(dir, 'long.json');
    writeFileSync(long, JSON.stringify({ ident: 'x'.repeat(21) }));
    bad({ config: long }, sources(), /^"ident" in .*long\.json: .* 21 characters/);
  });

  it('a config file that is named but missing, not JSON, not an object, or has a non-string value is a UsageError; a missing default file is not', () => {
    const cases: [string, string | undefined][] = [
      ['missing.json', undefined],
      ['broken.json', '{"ident": '],
      ['array.json', '["+1 555 0100"]'],
      ['number.json', '{"ident": 5551234}'],
    ];
    for (const [name, text] of cases) {
      const path = join(dir, name);
      if (text !== undefined) writeFileSync(path, text);
      assert.throws(() => configuredIdentity({ config: path }, sources()), UsageError, name);
      assert.throws(() => configuredIdentity({}, sources({ FAXWIRE_CONFIG: path })), UsageError, `$FAXWIRE_CONFIG ${name}`);
    }
    assert.deepEqual(configuredIdentity({}, sources({ XDG_CONFIG_HOME: join(dir, 'empty') })), {});
  });

  it('from the CLI, a bad identity or config file: one line, exit 2, before any call (send, receive, demo)', () => {
    const long = '+1 555 0100 0200 0300';
    for (const [args, env, what] of [
      [['send', 'x.pdf', '--udptl', '127.0.0.1:1', '--local-port', '2', '--ident', long], {}, /^faxwire send: --ident: /],
      [['receive', '--out', 'x.tif', '--listen-tcp', '0'], { FAXWIRE_IDENT: 'tab\there' }, /^faxwire receive: \$FAXWIRE_IDENT: .* printable ASCII/],
      [['demo', '--config', join(dir, 'missing.json')], {}, /^faxwire demo: cannot read the config file .*missing\.json \(ENOENT\)/],
      [['demo'], { FAXWIRE_CONFIG: join(dir, 'broken.json') }, /^faxwire demo: config file .*broken\.json: not JSON/],
    ] as const) {
      const r = runCli(args, { env, timeoutMs: 30_000 });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, what);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
  });

  it('end to end (faxwire demo): the configured identity is what the far end reports — option over environment over file', { timeout: 150_000 }, async () => {
    const file = join(dir, 'demo.json');
    writeFileSync(file, JSON.stringify({ ident: '+1 555 0010' }));
    const demo = (args: string[], env: Record<string, string>) =>
      startCli(['demo', '--out', join(dir, `demo-${args.length}-${Object.keys(env).length}.pdf`), '--loss', '0', '--speed', '10', '--json', ...args], { env, timeoutMs: 45_000 }).done;
    // One after the other at ×10: three real-time calls at once at ×20 missed their T.30
    // deadlines on a loaded 2-core machine (the test runner runs other files meanwhile).
    const runs = [
      await demo([], { FAXWIRE_CONFIG: file }),
      await demo([], { FAXWIRE_CONFIG: file, FAXWIRE_IDENT: '+1 555 0011' }),
      await demo(['--ident', '+1 555 0012'], { FAXWIRE_CONFIG: file, FAXWIRE_IDENT: '+1 555 0011' }),
    ];
    const seen = runs.map((r) => {
      assert.equal(r.code, 0, r.out + r.err);
      const j = JSON.parse(r.out.trim().split('\n').pop() ?? '{}') as { receiver: { remoteIdent: string }; sender: { remoteIdent: string } };
      assert.equal(j.sender.remoteIdent, 'FAXWIRE DEMO RX');
      return j.receiver.remoteIdent;
    });
    assert.deepEqual(seen, ['+1 555 0010', '+1 555 0011', '+1 555 0012']);
  });
});
