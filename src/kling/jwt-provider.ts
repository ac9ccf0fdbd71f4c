import { SignJWT } from 'jose';

/** Seconds-resolution clock, injectable so tests can cross the 30-minute token lifetime without waiting. */
export type Clock = () => number;

export interface JwtProviderOptions {
  accessKey: string;
  secretKey: string;
  /** Milliseconds since epoch. */
  now?: Clock;
  /** Token lifetime; Kling documents 1800 s (docs/reference/kling-api.md §2). */
  lifetimeSeconds?: number;
  /** Mint a fresh token when fewer than this many seconds remain (seed pitfall 3: 5 minutes). */
  refreshBufferSeconds?: number;
  /** Backdating of `nbf` to tolerate clock skew (Kling's example uses 5 s). */
  notBeforeSkewSeconds?: number;
}

/**
 * Signs Kling's legacy AK/SK JWTs lazily: nothing is minted until the first request (seed pitfall 3),
 * one token is cached and re-minted when fewer than `refreshBufferSeconds` remain. The protected header
 * is exactly `{alg:"HS256", typ:"JWT"}` (seed pitfall 2). The keys are kept in private fields so they
 * never appear in logs, JSON or error messages.
 */
export class JwtProvider {
  readonly #accessKey: string;
  readonly #secret: Uint8Array;
  readonly #now: Clock;
  readonly #lifetime: number;
  readonly #buffer: number;
  readonly #skew: number;
  #cached: { token: string; expiresAt: number } | undefined;

  constructor(options: JwtProviderOptions) {
    this.#accessKey = options.accessKey;
    this.#secret = new TextEncoder().encode(options.secretKey);
    this.#now = options.now ?? Date.now;
    this.#lifetime = options.lifetimeSeconds ?? 1800;
    this.#buffer = options.refreshBufferSeconds ?? 300;
    this.#skew = options.notBeforeSkewSeconds ?? 5;
  }

  /** A valid token, from cache or freshly signed. */
  async token(): Promise<string> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    if (this.#cached && this.#cached.expiresAt - nowSeconds > this.#buffer) return this.#cached.token;
    return this.refresh();
  }

  /** Drops the cache and signs a new token (after Kling answered 1003/1004). */
  async refresh(): Promise<string> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const expiresAt = nowSeconds + this.#lifetime;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.#accessKey)
      .setExpirationTime(expiresAt)
      .setNotBefore(nowSeconds - this.#skew)
      .sign(this.#secret);
    this.#cached = { token, expiresAt };
    return token;
  }

  toJSON(): string {
    return '[JwtProvider]';
  }
}
