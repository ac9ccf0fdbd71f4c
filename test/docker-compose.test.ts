// docker-compose.yml and the Dockerfile, proven without Docker (none on CI): the static checks below, then the
// stack itself, each service run with its OWN command, environment and healthcheck as a local process
// (test/support/compose-stack.ts), generating a video end to end and checking the stored object. Each fault of
// issue 18 fails here: a simulator announcing 0.0.0.0, no bucket, sh -c as PID 1, Temporal in memory,
// npm ci in bind mounts, inline credentials, URLs the host cannot reach.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerEnv, workerConfigFromEnv } from '../src/config.js';
import { workflowBundleFileContent } from '../src/workflow-bundle-file.js';
import { projectRoot } from './support/binaries.js';
import { argv, ComposeStack, readCompose, readDockerfile, readEnvFile, type ComposeFile, type DockerImage } from './support/compose-stack.js';
import { cleanEnv, json, runCommand, type CliRun } from './cli/cli-process.js';
import { uniqueId } from './support/servers.js';
import { bundleWorkflows } from './support/workflow-bundle.js';

const TEMPORAL_ENV = new Set(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS', 'TEMPORAL_PROFILE']);
const CREDENTIALS = new Set(['KLING_API_KEY', 'KLING_ACCESS_KEY', 'KLING_SECRET_KEY', 'KLING_WEBHOOK_SECRETS', 'GOOGLE_APPLICATION_CREDENTIALS']);
const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens';
const BIN = path.join(projectRoot, 'bin', 'kling-video.js');

const compose: ComposeFile = readCompose();
const image: DockerImage = readDockerfile();
const services = compose.services;
const workerEnv = services.worker?.environment ?? {};
const fromImage = Object.entries(services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml and the Dockerfile', () => {
  it('the worker sets only variables it reads, they parse, and no secret is written inline', () => {
    const known = new Set([...Object.keys(WorkerEnv.shape), ...CREDENTIALS, ...TEMPORAL_ENV]);
    expect(Object.keys(workerEnv).filter((name) => !known.has(name))).toEqual([]);
    const config = workerConfigFromEnv({ ...workerEnv, KLING_API_KEY: 'k' });
    expect(config.storage.bucket).toBe(workerEnv.GCS_BUCKET);
    for (const [name, service] of Object.entries(services))
      expect(
        Object.keys(service.environment ?? {}).filter((k) => CREDENTIALS.has(k)),
        `${name} writes a secret inline`,
      ).toEqual([]);
    // Secrets come from an env_file the operator makes from the committed example.
    expect(services.worker!.env_file).toEqual(['.env']);
    expect(existsSync(path.join(projectRoot, '.env.example'))).toBe(true);
    expect(readEnvFile(path.join(projectRoot, '.env.example'))).toHaveProperty('KLING_API_KEY');
    expect(readFileSync(path.join(projectRoot, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('the image: built in a first stage, production dependencies only in the last, non-root, signals reach node, a healthcheck', () => {
    expect(image.stages.length).toBeGreaterThanOrEqual(2);
    const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(image.finalStage.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(image.finalStage.join('\n')).toMatch(/COPY --from=\S+ \S*lib/);
    expect(image.user).toBeDefined();
    expect(['root', '0']).not.toContain(image.user);
    // tini as PID 1 (exec form): SIGTERM goes to node, and zombies are reaped. Never `sh -c`.
    expect(image.entrypoint[0]).toMatch(/(^|\/)tini$/);
    expect(image.entrypoint).toEqual(expect.arrayContaining(['node', 'bin/kling-video.js']));
    expect(image.cmd).toEqual(['worker']);
    expect(image.healthcheck).toBeDefined();
    // The workflow bundle is built with the image (the worker skips webpack at start) and the worker is told where.
    expect(dockerfile).toMatch(/npm run build:workflow-bundle -- lib\/workflow-bundle\.js/);
    expect(image.env.KLING_WORKFLOW_BUNDLE).toBe('/app/lib/workflow-bundle.js');
    const ignore = readFileSync(path.join(projectRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toContain('**'); // everything out but what the Dockerfile copies (node_modules, lib, .tools, data, .git)
    expect(ignore).toContain('**/.env');
  });

  it('services: from the image (no npm ci, no bind mount of the checkout), exec-form commands, healthchecks, conditions, restart', () => {
    for (const [name, service] of Object.entries(services)) {
      const commandLine = [argv(service.entrypoint) ?? [], argv(service.command) ?? []].flat().join(' ');
      expect(commandLine, name).not.toMatch(/\bnpm (ci|install)\b|\bsh -c\b/);
      expect(
        (service.volumes ?? []).filter((v) => /^\.:|:\/app\b/.test(v)),
        name,
      ).toEqual([]);
      expect(service.restart, `${name} has a restart policy`).toBeDefined();
      if (service.restart !== 'no')
        expect(service.healthcheck ?? (service.build ? image.healthcheck : undefined), `${name} has a healthcheck`).toBeDefined();
      for (const [dep, value] of Object.entries(service.depends_on ?? {}))
        expect(['service_healthy', 'service_completed_successfully'], `${name} -> ${dep}`).toContain((value as { condition: string }).condition);
    }
    expect(fromImage.map(([name]) => name).sort()).toEqual(['gcs-init', 'kling-callbacks', 'kling-simulator', 'worker']);
    for (const [name, service] of fromImage) {
      if (service.command !== undefined) expect(Array.isArray(service.command), `${name}: exec form`).toBe(true);
    }
    // Temporal keeps its history in a file on a volume.
    const temporal = argv(services.temporal!.command)!;
    const db = temporal[temporal.indexOf('--db-filename') + 1]!;
    expect(temporal).toContain('--db-filename');
    const mounts = (services.temporal!.volumes ?? []).map((v) => v.split(':'));
    expect(mounts.some(([source, target]) => Object.keys(compose.volumes ?? {}).includes(source!) && db.startsWith(`${target}/`))).toBe(true);
    for (const attribute of ['KlingPhase', 'KlingTaskId', 'KlingModel', 'KlingStatus'])
      expect(services.temporal!.command).toContain(`--search-attribute ${attribute}=Keyword`);
    // The simulator announces the host the worker allows.
    const simulator = argv(services['kling-simulator']!.command)!;
    const publicUrl = new URL(simulator[simulator.indexOf('--public-url') + 1]!);
    expect(workerEnv.KLING_VIDEO_HOSTS!.split(',')).toContain(publicUrl.host);
    expect(workerEnv.KLING_BASE_URL).toBe(publicUrl.origin);
  });
});

describe('docker compose up, run as local processes', () => {
  let stack: ComposeStack;
  const hostEnv = (): NodeJS.ProcessEnv =>
    // The operator's shell: the CLI on the host, Temporal at the published port.
    cleanEnv({ TEMPORAL_ADDRESS: stack.rewrite('', 'localhost:7233') });
  const generate = async (id: string): Promise<CliRun> =>
    await runCommand(process.execPath, [BIN, 'generate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '5', '--workflow-id', id, '--wait', '--json'], {
      env: hostEnv(),
      timeoutMs: 90_000,
    });
  const bucketUrl = (): string => `${stack.rewrite('', 'http://localhost:4443')}/storage/v1/b/${workerEnv.GCS_BUCKET}`;

  beforeAll(async () => {
    // The image's prebuilt workflow bundle (KLING_WORKFLOW_BUNDLE), as its build stage writes it, from the sources
    // the stand-in worker runs.
    const bundleFile = path.join(mkdtempSync(path.join(tmpdir(), 'kt-compose-bundle-')), 'workflow-bundle.js');
    writeFileSync(bundleFile, workflowBundleFileContent((await bundleWorkflows('src/workflows/index.ts')).code, { tracing: false }));
    stack = await ComposeStack.create({
      compose,
      image,
      imageFiles: { [image.env.KLING_WORKFLOW_BUNDLE!]: bundleFile },
      envFileContents: readEnvFile(path.join(projectRoot, '.env.example')),
      echo: process.env.KT_COMPOSE_ECHO === '1',
    });
    // Everything but the bucket creation and the worker.
    await stack.up(['temporal', 'fake-gcs', 'kling-simulator', 'kling-callbacks']);
    for (const name of ['temporal', 'fake-gcs', 'kling-simulator', 'kling-callbacks']) await stack.waitHealthy(name);
  });

  afterAll(async () => {
    await stack?.down();
  });

  it('without the bucket creation, the worker refuses to start within seconds, naming the bucket', async () => {
    const started = Date.now();
    const worker = stack.start('worker');
    const exit = await Promise.race([worker.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000))]);
    expect(exit, worker.tail()).not.toBe('still running');
    if (exit === 'still running') return;
    expect(exit.code, worker.tail()).toBe(5);
    expect(worker.tail()).toContain(`StorageBucketNotFound`);
    expect(worker.tail()).toContain(`gs://${workerEnv.GCS_BUCKET} does not exist`);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('up: the bucket is created and the worker becomes healthy (polling, metrics endpoint up)', { timeout: 120_000 }, async () => {
    await stack.up(['worker']);
    await stack.waitHealthy('worker', 90_000);
    expect(stack.processes.get('worker')!.tail(16_000)).toContain('workflows from the prebuilt bundle');
    expect(stack.processes.get('worker')!.tail(16_000)).not.toContain('Workflow bundle created');
    expect((await stack.processes.get('gcs-init')?.exited)?.code).toBe(0);
    const bucket = await fetch(bucketUrl());
    expect(bucket.status).toBe(200);
  });

  it('a bucket that disappears fails the generation fast as StorageBucketNotFound naming it, never as a Kling outage', async () => {
    expect((await fetch(bucketUrl(), { method: 'DELETE' })).ok).toBe(true);
    const started = Date.now();
    const run = await generate(uniqueId('compose-nobucket'));
    expect(run.code, run.stderr).toBe(5);
    const { error } = json<{ error: { type: string; message: string } }>(run);
    expect(error.type).toBe('StorageBucketNotFound');
    expect(error.message).toContain(`gs://${workerEnv.GCS_BUCKET}`);
    expect(Date.now() - started).toBeLessThan(30_000);
    // The bucket creation again (what `docker compose up` does at start).
    const init = stack.start('gcs-init');
    expect((await init.exited).code, init.tail()).toBe(0);
  }, 120_000);

  let workflowId = '';
  it('generates one video end to end; the stored object is reachable from the host', async () => {
    workflowId = uniqueId('compose-ok');
    const started = Date.now();
    const run = await generate(workflowId);
    expect(run.code, `${run.stderr}\n--- worker\n${stack.processes.get('worker')!.tail()}`).toBe(0);
    const out = json<{ status: string; result: { uri: string; url: string; size: number; md5Base64: string; objectName: string } }>(run);
    expect(out.status).toBe('completed');
    expect(out.result.uri).toBe(`gs://${workerEnv.GCS_BUCKET}/${out.result.objectName}`);
    // Host-reachable: the published fake-gcs port (localhost:4443 in Docker), not http://fake-gcs:4443.
    expect(out.result.url.startsWith(`${stack.rewrite('worker', workerEnv.GCS_PUBLIC_BASE_URL!)}/`)).toBe(true);
    const video = Buffer.from(await (await fetch(out.result.url)).arrayBuffer());
    expect(video.length).toBe(out.result.size);
    expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const meta = (await (await fetch(`${bucketUrl()}/o/${encodeURIComponent(out.result.objectName)}`)).json()) as {
      md5Hash: string;
      metadata: Record<string, string>;
    };
    expect(meta.md5Hash).toBe(out.result.md5Base64);
    expect(meta.metadata.workflowId).toBe(workflowId);
    // Finished by the callback receiver's signal, not the 30 s fallback poll.
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 120_000);

  it('Temporal keeps the history across a restart (the sqlite file on the volume)', async () => {
    await stack.processes.get('temporal')!.stop();
    stack.start('temporal');
    await stack.waitHealthy('temporal');
    const describe = await runCommand(
      stack.commandOf('temporal').command,
      ['workflow', 'describe', '--workflow-id', workflowId, '--address', stack.rewrite('', 'localhost:7233'), '--output', 'json'],
      { env: hostEnv(), timeoutMs: 20_000 },
    );
    expect(describe.code, describe.stderr).toBe(0);
    expect(describe.stdout).toContain('WORKFLOW_EXECUTION_STATUS_COMPLETED');
    await stack.waitHealthy('worker', 60_000);
  });

  it('a simulator without --public-url (listening on 0.0.0.0) hands out URLs the worker refuses: the fault the option fixes', async () => {
    const command = argv(services['kling-simulator']!.command)!;
    const at = command.indexOf('--public-url');
    await stack.processes.get('kling-simulator')!.stop();
    stack.start('kling-simulator', { command: [...command.slice(0, at), ...command.slice(at + 2)] });
    await stack.waitHealthy('kling-simulator');
    try {
      const run = await generate(uniqueId('compose-0000'));
      expect(run.code, run.stderr).toBe(5);
      expect(json<{ error: { type: string; message: string } }>(run).error).toMatchObject({
        type: 'VideoSourceRefused',
        message: expect.stringContaining('0.0.0.0'),
      });
    } finally {
      await stack.processes.get('kling-simulator')!.stop();
      stack.start('kling-simulator');
      await stack.waitHealthy('kling-simulator');
    }
  }, 120_000);

  it('SIGTERM to the worker process (PID 1 is tini, which forwards it) runs the graceful shutdown: exit 0', async () => {
    const worker = stack.processes.get('worker')!;
    process.kill(worker.pid, 'SIGTERM');
    const exit = await Promise.race([worker.exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
    expect(exit, worker.tail()).toEqual({ code: 0, signal: null });
  });
});
