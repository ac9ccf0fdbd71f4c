import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { VideoGenerationClient } from '../client.js';
import { DEFAULT_TASK_QUEUE } from '../contract/constants.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface TemporalSession {
  client: Client;
  videos: VideoGenerationClient;
  address: string;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

/** The task queue: --task-queue, else KLING_TASK_QUEUE, else kling-video. */
export function taskQueueFrom(flag: string | undefined): string {
  return flag ?? (process.env.KLING_TASK_QUEUE || DEFAULT_TASK_QUEUE);
}

/** Connects with Temporal's environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key, profiles). */
export async function connectTemporal(taskQueue?: string): Promise<TemporalSession> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = connectionOptions.address ?? 'localhost:7233';
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions, connectTimeout: 5_000 });
  } catch (err) {
    throw new CliError(
      ExitCode.Infrastructure,
      'Infrastructure',
      `cannot reach Temporal at ${address}: ${err instanceof Error ? err.message : String(err)} (set TEMPORAL_ADDRESS, or run \`kling-video dev\`)`,
    );
  }
  const client = new Client({ connection, namespace: namespace ?? 'default' });
  return {
    client,
    videos: new VideoGenerationClient(client, { taskQueue: taskQueueFrom(taskQueue) }),
    taskQueue: taskQueueFrom(taskQueue),
    address,
    namespace: namespace ?? 'default',
    close: () => connection.close(),
  };
}
