// Type-aware lint (DESIGN.md habit 7): floating promises, exhaustive switches, no `any`;
// and the layer rule (DESIGN.md "Layers"): a folder of src/ imports only the folders below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each folder of src/ may import (besides itself and npm packages). Imports point down
 * only; a folder not listed here imports nothing of the house until it is listed. Keep this
 * table and the drawing in ../shared/DESIGN.md saying the same thing.
 */
const LAYERS = {
  util: [],
  dsp: ['util'],
  g711: ['util'],
  modem: ['dsp', 'g711', 'util'],
  hdlc: ['util'],
  t4: ['util'],
  image: ['t4', 'util'],
  rtp: ['util'],
  capture: ['util'],
  t30: ['modem', 'hdlc', 't4', 'util'],
  t38: ['modem', 'hdlc', 'rtp', 'util'],
  fax: ['t30', 't38', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 'dsp', 'g711', 'util'],
  analyze: ['fax', 't30', 't38', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 'dsp', 'g711', 'util'],
  node: ['sip', 'fax', 't30', 't38', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 'dsp', 'g711', 'util'],
  sip: ['fax', 't30', 't38', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 'dsp', 'g711', 'util'],
  server: ['sip', 'node', 'analyze', 'fax', 't30', 't38', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 'dsp', 'g711', 'util'],
  cli: ['server', 'sip', 'node', 'analyze', 'fax', 't30', 't38', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 'dsp', 'g711', 'util'],
};

/** Below node/ everything is sans-IO (DESIGN.md): no sockets, files, timers or child processes. */
const SANS_IO = ['util', 'dsp', 'g711', 'modem', 'hdlc', 't4', 'image', 'rtp', 'capture', 't30', 't38', 'fax', 'analyze', 'sip'];
const IO_MODULES = ['dgram', 'net', 'tls', 'fs', 'fs/promises', 'timers', 'timers/promises', 'child_process', 'worker_threads', 'http', 'https'];

const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => {
  const forbidden = Object.keys(LAYERS).filter((f) => f !== folder && !allowed.includes(f));
  /** @type {{ regex: string, message: string }[]} */
  const patterns = [
    {
      // A relative import that climbs out of src/<folder>/ into a folder it may not use.
      regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
      message: `src/${folder}/ may import only ${allowed.length ? allowed.join(', ') : 'nothing of src/'}: imports point down (DESIGN.md "Layers").`,
    },
  ];
  if (SANS_IO.includes(folder)) {
    patterns.push({
      regex: `^(node:)?(${IO_MODULES.map((m) => m.replace('/', '\\/')).join('|')})$`,
      message: `src/${folder}/ is sans-IO (DESIGN.md): sockets, files and timers belong in src/node/.`,
    });
  }
  return { files: [`src/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
);
