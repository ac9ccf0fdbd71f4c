/**
 * Kling AI API simulator: both API standards over real HTTP, with fault injection. See docs/simulator.md.
 * Comments cite the references by section: REF §n is docs/reference/kling-api.md, NEW §n is
 * docs/reference/kling-api-new-standard.md.
 */
export { startSimulator, type Simulator, type SimDeduction } from './server.js';
export { ManualClock, systemNow, type NowFn } from './clock.js';
export { SimulatorOptionsSchema, type SimulatorOptions, type ResolvedSimulatorOptions, type AccessKeyPair } from './options.js';
export type { OutcomeDecision, OutcomeRule, OutcomeRuleInput } from './outcomes.js';
export type { PriceOverride } from './pricing.js';
export {
  FaultSchema,
  FaultRateRuleSchema,
  ERROR_FAULTS,
  type Fault,
  type FaultInput,
  type FaultKind,
  type FaultRateRuleInput,
  type FaultController,
  type RouteKind,
} from './faults.js';
export type { RequestLogEntry } from './request-log.js';
export {
  signWebhook,
  CallbackFaultSchema,
  CallbackOptionsSchema,
  type CallbackController,
  type CallbackDelivery,
  type CallbackFaultInput,
  type CallbackFaultRateRuleInput,
} from './callbacks.js';
export type { SimTaskView } from './task-view.js';
export type { TaskStatus, TaskTransition, TransitionListener } from './tasks.js';
export type { TaskSpec, ApiStandard, Product, LegacyFamily, Resolution } from './task-spec.js';
export type { AuthKind } from './auth.js';
export { NEW_STANDARD_AUTH_MESSAGE } from './auth.js';
