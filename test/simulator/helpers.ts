// Shared helpers for the simulator tests: plain fetch + jose, never the project's client.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ManualClock, startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const API_KEY = 'sim-api-key';
export const ACCESS_KEY = 'sim-ak';
export const SECRET_KEY = 'sim-sk';

export interface JwtOptions {
  accessKey?: string;
  secretKey?: string;
  /** Current time in ms (defaults to Date.now()). */
  nowMs?: number;
  /** Lifetime in seconds (REF §2: 1800). */
  ttlSeconds?: number;
  /** nbf offset from now in seconds (REF §2: -5). */
  nbfOffsetSeconds?: number;
  /** Protected header `typ`; null omits it. */
  typ?: string | null;
}

/** REF §2 recipe: HS256, {"alg":"HS256","typ":"JWT"}, iss = AK, exp = now + 1800, nbf = now - 5. */
export async function signJwt(options: JwtOptions = {}): Promise<string> {
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const header: { alg: string; typ?: string } = { alg: 'HS256' };
  const typ = options.typ === undefined ? 'JWT' : options.typ;
  if (typ !== null) header.typ = typ;
  return new SignJWT({ iss: options.accessKey ?? ACCESS_KEY })
    .setProtectedHeader(header)
    .setExpirationTime(now + (options.ttlSeconds ?? 1800))
    .setNotBefore(now + (options.nbfOffsetSeconds ?? -5))
    .sign(new TextEncoder().encode(options.secretKey ?? SECRET_KEY));
}

export interface ApiResult {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke into arbitrary JSON
  json: any;
  headers: Headers;
}

export type Auth = string | null;

function headers(auth: Auth, json: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  if (auth !== null) result.authorization = auth.includes(' ') ? auth : `Bearer ${auth}`;
  if (json) result['content-type'] = 'application/json';
  return result;
}

/** A tiny HTTP client bound to a simulator. `auth` is a bearer token, a full header value, or null. */
export function api(sim: Pick<Simulator, 'url'>, defaultAuth: Auth = API_KEY) {
  async function call(method: string, path: string, body: unknown, auth: Auth): Promise<ApiResult> {
    const response = await fetch(sim.url + path, {
      method,
      headers: headers(auth, body !== undefined),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json, headers: response.headers };
  }
  return {
    post: (path: string, body: unknown, auth: Auth = defaultAuth) => call('POST', path, body, auth),
    get: (path: string, auth: Auth = defaultAuth) => call('GET', path, undefined, auth),
  };
}

/** A valid legacy text-to-video body. */
export const legacyT2V = (extra: Record<string, unknown> = {}) => ({
  model_name: 'kling-v2-6',
  prompt: 'a cat surfing a wave',
  duration: '5',
  ...extra,
});

/** A valid legacy image-to-video body. */
export const legacyI2V = (extra: Record<string, unknown> = {}) => ({
  model_name: 'kling-v2-6',
  image: 'https://example.com/first.png',
  duration: '5',
  ...extra,
});

/** A valid new-standard text-to-video body. */
export const newT2V = (extra: Record<string, unknown> = {}) => ({ prompt: 'a cat surfing a wave', settings: { duration: 5 }, ...extra });

/** A valid new-standard image-to-video body. */
export const newI2V = (
  contents: unknown[] = [{ type: 'first_frame', url: 'https://example.com/first.png' }],
  extra: Record<string, unknown> = {},
) => ({
  contents,
  ...extra,
});

/** Expects a Kling error envelope (no data). */
export function errorOf(result: ApiResult): { status: number; code: number; message: string } {
  return { status: result.status, code: result.json.code, message: result.json.message };
}

/**
 * One simulator for the test file, on a ManualClock: started before all tests, reset before each, closed after
 * all. Read `env.sim` / `env.clock` inside tests and hooks (they exist once `beforeAll` ran).
 */
export function useSimulator(options: SimulatorOptions = {}): { readonly sim: Simulator; readonly clock: ManualClock } {
  const env = {} as { sim: Simulator; clock: ManualClock };
  beforeAll(async () => {
    env.clock = new ManualClock();
    env.sim = await startSimulator({ now: env.clock.now, ...options });
  });
  afterAll(() => env.sim?.close());
  beforeEach(() => env.sim.reset());
  return env;
}
