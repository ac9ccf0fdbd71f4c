import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** REF §4.2 / NEW §3.4: task ids are 18-digit numeric strings (beyond Number.MAX_SAFE_INTEGER, so strings). */
export function newTaskId(isTaken: (id: string) => boolean): string {
  for (;;) {
    // Observed ids start with 8 or 9 (867283741759111202, 930831534075682845).
    const id = `${randomInt(8, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    if (!isTaken(id)) return id;
  }
}

/** REF §4.2: request ids are UUIDs in the 2026 logs. */
export const newRequestId = (): string => randomUUID();

/** REF §4.3: "globally unique video id". */
export const newVideoId = (): string => randomUUID();

/** The opaque part of a CDN URL; unguessable like the real hotlink-protected URLs (NEW §3.5). */
export const newMediaToken = (): string => randomBytes(16).toString('hex');
