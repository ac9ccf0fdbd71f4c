// The main process' handle on a measured child (bench/agent.ts): started with the project's ManagedProcess
// (own process group, SIGTERM then SIGKILL on stop, orphan reaper if this process dies), driven over HTTP.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ManagedProcess, freePort, sleep, startOrphanReaper } from '../src/cli/dev/processes.js';
import { projectRoot } from '../src/cli/dev/temporal-server.js';
import {
  AgentStats,
  RawCopyResult,
  SeedLoopResult,
  type RawCopyCommand,
  type SeedLoopCommand,
  type StartFloorWorkerCommand,
  type StartWorkerCommand,
} from './agent-protocol.js';

const AGENT_ENTRY = fileURLToPath(new URL('./agent.ts', import.meta.url));

export class Agent {
  /** Agents not stopped yet, so an interrupted run can stop them all. */
  static readonly live = new Set<Agent>();

  private constructor(
    readonly name: string,
    private readonly process: ManagedProcess,
    private readonly baseUrl: string,
    private readonly stopReaper: () => void,
  ) {}

  /** Starts `node --import tsx bench/agent.ts <port>` and waits until its control port answers. */
  static async start(name: string): Promise<Agent> {
    const port = await freePort();
    const proc = new ManagedProcess({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', AGENT_ENTRY, String(port)],
      cwd: projectRoot,
      echo: process.env.KT_BENCH_AGENT_LOGS === '1',
    });
    const stopReaper = startOrphanReaper(process.pid, [proc.pid]);
    const agent = new Agent(name, proc, `http://127.0.0.1:${port}`, stopReaper);
    Agent.live.add(agent);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.hasExited) throw new Error(`${name} exited before it answered (${proc.describeExit()}):\n${proc.tail(2_000)}`);
      if (Date.now() > deadline) {
        await agent.stop();
        throw new Error(`${name} did not answer on port ${port} within 60 s:\n${proc.tail(2_000)}`);
      }
      try {
        await agent.stats();
        return agent;
      } catch {
        await sleep(200);
      }
    }
  }

  get pid(): number {
    return this.process.pid;
  }

  private async call<T extends z.ZodType>(method: 'GET' | 'POST', route: string, schema: T, body?: unknown): Promise<z.infer<T>> {
    const res = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A seed loop over many videos answers after minutes; undici's default 5-minute body timeout is too short.
      signal: AbortSignal.timeout(3 * 60 * 60 * 1000),
    });
    const json: unknown = await res.json();
    if (!res.ok) {
      const message = (json as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
      throw new Error(`${this.name} ${method} ${route}: ${message}${this.process.hasExited ? `\n${this.process.tail(2_000)}` : ''}`);
    }
    return schema.parse(json);
  }

  stats(): Promise<AgentStats> {
    return this.call('GET', '/stats', AgentStats);
  }

  /** Resets the peak-RSS tracking; returns the stats right after. */
  resetPeak(): Promise<AgentStats> {
    return this.call('POST', '/reset-peak', AgentStats);
  }

  async startWorker(command: StartWorkerCommand): Promise<void> {
    await this.call('POST', '/worker', z.unknown(), command);
  }

  async startFloorWorker(command: StartFloorWorkerCommand): Promise<void> {
    await this.call('POST', '/floor-worker', z.unknown(), command);
  }

  rawCopy(command: RawCopyCommand): Promise<RawCopyResult> {
    return this.call('POST', '/raw-copy', RawCopyResult, command);
  }

  seedLoop(command: SeedLoopCommand): Promise<SeedLoopResult> {
    return this.call('POST', '/seed-loop', SeedLoopResult, command);
  }

  /** Stops the worker (if any) and the process group; never leaves the child behind. */
  async stop(): Promise<void> {
    await this.process.stop(15_000);
    this.stopReaper();
    Agent.live.delete(this);
  }

  /** Synchronous last resort for process.on('exit'). */
  killNow(): void {
    this.process.killNow();
  }
}
