import type { Command } from 'commander';
import { KlingValidationError } from '../../kling/index.js';
import { action, type CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { printJson } from '../output.js';
import { addRequestOptions, buildRequest, resolveLocally, resolvedSummary, type RequestFlags } from '../request-options.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('validate')
    .description('Validate a request (file or flags) without submitting anything; every error names its field. No server, no credentials.');
  addRequestOptions(cmd)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video validate --request request.json
  $ kling-video validate -m kling-2.6 -p "A fox runs through snow, tracking shot" -d 5 -r 1080p --audio
  $ kling-video validate -m kling-v2-1 -k text-to-video --json     # exit 2, issue on "kind"

JSON: {"valid":true,"request":{model,standard,kind,resolution,durationSeconds,audio}}
   or {"valid":false,"issues":[{"field","message"}]} (exit 2)`,
    )
    .action(
      action(ctx, (opts: RequestFlags & { json?: boolean }) => {
        const request = buildRequest(opts);
        try {
          const resolved = resolveLocally(request);
          if (opts.json) printJson(ctx.output, { valid: true, request: resolvedSummary(resolved) });
          else {
            const s = resolvedSummary(resolved);
            ctx.output.out(
              `valid: ${s.model} ${s.kind} on the ${s.standard} standard, ${s.durationSeconds}s ${s.resolution}, audio ${s.audio ? 'on' : 'off'}`,
            );
          }
        } catch (err) {
          if (!(err instanceof KlingValidationError)) throw err;
          if (opts.json) printJson(ctx.output, { valid: false, issues: err.issues });
          else {
            ctx.output.out('invalid request:');
            for (const issue of err.issues) ctx.output.out(`  ${issue.field}: ${issue.message}`);
          }
          ctx.exitCode = ExitCode.InvalidInput;
        }
      }),
    );
}
