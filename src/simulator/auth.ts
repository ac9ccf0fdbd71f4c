/**
 * Authentication for both standards.
 * - Legacy (`/v1/*`) and account routes (REF §2, NEW §2): a known API key, else the token is parsed as an HS256
 *   JWT signed with an AK's SK.
 * - New-standard routes (NEW §2): API keys only; anything else is 401/1002 with the observed AK/SK text.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { authorizationEmpty, authorizationExpired, authorizationInvalid, authorizationNotYetValid, KlingApiError } from './errors.js';
import type { AccessKeyPair } from './options.js';

export type AuthKind = 'apiKey' | 'jwt' | 'none';

export interface Credentials {
  readonly apiKeys: readonly string[];
  readonly accessKeys: readonly AccessKeyPair[];
}

export interface AuthenticatedCaller {
  readonly kind: 'apiKey' | 'jwt';
  /** The API key, or the JWT's `iss` (access key). */
  readonly principal: string;
}

/** NEW §2: the exact rejection of a JWT (or unknown key) on a new-standard route. */
export const NEW_STANDARD_AUTH_MESSAGE =
  'Authentication error. The current API does not support AK/SK; please go to the console (https://kling.ai/dev/api-key) to create API key.';

/** REF §2: `Authorization: Bearer <token>`, one space. Undefined when missing, empty or not Bearer (→ 1001). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer (.+)$/i.exec(header);
  const token = match?.[1];
  return token === undefined || token.trim() === '' ? undefined : token;
}

/** For the request log: what the caller sent, judged by form. */
export function classifyAuthorization(header: string | undefined, credentials: Credentials): AuthKind {
  const token = bearerToken(header);
  if (token === undefined) return 'none';
  if (credentials.apiKeys.includes(token)) return 'apiKey';
  return token.split('.').length === 3 ? 'jwt' : 'apiKey';
}

/**
 * The parts count the way Kling's (Java) JWT decoder reports it: "got 0" when the token has no dot at all —
 * which is what NEW §2 observed for a garbage key — "got 2" for one dot, "got > 3" for more than two.
 */
function jwtPartsProblem(token: string): string | undefined {
  const first = token.indexOf('.');
  if (first === -1) return '0';
  const second = token.indexOf('.', first + 1);
  if (second === -1) return '2';
  if (token.indexOf('.', second + 1) !== -1) return '> 3';
  return undefined;
}

/** Legacy and account routes: API key, else AK/SK JWT (REF §2 and §8 auth list). */
export async function authenticateLegacy(header: string | undefined, credentials: Credentials, nowMs: number): Promise<AuthenticatedCaller> {
  const token = bearerToken(header);
  if (token === undefined) throw authorizationEmpty();
  if (credentials.apiKeys.includes(token)) return { kind: 'apiKey', principal: token };

  const parts = jwtPartsProblem(token);
  // NEW §2 observed: 401/1002 "The token was expected to have 3 parts, but got 0".
  if (parts !== undefined) throw new KlingApiError(401, 1002, `The token was expected to have 3 parts, but got ${parts}`);

  let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    protectedHeader = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw authorizationInvalid('the token is not a decodable JWT');
  }
  // Seed pitfall 2: Kling requires the explicit header {"alg":"HS256","typ":"JWT"}.
  if (protectedHeader.typ !== 'JWT') throw authorizationInvalid('the JWT header must contain "typ": "JWT"');
  if (protectedHeader.alg !== 'HS256') throw authorizationInvalid('the JWT must be signed with HS256');
  const pair = credentials.accessKeys.find((candidate) => candidate.accessKey === claims.iss);
  if (pair === undefined) throw authorizationInvalid('unknown access key (iss)');

  try {
    // REF §2: exp/nbf in seconds, checked against the simulator's clock; exp is required (the documented payload has it).
    await jwtVerify(token, new TextEncoder().encode(pair.secretKey), {
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
      requiredClaims: ['exp'],
    });
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw authorizationExpired();
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') throw authorizationNotYetValid();
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw authorizationInvalid('signature verification failed');
    if (error instanceof joseErrors.JWTClaimValidationFailed) throw authorizationInvalid(`claim "${error.claim}" ${error.reason}`);
    throw authorizationInvalid();
  }
  return { kind: 'jwt', principal: pair.accessKey };
}

/** New-standard routes (NEW §2): "The new API supports authentication via API Key only". */
export function authenticateNewStandard(header: string | undefined, credentials: Credentials): AuthenticatedCaller {
  const token = bearerToken(header);
  // NEW §2: 1001 (empty Authorization) is documented, not observed.
  if (token === undefined) throw authorizationEmpty();
  if (!credentials.apiKeys.includes(token)) throw new KlingApiError(401, 1002, NEW_STANDARD_AUTH_MESSAGE);
  return { kind: 'apiKey', principal: token };
}
