import { link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidObjectNameError, StorageConflictError, createLocalStorage } from '../../src/storage/index.js';
import { MiB, byteSource, digestOf } from './byte-source.js';
import { defineVideoStorageContract } from './contract.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'kt-local-storage-'));
  roots.push(root);
  return path.join(root, 'videos'); // not created yet: the backend must create it on first upload
}

/** Every file under `root` (hidden temp files and sidecars included), as sorted relative paths. */
async function filesUnder(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

defineVideoStorageContract('local file system', async () => {
  const root = await freshRoot();
  return { storage: createLocalStorage({ root }), rawEntries: () => filesUnder(root) };
});

describe('local storage specifics', () => {
  const options = { contentType: 'video/mp4', metadata: { klingTaskId: 't1' } };

  it('stores data at <root>/<name> with a <name>.meta.json sidecar and no leftover temp files', async () => {
    const root = await freshRoot();
    const storage = createLocalStorage({ root });
    const body = byteSource(MiB, { seed: 1 });
    const stored = await storage.upload('a/b/video.mp4', body.chunks(), options);

    expect(storage.location).toBe(pathToFileURL(root).href);
    expect(stored.uri).toBe(pathToFileURL(path.join(root, 'a/b/video.mp4')).href);
    expect(await storage.url('a/b/video.mp4')).toBe(stored.uri);
    expect(await filesUnder(root)).toEqual(['a/b/video.mp4', 'a/b/video.mp4.meta.json']);
  });

  it('a sidecar without data (crash between the two links) is invisible, and an identical upload heals it', async () => {
    const root = await freshRoot();
    const storage = createLocalStorage({ root });
    const body = byteSource(MiB, { seed: 2 });
    await storage.upload('orphan.mp4', body.chunks(), options);
    await rm(path.join(root, 'orphan.mp4')); // leave only the sidecar, as a crash after the first link would

    expect(await storage.stat('orphan.mp4')).toBeUndefined();
    const healed = await storage.upload('orphan.mp4', body.chunks(), options);
    expect(healed).toMatchObject({ created: true, md5Base64: body.md5Base64 });
    expect(await digestOf(storage.read('orphan.mp4'))).toEqual({ size: body.size, md5Base64: body.md5Base64 });
  });

  it('a sidecar without data blocks different content with a StorageConflictError that says so', async () => {
    const root = await freshRoot();
    const storage = createLocalStorage({ root });
    await storage.upload('orphan.mp4', byteSource(MiB, { seed: 3 }).chunks(), options);
    await rm(path.join(root, 'orphan.mp4'));

    const attempt = storage.upload('orphan.mp4', byteSource(MiB, { seed: 4 }).chunks(), options);
    await expect(attempt).rejects.toBeInstanceOf(StorageConflictError);
    await expect(attempt).rejects.toThrow(/metadata exists without data/);
    expect(await filesUnder(root)).toEqual(['orphan.mp4.meta.json']);
  });

  it('a data file placed without a sidecar is adopted when identical and a conflict when not', async () => {
    const root = await freshRoot();
    const storage = createLocalStorage({ root });
    const body = byteSource(MiB, { seed: 5 });
    // Put bytes in place by hand (not through the backend): identical content...
    await storage.upload('staging.mp4', body.chunks(), options);
    await link(path.join(root, 'staging.mp4'), path.join(root, 'foreign.mp4'));
    expect(await storage.stat('foreign.mp4')).toBeUndefined();
    expect(await storage.upload('foreign.mp4', body.chunks(), options)).toMatchObject({ created: false, md5Base64: body.md5Base64 });
    expect(await storage.stat('foreign.mp4')).toMatchObject({ md5Base64: body.md5Base64 });

    // ...and different content: our claim is withdrawn, the foreign file stays untouched.
    await writeFile(path.join(root, 'stray.mp4'), 'not a video');
    await expect(storage.upload('stray.mp4', body.chunks(), options)).rejects.toBeInstanceOf(StorageConflictError);
    expect((await filesUnder(root)).filter((f) => f.startsWith('stray'))).toEqual(['stray.mp4']);
  });

  it.each(['video.mp4.meta.json', 'a.meta.json/video.mp4', '.video.mp4.0123456789ab.data.partial', 'x'.repeat(201)])(
    'rejects the name %j that would collide with its own sidecars or temp files',
    async (name) => {
      const storage = createLocalStorage({ root: await freshRoot() });
      await expect(storage.upload(name, byteSource(10).chunks(), options)).rejects.toBeInstanceOf(InvalidObjectNameError);
      await expect(storage.stat(name)).rejects.toBeInstanceOf(InvalidObjectNameError);
    },
  );

  it('rejects an empty root in its configuration', () => {
    expect(() => createLocalStorage({ root: '' })).toThrow();
  });

  it('resolves a relative root against the working directory', async () => {
    const root = await freshRoot();
    await mkdir(root, { recursive: true });
    const relative = path.relative(process.cwd(), root);
    expect(createLocalStorage({ root: relative }).location).toBe(pathToFileURL(root).href);
  });
});
