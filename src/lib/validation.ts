// Plain validation helpers: which webhook secrets and outbound URLs are acceptable (and why not).
// Nothing here knows the wire's error catalogue (errors.ts turns problems into OAuth errors).

/** A Standard Webhooks secret: `whsec_` and 24 to 64 random bytes in base64. */
export function isWebhookSecret(value: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!match) return false;
  try {
    const length = atob(match[1]!).length;
    return length >= 24 && length <= 64;
  } catch {
    return false;
  }
}

/**
 * Why an outbound URL (a webhook, a notification endpoint, a jwks_uri) is refused, or undefined when
 * it is acceptable: absolute https, without credentials or a fragment, and not at an address inside
 * a network (`internalRangeOf`). In development, http and https on loopback are acceptable too
 * (docs/protocol.md §6). The host is read after WHATWG URL parsing, which writes every IPv4 spelling
 * (2130706433, 0x7f.1, 0177.0.0.1, 127.1) in dotted decimal and IPv6 in compressed hex, so no
 * spelling slips past. Names are not resolved: a name is checked as written (docs/operations.md).
 */
export function outboundUrlProblem(value: string, development: boolean): string | undefined {
  if (!URL.canParse(value)) return 'must be an absolute https URL';
  const url = new URL(value);
  if (url.username || url.password) return 'must not hold a user name or password';
  if (url.hash) return 'must not have a fragment';
  const range = internalRangeOf(url.hostname);
  const loopbackAllowed = development && range?.kind === 'loopback';
  if (url.protocol === 'http:' && loopbackAllowed) return undefined;
  if (url.protocol !== 'https:') {
    return development ? 'must be an https URL (http only on loopback, in development)' : 'must be an https URL';
  }
  if (range && !loopbackAllowed) {
    return `must not point at a private, loopback or link-local address (${range.block} is ${range.kind})`;
  }
  return undefined;
}

/** An address block no outbound call may reach, and what it is. */
interface InternalRange {
  block: string;
  kind: string;
}

// RFC 6890 §2.2.2 and the RFCs it lists: each block a prefix (as a 32-bit number) and its length.
const IPV4_RANGES: ReadonlyArray<[prefix: number, bits: number, InternalRange]> = [
  [0x00000000, 32, { block: '0.0.0.0', kind: 'unspecified' }], // RFC 1122 §3.2.1.3
  [0x00000000, 8, { block: '0.0.0.0/8', kind: 'this network' }], // RFC 1122 §3.2.1.3
  [0x0a000000, 8, { block: '10.0.0.0/8', kind: 'private' }], // RFC 1918
  [0x64400000, 10, { block: '100.64.0.0/10', kind: 'shared address space for carrier-grade NAT' }], // RFC 6598
  [0x7f000000, 8, { block: '127.0.0.0/8', kind: 'loopback' }], // RFC 1122 §3.2.1.3
  [0xa9fe0000, 16, { block: '169.254.0.0/16', kind: 'link-local' }], // RFC 3927
  [0xac100000, 12, { block: '172.16.0.0/12', kind: 'private' }], // RFC 1918
  [0xc0a80000, 16, { block: '192.168.0.0/16', kind: 'private' }], // RFC 1918
];

/**
 * The internal block a URL's hostname (as `new URL` writes it) lies in, or undefined for a public
 * address or a name other than localhost (RFC 6761 §6.3: localhost names are loopback).
 */
function internalRangeOf(hostname: string): InternalRange | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return { block: 'localhost', kind: 'loopback' };
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(name);
  if (v4) return ipv4RangeOf(v4.slice(1).reduce((n, octet) => n * 256 + Number(octet), 0));
  if (name.startsWith('[') && name.endsWith(']')) return ipv6RangeOf(name.slice(1, -1));
  return undefined;
}

function ipv4RangeOf(address: number): InternalRange | undefined {
  for (const [prefix, bits, range] of IPV4_RANGES) {
    const size = 2 ** (32 - bits);
    if (Math.floor(address / size) === Math.floor(prefix / size)) return range;
  }
  return undefined;
}

/** An IPv6 address in the compressed hex form `new URL` writes (RFC 5952), classified. */
function ipv6RangeOf(text: string): InternalRange | undefined {
  const [head, tail] = text.split('::') as [string, string?];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = groups(head);
  const back = groups(tail);
  const g = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  if (g.length !== 8 || g.some((n) => !(n >= 0 && n <= 0xffff))) return undefined;
  const embeddedV4 = () => ipv4RangeOf(g[6]! * 65536 + g[7]!);
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return { block: '::/128', kind: 'unspecified' }; // RFC 4291 §2.5.2
  if (zeroUpTo(7) && g[7] === 1) return { block: '::1/128', kind: 'loopback' }; // RFC 4291 §2.5.3
  // An IPv4 address inside IPv6: mapped (RFC 4291 §2.5.5.2), compatible (§2.5.5.1, deprecated),
  // or behind the NAT64 well-known prefix (RFC 6052 §2.1). Each is judged as the IPv4 address.
  const carrier =
    zeroUpTo(5) && g[5] === 0xffff
      ? 'as IPv4-mapped IPv6'
      : zeroUpTo(6)
        ? 'as IPv4-compatible IPv6'
        : g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)
          ? 'through NAT64 (64:ff9b::/96)'
          : undefined;
  if (carrier) {
    const range = embeddedV4();
    return range && { block: `${range.block} ${carrier}`, kind: range.kind };
  }
  if ((g[0]! & 0xfe00) === 0xfc00) return { block: 'fc00::/7', kind: 'unique local' }; // RFC 4193
  if ((g[0]! & 0xffc0) === 0xfe80) return { block: 'fe80::/10', kind: 'link-local' }; // RFC 4291 §2.5.6
  if ((g[0]! & 0xffc0) === 0xfec0) return { block: 'fec0::/10', kind: 'site-local' }; // RFC 3879
  return undefined;
}
