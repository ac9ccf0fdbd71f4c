import { throwIfAborted } from './abort.js';
import { assertAnnouncedSizeWithinLimit, measureBody, type ByteMeterOptions } from './byte-meter.js';
import { convergeOnExisting } from './convergence.js';
import { uploadOptionsSchema, type StoredObject, type UploadBody, type UploadOptions } from './video-storage.js';

/** The checks every backend's upload starts with: options parsed, announced size within bounds, not aborted. */
export function beginUpload(objectName: string, options: UploadOptions) {
  const { contentType, metadata, expectedSize, maxBytes } = uploadOptionsSchema.parse(options);
  const { signal, onProgress } = options;
  const meterOptions: ByteMeterOptions = { objectName, expectedSize, maxBytes, onProgress };
  assertAnnouncedSizeWithinLimit(meterOptions);
  throwIfAborted(signal);
  return { contentType, metadata, expectedSize, signal, meterOptions };
}

/**
 * Fast path for retries: when the object exists already, only hash the body to converge on it (or conflict).
 * Returns undefined when there is nothing stored yet.
 */
export async function convergeIfStored(
  existing: StoredObject | undefined,
  body: UploadBody,
  meterOptions: ByteMeterOptions,
  signal: AbortSignal | undefined,
): Promise<StoredObject | undefined> {
  return existing ? convergeOnExisting(existing, await measureBody(body, meterOptions, signal)) : undefined;
}
