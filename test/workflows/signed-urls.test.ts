// Signed URLs expire, so none enters a workflow history: with GCS_URL_MODE=signed the result keeps the gs://
// location only, and a fresh URL comes from VideoGenerationClient.signedUrl (issue 15, item 5).
import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoGenerationClient, type GenerationRequest } from '../../src/client.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { FAST_POLL, useGenerationStack } from '../support/suite.js';

const T2V: GenerationRequest = {
  model: 'kling-2.6',
  kind: 'text-to-video',
  prompt: 'A paper boat drifts down a rain-filled gutter, low angle, soft evening light',
  duration: 5,
};
const POLL = { ...FAST_POLL, maxInterval: 500 };

let videos: VideoGenerationClient;
// A service-account key: the Storage client signs locally with it; fake-gcs-server does not check signatures.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = gcsStorage({
  credentials: {
    client_email: 'videos@test-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  },
});

const suite = useGenerationStack({ urls: { mode: 'signed', gcs: signer } });
beforeAll(() => {
  videos = new VideoGenerationClient(suite.env.client, { taskQueue: suite.stack.taskQueue });
});

describe('signed URLs are made on request, never stored', () => {
  it('the result keeps gs:// only, no signature is in the history, and signedUrl() gives a URL that serves the bytes', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('signed');
      const result = await videos.generate(T2V, { workflowId, options: { poll: POLL } });
      expect(result.uri).toMatch(new RegExp(`^gs://${suite.stack.bucket}/videos/`));
      expect(result.url).toBeUndefined();
      const history = JSON.stringify(await suite.env.client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).not.toMatch(/X-Goog-Signature/i);
      expect(JSON.stringify((await suite.env.client.workflow.getHandle(workflowId).describe()).memo ?? {})).not.toMatch(/X-Goog-Signature/i);

      const url = new URL(await videos.signedUrl(result, { expiresIn: '15 minutes', storage: signer }));
      expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
      expect(Number(url.searchParams.get('X-Goog-Expires'))).toBe(900);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.length).toBe(result.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(suite.stack.sim.videoSha256(result.klingTaskId));
    });
  });

  it('refuses an expiry beyond 7 days and a location that is not gs:// or file:, naming the field', async () => {
    await expect(videos.signedUrl({ uri: 'gs://b/o.mp4' }, { expiresIn: '8 days', storage: signer })).rejects.toThrow(/^expiresIn: .*7 days/);
    await expect(videos.signedUrl({ uri: 'https://example.com/o.mp4' }, { storage: signer })).rejects.toThrow(/^uri: /);
    expect(await videos.signedUrl({ uri: 'file:///var/videos/a.mp4' })).toBe('file:///var/videos/a.mp4');
  });
});
