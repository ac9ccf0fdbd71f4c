import type { KlingTask } from '../kling/index.js';

/** How long a URL read from Kling is reused by the rehost before it asks Kling again. */
export const RECENT_VIDEO_URL_MAX_AGE_MS = 60_000;
/** Entries kept at most (the oldest go first): a bound on memory when rehosts run elsewhere or never. */
export const RECENT_VIDEO_URLS_MAX_ENTRIES = 10_000;

/**
 * The video URLs of succeeded tasks this worker process read from Kling moments ago (a status check, a callback's
 * confirmation, a batch lookup), by task id. The rehost that follows takes the URL from here instead of asking Kling
 * for it once more: one Kling call per video less. Memory only: a CDN link never enters workflow history. A URL is
 * taken once, and only while younger than `maxAgeMs`; a rehost on another worker, or after a restart, finds none
 * and asks Kling as before, and one whose link no longer serves (403/404/410) asks Kling for a fresh one.
 */
export class RecentVideoUrls {
  readonly #urls = new Map<string, { url: string; seenAt: number }>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxAgeMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? RECENT_VIDEO_URL_MAX_AGE_MS;
    this.#maxEntries = options.maxEntries ?? RECENT_VIDEO_URLS_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  /** Keeps the first video URL of a succeeded task; other tasks (and a task without a video) are ignored. */
  remember(task: KlingTask | undefined): void {
    const url = task?.status === 'succeeded' ? task.videos[0]?.url : undefined;
    if (!task || !url) return;
    // Re-inserted at the end: the Map's order is the age order the eviction below relies on.
    this.#urls.delete(task.taskId);
    this.#urls.set(task.taskId, { url, seenAt: this.#now() });
    for (const oldest of this.#urls.keys()) {
      if (this.#urls.size <= this.#maxEntries) break;
      this.#urls.delete(oldest);
    }
  }

  /** The URL read for this task within `maxAgeMs`, removed as it is returned; `undefined` when there is none. */
  take(taskId: string): string | undefined {
    const entry = this.#urls.get(taskId);
    if (!entry) return undefined;
    this.#urls.delete(taskId);
    return this.#now() - entry.seenAt <= this.#maxAgeMs ? entry.url : undefined;
  }

  /** URLs held now (tests, diagnostics). */
  get size(): number {
    return this.#urls.size;
  }
}
