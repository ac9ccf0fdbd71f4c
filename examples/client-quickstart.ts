// Runnable: npx tsx examples/client-quickstart.ts
// Starts the Kling simulator in-process and drives it with the real client: validate, estimate, lint,
// create, poll until done, download the video. Point `baseUrl` and `credentials` at Kling to do it for real.
import { createHash } from 'node:crypto';
import { estimateCredits, KlingClient, lintPrompt } from '../src/kling/index.js';
import { startSimulator } from '../src/simulator/index.js';

const sim = await startSimulator({ schedule: { submittedMs: 200, processingMs: 800 } });
try {
  const kling = new KlingClient({ baseUrl: sim.url, credentials: { apiKey: 'sim-api-key' } });
  const request = {
    model: 'kling-2.6',
    kind: 'text-to-video',
    prompt: 'Close-up of a monarch butterfly landing on a lavender flower, soft bokeh background, golden hour lighting, macro lens, 4K',
    duration: 5,
    resolution: '1080p',
    audio: true,
  };

  const estimate = estimateCredits(kling.resolve(request));
  console.log(`estimate: ${estimate.credits} credits (${estimate.units} units, audio ×${estimate.audioMultiplier}, ${estimate.confidence})`);
  console.log(`lint: score ${lintPrompt(request.prompt).score}`);
  console.log(`wire: ${JSON.stringify(kling.wireRequest(request))}`);

  let task = await kling.createTask({ ...request, externalTaskId: `quickstart-${Date.now()}` });
  console.log(`created task ${task.taskId} on the ${task.standard} standard`);
  const deadline = Date.now() + 60_000;
  while (task.status !== 'succeeded' && task.status !== 'failed') {
    if (Date.now() > deadline) throw new Error('deadline passed');
    await new Promise((r) => setTimeout(r, 250));
    task = (await kling.getTask(task))!;
  }
  if (task.status === 'failed') throw new Error(`Kling task failed: ${task.statusMessage}`);

  const video = Buffer.from(await (await fetch(task.videos[0]!.url)).arrayBuffer());
  console.log(
    `succeeded: ${video.length} bytes, sha256 ${createHash('sha256').update(video).digest('hex').slice(0, 16)}…, charged ${task.unitsDeducted} units`,
  );
} finally {
  await sim.close();
}
