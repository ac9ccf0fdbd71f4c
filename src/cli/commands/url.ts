import { Storage } from '@google-cloud/storage';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { resultOrCliError } from './result.js';
import { printJson } from '../output.js';
import { connectTemporal } from '../temporal.js';

/**
 * `kling-video url <workflow-id>`: a fresh read URL for a completed generation's video. Signed on request with this
 * machine's Google credentials (GOOGLE_APPLICATION_CREDENTIALS or the runtime account; GCS_API_ENDPOINT for an
 * emulator), never stored: results keep only the permanent gs:// location.
 */
export function registerUrl(program: Command, ctx: CliContext): void {
  program
    .command('url')
    .description(
      "A fresh read URL for a completed generation's video: signed now for gs:// objects (results never store one), the file URL for local storage.",
    )
    .argument('<workflow-id>', 'the workflow id of a completed generation')
    .option('--expires-in <duration>', 'how long the URL works: 90s, 15m, 1h, 7d at most (default 1h)', '1h')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Examples:
  $ kling-video url order-4711-video
  $ kling-video url order-4711-video --expires-in 15m --json | jq -r .url

Signing uses Google's Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS with a service-account key, or
a runtime account allowed to sign blobs); GCS_API_ENDPOINT points it at an emulator.
JSON: {"workflowId","uri","url","expiresAt"?}`,
    )
    .action(
      action(ctx, async (workflowId: string, opts: { expiresIn: string; json?: boolean }) => {
        let ms: number;
        try {
          ms = msToNumber(opts.expiresIn as never);
        } catch {
          ms = Number.NaN;
        }
        if (!(ms > 0) || ms > 7 * 24 * 3_600_000)
          throw CliError.invalid([{ field: 'expires-in', message: 'must be a duration from 1s to 7d (e.g. 15m, 1h)' }]);
        const session = await connectTemporal(ctx);
        try {
          const result = await resultOrCliError(session, workflowId);
          const storage = new Storage(process.env.GCS_API_ENDPOINT ? { apiEndpoint: process.env.GCS_API_ENDPOINT } : {});
          const url = await session.videos.signedUrl(result, { expiresIn: ms, storage });
          const signed = result.uri.startsWith('gs://');
          const expiresAt = signed ? new Date(Date.now() + ms).toISOString() : undefined;
          if (opts.json) printJson(ctx.output, { workflowId, uri: result.uri, url, ...(expiresAt ? { expiresAt } : {}) });
          else ctx.output.out(expiresAt ? `${url}\n  (signed, works until ${expiresAt}; the permanent location is ${result.uri})` : url);
        } finally {
          await session.close();
        }
      }),
    );
}
