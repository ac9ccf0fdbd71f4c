// GCS backend against the real fake-gcs-server started by the shared global setup.
import { createHash, createVerify, generateKeyPairSync } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ChecksumMismatchError,
  createGcsStorage,
  StorageBucketNotFoundError,
  type GcsStorageOptions,
  type UrlSigner,
} from '../../src/storage/index.js';
import { gcsStorage, testServers, uniqueBucketName } from '../support/servers.js';
import { MiB, byteSource, digestOf } from './byte-source.js';
import { defineVideoStorageContract } from './contract.js';
import { startCorruptingProxy, type CorruptingProxy } from './corrupting-proxy.js';

const PREFIX = 'kling/videos';
const OPTIONS = { contentType: 'video/mp4', metadata: { klingTaskId: 'task-9', model: 'kling-v2-1' } };

async function freshBucket(): Promise<string> {
  const name = uniqueBucketName('storage');
  await gcsStorage().createBucket(name);
  return name;
}

/** Every object generation in the bucket: a second generation of a name would show up here. */
async function objectGenerations(bucket: string): Promise<string[]> {
  const [files] = await gcsStorage().bucket(bucket).getFiles({ versions: true });
  return files.map((f) => `${f.name}#${String(f.metadata.generation)}`).sort();
}

async function gcsHarness(overrides: Partial<GcsStorageOptions> = {}) {
  const bucket = await freshBucket();
  const storage = createGcsStorage({ bucket, prefix: PREFIX, urlMode: 'public', storage: gcsStorage(), ...overrides });
  return { bucket, storage, rawEntries: () => objectGenerations(bucket) };
}

// fake-gcs-server enforces ifGenerationMatch and keeps the content type only for single-request (multipart)
// uploads, so the full contract runs in that mode; resumable mode is covered below for what the emulator does.
defineVideoStorageContract('GCS on fake-gcs-server (single-request uploads)', () => gcsHarness({ resumable: false }));

describe('GCS resumable uploads on fake-gcs-server', () => {
  it('round-trip a multi-MiB body with md5, size and custom metadata', async () => {
    const { storage } = await gcsHarness({ resumable: true });
    const body = byteSource(5 * MiB + 1, { seed: 1 });
    const stored = await storage.upload('resumable.mp4', body.chunks(), OPTIONS);
    expect(stored).toMatchObject({ size: body.size, md5Base64: body.md5Base64, metadata: OPTIONS.metadata, created: true });
    expect(await digestOf(storage.read('resumable.mp4'))).toEqual({ size: body.size, md5Base64: body.md5Base64 });
  });

  it('converge on a second identical upload without writing a new generation', async () => {
    const { storage, rawEntries } = await gcsHarness({ resumable: true });
    const body = byteSource(2 * MiB, { seed: 2 });
    await storage.upload('again.mp4', body.chunks(), OPTIONS);
    const entries = await rawEntries();
    expect(await storage.upload('again.mp4', body.chunks(), OPTIONS)).toMatchObject({ created: false });
    expect(await rawEntries()).toEqual(entries);
  });

  it('leave nothing behind when aborted or over the size limit', async () => {
    const { storage, rawEntries } = await gcsHarness({ resumable: true });
    const controller = new AbortController();
    const aborted = storage.upload('abort.mp4', byteSource(6 * MiB).chunks(), {
      ...OPTIONS,
      signal: controller.signal,
      onProgress: (n) => n >= 2 * MiB && controller.abort(),
    });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await expect(storage.upload('big.mp4', byteSource(4 * MiB).chunks(), { ...OPTIONS, maxBytes: MiB })).rejects.toMatchObject({
      name: 'SizeLimitError',
    });
    await expect(storage.upload('short.mp4', byteSource(MiB).chunks(), { ...OPTIONS, expectedSize: 2 * MiB })).rejects.toMatchObject({
      name: 'TruncatedUploadError',
    });
    expect(await rawEntries()).toEqual([]);
  });

  it("'auto' uses a single request for small announced bodies and resumable otherwise", async () => {
    const { storage } = await gcsHarness({ resumable: 'auto', resumableThresholdBytes: MiB });
    const small = byteSource(MiB / 2, { seed: 3 });
    const large = byteSource(2 * MiB, { seed: 4 });
    // Only the single-request path keeps the content type on this emulator, which makes the choice observable.
    expect(await storage.upload('small.mp4', small.chunks(), { ...OPTIONS, expectedSize: small.size })).toMatchObject({
      contentType: 'video/mp4',
    });
    expect(await storage.upload('large.mp4', large.chunks(), OPTIONS)).toMatchObject({ md5Base64: large.md5Base64 });
  });
});

describe('GCS object layout', () => {
  it('stores under the prefix with content type and custom metadata, and reports gs:// URIs', async () => {
    const { bucket, storage } = await gcsHarness({ resumable: false });
    const body = byteSource(MiB, { seed: 5 });
    const stored = await storage.upload('task-9/video.mp4', body.chunks(), OPTIONS);

    expect(storage.location).toBe(`gs://${bucket}/${PREFIX}`);
    expect(stored.uri).toBe(`gs://${bucket}/${PREFIX}/task-9/video.mp4`);
    expect(stored.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    const [raw] = await gcsStorage().bucket(bucket).file(`${PREFIX}/task-9/video.mp4`).getMetadata();
    expect(raw).toMatchObject({ contentType: 'video/mp4', md5Hash: body.md5Base64, metadata: OPTIONS.metadata });
  });

  it('works without a prefix', async () => {
    const bucket = await freshBucket();
    const storage = createGcsStorage({ bucket, urlMode: 'public', storage: gcsStorage(), resumable: false });
    const stored = await storage.upload('video.mp4', byteSource(1000).chunks(), OPTIONS);
    expect(storage.location).toBe(`gs://${bucket}`);
    expect(stored.uri).toBe(`gs://${bucket}/video.mp4`);
  });

  it('a server-side failure rejects the upload instead of hanging', async () => {
    const storage = createGcsStorage({ bucket: uniqueBucketName('missing'), urlMode: 'public', storage: gcsStorage(), resumable: false });
    await expect(storage.upload('video.mp4', byteSource(2 * MiB).chunks(), OPTIONS)).rejects.toThrow();
  });
});

describe('GCS bucket that does not exist', () => {
  it('upload rejects at once with StorageBucketNotFoundError naming the bucket; checkReady too; an existing bucket is ready', async () => {
    const bucket = uniqueBucketName('missing');
    const storage = createGcsStorage({ bucket, urlMode: 'public', storage: gcsStorage() });
    const started = Date.now();
    const upload = storage.upload('a.mp4', byteSource(1024).chunks(), OPTIONS);
    await expect(upload).rejects.toBeInstanceOf(StorageBucketNotFoundError);
    await expect(upload).rejects.toThrow(`gs://${bucket} does not exist`);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(storage.checkReady?.()).rejects.toMatchObject({ name: 'StorageBucketNotFoundError', bucket });
    const { storage: ready } = await gcsHarness();
    await expect(ready.checkReady?.()).resolves.toBeUndefined();
  });
});

describe('GCS checksum verification (a proxy corrupts upload bodies on their way to the emulator)', () => {
  const marker = Buffer.from('KLING-MARKER-0000');
  let proxy: CorruptingProxy;
  beforeAll(async () => {
    proxy = await startCorruptingProxy(testServers().fakeGcsUrl, marker, Buffer.from('KLING-MARKER-FFFF'));
  });
  afterAll(async () => {
    await proxy.close();
  });

  async function* markedBody(): AsyncGenerator<Uint8Array> {
    yield* byteSource(256 * 1024, { seed: 6 }).chunks();
    yield new Uint8Array(marker);
    yield* byteSource(256 * 1024, { seed: 7 }).chunks();
  }

  it.each([
    { resumable: false, validation: 'md5' as const, checker: 'library md5 validation' },
    { resumable: false, validation: false as const, checker: 'own md5 comparison' },
    { resumable: true, validation: 'crc32c' as const, checker: 'library crc32c validation' },
    { resumable: true, validation: false as const, checker: 'own md5 comparison' },
  ])('resumable=$resumable: $checker rejects with ChecksumMismatchError and removes the object', async ({ resumable, validation }) => {
    const bucket = await freshBucket();
    const storage = createGcsStorage({
      bucket,
      urlMode: 'public',
      storage: new Storage({ apiEndpoint: proxy.url, projectId: 'test', useAuthWithCustomEndpoint: false }),
      resumable,
      validation,
    });
    const corruptedBefore = proxy.corrupted;
    const sent = await digestOf(markedBody());

    const err = await storage.upload('corrupt.mp4', markedBody(), OPTIONS).catch((e: unknown) => e);

    expect(proxy.corrupted).toBe(corruptedBefore + 1);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(err).toMatchObject({ name: 'ChecksumMismatchError', uri: `gs://${bucket}/corrupt.mp4`, removed: true });
    if (validation === false) expect(err).toMatchObject({ expectedMd5Base64: sent.md5Base64 });
    expect(await objectGenerations(bucket)).toEqual([]);
  });
});

describe('GCS URLs', () => {
  it('public mode against production uses https://storage.googleapis.com/<bucket>/<name>', async () => {
    const storage = createGcsStorage({ bucket: 'prod-videos', prefix: 'kling', urlMode: 'public', storage: new Storage({ projectId: 'p' }) });
    expect(await storage.url('task 1/video.mp4')).toBe('https://storage.googleapis.com/prod-videos/kling/task%201/video.mp4');
  });

  it('public mode with publicBaseUrl points at the CDN', async () => {
    const storage = createGcsStorage({
      bucket: 'prod-videos',
      prefix: 'kling',
      urlMode: 'public',
      publicBaseUrl: 'https://cdn.example.com/media/',
      storage: new Storage({ projectId: 'p' }),
    });
    expect(await storage.url('a/b.mp4')).toBe('https://cdn.example.com/media/kling/a/b.mp4');
  });

  it('public mode against an emulator uses its JSON API media link', async () => {
    const { bucket, storage } = await gcsHarness();
    expect(await storage.url('a/b c.mp4')).toBe(
      `${testServers().fakeGcsUrl}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(`${PREFIX}/a/b c.mp4`)}?alt=media`,
    );
  });

  it('signed mode hands the full object name and expiry to an injected signer', async () => {
    const signer = vi.fn<UrlSigner>(async () => 'https://signed.example/abc');
    const storage = createGcsStorage({
      bucket: 'prod-videos',
      prefix: 'kling',
      urlMode: 'signed',
      signedUrlTtlSeconds: 900,
      signer,
      storage: new Storage({ projectId: 'p' }),
    });
    const before = Date.now();
    expect(await storage.url('a.mp4')).toBe('https://signed.example/abc');
    const request = signer.mock.calls[0]?.[0];
    if (request === undefined) throw new Error('signer not called');
    expect(request).toMatchObject({ bucket: 'prod-videos', objectName: 'kling/a.mp4' });
    expect(request.expires.getTime()).toBeGreaterThanOrEqual(before + 900_000);
    expect(request.expires.getTime()).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it('signed mode (default signer, service-account key) returns a verifiable V4 URL that serves the object', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientEmail = 'video-signer@test-project.iam.gserviceaccount.com';
    const bucket = await freshBucket();
    const storage = createGcsStorage({
      bucket,
      prefix: PREFIX,
      urlMode: 'signed',
      signedUrlTtlSeconds: 600,
      resumable: false,
      // Signing is local with a key; the emulator itself is reached without authentication.
      storage: gcsStorage({
        credentials: { client_email: clientEmail, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
      }),
    });
    const body = byteSource(2 * MiB, { seed: 8 });
    await storage.upload('signed/video.mp4', body.chunks(), OPTIONS);

    const url = new URL(await storage.url('signed/video.mp4'));

    expect(url.pathname).toBe(`/${bucket}/${PREFIX}/signed/video.mp4`);
    const q = url.searchParams;
    expect(q.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(q.get('X-Goog-Credential')).toMatch(new RegExp(`^${clientEmail}/\\d{8}/auto/storage/goog4_request$`));
    expect(Number(q.get('X-Goog-Expires'))).toBeGreaterThanOrEqual(599);
    expect(Number(q.get('X-Goog-Expires'))).toBeLessThanOrEqual(600);
    expect(q.get('X-Goog-SignedHeaders')).toBe('host');

    // Rebuild the V4 string-to-sign and check the signature with the public key: proof that the URL was signed
    // by the configured service account for exactly this object, method and expiry.
    const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const canonicalQuery = [...q.entries()]
      .filter(([k]) => k !== 'X-Goog-Signature')
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .sort()
      .join('&');
    const canonicalRequest = ['GET', url.pathname, canonicalQuery, `host:${url.hostname}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
    const scope = (q.get('X-Goog-Credential') ?? '').split('/').slice(1).join('/');
    const stringToSign = ['GOOG4-RSA-SHA256', q.get('X-Goog-Date'), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const verified = createVerify('RSA-SHA256')
      .update(stringToSign)
      .verify(publicKey, Buffer.from(q.get('X-Goog-Signature') ?? '', 'hex'));
    expect(verified).toBe(true);

    // fake-gcs-server serves path-style URLs on its -public-host (the global setup sets it to its own address);
    // it does not check signatures, which is why the signature is verified above.
    const response = await fetch(url);
    expect(response.status).toBe(200);
    if (response.body === null) throw new Error('no response body');
    expect(await digestOf(response.body)).toEqual({ size: body.size, md5Base64: body.md5Base64 });
  });

  it('rejects invalid configuration', () => {
    const storage = new Storage({ projectId: 'p' });
    expect(() => createGcsStorage({ bucket: 'Bad_Bucket!', urlMode: 'public', storage })).toThrow();
    expect(() => createGcsStorage({ bucket: 'ok-bucket', urlMode: 'signed', signedUrlTtlSeconds: 8 * 24 * 3600, storage })).toThrow();
    expect(() => createGcsStorage({ bucket: 'ok-bucket', urlMode: 'sometimes' as 'public', storage })).toThrow();
    expect(() => createGcsStorage({ bucket: 'ok-bucket', urlMode: 'public', prefix: '../x', storage })).toThrow();
    expect(() => createGcsStorage({ bucket: 'ok-bucket', urlMode: 'public', apiEndpoint: 'not a url', storage })).toThrow();
  });
});
