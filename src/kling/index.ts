// Kling's wire format, usable without Temporal. Comments cite docs/reference/kling-api.md and
// docs/reference/kling-api-new-standard.md by section, the latter also as NEW §n (the former as REF §n).
export * from './catalog.js';
export * from './request.js';
export * from './errors.js';
export * from './error-codes.js';
export * from './resolve-request.js';
export * from './task.js';
export * from './jwt-provider.js';
export * from './credentials.js';
export * from './pricing.js';
export * from './prompt-lint.js';
export * from './client.js';
export * from './wire-request.js';
export * from './media-url.js';
export { isPrivateAddress, isLocalHostName } from './private-address.js';
export {
  onlineUnits,
  ResourcePack,
  PackageDeduction,
  type AccountCosts,
  type AccountCostsQuery,
  type TaskDeduction,
  type TaskDeductionQuery,
} from './account.js';
export type { HttpEvent } from './http.js';
export { toLegacyBody, legacyWireBody, LegacyCreateBody, LegacyOmniBody, LegacyMotionBody } from './wire-legacy.js';
export { toNewBody, NewCreateBody, NEW_TASKS_QUERY_MAX_IDS } from './wire-new.js';
export { requestFingerprint, canonicalJson } from './request-fingerprint.js';
