// `npm start` on this machine: it starts its own Temporal dev server (with the Web UI), the simulator and a
// worker, generates one video through the real workflow, prints the UI link and the file, and stops everything.
// And `kling-video dev`: the same stack kept running (UI answering) until SIGINT.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../src/cli/dev/processes.js';
import { projectRoot, tsNodeArgs, TS_NODE } from '../support/binaries.js';
import { testServers } from '../support/servers.js';
import { alive, cleanEnv, CLI_MAIN, collectOutput, json, runCli, runCommand } from './cli-process.js';

/** Processes whose command line mentions `needle` (ps, so it also finds orphans re-parented to init). */
function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(needle) && !line.includes('ps -eo'));
}

describe('npm start', () => {
  it('starts a Temporal dev server, generates one video end to end, prints the UI link and the file, and leaves nothing running', async () => {
    const [port, uiPort] = (await freePorts(2)) as [number, number];
    const storage = mkdtempSync(path.join(tmpdir(), 'kv-start-'));
    const run = await runCommand('npm', ['start'], {
      env: cleanEnv({
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        KLING_TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_CLI_PATH: testServers().temporalCliPath,
        LOCAL_STORAGE_DIR: storage,
      }),
      timeoutMs: 120_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(0);

    // It says what it does, step by step.
    expect(output).toContain(`nothing answers at 127.0.0.1:${port}; starting a dev server`);
    expect(output).toMatch(/started the Kling simulator at http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/worker: running/);
    expect(output).toMatch(/stopped everything it started/);

    // The UI link to the workflow, on the UI port it chose.
    const link = new RegExp(`http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/(kling-start-[a-z0-9-]+)`).exec(output);
    expect(link, output).not.toBeNull();
    expect(output).toMatch(/workflow:\s+http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/kling-start-/);

    // The file, stored locally, a real MP4.
    const file = /file:\s+(\S+\.mp4)/.exec(output)?.[1];
    expect(file, output).toBeDefined();
    expect(file?.startsWith(storage)).toBe(true);
    expect(existsSync(file as string) && statSync(file as string).size).toBeGreaterThan(1000);

    // Nothing left behind: the dev server it started (pid printed) is gone, and nothing listens on its port.
    const pid = Number(/dev server ready at .* \(pid (\d+)\)/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(processesMentioning(`--port ${port} `)).toEqual([]);
    expect(processesMentioning(storage)).toEqual([]);
  });

  it('reuses a Temporal server that already answers (starts none)', async () => {
    const { temporalAddress } = testServers();
    const storage = mkdtempSync(path.join(tmpdir(), 'kv-start-'));
    const run = await runCommand(TS_NODE, tsNodeArgs(CLI_MAIN, 'dev', '--once', '--task-queue', `start-reuse-${process.pid}`), {
      env: cleanEnv({ TEMPORAL_ADDRESS: temporalAddress, LOCAL_STORAGE_DIR: storage, KLING_TEMPORAL_UI_URL: 'http://ui.example:8080' }),
      timeoutMs: 120_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(0);
    expect(output).toContain(`reusing the server at ${temporalAddress}`);
    expect(output).not.toContain('starting a dev server');
    expect(output).toMatch(/http:\/\/ui\.example:8080\/namespaces\/default\/workflows\/kling-start-/);
    expect(/file:\s+(\S+\.mp4)/.exec(output)?.[1]?.startsWith(storage)).toBe(true);
  });
});

/** util-linux `script`: runs a command under a pseudo-terminal, so stdout is a TTY as in a user's terminal. */
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('dev with a profile', () => {
  it('--profile: the dev stack reuses the server the profile of the config file names (connecting as the profile says)', async () => {
    const { temporalAddress } = testServers();
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-profile-'));
    const config = path.join(dir, 'temporal.toml');
    writeFileSync(config, `[profile.shared]\naddress = "${temporalAddress}"\nnamespace = "default"\n`);
    const run = await runCommand(
      TS_NODE,
      tsNodeArgs(CLI_MAIN, 'dev', '--once', '--no-sample', '--profile', 'shared', '--task-queue', `start-profile-${process.pid}`),
      {
        env: cleanEnv({ TEMPORAL_CONFIG_FILE: config, KLING_TEMPORAL_UI_URL: 'http://ui.example:8080' }),
        timeoutMs: 120_000,
      },
    );
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(0);
    expect(output).toContain(`reusing the server at ${temporalAddress}`);
    expect(output).not.toContain('starting a dev server');
  });
});

describe('dev against a server without the namespace', () => {
  it('exits 8 naming the namespace and the address, instead of trying to start a second server on that port', async () => {
    const { temporalAddress } = testServers();
    const run = await runCommand(TS_NODE, tsNodeArgs(CLI_MAIN, 'dev', '--once', '--no-sample', '--namespace', 'nope-dev'), {
      env: cleanEnv({ TEMPORAL_ADDRESS: temporalAddress }),
      timeoutMs: 60_000,
    });
    expect(run.code, run.stdout + run.stderr).toBe(8);
    expect(run.stderr).toContain(`error (NamespaceNotFound): namespace "nope-dev" does not exist on the Temporal server at ${temporalAddress}`);
    expect(run.stdout).not.toContain('starting a dev server');
  });
});

describe('npm start in a terminal', () => {
  it.skipIf(!hasScript)(
    'keeps the stack up after the sample, says so, serves another generation, and stops cleanly on Ctrl-C (exit 0, nothing left)',
    async () => {
      const { temporalAddress } = testServers();
      const storage = mkdtempSync(path.join(tmpdir(), 'kv-start-tty-'));
      const taskQueue = `start-tty-${process.pid}`;
      // The start script's own command (npm itself would report Ctrl-C as its exit 130), in a pseudo-terminal.
      const start = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
      expect(start).toMatch(/dev --once$/);
      const env = cleanEnv({
        TEMPORAL_ADDRESS: temporalAddress,
        LOCAL_STORAGE_DIR: storage,
        KLING_TEMPORAL_UI_URL: 'http://ui.example:8080',
        SHELL: '/bin/sh',
        PATH: `${path.join(projectRoot, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      });
      // `exec`: the command is the pty's only process, as it is under npm. Without it `script` reports the shell's
      // status, and dash (/bin/sh, which `script` runs when SHELL is unset, as in CI) dies of the same Ctrl-C: 130.
      // SHELL is pinned so this runs the same on every machine.
      const child = spawn('script', ['-qfec', `exec ${start} --task-queue ${taskQueue}`, '/dev/null'], {
        cwd: projectRoot,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const { output, exited, waitFor } = collectOutput(child);
      try {
        await waitFor('press Ctrl-C to stop');
        // The sample ran, and the UI link it printed is said to stay up.
        expect(output(), output()).toMatch(/generate: done in/);
        expect(output()).toMatch(
          /Web UI at http:\/\/ui\.example:8080\/namespaces\/default\/workflows\/kling-start-[a-z0-9-]+ stays up; press Ctrl-C to stop/,
        );
        expect(child.exitCode).toBeNull();

        // Still up: the kept worker and simulator serve a generation from "another terminal".
        const again = await runCli(
          [
            'generate',
            '-m',
            'kling-2.6',
            '-p',
            'A red fox trots through fresh snow at dawn, tracking shot, cinematic',
            '-d',
            '5',
            '--poll-interval',
            '300',
            '--wait',
            '--json',
          ],
          {
            env: cleanEnv({ TEMPORAL_ADDRESS: temporalAddress, KLING_TASK_QUEUE: taskQueue }),
            timeoutMs: 60_000,
          },
        );
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(json<{ result: { uri: string } }>(again).result.uri).toContain(storage);
        expect(child.exitCode).toBeNull();

        // Ctrl-C as a terminal sends it: to the whole foreground process group.
        child.stdin.write('\x03');
        expect(await exited, output()).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      expect(output()).toMatch(/received SIGINT: stopping/);
      expect(output()).toMatch(/stopped everything it started/);
      expect(processesMentioning(taskQueue)).toEqual([]);
    },
  );
});

describe('kling-video dev', () => {
  it('keeps the stack (with the Web UI) running until SIGINT, then stops everything', async () => {
    const [port, uiPort] = (await freePorts(2)) as [number, number];
    const child = spawn(TS_NODE, tsNodeArgs(CLI_MAIN, 'dev', '--no-sample'), {
      cwd: projectRoot,
      env: cleanEnv({
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        KLING_TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_CLI_PATH: testServers().temporalCliPath,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { output, exited, waitFor } = collectOutput(child);
    try {
      await waitFor('Press Ctrl-C');
      expect(output(), output()).toContain('Press Ctrl-C');
      expect(output()).toContain(`export TEMPORAL_ADDRESS=127.0.0.1:${port}`);
      const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/<html/i);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(output()).toMatch(/received SIGINT: stopping/);
    const pid = Number(/dev server ready at .* \(pid (\d+)\)/.exec(output())?.[1]);
    expect(alive(pid)).toBe(false);
    expect(processesMentioning(`--port ${port} `)).toEqual([]);
  });

  it('honours KLING_METRICS_PORT: the embedded worker serves the same metrics endpoint as `kling-video worker`', async () => {
    const [metricsPort] = (await freePorts(1)) as [number];
    const child = spawn(TS_NODE, tsNodeArgs(CLI_MAIN, 'dev', '--no-sample', '--task-queue', `dev-metrics-${process.pid}`), {
      cwd: projectRoot,
      env: cleanEnv({ TEMPORAL_ADDRESS: testServers().temporalAddress, KLING_METRICS_PORT: String(metricsPort), KLING_METRICS_HOST: '127.0.0.1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { output, exited, waitFor } = collectOutput(child);
    try {
      await waitFor('Press Ctrl-C');
      expect(output(), output()).toContain(`metrics: http://127.0.0.1:${metricsPort}/metrics`);
      const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toContain('# TYPE kling_videos_total counter');
      expect(text).toContain('process_resident_memory_bytes');
      expect(text).toContain('nodejs_heap_size_used_bytes');
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
