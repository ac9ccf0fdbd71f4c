// The MP4 signature check of the rehost (src/download/video-sniff.ts): which first bytes pass, which are
// refused, and that peeking at a stream leaves its bytes intact for the upload.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peekStream, previewBytes, sniffMp4, VIDEO_SNIFF_BYTES } from '../../src/download/video-sniff.js';
import { buildMp4 } from '../../src/simulator/mp4.js';

/** A box header: 32-bit big-endian size, four-character type, then `rest`. */
function box(size: number, type: string, rest: Buffer | string = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, typeof rest === 'string' ? Buffer.from(rest, 'latin1') : rest]);
}

const ftyp = (brand: string, size = 32) => box(size, 'ftyp', `${brand}\0\0\x02\0isomiso2avc1mp41`);

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

describe('sniffMp4', () => {
  it('accepts the simulator’s videos (ftyp isom), at every size it makes', () => {
    for (const size of [48, 64, 1000, 65_536])
      expect(sniffMp4(buildMp4(`task ${size}`, size).subarray(0, VIDEO_SNIFF_BYTES))).toMatchObject({ ok: true, format: 'iso-bmff', brand: 'isom' });
  });

  it.each(['isom', 'mp42', 'mp41', 'iso2', 'iso5', 'iso6', 'avc1', 'dash', 'M4V ', 'qt  ', '3gp4', 'msnv'])(
    'accepts an ftyp box with major brand %j',
    (brand) => {
      expect(sniffMp4(ftyp(brand))).toEqual({ ok: true, format: 'iso-bmff', brand, firstBox: 'ftyp' });
    },
  );

  it.each([
    ['moov', 1024],
    ['mdat', 0], // to the end of the file
    ['mdat', 1], // a 64-bit size follows
    ['free', 8],
    ['skip', 16],
    ['wide', 8],
    ['pnot', 20],
  ])('accepts a QuickTime file starting with %s (size %d)', (type, size) => {
    expect(sniffMp4(box(size, type, Buffer.alloc(8)))).toEqual({ ok: true, format: 'quicktime', firstBox: type });
  });

  it.each([
    ['an HTML error page', Buffer.from('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>')],
    ['a JSON envelope', Buffer.from('{"code":5000,"message":"Server internal error"}')],
    ['zeros', Buffer.alloc(64)],
    ['a PNG', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
    ['a WebM/Matroska file', Buffer.from('1a45dfa39f4286810142f7810142f281', 'hex')],
    ['a GIF', Buffer.from('GIF89a\x01\0\x01\0\x80\0\0', 'latin1')],
    ['"ftyp" at offset 0', Buffer.from('ftypisom\0\0\x02\0isom', 'latin1')],
    ['an ftyp box too small for a brand', ftyp('isom', 8)],
    ['an ftyp box of 4 GiB', ftyp('isom', 0xffff_ffff)],
    ['an ftyp box with a binary brand', box(32, 'ftyp', Buffer.from('00ff7f10000002006973', 'hex'))],
    ['a QuickTime box with an impossible size', box(5, 'moov', Buffer.alloc(8))],
    ['an unknown first box', box(32, 'abcd', Buffer.alloc(8))],
    ['a lower/upper-case mix of ftyp', box(32, 'FTYP', 'isom\0\0\0\0')],
  ])('refuses %s', (_name, head) => {
    const result = sniffMp4(head.subarray(0, VIDEO_SNIFF_BYTES));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).not.toBe('');
  });

  it.each([0, 1, 8, 11])('refuses a body of %d bytes, naming the count', (n) => {
    const result = sniffMp4(buildMp4('x', 64).subarray(0, n));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining(`only ${n} bytes`) as unknown });
  });

  it('refuses any first 12 bytes whose box type is not ftyp or a QuickTime first box (property)', () => {
    const accepted = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 64 }), (bytes) => {
        const type = Buffer.from(bytes.subarray(4, 8)).toString('latin1');
        fc.pre(!accepted.has(type));
        expect(sniffMp4(bytes).ok).toBe(false);
      }),
      { seed: 42, numRuns: 2_000 },
    );
  });

  it('names what it found in a printable, bounded form', () => {
    const result = sniffMp4(Buffer.from('<!DOCTYPE html>\n<html>'));
    expect(result.ok ? '' : result.reason).toContain('"<!DOCTYPE html>\\x0a"…');
    expect(previewBytes(Buffer.from([0, 0x22, 0x5c, 0x41]))).toBe('"\\x00\\x22\\x5cA"');
  });
});

describe('peekStream', () => {
  const video = buildMp4('peek', 100_000);

  it.each([1, 3, 5, 12, 4096])('returns the first bytes and leaves the stream whole (chunks of %d bytes)', async (chunkBytes) => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < video.length; i += chunkBytes) chunks.push(video.subarray(i, i + chunkBytes));
    const stream = Readable.from(chunks, { objectMode: false });
    const head = await peekStream(stream, VIDEO_SNIFF_BYTES);
    expect(head).toEqual(video.subarray(0, VIDEO_SNIFF_BYTES));
    expect((await collect(stream)).equals(video)).toBe(true);
  });

  it('resolves with what there is when the stream ends first', async () => {
    expect(await peekStream(Readable.from([Buffer.from('abc'), Buffer.from('de')]), VIDEO_SNIFF_BYTES)).toEqual(Buffer.from('abcde'));
    expect(await peekStream(Readable.from([]), VIDEO_SNIFF_BYTES)).toEqual(Buffer.alloc(0));
  });

  it('rejects on a stream error and on abort', async () => {
    const failing = new Readable({ read() {} });
    const peeked = peekStream(failing, VIDEO_SNIFF_BYTES);
    failing.push(Buffer.from('abc'));
    failing.destroy(new Error('socket hang up'));
    await expect(peeked).rejects.toThrow('socket hang up');

    const stalled = new Readable({ read() {} });
    const controller = new AbortController();
    const waiting = peekStream(stalled, VIDEO_SNIFF_BYTES, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    stalled.destroy();
  });

  describe('on an undici response body (what the rehost reads)', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(video.length) });
        // Several writes, so the body arrives in more than one chunk.
        for (let i = 0; i < video.length; i += 7_000) res.write(video.subarray(i, i + 7_000));
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v.mp4`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('peeks, then the body streams every byte', async () => {
      const res = await request(url);
      expect(sniffMp4(await peekStream(res.body, VIDEO_SNIFF_BYTES))).toMatchObject({ ok: true, brand: 'isom' });
      expect((await collect(res.body)).equals(video)).toBe(true);
    });

    it('peeks, then pipeline() (as the storage upload does) carries every byte', async () => {
      const res = await request(url);
      await peekStream(res.body, 3);
      const chunks: Buffer[] = [];
      await pipeline(res.body, new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk), done()) }));
      expect(Buffer.concat(chunks).equals(video)).toBe(true);
    });
  });
});
