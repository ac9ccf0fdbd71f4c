// Deterministic, streamed test bodies: several MiB without ever holding more than one chunk in memory.
import { createHash } from 'node:crypto';

export const MiB = 1024 * 1024;

/** A reproducible pseudo-random body of `size` bytes, produced chunk by chunk. */
export interface ByteSource {
  size: number;
  /** md5 of the whole body, base64 (GCS `md5Hash` form). */
  md5Base64: string;
  /** A fresh generator over the body each call. */
  chunks(): AsyncGenerator<Uint8Array>;
}

export interface ByteSourceOptions {
  /** Different seeds give different bodies of the same size. */
  seed?: number;
  chunkSize?: number;
  /** Called before yielding each chunk with the bytes yielded so far; await it to stall or pace the body. */
  beforeChunk?: (bytesSoFar: number) => Promise<void> | void;
}

function* pseudoRandomChunks(size: number, seed: number, chunkSize: number): Generator<Uint8Array> {
  // xorshift32: cheap, deterministic, and not compressible into accidental md5 collisions between seeds.
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let offset = 0; offset < size; offset += chunkSize) {
    const chunk = new Uint8Array(Math.min(chunkSize, size - offset));
    for (let i = 0; i < chunk.length; i += 1) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      chunk[i] = state & 0xff;
    }
    yield chunk;
  }
}

/** A ByteSource of `size` bytes. */
export function byteSource(size: number, options: ByteSourceOptions = {}): ByteSource {
  const { seed = 1, chunkSize = 64 * 1024, beforeChunk } = options;
  const hash = createHash('md5');
  for (const chunk of pseudoRandomChunks(size, seed, chunkSize)) hash.update(chunk);
  return {
    size,
    md5Base64: hash.digest('base64'),
    async *chunks() {
      let soFar = 0;
      for (const chunk of pseudoRandomChunks(size, seed, chunkSize)) {
        await beforeChunk?.(soFar);
        soFar += chunk.length;
        yield chunk;
      }
    },
  };
}

/** md5 (base64) and size of a streamed body, e.g. what `read()` or a fetched URL returns. */
export async function digestOf(body: AsyncIterable<Uint8Array | string>): Promise<{ size: number; md5Base64: string }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    size += bytes.length;
  }
  return { size, md5Base64: hash.digest('base64') };
}
