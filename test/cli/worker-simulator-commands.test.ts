// `kling-video simulator` and `kling-video worker` as long-running child processes: a generation started by
// `kling-video generate --wait` is served by them, and SIGTERM stops both cleanly. Their refusals of a bad
// configuration or option run in this process (nothing starts; the exit code is the program's).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, tsNodeArgs, TS_NODE } from '../support/binaries.js';
import { testServers, uniqueId } from '../support/servers.js';
import { cleanEnv, CLI_MAIN, json, runCli, runCliInProcess } from './cli-process.js';

type Child = ChildProcessByStdio<null, Readable, Readable> & { output: () => string; closed: Promise<number | null> };
const children: Child[] = [];

function start(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(TS_NODE, tsNodeArgs(CLI_MAIN, ...args), { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] }) as Child;
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.output = () => output;
  child.closed = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  children.push(child);
  return child;
}

async function waitFor(child: Child, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(child.output());
    if (m) return m;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${String(pattern)} in:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('simulator and worker commands', () => {
  it('serve a generation and stop on SIGTERM', async () => {
    const sim = start(['simulator', '--port', '0', '--processing-ms', '300'], cleanEnv());
    const url = (await waitFor(sim, /listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    const probe = await fetch(`${url}/v1/videos/text2video/nope`, { headers: { authorization: 'Bearer sim-api-key' } });
    expect(probe.status).toBeGreaterThanOrEqual(400); // a real Kling-shaped answer (unknown task)
    expect(await probe.json()).toHaveProperty('code');

    const { temporalAddress, temporalNamespace } = testServers();
    const storage = mkdtempSync(path.join(tmpdir(), 'kv-worker-'));
    const taskQueue = uniqueId('tq-cli-worker');
    const env = cleanEnv({
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: temporalNamespace,
      KLING_TASK_QUEUE: taskQueue,
      KLING_BASE_URL: url,
      KLING_API_KEY: 'sim-api-key',
      KLING_VIDEO_HOSTS: new URL(url).host,
      KLING_VIDEO_ALLOW_HTTP: 'true',
      LOCAL_STORAGE_DIR: storage,
    });
    // --address over a wrong TEMPORAL_ADDRESS; a misspelled variable is warned about once, through the worker's log, by name only.
    const worker = start(['worker', '--address', temporalAddress], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1', KLING_APIKEY: 'value-not-for-logs' });
    await waitFor(worker, new RegExp(`worker on task queue "${taskQueue}"`));
    expect(worker.output().split('unknown environment variable KLING_APIKEY is ignored (did you mean KLING_API_KEY?)')).toHaveLength(2);
    expect(worker.output()).not.toContain('value-not-for-logs');

    const run = await runCli(
      [
        'generate',
        '-m',
        'kling-2.6',
        '-p',
        'A red fox trots through fresh snow at dawn, tracking shot, cinematic',
        '--poll-interval',
        '300',
        '--wait',
        '--json',
      ],
      { env, timeoutMs: 90_000 },
    );
    expect(run.code, run.stdout + run.stderr + worker.output()).toBe(0);
    const out = json<{ workflowId: string; result: { uri: string } }>(run);
    expect(out.workflowId).toMatch(/^kling-\d{8}-\d{6}-[0-9a-f]{6}$/); // the generated safe id
    const file = fileURLToPath(out.result.uri);
    expect(file.startsWith(storage) && existsSync(file)).toBe(true);

    worker.kill('SIGTERM');
    sim.kill('SIGTERM');
    expect(await worker.closed).toBe(0);
    expect(await sim.closed).toBe(0);
  });

  it('worker refuses a bad configuration variable with exit 2, naming it', async () => {
    // Refused by the program before anything starts: in this process (the exit code is the program's).
    const run = await runCliInProcess(['worker'], { env: cleanEnv({ KLING_API_KEY: 'x', KLING_PREFERRED_STANDARD: 'sideways' }) });
    expect(run.code).toBe(2);
    expect(run.stderr + run.stdout).toContain('KLING_PREFERRED_STANDARD');
    expect(run.stderr + run.stdout).not.toContain('sideways');
  });

  it('simulator refuses an unknown or malformed option with exit 2', async () => {
    const unknown = await runCliInProcess(['simulator', '--port', '0', '--no-such-option']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no-such-option/);
    const malformed = await runCliInProcess(['simulator', '--port', 'abc']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--port needs an integer/);
  });
});
