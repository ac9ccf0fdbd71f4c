import { z } from 'zod';

/** Base64 of a 16-byte MD5 digest, as GCS reports it in `md5Hash`. */
export const md5Base64Schema = z.string().regex(/^[A-Za-z0-9+/]{22}==$/, 'base64 of a 16-byte md5 digest');

/** GCS limit on the total size of custom metadata keys and values. */
export const MAX_CUSTOM_METADATA_BYTES = 8 * 1024;

function metadataBytes(metadata: Record<string, string>): number {
  return Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** Data part of UploadOptions (the callbacks and the signal are added in the UploadOptions type). */
export const uploadOptionsSchema = z.object({
  /** MIME type stored with the object, e.g. `video/mp4`. */
  contentType: z.string().regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, 'a MIME type such as video/mp4'),
  /** Custom metadata stored with the object (e.g. Kling task id, model, prompt hash). */
  metadata: z
    .record(z.string().min(1), z.string())
    .refine((m) => metadataBytes(m) <= MAX_CUSTOM_METADATA_BYTES, `custom metadata larger than ${MAX_CUSTOM_METADATA_BYTES} bytes`),
  /** Exact byte count the body must have (e.g. from Content-Length); a mismatch stores nothing. */
  expectedSize: z.int().nonnegative().optional(),
  /** Upper bound on the body; exceeding it stores nothing. */
  maxBytes: z.int().positive().optional(),
});

/** Options for VideoStorage.upload. */
export type UploadOptions = z.infer<typeof uploadOptionsSchema> & {
  /** Aborts the upload; nothing is left behind. The promise rejects with the stream's AbortError. */
  signal?: AbortSignal;
  /** Called with the running byte count as chunks pass (e.g. to heartbeat a Temporal activity). */
  onProgress?: (bytesWritten: number) => void;
};

/** A stored object as reported by the backend after upload or stat. */
export const storedObjectSchema = z.object({
  /** `gs://bucket/prefix/name` or `file:///abs/path`. */
  uri: z.string().min(1),
  /** The name the caller used (without the backend's prefix). */
  objectName: z.string().min(1),
  size: z.int().nonnegative(),
  md5Base64: md5Base64Schema,
  /** Base64 big-endian CRC32C, when the backend reports one (GCS does). */
  crc32c: z.string().optional(),
  contentType: z.string(),
  metadata: z.record(z.string(), z.string()),
  /** True when this call stored the bytes; false when it converged on an existing identical object (or for stat). */
  created: z.boolean(),
});

/** A stored object as reported by the backend after upload or stat. */
export type StoredObject = z.infer<typeof storedObjectSchema>;

/** A byte stream to upload: any async iterable of byte chunks, or a Node readable stream. */
export type UploadBody = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/** Where rehosted videos are kept. Implemented by GCS (production) and the local file system (dev, tests). */
export interface VideoStorage {
  /** Where objects live, for results and logs, e.g. `gs://bucket/prefix` or `file:///var/videos`. */
  readonly location: string;
  /**
   * Streams `body` to `objectName`, computing md5 and size as bytes pass, then verifies the stored checksum.
   * Atomic: a partially written object is never visible. Converges: if the object already exists with the
   * same md5 it is returned unchanged with `created: false`; with different content, StorageConflictError.
   * Honours `signal` (aborts, leaves nothing behind) and reports progress via `onProgress`. Rejects, storing
   * nothing, with SizeLimitError when more than `maxBytes` (or `expectedSize`) arrive and TruncatedUploadError
   * when the body ends short of `expectedSize`.
   */
  upload(objectName: string, body: UploadBody, options: UploadOptions): Promise<StoredObject>;
  /** Metadata of an existing object, or undefined. */
  stat(objectName: string): Promise<StoredObject | undefined>;
  /** An https (or file:) URL for the object: a public URL or a V4 signed URL, per configuration. */
  url(objectName: string): Promise<string>;
  /**
   * True when `url()` hands out URLs that expire (signed URLs): the rehost then keeps them out of its result, so no
   * signed URL enters a workflow history; callers ask for a fresh one (VideoGenerationClient.signedUrl). Default false.
   */
  readonly urlsExpire?: boolean;
  /**
   * Checks that objects can be stored at all (the GCS bucket exists); the worker calls it before polling.
   * Rejects with StorageBucketNotFoundError when the bucket is missing. Optional: backends with nothing to check omit it.
   */
  checkReady?(): Promise<void>;
  /** Streams an object back (used by tests and the CLI). */
  read(objectName: string): NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
}
