import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot, tsNodeArgs, TS_NODE } from './support/binaries.js';
import { testServers } from './support/servers.js';

const run = promisify(execFile);

// The README's runnable examples stay runnable.
describe('examples', () => {
  it('examples/client-quickstart.ts drives the simulator through the client end to end', async () => {
    const { stdout } = await run(TS_NODE, tsNodeArgs('examples/client-quickstart.ts'), {
      cwd: projectRoot,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^estimate: 50 credits \(5 units, audio ×2, official\)$/m);
    expect(stdout).toMatch(/"duration":5/);
    expect(stdout).toMatch(/^created task \d{18,19} on the new standard$/m);
    expect(stdout).toMatch(/^succeeded: 65536 bytes, .* charged 5 units$/m);
  });

  it('examples/callbacks-batch-adopt.ts: a callback-woken generation, a batch looked up together, an adoption', async () => {
    const { temporalAddress, temporalNamespace } = testServers();
    const { stdout } = await run(TS_NODE, tsNodeArgs('examples/callbacks-batch-adopt.ts'), {
      cwd: projectRoot,
      timeout: 90_000,
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: temporalNamespace },
    });
    // Woken by the `succeeded` callback, not by the 30-second fallback poll: one confirming query.
    expect(stdout).toMatch(
      /^callback: stored file:\/\/\S+ in ([0-9]|1[0-9])\.\d s after callbacks, status queries: 1 \(one per callback announcing an end\); receiver \{"signalled":[12],/m,
    );
    expect(stdout).toMatch(/^batch: 3 succeeded, 0 failed, 0 skipped; [1-9]\d* credits$/m);
    expect(stdout.match(/^ {2}#\d succeeded file:\/\/\S+$/gm)).toHaveLength(3);
    expect(stdout).toMatch(/^adopt: task \d{18,19} stored file:\/\/\S+; submissions 0, [1-9]\d* credits$/m);
  });
});
