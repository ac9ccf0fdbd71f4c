// The JSON log format: one object per line, Temporal's attributes kept, secret-looking attributes redacted.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/logging/json-logger.js';

function capture(level: 'INFO' | 'DEBUG' = 'INFO') {
  const lines: string[] = [];
  return { logger: createJsonLogger(level, (line) => lines.push(line)), lines };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per entry with time, level, message and the attributes', () => {
    const { logger, lines } = capture();
    logger.info('Kling task created', { workflowId: 'wf-1', klingTaskId: '8123', attempt: 2, nested: { a: 1 } });
    logger.warn('two\nlines');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      level: 'INFO',
      message: 'Kling task created',
      workflowId: 'wf-1',
      klingTaskId: '8123',
      attempt: 2,
      nested: { a: 1 },
    });
    expect(Math.abs(Date.parse(String(first.time)) - Date.now())).toBeLessThan(60_000);
    expect(lines[1]).not.toContain('\n');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'WARN', message: 'two\nlines' });
  });

  it('drops entries below the level', () => {
    const { logger, lines } = capture('INFO');
    logger.debug('noise');
    logger.trace('more noise');
    expect(lines).toEqual([]);
  });

  it('writes errors as name, message and failure type, without stacks', () => {
    const { logger, lines } = capture();
    logger.warn('Activity failed', { error: ApplicationFailure.create({ type: 'KlingUnavailable', message: 'Kling answered HTTP 503' }) });
    const line = JSON.parse(lines[0]!) as { error: Record<string, unknown> };
    expect(line.error).toEqual({ name: 'ApplicationFailure', message: 'Kling answered HTTP 503', type: 'KlingUnavailable' });
  });

  it('never writes the value of an attribute whose name looks like a secret, at any depth', () => {
    const { logger, lines } = capture();
    logger.info('request', {
      authorization: 'Bearer abc.def.ghi',
      apiKey: 'key-secret-1',
      nested: { secretKey: 'sk-2', access_token: 'tok-3' },
      taskToken: 'tt',
    });
    expect(lines[0]).not.toMatch(/abc\.def\.ghi|key-secret-1|sk-2|tok-3/);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      authorization: '[redacted]',
      apiKey: '[redacted]',
      nested: { secretKey: '[redacted]', access_token: '[redacted]' },
    });
  });

  it('keeps its own time, level and message over attributes of the same name', () => {
    const { logger, lines } = capture();
    logger.info('real', { message: 'fake', level: 'ERROR' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'INFO', message: 'real' });
  });
});
