// Writes the worker's workflow bundle ahead of time, from the compiled package (run `npm run build` first), so a
// worker started with KLING_WORKFLOW_BUNDLE=<file> skips webpack at start (docs/deploy.md, "Worker start time").
//   npm run build:workflow-bundle -- [out (default lib/workflow-bundle.js)] [--tracing]
// --tracing: for workers with OpenTelemetry tracing on (OTEL_*; docs/observability.md); a worker whose tracing
// setting differs from the bundle's bundles at start instead, saying so.
// The bundle is what createKlingWorker would bundle: workflowBundleOptions() (the interceptor modules, the
// workflows entry preloaded), taken from lib/ so that it is the compiled code the image runs. Rebuild it with the
// code: it is the workflow code the worker runs.
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const args = process.argv.slice(2);
const tracing = args.includes('--tracing');
const out = args.find((a) => !a.startsWith('--')) ?? fileURLToPath(new URL('../lib/workflow-bundle.js', import.meta.url));
const lib = new URL('../lib/', import.meta.url);
if (!existsSync(fileURLToPath(new URL('worker.js', lib)))) {
  console.error('lib/worker.js not found: run `npm run build` first');
  process.exit(1);
}
// lib/ mirrors src/ (tsconfig.build.json): the compiled modules, typed by their sources.
const { workflowBundleOptions } = (await import(new URL('worker.js', lib).href)) as typeof import('../src/worker.js');
const { workflowBundleFileContent } = (await import(new URL('workflow-bundle-file.js', lib).href)) as typeof import('../src/workflow-bundle-file.js');
const { code } = await bundleWorkflowCode(workflowBundleOptions({ tracing }));
writeFileSync(out, workflowBundleFileContent(code, { tracing }));
console.log(`workflow bundle${tracing ? ' (with tracing)' : ''} written to ${out} (${(code.length / 1024 / 1024).toFixed(1)} MB)`);
