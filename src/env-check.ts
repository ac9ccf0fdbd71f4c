// Unknown KLING_*, TEMPORAL_* and GCS_* variables: a misspelled variable (KLING_APIKEY) would otherwise be ignored
// silently. Known names come from one place, KNOWN_ENV_VARIABLES in src/config.ts (the configuration schemas and
// Temporal's envconfig variables). Warnings name the variable, never its value.
import { KNOWN_ENV_VARIABLES, TEMPORAL_ENV_PREFIXES } from './config.js';

/** The prefixes whose variables are checked. */
export const CHECKED_ENV_PREFIXES = ['KLING_', 'TEMPORAL_', 'GCS_'] as const;

export interface UnknownEnvVariable {
  name: string;
  /** The known variable it most likely meant, when one is close enough. */
  suggestion?: string;
}

/**
 * Edit distance (insertions, deletions, substitutions), for suggestions between short names; a dozen lines, as
 * commander has for its own did-you-mean, rather than a dependency.
 */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name closest to `name`, if it is close: at most 3 edits and at most a third of the name. */
export function suggestEnvVariable(name: string, known: readonly string[] = KNOWN_ENV_VARIABLES): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    // Underscores dropped or doubled (KLING_APIKEY, KLING__API_KEY) count as one edit at most.
    const distance = Math.min(editDistance(name, candidate), editDistance(name.replace(/_/g, ''), candidate.replace(/_/g, '')) + 1);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.min(3, Math.ceil(name.length / 3)) ? best.name : undefined;
}

/** The set KLING_*, TEMPORAL_*, GCS_* variables that nothing reads, each with a suggestion when one is close. */
export function unknownEnvVariables(env: NodeJS.ProcessEnv = process.env, known: readonly string[] = KNOWN_ENV_VARIABLES): UnknownEnvVariable[] {
  const knownSet = new Set(known);
  return Object.keys(env)
    .filter((name) => CHECKED_ENV_PREFIXES.some((p) => name.startsWith(p)))
    .filter((name) => !knownSet.has(name) && !TEMPORAL_ENV_PREFIXES.some((p) => name.startsWith(p)))
    .sort()
    .map((name) => {
      const suggestion = suggestEnvVariable(name, known);
      return suggestion ? { name, suggestion } : { name };
    });
}

/** One line per unknown variable: its name (never its value) and the did-you-mean. */
export function unknownEnvWarning(variable: UnknownEnvVariable): string {
  return `unknown environment variable ${variable.name} is ignored${variable.suggestion ? ` (did you mean ${variable.suggestion}?)` : ''}`;
}
