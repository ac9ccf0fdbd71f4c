// A plain HTTP endpoint that records the JSON bodies POSTed to it: where the simulator's callbacks land in tests
// of the Kling client and simulator that need no signature check (test/callbacks has the verifying receiver).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallbackCollector {
  /** The URL to give as `callbackUrl`. */
  url: string;
  /** Every body received so far, parsed; clear with `received.length = 0`. */
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startCallbackCollector(): Promise<CallbackCollector> {
  const received: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/kling`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
