// The sink's 412 and failure handling, with a stand-in for the library's upload stream (the emulator does
// not send 412 before the body is complete, which production GCS may do).
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ByteMeter } from '../../src/storage/byte-meter.js';
import { GcsUploadSink, isPreconditionFailed } from '../../src/storage/gcs-upload-sink.js';
import { MiB, byteSource } from './byte-source.js';

/** An upload stream that accepts `failAfter` bytes, then fails with `error` (and no more writes). */
function failingUpload(failAfter: number, error: Error): Writable & { received: number } {
  const upload = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      upload.received += chunk.length;
      if (upload.received >= failAfter) callback(error);
      else setImmediate(callback);
    },
  }) as Writable & { received: number };
  upload.received = 0;
  return upload;
}

const preconditionFailed = (): Error => Object.assign(new Error('Precondition Failed'), { code: 412 });

describe('GcsUploadSink', () => {
  it('after an early 412 drains the rest of the body so the md5 of the whole body is known', async () => {
    const body = byteSource(4 * MiB, { seed: 1 });
    const upload = failingUpload(MiB, preconditionFailed());
    const meter = new ByteMeter({ objectName: 'x' });
    const sink = new GcsUploadSink(upload);

    await pipeline(body.chunks(), meter, sink);

    expect(sink.superseded).toBe(true);
    expect(upload.received).toBeLessThan(2 * MiB);
    expect(meter.digest()).toEqual({ size: body.size, md5Base64: body.md5Base64 });
  });

  it('fails the pipeline at once on any other upload error', async () => {
    let pulled = 0;
    const body = byteSource(8 * MiB, { beforeChunk: (n) => void (pulled = n) });
    const sink = new GcsUploadSink(failingUpload(MiB, Object.assign(new Error('boom'), { code: 503 })));

    await expect(pipeline(body.chunks(), new ByteMeter({ objectName: 'x' }), sink)).rejects.toThrow('boom');
    expect(sink.superseded).toBe(false);
    expect(pulled).toBeLessThan(3 * MiB);
  });

  it('finishes only after the upload stream has finished', async () => {
    const events: string[] = [];
    const upload = new Writable({
      write: (_chunk, _encoding, callback) => setImmediate(callback),
      final: (callback) => {
        setTimeout(() => {
          events.push('upload committed');
          callback();
        }, 20);
      },
    });
    const sink = new GcsUploadSink(upload);
    await pipeline(byteSource(MiB).chunks(), sink);
    events.push('pipeline done');
    expect(events).toEqual(['upload committed', 'pipeline done']);
  });

  it('recognises 412 in the shapes the library reports it', () => {
    expect(isPreconditionFailed({ code: 412 })).toBe(true);
    expect(isPreconditionFailed({ status: 412 })).toBe(true);
    expect(isPreconditionFailed({ response: { status: 412 } })).toBe(true);
    expect(isPreconditionFailed({ code: 404 })).toBe(false);
    expect(isPreconditionFailed(new Error('x'))).toBe(false);
    expect(isPreconditionFailed(null)).toBe(false);
  });
});
