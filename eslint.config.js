import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', '.tools/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no activity implementations
    // (activities are imported as types only), nothing of the rooms that do I/O.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules.filter((m) => m !== 'assert'), ...builtinModules.map((m) => `node:${m}`)],
          patterns: [
            { group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', 'undici'], message: 'Not allowed in workflow code.' },
            { group: ['../activities/*'], allowTypeImports: true, message: 'Workflows import activities as types only (import type).' },
            {
              group: ['../cli/*', '../callbacks/*', '../storage/*', '../simulator/*', '../client.js', '../worker.js'],
              message: 'Workflows depend on src/contract only (docs/architecture.md).',
            },
          ],
        },
      ],
      // The worker preloads the workflow modules once per V8 context (workflowBundleOptions in src/worker.ts): what a
      // module keeps at module level is shared by every workflow in the cache, so it must hold no state.
      'no-restricted-syntax': ['error', ...moduleStateRules('workflow modules are preloaded once and shared by every workflow')],
    },
  },
  {
    // The contract modules the workflows import are preloaded with them.
    files: ['src/contract/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...moduleStateRules('contract modules are preloaded with the workflows')] },
  },
  // The rooms of docs/architecture.md: who may import whom. src/contract is what every room shares and imports
  // no room but the Kling request model; activities never import workflow code; the Kling wire format and the
  // simulator stand alone.
  ...rooms({
    'src/contract/**/*.ts': [
      '../activities/*',
      '../workflows/*',
      '../cli/*',
      '../callbacks/*',
      '../storage/*',
      '../metrics/*',
      '../logging/*',
      '../simulator/*',
      '../client.js',
      '../worker.js',
      '../idempotency.js',
    ],
    'src/activities/**/*.ts': ['../workflows/*', '../cli/*', '../client.js', '../worker.js'],
    'src/callbacks/**/*.ts': ['../workflows/*', '../activities/*', '../cli/*'],
    'src/storage/**/*.ts': ['../workflows/*', '../activities/*', '../cli/*', '../callbacks/*', '../contract/*'],
    // Download safety takes only the private-address rule from the Kling room.
    'src/download/**/*.ts': ['../workflows/*', '../activities/*', '../cli/*', '../callbacks/*', '../contract/*', '../storage/*'],
    'src/kling/**/*.ts': ['../*'],
    'src/tracing/**/*.ts': ['../*'],
    'src/simulator/**/*.ts': ['../*'],
  }),
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);

/** One flat-config block per room: `group` patterns its files must not import (relative specifiers). */
function rooms(forbidden) {
  return Object.entries(forbidden).map(([files, group]) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message: 'Crosses a room boundary (docs/architecture.md, "Rooms").' }] }] },
  }));
}

/**
 * Module-level state in workflow code: `let`/`var` at module level, Maps and WeakMaps/WeakSets created there, and
 * static class fields that are not readonly. Keep such state in the workflow function or in an instance.
 */
function moduleStateRules(why) {
  const message = `No module-level state here: ${why} (docs/architecture.md, "Preloaded workflow modules").`;
  return [
    { selector: "Program > VariableDeclaration[kind!='const']", message },
    { selector: "Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']", message },
    { selector: 'Program > VariableDeclaration > VariableDeclarator > NewExpression.init[callee.name=/^(Map|WeakMap|WeakSet)$/]', message },
    {
      selector:
        'Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > NewExpression.init[callee.name=/^(Map|WeakMap|WeakSet)$/]',
      message,
    },
    { selector: 'PropertyDefinition[static=true][readonly!=true]', message },
  ];
}
