/**
 * The simulator's CDN: result URLs (`/cdn/<token>.mp4`) and their bytes. REF §6.2 / NEW §3.5: URLs are
 * cleared after 30 days (configurable TTL, counted from the moment the task finished); expired → 403 by default.
 */
import { createHash } from 'node:crypto';
import { buildMp4 } from './mp4.js';
import { newMediaToken } from './ids.js';

export type MediaVariant = 'video' | 'watermark';

export interface MediaEntry {
  readonly taskId: string;
  readonly variant: MediaVariant;
  readonly availableUntil: number;
}

export interface MediaSettings {
  readonly sizeBytes: number;
  readonly ttlMs: number;
}

const CACHE_LIMIT = 32;

export class MediaRegistry {
  #entries = new Map<string, MediaEntry>();
  #bytes = new Map<string, Buffer>();

  constructor(private readonly settings: MediaSettings) {}

  /** Registers a downloadable file for a finished task and returns its opaque token. */
  publish(taskId: string, variant: MediaVariant, finishedAt: number): string {
    const token = newMediaToken();
    this.#entries.set(token, { taskId, variant, availableUntil: finishedAt + this.settings.ttlMs });
    return token;
  }

  lookup(token: string): MediaEntry | undefined {
    return this.#entries.get(token);
  }

  /** The deterministic bytes of a task's video (or its watermarked copy). */
  bytes(taskId: string, variant: MediaVariant = 'video'): Buffer {
    const key = `${taskId}:${variant}`;
    let bytes = this.#bytes.get(key);
    if (bytes === undefined) {
      bytes = buildMp4(variant === 'video' ? `task ${taskId}` : `task ${taskId} watermark`, this.settings.sizeBytes);
      if (this.#bytes.size >= CACHE_LIMIT) {
        const oldest = this.#bytes.keys().next().value;
        if (oldest !== undefined) this.#bytes.delete(oldest);
      }
      this.#bytes.set(key, bytes);
    }
    return bytes;
  }

  sha256(taskId: string, variant: MediaVariant = 'video'): string {
    return createHash('sha256').update(this.bytes(taskId, variant)).digest('hex');
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes.clear();
  }
}
