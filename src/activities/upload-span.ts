import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { StoredObject, VideoStorage } from '../storage/index.js';

/**
 * Runs a storage upload in a `storage.upload` span (a child of the rehost activity's span when tracing is on; a
 * no-op through the global OpenTelemetry API otherwise). Attributes: where (`storage.location`, the object name),
 * and what was stored (bytes, content type, whether this call created it). Never a URL: signed ones carry a token.
 */
export function inUploadSpan(storage: VideoStorage, objectName: string, upload: () => Promise<StoredObject>): Promise<StoredObject> {
  return trace
    .getTracer('kling-temporal')
    .startActiveSpan('storage.upload', { attributes: { 'storage.location': storage.location, 'storage.object_name': objectName } }, async (span) => {
      try {
        const stored = await upload();
        span.setAttributes({ 'storage.bytes': stored.size, 'storage.content_type': stored.contentType, 'storage.created': stored.created });
        return stored;
      } catch (err) {
        const type = err instanceof Error ? err.name : 'error';
        span.setAttribute('error.type', type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: type });
        throw err;
      } finally {
        span.end();
      }
    });
}
