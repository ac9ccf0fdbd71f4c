// The baseline: the seed's plain loop (klingai-known-pitfalls.txt, pitfalls 4 and 5), written as a careful
// developer would from it: submit, sleep 10 s, poll (with the 600 s timeout and the `failed` check), download
// the video to a local file, upload that file to the bucket. No durability: a crash loses every video in
// flight (and a retry of the script pays for a second task). It uses the project's Kling client for the HTTP
// calls so the comparison is about orchestration, not about request encoding.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import { request } from 'undici';
import { KlingClient } from '../src/kling/index.js';
import type { SeedLoopCommand, SeedLoopResult } from './agent-protocol.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the seed's loop over `command.n` videos and reports how many were stored. */
export async function runSeedLoop(command: SeedLoopCommand): Promise<SeedLoopResult> {
  const kling = new KlingClient({ baseUrl: command.simulatorUrl, credentials: { apiKey: command.simulatorApiKey }, requestTimeoutMs: 60_000 });
  const bucket = new Storage({ projectId: 'bench', apiEndpoint: command.gcsUrl, useAuthWithCustomEndpoint: false }).bucket(command.bucket);
  const dir = await mkdtemp(path.join(tmpdir(), 'kt-bench-seed-'));
  const errors: string[] = [];
  const latenciesMs: number[] = [];

  const one = async (index: number): Promise<void> => {
    const t0 = Date.now();
    const task = await kling.createTask({ ...command.request, externalTaskId: `${command.runId}-${index}` });
    const start = Date.now();
    let url: string | undefined;
    while (Date.now() - start < command.timeoutSeconds * 1000) {
      await sleep(command.pollSeconds * 1000);
      const current = await kling.getTask(task);
      if (current?.status === 'succeeded') {
        url = current.videos[0]?.url;
        break;
      }
      if (current?.status === 'failed') throw new Error(`task ${task.taskId} failed: ${current.statusMessage ?? ''}`);
    }
    if (url === undefined) throw new Error(`task ${task.taskId} timed out`);
    const file = path.join(dir, `${index}.mp4`);
    const res = await request(url);
    if (res.statusCode !== 200) throw new Error(`download answered HTTP ${res.statusCode}`);
    await pipeline(res.body, createWriteStream(file));
    await bucket.upload(file, { destination: `seed/${command.runId}/${index}.mp4`, metadata: { contentType: 'video/mp4' } });
    await rm(file);
    latenciesMs.push(Date.now() - t0);
  };
  const settle = async (index: number): Promise<boolean> => {
    try {
      await one(index);
      return true;
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
      return false;
    }
  };

  let ok = 0;
  try {
    if (command.mode === 'sequential') {
      for (let i = 0; i < command.n; i++) if (await settle(i)) ok++;
    } else {
      ok = (await Promise.all(Array.from({ length: command.n }, (_, i) => settle(i)))).filter(Boolean).length;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { ok, failed: command.n - ok, errors: errors.slice(0, 5), latenciesMs };
}
