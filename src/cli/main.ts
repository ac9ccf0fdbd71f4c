#!/usr/bin/env node
// `kling-video` entry point (package.json bin → bin/kling-video.js, or `tsx src/cli/main.ts`).
import { runCli } from './program.js';

// `kling-video list | head`: a closed pipe ends the output quietly.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

const code = await runCli(process.argv.slice(2));
// Flush stdout/stderr, then exit: the Temporal native runtime must not keep a finished CLI alive.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
