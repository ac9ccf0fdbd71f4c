// Video storage: where videos downloaded from Kling's expiring CDN are rehosted.
export type { StoredObject, UploadBody, UploadOptions, VideoStorage } from './video-storage.js';
export { storedObjectSchema, uploadOptionsSchema } from './video-storage.js';
export {
  ChecksumMismatchError,
  InvalidObjectNameError,
  SizeLimitError,
  StorageBucketNotFoundError,
  StorageConflictError,
  TruncatedUploadError,
} from './errors.js';
export { assertValidObjectName } from './object-name.js';
export { createGcsStorage, gcsStorageConfigSchema, type GcsStorageConfig, type GcsStorageOptions } from './gcs-storage.js';
export { libraryUrlSigner, type SignRequest, type UrlSigner } from './gcs-urls.js';
export { createLocalStorage, localStorageConfigSchema, type LocalStorageConfig } from './local-storage.js';
export { createStorageFromConfig, storageConfigSchema, type StorageConfig, type StorageDependencies } from './storage-config.js';
