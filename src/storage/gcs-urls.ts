import type { Storage } from '@google-cloud/storage';

/** The production endpoint; its objects have the short public form `https://storage.googleapis.com/<bucket>/<name>`. */
export const GOOGLE_STORAGE_ENDPOINT = 'https://storage.googleapis.com';

/** What a signer needs to produce a read URL for one object. */
export interface SignRequest {
  bucket: string;
  /** Full object name in the bucket (prefix included). */
  objectName: string;
  /** When the URL stops working. */
  expires: Date;
}

/**
 * Produces a V4 signed read URL. The default uses `file.getSignedUrl`, which signs locally with a service
 * account key when the Storage client has one and otherwise calls the IAM signBlob API (the runtime service
 * account then needs `iam.serviceAccounts.signBlob` on itself). Inject one to sign elsewhere or in tests.
 */
export type UrlSigner = (request: SignRequest) => Promise<string>;

/** The default UrlSigner: `getSignedUrl({ version: 'v4', action: 'read' })` through `storage`. */
export function libraryUrlSigner(storage: Storage): UrlSigner {
  return async ({ bucket, objectName, expires }) => {
    const [url] = await storage.bucket(bucket).file(objectName).getSignedUrl({ version: 'v4', action: 'read', expires });
    return url;
  };
}

/** Percent-encodes each `/`-separated segment, keeping the slashes (the XML API path form). */
function encodePath(objectName: string): string {
  return objectName.split('/').map(encodeURIComponent).join('/');
}

/**
 * URL of a publicly readable object. With `publicBaseUrl` (e.g. a CDN or load balancer in front of the bucket)
 * it is `<publicBaseUrl>/<name>`. Against production GCS it is `https://storage.googleapis.com/<bucket>/<name>`.
 * Against any other endpoint (fake-gcs-server, a private endpoint) it is the JSON API media link
 * `<endpoint>/download/storage/v1/b/<bucket>/o/<name>?alt=media`, which real GCS serves too and which
 * fake-gcs-server answers whatever its `-public-host` setting.
 */
export function publicObjectUrl(args: { endpoint: string; bucket: string; objectName: string; publicBaseUrl?: string }): string {
  const { bucket, objectName, publicBaseUrl } = args;
  if (publicBaseUrl !== undefined) return `${publicBaseUrl.replace(/\/+$/, '')}/${encodePath(objectName)}`;
  const endpoint = args.endpoint.replace(/\/+$/, '');
  if (endpoint === GOOGLE_STORAGE_ENDPOINT) return `${endpoint}/${encodeURIComponent(bucket)}/${encodePath(objectName)}`;
  return `${endpoint}/download/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(objectName)}?alt=media`;
}
