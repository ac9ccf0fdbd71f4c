/** Kling callbacks into workflows: verify, parse, deduplicate, signal. See docs/callbacks.md. */
export { startCallbackReceiver, type CallbackReceiver, type CallbackReceiverOptions, type CallbackLogger } from './receiver.js';
export { temporalSignaller, type WorkflowSignaller, type SignalOutcome } from './signal.js';
export {
  createWebhookVerifier,
  assertWebhookSecret,
  WEBHOOK_TOLERANCE_SECONDS,
  type VerificationResult,
  type VerificationFailure,
} from './verify.js';
export { parseCallbackBody, MalformedCallbackError, type KlingCallback } from './parse.js';
export { CallbackDeduper, type DedupeVerdict } from './dedupe.js';
export { CALLBACK_OUTCOMES, type CallbackOutcome, type CallbackCountersSnapshot } from './counters.js';
export { callbackConfigFromEnv, parseListenAddress, CallbackEnv, type CallbackConfig } from './config.js';
export { startCallbackService, runCallbackReceiver, DEFAULT_CALLBACK_LISTEN } from './run.js';
