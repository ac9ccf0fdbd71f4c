// The rooms of docs/architecture.md, as ESLint enforces them: a crossing import fails lint. Server-free.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Only the rules the rooms are written in, and no type information: building the TypeScript program for the
// type-aware rules took ~10 s and none of them is asked about here.
const ROOM_RULES = new Set(['no-restricted-imports', '@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']);
const eslint = new ESLint({
  cwd: process.cwd(),
  ruleFilter: ({ ruleId }) => ROOM_RULES.has(ruleId),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
});

/** The rule ids ESLint reports for `code` as if it were the content of `filePath` (the path picks the room's rules). */
async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('room boundaries (eslint.config.js)', () => {
  it('an activity importing workflow code fails', async () => {
    const found = await violations(
      'src/activities/submit.ts',
      "import { generateVideo } from '../workflows/generate-video.js';\nexport const x = generateVideo;\n",
    );
    expect(found.some((v) => v.startsWith('no-restricted-imports') && v.includes('room boundary'))).toBe(true);
  });

  it('the contract importing a room fails; importing the Kling request model does not', async () => {
    const bad = await violations(
      'src/contract/constants.ts',
      "import { createActivities } from '../activities/index.js';\nexport const x = createActivities;\n",
    );
    expect(bad.some((v) => v.startsWith('no-restricted-imports'))).toBe(true);
    const ok = await violations('src/contract/constants.ts', "import { VideoKind } from '../kling/catalog.js';\nexport const x = VideoKind;\n");
    expect(ok.filter((v) => v.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('the Kling wire format and the simulator import nothing of the project', async () => {
    for (const file of ['src/kling/http.ts', 'src/simulator/server.ts']) {
      const found = await violations(file, "import { FailureType } from '../contract/failure-types.js';\nexport const x = FailureType;\n");
      expect(
        found.some((v) => v.startsWith('no-restricted-imports')),
        file,
      ).toBe(true);
    }
  });

  it('workflows may import activities as types only', async () => {
    const typeOnly = await violations(
      'src/workflows/activity-proxies.ts',
      "import type { createActivities } from '../activities/index.js';\nexport type A = ReturnType<typeof createActivities>;\n",
    );
    expect(typeOnly.filter((v) => v.includes('no-restricted-imports'))).toEqual([]);
    const value = await violations(
      'src/workflows/activity-proxies.ts',
      "import { createActivities } from '../activities/index.js';\nexport const a = createActivities;\n",
    );
    expect(value.some((v) => v.includes('no-restricted-imports'))).toBe(true);
  });

  it('workflow and contract modules keep no module-level state (the worker preloads them, shared by every workflow)', async () => {
    const stateful = [
      'let calls = 0;\nexport function f(): number {\n  return ++calls;\n}\n',
      'export let last: string | undefined;\n',
      'const seen = new Map<string, number>();\nexport const f = (k: string) => seen.set(k, 1);\n',
      'export class Counter {\n  static count = 0;\n}\n',
    ];
    for (const file of ['src/workflows/generation-run.ts', 'src/contract/constants.ts'])
      for (const code of stateful) {
        const found = await violations(file, code);
        expect(
          found.some((v) => v.startsWith('no-restricted-syntax') && v.includes('No module-level state')),
          `${file}: ${code}`,
        ).toBe(true);
      }
    // Constants, a per-instance field and a readonly static are fine.
    const stateless =
      "const LIMIT = 3;\nexport const NAMES: readonly string[] = ['a'];\nexport class Run {\n  static readonly max = LIMIT;\n  count = 0;\n}\n";
    expect((await violations('src/workflows/generation-run.ts', stateless)).filter((v) => v.startsWith('no-restricted-syntax'))).toEqual([]);
  });

  it('download safety stands beside storage: importing storage, the contract or activities fails; the private-address rule does not', async () => {
    for (const spec of ['../storage/index.js', '../contract/constants.js', '../activities/index.js']) {
      const found = await violations('src/download/video-source.ts', `import * as m from '${spec}';\nexport const x = m;\n`);
      expect(
        found.some((v) => v.startsWith('no-restricted-imports')),
        spec,
      ).toBe(true);
    }
    const ok = await violations(
      'src/download/video-source.ts',
      "import { isPrivateAddress } from '../kling/private-address.js';\nexport const x = isPrivateAddress;\n",
    );
    expect(ok.filter((v) => v.startsWith('no-restricted-imports'))).toEqual([]);
  });
});
