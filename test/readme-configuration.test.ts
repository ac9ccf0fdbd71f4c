// Every environment variable the code reads is documented in the README's Configuration table.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerEnv } from '../src/config.js';
import { projectRoot } from './support/binaries.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Variable names the product reads: `env.NAME`, `env['NAME']` or a quoted 'NAME' under src/. */
function variablesReadBySource(): Set<string> {
  const names = new Set<string>(Object.keys(WorkerEnv.shape));
  const pattern = /(?:env\.|['"`])((?:KLING|GCS)_[A-Z0-9_]+|LOCAL_STORAGE_DIR)\b/g;
  for (const file of sourceFiles(path.join(projectRoot, 'src'))) {
    // The simulator is its own program, documented in docs/simulator.md.
    if (file.includes(`${path.sep}simulator${path.sep}`)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) names.add(m[1] as string);
  }
  return names;
}

function readmeConfigurationSection(): string {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start, 'README has a "## Configuration" section').toBeGreaterThan(0);
  return readme.slice(start, end);
}

describe('README configuration table', () => {
  it('documents every variable the worker, CLI and dev stack read', () => {
    const section = readmeConfigurationSection();
    const names = [...variablesReadBySource()].sort();
    expect(names.length).toBeGreaterThan(20);
    const missing = names.filter((name) => !section.includes(`\`${name}\``));
    expect(missing, `undocumented variables: ${missing.join(', ')}`).toEqual([]);
  });

  it('documents no variable the code does not read (stale rows)', () => {
    const section = readmeConfigurationSection();
    const documented = [...section.matchAll(/`((?:KLING|GCS)_[A-Z0-9_]+|LOCAL_STORAGE_DIR)`/g)].map((m) => m[1] as string);
    const read = variablesReadBySource();
    expect(documented.filter((name) => !read.has(name))).toEqual([]);
  });
});
