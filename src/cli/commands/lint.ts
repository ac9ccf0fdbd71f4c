import type { Command } from 'commander';
import { effectivePrompt, lintPrompt, VideoRequest } from '../../kling/index.js';
import { action, type CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { printJson } from '../output.js';
import { buildRequest } from '../request-options.js';

interface LintFlags {
  prompt?: string;
  request?: string;
  minScore?: string;
  strict?: boolean;
  json?: boolean;
}

/** A request file's prompt: `prompt`, or its `multiPrompt` shots as Kling receives them (`shot n, m, words;`). */
function promptOfFile(request: Record<string, unknown>): unknown {
  const shots = VideoRequest.shape.multiPrompt.safeParse(request.multiPrompt);
  return request.prompt ?? (shots.success && shots.data ? effectivePrompt({ multiPrompt: shots.data }) : undefined);
}

export function registerLint(program: Command, ctx: CliContext): void {
  program
    .command('lint')
    .description('The prompt lint report: subject, action, setting, camera, style, length, vague words. No server, no credentials.')
    .argument('[prompt...]', 'the prompt (or use --prompt / --request)')
    .option('-p, --prompt <text>', 'the prompt')
    .option('--request <file>', 'lint the prompt of a request file')
    .option('--strict', 'exit 2 when the score is below --min-score')
    .option('--min-score <n>', 'minimum score for --strict (default 60)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video lint "a nice video of a cat"
  $ kling-video lint --request request.json --json
  $ kling-video lint --strict --min-score 70 -p "Close-up of a monarch butterfly landing on lavender, golden hour, macro lens"

JSON: {"score","present":[...],"missing":[...],"vagueWords":[...],"words","suggestions":[...],"passed"}`,
    )
    .action(
      action(ctx, (words: string[], opts: LintFlags) => {
        const fromFile = opts.request ? promptOfFile(buildRequest({ request: opts.request })) : undefined;
        const prompt = opts.prompt ?? (words.length > 0 ? words.join(' ') : undefined) ?? fromFile;
        if (typeof prompt !== 'string' || prompt.trim() === '')
          throw CliError.invalid([{ field: 'prompt', message: 'give a prompt (argument, --prompt or --request)' }]);
        const minScore = opts.minScore === undefined ? 60 : Number(opts.minScore);
        if (!Number.isInteger(minScore) || minScore < 0 || minScore > 100)
          throw CliError.invalid([{ field: 'minScore', message: 'must be an integer from 0 to 100' }]);
        const report = lintPrompt(prompt);
        const passed = report.score >= minScore;
        if (opts.strict && !passed) ctx.exitCode = ExitCode.InvalidInput;
        if (opts.json) {
          printJson(ctx.output, { ...report, passed });
          return;
        }
        const out = ctx.output.out;
        out(`score ${report.score}/100 (${report.words} words)${opts.strict ? (passed ? ' — passes' : ` — below ${minScore}`) : ''}`);
        out(`  present: ${report.present.join(', ') || '-'}`);
        out(`  missing: ${report.missing.join(', ') || '-'}`);
        if (report.vagueWords.length > 0) out(`  vague words: ${report.vagueWords.join(', ')}`);
        for (const suggestion of report.suggestions) out(`  - ${suggestion}`);
      }),
    );
}
