/**
 * The receiver as a long-running process (`kling-video callbacks`, or inside `runWorker`): Temporal's connection
 * from @temporalio/envconfig, settings from the environment, stopped by SIGINT/SIGTERM.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import type { Registry } from 'prom-client';
import { callbackConfigFromEnv, type CallbackConfig } from './config.js';
import { startCallbackReceiver, type CallbackLogger, type CallbackReceiver } from './receiver.js';
import { temporalSignaller } from './signal.js';

/** Default address of the stand-alone receiver when neither `--listen` nor KLING_CALLBACK_LISTEN is given. */
export const DEFAULT_CALLBACK_LISTEN = { host: '0.0.0.0', port: 8788 } as const;

/**
 * Connects a Temporal client and starts the receiver on `listen`. The returned `close` stops the receiver, then
 * closes the connection.
 */
export async function startCallbackService(options: {
  config: Pick<CallbackConfig, 'secrets'>;
  listen: { host: string; port: number };
  registry?: Registry;
  logger?: CallbackLogger;
  /** Where to connect (the CLI's --address/--namespace/--profile); default Temporal's environment configuration. */
  temporal?: ClientConnectConfig;
}): Promise<CallbackReceiver> {
  const { connectionOptions, namespace } = options.temporal ?? loadClientConnectConfig();
  const connection = await Connection.connect(connectionOptions);
  try {
    const client = new Client({ connection, namespace });
    const receiver = await startCallbackReceiver({
      signal: temporalSignaller(client),
      secrets: options.config.secrets,
      ...options.listen,
      registry: options.registry,
      logger: options.logger,
    });
    return {
      ...receiver,
      counters: () => receiver.counters(),
      close: async () => {
        await receiver.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/** Runs the stand-alone receiver until SIGINT/SIGTERM. */
export async function runCallbackReceiver(options: { listen?: string; logger?: CallbackLogger; temporal?: ClientConnectConfig } = {}): Promise<void> {
  const config = callbackConfigFromEnv(options.listen === undefined ? process.env : { ...process.env, KLING_CALLBACK_LISTEN: options.listen });
  const receiver = await startCallbackService({
    config,
    listen: config.listen ?? DEFAULT_CALLBACK_LISTEN,
    logger: options.logger,
    temporal: options.temporal,
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await receiver.close();
}
