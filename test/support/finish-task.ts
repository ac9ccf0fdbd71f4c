// Walks a simulator's manual clock until a Kling task is terminal: how the client-level tests over HTTP wait for a
// task without real time passing.
import type { KlingClient, KlingTask, TaskRef } from '../../src/kling/index.js';
import type { ManualClock } from '../../src/simulator/index.js';

/** The task once `succeeded` or `failed`, advancing `clock` a second between looks (20 looks at most). */
export async function finishOnClock(client: KlingClient, ref: TaskRef, clock: ManualClock): Promise<KlingTask> {
  for (let i = 0; i < 20; i++) {
    const task = await client.getTask(ref);
    if (task && (task.status === 'succeeded' || task.status === 'failed')) return task;
    clock.advance(1_000);
  }
  throw new Error('task never finished');
}
