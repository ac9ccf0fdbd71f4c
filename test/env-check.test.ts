// Unknown KLING_*, TEMPORAL_*, GCS_* variables are named (never their values) with a did-you-mean; the known names
// come from the configuration schemas and Temporal's envconfig variables (src/config.ts), checked here against
// what the code and envconfig actually read.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_ENV_VARIABLES, TEMPORAL_ENV_VARIABLES } from '../src/config.js';
import { suggestEnvVariable, unknownEnvVariables, unknownEnvWarning } from '../src/env-check.js';
import { projectRoot } from './support/binaries.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('unknown environment variables', () => {
  it('suggests the variable a typo meant', () => {
    expect(suggestEnvVariable('KLING_APIKEY')).toBe('KLING_API_KEY');
    expect(suggestEnvVariable('KLING_TASKQUEUE')).toBe('KLING_TASK_QUEUE');
    expect(suggestEnvVariable('GCS_BUCKETT')).toBe('GCS_BUCKET');
    expect(suggestEnvVariable('TEMPORAL_ADRESS')).toBe('TEMPORAL_ADDRESS');
    expect(suggestEnvVariable('TEMPORAL_NAMESPCE')).toBe('TEMPORAL_NAMESPACE');
    expect(suggestEnvVariable('KLING_WEBHOOK_SECRET')).toBe('KLING_WEBHOOK_SECRETS');
    expect(suggestEnvVariable('KLING_FOO')).toBeUndefined();
  });

  it('lists only unknown KLING_*, TEMPORAL_*, GCS_* names; gRPC metadata variables and other prefixes pass', () => {
    const env = {
      KLING_APIKEY: 'ak-123-secret',
      KLING_API_KEY: 'x',
      GCS_BUCKETT: 'b',
      TEMPORAL_GRPC_META_X_TENANT: 't',
      TEMPORAL_TLS_SERVER_NAME: 'n',
      HOME: '/home/x',
      KLINGON: 'qapla',
      KLING_FOO: '1',
    };
    expect(unknownEnvVariables(env)).toEqual([
      { name: 'GCS_BUCKETT', suggestion: 'GCS_BUCKET' },
      { name: 'KLING_APIKEY', suggestion: 'KLING_API_KEY' },
      { name: 'KLING_FOO' },
    ]);
  });

  it('warns by name, never by value', () => {
    const [variable] = unknownEnvVariables({ KLING_APIKEY: 'ak-123-secret' });
    const line = unknownEnvWarning(variable!);
    expect(line).toBe('unknown environment variable KLING_APIKEY is ignored (did you mean KLING_API_KEY?)');
    expect(line).not.toContain('ak-123-secret');
  });
});

describe('the known list comes from one place and is complete', () => {
  it('every KLING_*, GCS_*, TEMPORAL_* variable the code reads is known (none warned about by mistake)', () => {
    const read = new Set<string>();
    for (const file of sourceFiles(path.join(projectRoot, 'src')))
      for (const m of readFileSync(file, 'utf8').matchAll(/env(?:\.|\[['"])((?:KLING|GCS|TEMPORAL)_[A-Z0-9_]+)\b/g)) read.add(m[1] as string);
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !KNOWN_ENV_VARIABLES.includes(name)).sort()).toEqual([]);
  });

  it('TEMPORAL_ENV_VARIABLES are exactly the variables @temporalio/envconfig reads', () => {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@temporalio/envconfig'));
    const read = new Set<string>();
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.js')))
      for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/\[['"](TEMPORAL_[A-Z0-9_]*[A-Z0-9])['"]\]/g)) read.add(m[1] as string);
    expect([...read].sort()).toEqual([...TEMPORAL_ENV_VARIABLES].sort());
  });
});
