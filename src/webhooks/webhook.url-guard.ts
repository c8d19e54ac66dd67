// The SSRF guard for webhook URLs. A webhook makes this server send requests to a URL an admin
// typed, from inside the network: without a guard, `http://169.254.169.254/…` (cloud metadata) or
// `https://db.internal:5432` would be reachable through it. Rules:
//   - https only; plain http only to a localhost name, and only with WEBHOOK_ALLOW_PRIVATE=true;
//   - no credentials in the URL (they would be sent and logged as part of it);
//   - every address the host resolves to must be public: private, loopback, link-local, CGNAT,
//     multicast, unspecified, documentation and reserved ranges are refused, and so are IPv6 forms
//     that embed an IPv4 address (IPv4-mapped, NAT64, 6to4), judged by the address they embed.
//     WEBHOOK_ALLOW_PRIVATE=true lifts this rule (development, tests).
// The check runs when a URL is registered AND at every delivery, through `lookup` below, which
// the HTTP request uses to connect: the address checked is the address connected to, so a DNS
// answer that changes between the check and the connection (DNS rebinding) cannot slip through.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { WebhookUrlRefusedError } from '../errors.js';

const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['fc00::', 7], // unique local (private)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed internally)
  ['ff00::', 8], // multicast
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIPv4(address: string): string | undefined {
  const groups = expandIPv6(address);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  // ::ffff:a.b.c.d and ::a.b.c.d (:: and ::1 come out as 0.0.0.0 and 0.0.0.1: refused as 0/8).
  if (zero(0, 5) && (groups[5] === 0xffff || groups[5] === 0)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

/** Eight 16-bit groups of an IPv6 address (dotted IPv4 tails included), or undefined. */
function expandIPv6(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const parts = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(fill, 0)).fill('0'), ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** Why an address is not public (a phrase for the error), or undefined when it is public. */
export function nonPublicReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4') ? `${address} is not a public address` : undefined;
  if (family !== 6) return `${address} is not an IP address`;
  const v4 = embeddedIPv4(address);
  if (v4 !== undefined) return NON_PUBLIC.check(v4, 'ipv4') ? `${address} (${v4}) is not a public address` : undefined;
  return NON_PUBLIC.check(address, 'ipv6') ? `${address} is not a public address` : undefined;
}

export interface UrlGuardOptions {
  /** WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** DNS resolution (tests may pass a fixed one); default: the system resolver, every address. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
}

export class WebhookUrlGuard {
  private readonly resolve: (host: string) => Promise<LookupAddress[]>;

  constructor(private readonly options: UrlGuardOptions) {
    this.resolve = options.resolve ?? systemResolve;
  }

  /** The URL's form (scheme, host, credentials); throws WEBHOOK_URL_REFUSED naming `field`. Resolves nothing. */
  parse(field: string, text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new WebhookUrlRefusedError(field, 'is not an absolute URL');
    }
    if (text.length > 2048) throw new WebhookUrlRefusedError(field, 'must be at most 2048 characters');
    if (url.username || url.password) throw new WebhookUrlRefusedError(field, 'must not contain credentials');
    if (url.hash) throw new WebhookUrlRefusedError(field, 'must not contain a fragment');
    if (url.protocol === 'https:') return url;
    if (url.protocol === 'http:') {
      if (!this.options.allowPrivate) throw new WebhookUrlRefusedError(field, 'must use https (http is allowed only to localhost with WEBHOOK_ALLOW_PRIVATE=true)');
      if (!LOCALHOST_NAMES.has(url.hostname)) throw new WebhookUrlRefusedError(field, 'http is allowed only to localhost; use https');
      return url;
    }
    throw new WebhookUrlRefusedError(field, 'must use https');
  }

  /** parse(), then resolves the host and refuses it unless every address is allowed. For registration. */
  async check(field: string, text: string): Promise<URL> {
    const url = this.parse(field, text);
    await this.addresses(field, url.hostname);
    return url;
  }

  /**
   * The addresses of `host` that a connection may use; throws WEBHOOK_URL_REFUSED when it does
   * not resolve or when any of them is refused (one bad address is enough: the resolver's order
   * decides which one a client tries, and it is not ours).
   */
  async addresses(field: string, hostname: string): Promise<LookupAddress[]> {
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const literal = isIP(host);
    let found: LookupAddress[];
    if (literal) found = [{ address: host, family: literal }];
    else {
      try {
        found = await this.resolve(host);
      } catch {
        throw new WebhookUrlRefusedError(field, `${host} does not resolve`);
      }
      if (found.length === 0) throw new WebhookUrlRefusedError(field, `${host} does not resolve`);
    }
    if (!this.options.allowPrivate) {
      for (const { address } of found) {
        const reason = nonPublicReason(address);
        if (reason) throw new WebhookUrlRefusedError(field, `${host} resolves to ${reason}`);
      }
    }
    return found;
  }

  /**
   * A `lookup` for http.request: resolves through the guard and hands the connection the address
   * it checked. A refused host fails the request with WEBHOOK_URL_REFUSED before connecting.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.addresses('url', hostname).then(
      (found) => {
        const wanted = typeof options === 'object' && options.family ? found.filter((a) => a.family === options.family) : found;
        const usable = wanted.length > 0 ? wanted : found;
        if (typeof options === 'object' && options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: Error) => callback(Object.assign(error, { code: 'WEBHOOK_URL_REFUSED' }) as NodeJS.ErrnoException, ''),
    );
  };
}

function systemResolve(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}
