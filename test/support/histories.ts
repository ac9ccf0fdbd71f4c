// Captured workflow histories for replay tests (test/replay.test.ts replays every file in test/histories/).
// Capture afresh after a deliberate workflow change: KT_CAPTURE_HISTORIES=1 npx vitest run test/workflows
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { projectRoot } from './binaries.js';

export const HISTORIES_DIR = path.join(projectRoot, 'test', 'histories');

/** Saves the handle's history as `<name>.json` when KT_CAPTURE_HISTORIES is set; otherwise does nothing. */
export async function captureHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.KT_CAPTURE_HISTORIES) return;
  const history = await handle.fetchHistory();
  await writeFile(path.join(HISTORIES_DIR, `${name}.json`), `${historyToJSON(history)}\n`);
}
