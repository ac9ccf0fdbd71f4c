import { describe, expect, it } from 'vitest';
import { RecentVideoUrls } from '../../src/activities/recent-video-urls.js';
import type { KlingTask } from '../../src/kling/index.js';

function task(taskId: string, status: KlingTask['status'], url?: string): KlingTask {
  return {
    taskId,
    standard: 'new',
    kind: 'text-to-video',
    status,
    videos: url === undefined ? [] : [{ id: `v-${taskId}`, url }],
  };
}

describe('RecentVideoUrls', () => {
  it('keeps the video URL of a succeeded task, once: the second take finds none', () => {
    const urls = new RecentVideoUrls();
    urls.remember(task('t1', 'succeeded', 'https://cdn.example/t1.mp4'));
    expect(urls.take('t1')).toBe('https://cdn.example/t1.mp4');
    expect(urls.take('t1')).toBeUndefined();
    expect(urls.size).toBe(0);
  });

  it('ignores tasks that are not succeeded, tasks without a video, and nothing', () => {
    const urls = new RecentVideoUrls();
    urls.remember(task('t1', 'processing'));
    urls.remember(task('t2', 'failed'));
    urls.remember(task('t3', 'succeeded'));
    urls.remember(undefined);
    expect(urls.size).toBe(0);
    expect(urls.take('t1')).toBeUndefined();
  });

  it('gives no URL older than maxAgeMs (and forgets it)', () => {
    let now = 1_000;
    const urls = new RecentVideoUrls({ maxAgeMs: 60_000, now: () => now });
    urls.remember(task('t1', 'succeeded', 'https://cdn.example/a.mp4'));
    urls.remember(task('t2', 'succeeded', 'https://cdn.example/b.mp4'));
    now += 60_000;
    expect(urls.take('t1')).toBe('https://cdn.example/a.mp4');
    now += 1;
    expect(urls.take('t2')).toBeUndefined();
    expect(urls.size).toBe(0);
  });

  it('a task read again keeps its newest URL and reading time', () => {
    let now = 0;
    const urls = new RecentVideoUrls({ maxAgeMs: 10, now: () => now });
    urls.remember(task('t1', 'succeeded', 'https://cdn.example/old.mp4'));
    now = 8;
    urls.remember(task('t1', 'succeeded', 'https://cdn.example/new.mp4'));
    now = 15;
    expect(urls.take('t1')).toBe('https://cdn.example/new.mp4');
  });

  it('holds at most maxEntries, dropping the longest-held first', () => {
    const urls = new RecentVideoUrls({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) urls.remember(task(id, 'succeeded', `https://cdn.example/${id}.mp4`));
    urls.remember(task('a', 'succeeded', 'https://cdn.example/a2.mp4')); // read again: now the newest
    urls.remember(task('d', 'succeeded', 'https://cdn.example/d.mp4'));
    expect(urls.size).toBe(3);
    expect(urls.take('b')).toBeUndefined();
    expect(urls.take('c')).toBe('https://cdn.example/c.mp4');
    expect(urls.take('a')).toBe('https://cdn.example/a2.mp4');
    expect(urls.take('d')).toBe('https://cdn.example/d.mp4');
  });
});
