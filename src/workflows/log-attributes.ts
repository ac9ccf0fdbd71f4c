import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { KlingTaskId } from '../contract/search-attributes.js';

/**
 * A workflow interceptor module: every line the workflow logs through `log` (and the SDK's own workflow lines)
 * carries `klingTaskId` once the workflow has upserted the KlingTaskId search attribute, next to the
 * `workflowId`, `runId` and `workflowType` Temporal adds. Registered by createKlingWorker (workflowsPath) or
 * passed to bundleWorkflowCode as `workflowInterceptorModules` (WORKFLOW_INTERCEPTOR_MODULES in src/worker.ts).
 * Reads workflow state only; issues no commands, so it cannot affect determinism.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      getLogAttributes(input, next) {
        const klingTaskId = workflowInfo().typedSearchAttributes.get(KlingTaskId);
        return next(klingTaskId ? { ...input, klingTaskId } : input);
      },
    },
  ],
});
