import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateVideo } from '../../src/workflows/index.js';
import { uniqueId } from '../support/servers.js';
import { creates, FAST_POLL, useGenerationStack } from '../support/suite.js';

// KLING_LEGACY_PRODUCTS on (the worker's client: `legacyProducts`): a generation of each product end to end on the
// legacy standard (dev server, the Kling simulator's /v1/videos/omni-video and /v1/videos/motion-control,
// fake-gcs-server). Adopting such tasks: new-kinds-batch-adopt.test.ts.
const IMG = 'https://cdn.example.com/fox.png';
const VID = 'https://cdn.example.com/moves.mp4';

const suite = useGenerationStack({
  simulator: { schedule: { submittedMs: 200, processingMs: 600 }, videoSizeBytes: 2048 },
  kling: { legacyProducts: ['omni-video', 'motion-control'] },
});

async function storedSha256(objectName: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of suite.stack.storage.read(objectName) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
}

describe('generateVideo on the legacy standard (KLING_LEGACY_PRODUCTS)', () => {
  it.each([
    [
      'omni-video (kling-v3-omni)',
      {
        model: 'kling-3.0-omni',
        kind: 'omni-video',
        standard: 'legacy',
        prompt: 'The fox from @image_1 in snow',
        referImages: [{ url: IMG }],
        duration: 5,
      },
      '/v1/videos/omni-video',
      { model_name: 'kling-v3-omni', prompt: 'The fox from <<<image_1>>> in snow', mode: 'std', duration: '5', image_list: [{ image_url: IMG }] },
      // §7.1 Kling 3.0 Omni, no video input, silent, 720p: 0.6 units/s × 5 s = 3 units = 30 credits.
      30,
      30,
    ],
    [
      'motion-control (kling-2.6)',
      {
        model: 'kling-2.6',
        kind: 'motion-control',
        standard: 'legacy',
        image: IMG,
        motionVideo: VID,
        characterOrientation: 'image',
        resolution: '1080p',
      },
      '/v1/videos/motion-control',
      { model_name: 'kling-v2-6', image_url: IMG, video_url: VID, character_orientation: 'image', mode: 'pro', keep_original_sound: 'yes' },
      // §7.1 Kling 2.6 motion control 1080p: 0.8 units/s × 10 s assumed (no duration, orientation image) = 80 credits;
      // Kling bills the (simulated) 5 s output: 4 units = 40 credits.
      80,
      40,
    ],
  ] as const)(
    '%s: created on the legacy path with its legacy body, polled there, stored, billed',
    async (_name, request, path, body, estimated, actual) => {
      await suite.stack.run(async () => {
        const handle = await suite.env.client.workflow.start(generateVideo, {
          args: [{ request, options: { poll: FAST_POLL } }],
          workflowId: uniqueId('legacy-product'),
          taskQueue: suite.stack.taskQueue,
        });
        const result = await handle.result();
        const [create] = creates(suite.stack.sim, { workflowId: handle.workflowId });
        expect(create?.path).toBe(path);
        expect(create?.body).toMatchObject(body);
        expect(result).toMatchObject({ standard: 'legacy', submissions: 1 });
        expect(result.credits).toMatchObject({ estimated, actual });
        expect(await storedSha256(result.objectName)).toBe(suite.stack.sim.videoSha256(result.klingTaskId));
        // Polled on its own legacy family.
        const polls = suite.stack.sim.requests.filter((r) => r.method === 'GET' && r.path === `${path}/${result.klingTaskId}`);
        expect(polls.length).toBeGreaterThan(0);
      });
    },
  );
});
