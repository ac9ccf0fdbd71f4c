import type { Command } from 'commander';
import { runDevStack } from '../dev/stack.js';
import { action, type CliContext } from '../context.js';

export function registerDev(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description(
      'The embedded stack of `npm start`: a Temporal dev server with its Web UI (started, or reused if one answers), the Kling simulator when no Kling keys are set, and a worker; generates a sample video, then keeps running until Ctrl-C.',
    )
    .option(
      '--once',
      'this is `npm start`: not interactive, stop after the sample video; in a terminal, keep the stack and its Web UI up until Ctrl-C',
    )
    .option('--no-sample', 'do not generate the sample video')
    .option('--task-queue <name>', 'task queue of the embedded worker (default $KLING_TASK_QUEUE or kling-video)')
    .option('--simulator-port <n>', 'port for the simulator when it is started (default: any free port)')
    .option('--json', 'print the final report as JSON on the last line (progress lines stay human-readable)')
    .addHelpText(
      'after',
      `
Environment: TEMPORAL_ADDRESS (default localhost:7233: reused if it answers, else a dev server is started there;
the UI on port+1000 or KLING_TEMPORAL_UI_PORT), KLING_API_KEY / KLING_ACCESS_KEY+KLING_SECRET_KEY (real Kling,
costs credits; unset: the simulator), GCS_BUCKET (else LOCAL_STORAGE_DIR, default ./data/videos),
KLING_METRICS_PORT (the worker's Prometheus endpoint, as with \`kling-video worker\`; unset: none).

Examples:
  $ npm start                    # = kling-video dev --once (in a terminal: kept up until Ctrl-C)
  $ kling-video dev              # keep the stack up; use generate/status/list from another terminal
  $ kling-video dev --no-sample`,
    )
    .action(
      action(ctx, async (opts: { once?: boolean; sample: boolean; taskQueue?: string; simulatorPort?: string; json?: boolean }) => {
        ctx.json = false; // progress is human text; only the report line is JSON
        // `npm start` in a terminal keeps the stack up so the Web UI link it prints still works when clicked.
        const interactive = ctx.output.isTty;
        const report = await runDevStack({
          keepRunning: !opts.once || interactive,
          keptForTerminal: Boolean(opts.once) && interactive,
          temporal: ctx.temporal,
          sample: opts.sample,
          output: ctx.output,
          taskQueue: opts.taskQueue,
          simulatorPort: opts.simulatorPort === undefined ? undefined : Number(opts.simulatorPort),
        });
        if (opts.json) ctx.output.out(JSON.stringify(report));
      }),
    );
}
