// vitest sequencer: the default order (BaseSequencer), except that the secret sweep runs after every other file,
// so it sees every workflow the run created. With `fileParallelism: false` files run one at a time in this order.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The file that must run last (when the run includes it). */
export const LAST_FILE = 'test/security/secret-sweep.test.ts';

const isLast = (spec: TestSpecification) => spec.moduleId.replaceAll('\\', '/').endsWith(`/${LAST_FILE}`);

export class SweepLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((spec) => !isLast(spec)), ...sorted.filter(isLast)];
  }
}
