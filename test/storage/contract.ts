// The behaviour every VideoStorage backend must have. Each backend's test file calls
// defineVideoStorageContract with a factory for a fresh, empty storage per test.
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidObjectNameError,
  SizeLimitError,
  StorageConflictError,
  TruncatedUploadError,
  type UploadOptions,
  type VideoStorage,
} from '../../src/storage/index.js';
import { MiB, byteSource, digestOf } from './byte-source.js';

/** A fresh, empty backend for one test, plus a raw view of everything it holds. */
export interface ContractHarness {
  storage: VideoStorage;
  /**
   * Every raw entry the backend holds (objects and, for backends that have them, sidecars and temp files),
   * sorted. Comparing snapshots proves that a failed upload left nothing behind.
   */
  rawEntries(): Promise<string[]>;
}

const OPTIONS: UploadOptions = {
  contentType: 'video/mp4',
  metadata: { klingTaskId: 'task-123', model: 'kling-v2-1', promptSha256: 'ab12cd34' },
};

/** Bytes behind a URL returned by `url()`: file: URLs are read from disk, http(s) URLs fetched. */
async function bytesAt(url: string): Promise<AsyncIterable<Uint8Array>> {
  if (url.startsWith('file:')) return createReadStream(fileURLToPath(url));
  const response = await fetch(url);
  if (!response.ok || response.body === null) throw new Error(`GET ${url} -> HTTP ${response.status}`);
  return response.body;
}

/** Resolves with the rejection of `promise`, failing the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** A gate that opens once `count` parties have arrived, so racing uploads really overlap. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived >= count) open();
    await opened;
  };
}

/** Defines the shared VideoStorage contract suite for one backend. */
export function defineVideoStorageContract(backend: string, createHarness: () => Promise<ContractHarness>): void {
  describe(`VideoStorage contract: ${backend}`, () => {
    let harness: ContractHarness;
    let storage: VideoStorage;
    beforeEach(async () => {
      harness = await createHarness();
      storage = harness.storage;
    });

    it('round-trips a multi-MiB streamed body of unknown length with md5, size, content type and metadata', async () => {
      const body = byteSource(6 * MiB + 123, { seed: 11 });
      const progress: number[] = [];
      const stored = await storage.upload('videos/task-123/video.mp4', body.chunks(), {
        ...OPTIONS,
        onProgress: (n) => progress.push(n),
      });

      expect(stored).toMatchObject({
        objectName: 'videos/task-123/video.mp4',
        size: body.size,
        md5Base64: body.md5Base64,
        contentType: 'video/mp4',
        metadata: OPTIONS.metadata,
        created: true,
      });
      expect(stored.uri.startsWith(`${storage.location}/`)).toBe(true);
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)).toBe(body.size);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));

      expect(await digestOf(storage.read('videos/task-123/video.mp4'))).toEqual({ size: body.size, md5Base64: body.md5Base64 });
      expect(await storage.stat('videos/task-123/video.mp4')).toEqual({ ...stored, created: false });
    });

    it('accepts a body whose length matches expectedSize', async () => {
      const body = byteSource(3 * MiB, { seed: 12 });
      const stored = await storage.upload('exact.mp4', body.chunks(), { ...OPTIONS, expectedSize: body.size, maxBytes: body.size });
      expect(stored).toMatchObject({ size: body.size, md5Base64: body.md5Base64, created: true });
    });

    it('stores an empty body', async () => {
      const stored = await storage.upload('empty.bin', byteSource(0).chunks(), { contentType: 'application/octet-stream', metadata: {} });
      expect(stored).toMatchObject({ size: 0, md5Base64: '1B2M2Y8AsgTpgAmY7PhCfg==', created: true, metadata: {} });
      expect(await digestOf(storage.read('empty.bin'))).toEqual({ size: 0, md5Base64: '1B2M2Y8AsgTpgAmY7PhCfg==' });
    });

    it('accepts a Node readable stream as the body', async () => {
      const { Readable } = await import('node:stream');
      const body = byteSource(2 * MiB, { seed: 13 });
      const stored = await storage.upload('from-readable.mp4', Readable.from(body.chunks()), OPTIONS);
      expect(stored).toMatchObject({ size: body.size, md5Base64: body.md5Base64, created: true });
    });

    it('converges when the same bytes are uploaded again: created=false, one object, nothing new', async () => {
      const body = byteSource(2 * MiB, { seed: 21 });
      const first = await storage.upload('same.mp4', body.chunks(), OPTIONS);
      const entries = await harness.rawEntries();

      const second = await storage.upload('same.mp4', body.chunks(), { ...OPTIONS, metadata: { klingTaskId: 'retry' } });

      expect(second).toEqual({ ...first, created: false }); // the existing object, unchanged (metadata too)
      expect(await harness.rawEntries()).toEqual(entries);
    });

    it('rejects different bytes for an existing name with StorageConflictError and keeps the original', async () => {
      const original = byteSource(2 * MiB, { seed: 31 });
      const other = byteSource(2 * MiB, { seed: 32 });
      await storage.upload('taken.mp4', original.chunks(), OPTIONS);
      const entries = await harness.rawEntries();

      const err = await rejectionOf(storage.upload('taken.mp4', other.chunks(), OPTIONS));

      expect(err).toBeInstanceOf(StorageConflictError);
      expect(err).toMatchObject({ name: 'StorageConflictError', existingMd5Base64: original.md5Base64, uploadedMd5Base64: other.md5Base64 });
      expect(await digestOf(storage.read('taken.mp4'))).toEqual({ size: original.size, md5Base64: original.md5Base64 });
      expect(await harness.rawEntries()).toEqual(entries);
    });

    it('racing uploads of the same bytes converge on one object, exactly one reporting created=true', async () => {
      const arrive = barrier(2);
      const body = byteSource(3 * MiB, { seed: 41, beforeChunk: (soFar) => (soFar === 0 ? arrive() : undefined) });
      const results = await Promise.all([
        storage.upload('race-same.mp4', body.chunks(), OPTIONS),
        storage.upload('race-same.mp4', body.chunks(), OPTIONS),
      ]);

      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
      for (const r of results) expect(r).toMatchObject({ md5Base64: body.md5Base64, size: body.size });
      expect(await digestOf(storage.read('race-same.mp4'))).toEqual({ size: body.size, md5Base64: body.md5Base64 });
      expect(await storage.stat('race-same.mp4')).toMatchObject({ md5Base64: body.md5Base64, created: false });
    });

    it('racing uploads of different bytes: one wins, the other gets StorageConflictError', async () => {
      const arrive = barrier(2);
      const pace = (soFar: number): Promise<void> | undefined => (soFar === 0 ? arrive() : undefined);
      const a = byteSource(3 * MiB, { seed: 51, beforeChunk: pace });
      const b = byteSource(3 * MiB, { seed: 52, beforeChunk: pace });
      const [ra, rb] = await Promise.allSettled([
        storage.upload('race-diff.mp4', a.chunks(), OPTIONS),
        storage.upload('race-diff.mp4', b.chunks(), OPTIONS),
      ]);

      const fulfilled = [ra, rb].filter((r) => r.status === 'fulfilled');
      const rejected = [ra, rb].filter((r) => r.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toBeInstanceOf(StorageConflictError);
      const winner = fulfilled[0]?.value;
      expect(winner?.created).toBe(true);
      expect(await digestOf(storage.read('race-diff.mp4'))).toEqual({ size: winner?.size, md5Base64: winner?.md5Base64 });
      expect(await storage.stat('race-diff.mp4')).toEqual({ ...winner, created: false });
    });

    it('an abort mid-upload rejects with AbortError (cause: the signal reason) and leaves no object', async () => {
      const before = await harness.rawEntries();
      const controller = new AbortController();
      const reason = new Error('activity cancelled');
      const body = byteSource(6 * MiB, { seed: 61 });
      const err = await rejectionOf(
        storage.upload('aborted.mp4', body.chunks(), {
          ...OPTIONS,
          signal: controller.signal,
          onProgress: (n) => {
            if (n >= 2 * MiB) controller.abort(reason);
          },
        }),
      );

      expect(err).toMatchObject({ name: 'AbortError', cause: reason });
      expect(await storage.stat('aborted.mp4')).toBeUndefined();
      expect(await harness.rawEntries()).toEqual(before);
    });

    it('an abort while the source is stalled still rejects promptly and leaves no object', async () => {
      const before = await harness.rawEntries();
      const controller = new AbortController();
      const stalled = new Promise<void>(() => undefined);
      const body = byteSource(4 * MiB, { seed: 62, beforeChunk: (soFar) => (soFar >= MiB ? stalled : undefined) });
      const upload = storage.upload('stalled.mp4', body.chunks(), {
        ...OPTIONS,
        signal: controller.signal,
        onProgress: (n) => {
          if (n >= MiB) setTimeout(() => controller.abort(), 50);
        },
      });

      expect((await rejectionOf(upload)).name).toBe('AbortError');
      expect(await storage.stat('stalled.mp4')).toBeUndefined();
      expect(await harness.rawEntries()).toEqual(before);
    });

    it('an already-aborted signal rejects with the same AbortError shape before anything is read', async () => {
      let pulled = false;
      const body = byteSource(MiB, { beforeChunk: () => void (pulled = true) });
      const reason = new Error('workflow cancelled');
      const err = await rejectionOf(storage.upload('pre-aborted.mp4', body.chunks(), { ...OPTIONS, signal: AbortSignal.abort(reason) }));
      expect(err).toMatchObject({ name: 'AbortError', cause: reason });
      expect(pulled).toBe(false);
      expect(await harness.rawEntries()).toEqual([]);
    });

    it('a body shorter than expectedSize rejects with TruncatedUploadError and leaves no object', async () => {
      const before = await harness.rawEntries();
      const body = byteSource(2 * MiB, { seed: 71 });
      const err = await rejectionOf(storage.upload('short.mp4', body.chunks(), { ...OPTIONS, expectedSize: body.size + 1 }));

      expect(err).toBeInstanceOf(TruncatedUploadError);
      expect(err).toMatchObject({ name: 'TruncatedUploadError', expectedSize: body.size + 1, receivedSize: body.size });
      expect(await storage.stat('short.mp4')).toBeUndefined();
      expect(await harness.rawEntries()).toEqual(before);
    });

    it('a body longer than expectedSize rejects with SizeLimitError and leaves no object', async () => {
      const before = await harness.rawEntries();
      const body = byteSource(2 * MiB, { seed: 72 });
      const err = await rejectionOf(storage.upload('long.mp4', body.chunks(), { ...OPTIONS, expectedSize: MiB }));

      expect(err).toBeInstanceOf(SizeLimitError);
      expect(err).toMatchObject({ name: 'SizeLimitError', limit: MiB, limitKind: 'expectedSize' });
      expect(await storage.stat('long.mp4')).toBeUndefined();
      expect(await harness.rawEntries()).toEqual(before);
    });

    it('more than maxBytes rejects with SizeLimitError as soon as the limit is crossed and leaves no object', async () => {
      const before = await harness.rawEntries();
      let pulledBytes = 0;
      const body = byteSource(8 * MiB, { seed: 73, beforeChunk: (soFar) => void (pulledBytes = soFar) });
      const err = await rejectionOf(storage.upload('huge.mp4', body.chunks(), { ...OPTIONS, maxBytes: MiB }));

      expect(err).toBeInstanceOf(SizeLimitError);
      expect(err).toMatchObject({ name: 'SizeLimitError', limit: MiB, limitKind: 'maxBytes' });
      expect(pulledBytes).toBeLessThan(4 * MiB); // stopped reading early, not after the whole body
      expect(await storage.stat('huge.mp4')).toBeUndefined();
      expect(await harness.rawEntries()).toEqual(before);
    });

    it('an announced size above maxBytes rejects before anything is read', async () => {
      let pulled = false;
      const body = byteSource(MiB, { beforeChunk: () => void (pulled = true) });
      const err = await rejectionOf(storage.upload('announced.mp4', body.chunks(), { ...OPTIONS, expectedSize: 2 * MiB, maxBytes: MiB }));
      expect(err).toBeInstanceOf(SizeLimitError);
      expect(pulled).toBe(false);
    });

    const badNames: Array<[string, string]> = [
      ['', 'empty'],
      ['/etc/passwd', 'absolute'],
      ['../escape.mp4', '".." segment'],
      ['videos/../../escape.mp4', 'nested ".." segment'],
      ['videos/./a.mp4', '"." segment'],
      ['videos//a.mp4', 'empty segment'],
      ['videos/', 'trailing slash'],
      ['videos\\a.mp4', 'backslash'],
      ['videos/a\u0000.mp4', 'NUL'],
      ['videos/a\n.mp4', 'newline'],
      ['C:/videos/a.mp4', 'drive letter'],
      ['x'.repeat(1025), 'too long'],
    ];
    it.each(badNames)('rejects the object name %j (%s) in every method, reading nothing', async (name) => {
      let pulled = false;
      const body = byteSource(1024, { beforeChunk: () => void (pulled = true) });
      await expect(storage.upload(name, body.chunks(), OPTIONS)).rejects.toBeInstanceOf(InvalidObjectNameError);
      await expect(storage.stat(name)).rejects.toBeInstanceOf(InvalidObjectNameError);
      await expect(storage.url(name)).rejects.toBeInstanceOf(InvalidObjectNameError);
      expect(() => storage.read(name)).toThrow(InvalidObjectNameError);
      expect(pulled).toBe(false);
      expect(await harness.rawEntries()).toEqual([]);
    });

    it('rejects invalid upload options before reading the body', async () => {
      let pulled = false;
      const body = byteSource(1024, { beforeChunk: () => void (pulled = true) });
      await expect(storage.upload('opts.mp4', body.chunks(), { contentType: 'not a mime type', metadata: {} })).rejects.toThrow();
      await expect(storage.upload('opts.mp4', body.chunks(), { ...OPTIONS, maxBytes: -1 })).rejects.toThrow();
      expect(pulled).toBe(false);
    });

    it('stat of a missing object is undefined', async () => {
      expect(await storage.stat('missing/video.mp4')).toBeUndefined();
    });

    it('url() points at the stored bytes', async () => {
      const body = byteSource(3 * MiB + 7, { seed: 81 });
      await storage.upload('urls/with space+plus%.mp4', body.chunks(), OPTIONS);
      const url = await storage.url('urls/with space+plus%.mp4');
      expect(url).toMatch(/^(https?|file):/);
      expect(await digestOf(await bytesAt(url))).toEqual({ size: body.size, md5Base64: body.md5Base64 });
    });
  });
}
