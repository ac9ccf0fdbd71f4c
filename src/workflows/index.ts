// The only workflowsPath entry: every workflow the worker runs is exported here.
export * from './generate-video.js';
export * from './adopt-video.js';
export * from '../contract/messages.js';
export * from './credit-budget.js';
export * from '../contract/credit-budget-messages.js';
export * from './generate-batch.js';
export * from '../contract/batch-messages.js';
