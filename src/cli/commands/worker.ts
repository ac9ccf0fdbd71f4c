import type { Command } from 'commander';
import { workerConfigFromEnv } from '../../config.js';
import { runWorker } from '../../worker.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { resolveTemporalConfig, taskQueueFrom, temporalConnectFailure } from '../temporal.js';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('Run a worker for the generateVideo workflow (configuration from the environment; SIGINT/SIGTERM stop it gracefully).')
    .option('--task-queue <name>', 'task queue (default $KLING_TASK_QUEUE or kling-video)')
    .addHelpText(
      'after',
      `
Configuration: KLING_API_KEY or KLING_ACCESS_KEY + KLING_SECRET_KEY, KLING_BASE_URL, GCS_BUCKET or LOCAL_STORAGE_DIR, …
(see the README's Configuration table); Temporal: --address, --namespace, --profile, else TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS variables, else the temporal.toml profile.

Examples:
  $ KLING_API_KEY=... GCS_BUCKET=my-videos kling-video worker
  $ KLING_BASE_URL=http://127.0.0.1:8787 KLING_API_KEY=sim-api-key kling-video worker --task-queue kling-dev`,
    )
    .action(
      action(ctx, async (opts: { taskQueue?: string }) => {
        try {
          workerConfigFromEnv(); // a bad variable is invalid input (exit 2), named, never its value
        } catch (err) {
          throw new CliError(ExitCode.InvalidInput, 'InvalidConfiguration', err instanceof Error ? err.message : String(err));
        }
        const temporal = resolveTemporalConfig(ctx.temporal);
        ctx.target = { address: temporal.address, namespace: temporal.namespace };
        try {
          await runWorker({ taskQueue: taskQueueFrom(opts.taskQueue), log: ctx.output.out, temporal });
        } catch (err) {
          // Nothing answers at the address (TLS / the API key refused), or no such namespace: configuration, exit 8.
          if (err instanceof Error && err.name === 'TransportError') throw temporalConnectFailure(temporal, err);
          throw err;
        }
      }),
    );
}
