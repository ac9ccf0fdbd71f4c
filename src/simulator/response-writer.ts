/** Writes a `SimResponse` to the socket, normally or through a body fault (slow trickle, truncation). */
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { SimResponse } from './http-response.js';

export type BodyDelivery =
  | { readonly mode: 'normal' }
  | { readonly mode: 'slow'; readonly chunkBytes: number; readonly intervalMs: number }
  | { readonly mode: 'truncated'; readonly sendBytes: number | undefined };

export async function writeResponse(res: ServerResponse, response: SimResponse, delivery: BodyDelivery, signal: AbortSignal): Promise<void> {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) });
  if (response.headOnly === true || response.body.length === 0) {
    res.end();
    return;
  }
  if (delivery.mode === 'normal') {
    res.end(response.body);
    return;
  }
  if (delivery.mode === 'truncated') {
    // The Content-Length promised the whole body; send part of it, then drop the connection.
    const sendBytes = Math.min(delivery.sendBytes ?? Math.floor(response.body.length / 2), Math.max(0, response.body.length - 1));
    res.flushHeaders();
    res.write(response.body.subarray(0, sendBytes), () => res.socket?.destroy());
    return;
  }
  res.flushHeaders();
  for (let offset = 0; offset < response.body.length; offset += delivery.chunkBytes) {
    if (res.destroyed) return;
    res.write(response.body.subarray(offset, offset + delivery.chunkBytes));
    if (offset + delivery.chunkBytes < response.body.length) await delay(delivery.intervalMs, undefined, { signal });
  }
  res.end();
}
