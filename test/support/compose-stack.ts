// Runs docker-compose.yml without Docker: each service's OWN command, entrypoint, environment (Dockerfile ENV,
// env_file, environment) and healthcheck as a local process. Service host names and published ports are mapped
// to 127.0.0.1 and free local ports, named volumes to temporary directories; images map to local programs:
//   temporalio/temporal     -> the temporal CLI from .tools/
//   fsouza/fake-gcs-server  -> the fake-gcs-server binary from .tools/
//   build: . (the image)    -> the Dockerfile's ENTRYPOINT (tini dropped: here the test signals node directly)
//                              with node = this node, and the paths the image copies resolved in this checkout.
// Start order and waits follow depends_on conditions (service_healthy: the service's healthcheck passes;
// service_completed_successfully: it exited 0).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { locateBinary, projectRoot } from './binaries.js';
import { freePorts, ManagedProcess, sleep } from './processes.js';

export interface Healthcheck {
  test: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}
export type DependsOn = Record<string, { condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }>;
export interface ComposeService {
  image?: string;
  build?: string | { context: string };
  entrypoint?: string[] | string;
  command?: string[] | string;
  environment?: Record<string, string>;
  env_file?: string[] | string;
  ports?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  depends_on?: DependsOn | string[];
  restart?: string;
  init?: boolean;
  stop_grace_period?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** ENTRYPOINT, CMD, ENV, USER, HEALTHCHECK and WORKDIR of the final stage of a Dockerfile. */
export interface DockerImage {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  user?: string;
  healthcheck?: string[];
  workdir?: string;
  stages: string[];
  /** Lines of the final stage. */
  finalStage: string[];
}

export function readCompose(file = path.join(projectRoot, 'docker-compose.yml')): ComposeFile {
  // merge: the `<<: *app` keys, as compose applies them.
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

/** Parses the instructions the runner and the checks need (exec-form JSON arrays only: shell forms are refused). */
export function readDockerfile(file = path.join(projectRoot, 'Dockerfile')): DockerImage {
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stageStarts = lines.flatMap((l, i) => (/^FROM\s/i.test(l) ? [i] : []));
  const finalStage = lines.slice(stageStarts.at(-1) ?? 0);
  const image: DockerImage = { entrypoint: [], cmd: [], env: {}, stages: stageStarts.map((i) => lines[i]!), finalStage };
  const args: Record<string, string> = {};
  const execForm = (rest: string, what: string): string[] => {
    try {
      const value = JSON.parse(rest) as unknown;
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    } catch {
      // fall through
    }
    throw new Error(`Dockerfile ${what} must be in exec form (a JSON array) so signals reach the process: ${rest}`);
  };
  for (const line of finalStage) {
    const [, instr = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instr.toUpperCase()) {
      case 'ENTRYPOINT':
        image.entrypoint = execForm(rest, 'ENTRYPOINT');
        break;
      case 'CMD':
        image.cmd = execForm(rest, 'CMD');
        break;
      case 'USER':
        image.user = rest;
        break;
      case 'WORKDIR':
        image.workdir = rest;
        break;
      case 'ARG': {
        // Built without --build-arg: an ARG is its default ('' when none), as `docker build` gives it to ENV.
        const [, name = '', value = ''] = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(rest) ?? [];
        args[name] = value.replace(/^"|"$/g, '');
        break;
      }
      case 'ENV':
        for (const m of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g))
          image.env[m[1]!] = m[2]!.replace(/^"|"$/g, '').replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => args[a ?? b ?? ''] ?? '');
        break;
      case 'HEALTHCHECK': {
        const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(rest);
        image.healthcheck = cmd ? execForm(cmd[1]!, 'HEALTHCHECK CMD') : undefined;
        break;
      }
    }
  }
  return image;
}

/** A compose `command`/`entrypoint` as argv (the folded string form split on whitespace, as compose does without quotes). */
export function argv(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : value.trim().split(/\s+/);
}

/** `KEY=value` lines (comments and blanks ignored), as compose reads an env_file. */
export function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

function dependsOn(service: ComposeService): DependsOn {
  const d = service.depends_on;
  if (d === undefined) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, { condition: 'service_started' as const }]));
  return d;
}

function builtFromHere(service: ComposeService): boolean {
  return service.build !== undefined;
}

export interface StackOptions {
  compose: ComposeFile;
  image: DockerImage;
  /** What the operator copies to `.env` (the test uses the committed .env.example). */
  envFileContents: Record<string, string>;
  /** Copy every service's output to stderr. */
  echo?: boolean;
  /**
   * Files the image builds, by their path in it, and their stand-ins on this machine (e.g. the Dockerfile's
   * KLING_WORKFLOW_BUNDLE): an environment value naming one is given the stand-in's path.
   */
  imageFiles?: Record<string, string>;
}

/** The stack: processes by service name, the address map, and helpers to run commands "on the host". */
export class ComposeStack {
  readonly processes = new Map<string, ManagedProcess>();
  /** `<service>:<container port>` and `localhost:<published port>` -> `127.0.0.1:<local port>`. */
  readonly addresses = new Map<string, string>();
  /** container port -> local port, per service. */
  readonly ports = new Map<string, Map<string, string>>();
  readonly volumes = new Map<string, string>();
  readonly workdir: string;
  private readonly binaries: { temporal: string; fakeGcs: string };

  private constructor(readonly options: StackOptions) {
    this.workdir = mkdtempSync(path.join(tmpdir(), 'kv-compose-'));
    this.binaries = { temporal: locateBinary('temporal'), fakeGcs: locateBinary('fake-gcs-server') };
  }

  static async create(options: StackOptions): Promise<ComposeStack> {
    const stack = new ComposeStack(options);
    const published: Array<{ service: string; host: string; container: string }> = [];
    for (const [name, service] of Object.entries(options.compose.services))
      for (const spec of service.ports ?? []) {
        const [host, container] = spec.split(':');
        if (!host || !container) throw new Error(`${name}: ports entry ${spec} is not host:container`);
        published.push({ service: name, host, container });
      }
    const local = await freePorts(published.length);
    published.forEach(({ service, host, container }, i) => {
      const port = String(local[i]);
      stack.addresses.set(`${service}:${container}`, `127.0.0.1:${port}`);
      stack.addresses.set(`localhost:${host}`, `127.0.0.1:${port}`);
      if (!stack.ports.has(service)) stack.ports.set(service, new Map());
      stack.ports.get(service)!.set(container, port);
    });
    for (const name of Object.keys(options.compose.volumes ?? {})) {
      const dir = path.join(stack.workdir, 'volumes', name);
      mkdirSync(dir, { recursive: true });
      stack.volumes.set(name, dir);
    }
    return stack;
  }

  /** Rewrites one argument or value as seen from the host of this test (service names, ports, volume paths). */
  rewrite(service: string, value: string): string {
    let out = value;
    for (const [from, to] of this.addresses) out = out.split(from).join(to);
    const own = this.ports.get(service) ?? new Map<string, string>();
    for (const [container, port] of own) {
      if (out === container) return port;
      out = out.replace(new RegExp(`^((?:0\\.0\\.0\\.0|127\\.0\\.0\\.1|localhost|\\[::\\]|::)?:)${container}$`), `$1${port}`);
      out = out.replace(new RegExp(`^(0\\.0\\.0\\.0|127\\.0\\.0\\.1):${container}$`), `$1:${port}`);
      out = out.replace(new RegExp(`(https?://(?:127\\.0\\.0\\.1|localhost|0\\.0\\.0\\.0)):${container}\\b`), `$1:${port}`);
    }
    for (const mount of this.options.compose.services[service]?.volumes ?? []) {
      const [source, target] = mount.split(':');
      if (!source || !target) continue;
      const local = this.volumes.get(source) ?? (source.startsWith('.') ? path.resolve(projectRoot, source) : undefined);
      if (local && (out === target || out.startsWith(`${target}/`))) out = local + out.slice(target.length);
    }
    return out;
  }

  /** Resolves an argument naming a file the image copies (relative to its WORKDIR) to this checkout. */
  private localPath(arg: string): string {
    if (arg.startsWith('/') || arg.startsWith('-')) return arg;
    const candidate = path.join(projectRoot, arg);
    return /[/.]/.test(arg) && existsSync(candidate) ? candidate : arg;
  }

  /** The service's process: program, arguments and environment, translated to this machine. */
  commandOf(name: string, override?: Partial<ComposeService>): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
    const service = { ...this.options.compose.services[name], ...override };
    if (!service) throw new Error(`no service ${name}`);
    let program: string[];
    if (builtFromHere(service)) {
      const entrypoint = argv(service.entrypoint) ?? this.options.image.entrypoint;
      // compose: setting `entrypoint` drops the image's CMD
      const command = argv(service.command) ?? (service.entrypoint === undefined ? this.options.image.cmd : []);
      program = [...entrypoint, ...command];
      const tini = program.findIndex((a) => /(^|\/)tini$/.test(a));
      if (tini === 0) program = program.slice(program[1] === '--' ? 2 : 1);
    } else if (service.image?.startsWith('temporalio/temporal:')) {
      program = [this.binaries.temporal, ...(argv(service.command) ?? [])];
    } else if (service.image?.startsWith('fsouza/fake-gcs-server:')) {
      program = [this.binaries.fakeGcs, ...(argv(service.command) ?? [])];
    } else throw new Error(`${name}: no local stand-in for image ${service.image ?? '(none)'}`);
    const [first, ...rest] = program.map((a) => this.rewrite(name, a));
    const command = first === 'node' ? process.execPath : first!;
    return { command, args: rest.map((a) => this.localPath(a)), env: this.envOf(name, service) };
  }

  envOf(name: string, service: ComposeService = this.options.compose.services[name]!): NodeJS.ProcessEnv {
    const env: Record<string, string> = {};
    if (builtFromHere(service)) Object.assign(env, this.options.image.env);
    for (const file of [service.env_file ?? []].flat()) {
      if (file !== '.env') throw new Error(`${name}: env_file ${file}: the test stands in .env.example for .env only`);
      Object.assign(env, this.options.envFileContents);
    }
    Object.assign(env, service.environment ?? {});
    const out: NodeJS.ProcessEnv = {
      // A container's own basics; nothing else from this process (no developer KLING_*/GCS_*/TEMPORAL_* values).
      PATH: process.env.PATH,
      HOME: this.workdir,
      // The image has no .env and no Temporal config file.
      KLING_DOTENV: 'off',
      TEMPORAL_CONFIG_FILE: path.join(this.workdir, 'no-temporal.toml'),
    };
    for (const [key, value] of Object.entries(env)) out[key] = this.options.imageFiles?.[value] ?? this.rewrite(name, String(value));
    return out;
  }

  start(name: string, override?: Partial<ComposeService>): ManagedProcess {
    const { command, args, env } = this.commandOf(name, override);
    const cwd = path.join(this.workdir, 'cwd', name);
    mkdirSync(cwd, { recursive: true });
    const proc = new ManagedProcess({ name, command, args, env, cwd, echo: this.options.echo });
    this.processes.set(name, proc);
    return proc;
  }

  /** Runs the service's healthcheck once, as Docker would inside the container; true when it passes. */
  async healthy(name: string, override?: Partial<ComposeService>): Promise<boolean> {
    const service = { ...this.options.compose.services[name], ...override };
    const test = service.healthcheck?.test ?? (builtFromHere(service) ? ['CMD', ...(this.options.image.healthcheck ?? [])] : undefined);
    if (!test || !Array.isArray(test) || test[0] !== 'CMD') throw new Error(`${name}: healthcheck must be ["CMD", …] (exec form)`);
    const [program, ...args] = test.slice(1).map((a) => this.rewrite(name, a));
    const env = this.envOf(name, service);
    if (program === 'wget') {
      // busybox wget -q -O /dev/null <url> in the fake-gcs image: success on a 2xx.
      const url = args.at(-1)!;
      return await fetch(url, { signal: AbortSignal.timeout(4_000) }).then(
        (r) => r.ok,
        () => false,
      );
    }
    const command = program === 'node' ? process.execPath : program === 'temporal' ? this.binaries.temporal : program!;
    return await new Promise<boolean>((resolve) => {
      const child = spawn(
        command,
        args.map((a) => this.localPath(a)),
        { env, cwd: this.workdir, stdio: 'ignore' },
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('error', () => resolve(false));
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  }

  /** Waits until the service's healthcheck passes; fails early with the service's output if it exits. */
  async waitHealthy(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const proc = this.processes.get(name);
    for (;;) {
      if (await this.healthy(name)) return;
      if (proc?.hasExited) throw new Error(`${name} ${proc.describeExit()} before it was healthy:\n${proc.tail()}`);
      if (Date.now() > deadline) throw new Error(`${name} not healthy after ${timeoutMs} ms:\n${proc?.tail() ?? ''}`);
      await sleep(250);
    }
  }

  /** Starts `names` (default: every service) in depends_on order, honouring each condition. */
  async up(names: string[] = Object.keys(this.options.compose.services), timeoutMs = 90_000): Promise<void> {
    const started = new Set<string>();
    const services = this.options.compose.services;
    const upOne = async (name: string): Promise<void> => {
      if (started.has(name)) return;
      started.add(name);
      // Already up (running, or a one-shot that completed): as `docker compose up` leaves it.
      const existing = this.processes.get(name);
      if (existing && (!existing.hasExited || (services[name]?.restart === 'no' && (await existing.exited).code === 0))) return;
      for (const [dep, { condition }] of Object.entries(dependsOn(services[name]!))) {
        if (!services[dep]) throw new Error(`${name} depends on ${dep}, which is not a service`);
        await upOne(dep);
        const proc = this.processes.get(dep)!;
        if (condition === 'service_healthy') await this.waitHealthy(dep, timeoutMs);
        if (condition === 'service_completed_successfully') {
          const { code } = await proc.exited;
          if (code !== 0) throw new Error(`${dep} ${proc.describeExit()}; ${name} needs it to complete successfully:\n${proc.tail()}`);
        }
      }
      this.start(name);
    };
    for (const name of names) await upOne(name);
  }

  async down(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop(10_000)));
  }
}
