/**
 * The simulator's state and the operations shared by both standards' routes: creating tasks (dedupe,
 * balance, concurrency), advancing lifecycles, publishing media.
 */
import { systemNow, type NowFn } from './clock.js';
import type { AuthenticatedCaller } from './auth.js';
import { UnitBalance } from './balance.js';
import { assertSlotAvailable } from './concurrency.js';
import { apiKeyName, DeductionLedger } from './deductions.js';
import { balanceNotEnough, invalidParameter } from './errors.js';
import { FaultInjector } from './faults.js';
import { newVideoId } from './ids.js';
import { MediaRegistry } from './media.js';
import type { ResolvedSimulatorOptions } from './options.js';
import { OutcomePlanner } from './outcomes.js';
import { roundUnits, unitPrice } from './pricing.js';
import type { RequestLogEntry } from './request-log.js';
import type { TaskSpec } from './task-spec.js';
import { isTerminal, TaskStore, type PublishedVideo, type SimTask, type TaskStatus } from './tasks.js';

export class SimulatorCore {
  readonly now: NowFn;
  readonly store: TaskStore;
  readonly balance: UnitBalance;
  /** Per-task deduction records (`POST /account/billing/package`). */
  readonly deductions = new DeductionLedger();
  /** Task id → `api_key_name` of the key that created it. */
  readonly #creators = new Map<string, string>();
  /** Real times (ms) of recent `GET /account/costs` calls, for its QPS limit. */
  readonly accountCostsCalls: number[] = [];
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
    // REF §6.3 / NEW §5: units are deducted on success only, unless `failedTaskDeduction` says failures cost too.
    // Registered first, so every later listener (callbacks) sees `chargedUnits` already set.
    this.store.onTransition(({ task, to, at }) => {
      const units = this.#deductionFor(task, to);
      if (units === undefined) return;
      task.chargedUnits = units;
      const before = this.balance.remainingUnits;
      this.balance.charge(units, at);
      this.deductions.add({
        taskId: task.id,
        apiKeyName: this.#creators.get(task.id) ?? 'unknown',
        task,
        deductionTime: at,
        unitBeforeDeduction: before,
        deductionAmount: units,
        unitAfterDeduction: this.balance.remainingUnits,
      });
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
  createTask(spec: TaskSpec, caller?: AuthenticatedCaller): SimTask {
    this.tick();
    if (spec.externalId !== undefined) {
      this.store.recordCreateRequest(spec.externalId);
      if (this.store.getByExternalId(spec.externalId) !== undefined) {
        throw invalidParameter(`External_task_id ${spec.externalId} already exists`);
      }
    }
    // `priceSkew` makes Kling charge other than its published table (drift against a client's estimate).
    const units = roundUnits((this.options.priceOverride?.(spec) ?? unitPrice(spec)) * this.options.priceSkew);
    const active = this.store.all().filter((task) => !isTerminal(task.status));
    const reserved = active.reduce((sum, task) => sum + task.units, 0);
    if (!this.balance.canCover(units, reserved)) throw balanceNotEnough();
    assertSlotAvailable(active, spec, this.options.concurrency.limit, this.options.concurrency.bucket);

    const createdAt = this.now();
    const id = this.store.newId();
    const outcome = this.outcomes.plan({ ...spec, id, createdAt });
    this.#creators.set(id, apiKeyName(caller, this.options.apiKeys));
    return this.store.insert(id, spec, units, createdAt, this.options.schedule, outcome);
  }

  /** Units deducted when a task reaches `to`; undefined = no deduction (and none reported). */
  #deductionFor(task: SimTask, to: TaskStatus): number | undefined {
    if (to === 'succeeded') return task.units;
    if (to !== 'failed') return undefined;
    const failed = this.options.failedTaskDeduction;
    if (failed === undefined) return undefined;
    return failed === 'full' ? task.units : roundUnits(failed);
  }

  /** Absolute URL of a published media token. */
  mediaUrl(token: string): string {
    return `${this.baseUrl}/cdn/${token}.mp4`;
  }

  reset(): void {
    this.store.clear();
    this.balance.reset();
    this.deductions.clear();
    this.#creators.clear();
    this.accountCostsCalls.length = 0;
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
