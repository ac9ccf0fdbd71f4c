import { closeSync, openSync, readSync } from 'node:fs';

// The first line of a bundle file written by scripts/build-workflow-bundle.ts: how it was built, as JSON. A comment,
// so the file stays plain JavaScript for the SDK's `workflowBundle: { codePath }`.
const HEADER = '// kling-temporal workflow bundle ';

/** How a prebuilt bundle was built: with the OpenTelemetry workflow interceptor (`--tracing`) or without. */
export interface WorkflowBundleBuild {
  tracing: boolean;
}

/** The file content for a bundle's code (`bundleWorkflowCode(workflowBundleOptions({ tracing }))`): a header line, then the code. */
export function workflowBundleFileContent(code: string, build: WorkflowBundleBuild): string {
  return `${HEADER}${JSON.stringify({ tracing: build.tracing })}\n${code}`;
}

/** The header of a bundle file; an error naming KLING_WORKFLOW_BUNDLE and what to do when it cannot be read or is not one. */
export function readWorkflowBundleBuild(file: string): WorkflowBundleBuild {
  const build = 'build it with `npm run build && npm run build:workflow-bundle` (docs/deploy.md) or unset the variable';
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(256);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new Error(`KLING_WORKFLOW_BUNDLE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): ${build}`);
  }
  const line = head.split('\n', 1)[0] ?? '';
  try {
    if (line.startsWith(HEADER)) {
      const parsed = JSON.parse(line.slice(HEADER.length)) as { tracing?: unknown };
      if (typeof parsed.tracing === 'boolean') return { tracing: parsed.tracing };
    }
  } catch {
    // not our header: reported below
  }
  throw new Error(`KLING_WORKFLOW_BUNDLE: ${file} is not a workflow bundle written by scripts/build-workflow-bundle.ts: ${build}`);
}

/**
 * What a worker does with KLING_WORKFLOW_BUNDLE: the prebuilt bundle (no webpack at start, ~4-5 s of CPU less) when
 * it was built for this worker's tracing setting, else bundle at start, with a line saying why. A bundle with the
 * OpenTelemetry interceptor needs the span sink a traced worker registers, and one without it would trace no workflow.
 */
export function prebuiltWorkflowBundle(file: string | undefined, tracing: boolean): { workflowBundle?: { codePath: string }; note?: string } {
  if (file === undefined) return {};
  const built = readWorkflowBundleBuild(file);
  if (built.tracing !== tracing)
    return {
      note:
        `KLING_WORKFLOW_BUNDLE ${file} was built ${built.tracing ? 'with' : 'without'} tracing and tracing is ${tracing ? 'on' : 'off'}: ` +
        `bundling the workflows at start instead (rebuild it ${tracing ? 'with' : 'without'} --tracing)`,
    };
  return { workflowBundle: { codePath: file }, note: `workflows from the prebuilt bundle ${file} (KLING_WORKFLOW_BUNDLE)` };
}
