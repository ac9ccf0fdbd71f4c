/**
 * Address classification shared by everything that must not reach internal networks: the rehost download
 * allow-list (download/video-source.ts) and the image URLs sent to Kling (media-url.ts). Pure functions, no
 * I/O, so both the client library and the activities can import them.
 */

function parseIPv4(address: string): number[] | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

function parseIPv6(address: string): number[] | undefined {
  let a = address.toLowerCase().replace(/%.*$/, '');
  let tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    const v4 = parseIPv4(dotted[2]!);
    if (!v4) return undefined;
    tail = v4;
    a = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const groupsWanted = (16 - tail.length) / 2;
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = toGroups(halves[0]!);
  const rest = halves.length === 2 ? toGroups(halves[1]!) : [];
  const fill = groupsWanted - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...rest];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return [...groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]), ...tail];
}

const inV4 = (b: number[], net: [number, number, number, number], bits: number) => prefixMatch(b, net, bits);
function prefixMatch(bytes: number[], net: number[], bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((net[byte] ?? 0) & mask)) return false;
  }
  return true;
}

// Not globally routable (IANA special-purpose registries): this host, private, CGNAT, loopback, link-local,
// protocol assignments, documentation, benchmarking, multicast, reserved and broadcast.
const V4_BLOCKED: Array<[[number, number, number, number], number]> = [
  [[0, 0, 0, 0], 8],
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10],
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16],
  [[172, 16, 0, 0], 12],
  [[192, 0, 0, 0], 24],
  [[192, 0, 2, 0], 24],
  [[192, 88, 99, 0], 24],
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15],
  [[198, 51, 100, 0], 24],
  [[203, 0, 113, 0], 24],
  [[224, 0, 0, 0], 4],
  [[240, 0, 0, 0], 4],
];

function v4IsPrivate(b: number[]): boolean {
  return V4_BLOCKED.some(([net, bits]) => inV4(b, net, bits));
}

/**
 * True for any address that is not a public unicast address: loopback, private (RFC 1918, unique local),
 * link-local, CGNAT, unspecified, multicast, documentation, reserved; IPv6 forms that embed such an IPv4
 * address (mapped, compatible, NAT64, 6to4) are judged by the embedded address. Unparseable input is private.
 */
export function isPrivateAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '');
  const v4 = parseIPv4(a);
  if (v4) return v4IsPrivate(v4);
  const b = parseIPv6(a);
  if (!b) return true;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 16)) return true; // ::
  if (zero(0, 15) && b[15] === 1) return true; // ::1
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4IsPrivate(b.slice(12)); // ::ffff:a.b.c.d
  if (zero(0, 12)) return true; // deprecated IPv4-compatible ::a.b.c.d: never a public destination
  if (prefixMatch(b, [0, 0x64, 0xff, 0x9b], 96)) return v4IsPrivate(b.slice(12)); // NAT64 64:ff9b::/96
  if (prefixMatch(b, [0x20, 0x02], 16)) return v4IsPrivate(b.slice(2, 6)); // 6to4 2002::/16
  if (prefixMatch(b, [0xfc], 7)) return true; // unique local
  if (prefixMatch(b, [0xfe, 0x80], 10)) return true; // link-local
  if (prefixMatch(b, [0xfe, 0xc0], 10)) return true; // site-local (deprecated)
  if (prefixMatch(b, [0xff], 8)) return true; // multicast
  if (prefixMatch(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return true; // documentation
  if (prefixMatch(b, [0x01, 0, 0, 0, 0, 0, 0, 0], 64)) return true; // discard-only
  if (prefixMatch(b, [0x20, 0x01, 0, 0], 32)) return true; // Teredo (embeds other hosts)
  return false;
}

/** Names that only ever mean this machine or a local network (RFC 6761 `localhost`, mDNS `.local`, RFC 8375 `home.arpa`, cloud-internal DNS). */
const LOCAL_NAME_SUFFIXES = ['localhost', 'localdomain', 'local', 'internal', 'home.arpa', 'lan', 'intranet'];

/**
 * True for a host name that cannot be a public host: `localhost` and its subdomains, the local-network suffixes
 * above (e.g. `metadata.google.internal`, `printer.local`) and single-label names (`metadata`, `intranet`), which
 * resolve only through a local search domain. Case- and trailing-dot-insensitive; IP literals are not names.
 */
export function isLocalHostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === '' || name.includes(':') || parseIPv4(name)) return false;
  if (name === 'ip6-localhost' || name === 'ip6-loopback') return true;
  if (!name.includes('.')) return true;
  return LOCAL_NAME_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}
