import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'vscode is only for src/extension.ts, src/host and src/views.' }] }],
};

// The build, test and bench scripts run on Node as plain ES modules (no `globals` package: the few Node globals they use).
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'performance', 'fetch', 'AbortController', 'structuredClone', 'queueMicrotask',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.e2e/**', 'test/fixtures/**', 'test/apps/fixtures/**', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  { files: ['**/*.mjs'], languageOptions: { globals: nodeGlobals } },
  // Its page.evaluate callbacks run in the browser.
  {
    files: ['bench/webview.bench.mjs'],
    languageOptions: {
      globals: Object.fromEntries(['window', 'document', 'MouseEvent', 'WheelEvent', 'MutationObserver', 'MessageChannel', 'requestAnimationFrame'].map((g) => [g, 'readonly'])),
    },
  },
  // The probe runs inside the user's program, the webview in a browser, shared everywhere, the CLI headless:
  // none of them may touch the VS Code API.
  { files: ['src/probe/**', 'src/shared/**', 'src/core/**', 'src/cli/**', 'webview/**'], rules: noVscode },
);
