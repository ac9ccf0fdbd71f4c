import { Writable } from 'node:stream';

/** True for GCS "412 Precondition Failed" errors, whichever transport (JSON API, resumable session) raised them. */
export function isPreconditionFailed(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  return e.code === 412 || e.code === '412' || e.status === 412 || e.response?.status === 412;
}

/**
 * Forwards the body to a GCS object write stream created with `ifGenerationMatch: 0`. When GCS answers 412
 * (another writer created the object first) the sink keeps accepting and discarding the rest of the body, so
 * the ByteMeter upstream still sees every byte and the caller can compare md5s to converge or report a
 * conflict. Any other upload error fails the pipeline at once. The sink finishes only when the upload has
 * been committed (and validated by the library) or has been superseded.
 */
export class GcsUploadSink extends Writable {
  readonly #upload: Writable;
  /** Resolves once the upload has committed, been superseded (412) or failed. */
  readonly #outcome: Promise<void>;
  #settled = false;
  #superseded = false;

  constructor(upload: Writable) {
    super();
    this.#upload = upload;
    this.#outcome = new Promise((resolve) => {
      // 'finish' on the library's stream comes after the server accepted the object and md5 validation passed.
      upload.once('finish', () => {
        this.#settled = true;
        resolve();
      });
      upload.on('error', (err: Error) => {
        this.#settled = true;
        if (isPreconditionFailed(err)) this.#superseded = true;
        else this.destroy(err);
        resolve();
      });
    });
  }

  /** True when the object was created by someone else first (412); the rest of the body was drained, not stored. */
  get superseded(): boolean {
    return this.#superseded;
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#settled || this.#upload.write(chunk)) {
      callback();
      return;
    }
    // Back-pressure: continue on 'drain', or as soon as the upload settles (a failure destroys this sink).
    let onDrain: () => void = () => undefined;
    const drained = new Promise<void>((resolve) => {
      onDrain = resolve;
      this.#upload.once('drain', onDrain);
    });
    void Promise.race([drained, this.#outcome]).then(() => {
      this.#upload.removeListener('drain', onDrain);
      callback();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#settled) this.#upload.end();
    void this.#outcome.then(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Abort the request so GCS never commits a partial body: a multipart request is cut off, a resumable
    // session is never finalized.
    if (!this.#settled) this.#upload.destroy(error ?? new Error('upload cancelled'));
    callback(error);
  }
}
