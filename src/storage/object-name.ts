import { InvalidObjectNameError } from './errors.js';

/** GCS limit: object names are at most 1024 bytes of UTF-8. */
export const MAX_OBJECT_NAME_BYTES = 1024;

// C0 controls, DEL and C1 controls: never meaningful in a file name, and they forge log lines.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const WINDOWS_DRIVE = /^[A-Za-z]:/;

/**
 * Throws InvalidObjectNameError unless `name` is a relative, `/`-separated path with no empty, `.` or `..`
 * segments, no backslashes or control characters, at most 1024 UTF-8 bytes. Callers build deterministic
 * names; this is defence in depth so that no name can escape a local root or alias another object.
 */
export function assertValidObjectName(name: string): void {
  const reject = (problem: string): never => {
    throw new InvalidObjectNameError(name, problem);
  };
  if (typeof name !== 'string') reject('not a string');
  if (name.length === 0) reject('empty');
  if (CONTROL_CHARACTER.test(name)) reject('contains a control character');
  if (name.includes('\\')) reject('contains a backslash');
  if (name.startsWith('/')) reject('starts with "/" (absolute path)');
  if (WINDOWS_DRIVE.test(name)) reject('starts with a drive letter (absolute path)');
  if (Buffer.byteLength(name, 'utf8') > MAX_OBJECT_NAME_BYTES) reject(`longer than ${MAX_OBJECT_NAME_BYTES} UTF-8 bytes`);
  for (const segment of name.split('/')) {
    if (segment === '..') reject('contains a ".." segment');
    if (segment === '.') reject('contains a "." segment');
    // "a//b" and "a/" would alias "a/b" and "a" on a file system.
    if (segment === '') reject('contains an empty path segment ("//" or trailing "/")');
  }
}

/**
 * Normalizes an optional key prefix ("videos/", "/videos", "videos") to "videos" (or "" for none) and
 * validates it like an object name.
 */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed !== '') assertValidObjectName(trimmed);
  return trimmed;
}

/** `prefix/name`, or `name` when there is no prefix. */
export function joinPrefix(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}
