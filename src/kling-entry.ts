// `kling-temporal/kling`: the Kling API client on its own, without Temporal: both API standards, the model
// catalog, request validation, credit estimates and the prompt lint.
export * from './kling/index.js';
