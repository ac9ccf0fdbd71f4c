// The README's model table (issue 20) says what the catalog says: every model of DEFAULT_MODELS but the discontinued
// one, in a row that names its kinds and standards. Server-free.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODELS } from '../src/kling/catalog.js';
import { projectRoot } from './support/binaries.js';

function modelsSection(): string {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Models');
  expect(start, 'README has a "## Models" section').toBeGreaterThan(0);
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe("README's model table", () => {
  it('lists every catalog model in a row naming its kinds and standards', () => {
    const rows = modelsSection()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    for (const model of DEFAULT_MODELS.filter((m) => !m.discontinued)) {
      const row = rows.find((line) => line.split('|')[1]?.includes(`\`${model.id}\``));
      expect(row, `a row for ${model.id}`).toBeDefined();
      const [, , kinds = '', standards = ''] = (row as string).split('|');
      for (const kind of model.kinds) expect(kinds, `${model.id}: kind ${kind}`).toContain(kind);
      expect(kinds.split(',').length, `${model.id}: no kind it lacks`).toBe(model.kinds.length);
      for (const standard of Object.keys(model.standards)) expect(standards, `${model.id}: standard ${standard}`).toContain(standard);
      expect(standards.split(',').length, `${model.id}: no standard it lacks`).toBe(Object.keys(model.standards).length);
    }
  });
});
