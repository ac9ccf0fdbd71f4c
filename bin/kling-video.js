#!/usr/bin/env node
// The `kling-video` bin.
//  - Installed (this file under a node_modules directory: a dependency, `npm i -g`, npx): the compiled CLI,
//    lib/cli/main.js, with plain node.
//  - In a checkout of this repository: the TypeScript source (src/cli/main.ts) through tsx, a devDependency, so a
//    lib/ left by an earlier build is never run stale; lib/cli/main.js when tsx is not installed.
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const compiled = new URL('../lib/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
const installed = fileURLToPath(import.meta.url)
  .split(sep)
  .includes('node_modules');

async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch {
    return false;
  }
}

if (!installed && existsSync(fileURLToPath(source)) && (await registerTsx())) {
  await import(source.href);
} else if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  process.stderr.write('kling-video: lib/cli/main.js is missing; build it with `npm run build` (or install tsx: `npm ci`)\n');
  process.exitCode = 1;
}
