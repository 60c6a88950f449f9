// Lint rules: type-aware checks everywhere, and purity boundaries for code that must not do I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['node:child_process', 'node:dgram', 'node:fs', 'node:fs/promises', 'node:net', 'child_process', 'dgram', 'fs', 'fs/promises', 'net'];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**', '.cache/**', 'eslint.config.js', 'scripts/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // One module runs external programs; nothing else spawns.
    files: ['src/**/*.ts'],
    ignores: ['src/exec/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'node:child_process', message: 'spawn through src/exec only' }, { name: 'child_process', message: 'spawn through src/exec only' }] }],
    },
  },
  {
    // Pure code: the API, planners, codecs and configuration builders take data and return data.
    files: ['src/api/**/*.ts', 'src/**/plan*.ts', 'src/**/*-planner.ts', 'src/dhcp/codec/**/*.ts', 'src/hypervisor/domain-xml*.ts', 'src/hypervisor/qemu-args*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules.map((name) => ({ name, message: 'pure module: no I/O imports (see STYLE: plan as data)' })) }],
    },
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
