// An HTTP proxy in front of fake-gcs-server that holds back one upload: it receives the whole upload request
// (a multipart POST, or the data PUT of a resumable session) and forwards nothing until told to. While it holds,
// the worker has sent its last byte and waits for the answer, and GCS has committed nothing: the window between
// the upload's last byte and its commit, made deterministic for the crash suite without a test hook in src/.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The upload request being held: its method, path and complete body. */
export interface HeldUpload {
  method: string;
  path: string;
  body: Buffer;
}

export interface HoldingGcsProxy {
  /** Use as the Storage apiEndpoint. */
  url: string;
  /** The held upload, once one was received whole (later uploads pass through). */
  readonly held: HeldUpload | undefined;
  /** Forwards the held upload to fake-gcs-server (the client may be gone) and resolves with GCS's status. */
  release(): Promise<number>;
  close(): Promise<void>;
}

/** Is this request an upload carrying object bytes (not the body-less or metadata-only start of a session)? */
function carriesObjectBytes(method: string | undefined, path: string | undefined): boolean {
  if (!path?.startsWith('/upload/')) return false;
  if (method === 'PUT') return true; // data of a resumable session
  return method === 'POST' && /[?&]uploadType=multipart(&|$)/.test(path);
}

/**
 * Forwards everything to `target`, rewriting resumable-session `Location` headers to stay on the proxy, except
 * the first upload request whose body holds at least `minBytes`: that one is received whole and kept.
 */
export async function startHoldingGcsProxy(target: string, minBytes: number): Promise<HoldingGcsProxy> {
  const targetUrl = new URL(target);
  let proxyOrigin = '';
  let held: (HeldUpload & { headers: IncomingHttpHeaders }) | undefined;

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const upstreamHeaders: IncomingHttpHeaders = { ...headers, host: targetUrl.host, 'content-length': String(body.length) };
      delete upstreamHeaders['transfer-encoding'];
      const upstream = request({ hostname: targetUrl.hostname, port: targetUrl.port, method, path, headers: upstreamHeaders }, (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }));
        up.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      if (held === undefined && carriesObjectBytes(method, path) && body.length >= minBytes) {
        // The client has sent its last byte; it gets no answer (it is about to be killed).
        held = { method, path, body, headers: req.headers };
        return;
      }
      forward(method, path, req.headers, body).then(
        (up) => {
          const headers = { ...up.headers };
          if (typeof headers.location === 'string') headers.location = headers.location.replace(targetUrl.origin, proxyOrigin);
          res.writeHead(up.status, headers).end(up.body);
        },
        (err: Error) => res.destroy(err),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxyOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: proxyOrigin,
    get held() {
      return held && { method: held.method, path: held.path, body: held.body };
    },
    release: async () => {
      if (!held) throw new Error('no upload is held');
      return (await forward(held.method, held.path, held.headers, held.body)).status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
