import type { Command } from 'commander';
import { callbackConfigFromEnv } from '../../callbacks/config.js';
import { runCallbackReceiver } from '../../callbacks/run.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { failFastWhenRefused, resolveTemporalConfig, temporalConnectFailure } from '../temporal.js';

export function registerCallbacks(program: Command, ctx: CliContext): void {
  program
    .command('callbacks')
    .description('Run the Kling callback receiver on its own: verifies signatures and wakes the waiting workflows (SIGINT/SIGTERM stop it).')
    .option('--listen <host:port>', 'address to listen on (default $KLING_CALLBACK_LISTEN or 0.0.0.0:8788)')
    .addHelpText(
      'after',
      `
Configuration: KLING_WEBHOOK_SECRETS (comma-separated whsec_… secrets; two during a rotation; unset = accept
unsigned callbacks), KLING_CALLBACK_LISTEN; Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS.
Workers put KLING_CALLBACK_URL (the public URL in front of this receiver) into every create. See docs/callbacks.md.

Examples:
  $ KLING_WEBHOOK_SECRETS=whsec_... kling-video callbacks --listen 0.0.0.0:8788
  $ KLING_CALLBACK_LISTEN=127.0.0.1:8788 kling-video callbacks`,
    )
    .action(
      action(ctx, async (opts: { listen?: string }) => {
        const env = opts.listen === undefined ? process.env : { ...process.env, KLING_CALLBACK_LISTEN: opts.listen };
        try {
          callbackConfigFromEnv(env); // a bad variable or --listen is invalid input (exit 2), named, never a secret's value
        } catch (err) {
          throw new CliError(ExitCode.InvalidInput, 'InvalidConfiguration', err instanceof Error ? err.message : String(err));
        }
        const temporal = resolveTemporalConfig(ctx.temporal);
        ctx.target = { address: temporal.address, namespace: temporal.namespace };
        await failFastWhenRefused(temporal, 10_000); // nothing listens there: exit 8 now, not after the SDK's 10 s connect timeout
        try {
          await runCallbackReceiver({
            listen: opts.listen,
            temporal,
            logger: { info: (message) => ctx.output.out(message), warn: (message) => ctx.output.err(`warning: ${message}`) },
          });
        } catch (err) {
          // Configuration was checked above: what fails now is Temporal unreachable (exit 8) or the port taken (exit 5).
          // The receiver's own trouble (the port taken) carries an errno code; anything else is the connection.
          if (!(err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string')) throw temporalConnectFailure(temporal, err);
          throw new CliError(ExitCode.Infrastructure, 'Infrastructure', err instanceof Error ? err.message : String(err));
        }
      }),
    );
}
