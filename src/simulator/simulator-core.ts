/**
 * The simulator's state and the operations shared by both standards' routes: creating tasks (dedupe,
 * balance, concurrency), advancing lifecycles, publishing media.
 */
import { systemNow, type NowFn } from './clock.js';
import { UnitBalance } from './balance.js';
import { assertSlotAvailable } from './concurrency.js';
import { balanceNotEnough, invalidParameter } from './errors.js';
import { FaultInjector } from './faults.js';
import { newVideoId } from './ids.js';
import { MediaRegistry } from './media.js';
import type { ResolvedSimulatorOptions } from './options.js';
import { OutcomePlanner } from './outcomes.js';
import { roundUnits, unitPrice } from './pricing.js';
import type { RequestLogEntry } from './request-log.js';
import type { TaskSpec } from './task-spec.js';
import { isTerminal, TaskStore, type PublishedVideo, type SimTask } from './tasks.js';

export class SimulatorCore {
  readonly now: NowFn;
  readonly store: TaskStore;
  readonly balance: UnitBalance;
  readonly outcomes: OutcomePlanner;
  readonly media: MediaRegistry;
  readonly faults: FaultInjector;
  readonly requestLog: RequestLogEntry[] = [];
  /** Set once the server listens; media URLs are absolute. */
  baseUrl = '';

  constructor(readonly options: ResolvedSimulatorOptions) {
    this.now = options.now ?? systemNow;
    this.balance = new UnitBalance(options.unitBalance);
    this.outcomes = new OutcomePlanner({ promptMarkers: options.promptMarkers, neverFinish: options.neverFinish, rule: options.outcome });
    this.media = new MediaRegistry({ sizeBytes: options.videoSizeBytes, ttlMs: options.videoUrlTtlMs });
    this.faults = new FaultInjector(options.seed);
    this.store = new TaskStore({ publishVideos: (task, at) => this.#publishVideos(task, at) });
    // REF §6.3 / NEW §5: units are deducted on success only.
    this.store.onTransition(({ task, to }) => {
      if (to === 'succeeded') this.balance.charge(task.units);
    });
  }

  /** Brings every task's status up to the clock. Called before each request and each introspection. */
  tick(): void {
    this.store.advanceAll(this.now());
  }

  /**
   * Creates a task for a validated request. Order: duplicate external id (NEW §5: 400/1201 "already exists",
   * no second task, no charge), balance (429/1102), concurrency (429/1303). Refused creates leave no task.
   */
  createTask(spec: TaskSpec): SimTask {
    this.tick();
    if (spec.externalId !== undefined) {
      this.store.recordCreateRequest(spec.externalId);
      if (this.store.getByExternalId(spec.externalId) !== undefined) {
        throw invalidParameter(`External_task_id ${spec.externalId} already exists`);
      }
    }
    const units = roundUnits(this.options.priceOverride?.(spec) ?? unitPrice(spec));
    const active = this.store.all().filter((task) => !isTerminal(task.status));
    const reserved = active.reduce((sum, task) => sum + task.units, 0);
    if (!this.balance.canCover(units, reserved)) throw balanceNotEnough();
    assertSlotAvailable(active, spec, this.options.concurrency.limit, this.options.concurrency.bucket);

    const createdAt = this.now();
    const id = this.store.newId();
    const outcome = this.outcomes.plan({ ...spec, id, createdAt });
    return this.store.insert(id, spec, units, createdAt, this.options.schedule, outcome);
  }

  /** Absolute URL of a published media token. */
  mediaUrl(token: string): string {
    return `${this.baseUrl}/cdn/${token}.mp4`;
  }

  reset(): void {
    this.store.clear();
    this.balance.reset();
    this.outcomes.reset();
    this.media.clear();
    this.faults.clear();
    this.requestLog.length = 0;
  }

  #publishVideos(task: SimTask, finishedAt: number): PublishedVideo[] {
    return [
      {
        id: newVideoId(),
        token: this.media.publish(task.id, 'video', finishedAt),
        watermarkToken: task.spec.watermark ? this.media.publish(task.id, 'watermark', finishedAt) : undefined,
        // REF §4.3: a string that may be fractional; observed output runs a little longer than requested ("3.041").
        duration: (task.spec.durationSeconds + 0.041).toFixed(3),
      },
    ];
  }
}
