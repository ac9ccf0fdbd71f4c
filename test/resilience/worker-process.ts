// A generateVideo worker as its own OS process, so the crash suite can SIGKILL it mid-activity.
// Built with createKlingWorker from src/worker.ts: a KlingClient on the simulator (which lives in the test
// process and survives the kill) and GCS storage on fake-gcs-server. Configuration from the environment:
//   KT_TEMPORAL_ADDRESS, KT_TEMPORAL_NAMESPACE, KT_TASK_QUEUE   Temporal
//   KT_SIM_URL                                                   Kling simulator base URL
//   KT_GCS_URL, KT_GCS_BUCKET                                    fake-gcs-server and the bucket to store into
//   KT_WORKFLOW_BUNDLE                                           pre-built workflow bundle (code path), optional
//   KT_GCS_RESUMABLE=1                                           always upload through a resumable session
//   KT_PARENT_PID                                                exit when this process is gone (no orphans)
//   KT_BLOCK_IN_VALIDATION=1                                     freeze inside the first request validation
//   KT_SLOTS=<n>                                                 account-wide slot admission, n slots per bucket
// Prints "worker ready" once it polls.
import { Storage } from '@google-cloud/storage';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { KlingClient } from '../../src/kling/index.js';
import { createGcsStorage } from '../../src/storage/index.js';
import { createKlingWorker } from '../../src/worker.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`worker-process: ${name} is not set`);
  return value;
}

const parentPid = Number(process.env.KT_PARENT_PID);
if (parentPid > 0) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      process.exit(3);
    }
  }, 500).unref();
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: env('KT_TEMPORAL_ADDRESS') });
const gcsUrl = env('KT_GCS_URL');
const gcs = new Storage({ projectId: 'test', apiEndpoint: gcsUrl, useAuthWithCustomEndpoint: false });
// KT_GCS_RESUMABLE=1: resumable upload sessions even for small videos (default: one multipart request below 8 MiB).
const resumable = process.env.KT_GCS_RESUMABLE === '1' ? true : 'auto';
const storage = createGcsStorage({ bucket: env('KT_GCS_BUCKET'), prefix: 'videos', urlMode: 'public', storage: gcs, apiEndpoint: gcsUrl, resumable });
/**
 * KT_BLOCK_IN_VALIDATION=1: the first `resolve` (called by the validateVideoRequest activity, before anything is
 * submitted) prints "blocked in validation" and blocks the JS thread until the process is killed. Validation is
 * synchronous and takes microseconds, so this is the only way to be certain a SIGKILL lands inside it. Nobody
 * killed it within 60 s: the process exits.
 */
class BlockingKlingClient extends KlingClient {
  #blocked = process.env.KT_BLOCK_IN_VALIDATION !== '1';
  override resolve(request: unknown): ReturnType<KlingClient['resolve']> {
    if (!this.#blocked) {
      this.#blocked = true;
      console.log('blocked in validation'); // stdout is a pipe: written synchronously on Linux
      // Bounded, so a worker nobody kills (the test process died) cannot outlive it: the parent watchdog above
      // is frozen too.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      process.exit(4);
    }
    return super.resolve(request);
  }
}
const kling = new BlockingKlingClient({ baseUrl: env('KT_SIM_URL'), credentials: SIM_CREDENTIALS, requestTimeoutMs: 5_000 });
const bundlePath = process.env.KT_WORKFLOW_BUNDLE;
const worker = await createKlingWorker({
  connection,
  namespace: env('KT_TEMPORAL_NAMESPACE'),
  taskQueue: env('KT_TASK_QUEUE'),
  deps: {
    kling,
    storage,
    limitRetryDelays: { rateLimitMs: 200, concurrencyLimitMs: 500 },
    // Exactly the simulator's CDN (a loopback IP literal, plain http), as test/support/generation-stack.ts does.
    videoHosts: { allow: [new URL(env('KT_SIM_URL')).host], allowHttp: true },
    // KLING_SLOTS=<n> with a short lease check, so a test sees slots come back within a second.
    ...(process.env.KT_SLOTS ? { accountSlots: { default: Number(process.env.KT_SLOTS), perModel: {}, leaseCheckMs: 500 } } : {}),
  },
  // After a SIGKILL the dead worker's sticky queue would hold the next workflow task for the default 10 s.
  stickyQueueScheduleToStartTimeout: '2 seconds',
  ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
});
const running = worker.run();
console.log('worker ready');
await running;
await connection.close();
