// `kling-video generate` flags → generateVideo options, checked with the workflow's own schema.
import { describe, expect, it } from 'vitest';
import { prepareFromFlags, workflowOptions } from '../../src/cli/commands/generate.js';
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
        prepareFromFlags({ processingDeadline: '0', maxCredits: 'lots' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CliError);
    const fields = ((err as CliError).issues ?? []).map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['processingDeadline', 'maxCredits']));
  });

  it('checks the flags once, with the client and worker check: the estimate and a budget refusal come before any connection', () => {
    const flags = { model: 'kling-2.6', prompt: 'A red fox trots through fresh snow at dawn, tracking shot, cinematic', duration: '5' };
    const prepared = prepareFromFlags(flags);
    expect(prepared.input).toEqual({ request: expect.objectContaining({ model: 'kling-2.6', duration: '5' }), options: {} });
    expect(prepared.checked.resolved.model.id).toBe('kling-2.6');
    expect(prepared.checked.estimate.credits).toBeGreaterThan(0);
    const refused = (() => {
      try {
        prepareFromFlags({ ...flags, maxCredits: '1' });
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/^maxCredits: estimated cost \d+ credits exceeds the budget of 1/);
  });
});
