// The embedded stack behind `npm start` (one sample video, then stop) and `kling-video dev` (kept running):
// a Temporal dev server with its Web UI (started, or reused when one answers), the Kling simulator when no
// Kling keys are configured, a worker in this process, and one video through the real generateVideo workflow.
// Everything it starts, it stops: the dev server's whole process group, the orphan reaper, the simulator.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { VideoGenerationClient } from '../../client.js';
import { workerConfigFromEnv } from '../../config.js';
import { estimateCredits } from '../../kling/index.js';
import { startSimulator } from '../../simulator/index.js';
import type { GenerateVideoInput, GenerateVideoResult } from '../../contract/generation.js';
import { createKlingWorker, workerDepsFromConfig, workerMetrics } from '../../worker.js';
import { startMetricsEndpoint } from '../../metrics/http-endpoint.js';
import { startTracing } from '../../tracing/index.js';
import { freeLoopbackPort } from '../../metrics/worker-runtime.js';
import { namespaceNotFound, toCliError } from '../exit-codes.js';
import type { Output } from '../output.js';
import { generationProgress, watchProgress } from '../progress.js';
import { resolveLocally } from '../request-options.js';
import { localPath, resultLines, workflowUiUrl } from '../result-format.js';
import { generatedWorkflowId } from '../commands/generate.js';
import { resolveTemporalConfig, type TemporalFlags } from '../temporal.js';
import { startOrphanReaper, type ManagedProcess } from './processes.js';
import { ensureSearchAttributes, probeTemporal, startTemporalDevServer, temporalCli, type TemporalTarget } from './temporal-server.js';

/** The sample request of `npm start`: the cheapest silent 5-second clip on a current model. */
export const SAMPLE_REQUEST = {
  model: 'kling-2.6',
  kind: 'text-to-video',
  prompt: 'Close-up of a monarch butterfly landing on a lavender flower, golden hour light, shallow depth of field, macro lens, cinematic',
  duration: 5,
  resolution: '720p',
  audio: false,
} as const;

export interface DevStackOptions {
  /**
   * `dev`: keep everything running until SIGINT/SIGTERM (or `stop`). `npm start` in a terminal: the same, after the
   * sample (so the Web UI link it printed stays alive). `npm start` not interactive: stop after the sample.
   */
  keepRunning: boolean;
  /** `npm start` in a terminal: after the sample, say the Web UI stays up until Ctrl-C (instead of the `dev` how-to). */
  keptForTerminal?: boolean;
  /** The CLI's --address / --namespace / --profile (over the environment and the profile, as everywhere). */
  temporal?: TemporalFlags;
  /** Generate the sample video (default true). */
  sample?: boolean;
  output: Output;
  /** Task queue of the in-process worker (default KLING_TASK_QUEUE or kling-video). */
  taskQueue?: string;
  /** Simulator port when the simulator is started (default 0: any free port). */
  simulatorPort?: number;
  /** Resolves to stop a kept-running stack (tests); SIGINT/SIGTERM do the same. */
  stop?: Promise<void>;
}

export interface DevStackReport {
  temporal: { address: string; uiUrl: string; started: boolean; pid?: number };
  simulator?: { url: string };
  taskQueue: string;
  workflowId?: string;
  uiLink?: string;
  result?: GenerateVideoResult;
  file?: string;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address);
  return { host: m?.[1] ?? address, port: m ? Number(m[2]) : 7233 };
}

function hasKlingKeys(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KLING_API_KEY || (env.KLING_ACCESS_KEY && env.KLING_SECRET_KEY));
}

/** Runs the stack; throws a CliError-convertible error when the sample fails. Always stops what it started. */
export async function runDevStack(options: DevStackOptions): Promise<DevStackReport> {
  const say = (line: string) => options.output.out(`[kling-video] ${line}`);
  const cleanups: { name: string; fn: () => Promise<void> }[] = [];
  const stopSignals = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    // `on`, not `once`, until everything is stopped: Ctrl-C reaches every process of the terminal's foreground
    // group (npm, this one) and npm relays it too, so a second SIGINT arrives while stopping; with no listener
    // left it would kill this process (exit 130) before the worker and the dev server are stopped. (`npm start` runs
    // node with tsx registered in-process, not the tsx wrapper: on a busy machine the wrapper's 30 ms signal relay
    // gave up on this process and SIGKILLed it mid-cleanup, exit 130.)
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    cleanups.push({
      name: 'signal handlers',
      fn: async () => {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      },
    });
  });
  let interrupted: NodeJS.Signals | undefined;
  void stopSignals.then((signal) => {
    interrupted = signal;
    say(`received ${signal}: stopping`);
  });
  const interruptible = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, stopSignals.then((signal) => Promise.reject(new Error(`interrupted by ${signal}`)))]);

  try {
    // 1. Temporal
    const temporalConfig = resolveTemporalConfig(options.temporal);
    const namespace = temporalConfig.namespace;
    const configured = temporalConfig.address;
    const { host, port } = splitAddress(configured);
    let temporal: DevStackReport['temporal'];
    /** How the worker and the client connect: the configured TLS / API key for a reused server, plain for ours. */
    let target: TemporalTarget = temporalConfig.connectionOptions;
    say(`Temporal: looking for a server at ${configured} (namespace ${namespace})…`);
    // With the profile's TLS and API key: a cloud or TLS server is reused, not mistaken for nothing answering.
    const found = await probeTemporal(temporalConfig.connectionOptions, namespace);
    // A server without the namespace: starting another one on its port would fail with a misleading message.
    if (found === 'no-namespace') throw namespaceNotFound(namespace, temporalConfig);
    if (found === 'ready') {
      const added = await ensureSearchAttributes(temporalConfig.connectionOptions, namespace);
      const uiUrl = process.env.KLING_TEMPORAL_UI_URL ?? `http://${LOCAL_HOSTS.has(host) ? '127.0.0.1' : host}:${port + 1000}`;
      temporal = { address: configured, uiUrl, started: false };
      say(
        `Temporal: reusing the server at ${configured}${added.length ? ` (registered search attributes ${added.join(', ')})` : ''}; Web UI assumed at ${uiUrl} (set KLING_TEMPORAL_UI_URL if elsewhere)`,
      );
    } else {
      if (!LOCAL_HOSTS.has(host))
        throw Object.assign(new Error(`no Temporal server answers at ${configured}, and it is not a local address to start one on`), {
          code: 'UNAVAILABLE',
        });
      const cli = temporalCli(say);
      say(
        `Temporal: nothing answers at ${configured}; starting a dev server (${cli}) with its Web UI and the search attributes KlingPhase, KlingTaskId, KlingModel, KlingStatus…`,
      );
      const uiPort = Number(process.env.KLING_TEMPORAL_UI_PORT) || port + 1000;
      const started = await startTemporalDevServer({ cli, host: '127.0.0.1', port, uiPort, namespace, log: say });
      const proc: ManagedProcess = started.process;
      const stopReaper = startOrphanReaper(process.pid, [proc.pid]);
      cleanups.push({
        name: 'Temporal dev server',
        fn: async () => {
          await proc.stop();
          stopReaper();
        },
      });
      temporal = { address: started.address, uiUrl: started.uiUrl, started: true, pid: proc.pid };
      target = started.address;
      say(`Temporal: dev server ready at ${started.address} (pid ${proc.pid}), Web UI ${started.uiUrl}`);
    }

    // 2. Kling: the real API when keys are configured, else the simulator
    let env: NodeJS.ProcessEnv = process.env;
    let simulator: DevStackReport['simulator'];
    if (hasKlingKeys(process.env)) {
      say(
        `Kling: keys found in the environment; talking to ${process.env.KLING_BASE_URL || 'https://api-singapore.klingai.com'} (a generation costs credits)`,
      );
    } else {
      const sim = await startSimulator({ port: options.simulatorPort ?? 0, host: '127.0.0.1' });
      cleanups.push({ name: 'Kling simulator', fn: () => sim.close() });
      simulator = { url: sim.url };
      env = {
        ...process.env,
        KLING_BASE_URL: sim.url,
        KLING_API_KEY: sim.credentials.apiKeys[0] ?? 'sim-api-key',
        KLING_ACCESS_KEY: '',
        KLING_SECRET_KEY: '',
        // The simulator's CDN is plain http on loopback: allow exactly that host for downloads.
        KLING_VIDEO_HOSTS: new URL(sim.url).host,
        KLING_VIDEO_ALLOW_HTTP: 'true',
      };
      say(`Kling: no KLING_API_KEY or KLING_ACCESS_KEY/KLING_SECRET_KEY set; started the Kling simulator at ${sim.url} (no credits spent)`);
    }

    // 3. Worker, in this process
    const config = workerConfigFromEnv(env);
    const taskQueue = options.taskQueue ?? config.taskQueue;
    const storageText = config.storage.bucket
      ? `GCS bucket ${config.storage.bucket}${config.storage.apiEndpoint ? ` at ${config.storage.apiEndpoint}` : ''}`
      : `the local directory ${path.resolve(config.storage.localRoot ?? './data/videos')}`;
    // KLING_METRICS_PORT: the same endpoint as `kling-video worker` (project, process and Temporal runtime metrics).
    const metrics = config.metrics ? workerMetrics(config) : undefined;
    const runtimeMetricsPort = config.metrics ? await freeLoopbackPort() : undefined;
    let runtimeMetricsUrl: string | undefined;
    try {
      Runtime.install({
        logger: new DefaultLogger('WARN'),
        shutdownSignals: [],
        ...(runtimeMetricsPort === undefined
          ? {}
          : { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${runtimeMetricsPort}` } } } }),
      });
      if (runtimeMetricsPort !== undefined) runtimeMetricsUrl = `http://127.0.0.1:${runtimeMetricsPort}/metrics`;
    } catch {
      // A Runtime exists already (embedding process); keep it (its runtime metrics, if any, are not ours to serve).
    }
    if (metrics && config.metrics) {
      const endpoint = await startMetricsEndpoint({ ...config.metrics, registry: metrics.registry, runtimeMetricsUrl });
      cleanups.push({ name: 'metrics endpoint', fn: () => endpoint.close() });
      say(
        `metrics: ${endpoint.url} (KLING_METRICS_PORT)${runtimeMetricsUrl ? '' : '; Temporal runtime metrics not included (a Runtime existed already)'}`,
      );
    }
    // OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER: traces as `kling-video worker` exports them, the sample's start
    // included (docs/observability.md). Flushed after the worker stops (cleanups run in reverse).
    const tracing = startTracing({ env });
    if (tracing) {
      cleanups.push({ name: 'tracing', fn: () => tracing.shutdown() });
      say('tracing: on (OTEL_* variables), one trace per generation');
    }
    const nativeConnection = await NativeConnection.connect(typeof target === 'string' ? { address: target } : target);
    cleanups.push({ name: 'worker connection', fn: () => nativeConnection.close() });
    say(`worker: bundling the workflow code and starting a worker on task queue "${taskQueue}"; videos go to ${storageText}…`);
    const worker = await createKlingWorker({
      connection: nativeConnection,
      namespace,
      taskQueue,
      deps: workerDepsFromConfig(config, metrics),
      tracing,
    });
    const running = worker.run();
    running.catch(() => undefined);
    cleanups.push({
      name: 'worker',
      fn: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      },
    });
    say('worker: running');

    const report: DevStackReport = { temporal, simulator, taskQueue };

    // 4. One video through the real workflow
    if (options.sample ?? true) {
      const connection = await Connection.connect(typeof target === 'string' ? { address: target } : target);
      cleanups.push({ name: 'client connection', fn: () => connection.close() });
      const videos = new VideoGenerationClient(new Client({ connection, namespace }), { taskQueue, tracing: tracing ?? false });
      const workflowId = generatedWorkflowId('kling-start');
      const uiLink = workflowUiUrl(temporal.uiUrl, namespace, workflowId) as string;
      const estimate = estimateCredits(resolveLocally(SAMPLE_REQUEST));
      report.workflowId = workflowId;
      report.uiLink = uiLink;
      say(
        `generate: starting workflow ${workflowId}: ${SAMPLE_REQUEST.model} ${SAMPLE_REQUEST.kind}, ${SAMPLE_REQUEST.duration}s ${SAMPLE_REQUEST.resolution}, estimated ${estimate.credits} credits`,
      );
      say(`generate: watch it in the Temporal UI: ${uiLink}`);
      const workflowOptions: GenerateVideoInput['options'] = simulator ? { poll: { initialInterval: '1s', maxInterval: '3s' } } : undefined;
      await videos.startVideoGeneration({ ...SAMPLE_REQUEST }, { workflowId, options: workflowOptions });
      const result = videos.result(workflowId);
      result.catch(() => undefined);
      await interruptible(watchProgress(generationProgress(videos, workflowId), result, options.output, { prefix: '[kling-video]   ' }));
      let value: GenerateVideoResult;
      try {
        value = await interruptible(result);
      } catch (err) {
        const error = toCliError(err);
        error.workflowId = workflowId;
        throw error;
      }
      report.result = value;
      report.file = localPath(value.uri);
      say(`generate: done in ${(value.timingsMs.total / 1000).toFixed(1)}s`);
      for (const line of resultLines(value)) say(`  ${line}`);
      say(`  workflow:  ${uiLink}`);
    }

    if (options.keepRunning && !interrupted) {
      if (options.keptForTerminal)
        say(`Web UI at ${report.uiLink ?? `${temporal.uiUrl}/namespaces/${namespace}/workflows`} stays up; press Ctrl-C to stop`);
      say('dev stack running. In another terminal:');
      say(`  export TEMPORAL_ADDRESS=${temporal.address} KLING_TASK_QUEUE=${taskQueue} KLING_TEMPORAL_UI_URL=${temporal.uiUrl}`);
      say(`  npx kling-video generate -m kling-2.6 -p "A red fox trots through fresh snow at dawn, tracking shot, cinematic" -d 5 --wait`);
      say(`  Temporal UI: ${temporal.uiUrl}/namespaces/${namespace}/workflows${simulator ? ` · Kling simulator: ${simulator.url}` : ''}`);
      say('Press Ctrl-C to stop everything.');
      await Promise.race([stopSignals, options.stop ?? new Promise<never>(() => undefined), running.then(() => undefined)]);
    }
    return report;
  } finally {
    say(
      `stopping ${
        cleanups
          .filter((c) => c.name !== 'signal handlers')
          .map((c) => c.name)
          .reverse()
          .join(', ') || 'nothing'
      }…`,
    );
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.fn();
      } catch (err) {
        options.output.err(`[kling-video] stopping ${cleanup.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    say('stopped everything it started');
  }
}
