/**
 * The account's prepaid video pack (REF §6.3, NEW §7). Units are deducted on success only; a create is refused
 * with 429/1102 when the pack cannot cover it plus what in-flight tasks may still consume.
 */
export class UnitBalance {
  #spent = 0;

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

  /** Whether `units` more can be promised while `reserved` units are held by unfinished tasks. */
  canCover(units: number, reserved: number): boolean {
    return this.total - this.#spent - reserved >= units;
  }

  charge(units: number): void {
    this.#spent = Math.round((this.#spent + units) * 10_000) / 10_000;
  }

  reset(): void {
    this.#spent = 0;
  }
}
