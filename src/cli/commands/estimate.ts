import type { Command } from 'commander';
import { estimateCredits, type CreditEstimate } from '../../kling/index.js';
import { action, type CliContext } from '../context.js';
import { printJson } from '../output.js';
import { addRequestOptions, buildRequest, resolveLocally, resolvedSummary, type RequestFlags } from '../request-options.js';

interface Variant {
  estimate?: CreditEstimate;
  /** Why this variant has no price (the model has no such audio option, or the price table lacks it). */
  unavailable?: string;
}

function variant(request: Record<string, unknown>, audio: boolean): Variant {
  try {
    return { estimate: estimateCredits(resolveLocally({ ...request, audio })) };
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
}

export function registerEstimate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('estimate')
    .description('Credits a request would cost, as requested and with and without audio. No server, no credentials.');
  addRequestOptions(cmd)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video estimate -m kling-2.6 -p "..." -d 5 -r 1080p           # 25 credits silent, 50 with audio
  $ kling-video estimate --request request.json --json
  $ kling-video estimate -m kling-3.0 -k motion-control --image https://cdn.example.com/dancer.png --motion-video https://cdn.example.com/moves.mp4 \
      --character-orientation video -d 12    # motion control: priced on the output seconds assumed (12 s here)

JSON: {"request":{model,standard,kind,resolution,durationSeconds,audio},"estimate":CreditEstimate,
       "withAudio":CreditEstimate|null,"withoutAudio":CreditEstimate|null,"unavailable":{"withAudio"?,"withoutAudio"?}}
An invalid request exits 2 with field-named issues.`,
    )
    .action(
      action(ctx, (opts: RequestFlags & { json?: boolean }) => {
        const request = buildRequest(opts);
        const resolved = resolveLocally(request); // throws KlingValidationError → exit 2
        const estimate = estimateCredits(resolved);
        const withAudio = variant(request, true);
        const withoutAudio = variant(request, false);
        const unavailable = {
          ...(withAudio.unavailable ? { withAudio: withAudio.unavailable } : {}),
          ...(withoutAudio.unavailable ? { withoutAudio: withoutAudio.unavailable } : {}),
        };
        if (opts.json) {
          printJson(ctx.output, {
            request: resolvedSummary(resolved),
            estimate,
            withAudio: withAudio.estimate ?? null,
            withoutAudio: withoutAudio.estimate ?? null,
            unavailable,
          });
          return;
        }
        const s = resolvedSummary(resolved);
        const out = ctx.output.out;
        out(`${s.model} ${s.kind}, ${s.durationSeconds}s ${s.resolution} (${s.standard} standard)`);
        out(
          `  as requested (audio ${s.audio ? 'on' : 'off'}): ${estimate.credits} credits (${estimate.units} units, ${estimate.basis}, ${estimate.confidence})`,
        );
        out(
          `  with audio:    ${withAudio.estimate ? `${withAudio.estimate.credits} credits (×${withAudio.estimate.audioMultiplier})` : `n/a: ${withAudio.unavailable ?? ''}`}`,
        );
        out(`  without audio: ${withoutAudio.estimate ? `${withoutAudio.estimate.credits} credits` : `n/a: ${withoutAudio.unavailable ?? ''}`}`);
        // In words: rate × seconds, and for motion control the output duration assumed and why.
        if (estimate.description) out(`  ${estimate.description}`);
        out(`  source: ${estimate.source}`);
      }),
    );
}
