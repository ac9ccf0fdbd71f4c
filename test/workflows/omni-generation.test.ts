import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo } from '../../src/workflows/index.js';
import { captureHistory } from '../support/histories.js';
import { uniqueId } from '../support/servers.js';
import { creates, FAST_POLL, useGenerationStack } from '../support/suite.js';

// Issue 20: an omni-video generation end to end (dev server, simulator, fake-gcs), with the request unchanged through
// generateVideo: the workflow takes the new kind as it takes the others.

const suite = useGenerationStack();

const start = (input: GenerateVideoInput) =>
  suite.env.client.workflow.start(generateVideo, { args: [input], workflowId: uniqueId('omni'), taskQueue: suite.stack.taskQueue });

describe('generateVideo: omni-video', () => {
  it('kling-3.0-omni with a reference image and a feature video: submits once on /omni-video, stores the bytes, bills at the video-input rate', async () => {
    await suite.stack.run(async () => {
      const request = {
        model: 'kling-3.0-omni',
        kind: 'omni-video',
        prompt: 'The fox from @image_1 moves like the dancer in @video_1, cinematic dusk light',
        referImages: [{ url: 'https://cdn.example.com/fox.png' }],
        featureVideo: { url: 'https://cdn.example.com/dance.mp4' },
        duration: 5,
        resolution: '1080p',
      } as const;
      const before = suite.stack.sim.requests.length;
      const handle = await start({ request, options: { poll: FAST_POLL } });
      const result = await handle.result();
      await captureHistory(handle, 'omni-succeeded');
      const made = creates(suite.stack.sim, { since: before });
      expect(made.map((r) => r.path)).toEqual(['/omni-video/kling-3.0-omni']);
      expect(made[0]?.body).toMatchObject({
        contents: [{ type: 'prompt' }, { type: 'refer_image', id: 'image_1' }, { type: 'feature_video', id: 'video_1' }],
        settings: { resolution: '1080p', duration: 5, audio: 'off', multi_shot: false },
      });
      // §7.1: Kling 3.0 Omni with video input, 1080p: 1.2 units/s × 5 s = 6 units = 60 credits.
      expect(result).toMatchObject({ model: 'kling-3.0-omni', standard: 'new', submissions: 1, credits: { estimated: 60, actual: 60 } });
      const chunks: Buffer[] = [];
      for await (const chunk of suite.stack.storage.read(result.objectName) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(suite.stack.sim.videoSha256(result.klingTaskId));
    });
  });

  it("motion control on kling-2.6: the estimate assumes the 10 s maximum, the actual cost is Kling's deduction on the output", async () => {
    await suite.stack.run(async () => {
      const request = {
        model: 'kling-2.6',
        kind: 'motion-control',
        image: 'https://cdn.example.com/dancer.png',
        motionVideo: 'https://cdn.example.com/moves.mp4',
        characterOrientation: 'image',
      } as const;
      const before = suite.stack.sim.requests.length;
      const handle = await start({ request, options: { poll: FAST_POLL } });
      const result = await handle.result();
      await captureHistory(handle, 'motion-control-succeeded');
      const made = creates(suite.stack.sim, { since: before });
      expect(made.map((r) => r.path)).toEqual(['/motion-control/kling-2.6']);
      // §7.1 Kling 2.6 Motion Control 720p: 0.5 units/s. Estimate 10 s assumed = 5 units; simulated output 5 s = 2.5 units.
      expect(result).toMatchObject({ model: 'kling-2.6', standard: 'new', submissions: 1, credits: { estimated: 50, actual: 25 } });
    });
  });
});
