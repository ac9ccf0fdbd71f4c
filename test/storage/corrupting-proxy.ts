// An HTTP proxy in front of fake-gcs-server that flips bytes in upload bodies, so the emulator stores
// something other than what the client sent: the only honest way to exercise checksum verification.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CorruptingProxy {
  /** Use as the Storage apiEndpoint. */
  url: string;
  /** Upload requests whose body contained `find` (and were corrupted). */
  corrupted: number;
  close(): Promise<void>;
}

/**
 * Forwards everything to `target`, replacing `find` by `replace` (same length) in the bodies of upload
 * requests (`/upload/...`), and rewriting resumable-session `Location` headers to keep them on the proxy.
 */
export async function startCorruptingProxy(target: string, find: Buffer, replace: Buffer): Promise<CorruptingProxy> {
  if (find.length !== replace.length) throw new Error('find and replace must have the same length');
  const targetUrl = new URL(target);
  let proxyOrigin = '';
  const state = { corrupted: 0 };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const at = body.indexOf(find);
      if (req.url?.startsWith('/upload/') && at >= 0) {
        body = Buffer.concat([body.subarray(0, at), replace, body.subarray(at + find.length)]);
        state.corrupted += 1;
      }
      const headers: IncomingHttpHeaders = { ...req.headers, host: targetUrl.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const upstream = request({ hostname: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers }, (up) => {
        const responseHeaders = { ...up.headers };
        if (typeof responseHeaders.location === 'string') {
          responseHeaders.location = responseHeaders.location.replace(targetUrl.origin, proxyOrigin);
        }
        res.writeHead(up.statusCode ?? 502, responseHeaders);
        up.pipe(res);
      });
      upstream.on('error', (err) => res.destroy(err));
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxyOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: proxyOrigin,
    get corrupted() {
      return state.corrupted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
