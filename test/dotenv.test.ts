import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDotEnv, loadDotEnv } from '../src/dotenv.js';
import { cleanEnv, runCli } from './cli/cli-process.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kt-dotenv-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('optional .env loading', () => {
  it('applies the variables of ./.env that the environment does not already set (the environment wins)', () => {
    const dir = dirWith({
      '.env': 'KLING_TASK_QUEUE=from-file\nKLING_OBJECT_PREFIX="quoted-prefix"\n# comment\nKLING_BASE_URL=http://file.example\n',
    });
    const env: NodeJS.ProcessEnv = { KLING_BASE_URL: 'http://env.example' };
    const report = loadDotEnv(env, dir);
    expect(env).toEqual({ KLING_BASE_URL: 'http://env.example', KLING_TASK_QUEUE: 'from-file', KLING_OBJECT_PREFIX: 'quoted-prefix' });
    expect(report.applied.sort()).toEqual(['KLING_OBJECT_PREFIX', 'KLING_TASK_QUEUE']);
    expect(report.overridden).toEqual(['KLING_BASE_URL']);
    expect(describeDotEnv(report)).toBe(`loaded 2 variable(s) from ${path.join(dir, '.env')}; kept the environment's KLING_BASE_URL`);
  });

  it('reports names only, never values', () => {
    const dir = dirWith({ '.env': 'KLING_SECRET_KEY=sk-very-secret\n' });
    const line = describeDotEnv(loadDotEnv({}, dir)) ?? '';
    expect(line).toContain('1 variable(s)');
    expect(line).not.toContain('sk-very-secret');
  });

  it('does nothing without a .env, or with KLING_DOTENV=off', () => {
    const empty = dirWith({});
    const env: NodeJS.ProcessEnv = {};
    expect(loadDotEnv(env, empty)).toEqual({ applied: [], overridden: [] });
    const dir = dirWith({ '.env': 'KLING_TASK_QUEUE=from-file\n' });
    const off: NodeJS.ProcessEnv = { KLING_DOTENV: 'off' };
    loadDotEnv(off, dir);
    expect(off.KLING_TASK_QUEUE).toBeUndefined();
  });

  it('reads KLING_ENV_FILE instead, and refuses a missing one by name', () => {
    const dir = dirWith({ 'prod.env': 'KLING_TASK_QUEUE=prod\n' });
    const env: NodeJS.ProcessEnv = { KLING_ENV_FILE: 'prod.env' };
    loadDotEnv(env, dir);
    expect(env.KLING_TASK_QUEUE).toBe('prod');
    expect(() => loadDotEnv({ KLING_ENV_FILE: 'missing.env' }, dir)).toThrow(/^KLING_ENV_FILE: no such file: .*missing\.env$/);
  });

  it('the CLI loads ./.env before reading its configuration (a bad value there fails by name, exit 2)', async () => {
    const dir = dirWith({ '.env': 'KLING_PREFERRED_STANDARD=sideways\n' });
    const on = cleanEnv();
    delete on.KLING_DOTENV;
    const run = await runCli(['worker'], { env: on, cwd: dir });
    expect(run.stderr).toContain(`loaded 1 variable(s) from ${path.join(dir, '.env')}`);
    expect(run.stderr).toMatch(/KLING_PREFERRED_STANDARD/);
    expect(run.code).toBe(2);

    // The test bed's default (KLING_DOTENV=off) ignores the same file: the standard is fine, the missing keys are next.
    const off = await runCli(['worker'], { env: cleanEnv(), cwd: dir });
    expect(off.stderr).not.toMatch(/KLING_PREFERRED_STANDARD|loaded \d/);
    expect(off.stderr).toMatch(/Kling credentials: set KLING_API_KEY/);
  });
});
