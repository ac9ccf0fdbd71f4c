// The package as a backend service gets it: `npm pack` (which builds lib/ through `prepare`), a fresh project that
// `npm install`s the tarball with typescript and @temporalio/client from the registry, a TypeScript consumer of every
// entry point type-checked under a strict and a non-strict tsconfig (skipLibCheck false) and run with plain node, the
// installed `kling-video` bin under plain node, and one real generation through the installed package (its simulator,
// a worker from `kling-temporal/worker`, VideoGenerationClient from `kling-temporal`), whose history, as
// `temporal workflow show --output json` writes it, replays with `replayHistories` from `kling-temporal/testing`.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, type CliRun } from '../cli/cli-process.js';
import { projectRoot } from '../support/binaries.js';
import { testServers, uniqueId } from '../support/servers.js';

const repoVersion = async (name: string): Promise<string> =>
  (JSON.parse(await readFile(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** npm's environment without what an enclosing `npm test` put there (its package, its lifecycle, its local prefix). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'INIT_CWD' || key === 'npm_config_local_prefix' || (key.startsWith('npm_') && !key.startsWith('npm_config_'))) continue;
    env[key] = value;
  }
  return { ...env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
}

async function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

function ok(what: string, result: CliRun): CliRun {
  if (result.code !== 0)
    throw new Error(
      `${what} failed (exit ${String(result.code)}, signal ${String(result.signal)}):\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  return result;
}

/** The last stdout line as JSON (Temporal's runtime may log above it). */
function lastJson<T>(result: CliRun): T {
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`no JSON line at the end of stdout:\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
}

// Every entry point: values are used so the imports cannot be elided; the Kling client estimates a request; the
// simulator starts and stops. Types only a correct declaration tree can give are exercised too.
const ENTRIES_TS = `
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import {
  COST_MEMO_KEY, DEFAULT_TASK_QUEUE, FailureType, KlingValidationError, NON_RETRYABLE_FAILURES, SEARCH_ATTRIBUTES, VideoGenerationClient,
  isFailureType, isKlingFailure, klingFailureOf, IdempotencyConflictError, isIdempotencyConflict,
  type GenerationRequest, type BatchRequest, type GenerateVideoOptionsInput, type GenerateVideoResult, type GenerationProgress, type KlingFailure, type StartOptions, type VideoRequestInput,
} from 'kling-temporal';
import {
  createActivities, createKlingWorker, createLocalStorage, runWorker, workerDepsFromConfig, workflowBundleOptions, workflowInterceptorModules, workflowsPath,
  type ActivityDeps,
} from 'kling-temporal/worker';
import { adoptVideo, approveUpdate, generateBatch, generateVideo, progressQuery } from 'kling-temporal/workflows';
import { KlingClient, estimateCredits, lintPrompt, resolveWithoutCredentials, type CreditEstimate } from 'kling-temporal/kling';
import { replayHistories, startSimulator, type ReplayedHistory, type Simulator } from 'kling-temporal/testing';

const request: VideoRequestInput = { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trotting through fresh snow at dawn, low tracking shot, soft golden light', duration: 5, resolution: '1080p' };
const options: GenerateVideoOptionsInput = { maxCredits: 100, poll: { initialInterval: '1s' } };
const start: StartOptions = { workflowId: 'consumer-check', options };
const estimate: CreditEstimate = estimateCredits(resolveWithoutCredentials(request));
// The request type reaches consumers under both tsconfigs: a misspelled field and a wrong kind do not compile.
const typed: GenerationRequest = { model: 'kling-2.6', kind: 'text-to-video', prompt: 'a fox' };
// @ts-expect-error: 'promt' is not a request field
const misspelled: GenerationRequest = { model: 'kling-2.6', kind: 'text-to-video', promt: 'a fox' };
// @ts-expect-error: 'text-to-audio' is not a kind
const wrongKind: GenerationRequest = { model: 'kling-2.6', kind: 'text-to-audio', prompt: 'a fox' };
const conflict: boolean = isIdempotencyConflict(new IdempotencyConflictError('id-1', ['prompt'], 'RUNNING'));
const sim: Simulator = await startSimulator();
const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: sim.credentials.apiKeys[0] ?? '' } });
const resolved = kling.resolve(request);
await sim.close();
const failure: KlingFailure | undefined = klingFailureOf(new Error('not a failure'));
const progress: GenerationProgress | undefined = undefined;
const result: GenerateVideoResult | undefined = undefined;
const replayed: ReplayedHistory[] = await replayHistories([]);
const deps: Partial<ActivityDeps> = { storage: createLocalStorage({ root: 'videos' }) };
// The consumer's own workflows, which import 'kling-temporal/workflows', bundle (no Node built-ins reach the sandbox).
const silent = () => undefined;
const bundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)),
  logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: (message) => console.error(message) },
});
console.log(JSON.stringify({
  credits: estimate.credits,
  standard: resolved.standard,
  lint: lintPrompt(request.prompt ?? '').score,
  simulator: sim.url,
  client: [typeof VideoGenerationClient, typeof Client, typeof Connection, start.workflowId, DEFAULT_TASK_QUEUE, COST_MEMO_KEY, SEARCH_ATTRIBUTES.length],
  typed: [typed.kind, misspelled.model, wrongKind.model, conflict, typeof ({} as BatchRequest)],
  failures: [FailureType.BudgetExceeded, NON_RETRYABLE_FAILURES.length > 0, isFailureType('BudgetExceeded'), isKlingFailure(new Error('x')), failure ?? null, typeof KlingValidationError],
  worker: [typeof createKlingWorker, typeof createActivities, typeof runWorker, typeof workerDepsFromConfig, typeof deps.storage],
  workflowsPath: workflowsPath(),
  interceptors: workflowInterceptorModules(),
  bundleOptions: workflowBundleOptions(),
  workflows: [typeof generateVideo, typeof adoptVideo, typeof generateBatch, progressQuery.name, approveUpdate.name],
  replayed: replayed.length,
  bundled: bundle.code.includes('generateVideo') && bundle.code.includes('twoVideos'),
  unused: [progress ?? null, result ?? null],
}));
`;

// A consumer's workflow file: runs this package's generateVideo as a child and re-exports it for its own worker.
const WORKFLOWS_TS = `
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { GenerateVideoInput, GenerateVideoResult } from 'kling-temporal';
import { generateVideo } from 'kling-temporal/workflows';
export { generateVideo } from 'kling-temporal/workflows';

export async function twoVideos(input: GenerateVideoInput): Promise<GenerateVideoResult[]> {
  const id = workflowInfo().workflowId;
  return await Promise.all([1, 2].map((n) => executeChild(generateVideo, { args: [input], workflowId: \`\${id}-\${n}\` })));
}
`;

// One generation through the installed package, then its history (from the Temporal CLI) replayed.
const GENERATE_TS = `
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { VideoGenerationClient, type GenerateVideoResult } from 'kling-temporal';
import { createKlingWorker, createLocalStorage } from 'kling-temporal/worker';
import { KlingClient } from 'kling-temporal/kling';
import { replayHistories, startSimulator } from 'kling-temporal/testing';

const [address, namespace, temporalCli, workDir, id] = process.argv.slice(2) as [string, string, string, string, string];
Runtime.install({ logger: new DefaultLogger('WARN') });
const sim = await startSimulator({ schedule: { submittedMs: 100, processingMs: 300 } });
const [keys] = sim.credentials.accessKeys;
const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: sim.credentials.apiKeys[0], accessKey: keys?.accessKey, secretKey: keys?.secretKey } });
const workerConnection = await NativeConnection.connect({ address });
const worker = await createKlingWorker({
  connection: workerConnection,
  namespace,
  taskQueue: id,
  deps: { kling, storage: createLocalStorage({ root: path.join(workDir, 'videos') }), videoHosts: { allow: [new URL(sim.url).host], allowHttp: true } },
});
const connection = await Connection.connect({ address });
const videos = new VideoGenerationClient(new Client({ connection, namespace }), { taskQueue: id });
let result: GenerateVideoResult;
const phases: string[] = [];
let viaBin: { status?: string; result?: GenerateVideoResult } = {};
try {
  [result, viaBin] = await worker.runUntil(async () => {
    // The library: start, progress, result in one call.
    const generated = await videos.generate(
      { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A paper boat drifting down a rain-soaked street gutter, macro lens, overcast light', duration: 5 },
      { workflowId: id, options: { poll: { initialInterval: 200, maxInterval: 500 } }, onProgress: (p) => phases.push(p.phase), progressIntervalMs: 100 },
    );
    // The installed bin under plain node: one more real generation on the same worker.
    const bin = path.join(process.cwd(), 'node_modules', '.bin', 'kling-video');
    const cli = await promisify(execFile)(process.execPath, [bin, 'generate', '-m', 'kling-2.6', '-p', 'A lighthouse beam sweeps over a stormy sea at night, wide shot', '-d', '5', '--workflow-id', id + '-bin', '--poll-interval', '200', '--poll-max-interval', '500', '--wait', '--json'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, KLING_TASK_QUEUE: id, KLING_DOTENV: 'off' },
      maxBuffer: 16 << 20,
    });
    // --json prints one (indented) document; a runtime log line may come first.
    const at = cli.stdout.startsWith('{') ? 0 : cli.stdout.indexOf('\\n{') + 1;
    return [generated, JSON.parse(cli.stdout.slice(at))] as const;
  });
} finally {
  await connection.close();
  await workerConnection.close();
  await sim.close();
}
const stored = await readFile(fileURLToPath(result.uri));
const history = await promisify(execFile)(temporalCli, ['workflow', 'show', '--workflow-id', id, '--address', address, '--namespace', namespace, '--output', 'json'], { maxBuffer: 64 << 20 });
const historyFile = path.join(workDir, 'generation.json');
await writeFile(historyFile, history.stdout);
const replayed = await replayHistories(historyFile);
console.log(JSON.stringify({
  result,
  phases,
  viaBin,
  storedSha256: createHash('sha256').update(stored).digest('hex'),
  simulatorSha256: sim.videoSha256(result.klingTaskId),
  replayed: replayed.map((r) => ({ name: r.name, workflowId: r.workflowId, error: r.error ? String(r.error) : null })),
}));
`;

// Any project on @temporalio/client with moduleResolution NodeNext, noImplicitAny and skipLibCheck false needs this
// path: @temporalio/common's time.d.ts imports types from ms@3.0.0-canary.1, whose `exports` has no `types`
// condition (TS7016; temporalio/sdk-typescript#1668). Not a property of this package.
const MS_TYPES_PATH = { ms: ['./node_modules/ms/dist/index.d.ts'] };
const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
    paths: MS_TYPES_PATH,
  },
  include: ['src'],
};
const LOOSE_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: false,
    skipLibCheck: false,
    types: ['node'],
    noEmit: true,
  },
  include: ['src'],
};

describe('the packed package, installed in a fresh project', () => {
  let work: string;
  let consumer: string;
  let files: string[] = [];
  const timings: Record<string, number> = {};
  const started = Date.now();
  async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[label] = Date.now() - t0;
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'kt-package-'));
    consumer = path.join(work, 'consumer');
    await mkdir(path.join(consumer, 'src'), { recursive: true });
    const packed = await timed('npm pack (prepare: build)', async () =>
      ok('npm pack', await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: projectRoot, timeoutMs: 180_000 })),
    );
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    if (!info) throw new Error(`npm pack --json printed no package:\n${packed.stdout}`);
    files = info.files.map((f) => f.path);
    const versions = await Promise.all(
      ['typescript', '@temporalio/client', '@temporalio/worker', '@temporalio/workflow', '@types/node'].map(
        async (p) => `${p}@${await repoVersion(p)}`,
      ),
    );
    await writeFile(path.join(consumer, 'package.json'), `${JSON.stringify({ name: 'kt-consumer', private: true, type: 'module' }, null, 2)}\n`);
    await timed('npm install (tarball + typescript, @temporalio/client, worker, workflow, @types/node)', async () =>
      ok(
        'npm install',
        await run(
          'npm',
          ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, info.filename), ...versions],
          {
            cwd: consumer,
            timeoutMs: 240_000,
          },
        ),
      ),
    );
    await writeFile(path.join(consumer, 'src', 'entries.ts'), ENTRIES_TS);
    await writeFile(path.join(consumer, 'src', 'generate.ts'), GENERATE_TS);
    await writeFile(path.join(consumer, 'src', 'workflows.ts'), WORKFLOWS_TS);
    await writeFile(path.join(consumer, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG, null, 2));
    await writeFile(path.join(consumer, 'tsconfig.loose.json'), JSON.stringify(LOOSE_TSCONFIG, null, 2));
  }, 420_000);

  afterAll(async () => {
    console.log(
      `[package consumer] ${Math.round((Date.now() - started) / 1000)} s in all: ${Object.entries(timings)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join('; ')}`,
    );
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships the compiled entry points, their declarations and the bin; no tests', () => {
    for (const entry of [
      'index',
      'worker-entry',
      'workflows-entry',
      'kling-entry',
      'testing',
      'cli/main',
      'workflows/index',
      'workflows/log-attributes',
    ])
      expect(files, entry).toEqual(expect.arrayContaining([`lib/${entry}.js`, `lib/${entry}.d.ts`]));
    expect(files).toEqual(expect.arrayContaining(['bin/kling-video.js', 'package.json', 'README.md']));
    expect(files.filter((f) => /^(test|scripts|bench|examples|\.tools|node_modules)\//.test(f) || f.endsWith('.tsbuildinfo'))).toEqual([]);
  });

  it('type-checks a consumer of every entry point under a strict and a non-strict tsconfig (skipLibCheck false)', async () => {
    const tsc = path.join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');
    const [strict, loose] = await timed('tsc strict + non-strict (in parallel)', () =>
      Promise.all([
        run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer, timeoutMs: 240_000 }),
        run(process.execPath, [tsc, '-p', 'tsconfig.loose.json'], { cwd: consumer, timeoutMs: 240_000 }),
      ]),
    );
    ok('tsc (strict)', strict);
    ok('tsc (strict: false)', loose);
  }, 250_000);

  it('runs the compiled consumer with plain node: every entry point imports, the Kling client estimates, the simulator starts and stops, its workflows bundle', async () => {
    const out = lastJson<Record<string, unknown>>(
      ok(
        'node dist/entries.js',
        await timed('node dist/entries.js', () => run(process.execPath, ['dist/entries.js'], { cwd: consumer, env: cleanEnv() })),
      ),
    );
    expect(out).toMatchObject({
      standard: 'new',
      client: ['function', 'function', 'function', 'consumer-check', 'kling-video', 'klingCosts', 4],
      failures: ['BudgetExceeded', true, true, false, null, 'function'],
      worker: ['function', 'function', 'function', 'function', 'object'],
      workflowsPath: path.join(consumer, 'node_modules', 'kling-temporal', 'lib', 'workflows', 'index.js'),
      interceptors: [path.join(consumer, 'node_modules', 'kling-temporal', 'lib', 'workflows', 'log-attributes.js')],
      // What a prebuilt bundle of the package's workflows takes: the entry, its interceptors, the entry preloaded.
      bundleOptions: {
        workflowsPath: path.join(consumer, 'node_modules', 'kling-temporal', 'lib', 'workflows', 'index.js'),
        workflowInterceptorModules: [path.join(consumer, 'node_modules', 'kling-temporal', 'lib', 'workflows', 'log-attributes.js')],
        preloadModules: [path.join(consumer, 'node_modules', 'kling-temporal', 'lib', 'workflows', 'index.js')],
      },
      workflows: ['function', 'function', 'function', 'progress', 'approve'],
      replayed: 0,
      bundled: true,
    });
    expect(out.credits).toEqual(expect.any(Number));
    expect(out.credits).toBeGreaterThan(0);
    expect(out.simulator).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('runs the installed kling-video bin with plain node', async () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'kling-video');
    const help = ok('kling-video --help', await run(process.execPath, [bin, '--help'], { cwd: consumer, env: cleanEnv() }));
    expect(help.stdout).toContain('Usage: kling-video');
    // Offline estimate: the compiled CLI end to end, no tsx anywhere in the consumer.
    const estimate = ok(
      'kling-video estimate',
      await run(process.execPath, [bin, 'estimate', '-m', 'kling-2.6', '-p', 'A lighthouse at dusk, slow aerial orbit', '-d', '5', '--json'], {
        cwd: consumer,
        env: cleanEnv(),
      }),
    );
    expect(estimate.stdout).toMatch(/credits/);
  });

  it('generates a video through the installed package (generate() with progress) and one through the installed bin, and replays the history', async () => {
    const { temporalAddress, temporalNamespace, temporalCliPath } = testServers();
    const out = lastJson<{
      result: Record<string, unknown>;
      phases: string[];
      viaBin: { status?: string; result?: { uri?: string; model?: string } };
      storedSha256: string;
      simulatorSha256: string;
      replayed: Array<{ error: string | null }>;
    }>(
      ok(
        'node dist/generate.js',
        await timed('generation + replay', () =>
          run(process.execPath, ['dist/generate.js', temporalAddress, temporalNamespace, temporalCliPath, work, uniqueId('pkg')], {
            cwd: consumer,
            env: cleanEnv(),
            timeoutMs: 110_000,
          }),
        ),
      ),
    );
    expect(out.result).toMatchObject({ model: 'kling-2.6', contentType: 'video/mp4', submissions: 1 });
    expect(out.result.uri).toMatch(/^file:\/\//);
    expect(out.storedSha256).toBe(out.simulatorSha256);
    expect(out.phases).toContain('generating'); // progress reached the caller while it waited
    expect(out.viaBin).toMatchObject({ status: 'completed', result: { model: 'kling-2.6' } });
    expect(out.viaBin.result?.uri).toMatch(/^file:\/\//);
    expect(out.replayed).toEqual([expect.objectContaining({ name: 'generation', error: null })]);
  }, 120_000);
});
