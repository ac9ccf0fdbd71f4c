import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { abortablePipeline } from './abort.js';
import { ByteMeter, measureBody, type BodyDigest } from './byte-meter.js';
import { ChecksumMismatchError, StorageConflictError } from './errors.js';
import { localObjectPaths, type LocalObjectPaths } from './local-paths.js';
import { beginUpload, convergeIfStored } from './upload-start.js';
import { md5Base64Schema, storedObjectSchema, type StoredObject, type UploadBody, type UploadOptions, type VideoStorage } from './video-storage.js';

/** Configuration of the local file-system backend. */
export const localStorageConfigSchema = z.object({
  /** Directory holding the objects (created on first upload); relative paths resolve against the cwd. */
  root: z.string().min(1),
});

/** Configuration of the local file-system backend. */
export type LocalStorageConfig = z.input<typeof localStorageConfigSchema>;

/** The `<name>.meta.json` sidecar: everything about an object except its bytes. */
const sidecarSchema = z.object({
  version: z.literal(1),
  objectName: z.string(),
  size: z.int().nonnegative(),
  md5Base64: md5Base64Schema,
  contentType: z.string(),
  metadata: z.record(z.string(), z.string()),
  storedAt: z.iso.datetime(),
});
type Sidecar = z.infer<typeof sidecarSchema>;

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** fsync, so that a link made visible after this point never exposes unwritten bytes after a power loss. */
async function syncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readSidecar(file: string): Promise<Sidecar | undefined> {
  try {
    return sidecarSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/**
 * Local file-system backend. An object is the data file `<root>/<name>` plus the sidecar `<name>.meta.json`.
 * Both are written to hidden temp files in the same directory and published with link(), which (unlike
 * rename) fails instead of replacing an existing file - that is what makes racing uploads converge. The
 * sidecar is published first and is the claim on the name; the data file second, which makes the object
 * visible. A crash can therefore leave a sidecar without data (invisible; healed by the next identical upload)
 * but never data without metadata.
 */
class LocalVideoStorage implements VideoStorage {
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.location = pathToFileURL(root).href;
  }

  #paths(objectName: string): LocalObjectPaths {
    return localObjectPaths(this.#root, objectName);
  }

  #toStoredObject(sidecar: Sidecar, dataFile: string, created: boolean): StoredObject {
    const { objectName, size, md5Base64, contentType, metadata } = sidecar;
    return storedObjectSchema.parse({ uri: pathToFileURL(dataFile).href, objectName, size, md5Base64, contentType, metadata, created });
  }

  async upload(objectName: string, body: UploadBody, options: UploadOptions): Promise<StoredObject> {
    const paths = this.#paths(objectName);
    const { contentType, metadata, signal, meterOptions } = beginUpload(objectName, options);
    const converged = await convergeIfStored(await this.stat(objectName), body, meterOptions, signal);
    if (converged) return converged;

    await mkdir(path.dirname(paths.data), { recursive: true });
    const tempData = paths.temp('data');
    const tempSidecar = paths.temp('sidecar');
    try {
      // Create the temp file up front and let the stream open it without O_CREAT: a stream destroyed before its
      // own open completes then cannot re-create the file after the cleanup below has removed it.
      await (await open(tempData, 'wx')).close();
      const meter = new ByteMeter(meterOptions);
      await abortablePipeline(signal, body, meter, createWriteStream(tempData, { flags: 'r+', flush: true }));
      const digest = meter.digest();
      await this.#verifyWritten(objectName, tempData, digest);

      const sidecar: Sidecar = { version: 1, objectName, ...digest, contentType, metadata, storedAt: new Date().toISOString() };
      await writeFile(tempSidecar, JSON.stringify(sidecar, null, 2), { flag: 'wx' });
      await syncPath(tempSidecar);
      return await this.#publish(paths, tempData, tempSidecar, sidecar);
    } finally {
      await rm(tempData, { force: true });
      await rm(tempSidecar, { force: true });
    }
  }

  /** Re-reads the temp file: what reached the disk must hash to what was streamed. */
  async #verifyWritten(objectName: string, tempData: string, digest: BodyDigest): Promise<void> {
    const written = await measureBody(createReadStream(tempData), { objectName });
    if (written.md5Base64 !== digest.md5Base64 || written.size !== digest.size) {
      throw new ChecksumMismatchError(pathToFileURL(this.#paths(objectName).data).href, digest.md5Base64, written.md5Base64, true);
    }
  }

  /** Links the sidecar, then the data file, into place; converges or conflicts when either exists already. */
  async #publish(paths: LocalObjectPaths, tempData: string, tempSidecar: string, ours: Sidecar): Promise<StoredObject> {
    const uri = pathToFileURL(paths.data).href;
    let claimed: Sidecar = ours;
    let ownsSidecar = true;
    try {
      await link(tempSidecar, paths.sidecar);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      ownsSidecar = false;
      const current = await readSidecar(paths.sidecar);
      if (current === undefined) throw new Error(`${uri}: metadata sidecar vanished while publishing; retry`);
      if (current.md5Base64 !== ours.md5Base64) {
        const detail = (await exists(paths.data))
          ? ''
          : `its metadata exists without data (an upload in flight, or left by a crash: delete ${paths.sidecar} if stale)`;
        throw new StorageConflictError(uri, current.md5Base64, ours.md5Base64, detail);
      }
      claimed = current;
    }

    try {
      await link(tempData, paths.data);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        if (ownsSidecar) await this.#unlinkIfSameFile(paths.sidecar, tempSidecar);
        throw err;
      }
      if (ownsSidecar) await this.#adoptForeignData(paths, tempSidecar, ours);
      return this.#toStoredObject(claimed, paths.data, false);
    }
    await syncPath(path.dirname(paths.data)).catch(() => undefined); // durability of the new links; best effort
    return this.#toStoredObject(claimed, paths.data, true);
  }

  /**
   * We claimed the sidecar but a data file was already there - not published by this module (which links
   * data only under a matching sidecar). Keep it if it holds our bytes; otherwise withdraw our claim.
   */
  async #adoptForeignData(paths: LocalObjectPaths, tempSidecar: string, ours: Sidecar): Promise<void> {
    const found = await measureBody(createReadStream(paths.data), { objectName: ours.objectName });
    if (found.md5Base64 === ours.md5Base64) return;
    await this.#unlinkIfSameFile(paths.sidecar, tempSidecar);
    throw new StorageConflictError(pathToFileURL(paths.data).href, found.md5Base64, ours.md5Base64, 'a data file without metadata was there');
  }

  /** Removes `file` only if it is still the hard link of `ours` (never another uploader's sidecar). */
  async #unlinkIfSameFile(file: string, ours: string): Promise<void> {
    const [a, b] = await Promise.all([stat(file), stat(ours)]);
    if (a.ino === b.ino && a.dev === b.dev) await rm(file, { force: true });
  }

  async stat(objectName: string): Promise<StoredObject | undefined> {
    const paths = this.#paths(objectName);
    const sidecar = await readSidecar(paths.sidecar);
    if (sidecar === undefined) return undefined;
    let size: number;
    try {
      size = (await stat(paths.data)).size;
    } catch (err) {
      // Sidecar without data: an upload between its two links, or a crash there. Not an object (yet).
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    if (size !== sidecar.size) {
      throw new Error(`${pathToFileURL(paths.data).href}: data file has ${size} bytes, metadata says ${sidecar.size}`);
    }
    return this.#toStoredObject(sidecar, paths.data, false);
  }

  async url(objectName: string): Promise<string> {
    return pathToFileURL(this.#paths(objectName).data).href;
  }

  read(objectName: string): NodeJS.ReadableStream {
    return createReadStream(this.#paths(objectName).data);
  }
}

/** A VideoStorage on the local file system (development, tests, single-host deployments). */
export function createLocalStorage(config: LocalStorageConfig): VideoStorage {
  const { root } = localStorageConfigSchema.parse(config);
  return new LocalVideoStorage(path.resolve(root));
}
