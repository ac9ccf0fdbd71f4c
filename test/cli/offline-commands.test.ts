// validate, estimate, lint, replay and --help: no server, no credentials. The bin runs as a child process where the
// process is the point (a valid request, --help); the rest runs the same program in this process (runCliInProcess).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { buildProgram, COMMAND_NAMES } from '../../src/cli/program.js';
import { cleanEnv, json, runCli, runCliInProcess } from './cli-process.js';

const PROMPT = 'Close-up of a monarch butterfly landing on a lavender flower, golden hour, macro lens';
const dir = mkdtempSync(path.join(tmpdir(), 'kv-cli-'));

describe('validate', () => {
  it('accepts a valid request from flags and reports how it resolved', async () => {
    const run = await runCli(['validate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '5', '-r', '1080p', '--audio', '--json']);
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({
      valid: true,
      request: { model: 'kling-2.6', standard: 'new', kind: 'text-to-video', resolution: '1080p', durationSeconds: 5, audio: true },
    });
  });

  it('warns once on stderr about a misspelled KLING_/TEMPORAL_/GCS_ variable, by name with a did-you-mean, never its value', async () => {
    const run = await runCliInProcess(['validate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '5', '--json'], {
      env: cleanEnv({ KLING_APIKEY: 'ak-value-not-for-logs', TEMPORAL_ADRESS: 'x:1', KLING_API_KEY: 'known' }),
    });
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ valid: true }); // stdout stays the JSON
    expect(run.stderr.split('\n').filter((l) => l.includes('unknown environment variable'))).toEqual([
      'kling-video: warning: unknown environment variable KLING_APIKEY is ignored (did you mean KLING_API_KEY?)',
      'kling-video: warning: unknown environment variable TEMPORAL_ADRESS is ignored (did you mean TEMPORAL_ADDRESS?)',
    ]);
    expect(run.stderr + run.stdout).not.toContain('ak-value-not-for-logs');
  });

  it('refuses an invalid request with exit 2 and names every field', async () => {
    const run = await runCliInProcess(['validate', '-m', 'kling-v2-1', '-k', 'text-to-video', '-d', '7', '--json']);
    expect(run.code).toBe(2);
    const out = json<{ valid: boolean; issues: { field: string; message: string }[] }>(run);
    expect(out.valid).toBe(false);
    expect(out.issues.map((i) => i.field).sort()).toEqual(['duration', 'kind', 'prompt']);
    for (const issue of out.issues) expect(issue.message).not.toBe('');
  });

  it('reads a request file, flags override its fields, unknown fields are named', async () => {
    const file = path.join(dir, 'request.json');
    writeFileSync(file, JSON.stringify({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, resolution: '4k', colour: 'red' }));
    const bad = await runCliInProcess(['validate', '--request', file, '--json']);
    expect(bad.code).toBe(2);
    expect(json<{ issues: { field: string }[] }>(bad).issues.map((i) => i.field)).toContain('colour');

    writeFileSync(file, JSON.stringify({ model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5, resolution: '4k' }));
    const human = await runCliInProcess(['validate', '--request', file]);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/resolution: /);
    const fixed = await runCliInProcess(['validate', '--request', file, '-r', '720p', '--json']);
    expect(fixed.code).toBe(0);
    expect(json<{ request: { resolution: string } }>(fixed).request.resolution).toBe('720p');
  });

  it('names the request field when the file is missing or not JSON', async () => {
    const missing = await runCliInProcess(['validate', '--request', path.join(dir, 'nope.json'), '--json']);
    expect(missing.code).toBe(2);
    expect(json<{ error: { type: string; issues: { field: string }[] } }>(missing).error.issues[0]?.field).toBe('request');
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ not json');
    const broken = await runCliInProcess(['validate', '--request', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/request: .*not valid JSON/);
  });

  it('exits 2 on an unknown option', async () => {
    const run = await runCliInProcess(['validate', '--no-such-flag']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option/);
  });
});

describe('estimate', () => {
  it('prices a request as asked, with and without audio', async () => {
    const run = await runCliInProcess(['estimate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '5', '-r', '1080p', '--json']);
    expect(run.code).toBe(0);
    const out = json<{
      request: { model: string; audio: boolean };
      estimate: { credits: number; audio: boolean };
      withAudio: { credits: number; audioMultiplier: number };
      withoutAudio: { credits: number };
      unavailable: Record<string, string>;
    }>(run);
    expect(out.request).toMatchObject({ model: 'kling-2.6', audio: false });
    expect(out.estimate).toMatchObject({ credits: 25, audio: false });
    expect(out.withoutAudio.credits).toBe(25);
    expect(out.withAudio).toMatchObject({ credits: 50, audioMultiplier: 2 });
    expect(out.unavailable).toEqual({});
  });

  it('says why a variant has no price (no audio on kling-2.5-turbo)', async () => {
    const run = await runCliInProcess(['estimate', '-m', 'kling-2.5-turbo', '-p', PROMPT, '-d', '5', '--json']);
    expect(run.code).toBe(0);
    const out = json<{ withAudio: unknown; withoutAudio: { credits: number }; unavailable: { withAudio?: string } }>(run);
    expect(out.withAudio).toBeNull();
    expect(out.unavailable.withAudio).toMatch(/audio/);
    expect(out.withoutAudio.credits).toBeGreaterThan(0);
  });

  it('prints a readable table, and exits 2 naming the field on an invalid request', async () => {
    const human = await runCliInProcess(['estimate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '5', '-r', '1080p']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/with audio:\s+50 credits/);
    expect(human.stdout).toMatch(/without audio:\s+25 credits/);
    const bad = await runCliInProcess(['estimate', '-m', 'kling-2.6', '-p', PROMPT, '-d', '7', '--json']);
    expect(bad.code).toBe(2);
    const error = json<{ error: { exitCode: number; type: string; issues: { field: string }[] } }>(bad).error;
    expect(error).toMatchObject({ exitCode: 2, type: 'InvalidInput' });
    expect(error.issues.map((i) => i.field)).toEqual(['duration']);
  });
});

describe('lint', () => {
  it('reports a vague prompt', async () => {
    const run = await runCliInProcess(['lint', 'a nice video of a cat', '--json']);
    expect(run.code).toBe(0);
    const report = json<{ score: number; missing: string[]; vagueWords: string[]; suggestions: string[]; passed: boolean }>(run);
    expect(report.score).toBeLessThan(60);
    expect(report.passed).toBe(false);
    expect(report.vagueWords).toEqual(expect.arrayContaining(['nice']));
    expect(report.missing).toEqual(expect.arrayContaining(['camera']));
    expect(report.suggestions.length).toBeGreaterThan(0);
  });

  it('--strict exits 2 below the minimum score and 0 above it', async () => {
    const low = await runCliInProcess(['lint', '--strict', '-p', 'a nice video of a cat']);
    expect(low.code).toBe(2);
    expect(low.stdout).toMatch(/below 60/);
    const good = await runCliInProcess([
      'lint',
      '--strict',
      '--min-score',
      '50',
      '--json',
      '-p',
      `${PROMPT}, a butterfly flutters its wings, cinematic style`,
    ]);
    expect(good.code).toBe(0);
    expect(json<{ passed: boolean }>(good).passed).toBe(true);
  });

  it('exits 2 without a prompt', async () => {
    const run = await runCliInProcess(['lint', '--json']);
    expect(run.code).toBe(2);
    expect(json<{ error: { issues: { field: string }[] } }>(run).error.issues[0]?.field).toBe('prompt');
  });
});

describe('--help', () => {
  it('works for the program and every command, with examples', async () => {
    // The real process once (the bin's --help, and a command's through it)…
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of COMMAND_NAMES) expect(top.stdout).toContain(name);
    expect(top.stdout).toMatch(/Exit codes:/);
    // The temporal CLI's global connection options.
    for (const option of ['--address <host:port>', '--namespace <namespace>', '--profile <name>']) expect(top.stdout).toContain(option);
    const generate = await runCli(['generate', '--help']);
    expect(generate.code).toBe(0);
    expect(generate.stdout).toContain('Usage: kling-video generate');
    // …and every command's help as commander prints it, in-process (the same program the bin builds; a process per
    // command cost a minute per suite run).
    for (const name of COMMAND_NAMES) {
      let printed = '';
      const ctx: CliContext = {
        output: { out: (t) => (printed += `${t}\n`), err: (t) => (printed += `${t}\n`), isTty: false },
        json: false,
        exitCode: 0,
      };
      const command = buildProgram(ctx).commands.find((c) => c.name() === name);
      expect(command, name).toBeDefined();
      command!.outputHelp();
      expect(printed, name).toContain(`Usage: kling-video ${name}`);
      expect(printed, name).toMatch(/Examples:/);
    }
  });
});

describe('replay', () => {
  const histories = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'histories');
  it('replays committed histories (exit 0), and names a history that no longer replays (exit 3)', async () => {
    const good = path.join(dir, 'good');
    const bad = path.join(dir, 'bad');
    for (const d of [good, bad]) mkdirSync(d, { recursive: true });
    copyFileSync(path.join(histories, 't2v-succeeded.json'), path.join(good, 't2v-succeeded.json'));
    copyFileSync(path.join(histories, 'kling-failed.json'), path.join(good, 'kling-failed.json'));
    // The same history with its first activity renamed: what a non-deterministic change looks like on replay.
    const text = readFileSync(path.join(histories, 't2v-succeeded.json'), 'utf8');
    writeFileSync(path.join(bad, 'renamed.json'), text.replace('"validateVideoRequest"', '"someOtherActivity"'));

    const ok = await runCliInProcess(['replay', good, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ replayed: 2, failed: 0 });

    const broken = await runCliInProcess(['replay', good, path.join(bad, 'renamed.json'), '--json']);
    expect(broken.code).toBe(3);
    const out = json<{ error: { type: string; message: string; details: { replayed: number; failed: number } } }>(broken);
    expect(out.error.type).toBe('ReplayFailed');
    expect(out.error.details).toMatchObject({ replayed: 3, failed: 1 });
    expect(out.error.message).toContain('renamed');
    expect(out.error.message).not.toContain('t2v-succeeded');

    const missing = await runCliInProcess(['replay', path.join(dir, 'nope'), '--json']);
    expect(missing.code).toBe(2);
  }, 120_000);
});
