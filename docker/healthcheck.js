// HEALTHCHECK of the kling-temporal image (Dockerfile, docker-compose.yml, a Kubernetes probe: `node docker/healthcheck.js`).
//  - worker (KLING_METRICS_PORT set): the metrics endpoint answers and the worker polls its task queue
//    (Temporal's `temporal_num_pollers` gauge for workflow tasks is above zero).
//  - callback receiver (`kling-video callbacks`): GET /healthz on KLING_CALLBACK_LISTEN answers 200.
// Exit 0 healthy, 1 not (with the reason on stderr). No dependencies: plain node, so it runs in the final image.
/* global fetch, AbortSignal */
import process from 'node:process';

const TIMEOUT_MS = 4_000;

async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return text;
}

function loopbackFor(host) {
  if (!host || host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function checkWorker(port) {
  const host = loopbackFor(process.env.KLING_METRICS_HOST);
  const text = await get(`http://${host}:${port}/metrics`);
  const pollers = text
    .split('\n')
    .filter((line) => /^temporal_num_pollers\{[^}]*poller_type="workflow_task"/.test(line))
    .map((line) => Number(line.trim().split(/\s+/).pop()));
  if (!pollers.some((n) => n > 0)) throw new Error('the worker is not polling its task queue (temporal_num_pollers is 0 or missing)');
  return `worker polling, metrics on port ${port}`;
}

async function checkCallbacks(listen) {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(listen);
  if (!m) throw new Error(`KLING_CALLBACK_LISTEN is not host:port: ${listen}`);
  await get(`http://${loopbackFor(m[1])}:${m[2]}/healthz`);
  return `callback receiver up on port ${m[2]}`;
}

const role = process.argv[2] ?? (process.env.KLING_METRICS_PORT ? 'worker' : 'callbacks');
try {
  const message =
    role === 'worker'
      ? await checkWorker(process.env.KLING_METRICS_PORT ?? '9464')
      : await checkCallbacks(process.env.KLING_CALLBACK_LISTEN ?? '0.0.0.0:8788');
  process.stdout.write(`healthy: ${message}\n`);
} catch (err) {
  process.stderr.write(`unhealthy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
