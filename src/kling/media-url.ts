import { isLocalHostName, isPrivateAddress } from './private-address.js';

/**
 * Which image URLs (`image`, `imageTail`, `staticMask`, `dynamicMasks[].mask`) may be sent to Kling, which fetches
 * them itself. A URL naming an internal address (loopback, private, link-local, cloud metadata) can only be a
 * mistake or an attempt to make a fetcher reach a network it should not, so it is refused before anything is sent.
 * Raw base64 images are not URLs and are unaffected.
 */
export interface MediaUrlPolicy {
  /** Accept `http:` image URLs. Default false: https only. */
  allowHttp?: boolean;
  /**
   * Accept loopback, private, link-local, unique-local and unspecified addresses (and IPv6 forms embedding them)
   * and local names such as `localhost`. Default false. For the simulator and local test servers only.
   */
  allowPrivateAddresses?: boolean;
}

/** The default: public https URLs only. */
export const STRICT_MEDIA_URL_POLICY: Readonly<MediaUrlPolicy> = Object.freeze({ allowHttp: false, allowPrivateAddresses: false });

/**
 * Why an image URL may not be sent under the policy, or undefined when it may (or the value is not an http(s)
 * URL: base64 and malformed values are the schema's business). Judges the URL as written, after WHATWG
 * normalisation (`http://2130706433/` is `127.0.0.1`, `[::ffff:169.254.169.254]` is `[::ffff:a9fe:a9fe]`). Host
 * names are not resolved here: this runs synchronously during validation, and Kling, not this process, resolves them.
 */
export function mediaUrlProblem(value: string, policy: MediaUrlPolicy = STRICT_MEDIA_URL_POLICY): string | undefined {
  if (!/^https?:\/\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivateAddresses) {
    const literal = /^[\d.]+$/.test(host) || host.includes(':');
    if (literal ? isPrivateAddress(host) : isLocalHostName(host))
      return `points at an internal address (${host}); Kling must fetch images from a public host: use a public https URL or raw base64 (mediaUrlPolicy.allowPrivateAddresses, KLING_MEDIA_URL_ALLOW_PRIVATE_ADDRESSES, allows it for local testing)`;
  }
  if (url.protocol !== 'https:' && !policy.allowHttp)
    return `must be an https URL, got ${url.protocol} (host ${host}); use https or raw base64 (mediaUrlPolicy.allowHttp, KLING_MEDIA_URL_ALLOW_HTTP, allows http for local testing)`;
  return undefined;
}
