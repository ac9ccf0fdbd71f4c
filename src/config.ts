import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  ApiStandard,
  createModelCatalog,
  createPricingTable,
  credentialsFromEnv,
  DEFAULT_KLING_BASE_URL,
  LEGACY_PRODUCTS,
  ModelCapabilities,
  type LegacyProduct,
  PriceRow,
  type KlingCredentialsConfig,
  type MediaUrlPolicy,
  type ModelCatalog,
  type PricingTable,
} from './kling/index.js';
import { parseSlotsSetting, type AccountSlotsConfig } from './activities/account-slots.js';
import type { BalanceGuardConfig } from './activities/balance.js';
import { DEFAULT_VIDEO_HOSTS, parseHostPattern, type VideoHostPolicy } from './download/video-source.js';
import { CallbackEnv, callbackConfigFromEnv, type CallbackConfig } from './callbacks/config.js';
import { DEFAULT_TASK_QUEUE } from './contract/constants.js';
import { storageConfigSchema, type StorageConfig } from './storage/index.js';
import { WorkerDeploymentEnv, workerDeploymentFromEnv, type KlingWorkerDeployment } from './worker-deployment.js';

const blank = (v: unknown) => (v === '' ? undefined : v);
const optionalNumber = z.preprocess(blank, z.coerce.number().positive().optional());
const flag = z.preprocess(
  blank,
  z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
);
/** Comma-separated host patterns; each must parse (`*.kwimgs.com`, `cdn.example.com`, `127.0.0.1:8787`). */
const hostList = z.preprocess(
  blank,
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? [...DEFAULT_VIDEO_HOSTS]
        : v
            .split(',')
            .map((h) => h.trim())
            .filter(Boolean),
    )
    .superRefine((hosts, ctx) => {
      if (hosts.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one host pattern' });
      hosts.forEach((h, i) => {
        try {
          parseHostPattern(h);
        } catch {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} is not a host pattern ("*.example.com", "cdn.example.com" or an IP literal, optionally with ":port")`,
          });
        }
      });
    }),
);

/** Kling credentials, read by credentialsFromEnv (src/kling/credentials.ts); in the schema so it names every variable. */
const CredentialEnv = z.object({
  /** API key (both standards). */
  KLING_API_KEY: z.string().optional(),
  /** Access key and secret key, signed as a JWT (legacy standard only). */
  KLING_ACCESS_KEY: z.string().optional(),
  KLING_SECRET_KEY: z.string().optional(),
});

/**
 * Worker configuration from the environment (see README, "Configuration"). Temporal's own connection
 * settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS) are read by @temporalio/envconfig.
 */
export const WorkerEnv = z.object({
  ...CredentialEnv.shape,
  /** Callbacks (KLING_CALLBACK_URL, KLING_CALLBACK_LISTEN, KLING_WEBHOOK_SECRETS, fallback poll): see src/callbacks/config.ts. */
  ...CallbackEnv.shape,
  KLING_BASE_URL: z.preprocess(blank, z.url().default(DEFAULT_KLING_BASE_URL)),
  KLING_PREFERRED_STANDARD: z.preprocess(blank, ApiStandard.default('new')),
  /**
   * Opt-in: kinds also sent on the legacy standard, whose legacy bodies rest on assumptions (docs/products.md "Which
   * standard"): `omni-video`, `motion-control`, comma-separated. Default none (new standard only).
   */
  KLING_LEGACY_PRODUCTS: z.preprocess(
    blank,
    z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(LEGACY_PRODUCTS, { error: `each entry must be one of ${LEGACY_PRODUCTS.join(', ')}` }))),
  ),
  KLING_REQUEST_TIMEOUT_MS: optionalNumber,
  KLING_TASK_QUEUE: z.preprocess(blank, z.string().min(1).default(DEFAULT_TASK_QUEUE)),
  KLING_OBJECT_PREFIX: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9_/-]*$/)
      .default('kling-videos'),
  ),
  KLING_MAX_VIDEO_BYTES: optionalNumber,
  /** Hosts the rehost activity may download videos from. Default: Kling's CDN hosts. */
  KLING_VIDEO_HOSTS: hostList,
  /** Accept http video URLs (tests, the simulator). Default false: https only. */
  KLING_VIDEO_ALLOW_HTTP: flag,
  /** Accept video hosts resolving to private/loopback addresses. Default false. */
  KLING_VIDEO_ALLOW_PRIVATE_ADDRESSES: flag,
  /** Send http image URLs to Kling (the simulator, local test servers). Default false: https only. */
  KLING_MEDIA_URL_ALLOW_HTTP: flag,
  /** Send image URLs naming loopback/private/link-local addresses or `localhost`-style hosts. Default false. */
  KLING_MEDIA_URL_ALLOW_PRIVATE_ADDRESSES: flag,
  GCS_BUCKET: z.preprocess(blank, z.string().optional()),
  GCS_PREFIX: z.preprocess(blank, z.string().optional()),
  GCS_URL_MODE: z.preprocess(blank, z.enum(['public', 'signed']).default('signed')),
  GCS_SIGNED_URL_TTL_SECONDS: optionalNumber,
  GCS_API_ENDPOINT: z.preprocess(blank, z.url().optional()),
  GCS_PROJECT_ID: z.preprocess(blank, z.string().optional()),
  /** Base of public object URLs (`GCS_URL_MODE=public`) when a CDN, load balancer or a host-reachable emulator address fronts the bucket. */
  GCS_PUBLIC_BASE_URL: z.preprocess(blank, z.url().optional()),
  LOCAL_STORAGE_DIR: z.preprocess(blank, z.string().default('./data/videos')),
  /** JSON file: an array of model entries that replace (by id) or extend the built-in catalog. */
  KLING_CATALOG_FILE: z.preprocess(blank, z.string().optional()),
  /** JSON file: `{ creditsPerUnit?, perTaskAudioMultiplier?, rows?: PriceRow[] }` merged over the built-in prices. */
  KLING_PRICING_FILE: z.preprocess(blank, z.string().optional()),
  /** Before each paid submission, check the account's remaining pack units cover the estimate. Default false. */
  KLING_BALANCE_GUARD: flag,
  /** Account-wide slot admission (docs/slots.md): `5` for every bucket, `kling-2.6=5,kling-3.0-omni=10` per model, or both. */
  KLING_SLOTS: z.preprocess(blank, z.string().optional()),
  /** The balance guard counts only this resource pack (default: every online pack). */
  KLING_BALANCE_PACK_NAME: z.preprocess(blank, z.string().optional()),
  /** Serve Prometheus metrics on this port (`GET /metrics`). Unset: no metrics endpoint. */
  KLING_METRICS_PORT: z.preprocess(blank, z.coerce.number().int().min(1).max(65535).optional()),
  /** Interface the metrics endpoint binds. Default all interfaces (a configured port is meant to be scraped). */
  KLING_METRICS_HOST: z.preprocess(blank, z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('0.0.0.0')),
  /** `human` (Temporal's default lines) or `json` (one object per line on stdout). */
  KLING_LOG_FORMAT: z.preprocess(blank, z.enum(['human', 'json']).default('human')),
  /** Lowest level logged (case-insensitive). */
  KLING_LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' && v !== '' ? v.toUpperCase() : undefined),
    z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  ),
  /** A prebuilt workflow bundle (scripts/build-workflow-bundle.ts): the worker skips webpack at start. Unset: it bundles. */
  KLING_WORKFLOW_BUNDLE: z.preprocess(blank, z.string().optional()),
  /** Worker Deployment Versioning (KLING_WORKER_DEPLOYMENT, KLING_WORKER_BUILD_ID): see src/worker-deployment.ts. */
  ...WorkerDeploymentEnv.shape,
});

/** Variables of the CLI and the dev stack only (docs/cli.md); the worker reads none of them. */
export const ToolEnv = z.object({
  /** Base URL of the Temporal Web UI, for workflow links (`generate`, `status`, the dev stack). */
  KLING_TEMPORAL_UI_URL: z.string().optional(),
  /** Port of the Web UI of the dev server the dev stack starts (default: Temporal's port + 1000). */
  KLING_TEMPORAL_UI_PORT: z.string().optional(),
  /** Print the stack of an internal error. */
  KLING_CLI_DEBUG: z.string().optional(),
  /** The .env file to load instead of ./.env (src/dotenv.ts). */
  KLING_ENV_FILE: z.string().optional(),
  /** `off`: load no .env file. */
  KLING_DOTENV: z.string().optional(),
  /** The Temporal CLI the dev stack runs (default: the one in .tools/). */
  TEMPORAL_CLI_PATH: z.string().optional(),
  /** The test bed's Temporal test server (written to .tools/paths.env with TEMPORAL_CLI_PATH). */
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
});

/** Temporal's own variables, read by @temporalio/envconfig (test/env-check.test.ts checks them against its source). */
export const TEMPORAL_ENV_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
] as const;

/** Families envconfig reads by prefix: `TEMPORAL_GRPC_META_<HEADER>` adds a gRPC metadata header. */
export const TEMPORAL_ENV_PREFIXES = ['TEMPORAL_GRPC_META_'] as const;

/** Every KLING_*, GCS_* and TEMPORAL_* variable read here or by Temporal's envconfig: the worker's and the tools' schemas, and Temporal's. */
export const KNOWN_ENV_VARIABLES: readonly string[] = [...Object.keys(WorkerEnv.shape), ...Object.keys(ToolEnv.shape), ...TEMPORAL_ENV_VARIABLES];

const PricingOverrides = z
  .object({
    creditsPerUnit: z.number().positive().optional(),
    perTaskAudioMultiplier: z.number().positive().optional(),
    rows: z.array(PriceRow).optional(),
  })
  .strict();

function readJson(variable: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${variable}: cannot read JSON from ${file}: ${(err as Error).message}`);
  }
}

function parseWith<T>(variable: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${variable}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface WorkerConfig {
  credentials: KlingCredentialsConfig;
  klingBaseUrl: string;
  preferredStandard: ApiStandard;
  /** Kinds also sent on the legacy standard (KLING_LEGACY_PRODUCTS); empty by default. */
  legacyProducts: readonly LegacyProduct[];
  requestTimeoutMs?: number;
  taskQueue: string;
  objectPrefix: string;
  maxVideoBytes?: number;
  videoHosts: VideoHostPolicy;
  /** Which image URLs requests may send to Kling (KLING_MEDIA_URL_ALLOW_HTTP, KLING_MEDIA_URL_ALLOW_PRIVATE_ADDRESSES). */
  mediaUrlPolicy: MediaUrlPolicy;
  storage: StorageConfig;
  catalog: ModelCatalog;
  pricing: PricingTable;
  /** The balance guard (KLING_BALANCE_GUARD, KLING_BALANCE_PACK_NAME). */
  balanceGuard: BalanceGuardConfig;
  /** Account-wide slot admission (KLING_SLOTS); absent when unset (no generation waits for a slot). */
  accountSlots?: AccountSlotsConfig;
  /** Metrics endpoint; absent when KLING_METRICS_PORT is unset. */
  metrics?: { port: number; host: string };
  /** Kling callbacks: the URL put into creates, the in-process receiver, secrets, fallback poll (docs/callbacks.md). */
  callbacks: CallbackConfig;
  log: { format: z.output<typeof WorkerEnv>['KLING_LOG_FORMAT']; level: z.output<typeof WorkerEnv>['KLING_LOG_LEVEL'] };
  /** The Worker Deployment Version (KLING_WORKER_DEPLOYMENT, KLING_WORKER_BUILD_ID); absent: an unversioned worker. */
  deployment?: KlingWorkerDeployment;
  /** A prebuilt workflow bundle file (KLING_WORKFLOW_BUNDLE); absent: the worker bundles the workflows at start. */
  workflowBundle?: string;
}

/** Reads and validates the configuration; a bad value fails with the variable's name (never its value). */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = WorkerEnv.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const deployment = workerDeploymentFromEnv(env);
  const storage = storageConfigSchema.parse({
    bucket: e.GCS_BUCKET,
    prefix: e.GCS_PREFIX,
    urlMode: e.GCS_URL_MODE,
    signedUrlTtlSeconds: e.GCS_SIGNED_URL_TTL_SECONDS,
    apiEndpoint: e.GCS_API_ENDPOINT,
    projectId: e.GCS_PROJECT_ID,
    publicBaseUrl: e.GCS_PUBLIC_BASE_URL,
    localRoot: e.LOCAL_STORAGE_DIR,
  });
  const catalog = createModelCatalog(
    e.KLING_CATALOG_FILE ? parseWith('KLING_CATALOG_FILE', z.array(ModelCapabilities), readJson('KLING_CATALOG_FILE', e.KLING_CATALOG_FILE)) : [],
  );
  return {
    credentials: credentialsFromEnv(env),
    klingBaseUrl: e.KLING_BASE_URL,
    preferredStandard: e.KLING_PREFERRED_STANDARD,
    legacyProducts: [...new Set(e.KLING_LEGACY_PRODUCTS)],
    requestTimeoutMs: e.KLING_REQUEST_TIMEOUT_MS,
    taskQueue: e.KLING_TASK_QUEUE,
    objectPrefix: e.KLING_OBJECT_PREFIX,
    maxVideoBytes: e.KLING_MAX_VIDEO_BYTES,
    videoHosts: { allow: e.KLING_VIDEO_HOSTS, allowHttp: e.KLING_VIDEO_ALLOW_HTTP, allowPrivateAddresses: e.KLING_VIDEO_ALLOW_PRIVATE_ADDRESSES },
    mediaUrlPolicy: { allowHttp: e.KLING_MEDIA_URL_ALLOW_HTTP, allowPrivateAddresses: e.KLING_MEDIA_URL_ALLOW_PRIVATE_ADDRESSES },
    storage,
    catalog,
    pricing: createPricingTable(
      e.KLING_PRICING_FILE ? parseWith('KLING_PRICING_FILE', PricingOverrides, readJson('KLING_PRICING_FILE', e.KLING_PRICING_FILE)) : {},
    ),
    balanceGuard: { enabled: e.KLING_BALANCE_GUARD, ...(e.KLING_BALANCE_PACK_NAME ? { resourcePackName: e.KLING_BALANCE_PACK_NAME } : {}) },
    ...(e.KLING_SLOTS === undefined ? {} : { accountSlots: parseSlotsSetting(e.KLING_SLOTS, (name) => catalog.find(name)?.id) }),
    ...(e.KLING_METRICS_PORT === undefined ? {} : { metrics: { port: e.KLING_METRICS_PORT, host: e.KLING_METRICS_HOST } }),
    callbacks: callbackConfigFromEnv(env),
    log: { format: e.KLING_LOG_FORMAT, level: e.KLING_LOG_LEVEL },
    ...(deployment ? { deployment } : {}),
    ...(e.KLING_WORKFLOW_BUNDLE ? { workflowBundle: e.KLING_WORKFLOW_BUNDLE } : {}),
  };
}
