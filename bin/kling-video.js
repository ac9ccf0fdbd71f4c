#!/usr/bin/env node
// The `kling-video` bin: runs the compiled CLI (lib/src/cli/main.js, after `npm run build`) when present,
// else the TypeScript source through tsx (a devDependency, installed by `npm ci`).
import { existsSync } from 'node:fs';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../lib/src/cli/main.js', import.meta.url));
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
