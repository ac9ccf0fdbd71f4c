// How the CLI reaches Temporal, without a server: --address / --namespace / --profile over the environment, over
// the profile of the TOML config file, over the defaults; and the configuration errors (exit 8) that name what
// to fix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NamespaceNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CliError, ExitCode, toCliError } from '../../src/cli/exit-codes.js';
import { resolveTemporalConfig, temporalConnectFailure } from '../../src/cli/temporal.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kv-envconfig-'));
const file = path.join(dir, 'temporal.toml');
writeFileSync(
  file,
  `[profile.default]
address = "default.example:7233"
namespace = "ns-default"

[profile.cloud]
address = "cloud.example:7233"
namespace = "ns-cloud"
api_key = "cloud-key"
`,
);
const noFile = { TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') };
const withFile = { TEMPORAL_CONFIG_FILE: file };

describe('resolveTemporalConfig: flags > environment > profile > defaults', () => {
  it('defaults: localhost:7233, namespace default', () => {
    expect(resolveTemporalConfig({}, noFile)).toMatchObject({
      address: 'localhost:7233',
      namespace: 'default',
      connectionOptions: { address: 'localhost:7233' },
    });
  });

  it('the default profile of the config file, or the one TEMPORAL_PROFILE names (with its API key, hence TLS)', () => {
    expect(resolveTemporalConfig({}, withFile)).toMatchObject({ address: 'default.example:7233', namespace: 'ns-default' });
    const cloud = resolveTemporalConfig({}, { ...withFile, TEMPORAL_PROFILE: 'cloud' });
    expect(cloud).toMatchObject({ address: 'cloud.example:7233', namespace: 'ns-cloud', connectionOptions: { apiKey: 'cloud-key', tls: true } });
  });

  it('the environment over the profile', () => {
    const env = { ...withFile, TEMPORAL_PROFILE: 'cloud', TEMPORAL_ADDRESS: 'env.example:7233', TEMPORAL_NAMESPACE: 'ns-env' };
    expect(resolveTemporalConfig({}, env)).toMatchObject({
      address: 'env.example:7233',
      namespace: 'ns-env',
      connectionOptions: { apiKey: 'cloud-key' },
    });
  });

  it('the flags over both; --profile over TEMPORAL_PROFILE; a flag address keeps the profile’s API key and TLS', () => {
    const env = { ...withFile, TEMPORAL_PROFILE: 'default', TEMPORAL_ADDRESS: 'env.example:7233', TEMPORAL_NAMESPACE: 'ns-env' };
    expect(resolveTemporalConfig({ profile: 'cloud' }, { ...withFile, TEMPORAL_PROFILE: 'default' })).toMatchObject({
      address: 'cloud.example:7233',
      namespace: 'ns-cloud',
    });
    const flagged = resolveTemporalConfig({ address: 'flag.example:7233', namespace: 'ns-flag', profile: 'cloud' }, env);
    expect(flagged).toMatchObject({
      address: 'flag.example:7233',
      namespace: 'ns-flag',
      connectionOptions: { address: 'flag.example:7233', apiKey: 'cloud-key', tls: true },
    });
  });

  it('a profile that does not exist is a configuration error (exit 8) naming the profile and the file', () => {
    let error: unknown;
    try {
      resolveTemporalConfig({ profile: 'staging' }, withFile);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: ExitCode.TemporalConfiguration, type: 'TemporalConfiguration' });
    expect((error as CliError).message).toContain('profile "staging"');
    expect((error as CliError).message).toContain(file);
    expect((error as CliError).message).toMatch(/--profile/);
  });
});

describe('connection and namespace errors are configuration errors (exit 8) saying what to do', () => {
  const target = { address: 'temporal.example:7233', namespace: 'nope' };

  it('namespace not found (the client’s error): names the namespace and the address, and how to fix it', () => {
    const error = toCliError(new NamespaceNotFoundError('nope'), target);
    expect(error).toMatchObject({ exitCode: 8, type: 'NamespaceNotFound', details: { namespace: 'nope', address: 'temporal.example:7233' } });
    expect(error.message).toContain('namespace "nope" does not exist on the Temporal server at temporal.example:7233');
    expect(error.message).toMatch(/--namespace or TEMPORAL_NAMESPACE/);
    // Mapped without the address first (deep in a command), the address is added where the run knows it.
    expect(toCliError(toCliError(new NamespaceNotFoundError('nope')), target).message).toContain('temporal.example:7233');
  });

  it('the worker’s connection reports it in its message; anything else that fails to connect is unreachable', () => {
    expect(temporalConnectFailure(target, new Error('Namespace nope was not found or otherwise could not be described'))).toMatchObject({
      exitCode: 8,
      type: 'NamespaceNotFound',
    });
    const unreachable = temporalConnectFailure(target, new Error('Failed to connect before the deadline'));
    expect(unreachable).toMatchObject({ exitCode: 8, type: 'TemporalUnreachable', details: { address: 'temporal.example:7233' } });
    expect(unreachable.message).toMatch(/cannot reach Temporal at temporal\.example:7233 \(namespace nope\).*--address \/ TEMPORAL_ADDRESS/);
  });
});
