// vitest globalSetup: starts the real servers ONCE per test run and hands their addresses to the tests
// through `provide` (read them with `testServers()` from ./servers.ts, or vitest's `inject`).
//   - Temporal dev server (`temporal server start-dev`, in-memory, custom search attributes registered)
//   - fake-gcs-server (in-memory GCS emulator, plain http)
// The time-skipping test server is started per test file by createTimeSkippingEnv(); only its path is provided.
// Teardown stops every process started here (whole process group, SIGTERM then SIGKILL); an orphan reaper
// does the same if the vitest process dies without tearing down.
//
// Environment (see docs/testing.md):
//   KT_TEST_TEMPORAL_ADDRESS / KT_TEST_TEMPORAL_NAMESPACE  use your own Temporal server instead of starting one
//   KT_TEST_FAKE_GCS_URL                                   use your own fake-gcs-server instead of starting one
//   KT_TEST_SERVER_LOGS=1                                  copy the servers' output to stderr
//   KT_TEST_SERVER_START_TIMEOUT_MS                        how long to wait for each server (default 60000)
//   TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH / FAKE_GCS_SERVER_PATH  binaries (else .tools/, see binaries.ts)
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import type { TestProject } from 'vitest/node';
import { locateBinaries } from './binaries.js';
import { fakeGcsArgs } from './fake-gcs.js';
import { ManagedProcess, freePorts, sleep, startOrphanReaper } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the Temporal frontend (gRPC) the tests share. */
    temporalAddress: string;
    /** Namespace on that server ("default" unless KT_TEST_TEMPORAL_NAMESPACE says otherwise). */
    temporalNamespace: string;
    /** Absolute path of the `temporal` CLI binary. */
    temporalCliPath: string;
    /** Absolute path of the `temporal-test-server` (time-skipping) binary. */
    temporalTestServerPath: string;
    /** Base URL of fake-gcs-server, e.g. http://127.0.0.1:41234 (use as Storage apiEndpoint). */
    fakeGcsUrl: string;
  }
}

/** Custom search attributes the project's workflows upsert; registered on the dev server at start. */
export const KLING_SEARCH_ATTRIBUTES = ['KlingPhase', 'KlingTaskId', 'KlingModel', 'KlingStatus'] as const;

const KEYWORD = encodeSearchAttributeIndexedValueType('KEYWORD') ?? 2; // INDEXED_VALUE_TYPE_KEYWORD
const HOST = '127.0.0.1';
const LOG_PREFIX = '[test-bed]';

function startTimeoutMs(): number {
  const v = Number(process.env.KT_TEST_SERVER_START_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 60_000;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function startupError(proc: ManagedProcess, what: string): Error {
  return new Error(
    `${LOG_PREFIX} ${proc.name} ${what}.\n  command: ${proc.commandLine}\n  process: ${proc.describeExit()}\n` +
      `  output (tail):\n${proc
        .tail()
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}`,
  );
}

/** Waits until the Temporal frontend answers, the namespace exists and our search attributes are registered. */
async function waitForTemporal(
  address: string,
  namespace: string,
  opts: { proc?: ManagedProcess; registerMissingAttributes: boolean },
): Promise<void> {
  const deadline = Date.now() + startTimeoutMs();
  let lastError: unknown;
  for (;;) {
    if (opts.proc?.hasExited) throw startupError(opts.proc, 'exited before it became ready');
    if (Date.now() > deadline) {
      const msg = `did not become ready within ${startTimeoutMs()} ms at ${address} (last error: ${errorMessage(lastError)})`;
      throw opts.proc ? startupError(opts.proc, msg) : new Error(`${LOG_PREFIX} Temporal server ${msg}`);
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      const conn = connection;
      await conn.withDeadline(Date.now() + 5_000, () => conn.workflowService.describeNamespace({ namespace }));
      const { customAttributes } = await conn.withDeadline(Date.now() + 5_000, () => conn.operatorService.listSearchAttributes({ namespace }));
      const missing = KLING_SEARCH_ATTRIBUTES.filter((k) => !(customAttributes && k in customAttributes));
      if (missing.length > 0) {
        if (!opts.registerMissingAttributes) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
        console.log(`${LOG_PREFIX} registering search attributes ${missing.join(', ')} on ${address}/${namespace}`);
        await conn.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((k) => [k, KEYWORD])),
        });
        continue;
      }
      return;
    } catch (err) {
      lastError = err;
      await sleep(250);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }
}

/** Waits until fake-gcs-server answers GET /storage/v1/b with 200. */
async function waitForFakeGcs(url: string, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + startTimeoutMs();
  let lastError = 'no attempt yet';
  for (;;) {
    if (proc?.hasExited) throw startupError(proc, 'exited before it became ready');
    if (Date.now() > deadline) {
      const msg = `did not answer GET ${url}/storage/v1/b within ${startTimeoutMs()} ms (last: ${lastError})`;
      throw proc ? startupError(proc, msg) : new Error(`${LOG_PREFIX} fake-gcs-server ${msg}`);
    }
    try {
      const res = await fetch(`${url}/storage/v1/b`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = errorMessage(err);
    }
    await sleep(100);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const binaries = locateBinaries(); // throws with the provisioning command if anything is missing
  const echo = process.env.KT_TEST_SERVER_LOGS === '1';
  const procs: ManagedProcess[] = [];
  let stopReaper: () => void = () => undefined;

  const killAllNow = (): void => {
    for (const p of procs) p.killNow();
  };
  process.once('exit', killAllNow);

  const teardown = async (): Promise<void> => {
    const t0 = Date.now();
    await Promise.all(procs.map((p) => p.stop()));
    stopReaper();
    process.removeListener('exit', killAllNow);
    if (procs.length > 0) console.log(`${LOG_PREFIX} stopped ${procs.map((p) => p.name).join(', ')} in ${Date.now() - t0} ms`);
  };

  try {
    const externalTemporal = process.env.KT_TEST_TEMPORAL_ADDRESS;
    const externalGcs = process.env.KT_TEST_FAKE_GCS_URL;
    const namespace = process.env.KT_TEST_TEMPORAL_NAMESPACE ?? 'default';
    const [temporalPort, httpPort, metricsPort, gcsPort] = (await freePorts(4, HOST)) as [number, number, number, number];

    let temporal: ManagedProcess | undefined;
    let temporalAddress: string;
    if (externalTemporal) {
      temporalAddress = externalTemporal;
    } else {
      temporalAddress = `${HOST}:${temporalPort}`;
      const args = [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        HOST,
        '--port',
        String(temporalPort),
        '--http-port',
        String(httpPort),
        '--metrics-port',
        String(metricsPort),
        '--log-level',
        'warn',
        '--namespace',
        namespace,
        ...KLING_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k}=Keyword`]),
      ];
      temporal = new ManagedProcess({ name: 'temporal dev server', command: binaries.temporalCli, args, echo });
      procs.push(temporal);
    }

    let gcs: ManagedProcess | undefined;
    let fakeGcsUrl: string;
    if (externalGcs) {
      fakeGcsUrl = externalGcs.replace(/\/+$/, '');
    } else {
      fakeGcsUrl = `http://${HOST}:${gcsPort}`;
      gcs = new ManagedProcess({ name: 'fake-gcs-server', command: binaries.fakeGcsServer, args: fakeGcsArgs(HOST, gcsPort), echo });
      procs.push(gcs);
    }

    if (procs.length > 0)
      stopReaper = startOrphanReaper(
        process.pid,
        procs.map((p) => p.pid).filter((p) => p > 0),
      );

    await Promise.all([
      waitForTemporal(temporalAddress, namespace, { proc: temporal, registerMissingAttributes: temporal === undefined }),
      waitForFakeGcs(fakeGcsUrl, gcs),
    ]);

    project.provide('temporalAddress', temporalAddress);
    project.provide('temporalNamespace', namespace);
    project.provide('temporalCliPath', binaries.temporalCli);
    project.provide('temporalTestServerPath', binaries.temporalTestServer);
    project.provide('fakeGcsUrl', fakeGcsUrl);

    console.log(
      `${LOG_PREFIX} node ${process.version} | temporal ${temporalAddress} (${temporal ? `dev server pid ${temporal.pid}` : 'external'}, ` +
        `namespace ${namespace}) | fake-gcs ${fakeGcsUrl} (${gcs ? `pid ${gcs.pid}` : 'external'}) | ready in ${Date.now() - started} ms`,
    );
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
