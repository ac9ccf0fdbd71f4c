// KLING_WORKFLOW_BUNDLE's file: the header saying how it was built, read back; a worker uses it only when its tracing
// setting matches (else it bundles at start, saying why); an unreadable or foreign file is refused naming the variable.
// Server-free; test/workflows/worker-process.test.ts starts a worker process with a real bundle.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prebuiltWorkflowBundle, readWorkflowBundleBuild, workflowBundleFileContent } from '../src/workflow-bundle-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kt-bundle-file-'));
const write = (name: string, content: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
};
const plain = write('plain.js', workflowBundleFileContent('var __TEMPORAL__;\n', { tracing: false }));
const traced = write('traced.js', workflowBundleFileContent('var __TEMPORAL__;\n', { tracing: true }));

describe('the bundle file', () => {
  it('records how it was built in a comment line before the code', () => {
    expect(workflowBundleFileContent('var __TEMPORAL__;\n', { tracing: true })).toBe(
      '// kling-temporal workflow bundle {"tracing":true}\nvar __TEMPORAL__;\n',
    );
    expect(readWorkflowBundleBuild(plain)).toEqual({ tracing: false });
    expect(readWorkflowBundleBuild(traced)).toEqual({ tracing: true });
  });

  it('a missing or foreign file is refused, naming KLING_WORKFLOW_BUNDLE, the file and how to build one', () => {
    const missing = path.join(dir, 'missing.js');
    expect(() => readWorkflowBundleBuild(missing)).toThrow(`KLING_WORKFLOW_BUNDLE: cannot read ${missing} (ENOENT)`);
    const foreign = write('foreign.js', 'var __TEMPORAL__;\n');
    expect(() => readWorkflowBundleBuild(foreign)).toThrow(
      /KLING_WORKFLOW_BUNDLE: .*foreign\.js is not a workflow bundle .*npm run build:workflow-bundle/,
    );
    const garbled = write('garbled.js', '// kling-temporal workflow bundle {tracing\n');
    expect(() => readWorkflowBundleBuild(garbled)).toThrow(/is not a workflow bundle/);
  });
});

describe('prebuiltWorkflowBundle: what the worker does with the variable', () => {
  it('unset: bundle at start, nothing said', () => {
    expect(prebuiltWorkflowBundle(undefined, false)).toEqual({});
  });

  it('built for the worker’s tracing setting: the bundle, said in the log', () => {
    expect(prebuiltWorkflowBundle(plain, false)).toEqual({
      workflowBundle: { codePath: plain },
      note: `workflows from the prebuilt bundle ${plain} (KLING_WORKFLOW_BUNDLE)`,
    });
    expect(prebuiltWorkflowBundle(traced, true).workflowBundle).toEqual({ codePath: traced });
  });

  it('built for the other setting: bundle at start, saying why and what to rebuild', () => {
    expect(prebuiltWorkflowBundle(plain, true)).toEqual({
      note: `KLING_WORKFLOW_BUNDLE ${plain} was built without tracing and tracing is on: bundling the workflows at start instead (rebuild it with --tracing)`,
    });
    expect(prebuiltWorkflowBundle(traced, false).note).toContain('was built with tracing and tracing is off');
    expect(prebuiltWorkflowBundle(traced, false).workflowBundle).toBeUndefined();
  });
});
