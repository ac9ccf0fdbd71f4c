import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createModelCatalog,
  KlingClient,
  KlingCredentialsError,
  KlingValidationError,
  resolveRequest,
  type ApiStandard,
} from '../../src/kling/index.js';
import { ManualClock, startSimulator, type Simulator } from '../../src/simulator/index.js';

// Issue 20 item 1: omni-video and motion-control go on the new standard only unless KLING_LEGACY_PRODUCTS opts in (the
// references do not document a legacy body with confidence: REF §1.2, §3.4; with the switch: legacy-products.test.ts).
// The standard is chosen per kind, so a worker preferring the legacy standard still sends them on the new one; with
// only access/secret keys they are refused naming `standard`, nothing sent.
const catalog = createModelCatalog();
const resolve = (request: unknown, availableStandards: ApiStandard[], preferredStandard: ApiStandard = 'new') =>
  resolveRequest(request, { catalog, availableStandards, preferredStandard });

const IMG = 'https://cdn.example.com/dancer.png';
const VID = 'https://cdn.example.com/moves.mp4';
const motion = { model: 'kling-3.0', kind: 'motion-control', image: IMG, motionVideo: VID, characterOrientation: 'video' };
const omni = { model: 'kling-v3-omni', kind: 'omni-video', prompt: 'A fox in the snow' };

describe('the standard per kind', () => {
  it('motion control on kling-3.0 / kling-2.6 (served by both standards) goes to the new one even when legacy is preferred', () => {
    expect(resolve(motion, ['new', 'legacy'], 'legacy').standard).toBe('new');
    expect(resolve({ ...motion, model: 'kling-v2-6' }, ['new', 'legacy'], 'legacy').standard).toBe('new');
    // Text-to-video on the same model still follows the preference.
    expect(resolve({ model: 'kling-3.0', kind: 'text-to-video', prompt: 'A fox' }, ['new', 'legacy'], 'legacy').standard).toBe('legacy');
    expect(resolve(omni, ['new', 'legacy'], 'legacy').standard).toBe('new');
  });

  it.each([
    ['motion-control', motion],
    ['omni-video', omni],
  ] as Array<[string, object]>)(
    '%s with only access/secret keys: a KlingCredentialsError naming `standard`, saying why and what to do',
    (kind, request) => {
      let error: unknown;
      try {
        resolve(request, ['legacy']);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(KlingCredentialsError);
      const message = (error as Error).message;
      expect(message).toMatch(new RegExp(`^standard: ${kind} is sent on Kling's new API standard only \\(`));
      expect(message).toMatch(/configure KLING_API_KEY$/);
    },
  );

  it('standard "legacy" asked for explicitly is refused naming `standard`, with the fix', () => {
    const issues = (request: object) => {
      try {
        resolve(request, ['new', 'legacy']);
      } catch (err) {
        if (err instanceof KlingValidationError) return err.issues;
        throw err;
      }
      return [];
    };
    expect(issues({ ...motion, standard: 'legacy' })).toEqual([
      {
        field: 'standard',
        message: expect.stringMatching(
          /^motion-control is sent on the new standard only \(the legacy \/v1\/videos\/motion-control body names no model.*drop `standard` or set it to "new", or opt in to the legacy body with KLING_LEGACY_PRODUCTS=motion-control \(docs\/products\.md\)$/,
        ),
      },
    ]);
    // kling-3.0-omni is served by the legacy standard (kling-v3-omni), but its legacy body only with the switch.
    expect(issues({ ...omni, standard: 'legacy' })).toEqual([
      {
        field: 'standard',
        message: expect.stringMatching(/^omni-video is sent on the new standard only \(.*KLING_LEGACY_PRODUCTS=omni-video \(docs\/products\.md\)$/),
      },
    ]);
  });
});

describe('the client against the simulator over HTTP', () => {
  const clock = new ManualClock();
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ now: clock.now, schedule: { submittedMs: 1_000, processingMs: 3_000 } });
  });
  afterAll(async () => sim?.close());
  beforeEach(() => sim.reset());

  it('a client preferring the legacy standard creates motion control on /motion-control/kling-3.0', async () => {
    const c = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' }, preferredStandard: 'legacy', now: clock.now });
    const task = await c.createTask({ ...motion, externalTaskId: 'pref-legacy-1' });
    expect(task).toMatchObject({ standard: 'new', kind: 'motion-control' });
    expect(sim.requests.filter((r) => r.routeKind === 'create').map((r) => r.path)).toEqual(['/motion-control/kling-3.0']);
  });

  it.each([
    ['motion-control', motion],
    ['omni-video', omni],
  ] as Array<[string, object]>)('%s with access/secret keys only: refused naming `standard`, nothing sent', async (_kind, request) => {
    const c = new KlingClient({ baseUrl: sim.url, credentials: { accessKey: 'sim-ak', secretKey: 'sim-sk' }, now: clock.now });
    await expect(c.createTask(request)).rejects.toThrow(/^standard: .*configure KLING_API_KEY$/);
    expect(sim.requests).toHaveLength(0);
  });
});
