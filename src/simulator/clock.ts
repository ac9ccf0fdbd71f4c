/** A source of "now" in Unix milliseconds. Task lifecycles, JWT exp/nbf checks and media TTLs all read it. */
export type NowFn = () => number;

/** The wall clock, used when no clock is injected. */
export const systemNow: NowFn = () => Date.now();

/**
 * A clock that only moves when told to, so tests can walk a task through its lifecycle, expire a
 * JWT or age a media URL without sleeping. Pass `clock.now` as the simulator's `now` option.
 *
 * It starts at the real current time by default, so JWTs signed with the wall clock are valid at first.
 */
export class ManualClock {
  #nowMs: number;

  constructor(startMs: number = Date.now()) {
    this.#nowMs = startMs;
  }

  /** Current time in ms. An arrow property, so it can be passed around unbound. */
  readonly now: NowFn = () => this.#nowMs;

  /** Moves the clock forward by `ms` and returns the new time. Time never goes backwards. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance needs a non-negative number of ms, got ${ms}`);
    this.#nowMs += ms;
    return this.#nowMs;
  }

  /** Jumps to an absolute time (ms), which must not be earlier than the current one. */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < this.#nowMs) throw new RangeError(`ManualClock.set cannot move from ${this.#nowMs} back to ${ms}`);
    this.#nowMs = ms;
  }
}
