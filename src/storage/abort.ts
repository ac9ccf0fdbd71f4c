import { pipeline } from 'node:stream/promises';

/**
 * Throws what `stream.pipeline` rejects with when its signal fires - an Error named `AbortError` whose `cause`
 * is the signal's reason - so callers see one shape whether the upload was cancelled before or during streaming.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
  }
}

/**
 * `stream.pipeline` that rejects as soon as `signal` fires. Since Node 24, pipeline waits for an async-iterable
 * source to settle before rejecting, so a source stalled in an await would hold an aborted upload forever;
 * the streams are still destroyed by pipeline itself, so nothing gets committed.
 */
export async function abortablePipeline(
  signal: AbortSignal | undefined,
  source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  ...rest: [...NodeJS.ReadWriteStream[], NodeJS.WritableStream]
): Promise<void> {
  const done = (pipeline as (...args: unknown[]) => Promise<void>)(source, ...rest, { signal });
  if (!signal) return done;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      try {
        throwIfAborted(signal);
      } catch (err) {
        reject(err);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    done.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
