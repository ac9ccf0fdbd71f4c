// The observability variables: parsed into the worker configuration, and a bad value names its variable.
import { describe, expect, it } from 'vitest';
import { workerConfigFromEnv } from '../../src/config.js';

const BASE = { KLING_API_KEY: 'key-secret-value' };

describe('metrics and log configuration', () => {
  it('defaults: no metrics endpoint, human logs at INFO', () => {
    const config = workerConfigFromEnv(BASE);
    expect(config.metrics).toBeUndefined();
    expect(config.log).toEqual({ format: 'human', level: 'INFO' });
  });

  it('reads the port, interface, format and level (the level case-insensitively)', () => {
    const config = workerConfigFromEnv({
      ...BASE,
      KLING_METRICS_PORT: '9464',
      KLING_METRICS_HOST: '127.0.0.1',
      KLING_LOG_FORMAT: 'json',
      KLING_LOG_LEVEL: 'debug',
    });
    expect(config.metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(config.log).toEqual({ format: 'json', level: 'DEBUG' });
    expect(workerConfigFromEnv({ ...BASE, KLING_METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
  });

  it.each([
    [{ KLING_METRICS_PORT: 'ninety' }, 'KLING_METRICS_PORT'],
    [{ KLING_METRICS_PORT: '0' }, 'KLING_METRICS_PORT'],
    [{ KLING_METRICS_PORT: '70000' }, 'KLING_METRICS_PORT'],
    [{ KLING_METRICS_PORT: '94.5' }, 'KLING_METRICS_PORT'],
    [{ KLING_METRICS_HOST: 'metrics.example.com' }, 'KLING_METRICS_HOST'],
    [{ KLING_LOG_FORMAT: 'xml' }, 'KLING_LOG_FORMAT'],
    [{ KLING_LOG_LEVEL: 'loud' }, 'KLING_LOG_LEVEL'],
  ])('a bad value fails naming the variable: %j', (env, variable) => {
    expect(() => workerConfigFromEnv({ ...BASE, ...env })).toThrow(variable);
  });
});
