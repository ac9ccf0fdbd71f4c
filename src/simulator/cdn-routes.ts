/**
 * `GET|HEAD /cdn/<token>.mp4` — the result files. REF §6.2: URLs expire (403 by default, configurable 404);
 * single byte ranges are served as 206 so clients can resume downloads.
 */
import { plainResponse, type SimResponse } from './http-response.js';
import type { RouteContext } from './route-context.js';
import type { SimulatorCore } from './simulator-core.js';

interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** RFC 9110 single range; undefined = ignore the header (multi-range or malformed), 'unsatisfiable' → 416. */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/** Answer of an expired (or fault-expired) URL. */
export function expiredMediaResponse(core: Pick<SimulatorCore, 'options'>): SimResponse {
  return plainResponse(core.options.expiredVideoStatus, 'AccessDenied: this media URL has expired');
}

export function serveMedia(context: RouteContext): SimResponse {
  const rangeHeader = context.headers.range;
  const token = context.params.token ?? '';
  const entry = context.core.media.lookup(token);
  if (entry === undefined) return plainResponse(404, 'NoSuchKey: the media does not exist');
  if (context.core.now() >= entry.availableUntil) return expiredMediaResponse(context.core);

  const bytes = context.core.media.bytes(entry.taskId, entry.variant);
  const headOnly = context.method === 'HEAD';
  const common = {
    'content-type': 'video/mp4',
    'accept-ranges': 'bytes',
    etag: `"${entry.taskId}-${entry.variant}-${bytes.length}"`,
  };
  const range = parseRange(rangeHeader, bytes.length);
  if (range === 'unsatisfiable') {
    return { status: 416, headers: { ...common, 'content-range': `bytes */${bytes.length}` }, body: Buffer.alloc(0), code: null, headOnly };
  }
  if (range === undefined) return { status: 200, headers: common, body: bytes, code: null, headOnly };
  return {
    status: 206,
    headers: { ...common, 'content-range': `bytes ${range.start}-${range.end}/${bytes.length}` },
    body: bytes.subarray(range.start, range.end + 1),
    code: null,
    headOnly,
  };
}

const NOT_VIDEO_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>The media edge could not reach its origin.</p></body></html>\n';

/**
 * The `not-video` fault: the same status and headers (`video/mp4`, same length), but an HTML page padded with
 * spaces to the body's length instead of the MP4 bytes. Error answers pass unchanged.
 */
export function notVideoResponse(response: SimResponse): SimResponse {
  if (response.status !== 200 && response.status !== 206) return response;
  const body = Buffer.alloc(response.body.length, ' ');
  body.write(NOT_VIDEO_PAGE.slice(0, body.length), 0, 'latin1');
  return { ...response, body };
}
