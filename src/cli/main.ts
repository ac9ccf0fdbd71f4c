#!/usr/bin/env node
// `kling-video` entry point (package.json bin → bin/kling-video.js, or `tsx src/cli/main.ts`).
import { describeDotEnv, loadDotEnv } from '../dotenv.js';
import { runCli } from './program.js';

// `kling-video list | head`: a closed pipe ends the output quietly.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

let code: number;
try {
  const loaded = describeDotEnv(loadDotEnv());
  if (loaded) process.stderr.write(`kling-video: ${loaded}\n`);
  code = await runCli(process.argv.slice(2));
} catch (err) {
  // Only loadDotEnv throws here (runCli reports its own errors): a configuration error, exit 2.
  process.stderr.write(`kling-video: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 2;
}
// Flush stdout/stderr, then exit: the Temporal native runtime must not keep a finished CLI alive.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
