import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerConfigFromEnv } from '../src/config.js';
import { estimateCredits, resolveRequest } from '../src/kling/index.js';

const BASE = { KLING_API_KEY: 'key-secret-value' };

describe('workerConfigFromEnv', () => {
  it('applies defaults: global host, new standard, local storage', () => {
    const config = workerConfigFromEnv(BASE);
    expect(config).toMatchObject({ klingBaseUrl: 'https://api-singapore.klingai.com', preferredStandard: 'new', taskQueue: 'kling-video' });
    expect(config.storage).toMatchObject({ bucket: undefined, localRoot: './data/videos' });
  });

  it.each([
    [{ KLING_BASE_URL: 'not a url' }, 'KLING_BASE_URL'],
    [{ KLING_PREFERRED_STANDARD: 'v3' }, 'KLING_PREFERRED_STANDARD'],
    [{ GCS_URL_MODE: 'private' }, 'GCS_URL_MODE'],
    [{ KLING_MAX_VIDEO_BYTES: '-1' }, 'KLING_MAX_VIDEO_BYTES'],
  ])('a bad value fails naming the variable: %j', (env, variable) => {
    expect(() => workerConfigFromEnv({ ...BASE, ...env })).toThrow(variable);
  });

  it('KLING_SLOTS: off when unset; counts per bucket with catalog aliases resolved; a bad value names the variable', () => {
    expect(workerConfigFromEnv(BASE).accountSlots).toBeUndefined();
    expect(workerConfigFromEnv({ ...BASE, KLING_SLOTS: '5,kling-v2-6=3' }).accountSlots).toEqual({ default: 5, perModel: { 'kling-2.6': 3 } });
    expect(() => workerConfigFromEnv({ ...BASE, KLING_SLOTS: 'kling-9=3' })).toThrow(/^KLING_SLOTS: "kling-9=3" names an unknown model/);
    expect(() => workerConfigFromEnv({ ...BASE, KLING_SLOTS: '0' })).toThrow(/^KLING_SLOTS: "0" needs a whole number/);
  });

  it('needs credentials, and never echoes a secret in its errors', () => {
    expect(() => workerConfigFromEnv({})).toThrow(/KLING_API_KEY/);
    let message = '';
    try {
      workerConfigFromEnv({ KLING_ACCESS_KEY: 'ak-secret-value' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/KLING_SECRET_KEY/);
    expect(message).not.toContain('ak-secret-value');
  });

  it('overrides the model catalog and the prices from JSON files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kt-config-'));
    const catalogFile = path.join(dir, 'catalog.json');
    const pricingFile = path.join(dir, 'pricing.json');
    await writeFile(
      catalogFile,
      JSON.stringify([
        {
          id: 'kling-4.0',
          standards: { new: { pathId: 'kling-4.0' } },
          kinds: ['text-to-video'],
          resolutions: ['1080p'],
          durations: [5],
          audio: 'none',
          promptMaxChars: { 'text-to-video': 2500, 'image-to-video': 2500 },
          source: 'ops override',
        },
      ]),
    );
    await writeFile(
      pricingFile,
      JSON.stringify({
        rows: [{ model: 'kling-4.0', resolution: '1080p', audio: false, basis: 'per-second', units: 2, confidence: 'official', source: 'ops' }],
      }),
    );
    const config = workerConfigFromEnv({ ...BASE, KLING_CATALOG_FILE: catalogFile, KLING_PRICING_FILE: pricingFile });
    const resolved = resolveRequest(
      { model: 'kling-4.0', kind: 'text-to-video', prompt: 'x' },
      { catalog: config.catalog, availableStandards: ['new'], preferredStandard: 'new' },
    );
    expect(estimateCredits(resolved, config.pricing).credits).toBe(100);
    expect(config.catalog.find('kling-2.6')).toBeDefined();

    await writeFile(catalogFile, JSON.stringify([{ id: 'broken', kinds: [] }]));
    expect(() => workerConfigFromEnv({ ...BASE, KLING_CATALOG_FILE: catalogFile })).toThrow(/KLING_CATALOG_FILE/);
    expect(() => workerConfigFromEnv({ ...BASE, KLING_PRICING_FILE: path.join(dir, 'missing.json') })).toThrow(/KLING_PRICING_FILE/);
  });
});
