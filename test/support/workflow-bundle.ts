// Bundles workflow code once per test file (vitest runs each file in a fresh module graph, so the cache
// below lives exactly as long as one test file). Pass the bundle to Worker.create({ workflowBundle }).
//   const bundle = await bundleWorkflows(new URL('../../src/workflows/index.ts', import.meta.url));
// The SDK's webpack/swc bundler compiles .ts and maps NodeNext '.js' imports to '.ts' files.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowInterceptorModules } from '../../src/worker.js';
import { projectRoot } from './binaries.js';

export type WorkflowBundleOptions = Omit<BundleOptions, 'workflowsPath' | 'logger'>;

const cache = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** A logger that drops webpack chatter but keeps warnings and errors. */
const quietLogger: Logger = {
  log: (level, message, meta) => {
    if (level === 'WARN' || level === 'ERROR') console.warn(`[workflow-bundle] ${level} ${message}`, meta ?? '');
  },
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message, meta) => console.warn(`[workflow-bundle] ${message}`, meta ?? ''),
  error: (message, meta) => console.error(`[workflow-bundle] ${message}`, meta ?? ''),
};

/** Absolute path of a workflows entry: a file: URL, an absolute path, or a path relative to the repo root. */
export function resolveWorkflowsPath(entry: string | URL): string {
  if (entry instanceof URL) return fileURLToPath(entry);
  if (entry.startsWith('file:')) return fileURLToPath(new URL(entry));
  return path.isAbsolute(entry) ? entry : path.join(projectRoot, entry);
}

/**
 * Bundles `entry` (memoised per test file for identical options).
 * @param entry e.g. `new URL('../fixtures/smoke-workflows/index.ts', import.meta.url)` or `'src/workflows/index.ts'`
 */
export async function bundleWorkflows(
  entry: string | URL,
  options: WorkflowBundleOptions = {},
): Promise<WorkflowBundleWithSourceMap> {
  const workflowsPath = resolveWorkflowsPath(entry);
  // The project's workflows get the interceptors a worker built from workflowsPath would add (log attributes).
  if (workflowsPath === path.join(projectRoot, 'src', 'workflows', 'index.ts') && !options.workflowInterceptorModules)
    options = { ...options, workflowInterceptorModules: workflowInterceptorModules() };
  const key = JSON.stringify([workflowsPath, options]);
  let bundle = cache.get(key);
  if (!bundle) {
    bundle = bundleWorkflowCode({ ...options, workflowsPath, logger: quietLogger });
    cache.set(key, bundle);
    void bundle.catch(() => cache.delete(key));
  }
  return await bundle;
}
