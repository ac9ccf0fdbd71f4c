// Security properties of whole generations on the dev server, the simulator and fake-gcs-server:
// - a video URL outside the allow-list fails with a typed, non-retryable VideoSourceRefused and stores nothing;
// - a second generation under the same workflow id cannot overwrite the first one's object;
// - no credential (API key, access key, secret key, any minted JWT) appears in any workflow history, search
//   attribute, log line (Temporal Runtime logger, activity logs, stdout/stderr) or error message.
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoHostPolicy } from '../../src/download/video-source.js';
import { JwtProvider, KlingClient } from '../../src/kling/index.js';
import { FailureType } from '../../src/contract/failure-types.js';
import type { GenerateVideoInput } from '../../src/contract/generation.js';
import { generateVideo } from '../../src/workflows/index.js';
import { gcsStorage, uniqueId } from '../support/servers.js';
import { FAST_POLL, failureOf as suiteFailureOf, useGenerationStack } from '../support/suite.js';
import { CANARY, historyTexts, recordTestLog, scanForSecrets, type Credentials } from './secret-scan.js';

// Distinctive credentials: any occurrence anywhere is a leak.
const { apiKey: API_KEY, accessKey: ACCESS_KEY, secretKey: SECRET_KEY } = CANARY;
const CANARY_CREDENTIALS: Credentials = { apiKeys: [API_KEY], keyPairs: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }] };

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens';

/** Every Authorization header the Kling client sends: the minted JWTs (and the API key). */
class RecordingAgent extends Agent {
  readonly authorizations = new Set<string>();
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const h = options.headers;
    const pairs: Array<[string, unknown]> = Array.isArray(h)
      ? Array.from({ length: Math.floor(h.length / 2) }, (_, i) => [String(h[2 * i]), h[2 * i + 1]])
      : h && typeof h === 'object'
        ? Object.entries(h as Record<string, unknown>)
        : [];
    for (const [k, v] of pairs) if (k.toLowerCase() === 'authorization') this.authorizations.add(String(v));
    return super.dispatch(options, handler);
  }
}

const logLines: string[] = [];
const output: string[] = [];
const errorTexts: string[] = [];
const handles: WorkflowHandle[] = [];
const recorder = new RecordingAgent();
const policy: VideoHostPolicy = { allow: [], allowHttp: true };
let restoreOutput: (() => void) | undefined;

// Hooks: the recording starts before the stack (its beforeAll comes first) and stops after it is torn down
// (after-hooks run in reverse order: output restored first, the recording agent closed last).
afterAll(() => recorder.close());
beforeAll(() => {
  // Record every Temporal log line (SDK, worker, activity and workflow loggers; core logs forwarded) at DEBUG.
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry: LogEntry) => {
      logLines.push(`${entry.level} ${entry.message} ${safeJson(entry.meta)}`);
    }),
  });
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: unknown, ...rest: never[]) => (
    output.push(String(chunk)),
    out(chunk as string, ...rest)
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: never[]) => (
    output.push(String(chunk)),
    err(chunk as string, ...rest)
  )) as typeof process.stderr.write;
  restoreOutput = () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
});
const suite = useGenerationStack({
  simulator: { apiKeys: [API_KEY], accessKeys: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }] },
  // JWTs on legacy routes, the API key on new ones: both kinds of credential are exercised.
  kling: { credentials: { apiKey: API_KEY, accessKey: ACCESS_KEY, secretKey: SECRET_KEY }, legacyAuth: 'jwt', dispatcher: recorder },
  videoHosts: (sim) => {
    policy.allow = [new URL(sim.url).host];
    return policy;
  },
});
afterAll(() => restoreOutput?.());

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? '';
  } catch {
    return inspect(v, { depth: 6 });
  }
}

async function start(input: GenerateVideoInput, workflowId = uniqueId('sec')) {
  const handle = await suite.env.client.workflow.start(generateVideo, { args: [input], workflowId, taskQueue: suite.stack.taskQueue });
  handles.push(handle);
  return handle;
}

/** The suite's failureOf, keeping the failure's messages, details and causes for the secret scan. */
function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  return suiteFailureOf(
    promise.catch((err: unknown) => {
      for (let e: unknown = err; e instanceof Error; e = e.cause)
        errorTexts.push(e.message, String(e.stack), safeJson((e as ApplicationFailure).details));
      errorTexts.push(inspect(err, { depth: 10 }));
      throw err;
    }),
  );
}

const objectNameFor = (workflowId: string, firstRunId: string) =>
  `kling-videos/${createHash('sha256').update(`${workflowId}/${firstRunId}`).digest('hex').slice(0, 32)}.mp4`;
const bucketObjects = async () => (await gcsStorage().bucket(suite.stack.bucket).getFiles())[0].map((f) => f.name);

describe('video URL allow-list in a whole generation', () => {
  it('a CDN host outside the allow-list fails with non-retryable VideoSourceRefused after one attempt, storing nothing', async () => {
    await suite.stack.run(async () => {
      const saved = policy.allow;
      policy.allow = ['*.kwimgs.com', '*.klingai.com']; // the production default: the simulator's 127.0.0.1 is not on it
      try {
        const objectsBefore = await bucketObjects();
        const workflowId = uniqueId('refused');
        const handle = await start(
          { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } },
          workflowId,
        );
        const failure = await failureOf(handle.result());
        expect(failure.type).toBe(FailureType.VideoSourceRefused);
        expect(failure.nonRetryable).toBe(true);
        expect(failure.message).toContain('127.0.0.1');
        expect(failure.message).toContain('not on the allow-list');
        expect(failure.message).not.toContain('/cdn/'); // the hotlink URL itself never enters history
        expect(failure.details?.[0]).toMatchObject({ reason: 'host', host: '127.0.0.1' });
        // One attempt: the refusal is not retried.
        const history = await handle.fetchHistory();
        const rehostAttempts = (history.events ?? [])
          .filter((e) => e.activityTaskStartedEventAttributes?.attempt !== undefined)
          .map((e) => e.activityTaskStartedEventAttributes!.attempt);
        expect(Math.max(...rehostAttempts.map(Number))).toBe(1);
        expect(await suite.stack.storage.stat(objectNameFor(workflowId, handle.firstExecutionRunId))).toBeUndefined();
        expect(await bucketObjects()).toEqual(objectsBefore);
        // No download was attempted from the simulator's CDN.
        expect(suite.stack.sim.requests.filter((r) => r.routeKind === 'download')).toHaveLength(0);
      } finally {
        policy.allow = saved;
      }
    });
  });

  it('https-only: the simulator’s http URL is refused even when its host is listed', async () => {
    await suite.stack.run(async () => {
      policy.allowHttp = false;
      try {
        const failure = await failureOf(
          (await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } })).result(),
        );
        expect(failure.type).toBe(FailureType.VideoSourceRefused);
        expect(failure.details?.[0]).toMatchObject({ reason: 'scheme' });
      } finally {
        policy.allowHttp = true;
      }
    });
  });
});

describe('the bytes must be an MP4, whatever the Content-Type says', () => {
  it('a CDN answer served as video/mp4 that is an HTML page fails VideoDownloadInvalid after one attempt, storing nothing', async () => {
    await suite.stack.run(async () => {
      const objectsBefore = await bucketObjects();
      suite.stack.sim.faults.script([{ kind: 'not-video', route: 'download' }]);
      const workflowId = uniqueId('notvideo');
      const handle = await start(
        { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } },
        workflowId,
      );
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(FailureType.VideoDownloadInvalid);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('is not an MP4 although served as "video/mp4"');
      expect(failure.message).toContain('<!DOCTYPE html>');
      expect(failure.details?.[0]).toMatchObject({ reason: 'not-mp4', contentType: 'video/mp4' });
      // The simulator did serve it as a video (200, video/mp4, full length): only the bytes gave it away.
      const downloads = suite.stack.sim.requests.filter((r) => r.routeKind === 'download' && r.fault === 'not-video');
      expect(downloads.map((r) => r.status)).toEqual([200]);
      expect(suite.stack.sim.faults.pending()).toBe(0);
      expect(await suite.stack.storage.stat(objectNameFor(workflowId, handle.firstExecutionRunId))).toBeUndefined();
      expect(await bucketObjects()).toEqual(objectsBefore);
    });
  });
});

describe('object names cannot be steered', () => {
  it('re-running a completed workflow id is a new generation with its own object; the first stays intact', async () => {
    await suite.stack.run(async () => {
      const workflowId = uniqueId('owner');
      const input = { request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT }, options: { poll: FAST_POLL } };
      const firstHandle = await start(input, workflowId);
      const first = await firstHandle.result();
      expect(first.objectName).toBe(objectNameFor(workflowId, firstHandle.firstExecutionRunId));

      // Temporal's default reuse policy lets a closed id run again (VideoGenerationClient would return the
      // finished job instead). The re-run submits its own task (run-specific external id) and stores its own
      // object (run-specific name): it can neither adopt nor overwrite the first run's.
      const rerunHandle = await start({ ...input, request: { ...input.request, prompt: `${PROMPT}, second take` } }, workflowId);
      const second = await rerunHandle.result();
      expect(second.klingTaskId).not.toBe(first.klingTaskId);
      expect(second.externalTaskId).not.toBe(first.externalTaskId);
      expect(second.objectName).toBe(objectNameFor(workflowId, rerunHandle.firstExecutionRunId));
      expect(second.objectName).not.toBe(first.objectName);
      const after = await suite.stack.storage.stat(first.objectName);
      expect(after?.md5Base64).toBe(first.md5Base64);
      expect(after?.metadata.klingTaskId).toBe(first.klingTaskId);
    });
  });

  it('another generation (any other workflow id) gets another object', async () => {
    await suite.stack.run(async () => {
      const a = uniqueId('a');
      const input = {
        request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT },
        options: { poll: FAST_POLL, destination: { prefix: 'shared/team' } },
      };
      const [ra, rb] = await Promise.all([(await start(input, a)).result(), (await start(input, `${a}-b`)).result()]);
      expect(ra.objectName).not.toBe(rb.objectName);
      expect(ra.objectName).toMatch(/^kling-videos\/shared\/team\/[0-9a-f]{32}\.mp4$/);
      expect((await suite.stack.storage.stat(ra.objectName))?.metadata.klingTaskId).toBe(ra.klingTaskId);
      expect((await suite.stack.storage.stat(rb.objectName))?.metadata.klingTaskId).toBe(rb.klingTaskId);
    });
  });

  it('hostile destination prefixes and workflow ids are refused before anything is submitted', async () => {
    await suite.stack.run(async () => {
      const before = suite.stack.sim.requests.length;
      const request = { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT };
      for (const prefix of [
        '../other',
        '/abs',
        'a/../../b',
        'a%2F..%2Fb',
        'a//b',
        'A/B',
        'a\\b',
        `${'a'.repeat(64)}`,
        'a/b/c/d/e/f',
        '.hidden',
        'a/./b',
      ]) {
        const failure = await failureOf((await start({ request, options: { destination: { prefix } } })).result());
        expect(failure.type).toBe(FailureType.InvalidVideoRequest);
        expect((failure.details?.[0] as { issues: Array<{ field: string }> }).issues.map((i) => i.field)).toContain('options.destination.prefix');
      }
      // Workflow ids Temporal accepts but the project refuses (they would become part of Kling's external id).
      for (const workflowId of [
        `../${uniqueId('x')}`,
        `${uniqueId('x')}/../../etc`,
        `${uniqueId('x')}%2F..`,
        `${uniqueId('x')}${'a'.repeat(200)}`,
        `.${uniqueId('x')}`,
      ]) {
        const failure = await failureOf((await start({ request }, workflowId)).result());
        expect(failure.type).toBe(FailureType.InvalidVideoRequest);
        expect((failure.details?.[0] as { issues: Array<{ field: string }> }).issues.map((i) => i.field)).toContain('workflowId');
      }
      expect(suite.stack.sim.requests.length).toBe(before);
    });
  });
});

describe('no secret anywhere it does not belong', () => {
  it('runs generations on both credentials (success, Kling failure, invalid input, refused URL, conflict) and finds no secret', async () => {
    await suite.stack.run(async () => {
      // Success on the legacy standard (JWT) and on the new one (API key).
      await (
        await start({ request: { model: 'kling-v1-6', kind: 'text-to-video', prompt: PROMPT, standard: 'legacy' }, options: { poll: FAST_POLL } })
      ).result();
      await (
        await start({
          request: { model: 'kling-2.6', kind: 'image-to-video', image: 'https://example.com/a.png', prompt: PROMPT },
          options: { poll: FAST_POLL },
        })
      ).result();
      // Kling reports failed (legacy, JWT) and a request Kling refuses.
      await failureOf(
        (
          await start({
            request: { model: 'kling-v1-6', kind: 'text-to-video', prompt: `${PROMPT} [sim:fail Image pixel is invalid]`, standard: 'legacy' },
            options: { poll: FAST_POLL },
          })
        ).result(),
      );
      await failureOf((await start({ request: { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 7 } })).result());
    });

    // Credentials the simulator refuses: the client's error must not echo them either.
    const wrong = new KlingClient({
      baseUrl: suite.stack.sim.url,
      credentials: { apiKey: `${API_KEY}-wrong`, accessKey: ACCESS_KEY, secretKey: `${SECRET_KEY}-wrong` },
      legacyAuth: 'jwt',
      dispatcher: recorder,
    });
    for (const request of [
      { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT },
      { model: 'kling-v1-6', kind: 'text-to-video', prompt: PROMPT, standard: 'legacy' },
    ]) {
      const err = await wrong.createTask({ ...request, externalTaskId: uniqueId('wrong') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      errorTexts.push((err as Error).message, String((err as Error).stack), safeJson(err), inspect(err, { depth: 10 }));
    }
    errorTexts.push(
      inspect(suite.stack.kling, { depth: 10, showHidden: true }),
      safeJson(suite.stack.kling),
      inspect(wrong, { depth: 10, showHidden: true }),
    );

    // The JWTs actually minted and sent (captured from the client's dispatcher), plus their signatures alone.
    const tokens = [...recorder.authorizations].map((a) => a.replace(/^Bearer /, '')).filter((t) => t.split('.').length === 3);
    expect(tokens.length).toBeGreaterThanOrEqual(2); // the right keys and the wrong secret
    // And one minted here with the same keys (it must not appear either).
    const minted = await new JwtProvider({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }).token();
    const capturedTokens = [...tokens, minted];

    // Every workflow history of this file, raw and with every payload decoded, and each execution's description.
    const histories: string[] = [];
    for (const handle of handles) {
      const described = await handle.describe();
      histories.push(
        ...historyTexts(await handle.fetchHistory()),
        safeJson(described.searchAttributes),
        safeJson(described.typedSearchAttributes),
        safeJson(await described.memo),
      );
    }
    expect(handles.length).toBeGreaterThanOrEqual(15);
    expect(histories.join('\n').length).toBeGreaterThan(50_000);
    expect(logLines.length).toBeGreaterThan(20);
    expect(logLines.some((l) => l.includes('Activity completed') || l.includes('activity'))).toBe(true);
    expect(errorTexts.length).toBeGreaterThan(20);

    // The keys, the captured JWTs and their signatures alone, and any JWT at all (secret-scan.ts).
    const haystacks: Array<[string, string[]]> = [
      ['workflow histories', histories],
      ['Temporal log lines', logLines],
      ['stdout/stderr', output],
      ['error messages', errorTexts],
      ['simulator request log (bodies)', suite.stack.sim.requests.map((r) => safeJson({ ...r }))],
    ];
    expect(haystacks.flatMap(([where, texts]) => scanForSecrets(where, texts, CANARY_CREDENTIALS, capturedTokens))).toEqual([]);
    // Positive control: the same scan does find the credentials where they belong (the Authorization headers).
    const found = scanForSecrets('Authorization headers', [...recorder.authorizations], CANARY_CREDENTIALS, capturedTokens).map((h) => h.what);
    expect(found).toContain(`API key ${API_KEY.slice(0, 6)}…`);
    expect(found.filter((what) => what.startsWith('captured JWT ')).length).toBe(2 * tokens.length); // each token and its signature
    expect(found.some((what) => what.startsWith('a JWT') && what.includes(`signed with the secret key of ${ACCESS_KEY.slice(0, 6)}…`))).toBe(true);
    // Also for the run-wide sweep (secret-sweep.test.ts), which scans recorded logs with every suite's credentials.
    await recordTestLog('generation-security', [...logLines, ...output].join('\n'));
  });
});
