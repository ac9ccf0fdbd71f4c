// The video URL policy (src/download/video-source.ts) and the rehost activity enforcing it, run in a mock
// activity context against local HTTP servers: allow-list, scheme, private addresses, redirects, size and type.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rehost, type RehostInput } from '../../src/activities/rehost.js';
import {
  checkVideoAddress,
  checkVideoUrl,
  DEFAULT_VIDEO_HOST_POLICY,
  isPrivateAddress,
  openVideoSource,
  parseHostPattern,
  VideoSourceRefusedError,
  type VideoHostPolicy,
} from '../../src/download/video-source.js';
import { workerConfigFromEnv } from '../../src/config.js';
import type { KlingClient } from '../../src/kling/index.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { StoredVideo } from '../../src/contract/generation.js';
import { buildMp4 } from '../../src/simulator/mp4.js';
import { createLocalStorage } from '../../src/storage/index.js';

function refusal(fn: () => unknown): VideoSourceRefusedError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VideoSourceRefusedError);
    return err as VideoSourceRefusedError;
  }
  throw new Error('expected a refusal');
}
async function refusalOf(promise: Promise<unknown>): Promise<VideoSourceRefusedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VideoSourceRefusedError);
  return err as VideoSourceRefusedError;
}

describe('checkVideoUrl with the default policy (Kling CDN hosts, https only)', () => {
  const policy = DEFAULT_VIDEO_HOST_POLICY;

  it.each([
    'https://p1.a.kwimgs.com/bs2/upload-ylab-stunt/special-effect/output/HB1_PROD_ai_web_46554461/-2878350957757294165/output.mp4',
    'https://v15-kling.klingai.com/x/y.mp4?sig=abc',
    'https://P1.A.KWIMGS.COM/x.mp4',
    'https://cdn.kwimgs.com./x.mp4',
    'https://cdn.kwimgs.com:8443/x.mp4',
  ])('accepts %s', (url) => {
    expect(checkVideoUrl(url, policy)).toBeInstanceOf(URL);
  });

  it.each<[string, string]>([
    ['http://p1.a.kwimgs.com/x.mp4', 'scheme'],
    ['ftp://p1.a.kwimgs.com/x.mp4', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['data:video/mp4;base64,AAAA', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['https://kwimgs.com/x.mp4', 'host'], // the apex is not a subdomain
    ['https://evilkwimgs.com/x.mp4', 'host'],
    ['https://p1.kwimgs.com.evil.example/x.mp4', 'host'],
    ['https://p1.a.kwimgs.com@evil.example/x.mp4', 'credentials'], // userinfo trick: the host is evil.example
    ['https://evil.example#@p1.a.kwimgs.com/x.mp4', 'host'],
    ['https://evil.example\\@p1.a.kwimgs.com/x.mp4', 'host'],
    ['https://user:pw@p1.a.kwimgs.com/x.mp4', 'credentials'],
    ['https://127.0.0.1/x.mp4', 'host'],
    ['https://2130706433/x.mp4', 'host'], // 127.0.0.1 in decimal
    ['https://[::1]/x.mp4', 'host'],
    ['https://169.254.169.254/latest/meta-data/', 'host'],
    ['not a url', 'url'],
    ['', 'url'],
  ])('refuses %s (%s)', (url, reason) => {
    const err = refusal(() => checkVideoUrl(url, policy));
    expect(err.reason).toBe(reason);
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('never puts the URL path or query (the hotlink token) in the message', () => {
    const err = refusal(() => checkVideoUrl('https://evil.example/secret-path?token=abc123', policy));
    expect(err.message).toContain('evil.example');
    expect(err.message).not.toContain('secret-path');
    expect(err.message).not.toContain('abc123');
  });

  it('matches ports when the pattern names one', () => {
    const p: VideoHostPolicy = { allow: ['127.0.0.1:8080', 'cdn.example.com'], allowHttp: true };
    expect(checkVideoUrl('http://127.0.0.1:8080/a.mp4', p).host).toBe('127.0.0.1:8080');
    expect(refusal(() => checkVideoUrl('http://127.0.0.1:8081/a.mp4', p)).reason).toBe('host');
    expect(checkVideoUrl('http://cdn.example.com:1234/a.mp4', p).hostname).toBe('cdn.example.com');
    expect(refusal(() => checkVideoUrl('http://x.cdn.example.com/a.mp4', p)).reason).toBe('host');
  });
});

describe('host patterns', () => {
  it.each(['*.kwimgs.com', 'cdn.example.com', '127.0.0.1', '127.0.0.1:8787', '[::1]', '[::1]:443', 'Sub.Example.COM', 'example.com.'])(
    'parses %s',
    (p) => {
      expect(() => parseHostPattern(p)).not.toThrow();
    },
  );
  it.each(['', '*', '*.com', 'a.*.com', 'https://x.com', 'x.com/path', 'x.com:99999', 'user@x.com', '[nothex]', 'x .com', 'a..b'])(
    'refuses %j',
    (p) => {
      expect(() => parseHostPattern(p)).toThrow(/invalid video host pattern/);
    },
  );
});

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::127.0.0.1',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
    '2001:db8::1',
    'not-an-ip',
  ])('%s is private', (a) => {
    expect(isPrivateAddress(a)).toBe(true);
  });
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (a) => {
    expect(isPrivateAddress(a)).toBe(false);
  });
});

describe('checkVideoAddress (DNS answer checked against private ranges)', () => {
  const policy: VideoHostPolicy = { allow: ['*.kwimgs.com', '127.0.0.1'] };
  const fakeDns = (answers: Record<string, string[]>) => async (host: string) =>
    (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('accepts a host whose every address is public', async () => {
    await checkVideoAddress(new URL('https://p1.a.kwimgs.com/x.mp4'), policy, fakeDns({ 'p1.a.kwimgs.com': ['203.119.1.1', '2606:4700::1'] }));
  });
  it.each([[['10.0.0.5']], [['203.119.1.1', '127.0.0.1']], [['::ffff:192.168.0.1']], [['fe80::1']], [[]]])(
    'refuses an allowed host name resolving to %j',
    async (addresses) => {
      const err = await refusalOf(checkVideoAddress(new URL('https://p1.a.kwimgs.com/x.mp4'), policy, fakeDns({ 'p1.a.kwimgs.com': addresses })));
      expect(err.reason).toBe('address');
      expect(err.message).toContain('p1.a.kwimgs.com');
    },
  );
  it('accepts a private address only when named as an IP literal or allowed explicitly', async () => {
    await checkVideoAddress(new URL('http://127.0.0.1:9/x.mp4'), policy);
    const dns = fakeDns({ 'p1.a.kwimgs.com': ['10.0.0.5'] });
    await checkVideoAddress(new URL('https://p1.a.kwimgs.com/x.mp4'), { ...policy, allowPrivateAddresses: true }, dns);
    expect((await refusalOf(checkVideoAddress(new URL('http://127.0.0.2/x.mp4'), policy))).reason).toBe('address');
  });
  it('resolves with the real resolver: localhost is loopback, refused unless allowed', async () => {
    const err = await refusalOf(checkVideoAddress(new URL('http://localhost/x.mp4'), { allow: ['localhost'], allowHttp: true }));
    expect(err.reason).toBe('address');
  });
});

describe('workerConfigFromEnv: KLING_VIDEO_HOSTS, KLING_VIDEO_ALLOW_HTTP, KLING_VIDEO_ALLOW_PRIVATE_ADDRESSES', () => {
  const BASE = { KLING_API_KEY: 'k' };
  it('defaults to Kling CDN hosts over https, no private addresses', () => {
    expect(workerConfigFromEnv(BASE).videoHosts).toEqual({
      allow: ['*.kwimgs.com', '*.klingai.com'],
      allowHttp: false,
      allowPrivateAddresses: false,
    });
  });
  it('reads a comma-separated list and flags', () => {
    const c = workerConfigFromEnv({
      ...BASE,
      KLING_VIDEO_HOSTS: ' 127.0.0.1:8787, *.cdn.example.com ',
      KLING_VIDEO_ALLOW_HTTP: 'true',
      KLING_VIDEO_ALLOW_PRIVATE_ADDRESSES: '1',
    });
    expect(c.videoHosts).toEqual({ allow: ['127.0.0.1:8787', '*.cdn.example.com'], allowHttp: true, allowPrivateAddresses: true });
  });
  it.each([
    [{ KLING_VIDEO_HOSTS: 'https://x.com/' }, 'KLING_VIDEO_HOSTS'],
    [{ KLING_VIDEO_HOSTS: '*' }, 'KLING_VIDEO_HOSTS'],
    [{ KLING_VIDEO_HOSTS: ',,' }, 'KLING_VIDEO_HOSTS'],
    [{ KLING_VIDEO_ALLOW_HTTP: 'yes' }, 'KLING_VIDEO_ALLOW_HTTP'],
    [{ KLING_VIDEO_ALLOW_PRIVATE_ADDRESSES: 'maybe' }, 'KLING_VIDEO_ALLOW_PRIVATE_ADDRESSES'],
  ])('refuses %j naming the variable', (env, variable) => {
    expect(() => workerConfigFromEnv({ ...BASE, ...env })).toThrow(variable);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against local HTTP servers

const BOUND = 64 * 1024;
let server: Server;
let origin: string; // http://127.0.0.1:<port>
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const redirect = (to: string, status = 302) => res.writeHead(status, { location: to }).end();
    switch (url.pathname) {
      case '/video.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '4096' }).end(buildMp4('video', 4096));
        return;
      case '/other-video.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '4096' }).end(buildMp4('other video', 4096));
        return;
      case '/disguised.mp4': {
        // A video content type and length, but an HTML page: only the bytes tell.
        const page = Buffer.alloc(4096, ' ');
        page.write('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>');
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '4096' }).end(page);
        return;
      }
      case '/page.html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a video</html>');
        return;
      case '/declared-huge.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(BOUND * 100) });
        res.write(buildMp4('huge', 1024));
        return; // never ends: the client must give up on the header alone
      case '/chunked-huge.mp4': {
        // No Content-Length: the bound must stop the transfer as the bytes arrive.
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(buildMp4('chunked', 1024));
        let sent = 0;
        const tick = () => {
          if (res.destroyed || sent > BOUND * 50) return res.end();
          sent += 16 * 1024;
          res.write(Buffer.alloc(16 * 1024, 1), tick);
        };
        tick();
        return;
      }
      case '/to-same':
        return redirect('/video.mp4', 301);
      case '/to-localhost':
        return redirect(`http://localhost:${port}/video.mp4`);
      case '/to-metadata':
        return redirect('http://169.254.169.254/latest/meta-data/', 307);
      case '/to-kling-over-http':
        return redirect('http://p1.a.kwimgs.com/x.mp4', 308);
      case '/to-nowhere':
        res.writeHead(302).end();
        return;
      case '/loop':
        return redirect('/loop');
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('openVideoSource: redirects followed by hand, each hop re-checked', () => {
  const policy = () => ({ allow: [`127.0.0.1:${port}`, '*.kwimgs.com', 'localhost'], allowHttp: true }) satisfies VideoHostPolicy;

  it('follows a same-host redirect', async () => {
    const { response, redirects, url } = await openVideoSource(`${origin}/to-same`, { policy: policy() });
    expect(response.statusCode).toBe(200);
    expect(redirects).toBe(1);
    expect(url.pathname).toBe('/video.mp4');
    await response.body.dump();
  });
  it('refuses a redirect to a host that is not allowed (the metadata endpoint)', async () => {
    const err = await refusalOf(openVideoSource(`${origin}/to-metadata`, { policy: policy() }));
    expect(err.reason).toBe('redirect');
    expect(err.message).toContain('169.254.169.254');
  });
  it('refuses a redirect to an allowed name that resolves to loopback (re-checked per hop)', async () => {
    const err = await refusalOf(openVideoSource(`${origin}/to-localhost`, { policy: policy() }));
    expect(err.reason).toBe('address');
    expect(err.host).toBe('localhost');
  });
  it('re-checks the address at connect time (DNS rebinding: public for the pre-check, loopback when connecting)', async () => {
    const rebinding = async () => [{ address: '93.184.216.34', family: 4 }];
    const err = await refusalOf(
      openVideoSource(`http://localhost:${port}/video.mp4`, { policy: { allow: ['localhost'], allowHttp: true }, lookup: rebinding }),
    );
    expect(err.reason).toBe('address');
    expect(err.message).toContain('at connect time');
    // Allowed explicitly, the same connection goes through.
    const ok = await openVideoSource(`http://localhost:${port}/video.mp4`, {
      policy: { allow: ['localhost'], allowHttp: true, allowPrivateAddresses: true },
    });
    expect(ok.response.statusCode).toBe(200);
    await ok.response.body.dump();
  });
  it('refuses a downgrade to http when only https is allowed', async () => {
    const err = await refusalOf(
      openVideoSource(`${origin}/to-kling-over-http`, { policy: { allow: [`127.0.0.1:${port}`, '*.kwimgs.com'], allowHttp: false } }),
    );
    // The first hop itself is http: refused before any connection.
    expect(err.reason).toBe('scheme');
    const err2 = await refusalOf(openVideoSource(`${origin}/to-kling-over-http`, { policy: { allow: [`127.0.0.1:${port}`], allowHttp: true } }));
    expect(err2.reason).toBe('redirect');
  });
  it('refuses a redirect without Location and a redirect loop', async () => {
    expect((await refusalOf(openVideoSource(`${origin}/to-nowhere`, { policy: policy() }))).reason).toBe('redirect');
    const loop = await refusalOf(openVideoSource(`${origin}/loop`, { policy: { ...policy(), maxRedirects: 3 } }));
    expect(loop.reason).toBe('redirect');
    expect(loop.message).toContain('more than 3 redirects');
  });
});

describe('rehost enforces the policy and the bounds, and stores nothing when it refuses', () => {
  async function runRehost(videoUrl: string, policy: VideoHostPolicy | undefined, maxVideoBytes = BOUND, taskId = 't1', dir?: string) {
    const root = dir ?? (await mkdtemp(path.join(tmpdir(), 'kt-sec-')));
    const storage = createLocalStorage({ root });
    const kling = {
      getTask: async () => ({ taskId, status: 'succeeded', videos: [{ id: 'v1', url: videoUrl, duration: '5' }] }),
    } as unknown as KlingClient;
    const input = {
      task: { taskId, externalTaskId: 'e1', standard: 'new', kind: 'text-to-video', adopted: false },
      objectName: 'kling-videos/0123456789abcdef0123456789abcdef.mp4',
      plan: {
        model: 'kling-2.6',
        kind: 'text-to-video',
        resolution: '720p',
        durationSeconds: 5,
        audio: false,
        estimate: { credits: 15, creditsPerUnit: 10 },
      },
    } as unknown as RehostInput;
    const outcome = await (
      new MockActivityEnvironment().run(rehost, { kling, storage, maxVideoBytes, videoHosts: policy }, input) as Promise<StoredVideo>
    ).then(
      (stored) => ({ stored, failure: undefined as unknown }),
      (failure: unknown) => ({ stored: undefined, failure }),
    );
    const files = await readdir(root, { recursive: true }).catch(() => []);
    return { ...outcome, root, storage, files: files.filter((f) => /\.mp4$/.test(String(f))) };
  }
  const local = () => ({ allow: [`127.0.0.1:${port}`, 'localhost'], allowHttp: true }) satisfies VideoHostPolicy;

  function expectFailure(failure: unknown, type: string): ApplicationFailure {
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const f = failure as ApplicationFailure;
    expect(f.type).toBe(type);
    expect(f.nonRetryable).toBe(true);
    return f;
  }

  it('downloads and stores from an allowed host', async () => {
    const { stored, files } = await runRehost(`${origin}/video.mp4`, local());
    expect(stored?.size).toBe(4096);
    expect(files).toHaveLength(1);
  });
  it('another task cannot overwrite a stored object under the same name (StorageVerificationFailed, original intact)', async () => {
    const first = await runRehost(`${origin}/video.mp4`, local());
    const second = await runRehost(`${origin}/other-video.mp4`, local(), BOUND, 't2', first.root);
    expectFailure(second.failure, FailureType.StorageVerificationFailed);
    const stat = await first.storage.stat('kling-videos/0123456789abcdef0123456789abcdef.mp4');
    expect(stat?.md5Base64).toBe(first.stored?.md5Base64);
    expect(stat?.metadata.klingTaskId).toBe('t1');
  });
  it('refuses the simulator-style local URL under the default policy (VideoSourceRefused, non-retryable)', async () => {
    const { failure, files } = await runRehost(`${origin}/video.mp4`, undefined);
    const f = expectFailure(failure, FailureType.VideoSourceRefused);
    expect(f.details?.[0]).toMatchObject({ reason: 'scheme', host: '127.0.0.1' });
    expect(files).toHaveLength(0);
  });
  it.each([
    ['/to-metadata', 'redirect'],
    ['/to-localhost', 'address'],
    ['/loop', 'redirect'],
  ])('refuses %s (%s) and stores nothing', async (p, reason) => {
    const { failure, files } = await runRehost(`${origin}${p}`, local());
    expect(expectFailure(failure, FailureType.VideoSourceRefused).details?.[0]).toMatchObject({ reason });
    expect(files).toHaveLength(0);
  });
  it('refuses a non-video body (VideoDownloadInvalid)', async () => {
    const { failure, files } = await runRehost(`${origin}/page.html`, local());
    expect(expectFailure(failure, FailureType.VideoDownloadInvalid).message).toContain('text/html');
    expect(files).toHaveLength(0);
  });
  it('refuses a body served as video/mp4 that is not an MP4 (VideoDownloadInvalid, nothing stored)', async () => {
    const { failure, files, root } = await runRehost(`${origin}/disguised.mp4`, local());
    const f = expectFailure(failure, FailureType.VideoDownloadInvalid);
    expect(f.message).toContain('is not an MP4');
    expect(f.message).toContain('<!DOCTYPE html>');
    expect(f.details?.[0]).toMatchObject({ reason: 'not-mp4', contentType: 'video/mp4' });
    expect(files).toHaveLength(0);
    expect(await readdir(root, { recursive: true })).toEqual([]); // not even a temporary file
  });
  it('refuses an announced length over the bound before reading the body', async () => {
    const { failure, files } = await runRehost(`${origin}/declared-huge.mp4`, local());
    expect(expectFailure(failure, FailureType.VideoDownloadInvalid).message).toContain('exceeds the limit');
    expect(files).toHaveLength(0);
  });
  it('stops an unannounced body as soon as it passes the bound', async () => {
    const { failure, files } = await runRehost(`${origin}/chunked-huge.mp4`, local());
    expect(expectFailure(failure, FailureType.VideoDownloadInvalid).message).not.toContain('not an MP4');
    expect(files).toHaveLength(0);
  });
});
