import { lookup as dnsLookupCallback, type LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import { isPrivateAddress } from '../kling/private-address.js';

/**
 * Where the rehost activity may download a finished video from. Kling returns temporary, hotlink-protected
 * CDN URLs (docs/reference/kling-api.md §4.3: `https://p1.a.kwimgs.com/...`; Kuaishou/Kling CDNs `*.kwimgs.com`,
 * `*.klingai.com`); anything else is refused before a connection is opened.
 */
export interface VideoHostPolicy {
  /**
   * Host patterns: `cdn.example.com` (that host only), `*.kwimgs.com` (any subdomain, not the apex) or an IP
   * literal (`127.0.0.1`, `[::1]`), each optionally with `:port` (then only that port). Case-insensitive.
   */
  allow: readonly string[];
  /** Accept `http:` URLs too. Default false: https only. */
  allowHttp?: boolean;
  /**
   * Accept hosts that resolve to private, loopback, link-local or otherwise non-public addresses. Default
   * false. An IP literal listed in `allow` is always accepted: naming it is explicit permission.
   */
  allowPrivateAddresses?: boolean;
  /** Redirects followed (each hop re-checked). Default 3. */
  maxRedirects?: number;
}

/** Kling's CDN hosts per the references (docs/reference/kling-api.md §4.3). */
export const DEFAULT_VIDEO_HOSTS: readonly string[] = ['*.kwimgs.com', '*.klingai.com'];
export const DEFAULT_VIDEO_HOST_POLICY: VideoHostPolicy = {
  allow: DEFAULT_VIDEO_HOSTS,
  allowHttp: false,
  allowPrivateAddresses: false,
  maxRedirects: 3,
};

export type VideoSourceRefusal = 'url' | 'scheme' | 'credentials' | 'host' | 'address' | 'redirect';

/** The URL (or a redirect hop) is not an allowed video source. Never retryable. The message names the host, never the full URL. */
export class VideoSourceRefusedError extends Error {
  override readonly name = 'VideoSourceRefusedError';
  constructor(
    readonly reason: VideoSourceRefusal,
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

interface HostPattern {
  /** Lower-case host without brackets; for wildcards the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  ip: boolean;
  port?: number;
}

/** Parses one allow-list entry; throws on anything that is not a host pattern (a URL, a path, a bare `*`). */
export function parseHostPattern(pattern: string): HostPattern {
  const bad = (why: string): never => {
    throw new Error(`invalid video host pattern "${pattern}": ${why}`);
  };
  let p = pattern.trim().toLowerCase();
  if (p === '') bad('empty');
  if (/[/?#@\s]|:\/\//.test(p)) bad('a host pattern is a host name, "*.suffix" or an IP literal, optionally with ":port"');
  let port: number | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(p);
  if (v6) {
    if (isIP(v6[1]!) !== 6) bad('not an IPv6 address');
    port = v6[2] === undefined ? undefined : Number(v6[2]);
    p = v6[1]!;
  } else {
    const hp = /^([^:]+)(?::(\d+))?$/.exec(p);
    if (!hp) bad('unexpected ":"');
    p = hp![1]!.replace(/\.$/, '');
    port = hp![2] === undefined ? undefined : Number(hp![2]);
  }
  if (port !== undefined && !(port > 0 && port < 65536)) bad('port out of range');
  if (isIP(p)) return { host: p, wildcard: false, ip: true, port };
  const wildcard = p.startsWith('*.');
  const host = wildcard ? p.slice(2) : p;
  if (host.includes('*')) bad('"*" is allowed only as the whole first label ("*.example.com")');
  const labels = host.split('.');
  if (labels.some((l) => !/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) bad('not a host name');
  if (wildcard && labels.length < 2) bad('a wildcard needs at least two labels after "*." (e.g. "*.kwimgs.com")');
  return { host, wildcard, ip: false, port };
}

/** Validates a policy's patterns (configuration errors surface at worker start, not at the first download). */
export function validateVideoHostPolicy(policy: VideoHostPolicy): void {
  for (const p of policy.allow) parseHostPattern(p);
}

const hostOf = (url: URL) =>
  url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
const portOf = (url: URL) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

function matchingPattern(url: URL, policy: VideoHostPolicy): HostPattern | undefined {
  const host = hostOf(url);
  const port = portOf(url);
  return policy.allow
    .map(parseHostPattern)
    .find((p) => (p.port === undefined || p.port === port) && (p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host));
}

/**
 * Synchronous checks of one URL: parseable, http(s) (http only when allowed), no embedded credentials, host
 * on the allow-list. Returns the parsed URL. Throws VideoSourceRefusedError.
 */
export function checkVideoUrl(raw: string | URL, policy: VideoHostPolicy): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new VideoSourceRefusedError('url', '', 'the video URL is not a valid absolute URL');
  }
  const host = hostOf(url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp))
    throw new VideoSourceRefusedError(
      'scheme',
      host,
      `video URLs must use https${policy.allowHttp ? ' or http' : ''}; got "${url.protocol}" (host ${host || 'none'})`,
    );
  if (url.username || url.password) throw new VideoSourceRefusedError('credentials', host, `the video URL for host ${host} carries credentials`);
  if (!matchingPattern(url, policy))
    throw new VideoSourceRefusedError(
      'host',
      host,
      `video host ${host}:${portOf(url)} is not on the allow-list (${policy.allow.join(', ') || 'empty'})`,
    );
  return url;
}

// ---------------------------------------------------------------------------------------------------------
// Address classification: one implementation, shared with the image-URL policy (src/kling/private-address.ts).

export { isPrivateAddress };

export type LookupAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;
const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Resolves the URL's host (every address) and refuses it when any address is private, unless the policy
 * allows private addresses or the host is an IP literal named on the allow-list.
 */
export async function checkVideoAddress(url: URL, policy: VideoHostPolicy, lookup: LookupAll = defaultLookup): Promise<void> {
  const host = hostOf(url);
  if (policy.allowPrivateAddresses) return;
  if (isIP(host)) {
    if (!isPrivateAddress(host)) return;
    if (matchingPattern(url, policy)?.ip) return; // explicitly named
    throw new VideoSourceRefusedError('address', host, `video host ${host} is a private or loopback address`);
  }
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host);
  } catch (err) {
    // Resolution trouble is transient: not a refusal. Let the caller's retry policy handle it.
    throw new Error(`cannot resolve video host ${host}: ${(err as Error).message}`);
  }
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (addresses.length === 0 || bad)
    throw new VideoSourceRefusedError('address', host, `video host ${host} resolves to a private or non-public address (${bad?.address ?? 'none'})`);
}

const ADDRESS_REFUSED = 'ERR_VIDEO_ADDRESS_REFUSED';

/**
 * A `lookup` for net/tls.connect that refuses private addresses at connect time, so a host that resolved to a
 * public address for the pre-check cannot switch to a private one when the socket opens (DNS rebinding).
 */
export function guardedLookup(policy: VideoHostPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    dnsLookupCallback(hostname, { family: options.family ?? 0, all: true }, (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      const bad = policy.allowPrivateAddresses ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad || addresses.length === 0)
        return callback(
          Object.assign(new Error(`video host ${hostname} resolved to a private or non-public address (${bad?.address ?? 'none'}) at connect time`), {
            code: ADDRESS_REFUSED,
          }),
        );
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as LookupFunction;
}

const guardedAgents = new WeakMap<VideoHostPolicy, Agent>();
/** One undici Agent per policy whose connections go through guardedLookup. */
function guardedAgent(policy: VideoHostPolicy): Agent {
  let agent = guardedAgents.get(policy);
  if (!agent) {
    agent = new Agent({ connect: { lookup: guardedLookup(policy) } });
    guardedAgents.set(policy, agent);
  }
  return agent;
}

// ---------------------------------------------------------------------------------------------------------
// Fetch with manual redirects

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface OpenVideoOptions {
  policy: VideoHostPolicy;
  /** Default: an Agent that re-checks addresses at connect time (guardedLookup). An injected one skips that. */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** For tests: the resolver used for the address check. */
  lookup?: LookupAll;
}

/**
 * GETs a video URL, checking the URL and its resolved addresses before every hop and following at most
 * `policy.maxRedirects` redirects by hand (each target re-checked). Returns the first non-redirect response;
 * the caller owns its body. Throws VideoSourceRefusedError for a refused URL, hop or redirect chain.
 */
export async function openVideoSource(
  raw: string,
  options: OpenVideoOptions,
): Promise<{ response: Dispatcher.ResponseData; url: URL; redirects: number }> {
  const { policy } = options;
  const maxRedirects = policy.maxRedirects ?? 3;
  let url = checkVideoUrl(raw, policy);
  for (let redirects = 0; ; redirects++) {
    await checkVideoAddress(url, policy, options.lookup);
    // undici's request never follows redirects by itself (v7: only with the redirect interceptor).
    const response = await request(url, { method: 'GET', signal: options.signal, dispatcher: options.dispatcher ?? guardedAgent(policy) }).catch(
      (err: unknown) => {
        if ((err as { code?: string }).code === ADDRESS_REFUSED) throw new VideoSourceRefusedError('address', hostOf(url), (err as Error).message);
        throw err;
      },
    );
    if (!REDIRECTS.has(response.statusCode)) return { response, url, redirects };
    await response.body.dump().catch(() => undefined);
    const from = hostOf(url);
    const location = response.headers.location;
    if (typeof location !== 'string' || location === '')
      throw new VideoSourceRefusedError('redirect', from, `video host ${from} answered HTTP ${response.statusCode} without a usable Location`);
    if (redirects >= maxRedirects)
      throw new VideoSourceRefusedError('redirect', from, `more than ${maxRedirects} redirects while downloading the video (last from ${from})`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new VideoSourceRefusedError('redirect', from, `video host ${from} redirected to an invalid URL`);
    }
    try {
      url = checkVideoUrl(next, policy);
    } catch (err) {
      if (err instanceof VideoSourceRefusedError)
        throw new VideoSourceRefusedError('redirect', err.host, `redirect from ${from} refused: ${err.message}`);
      throw err;
    }
  }
}
