// Lint rules: type-aware checks everywhere, the layer order of src/ (README, "Architecture"), no import
// cycle between its folders, and purity for code that must not do I/O even through another module.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layersPlugin from './lint/layers-plugin.js';

const ioModules = [
  'node:child_process',
  'node:dgram',
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:module',
  'child_process',
  'dgram',
  'fs',
  'fs/promises',
  'net',
  'module',
];

/** Top-level folders of src/, lowest layer first; a folder imports only folders of lower layers. */
export const layerOrder = [
  ['errors'],
  ['api', 'exec', 'state'],
  ['host'],
  ['cni', 'cri', 'dhcp'],
  ['bindings'],
  ['apply'],
  ['hypervisor'],
  ['launcher', 'kube'],
  ['agent'],
  ['cli'],
];

/** Pure code: the API, the binding planners, codecs and configuration builders take data and return data. */
export const pureFiles = [
  'src/api/**/*.ts',
  'src/bindings/**/*.ts',
  'src/dhcp/codec/**/*.ts',
  'src/hypervisor/domain-xml*.ts',
  'src/hypervisor/qemu-args*.ts',
  'src/hypervisor/xml-element.ts',
  'src/host/nft-json.ts',
  'src/host/resolv-conf.ts',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-check/**',
      'node_modules/**',
      '.cache/**',
      'eslint.config.js',
      'lint/**/*.js',
      'test/lint/fixtures/**',
      'scripts/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    // One module runs external programs; nothing else spawns.
    files: ['src/**/*.ts'],
    ignores: ['src/exec/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:child_process', message: 'spawn through src/exec only' },
            { name: 'child_process', message: 'spawn through src/exec only' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { virtnet: layersPlugin },
    rules: {
      'virtnet/layers': ['error', { srcDir: 'src', order: layerOrder }],
      'virtnet/no-folder-cycle': ['error', { srcDir: 'src' }],
    },
  },
  {
    files: pureFiles,
    ignores: ['**/*.test.ts'],
    plugins: { virtnet: layersPlugin },
    rules: { 'virtnet/pure': ['error', { ioModules }] },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
