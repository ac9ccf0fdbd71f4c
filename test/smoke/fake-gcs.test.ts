// Smoke test: fake-gcs-server started by the global setup is a working GCS emulator for
// @google-cloud/storage — resumable and non-resumable uploads, downloads, md5 metadata.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcsStorage, testServers, uniqueBucketName } from '../support/servers.js';

const MiB = 1024 * 1024;
const md5Base64 = (data: Buffer): string => createHash('md5').update(data).digest('base64');

/** Streams `data` in 64 KiB pieces, like a download being rehosted. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let off = 0; off < data.length; off += 64 * 1024) yield data.subarray(off, off + 64 * 1024);
    })(),
  );
}

describe('fake-gcs-server', () => {
  let bucket: Bucket;

  beforeAll(async () => {
    [bucket] = await gcsStorage().createBucket(uniqueBucketName('smoke'));
  });

  afterAll(async () => {
    await bucket?.deleteFiles({ force: true });
    await bucket?.delete();
  });

  it.each([
    { mode: 'resumable (multi-chunk)', resumable: true, size: 5 * MiB + 123, chunkSize: 2 * MiB },
    { mode: 'resumable (single request)', resumable: true, size: 3 * MiB + 7, chunkSize: undefined },
    { mode: 'non-resumable', resumable: false, size: 4 * MiB + 1, chunkSize: undefined },
  ])('round-trips a $size-byte $mode upload with a matching md5Hash', async ({ resumable, size, chunkSize }) => {
    const data = randomBytes(size);
    const file = bucket.file(`videos/${resumable ? 'r' : 'n'}-${size}.mp4`);
    await pipeline(
      chunked(data),
      file.createWriteStream({ resumable, ...(chunkSize ? { chunkSize } : {}), contentType: 'video/mp4', metadata: { cacheControl: 'no-store' } }),
    );

    const [downloaded] = await file.download();
    expect(downloaded.length).toBe(size);
    expect(downloaded.equals(data)).toBe(true);

    const [metadata] = await file.getMetadata();
    expect(Number(metadata.size)).toBe(size);
    expect(metadata.md5Hash).toBe(md5Base64(data));
    expect(metadata.cacheControl).toBe('no-store');
    // fake-gcs-server ignores X-Upload-Content-Type (where the library puts contentType for resumable
    // uploads) and stores application/octet-stream; real GCS keeps it. Only non-resumable is checked.
    if (!resumable) expect(metadata.contentType).toBe('video/mp4');
  });

  it('serves the objects from the emulator itself (raw JSON API)', async () => {
    const res = await fetch(`${testServers().fakeGcsUrl}/storage/v1/b/${bucket.name}/o`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items?: { name: string; size: string }[] };
    expect((body.items ?? []).map((o) => o.name).sort()).toEqual(['videos/n-4194305.mp4', 'videos/r-3145735.mp4', 'videos/r-5243003.mp4'].sort());
  });
});
