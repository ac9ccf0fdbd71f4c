import { CliError, type CliErrorJson } from './exit-codes.js';

/** Where commands write. Injectable so tests (and `dev`) can capture it. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stdout is an interactive terminal (live progress line instead of one line per change). */
  isTty: boolean;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTty: Boolean(process.stdout.isTTY),
};

export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}

/** Reports an error: `{ "error": {...} }` on stdout with --json, else a readable message on stderr. */
export function reportError(output: Output, error: CliError, json: boolean): void {
  if (json) {
    printJson(output, { ...(error.workflowId ? { workflowId: error.workflowId } : {}), error: error.toJSON() satisfies CliErrorJson });
    return;
  }
  if (error.issues && error.issues.length > 0) {
    output.err(`error: ${error.type === 'InvalidInput' ? 'invalid input' : error.type}`);
    for (const issue of error.issues) output.err(`  ${issue.field}: ${issue.message}`);
  } else {
    output.err(`error (${error.type}): ${error.message}`);
  }
  if (error.workflowId) output.err(`  workflow: ${error.workflowId}`);
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function formatMs(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}
