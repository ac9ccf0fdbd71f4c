// What the benchmark's main process and its measured child process (bench/agent.ts) say to each other over
// the child's loopback HTTP control port. One schema per message; both sides parse with it.
import { z } from 'zod';

/** Where the servers are; the same for every command. */
export const AgentEndpoints = z.object({
  simulatorUrl: z.url(),
  simulatorApiKey: z.string().min(1),
  gcsUrl: z.url(),
  bucket: z.string().min(3),
});
export type AgentEndpoints = z.infer<typeof AgentEndpoints>;

/** POST /worker: start one generateVideo worker in the agent. */
export const StartWorkerCommand = AgentEndpoints.extend({
  temporalAddress: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  /** The workflow bundle written once by the main process (bundleWorkflowCode → file). */
  workflowBundlePath: z.string().min(1),
  /** Worker tuning; unset = the SDK defaults createKlingWorker uses in production. */
  maxConcurrentWorkflowTaskExecutions: z.number().int().positive().optional(),
  maxConcurrentActivityTaskExecutions: z.number().int().positive().optional(),
  /** Account-wide slot admission (KLING_SLOTS=<n>, docs/slots.md) for every model; unset = off. */
  accountSlots: z.number().int().positive().optional(),
});
export type StartWorkerCommand = z.infer<typeof StartWorkerCommand>;

/** POST /floor-worker: start one bare worker for the floor row's workflows (bench/floor-workflows.ts). */
export const StartFloorWorkerCommand = z.object({
  simulatorUrl: z.url(),
  simulatorApiKey: z.string().min(1),
  temporalAddress: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  /** The floor workflows' bundle, written once by the main process. */
  workflowBundlePath: z.string().min(1),
  maxConcurrentWorkflowTaskExecutions: z.number().int().positive(),
  /** Regular and local activity slots alike. */
  maxConcurrentActivityTaskExecutions: z.number().int().positive(),
  maxCachedWorkflows: z.number().int().positive(),
});
export type StartFloorWorkerCommand = z.infer<typeof StartFloorWorkerCommand>;

/** POST /raw-copy: GET `url` with undici and pipe the body into one fake-gcs-server object. */
export const RawCopyCommand = AgentEndpoints.extend({
  url: z.url(),
  objectName: z.string().min(1),
  resumable: z.boolean(),
});
export type RawCopyCommand = z.infer<typeof RawCopyCommand>;

export const RawCopyResult = z.object({ bytes: z.number(), ms: z.number() });
export type RawCopyResult = z.infer<typeof RawCopyResult>;

/** POST /seed-loop: the seed's plain loop over `n` videos, one at a time or all with Promise.all. */
export const SeedLoopCommand = AgentEndpoints.extend({
  mode: z.enum(['sequential', 'parallel']),
  n: z.number().int().positive(),
  /** The seed sleeps 10 s before each status check. */
  pollSeconds: z.number().positive(),
  /** The seed's pitfall-4 fix: give up after 600 s. */
  timeoutSeconds: z.number().positive(),
  request: z.record(z.string(), z.unknown()),
  runId: z.string().min(1),
});
export type SeedLoopCommand = z.infer<typeof SeedLoopCommand>;

export const SeedLoopResult = z.object({
  ok: z.number(),
  failed: z.number(),
  errors: z.array(z.string()),
  /** Per video, submit to stored. */
  latenciesMs: z.array(z.number()),
});
export type SeedLoopResult = z.infer<typeof SeedLoopResult>;

/** GET /stats: the agent's own CPU and memory. */
export const AgentStats = z.object({
  /** process.cpuUsage(), user + system, every thread of the process (V8, libuv, Temporal's Rust core). */
  cpuSeconds: z.number(),
  rssBytes: z.number(),
  /** Highest RSS since the last POST /reset-peak: max of VmHWM and 50 ms sampling. */
  peakRssBytes: z.number(),
  heapUsedBytes: z.number(),
});
export type AgentStats = z.infer<typeof AgentStats>;
