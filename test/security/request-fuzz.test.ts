// Property-based fuzzing of the request model: thousands of generated requests (valid-looking and hostile)
// through KlingClient.createTask against the in-process simulator over HTTP.
// - Refused requests throw only KlingValidationError / KlingCredentialsError (never TypeError & co.),
//   reach the simulator not at all, and every issue names a real field of the request.
// - Requests the client accepts are accepted by the simulator (HTTP 200, a task is created): the two were
//   written independently, so a disagreement is a finding.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlingClient, KlingCredentialsError, KlingValidationError } from '../../src/kling/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { junk, plausibleRequest, SCHEMA_KEYS } from '../support/request-arbitraries.js';

const SEED = Number(process.env.KT_FUZZ_SEED ?? 20261128);
const RUNS = Number(process.env.KT_FUZZ_RUNS ?? 2000);

let sim: Simulator;
let both: KlingClient; // API key + AK/SK: both standards
let akOnly: KlingClient; // legacy only: new-standard-only models must be refused with KlingCredentialsError
let counter = 0;

beforeAll(async () => {
  sim = await startSimulator({
    schedule: { submittedMs: 1, processingMs: 1 },
    concurrency: { limit: 1_000_000, bucket: 'model' },
    unitBalance: 1e12,
  });
  both = new KlingClient({
    baseUrl: sim.url,
    credentials: { apiKey: 'sim-api-key', accessKey: 'sim-ak', secretKey: 'sim-sk' },
    requestTimeoutMs: 5_000,
  });
  akOnly = new KlingClient({ baseUrl: sim.url, credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' }, requestTimeoutMs: 5_000 });
});
afterAll(async () => {
  await sim?.close();
});

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Splits an issue's field as formatFieldPath writes it (`a.b.0`, `a["odd.key"]`, `[""]`) into paths; the
 * resolver names a conflict between fields as `imageTail, cameraControl` or `staticMask/dynamicMasks`.
 */
function parseFieldPaths(field: string): string[][] | undefined {
  const paths: string[][] = [[]];
  const token = /(^|\.|, |\/)([A-Za-z0-9_$-]+)|(, |\/)?\[("(?:[^"\\]|\\.)*")\]/y;
  let at = 0;
  while (at < field.length) {
    token.lastIndex = at;
    const m = token.exec(field);
    if (!m) return undefined;
    const sep = m[1] ?? m[3];
    if (sep === ', ' || sep === '/') paths.push([]);
    paths.at(-1)!.push(m[2] ?? (JSON.parse(m[4]!) as string));
    at = token.lastIndex;
  }
  return paths.every((p) => p.length > 0) ? paths : undefined;
}

/**
 * An issue's field must name the request: `(request)` only when the input is not an object; otherwise every
 * path in it starts with a request key (or a key the caller sent) and its parent exists in the input.
 */
function fieldProblem(field: string, input: unknown): string | undefined {
  if (typeof field !== 'string' || field.trim() === '') return 'empty field';
  if (field === '(request)') return isPlainObject(input) ? '(request) for an object input' : undefined;
  if (!isPlainObject(input)) return `field "${field}" for a non-object input`;
  const paths = parseFieldPaths(field);
  if (!paths) return 'not a field path';
  for (const segments of paths) {
    const [first] = segments;
    if (first === undefined || !(SCHEMA_KEYS.has(first) || Object.hasOwn(input, first))) return `"${segments.join('.')}" is not a request key`;
    let node: unknown = input;
    for (const seg of segments.slice(0, -1)) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return `"${segments.join('.')}": no "${seg}" in the input`;
      node = (node as Record<string, unknown>)[seg];
    }
  }
  return undefined;
}

/**
 * Client/simulator disagreements found by this fuzzer and reported (docs/security.md, "Findings"). Neither side
 * was changed to match the other: the simulator is written from the references on purpose. Anything not listed
 * here fails the test. Remove an entry when the disagreement is resolved.
 */
// Cases where the client accepts and the simulator refuses, each explained. Empty: the three found by this
// fuzzer (URL/base64 shape, kling-v1-5 motion brush mode, kling-2.6 end frame with audio) were client bugs, fixed.
const KNOWN_DISAGREEMENTS: Array<{ pattern: RegExp; why: string }> = [];

type Outcome = { kind: 'sent' } | { kind: 'refused'; error: unknown };

async function send(client: KlingClient, request: unknown): Promise<Outcome> {
  try {
    await client.createTask(request);
    return { kind: 'sent' };
  } catch (error) {
    return { kind: 'refused', error };
  }
}

/** Checks a refusal: typed error, fields named, nothing reached the simulator. */
function expectCleanRefusal(error: unknown, input: unknown, before: number): void {
  if (!(error instanceof KlingValidationError || error instanceof KlingCredentialsError))
    throw new Error(`crash: ${(error as Error)?.name}: ${(error as Error)?.message} for ${safeJson(input)}`);
  expect(sim.requests.length, `a refused request reached the simulator: ${safeJson(input)}`).toBe(before);
  if (error instanceof KlingValidationError) {
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      const problem = fieldProblem(issue.field, input);
      if (problem) throw new Error(`issue ${JSON.stringify(issue)} does not name a field (${problem}) for ${safeJson(input)}`);
      expect(typeof issue.message === 'string' && issue.message.length > 0).toBe(true);
    }
  } else expect(error.message).toMatch(/API key|credentials/);
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'string' && x.length > 80 ? `${x.slice(0, 40)}…(${x.length})` : typeof x === 'bigint' ? `${x}n` : x,
    );
    return s === undefined ? String(v) : s.slice(0, 1500);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('fuzzing the request model through KlingClient.createTask against the simulator', () => {
  it(`valid-looking requests (${RUNS} runs): accepted ones are accepted by the simulator, refused ones never reach it`, async () => {
    const disagreements: string[] = [];
    let sent = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(plausibleRequest, fc.boolean(), async (request, withApiKey) => {
        const client = withApiKey ? both : akOnly;
        const input = { ...request, externalTaskId: `fuzz-${++counter}` };
        const before = sim.requests.length;
        let resolvedOk = true;
        try {
          client.resolve(input);
        } catch {
          resolvedOk = false;
        }
        const outcome = await send(client, input);
        if (outcome.kind === 'refused') {
          if (resolvedOk) {
            // The client accepted it; the simulator (or transport) refused.
            const last = sim.requests.at(-1);
            disagreements.push(`${(outcome.error as Error).message} :: ${last?.method} ${last?.path} ${safeJson(last?.body)}`);
            return;
          }
          refused++;
          expectCleanRefusal(outcome.error, input, before);
        } else {
          sent++;
          const created = sim.requests.slice(before);
          expect(created).toHaveLength(1);
          expect(created[0]?.status).toBe(200);
          expect(created[0]?.createdTaskId).toBeTruthy();
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The generator must exercise both sides.
    expect(sent).toBeGreaterThan(RUNS / 20);
    expect(refused).toBeGreaterThan(RUNS / 4);
    const unexplained = disagreements.filter((d) => !KNOWN_DISAGREEMENTS.some((k) => k.pattern.test(d)));
    if (process.env.KT_FUZZ_DUMP) console.log(disagreements.join('\n'));
    expect(unexplained, `client accepted, simulator refused (new finding):\n${unexplained.slice(0, 20).join('\n')}`).toEqual([]);
  });

  it(`arbitrary values and random nesting (${RUNS} runs): typed refusal naming a field, nothing sent`, async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (input) => {
        const before = sim.requests.length;
        const outcome = await send(both, input);
        if (outcome.kind === 'sent') {
          // Only possible if the junk happens to be a valid request; then the simulator accepted it.
          expect(sim.requests.at(-1)?.status).toBe(200);
          return;
        }
        expectCleanRefusal(outcome.error, input, before);
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
  });

  it('wireRequest and resolve refuse the same way (no partial body is ever built for a refused request)', () => {
    fc.assert(
      fc.property(plausibleRequest, (request) => {
        const a = (() => {
          try {
            both.resolve(request);
            return 'ok';
          } catch (e) {
            return (e as Error).message;
          }
        })();
        const b = (() => {
          try {
            both.wireRequest(request);
            return 'ok';
          } catch (e) {
            return (e as Error).message;
          }
        })();
        expect(b).toBe(a);
      }),
      { numRuns: 300, seed: SEED + 2 },
    );
  });
});
