// Server-free unit tests of TaskWatch, the workflow's wait for a Kling task to end (src/workflows/task-watch.ts), on
// both of its paths: workflow timers (histories before kling-wait-in-activity-v1, and sub-second schedules) and
// one awaitVideoTaskChange activity per status change. A fake WatchRuntime stands in for the workflow APIs: a
// virtual clock whose timers jump, scripted status answers and waits, and a log of what the watch asked for (the
// commands a workflow would issue). The end-to-end tests (test/workflows/wait-in-activity.test.ts,
// deadlines.test.ts, generate-video.test.ts) check the same behaviour through running workflows.
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { FailureType } from '../../../src/contract/failure-types.js';
import type { SubmittedTask, TaskSnapshot } from '../../../src/contract/generation.js';
import { TASK_UNCHANGED, type TaskUnchangedDetails } from '../../../src/contract/wait.js';
import type { WaitSchedule } from '../../../src/workflows/activity-proxies.js';
import { CALLBACK_RECHECK_PATCH, TaskWatch, type PollSettings, type WatchRuntime } from '../../../src/workflows/task-watch.js';

const TASK: SubmittedTask = { taskId: 'task-1', externalTaskId: 'wf-r1-1', standard: 'new', kind: 'text-to-video', adopted: false };
const snap = (status: TaskSnapshot['status']): TaskSnapshot => ({ status });

/** One awaitVideoTaskChange call as the fake saw it. */
interface WaitCall {
  schedule: WaitSchedule;
  untilDeadlineMs: number;
  knownStatus: string;
}
type WaitAnswer = (call: WaitCall) => Promise<{ snapshot: TaskSnapshot; checks: number }>;

/**
 * The workflow APIs TaskWatch uses, faked: `condition` jumps the clock to its timeout unless a scheduled event (a
 * signal) makes its predicate true first; status checks and waits answer from scripts and fail the test when the
 * watch asks for one more than scripted. `log` lists timers, checks, waits, patches and upserts in order.
 */
class FakeRuntime implements WatchRuntime {
  clock = 0;
  readonly log: string[] = [];
  readonly statuses: (TaskSnapshot | (() => TaskSnapshot))[] = [];
  readonly waits: WaitAnswer[] = [];
  readonly #events: { at: number; run: () => void }[] = [];

  /** Runs `run` (e.g. a signal handler) when the clock reaches `at`. */
  at(at: number, run: () => void): void {
    this.#events.push({ at, run });
    this.#events.sort((a, b) => a.at - b.at);
  }

  /** Moves the clock forward by `ms`, running the events that fall due on the way. */
  advance(ms: number): void {
    const end = this.clock + ms;
    while (this.#events[0] !== undefined && this.#events[0].at <= end) {
      const event = this.#events.shift()!;
      this.clock = Math.max(this.clock, event.at);
      event.run();
    }
    this.clock = end;
  }

  now = () => this.clock;

  condition = async (fn: () => boolean, timeoutMs: number): Promise<boolean> => {
    this.log.push(`timer ${timeoutMs}`);
    if (fn()) return true;
    const end = this.clock + timeoutMs;
    while (this.#events[0] !== undefined && this.#events[0].at <= end) {
      const event = this.#events.shift()!;
      this.clock = Math.max(this.clock, event.at);
      event.run();
      await Promise.resolve();
      if (fn()) return true;
    }
    this.clock = end;
    return false;
  };

  patched = (patchId: string): boolean => {
    this.log.push(`patched ${patchId}`);
    return true;
  };

  upsertSearchAttributes: WatchRuntime['upsertSearchAttributes'] = (pairs) => {
    this.log.push(`upsert ${pairs.map((p) => `${p.key.name}=${String(p.value)}`).join(',')}`);
  };

  setCurrentDetails = (): void => undefined;

  statusActivity: WatchRuntime['statusActivity'] = () => async () => {
    this.log.push('status');
    const answer = this.statuses.shift();
    if (answer === undefined) throw new Error(`status check at ${this.clock} ms not scripted`);
    return typeof answer === 'function' ? answer() : answer;
  };

  awaitChangeActivity: WatchRuntime['awaitChangeActivity'] = (_settings, schedule, untilDeadlineMs) => async (input) => {
    const call = { schedule, untilDeadlineMs, knownStatus: input.knownStatus };
    this.log.push(`wait ${JSON.stringify(call)}`);
    const answer = this.waits.shift();
    if (answer === undefined) throw new Error(`wait at ${this.clock} ms not scripted`);
    return answer(call);
  };

  cancellable<T>(fn: () => Promise<T>): { result: Promise<T>; cancel(): void } {
    let cancel = (): void => undefined;
    const cancelled = new Promise<never>((_, reject) => {
      cancel = () => {
        this.log.push('cancel wait');
        reject(new CancelledFailure('wait cancelled by a wake-up'));
      };
    });
    return { result: Promise.race([fn(), cancelled]), cancel };
  }

  cancelRequested = (): boolean => false;
}

/** A wait that ends after `ms` with `status`, having made `checks` checks. */
const changesAfter =
  (rt: FakeRuntime, ms: number, status: TaskSnapshot['status'], checks: number): WaitAnswer =>
  async () => {
    rt.advance(ms);
    return { snapshot: snap(status), checks };
  };

/** A wait that never ends by itself (only a wake-up's cancellation ends it), after running `during` (a signal). */
const pendingUntilWoken =
  (during: () => void): WaitAnswer =>
  async () => {
    await Promise.resolve(); // the watch holds the wait's scope by now, as in a workflow
    during();
    return new Promise<never>(() => undefined);
  };

/** A wait that ran into its scheduleToClose (the nearest deadline) after `checks` checks, the last seeing `status`. */
const timesOut =
  (rt: FakeRuntime, status: TaskUnchangedDetails['status'], checks: number): WaitAnswer =>
  async (call) => {
    rt.advance(call.untilDeadlineMs);
    const unchanged = ApplicationFailure.create({
      type: TASK_UNCHANGED,
      message: 'unchanged',
      details: [{ status, checks } satisfies TaskUnchangedDetails],
    });
    const timeout = new TimeoutFailure('activity ScheduleToClose timeout', undefined, TimeoutType.SCHEDULE_TO_CLOSE);
    Object.defineProperty(timeout, 'cause', { value: unchanged });
    throw new ActivityFailure('activity timed out', 'awaitVideoTaskChange', '1', RetryState.TIMEOUT, 'worker', timeout);
  };

const SLOW: PollSettings = { poll: { initialMs: 5_000, backoffCoefficient: 2, maxMs: 20_000 } };
const FAST: PollSettings = { poll: { initialMs: 200, backoffCoefficient: 1.5, maxMs: 1_000 } };
const FAR = 3_600_000;

function watchOn(rt: FakeRuntime, waitInActivity: boolean, options: { wakeOnEndHintsOnly?: boolean } = {}) {
  const observed: string[] = [];
  const watch = new TaskWatch((current) => observed.push(current.status), { waitInActivity, runtime: rt, ...options });
  return { watch, observed };
}

describe('TaskWatch waiting in activity retries', () => {
  it('returns a terminal status the first wait reports, counting its checks and upserting the status', async () => {
    const rt = new FakeRuntime();
    rt.waits.push(changesAfter(rt, 5_000, 'succeeded', 1));
    const { watch, observed } = watchOn(rt, true);
    await expect(watch.waitForTerminal(TASK, SLOW, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log).toEqual([
      `wait ${JSON.stringify({ schedule: { initialMs: 5_000, coefficient: 2, maxMs: 20_000 }, untilDeadlineMs: FAR, knownStatus: 'submitted' })}`,
      'upsert KlingStatus=succeeded',
    ]);
    expect(watch.polls).toBe(1);
    expect(observed).toEqual(['succeeded']);
    expect(watch.terminal(TASK.taskId)).toBe(true);
  });

  it('waits again from `processing` after a change that is not an end, its schedule advanced by the checks made', async () => {
    const rt = new FakeRuntime();
    rt.waits.push(changesAfter(rt, 35_000, 'processing', 3), changesAfter(rt, 20_000, 'succeeded', 1));
    const { watch, observed } = watchOn(rt, true);
    await expect(watch.waitForTerminal(TASK, SLOW, FAR)).resolves.toEqual(snap('succeeded'));
    const waits = rt.log.filter((l) => l.startsWith('wait ')).map((l) => JSON.parse(l.slice(5)) as WaitCall);
    // 5 s, 10 s, 20 s made three checks; the next wait starts at the capped 20 s, knowing the task is processing.
    expect(waits).toEqual([
      { schedule: { initialMs: 5_000, coefficient: 2, maxMs: 20_000 }, untilDeadlineMs: FAR, knownStatus: 'submitted' },
      { schedule: { initialMs: 20_000, coefficient: 2, maxMs: 20_000 }, untilDeadlineMs: FAR - 35_000, knownStatus: 'processing' },
    ]);
    expect(rt.log.filter((l) => l.startsWith('upsert'))).toEqual(['upsert KlingStatus=processing', 'upsert KlingStatus=succeeded']);
    expect(watch.polls).toBe(4);
    expect(observed).toEqual(['processing', 'succeeded']);
  });

  it('a callback wakes it: the wait is cancelled and the task checked at once', async () => {
    const rt = new FakeRuntime();
    const { watch } = watchOn(rt, true);
    rt.waits.push(pendingUntilWoken(() => watch.onUpdate({ taskId: TASK.taskId, status: 'succeeded' })));
    rt.statuses.push(snap('succeeded'));
    await expect(watch.waitForTerminal(TASK, SLOW, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log.slice(1)).toEqual(['cancel wait', 'status', 'upsert KlingStatus=succeeded']);
    expect(watch.polls).toBe(1);
  });

  it("a batch watcher's reading wakes it and is used instead of a status check; a reading of another task is not", async () => {
    const rt = new FakeRuntime();
    const { watch } = watchOn(rt, true);
    rt.waits.push(
      pendingUntilWoken(() => watch.onUpdate({ taskId: 'task-other', snapshot: snap('succeeded') })),
      pendingUntilWoken(() => watch.onUpdate({ taskId: TASK.taskId, snapshot: snap('failed') })),
    );
    rt.statuses.push(snap('submitted'));
    await expect(watch.waitForTerminal(TASK, SLOW, FAR)).resolves.toEqual(snap('failed'));
    // The other task's reading woke the wait but was not taken for this task: one status check, then the reading.
    expect(rt.log.filter((l) => !l.startsWith('wait '))).toEqual([
      'cancel wait',
      'status',
      'upsert KlingStatus=submitted',
      'cancel wait',
      'upsert KlingStatus=failed',
    ]);
    expect(watch.polls).toBe(1);
  });

  it('re-checks a callback end the check did not confirm from 1 s, doubling, up to the normal interval', async () => {
    const rt = new FakeRuntime();
    const { watch } = watchOn(rt, true);
    const settings: PollSettings = { poll: { initialMs: 10_000, backoffCoefficient: 1.5, maxMs: 30_000 } };
    rt.waits.push(
      pendingUntilWoken(() => watch.onUpdate({ taskId: TASK.taskId, status: 'succeeded' })),
      changesAfter(rt, 3_000, 'processing', 2), // checks after 1 s and 2 s: the re-check reaches 4 s
      changesAfter(rt, 4_000, 'succeeded', 1),
    );
    rt.statuses.push(snap('submitted')); // Kling's query lags its callback
    await expect(watch.waitForTerminal(TASK, settings, FAR)).resolves.toEqual(snap('succeeded'));
    const schedules = rt.log.filter((l) => l.startsWith('wait ')).map((l) => (JSON.parse(l.slice(5)) as WaitCall).schedule);
    expect(schedules).toEqual([
      { initialMs: 10_000, coefficient: 1.5, maxMs: 30_000 },
      { initialMs: 1_000, coefficient: 2, maxMs: 10_000 },
      { initialMs: 4_000, coefficient: 2, maxMs: 10_000 },
    ]);
    expect(watch.polls).toBe(4);
  });

  it('a `processing` callback does not wake it with end hints only, and wakes it without', async () => {
    for (const wakeOnEndHintsOnly of [true, false]) {
      const rt = new FakeRuntime();
      const { watch } = watchOn(rt, true, { wakeOnEndHintsOnly });
      rt.waits.push(async () => {
        await Promise.resolve();
        watch.onUpdate({ taskId: TASK.taskId, status: 'processing' });
        await Promise.resolve();
        return { snapshot: snap('succeeded'), checks: 2 };
      });
      rt.statuses.push(snap('succeeded'));
      await expect(watch.waitForTerminal(TASK, SLOW, FAR)).resolves.toEqual(snap('succeeded'));
      expect(rt.log.includes('cancel wait')).toBe(!wakeOnEndHintsOnly);
      expect(watch.polls).toBe(wakeOnEndHintsOnly ? 2 : 1);
    }
  });

  it('checks due sooner than a second run on timers, then the wait moves into activity retries', async () => {
    const rt = new FakeRuntime();
    rt.statuses.push(snap('submitted'), snap('processing'), snap('processing'), snap('processing'));
    rt.waits.push(changesAfter(rt, 1_000, 'succeeded', 1));
    const { watch } = watchOn(rt, true);
    await expect(watch.waitForTerminal(TASK, FAST, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log.filter((l) => !l.startsWith('upsert'))).toEqual([
      'timer 200',
      'status',
      'timer 300',
      'status',
      'timer 450',
      'status',
      'timer 675',
      'status',
      `wait ${JSON.stringify({ schedule: { initialMs: 1_000, coefficient: 1.5, maxMs: 1_000 }, untilDeadlineMs: FAR - 1_625, knownStatus: 'processing' })}`,
    ]);
    expect(watch.polls).toBe(5);
  });

  it('fails with VideoGenerationTimedOut at the overall deadline, with the last check the timed-out wait carried', async () => {
    const rt = new FakeRuntime();
    rt.waits.push(changesAfter(rt, 5_000, 'processing', 1), timesOut(rt, 'processing', 4));
    const { watch } = watchOn(rt, true);
    const err = await watch.waitForTerminal(TASK, SLOW, 60_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe(FailureType.VideoGenerationTimedOut);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.cause).toBeInstanceOf(ActivityFailure);
    expect(failure.details?.[0]).toMatchObject({ taskId: TASK.taskId, lastStatus: 'processing', polls: 5, deadline: 'overall', deadlineAt: 60_000 });
    expect(rt.log.filter((l) => l.startsWith('wait ')).map((l) => (JSON.parse(l.slice(5)) as WaitCall).untilDeadlineMs)).toEqual([60_000, 55_000]);
    expect(rt.clock).toBe(60_000);
  });

  it('fails with VideoProcessingTooLong when the task is processing longer than processingDeadline', async () => {
    const rt = new FakeRuntime();
    rt.waits.push(changesAfter(rt, 5_000, 'processing', 1), timesOut(rt, 'processing', 2));
    const { watch } = watchOn(rt, true);
    const failure = (await watch
      .waitForTerminal(TASK, { ...SLOW, processingDeadlineMs: 30_000 }, FAR)
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(failure.type).toBe(FailureType.VideoProcessingTooLong);
    expect(failure.details?.[0]).toMatchObject({ deadline: 'processing', deadlineAt: 35_000, polls: 3 });
    // The second wait's scheduleToClose is the processing deadline, not the far overall one.
    expect((JSON.parse(rt.log.filter((l) => l.startsWith('wait '))[1]!.slice(5)) as WaitCall).untilDeadlineMs).toBe(30_000);
  });
});

describe('TaskWatch on workflow timers', () => {
  it('checks after the first interval and returns a terminal status at once', async () => {
    const rt = new FakeRuntime();
    rt.statuses.push(snap('succeeded'));
    const { watch } = watchOn(rt, false);
    await expect(watch.waitForTerminal(TASK, FAST, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log).toEqual(['timer 200', 'status', 'upsert KlingStatus=succeeded']);
    expect(watch.polls).toBe(1);
  });

  it('keeps checking on the backoff schedule while unchanged, upserting only changes', async () => {
    const rt = new FakeRuntime();
    rt.statuses.push(snap('submitted'), snap('submitted'), snap('processing'), snap('processing'), snap('processing'), snap('succeeded'));
    const { watch, observed } = watchOn(rt, false);
    await expect(watch.waitForTerminal(TASK, FAST, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log.filter((l) => l.startsWith('timer'))).toEqual(['timer 200', 'timer 300', 'timer 450', 'timer 675', 'timer 1000', 'timer 1000']);
    expect(rt.log.filter((l) => l.startsWith('upsert'))).toEqual([
      'upsert KlingStatus=submitted',
      'upsert KlingStatus=processing',
      'upsert KlingStatus=succeeded',
    ]);
    expect(watch.polls).toBe(6);
    expect(observed).toEqual(['submitted', 'submitted', 'processing', 'processing', 'processing', 'succeeded']);
  });

  it('a callback cuts the timer short; one arriving during a check wakes the next wait at once', async () => {
    const rt = new FakeRuntime();
    const { watch } = watchOn(rt, false);
    const settings: PollSettings = { poll: { initialMs: 10_000, backoffCoefficient: 1, maxMs: 10_000 } };
    rt.at(2_500, () => watch.onUpdate({ taskId: TASK.taskId, status: 'processing' }));
    rt.statuses.push(() => {
      watch.wake(); // a callback while the status query is in flight
      return snap('processing');
    }, snap('succeeded'));
    await expect(watch.waitForTerminal(TASK, settings, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log.filter((l) => l.startsWith('timer') || l === 'status')).toEqual(['timer 10000', 'status', 'timer 10000', 'status']);
    expect(rt.clock).toBe(2_500); // both checks without waiting out a timer
  });

  it('re-checks a callback end the check did not confirm at 1 s, 2 s, 4 s while sooner than the schedule (kling-callback-recheck-v1)', async () => {
    const rt = new FakeRuntime();
    const { watch } = watchOn(rt, false);
    const settings: PollSettings = { poll: { initialMs: 5_000, backoffCoefficient: 1, maxMs: 5_000 } };
    rt.at(100, () => watch.onUpdate({ taskId: TASK.taskId, status: 'succeeded' }));
    rt.statuses.push(snap('processing'), snap('processing'), snap('processing'), snap('processing'), snap('processing'), snap('succeeded'));
    await expect(watch.waitForTerminal(TASK, settings, FAR)).resolves.toEqual(snap('succeeded'));
    // Woken at 100 ms; the query disagrees, so the patch is asked and re-checks follow at 1, 2, 4 s, then 5 s again.
    expect(rt.log.filter((l) => l.startsWith('timer') || l.startsWith('patched'))).toEqual([
      'timer 5000',
      `patched ${CALLBACK_RECHECK_PATCH}`,
      'timer 1000',
      'timer 2000',
      'timer 4000',
      'timer 5000',
      'timer 5000',
    ]);
  });

  it('an end claim about another task starts no re-checks', async () => {
    const rt = new FakeRuntime();
    const { watch } = watchOn(rt, false);
    const settings: PollSettings = { poll: { initialMs: 5_000, backoffCoefficient: 1, maxMs: 5_000 } };
    rt.at(100, () => watch.onUpdate({ taskId: 'task-other', status: 'succeeded' }));
    rt.statuses.push(snap('processing'), snap('succeeded'));
    await expect(watch.waitForTerminal(TASK, settings, FAR)).resolves.toEqual(snap('succeeded'));
    expect(rt.log.filter((l) => l.startsWith('timer') || l.startsWith('patched'))).toEqual(['timer 5000', 'timer 5000']);
  });

  it('fails with VideoQueuedTooLong when the task is still submitted queuedDeadline after the wait began, its last timer cut to the deadline', async () => {
    const rt = new FakeRuntime();
    rt.statuses.push(snap('submitted'), snap('submitted'), snap('submitted'));
    const { watch } = watchOn(rt, false);
    const failure = (await watch.waitForTerminal(TASK, { ...FAST, queuedDeadlineMs: 800 }, FAR).catch((e: unknown) => e)) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(FailureType.VideoQueuedTooLong);
    expect(failure.details?.[0]).toMatchObject({ lastStatus: 'submitted', polls: 3, deadline: 'queued', deadlineAt: 800 });
    expect(failure.message).toContain('kling-video adopt task-1');
    expect(rt.log.filter((l) => l.startsWith('timer'))).toEqual(['timer 200', 'timer 300', 'timer 300']);
  });

  it('a failing status check past the overall deadline reports the timeout with the cause', async () => {
    const rt = new FakeRuntime();
    const unreachable = new ActivityFailure('status failed', 'getVideoTaskStatus', '2', RetryState.TIMEOUT, 'worker');
    rt.statuses.push(snap('processing'), () => {
      rt.advance(5_000);
      throw unreachable;
    });
    const { watch } = watchOn(rt, false);
    const failure = (await watch.waitForTerminal(TASK, FAST, 1_000).catch((e: unknown) => e)) as ApplicationFailure;
    expect(failure.type).toBe(FailureType.VideoGenerationTimedOut);
    expect(failure.cause).toBe(unreachable);
    expect(failure.details?.[0]).toMatchObject({ lastStatus: 'processing', polls: 1, deadline: 'overall', deadlineAt: 1_000 });
  });
});
