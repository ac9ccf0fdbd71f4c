import { describe, expect, it } from 'vitest';
import { lintPrompt, PromptLintError } from '../../src/kling/index.js';

describe('prompt lint (seed pitfall 10)', () => {
  it('flags the seed’s weak prompt: vague words, too short, every element missing', () => {
    const report = lintPrompt('A nice video of nature');
    expect(report.vagueWords).toEqual(expect.arrayContaining(['nice', 'video of']));
    expect(report.missing).toEqual(['subject', 'action', 'settingOrLighting', 'camera', 'style']);
    expect(report.score).toBeLessThan(30);
    expect(report.suggestions.some((s) => s.includes('too short'))).toBe(true);
  });

  it('scores the seed’s strong prompt highly', () => {
    const report = lintPrompt(
      'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens, 4K',
    );
    expect(report.missing).toEqual([]);
    expect(report.vagueWords).toEqual([]);
    expect(report.score).toBe(100);
  });

  it('reports exactly the missing element', () => {
    const report = lintPrompt('An old fisherman slowly mends a net on a foggy harbour pier at dawn, cinematic film grain');
    expect(report.missing).toEqual(['camera']);
    expect(report.score).toBe(4 * 16 + 10 + 10);
  });

  it('never blocks by default; strict mode throws below the minimum score', () => {
    expect(() => lintPrompt('cool stuff')).not.toThrow();
    expect(() => lintPrompt('cool stuff', { strict: true })).toThrow(PromptLintError);
    expect(() => lintPrompt('cool stuff', { strict: true, minScore: 0 })).not.toThrow();
  });
});
