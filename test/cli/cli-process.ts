// Runs the kling-video CLI as a child process (node with tsx on src/cli/main.ts, as the bin does without a build).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot, tsNodeArgs, TS_NODE } from '../support/binaries.js';

export const CLI_MAIN = path.join(projectRoot, 'src', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without Kling, GCS or Temporal settings (each test sets what it needs). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(KLING_|GCS_|TEMPORAL_|LOCAL_STORAGE_DIR)/.test(key)) continue;
    env[key] = value;
  }
  // Temporal's envconfig must not pick up a developer's ~/.config/temporal/temporal.toml.
  env.TEMPORAL_CONFIG_FILE = path.join(projectRoot, 'test', 'cli', 'no-such-temporal.toml');
  // Nor a developer's .env with real Kling keys (tests that check .env loading turn it back on).
  env.KLING_DOTENV = 'off';
  return { ...env, ...extra };
}

export async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliRun> {
  return await runCommand(TS_NODE, tsNodeArgs(CLI_MAIN, ...args), options);
}

/**
 * The CLI in this test process: the program the bin runs (`runCli` of src/cli/program.ts: commander, every command,
 * error reporting and exit codes), its output collected as a process's would be, with `env` in place of
 * `process.env` for the call. About 3 s of CPU less per call than a tsx process; what only a process has (the bin,
 * main.ts's `.env` loading and exit) keeps tests of its own through `runCli`.
 */
export async function runCliInProcess(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const { runCli: run } = await import('../../src/cli/program.js');
  let stdout = '';
  let stderr = '';
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  const saved = process.env;
  process.env = options.env ?? cleanEnv();
  try {
    const code = await run(args, { out: (t) => (stdout += line(t)), err: (t) => (stderr += line(t)), isTty: false });
    return { code, signal: null, stdout, stderr };
  } finally {
    process.env = saved;
  }
}

/**
 * Runs `command` to its end, SIGKILLed after `timeoutMs` (default 60 s) or, for a command that never ends by itself,
 * as soon as its output (stdout and stderr) satisfies `stopWhen`.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; stopWhen?: (output: string) => boolean } = {},
): Promise<CliRun> {
  const child = spawn(command, args, { cwd: options.cwd ?? projectRoot, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const check = () => {
    if (options.stopWhen?.(stdout + stderr)) child.kill('SIGKILL');
  };
  child.stdout.on('data', (c: Buffer) => ((stdout += c.toString('utf8')), check()));
  child.stderr.on('data', (c: Buffer) => ((stderr += c.toString('utf8')), check()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/** A long-running child's output as it comes: stdout and stderr interleaved, and its exit code once its streams closed. */
export interface CollectedOutput {
  output(): string;
  readonly exited: Promise<number | null>;
  /** Resolves once the output contains `marker`, the child has exited, or `timeoutMs` has passed (the caller asserts which). */
  waitFor(marker: string, timeoutMs?: number): Promise<void>;
}

/** Collects `child`'s stdout and stderr (spawned with both piped). */
export function collectOutput(child: ChildProcess): CollectedOutput {
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    async waitFor(marker, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(marker) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    },
  };
}

/** Parses stdout as one JSON document, with the whole run in the message when it is not JSON. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${String(run.code)}):\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
