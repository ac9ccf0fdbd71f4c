// Finding credentials where they do not belong: the plain API key, access key and secret key, and any JWT
// (a bearer token has no business in a history or a log, whoever signed it; the finding says which known key
// signed it). Shared by generation-security.test.ts (its own generations) and secret-sweep.test.ts (every
// workflow of the run).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { SimulatorOptionsSchema } from '../../src/simulator/index.js';
import { SIM_CREDENTIALS } from '../support/generation-stack.js';
import type {} from './sweep-setup.js'; // the testLogDir key of vitest's ProvidedContext

/** Distinctive canary credentials of generation-security.test.ts: any occurrence anywhere is a leak. */
export const CANARY = {
  apiKey: 'apikey-Zq7Xw1LeakCanary-9f3e',
  accessKey: 'ak-Pm4Rt8LeakCanary-2b7d',
  secretKey: 'sk-Hy6Ud2LeakCanary-c81a',
} as const;

export interface Credentials {
  apiKeys: string[];
  keyPairs: Array<{ accessKey: string; secretKey: string }>;
}

/**
 * Every credential the suites give the simulator or a worker: the simulator's defaults (= SIM_CREDENTIALS),
 * the canaries, and the distinctive values of the worker-process tests. Values of one or two characters
 * (`'k'`, `'a'`) are left out: they are not secrets, they are everywhere.
 */
export function knownCredentials(): Credentials {
  const defaults = SimulatorOptionsSchema.parse({});
  const apiKeys = [...defaults.apiKeys, SIM_CREDENTIALS.apiKey, CANARY.apiKey, 'key-secret-value'];
  const keyPairs = [
    ...defaults.accessKeys,
    { accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey },
    { accessKey: CANARY.accessKey, secretKey: CANARY.secretKey },
    { accessKey: 'ak-secret-value', secretKey: 'sk-secret-value' },
  ];
  const uniq = <T>(xs: T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()];
  return { apiKeys: uniq(apiKeys, (k) => k), keyPairs: uniq(keyPairs, (p) => `${p.accessKey}\n${p.secretKey}`) };
}

/** A history as texts to search: its JSON, and every payload's `data` base64-decoded. */
export function historyTexts(history: temporal.api.history.v1.IHistory): string[] {
  const json = historyToJSON(history);
  return [json, ...decodedPayloads(json)];
}

/** Every base64 `data` field of a JSON text (Temporal payloads, failure details), decoded as UTF-8. */
export function decodedPayloads(json: string): string[] {
  return [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
}

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}/g;
const HMAC_ALGS: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** JWT-shaped strings of `text` whose header decodes to a JSON object with an `alg`. */
export function findJwts(text: string): string[] {
  return [...text.matchAll(JWT)].map((m) => m[0]).filter((token) => headerOf(token)?.alg !== undefined);
}

function headerOf(token: string): { alg?: unknown } | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null ? (header as { alg?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/** The access key whose secret key signed `token` (HMAC), or undefined. */
export function jwtSigner(token: string, credentials: Credentials): string | undefined {
  const alg = HMAC_ALGS[String(headerOf(token)?.alg)];
  if (alg === undefined) return undefined;
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const given = Buffer.from(signature, 'base64url');
  for (const { accessKey, secretKey } of credentials.keyPairs) {
    const expected = createHmac(alg, secretKey).update(`${header}.${payload}`).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) return accessKey;
  }
  return undefined;
}

/** One finding: where, and what (secrets shortened, so the report does not spread them further). */
export interface SecretHit {
  where: string;
  what: string;
}

const short = (secret: string) => `${secret.slice(0, 6)}…`;

/**
 * Every credential of `credentials` (API keys, access keys, secret keys, and the signature part of `extraTokens`,
 * e.g. captured JWTs) and every JWT found in `texts`.
 */
export function scanForSecrets(where: string, texts: Iterable<string>, credentials: Credentials, extraTokens: string[] = []): SecretHit[] {
  const plain = [
    ...credentials.apiKeys.map((s) => ['API key', s] as const),
    ...credentials.keyPairs.flatMap((p) => [['access key', p.accessKey] as const, ['secret key', p.secretKey] as const]),
    ...extraTokens.flatMap((t) => [['captured JWT', t] as const, ['captured JWT signature', t.split('.')[2] ?? t] as const]),
  ];
  const hits = new Map<string, SecretHit>();
  for (const text of texts) {
    for (const [kind, secret] of plain) if (text.includes(secret)) hits.set(`${kind}:${secret}`, { where, what: `${kind} ${short(secret)}` });
    for (const token of findJwts(text)) {
      const signer = jwtSigner(token, credentials);
      hits.set(`jwt:${token}`, {
        where,
        what: `a JWT ${short(token)} ${signer ? `signed with the secret key of ${short(signer)}` : '(not signed by a known key)'}`,
      });
    }
  }
  return [...hits.values()];
}

/**
 * Saves captured output (e.g. a worker process's log) into the run's log directory (`testLogDir`, created by the
 * global setup), where the sweep at the end of the run scans it. A no-op outside a vitest run with that setup.
 */
export async function recordTestLog(name: string, text: string): Promise<void> {
  const dir = testLogDir();
  if (dir === undefined) return;
  await writeFile(path.join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`), text);
}

/** The run's log directory, if the global setup made one. */
export function testLogDir(): string | undefined {
  const dir: unknown = inject('testLogDir');
  return typeof dir === 'string' && dir !== '' ? dir : undefined;
}

/** Every file of the run's log directory, as [name, text]. */
export async function recordedTestLogs(): Promise<Array<[string, string]>> {
  const dir = testLogDir();
  if (dir === undefined) return [];
  const names = await readdir(dir);
  return Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')] as [string, string]));
}
