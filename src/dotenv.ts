import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/** What loadDotEnv did: the file it read and the variable names it set (never their values). */
export interface DotEnvReport {
  file?: string;
  applied: string[];
  /** Names in the file that the environment already had: the environment wins. */
  overridden: string[];
}

/**
 * Loads an optional `.env` file into `process.env` before the configuration is read (the CLI, `npm start`
 * and the worker call it first). Variables already in the environment win. `KLING_ENV_FILE` names another
 * file (which must exist); `KLING_DOTENV=off` disables loading, which the test bed sets so a developer's
 * real keys in `.env` are never used by tests. Parsing is Node's own (`util.parseEnv`).
 */
export function loadDotEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): DotEnvReport {
  const mode = (env.KLING_DOTENV ?? '').trim().toLowerCase();
  if (['off', 'false', '0', 'no'].includes(mode)) return { applied: [], overridden: [] };
  const explicit = env.KLING_ENV_FILE?.trim();
  const file = path.resolve(cwd, explicit || '.env');
  if (!existsSync(file)) {
    if (explicit) throw new Error(`KLING_ENV_FILE: no such file: ${file}`);
    return { applied: [], overridden: [] };
  }
  const parsed = parseEnv(readFileSync(file, 'utf8'));
  const applied: string[] = [];
  const overridden: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    if (env[name] !== undefined) overridden.push(name);
    else {
      env[name] = value;
      applied.push(name);
    }
  }
  return { file, applied, overridden };
}

/** One line for stderr: which file, how many variables, which the environment overrode (names only). */
export function describeDotEnv(report: DotEnvReport): string | undefined {
  if (!report.file) return undefined;
  const kept = report.overridden.length ? `; kept the environment's ${report.overridden.join(', ')}` : '';
  return `loaded ${report.applied.length} variable(s) from ${report.file}${kept}`;
}
