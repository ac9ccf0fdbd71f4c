import type { Storage } from '@google-cloud/storage';
import { libraryUrlSigner } from './storage/gcs-urls.js';

/** The longest a V4 signed URL may live (Google's limit). */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60;

/**
 * A fresh read URL for a stored video, from its permanent location (`result.uri`): a V4 signed URL for
 * `gs://bucket/name` (signed with `storage`'s credentials: a service-account key, or the IAM signBlob API of the
 * runtime account), the `file:` URL itself for local storage. Signed URLs expire, so results and workflow
 * histories keep only the `gs://` location; ask for a URL when one is needed, and never store it as permanent.
 */
export async function signedVideoUrl(uri: string, options: { expiresInSeconds?: number; storage?: Storage } = {}): Promise<string> {
  if (uri.startsWith('file:')) return uri;
  const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new TypeError(`uri: expected gs://<bucket>/<object> or file:…, got ${JSON.stringify(uri.slice(0, 80))}`);
  const seconds = options.expiresInSeconds ?? 3600;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_SIGNED_URL_SECONDS)
    throw new RangeError(`expiresIn: must be more than 0 and at most 7 days (${MAX_SIGNED_URL_SECONDS} s), got ${seconds} s`);
  const storage = options.storage ?? new (await import('@google-cloud/storage')).Storage();
  return libraryUrlSigner(storage)({ bucket: match[1]!, objectName: match[2]!, expires: new Date(Date.now() + seconds * 1000) });
}
