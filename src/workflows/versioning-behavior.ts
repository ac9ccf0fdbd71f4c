// How each workflow moves between Worker Deployment Versions (docs/deploy.md, "Rollouts"). Declared only when the
// worker belongs to a deployment: Temporal's core refuses a versioning behavior from an unversioned worker ("versioning
// behavior cannot be specified without deployment options being set with versioned mode") and the task would fail
// forever, so an unversioned worker (the default) declares nothing. Imported once by ./index.ts.
import type { VersioningBehavior, WorkflowDefinitionOptions } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { accountSlots } from './account-slots.js';
import { adoptVideo } from './adopt-video.js';
import { creditBudget } from './credit-budget.js';
import { generateBatch } from './generate-batch.js';
import { generateVideo } from './generate-video.js';

/**
 * `behavior` when the worker running this task has a deployment (a versioned worker), nothing otherwise. Read once per
 * run, before the workflow function starts; an unversioned worker reports a version with an empty deployment name.
 */
export function whenVersioned(behavior: VersioningBehavior): () => WorkflowDefinitionOptions {
  return () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {});
}

// PINNED: a generation, an adoption or a batch runs to its end on the build that started it; its workers stay up
// until it ends (drain). Explicit although the worker's default is PINNED too, so a worker of your own with another
// default keeps them pinned. A batch's children start on its version (Temporal: children of a pinned parent on the
// same task queue inherit its version).
setWorkflowOptions(whenVersioned('PINNED'), generateVideo);
setWorkflowOptions(whenVersioned('PINNED'), adoptVideo);
setWorkflowOptions(whenVersioned('PINNED'), generateBatch);
// AUTO_UPGRADE: the entities, creditBudget (one per task queue) and accountSlots (one per task queue and concurrency
// bucket), live long (while holds or slots are taken, continuing as new as their history grows; a pinned
// continue-as-new stays on its version). Pinned, they would keep the old workers needed as long as generations keep
// reserving; they move to the Current Version at their next workflow task instead, so their code changes go behind
// patched() like any change to running code. Generations talk to them through signals and updates, across versions.
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), creditBudget);
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), accountSlots);
