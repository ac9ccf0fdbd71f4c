// `npm run bench`: the benchmark of docs/benchmark.md. Measured in one run on this machine against the Kling
// simulator, a Temporal dev server and fake-gcs-server; prints markdown tables and the targets.
//   npm run bench -- --quick                    a two-minute rehearsal (N=20, 5 s generations, 10 MiB)
//   npm run bench -- --n 100,1000 --generation-seconds 30 --only scale
//   npm run bench -- --only scale --floor-variants all     the floor rows (b) and (c) too (issue 16)
//   npm run bench -- --only slots --slots-n 60 --slots-generation-seconds 10    account-wide admission (issue 17), two workers
//   npm run bench -- --help
import { cpus, loadavg, totalmem } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Agent } from './agent-client.js';
import { runSeedBaseline, type SeedRow } from './baseline.js';
import { runCalls, WAIT_MODES, type CallsRow } from './calls.js';
import { parseFloorVariants, type FloorVariant } from './floor.js';
import {
  baselineTable,
  callsTable,
  callsTargets,
  evaluateTargets,
  floorTable,
  floorTargets,
  renderTable,
  scaleTable,
  targetsTable,
  transferTable,
  type Table,
} from './report.js';
import { runScale, type ScaleRow } from './scale.js';
import { runSlots, SLOT_MODES, slotsTable, slotsTargets, type SlotMode, type SlotsRow } from './slots.js';
import { startBenchStack, type BenchStack } from './stack.js';
import { runTransfer, type TransferRow } from './transfer.js';
import type { PollPlan } from './workload.js';

const SECTIONS = ['scale', 'transfer', 'baseline', 'calls', 'slots'] as const;
type Section = (typeof SECTIONS)[number];

function positiveList(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isFinite(v) || v <= 0))
    throw new InvalidArgumentError('expected a comma-separated list of positive numbers');
  return list;
}
function positive(value: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError('expected a positive number');
  return v;
}
function outsideList(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 0 || v > 4))
    throw new InvalidArgumentError('expected a comma-separated list of whole numbers from 0 to 4 (slots of the 5 taken outside)');
  return list;
}
function slotModes(value: string): SlotMode[] {
  const list = value.split(';').map((v) => v.trim());
  const bad = list.filter((v) => !(SLOT_MODES as readonly string[]).includes(v));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown slots mode ${bad.join(', ')} (use ${SLOT_MODES.join('; ')})`);
  return list as SlotMode[];
}
function sections(value: string): Section[] {
  const list = value.split(',').map((v) => v.trim());
  const bad = list.filter((v) => !(SECTIONS as readonly string[]).includes(v));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown section ${bad.join(', ')} (use ${SECTIONS.join(', ')})`);
  return list as Section[];
}

interface Flags {
  quick?: boolean;
  n?: number[];
  generationSeconds?: number;
  pollInitialSeconds: number;
  pollBackoff: number;
  pollMaxSeconds: number;
  scaleVideoBytes: number;
  sizesMib?: number[];
  transferRepeats?: number;
  baselineN?: number[];
  sequentialN?: number;
  baselineGenerationSeconds?: number;
  historySample: number;
  floorVariants: FloorVariant[];
  callsN?: number[];
  callsGenerationSeconds?: number;
  callsBatchIntervalSeconds: number;
  maxWorkflowTasks?: number;
  maxActivities?: number;
  slotsN?: number[];
  slotsGenerationSeconds?: number;
  slotsOutside: number[];
  slotsWorkers: number;
  slotsBatchIntervalSeconds?: number;
  slotsBatchConcurrency: number;
  slotsModes: SlotMode[];
  only: Section[];
  markdownOut?: string;
}

const program = new Command('bench')
  .description('Benchmark of the generateVideo workflow on real servers (docs/benchmark.md). Prints markdown tables and the targets.')
  .option('--quick', 'rehearsal: N=20, 5 s generations, 10 MiB transfer, baseline N=3 (each flag below still overrides)')
  .option('--n <list>', 'scale: concurrent workflows per run (default 100,500,1000)', positiveList)
  .option('--generation-seconds <s>', 'simulated generation time of every task (default 60)', positive)
  .option('--poll-initial-seconds <s>', "workflow poll schedule: first check (the workflow's default 5)", positive, 5)
  .option('--poll-backoff <x>', "workflow poll schedule: growth (the workflow's default 1.5)", positive, 1.5)
  .option('--poll-max-seconds <s>', "workflow poll schedule: cap (the workflow's default 10)", positive, 10)
  .option('--scale-video-bytes <n>', 'scale and baseline: size of each video (default 65536)', positive, 65_536)
  .option('--sizes-mib <list>', 'transfer: video sizes in MiB (default 10,100,1024)', positiveList)
  .option('--transfer-repeats <n>', 'transfer: runs per size, the median is reported (default 3; 1 with --quick)', positive)
  .option('--baseline-n <list>', 'baseline: N for the Promise.all seed loop and the workflow (default 5,100)', positiveList)
  .option('--sequential-n <n>', 'baseline: N for the one-at-a-time seed loop (default 5: it takes N × the generation time)', positive)
  .option('--baseline-generation-seconds <s>', 'baseline: generation time (default: --generation-seconds)', positive)
  .option('--max-workflow-tasks <n>', 'worker tuning: maxConcurrentWorkflowTaskExecutions (default: the SDK default)', positive)
  .option('--max-activities <n>', 'worker tuning: maxConcurrentActivityTaskExecutions (default: the SDK default)', positive)
  .option('--calls-n <list>', 'calls: videos per waiting mode, one run per N (default 20,100; 20 with --quick)', positiveList)
  .option('--calls-generation-seconds <s>', 'calls: generation time (default 20; 5 with --quick)', positive)
  .option('--calls-batch-interval-seconds <s>', "calls: the batch's lookup interval (default 5, the first poll of per-video polling)", positive, 5)
  .option('--slots-n <list>', 'slots: videos per mode, one run per N (default 60; 12 with --quick)', positiveList)
  .option('--slots-generation-seconds <s>', 'slots: generation time (default 10; 3 with --quick)', positive)
  .option(
    '--slots-outside <list>',
    "slots: slots of the 5 taken by tasks created outside the project, one pass of the modes per value (default 0,1: the issue's 20 % is 1); the reference without admission runs at the first value only",
    outsideList,
    [0, 1],
  )
  .option('--slots-workers <n>', 'slots: worker processes on the task queue (default 2)', (v) => Math.max(1, Math.floor(positive(v))), 2)
  .option('--slots-batch-interval-seconds <s>', "slots: the batch's lookup interval (default: the batch's 10 s)", positive)
  .option('--slots-modes <list>', `slots: a subset of the modes (${SLOT_MODES.join('; ')}), separated by ;`, slotModes, [...SLOT_MODES])
  .option(
    '--slots-batch-concurrency <n>',
    "slots: the batch's own concurrency, a cap inside it (default 10: twice the slots, so started items wait in the account's queue)",
    (v) => Math.floor(positive(v)),
    10,
  )
  .addOption(
    new Option(
      '--floor-variants <list>',
      "scale: the floor rows run after the project's at each N (issue 16): a = regular activity + timer (the floor the ratios use), b = activity retries, c = local activity + timer; `all`, `none`, or a list (a always runs unless none)",
    )
      .argParser(parseFloorVariants)
      .default(['a'], 'a'),
  )
  .option('--history-sample <n>', 'histories fetched per scale run for events/video', positive, 20)
  .option('--only <sections>', `comma-separated subset of ${SECTIONS.join(', ')}`, sections, [...SECTIONS])
  .option('--markdown-out <file>', 'also write the tables (markdown) to this file');

async function main(): Promise<void> {
  const flags = program.parse().opts<Flags>();
  const quick = flags.quick === true;
  const generationMs = (flags.generationSeconds ?? (quick ? 5 : 60)) * 1000;
  const poll: PollPlan = { initialMs: flags.pollInitialSeconds * 1000, backoffCoefficient: flags.pollBackoff, maxMs: flags.pollMaxSeconds * 1000 };
  const ns = flags.n ?? (quick ? [20] : [100, 500, 1000]);
  const sizes = (flags.sizesMib ?? (quick ? [10] : [10, 100, 1024])).map((m) => Math.round(m * 1024 * 1024));
  const baselineNs = flags.baselineN ?? (quick ? [3, 20] : [5, 100]);
  const sequentialN = flags.sequentialN ?? (quick ? 3 : 5);
  const baselineGenerationMs = (flags.baselineGenerationSeconds ?? generationMs / 1000) * 1000;
  const repeats = flags.transferRepeats ?? (quick ? 1 : 3);
  const only = new Set(flags.only);
  const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const started = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  // The command that reproduces the figures (where the tables are written to does not change them).
  const args = process.argv
    .slice(2)
    .filter((a, i, all) => a !== '--markdown-out' && all[i - 1] !== '--markdown-out' && !a.startsWith('--markdown-out='));
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;

  let stack: BenchStack | undefined;
  const onExit = () => {
    for (const agent of Agent.live) agent.killNow();
    stack?.killNow();
  };
  process.once('exit', onExit);
  const onSignal = (signal: NodeJS.Signals) => {
    log(`received ${signal}: stopping the servers`);
    void Promise.all([...Agent.live].map((agent) => agent.stop()))
      .then(() => stack?.close())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const scaleRows: ScaleRow[] = [];
  const floorRows: ScaleRow[] = [];
  const transferRows: TransferRow[] = [];
  const seedRows: SeedRow[] = [];
  const callsRows: CallsRow[] = [];
  const slotsRows: SlotsRow[] = [];
  const baselineWorkflowRows: ScaleRow[] = [];
  const failures: string[] = [];
  try {
    log('starting the Temporal dev server and fake-gcs-server, bundling the workflows…');
    const floorVariants = only.has('scale') ? flags.floorVariants : [];
    const servers = await startBenchStack(log, { floor: floorVariants.length > 0 });
    stack = servers;
    log(`Temporal ${servers.temporalAddress}, fake-gcs-server ${servers.gcsUrl}`);
    const scaleParams = (n: number, g: number) => ({
      n,
      generationMs: g,
      poll,
      videoBytes: flags.scaleVideoBytes,
      historySample: Math.min(flags.historySample, n),
      worker: { maxConcurrentWorkflowTaskExecutions: flags.maxWorkflowTasks, maxConcurrentActivityTaskExecutions: flags.maxActivities },
    });

    // One failed measurement must not cost the others: it is reported under the tables instead.
    const attempt = async <T>(label: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log(`${label} FAILED: ${message}`);
        failures.push(`${label}: ${message}`);
        return undefined;
      }
    };
    const push = <T>(list: T[], row: T | undefined) => void (row !== undefined && list.push(row));
    // Each N: the project's row, then the floor's rows right after it (same stack, same run).
    if (only.has('scale'))
      for (const n of ns) {
        push(scaleRows, await attempt(`scale N=${n}`, () => runScale(servers, scaleParams(n, generationMs), log)));
        for (const subject of floorVariants)
          push(floorRows, await attempt(`floor (${subject}) N=${n}`, () => runScale(servers, { ...scaleParams(n, generationMs), subject }, log)));
      }
    if (only.has('transfer'))
      for (const sizeBytes of sizes)
        push(transferRows, await attempt(`transfer ${sizeBytes} bytes`, () => runTransfer(servers, { sizeBytes, repeats }, log)));
    if (only.has('baseline')) {
      const seed = (mode: 'sequential' | 'parallel', n: number) =>
        attempt(`seed loop ${mode} N=${n}`, () =>
          runSeedBaseline(servers, { mode, n, generationMs: baselineGenerationMs, videoBytes: flags.scaleVideoBytes }, log),
        );
      push(seedRows, await seed('sequential', sequentialN));
      for (const n of baselineNs) {
        push(seedRows, await seed('parallel', n));
        const reuse = scaleRows.find((r) => r.n === n && r.generationMs === baselineGenerationMs);
        push(baselineWorkflowRows, reuse ?? (await attempt(`workflow N=${n}`, () => runScale(servers, scaleParams(n, baselineGenerationMs), log))));
      }
    }
    if (only.has('calls')) {
      const callsGenerationMs = (flags.callsGenerationSeconds ?? (quick ? 5 : 20)) * 1000;
      for (const n of flags.callsN ?? (quick ? [20] : [20, 100]))
        for (const mode of WAIT_MODES)
          push(
            callsRows,
            await attempt(`calls ${mode}`, () =>
              runCalls(
                servers,
                { mode, n, generationMs: callsGenerationMs, videoBytes: 1024 * 1024, batchIntervalMs: flags.callsBatchIntervalSeconds * 1000 },
                log,
              ),
            ),
          );
    }
    if (only.has('slots')) {
      const slotsGenerationMs = (flags.slotsGenerationSeconds ?? (quick ? 3 : 10)) * 1000;
      const batchIntervalMs = flags.slotsBatchIntervalSeconds === undefined ? undefined : flags.slotsBatchIntervalSeconds * 1000;
      for (const n of flags.slotsN ?? (quick ? [12] : [60]))
        for (const [pass, outside] of flags.slotsOutside.entries())
          for (const mode of flags.slotsModes.filter((m) => pass === 0 || m !== 'standalone, no admission'))
            push(
              slotsRows,
              await attempt(`slots ${mode} N=${n} outside ${outside}`, () =>
                runSlots(
                  servers,
                  {
                    mode,
                    n,
                    generationMs: slotsGenerationMs,
                    poll,
                    outside,
                    workers: flags.slotsWorkers,
                    batchConcurrency: flags.slotsBatchConcurrency,
                    ...(batchIntervalMs ? { batchIntervalMs } : {}),
                  },
                  log,
                ),
              ),
            );
    }
  } finally {
    log('stopping the servers…');
    await stack?.close();
    process.removeListener('exit', onExit);
  }

  const tables: Table[] = [];
  if (scaleRows.length > 0) tables.push(scaleTable(scaleRows));
  if (floorRows.length > 0) tables.push(floorTable(scaleRows, floorRows));
  if (transferRows.length > 0) tables.push(transferTable(transferRows));
  if (seedRows.length > 0) {
    const baseline = baselineTable(seedRows, baselineWorkflowRows);
    const seq = seedRows.find((r) => r.mode === 'sequential');
    if (seq)
      baseline.notes.unshift(
        `One at a time runs only at N=${seq.n}: it takes N × (the generation time rounded up to the seed's 10 s polls + the transfer). From this run's ${(seq.wallMs / seq.n / 1000).toFixed(1)} s per video, N=100 would take about ${(((seq.wallMs / seq.n) * 100) / 60_000).toFixed(0)} minutes (an estimate, not measured).`,
      );
    tables.push(baseline);
  }
  if (callsRows.length > 0) tables.push(callsTable(callsRows));
  if (slotsRows.length > 0) tables.push(slotsTable(slotsRows));
  tables.push(
    targetsTable([
      ...evaluateTargets(scaleRows, transferRows),
      ...(only.has('scale') && flags.floorVariants.length > 0 ? floorTargets(scaleRows, floorRows) : []),
      ...(only.has('calls') ? callsTargets(callsRows) : []),
      ...(only.has('slots') ? slotsTargets(slotsRows) : []),
    ]),
  );

  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
  const header = [
    `Machine: ${machine}. Started ${started.toISOString()}, took ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end (other work on the machine competes for the same cores).`,
    `Command: \`${command}\``,
  ].join('\n');
  const failed = failures.length > 0 ? `\n\n### Measurements that failed\n\n${failures.map((f) => `- ${f}`).join('\n')}` : '';
  const markdown = `${header}\n\n${tables.map(renderTable).join('\n\n')}${failed}\n`;
  console.log(markdown);
  if (flags.markdownOut) await writeFile(flags.markdownOut, markdown);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
