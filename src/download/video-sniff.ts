// Recognises an MP4 by its first bytes, so the rehost does not store whatever a CDN answers with a video
// Content-Type (an HTML error page, a JSON envelope, an empty or garbage body). Kling's results are MP4 files
// (`…/output.mp4`, docs/reference/kling-api.md §4.3); an MP4 is an ISO base media file (ISO/IEC 14496-12): a sequence of boxes,
// each starting with a 32-bit big-endian size and a four-character type. A conforming file starts with `ftyp`
// (its major brand follows: `isom`, `mp42`, `avc1`, `iso5`, `qt  `, …). Older QuickTime writers start straight
// with `moov`, `mdat`, `free`, `skip`, `wide` or `pnot`; those are accepted too.
import type { Readable } from 'node:stream';

/** Bytes needed to decide: the first box header (size, type) and, for `ftyp`, the major brand. */
const MIN_SNIFF_BYTES = 12;

/** Bytes to read before deciding: enough to decide, and to show what a refused body starts with. */
export const VIDEO_SNIFF_BYTES = 16;

/** First boxes of QuickTime files written without `ftyp`. */
const QUICKTIME_FIRST_BOXES: ReadonlySet<string> = new Set(['moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

/** Largest plausible `ftyp` box: header, brands and a generous list of compatible brands. */
const MAX_FTYP_BYTES = 1024;

/** What the first bytes say: an MP4 (with its major brand when it has an `ftyp`), or why not. */
export type VideoSniff =
  | { readonly ok: true; readonly format: 'iso-bmff' | 'quicktime'; readonly brand?: string; readonly firstBox: string }
  | { readonly ok: false; readonly reason: string };

const isFourCc = (bytes: Uint8Array) => bytes.length === 4 && bytes.every((b) => b >= 0x20 && b <= 0x7e);
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

/** A printable, bounded preview of bytes for error messages (`<!DOCTYPE html>`, `\x00\x01…`). */
export function previewBytes(bytes: Uint8Array, max = 16): string {
  let out = '';
  for (const b of bytes.subarray(0, max))
    out += b >= 0x20 && b <= 0x7e && b !== 0x5c && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${out}"${bytes.length > max ? '…' : ''}`;
}

/**
 * Decides from the first bytes of a body (VIDEO_SNIFF_BYTES; at least 12 are needed) whether it is an MP4.
 * `ftyp` needs a plausible size (16…1024) and a printable major brand; the QuickTime first boxes need a size
 * of 0 (to the end of the file), 1 (64-bit size follows) or at least 8.
 */
export function sniffMp4(head: Uint8Array): VideoSniff {
  if (head.length < MIN_SNIFF_BYTES) return { ok: false, reason: `the body has only ${head.length} bytes (${previewBytes(head)})` };
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const size = view.getUint32(0);
  const typeBytes = head.subarray(4, 8);
  const type = latin1(typeBytes);
  if (type === 'ftyp') {
    const brand = head.subarray(8, 12);
    if (size < 16 || size > MAX_FTYP_BYTES) return { ok: false, reason: `its ftyp box has an implausible size of ${size} bytes` };
    if (!isFourCc(brand)) return { ok: false, reason: `its ftyp box has no readable major brand (${previewBytes(brand)})` };
    return { ok: true, format: 'iso-bmff', brand: latin1(brand), firstBox: type };
  }
  if (QUICKTIME_FIRST_BOXES.has(type) && (size === 0 || size === 1 || size >= 8)) return { ok: true, format: 'quicktime', firstBox: type };
  return { ok: false, reason: `it starts with ${previewBytes(head)}, not an ISO-BMFF/QuickTime box (ftyp, moov, mdat, free, skip, wide)` };
}

/**
 * Reads the first `bytes` bytes of a stream without consuming them: they are pushed back (`unshift`), so the
 * stream can then be piped as if untouched. Resolves with fewer bytes when the stream ends first (it is then
 * fully consumed). Rejects on a stream error or when `signal` aborts.
 */
export function peekStream(stream: Readable, bytes: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReadable = () => {
      let chunk: Buffer | string | null;
      while (length < bytes && (chunk = stream.read() as Buffer | string | null) !== null) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        chunks.push(buf);
        length += buf.length;
      }
      if (length < bytes) return;
      cleanup();
      const head = Buffer.concat(chunks);
      stream.unshift(head);
      resolve(head.subarray(0, bytes));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => {
      cleanup();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    if (stream.errored) {
      reject(stream.errored);
      return;
    }
    if (stream.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('error', onError);
    stream.on('end', onEnd);
    stream.on('readable', onReadable);
  });
}
