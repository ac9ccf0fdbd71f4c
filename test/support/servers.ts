// Helpers for tests that use the real servers started by test/support/global-setup.ts.
import { randomBytes } from 'node:crypto';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import {
  TestWorkflowEnvironment,
  type ExistingServerTestWorkflowEnvironmentOptions,
  type TimeSkippingTestWorkflowEnvironmentOptions,
} from '@temporalio/testing';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { inject, type ProvidedContext } from 'vitest';
import type {} from './global-setup.js'; // brings the ProvidedContext augmentation into scope

export type TestServers = Pick<
  ProvidedContext,
  'temporalAddress' | 'temporalNamespace' | 'temporalCliPath' | 'temporalTestServerPath' | 'fakeGcsUrl'
>;

/** Addresses and binary paths provided by the global setup. Throws if the global setup did not run. */
export function testServers(): TestServers {
  const servers: TestServers = {
    temporalAddress: inject('temporalAddress'),
    temporalNamespace: inject('temporalNamespace'),
    temporalCliPath: inject('temporalCliPath'),
    temporalTestServerPath: inject('temporalTestServerPath'),
    fakeGcsUrl: inject('fakeGcsUrl'),
  };
  const missing = Object.entries(servers)
    .filter(([, v]) => typeof v !== 'string' || v === '')
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new Error(
      `Test servers not provided (${missing.join(', ')}): run the tests through vitest with ` +
        `globalSetup test/support/global-setup.ts (the project's vitest.config.ts does this).`,
    );
  }
  return servers;
}

let runtimeConfigured = false;
/**
 * Installs the Temporal Runtime with a quiet logger (level from KT_TEST_TEMPORAL_LOG_LEVEL, default WARN)
 * unless a Runtime exists already in this test file's process. Called by the env helpers below; call it
 * yourself before `Worker.create` / `NativeConnection.connect` if a test uses those without an env helper.
 */
export function installQuietTemporalRuntime(): void {
  if (runtimeConfigured) return;
  runtimeConfigured = true;
  const level = (process.env.KT_TEST_TEMPORAL_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // A Runtime was installed/instantiated already (by the test itself); keep it.
  }
}

/** A TestWorkflowEnvironment on the shared Temporal dev server (real server, real time, search attributes registered). */
export async function createDevServerEnv(
  options: Omit<ExistingServerTestWorkflowEnvironmentOptions, 'address' | 'namespace'> = {},
): Promise<TestWorkflowEnvironment> {
  installQuietTemporalRuntime();
  const { temporalAddress, temporalNamespace } = testServers();
  return await TestWorkflowEnvironment.createFromExistingServer({
    ...options,
    address: temporalAddress,
    namespace: temporalNamespace,
  });
}

/**
 * A TestWorkflowEnvironment on a fresh time-skipping test server (one process per call, started from the
 * provisioned binary; stopped by `env.teardown()`). Time is global to the server, so use one per test file.
 */
export async function createTimeSkippingEnv(options: TimeSkippingTestWorkflowEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
  installQuietTemporalRuntime();
  const { temporalTestServerPath } = testServers();
  return await TestWorkflowEnvironment.createTimeSkipping({
    ...options,
    server: { ...options.server, executable: { type: 'existing-path', path: temporalTestServerPath } },
  });
}

/**
 * A @google-cloud/storage client for the shared fake-gcs-server. No credentials are looked up: with a
 * custom apiEndpoint and useAuthWithCustomEndpoint false the library sends unauthenticated requests.
 */
export function gcsStorage(options: StorageOptions = {}): Storage {
  const { fakeGcsUrl } = testServers();
  return new Storage({
    projectId: 'test',
    ...options,
    apiEndpoint: fakeGcsUrl,
    useAuthWithCustomEndpoint: false,
  });
}

let counter = 0;
/**
 * A run-unique id: `<prefix>-<time>-<pid+counter>-<random>`, lowercase [a-z0-9-] after the prefix.
 * Safe for workflow ids, task queues and (with a lowercase prefix) bucket names.
 */
export function uniqueId(prefix = 'test'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid.toString(36)}${counter.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A valid, unique GCS bucket name (3-63 chars of [a-z0-9-], starting and ending with a letter or digit). */
export function uniqueBucketName(prefix = 'test'): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'b';
  const id = uniqueId(clean.slice(0, 30));
  return id.slice(0, 63).replace(/-+$/, '');
}
