import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createStorageFromConfig } from '../../src/storage/index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('createStorageFromConfig', () => {
  it('chooses GCS when a bucket is configured', () => {
    const storage = createStorageFromConfig({ bucket: 'videos-prod', prefix: 'kling' }, { storage: new Storage({ projectId: 'p' }) });
    expect(storage.location).toBe('gs://videos-prod/kling');
  });

  it('defaults GCS to signed URLs', async () => {
    const signer = vi.fn(async () => 'https://signed.example/x');
    const storage = createStorageFromConfig({ bucket: 'videos-prod' }, { storage: new Storage({ projectId: 'p' }), signer });
    expect(await storage.url('a.mp4')).toBe('https://signed.example/x');
  });

  it('chooses the local backend when no bucket (or an empty one) is configured', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'kt-storage-config-'));
    dirs.push(root);
    expect(createStorageFromConfig({ localRoot: root }).location).toBe(pathToFileURL(root).href);
    expect(createStorageFromConfig({ bucket: '', apiEndpoint: '', localRoot: root }).location).toBe(pathToFileURL(root).href);
  });

  it('rejects invalid configuration', () => {
    expect(() => createStorageFromConfig({ bucket: 'UPPER' })).toThrow();
    expect(() => createStorageFromConfig({ bucket: 'ok-bucket', signedUrlTtlSeconds: 0 })).toThrow();
    expect(() => createStorageFromConfig({ localRoot: '' })).toThrow();
  });
});
