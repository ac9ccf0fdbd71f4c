/**
 * CLI: `tsx src/simulator/main.ts --port 8787` (npm run simulator -- --port 8787).
 * Prints the URL and credentials; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startSimulator } from './server.js';
import type { SimulatorOptions } from './options.js';

export const SIMULATOR_USAGE = `Usage: tsx src/simulator/main.ts [options]
  --port <n>                 TCP port (default 8787; 0 = any free port)
  --host <addr>              interface (default 127.0.0.1)
  --public-url <url>         base of the result video URLs it hands out (default: the listening address),
                             e.g. http://kling-simulator:8787 when listening on 0.0.0.0 in a container
  --api-key <key>            accepted API key (repeatable; default sim-api-key)
  --access-key <ak:sk>       accepted AK/SK pair (repeatable; default sim-ak:sim-sk)
  --submitted-ms <n>         ms in "submitted" (default 200)
  --processing-ms <n>        ms in "processing" (default 800)
  --never-finish             tasks never reach a terminal status
  --concurrency <n>          concurrent tasks per bucket (default 5)
  --concurrency-bucket <b>   model | packType (default model)
  --unit-balance <n>         prepaid video units (default 1000000)
  --video-ttl-ms <n>         result URL lifetime (default 30 days)
  --video-size <bytes>       size of each MP4 (default 65536, at most 2 GiB)
  --lenient                  strictCapabilities=false (accept what Kling silently ignores)
  --allow-unknown-fields     rejectUnknownFields=false
  --legacy-not-found <v>     400/1201 | 404/1203 (default 400/1201)
  --price-skew <x>           multiply every task's price (default 1; e.g. 1.25 to drift from estimates)
  --failed-task-deduction <n|full>  units a failed task deducts and reports (default: none)
  --omit-new-billing         new-standard task objects carry no billing[] (use the deduction records)
  --account-costs-qps <n|off>  GET /account/costs requests per second before 429/1302 (default 1)
  --webhook-secret <whsec_…> sign callbacks with this secret (repeatable: one signature each, as in a rotation)
  --help                     this text`;

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new Error(`--${name} needs an integer, got ${value}`);
  return parsed;
}

function decimal(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new Error(`--${name} needs a number, got ${value}`);
  return parsed;
}

function parseAccessKey(pair: string): { accessKey: string; secretKey: string } {
  const separator = pair.indexOf(':');
  if (separator <= 0 || separator === pair.length - 1) throw new Error(`--access-key needs AK:SK, got ${pair}`);
  return { accessKey: pair.slice(0, separator), secretKey: pair.slice(separator + 1) };
}

/**
 * Parses simulator arguments (the options above), starts the simulator, prints its URL and credentials and
 * closes it on SIGINT/SIGTERM. Used by this file's CLI and by `kling-video simulator`.
 */
export async function runSimulatorCli(args: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string' },
      'public-url': { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'access-key': { type: 'string', multiple: true },
      'submitted-ms': { type: 'string' },
      'processing-ms': { type: 'string' },
      'never-finish': { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      'concurrency-bucket': { type: 'string' },
      'unit-balance': { type: 'string' },
      'video-ttl-ms': { type: 'string' },
      'video-size': { type: 'string' },
      lenient: { type: 'boolean', default: false },
      'allow-unknown-fields': { type: 'boolean', default: false },
      'legacy-not-found': { type: 'string' },
      'price-skew': { type: 'string' },
      'failed-task-deduction': { type: 'string' },
      'omit-new-billing': { type: 'boolean', default: false },
      'account-costs-qps': { type: 'string' },
      'webhook-secret': { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(SIMULATOR_USAGE);
    return;
  }
  const options: SimulatorOptions = {
    port: integer(values.port, 'port'),
    host: values.host,
    publicUrl: values['public-url'],
    apiKeys: values['api-key'],
    accessKeys: values['access-key']?.map(parseAccessKey),
    schedule: { submittedMs: integer(values['submitted-ms'], 'submitted-ms'), processingMs: integer(values['processing-ms'], 'processing-ms') },
    neverFinish: values['never-finish'],
    concurrency: { limit: integer(values.concurrency, 'concurrency'), bucket: values['concurrency-bucket'] as 'model' | 'packType' | undefined },
    unitBalance: integer(values['unit-balance'], 'unit-balance'),
    videoUrlTtlMs: integer(values['video-ttl-ms'], 'video-ttl-ms'),
    videoSizeBytes: integer(values['video-size'], 'video-size'),
    strictCapabilities: !values.lenient,
    rejectUnknownFields: !values['allow-unknown-fields'],
    legacyTaskNotFound: values['legacy-not-found'] as '400/1201' | '404/1203' | undefined,
    priceSkew: decimal(values['price-skew'], 'price-skew'),
    failedTaskDeduction: values['failed-task-deduction'] === 'full' ? 'full' : decimal(values['failed-task-deduction'], 'failed-task-deduction'),
    newTaskBilling: values['omit-new-billing'] ? 'omit' : undefined,
    accountCostsQps: values['account-costs-qps'] === 'off' ? null : integer(values['account-costs-qps'], 'account-costs-qps'),
    callbacks: { secrets: values['webhook-secret'] },
  };
  const sim = await startSimulator(options);
  console.log(`Kling simulator listening on ${sim.url}`);
  if (options.publicUrl) console.log(`  Videos at:   ${options.publicUrl.replace(/\/+$/, '')}/cdn/…`);
  console.log(`  API keys:    ${sim.credentials.apiKeys.join(', ')}`);
  console.log(`  Access keys: ${sim.credentials.accessKeys.map((pair) => `${pair.accessKey} (secret ${pair.secretKey})`).join(', ')}`);
  console.log(`  Try: curl -s -H 'Authorization: Bearer ${sim.credentials.apiKeys[0] ?? ''}' '${sim.url}/tasks?task_ids=1'`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}, shutting down`);
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runSimulatorCli().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(SIMULATOR_USAGE);
    process.exit(1);
  });
}
