import { Storage, type File, type FileMetadata } from '@google-cloud/storage';
import { z } from 'zod';
import { abortablePipeline } from './abort.js';
import { ByteMeter, type BodyDigest } from './byte-meter.js';
import { convergeOnExisting } from './convergence.js';
import {
  ChecksumMismatchError,
  InvalidObjectNameError,
  SizeLimitError,
  StorageBucketNotFoundError,
  StorageConflictError,
  TruncatedUploadError,
} from './errors.js';
import { GcsUploadSink } from './gcs-upload-sink.js';
import { libraryUrlSigner, publicObjectUrl, type UrlSigner } from './gcs-urls.js';
import { assertValidObjectName, joinPrefix, normalizePrefix } from './object-name.js';
import { beginUpload, convergeIfStored } from './upload-start.js';
import { storedObjectSchema, type StoredObject, type UploadBody, type UploadOptions, type VideoStorage } from './video-storage.js';

/** Longest validity GCS allows for a V4 signed URL (7 days). */
export const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Configuration of the GCS backend (data only; see GcsStorageOptions for injected collaborators). */
export const gcsStorageConfigSchema = z.object({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'a GCS bucket name'),
  /** Key prefix for every object, e.g. `videos` (slashes at either end are ignored). */
  prefix: z.string().optional(),
  /** `public`: plain URLs (the bucket or a CDN must allow reads); `signed`: V4 signed URLs. */
  urlMode: z.enum(['public', 'signed']),
  signedUrlTtlSeconds: z.int().min(1).max(MAX_SIGNED_URL_TTL_SECONDS).default(3600),
  /** Custom endpoint, e.g. the fake-gcs-server URL. Unset: production GCS (or STORAGE_EMULATOR_HOST). */
  apiEndpoint: z.url().optional(),
  projectId: z.string().min(1).optional(),
  /** Resumable or single-request (multipart) uploads; `auto`: resumable unless `expectedSize` is small. */
  resumable: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  /** With `resumable: 'auto'`, bodies announced smaller than this go in one multipart request. */
  resumableThresholdBytes: z
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  /** Client-side validation by @google-cloud/storage, on top of this module's own md5 comparison. */
  validation: z.union([z.enum(['md5', 'crc32c']), z.literal(false)]).default('md5'),
  /** Base of public URLs when a CDN / load balancer fronts the bucket, e.g. `https://videos.example.com`. */
  publicBaseUrl: z.url().optional(),
});

/** Configuration of the GCS backend, as accepted (defaults applied by createGcsStorage). */
export type GcsStorageConfig = z.input<typeof gcsStorageConfigSchema>;

/** Options of createGcsStorage: the configuration plus optional injected collaborators. */
export interface GcsStorageOptions extends GcsStorageConfig {
  /** A ready client (tests, or custom auth). Default: `new Storage({ apiEndpoint, projectId })` with ADC. */
  storage?: Storage;
  /** Signs URLs in `signed` mode. Default: libraryUrlSigner(storage). */
  signer?: UrlSigner;
}

/** @google-cloud/storage error codes for a failed client-side checksum validation (see File#createWriteStream). */
const LIBRARY_VALIDATION_CODES: Record<string, { removed: boolean }> = {
  FILE_NO_UPLOAD: { removed: true },
  MD5_NOT_AVAILABLE: { removed: true },
  FILE_NO_UPLOAD_DELETE: { removed: false },
};

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function customMetadata(metadata: FileMetadata['metadata']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value !== null && value !== undefined) out[key] = String(value);
  }
  return out;
}

/** Google Cloud Storage backend. Create with createGcsStorage. */
class GcsVideoStorage implements VideoStorage {
  readonly location: string;
  /** Signed mode: URLs expire, so results carry the gs:// location only. */
  readonly urlsExpire: boolean;
  readonly #storage: Storage;
  readonly #config: z.output<typeof gcsStorageConfigSchema>;
  readonly #prefix: string;
  readonly #signer: UrlSigner;

  constructor(storage: Storage, config: z.output<typeof gcsStorageConfigSchema>, signer: UrlSigner) {
    this.#storage = storage;
    this.#config = config;
    this.#prefix = normalizePrefix(config.prefix);
    this.#signer = signer;
    this.urlsExpire = config.urlMode === 'signed';
    this.location = `gs://${config.bucket}${this.#prefix === '' ? '' : `/${this.#prefix}`}`;
  }

  #fullName(objectName: string): string {
    assertValidObjectName(objectName);
    return joinPrefix(this.#prefix, objectName);
  }

  #file(objectName: string): File {
    return this.#storage.bucket(this.#config.bucket).file(this.#fullName(objectName));
  }

  #uri(objectName: string): string {
    return `gs://${this.#config.bucket}/${this.#fullName(objectName)}`;
  }

  #toStoredObject(objectName: string, metadata: FileMetadata, created: boolean): StoredObject {
    const uri = this.#uri(objectName);
    if (!metadata.md5Hash) {
      // Composite objects have only a crc32c; convergence and verification are defined on md5.
      throw new Error(`${uri} has no md5 hash (composite object?); it cannot be used as a video object`);
    }
    return storedObjectSchema.parse({
      uri,
      objectName,
      size: Number(metadata.size),
      md5Base64: metadata.md5Hash,
      crc32c: metadata.crc32c,
      contentType: metadata.contentType ?? 'application/octet-stream',
      metadata: customMetadata(metadata.metadata),
      created,
    });
  }

  #useResumable(expectedSize: number | undefined): boolean {
    const { resumable, resumableThresholdBytes } = this.#config;
    if (resumable !== 'auto') return resumable;
    return expectedSize === undefined || expectedSize >= resumableThresholdBytes;
  }

  async upload(objectName: string, body: UploadBody, options: UploadOptions): Promise<StoredObject> {
    try {
      return await this.#upload(objectName, body, options);
    } catch (err) {
      // A missing bucket answers 404 to the upload (stat reads it as "no such object"): say which bucket.
      const typed = [ChecksumMismatchError, InvalidObjectNameError, SizeLimitError, StorageConflictError, TruncatedUploadError].some(
        (t) => err instanceof t,
      );
      if (!typed && !options.signal?.aborted && (await this.#bucketMissing())) throw new StorageBucketNotFoundError(this.#config.bucket);
      throw err;
    }
  }

  /** True only when GCS says the bucket does not exist (not when it cannot tell: no permission, network). */
  async #bucketMissing(): Promise<boolean> {
    try {
      const [exists] = await this.#storage.bucket(this.#config.bucket).exists();
      return !exists;
    } catch {
      return false;
    }
  }

  async checkReady(): Promise<void> {
    if (await this.#bucketMissing()) throw new StorageBucketNotFoundError(this.#config.bucket);
  }

  async #upload(objectName: string, body: UploadBody, options: UploadOptions): Promise<StoredObject> {
    const file = this.#file(objectName);
    const { contentType, metadata, expectedSize, signal, meterOptions } = beginUpload(objectName, options);
    const converged = await convergeIfStored(await this.stat(objectName), body, meterOptions, signal);
    if (converged) return converged;

    const meter = new ByteMeter(meterOptions);
    const sink = new GcsUploadSink(
      file.createWriteStream({
        resumable: this.#useResumable(expectedSize),
        validation: this.#config.validation,
        metadata: { contentType, metadata },
        // Create-only: of two racing or retried uploads exactly one commits; the other gets 412.
        preconditionOpts: { ifGenerationMatch: 0 },
      }),
    );
    try {
      await abortablePipeline(signal, body, meter, sink);
    } catch (err) {
      const validation = LIBRARY_VALIDATION_CODES[String(errorCode(err))];
      if (validation === undefined) throw err;
      throw new ChecksumMismatchError(this.#uri(objectName), this.#digestOrUnknown(meter), file.metadata.md5Hash, validation.removed);
    }
    const digest = meter.digest();

    if (sink.superseded) {
      const winner = await this.stat(objectName);
      if (!winner) throw new Error(`${this.#uri(objectName)}: another upload created it first, then it disappeared; retry`);
      return convergeOnExisting(winner, digest);
    }
    await this.#verifyStored(objectName, file, digest);
    return this.#toStoredObject(objectName, file.metadata, true);
  }

  #digestOrUnknown(meter: ByteMeter): string {
    try {
      return meter.digest().md5Base64;
    } catch {
      return '(unknown)';
    }
  }

  /** Compares the server's md5 with the one computed while streaming; removes our object on mismatch. */
  async #verifyStored(objectName: string, file: File, digest: BodyDigest): Promise<void> {
    const stored = file.metadata.md5Hash;
    if (stored === digest.md5Base64) return;
    let removed = false;
    try {
      // Only the generation this upload created: never someone else's object.
      await file.delete({ ifGenerationMatch: file.metadata.generation });
      removed = true;
    } catch (err) {
      removed = errorCode(err) === 404;
    }
    throw new ChecksumMismatchError(this.#uri(objectName), digest.md5Base64, stored, removed);
  }

  async stat(objectName: string): Promise<StoredObject | undefined> {
    const file = this.#file(objectName);
    try {
      const [metadata] = await file.getMetadata();
      return this.#toStoredObject(objectName, metadata, false);
    } catch (err) {
      if (errorCode(err) === 404) return undefined;
      throw err;
    }
  }

  async url(objectName: string): Promise<string> {
    const fullName = this.#fullName(objectName);
    const { bucket, urlMode, signedUrlTtlSeconds, apiEndpoint, publicBaseUrl } = this.#config;
    if (urlMode === 'signed') {
      return await this.#signer({ bucket, objectName: fullName, expires: new Date(Date.now() + signedUrlTtlSeconds * 1000) });
    }
    return publicObjectUrl({ endpoint: apiEndpoint ?? this.#storage.apiEndpoint, bucket, objectName: fullName, publicBaseUrl });
  }

  read(objectName: string): NodeJS.ReadableStream {
    return this.#file(objectName).createReadStream();
  }
}

/**
 * A VideoStorage on Google Cloud Storage. Credentials come from Application Default Credentials unless a
 * `storage` client is injected; `apiEndpoint` points the client at an emulator such as fake-gcs-server.
 * Throws a ZodError for invalid configuration.
 */
export function createGcsStorage(options: GcsStorageOptions): VideoStorage {
  const { storage: injected, signer, ...rest } = options;
  const config = gcsStorageConfigSchema.parse(rest);
  const storage =
    injected ??
    new Storage({
      ...(config.apiEndpoint !== undefined ? { apiEndpoint: config.apiEndpoint } : {}),
      ...(config.projectId !== undefined ? { projectId: config.projectId } : {}),
    });
  return new GcsVideoStorage(storage, config, signer ?? libraryUrlSigner(storage));
}
