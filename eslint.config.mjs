import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'vscode is only for src/extension.ts, src/host and src/views.' }] }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.e2e/**', 'test/fixtures/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  // The probe runs inside the user's program, the webview in a browser, shared everywhere, the CLI headless:
  // none of them may touch the VS Code API.
  { files: ['src/probe/**', 'src/shared/**', 'src/core/**', 'src/cli/**', 'webview/**'], rules: noVscode },
);
