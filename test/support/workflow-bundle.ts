// Bundles workflow code once per test run: memoised in the test file (vitest runs each file in a fresh module graph)
// and kept in the run's bundle directory (bundle-cache-setup.ts) for the files after it. Pass the bundle to
// Worker.create({ workflowBundle }).
//   const bundle = await bundleWorkflows(new URL('../../src/workflows/index.ts', import.meta.url));
// The SDK's webpack/swc bundler compiles .ts and maps NodeNext '.js' imports to '.ts' files.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { workflowBundleOptions } from '../../src/worker.js';
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
 * The bundle for `key` from this run's bundle directory, else `build()`'s, then stored there. Options holding a
 * function (a webpack hook) have no faithful key: those bundles are built every time. Without the directory (a
 * vitest config without bundle-cache-setup.ts), every file builds its own.
 */
async function fromRunCache(
  key: string,
  cacheable: boolean,
  build: () => Promise<WorkflowBundleWithSourceMap>,
): Promise<WorkflowBundleWithSourceMap> {
  const dir = inject('workflowBundleDir');
  if (!cacheable || !dir) return await build();
  const file = path.join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as WorkflowBundleWithSourceMap;
  } catch {
    const bundle = await build();
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ code: bundle.code, sourceMap: bundle.sourceMap }));
    await rename(tmp, file); // whole or absent for a reader
    return bundle;
  }
}

/**
 * Bundles `entry` (once per run for identical options).
 * @param entry e.g. `new URL('../fixtures/smoke-workflows/index.ts', import.meta.url)` or `'src/workflows/index.ts'`
 */
export async function bundleWorkflows(entry: string | URL, options: WorkflowBundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  const workflowsPath = resolveWorkflowsPath(entry);
  // The project's workflows are bundled as a worker built from workflowsPath bundles them: the log-attribute
  // interceptors and the workflows entry preloaded (workflowBundleOptions).
  if (workflowsPath === path.join(projectRoot, 'src', 'workflows', 'index.ts')) {
    const { workflowInterceptorModules, preloadModules } = workflowBundleOptions();
    options = { workflowInterceptorModules, preloadModules, ...options };
  }
  const key = JSON.stringify([workflowsPath, options]);
  const cacheable = !Object.values(options).some((v) => typeof v === 'function');
  let bundle = cache.get(key);
  if (!bundle) {
    const opts = options;
    bundle = fromRunCache(key, cacheable, () => bundleWorkflowCode({ ...opts, workflowsPath, logger: quietLogger }));
    cache.set(key, bundle);
    void bundle.catch(() => cache.delete(key));
  }
  return await bundle;
}
