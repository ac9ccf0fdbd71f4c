import type { BodyDigest } from './byte-meter.js';
import { StorageConflictError } from './errors.js';
import type { StoredObject } from './video-storage.js';

/**
 * The outcome of uploading `digest` to a name that already holds `existing`: the existing object, reported
 * with `created: false`, when the md5s agree (a retry or a racing duplicate); StorageConflictError otherwise.
 * Only the content decides - content type and custom metadata of the existing object are kept as they are.
 */
export function convergeOnExisting(existing: StoredObject, digest: BodyDigest, detail?: string): StoredObject {
  if (existing.md5Base64 !== digest.md5Base64) {
    throw new StorageConflictError(existing.uri, existing.md5Base64, digest.md5Base64, detail);
  }
  return { ...existing, created: false };
}
