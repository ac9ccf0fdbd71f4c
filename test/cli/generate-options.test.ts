// `kling-video generate` flags → generateVideo options, checked with the workflow's own schema.
import { describe, expect, it } from 'vitest';
import { workflowOptions } from '../../src/cli/commands/generate.js';
import { CliError } from '../../src/cli/exit-codes.js';

describe('generate flags → workflow options', () => {
  it('maps the deadline flags (ms digits become numbers, durations stay text)', () => {
    expect(workflowOptions({ deadline: '20 minutes', queuedDeadline: '120000', processingDeadline: '5 minutes' })).toEqual({
      deadline: '20 minutes',
      queuedDeadline: 120_000,
      processingDeadline: '5 minutes',
    });
  });

  it('refuses a bad value naming the option, before anything starts', () => {
    const err = (() => {
      try {
        workflowOptions({ processingDeadline: '0', maxCredits: 'lots' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CliError);
    const fields = ((err as CliError).issues ?? []).map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['processingDeadline', 'maxCredits']));
  });
});
