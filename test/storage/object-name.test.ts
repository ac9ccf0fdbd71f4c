import { describe, expect, it } from 'vitest';
import { InvalidObjectNameError } from '../../src/storage/errors.js';
import { assertValidObjectName, joinPrefix, normalizePrefix } from '../../src/storage/object-name.js';

describe('assertValidObjectName', () => {
  it.each(['video.mp4', 'kling/2024-06-01/task_123/video.mp4', 'a..b/c...d.mp4', '.hidden', 'vidéo 🎬.mp4', 'x'.repeat(1024)])(
    'accepts %j',
    (name) => {
      expect(() => assertValidObjectName(name)).not.toThrow();
    },
  );

  it.each([
    ['', /empty/],
    ['/abs.mp4', /absolute/],
    ['../up.mp4', /"\.\." segment/],
    ['a/../../up.mp4', /"\.\." segment/],
    ['a/..', /"\.\." segment/],
    ['./a.mp4', /"\." segment/],
    ['a//b.mp4', /empty path segment/],
    ['a/', /empty path segment/],
    ['a\\b.mp4', /backslash/],
    ['a\u0000b', /control character/],
    ['a\rb', /control character/],
    ['a\u007fb', /control character/],
    ['a\u0085b', /control character/],
    ['D:/x.mp4', /drive letter/],
    ['é'.repeat(513), /1024 UTF-8 bytes/],
  ])('rejects %j, naming the problem', (name, problem) => {
    let error: unknown;
    try {
      assertValidObjectName(name);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidObjectNameError);
    expect(error).toMatchObject({ name: 'InvalidObjectNameError', objectName: name });
    expect((error as Error).message).toMatch(problem);
  });

  it('quotes the name so control characters cannot forge log lines', () => {
    expect(() => assertValidObjectName('a\nERROR forged')).toThrow('invalid object name "a\\nERROR forged"');
  });
});

describe('prefixes', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/', ''],
    ['videos', 'videos'],
    ['/videos/', 'videos'],
    ['kling/videos//', 'kling/videos'],
  ])('normalizePrefix(%j) is %j', (input, expected) => {
    expect(normalizePrefix(input)).toBe(expected);
  });

  it('rejects unsafe prefixes', () => {
    expect(() => normalizePrefix('a/../b')).toThrow(InvalidObjectNameError);
  });

  it('joins with a single slash', () => {
    expect(joinPrefix('', 'a.mp4')).toBe('a.mp4');
    expect(joinPrefix('kling', 'a.mp4')).toBe('kling/a.mp4');
  });
});
