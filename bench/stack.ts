// The servers the benchmark measures against, started once per run: a Temporal dev server (src/cli/dev's
// startTemporalDevServer, in memory), fake-gcs-server (in memory) and the workflow bundle (built once, loaded
// by every measured worker; the floor row's workflows in a bundle of their own). Everything started here is
// stopped by `close()`, and by an orphan reaper if this process dies first.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ManagedProcess, freePort, sleep, startOrphanReaper } from '../src/cli/dev/processes.js';
import { startTemporalDevServer, temporalCli } from '../src/cli/dev/temporal-server.js';
import { workflowBundleOptions } from '../src/worker.js';
import { locateBinary } from '../test/support/binaries.js';
import { fakeGcsArgs } from '../test/support/fake-gcs.js';

const HOST = '127.0.0.1';

export interface BenchStack {
  temporalAddress: string;
  namespace: string;
  temporalPid: number;
  client: Client;
  gcsUrl: string;
  gcsPid: number;
  gcs: Storage;
  workflowBundlePath: string;
  /** bench/floor-workflows.ts bundled, when the stack was started with `floor`. */
  floorBundlePath?: string;
  close(): Promise<void>;
  /** Synchronous last resort for process.on('exit'). */
  killNow(): void;
}

async function waitForFakeGcs(url: string, proc: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.hasExited) throw new Error(`fake-gcs-server exited (${proc.describeExit()}):\n${proc.tail(2_000)}`);
    if (Date.now() > deadline) throw new Error(`fake-gcs-server did not answer at ${url} within 60 s:\n${proc.tail(2_000)}`);
    try {
      const res = await fetch(`${url}/storage/v1/b`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
}

/** Starts the Temporal dev server and fake-gcs-server, and bundles the workflows (and the floor's, with `floor`). */
export async function startBenchStack(log: (line: string) => void, options: { floor?: boolean } = {}): Promise<BenchStack> {
  const procs: ManagedProcess[] = [];
  let stopReaper = (): void => undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    await Promise.all(procs.map((p) => p.stop()));
    stopReaper();
  };
  try {
    const namespace = 'default';
    const gcsPort = await freePort(HOST);
    const gcsUrl = `http://${HOST}:${gcsPort}`;
    const gcsProc = new ManagedProcess({
      name: 'fake-gcs-server',
      command: locateBinary('fake-gcs-server'),
      args: fakeGcsArgs(HOST, gcsPort),
    });
    procs.push(gcsProc);
    const temporal = await startTemporalDevServer({ cli: temporalCli(log), host: HOST, namespace, log });
    procs.push(temporal.process);
    stopReaper = startOrphanReaper(
      process.pid,
      procs.map((p) => p.pid).filter((p) => p > 0),
    );
    await waitForFakeGcs(gcsUrl, gcsProc);

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const dir = await mkdtemp(path.join(tmpdir(), 'kt-bench-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // As createKlingWorker bundles from workflowsPath(): the log-attribute interceptors and the workflows entry preloaded.
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietBundleLogger });
    const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
    await writeFile(workflowBundlePath, bundle.code);
    let floorBundlePath: string | undefined;
    if (options.floor) {
      const floor = await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('./floor-workflows.ts', import.meta.url)),
        logger: quietBundleLogger,
      });
      floorBundlePath = path.join(dir, 'floor-bundle.js');
      await writeFile(floorBundlePath, floor.code);
    }

    return {
      temporalAddress: temporal.address,
      namespace,
      temporalPid: temporal.process.pid,
      client: new Client({ connection, namespace }),
      gcsUrl,
      gcsPid: gcsProc.pid,
      gcs: new Storage({ projectId: 'bench', apiEndpoint: gcsUrl, useAuthWithCustomEndpoint: false }),
      workflowBundlePath,
      floorBundlePath,
      close,
      killNow: () => procs.forEach((p) => p.killNow()),
    };
  } catch (err) {
    await close();
    throw err;
  }
}

const quietBundleLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(`[workflow-bundle] ${message}`),
  error: (message: string) => console.error(`[workflow-bundle] ${message}`),
};
