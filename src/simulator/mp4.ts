import { createHash } from 'node:crypto';

const FTYP_SIZE = 32;

function box(type: string, payloadLength: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payloadLength, 0);
  header.write(type, 4, 'latin1');
  return header;
}

/**
 * Deterministic MP4-shaped bytes of exactly `size` bytes for `seed`: an `ftyp` box (isom), a `free` box naming
 * the seed, and an `mdat` box filled from a PRNG keyed by sha256(seed). Same seed and size → same bytes, so
 * tests can compare what a client re-hosted with `sim.videoBytes(taskId)`.
 */
export function buildMp4(seed: string, size: number): Buffer {
  if (size < FTYP_SIZE + 16) throw new RangeError(`an MP4 needs at least ${FTYP_SIZE + 16} bytes`);
  const out = Buffer.alloc(size);
  // ftyp: major brand isom, minor version 0x200, compatible brands isom iso2 avc1 mp41.
  box('ftyp', FTYP_SIZE - 8).copy(out, 0);
  out.write('isom', 8, 'latin1');
  out.writeUInt32BE(0x200, 12);
  out.write('isomiso2avc1mp41', 16, 'latin1');

  const label = Buffer.from(`kling-simulator ${seed}`, 'utf8');
  const labelLength = Math.min(label.length, size - FTYP_SIZE - 16);
  box('free', labelLength).copy(out, FTYP_SIZE);
  label.copy(out, FTYP_SIZE + 8, 0, labelLength);

  const mdatStart = FTYP_SIZE + 8 + labelLength;
  box('mdat', size - mdatStart - 8).copy(out, mdatStart);
  fillDeterministic(out, mdatStart + 8, seed);
  return out;
}

/** xorshift128 seeded from sha256(seed); fast enough for tens of megabytes. */
function fillDeterministic(out: Buffer, start: number, seed: string): void {
  const digest = createHash('sha256').update(seed).digest();
  let x = digest.readUInt32LE(0) || 1;
  let y = digest.readUInt32LE(4);
  let z = digest.readUInt32LE(8);
  let w = digest.readUInt32LE(12);
  for (let offset = start; offset < out.length; offset += 4) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    if (offset + 4 <= out.length) out.writeUInt32LE(w, offset);
    else for (let i = 0; offset + i < out.length; i += 1) out[offset + i] = (w >>> (8 * i)) & 0xff;
  }
}
