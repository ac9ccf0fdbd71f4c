import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerEnv, workerConfigFromEnv } from '../src/config.js';
import { projectRoot } from './support/binaries.js';

// docker-compose.yml cannot run on these machines (no Docker engine), so its wiring is checked here against
// the configuration schema: every variable it sets exists and parses, and the ports agree across services.
const TEMPORAL_ENV = new Set(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS', 'TEMPORAL_PROFILE']);
const CREDENTIALS = new Set(['KLING_API_KEY', 'KLING_ACCESS_KEY', 'KLING_SECRET_KEY']);

interface Service {
  command?: string;
  environment?: Record<string, string>;
  ports?: string[];
}

let compose: { services: Record<string, Service> };
let env: Record<string, string>;
beforeAll(async () => {
  compose = parse(await readFile(path.join(projectRoot, 'docker-compose.yml'), 'utf8')) as typeof compose;
  env = compose.services.worker?.environment ?? {};
});

describe('docker-compose.yml', () => {
  it('sets only variables the worker reads, and they parse', () => {
    const known = new Set([...Object.keys(WorkerEnv.shape), ...CREDENTIALS, ...TEMPORAL_ENV]);
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    const config = workerConfigFromEnv(env);
    expect(config.storage.bucket).toBe(env.GCS_BUCKET);
  });

  it('points the worker at the other services on the ports they listen on', () => {
    const simulatorPort = /--port (\d+)/.exec(compose.services['kling-simulator']!.command ?? '')?.[1];
    expect(env.KLING_BASE_URL).toBe(`http://kling-simulator:${simulatorPort}`);
    expect(env.KLING_VIDEO_HOSTS).toBe(`kling-simulator:${simulatorPort}`);
    const gcsPort = /-port (\d+)/.exec(compose.services['fake-gcs']!.command ?? '')?.[1];
    expect(env.GCS_API_ENDPOINT).toBe(`http://fake-gcs:${gcsPort}`);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(compose.services.temporal!.ports).toContain('7233:7233');
    for (const attribute of ['KlingPhase', 'KlingTaskId', 'KlingModel', 'KlingStatus'])
      expect(compose.services.temporal!.command).toContain(`--search-attribute ${attribute}=Keyword`);
  });
});
