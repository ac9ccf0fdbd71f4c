import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './support/binaries.js';

const run = promisify(execFile);

// The README's runnable examples stay runnable.
describe('examples', () => {
  it('examples/client-quickstart.ts drives the simulator through the client end to end', async () => {
    const { stdout } = await run(path.join(projectRoot, 'node_modules/.bin/tsx'), ['examples/client-quickstart.ts'], { cwd: projectRoot, timeout: 60_000 });
    expect(stdout).toMatch(/^estimate: 50 credits \(5 units, audio ×2, official\)$/m);
    expect(stdout).toMatch(/"duration":5/);
    expect(stdout).toMatch(/^created task \d{18,19} on the new standard$/m);
    expect(stdout).toMatch(/^succeeded: 65536 bytes, .* charged 5 units$/m);
  });
});
