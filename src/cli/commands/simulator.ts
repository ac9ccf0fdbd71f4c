import type { Command } from 'commander';
import { runSimulatorCli, SIMULATOR_USAGE } from '../../simulator/main.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';

export function registerSimulator(program: Command, ctx: CliContext): void {
  program
    .command('simulator')
    .description('Run the Kling simulator (both API standards, real MP4s, scripted faults) until Ctrl-C.')
    .option('--port <n>', 'TCP port (0 = any free port)', '8787')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      `
All simulator options (passed through):
${SIMULATOR_USAGE.split('\n').slice(1).join('\n')}

Examples:
  $ kling-video simulator --port 8787
  $ kling-video simulator --port 0 --processing-ms 5000 --api-key my-key`,
    )
    .action(
      action(ctx, async (opts: { port: string }, command: Command) => {
        try {
          await runSimulatorCli(['--port', opts.port, ...command.args]);
        } catch (err) {
          // Unknown or malformed simulator options are invalid input; anything else (port in use…) is infrastructure.
          const code = (err as NodeJS.ErrnoException).code ?? '';
          const message = err instanceof Error ? err.message : String(err);
          if (code.startsWith('ERR_PARSE_ARGS') || message.startsWith('--')) throw new CliError(ExitCode.InvalidInput, 'InvalidInput', message);
          throw new CliError(ExitCode.Infrastructure, 'Infrastructure', message);
        }
        // Runs until SIGINT/SIGTERM: runSimulatorCli's handlers close the simulator and exit the process.
        await new Promise<never>(() => undefined);
      }),
    );
}
