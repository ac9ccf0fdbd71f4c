import { z } from 'zod';
import type { ApiStandard } from './catalog.js';
import { KlingCredentialsError } from './errors.js';
import { JwtProvider, type Clock } from './jwt-provider.js';

/**
 * Kling credentials. An API key works on both standards; access/secret keys (signed as a JWT) only on
 * the legacy standard. Read from the environment only — never from workflow inputs.
 */
export const KlingCredentialsConfig = z
  .object({
    apiKey: z.string().min(1).optional(),
    accessKey: z.string().min(1).optional(),
    secretKey: z.string().min(1).optional(),
  })
  .refine((c) => Boolean(c.accessKey) === Boolean(c.secretKey), {
    message: 'KLING_ACCESS_KEY and KLING_SECRET_KEY must be set together',
    path: ['secretKey'],
  })
  .refine((c) => c.apiKey || c.accessKey, { message: 'set KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY' });
export type KlingCredentialsConfig = z.infer<typeof KlingCredentialsConfig>;

/** Reads `KLING_API_KEY`, `KLING_ACCESS_KEY`, `KLING_SECRET_KEY`. Errors name the variable, never its value. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): KlingCredentialsConfig {
  const parsed = KlingCredentialsConfig.safeParse({
    apiKey: env.KLING_API_KEY || undefined,
    accessKey: env.KLING_ACCESS_KEY || undefined,
    secretKey: env.KLING_SECRET_KEY || undefined,
  });
  if (!parsed.success) throw new Error(`Kling credentials: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** Produces the Authorization header per standard. Secrets live only in private fields. */
export class KlingAuth {
  readonly #apiKey: string | undefined;
  readonly #jwt: JwtProvider | undefined;

  constructor(credentials: KlingCredentialsConfig, options: { now?: Clock; legacyAuth?: 'apiKey' | 'jwt' } = {}) {
    this.#apiKey = credentials.apiKey;
    if (credentials.accessKey && credentials.secretKey)
      this.#jwt = new JwtProvider({ accessKey: credentials.accessKey, secretKey: credentials.secretKey, now: options.now });
    this.preferJwtOnLegacy = options.legacyAuth === 'jwt' || !this.#apiKey;
  }

  private readonly preferJwtOnLegacy: boolean;

  /** Standards these credentials can call. */
  get availableStandards(): ApiStandard[] {
    return this.#apiKey ? ['new', 'legacy'] : this.#jwt ? ['legacy'] : [];
  }

  /** Whether a 1003/1004 answer can be cured by re-signing. */
  usesJwt(standard: ApiStandard): boolean {
    return standard === 'legacy' && this.preferJwtOnLegacy && this.#jwt !== undefined;
  }

  /**
   * Throws KlingCredentialsError (not retryable) when these credentials cannot call `standard`: callers resolve
   * the header before sending, so the refusal is known to have sent nothing.
   */
  async header(standard: ApiStandard, { fresh = false } = {}): Promise<string> {
    if (this.usesJwt(standard)) return `Bearer ${fresh ? await this.#jwt!.refresh() : await this.#jwt!.token()}`;
    if (!this.#apiKey)
      throw new KlingCredentialsError(
        standard === 'new'
          ? "Kling's new API standard needs an API key (KLING_API_KEY); access/secret keys work only on the legacy standard: set KLING_API_KEY, or use the legacy standard"
          : 'no credentials for the legacy standard: set KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY',
      );
    return `Bearer ${this.#apiKey}`;
  }

  toJSON(): string {
    return '[KlingAuth]';
  }
}
