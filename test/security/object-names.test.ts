// Object names cannot be steered by user input: validateGeneration (the validating activity's core) derives the
// name from sha256(workflowId/firstRunId) under the configured prefix and a checked destination prefix. Property-based.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateGeneration } from '../../src/activities/validate.js';
import { KlingClient } from '../../src/kling/index.js';
import { WORKFLOW_ID_PATTERN } from '../../src/contract/constants.js';
import { FailureType } from '../../src/contract/failure-types.js';
import { assertValidObjectName } from '../../src/storage/index.js';

const kling = new KlingClient({ baseUrl: 'http://127.0.0.1:9', credentials: { apiKey: 'k', accessKey: 'a', secretKey: 's' } });
const deps = { kling, objectPrefix: 'kling-videos' };
const REQUEST = { model: 'kling-2.6', kind: 'text-to-video', prompt: 'A red fox trots through fresh snow at dawn, tracking shot, cinematic' };
const NAME = /^kling-videos(\/[a-z0-9][a-z0-9_-]{0,62}){0,5}\/[0-9a-f]{32}\.mp4$/;
const SEED = 20261128;

const RUN = '019a21f8-9071-7d3e-a3d0-0b65adb8c937';
const expectedName = (workflowId: string, run = RUN) =>
  `kling-videos/${createHash('sha256').update(`${workflowId}/${run}`).digest('hex').slice(0, 32)}.mp4`;

function plan(input: unknown, workflowId: string, firstExecutionRunId = RUN): { objectName?: string; failure?: ApplicationFailure } {
  try {
    return { objectName: validateGeneration(deps, input, { workflowId, firstExecutionRunId }).objectName };
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw new Error(`not a typed failure: ${String(err)}`);
    return { failure: err };
  }
}
const fields = (f: ApplicationFailure | undefined) =>
  (f?.details?.[0] as { issues?: Array<{ field: string }> } | undefined)?.issues?.map((i) => i.field) ?? [];

const HOSTILE_PIECES = [
  '..',
  '.',
  '/',
  '\\',
  '%2F',
  '%2e%2e',
  '%00',
  '\u0000',
  '\u202e',
  '~',
  ' ',
  '\n',
  'C:',
  '//',
  '?',
  '#',
  '*',
  'A',
  'é',
  '🎬',
  'gs:',
  'file:',
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.stringMatching(/^[a-z0-9_-]{1,8}$/)), { minLength: 1, maxLength: 12 })
  .map((p) => p.join(''));

describe('object names are derived, never taken from user input', () => {
  it('any workflow id: refused (field workflowId) or a fixed-shape name hashed from it', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ maxLength: 300 }), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,160}$/)), (workflowId) => {
        const { objectName, failure } = plan({ request: REQUEST }, workflowId);
        if (!WORKFLOW_ID_PATTERN.test(workflowId)) {
          expect(failure?.type).toBe(FailureType.InvalidVideoRequest);
          expect(fields(failure)).toContain('workflowId');
          return;
        }
        expect(objectName).toBe(expectedName(workflowId));
        expect(() => assertValidObjectName(objectName!)).not.toThrow();
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it('any destination prefix: refused (field options.destination.prefix) or safe lower-case segments under the configured prefix', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ maxLength: 80 }), fc.stringMatching(/^[a-z0-9][a-z0-9_/-]{0,40}$/)), (prefix) => {
        const { objectName, failure } = plan({ request: REQUEST, options: { destination: { prefix } } }, 'order-1');
        if (failure) {
          expect(failure.type).toBe(FailureType.InvalidVideoRequest);
          expect(fields(failure)).toContain('options.destination.prefix');
          return;
        }
        expect(objectName).toMatch(NAME);
        expect(objectName!.startsWith(`kling-videos/${prefix}/`)).toBe(true);
        expect(objectName).not.toMatch(/(^|\/)\.\.?(\/|$)|\/\/|\\|%/);
        expect(() => assertValidObjectName(objectName!)).not.toThrow();
      }),
      { numRuns: 1500, seed: SEED + 1 },
    );
  });

  it.each(['../other', '/abs', 'a/../../b', 'a%2F..%2Fb', 'a//b', 'a/', 'A/B', 'a\\b', 'a'.repeat(64), 'a/b/c/d/e/f', '.hidden', 'a/./b', '-x', ''])(
    'refuses the prefix %j',
    (prefix) => {
      expect(fields(plan({ request: REQUEST, options: { destination: { prefix } } }, 'order-1').failure)).toContain('options.destination.prefix');
    },
  );

  it('request fields (prompt, model, image, callback, unknown keys) never reach the name', () => {
    const evil = '../../../etc/passwd/%2F..\\x';
    const cases = [
      { ...REQUEST, prompt: `${REQUEST.prompt} ${evil}` },
      { model: 'kling-2.6', kind: 'image-to-video', image: `https://example.com/${evil}.png`, prompt: REQUEST.prompt },
      { ...REQUEST, callbackUrl: `https://example.com/${evil}` },
    ];
    const names = cases.map((request) => plan({ request }, 'order-1').objectName);
    expect(names.every((n) => n === names[0])).toBe(true);
    expect(names[0]).toMatch(NAME);
    // Unknown fields and a caller-set external id are refused, never used.
    expect(fields(plan({ request: { ...REQUEST, objectName: '../x.mp4' } }, 'order-1').failure)).toContain('request.objectName');
    expect(fields(plan({ request: { ...REQUEST, externalTaskId: 'other-generation-r12345678-1' } }, 'order-1').failure)).toContain(
      'request.externalTaskId',
    );
    expect(fields(plan({ request: REQUEST, objectName: 'x' }, 'order-1').failure)).toContain('objectName');
  });

  it('distinct workflow ids never share a name (another generation’s object cannot be targeted)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/), { minLength: 2, maxLength: 50 }), (ids) => {
        const names = ids.map((id) => plan({ request: REQUEST, options: { destination: { prefix: 'team' } } }, id).objectName);
        expect(new Set(names).size).toBe(ids.length);
      }),
      { numRuns: 200, seed: SEED + 2 },
    );
    // Case matters in workflow ids, and in the hash: `Order-1` and `order-1` are two generations, two objects.
    expect(plan({ request: REQUEST }, 'Order-1').objectName).not.toBe(plan({ request: REQUEST }, 'order-1').objectName);
    // A re-run of a closed id is a new paid task: it gets its own object, and never collides with the first.
    expect(plan({ request: REQUEST }, 'order-1', '019a21f8-9071-7f00-8c41-4211da90c5a7').objectName).not.toBe(
      plan({ request: REQUEST }, 'order-1').objectName,
    );
  });
});
