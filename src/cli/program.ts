import { Command, CommanderError } from 'commander';
import { registerAdopt } from './commands/adopt.js';
import { registerBatch } from './commands/batch.js';
import { registerApprove } from './commands/approve.js';
import { registerCallbacks } from './commands/callbacks.js';
import { registerCancel } from './commands/cancel.js';
import { registerDev } from './commands/dev.js';
import { registerEstimate } from './commands/estimate.js';
import { registerGenerate } from './commands/generate.js';
import { registerLint } from './commands/lint.js';
import { registerCosts } from './commands/costs.js';
import { registerList } from './commands/list.js';
import { registerReject } from './commands/reject.js';
import { registerReplay } from './commands/replay.js';
import { registerUrl } from './commands/url.js';
import { registerResult } from './commands/result.js';
import { registerSimulator } from './commands/simulator.js';
import { registerStatus } from './commands/status.js';
import { registerValidate } from './commands/validate.js';
import { registerWorker } from './commands/worker.js';
import { unknownEnvVariables, unknownEnvWarning } from '../env-check.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode, toCliError } from './exit-codes.js';
import { processOutput, reportError, type Output } from './output.js';

export const COMMAND_NAMES = [
  'generate',
  'estimate',
  'lint',
  'validate',
  'status',
  'result',
  'url',
  'adopt',
  'batch',
  'cancel',
  'approve',
  'reject',
  'list',
  'costs',
  'replay',
  'worker',
  'callbacks',
  'simulator',
  'dev',
] as const;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('kling-video')
    .description('Durable Kling AI video generation on Temporal: generate, follow, inspect and run the stack.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.output.out(s.replace(/\n$/, '')), writeErr: (s) => ctx.output.err(s.replace(/\n$/, '')) })
    .exitOverride()
    // As the `temporal` CLI has them; before or after the command. Over the environment and the profile.
    .option('--address <host:port>', 'Temporal frontend address (over TEMPORAL_ADDRESS and the profile; default localhost:7233)')
    .option('--namespace <namespace>', 'Temporal namespace (over TEMPORAL_NAMESPACE and the profile; default "default")')
    .option(
      '--profile <name>',
      'profile of the Temporal config file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; over TEMPORAL_PROFILE)',
    )
    .hook('preAction', (_program, command) => {
      const { address, namespace, profile } = program.opts<{ address?: string; namespace?: string; profile?: string }>();
      ctx.temporal = { address, namespace, profile };
      // `worker` warns through its logger (JSON lines when KLING_LOG_FORMAT=json); every other command here, once.
      if (command.name() !== 'worker')
        for (const variable of unknownEnvVariables()) ctx.output.err(`kling-video: warning: ${unknownEnvWarning(variable)}`);
    });
  registerGenerate(program, ctx);
  registerEstimate(program, ctx);
  registerLint(program, ctx);
  registerValidate(program, ctx);
  registerStatus(program, ctx);
  registerResult(program, ctx);
  registerUrl(program, ctx);
  registerAdopt(program, ctx);
  registerBatch(program, ctx);
  registerCancel(program, ctx);
  registerApprove(program, ctx);
  registerReject(program, ctx);
  registerList(program, ctx);
  registerCosts(program, ctx);
  registerReplay(program, ctx);
  registerWorker(program, ctx);
  registerCallbacks(program, ctx);
  registerSimulator(program, ctx);
  registerDev(program, ctx);
  program.addHelpText(
    'after',
    `
Examples:
  $ npm start                                       # the whole stack once: one video through the real workflow
  $ kling-video estimate -m kling-2.6 -p "..." -d 5 -r 1080p
  $ kling-video generate -m kling-2.6 -p "Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens" --wait
  $ kling-video list --status running

Exit codes: 0 ok · 2 invalid input · 3 generation failed · 4 timed out · 5 infrastructure · 6 cancelled
            7 workflow id used by another request · 8 Temporal address/namespace/profile unusable · 1 internal error
Temporal connection: --address, --namespace, --profile; else TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TLS variables; else the temporal.toml profile (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE).
Docs: docs/cli.md`,
  );
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], output: Output = processOutput): Promise<number> {
  const ctx: CliContext = { output, json: false, exitCode: ExitCode.Ok, temporal: {} };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      // Commander already printed the message (unknown option, missing argument…).
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput;
    }
    const error = toCliError(err, ctx.target);
    reportError(output, error, ctx.json);
    if (error.exitCode === ExitCode.Internal && err instanceof Error && err.stack && process.env.KLING_CLI_DEBUG) output.err(err.stack);
    return error.exitCode;
  }
}

export { CliError };
