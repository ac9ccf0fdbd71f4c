/** Next wait of the poll loop: grows by the coefficient up to the cap. Pure, so it is unit-testable. */
export function nextPollInterval(current: number, coefficient: number, max: number): number {
  return Math.min(Math.round(current * coefficient), max);
}
