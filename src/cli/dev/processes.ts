// Child-process plumbing shared by the dev stack (npm start, `kling-video dev`) and the test bed: free ports,
// server processes in their own process group (so the whole group can be signalled), output tails for error
// messages, and an orphan reaper.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on `host` (listen on port 0, read it, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close((err) => (err ? reject(err) : port > 0 ? resolve(port) : reject(new Error('OS returned no port'))));
    });
  });
}

/** `count` distinct free ports (all held open at once so the OS cannot hand out the same one twice). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const srv = createServer();
          srv.unref();
          srv.once('error', reject);
          srv.listen({ port: 0, host, exclusive: true }, () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  if (ports.some((p) => p <= 0)) throw new Error('OS returned no port');
  return ports;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to 'exited' when `p` settles, or 'timeout' after `ms`; the timer is cleared either way. */
async function raceTimeout(p: Promise<unknown>, ms: number): Promise<'exited' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const TAIL_MAX_CHARS = 16_000;

export interface StartOptions {
  /** Short name for messages, e.g. "temporal dev server". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Also copy the child's output to this process' stderr, prefixed with the name. */
  echo?: boolean;
}

/** A server process that is the leader of its own process group. */
export class ManagedProcess {
  readonly name: string;
  readonly commandLine: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private output = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(opts: StartOptions) {
    this.name = opts.name;
    this.commandLine = [opts.command, ...opts.args].join(' ');
    // detached: the child becomes leader of a new process group, so stop() can signal everything it spawned.
    this.child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) {
      // spawn failures (ENOENT, EACCES) are reported asynchronously; exited resolves via 'error' below.
      this.pid = -1;
    } else {
      this.pid = this.child.pid;
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.append(`\n[spawn error] ${err.message}\n`);
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.append(text);
      if (opts.echo) {
        for (const line of text.split('\n')) if (line !== '') process.stderr.write(`[${this.name}] ${line}\n`);
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    // Do not let the servers keep the vitest process alive on their own; teardown stops them.
    this.child.unref();
    (this.child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (this.child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  }

  private append(text: string): void {
    this.output += text;
    if (this.output.length > TAIL_MAX_CHARS * 2) this.output = this.output.slice(-TAIL_MAX_CHARS);
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Last `maxChars` of the combined stdout/stderr. */
  tail(maxChars = 4_000): string {
    const t = this.output.slice(-maxChars).trimEnd();
    return t === '' ? '(no output)' : t;
  }

  describeExit(): string {
    if (!this.exitInfo) return 'still running';
    return this.exitInfo.signal ? `killed by ${this.exitInfo.signal}` : `exited with code ${String(this.exitInfo.code)}`;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves when the leader is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.pid <= 0) return;
    if (!this.hasExited) {
      this.signalGroup('SIGTERM');
      if ((await raceTimeout(this.exited, graceMs)) === 'timeout') {
        this.signalGroup('SIGKILL');
        await raceTimeout(this.exited, 5_000);
      }
    }
    // Anything else the leader left in its group (it never should) goes too.
    this.signalGroup('SIGKILL');
  }

  /** Synchronous last resort for process.on('exit'). */
  killNow(): void {
    if (!this.hasExited) this.signalGroup('SIGKILL');
  }
}

/**
 * Starts a detached watchdog that kills the given process groups if `parentPid` dies without tearing
 * down (vitest killed with SIGKILL, a crash, Ctrl-C on a wrapper...). Returns a function that stops it.
 */
export function startOrphanReaper(parentPid: number, pgids: number[]): () => void {
  const script = `
    const [parent, ...groups] = process.argv.slice(1).map(Number);
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
    const killAll = (sig) => { for (const g of groups) { try { process.kill(-g, sig); } catch {} } };
    const timer = setInterval(() => {
      if (alive(parent)) return;
      clearInterval(timer);
      killAll('SIGTERM');
      setTimeout(() => { killAll('SIGKILL'); process.exit(0); }, 3000);
    }, 500);
    process.on('SIGTERM', () => process.exit(0));
  `;
  const reaper = spawn(process.execPath, ['-e', script, String(parentPid), ...pgids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
  return () => {
    if (reaper.pid !== undefined && reaper.exitCode === null && reaper.signalCode === null) {
      try {
        process.kill(reaper.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
}
