import { createHash, type Hash } from 'node:crypto';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { abortablePipeline } from './abort.js';

import { SizeLimitError, TruncatedUploadError } from './errors.js';

/** Limits and progress reporting for one upload body. */
export interface ByteMeterOptions {
  /** Used in error messages. */
  objectName: string;
  expectedSize?: number;
  maxBytes?: number;
  onProgress?: (bytesWritten: number) => void;
}

/** Size and md5 of a complete body. */
export interface BodyDigest {
  size: number;
  md5Base64: string;
}

/**
 * A pass-through Transform that counts and md5-hashes the bytes flowing to a storage sink, and fails the
 * pipeline (so the sink is destroyed and nothing is committed) as soon as the body is too long, or at the end
 * when it is shorter than announced. Errors raised here are SizeLimitError / TruncatedUploadError.
 */
export class ByteMeter extends Transform {
  readonly #options: ByteMeterOptions;
  readonly #hash: Hash = createHash('md5');
  #size = 0;
  #digest: BodyDigest | undefined;

  constructor(options: ByteMeterOptions) {
    super();
    this.#options = options;
  }

  /** Size and md5 of the body; only available after the stream has ended without error. */
  digest(): BodyDigest {
    if (this.#digest === undefined) throw new Error('ByteMeter.digest() called before the body ended');
    return this.#digest;
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!(chunk instanceof Uint8Array)) {
      callback(new TypeError(`${this.#options.objectName}: upload body must yield Uint8Array chunks, got ${typeof chunk}`));
      return;
    }
    this.#size += chunk.byteLength;
    const { objectName, maxBytes, expectedSize, onProgress } = this.#options;
    if (maxBytes !== undefined && this.#size > maxBytes) {
      callback(new SizeLimitError(objectName, maxBytes, 'maxBytes', this.#size));
      return;
    }
    if (expectedSize !== undefined && this.#size > expectedSize) {
      callback(new SizeLimitError(objectName, expectedSize, 'expectedSize', this.#size));
      return;
    }
    this.#hash.update(chunk);
    try {
      onProgress?.(this.#size);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { objectName, expectedSize } = this.#options;
    if (expectedSize !== undefined && this.#size !== expectedSize) {
      // Failing in flush, before the sink is ended, is what keeps a short body from being committed.
      callback(new TruncatedUploadError(objectName, expectedSize, this.#size));
      return;
    }
    this.#digest = { size: this.#size, md5Base64: this.#hash.digest('base64') };
    callback();
  }
}

/** Rejects up front, before any byte is read, when the announced size already exceeds `maxBytes`. */
export function assertAnnouncedSizeWithinLimit(options: ByteMeterOptions): void {
  const { objectName, expectedSize, maxBytes } = options;
  if (expectedSize !== undefined && maxBytes !== undefined && expectedSize > maxBytes) {
    throw new SizeLimitError(objectName, maxBytes, 'maxBytes', expectedSize);
  }
}

/**
 * Reads the whole body through a ByteMeter without storing it: how an upload learns the md5 of a body whose
 * object already exists, to decide between converging and StorageConflictError.
 */
export async function measureBody(
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: ByteMeterOptions,
  signal?: AbortSignal,
): Promise<BodyDigest> {
  const meter = new ByteMeter(options);
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await abortablePipeline(signal, body, meter, discard);
  return meter.digest();
}
