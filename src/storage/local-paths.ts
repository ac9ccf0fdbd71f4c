import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { InvalidObjectNameError } from './errors.js';
import { assertValidObjectName } from './object-name.js';

/** Suffix of the metadata sidecar next to each data file. */
export const SIDECAR_SUFFIX = '.meta.json';
/** Suffix of in-progress temp files (hidden, in the object's own directory so link() stays on one file system). */
export const PARTIAL_SUFFIX = '.partial';
// File systems cap a file name at 255 bytes; leave room for the temp-file decoration around a segment.
const MAX_SEGMENT_BYTES = 200;

/** The files behind one object of the local backend. */
export interface LocalObjectPaths {
  /** The object's bytes; this is what `file://` URLs point at. */
  data: string;
  /** JSON sidecar with size, md5, content type and custom metadata. */
  sidecar: string;
  /** A fresh, unique temp path in the same directory (for the data or the sidecar). */
  temp(kind: 'data' | 'sidecar'): string;
}

/**
 * Maps an object name to its files under `root`, after the generic name checks plus the local backend's own:
 * no path segment may end in `.meta.json` or `.partial` (those are sidecars and temp files) or exceed
 * 200 bytes.
 */
export function localObjectPaths(root: string, objectName: string): LocalObjectPaths {
  assertValidObjectName(objectName);
  for (const segment of objectName.split('/')) {
    for (const reserved of [SIDECAR_SUFFIX, PARTIAL_SUFFIX]) {
      if (segment.endsWith(reserved)) {
        throw new InvalidObjectNameError(objectName, `a path segment ends with "${reserved}", reserved by the local backend`);
      }
    }
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new InvalidObjectNameError(objectName, `has a path segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  const data = path.join(root, ...objectName.split('/'));
  const dir = path.dirname(data);
  const base = path.basename(data);
  return {
    data,
    sidecar: `${data}${SIDECAR_SUFFIX}`,
    temp: (kind) => path.join(dir, `.${base}.${randomBytes(6).toString('hex')}.${kind}${PARTIAL_SUFFIX}`),
  };
}
