// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.aos/**', 'coverage/**', 'test/fixtures/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
    },
  },
  {
    // The kernel is host-independent: no Azure SDKs, no Functions libraries, no host.
    files: ['src/kernel/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/*', 'durable-functions', 'durable-functions/*'],
              message:
                'src/kernel must stay free of Azure and Functions libraries; add a port and an adapter.',
            },
            {
              group: ['**/host/**', '**/functions/**', '**/adapters/**', '**/composition/**'],
              message: 'src/kernel must not depend on outer layers.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only src/functions may touch the Functions programming model.
    files: ['src/**/*.ts'],
    ignores: ['src/functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@azure/functions', message: 'Only src/functions/** imports @azure/functions.' },
            { name: 'durable-functions', message: 'Only src/functions/** imports durable-functions.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'vitest.config.mts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
