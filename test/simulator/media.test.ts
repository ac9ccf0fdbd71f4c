import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { api, newT2V, useSimulator } from './helpers.js';

const DAY = 24 * 60 * 60 * 1000;
const env = useSimulator({ videoSizeBytes: 10_000 });

/** Creates a task, lets it succeed and returns its id and video URL. */
async function finishedVideo(target: Simulator = env.sim): Promise<{ id: string; url: string }> {
  const id = (await api(target).post('/text-to-video/kling-2.6', newT2V())).json.data.id as string;
  env.clock.advance(1_000);
  const url = (await api(target).get(`/tasks?task_ids=${id}`)).json.data[0].outputs[0].url as string;
  return { id, url };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('result media (REF §6.2)', () => {
  it('serves real MP4 bytes with type and length, equal to env.sim.videoBytes()', async () => {
    const { id, url } = await finishedVideo();
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('content-length')).toBe('10000');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(10_000);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(bytes.subarray(8, 12).toString('latin1')).toBe('isom');
    expect(bytes.readUInt32BE(0)).toBe(32);
    // free box, then an mdat box running to the end of the file
    const freeSize = bytes.readUInt32BE(32);
    expect(bytes.subarray(36, 40).toString('latin1')).toBe('free');
    expect(bytes.subarray(32 + freeSize + 4, 32 + freeSize + 8).toString('latin1')).toBe('mdat');
    expect(32 + freeSize + bytes.readUInt32BE(32 + freeSize)).toBe(10_000);
    expect(bytes.equals(env.sim.videoBytes(id))).toBe(true);
    expect(sha256(bytes)).toBe(env.sim.videoSha256(id));
  });

  it('bytes are deterministic per task and differ between tasks', async () => {
    const a = await finishedVideo();
    const b = await finishedVideo();
    const first = Buffer.from(await (await fetch(a.url)).arrayBuffer());
    const again = Buffer.from(await (await fetch(a.url)).arrayBuffer());
    expect(first.equals(again)).toBe(true);
    expect(env.sim.videoSha256(a.id)).not.toBe(env.sim.videoSha256(b.id));
    // Another simulator serves the same bytes for the same task id.
    const other = await startSimulator({ videoSizeBytes: 10_000 });
    try {
      expect(other.videoSha256(a.id)).toBe(env.sim.videoSha256(a.id));
    } finally {
      await other.close();
    }
  });

  it('supports single byte ranges (206) and HEAD', async () => {
    const { id, url } = await finishedVideo();
    const full = env.sim.videoBytes(id);
    const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(part.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(100, 200))).toBe(true);

    const open = await fetch(url, { headers: { range: 'bytes=9990-' } });
    expect(open.headers.get('content-range')).toBe('bytes 9990-9999/10000');
    expect(Buffer.from(await open.arrayBuffer()).equals(full.subarray(9990))).toBe(true);

    const suffix = await fetch(url, { headers: { range: 'bytes=-16' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(full.subarray(-16))).toBe(true);

    const beyond = await fetch(url, { headers: { range: 'bytes=20000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10000');

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10000');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expect(env.sim.requests.at(-1)).toMatchObject({ method: 'HEAD', routeKind: 'download', status: 200, code: null });
  });

  it('URLs stay valid for the TTL (30 days by default) after the task finished, then answer 403', async () => {
    const { url } = await finishedVideo();
    env.clock.advance(30 * DAY - 2_000);
    expect((await fetch(url)).status).toBe(200);
    env.clock.advance(2_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    await expired.arrayBuffer();
  });

  it('the TTL and the expired status are configurable', async () => {
    const short = await startSimulator({ now: env.clock.now, videoUrlTtlMs: 60_000, expiredVideoStatus: 404 });
    try {
      const { url } = await finishedVideo(short);
      expect((await fetch(url)).status).toBe(200);
      env.clock.advance(60_000);
      expect((await fetch(url)).status).toBe(404);
    } finally {
      await short.close();
    }
  });

  it('publicUrl: result URLs name the public base (a container listening on 0.0.0.0), served by the same server', async () => {
    const listening = await startSimulator({ now: env.clock.now, host: '0.0.0.0' });
    const announced = await startSimulator({ now: env.clock.now, host: '0.0.0.0', publicUrl: 'http://kling-simulator:8787/' });
    try {
      expect(new URL((await finishedVideo(listening)).url).host).toBe(`0.0.0.0:${new URL(listening.url).port}`);
      const { url } = await finishedVideo(announced);
      expect(url).toMatch(/^http:\/\/kling-simulator:8787\/cdn\/[0-9a-f]+\.mp4$/);
      expect((await fetch(`http://127.0.0.1:${new URL(announced.url).port}${new URL(url).pathname}`)).status).toBe(200);
    } finally {
      await listening.close();
      await announced.close();
    }
  });

  it('unknown media tokens → 404', async () => {
    expect((await fetch(`${env.sim.url}/cdn/00112233445566778899aabbccddeeff.mp4`)).status).toBe(404);
  });
});
