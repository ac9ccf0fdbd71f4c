// The Temporal Web UI, in a real headless Chromium (Debian's chromium, driven by playwright-core): a finished
// generation is found by its Kling task id search attribute, and its page shows the summary, the current
// details and the search attributes, so nobody has to open the history to read it.
import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VideoGenerationClient } from '../../src/client.js';
import { startTemporalDevServer, type StartedTemporal } from '../../src/cli/dev/temporal-server.js';
import { createGenerationStack, type GenerationStack } from '../support/generation-stack.js';
import { installQuietTemporalRuntime, uniqueId } from '../support/servers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this closed network refuses.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PROMPT = 'A lighthouse keeper climbs a spiral staircase at dusk, warm lamp light, slow dolly shot, 35mm film grain';

let temporal: StartedTemporal;
let env: TestWorkflowEnvironment;
let stack: GenerationStack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run 'bash scripts/provision-chromium.sh' (npm test does) or set CHROMIUM_PATH`);
  // The shared dev server runs headless; this one serves the Web UI.
  temporal = await startTemporalDevServer({ cli: inject('temporalCliPath'), host: '127.0.0.1', namespace: 'default', log: () => undefined });
  installQuietTemporalRuntime();
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: temporal.address, namespace: 'default' });
  stack = await createGenerationStack(env);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await env?.teardown();
  await temporal?.process.stop();
});

/** The page's text, including the sandboxed frames the UI renders markdown (summary, details) into. */
async function pageText(page: Page): Promise<string> {
  const parts = await Promise.all(
    page.frames().map((frame) =>
      frame
        .locator('body')
        .innerText()
        .catch(() => ''),
    ),
  );
  return parts.join('\n');
}

/** Keeps a screenshot of the page when an expectation fails, for whoever reads the CI log. */
async function onPage<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const file = `${process.env.TMPDIR ?? '/tmp'}/kling-temporal-ui-${name}.png`;
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (screenshot: ${file})`, { cause: err });
  }
}

describe('the Temporal Web UI shows a generation without opening its history', () => {
  it('finds the workflow by KlingTaskId and shows its summary, current details and search attributes', async () => {
    const videos = new VideoGenerationClient(env.client, { taskQueue: stack.taskQueue });
    const workflowId = uniqueId('ui');
    const result = await stack.run(async () => {
      await videos.startVideoGeneration(
        { model: 'kling-2.6', kind: 'text-to-video', prompt: PROMPT, duration: 5 },
        { workflowId, options: { poll: { initialInterval: 200, maxInterval: 1_000 } } },
      );
      return videos.result(workflowId);
    });

    const page = await browser.newPage();
    const query = encodeURIComponent(`KlingTaskId="${result.klingTaskId}"`);
    await onPage(page, 'list', async () => {
      await page.goto(`${temporal.uiUrl}/namespaces/default/workflows?query=${query}`);
      const row = page.getByRole('link', { name: workflowId });
      await row.waitFor({ timeout: 30_000 });
      await row.click();
    });

    await onPage(page, 'metadata', async () => {
      await page.getByText('User Metadata', { exact: true }).click();
      // Summary, details and current details load separately: wait until all of them are there.
      await expect
        .poll(() => pageText(page), { timeout: 30_000 })
        .toMatch(/kling-2\.6 text-to-video, 5s[\s\S]*A lighthouse keeper climbs[\s\S]*completed\s*—\s*stored at/);
    });

    await onPage(page, 'search-attributes', async () => {
      await page.getByText('Search Attributes', { exact: true }).click();
      await expect.poll(() => pageText(page), { timeout: 30_000 }).toContain(result.klingTaskId);
      const text = await pageText(page);
      expect(text).toMatch(/"KlingPhase":\s*"completed"/);
      expect(text).toMatch(/"KlingModel":\s*"kling-2\.6"/);
    });
    await page.close();
  }, 180_000);
});
