// The only workflowsPath entry: every workflow the worker runs is exported here.
// Each workflow's Worker Deployment Versioning behavior (pinned, or auto-upgrade for the entities); see the module.
import './versioning-behavior.js';
export * from './generate-video.js';
export * from './adopt-video.js';
export * from '../contract/messages.js';
export * from './credit-budget.js';
export * from '../contract/credit-budget-messages.js';
export * from './generate-batch.js';
export * from '../contract/batch-messages.js';
export * from './account-slots.js';
export * from '../contract/slot-messages.js';
