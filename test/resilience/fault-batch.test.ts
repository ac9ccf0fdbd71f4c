// A batch of concurrent generations under a high rate of simulator faults on every route: all complete, none
// is duplicated, and truncated downloads are caught by the length/checksum checks and never stored.
import type { Storage } from '@google-cloud/storage';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo } from '../../src/workflows/index.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { expectExactlyOnce, objectsFor } from './helpers.js';
import { useGenerationStack } from '../support/suite.js';

const PROMPT = 'A red fox trots through fresh snow at dawn, tracking shot, soft morning light, cinematic, 35mm film look';
const BATCH = 14;
const VIDEO_BYTES = 64 * 1024;

let gcs: Storage;

// Concurrency slots are not the point here (1303 is injected): a roomy limit keeps retry backoffs short.
const suite = useGenerationStack({
  simulator: { schedule: { submittedMs: 100, processingMs: 1_000 }, videoSizeBytes: VIDEO_BYTES, concurrency: { limit: 50, bucket: 'model' } },
});
beforeAll(() => {
  gcs = gcsStorage();
});

describe('a batch of concurrent generations under a high fault rate', () => {
  it(`all ${BATCH} complete, one task and one correct object each; truncated downloads are never stored`, async () => {
    const { sim } = suite.stack;
    // The first downloads are cut short on purpose (half the body, one byte short, nothing at all).
    sim.faults.script([
      // The first creates each meet a different fault, whatever the random draws below do.
      { route: 'create', kind: 'http-5000' },
      { route: 'create', kind: 'http-5002', afterProcessing: true },
      { route: 'create', kind: 'rate-limit-1302' },
      { route: 'create', kind: 'concurrency-1303' },
      { route: 'create', kind: 'connection-reset' },
      { route: 'create', kind: 'accept-then-reset' },
      { route: 'create', kind: 'accept-then-delay', delayMs: 1_500 },
      { route: 'download', kind: 'truncated-body' },
      { route: 'download', kind: 'truncated-body', sendBytes: VIDEO_BYTES - 1 },
      { route: 'download', kind: 'truncated-body', sendBytes: 0 },
    ]);
    // …and every route fails at random from then on (seeded: the same draws each run).
    sim.faults.rate({
      route: 'create',
      probability: 0.3,
      seed: 11,
      faults: [
        { kind: 'http-5000' },
        { kind: 'http-5001', afterProcessing: true }, // the task was created, the answer says otherwise
        { kind: 'http-5002', afterProcessing: true },
        { kind: 'rate-limit-1302' },
        { kind: 'concurrency-1303' },
        { kind: 'connection-reset' },
        { kind: 'accept-then-reset' },
        { kind: 'accept-then-delay', delayMs: 1_500 },
      ],
    });
    sim.faults.rate({
      route: 'query',
      probability: 0.3,
      seed: 12,
      faults: [
        { kind: 'http-5001' },
        { kind: 'http-5000' },
        { kind: 'rate-limit-1302' },
        { kind: 'connection-reset' },
        { kind: 'slow-response', delayMs: 300 },
      ],
    });
    sim.faults.rate({
      route: 'download',
      probability: 0.3,
      seed: 13,
      faults: [
        { kind: 'truncated-body' },
        { kind: 'slow-body', chunkBytes: 8192, intervalMs: 20 },
        { kind: 'connection-reset' },
        { kind: 'http-5000' },
      ],
    });

    await suite.stack.run(async () => {
      const ids = Array.from({ length: BATCH }, () => uniqueId('batch'));
      const input = (i: number): GenerateVideoInput => ({
        // Both API standards: kling-2.6 on the new one, kling-v1-6 on the legacy one.
        request:
          i % 2 === 0
            ? { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }
            : { model: 'kling-v1-6', kind: 'text-to-video', prompt: PROMPT, standard: 'legacy' },
        // A failed transfer is retried after 0.5 s (doubling) rather than 5 s, to keep the batch short.
        options: {
          poll: { initialInterval: 300, backoffCoefficient: 1.5, maxInterval: 1_000 },
          activityTimeouts: { rehostRetryInitialInterval: 500 },
        },
      });
      const handles = await Promise.all(
        ids.map((workflowId, i) =>
          suite.env.client.workflow.start(generateVideo, { args: [input(i)], workflowId, taskQueue: suite.stack.taskQueue }),
        ),
      );
      const results = await Promise.all(handles.map((h) => h.result()));

      for (const [i, result] of results.entries()) await expectExactlyOnce(sim, gcs, suite.stack.bucket, ids[i]!, result);
      const [all] = await gcs.bucket(suite.stack.bucket).getFiles();
      expect(all).toHaveLength(BATCH);

      // The faults really happened, on every route.
      const fired = (route: string) => sim.requests.filter((r) => r.routeKind === route && r.fault !== null).map((r) => r.fault);
      expect(new Set(fired('create')).size, `create faults: ${fired('create').join(', ')}`).toBeGreaterThanOrEqual(7);
      expect(fired('query').length).toBeGreaterThan(0);
      const truncated = sim.requests.filter((r) => r.routeKind === 'download' && r.fault === 'truncated-body');
      expect(truncated.length).toBeGreaterThanOrEqual(3);

      // Each truncated download belonged to a workflow whose object nevertheless holds the full, right bytes
      // (checked above), and whose rehost activity failed on it first and was retried.
      for (const request of truncated) {
        const task = sim.tasks().find((t) => t.videoUrls.some((u) => new URL(u).pathname === request.path));
        expect(task, `task of ${request.path}`).toBeDefined();
        const index = results.findIndex((r) => r.klingTaskId === task!.id);
        expect(index).toBeGreaterThanOrEqual(0);
        const history = await handles[index]!.fetchHistory();
        const rehostScheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'rehostVideo');
        const started = history.events?.find(
          (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === rehostScheduled?.eventId?.toString(),
        )?.activityTaskStartedEventAttributes;
        expect(started?.attempt).toBeGreaterThan(1);
        expect(started?.lastFailure?.message).toBeTruthy();
        expect((await objectsFor(gcs, suite.stack.bucket, ids[index]!)).length).toBe(1);
      }
    });
  }, 150_000);
});
