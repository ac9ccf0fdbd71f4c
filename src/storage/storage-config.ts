import type { Storage } from '@google-cloud/storage';
import { z } from 'zod';
import { createGcsStorage, gcsStorageConfigSchema } from './gcs-storage.js';
import type { UrlSigner } from './gcs-urls.js';
import { createLocalStorage } from './local-storage.js';
import type { VideoStorage } from './video-storage.js';

const blankToUndefined = (value: unknown): unknown => (value === '' ? undefined : value);

/**
 * Deployment configuration of video storage: GCS when `bucket` is set (empty string counts as unset, as
 * environment variables often are), otherwise the local directory `localRoot`.
 */
export const storageConfigSchema = gcsStorageConfigSchema.extend({
  bucket: z.preprocess(blankToUndefined, gcsStorageConfigSchema.shape.bucket.optional()),
  urlMode: gcsStorageConfigSchema.shape.urlMode.default('signed'),
  apiEndpoint: z.preprocess(blankToUndefined, gcsStorageConfigSchema.shape.apiEndpoint),
  /** Directory for the local backend when no bucket is configured. */
  localRoot: z.string().min(1).default('./data/videos'),
});

/** Deployment configuration of video storage, as accepted (see storageConfigSchema). */
export type StorageConfig = z.input<typeof storageConfigSchema>;

/** Collaborators to inject into the GCS backend (tests, custom auth or signing). */
export interface StorageDependencies {
  storage?: Storage;
  signer?: UrlSigner;
}

/** Builds the configured VideoStorage: GCS when a bucket is configured, else local. Throws ZodError on bad config. */
export function createStorageFromConfig(config: StorageConfig, dependencies: StorageDependencies = {}): VideoStorage {
  const { bucket, localRoot, ...gcs } = storageConfigSchema.parse(config);
  if (bucket === undefined) return createLocalStorage({ root: localRoot });
  return createGcsStorage({ ...gcs, bucket, ...dependencies });
}
