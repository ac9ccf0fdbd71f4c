import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { VideoGenerationClient } from '../client.js';
import { DEFAULT_TASK_QUEUE } from '../contract/constants.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode, namespaceNotFound } from './exit-codes.js';
import { probeTemporalAddress } from './refused-probe.js';

export interface TemporalSession {
  client: Client;
  videos: VideoGenerationClient;
  address: string;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

/** The global `--address`, `--namespace` and `--profile` options, as the `temporal` CLI has them. */
export interface TemporalFlags {
  address?: string;
  namespace?: string;
  profile?: string;
}

/** Where and how to connect: the address and namespace, and the connection options (TLS, API key, gRPC metadata). */
export interface TemporalConfig {
  address: string;
  namespace: string;
  /** For `Connection.connect` and `NativeConnection.connect` (address included). */
  connectionOptions: ClientConnectConfig['connectionOptions'] & { address: string };
}

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** The task queue: --task-queue, else KLING_TASK_QUEUE, else kling-video. */
export function taskQueueFrom(flag: string | undefined): string {
  return flag ?? (process.env.KLING_TASK_QUEUE || DEFAULT_TASK_QUEUE);
}

/**
 * Temporal's connection settings, resolved as the `temporal` CLI does: flags, then the environment
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*), then the profile (`--profile`, else
 * TEMPORAL_PROFILE, else `default`) of the TOML config file (TEMPORAL_CONFIG_FILE, else
 * ~/.config/temporalio/temporal.toml), then the defaults (localhost:7233, namespace `default`). The environment
 * over the profile is @temporalio/envconfig's own rule; the flags go over both. A profile that does not exist,
 * an unreadable file or TLS material is a configuration error (exit 8) naming the profile and the file.
 */
export function resolveTemporalConfig(flags: TemporalFlags = {}, env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  let loaded: ClientConnectConfig;
  try {
    loaded = loadClientConnectConfig({ ...(flags.profile ? { profile: flags.profile } : {}), overrideEnvVars: env as Record<string, string> });
  } catch (err) {
    const profile = flags.profile ?? env.TEMPORAL_PROFILE;
    const file = env.TEMPORAL_CONFIG_FILE ?? 'the default temporal.toml (~/.config/temporalio/temporal.toml)';
    throw new CliError(
      ExitCode.TemporalConfiguration,
      'TemporalConfiguration',
      `Temporal configuration${profile ? ` (profile "${profile}")` : ''} from ${file}: ${err instanceof Error ? err.message : String(err)}. ` +
        'Fix the file (or TEMPORAL_CONFIG_FILE), or choose an existing profile with --profile / TEMPORAL_PROFILE',
      undefined,
      { ...(profile ? { profile } : {}), configFile: env.TEMPORAL_CONFIG_FILE ?? null },
    );
  }
  const address = flags.address ?? loaded.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = flags.namespace ?? loaded.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  return { address, namespace, connectionOptions: { ...loaded.connectionOptions, address } };
}

/** Nothing answers at the address (or TLS / the API key is refused): a configuration error saying what to check. */
export function temporalUnreachable(config: Pick<TemporalConfig, 'address' | 'namespace'>, cause: unknown): CliError {
  return new CliError(
    ExitCode.TemporalConfiguration,
    'TemporalUnreachable',
    `cannot reach Temporal at ${config.address} (namespace ${config.namespace}): ${cause instanceof Error ? cause.message : String(cause)}. ` +
      'Check --address / TEMPORAL_ADDRESS (or the profile: --profile, TEMPORAL_PROFILE), TLS and the API key; ' +
      'for a local stack run `kling-video dev`',
    undefined,
    { address: config.address, namespace: config.namespace },
  );
}

/**
 * A failure to connect (or, for a worker, to start polling): namespace not found when the server said so (the
 * worker's native connection reports it only in its message), else unreachable. Both exit 8.
 */
export function temporalConnectFailure(config: Pick<TemporalConfig, 'address' | 'namespace'>, cause: unknown): CliError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/namespace \S+ (was|is) not found/i.test(message)) return namespaceNotFound(config.namespace, config);
  return temporalUnreachable(config, cause);
}

/** How long a command waits for Temporal to answer. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Fails at once (exit 8, TemporalUnreachable) when the OS already says the connection cannot succeed: nothing
 * listens at a plain host:port, or no such host (probeTemporalAddress). Otherwise returns, and the caller connects
 * with its full timeout (a slow server, TLS, an API key, a proxy). `timeoutMs`: the caller's connect timeout (no TCP
 * connection within it: unreachable too).
 */
export async function failFastWhenRefused(
  config: Pick<TemporalConfig, 'address' | 'namespace' | 'connectionOptions'>,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<void> {
  const probe = await probeTemporalAddress(config.connectionOptions, timeoutMs);
  if (probe.kind !== 'go-on') throw temporalUnreachable(config, probe.error);
}

/** Connects with the global flags over Temporal's environment configuration (see resolveTemporalConfig). */
export async function connectTemporal(ctx: Pick<CliContext, 'temporal' | 'target'>, taskQueue?: string): Promise<TemporalSession> {
  const config = resolveTemporalConfig(ctx.temporal);
  ctx.target = { address: config.address, namespace: config.namespace };
  await failFastWhenRefused(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connectionOptions, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw temporalUnreachable(config, err);
  }
  const client = new Client({ connection, namespace: config.namespace });
  return {
    client,
    videos: new VideoGenerationClient(client, { taskQueue: taskQueueFrom(taskQueue) }),
    taskQueue: taskQueueFrom(taskQueue),
    address: config.address,
    namespace: config.namespace,
    close: () => connection.close(),
  };
}
