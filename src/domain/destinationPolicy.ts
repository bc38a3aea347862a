/**
 * Which addresses notifications may be sent to. A notification URL is typed by whoever holds an
 * admin key, but the request leaves from the server, inside its network: the classic abuse is a
 * webhook to a cloud metadata service (169.254.169.254), which hands out credentials to anything
 * that asks from the machine. So link-local addresses are refused by default; with
 * NOTIFY_DENY_PRIVATE=true loopback, private, shared (CGNAT) and unspecified addresses are refused
 * too. NOTIFY_ALLOWED_HOSTS names hosts or CIDRs that are allowed whatever the policy says.
 *
 * The check is on the address a connection goes to, not on the URL's text: a host name is checked
 * on every address it resolves to when the connection is made (src/alerts/httpPost.ts), so DNS
 * rebinding cannot slip past. IPv4-mapped IPv6 addresses (`::ffff:169.254.169.254`) are the IPv4
 * address they map (node's BlockList matches them against IPv4 subnets).
 */
import net from 'node:net';

/** Hosts (lower-case names) and CIDRs allowed whatever the policy says (NOTIFY_ALLOWED_HOSTS). */
export interface AllowedDestinations {
  hosts: readonly string[];
  cidrs: readonly string[];
}

export interface DestinationPolicy {
  /** NOTIFY_DENY_PRIVATE: also refuse loopback, private, CGNAT and unspecified addresses. */
  denyPrivate: boolean;
  allowed: AllowedDestinations;
}

export const NO_ALLOWED_DESTINATIONS: AllowedDestinations = Object.freeze({ hosts: [], cidrs: [] });

type Family = 'ipv4' | 'ipv6';

/** Address classes, the first that matches names the refusal; `always` ones are refused by default. */
const CLASSES: { name: string; always: boolean; subnets: [string, number, Family][] }[] = [
  { name: 'link-local', always: true, subnets: [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']] },
  { name: 'loopback', always: false, subnets: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']] },
  { name: 'private', always: false, subnets: [['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['fc00::', 7, 'ipv6']] },
  { name: 'shared (CGNAT)', always: false, subnets: [['100.64.0.0', 10, 'ipv4']] },
  { name: 'unspecified', always: false, subnets: [['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']] },
];

const CLASS_LISTS = CLASSES.map((c) => {
  const list = new net.BlockList();
  for (const [address, prefix, family] of c.subnets) list.addSubnet(address, prefix, family);
  return { ...c, list };
});

const familyOf = (address: string): Family | null => (net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null);

/** A URL's hostname as an address or a name: `[::1]` → `::1`, names lower-cased without a trailing dot. */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

export class AllowedHostsError extends Error {}

/**
 * Parses NOTIFY_ALLOWED_HOSTS: a comma list of host names, addresses and CIDRs
 * (`alertmanager.internal, 10.0.0.0/8, fd00::/8`). Throws AllowedHostsError naming a bad entry.
 */
export function parseAllowedDestinations(text: string): AllowedDestinations {
  const hosts: string[] = [];
  const cidrs: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address = '', prefix, extra] = raw.split('/');
    const family = familyOf(address);
    if (prefix !== undefined || family !== null) {
      const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
      const max = family === 'ipv4' ? 32 : 128;
      if (family === null || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? String(bits)) || bits > max) {
        throw new AllowedHostsError(`"${raw}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`);
      }
      cidrs.push(`${address}/${bits}`);
    } else if (raw.length <= 253 && bareHost(raw).split('.').every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) {
      hosts.push(bareHost(raw));
    } else {
      throw new AllowedHostsError(`"${raw}" is not a host name, an address or a CIDR`);
    }
  }
  return Object.freeze({ hosts: Object.freeze(hosts), cidrs: Object.freeze(cidrs) });
}

function allowedList(allowed: AllowedDestinations): net.BlockList {
  const list = new net.BlockList();
  for (const cidr of allowed.cidrs) {
    const [address = '', bits] = cidr.split('/');
    list.addSubnet(address, Number(bits), familyOf(address) ?? 'ipv4');
  }
  return list;
}

/** The allowed CIDRs as a BlockList, built once per AllowedDestinations object. */
const allowedLists = new WeakMap<AllowedDestinations, net.BlockList>();

/**
 * Why a connection to `address` (reached through the URL host `host`) is refused, or null when it
 * may go. `host` is the URL's host (a name or the address itself).
 */
export function refusalOf(host: string, address: string, policy: DestinationPolicy): string | null {
  const family = familyOf(address);
  if (family === null) return `destination ${address} is not an IP address, refused`;
  const name = bareHost(host);
  if (policy.allowed.hosts.includes(name)) return null;
  let allowed = allowedLists.get(policy.allowed);
  if (!allowed) allowedLists.set(policy.allowed, (allowed = allowedList(policy.allowed)));
  if (allowed.check(address, family)) return null;
  const hit = CLASS_LISTS.find((c) => (c.always || policy.denyPrivate) && c.list.check(address, family));
  if (!hit) return null;
  const what = name === address.toLowerCase() ? address : `${name} (${address})`;
  return `destination ${what} is ${hit.name === 'unspecified' ? 'an' : 'a'} ${hit.name} address, refused (NOTIFY_ALLOWED_HOSTS allows it)`;
}

/**
 * The refusal of a URL whose host is an address literal, known before any connection; null for a
 * host name (checked on each address it resolves to, when connecting) or an allowed address.
 */
export function literalRefusal(url: string, policy: DestinationPolicy): string | null {
  const host = bareHost(new URL(url).hostname);
  return familyOf(host) === null ? null : refusalOf(host, host, policy);
}
