// Lint rules, including the layering rules of docs/architecture.md written as import restrictions,
// so a wrong import fails CI instead of a review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbid = (patterns, message) => ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'dist-electron/**', 'release/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts (build and CI helpers).
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['engine/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['engine/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['**/core/**', '**/host/**', '**/server/**', '**/cli/**', '**/renderer/**', '**/electron/**', 'electron'],
        'The sandbox imports nothing else of the project (docs/architecture.md).',
      ),
    },
  },
  {
    files: ['engine/server/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['**/core/**', '**/sandbox/**', '**/cli/**', '**/renderer/**', '**/electron/**', 'electron', 'react'],
        'The headless server reaches the engine only through engine/host and engine/protocol.ts (docs/architecture.md).',
      ),
    },
  },
  {
    files: ['engine/core/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['**/sandbox/**', '**/server/**', '**/cli/**', '**/renderer/**', '**/electron/**', 'electron', 'react'],
        'The engine core never imports electron, react, server, cli or sandbox (docs/architecture.md).',
      ),
    },
  },
);
