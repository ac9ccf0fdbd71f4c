// Which Node.js runs the test files (vitest forks use the Node that started vitest).
// KT_EXPECT_NODE_MAJOR=24 makes this a hard check (used by .ci/run for its Node 24 pass).
import { describe, expect, it } from 'vitest';

describe('node runtime', () => {
  it(`test files run on node ${process.version}`, () => {
    console.log(`[node-runtime] test fork: node ${process.version} at ${process.execPath}`);
    const major = Number(process.versions.node.split('.')[0]);
    const expected = process.env.KT_EXPECT_NODE_MAJOR;
    if (expected) expect(major).toBe(Number(expected));
    expect(major).toBeGreaterThanOrEqual(20);
  });
});
