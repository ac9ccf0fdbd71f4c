/**
 * The account's prepaid video pack (REF §6.3, NEW §7). Units are deducted on success (and on failure only when
 * `failedTaskDeduction` says so); a create is refused with 429/1102 when the pack cannot cover it plus what
 * in-flight tasks may still consume. Every deduction is kept with its time, so `GET /account/costs` can report
 * the remaining quantity as it stood some time ago (NEW §7.2: "remaining quantity statistics have a 12h delay").
 */
export class UnitBalance {
  #spent = 0;
  #charges: { at: number; units: number }[] = [];

  constructor(private readonly total: number) {}

  get totalUnits(): number {
    return this.total;
  }

  get spentUnits(): number {
    return this.#spent;
  }

  get remainingUnits(): number {
    return Math.max(0, this.total - this.#spent);
  }

  /** The remaining units counting only deductions made at or before `at` (a lagging statistic). */
  remainingAsOf(at: number): number {
    const spent = this.#charges.reduce((sum, charge) => (charge.at <= at ? sum + charge.units : sum), 0);
    return Math.max(0, round(this.total - spent));
  }

  /** Whether `units` more can be promised while `reserved` units are held by unfinished tasks. */
  canCover(units: number, reserved: number): boolean {
    return this.total - this.#spent - reserved >= units;
  }

  /** Deducts `units` at time `at` (ms). */
  charge(units: number, at: number): void {
    this.#spent = round(this.#spent + units);
    this.#charges.push({ at, units });
  }

  reset(): void {
    this.#spent = 0;
    this.#charges = [];
  }
}

const round = (units: number): number => Math.round(units * 10_000) / 10_000;
