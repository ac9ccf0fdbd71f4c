/** NEW §1.3 [OFFICIAL T30, OVG]: the multi-shot prompt syntax of kling-3.0 and kling-3.0-omni. */
const MAX_SHOTS = 6;
const MAX_SHOT_CHARS = 512;

/**
 * Why a multi-shot prompt breaks `shot n, m, words;` (1–6 shots, each m ≥ 1 s, summing to the duration, words ≤ 512),
 * or undefined when it follows it.
 */
export function shotProblem(prompt: string, duration: number): string | undefined {
  const parts = prompt
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length > MAX_SHOTS) return `at most ${MAX_SHOTS} shots`;
  let total = 0;
  for (const part of parts) {
    const match = /^shot\s*(\d+)\s*,\s*(\d+)\s*,\s*(.*)$/is.exec(part);
    if (!match) return `"${part.slice(0, 30)}" does not follow "shot n, m, words;"`;
    const seconds = Number(match[2]);
    if (seconds < 1) return `shot ${match[1]} must last at least 1 second`;
    if (match[3]!.length > MAX_SHOT_CHARS) return `shot ${match[1]} must be at most ${MAX_SHOT_CHARS} characters`;
    total += seconds;
  }
  if (total !== duration) return `shot durations must add up to settings.duration (${total} ≠ ${duration})`;
  return undefined;
}
