// Worker Deployment Versioning (docs/deploy.md, "Rollouts"): a worker that belongs to a Worker Deployment Version
// receives only the workflows pinned to its version, and new workflows only once its version is the deployment's
// Current Version. A generation in flight keeps running on the code that started it, so a rollout cannot replay it
// on code that issues different commands. Opt-in: without KLING_WORKER_DEPLOYMENT the worker is unversioned.
import { readFileSync } from 'node:fs';
import type { NativeConnection, WorkerDeploymentOptions } from '@temporalio/worker';
import { z } from 'zod';

const blank = (v: unknown) => (v === '' ? undefined : v);

/** Temporal's size limit for deployment names and build ids (the server's `limit.workerBuildIdSize`). */
const MAX_LENGTH = 255;

export const WorkerDeploymentEnv = z.object({
  /**
   * The Worker Deployment this worker belongs to (e.g. `kling-video`); setting it turns versioning on. Unset: an
   * unversioned worker. A `.` is refused by Temporal (it separates the name from the build id in version strings).
   */
  KLING_WORKER_DEPLOYMENT: z.preprocess(
    blank,
    z
      .string()
      .max(MAX_LENGTH)
      .regex(/^[^.]+$/, 'must not contain "." (Temporal writes versions as <deployment>.<buildId>)')
      .optional(),
  ),
  /** The build id of this worker's code within the deployment (an image tag, a commit). Default: the package version. */
  KLING_WORKER_BUILD_ID: z.preprocess(
    blank,
    z
      .string()
      .max(MAX_LENGTH)
      .refine((v) => !v.startsWith('__'), 'names starting with "__" are reserved by Temporal (__unversioned__)')
      .optional(),
  ),
});

/** A Worker Deployment Version: which deployment the worker belongs to and which build of the code it runs. */
export interface KlingWorkerDeployment {
  /** The Worker Deployment (one per task queue family, stable across releases), e.g. `kling-video`. */
  deploymentName: string;
  /** The build of the code: a new one for every release whose workflow code differs. */
  buildId: string;
}

/** This package's version (package.json, one level above src/ and lib/): the default build id. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || pkg.version === '') throw new Error('package.json has no "version": set KLING_WORKER_BUILD_ID');
  return pkg.version;
}

/** The deployment version from the environment; undefined (unversioned) when KLING_WORKER_DEPLOYMENT is unset. */
export function workerDeploymentFromEnv(env: NodeJS.ProcessEnv = process.env): KlingWorkerDeployment | undefined {
  const parsed = WorkerDeploymentEnv.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { KLING_WORKER_DEPLOYMENT: deploymentName, KLING_WORKER_BUILD_ID: buildId } = parsed.data;
  return deploymentName === undefined ? undefined : { deploymentName, buildId: buildId ?? packageVersion() };
}

/**
 * The SDK's deployment options for a versioned worker. Workflows are PINNED by default: a run stays on the version
 * that started it until it ends. Workflows that choose otherwise (the entities, AUTO_UPGRADE) say so in
 * src/workflows/versioning-behavior.ts.
 */
export function workerDeploymentOptions(deployment: KlingWorkerDeployment): WorkerDeploymentOptions {
  return {
    useWorkerVersioning: true,
    version: { deploymentName: deployment.deploymentName, buildId: deployment.buildId },
    defaultVersioningBehavior: 'PINNED',
  };
}

/** The command that makes `deployment` the Current Version (new workflows go to it). */
export function setCurrentVersionCommand(deployment: KlingWorkerDeployment): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `temporal worker deployment set-current-version --deployment-name ${quote(deployment.deploymentName)} --build-id ${quote(deployment.buildId)}`;
}

/**
 * One line for the worker's log: whether this version is the deployment's Current Version, and if not, what the
 * operator runs. A versioned worker that is not current only finishes the runs pinned to it: new generations wait
 * for a current version (or go to the unversioned workers while the current version is unversioned).
 */
export async function describeDeploymentRouting(connection: NativeConnection, namespace: string, deployment: KlingWorkerDeployment): Promise<string> {
  const self = `${deployment.deploymentName}.${deployment.buildId}`;
  let current: string | undefined;
  try {
    const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
      namespace,
      deploymentName: deployment.deploymentName,
    });
    const version = workerDeploymentInfo?.routingConfig?.currentDeploymentVersion;
    current = version?.buildId ? `${version.deploymentName}.${version.buildId}` : 'unversioned workers';
  } catch {
    // NOT_FOUND until this worker's first poll registers the deployment: nothing is current yet.
    current = undefined;
  }
  if (current === self) return `worker deployment version ${self} is current: new generations start on it`;
  return (
    `worker deployment version ${self} is not current (${current ? `current: ${current}` : 'the deployment has no current version yet'}); ` +
    `it runs the generations pinned to it, and new ones once you run: ${setCurrentVersionCommand(deployment)}`
  );
}
