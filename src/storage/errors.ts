// Typed failures of VideoStorage. Messages name objects by their storage URI or object name only:
// never URLs (a signed URL or resumable-session URL is a bearer credential) and never library error text.

/** The object already exists with different content (md5); the upload was not applied. */
export class StorageConflictError extends Error {
  override readonly name = 'StorageConflictError';
  constructor(
    readonly uri: string,
    readonly existingMd5Base64: string,
    readonly uploadedMd5Base64: string,
    detail = '',
  ) {
    super(`${uri} already exists with different content (md5 ${existingMd5Base64}, upload md5 ${uploadedMd5Base64})${detail ? `; ${detail}` : ''}`);
  }
}

/** What the backend stored does not hash to what was sent; the bad object was removed (unless `removed` is false). */
export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
  constructor(
    readonly uri: string,
    readonly expectedMd5Base64: string,
    readonly storedMd5Base64: string | undefined,
    readonly removed: boolean,
  ) {
    super(
      `${uri}: stored checksum ${storedMd5Base64 ?? '(none reported)'} does not match uploaded md5 ${expectedMd5Base64}; ` +
        (removed ? 'the stored object was removed' : 'the stored object could NOT be removed'),
    );
  }
}

/** The body ended before `expectedSize` bytes arrived; nothing was stored. */
export class TruncatedUploadError extends Error {
  override readonly name = 'TruncatedUploadError';
  constructor(
    readonly objectName: string,
    readonly expectedSize: number,
    readonly receivedSize: number,
  ) {
    super(`${objectName}: body ended after ${receivedSize} bytes, expected ${expectedSize}; nothing was stored`);
  }
}

/** More bytes arrived than allowed (`maxBytes`, or the announced `expectedSize`); nothing was stored. */
export class SizeLimitError extends Error {
  override readonly name = 'SizeLimitError';
  constructor(
    readonly objectName: string,
    readonly limit: number,
    readonly limitKind: 'maxBytes' | 'expectedSize',
    /** Bytes seen when the limit tripped (or the announced size when rejected up front). */
    readonly receivedSize: number,
  ) {
    super(`${objectName}: ${receivedSize} bytes exceed ${limitKind} ${limit}; nothing was stored`);
  }
}

/** The object name is unsafe or malformed; `problem` says why. */
export class InvalidObjectNameError extends Error {
  override readonly name = 'InvalidObjectNameError';
  constructor(
    readonly objectName: string,
    readonly problem: string,
  ) {
    // JSON.stringify so control characters in a hostile name cannot forge log lines.
    super(`invalid object name ${JSON.stringify(objectName)}: ${problem}`);
  }
}

/**
 * The configured bucket does not exist (or the credentials cannot see it): nothing can be stored until it is
 * created. Not transient, so not worth retrying; named so an operator knows which bucket to create.
 */
export class StorageBucketNotFoundError extends Error {
  override readonly name = 'StorageBucketNotFoundError';
  constructor(readonly bucket: string) {
    super(`storage bucket gs://${bucket} does not exist: create it (or fix GCS_BUCKET / GCS_API_ENDPOINT)`);
  }
}
